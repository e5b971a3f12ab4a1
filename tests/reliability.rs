//! Reliability of what the daemon keeps and sends: unreadable stored values, retention,
//! SIGKILL at random moments, and faults of the SMTP server and the Bot API.

mod corrupt;
mod crash;
mod faults;
mod retention;

use chrono::{DateTime, Utc};
use tidings::model::Item;

/// An RSS feed of `(guid, title, n)` items, item `n` published `n` hours after
/// 2022-09-10 00:00 +08:00.
pub fn rss(items: &[(String, String, i64)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>博州要闻</title><link>http://example.org/</link>"#,
    );
    let base = DateTime::parse_from_rfc3339("2022-09-10T00:00:00+08:00").unwrap();
    for (guid, title, n) in items {
        let date = base + chrono::Duration::hours(*n);
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>http://example.org/a/{guid}.html</link><description>{title}的内容</description><pubDate>{}</pubDate></item>",
            date.to_rfc2822()
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// An item of `source` numbered `n`, first stored at `first_seen` (no published date:
/// it sorts by that), with `body` bytes of text.
pub fn item(source: &str, n: usize, first_seen: DateTime<Utc>, body: usize) -> Item {
    let text = "棉".repeat(body / 3);
    Item {
        source: source.into(),
        id: format!("i{n:05}"),
        url: Some(format!("http://example.org/{source}/{n}.html")),
        title: format!("第{n}条"),
        subtitle: None,
        published: None,
        updated: None,
        author: None,
        origin: None,
        summary: None,
        content_text: Some(text.clone()),
        content_html: Some(format!("<p>{text}</p>")),
        first_seen,
        revision: n as u64,
    }
}
