//! WebSub subscriptions, both ways.
//!
//! Trees:
//! - `websub_hub`: subscription id → [`HubSubscription`]: who subscribed to one of our
//!   feeds at our hub, verified, with the lease's end. The id hashes the topic and the
//!   callback: subscribing again with the same pair renews (and may change the secret).
//! - `websub_sources`: source id → [`PushSubscription`]: our own subscription to the
//!   hub a source advertises (pending until the hub verifies it, then active until its
//!   lease ends).
//!
//! Only verified subscriptions are in `websub_hub`: a request whose verification is
//! still under way lives in the verifier's task, and a crash forgets it (the subscriber
//! gets no confirmation and asks again, as WebSub subscribers do).

use super::{Sled, StoreError, decode_or_skip, encode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A verified subscription to one of our feeds.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct HubSubscription {
    /// [`hub_subscription_id`] of the topic and callback.
    pub id: String,
    /// The feed URL subscribed to (`{public_url}/feeds/news.atom`).
    pub topic: String,
    /// The feed's id (`news`), for routing.
    pub feed: String,
    pub callback: String,
    /// The subscriber's `hub.secret`: pushes are signed with it when set.
    pub secret: Option<String>,
    pub lease_secs: u64,
    /// The lease ends here; nothing is sent after it.
    pub expires: DateTime<Utc>,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub last_sent: Option<DateTime<Utc>>,
    /// The last delivery error, transient or not.
    #[serde(default)]
    pub last_error: Option<String>,
}

impl HubSubscription {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.expires > now
    }
}

// The secret stays out of logs.
impl fmt::Debug for HubSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubSubscription")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("callback", &self.callback)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The id of a (topic, callback) pair.
pub fn hub_subscription_id(topic: &str, callback: &str) -> String {
    let mut h = Sha256::new();
    h.update(topic.as_bytes());
    h.update([0]);
    h.update(callback.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Where our subscription to a source's hub stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushState {
    /// Asked; the hub has not verified it yet.
    Pending,
    /// Verified: the hub pushes until `expires`.
    Active,
    /// The hub refused it (`hub.mode=denied`), or the request failed.
    Denied,
}

impl fmt::Display for PushState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PushState::Pending => "pending",
            PushState::Active => "active",
            PushState::Denied => "denied",
        })
    }
}

/// Our subscription to the hub of one source.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PushSubscription {
    pub source: String,
    pub hub: String,
    /// The topic as the feed names itself (`rel="self"`), else the source's URL.
    pub topic: String,
    /// Ours, random: the hub signs pushes with it.
    pub secret: String,
    pub state: PushState,
    pub requested: DateTime<Utc>,
    /// Set when verified: the lease the hub granted ends here.
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    /// When the hub last verified it (the lease runs from here).
    #[serde(default)]
    pub verified: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_push: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
}

impl PushSubscription {
    /// Whether pushes are expected now (the source can be polled rarely).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.state == PushState::Active && self.expires.is_some_and(|e| e > now)
    }
}

impl fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSubscription")
            .field("source", &self.source)
            .field("hub", &self.hub)
            .field("topic", &self.topic)
            .field("state", &self.state)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Sled {
    /// Record a verified subscription (new, or renewed with a new lease and secret).
    pub fn put_hub_subscription(&self, sub: &HubSubscription) -> Result<(), StoreError> {
        self.websub_hub.insert(sub.id.as_bytes(), encode(sub))?;
        self.websub_hub.flush()?;
        Ok(())
    }

    /// A subscription (`None` also when its row is unreadable: logged, counted).
    pub fn hub_subscription(&self, id: &str) -> Result<Option<HubSubscription>, StoreError> {
        Ok(self
            .websub_hub
            .get(id.as_bytes())?
            .and_then(|b| decode_or_skip("websub_hub", id.as_bytes(), &b)))
    }

    /// Remove a subscription (unsubscribed, or the callback answered 410 Gone). Returns
    /// whether there was one.
    pub fn remove_hub_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let removed = self.websub_hub.remove(id.as_bytes())?.is_some();
        self.websub_hub.flush()?;
        Ok(removed)
    }

    /// Every subscription, expired ones included (unreadable rows are logged, skipped).
    pub fn hub_subscriptions(&self) -> Result<Vec<HubSubscription>, StoreError> {
        let mut out = Vec::new();
        for entry in self.websub_hub.iter() {
            let (key, value) = entry?;
            out.extend(decode_or_skip::<HubSubscription>(
                "websub_hub",
                &key,
                &value,
            ));
        }
        Ok(out)
    }

    /// Change a subscription in place, if it is still there.
    pub fn update_hub_subscription(
        &self,
        id: &str,
        change: impl Fn(&mut HubSubscription),
    ) -> Result<(), StoreError> {
        self.websub_hub.fetch_and_update(id.as_bytes(), |old| {
            let mut sub = decode_or_skip::<HubSubscription>("websub_hub", id.as_bytes(), old?)?;
            change(&mut sub);
            Some(encode(&sub))
        })?;
        Ok(())
    }

    /// Forget subscriptions whose lease ended before `now`. Returns how many.
    pub fn purge_expired_hub_subscriptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut n = 0;
        for sub in self.hub_subscriptions()? {
            if !sub.is_active(now) {
                self.websub_hub.remove(sub.id.as_bytes())?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Our subscription for `source` (`None` also when its row is unreadable: logged,
    /// counted; the next subscription writes a fresh row).
    pub fn push_subscription(&self, source: &str) -> Result<Option<PushSubscription>, StoreError> {
        Ok(self
            .websub_sources
            .get(source.as_bytes())?
            .and_then(|b| decode_or_skip("websub_sources", source.as_bytes(), &b)))
    }

    pub fn put_push_subscription(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        self.websub_sources
            .insert(sub.source.as_bytes(), encode(sub))?;
        self.websub_sources.flush()?;
        Ok(())
    }

    /// Change our subscription for `source` in place, if there is one.
    pub fn update_push_subscription(
        &self,
        source: &str,
        change: impl Fn(&mut PushSubscription),
    ) -> Result<(), StoreError> {
        self.websub_sources
            .fetch_and_update(source.as_bytes(), |old| {
                let mut sub =
                    decode_or_skip::<PushSubscription>("websub_sources", source.as_bytes(), old?)?;
                change(&mut sub);
                Some(encode(&sub))
            })?;
        self.websub_sources.flush()?;
        Ok(())
    }

    pub fn remove_push_subscription(&self, source: &str) -> Result<(), StoreError> {
        self.websub_sources.remove(source.as_bytes())?;
        Ok(())
    }

    /// Every subscription of ours to a source's hub.
    pub fn push_subscriptions(&self) -> Result<Vec<PushSubscription>, StoreError> {
        let mut out = Vec::new();
        for entry in self.websub_sources.iter() {
            let (key, value) = entry?;
            out.extend(decode_or_skip::<PushSubscription>(
                "websub_sources",
                &key,
                &value,
            ));
        }
        Ok(out)
    }
}
