//! Which items a feed holds: the newest `limit` items of its sources that pass its
//! include/exclude filters, newest first (published, else first seen).

use crate::config::FeedConfig;
use crate::model::Item;
use crate::store::{Store, StoreError};

/// The limit when a feed sets none (or zero).
pub const DEFAULT_LIMIT: usize = 50;

pub fn feed_items(store: &Store, feed: &FeedConfig) -> Result<Vec<Item>, StoreError> {
    let limit = if feed.limit == 0 {
        DEFAULT_LIMIT
    } else {
        feed.limit
    };
    store.newest_items(&feed.sources, |item| accepts(feed, item), limit)
}

/// Whether `item` passes the feed's filters: any include matches (or there are none)
/// and no exclude matches, each matched on the title and the text.
pub fn accepts(feed: &FeedConfig, item: &Item) -> bool {
    if feed.include.is_empty() && feed.exclude.is_empty() {
        return true;
    }
    let text = item
        .content_text
        .as_deref()
        .or(item.summary.as_deref())
        .unwrap_or("");
    let haystack = format!("{}\n{}", item.title, text);
    (feed.include.is_empty() || feed.include.iter().any(|f| f.matches(&haystack)))
        && !feed.exclude.iter().any(|f| f.matches(&haystack))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Filter;

    fn feed(include: Vec<Filter>, exclude: Vec<Filter>) -> FeedConfig {
        FeedConfig {
            id: "f".into(),
            title: None,
            description: None,
            sources: vec!["s".into()],
            include,
            exclude,
            limit: 0,
        }
    }

    fn item(title: &str, text: &str) -> Item {
        Item {
            source: "s".into(),
            id: title.into(),
            url: None,
            title: title.into(),
            published: None,
            updated: None,
            author: None,
            origin: None,
            summary: None,
            content_text: Some(text.into()),
            content_html: None,
            first_seen: chrono::Utc::now(),
            revision: 0,
        }
    }

    #[test]
    fn include_matches_title_or_text_and_exclude_wins() {
        let f = feed(
            vec![Filter::Keyword("棉花".into())],
            vec![Filter::Regex(regex::Regex::new("^广告").unwrap())],
        );
        assert!(accepts(&f, &item("今年棉花丰收", "")));
        assert!(accepts(&f, &item("新闻", "说到棉花")));
        assert!(!accepts(&f, &item("新闻", "无关")));
        assert!(!accepts(&f, &item("广告：棉花", "")));
    }
}
