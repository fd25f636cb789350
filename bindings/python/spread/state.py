"""spread.OrderState: SPREAD's order states (data[order_state])."""

from __future__ import annotations

import enum

__all__ = ["OrderState"]


class OrderState(enum.IntEnum):
    """The values order_state takes, with SPREAD's meanings; the int is what is sent.

    ``Order(order_state=OrderState.PAID)`` sends ``data[order_state]=20``; an int
    (``20``) or its text (``"20"``) is accepted as well."""

    #: Cancelled.
    CANCELLED = 0
    #: Taken, not paid yet.
    TAKEN = 10
    #: Paid.
    PAID = 20
    #: Shipped.
    SHIPPED = 50
    #: Completed (delivered, closed).
    COMPLETED = 100

    @property
    def label(self) -> str:
        """SPREAD's meaning in English: "paid", "taken (unpaid)"..."""
        return _LABELS[self]


_LABELS = {OrderState.CANCELLED: "cancelled", OrderState.TAKEN: "taken (unpaid)", OrderState.PAID: "paid",
           OrderState.SHIPPED: "shipped", OrderState.COMPLETED: "completed"}
