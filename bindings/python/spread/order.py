"""spread.Order: an order with its customer profile, validated field by field by libspread."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar

from . import _native as native
from .errors import InvalidValueError, MissingFieldError

__all__ = ["Order", "field_names"]

_O = TypeVar("_O", bound="Order")

_INT32 = range(-(2**31), 2**31)


def field_names() -> Tuple[str, ...]:
    """The scalar fields libspread knows (customer_email ... order_end_service): Order's keywords."""
    return _scalar_fields()


_fields_cache: Optional[Tuple[str, ...]] = None


def _scalar_fields() -> Tuple[str, ...]:
    global _fields_cache
    if _fields_cache is None:
        _fields_cache = native.field_names()
    return _fields_cache


def _text(field: str, value: object) -> str:
    """A scalar as PHP's http_build_query writes it: str as is, int in decimal.
    Anything else (bool, float, None, containers) is a mistake for a text field."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"{field}: expected str or int, got {type(value).__name__}")


def _items(field: str, value: object) -> Iterable[Any]:
    """The entries of a PHP list given as a Python list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{field}: expected a list, got {type(value).__name__}")
    return value


def _mapping(field: str, value: object) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: expected a dict, got {type(value).__name__}")
    return value


def _custom_field_id(key: object) -> int:
    """PHP turns the key "327" into the int 327; ids must be such ints."""
    if isinstance(key, str) and key.isdecimal() and key.isascii() and str(int(key)) == key:
        key = int(key)
    if isinstance(key, bool) or not isinstance(key, int):
        raise TypeError(f"custom_fields: ids are ints such as 327, got {key!r}")
    return native.uint32(key, f"custom_fields[{key}]", InvalidValueError)


def _accepted(name: str, value: object) -> bool:
    """A consent as the seed documents it: true/false or 1/0 (also "1"/"0", as PHP sends them)."""
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1") and not isinstance(value, float):
        return value in (1, "1")
    raise InvalidValueError(f"consents[{name}]: expected True/False or 1/0, got {value!r}")


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

    def __init__(self, **fields: Any) -> None:
        lib = native.lib()
        self._handle = native.Handle(lib.spread_order_new(), lib.spread_order_free, "Order", exclusive=True)
        try:
            known = _scalar_fields()
            for name, value in fields.items():
                if name not in known:
                    raise TypeError(f"Order() got an unexpected keyword argument {name!r}; "
                                    f"fields are: {', '.join(known)} (use set() for others)")
                if value is not None:
                    self.set(name, value)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"<spread.Order {'closed' if self.closed else 'open'}>"

    def _call(self: _O, fn: Callable[..., int], *args: Any) -> _O:
        with self._handle.use() as ptr:
            native.check(fn(ptr, *args))
        return self

    def _call_all(self: _O, calls: List[Tuple[Any, ...]]) -> _O:
        """Several libspread calls as one change: they are tried on a scratch order first,
        so a bad value leaves this order unchanged (libspread checks one call at a time)."""
        lib = native.lib()
        if len(calls) > 1:
            scratch = lib.spread_order_new()
            try:
                for fn, *args in calls:
                    native.check(fn(scratch, *args))
            finally:
                lib.spread_order_free(scratch)
        with self._handle.use() as ptr:
            for fn, *args in calls:
                native.check(fn(ptr, *args))
        return self

    # ------------------------------------------------------------------ fields
    def set(self: _O, name: str, value: Any) -> _O:
        """``data[name] = value``. A known field is checked by its rule; any other name is
        sent as extra text. order_state takes 10 or "10"; order_amount takes a float
        (printed as PHP prints it), an int, a Decimal or a decimal str (sent as written)."""
        lib = native.lib()
        if not isinstance(name, str):
            raise TypeError(f"field names are str, got {type(name).__name__}")
        if name == "order_state" and isinstance(value, int) and not isinstance(value, bool):
            if value in _INT32:
                return self._call(lib.spread_order_set_order_state, value)
            value = str(value)  # out of int32: libspread rejects it with its usual message
        elif name == "order_amount":
            return self._set_amount(value)
        return self._call(lib.spread_order_set_field, native.to_c(name, "field name"),
                          native.to_c(_text(name, value), name))

    def _set_amount(self: _O, value: Any) -> _O:
        lib = native.lib()
        if isinstance(value, float):
            return self._call(lib.spread_order_set_order_amount, value)
        if isinstance(value, Decimal):
            value = format(value, "f")  # plain digits, never an exponent: exact
        elif isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # exact, as PHP prints an int
        elif not isinstance(value, str):
            raise TypeError(f"order_amount: expected float, int, Decimal or str, got {type(value).__name__}")
        return self._call(lib.spread_order_set_order_amount_str, native.to_c(value, "order_amount"))

    def add_tag(self: _O, *tags: str) -> _O:
        """Appends customer tags to add (``data[add_tag][]``)."""
        return self._append(native.lib().spread_order_add_tag, "add_tag", tags)

    def del_tag(self: _O, *tags: str) -> _O:
        """Appends customer tags to remove (``data[del_tag][]``)."""
        return self._append(native.lib().spread_order_del_tag, "del_tag", tags)

    def add_order_tag(self: _O, *tags: str) -> _O:
        """Appends order tags to add (``data[add_order_tag][]``)."""
        return self._append(native.lib().spread_order_add_order_tag, "add_order_tag", tags)

    def del_order_tag(self: _O, *tags: str) -> _O:
        """Appends order tags to remove (``data[del_order_tag][]``)."""
        return self._append(native.lib().spread_order_del_order_tag, "del_order_tag", tags)

    def _append(self: _O, fn: Callable[..., int], field: str, values: Iterable[Any]) -> _O:
        return self._call_all([(fn, native.to_c(_text(field, v), field)) for v in values])

    def custom_field(self: _O, id: int, value: Any) -> _O:  # noqa: A002 - SPREAD calls it an id
        """``data[custom_fields][id] = value``; ids come from SPREAD's back office."""
        fid = _custom_field_id(id)
        field = f"custom_fields[{fid}]"
        return self._call(native.lib().spread_order_set_custom_field, fid,
                          native.to_c(_text(field, value), field))

    def consent(self: _O, name: str, accepted: bool) -> _O:
        """``data[consents][name]`` = 1 (accepted) or 0 (refused); needs the customer's e-mail."""
        return self._call(native.lib().spread_order_set_consent, native.to_c(name, "consents"),
                          _accepted(name, accepted))

    def add_product(self: _O, attributes: Iterable[str] = ()) -> _O:
        """Starts the next product (``data[product_attributes][n]``) with its "key:value"
        attributes, such as ``add_product(["size:xl", "type:shirt"])``."""
        if isinstance(attributes, (str, bytes)):
            raise TypeError('product_attributes: expected a list of "key:value" str, got a single '
                            f"{type(attributes).__name__} (write [{attributes!r}])")
        lib = native.lib()
        return self._call_all([(lib.spread_order_add_product,)] + [
            (lib.spread_order_add_product_attribute, native.to_c(_text("product_attributes", a), "product_attributes"))
            for a in attributes])

    # ------------------------------------------------------------------ output
    def validate(self: _O) -> _O:
        """Raises MissingFieldError unless the fields SPREAD requires are set (send() checks too)."""
        return self._call(native.lib().spread_order_validate)

    def encode(self) -> str:
        """The exact body send() posts: PHP's http_build_query of the same $post_data."""
        lib = native.lib()
        with self._handle.use() as ptr:
            body = lib.spread_order_encode(ptr)
            if not body:
                raise native.fail()
        return native.take_string(body)

    # ------------------------------------------------------------------ from a PHP-shaped dict
    @classmethod
    def from_dict(cls, post_data: Mapping[str, Any]) -> Order:
        """An order from the seed's ``$post_data`` as a dict: ``{"data": {...}, "request":
        {"order_idorder": ...}}``, or just the ``data`` part. Keys keep their order, so
        encode() equals PHP's http_build_query of the same dict; None values are left out
        (as PHP leaves out null); unknown keys are kept as extra text. Lists are Python
        lists, custom_fields and consents dicts, product_attributes a list of lists.
        ``request[order_idorder]`` is always sent after data, as in the seed: a ``request``
        part may only repeat data's order_idorder."""
        data, request = _split(post_data)
        order = cls()
        try:
            for name, value in data.items():
                if value is not None:
                    order._put(name, value)
            _check_request(data, request)
        except BaseException:
            order.close()
            raise
        return order

    def _put(self, name: str, value: Any) -> None:
        """``$post_data["data"][name] = value`` on a new order."""
        append = _LISTS.get(name)
        if append is not None:
            append(self, *_items(name, value))
        elif name == "custom_fields":
            for fid, v in _mapping(name, value).items():
                if v is not None:
                    self.custom_field(fid, v)
        elif name == "consents":
            for consent, accepted in _mapping(name, value).items():
                if accepted is not None:
                    self.consent(_text("consents", consent), accepted)
        elif name == "product_attributes":
            for product in _items(name, value):
                self.add_product(_items(name, product))
        else:
            self.set(name, value)


_LISTS: Dict[str, Callable[..., Order]] = {
    "add_tag": Order.add_tag,
    "del_tag": Order.del_tag,
    "add_order_tag": Order.add_order_tag,
    "del_order_tag": Order.del_order_tag,
}


def _split(post_data: Mapping[str, Any]) -> Tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(data, request) from a seed-shaped dict, or (post_data, {}) from a bare data dict."""
    post_data = _mapping("post_data", post_data)
    if "data" not in post_data:
        return post_data, {}
    others = [k for k in post_data if k not in ("data", "request")]
    if others:
        raise InvalidValueError(f"post_data: only 'data' and 'request' can be sent, not {others[0]!r}")
    return _mapping("data", post_data["data"]), _mapping("request", post_data.get("request") or {})


def _check_request(data: Mapping[str, Any], request: Mapping[str, Any]) -> None:
    """libspread writes request[order_idorder] from data[order_idorder]: a request part
    may only confirm it."""
    others = [k for k in request if k != "order_idorder"]
    if others:
        raise InvalidValueError(f"request: only order_idorder can be sent, not {others[0]!r}")
    wanted = request.get("order_idorder")
    if wanted is None:
        return
    given = data.get("order_idorder")
    if given is None:
        raise MissingFieldError("order_idorder: request[order_idorder] is set but data[order_idorder] is not")
    if _text("request[order_idorder]", wanted) != _text("order_idorder", given):
        raise InvalidValueError(f"request[order_idorder]: {wanted!r} differs from "
                                f"data[order_idorder] {given!r}")
