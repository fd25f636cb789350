"""spread.Order: an order with its customer profile, validated by libspread."""

from __future__ import annotations

import ctypes
import datetime
import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar
from urllib.parse import parse_qsl

from . import _dates
from . import _native as native
from ._fields import OrderFields
from .errors import InvalidValueError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Order", "OrderFields", "field_names"]

_O = TypeVar("_O", bound="Order")

_INT64 = range(-(2**63), 2**63)
# How PHP's http_build_query writes the floats JSON cannot carry.
_PHP_NON_FINITE = {math.inf: "INF", -math.inf: "-INF"}

_fields_cache: Optional[Tuple[str, ...]] = None


def field_names() -> Tuple[str, ...]:
    """The scalar fields libspread knows (customer_email ... order_end_service): Order's keywords."""
    global _fields_cache
    if _fields_cache is None:
        _fields_cache = native.field_names()
    return _fields_cache


def _text(field: str, value: object) -> str:
    """A scalar as PHP's http_build_query writes it: str as is, int in decimal (an
    OrderState as its number), a date or an aware datetime as the seed writes them.
    Anything else (bool, float, None, containers) is a mistake for a text field."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime.date):
        return _dates.text(field, value)
    raise TypeError(f"{field}: expected str or int, got {type(value).__name__}")


def _json_value(field: str, value: object) -> Any:
    """`value` as JSON for spread_order_set_value: lists stay lists (a list field must be
    one), mappings become objects with int or str keys, scalars as from_dict sends them."""
    if isinstance(value, (list, tuple)):
        return [_json_value(f"{field}[{i}]", item) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if type(key) is not str and (isinstance(key, bool) or not isinstance(key, int)):
                raise TypeError(f"{field}: keys are int or str, got {key!r}")
            out[str(key)] = _json_value(f"{field}[{key}]", item)
        return out
    if isinstance(value, datetime.date):
        return _dates.text(field, value)
    try:
        return _php_value(value)
    except _Unsendable as e:
        raise TypeError(f"{field}: {e.why}") from None


class _Unsendable(TypeError):
    """A value JSON cannot carry; `path` (the keys leading to it) is filled in on the way
    out, so that no path is built while all is well."""

    def __init__(self, why: str, here: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.path: List[object] = []
        self.here = here  # about the mapping being read (a key), not one of its values

    def __str__(self) -> str:
        return "post_data" + "".join(f"[{key}]" for key in self.path) + ": " + self.why


def _php_value(value: object) -> Any:
    """`value` as JSON that PHP's json_decode turns into the array a PHP shop holds.

    Only what JSON cannot say is adapted: a Decimal is its plain decimal text (sent as
    written), an int beyond PHP's 64 bits its exact digits, a non-finite float PHP's
    text for it (NAN, INF, -INF), tuples are lists and keys are int or str. libspread
    does the rest, as http_build_query would (nulls left out, floats at precision 14).
    """
    items: Iterable[Tuple[object, object]]
    if value is None or isinstance(value, (str, bool)):  # the common cases first: this runs per value
        return value
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    elif isinstance(value, int):
        # An int subclass (an IntEnum such as OrderState) as a plain int: `range` tests a
        # subclass by walking all 2**64 values, and JSON must get the number.
        number = int(value)
        return number if number in _INT64 else str(number)
    elif isinstance(value, float):
        return value if math.isfinite(value) else _PHP_NON_FINITE.get(value, "NAN")
    elif isinstance(value, Decimal):
        return format(value, "f")
    elif isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, tuple):
        items = enumerate(value)
    else:
        raise _Unsendable(f"{type(value).__name__} cannot be sent (expected None, bool, int, float, Decimal, "
                          "str, or a dict or list of them)")
    out = {}
    key: object = None
    try:
        for key, item in items:
            if type(key) is not str and (isinstance(key, bool) or not isinstance(key, (int, str))):
                raise _Unsendable(f"keys are int or str, got {key!r}", here=True)
            if isinstance(item, datetime.date):  # as the field named by its key takes it
                out[str(key)] = _dates.text(str(key), item)
            else:
                out[str(key)] = item if type(item) is str else _php_value(item)
    except _Unsendable as e:
        if not e.here:
            e.path.insert(0, key)
        e.here = False
        raise
    return out if isinstance(value, Mapping) else list(out.values())


class Order(native.HandleOwner):
    """An order with its customer profile, as the seed's ``$post_data["data"]``.

    ``Order(customer_email="john@doe.com", order_idorder="0000001", order_state=10,
    order_amount=158.31, order_crea_dt="2014-06-21 14:31:08")``: keywords are libspread's
    scalar fields (see field_names()); a None keyword is left out, as PHP leaves out null.
    Fields are sent in the order they were first set, like a PHP array. Each setter is
    checked at once by libspread (InvalidValueError naming the field; the order is then
    unchanged) and returns the order, so calls chain.

    Holds a native handle: use ``with Order(...) as o:`` or close(); a closed order
    raises ClosedError. Safe to use from several threads (calls take turns).
    """

    def __init__(self, **fields: Unpack[OrderFields]) -> None:
        lib = native.lib()
        self._own(lib.spread_order_new())
        try:
            known = field_names()
            for name, value in fields.items():
                if name not in known:
                    raise TypeError(f"Order() got an unexpected keyword argument {name!r}; "
                                    f"fields are: {', '.join(known)} (use set() for others)")
                if value is not None:
                    self.set(name, value)
        except BaseException:
            self.close()
            raise

    def _own(self, ptr: int) -> None:
        self._handle = native.Handle(ptr, native.lib().spread_order_free, "Order", exclusive=True)

    def __repr__(self) -> str:
        if self.closed:
            return "<spread.Order closed>"
        data = self.to_dict().get("data", {})
        shown = " ".join(f"{name}={data[name]!r}" for name in ("order_idorder", "order_state") if name in data)
        return f"<spread.Order {shown or 'without order_idorder'}>"

    def _call(self: _O, fn: Callable[..., int], *args: Any) -> _O:
        with self._handle.use() as ptr:
            native.check(fn(ptr, *args))
        return self

    # ------------------------------------------------------------------ fields
    def set(self: _O, name: str, value: Any) -> _O:
        """``data[name] = value``. A known field is checked by its rule; any other name is
        sent as extra text. A structured field takes its value as from_dict does (and as
        PHP's ``field()``): ``set("add_tag", ["a", "b"])``, ``set("custom_fields", {327:
        "blue"})``, ``set("consents", {"NewsEmail": True})``, ``set("product_attributes",
        [["size:xl"]])``; entries are added, all or none. order_state takes 10 or "10"; order_amount takes a float
        (printed as PHP prints it), an int, a Decimal or a decimal str (sent as written)."""
        if not isinstance(name, str):
            raise TypeError(f"field names are str, got {type(name).__name__}")
        if isinstance(value, (Mapping, list, tuple)) and name not in field_names():
            # Tags, custom_fields, consents, product_attributes (a scalar field's is a
            # TypeError): libspread's rule accepts or refuses it, as for PHP's field().
            return self._set_value(name, value)
        lib = native.lib()
        if name == "order_amount" and isinstance(value, float):
            return self._call(lib.spread_order_set_order_amount, value)
        if name == "order_amount" and isinstance(value, Decimal):
            value = format(value, "f")  # plain digits, never an exponent: exact
        return self._call(lib.spread_order_set_field, native.to_c(name, "field name"),
                          native.to_c(_text(name, value), name))

    def add_tag(self: _O, *tags: str) -> _O:
        """Appends customer tags to add (``data[add_tag][]``): all of them, or (on error) none."""
        return self._append(native.lib().spread_order_add_tag, "add_tag", tags)

    def del_tag(self: _O, *tags: str) -> _O:
        """Appends customer tags to remove (``data[del_tag][]``): all of them, or none."""
        return self._append(native.lib().spread_order_del_tag, "del_tag", tags)

    def add_order_tag(self: _O, *tags: str) -> _O:
        """Appends order tags to add (``data[add_order_tag][]``): all of them, or none."""
        return self._append(native.lib().spread_order_add_order_tag, "add_order_tag", tags)

    def del_order_tag(self: _O, *tags: str) -> _O:
        """Appends order tags to remove (``data[del_order_tag][]``): all of them, or none."""
        return self._append(native.lib().spread_order_del_order_tag, "del_order_tag", tags)

    def _append(self: _O, one: Callable[..., int], field: str, values: Tuple[Any, ...]) -> _O:
        """All of `values` or none, in one call (spread_order_add_to_list, whose error
        names the bad value's index: ``add_tag[1]``); one value alone goes through the
        list's own setter `one`, whose error names the list (``add_tag``)."""
        if len(values) == 1:
            return self._call(one, native.to_c(_text(field, values[0]), field))
        names = [f"{field}[{i}]" for i in range(len(values))]
        args = [native.to_c(_text(name, v), name) for name, v in zip(names, values)]
        if not args:
            with self._handle.use():  # nothing to add, but a closed order is still an error
                return self
        array = (ctypes.c_char_p * len(args))(*args)
        return self._call(native.lib().spread_order_add_to_list, field.encode(), array, len(args))

    def custom_field(self: _O, id: int, value: Any) -> _O:  # noqa: A002 - SPREAD calls it an id
        """``data[custom_fields][id] = value``; ids come from SPREAD's back office."""
        if isinstance(id, str) and id.isascii() and id.isdecimal() and str(int(id)) == id:
            id = int(id)  # PHP turns the key "327" into the int 327
        if isinstance(id, bool) or not isinstance(id, int):
            raise TypeError(f"custom_fields: ids are ints such as 327, got {id!r}")
        fid = native.uint(id, f"custom_fields[{id}]", error=InvalidValueError)
        field = f"custom_fields[{fid}]"
        return self._call(native.lib().spread_order_set_custom_field, fid, native.to_c(_text(field, value), field))

    def consent(self: _O, name: str, accepted: bool) -> _O:
        """``data[consents][name]`` = 1 (accepted) or 0 (refused); needs the customer's e-mail."""
        native.to_c(name, "consents")  # a str without NUL
        # libspread's rule (the drop-in's: True/False, 1/0, "1"/"0"), not one of ours.
        return self._set_value("consents", {name: accepted})

    def _set_value(self: _O, name: str, value: Any) -> _O:
        """``data[name] = value`` as from_dict takes it, checked by libspread
        (spread_order_set_value): all or nothing."""
        document = json.dumps(_json_value(name, value), ensure_ascii=False, allow_nan=False)
        return self._call(native.lib().spread_order_set_value, native.to_c(name, "field name"),
                          document.encode("utf-8", "surrogatepass"))

    def add_product(self: _O, attributes: Iterable[str] = ()) -> _O:
        """Starts the next product (``data[product_attributes][n]``) with its "key:value"
        attributes, such as ``add_product(["size:xl", "type:shirt"])``: all of them, or
        (on error) none."""
        if isinstance(attributes, (str, bytes)):
            raise TypeError('product_attributes: expected a list of "key:value" str, got a single '
                            f"{type(attributes).__name__} (write [{attributes!r}])")
        args = [native.to_c(_text("product_attributes", a), "product_attributes") for a in attributes]
        array = (ctypes.c_char_p * len(args))(*args)
        return self._call(native.lib().spread_order_add_product_with, array, len(args))

    # ------------------------------------------------------------------ output
    def validate(self: _O) -> _O:
        """Raises MissingFieldError unless the fields SPREAD requires are set, InvalidValueError if
        SPREAD's PHP would not read the whole body (over 1,001 variables: max_input_vars);
        send() checks too."""
        return self._call(native.lib().spread_order_validate)

    def encode(self) -> str:
        """The exact body send() posts: PHP's http_build_query of the same $post_data."""
        with self._handle.use() as ptr:
            return native.take_string(native.lib().spread_order_encode(ptr))

    @property
    def warnings(self) -> List[str]:
        """What the lenient drop-in path (from_dict) sent as is although it breaks a rule
        (``customer_birthday: "0000-00-00" is not a date ... (sent as is)``); [] otherwise."""
        lib = native.lib()
        with self._handle.use() as ptr:
            return [native.take_string(lib.spread_order_warning(ptr, i))
                    for i in range(lib.spread_order_warning_count(ptr))]

    def to_dict(self) -> Dict[str, Any]:
        """The order as the seed's ``$post_data``: ``{"data": {...}, "request": {...}}``,
        values as sent (text), lists for ``add_tag`` and the like. ``Order.from_dict``
        of it sends the same body: an order survives JSON, a queue or a pickle as this.
        Holds the customer's personal data."""
        return _nest(self.encode())

    # ------------------------------------------------------------------ from a PHP-shaped dict
    @classmethod
    def from_dict(cls, post_data: Mapping[str, Any], strict: bool = False) -> Order:
        """An order from the seed's ``$post_data`` as a dict, sent exactly as PHP's
        ``http_build_query($post_data)`` would send it: ``{"data": {...}, "request":
        {...}}`` byte for byte, or just the ``data`` part, then wrapped as the seed does
        (``request[order_idorder]`` after it).

        Values may be None (left out), bool (1/0), int, float (printed as PHP prints it),
        Decimal or str (sent as written), dicts and lists of them, in any position; keys
        keep their order and may be int or str; unknown keys are kept. The fields SPREAD
        requires must follow their rules; another field that breaks its rule is sent as
        is and listed in ``warnings`` -- unless ``strict``, then it is refused.
        """
        if not isinstance(post_data, Mapping):
            raise TypeError(f"post_data: expected a dict, got {type(post_data).__name__}")
        if not isinstance(strict, bool):
            raise TypeError(f"strict: expected bool, got {type(strict).__name__}")
        document = json.dumps(_php_value(post_data), ensure_ascii=False, allow_nan=False)
        ptr = native.lib().spread_order_from_json(document.encode("utf-8", "surrogatepass"), strict)
        if not ptr:
            raise native.fail()
        order = cls.__new__(cls)
        order._own(ptr)
        return order

    def copy(self: _O) -> _O:
        """A copy that changes apart from this order (a template order copied per sale);
        ``copy.copy(order)`` gives the same. Holds its own native handle."""
        with self._handle.use() as ptr:
            copied = native.lib().spread_order_clone(ptr)
        if not copied:
            raise native.fail()
        order = type(self).__new__(type(self))
        order._own(copied)
        return order

    __copy__ = copy

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        """Pickled as its post_data (to_dict), and made again by from_dict."""
        return (_from_post_data, (type(self), self.to_dict()))


def _from_post_data(cls: type, post_data: Dict[str, Any]) -> Order:
    order = Order.from_dict(post_data, strict=False)
    if cls is not Order:  # a subclass: the same native order, under its class
        order.__class__ = cls
    return order


def _nest(body: str) -> Dict[str, Any]:
    """PHP's parse_str of an http_build_query body: ``a[b][0]=x`` -> {"a": {"b": ["x"]}}
    (a level whose keys are 0, 1, 2... is a list, as in PHP's array)."""
    root: Dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head] + ([part for part in rest[:-1].split("][")] if rest else [])
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)  # type: ignore[no-any-return]


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and list(items) == [str(i) for i in range(len(items))]:
        return list(items.values())
    return items
