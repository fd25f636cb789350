"""Send customer orders to the SPREAD CRM from Python, through libspread (the Rust core).

    import spread

    with spread.Client("PUBLIC_KEY", "PRIVATE_KEY") as client:
        response = client.update_order(post_data)   # the seed's $post_data as a dict
        print(response.status, response.body)

The library is found through SPREAD_LIBRARY, else the copy bundled with the package,
else target/release of a source checkout; it is loaded on first use.
"""

from __future__ import annotations

from pathlib import Path

from . import _native
from .client import MAX_CONCURRENCY, Client, FlushResult, Response, SendResult
from .errors import (ApiError, AuthError, ClosedError, ConfigError, InternalError,
                     InvalidUtf8Error, InvalidValueError, LibraryError, MissingFieldError,
                     NetworkError, RedirectError, RejectedError, ServerError, SpoolIOError,
                     SpreadError, TimeoutError, TlsError)
from .order import Order, field_names

__all__ = [
    "Client", "Order", "Response", "FlushResult", "SendResult", "MAX_CONCURRENCY", "field_names", "library_path",
    "library_version", "SpreadError", "LibraryError", "ClosedError", "InvalidUtf8Error",
    "InvalidValueError", "MissingFieldError", "ConfigError", "NetworkError", "TimeoutError",
    "TlsError", "RedirectError", "ApiError", "AuthError", "RejectedError", "ServerError",
    "SpoolIOError", "InternalError",
]


def library_path() -> Path:
    """The libspread file in use (loading it if needed)."""
    return _native.library_path()


def library_version() -> str:
    """libspread's version, such as "0.1.0"."""
    return _native.version()
