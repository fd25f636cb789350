"""The keyword arguments of spread.Order, typed: a misspelt field
(``Order(custmer_email=...)``) fails type checking as well as at run time.

The names are libspread's scalar fields (``spread_field_name``), in its order; a test
checks this list against the library in both directions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Optional, TypedDict, Union

#: A text field: str as is, an int in decimal (as PHP prints it); None is left out.
Text = Optional[Union[str, int]]
#: order_amount: a float printed as PHP prints it, or an exact int, Decimal or decimal str.
Amount = Optional[Union[float, int, Decimal, str]]
#: A date field: also a date, or an aware datetime (its UTC date); order_crea_dt: an
#: aware datetime, sent as UTC ``Y-m-d H:i:s``. A naive datetime is refused.
Date = Optional[Union[str, int, datetime.date]]


class OrderFields(TypedDict, total=False):
    customer_email: Text
    external_id: Text
    customer_cookie: Text
    customer_name: Text
    customer_firstname: Text
    customer_gender: Text
    customer_address: Text
    customer_address_2: Text
    customer_address_3: Text
    customer_cp: Text
    customer_city: Text
    customer_country: Text
    customer_tel: Text
    customer_mobile: Text
    customer_fonction: Text
    customer_company: Text
    customer_birthday: Date
    customer_lang: Text
    action: Text
    order_idorder: Text
    order_state: Text
    order_amount: Amount
    order_crea_dt: Date
    order_start_service: Date
    order_end_service: Date
