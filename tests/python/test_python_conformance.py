"""The drop-in path (Order.from_dict, Client.update_order) puts on the wire exactly what
PHP's http_build_query puts there for the same array, for a few hundred generated
$post_data: random unicode (emoji, combining marks), every ASCII punctuation character,
awkward doubles, big custom field ids, random key order -- and the legacy values a
real shop's code builds (nulls, bools, ints and floats anywhere, empty strings, unknown
keys, empty arrays, MySQL zero dates, a lower-case country, an empty gender), which
SPREAD does not require and which are therefore sent as is, with a warning; strict mode
refuses them instead.

All cases go to one `php` run: they are encoded as one array {0: case0, 1: case1, ...}
and the result is cut back into one body per case (see split_batch)."""

from __future__ import annotations

import math
import os
import random
import string
import struct
import subprocess
from decimal import Decimal
from typing import Any, Dict, List

import pytest
from harness.seed import php_http_build_query
from spread_test_helpers import split_batch

import spread

CASES = 400
SEED = int(os.environ.get("SPREAD_CONFORMANCE_SEED", "20240621"))

UNICODE = [
    "é", "bâtiment", "ß", "Ω", "中文", "日本語", "한국어", "עברית", "العربية", "😀", "👍🏽",
    "👩‍👩‍👧", "🇫🇷", "e\u0301", "a\u0308\u0323", "\u0300", "\u00a0", "\u200b", "\ufeff",
    "\U0001d54f", "\u2028", "ﬁ", "Ⅻ", "\uffff",
]
# An e-mail address has one "@" and no white space (Unicode's, U+00A0 and U+2028 included).
NOT_IN_EMAIL = " @\u00a0\u2028"
ATOMS = list(string.ascii_letters + string.digits + string.punctuation + " ") + UNICODE

SPECIAL_FLOATS = [0.1 + 0.2, 1e20, 1e-7, 100.0, 158.31, 0.0, 0.5, 1e14, 1e15, 1e-5, 1e-4,
                  123456789012345678.0, 2.220446049250313e-16, 5e-324, 1.7976931348623157e308,
                  158.31 * 100, 999999999999999.9, 0.000123456789012345]
# What a shop's legacy code leaves in fields SPREAD does not require (and the sandbox,
# like SPREAD, stores: its date fields take any \d{4}-\d\d-\d\d).
LEGACY = {
    "customer_birthday": ["0000-00-00", "", "1970-02-31"],
    "customer_country": ["fr", "France", ""],
    "customer_gender": ["", "M", "unknown"],
    "customer_lang": ["fr", "french", ""],
    "order_start_service": ["0000-00-00"],
    "order_end_service": ["0000-00-00", ""],
}


def text(rng: random.Random, lo: int = 0, hi: int = 12, extra: str = "") -> str:
    """Random text from ATOMS (plus `extra`, e.g. line breaks where the rule allows them)."""
    atoms = ATOMS + list(extra)
    return "".join(rng.choice(atoms) for _ in range(rng.randint(lo, hi)))


def token(rng: random.Random, banned: str = "") -> str:
    """Non-empty text without the characters in `banned`."""
    while True:
        t = "".join(c for c in text(rng, 1, 10) if c not in banned)
        if t:
            return t


def date(rng: random.Random) -> str:
    return f"{rng.randint(1900, 2100):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def any_float(rng: random.Random) -> float:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice(SPECIAL_FLOATS)
    if kind == 1:  # any finite positive double, from its bits
        while True:
            (f,) = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))
            if math.isfinite(f):
                return f
    return rng.random() * 10 ** rng.randint(-9, 22)


def amount(rng: random.Random) -> Any:
    kind = rng.randrange(4)
    if kind == 0:  # a float PHP prints as a plain decimal (an exponent is no amount: see below)
        while True:
            f = any_float(rng)
            if f == 0 or 1e-4 <= abs(f) < 1e14:
                return f
    if kind == 1:
        return round(rng.uniform(0, 10000), 2)
    if kind == 2:
        return rng.choice([Decimal("158.310"), Decimal("0.1"), Decimal("1E+3"), Decimal(rng.randint(0, 10**30))])
    return rng.choice([str(rng.randint(0, 10**6)), f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}",
                       rng.randint(0, 2**62)])


def loose(rng: random.Random) -> Any:
    """Any value PHP code may hold: what http_build_query does with it is the contract."""
    return rng.choice([None, True, False, 0, -7, rng.randint(-2**63, 2**63 - 1), any_float(rng), -any_float(rng),
                       "", text(rng), token(rng)])


def scalar(rng: random.Random, name: str) -> Any:
    """A value for one of the core's scalar fields: valid, or (for a field SPREAD does not
    require) a legacy one."""
    if name in LEGACY and rng.random() < 0.3:
        return rng.choice(LEGACY[name])
    special = {
        "customer_email": lambda: f"{token(rng, NOT_IN_EMAIL)}@{token(rng, NOT_IN_EMAIL)}",
        "customer_gender": lambda: rng.choice(["male", "female"]),
        "customer_country": lambda: rng.choice(string.ascii_uppercase) + rng.choice(string.ascii_uppercase),
        "customer_lang": lambda: rng.choice(["fr_FR", "en_GB", "de_DE", "pt_BR"]),
        "customer_birthday": lambda: date(rng),
        "order_start_service": lambda: date(rng),
        "order_end_service": lambda: date(rng),
        "order_crea_dt": lambda: f"{date(rng)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
                                 f"{rng.randint(0, 59):02d}",
        "order_state": lambda: rng.choice([0, 10, 20, 50, 100, "0", "10", "20", "50", "100"]),
        "order_amount": lambda: amount(rng),
        "external_id": lambda: rng.choice([token(rng), rng.randint(0, 2**63 - 1)]),
        "customer_cookie": lambda: token(rng),
        "action": lambda: token(rng),
        "order_idorder": lambda: rng.choice([token(rng), rng.randint(0, 2**63 - 1)]),
    }
    make = special.get(name)
    if make:
        return make()
    return text(rng, extra="\t\n\r") if rng.random() < 0.8 else loose(rng)  # free text, or whatever the shop had


REQUIRED = ("order_idorder", "order_state", "order_amount", "order_crea_dt")


def post_data(rng: random.Random, fields: tuple) -> Dict[str, Any]:
    data: Dict[str, Any] = {name: scalar(rng, name) for name in fields if rng.random() < 0.6}
    for name in REQUIRED:
        data.setdefault(name, scalar(rng, name))
    if data.get("customer_email") is None and data.get("external_id") is None:
        data["customer_email"] = scalar(rng, "customer_email")
    for name in ("customer_name", "customer_city", "customer_cookie"):
        if rng.random() < 0.1:
            data[name] = None  # PHP leaves null out
    for name in ("add_tag", "del_tag", "add_order_tag", "del_order_tag"):
        if rng.random() < 0.4:
            data[name] = [rng.choice([token(rng), token(rng), rng.randint(0, 99), None])
                          for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.5:
        ids = [rng.choice([1, 327, 2**31, 2**32 - 1, rng.randint(1, 2**32 - 1)]) for _ in range(rng.randint(0, 4))]
        data["custom_fields"] = {rng.choice([i, str(i)]): rng.choice([text(rng, extra="\n"), loose(rng)]) for i in ids}
    if rng.random() < 0.4:
        data["consents"] = {token(rng, "[]"): rng.choice([True, False, 1, 0, "1", "0"])
                            for _ in range(rng.randint(1, 3))}
    if rng.random() < 0.4:
        data["product_attributes"] = [[f"{token(rng, ':')}:{token(rng)}" for _ in range(rng.randint(0, 3))]
                                      for _ in range(rng.randint(0, 3))]
    for _ in range(rng.randint(0, 2)):  # unknown fields are kept, whatever they hold
        data["x_" + token(rng, "[]")] = rng.choice([loose(rng), [], {}, [loose(rng), None, loose(rng)],
                                                    {"a": loose(rng), 7: [loose(rng)]}])
    items = list(data.items())
    rng.shuffle(items)
    data = dict(items)
    shape = rng.randrange(3)
    if shape == 0:
        return data  # the bare data part
    if shape == 1:
        return {"data": data}  # sent exactly so: no request part
    return {"data": data, "request": {"order_idorder": data["order_idorder"]}}


def as_php_sends_it(case: Dict[str, Any]) -> Dict[str, Any]:
    """The $post_data whose http_build_query the binding sends for `case`: the case
    itself, or for a bare data part, the seed's shape around it."""
    if "data" in case:
        return case
    return {"data": case, "request": {"order_idorder": case["order_idorder"]}}


def for_php(value: Any) -> Any:
    """The same data as PHP code would hold it: a Decimal is its plain decimal string."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: for_php(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [for_php(v) for v in value]
    return value


@pytest.fixture(scope="module")
def cases() -> List[Dict[str, Any]]:
    rng = random.Random(SEED)
    fields = spread.field_names()
    cases = [post_data(rng, fields) for _ in range(CASES)]
    for case, special in zip(cases, SPECIAL_FLOATS):  # each awkward double at least once
        case.get("data", case)["float_probe"] = special
    return cases


@pytest.fixture(scope="module")
def php_bodies(cases) -> List[bytes]:
    """What PHP's http_build_query gives for every case (one php run, precision 14)."""
    precision = subprocess.run(["php", "-r", 'echo ini_get("precision");'], capture_output=True, text=True,
                               check=True).stdout
    assert precision == "14", f"php's precision is {precision}: the comparison needs PHP's default, 14"
    batch = {i: for_php(as_php_sends_it(c)) for i, c in enumerate(cases)}
    return split_batch(php_http_build_query(batch), len(cases))


def test_split_batch_matches_single_php_runs():
    one = {"data": {"a": "x y", "l": ["1"], "n": {327: "&="}}, "request": {"order_idorder": "7"}}
    two = {"data": {"b": 1.5}}
    assert split_batch(php_http_build_query({0: one, 1: two}), 2) == [
        php_http_build_query(one), php_http_build_query(two)]


def test_encode_equals_php_http_build_query(cases, php_bodies):
    mismatches = []
    for i, case in enumerate(cases):
        with spread.Order.from_dict(case) as order:
            ours = order.encode().encode()
        if ours != php_bodies[i]:
            mismatches.append(f"case {i}: {case!r}\n  ours {ours!r}\n  php  {php_bodies[i]!r}")
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ (seed {SEED}):\n" + "\n".join(mismatches[:5])


def test_the_sandbox_receives_what_php_sends(sb, client, cases, php_bodies):
    """The whole way: update_order of each legacy dict, as the sandbox's PHP read it."""
    warned = 0
    for case in cases:
        response = client.update_order(case)
        assert response.status == 200 and not response.queued
        warned += bool(response.warnings)
    received = [r["raw"] for r in sb.requests()]
    assert len(received) == len(cases)
    assert [i for i, (ours, php) in enumerate(zip(received, php_bodies)) if ours != php] == []
    assert warned > CASES // 10  # the legacy values were there, and were sent all the same


def test_strict_mode_refuses_exactly_what_lenient_mode_warns_about(cases):
    for i, case in enumerate(cases):
        with spread.Order.from_dict(case) as lenient:
            warnings = lenient.warnings
        if not warnings:
            spread.Order.from_dict(case, strict=True).close()
            continue
        with pytest.raises(spread.InvalidValueError) as info:
            spread.Order.from_dict(case, strict=True)
        assert f"{info.value} (sent as is)" in warnings, (i, str(info.value), warnings)


def test_floats_json_cannot_carry_are_sent_as_php_prints_them():
    """NAN and INF are not JSON: the binding passes PHP's own text for them."""
    php = subprocess.run(["php", "-r", 'echo http_build_query(["data" => ["x" => [NAN, INF, -INF]]]);'],
                         capture_output=True, check=True).stdout.decode()
    data = {"customer_email": "a@b.c", "order_idorder": "NAN-1", "order_state": 10, "order_amount": "1",
            "order_crea_dt": "2014-06-21 14:31:08", "x": [math.nan, math.inf, -math.inf]}
    with spread.Order.from_dict({"data": data}) as order:
        assert order.encode().endswith("&" + php), (order.encode(), php)
    assert "NAN" in php and "-INF" in php


def test_generated_cases_cover_what_they_claim(cases):
    """Guards the generator: the awkward inputs really occur."""
    flat = repr(cases)
    for needle in ["😀", "e\u0301", "*", "~", "%", "&", "+", "4294967295", "1e+20", "1e-07", "100.0",
                   "None", "True", "False", "''", "[]", "{}", "'0000-00-00'", "'fr'", "'customer_gender': ''"]:
        assert needle in flat, needle
    assert all(c in flat for c in string.punctuation.replace("\\", "").replace("'", ""))
    assert any(isinstance(c.get("data", c).get("order_amount"), Decimal) for c in cases)
    assert any(isinstance(c.get("data", c).get("order_idorder"), int) for c in cases)
    assert any(isinstance(v, float) for c in cases for v in c.get("data", c).get("custom_fields", {}).values())
