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

use super::fields::{self, Field, ListField, Rule, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};
use super::{scalar_text, validate, Order};
use crate::error::{Error, ErrorKind, Result};
use crate::php::json::object;
pub use crate::php::parse_str::MAX_NESTING;
use crate::php::parse_str::{decode, decode_into, memchr, path_of, too_deep, tree, Slot};
use crate::php::{Key, Value};

/// An order from a body built by PHP's `http_build_query($post_data)`.
/// A whole `$post_data` (with its `data` part) is sent as these very bytes;
/// just its `data` part is wrapped as the seed does (`data[...]`, then
/// `request[order_idorder]`).
pub fn from_form(body: &str, strict: bool) -> Result<Order> {
    match scan(body)? {
        Some(data) => {
            let top = vec![(Key::from("data"), Value::Array(data))];
            let order = Order::from_parts(top, false, Some(body.to_owned()), Vec::new()).partial();
            let warnings = check(&order, strict)?;
            Ok(order.with_warnings(warnings))
        }
        None => build(tree(body)?, Some(body.to_owned()), strict),
    }
}

/// `from_form` without its quick scan: the whole array parsed, as for a body that
/// needs it. The quick scan must give the same verdict (the fuzzer checks both).
pub(crate) fn from_form_whole(body: &str, strict: bool) -> Result<Order> {
    build(tree(body)?, Some(body.to_owned()), strict)
}

/// The `data[...]` fields the checks read (the known ones), straight from
/// the body of a whole `$post_data`: PHP sends it with every request, so
/// this path decodes only what it checks instead of the whole array (the
/// whole array is only needed if the order is changed afterwards, and is
/// then parsed from the body). None when the body has no `data[...]` key, or
/// another key that starts with `data`.
fn scan(body: &str) -> Result<Option<Vec<(Key, Value)>>> {
    const DATA: &[u8] = b"data%5B";
    // A key needs two bytes per level at least (`[]`): shorter ones cannot be too deep.
    const DEEP: usize = 2 * (MAX_NESTING + 1);
    let mut data = Known::new();
    let mut whole = false;
    // A key decoded (the uncommon case), reused.
    let mut tail = String::new();
    // The path below `data` of the key at hand, borrowed from `body`, reused.
    let mut path: Vec<&str> = Vec::with_capacity(8);
    // Byte offsets, not `str::split`: this runs once per order on PHP's hot path, and
    // '&', '=' and '%' are ASCII, so every slice below falls on a character boundary.
    let bytes = body.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr(b'&', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let pair = &bytes[start..end];
        let pair_start = start;
        start = end + 1;
        let eq = memchr(b'=', pair).unwrap_or(pair.len());
        if !pair.starts_with(DATA) {
            if pair.starts_with(b"data") {
                // `data` alone, `data[` written out or `%5b`: PHP's parse would read these
                // into `data` too, so only the whole parse can tell what SPREAD sees.
                return Ok(None);
            }
            if eq >= DEEP {
                // Not read here, but sent: refused as the whole parse refuses it.
                let name = decode(&body[pair_start..pair_start + eq]);
                let mut path = Vec::new();
                path_of(&name, &mut path);
                if path.len() > MAX_NESTING + 1 {
                    return Err(too_deep(&name, path.len() - 1));
                }
            }
            continue;
        }
        let value = body.get(pair_start + eq + 1..end).unwrap_or("");
        // The common case, a key as http_build_query writes it (`data[name]`,
        // `data[name][0][1]`), is read without decoding it.
        if plain_path(&body[pair_start + DATA.len()..pair_start + eq], &mut path) {
            whole = true;
            if let Some(index) = fields::known_index(path[0]) {
                data.insert(index, &path, decode(value));
            }
            continue;
        }
        // Anything else: the key decoded and read as the whole parse reads it. Brackets
        // that do not nest make it one key beside `data` (`data[a]b`), not part of it.
        tail.clear();
        decode_into(&body[pair_start..pair_start + eq], &mut tail);
        let mut path = Vec::with_capacity(4);
        path_of(&tail, &mut path);
        if path[0] != "data" {
            continue;
        }
        whole = true;
        if path.len() > MAX_NESTING + 1 {
            return Err(too_deep(&tail, path.len() - 1));
        }
        if let Some(index) = fields::known_index(path[1]) {
            data.insert(index, &path[1..], decode(value));
        }
    }
    Ok(whole.then(|| data.into_items()))
}

/// `name%5D%5B0%5D%5B1%5D`, the key after `data%5B` as http_build_query writes it,
/// read into `path` (`name`, `0`, `1`, borrowed from `key`) without decoding it. False
/// unless decoding would change nothing but the brackets (no other escape, no '+', no
/// bracket written out), they nest cleanly, and no deeper than [`MAX_NESTING`]: the
/// caller then decodes the key and reads it as the whole parse does.
fn plain_path<'a>(key: &'a str, path: &mut Vec<&'a str>) -> bool {
    const OPEN: &str = "%5B";
    const CLOSE: &str = "%5D";
    path.clear();
    if memchr::memchr3(b'+', b'[', b']', key.as_bytes()).is_some() {
        return false;
    }
    let mut rest = key;
    // `data` is the first level: at most MAX_NESTING below it.
    while path.len() < MAX_NESTING {
        let Some(end) = memchr(b'%', rest.as_bytes()) else { return false };
        path.push(&rest[..end]);
        let Some(after) = rest[end..].strip_prefix(CLOSE) else { return false };
        if after.is_empty() {
            return true;
        }
        let Some(next) = after.strip_prefix(OPEN) else { return false };
        rest = next;
    }
    false
}

/// The quick scan's `data` array: only the fields `check` reads (a fixed set of
/// names, none numeric), each found by its [`fields::known_index`] rather than by
/// hashing its name; below a field, PHP's array as the whole parse builds it. The
/// same array as the whole parse's `data` without the fields no check reads.
struct Known {
    /// Each known field's value so far, by its index.
    slots: [Option<Slot>; fields::KNOWN],
    /// The indexes of the fields set, in the order first set (PHP's order).
    order: [u8; fields::KNOWN],
    count: usize,
}

impl Known {
    fn new() -> Known {
        Known { slots: [const { None }; fields::KNOWN], order: [0; fields::KNOWN], count: 0 }
    }

    /// `$data[path[0]][path[1]]… = value`; `path[0]` is the field named by `index`.
    fn insert(&mut self, index: usize, path: &[&str], value: String) {
        let slot = self.slots[index].get_or_insert_with(|| {
            self.order[self.count] = index as u8;
            self.count += 1;
            Slot::Str(String::new())
        });
        slot.set(&path[1..], value);
    }

    fn into_items(mut self) -> Vec<(Key, Value)> {
        let order = &self.order[..self.count];
        order.iter().filter_map(|&i| Some((Key::from(fields::known_name(usize::from(i))), self.slots[usize::from(i)].take()?.into_value()))).collect()
    }
}

/// An order from `$post_data` as JSON (`json_encode($post_data)`, Python's
/// `json.dumps(post_data)`): an object, whole or just its `data` part.
pub fn from_json(json: &str, strict: bool) -> Result<Order> {
    let parsed: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::invalid("post_data", format!("not valid JSON: {e}")))?;
    let serde_json::Value::Object(map) = parsed else {
        return Err(Error::invalid("post_data", "must be a JSON object (the seed's $post_data array)"));
    };
    build(object(map), None, strict)
}

fn build(top: Vec<(Key, Value)>, raw: Option<String>, strict: bool) -> Result<Order> {
    let whole = top.iter().any(|(k, v)| k.is("data") && matches!(v, Value::Array(_)));
    let (top, auto_request, raw) = if whole { (top, false, raw) } else { (vec![(Key::from("data"), Value::Array(top))], true, None) };
    if raw.is_none() {
        check_depth(&top)?;
    }
    let order = Order::from_parts(top, auto_request, raw, Vec::new());
    let warnings = check(&order, strict)?;
    Ok(order.with_warnings(warnings))
}

/// JSON nests as deep as serde_json lets it (128): what would be sent nested deeper
/// than [`MAX_NESTING`] is refused as a form body's key is. A form body was checked
/// as it was parsed.
fn check_depth(top: &[(Key, Value)]) -> Result<()> {
    type Level<'a> = (&'a [(Key, Value)], usize, String); // items, their level, the name so far
    let mut stack: Vec<Level> = top.iter().filter_map(|(k, v)| if let Value::Array(items) = v { Some((&items[..], 1, key_text(k))) } else { None }).collect();
    while let Some((items, level, name)) = stack.pop() {
        for (k, v) in items {
            if level > MAX_NESTING {
                // `name` holds the first levels only: the error shows no more.
                let mut deepest = level;
                let mut inner = v;
                while let Value::Array(sub) = inner {
                    let Some((_, next)) = sub.first() else { break };
                    deepest += 1;
                    inner = next;
                }
                return Err(too_deep(&format!("{name}[{}]", key_text(k)), deepest));
            }
            if let Value::Array(sub) = v {
                let name = if name.len() < 64 { format!("{name}[{}]", key_text(k)) } else { name.clone() };
                stack.push((sub, level + 1, name));
            }
        }
    }
    Ok(())
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Int(i) => i.to_string(),
        Key::Str(s) => s.clone(),
    }
}

/// Whether a field holds a customer's personal data, which a warning may quote but a
/// log record above debug level must not (issue 21: the e-mail in a WARN record).
fn personal(field: &str) -> bool {
    let closed_sets = [fields::CUSTOMER_COUNTRY.name, fields::CUSTOMER_LANG.name, fields::CUSTOMER_GENDER.name];
    (field.starts_with("customer_") && !closed_sets.contains(&field)) || field == fields::EXTERNAL_ID.name || field == CUSTOM_FIELDS
}

/// A lenient warning: its text, and the text to log above debug level when it quotes
/// `value`, a customer's data.
fn warning(e: Error, value: Option<&str>) -> (String, Option<String>) {
    let text = format!("{} (sent as is)", e.message);
    let quoted = value.map(|v| format!("{v:?}"));
    let logged = quoted.filter(|q| text.contains(q.as_str())).map(|q| text.replacen(&q, "(a customer's data, left out of the log)", 1));
    (text, logged)
}

/// The strict checks (an error) and the lenient ones (a warning, or an
/// error in strict mode).
fn check(order: &Order, strict: bool) -> Result<Vec<(String, Option<String>)>> {
    let mut warnings = Vec::new();
    // `value`: the offending value when it is a customer's data (it may be quoted).
    let mut lenient = |e: Error, value: Option<&str>| -> Result<()> {
        if strict {
            return Err(e);
        }
        warnings.push(warning(e, value));
        Ok(())
    };
    let personal_text = |name: &str, value: &Value| if personal(name) { scalar_text(value).map(|t| t.into_owned()) } else { None };
    // Each field the checks read, found once by its index (as `Order::get` finds it: the
    // first with its name), and which of them keep their rules in every mode.
    let data = order.data();
    let mut known: [Option<&Value>; fields::KNOWN] = [None; fields::KNOWN];
    // Their indexes in `data`'s order (a PHP array's keys are unique: each once).
    let mut in_order = [0u8; fields::KNOWN];
    let mut count = 0;
    for (key, value) in data {
        if let Some(i) = key_index(key).filter(|&i| known[i].is_none()) {
            known[i] = Some(value);
            in_order[count] = i as u8;
            count += 1;
        }
    }
    let index = |f: &Field| fields::known_index(f.name).expect("a scalar field has its index");
    let mut required = [false; fields::KNOWN];
    for f in fields::CUSTOMER_IDS.iter().chain(&fields::REQUIRED) {
        required[index(f)] = true;
    }
    // A customer identifier: at least one that follows its rule.
    let ids: Vec<(Field, &Value, Result<()>)> = fields::CUSTOMER_IDS.iter().filter_map(|f| known[index(f)].map(|v| (*f, v, scalar_rule(f, v)))).collect();
    if ids.is_empty() {
        return Err(Error::new(ErrorKind::MissingField, "customer_email: customer_email or external_id is required to send an order"));
    }
    if ids.iter().all(|(_, _, r)| r.is_err()) {
        return Err(ids.into_iter().next().and_then(|(_, _, r)| r.err()).expect("one failed"));
    }
    for (field, value, r) in ids {
        if let Err(e) = r {
            lenient(e, personal_text(field.name, value).as_deref())?;
        }
    }
    for field in fields::REQUIRED {
        let value = known[index(&field)].ok_or_else(|| Error::new(ErrorKind::MissingField, format!("{}: is required to send an order", field.name)))?;
        if field.rule == Rule::Amount {
            // The one amount rule, on the text sent: not a decimal is refused in every mode;
            // a refund, zero or -0 is the seed's to send (a warning; strict refuses).
            let text = scalar_text(value).ok_or_else(|| Error::invalid(field.name, "is a list, not a single value"))?;
            if let Some(e) = validate::unusual_amount(field.name, &text, validate::amount_text(field.name, &text)?) {
                lenient(e, None)?;
            }
        } else {
            scalar_rule(&field, value)?;
        }
    }
    for (i, value) in in_order[..count].iter().filter_map(|&i| Some((usize::from(i), known[usize::from(i)]?))) {
        let name = fields::known_name(i);
        if required[i] {
            continue;
        }
        if let Some(field) = fields::SCALAR_FIELDS.get(i) {
            if let Err(e) = scalar_rule(field, value) {
                lenient(e, personal_text(name, value).as_deref())?;
            }
        } else {
            check_structured(name, value, &mut lenient)?;
        }
    }
    Ok(warnings)
}

/// The [`fields::known_index`] of a key of `data`: None for a name no check reads.
fn key_index(key: &Key) -> Option<usize> {
    match key {
        Key::Str(name) => fields::known_index(name),
        Key::Int(_) => None,
    }
}

/// The rule of a structured field (a list, custom_fields, consents,
/// product_attributes) on what `$post_data` holds for it: the drop-in's and
/// [`Order::set_value`]'s, one rule (consents: 1 or 0, as text PHP would send).
/// Other names pass. `lenient` decides whether a broken rule is an error.
pub(crate) fn check_structured(name: &str, value: &Value, lenient: &mut dyn FnMut(Error, Option<&str>) -> Result<()>) -> Result<()> {
    if let Some(list) = ListField::from_name(name) {
        each_scalar(list.name(), false, value, &mut |field, text| validate::token(field, text), lenient)?;
    } else if name == CUSTOM_FIELDS {
        each_scalar(CUSTOM_FIELDS, true, value, &mut |field, text| validate::text(field, text), lenient)?;
    } else if name == CONSENTS {
        each_scalar(
            CONSENTS,
            false,
            value,
            &mut |field, text| match text {
                "0" | "1" => Ok(()),
                _ => Err(Error::invalid(field, format!("{text:?} is not 1 (accepted) or 0 (refused)"))),
            },
            lenient,
        )?;
    } else if name == PRODUCT_ATTRIBUTES {
        match value {
            Value::Array(products) => {
                for (key, product) in products {
                    // The key as the body writes it (product_attributes[2]), not a position.
                    let field = format!("{PRODUCT_ATTRIBUTES}[{}]", key_text(key));
                    each_scalar(
                        &field,
                        false,
                        product,
                        &mut |field, text| match text.split_once(':') {
                            Some((k, v)) if !k.is_empty() && !v.is_empty() => validate::token(field, text),
                            _ => Err(Error::invalid(field, format!("{text:?} is not written \"key:value\" such as \"size:xl\""))),
                        },
                        lenient,
                    )?;
                }
            }
            _ => lenient(Error::invalid(PRODUCT_ATTRIBUTES, "is not a list of products"), None)?,
        }
    }
    Ok(())
}

/// Checks every scalar of the array `value` (named `field[key]`) with `rule`;
/// `personal`: its values are a customer's data.
fn each_scalar(
    field: &str,
    personal: bool,
    value: &Value,
    rule: &mut dyn FnMut(&str, &str) -> Result<()>,
    lenient: &mut dyn FnMut(Error, Option<&str>) -> Result<()>,
) -> Result<()> {
    let Value::Array(items) = value else {
        return lenient(Error::invalid(field, "is not a list"), None);
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
                        lenient(e, personal.then_some(&*text))?;
                    }
                }
            }
            None => lenient(Error::invalid(&name(), "is a nested list, not a single value"), None)?,
        }
    }
    Ok(())
}

/// A scalar field's rule, on the text PHP would send (a float as PHP prints
/// it), whichever way the value came: PHP's body and JSON get one outcome.
fn scalar_rule(field: &Field, value: &Value) -> Result<()> {
    match scalar_text(value) {
        None => Err(Error::invalid(field.name, "is a list, not a single value")),
        Some(text) => validate::check(field.name, field.rule, &text),
    }
}

#[cfg(test)]
mod tests;
