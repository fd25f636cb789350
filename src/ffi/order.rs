//! `SpreadOrder`: an order being built. One owner at a time; not for
//! sharing between threads while it is being changed.

use std::ffi::{c_char, c_int};

use super::response::c_text;
use super::{arg_mut, arg_ref, arg_str, guard, guard_status, owned_c_string, FfiError};
use crate::order::fields::{self, Field, ListField};
use crate::order::Order;

/// An order with its customer profile. Opaque.
pub struct SpreadOrder {
    pub(crate) inner: Order,
}

/// A new, empty order. Owned by the caller: free it with `spread_order_free`.
/// Never NULL.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_new() -> *mut SpreadOrder {
    guard(|| Ok(Box::into_raw(Box::new(SpreadOrder { inner: Order::new() }))))
}

/// A copy of the order, changed apart from the original: a till's template
/// order copied for each sale, or a change made all or not at all (change
/// the copy, keep the one that is right). Owned by the caller: free it with
/// `spread_order_free`. `o` is borrowed. NULL only when `o` is NULL.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_clone(o: *const SpreadOrder) -> *mut SpreadOrder {
    guard(|| Ok(Box::into_raw(Box::new(SpreadOrder { inner: arg_ref(o, "order")?.inner.clone() }))))
}

/// Frees an order made by `spread_order_new`, `spread_order_clone` or
/// `spread_order_from_form`/`_from_json`. NULL is a no-op. The pointer
/// must not be used afterwards.
#[no_mangle]
pub extern "C" fn spread_order_free(o: *mut SpreadOrder) {
    guard(|| {
        if !o.is_null() {
            // SAFETY: `o` came from `Box::into_raw` in `spread_order_new` and is freed once.
            drop(unsafe { Box::from_raw(o) });
        }
        Ok(())
    })
}

/// Applies `change` to the order behind `o`, a borrowed non-NULL handle.
fn with_order(o: *mut SpreadOrder, change: impl FnOnce(&mut Order) -> Result<(), FfiError>) -> c_int {
    guard_status(|| change(&mut arg_mut(o, "order")?.inner))
}

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

/// Sets `data[order_state]`: 0 cancelled, 10 taken (unpaid), 20 paid,
/// 50 shipped, 100 completed. On error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_state(o: *mut SpreadOrder, state: i32) -> c_int {
    with_order(o, |order| Ok(order.set_order_state(state.into())?))
}

/// Sets `data[order_amount]` from a double, printed as PHP prints floats
/// (`158.31`, `100`). Finite and not negative. On error the order is unchanged.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_amount(o: *mut SpreadOrder, amount: f64) -> c_int {
    with_order(o, |order| Ok(order.set_order_amount(amount)?))
}

/// Sets `data[order_amount]` from a plain decimal string (`"158.31"`), sent
/// as written: no float rounding. `decimal` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_order_amount_str(o: *mut SpreadOrder, decimal: *const c_char) -> c_int {
    set_text(o, &fields::ORDER_AMOUNT, decimal)
}

fn add_to(o: *mut SpreadOrder, list: ListField, v: *const c_char) -> c_int {
    with_order(o, |order| Ok(order.add_to_list(list, arg_str(v, list.name())?)?))
}

/// Appends a customer tag to add (`data[add_tag][]`). `tag` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_tag(o: *mut SpreadOrder, tag: *const c_char) -> c_int {
    add_to(o, ListField::AddTag, tag)
}

/// Appends a customer tag to remove (`data[del_tag][]`). `tag` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_del_tag(o: *mut SpreadOrder, tag: *const c_char) -> c_int {
    add_to(o, ListField::DelTag, tag)
}

/// Appends an order tag to add (`data[add_order_tag][]`). `tag` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_order_tag(o: *mut SpreadOrder, tag: *const c_char) -> c_int {
    add_to(o, ListField::AddOrderTag, tag)
}

/// Appends an order tag to remove (`data[del_order_tag][]`). `tag` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_del_order_tag(o: *mut SpreadOrder, tag: *const c_char) -> c_int {
    add_to(o, ListField::DelOrderTag, tag)
}

/// Sets `data[custom_fields][id]`; ids (> 0) come from SPREAD's back office.
/// `v` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_custom_field(o: *mut SpreadOrder, id: u32, v: *const c_char) -> c_int {
    with_order(o, |order| Ok(order.set_custom_field(id, arg_str(v, "custom_fields")?)?))
}

/// Sets `data[consents][tech_name]` to 1 (accepted) or 0 (refused).
/// `tech_name` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_consent(o: *mut SpreadOrder, tech_name: *const c_char, accepted: bool) -> c_int {
    with_order(o, |order| Ok(order.set_consent(arg_str(tech_name, "consents")?, accepted)?))
}

/// Starts the next product (`data[product_attributes][n]`); the following
/// `spread_order_add_product_attribute` calls describe it.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_product(o: *mut SpreadOrder) -> c_int {
    with_order(o, |order| {
        order.add_product();
        Ok(())
    })
}

/// Adds `"key:value"` (such as `"size:xl"`) to the current product, starting
/// the first product if none was started. `key_colon_value` is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_product_attribute(o: *mut SpreadOrder, key_colon_value: *const c_char) -> c_int {
    with_order(o, |order| Ok(order.add_product_attribute(arg_str(key_colon_value, "product_attributes")?)?))
}

/// Sets `data[name]` from text. A known field name is checked by that
/// field's rule (so `"order_state"`, `"10"` works); any other name is kept
/// and sent as is. `name` and `v` are borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_field(o: *mut SpreadOrder, name: *const c_char, v: *const c_char) -> c_int {
    with_order(o, |order| {
        let name = arg_str(name, "name")?;
        Ok(order.set(name, arg_str(v, name)?)?)
    })
}

/// Checks that the fields SPREAD requires are set (customer_email or
/// external_id, order_idorder, order_state, order_amount, order_crea_dt).
/// `spread_send` does the same check.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_validate(o: *const SpreadOrder) -> c_int {
    guard_status(|| Ok(arg_ref(o, "order")?.inner.check_required()?))
}

/// The exact body that `spread_send` posts, byte-identical to PHP's
/// `http_build_query`. Owned by the caller: free with `spread_string_free`.
/// NULL on error (see `spread_last_error`).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_encode(o: *const SpreadOrder) -> *mut c_char {
    guard(|| owned_c_string(arg_ref(o, "order")?.inner.encode()))
}

/// Borrows `n` C strings, naming a bad one `what[i]`.
fn str_array<'a>(values: *const *const c_char, n: usize, what: &str) -> Result<Vec<&'a str>, FfiError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    arg_ref(values, what)?;
    if n > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
        return Err(crate::Error::invalid("n", format!("{n} values cannot be an array in memory")).into());
    }
    // SAFETY: the caller passes an array of `n` strings (documented contract); `n` fits in memory.
    let raw = unsafe { std::slice::from_raw_parts(values, n) };
    raw.iter().enumerate().map(|(i, &a)| arg_str(a, &format!("{what}[{i}]"))).collect()
}

/// Appends all `n` of `values` to the list field named `list` ("add_tag",
/// "del_tag", "add_order_tag" or "del_order_tag"), or none of them: on error
/// (naming the bad value's index) the order is unchanged. `list` and
/// `values` (an array of `n` strings) are borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_to_list(o: *mut SpreadOrder, list: *const c_char, values: *const *const c_char, n: usize) -> c_int {
    with_order(o, |order| {
        let name = arg_str(list, "list")?;
        let list = ListField::from_name(name)
            .ok_or_else(|| crate::Error::invalid("list", format!("{name:?} is not add_tag, del_tag, add_order_tag or del_order_tag")))?;
        Ok(order.add_all_to_list(list, &str_array(values, n, list.name())?)?)
    })
}

/// Starts a new product with all `n` attributes of `attributes` (each
/// `"key:value"`), or changes nothing: on error (a NULL, invalid UTF-8 or
/// malformed attribute, named by its index) the order is unchanged.
/// `attributes` (an array of `n` strings) is borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_add_product_with(o: *mut SpreadOrder, attributes: *const *const c_char, n: usize) -> c_int {
    with_order(o, |order| Ok(order.add_product_with(&str_array(attributes, n, "product_attributes")?)?))
}

fn new_order(make: impl FnOnce() -> Result<Order, FfiError>) -> *mut SpreadOrder {
    guard(|| Ok(Box::into_raw(Box::new(SpreadOrder { inner: make()? }))))
}

/// The drop-in path for PHP: an order from the body that PHP's
/// `http_build_query($post_data)` built for the seed's whole `$post_data`
/// (then sent byte for byte) or for just its `data` part (then wrapped as
/// the seed does). Only what SPREAD requires is strict (a customer
/// identifier, order_idorder, order_state, order_amount, order_crea_dt);
/// another field that breaks its rule is sent as is and recorded as a
/// warning (`spread_order_warning`), unless `strict` is true (then it is an
/// error naming it). Owned by the caller: free with `spread_order_free`.
/// NULL on error (see `spread_last_error`, `spread_last_status`).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_from_form(body: *const c_char, strict: bool) -> *mut SpreadOrder {
    new_order(|| Ok(crate::order::dropin::from_form(arg_str(body, "body")?, strict)?))
}

/// The drop-in path from JSON: the seed's `$post_data` (whole, or its
/// `data` part) as a JSON object, encoded as PHP's `http_build_query`
/// would (nulls left out, booleans 1/0, floats as PHP prints them with
/// precision 14). Lenient or strict as `spread_order_from_form`. Owned by
/// the caller: free with `spread_order_free`. NULL on error.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_from_json(json: *const c_char, strict: bool) -> *mut SpreadOrder {
    new_order(|| Ok(crate::order::dropin::from_json(arg_str(json, "json")?, strict)?))
}

/// How many warnings the lenient drop-in path recorded for `o` (0 for
/// orders built with setters, and for NULL).
#[no_mangle]
pub extern "C" fn spread_order_warning_count(o: *const SpreadOrder) -> usize {
    // SAFETY: `o` is NULL or a live order.
    unsafe { o.as_ref() }.map_or(0, |o| o.inner.warnings().len())
}

/// The `index`-th warning of `o`, or NULL past the end. Owned by the
/// caller: free with `spread_string_free`.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_warning(o: *const SpreadOrder, index: usize) -> *mut c_char {
    guard(|| match arg_ref(o, "order")?.inner.warnings().get(index) {
        Some(w) => Ok(c_text(w).into_raw()),
        None => Ok(std::ptr::null_mut()),
    })
}
