"""What a Python author expects (issue 26): datetime and date values, OrderState, a
repr with the order id, to_dict() and pickling, Client.from_env(), app_info in the
User-Agent, a logger level read per record, TypedDicts for the spool, and an
AsyncClient that never blocks the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import logging.config
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

import spread
from harness import REPO_ROOT, Sandbox
from spread_test_helpers import closed_port, minimal_order

BINDING_DIR = REPO_ROOT / "bindings" / "python"
UTC = dt.timezone.utc
PARIS_SUMMER = dt.timezone(dt.timedelta(hours=2))
LIBSPREAD = f"libspread/{spread.library_version()}"


def data_of(order: spread.Order) -> dict:
    return order.to_dict()["data"]


# ----------------------------------------------------------------------------- dates

def test_an_aware_datetime_is_sent_as_utc_in_the_seeds_format():
    with spread.Order(order_crea_dt=dt.datetime(2024, 5, 4, 12, 31, 8, tzinfo=PARIS_SUMMER)) as o:
        assert data_of(o)["order_crea_dt"] == "2024-05-04 10:31:08"
        o.set("order_crea_dt", dt.datetime(2024, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))))
        assert data_of(o)["order_crea_dt"] == "2023-12-31 23:30:00"


def test_dates_for_the_date_fields():
    with spread.Order(customer_birthday=dt.date(1980, 2, 29), order_start_service=dt.date(2024, 6, 1),
                      order_end_service=dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) as o:
        data = data_of(o)
    assert (data["customer_birthday"], data["order_start_service"]) == ("1980-02-29", "2024-06-01")
    assert data["order_end_service"] == "2024-07-01"  # its UTC date


def test_a_naive_datetime_is_refused_saying_why_and_changes_nothing():
    with spread.Order(order_crea_dt="2014-06-21 14:31:08") as o:
        with pytest.raises(spread.InvalidValueError, match=r"order_crea_dt: .* is naive \(no time zone\)"):
            o.set("order_crea_dt", dt.datetime(2024, 5, 4, 10, 31))
        with pytest.raises(spread.InvalidValueError, match=r"order_crea_dt: 2024-05-04 is a date without a time"):
            o.set("order_crea_dt", dt.date(2024, 5, 4))
        assert data_of(o)["order_crea_dt"] == "2014-06-21 14:31:08"
    with pytest.raises(spread.InvalidValueError, match="naive"):
        spread.Order.from_dict(minimal_order(order_crea_dt=dt.datetime(2024, 5, 4)))


def test_update_order_takes_datetimes_in_the_dict(sb: Sandbox, client: spread.Client):
    post_data = minimal_order("DT-1", order_crea_dt=dt.datetime(2024, 5, 4, 12, 0, tzinfo=PARIS_SUMMER),
                              customer_birthday=dt.date(1990, 1, 2))
    assert client.update_order(post_data).status == 200
    stored = sb.state()["orders"]["DT-1"]
    assert stored["order_crea_dt"] == "2024-05-04 10:00:00"
    assert b"customer_birthday%5D=1990-01-02" in sb.requests()[0]["raw"]


# ----------------------------------------------------------------------------- states

def test_order_state_is_an_int_enum_with_spreads_values(sb: Sandbox, client: spread.Client):
    assert [int(s) for s in spread.OrderState] == [0, 10, 20, 50, 100]
    assert spread.OrderState.PAID == 20 and spread.OrderState(50) is spread.OrderState.SHIPPED
    assert spread.OrderState.TAKEN.label == "taken (unpaid)"
    with spread.Order(**minimal_order("ST-1", order_state=spread.OrderState.SHIPPED)) as o:
        assert data_of(o)["order_state"] == "50"
        client.send(o)
    assert sb.state()["orders"]["ST-1"]["order_state"] == "50"
    client.update_order(minimal_order("ST-2", order_state=spread.OrderState.COMPLETED))
    assert sb.state()["orders"]["ST-2"]["order_state"] == "100"


# ----------------------------------------------------------------------------- repr, to_dict, pickle

def test_repr_names_the_order():
    with spread.Order(order_idorder="CMD-42", order_state=spread.OrderState.PAID) as o:
        assert repr(o) == "<spread.Order order_idorder='CMD-42' order_state='20'>"
    assert repr(o) == "<spread.Order closed>"
    with spread.Order() as empty:
        assert repr(empty) == "<spread.Order without order_idorder>"


def test_to_dict_gives_post_data_that_sends_the_same_body():
    with spread.Order(**minimal_order("TD-1")) as o:
        o.add_tag("vip", "newsletter").custom_field(327, "blue").consent("newsletter", True)
        o.add_product(["size:xl", "type:shirt"]).add_product(["size:s"])
        post_data = o.to_dict()
        body = o.encode()
    assert post_data["data"]["add_tag"] == ["vip", "newsletter"]
    assert post_data["data"]["order_idorder"] == "TD-1" and post_data["request"] == {"order_idorder": "TD-1"}
    with spread.Order.from_dict(post_data, strict=True) as again:
        assert again.encode() == body


def test_an_order_survives_pickle_as_a_queue_carries_it():
    with spread.Order(**minimal_order("PK-1")).add_tag("vip") as o:
        copied = pickle.loads(pickle.dumps(o))
        assert copied.encode() == o.encode() and copied is not o
        copied.close()


# ----------------------------------------------------------------------------- from_env

def keys_file(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / f"keys-{mode:o}"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_from_env_reads_the_clis_variables(sb: Sandbox, tmp_path: Path):
    env = {"SPREAD_PUBLIC_KEY": sb.public_key, "SPREAD_PRIVATE_KEY": sb.private_key, "SPREAD_BASE_URL": sb.base_url,
           "SPREAD_SPOOL": str(tmp_path / "spool"), "SPREAD_APP_INFO": "EnvShop/1"}
    with spread.Client.from_env(environ=env) as client:
        assert client.send(spread.Order(**minimal_order("FE-1"))).status == 200
        assert client.spool_status()["pending"] == 0  # SPREAD_SPOOL was used
    assert (tmp_path / "spool").is_dir()
    assert [q["user_agent"] for q in sb.requests()] == [f"{LIBSPREAD} EnvShop/1"]


def test_from_env_reads_a_keys_file_and_keywords_win(sb: Sandbox, tmp_path: Path):
    path = keys_file(tmp_path, f"# SPREAD\nSPREAD_PUBLIC_KEY={sb.public_key}\nSPREAD_PRIVATE_KEY=\"{sb.private_key}\"\n", 0o600)
    env = {"SPREAD_KEYS_FILE": str(path), "SPREAD_PUBLIC_KEY": "wrong", "SPREAD_PRIVATE_KEY": "wrong",
           "SPREAD_BASE_URL": "http://127.0.0.1:1/api"}
    with spread.Client.from_env(environ=env, base_url=sb.base_url) as client:
        assert client.update_order(minimal_order("FE-2")).status == 200
    os.environ.pop("SPREAD_KEYS_FILE", None)


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o604])
def test_from_env_refuses_a_keys_file_others_may_read(tmp_path: Path, mode: int):
    path = keys_file(tmp_path, "SPREAD_PUBLIC_KEY=a\nSPREAD_PRIVATE_KEY=s3cr3t-key\n", mode)
    with pytest.raises(spread.ConfigError, match=f"mode {mode:04o} lets others read or change it") as caught:
        spread.Client.from_env(environ={"SPREAD_KEYS_FILE": str(path)})
    assert "s3cr3t-key" not in str(caught.value)


def test_from_env_names_what_is_missing_or_malformed(tmp_path: Path):
    with pytest.raises(spread.ConfigError, match="SPREAD_PUBLIC_KEY is not set"):
        spread.Client.from_env(environ={})
    path = keys_file(tmp_path, "SPREAD_PUBLIC_KEY=a\nSPREAD_PRIVATE_KEY s3cr3t\n", 0o600)
    with pytest.raises(spread.ConfigError, match="line 2: not NAME=value") as caught:
        spread.Client.from_env(environ={"SPREAD_KEYS_FILE": str(path)})
    assert "s3cr3t" not in str(caught.value)
    path = keys_file(tmp_path, "SPREAD_BASE_URL=http://x\n", 0o640)
    with pytest.raises(spread.ConfigError, match="SPREAD_BASE_URL is not read from a keys file"):
        spread.Client.from_env(environ={"SPREAD_KEYS_FILE": str(path)})


# ----------------------------------------------------------------------------- app_info

def test_app_info_is_appended_to_the_user_agent(sb: Sandbox):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, app_info="MyShop/2.1") as client:
        client.update_order(minimal_order("AI-1"))
    assert [q["user_agent"] for q in sb.requests()] == [f"{LIBSPREAD} MyShop/2.1"]


@pytest.mark.parametrize("bad", ["MyShop/2.1\r\nX-Evil: 1", "Café/1", "x" * 129, " lead"])
def test_bad_app_info_is_refused_naming_it(sb: Sandbox, bad: str):
    with pytest.raises(spread.ConfigError, match="^app_info"):
        spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, app_info=bad)


# ----------------------------------------------------------------------------- logging

def test_logging_configured_after_the_client_is_obeyed(sb: Sandbox):
    """Django configures logging (dictConfig) after modules made their clients."""
    logging.getLogger("spread").setLevel(logging.NOTSET)
    # dictConfig replaces a configured logger's handlers: the library's NullHandler comes back after.
    saved_handlers = list(logging.getLogger("spread").handlers)
    seen: List[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        client.update_order(minimal_order("LG-1"))
        assert [r for r in seen if r.name.startswith("spread")] == []
        keep = Keep()
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "loggers": {"spread": {"level": "DEBUG"}}})
        logging.getLogger("spread").addHandler(keep)
        try:
            client.update_order(minimal_order("LG-2"))
            attempts = [r for r in seen if getattr(r, "event", None) == "attempt"]
            assert [getattr(r, "order_id", None) for r in attempts] == ["LG-2"]
            # And back up: debug records stop at once.
            logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                       "loggers": {"spread": {"level": "WARNING"}}})
            client.update_order(minimal_order("LG-3"))
            assert [getattr(r, "order_id", None) for r in seen if getattr(r, "event", None) == "attempt"] == ["LG-2"]
        finally:
            logging.getLogger("spread").handlers[:] = saved_handlers
            logging.getLogger("spread").setLevel(logging.NOTSET)


# ----------------------------------------------------------------------------- typed spool views

def test_spool_status_and_rejected_are_typed_dicts(sb: Sandbox, tmp_path: Path):
    assert set(spread.SpoolStatus.__annotations__) == {"pending", "foreign", "legacy", "rejected", "unreadable",
                                                       "oldest_secs", "stranded", "stranded_oldest_secs"}
    sb.fault(mode="status", code=422, times=1)
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path / "spool") as client:
        st = client.spool_status()
        assert set(st) == set(spread.SpoolStatus.__annotations__)  # both ways: the library's keys
        with pytest.raises(spread.RejectedError):
            client.update_order(minimal_order("RJ-1"))
        client.enqueue(minimal_order("RJ-2"))
        rejected = client.rejected()
    entries = [e for e in rejected]
    for entry in entries:
        assert set(entry) == set(spread.RejectedEntry.__annotations__)


# ----------------------------------------------------------------------------- asyncio

class SlowServer:
    """A loopback HTTP server that answers 200 after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        import http.server
        import threading

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(outer.delay)
                body = b'{"status":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.delay = delay
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_async_send_lets_the_event_loop_run_while_spread_is_slow():
    server = SlowServer(delay=1.0)

    async def main() -> tuple:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        async with spread.AsyncClient("PUBLIC_KEY", "PRIVATE_KEY", base_url=server.base_url, timeout=10) as client:
            start = time.monotonic()
            responses = await asyncio.gather(client.send(spread.Order(**minimal_order("AS-1"))),
                                             client.update_order(minimal_order("AS-2")))
            elapsed = time.monotonic() - start
        stop.set()
        await task
        return responses, ticks, elapsed

    try:
        responses, ticks, elapsed = asyncio.run(main())
    finally:
        server.close()
    assert [r.status for r in responses] == [200, 200]
    assert elapsed < 1.9, f"the two sends ran one after the other ({elapsed:.2f} s)"
    assert ticks >= 40, f"the loop ran only {ticks} ticks during a 1 s answer: it was blocked"


def test_async_enqueue_flush_and_send_many(sb: Sandbox, tmp_path: Path):
    offline_url = f"http://127.0.0.1:{closed_port()}/api"

    async def main() -> tuple:
        async with spread.AsyncClient(sb.public_key, sb.private_key, base_url=offline_url,
                                      spool_dir=tmp_path / "spool", max_attempts=1, shutdown_timeout=0) as offline:
            queued = await offline.enqueue(minimal_order("AE-1"))
            assert queued.queued
            sent = await offline.send_many([minimal_order("AE-2"), {"not": "an order"}])
            status = await offline.spool_status()
        async with spread.AsyncClient(sb.public_key, sb.private_key, base_url=sb.base_url,
                                      spool_dir=tmp_path / "spool") as online:
            assert online.client.adopt(from_base_url=offline_url) == 2  # the spool is per destination
            return sent, status, await online.flush(), await online.spool_status()

    sent, status, flushed, after = asyncio.run(main())
    assert [r.queued for r in sent] == [True, False] and sent[1].failed
    assert status["pending"] >= 1
    assert flushed.remaining == 0 and after["pending"] == 0
    assert {"AE-1", "AE-2"} <= set(sb.state()["orders"])


# ----------------------------------------------------------------------------- mypy

def test_the_new_types_pass_mypy_strict(tmp_path: Path):
    caller = tmp_path / "typed_caller.py"
    caller.write_text(
        "import asyncio, datetime\n"
        "import spread\n"
        "def status(c: spread.Client) -> int:\n"
        "    st: spread.SpoolStatus = c.spool_status()\n"
        "    oldest: int | None = st['oldest_secs']\n"
        "    names = [e['name'] for e in c.rejected()]\n"
        "    return st['pending'] + len(names) + (oldest or 0)\n"
        "async def send(c: spread.AsyncClient) -> int:\n"
        "    o = spread.Order(order_state=spread.OrderState.PAID,\n"
        "                     order_crea_dt=datetime.datetime.now(datetime.timezone.utc))\n"
        "    r = await c.send(o)\n"
        "    d: dict[str, object] = o.to_dict()\n"
        "    return r.status + len(d)\n"
        "c = spread.Client.from_env(app_info='MyShop/2.1')\n"
        "st = c.spool_status()\n"
        "st['pendng']\n"
    )
    env = dict(os.environ, MYPYPATH=str(BINDING_DIR))
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           "--python-version", "3.11", "--no-error-summary", str(BINDING_DIR / "spread"), str(caller)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{caller}:16: error: TypedDict \"SpoolStatus\" has no key \"pendng\""), \
        proc.stdout + proc.stderr
