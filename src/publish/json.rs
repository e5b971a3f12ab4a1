//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).

use super::{FeedDoc, FeedEntry, Format};
use serde::Serialize;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// WebSub hubs (JSON Feed 1.1 `hubs`).
    hubs: Vec<Hub<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    /// The spec requires `content_html` or `content_text`; one of them is always set.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    /// Our extension (JSON Feed extensions start with `_`): `{"origin": "…"}`.
    #[serde(rename = "_tidings", skip_serializing_if = "Option::is_none")]
    tidings: Option<Extension<'a>>,
}

/// `_tidings` of an item: fields the standard has no name for.
#[derive(Serialize)]
struct Extension<'a> {
    /// The original publisher named on the page (来源).
    origin: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

pub fn render(doc: &FeedDoc) -> Result<Vec<u8>, String> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &doc.title,
        home_page_url: format!("{}/", doc.base_url),
        feed_url: doc.url(Format::Json),
        description: doc.description.as_deref(),
        hubs: vec![Hub {
            kind: "WebSub",
            url: &doc.hub,
        }],
        items: doc.entries.iter().map(item).collect(),
    };
    serde_json::to_vec_pretty(&feed).map_err(|e| e.to_string())
}

fn item(e: &FeedEntry) -> JsonItem<'_> {
    let content_html = e.content_html.as_deref().or(e.summary_html.as_deref());
    JsonItem {
        id: &e.id,
        url: e.link.as_deref(),
        title: &e.title,
        content_html,
        // Nothing but a title: the title is the text, so the item stays valid.
        content_text: content_html.is_none().then_some(e.title.as_str()),
        summary: e.summary_text.as_deref(),
        date_published: e.published.as_ref().map(FeedEntry::rfc3339),
        date_modified: FeedEntry::rfc3339(&e.updated),
        authors: e
            .author
            .as_deref()
            .map(|name| Author { name })
            .into_iter()
            .collect(),
        tidings: e.origin.as_deref().map(|origin| Extension { origin }),
    }
}
