//! Serialised feeds, cached per feed and format until one of the feed's sources changes.
//!
//! The key is the list of the sources' store generations: while it is unchanged, a
//! request costs a map lookup and a clone of shared bytes, with no store scan and no
//! serialising. The ETag is a hash of the bytes, so a rebuild that produces the same
//! bytes (an update to an item the filters drop) keeps validators that clients hold.

use super::{FeedDoc, Format, PublishError, render, select};
use crate::config::{Config, FeedConfig};
use crate::store::Store;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One serialised feed and its validators.
#[derive(Debug)]
pub struct CachedFeed {
    generations: Vec<u64>,
    pub body: Bytes,
    /// A strong ETag, quoted.
    pub etag: String,
    /// When these bytes were first produced (whole seconds, as HTTP dates carry them).
    pub last_modified: SystemTime,
}

/// Whether a lookup was served from the cache or had to build the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Built,
}

/// Per feed id, one slot per format.
type Slots = [Option<Arc<CachedFeed>>; 3];

#[derive(Default)]
pub struct FeedCache {
    feeds: RwLock<HashMap<String, Slots>>,
}

impl FeedCache {
    pub fn new() -> FeedCache {
        FeedCache::default()
    }

    /// The bytes of `feed` in `format`, built only when its sources changed since the
    /// last build. Two requests racing on a stale feed may both build; the result is the
    /// same and the later one wins, which is cheaper than serialising every request.
    pub fn get(
        &self,
        config: &Config,
        store: &Store,
        feed: &FeedConfig,
        format: Format,
    ) -> Result<(Arc<CachedFeed>, CacheOutcome), PublishError> {
        let slot = format as usize;
        let previous = self.read().get(&feed.id).and_then(|s| s[slot].clone());
        // The hot path: no allocation, one generation read per source.
        if let Some(cached) = &previous
            && cached.generations.len() == feed.sources.len()
            && cached
                .generations
                .iter()
                .zip(&feed.sources)
                .all(|(g, s)| *g == store.generation(s))
        {
            return Ok((cached.clone(), CacheOutcome::Hit));
        }
        // Read the generations before the items: a store racing with the build then
        // leaves a stale key behind, and the next request rebuilds.
        let generations: Vec<u64> = feed.sources.iter().map(|s| store.generation(s)).collect();
        let items = select::feed_items(store, feed).map_err(|source| PublishError::Store {
            feed: feed.id.clone(),
            source,
        })?;
        let body = render(&FeedDoc::new(config, feed, items), format)?;
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
        let last_modified = match &previous {
            Some(p) if p.etag == etag => p.last_modified,
            // HTTP dates have whole seconds: a change within the second of the previous
            // build must still move Last-Modified forward, or If-Modified-Since would
            // answer 304 for bytes the client has not seen.
            Some(p) => {
                whole_seconds(SystemTime::now()).max(p.last_modified + Duration::from_secs(1))
            }
            None => whole_seconds(SystemTime::now()),
        };
        let cached = Arc::new(CachedFeed {
            generations,
            body: Bytes::from(body),
            etag,
            last_modified,
        });
        self.feeds
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(feed.id.clone())
            .or_default()[slot] = Some(cached.clone());
        metrics::counter!("tidings_feed_builds_total", "feed" => feed.id.clone(), "format" => format.extension())
            .increment(1);
        Ok((cached, CacheOutcome::Built))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Slots>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still whole.
        self.feeds.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}
