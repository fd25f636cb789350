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

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        let mut o = Order::new();
        o.set("customer_email", "a@b.fr").unwrap();
        o
    }

    #[test]
    fn structured_values_are_added_as_the_seed_holds_them() {
        let mut o = order();
        o.set_value_json("add_tag", r#"["vip","news"]"#).unwrap();
        o.set_value_json("add_tag", r#"["third"]"#).unwrap();
        o.set_value_json("custom_fields", r#"{"327":"blue","12":2.5}"#).unwrap();
        o.set_value_json("consents", r#"{"News":true,"Sms":"0","Post":1.0}"#).unwrap();
        o.set_value_json("product_attributes", r#"[["size:xl"],["size:s","type:shirt"]]"#).unwrap();
        o.set_value_json("coupon", r#""SPRING""#).unwrap();
        o.set_value_json("del_tag", "null").unwrap();
        let body = o.encode();
        for part in [
            "data%5Badd_tag%5D%5B0%5D=vip&data%5Badd_tag%5D%5B1%5D=news&data%5Badd_tag%5D%5B2%5D=third",
            "data%5Bcustom_fields%5D%5B327%5D=blue&data%5Bcustom_fields%5D%5B12%5D=2.5",
            "data%5Bconsents%5D%5BNews%5D=1&data%5Bconsents%5D%5BSms%5D=0&data%5Bconsents%5D%5BPost%5D=1",
            "data%5Bproduct_attributes%5D%5B1%5D%5B1%5D=type%3Ashirt",
            "data%5Bcoupon%5D=SPRING",
        ] {
            assert!(body.contains(part), "{part} not in {body}");
        }
        assert!(!body.contains("del_tag"));
    }

    #[test]
    fn a_refused_value_names_its_entry_and_changes_nothing() {
        for (name, json, message) in [
            ("consents", r#"{"A":true,"B":2}"#, r#"consents[B]: "2" is not 1 (accepted) or 0 (refused)"#),
            ("consents", r#"{"a[b]":true}"#, r#"consents: "a[b]" must not contain '[' or ']'"#),
            ("add_tag", r#"{"3":"x"}"#, r#"add_tag: is not a list such as ["tag1", "tag2"]"#),
            ("add_tag", r#"["a",null]"#, "add_tag[1]: null inside a list (remove the item instead)"),
            ("add_tag", r#"["a",""]"#, "add_tag[1]: must not be empty"),
            ("custom_fields", r#"{"1":"ok","007":"x"}"#, r#"custom_fields: key "007" is not a custom field id (a positive integer)"#),
            ("product_attributes", r#"[["size:xl"],["xl"]]"#, r#"product_attributes[1][0]: "xl" is not written "key:value" such as "size:xl""#),
            ("customer_name", r#"["Doe"]"#, "customer_name: is a list, not a single value"),
            ("add_tag", "[", "add_tag: not valid JSON: EOF while parsing a list at line 1 column 1"),
        ] {
            let mut o = order();
            let before = o.encode();
            assert_eq!(o.set_value_json(name, json).unwrap_err().message, message);
            assert_eq!(o.encode(), before, "{name} {json}");
        }
    }
}
