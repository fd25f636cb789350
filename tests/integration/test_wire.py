"""Wire conformance: what libspread sends (through the C API, tests/c/send_orders.c)
against what the seed's own PHP curl block sends for the same $post_data, as
the sandbox receives and stores it; and Digest against the real curl CLI."""

from __future__ import annotations

import calendar
import difflib
import json
import random
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import Sandbox
from harness.seed import SEED_BODY, SEED_POST_DATA, run_seed_client
from cbuild import CRATE_VERSION, compile_program  # tests/c (conftest.py puts it on sys.path)

USER_AGENT = f"libspread/{CRATE_VERSION}"
GENERATED_ORDERS = 50
RANDOM_SEED = 20140621  # fixed: a failure names the order, and a rerun reproduces it


@pytest.fixture(scope="module")
def send_orders(tmp_path_factory, libspread) -> Path:
    return compile_program("send_orders", tmp_path_factory.mktemp("wire"), libspread)


@pytest.fixture
def lib_sb(other) -> Sandbox:
    """Receives libspread's requests; `sb` (from conftest) receives the seed code's."""
    return other


# ----------------------------------------------------------------------------- driving libspread

def _hex(s: str) -> str:
    return "x" + s.encode().hex()


def script_for(post_data: dict, via_set_field: frozenset = frozenset()) -> list[str]:
    """send_orders.c commands that build post_data["data"] through the C setters, in its key order.
    Keys in via_set_field go through spread_order_set_field instead of their own setter."""
    lines = ["order"]
    for key, value in post_data["data"].items():
        if key in ("add_tag", "del_tag", "add_order_tag", "del_order_tag"):
            lines += [f"list {_hex(key)} {_hex(v)}" for v in value]
        elif key == "custom_fields":
            lines += [f"custom {fid} {_hex(v)}" for fid, v in value.items()]
        elif key == "consents":
            lines += [f"consent {_hex(name)} {int(v)}" for name, v in value.items()]
        elif key == "product_attributes":
            for product in value:
                lines.append("product")
                lines += [f"attr {_hex(a)}" for a in product]
        elif key == "order_state" and key not in via_set_field:
            lines.append(f"state {int(value)}")
        elif key == "order_amount" and isinstance(value, (int, float)):
            lines.append(f"amount {float(value)!r}")
        else:
            lines.append(f"{'field' if key in via_set_field else 'set'} {_hex(key)} {_hex(str(value))}")
    lines.append("send")
    return lines


def libspread_send(program: Path, base_url: str, orders: list[tuple[dict, frozenset]]) -> list[dict]:
    """Sends each (post_data, via_set_field) with libspread; returns [{"body", "status", "http", "error"}]."""
    script = "\n".join(line for post, via in orders for line in script_for(post, via)) + "\n"
    proc = subprocess.run([str(program), base_url], input=script.encode(), capture_output=True, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0, f"send_orders exit {proc.returncode}:\n{out[-3000:]}\n{proc.stderr.decode()}"
    results: list[dict] = []
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "body":
            results.append({"body": rest.encode()})
        elif kind == "sent":
            results[-1]["status"], results[-1]["http"] = rest.split(" ")
        elif kind == "error":
            results[-1]["error"] = rest
    assert len(results) == len(orders)
    return results


def assert_same_bytes(ours: bytes, theirs: bytes, what: str) -> None:
    if ours != theirs:
        at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        pytest.fail(f"{what}: bodies differ at byte {at}\nlibspread: ...{ours[max(0, at - 60):at + 60]!r}\n"
                    f"seed PHP:  ...{theirs[max(0, at - 60):at + 60]!r}")


def assert_same_state(lib_sb: Sandbox, seed_sb: Sandbox) -> None:
    ours, theirs = lib_sb.state_json().decode(), seed_sb.state_json().decode()
    if ours != theirs:
        diff = "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(), "seed PHP", "libspread",
                                              lineterm="", n=2))
        pytest.fail(f"stored states differ:\n{diff[:6000]}")


def scheme_and_status(sandbox: Sandbox) -> list[tuple[str, int]]:
    return [(q["auth_scheme"], q["status"]) for q in sandbox.requests()]


# ----------------------------------------------------------------------------- (a) the seed order

def test_seed_order_same_body_same_state_fewer_requests(sb, lib_sb, send_orders):
    seed = run_seed_client(sb.url("/api/updateOrder"))
    assert seed.http_code == 200, seed
    [ours] = libspread_send(send_orders, lib_sb.base_url, [(SEED_POST_DATA, frozenset())])
    assert (ours["status"], ours["http"]) == ("SPREAD_OK", "200"), ours.get("error")

    seed_log, lib_log = sb.requests(), lib_sb.requests()
    assert_same_bytes(ours["body"], SEED_BODY, "spread_order_encode vs seed_body.txt")
    assert_same_bytes(lib_log[-1]["raw"], seed_log[-1]["raw"], "received bodies")
    assert lib_log[-1]["raw"] == SEED_BODY
    assert lib_log[-1]["content_type"] == seed_log[-1]["content_type"] == "application/x-www-form-urlencoded"
    assert_same_state(lib_sb, sb)
    assert "0000001" in lib_sb.state()["orders"]

    # (c) CURLAUTH_ANY probes without credentials first; libspread sends Basic up front.
    assert scheme_and_status(sb) == [("none", 401), ("Basic", 200)]
    assert scheme_and_status(lib_sb) == [("Basic", 200)]
    # (d)
    assert [q["user_agent"] for q in lib_log] == [USER_AGENT]
    assert [q["user_agent"] for q in seed_log] == [None, None]


# ----------------------------------------------------------------------------- (b) generated orders

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
UNICODE = ("éèàçœæÿßÄÖÜñ€£¥©°±µ¶§" "漢字かなカナ한국어Ωπ"  # BMP letters and symbols
           "\u0301\u00a0\u200b\u2028\u202e\ufeff\ufffd\uffff"  # combining, spaces, format, non-characters
           "😀🇫🇷🤷\U0001f9d1\U0010fffd")  # beyond the BMP, private use
EMAIL_CHARS = LETTERS + "éöœ漢😀" + ".+-_*~'!#$%&/=?^`{|}"
# Amounts as shops compute them. Floats PHP prints in exponent form (1e20, 5e-324…) are not
# amounts SPREAD takes (one rule in the core and the sandbox: a plain decimal); how PHP prints
# every float is proven on a million of them by tests/php_floats.rs.
FLOATS = [0.1 + 0.2, 100.0, 123456789.123456789, 0.0, 1 / 3, 2 / 3, 158.31, 0.5, 19.99, 84.68400000000001,
          99999999999.99]


def text(rng: random.Random, lo: int = 0, hi: int = 20, line_breaks: bool = True) -> str:
    pool = LETTERS * 2 + " " * 6 + PUNCT + UNICODE + ("\n\t\r" if line_breaks else "")
    return "".join(rng.choice(pool) for _ in range(rng.randint(lo, hi)))


def token(rng: random.Random, brackets: bool = True) -> str:
    """Non-empty, no control character (identifiers, tags, names)."""
    s = text(rng, 1, 16, line_breaks=False)
    return s if brackets else s.replace("[", "(").replace("]", ")")


def date(rng: random.Random) -> str:
    y, m = rng.randint(1900, 2099), rng.randint(1, 12)
    return f"{y:04d}-{m:02d}-{rng.randint(1, calendar.monthrange(y, m)[1]):02d}"


def generated_order(rng: random.Random, i: int) -> tuple[dict, frozenset]:
    """A random valid $post_data (keys in random order) and the fields to set through set_field."""
    order_id = f"{token(rng)}#{i}"
    local = "".join(rng.choice(EMAIL_CHARS) for _ in range(rng.randint(1, 12)))
    domain = rng.choice(["doe.com", "dœ.fr", "例え.jp"])
    email = "shared@example.com" if i % 7 == 0 else f"{local}{i}@{domain}"  # some profiles get several orders
    ids = rng.choice([("email",), ("external_id",), ("email", "external_id")])
    amount = rng.choice([rng.choice(FLOATS), round(rng.uniform(0, 10000), 2), rng.randint(0, 500),
                         f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}"])
    entries: dict = {
        "order_idorder": order_id,
        "order_state": rng.choice([0, 10, 20, 50, 100, "0", "10", "20", "50", "100"]),
        "order_amount": amount,
        "order_crea_dt": f"{date(rng)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
    }
    if "email" in ids:
        entries["customer_email"] = email
    if "external_id" in ids:
        entries["external_id"] = token(rng)
    optional = {
        "customer_cookie": lambda: token(rng),
        "customer_name": lambda: text(rng),
        "customer_firstname": lambda: text(rng),
        "customer_gender": lambda: rng.choice(["male", "female"]),
        "customer_address": lambda: text(rng, 0, 40),
        "customer_address_2": lambda: text(rng),
        "customer_address_3": lambda: text(rng),
        "customer_cp": lambda: text(rng, 0, 8),
        "customer_city": lambda: text(rng),
        "customer_country": lambda: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(2)),
        "customer_tel": lambda: text(rng, 0, 14),
        "customer_mobile": lambda: text(rng, 0, 14),
        "customer_fonction": lambda: text(rng),
        "customer_company": lambda: text(rng),
        "customer_birthday": lambda: date(rng),
        "customer_lang": lambda: rng.choice(["fr_FR", "en_GB", "de_DE", "pt_BR"]),
        "action": lambda: rng.choice(["order", token(rng)]),
        "order_start_service": lambda: date(rng),
        "order_end_service": lambda: date(rng),
        "add_tag": lambda: [token(rng) for _ in range(rng.randint(0, 3))],
        "del_tag": lambda: [token(rng) for _ in range(rng.randint(0, 3))],
        "add_order_tag": lambda: [token(rng) for _ in range(rng.randint(0, 3))],
        "del_order_tag": lambda: [token(rng) for _ in range(rng.randint(0, 3))],
        "custom_fields": lambda: {fid: text(rng) for fid in rng.sample(
            [1, 2, 327, 1000, 65535, 4294967295, rng.randint(3, 10**6)], rng.randint(0, 3))},
        "consents": lambda: {token(rng, brackets=False): rng.random() < 0.5 for _ in range(rng.randint(0, 3))},
        "product_attributes": lambda: [
            [f"{token(rng, brackets=False).replace(':', '-')}:{token(rng)}" for _ in range(rng.randint(0, 3))]
            for _ in range(rng.randint(0, 3))],
        f"x_{token(rng, brackets=False)}": lambda: text(rng),  # an extra field, kept as is
    }
    for key in rng.sample(sorted(optional), rng.randint(0, len(optional))):
        entries[key] = optional[key]()
    keys = list(entries)
    rng.shuffle(keys)  # http_build_query keeps insertion order; so must libspread
    post_data = {"data": {k: entries[k] for k in keys},
                 "request": {"order_idorder": order_id}}
    scalars = [k for k in keys if isinstance(entries[k], (str, int, float))]
    via_set_field = frozenset(k for k in scalars if rng.random() < 0.3)
    return post_data, via_set_field


def test_generated_orders_same_bodies_and_state(sb, lib_sb, send_orders):
    rng = random.Random(RANDOM_SEED)
    orders = [generated_order(rng, i) for i in range(GENERATED_ORDERS)]
    for i, (post, _) in enumerate(orders):
        seed = run_seed_client(sb.url("/api/updateOrder"), post)
        assert seed.http_code == 200, f"order {i} refused by the sandbox from the seed code: {seed}\n{post}"
    ours = libspread_send(send_orders, lib_sb.base_url, orders)
    for i, r in enumerate(ours):
        assert (r["status"], r["http"]) == ("SPREAD_OK", "200"), f"order {i}: {r.get('error')}"

    seed_log, lib_log = sb.requests(), lib_sb.requests()
    # (c) two requests per order for CURLAUTH_ANY, one for libspread.
    assert scheme_and_status(sb) == [("none", 401), ("Basic", 200)] * GENERATED_ORDERS
    assert scheme_and_status(lib_sb) == [("Basic", 200)] * GENERATED_ORDERS
    # (d)
    assert {q["user_agent"] for q in lib_log} == {USER_AGENT}

    seed_bodies = [q["raw"] for q in seed_log if q["auth_scheme"] == "Basic"]
    for i, (r, q, theirs) in enumerate(zip(ours, lib_log, seed_bodies)):
        assert_same_bytes(r["body"], theirs, f"order {i}: spread_order_encode vs seed PHP ({json.dumps(orders[i][0])})")
        assert q["raw"] == r["body"], f"order {i}: libspread sent something else than it encodes"
    assert_same_state(lib_sb, sb)
    assert len(lib_sb.state()["orders"]) == GENERATED_ORDERS


# ----------------------------------------------------------------------------- (e) Digest, with real curl

@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_like_curl(sb, lib_sb, send_orders, algorithm):
    for sandbox in (sb, lib_sb):
        sandbox.fault(mode="digest", algorithm=algorithm)
    with tempfile.NamedTemporaryFile() as body:
        body.write(SEED_BODY)
        body.flush()
        curl = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--digest", "-u", "PUBLIC_KEY:PRIVATE_KEY",
             "--data-binary", f"@{body.name}", "-o", "/dev/null", "-w", "%{http_code}", sb.url("/api/updateOrder")],
            capture_output=True, text=True, timeout=20)
    assert (curl.returncode, curl.stdout) == (0, "200"), curl.stderr
    [ours] = libspread_send(send_orders, lib_sb.base_url, [(SEED_POST_DATA, frozenset())])
    assert (ours["status"], ours["http"]) == ("SPREAD_OK", "200"), ours.get("error")

    assert scheme_and_status(sb) == [("none", 401), ("Digest", 200)]  # curl probes first
    assert scheme_and_status(lib_sb) == [("Basic", 401), ("Digest", 200)]  # Basic up front, then the challenge
    assert sb.requests()[-1]["raw"] == lib_sb.requests()[-1]["raw"] == SEED_BODY
    assert_same_state(lib_sb, sb)
    assert "0000001" in lib_sb.state()["orders"]
