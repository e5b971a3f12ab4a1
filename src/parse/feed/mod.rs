//! Feeds → [`ParsedFeed`]: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1 into
//! one model.
//!
//! Bytes are decoded by [`crate::text::charset`], XML is read by the forgiving reader
//! in [`xml`] (undeclared HTML entities, bare `&`, mis-nested or truncated markup still
//! yield entries), and each format maps its elements onto [`Entry`] in its own module.
//! Relative links resolve against `xml:base`, then the feed URL; dates go through
//! [`date::parse_date`], which reads offset-less times in the source's time zone.

mod atom;
pub mod date;
pub(crate) mod html;
mod json;
pub mod opml;
mod rss;
mod xml;

use crate::model::{Entry, ParsedFeed, PubDate};
use chrono_tz::Tz;
use url::Url;

/// Why a body could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("XML error at line {line} col {col}: {message}")]
    Xml {
        line: usize,
        col: usize,
        message: String,
    },
    #[error("JSON Feed error at line {line} col {col}: {message}")]
    Json {
        line: usize,
        col: usize,
        message: String,
    },
}

/// Parse a feed body (bytes as fetched, with the HTTP Content-Type if any). Relative
/// links resolve against `xml:base`, then `url`. Dates without an offset are read in `tz`.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    tz: Tz,
) -> Result<ParsedFeed, FeedError> {
    parse_feed_text(&crate::text::decode(body, content_type), url, tz)
}

/// Parse a feed that is already text.
pub fn parse_feed_text(text: &str, url: &Url, tz: Tz) -> Result<ParsedFeed, FeedError> {
    read_feed(text, url, tz, true)
}

/// [`parse_feed_text`]; with `stream` false, every entry is read from the whole tree
/// after the document (what the stream must agree with, for the tests).
fn read_feed(text: &str, url: &Url, tz: Tz, stream: bool) -> Result<ParsedFeed, FeedError> {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.is_empty() {
        return Err(FeedError::NotAFeed("the body is empty".into()));
    }
    if text.starts_with('{') || text.starts_with('[') {
        return json::parse(text, url, tz);
    }
    let Some(first_lt) = text.find('<') else {
        let start: String = text.chars().take(40).collect();
        return Err(FeedError::NotAFeed(format!(
            "neither XML nor JSON (starts with {start:?})"
        )));
    };
    let mut entries = EntryStream::new(text, tz);
    let root = if stream {
        xml::parse_into(text, Some(url), &mut entries)
    } else {
        xml::parse(text, Some(url))
    };
    let Some(root) = root else {
        let (line, col) = line_col(text, first_lt);
        return Err(FeedError::Xml {
            line,
            col,
            message: "no element found".into(),
        });
    };
    let cx = ReadContext {
        src: text,
        tz,
        root_ns: &root.ns,
    };
    let mut feed = match root.name.to_ascii_lowercase().as_str() {
        "rss" | "rdf" | "channel" => rss::parse(&cx, &root, entries.in_channel, entries.in_root),
        "feed" => atom::parse(&cx, &root, entries.in_root),
        // An Atom entry document: a feed of one.
        "entry" => atom::parse_entry_document(&cx, &root),
        "html" => return Err(FeedError::NotAFeed("an HTML page (<html> root)".into())),
        _ => {
            return Err(FeedError::NotAFeed(format!(
                "unknown root element <{}>",
                root.name
            )));
        }
    }?;
    (feed.hubs, feed.self_url) = websub_links(&root);
    finish(&mut feed);
    Ok(feed)
}

/// The `rel="hub"` and `rel="self"` links of a feed (Atom `<link>`, or `atom:link` in an
/// RSS channel), resolved against their `xml:base`.
fn websub_links(root: &xml::Node) -> (Vec<String>, Option<String>) {
    let channel = root
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("channel"));
    let links = root
        .children
        .iter()
        .chain(channel.into_iter().flat_map(|c| c.children.iter()))
        .filter(|c| c.name == "link");
    let mut hubs = Vec::new();
    let mut self_url = None;
    for link in links {
        let (Some(rel), Some(href)) = (link.attr("rel"), link.attr("href")) else {
            continue;
        };
        let Some(href) = absolute(href.trim(), link.base.as_deref()) else {
            continue;
        };
        // `rel` is a space-separated list of relations.
        for r in rel.split_ascii_whitespace() {
            if r.eq_ignore_ascii_case("hub") && !hubs.contains(&href) {
                hubs.push(href.clone());
            } else if r.eq_ignore_ascii_case("self") && self_url.is_none() {
                self_url = Some(href.clone());
            }
        }
    }
    (hubs, self_url)
}

/// Entries converted while the document is read, each as its element closes, so that
/// only one entry's elements stand at a time (the tree keeps the rest of the feed:
/// the channel's title, links …). The choice of elements and the context each is read
/// in are those [`rss::parse`] and [`atom::parse`] apply to the finished tree, which
/// take these first and then read whatever entry the stream left in the tree.
struct EntryStream<'a> {
    src: &'a str,
    tz: Tz,
    /// The namespace of the root's first `<channel>`, once it has closed (RSS 1.0
    /// puts its items beside the channel, which gives them their context).
    channel_ns: Option<String>,
    /// RSS items of the first channel (empty ones left out).
    in_channel: Vec<Entry>,
    /// RSS items beside a channel that has closed (empty ones left out); Atom entries
    /// (every one: an entry inherits the feed's author, which may come after it).
    in_root: Vec<Entry>,
}

impl<'a> EntryStream<'a> {
    fn new(src: &'a str, tz: Tz) -> Self {
        EntryStream {
            src,
            tz,
            channel_ns: None,
            in_channel: Vec::new(),
            in_root: Vec::new(),
        }
    }

    fn cx<'b>(&self, root_ns: &'b str) -> ReadContext<'b>
    where
        'a: 'b,
    {
        ReadContext {
            src: self.src,
            tz: self.tz,
            root_ns,
        }
    }
}

impl xml::Sink for EntryStream<'_> {
    fn closed(
        &mut self,
        depth: usize,
        root: &xml::Node,
        parent: &xml::Node,
        node: xml::Node,
    ) -> Option<xml::Node> {
        let root_name = root.name.to_ascii_lowercase();
        match (root_name.as_str(), depth) {
            ("feed", 1) => {
                let cx = self.cx(&root.ns);
                if !atom::is_entry(&cx, &node) {
                    return Some(node);
                }
                self.in_root.push(atom::parse_entry(&cx, &node));
            }
            // A bare `<channel>` root: its items are read in its namespace.
            ("channel", 1) => {
                let cx = self.cx(&root.ns);
                if !rss::is_item(&cx, &node) {
                    return Some(node);
                }
                let entry = rss::parse_item(&cx, &node);
                if keep(&entry) {
                    self.in_channel.push(entry);
                }
            }
            ("rss" | "rdf", 1) => {
                if node.name.eq_ignore_ascii_case("channel") {
                    if self.channel_ns.is_none() {
                        self.channel_ns = Some(node.ns.clone());
                    }
                    return Some(node);
                }
                // Items before any channel wait in the tree for its namespace.
                let Some(channel_ns) = self.channel_ns.take() else {
                    return Some(node);
                };
                let cx = self.cx(&channel_ns);
                let taken = rss::is_item(&cx, &node).then(|| rss::parse_item(&cx, &node));
                self.channel_ns = Some(channel_ns);
                match taken {
                    Some(entry) if keep(&entry) => self.in_root.push(entry),
                    Some(_) => {}
                    None => return Some(node),
                }
            }
            // Items of the root's first channel (no channel has closed before it).
            ("rss" | "rdf", 2)
                if self.channel_ns.is_none() && parent.name.eq_ignore_ascii_case("channel") =>
            {
                let cx = self.cx(&parent.ns);
                if !rss::is_item(&cx, &node) {
                    return Some(node);
                }
                let entry = rss::parse_item(&cx, &node);
                if keep(&entry) {
                    self.in_channel.push(entry);
                }
            }
            _ => return Some(node),
        }
        None
    }
}

/// What the format mappers share: the source text (for inline markup), the zone, and
/// the root element's namespace (an Atom feed under a namespace of its own invention
/// is still Atom).
struct ReadContext<'a> {
    src: &'a str,
    tz: Tz,
    root_ns: &'a str,
}

/// Clean-ups common to every format.
fn finish(feed: &mut ParsedFeed) {
    for entry in &mut feed.entries {
        entry.attachment = entry.url.as_deref().is_some_and(is_document_url);
        // Many Atom feeds (and JSON Feeds) date entries only by `updated`; that is
        // then the date a reader shows.
        if entry.published.is_none() {
            entry.published = entry.updated.map(PubDate::Instant);
        }
        for field in [&mut entry.summary, &mut entry.content_html] {
            if field.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *field = None;
            }
        }
    }
}

/// A link to a document file rather than a page (`.pdf`, `.doc` …).
fn is_document_url(url: &str) -> bool {
    let path = Url::parse(url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default();
    const DOCS: [&str; 12] = [
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".rar", ".wps", ".odt",
        ".7z",
    ];
    DOCS.iter().any(|ext| path.ends_with(ext))
}

/// A title or name as plain text: markup stripped, references decoded, whitespace
/// collapsed. `None` when nothing is left.
fn plain(s: &str) -> Option<String> {
    let text = if html::looks_like_html(s) {
        html::to_text(s)
    } else {
        crate::text::fold_whitespace(s)
    };
    (!text.is_empty()).then_some(text)
}

/// A URL resolved against `base`, or `None` for an empty or unusable one.
fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    xml::resolve_url(base, href).map(|u| u.to_string())
}

/// "Name" from the forms authors take: `Name`, `email (Name)`, `Name <email>`; the
/// email only when there is no name.
fn person(raw: &str) -> Option<String> {
    let raw = crate::text::fold_whitespace(raw);
    if raw.is_empty() {
        return None;
    }
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let inside = raw[open + 1..raw.len() - 1].trim();
        let before = raw[..open].trim();
        // `email (Name)`, or `Name (email)`.
        if !inside.is_empty() && (before.contains('@') || before.is_empty()) {
            return Some(inside.to_string());
        }
        if !before.is_empty() && inside.contains('@') {
            return Some(before.to_string());
        }
    }
    if let (Some(open), true) = (raw.find('<'), raw.ends_with('>')) {
        let name = raw[..open].trim().trim_matches('"');
        if !name.is_empty() {
            return Some(name.to_string());
        }
        return Some(raw[open + 1..raw.len() - 1].trim().to_string());
    }
    Some(raw.strip_prefix("mailto:").unwrap_or(&raw).to_string())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// Entries with nothing at all are dropped (an `<item/>` left by a broken template).
fn keep(entry: &Entry) -> bool {
    *entry != Entry::default()
}

#[cfg(test)]
mod tests;
