//! The core's one error type. Messages name the field or the cause and never
//! carry a secret (keys, Authorization headers, URLs with credentials).

use std::fmt;
use std::time::Duration;

/// Why something failed; each kind maps to one stable C status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A value does not follow its field's rule.
    InvalidValue,
    /// A field SPREAD requires is not set.
    MissingField,
    /// The client is configured wrongly (URL, CA file, keys).
    Config,
    /// The connection could not be made, or broke.
    Network,
    /// A connect or total time budget ran out.
    Timeout,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// A redirect was refused (too many, to plain http, unparsable).
    Redirect,
    /// SPREAD refused the credentials (401/403).
    Auth,
    /// SPREAD rejected the request (4xx other than 401/403).
    Rejected,
    /// SPREAD failed (5xx).
    Server,
    /// A local file could not be read or written.
    Io,
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

    /// Whether the same request may succeed later: the network, a timeout,
    /// a 5xx other than 501/505, 408 and 429. Resending is safe because SPREAD
    /// updates by order_idorder. Everything else would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Network | ErrorKind::Timeout => true,
            ErrorKind::Server => !matches!(self.status, Some(501 | 505)),
            ErrorKind::Rejected => matches!(self.status, Some(408 | 429)),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
