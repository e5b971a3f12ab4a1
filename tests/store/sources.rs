//! What the daemon remembers about a source between polls.

use super::now;
use chrono::Duration;
use tidings::store::{ArticleTries, GivenUp, SourceState};

store_tests! {
    /// A source never polled has the empty state; a change is read, made and written as
    /// one step, returned, and kept per source with every field.
    fn a_source_state_is_changed_in_place(backend: Backend) {
        let store = backend.store();
        assert_eq!(store.source_state("s").unwrap(), SourceState::default());
        let at = now();
        let state = store
            .update_source_state("s", |st| {
                st.etag = Some("\"abc\"".into());
                st.last_modified = Some("Sat, 10 Sep 2022 00:00:00 GMT".into());
                st.last_poll = Some(at);
                st.last_success = Some(at);
                st.failures = 0;
                st.polls_ok += 1;
                st.last_entries = Some(12);
                st.fingerprints = vec![1, u64::MAX, 42];
                st.zone = Some("Asia/Shanghai".into());
                st.zone_reason = Some("host .cn".into());
                st.deferred = 3;
                st.seeding = true;
                st.article_tries.insert(
                    "a1".into(),
                    ArticleTries {
                        url: "http://example.org/a1.html".into(),
                        tries: 2,
                        next_try: at + Duration::minutes(30),
                        last_error: "HTTP 503".into(),
                    },
                );
                st.given_up.push(GivenUp {
                    url: "http://example.org/a0.html".into(),
                    tries: 5,
                    last_error: "HTTP 404".into(),
                    at,
                });
            })
            .unwrap();
        assert_eq!(state.polls_ok, 1);
        assert_eq!(store.source_state("s").unwrap(), state, "every field kept");
        assert_eq!(store.source_state("t").unwrap(), SourceState::default());

        // The change sees what is stored.
        let state = store
            .update_source_state("s", |st| {
                st.polls_ok += 1;
                st.failures += 1;
                st.last_error = Some("timed out".into());
                st.error_permanent = false;
                st.not_before = Some(at + Duration::minutes(5));
                st.alarm = Some("the list is empty".into());
            })
            .unwrap();
        assert_eq!((state.polls_ok, state.failures), (2, 1));
        assert_eq!(state.etag.as_deref(), Some("\"abc\""), "the rest kept");
        assert_eq!(store.source_state("s").unwrap(), state);
        assert_eq!(store.reopen().source_state("s").unwrap(), state, "kept on disk");
    }

    /// Changes from several threads at once are each applied: none is lost to another's
    /// write (the poller and the WebSub receiver may change one source together).
    fn concurrent_changes_are_all_applied(backend: Backend) {
        let store = backend.store();
        let store = &*store;
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        store.update_source_state("s", |st| st.failures += 1).unwrap();
                    }
                });
            }
        });
        assert_eq!(store.source_state("s").unwrap().failures, 100);
    }
}
