//! What every channel is to the worker: something that sends one rendered [`Outgoing`]
//! message and says whether a failure is worth retrying.

use super::view::Content;
use crate::store::Target;
use futures_util::future::BoxFuture;
use std::time::Duration;

/// One message on its way to one target.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The delivery id (deterministic: a resend is recognisable, e.g. as `Message-ID`).
    pub id: String,
    pub target: Target,
    pub content: Content,
    /// Where the recipient leaves (email: the one-click unsubscribe link).
    pub unsubscribe_url: Option<String>,
}

/// Why a send failed, and what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: connection refused, timeout, SMTP 4xx, HTTP 5xx, 429.
    #[error("{message}")]
    Transient {
        message: String,
        /// The remote said when to come back.
        retry_after: Option<Duration>,
    },
    /// Will never work as it is: address rejected (SMTP 5xx), bot removed, bad token.
    #[error("{message}")]
    Permanent { message: String },
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError::Permanent {
            message: message.into(),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }
}

/// A way to reach targets: email, Telegram, a robot. Channels know nothing of sources
/// or the store; the worker hands them resolved messages.
pub trait Channel: Send + Sync {
    /// Whether this channel delivers to `target`.
    fn handles(&self, target: &Target) -> bool;

    /// Render and send one message. Returns once the remote accepted it (or refused).
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>>;
}
