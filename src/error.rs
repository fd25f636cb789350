//! The core's one error type. Messages name the field or the cause and never
//! carry a secret (keys, Authorization headers, URLs with credentials).

use std::fmt;
use std::time::Duration;

/// Why something failed; each kind maps to one stable C status code.
/// [`ErrorKind::name`] is its name in files and JSON (`invalid_value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ErrorKind {
    /// A value does not follow its field's rule.
    InvalidValue,
    /// A field SPREAD requires is not set.
    MissingField,
    /// The client is configured wrongly (URL, CA file, keys, spool folder).
    Config,
    /// The connection could not be made, or broke.
    Network,
    /// A connect or total time budget ran out.
    Timeout,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// A redirect was refused (to another origin, too many, to plain http,
    /// unparsable): never a verdict on the order.
    Redirect,
    /// SPREAD refused the credentials (401, 403), or a proxy its own (407).
    Auth,
    /// SPREAD refused the order's content (400, 409, 422): the only answer
    /// that may keep an order from being delivered later.
    Rejected,
    /// SPREAD failed (5xx) or cannot take the request now (408, 429).
    Server,
    /// The endpoint cannot take the request (404, 405, 410, 413 …) or the
    /// answer is not one SPREAD gives (1xx, 300, 304, 305 …): a wrong URL or
    /// a misconfigured server, never a verdict on the order.
    Endpoint,
    /// A local file could not be read or written.
    Io,
    /// A bug in libspread (a worker thread that died).
    Internal,
}

impl ErrorKind {
    /// The kind in snake case, as the CLI's `--failed` reasons and JSON name it.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The HTTP status, for errors that come from an answer.
    pub status: Option<u16>,
    /// How long the server asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), status: None, retry_after: None }
    }

    pub fn invalid(field: &str, why: impl fmt::Display) -> Self {
        Error::new(ErrorKind::InvalidValue, format!("{field}: {why}"))
    }

    pub fn config(what: &str, why: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Config, format!("{what}: {why}"))
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether trying the same request again within this send may succeed:
    /// the network, a timeout, a 5xx other than 501/505, 408 and 429.
    /// Resending is safe because SPREAD updates by order_idorder.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::Network | ErrorKind::Timeout => true,
            ErrorKind::Server => !matches!(self.status, Some(501 | 505)),
            _ => false,
        }
    }

    /// Whether the failure is about the delivery (transport, endpoint,
    /// account) rather than the order: then a spool keeps the order for a
    /// later flush. Only a refusal of the order's content, or a local
    /// problem before sending (validation, configuration), loses that right.
    pub fn is_delivery_failure(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Tls | ErrorKind::Redirect | ErrorKind::Auth | ErrorKind::Server | ErrorKind::Endpoint
        )
    }

    /// SPREAD refused this order's content: only this sets an entry aside.
    pub fn is_content_refusal(&self) -> bool {
        self.kind == ErrorKind::Rejected
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_in_snake_case() {
        assert_eq!(ErrorKind::InvalidValue.name(), "invalid_value");
        assert_eq!(ErrorKind::MissingField.name(), "missing_field");
        assert_eq!(ErrorKind::Rejected.name(), "rejected");
    }

    fn answer(kind: ErrorKind, status: u16) -> Error {
        Error::new(kind, "x").with_status(status)
    }

    #[test]
    fn only_content_refusals_lose_the_right_to_a_spool() {
        for e in [answer(ErrorKind::Auth, 403), answer(ErrorKind::Endpoint, 404), answer(ErrorKind::Server, 501), Error::new(ErrorKind::Tls, "x")] {
            assert!(e.is_delivery_failure() && !e.is_content_refusal(), "{e:?}");
        }
        let refused = answer(ErrorKind::Rejected, 422);
        assert!(refused.is_content_refusal() && !refused.is_delivery_failure() && !refused.is_transient());
        assert!(!Error::invalid("f", "x").is_delivery_failure());
    }

    #[test]
    fn transient_failures_are_retried_now() {
        assert!(answer(ErrorKind::Server, 503).is_transient());
        assert!(!answer(ErrorKind::Server, 505).is_transient());
        assert!(answer(ErrorKind::Server, 429).is_transient());
        assert!(answer(ErrorKind::Server, 408).is_transient());
        assert!(!answer(ErrorKind::Endpoint, 404).is_transient());
        assert!(!answer(ErrorKind::Auth, 401).is_transient());
    }
}
