"""Fork safety through the binding (issue 21): a client used on both sides of os.fork()
or of a multiprocessing 'fork' child gets the verdict on its own orders, and a child that
sleeps while its parent flushes or sends keeps none of the spool's locks. The server is
tests/harness/verdicts.py: C... orders refused (400), S... answered after 400 ms, the
others 200, every answer naming its order, on keep-alive connections."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time

import pytest
from spread_test_helpers import minimal_order

import spread
from harness.verdicts import VerdictServer

ROUNDS = 30

# Python 3.12+ warns when a process with threads forks (here the server's and the
# flusher's): forking at such a moment is what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")


@pytest.fixture
def vs():
    with VerdictServer() as server:
        yield server


def wait_child(pid: int, limit: float = 60.0) -> int | None:
    """The child's exit code, or None when it did not end within `limit` (then killed)."""
    deadline = time.monotonic() + limit
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)


def child_rounds(client: spread.Client, close: bool = False) -> int:
    """The child's part: its orders are refused, each with its own id in the answer."""
    crossed = 0
    for n in range(ROUNDS):
        oid = f"C-{n}"
        try:
            r = client.update_order(minimal_order(oid))
            print(f"child, order {oid}: {r}", file=sys.stderr)
            crossed += 1
        except spread.RejectedError as e:
            if f'refused {oid}"' not in str(e):
                print(f"child, order {oid}: {e}", file=sys.stderr)
                crossed += 1
        except spread.SpreadError as e:
            print(f"child, order {oid}: {e!r}", file=sys.stderr)
            crossed += 1
    if close:
        client.close()  # freeing the inherited client in the child leaves the parent's alone
    return crossed


def parent_rounds(client: spread.Client) -> list[str]:
    crossed = []
    for n in range(ROUNDS):
        oid = f"P-{n}"
        try:
            r = client.update_order(minimal_order(oid))
            if r.status != 200 or f'"{oid}"' not in r.body:
                crossed.append(f"{oid}: {r}")
        except spread.SpreadError as e:
            crossed.append(f"{oid}: {e!r}")
    return crossed


def warm_client(vs: VerdictServer) -> spread.Client:
    c = spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=vs.base_url, timeout=5, max_attempts=1)
    assert '"P-warm"' in c.update_order(minimal_order("P-warm")).body  # a pooled connection now
    return c


def test_os_fork_answers_do_not_cross(vs):
    with warm_client(vs) as c:
        pid = os.fork()
        if pid == 0:
            code = 99
            try:
                code = min(child_rounds(c), 100)
            finally:
                os._exit(code)
        crossed = parent_rounds(c)
        child_crossed = wait_child(pid)
    assert crossed == [], f"the parent got the child's answers: {crossed}"
    assert child_crossed == 0, "the child got the parent's answers (count), or did not finish"
    assert {f"C-{n}" for n in range(ROUNDS)} <= set(vs.ids())


def _mp_child(client: spread.Client) -> None:
    sys.exit(min(child_rounds(client, close=True), 100))


def test_multiprocessing_fork_answers_do_not_cross(vs):
    ctx = multiprocessing.get_context("fork")
    with warm_client(vs) as c:
        child = ctx.Process(target=_mp_child, args=(c,))
        child.start()
        crossed = parent_rounds(c)
        child.join(60)
        if child.exitcode is None:
            child.kill()
            child.join()
        # The parent's client still works after the child freed its copy.
        assert '"P-after"' in c.update_order(minimal_order("P-after")).body
    assert crossed == [], f"the parent got the child's answers: {crossed}"
    assert child.exitcode == 0, "the child got the parent's answers (count), or did not finish"


class Sleeper:
    """A child that sleeps and never calls libspread: os.fork or multiprocessing (fork)."""

    def __init__(self, how: str) -> None:
        self.how = how
        if how == "os.fork":
            self.pid = os.fork()
            if self.pid == 0:
                time.sleep(20)
                os._exit(0)
        else:
            self.process = multiprocessing.get_context("fork").Process(target=time.sleep, args=(20,))
            self.process.start()

    def stop(self) -> None:
        if self.how == "os.fork":
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        else:
            self.process.kill()
            self.process.join()


def spooled(vs: VerdictServer, folder) -> spread.Client:
    return spread.Client("PUBLIC_KEY", "PRIVATE_KEY", base_url=vs.base_url, timeout=5, max_attempts=1,
                         spool_dir=folder)


def queue(vs: VerdictServer, client: spread.Client, *ids: str) -> None:
    vs.down()  # 503: the sends queue their orders
    try:
        for oid in ids:
            assert client.update_order(minimal_order(oid)).queued
    finally:
        vs.up()


@pytest.mark.parametrize("how", ["os.fork", "multiprocessing"])
def test_a_sleeping_child_does_not_hold_the_flush_lock(vs, tmp_path, how):
    with spooled(vs, tmp_path / "spool") as c, spooled(vs, tmp_path / "spool") as other:
        queue(vs, c, "S-1", "S-2")  # the flush takes 2 x 400 ms
        flushed = []
        t = threading.Thread(target=lambda: flushed.append(c.flush()))
        t.start()
        time.sleep(0.15)  # the flush holds its lock, waiting for S-1's answer
        sleeper = Sleeper(how)
        try:
            t.join(30)
            assert flushed == [(2, 0)]
            queue(vs, c, "F-3")
            started = time.monotonic()
            # Another client (its own open files, as another process): not "another flush is running".
            assert other.flush() == (1, 0)
            assert time.monotonic() - started < 10
        finally:
            sleeper.stop()


@pytest.mark.parametrize("how", ["os.fork", "multiprocessing"])
def test_a_sleeping_child_does_not_hold_an_order_lock(vs, tmp_path, how):
    with spooled(vs, tmp_path / "spool") as c, spooled(vs, tmp_path / "spool") as other:
        sent = []
        t = threading.Thread(target=lambda: sent.append(c.update_order(minimal_order("S-order"))))
        t.start()
        time.sleep(0.15)  # the send holds its order's lock, waiting for the answer
        sleeper = Sleeper(how)
        try:
            t.join(30)
            assert sent and sent[0].status == 200
            again = other.update_order(minimal_order("S-order", order_state=50))
            assert not again.queued, "queued behind a lock the sleeping child keeps"
            assert again.status == 200
        finally:
            sleeper.stop()
