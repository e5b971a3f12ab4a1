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
    DeliveryState, Payload, Queued, StoreError, SubscriberState, Target, Token, new_token,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Rows read from the outbox per round.
const BATCH: usize = 256;
/// Sends in flight at once (the SMTP pool has as many connections).
const CONCURRENCY: usize = 8;
/// How long a confirmation link stays valid.
pub const CONFIRM_VALID: chrono::Duration = chrono::Duration::hours(48);

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dropped: usize,
}

/// How one row ended.
enum Outcome {
    Sent,
    Retried,
    Failed,
    Dropped,
}

/// Backoff after `attempts` failures: 30 s, 1 min, 2 min … capped at one hour, plus up
/// to a fifth of it at random so that a recovering server is not hit by every retry at
/// once.
pub fn backoff(attempts: u32) -> Duration {
    let secs = (30u64 << attempts.saturating_sub(1).min(7)).min(3600);
    let jitter = rand::random_range(0..=secs / 5);
    Duration::from_secs(secs + jitter)
}

impl Notifier {
    /// Send everything due now, then return. With `cancel` fired, no new send starts;
    /// sends in flight finish and are recorded.
    pub async fn deliver_due(&self, cancel: &CancellationToken) -> Result<Pass, StoreError> {
        self.deliver_due_at(Utc::now(), cancel).await
    }

    /// [`Notifier::deliver_due`] with the clock at `now`: a later `now` also sends rows
    /// waiting for a retry (`tidings deliver --now` after an outage; tests drive time).
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
            let mut results = futures_util::stream::iter(rows)
                .map(|row| async move { self.deliver(row).await })
                .buffer_unordered(CONCURRENCY);
            while let Some(result) = results.next().await {
                match result? {
                    Outcome::Sent => pass.sent += 1,
                    Outcome::Retried => pass.retried += 1,
                    Outcome::Failed => pass.failed += 1,
                    Outcome::Dropped => pass.dropped += 1,
                }
            }
            // A retried row is re-keyed after `now` only when `now` is the real clock;
            // with a clock driven ahead, stop after a bounded number of rounds.
            if n < BATCH || rounds >= 1000 {
                break;
            }
        }
        if pass != Pass::default() {
            info!(
                sent = pass.sent,
                retried = pass.retried,
                failed = pass.failed,
                dropped = pass.dropped,
                "outbox pass"
            );
        }
        Ok(pass)
    }

    /// One row, start to finish.
    async fn deliver(&self, row: Queued) -> Result<Outcome, StoreError> {
        let target = row.delivery.target.clone();
        let channel_name = target.channel();
        let outgoing = match self.resolve(&row)? {
            Ok(o) => o,
            Err(reason) => {
                debug!(%target, %reason, "delivery dropped");
                self.store.finish(
                    &row,
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
            self.store.retry(
                &row,
                due,
                &format!("no {channel_name} channel is configured"),
            )?;
            return Ok(Outcome::Retried);
        };
        let result = channel.send(&outgoing).await;
        let now = Utc::now();
        match result {
            Ok(()) => {
                self.store.finish(&row, DeliveryState::Sent { at: now })?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "sent").increment(1);
                Ok(Outcome::Sent)
            }
            Err(SendError::Permanent { message }) => {
                warn!(%target, error = %message, "delivery failed for good");
                self.store.finish(
                    &row,
                    DeliveryState::Failed {
                        at: now,
                        error: message.clone(),
                    },
                )?;
                self.record_permanent(&target, &message)?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "failed").increment(1);
                Ok(Outcome::Failed)
            }
            Err(SendError::Transient {
                message,
                retry_after,
            }) => {
                let wait = retry_after
                    .unwrap_or_else(|| backoff(row.delivery.attempts + 1))
                    .min(Duration::from_secs(6 * 3600));
                let due: DateTime<Utc> =
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                warn!(%target, error = %message, retry_in = ?wait, "delivery failed; will retry");
                self.store.retry(&row, due, &message)?;
                metrics::counter!("tidings_deliveries_total", "channel" => channel_name, "result" => "retried").increment(1);
                Ok(Outcome::Retried)
            }
        }
    }

    /// The message a row stands for, or why it is no longer to be sent.
    fn resolve(&self, row: &Queued) -> Result<Result<Outgoing, String>, StoreError> {
        let d = &row.delivery;
        let config = self.config.get();
        let mut unsubscribe_url = None;
        let mut list_feeds: &[String] = &[];
        if let Target::Email { list, address } = &d.target {
            let Some(list_config) = config.lists.iter().find(|l| l.id == *list) else {
                return Ok(Err(format!("the list {list} is no longer configured")));
            };
            list_feeds = &list_config.feeds;
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
                    groups: group(&config, list_feeds, found),
                }
            }
            Payload::Confirm { token } => Content::Confirm {
                confirm_url: self.page_url("confirm", token),
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

    /// A permanent failure marks the target so nothing more is queued for it.
    fn record_permanent(&self, target: &Target, error: &str) -> Result<(), StoreError> {
        if let Target::Email { list, address } = target {
            self.store.update_subscriber(list, address, |s| {
                if s.state == SubscriberState::Active {
                    s.state = SubscriberState::Bouncing;
                }
                s.last_error = Some(error.to_string());
            })?;
            self.store.drop_held(target)?;
        }
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
