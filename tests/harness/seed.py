"""The seed integration (tests/fixtures/spread-updateOrder-integration.txt) as test helpers.

- SEED_POST_DATA: the seed's $post_data, as a Python dict in the same insertion order.
- SEED_BODY: the body the seed sends for it, as measured (SEED_BODY_FILE, in tests/fixtures).
- php_http_build_query(post_data) -> bytes: the real PHP encoding of a post_data.
- run_seed_client(url, post_data, ...) -> SeedResult: the seed's PHP curl block sending it.

post_data travels to PHP as JSON (see seed_client.php): str stays string, float stays
float (158.31 -> "158.31", 100.0 -> "100"), int, bool (-> "1"/"0") and None (left out)
keep their PHP meaning, dict key order is kept and int keys (custom_fields[327]) become
PHP int keys. NaN/inf cannot be passed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_CLIENT = Path(__file__).with_name("seed_client.php")
SEED_BODY_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "seed_body.txt"
SEED_BODY = SEED_BODY_FILE.read_bytes()

SEED_POST_DATA: dict[str, Any] = {
    "data": {
        "customer_email": "john@doe.com",
        "external_id": "12345xxx6789",
        # customer_cookie only when $_COOKIE['sbt'] is set: absent from a CLI run.
        "customer_name": "Doe",
        "customer_firstname": "John",
        "customer_gender": "male",
        "customer_address": "8, rue de la place",
        "customer_address_2": "bâtiment A",
        "customer_address_3": "appartement 23",
        "customer_cp": "76000",
        "customer_city": "Rouen",
        "customer_country": "FR",
        "customer_tel": "0235000000",
        "customer_mobile": "060606606",
        "customer_fonction": "developer",
        "customer_company": "SPREAD",
        "customer_birthday": "1970-12-31",
        "customer_lang": "fr_FR",
        "add_tag": ["tag1", "tag2"],
        "del_tag": ["tag3", "tag4"],
        "action": "order",
        "custom_fields": {327: "value"},
        "order_idorder": "0000001",
        "order_state": "10",
        "order_amount": 158.31,  # a float in the seed, not a string
        "order_crea_dt": "2014-06-21 14:31:08",
        "order_start_service": "2019-06-05",
        "order_end_service": "2019-06-14",
        "product_attributes": [["size:xl", "type:shirt"], ["size:s", "color:blue"]],
        "add_order_tag": ["tag_commande_1", "tag_commande_2"],
        "del_order_tag": ["tag_commande_3", "tag_commande_4"],
    },
    "request": {"order_idorder": "0000001"},
}


@dataclass
class SeedResult:
    http_code: int      # 0 when no response was received
    body: str | None    # None when curl_exec returned false
    errno: int          # curl_errno(): 0 on success, e.g. 18 for a truncated answer
    error: str
    redirect_count: int  # includes CURLAUTH_ANY's 401 round trip
    total_time: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _run_php(payload: dict, timeout: float) -> bytes:
    proc = subprocess.run(
        ["php", str(SEED_CLIENT)], input=json.dumps(payload).encode(),
        capture_output=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"seed_client.php failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def php_http_build_query(post_data: dict) -> bytes:
    """PHP's http_build_query($post_data), byte for byte."""
    return _run_php({"post_data": post_data, "only_build_query": True}, timeout=30)


def run_seed_client(
    url: str,
    post_data: dict = SEED_POST_DATA,
    public_key: str = "PUBLIC_KEY",
    private_key: str = "PRIVATE_KEY",
    timeout: int = 30,
) -> SeedResult:
    """POST post_data to url (e.g. sandbox.url("/api/updateOrder")) with the seed's curl code."""
    # Keys go through stdin, not argv, so they never show in a process listing.
    out = _run_php({"url": url, "userpwd": f"{public_key}:{private_key}",
                    "post_data": post_data, "timeout": timeout}, timeout=timeout + 10)
    return SeedResult(**json.loads(out))
