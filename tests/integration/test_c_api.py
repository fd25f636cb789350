"""The C API as a C program sees it: programs in tests/c compiled with the
system compiler against include/spread.h, run against the sandbox (and under
valgrind); their output and the sandbox's log and state are checked here."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness import REPO_ROOT, Sandbox
from harness.seed import SEED_BODY, SEED_BODY_FILE, SEED_POST_DATA
from cbuild import CRATE_VERSION as VERSION, compile_program  # tests/c (conftest.py puts it on sys.path)

PROGRAMS = ["happy", "errors", "transport", "threads", "enqueue"]


@pytest.fixture(scope="module")
def programs(tmp_path_factory, libspread) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("c-api")
    built = {name: compile_program(name, out, libspread) for name in PROGRAMS}
    built["happy_static"] = compile_program("happy", out, libspread, static=True)
    return built


@pytest.fixture(scope="module")
def seed_body() -> bytes:
    return SEED_BODY


def closed_port_url() -> str:
    # Bound then released: nothing listens there for the next moments.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


def run(program: Path, *args: str, timeout: float = 60, prefix: list[str] | None = None):
    return subprocess.run([*(prefix or []), str(program), *args], capture_output=True, text=True, timeout=timeout)


def assert_passed(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert " checks, 0 failed" in proc.stdout


def transport(programs, base_url: str, *args: str) -> dict[str, str]:
    """Runs tests/c/transport.c (sends the seed order once) and parses its key=value lines."""
    proc = run(programs["transport"], base_url, *args)
    assert_passed(proc)
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


def log_summary(sandbox: Sandbox) -> list[tuple]:
    return [(q["method"], q["path"], q["auth_scheme"], q["status"]) for q in sandbox.requests()]


# ----------------------------------------------------------------------------- happy path

@pytest.mark.parametrize("build", ["happy", "happy_static"])
def test_seed_order_through_every_setter_is_stored(sb, programs, seed_body, build):
    if build == "happy_static":
        needed = subprocess.run(["readelf", "-d", str(programs[build])], capture_output=True, text=True).stdout
        assert "NEEDED" in needed and "libspread" not in needed  # really the static archive

    proc = run(programs[build], sb.base_url, str(SEED_BODY_FILE))
    assert_passed(proc)  # includes: spread_order_encode(seed) == seed_body.txt byte for byte
    assert 'response1: 200 {"status":"ok","order_idorder":"0000001","created":true}' in proc.stdout

    log = sb.requests()
    assert [(q["method"], q["auth_scheme"], q["status"]) for q in log] == [("POST", "Basic", 200)] * 3
    assert [q["raw"] for q in log[:2]] == [seed_body, seed_body]
    body2 = proc.stdout.split("body2: ", 1)[1].split("\n", 1)[0]
    assert log[2]["raw"] == body2.encode()

    state = sb.state()
    assert set(state["orders"]) == {"0000001", "0000002"}
    seed = state["orders"]["0000001"]
    assert seed["updates"] == 2  # the second send updated it
    assert (seed["order_state"], seed["order_amount"], seed["profile"]) == ("10", "158.31", "john@doe.com")
    assert seed["product_attributes"] == [["size:xl", "type:shirt"], ["size:s", "color:blue"]]
    assert seed["tags"] == ["tag_commande_1", "tag_commande_2"]
    profile = state["profiles"]["john@doe.com"]
    expected = {k: v for k, v in SEED_POST_DATA["data"].items() if k.startswith("customer_")}
    assert {k: profile[k] for k in expected} == expected
    assert (profile["tags"], profile["custom_fields"]) == (["tag1", "tag2"], {"327": "value"})

    second = state["orders"]["0000002"]
    assert (second["order_state"], second["order_amount"], second["extra"]) == ("20", "19.90", {"coupon": "WELCOME10"})
    ext = state["profiles"]["ext-42"]
    assert ext["consents"] == {"newsletter": 1, "sms": 0}
    assert ext["customer_cookie"] == "sbt-cookie-value"


# ----------------------------------------------------------------------------- error paths without a server

def test_error_paths(programs):
    proc = run(programs["errors"], VERSION, closed_port_url())
    assert_passed(proc)
    assert f"version: {VERSION}\n" in proc.stdout
    checks = int(proc.stdout.rsplit(" checks", 1)[0].rsplit("\n", 1)[-1])
    assert checks > 1000  # the loops over every setter really ran


def test_every_function_taking_a_pointer_has_its_null_case():
    """errors.c passes NULL to each pointer argument of the functions it names, and to the
    setters of common.c's tables: a function added to the header must be added there."""
    header = (REPO_ROOT / "include" / "spread.h").read_text()
    common = (REPO_ROOT / "tests" / "c" / "common.c").read_text()
    tables = common[common.index("TEXT_SETTERS[] = {"):common.index("static text_setter lookup")]
    covered = (REPO_ROOT / "tests" / "c" / "errors.c").read_text() + tables
    functions = re.findall(r"^\w[\w ]*\**\s*\b(spread_\w+)\(([^)]*)\);", header, re.M)
    with_pointers = [name for name, params in functions if "*" in params]
    assert len(with_pointers) > 30
    assert [n for n in with_pointers if not re.search(rf"\b{n}\b", covered)] == []


# ----------------------------------------------------------------------------- transport errors

def test_closed_port_is_a_network_error(programs):
    url = closed_port_url()
    r = transport(programs, url)
    assert r["status"] == "SPREAD_ERR_NETWORK"
    assert url.split("/")[2] in r["error"]  # names host:port
    assert r["http"] == "0" and r["body"] == ""


def test_wrong_keys(sb, programs):
    r = transport(programs, sb.base_url, "--keys", "PUBLIC_KEY", "WRONG_SECRET_9f3a")
    assert r["status"] == "SPREAD_ERR_AUTH"
    assert "401" in r["error"]
    assert "WRONG_SECRET_9f3a" not in r["error"]
    assert log_summary(sb) == [("POST", "/api/updateOrder", "Basic", 401)]
    assert sb.state()["orders"] == {}


def test_rejected_request_carries_the_server_message(sb, programs):
    sb.fault(mode="status", code=400)
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_ERR_REJECTED"
    assert "sandbox fault: status 400" in r["error"]
    assert sb.state()["orders"] == {}


def test_server_error(sb, programs):
    sb.fault(mode="status", code=503)  # permanent: retries cannot turn it into a success
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_ERR_SERVER"
    assert "503" in r["error"]
    assert {q["status"] for q in sb.requests()} == {503}
    assert sb.state()["orders"] == {}


def test_dropped_answer_is_a_network_error(sb, programs):
    sb.fault(mode="drop")
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_ERR_NETWORK"


def test_slow_answer_times_out(sb, programs):
    sb.fault(mode="slow", delay_ms=2000)  # permanent; kept short: php -S serves one request at a time
    started = time.monotonic()
    r = transport(programs, sb.base_url, "--timeout-ms", "1000")
    wall = time.monotonic() - started
    assert r["status"] == "SPREAD_ERR_TIMEOUT"
    assert 900 <= int(r["elapsed_ms"]) <= 1500  # measured around spread_send itself
    assert wall < 2.5


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_only_server(sb, programs, algorithm):
    sb.fault(mode="digest", algorithm=algorithm)
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_OK", r["error"]
    # Basic up front is refused with a Digest challenge, which is then answered.
    assert log_summary(sb) == [("POST", "/api/updateOrder", "Basic", 401),
                               ("POST", "/api/updateOrder", "Digest", 200)]
    assert "0000001" in sb.state()["orders"]


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_keeps_post_and_body(sb, programs, seed_body, code):
    sb.fault(mode="redirect", code=code, location="/api/updateOrder2", times=1)
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_OK", r["error"]
    assert log_summary(sb) == [("POST", "/api/updateOrder", "Basic", code),
                               ("POST", "/api/updateOrder2", "Basic", 200)]
    assert [q["raw"] for q in sb.requests()] == [seed_body, seed_body]
    assert sb.state()["orders"]["0000001"]["updates"] == 1


def test_redirect_to_another_port_is_not_followed(sb, other, programs):
    # Issue 21: another origin never gets the order (nor the keys); the error names where it points.
    sb.fault(mode="redirect", code=307, location=other.url("/api/updateOrder"))
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_ERR_REDIRECT"
    assert other.url("/api/updateOrder") in r["error"] and "update base_url" in r["error"]
    assert "PRIVATE_KEY" not in r["error"]
    assert log_summary(sb) == [("POST", "/api/updateOrder", "Basic", 307)]
    assert log_summary(other) == []
    assert sb.state()["orders"] == {} and other.state()["orders"] == {}


def test_redirect_loop_stops(sb, programs):
    sb.fault(mode="redirect", code=302, location="/api/updateOrder")
    r = transport(programs, sb.base_url)
    assert r["status"] == "SPREAD_ERR_REDIRECT"
    assert len(sb.requests()) == 11  # the first request and 10 redirects followed


# ----------------------------------------------------------------------------- enqueue

def test_enqueued_orders_are_delivered_in_order_before_free_returns(sb, programs, tmp_path):
    spool = tmp_path / "spool"
    proc = run(programs["enqueue"], sb.base_url, spool, "5000")
    assert_passed(proc)
    states = [(q["raw"].decode().split("order_idorder%5D=")[1].split("&")[0],
               q["raw"].decode().split("order_state%5D=")[1].split("&")[0]) for q in sb.requests()]
    assert [s for i, s in states if i == "E-1"] == ["10", "20", "50"]  # the order enqueued
    orders = sb.state()["orders"]
    assert (orders["E-1"]["order_state"], orders["E-2"]["order_state"]) == ("50", "100")
    assert list(spool.glob("*.req")) == []  # free waited until every order was delivered


def test_free_waits_no_longer_than_the_shutdown_timeout(programs, tmp_path):
    # A server that takes the connection and never answers.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        url = f"http://127.0.0.1:{hung.getsockname()[1]}/api"
        spool = tmp_path / "spool"
        start = time.monotonic()
        proc = run(programs["enqueue"], url, spool, "700")
        took = time.monotonic() - start
    assert_passed(proc)
    assert took < 5, f"free took {took:.1f} s with a 0.7 s shutdown timeout"
    assert len(list(spool.glob("*.req"))) == 4  # all left in the spool for the next flush


# ----------------------------------------------------------------------------- threads

def test_one_client_shared_by_four_threads(programs):
    with Sandbox(workers=4) as sandbox:
        proc = run(programs["threads"], sandbox.base_url, timeout=120)
        assert_passed(proc)
        assert "delivered=200" in proc.stdout
        state = sandbox.state()
        assert sorted(state["orders"]) == sorted(f"T{t}-{n:03d}" for t in range(4) for n in range(50))
        for t in range(4):
            assert len(state["profiles"][f"thread{t}@example.com"]["orders"]) == 50
        assert {(q["auth_scheme"], q["status"]) for q in sandbox.requests()} == {("Basic", 200)}


# ----------------------------------------------------------------------------- valgrind

VALGRIND = ["valgrind", "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=1"]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
@pytest.mark.parametrize("program", ["happy", "errors"])
def test_no_leak_and_no_memory_error_under_valgrind(sb, programs, program):
    args = [sb.base_url, str(SEED_BODY_FILE)] if program == "happy" else [VERSION, closed_port_url()]
    proc = run(programs[program], *args, prefix=VALGRIND, timeout=300)
    assert_passed(proc)
    assert "definitely lost" not in proc.stderr and "indirectly lost" not in proc.stderr, proc.stderr
    assert "Invalid read" not in proc.stderr and "Invalid write" not in proc.stderr, proc.stderr
