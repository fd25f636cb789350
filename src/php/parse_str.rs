//! PHP's `parse_str`: the array a form body describes, key by key as PHP reads
//! it (`a[b][]`, integer keys, `max_input_nesting_level`), and the form
//! decoding it starts from.

use std::borrow::Cow;
use std::collections::HashMap;

use super::array::{Key, Value};
use crate::error::{Error, Result};

/// How deep a key may nest: PHP's `max_input_nesting_level` (64 by default), which
/// SPREAD's PHP applies to the body: it drops a deeper variable, and every sibling under
/// its top-level name with it (`data` for a `data[...]` key). Deeper input is an error
/// in both the lenient and the strict drop-in: an order SPREAD would read without part of
/// it is not "sent as is". It also bounds every recursion over the parsed value.
pub const MAX_NESTING: usize = 64;

/// How many variables PHP reads from a POST body: `max_input_vars` (1000 by default),
/// which SPREAD's PHP applies. PHP 8 registers one more before it stops, and counts
/// every `&`-separated piece, empty ones too (measured with PHP 8.2's built-in server:
/// 1,002 pieces and more give 1,001 variables, the rest dropped without an error).
pub const MAX_INPUT_VARS: usize = 1000;

/// An error when SPREAD's PHP would stop reading `body` before its end (more than
/// [`MAX_INPUT_VARS`] + 1 pieces); it names the first variable that would be lost.
pub(crate) fn check_input_vars(body: &str) -> Result<()> {
    const READ: usize = MAX_INPUT_VARS + 1;
    // A piece after the first takes one byte at least (its '&'): a short body is read whole.
    if body.len() <= READ {
        return Ok(());
    }
    let pieces = memchr::memchr_iter(b'&', body.as_bytes()).count() + usize::from(!body.ends_with('&'));
    if pieces <= READ {
        return Ok(());
    }
    let lost = body.split('&').skip(READ).find(|piece| !piece.is_empty()).unwrap_or_default();
    let name = decode(lost.split('=').next().unwrap_or_default());
    let shown: String = name.chars().take(40).collect();
    Err(Error::invalid(
        "post_data",
        format!("{pieces} variables; SPREAD's PHP reads the first {READ} (max_input_vars {MAX_INPUT_VARS}) and would drop the rest, from {shown:?} on"),
    ))
}

/// The error for a key (`x[a][a]…`) nested `levels` deep; names only its start.
pub(crate) fn too_deep(key: &str, levels: usize) -> Error {
    let shown: String = key.chars().take(40).collect();
    let more = if shown.len() < key.len() { "…" } else { "" };
    Error::invalid(
        "post_data",
        format!("{shown:?}{more} nests {levels} levels deep; PHP reads at most {MAX_NESTING} (max_input_nesting_level) and would drop the whole variable"),
    )
}

/// The whole array a form body describes, as PHP's `parse_str` would build it;
/// an error for a key nested deeper than [`MAX_NESTING`].
pub(crate) fn tree(body: &str) -> Result<Vec<(Key, Value)>> {
    let mut top = Node::default();
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        with_path(&name, |path| top.insert(path, value.into_owned()))?;
    }
    Ok(top.into_items())
}

/// The path of a decoded variable name as PHP reads it ([`php_name`], then [`path_of`];
/// empty for a name PHP drops), handed to `then`; for a name nested deeper than
/// [`MAX_NESTING`], the error instead. The whole parse and the drop-in's quick scan
/// read every name they decode through this, so that they read it alike.
pub(crate) fn with_path<T>(name: &str, then: impl FnOnce(&[&str]) -> T) -> Result<T> {
    let name = php_name(name);
    let mut path = Vec::with_capacity(4);
    let levels = path_of(&name, &mut path);
    if levels > MAX_NESTING {
        return Err(too_deep(&name, levels));
    }
    Ok(then(&path))
}

/// The first `needle` in `haystack` (SIMD: the PHP binding's hot path scans a
/// whole body for `&`, `=` and `%`).
pub(crate) fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

/// application/x-www-form-urlencoded decoding of one key or value (`+` is a
/// space, `%XX` a byte; invalid UTF-8 replaced, as form_urlencoded does).
/// Written out because this is the PHP binding's hot path: one pass, one
/// allocation per value.
pub(crate) fn decode(text: &str) -> String {
    decode_cow(text).into_owned()
}

/// `decode`, borrowing `text` when nothing in it needs decoding.
pub(crate) fn decode_cow(text: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'%', b'+', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    decode_into(text, &mut out);
    Cow::Owned(out)
}

/// `decode`, appending to `out`.
pub(crate) fn decode_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut decoded = std::mem::take(out).into_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    // Only a decoded %XX can break UTF-8: text is a str, and '+' becomes ' '.
    let mut escaped = false;
    let mut i = 0;
    while let Some(at) = memchr::memchr2(b'%', b'+', &bytes[i..]) {
        decoded.extend_from_slice(&bytes[i..i + at]); // the run before it, as it is
        i += at;
        match bytes[i] {
            b'+' => decoded.push(b' '),
            _ => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    decoded.push(h << 4 | l);
                    escaped = true;
                    i += 2;
                }
                _ => decoded.push(b'%'),
            },
        }
        i += 1;
    }
    decoded.extend_from_slice(&bytes[i..]);
    *out = if escaped {
        String::from_utf8(decoded).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    } else {
        // SAFETY: `out`'s bytes (a String's) and runs of a str cut at ASCII bytes, and ASCII spaces.
        unsafe { String::from_utf8_unchecked(decoded) }
    };
}

/// PHP turns canonical decimal string keys into integer keys.
pub(crate) fn php_key(k: &str) -> Key {
    match php_key_int(k) {
        Some(i) => Key::Int(i),
        None => Key::from(k),
    }
}

/// A decoded variable name as PHP's `php_register_variable_ex` reads it before its
/// brackets: cut at the first NUL, leading spaces dropped, ' ' and '.' made '_' before
/// the first '['; a first '[' that no ']' follows is a '_' too, and so are the ' ', '.'
/// and '[' after it. Empty when PHP drops the variable (no name before the brackets).
/// Borrowed when none of that changes anything (every key `http_build_query` writes).
pub(crate) fn php_name(name: &str) -> Cow<'_, str> {
    let name = name.split('\0').next().unwrap_or_default().trim_start_matches(' ');
    let open = name.find('[');
    let base = &name[..open.unwrap_or(name.len())];
    if base.is_empty() {
        return Cow::Borrowed("");
    }
    let unclosed = open.is_some_and(|open| !name[open..].contains(']'));
    if !unclosed && !base.contains([' ', '.']) {
        return Cow::Borrowed(name);
    }
    let underscore = |c: char| if matches!(c, ' ' | '.') { '_' } else { c };
    let mut out: String = base.chars().map(underscore).collect();
    match open {
        Some(open) if unclosed => out.extend(name[open..].chars().map(|c| if c == '[' { '_' } else { underscore(c) })),
        Some(open) => out.push_str(&name[open..]),
        None => {}
    }
    Cow::Owned(out)
}

/// `data[add_tag][]` (a name read by [`php_name`]) → `data`, `add_tag`, `` (into `path`,
/// borrowing from `name`; `` appends). As PHP reads it: `[ ]` appends too (one blank
/// before the `]` is skipped), and the name ends at the first `]` not followed by `[`
/// or at a `[` no `]` closes (`a[b]c` and `a[b][c` are `a[b]`). Empty for a dropped
/// name. Returns how many levels PHP opened, the count it holds against
/// `max_input_nesting_level` (the unclosed `[` included).
pub(crate) fn path_of<'a>(name: &'a str, path: &mut Vec<&'a str>) -> usize {
    path.clear();
    let Some(open) = name.find('[') else {
        if !name.is_empty() {
            path.push(name);
        }
        return 0;
    };
    path.push(&name[..open]);
    let mut rest = &name[open..];
    let mut levels = 0;
    while let Some(inner) = rest.strip_prefix('[') {
        levels += 1;
        // C's isspace: one such byte then `]` is `[]`.
        let blank = usize::from(matches!(inner.as_bytes().first(), Some(b' ' | b'\t'..=b'\r')));
        let close = if inner[blank..].starts_with(']') {
            path.push("");
            blank
        } else {
            let Some(close) = inner.find(']') else { break };
            path.push(&inner[..close]);
            close
        };
        rest = &inner[close + 1..];
    }
    levels
}

/// The integer PHP makes of a canonical decimal key (`"12"`, not `"012"`).
pub(crate) fn php_key_int(k: &str) -> Option<i64> {
    let canonical = k == "0" || (!k.starts_with('0') && !k.starts_with("-0") && k != "-");
    if canonical && !k.is_empty() && k.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-')) {
        k.parse().ok()
    } else {
        None
    }
}

/// A PHP array being built from a form body: beside its items, once it holds more than
/// a few, an index of their keys, and PHP's next free integer key, so that each pair
/// costs the same whatever the array's size (a scan per pair made 200,000 `x[]` take
/// 26 s). A small array (a product's attributes, two tags) is searched in place: no
/// hashing, no allocation beside its items.
#[derive(Default)]
pub(crate) struct Node {
    items: Vec<(Key, Slot)>,
    /// Built when the array grows past [`Node::SMALL`] items.
    index: Option<Box<Index>>,
    /// The largest integer key so far: PHP's `nNextFreeElement` is one past it (and may
    /// be negative; past `i64::MAX` an append is dropped, as PHP drops it).
    largest: Option<i64>,
}

/// Where each key of a large [`Node`] is.
#[derive(Default)]
struct Index {
    ints: HashMap<i64, usize>,
    strs: HashMap<String, usize>,
}

impl Index {
    fn add(&mut self, key: &Key, at: usize) {
        match key {
            Key::Int(i) => self.ints.insert(*i, at),
            Key::Str(s) => self.strs.insert(s.clone(), at),
        };
    }
}

pub(crate) enum Slot {
    Str(String),
    Array(Node),
}

impl Node {
    /// How many items are searched one by one before the array gets its [`Index`].
    const SMALL: usize = 8;

    /// `$this[a][b][c] = value`, PHP style (`[]` appends); `path` is at most
    /// [`MAX_NESTING`] + 1 long (checked by the callers), so the recursion is bounded.
    pub(crate) fn insert(&mut self, path: &[&str], value: String) {
        let Some((first, rest)) = path.split_first() else { return };
        let at = match self.find(first) {
            Some(i) => i,
            None => {
                let key = if first.is_empty() {
                    match self.largest.map_or(Some(0), |n| n.checked_add(1)) {
                        Some(next) => Key::Int(next),
                        None => return, // PHP: "the next element is already occupied"
                    }
                } else {
                    php_key(first)
                };
                self.push(key)
            }
        };
        self.items[at].1.set(rest, value);
    }

    fn find(&self, segment: &str) -> Option<usize> {
        if segment.is_empty() {
            return None;
        }
        match (php_key_int(segment), &self.index) {
            (Some(i), Some(index)) => index.ints.get(&i).copied(),
            (None, Some(index)) => index.strs.get(segment).copied(),
            (Some(i), None) => self.items.iter().position(|(k, _)| matches!(k, Key::Int(n) if *n == i)),
            (None, None) => self.items.iter().position(|(k, _)| matches!(k, Key::Str(s) if s == segment)),
        }
    }

    /// A new item (an empty string for now) under `key`; its index.
    fn push(&mut self, key: Key) -> usize {
        let at = self.items.len();
        if let Key::Int(i) = key {
            self.largest = Some(self.largest.map_or(i, |n| n.max(i)));
        }
        match &mut self.index {
            Some(index) => index.add(&key, at),
            None if at == Self::SMALL => {
                let mut index = Box::<Index>::default();
                for (i, (k, _)) in self.items.iter().enumerate() {
                    index.add(k, i);
                }
                index.add(&key, at);
                self.index = Some(index);
            }
            None => {}
        }
        self.items.push((key, Slot::Str(String::new())));
        at
    }

    pub(crate) fn into_items(self) -> Vec<(Key, Value)> {
        self.items.into_iter().map(|(k, slot)| (k, slot.into_value())).collect()
    }
}

impl Slot {
    /// `$slot[rest[0]][rest[1]]… = value` (the slot itself when `rest` is empty); a
    /// string in the way becomes an array, as PHP makes it.
    pub(crate) fn set(&mut self, rest: &[&str], value: String) {
        if rest.is_empty() {
            *self = Slot::Str(value);
            return;
        }
        if !matches!(self, Slot::Array(_)) {
            *self = Slot::Array(Node::default());
        }
        if let Slot::Array(sub) = self {
            sub.insert(rest, value);
        }
    }

    pub(crate) fn into_value(self) -> Value {
        match self {
            Slot::Str(s) => Value::Str(s),
            Slot::Array(node) => Value::Array(node.into_items()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_keeps_runs_and_decodes_escapes_as_form_urlencoded_does() {
        for text in ["plain", "a+b", "%C3%A9t%C3%A9+%2B1", "100%", "%zz%4", "%FF%FE", "x%00y", "é+à%20", "", "+%", "%%41"] {
            let theirs: String = form_urlencoded::parse(format!("k={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
            assert_eq!(decode(text), theirs, "{text:?}");
            let mut out = String::from("kept:");
            decode_into(text, &mut out);
            assert_eq!(out, format!("kept:{theirs}"), "{text:?} appended");
        }
    }

    #[test]
    fn form_paths() {
        // As PHP 8.2's parse_str read them (`php -r 'parse_str("a[b]c=1", $o); var_export($o);'`).
        let read = [
            ("data[add_tag][]", &["data", "add_tag", ""][..]),
            ("data[a]b", &["data", "a"]),
            ("m[a]b[c]", &["m", "a"]),
            ("f[g][h.i", &["f", "g"]),
            ("a[ ]", &["a", ""]),
            ("a[ b]", &["a", " b"]),
            ("d[e.f g[h", &["d_e_f_g_h"]),
            ("k[", &["k_"]),
            ("  x.y z", &["x_y_z"]),
            ("a\0b[c]", &["a"]),
            ("q[a\0b]", &["q_a"]),
            ("[x]", &[]),
            ("", &[]),
            ("a", &["a"]),
        ];
        for (name, want) in read {
            let name = php_name(name);
            let mut path = Vec::new();
            path_of(&name, &mut path);
            assert_eq!(path, want, "{name:?}");
        }
        assert_eq!(php_key("12"), Key::Int(12));
        assert_eq!(php_key("012"), Key::from("012"));
        assert_eq!(php_key("-0"), Key::from("-0"));
        assert_eq!(php_key("-3"), Key::Int(-3));
        assert_eq!(php_key("1e3"), Key::from("1e3"));
        let keys: Vec<Key> = tree("x[12]=1&x[012]=2&x[12]=3")
            .unwrap()
            .into_iter()
            .flat_map(|(_, v)| match v {
                Value::Array(items) => items.into_iter().map(|(k, _)| k).collect(),
                _ => vec![],
            })
            .collect();
        assert_eq!(keys, [Key::Int(12), Key::from("012")]);
    }
}
