//! Article pages → [`Article`]: main content, title, date, author, origin, with no
//! per-site rules. (Skeleton: the full implementation replaces this.)

use crate::model::Article;
use chrono_tz::Tz;
use url::Url;

/// Extract the article from page bytes as fetched. `content_type` is the HTTP header,
/// used for the charset; dates without an offset are read in `tz`.
pub fn extract(body: &[u8], url: &Url, content_type: Option<&str>, tz: Tz) -> Article {
    let text = crate::fetch::charset::decode(body, content_type).text;
    extract_html(&text, url, tz)
}

/// Extract from already-decoded HTML.
pub fn extract_html(html: &str, url: &Url, tz: Tz) -> Article {
    let _ = (html, url, tz);
    Article::default()
}
