//! HTML list pages → [`ListItem`]s, by configured CSS selectors ([`select_list`]) or by
//! detecting the article list ([`detect_list`]).
//!
//! - `page`: base URL, link targets, hidden elements, visible text.
//! - `row`: one list row → its article link, title and shown date.
//! - `when`: list-specific date forms (relative, yearless, split boxes, English).
//! - `detect`: finding the main list among menus, sidebars and directories (grouping
//!   rows; `detect::score`, scoring groups; `detect::urls`, URL-shape rules).

mod detect;
mod page;
mod row;
mod when;

use crate::config::ListSelectors;
use crate::model::{Entry, ListItem};
use chrono_tz::Tz;
use page::{base_url, link_target, normalise, visible_text, visible_text_except};
use row::link_title;
use scraper::ElementRef;
use std::collections::HashSet;
use url::Url;
use when::{Shown, shown_date};

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("selector {selector:?} matched nothing")]
    NoMatch { selector: String },
}

/// A list page's article links as entries: read with the configured selectors, else
/// detected. Links to documents (pdf, doc …) are marked as attachments.
pub fn list_entries(
    html: &str,
    page_url: &Url,
    selectors: Option<&ListSelectors>,
    tz: Tz,
) -> Result<Vec<Entry>, SelectError> {
    let links = match selectors {
        Some(selectors) => select_list(html, page_url, selectors, tz)?,
        None => detect_list(html, page_url, tz),
    };
    Ok(links
        .into_iter()
        .map(|link| Entry {
            attachment: Url::parse(&link.url).is_ok_and(|u| is_attachment(&u)),
            url: Some(link.url),
            title: Some(link.title),
            published: link.published,
            ..Default::default()
        })
        .collect())
}

/// Detect the main article list on a page with no configured selectors. Items come in
/// page order; a page with no article list yields an empty list.
pub fn detect_list(html: &str, page_url: &Url, tz: Tz) -> Vec<ListItem> {
    let doc = crate::text::parse_document(html);
    detect::detect(&doc, page_url, tz)
}

/// Read the list with configured selectors (compiled when the config was read). An
/// error names the selector that matched nothing (the item selector, or the link
/// selector in every item).
pub fn select_list(
    html: &str,
    page_url: &Url,
    selectors: &ListSelectors,
    tz: Tz,
) -> Result<Vec<ListItem>, SelectError> {
    let item_sel = &selectors.item.selector;
    let link_sel = &selectors.link.selector;
    let title_sel = selectors.title.as_ref().map(|c| &c.selector);
    let date_sel = selectors.date.as_ref().map(|c| &c.selector);

    let doc = crate::text::parse_document(html);
    let base = base_url(&doc, page_url);
    let mut matched_items = 0;
    let mut items: Vec<ListItem> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for item in doc.select(item_sel) {
        matched_items += 1;
        // The item itself may be the link (`a.card`), else the first match inside it;
        // a match without `href` (`link = "h3"`) stands for the link inside or around it.
        let Some(link) = std::iter::once(item)
            .filter(|e| link_sel.matches(e))
            .chain(item.select(link_sel))
            .find_map(|e| href_element(e, item))
        else {
            continue;
        };
        let Some(url) = link
            .value()
            .attr("href")
            .and_then(|href| link_target(href, &base, page_url))
        else {
            continue;
        };
        let title = match title_sel {
            Some(sel) => item.select(sel).next().map(|t| {
                if t == link {
                    link_title(t).text
                } else {
                    let text = normalise(&visible_text(t, None));
                    match t.value().attr("title").map(normalise) {
                        Some(attr)
                            if !attr.is_empty() && (text.is_empty() || row::is_cut(&text)) =>
                        {
                            attr
                        }
                        _ => text,
                    }
                }
            }),
            None => Some(link_title(link).text),
        }
        .unwrap_or_default();
        let date_text = match date_sel {
            Some(sel) => item.select(sel).next().map(|d| {
                let attr = d.value().attr("datetime").unwrap_or("");
                format!("{attr} {}", visible_text(d, Some(' ')))
            }),
            None => Some(visible_text_except(item, Some(' '), |e| e == link)),
        }
        .unwrap_or_default();
        let published = match shown_date(&date_text, url.as_str(), tz) {
            Shown::Date(d) => Some(d),
            _ => None,
        };
        let url = url.to_string();
        if !seen.insert(url.clone()) {
            continue;
        }
        items.push(ListItem {
            url,
            title,
            published,
        });
    }
    if matched_items == 0 {
        return Err(SelectError::NoMatch {
            selector: selectors.item.text.clone(),
        });
    }
    if items.is_empty() {
        return Err(SelectError::NoMatch {
            selector: selectors.link.text.clone(),
        });
    }
    Ok(items)
}

/// `el` when it has an `href`, else the first link inside it, else the link around it
/// (up to `item`).
fn href_element<'a>(el: ElementRef<'a>, item: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let has_href = |e: &ElementRef| e.value().name() == "a" && e.value().attr("href").is_some();
    if el.value().attr("href").is_some() {
        return Some(el);
    }
    if let Some(inner) = el.descendent_elements().find(has_href) {
        return Some(inner);
    }
    let mut cur = el;
    while cur != item {
        cur = cur.parent().and_then(ElementRef::wrap)?;
        if has_href(&cur) {
            return Some(cur);
        }
    }
    None
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

/// Whether a URL looks like an article or a document (an id or a date in its path, an
/// attachment) rather than a section of a site. `tidings discover` uses it to tell
/// columns from the articles they list.
pub fn looks_like_article(url: &Url) -> bool {
    detect::is_article_url(url)
}
