"""libspread's log records as standard `logging` records.

Every record goes to the logger ``spread.<event>`` ("spread.retry",
"spread.attempt", "spread.queued"...), a child of ``spread``, which has a
NullHandler: nothing is printed unless the application configures logging. The
record's ``extra`` fields are ``event``, ``context`` (the whole context as a dict)
and each context key (``order_id``, ``status``, ``wait_ms``...).

libspread calls back on whichever thread did the work (the caller's, a batch worker,
the background delivery thread). One callback object serves every client and lives
as long as the module, so a record that comes late never calls freed memory. A
client turns its logger off when it is closed, and the ones still open at
interpreter exit are closed by an atexit hook, before Python stops taking callbacks.
"""

from __future__ import annotations

import atexit
import json
import logging
import weakref
from typing import Any, Dict, Optional, Protocol

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


def _on_record(_user_data: Optional[int], level: int, event: bytes, message: bytes, context_json: bytes) -> None:
    try:
        name = event.decode("utf-8", "replace")
        context = json.loads(context_json.decode("utf-8", "replace")) if context_json else {}
        logging.getLogger(f"{ROOT}.{name}").log(
            _LEVELS.get(level, logging.ERROR), "%s", message.decode("utf-8", "replace"),
            extra=_extra(name, context if isinstance(context, dict) else {}))
    except Exception:  # noqa: BLE001 - never let a logging problem escape into libspread's thread
        logging.getLogger(ROOT).exception("cannot log a libspread record")


_CALLBACK = native.LOG_FN(_on_record)  # lives as long as the module (and the process)
_OFF = native.LOG_FN()                 # NULL: no logger


def wanted_level() -> int:
    """The SpreadLogLevel that the "spread" loggers want, read now: the most verbose
    effective level of "spread" and of its children configured so far (0: none)."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(ROOT)] + [
        logger for name, logger in list(manager.loggerDict.items())
        if name.startswith(ROOT + ".") and isinstance(logger, logging.Logger)]
    most = min(logger.getEffectiveLevel() for logger in loggers)
    return max((n for n, level in _LEVELS.items() if level >= most), default=0)


class _Closable(Protocol):
    def close(self) -> None: ...


def attach(ptr: int) -> None:
    """Sends the records of the client `ptr` to logging, at the level wanted now."""
    level = wanted_level()
    native.check(native.lib().spread_client_set_logger(ptr, _CALLBACK if level else _OFF, None, level))


def detach(ptr: int) -> None:
    """Turns the client's logger off: called before it is freed."""
    native.lib().spread_client_set_logger(ptr, _OFF, None, 0)


_live: "weakref.WeakSet[_Closable]" = weakref.WeakSet()


def track(client: _Closable) -> None:
    """Closes `client` at interpreter exit if it is still open then."""
    _live.add(client)


@atexit.register
def _close_live_clients() -> None:
    # atexit hooks run before the interpreter starts finalizing: libspread's threads may
    # still call back now, but not once the clients (and their loggers) are gone.
    for client in list(_live):
        client.close()
