//! Feeds → [`ParsedFeed`]. (Skeleton: the full implementation replaces this.)

use crate::model::ParsedFeed;
use chrono_tz::Tz;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parse a feed body (bytes as fetched, with the HTTP Content-Type if any). Relative
/// links resolve against `xml:base`, then `url`. Dates without an offset are read in `tz`.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    tz: Tz,
) -> Result<ParsedFeed, FeedError> {
    let _ = (body, content_type, url, tz);
    Err(FeedError::NotAFeed("feed parser not built yet".into()))
}
