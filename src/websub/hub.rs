//! Our hub (WebSub §5.1–5.3): subscription and unsubscription requests to our feeds.
//!
//! A request is checked at once and refused with a 4xx naming the problem (a missing
//! parameter, a topic that is not one of our feeds, a callback on a private address, a
//! secret of 200 bytes or more). An acceptable one is answered `202 Accepted`; then
//! the subscriber's intent is verified: a GET to its callback with `hub.mode`,
//! `hub.topic`, `hub.challenge` and (to subscribe) `hub.lease_seconds`, which must be
//! answered 2xx with the challenge as the body. Only then is the subscription stored
//! (or removed). Subscribing again with the same topic and callback renews the lease.

use super::{MAX_ANSWER_BYTES, WebSub, address, read_capped, topic_feed};
use crate::config::Config;
use crate::store::{HubSubscription, hub_subscription_id, new_token};
use chrono::Utc;
use std::sync::Arc;
use tracing::{info, warn};
use url::Url;

/// `hub.secret` must be shorter than this (§5.1).
pub const MAX_SECRET_BYTES: usize = 200;
/// The longest callback URL accepted.
const MAX_CALLBACK_BYTES: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Subscribe,
    Unsubscribe,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A checked subscription request.
#[derive(Clone)]
pub struct SubscriptionRequest {
    pub mode: Mode,
    pub topic: String,
    /// The feed the topic names.
    pub feed: String,
    pub callback: Url,
    /// The lease granted: the request's `hub.lease_seconds` within the bounds.
    pub lease_secs: u64,
    pub secret: Option<String>,
}

/// Why a request is refused, and with which status.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// 400: malformed.
    #[error("{0}")]
    Invalid(String),
    /// 404: the topic is not a feed of ours.
    #[error("hub.topic {0} is not a feed of this hub")]
    UnknownTopic(String),
    /// 403: the callback may not be called.
    #[error("hub.callback refused: {0}")]
    Refused(String),
    /// 400: the feeds advertise another hub.
    #[error("this daemon's feeds use the hub {0}; subscribe there")]
    OtherHub(String),
}

impl RequestError {
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Invalid(_) | RequestError::OtherHub(_) => 400,
            RequestError::UnknownTopic(_) => 404,
            RequestError::Refused(_) => 403,
        }
    }
}

/// Check a request's form parameters (pure: no address lookup yet).
pub fn parse_request(
    config: &Config,
    form: &[(String, String)],
) -> Result<SubscriptionRequest, RequestError> {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| {
        get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| RequestError::Invalid(format!("{name} is missing")))
    };
    let mode = match required("hub.mode")? {
        "subscribe" => Mode::Subscribe,
        "unsubscribe" => Mode::Unsubscribe,
        "publish" => {
            return Err(RequestError::Invalid(
                "this hub publishes its own feeds; hub.mode=publish is not taken".into(),
            ));
        }
        other => {
            return Err(RequestError::Invalid(format!(
                "hub.mode must be subscribe or unsubscribe, not {other:?}"
            )));
        }
    };
    if let Some(hub) = &config.daemon.websub_hub {
        return Err(RequestError::OtherHub(hub.to_string()));
    }
    let topic = required("hub.topic")?.trim().to_string();
    let Some((feed, _)) = topic_feed(config, &topic) else {
        return Err(RequestError::UnknownTopic(topic));
    };
    let callback = required("hub.callback")?.trim();
    if callback.len() > MAX_CALLBACK_BYTES {
        return Err(RequestError::Invalid(format!(
            "hub.callback is longer than {MAX_CALLBACK_BYTES} bytes"
        )));
    }
    let callback = Url::parse(callback)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            RequestError::Invalid(format!("hub.callback {callback:?} is not an http(s) URL"))
        })?;
    let lease = match get("hub.lease_seconds").map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            RequestError::Invalid(format!(
                "hub.lease_seconds must be a whole number of seconds, not {s:?}"
            ))
        })?),
    };
    let secret = match get("hub.secret") {
        None | Some("") => None,
        Some(s) if s.len() >= MAX_SECRET_BYTES => {
            return Err(RequestError::Invalid(format!(
                "hub.secret must be shorter than {MAX_SECRET_BYTES} bytes"
            )));
        }
        Some(s) => Some(s.to_string()),
    };
    Ok(SubscriptionRequest {
        mode,
        topic,
        feed: feed.id.clone(),
        callback,
        lease_secs: config.websub.grant(lease),
        secret,
    })
}

impl WebSub {
    /// Take a checked request: refuse a callback on a private address, else verify the
    /// subscriber's intent in the background (the caller answers 202).
    pub async fn accept(
        self: &Arc<Self>,
        request: SubscriptionRequest,
    ) -> Result<(), RequestError> {
        let allow_private = self.config.get().websub.allow_private;
        if let Some(why) = address::refused(&request.callback, allow_private).await {
            return Err(RequestError::Refused(why));
        }
        let this = self.clone();
        self.spawn(async move {
            this.verify(request).await;
        });
        Ok(())
    }

    /// Verify the intent of a request with its subscriber, then store or remove the
    /// subscription. Returns whether it was verified.
    pub async fn verify(&self, request: SubscriptionRequest) -> bool {
        let challenge = new_token();
        let mut url = request.callback.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", request.mode.as_str())
                .append_pair("hub.topic", &request.topic)
                .append_pair("hub.challenge", &challenge);
            if request.mode == Mode::Subscribe {
                q.append_pair("hub.lease_seconds", &request.lease_secs.to_string());
            }
        }
        // The lease is measured from the verification request (§5.3).
        let asked = Utc::now();
        let answer = match self.client().get(url).send().await {
            Ok(r) if r.status().is_success() => read_capped(r, MAX_ANSWER_BYTES).await,
            Ok(r) => {
                info!(callback = %request.callback, status = %r.status(), mode = request.mode.as_str(), "the subscriber did not confirm");
                None
            }
            Err(e) => {
                info!(callback = %request.callback, error = %e, "verification request failed");
                None
            }
        };
        let confirmed = answer.is_some_and(|body| body.trim_ascii() == challenge.as_bytes());
        metrics::counter!("tidings_websub_verifications_total", "mode" => request.mode.as_str(), "result" => if confirmed { "confirmed" } else { "refused" }).increment(1);
        if !confirmed {
            return false;
        }
        let id = hub_subscription_id(&request.topic, request.callback.as_str());
        let stored = match request.mode {
            Mode::Subscribe => {
                let created = self
                    .store
                    .hub_subscription(&id)
                    .ok()
                    .flatten()
                    .map_or(asked, |old| old.created);
                self.store.put_hub_subscription(&HubSubscription {
                    id,
                    topic: request.topic.clone(),
                    feed: request.feed.clone(),
                    callback: request.callback.to_string(),
                    secret: request.secret.clone(),
                    lease_secs: request.lease_secs,
                    expires: asked + chrono::Duration::seconds(request.lease_secs as i64),
                    created,
                    last_sent: None,
                    last_error: None,
                })
            }
            Mode::Unsubscribe => self.store.remove_hub_subscription(&id).map(|_| ()),
        };
        match stored {
            Ok(()) => {
                info!(topic = %request.topic, callback = %request.callback, mode = request.mode.as_str(), lease_secs = request.lease_secs, "WebSub subscription verified");
                true
            }
            Err(e) => {
                warn!(error = %e, "cannot record a verified WebSub subscription");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse_with_env(
            "[daemon]\npublic_url = \"http://127.0.0.1:8080\"\n[[source]]\nid = \"s\"\nurl = \"http://example.org/f\"\n[[feed]]\nid = \"news\"\nsources = [\"*\"]\n[websub]\nmin_lease_secs = 600\n",
            std::path::Path::new("feeds.toml"),
            &|_| None,
        )
        .unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn requests_are_checked_before_anything_is_sent() {
        let c = config();
        let base = [
            ("hub.mode", "subscribe"),
            ("hub.topic", "http://127.0.0.1:8080/feeds/news.atom"),
            ("hub.callback", "https://reader.example/cb?x=1"),
        ];
        let ok = parse_request(&c, &form(&base)).unwrap();
        assert_eq!(ok.feed, "news");
        assert_eq!(ok.lease_secs, 864_000, "the default lease");
        let with = |k: &'static str, v: &'static str| {
            let mut f = base.to_vec();
            f.retain(|(name, _)| *name != k);
            f.push((k, v));
            parse_request(&c, &form(&f))
        };
        assert_eq!(with("hub.lease_seconds", "60").unwrap().lease_secs, 600);
        assert_eq!(
            with("hub.mode", "unsubscribe").unwrap().mode,
            Mode::Unsubscribe
        );
        let status = |r: Result<SubscriptionRequest, RequestError>| r.err().map(|e| e.status());
        assert_eq!(status(with("hub.lease_seconds", "soon")), Some(400));
        assert_eq!(status(with("hub.mode", "follow")), Some(400));
        assert_eq!(status(with("hub.mode", "publish")), Some(400));
        assert_eq!(
            status(with("hub.topic", "http://127.0.0.1:8080/feeds/x.atom")),
            Some(404)
        );
        assert_eq!(
            status(with("hub.topic", "https://elsewhere.example/feed")),
            Some(404)
        );
        assert_eq!(
            status(with("hub.callback", "ftp://reader.example/")),
            Some(400)
        );
        assert_eq!(status(with("hub.callback", "")), Some(400));
        let long = "s".repeat(200);
        let mut f = form(&base);
        f.push(("hub.secret".into(), long));
        assert_eq!(status(parse_request(&c, &f)), Some(400));
        let mut f = form(&base);
        f.push(("hub.secret".into(), "s".repeat(199)));
        assert!(parse_request(&c, &f).unwrap().secret.is_some());
    }
}
