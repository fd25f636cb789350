"""Send customer orders to the SPREAD CRM from Python, through libspread (the Rust core).

    import spread

    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY") as client:
        response = client.update_order(post_data)   # the seed's $post_data as a dict
        print(response.status, response.body)

The library is found through SPREAD_LIBRARY, else the copy bundled with the package,
else target/release of a source checkout; it is loaded on first use, and refused
unless its ABI version is the one this package was written for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import _native
from ._logging import ROOT as LOGGER_NAME
from .aio import AsyncClient
from .client import Client, FlushResult, RejectedEntry, Response, SendResult, SpoolStatus
from .errors import (ApiError, AuthError, ClosedError, ConfigError, EndpointError, InternalError,
                     InvalidUtf8Error, InvalidValueError, IoError, LibraryError, MissingFieldError,
                     NetworkError, NullArgumentError, RedirectError, RejectedError, ServerError,
                     SpoolIOError, SpreadError, TimeoutError, TlsError)
from .order import Order, OrderFields, field_names
from .state import OrderState

__all__ = [
    "Client", "AsyncClient", "Order", "OrderFields", "OrderState", "Response", "FlushResult", "SendResult",
    "SpoolStatus", "RejectedEntry", "MAX_CONCURRENCY",
    "ABI_VERSION", "LOGGER_NAME", "field_names", "library_path", "library_version", "max_concurrency",
    "SpreadError", "LibraryError", "ClosedError", "NullArgumentError", "InvalidValueError",
    "InvalidUtf8Error", "MissingFieldError", "ConfigError", "NetworkError", "TimeoutError", "TlsError",
    "RedirectError", "ApiError", "AuthError", "RejectedError", "ServerError", "EndpointError",
    "IoError", "SpoolIOError", "InternalError",
]

#: The libspread ABI version this package is written for (SPREAD_ABI_VERSION).
ABI_VERSION = _native.ABI_VERSION

#: The most threads one send_many() may use: libspread's limit, read from the library
#: on first access (``import spread`` never loads it).
MAX_CONCURRENCY: int


def library_path() -> Path:
    """The libspread file in use (loading it if needed)."""
    return _native.library_path()


def library_version() -> str:
    """libspread's version, such as "0.1.0"."""
    return _native.version()


def max_concurrency() -> int:
    """The most threads one send_many() may use (libspread's limit)."""
    return _native.max_concurrency()


if not TYPE_CHECKING:  # for type checkers MAX_CONCURRENCY is the int declared above

    def __getattr__(name: str) -> int:
        if name == "MAX_CONCURRENCY":
            return max_concurrency()
        raise AttributeError(f"module 'spread' has no attribute {name!r}")
