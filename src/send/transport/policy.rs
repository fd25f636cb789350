//! The URL rules, as pure functions: which base URLs are allowed, which
//! redirects are followed, where credentials may go, and what each HTTP
//! status means for an order. Unit-tested here without a server.

use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// As CURLOPT_MAXREDIRS would be set by a careful shop; curl's own default is unlimited.
pub const MAX_REDIRECTS: u32 = 10;

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Plain http leaks the keys and customers' data to anyone on the path:
/// https always, http only to loopback unless opted in.
pub fn scheme_allowed(url: &Url, allow_insecure_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_insecure_http || is_loopback(url),
        _ => false,
    }
}

/// The configured API root, checked: no credentials, query or fragment, a
/// host, and a scheme that keeps the keys private.
pub fn parse_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    let url = Url::parse(raw).map_err(|e| Error::config("base_url", format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("base_url", "must not contain credentials: pass the keys to the client instead"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config("base_url", "must not have a query or a fragment"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config("base_url", "has no host"));
    }
    check_scheme(&url, allow_insecure_http)?;
    Ok(url)
}

/// The scheme rule for the base URL, as a configuration error naming it:
/// checked when the URL is set and again before every request.
pub fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<()> {
    if scheme_allowed(url, allow_insecure_http) {
        return Ok(());
    }
    Err(Error::config(
        "base_url",
        match url.scheme() {
            "http" => {
                format!("plain http to {} would send the API keys in clear; use https (or allow insecure http explicitly)", url.host_str().unwrap_or("?"))
            }
            other => format!("scheme {other:?} is not http or https"),
        },
    ))
}

/// `<base>/<endpoint>`, whatever trailing slash the base has.
pub fn join(base: &Url, endpoint: &str) -> Result<Url> {
    let base = base.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{endpoint}")).map_err(|e| Error::config("base_url", format!("cannot append {endpoint}: {e}")))
}

/// Credentials go only where the client was pointed: same scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

/// `https://host:port`, for messages and logs (never a path, a query or credentials).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The next URL of a redirect from `from` to `location`, if it may be
/// followed: only within the origin of `base` (the configured base URL).
/// Elsewhere the keys are withheld, so whatever answers there is not SPREAD
/// taking the order: a maintenance page's 200 must not count as delivered.
pub fn next_hop(from: &Url, base: &Url, location: Option<&str>, status: u16, allow_insecure_http: bool) -> Result<Url> {
    let Some(location) = location else {
        return Err(Error::new(ErrorKind::Redirect, format!("HTTP {status} without a Location")));
    };
    let next = from.join(location).map_err(|e| Error::new(ErrorKind::Redirect, format!("cannot follow Location {:?}: {e}", excerpt(location))))?;
    // A Location may carry someone's credentials: never repeated.
    let mut shown = next.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    if from.scheme() == "https" && next.scheme() != "https" {
        return Err(Error::new(ErrorKind::Redirect, format!("refusing a redirect from https to {} ({})", next.scheme(), excerpt(shown.as_str()))));
    }
    if !same_origin(&next, base) {
        return Err(Error::new(
            ErrorKind::Redirect,
            format!(
                "HTTP {status} redirects to {}, outside base_url's origin {}: not followed, the order is kept (if SPREAD's API has moved there, update base_url)",
                excerpt(shown.as_str()),
                origin(base)
            ),
        ));
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err(Error::new(ErrorKind::Redirect, "refusing a redirect to a URL with credentials"));
    }
    if !scheme_allowed(&next, allow_insecure_http) {
        return Err(Error::new(
            ErrorKind::Redirect,
            format!("refusing a redirect to {}://{}: only https (or http on loopback) is followed", next.scheme(), next.host_str().unwrap_or("?")),
        ));
    }
    Ok(next)
}

/// What an answer means for the order it carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered, whatever the body.
    Delivered,
    /// 401: answer a Digest challenge if one is offered (once), else Auth.
    Challenge,
    /// 301/302/303/307/308: follow it (POST and body kept).
    Redirect,
    /// A failure of this kind, with the status.
    Fail(ErrorKind),
}

/// Classifies a status. Only 400, 409 and 422 speak about the order's
/// content; every other refusal is about the endpoint, the account or the
/// server, and keeps the order.
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        401 => Verdict::Challenge,
        301 | 302 | 303 | 307 | 308 => Verdict::Redirect,
        403 | 407 => Verdict::Fail(ErrorKind::Auth),
        400 | 409 | 422 => Verdict::Fail(ErrorKind::Rejected),
        408 | 429 => Verdict::Fail(ErrorKind::Server),
        500..=599 => Verdict::Fail(ErrorKind::Server),
        _ => Verdict::Fail(ErrorKind::Endpoint),
    }
}

/// What a failing status is called in a message.
pub fn describe(status: u16) -> &'static str {
    match verdict(status) {
        Verdict::Fail(ErrorKind::Auth) if status == 407 => "a proxy on the way asks for its own credentials",
        Verdict::Fail(ErrorKind::Auth) | Verdict::Challenge => "SPREAD refused the API keys",
        Verdict::Fail(ErrorKind::Rejected) => "SPREAD rejected the order",
        Verdict::Fail(ErrorKind::Server) if status < 500 => "SPREAD asks to slow down",
        Verdict::Fail(ErrorKind::Server) => "SPREAD failed",
        _ if (400..500).contains(&status) => "the endpoint refused the request (check base_url)",
        _ => "unexpected answer (not one SPREAD gives)",
    }
}

/// A short, single-line excerpt of a server's text for error messages.
pub fn excerpt(body: &str) -> String {
    let one_line: String = body.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &trimmed[..i]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn base_urls() {
        assert!(parse_base_url("https://social-sb.com/api", false).is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/api", false).is_ok());
        assert!(parse_base_url("http://[::1]:8080/api", false).is_ok());
        assert!(parse_base_url("http://localhost/api", false).is_ok());
        let e = parse_base_url("http://example.com/api", false).unwrap_err();
        assert!(e.message.contains("in clear"), "{e}");
        assert!(parse_base_url("http://example.com/api", true).is_ok());
        for bad in ["ftp://x/api", "https://u:p@x/api", "https://x/api?q=1", "https://x/api#f", "not a url"] {
            assert_eq!(parse_base_url(bad, true).unwrap_err().kind, ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn joining_endpoints() {
        assert_eq!(join(&url("https://x/api/"), "updateOrder").unwrap().as_str(), "https://x/api/updateOrder");
        assert_eq!(join(&url("https://x/api"), "updateOrder").unwrap().as_str(), "https://x/api/updateOrder");
    }

    #[test]
    fn credentials_stay_on_their_origin() {
        let base = url("https://api.example:443/api");
        assert!(same_origin(&base, &url("https://api.example/other")));
        assert!(!same_origin(&base, &url("https://api.example:8443/api")));
        assert!(!same_origin(&base, &url("https://evil.example/api")));
        assert!(!same_origin(&base, &url("http://api.example:443/api")));
        let lo = url("http://127.0.0.1:8080/api");
        assert!(!same_origin(&lo, &url("http://127.0.0.2:8080/api")));
        assert!(!same_origin(&lo, &url("http://localhost:8080/api")));
        assert_eq!(origin(&url("https://api.example:8443/api/updateOrder?x=1")), "https://api.example:8443");
    }

    #[test]
    fn redirects() {
        let from = url("https://a.example/api/updateOrder");
        let base = url("https://a.example/api");
        assert_eq!(next_hop(&from, &base, Some("/v2/updateOrder"), 307, false).unwrap().as_str(), "https://a.example/v2/updateOrder");
        assert_eq!(next_hop(&from, &base, Some("https://a.example:443/v2"), 308, false).unwrap().as_str(), "https://a.example/v2");
        assert_eq!(next_hop(&from, &base, Some("http://a.example/x"), 302, true).unwrap_err().kind, ErrorKind::Redirect);
        assert_eq!(next_hop(&from, &base, None, 302, false).unwrap_err().kind, ErrorKind::Redirect);
        let e = next_hop(&from, &base, Some("https://u:p@b.example/m"), 302, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Redirect);
        assert!(e.message.contains("https://b.example/m") && !e.message.contains("u:p"), "{e}");
        // Another origin is never followed, whatever the scheme rules would allow.
        let lo = url("http://127.0.0.1:1/api");
        assert!(next_hop(&lo, &lo, Some("/api/v2"), 307, false).is_ok());
        for elsewhere in ["http://127.0.0.1:2/api", "http://127.0.0.2:1/api", "https://127.0.0.1:1/api", "http://example.com/api", "ftp://127.0.0.1/api"] {
            let e = next_hop(&lo, &lo, Some(elsewhere), 302, true).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Redirect, "{elsewhere}");
            assert!(e.message.contains("update base_url"), "{e}");
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(200), Verdict::Delivered);
        assert_eq!(verdict(204), Verdict::Delivered);
        for s in [400, 409, 422] {
            assert_eq!(verdict(s), Verdict::Fail(ErrorKind::Rejected), "{s}");
        }
        for s in [404, 405, 410, 413, 414, 415, 100, 101, 199, 300, 304, 305, 306, 600, 999] {
            assert_eq!(verdict(s), Verdict::Fail(ErrorKind::Endpoint), "{s}");
        }
        for s in [403, 407] {
            assert_eq!(verdict(s), Verdict::Fail(ErrorKind::Auth), "{s}");
        }
        for s in [408, 429, 500, 502, 503, 505] {
            assert_eq!(verdict(s), Verdict::Fail(ErrorKind::Server), "{s}");
        }
        assert_eq!(describe(304), "unexpected answer (not one SPREAD gives)");
        assert_eq!(describe(404), "the endpoint refused the request (check base_url)");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(" a\nb\r\n"), "a b");
        assert_eq!(excerpt(&"x".repeat(400)).chars().count(), 301);
    }
}
