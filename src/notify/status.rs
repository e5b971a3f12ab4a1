//! How each email list stands, for the status page and `/metrics`: subscribers by state,
//! what waits in the outbox, and the addresses that bounce with the server's reason.

use crate::config::Config;
use crate::store::{Store, StoreError, SubscriberState};
use serde::Serialize;

/// Bouncing addresses shown per list (the rest are counted).
const SHOWN_BOUNCES: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListStatus {
    pub id: String,
    pub title: String,
    /// The digest schedule, or `None` for one mail per item.
    pub schedule: Option<String>,
    pub active: usize,
    pub pending: usize,
    pub unsubscribed: usize,
    pub bouncing: usize,
    /// Mails waiting in the outbox (due now or later).
    pub queued: usize,
    /// Of those, mails that failed at least once and wait for a retry.
    pub retrying: usize,
    /// Items held for the next digest, over all subscribers.
    pub held: usize,
    /// The last error of a retrying mail (SMTP down, 4xx).
    pub last_error: Option<String>,
    /// `(address, last error)` of bouncing subscribers.
    pub bounces: Vec<(String, String)>,
}

pub fn lists(store: &Store, config: &Config) -> Result<Vec<ListStatus>, StoreError> {
    let mut out = Vec::new();
    for list in &config.lists {
        let subscribers = store.subscribers(Some(&list.id))?;
        let count = |s: SubscriberState| subscribers.iter().filter(|x| x.state == s).count();
        let outbox = store.outbox_counts(&format!("email:{}:", list.id))?;
        out.push(ListStatus {
            id: list.id.clone(),
            title: list.title.clone(),
            schedule: list.schedule.as_ref().map(|s| s.expr.clone()),
            active: count(SubscriberState::Active),
            pending: count(SubscriberState::Pending),
            unsubscribed: count(SubscriberState::Unsubscribed),
            bouncing: count(SubscriberState::Bouncing),
            queued: outbox.queued,
            retrying: outbox.retrying,
            held: outbox.held,
            last_error: outbox.last_error,
            bounces: subscribers
                .iter()
                .filter(|s| s.state == SubscriberState::Bouncing)
                .take(SHOWN_BOUNCES)
                .map(|s| (s.address.clone(), s.last_error.clone().unwrap_or_default()))
                .collect(),
        });
    }
    Ok(out)
}
