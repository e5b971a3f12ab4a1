//! Retention: what the store forgets, so that the database stops growing.
//!
//! **Items.** Per source, an item is kept while it is among the source's newest
//! `keep_items` (by published time, else first seen: the order feeds list them) **or**
//! was first stored less than `keep_days` ago; it goes when both limits let it go
//! (whichever keeps more wins). So a quiet source keeps a full feed however old its news
//! is, a burst is never cut short before `keep_days`, and a source holds at most
//! `keep_items` plus what it published in the last `keep_days`. Age is counted from when
//! Tidings first stored the item, not from its published date: adding a source whose list
//! shows 2019 articles does not expire them at once.
//!
//! An item that a queued delivery or a held digest row still names is kept until that is
//! sent (it is looked at again by the next run): retention never turns a delivery into
//! "the item is no longer stored".
//!
//! **Tombstones.** A removed item leaves a small record in tree `gone` (its key → when the
//! source last listed it). While the source still lists the item it is not stored again,
//! not announced again and its page is not fetched again; the record is refreshed (at most
//! daily) each time it is listed, and forgotten [`FORGET_GONE_DAYS`] after the source last
//! listed it.
//!
//! **Records.** A delivery's final state (sent, failed, dropped, merged) is the dedup
//! index that stops an article reaching a reader twice; it is forgotten after
//! [`FORGET_DELIVERIES_DAYS`]. Queued and held deliveries are never touched. Expired
//! confirmation tokens are dropped.

use super::{
    DeliveryState, Payload, Sled, StoreError, Token, decode, decode_or_skip, encode, keys,
    outbox::Delivery, transaction_result,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::collections::HashSet;

/// How long a tombstone outlives the last listing of its item.
pub const FORGET_GONE_DAYS: i64 = 90;
/// How long a delivery's final state is remembered (its dedup horizon).
pub const FORGET_DELIVERIES_DAYS: i64 = 180;
/// Items removed per transaction.
const CHUNK: usize = 256;

/// How much of a source to keep; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// The newest this many items stay (0: the count keeps nothing by itself).
    pub items: usize,
    /// Items first stored less than this many days ago stay (0: age keeps nothing).
    pub days: u32,
}

impl Keep {
    /// The defaults: the newest 200 items, and everything stored in the last 30 days.
    pub const DEFAULT: Keep = Keep {
        items: 200,
        days: 30,
    };
}

impl Default for Keep {
    fn default() -> Self {
        Keep::DEFAULT
    }
}

/// What one retention run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retained {
    /// Items removed (each leaves a tombstone).
    pub removed: usize,
    /// Items past both limits kept because a delivery or digest still names them.
    pub pinned: usize,
    /// Items left.
    pub kept: usize,
    /// Tombstones, delivery records and tokens forgotten.
    pub forgotten: usize,
}

impl Retained {
    pub(super) fn add(&mut self, o: &Retained) {
        self.removed += o.removed;
        self.pinned += o.pinned;
        self.kept += o.kept;
        self.forgotten += o.forgotten;
    }
}

/// A removed item (tree `gone`).
#[derive(Debug, Serialize, Deserialize)]
struct Tombstone {
    /// The last time the source was seen listing it (refreshed at most daily).
    listed: DateTime<Utc>,
}

/// A tombstone's item is listed again: the refreshed value to write, when the stored one
/// is a day old (or unreadable).
pub(super) fn still_listed(bytes: &[u8], now: DateTime<Utc>) -> Option<Vec<u8>> {
    match decode::<Tombstone>("gone", bytes) {
        Ok(t) if now - t.listed < Duration::days(1) => None,
        _ => Some(encode(&Tombstone { listed: now })),
    }
}

/// (source, id) of every item a queued delivery or a held digest row names.
pub(super) type Pinned = HashSet<(String, String)>;

/// Add the items a queued delivery names to `pinned` (both backends' retention).
pub(super) fn pin(payload: Payload, pinned: &mut Pinned) {
    match payload {
        Payload::Item(h) => {
            pinned.insert((h.item.source, h.item.id));
        }
        Payload::Digest { items, .. } => {
            pinned.extend(items.into_iter().map(|h| (h.item.source, h.item.id)));
        }
        Payload::Feed { items, .. } => {
            pinned.extend(items.into_iter().map(|r| (r.source, r.id)));
        }
        Payload::Confirm { .. } | Payload::Alert { .. } => {}
    }
}

impl Sled {
    /// Apply `keep` to each source, then forget old records. One pass over the outbox
    /// decides which items are still needed.
    pub fn retain_all(
        &self,
        sources: &[(String, Keep)],
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let pinned = self.pinned()?;
        let mut total = Retained::default();
        for (source, keep) in sources {
            total.add(&self.retain_source(source, *keep, now, &pinned)?);
        }
        total.forgotten = self.forget_records(now)?;
        Ok(total)
    }

    /// Apply `keep` to one source (no record forgetting).
    pub fn retain(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let pinned = self.pinned()?;
        self.retain_source(source, keep, now, &pinned)
    }

    /// Items that queued or held deliveries name. `held` is read before `outbox`: a
    /// digest run moves rows from the first to the second in one transaction, so each
    /// row is seen in one of them.
    fn pinned(&self) -> Result<Pinned, StoreError> {
        let mut pinned = Pinned::new();
        for entry in self.held.iter() {
            let (key, value) = entry?;
            if let Some(h) = decode_or_skip::<super::Held>("held", &key, &value) {
                pinned.insert((h.item.source, h.item.id));
            }
        }
        for entry in self.outbox.iter() {
            let (key, value) = entry?;
            let Some(d) = decode_or_skip::<Delivery>("outbox", &key, &value) else {
                continue;
            };
            pin(d.payload, &mut pinned);
        }
        Ok(pinned)
    }

    fn retain_source(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
        pinned: &Pinned,
    ) -> Result<Retained, StoreError> {
        // Ranked from the small `ranks` tree, never from the items themselves: reading
        // every item made sled hold the whole store in memory (see [`super::ranks`]).
        let mut items = self.ranks_of(source)?;
        // Newest first (sort time, then id).
        items.sort_by(|(a_id, a), (b_id, b)| (b.sort_time, b_id).cmp(&(a.sort_time, a_id)));
        let young = now - Duration::days(i64::from(keep.days));
        let mut out = Retained::default();
        let mut doomed = Vec::new();
        for (n, (id, rank)) in items.into_iter().enumerate() {
            if n < keep.items || rank.first_seen > young {
                out.kept += 1;
            } else if pinned.contains(&(source.to_string(), id.clone())) {
                out.pinned += 1;
                out.kept += 1;
            } else {
                doomed.push((id, rank));
            }
        }
        let tombstone = encode(&Tombstone { listed: now });
        let trees = (&self.items, &self.recent, &self.ranks, &self.gone);
        for chunk in doomed.chunks(CHUNK) {
            let removed = transaction_result(trees.transaction(|(items, recent, ranks, gone)| {
                let mut removed = 0;
                for (id, rank) in chunk {
                    let key = keys::item_key(source, id);
                    // Stored again since the scan (an update routes deliveries that name
                    // it): its rank changed; leave it for the next run. The item itself
                    // is not read: its rank says where its `recent` entry is.
                    if ranks.get(&key)?.as_deref() != Some(&rank.to_bytes()[..]) {
                        continue;
                    }
                    items.remove(key.as_slice())?;
                    ranks.remove(key.as_slice())?;
                    recent.remove(keys::recent_key(rank.sort_time, source, id))?;
                    gone.insert(key, tombstone.as_slice())?;
                    removed += 1;
                }
                Ok(removed)
            }))?;
            out.removed += removed;
            out.kept += chunk.len() - removed;
        }
        if out.removed > 0 {
            self.db.flush()?;
            let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
            *g.entry(source.to_string()).or_default() += 1;
            metrics::counter!("tidings_retention_removed_total", "source" => source.to_string())
                .increment(out.removed as u64);
        }
        Ok(out)
    }

    /// Forget tombstones no longer listed, old final delivery states and expired tokens.
    /// Returns how many records went.
    fn forget_records(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut n = 0;
        let gone_before = now - Duration::days(FORGET_GONE_DAYS);
        for entry in self.gone.iter() {
            let (key, value) = entry?;
            let forget = match decode::<Tombstone>("gone", &value) {
                Ok(t) => t.listed < gone_before,
                Err(_) => true,
            };
            // Compare-and-swap: a poll that just refreshed it wins.
            if forget
                && self
                    .gone
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                n += 1;
            }
        }
        let sent_before = now - Duration::days(FORGET_DELIVERIES_DAYS);
        for entry in self.deliveries.iter() {
            let (key, value) = entry?;
            let Some(state) = decode_or_skip::<DeliveryState>("deliveries", &key, &value) else {
                continue;
            };
            let at = match state {
                DeliveryState::Queued { .. } | DeliveryState::Held => continue,
                DeliveryState::Sent { at }
                | DeliveryState::Failed { at, .. }
                | DeliveryState::Dropped { at, .. }
                | DeliveryState::Merged { at, .. } => at,
            };
            if at < sent_before
                && self
                    .deliveries
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                n += 1;
            }
        }
        for entry in self.tokens.iter() {
            let (key, value) = entry?;
            if let Some(Token::Confirm { expires, .. }) =
                decode_or_skip::<Token>("tokens", &key, &value)
                && expires < now
                && self
                    .tokens
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                n += 1;
            }
        }
        if n > 0 {
            self.db.flush()?;
        }
        Ok(n)
    }

    /// How many tombstones `source` has (for tests and the status page).
    pub fn count_retired(&self, source: &str) -> usize {
        self.gone.scan_prefix(keys::source_prefix(source)).count()
    }

    /// The database's size on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}
