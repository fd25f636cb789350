"""Client.send_many(): a batch of Orders or dicts on several threads through
spread_send_batch, one SendResult per order with its own status, HTTP status and
libspread's message; concurrency, the shared Retry-After pause and per-order ordering
measured on a loopback server that sees every request."""

from __future__ import annotations

import threading
import time

import pytest
from spread_test_helpers import OK, LoopbackServer, closed_port, minimal_order

import spread


def client_for(server, **options) -> spread.Client:
    return spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, **options)


def slow(delay: float):
    """A responder that answers 200 after `delay` seconds."""
    def respond(seen, server):
        time.sleep(delay)
        return OK
    return respond


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


def test_every_failed_order_has_its_own_status_http_status_and_message():
    """Four different answers in one batch: each order gets its own, not the first one's."""
    answers = {"422": (422, {}, b'{"status":"error","message":"bad order"}'), "404": (404, {}, b"no such page"),
               "503": (503, {}, b"down"), "401": (401, {"WWW-Authenticate": 'Basic realm="x"'}, b"who?")}

    def respond(seen, server):
        return answers.get(seen.form()["data[order_idorder]"], OK)

    with LoopbackServer(respond) as server, client_for(server, max_attempts=1) as client:
        results = client.send_many([minimal_order(code) for code in ("200", "422", "404", "503", "401")],
                                   concurrency=3)
    assert (results[0].status, results[0].message, results[0].http_status) == (0, "", None)
    expected = [(spread.RejectedError, 422, "SPREAD rejected the order (HTTP 422): "),
                (spread.EndpointError, 404, ""), (spread.ServerError, 503, ""), (spread.AuthError, 401, "")]
    for r, (cls, http_status, start) in zip(results[1:], expected):
        assert type(r.error) is cls and r.failed and not r.delivered
        assert r.http_status == r.error.http_status == http_status and r.status == r.error.status
        assert r.message == str(r.error) and r.message.startswith(f"orders[{r.index}]: {start}")
        assert f"(HTTP {http_status})" in r.message
    assert "bad order" in results[1].message


def test_entries_that_cannot_become_orders_fail_alone(sb, client):
    no_date = minimal_order("M-1")
    del no_date["order_crea_dt"]
    with spread.Order(**minimal_order("M-0")) as good, spread.Order(customer_email="a@b.c") as incomplete:
        results = client.send_many([
            good,                                               # 0 delivered
            no_date,                                            # 1 refused by libspread's drop-in
            minimal_order("M-2"),                               # 2 delivered
            minimal_order("M-3", order_state=7),                # 3 refused by libspread's drop-in
            incomplete,                                         # 4 refused by the batch itself
            "M-5",                                              # 5 not an order at all
            minimal_order("M-6", customer_name=b"bytes"),       # 6 a value of the wrong type
            None,                                               # 7
        ])
    assert [r.index for r in results] == list(range(8))
    assert [r.status for r in results] == [0, 13, 0, 12, 13, 12, 12, 12]
    assert [type(r.error).__name__ for r in results] == [
        "NoneType", "MissingFieldError", "NoneType", "InvalidValueError", "MissingFieldError",
        "InvalidValueError", "InvalidValueError", "InvalidValueError"]
    assert [r.message for r in results] == [
        "", "orders[1]: order_crea_dt: is required to send an order", "",
        "orders[3]: order_state: 7 is not one of 0, 10, 20, 50, 100",
        "orders[4]: order_idorder: is required to send an order",
        "orders[5]: send_many() expects a spread.Order or a dict, got str",
        "orders[6]: post_data[customer_name]: bytes cannot be sent (expected None, bool, int, float, Decimal, "
        "str, or a dict or list of them)",
        "orders[7]: send_many() expects a spread.Order or a dict, got NoneType"]
    assert all(r.http_status is None for r in results)
    assert sorted(sb.state()["orders"]) == ["M-0", "M-2"]
    assert len(sb.requests()) == 2


def test_with_a_spool_a_failing_server_queues_all_then_flush_delivers(tmp_path):
    down = threading.Event()
    down.set()

    def respond(seen, server):
        return (503, {}, b"down") if down.is_set() else OK

    with LoopbackServer(respond) as server, client_for(server, spool_dir=tmp_path, max_attempts=1) as client:
        results = client.send_many([minimal_order(f"S-{i}") for i in range(6)], concurrency=3)
        assert [(r.status, r.queued, r.delivered, r.error) for r in results] == [(1, True, False, None)] * 6
        assert client.pending == 6
        with spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=f"http://127.0.0.1:{closed_port()}/api",
                           spool_dir=tmp_path) as elsewhere:
            assert elsewhere.pending == 0  # entries belong to their destination
        down.clear()
        assert client.flush() == spread.FlushResult(delivered=6, remaining=0)
    delivered = [s.form()["data[order_idorder]"] for s in server.seen if s.status == 200]
    assert sorted(delivered) == [f"S-{i}" for i in range(6)]


@pytest.mark.parametrize("concurrency", [1, 2, 4])
def test_concurrency_is_the_number_of_requests_in_flight(concurrency):
    """Measured on the server: exactly `concurrency` requests at once, never more."""
    with LoopbackServer(slow(0.3)) as server, client_for(server, max_attempts=1) as client:
        results = client.send_many([minimal_order(f"P-{i}") for i in range(2 * concurrency)],
                                   concurrency=concurrency)
    assert [r.status for r in results] == [0] * (2 * concurrency)
    assert len(server.seen) == 2 * concurrency
    assert server.max_in_flight == concurrency


def test_a_retry_after_pauses_every_sender(client):
    """The first answer is 429 Retry-After: 1. Until that second is over no sender starts
    a request: the only ones the server sees then were already in flight."""
    first = threading.Lock()

    def respond(seen, server):
        if first.acquire(blocking=False):
            return 429, {"Retry-After": "1"}, b"slow down"
        time.sleep(0.1)
        return OK

    ticks = 0
    done = threading.Event()

    def tick() -> None:  # runs only if send_many releases the GIL
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        with LoopbackServer(respond) as server, client_for(server, timeout=10) as client:
            results = client.send_many([minimal_order(f"RA-{i}") for i in range(12)], concurrency=4)
    finally:
        done.set()
        ticker.join()
    assert [r.status for r in results] == [0] * 12
    (limited,) = [s for s in server.seen if s.status == 429]
    paused = [s for s in server.seen if limited.finished + 0.1 < s.arrived < limited.finished + 0.95]
    assert paused == [], [(s.form()["data[order_idorder]"], s.arrived - limited.finished) for s in paused]
    retried = [s for s in server.seen if s.form() == limited.form() and s is not limited]
    assert len(retried) == 1 and retried[0].arrived >= limited.finished + 0.95
    assert len(server.seen) == 13
    assert ticks >= 20, ticks


def test_updates_of_one_order_land_in_list_order_even_when_the_older_is_slow():
    """Two distinguishable updates of one order, the older deterministically slow: the
    newer must wait for it, so the state SPREAD keeps is the newer one."""
    final = {}

    def respond(seen, server):
        form = seen.form()
        if form["data[order_state]"] == "10":
            time.sleep(0.6)  # the older update takes long
        final[form["data[order_idorder]"]] = form["data[order_state]"]  # what SPREAD keeps: the last processed
        return OK

    with LoopbackServer(respond) as server, client_for(server) as client:
        results = client.send_many([minimal_order("TWICE", order_state=10), minimal_order("OTHER"),
                                    minimal_order("TWICE", order_state=50)], concurrency=3)
    assert [r.status for r in results] == [0, 0, 0]
    assert final == {"TWICE": "50", "OTHER": "20"}
    older, newer = [s for s in server.seen if s.form()["data[order_idorder]"] == "TWICE"]
    assert (older.form()["data[order_state]"], newer.form()["data[order_state]"]) == ("10", "50")
    assert newer.arrived >= older.finished  # not merely sent after: sent once the older was answered


def test_progress_is_reported_on_the_calling_thread():
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total, threading.get_ident(), time.monotonic()))

    with LoopbackServer(slow(0.05)) as server, client_for(server) as client:
        results = client.send_many([minimal_order(f"PR-{i}") for i in range(30)], concurrency=2, progress=progress)
    assert [r.status for r in results] == [0] * 30
    assert calls[-1][:2] == (30, 30)
    assert {total for _, total, _, _ in calls} == {30}
    assert [done for done, *_ in calls] == sorted(done for done, *_ in calls)
    assert {ident for _, _, ident, _ in calls} == {threading.get_ident()}
    assert len(calls) >= 3  # 30 orders x 50 ms on 2 threads: about 0.75 s
    gaps = [b[3] - a[3] for a, b in zip(calls[:-2], calls[1:-1])]
    assert all(gap >= 0.09 for gap in gaps), gaps  # at most every 100 ms (the last call aside)


def test_progress_counts_entries_that_never_became_orders():
    calls = []
    orders = [minimal_order(f"PN-{i}") for i in range(4)]
    orders[1:1] = [42, {"data": "not an order"}]  # failed alone, before anything is sent
    with LoopbackServer() as server, client_for(server) as client:
        results = client.send_many(orders, progress=lambda done, total: calls.append((done, total)))
    assert [r.delivered for r in results] == [True, False, False, True, True, True]
    assert calls[-1] == (6, 6) and {total for _, total in calls} == {6}


def test_a_progress_callback_that_raises_is_raised_once_every_order_is_sent():
    def progress(done: int, total: int) -> None:
        raise KeyError("from progress")

    with LoopbackServer() as server, client_for(server) as client:
        with pytest.raises(KeyError, match="from progress"):
            client.send_many([minimal_order(f"PX-{i}") for i in range(5)], progress=progress)
    assert len(server.seen) == 5


def test_one_order_object_three_times_in_a_batch(sb, client):
    with spread.Order(**minimal_order("TWICE")) as order:
        assert [r.status for r in client.send_many([order, order, order], concurrency=3)] == [0, 0, 0]
    assert sb.state()["orders"]["TWICE"]["updates"] == 3


def test_an_empty_batch_sends_nothing(sb, client):
    assert client.send_many([]) == []
    assert client.send_many(iter(())) == []
    assert sb.requests() == []


@pytest.mark.parametrize("orders, concurrency, error, message", [
    (lambda: minimal_order("X-0"), 8, TypeError, r"expects a list of spread\.Order or dicts, got dict \(for one"),
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


def test_the_concurrency_limit_is_the_library_s():
    assert spread.MAX_CONCURRENCY == spread.max_concurrency() == spread._native.lib().spread_max_concurrency() == 32


def test_closed_orders_and_clients_are_refused(sb):
    order = spread.Order(**minimal_order("C-1"))
    order.close()
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        with pytest.raises(spread.ClosedError, match=r"^orders\[1\]: this Order is closed"):
            client.send_many([minimal_order("C-0"), order])
    with pytest.raises(spread.ClosedError, match="this Client is closed"):
        client.send_many([minimal_order("C-0")])
    assert sb.requests() == []


def test_wrong_keys_fail_every_order_with_401(sb):
    with spread.Client(sb.public_key, "WRONG", base_url=sb.base_url) as client:
        results = client.send_many([minimal_order("K-0"), minimal_order("K-1")], concurrency=1)
    for r in results:
        assert type(r.error) is spread.AuthError and (r.http_status, r.error.http_status) == (401, 401)
        assert str(r.error).startswith(f"orders[{r.index}]: SPREAD refused the API keys (HTTP 401)")
        assert "WRONG" not in str(r.error)
