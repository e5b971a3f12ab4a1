//! HTML list pages → [`ListItem`]s, by CSS selectors or by detecting the article list.
//! (Skeleton: the full implementation replaces this.)

use crate::model::ListItem;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use url::Url;

/// `[source.select]`: CSS selectors for a list page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selectors {
    /// One match per article.
    pub item: String,
    /// Inside an item: the element whose `href` is the article (default `a`).
    pub link: Option<String>,
    /// Inside an item: the title text (default: the link's text).
    pub title: Option<String>,
    /// Inside an item: the element holding the date (default: any date in the item).
    pub date: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("invalid CSS selector {selector:?}: {message}")]
    Invalid { selector: String, message: String },
    #[error("selector {selector:?} matched nothing")]
    NoMatch { selector: String },
}

/// Detect the main article list on a page with no configured selectors.
pub fn detect_list(html: &str, page_url: &Url, tz: Tz) -> Vec<ListItem> {
    let _ = (html, page_url, tz);
    Vec::new()
}

/// Read the list with configured selectors.
pub fn select_list(
    html: &str,
    page_url: &Url,
    selectors: &Selectors,
    tz: Tz,
) -> Result<Vec<ListItem>, SelectError> {
    let _ = (html, page_url, tz);
    Err(SelectError::NoMatch {
        selector: selectors.item.clone(),
    })
}

/// Whether a URL points at a document (pdf, doc, xls …) rather than an article page.
pub fn is_attachment(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    [
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".rar", ".7z", ".wps",
        ".txt", ".ofd", ".et", ".dps", ".csv",
    ]
    .iter()
    .any(|ext| path.ends_with(ext))
}
