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

use super::fields::{self, Field, Rule, Structured, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};
use std::borrow::Cow;

use super::{scalar_text, validate, Order};
use crate::error::{Error, ErrorKind, Result};
use crate::php::json::object;
pub use crate::php::parse_str::MAX_NESTING;
use crate::php::parse_str::{too_deep, tree};
use crate::php::{Key, Value};

/// An order from a body built by PHP's `http_build_query($post_data)`.
/// A whole `$post_data` (with its `data` part) is sent as these very bytes;
/// just its `data` part is wrapped as the seed does (`data[...]`, then
/// `request[order_idorder]`).
pub fn from_form(body: &str, strict: bool) -> Result<Order> {
    let mut known = scan::Known::new();
    if !scan::scan(body, &mut known)? {
        return build(tree(body)?, Some(body.to_owned()), strict);
    }
    // Checked as the scan read it: the scan knows each field's index, and a field given
    // one value is checked on its text, borrowed from the body.
    known.finish();
    let mut read = Read::new();
    for (index, seen) in known.seen() {
        read.get_or_insert_with(index, || seen);
    }
    let warnings = check(&read, strict)?;
    // `data` itself is built only if it is read (`Order::get`): PHP's order is sent as
    // `body`, and `check` found its id (a single value, or it would have failed).
    let id = read.get(fields::ORDER_IDORDER_AT).and_then(|seen| seen.text()).map(|id| id.into_owned());
    Ok(Order::checked_form(body.to_owned(), id).with_warnings(warnings))
}

/// `from_form` without its quick scan: the whole array parsed, as for a body that
/// needs it. The quick scan must give the same verdict (the fuzzer checks both).
pub(crate) fn from_form_whole(body: &str, strict: bool) -> Result<Order> {
    build(tree(body)?, Some(body.to_owned()), strict)
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
    let warnings = check(&Read::of(order.data()), strict)?;
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
fn check(read: &Read, strict: bool) -> Result<Vec<(String, Option<String>)>> {
    let mut warnings = Vec::new();
    // `value`: the offending value when it is a customer's data (it may be quoted).
    let mut lenient = |e: Error, value: Option<&str>| -> Result<()> {
        if strict {
            return Err(e);
        }
        warnings.push(warning(e, value));
        Ok(())
    };
    let personal_text = |name: &str, value: Seen| if personal(name) { value.text().map(|t| t.into_owned()) } else { None };
    // A customer identifier: at least one that follows its rule.
    let ids = fields::CUSTOMER_IDS_AT.map(|i| read.get(i).map(|&v| (fields::SCALAR_FIELDS[i], v, scalar_rule(&fields::SCALAR_FIELDS[i], v))));
    if ids.iter().flatten().next().is_none() {
        return Err(Error::new(ErrorKind::MissingField, "customer_email: customer_email or external_id is required to send an order"));
    }
    if ids.iter().flatten().all(|(_, _, r)| r.is_err()) {
        return Err(ids.into_iter().flatten().next().and_then(|(_, _, r)| r.err()).expect("one failed"));
    }
    for (field, value, r) in ids.into_iter().flatten() {
        if let Err(e) = r {
            lenient(e, personal_text(field.name, value).as_deref())?;
        }
    }
    for i in fields::REQUIRED_AT {
        let field = fields::SCALAR_FIELDS[i];
        let value = *read.get(i).ok_or_else(|| Error::new(ErrorKind::MissingField, format!("{}: is required to send an order", field.name)))?;
        if field.rule == Rule::Amount {
            // The one amount rule, on the text sent: not a decimal is refused in every mode;
            // a refund, zero or -0 is the seed's to send (a warning; strict refuses).
            let text = value.text().ok_or_else(|| Error::invalid(field.name, "is a list, not a single value"))?;
            if let Some(e) = validate::unusual_amount(field.name, &text, validate::amount_text(field.name, &text)?) {
                lenient(e, None)?;
            }
        } else {
            scalar_rule(&field, value)?;
        }
    }
    for (i, &value) in read.in_order() {
        if fields::IS_REQUIRED_AT[i] {
            continue;
        }
        match fields::SCALAR_FIELDS.get(i) {
            Some(field) => {
                if let Err(e) = scalar_rule(field, value) {
                    lenient(e, personal_text(field.name, value).as_deref())?;
                }
            }
            None => match value {
                Seen::Value(value) => structured_rule(i, value, &mut lenient)?,
                Seen::Text(text) => structured_rule(i, &Value::Str(text.to_owned()), &mut lenient)?,
            },
        }
    }
    Ok(warnings)
}

/// A field's value as the checks read it: its text as the body gives it, or PHP's value.
#[derive(Clone, Copy)]
pub(crate) enum Seen<'a> {
    Text(&'a str),
    Value(&'a Value),
}

impl<'a> Seen<'a> {
    /// The text PHP sends for it ([`scalar_text`]), or None for an array.
    fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Seen::Text(text) => Some(Cow::Borrowed(text)),
            Seen::Value(value) => scalar_text(value),
        }
    }
}

/// One value per known field, by its [`fields::known_index`], and the order in which
/// the fields were first set (PHP's order of an array's keys): the quick scan's fields
/// as it reads them, and the fields the checks read.
struct ByField<T> {
    slots: [Option<T>; fields::KNOWN],
    order: [u8; fields::KNOWN],
    count: usize,
}

impl<T> ByField<T> {
    fn new() -> Self {
        ByField { slots: [const { None }; fields::KNOWN], order: [0; fields::KNOWN], count: 0 }
    }

    fn get(&self, index: usize) -> Option<&T> {
        self.slots[index].as_ref()
    }

    /// Field `index`'s value, made by `make` if it has none.
    fn get_or_insert_with(&mut self, index: usize, make: impl FnOnce() -> T) -> &mut T {
        self.note(index);
        self.slots[index].get_or_insert_with(make)
    }

    /// Field `index`'s value, replaced (its place in the order stays the first one's).
    fn set(&mut self, index: usize, value: T) {
        self.note(index);
        self.slots[index] = Some(value);
    }

    /// Notes field `index`'s place in the order, if it is not set yet.
    fn note(&mut self, index: usize) {
        if self.slots[index].is_none() {
            self.order[self.count] = index as u8;
            self.count += 1;
        }
    }

    fn in_order(&self) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.order[..self.count].iter().filter_map(|&i| Some((usize::from(i), self.slots[usize::from(i)].as_ref()?)))
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.slots.iter_mut().flatten()
    }

    fn into_in_order(mut self) -> impl Iterator<Item = (usize, T)> {
        let order = self.order;
        order.into_iter().take(self.count).filter_map(move |i| Some((usize::from(i), self.slots[usize::from(i)].take()?)))
    }
}

/// The fields the checks read (as `Order::get` finds them: the first with its name; a
/// PHP array's keys are unique), in `data`'s order.
type Read<'a> = ByField<Seen<'a>>;

impl<'a> Read<'a> {
    /// The fields of `data`, found by name.
    fn of(data: &'a [(Key, Value)]) -> Self {
        let mut read = Read::new();
        for (key, value) in data {
            if let Key::Str(name) = key {
                if let Some(i) = fields::known_index(name) {
                    read.get_or_insert_with(i, || Seen::Value(value));
                }
            }
        }
        read
    }
}

/// The known fields of a body [`from_form`] checked, its `data` as the quick scan
/// reads it ([`Order::get`] of a drop-in order).
pub(crate) fn known_data(body: &str) -> Vec<(Key, Value)> {
    let mut known = scan::Known::new();
    match scan::scan(body, &mut known) {
        Ok(true) => known.into_items(),
        _ => Vec::new(),
    }
}

/// The rule of a structured field (a list, custom_fields, consents,
/// product_attributes) on what `$post_data` holds for it: the drop-in's and
/// [`Order::set_value`]'s, one rule (consents: 1 or 0, as text PHP would send).
/// Other names pass. `lenient` decides whether a broken rule is an error.
pub(crate) fn check_structured(name: &str, value: &Value, lenient: &mut dyn FnMut(Error, Option<&str>) -> Result<()>) -> Result<()> {
    match fields::known_index(name) {
        Some(index) => structured_rule(index, value, lenient),
        None => Ok(()),
    }
}

/// [`check_structured`] of the field whose [`fields::known_index`] is `index`.
fn structured_rule(index: usize, value: &Value, lenient: &mut dyn FnMut(Error, Option<&str>) -> Result<()>) -> Result<()> {
    match Structured::at(index) {
        None => {}
        Some(Structured::List(list)) => each_scalar(Named(list.name(), None), false, value, &mut |field, text| validate::token(field, text), lenient)?,
        Some(Structured::CustomFields) => each_scalar(Named(CUSTOM_FIELDS, None), true, value, &mut |field, text| validate::text(field, text), lenient)?,
        Some(Structured::Consents) => each_scalar(
            Named(CONSENTS, None),
            false,
            value,
            &mut |field, text| match text {
                "0" | "1" => Ok(()),
                _ => Err(Error::invalid(field, format!("{text:?} is not 1 (accepted) or 0 (refused)"))),
            },
            lenient,
        )?,
        Some(Structured::ProductAttributes) => match value {
            Value::Array(products) => {
                for (key, product) in products {
                    // The key as the body writes it (product_attributes[2]), not a position.
                    each_scalar(
                        Named(PRODUCT_ATTRIBUTES, Some(key)),
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
        },
    }
    Ok(())
}

/// A field's name as the body writes it (`add_tag`, `product_attributes[2]`), written
/// out only for a message.
#[derive(Clone, Copy)]
struct Named<'a>(&'a str, Option<&'a Key>);

impl std::fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            None => f.write_str(self.0),
            Some(Key::Int(i)) => write!(f, "{}[{i}]", self.0),
            Some(Key::Str(s)) => write!(f, "{}[{s}]", self.0),
        }
    }
}

/// Checks every scalar of the array `value` (named `field[key]`) with `rule`;
/// `personal`: its values are a customer's data.
fn each_scalar(
    field: Named,
    personal: bool,
    value: &Value,
    rule: &mut dyn FnMut(&str, &str) -> Result<()>,
    lenient: &mut dyn FnMut(Error, Option<&str>) -> Result<()>,
) -> Result<()> {
    let Value::Array(items) = value else {
        return lenient(Error::invalid(&field.to_string(), "is not a list"), None);
    };
    for (key, item) in items {
        // The element's name is only written out when something is wrong with it.
        let name = || match key {
            Key::Int(i) => format!("{field}[{i}]"),
            Key::Str(s) => format!("{field}[{s}]"),
        };
        match scalar_text(item) {
            Some(text) => {
                // A rule's outcome does not depend on the name it quotes: the element's
                // own name is only written out for the message when it fails.
                if rule(field.0, &text).is_err() {
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
fn scalar_rule(field: &Field, value: Seen) -> Result<()> {
    match value.text() {
        None => Err(Error::invalid(field.name, "is a list, not a single value")),
        Some(text) => validate::check(field.name, field.rule, &text),
    }
}

mod scan;
#[cfg(test)]
mod tests;
