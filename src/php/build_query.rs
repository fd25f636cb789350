//! A byte-for-byte reimplementation of PHP's `http_build_query`, so that a
//! shop moving from the seed's curl block sends SPREAD exactly the same body.
//!
//! The rules (measured with PHP 8.2: `tests/fixtures/php-http_build_query.txt`):
//! `urlencode` keeps only ASCII alphanumerics and `-_.`, turns space into `+`
//! and every other byte into upper-case `%XX` (including `*` and `~`); nested
//! keys are written `a[b][0]` with the brackets encoded; `null` and empty
//! arrays vanish; floats print like PHP's `%.14G` through PHP's own dtoa
//! (trailing zeros kept where PHP keeps them); booleans are `1`/`0`.

use std::fmt::Write as _;

use super::array::{Key, Value};
use super::float::php_float;

/// Bytes PHP's `urlencode` keeps as they are: ASCII alphanumerics and `-_.`.
const KEEP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b as u8, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.');
        b += 1;
    }
    t
};

/// PHP's `urlencode` applied to `bytes`, appended to `out`: runs of kept bytes are
/// copied at once.
pub fn urlencode_into(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // SAFETY: only ASCII is appended (kept bytes, '+', '%' and hex digits), so
    // `out` stays UTF-8; writing bytes skips a UTF-8 check per run (this is
    // on every send's path).
    let out = unsafe { out.as_mut_vec() };
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if KEEP[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn push_int(out: &mut String, i: i64) {
    if (0..10).contains(&i) {
        out.push((b'0' + i as u8) as char);
    } else {
        let _ = write!(out, "{i}");
    }
}

fn push_key(out: &mut String, key: &Key) {
    match key {
        Key::Int(i) => push_int(out, *i),
        Key::Str(s) => urlencode_into(out, s.as_bytes()),
    }
}

/// Appends `pairs` as PHP's `http_build_query` would, each key under
/// `prefix` (already encoded, e.g. `data%5Badd_tag%5D`) when given.
pub fn build_query_into(out: &mut String, prefix: Option<&str>, pairs: &[(Key, Value)]) {
    let mut name = String::with_capacity(96);
    if let Some(p) = prefix {
        name.push_str(p);
    }
    walk(out, &mut name, prefix.is_some(), pairs);
}

/// One level of `build_query_into`; `name` holds the encoded key so far and is
/// restored before returning.
fn walk(out: &mut String, name: &mut String, nested: bool, pairs: &[(Key, Value)]) {
    let len = name.len();
    for (key, value) in pairs {
        if nested {
            name.push_str("%5B");
            push_key(name, key);
            name.push_str("%5D");
        } else {
            push_key(name, key);
        }
        match value {
            Value::Array(items) => walk(out, name, true, items),
            scalar => {
                if !out.is_empty() {
                    out.push('&');
                }
                out.push_str(name);
                out.push('=');
                match scalar {
                    Value::Str(s) => urlencode_into(out, s.as_bytes()),
                    Value::Int(i) => push_int(out, *i),
                    Value::Float(f) => urlencode_into(out, php_float(*f).as_bytes()),
                    Value::Bool(b) => out.push(if *b { '1' } else { '0' }),
                    Value::Array(_) => unreachable!("arrays are handled above"),
                }
            }
        }
        name.truncate(len);
    }
}

/// `http_build_query($pairs)`.
pub fn http_build_query(pairs: &[(Key, Value)]) -> String {
    let mut out = String::new();
    build_query_into(&mut out, None, pairs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencode_matches_php_reference() {
        let enc = |s: &str| {
            let mut o = String::new();
            urlencode_into(&mut o, s.as_bytes());
            o
        };
        assert_eq!(enc("bâtiment A"), "b%C3%A2timent+A");
        assert_eq!(enc("*~+&=%"), "%2A%7E%2B%26%3D%25");
        assert_eq!(enc("-_."), "-_.");
        assert_eq!(enc("x\r\ny"), "x%0D%0Ay");
    }

    #[test]
    fn nesting_and_empties() {
        let q = http_build_query(&[
            ("a".into(), Value::Array(vec![(Key::Int(327), Value::Str("v".into())), (Key::Int(1), Value::Str("w".into()))])),
            ("e".into(), Value::Array(vec![])),
            ("b".into(), Value::Array(vec![("my key".into(), Value::Bool(true))])),
        ]);
        assert_eq!(q, "a%5B327%5D=v&a%5B1%5D=w&b%5Bmy+key%5D=1");
    }
}
