//! `data[name] = value` with a value as the seed's `$post_data` holds it:
//! a list of tags, custom fields by id, consents by name, products, or a
//! scalar. One entry point for both bindings (PHP's `field()`, Python's
//! `set()`), checked by the drop-in's rule for the field, so a value is
//! accepted or refused the same whichever language gives it.

use super::dropin::check_structured;
use super::fields::{self, ListField, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};
use super::{array_in, check_name, push, put, scalar_text, Order};
use crate::error::{Error, Result};
use crate::php::json::php_value;
use crate::php::{Key, Value};

impl Order {
    /// Sets `data[name]` from JSON (`json_encode($value)`, `json.dumps(value)`):
    /// a scalar field by its rule, a list field (`add_tag`, ...) from a list
    /// whose entries are appended, `custom_fields` from `{id: value}`,
    /// `consents` from `{name: accepted}` (true/false, 1/0, "1"/"0"),
    /// `product_attributes` from a list of products, each a list of
    /// `"key:value"`; any other name as extra text. null (or an empty list)
    /// changes nothing, as `http_build_query` leaves it out. All or nothing:
    /// on error (naming the entry) the order is unchanged.
    pub fn set_value_json(&mut self, name: &str, json: &str) -> Result<()> {
        let parsed: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::invalid(name, format!("not valid JSON: {e}")))?;
        // A list must be written as one: keyed entries, or a null left out, would be
        // renumbered unseen and the body would differ from http_build_query's.
        let list = |field: &str, v: &serde_json::Value, example: &str| -> Result<()> {
            match v {
                serde_json::Value::Array(items) => match items.iter().position(serde_json::Value::is_null) {
                    Some(i) => Err(Error::invalid(&format!("{field}[{i}]"), "null inside a list (remove the item instead)")),
                    None => Ok(()),
                },
                serde_json::Value::Null => Ok(()),
                _ => Err(Error::invalid(field, format!("is not a list such as {example}"))),
            }
        };
        if ListField::from_name(name).is_some() {
            list(name, &parsed, r#"["tag1", "tag2"]"#)?;
        }
        if name == PRODUCT_ATTRIBUTES {
            list(name, &parsed, r#"[["size:xl", "type:shirt"]]"#)?;
            for (i, product) in parsed.as_array().into_iter().flatten().enumerate() {
                list(&format!("{PRODUCT_ATTRIBUTES}[{i}]"), product, r#"["size:xl"]"#)?;
            }
        }
        self.set_value(name, php_value(parsed))
    }

    /// [`Order::set_value_json`] with the value as PHP holds it (None: left out).
    pub fn set_value(&mut self, name: &str, value: Option<Value>) -> Result<()> {
        let Some(value) = value else { return Ok(()) };
        if !fields::is_structured(name) {
            let text = scalar_text(&value).ok_or_else(|| Error::invalid(name, "is a list, not a single value"))?;
            return self.set(name, &text);
        }
        check_structured(name, &value, &mut |e, _| Err(e))?;
        let Value::Array(entries) = value else { unreachable!("check_structured refuses a single value for a structured field") };
        for (key, _) in &entries {
            match name {
                CUSTOM_FIELDS => match key {
                    Key::Int(id) if (1..=i64::from(u32::MAX)).contains(id) => {}
                    _ => return Err(Error::invalid(name, format!("key {:?} is not a custom field id (a positive integer)", key_text(key)))),
                },
                CONSENTS => check_name(CONSENTS, &key_text(key))?,
                _ => {}
            }
        }
        let items = array_in(self.data_mut(), name);
        for (key, entry) in entries {
            match name {
                CUSTOM_FIELDS | CONSENTS => put(items, key, entry),
                _ => push(items, renumbered(entry)),
            }
        }
        Ok(())
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::Int(i) => i.to_string(),
        Key::Str(s) => s.clone(),
    }
}

/// A product's attributes as a list (0, 1, 2...), whatever keys a null left out made.
fn renumbered(entry: Value) -> Value {
    match entry {
        Value::Array(items) => Value::Array(items.into_iter().enumerate().map(|(i, (_, v))| (Key::Int(i as i64), v)).collect()),
        scalar => scalar,
    }
}
