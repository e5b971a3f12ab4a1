//! Parsing: feeds (RSS, Atom, JSON Feed) and HTML list pages into entries.

pub mod feed;
pub mod html;

/// Whether a fetched body is a feed rather than an HTML page (`kind = "auto"`): by its
/// `Content-Type`, else by its first bytes.
pub fn is_feed(content_type: Option<&str>, body: &[u8]) -> bool {
    content_type.is_some_and(is_feed_content_type) || looks_like_feed(body)
}

fn is_feed_content_type(content_type: &str) -> bool {
    let content_type = content_type.to_ascii_lowercase();
    [
        "rss",
        "atom",
        "rdf",
        "feed+json",
        "application/xml",
        "text/xml",
    ]
    .iter()
    .any(|k| content_type.contains(k))
}

/// Whether a body is a feed (XML with an rss/feed/RDF root, or a JSON Feed) rather
/// than an HTML page, by its first bytes.
pub fn looks_like_feed(body: &[u8]) -> bool {
    let head = &body[..body.len().min(2048)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        return t.contains("jsonfeed.org");
    }
    if t.contains("<html") || t.starts_with("<!doctype html") {
        return false;
    }
    t.contains("<rss") || t.contains("<feed") || t.contains("<rdf:rdf") || t.contains("<channel")
}
