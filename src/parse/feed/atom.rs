//! Atom 1.0 and 0.3 (`issued`/`modified`/`tagline`, `mode="escaped"` content).

use super::xml::Node;
use super::{FeedError, ReadContext, absolute, date, html, keep, person, plain, rss};
use crate::model::{Entry, ParsedFeed};

/// Atom 1.0's namespace, Atom 0.3's, and none (feeds that forget `xmlns`).
pub(super) const NS: &[&str] = &[
    "http://www.w3.org/2005/Atom",
    "http://purl.org/atom/ns#",
    "",
];
/// Atom elements mixed into other formats must carry the namespace.
pub(super) const DECLARED: &[&str] = &["http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"];

/// An element in one of Atom's namespaces, or the root's own.
fn is_atom(cx: &ReadContext, node: &Node) -> bool {
    NS.contains(&node.ns.as_str()) || node.ns == cx.root_ns
}

fn child<'a>(cx: &ReadContext, node: &'a Node, name: &str) -> Option<&'a Node> {
    node.children
        .iter()
        .find(|c| c.name == name && is_atom(cx, c))
}

/// An `<entry>` the feed reads (`cx.root_ns` is the feed's namespace).
pub(super) fn is_entry(cx: &ReadContext, node: &Node) -> bool {
    node.name == "entry" && is_atom(cx, node)
}

/// The feed read from its tree. `streamed` are the entries already read from the
/// root's `<entry>` elements as they closed, before their author is inherited and
/// empty ones dropped; any entry not taken is still in the tree.
pub(super) fn parse(
    cx: &ReadContext,
    root: &Node,
    streamed: Vec<Entry>,
) -> Result<ParsedFeed, FeedError> {
    let title = child(cx, root, "title").and_then(|t| text_construct(cx, t));
    let description = root
        .child(NS, "subtitle")
        .or_else(|| child(cx, root, "tagline"))
        .and_then(|t| text_construct(cx, t));
    let feed_author = child(cx, root, "author").and_then(|a| person_name(cx, a));
    let mut feed = ParsedFeed {
        title: title.and_then(|t| plain(&t)),
        link: alternate_link(root),
        description: description.and_then(|d| plain(&d)),
        entries: Vec::new(),
        ..Default::default()
    };
    let in_tree = root
        .children
        .iter()
        .filter(|c| is_entry(cx, c))
        .map(|node| parse_entry(cx, node));
    for mut entry in streamed.into_iter().chain(in_tree) {
        // Entries without an author inherit the feed's (RFC 4287 §4.2.1).
        if entry.author.is_none() {
            entry.author = feed_author.clone();
        }
        if keep(&entry) {
            feed.entries.push(entry);
        }
    }
    Ok(feed)
}

pub(super) fn parse_entry_document(cx: &ReadContext, root: &Node) -> Result<ParsedFeed, FeedError> {
    Ok(ParsedFeed {
        entries: vec![parse_entry(cx, root)],
        ..ParsedFeed::default()
    })
}

pub(super) fn parse_entry(cx: &ReadContext, node: &Node) -> Entry {
    let date_of = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| child(cx, node, n))
            .find_map(|n| date::parse_date(&n.text, cx.tz))
    };
    let published = date_of(&["published", "issued", "created"]).or_else(|| {
        node.child(rss::DC, "date")
            .and_then(|n| date::parse_date(&n.text, cx.tz))
    });
    let updated = date_of(&["updated", "modified"]).and_then(|d| date::to_instant(d, cx.tz));
    let author = node
        .child(NS, "author")
        .and_then(|a| person_name(cx, a))
        .or_else(|| {
            let creator = node.child(rss::DC, "creator")?;
            person(&creator.text)
        })
        .or_else(|| {
            let source = child(cx, node, "source")?;
            child(cx, source, "author").and_then(|a| person_name(cx, a))
        });
    let base = node.base.as_deref();
    let absolutize = |html: String| match base {
        Some(b) => html::absolutize(&html, b),
        None => html,
    };
    Entry {
        id: node
            .child(NS, "id")
            .map(|i| i.text.trim().to_string())
            .filter(|i| !i.is_empty()),
        url: alternate_link(node),
        title: node
            .child(NS, "title")
            .and_then(|t| text_construct(cx, t))
            .and_then(|t| plain(&t)),
        published,
        updated,
        author,
        origin: None,
        subtitle: None,
        summary: node
            .child(NS, "summary")
            .and_then(|s| html_construct(cx, s))
            .map(absolutize),
        content_html: node
            .child(NS, "content")
            .filter(|c| c.attr("src").is_none())
            .and_then(|c| html_construct(cx, c))
            .map(absolutize),
        attachment: false,
    }
}

/// The `rel="alternate"` (or rel-less) link, preferring an HTML one; resolved against
/// the link's `xml:base`.
pub(super) fn alternate_link(node: &Node) -> Option<String> {
    let links: Vec<&Node> = node
        .children
        .iter()
        .filter(|c| c.name == "link" && (DECLARED.contains(&c.ns.as_str()) || c.ns.is_empty()))
        .filter(|l| l.attr("rel").is_none_or(|r| r.trim() == "alternate"))
        .filter(|l| l.attr("href").is_some_and(|h| !h.trim().is_empty()))
        .collect();
    let best = links
        .iter()
        .find(|l| l.attr("type").is_none_or(|t| t.contains("html")))
        .or_else(|| links.first())?;
    absolute(best.attr("href")?, best.base.as_deref())
}

/// An author/contributor element: its name, else its email.
pub(super) fn person_name(cx: &ReadContext, node: &Node) -> Option<String> {
    let field = |name| {
        child(cx, node, name)
            .map(|n| crate::text::fold_whitespace(&n.text))
            .filter(|s| !s.is_empty())
    };
    field("name")
        .or_else(|| field("email"))
        .or_else(|| person(&node.text))
}

/// What kind of text a text construct holds.
enum Kind {
    Text,
    Html,
    Xhtml,
    /// Base64 of a document (Atom 0.3 `mode="base64"`, Atom 1.0 non-text types);
    /// `true` when the document is HTML.
    Base64(bool),
}

fn kind(node: &Node) -> Kind {
    let ty = node
        .attr("type")
        .unwrap_or("text")
        .trim()
        .to_ascii_lowercase();
    let mode = node.attr("mode").unwrap_or("").trim().to_ascii_lowercase();
    if mode == "base64" {
        Kind::Base64(ty.contains("html"))
    } else if ty == "xhtml" || ty == "application/xhtml+xml" || mode == "xml" {
        Kind::Xhtml
    } else if ty == "html" || ty == "text/html" || mode == "escaped" {
        Kind::Html
    } else if !(ty.is_empty() || ty == "text" || ty.starts_with("text/") || ty.ends_with("xml")) {
        Kind::Base64(false)
    } else if !node.children.is_empty() {
        // Markup written inline under a plain type: it is markup all the same.
        Kind::Xhtml
    } else {
        Kind::Text
    }
}

/// A text construct (title, subtitle) as markup-or-text, for [`plain`] to flatten.
pub(super) fn text_construct(cx: &ReadContext, node: &Node) -> Option<String> {
    let s = match kind(node) {
        Kind::Text => html::escape(node.text.trim()),
        Kind::Html => node.deep_text(cx.src),
        Kind::Xhtml => unwrap_div(cx, node),
        Kind::Base64(is_html) => from_base64(&node.text, is_html)?,
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A text construct as HTML (summary, content): text is escaped, XHTML unwrapped.
pub(super) fn html_construct(cx: &ReadContext, node: &Node) -> Option<String> {
    let s = match kind(node) {
        Kind::Text => html::escape(node.text.trim()),
        Kind::Html => node.deep_text(cx.src).trim().to_string(),
        Kind::Xhtml => unwrap_div(cx, node),
        Kind::Base64(is_html) => from_base64(&node.text, is_html)?,
    };
    (!s.trim().is_empty()).then_some(s)
}

/// XHTML content without the wrapping `<div xmlns="…xhtml">` Atom requires.
fn unwrap_div(cx: &ReadContext, node: &Node) -> String {
    let only_div =
        node.children.len() == 1 && node.children[0].name == "div" && node.text.trim().is_empty();
    let inner = if only_div { &node.children[0] } else { node };
    if inner.children.is_empty() {
        html::escape(&inner.text)
    } else {
        inner.inner_markup(cx.src).trim().to_string()
    }
}

/// Base64 text decoded into markup (HTML as is, anything else escaped); `None` when it
/// is not base64 of UTF-8 text.
fn from_base64(b64: &str, is_html: bool) -> Option<String> {
    let mut bytes = Vec::with_capacity(b64.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in b64
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let text = String::from_utf8(bytes).ok()?;
    Some(if is_html { text } else { html::escape(&text) })
}
