"""Small helpers shared by the Python binding's tests (named uniquely: pytest puts this
folder on sys.path, beside the other suites')."""

from __future__ import annotations


def minimal_order(idorder: str = "A-1", **extra: object) -> dict:
    """The smallest data SPREAD accepts for an order, plus `extra`."""
    return {
        "customer_email": "john@doe.com",
        "order_idorder": idorder,
        "order_state": 20,
        "order_amount": 158.31,
        "order_crea_dt": "2014-06-21 14:31:08",
        **extra,
    }
