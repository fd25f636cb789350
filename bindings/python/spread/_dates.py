"""Dates and times as SPREAD's fields take them: ``Y-m-d H:i:s`` in UTC for
order_crea_dt, ``Y-m-d`` for the date fields. An aware datetime is converted to
UTC; a naive one is refused, since nobody can tell which zone it was in."""

from __future__ import annotations

import datetime as _dt
from typing import Union

from .errors import InvalidValueError

#: What a date or date-time field takes besides text.
DateLike = Union[_dt.datetime, _dt.date]

#: The fields whose rule is a date and time (UTC), and those whose rule is a date.
DATETIME_FIELDS = frozenset({"order_crea_dt"})
DATE_FIELDS = frozenset({"customer_birthday", "order_start_service", "order_end_service"})


def _utc(field: str, value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValueError(f"{field}: the datetime {value.isoformat(sep=' ')} is naive (no time zone), so its UTC time "
                         "is unknown: give an aware one, such as datetime.now(timezone.utc) or "
                         "dt.replace(tzinfo=ZoneInfo('Europe/Paris'))")
    return value.astimezone(_dt.timezone.utc)


def text(field: str, value: DateLike) -> str:
    """`value` as the seed writes `field`: an aware datetime as UTC ``Y-m-d H:i:s`` (its
    UTC date ``Y-m-d`` for a date field), a date as ``Y-m-d`` (refused for order_crea_dt,
    which needs a time: midnight where?)."""
    if isinstance(value, _dt.datetime):
        utc = _utc(field, value)
        return utc.strftime("%Y-%m-%d") if field in DATE_FIELDS else utc.strftime("%Y-%m-%d %H:%M:%S")
    if field in DATETIME_FIELDS:
        raise InvalidValueError(f"{field}: {value.isoformat()} is a date without a time or zone: give an aware "
                                "datetime, such as datetime(2024, 5, 4, 10, 31, tzinfo=timezone.utc)")
    return value.strftime("%Y-%m-%d")
