//! Sending: the client and its options, one delivery (auth, redirects,
//! retries), batches, per-order turns, the spool's flush, background delivery,
//! and the HTTP transport under them all.

pub(crate) mod auth;
pub(crate) mod background;
pub(crate) mod batch;
pub mod client;
pub(crate) mod core;
pub(crate) mod delivery;
pub(crate) mod flush;
mod flush_workers;
mod maintenance;
pub mod options;
pub(crate) mod retry;
pub mod secrets;
pub mod settings;
pub(crate) mod transport;
pub(crate) mod turns;
