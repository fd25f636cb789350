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
    match scan(body) {
        Some(data) => {
            let top = vec![(Key::from("data"), Value::Array(data))];
            let order = Order::from_parts(top, false, Some(body.to_owned()), Vec::new()).partial();
            let warnings = check(&order, strict)?;
            Ok(order.with_warnings(warnings))
        }
        None => build(tree(body), Some(body.to_owned()), strict),
    }
}

/// The whole array a form body describes, as PHP's `parse_str` would build it.
pub(crate) fn tree(body: &str) -> Vec<(Key, Value)> {
    let mut top: Vec<(Key, Value)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        let mut path: Vec<&str> = Vec::with_capacity(4);
        path_of(&name, &mut path);
        insert(&mut top, &path, Value::Str(value.into_owned()));
    }
    top
}

/// The `data[...]` fields the checks read (the known ones), straight from
/// the body of a whole `$post_data`: PHP sends it with every request, so
/// this path decodes only what it checks instead of the whole array (the
/// whole array is only needed if the order is changed afterwards, and is
/// then parsed from the body). None when the body has no `data[...]` key, or
/// another key that starts with `data`.
fn scan(body: &str) -> Option<Vec<(Key, Value)>> {
    const DATA: &[u8] = b"data%5B";
    const CLOSE: &[u8] = b"%5D";
    let mut data = Vec::with_capacity(32);
    let mut whole = false;
    let mut tail = String::new(); // a structured field's decoded `[0][1]`, reused
    // Byte offsets, not `str::split`: this runs once per order on PHP's hot path, and
    // '&', '=' and '%' are ASCII, so every slice below falls on a character boundary.
    let bytes = body.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr(b'&', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let pair = &bytes[start..end];
        let pair_start = start;
        start = end + 1;
        if !pair.starts_with(DATA) {
            if pair.starts_with(b"data") {
                // `data` alone, `data[` written out or `%5b`: PHP's parse would read these
                // into `data` too, so only the whole parse can tell what SPREAD sees.
                return None;
            }
            continue;
        }
        whole = true;
        let eq = memchr(b'=', pair).unwrap_or(pair.len());
        let key = &pair[DATA.len()..eq];
        // A known field's name has no '%': the first one closes it.
        let Some(close) = memchr(b'%', key).filter(|&i| key[i..].starts_with(CLOSE)) else { continue };
        let at = pair_start + DATA.len();
        let name = &body[at..at + close];
        let rest = &body[at + close + CLOSE.len()..pair_start + eq];
        let value = body.get(pair_start + eq + 1..end).unwrap_or("");
        if rest.is_empty() {
            if fields::scalar(name).is_some() {
                data.push((Key::from(name), Value::Str(decode(value))));
            }
        } else if fields::is_structured(name) {
            // `name` + `[0][1]`: the brackets decoded, read as the whole parse reads them.
            tail.clear();
            decode_into(rest, &mut tail);
            let mut path = Vec::with_capacity(4);
            path.push(name);
            if brackets(&tail, &mut path) {
                insert(&mut data, &path, Value::Str(decode(value)));
            }
        }
    }
    whole.then_some(data)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// `[0][1]` → `0`, `1` appended to `path` (which holds the name before them);
/// false unless the brackets nest cleanly (the whole name is then one key).
fn brackets<'a>(mut rest: &'a str, path: &mut Vec<&'a str>) -> bool {
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { return false };
        path.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    rest.is_empty() && path.len() > 1
}

/// application/x-www-form-urlencoded decoding of one key or value (`+` is a
/// space, `%XX` a byte; invalid UTF-8 replaced, as form_urlencoded does).
/// Written out because this is the PHP binding's hot path: one pass, one
/// allocation per value.
fn decode(text: &str) -> String {
    if !text.as_bytes().iter().any(|&b| b == b'%' || b == b'+') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    decode_into(text, &mut out);
    out
}

/// `decode`, appending to `out`.
fn decode_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut decoded = std::mem::take(out).into_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    decoded.push(h << 4 | l);
                    i += 2;
                }
                _ => decoded.push(b'%'),
            },
            b => decoded.push(b),
        }
        i += 1;
    }
    *out = String::from_utf8(decoded).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
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
    match php_key_int(k) {
        Some(i) => Key::Int(i),
        None => Key::from(k),
    }
}

/// `data[add_tag][0]` → `data`, `add_tag`, `0` (into `path`, borrowing from
/// `name`); a name whose brackets do not nest cleanly stays one key.
fn path_of<'a>(name: &'a str, path: &mut Vec<&'a str>) {
    path.clear();
    let whole = |path: &mut Vec<&'a str>| {
        path.clear();
        path.push(name);
    };
    let Some(open) = name.find('[') else { return whole(path) };
    path.push(&name[..open]);
    if !brackets(&name[open..], path) || path[0].is_empty() {
        whole(path);
    }
}

/// Whether `key` is PHP's key for `segment`, without making one.
fn key_is(key: &Key, segment: &str) -> bool {
    match (key, php_key_int(segment)) {
        (Key::Int(i), Some(j)) => *i == j,
        (Key::Str(s), None) => s == segment,
        _ => false,
    }
}

/// The integer PHP makes of a canonical decimal key (`"12"`, not `"012"`).
fn php_key_int(k: &str) -> Option<i64> {
    let canonical = k == "0" || (!k.starts_with('0') && !k.starts_with("-0") && k != "-");
    if canonical && !k.is_empty() && k.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-')) {
        k.parse().ok()
    } else {
        None
    }
}

/// `$top[a][b][c] = value`, PHP style (`[]` appends).
fn insert(items: &mut Vec<(Key, Value)>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let found = if first.is_empty() { None } else { items.iter().position(|(k, _)| key_is(k, first)) };
    let new_key = || {
        if first.is_empty() {
            let next = items.iter().filter_map(|(k, _)| if let Key::Int(i) = k { Some(i + 1) } else { None }).max().unwrap_or(0);
            Key::Int(next)
        } else {
            php_key(first)
        }
    };
    if rest.is_empty() {
        match found {
            Some(i) => items[i].1 = value,
            None => {
                let key = new_key();
                items.push((key, value));
            }
        }
        return;
    }
    let at = match found {
        Some(i) => i,
        None => {
            let key = new_key();
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
                        let field = format!("{PRODUCT_ATTRIBUTES}[{n}]");
                        each_scalar(&field, product, &mut |field, text| match text.split_once(':') {
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
        // The element's name is only written out when something is wrong with it.
        let name = || match key {
            Key::Int(i) => format!("{field}[{i}]"),
            Key::Str(s) => format!("{field}[{s}]"),
        };
        match scalar_text(item) {
            Some(text) => {
                if rule(field, &text).is_err() {
                    if let Err(e) = rule(&name(), &text) {
                        lenient(e)?;
                    }
                }
            }
            None => lenient(Error::invalid(&name(), "is a nested list, not a single value"))?,
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
