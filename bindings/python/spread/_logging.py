"""libspread's log records as standard `logging` records.

Every record goes to the logger ``spread.<event>`` ("spread.retry",
"spread.attempt", "spread.queued"...), a child of ``spread``, which has a
NullHandler: nothing is printed unless the application configures logging. The
record's ``extra`` fields are ``event``, ``context`` (the whole context as a dict)
and each context key (``order_id``, ``status``, ``wait_ms``...).

How records get here: libspread calls a ctypes callback (``spread_client_set_logger``)
on the thread that did the work -- the caller's (so a call's records are all logged
before it returns), a batch worker, or the background delivery thread (at once, no
polling); ctypes takes the GIL for it. A libspread thread must never enter a
finalizing interpreter (CPython ends such a thread with pthread_exit, which aborts the
process through Rust's frames), so each client's callback is turned off before that:
in close(), in __del__, and at interpreter exit for the clients still open (the atexit
hook closes them while logging still works). Turning it off takes effect at once, in
every copy of the client's state, and returns only when no callback is running and
none will run again; spread_client_free turns it off too.

A handler that raises (a file that cannot be opened) changes no outcome: the exception
is caught here (ctypes would print it for every record), reported once as a
RuntimeWarning (on stderr when warnings are errors), and the handlers are skipped for
the rest of that client call; on libspread's own threads, reported once per thread.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import sys
import threading
import warnings
import weakref
from typing import Any, Dict, Iterator, Optional, Protocol

from . import _native as native

ROOT = "spread"
logging.getLogger(ROOT).addHandler(logging.NullHandler())

# SpreadLogLevel -> logging level, most important first.
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}

# Attributes a LogRecord has already: a context key with one of these names is
# given as spread_<key> (logging refuses to overwrite them).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extra(event: str, context: Dict[str, Any]) -> Dict[str, Any]:
    extra: Dict[str, Any] = {"event": event, "context": context}
    for key, value in context.items():
        extra[f"spread_{key}" if key in _RESERVED or key in extra else key] = value
    return extra


def emit(level: int, event: str, message: str, context_json: str) -> None:
    """Logs one libspread record (a SpreadLogLevel, its event, message and JSON context),
    if its logger wants that level now: the level is read per record, so a logging
    configuration made after the client (Django's dictConfig) is obeyed."""
    logger = logging.getLogger(f"{ROOT}.{event}")
    py_level = _LEVELS.get(level, logging.ERROR)
    if not logger.isEnabledFor(py_level):  # before anything is parsed: most records stop here
        return
    context = json.loads(context_json) if context_json else {}
    logger.log(py_level, "%s", message, extra=_extra(event, context if isinstance(context, dict) else {}))


_here = threading.local()


def in_callback() -> bool:
    """Whether this thread is inside a log callback: libspread is logging from it, and
    waits for it to return before a client's logger can be turned off."""
    return bool(getattr(_here, "depth", 0))


class _Call:
    """One client call on this thread: whether logging failed in it."""

    failed = False


@contextlib.contextmanager
def one_call() -> Iterator[None]:
    """Scopes a client call on this thread (the outermost one, when calls nest)."""
    if getattr(_here, "call", None) is not None:
        yield
        return
    _here.call = _Call()
    try:
        yield
    finally:
        _here.call = None


def _on_record(_user_data: Optional[int], level: int, event: Optional[bytes], message: Optional[bytes],
               context_json: Optional[bytes]) -> None:
    call = getattr(_here, "call", None)
    if call is not None and call.failed:
        return
    _here.depth = getattr(_here, "depth", 0) + 1
    try:
        emit(level, _text(event), _text(message), _text(context_json))
    except Exception as error:  # noqa: BLE001 -- whatever a handler raises must not reach libspread
        _failed(error, call)
    finally:
        _here.depth -= 1


def _failed(error: Exception, call: Optional[_Call]) -> None:
    if call is not None:
        call.failed = True
    elif getattr(_here, "reported", False):
        return  # libspread's own thread: once is enough
    else:
        _here.reported = True
    text = (f"spread: a logging handler raised {type(error).__name__}: {error}; "
            "libspread's other records of this call are not logged")
    try:
        warnings.warn(text, RuntimeWarning, stacklevel=2)
    except Exception:  # noqa: BLE001 -- warnings turned into errors: no outcome changes either
        try:
            print(text, file=sys.stderr)
        except Exception:  # noqa: BLE001
            pass


def _text(borrowed: Optional[bytes]) -> str:
    return borrowed.decode("utf-8", "replace") if borrowed is not None else ""


#: The one callback every client is given: it holds nothing of any client, and lives as
#: long as the module (each client also keeps a reference while it is open).
CALLBACK = native.LOG_FN(_on_record)
_NO_CALLBACK = native.LOG_FN()

#: Set by the atexit hook: from then on a new client gets no callback.
_exiting = False


def wanted_level() -> int:
    """The SpreadLogLevel that the "spread" loggers want, read now: the most verbose
    effective level of "spread" and of its children configured so far (0: none)."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(ROOT)] + [
        logger for name, logger in list(manager.loggerDict.items())
        if name.startswith(ROOT + ".") and isinstance(logger, logging.Logger)]
    most = min(logger.getEffectiveLevel() for logger in loggers)
    return max((n for n, level in _LEVELS.items() if level >= most), default=0)


#: The level libspread is asked for: every record, each then filtered by the level its
#: logger has at that moment (emit), since logging may be configured after a client is made.
ALL_RECORDS = max(_LEVELS)


class Records:
    """One client's logging: libspread calls CALLBACK for each of its records, and
    emit() keeps those the "spread" loggers want then (after interpreter exit starts:
    no callback at all)."""

    def __init__(self, ptr: int) -> None:
        self.level = 0 if _exiting else ALL_RECORDS
        self.callback = CALLBACK if self.level else _NO_CALLBACK  # alive as long as the client
        if self.level:
            native.check(native.lib().spread_client_set_logger(ptr, self.callback, None, self.level))

    def silence(self, ptr: int) -> None:
        """Turns the callback off; returns once none is running (and none will run again)."""
        if self.level:
            native.lib().spread_client_set_logger(ptr, _NO_CALLBACK, None, 0)


class _Client(Protocol):
    def close(self) -> None: ...


_live: "weakref.WeakSet[_Client]" = weakref.WeakSet()


def track(client: _Client) -> None:
    """Closes `client` at interpreter exit if it is still open then."""
    _live.add(client)


@atexit.register
def _close_live_clients() -> None:
    # Runs before logging's own atexit hook (registered earlier, run later) and before the
    # interpreter finalizes: close() waits (at most shutdown_timeout) for the background
    # delivery of what the client enqueued, its records still logged, then turns the
    # callback off for good.
    global _exiting
    _exiting = True
    for client in list(_live):
        client.close()
