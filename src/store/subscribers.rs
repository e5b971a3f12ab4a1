//! Email subscribers and their tokens.
//!
//! Trees:
//! - `subscribers`: (list, 0, address) → [`Subscriber`].
//! - `tokens`: token → [`Token`]: single-use confirmation tokens (they expire) and each
//!   subscriber's standing unsubscribe token.
//!
//! Addresses are stored as given but keyed in lower case, so `A@Example.org` and
//! `a@example.org` are one subscriber.

use super::{Sled, StoreError, decode_or_skip, encode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberState {
    /// Signed up, confirmation mail sent, not confirmed yet: receives nothing else.
    Pending,
    /// Confirmed (or added by the operator): receives the list.
    Active,
    /// Left the list: receives nothing.
    Unsubscribed,
    /// The mail server refused the address for good: receives nothing until re-added.
    Bouncing,
}

impl fmt::Display for SubscriberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubscriberState::Pending => "pending",
            SubscriberState::Active => "active",
            SubscriberState::Unsubscribed => "unsubscribed",
            SubscriberState::Bouncing => "bouncing",
        })
    }
}

/// One address on one list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub list: String,
    pub address: String,
    pub state: SubscriberState,
    /// Personal keywords: only items matching one of them are sent (empty: all).
    #[serde(default)]
    pub keywords: Vec<String>,
    pub created: DateTime<Utc>,
    pub confirmed: Option<DateTime<Utc>>,
    /// The standing token of the unsubscribe link in every mail.
    pub unsubscribe_token: String,
    /// When the last confirmation mail was queued (at most one an hour per address).
    #[serde(default)]
    pub confirm_sent: Option<DateTime<Utc>>,
    /// The last permanent delivery error (why the address is bouncing).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// What a token is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "lowercase")]
pub enum Token {
    /// Confirms a pending subscription; single use, expires.
    Confirm {
        list: String,
        address: String,
        expires: DateTime<Utc>,
    },
    /// Unsubscribes; valid as long as the subscription exists.
    Unsubscribe { list: String, address: String },
}

fn key(list: &str, address: &str) -> Vec<u8> {
    let mut k = list.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(address.to_lowercase().as_bytes());
    k
}

/// A fresh random token: 32 bytes from the OS generator, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

impl Sled {
    /// One subscriber (`None` also when the stored value is unreadable: logged).
    pub fn subscriber(&self, list: &str, address: &str) -> Result<Option<Subscriber>, StoreError> {
        let key = key(list, address);
        Ok(self
            .subscribers
            .get(&key)?
            .and_then(|b| decode_or_skip("subscribers", &key, &b)))
    }

    /// Subscribers of `list` (or of every list), in key order. Unreadable rows are logged
    /// and skipped.
    pub fn subscribers(&self, list: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        let prefix = list.map(|l| key(l, "")).unwrap_or_default();
        let mut out = Vec::new();
        for entry in self.subscribers.scan_prefix(prefix) {
            let (key, value) = entry?;
            out.extend(decode_or_skip::<Subscriber>("subscribers", &key, &value));
        }
        Ok(out)
    }

    /// Write a subscriber, and its unsubscribe token.
    pub fn put_subscriber(&self, s: &Subscriber) -> Result<(), StoreError> {
        self.subscribers
            .insert(key(&s.list, &s.address), encode(s))?;
        self.tokens.insert(
            s.unsubscribe_token.as_bytes(),
            encode(&Token::Unsubscribe {
                list: s.list.clone(),
                address: s.address.clone(),
            }),
        )?;
        self.db.flush()?;
        Ok(())
    }

    /// Change a subscriber in place; `None` when there is none.
    pub fn update_subscriber(
        &self,
        list: &str,
        address: &str,
        change: impl FnOnce(&mut Subscriber),
    ) -> Result<Option<Subscriber>, StoreError> {
        let Some(mut s) = self.subscriber(list, address)? else {
            return Ok(None);
        };
        change(&mut s);
        self.put_subscriber(&s)?;
        Ok(Some(s))
    }

    /// Delete a subscriber and its tokens. Returns whether there was one.
    pub fn remove_subscriber(&self, list: &str, address: &str) -> Result<bool, StoreError> {
        let Some(s) = self.subscriber(list, address)? else {
            return Ok(false);
        };
        self.subscribers.remove(key(list, address))?;
        self.tokens.remove(s.unsubscribe_token.as_bytes())?;
        self.db.flush()?;
        Ok(true)
    }

    pub fn put_token(&self, token: &str, t: &Token) -> Result<(), StoreError> {
        self.tokens.insert(token.as_bytes(), encode(t))?;
        self.db.flush()?;
        Ok(())
    }

    /// What a token is for (`None` also when unreadable: logged).
    pub fn token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        Ok(self
            .tokens
            .get(token.as_bytes())?
            .and_then(|b| decode_or_skip("tokens", token.as_bytes(), &b)))
    }

    /// Remove a token (a confirmation is single use).
    pub fn take_token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        let old = self.tokens.remove(token.as_bytes())?;
        self.db.flush()?;
        Ok(old.and_then(|b| decode_or_skip("tokens", token.as_bytes(), &b)))
    }
}
