//! The data that flows through the pipeline, shared by every stage.
//!
//! - [`Entry`]: one item as a source yields it (a feed entry, a link on a list page),
//!   before processing.
//! - [`Article`]: what extraction finds on one article page.
//! - [`Item`]: a processed, stored entry with its stable id and revision.
//! - [`HubLink`]: the WebSub hub a feed names, for subscribing to its pushes.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// When something was published: an instant with its offset, or only a day when the
/// page shows no time (many portals print `2022年9月7日`). Printed as RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PubDate {
    Instant(DateTime<FixedOffset>),
    Day(NaiveDate),
}

impl PubDate {
    /// A point in time for sorting: a bare day counts as its midnight UTC.
    pub fn timestamp(&self) -> i64 {
        match self {
            PubDate::Instant(t) => t.timestamp(),
            PubDate::Day(d) => d
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .unwrap_or(0),
        }
    }

    /// The calendar day as the publisher wrote it (in the instant's own offset).
    pub fn day(&self) -> NaiveDate {
        match self {
            PubDate::Instant(t) => t.date_naive(),
            PubDate::Day(d) => *d,
        }
    }

    /// An instant in UTC (a bare day is midnight UTC), for formats that need one.
    pub fn to_utc(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap_or_default()
    }

    pub fn parse(s: &str) -> Option<PubDate> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(PubDate::Instant(t));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(PubDate::Day)
    }
}

impl fmt::Display for PubDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PubDate::Instant(t) => write!(f, "{}", t.to_rfc3339()),
            PubDate::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

impl Serialize for PubDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PubDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PubDate::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad date {s:?}")))
    }
}

/// A feed as parsed: its own metadata and its entries, in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The site the feed belongs to (absolute).
    pub link: Option<String>,
    pub description: Option<String>,
    pub entries: Vec<Entry>,
    /// WebSub hubs the feed advertises (`<link rel="hub">`, `atom:link rel="hub"`,
    /// JSON Feed `hubs`), absolute, in document order.
    pub hubs: Vec<String>,
    /// The feed's own URL as it names it (`rel="self"`, JSON Feed `feed_url`): the
    /// topic to subscribe to at its hub.
    pub self_url: Option<String>,
}

/// A feed's WebSub hub (`rel="hub"`) and its topic (`rel="self"`, else the URL it was
/// fetched from): what to subscribe to for pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLink {
    pub hub: String,
    pub topic: String,
}

/// One entry as a source yields it. Every field is optional: real feeds omit anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The publisher's own id (RSS guid, Atom id, JSON Feed id).
    pub id: Option<String>,
    /// Absolute URL of the article.
    pub url: Option<String>,
    pub title: Option<String>,
    /// A subtitle or kicker printed with the headline (副题, 引题), from the article page.
    #[serde(default)]
    pub subtitle: Option<String>,
    pub published: Option<PubDate>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// The original publisher named on the page (来源), when it is not the site itself.
    pub origin: Option<String>,
    /// A teaser, HTML or text as the feed gives it.
    pub summary: Option<String>,
    /// Full content as HTML, when the feed carries it.
    pub content_html: Option<String>,
    /// A link to a document (pdf, doc, xls …) rather than an article page: never extracted.
    #[serde(default)]
    pub attachment: bool,
}

/// One link found on an article-list page (`tidings scan`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    /// Absolute URL.
    pub url: String,
    pub title: String,
    pub published: Option<PubDate>,
}

/// What extraction finds on an article page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub title: Option<String>,
    /// A subtitle or kicker printed with the headline (副题, 引题).
    pub subtitle: Option<String>,
    pub published: Option<PubDate>,
    /// The writer (作者, 记者, 文), never an editor (责任编辑).
    pub author: Option<String>,
    /// The original publisher (来源, `ContentSource`).
    pub origin: Option<String>,
    /// The main content as HTML: paragraphs, images with absolute `src`, line breaks.
    pub content_html: String,
    /// The main content as plain text, paragraphs separated by newlines.
    pub content_text: String,
}

/// An entry after processing, as stored and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub source: String,
    /// Stable id: the publisher's id, else the canonical URL, else a content hash.
    pub id: String,
    pub url: Option<String>,
    pub title: String,
    /// Shown under the title; not part of the revision (an item stored before subtitles
    /// were kept must not look updated).
    #[serde(default)]
    pub subtitle: Option<String>,
    pub published: Option<PubDate>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub origin: Option<String>,
    pub summary: Option<String>,
    pub content_text: Option<String>,
    pub content_html: Option<String>,
    /// When this daemon first stored the item.
    pub first_seen: DateTime<Utc>,
    /// Hash of the title and content; a change makes the item an update.
    pub revision: u64,
}

impl Item {
    /// The time to sort by: published, else first seen.
    pub fn sort_time(&self) -> i64 {
        self.published
            .map(|p| p.timestamp())
            .unwrap_or_else(|| self.first_seen.timestamp())
    }
}

/// Whether a stored item is new or a changed version of one seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    New,
    Updated,
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemStatus::New => "new",
            ItemStatus::Updated => "updated",
        })
    }
}
