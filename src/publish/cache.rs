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
    /// The same bytes gzip-compressed, for clients that accept it (most feed readers):
    /// compressed once per build, not per request.
    pub gzip: Bytes,
    /// A strong ETag, quoted; the gzip copy's is [`CachedFeed::gzip_etag`].
    pub etag: String,
    /// When these bytes were first produced (whole seconds, as HTTP dates carry them).
    pub last_modified: SystemTime,
}

impl CachedFeed {
    /// The gzip copy is another representation, so it has its own strong ETag.
    pub fn gzip_etag(&self) -> String {
        format!("{}-gz\"", self.etag.trim_end_matches('"'))
    }
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

    /// Forget every cached feed (the configuration changed: filters, limits, titles).
    pub fn clear(&self) {
        // A poisoned lock only means a panic while building: the map is still a map.
        self.feeds
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The bytes of `feed` in `format`, built only when its sources changed since the
    /// last build.
    pub fn get(
        &self,
        config: &Config,
        store: &Store,
        feed: &FeedConfig,
        format: Format,
    ) -> Result<(Arc<CachedFeed>, CacheOutcome), PublishError> {
        match self.fresh(store, feed, format) {
            Some(cached) => Ok((cached, CacheOutcome::Hit)),
            None => Ok((
                self.build(config, store, feed, format)?,
                CacheOutcome::Built,
            )),
        }
    }

    /// The cached bytes, if the feed's sources have not changed since they were built.
    /// The hot path: no allocation, one generation read per source.
    pub fn fresh(
        &self,
        store: &Store,
        feed: &FeedConfig,
        format: Format,
    ) -> Option<Arc<CachedFeed>> {
        let cached = self.read().get(&feed.id)?[format as usize].clone()?;
        let unchanged = cached.generations.len() == feed.sources.len()
            && cached
                .generations
                .iter()
                .zip(&feed.sources)
                .all(|(g, s)| *g == store.generation(s));
        unchanged.then_some(cached)
    }

    /// Select, serialise and cache the feed now (a store scan and a serialisation: call
    /// it off the async workers). Two requests racing on a stale feed may both build;
    /// the result is the same and the later one wins, which is cheaper than making every
    /// request wait on a lock.
    pub fn build(
        &self,
        config: &Config,
        store: &Store,
        feed: &FeedConfig,
        format: Format,
    ) -> Result<Arc<CachedFeed>, PublishError> {
        let slot = format as usize;
        let previous = self.read().get(&feed.id).and_then(|s| s[slot].clone());
        // Read the generations before the items: a store racing with the build then
        // leaves a stale key behind, and the next request rebuilds.
        let generations: Vec<u64> = feed.sources.iter().map(|s| store.generation(s)).collect();
        let items = select::feed_items(store, feed).map_err(|source| PublishError::Store {
            feed: feed.id.clone(),
            source,
        })?;
        let zones: std::collections::HashMap<&str, chrono_tz::Tz> = feed
            .sources
            .iter()
            .map(|s| (s.as_str(), super::source_zone(config, store, s)))
            .collect();
        let zone = |s: &str| zones.get(s).copied().unwrap_or(chrono_tz::Tz::UTC);
        let body = render(&FeedDoc::new(config, feed, items, zone), format)?;
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
        let gzip = gzip(&body).map_err(|e| PublishError::Write {
            feed: feed.id.clone(),
            format,
            message: format!("gzip: {e}"),
        })?;
        let cached = Arc::new(CachedFeed {
            generations,
            gzip: Bytes::from(gzip),
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
        Ok(cached)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Slots>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still whole.
        self.feeds.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}
