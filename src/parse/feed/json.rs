//! JSON Feed 1.0 and 1.1 (<https://www.jsonfeed.org/version/1.1/>).

use super::{FeedError, absolute, date, html, keep, plain};
use crate::model::{Entry, ParsedFeed};
use chrono_tz::Tz;
use serde_json::Value;
use url::Url;

pub(super) fn parse(text: &str, url: &Url, tz: Tz) -> Result<ParsedFeed, FeedError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FeedError::Json {
        line: e.line(),
        col: e.column(),
        message: e.to_string(),
    })?;
    let version = value.get("version").and_then(Value::as_str).unwrap_or("");
    if !version.contains("jsonfeed.org/version/1") {
        return Err(FeedError::NotAFeed(if version.is_empty() {
            "JSON without a JSON Feed \"version\"".to_string()
        } else {
            format!("unsupported JSON Feed version {version:?}")
        }));
    }
    let base = value
        .get("home_page_url")
        .and_then(Value::as_str)
        .and_then(|h| url.join(h).ok())
        .unwrap_or_else(|| url.clone());
    let str_field = |v: &Value, name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut feed = ParsedFeed {
        title: str_field(&value, "title").and_then(|t| plain(&t)),
        link: str_field(&value, "home_page_url").and_then(|h| absolute(&h, Some(url))),
        description: str_field(&value, "description").and_then(|d| plain(&d)),
        entries: Vec::new(),
        hubs: value
            .get("hubs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|h| {
                h.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("websub"))
            })
            .filter_map(|h| h.get("url").and_then(Value::as_str))
            .filter_map(|h| absolute(h, Some(url)))
            .collect(),
        self_url: str_field(&value, "feed_url").and_then(|f| absolute(&f, Some(url))),
    };
    let feed_author = author(&value);
    let items = value.get("items").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        let id = match item.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let content_html = str_field(item, "content_html")
            .or_else(|| str_field(item, "content_text").map(|t| text_to_html(&t)));
        let entry = Entry {
            id,
            url: str_field(item, "url")
                .or_else(|| str_field(item, "external_url"))
                .and_then(|u| absolute(&u, Some(&base))),
            title: str_field(item, "title").and_then(|t| plain(&t)),
            published: str_field(item, "date_published").and_then(|d| date::parse_date(&d, tz)),
            updated: str_field(item, "date_modified")
                .and_then(|d| date::parse_date(&d, tz))
                .and_then(|d| date::to_instant(d, tz)),
            author: author(item).or_else(|| feed_author.clone()),
            origin: None,
            subtitle: None,
            summary: str_field(item, "summary"),
            content_html,
            attachment: false,
        };
        if keep(&entry) {
            feed.entries.push(entry);
        }
    }
    Ok(feed)
}

/// `author` (1.0) or the first of `authors` (1.1): its name, else its URL.
fn author(v: &Value) -> Option<String> {
    let one = v
        .get("authors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .or_else(|| v.get("author"))?;
    ["name", "url"]
        .iter()
        .filter_map(|k| one.get(*k).and_then(Value::as_str))
        .map(crate::text::fold_whitespace)
        .find(|s| !s.is_empty())
}

/// Plain text as HTML paragraphs.
fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html::escape(p).replace('\n', "<br>")))
        .collect()
}
