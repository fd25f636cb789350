"""Exceptions raised by the binding: one tree, the library's.

libspread names the class of every status (``spread_status_class``) and the parent
of every class (``spread_class_parent``, also of ``Api``, which only groups others):
``Timeout`` under ``Network``, ``InvalidUtf8`` under ``InvalidValue``, ``Auth``/
``Rejected``/``Server``/``Endpoint`` under ``Api``, ``Api`` and the others under the
root, ``Error``. Here each stem is the class ``<Stem>Error`` and the root is
``SpreadError``; which status raises which class is read from the library (see
``error_for_status``), and a test checks this tree against it in both directions. The builtin mixins let callers catch them
the usual way (``except ValueError``, ``except TimeoutError``, ``except OSError``).

Every instance carries ``.status`` (the C ``SpreadStatus`` number, or ``None`` for
the Python-only ``LibraryError`` and ``ClosedError``), ``.http_status`` and, as its
text, libspread's message naming the field or the cause.
"""

from __future__ import annotations

import builtins
from typing import Callable, Dict, Mapping, NamedTuple, Optional, Tuple, Type

__all__ = [
    "SpreadError", "LibraryError", "ClosedError", "NullArgumentError", "InvalidValueError",
    "InvalidUtf8Error", "MissingFieldError", "ConfigError", "NetworkError", "TimeoutError",
    "TlsError", "RedirectError", "ApiError", "AuthError", "RejectedError", "ServerError",
    "EndpointError", "IoError", "SpoolIOError", "InternalError", "error_for_status",
]


class SpreadError(Exception):
    """Base of every libspread failure (the library's root class, "Error")."""

    #: Set by Client.flush() when it stops on this error: (delivered, remaining) so far.
    flush_result: Optional[Tuple[int, int]] = None

    def __init__(self, message: str, status: Optional[int] = None, http_status: Optional[int] = None) -> None:
        # One argument only: the OSError-based subclasses would read (errno, strerror) from two.
        super().__init__(message)
        self.message = message
        #: The SpreadStatus number of this class (also when this binding raised it, e.g.
        #: for a NUL character libspread cannot be given); None for LibraryError,
        #: ClosedError and the classes that are only parents.
        self.status = _status_of(type(self)) if status is None else status
        #: The HTTP status SPREAD answered (401, 429, 503...), or None when the failure
        #: was not an answer (network, validation, configuration).
        self.http_status = http_status or None

    def __str__(self) -> str:
        return self.message


# ----------------------------------------------------------------------------- Python only

class LibraryError(SpreadError, OSError):
    """libspread could not be loaded (the message lists every path tried), or is not the
    ABI this binding was written for."""


class ClosedError(SpreadError, ValueError):
    """A closed Client or Order was used (like I/O on a closed file)."""


# ----------------------------------------------------------------------------- the library's tree

class NullArgumentError(SpreadError):
    """A required pointer was NULL: a bug in this binding, please report it."""


class InvalidValueError(SpreadError, ValueError):
    """A value broke its field's rule; the order is unchanged."""


class InvalidUtf8Error(InvalidValueError):
    """A string was not valid UTF-8 (from Python: a lone surrogate such as "\\ud800")."""


class MissingFieldError(SpreadError, ValueError):
    """A field SPREAD requires was not set."""


class ConfigError(SpreadError, ValueError):
    """The client configuration is wrong (URL, keys, CA file, timeout, spool folder)."""


class NetworkError(SpreadError, ConnectionError):
    """The connection failed or broke: retrying later may work."""


class TimeoutError(NetworkError, builtins.TimeoutError):  # noqa: A001 - mirrors SPREAD_ERR_TIMEOUT
    """The time budget ran out."""


class TlsError(SpreadError):
    """TLS or certificate verification failed."""


class RedirectError(SpreadError):
    """A redirect was refused (too many, https to http, bad Location)."""


class ApiError(SpreadError):
    """SPREAD (or what answers at the base URL) answered with an error."""


class AuthError(ApiError):
    """SPREAD (or the proxy) refused the API keys (401, 403, 407)."""


class RejectedError(ApiError):
    """SPREAD refused the order's content (400, 409, 422)."""


class ServerError(ApiError):
    """SPREAD failed (5xx) or asked to slow down (408, 429)."""


class EndpointError(ApiError):
    """The endpoint cannot take the request (404, 405, 410, 413...: check the base URL),
    or answered what SPREAD never answers."""


class IoError(SpreadError, OSError):
    """A local file operation (the spool) failed."""


#: The name this class had before the library named the tree (kept: public names stay).
SpoolIOError = IoError


class InternalError(SpreadError):
    """A bug in libspread, caught before it could reach the caller: please report it."""


#: The library's class stems ("Timeout", "Error" for the root) and their Python classes.
CLASSES: Dict[str, Type[SpreadError]] = {
    "Error": SpreadError,
    **{cls.__name__[:-len("Error")]: cls
       for cls in (NullArgumentError, InvalidValueError, InvalidUtf8Error, MissingFieldError,
                   ConfigError, NetworkError, TimeoutError, TlsError, RedirectError, ApiError,
                   AuthError, RejectedError, ServerError, EndpointError, IoError, InternalError)},
}


class CodeTable(NamedTuple):
    """What this module needs from libspread, read from it once: every status's class stem
    (spread_status_class; "" for SPREAD_OK and SPREAD_QUEUED), the parent of every class of
    its tree (spread_class_parent; "" for the root, "Error"), and the class it gives a number
    it does not have. _native reads it and hands it here (use_codes): imports flow one way,
    from _native to this module, which imports nothing from the binding."""

    stems: Mapping[int, str]
    parents: Mapping[str, str]
    unknown: str


#: Installed by _native when it is imported: the library's CodeTable, or None when `load`
#: is false and the library is not loaded yet.
_codes: Optional[Callable[[bool], Optional[CodeTable]]] = None


def use_codes(codes: Callable[[bool], Optional[CodeTable]]) -> None:
    """Where the library's CodeTable comes from (called by _native, once)."""
    global _codes
    _codes = codes


def _status_of(cls: type) -> Optional[int]:
    """The status libspread raises `cls` for, once the library is loaded (a LibraryError
    is raised while it is not)."""
    table = _codes(False) if _codes is not None else None
    if table is None:
        return None
    stem = cls.__name__[:-len("Error")]
    if CLASSES.get(stem) is not cls:
        return None
    return next((code for code, named in table.stems.items() if named == stem), None)


def error_for_status(status: int, message: str, http_status: Optional[int] = None) -> SpreadError:
    """The exception for a failing status (and the HTTP status SPREAD answered, if any),
    of the class libspread names for it; a stem this binding does not know (a newer
    library) gives the class of its nearest ancestor this binding has (the library names
    each parent), still carrying the status."""
    table = _codes(True) if _codes is not None else None
    stem: Optional[str] = table.stems.get(status, table.unknown) if table is not None else None
    while stem and stem not in CLASSES:
        stem = table.parents.get(stem) if table is not None else None
    cls = CLASSES.get(stem or "Error", SpreadError)
    return cls(message or f"libspread failed with status {status}", status, http_status)
