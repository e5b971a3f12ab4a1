//! WebSub content distribution (§7): the feed document holding the new entries is
//! POSTed to the subscriber's callback with the feed's content type, `Link` headers
//! naming the hub and the topic, and `X-Hub-Signature: sha256=…` when the subscriber
//! gave a secret.
//!
//! Answers: 2xx delivered; `410 Gone` ends the subscription; 429 and 408 are retried
//! (429 after its `Retry-After`); any other 4xx (and a redirect, which is not followed)
//! fails that push for good; 5xx, timeouts and connection failures are retried with
//! the outbox's backoff. A callback that now resolves to a private address is refused
//! and the subscription ended.

use super::channel::{Channel, Outgoing, SendError};
use super::view::{Content, FeedPush};
use crate::config::{Config, LiveConfig};
use crate::publish::{self, FeedDoc};
use crate::store::{Payload, Store, StoreError, Target};
use crate::websub::{address, signature, topic_feed};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

pub struct WebSubChannel {
    clients: address::Clients,
    config: LiveConfig,
}

impl WebSubChannel {
    pub fn new(config: LiveConfig) -> WebSubChannel {
        let clients = address::clients(&config.get().fetch.user_agent, TIMEOUT);
        WebSubChannel { clients, config }
    }

    async fn push(&self, message: &Outgoing) -> Result<(), SendError> {
        let Content::Feed(push) = &message.content else {
            return Err(SendError::permanent(
                "only feed pushes go to WebSub callbacks",
            ));
        };
        let url = url::Url::parse(&push.callback)
            .map_err(|e| SendError::gone(format!("callback {}: {e}", push.callback)))?;
        let allow_private = self.config.get().websub.allow_private;
        if let Some(why) = address::refused(&url, allow_private).await {
            return Err(SendError::gone(format!("callback refused: {why}")));
        }
        let mut request = self
            .clients
            .get(allow_private)
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, &push.content_type)
            .header(
                reqwest::header::LINK,
                format!(
                    "<{}>; rel=\"hub\", <{}>; rel=\"self\"",
                    push.hub, push.topic
                ),
            );
        if let Some(secret) = &push.secret {
            request = request.header(
                "X-Hub-Signature",
                signature::sign(secret, push.body.as_bytes()),
            );
        }
        let response = request.body(push.body.clone()).send().await.map_err(|e| {
            // The name resolved to a private address when connecting (rebinding).
            match crate::fetch::guard::find_refused(&e) {
                Some(r) => SendError::gone(format!("callback {}: {r}", push.callback)),
                None => SendError::transient(format!("{}: {e}", push.callback)),
            }
        })?;
        classify(
            response.status(),
            retry_after(response.headers()),
            &push.callback,
        )
    }
}

/// The push a `Feed` delivery to subscription `id` stands for, or why it is not to be
/// sent any more (the subscription ended or its lease ran out, the feed is gone, its
/// items are no longer stored or no longer in it).
pub fn resolve(
    store: &Store,
    config: &Config,
    id: &str,
    payload: &Payload,
    now: DateTime<Utc>,
) -> Result<Result<FeedPush, String>, StoreError> {
    let Payload::Feed { feed: _, items } = payload else {
        return Ok(Err("only feed pushes go to WebSub subscribers".into()));
    };
    let Some(sub) = store.hub_subscription(id)? else {
        return Ok(Err("the WebSub subscription ended".into()));
    };
    if !sub.is_active(now) {
        return Ok(Err(format!(
            "the WebSub subscription's lease ended at {}",
            sub.expires.to_rfc3339()
        )));
    }
    let Some((feed, format)) = topic_feed(config, &sub.topic) else {
        return Ok(Err(format!("{} is no longer a feed of ours", sub.topic)));
    };
    let mut found = Vec::new();
    for r in items {
        if let Some(item) = store.item(&r.source, &r.id)?
            && crate::filter::feed_accepts(feed, &item)
        {
            found.push(item);
        }
    }
    if found.is_empty() {
        return Ok(Err(
            "none of the push's items is in the feed any more".into()
        ));
    }
    found.sort_by_key(|i| std::cmp::Reverse(i.sort_time()));
    let body = match publish::render(
        &FeedDoc::new(config, feed, found, |source| {
            publish::source_zone(config, store, source)
        }),
        format,
    ) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(Ok(FeedPush {
        callback: sub.callback,
        topic: sub.topic,
        hub: crate::websub::hub_url(config),
        content_type: format.content_type().to_string(),
        body,
        secret: sub.secret,
    }))
}

/// What an answer of the callback means for the delivery.
fn classify(
    status: reqwest::StatusCode,
    retry_after: Option<Duration>,
    callback: &str,
) -> Result<(), SendError> {
    let message = format!("{callback}: HTTP {status}");
    match status.as_u16() {
        200..=299 => Ok(()),
        410 => Err(SendError::gone(message)),
        408 | 429 => Err(SendError::Transient {
            message,
            retry_after,
        }),
        300..=499 => Err(SendError::permanent(message)),
        _ => Err(SendError::transient(message)),
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Channel for WebSubChannel {
    fn handles(&self, target: &Target) -> bool {
        matches!(target, Target::WebSub { .. })
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(self.push(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn answers_are_classified_as_the_outbox_needs() {
        let c = |s: u16| classify(StatusCode::from_u16(s).unwrap(), None, "cb");
        assert!(c(200).is_ok() && c(202).is_ok() && c(204).is_ok());
        assert!(matches!(c(410), Err(SendError::Gone { .. })));
        assert!(matches!(c(404), Err(SendError::Permanent { .. })));
        assert!(matches!(c(302), Err(SendError::Permanent { .. })));
        assert!(c(429).unwrap_err().is_transient());
        assert!(c(500).unwrap_err().is_transient());
        assert!(c(503).unwrap_err().is_transient());
    }
}
