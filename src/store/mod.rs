//! The store: sled trees, and the one place where dedup happens.
//!
//! Trees (keys in [`keys`]): `items` (source, id → [`Item`]), `recent` (sort time,
//! source, id → ()), `ranks` (source, id → what retention ranks an item by, [`ranks`]),
//! `sources` (source → [`SourceState`]), `meta` (schema version);
//! the notification stage's `outbox`, `deliveries` and `held` ([`outbox`]), and
//! `subscribers` and `tokens` ([`subscribers`]); `chats` (Telegram chats and robots,
//! [`chats`]); `gone` (items removed by retention, [`retention`]) and `quarantine`
//! (queue rows that no longer decode, moved aside); `websub_hub` and `websub_sources`
//! (WebSub subscriptions both ways, [`websub`]).
//! Values are JSON behind a one-byte schema version so the schema can grow.
//!
//! A value that no longer decodes (a disk error, a bug, an older build's leftovers) is
//! never fatal: every read logs the tree and key, counts it in
//! `tidings_store_unreadable_total{tree}` and skips it (a source's state starts afresh;
//! an outbox or held row is moved to `quarantine`, and its delivery recorded as failed).
//!
//! [`Store::store_routed`] takes what a poll found and returns only what is new or
//! changed, queueing the deliveries routing plans for them in the same transaction:
//! callers never check-then-insert.

pub mod chats;
pub mod coord;
pub mod dump;
mod health;
mod interface;
mod keys;
pub mod outbox;
pub mod pg;
mod ranks;
pub mod retention;
pub mod subscribers;
pub mod websub;

pub use chats::{ChatKind, ChatState, ChatSub, Incident, Reach};
pub use outbox::{
    Delivery, DeliveryState, Held, ItemRef, OutboxCounts, Payload, Queued, Route, Target,
    delivery_id,
};
pub use subscribers::{Subscriber, SubscriberState, Token, new_token};
pub use websub::{HubSubscription, PushState, PushSubscription, hub_subscription_id};

pub use health::SourceHealth;
pub use interface::Store;
pub use retention::{Keep, Retained};

use crate::model::{Item, ItemStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::Transactional;
use sled::transaction::TransactionError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The schema version written in front of every value and in `meta`.
const SCHEMA: u8 = 1;
const PID_FILE: &str = "tidings.pid";
/// sled page cache.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database in {dir} is in use by another tidings process{}; stop it, or reach it through its HTTP API",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked { dir: PathBuf, pid: Option<u32> },
    #[error("cannot open the database in {dir}: {source}")]
    Open { dir: PathBuf, source: sled::Error },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored value in tree {tree} is unreadable: {message}")]
    Corrupt { tree: &'static str, message: String },
    #[error("the database in {dir} has schema version {found}, newer than this tidings ({SCHEMA})")]
    Schema { dir: PathBuf, found: u8 },
    #[error("cannot connect to the PostgreSQL database {url}: {message}")]
    Connect { url: String, message: String },
    #[error("PostgreSQL: {message}")]
    Postgres {
        message: String,
        /// A serialisation failure or deadlock: the transaction may simply run again.
        retry: bool,
    },
    #[error(
        "the PostgreSQL database has schema version {found}, newer than this tidings ({known}); upgrade tidings"
    )]
    SchemaAhead { found: i32, known: i32 },
}

/// What the daemon remembers about a source between polls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// Validators for conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failures in a row; drives the backoff.
    pub failures: u32,
    /// The earliest time the source may be polled again (backoff, `Retry-After`).
    pub not_before: Option<DateTime<Utc>>,
    pub next_poll: Option<DateTime<Utc>>,
    /// How many entries the last successful parse yielded (a list that drops to zero is an alarm).
    pub last_entries: Option<usize>,
    /// A standing warning about the source (e.g. its list suddenly yields nothing).
    pub alarm: Option<String>,
    /// Successful polls so far; 0 means the source has never been read.
    pub polls_ok: u64,
    /// Article pages the last poll left for later (over the per-poll cap, failed, or cut
    /// short by shutdown). While any are left, the list is fetched unconditionally: a
    /// 304 must not hide them.
    #[serde(default)]
    pub deferred: usize,
    /// The first poll's backlog is still being drained (its article pages did not all
    /// load): items stored meanwhile are not announced.
    #[serde(default)]
    pub seeding: bool,
    /// Whether the last error is one waiting will not fix (404, 410): see
    /// [`SourceState::health`].
    #[serde(default)]
    pub error_permanent: bool,
    /// Fingerprints of the entries the last successful poll read
    /// ([`crate::process::fingerprint`]): what they make is stored already, so the next
    /// poll skips those entries unprocessed. Empty for sources that open article pages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<u64>,
    /// The IANA name of the zone the last poll read dates without an offset in
    /// (configured, else the page's evidence, else UTC): bare days are published as
    /// midnight in it.
    #[serde(default)]
    pub zone: Option<String>,
    /// Why that zone: "configured", or the evidence (`lang="zh-CN"`, `host .cn` …).
    #[serde(default)]
    pub zone_reason: Option<String>,
    /// Article pages of list links that failed to load, by item id: tried again with
    /// backoff, then given up (see [`ArticleTries`]).
    #[serde(default)]
    pub article_tries: std::collections::BTreeMap<String, ArticleTries>,
    /// Article pages given up on (the newest last, at most [`GIVEN_UP_KEPT`]): their list
    /// entries were stored as teasers (the list's title and date, a link).
    #[serde(default)]
    pub given_up: Vec<GivenUp>,
}

/// How many given-up article pages a source remembers for the status page.
pub const GIVEN_UP_KEPT: usize = 20;

/// A list link whose article page keeps failing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleTries {
    pub url: String,
    /// Failed fetches so far.
    pub tries: u32,
    /// Not fetched again before this.
    pub next_try: DateTime<Utc>,
    pub last_error: String,
}

/// An article page given up on, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GivenUp {
    pub url: String,
    pub tries: u32,
    pub last_error: String,
    pub at: DateTime<Utc>,
}

/// One stored item and whether it was new or an update.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub item: Item,
    pub status: ItemStatus,
}

/// The sled backend of [`Store`].
pub struct Sled {
    db: sled::Db,
    dir: PathBuf,
    items: sled::Tree,
    recent: sled::Tree,
    /// Mirrors `items` with 28 bytes per item ([`ranks`]).
    ranks: sled::Tree,
    sources: sled::Tree,
    outbox: sled::Tree,
    deliveries: sled::Tree,
    held: sled::Tree,
    subscribers: sled::Tree,
    tokens: sled::Tree,
    chats: sled::Tree,
    alerts: sled::Tree,
    gone: sled::Tree,
    quarantine: sled::Tree,
    websub_hub: sled::Tree,
    websub_sources: sled::Tree,
    /// Per source, a counter bumped whenever its items change, so publishers can cache
    /// serialised feeds until then. In memory: a restart rebuilds every cache anyway.
    generations: Mutex<HashMap<String, u64>>,
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA];
    // Serialising our own plain structs to JSON cannot fail.
    serde_json::to_writer(&mut out, v).expect("serialising a stored value");
    out
}

/// An item's stored value. `content_text` is left out when `content_html` is there: it
/// is the text of that HTML ([`crate::process::content_text`]), which [`decode_item`]
/// derives again, and leaving it out keeps values (and sled's leaves, copied on every
/// insert) about a quarter smaller. The text is taken out and put back, not copied.
fn encode_item(item: &mut Item) -> Vec<u8> {
    if item.content_html.is_none() {
        return encode(&*item);
    }
    let text = item.content_text.take();
    let bytes = encode(&*item);
    item.content_text = text;
    bytes
}

/// A stored item with its `content_text` (derived when the value left it out, see
/// [`encode_item`]; values written before kept it). `None` when unreadable: logged.
fn decode_item(key: &[u8], bytes: &[u8]) -> Option<Item> {
    let mut item: Item = decode_or_skip("items", key, bytes)?;
    if item.content_text.is_none()
        && let Some(html) = &item.content_html
    {
        item.content_text = crate::process::content_text(html);
    }
    Some(item)
}

fn decode<T: DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&SCHEMA, rest)) => serde_json::from_slice(rest).map_err(|e| StoreError::Corrupt {
            tree,
            message: e.to_string(),
        }),
        Some((v, _)) => Err(StoreError::Corrupt {
            tree,
            message: format!("unknown value version {v}"),
        }),
        None => Err(StoreError::Corrupt {
            tree,
            message: "empty value".into(),
        }),
    }
}

/// Log and count a value that does not decode; the caller skips it.
fn unreadable(tree: &'static str, key: &[u8], error: &StoreError) {
    tracing::error!(tree, key = %printable_key(key), %error, "skipping an unreadable stored value");
    metrics::counter!("tidings_store_unreadable_total", "tree" => tree).increment(1);
}

/// A key for logs: text where it is text, `\xNN` escapes elsewhere (time prefixes).
fn printable_key(key: &[u8]) -> String {
    key.utf8_chunks()
        .map(|c| {
            let mut s: String = c.valid().replace('\0', "/");
            for b in c.invalid() {
                s.push_str(&format!("\\x{b:02x}"));
            }
            s
        })
        .collect()
}

/// Decode, or log, count and return `None`.
fn decode_or_skip<T: DeserializeOwned>(tree: &'static str, key: &[u8], bytes: &[u8]) -> Option<T> {
    match decode(tree, bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            unreadable(tree, key, &e);
            None
        }
    }
}

/// A transaction's result with its abort reason unwrapped.
fn transaction_result<T>(r: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    match r {
        Ok(v) => Ok(v),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

/// How `item` relates to what is stored: new, an update (keeping the first-seen time),
/// or unchanged (`None`).
fn compare(source: &str, old: Option<&Item>, item: &Item) -> Option<Stored> {
    let mut item = item.clone();
    item.source = source.to_string();
    let status = match old {
        Some(old) if old.revision == item.revision => return None,
        Some(old) => {
            item.first_seen = old.first_seen;
            ItemStatus::Updated
        }
        None => ItemStatus::New,
    };
    Some(Stored { item, status })
}

impl Sled {
    /// Open (or create) the database in `dir`. Only one process may hold it; a second
    /// gets [`StoreError::Locked`] naming the directory and the holder's pid.
    pub fn open(dir: &Path) -> Result<Sled, StoreError> {
        Sled::open_with_cache(dir, CACHE_BYTES)
    }

    /// [`Sled::open`] with a page cache of `cache_bytes` (for measuring what the cache
    /// size costs: `examples/store-rss.rs`).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Sled, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            dir: dir.to_path_buf(),
            source: e.into(),
        })?;
        let db = match sled::Config::new()
            .path(dir)
            .mode(sled::Mode::LowSpace)
            // sled's default page cache is 1 GiB; the daemon's working set is small.
            .cache_capacity(cache_bytes)
            .open()
        {
            Ok(db) => db,
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("lock") =>
            {
                let pid = std::fs::read_to_string(dir.join(PID_FILE))
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            Err(source) => {
                return Err(StoreError::Open {
                    dir: dir.to_path_buf(),
                    source,
                });
            }
        };
        // Best effort: the pid only improves the "in use" message.
        let _ = std::fs::write(dir.join(PID_FILE), std::process::id().to_string());
        let meta = db.open_tree("meta")?;
        match meta.get("schema")? {
            Some(v) if v.first().copied().unwrap_or(0) > SCHEMA => {
                return Err(StoreError::Schema {
                    dir: dir.to_path_buf(),
                    found: v[0],
                });
            }
            Some(_) => {}
            None => {
                meta.insert("schema", &[SCHEMA])?;
            }
        }
        let sled = Sled {
            items: db.open_tree("items")?,
            recent: db.open_tree("recent")?,
            ranks: db.open_tree("ranks")?,
            sources: db.open_tree("sources")?,
            outbox: db.open_tree("outbox")?,
            deliveries: db.open_tree("deliveries")?,
            held: db.open_tree("held")?,
            subscribers: db.open_tree("subscribers")?,
            chats: db.open_tree("chats")?,
            alerts: db.open_tree("alerts")?,
            tokens: db.open_tree("tokens")?,
            gone: db.open_tree("gone")?,
            quarantine: db.open_tree("quarantine")?,
            websub_hub: db.open_tree("websub_hub")?,
            websub_sources: db.open_tree("websub_sources")?,
            db,
            dir: dir.to_path_buf(),
            generations: Mutex::new(HashMap::new()),
        };
        sled.build_ranks(&meta)?;
        Ok(sled)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// [`Store::store_batch`], and in the same transaction the deliveries `route` plans
    /// for what is new or updated (deduplicated by delivery id: what a target already
    /// has, or has waiting, is not queued again). A crash leaves both or neither.
    ///
    /// The call waits for the disk (`flush`, an fsync) only when it queued a delivery,
    /// before anything can be sent. Otherwise sled's own flusher writes the batch within
    /// half a second (and dropping the store flushes): sled recovers a prefix of its log,
    /// so a crash in that window loses the last polls whole, items with the source state
    /// written after them, and the next poll finds the same items again and routes them
    /// as it would have. One fsync per poll was a fifth of a cold poll's time.
    pub fn store_routed(
        &self,
        source: &str,
        items: Vec<Item>,
        route: &dyn Fn(&[Stored]) -> Vec<Route>,
    ) -> Result<Vec<Stored>, StoreError> {
        // Later duplicates in one batch (a list that shows an article twice) are dropped.
        let mut seen = std::collections::HashSet::new();
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| seen.insert(i.id.clone()))
            .collect();
        let now = Utc::now();
        let trees = (
            &self.items,
            &self.recent,
            &self.ranks,
            &self.outbox,
            &self.deliveries,
            &self.held,
            &self.gone,
        );
        let result = trees.transaction(
            |(items_t, recent_t, ranks_t, outbox_t, deliveries_t, held_t, gone_t)| {
                let mut out = Vec::new();
                let mut queued = 0;
                for item in &items {
                    let key = keys::item_key(source, &item.id);
                    let old = match items_t.get(&key)? {
                        // An unreadable stored copy is replaced by this one; the delivery
                        // index keeps it from being announced twice.
                        Some(bytes) => decode_or_skip::<Item>("items", &key, &bytes),
                        None => {
                            if let Some(t) = gone_t.get(&key)? {
                                // Removed by retention and still listed: not new.
                                if let Some(fresh) = retention::still_listed(&t, now) {
                                    gone_t.insert(key, fresh)?;
                                }
                                continue;
                            }
                            None
                        }
                    };
                    let Some(mut stored) = compare(source, old.as_ref(), item) else {
                        continue;
                    };
                    if let Some(old) = &old {
                        recent_t.remove(keys::recent_key(old.sort_time(), source, &old.id))?;
                    }
                    let item = &mut stored.item;
                    ranks_t.insert(key.as_slice(), &ranks::Rank::of(item).to_bytes()[..])?;
                    items_t.insert(key, encode_item(item))?;
                    recent_t.insert(keys::recent_key(item.sort_time(), source, &item.id), &[])?;
                    out.push(stored);
                }
                if !out.is_empty() {
                    let routes = route(&out);
                    queued = outbox::record_routes(outbox_t, deliveries_t, held_t, &routes, now)?;
                }
                Ok((out, queued))
            },
        );
        let (stored, queued) = transaction_result(result)?;
        if queued > 0 {
            self.db.flush()?;
        }
        if !stored.is_empty() {
            // A poisoned lock only means another thread panicked mid-increment.
            let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
            *g.entry(source.to_string()).or_default() += 1;
        }
        Ok(stored)
    }

    /// One stored item (`None` also when its stored value is unreadable: logged).
    pub fn item(&self, source: &str, id: &str) -> Result<Option<Item>, StoreError> {
        let key = keys::item_key(source, id);
        Ok(self.items.get(&key)?.and_then(|b| decode_item(&key, &b)))
    }

    /// Whether retention removed this item while its source still listed it: it is not
    /// new when listed again, and its page need not be fetched.
    pub fn retired(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.gone.contains_key(keys::item_key(source, id))?)
    }

    /// Whether an item is stored (a list page's article need not be fetched again).
    pub fn contains(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.items.contains_key(keys::item_key(source, id))?)
    }

    /// Number of items stored for a source (counted in `ranks`: the items themselves
    /// stay on disk).
    pub fn count_items(&self, source: &str) -> usize {
        self.ranks.scan_prefix(keys::source_prefix(source)).count()
    }

    /// Items newest first (published, else first seen) among `sources` that `keep`
    /// accepts, at most `limit` of them. Walks the time index backwards, so the cost is
    /// proportional to what is returned plus what is skipped.
    pub fn newest_items(
        &self,
        sources: &[String],
        mut keep: impl FnMut(&Item) -> bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        for entry in self.recent.iter().rev() {
            if out.len() >= limit {
                break;
            }
            let (key, _) = entry?;
            let Some((ts, source, id)) = keys::split_recent(&key) else {
                continue;
            };
            if !sources.iter().any(|s| s == source) {
                continue;
            }
            // `ts` must match: an index entry left by an unreadable copy that a fresh one
            // replaced (its old time was unknown) would show the item twice.
            if let Some(item) = self.item(source, id)?
                && item.sort_time() == ts
                && keep(&item)
            {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// How many items of `source` this daemon first saw at or after `since` (the status
    /// page's "items, 7 days"). By first seen, not published: a site that backdates its
    /// articles, or lists old ones, still shows what it brought in.
    /// Counted in `ranks`, so the status page does not read every stored item.
    pub fn count_since(&self, source: &str, since: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self
            .ranks_of(source)?
            .iter()
            .filter(|(_, r)| r.first_seen >= since)
            .count())
    }

    /// A counter that changes whenever an item of `source` is stored or updated.
    pub fn generation(&self, source: &str) -> u64 {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.get(source).copied().unwrap_or(0)
    }

    /// What the daemon remembers about `source`. An unreadable state is logged and
    /// replaced by a fresh one (see [`Store::fresh_state`]).
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        Ok(match self.sources.get(source)? {
            Some(b) => match decode_or_skip("sources", source.as_bytes(), &b) {
                Some(state) => state,
                None => self.fresh_state(source),
            },
            None => SourceState::default(),
        })
    }

    /// The state that replaces an unreadable one: empty (validators dropped, so the next
    /// poll fetches in full), except that a source with stored items counts as read once,
    /// so that its next poll announces what is new instead of taking it for a backlog.
    fn fresh_state(&self, source: &str) -> SourceState {
        tracing::warn!(
            source,
            "the source's state was unreadable; starting it afresh"
        );
        let read = self
            .items
            .scan_prefix(keys::source_prefix(source))
            .next()
            .is_some();
        SourceState {
            polls_ok: u64::from(read),
            ..SourceState::default()
        }
    }

    /// Read, change and write a source's state atomically. Not flushed: like a batch
    /// that queued nothing (see [`Sled::store_routed`]), it reaches the disk with sled's
    /// next flush, after the items of the poll it records.
    pub fn update_source_state(
        &self,
        source: &str,
        change: impl Fn(&mut SourceState),
    ) -> Result<SourceState, StoreError> {
        let mut result = SourceState::default();
        self.sources.fetch_and_update(source, |old| {
            let mut state = match old {
                Some(b) => decode_or_skip("sources", source.as_bytes(), b)
                    .unwrap_or_else(|| self.fresh_state(source)),
                None => SourceState::default(),
            };
            change(&mut state);
            result = state.clone();
            Some(encode(&state))
        })?;
        Ok(result)
    }

    /// Whether the database answers (for `/healthz`).
    pub fn check(&self) -> Result<(), StoreError> {
        self.db.get("__health__")?;
        Ok(())
    }

    /// Flush everything to disk (on shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

impl Drop for Sled {
    fn drop(&mut self) {
        let _ = self.db.flush();
        let _ = std::fs::remove_file(self.dir.join(PID_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Entry;

    /// An item as a poll makes it from an entry with an HTML body.
    fn polled(id: &str, html: &str) -> Item {
        let entry = Entry {
            id: Some(id.into()),
            title: Some(format!("Titel {id}")),
            content_html: Some(html.into()),
            ..Entry::default()
        };
        crate::process::to_item(&entry, "s", None, Utc::now())
    }

    fn stored_json(sled: &Sled, id: &str) -> serde_json::Value {
        let raw = sled.items.get(keys::item_key("s", id)).unwrap().unwrap();
        serde_json::from_slice(&raw[1..]).unwrap()
    }

    #[test]
    fn an_item_is_stored_without_its_derived_text_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let sled = Sled::open(dir.path()).unwrap();
        let item = polled(
            "a",
            "<p>Erste Zeile</p><ul><li>zweite <b>Zeile</b></li><li>dritte</li></ul>",
        );
        assert_eq!(
            item.content_text.as_deref(),
            Some("Erste Zeile\nzweite Zeile\ndritte")
        );
        let stored = sled
            .store_routed("s", vec![item.clone()], &|_| Vec::new())
            .unwrap();
        // What the poll gets back still has its text...
        assert_eq!(stored[0].item, item);
        // ...the stored value has the HTML only...
        let value = stored_json(&sled, "a");
        assert!(value["content_text"].is_null(), "{value}");
        assert_eq!(value["content_html"], item.content_html.as_deref().unwrap());
        // ...and reading gives the item as it was made, also after a reopen.
        assert_eq!(sled.item("s", "a").unwrap(), Some(item.clone()));
        drop(sled);
        let sled = Sled::open(dir.path()).unwrap();
        assert_eq!(sled.item("s", "a").unwrap(), Some(item.clone()));

        // A text-only item keeps its text; a value written before, with both, reads as
        // it was written.
        let mut text_only = polled("b", "<p>x</p>");
        text_only.content_html = None;
        text_only.content_text = Some("nur Text".into());
        sled.store_routed("s", vec![text_only.clone()], &|_| Vec::new())
            .unwrap();
        assert_eq!(stored_json(&sled, "b")["content_text"], "nur Text");
        assert_eq!(sled.item("s", "b").unwrap(), Some(text_only));
        let mut before = polled("c", "<p>neu</p>");
        before.content_text = Some("so geschrieben".into());
        sled.items
            .insert(keys::item_key("s", "c"), encode(&before))
            .unwrap();
        assert_eq!(sled.item("s", "c").unwrap(), Some(before));
    }
}
