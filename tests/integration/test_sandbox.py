"""The sandbox (sandbox/router.php under php -S) checked with real clients:
the seed's PHP curl code and the curl CLI."""

from __future__ import annotations

import copy
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import Sandbox
from harness.seed import SEED_BODY, SEED_POST_DATA, php_http_build_query, run_seed_client


@pytest.fixture(scope="module")
def seed_body() -> bytes:
    return SEED_BODY


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def other_sandbox():
    with Sandbox(public_key="PUB2", private_key="PRIV2") as sb:
        yield sb


@pytest.fixture
def sb(sandbox, other_sandbox):
    sandbox.reset()
    other_sandbox.reset()
    return sandbox


@dataclass
class Curl:
    rc: int
    code: int
    body: str
    headers: str  # every header block received, redirects included
    stderr: str


def curl(url: str, *args: str, body: bytes | None = None, user: str | None = "PUBLIC_KEY:PRIVATE_KEY") -> Curl:
    """The curl CLI; body (default: none) is POSTed as-is with --data-binary."""
    with tempfile.TemporaryDirectory() as tmp:
        hdr, out, data = Path(tmp, "h"), Path(tmp, "o"), Path(tmp, "d")
        cmd = ["curl", "-sS", "--max-time", "10", "-D", str(hdr), "-o", str(out), "-w", "%{http_code}"]
        if user:
            cmd += ["-u", user]
        if body is not None:
            data.write_bytes(body)
            cmd += ["--data-binary", f"@{data}"]
        p = subprocess.run([*cmd, *args, url], capture_output=True, text=True, timeout=20)
        return Curl(p.returncode, int(p.stdout or 0),
                    out.read_text() if out.exists() else "",
                    hdr.read_text() if hdr.exists() else "", p.stderr)


def without(data: dict, *keys: str) -> dict:
    post = copy.deepcopy(SEED_POST_DATA)
    for k in keys:
        post["data"].pop(k)
    return post


# ----------------------------------------------------------------------------- seed client

def test_seed_post_data_encodes_to_reference_body():
    assert php_http_build_query(SEED_POST_DATA) == SEED_BODY


def test_seed_client_creates_order_and_profile(sb, seed_body):
    r = run_seed_client(sb.url("/api/updateOrder"))
    assert (r.http_code, r.errno) == (200, 0)
    assert r.json() == {"status": "ok", "order_idorder": "0000001", "created": True}

    # CURLAUTH_ANY: a probe without credentials, the 401 Basic challenge, then Basic.
    log = sb.requests()
    assert [(q["method"], q["path"], q["auth_scheme"], q["status"]) for q in log] == [
        ("POST", "/api/updateOrder", "none", 401),
        ("POST", "/api/updateOrder", "Basic", 200),
    ]
    for q in log:
        assert q["raw"] == seed_body
        assert q["content_type"] == "application/x-www-form-urlencoded"
        assert q["user_agent"] is None  # PHP curl sends none
        assert "PRIVATE_KEY" not in str(q)

    state = sb.state()
    order = state["orders"]["0000001"]
    assert order == {
        "action": "order",
        "extra": {},
        "order_amount": "158.31",
        "order_crea_dt": "2014-06-21 14:31:08",
        "order_end_service": "2019-06-14",
        "order_idorder": "0000001",
        "order_start_service": "2019-06-05",
        "order_state": "10",
        "product_attributes": [["size:xl", "type:shirt"], ["size:s", "color:blue"]],
        "profile": "john@doe.com",
        "tags": ["tag_commande_1", "tag_commande_2"],
        "updates": 1,
    }
    profile = state["profiles"]["john@doe.com"]
    assert profile["tags"] == ["tag1", "tag2"]
    assert profile["custom_fields"] == {"327": "value"}
    assert profile["consents"] == {}
    assert profile["orders"] == ["0000001"]
    expected = {k: v for k, v in SEED_POST_DATA["data"].items() if k.startswith("customer_")}
    assert {k: profile[k] for k in expected} == expected
    assert profile["external_id"] == "12345xxx6789"


def test_second_send_updates(sb):
    assert run_seed_client(sb.url("/api/updateOrder")).json()["created"] is True
    post = copy.deepcopy(SEED_POST_DATA)
    post["data"].update(order_state="20", order_amount=100.0, product_attributes=[["size:m"]],
                        add_order_tag=["shipped"], del_order_tag=["tag_commande_1"],
                        del_tag=["tag2"], add_tag=["vip"])
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.json() == {"status": "ok", "order_idorder": "0000001", "created": False}
    state = sb.state()
    order = state["orders"]["0000001"]
    assert (order["order_state"], order["order_amount"], order["updates"]) == ("20", "100", 2)
    assert order["product_attributes"] == [["size:m"]]
    assert order["tags"] == ["shipped", "tag_commande_2"]
    assert state["profiles"]["john@doe.com"]["tags"] == ["tag1", "vip"]
    assert len(state["orders"]) == 1 and len(state["profiles"]) == 1


def test_same_orders_from_two_clients_give_identical_state(sb, other_sandbox, seed_body):
    # Seed PHP client into one sandbox, curl CLI with the same bytes into the other.
    assert run_seed_client(sb.url("/api/updateOrder")).http_code == 200
    assert curl(other_sandbox.url("/api/updateOrder"), body=seed_body, user="PUB2:PRIV2").code == 200
    assert sb.state_json() == other_sandbox.state_json()


def test_profile_keyed_by_external_id_and_extras_kept(sb):
    post = without(SEED_POST_DATA, "customer_email")
    post["data"]["consents"] = {"newsletter": "1", "partners": "false"}
    post["data"]["custom_fields"] = {0: "zero", 12: "twelve"}
    post["data"]["something_new"] = {"a": "b"}
    post["request"]["debug"] = "1"
    post["top"] = "x"
    assert run_seed_client(sb.url("/api/updateOrder"), post).http_code == 200
    state = sb.state()
    profile = state["profiles"]["12345xxx6789"]
    assert profile["consents"] == {"newsletter": 1, "partners": 0}
    assert profile["custom_fields"] == {"0": "zero", "12": "twelve"}
    assert "customer_email" not in profile
    order = state["orders"]["0000001"]
    assert order["extra"] == {"something_new": {"a": "b"}}
    assert order["extra_post"] == {"request": {"debug": "1"}, "top": "x"}


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("missing, named", [
    (("customer_email", "external_id"), "customer_email or external_id"),
    (("order_idorder",), "order_idorder"),
    (("order_state",), "order_state"),
    (("order_amount",), "order_amount"),
    (("order_crea_dt",), "order_crea_dt"),
])
def test_missing_required_field_is_400(sb, missing, named):
    r = run_seed_client(sb.url("/api/updateOrder"), without(SEED_POST_DATA, *missing))
    assert r.http_code == 400
    assert r.json() == {"status": "error", "message": f"missing field: {named}"}
    assert sb.state()["orders"] == {}


@pytest.mark.parametrize("field, value, fragment", [
    ("order_state", "30", "order_state"),
    ("order_amount", "12,50", "order_amount"),
    ("order_crea_dt", "2014-06-21T14:31:08Z", "order_crea_dt"),
])
def test_invalid_values_are_400(sb, field, value, fragment):
    post = copy.deepcopy(SEED_POST_DATA)
    post["data"][field] = value
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.http_code == 400 and fragment in r.json()["message"]


def test_request_idorder_must_match(sb):
    post = copy.deepcopy(SEED_POST_DATA)
    post["request"]["order_idorder"] = "0000002"
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.http_code == 400 and "request[order_idorder]" in r.json()["message"]


def test_wrong_or_missing_keys_are_401(sb, seed_body):
    r = run_seed_client(sb.url("/api/updateOrder"), private_key="WRONG")
    assert r.http_code == 401 and r.json()["status"] == "error"
    for user in ("PUBLIC_KEY:WRONG", "WRONG:PRIVATE_KEY", None):
        c = curl(sb.url("/api/updateOrder"), body=seed_body, user=user)
        assert c.code == 401
        assert 'WWW-Authenticate: Basic realm="SPREAD sandbox"' in c.headers
    assert sb.state()["orders"] == {}
    assert {q["status"] for q in sb.requests()} == {401}


def test_method_and_path_errors(sb, seed_body):
    assert curl(sb.url("/api/updateOrder")).code == 405
    assert curl(sb.url("/api/getOrder"), body=seed_body).code == 404
    assert [q["status"] for q in sb.requests()] == [405, 404]  # both logged


# ----------------------------------------------------------------------------- faults

def test_status_fault_n_times_then_ok(sb, seed_body):
    sb.fault(mode="status", code=503, times=2)
    codes = [curl(sb.url("/api/updateOrder"), body=seed_body).code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert [q["fault"] for q in sb.requests()] == ["status", "status", None]


@pytest.mark.parametrize("retry_after", ["1", "Wed, 21 Oct 2037 07:28:00 GMT"])
def test_retry_after_fault(sb, seed_body, retry_after):
    sb.fault(mode="retry_after", code=429, retry_after=retry_after, times=1)
    c = curl(sb.url("/api/updateOrder"), body=seed_body)
    assert c.code == 429 and f"Retry-After: {retry_after}" in c.headers
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200


def test_slow_fault(sb, seed_body):
    sb.fault(mode="slow", delay_ms=700, times=1)
    t0 = time.monotonic()
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200
    assert time.monotonic() - t0 >= 0.7
    t0 = time.monotonic()
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200
    assert time.monotonic() - t0 < 0.5


def test_drop_fault_breaks_the_exchange(sb, seed_body):
    sb.fault(mode="drop", times=2)
    c = curl(sb.url("/api/updateOrder"), body=seed_body)
    assert c.rc == 18, c.stderr  # CURLE_PARTIAL_FILE: transfer closed with bytes remaining
    r = run_seed_client(sb.url("/api/updateOrder"))
    assert (r.errno, r.body) == (18, None)  # curl_exec() returned false
    assert sb.state()["orders"] == {}
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_only_auth(sb, seed_body, algorithm):
    sb.fault(mode="digest", algorithm=algorithm)
    basic = curl(sb.url("/api/updateOrder"), body=seed_body)
    assert basic.code == 401
    assert (f'WWW-Authenticate: Digest realm="SPREAD sandbox", qop="auth", algorithm={algorithm}, nonce="'
            in basic.headers)
    assert curl(sb.url("/api/updateOrder"), "--digest", body=seed_body, user="PUBLIC_KEY:WRONG").code == 401
    assert curl(sb.url("/api/updateOrder"), "--digest", body=seed_body).code == 200
    # The seed's CURLAUTH_ANY picks Digest from the challenge by itself.
    assert run_seed_client(sb.url("/api/updateOrder")).http_code == 200
    log = sb.requests()
    assert [q["auth_scheme"] for q in log if q["status"] == 200] == ["Digest", "Digest"]
    assert all(q["raw"] == seed_body for q in log if q["auth_scheme"] == "Digest")
    assert sb.state()["orders"]["0000001"]["updates"] == 2


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_keeps_post_and_body(sb, seed_body, code):
    sb.fault(mode="redirect", code=code, location="/api/updateOrder2", times=1)
    c = curl(sb.url("/api/updateOrder"), "--location", "--post301", "--post302", "--post303", body=seed_body)
    assert c.code == 200 and f"HTTP/1.1 {code}" in c.headers
    log = sb.requests()
    assert [(q["method"], q["path"], q["status"]) for q in log] == [
        ("POST", "/api/updateOrder", code), ("POST", "/api/updateOrder2", 200)]
    assert all(q["raw"] == seed_body for q in log)
    assert sb.state()["orders"]["0000001"]["updates"] == 1


def test_seed_client_follows_redirect_with_post(sb, seed_body):
    sb.fault(mode="redirect", code=303, location="/api/updateOrder2", times=1)
    r = run_seed_client(sb.url("/api/updateOrder"))
    assert r.http_code == 200 and r.redirect_count == 2
    assert [(q["method"], q["path"], q["status"]) for q in sb.requests()] == [
        ("POST", "/api/updateOrder", 303),
        ("POST", "/api/updateOrder2", 401),
        ("POST", "/api/updateOrder2", 200),
    ]
    assert all(q["raw"] == seed_body for q in sb.requests())


def test_redirect_to_another_sandbox(sb, other_sandbox, seed_body):
    target = other_sandbox.url("/api/updateOrder")
    sb.fault(mode="redirect", code=307, location=target)
    # curl never sends credentials to another port after a redirect: the target says 401...
    assert curl(sb.url("/api/updateOrder"), "--location", body=seed_body, user="PUB2:PRIV2").code == 401
    # ...unless told to trust the new location.
    assert curl(sb.url("/api/updateOrder"), "--location-trusted", body=seed_body, user="PUB2:PRIV2").code == 200
    assert [(q["auth_scheme"], q["status"], q["raw"] == seed_body) for q in other_sandbox.requests()] == [
        ("none", 401, True), ("Basic", 200, True)]
    assert "0000001" in other_sandbox.state()["orders"]
    assert sb.state()["orders"] == {}


def test_fault_validation_and_clearing(sb, seed_body):
    with pytest.raises(Exception, match="mode must be one of"):
        sb.fault(mode="explode")
    with pytest.raises(Exception, match="redirect code"):
        sb.fault(mode="redirect", code=304)
    sb.fault(mode="digest", algorithm="SHA-256")
    active = sb.fault(mode="status", code=500)
    assert set(active) == {"auth", "response"}  # digest combines with a response fault
    sb.fault(mode="none")
    assert sb.faults() == {}
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200


def test_reset_empties_everything(sb, seed_body):
    assert curl(sb.url("/api/updateOrder"), body=seed_body).code == 200
    sb.fault(mode="status", code=500)
    sb.reset()
    assert sb.state() == {"orders": {}, "profiles": {}}
    assert sb.requests() == [] and sb.faults() == {}


# ----------------------------------------------------------------------------- workers

def test_workers_share_state_and_count_faults_atomically(seed_body):
    with Sandbox(public_key="pk", private_key="sk", workers=4) as sb:
        sb.fault(mode="status", code=503, times=5)

        def send(i: int) -> int:
            body = seed_body.replace(b"0000001", b"%07d" % i)
            return curl(sb.url("/api/updateOrder"), body=body, user="pk:sk").code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(send, range(24)))
        assert sorted(codes) == [200] * 19 + [503] * 5
        assert len(sb.state()["orders"]) == 19
        assert len(sb.requests()) == 24


# ----------------------------------------------------------------------------- one rule table (issue 23.5)

@pytest.mark.parametrize("field, value, fragment", [
    ("customer_birthday", "1985-04-12T00:00:00+02:00", "customer_birthday"),  # an ISO date, optional field
    ("order_start_service", "2024-01-01T00:00:00Z", "order_start_service"),
    ("consents", {"newsletter": "on"}, "consents[newsletter]"),
    ("order_amount", "-29.85", "order_amount"),                               # a refund
    ("order_amount", "-0", "order_amount"),
    ("customer_country", "fr", "customer_country"),
])
def test_what_the_drop_in_sends_with_a_warning_is_accepted_and_recorded(sb, field, value, fragment):
    post = copy.deepcopy(SEED_POST_DATA)
    post["data"][field] = value
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.http_code == 200, r.body
    assert any(fragment in w for w in r.json()["warnings"]), r.json()
    assert any(fragment in w for w in sb.state()["orders"]["0000001"]["warnings"])
    # The strict sandbox refuses the same order.
    sb.fault(mode="strict")
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.http_code == 400 and fragment in r.json()["message"], r.body


@pytest.mark.parametrize("amount", ["1.0E+20", "5.5511151231258E-17", "1e3", " 12", "NAN"])
def test_amounts_the_drop_in_refuses_are_refused(sb, amount):
    post = copy.deepcopy(SEED_POST_DATA)
    post["data"]["order_amount"] = amount
    r = run_seed_client(sb.url("/api/updateOrder"), post)
    assert r.http_code == 400 and "order_amount" in r.json()["message"], r.body
    assert sb.state()["orders"] == {}


def test_a_clean_order_has_no_warnings(sb):
    r = run_seed_client(sb.url("/api/updateOrder"), SEED_POST_DATA)
    assert r.http_code == 200 and "warnings" not in r.json()
    assert "warnings" not in sb.state()["orders"]["0000001"]
