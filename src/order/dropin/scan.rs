//! The drop-in's quick scan of a whole `$post_data` body: the fields the checks read,
//! without parsing the whole array.

use super::fields;
use crate::error::Result;
use crate::php::parse_str::{decode, MAX_NESTING, decode_into, memchr, path_of, too_deep, Slot};
use crate::php::{Key, Value};

/// The `data[...]` fields the checks read (the known ones), straight from
/// the body of a whole `$post_data`: PHP sends it with every request, so
/// this path decodes only what it checks instead of the whole array (the
/// whole array is only needed if the order is changed afterwards, and is
/// then parsed from the body). None when the body has no `data[...]` key, or
/// another key that starts with `data`. With the array, the [`fields::known_index`]
/// of each of its items.
pub(super) fn scan(body: &str) -> Result<Option<(Vec<(Key, Value)>, Indexes)>> {
    const DATA: &[u8] = b"data%5B";
    // A key needs two bytes per level at least (`[]`): shorter ones cannot be too deep.
    const DEEP: usize = 2 * (MAX_NESTING + 1);
    let mut data = Known::new();
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
                return Ok(None);
            }
            if eq >= DEEP {
                // Not read here, but sent: refused as the whole parse refuses it.
                let name = decode(&body[pair_start..pair_start + eq]);
                let mut path = Vec::new();
                path_of(&name, &mut path);
                if path.len() > MAX_NESTING + 1 {
                    return Err(too_deep(&name, path.len() - 1));
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
                data.insert(index, &path, decode(value));
            }
            continue;
        }
        // Anything else: the key decoded and read as the whole parse reads it. Brackets
        // that do not nest make it one key beside `data` (`data[a]b`), not part of it.
        tail.clear();
        decode_into(&body[pair_start..pair_start + eq], &mut tail);
        let mut path = Vec::with_capacity(4);
        path_of(&tail, &mut path);
        if path[0] != "data" {
            continue;
        }
        whole = true;
        if path.len() > MAX_NESTING + 1 {
            return Err(too_deep(&tail, path.len() - 1));
        }
        if let Some(index) = fields::known_index(path[1]) {
            data.insert(index, &path[1..], decode(value));
        }
    }
    Ok(whole.then(|| data.into_items()))
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
        while at < bytes.len() && !matches!(bytes[at], b'%' | b'+' | b'[' | b']') {
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
/// hashing its name; below a field, PHP's array as the whole parse builds it. The
/// same array as the whole parse's `data` without the fields no check reads.
struct Known {
    /// Each known field's value so far, by its index.
    slots: [Option<Slot>; fields::KNOWN],
    /// The indexes of the fields set, in the order first set (PHP's order).
    order: [u8; fields::KNOWN],
    count: usize,
}

impl Known {
    fn new() -> Known {
        Known { slots: [const { None }; fields::KNOWN], order: [0; fields::KNOWN], count: 0 }
    }

    /// `$data[path[0]][path[1]]… = value`; `path[0]` is the field named by `index`.
    fn insert(&mut self, index: usize, path: &[&str], value: String) {
        let slot = self.slots[index].get_or_insert_with(|| {
            self.order[self.count] = index as u8;
            self.count += 1;
            Slot::Str(String::new())
        });
        slot.set(&path[1..], value);
    }

    fn into_items(mut self) -> (Vec<(Key, Value)>, Indexes) {
        let mut items = Vec::with_capacity(self.count);
        for &i in &self.order[..self.count] {
            let i = usize::from(i);
            let slot = self.slots[i].take().expect("each field in `order` was set");
            items.push((Key::from(fields::known_name(i)), slot.into_value()));
        }
        (items, Indexes { at: self.order, count: self.count })
    }
}

/// The [`fields::known_index`] of each item of the quick scan's array, in its order.
pub(super) struct Indexes {
    at: [u8; fields::KNOWN],
    count: usize,
}

impl Indexes {
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.at[..self.count].iter().map(|&i| usize::from(i))
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    /// Every key `plain_path` reads, it reads as decoding it and `path_of` do: keys made
    /// of every sequence of up to 6 pieces that matter (brackets written both ways, a
    /// stray `%`, `+`, escapes), plus the depth limit.
    #[test]
    fn a_plain_key_is_read_as_the_decoded_key() {
        let pieces = ["%5B", "%5D", "a", "0", "+", "%", "[", "]", "%5b", "%5d", "%41", ""];
        let mut keys = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..6 {
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
                let name = decode(&format!("data%5B{key}"));
                let mut whole = Vec::new();
                path_of(&name, &mut whole);
                assert_eq!(whole[0], "data", "{key}");
                assert_eq!(whole[1..], path[..], "{key}");
                assert!(whole.len() <= MAX_NESTING + 1, "{key}");
            }
        }
        assert!(read > 100, "{read}");
        assert!(plain_path(&all[all.len() - 2], &mut path) && !plain_path(&all[all.len() - 1], &mut path));
    }
}
