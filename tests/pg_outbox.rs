//! The outbox shared by replicas on PostgreSQL: what sled never had to show. Two
//! `Store::postgres` handles on one database are two replicas (each has its own replica
//! name); they race for the same rows. Leases are expired by writing `lease_until`, never
//! waited for.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};
use tidings::model::ItemStatus;
use tidings::store::{
    Delivery, DeliveryState, Held, ItemRef, Payload, Queued, Route, Store, Target, delivery_id,
};

use crate::support::pg::database;

/// Run SQL on the database at `url`.
fn sql(url: &str, statement: &str) {
    crate::support::pg::run(url, statement).unwrap_or_else(|e| panic!("{statement}: {e}"));
}

fn replica(url: &str) -> Store {
    Store::postgres(url).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn chat(id: i64) -> Target {
    Target::Telegram { chat_id: id }
}

fn delivery(target: &Target, what: &str) -> Delivery {
    Delivery {
        id: delivery_id(target, what),
        target: target.clone(),
        payload: Payload::Item(Held {
            item: ItemRef {
                source: "s".into(),
                id: what.into(),
            },
            status: ItemStatus::New,
            keyword: None,
        }),
        created: now(),
        attempts: 0,
        last_error: None,
    }
}

/// `per_target` rows for each of `targets` chats, queued interleaved in one batch; the
/// ids of each chat's rows in the order the chat must read them.
fn queue_chats(store: &Store, targets: i64, per_target: usize) -> HashMap<Target, Vec<String>> {
    let mut routes = Vec::new();
    let mut order: HashMap<Target, Vec<String>> = HashMap::new();
    for n in 0..per_target {
        for t in 0..targets {
            let d = delivery(&chat(-100 - t), &format!("{t}-{n}"));
            order
                .entry(d.target.clone())
                .or_default()
                .push(d.id.clone());
            routes.push(Route::Send(d));
        }
    }
    assert_eq!(store.queue(&routes).unwrap(), routes.len());
    order
}

fn targets(rows: &[Queued]) -> HashSet<Target> {
    rows.iter().map(|r| r.delivery.target.clone()).collect()
}

fn ids(rows: &[Queued]) -> HashSet<String> {
    rows.iter().map(|r| r.delivery.id.clone()).collect()
}

fn sent() -> DeliveryState {
    DeliveryState::Sent { at: now() }
}

/// Two replicas claiming at the same instant never get the same row nor rows of the same
/// chat; each chat's rows come in order; what one holds the other does not get until it
/// is released.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn two_replicas_claiming_at_once_split_by_target() {
    let url = database();
    let (a, b) = (replica(&url), replica(&url));
    assert_ne!(a.replica().unwrap(), b.replica().unwrap());
    let order = queue_chats(&a, 10, 3);
    let mut done: HashSet<String> = HashSet::new();
    let later = now() + Duration::milliseconds(1);
    for round in 0..5 {
        let go = Arc::new(Barrier::new(2));
        let (ra, rb) = std::thread::scope(|s| {
            let (ga, gb) = (go.clone(), go.clone());
            let (a, b) = (&a, &b);
            let ja = s.spawn(move || {
                ga.wait();
                a.due(later, 12).unwrap()
            });
            let jb = s.spawn(move || {
                gb.wait();
                b.due(later, 12).unwrap()
            });
            (ja.join().unwrap(), jb.join().unwrap())
        });
        assert!(
            ids(&ra).is_disjoint(&ids(&rb)),
            "round {round}: a row went to both"
        );
        assert!(
            targets(&ra).is_disjoint(&targets(&rb)),
            "round {round}: a chat went to both"
        );
        for rows in [&ra, &rb] {
            for t in targets(rows) {
                let got: Vec<String> = rows
                    .iter()
                    .filter(|r| r.delivery.target == t)
                    .map(|r| r.delivery.id.clone())
                    .collect();
                let left: Vec<&String> =
                    order[&t].iter().filter(|id| !done.contains(*id)).collect();
                assert_eq!(
                    got.iter().collect::<Vec<_>>(),
                    left[..got.len()],
                    "round {round}, {t}: not the head of the chat's queue, in order"
                );
            }
        }
        if round == 0 {
            // What a holds, b does not get again (and a does, its own claim).
            assert!(ids(&b.due(later, 100).unwrap()).is_disjoint(&ids(&ra)));
            assert!(ids(&ra).is_subset(&ids(&a.due(later, 100).unwrap())));
            // Only what a holds is left after b took every other chat.
            let rest_a = a.due(later, 100).unwrap();
            assert!(targets(&b.due(later, 100).unwrap()).is_disjoint(&targets(&rest_a)));
        }
        // Each finishes the first row of each chat it holds and puts the rest back.
        for (store, rows) in [(&a, &ra), (&b, &rb)] {
            let mut seen = HashSet::new();
            for r in rows.iter() {
                if seen.insert(r.delivery.target.clone()) {
                    store.finish(r, sent()).unwrap();
                    done.insert(r.delivery.id.clone());
                } else {
                    store
                        .postpone(std::slice::from_ref(r), r.due, r.seq)
                        .unwrap();
                }
            }
        }
        // b's own leftovers from round 0 (it claimed everything a did not hold).
        let mine = b.due(later, 100).unwrap();
        for r in &mine {
            b.postpone(std::slice::from_ref(r), r.due, r.seq).unwrap();
        }
        let mine = a.due(later, 100).unwrap();
        for r in &mine {
            a.postpone(std::slice::from_ref(r), r.due, r.seq).unwrap();
        }
    }
}

/// Two replicas running the worker's loop (claim, send in order, mark sent) over many
/// chats: every row is sent once, and each chat reads its rows in the order queued,
/// whichever replica sent them.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn two_replicas_send_everything_once_in_order() {
    let url = database();
    let (a, b) = (replica(&url), replica(&url));
    let order = queue_chats(&a, 12, 8);
    let log: Mutex<Vec<(Target, String, String)>> = Mutex::new(Vec::new());
    let later = now() + Duration::milliseconds(1);
    std::thread::scope(|s| {
        for store in [&a, &b] {
            let log = &log;
            s.spawn(move || {
                let mut idle = 0;
                while idle < 200 {
                    let rows = store.due(later, 10).unwrap();
                    if rows.is_empty() {
                        if store.outbox().unwrap().is_empty() {
                            break;
                        }
                        idle += 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                    for r in rows {
                        log.lock().unwrap().push((
                            r.delivery.target.clone(),
                            r.delivery.id.clone(),
                            store.replica().unwrap().to_string(),
                        ));
                        store.finish(&r, sent()).unwrap();
                    }
                }
            });
        }
    });
    let log = log.into_inner().unwrap();
    let all: HashSet<&String> = log.iter().map(|(_, id, _)| id).collect();
    assert_eq!(all.len(), log.len(), "a row was sent twice");
    assert_eq!(log.len(), 12 * 8, "every row sent");
    for (t, queued) in &order {
        let got: Vec<String> = log
            .iter()
            .filter(|(lt, _, _)| lt == t)
            .map(|(_, id, _)| id.clone())
            .collect();
        assert_eq!(&got, queued, "{t} read out of order");
    }
    assert!(a.outbox().unwrap().is_empty());
    for ids in order.values() {
        for id in ids {
            assert!(matches!(
                a.delivery_state(id).unwrap(),
                Some(DeliveryState::Sent { .. })
            ));
        }
    }
}

/// A replica killed in the middle of a chat's burst: what it marked sent stays sent; the
/// rest waits for its lease, then goes to the other replica, in order.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn an_expired_lease_hands_the_rest_to_another_replica() {
    let url = database();
    let a = replica(&url);
    let b = replica(&url);
    let t = chat(-1);
    let routes: Vec<Route> = ["a", "b", "c"]
        .iter()
        .map(|w| Route::Send(delivery(&t, w)))
        .collect();
    a.queue(&routes).unwrap();
    let later = now() + Duration::milliseconds(1);
    let held = a.due(later, 10).unwrap();
    assert_eq!(held.len(), 3);
    a.finish(&held[0], sent()).unwrap();
    drop(a); // killed: nothing released

    assert!(b.due(later, 10).unwrap().is_empty(), "a's lease still runs");
    assert!(b.due(later + Duration::days(1), 10).unwrap().is_empty());
    let wake = b.next_due().unwrap().unwrap();
    assert!(
        wake > Utc::now() + Duration::minutes(4),
        "b sleeps until the lease ends, not busy-looping: {wake}"
    );

    sql(
        &url,
        "UPDATE outbox SET lease_until = now() - interval '1 second'",
    );
    let taken = b.due(later, 10).unwrap();
    assert_eq!(
        taken
            .iter()
            .map(|r| r.delivery.id.clone())
            .collect::<Vec<_>>(),
        [delivery_id(&t, "b"), delivery_id(&t, "c")],
        "the rest, in order; the row sent is not sent again"
    );
    assert!(b.next_due().unwrap().unwrap() <= later);
    // A third replica now finds the chat held by b.
    let c = replica(&url);
    assert!(c.due(later, 10).unwrap().is_empty());
    for r in &taken {
        b.finish(r, sent()).unwrap();
    }
    assert!(c.outbox().unwrap().is_empty());
}

/// Put back rows are free for anyone at their new time; a row closed meanwhile by the
/// replica that took over is not brought back by the one whose lease ran out.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn released_rows_are_free_and_a_late_replica_cannot_resurrect_them() {
    let url = database();
    let (a, b) = (replica(&url), replica(&url));
    let t = chat(-7);
    a.queue(&[
        Route::Send(delivery(&t, "x")),
        Route::Send(delivery(&t, "y")),
    ])
    .unwrap();
    let later = now() + Duration::milliseconds(1);
    let rows = a.due(later, 10).unwrap();
    let retry_at = later + Duration::minutes(1);
    a.retry(&rows[0], retry_at, "429", &rows[1..]).unwrap();
    assert!(b.due(later, 10).unwrap().is_empty(), "not due yet");
    let again = b.due(retry_at, 10).unwrap();
    assert_eq!(again.len(), 2, "released: b takes them at their new time");
    assert_eq!(again[0].delivery.attempts, 1);
    assert!(a.due(retry_at, 10).unwrap().is_empty(), "b holds them now");

    // b's lease runs out; a takes them and sends both; b, late, tries to put them back.
    sql(
        &url,
        "UPDATE outbox SET lease_until = now() - interval '1 second'",
    );
    let a_rows = a.due(retry_at, 10).unwrap();
    for r in &a_rows {
        a.finish(r, sent()).unwrap();
    }
    b.postpone(&again, retry_at + Duration::minutes(1), 0)
        .unwrap();
    assert!(a.outbox().unwrap().is_empty(), "nothing came back");
    assert!(matches!(
        a.delivery_state(&again[1].delivery.id).unwrap(),
        Some(DeliveryState::Sent { .. })
    ));
}

/// A merged burst is claimed by the replica that made it (it sends it next); listing the
/// outbox claims nothing.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn a_merged_burst_stays_with_its_replica_and_listing_claims_nothing() {
    let url = database();
    let (a, b) = (replica(&url), replica(&url));
    queue_chats(&a, 1, 3);
    let listed = b.outbox().unwrap();
    assert_eq!(listed.len(), 3);
    let later = now() + Duration::milliseconds(1);
    let rows = a.due(later, 10).unwrap();
    assert_eq!(rows.len(), 3, "b's listing took nothing");
    let burst = Delivery {
        payload: Payload::Digest {
            run: "burst".into(),
            items: vec![],
        },
        ..delivery(&chat(-100), "burst")
    };
    let merged = a.merge(&rows[..2], burst.clone()).unwrap();
    assert_eq!(merged.delivery, burst);
    assert!(
        b.due(later, 10).unwrap().is_empty(),
        "a still holds the chat"
    );
    a.finish(&merged, sent()).unwrap();
    a.finish(&rows[2], sent()).unwrap();
    assert!(b.outbox().unwrap().is_empty());
}

/// A row whose body no longer decodes is moved to `quarantine` and its delivery
/// recorded as failed; the rows behind it still go.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn an_unreadable_row_is_quarantined() {
    let url = database();
    let a = replica(&url);
    let t = chat(-3);
    a.queue(&[Route::Send(delivery(&t, "ok"))]).unwrap();
    let bad = delivery_id(&t, "bad");
    sql(
        &url,
        &format!(
            "INSERT INTO outbox (id, target, due, seq, body)
               VALUES ('{bad}', 'telegram:-3', now() - interval '1 hour', 0, '{{\"no\": 1}}');
             INSERT INTO deliveries (id, state)
               VALUES ('{bad}', '{{\"state\": \"queued\", \"due\": \"2026-01-01T00:00:00Z\"}}');
             INSERT INTO held (target, sort_time, id, body) VALUES ('telegram:-3', 1, 'h', '[]');"
        ),
    );
    let rows = a.due(now() + Duration::milliseconds(1), 10).unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| r.delivery.id.clone())
            .collect::<Vec<_>>(),
        [delivery_id(&t, "ok")]
    );
    match a.delivery_state(&bad).unwrap() {
        Some(DeliveryState::Failed { error, .. }) => {
            assert!(error.contains("quarantine"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert!(a.held(&t).unwrap().is_empty());
    assert_eq!(a.outbox().unwrap().len(), 1);
    assert_eq!(
        a.target_counts(&t).unwrap().held,
        0,
        "the bad held row moved aside"
    );
}

/// The outbox's deliveries per second with 1 and 3 replicas, at the store: each replica
/// (its own `Store::postgres`, its own connections) runs the worker's loop — claim a
/// batch of 256, mark each row sent — until the outbox is empty; no channel, so this is
/// the database's share of a delivery. A measurement, not a check: run it with
/// `cargo test --release --test tests pg_outbox::throughput -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement (needs PostgreSQL): run with --ignored --nocapture"]
fn throughput() {
    const ROWS: usize = 6000;
    const TARGETS: i64 = 200;
    for replicas in [1, 3] {
        let url = database();
        let stores: Vec<Store> = (0..replicas).map(|_| replica(&url)).collect();
        queue_chats(&stores[0], TARGETS, ROWS / TARGETS as usize);
        let later = now() + Duration::milliseconds(1);
        let started = std::time::Instant::now();
        let sent: Vec<usize> = std::thread::scope(|s| {
            let workers: Vec<_> = stores
                .iter()
                .map(|store| {
                    s.spawn(move || {
                        let mut n = 0;
                        loop {
                            let rows = store.due(later, 256).unwrap();
                            if rows.is_empty() {
                                if store.next_due().unwrap().is_none() {
                                    return n;
                                }
                                std::thread::sleep(std::time::Duration::from_millis(2));
                                continue;
                            }
                            for r in rows {
                                store.finish(&r, sent()).unwrap();
                                n += 1;
                            }
                        }
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(sent.iter().sum::<usize>(), ROWS, "each row sent once");
        println!(
            "{replicas} replica(s): {ROWS} deliveries over {TARGETS} chats in {secs:.2} s, \
             {:.0} per second (per replica: {sent:?})",
            ROWS as f64 / secs
        );
    }
}

/// An item stored with its routes is one transaction: the item and its deliveries are
/// there together, a second poll finding the same item queues nothing, and the rows
/// come due on any replica.
#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn an_item_and_its_deliveries_are_stored_together() {
    let url = database();
    let (a, b) = (replica(&url), replica(&url));
    let t = chat(-5);
    let item = tidings::model::Item {
        source: "s".into(),
        id: "n1".into(),
        url: Some("http://example.org/s/n1.html".into()),
        title: "消息一".into(),
        subtitle: None,
        published: None,
        updated: None,
        author: None,
        origin: None,
        summary: None,
        content_text: Some("内容".into()),
        content_html: None,
        first_seen: now(),
        revision: 1,
    };
    let route = |stored: &[tidings::store::Stored]| -> Vec<Route> {
        stored
            .iter()
            .flat_map(|s| {
                [
                    Route::Send(delivery(&t, &s.item.id)),
                    Route::Hold {
                        target: chat(-6),
                        id: delivery_id(&chat(-6), &s.item.id),
                        sort_time: 1,
                        held: Held {
                            item: ItemRef {
                                source: s.item.source.clone(),
                                id: s.item.id.clone(),
                            },
                            status: s.status,
                            keyword: None,
                        },
                    },
                ]
            })
            .collect()
    };
    assert_eq!(
        a.store_routed("s", vec![item.clone()], &route)
            .unwrap()
            .len(),
        1
    );
    assert!(a.item("s", "n1").unwrap().is_some());
    assert_eq!(b.held(&chat(-6)).unwrap().len(), 1);
    let rows = b.due(now() + Duration::milliseconds(1), 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].delivery.id, delivery_id(&t, "n1"));
    // The same item again: nothing new, nothing queued.
    assert!(a.store_routed("s", vec![item], &route).unwrap().is_empty());
    assert_eq!(a.outbox().unwrap().len(), 1);
    assert_eq!(a.held(&chat(-6)).unwrap().len(), 1);
}
