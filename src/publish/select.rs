//! Which items a feed holds: the newest `limit` items of its sources that pass its
//! include/exclude filters ([`crate::filter`]), newest first (published, else first seen).

use crate::config::FeedConfig;
use crate::filter;
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
    store.newest_items(&feed.sources, |item| filter::passes(feed, item), limit)
}
