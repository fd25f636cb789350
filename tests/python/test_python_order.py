"""spread.Order and Client.send against the sandbox: every field, set through the
binding, ends up in SPREAD's stored state as the seed's PHP code would have put it."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from harness import REPO_ROOT
from harness.seed import SEED_POST_DATA, php_http_build_query, run_seed_client
from spread_test_helpers import minimal_order

import spread

# One valid value per scalar field. Keyed by the core's field list, checked below, so a
# field added to the core fails here until it is tested.
SCALAR_VALUES = {
    "customer_email": "jöhn+test@doe.com",
    "external_id": "ext 42",
    "customer_cookie": "sbt-cookie-value",
    "customer_name": "Dœ d'Arc",
    "customer_firstname": "Jean-Éric",
    "customer_gender": "female",
    "customer_address": "8, rue de la place\nBP 12",
    "customer_address_2": "bâtiment A",
    "customer_address_3": "appartement 23 & co",
    "customer_cp": "76000",
    "customer_city": "Saint-Étienne-du-Rouvray",
    "customer_country": "FR",
    "customer_tel": "+33 2 35 00 00 00",
    "customer_mobile": "06 06 06 60 6",
    "customer_fonction": "développeuse 🚀",
    "customer_company": "SPREAD * ~ %",
    "customer_birthday": "2000-02-29",
    "customer_lang": "fr_FR",
    "action": "order",
    "order_idorder": "CMD/2024/001",
    "order_state": 50,
    "order_amount": 1234.5,
    "order_crea_dt": "2024-01-31 23:59:59",
    "order_start_service": "2024-02-01",
    "order_end_service": "2024-12-31",
}
BINDING_DIR = REPO_ROOT / "bindings" / "python"
ORDER_FIELDS = {"action", "order_idorder", "order_state", "order_amount", "order_crea_dt",
                "order_start_service", "order_end_service"}


def test_field_names_come_from_the_core():
    assert spread.field_names() == tuple(SCALAR_VALUES)
    assert spread.field_names()[0] == "customer_email"
    assert spread.field_names()[-1] == "order_end_service"


def test_order_keywords_are_the_core_fields_both_ways():
    """Order's typed keywords (spread.OrderFields) are libspread's field list: a field added
    to or removed from the core fails here until the binding follows."""
    assert tuple(spread.OrderFields.__annotations__) == spread.field_names()


def python_with_mypy() -> str:
    """This Python if it has mypy, else the project's virtual environment's (.venv)."""
    if importlib.util.find_spec("mypy") is not None:
        return sys.executable
    venv = REPO_ROOT / ".venv" / "bin" / "python"
    assert venv.is_file(), "mypy is needed: pip install mypy (into .venv/, beside pytest)"
    return str(venv)


def test_a_misspelt_keyword_fails_type_checking_and_the_package_is_strict_clean(tmp_path):
    """mypy --strict on the package and on a caller: only the caller's typo is reported."""
    caller = tmp_path / "caller.py"
    caller.write_text("import spread\n"
                      "spread.Order(customer_email='a@b.c', order_state=10, order_amount=1.5)\n"
                      "spread.Order(custmer_email='a@b.c')\n"
                      "limit: int = spread.MAX_CONCURRENCY\n")
    env = dict(os.environ, MYPYPATH=str(BINDING_DIR))
    proc = subprocess.run([python_with_mypy(), "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           "--no-error-summary", str(BINDING_DIR / "spread"), str(caller)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{caller}:3: error: Unexpected keyword argument "
                                                     '"custmer_email" for "Order"'), proc.stdout + proc.stderr


def test_every_scalar_field_reaches_the_sandbox(sb, client):
    with spread.Order(**SCALAR_VALUES) as order:
        response = client.send(order)
        body = order.encode()
    assert (response.status, response.queued) == (200, False)
    assert response.json() == {"status": "ok", "order_idorder": "CMD/2024/001", "created": True}
    assert body.encode() == php_http_build_query({"data": SCALAR_VALUES,
                                                  "request": {"order_idorder": "CMD/2024/001"}})
    assert [r["raw"] for r in sb.requests()] == [body.encode()]

    state = sb.state()
    profile = state["profiles"]["jöhn+test@doe.com"]
    stored_order = state["orders"]["CMD/2024/001"]
    as_sent = {k: str(v) for k, v in SCALAR_VALUES.items()}
    for name, value in as_sent.items():
        assert (stored_order if name in ORDER_FIELDS else profile)[name] == value, name
    assert stored_order["extra"] == {}


def test_structured_fields_reach_the_sandbox(sb, client):
    order = (spread.Order(**minimal_order("S-1"))
             .add_tag("vip", "été 2024")
             .del_tag("prospect")
             .add_order_tag("web", "promo *")
             .del_order_tag("draft")
             .custom_field(327, "value")
             .custom_field(4294967295, "max id")
             .consent("newsletter", True)
             .consent("partners", False)
             .add_product(["size:xl", "type:shirt"])
             .add_product(["size:s", "color:blue", "note:a:b"])
             .set("coupon", "WELCOME10"))
    with order:
        assert client.send(order).status == 200
    state = sb.state()
    profile = state["profiles"]["john@doe.com"]
    assert profile["tags"] == ["vip", "été 2024"]
    assert profile["custom_fields"] == {"327": "value", "4294967295": "max id"}
    assert profile["consents"] == {"newsletter": 1, "partners": 0}
    stored = state["orders"]["S-1"]
    assert stored["tags"] == ["promo *", "web"]
    assert stored["product_attributes"] == [["size:xl", "type:shirt"], ["size:s", "color:blue", "note:a:b"]]
    assert stored["extra"] == {"coupon": "WELCOME10"}
    assert (stored["order_state"], stored["order_amount"]) == ("20", "158.31")


def test_seed_dict_gives_the_same_state_and_bytes_as_the_php_seed(sb, client):
    response = client.update_order(SEED_POST_DATA)
    assert response.json() == {"status": "ok", "order_idorder": "0000001", "created": True}
    ours = sb.requests()
    assert [(r["auth_scheme"], r["status"]) for r in ours] == [("Basic", 200)]  # one round trip
    assert ours[0]["raw"] == php_http_build_query(SEED_POST_DATA)
    assert ours[0]["content_type"] == "application/x-www-form-urlencoded"
    state = sb.state_json()

    sb.reset()
    assert run_seed_client(sb.url("/api/updateOrder")).http_code == 200
    assert sb.state_json() == state


def test_sending_again_updates_the_order(sb, client):
    with spread.Order(**minimal_order("U-1", order_state=10)) as order:
        assert client.send(order).json()["created"] is True
        order.set("order_state", "100").add_order_tag("done")
        assert client.send(order).json()["created"] is False
    stored = sb.state()["orders"]["U-1"]
    assert (stored["order_state"], stored["updates"], stored["tags"]) == ("100", 2, ["done"])


def test_setting_a_field_again_replaces_it_in_place(sb):
    with spread.Order(customer_name="Doe", customer_city="Rouen") as order:
        order.set("customer_name", "Dupont")
        assert order.encode() == "data%5Bcustomer_name%5D=Dupont&data%5Bcustomer_city%5D=Rouen"


@pytest.mark.parametrize("state, amount, stored_state, stored_amount", [
    (10, 158.31, "10", "158.31"),
    ("20", "158.31", "20", "158.31"),
    (0, 0.1 + 0.2, "0", "0.3"),              # PHP's precision=14
    (100, 100.0, "100", "100"),
    (50, Decimal("158.310"), "50", "158.310"),  # exact, as written
    (20, Decimal("1E+2"), "20", "100"),        # never an exponent
    (20, 12, "20", "12"),
    (20, 10**20, "20", "100000000000000000000"),  # an int stays exact
])
def test_state_and_amount_types(sb, client, state, amount, stored_state, stored_amount):
    client.update_order(minimal_order("T-1", order_state=state, order_amount=amount))
    stored = sb.state()["orders"]["T-1"]
    assert (stored["order_state"], stored["order_amount"]) == (stored_state, stored_amount)


def test_from_dict_accepts_php_shapes(sb, client):
    data = minimal_order(
        "D-1",
        customer_email=None,                   # left out, as PHP leaves out null
        external_id=12345,                     # ints print as PHP prints them
        custom_fields={"327": "a", 12: 7, 13: None},
        consents={"newsletter": 1, "sms": "0", "mail": True, "phone": None},
        product_attributes=[["size:m"], []],
        add_tag=("t1",),
        del_tag=[],
    )
    response = client.update_order({"data": data, "request": {"order_idorder": "D-1"}})
    assert response.status == 200
    state = sb.state()
    profile = state["profiles"]["12345"]
    assert "customer_email" not in profile
    assert profile["custom_fields"] == {"327": "a", "12": "7"}
    assert profile["consents"] == {"newsletter": 1, "sms": 0, "mail": 1}
    assert profile["tags"] == ["t1"]
    assert state["orders"]["D-1"]["product_attributes"] == [["size:m"]]
    # PHP reads the very same dict (JSON null is PHP null) and encodes it to the same bytes.
    assert sb.requests()[0]["raw"] == php_http_build_query({"data": data, "request": {"order_idorder": "D-1"}})


def test_from_dict_takes_a_bare_data_dict_or_the_whole_post_data():
    """A bare data part is wrapped as the seed does; a whole $post_data goes as PHP sends it."""
    with spread.Order.from_dict(minimal_order("B-1")) as bare, \
            spread.Order.from_dict({"data": minimal_order("B-1"), "request": {"order_idorder": "B-1"}}) as whole, \
            spread.Order.from_dict({"data": minimal_order("B-1")}) as data_only:
        assert bare.encode() == whole.encode()
        assert bare.encode().endswith("&request%5Border_idorder%5D=B-1")
        assert data_only.encode().encode() == php_http_build_query({"data": minimal_order("B-1")})
        assert "request" not in data_only.encode()


def test_keyword_order_is_kept_like_a_php_array():
    scalars = {k: v for k, v in SEED_POST_DATA["data"].items() if isinstance(v, (str, float))}
    reordered = dict(reversed(list(scalars.items())))
    with spread.Order(**reordered) as order:
        assert order.encode().encode() == php_http_build_query(
            {"data": reordered, "request": {"order_idorder": "0000001"}})


def test_setters_chain_and_return_the_order():
    order = spread.Order()
    with order:
        assert order.set("customer_email", "a@b.c") is order
        assert order.add_tag("x") is order
        assert order.custom_field(1, "v") is order
        assert order.consent("n", True) is order
        assert order.add_product(["a:b"]) is order


def test_validate_names_the_missing_field():
    with spread.Order(**minimal_order()) as order:
        assert order.validate() is order
    without_date = minimal_order()
    del without_date["order_crea_dt"]
    with spread.Order(**without_date) as order:
        with pytest.raises(spread.MissingFieldError, match="^order_crea_dt: is required"):
            order.validate()


def test_from_dict_does_not_change_its_argument():
    post = copy.deepcopy(SEED_POST_DATA)
    spread.Order.from_dict(post).close()
    assert post == SEED_POST_DATA


def test_example_sends_the_seed_order(sb):
    """examples/send_seed_order.py (run by `make demo`) carries the seed's very dict."""
    example = BINDING_DIR / "examples" / "send_seed_order.py"
    spec = importlib.util.spec_from_file_location("send_seed_order", example)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.POST_DATA == SEED_POST_DATA

    env = dict(os.environ, PYTHONPATH=str(BINDING_DIR))
    proc = subprocess.run([sys.executable, str(example), sb.base_url], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    status, body = proc.stdout.split("\n", 1)
    assert (status, json.loads(body)["order_idorder"]) == ("200", "0000001")
    assert "0000001" in sb.state()["orders"]


def test_the_readme_quick_start_runs_as_written(sb, tmp_path):
    """bindings/python/README.md's quick start, against the sandbox it tells to start."""
    readme = (BINDING_DIR / "README.md").read_text()
    section = readme[readme.index("## Quick start"):]
    assert "php -S 127.0.0.1:8080 sandbox/router.php" in section
    code = section[section.index("```python\n") + len("```python\n"):section.index("```\n", section.index("```python"))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPREAD_")}
    env.update(PYTHONPATH=str(BINDING_DIR), SPREAD_LIBRARY=os.environ["SPREAD_LIBRARY"], SPREAD_BASE_URL=sb.base_url)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("200 {'status': 'ok'"), proc.stdout
    assert sb.state()["orders"]["0000001"]["order_state"] == "20"


def test_a_copy_changes_apart_from_its_original():
    import copy

    with spread.Order(customer_email="jane@example.org", order_idorder="A-1") as order:
        order.custom_field(7, "kept")
        before = order.encode()
        with order.copy() as twin, copy.copy(order) as other:
            twin.set("customer_name", "Twin").custom_field(8, "only in the twin")
            other.set("customer_name", "Other")
            assert order.encode() == before
            assert "customer_name%5D=Twin" in twin.encode() and "%5B8%5D=only+in+the+twin" in twin.encode()
            assert "customer_name%5D=Other" in other.encode() and "%5B8%5D" not in other.encode()
            assert "%5B7%5D=kept" in twin.encode() and "%5B7%5D=kept" in other.encode()
        assert order.encode() == before  # closing the copies leaves the original open
