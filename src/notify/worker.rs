//! The outbox worker: sends what is due through the channel that handles its target,
//! marks it sent right after the remote accepted, retries transient failures with
//! exponential backoff and jitter, and records permanent ones on the target.
//!
//! Nothing is ever dropped silently: a delivery leaves the outbox only as sent, failed
//! (with the remote's reason, shown on the status page and in `subscribers list`), or
//! dropped on purpose (the subscriber left, the item was deleted), each recorded in
//! the `deliveries` tree.

use super::Notifier;
use super::channel::{Outgoing, SendError};
use super::view::{Content, ItemView, group};
use crate::store::{
    Delivery, DeliveryState, Held, Payload, Queued, Reach, StoreError, SubscriberState, Target,
    Token, delivery_id, new_token,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Rows read from the outbox per round.
const BATCH: usize = 256;
/// Targets served at once. Each target's rows go one at a time; emails share the SMTP
/// pool's connections, chats wait on their flood limits without holding anyone else.
const CONCURRENCY: usize = 16;
/// How long a confirmation link stays valid.
pub const CONFIRM_VALID: chrono::Duration = chrono::Duration::hours(48);

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dropped: usize,
    /// Rows a flood limit held back for later (not failures).
    pub deferred: usize,
    /// Items merged into burst digests.
    pub merged: usize,
}

impl Pass {
    fn add(&mut self, o: &Pass) {
        self.sent += o.sent;
        self.retried += o.retried;
        self.failed += o.failed;
        self.dropped += o.dropped;
        self.deferred += o.deferred;
        self.merged += o.merged;
    }
}

/// How one row ended.
enum Outcome {
    Sent,
    /// Put back for another attempt at `due`.
    /// Put back at `due` with this error; the target's later rows wait behind it.
    Retried(DateTime<Utc>, String),
    Failed,
    Dropped,
    /// Held back by a flood limit until `due`, not attempted.
    Deferred(DateTime<Utc>),
    /// The chat moved (a group became a supergroup); its rows were moved with it.
    Moved,
}

/// Backoff after `attempts` failures: 30 s, 1 min, 2 min … capped at one hour, plus up
/// to a fifth of it at random so that a recovering server is not hit by every retry at
/// once.
pub fn backoff(attempts: u32) -> Duration {
    let secs = (30u64 << attempts.saturating_sub(1).min(7)).min(3600);
    let jitter = rand::random_range(0..=secs / 5);
    Duration::from_secs(secs + jitter)
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

impl Notifier {
    /// Send everything due now, then return. With `cancel` fired, no new send starts;
    /// sends in flight finish and are recorded.
    pub async fn deliver_due(&self, cancel: &CancellationToken) -> Result<Pass, StoreError> {
        self.deliver_due_at(Utc::now(), cancel).await
    }

    /// [`Notifier::deliver_due`] with the clock at `now`: a later `now` also sends rows
    /// waiting for a retry (`tidings deliver --now` after an outage; tests drive time).
    ///
    /// Rows are taken target by target: one target's rows go in order, one at a time
    /// (a chat reads its news in order, and a row put back holds the rest of its queue
    /// behind it); different targets go concurrently.
    pub async fn deliver_due_at(
        &self,
        now: DateTime<Utc>,
        cancel: &CancellationToken,
    ) -> Result<Pass, StoreError> {
        let mut pass = Pass::default();
        let mut rounds = 0;
        loop {
            if cancel.is_cancelled() {
                break;
            }
            rounds += 1;
            let rows = self.store.due(now, BATCH)?;
            if rows.is_empty() {
                break;
            }
            let n = rows.len();
            let mut by_target: Vec<(Target, Vec<Queued>)> = Vec::new();
            for row in rows {
                match by_target
                    .iter_mut()
                    .find(|(t, _)| *t == row.delivery.target)
                {
                    Some((_, v)) => v.push(row),
                    None => by_target.push((row.delivery.target.clone(), vec![row])),
                }
            }
            let mut round = Pass::default();
            let mut results = futures_util::stream::iter(by_target)
                .map(|(_, rows)| self.deliver_target(rows, now, cancel))
                .buffer_unordered(CONCURRENCY);
            while let Some(result) = results.next().await {
                round.add(&result?);
            }
            pass.add(&round);
            // A retried row is re-keyed after `now` only when `now` is the real clock;
            // with a clock driven ahead, stop when a round only put rows back.
            let progress = round.sent + round.failed + round.dropped + round.merged;
            if n < BATCH || rounds >= 1000 || progress == 0 {
                break;
            }
        }
        if pass != Pass::default() {
            info!(
                sent = pass.sent,
                retried = pass.retried,
                failed = pass.failed,
                dropped = pass.dropped,
                deferred = pass.deferred,
                merged = pass.merged,
                "outbox pass"
            );
        }
        Ok(pass)
    }

    /// One target's due rows, in order.
    async fn deliver_target(
        &self,
        rows: Vec<Queued>,
        now: DateTime<Utc>,
        cancel: &CancellationToken,
    ) -> Result<Pass, StoreError> {
        let mut pass = Pass::default();
        let rows = self.merge_burst(rows, &mut pass)?;
        for (i, row) in rows.iter().enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            match self.deliver(row, now).await? {
                Outcome::Sent => pass.sent += 1,
                Outcome::Failed => pass.failed += 1,
                Outcome::Dropped => pass.dropped += 1,
                Outcome::Retried(due, error) => {
                    pass.retried += 1;
                    // One transaction: a crash cannot leave a later row due before it.
                    self.store.retry(row, due, &error, &rows[i + 1..])?;
                    break;
                }
                Outcome::Deferred(due) => {
                    pass.deferred += rows.len() - i;
                    self.store.postpone(&rows[i..], due, row.seq)?;
                    break;
                }
                Outcome::Moved => {
                    pass.retried += 1;
                    self.wake.notify_one();
                    break;
                }
            }
        }
        Ok(pass)
    }

    /// A burst (at least the target's `burst_digest` single items waiting at once) goes
    /// as one digest, in place of the first of them.
    fn merge_burst(&self, rows: Vec<Queued>, pass: &mut Pass) -> Result<Vec<Queued>, StoreError> {
        let Some(first) = rows.first() else {
            return Ok(rows);
        };
        let target = first.delivery.target.clone();
        let threshold = match &target {
            Target::Telegram { .. } => self
                .config
                .get()
                .telegram
                .as_ref()
                .map_or(0, |t| t.burst_digest),
            Target::Webhook { id } => self
                .config
                .get()
                .webhooks
                .iter()
                .find(|w| w.id == *id)
                .map_or(0, |w| w.burst_digest),
            Target::Email { .. } | Target::WebSub { .. } => 0,
        };
        let (items, rest): (Vec<Queued>, Vec<Queued>) = rows
            .into_iter()
            .partition(|r| matches!(r.delivery.payload, Payload::Item(_)));
        if threshold == 0 || items.len() < threshold {
            let mut all: Vec<Queued> = items.into_iter().chain(rest).collect();
            all.sort_by_key(|r| (r.due, r.seq));
            return Ok(all);
        }
        let held: Vec<Held> = items
            .iter()
            .filter_map(|r| match &r.delivery.payload {
                Payload::Item(h) => Some(h.clone()),
                _ => None,
            })
            .collect();
        let run = Utc::now()
            .with_timezone(&self.config.get().daemon.timezone)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let delivery = Delivery {
            id: delivery_id(&target, &format!("burst {}", items[0].delivery.id)),
            target: target.clone(),
            payload: Payload::Digest { run, items: held },
            created: Utc::now(),
            attempts: 0,
            last_error: None,
        };
        info!(%target, items = items.len(), "a burst goes as one digest");
        pass.merged += items.len();
        let merged = self.store.merge(&items, delivery)?;
        Ok(std::iter::once(merged).chain(rest).collect())
    }

    /// One row, start to finish, with the clock at `now` (leases end by it).
    async fn deliver(&self, row: &Queued, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
        let target = row.delivery.target.clone();
        let channel_name = target.channel();
        let outgoing = match self.resolve(row, now)? {
            Ok(o) => o,
            Err(reason) => {
                debug!(%target, %reason, "delivery dropped");
                self.store.finish(
                    row,
                    DeliveryState::Dropped {
                        at: Utc::now(),
                        reason,
                    },
                )?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "dropped").increment(1);
                return Ok(Outcome::Dropped);
            }
        };
        let Some(channel) = self.channels.iter().find(|c| c.handles(&target)) else {
            // A target whose channel is not configured (its section was removed): keep it
            // queued, an operator may put the section back.
            let due = Utc::now() + chrono::Duration::hours(1);
            return Ok(Outcome::Retried(
                due,
                format!("no {channel_name} channel is configured"),
            ));
        };
        let result = channel.send(&outgoing).await;
        let now = Utc::now();
        match result {
            Ok(()) => {
                self.store.finish(row, DeliveryState::Sent { at: now })?;
                self.record_sent(&target, now)?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "sent").increment(1);
                Ok(Outcome::Sent)
            }
            Err(
                ref e @ (SendError::Permanent { ref message } | SendError::Gone { ref message }),
            ) => {
                // Gone: the target itself is dead (kicked, bad token), not just this message.
                let gone = matches!(e, SendError::Gone { .. });
                if gone {
                    warn!(%target, error = %message, "the target is gone; nothing more is sent to it");
                } else {
                    warn!(%target, error = %message, "delivery failed for good");
                }
                self.store.finish(
                    row,
                    DeliveryState::Failed {
                        at: now,
                        error: message.clone(),
                    },
                )?;
                self.record_permanent(&target, message, gone)?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "failed").increment(1);
                Ok(Outcome::Failed)
            }
            Err(SendError::Deferred { wait }) => Ok(Outcome::Deferred(later(now, wait))),
            Err(SendError::Migrated { to }) => {
                info!(from = %target, %to, "the chat became a supergroup; following it");
                self.migrate(&target, &to)?;
                Ok(Outcome::Moved)
            }
            Err(SendError::Transient {
                message,
                retry_after,
            }) => {
                // A flood limit's `retry_after` is waited exactly; other failures back off.
                let wait = retry_after
                    .unwrap_or_else(|| backoff(row.delivery.attempts + 1))
                    .min(Duration::from_secs(6 * 3600));
                let due = later(now, wait);
                warn!(%target, error = %message, retry_in = ?wait, "delivery failed; will retry");
                match &target {
                    Target::Email { .. } => {}
                    Target::WebSub { id } => self
                        .store
                        .update_hub_subscription(id, |s| s.last_error = Some(message.clone()))?,
                    Target::Telegram { .. } | Target::Webhook { .. } => {
                        self.store.update_chat(&target, |c| {
                            c.last_error = Some(message.clone());
                            if retry_after.is_some() {
                                c.paused_until = Some(due);
                            }
                        })?;
                    }
                }
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "retried").increment(1);
                Ok(Outcome::Retried(due, message))
            }
        }
    }

    /// The feeds a chat or robot takes (its `[[chat]]`/`[[webhook]]` feeds and its
    /// `/subscribe`d ones), or `None` when it takes none any more.
    fn target_feeds(&self, target: &Target) -> Result<Option<Vec<String>>, StoreError> {
        match target {
            Target::Email { list, .. } => Ok(self
                .config
                .get()
                .lists
                .iter()
                .find(|l| l.id == *list)
                .map(|l| l.feeds.clone())),
            Target::Webhook { id } => Ok(self
                .config
                .get()
                .webhooks
                .iter()
                .find(|w| w.id == *id)
                .map(|w| w.feeds.clone())),
            Target::WebSub { .. } => Ok(None),
            Target::Telegram { .. } => {
                let mut feeds: Vec<String> = Vec::new();
                for chat in &self.config.get().chats {
                    let t = Target::Telegram {
                        chat_id: chat.chat_id,
                    };
                    if self.store.follow_migration(&t)? == *target {
                        feeds.extend(chat.feeds.iter().cloned());
                    }
                }
                if let Some(state) = self.store.chat(target)? {
                    feeds.extend(state.subs.iter().map(|s| s.feed.clone()));
                }
                let mut seen = std::collections::HashSet::new();
                feeds.retain(|f| seen.insert(f.clone()));
                Ok((!feeds.is_empty()).then_some(feeds))
            }
        }
    }

    /// The message a row stands for, or why it is no longer to be sent.
    fn resolve(
        &self,
        row: &Queued,
        now: DateTime<Utc>,
    ) -> Result<Result<Outgoing, String>, StoreError> {
        let d = &row.delivery;
        let config = self.config.get();
        if let Target::WebSub { id } = &d.target {
            return Ok(
                super::websub::resolve(&self.store, &config, id, &d.payload, now)?.map(|push| {
                    Outgoing {
                        id: d.id.clone(),
                        target: d.target.clone(),
                        content: Content::Feed(push),
                        unsubscribe_url: None,
                    }
                }),
            );
        }
        let mut unsubscribe_url = None;
        let mut list_feeds: Vec<String> = Vec::new();
        let alert = matches!(d.payload, Payload::Alert { .. });
        match &d.target {
            Target::Email { list, address } => {
                let Some(list_config) = config.lists.iter().find(|l| l.id == *list) else {
                    return Ok(Err(format!("the list {list} is no longer configured")));
                };
                list_feeds = list_config.feeds.clone();
                let Some(sub) = self.store.subscriber(list, address)? else {
                    return Ok(Err("the subscriber was removed".into()));
                };
                let wanted = match d.payload {
                    Payload::Confirm { .. } => SubscriberState::Pending,
                    _ => SubscriberState::Active,
                };
                if sub.state != wanted {
                    return Ok(Err(format!("the subscriber is {}", sub.state)));
                }
                if wanted == SubscriberState::Active {
                    unsubscribe_url = Some(self.page_url("unsubscribe", &sub.unsubscribe_token));
                }
            }
            target => {
                if let Some(state) = self.store.chat(target)?
                    && !state.is_active()
                {
                    return Ok(Err(format!("{target} is {}", state.reach)));
                }
                if !alert {
                    match self.target_feeds(target)? {
                        Some(feeds) => list_feeds = feeds,
                        None => {
                            return Ok(Err(format!("{target} no longer takes any feed")));
                        }
                    }
                }
            }
        }
        let content = match &d.payload {
            Payload::Item(held) => {
                let Some(item) = self.store.item(&held.item.source, &held.item.id)? else {
                    return Ok(Err("the item is no longer stored".into()));
                };
                Content::Item {
                    item: ItemView::new(&config, &item, held),
                }
            }
            Payload::Digest { run, items } => {
                let mut found = Vec::new();
                for held in items {
                    if let Some(item) = self.store.item(&held.item.source, &held.item.id)? {
                        let view = ItemView::new(&config, &item, held);
                        found.push((item, view));
                    }
                }
                if found.is_empty() {
                    return Ok(Err("none of the digest's items is stored any more".into()));
                }
                Content::Digest {
                    run: run.clone(),
                    count: found.len(),
                    groups: group(&config, &list_feeds, found),
                }
            }
            Payload::Feed { .. } => {
                return Ok(Err("a feed push goes to WebSub subscribers only".into()));
            }
            Payload::Confirm { token } => Content::Confirm {
                confirm_url: self.page_url("confirm", token),
            },
            Payload::Alert {
                title,
                detail,
                recovered,
            } => Content::Alert {
                title: title.clone(),
                detail: detail.clone(),
                recovered: *recovered,
            },
        };
        Ok(Ok(Outgoing {
            id: d.id.clone(),
            target: d.target.clone(),
            content,
            unsubscribe_url,
        }))
    }

    /// `{public_url}/{route}?token=…`
    pub fn page_url(&self, route: &str, token: &str) -> String {
        let mut url = self.config.get().daemon.public_url.clone();
        let path = format!("{}/{route}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.set_query(Some(&format!("token={token}")));
        url.to_string()
    }

    /// A chat that was paused or failing and took a message is well again.
    fn record_sent(&self, target: &Target, now: DateTime<Utc>) -> Result<(), StoreError> {
        match target {
            Target::Email { .. } => return Ok(()),
            Target::WebSub { id } => {
                return self.store.update_hub_subscription(id, |s| {
                    s.last_sent = Some(now);
                    s.last_error = None;
                });
            }
            Target::Telegram { .. } | Target::Webhook { .. } => {}
        }
        if let Some(c) = self.store.chat(target)?
            && (c.paused_until.is_some() || c.last_error.is_some())
        {
            self.store.update_chat(target, |c| {
                c.paused_until = None;
                c.last_error = None;
                c.last_sent = Some(now);
            })?;
        }
        Ok(())
    }

    /// A permanent failure is recorded on the target. An email address refused for good
    /// bounces; a chat or robot that is `gone` turns inactive, and what was held for its
    /// digest is dropped.
    fn record_permanent(&self, target: &Target, error: &str, gone: bool) -> Result<(), StoreError> {
        match target {
            Target::Email { list, address } => {
                self.store.update_subscriber(list, address, |s| {
                    if s.state == SubscriberState::Active {
                        s.state = SubscriberState::Bouncing;
                    }
                    s.last_error = Some(error.to_string());
                })?;
                self.store.drop_held(target)?;
            }
            Target::WebSub { id } => {
                if gone {
                    // 410 Gone (§7): the subscriber ended it.
                    self.store.remove_hub_subscription(id)?;
                } else {
                    self.store
                        .update_hub_subscription(id, |s| s.last_error = Some(error.to_string()))?;
                }
            }
            Target::Telegram { .. } | Target::Webhook { .. } => {
                let hash = self.robot_fingerprint(target);
                self.store.update_chat(target, |c| {
                    c.last_error = Some(error.to_string());
                    if gone {
                        c.reach = Reach::Inactive {
                            since: Utc::now(),
                            why: error.to_string(),
                        };
                        c.config_hash = hash;
                    }
                })?;
                if gone {
                    self.store.drop_held(target)?;
                }
            }
        }
        Ok(())
    }

    /// A hash of a robot's URL and secret: a robot turned inactive by a refused token
    /// comes back when the operator changes them.
    pub fn robot_fingerprint(&self, target: &Target) -> Option<String> {
        let Target::Webhook { id } = target else {
            return None;
        };
        let config = self.config.get();
        let w = config.webhooks.iter().find(|w| w.id == *id)?;
        Some(delivery_id(
            target,
            &format!("{}\0{}", w.url, w.secret.as_deref().unwrap_or("")),
        ))
    }

    /// A group became a supergroup: its subscriptions and queue move there.
    fn migrate(&self, from: &Target, to: &Target) -> Result<(), StoreError> {
        let Target::Telegram { chat_id: to_id } = to else {
            return Ok(());
        };
        let old = self.store.chat(from)?;
        self.store.retarget(from, to)?;
        self.store.update_chat(to, |c| {
            c.reach = Reach::Active;
            if let Some(old) = &old {
                if c.title.is_none() {
                    c.title = old.title.clone();
                }
                for s in &old.subs {
                    if !c.subs.iter().any(|x| x.feed == s.feed) {
                        c.subs.push(s.clone());
                    }
                }
            }
        })?;
        self.store.update_chat(from, |c| {
            c.migrated_to = Some(*to_id);
            c.subs.clear();
            c.reach = Reach::Inactive {
                since: Utc::now(),
                why: format!("migrated to supergroup {to_id}"),
            };
        })?;
        Ok(())
    }
}

/// A new confirmation token for a pending subscriber, stored, and its mail queued.
pub fn queue_confirmation(
    store: &crate::store::Store,
    list: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let token = new_token();
    store.put_token(
        &token,
        &Token::Confirm {
            list: list.to_string(),
            address: address.to_string(),
            expires: now + CONFIRM_VALID,
        },
    )?;
    let target = Target::Email {
        list: list.to_string(),
        address: address.to_string(),
    };
    let delivery = crate::store::Delivery {
        id: crate::store::delivery_id(&target, &format!("confirm {token}")),
        target,
        payload: Payload::Confirm { token },
        created: now,
        attempts: 0,
        last_error: None,
    };
    store.queue(&[crate::store::Route::Send(delivery)])?;
    store.update_subscriber(list, address, |s| s.confirm_sent = Some(now))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b1 = backoff(1).as_secs();
        assert!((30..=36).contains(&b1), "{b1}");
        assert!(backoff(3).as_secs() >= 120);
        assert!(backoff(40).as_secs() <= 3600 + 720);
    }
}
