//! The drop-in's quick scan of a whole `$post_data` body: the fields the checks read,
//! without parsing the whole array.

use std::borrow::Cow;

use super::{fields, ByField, Seen};
use crate::error::Result;
use crate::php::parse_str::{decode, decode_cow, decode_into, memchr, with_path, Slot, MAX_NESTING};
use crate::php::{Key, Value};

/// The `data[...]` fields the checks read (the known ones), straight from
/// the body of a whole `$post_data`: PHP sends it with every request, so
/// this path decodes only what it checks instead of the whole array (the
/// whole array is only needed if the order is changed afterwards, and is
/// then parsed from the body). False when the body has no `data[...]` key, or
/// another key that starts with `data`. The fields go to `data` (filled in place: it is
/// large to move).
pub(super) fn scan<'a>(body: &'a str, data: &mut Known<'a>) -> Result<bool> {
    const DATA: &[u8] = b"data%5B";
    // A key needs two bytes per level at least (`[]`): shorter ones cannot be too deep.
    const DEEP: usize = 2 * (MAX_NESTING + 1);
    let mut whole = false;
    // A key decoded (the uncommon case), reused.
    let mut tail = String::new();
    // The path below `data` of the key at hand, borrowed from `body`, reused.
    let mut path: Vec<&str> = Vec::with_capacity(8);
    // Byte offsets, not `str::split`: this runs once per order on PHP's hot path, and
    // '&', '=' and '%' are ASCII, so every slice below falls on a character boundary.
    let bytes = body.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr(b'&', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let pair = &bytes[start..end];
        let pair_start = start;
        start = end + 1;
        let eq = memchr(b'=', pair).unwrap_or(pair.len());
        if !pair.starts_with(DATA) {
            if pair.starts_with(b"data") {
                // `data` alone, `data[` written out or `%5b`: PHP's parse would read these
                // into `data` too, so only the whole parse can tell what SPREAD sees.
                return Ok(false);
            }
            // A name that may read as `data` once decoded (`dat%61[x]`, `+data[x]`) or
            // be too deep: read as the whole parse reads it.
            let key = &pair[..eq];
            if eq >= DEEP || key.first().is_some_and(|&b| b == b' ' || b == b'+') || memchr(b'%', key).is_some() {
                tail.clear();
                decode_into(&body[pair_start..pair_start + eq], &mut tail);
                if with_path(&tail, |path| path.first() == Some(&"data"))? {
                    return Ok(false);
                }
            }
            continue;
        }
        let value = body.get(pair_start + eq + 1..end).unwrap_or("");
        // The common case, a key as http_build_query writes it (`data[name]`,
        // `data[name][0][1]`), is read without decoding it.
        if plain_path(&body[pair_start + DATA.len()..pair_start + eq], &mut path) {
            whole = true;
            if let Some(index) = fields::known_index(path[0]) {
                data.insert(index, &path, value);
            }
            continue;
        }
        // Anything else: the key decoded and read as the whole parse reads it (which may
        // be a name beside `data`: `data[a` is `data_a`).
        tail.clear();
        decode_into(&body[pair_start..pair_start + eq], &mut tail);
        let replaced = with_path(&tail, |path| match path {
            ["data"] => true, // `data%00[x]`: `data` made a string
            ["data", field, ..] => {
                whole = true;
                if let Some(index) = fields::known_index(field) {
                    data.insert(index, &path[1..], value);
                }
                false
            }
            _ => false,
        })?;
        if replaced {
            return Ok(false);
        }
    }
    Ok(whole)
}

/// `name%5D%5B0%5D%5B1%5D`, the key after `data%5B` as http_build_query writes it,
/// read into `path` (`name`, `0`, `1`, borrowed from `key`) without decoding it. False
/// unless decoding would change nothing but the brackets (no other escape, no '+', no
/// bracket written out), they nest cleanly, and no deeper than [`MAX_NESTING`]: the
/// caller then decodes the key and reads it as the whole parse does.
fn plain_path<'a>(key: &'a str, path: &mut Vec<&'a str>) -> bool {
    path.clear();
    // One pass over the key's bytes (a few dozen: no SIMD search pays for its call).
    let bytes = key.as_bytes();
    let (mut at, mut start) = (0, 0);
    loop {
        // A blank opening a level may make it `[]` (PHP skips one), a NUL ends the name.
        if matches!(bytes.get(at), Some(b' ' | b'\t'..=b'\r')) {
            return false;
        }
        while at < bytes.len() && !matches!(bytes[at], b'%' | b'+' | b'[' | b']' | b'\0') {
            at += 1;
        }
        if !bytes[at..].starts_with(b"%5D") {
            return false;
        }
        path.push(&key[start..at]);
        at += 3;
        if at == bytes.len() {
            return true;
        }
        // `data` is the first level: at most MAX_NESTING below it.
        if path.len() == MAX_NESTING || !bytes[at..].starts_with(b"%5B") {
            return false;
        }
        at += 3;
        start = at;
    }
}

/// The quick scan's `data` array: only the fields `check` reads (a fixed set of
/// names, none numeric), each found by its [`fields::known_index`] rather than by
/// hashing its name; a field given one value keeps its text (borrowed from the body
/// when nothing in it is escaped), one given brackets PHP's array as the whole parse
/// builds it. [`Known::into_items`]: the same array as the whole parse's `data` without
/// the fields no check reads.
pub(super) struct Known<'a>(ByField<Entry<'a>>);

enum Entry<'a> {
    Text(Cow<'a, str>),
    /// Given brackets: the array being built, then (`Known::finish`) the array built.
    Tree(Slot),
    Array(Value),
}

impl<'a> Known<'a> {
    pub(super) fn new() -> Self {
        Known(ByField::new())
    }

    /// `$data[path[0]][path[1]]… = value` (`value` as the body writes it); `path[0]` is
    /// the field named by `index`.
    fn insert(&mut self, index: usize, path: &[&str], value: &'a str) {
        if path.len() == 1 {
            self.0.set(index, Entry::Text(decode_cow(value)));
            return;
        }
        // Below a string, PHP makes an array (`Slot::set`'s rule).
        let entry = self.0.get_or_insert_with(index, || Entry::Tree(Slot::Str(String::new())));
        if !matches!(entry, Entry::Tree(_)) {
            *entry = Entry::Tree(Slot::Str(String::new()));
        }
        if let Entry::Tree(slot) = entry {
            slot.set(&path[1..], decode(value));
        }
    }

    /// The arrays built: each field as the checks read it.
    pub(super) fn finish(&mut self) {
        for entry in self.0.values_mut() {
            if let Entry::Tree(slot) = entry {
                *entry = Entry::Array(std::mem::replace(slot, Slot::Str(String::new())).into_value());
            }
        }
    }

    /// Each field set, by its index, in PHP's order (after [`Known::finish`]).
    pub(super) fn seen(&self) -> impl Iterator<Item = (usize, Seen<'_>)> + '_ {
        self.0.in_order().filter_map(|(i, entry)| {
            let seen = match entry {
                Entry::Text(text) => Seen::Text(text),
                Entry::Array(value) => Seen::Value(value),
                Entry::Tree(_) => return None,
            };
            Some((i, seen))
        })
    }

    /// `data` as the whole parse reads it, but only the known fields.
    pub(super) fn into_items(mut self) -> Vec<(Key, Value)> {
        self.finish();
        let mut items = Vec::with_capacity(self.0.count);
        for (i, entry) in self.0.into_in_order() {
            let value = match entry {
                Entry::Text(text) => Value::Str(text.into_owned()),
                Entry::Array(value) => value,
                Entry::Tree(slot) => slot.into_value(),
            };
            items.push((Key::from(fields::known_name(i)), value));
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key `plain_path` reads, it reads as decoding it and `with_path` do: keys made
    /// of every sequence of up to 5 pieces that matter (brackets written both ways, a
    /// stray `%`, `+`, escapes), plus the depth limit.
    #[test]
    fn a_plain_key_is_read_as_the_decoded_key() {
        let pieces = ["%5B", "%5D", "a", "0", "+", "%", "[", "]", "%5b", "%5d", "%41", " ", "\0", "\t", "%00", "."];
        let mut keys = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..5 {
            keys = keys.iter().flat_map(|k| pieces.iter().map(move |p| format!("{k}{p}"))).collect();
            keys.dedup();
            all.extend(keys.iter().cloned());
        }
        all.push(format!("x%5D{}", "%5B0%5D".repeat(MAX_NESTING - 1)));
        all.push(format!("x%5D{}", "%5B0%5D".repeat(MAX_NESTING)));
        let mut path = Vec::new();
        let mut read = 0;
        for key in &all {
            if plain_path(key, &mut path) {
                read += 1;
                let whole: Vec<String> = with_path(&decode(&format!("data%5B{key}")), |whole| whole.iter().map(|s| s.to_string()).collect()).unwrap();
                assert_eq!(whole[0], "data", "{key}");
                assert_eq!(whole[1..], path[..], "{key}");
                assert!(whole.len() <= MAX_NESTING + 1, "{key}");
            }
        }
        assert!(read > 100, "{read}");
        assert!(plain_path(&all[all.len() - 2], &mut path) && !plain_path(&all[all.len() - 1], &mut path));
    }
}
