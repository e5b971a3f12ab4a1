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
    /// This message will never go through as it is (SMTP 5xx: the address is refused;
    /// a chat message the API cannot parse).
    #[error("{message}")]
    Permanent { message: String },
    /// The target is gone for good: the bot was kicked or blocked, the chat does not
    /// exist, the robot's token or signature is refused. Nothing more is sent to it.
    #[error("{message}")]
    Gone { message: String },
    /// Not attempted: the flood limit allows the next message to this target only after
    /// `wait`. Not a failure; the row waits in the outbox.
    #[error("held back by the flood limit for {wait:?}")]
    Deferred { wait: Duration },
    /// The group became a supergroup: send there instead (Telegram's
    /// `migrate_to_chat_id`).
    #[error("the chat moved to {to}")]
    Migrated { to: Target },
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

    pub fn gone(message: impl Into<String>) -> SendError {
        SendError::Gone {
            message: message.into(),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SendError::Transient { .. } | SendError::Deferred { .. } | SendError::Migrated { .. }
        )
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
