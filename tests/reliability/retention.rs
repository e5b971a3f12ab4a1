//! Retention in the running daemon: an item retained away while its source still lists
//! it is not announced again, the database stops growing, and the settings are read.
//! What the store itself keeps and forgets is tested on every backend in
//! `tests/store/retention.rs`.

use super::item;
use crate::notify::{D1, D2, D3, Rig};
use chrono::{Duration, Utc};
use tidings::model::ItemStatus;
use tidings::store::{
    Delivery, DeliveryState, Held, ItemRef, Keep, Payload, Route, Store, Stored, Target,
    delivery_id,
};

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
