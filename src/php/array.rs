//! PHP's array as `http_build_query` and `parse_str` see it: ordered, keyed by
//! integers or strings, holding scalars or arrays.

/// A PHP array key.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    Int(i64),
    Str(String),
}

/// A PHP value as `http_build_query` sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An ordered PHP array; an empty one is left out of the body.
    Array(Vec<(Key, Value)>),
}

impl Key {
    /// Whether this is the string key `name`.
    pub fn is(&self, name: &str) -> bool {
        matches!(self, Key::Str(s) if s == name)
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key::Str(s.to_owned())
    }
}

/// How many variables `http_build_query` writes for `items` (one per value that is not
/// an array; an empty array writes none), counted no further than past `cap`.
pub(crate) fn variables(items: &[(Key, Value)], cap: usize) -> usize {
    let mut count = 0;
    for (_, value) in items {
        count += match value {
            Value::Array(sub) => variables(sub, cap - count),
            _ => 1,
        };
        if count > cap {
            break;
        }
    }
    count
}
