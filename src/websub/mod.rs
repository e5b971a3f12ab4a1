//! WebSub (W3C Recommendation, <https://www.w3.org/TR/websub/>), both ways:
//!
//! - [`hub`]: Tidings is the hub of its own feeds. Subscription requests to `/websub`
//!   are checked, answered `202 Accepted`, and verified with the subscriber (a GET with
//!   a challenge it must echo); verified subscriptions are stored with their lease.
//!   New items reach subscribers through the outbox like every other notification
//!   ([`crate::notify::websub`] is the channel; routing is in [`crate::notify::route`]).
//!   With `[daemon] websub_hub`, an external hub is advertised instead and pinged
//!   (`hub.mode=publish`) whenever a feed changes.
//! - [`subscriber`]: a source whose feed advertises a hub is subscribed to (with
//!   `[websub] subscribe = true`), the hub's verification answered for the topics we
//!   asked for, pushes checked against the secret we gave and handled like a poll, and
//!   leases renewed before they end. Such a source is then polled only now and then.
//! - [`signature`]: signing and checking `X-Hub-Signature`.
//! - [`address`]: callbacks and hubs on private addresses are refused unless allowed.

pub mod address;
pub mod hub;
pub mod signature;
pub mod subscriber;

use crate::config::{Config, FeedConfig, LiveConfig};
use crate::publish::{self, Format};
use crate::store::{Store, Stored};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};
use url::Url;

/// How long a hub or a subscriber's callback may take to answer us.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a verification answer we read (it should be the challenge).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How often leases are looked at (renewals, expired subscriptions).
const MAINTAIN_EVERY: Duration = Duration::from_secs(300);

/// The WebSub side of the daemon: shared by the HTTP routes, the poller and the
/// maintenance loop. Requests it makes on its own (verifications, pings, subscription
/// requests) run as tasks on the daemon's tracker and stop at shutdown.
pub struct WebSub {
    pub(crate) config: LiveConfig,
    pub(crate) store: Arc<Store>,
    clients: address::Clients,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl WebSub {
    pub fn new(
        config: LiveConfig,
        store: Arc<Store>,
        tracker: TaskTracker,
        cancel: CancellationToken,
    ) -> WebSub {
        let clients = address::clients(&config.get().fetch.user_agent, TIMEOUT);
        WebSub {
            config,
            store,
            clients,
            tracker,
            cancel,
        }
    }

    /// Run `work` as a task that stops at shutdown.
    /// The client for requests to URLs others chose, under the configuration in force.
    fn client(&self) -> &reqwest::Client {
        self.clients.get(self.config.get().websub.allow_private)
    }

    fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = work => {}
            }
        });
    }

    /// Items were stored: with an external hub, tell it which of our feeds changed.
    /// (Subscribers of our own hub get theirs through the outbox.)
    pub fn feeds_changed(self: &Arc<Self>, config: &Config, stored: &[Stored]) {
        let Some(hub) = config.daemon.websub_hub.clone() else {
            return;
        };
        let base = publish::base_url(config);
        let topics: Vec<String> = config
            .feeds
            .iter()
            .filter(|f| {
                stored
                    .iter()
                    .any(|s| crate::filter::feed_accepts(f, &s.item))
            })
            .flat_map(|f| Format::ALL.map(|format| publish::feed_url(&base, &f.id, format)))
            .collect();
        if topics.is_empty() {
            return;
        }
        let this = self.clone();
        self.spawn(async move { this.ping(hub, topics).await });
    }

    /// `hub.mode=publish` for each topic, tried again three times over 42 s when the hub
    /// fails.
    async fn ping(&self, hub: Url, topics: Vec<String>) {
        for topic in topics {
            let mut wait = Duration::from_secs(2);
            for attempt in 1..=4 {
                let form = [("hub.mode", "publish"), ("hub.url", topic.as_str())];
                // The operator named this hub: it may be on a private address.
                match self
                    .clients
                    .get(true)
                    .post(hub.clone())
                    .form(&form)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        debug!(%hub, %topic, "hub pinged");
                        break;
                    }
                    Ok(r) if r.status().is_client_error() => {
                        warn!(%hub, %topic, status = %r.status(), "the hub refused the ping");
                        break;
                    }
                    Ok(r) => warn!(%hub, %topic, status = %r.status(), attempt, "hub ping failed"),
                    Err(e) => warn!(%hub, %topic, error = %e, attempt, "hub ping failed"),
                }
                if attempt < 4 {
                    tokio::time::sleep(wait).await;
                    wait *= 4;
                }
            }
        }
    }

    /// The maintenance loop: expired subscriptions forgotten, our leases renewed, until
    /// cancelled.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            self.maintain(Utc::now()).await;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(MAINTAIN_EVERY) => {}
            }
        }
    }

    /// One round of maintenance at `now` (tests pass a later clock).
    pub async fn maintain(self: &Arc<Self>, now: DateTime<Utc>) {
        match self.store.purge_expired_hub_subscriptions(now) {
            Ok(0) => {}
            Ok(n) => debug!(
                expired = n,
                "WebSub subscriptions whose lease ended were removed"
            ),
            Err(e) => warn!(error = %e, "cannot purge expired WebSub subscriptions"),
        }
        if let Ok(subs) = self.store.hub_subscriptions() {
            metrics::gauge!("tidings_websub_subscribers").set(subs.len() as f64);
        }
        if let Ok(subs) = self.store.push_subscriptions() {
            let active = subs.iter().filter(|s| s.is_active(now)).count();
            metrics::gauge!("tidings_websub_pushing_sources").set(active as f64);
        }
        if let Err(e) = self.renew(now).await {
            warn!(error = %e, "cannot renew WebSub subscriptions");
        }
    }
}

/// The hub our feeds advertise: `[daemon] websub_hub`, else our own `/websub`.
pub fn hub_url(config: &Config) -> String {
    match &config.daemon.websub_hub {
        Some(hub) => hub.to_string(),
        None => format!("{}/websub", publish::base_url(config)),
    }
}

/// The feed and format a topic URL names (`{public_url}/feeds/{id}.{ext}`), if it is
/// one of ours. Scheme, host and port compare as URLs do (case, default ports).
pub fn topic_feed<'c>(config: &'c Config, topic: &str) -> Option<(&'c FeedConfig, Format)> {
    let topic = Url::parse(topic).ok()?;
    let base = &config.daemon.public_url;
    if topic.scheme() != base.scheme()
        || topic.host() != base.host()
        || topic.port_or_known_default() != base.port_or_known_default()
        || topic.query().is_some()
    {
        return None;
    }
    let prefix = format!("{}/feeds/", base.path().trim_end_matches('/'));
    let file = topic.path().strip_prefix(&prefix)?;
    let (id, ext) = file.rsplit_once('.')?;
    let format = Format::from_extension(ext)?;
    let feed = config.feeds.iter().find(|f| f.id == id)?;
    Some((feed, format))
}

/// Read at most `limit` bytes of a response body.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > limit {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: &str) -> Config {
        Config::parse_with_env(
            &format!(
                "[daemon]\npublic_url = \"{public_url}\"\n[[source]]\nid = \"s\"\nurl = \"http://example.org/f\"\n[[feed]]\nid = \"news\"\nsources = [\"*\"]\n"
            ),
            std::path::Path::new("feeds.toml"),
            &|_| None,
        )
        .unwrap()
    }

    #[test]
    fn only_our_feed_urls_are_topics() {
        let c = config("https://news.example.org/tidings/");
        let ok = |t: &str| topic_feed(&c, t).map(|(f, fmt)| (f.id.clone(), fmt));
        assert_eq!(
            ok("https://NEWS.example.org:443/tidings/feeds/news.atom"),
            Some(("news".into(), Format::Atom))
        );
        assert_eq!(
            ok("https://news.example.org/tidings/feeds/news.json"),
            Some(("news".into(), Format::Json))
        );
        assert_eq!(ok("http://news.example.org/tidings/feeds/news.atom"), None);
        assert_eq!(ok("https://news.example.org/feeds/news.atom"), None);
        assert_eq!(
            ok("https://news.example.org/tidings/feeds/other.atom"),
            None
        );
        assert_eq!(ok("https://news.example.org/tidings/feeds/news.html"), None);
        assert_eq!(
            ok("https://news.example.org/tidings/feeds/news.rss?x=1"),
            None
        );
        assert_eq!(ok("not a url"), None);
        assert_eq!(hub_url(&c), "https://news.example.org/tidings/websub");
    }
}
