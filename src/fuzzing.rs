//! Read-only doors into the parsers that read outside input, for the fuzz targets
//! in `fuzz/` (`make test-fuzz`). Hidden: not part of the API, no logic here.

use std::time::{Duration, SystemTime};

use crate::error::Result;
use crate::order::Order;
use crate::send::transport::policy;

/// The drop-in's form body, through the whole parse only (`from_form` may take its
/// quick scan): both must agree.
pub fn form_whole(body: &str, strict: bool) -> Result<Order> {
    crate::order::dropin::from_form_whole(body, strict)
}

/// `WWW-Authenticate` values: the Digest challenge chosen, and its answer.
pub fn digest(headers: &[&str], method: &str, uri: &str) -> Option<String> {
    crate::send::auth::parse_digest(headers.iter().copied()).map(|c| crate::send::auth::digest_response(&c, "PUBLIC_KEY", "PRIVATE_KEY", method, uri))
}

/// A `Retry-After` value at `now`.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    crate::send::retry::parse_retry_after(value, now)
}

/// Where a redirect from `from` (a URL, also the configured base) goes, for its `Location` and status.
pub fn location(from: &str, location: Option<&str>, status: u16, allow_insecure_http: bool) -> Option<Result<String>> {
    let from = url::Url::parse(from).ok()?;
    Some(policy::next_hop(&from, &from, location, status, allow_insecure_http).map(String::from))
}

/// What an answer's status means, and the excerpt of its body an error quotes
/// (a rejected order's message).
pub fn answer(status: u16, body: &str) -> (String, String) {
    (format!("{:?}", policy::verdict(status)), policy::excerpt(body))
}

/// A form body as SPREAD's PHP reads it into `$_POST` (`parse_str`'s array), for the
/// test against PHP itself (tests/php_parse.rs).
pub fn form_tree(body: &str) -> Result<Vec<(crate::php::Key, crate::php::Value)>> {
    crate::php::parse_str::tree(body)
}
