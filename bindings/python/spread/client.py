"""spread.Client: sends orders to SPREAD's updateOrder through libspread."""

from __future__ import annotations

import ctypes
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional, TypeVar, Union

from . import _native as native
from .errors import ConfigError, SpreadError
from .order import Order

__all__ = ["Client", "Response", "FlushResult"]

_C = TypeVar("_C", bound="Client")
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


class Client:
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
            raise native.fail(ConfigError)
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

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Waits for sends in progress, then frees the native client. Idempotent."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # safety net for clients never closed
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()

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
