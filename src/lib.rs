//! libspread: send customer profiles and orders to the SPREAD CRM.
//!
//! The core (everything but [`ffi`]) is plain Rust, one folder per concern,
//! each using only those listed before it:
//! - [`error`], [`log`] and `fork` (what every layer shares: the error type,
//!   records for the caller's logger, state that a `fork()` must not inherit);
//! - [`php`]: PHP's own rules (its array, `http_build_query`, float text,
//!   `parse_str`, `json_decode`), byte for byte;
//! - [`order`]: the order model, its [`fields`] table, validation and the
//!   [`dropin`] (the seed's `$post_data` as it is);
//! - [`spool`]: the crash-safe store on disk, safe in a folder a neighbour can write;
//! - [`send`]: the [`client`] and its [`settings`], one delivery (auth,
//!   redirects, retries), batches, per-order turns, the flush, background
//!   delivery, and `transport` (HTTP, TLS trust, proxies, URL rules).
//!
//! The [`ffi`] module is the C ABI that C, C++, PHP and Python use, one module
//! per C type over the core; it only converts and guards.

pub mod error;
mod fork;
pub mod log;
pub mod order;
pub mod php;
pub mod send;
pub mod spool;

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

// The 0.1 paths, kept: the modules callers name (`spread::client::Client`,
// `spread::fields::ORDER_STATE`, `spread::encode::http_build_query`, ...).
pub use order::{dropin, fields};
pub use php as encode;
pub use send::{client, settings};

pub use client::{Client, FlushReport, Response, Sent};
pub use error::{Error, ErrorKind, Result};
pub use order::Order;
pub use send::transport::{TlsRoots, MAX_CONCURRENCY};

/// The crate version, as `spread_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
