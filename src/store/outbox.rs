//! The outbox: deliveries waiting to be sent, what was sent, and items held for the next
//! digest.
//!
//! Trees:
//! - `outbox`: (due time, sequence, delivery id) → [`Delivery`]. The worker reads it in due
//!   order; the sequence keeps the order routing gave a batch (oldest item first), so a
//!   chat reads a burst in order and a pause (`retry_after`) resumes in order.
//! - `deliveries`: delivery id → [`DeliveryState`]: queued, held, sent, failed or dropped.
//!   It is the dedup index: a delivery whose id is already known is never queued again,
//!   so an article listed by two sources reaches a reader once.
//! - `held`: (target, sort time, delivery id) → [`Held`]: items routed to a target that
//!   gets digests, waiting for its next digest run.
//!
//! Queueing happens in the same sled transaction as storing the items (see
//! [`Store::store_routed`]), and a digest run turns held rows into one delivery in one
//! transaction too: a crash leaves either both or neither.

use super::{
    Sled, StoreError, decode, decode_or_skip, encode, keys, transaction_result, unreadable,
};
use crate::model::ItemStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use std::fmt;

/// Who receives a delivery. Channels know how to reach each kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "lowercase")]
pub enum Target {
    /// One subscriber of an email list.
    Email { list: String, address: String },
    /// A Telegram chat.
    Telegram { chat_id: i64 },
    /// A group robot (`[[webhook]]`).
    Webhook { id: String },
    /// A WebSub subscriber of one of our feeds, by subscription id
    /// ([`crate::store::hub_subscription_id`]).
    #[serde(rename = "websub")]
    WebSub { id: String },
}

impl Target {
    /// A stable text key (`email:daily:a@example.org`): the prefix of its `held` rows and
    /// part of every delivery id.
    pub fn key(&self) -> String {
        match self {
            Target::Email { list, address } => format!("email:{list}:{address}"),
            Target::Telegram { chat_id } => format!("telegram:{chat_id}"),
            Target::Webhook { id } => format!("webhook:{id}"),
            Target::WebSub { id } => format!("websub:{id}"),
        }
    }

    /// The channel's name, for logs and metrics.
    pub fn channel(&self) -> &'static str {
        match self {
            Target::Email { .. } => "email",
            Target::Telegram { .. } => "telegram",
            Target::Webhook { .. } => "webhook",
            Target::WebSub { .. } => "websub",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// A stored item, by its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub source: String,
    pub id: String,
}

/// One item in a delivery or held for a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    pub item: ItemRef,
    pub status: ItemStatus,
    /// The subscriber's keyword that picked the item, when they narrowed the list.
    pub keyword: Option<String>,
}

/// What a delivery carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Payload {
    /// One item, as soon as it is stored.
    Item(Held),
    /// Everything held for the target since its last digest; `run` names the firing
    /// (its local wall-clock time), which makes the delivery id deterministic.
    Digest { run: String, items: Vec<Held> },
    /// The double opt-in mail of an email subscription.
    Confirm { token: String },
    /// New or updated items of one feed, for a WebSub subscriber of it: the feed
    /// document holding them is pushed to the callback.
    Feed { feed: String, items: Vec<ItemRef> },
    /// An operator alert: an incident opened, or closed (`recovered`).
    Alert {
        title: String,
        detail: String,
        recovered: bool,
    },
}

/// One message to send to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Deterministic: the same item (or digest run) for the same target has the same id,
    /// whichever source found it. Mails use it as their `Message-ID`.
    pub id: String,
    pub target: Target,
    pub payload: Payload,
    pub created: DateTime<Utc>,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Where a delivery stands (tree `deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum DeliveryState {
    /// In the outbox, due at `due`.
    Queued { due: DateTime<Utc> },
    /// Waiting in `held` for the target's next digest.
    Held,
    /// The remote accepted it.
    Sent { at: DateTime<Utc> },
    /// The remote refused it for good (address rejected, bot removed).
    Failed { at: DateTime<Utc>, error: String },
    /// Not sent, on purpose (the subscriber left, the item is gone).
    Dropped { at: DateTime<Utc>, reason: String },
    /// Sent as part of a burst digest, the delivery `into`.
    Merged { at: DateTime<Utc>, into: String },
}

/// What routing asks the store to record with a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Send now.
    Send(Delivery),
    /// Hold for the target's next digest; `id` dedups it like a delivery id.
    Hold {
        target: Target,
        id: String,
        sort_time: i64,
        held: Held,
    },
}

/// A delivery id: a hash of the target and what makes the message unique for it.
pub fn delivery_id(target: &Target, what: &str) -> String {
    let mut h = Sha256::new();
    h.update(target.key().as_bytes());
    h.update([0]);
    h.update(what.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// `outbox` key: due time, then the sequence within what was queued together, then id.
pub(super) fn outbox_key(due: DateTime<Utc>, seq: u32, id: &str) -> Vec<u8> {
    let mut k = keys::ts_bytes(due.timestamp_millis()).to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn outbox_seq(key: &[u8]) -> u32 {
    key.get(8..12)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

pub(super) fn outbox_due(key: &[u8]) -> Option<DateTime<Utc>> {
    let ts = u64::from_be_bytes(key.get(..8)?.try_into().ok()?) ^ (1 << 63);
    DateTime::from_timestamp_millis(ts as i64)
}

/// `held` key: target, 0, sort time, id.
fn held_key(target: &Target, sort_time: i64, id: &str) -> Vec<u8> {
    let mut k = held_prefix(target);
    k.extend_from_slice(&keys::ts_bytes(sort_time));
    k.extend_from_slice(id.as_bytes());
    k
}

fn held_prefix(target: &Target) -> Vec<u8> {
    let mut k = target.key().into_bytes();
    k.push(0);
    k
}

type Abort = ConflictableTransactionError<StoreError>;

/// Record `routes` inside a transaction over `outbox`, `deliveries` and `held`, skipping
/// any whose id is already known. Returns how many were recorded.
pub(super) fn record_routes(
    outbox: &TransactionalTree,
    deliveries: &TransactionalTree,
    held: &TransactionalTree,
    routes: &[Route],
    now: DateTime<Utc>,
) -> Result<usize, Abort> {
    let mut recorded = 0;
    for (seq, route) in routes.iter().enumerate() {
        let id = match route {
            Route::Send(d) => &d.id,
            Route::Hold { id, .. } => id,
        };
        if deliveries.get(id.as_bytes())?.is_some() {
            continue;
        }
        match route {
            Route::Send(d) => {
                outbox.insert(outbox_key(now, seq as u32, &d.id), encode(d))?;
                deliveries.insert(id.as_bytes(), encode(&DeliveryState::Queued { due: now }))?;
            }
            Route::Hold {
                target,
                id,
                sort_time,
                held: h,
            } => {
                held.insert(held_key(target, *sort_time, id), encode(h))?;
                deliveries.insert(id.as_bytes(), encode(&DeliveryState::Held))?;
            }
        }
        recorded += 1;
    }
    Ok(recorded)
}

/// One row of the outbox, with the key the worker must hand back.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The row's key: sled's outbox key; the delivery id on PostgreSQL.
    pub(in crate::store) key: Vec<u8>,
    pub due: DateTime<Utc>,
    /// The order among rows due at the same time.
    pub seq: u32,
    pub delivery: Delivery,
}

/// Counts for the status page and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxCounts {
    /// Rows in the outbox (due now or later).
    pub queued: usize,
    /// Of those, rows that failed at least once and wait for a retry.
    pub retrying: usize,
    /// Items held for digests.
    pub held: usize,
    /// The oldest row's creation time: how far behind delivery is.
    pub oldest: Option<DateTime<Utc>>,
    /// The last error of a retrying row, for the status page.
    pub last_error: Option<String>,
}

impl Sled {
    /// Queue deliveries outside a poll (a confirmation mail). Dedup applies.
    pub fn queue(&self, routes: &[Route]) -> Result<usize, StoreError> {
        let now = Utc::now();
        let n = transaction_result((&self.outbox, &self.deliveries, &self.held).transaction(
            |(outbox, deliveries, held)| record_routes(outbox, deliveries, held, routes, now),
        ))?;
        self.db.flush()?;
        Ok(n)
    }

    /// Rows due at or before `now`, oldest first, at most `limit`. Unreadable rows are
    /// logged and moved aside (see [`Store::quarantine_row`]).
    pub fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Queued>, StoreError> {
        let end = keys::ts_bytes(now.timestamp_millis().saturating_add(1)).to_vec();
        let mut out = Vec::new();
        for entry in self.outbox.range(..end) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = entry?;
            match decode::<Delivery>("outbox", &value) {
                Ok(delivery) => out.push(Queued {
                    due: outbox_due(&key).unwrap_or(now),
                    seq: outbox_seq(&key),
                    key: key.to_vec(),
                    delivery,
                }),
                Err(e) => {
                    unreadable("outbox", &key, &e);
                    // The delivery id is the key's tail (after due time and sequence).
                    let id = key.get(12..).and_then(|b| std::str::from_utf8(b).ok());
                    self.quarantine_row(&self.outbox, "outbox", &key, &value, id, &e)?;
                }
            }
        }
        Ok(out)
    }

    /// Move a queue row that does not decode to tree `quarantine` (key: tree name, 0,
    /// key), so that it neither blocks the queue nor is retried for ever, and record its
    /// delivery (when the id is known) as failed: visible, not swallowed. The row stays
    /// there for inspection. Compare-and-swap: a row rewritten meanwhile is left alone.
    fn quarantine_row(
        &self,
        tree: &sled::Tree,
        name: &str,
        key: &[u8],
        value: &sled::IVec,
        id: Option<&str>,
        error: &StoreError,
    ) -> Result<(), StoreError> {
        if tree
            .compare_and_swap(key, Some(value), None::<&[u8]>)?
            .is_err()
        {
            return Ok(());
        }
        let mut qkey = name.as_bytes().to_vec();
        qkey.push(0);
        qkey.extend_from_slice(key);
        self.quarantine.insert(qkey, value)?;
        if let Some(id) = id
            && self.deliveries.contains_key(id.as_bytes())?
        {
            let state = DeliveryState::Failed {
                at: Utc::now(),
                error: format!("the stored row was unreadable ({error}); kept in quarantine"),
            };
            self.deliveries.insert(id.as_bytes(), encode(&state))?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// When the next row is due (the worker sleeps until then).
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.outbox.first()?.and_then(|(k, _)| outbox_due(&k)))
    }

    /// Every row in the outbox (for `tidings chats list`, status and tests).
    pub fn outbox(&self) -> Result<Vec<Queued>, StoreError> {
        self.due(
            DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1),
            usize::MAX,
        )
    }

    /// Close a row with its final state (sent, failed or dropped), in one transaction.
    pub fn finish(&self, row: &Queued, state: DeliveryState) -> Result<(), StoreError> {
        transaction_result((&self.outbox, &self.deliveries).transaction(
            |(outbox, deliveries)| {
                outbox.remove(row.key.as_slice())?;
                deliveries.insert(row.delivery.id.as_bytes(), encode(&state))?;
                Ok(())
            },
        ))?;
        // Marked sent right after the remote accepted: flushed now, so that the only
        // duplicate window is the time between the remote's answer and this write.
        self.db.flush()?;
        Ok(())
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
        if rows.is_empty() {
            return Ok(());
        }
        transaction_result((&self.outbox, &self.deliveries).transaction(
            |(outbox, deliveries)| {
                for (i, row) in rows.iter().enumerate() {
                    outbox.remove(row.key.as_slice())?;
                    let seq = first_seq.saturating_add(i as u32);
                    outbox.insert(
                        outbox_key(due, seq, &row.delivery.id),
                        encode(&row.delivery),
                    )?;
                    deliveries.insert(
                        row.delivery.id.as_bytes(),
                        encode(&DeliveryState::Queued { due }),
                    )?;
                }
                Ok(())
            },
        ))?;
        self.db.flush()?;
        Ok(())
    }

    /// Replace `rows` (one target's burst) by one `delivery` in their place, in one
    /// transaction; each row is recorded as merged into it. Returns the new row.
    pub fn merge(&self, rows: &[Queued], delivery: Delivery) -> Result<Queued, StoreError> {
        let first = rows.first().map_or((Utc::now(), 0), |r| (r.due, r.seq));
        let key = outbox_key(first.0, first.1, &delivery.id);
        let now = Utc::now();
        transaction_result((&self.outbox, &self.deliveries).transaction(
            |(outbox, deliveries)| {
                for row in rows {
                    outbox.remove(row.key.as_slice())?;
                    deliveries.insert(
                        row.delivery.id.as_bytes(),
                        encode(&DeliveryState::Merged {
                            at: now,
                            into: delivery.id.clone(),
                        }),
                    )?;
                }
                outbox.insert(key.as_slice(), encode(&delivery))?;
                deliveries.insert(
                    delivery.id.as_bytes(),
                    encode(&DeliveryState::Queued { due: first.0 }),
                )?;
                Ok(())
            },
        ))?;
        self.db.flush()?;
        Ok(Queued {
            key,
            due: first.0,
            seq: first.1,
            delivery,
        })
    }

    /// Move everything queued or held for `from` to `to` (a group became a supergroup),
    /// keeping order and delivery ids. Returns how many rows moved.
    pub fn retarget(&self, from: &Target, to: &Target) -> Result<usize, StoreError> {
        let mut moved = 0;
        for row in self.outbox()? {
            if row.delivery.target != *from {
                continue;
            }
            let mut d = row.delivery.clone();
            d.target = to.clone();
            self.outbox.insert(row.key.as_slice(), encode(&d))?;
            moved += 1;
        }
        let prefix = held_prefix(from);
        for entry in self.held.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let mut new_key = held_prefix(to);
            new_key.extend_from_slice(&key[prefix.len()..]);
            self.held.insert(new_key, value)?;
            self.held.remove(key)?;
            moved += 1;
        }
        self.db.flush()?;
        Ok(moved)
    }

    /// What became of a delivery.
    /// (`None` also when the record is unreadable: logged.)
    pub fn delivery_state(&self, id: &str) -> Result<Option<DeliveryState>, StoreError> {
        Ok(self
            .deliveries
            .get(id.as_bytes())?
            .and_then(|b| decode_or_skip("deliveries", id.as_bytes(), &b)))
    }

    /// Items held for `target`'s next digest, oldest first.
    pub fn held(&self, target: &Target) -> Result<Vec<Held>, StoreError> {
        Ok(self
            .held_rows(target)?
            .into_iter()
            .map(|(_, h)| h)
            .collect())
    }

    /// `held` rows of `target` with their keys. Unreadable rows are logged and moved
    /// aside, like the outbox's.
    fn held_rows(&self, target: &Target) -> Result<Vec<(sled::IVec, Held)>, StoreError> {
        let mut rows = Vec::new();
        for entry in self.held.scan_prefix(held_prefix(target)) {
            let (key, value) = entry?;
            match decode::<Held>("held", &value) {
                Ok(h) => rows.push((key, h)),
                Err(e) => {
                    unreadable("held", &key, &e);
                    self.quarantine_row(&self.held, "held", &key, &value, None, &e)?;
                }
            }
        }
        Ok(rows)
    }

    /// A digest run for `target`: everything held for it becomes one delivery (built by
    /// `make` from the held items, newest last), in one transaction. Nothing held, no
    /// delivery. Returns the delivery queued, if any.
    pub fn take_digest(
        &self,
        target: &Target,
        make: impl Fn(Vec<Held>) -> Delivery,
    ) -> Result<Option<Delivery>, StoreError> {
        let rows = self.held_rows(target)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let delivery = make(rows.iter().map(|(_, h)| h.clone()).collect());
        let now = Utc::now();
        let queued = transaction_result((&self.outbox, &self.deliveries, &self.held).transaction(
            |(outbox, deliveries, held)| {
                if deliveries.get(delivery.id.as_bytes())?.is_some() {
                    // This run was already made (a restart within the same firing):
                    // the rows are someone else's now, leave them for the next run.
                    return Ok(false);
                }
                for (key, _) in &rows {
                    held.remove(key)?;
                }
                outbox.insert(outbox_key(now, 0, &delivery.id), encode(&delivery))?;
                deliveries.insert(
                    delivery.id.as_bytes(),
                    encode(&DeliveryState::Queued { due: now }),
                )?;
                Ok(true)
            },
        ))?;
        self.db.flush()?;
        Ok(queued.then_some(delivery))
    }

    /// Drop everything held for a target (it unsubscribed).
    pub fn drop_held(&self, target: &Target) -> Result<usize, StoreError> {
        let mut n = 0;
        for entry in self.held.scan_prefix(held_prefix(target)) {
            let (key, _) = entry?;
            self.held.remove(key)?;
            n += 1;
        }
        Ok(n)
    }

    /// Outbox counts, optionally only for targets whose key starts with `prefix`.
    pub fn outbox_counts(&self, prefix: &str) -> Result<OutboxCounts, StoreError> {
        self.counts_where(|t| t.key().starts_with(prefix), prefix.as_bytes())
    }

    /// Outbox counts of one target exactly (`telegram:-1001` is not `telegram:-10011`).
    pub fn target_counts(&self, target: &Target) -> Result<OutboxCounts, StoreError> {
        self.counts_where(|t| t == target, &held_prefix(target))
    }

    fn counts_where(
        &self,
        takes: impl Fn(&Target) -> bool,
        held_prefix: &[u8],
    ) -> Result<OutboxCounts, StoreError> {
        let mut c = OutboxCounts::default();
        for entry in self.outbox.iter() {
            let (key, value) = entry?;
            let Some(d) = decode_or_skip::<Delivery>("outbox", &key, &value) else {
                continue;
            };
            if !takes(&d.target) {
                continue;
            }
            c.queued += 1;
            if d.attempts > 0 {
                c.retrying += 1;
                c.last_error = d.last_error.clone();
            }
            c.oldest = Some(c.oldest.map_or(d.created, |o| o.min(d.created)));
        }
        for entry in self.held.scan_prefix(held_prefix) {
            entry?;
            c.held += 1;
        }
        Ok(c)
    }
}
