"""Client.send_many(): a batch of Orders or dicts on several threads through
spread_send_many, one SendResult per order (delivered, queued or failed with the error
send() would raise), against the real sandbox."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from harness import Sandbox
from spread_test_helpers import minimal_order

import spread


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: nothing listens there


def test_fifty_orders_are_all_stored(sb, client):
    orders = [spread.Order(**minimal_order(f"B-{i:02d}", external_id=f"c-{i}")) for i in range(25)]
    dicts = [{"data": minimal_order(f"B-{i:02d}"), "request": {"order_idorder": f"B-{i:02d}"}} for i in range(25, 50)]
    results = client.send_many(orders + dicts, concurrency=8)
    assert results == [spread.SendResult(i, 0) for i in range(50)]
    assert all(r.delivered and not r.queued and not r.failed and r.error is None for r in results)
    stored = sb.state()["orders"]
    assert sorted(stored) == [f"B-{i:02d}" for i in range(50)]
    assert all(o["updates"] == 1 and o["order_state"] == "20" for o in stored.values())
    assert not any(o.closed for o in orders)  # the caller's orders stay usable
    for order in orders:
        order.close()


def test_a_batch_with_bad_orders_sends_the_good_ones(sb, client):
    no_date = minimal_order("M-1")
    del no_date["order_crea_dt"]
    no_customer = minimal_order("M-4")
    del no_customer["customer_email"]
    with spread.Order(**minimal_order("M-0")) as good:
        results = client.send_many([
            good,                               # 0 delivered
            no_date,                            # 1 missing field: the failure libspread details
            minimal_order("M-2"),               # 2 delivered
            minimal_order("M-3", order_state=7),  # 3 refused by Order.from_dict: never sent
            no_customer,                        # 4 missing field: message re-derived
        ])
    assert [r.status for r in results] == [0, 13, 0, 12, 13]
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [type(r.error) for r in results] == [type(None), spread.MissingFieldError, type(None),
                                                spread.InvalidValueError, spread.MissingFieldError]
    assert str(results[1].error) == "orders[1]: order_crea_dt: is required to send an order"
    assert str(results[3].error) == "orders[3]: order_state: 7 is not one of 0, 10, 20, 50, 100"
    assert str(results[4].error).startswith("orders[4]: customer_email: customer_email or external_id is required")
    assert all(r.error.http_status is None for r in results if r.failed)
    assert sorted(sb.state()["orders"]) == ["M-0", "M-2"]
    assert len(sb.requests()) == 2


def test_answers_carry_their_http_status_for_the_first_failure(sb):
    sb.fault(mode="status", code=503)  # permanent
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, max_attempts=1) as client:
        results = client.send_many([minimal_order(f"F-{i}") for i in range(3)], concurrency=2)
    assert [r.status for r in results] == [32, 32, 32]
    assert all(type(r.error) is spread.ServerError for r in results)
    first, *others = results
    assert str(first.error).startswith("orders[0]: SPREAD failed (HTTP 503)")
    assert first.error.http_status == 503
    for r in others:  # libspread only details the first failure: the status is all there is
        assert str(r.error) == (f"orders[{r.index}]: SPREAD_ERR_SERVER "
                                "(libspread details the first failed order only: orders[0])")
        assert r.error.http_status is None
    assert sb.state()["orders"] == {}


def test_with_a_spool_an_unreachable_server_queues_all_then_flush_delivers(sb, tmp_path):
    spool = tmp_path / "spool"
    with spread.Client(sb.public_key, sb.private_key, base_url=f"http://127.0.0.1:{closed_port()}/api",
                       spool_dir=spool, max_attempts=1, timeout=5) as offline:
        results = offline.send_many([minimal_order(f"S-{i}") for i in range(6)], concurrency=3)
        assert [(r.status, r.queued, r.delivered, r.error) for r in results] == [(1, True, False, None)] * 6
        assert offline.pending == 6
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=spool) as online:
        assert online.flush() == spread.FlushResult(delivered=6, remaining=0)
    assert sorted(sb.state()["orders"]) == [f"S-{i}" for i in range(6)]


def test_retry_after_is_waited_out_and_other_threads_keep_running(sb, client):
    sb.fault(mode="retry_after", code=429, retry_after="1", times=1)
    ticks = 0
    done = threading.Event()

    def tick() -> None:  # runs only if send_many releases the GIL
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    began = time.monotonic()
    try:
        results = client.send_many([minimal_order(f"RA-{i}") for i in range(10)], concurrency=4)
    finally:
        elapsed = time.monotonic() - began
        done.set()
        ticker.join()
    assert [r.status for r in results] == [0] * 10
    assert elapsed >= 1.0, elapsed
    assert ticks >= 20, ticks
    assert len(sb.state()["orders"]) == 10
    assert [r["status"] for r in sb.requests()].count(429) == 1


def test_senders_run_in_parallel():
    with Sandbox(workers=4) as server:
        server.fault(mode="slow", delay_ms=400)
        with spread.Client(server.public_key, server.private_key, base_url=server.base_url,
                           max_attempts=1) as client:
            began = time.monotonic()
            results = client.send_many([minimal_order(f"P-{i}") for i in range(8)], concurrency=4)
            elapsed = time.monotonic() - began
        assert [r.status for r in results] == [0] * 8
        assert len(server.state()["orders"]) == 8
    assert 0.8 <= elapsed < 2.4, elapsed  # two rounds of 4 (0.8 s), not eight of one (3.2 s)


def test_one_order_twice_in_a_batch(sb, client):
    with spread.Order(**minimal_order("TWICE")) as order:
        assert [r.status for r in client.send_many([order, order, order], concurrency=3)] == [0, 0, 0]
    assert sb.state()["orders"]["TWICE"]["updates"] == 3


def test_an_empty_batch_sends_nothing(sb, client):
    assert client.send_many([]) == []
    assert client.send_many(iter(())) == []
    assert sb.requests() == []


@pytest.mark.parametrize("orders, concurrency, error, message", [
    (lambda: [minimal_order("X-0"), "X-1"], 8, TypeError, r"^orders\[1\]: expected a spread\.Order or a dict, got str"),
    (lambda: [minimal_order("X-0"), None], 8, TypeError, r"^orders\[1\]: expected a spread\.Order or a dict, got NoneType"),
    (lambda: [minimal_order("X-0"), minimal_order("X-1", customer_name=1.5)], 8, TypeError,
     r"^orders\[1\]: customer_name: expected str or int, got float"),
    (lambda: minimal_order("X-0"), 8, TypeError, r"expects a list of spread\.Order or dicts, got dict \(for one order"),
    (lambda: "X-0", 8, TypeError, r"expects a list of spread\.Order or dicts, got str"),
    (lambda: 42, 8, TypeError, r"expects a list of spread\.Order or dicts, got int"),
    (lambda: [minimal_order("X-0")], 0, spread.ConfigError, r"^concurrency: 0 is out of range \(1 to 32\)$"),
    (lambda: [minimal_order("X-0")], 33, spread.ConfigError, r"^concurrency: 33 is out of range \(1 to 32\)$"),
    (lambda: [minimal_order("X-0")], -1, spread.ConfigError, r"^concurrency: -1 is out of range"),
    (lambda: [minimal_order("X-0")], "8", TypeError, r"^concurrency: expected int, got str"),
    (lambda: [minimal_order("X-0")], True, TypeError, r"^concurrency: expected int, got bool"),
    (lambda: [minimal_order("X-0")], 8.0, TypeError, r"^concurrency: expected int, got float"),
])
def test_bad_arguments_are_refused_before_anything_is_sent(sb, client, orders, concurrency, error, message):
    with pytest.raises(error, match=message):
        client.send_many(orders(), concurrency=concurrency)
    assert sb.requests() == []
    assert spread.MAX_CONCURRENCY == 32


def test_closed_orders_and_clients_are_refused(sb):
    order = spread.Order(**minimal_order("C-1"))
    order.close()
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        with pytest.raises(spread.ClosedError, match=r"^orders\[1\]: this Order is closed"):
            client.send_many([minimal_order("C-0"), order])
    with pytest.raises(spread.ClosedError, match="this Client is closed"):
        client.send_many([minimal_order("C-0")])
    assert sb.requests() == []


def test_wrong_keys_fail_every_order_with_401_on_the_first(sb):
    with spread.Client(sb.public_key, "WRONG", base_url=sb.base_url) as client:
        results = client.send_many([minimal_order("K-0"), minimal_order("K-1")], concurrency=1)
    assert [type(r.error) for r in results] == [spread.AuthError, spread.AuthError]
    assert results[0].error.http_status == 401 and results[0].error.status == 30
    assert str(results[0].error).startswith("orders[0]: SPREAD refused the API keys (HTTP 401)")
    assert "WRONG" not in str(results[0].error)
