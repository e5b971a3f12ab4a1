//! Tidings as the hub of its own feeds.

use super::*;
use chrono::Utc;
use tidings::notify::route::{self, Audience, Backlog};
use tidings::store::{DeliveryState, HubSubscription, Target};

const ALLOW: &str = "\n[websub]\nallow_private = true\nmin_lease_secs = 60\n";

/// Subscribe `sub` to `/feeds/news.{ext}` and wait until the subscription is stored.
async fn subscribe(t: &Tidings, sub: &TestSubscriber, ext: &str, secret: Option<&str>) {
    let topic = t.url(&format!("/feeds/news.{ext}"));
    let callback = sub.callback();
    let mut form = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", callback.as_str()),
        ("hub.lease_seconds", "3600"),
    ];
    if let Some(s) = secret {
        form.push(("hub.secret", s));
    }
    let (status, text) = t.hub_request(&form).await;
    assert_eq!(status, 202, "{text}");
    t.until("the subscription to be verified", |t| {
        t.store
            .hub_subscriptions()
            .unwrap()
            .iter()
            .any(|s| s.topic == topic && s.callback == callback)
    })
    .await;
}

fn only_subscription(t: &Tidings) -> HubSubscription {
    let subs = t.store.hub_subscriptions().unwrap();
    assert_eq!(subs.len(), 1, "{subs:?}");
    subs[0].clone()
}

#[tokio::test]
async fn a_subscriber_is_verified_and_gets_new_items_pushed_and_signed() {
    let site = site(&["第一条"]).await;
    let t = Tidings::start(&format!("{}{ALLOW}", source_toml(&site)), true).await;
    assert_eq!(t.poll("site").await.stored.len(), 1);
    let sub = TestSubscriber::start().await;
    subscribe(&t, &sub, "atom", Some("topsecret")).await;

    // The verification asked what the recommendation says, and the lease was granted.
    let v = &sub.verifications()[0];
    assert_eq!(param(v, "hub.mode"), Some("subscribe"));
    assert_eq!(
        param(v, "hub.topic"),
        Some(t.url("/feeds/news.atom").as_str())
    );
    assert_eq!(param(v, "hub.lease_seconds"), Some("3600"));
    assert!(param(v, "hub.challenge").is_some_and(|c| c.len() >= 32));
    let stored = only_subscription(&t);
    let lease = (stored.expires - Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&lease), "lease {lease}");

    // A new item: the push arrives, measured from the start of the poll that found it.
    site.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&["第二条", "第一条"])),
    );
    let started = Instant::now();
    assert_eq!(t.poll("site").await.stored.len(), 1);
    let push = sub.wait_for_push(1).await;
    let latency = push.at.duration_since(started);
    eprintln!("WebSub push latency (poll start → push received): {latency:?}");

    assert_eq!(
        push.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let link = push.headers["link"].to_str().unwrap();
    assert!(
        link.contains(&format!("<{}>; rel=\"hub\"", t.url("/websub"))),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{}>; rel=\"self\"", t.url("/feeds/news.atom"))),
        "{link}"
    );
    let signature = push.headers["x-hub-signature"].to_str().unwrap();
    assert_eq!(
        signature,
        format!(
            "sha256={}",
            hmac_hex::<hmac::Hmac<sha2::Sha256>>("topsecret", &push.body)
        )
    );
    // The body is the feed with the new entry only.
    let feed = feed_rs::parser::parse(&push.body[..]).unwrap();
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["第二条"]);
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("hub")));

    // Nothing new, nothing pushed; the delivery is recorded as sent.
    t.until("the push to be recorded as sent", |t| {
        t.store.hub_subscriptions().unwrap()[0].last_sent.is_some()
    })
    .await;
    t.poll("site").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sub.pushes().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn without_a_secret_pushes_are_unsigned_and_each_format_gets_its_own_document() {
    let site = site(&["第一条"]).await;
    let t = Tidings::start(&format!("{}{ALLOW}", source_toml(&site)), true).await;
    t.poll("site").await;
    let rss_sub = TestSubscriber::start().await;
    let json_sub = TestSubscriber::start().await;
    subscribe(&t, &rss_sub, "rss", None).await;
    subscribe(&t, &json_sub, "json", None).await;
    site.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&["第二条", "第一条"])),
    );
    t.poll("site").await;
    let r = rss_sub.wait_for_push(1).await;
    let j = json_sub.wait_for_push(1).await;
    assert!(r.headers.get("x-hub-signature").is_none());
    assert_eq!(
        r.headers["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert!(String::from_utf8_lossy(&r.body).contains("第二条"));
    assert_eq!(
        j.headers["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let json: serde_json::Value = serde_json::from_slice(&j.body).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    t.stop().await;
}

#[tokio::test]
async fn a_callback_that_does_not_echo_the_challenge_is_not_subscribed() {
    let site = site(&["第一条"]).await;
    let t = Tidings::start(&format!("{}{ALLOW}", source_toml(&site)), true).await;
    let sub = TestSubscriber::start().await;
    let topic = t.url("/feeds/news.atom");
    let callback = sub.callback();
    for echo in [Echo::Wrong, Echo::NotFound] {
        sub.echo(echo);
        let before = sub.verifications().len();
        let (status, _) = t
            .hub_request(&[
                ("hub.mode", "subscribe"),
                ("hub.topic", &topic),
                ("hub.callback", &callback),
            ])
            .await;
        assert_eq!(status, 202);
        let deadline = Instant::now() + PATIENCE;
        while sub.verifications().len() == before {
            assert!(Instant::now() < deadline, "no verification request");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The verifier records nothing after a refusal; give it a moment to (not) do so.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(t.store.hub_subscriptions().unwrap().is_empty(), "{echo:?}");
    }
    t.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason_and_private_callbacks_by_default() {
    let site = site(&["第一条"]).await;
    // No allow_private: a loopback callback is refused before any request is made to it.
    let t = Tidings::start(&source_toml(&site), true).await;
    let sub = TestSubscriber::start().await;
    let topic = t.url("/feeds/news.atom");
    let callback = sub.callback();
    let (status, text) = t
        .hub_request(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", &topic),
            ("hub.callback", &callback),
        ])
        .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("allow_private"), "{text}");
    let (status, text) = t
        .hub_request(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t.url("/feeds/nope.atom")),
            ("hub.callback", &callback),
        ])
        .await;
    assert_eq!(status, 404, "{text}");
    let long = "x".repeat(200);
    let (status, text) = t
        .hub_request(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", &topic),
            ("hub.callback", &callback),
            ("hub.secret", &long),
        ])
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("200 bytes"), "{text}");
    let (status, text) = t.hub_request(&[("hub.topic", &topic)]).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("hub.mode"), "{text}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        sub.verifications().is_empty(),
        "no request reached the callback"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_ended_lease_stops_distribution_and_unsubscribing_is_verified_too() {
    let site = site(&["第一条"]).await;
    // The test drives the outbox, with the clock it chooses.
    let t = Tidings::start(&format!("{}{ALLOW}", source_toml(&site)), false).await;
    t.poll("site").await;
    let sub = TestSubscriber::start().await;
    subscribe(&t, &sub, "atom", Some("k")).await;
    let lease_end = only_subscription(&t).expires;
    let cancel = CancellationToken::new();

    // A push queued while the lease runs, and delivered after it ended: dropped.
    site.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&["第二条", "第一条"])),
    );
    t.poll("site").await;
    let queued = t.store.outbox().unwrap();
    assert_eq!(queued.len(), 1);
    let after = lease_end + chrono::Duration::seconds(1);
    let pass = t.notifier.deliver_due_at(after, &cancel).await.unwrap();
    assert_eq!(pass.dropped, 1, "{pass:?}");
    assert!(matches!(
        t.store.delivery_state(&queued[0].delivery.id).unwrap(),
        Some(DeliveryState::Dropped { reason, .. }) if reason.contains("lease")
    ));
    // Items stored after the lease ended are not routed to it at all.
    let config = t.config();
    let audience = Audience::load(&t.store, &config).unwrap();
    let mut item = t
        .store
        .newest_items(&["site".into()], |_| true, 1)
        .unwrap()
        .remove(0);
    item.id = "new".into();
    item.revision += 1;
    let stored = t
        .store
        .store_routed("site", vec![item], &|s| {
            route::plan(&config, &audience, Backlog::Seen, s, after)
        })
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(t.store.outbox().unwrap().is_empty());
    // Maintenance forgets it.
    t.websub.maintain(after).await;
    assert!(t.store.hub_subscriptions().unwrap().is_empty());
    assert!(sub.pushes().is_empty());

    // Subscribe again, then leave: the hub asks the callback, which confirms.
    subscribe(&t, &sub, "atom", None).await;
    let topic = t.url("/feeds/news.atom");
    let callback = sub.callback();
    let form = [
        ("hub.mode", "unsubscribe"),
        ("hub.topic", topic.as_str()),
        ("hub.callback", callback.as_str()),
    ];
    // A callback that does not confirm keeps its subscription…
    sub.echo(Echo::NotFound);
    assert_eq!(t.hub_request(&form).await.0, 202);
    let n = sub.verifications().len();
    t.until("the unsubscribe verification", |_| {
        sub.verifications()
            .last()
            .is_some_and(|v| param(v, "hub.mode") == Some("unsubscribe"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(t.store.hub_subscriptions().unwrap().len(), 1);
    assert!(sub.verifications().len() >= n);
    // …one that confirms is removed, and gets nothing more.
    sub.echo(Echo::Challenge);
    assert_eq!(t.hub_request(&form).await.0, 202);
    t.until("the subscription to be removed", |t| {
        t.store.hub_subscriptions().unwrap().is_empty()
    })
    .await;
    site.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&["第三条", "第二条", "第一条"])),
    );
    assert_eq!(t.poll("site").await.stored.len(), 1);
    assert!(t.store.outbox().unwrap().is_empty());
    t.stop().await;
}

#[tokio::test]
async fn gone_ends_a_subscription_server_errors_are_retried_other_refusals_recorded() {
    let site = site(&["第一条"]).await;
    let t = Tidings::start(&format!("{}{ALLOW}", source_toml(&site)), false).await;
    t.poll("site").await;
    let sub = TestSubscriber::start().await;
    subscribe(&t, &sub, "atom", None).await;
    let id = only_subscription(&t).id;
    let target = Target::WebSub { id: id.clone() };
    let cancel = CancellationToken::new();
    let mut titles = vec!["第一条".to_string()];
    let mut next_item = async |t: &Tidings| {
        titles.insert(0, format!("第{}条新闻", titles.len() + 1));
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        site.set("/feed.xml", Reply::ok("application/rss+xml", rss(&refs)));
        assert_eq!(t.poll("site").await.stored.len(), 1);
    };

    // 503: retried later, with the error on the subscription.
    sub.answer_pushes(503);
    next_item(&t).await;
    let pass = t.notifier.deliver_due(&cancel).await.unwrap();
    assert_eq!(pass.retried, 1, "{pass:?}");
    let row = &t.store.outbox().unwrap()[0];
    assert_eq!(row.delivery.attempts, 1);
    assert!(only_subscription(&t).last_error.unwrap().contains("503"));
    // It goes through once the subscriber is back (the clock moved past the backoff,
    // not past the lease).
    sub.answer_pushes(200);
    let later = Utc::now() + chrono::Duration::minutes(10);
    let pass = t.notifier.deliver_due_at(later, &cancel).await.unwrap();
    assert_eq!(pass.sent, 1, "{pass:?}");
    assert_eq!(sub.pushes().len(), 2);

    // 404: that push fails for good, the subscription stays.
    sub.answer_pushes(404);
    next_item(&t).await;
    let pass = t.notifier.deliver_due(&cancel).await.unwrap();
    assert_eq!(pass.failed, 1, "{pass:?}");
    assert!(t.store.outbox().unwrap().is_empty());
    assert!(t.store.hub_subscription(&id).unwrap().is_some());

    // 410: the subscriber is gone; the subscription ends.
    sub.answer_pushes(410);
    next_item(&t).await;
    let pass = t.notifier.deliver_due(&cancel).await.unwrap();
    assert_eq!(pass.failed, 1, "{pass:?}");
    assert!(t.store.hub_subscription(&id).unwrap().is_none());
    next_item(&t).await;
    assert!(
        t.store.outbox().unwrap().is_empty(),
        "nothing routed to {target}"
    );
    t.stop().await;
}

#[tokio::test]
#[cfg_attr(
    no_feedparser,
    ignore = "needs Python with feedparser (set TIDINGS_PYTHON)"
)]
async fn feedparser_finds_the_hub_and_self_links() {
    let python = crate::publish::tool(
        "Python feedparser",
        crate::support::probe::feedparser_python(),
    )
    .0;
    let site = site(&["第一条"]).await;
    let t = Tidings::start(&source_toml(&site), true).await;
    t.poll("site").await;
    for ext in ["atom", "rss"] {
        let path = format!("/feeds/news.{ext}");
        let body = reqwest::get(t.url(&path))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &body).unwrap();
        let out = tokio::process::Command::new(&python)
            .arg(crate::publish::fixture("feedparser_dump.py"))
            .arg(file.path())
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(d["bozo"], false, "{ext}: {}", d["bozo_exception"]);
        assert_eq!(d["hub"][0], t.url("/websub"), "{ext}");
        assert_eq!(d["self"][0], t.url(&path), "{ext}");
    }
    let json: serde_json::Value = reqwest::get(t.url("/feeds/news.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["feed_url"], t.url("/feeds/news.json"));
    assert_eq!(json["hubs"][0]["url"], t.url("/websub"));
    t.stop().await;
}

#[tokio::test]
async fn an_external_hub_is_advertised_and_pinged_when_a_feed_changes() {
    let site = site(&["第一条"]).await;
    let hub = TestHub::start().await;
    let t = Tidings::start_with_daemon(
        &format!("websub_hub = \"{}\"", hub.url()),
        &source_toml(&site),
        true,
    )
    .await;
    t.poll("site").await;
    // One ping per format of the feed that changed.
    let mut topics = Vec::new();
    for n in 1..=3 {
        let ping = hub.wait_for(n).await;
        assert_eq!(param(&ping, "hub.mode"), Some("publish"));
        topics.push(param(&ping, "hub.url").unwrap().to_string());
    }
    topics.sort();
    assert_eq!(
        topics,
        ["atom", "json", "rss"].map(|e| t.url(&format!("/feeds/news.{e}")))
    );
    let atom = reqwest::get(t.url("/feeds/news.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    let hub_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("hub"))
        .unwrap();
    assert_eq!(hub_link.href, hub.url());
    // Subscriptions belong at that hub, not ours.
    let sub = TestSubscriber::start().await;
    let (status, text) = t
        .hub_request(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t.url("/feeds/news.atom")),
            ("hub.callback", &sub.callback()),
        ])
        .await;
    assert_eq!(status, 400);
    assert!(text.contains(&hub.url()), "{text}");
    t.stop().await;
}
