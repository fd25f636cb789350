//! One spooled request on disk: a line of versioned JSON metadata, then the
//! form body. The metadata says where the request goes (the base URL and a
//! fingerprint of the public key, never a key itself), so a flush delivers
//! only its own entries.
//!
//! Names sort in delivery order and say whose they are without opening the
//! file: `<seq, 16 hex>-<destination tag, 8 hex>-<random, 8 hex>.req`. The
//! sequence comes from the spool's counter (seq.rs), never from a clock.

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

impl Destination {
    pub fn new(base_url: &str, public_key: &str) -> Destination {
        let digest = Sha256::digest(public_key.as_bytes());
        Destination { base_url: base_url.to_owned(), key: format!("sha256:{}", &hex(&digest)[..16]) }
    }

    /// 8 hex digits naming this destination in file names.
    pub fn tag(&self) -> String {
        let digest = Sha256::digest(format!("{}\n{}", self.base_url, self.key).as_bytes());
        hex(&digest[..4])
    }
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

/// The file name of entry `seq` for `tag`.
pub fn file_name(seq: u64, tag: &str, random: u32) -> String {
    format!("{seq:016x}-{tag}-{random:08x}.{ENTRY_EXT}")
}

/// The sequence number and destination tag a name carries (None for legacy
/// names and anything else).
pub fn parse_name(name: &str) -> Option<(u64, &str)> {
    let stem = name.strip_suffix(".req")?;
    let mut parts = stem.split('-');
    let (seq, tag, rand) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || seq.len() != 16 || tag.len() != 8 || rand.len() != 8 {
        return None;
    }
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hex(tag) && is_hex(rand)).then_some(())?;
    Some((u64::from_str_radix(seq, 16).ok()?, tag))
}

/// Parses a complete entry file; the error says why it is not one.
pub fn parse(bytes: &[u8]) -> Result<Entry, String> {
    if let Some(rest) = bytes.strip_prefix(LEGACY_MAGIC) {
        return parse_legacy(rest);
    }
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or("no metadata line")?;
    let meta: Meta = serde_json::from_slice(&bytes[..newline]).map_err(|e| format!("metadata is not valid: {e}"))?;
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
        let name = file_name(42, &dest.tag(), 0xdead_beef);
        assert_eq!(parse_name(&name), Some((42, dest.tag().as_str())));
        assert!(file_name(9, "00000000", 1) < file_name(10, "00000000", 0));
        assert_eq!(parse_name("000000000000000000123456-00000001-0000000042.req"), None);
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
