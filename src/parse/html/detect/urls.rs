//! URL-shape rules: which links look like articles, and the shape articles of one list
//! share (`/202209/t20220907_123.html`).

use super::*;

/// Digit runs of an article id or a date in a URL.
pub(super) static ARTICLE_URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\d{4,}|/(?:19|20)\d{2}/|[0-9a-f]{8}-[0-9a-f]{4}|[a-z]+[-_]\d{2,}\.\w+$|/\d{2,}\.\w+$",
    )
    .expect("static regex")
});

pub(super) static DIGITS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));

/// The shape of a URL: host and path with digit runs collapsed, so that
/// `/202209/t20220907_123.html` and `/202208/t20220831_98.html` share one.
pub(super) fn url_shape(url: &Url) -> String {
    let path = url.path();
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    let ext = if ext.contains('/') { "" } else { ext };
    format!(
        "{}{}/*.{}",
        url.host_str().unwrap_or(""),
        DIGITS_RE.replace_all(dir, "0"),
        ext
    )
}

/// Whether a URL looks like an article or a document rather than a section: an id or a
/// date in the path, or an attachment; and not the site's home page.
pub(crate) fn is_article_url(url: &Url) -> bool {
    let path = url.path();
    if path.len() <= 1 && url.query().is_none() {
        return false;
    }
    // `index.html`, `index_2.html`, `list_3.shtml`, `default.aspx`: a section's pages.
    let last = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    if ["index", "default", "list"]
        .iter()
        .any(|p| last.starts_with(p))
    {
        return false;
    }
    if is_numbered_section(path) {
        return false;
    }
    crate::parse::html::is_attachment(url)
        || ARTICLE_URL_RE.is_match(path)
        || url.query().is_some_and(|q| ARTICLE_URL_RE.is_match(q))
        || is_slug(path)
}

/// A section named by its number: `/channel/12.html`, `/column/3.shtml`, `/category/7/`.
pub(super) fn is_numbered_section(path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let (Some(last), Some(parent)) = (segments.next(), segments.next()) else {
        return false;
    };
    let stem = last.split('.').next().unwrap_or("");
    let parent = parent.to_ascii_lowercase();
    !stem.is_empty()
        && stem.bytes().all(|b| b.is_ascii_digit())
        && [
            "channel",
            "channels",
            "column",
            "columns",
            "col",
            "category",
            "categories",
            "cat",
            "node",
            "lanmu",
            "tag",
            "tags",
            "topic",
            "topics",
        ]
        .contains(&parent.as_str())
}

/// A last path segment made of several words (`/blog/how-we-moved-to-rust`): how
/// sites without ids name articles. Sections have one or two words (`/about-us/`).
pub(super) fn is_slug(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    stem.len() >= 12 && stem.chars().filter(|c| matches!(c, '-' | '_')).count() >= 2
}
