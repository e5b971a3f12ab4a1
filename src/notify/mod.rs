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
//! - [`email`]: mails rendered from templates, sent through [`smtp`], a pool of
//!   `lettre` connections with `TCP_NODELAY`.
//! - [`telegram`]: Telegram chats (HTML messages, split at 4,096 units).
//! - [`robot`]: group robots: WeCom, DingTalk, Feishu, Slack, Discord, JSON.
//! - [`flood`]: the scheduler that holds every chat and robot within its flood limits.
//! - [`bot`]: the bot's commands (`/subscribe` …), read by long polling.
//! - [`alerts`]: operator alerts, once per incident and once on recovery.
//! - [`websub`]: WebSub content distribution to the subscribers of our hub.
//! - [`view`]: what a message shows, resolved from the store for the channels.
//!
//! Tokens, sign-ups and unsubscribes are served by [`crate::server`]; the data lives
//! in [`crate::store`].

pub mod alerts;
pub mod bot;
pub mod channel;
pub mod digest;
pub mod email;
pub mod flood;
pub mod robot;
pub mod route;
pub mod smtp;
pub mod status;
pub mod subscription;
pub mod telegram;
pub mod view;
pub mod websub;
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
/// The same with replicas: rows another replica queued, or left when it died and its
/// lease ended, wake nobody here, so the outbox is looked at this often.
const IDLE_SHARED: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Email(#[from] email::EmailSetupError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// An `Arc`'d channel is a channel.
struct SharedChannel<C>(Arc<C>);

impl<C: Channel> Channel for SharedChannel<C> {
    fn handles(&self, target: &crate::store::Target) -> bool {
        self.0.handles(target)
    }

    fn send<'a>(
        &'a self,
        message: &'a Outgoing,
    ) -> futures_util::future::BoxFuture<'a, Result<(), SendError>> {
        self.0.send(message)
    }
}

/// The worker and its channels, built once from the configuration.
pub struct Notifier {
    /// The configuration in force (replaced when the daemon reloads its file). The
    /// channels are built once, from the configuration at start-up.
    pub(crate) config: LiveConfig,
    pub(crate) store: Arc<Store>,
    channels: Vec<Box<dyn Channel>>,
    /// The Telegram channel, shared with the bot's command loop (its replies keep to the
    /// same flood limits).
    pub(crate) telegram: Option<Arc<telegram::TelegramChannel>>,
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
        let telegram = snapshot.telegram.as_ref().map(|t| {
            let mut channel = telegram::TelegramChannel::new(t, templates.clone());
            channel.pacer = crate::store::coord::Pacer::new(&store);
            Arc::new(channel)
        });
        if let Some(t) = &telegram {
            channels.push(Box::new(SharedChannel(t.clone())));
        }
        if !snapshot.webhooks.is_empty() {
            channels.push(Box::new(
                robot::RobotChannel::new(&snapshot.webhooks)
                    .with_pacer(crate::store::coord::Pacer::new(&store)),
            ));
        }
        // Anyone may subscribe to our feeds at our hub: the channel is always there.
        channels.push(Box::new(websub::WebSubChannel::new(config.clone())));
        let mut notifier = Notifier::with_channels(config, store, channels);
        notifier.telegram = telegram;
        notifier.reactivate_robots()?;
        Ok(notifier)
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
            telegram: None,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A robot turned inactive by a refused token or signature comes back when its URL or
    /// secret changed since (the operator fixed it).
    fn reactivate_robots(&self) -> Result<(), crate::store::StoreError> {
        for w in &self.config.get().webhooks {
            let target = crate::store::Target::Webhook { id: w.id.clone() };
            let Some(state) = self.store.chat(&target)? else {
                continue;
            };
            if !state.is_active() && state.config_hash != self.robot_fingerprint(&target) {
                self.store.update_chat(&target, |c| {
                    c.reach = crate::store::Reach::Active;
                    c.last_error = None;
                    c.config_hash = None;
                })?;
                tracing::info!(webhook = %w.id, "robot configuration changed; active again");
            }
        }
        Ok(())
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
            let idle = if self.store.replica().is_some() {
                IDLE_SHARED
            } else {
                IDLE
            };
            let wait = match self.store.next_due() {
                Ok(Some(due)) => (due - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(idle),
                _ => idle,
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
