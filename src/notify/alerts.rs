//! Operator alerts: a source failing for longer than `[daemon] alert_after_secs`, a list
//! that suddenly yields nothing (the source's alarm), a chat or robot whose deliveries
//! fail for good. Each goes to `[telegram] admins` and the `[daemon] alerts` robots
//! through the outbox, once when the incident opens and once when it closes; open
//! incidents are kept in the store, so a restart does not repeat them.

use super::Notifier;
use crate::store::{
    Delivery, Incident, Payload, Reach, Route, SourceHealth, StoreError, Target, delivery_id,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How often incidents are looked for.
const EVERY: Duration = Duration::from_secs(60);

/// The incidents open now: key → (title, detail).
pub fn current(
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, (String, String)>, StoreError> {
    let config = notifier.config.get();
    let after = chrono::Duration::seconds(config.daemon.alert_after_secs as i64);
    let mut out = BTreeMap::new();
    for source in &config.sources {
        let st = notifier.store.source_state(&source.id)?;
        let failing = matches!(st.health(), SourceHealth::Failing | SourceHealth::Broken);
        let since = st.last_success.or(st.last_error_at);
        if failing && since.is_some_and(|t| now - t >= after) {
            out.insert(
                format!("source-failing:{}", source.id),
                (
                    format!("Source {} is failing", source.id),
                    st.last_error.clone().unwrap_or_default(),
                ),
            );
        }
        if let Some(alarm) = &st.alarm {
            out.insert(
                format!("source-alarm:{}", source.id),
                (format!("Source {}: {alarm}", source.id), alarm.clone()),
            );
        }
    }
    for chat in notifier.store.chats()? {
        if let Reach::Inactive { why, .. } = &chat.reach
            && chat.migrated_to.is_none()
        {
            out.insert(
                format!("target-gone:{}", chat.target.key()),
                (
                    format!("Deliveries to {} fail for good", chat.target),
                    why.clone(),
                ),
            );
        }
    }
    Ok(out)
}

/// Who receives alerts.
fn recipients(notifier: &Notifier) -> Vec<Target> {
    let config = notifier.config.get();
    let admins = config
        .telegram
        .iter()
        .flat_map(|t| t.admins.iter())
        .map(|id| Target::Telegram { chat_id: *id });
    let robots = config
        .daemon
        .alerts
        .iter()
        .map(|id| Target::Webhook { id: id.clone() });
    admins.chain(robots).collect()
}

/// Compare the incidents now with the open ones; queue an alert for each change.
/// Returns how many alerts were queued.
pub fn check(notifier: &Notifier, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let store = &notifier.store;
    let now_open = current(notifier, now)?;
    let was_open: BTreeMap<String, Incident> = store.incidents()?.into_iter().collect();
    let recipients = recipients(notifier);
    let mut routes = Vec::new();
    let mut queue = |key: &str, title: &str, detail: &str, opened: DateTime<Utc>, recovered| {
        for target in &recipients {
            // An alert about a robot is not sent through that robot.
            if key == format!("target-gone:{}", target.key()) {
                continue;
            }
            let what = format!("alert {key} {} {recovered}", opened.timestamp());
            routes.push(Route::Send(Delivery {
                id: delivery_id(target, &what),
                target: target.clone(),
                payload: Payload::Alert {
                    title: title.to_string(),
                    detail: detail.to_string(),
                    recovered,
                },
                created: now,
                attempts: 0,
                last_error: None,
            }));
        }
    };
    for (key, (title, detail)) in &now_open {
        if !was_open.contains_key(key) {
            let incident = Incident {
                title: title.clone(),
                detail: detail.clone(),
                opened: now,
            };
            info!(%key, "alert opened");
            queue(key, title, detail, now, false);
            store.set_incident(key, Some(&incident))?;
        }
    }
    for (key, incident) in &was_open {
        if !now_open.contains_key(key) {
            info!(%key, "alert closed");
            queue(
                key,
                &format!("Recovered: {}", incident.title),
                "",
                incident.opened,
                true,
            );
            store.set_incident(key, None)?;
        }
    }
    let n = routes.len();
    if n > 0 {
        store.queue(&routes)?;
        notifier.wake.notify_one();
    }
    Ok(n)
}

/// Look for incidents every minute until cancelled.
pub async fn alert_loop(notifier: Arc<Notifier>, cancel: CancellationToken) {
    loop {
        if let Err(e) = check(&notifier, Utc::now()) {
            warn!(error = %e, "alert check failed");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// `/status`: one screen of health (Telegram HTML).
pub fn status_summary(notifier: &Notifier) -> Result<String, StoreError> {
    use crate::templates::telegram_escape as esc;
    let config = notifier.config.get();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bad = Vec::new();
    for source in &config.sources {
        let st = notifier.store.source_state(&source.id)?;
        let h = st.health();
        *counts.entry(h.as_str()).or_default() += 1;
        if matches!(h, SourceHealth::Failing | SourceHealth::Broken) || st.alarm.is_some() {
            let why = st
                .alarm
                .clone()
                .or(st.last_error.clone())
                .unwrap_or_default();
            let why: String = why.chars().take(120).collect();
            bad.push(format!("• <b>{}</b>: {}", esc(&source.id), esc(&why)));
        }
    }
    let outbox = notifier.store.outbox_counts("")?;
    let inactive = notifier
        .store
        .chats()?
        .iter()
        .filter(|c| !c.is_active() && c.migrated_to.is_none())
        .count();
    let mut s = format!(
        "<b>Tidings</b>: {} sources ({})\nOutbox: {} queued, {} retrying, {} held\nInactive chats/robots: {inactive}",
        config.sources.len(),
        counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        outbox.queued,
        outbox.retrying,
        outbox.held,
    );
    if !bad.is_empty() {
        bad.truncate(15);
        s.push_str(&format!("\n\n{}", bad.join("\n")));
    }
    Ok(s)
}
