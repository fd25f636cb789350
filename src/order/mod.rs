//! An order (with its customer profile) as an ordered PHP-like array.
//!
//! Fields keep the order in which they were first set, because PHP arrays do
//! and the body must match `http_build_query` of the same array. Every setter
//! validates first and changes nothing on error.
//!
//! The array is the whole `$post_data` (`data`, and for drop-in orders
//! whatever else the shop put beside it). Orders built with setters get
//! `request[order_idorder]` added when encoded, as the seed code does; orders
//! made by [`crate::order::dropin`] are sent exactly as given.

use std::borrow::Cow;
use std::sync::OnceLock;

pub mod dropin;
pub mod fields;
pub(crate) mod validate;
mod value;

use crate::error::{Error, ErrorKind, Result};
use crate::php::parse_str::{check_input_vars, MAX_INPUT_VARS};
use crate::php::{build_query_into, php_float, push_nested, variables, Key, Value};
use fields::{ListField, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};

const DATA: &str = "data";
const REQUEST: &str = "request";

#[derive(Clone, Debug)]
pub struct Order {
    /// The whole `$post_data`, in PHP's order.
    top: Vec<(Key, Value)>,
    /// Add `request[order_idorder]` when encoding (orders built with setters).
    auto_request: bool,
    /// A drop-in body PHP built itself: sent byte for byte until a setter changes the order.
    raw: Option<String>,
    /// What the lenient drop-in path accepted although a rule said otherwise.
    warnings: Vec<String>,
    /// For each warning that quotes a customer's data, the text the log gets above
    /// debug level instead (None: the warning as it is).
    logged: Vec<Option<String>>,
    /// A drop-in body checked by its quick scan: `top` is empty, the whole array is `raw`'s,
    /// and `data` the fields the checks read, built from `raw` when first read (`known`).
    partial: bool,
    known: OnceLock<Vec<(Key, Value)>>,
    /// A partial order's id, which every send reads, without building `known`.
    id: Option<String>,
}

impl Default for Order {
    fn default() -> Self {
        Order { top: Vec::new(), auto_request: true, raw: None, warnings: Vec::new(), logged: Vec::new(), partial: false, known: OnceLock::new(), id: None }
    }
}

/// The same order: `known` is `raw`'s, whether built yet or not.
impl PartialEq for Order {
    fn eq(&self, other: &Self) -> bool {
        (&self.top, self.auto_request, &self.raw, &self.warnings, &self.logged, self.partial, &self.id)
            == (&other.top, other.auto_request, &other.raw, &other.warnings, &other.logged, other.partial, &other.id)
    }
}

impl Drop for Order {
    /// One level at a time, from a list: however deep the array nests, freeing it
    /// takes no stack frame per level (the drop-in bounds nesting too, at 64).
    fn drop(&mut self) {
        let mut nested = Vec::new();
        take_arrays(&mut self.top, &mut nested);
        if let Some(known) = self.known.get_mut() {
            take_arrays(known, &mut nested);
        }
        while let Some(mut items) = nested.pop() {
            take_arrays(&mut items, &mut nested);
        }
    }
}

fn take_arrays(items: &mut [(Key, Value)], into: &mut Vec<Vec<(Key, Value)>>) {
    for (_, value) in items {
        if let Value::Array(sub) = value {
            if sub.iter().any(|(_, v)| matches!(v, Value::Array(_))) {
                into.push(std::mem::take(sub));
            }
        }
    }
}

/// Field names become PHP array keys inside `data[...]`: brackets would nest.
fn check_name(kind: &str, name: &str) -> Result<()> {
    validate::token(kind, name)?;
    if name.contains(['[', ']']) {
        return Err(Error::invalid(kind, format!("{name:?} must not contain '[' or ']'")));
    }
    Ok(())
}

fn find<'a>(items: &'a [(Key, Value)], name: &str) -> Option<&'a Value> {
    items.iter().find(|(k, _)| k.is(name)).map(|(_, v)| v)
}

/// `$array[$key] = $value`: replaces in place, or appends.
fn put(items: &mut Vec<(Key, Value)>, key: Key, value: Value) {
    match items.iter_mut().find(|(k, _)| *k == key) {
        Some((_, slot)) => *slot = value,
        None => items.push((key, value)),
    }
}

/// `$array[] = $value`: the next integer key after the largest one.
fn push(items: &mut Vec<(Key, Value)>, value: Value) {
    let next = items
        .iter()
        .filter_map(|(k, _)| match k {
            Key::Int(i) => Some(i + 1),
            Key::Str(_) => None,
        })
        .max()
        .unwrap_or(0);
    items.push((Key::Int(next), value));
}

/// `$array[$name]` as a sub-array, created (empty) where missing or not an array.
fn array_in<'a>(items: &'a mut Vec<(Key, Value)>, name: &str) -> &'a mut Vec<(Key, Value)> {
    let at = match items.iter().position(|(k, _)| k.is(name)) {
        Some(i) => i,
        None => {
            items.push((Key::from(name), Value::Array(Vec::new())));
            items.len() - 1
        }
    };
    let slot = &mut items[at].1;
    if !matches!(slot, Value::Array(_)) {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(items) => items,
        _ => unreachable!("made an array just above"),
    }
}

/// The text PHP sends for a scalar (`10`, `158.31`, `1`), or None for an array.
pub fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Str(s) => Some(Cow::Borrowed(s)),
        Value::Int(i) => Some(Cow::Owned(i.to_string())),
        Value::Float(f) => Some(Cow::Owned(php_float(*f))),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
        Value::Array(_) => None,
    }
}

impl Order {
    pub fn new() -> Self {
        Order::default()
    }

    /// A drop-in order: `top` is the whole `$post_data`, sent as it is
    /// (`raw`, when PHP built the body itself, byte for byte).
    pub(crate) fn from_parts(top: Vec<(Key, Value)>, auto_request: bool, raw: Option<String>, warnings: Vec<String>) -> Self {
        Order { top, auto_request, raw, logged: vec![None; warnings.len()], warnings, partial: false, known: OnceLock::new(), id: None }
    }

    /// A drop-in order from PHP's body, which the quick scan read and the drop-in's checks
    /// accepted (so it has its `id`, and every field [`Order::check_required`] wants).
    pub(crate) fn checked_form(body: String, id: Option<String>) -> Self {
        let (top, warnings, logged) = (Vec::new(), Vec::new(), Vec::new());
        Order { top, auto_request: false, raw: Some(body), warnings, logged, partial: true, known: OnceLock::new(), id }
    }

    /// The warnings, each with what the log gets above debug level when it differs.
    pub(crate) fn with_warnings(mut self, warnings: Vec<(String, Option<String>)>) -> Self {
        (self.warnings, self.logged) = warnings.into_iter().unzip();
        self
    }

    /// Each warning, and the text to log above debug level when it quotes a customer's data.
    pub(crate) fn logged_warnings(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.warnings.iter().zip(&self.logged).map(|(w, l)| (w.as_str(), l.as_deref()))
    }

    /// `data`, as a mutable array; any change means PHP's own bytes no longer apply.
    fn data_mut(&mut self) -> &mut Vec<(Key, Value)> {
        if let (true, Some(raw)) = (self.partial, &self.raw) {
            // Changed after all: now the whole array is needed, from PHP's body.
            // from_form parsed and accepted this very body: it cannot fail now.
            self.top = crate::php::parse_str::tree(raw).unwrap_or_default();
            self.partial = false;
            self.known = OnceLock::new();
            self.id = None;
        }
        self.raw = None;
        array_in(&mut self.top, DATA)
    }

    /// `data` as it stands (empty when nothing was set).
    pub(crate) fn data(&self) -> &[(Key, Value)] {
        if let (true, Some(raw)) = (self.partial, &self.raw) {
            return self.known.get_or_init(|| dropin::known_data(raw));
        }
        match find(&self.top, DATA) {
            Some(Value::Array(items)) => items,
            _ => &[],
        }
    }

    /// Sets `data[name]` from text: a known field is checked against its
    /// rule, any other name is kept as extra free text.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        match fields::scalar(name) {
            Some(field) => validate::check(field.name, field.rule, value)?,
            None if fields::is_structured(name) => {
                return Err(Error::invalid(name, "is not a single value: use its own setter"));
            }
            None => {
                check_name("field name", name)?;
                validate::text(name, value)?;
            }
        }
        put(self.data_mut(), name.into(), Value::Str(value.to_owned()));
        Ok(())
    }

    pub fn set_order_state(&mut self, state: i64) -> Result<()> {
        let state = validate::state(fields::ORDER_STATE.name, state)?;
        put(self.data_mut(), fields::ORDER_STATE.name.into(), Value::Int(state.into()));
        Ok(())
    }

    /// The amount as a float, printed as PHP prints floats (`158.31`).
    pub fn set_order_amount(&mut self, amount: f64) -> Result<()> {
        validate::amount(fields::ORDER_AMOUNT.name, amount)?;
        put(self.data_mut(), fields::ORDER_AMOUNT.name.into(), Value::Float(amount));
        Ok(())
    }

    /// Appends to one of the list fields (`data[add_tag][]`, ...).
    pub fn add_to_list(&mut self, list: ListField, value: &str) -> Result<()> {
        validate::token(list.name(), value)?;
        push(array_in(self.data_mut(), list.name()), Value::Str(value.to_owned()));
        Ok(())
    }

    /// Appends every one of `values` to `list`, or none: on error (the
    /// message names the bad value's index) the order is unchanged.
    pub fn add_all_to_list(&mut self, list: ListField, values: &[&str]) -> Result<()> {
        for (i, v) in values.iter().enumerate() {
            validate::token(&format!("{}[{i}]", list.name()), v)?;
        }
        let items = array_in(self.data_mut(), list.name());
        for v in values {
            push(items, Value::Str((*v).to_owned()));
        }
        Ok(())
    }

    /// `data[custom_fields][id] = value`; ids come from SPREAD's back office.
    pub fn set_custom_field(&mut self, id: u32, value: &str) -> Result<()> {
        if id == 0 {
            return Err(Error::invalid(CUSTOM_FIELDS, "id 0 is not a custom field id (ids start at 1)"));
        }
        validate::text(&format!("{CUSTOM_FIELDS}[{id}]"), value)?;
        put(array_in(self.data_mut(), CUSTOM_FIELDS), Key::Int(id.into()), Value::Str(value.to_owned()));
        Ok(())
    }

    /// `data[consents][tech_name] = 1|0`.
    pub fn set_consent(&mut self, tech_name: &str, accepted: bool) -> Result<()> {
        check_name(CONSENTS, tech_name)?;
        put(array_in(self.data_mut(), CONSENTS), tech_name.into(), Value::Bool(accepted));
        Ok(())
    }

    /// Starts the next `product_attributes[n]`.
    pub fn add_product(&mut self) {
        push(array_in(self.data_mut(), PRODUCT_ATTRIBUTES), Value::Array(Vec::new()));
    }

    fn check_attribute(key_colon_value: &str) -> Result<()> {
        validate::token(PRODUCT_ATTRIBUTES, key_colon_value)?;
        match key_colon_value.split_once(':') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok(()),
            _ => Err(Error::invalid(PRODUCT_ATTRIBUTES, format!("{key_colon_value:?} is not written \"key:value\" such as \"size:xl\""))),
        }
    }

    /// Adds `"key:value"` to the current product, starting the first one if needed.
    pub fn add_product_attribute(&mut self, key_colon_value: &str) -> Result<()> {
        Self::check_attribute(key_colon_value)?;
        let products = array_in(self.data_mut(), PRODUCT_ATTRIBUTES);
        if products.is_empty() {
            push(products, Value::Array(Vec::new()));
        }
        match products.last_mut() {
            Some((_, Value::Array(attrs))) => push(attrs, Value::Str(key_colon_value.to_owned())),
            _ => unreachable!("product_attributes only ever holds arrays"),
        }
        Ok(())
    }

    /// Starts a new product with all of `attributes`, or changes nothing when
    /// one of them is not `"key:value"` (the error names it).
    pub fn add_product_with(&mut self, attributes: &[&str]) -> Result<()> {
        for (i, a) in attributes.iter().enumerate() {
            Self::check_attribute(a)
                .map_err(|e| Error::invalid(&format!("{PRODUCT_ATTRIBUTES}[{i}]"), e.message.trim_start_matches("product_attributes: ")))?;
        }
        let attrs = attributes.iter().enumerate().map(|(i, a)| (Key::Int(i as i64), Value::Str((*a).to_owned()))).collect();
        push(array_in(self.data_mut(), PRODUCT_ATTRIBUTES), Value::Array(attrs));
        Ok(())
    }

    /// The value of `data[name]`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        find(self.data(), name)
    }

    /// The order id as text (`data[order_idorder]`), however it was given.
    pub fn id(&self) -> Option<Cow<'_, str>> {
        if let (true, Some(id)) = (self.partial, &self.id) {
            return Some(Cow::Borrowed(id));
        }
        self.get(fields::ORDER_IDORDER.name).and_then(scalar_text)
    }

    /// What the lenient drop-in path let through, one message per field.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The fields SPREAD requires to record an order are all there, and SPREAD's PHP
    /// would read the whole body (no more variables than its `max_input_vars`: past
    /// that, PHP drops the rest of an order without a word).
    pub fn check_required(&self) -> Result<()> {
        if !self.partial {
            // The drop-in's checks accepted a partial order, which they do only with every
            // one of these (a single value each): nothing to build `data` for.
            self.check_fields()?;
        }
        match &self.raw {
            Some(raw) => check_input_vars(raw),
            // Counting the values is enough to know a body is short (no encoding per send).
            None if variables(&self.top, MAX_INPUT_VARS) <= MAX_INPUT_VARS => Ok(()),
            None => check_input_vars(&self.body()),
        }
    }

    fn check_fields(&self) -> Result<()> {
        let missing = |field: &str, why: &str| Err(Error::new(ErrorKind::MissingField, format!("{field}: {why}")));
        let present = |name: &str| self.get(name).is_some_and(|v| !matches!(v, Value::Array(a) if a.is_empty()));
        if !fields::CUSTOMER_IDS.iter().any(|f| present(f.name)) {
            return missing(fields::CUSTOMER_EMAIL.name, "customer_email or external_id is required to send an order");
        }
        for field in fields::REQUIRED {
            if !present(field.name) {
                return missing(field.name, "is required to send an order");
            }
        }
        Ok(())
    }

    /// The exact body: PHP's `http_build_query` of the whole `$post_data`
    /// (for orders built with setters, `data[...]` in the order set, then
    /// `request[order_idorder]`).
    pub fn encode(&self) -> String {
        self.body().into_owned()
    }

    /// [`Order::encode`], borrowed when PHP built the body itself (no copy per send).
    pub(crate) fn body(&self) -> Cow<'_, str> {
        if let Some(raw) = &self.raw {
            return Cow::Borrowed(raw);
        }
        let mut out = String::with_capacity(2048);
        build_query_into(&mut out, None, &self.top);
        if self.auto_request && find(&self.top, REQUEST).is_none() {
            if let Some(id) = self.id() {
                push_nested(&mut out, REQUEST, fields::ORDER_IDORDER.name, &id);
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests;
