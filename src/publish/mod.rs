//! Stored items → RSS 2.0, Atom, JSON Feed, OPML.
//!
//! - [`select`]: which items a configured feed holds (sources, filters, limit, order).
//! - [`entry`]: one item made ready to publish: stable id, sanitised HTML, dates.
//! - [`atom`], [`rss`], [`json`]: the three feed formats, each a pure function of a
//!   [`FeedDoc`].
//! - [`opml`]: the list of served feeds, for import into a reader.
//! - [`cache`]: serialised bytes per feed and format, rebuilt only when the feed's
//!   sources change.

pub mod atom;
pub mod cache;
pub mod entry;
pub mod json;
pub mod opml;
pub mod rss;
pub mod select;

use crate::config::{Config, FeedConfig};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
pub use entry::{FeedEntry, tag_uri};

/// The formats a feed is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    /// The format named by a URL extension (`atom`, `rss`, `json`).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "atom" => Some(Format::Atom),
            "rss" => Some(Format::Rss),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("publish: reading items of feed {feed}: {source}")]
    Store {
        feed: String,
        source: crate::store::StoreError,
    },
    #[error("publish: writing {format:?} of feed {feed}: {message}")]
    Write {
        feed: String,
        format: Format,
        message: String,
    },
}

/// Everything a format writer needs: the feed's metadata and its entries, newest first.
#[derive(Debug, Clone)]
pub struct FeedDoc {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// The daemon's public base URL, without a trailing slash.
    pub base_url: String,
    /// The WebSub hub the feed advertises ([`crate::websub::hub_url`]).
    pub hub: String,
    pub entries: Vec<FeedEntry>,
}

impl FeedDoc {
    /// Build the document of a configured feed from its selected items; `zone` gives a
    /// source's time zone (see [`source_zone`]), in which a bare day starts.
    pub fn new(
        config: &Config,
        feed: &FeedConfig,
        items: Vec<crate::model::Item>,
        zone: impl Fn(&str) -> Tz,
    ) -> FeedDoc {
        FeedDoc {
            id: feed.id.clone(),
            title: xml_text(feed.title.as_deref().unwrap_or(&feed.id)),
            description: feed.description.as_deref().map(xml_text),
            base_url: base_url(config),
            hub: crate::websub::hub_url(config),
            entries: items
                .iter()
                .map(|item| FeedEntry::from_item(item, zone(&item.source)))
                .collect(),
        }
    }

    /// Where this feed is served in `format`.
    pub fn url(&self, format: Format) -> String {
        feed_url(&self.base_url, &self.id, format)
    }

    /// The feed's last change: the newest entry time, else the Unix epoch (a fixed value
    /// keeps the bytes, and so the ETag, stable while nothing changes).
    pub fn updated(&self) -> DateTime<FixedOffset> {
        self.entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or_default()
    }
}

/// A source's time zone: the configured one, else the zone its last poll read dates in
/// (from the pages' evidence, [`crate::zone`]), else UTC.
pub fn source_zone(config: &Config, store: &crate::store::Store, source: &str) -> Tz {
    config
        .source(source)
        .and_then(|s| config.configured_zone(s))
        .or_else(|| {
            let state = store.source_state(source).ok()?;
            state.zone.as_deref()?.parse().ok()
        })
        .unwrap_or(Tz::UTC)
}

/// `daemon.public_url` without its trailing slash.
pub fn base_url(config: &Config) -> String {
    config
        .daemon
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_string()
}

pub fn feed_url(base_url: &str, feed_id: &str, format: Format) -> String {
    format!("{base_url}/feeds/{feed_id}.{}", format.extension())
}

/// Serialise a feed document.
pub fn render(doc: &FeedDoc, format: Format) -> Result<Vec<u8>, PublishError> {
    let written = match format {
        Format::Atom => atom::render(doc),
        Format::Rss => rss::render(doc),
        Format::Json => json::render(doc),
    };
    written.map_err(|message| PublishError::Write {
        feed: doc.id.clone(),
        format,
        message,
    })
}

/// Text with the characters XML 1.0 cannot carry removed (C0 controls other than tab,
/// newline and carriage return; U+FFFE/U+FFFF). One stray control byte in a scraped
/// title would otherwise make the whole feed unreadable to strict parsers.
pub fn xml_text(s: &str) -> String {
    s.chars().filter(|&c| xml_char(c)).collect()
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_control_characters_and_keeps_chinese() {
        assert_eq!(xml_text("区内\u{0}要闻\u{8}\t"), "区内要闻\t");
    }
}
