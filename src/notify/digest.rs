//! Digest runs: at each firing of a list's, chat's or robot's `schedule` (in the daemon's
//! time zone, DST-correct like the poll schedules), every subscriber's (the chat's, the
//! robot's) held items become one delivery. The run's local time names it, so a run repeated after a crash within the
//! same firing finds its delivery already made and does nothing twice.

use super::Notifier;
use crate::config::{ChatConfig, CronSpec, ListConfig, WebhookConfig};
use crate::schedule;
use crate::store::coord::Turn;
use crate::store::{Delivery, Payload, StoreError, Target, delivery_id};
use chrono::{NaiveDateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

impl Notifier {
    /// Make the digests of `list` for the firing at local time `run`. Returns how many
    /// digests were queued (subscribers with nothing held get none).
    pub fn run_digest(&self, list: &ListConfig, run: NaiveDateTime) -> Result<usize, StoreError> {
        let label = run.format("%Y-%m-%d %H:%M").to_string();
        let mut queued = 0;
        for sub in self.store.subscribers(Some(&list.id))? {
            let target = Target::Email {
                list: list.id.clone(),
                address: sub.address.clone(),
            };
            queued += usize::from(self.take_digest(&target, &label)?);
        }
        if queued > 0 {
            info!(list = %list.id, run = %label, digests = queued, "digest run");
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// One target's digest for the firing labelled `label`; whether one was queued.
    fn take_digest(&self, target: &Target, label: &str) -> Result<bool, StoreError> {
        let id = delivery_id(target, &format!("digest {label}"));
        let made = self.store.take_digest(target, |items| Delivery {
            id: id.clone(),
            target: target.clone(),
            payload: Payload::Digest {
                run: label.to_string(),
                items,
            },
            created: Utc::now(),
            attempts: 0,
            last_error: None,
        })?;
        Ok(made.is_some())
    }

    /// The digest of one chat or robot for the firing at local time `run`.
    pub fn run_target_digest(
        &self,
        target: &Target,
        run: NaiveDateTime,
    ) -> Result<bool, StoreError> {
        let label = run.format("%Y-%m-%d %H:%M").to_string();
        // A group that became a supergroup has its held rows at the new id.
        let target = self.store.follow_migration(target)?;
        let made = self.take_digest(&target, &label)?;
        if made {
            info!(%target, run = %label, "digest run");
            self.wake.notify_one();
        }
        Ok(made)
    }
}

/// What a digest loop serves.
#[derive(Debug, Clone)]
pub enum DigestOwner {
    List(ListConfig),
    Chat(ChatConfig),
    Webhook(WebhookConfig),
}

impl DigestOwner {
    fn schedule(&self) -> Option<&CronSpec> {
        match self {
            DigestOwner::List(l) => l.schedule.as_ref(),
            DigestOwner::Chat(c) => c.schedule.as_ref(),
            DigestOwner::Webhook(w) => w.schedule.as_ref(),
        }
    }

    fn name(&self) -> String {
        match self {
            DigestOwner::List(l) => format!("list {}", l.id),
            DigestOwner::Chat(c) => format!("chat {}", c.chat_id),
            DigestOwner::Webhook(w) => format!("webhook {}", w.id),
        }
    }

    fn run(&self, notifier: &Notifier, run: NaiveDateTime) -> Result<usize, StoreError> {
        match self {
            DigestOwner::List(l) => notifier.run_digest(l, run),
            DigestOwner::Chat(c) => notifier
                .run_target_digest(&Target::Telegram { chat_id: c.chat_id }, run)
                .map(usize::from),
            DigestOwner::Webhook(w) => notifier
                .run_target_digest(&Target::Webhook { id: w.id.clone() }, run)
                .map(usize::from),
        }
    }
}

/// Run `owner`'s digests on its schedule until cancelled.
pub async fn digest_loop(notifier: Arc<Notifier>, owner: DigestOwner, cancel: CancellationToken) {
    let Some(cron) = owner.schedule().cloned() else {
        return;
    };
    let name = owner.name();
    let tz = notifier.config.get().daemon.timezone;
    let mut last_local = None;
    loop {
        let now = Utc::now();
        let Some(next) = schedule::next_firing(&cron, tz, now, last_local) else {
            warn!(owner = %name, schedule = %cron.expr, "digest schedule has no future firing");
            return;
        };
        let wait = (next.at - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        last_local = Some(next.local);
        // With replicas, the firing runs once: on the replica that claims it.
        let key = format!("digest:{name}:{}", next.local.format("%Y-%m-%dT%H:%M:%S"));
        let following = schedule::next_after(&cron, tz, next.local)
            .and_then(|n| (n.at - Utc::now()).to_std().ok())
            .unwrap_or(Duration::from_secs(86_400));
        let lease = notifier.config.get().store.lease();
        let latest = tokio::time::Instant::now() + following;
        let Some(turn) = Turn::take(&notifier.store, key, lease, latest, &cancel).await else {
            continue;
        };
        if let Err(e) = owner.run(&notifier, next.local) {
            warn!(owner = %name, error = %e, "digest run failed; the items stay held");
        }
        turn.finish().await;
    }
}
