//! WebSub subscriptions, both ways.

use super::now;
use chrono::Duration;
use tidings::store::{HubSubscription, PushState, PushSubscription, hub_subscription_id};

fn hub_sub(topic: &str, callback: &str, expires_in: i64) -> HubSubscription {
    let now = now();
    HubSubscription {
        id: hub_subscription_id(topic, callback),
        topic: topic.into(),
        feed: "news".into(),
        callback: callback.into(),
        secret: Some("s3cret".into()),
        lease_secs: expires_in as u64,
        expires: now + Duration::seconds(expires_in),
        created: now,
        last_sent: None,
        last_error: None,
    }
}

store_tests! {
    /// Subscribing again with the same topic and callback renews in place; leases expire.
    fn a_subscription_is_renewed_in_place_and_expires(backend: Backend) {
        let store = backend.store();
        let now = now();
        let mut sub = hub_sub("http://h/feeds/news.atom", "http://sub/cb", 60);
        let id = sub.id.clone();
        store.put_hub_subscription(&sub).unwrap();
        sub.expires = now + Duration::seconds(600);
        sub.secret = Some("new secret".into());
        store.put_hub_subscription(&sub).unwrap();
        assert_eq!(store.hub_subscriptions().unwrap(), [sub.clone()], "one row per pair");
        assert!(!format!("{sub:?}").contains("s3cret"), "no secret in logs");
        let short = hub_sub("http://h/feeds/news.atom", "http://other/cb", 60);
        store.put_hub_subscription(&short).unwrap();
        store.update_hub_subscription(&id, |s| s.last_error = Some("HTTP 500".into())).unwrap();
        store.update_hub_subscription("gone", |s| s.last_error = Some("x".into())).unwrap();
        assert!(store.hub_subscription("gone").unwrap().is_none(), "no row made");
        assert_eq!(store.hub_subscription(&id).unwrap().unwrap().last_error.as_deref(), Some("HTTP 500"));
        assert_eq!(store.purge_expired_hub_subscriptions(now).unwrap(), 0);
        assert_eq!(store.purge_expired_hub_subscriptions(now + Duration::seconds(61)).unwrap(), 1);
        assert!(store.hub_subscription(&short.id).unwrap().is_none());
        assert_eq!(store.purge_expired_hub_subscriptions(now + Duration::seconds(601)).unwrap(), 1);
        assert!(store.hub_subscription(&id).unwrap().is_none());
        store.put_hub_subscription(&short).unwrap();
        assert!(store.remove_hub_subscription(&short.id).unwrap());
        assert!(!store.remove_hub_subscription(&short.id).unwrap());
        assert!(store.hub_subscriptions().unwrap().is_empty());
    }

    /// Our own subscriptions to sources' hubs: one per source, changed in place.
    fn push_subscriptions_are_one_per_source(backend: Backend) {
        let store = backend.store();
        let now = now();
        let sub = PushSubscription {
            source: "s".into(),
            hub: "http://hub/".into(),
            topic: "http://site/feed.xml".into(),
            secret: "k".into(),
            state: PushState::Pending,
            requested: now,
            expires: None,
            verified: None,
            last_push: None,
            last_error: None,
        };
        assert!(store.push_subscription("s").unwrap().is_none());
        store.put_push_subscription(&sub).unwrap();
        store.put_push_subscription(&PushSubscription { source: "t".into(), ..sub.clone() }).unwrap();
        assert_eq!(store.push_subscription("s").unwrap().unwrap(), sub);
        store
            .update_push_subscription("s", |s| {
                s.state = PushState::Active;
                s.verified = Some(now);
                s.expires = Some(now + Duration::days(1));
            })
            .unwrap();
        let s = store.push_subscription("s").unwrap().unwrap();
        assert!(s.is_active(now));
        assert!(!store.push_subscription("t").unwrap().unwrap().is_active(now));
        store.update_push_subscription("none", |s| s.state = PushState::Active).unwrap();
        assert!(store.push_subscription("none").unwrap().is_none());
        assert_eq!(store.push_subscriptions().unwrap().len(), 2);
        store.remove_push_subscription("s").unwrap();
        store.remove_push_subscription("s").unwrap();
        assert!(store.push_subscription("s").unwrap().is_none());
        assert_eq!(store.push_subscriptions().unwrap().len(), 1);
    }
}
