//! Fetching: one shared HTTP client, conditional GET, size caps, politeness per host,
//! and charset decoding.

pub mod charset;
