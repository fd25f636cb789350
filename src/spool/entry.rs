//! One spooled request on disk: a line of versioned JSON metadata, then the
//! form body. The metadata says where the request goes (the base URL and a
//! fingerprint of the public key, never a key itself), so a flush delivers
//! only its own entries.
//!
//! Names sort in delivery order and say whose they are without opening the
//! file: `<seq, 16 hex>-<destination tag, 8 hex>-<order key, 8 hex>-<random,
//! 8 hex>.req` (libspread 0.2 wrote them without the order key). The
//! sequence comes from the spool's counter (seq.rs), never from a clock; the
//! order key lets a send see whether an older update of its order waits
//! without opening any file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The only endpoint entries may name: an entry that names another is set aside.
pub const UPDATE_ORDER: &str = "updateOrder";
pub const ENTRY_EXT: &str = "req";
const FORMAT: &str = "spread-spool";
const VERSION: u32 = 2;
/// First line of entries written by libspread 0.1 (no destination recorded).
const LEGACY_MAGIC: &[u8] = b"SPREAD-SPOOL 1\n";

/// Where a client sends: its base URL and which account (by fingerprint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    pub base_url: String,
    /// `sha256:` and the first 16 hex digits of SHA-256(public key).
    pub key: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One form for one endpoint: scheme and host in lower case, no default
/// port, no trailing slash (`https://X.example:443/api/` is `https://x.example/api`).
pub fn normalize_base_url(raw: &str) -> String {
    let url = url::Url::parse(raw).map_or_else(|_| raw.to_owned(), |u| u.as_str().to_owned());
    url.trim_end_matches('/').to_owned()
}

fn tag_of(base_url: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{base_url}\n{key}").as_bytes());
    hex(&digest[..4])
}

impl Destination {
    pub fn new(base_url: &str, public_key: &str) -> Destination {
        let digest = Sha256::digest(public_key.as_bytes());
        Destination { base_url: normalize_base_url(base_url), key: format!("sha256:{}", &hex(&digest)[..16]) }
    }

    /// The same account (key fingerprint) at another base URL.
    pub fn at(&self, base_url: &str) -> Destination {
        Destination { base_url: normalize_base_url(base_url), key: self.key.clone() }
    }

    /// 8 hex digits naming this destination in file names.
    pub fn tag(&self) -> String {
        tag_of(&self.base_url, &self.key)
    }

    /// The tags this destination's entries may carry: its own, and the one
    /// libspread 0.2 gave the same base URL written with a trailing slash.
    pub fn tags(&self) -> [String; 2] {
        [self.tag(), tag_of(&format!("{}/", self.base_url), &self.key)]
    }
}

/// 8 hex digits naming an order in file names (`00000000` for an order without an id).
pub fn order_key(order_id: Option<&str>) -> String {
    match order_id {
        Some(id) => hex(&Sha256::digest(format!("order\n{id}").as_bytes())[..4]),
        None => "00000000".into(),
    }
}

/// What an entry's name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name<'a> {
    pub seq: u64,
    pub tag: &'a str,
    /// The order key; None for names written before they carried it.
    pub order: Option<&'a str>,
}

/// The metadata line of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub format: String,
    pub version: u32,
    pub seq: u64,
    pub endpoint: String,
    pub destination: Destination,
    pub order_id: Option<String>,
    /// Unix seconds when it was spooled; shown by `status`, never used for ordering.
    pub spooled_at: u64,
    pub length: usize,
}

/// Whose an entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    Known(Destination),
    /// Written by libspread 0.1, which did not record a destination.
    Legacy,
}

/// A whole entry read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub owner: Owner,
    pub order_id: Option<String>,
    pub body: Vec<u8>,
}

impl Meta {
    pub fn new(seq: u64, destination: &Destination, order_id: Option<&str>, length: usize) -> Meta {
        let spooled_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Meta {
            format: FORMAT.into(),
            version: VERSION,
            seq,
            endpoint: UPDATE_ORDER.into(),
            destination: destination.clone(),
            order_id: order_id.map(str::to_owned),
            spooled_at,
            length,
        }
    }

    /// The file's bytes: the metadata line, then the body.
    pub fn file_bytes(&self, body: &[u8]) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("metadata always serialises");
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        bytes
    }
}

/// The file name of entry `seq` for `tag` and the order `order` (an [`order_key`]).
pub fn file_name(seq: u64, tag: &str, order: &str, random: u32) -> String {
    format!("{seq:016x}-{tag}-{order}-{random:08x}.{ENTRY_EXT}")
}

/// What a name carries (None for legacy names and anything else).
pub fn parse_name(name: &str) -> Option<Name<'_>> {
    let stem = name.strip_suffix(".req")?;
    let parts: Vec<&str> = stem.splitn(5, '-').collect();
    let (seq, tag, order, rand) = match parts[..] {
        [seq, tag, rand] => (seq, tag, None, rand),
        [seq, tag, order, rand] => (seq, tag, Some(order), rand),
        _ => return None,
    };
    let is_hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hex(seq, 16) && is_hex(tag, 8) && is_hex(rand, 8) && order.is_none_or(|o| is_hex(o, 8))).then_some(())?;
    Some(Name { seq: u64::from_str_radix(seq, 16).ok()?, tag, order })
}

/// The metadata of an entry from the start of its file (None for legacy or broken ones).
pub fn parse_meta(head: &[u8]) -> Option<Meta> {
    let newline = head.iter().position(|&b| b == b'\n')?;
    let mut meta: Meta = serde_json::from_slice(&head[..newline]).ok()?;
    (meta.format == FORMAT && meta.version == VERSION).then_some(())?;
    meta.destination.base_url = normalize_base_url(&meta.destination.base_url);
    Some(meta)
}

/// Parses a complete entry file; the error says why it is not one.
pub fn parse(bytes: &[u8]) -> Result<Entry, String> {
    if let Some(rest) = bytes.strip_prefix(LEGACY_MAGIC) {
        return parse_legacy(rest);
    }
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or("no metadata line")?;
    let mut meta: Meta = serde_json::from_slice(&bytes[..newline]).map_err(|e| format!("metadata is not valid: {e}"))?;
    // Recorded by an older version in another form of the same URL: still the same destination.
    meta.destination.base_url = normalize_base_url(&meta.destination.base_url);
    if meta.format != FORMAT || meta.version != VERSION {
        return Err(format!("unknown format {:?} version {}", meta.format, meta.version));
    }
    if meta.endpoint != UPDATE_ORDER {
        return Err(format!("unknown endpoint {:?}", meta.endpoint));
    }
    let body = &bytes[newline + 1..];
    if body.len() != meta.length {
        return Err(format!("body is {} bytes, its metadata says {}", body.len(), meta.length));
    }
    Ok(Entry { owner: Owner::Known(meta.destination), order_id: meta.order_id, body: body.to_vec() })
}

/// libspread 0.1's format: `endpoint`, `order`, `length` lines, a blank line, the body.
fn parse_legacy(rest: &[u8]) -> Result<Entry, String> {
    let split = rest.windows(2).position(|w| w == b"\n\n").ok_or("legacy entry without a header end")?;
    let header = std::str::from_utf8(&rest[..split]).map_err(|_| "legacy header is not UTF-8")?;
    let body = &rest[split + 2..];
    let (mut endpoint, mut order_id, mut length) = (None, None, None);
    for line in header.lines() {
        match line.split_once(' ') {
            Some(("endpoint", v)) => endpoint = Some(v),
            Some(("order", v)) => order_id = Some(v.to_owned()),
            Some(("length", v)) => length = v.parse::<usize>().ok(),
            _ => return Err(format!("unknown legacy header line {line:?}")),
        }
    }
    if endpoint != Some(UPDATE_ORDER) {
        return Err(format!("unknown endpoint {endpoint:?}"));
    }
    if length != Some(body.len()) {
        return Err("legacy body length differs from its header".into());
    }
    Ok(Entry { owner: Owner::Legacy, order_id, body: body.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_names() {
        let dest = Destination::new("https://social-sb.com/api", "PUBLIC_KEY");
        assert!(dest.key.starts_with("sha256:") && !dest.key.contains("PUBLIC"));
        let meta = Meta::new(42, &dest, Some("7"), 3);
        let e = parse(&meta.file_bytes(b"a=1")).unwrap();
        assert_eq!((e.owner, e.order_id.as_deref(), e.body.as_slice()), (Owner::Known(dest.clone()), Some("7"), &b"a=1"[..]));
        let tag = dest.tag();
        let name = file_name(42, &tag, &order_key(Some("7")), 0xdead_beef);
        let key = order_key(Some("7"));
        assert_eq!(parse_name(&name), Some(Name { seq: 42, tag: &tag, order: Some(&key) }));
        assert_eq!(parse_name("000000000000002a-0badcafe-deadbeef.req"), Some(Name { seq: 42, tag: "0badcafe", order: None }), "0.2's names");
        assert!(file_name(9, "00000000", "00000000", 1) < file_name(10, "00000000", "00000000", 0));
        assert_eq!(parse_name("000000000000000000123456-00000001-0000000042.req"), None);
        assert_eq!(parse_name("000000000000002a-0badcafe-xx-deadbeef.req"), None);
    }

    #[test]
    fn one_destination_whatever_form_its_url_was_written_in() {
        let a = Destination::new("https://Social-SB.com:443/api/", "K");
        assert_eq!(a, Destination::new("https://social-sb.com/api", "K"));
        assert_eq!(Destination::new("https://old.example/api", "K").at("https://Social-SB.com/api/"), a);
        assert_eq!(a.base_url, "https://social-sb.com/api");
        // An entry 0.2 wrote with the trailing slash is still this destination's.
        let mut old = Meta::new(1, &a, None, 0);
        old.destination.base_url = "https://social-sb.com/api/".into();
        assert_eq!(parse(&old.file_bytes(b"")).unwrap().owner, Owner::Known(a.clone()));
        assert!(a.tags().contains(&tag_of("https://social-sb.com/api/", &a.key)));
    }

    #[test]
    fn broken_entries_say_why() {
        let dest = Destination::new("https://x/api", "K");
        let mut bytes = Meta::new(1, &dest, None, 3).file_bytes(b"a=1");
        bytes.pop();
        assert!(parse(&bytes).unwrap_err().contains("body is 2 bytes"));
        let mut other = Meta::new(1, &dest, None, 0);
        other.endpoint = "deleteEverything".into();
        assert!(parse(&other.file_bytes(b"")).unwrap_err().contains("unknown endpoint"));
        assert!(parse(b"garbage").is_err());
    }

    #[test]
    fn legacy_entries_are_read_without_a_destination() {
        let e = parse(b"SPREAD-SPOOL 1\nendpoint updateOrder\norder 5\nlength 3\n\na=1").unwrap();
        assert_eq!((e.owner, e.order_id.as_deref()), (Owner::Legacy, Some("5")));
    }
}
