//! Retention: a source keeps its newest `keep_items` and what it stored in the last
//! `keep_days`; what goes leaves a tombstone, so a source that still lists it neither
//! stores nor announces it again; items that deliveries still name stay until sent; old
//! records are forgotten.

use super::{delivery, email, held, item, now};
use chrono::{DateTime, Duration, Utc};
use tidings::model::Item;
use tidings::store::{
    Delivery, DeliveryState, Keep, Payload, Route, Store, Stored, Token, delivery_id,
};

/// Item `n` of `source` (id `i0000n`), undated: it sorts by `first_seen`.
fn numbered(source: &str, n: usize, first_seen: DateTime<Utc>) -> Item {
    item(source, &format!("i{n:05}"), n as u64, first_seen, None)
}

fn ids(store: &Store, source: &str) -> Vec<String> {
    store
        .newest_items(&[source.to_string()], |_| true, 1000)
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
}

store_tests! {
    fn a_source_over_its_count_keeps_its_newest_and_forgets_nothing_else(backend: Backend) {
        let store = backend.store();
        let old = now() - Duration::days(100);
        let batch = |source: &str, n: usize| -> Vec<_> {
            (0..n)
                .map(|i| numbered(source, i, old + Duration::minutes(i as i64)))
                .collect()
        };
        store.store_batch("s", batch("s", 10)).unwrap();
        store.store_batch("other", batch("other", 3)).unwrap();
        let keep = Keep { items: 4, days: 30 };
        let g = store.generation("s");
        let r = store.retain("s", keep, Utc::now()).unwrap();
        assert_eq!((r.removed, r.kept, r.pinned), (6, 4, 0), "{r:?}");
        assert_ne!(store.generation("s"), g, "feeds change");
        assert_eq!(ids(&store, "s"), ["i00009", "i00008", "i00007", "i00006"]);
        assert_eq!(store.count_items("s"), 4);
        assert_eq!(store.count_items("other"), 3, "other sources untouched");
        assert_eq!(store.count_retired("s"), 6);
        // Still listed by the source: not new, not stored, not even in a dry run.
        assert!(store.diff_batch("s", batch("s", 10)).unwrap().is_empty());
        assert!(store.store_batch("s", batch("s", 10)).unwrap().is_empty());
        assert!(store.item("s", "i00000").unwrap().is_none());
        assert!(!store.contains("s", "i00000").unwrap());
        assert!(store.retired("s", "i00000").unwrap());
        assert!(!store.retired("s", "i00009").unwrap());
        assert!(!store.retired("other", "i00000").unwrap());
        // Running again changes nothing.
        let again = store.retain("s", keep, Utc::now()).unwrap();
        assert_eq!((again.removed, again.kept), (0, 4));
    }

    fn an_old_item_expires_and_the_limit_that_keeps_more_wins(backend: Backend) {
        let now = now();
        // Five items stored 40 days ago, three yesterday.
        let items: Vec<_> = (0..8)
            .map(|i| {
                let age = if i < 5 { 40 } else { 1 };
                numbered("s", i, now - Duration::days(age) + Duration::minutes(i as i64))
            })
            .collect();
        let store = backend.store();
        store.store_batch("s", items.clone()).unwrap();
        // Age alone (keep_items = 0): the old five go.
        let r = store.retain("s", Keep { items: 0, days: 30 }, now).unwrap();
        assert_eq!((r.removed, r.kept), (5, 3));
        assert_eq!(ids(&store, "s"), ["i00007", "i00006", "i00005"]);

        // Count and age together: the newest six stay although four of them are old.
        let store = backend.store();
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

    /// Retention ranks an item by what is stored now: an edit that re-dates the oldest
    /// item after all the others makes it one of the newest, and it stays; a count
    /// taken after the edit and after the removal agrees.
    fn an_edit_that_redates_an_item_moves_it_in_retention_s_order(backend: Backend) {
        let store = backend.store();
        let old = now() - Duration::days(100);
        let dated = |n: usize, revision: u64, published: i64| {
            item("s", &format!("i{n:05}"), revision, old, Some(published))
        };
        let items: Vec<_> = (0..4).map(|n| dated(n, 1, n as i64 * 10)).collect();
        store.store_batch("s", items).unwrap();
        let stored = store.store_batch("s", vec![dated(0, 2, 100)]).unwrap();
        assert_eq!(stored.len(), 1, "an update");
        assert_eq!(store.count_items("s"), 4);
        let r = store.retain("s", Keep { items: 2, days: 30 }, Utc::now()).unwrap();
        assert_eq!((r.removed, r.kept), (2, 2), "{r:?}");
        assert_eq!(ids(&store, "s"), ["i00000", "i00003"]);
        assert_eq!(store.count_items("s"), 2);
        assert!(store.retired("s", "i00001").unwrap());
        // The edited item keeps its first-seen time, and is still counted by it.
        assert_eq!(store.count_since("s", old).unwrap(), 2);
        assert_eq!(store.count_since("s", old + Duration::seconds(1)).unwrap(), 0);
    }

    fn items_named_by_queued_or_held_deliveries_stay_until_sent(backend: Backend) {
        let store = backend.store();
        let old = now() - Duration::days(100);
        let items: Vec<_> = (0..5)
            .map(|i| numbered("s", i, old + Duration::minutes(i as i64)))
            .collect();
        // Item 0 waits in the outbox, item 1 is held for a digest.
        let route = |stored: &[Stored]| -> Vec<Route> {
            let mut routes = Vec::new();
            for s in stored {
                let id = delivery_id(&email(), &s.item.id);
                match s.item.id.as_str() {
                    "i00000" => routes.push(Route::Send(Delivery {
                        id,
                        payload: Payload::Item(held("s", &s.item.id)),
                        ..delivery(&email(), "")
                    })),
                    "i00001" => routes.push(Route::Hold {
                        target: email(),
                        id,
                        sort_time: s.item.sort_time(),
                        held: held("s", &s.item.id),
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
                payload: Payload::Digest {
                    run: "1".into(),
                    items,
                },
                ..delivery(&email(), "")
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

    /// Old records go: tombstones long unlisted, final delivery states past the dedup
    /// horizon, expired confirmation tokens. What is queued or valid stays.
    fn old_records_are_forgotten(backend: Backend) {
        let store = backend.store();
        let now = now();
        store.store_batch("s", vec![numbered("s", 1, now - Duration::days(100))]).unwrap();
        let r = store.retain_all(&[("s".into(), Keep { items: 0, days: 30 })], now).unwrap();
        assert_eq!((r.removed, r.forgotten), (1, 0));
        assert_eq!(store.count_retired("s"), 1);
        let sent = delivery(&email(), "sent");
        let waiting = delivery(&email(), "waiting");
        store.queue(&[Route::Send(sent.clone()), Route::Send(waiting.clone())]).unwrap();
        let row = store.outbox().unwrap().into_iter().find(|r| r.delivery.id == sent.id).unwrap();
        store.finish(&row, DeliveryState::Sent { at: now }).unwrap();
        let confirm = |days| Token::Confirm {
            list: "daily".into(),
            address: "a@example.org".into(),
            expires: now + Duration::days(days),
        };
        store.put_token("expires-soon", &confirm(1)).unwrap();
        store.put_token("expires-late", &confirm(400)).unwrap();
        store.put_token("unsubscribe", &Token::Unsubscribe { list: "daily".into(), address: "a@example.org".into() }).unwrap();

        // A month on, nothing is old enough but the first token.
        let r = store.retain_all(&[], now + Duration::days(30)).unwrap();
        assert_eq!(r.forgotten, 1);
        assert!(store.token("expires-soon").unwrap().is_none());
        assert_eq!(store.count_retired("s"), 1);

        // A year on: the tombstone and the sent record go; the dedup horizon passed, the
        // same delivery may be queued again.
        let r = store.retain_all(&[], now + Duration::days(365)).unwrap();
        assert_eq!(r.forgotten, 2, "{r:?}");
        assert_eq!(store.count_retired("s"), 0);
        assert!(!store.retired("s", "i00001").unwrap());
        assert!(store.delivery_state(&sent.id).unwrap().is_none());
        assert!(matches!(
            store.delivery_state(&waiting.id).unwrap(),
            Some(DeliveryState::Queued { .. })
        ));
        assert_eq!(store.outbox().unwrap().len(), 1, "queued rows stay");
        assert!(store.token("expires-late").unwrap().is_some());
        assert!(store.token("unsubscribe").unwrap().is_some());
        assert_eq!(store.queue(&[Route::Send(sent)]).unwrap(), 1);
    }
}
