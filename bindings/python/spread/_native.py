"""libspread through ctypes: finding and loading it (refusing another ABI before any
other call), declaring every function used, and the few helpers all wrappers share
(status checks, C strings, handle lifetimes).

Nothing here knows about fields, rules or statuses: those come from the library.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from ctypes import POINTER, c_bool, c_char_p, c_double, c_int, c_size_t, c_uint16, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple, Type, TypeVar

from . import errors
from .errors import ClosedError, CodeTable, ConfigError, InvalidValueError, LibraryError, SpreadError, error_for_status

#: The SPREAD_ABI_VERSION this binding is written for: another library is refused.
ABI_VERSION = 3

SPREAD_OK = 0
SPREAD_QUEUED = 1

#: The file cargo builds for the cdylib on this platform.
LIBRARY_FILE = {"darwin": "libspread.dylib", "win32": "spread.dll"}.get(sys.platform, "libspread.so")

_PACKAGE_DIR = Path(__file__).resolve().parent

_STR = c_char_p  # const char * in (bytes), or a borrowed const char * out (copied by ctypes)
_PTR = c_void_p  # opaque handles and owned char * results (freed by hand)
_SIZE = POINTER(c_size_t)

#: SpreadProgressFn: (user_data, done, total), on the thread that called spread_send_batch.
PROGRESS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_size_t, c_size_t)
#: SpreadLogFn: (user_data, level, event, message, context_json), on whichever thread did the
#: work (the caller's, a batch worker, the background delivery thread); ctypes takes the GIL.
LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_char_p, c_char_p)

# Checked first, and alone: a library of another ABI gets no other call.
_ABI_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "spread_abi_version": (c_int, []),
    "spread_version": (_STR, []),
}

# name: (restype, argtypes). Handles are opaque: c_void_p is enough and keeps them as ints.
_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "spread_last_error": (_STR, []),
    "spread_last_status": (c_int, []),
    "spread_last_http_status": (c_uint16, []),
    "spread_status_name": (_STR, [c_int]),
    "spread_status_code": (c_int, [c_size_t]),
    "spread_status_class": (_STR, [c_int]),
    "spread_status_parent_class": (_STR, [c_int]),
    "spread_class_parent": (_STR, [_STR]),
    "spread_max_concurrency": (c_uint32, []),
    "spread_field_name": (_STR, [c_size_t]),
    "spread_option_count": (c_size_t, []),
    "spread_option_name": (_STR, [c_size_t]),
    "spread_option_type": (_STR, [c_size_t]),
    "spread_option_default": (_STR, [c_size_t]),
    "spread_option_env": (_STR, [c_size_t]),
    "spread_string_free": (None, [_PTR]),
    # SpreadClient
    "spread_client_new": (_PTR, [_STR, _STR]),
    "spread_client_new_from_env": (_PTR, [_STR]),
    "spread_client_new_from_keys_file": (_PTR, [_STR]),
    "spread_client_free": (None, [_PTR]),
    "spread_client_close": (None, [_PTR]),
    "spread_client_set_base_url": (c_int, [_PTR, _STR]),
    "spread_client_set_timeout_ms": (c_int, [_PTR, c_uint32]),
    "spread_client_set_connect_timeout_ms": (c_int, [_PTR, c_uint32]),
    "spread_client_set_ca_file": (c_int, [_PTR, _STR]),
    "spread_client_set_tls_roots": (c_int, [_PTR, _STR]),
    "spread_client_set_proxy": (c_int, [_PTR, _STR]),
    "spread_client_set_app_info": (c_int, [_PTR, c_char_p]),
    "spread_client_set_allow_insecure_http": (c_int, [_PTR, c_bool]),
    "spread_client_set_max_attempts": (c_int, [_PTR, c_uint32]),
    "spread_client_set_flush_budget_ms": (c_int, [_PTR, c_uint32]),
    "spread_client_set_shutdown_timeout_ms": (c_int, [_PTR, c_uint32]),
    "spread_client_set_delivery_concurrency": (c_int, [_PTR, c_uint32]),
    "spread_client_set_spool_dir": (c_int, [_PTR, _STR]),
    "spread_client_set_option": (c_int, [_PTR, _STR, _STR]),
    "spread_client_check": (c_int, [_PTR]),
    "spread_client_set_logger": (c_int, [_PTR, LOG_FN, _PTR, c_int]),
    "spread_send": (c_int, [_PTR, _PTR, POINTER(_PTR)]),
    "spread_enqueue": (c_int, [_PTR, _PTR]),
    "spread_flush": (c_int, [_PTR, _SIZE, _SIZE]),
    "spread_spool_pending": (c_int, [_PTR, _SIZE]),
    "spread_spool_status_json": (_PTR, [_PTR]),
    "spread_spool_rejected_json": (_PTR, [_PTR]),
    "spread_spool_requeue": (c_int, [_PTR, _STR, _SIZE]),
    "spread_spool_purge_rejected": (c_int, [_PTR, c_uint64, _SIZE]),
    "spread_spool_adopt": (c_int, [_PTR, c_char_p, c_char_p, _SIZE]),
    # SpreadBatch
    "spread_send_batch": (c_int, [_PTR, POINTER(_PTR), c_size_t, c_uint32, PROGRESS_FN, _PTR, POINTER(_PTR)]),
    "spread_batch_len": (c_size_t, [_PTR]),
    "spread_batch_status": (c_int, [_PTR, c_size_t]),
    "spread_batch_http_status": (c_uint16, [_PTR, c_size_t]),
    "spread_batch_message": (_STR, [_PTR, c_size_t]),
    "spread_batch_free": (None, [_PTR]),
    # SpreadOrder
    "spread_order_new": (_PTR, []),
    "spread_order_free": (None, [_PTR]),
    "spread_order_clone": (_PTR, [_PTR]),
    "spread_order_from_json": (_PTR, [_STR, c_bool]),
    "spread_order_warning_count": (c_size_t, [_PTR]),
    "spread_order_warning": (_PTR, [_PTR, c_size_t]),
    "spread_order_set_field": (c_int, [_PTR, _STR, _STR]),
    "spread_order_set_value": (c_int, [_PTR, _STR, _STR]),
    "spread_order_set_order_amount": (c_int, [_PTR, c_double]),
    "spread_order_add_tag": (c_int, [_PTR, _STR]),
    "spread_order_del_tag": (c_int, [_PTR, _STR]),
    "spread_order_add_order_tag": (c_int, [_PTR, _STR]),
    "spread_order_del_order_tag": (c_int, [_PTR, _STR]),
    "spread_order_add_to_list": (c_int, [_PTR, _STR, POINTER(_STR), c_size_t]),
    "spread_order_set_custom_field": (c_int, [_PTR, c_uint32, _STR]),
    "spread_order_set_consent": (c_int, [_PTR, _STR, c_bool]),
    "spread_order_add_product_with": (c_int, [_PTR, POINTER(_STR), c_size_t]),
    "spread_order_validate": (c_int, [_PTR]),
    "spread_order_encode": (_PTR, [_PTR]),
    # SpreadResponse
    "spread_response_status": (c_uint16, [_PTR]),
    "spread_response_body": (_STR, [_PTR]),
    "spread_response_truncated": (c_bool, [_PTR]),
    "spread_response_warning_count": (c_size_t, [_PTR]),
    "spread_response_warning": (_STR, [_PTR, c_size_t]),
    "spread_response_free": (None, [_PTR]),
}


def candidate_paths() -> List[Path]:
    """Where libspread is looked for: SPREAD_LIBRARY alone when set (an explicit choice
    must not silently fall back), else the copy bundled in the package, then
    target/release of the source checkout this package sits in."""
    override = os.environ.get("SPREAD_LIBRARY")
    if override:
        return [Path(override)]
    paths = [_PACKAGE_DIR / LIBRARY_FILE]
    repo = _PACKAGE_DIR.parent.parent.parent  # <repo>/bindings/python/spread
    if (repo / "Cargo.toml").is_file():
        paths.append(repo / "target" / "release" / LIBRARY_FILE)
    return paths


def _declare(dll: ctypes.CDLL, prototypes: Dict[str, Tuple[Any, List[Any]]]) -> None:
    for name, (restype, argtypes) in prototypes.items():
        fn = getattr(dll, name)  # AttributeError: not the libspread of this ABI
        fn.restype, fn.argtypes = restype, argtypes


def _open(path: Path) -> ctypes.CDLL:
    """Loads `path` and checks its ABI version before any other call; then declares
    every function. Raises OSError or AttributeError (not loadable), LibraryError
    (another ABI)."""
    # CDLL (not PyDLL) releases the GIL during each call: threads really send in parallel.
    dll = ctypes.CDLL(str(path))
    try:
        _declare(dll, _ABI_PROTOTYPES)
    except AttributeError:
        raise LibraryError("no spread_abi_version(): not libspread, or a libspread older than ABI "
                           f"version 2 (the first to say it); this binding needs ABI version {ABI_VERSION}") from None
    found = dll.spread_abi_version()
    if found != ABI_VERSION:
        raise LibraryError(f"libspread {_text(dll.spread_version() or b'?')} has ABI version {found}; "
                           f"this binding needs ABI version {ABI_VERSION}")
    _declare(dll, _PROTOTYPES)
    return dll


def _load() -> Tuple[ctypes.CDLL, Path]:
    tried: List[str] = []
    for path in candidate_paths():
        if not path.is_file():
            tried.append(f"{path}: not found")
            continue
        try:
            return _open(path), path
        except (OSError, AttributeError) as e:  # LibraryError is an OSError
            tried.append(f"{path}: {e}")
    raise LibraryError("cannot load libspread; tried:\n  " + "\n  ".join(tried)
                       + "\n(set SPREAD_LIBRARY to the library's path, or reinstall the package)")


_lock = threading.Lock()
_loaded: Optional[Tuple[ctypes.CDLL, Path]] = None


def lib() -> ctypes.CDLL:
    """The loaded library, loaded on first use (so `import spread` never fails)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load()
    return _loaded[0]


def loaded() -> bool:
    """Whether the library is loaded (without loading it)."""
    return _loaded is not None


def library_path() -> Path:
    """The file libspread was loaded from."""
    lib()
    assert _loaded is not None
    return _loaded[1]


def _text(borrowed: bytes) -> str:
    """A borrowed const char * result (ctypes already copied it to bytes)."""
    return borrowed.decode("utf-8", "replace")


def version() -> str:
    return _text(lib().spread_version())


def status_name(status: int) -> str:
    return _text(lib().spread_status_name(status))


def status_codes() -> Tuple[int, ...]:
    """Every status the library has (0, 1, 10, 11...), in increasing order."""
    codes: List[int] = []
    while (code := lib().spread_status_code(len(codes))) >= 0:
        codes.append(code)
    return tuple(codes)


def status_class(status: int) -> Tuple[str, str]:
    """The library's exception class stem for `status` and its parent's ("Timeout",
    "Network"); ("", "") for SPREAD_OK and SPREAD_QUEUED."""
    return _text(lib().spread_status_class(status)), _text(lib().spread_status_parent_class(status))


def class_parent(stem: str) -> Optional[str]:
    """The library's parent of the exception class `stem`, also of a grouping class no
    status names ("Timeout" -> "Network", "Api" -> "Error", "Error" -> ""); None for a
    stem that is not one of its classes."""
    parent = lib().spread_class_parent(stem.encode())
    return None if parent is None else _text(parent)


_codes: Optional[CodeTable] = None


def code_table(load: bool = True) -> Optional[CodeTable]:
    """The library's statuses and classes for errors.py, read once; None when not `load`
    and the library is not loaded (an exception made before then carries no status)."""
    global _codes
    if _codes is None:
        if not load and not loaded():
            return None
        stems = {code: status_class(code)[0] for code in status_codes()}
        # -1 ends spread_status_code's list, so it is never a status: its class is the one
        # the library gives any number it does not have ("Internal").
        unknown = status_class(-1)[0]
        parents: Dict[str, str] = {}
        for stem in {*stems.values(), unknown}:
            while stem and stem not in parents:
                parents[stem] = parent = class_parent(stem) or ""
                stem = parent
        _codes = CodeTable(stems, parents, unknown)
    return _codes


errors.use_codes(code_table)


def max_concurrency() -> int:
    """The most threads one batch may use (libspread's limit)."""
    return int(lib().spread_max_concurrency())


def field_names() -> Tuple[str, ...]:
    """The core's scalar fields, in the seed's order."""
    names: List[str] = []
    while (name := lib().spread_field_name(len(names))) is not None:
        names.append(name.decode())
    return tuple(names)


class OptionSpec(NamedTuple):
    """One client option of libspread's table: its name (``timeout_ms``), its type
    ("string", "bool", "integer", "milliseconds", "path" or "choice"), its default
    as text ("" for none) and the environment variable Client.from_env() reads it
    from (None for none)."""

    name: str
    type: str
    default: str
    env: Optional[str] = None


def options() -> Tuple[OptionSpec, ...]:
    """libspread's option table, in its order."""
    l = lib()
    def env(i: int) -> Optional[str]:
        variable = l.spread_option_env(i)
        return None if variable is None else _text(variable)

    return tuple(OptionSpec(_text(l.spread_option_name(i)), _text(l.spread_option_type(i)),
                            _text(l.spread_option_default(i)), env(i))
                 for i in range(l.spread_option_count()))


def last_error() -> str:
    """This thread's last libspread message: read it right after the failing call."""
    return _text(lib().spread_last_error())


def last_failure(status: int) -> SpreadError:
    """The SpreadError for a call that just failed with `status`, with this thread's
    message and HTTP status: build it right after the failing call."""
    return error_for_status(status, last_error(), lib().spread_last_http_status())


def check(status: int) -> int:
    """Passes SPREAD_OK and SPREAD_QUEUED through; raises the matching SpreadError otherwise."""
    if status in (SPREAD_OK, SPREAD_QUEUED):
        return status
    raise last_failure(status)


def fail() -> SpreadError:
    """The error for a function that returned NULL, of the class of spread_last_status()."""
    return last_failure(lib().spread_last_status())


def to_c(value: object, field: str, error: Type[SpreadError] = InvalidValueError) -> bytes:
    """UTF-8 bytes for a C string argument named `field`.

    Lone surrogates go through (``surrogatepass``) so that libspread itself rejects them
    as invalid UTF-8, naming the field. A NUL would silently cut the C string short, so it
    is refused here. Messages never quote the value: it may be a secret.
    """
    if not isinstance(value, str):
        raise TypeError(f"{field}: expected str, got {type(value).__name__}")
    if "\0" in value:
        raise error(f"{field}: contains a NUL character, which cannot be passed to libspread")
    return value.encode("utf-8", "surrogatepass")


def take_string(ptr: Optional[int]) -> str:
    """Copies an owned char * from libspread, then frees it; NULL is this thread's failure."""
    if not ptr:
        raise fail()
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib().spread_string_free(ptr)


def uint(value: object, field: str, bits: int = 32, error: Type[SpreadError] = ConfigError) -> int:
    """An int that fits a C unsigned integer of `bits` (ctypes would silently wrap it)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field}: expected int, got {type(value).__name__}")
    if not 0 <= value < 2**bits:
        raise error(f"{field}: {value} is out of range (0 to {2**bits - 1})")
    return value


class Handle:
    """Owns one native pointer and frees it exactly once.

    Uses may overlap (a client shared by threads) or, when `exclusive`, take turns (an
    order is one Rust value that must not be read while it is changed). close() refuses
    new uses at once, waits for those in progress, then frees. Using a closed handle
    raises ClosedError instead of crashing the process.
    """

    def __init__(self, ptr: int, free: Callable[[int], None], what: str, exclusive: bool) -> None:
        self._ptr: Optional[int] = ptr
        self._free = free
        self._what = what
        self._users = 0
        self._idle = threading.Condition()
        self._turn: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if exclusive else contextlib.nullcontext())

    @property
    def closed(self) -> bool:
        return self._ptr is None

    @contextlib.contextmanager
    def use(self) -> Iterator[int]:
        with self._turn:
            with self._idle:
                ptr = self._ptr
                if ptr is None:
                    raise ClosedError(f"this {self._what} is closed")
                self._users += 1
            try:
                yield ptr
            finally:
                with self._idle:
                    self._users -= 1
                    self._idle.notify_all()

    def close(self) -> None:
        with self._idle:
            ptr, self._ptr = self._ptr, None
            while self._users:
                self._idle.wait()
        if ptr is not None:
            self._free(ptr)


_Owner = TypeVar("_Owner", bound="HandleOwner")


class HandleOwner:
    """What Client and Order share: the native object lives in `self._handle`;
    close() frees it (waiting for uses in progress), `with` blocks close it, and
    __del__ is the safety net for objects never closed."""

    _handle: Handle

    def close(self) -> None:
        """Frees the native object once no call is using it; later uses raise ClosedError. Idempotent."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()
