//! Email subscribers and their tokens.

use super::now;
use chrono::Duration;
use tidings::store::{Subscriber, SubscriberState, Token, new_token};

fn subscriber(list: &str, address: &str, state: SubscriberState) -> Subscriber {
    Subscriber {
        list: list.into(),
        address: address.into(),
        state,
        keywords: vec!["棉花".into()],
        created: now(),
        confirmed: None,
        unsubscribe_token: new_token(),
        confirm_sent: None,
        last_error: None,
    }
}

store_tests! {
    /// A subscriber is one per list and address (whatever the address's case), listed
    /// per list or all, changed in place and removed with its unsubscribe token.
    fn subscribers_are_one_per_list_and_address(backend: Backend) {
        let store = backend.store();
        let a = subscriber("daily", "A@Example.org", SubscriberState::Pending);
        store.put_subscriber(&a).unwrap();
        store.put_subscriber(&subscriber("daily", "b@example.org", SubscriberState::Active)).unwrap();
        store.put_subscriber(&subscriber("weekly", "a@example.org", SubscriberState::Active)).unwrap();
        // A list whose name starts like another's is another list.
        store.put_subscriber(&subscriber("daily-2", "c@example.org", SubscriberState::Active)).unwrap();
        assert_eq!(store.subscriber("daily", "a@example.org").unwrap().unwrap(), a);
        assert_eq!(store.subscriber("daily", "A@EXAMPLE.ORG").unwrap().unwrap(), a);
        assert!(store.subscriber("daily", "c@example.org").unwrap().is_none());
        let daily: Vec<String> = store.subscribers(Some("daily")).unwrap().into_iter().map(|s| s.address).collect();
        assert_eq!(daily, ["A@Example.org", "b@example.org"]);
        assert_eq!(store.subscribers(None).unwrap().len(), 4);
        let active: Vec<String> = store.active_subscribers("daily").unwrap().into_iter().map(|s| s.address).collect();
        assert_eq!(active, ["b@example.org"]);

        // Confirmed: the same row, changed.
        let at = now();
        let changed = store
            .update_subscriber("daily", "a@example.org", |s| {
                s.state = SubscriberState::Active;
                s.confirmed = Some(at);
            })
            .unwrap()
            .unwrap();
        assert_eq!(changed.state, SubscriberState::Active);
        assert_eq!(store.subscriber("daily", "A@Example.org").unwrap().unwrap(), changed);
        assert_eq!(store.active_subscribers("daily").unwrap().len(), 2);
        assert!(store.update_subscriber("daily", "nobody@example.org", |_| {}).unwrap().is_none());
        // Written again under another case: still one subscriber.
        let mut again = changed.clone();
        again.address = "a@example.org".into();
        store.put_subscriber(&again).unwrap();
        assert_eq!(store.subscribers(Some("daily")).unwrap().len(), 2);

        // The unsubscribe link works while the subscription exists.
        assert_eq!(
            store.token(&a.unsubscribe_token).unwrap(),
            Some(Token::Unsubscribe { list: "daily".into(), address: "a@example.org".into() })
        );
        assert!(store.remove_subscriber("daily", "A@example.ORG").unwrap());
        assert!(!store.remove_subscriber("daily", "a@example.org").unwrap());
        assert!(store.subscriber("daily", "a@example.org").unwrap().is_none());
        assert!(store.token(&a.unsubscribe_token).unwrap().is_none());
        assert!(store.subscriber("weekly", "a@example.org").unwrap().is_some(), "other lists kept");
    }

    /// A confirmation token is read, and taken once.
    fn a_confirmation_token_is_taken_once(backend: Backend) {
        let store = backend.store();
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, new_token());
        let t = Token::Confirm {
            list: "daily".into(),
            address: "a@example.org".into(),
            expires: now() + Duration::hours(48),
        };
        store.put_token(&token, &t).unwrap();
        assert_eq!(store.token(&token).unwrap(), Some(t.clone()));
        assert_eq!(store.take_token(&token).unwrap(), Some(t));
        assert_eq!(store.take_token(&token).unwrap(), None);
        assert_eq!(store.token(&token).unwrap(), None);
        assert_eq!(store.token("not-a-token").unwrap(), None);
    }

    /// Only one of two simultaneous confirmations with the same token gets it (a double
    /// click, or two replicas).
    fn a_token_taken_twice_at_once_is_taken_once(backend: Backend) {
        let store = backend.store();
        let store = &*store;
        for round in 0..10 {
            let token = format!("tok{round}");
            store.put_token(&token, &Token::Unsubscribe { list: "l".into(), address: "a@b".into() }).unwrap();
            let taken: usize = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| store.take_token(&token).unwrap().is_some() as usize))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            assert_eq!(taken, 1, "round {round}");
        }
    }
}
