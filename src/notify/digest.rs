//! Digest runs: at each firing of a list's `schedule` (in the daemon's time zone,
//! DST-correct like the poll schedules), every subscriber's held items become one
//! delivery. The run's local time names it, so a run repeated after a crash within the
//! same firing finds its delivery already made and does nothing twice.

use super::Notifier;
use crate::config::ListConfig;
use crate::schedule;
use crate::store::{Delivery, Payload, StoreError, Target, delivery_id};
use chrono::{NaiveDateTime, Utc};
use std::sync::Arc;
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
            let id = delivery_id(&target, &format!("digest {label}"));
            let made = self.store.take_digest(&target, |items| Delivery {
                id: id.clone(),
                target: target.clone(),
                payload: Payload::Digest {
                    run: label.clone(),
                    items,
                },
                created: Utc::now(),
                attempts: 0,
                last_error: None,
            })?;
            queued += usize::from(made.is_some());
        }
        if queued > 0 {
            info!(list = %list.id, run = %label, digests = queued, "digest run");
            self.wake.notify_one();
        }
        Ok(queued)
    }
}

/// Run `list`'s digests on its schedule until cancelled.
pub async fn digest_loop(notifier: Arc<Notifier>, list: ListConfig, cancel: CancellationToken) {
    let Some(cron) = list.schedule.clone() else {
        return;
    };
    let tz = notifier.config.get().daemon.timezone;
    let mut last_local = None;
    loop {
        let now = Utc::now();
        let Some(next) = schedule::next_firing(&cron, tz, now, last_local) else {
            warn!(list = %list.id, schedule = %cron.expr, "digest schedule has no future firing");
            return;
        };
        let wait = (next.at - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        last_local = Some(next.local);
        if let Err(e) = notifier.run_digest(&list, next.local) {
            warn!(list = %list.id, error = %e, "digest run failed; the items stay held");
        }
    }
}
