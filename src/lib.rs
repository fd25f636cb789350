//! libspread: send customer profiles and orders to the SPREAD CRM.
//!
//! The core (everything but [`ffi`]) is plain Rust. A map, by concern:
//! - the order: [`fields`] (the one field list), `validate`, [`order`],
//!   [`dropin`] (the seed's `$post_data` as it is), [`encode`] (`http_build_query`);
//! - sending: [`client`] (configuration, `send`, `enqueue`, `flush`),
//!   `delivery` (auth, redirects, retries), `transport` (HTTP, TLS trust,
//!   proxies, URL rules), `retry`, `auth`, `batch` (`send_many`), [`settings`];
//! - keeping: [`spool`] (the crash-safe store), `forward` (flushing it),
//!   `background` (the enqueue delivery thread);
//! - [`log`] (records for the caller's logger), [`error`].
//!
//! Only what callers use is public; the rest is the crate's own.
//!
//! The [`ffi`] module is the C ABI that C, C++, PHP and Python use; it only
//! converts and guards.

mod auth;
mod background;
mod batch;
pub mod client;
mod delivery;
pub mod dropin;
pub mod encode;
pub mod error;
pub mod fields;
mod fork;
mod forward;
mod locks;
pub mod log;
pub mod order;
mod retry;
pub mod settings;
pub mod spool;
mod transport;
mod validate;

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub use client::{Client, FlushReport, Response, Sent};
pub use transport::{TlsRoots, MAX_CONCURRENCY};
pub use error::{Error, ErrorKind, Result};
pub use order::Order;

/// The crate version, as `spread_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
