//! One C setter per scalar field of `SpreadOrder` (`spread_order_set_customer_email`
//! ... `spread_order_set_order_end_service`), each checked by its field's rule.

use std::ffi::{c_char, c_int};

use super::arg_str;
use super::order::{with_order, SpreadOrder};
use crate::order::fields::{self, Field};

/// Each C setter names its field through a constant of `fields.rs`: a field
/// removed there breaks the build here.
fn set_text(o: *mut SpreadOrder, field: &Field, v: *const c_char) -> c_int {
    with_order(o, |order| Ok(order.set(field.name, arg_str(v, field.name)?)?))
}

/// Sets `data[customer_email]`. The customer's e-mail (a customer identifier; one `@`, no spaces).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_email(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_EMAIL, v)
}

/// Sets `data[external_id]`. The customer's id in the shop (a customer identifier).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_external_id(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::EXTERNAL_ID, v)
}

/// Sets `data[customer_cookie]`. SPREAD's tracking cookie `sbt`, when the browser sent one.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_cookie(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_COOKIE, v)
}

/// Sets `data[customer_name]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_name(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_NAME, v)
}

/// Sets `data[customer_firstname]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_firstname(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_FIRSTNAME, v)
}

/// Sets `data[customer_gender]`. "male" or "female".
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_gender(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_GENDER, v)
}

/// Sets `data[customer_address]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_address(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_ADDRESS, v)
}

/// Sets `data[customer_address_2]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_address_2(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_ADDRESS_2, v)
}

/// Sets `data[customer_address_3]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_address_3(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_ADDRESS_3, v)
}

/// Sets `data[customer_cp]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_cp(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_CP, v)
}

/// Sets `data[customer_city]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_city(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_CITY, v)
}

/// Sets `data[customer_country]`. ISO 3166-1 alpha-2, such as "FR".
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_country(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_COUNTRY, v)
}

/// Sets `data[customer_tel]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_tel(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_TEL, v)
}

/// Sets `data[customer_mobile]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_mobile(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_MOBILE, v)
}

/// Sets `data[customer_fonction]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_fonction(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_FONCTION, v)
}

/// Sets `data[customer_company]`. Free text (line breaks allowed, other control characters not).
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_company(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_COMPANY, v)
}

/// Sets `data[customer_birthday]`. Y-m-d, such as "1970-12-31".
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_birthday(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_BIRTHDAY, v)
}

/// Sets `data[customer_lang]`. A locale such as "fr_FR".
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_customer_lang(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::CUSTOMER_LANG, v)
}

/// Sets `data[action]`. The action, "order" for an order.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_action(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::ACTION, v)
}

/// Sets `data[order_idorder]`. The shop's unique order id; sending it again updates the order.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_idorder(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_IDORDER, v)
}

/// Sets `data[order_crea_dt]`. When the order was made, UTC, Y-m-d H:i:s.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_crea_dt(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_CREA_DT, v)
}

/// Sets `data[order_start_service]`. Start of the service, Y-m-d.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_start_service(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_START_SERVICE, v)
}

/// Sets `data[order_end_service]`. End of the service, Y-m-d.
/// `o` and `v` are borrowed; on error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_end_service(o: *mut SpreadOrder, v: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_END_SERVICE, v)
}

/// Sets `data[order_amount]` from a plain decimal string (`"158.31"`), sent
/// as written: no float rounding. `decimal` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_amount_str(o: *mut SpreadOrder, decimal: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_AMOUNT, decimal)
}
