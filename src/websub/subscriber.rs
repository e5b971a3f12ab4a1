//! Tidings as a subscriber (WebSub §5.1, §5.3, §7.1.2): with `[websub] subscribe = true`,
//! a source whose feed advertises a hub is subscribed to, at the callback
//! `{public_url}/websub/callback/{source}`, with a secret of our own.
//!
//! - The hub's verification GET is answered with the challenge only for a topic we
//!   asked for (subscribe: the pending or active subscription of that source and
//!   topic; unsubscribe: a source we no longer want pushes from); otherwise 404.
//! - A push is processed only when its `X-Hub-Signature` verifies with our secret. A
//!   push with a bad or missing signature is still answered 2xx, as §7.1.2 allows, so
//!   that a forger learns nothing, and is dropped (logged and counted).
//! - Leases are renewed when a fifth of them is left; a pending request that was never
//!   verified is asked again after an hour, a denied one after a day.

use super::{WebSub, address, signature};
use crate::config::{Config, SourceConfig};
use crate::model::HubLink;
use crate::store::{PushState, PushSubscription, StoreError, new_token};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tracing::{info, warn};

/// A request the hub never verified is made again after this.
const PENDING_RETRY: Duration = Duration::hours(1);
/// A refused one, after this.
const DENIED_RETRY: Duration = Duration::days(1);

/// What to do with a push to a source's callback.
#[derive(Debug)]
pub enum PushCheck {
    /// Signed with our secret: process it.
    Accept(Box<SourceConfig>),
    /// A bad or missing signature: acknowledge, drop.
    Forged,
    /// No subscription of ours for this source: `410 Gone`, so the hub stops.
    Unknown,
}

/// Our callback URL for a source.
pub fn callback_url(config: &Config, source: &str) -> String {
    format!(
        "{}/websub/callback/{source}",
        crate::publish::base_url(config)
    )
}

impl WebSub {
    /// A poll of `source` found that its feed advertises `link`: subscribe, unless a
    /// subscription to that hub and topic is active or under way.
    pub fn source_polled(self: &Arc<Self>, source: &SourceConfig, link: &HubLink) {
        let config = self.config.get();
        if !config.websub.subscribe {
            return;
        }
        let existing = match self.store.push_subscription(&source.id) {
            Ok(e) => e,
            Err(e) => {
                warn!(source = %source.id, error = %e, "cannot read the WebSub subscription");
                return;
            }
        };
        let now = Utc::now();
        let wanted = match &existing {
            None => true,
            Some(s) if s.hub != link.hub || s.topic != link.topic => true,
            Some(s) => match s.state {
                PushState::Active => false,
                PushState::Pending => now - s.requested > PENDING_RETRY,
                PushState::Denied => now - s.requested > DENIED_RETRY,
            },
        };
        if !wanted {
            return;
        }
        let this = self.clone();
        let source = source.id.clone();
        let link = link.clone();
        self.spawn(async move {
            if let Err(e) = this.subscribe(&source, &link.hub, &link.topic, now).await {
                warn!(%source, error = %e, "cannot record the WebSub subscription");
            }
        });
    }

    /// Ask `hub` for pushes of `topic` to our callback for `source`. The subscription
    /// is recorded pending first, so that a hub verifying at once finds it; a renewal
    /// keeps its secret and stays active meanwhile.
    pub async fn subscribe(
        &self,
        source: &str,
        hub: &str,
        topic: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let config = self.config.get();
        let existing = self.store.push_subscription(source)?;
        let renewal = existing
            .as_ref()
            .filter(|s| s.hub == hub && s.topic == topic && s.state != PushState::Denied);
        let sub = PushSubscription {
            source: source.to_string(),
            hub: hub.to_string(),
            topic: topic.to_string(),
            secret: renewal.map_or_else(new_token, |s| s.secret.clone()),
            state: renewal.map_or(PushState::Pending, |s| s.state),
            requested: now,
            expires: renewal.and_then(|s| s.expires),
            verified: renewal.and_then(|s| s.verified),
            last_push: renewal.and_then(|s| s.last_push),
            last_error: None,
        };
        self.store.put_push_subscription(&sub)?;
        let result = self
            .hub_request(&config, &sub, "subscribe", config.websub.lease_secs)
            .await;
        match result {
            Ok(()) => info!(%source, %hub, %topic, "asked the hub for pushes"),
            Err(error) => {
                warn!(%source, %hub, %error, "the hub did not take the subscription");
                self.store.update_push_subscription(source, |s| {
                    if s.state == PushState::Pending {
                        s.state = PushState::Denied;
                    }
                    s.last_error = Some(error.clone());
                })?;
            }
        }
        Ok(())
    }

    /// POST a subscription request to a hub.
    async fn hub_request(
        &self,
        config: &Config,
        sub: &PushSubscription,
        mode: &str,
        lease_secs: u64,
    ) -> Result<(), String> {
        let hub = url::Url::parse(&sub.hub).map_err(|e| format!("hub URL {}: {e}", sub.hub))?;
        if let Some(why) = address::refused(&hub, config.websub.allow_private).await {
            return Err(why);
        }
        let callback = callback_url(config, &sub.source);
        let lease = lease_secs.to_string();
        let form = [
            ("hub.mode", mode),
            ("hub.topic", sub.topic.as_str()),
            ("hub.callback", callback.as_str()),
            ("hub.secret", sub.secret.as_str()),
            ("hub.lease_seconds", lease.as_str()),
        ];
        let response = self
            .client()
            .post(hub)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("{}: {e}", sub.hub))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = super::read_capped(response, 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default();
        Err(format!("{}: HTTP {status} {body}", sub.hub))
    }

    /// The hub's verification GET for `source`: the challenge to echo, or `None` (404)
    /// when we did not ask for this.
    pub fn answer_verification(
        &self,
        source: &str,
        params: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let (Some(mode), Some(topic)) = (get("hub.mode"), get("hub.topic")) else {
            return Ok(None);
        };
        let config = self.config.get();
        let sub = self.store.push_subscription(source)?;
        let ours = sub.as_ref().filter(|s| s.topic == topic);
        match mode {
            "subscribe" => {
                let Some(challenge) = get("hub.challenge").filter(|c| !c.is_empty()) else {
                    return Ok(None);
                };
                let wanted = config.websub.subscribe && config.source(source).is_some();
                if !wanted || ours.is_none_or(|s| s.state == PushState::Denied) {
                    return Ok(None);
                }
                let lease = get("hub.lease_seconds")
                    .and_then(|l| l.trim().parse::<i64>().ok())
                    .unwrap_or(config.websub.lease_secs as i64)
                    .clamp(0, 10 * 365 * 86_400);
                self.store.update_push_subscription(source, |s| {
                    s.state = PushState::Active;
                    s.verified = Some(now);
                    s.expires = Some(now + Duration::seconds(lease));
                    s.last_error = None;
                })?;
                info!(%source, %topic, lease_secs = lease, "the hub verified our subscription");
                Ok(Some(challenge.to_string()))
            }
            "unsubscribe" => {
                let Some(challenge) = get("hub.challenge").filter(|c| !c.is_empty()) else {
                    return Ok(None);
                };
                // We want no pushes for a source we no longer poll or subscribe for.
                let unwanted = !config.websub.subscribe || config.source(source).is_none();
                Ok((unwanted && (sub.is_none() || ours.is_some())).then(|| challenge.to_string()))
            }
            "denied" => {
                if ours.is_some() {
                    let reason = get("hub.reason").unwrap_or("no reason given").to_string();
                    warn!(%source, %topic, %reason, "the hub denied our subscription");
                    self.store.update_push_subscription(source, |s| {
                        s.state = PushState::Denied;
                        s.last_error = Some(format!("denied by the hub: {reason}"));
                    })?;
                }
                // A denial is acknowledged; there is nothing to echo.
                Ok(Some(String::new()))
            }
            _ => Ok(None),
        }
    }

    /// Whether a push to `source`'s callback is to be processed.
    pub fn check_push(
        &self,
        source: &str,
        signature_header: Option<&str>,
        body: &[u8],
    ) -> Result<PushCheck, StoreError> {
        let config = self.config.get();
        let (Some(sub), Some(source_config)) =
            (self.store.push_subscription(source)?, config.source(source))
        else {
            return Ok(PushCheck::Unknown);
        };
        let signed = signature_header.is_some_and(|h| signature::verify(h, &sub.secret, body));
        if !signed {
            metrics::counter!("tidings_websub_forged_pushes_total", "source" => source.to_string())
                .increment(1);
            warn!(
                %source,
                signature = if signature_header.is_some() { "wrong" } else { "missing" },
                "a push whose signature does not verify was dropped"
            );
            return Ok(PushCheck::Forged);
        }
        self.store
            .update_push_subscription(source, |s| s.last_push = Some(Utc::now()))?;
        Ok(PushCheck::Accept(Box::new(source_config.clone())))
    }

    /// Whether `source` is pushed to us now, so that its polls can be spaced out.
    pub fn is_pushed(&self, source: &str, now: DateTime<Utc>) -> bool {
        self.config.get().websub.subscribe
            && self
                .store
                .push_subscription(source)
                .ok()
                .flatten()
                .is_some_and(|s| s.is_active(now))
    }

    /// Renew what is about to end, ask again what was never verified, and unsubscribe
    /// from sources no longer configured (or from everything, when `subscribe` is off).
    pub(super) async fn renew(self: &Arc<Self>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let config = self.config.get();
        for sub in self.store.push_subscriptions()? {
            let wanted = config.websub.subscribe && config.source(&sub.source).is_some();
            if !wanted {
                self.store.remove_push_subscription(&sub.source)?;
                if sub.state == PushState::Active {
                    if let Err(e) = self.hub_request(&config, &sub, "unsubscribe", 0).await {
                        warn!(source = %sub.source, error = %e, "unsubscribing from the hub failed");
                    } else {
                        info!(source = %sub.source, hub = %sub.hub, "unsubscribed from the hub");
                    }
                }
                continue;
            }
            let due = match sub.state {
                PushState::Active => match (sub.verified, sub.expires) {
                    (Some(verified), Some(expires)) => now >= expires - (expires - verified) / 5,
                    _ => true,
                },
                PushState::Pending => now - sub.requested > PENDING_RETRY,
                PushState::Denied => now - sub.requested > DENIED_RETRY,
            };
            if due {
                self.subscribe(&sub.source, &sub.hub, &sub.topic, now)
                    .await?;
            }
        }
        Ok(())
    }
}
