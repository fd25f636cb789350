//! libspread: send customer profiles and orders to the SPREAD CRM.
//!
//! The core (everything but [`ffi`]) is plain Rust: build an [`Order`], check
//! it, encode it exactly as PHP's `http_build_query` would, and send it with a
//! [`Client`]. The [`ffi`] module is the C ABI that C, C++, PHP and Python use;
//! it only converts and guards.

pub mod auth;
pub mod client;
pub mod encode;
pub mod error;
pub mod fields;
pub mod order;
pub mod retry;
pub mod spool;
pub mod validate;

pub mod ffi;

pub use client::{Client, FlushReport, Response, Sent};
pub use error::{Error, ErrorKind, Result};
pub use order::Order;

/// The crate version, as `spread_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
