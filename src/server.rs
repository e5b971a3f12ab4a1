//! The HTTP server. (Skeleton: the full implementation replaces this.)

use crate::config::Config;
use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio_util::sync::CancellationToken;

/// Liveness of the scheduler, as `/healthz` reports it.
pub struct Health {
    last_beat: AtomicI64,
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}

impl Health {
    pub fn new() -> Self {
        Health {
            last_beat: AtomicI64::new(chrono::Utc::now().timestamp()),
        }
    }

    pub fn scheduler_beat(&self) {
        self.last_beat
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }
}

pub struct ServerState {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub health: Arc<Health>,
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let _ = state;
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}
