//! HTTP authentication with the API keys: Basic sent up front (one round
//! trip), Digest (RFC 7616, MD5 and SHA-256, qop=auth) when a server asks for
//! it, written the way curl writes it.

use base64::Engine as _;
use md5::Md5;
use sha2::{Digest as _, Sha256};

/// The `Authorization` value for Basic. Never logged, never in an error.
pub fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// A parsed `WWW-Authenticate: Digest ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    pub sess: bool,
    /// The server offered `qop=auth` (otherwise RFC 2069 style).
    pub qop_auth: bool,
    /// The server says the previous nonce expired, not that the keys are wrong.
    pub stale: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn hex(self, data: &str) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Splits a `WWW-Authenticate` value at commas outside quoted strings.
fn items(s: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.retain(|item| !item.is_empty());
    out
}

/// `key=value` or `key="quoted \"value\""`, the key lower-cased.
fn param(item: &str) -> Option<(String, String)> {
    let (key, value) = item.split_once('=')?;
    let value = value.trim();
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
            }
            out
        }
        None => value.to_owned(),
    };
    Some((key.trim().to_ascii_lowercase(), value))
}

/// The challenges of `WWW-Authenticate` values, each as its scheme (lower
/// case) and its parameters. One value may hold several challenges
/// (`Basic realm="x", Digest realm="y", nonce="n"`): a new one starts at an
/// item that begins with a scheme name.
fn challenges<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for header in headers {
        for item in items(header) {
            let first = item.split([' ', '=']).next().unwrap_or("");
            let starts_challenge = !item[first.len()..].trim_start().starts_with('=') || !item.contains('=');
            if starts_challenge && !first.is_empty() {
                let rest = item[first.len()..].trim();
                out.push((first.to_ascii_lowercase(), param(rest).into_iter().collect()));
            } else if let (Some(last), Some(p)) = (out.last_mut(), param(item)) {
                last.1.push(p);
            }
        }
    }
    out
}

/// The best Digest challenge among `WWW-Authenticate` values: SHA-256 over MD5.
/// Challenges with an algorithm or qop we cannot answer are skipped.
pub fn parse_digest<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<DigestChallenge> {
    let mut best: Option<DigestChallenge> = None;
    for (scheme, params) in challenges(headers) {
        if scheme != "digest" {
            continue;
        }
        let mut realm = String::new();
        let mut nonce = None;
        let mut opaque = None;
        let mut algorithm = Some((Algorithm::Md5, false));
        let mut qop = None;
        let mut stale = false;
        for (k, v) in params {
            match k.as_str() {
                "realm" => realm = v,
                "nonce" => nonce = Some(v),
                "opaque" => opaque = Some(v),
                "qop" => qop = Some(v),
                "stale" => stale = v.eq_ignore_ascii_case("true"),
                "algorithm" => {
                    algorithm = match v.to_ascii_uppercase().as_str() {
                        "MD5" => Some((Algorithm::Md5, false)),
                        "MD5-SESS" => Some((Algorithm::Md5, true)),
                        "SHA-256" => Some((Algorithm::Sha256, false)),
                        "SHA-256-SESS" => Some((Algorithm::Sha256, true)),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        let qop_auth = match &qop {
            None => false,
            Some(q) if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) => true,
            Some(_) => continue, // auth-int only: we cannot answer it
        };
        let (Some(nonce), Some((algorithm, sess))) = (nonce, algorithm) else { continue };
        let candidate = DigestChallenge { realm, nonce, opaque, algorithm, sess, qop_auth, stale };
        if best.as_ref().is_none_or(|b| b.algorithm == Algorithm::Md5 && algorithm == Algorithm::Sha256) {
            best = Some(candidate);
        }
    }
    best
}

fn random_cnonce() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Entropy is only needed against replay by the server side; time will do.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes[..16].copy_from_slice(&t.as_nanos().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Authorization` value answering `challenge` for `POST uri`.
pub fn digest_response(challenge: &DigestChallenge, user: &str, password: &str, method: &str, uri: &str) -> String {
    digest_response_with(challenge, user, password, method, uri, &random_cnonce())
}

fn digest_response_with(c: &DigestChallenge, user: &str, password: &str, method: &str, uri: &str, cnonce: &str) -> String {
    let h = |s: &str| c.algorithm.hex(s);
    let nc = "00000001";
    let mut ha1 = h(&format!("{user}:{}:{password}", c.realm));
    if c.sess {
        ha1 = h(&format!("{ha1}:{}:{cnonce}", c.nonce));
    }
    let ha2 = h(&format!("{method}:{uri}"));
    let response = if c.qop_auth { h(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce)) } else { h(&format!("{ha1}:{}:{ha2}", c.nonce)) };
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!("Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\"", quote(user), quote(&c.realm), quote(&c.nonce), quote(uri));
    if c.qop_auth {
        out.push_str(&format!(", cnonce=\"{cnonce}\", nc={nc}, qop=auth"));
    }
    out.push_str(&format!(", response=\"{response}\""));
    if let Some(opaque) = &c.opaque {
        out.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
    }
    let alg = match (c.algorithm, c.sess) {
        (Algorithm::Md5, false) => "MD5",
        (Algorithm::Md5, true) => "MD5-sess",
        (Algorithm::Sha256, false) => "SHA-256",
        (Algorithm::Sha256, true) => "SHA-256-sess",
    };
    out.push_str(&format!(", algorithm={alg}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_matches_curl_on_the_wire() {
        // What curl sends for these keys: tests/fixtures/curl-wire.md
        assert_eq!(basic("PUBLIC_KEY", "PRIVATE_KEY"), "Basic UFVCTElDX0tFWTpQUklWQVRFX0tFWQ==");
    }

    #[test]
    fn rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life".
        let c = parse_digest([
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        ])
        .unwrap();
        assert!(c.qop_auth);
        let v = digest_response_with(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b");
        assert!(v.contains(r#"response="6629fae49393a05397450978507c4ef1""#), "{v}");
        assert!(v.contains(r#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#));
    }

    #[test]
    fn rfc_7616_sha256_example() {
        // RFC 7616 §3.9.1 (SHA-256 with qop=auth).
        let c = parse_digest([
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        ])
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::Sha256);
        let v = digest_response_with(&c, "Mufasa", "Circle of Life", "GET", "/dir/index.html", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
        assert!(v.contains(r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#), "{v}");
    }

    #[test]
    fn unanswerable_challenges_are_skipped() {
        assert!(parse_digest([r#"Basic realm="x""#]).is_none());
        assert!(parse_digest([r#"Digest realm="x", nonce="n", qop="auth-int""#]).is_none());
        assert!(parse_digest([r#"Digest realm="x", nonce="n", algorithm=SHA-512-256"#]).is_none());
    }

    #[test]
    fn several_challenges_in_one_header_any_case() {
        let c = parse_digest([r#"Basic realm="x, y", DIGEST realm="api", nonce="n1", qop="auth", stale=TRUE, Bearer"#]).unwrap();
        assert_eq!((c.realm.as_str(), c.nonce.as_str(), c.qop_auth, c.stale), ("api", "n1", true, true));
        let c = parse_digest([r#"Newauth realm="apps", type=1, title="Login to \"apps\"", digest realm="b", nonce="n2""#]).unwrap();
        assert_eq!((c.realm.as_str(), c.nonce.as_str(), c.stale), ("b", "n2", false));
        assert!(parse_digest([r#"Basic realm="Digest realm=x""#]).is_none());
    }
}
