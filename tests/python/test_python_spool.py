"""The spool (store and forward) through the binding: an order that cannot be delivered
now is queued on disk (Response.queued), flush() delivers it later, and no key is
ever written to the spool."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from spread_test_helpers import minimal_order

import spread


@pytest.fixture
def spooled(sb, tmp_path):
    """A client with a spool and no retries (so a 5xx queues at once)."""
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=5,
                       spool_dir=tmp_path / "spool", max_attempts=1) as c:
        yield c


def spool_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_undeliverable_order_is_queued_then_flushed(sb, spooled, tmp_path):
    sb.fault(mode="status", code=503)
    response = spooled.update_order(minimal_order("Q-1"))
    assert response == spread.Response(status=0, body="", queued=True)
    assert spooled.pending == 1
    assert sb.state()["orders"] == {}

    with pytest.raises(spread.ServerError) as info:  # still down: the flush stops, nothing lost
        spooled.flush()
    assert info.value.flush_result == (0, 1)
    assert spooled.pending == 1

    sb.fault(mode="none")
    assert spooled.flush() == spread.FlushResult(delivered=1, remaining=0)
    assert spooled.pending == 0
    assert sb.state()["orders"]["Q-1"]["order_state"] == "20"
    assert spooled.flush() == (0, 0)


def test_spool_holds_no_secret(sb, spooled, tmp_path):
    sb.fault(mode="status", code=500)
    assert spooled.update_order(minimal_order("Q-2")).queued
    stored = spool_bytes(tmp_path / "spool")
    assert b"Q-2" in stored
    basic = base64.b64encode(f"{sb.public_key}:{sb.private_key}".encode())
    assert sb.private_key.encode() not in stored and basic not in stored


def test_a_newer_update_does_not_overtake_the_queued_one(sb, spooled):
    sb.fault(mode="drop")
    assert spooled.update_order(minimal_order("Q-3", order_state=10)).queued
    sb.fault(mode="none")
    response = spooled.update_order(minimal_order("Q-3", order_state=50))
    assert (response.status, response.queued) == (200, False)
    stored = sb.state()["orders"]["Q-3"]
    assert (stored["order_state"], stored["updates"]) == ("50", 2)
    assert spooled.pending == 0


def test_refused_keys_keep_the_order(sb, tmp_path):
    """401/403 is about the account, not the order: raised without a spool, queued with one."""
    with spread.Client(sb.public_key, "WRONG-KEY", base_url=sb.base_url) as c:
        with pytest.raises(spread.AuthError):
            c.update_order(minimal_order("K-1"))
    with spread.Client(sb.public_key, "WRONG-KEY", base_url=sb.base_url, spool_dir=str(tmp_path)) as c:
        assert c.update_order(minimal_order("K-1")).queued
        assert c.pending == 1
        with pytest.raises(spread.AuthError) as info:
            c.flush()
        assert info.value.flush_result == (0, 1)
    assert sb.state()["orders"] == {}


def test_spool_settings_are_checked(sb, tmp_path):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as c:
        with pytest.raises(spread.ConfigError, match="^spool_dir: "):
            _ = c.pending
        with pytest.raises(spread.ConfigError, match="^spool_dir: "):
            c.flush()
    with pytest.raises(spread.ConfigError, match="^max_attempts: must be at least 1"):
        spread.Client(sb.public_key, sb.private_key, max_attempts=0)
    with pytest.raises(spread.ConfigError, match=r"^max_attempts: 4294967296 is out of range"):
        spread.Client(sb.public_key, sb.private_key, max_attempts=2**32)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(spread.SpoolIOError, match="^spool: cannot .*Not a directory") as info:
        spread.Client(sb.public_key, sb.private_key, spool_dir=blocker / "spool")
    assert isinstance(info.value, OSError) and type(info.value) is spread.IoError


def test_spool_status_counts_this_destination_and_the_others(sb, spooled, tmp_path):
    sb.fault(mode="status", code=503)
    for i in range(2):
        assert spooled.update_order(minimal_order(f"SS-{i}")).queued
    status = spooled.spool_status()
    assert (status["pending"], status["foreign"], status["rejected"]) == (2, 0, 0)
    assert isinstance(status["oldest_secs"], int) and status["oldest_secs"] >= 0
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.url("/other-api"),
                       spool_dir=tmp_path / "spool") as other:
        assert (other.spool_status()["pending"], other.spool_status()["foreign"], other.pending) == (0, 2, 0)


def test_rejected_orders_are_listed_requeued_and_purged(sb, spooled):
    sb.fault(mode="status", code=503)
    for idorder in ("R-1", "R-2"):
        assert spooled.update_order(minimal_order(idorder)).queued
    sb.fault(mode="status", code=422)
    assert spooled.flush() == (0, 0)  # both refused for their content: set aside
    rejected = spooled.rejected()
    assert [r["order_id"] for r in rejected] == ["R-1", "R-2"]
    assert all(r["base_url"] == sb.base_url and "422" in r["answer"] and r["age_secs"] >= 0 for r in rejected)
    assert spooled.spool_status()["rejected"] == 2

    assert spooled.requeue(rejected[0]["name"]) == 1
    with pytest.raises(spread.InvalidValueError):
        spooled.requeue("no-such-entry")
    sb.fault(mode="none")
    assert spooled.flush() == (1, 0)
    assert list(sb.state()["orders"]) == ["R-1"]

    assert spooled.purge_rejected(older_than=3600) == 0  # R-2 was set aside just now
    assert spooled.purge_rejected() == 1
    assert spooled.rejected() == [] and spooled.requeue() == 0


def test_orders_of_an_old_base_url_are_stranded_until_adopted(sb, tmp_path):
    """The shop's base URL changed while orders were spooled (issue 28): the old URL's
    orders are counted as stranded, then adopted and delivered in their order."""
    folder = tmp_path / "spool"
    old_url = sb.base_url.replace("127.0.0.1", "localhost")  # the same server, another base URL
    with spread.Client(sb.public_key, sb.private_key, base_url=old_url, spool_dir=folder,
                       max_attempts=1, timeout=5) as before:
        sb.fault(mode="status", code=503, times=2)
        assert before.update_order(minimal_order("S-1")).queued
        assert before.update_order(minimal_order("S-2")).queued
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=folder,
                       max_attempts=1, timeout=5) as after:
        status = after.spool_status()
        assert (status["pending"], status["stranded"]) == (0, 2)
        assert after.flush() == (0, 0)  # nothing of its own: the stranded orders wait
        with pytest.raises(spread.InvalidValueError, match="from"):
            after.adopt()
        assert after.adopt(from_base_url=old_url) == 2
        assert after.spool_status()["stranded"] == 0
        assert after.flush() == (2, 0)
    assert set(sb.state()["orders"]) >= {"S-1", "S-2"}
