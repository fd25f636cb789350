"""Bad input and failures: a clear exception naming the field or the cause, the right
class for each libspread status, the order unchanged, no crash, and no secret in any
message."""

from __future__ import annotations

import ast
import builtins
import math
import os
import re
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from spread_test_helpers import minimal_order

import spread
from spread import _native

SECRET = "s3cr3t-PRIVATE-clé-🔑"


def no_secret(error: BaseException, secret: str = SECRET) -> None:
    for text in (str(error), repr(error), *map(str, error.args)):
        assert secret not in text


# ----------------------------------------------------------------------------- classes

def spread_classes() -> dict:
    """Every exception class the package exports, by its name."""
    return {name: cls for name, cls in vars(spread).items()
            if isinstance(cls, type) and issubclass(cls, spread.SpreadError)}


def python_class(stem: str) -> type:
    return spread.SpreadError if stem == "Error" else spread_classes()[f"{stem}Error"]


def spread_parent(cls: type) -> type:
    """The one base of `cls` inside the SpreadError tree (the others are builtin mixins)."""
    (parent,) = [base for base in cls.__bases__ if issubclass(base, spread.SpreadError)]
    return parent


def failing_statuses() -> list:
    return [code for code in _native.status_codes() if _native.status_class(code)[0]]


def test_every_status_raises_the_class_the_library_names_under_its_parent():
    codes = _native.status_codes()
    assert codes[:2] == (_native.SPREAD_OK, _native.SPREAD_QUEUED)
    assert [_native.status_class(c) for c in codes[:2]] == [("", "")] * 2
    for code in failing_statuses():
        stem, parent = _native.status_class(code)
        cls = python_class(stem)
        assert spread_parent(cls) is python_class(parent), (code, stem, parent)
        error = spread.errors.error_for_status(code, "field: why", 503)
        assert type(error) is cls and (error.status, error.http_status, str(error)) == (code, 503, "field: why")


def test_every_python_class_is_one_the_library_names_with_the_same_parent():
    """The other direction: no class that the library does not know, each under the parent
    the library names for it (spread_class_parent), the grouping classes no status names
    (Api) included; only the Python-only classes hang off the root by this binding's choice."""
    assert _native.class_parent("Error") == ""  # the root
    assert _native.class_parent("Api") == "Error"  # a grouping class
    assert _native.class_parent("NoSuchClass") is None
    named = set()  # every stem of the library's tree: the statuses' classes and all their ancestors
    for code in failing_statuses():
        stem, parent = _native.status_class(code)
        assert _native.class_parent(stem) == parent, code  # the two functions agree
        while stem:
            named.add(stem)
            stem = _native.class_parent(stem)
    assert {"Error", "Api"} <= named
    python_only = {spread.LibraryError, spread.ClosedError}
    seen = set()
    for name, cls in spread_classes().items():
        if cls in python_only:
            assert spread_parent(cls) is spread.SpreadError, name
            continue
        stem = "Error" if cls is spread.SpreadError else cls.__name__[:-len("Error")]
        assert stem in named, f"{name} is not a class libspread names"
        seen.add(stem)
        if cls is not spread.SpreadError:
            assert spread_parent(cls) is python_class(_native.class_parent(stem)), name
    assert seen == named, f"classes of the library's tree this binding lacks: {named - seen}"


def test_errors_imports_nothing_from_the_binding():
    """Imports flow one way, _native -> errors: _native hands errors the library's code
    table (errors.use_codes), so errors never reaches back into _native, even lazily."""
    tree = ast.parse(Path(spread.errors.__file__).read_text())
    inward = [ast.unparse(node) for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("spread"))
              or isinstance(node, ast.Import) and any(a.name.startswith("spread") for a in node.names)]
    assert inward == []


@pytest.mark.parametrize("cls, builtin", [
    (spread.InvalidValueError, ValueError), (spread.InvalidUtf8Error, ValueError),
    (spread.MissingFieldError, ValueError), (spread.ConfigError, ValueError),
    (spread.NetworkError, ConnectionError), (spread.TimeoutError, ConnectionError),
    (spread.TimeoutError, builtins.TimeoutError), (spread.IoError, OSError),
    (spread.LibraryError, OSError), (spread.ClosedError, ValueError),
])
def test_builtin_mixins(cls, builtin):
    assert issubclass(cls, builtin)


def test_renamed_classes_keep_their_old_names():
    assert spread.SpoolIOError is spread.IoError
    assert issubclass(spread.InvalidUtf8Error, spread.InvalidValueError)
    assert issubclass(spread.EndpointError, spread.ApiError)


def test_a_status_this_binding_does_not_know_still_raises_with_its_number():
    error = spread.errors.error_for_status(77, "")
    assert type(error) is spread.InternalError  # libspread's class for an unknown number
    assert (error.status, str(error)) == (77, "libspread failed with status 77")


# ----------------------------------------------------------------------------- wrong Python types

@pytest.mark.parametrize("make, field", [
    (lambda: spread.Order(customer_email=["a@b.c"]), "customer_email"),
    (lambda: spread.Order(customer_name=1.5), "customer_name"),
    (lambda: spread.Order(customer_name=True), "customer_name"),
    (lambda: spread.Order(order_state=10.0), "order_state"),
    (lambda: spread.Order(order_amount=True), "order_amount"),
    (lambda: spread.Order(order_amount=[1]), "order_amount"),
    (lambda: spread.Order(order_idorder=b"1"), "order_idorder"),
    (lambda: spread.Order(coupon="x"), "coupon"),
    (lambda: spread.Order().set(5, "x"), "field names"),
    (lambda: spread.Order().set("coupon", None), "coupon"),
    (lambda: spread.Order().add_tag(None), "add_tag"),
    (lambda: spread.Order().custom_field("abc", "v"), "custom_fields"),
    (lambda: spread.Order().custom_field(1.0, "v"), "custom_fields"),
    (lambda: spread.Order().custom_field(327, 1.5), "custom_fields[327]"),
    (lambda: spread.Order().consent(7, True), "consents"),
    (lambda: spread.Order().add_product("size:xl"), "product_attributes"),
    (lambda: spread.Order().add_product([("size", "xl")]), "product_attributes"),
    (lambda: spread.Order.from_dict(["data"]), "post_data"),
    (lambda: spread.Order.from_dict({"data": {"customer_name": b"Doe"}}), "post_data[data][customer_name]"),
    (lambda: spread.Order.from_dict({"add_tag": [object()]}), "post_data[add_tag][0]"),
    (lambda: spread.Order.from_dict({"custom_fields": {1.5: "x"}}), "post_data[custom_fields]: keys"),
    (lambda: spread.Order.from_dict({"consents": {True: 1}}), "post_data[consents]: keys"),
    (lambda: spread.Order.from_dict(minimal_order(), strict="yes"), "strict"),
    (lambda: spread.Client(1, "k"), "public_key"),
    (lambda: spread.Client("p", None), "private_key"),
    (lambda: spread.Client("p", "k", timeout="1"), "timeout"),
    (lambda: spread.Client("p", "k", base_url=b"http://127.0.0.1"), "base_url"),
    (lambda: spread.Client("p", "k", allow_insecure_http="yes"), "allow_insecure_http"),
    (lambda: spread.Client("p", "k", max_attempts=1.5), "max_attempts"),
    (lambda: spread.Client("p", "k", proxy=8080), "proxy"),
    (lambda: spread.Client("p", "k", tls_roots=1), "tls_roots"),
    (lambda: spread.Client("p", "k", strict=1), "strict"),
    (lambda: spread.Client("p", "k", flush_budget="60"), "flush_budget"),
    (lambda: spread.Client("p", "k", shutdown_timeout=[2]), "shutdown_timeout"),
    (lambda: spread.Client("p", "k", delivery_concurrency=2.0), "delivery_concurrency"),
    (lambda: spread.Client("p", "k").send({"data": {}}), "spread.Order"),
])
def test_wrong_types_raise_type_error_naming_the_field(make, field):
    with pytest.raises(TypeError) as info:
        make()
    assert field in str(info.value)


# ----------------------------------------------------------------------------- each rule

@pytest.mark.parametrize("name, value, named, cause", [
    ("customer_email", "john.doe.com", "customer_email", "is not an e-mail address: no '@'"),
    ("customer_email", "a@b@c", "customer_email", "more than one '@'"),
    ("customer_email", "john @doe.com", "customer_email", "is not an e-mail address"),
    ("external_id", "", "external_id", "must not be empty"),
    ("customer_cookie", "a\tb", "customer_cookie", "contains the control character"),
    ("customer_name", "Doe\x07", "customer_name", "contains the control character"),
    ("customer_gender", "other", "customer_gender", 'is not "male" or "female"'),
    ("customer_country", "fr", "customer_country", "is not an ISO 3166-1 alpha-2 code"),
    ("customer_country", "FRA", "customer_country", "is not an ISO 3166-1 alpha-2 code"),
    ("customer_birthday", "2023-02-29", "customer_birthday", "is not a date written Y-m-d"),
    ("customer_lang", "fr-FR", "customer_lang", 'is not a locale such as "fr_FR"'),
    ("action", "", "action", "must not be empty"),
    ("order_idorder", "", "order_idorder", "must not be empty"),
    ("order_state", 7, "order_state", "7 is not one of 0, 10, 20, 50, 100"),
    ("order_state", "7", "order_state", "is not one of 0, 10, 20, 50, 100"),
    ("order_state", "010", "order_state", "is not one of 0, 10, 20, 50, 100"),  # SPREAD refuses it
    ("order_state", -10, "order_state", "is not one of"),
    ("order_state", 2**40 + 10, "order_state", f"{2**40 + 10}"),  # no silent wrap to 10
    ("order_amount", -1.0, "order_amount", "-1 is negative"),
    ("order_amount", -0.0, "order_amount", "is negative"),        # PHP would send "-0"
    ("order_amount", math.nan, "order_amount", "\"NAN\" is not a plain decimal amount"),
    ("order_amount", math.inf, "order_amount", "\"INF\" is not a plain decimal amount"),
    ("order_amount", 1e20, "order_amount", "\"1.0E+20\" is not a plain decimal amount"),  # PHP's text for it
    ("order_amount", "12,50", "order_amount", "is not a plain decimal amount"),
    ("order_amount", Decimal("-1.5"), "order_amount", "-1.5 is negative"),  # typed setters: no refunds
    ("order_amount", -5, "order_amount", "-5 is negative"),
    ("order_crea_dt", "2014-06-21T14:31:08", "order_crea_dt", "is not a date and time written Y-m-d H:i:s"),
    ("order_start_service", "2019-6-5", "order_start_service", "is not a date written Y-m-d"),
    ("order_end_service", "2019-04-31", "order_end_service", "is not a date written Y-m-d"),
    ("coupon", "a\x00b", "coupon", "contains a NUL character"),  # would cut the C string short
    ("coupon", "a\x1bb", "coupon", "contains the control character"),
    ("a[b]", "x", "field name", "must not contain '[' or ']'"),
    ("", "x", "field name", "must not be empty"),
    ("add_tag", "x", "add_tag", "is not a single value: use its own setter"),
])
def test_each_rule_names_the_field_and_leaves_the_order_unchanged(name, value, named, cause):
    with spread.Order(**minimal_order()) as order:
        before = order.encode()
        with pytest.raises(spread.InvalidValueError) as info:
            order.set(name, value)
        message = str(info.value)
        assert message.startswith(f"{named}: ") and cause in message, message
        assert info.value.status == 12 and isinstance(info.value, ValueError)
        assert order.encode() == before


@pytest.mark.parametrize("change, message", [
    (lambda o: o.add_tag(""), "add_tag: must not be empty"),
    (lambda o: o.del_order_tag("a\nb"), "del_order_tag: contains the control character"),
    (lambda o: o.custom_field(0, "x"), "custom_fields: id 0 is not a custom field id"),
    (lambda o: o.custom_field(2**32, "x"), "custom_fields[4294967296]: 4294967296 is out of range"),
    (lambda o: o.custom_field(-1, "x"), "custom_fields[-1]: -1 is out of range"),
    (lambda o: o.custom_field(5, "a\x01"), "custom_fields[5]: contains the control character"),
    (lambda o: o.consent("news[letter]", True), "consents: \"news[letter]\" must not contain"),
    (lambda o: o.consent("", True), "consents: must not be empty"),
    # libspread's rule, the drop-in's (tests/python/test_python_binding_parity.py: PHP says the same).
    (lambda o: o.consent("news", "yes"), 'consents[news]: "yes" is not 1 (accepted) or 0 (refused)'),
    (lambda o: o.consent("news", 2), 'consents[news]: "2" is not 1 (accepted) or 0 (refused)'),
    (lambda o: o.add_product(["size"]), "product_attributes[0]: \"size\" is not written \"key:value\""),
    (lambda o: o.add_product(["size:xl", ":xl"]), "product_attributes[1]: \":xl\" is not written"),
])
def test_structured_rules(change, message):
    with spread.Order(**minimal_order()) as order:
        order.add_tag("first")
        before = order.encode()
        with pytest.raises(spread.InvalidValueError) as info:
            change(order)
        assert str(info.value).startswith(message), str(info.value)
        assert order.encode() == before  # all or nothing, also for a product's attributes


@pytest.mark.parametrize("setter", ["add_tag", "del_tag", "add_order_tag", "del_order_tag"])
@pytest.mark.parametrize("bad, error, message", [
    ("", spread.InvalidValueError, "{}[1]: must not be empty"),
    ("a\nb", spread.InvalidValueError, "{}[1]: contains the control character"),
    ("\udcff", spread.InvalidUtf8Error, "{}[1]: not valid UTF-8"),
    ("a\0b", spread.InvalidValueError, "{}[1]: contains a NUL character"),
    (None, TypeError, "{}[1]: expected str or int, got NoneType"),
])
def test_several_tags_are_added_all_or_none(setter, bad, error, message):
    """One call adds every tag given or none (spread_order_add_to_list): a bad value in the
    middle leaves the order unchanged, and the error names its index."""
    with spread.Order() as order:
        getattr(order, setter)("first")
        before = order.encode()
        with pytest.raises(error) as info:
            getattr(order, setter)("a", bad, "b")
        assert str(info.value).startswith(message.format(setter)), str(info.value)
        assert order.encode() == before
        getattr(order, setter)("a", "b")
        assert order.encode() == before + "".join(f"&data%5B{setter}%5D%5B{i}%5D={v}" for i, v in ((1, "a"), (2, "b")))
        getattr(order, setter)()  # nothing to add
        assert order.encode().endswith("%5B2%5D=b")
    with pytest.raises(spread.ClosedError):
        getattr(order, setter)()


def test_a_bad_product_attribute_adds_no_product():
    with spread.Order() as order:
        order.add_product(["size:xl"])
        with pytest.raises(spread.InvalidValueError):
            order.add_product(["color:blue", "nope"])
        assert order.encode() == "data%5Bproduct_attributes%5D%5B0%5D%5B0%5D=size%3Axl"


@pytest.mark.parametrize("post_data, error, message", [
    ({"data": {"customer_email": "a@b.c"}, "request": {"order_idorder": "1"}}, spread.MissingFieldError,
     "order_idorder: is required to send an order"),
    ({"data": minimal_order("1", order_state=7)}, spread.InvalidValueError,
     "order_state: 7 is not one of 0, 10, 20, 50, 100"),
    (minimal_order("1", order_amount="12,50"), spread.InvalidValueError, "order_amount: "),
    (minimal_order("1", order_crea_dt="0000-00-00 00:00:00"), spread.InvalidValueError, "order_crea_dt: "),
    ({"data": "x"}, spread.MissingFieldError, "customer_email: customer_email or external_id is required"),
])
def test_from_dict_refuses_what_spread_requires(post_data, error, message):
    with pytest.raises(error) as info:
        spread.Order.from_dict(post_data)
    assert str(info.value).startswith(message), str(info.value)


def test_int_and_str_order_ids_agree():
    with spread.Order.from_dict({"data": minimal_order(42), "request": {"order_idorder": "42"}}) as order:
        assert order.encode().endswith("request%5Border_idorder%5D=42")


# ----------------------------------------------------------------------------- strings that cannot cross

def test_lone_surrogate_is_invalid_utf8_naming_the_field():
    with spread.Order() as order:
        with pytest.raises(spread.InvalidUtf8Error, match=r"^customer_name: not valid UTF-8") as info:
            order.set("customer_name", "Doe\ud800")
        assert isinstance(info.value, ValueError) and info.value.status == 11
        with pytest.raises(spread.InvalidUtf8Error, match=r"^add_tag: not valid UTF-8"):
            order.add_tag("\udcff")
        assert order.encode() == ""


def test_keys_that_cannot_cross_are_config_errors_without_the_key():
    for bad in ("", "ab\x00cd" + SECRET, "ab\ncd" + SECRET):
        with pytest.raises(spread.ConfigError) as info:
            spread.Client("PUBLIC_KEY", bad)
        assert str(info.value).startswith("private_key: ")
        assert info.value.status == 14 and info.value.http_status is None
        no_secret(info.value)
    with pytest.raises(spread.ConfigError, match="^public_key: must not contain ':'"):
        spread.Client("PUB:LIC", SECRET)


def test_a_key_that_is_not_utf8_is_invalid_utf8_as_libspread_says():
    """spread_client_new returns NULL for every failure: spread_last_status tells which."""
    for public, private, named in (("PUBLIC_KEY", "\ud800" + SECRET, "private_key"), ("\udcff", SECRET, "public_key")):
        with pytest.raises(spread.InvalidUtf8Error, match=f"^{named}: not valid UTF-8") as info:
            spread.Client(public, private)
        assert info.value.status == 11 and not isinstance(info.value, spread.ConfigError)
        no_secret(info.value)


# ----------------------------------------------------------------------------- configuration

@pytest.mark.parametrize("options, named, cause", [
    ({"base_url": "ftp://127.0.0.1/api"}, "base_url", "ftp"),
    ({"base_url": "http://example.com/api"}, "base_url", "example.com"),
    ({"base_url": "not a url"}, "base_url", "not a URL"),
    ({"base_url": f"http://user:{SECRET}@127.0.0.1/api"}, "base_url", "credentials"),
    ({"timeout": 0}, "timeout", "more than 0"),
    ({"timeout": -1}, "timeout (ms)", "-1000 is out of range"),
    ({"timeout": 5e6}, "timeout (ms)", "5000000000 is out of range"),
    ({"timeout": math.nan}, "timeout", "nan is not a finite number of seconds"),
    ({"connect_timeout": 0}, "connect_timeout", "more than 0"),
    ({"ca_file": "/nonexistent/ca.pem"}, "ca_file", "/nonexistent/ca.pem"),
    ({"ca_file": os.devnull}, "ca_file", "no PEM certificate"),
])
def test_bad_configuration(options, named, cause):
    with pytest.raises(spread.ConfigError) as info:
        spread.Client("PUBLIC_KEY", SECRET, **options)
    message = str(info.value)
    assert message.startswith(f"{named}: ") and cause in message, message
    assert info.value.status == 14
    no_secret(info.value)


# ----------------------------------------------------------------------------- sending

def test_missing_field_is_raised_before_anything_is_sent(sb, client):
    data = minimal_order()
    del data["order_amount"]
    with pytest.raises(spread.MissingFieldError, match="^order_amount: is required to send an order"):
        client.update_order(data)
    data = minimal_order()
    del data["customer_email"]
    with pytest.raises(spread.MissingFieldError, match="^customer_email: customer_email or external_id is required"):
        client.update_order(data)
    assert sb.requests() == []


def test_unreachable_server_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with spread.Client("PUBLIC_KEY", SECRET, base_url=f"http://127.0.0.1:{port}/api", timeout=5) as client:
        with pytest.raises(spread.NetworkError) as info:
            client.update_order(minimal_order())
    assert type(info.value) is spread.NetworkError and isinstance(info.value, ConnectionError)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert info.value.http_status is None  # no answer at all
    no_secret(info.value)


def test_wrong_keys_are_an_auth_error_without_the_key(sb):
    with spread.Client(sb.public_key, SECRET, base_url=sb.base_url) as client:
        with pytest.raises(spread.AuthError) as info:
            client.update_order(minimal_order())
    assert str(info.value).startswith("SPREAD refused the API keys (HTTP 401)")
    assert info.value.status == 30 and info.value.http_status == 401
    no_secret(info.value)
    assert all(SECRET not in r["raw"].decode() for r in sb.requests())
    assert sb.state()["orders"] == {}


def test_slow_server_times_out_on_time(sb):
    sb.fault(mode="slow", delay_ms=2000, times=1)
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, timeout=1) as client:
        began = time.monotonic()
        with pytest.raises(spread.TimeoutError) as info:
            client.update_order(minimal_order())
        elapsed = time.monotonic() - began
    assert 0.9 <= elapsed < 1.5, elapsed
    assert isinstance(info.value, builtins.TimeoutError) and info.value.status == 21
    assert "within 1000 ms" in str(info.value)
    assert info.value.http_status is None
    no_secret(info.value, sb.private_key)


@pytest.mark.parametrize("code, error", [
    (500, spread.ServerError), (503, spread.ServerError), (408, spread.ServerError), (429, spread.ServerError),
    (400, spread.RejectedError), (409, spread.RejectedError), (422, spread.RejectedError),
    (401, spread.AuthError), (403, spread.AuthError), (407, spread.AuthError),
    (404, spread.EndpointError), (405, spread.EndpointError), (410, spread.EndpointError),
    (413, spread.EndpointError),
])
def test_http_errors(sb, code, error):
    sb.fault(mode="status", code=code)
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, max_attempts=1) as client:
        with pytest.raises(error) as info:
            client.update_order(minimal_order())
    assert f"(HTTP {code})" in str(info.value)
    assert info.value.http_status == code
    assert len(sb.requests()) == 1
    no_secret(info.value, sb.private_key)


def test_http_status_of_a_permanent_fault_after_the_retries(sb, client):
    sb.fault(mode="status", code=503)
    with pytest.raises(spread.ServerError) as info:
        client.update_order(minimal_order())
    assert (info.value.status, info.value.http_status) == (32, 503)
    assert len(sb.requests()) == 3  # 3 attempts by default, the last one's status is kept
    sb.fault(mode="retry_after", code=429, retry_after="0")
    with pytest.raises(spread.ServerError) as info:
        client.update_order(minimal_order())
    assert (type(info.value), info.value.http_status) == (spread.ServerError, 429)  # slow down: not a refusal
    with pytest.raises(spread.MissingFieldError) as info:  # a later failure that is no answer
        client.update_order({"customer_email": "a@b.c"})
    assert info.value.http_status is None


def test_http_status_of_a_failing_flush(sb, tmp_path):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url, spool_dir=tmp_path,
                       max_attempts=1) as client:
        sb.fault(mode="status", code=502)
        assert client.update_order(minimal_order()).queued
        with pytest.raises(spread.ServerError) as info:
            client.flush()
    assert info.value.http_status == 502 and info.value.flush_result == (0, 1)


def test_http_status_is_none_unless_given():
    assert spread.SpreadError("x").http_status is None
    assert spread.errors.error_for_status(32, "x", 0).http_status is None
    assert spread.errors.error_for_status(32, "x", 504).http_status == 504


def test_passing_failures_are_retried(sb, client):
    sb.fault(mode="status", code=503, times=2)
    assert client.update_order(minimal_order("RETRY")).status == 200  # 3 attempts by default
    assert [r["status"] for r in sb.requests()] == [503, 503, 200]


def test_redirects(sb, client):
    sb.fault(mode="redirect", code=307, location="/api/updateOrder2", times=1)
    assert client.update_order(minimal_order("R-1")).status == 200
    assert [r["path"] for r in sb.requests()] == ["/api/updateOrder", "/api/updateOrder2"]
    sb.fault(mode="redirect", code=302, location="/api/updateOrder")  # forever: a loop
    with pytest.raises(spread.RedirectError, match="more than 10 redirects"):
        client.update_order(minimal_order("R-2"))


def test_digest_only_server(sb, client):
    sb.fault(mode="digest", algorithm="SHA-256")
    assert client.update_order(minimal_order("DG-1")).status == 200
    assert [r["auth_scheme"] for r in sb.requests()] == ["Basic", "Digest"]


# ----------------------------------------------------------------------------- closed handles

def test_closed_order_raises_instead_of_crashing(client):
    order = spread.Order(**minimal_order())
    order.close()
    order.close()  # idempotent
    assert order.closed and "closed" in repr(order)
    for use in (lambda: order.set("customer_name", "x"), order.encode, order.validate,
                lambda: order.add_product(["a:b"]), lambda: client.send(order)):
        with pytest.raises(spread.ClosedError, match="this Order is closed"):
            use()


def test_closed_client_raises_instead_of_crashing(sb):
    with spread.Client(sb.public_key, sb.private_key, base_url=sb.base_url) as client:
        pass
    assert client.closed
    client.close()
    with pytest.raises(spread.ClosedError, match="this Client is closed"), spread.Order(**minimal_order()) as order:
        client.send(order)
    assert isinstance(spread.ClosedError("x"), ValueError)


def test_repr_shows_no_key():
    with spread.Client("PUBLIC_KEY", SECRET) as client:
        assert SECRET not in repr(client) and "PUBLIC_KEY" not in repr(client)


# ----------------------------------------------------------------------------- loading

def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "SPREAD_LIBRARY"}
    environ.update(env, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("library, reason", [
    ("/nonexistent/libspread.so", "not found"),
    (__file__, "invalid ELF header"),
])
def test_a_library_that_cannot_load_is_one_library_error(library, reason):
    code = ("import spread\n"
            "try:\n    spread.Order()\n"
            "except spread.LibraryError as e:\n    print(type(e).__name__, e.status, e)\n")
    out = run_python(code, SPREAD_LIBRARY=library)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("LibraryError None cannot load libspread; tried:")
    assert f"{library}: " in out.stdout and reason in out.stdout
    assert "SPREAD_LIBRARY" in out.stdout



def compile_library(tmp_path: Path, source: str) -> Path:
    (tmp_path / "fake.c").write_text(source)
    library = tmp_path / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(tmp_path / "fake.c")], check=True,
                   capture_output=True)
    return library


LOAD = ("import spread\n"
        "try:\n    spread.Order()\n"
        "except spread.LibraryError as e:\n    print(e)\n")


def test_a_library_of_another_abi_is_refused_before_any_other_call(tmp_path):
    """A real shared library that exports only the two functions the check needs: any
    other call would fail with "undefined symbol" instead of this message."""
    library = compile_library(tmp_path, "int spread_abi_version(void) { return 1; }\n"
                                        'const char *spread_version(void) { return "0.0.9"; }\n')
    out = run_python(LOAD, SPREAD_LIBRARY=str(library))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("cannot load libspread; tried:"), out.stdout
    assert (f"{library}: libspread 0.0.9 has ABI version 1; this binding needs ABI version "
            f"{spread.ABI_VERSION}") in out.stdout
    assert spread.ABI_VERSION == 3 and "undefined symbol" not in out.stdout
    # Round two's library (ABI 2) lacks round three's functions: refused the same way.
    (tmp_path / "abi2").mkdir()
    library = compile_library(tmp_path / "abi2", "int spread_abi_version(void) { return 2; }\n"
                                                 'const char *spread_version(void) { return "0.1.0"; }\n')
    out = run_python(LOAD, SPREAD_LIBRARY=str(library))
    assert "has ABI version 2; this binding needs ABI version 3" in out.stdout, out.stdout + out.stderr


def test_a_library_without_an_abi_version_is_refused(tmp_path):
    library = compile_library(tmp_path, 'const char *spread_version(void) { return "0.1.0"; }\n')
    out = run_python(LOAD, SPREAD_LIBRARY=str(library))
    assert f"{library}: no spread_abi_version(): not libspread, or a libspread older than ABI version 2" \
        in out.stdout, out.stdout + out.stderr


def test_the_library_under_test_has_this_abi():
    assert _native.lib().spread_abi_version() == spread.ABI_VERSION


def test_every_function_used_is_declared():
    """ctypes defaults (int result, unchecked arguments) would truncate pointers: every
    libspread function the package calls must have its restype and argtypes."""
    source = "".join(p.read_text() for p in Path(spread.__file__).parent.glob("*.py"))
    used = set(re.findall(r"\b(spread_[a-z_0-9]+)\b", source))
    declared = {**_native._ABI_PROTOTYPES, **_native._PROTOTYPES}
    assert used <= set(declared), used - set(declared)
    lib = _native.lib()
    for name in declared:
        fn = getattr(lib, name)
        assert fn.argtypes is not None, name
