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
    const OPEN: &str = "%5B";
    const CLOSE: &str = "%5D";
    path.clear();
    if memchr::memchr3(b'+', b'[', b']', key.as_bytes()).is_some() {
        return false;
    }
    let mut rest = key;
    // `data` is the first level: at most MAX_NESTING below it.
    while path.len() < MAX_NESTING {
        let Some(end) = memchr(b'%', rest.as_bytes()) else { return false };
        path.push(&rest[..end]);
        let Some(after) = rest[end..].strip_prefix(CLOSE) else { return false };
        if after.is_empty() {
            return true;
        }
        let Some(next) = after.strip_prefix(OPEN) else { return false };
        rest = next;
    }
    false
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

