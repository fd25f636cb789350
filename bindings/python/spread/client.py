"""spread.Client: sends orders to SPREAD's updateOrder through libspread."""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import threading
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Tuple, Type,
                    TypedDict, TypeVar, Union, cast)

from . import _logging
from . import _native as native
from .errors import ClosedError, ConfigError, InvalidValueError, SpreadError, error_for_status
from .order import Order

__all__ = ["Client", "Response", "FlushResult", "SendResult", "SpoolStatus", "RejectedEntry"]

_C = TypeVar("_C", bound="Client")

PathLike = Union[str, "os.PathLike[str]"]
#: What send_many() and enqueue() take: an Order, or a dict as update_order() takes it.
OrderLike = Union[Order, Mapping[str, Any]]


@dataclass(frozen=True)
class Response:
    """SPREAD's answer to a delivered order (``status`` 2xx), or ``queued=True`` (status 0,
    empty body) when the order is not delivered yet but safe on disk in the spool: a
    background thread (enqueue) or a later flush() delivers it.

    ``warnings`` lists what the lenient drop-in path (update_order, from_dict) sent as is
    although it breaks a rule; ``truncated`` says SPREAD's answer was longer than 1 MiB
    and was cut (the order was delivered all the same)."""

    status: int
    body: str
    queued: bool = False
    warnings: List[str] = field(default_factory=list)
    truncated: bool = False

    def json(self) -> Any:
        """The body parsed as JSON (SPREAD answers ``{"status": "ok", ...}``)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class SendResult:
    """What became of one order of Client.send_many().

    ``index`` is the order's position in the list given; ``status`` the libspread status:
    0 (SPREAD_OK) delivered, 1 (SPREAD_QUEUED) spooled, otherwise the code of ``error``,
    the SpreadError send() would have raised for it, with libspread's ``message``
    (``orders[3]: order_state: 7 is not one of ...``) and ``http_status`` (the status
    SPREAD answered, or None when the failure was not an answer).
    """

    index: int
    status: int
    error: Optional[SpreadError] = None
    http_status: Optional[int] = None
    message: str = ""

    @property
    def delivered(self) -> bool:
        """SPREAD accepted the order (a 2xx)."""
        return self.status == native.SPREAD_OK

    @property
    def queued(self) -> bool:
        """Not delivered now, but spooled on disk for flush()."""
        return self.status == native.SPREAD_QUEUED

    @property
    def failed(self) -> bool:
        """Neither delivered nor queued: see ``error``."""
        return self.error is not None


class SpoolStatus(TypedDict):
    """Client.spool_status(): the spool's counts from this client's point of view."""

    #: This client's orders waiting.
    pending: int
    #: Entries of other destinations (another base URL or key), left alone.
    foreign: int
    #: Entries written by libspread 0.1, destination unknown.
    legacy: int
    #: Orders SPREAD refused for their content, in rejected/.
    rejected: int
    #: Complete files that are not entries, in unreadable/.
    unreadable: int
    #: Age of the oldest pending order in seconds; None when nothing is pending.
    oldest_secs: Optional[int]
    #: Entries of this public key under another base URL (see adopt()).
    stranded: int
    #: Age of the oldest stranded entry in seconds; None when none.
    stranded_oldest_secs: Optional[int]


class RejectedEntry(TypedDict):
    """One order SPREAD refused (Client.rejected()); it holds the customer's data."""

    #: Its file name in rejected/: what requeue() takes.
    name: str
    order_id: Optional[str]
    #: SPREAD's answer when it refused it.
    answer: str
    #: Seconds since it was set aside.
    age_secs: int
    #: Its destination's base URL (None for a libspread 0.1 entry).
    base_url: Optional[str]


#: What Client.from_env() passes to libspread, which reads the keys file and the secrets
#: (the keys never enter Python): spread_client_new_from_env.
_SECRET_VARIABLES = ("SPREAD_KEYS_FILE", "CREDENTIALS_DIRECTORY", "SPREAD_PUBLIC_KEY", "SPREAD_PRIVATE_KEY",
                     "SPREAD_PROXY")


class _FromEnv:
    """Client.from_env()'s stand-in for the keys: the variables libspread reads them from."""

    def __init__(self, environ_json: bytes) -> None:
        self.environ_json = environ_json


class FlushResult(NamedTuple):
    """What one flush() did: orders delivered, and orders still waiting in the spool."""

    delivered: int
    remaining: int


def _millis(field: str, seconds: object, per_second: int = 1000, bits: int = 32) -> int:
    """Seconds (int or float) as the whole milliseconds (or other unit) libspread takes;
    rounded up so that a tiny positive budget does not become 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{field}: expected seconds as int or float, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ConfigError(f"{field}: {seconds!r} is not a finite number of seconds")
    unit = f"{field} (ms)" if per_second == 1000 else field
    return native.uint(math.ceil(seconds * per_second), unit, bits)


#: Client() parameters that are not libspread options (``strict`` is this binding's).
_NOT_LIBSPREAD_OPTIONS = ("self", "public_key", "private_key", "strict")


def keyword_of(option: native.OptionSpec) -> str:
    """The Client() keyword of a libspread option: its name, but times are in seconds
    here (``timeout`` for ``timeout_ms``)."""
    if option.type == "milliseconds" and option.name.endswith("_ms"):
        return option.name[:-3]
    return option.name


def _option_text(option: native.OptionSpec, keyword: str, value: object) -> bytes:
    """A keyword's value as the text spread_client_set_option takes, checked for its type."""
    if option.type == "milliseconds":
        text = str(_millis(keyword, value))
    elif option.type == "integer":
        text = str(native.uint(value, keyword))
    elif option.type == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"{keyword}: expected bool, got {type(value).__name__}")
        text = "true" if value else "false"
    elif option.type in ("path", "choice"):
        text = _path(keyword, value)
    else:
        return native.to_c(value, keyword, ConfigError)
    return native.to_c(text, keyword, ConfigError)


def _path(field: str, value: object) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{field}: expected a path, got {type(value).__name__}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise TypeError(f"{field}: expected a str path, got {type(path).__name__}")
    return path


class Client(native.HandleOwner):
    """A SPREAD client for the API keys of the back office ("Paramétrage > Tracker").

    Options (times in seconds, never infinite):

    - ``base_url`` (default https://social-sb.com/api; plain http only to loopback unless
      ``allow_insecure_http``), ``timeout`` (one send, all retries included: 30),
      ``connect_timeout`` (10), ``max_attempts`` (3);
    - ``proxy`` (an HTTP CONNECT proxy URL, never used for loopback; proxy environment
      variables are ignored), ``tls_roots`` ("system", the default, "bundled", or a PEM
      file's path), ``ca_file`` (the same as a path in ``tls_roots``);
    - ``spool_dir`` (orders that cannot be delivered now wait there; needed by enqueue()),
      ``flush_budget`` (how long one flush() may run: 240), ``shutdown_timeout`` (how long
      close() waits for the background delivery of enqueued orders: 2),
      ``delivery_concurrency`` (orders of different ids flush() and the background
      delivery keep in flight at once, 1 to 32: 8);
    - ``strict`` (update_order, enqueue and send_many refuse a dict whose optional
      fields break their rules, instead of sending them as is with a warning);
    - ``app_info`` (your application, appended to the User-Agent: ``"MyShop/2.1"``
      sends ``libspread/0.1.0 MyShop/2.1``; printable ASCII, at most 128 bytes).

    ``Client.from_env()`` takes the keys and options from the environment and a keys
    file, as the ``spread`` command does.

    Log records go to the ``spread`` logger, at the level it has when each record is made
    (``logging.config.dictConfig`` after the client was made is obeyed).
    Share one client between threads: sends run in parallel. close() (or a ``with``
    block) waits for sends in progress, then frees it; a closed client raises ClosedError.
    """

    def __init__(
        self,
        public_key: str,
        private_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        spool_dir: Optional[PathLike] = None,
        ca_file: Optional[PathLike] = None,
        tls_roots: Optional[PathLike] = None,
        proxy: Optional[str] = None,
        allow_insecure_http: bool = False,
        max_attempts: Optional[int] = None,
        flush_budget: Optional[float] = None,
        shutdown_timeout: Optional[float] = None,
        delivery_concurrency: Optional[int] = None,
        strict: bool = False,
        app_info: Optional[str] = None,
    ) -> None:
        # The keywords as given, but for the keys and those this binding handles itself.
        given: Dict[str, Any] = {k: v for k, v in locals().items() if k not in _NOT_LIBSPREAD_OPTIONS}
        lib = native.lib()
        if isinstance(public_key, _FromEnv):  # from_env(): the keys file is read by libspread
            ptr = lib.spread_client_new_from_env(public_key.environ_json)
        else:
            ptr = lib.spread_client_new(native.to_c(public_key, "public_key", ConfigError),
                                        native.to_c(private_key, "private_key", ConfigError))
        if not ptr:
            raise native.fail()  # InvalidUtf8Error for "\ud800", ConfigError for ""
        try:
            records = _logging.Records(ptr)  # first, so that what the settings say is logged
        except BaseException:
            lib.spread_client_free(ptr)
            raise

        def free(ptr: int) -> None:  # not a method: the handle must not keep the client alive
            # The bounded wait for the background delivery of what this client enqueued,
            # with the handle still valid: its last records reach the callback meanwhile.
            lib.spread_client_close(ptr)
            records.silence(ptr)  # no callback runs after this (free would silence it too)
            lib.spread_client_free(ptr)

        self._handle = native.Handle(ptr, free, "Client", exclusive=False)
        _logging.track(self)
        try:
            if not isinstance(strict, bool):
                raise TypeError(f"strict: expected bool, got {type(strict).__name__}")
            self._strict = strict
            # libspread's option table drives the rest: every value converted (and
            # refused, naming its keyword) before any is set, in any order; the rules
            # between options are checked once all are set.
            settings: List[Tuple[bytes, bytes]] = []
            for option in native.options():
                keyword = keyword_of(option)
                value = given.pop(keyword, None)
                if value is not None:
                    settings.append((option.name.encode(), _option_text(option, keyword, value)))
            for keyword, value in given.items():
                if value is not None:  # a keyword of this binding the library loaded lacks
                    raise ConfigError(f"{keyword}: not an option of the libspread loaded ({native.library_path()})")
            for name, text in settings:
                self._call(lib.spread_client_set_option, name, text)
            self._call(lib.spread_client_check)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:  # no key in it, ever
        return f"<spread.Client {'closed' if self.closed else 'open'}>"

    @classmethod
    def from_env(cls: Type[_C], *, environ: Optional[Mapping[str, str]] = None, **options: Any) -> _C:
        """A client configured as the ``spread`` command is: the keys from the keys file
        named by SPREAD_KEYS_FILE (``SPREAD_PUBLIC_KEY=...`` lines, mode 0600 or 0640,
        owned by you or root), then systemd credentials (CREDENTIALS_DIRECTORY), then
        SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY, all read by libspread (the keys never
        enter Python); SPREAD_PROXY likewise; SPREAD_BASE_URL, SPREAD_SPOOL
        (``spool_dir``) and SPREAD_APP_INFO from the environment. Keyword options (as
        Client() takes them) win over the environment; ``environ`` defaults to os.environ."""
        env = os.environ if environ is None else environ
        # The secrets (keys file, systemd credentials, SPREAD_*_KEY, SPREAD_PROXY) are read by
        # libspread, as the CLI reads them: one reader, and the private key stays in it.
        secrets = {name: env[name] for name in _SECRET_VARIABLES if isinstance(env.get(name), str)}
        # The options read from the environment are libspread's (its table's ``env``), as the
        # ``spread`` command reads them.
        for spec in native.options():
            found = (env.get(spec.env) or None) if spec.env else None
            if found is not None and spec.name not in options:
                options[spec.name] = found
        return cls(_FromEnv(json.dumps(secrets).encode()), "", **options)  # type: ignore[arg-type]

    def close(self) -> None:
        """Waits for the calls in progress, then for the background delivery of what this
        client enqueued (at most ``shutdown_timeout``; its records are still logged), turns
        its logging off and frees it; later uses raise ClosedError. Idempotent."""
        _close(self._handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            _close(handle)

    @contextlib.contextmanager
    def _use(self) -> Iterator[int]:
        """The native client for one call (whose records a failing handler stops)."""
        with _logging.one_call(), self._handle.use() as ptr:
            yield ptr

    def _call(self, fn: Callable[..., int], *args: Any) -> int:
        with self._use() as ptr:
            return native.check(fn(ptr, *args))

    @contextlib.contextmanager
    def _order(self, order: OrderLike, what: str) -> Iterator[Order]:
        """`order` itself, or an Order made from a dict (closed afterwards)."""
        if isinstance(order, Order):
            yield order
        elif isinstance(order, Mapping):
            with Order.from_dict(order, strict=self._strict) as made:
                yield made
        else:
            raise TypeError(f"{what}() expects a spread.Order or a dict, got {type(order).__name__}")

    # ------------------------------------------------------------------ sending
    def send(self, order: Order) -> Response:
        """Validates `order` and posts it to updateOrder, blocking for at most `timeout`.
        Raises a SpreadError subclass (MissingFieldError, NetworkError, TimeoutError,
        AuthError, RejectedError, ServerError, ...) unless SPREAD accepted it or, with a
        spool, it was queued. Sending the same order_idorder again updates the order."""
        if not isinstance(order, Order):
            raise TypeError(f"send() expects a spread.Order, got {type(order).__name__} "
                            "(use update_order() for a dict)")
        lib = native.lib()
        out = ctypes.c_void_p()
        with self._use() as client, order._handle.use() as o:
            status = native.check(lib.spread_send(client, o, ctypes.byref(out)))
        if status == native.SPREAD_QUEUED:
            return Response(status=0, body="", queued=True, warnings=order.warnings)
        try:
            return Response(
                status=lib.spread_response_status(out),
                body=lib.spread_response_body(out).decode("utf-8", "replace"),
                warnings=[lib.spread_response_warning(out, i).decode("utf-8", "replace")
                          for i in range(lib.spread_response_warning_count(out))],
                truncated=lib.spread_response_truncated(out),
            )
        finally:
            lib.spread_response_free(out)

    def update_order(self, post_data: Mapping[str, Any]) -> Response:
        """Sends the seed's ``$post_data`` given as a dict, exactly as PHP's
        http_build_query would (see Order.from_dict; ``strict`` as the client's)."""
        with self._order(post_data, "update_order") as order:
            return self.send(order)

    def enqueue(self, order: OrderLike) -> Response:
        """Validates `order` (an Order or a post_data dict), writes it durably to the
        spool and returns at once with ``queued=True``: a background thread of this
        process delivers it, oldest first, with the usual retries. Validation errors are
        raised here; without a ``spool_dir`` it is a ConfigError. If the process dies,
        the next flush (any process, the cron ``spread flush``) delivers it."""
        with self._order(order, "enqueue") as o:
            with self._use() as client, o._handle.use() as ptr:
                native.check(native.lib().spread_enqueue(client, ptr))
            return Response(status=0, body="", queued=True, warnings=o.warnings)

    def send_many(self, orders: Iterable[OrderLike], concurrency: int = 8,
                  progress: Optional[Callable[[int, int], None]] = None) -> List[SendResult]:
        """Sends `orders` (spread.Order objects, or dicts as update_order() takes them) on
        up to `concurrency` threads (1 to spread.MAX_CONCURRENCY) and blocks until each one
        is delivered, queued (with a spool) or failed. Returns one SendResult per order, in
        order; a failed order stops nothing and raises nothing -- also an entry that is
        neither an Order nor a dict, or a dict that cannot become an order.

        Updates of the same order_idorder are sent one after the other, in list order;
        when SPREAD asks to wait (429/503 Retry-After), all the senders wait together.
        ``progress(done, total)`` is called on this thread at most every 100 ms and once
        at the end; if it raises, it is not called again and its exception is raised once
        every order is finished. Other threads keep running (the GIL is released); the
        Orders are held for the call, so a thread changing one of them waits for it.
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError(f"concurrency: expected int, got {type(concurrency).__name__}")
        if isinstance(orders, (str, bytes, Mapping)) or not isinstance(orders, Iterable):
            raise TypeError("send_many() expects a list of spread.Order or dicts, got "
                            f"{type(orders).__name__}" + (" (for one order use update_order())"
                                                          if isinstance(orders, Mapping) else ""))
        items = list(orders)
        # Closed Orders are a mistake in the program, not in the data: refused before anything is sent.
        for i, item in enumerate(items):
            if isinstance(item, Order) and item.closed:
                raise ClosedError(f"orders[{i}]: this Order is closed")
        with contextlib.ExitStack() as made:
            slots: List[Optional[Order]] = []
            refused: Dict[int, SendResult] = {}  # entries that never became an order
            for i, item in enumerate(items):
                try:
                    slots.append(made.enter_context(self._order(item, "send_many")))
                except (SpreadError, TypeError) as e:
                    refused[i] = _refused(i, e)
                    slots.append(None)  # NULL: libspread fails it alone, we report why
            return self._send_batch(slots, native.uint(concurrency, "concurrency"), progress, refused)

    def _send_batch(self, slots: List[Optional[Order]], concurrency: int,
                    progress: Optional[Callable[[int, int], None]], refused: Dict[int, SendResult]) -> List[SendResult]:
        """One spread_send_batch call; libspread's indices are the caller's."""
        lib = native.lib()
        n = len(slots)
        reporter = _Progress(progress)
        # Each distinct Order is held once (a list may repeat one), in a fixed order (by
        # id) so that two threads sending overlapping batches cannot deadlock.
        distinct = sorted({id(o): o for o in slots if o is not None}.values(), key=id)
        batch = ctypes.c_void_p()
        with contextlib.ExitStack() as held:
            client = held.enter_context(self._use())
            ptrs = {id(o): held.enter_context(o._handle.use()) for o in distinct}
            array = (ctypes.c_void_p * n)(*(None if o is None else ptrs[id(o)] for o in slots))
            status = lib.spread_send_batch(client, array, n, concurrency, reporter.callback, None,
                                           ctypes.byref(batch))
            if not batch:  # the call failed before looking at the orders
                raise native.last_failure(status)
        try:
            results = [refused.get(i) or _result(batch, i) for i in range(lib.spread_batch_len(batch))]
        finally:
            lib.spread_batch_free(batch)
        reporter.reraise()
        return results

    # ------------------------------------------------------------------ the spool
    def flush(self) -> FlushResult:
        """Delivers the orders waiting in the spool, oldest first, within ``flush_budget``;
        orders SPREAD refuses for their content are set aside in the spool's rejected/
        folder. Any other failure (network, timeout, 5xx, 429, 404...) stops the flush and
        is raised, with ``.flush_result`` telling what was done before it. Another flush
        in progress makes this one a no-op."""
        delivered, remaining = ctypes.c_size_t(), ctypes.c_size_t()
        try:
            self._call(native.lib().spread_flush, ctypes.byref(delivered), ctypes.byref(remaining))
        except SpreadError as e:
            e.flush_result = FlushResult(delivered.value, remaining.value)
            raise
        return FlushResult(delivered.value, remaining.value)

    @property
    def pending(self) -> int:
        """How many of this client's orders wait in the spool."""
        count = ctypes.c_size_t()
        self._call(native.lib().spread_spool_pending, ctypes.byref(count))
        return count.value

    def spool_status(self) -> SpoolStatus:
        """The spool's counts: ``{"pending": 3, "foreign": 0, "rejected": 1,
        "oldest_secs": 42, ...}`` (see SpoolStatus; ``foreign``: entries of other
        destinations)."""
        return cast(SpoolStatus, self._spool_json(native.lib().spread_spool_status_json))

    def rejected(self) -> List[RejectedEntry]:
        """The orders SPREAD refused, oldest first: ``name`` (for requeue()), ``order_id``,
        ``answer`` (SPREAD's), ``age_secs``, ``base_url`` (see RejectedEntry)."""
        return cast(List[RejectedEntry], self._spool_json(native.lib().spread_spool_rejected_json))

    def requeue(self, name: Optional[str] = None) -> int:
        """Puts the rejected entry `name` (or all of this client's) back in the queue;
        returns how many."""
        count = ctypes.c_size_t()
        self._call(native.lib().spread_spool_requeue, None if name is None else native.to_c(name, "name"),
                   ctypes.byref(count))
        return count.value

    def purge_rejected(self, older_than: float = 0) -> int:
        """Deletes the rejected entries set aside at least `older_than` seconds ago (0: all);
        returns how many."""
        count = ctypes.c_size_t()
        seconds = _millis("older_than", older_than, per_second=1, bits=64)
        self._call(native.lib().spread_spool_purge_rejected, seconds, ctypes.byref(count))
        return count.value

    def adopt(self, from_base_url: Optional[str] = None, from_public_key: Optional[str] = None) -> int:
        """Moves the spooled orders of an old base URL (``from_base_url``) or an old
        public key (``from_public_key``) to this client's destination, each keeping its
        place in the queue; returns how many. ``spool_status()["stranded"]`` counts
        those of this key under another base URL. Never done automatically."""
        count = ctypes.c_size_t()
        url = None if from_base_url is None else native.to_c(from_base_url, "from_base_url")
        key = None if from_public_key is None else native.to_c(from_public_key, "from_public_key")
        self._call(native.lib().spread_spool_adopt, url, key, ctypes.byref(count))
        return count.value

    def _spool_json(self, fn: Callable[[int], Optional[int]]) -> Any:
        with self._use() as ptr:
            return json.loads(native.take_string(fn(ptr)))


def _close(handle: native.Handle) -> None:
    """Closes a client's handle; from a log handler (on a thread libspread is logging
    from), on a thread of its own: closing there would wait for that very callback."""
    if _logging.in_callback():
        threading.Thread(target=handle.close, name="spread-close").start()
    else:
        handle.close()


def _refused(index: int, e: Exception) -> SendResult:
    """The result of an entry that could not become an order: libspread's refusal, or
    a value of the wrong type (an InvalidValueError saying which)."""
    error = e if isinstance(e, SpreadError) else InvalidValueError(str(e))
    assert error.status is not None  # the library's classes, the library loaded
    message = f"orders[{index}]: {error.message}"
    failure = type(error)(message, error.status, error.http_status)
    failure.__cause__ = e
    return SendResult(index, error.status, failure, error.http_status, message)


def _result(batch: ctypes.c_void_p, i: int) -> SendResult:
    lib = native.lib()
    status = lib.spread_batch_status(batch, i)
    if status in (native.SPREAD_OK, native.SPREAD_QUEUED):
        return SendResult(i, status)
    message = lib.spread_batch_message(batch, i).decode("utf-8", "replace")
    http_status = lib.spread_batch_http_status(batch, i) or None
    return SendResult(i, status, error_for_status(status, message, http_status), http_status, message)


class _Progress:
    """The caller's progress callable as a SpreadProgressFn (called on this thread)."""

    def __init__(self, progress: Optional[Callable[[int, int], None]]) -> None:
        if progress is not None and not callable(progress):
            raise TypeError(f"progress: expected a callable (done, total), got {type(progress).__name__}")
        self._progress = progress
        self._error: Optional[BaseException] = None
        self.callback = native.PROGRESS_FN(self._call) if progress is not None else native.PROGRESS_FN()

    def _call(self, _user_data: Optional[int], done: int, total: int) -> None:
        if self._progress is None or self._error is not None:
            return
        try:
            self._progress(done, total)
        except BaseException as e:  # noqa: BLE001 - raised again once the batch is over
            self._error = e

    def reraise(self) -> None:
        if self._error is not None:
            raise self._error
