//! The notification stage, shared by every channel:
//!
//! ```text
//! store_routed ──(same sled transaction)──▶ outbox ──▶ worker ──▶ channel: email | …
//!    ▲ routing: item → feeds (the filter rule publish uses) → lists → subscribers
//! ```
//!
//! - [`route`]: pure: which deliveries a stored batch creates (no flood on a first poll,
//!   updates only where asked, once per reader, personal keywords, digests held).
//! - [`worker`]: drains due deliveries through the channels, retries, records failures.
//! - [`digest`]: turns held items into one digest per subscriber at each firing.
//! - [`channel`]: the [`Channel`] trait every way of reaching people implements.
//! - [`email`]: the first channel: SMTP with `lettre`.
//! - [`view`]: what a message shows, resolved from the store for the channels.
//!
//! Tokens, sign-ups and unsubscribes are served by [`crate::server`]; the data lives
//! in [`crate::store`].

pub mod channel;
pub mod digest;
pub mod email;
pub mod route;
pub mod status;
pub mod subscription;
pub mod view;
pub mod worker;

pub use channel::{Channel, Outgoing, SendError};
pub use worker::Pass;

use crate::config::LiveConfig;
use crate::store::Store;
use crate::templates::Templates;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// The longest the worker sleeps without looking at the outbox.
const IDLE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Email(#[from] email::EmailSetupError),
}

/// The worker and its channels, built once from the configuration.
pub struct Notifier {
    /// The configuration in force (replaced when the daemon reloads its file). The
    /// channels are built once, from the configuration at start-up.
    pub(crate) config: LiveConfig,
    pub(crate) store: Arc<Store>,
    channels: Vec<Box<dyn Channel>>,
    /// Poked when a poll queued something, or a digest run made deliveries.
    pub(crate) wake: Arc<Notify>,
}

impl Notifier {
    /// The channels the configuration describes.
    pub fn new(
        config: impl Into<LiveConfig>,
        store: Arc<Store>,
        templates: Arc<Templates>,
    ) -> Result<Notifier, NotifyError> {
        let config = config.into();
        let snapshot = config.get();
        let mut channels: Vec<Box<dyn Channel>> = Vec::new();
        if let Some(email) = &snapshot.email {
            channels.push(Box::new(email::EmailChannel::new(
                &snapshot,
                email,
                templates.clone(),
            )?));
        }
        Ok(Notifier::with_channels(config, store, channels))
    }

    /// A worker over channels built elsewhere (tests, benchmarks).
    pub fn with_channels(
        config: impl Into<LiveConfig>,
        store: Arc<Store>,
        channels: Vec<Box<dyn Channel>>,
    ) -> Notifier {
        Notifier {
            config: config.into(),
            store,
            channels,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The handle that wakes the worker (the poller holds one).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The worker loop: a pass whenever woken, when the next retry is due, and at least
    /// once a minute; until cancelled. A send in flight at cancellation is finished.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.deliver_due(&cancel).await {
                warn!(error = %e, "outbox pass failed");
            }
            if cancel.is_cancelled() {
                return;
            }
            let wait = match self.store.next_due() {
                Ok(Some(due)) => (due - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(IDLE),
                _ => IDLE,
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
