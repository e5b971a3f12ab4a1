//! The store's contract, written once against the public [`Store`] API and run on every
//! backend: each test in a [`store_tests!`] block becomes `NAME::sled` and
//! `NAME::postgres` (a fresh database on the tests' PostgreSQL server, see
//! `support::pg`), so `cargo test store::` runs both and `cargo test postgres` only the
//! latter. Whatever holds for one backend must hold for the other.
//!
//! What only one backend can show (sled's on-disk encodings and keys, its lock on the data
//! directory) stays beside its code.

use chrono::{DateTime, SubsecRound, Utc};
use std::ops::Deref;
use tidings::model::{Item, ItemStatus, PubDate};
use tidings::store::{Delivery, Held, ItemRef, Payload, Store, Target};

/// Expands each `fn name(backend: Backend) { … }` into a module `name` with one test per
/// backend; the PostgreSQL one is ignored where `build.rs` found no PostgreSQL.
macro_rules! store_tests {
    ($($(#[$attr:meta])* fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            $(#[$attr])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn run($backend: $crate::store::Backend) $body

                #[test]
                fn sled() {
                    run($crate::store::Backend::Sled)
                }

                #[test]
                #[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
                fn postgres() {
                    run($crate::store::Backend::Postgres)
                }
            }
        )*
    };
}

// After the macro, which is in scope only below its definition.
mod chats;
mod items;
mod outbox;
mod retention;
mod server;
mod sources;
mod subscribers;
mod websub;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// sled in a temporary directory.
    Sled,
    /// A fresh database on the tests' PostgreSQL server.
    Postgres,
}

/// A store that a test opened, with what it lives in (dropped after it).
pub struct TestStore {
    store: Store,
    place: Place,
}

enum Place {
    Dir(tempfile::TempDir),
    Url(String),
}

impl Backend {
    /// A new, empty store.
    pub fn store(self) -> TestStore {
        let place = match self {
            Backend::Sled => Place::Dir(tempfile::tempdir().unwrap()),
            Backend::Postgres => Place::Url(crate::support::pg::database()),
        };
        TestStore {
            store: open(&place),
            place,
        }
    }
}

fn open(place: &Place) -> Store {
    match place {
        Place::Dir(dir) => Store::open(dir.path()).unwrap(),
        Place::Url(url) => Store::postgres(url).unwrap_or_else(|e| {
            panic!(
                "opening the store at {}: {e}",
                crate::support::pg::redacted(url)
            )
        }),
    }
}

impl TestStore {
    /// Close the store and open the same database again (a restart).
    pub fn reopen(self) -> TestStore {
        let TestStore { store, place } = self;
        drop(store);
        TestStore {
            store: open(&place),
            place,
        }
    }
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// The time now, to the millisecond: what every backend keeps of a time (PostgreSQL's
/// timestamps stop at microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// An item of `source` with id `id` and revision `revision`, first seen at `first_seen`,
/// published `published` seconds after 2022-09-10 00:00 UTC (or undated).
pub fn item(
    source: &str,
    id: &str,
    revision: u64,
    first_seen: DateTime<Utc>,
    published: Option<i64>,
) -> Item {
    let base = DateTime::parse_from_rfc3339("2022-09-10T00:00:00+00:00").unwrap();
    Item {
        source: source.into(),
        id: id.into(),
        url: Some(format!("http://example.org/{source}/{id}.html")),
        title: format!("{id} 第{revision}版"),
        subtitle: None,
        published: published.map(|s| PubDate::Instant(base + chrono::Duration::seconds(s))),
        updated: None,
        author: Some("谢慧变".into()),
        origin: Some("天山网".into()),
        summary: None,
        content_text: Some(format!("{id} 的内容，第{revision}版")),
        content_html: Some(format!("<p>{id} 的内容，第{revision}版</p>")),
        first_seen,
        revision,
    }
}

/// The email target of `a@example.org` on list `daily`.
pub fn email() -> Target {
    email_of("a@example.org")
}

pub fn email_of(address: &str) -> Target {
    Target::Email {
        list: "daily".into(),
        address: address.into(),
    }
}

/// What a delivery of item `id` of source `s` carries.
pub fn held(source: &str, id: &str) -> Held {
    Held {
        item: ItemRef {
            source: source.into(),
            id: id.into(),
        },
        status: ItemStatus::New,
        keyword: None,
    }
}

/// A delivery of item `what` (of source `s`) to `target`.
pub fn delivery(target: &Target, what: &str) -> Delivery {
    Delivery {
        id: tidings::store::delivery_id(target, what),
        target: target.clone(),
        payload: Payload::Item(held("s", what)),
        created: now(),
        attempts: 0,
        last_error: None,
    }
}
