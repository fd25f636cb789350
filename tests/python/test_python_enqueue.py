"""Client.enqueue(): the order is made durable in the spool and the call returns; a
background thread of the process delivers it. Validation stays synchronous, close()
waits at most shutdown_timeout, and a process killed right after enqueue loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from harness import REPO_ROOT
from spread_test_helpers import LoopbackServer, minimal_order, wait_for

import spread


def spooled(sb, spool, **options) -> spread.Client:
    return spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=spool, **options)


def test_enqueue_returns_queued_and_the_background_thread_delivers(sb, tmp_path):
    with spooled(sb, tmp_path) as client, spread.Order(**minimal_order("E-2")) as order:
        assert client.enqueue(minimal_order("E-1")) == spread.Response(status=0, body="", queued=True)
        assert client.enqueue(order).queued
        stored = wait_for(lambda: {"E-1", "E-2"} <= set(sb.state()["orders"]), what="background delivery")
        assert stored
        wait_for(lambda: client.pending == 0, what="spool emptied")
    assert [r["status"] for r in sb.requests()] == [200, 200]


def test_enqueue_reports_the_drop_in_warnings(sb, tmp_path):
    with spooled(sb, tmp_path) as client:
        response = client.enqueue(minimal_order("E-W", customer_birthday="0000-00-00"))
    assert response.queued and len(response.warnings) == 1
    assert response.warnings[0].startswith('customer_birthday: "0000-00-00" is not a date')


@pytest.mark.parametrize("order, strict, error, message", [
    ({"customer_email": "a@b.c", "order_idorder": "E-3"}, False, spread.MissingFieldError, "order_state: is required"),
    (minimal_order("E-3", order_state=7), False, spread.InvalidValueError, "order_state: 7 is not one of"),
    (minimal_order("E-3", customer_country="fr"), True, spread.InvalidValueError, 'customer_country: "fr"'),
    (minimal_order("E-3", customer_name=object()), False, TypeError, "post_data[customer_name]: object cannot"),
])
def test_validation_errors_are_raised_at_once_and_nothing_is_queued(sb, tmp_path, order, strict, error, message):
    with spooled(sb, tmp_path, strict=strict) as client:
        with pytest.raises(error) as info:
            client.enqueue(order)
        assert str(info.value).startswith(message), str(info.value)
        assert client.pending == 0
    assert sb.requests() == []


def test_enqueue_needs_a_spool(sb):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        with pytest.raises(spread.ConfigError, match="^spool_dir: enqueue needs a spool folder"):
            client.enqueue(minimal_order("E-4"))
        with pytest.raises(TypeError, match=r"^enqueue\(\) expects a spread\.Order or a dict, got list"):
            client.enqueue([minimal_order("E-4")])
    assert sb.requests() == []


def test_updates_of_one_order_are_delivered_in_the_order_they_were_enqueued(sb, tmp_path):
    sb.fault(mode="slow", delay_ms=500, times=1)  # the first (oldest) delivery is slow
    with spooled(sb, tmp_path) as client:
        for state in (10, 20, 50):
            client.enqueue(minimal_order("E-ORDER", order_state=state))
        wait_for(lambda: sb.state()["orders"].get("E-ORDER", {}).get("updates") == 3, what="three updates")
    assert sb.state()["orders"]["E-ORDER"]["order_state"] == "50"
    sent = [r["raw"].decode() for r in sb.requests()]
    assert [next(p for p in body.split("&") if p.startswith("data%5Border_state%5D=")) for body in sent] == [
        f"data%5Border_state%5D={state}" for state in (10, 20, 50)]


def test_close_with_a_hung_server_returns_within_the_shutdown_timeout(tmp_path):
    with LoopbackServer(lambda seen, server: server.hang()) as server:
        client = spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, spool_dir=tmp_path,
                               timeout=30, shutdown_timeout=1)
        client.enqueue(minimal_order("E-HUNG"))
        wait_for(lambda: server.seen, what="the delivery thread's request")
        began = time.monotonic()
        client.close()
        took = time.monotonic() - began
        assert 0.9 <= took < 2.5, took  # waited for the delivery, but no longer than 1 s (+ a loaded machine)
        with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, spool_dir=tmp_path) as later:
            assert later.pending == 1  # still in the spool for the next process or flush


def test_close_does_not_wait_with_a_shutdown_timeout_of_zero(tmp_path):
    with LoopbackServer(lambda seen, server: server.hang()) as server:
        client = spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, spool_dir=tmp_path,
                               shutdown_timeout=0)
        client.enqueue(minimal_order("E-NOW"))
        wait_for(lambda: server.seen, what="the delivery thread's request")
        began = time.monotonic()
        client.close()
        assert time.monotonic() - began < 0.5


KILLED = textwrap.dedent("""
    import os, signal, sys
    import spread
    client = spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=sys.argv[1], spool_dir=sys.argv[2], max_attempts=1)
    for i in range(int(sys.argv[3])):
        client.enqueue({"customer_email": "k@doe.com", "order_idorder": f"KILL-{i}", "order_state": 20,
                        "order_amount": "1.00", "order_crea_dt": "2024-01-01 00:00:00"})
    os.kill(os.getpid(), signal.SIGKILL)  # right after the last enqueue returned
""")


def enqueue_then_sigkill(sb, spool, count: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "bindings" / "python"))
    proc = subprocess.run([sys.executable, "-c", KILLED, sb.base_url, str(spool), str(count)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_a_process_killed_right_after_enqueue_loses_nothing(sb, tmp_path):
    sb.fault(mode="status", code=503)  # its delivery thread cannot deliver before the kill
    enqueue_then_sigkill(sb, tmp_path, 20)
    assert sb.state()["orders"] == {}
    sb.fault(mode="none")
    with spooled(sb, tmp_path) as later:
        assert later.pending == 20
        assert later.flush() == spread.FlushResult(delivered=20, remaining=0)
    assert sorted(sb.state()["orders"]) == sorted(f"KILL-{i}" for i in range(20))


def test_killed_while_the_delivery_thread_works_loses_nothing_either(sb, tmp_path):
    """No fault: the kill lands while the thread may be delivering. Each order is then
    delivered or still in the spool, never lost."""
    enqueue_then_sigkill(sb, tmp_path, 20)
    with spooled(sb, tmp_path) as later:
        later.flush()
    assert sorted(sb.state()["orders"]) == sorted(f"KILL-{i}" for i in range(20))
