//! An order (with its customer profile) as an ordered PHP-like array.
//!
//! Fields keep the order in which they were first set, because PHP arrays do
//! and the body must match `http_build_query` of the same array. Every setter
//! validates first and changes nothing on error.

use crate::encode::{build_query_into, Key, Value};
use crate::error::{Error, ErrorKind, Result};
use crate::fields::{self, Rule, CONSENTS, CUSTOM_FIELDS, PRODUCT_ATTRIBUTES};
use crate::validate;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Order {
    data: Vec<(Key, Value)>,
}

/// Field names become PHP array keys inside `data[...]`: brackets would nest.
fn check_name(kind: &str, name: &str) -> Result<()> {
    validate::token(kind, name)?;
    if name.contains(['[', ']']) {
        return Err(Error::invalid(kind, format!("{name:?} must not contain '[' or ']'")));
    }
    Ok(())
}

fn find<'a>(items: &'a mut [(Key, Value)], key: &Key) -> Option<&'a mut Value> {
    items.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// `$array[$key] = $value`: replaces in place, or appends.
fn put(items: &mut Vec<(Key, Value)>, key: Key, value: Value) {
    match find(items, &key) {
        Some(slot) => *slot = value,
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

impl Order {
    pub fn new() -> Self {
        Order::default()
    }

    /// `data[name]`, as a mutable sub-array, created (empty) where missing.
    fn array(&mut self, name: &str) -> &mut Vec<(Key, Value)> {
        let key = Key::from(name);
        let at = match self.data.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.data.push((key, Value::Array(Vec::new())));
                self.data.len() - 1
            }
        };
        let slot = &mut self.data[at].1;
        if !matches!(slot, Value::Array(_)) {
            *slot = Value::Array(Vec::new());
        }
        match slot {
            Value::Array(items) => items,
            _ => unreachable!("made an array just above"),
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
        put(&mut self.data, name.into(), Value::Str(value.to_owned()));
        Ok(())
    }

    pub fn set_order_state(&mut self, state: i64) -> Result<()> {
        let state = validate::state("order_state", state)?;
        put(&mut self.data, "order_state".into(), Value::Int(state.into()));
        Ok(())
    }

    /// The amount as a float, printed as PHP prints floats (`158.31`).
    pub fn set_order_amount(&mut self, amount: f64) -> Result<()> {
        validate::amount("order_amount", amount)?;
        put(&mut self.data, "order_amount".into(), Value::Float(amount));
        Ok(())
    }

    /// Appends to one of the list fields (`add_tag`, `del_tag`, `add_order_tag`, `del_order_tag`).
    pub fn add_to_list(&mut self, list: &str, value: &str) -> Result<()> {
        if !fields::LIST_FIELDS.contains(&list) {
            return Err(Error::invalid(list, "is not a list field"));
        }
        validate::token(list, value)?;
        push(self.array(list), Value::Str(value.to_owned()));
        Ok(())
    }

    /// `data[custom_fields][id] = value`; ids come from SPREAD's back office.
    pub fn set_custom_field(&mut self, id: u32, value: &str) -> Result<()> {
        if id == 0 {
            return Err(Error::invalid(CUSTOM_FIELDS, "id 0 is not a custom field id (ids start at 1)"));
        }
        validate::text(&format!("{CUSTOM_FIELDS}[{id}]"), value)?;
        put(self.array(CUSTOM_FIELDS), Key::Int(id.into()), Value::Str(value.to_owned()));
        Ok(())
    }

    /// `data[consents][tech_name] = 1|0`.
    pub fn set_consent(&mut self, tech_name: &str, accepted: bool) -> Result<()> {
        check_name(CONSENTS, tech_name)?;
        put(self.array(CONSENTS), tech_name.into(), Value::Bool(accepted));
        Ok(())
    }

    /// Starts the next `product_attributes[n]`.
    pub fn add_product(&mut self) {
        push(self.array(PRODUCT_ATTRIBUTES), Value::Array(Vec::new()));
    }

    /// Adds `"key:value"` to the current product, starting the first one if needed.
    pub fn add_product_attribute(&mut self, key_colon_value: &str) -> Result<()> {
        validate::token(PRODUCT_ATTRIBUTES, key_colon_value)?;
        match key_colon_value.split_once(':') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {}
            _ => {
                return Err(Error::invalid(
                    PRODUCT_ATTRIBUTES,
                    format!("{key_colon_value:?} is not written \"key:value\" such as \"size:xl\""),
                ))
            }
        }
        let products = self.array(PRODUCT_ATTRIBUTES);
        if products.is_empty() {
            push(products, Value::Array(Vec::new()));
        }
        match products.last_mut() {
            Some((_, Value::Array(attrs))) => push(attrs, Value::Str(key_colon_value.to_owned())),
            _ => unreachable!("product_attributes only ever holds arrays"),
        }
        Ok(())
    }

    /// The value of `data[name]`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let key = Key::from(name);
        self.data.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The order id as text (`data[order_idorder]`).
    pub fn id(&self) -> Option<&str> {
        match self.get("order_idorder") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The fields SPREAD requires to record an order.
    pub fn check_required(&self) -> Result<()> {
        let missing = |field: &str, why: &str| Err(Error::new(ErrorKind::MissingField, format!("{field}: {why}")));
        if !fields::CUSTOMER_IDS.iter().any(|f| self.get(f).is_some()) {
            return missing("customer_email", "customer_email or external_id is required to send an order");
        }
        for field in fields::REQUIRED {
            if self.get(field).is_none() {
                return missing(field, "is required to send an order");
            }
        }
        Ok(())
    }

    /// The exact body PHP's `http_build_query` gives for the seed's
    /// `$post_data`: `data[...]` in the order set, then `request[order_idorder]`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(2048);
        build_query_into(&mut out, Some("data"), &self.data);
        if let Some(id) = self.id() {
            let request = [(Key::from("order_idorder"), Value::Str(id.to_owned()))];
            build_query_into(&mut out, Some("request"), &request);
        }
        out
    }
}

/// The rule a scalar field follows, for bindings that want to check early.
pub fn rule_of(name: &str) -> Option<Rule> {
    fields::scalar(name).map(|f| f.rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_again_replaces_in_place() {
        let mut o = Order::new();
        o.set("customer_name", "Doe").unwrap();
        o.set("customer_city", "Rouen").unwrap();
        o.set("customer_name", "Dupont").unwrap();
        assert_eq!(o.encode(), "data%5Bcustomer_name%5D=Dupont&data%5Bcustomer_city%5D=Rouen");
    }

    #[test]
    fn errors_change_nothing() {
        let mut o = Order::new();
        o.set_order_state(20).unwrap();
        let before = o.clone();
        assert!(o.set_order_state(7).is_err());
        assert!(o.set("order_state", "7").is_err());
        assert!(o.set("customer_email", "nope").is_err());
        assert!(o.add_to_list("add_tag", "").is_err());
        assert!(o.set_custom_field(0, "x").is_err());
        assert!(o.set_consent("a[b]", true).is_err());
        assert!(o.add_product_attribute("size").is_err());
        assert!(o.set("add_tag", "x").is_err());
        assert!(o.set("", "x").is_err());
        assert_eq!(o, before);
    }

    #[test]
    fn required_fields_are_named() {
        let mut o = Order::new();
        assert_eq!(o.check_required().unwrap_err().kind, ErrorKind::MissingField);
        o.set("external_id", "x1").unwrap();
        o.set("order_idorder", "1").unwrap();
        o.set_order_state(10).unwrap();
        o.set_order_amount(1.5).unwrap();
        let e = o.check_required().unwrap_err();
        assert_eq!(e.message, "order_crea_dt: is required to send an order");
        o.set("order_crea_dt", "2014-06-21 14:31:08").unwrap();
        o.check_required().unwrap();
    }

    #[test]
    fn lists_products_and_request_id() {
        let mut o = Order::new();
        o.set("order_idorder", "7").unwrap();
        o.add_to_list("add_tag", "a b").unwrap();
        o.add_product_attribute("size:xl").unwrap();
        o.add_product();
        o.add_product_attribute("color:blue").unwrap();
        o.set_consent("NewsEmail", false).unwrap();
        assert_eq!(
            o.encode(),
            "data%5Border_idorder%5D=7&data%5Badd_tag%5D%5B0%5D=a+b\
             &data%5Bproduct_attributes%5D%5B0%5D%5B0%5D=size%3Axl\
             &data%5Bproduct_attributes%5D%5B1%5D%5B0%5D=color%3Ablue\
             &data%5Bconsents%5D%5BNewsEmail%5D=0&request%5Border_idorder%5D=7"
        );
    }
}
