//! Atom 1.0 and 0.3 (`issued`/`modified`/`tagline`, `mode="escaped"` content).

use super::xml::Node;
use super::{Cx, FeedError, absolute, date, html, keep, person, plain, rss};
use crate::model::{Entry, ParsedFeed};

/// Atom 1.0's namespace, Atom 0.3's, and none (feeds that forget `xmlns`).
pub(super) const NS: &[&str] = &[
    "http://www.w3.org/2005/Atom",
    "http://purl.org/atom/ns#",
    "",
];

pub(super) fn parse(cx: &Cx, root: &Node) -> Result<ParsedFeed, FeedError> {
    let title = root.child(NS, "title").and_then(|t| text_construct(cx, t));
    let description = root
        .child(NS, "subtitle")
        .or_else(|| root.child(NS, "tagline"))
        .and_then(|t| text_construct(cx, t));
    let feed_author = root.child(NS, "author").and_then(person_name);
    let mut feed = ParsedFeed {
        title: title.and_then(|t| plain(&t)),
        link: alternate_link(root),
        description: description.and_then(|d| plain(&d)),
        entries: Vec::new(),
    };
    for node in root.children.iter().filter(|c| c.is(NS, "entry")) {
        let mut entry = parse_entry(cx, node);
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

fn parse_entry(cx: &Cx, node: &Node) -> Entry {
    let date_of = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| node.child(NS, n))
            .find_map(|n| date::parse_date(&n.text, cx.tz))
    };
    let published = date_of(&["published", "issued", "created"]).or_else(|| {
        node.child(rss::DC, "date")
            .and_then(|n| date::parse_date(&n.text, cx.tz))
    });
    let updated = date_of(&["updated", "modified"]).and_then(|d| date::to_instant(d, cx.tz));
    let author = node
        .child(NS, "author")
        .and_then(person_name)
        .or_else(|| {
            let creator = node.child(rss::DC, "creator")?;
            person(&creator.text)
        })
        .or_else(|| {
            let source = node.child(NS, "source")?;
            source.child(NS, "author").and_then(person_name)
        });
    let base = node.base.as_ref();
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
        .filter(|c| c.name == "link" && (NS[..2].contains(&c.ns.as_str()) || c.ns.is_empty()))
        .filter(|l| l.attr("rel").is_none_or(|r| r.trim() == "alternate"))
        .filter(|l| l.attr("href").is_some_and(|h| !h.trim().is_empty()))
        .collect();
    let best = links
        .iter()
        .find(|l| l.attr("type").is_none_or(|t| t.contains("html")))
        .or_else(|| links.first())?;
    absolute(best.attr("href")?, best.base.as_ref())
}

/// An author/contributor element: its name, else its email.
pub(super) fn person_name(node: &Node) -> Option<String> {
    let field = |name| {
        node.child(NS, name)
            .map(|n| html::collapse_whitespace(&n.text))
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
}

fn kind(node: &Node) -> Kind {
    let ty = node
        .attr("type")
        .unwrap_or("text")
        .trim()
        .to_ascii_lowercase();
    let mode = node.attr("mode").unwrap_or("").trim().to_ascii_lowercase();
    if ty == "xhtml" || ty == "application/xhtml+xml" || mode == "xml" {
        Kind::Xhtml
    } else if ty == "html" || ty == "text/html" || mode == "escaped" {
        Kind::Html
    } else if !node.children.is_empty() {
        // Markup written inline under a plain type: it is markup all the same.
        Kind::Xhtml
    } else {
        Kind::Text
    }
}

/// A text construct (title, subtitle) as markup-or-text, for [`plain`] to flatten.
pub(super) fn text_construct(cx: &Cx, node: &Node) -> Option<String> {
    let s = match kind(node) {
        Kind::Text => html::escape(node.text.trim()),
        Kind::Html => node.text.clone(),
        Kind::Xhtml => unwrap_div(cx, node),
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A text construct as HTML (summary, content): text is escaped, XHTML unwrapped.
pub(super) fn html_construct(cx: &Cx, node: &Node) -> Option<String> {
    let s = match kind(node) {
        Kind::Text if node.attr("type").is_some_and(|t| !t.starts_with("text")) => return None,
        Kind::Text => html::escape(node.text.trim()),
        Kind::Html => node.text.trim().to_string(),
        Kind::Xhtml => unwrap_div(cx, node),
    };
    (!s.trim().is_empty()).then_some(s)
}

/// XHTML content without the wrapping `<div xmlns="…xhtml">` Atom requires.
fn unwrap_div(cx: &Cx, node: &Node) -> String {
    let only_div =
        node.children.len() == 1 && node.children[0].name == "div" && node.text.trim().is_empty();
    let inner = if only_div { &node.children[0] } else { node };
    if inner.children.is_empty() {
        html::escape(&inner.text)
    } else {
        inner.inner_markup(cx.src).trim().to_string()
    }
}
