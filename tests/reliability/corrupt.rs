//! A stored value that no longer decodes is logged, counted and skipped: garbage written
//! straight into the sled trees harms nothing else. Feeds serve the other items, a poll
//! stores what is new (and replaces the unreadable copy of an item still listed), the
//! outbox delivers the other rows and records the unreadable one as failed.

use crate::notify::{D1, D2, D3, Rig};
use std::sync::Arc;
use tidings::notify::Notifier;
use tidings::poll::Poller;
use tidings::store::{DeliveryState, Store};
use tidings::templates::Templates;
use tokio_util::sync::CancellationToken;

const LIST: &str = "[[list]]\nid = \"instant\"\ntitle = \"快讯\"\nfeeds = [\"all\"]\n";
const D4: &str = "Sat, 10 Sep 2022 08:00:00 +0800";
const D5: &str = "Sun, 11 Sep 2022 08:00:00 +0800";

/// Three kinds of garbage: bad JSON behind the right version byte, an unknown version,
/// nothing at all.
const BAD_JSON: &[u8] = b"\x01{\"title\": 42, broken";
const BAD_VERSION: &[u8] = b"\x09{}";
const EMPTY: &[u8] = b"";

/// The key of the first row of `tree` whose value contains `needle`.
fn find(tree: &sled::Tree, needle: &str) -> Vec<u8> {
    tree.iter()
        .map(Result::unwrap)
        .find(|(_, v)| v.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .unwrap_or_else(|| panic!("no row with {needle:?}"))
        .0
        .to_vec()
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn unreadable_values_are_skipped_and_feeds_polls_and_the_outbox_go_on() {
    let metrics = tidings::server::metrics::handle();
    let rig = Rig::new("", LIST, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧闻", "x", D1)]);
    rig.poll("news").await;
    let listing = [
        ("d", "新闻三", "内容三", D4),
        ("c", "新闻二", "内容二", D3),
        ("b", "新闻一", "内容一", D2),
        ("a", "旧闻", "x", D1),
    ];
    rig.serve("/feed.xml", &listing);
    assert_eq!(rig.poll("news").await.stored.len(), 3);
    // Three mails queued, none sent; the store is closed.
    let rig = rig.close();
    let data = rig.config.daemon.data_dir.clone();

    // Garbage, written with sled itself.
    let unreadable_delivery = {
        let db = sled::open(&data).unwrap();
        let items = db.open_tree("items").unwrap();
        items.insert(find(&items, "新闻二"), BAD_JSON).unwrap();
        let d_key = find(&items, "新闻三");
        let d_id = String::from_utf8(d_key[b"news\0".len()..].to_vec()).unwrap();
        let outbox = db.open_tree("outbox").unwrap();
        let row = find(
            &outbox,
            &format!("\"source\":\"news\",\"id\":{}", serde_json::json!(d_id)),
        );
        outbox.insert(&row, BAD_VERSION).unwrap();
        db.open_tree("sources")
            .unwrap()
            .insert("news", BAD_JSON)
            .unwrap();
        let more: [(&str, &[u8], &[u8]); 6] = [
            ("subscribers", b"instant\0ghost@example.com", BAD_JSON),
            ("tokens", b"0badc0de", EMPTY),
            ("chats", b"telegram:7", BAD_VERSION),
            ("alerts", b"source:news", BAD_JSON),
            ("deliveries", b"0123", BAD_JSON),
            (
                "held",
                b"email:instant:reader@example.com\0\x80\0\0\0\0\0\0\0x",
                EMPTY,
            ),
        ];
        for (tree, key, value) in more {
            db.open_tree(tree).unwrap().insert(key, value).unwrap();
        }
        db.flush().unwrap();
        // The row key ends with the delivery id.
        String::from_utf8(row[12..].to_vec()).unwrap()
    };

    let store = Arc::new(Store::open(&data).unwrap());
    let poller = Poller::new(rig.config.clone(), store.clone()).unwrap();
    let notifier = Notifier::new(
        rig.config.clone(),
        store.clone(),
        Arc::new(Templates::embedded()),
    )
    .unwrap();
    let titles = |store: &Store| -> Vec<String> {
        store
            .newest_items(&["news".to_string()], |_| true, 10)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect()
    };
    // The readable items are listed; the unreadable one is skipped.
    assert_eq!(titles(&store), ["新闻三", "新闻一", "旧闻"]);
    // The source's state starts afresh (no validators) but counts as read: what the
    // next poll finds is news, not a backlog.
    let state = store.source_state("news").unwrap();
    assert_eq!((state.polls_ok, state.etag.as_deref()), (1, None));

    // A poll stores the new item and a fresh copy of the unreadable one.
    let mut relisted = vec![("e", "新闻四", "内容四", D5)];
    relisted.extend_from_slice(&listing);
    rig.serve("/feed.xml", &relisted);
    let source = rig.config.source("news").unwrap().clone();
    let polled = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    let mut stored: Vec<&str> = polled
        .stored
        .iter()
        .map(|s| s.item.title.as_str())
        .collect();
    stored.sort();
    assert_eq!(stored, ["新闻二", "新闻四"]);
    assert_eq!(
        titles(&store),
        ["新闻四", "新闻三", "新闻二", "新闻一", "旧闻"]
    );

    // The outbox sends every readable row, the re-stored item's once; the unreadable row
    // is moved aside and its delivery recorded as failed, not dropped silently.
    let pass = notifier
        .deliver_due(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        (pass.sent, pass.failed, pass.retried),
        (3, 0, 0),
        "{pass:?}"
    );
    let mut subjects: Vec<String> = rig
        .sink
        .wait_for(3)
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["[快讯] 新闻一", "[快讯] 新闻二", "[快讯] 新闻四"]
    );
    assert!(store.outbox().unwrap().is_empty());
    match store.delivery_state(&unreadable_delivery).unwrap() {
        Some(DeliveryState::Failed { error, .. }) => {
            assert!(error.contains("unreadable"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    let later = notifier
        .deliver_due_at(
            chrono::Utc::now() + chrono::Duration::hours(7),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(later, Default::default(), "nothing more, nothing twice");
    assert_eq!(rig.sink.mails().len(), 3);

    // Every other tree's reads skip their bad rows.
    let subscribers = store.subscribers(None).unwrap();
    assert_eq!(subscribers.len(), 1, "{subscribers:?}");
    assert!(store.token("0badc0de").unwrap().is_none());
    assert!(store.chats().unwrap().is_empty());
    assert!(store.incidents().unwrap().is_empty());
    assert!(store.delivery_state("0123").unwrap().is_none());
    // And each was counted.
    let text = metrics.render();
    for tree in [
        "items",
        "sources",
        "outbox",
        "subscribers",
        "tokens",
        "chats",
        "alerts",
        "deliveries",
    ] {
        assert!(
            text.contains(&format!(
                "tidings_store_unreadable_total{{tree=\"{tree}\"}}"
            )),
            "{tree} not counted in:\n{text}"
        );
    }

    // The server publishes the readable items.
    drop((poller, notifier));
    let store = Arc::try_unwrap(store).ok().expect("the store is free");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = crate::publish::Server::start_with(
        listener,
        (*rig.config).clone(),
        store,
        tempfile::tempdir().unwrap(),
    );
    let body = server.get_text("/feeds/all.atom").await;
    let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
    let served: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(served, ["新闻四", "新闻三", "新闻二", "新闻一", "旧闻"]);
}
