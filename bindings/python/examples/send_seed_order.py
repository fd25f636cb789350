#!/usr/bin/env python3
"""Sends the seed integration's order (tests/fixtures/spread-updateOrder-integration.txt)
through libspread and prints SPREAD's answer.

    python3 examples/send_seed_order.py http://127.0.0.1:8080/api    # e.g. the sandbox
    SPREAD_BASE_URL=http://127.0.0.1:8080/api python3 examples/send_seed_order.py

The API base URL: the argument, else SPREAD_BASE_URL. The keys come from
SPREAD_PUBLIC_KEY / SPREAD_PRIVATE_KEY (default: the sandbox's PUBLIC_KEY / PRIVATE_KEY).
The order goes to the real SPREAD only when neither names a base URL and real keys are
set: the sandbox's keys are never sent there (exit 2).
"""

from __future__ import annotations

import os
import sys

import spread

# The seed's $post_data, key for key: the dict a PHP shop already builds.
POST_DATA = {
    "data": {
        "customer_email": "john@doe.com",
        "external_id": "12345xxx6789",
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
        "order_amount": 158.31,
        "order_crea_dt": "2014-06-21 14:31:08",
        "order_start_service": "2019-06-05",
        "order_end_service": "2019-06-14",
        "product_attributes": [["size:xl", "type:shirt"], ["size:s", "color:blue"]],
        "add_order_tag": ["tag_commande_1", "tag_commande_2"],
        "del_order_tag": ["tag_commande_3", "tag_commande_4"],
    },
    "request": {"order_idorder": "0000001"},
}


def main(argv: list[str]) -> int:
    base_url = argv[1] if len(argv) > 1 else os.environ.get("SPREAD_BASE_URL") or None
    options = {"base_url": base_url} if base_url else {}
    public_key = os.environ.get("SPREAD_PUBLIC_KEY", "PUBLIC_KEY")
    private_key = os.environ.get("SPREAD_PRIVATE_KEY", "PRIVATE_KEY")
    if not base_url and "SPREAD_PUBLIC_KEY" not in os.environ:
        print("no base URL (argument or SPREAD_BASE_URL) and no SPREAD_PUBLIC_KEY: the sandbox's "
              "keys are never sent to SPREAD itself", file=sys.stderr)
        return 2
    try:
        with spread.Client(public_key, private_key, timeout=10, **options) as client:
            response = client.update_order(POST_DATA)
    except spread.SpreadError as e:
        print(f"error ({type(e).__name__}, status {e.status}): {e}", file=sys.stderr)
        return 1
    if response.queued:
        print("queued: not delivered now, kept in the spool for a later flush")
    else:
        print(response.status)
        print(response.body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
