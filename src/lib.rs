//! libspread: send customer profiles and orders to the SPREAD CRM.
//!
//! The core (everything but [`ffi`]) is plain Rust. A map, by concern:
//! - the order: [`fields`] (the one field list), [`validate`], [`order`],
//!   [`dropin`] (the seed's `$post_data` as it is), [`encode`] (`http_build_query`);
//! - sending: [`client`] (configuration, `send`, `enqueue`, `flush`),
//!   [`delivery`] (auth, redirects, retries), [`transport`] (HTTP, TLS trust,
//!   proxies, URL rules), [`retry`], [`auth`], [`batch`] (`send_many`);
//! - keeping: [`spool`] (the crash-safe store), `forward` (flushing it),
//!   `background` (the enqueue delivery thread);
//! - [`log`] (records for the caller's logger), [`error`].
//!
//! The [`ffi`] module is the C ABI that C, C++, PHP and Python use; it only
//! converts and guards.

pub mod auth;
mod background;
pub mod batch;
pub mod client;
pub mod delivery;
pub mod dropin;
pub mod encode;
pub mod error;
pub mod fields;
mod forward;
mod locks;
pub mod log;
pub mod order;
pub mod retry;
pub mod settings;
pub mod spool;
pub mod transport;
pub mod validate;

pub mod ffi;

pub use client::{Client, FlushReport, Response, Sent};
pub use error::{Error, ErrorKind, Result};
pub use order::Order;

/// The crate version, as `spread_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
