"""The binding's body equals PHP's http_build_query of the same dict, for a few hundred
generated orders: random unicode (emoji, combining marks), every ASCII punctuation
character, awkward doubles, big custom field ids, random key order.

All cases go to one `php` run: they are encoded as one array {0: case0, 1: case1, ...}
and the result is cut back into one body per case (see split_batch)."""

from __future__ import annotations

import math
import os
import random
import string
import struct
from decimal import Decimal
from typing import Any, Dict, List

import pytest
from harness.seed import php_http_build_query

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


def amount(rng: random.Random) -> Any:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(SPECIAL_FLOATS)
    if kind == 1:  # any finite positive double, from its bits
        while True:
            (f,) = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))
            if math.isfinite(f):
                return f
    if kind == 2:
        return rng.random() * 10 ** rng.randint(-9, 22)
    if kind == 3:
        return round(rng.uniform(0, 10000), 2)
    if kind == 4:
        return rng.choice([Decimal("158.310"), Decimal("0.1"), Decimal("1E+3"), Decimal(rng.randint(0, 10**30))])
    return rng.choice([str(rng.randint(0, 10**6)), f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}",
                       rng.randint(0, 2**62)])


def scalar(rng: random.Random, name: str) -> Any:
    """A valid value for one of the core's scalar fields."""
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
        "order_idorder": lambda: token(rng),
    }
    make = special.get(name)
    return make() if make else text(rng, extra="\t\n\r")  # free text: line breaks allowed


def post_data(rng: random.Random, fields: tuple) -> Dict[str, Any]:
    data: Dict[str, Any] = {name: scalar(rng, name) for name in fields if rng.random() < 0.6}
    data.setdefault("order_idorder", scalar(rng, "order_idorder"))
    for name in ("add_tag", "del_tag", "add_order_tag", "del_order_tag"):
        if rng.random() < 0.4:
            data[name] = [token(rng) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.5:
        ids = [rng.choice([1, 327, 2**31, 2**32 - 1, rng.randint(1, 2**32 - 1)]) for _ in range(rng.randint(1, 4))]
        data["custom_fields"] = {rng.choice([i, str(i)]): text(rng, extra="\n") for i in ids}
    if rng.random() < 0.4:
        data["consents"] = {token(rng, "[]"): rng.choice([True, False, 1, 0, "1", "0"])
                            for _ in range(rng.randint(1, 3))}
    if rng.random() < 0.4:
        data["product_attributes"] = [[f"{token(rng, ':')}:{token(rng)}" for _ in range(rng.randint(0, 3))]
                                      for _ in range(rng.randint(0, 3))]
    for _ in range(rng.randint(0, 2)):  # unknown fields are kept as text
        data["x_" + token(rng, "[]")] = text(rng)
    items = list(data.items())
    rng.shuffle(items)
    data = dict(items)
    shape = rng.randrange(3)
    if shape == 0:
        return data  # the bare data part
    if shape == 1:
        return {"data": data}
    return {"data": data, "request": {"order_idorder": data["order_idorder"]}}


def seed_shaped(case: Dict[str, Any]) -> Dict[str, Any]:
    """The $post_data the binding sends for `case`: like the seed, data then
    request[order_idorder], whether or not the dict had them."""
    data = case.get("data", case)
    return {"data": data, "request": {"order_idorder": data["order_idorder"]}}


def for_php(value: Any) -> Any:
    """The same data as PHP code would hold it: a Decimal is its plain decimal string."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: for_php(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [for_php(v) for v in value]
    return value


def split_batch(body: bytes, count: int) -> List[bytes]:
    """Cuts http_build_query({0: a, 1: b, ...}) into http_build_query(a), (b), ...

    Each pair of case i reads `i%5B<key>%5D<rest>=<value>`; with the `i%5B` prefix and the
    first `%5D` removed it is `<key><rest>=<value>`, exactly what encoding case i alone
    gives (top-level keys here are plain words: data, request). Values never hold a raw
    `&`, so splitting on it is safe."""
    out: List[List[bytes]] = [[] for _ in range(count)]
    for pair in body.split(b"&"):
        index, rest = pair.split(b"%5B", 1)
        out[int(index)].append(rest.replace(b"%5D", b"", 1))
    return [b"&".join(pairs) for pairs in out]


@pytest.fixture(scope="module")
def cases() -> List[Dict[str, Any]]:
    rng = random.Random(SEED)
    fields = spread.field_names()
    cases = [post_data(rng, fields) for _ in range(CASES)]
    for case, special in zip(cases, SPECIAL_FLOATS):  # each awkward double at least once
        case.get("data", case)["order_amount"] = special
    return cases


def test_split_batch_matches_single_php_runs():
    one = {"data": {"a": "x y", "l": ["1"], "n": {327: "&="}}, "request": {"order_idorder": "7"}}
    two = {"data": {"b": 1.5}}
    assert split_batch(php_http_build_query({0: one, 1: two}), 2) == [
        php_http_build_query(one), php_http_build_query(two)]


def test_encode_equals_php_http_build_query(cases):
    batch = {i: for_php(seed_shaped(c)) for i, c in enumerate(cases)}
    expected = split_batch(php_http_build_query(batch), len(cases))
    mismatches = []
    for i, case in enumerate(cases):
        with spread.Order.from_dict(case) as order:
            ours = order.encode().encode()
        if ours != expected[i]:
            mismatches.append(f"case {i}: {case!r}\n  ours {ours!r}\n  php  {expected[i]!r}")
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ (seed {SEED}):\n" + "\n".join(mismatches[:5])


def test_generated_cases_cover_what_they_claim(cases):
    """Guards the generator: the awkward inputs really occur."""
    flat = repr(cases)
    for needle in ["😀", "e\u0301", "*", "~", "%", "&", "+", "4294967295", "1e+20", "1e-07", "100.0"]:
        assert needle in flat, needle
    assert all(c in flat for c in string.punctuation.replace("\\", "").replace("'", ""))
    assert any(isinstance(c.get("data", c).get("order_amount"), Decimal) for c in cases)
