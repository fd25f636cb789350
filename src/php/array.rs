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
        matches!(self, Key::Str(s) if same(s.as_bytes(), name.as_bytes()))
    }
}

/// `a == b` for names: the lengths, then (up to 16 bytes) two overlapping words
/// rather than a call to `memcmp` (every order's checks look fields up by name).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match a.len() {
        n if n != b.len() => false,
        n @ 8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        n @ 4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key::Str(s.to_owned())
    }
}

/// How many variables `http_build_query` writes for `items` (one per value that is not
/// an array; an empty array writes none), counted no further than past `cap`.
/// An array of scalars is counted in its parent's loop (no call per array, the usual
/// order's lists and products); only arrays nested deeper are counted by recursion,
/// which stops as soon as the count is past `cap`.
pub(crate) fn variables(items: &[(Key, Value)], cap: usize) -> usize {
    let mut count = 0;
    for (_, value) in items {
        let Value::Array(sub) = value else {
            count += 1;
            continue;
        };
        for (_, value) in sub {
            let Value::Array(deeper) = value else {
                count += 1;
                continue;
            };
            count += variables(deeper, cap.saturating_sub(count));
            if count > cap {
                return count;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_byte_for_byte_at_every_length() {
        let names = ["", "a", "ab", "abc", "abcd", "abcde", "abcdefg", "abcdefgh", "abcdefghi", "order_idorder", "customer_email__", "customer_email___"];
        for a in names {
            for b in names {
                assert_eq!(Key::from(a).is(b), a == b, "{a} {b}");
                for at in 0..b.len() {
                    let mut c = b.as_bytes().to_vec();
                    c[at] ^= 1;
                    assert!(!Key::from(b).is(std::str::from_utf8(&c).unwrap()), "{b} {at}");
                }
            }
        }
        assert!(!Key::Int(1).is("1"));
    }

    #[test]
    fn variables_are_the_scalars_at_any_depth_counted_no_further_than_past_cap() {
        let s = || Value::Str("x".into());
        let list = |n: usize| Value::Array((0..n).map(|i| (Key::Int(i as i64), s())).collect());
        let deep = Value::Array(vec![(Key::Int(0), Value::Array(vec![(Key::Int(0), list(3)), (Key::Int(1), Value::Array(vec![]))])), (Key::Int(1), s())]);
        let items = vec![("a".into(), s()), ("l".into(), list(4)), ("e".into(), Value::Array(vec![])), ("d".into(), deep), ("b".into(), Value::Bool(true))];
        assert_eq!(variables(&items, 1000), 1 + 4 + 3 + 1 + 1);
        assert_eq!(variables(&items, 9), 10);
        let wide: Vec<(Key, Value)> = (0..50).map(|i| (Key::Int(i), Value::Array(vec![(Key::Int(0), list(30))]))).collect();
        assert_eq!(variables(&wide, 1500), 1500);
        // Past cap, the nested arrays left are not counted.
        assert!((101..=130).contains(&variables(&wide, 100)), "{}", variables(&wide, 100));
    }
}
