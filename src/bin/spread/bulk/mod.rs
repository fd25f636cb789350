//! `send` and `check`: files of JSON lines, one seed `$post_data` per line.
//!
//! `send` streams: it reads a chunk of lines, sends the chunk with
//! `Client::send_many`, writes what failed, and goes on, so a file of any
//! size takes little memory and the progress never stalls for long.
//!
//! `input` reads the lines, `send` sends them and reports (`progress`: on
//! stderr while it runs), `failed` writes what failed, `check` only validates.

mod check;
mod failed;
mod input;
mod progress;
mod send;

pub use check::check;
pub use send::send;
