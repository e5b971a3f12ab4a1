//! The PostgreSQL store's people tables (subscribers, tokens, chats, incidents, WebSub),
//! `tidings migrate`, and `tidings store export|import` moving an installation between
//! sled and PostgreSQL, against a real server.

use crate::publish::item;
use chrono::{Duration, Utc};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use tidings::store::pg::Pg;
use tidings::store::*;

/// A fresh database on the tests' PostgreSQL server (its URL).
fn database(_tag: &str) -> String {
    crate::support::pg::database()
}

/// Run SQL on `url` directly (what the store's own methods do not show or do).
fn sql(url: &str, statements: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(statements)
            .await
            .unwrap_or_else(|e| panic!("{statements}: {e:?}"));
        drop(client);
        let _ = task.await;
    });
}

fn subscriber(list: &str, address: &str, token: &str) -> Subscriber {
    Subscriber {
        list: list.into(),
        address: address.into(),
        state: SubscriberState::Active,
        keywords: vec!["棉花".into()],
        created: Utc::now(),
        confirmed: Some(Utc::now()),
        unsubscribe_token: token.into(),
        confirm_sent: None,
        last_error: None,
    }
}

fn hub(id_tail: &str, expires_in: i64) -> HubSubscription {
    let topic = "http://h/feeds/all.atom";
    let callback = format!("http://sub/{id_tail}");
    HubSubscription {
        id: hub_subscription_id(topic, &callback),
        topic: topic.into(),
        feed: "all".into(),
        callback,
        secret: Some("s3cret".into()),
        lease_secs: 60,
        expires: Utc::now() + Duration::seconds(expires_in),
        created: Utc::now(),
        last_sent: None,
        last_error: None,
    }
}

fn push(source: &str) -> PushSubscription {
    PushSubscription {
        source: source.into(),
        hub: "http://hub/".into(),
        topic: format!("http://site/{source}.xml"),
        secret: "ours".into(),
        state: PushState::Pending,
        requested: Utc::now(),
        expires: None,
        verified: None,
        last_push: None,
        last_error: None,
    }
}

#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn subscribers_tokens_chats_and_websub_behave_as_on_sled() {
    let url = database("people");
    let store = Store::postgres(&url).unwrap();

    // Subscribers: keyed by lower-cased address, listed in key order, with their token.
    store
        .put_subscriber(&subscriber("daily", "B@Example.org", "tok-b"))
        .unwrap();
    store
        .put_subscriber(&subscriber("daily", "a@example.org", "tok-a"))
        .unwrap();
    store
        .put_subscriber(&subscriber("weekly", "a@example.org", "tok-w"))
        .unwrap();
    let got = store.subscriber("daily", "b@EXAMPLE.org").unwrap().unwrap();
    assert_eq!(got.address, "B@Example.org", "stored as given");
    let daily: Vec<String> = store
        .subscribers(Some("daily"))
        .unwrap()
        .into_iter()
        .map(|s| s.address)
        .collect();
    assert_eq!(daily, ["a@example.org", "B@Example.org"]);
    assert_eq!(store.subscribers(None).unwrap().len(), 3);
    assert_eq!(
        store.token("tok-b").unwrap(),
        Some(Token::Unsubscribe {
            list: "daily".into(),
            address: "B@Example.org".into()
        })
    );
    let changed = store
        .update_subscriber("daily", "B@example.org", |s| {
            s.state = SubscriberState::Bouncing
        })
        .unwrap()
        .unwrap();
    assert_eq!(changed.state, SubscriberState::Bouncing);
    assert_eq!(
        store
            .subscriber("daily", "b@example.org")
            .unwrap()
            .unwrap()
            .state,
        SubscriberState::Bouncing
    );
    assert!(
        store
            .update_subscriber("daily", "nobody@example.org", |_| {})
            .unwrap()
            .is_none()
    );
    assert_eq!(store.active_subscribers("daily").unwrap().len(), 1);
    assert!(store.remove_subscriber("daily", "B@EXAMPLE.ORG").unwrap());
    assert!(!store.remove_subscriber("daily", "B@EXAMPLE.ORG").unwrap());
    assert_eq!(
        store.token("tok-b").unwrap(),
        None,
        "its token went with it"
    );

    // An unreadable row is skipped (and counted), never fatal.
    sql(
        &url,
        "INSERT INTO subscribers (list, address, body) VALUES ('daily', 'zz@x', '{\"nonsense\": 1}')",
    );
    assert_eq!(store.subscribers(Some("daily")).unwrap().len(), 1);
    assert_eq!(store.subscriber("daily", "zz@x").unwrap(), None);

    // Chats: created on first change, migrations followed, incidents.
    let group = Target::Telegram { chat_id: -42 };
    let chat = store
        .update_chat(&group, |c| c.migrated_to = Some(-10042))
        .unwrap();
    assert_eq!(chat.kind, ChatKind::Group);
    assert_eq!(
        store.follow_migration(&group).unwrap(),
        Target::Telegram { chat_id: -10042 }
    );
    let robot = Target::Webhook { id: "team".into() };
    let mut state = ChatState::new(robot.clone(), Utc::now());
    state.title = Some("Team".into());
    store.put_chat(&state).unwrap();
    let keys: Vec<String> = store
        .chats()
        .unwrap()
        .iter()
        .map(|c| c.target.key())
        .collect();
    assert_eq!(keys, ["telegram:-42", "webhook:team"]);
    let incident = Incident {
        title: "news is down".into(),
        detail: "HTTP 503".into(),
        opened: Utc::now(),
    };
    store.set_incident("source:news", Some(&incident)).unwrap();
    store.set_incident("chat:x", Some(&incident)).unwrap();
    let open: Vec<String> = store
        .incidents()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(open, ["chat:x", "source:news"]);
    store.set_incident("chat:x", None).unwrap();
    assert_eq!(store.incidents().unwrap().len(), 1);

    // WebSub both ways.
    let mut sub = hub("cb", 60);
    store.put_hub_subscription(&sub).unwrap();
    sub.expires = Utc::now() + Duration::seconds(600);
    store.put_hub_subscription(&sub).unwrap();
    store.put_hub_subscription(&hub("old", -5)).unwrap();
    assert_eq!(store.hub_subscriptions().unwrap().len(), 2);
    store
        .update_hub_subscription(&sub.id, |s| s.last_error = Some("timeout".into()))
        .unwrap();
    assert_eq!(
        store.hub_subscription(&sub.id).unwrap().unwrap().last_error,
        Some("timeout".into())
    );
    assert_eq!(
        store.purge_expired_hub_subscriptions(Utc::now()).unwrap(),
        1
    );
    assert!(store.hub_subscription(&sub.id).unwrap().is_some());
    assert!(store.remove_hub_subscription(&sub.id).unwrap());
    assert!(!store.remove_hub_subscription(&sub.id).unwrap());
    store.put_push_subscription(&push("news")).unwrap();
    store
        .update_push_subscription("news", |p| p.state = PushState::Active)
        .unwrap();
    store
        .update_push_subscription("absent", |p| p.state = PushState::Active)
        .unwrap();
    assert_eq!(
        store.push_subscription("news").unwrap().unwrap().state,
        PushState::Active
    );
    assert_eq!(store.push_subscriptions().unwrap().len(), 1);
    store.remove_push_subscription("news").unwrap();
    assert!(store.push_subscriptions().unwrap().is_empty());
}

#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn two_replicas_take_a_token_once_and_both_chat_changes_land() {
    let url = database("race");
    let a = Arc::new(Store::postgres(&url).unwrap());
    let b = Arc::new(Store::postgres(&url).unwrap());
    let expires = Utc::now() + Duration::hours(1);
    let tokens: Vec<String> = (0..200).map(|i| format!("confirm-{i}")).collect();
    for t in &tokens {
        a.put_token(
            t,
            &Token::Confirm {
                list: "daily".into(),
                address: format!("{t}@example.org"),
                expires,
            },
        )
        .unwrap();
    }
    // Both replicas try every token, at once: each is taken exactly once.
    let takers: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|store| {
            let tokens = tokens.clone();
            std::thread::spawn(move || {
                tokens
                    .iter()
                    .filter(|t| store.take_token(t).unwrap().is_some())
                    .count()
            })
        })
        .collect();
    let taken: Vec<usize> = takers.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(taken.iter().sum::<usize>(), 200, "taken: {taken:?}");
    assert!(a.token("confirm-7").unwrap().is_none());

    // Twenty changes to one chat, half from each replica, none lost (the first creates
    // the row).
    let chat = Target::Telegram { chat_id: 777 };
    let writers: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let chat = chat.clone();
            std::thread::spawn(move || {
                store
                    .update_chat(&chat, |c| {
                        c.subs.push(ChatSub {
                            feed: format!("f{i}"),
                            keywords: vec![],
                        })
                    })
                    .unwrap();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(a.chat(&chat).unwrap().unwrap().subs.len(), 20);
}

fn tidings(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A configuration with the store in `dir/data` (sled), or at `url`.
fn config(dir: &Path, url: Option<&str>) -> String {
    let store = url
        .map(|u| format!("[store]\nurl = {u:?}\n\n"))
        .unwrap_or_default();
    let text = format!(
        "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\n\n{store}\
         [[source]]\nid = \"news\"\nurl = \"http://127.0.0.1:9/feed.xml\"\n\n\
         [[feed]]\nid = \"all\"\nsources = [\"*\"]\n",
        dir.join("data").display().to_string()
    );
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("feeds.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn migrate_reports_versions_keeps_older_data_and_refuses_a_newer_schema() {
    let url = database("migrate");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), Some(&url));

    // A database at schema 1, with data written as schema 1 knew it.
    let pg = Pg::open(&url).unwrap();
    assert_eq!(pg.migrate_to(1).unwrap(), [1]);
    drop(pg);
    let sub = subscriber("daily", "Old@Example.org", "tok-old");
    let chat = ChatState::new(Target::Telegram { chat_id: -5 }, Utc::now());
    let it = item("news", "a1", "棉花收购", Some("2026-03-01T08:00:00+08:00"));
    sql(
        &url,
        &format!(
            "INSERT INTO subscribers (list, address, body) VALUES ('daily', 'old@example.org', '{}');
             INSERT INTO chats (target, body) VALUES ('telegram:-5', '{}');
             INSERT INTO items (source, id, sort_time, first_seen, body)
               VALUES ('news', 'a1', {}, '2026-01-01T00:00:00Z', '{}');
             INSERT INTO outbox (id, target, due, seq, body)
               VALUES ('d1', 'telegram:-5', now(), 0, '{}');",
            serde_json::to_string(&sub).unwrap(),
            serde_json::to_string(&chat).unwrap(),
            it.sort_time(),
            serde_json::to_string(&it).unwrap().replace('\'', "''"),
            serde_json::to_string(&Delivery {
                id: "d1".into(),
                target: Target::Telegram { chat_id: -5 },
                payload: Payload::Confirm { token: "t".into() },
                created: Utc::now(),
                attempts: 0,
                last_error: None,
            })
            .unwrap()
        ),
    );

    let out = ok(&tidings(&["migrate", "-c", &cfg]));
    let newest = Store::schema_known();
    assert!(
        out.contains(&format!("schema version 1 -> {newest}")),
        "{out}"
    );
    let out = ok(&tidings(&["migrate", "-c", &cfg]));
    assert!(
        out.contains(&format!("schema version {newest}, up to date")),
        "{out}"
    );

    // The data of schema 1 reads back through the migrated store.
    let store = Store::postgres(&url).unwrap();
    assert_eq!(
        store.subscriber("daily", "old@example.org").unwrap(),
        Some(sub)
    );
    assert_eq!(
        store.chat(&Target::Telegram { chat_id: -5 }).unwrap(),
        Some(chat)
    );
    let mut kinds = Vec::new();
    store
        .export_rows(&mut |r| {
            kinds.push(r.kind());
            Ok(())
        })
        .unwrap();
    assert_eq!(kinds, ["item", "outbox", "subscriber", "chat"]);
    drop(store);

    // A database written by a newer tidings is refused, by the store and by migrate.
    sql(
        &url,
        "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')",
    );
    let err = Store::postgres(&url).err().expect("refused");
    assert!(
        matches!(err, StoreError::SchemaAhead { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade tidings"), "{err}");
    let out = tidings(&["migrate", "-c", &cfg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("schema version 999, newer than this tidings"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // sled has nothing to migrate.
    let sled_dir = tempfile::tempdir().unwrap();
    let out = ok(&tidings(&["migrate", "-c", &config(sled_dir.path(), None)]));
    assert!(out.contains("nothing to migrate"), "{out}");
}

/// A sled store holding data of every kind the store keeps.
fn fill(store: &Store) {
    let now = Utc::now();
    let email = Target::Email {
        list: "daily".into(),
        address: "a@example.org".into(),
    };
    let chat = Target::Telegram { chat_id: -100 };
    let items = vec![
        item("news", "a1", "棉花收购", Some("2026-03-01T08:00:00+08:00")),
        item("news", "a2", "小麦", None),
        item(
            "news",
            "a3",
            "玉米 'quoted' \"text\"",
            Some("2025-12-31T23:00:00Z"),
        ),
    ];
    let route = |stored: &[Stored]| -> Vec<Route> {
        let mut out = Vec::new();
        for s in stored {
            let held = Held {
                item: ItemRef {
                    source: s.item.source.clone(),
                    id: s.item.id.clone(),
                },
                status: s.status,
                keyword: None,
            };
            out.push(Route::Send(Delivery {
                id: delivery_id(&chat, &s.item.id),
                target: chat.clone(),
                payload: Payload::Item(held.clone()),
                created: Utc::now(),
                attempts: 0,
                last_error: None,
            }));
            out.push(Route::Hold {
                target: email.clone(),
                id: delivery_id(&email, &s.item.id),
                sort_time: s.item.sort_time(),
                held,
            });
        }
        out
    };
    assert_eq!(store.store_routed("news", items, &route).unwrap().len(), 3);
    // Another source whose older items retention removes (tombstones).
    let old: Vec<_> = (0..4)
        .map(|i| {
            let mut it = item("old", &format!("o{i}"), "旧闻", None);
            it.first_seen = now - Duration::days(400 - i);
            it
        })
        .collect();
    store.store_batch("old", old).unwrap();
    let kept = store
        .retain("old", Keep { items: 1, days: 0 }, now)
        .unwrap();
    assert_eq!(kept.removed, 3);
    store
        .update_source_state("news", |s| {
            s.etag = Some("\"v1\"".into());
            s.polls_ok = 7;
            s.fingerprints = vec![u64::MAX, 1];
        })
        .unwrap();
    // A row sent already, with its final state.
    let due = store.due(now + Duration::seconds(1), 1).unwrap();
    store
        .finish(&due[0], DeliveryState::Sent { at: now })
        .unwrap();
    store
        .put_subscriber(&subscriber("daily", "A@Example.org", "unsub-a"))
        .unwrap();
    store
        .put_token(
            "confirm-b",
            &Token::Confirm {
                list: "daily".into(),
                address: "b@example.org".into(),
                expires: now + Duration::hours(48),
            },
        )
        .unwrap();
    store
        .update_chat(&chat, |c| {
            c.title = Some("棉农群".into());
            c.subs.push(ChatSub {
                feed: "all".into(),
                keywords: vec!["棉花".into()],
            });
        })
        .unwrap();
    store
        .set_incident(
            "source:old",
            Some(&Incident {
                title: "old is down".into(),
                detail: "HTTP 503".into(),
                opened: now,
            }),
        )
        .unwrap();
    store.put_hub_subscription(&hub("cb", 3600)).unwrap();
    store.put_push_subscription(&push("news")).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn export_and_import_move_an_installation_between_sled_and_postgres_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let sled_cfg = config(&dir.path().join("sled"), None);
    let url = database("move");
    let pg_cfg = config(&dir.path().join("pg"), Some(&url));
    let back_cfg = config(&dir.path().join("back"), None);
    let d = |n: &str| dir.path().join(n).display().to_string();

    // The sled installation: a quarantined row (imported: nothing else writes one on
    // purpose), then data of every other kind through the store.
    std::fs::write(
        d("q.jsonl"),
        "{\"format\":\"tidings-store\",\"version\":1}\n\
         {\"kind\":\"quarantine\",\"table\":\"outbox\",\"key\":\"\\\\x80abc\",\"value\":\"{broken\"}\n",
    )
    .unwrap();
    ok(&tidings(&[
        "store",
        "import",
        "-c",
        &sled_cfg,
        &d("q.jsonl"),
    ]));
    let sled_dir = dir.path().join("sled/data");
    let (items, subscribers, outbox) = {
        let store = Store::open(&sled_dir).unwrap();
        fill(&store);
        let sources = vec!["news".to_string(), "old".to_string()];
        (
            store.newest_items(&sources, |_| true, 100).unwrap(),
            store.subscribers(None).unwrap(),
            store.outbox().unwrap(),
        )
    };
    assert_eq!(items.len(), 4);
    assert_eq!(outbox.len(), 2, "one of three sent");

    let out = ok(&tidings(&[
        "store",
        "export",
        "-c",
        &sled_cfg,
        &d("sled.jsonl"),
    ]));
    assert!(out.contains("exported 27 records"), "{out}");
    let first = lines(&dir.path().join("sled.jsonl"));
    assert_eq!(first[0], r#"{"format":"tidings-store","version":1}"#);
    let kinds: std::collections::BTreeSet<String> = first[1..]
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let all: std::collections::BTreeSet<String> =
        dump::KINDS.iter().map(|k| k.to_string()).collect();
    assert_eq!(kinds, all, "the test's store holds every kind");

    // Into PostgreSQL, and out again: the same dump.
    let out = ok(&tidings(&[
        "store",
        "import",
        "-c",
        &pg_cfg,
        &d("sled.jsonl"),
    ]));
    assert!(out.contains("imported 27 records"), "{out}");
    assert!(
        out.contains("4 item, 3 gone, 1 source, 2 outbox, 6 delivery, 3 held"),
        "{out}"
    );
    ok(&tidings(&[
        "store",
        "export",
        "-c",
        &pg_cfg,
        &d("pg.jsonl"),
    ]));
    assert_eq!(lines(&dir.path().join("pg.jsonl")), first);

    // What the daemon reads from the imported database.
    {
        let store = Store::postgres(&url).unwrap();
        let sources = vec!["news".to_string(), "old".to_string()];
        assert_eq!(store.newest_items(&sources, |_| true, 100).unwrap(), items);
        assert!(store.retired("old", "o0").unwrap(), "tombstones moved too");
        assert_eq!(store.source_state("news").unwrap().polls_ok, 7);
        assert_eq!(store.subscribers(None).unwrap(), subscribers);
        assert!(store.token("unsub-a").unwrap().is_some());
        assert_eq!(store.chats().unwrap().len(), 1);
    }

    // A store in use is refused, and says what it holds; --force writes over it.
    let out = tidings(&["store", "import", "-c", &pg_cfg, &d("sled.jsonl")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already holds 4 item") && err.contains("--force"),
        "{err}"
    );
    ok(&tidings(&[
        "store",
        "import",
        "--force",
        "-c",
        &pg_cfg,
        &d("sled.jsonl"),
    ]));
    ok(&tidings(&[
        "store",
        "export",
        "-c",
        &pg_cfg,
        &d("pg2.jsonl"),
    ]));
    assert_eq!(lines(&dir.path().join("pg2.jsonl")), first);

    // And back from PostgreSQL into a new sled store: the same dump, and the daemon's
    // reads see the same items, subscribers and queued deliveries.
    ok(&tidings(&[
        "store",
        "import",
        "-c",
        &back_cfg,
        &d("pg.jsonl"),
    ]));
    ok(&tidings(&[
        "store",
        "export",
        "-c",
        &back_cfg,
        &d("back.jsonl"),
    ]));
    assert_eq!(lines(&dir.path().join("back.jsonl")), first);
    let store = Store::open(&dir.path().join("back/data")).unwrap();
    let sources = vec!["news".to_string(), "old".to_string()];
    assert_eq!(store.newest_items(&sources, |_| true, 100).unwrap(), items);
    assert_eq!(store.subscribers(None).unwrap(), subscribers);
    let queued: Vec<_> = store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|q| (q.due, q.seq, q.delivery))
        .collect();
    let before: Vec<_> = outbox
        .into_iter()
        .map(|q| (q.due, q.seq, q.delivery))
        .collect();
    assert_eq!(queued, before);
    assert!(store.retired("old", "o0").unwrap(), "tombstones moved too");
    assert_eq!(
        store
            .held(&Target::Email {
                list: "daily".into(),
                address: "a@example.org".into()
            })
            .unwrap()
            .len(),
        3
    );
    // Retention and the status page's counts see the imported items: the three news
    // items are held for the digest (kept), the one left of "old" goes.
    assert_eq!(store.count_items("news"), 3);
    assert_eq!(store.count_items("old"), 1);
    let first_seen: chrono::DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    assert_eq!(store.count_since("news", first_seen).unwrap(), 3);
    let later = first_seen + Duration::seconds(1);
    assert_eq!(store.count_since("news", later).unwrap(), 0);
    let keep = Keep { items: 0, days: 0 };
    let r = store.retain("news", keep, Utc::now()).unwrap();
    assert_eq!((r.removed, r.pinned), (0, 3), "{r:?}");
    let r = store.retain("old", keep, Utc::now()).unwrap();
    assert_eq!((r.removed, r.kept), (1, 0), "{r:?}");
    assert!(store.retired("old", "o3").unwrap());
    assert_eq!(store.count_items("old"), 0);
}

#[test]
fn a_bad_dump_names_its_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let dump = dir.path().join("bad.jsonl");
    std::fs::write(
        &dump,
        "{\"format\":\"tidings-store\",\"version\":1}\n\
         {\"kind\":\"token\",\"token\":\"t1\",\"value\":{\"purpose\":\"unsubscribe\",\"list\":\"l\",\"address\":\"a@b\"}}\n\
         {\"kind\":\"chat\",\"target\":\"telegram:1\",\"value\":{\"nonsense\":true}}\n",
    )
    .unwrap();
    let out = tidings(&["store", "import", "-c", &cfg, dump.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:1: a chat record whose value does not read",
            dump.display()
        )),
        "{err}"
    );
    let store = Store::open(&dir.path().join("data")).unwrap();
    assert_eq!(store.token("t1").unwrap(), None, "nothing written");
    drop(store);

    std::fs::write(&dump, "{\"format\":\"tidings-store\",\"version\":9}\n").unwrap();
    let out = tidings(&["store", "import", "-c", &cfg, dump.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":1:1: dump format version 9 is newer"),
        "{err}"
    );
}
