//! The rules of an email subscription, shared by the sign-up pages, the admin API and
//! `tidings subscribers`: double opt-in, single-use expiring confirmation tokens, at most
//! one confirmation mail per address an hour, one-click unsubscribe.

use super::worker::queue_confirmation;
use crate::config::Config;
use crate::store::{Store, StoreError, Subscriber, SubscriberState, Target, Token, new_token};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// At most one confirmation mail per address and list in this time (a sign-up form can
/// otherwise be used to mail-bomb a stranger).
pub const CONFIRM_INTERVAL: Duration = Duration::hours(1);
/// Personal keywords kept per subscriber.
pub const MAX_KEYWORDS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("there is no list \"{0}\"")]
    UnknownList(String),
    #[error("\"{0}\" is not an email address")]
    BadAddress(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An address as stored: trimmed, checked by the same parser mails are built with.
pub fn normalise_address(address: &str) -> Result<String, SubscriptionError> {
    let a = address.trim();
    if a.len() > 254 || a.contains(['<', '>', ',', ' ']) {
        return Err(SubscriptionError::BadAddress(a.to_string()));
    }
    a.parse::<lettre::Address>()
        .map(|_| a.to_string())
        .map_err(|_| SubscriptionError::BadAddress(a.to_string()))
}

/// Keywords as a visitor typed them: split on spaces and commas (ASCII or full-width),
/// deduplicated, bounded.
pub fn parse_keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
    {
        let k: String = k.chars().take(40).collect();
        if !k.is_empty() && !out.contains(&k) && out.len() < MAX_KEYWORDS {
            out.push(k);
        }
    }
    out
}

fn check_list(config: &Config, list: &str) -> Result<(), SubscriptionError> {
    if config.lists.iter().any(|l| l.id == list) {
        Ok(())
    } else {
        Err(SubscriptionError::UnknownList(list.to_string()))
    }
}

/// A sign-up from the web form: the address becomes pending and gets a confirmation
/// mail, unless it is already active (then nothing changes, and the visitor is told the
/// same thing either way) or had one within the hour.
pub fn sign_up(
    store: &Store,
    config: &Config,
    list: &str,
    address: &str,
    keywords: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(), SubscriptionError> {
    check_list(config, list)?;
    let address = normalise_address(address)?;
    let existing = store.subscriber(list, &address)?;
    match existing {
        // Already active, or mailed within the hour: nothing to do, and the visitor is
        // told the same as anyone else.
        Some(s)
            if s.state == SubscriberState::Active
                || s.confirm_sent.is_some_and(|t| now - t < CONFIRM_INTERVAL) =>
        {
            return Ok(());
        }
        Some(mut s) => {
            s.state = SubscriberState::Pending;
            s.keywords = keywords;
            store.put_subscriber(&s)?;
        }
        None => store.put_subscriber(&Subscriber {
            list: list.to_string(),
            address: address.clone(),
            state: SubscriberState::Pending,
            keywords,
            created: now,
            confirmed: None,
            unsubscribe_token: new_token(),
            confirm_sent: None,
            last_error: None,
        })?,
    }
    queue_confirmation(store, list, &address, now)?;
    Ok(())
}

/// What an operator's `subscribers add` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Added {
    /// Active now (`--confirmed`).
    Active,
    /// Pending; a confirmation mail is queued.
    Pending,
    /// Was already active; keywords updated.
    AlreadyActive,
}

/// `tidings subscribers add`: active at once with `confirmed`, else pending with a
/// confirmation mail (the interval does not apply: the operator asked).
pub fn add(
    store: &Store,
    config: &Config,
    list: &str,
    address: &str,
    keywords: Vec<String>,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<Added, SubscriptionError> {
    check_list(config, list)?;
    let address = normalise_address(address)?;
    let mut s = store
        .subscriber(list, &address)?
        .unwrap_or_else(|| Subscriber {
            list: list.to_string(),
            address: address.clone(),
            state: SubscriberState::Pending,
            keywords: Vec::new(),
            created: now,
            confirmed: None,
            unsubscribe_token: new_token(),
            confirm_sent: None,
            last_error: None,
        });
    let was_active = s.state == SubscriberState::Active;
    s.keywords = keywords;
    if was_active {
        store.put_subscriber(&s)?;
        return Ok(Added::AlreadyActive);
    }
    if confirmed {
        s.state = SubscriberState::Active;
        s.confirmed = Some(now);
        s.last_error = None;
        store.put_subscriber(&s)?;
        return Ok(Added::Active);
    }
    s.state = SubscriberState::Pending;
    store.put_subscriber(&s)?;
    queue_confirmation(store, list, &address, now)?;
    Ok(Added::Pending)
}

/// `tidings subscribers remove`: the address off one list or every list. Returns the
/// lists it was removed from.
pub fn remove(
    store: &Store,
    list: Option<&str>,
    address: &str,
) -> Result<Vec<String>, SubscriptionError> {
    let address = address.trim();
    let mut removed = Vec::new();
    for s in store.subscribers(list)? {
        if s.address.eq_ignore_ascii_case(address)
            && store.remove_subscriber(&s.list, &s.address)?
        {
            store.drop_held(&Target::Email {
                list: s.list.clone(),
                address: s.address.clone(),
            })?;
            removed.push(s.list);
        }
    }
    Ok(removed)
}

/// `GET /confirm?token=…`: a valid, unexpired confirmation token activates its
/// subscriber and is used up. `None` for a forged, expired or used token.
pub fn confirm(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Subscriber>, SubscriptionError> {
    let Some(Token::Confirm {
        list,
        address,
        expires,
    }) = store.token(token)?
    else {
        return Ok(None);
    };
    store.take_token(token)?;
    if expires < now {
        return Ok(None);
    }
    Ok(store.update_subscriber(&list, &address, |s| {
        if s.state == SubscriberState::Pending {
            s.state = SubscriberState::Active;
            s.confirmed = Some(now);
        }
    })?)
}

/// The subscriber an unsubscribe token belongs to (to show the confirm button).
pub fn unsubscribe_target(
    store: &Store,
    token: &str,
) -> Result<Option<Subscriber>, SubscriptionError> {
    match store.token(token)? {
        Some(Token::Unsubscribe { list, address }) => Ok(store.subscriber(&list, &address)?),
        _ => Ok(None),
    }
}

/// `POST /unsubscribe?token=…` (RFC 8058 one-click): the subscriber stops receiving the
/// list at once; what was held for their next digest is dropped.
pub fn unsubscribe(store: &Store, token: &str) -> Result<Option<Subscriber>, SubscriptionError> {
    let Some(s) = unsubscribe_target(store, token)? else {
        return Ok(None);
    };
    let s = store.update_subscriber(&s.list, &s.address, |s| {
        s.state = SubscriberState::Unsubscribed;
    })?;
    if let Some(s) = &s {
        store.drop_held(&Target::Email {
            list: s.list.clone(),
            address: s.address.clone(),
        })?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_split_on_any_comma_and_space() {
        assert_eq!(
            parse_keywords("棉花，科协 rust,  Rust"),
            vec!["棉花", "科协", "rust", "Rust"]
        );
        assert!(parse_keywords("  ").is_empty());
        assert_eq!(parse_keywords(&"k ".repeat(50)).len(), 1);
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            normalise_address(" a@example.org ").unwrap(),
            "a@example.org"
        );
        assert!(normalise_address("nobody").is_err());
        assert!(normalise_address("a@b.org, c@d.org").is_err());
        assert!(normalise_address("Name <a@b.org>").is_err());
    }
}
