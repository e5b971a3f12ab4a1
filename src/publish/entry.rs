//! One stored item made ready to publish: a stable id, safe HTML, resolved dates.
//!
//! Content HTML was sanitised when it was stored, but publishing treats it as untrusted
//! anyway (the store may hold items written by an older version, or by hand): it is
//! cleaned again here with the same policy, which costs little because the serialised
//! feed is cached. The policy itself belongs to processing: there is one.

use super::xml_text;
use crate::model::Item;
use crate::text::{html_to_text, text_to_paragraphs};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use chrono_tz::Tz;
use url::Url;

/// An item as every format publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// A `tag:` URI built from source and item id: stable when the article's URL changes.
    pub id: String,
    pub title: String,
    /// The article's address, only when it is an `http(s)` URL.
    pub link: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// The last change known: the item's `updated`, else published, else first seen.
    pub updated: DateTime<FixedOffset>,
    pub author: Option<String>,
    /// The original publisher named on the page (来源), when it is not the site itself.
    /// Also shown to readers as the content's first line (after a subtitle).
    pub origin: Option<String>,
    /// Sanitised summary HTML, and the same as plain text.
    pub summary_html: Option<String>,
    pub summary_text: Option<String>,
    /// Sanitised full content HTML (from the stored HTML, else from the text).
    pub content_html: Option<String>,
    pub content_text: Option<String>,
}

/// The stable id of an item in every format: `tag:tidings,2025:SOURCE/ITEM-ID`.
///
/// Built from the source id and the item id, never from the URL (which sites change).
/// The item id is percent-encoded where the tag URI syntax needs it.
pub fn tag_uri(source: &str, item_id: &str) -> String {
    let mut out = format!("tag:tidings,2025:{source}/");
    for b in item_id.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~:/?@!$&'()*+,;=".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The label of the origin line shown in content (来源：X).
pub const ORIGIN_LABEL: &str = "来源：";

/// A publication date as an instant: a bare day (`2022-09-07` on a list page) is the
/// midnight that starts it in `zone`, the source's time zone, not midnight UTC.
pub fn published_instant(p: crate::model::PubDate, zone: Tz) -> DateTime<FixedOffset> {
    match p {
        crate::model::PubDate::Instant(t) => t,
        crate::model::PubDate::Day(d) => {
            let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
            // A zone that skips midnight on a DST day starts the day at the first
            // instant that exists (`earliest`); UTC if even that fails.
            zone.from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.fixed_offset())
                .unwrap_or_else(|| midnight.and_utc().fixed_offset())
        }
    }
}

impl FeedEntry {
    /// The entry of a stored item; `zone` is its source's time zone (for bare days).
    pub fn from_item(item: &Item, zone: Tz) -> FeedEntry {
        let link = item
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let published = item.published.map(|p| published_instant(p, zone));
        let updated = item
            .updated
            .or(published)
            .unwrap_or_else(|| item.first_seen.fixed_offset());
        let summary_html =
            nonempty(item.summary.as_deref()).map(|s| clean_for_feed(s, link.as_ref()));
        let content_html = match (
            nonempty(item.content_html.as_deref()),
            nonempty(item.content_text.as_deref()),
        ) {
            (Some(html), _) => Some(clean_for_feed(html, link.as_ref())),
            (None, Some(text)) => Some(text_to_paragraphs(&xml_text(text))),
            (None, None) => None,
        };
        let content_text = nonempty(item.content_text.as_deref())
            .map(xml_text)
            .or_else(|| content_html.as_deref().map(html_to_text));
        // The subtitle (副题, a kicker) is shown under the title: first in the content.
        let (content_html, content_text) = match nonempty(item.subtitle.as_deref()) {
            Some(sub) => {
                let sub = xml_text(sub.trim());
                let mut html = String::from("<p><em>");
                crate::text::escape_html_into(&sub, &mut html);
                html.push_str("</em></p>");
                html.push_str(content_html.as_deref().unwrap_or(""));
                let text = match content_text {
                    Some(t) => format!("{sub}\n{t}"),
                    None => sub,
                };
                (Some(html), Some(text))
            }
            None => (content_html, content_text),
        };
        // The origin (来源) is shown as a first line of its own, so that a reader sees who
        // first published the article; formats also carry it as a field (dc:source, _tidings).
        let origin = nonempty(item.origin.as_deref()).map(|o| xml_text(o.trim()));
        let (content_html, content_text) = match &origin {
            Some(o) => {
                let mut html = String::from("<p>");
                crate::text::escape_html_into(&format!("{ORIGIN_LABEL}{o}"), &mut html);
                html.push_str("</p>");
                html.push_str(content_html.as_deref().unwrap_or(""));
                let text = match content_text {
                    Some(t) => format!("{ORIGIN_LABEL}{o}\n{t}"),
                    None => format!("{ORIGIN_LABEL}{o}"),
                };
                (Some(html), Some(text))
            }
            None => (content_html, content_text),
        };
        FeedEntry {
            id: tag_uri(&item.source, &item.id),
            title: xml_text(item.title.trim()),
            link: link.map(String::from),
            published,
            updated,
            author: nonempty(item.author.as_deref()).map(xml_text),
            origin,
            summary_text: summary_html.as_deref().map(html_to_text),
            summary_html,
            content_html,
            content_text,
        }
    }

    /// The entry's time as RFC 3339 with its own offset.
    pub fn rfc3339(t: &DateTime<FixedOffset>) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    pub fn updated_utc(&self) -> DateTime<Utc> {
        self.updated.with_timezone(&Utc)
    }
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// Content HTML cleaned by the one sanitising policy ([`crate::process::sanitize_html`],
/// owned by processing), then made safe for XML.
fn clean_for_feed(html: &str, base: Option<&Url>) -> String {
    xml_text(&crate::process::sanitize_html(html, base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_id_is_a_tag_uri_that_escapes_what_it_must() {
        assert_eq!(
            tag_uri("boz", "https://x.cn/a b?id=1#frag"),
            "tag:tidings,2025:boz/https://x.cn/a%20b?id=1%23frag"
        );
        assert_eq!(
            tag_uri("s", "要闻"),
            "tag:tidings,2025:s/%E8%A6%81%E9%97%BB"
        );
    }

    #[test]
    fn feed_html_keeps_no_active_content_and_absolutises_links() {
        let base = Url::parse("https://www.example.gov.cn/zwdt/a.html").unwrap();
        let out = clean_for_feed(
            r#"<p onclick="x()">正文<script>alert(1)</script><img src="../i.png" onerror="x()"><a href="javascript:alert(1)">a</a><iframe src="https://e.com"></iframe></p>"#,
            Some(&base),
        );
        assert!(!out.contains("script"), "{out}");
        assert!(
            !out.contains("onerror") && !out.contains("onclick"),
            "{out}"
        );
        assert!(
            !out.contains("javascript:") && !out.contains("iframe"),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://www.example.gov.cn/i.png""#),
            "{out}"
        );
        assert!(out.contains("正文"));
    }
}
