//! PHP's own rules, reimplemented byte for byte and measured against PHP
//! itself: the array (`array`), `http_build_query` (`build_query`), the float
//! text it prints (`float`), `parse_str` (`parse_str`) and `json_decode`
//! (`json`). Nothing here knows SPREAD; the order model above builds on it.

mod array;
mod build_query;
mod float;
pub(crate) mod json;
pub(crate) mod parse_str;

pub(crate) use array::variables;
pub use array::{Key, Value};
pub use build_query::{build_query_into, http_build_query, push_nested, urlencode_into};
pub use float::php_float;
