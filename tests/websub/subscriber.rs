//! Tidings as a subscriber: a source's feed advertises a hub (written here), Tidings
//! subscribes, answers the hub's verification, and takes signed pushes as polls.

use super::*;
use chrono::Utc;
use tidings::store::PushState;

/// An Atom feed of `titles` (newest first) naming `hub` and its own URL.
fn atom(self_url: &str, hub: &str, titles: &[&str]) -> String {
    let n = titles.len();
    let entries: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = n - i;
            format!(
                "<entry><id>urn:test:{id}</id><title>{t}</title>\
                 <link href=\"https://news.example.cn/e/{id}.html\"/>\
                 <updated>2024-09-0{id}T08:00:00+08:00</updated>\
                 <content type=\"html\">&lt;p&gt;{t}：正文。&lt;/p&gt;</content></entry>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>推送源</title><id>urn:test:feed</id><updated>2024-09-09T00:00:00Z</updated>\
         <link rel=\"hub\" href=\"{hub}\"/><link rel=\"self\" href=\"{self_url}\"/>\
         {entries}</feed>"
    )
}

#[tokio::test]
async fn a_source_with_a_hub_is_subscribed_verified_and_its_signed_pushes_stored() {
    let hub = TestHub::start().await;
    let site = FixtureServer::start().await;
    let topic = site.url("/feed.atom");
    site.set(
        "/feed.atom",
        Reply::ok(
            "application/atom+xml",
            atom(&topic, &hub.url(), &["第一条"]),
        ),
    );
    let t = Tidings::start(
        &format!(
            "[[source]]\nid = \"pushed\"\nurl = \"{topic}\"\n\n[[feed]]\nid = \"news\"\nsources = [\"*\"]\n\n\
             [websub]\nsubscribe = true\nallow_private = true\nmin_lease_secs = 60\n"
        ),
        true,
    )
    .await;
    assert_eq!(t.poll("pushed").await.stored.len(), 1);

    // The subscription request.
    let request = hub.wait_for(1).await;
    let callback = t.url("/websub/callback/pushed");
    assert_eq!(param(&request, "hub.mode"), Some("subscribe"));
    assert_eq!(param(&request, "hub.topic"), Some(topic.as_str()));
    assert_eq!(param(&request, "hub.callback"), Some(callback.as_str()));
    assert_eq!(param(&request, "hub.lease_seconds"), Some("864000"));
    let secret = param(&request, "hub.secret").unwrap().to_string();
    assert!(secret.len() >= 32 && secret.len() < 200);
    assert_eq!(
        t.store.push_subscription("pushed").unwrap().unwrap().state,
        PushState::Pending
    );

    // The hub verifies: a topic we did not ask for is refused, ours is echoed.
    let verify = |topic: &str, challenge: &str| {
        let mut url = url::Url::parse(&callback).unwrap();
        url.query_pairs_mut()
            .append_pair("hub.mode", "subscribe")
            .append_pair("hub.topic", topic)
            .append_pair("hub.challenge", challenge)
            .append_pair("hub.lease_seconds", "600");
        url
    };
    let r = reqwest::get(verify("https://elsewhere.example/feed", "c1"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::get(verify(&topic, "c2-challenge")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().trim(), "c2-challenge");
    let sub = t.store.push_subscription("pushed").unwrap().unwrap();
    assert_eq!(sub.state, PushState::Active);
    let lease = (sub.expires.unwrap() - Utc::now()).num_seconds();
    assert!((590..=600).contains(&lease), "{lease}");
    assert!(t.websub.is_pushed("pushed", Utc::now()));

    // A reader of our own feed, to see a push travel on to notifications.
    let reader = TestSubscriber::start().await;
    let (status, _) = t
        .hub_request(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", &t.url("/feeds/news.atom")),
            ("hub.callback", &reader.callback()),
        ])
        .await;
    assert_eq!(status, 202);
    t.until("the reader's subscription", |t| {
        !t.store.hub_subscriptions().unwrap().is_empty()
    })
    .await;

    let client = reqwest::Client::new();
    let push = |body: String, signature: Option<String>| {
        let mut r = client
            .post(&callback)
            .header("content-type", "application/atom+xml")
            .body(body);
        if let Some(s) = signature {
            r = r.header("x-hub-signature", s);
        }
        r.send()
    };

    // A forged push (wrong secret) and an unsigned one: acknowledged, not processed.
    let forged = atom(&topic, &hub.url(), &["伪造的", "第一条"]);
    let wrong = format!(
        "sha1={}",
        hmac_hex::<hmac::Hmac<sha1::Sha1>>("guess", forged.as_bytes())
    );
    let r = push(forged.clone(), Some(wrong)).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = push(forged, None).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        t.store.count_items("pushed"),
        1,
        "nothing stored from forged pushes"
    );

    // A push signed with our secret (SHA-1, as most hubs sign) is a poll's worth of news.
    let body = atom(&topic, &hub.url(), &["推送的新闻", "第一条"]);
    let signature = format!(
        "sha1={}",
        hmac_hex::<hmac::Hmac<sha1::Sha1>>(&secret, body.as_bytes())
    );
    let r = push(body, Some(signature)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.store.count_items("pushed"), 2);
    let titles: Vec<String> = t
        .store
        .newest_items(&["pushed".into()], |_| true, 10)
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert!(titles.contains(&"推送的新闻".to_string()), "{titles:?}");
    let onward = reader.wait_for_push(1).await;
    assert!(String::from_utf8_lossy(&onward.body).contains("推送的新闻"));
    assert!(
        t.store
            .push_subscription("pushed")
            .unwrap()
            .unwrap()
            .last_push
            .is_some()
    );

    // A push for a source we do not subscribe to: 410, so its hub stops.
    let r = client
        .post(t.url("/websub/callback/unknown"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);

    // Before the lease ends it is renewed, with the same secret.
    t.websub
        .maintain(Utc::now() + chrono::Duration::seconds(500))
        .await;
    let renewal = hub.wait_for(2).await;
    assert_eq!(param(&renewal, "hub.mode"), Some("subscribe"));
    assert_eq!(param(&renewal, "hub.secret"), Some(secret.as_str()));
    t.stop().await;
}

#[tokio::test]
async fn without_subscribe_a_hub_is_not_asked_and_its_verification_is_refused() {
    let hub = TestHub::start().await;
    let site = FixtureServer::start().await;
    let topic = site.url("/feed.atom");
    site.set(
        "/feed.atom",
        Reply::ok(
            "application/atom+xml",
            atom(&topic, &hub.url(), &["第一条"]),
        ),
    );
    let t = Tidings::start(
        &format!(
            "[[source]]\nid = \"pushed\"\nurl = \"{topic}\"\n\n[[feed]]\nid = \"news\"\nsources = [\"*\"]\n"
        ),
        true,
    )
    .await;
    assert_eq!(t.poll("pushed").await.hub.unwrap().hub, hub.url());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(hub.forms().is_empty(), "no subscription request");
    let mut url = url::Url::parse(&t.url("/websub/callback/pushed")).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &topic)
        .append_pair("hub.challenge", "c");
    assert_eq!(reqwest::get(url).await.unwrap().status(), 404);
    t.stop().await;
}
