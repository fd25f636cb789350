"""One spread.Client shared by threads: sends run in parallel (ctypes releases the GIL,
the C client is thread-safe), every order arrives, and close() waits for sends in flight."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from spread_test_helpers import OK, LoopbackServer, minimal_order

import spread

THREADS = 8
ORDERS_PER_THREAD = 200


def test_eight_threads_share_one_client(sb, client):
    start = threading.Barrier(THREADS)

    def worker(t: int) -> list:
        start.wait()  # all threads hammer the client at once
        statuses = []
        for i in range(ORDERS_PER_THREAD):
            with spread.Order(**minimal_order(f"T{t}-{i:03d}", external_id=f"customer-{t}")) as order:
                statuses.append(client.send(order).status)
        return statuses

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))  # re-raises any worker's exception

    assert results == [[200] * ORDERS_PER_THREAD] * THREADS
    orders = sb.state()["orders"]
    assert len(orders) == THREADS * ORDERS_PER_THREAD
    assert set(orders) == {f"T{t}-{i:03d}" for t in range(THREADS) for i in range(ORDERS_PER_THREAD)}
    assert all(o["updates"] == 1 for o in orders.values())


def test_one_order_sent_from_threads_while_changed(sb, client):
    """An Order is one Rust value: concurrent changes and sends take turns instead of racing."""
    with spread.Order(**minimal_order("SHARED")) as order:
        def change(i: int) -> None:
            order.add_order_tag(f"tag{i}")
            client.send(order)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(change, range(20)))
    stored = sb.state()["orders"]["SHARED"]
    assert stored["updates"] == 20
    assert stored["tags"] == sorted(f"tag{i}" for i in range(20))


def test_close_waits_for_sends_in_flight(sb):
    sb.fault(mode="slow", delay_ms=600, times=1)
    client = spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=5)
    order = spread.Order(**minimal_order("SLOW"))
    with ThreadPoolExecutor(1) as pool:
        sending = pool.submit(client.send, order)
        time.sleep(0.2)  # the send is now waiting on the slow sandbox
        assert not sending.done()
        began = time.monotonic()
        client.close()   # must wait: freeing the client under the running send would crash
        assert time.monotonic() - began >= 0.3
        assert sending.result(timeout=5).status == 200
    with pytest.raises(spread.ClosedError):
        client.send(order)
    order.close()
    assert "SLOW" in sb.state()["orders"]


def test_sends_really_run_in_parallel():
    """ctypes drops the GIL during spread_send: 4 threads have 4 requests in flight at
    once, as the server counts them."""
    def respond(seen, server):
        time.sleep(0.3)
        return OK

    with LoopbackServer(respond) as server, spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url,
                                                           max_attempts=1) as client:
        def send(i: int) -> int:
            return client.update_order(minimal_order(f"P-{i}")).status

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(send, range(8))) == [200] * 8
    assert len(server.seen) == 8
    assert server.max_in_flight == 4
