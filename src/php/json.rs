//! PHP's `json_decode($json, true)`: a JSON object as the PHP array a shop's
//! code would hold, before `http_build_query` sends it.

use super::array::{Key, Value};
use super::parse_str::php_key;

pub(crate) fn object(map: serde_json::Map<String, serde_json::Value>) -> Vec<(Key, Value)> {
    map.into_iter().filter_map(|(k, v)| php_value(v).map(|v| (php_key(&k), v))).collect()
}

/// A JSON value as PHP's `json_decode($json, true)` gives it; null, and an array left empty, is
/// dropped (`http_build_query` leaves it out).
pub(crate) fn php_value(v: serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::Str(s),
        // An array that ends up empty sends nothing (http_build_query leaves it out, so
        // PHP's parse of the body never sees it): dropped, so no check warns about it.
        J::Array(items) => match items.into_iter().enumerate().filter_map(|(i, v)| php_value(v).map(|v| (Key::Int(i as i64), v))).collect::<Vec<_>>() {
            items if items.is_empty() => return None,
            items => Value::Array(items),
        },
        J::Object(map) => match object(map) {
            items if items.is_empty() => return None,
            items => Value::Array(items),
        },
    })
}
