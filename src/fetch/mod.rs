//! Fetching: one shared HTTP client, conditional GET, size caps, politeness per host,
//! and charset decoding.
//!
//! - [`client`]: [`Fetcher`], the client every request goes through.
//! - [`politeness`]: per-host concurrency and spacing.
//! - [`charset`]: bytes → text.

pub mod charset;
pub mod client;
pub mod politeness;

pub use client::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
