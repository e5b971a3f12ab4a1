//! Which items a feed holds: the newest `limit` items of its sources that pass its
//! include/exclude filters ([`crate::filter`]), newest first (published, else first seen),
//! each article once.
//!
//! A feed that merges sources often gets one article from several of them (two columns of
//! a portal that both list it; a site's feed and its list page). It is shown once, keyed by
//! its canonical URL, and credited to the source that found it first (earliest first seen;
//! on a tie, the source the feed names first).

use crate::config::FeedConfig;
use crate::filter;
use crate::model::Item;
use crate::store::{Store, StoreError};
use crate::text::url::canonical_url;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The limit when a feed sets none (or zero).
pub const DEFAULT_LIMIT: usize = 50;

pub fn feed_items(store: &Store, feed: &FeedConfig) -> Result<Vec<Item>, StoreError> {
    let limit = if feed.limit == 0 {
        DEFAULT_LIMIT
    } else {
        feed.limit
    };
    let rank = |source: &str| {
        feed.sources
            .iter()
            .position(|s| s == source)
            .unwrap_or(usize::MAX)
    };
    // Per article shown: the (first seen, source rank) of the copy to credit, and that
    // copy when it is not the one the walk met first.
    let mut shown: HashMap<String, (DateTime<Utc>, usize)> = HashMap::new();
    let mut earlier: HashMap<String, Item> = HashMap::new();
    let mut items = store.newest_items(
        &feed.sources,
        |item| {
            if !filter::passes(feed, item) {
                return false;
            }
            let Some(key) = article_key(item) else {
                return true;
            };
            let this = (item.first_seen, rank(&item.source));
            match shown.get_mut(&key) {
                None => {
                    shown.insert(key, this);
                    true
                }
                Some(best) => {
                    if this < *best {
                        *best = this;
                        earlier.insert(key, item.clone());
                    }
                    false
                }
            }
        },
        limit,
    )?;
    if !earlier.is_empty() {
        for item in &mut items {
            if let Some(credited) = article_key(item).and_then(|k| earlier.remove(&k)) {
                *item = credited;
            }
        }
        // The credited copy may carry another date than the one the walk met.
        items.sort_by_key(|i| std::cmp::Reverse(i.sort_time()));
    }
    Ok(items)
}

/// What makes two items one article: the canonical URL (none: never merged).
fn article_key(item: &Item) -> Option<String> {
    let url = item.url.as_deref()?;
    Some(canonical_url(url, None).map_or_else(|| url.to_string(), String::from))
}
