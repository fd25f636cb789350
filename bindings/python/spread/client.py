"""spread.Client: sends orders to SPREAD's updateOrder through libspread."""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple, Union

from . import _native as native
from .errors import ClosedError, ConfigError, InvalidValueError, SpreadError, error_for_status
from .order import Order

__all__ = ["Client", "Response", "FlushResult", "SendResult", "MAX_CONCURRENCY"]

#: The most threads one send_many() may use (libspread's limit).
MAX_CONCURRENCY = 32

_MISSING_FIELD = 13

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Response:
    """SPREAD's answer to a delivered order (status 2xx), or ``queued=True`` (status 0,
    empty body) when it could not be delivered now but was spooled for flush()."""

    status: int
    body: str
    queued: bool = False

    def json(self) -> Any:
        """The body parsed as JSON (SPREAD answers ``{"status": "ok", ...}``)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class SendResult:
    """What became of one order of Client.send_many().

    ``index`` is the order's position in the list given; ``status`` the libspread status,
    as send() would have met it: 0 (SPREAD_OK) delivered, 1 (SPREAD_QUEUED) spooled for
    flush(), otherwise the code of ``error``, the SpreadError send() would have raised
    (its message starts with ``orders[index]: ``). There is no HTTP status or body per
    order: libspread returns none for the orders of a batch.
    """

    index: int
    status: int
    error: Optional[SpreadError] = None

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


class FlushResult(NamedTuple):
    """What one flush() did: orders delivered, and orders still waiting in the spool."""

    delivered: int
    remaining: int


def _millis(field: str, seconds: object) -> int:
    """Seconds (int or float) as the milliseconds libspread takes; rounded up so that a
    tiny positive budget does not become 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{field}: expected seconds as int or float, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ConfigError(f"{field}: {seconds!r} is not a finite number of seconds")
    return native.uint32(math.ceil(seconds * 1000), f"{field} (ms)")


def _path(field: str, value: object) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{field}: expected a path, got {type(value).__name__}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise TypeError(f"{field}: expected a str path, got {type(path).__name__}")
    return path


class Client(native.HandleOwner):
    """A SPREAD client for the API keys of the back office ("Paramétrage > Tracker").

    ``base_url`` defaults to https://social-sb.com/api (plain http only to loopback unless
    ``allow_insecure_http``); ``timeout`` (total, default 30) and ``connect_timeout``
    (default 10) are in seconds and never infinite; ``ca_file`` trusts only that PEM file;
    ``spool_dir`` keeps orders that could not be delivered for flush(), ``max_attempts``
    bounds their delivery attempts.

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
        allow_insecure_http: bool = False,
        max_attempts: Optional[int] = None,
    ) -> None:
        lib = native.lib()
        ptr = lib.spread_client_new(native.to_c(public_key, "public_key", ConfigError),
                                    native.to_c(private_key, "private_key", ConfigError))
        if not ptr:
            raise native.fail(ConfigError)  # InvalidUtf8Error for "\ud800", ConfigError for ""
        self._handle = native.Handle(ptr, lib.spread_client_free, "Client", exclusive=False)
        try:
            if not isinstance(allow_insecure_http, bool):
                raise TypeError(f"allow_insecure_http: expected bool, got {type(allow_insecure_http).__name__}")
            if allow_insecure_http:  # before base_url, which it allows
                self._call(lib.spread_client_set_allow_insecure_http, True)
            if base_url is not None:
                self._call(lib.spread_client_set_base_url, native.to_c(base_url, "base_url", ConfigError))
            if timeout is not None:
                self._call(lib.spread_client_set_timeout_ms, _millis("timeout", timeout))
            if connect_timeout is not None:
                self._call(lib.spread_client_set_connect_timeout_ms, _millis("connect_timeout", connect_timeout))
            if ca_file is not None:
                self._call(lib.spread_client_set_ca_file,
                           native.to_c(_path("ca_file", ca_file), "ca_file", ConfigError))
            if spool_dir is not None:
                self._call(native.require("spread_client_set_spool_dir", "spool_dir"),
                           native.to_c(_path("spool_dir", spool_dir), "spool_dir", ConfigError))
            if max_attempts is not None:
                self._call(native.require("spread_client_set_max_attempts", "max_attempts"),
                           native.uint32(max_attempts, "max_attempts"))
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:  # no key in it, ever
        return f"<spread.Client {'closed' if self.closed else 'open'}>"

    def _call(self, fn: Any, *args: Any) -> int:
        with self._handle.use() as ptr:
            return native.check(fn(ptr, *args))

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
        with self._handle.use() as client, order._handle.use() as o:
            status = native.check(lib.spread_send(client, o, ctypes.byref(out)))
        if status == native.SPREAD_QUEUED:
            return Response(status=0, body="", queued=True)
        try:
            body = lib.spread_response_body(out).decode("utf-8", "replace")
            return Response(status=lib.spread_response_status(out), body=body)
        finally:
            lib.spread_response_free(out)

    def update_order(self, post_data: Mapping[str, Any]) -> Response:
        """Sends the seed's ``$post_data`` given as a dict (see Order.from_dict)."""
        with Order.from_dict(post_data) as order:
            return self.send(order)

    def send_many(self, orders: Iterable[Union[Order, Mapping[str, Any]]],
                  concurrency: int = 8) -> List[SendResult]:
        """Sends `orders` (spread.Order objects, or dicts as update_order() takes them) on
        up to `concurrency` threads (1 to 32) and blocks until each one is delivered,
        queued (with a spool) or failed. Returns one SendResult per order, in order; a
        failed order does not stop the others, and nothing is raised for it.

        Each order goes as send() would send it (validation, retries, Retry-After, spool);
        when SPREAD asks to wait (429/503 Retry-After), all the senders wait together. A
        dict that Order.from_dict refuses (InvalidValueError...) is not sent and fails
        alone. Raised before anything is sent: TypeError for an item that is neither an
        Order nor a dict (or a dict with a value of the wrong type), ConfigError for a
        concurrency out of range, ClosedError for a closed Order or client.

        libspread details the first failed order only (message and ``http_status``); a
        later failure has its status, a missing field's message, and else the status name.
        Other threads keep running meanwhile (the GIL is released); the Orders are held for
        the call, so a thread changing one of them waits for it to end.
        """
        fn = native.require("spread_send_many", "send_many()")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError(f"concurrency: expected int, got {type(concurrency).__name__}")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ConfigError(f"concurrency: {concurrency} is out of range (1 to {MAX_CONCURRENCY})")
        if isinstance(orders, (str, bytes, Mapping)) or not isinstance(orders, Iterable):
            raise TypeError("send_many() expects a list of spread.Order or dicts, got "
                            f"{type(orders).__name__}" + (" (for one order use update_order())"
                                                          if isinstance(orders, Mapping) else ""))
        items = list(orders)
        for i, item in enumerate(items):
            if isinstance(item, Order):
                if item.closed:
                    raise ClosedError(f"orders[{i}]: this Order is closed")
            elif not isinstance(item, Mapping):
                raise TypeError(f"orders[{i}]: expected a spread.Order or a dict, got {type(item).__name__}")
        results: List[Optional[SendResult]] = [None] * len(items)
        built: List[Order] = []  # made here from dicts: closed at the end
        batch: List[Tuple[int, Order]] = []
        try:
            for i, item in enumerate(items):
                if isinstance(item, Order):
                    batch.append((i, item))
                    continue
                try:
                    order = Order.from_dict(item)
                except SpreadError as e:  # bad data in this one: it fails alone
                    error = type(e)(f"orders[{i}]: {e.message}", e.status, e.http_status)
                    error.__cause__ = e
                    results[i] = SendResult(i, e.status or InvalidValueError.code, error)
                    continue
                except TypeError as e:
                    raise TypeError(f"orders[{i}]: {e}") from None
                built.append(order)
                batch.append((i, order))
            if batch:
                self._send_batch(fn, batch, concurrency, results)
        finally:
            for order in built:
                order.close()
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _send_batch(self, fn: Any, batch: List[Tuple[int, Order]], concurrency: int,
                    results: List[Optional[SendResult]]) -> None:
        """One spread_send_many call for `batch` ((index, order) pairs); fills `results`."""
        lib = native.lib()
        n = len(batch)
        # Each distinct Order is held once (a list may repeat one), in a fixed order (by
        # id) so that two threads sending overlapping batches cannot deadlock.
        distinct = sorted({id(order): order for _, order in batch}.values(), key=id)
        with contextlib.ExitStack() as held:
            client = held.enter_context(self._handle.use())
            ptrs: Dict[int, int] = {id(order): held.enter_context(order._handle.use()) for order in distinct}
            array = (ctypes.c_void_p * n)(*(ptrs[id(order)] for _, order in batch))
            statuses = (ctypes.c_int * n)(*([-1] * n))  # -1: not written (the call itself failed)
            status = fn(client, array, n, concurrency, statuses)
            detail = None  # libspread's message and HTTP status for the first failed order
            if status not in (native.SPREAD_OK, native.SPREAD_QUEUED):
                detail = (native.last_error(), native.last_http_status())
            first: Optional[int] = None
            for k, (i, order) in enumerate(batch):
                code = statuses[k]
                if code in (native.SPREAD_OK, native.SPREAD_QUEUED):
                    results[i] = SendResult(i, code)
                    continue
                if code < 0:
                    code = status
                if first is None and detail is not None:
                    first = i
                    message, http_status = detail
                    own = f"orders[{k}]: "  # libspread's index is into this batch
                    message = message[len(own):] if message.startswith(own) else message
                    error = error_for_status(code, f"orders[{i}]: {message}", http_status)
                elif code == _MISSING_FIELD and lib.spread_order_validate(ptrs[id(order)]) == _MISSING_FIELD:
                    error = error_for_status(code, f"orders[{i}]: {native.last_error()}")
                else:
                    error = error_for_status(code, f"orders[{i}]: {native.status_name(code)} (libspread "
                                                   f"details the first failed order only: orders[{first}])")
                results[i] = SendResult(i, code, error)
            if detail is not None and first is None:  # a failure of the call, not of an order
                raise error_for_status(status, detail[0], detail[1])

    # ------------------------------------------------------------------ the spool
    def flush(self) -> FlushResult:
        """Delivers the orders waiting in the spool, oldest first; orders SPREAD rejects
        are set aside in the spool's rejected/ folder. A failure that may pass (network,
        timeout, 5xx, 429) stops the flush and is raised, with ``.flush_result`` telling
        what was done before it. Another flush in progress makes this one a no-op."""
        fn = native.require("spread_flush", "flush()")
        delivered, remaining = ctypes.c_size_t(), ctypes.c_size_t()
        try:
            self._call(fn, ctypes.byref(delivered), ctypes.byref(remaining))
        except SpreadError as e:
            e.flush_result = FlushResult(delivered.value, remaining.value)
            raise
        return FlushResult(delivered.value, remaining.value)

    @property
    def pending(self) -> int:
        """How many orders wait in the spool."""
        fn = native.require("spread_spool_pending", "pending")
        count = ctypes.c_size_t()
        self._call(fn, ctypes.byref(count))
        return count.value
