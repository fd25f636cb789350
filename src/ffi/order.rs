//! `SpreadOrder`: an order being built. One owner at a time; not for
//! sharing between threads while it is being changed.

use std::ffi::{c_char, c_int};

use super::{arg_mut, arg_ref, arg_str, guard, guard_status, owned_c_string, FfiError};
use crate::order::fields::ListField;
use crate::order::Order;
// The 0.1 Rust paths (`spread::ffi::order::spread_order_from_json`, ...) of the
// functions that moved to their own files.
pub use super::order_dropin::*;
pub use super::order_fields::*;

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
pub(crate) fn with_order(o: *mut SpreadOrder, change: impl FnOnce(&mut Order) -> Result<(), FfiError>) -> c_int {
    guard_status(|| change(&mut arg_mut(o, "order")?.inner))
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

/// Sets `data[name]` from `json`, a value as the seed's `$post_data` holds
/// it (`json_encode($value)`): a scalar field by its rule; a list field
/// (`add_tag`, ...) from a JSON array, its entries appended; `custom_fields`
/// from `{"327": "value"}`; `consents` from `{"NewsEmail": true}` (true/false,
/// 1/0, "1"/"0": the drop-in's rule); `product_attributes` from
/// `[["size:xl"]]`, products appended; any other name as extra text. null
/// changes nothing. All or nothing: on error (SPREAD_ERR_INVALID_VALUE
/// naming the entry, `consents[NewsEmail]`) the order is unchanged. What
/// the PHP and Python bindings call for a structured value, so both accept
/// and refuse the same. `name` and `json` are borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_set_value(o: *mut SpreadOrder, name: *const c_char, json: *const c_char) -> c_int {
    with_order(o, |order| {
        let name = arg_str(name, "name")?;
        Ok(order.set_value_json(name, arg_str(json, name)?)?)
    })
}

/// Checks that the fields SPREAD requires are set (customer_email or
/// external_id, order_idorder, order_state, order_amount, order_crea_dt),
/// else SPREAD_E_MISSING_FIELD, and that SPREAD's PHP would read the whole
/// body, else SPREAD_E_INVALID_VALUE: it reads 1,001 variables (its
/// `max_input_vars`, 1000) and drops the rest without an error.
/// `spread_send` and `spread_enqueue` do the same check.
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
