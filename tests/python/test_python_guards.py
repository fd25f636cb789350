"""Guards for behaviours that had no test (issue 27), through the Python binding:
PHP's falsy values (False, 0, 0.0, "") in a $post_data-shaped dict are sent as PHP
sends them, never dropped as if they were None; and a Digest exchange after a
redirect leaves no Authorization value, nor any part of one, in a log record."""

from __future__ import annotations

import base64
import logging

import pytest
from harness.seed import php_http_build_query
from spread_test_helpers import minimal_order

import spread


def falsy_post_data(idorder: str) -> dict:
    data = minimal_order(
        idorder,
        external_id="0",
        customer_name="",                      # PHP sends key= for ""
        customer_company=False,                # false prints as 0
        customer_firstname=0,
        custom_fields={"1": False, 2: 0, 3: "", 4: 0.0, 5: None},   # only None is left out
        consents={"a": False, "b": 0, "c": "0", "d": 0.0},
        add_tag=["", 0, False],
        product_attributes=[[0, False, ""], []],
        del_tag=[],
    )
    return {"data": data, "request": {"order_idorder": idorder}}


def test_from_dict_sends_php_falsy_values_as_php_does(sb, client):
    post = falsy_post_data("F-1")
    php = php_http_build_query(post)
    with spread.Order.from_dict(post) as order:
        assert order.encode().encode() == php
        for key in (b"customer_name%5D=&", b"customer_company%5D=0&", b"custom_fields%5D%5B3%5D=&", b"consents%5D%5Ba%5D=0&"):
            assert key in php  # the falsy values this test is about are in PHP's bytes
        assert client.send(order).status == 200
    assert sb.requests()[-1]["raw"] == php
    profile = sb.state()["profiles"]["john@doe.com"]
    assert profile["consents"] == {"a": 0, "b": 0, "c": 0, "d": 0}
    assert profile["custom_fields"] == {"1": "0", "2": "0", "3": "", "4": "0"}
    assert profile["customer_company"] == "0" and profile["customer_firstname"] == "0"
    assert profile["tags"] == ["", "0"]  # tags are a set


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    logger = logging.getLogger("spread")
    collect, level = Collect(), logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.DEBUG)
    yield collect.records
    logger.removeHandler(collect)
    logger.setLevel(level)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_a_digest_exchange_after_a_redirect_logs_no_authorization_value(sb, records, algorithm):
    sb.fault(mode="digest", algorithm=algorithm)
    sb.fault(mode="redirect", code=307, location="/api/updateOrder2", times=1)
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=10) as client:
        assert client.update_order(minimal_order("DG-1")).status == 200
    schemes = [r["auth_scheme"] for r in sb.requests()]
    assert "Digest" in schemes, schemes  # the exchange this test is about took place
    assert {r.name for r in records} >= {"spread.redirect", "spread.digest", "spread.attempt"}
    basic = base64.b64encode(f"{sb.public_key}:{sb.private_key}".encode()).decode()
    forms = (sb.private_key, basic, "Authorization", "authorization", "Digest username", "username=",
             "response=", "cnonce=", f'"{sb.public_key}"')
    for r in records:
        text = f"{r.getMessage()} {vars(r)!r}"
        for form in forms:
            assert form not in text, (form, text)
