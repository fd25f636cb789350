"""libspread's log records as standard `logging` records.

Every record goes to the logger ``spread.<event>`` ("spread.retry",
"spread.attempt", "spread.queued"...), a child of ``spread``, which has a
NullHandler: nothing is printed unless the application configures logging. The
record's ``extra`` fields are ``event``, ``context`` (the whole context as a dict)
and each context key (``order_id``, ``status``, ``wait_ms``...).

How records get here: no thread of libspread ever calls into Python. A log
callback (the C API has one) would be called by the background delivery thread at
any moment, also while the interpreter shuts down -- and a foreign thread that enters
a finalizing CPython is ended with pthread_exit, which aborts the process through
Rust's frames ("FATAL: exception not rethrown"). Turning the callback off first is no
cure: the delivery thread keeps the logger it had for the flush it is in. So each
client keeps its records in libspread's queue (``spread_client_set_log_queue``) and
Python takes them out: right after each call, on the caller's thread (so a call's
records are all logged before it returns), and every 0.1 s on a daemon thread (so
what the background delivery thread and batch workers log is not held back).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from typing import Any, Dict, Optional, Protocol

from . import _native as native

ROOT = "spread"
logging.getLogger(ROOT).addHandler(logging.NullHandler())

#: How often the daemon thread takes the records libspread's own threads left.
INTERVAL = 0.1

# SpreadLogLevel -> logging level, most important first; and the queue's level names.
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}
_NAMES = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}

# Attributes a LogRecord has already: a context key with one of these names is
# given as spread_<key> (logging refuses to overwrite them).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extra(event: str, context: Dict[str, Any]) -> Dict[str, Any]:
    extra: Dict[str, Any] = {"event": event, "context": context}
    for key, value in context.items():
        extra[f"spread_{key}" if key in _RESERVED or key in extra else key] = value
    return extra


def emit(record_json: str) -> None:
    """Logs one record of libspread's queue (``{"level", "event", "message", "context"}``)."""
    record = json.loads(record_json)
    event = str(record.get("event", ""))
    context = record.get("context")
    logging.getLogger(f"{ROOT}.{event}").log(
        _NAMES.get(record.get("level"), logging.ERROR), "%s", record.get("message", ""),
        extra=_extra(event, context if isinstance(context, dict) else {}))


def wanted_level() -> int:
    """The SpreadLogLevel that the "spread" loggers want, read now: the most verbose
    effective level of "spread" and of its children configured so far (0: none)."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(ROOT)] + [
        logger for name, logger in list(manager.loggerDict.items())
        if name.startswith(ROOT + ".") and isinstance(logger, logging.Logger)]
    most = min(logger.getEffectiveLevel() for logger in loggers)
    return max((n for n, level in _LEVELS.items() if level >= most), default=0)


class Records:
    """One client's queue of records: turned on at the level wanted when the client is
    made, and emptied into logging in the order libspread queued them."""

    def __init__(self, ptr: int) -> None:
        self.level = wanted_level()
        self._order = threading.Lock()  # two threads emptying one queue keep its order
        native.check(native.lib().spread_client_set_log_queue(ptr, self.level))

    def drain(self, ptr: int) -> None:
        if not self.level:
            return
        lib = native.lib()
        with self._order:
            while (raw := lib.spread_client_next_log(ptr)):
                emit(native.take_string(raw))


class _Client(Protocol):
    def _drain_logs(self) -> None: ...

    def close(self) -> None: ...


_live: "weakref.WeakSet[_Client]" = weakref.WeakSet()
_pump: Optional[threading.Thread] = None
_pump_pid = 0
_pump_lock = threading.Lock()


def track(client: _Client, records: Records) -> None:
    """Empties `client`'s records every INTERVAL while it is open (if it logs at all),
    and closes it at interpreter exit if it is still open then."""
    _live.add(client)
    if records.level:
        _start_pump()


def _start_pump() -> None:
    global _pump, _pump_pid
    with _pump_lock:
        if _pump is None or _pump_pid != os.getpid():  # none yet, or forked: threads do not survive a fork
            _pump, _pump_pid = threading.Thread(target=_pump_records, name="spread-logs", daemon=True), os.getpid()
            _pump.start()


def _after_fork_in_child() -> None:
    global _pump_lock
    _pump_lock = threading.Lock()  # the parent's may have been held by a thread the child does not have
    if _pump is not None and len(_live):
        _start_pump()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _pump_records() -> None:
    while True:
        time.sleep(INTERVAL)
        for client in list(_live):
            client._drain_logs()


@atexit.register
def _close_live_clients() -> None:
    # close() waits (at most shutdown_timeout) for the background delivery of what the
    # client enqueued, and logs the last records, while logging still works.
    for client in list(_live):
        client.close()
