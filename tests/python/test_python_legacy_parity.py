"""Issue 23: the same legacy shop data through both bindings. Every case of
tests/fixtures/legacy_arrays.php (emoji and right-to-left text, cart arithmetic,
sparse product keys, refunds, bools and nulls, ISO dates in optional fields,
5,000-character addresses, keys with spaces and dots, extreme floats...) goes through
PHP's Order::fromArray (php itself, tests/fixtures/legacy_parity.php) and through
Python's Order.from_dict, lenient and strict: the same body byte for byte, the same
warnings, or the same error."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

import spread

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def php_outcomes(libspread: Path) -> List[Dict[str, Any]]:
    env = dict(os.environ, SPREAD_LIBRARY=str(libspread))
    run = subprocess.run(["php", str(FIXTURES / "legacy_parity.php")], capture_output=True, env=env, check=True)
    return [json.loads(line) for line in run.stdout.decode().splitlines()]


def python_outcome(post_data: Any, strict: bool) -> Dict[str, Any]:
    try:
        with spread.Order.from_dict(post_data, strict=strict) as order:
            return {"body": order.encode(), "warnings": order.warnings}
    except spread.SpreadError as e:
        return {"error": type(e).__name__, "message": str(e)}


def test_both_bindings_send_and_warn_alike(php_outcomes):
    assert len(php_outcomes) >= 25
    differ = []
    for case in php_outcomes:
        for mode, strict in (("lenient", False), ("strict", True)):
            php, py = case["php"][mode], python_outcome(case["post_data"], strict)
            # Exception classes are each binding's own names for the same code.
            php_cmp = {k: v for k, v in php.items() if k != "error"}
            py_cmp = {k: v for k, v in py.items() if k != "error"}
            if php_cmp != py_cmp or ("error" in php) != ("error" in py):
                differ.append(f"{case['name']} ({mode}):\n  php    {php}\n  python {py}")
    assert not differ, f"{len(differ)} outcomes differ:\n" + "\n".join(differ)


def test_the_cases_hold_what_the_issue_lists(php_outcomes):
    """Guards the data: refunds sent with a warning, exponents refused, keys as written."""
    by_name = {c["name"]: c["php"] for c in php_outcomes}
    refund = by_name["refund"]["lenient"]
    assert "data%5Border_amount%5D=-29.85&" in refund["body"]
    assert refund["warnings"] == ["order_amount: -29.85 is negative (a refund or credit note) (sent as is)"]
    assert by_name["refund"]["strict"]["message"].startswith("order_amount: -29.85 is negative")
    assert "data%5Border_amount%5D=-0&" in by_name["minus zero after round"]["lenient"]["body"]
    assert "data%5Bcustomer_tel%5D=3.5693803564380E%2B14&" in by_name["a 15-digit tie"]["lenient"]["body"]
    for name in ("amount 1.0E+20", "unrounded zero amount"):
        assert "is not a plain decimal amount" in by_name[name]["lenient"]["message"], name
    sparse = by_name["sparse product keys"]["lenient"]["warnings"]
    assert [w.split(":")[0] for w in sparse] == ["product_attributes[2][1]", "product_attributes[5][7]"]
    assert by_name["empty arrays"]["lenient"]["warnings"] == []
    assert by_name["add_tag as a string"]["lenient"]["warnings"]
    assert len(by_name["5,000-character address"]["lenient"]["body"]) > 10000
