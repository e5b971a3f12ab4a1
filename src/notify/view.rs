//! What a message shows, resolved from the store and the configuration, ready for a
//! channel to render: the item's title, link, source, time in the daemon's zone and an
//! excerpt. Channels see these views, never the store.

use crate::config::Config;
use crate::filter;
use crate::model::{Item, ItemStatus, PubDate};
use crate::store::Held;
use crate::text::fold_whitespace;
use chrono_tz::Tz;
use serde::Serialize;

/// Characters of text in an excerpt.
pub const EXCERPT_CHARS: usize = 200;

/// One item as messages show it. Every string is as the source gave it: templates escape.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub title: String,
    pub url: Option<String>,
    /// The source's title (else its id).
    pub source: String,
    /// The published time in the daemon's zone (`2022-09-07 10:45`, or a bare day).
    pub published: Option<String>,
    pub author: Option<String>,
    /// The original publisher (来源).
    pub origin: Option<String>,
    /// The start of the text, cut at a word or character boundary, with `…`.
    pub excerpt: String,
    /// The item's sanitised HTML (cleaned when stored), for mails that show it whole.
    pub content_html: Option<String>,
    pub updated: bool,
    /// The subscriber's keyword that picked it.
    pub keyword: Option<String>,
}

/// Items of one feed in a digest.
#[derive(Debug, Clone, Serialize)]
pub struct FeedGroup {
    pub feed: String,
    pub items: Vec<ItemView>,
}

/// What one message carries.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Content {
    Item {
        item: ItemView,
    },
    Digest {
        /// The firing this digest belongs to, local time.
        run: String,
        count: usize,
        groups: Vec<FeedGroup>,
    },
    Confirm {
        confirm_url: String,
    },
    /// An operator alert (or its recovery).
    Alert {
        title: String,
        detail: String,
        recovered: bool,
    },
    /// A WebSub push: a feed document holding the new entries, for one subscription.
    Feed(FeedPush),
}

/// What a WebSub push carries, resolved by the worker from the subscription and the
/// store: where it goes, the body and its headers.
#[derive(Clone, Serialize)]
pub struct FeedPush {
    pub callback: String,
    /// The feed URL (`rel="self"` in the `Link` header).
    pub topic: String,
    /// The hub advertised (`rel="hub"`).
    pub hub: String,
    pub content_type: String,
    pub body: String,
    /// The subscriber's `hub.secret`, for `X-Hub-Signature`.
    #[serde(skip)]
    pub secret: Option<String>,
}

// The secret stays out of logs.
impl std::fmt::Debug for FeedPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedPush")
            .field("callback", &self.callback)
            .field("topic", &self.topic)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl ItemView {
    pub fn new(config: &Config, item: &Item, held: &Held) -> ItemView {
        let tz = config.daemon.timezone;
        let source = config
            .source(&item.source)
            .and_then(|s| s.title.clone())
            .unwrap_or_else(|| item.source.clone());
        let text = item
            .content_text
            .as_deref()
            .or(item.summary.as_deref())
            .unwrap_or("");
        ItemView {
            title: item.title.clone(),
            url: item.url.clone(),
            source,
            published: item.published.map(|p| local_time(p, tz)),
            author: item.author.clone(),
            origin: item.origin.clone(),
            excerpt: excerpt(text, EXCERPT_CHARS),
            content_html: item.content_html.clone(),
            updated: held.status == ItemStatus::Updated,
            keyword: held.keyword.clone(),
        }
    }
}

/// Group a digest's items by the first of `feeds` that takes each, groups in the list's
/// order of feeds, newest first within a group. Items no feed takes any more come last,
/// grouped under their source.
pub fn group(config: &Config, feeds: &[String], items: Vec<(Item, ItemView)>) -> Vec<FeedGroup> {
    let feeds: Vec<_> = feeds
        .iter()
        .filter_map(|id| config.feeds.iter().find(|f| f.id == *id))
        .collect();
    // (position in the list's feeds, or past them; group) in order of first appearance.
    let mut groups: Vec<(usize, FeedGroup)> = Vec::new();
    let mut sorted = items;
    sorted.sort_by_key(|(item, _)| std::cmp::Reverse(item.sort_time()));
    for (item, view) in sorted {
        let (rank, name) = match feeds.iter().position(|f| filter::feed_accepts(f, &item)) {
            Some(i) => (
                i,
                feeds[i]
                    .title
                    .clone()
                    .unwrap_or_else(|| feeds[i].id.clone()),
            ),
            None => (feeds.len(), view.source.clone()),
        };
        match groups.iter_mut().find(|(_, g)| g.feed == name) {
            Some((_, g)) => g.items.push(view),
            None => groups.push((
                rank,
                FeedGroup {
                    feed: name,
                    items: vec![view],
                },
            )),
        }
    }
    // Stable: groups past the list's feeds keep their order of appearance.
    groups.sort_by_key(|(rank, _)| *rank);
    groups.into_iter().map(|(_, g)| g).collect()
}

/// A date as a reader in the daemon's zone reads it; a bare day stays a day.
pub fn local_time(p: PubDate, tz: Tz) -> String {
    match p {
        PubDate::Instant(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        PubDate::Day(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// The first `max` characters of `text` with whitespace folded, cut at a space when one
/// is near the end (Western text) and marked with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let folded = fold_whitespace(text);
    if folded.chars().count() <= max {
        return folded;
    }
    let cut: String = folded.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() * 3 / 4 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_cleanly_in_both_scripts() {
        assert_eq!(excerpt("short  text\n", 20), "short text");
        let en = "word ".repeat(60);
        let e = excerpt(&en, 50);
        assert!(e.ends_with("word…"), "{e}");
        let zh = "棉花".repeat(200);
        let e = excerpt(&zh, 10);
        assert_eq!(e.chars().count(), 11);
    }
}
