//! Fetching: one shared HTTP client, conditional GET, size caps, politeness per host.
//! Bodies stay bytes: they are decoded where they are parsed ([`crate::text::charset`]).
//!
//! - [`client`]: [`Fetcher`], the client every request goes through.
//! - [`guard`]: which addresses a URL may reach (the rule against request forgery).
//! - [`politeness`]: per-host concurrency and spacing.

pub mod client;
pub mod guard;
pub mod politeness;

pub use client::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
pub use guard::Reach;
