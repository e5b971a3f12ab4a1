//! Items: dedup, updates, the dry run, the time index, counts, generations, and routing
//! in the same write.

use super::{delivery, email, held, item, now};
use chrono::{Duration, Utc};
use std::sync::Mutex;
use tidings::model::ItemStatus;
use tidings::store::{DeliveryState, Payload, Route, Stored, Target, delivery_id};

fn ids(stored: &[Stored]) -> Vec<(&str, ItemStatus)> {
    stored
        .iter()
        .map(|s| (s.item.id.as_str(), s.status))
        .collect()
}

store_tests! {
    /// What a poll finds is stored once: the same batch again is nothing new, and an
    /// entry a list shows twice is stored once (its first appearance).
    fn a_batch_is_stored_once(backend: Backend) {
        let store = backend.store();
        let now = now();
        let mut twice = item("s", "b", 9, now, None);
        twice.title = "b shown again".into();
        let batch = vec![
            item("s", "a", 1, now, Some(10)),
            item("s", "b", 1, now, Some(20)),
            twice,
            item("s", "c", 1, now, None),
        ];
        let stored = store.store_batch("s", batch.clone()).unwrap();
        assert_eq!(
            ids(&stored),
            [("a", ItemStatus::New), ("b", ItemStatus::New), ("c", ItemStatus::New)]
        );
        assert_eq!(store.count_items("s"), 3);
        assert!(store.store_batch("s", batch).unwrap().is_empty(), "dedup");
        assert_eq!(store.count_items("s"), 3);
        let b = store.item("s", "b").unwrap().unwrap();
        assert_eq!(b.title, "b 第1版", "the first of a duplicate wins");
        assert_eq!(b, item("s", "b", 1, now, Some(20)), "stored as given");
        assert!(store.contains("s", "c").unwrap());
        assert!(!store.contains("s", "d").unwrap());
        assert!(store.item("s", "d").unwrap().is_none());
    }

    /// Items are stored under the source that found them: the same id in two sources is
    /// two items, and the item's own `source` field does not move it.
    fn sources_are_kept_apart(backend: Backend) {
        let store = backend.store();
        let now = now();
        assert_eq!(store.store_batch("s", vec![item("s", "a", 1, now, None)]).unwrap().len(), 1);
        let stored = store.store_batch("t", vec![item("s", "a", 1, now, None)]).unwrap();
        assert_eq!(ids(&stored), [("a", ItemStatus::New)]);
        assert_eq!(stored[0].item.source, "t");
        assert_eq!(store.item("t", "a").unwrap().unwrap().source, "t");
        assert_eq!((store.count_items("s"), store.count_items("t")), (1, 1));
        assert_eq!(store.count_items("u"), 0);
        // A source whose name starts like another's is not mixed up with it.
        store.store_batch("s-2", vec![item("s-2", "z", 1, now, None)]).unwrap();
        assert_eq!(store.count_items("s"), 1);
    }

    /// An edited article (a new revision) is an update: stored over the old one, with
    /// the time it was first seen kept.
    fn an_edit_is_an_update_that_keeps_first_seen(backend: Backend) {
        let store = backend.store();
        let first = now() - Duration::days(3);
        store.store_batch("s", vec![item("s", "a", 1, first, Some(5))]).unwrap();
        let later = now();
        let stored = store.store_batch("s", vec![item("s", "a", 2, later, Some(5))]).unwrap();
        assert_eq!(ids(&stored), [("a", ItemStatus::Updated)]);
        assert_eq!(stored[0].item.first_seen, first);
        let a = store.item("s", "a").unwrap().unwrap();
        assert_eq!(a.title, "a 第2版");
        assert_eq!(a.revision, 2);
        assert_eq!(a.first_seen, first, "first seen kept in the store too");
        assert_eq!(store.count_items("s"), 1);
        // The same revision again is no change, even with another first-seen time.
        let again = store.store_batch("s", vec![item("s", "a", 2, Utc::now(), Some(5))]).unwrap();
        assert!(again.is_empty());
    }

    /// `poll --dry-run` sees what a poll would store, and writes nothing.
    fn a_dry_run_writes_nothing(backend: Backend) {
        let store = backend.store();
        let now = now();
        let batch = vec![item("s", "a", 1, now, None), item("s", "a", 1, now, None)];
        let diff = store.diff_batch("s", batch.clone()).unwrap();
        assert_eq!(ids(&diff), [("a", ItemStatus::New)]);
        assert!(!store.contains("s", "a").unwrap());
        let g = store.generation("s");
        store.store_batch("s", batch).unwrap();
        assert_ne!(store.generation("s"), g);
        let g = store.generation("s");
        let diff = store.diff_batch("s", vec![item("s", "a", 2, now, None)]).unwrap();
        assert_eq!(ids(&diff), [("a", ItemStatus::Updated)]);
        assert_eq!(store.item("s", "a").unwrap().unwrap().revision, 1);
        assert!(store.diff_batch("s", vec![item("s", "a", 1, now, None)]).unwrap().is_empty());
        assert_eq!(store.generation("s"), g);
    }

    /// Feeds are read newest first (published, else first seen) from the sources asked,
    /// through the reader's filter, up to the limit; an update that changes an item's
    /// date moves it and does not show it twice.
    fn newest_items_come_newest_first(backend: Backend) {
        let store = backend.store();
        let base = chrono::DateTime::parse_from_rfc3339("2022-09-10T00:00:00+00:00")
            .unwrap()
            .with_timezone(&Utc);
        store
            .store_batch(
                "s",
                vec![
                    item("s", "old", 1, base, Some(-86_400)), // published a day before base
                    item("s", "mid", 1, base, Some(3_600)),
                    // Undated: sorts by first seen, two hours after base.
                    item("s", "undated", 1, base + Duration::hours(2), None),
                ],
            )
            .unwrap();
        store.store_batch("t", vec![item("t", "other", 1, base, Some(7_200 + 60))]).unwrap();
        store.store_batch("x", vec![item("x", "unasked", 1, base, Some(999_999))]).unwrap();
        let sources = ["s".to_string(), "t".to_string()];
        let newest = |limit| -> Vec<String> {
            store
                .newest_items(&sources, |_| true, limit)
                .unwrap()
                .into_iter()
                .map(|i| i.id)
                .collect()
        };
        assert_eq!(newest(10), ["other", "undated", "mid", "old"]);
        assert_eq!(newest(2), ["other", "undated"]);
        let kept: Vec<String> = store
            .newest_items(&sources, |i| i.source == "s" && i.id != "undated", 10)
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(kept, ["mid", "old"]);
        // "old" is corrected to be the newest.
        store.store_batch("s", vec![item("s", "old", 2, base, Some(86_400))]).unwrap();
        assert_eq!(newest(10), ["old", "other", "undated", "mid"]);
        assert!(store.newest_items(&[], |_| true, 10).unwrap().is_empty());
        let items = store.newest_items(&sources, |_| true, 1).unwrap();
        assert_eq!(items[0], store.item("s", "old").unwrap().unwrap(), "whole items");
    }

    /// The status page's "items, 7 days" counts by when Tidings first saw an item.
    fn count_since_counts_by_first_seen(backend: Backend) {
        let store = backend.store();
        let now = now();
        store
            .store_batch(
                "s",
                vec![
                    item("s", "a", 1, now - Duration::days(10), Some(0)),
                    item("s", "b", 1, now - Duration::days(2), Some(-999_999)),
                    item("s", "c", 1, now, None),
                ],
            )
            .unwrap();
        store.store_batch("t", vec![item("t", "d", 1, now, None)]).unwrap();
        assert_eq!(store.count_since("s", now - Duration::days(7)).unwrap(), 2);
        assert_eq!(store.count_since("s", now - Duration::days(30)).unwrap(), 3);
        assert_eq!(store.count_since("s", now + Duration::seconds(1)).unwrap(), 0);
        assert_eq!(store.count_since("none", now - Duration::days(30)).unwrap(), 0);
        // An update keeps its first-seen time, so it does not count as recent.
        store.store_batch("s", vec![item("s", "a", 2, now, Some(0))]).unwrap();
        assert_eq!(store.count_since("s", now - Duration::days(7)).unwrap(), 2);
    }

    /// A source's generation changes when its items do, and only then: publishers cache
    /// a feed's bytes until it moves.
    fn the_generation_follows_a_source_s_items(backend: Backend) {
        let store = backend.store();
        let now = now();
        let g0 = store.generation("s");
        store.store_batch("s", vec![item("s", "a", 1, now, None)]).unwrap();
        let g1 = store.generation("s");
        assert_ne!(g1, g0, "new item");
        store.store_batch("s", vec![item("s", "a", 1, now, None)]).unwrap();
        assert_eq!(store.generation("s"), g1, "nothing changed");
        let t0 = store.generation("t");
        store.store_batch("s", vec![item("s", "a", 2, now, None)]).unwrap();
        let g2 = store.generation("s");
        assert!(g2 != g1 && g2 != g0, "update");
        assert_eq!(store.generation("t"), t0, "other sources unmoved");
    }

    /// `store_routed` hands routing only what is new or updated, and queues what it
    /// plans in the same write; a delivery whose id is known (the same article found by
    /// another source) is not queued again.
    fn routing_sees_what_is_new_and_queues_once(backend: Backend) {
        let store = backend.store();
        let now = now();
        let seen: Mutex<Vec<Vec<(String, ItemStatus)>>> = Mutex::new(Vec::new());
        // One delivery per item and revision, keyed by URL path so that two sources
        // listing one article make one delivery.
        let route = |stored: &[Stored]| -> Vec<Route> {
            seen.lock().unwrap().push(
                stored.iter().map(|s| (s.item.id.clone(), s.status)).collect(),
            );
            stored
                .iter()
                .map(|s| {
                    let mut d = delivery(&email(), &format!("{} r{}", s.item.id, s.item.revision));
                    d.payload = Payload::Item(held(&s.item.source, &s.item.id));
                    Route::Send(d)
                })
                .collect()
        };
        let batch = vec![item("s", "a", 1, now, None), item("s", "b", 1, now, None)];
        let stored = store.store_routed("s", batch.clone(), &route).unwrap();
        assert_eq!(stored.len(), 2);
        let queued = store.outbox().unwrap();
        assert_eq!(queued.len(), 2);
        assert_eq!(
            queued.iter().map(|q| q.delivery.id.clone()).collect::<Vec<_>>(),
            [delivery_id(&email(), "a r1"), delivery_id(&email(), "b r1")],
            "in routing's order"
        );
        assert!(matches!(
            store.delivery_state(&queued[0].delivery.id).unwrap(),
            Some(DeliveryState::Queued { .. })
        ));
        // Nothing new: routing is not asked, nothing queued.
        assert!(store.store_routed("s", batch, &route).unwrap().is_empty());
        assert_eq!(seen.lock().unwrap().len(), 1);
        // An update is routed alone.
        store.store_routed("s", vec![item("s", "a", 2, now, None), item("s", "b", 1, now, None)], &route).unwrap();
        assert_eq!(
            seen.lock().unwrap().last().unwrap(),
            &[("a".to_string(), ItemStatus::Updated)]
        );
        assert_eq!(store.outbox().unwrap().len(), 3);
        // Another source lists "b" too: new there, but its delivery is known.
        let stored = store.store_routed("t", vec![item("t", "b", 1, now, None)], &route).unwrap();
        assert_eq!(ids(&stored), [("b", ItemStatus::New)]);
        assert_eq!(store.outbox().unwrap().len(), 3, "one delivery per reader");
        // Nor once sent.
        let row = store.outbox().unwrap().remove(0);
        store.finish(&row, DeliveryState::Sent { at: now }).unwrap();
        store.store_routed("u", vec![item("u", "a", 1, now, None)], &route).unwrap();
        assert_eq!(store.outbox().unwrap().len(), 2);
        // A route that plans nothing stores the items all the same.
        let stored = store.store_routed("v", vec![item("v", "a", 1, now, None)], &|_| Vec::new()).unwrap();
        assert_eq!(stored.len(), 1);
        assert!(store.contains("v", "a").unwrap());
        let other = Target::Telegram { chat_id: -1 };
        assert_eq!(store.target_counts(&other).unwrap().queued, 0);
    }

    /// What was stored is there after a restart, and dedup still holds.
    fn what_was_stored_survives_a_restart(backend: Backend) {
        let store = backend.store();
        let now = now();
        store.store_batch("s", vec![item("s", "a", 1, now, Some(1))]).unwrap();
        store.update_source_state("s", |st| st.etag = Some("\"v1\"".into())).unwrap();
        store.queue(&[Route::Send(delivery(&email(), "x"))]).unwrap();
        store.flush().unwrap();
        store.check().unwrap();
        let store = store.reopen();
        store.check().unwrap();
        assert_eq!(store.item("s", "a").unwrap().unwrap(), item("s", "a", 1, now, Some(1)));
        assert!(store.store_batch("s", vec![item("s", "a", 1, now, Some(1))]).unwrap().is_empty());
        assert_eq!(store.source_state("s").unwrap().etag.as_deref(), Some("\"v1\""));
        assert_eq!(store.outbox().unwrap().len(), 1);
        assert_eq!(store.queue(&[Route::Send(delivery(&email(), "x"))]).unwrap(), 0);
        assert_eq!(store.newest_items(&["s".into()], |_| true, 5).unwrap().len(), 1);
    }
}
