//! Telegram chats and group robots, and where each stands (tree `chats`).
//!
//! Key: the target's key (`telegram:-1001234567890`, `webhook:team-dingtalk`) →
//! [`ChatState`]. A chat named in `feeds.toml` gets a row the first time anything happens
//! to it; a chat that subscribed with `/subscribe` lives only here. Deactivation (kicked,
//! blocked, a bad robot token), pauses by a flood limit and migrations to a supergroup
//! are recorded here and shown by `tidings chats list` and the status page.

use super::{Sled, StoreError, decode_or_skip, encode};
use crate::store::Target;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether messages go out to a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Reach {
    /// Messages go out.
    #[default]
    Active,
    /// Nothing goes out any more, and why (the bot was kicked, the chat is gone, the
    /// robot's token is wrong). Queued messages are dropped with this reason.
    Inactive { since: DateTime<Utc>, why: String },
}

/// What kind of chat it is, as far as flood limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    #[default]
    Private,
    Group,
    Robot,
}

/// A chat's subscription to one feed, from `/subscribe <feed> [keywords…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSub {
    pub feed: String,
    /// Only items matching one of these are posted (empty: all).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// One chat or robot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    pub target: Target,
    #[serde(default)]
    pub kind: ChatKind,
    /// The chat's title (groups) or the user's name, as Telegram last told it.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub reach: Reach,
    /// Subscriptions made with bot commands (a `[[chat]]`'s own feeds stay in the file).
    #[serde(default)]
    pub subs: Vec<ChatSub>,
    /// A flood limit (`429 retry_after`, a robot's frequency limit) holds messages until
    /// then.
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
    /// The group became this supergroup: its subscriptions and queue moved there.
    #[serde(default)]
    pub migrated_to: Option<i64>,
    /// The last delivery error, transient or not.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_sent: Option<DateTime<Utc>>,
    /// For robots: a fingerprint of the URL and secret that failed for good; a changed
    /// configuration reactivates the robot.
    #[serde(default)]
    pub config_hash: Option<String>,
    pub created: DateTime<Utc>,
}

impl ChatState {
    pub fn new(target: Target, now: DateTime<Utc>) -> ChatState {
        let kind = match &target {
            Target::Telegram { chat_id } if *chat_id < 0 => ChatKind::Group,
            Target::Webhook { .. } => ChatKind::Robot,
            _ => ChatKind::Private,
        };
        ChatState {
            target,
            kind,
            title: None,
            reach: Reach::Active,
            subs: Vec::new(),
            paused_until: None,
            migrated_to: None,
            last_error: None,
            last_sent: None,
            config_hash: None,
            created: now,
        }
    }

    pub fn is_active(&self) -> bool {
        self.reach == Reach::Active
    }

    /// `active`, `paused until T`, `inactive: why`, for lists and the status page.
    pub fn describe(&self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
        match (&self.reach, self.paused_until) {
            (Reach::Inactive { why, .. }, _) => format!("inactive: {why}"),
            (Reach::Active, Some(until)) if until > now => format!(
                "paused until {} by a flood limit",
                until.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S")
            ),
            (Reach::Active, _) => "active".to_string(),
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Active => f.write_str("active"),
            Reach::Inactive { why, .. } => write!(f, "inactive: {why}"),
        }
    }
}

impl Sled {
    /// A chat's state (`None` also when the stored value is unreadable: logged; the
    /// next change writes a fresh row over it).
    pub fn chat(&self, target: &Target) -> Result<Option<ChatState>, StoreError> {
        let key = target.key();
        Ok(self
            .chats
            .get(key.as_bytes())?
            .and_then(|b| decode_or_skip("chats", key.as_bytes(), &b)))
    }

    /// Every chat and robot the store knows, in key order. Unreadable rows are logged and
    /// skipped.
    pub fn chats(&self) -> Result<Vec<ChatState>, StoreError> {
        let mut out = Vec::new();
        for entry in self.chats.iter() {
            let (key, value) = entry?;
            out.extend(decode_or_skip::<ChatState>("chats", &key, &value));
        }
        Ok(out)
    }

    pub fn put_chat(&self, chat: &ChatState) -> Result<(), StoreError> {
        self.chats
            .insert(chat.target.key().as_bytes(), encode(chat))?;
        self.db.flush()?;
        Ok(())
    }

    /// Change a chat in place, creating its row first when there is none. Returns it.
    pub fn update_chat(
        &self,
        target: &Target,
        change: impl FnOnce(&mut ChatState),
    ) -> Result<ChatState, StoreError> {
        let mut chat = self
            .chat(target)?
            .unwrap_or_else(|| ChatState::new(target.clone(), Utc::now()));
        change(&mut chat);
        self.put_chat(&chat)?;
        Ok(chat)
    }

    /// Where messages for `target` go now: a group that became a supergroup is followed
    /// (a few hops at most; a loop stops there).
    pub fn follow_migration(&self, target: &Target) -> Result<Target, StoreError> {
        let mut current = target.clone();
        for _ in 0..4 {
            match self.chat(&current)?.and_then(|c| c.migrated_to) {
                Some(to) => current = Target::Telegram { chat_id: to },
                None => break,
            }
        }
        Ok(current)
    }
}

/// An operator alert that is open (tree `alerts`: incident key → this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub title: String,
    pub detail: String,
    pub opened: DateTime<Utc>,
}

impl Sled {
    /// Open incidents, by key.
    pub fn incidents(&self) -> Result<Vec<(String, Incident)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.alerts.iter() {
            let (k, v) = entry?;
            if let Some(i) = decode_or_skip::<Incident>("alerts", &k, &v) {
                out.push((String::from_utf8_lossy(&k).into_owned(), i));
            }
        }
        Ok(out)
    }

    /// Open (`Some`) or close (`None`) an incident.
    pub fn set_incident(&self, key: &str, incident: Option<&Incident>) -> Result<(), StoreError> {
        match incident {
            Some(i) => self.alerts.insert(key.as_bytes(), encode(i))?,
            None => self.alerts.remove(key.as_bytes())?,
        };
        self.db.flush()?;
        Ok(())
    }
}
