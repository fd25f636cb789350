//! The drop-in path: the seed's `$post_data`, whatever a shop's code put in
//! it, sent exactly as `http_build_query($post_data)` would send it.
//!
//! Two ways in: the body PHP built itself with `http_build_query` (the PHP
//! binding; sent byte for byte, parsed only to be checked), or the array as
//! JSON (Python, the CLI's JSON lines; encoded here as PHP would, nulls
//! skipped, floats at precision 14).
//!
//! Lenient where SPREAD is lenient: the fields SPREAD requires (a customer
//! identifier, order id, state, amount, creation date) keep their rules; any
//! other field that breaks its rule (a `0000-00-00` birthday, a lower-case
//! country, an empty gender) is sent as the seed would have sent it and
//! reported as a warning, unless the caller asks for strict mode.

use crate::encode::{Key, Value};
use crate::error::{Error, ErrorKind, Result};
use crate::fields::{self, Field, ListField, Rule, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};
use crate::order::{scalar_text, Order};
use crate::validate;

/// An order from a body built by PHP's `http_build_query($post_data)`.
/// A whole `$post_data` (with its `data` part) is sent as these very bytes;
/// just its `data` part is wrapped as the seed does (`data[...]`, then
/// `request[order_idorder]`).
pub fn from_form(body: &str, strict: bool) -> Result<Order> {
    let mut top: Vec<(Key, Value)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        insert(&mut top, &path_of(&name), Value::Str(value.into_owned()));
    }
    build(top, Some(body.to_owned()), strict)
}

/// An order from `$post_data` as JSON (`json_encode($post_data)`, Python's
/// `json.dumps(post_data)`): an object, whole or just its `data` part.
pub fn from_json(json: &str, strict: bool) -> Result<Order> {
    let parsed: serde_json::Value =
        serde_json::from_str(json).map_err(|e| Error::invalid("post_data", format!("not valid JSON: {e}")))?;
    let serde_json::Value::Object(map) = parsed else {
        return Err(Error::invalid("post_data", "must be a JSON object (the seed's $post_data array)"));
    };
    build(object(map), None, strict)
}

fn object(map: serde_json::Map<String, serde_json::Value>) -> Vec<(Key, Value)> {
    map.into_iter().filter_map(|(k, v)| php_value(v).map(|v| (php_key(&k), v))).collect()
}

/// A JSON value as PHP's `json_decode($json, true)` gives it; null is
/// dropped (`http_build_query` leaves it out).
fn php_value(v: serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Str(s),
        J::Array(items) => {
            Value::Array(items.into_iter().enumerate().filter_map(|(i, v)| php_value(v).map(|v| (Key::Int(i as i64), v))).collect())
        }
        J::Object(map) => Value::Array(object(map)),
    })
}

/// PHP turns canonical decimal string keys into integer keys.
fn php_key(k: &str) -> Key {
    let canonical = k == "0" || (!k.starts_with('0') && !k.starts_with("-0") && k != "-");
    match k.parse::<i64>() {
        Ok(i) if canonical => Key::Int(i),
        _ => Key::from(k),
    }
}

/// `data[add_tag][0]` → `data`, `add_tag`, `0`; a name whose brackets do
/// not nest cleanly stays one key.
fn path_of(name: &str) -> Vec<String> {
    let Some(open) = name.find('[') else { return vec![name.to_owned()] };
    let mut path = vec![name[..open].to_owned()];
    let mut rest = &name[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { return vec![name.to_owned()] };
        path.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() || path[0].is_empty() {
        return vec![name.to_owned()];
    }
    path
}

/// `$top[a][b][c] = value`, PHP style (`[]` appends).
fn insert(items: &mut Vec<(Key, Value)>, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let key = if first.is_empty() {
        let next = items.iter().filter_map(|(k, _)| if let Key::Int(i) = k { Some(i + 1) } else { None }).max().unwrap_or(0);
        Key::Int(next)
    } else {
        php_key(first)
    };
    if rest.is_empty() {
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => items.push((key, value)),
        }
        return;
    }
    let at = match items.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            items.push((key, Value::Array(Vec::new())));
            items.len() - 1
        }
    };
    if !matches!(items[at].1, Value::Array(_)) {
        items[at].1 = Value::Array(Vec::new());
    }
    if let Value::Array(sub) = &mut items[at].1 {
        insert(sub, rest, value);
    }
}

fn build(top: Vec<(Key, Value)>, raw: Option<String>, strict: bool) -> Result<Order> {
    let whole = top.iter().any(|(k, v)| k.is("data") && matches!(v, Value::Array(_)));
    let (top, auto_request, raw) = if whole { (top, false, raw) } else { (vec![(Key::from("data"), Value::Array(top))], true, None) };
    let order = Order::from_parts(top, auto_request, raw, Vec::new());
    let warnings = check(&order, strict)?;
    Ok(order.with_warnings(warnings))
}

/// The strict checks (an error) and the lenient ones (a warning, or an
/// error in strict mode).
fn check(order: &Order, strict: bool) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let mut lenient = |e: Error| -> Result<()> {
        if strict {
            return Err(e);
        }
        warnings.push(format!("{} (sent as is)", e.message));
        Ok(())
    };
    // A customer identifier: at least one that follows its rule.
    let ids: Vec<(Field, Result<()>)> = fields::CUSTOMER_IDS
        .iter()
        .filter_map(|f| order.get(f.name).map(|v| (*f, scalar_rule(f, v))))
        .collect();
    if ids.is_empty() {
        return Err(Error::new(ErrorKind::MissingField, "customer_email: customer_email or external_id is required to send an order"));
    }
    if ids.iter().all(|(_, r)| r.is_err()) {
        return Err(ids.into_iter().next().and_then(|(_, r)| r.err()).expect("one failed"));
    }
    for (_, r) in ids {
        if let Err(e) = r {
            lenient(e)?;
        }
    }
    for field in fields::REQUIRED {
        let value = order
            .get(field.name)
            .ok_or_else(|| Error::new(ErrorKind::MissingField, format!("{}: is required to send an order", field.name)))?;
        scalar_rule(&field, value)?;
    }
    for (key, value) in order.data() {
        let Key::Str(name) = key else { continue };
        if fields::is_required(name) {
            continue;
        }
        if let Some(field) = fields::scalar(name) {
            if let Err(e) = scalar_rule(field, value) {
                lenient(e)?;
            }
        } else if let Some(list) = ListField::from_name(name) {
            each_scalar(list.name(), value, &mut |field, text| validate::token(field, text), &mut lenient)?;
        } else if name == CUSTOM_FIELDS {
            each_scalar(CUSTOM_FIELDS, value, &mut |field, text| validate::text(field, text), &mut lenient)?;
        } else if name == CONSENTS {
            each_scalar(CONSENTS, value, &mut |field, text| match text {
                "0" | "1" => Ok(()),
                _ => Err(Error::invalid(field, format!("{text:?} is not 1 (accepted) or 0 (refused)"))),
            }, &mut lenient)?;
        } else if name == PRODUCT_ATTRIBUTES {
            match value {
                Value::Array(products) => {
                    for (n, (_, product)) in products.iter().enumerate() {
                        each_scalar(&format!("{PRODUCT_ATTRIBUTES}[{n}]"), product, &mut |field, text| match text.split_once(':') {
                            Some((k, v)) if !k.is_empty() && !v.is_empty() => validate::token(field, text),
                            _ => Err(Error::invalid(field, format!("{text:?} is not written \"key:value\" such as \"size:xl\""))),
                        }, &mut lenient)?;
                    }
                }
                _ => lenient(Error::invalid(PRODUCT_ATTRIBUTES, "is not a list of products"))?,
            }
        }
    }
    Ok(warnings)
}

/// Checks every scalar of the array `value` (named `field[key]`) with `rule`.
fn each_scalar(
    field: &str,
    value: &Value,
    rule: &mut dyn FnMut(&str, &str) -> Result<()>,
    lenient: &mut dyn FnMut(Error) -> Result<()>,
) -> Result<()> {
    let Value::Array(items) = value else {
        return lenient(Error::invalid(field, "is not a list"));
    };
    for (key, item) in items {
        let name = match key {
            Key::Int(i) => format!("{field}[{i}]"),
            Key::Str(s) => format!("{field}[{s}]"),
        };
        match scalar_text(item) {
            Some(text) => {
                if let Err(e) = rule(&name, &text) {
                    lenient(e)?;
                }
            }
            None => lenient(Error::invalid(&name, "is a nested list, not a single value"))?,
        }
    }
    Ok(())
}

/// A scalar field's rule, on the value as PHP would send it.
fn scalar_rule(field: &Field, value: &Value) -> Result<()> {
    match (field.rule, value) {
        (_, Value::Array(_)) => Err(Error::invalid(field.name, "is a list, not a single value")),
        (Rule::Amount, Value::Float(f)) => validate::amount(field.name, *f),
        (Rule::Amount, Value::Int(i)) if *i < 0 => Err(Error::invalid(field.name, format!("{i} is negative"))),
        (Rule::State, Value::Int(i)) => validate::state(field.name, *i).map(drop),
        (_, value) => {
            let text = scalar_text(value).expect("not an array");
            validate::check(field.name, field.rule, &text)
        }
    }
}

#[cfg(test)]
mod tests;
