//! Retention: a source keeps its newest `keep_items` and what it stored in the last
//! `keep_days`; what goes leaves a tombstone, so a source that still lists it neither
//! stores nor announces it again; items that deliveries still name stay until sent; and
//! the database stops growing.

use super::item;
use crate::notify::{D1, D2, D3, Rig};
use chrono::{Duration, Utc};
use tidings::model::ItemStatus;
use tidings::store::{
    Delivery, DeliveryState, Held, ItemRef, Keep, Payload, Route, Store, Stored, Target,
    delivery_id,
};

fn ids(store: &Store, source: &str) -> Vec<String> {
    store
        .newest_items(&[source.to_string()], |_| true, 1000)
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
}

#[test]
fn a_source_over_its_count_keeps_its_newest_and_forgets_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let old = Utc::now() - Duration::days(100);
    let batch = |source: &str, n: usize| -> Vec<_> {
        (0..n)
            .map(|i| item(source, i, old + Duration::minutes(i as i64), 100))
            .collect()
    };
    store.store_batch("s", batch("s", 10)).unwrap();
    store.store_batch("other", batch("other", 3)).unwrap();
    let keep = Keep { items: 4, days: 30 };
    let r = store.retain("s", keep, Utc::now()).unwrap();
    assert_eq!((r.removed, r.kept, r.pinned), (6, 4, 0), "{r:?}");
    assert_eq!(ids(&store, "s"), ["i00009", "i00008", "i00007", "i00006"]);
    assert_eq!(store.count_items("other"), 3, "other sources untouched");
    assert_eq!(store.count_retired("s"), 6);
    // Still listed by the source: not new, not stored, not even in a dry run.
    assert!(store.diff_batch("s", batch("s", 10)).unwrap().is_empty());
    assert!(store.store_batch("s", batch("s", 10)).unwrap().is_empty());
    assert!(store.item("s", "i00000").unwrap().is_none());
    assert!(store.retired("s", "i00000").unwrap());
    // Running again changes nothing.
    let again = store.retain("s", keep, Utc::now()).unwrap();
    assert_eq!((again.removed, again.kept), (0, 4));
}

#[test]
fn an_old_item_expires_and_the_limit_that_keeps_more_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let now = Utc::now();
    // Five items stored 40 days ago, three yesterday.
    let items: Vec<_> = (0..8)
        .map(|i| {
            let age = if i < 5 { 40 } else { 1 };
            item(
                "s",
                i,
                now - Duration::days(age) + Duration::minutes(i as i64),
                100,
            )
        })
        .collect();
    store.store_batch("s", items.clone()).unwrap();
    // Age alone (keep_items = 0): the old five go.
    let r = store.retain("s", Keep { items: 0, days: 30 }, now).unwrap();
    assert_eq!((r.removed, r.kept), (5, 3));
    assert_eq!(ids(&store, "s"), ["i00007", "i00006", "i00005"]);

    // Count and age together: the newest six stay although four of them are old.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.store_batch("s", items).unwrap();
    let r = store.retain("s", Keep { items: 6, days: 30 }, now).unwrap();
    assert_eq!((r.removed, r.kept), (2, 6));
    assert!(store.item("s", "i00001").unwrap().is_none());
    assert!(store.item("s", "i00002").unwrap().is_some());
    // Thirty days on, the count alone holds them.
    let r = store
        .retain("s", Keep { items: 6, days: 30 }, now + Duration::days(31))
        .unwrap();
    assert_eq!((r.removed, r.kept), (0, 6));
}

fn email() -> Target {
    Target::Email {
        list: "daily".into(),
        address: "a@example.org".into(),
    }
}

fn held(s: &Stored) -> Held {
    Held {
        item: ItemRef {
            source: s.item.source.clone(),
            id: s.item.id.clone(),
        },
        status: ItemStatus::New,
        keyword: None,
    }
}

#[test]
fn items_named_by_queued_or_held_deliveries_stay_until_sent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let old = Utc::now() - Duration::days(100);
    let items: Vec<_> = (0..5)
        .map(|i| item("s", i, old + Duration::minutes(i as i64), 100))
        .collect();
    // Item 0 waits in the outbox, item 1 is held for a digest.
    let route = |stored: &[Stored]| -> Vec<Route> {
        let mut routes = Vec::new();
        for s in stored {
            let id = delivery_id(&email(), &s.item.id);
            match s.item.id.as_str() {
                "i00000" => routes.push(Route::Send(Delivery {
                    id,
                    target: email(),
                    payload: Payload::Item(held(s)),
                    created: Utc::now(),
                    attempts: 0,
                    last_error: None,
                })),
                "i00001" => routes.push(Route::Hold {
                    target: email(),
                    id,
                    sort_time: s.item.sort_time(),
                    held: held(s),
                }),
                _ => {}
            }
        }
        routes
    };
    store.store_routed("s", items, &route).unwrap();
    let keep = Keep { items: 1, days: 0 };
    let r = store.retain("s", keep, Utc::now()).unwrap();
    assert_eq!((r.removed, r.pinned, r.kept), (2, 2, 3), "{r:?}");
    assert!(store.item("s", "i00000").unwrap().is_some());
    assert!(store.item("s", "i00001").unwrap().is_some());

    // The digest takes the held item into the outbox: still needed.
    let digest = store
        .take_digest(&email(), |items| Delivery {
            id: delivery_id(&email(), "digest 1"),
            target: email(),
            payload: Payload::Digest {
                run: "1".into(),
                items,
            },
            created: Utc::now(),
            attempts: 0,
            last_error: None,
        })
        .unwrap();
    assert!(digest.is_some());
    assert_eq!(store.retain("s", keep, Utc::now()).unwrap().pinned, 2);
    // Sent: now they may go.
    for row in store.outbox().unwrap() {
        store
            .finish(&row, DeliveryState::Sent { at: Utc::now() })
            .unwrap();
    }
    let r = store.retain("s", keep, Utc::now()).unwrap();
    assert_eq!((r.removed, r.pinned, r.kept), (2, 0, 1), "{r:?}");
}

const LIST: &str = "[[list]]\nid = \"instant\"\ntitle = \"快讯\"\nfeeds = [\"all\"]\n";

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn an_item_retained_away_while_still_listed_is_not_stored_or_announced_again() {
    let rig = Rig::new("keep_items = 1\nkeep_days = 0", LIST, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧闻", "x", D1)]);
    rig.poll("news").await;
    let listing = [
        ("c", "新闻二", "内容二", D3),
        ("b", "新闻一", "内容一", D2),
        ("a", "旧闻", "x", D1),
    ];
    rig.serve("/feed.xml", &listing);
    assert_eq!(rig.poll("news").await.stored.len(), 2);
    assert_eq!(rig.deliver().await.sent, 2);

    // The configured retention keeps one item of `news`.
    let r = rig
        .store
        .retain_all(&rig.config.retention(), Utc::now())
        .unwrap();
    assert_eq!((r.removed, r.kept), (2, 1), "{r:?}");
    // The source lists all three still: nothing is new, nothing is queued or sent.
    for _ in 0..2 {
        assert!(rig.poll("news").await.stored.is_empty());
    }
    assert!(rig.store.outbox().unwrap().is_empty());
    assert_eq!(rig.deliver().await, Default::default());
    // Real news still is news.
    let mut with_news = vec![("d", "新闻三", "内容三", "Sat, 10 Sep 2022 08:00:00 +0800")];
    with_news.extend_from_slice(&listing);
    rig.serve("/feed.xml", &with_news);
    let stored = rig.poll("news").await.stored;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].item.title, "新闻三");
    assert_eq!(rig.deliver().await.sent, 1);
    let mut subjects: Vec<String> = rig
        .sink
        .wait_for(3)
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["[快讯] 新闻一", "[快讯] 新闻三", "[快讯] 新闻二"],
        "each once"
    );
}

/// Rounds of a busy source (25 new items of 3 KB a round, each mailed to a reader and
/// marked sent), simulated ten days apart, with and without retention. With it the item
/// count stays at the limit, tombstones and delivery records level off, and the file
/// grows far slower (sled reclaims its log lazily); without, it grows on.
#[test]
fn what_the_database_holds_stops_growing() {
    // `TIDINGS_RETENTION_ROUNDS` runs longer, for the figures.
    let rounds: usize = std::env::var("TIDINGS_RETENTION_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    const PER_ROUND: usize = 25;
    let keep = Keep { items: 50, days: 0 };
    let run = |retain: bool| -> Vec<(usize, u64, usize)> {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let start = Utc::now();
        let mut sizes = Vec::new();
        for round in 0..rounds {
            let now = start + Duration::days(10 * round as i64);
            let items: Vec<_> = (0..PER_ROUND)
                .map(|i| {
                    let n = round * PER_ROUND + i;
                    item("s", n, now + Duration::seconds(i as i64), 3000)
                })
                .collect();
            let route = |stored: &[Stored]| -> Vec<Route> {
                stored
                    .iter()
                    .map(|s| {
                        Route::Send(Delivery {
                            id: delivery_id(&email(), &s.item.id),
                            target: email(),
                            payload: Payload::Item(held(s)),
                            created: now,
                            attempts: 0,
                            last_error: None,
                        })
                    })
                    .collect()
            };
            store.store_routed("s", items, &route).unwrap();
            for row in store.outbox().unwrap() {
                store.finish(&row, DeliveryState::Sent { at: now }).unwrap();
            }
            if retain {
                store.retain_all(&[("s".to_string(), keep)], now).unwrap();
            }
            store.flush().unwrap();
            sizes.push((
                store.count_items("s"),
                store.size_on_disk().unwrap(),
                store.count_retired("s"),
            ));
        }
        sizes
    };
    let kept = run(true);
    let grown = run(false);
    println!("round  items  tombstones  size (retention)  size (none)");
    for r in (9..rounds).step_by(10) {
        println!(
            "{:>5}  {:>5}  {:>10}  {:>16}  {:>11}",
            r + 1,
            kept[r].0,
            kept[r].2,
            kept[r].1,
            grown[r].1
        );
    }
    assert!(kept[1..].iter().all(|k| k.0 == keep.items), "{kept:?}");
    // Tombstones are forgotten 90 days after the source last listed them.
    assert!(kept.iter().all(|k| k.2 <= 10 * PER_ROUND), "{kept:?}");
    // What the database holds stops growing at once; the file, log-structured, still
    // keeps some garbage sled has not reclaimed, so its growth slows instead of stopping
    // (see README, "Crashes and storage"): it must grow at most half as fast as without retention.
    let mid = rounds / 2 - 1;
    let last = rounds - 1;
    let with = kept[last].1.saturating_sub(kept[mid].1);
    let without = grown[last].1.saturating_sub(grown[mid].1);
    assert!(
        with * 2 < without,
        "rounds {} to {rounds}: +{with} bytes with retention, +{without} without",
        mid + 1
    );
}

#[test]
fn retention_settings_are_read_globally_and_per_source_and_checked() {
    let parse =
        |text: &str| tidings::config::Config::parse(text, std::path::Path::new("feeds.toml"));
    let source = "[[source]]\nid = \"a\"\nurl = \"https://example.org/\"\n";
    assert_eq!(parse("").unwrap().store.keep, Keep::DEFAULT);
    let config = parse(&format!(
        "[store]\nkeep_items = 10\nkeep_days = 0\n\n{source}keep_days = 7\n\n{}",
        source.replace("\"a\"", "\"b\"")
    ))
    .unwrap();
    assert_eq!(config.store.keep, Keep { items: 10, days: 0 });
    assert_eq!(config.sources[0].keep, Keep { items: 10, days: 7 });
    assert_eq!(config.sources[1].keep, Keep { items: 10, days: 0 });
    assert_eq!(
        config.retention(),
        [
            ("a".to_string(), Keep { items: 10, days: 7 }),
            ("b".to_string(), Keep { items: 10, days: 0 })
        ]
    );
    let cases = [
        (
            "[store]\nkeep_items = 0\nkeep_days = 0\n".to_string(),
            "feeds.toml:2:14:",
            "[store] would keep no items",
        ),
        (
            "[store]\nkeep_items = -1\n".to_string(),
            "feeds.toml:2:14:",
            "`keep_items` must be between 0 and 1000000, found -1",
        ),
        (
            "[store]\nkeep_days = \"30\"\n".to_string(),
            "feeds.toml:2:13:",
            "`keep_days` in [store] must be an integer",
        ),
        (
            "[store]\nkeep_item = 5\n".to_string(),
            "feeds.toml:2:1:",
            "did you mean `keep_items`?",
        ),
        (
            format!("[store]\nkeep_items = 0\n\n{source}keep_days = 0\n"),
            "feeds.toml:7:13:",
            "[[source]] would keep no items",
        ),
    ];
    for (text, at, needle) in cases {
        let errors = parse(&text).unwrap_err().to_string();
        assert!(
            errors.contains(at) && errors.contains(needle),
            "{text}\n→ {errors}"
        );
    }
}
