//! Routing: which deliveries a stored batch creates. Pure: the configuration, the
//! subscribers and what was stored go in, [`Route`]s come out; the store records them
//! in the same transaction as the items.
//!
//! The rules:
//! - An item goes to a list (chat, robot) when one of the feeds it names takes the item
//!   ([`crate::filter`], the rule the published feeds use).
//! - **No flood**: on a source's first poll only its `notify_existing` newest items are
//!   announced; the rest of the backlog is stored silently.
//! - An **update** is announced only to lists with `notify_updates = true`.
//! - **Once per reader**: a delivery's id hashes the target and the item's canonical URL
//!   (else its source and id), so an article found by two sources, or listed in two
//!   columns, reaches each subscriber once.
//! - Personal keywords narrow a subscriber's list; the matching keyword is kept so the
//!   message can say why it came.
//! - A list with a `schedule` holds items for its digest instead of sending them.
//! - Chats (`[[chat]]` and chats that `/subscribe`d) and robots (`[[webhook]]`) follow
//!   the same rules; they never ask for updates. A chat's `/subscribe` keywords narrow
//!   that feed for it. Inactive chats and robots get nothing; a group that became a
//!   supergroup is reached at its new id.
//! - A batch is routed oldest item first, so that a chat reads it in order.
//! - Each WebSub subscriber of a feed that took something gets one push per batch
//!   holding those items, backlog and updates included, while its lease runs.

use crate::config::{Config, ListConfig};
use crate::filter;
use crate::model::{Item, ItemStatus};
use crate::store::{
    Delivery, Held, HubSubscription, ItemRef, Payload, Route, Store, StoreError, Stored,
    Subscriber, Target, delivery_id,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Who may receive what a poll stores: the active subscribers of every list, and the
/// active chats and robots, read before the poll's transaction.
#[derive(Debug, Default, Clone)]
pub struct Audience {
    subscribers: HashMap<String, Vec<Subscriber>>,
    chats: Vec<ChatAudience>,
    /// Subscribers of our WebSub hub (leases are checked against routing's clock).
    websub: Vec<HubSubscription>,
}

/// One chat or robot and the feeds it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAudience {
    pub target: Target,
    /// `(feed id, keywords)`: keywords narrow that feed (empty: all of it).
    pub feeds: Vec<(String, Vec<String>)>,
    /// It gets digests on a schedule.
    pub digest: bool,
}

impl Audience {
    /// The active subscribers of every configured list, and every active chat and robot.
    pub fn load(store: &Store, config: &Config) -> Result<Audience, StoreError> {
        let mut subscribers = HashMap::new();
        for list in &config.lists {
            subscribers.insert(list.id.clone(), store.active_subscribers(&list.id)?);
        }
        let mut chats: Vec<ChatAudience> = Vec::new();
        for chat in &config.chats {
            let target = store.follow_migration(&Target::Telegram {
                chat_id: chat.chat_id,
            })?;
            chats.push(ChatAudience {
                target,
                feeds: chat.feeds.iter().map(|f| (f.clone(), Vec::new())).collect(),
                digest: chat.schedule.is_some(),
            });
        }
        let states = store.chats()?;
        for state in &states {
            if state.subs.is_empty() || !matches!(state.target, Target::Telegram { .. }) {
                continue;
            }
            let subs = state
                .subs
                .iter()
                .map(|s| (s.feed.clone(), s.keywords.clone()));
            match chats.iter_mut().find(|c| c.target == state.target) {
                Some(c) => c.feeds.extend(subs),
                None => chats.push(ChatAudience {
                    target: state.target.clone(),
                    feeds: subs.collect(),
                    digest: false,
                }),
            }
        }
        for w in &config.webhooks {
            chats.push(ChatAudience {
                target: Target::Webhook { id: w.id.clone() },
                feeds: w.feeds.iter().map(|f| (f.clone(), Vec::new())).collect(),
                digest: w.schedule.is_some(),
            });
        }
        chats.retain(|c| {
            states
                .iter()
                .find(|s| s.target == c.target)
                .is_none_or(|s| s.is_active())
        });
        Ok(Audience {
            subscribers,
            chats,
            websub: store.hub_subscriptions()?,
        })
    }

    /// An audience of chats and robots only (tests, benchmarks).
    pub fn of_chats(chats: Vec<ChatAudience>) -> Audience {
        Audience {
            subscribers: HashMap::new(),
            chats,
            websub: Vec::new(),
        }
    }

    pub fn of(&self, list: &str) -> &[Subscriber] {
        self.subscribers.get(list).map_or(&[], |v| v.as_slice())
    }
}

/// Where a source stands for the no-flood rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backlog {
    /// The source was read before: everything new is news.
    Seen,
    /// The source's first poll: only the `announce` newest items are news.
    First { announce: usize },
}

/// The deliveries for one stored batch of one source.
pub fn plan(
    config: &Config,
    audience: &Audience,
    backlog: Backlog,
    stored: &[Stored],
    now: DateTime<Utc>,
) -> Vec<Route> {
    let news: Vec<&Stored> = match backlog {
        Backlog::Seen => stored.iter().collect(),
        Backlog::First { announce } => {
            let mut fresh: Vec<&Stored> = stored
                .iter()
                .filter(|s| s.status == ItemStatus::New)
                .collect();
            fresh.sort_by_key(|s| std::cmp::Reverse(s.item.sort_time()));
            fresh.truncate(announce);
            fresh
        }
    };
    let mut news = news;
    news.sort_by_key(|s| s.item.sort_time());
    let mut routes = Vec::new();
    for s in news {
        for list in &config.lists {
            if s.status == ItemStatus::Updated && !list.notify_updates {
                continue;
            }
            if !list_takes(config, list, &s.item) {
                continue;
            }
            for sub in audience.of(&list.id) {
                let Ok(keyword) = filter::keyword_match(&sub.keywords, &s.item) else {
                    continue;
                };
                let target = Target::Email {
                    list: list.id.clone(),
                    address: sub.address.clone(),
                };
                routes.push(route(
                    target,
                    list.schedule.is_some(),
                    s,
                    keyword.map(str::to_string),
                    now,
                ));
            }
        }
        if s.status == ItemStatus::Updated {
            continue;
        }
        for chat in &audience.chats {
            if let Some(keyword) = chat_takes(config, chat, &s.item) {
                routes.push(route(chat.target.clone(), chat.digest, s, keyword, now));
            }
        }
    }
    routes.extend(websub_routes(config, audience, stored, now));
    routes
}

/// WebSub: each subscriber of a feed that took any of the batch gets one push holding
/// those items. Unlike people, a subscribing reader wants every change of the feed: a
/// first poll's backlog and updates included.
fn websub_routes(
    config: &Config,
    audience: &Audience,
    stored: &[Stored],
    now: DateTime<Utc>,
) -> Vec<Route> {
    let mut routes = Vec::new();
    for sub in audience.websub.iter().filter(|s| s.is_active(now)) {
        let Some(feed) = config.feeds.iter().find(|f| f.id == sub.feed) else {
            continue;
        };
        let items: Vec<&Stored> = stored
            .iter()
            .filter(|s| filter::feed_accepts(feed, &s.item))
            .collect();
        if items.is_empty() {
            continue;
        }
        let target = Target::WebSub { id: sub.id.clone() };
        let what: Vec<String> = items
            .iter()
            .map(|s| format!("{}\0{}\0{}", s.item.source, s.item.id, s.item.revision))
            .collect();
        routes.push(Route::Send(Delivery {
            id: delivery_id(&target, &format!("feed {}\0{}", feed.id, what.join("\0"))),
            target,
            payload: Payload::Feed {
                feed: feed.id.clone(),
                items: items
                    .iter()
                    .map(|s| ItemRef {
                        source: s.item.source.clone(),
                        id: s.item.id.clone(),
                    })
                    .collect(),
            },
            created: now,
            attempts: 0,
            last_error: None,
        }));
    }
    routes
}

/// Whether a chat takes an item, and the keyword that picked it.
fn chat_takes(config: &Config, chat: &ChatAudience, item: &Item) -> Option<Option<String>> {
    chat.feeds.iter().find_map(|(id, keywords)| {
        let feed = config.feeds.iter().find(|f| f.id == *id)?;
        if !filter::feed_accepts(feed, item) {
            return None;
        }
        filter::keyword_match(keywords, item)
            .ok()
            .map(|k| k.map(str::to_string))
    })
}

/// Whether any feed the list names takes the item.
pub fn list_takes(config: &Config, list: &ListConfig, item: &Item) -> bool {
    list.feeds.iter().any(|id| {
        config
            .feeds
            .iter()
            .find(|f| f.id == *id)
            .is_some_and(|f| filter::feed_accepts(f, item))
    })
}

/// What makes an item the same article for a reader: its canonical URL, else its key.
fn dedup_key(s: &Stored) -> String {
    let base = match &s.item.url {
        Some(url) => format!("url {url}"),
        None => format!("item {}\0{}", s.item.source, s.item.id),
    };
    match s.status {
        ItemStatus::New => base,
        // An update is a message of its own, once per revision.
        ItemStatus::Updated => format!("{base}\0rev {}", s.item.revision),
    }
}

fn route(
    target: Target,
    digest: bool,
    s: &Stored,
    keyword: Option<String>,
    now: DateTime<Utc>,
) -> Route {
    let id = delivery_id(&target, &dedup_key(s));
    let held = Held {
        item: ItemRef {
            source: s.item.source.clone(),
            id: s.item.id.clone(),
        },
        status: s.status,
        keyword,
    };
    if digest {
        Route::Hold {
            target,
            id,
            sort_time: s.item.sort_time(),
            held,
        }
    } else {
        Route::Send(Delivery {
            id,
            target,
            payload: Payload::Item(held),
            created: now,
            attempts: 0,
            last_error: None,
        })
    }
}
