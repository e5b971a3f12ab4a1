//! The store's interface: everything the pipeline, the notifiers and the server may ask of
//! the database, and nothing else. Two backends answer it:
//!
//! - **sled** ([`Sled`], the default): embedded, one process, nothing to run beside it.
//! - **PostgreSQL** ([`Pg`], `[store] url = "postgres://…"`): several `tidings run`
//!   replicas on one database, sharing the work by leases ([`super::pg`]).
//!
//! Both keep the same guarantees: dedup by unique keys, an item and its deliveries in one
//! transaction, an unreadable value skipped and counted, never fatal. The store's test
//! suite (`tests/store`) runs against both.

use super::pg::Pg;
use super::{
    Delivery, DeliveryState, Held, HubSubscription, Incident, Keep, OutboxCounts, PushSubscription,
    Queued, Retained, Route, Sled, SourceState, StoreError, Stored, Subscriber, SubscriberState,
    Target, Token, chats::ChatState,
};
use crate::config::Config;
use crate::model::Item;
use chrono::{DateTime, Utc};
use std::path::Path;

/// Which database answers.
pub(super) enum Backend {
    Sled(Sled),
    Postgres(Pg),
}

/// Call the same method on whichever backend this store has.
macro_rules! on_backend {
    ($self:ident, $b:ident => $call:expr) => {
        match &$self.backend {
            Backend::Sled($b) => $call,
            Backend::Postgres($b) => $call,
        }
    };
}

/// The store. Cheap to share behind an `Arc`.
pub struct Store {
    pub(super) backend: Backend,
}

impl Store {
    /// Open (or create) the sled database in `dir`. Only one process may hold it; a second
    /// gets [`StoreError::Locked`] naming the directory and the holder's pid.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sled(Sled::open(dir)?),
        })
    }

    /// [`Store::open`] with a sled page cache of `cache_bytes` instead of the default
    /// (for measuring what the cache size costs: `examples/store-rss.rs`).
    #[doc(hidden)]
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sled(Sled::open_with_cache(dir, cache_bytes)?),
        })
    }

    /// Connect to the PostgreSQL database at `url` and bring its schema up to date
    /// (versioned migrations, applied once however many replicas start at once).
    pub fn postgres(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Postgres(Pg::connect(url)?),
        })
    }

    /// The store `feeds.toml` names: `[store] url`, else sled in `[daemon] data_dir`.
    pub fn open_configured(config: &Config) -> Result<Store, StoreError> {
        match &config.store.url {
            Some(url) => Store::postgres(url.expose()),
            None => Store::open(&config.daemon.data_dir),
        }
    }

    /// The sled directory (`None` on PostgreSQL).
    pub fn dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sled(s) => Some(s.dir()),
            Backend::Postgres(_) => None,
        }
    }

    /// What the store is, for logs and the status page: the sled directory, or the
    /// PostgreSQL server and database (never the password).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sled(s) => format!("sled in {}", s.dir().display()),
            Backend::Postgres(p) => format!("PostgreSQL {}", p.describe()),
        }
    }

    /// This replica's name in a shared database (`host:pid:…`); `None` for sled, which
    /// one process holds alone.
    pub fn replica(&self) -> Option<&str> {
        match &self.backend {
            Backend::Sled(_) => None,
            Backend::Postgres(p) => Some(p.replica()),
        }
    }

    /// Store what a poll of `source` found. Returns only the items that are new, or
    /// whose title or content changed since they were stored (with `first_seen` kept).
    /// All of it is one transaction: a crash stores all or nothing.
    pub fn store_batch(&self, source: &str, items: Vec<Item>) -> Result<Vec<Stored>, StoreError> {
        self.store_routed(source, items, &|_| Vec::new())
    }

    /// What [`Store::store_batch`] would return, without writing anything
    /// (`tidings poll --dry-run`).
    pub fn diff_batch(&self, source: &str, items: Vec<Item>) -> Result<Vec<Stored>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for item in items.iter().filter(|i| seen.insert(i.id.clone())) {
            let old = self.item(source, &item.id)?;
            if old.is_none() && self.retired(source, &item.id)? {
                continue;
            }
            out.extend(super::compare(source, old.as_ref(), item));
        }
        Ok(out)
    }

    /// The active subscribers of `list`: the ones routing sends to.
    pub fn active_subscribers(&self, list: &str) -> Result<Vec<Subscriber>, StoreError> {
        let mut all = self.subscribers(Some(list))?;
        all.retain(|s| s.state == SubscriberState::Active);
        Ok(all)
    }

    // ---- mod ----

    /// [`Store::store_batch`], and in the same transaction the deliveries `route` plans
    /// for what is new or updated (deduplicated by delivery id: what a target already
    /// has, or has waiting, is not queued again). A crash leaves both or neither.
    pub fn store_routed(
        &self,
        source: &str,
        items: Vec<Item>,
        route: &dyn Fn(&[Stored]) -> Vec<Route>,
    ) -> Result<Vec<Stored>, StoreError> {
        on_backend!(self, b => b.store_routed(source, items, route))
    }

    /// One stored item (`None` also when its stored value is unreadable: logged).
    pub fn item(&self, source: &str, id: &str) -> Result<Option<Item>, StoreError> {
        on_backend!(self, b => b.item(source, id))
    }

    /// Whether retention removed this item while its source still listed it: it is not
    /// new when listed again, and its page need not be fetched.
    pub fn retired(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        on_backend!(self, b => b.retired(source, id))
    }

    /// Whether an item is stored (a list page's article need not be fetched again).
    pub fn contains(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        on_backend!(self, b => b.contains(source, id))
    }

    /// Number of items stored for a source.
    pub fn count_items(&self, source: &str) -> usize {
        on_backend!(self, b => b.count_items(source))
    }

    /// Items newest first (published, else first seen) among `sources` that `keep`
    /// accepts, at most `limit` of them. Walks the time index backwards, so the cost is
    /// proportional to what is returned plus what is skipped.
    pub fn newest_items(
        &self,
        sources: &[String],
        keep: impl FnMut(&Item) -> bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        on_backend!(self, b => b.newest_items(sources, keep, limit))
    }

    /// How many items of `source` this daemon first saw at or after `since` (the status
    /// page's "items, 7 days"). By first seen, not published: a site that backdates its
    /// articles, or lists old ones, still shows what it brought in.
    pub fn count_since(&self, source: &str, since: DateTime<Utc>) -> Result<usize, StoreError> {
        on_backend!(self, b => b.count_since(source, since))
    }

    /// A counter that changes whenever an item of `source` is stored or updated.
    pub fn generation(&self, source: &str) -> u64 {
        on_backend!(self, b => b.generation(source))
    }

    /// What the daemon remembers about `source`. An unreadable state is logged and
    /// replaced by a fresh one (see [`Store::fresh_state`]).
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        on_backend!(self, b => b.source_state(source))
    }

    /// Read, change and write a source's state atomically.
    pub fn update_source_state(
        &self,
        source: &str,
        change: impl Fn(&mut SourceState),
    ) -> Result<SourceState, StoreError> {
        on_backend!(self, b => b.update_source_state(source, change))
    }

    /// Whether the database answers (for `/healthz`).
    pub fn check(&self) -> Result<(), StoreError> {
        on_backend!(self, b => b.check())
    }

    /// Flush everything to disk (on shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        on_backend!(self, b => b.flush())
    }

    // ---- outbox ----

    /// Queue deliveries outside a poll (a confirmation mail). Dedup applies.
    pub fn queue(&self, routes: &[Route]) -> Result<usize, StoreError> {
        on_backend!(self, b => b.queue(routes))
    }

    /// Rows due at or before `now`, oldest first, at most `limit`. Unreadable rows are
    /// logged and moved aside (see [`Store::quarantine_row`]).
    pub fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Queued>, StoreError> {
        on_backend!(self, b => b.due(now, limit))
    }

    /// When the next row is due (the worker sleeps until then).
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        on_backend!(self, b => b.next_due())
    }

    /// Every row in the outbox (for `tidings chats list`, status and tests).
    pub fn outbox(&self) -> Result<Vec<Queued>, StoreError> {
        on_backend!(self, b => b.outbox())
    }

    /// Close a row with its final state (sent, failed or dropped), in one transaction.
    pub fn finish(&self, row: &Queued, state: DeliveryState) -> Result<(), StoreError> {
        on_backend!(self, b => b.finish(row, state))
    }

    /// Put a row back for another attempt at `due`, counting the failure,
    /// and the same target's `rest` behind it, in one transaction (a postponement of
    /// the failed row and the rest, so both backends share it).
    pub fn retry(
        &self,
        row: &Queued,
        due: DateTime<Utc>,
        error: &str,
        rest: &[Queued],
    ) -> Result<(), StoreError> {
        let mut failed = row.clone();
        failed.delivery.attempts += 1;
        failed.delivery.last_error = Some(error.to_string());
        let mut rows = Vec::with_capacity(rest.len() + 1);
        rows.push(failed);
        rows.extend_from_slice(rest);
        self.postpone(&rows, due, row.seq)
    }

    /// Move rows to `due` in the order given, numbered from `first_seq`, without counting
    /// a failure: the rest of a chat's queue waits behind a row that a flood limit or a
    /// failure put back.
    pub fn postpone(
        &self,
        rows: &[Queued],
        due: DateTime<Utc>,
        first_seq: u32,
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.postpone(rows, due, first_seq))
    }

    /// Replace `rows` (one target's burst) by one `delivery` in their place, in one
    /// transaction; each row is recorded as merged into it. Returns the new row.
    pub fn merge(&self, rows: &[Queued], delivery: Delivery) -> Result<Queued, StoreError> {
        on_backend!(self, b => b.merge(rows, delivery))
    }

    /// Move everything queued or held for `from` to `to` (a group became a supergroup),
    /// keeping order and delivery ids. Returns how many rows moved.
    pub fn retarget(&self, from: &Target, to: &Target) -> Result<usize, StoreError> {
        on_backend!(self, b => b.retarget(from, to))
    }

    /// What became of a delivery.
    /// (`None` also when the record is unreadable: logged.)
    pub fn delivery_state(&self, id: &str) -> Result<Option<DeliveryState>, StoreError> {
        on_backend!(self, b => b.delivery_state(id))
    }

    /// Items held for `target`'s next digest, oldest first.
    pub fn held(&self, target: &Target) -> Result<Vec<Held>, StoreError> {
        on_backend!(self, b => b.held(target))
    }

    /// A digest run for `target`: everything held for it becomes one delivery (built by
    /// `make` from the held items, newest last), in one transaction. Nothing held, no
    /// delivery. Returns the delivery queued, if any.
    pub fn take_digest(
        &self,
        target: &Target,
        make: impl Fn(Vec<Held>) -> Delivery,
    ) -> Result<Option<Delivery>, StoreError> {
        on_backend!(self, b => b.take_digest(target, make))
    }

    /// Drop everything held for a target (it unsubscribed).
    pub fn drop_held(&self, target: &Target) -> Result<usize, StoreError> {
        on_backend!(self, b => b.drop_held(target))
    }

    /// Outbox counts, optionally only for targets whose key starts with `prefix`.
    pub fn outbox_counts(&self, prefix: &str) -> Result<OutboxCounts, StoreError> {
        on_backend!(self, b => b.outbox_counts(prefix))
    }

    /// Outbox counts of one target exactly (`telegram:-1001` is not `telegram:-10011`).
    pub fn target_counts(&self, target: &Target) -> Result<OutboxCounts, StoreError> {
        on_backend!(self, b => b.target_counts(target))
    }

    // ---- retention ----

    /// Apply `keep` to each source, then forget old records. One pass over the outbox
    /// decides which items are still needed.
    pub fn retain_all(
        &self,
        sources: &[(String, Keep)],
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        on_backend!(self, b => b.retain_all(sources, now))
    }

    /// Apply `keep` to one source (no record forgetting).
    pub fn retain(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        on_backend!(self, b => b.retain(source, keep, now))
    }

    /// How many tombstones `source` has (for tests and the status page).
    pub fn count_retired(&self, source: &str) -> usize {
        on_backend!(self, b => b.count_retired(source))
    }

    /// The database's size on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        on_backend!(self, b => b.size_on_disk())
    }

    // ---- subscribers ----

    /// One subscriber (`None` also when the stored value is unreadable: logged).
    pub fn subscriber(&self, list: &str, address: &str) -> Result<Option<Subscriber>, StoreError> {
        on_backend!(self, b => b.subscriber(list, address))
    }

    /// Subscribers of `list` (or of every list), in key order. Unreadable rows are logged
    /// and skipped.
    pub fn subscribers(&self, list: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        on_backend!(self, b => b.subscribers(list))
    }

    /// Write a subscriber, and its unsubscribe token.
    pub fn put_subscriber(&self, s: &Subscriber) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_subscriber(s))
    }

    /// Change a subscriber in place; `None` when there is none.
    pub fn update_subscriber(
        &self,
        list: &str,
        address: &str,
        change: impl FnOnce(&mut Subscriber),
    ) -> Result<Option<Subscriber>, StoreError> {
        on_backend!(self, b => b.update_subscriber(list, address, change))
    }

    /// Delete a subscriber and its tokens. Returns whether there was one.
    pub fn remove_subscriber(&self, list: &str, address: &str) -> Result<bool, StoreError> {
        on_backend!(self, b => b.remove_subscriber(list, address))
    }

    pub fn put_token(&self, token: &str, t: &Token) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_token(token, t))
    }

    /// What a token is for (`None` also when unreadable: logged).
    pub fn token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        on_backend!(self, b => b.token(token))
    }

    /// Remove a token (a confirmation is single use).
    pub fn take_token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        on_backend!(self, b => b.take_token(token))
    }

    // ---- chats ----

    /// A chat's state (`None` also when the stored value is unreadable: logged; the
    /// next change writes a fresh row over it).
    pub fn chat(&self, target: &Target) -> Result<Option<ChatState>, StoreError> {
        on_backend!(self, b => b.chat(target))
    }

    /// Every chat and robot the store knows, in key order. Unreadable rows are logged and
    /// skipped.
    pub fn chats(&self) -> Result<Vec<ChatState>, StoreError> {
        on_backend!(self, b => b.chats())
    }

    pub fn put_chat(&self, chat: &ChatState) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_chat(chat))
    }

    /// Change a chat in place, creating its row first when there is none. Returns it.
    pub fn update_chat(
        &self,
        target: &Target,
        change: impl FnOnce(&mut ChatState),
    ) -> Result<ChatState, StoreError> {
        on_backend!(self, b => b.update_chat(target, change))
    }

    /// Where messages for `target` go now: a group that became a supergroup is followed
    /// (a few hops at most; a loop stops there).
    pub fn follow_migration(&self, target: &Target) -> Result<Target, StoreError> {
        on_backend!(self, b => b.follow_migration(target))
    }

    /// Open incidents, by key.
    pub fn incidents(&self) -> Result<Vec<(String, Incident)>, StoreError> {
        on_backend!(self, b => b.incidents())
    }

    /// Open (`Some`) or close (`None`) an incident.
    pub fn set_incident(&self, key: &str, incident: Option<&Incident>) -> Result<(), StoreError> {
        on_backend!(self, b => b.set_incident(key, incident))
    }

    // ---- websub ----

    /// Record a verified subscription (new, or renewed with a new lease and secret).
    pub fn put_hub_subscription(&self, sub: &HubSubscription) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_hub_subscription(sub))
    }

    /// A subscription (`None` also when its row is unreadable: logged, counted).
    pub fn hub_subscription(&self, id: &str) -> Result<Option<HubSubscription>, StoreError> {
        on_backend!(self, b => b.hub_subscription(id))
    }

    /// Remove a subscription (unsubscribed, or the callback answered 410 Gone). Returns
    /// whether there was one.
    pub fn remove_hub_subscription(&self, id: &str) -> Result<bool, StoreError> {
        on_backend!(self, b => b.remove_hub_subscription(id))
    }

    /// Every subscription, expired ones included (unreadable rows are logged, skipped).
    pub fn hub_subscriptions(&self) -> Result<Vec<HubSubscription>, StoreError> {
        on_backend!(self, b => b.hub_subscriptions())
    }

    /// Change a subscription in place, if it is still there.
    pub fn update_hub_subscription(
        &self,
        id: &str,
        change: impl Fn(&mut HubSubscription),
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.update_hub_subscription(id, change))
    }

    /// Forget subscriptions whose lease ended before `now`. Returns how many.
    pub fn purge_expired_hub_subscriptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        on_backend!(self, b => b.purge_expired_hub_subscriptions(now))
    }

    /// Our subscription for `source` (`None` also when its row is unreadable: logged,
    /// counted; the next subscription writes a fresh row).
    pub fn push_subscription(&self, source: &str) -> Result<Option<PushSubscription>, StoreError> {
        on_backend!(self, b => b.push_subscription(source))
    }

    pub fn put_push_subscription(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_push_subscription(sub))
    }

    /// Change our subscription for `source` in place, if there is one.
    pub fn update_push_subscription(
        &self,
        source: &str,
        change: impl Fn(&mut PushSubscription),
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.update_push_subscription(source, change))
    }

    pub fn remove_push_subscription(&self, source: &str) -> Result<(), StoreError> {
        on_backend!(self, b => b.remove_push_subscription(source))
    }

    /// Every subscription of ours to a source's hub.
    pub fn push_subscriptions(&self) -> Result<Vec<PushSubscription>, StoreError> {
        on_backend!(self, b => b.push_subscriptions())
    }
}
