"""libspread's log records in the standard `logging` module: logger "spread.<event>"
(children of "spread", which has a NullHandler), the context in `extra`, a call's
records logged on its thread before it returns, the background delivery thread's
records too, and no secret in any record: not the private key, not an Authorization
header or its Basic token, not the body, and the customer's e-mail only at debug
level. libspread's own threads log through the callback as they work, and never once
the client is closed: an interpreter exit with a busy delivery thread is clean."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from harness import REPO_ROOT
from spread_test_helpers import LoopbackServer, minimal_order, wait_for

import spread

EMAIL = "private.customer@example.com"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    """Every record of the "spread" loggers, at debug level (set before clients are made:
    a client reads the level when it is made)."""
    logger = logging.getLogger("spread")
    collect, level = Collect(), logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.DEBUG)
    yield collect.records
    logger.removeHandler(collect)
    logger.setLevel(level)


@pytest.fixture
def debug_client(sb, records):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=10) as c:
        yield c


def order(idorder: str, **extra: object) -> dict:
    return minimal_order(idorder, customer_email=EMAIL, **extra)


def of(records, event: str) -> list:
    return [r for r in records if r.name == f"spread.{event}"]


def assert_no_secret(records, sb, *orders: dict) -> None:
    basic = base64.b64encode(f"{sb.public_key}:{sb.private_key}".encode()).decode()
    bodies = []
    for data in orders:
        with spread.Order.from_dict(data) as o:
            bodies.append(o.encode())
    assert records, "no record at all"
    for r in records:
        text = f"{r.getMessage()} {vars(r)!r}"
        for secret in (sb.private_key, basic, "Authorization", *bodies):
            assert secret not in text, (secret, text)
        if r.levelno > logging.DEBUG:
            assert EMAIL not in text, text


def test_a_retried_503(sb, debug_client, records):
    sb.fault(mode="status", code=503, times=1)
    assert debug_client.update_order(order("L-503")).status == 200
    (retry,) = of(records, "retry")  # logged before update_order returned
    assert [r.event for r in records if r.event in ("attempt", "retry")] == ["attempt", "retry", "attempt"]
    assert retry.levelno == logging.WARNING and retry.event == "retry"
    assert (retry.order_id, retry.status, retry.attempt) == ("L-503", 503, 2)
    assert isinstance(retry.wait_ms, int) and retry.context["wait_ms"] == retry.wait_ms
    assert "503" in retry.getMessage() and retry.reason
    attempts = of(records, "attempt")
    assert [(a.levelno, a.status, a.method, a.order_id) for a in attempts] == [
        (logging.DEBUG, 503, "POST", "L-503"), (logging.DEBUG, 200, "POST", "L-503")]
    assert all(a.host == sb.root_url and a.elapsed_ms >= 0 for a in attempts)
    assert_no_secret(records, sb, order("L-503"))


def test_a_429_with_retry_after(sb, debug_client, records):
    sb.fault(mode="retry_after", code=429, retry_after="1", times=1)
    assert debug_client.update_order(order("L-429")).status == 200
    (retry,) = of(records, "retry")
    assert (retry.status, retry.wait_ms, retry.order_id) == (429, 1000, "L-429")
    assert_no_secret(records, sb, order("L-429"))


def test_a_redirect(sb, debug_client, records):
    sb.fault(mode="redirect", code=307, location="/api/updateOrder2", times=1)
    assert debug_client.update_order(order("L-307")).status == 200
    (redirect,) = of(records, "redirect")
    assert redirect.levelno == logging.INFO
    assert (redirect.status, redirect.order_id) == (307, "L-307")
    assert getattr(redirect, "from") == redirect.to == sb.root_url  # origins only: no path, no query
    assert_no_secret(records, sb, order("L-307"))


def test_a_spooled_then_rejected_order(sb, records, tmp_path):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path,
                       max_attempts=1) as client:
        sb.fault(mode="status", code=503)
        assert client.update_order(order("L-Q")).queued
        (queued,) = of(records, "queued")
        assert (queued.levelno, queued.order_id) == (logging.INFO, "L-Q") and "503" in queued.why
        sb.fault(mode="status", code=422)
        assert client.flush() == (0, 0)
    (rejected,) = of(records, "rejected")
    assert (rejected.levelno, rejected.status, rejected.order_id) == (logging.ERROR, 422, "L-Q")
    (flushed,) = [r for r in of(records, "flushed") if r.rejected]
    assert (flushed.delivered, flushed.rejected, flushed.remaining) == (0, 1, 0)
    assert_no_secret(records, sb, order("L-Q"))


def test_lenient_drop_in_warnings_are_logged(sb, debug_client, records):
    response = debug_client.update_order(order("L-W", customer_country="fr"))
    (warning,) = of(records, "warning")
    assert warning.levelno == logging.WARNING and warning.order_id == "L-W"
    assert [warning.getMessage()] == response.warnings
    assert_no_secret(records, sb, order("L-W", customer_country="fr"))


def test_the_delivery_thread_s_records_are_logged_without_another_call(sb, records, tmp_path):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path) as client:
        client.enqueue(order("L-BG"))
        wait_for(lambda: of(records, "flushed"), what="the background flush's record")
        (attempt,) = of(records, "attempt")
        assert (attempt.status, attempt.order_id) == (200, "L-BG")
        # logged by libspread's delivery thread itself, through the callback (a thread
        # Python did not start: threading names it Dummy-<n>)
        assert attempt.thread != threading.get_ident() and attempt.threadName.startswith("Dummy-")
    assert_no_secret(records, sb, order("L-BG"))


def test_records_of_the_shutdown_wait_reach_the_logger(sb, records, tmp_path):
    """close() waits (spread_client_close) for the background delivery of what the client
    enqueued, with the client still valid: the delivery finishes during that wait (SPREAD
    answers after 300 ms), and its records are logged before close() returns."""
    sb.fault(mode="slow", delay_ms=300, times=1)
    client = spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path,
                           shutdown_timeout=2)
    client.enqueue(order("L-CLOSE"))
    assert not of(records, "attempt")  # SPREAD answers in 300 ms: nothing delivered yet
    client.close()
    (attempt,) = of(records, "attempt")
    assert (attempt.status, attempt.order_id) == (200, "L-CLOSE")
    assert attempt.thread != threading.get_ident()  # the delivery thread's, during the wait
    assert "L-CLOSE" in sb.state()["orders"]
    assert_no_secret(records, sb, order("L-CLOSE"))


@pytest.mark.parametrize("where", ["delivery thread", "caller's thread"])
def test_a_log_handler_may_close_the_client_it_logs_for(sb, records, tmp_path, where):
    """close() from a handler runs on a thread libspread is logging from, which closing
    would wait for: the binding closes on a thread of its own instead, and neither the
    caller nor the delivery thread is stuck."""
    client = spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path)

    class CloseOnAttempt(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "spread.attempt":
                client.close()

    handler = CloseOnAttempt()
    logging.getLogger("spread").addHandler(handler)
    try:
        if where == "delivery thread":
            client.enqueue(order("L-H1"))
        else:
            assert client.update_order(order("L-H1")).status == 200  # the call in progress completes
        wait_for(lambda: client.closed, what="closed from the handler")
        wait_for(lambda: not [t for t in threading.enumerate() if t.name == "spread-close"], what="the close")
    finally:
        logging.getLogger("spread").removeHandler(handler)
    with pytest.raises(spread.ClosedError):
        client.pending
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path) as later:
        later.enqueue(order("L-H2"))  # the same spool's delivery thread is not stuck in a callback
        wait_for(lambda: "L-H2" in sb.state()["orders"], what="a later delivery")


def test_a_context_key_logging_owns_is_renamed():
    extra = spread._logging._extra("x", {"name": "n", "order_id": "1", "event": "e"})
    assert extra == {"event": "x", "context": {"name": "n", "order_id": "1", "event": "e"},
                     "spread_name": "n", "order_id": "1", "spread_event": "e"}


def test_records_of_a_batch_s_workers_are_all_logged(sb, records):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        client.send_many([order(f"L-B{i}") for i in range(20)], concurrency=4)
    assert sorted(a.order_id for a in of(records, "attempt")) == sorted(f"L-B{i}" for i in range(20))


def test_the_level_is_read_from_the_spread_loggers(caplog):
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("spread").handlers)
    for level, wanted in ((logging.DEBUG, 4), (logging.INFO, 3), (logging.WARNING, 2), (logging.ERROR, 1),
                          (logging.CRITICAL, 0)):
        caplog.set_level(level, logger="spread")
        assert spread._logging.wanted_level() == wanted
    caplog.set_level(logging.INFO, logger="spread.attempt")  # a child asks for more
    assert spread._logging.wanted_level() == 3


RUN = textwrap.dedent("""
    import logging, sys
    import spread
    if sys.argv[3] == "configured":
        logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
    client = spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=sys.argv[1], spool_dir=sys.argv[2],
                           shutdown_timeout=0.5, max_attempts=1)
    client.enqueue({"customer_email": "a@b.c", "order_idorder": "EXIT-1", "order_state": 20,
                    "order_amount": "1", "order_crea_dt": "2024-01-01 00:00:00"})
    client.update_order({"customer_email": "a@b.c", "order_idorder": "EXIT-2", "order_state": 20,
                         "order_amount": "1", "order_crea_dt": "2024-01-01 00:00:00"})
    # no close(): the atexit hook turns the logger off and closes the client
""")


@pytest.mark.parametrize("logging_", ["configured", "not configured"])
def test_interpreter_exit_with_a_busy_delivery_thread(tmp_path, logging_):
    """The delivery thread is still posting (the server answers 503 slowly) when the
    script ends without closing its client: the exit is clean, and without logging
    configured nothing is printed."""
    def respond(seen, server):
        server.stopping.wait(0.3)
        return 503, {}, b"busy"

    with LoopbackServer(respond) as server:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "bindings" / "python"))
        proc = subprocess.run([sys.executable, "-c", RUN, server.base_url, str(tmp_path), logging_], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    if logging_ == "configured":
        assert "spread.retry WARNING" in proc.stderr or "spread.queued INFO" in proc.stderr, proc.stderr
    else:
        assert proc.stderr == "" and proc.stdout == ""
