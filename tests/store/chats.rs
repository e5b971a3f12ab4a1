//! Telegram chats and robots, and operator incidents.

use super::now;
use chrono::Duration;
use tidings::store::{ChatKind, ChatState, ChatSub, Incident, Reach, Target};

store_tests! {
    /// A chat's row is made on first change, kept with every field, and a migration to a
    /// supergroup is followed.
    fn chats_round_trip_and_migrations_are_followed(backend: Backend) {
        let store = backend.store();
        let old = Target::Telegram { chat_id: -42 };
        assert!(store.chat(&old).unwrap().is_none());
        assert_eq!(store.follow_migration(&old).unwrap(), old, "no row: stays");
        store.update_chat(&old, |c| c.migrated_to = Some(-10042)).unwrap();
        assert_eq!(store.follow_migration(&old).unwrap(), Target::Telegram { chat_id: -10042 });
        let c = store.chat(&old).unwrap().unwrap();
        assert_eq!(c.kind, ChatKind::Group);
        assert_eq!(store.chats().unwrap().len(), 1);

        // Every field is kept.
        let at = now();
        let robot = Target::Webhook { id: "team-dingtalk".into() };
        let mut state = ChatState::new(robot.clone(), at);
        state.title = Some("博州群".into());
        state.reach = Reach::Inactive { since: at, why: "token rejected".into() };
        state.subs = vec![ChatSub { feed: "news".into(), keywords: vec!["棉花".into()] }];
        state.paused_until = Some(at + Duration::seconds(30));
        state.last_error = Some("310000 keywords not in content".into());
        state.last_sent = Some(at);
        state.config_hash = Some("abc".into());
        store.put_chat(&state).unwrap();
        assert_eq!(store.chat(&robot).unwrap().unwrap(), state);
        let changed = store.update_chat(&robot, |c| c.reach = Reach::Active).unwrap();
        assert!(changed.is_active());
        assert_eq!(changed.title, state.title, "the rest kept");
        assert_eq!(store.chat(&robot).unwrap().unwrap(), changed);
        assert_eq!(store.chats().unwrap().len(), 2);
    }

    /// Migrations are followed a few hops, and a loop stops.
    fn a_migration_loop_stops(backend: Backend) {
        let store = backend.store();
        let t = |id| Target::Telegram { chat_id: id };
        store.update_chat(&t(-1), |c| c.migrated_to = Some(-2)).unwrap();
        store.update_chat(&t(-2), |c| c.migrated_to = Some(-3)).unwrap();
        assert_eq!(store.follow_migration(&t(-1)).unwrap(), t(-3));
        store.update_chat(&t(-3), |c| c.migrated_to = Some(-1)).unwrap();
        let end = store.follow_migration(&t(-1)).unwrap();
        assert!([t(-1), t(-2), t(-3)].contains(&end), "{end:?}");
    }

    /// Incidents open and close by key.
    fn incidents_open_and_close(backend: Backend) {
        let store = backend.store();
        assert!(store.incidents().unwrap().is_empty());
        let i = Incident { title: "source s failing".into(), detail: "HTTP 503 ×5".into(), opened: now() };
        store.set_incident("source:s", Some(&i)).unwrap();
        store.set_incident("smtp", Some(&Incident { title: "SMTP down".into(), ..i.clone() })).unwrap();
        let open = store.incidents().unwrap();
        assert_eq!(open.len(), 2);
        assert!(open.contains(&("source:s".to_string(), i.clone())));
        store.set_incident("source:s", None).unwrap();
        store.set_incident("never-opened", None).unwrap();
        let open = store.incidents().unwrap();
        assert_eq!(open.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["smtp"]);
    }
}
