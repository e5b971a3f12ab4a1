//! Fetching: one shared HTTP client, conditional GET, size caps, politeness per host.
//! Bodies stay bytes: they are decoded where they are parsed ([`crate::text::charset`]).
//!
//! - [`client`]: [`Fetcher`], the client every request goes through.
//! - [`politeness`]: per-host concurrency and spacing.

pub mod client;
pub mod politeness;

pub use client::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
