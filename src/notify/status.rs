//! How each email list stands, for the status page and `/metrics`: subscribers by state,
//! what waits in the outbox, and the addresses that bounce with the server's reason. And
//! how each Telegram chat and group robot stands, for the status page and `tidings chats
//! list` (directly or through the admin API).

use crate::config::Config;
use crate::store::{ChatState, Reach, Store, StoreError, SubscriberState, Target};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bouncing addresses shown per list (the rest are counted).
const SHOWN_BOUNCES: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListStatus {
    pub id: String,
    pub title: String,
    /// The digest schedule, or `None` for one mail per item.
    pub schedule: Option<String>,
    pub active: usize,
    pub pending: usize,
    pub unsubscribed: usize,
    pub bouncing: usize,
    /// Mails waiting in the outbox (due now or later).
    pub queued: usize,
    /// Of those, mails that failed at least once and wait for a retry.
    pub retrying: usize,
    /// Items held for the next digest, over all subscribers.
    pub held: usize,
    /// The last error of a retrying mail (SMTP down, 4xx).
    pub last_error: Option<String>,
    /// `(address, last error)` of bouncing subscribers.
    pub bounces: Vec<(String, String)>,
}

pub fn lists(store: &Store, config: &Config) -> Result<Vec<ListStatus>, StoreError> {
    let mut out = Vec::new();
    for list in &config.lists {
        let subscribers = store.subscribers(Some(&list.id))?;
        let count = |s: SubscriberState| subscribers.iter().filter(|x| x.state == s).count();
        let outbox = store.outbox_counts(&format!("email:{}:", list.id))?;
        out.push(ListStatus {
            id: list.id.clone(),
            title: list.title.clone(),
            schedule: list.schedule.as_ref().map(|s| s.expr.clone()),
            active: count(SubscriberState::Active),
            pending: count(SubscriberState::Pending),
            unsubscribed: count(SubscriberState::Unsubscribed),
            bouncing: count(SubscriberState::Bouncing),
            queued: outbox.queued,
            retrying: outbox.retrying,
            held: outbox.held,
            last_error: outbox.last_error,
            bounces: subscribers
                .iter()
                .filter(|s| s.state == SubscriberState::Bouncing)
                .take(SHOWN_BOUNCES)
                .map(|s| (s.address.clone(), s.last_error.clone().unwrap_or_default()))
                .collect(),
        });
    }
    Ok(out)
}

/// A feed a chat or robot takes, and the keywords that narrow it (none: every item).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatFeed {
    pub feed: String,
    pub keywords: Vec<String>,
    /// `feeds.toml` or `bot` (`/subscribe`).
    pub from: String,
}

/// Where one Telegram chat or group robot stands. The JSON shape of `tidings chats list
/// --json` and `GET /admin/chats`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatStatus {
    /// `telegram:-1001234567890` or `webhook:team-dingtalk`.
    pub target: String,
    /// `telegram` or `webhook`.
    pub channel: String,
    /// The chat id, or the webhook's id.
    pub id: String,
    /// `private` or `group` for chats; the robot's kind (`dingtalk`, `wecom` …).
    pub kind: String,
    /// The chat's title as Telegram last told it.
    pub title: Option<String>,
    /// `active`, `paused`, `inactive` or `migrated`.
    pub state: String,
    /// The state in words: `paused until 2026-12-01 18:00:00 by a flood limit`,
    /// `inactive: Forbidden: bot was kicked …`, `migrated to -100…`.
    pub detail: String,
    pub paused_until: Option<DateTime<Utc>>,
    /// Why nothing goes out any more (inactive or migrated).
    pub why: Option<String>,
    pub inactive_since: Option<DateTime<Utc>>,
    pub migrated_to: Option<i64>,
    /// In `feeds.toml` (`[[chat]]`, `[[webhook]]`), rather than only in the database.
    pub configured: bool,
    pub feeds: Vec<ChatFeed>,
    /// The digest schedule, or `None` for one message per item.
    pub schedule: Option<String>,
    /// Messages waiting in the outbox (due now or later).
    pub queued: usize,
    /// Of those, messages that failed at least once and wait for a retry.
    pub retrying: usize,
    /// Items held for the next digest.
    pub held: usize,
    pub last_error: Option<String>,
    pub last_sent: Option<DateTime<Utc>>,
}

/// Every Telegram chat (`[[chat]]` and bot-subscribed) and every robot (`[[webhook]]`),
/// configured ones first in file order, then the chats only the database knows.
pub fn chats(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Vec<ChatStatus>, StoreError> {
    let tz = config.daemon.timezone;
    let states = store.chats()?;
    let mut out: Vec<ChatStatus> = Vec::new();
    let mut row = |target: &Target| -> Result<usize, StoreError> {
        if let Some(i) = out.iter().position(|c| c.target == target.key()) {
            return Ok(i);
        }
        let state = states
            .iter()
            .find(|s| s.target == *target)
            .cloned()
            .unwrap_or_else(|| ChatState::new(target.clone(), now));
        out.push(status_of(store, &state, now, tz)?);
        Ok(out.len() - 1)
    };
    // Indices into `out`, then the configuration's feeds added.
    let mut configured = Vec::new();
    for chat in &config.chats {
        let named = Target::Telegram {
            chat_id: chat.chat_id,
        };
        let i = row(&named)?;
        configured.push((i, chat.feeds.clone(), chat.schedule.as_ref()));
        // A migrated group's `[[chat]]` now posts to the supergroup.
        let followed = store.follow_migration(&named)?;
        if followed != named {
            let j = row(&followed)?;
            configured.push((j, chat.feeds.clone(), chat.schedule.as_ref()));
        }
    }
    for w in &config.webhooks {
        let i = row(&Target::Webhook { id: w.id.clone() })?;
        configured.push((i, w.feeds.clone(), w.schedule.as_ref()));
    }
    for state in &states {
        row(&state.target)?;
    }
    for (i, feeds, schedule) in configured {
        let c = &mut out[i];
        c.configured = true;
        if c.migrated_to.is_none() {
            let own: Vec<ChatFeed> = feeds
                .into_iter()
                .filter(|f| {
                    !c.feeds
                        .iter()
                        .any(|x| x.feed == *f && x.from == "feeds.toml")
                })
                .map(|feed| ChatFeed {
                    feed,
                    keywords: Vec::new(),
                    from: "feeds.toml".into(),
                })
                .collect();
            c.feeds.splice(0..0, own);
        }
        if c.schedule.is_none() {
            c.schedule = schedule.map(|s| s.expr.clone());
        }
    }
    for c in &mut out {
        if let Some(w) = config
            .webhooks
            .iter()
            .find(|w| format!("webhook:{}", w.id) == c.target)
        {
            c.kind = w.kind.name().to_string();
        }
    }
    Ok(out)
}

fn status_of(
    store: &Store,
    s: &ChatState,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<ChatStatus, StoreError> {
    let counts = store.target_counts(&s.target)?;
    let (channel, id) = match &s.target {
        Target::Telegram { chat_id } => ("telegram", chat_id.to_string()),
        Target::Webhook { id } => ("webhook", id.clone()),
        Target::WebSub { id } => ("websub", id.clone()),
        Target::Email { address, .. } => ("email", address.clone()),
    };
    let kind = match s.kind {
        crate::store::ChatKind::Private => "private",
        crate::store::ChatKind::Group => "group",
        crate::store::ChatKind::Robot => "robot",
    };
    let paused = s.paused_until.filter(|u| *u > now && s.is_active());
    let (state, detail) = match (&s.reach, s.migrated_to) {
        (_, Some(to)) => ("migrated", format!("migrated to {to}")),
        (Reach::Inactive { .. }, None) => ("inactive", s.describe(now, tz)),
        (Reach::Active, None) if paused.is_some() => ("paused", s.describe(now, tz)),
        (Reach::Active, None) => ("active", "active".to_string()),
    };
    let (why, inactive_since) = match &s.reach {
        Reach::Inactive { since, why } => (Some(why.clone()), Some(*since)),
        Reach::Active => (None, None),
    };
    Ok(ChatStatus {
        target: s.target.key(),
        channel: channel.into(),
        id,
        kind: kind.into(),
        title: s.title.clone(),
        state: state.into(),
        detail,
        paused_until: paused,
        why,
        inactive_since,
        migrated_to: s.migrated_to,
        configured: false,
        feeds: s
            .subs
            .iter()
            .map(|sub| ChatFeed {
                feed: sub.feed.clone(),
                keywords: sub.keywords.clone(),
                from: "bot".into(),
            })
            .collect(),
        schedule: None,
        queued: counts.queued,
        retrying: counts.retrying,
        held: counts.held,
        last_error: s.last_error.clone().or(counts.last_error),
        last_sent: s.last_sent,
    })
}
