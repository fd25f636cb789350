"""Exceptions raised by the binding, one class per libspread status code.

Every class carries ``.status`` (the C ``SpreadStatus`` number, or ``None`` for
errors that arise in Python before libspread is reached) and, as its text, the
library's message naming the field or the cause. The builtin bases let callers
catch them the usual way (``except ValueError``, ``except TimeoutError``).
"""

from __future__ import annotations

import builtins
from typing import ClassVar, Dict, Optional, Tuple, Type

__all__ = [
    "SpreadError", "LibraryError", "ClosedError", "InvalidUtf8Error", "InvalidValueError",
    "MissingFieldError", "ConfigError", "NetworkError", "TimeoutError", "TlsError",
    "RedirectError", "ApiError", "AuthError", "RejectedError", "ServerError", "SpoolIOError",
    "InternalError", "error_for_status",
]


class SpreadError(Exception):
    """Base of every libspread failure."""

    #: The SpreadStatus number this class stands for (None: not a libspread status).
    code: ClassVar[Optional[int]] = None
    #: Set by Client.flush() when it stops on this error: (delivered, remaining) so far.
    flush_result: Optional[Tuple[int, int]] = None
    #: The HTTP status SPREAD answered (401, 429, 503...), or None when the failure was
    #: not an answer (network, validation, configuration).
    http_status: Optional[int] = None

    def __init__(self, message: str, status: Optional[int] = None, http_status: Optional[int] = None) -> None:
        # One argument only: the OSError-based subclasses would read (errno, strerror) from two.
        super().__init__(message)
        self.message = message
        self.status = self.code if status is None else status
        self.http_status = http_status or None

    def __str__(self) -> str:
        return self.message


class LibraryError(SpreadError, OSError):
    """libspread could not be loaded (the message lists every path tried) or lacks a function."""


class ClosedError(SpreadError, ValueError):
    """A closed Client or Order was used (like I/O on a closed file)."""


class InternalError(SpreadError):
    """A bug in libspread or in this binding (NULL argument, caught panic): please report it."""

    code = 99


class NullArgumentError(InternalError):
    code = 10


class InvalidUtf8Error(SpreadError, ValueError):
    """A string was not valid UTF-8 (from Python: a lone surrogate such as "\\ud800")."""

    code = 11


class InvalidValueError(SpreadError, ValueError):
    """A value broke its field's rule; the order is unchanged."""

    code = 12


class MissingFieldError(SpreadError, ValueError):
    """A field SPREAD requires was not set."""

    code = 13


class ConfigError(SpreadError, ValueError):
    """The client configuration is wrong (URL, keys, CA file, timeout)."""

    code = 14


class NetworkError(SpreadError, ConnectionError):
    """The connection failed or broke: retrying later may work."""

    code = 20


class TimeoutError(NetworkError, builtins.TimeoutError):  # noqa: A001 - mirrors SPREAD_ERR_TIMEOUT
    """The time budget ran out."""

    code = 21


class TlsError(SpreadError):
    """TLS or certificate verification failed."""

    code = 22


class RedirectError(SpreadError):
    """A redirect was refused (too many, https to http, bad Location)."""

    code = 23


class ApiError(SpreadError):
    """SPREAD answered with an error."""


class AuthError(ApiError):
    """SPREAD refused the API keys (401/403)."""

    code = 30


class RejectedError(ApiError):
    """SPREAD rejected the request (another 4xx)."""

    code = 31


class ServerError(ApiError):
    """SPREAD failed (5xx)."""

    code = 32


class SpoolIOError(SpreadError, OSError):
    """A local file operation (the spool) failed."""

    code = 40


_BY_STATUS: Dict[int, Type[SpreadError]] = {
    cls.code: cls
    for cls in (NullArgumentError, InvalidUtf8Error, InvalidValueError, MissingFieldError,
                ConfigError, NetworkError, TimeoutError, TlsError, RedirectError, AuthError,
                RejectedError, ServerError, SpoolIOError, InternalError)
    if cls.code is not None
}


def error_for_status(status: int, message: str, http_status: Optional[int] = None) -> SpreadError:
    """The exception for a failing status (and the HTTP status SPREAD answered, if any);
    a number this binding does not know (a newer library) gives a plain SpreadError that
    still carries it."""
    cls = _BY_STATUS.get(status, SpreadError)
    return cls(message or f"libspread failed with status {status}", status, http_status)
