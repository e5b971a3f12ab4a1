//! The outbox: queueing once, due order, closing, retries and pauses that keep a chat's
//! order, bursts merged, migrations, digests, counts.

use super::{delivery, email, email_of, held, now};
use chrono::Duration;
use tidings::model::ItemStatus;
use tidings::store::{
    Delivery, DeliveryState, Held, ItemRef, Payload, Queued, Route, Target, delivery_id,
};

fn chat(id: i64) -> Target {
    Target::Telegram { chat_id: id }
}

fn confirm(target: &Target, what: &str) -> Delivery {
    Delivery {
        payload: Payload::Confirm { token: "t".into() },
        ..delivery(target, what)
    }
}

fn hold(target: &Target, n: i64) -> Route {
    Route::Hold {
        target: target.clone(),
        id: delivery_id(target, &n.to_string()),
        sort_time: n,
        held: Held {
            item: ItemRef {
                source: "s".into(),
                id: n.to_string(),
            },
            status: ItemStatus::New,
            keyword: None,
        },
    }
}

fn digest(target: &Target, run: &str, items: Vec<Held>) -> Delivery {
    Delivery {
        payload: Payload::Digest {
            run: run.into(),
            items,
        },
        ..delivery(target, &format!("digest {run}"))
    }
}

fn ids(rows: &[Queued]) -> Vec<String> {
    rows.iter().map(|r| r.delivery.id.clone()).collect()
}

fn id(target: &Target, what: &str) -> String {
    delivery_id(target, what)
}

store_tests! {
    /// A delivery is queued once, retried later with its failure counted, closed once,
    /// and a delivery already sent is never queued again.
    fn a_delivery_is_queued_once_and_closed_once(backend: Backend) {
        let store = backend.store();
        let d = confirm(&email(), "x");
        assert_eq!(store.queue(&[Route::Send(d.clone())]).unwrap(), 1);
        assert_eq!(store.queue(&[Route::Send(d.clone())]).unwrap(), 0, "dedup");
        let due = store.due(now(), 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].delivery, d, "the delivery as queued");
        let later = now() + Duration::minutes(5);
        store.retry(&due[0], later, "421 busy", &[]).unwrap();
        assert!(store.due(now(), 10).unwrap().is_empty());
        let due = store.due(later, 10).unwrap();
        assert_eq!(due[0].delivery.attempts, 1);
        assert_eq!(due[0].delivery.last_error.as_deref(), Some("421 busy"));
        store
            .finish(&due[0], DeliveryState::Sent { at: now() })
            .unwrap();
        assert!(store.outbox().unwrap().is_empty());
        assert!(store.next_due().unwrap().is_none());
        assert!(matches!(
            store.delivery_state(&d.id).unwrap(),
            Some(DeliveryState::Sent { .. })
        ));
        assert_eq!(store.queue(&[Route::Send(d)]).unwrap(), 0, "sent stays sent");
        assert!(store.delivery_state("unknown").unwrap().is_none());
    }

    /// Rows come out in due order, and rows queued together in the order given; at most
    /// `limit` of them; `next_due` says when the worker should wake.
    fn rows_come_due_in_order(backend: Backend) {
        let store = backend.store();
        assert!(store.next_due().unwrap().is_none());
        let t = chat(-1);
        let routes: Vec<Route> = ["c", "a", "b"]
            .iter()
            .map(|w| Route::Send(delivery(&t, w)))
            .collect();
        let before = now();
        assert_eq!(store.queue(&routes).unwrap(), 3);
        let after = now() + Duration::milliseconds(1);
        let due = store.due(after, 2).unwrap();
        assert_eq!(ids(&due), [id(&t, "c"), id(&t, "a")]);
        assert!(due[0].seq < due[1].seq);
        assert!(due[0].due >= before && due[0].due <= after);
        let next = store.next_due().unwrap().unwrap();
        assert!(next >= before && next <= after, "{next}");
        assert_eq!(ids(&store.outbox().unwrap()), [id(&t, "c"), id(&t, "a"), id(&t, "b")]);
        assert!(store.due(before - Duration::seconds(1), 10).unwrap().is_empty());
        // Queued later, due later (a millisecond later at least: due times are kept
        // to the millisecond).
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.queue(&[Route::Send(delivery(&t, "d"))]).unwrap();
        assert_eq!(store.outbox().unwrap().last().unwrap().delivery.id, id(&t, "d"));
        assert_eq!(store.due(after, 10).unwrap().len(), 3);
        assert!(matches!(
            store.delivery_state(&id(&t, "a")).unwrap(),
            Some(DeliveryState::Queued { .. })
        ));
    }

    /// A failure puts the row back with the rest of its chat behind it, in order; a
    /// pause (flood limit) moves rows without counting a failure.
    fn a_retry_keeps_the_chat_in_order(backend: Backend) {
        let store = backend.store();
        let t = chat(-1);
        let routes: Vec<Route> = ["a", "b", "c"]
            .iter()
            .map(|w| Route::Send(delivery(&t, w)))
            .collect();
        store.queue(&routes).unwrap();
        store.queue(&[Route::Send(delivery(&email(), "m"))]).unwrap();
        let rows: Vec<Queued> = store
            .due(now() + Duration::milliseconds(1), 10)
            .unwrap()
            .into_iter()
            .filter(|r| r.delivery.target == t)
            .collect();
        let later = now() + Duration::minutes(1);
        store.retry(&rows[0], later, "429 retry after 60", &rows[1..3]).unwrap();
        let now_due = store.due(now() + Duration::milliseconds(1), 10).unwrap();
        assert_eq!(ids(&now_due), [id(&email(), "m")], "the other target goes on");
        let back = store.due(later, 10).unwrap();
        assert_eq!(ids(&back[1..]), [id(&t, "a"), id(&t, "b"), id(&t, "c")]);
        assert!(back[1].due == later && back[3].due == later);
        assert_eq!(
            back[1..].iter().map(|r| r.delivery.attempts).collect::<Vec<_>>(),
            [1, 0, 0]
        );
        assert_eq!(
            store.delivery_state(&id(&t, "b")).unwrap(),
            Some(DeliveryState::Queued { due: later })
        );
        let counts = store.target_counts(&t).unwrap();
        assert_eq!((counts.queued, counts.retrying), (3, 1));
        assert_eq!(counts.last_error.as_deref(), Some("429 retry after 60"));

        // A pause: the chat's rows move, still in order, nothing counted.
        let mine: Vec<Queued> = back[1..].to_vec();
        let pause = later + Duration::minutes(1);
        store.postpone(&mine, pause, 7).unwrap();
        assert_eq!(ids(&store.due(later, 10).unwrap()), [id(&email(), "m")]);
        let moved = store.due(pause, 10).unwrap();
        assert_eq!(ids(&moved[1..]), [id(&t, "a"), id(&t, "b"), id(&t, "c")]);
        assert_eq!(moved[1..].iter().map(|r| r.seq).collect::<Vec<_>>(), [7, 8, 9]);
        assert_eq!(moved[1].delivery.attempts, 1, "postponing counts no failure");
        store.postpone(&[], pause, 0).unwrap();
        assert_eq!(store.outbox().unwrap().len(), 4);
    }

    /// A burst is replaced by one delivery in its place; each row is recorded as merged
    /// into it.
    fn a_burst_is_merged_into_one_delivery(backend: Backend) {
        let store = backend.store();
        let t = chat(-1);
        let routes: Vec<Route> = ["a", "b", "c"]
            .iter()
            .map(|w| Route::Send(delivery(&t, w)))
            .collect();
        store.queue(&routes).unwrap();
        store.queue(&[Route::Send(delivery(&email(), "m"))]).unwrap();
        let rows = store.outbox().unwrap();
        let rows: Vec<Queued> = rows.into_iter().filter(|r| r.delivery.target == t).collect();
        let burst = digest(&t, "burst", vec![held("s", "a"), held("s", "b")]);
        let merged = store.merge(&rows[..2], burst.clone()).unwrap();
        assert_eq!(merged.delivery, burst);
        assert_eq!((merged.due, merged.seq), (rows[0].due, rows[0].seq));
        let left: Vec<Queued> = store
            .outbox()
            .unwrap()
            .into_iter()
            .filter(|r| r.delivery.target == t)
            .collect();
        assert_eq!(ids(&left), [burst.id.clone(), id(&t, "c")]);
        assert_eq!(store.target_counts(&email()).unwrap().queued, 1, "other targets untouched");
        for what in ["a", "b"] {
            match store.delivery_state(&id(&t, what)).unwrap() {
                Some(DeliveryState::Merged { into, .. }) => assert_eq!(into, burst.id),
                other => panic!("{what}: {other:?}"),
            }
        }
        assert!(matches!(
            store.delivery_state(&burst.id).unwrap(),
            Some(DeliveryState::Queued { .. })
        ));
        // The merged delivery is closed like any other.
        store.finish(&left[0], DeliveryState::Sent { at: now() }).unwrap();
        assert_eq!(store.outbox().unwrap().len(), 2);
        assert_eq!(store.queue(&[Route::Send(delivery(&t, "a"))]).unwrap(), 0);
    }

    /// A group that became a supergroup takes its queue and held items along, in order,
    /// with the same delivery ids.
    fn a_migrated_chat_takes_its_queue_along(backend: Backend) {
        let store = backend.store();
        let (old, new) = (chat(-1), chat(-1001));
        store
            .queue(&[
                Route::Send(delivery(&old, "a")),
                Route::Send(delivery(&email(), "m")),
                Route::Send(delivery(&old, "b")),
                hold(&old, 2),
                hold(&old, 1),
            ])
            .unwrap();
        assert_eq!(store.retarget(&old, &new).unwrap(), 4);
        let rows = store.outbox().unwrap();
        assert_eq!(ids(&rows), [id(&old, "a"), id(&email(), "m"), id(&old, "b")]);
        assert_eq!(
            rows.iter().map(|r| r.delivery.target.clone()).collect::<Vec<_>>(),
            [new.clone(), email(), new.clone()]
        );
        assert!(store.held(&old).unwrap().is_empty());
        let moved: Vec<String> = store.held(&new).unwrap().into_iter().map(|h| h.item.id).collect();
        assert_eq!(moved, ["1", "2"], "oldest first");
        assert_eq!(store.target_counts(&old).unwrap().queued, 0);
        assert_eq!(store.target_counts(&new).unwrap().queued, 2);
        assert_eq!(store.target_counts(&new).unwrap().held, 2);
        assert_eq!(store.retarget(&old, &new).unwrap(), 0);
    }

    /// A digest run takes everything held for its target, oldest first, into one
    /// delivery, once.
    fn a_digest_takes_what_is_held_once(backend: Backend) {
        let store = backend.store();
        let other = email_of("b@example.org");
        assert_eq!(store.queue(&[hold(&email(), 2), hold(&email(), 1), hold(&other, 3)]).unwrap(), 3);
        assert_eq!(store.queue(&[hold(&email(), 1)]).unwrap(), 0, "dedup");
        assert_eq!(store.held(&email()).unwrap().len(), 2);
        assert!(matches!(
            store.delivery_state(&id(&email(), "1")).unwrap(),
            Some(DeliveryState::Held)
        ));
        let d = store
            .take_digest(&email(), |items| digest(&email(), "08:00", items))
            .unwrap()
            .unwrap();
        let Payload::Digest { items, .. } = &d.payload else {
            panic!("{d:?}")
        };
        assert_eq!(
            items.iter().map(|h| h.item.id.as_str()).collect::<Vec<_>>(),
            ["1", "2"],
            "oldest first"
        );
        assert!(store.held(&email()).unwrap().is_empty());
        assert_eq!(store.held(&other).unwrap().len(), 1, "other targets keep theirs");
        assert!(store.take_digest(&email(), |items| digest(&email(), "08:00", items)).unwrap().is_none());
        assert_eq!(ids(&store.outbox().unwrap()), std::slice::from_ref(&d.id));
        // The same run again (a restart within the same firing) takes nothing: what
        // was held since waits for the next run.
        store.queue(&[hold(&email(), 4)]).unwrap();
        assert!(store.take_digest(&email(), |items| digest(&email(), "08:00", items)).unwrap().is_none());
        assert_eq!(store.held(&email()).unwrap().len(), 1);
        let next = store.take_digest(&email(), |items| digest(&email(), "09:00", items)).unwrap();
        assert!(next.is_some());
        assert_eq!(store.outbox().unwrap().len(), 2);
    }

    /// A target that left drops what is held for it, and only that.
    fn dropping_held_items_touches_one_target(backend: Backend) {
        let store = backend.store();
        let other = email_of("b@example.org");
        store.queue(&[hold(&email(), 1), hold(&email(), 2), hold(&other, 1)]).unwrap();
        assert_eq!(store.drop_held(&email()).unwrap(), 2);
        assert!(store.held(&email()).unwrap().is_empty());
        assert_eq!(store.held(&other).unwrap().len(), 1);
        assert_eq!(store.drop_held(&email()).unwrap(), 0);
    }

    /// Counts for the status page: by key prefix, or one target exactly
    /// (`telegram:-1001` is not `telegram:-10011`).
    fn counts_are_per_prefix_or_per_target(backend: Backend) {
        let store = backend.store();
        let (a, b) = (chat(-1001), chat(-10011));
        let mut old = delivery(&a, "1");
        old.created = now() - Duration::hours(2);
        store
            .queue(&[
                Route::Send(old.clone()),
                Route::Send(delivery(&a, "2")),
                Route::Send(delivery(&b, "3")),
                Route::Send(delivery(&email(), "4")),
                hold(&a, 5),
                hold(&email(), 6),
            ])
            .unwrap();
        let all = store.outbox_counts("").unwrap();
        assert_eq!((all.queued, all.retrying, all.held), (4, 0, 2));
        assert_eq!(all.oldest, Some(old.created));
        let telegram = store.outbox_counts("telegram:").unwrap();
        assert_eq!(telegram.queued, 3);
        let one = store.target_counts(&a).unwrap();
        assert_eq!((one.queued, one.held, one.oldest), (2, 1, Some(old.created)));
        assert_eq!(store.target_counts(&b).unwrap().queued, 1);
        assert_eq!(store.outbox_counts("webhook:").unwrap(), Default::default());
    }

    /// Every final state is kept as given, and a delivery in any of them is not queued
    /// again.
    fn final_states_are_kept(backend: Backend) {
        let store = backend.store();
        let at = now();
        let states = [
            DeliveryState::Sent { at },
            DeliveryState::Failed { at, error: "550 no such user".into() },
            DeliveryState::Dropped { at, reason: "unsubscribed".into() },
        ];
        for (n, state) in states.iter().enumerate() {
            let d = delivery(&email(), &n.to_string());
            store.queue(&[Route::Send(d.clone())]).unwrap();
            let row = store.outbox().unwrap().into_iter().find(|r| r.delivery.id == d.id).unwrap();
            store.finish(&row, state.clone()).unwrap();
            assert_eq!(store.delivery_state(&d.id).unwrap().as_ref(), Some(state));
            assert_eq!(store.queue(&[Route::Send(d)]).unwrap(), 0);
        }
        assert!(store.outbox().unwrap().is_empty());
    }
}
