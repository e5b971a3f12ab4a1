//! RSS 0.9x, 1.0 (RDF) and 2.0, with the Dublin Core, content and Atom elements feeds
//! mix into them.

use super::xml::Node;
use super::{FeedError, ReadContext, absolute, atom, date, html, keep, person, plain};
use crate::model::{Entry, ParsedFeed};

/// Namespaces RSS's own elements come in (none for 0.91/0.92/2.0; RSS 1.0's and
/// 0.90's for RDF; a few feeds declare Userland's).
const RSS: &[&str] = &[
    "",
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
    "http://blogs.law.harvard.edu/tech/rss",
];
pub(super) const DC: &[&str] = &[
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/elements/1.0/",
];
pub(super) const DCTERMS: &[&str] = &["http://purl.org/dc/terms/"];
const CONTENT: &[&str] = &["http://purl.org/rss/1.0/modules/content/"];
const ITUNES: &[&str] = &[
    "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "http://www.itunes.com/DTDs/Podcast-1.0.dtd",
];
const MEDIA: &[&str] = &[
    "http://search.yahoo.com/mrss/",
    "http://search.yahoo.com/mrss",
];
const XHTML: &[&str] = &["http://www.w3.org/1999/xhtml"];
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// The feed read from its tree. `in_channel` and `in_root` are the entries already
/// read from the first channel's items and from the items beside the channel (those
/// after it: the ones before it, and any not taken, are still in the tree).
pub(super) fn parse(
    cx: &ReadContext,
    root: &Node,
    in_channel: Vec<Entry>,
    in_root: Vec<Entry>,
) -> Result<ParsedFeed, FeedError> {
    // `<rss><channel>…</channel></rss>`, or RDF with items beside the channel, or a
    // bare `<channel>` root.
    let channel = if root.name.eq_ignore_ascii_case("channel") {
        root
    } else {
        root.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case("channel"))
            .ok_or_else(|| FeedError::NotAFeed(format!("<{}> without a <channel>", root.name)))?
    };
    let cx = &ReadContext {
        root_ns: &channel.ns,
        ..*cx
    };
    let mut feed = ParsedFeed {
        title: text_child(cx, channel, "title")
            .or_else(|| child_text(cx, channel, DC, "title"))
            .and_then(|t| plain(&t)),
        link: channel_link(cx, channel),
        description: text_child(cx, channel, "description")
            .or_else(|| child_text(cx, channel, DC, "description"))
            .or_else(|| text_child(cx, channel, "abstract"))
            .or_else(|| child_text(cx, channel, ITUNES, "subtitle"))
            .or_else(|| child_text(cx, channel, ITUNES, "summary"))
            .and_then(|d| plain(&d)),
        entries: in_channel,
        ..Default::default()
    };
    let siblings: &[Node] = if std::ptr::eq(root, channel) {
        &[]
    } else {
        &root.children
    };
    let items = channel.children.iter().chain(siblings);
    for item in items.filter(|n| is_item(cx, n)) {
        let entry = parse_item(cx, item);
        if keep(&entry) {
            feed.entries.push(entry);
        }
    }
    feed.entries.extend(in_root);
    Ok(feed)
}

/// An `<item>` the feed reads (`cx.root_ns` is the channel's namespace).
pub(super) fn is_item(cx: &ReadContext, n: &Node) -> bool {
    n.name.eq_ignore_ascii_case("item") && is_rss(cx, n)
}

/// An element in one of RSS's namespaces, or the channel's own (RSS 0.90 files
/// declare namespaces of their own invention).
fn is_rss(cx: &ReadContext, n: &Node) -> bool {
    RSS.contains(&n.ns.as_str()) || n.ns == cx.root_ns
}

/// An RSS element's text (any of RSS's namespaces), as markup when it has inline tags.
fn text_child(cx: &ReadContext, node: &Node, name: &str) -> Option<String> {
    node.children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name) && is_rss(cx, c))
        .map(|c| c.inner_markup(cx.src).trim().to_string())
        .filter(|t| !t.is_empty())
}

fn child_text(cx: &ReadContext, node: &Node, ns: &[&str], name: &str) -> Option<String> {
    node.child(ns, name)
        .map(|c| c.inner_markup(cx.src).trim().to_string())
        .filter(|t| !t.is_empty())
}

fn channel_link(cx: &ReadContext, channel: &Node) -> Option<String> {
    let rss_link = channel
        .children
        .iter()
        .find(|c| c.name == "link" && is_rss(cx, c))
        .and_then(|l| absolute(&l.text, l.base.as_deref()));
    rss_link
        .or_else(|| atom::alternate_link(channel))
        // CDF (`<CHANNEL HREF="…">`).
        .or_else(|| {
            let href = channel.attr("href").or(channel.attr("HREF"))?;
            absolute(href, channel.base.as_deref())
        })
}

pub(super) fn parse_item(cx: &ReadContext, item: &Node) -> Entry {
    let base = item.base.as_deref();
    let guid = item
        .children
        .iter()
        .find(|c| c.name == "guid" && is_rss(cx, c));
    let id = guid
        .map(|g| g.text.trim().to_string())
        .filter(|g| !g.is_empty())
        .or_else(|| child_text(cx, item, atom::DECLARED, "id"))
        .or_else(|| child_text(cx, item, DC, "identifier"))
        .or_else(|| item.attr_ns(RDF, "about").map(|a| a.trim().to_string()));
    let link = item
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("link") && is_rss(cx, c) && !c.text.trim().is_empty())
        .and_then(|l| absolute(&l.text, l.base.as_deref()))
        .or_else(|| atom::alternate_link(item))
        // A permalink guid is the item's address when it has no <link>.
        .or_else(|| {
            let g = guid?;
            let permalink = g
                .attr("isPermaLink")
                .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
            let text = g.text.trim();
            (permalink && (text.starts_with("http://") || text.starts_with("https://")))
                .then(|| absolute(text, g.base.as_deref()))
                .flatten()
        })
        .or_else(|| item.attr_ns(RDF, "about").and_then(|a| absolute(a, base)))
        // CDF (`<ITEM HREF="…">`).
        .or_else(|| {
            item.attr("href")
                .or(item.attr("HREF"))
                .and_then(|a| absolute(a, base))
        });
    let title = text_child(cx, item, "title")
        .or_else(|| child_text(cx, item, DC, "title"))
        .or_else(|| {
            item.child(atom::DECLARED, "title")
                .and_then(|t| atom::text_construct(cx, t))
        })
        .or_else(|| child_text(cx, item, MEDIA, "title"))
        .and_then(|t| plain(&t));
    let published = [
        item.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case("pubDate") && is_rss(cx, c)),
        item.child(DC, "date"),
        item.child(DCTERMS, "issued"),
        item.child(DCTERMS, "created"),
        item.child(atom::DECLARED, "published"),
        item.child(atom::DECLARED, "issued"),
    ]
    .into_iter()
    .flatten()
    .find_map(|n| date::parse_date(&n.text, cx.tz));
    let updated = [
        item.child(atom::DECLARED, "updated"),
        item.child(DCTERMS, "modified"),
        item.child(atom::DECLARED, "modified"),
    ]
    .into_iter()
    .flatten()
    .map(|n| n.text.as_str())
    // CDF (`<ITEM LASTMOD="…">`).
    .chain(item.attr("lastmod").or(item.attr("LASTMOD")))
    .find_map(|t| date::parse_date(t, cx.tz))
    .and_then(|d| date::to_instant(d, cx.tz));
    let author = text_child(cx, item, "author")
        .or_else(|| child_text(cx, item, DC, "creator"))
        .or_else(|| child_text(cx, item, DC, "author"))
        .or_else(|| child_text(cx, item, ITUNES, "author"))
        .or_else(|| {
            item.child(atom::DECLARED, "author")
                .and_then(|a| atom::person_name(cx, a))
        })
        .and_then(|a| person(&html::to_text(&a)));
    let summary = item
        .children
        .iter()
        .find(|c| c.name == "description" && is_rss(cx, c))
        .or_else(|| item.child(DC, "description"))
        .or_else(|| item.child(ITUNES, "summary"))
        .or_else(|| {
            item.children
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("abstract"))
        })
        .map(|d| d.inner_markup(cx.src))
        .or_else(|| {
            item.child(atom::DECLARED, "summary")
                .and_then(|s| atom::html_construct(cx, s))
        });
    let content_html = item
        .child(CONTENT, "encoded")
        .map(|c| c.inner_markup(cx.src))
        .or_else(|| item.child(XHTML, "body").map(|b| b.inner_markup(cx.src)))
        .or_else(|| item.child(&[""], "body").map(|b| b.inner_markup(cx.src)))
        .or_else(|| {
            item.child(&[""], "fullitem")
                .map(|b| b.inner_markup(cx.src))
        })
        .or_else(|| {
            item.child(atom::DECLARED, "content")
                .and_then(|c| atom::html_construct(cx, c))
        });
    let absolutize = |html: String| match base {
        Some(b) => html::absolutize(&html, b),
        None => html,
    };
    Entry {
        id,
        url: link,
        title,
        published,
        updated,
        author,
        origin: None,
        subtitle: None,
        summary: summary.map(|s| absolutize(s.trim().to_string())),
        content_html: content_html.map(|s| absolutize(s.trim().to_string())),
        attachment: false,
    }
}
