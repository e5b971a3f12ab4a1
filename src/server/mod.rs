//! The HTTP server: feeds, OPML, the status page, health and metrics.
//!
//! - [`feeds`]: `/feeds/{id}.{atom,rss,json}` and `/opml`, with ETag/Last-Modified and
//!   304 answers, served from [`crate::publish::cache`].
//! - [`status`]: `/`, the operator's dashboard.
//! - [`health`]: `/healthz`, from the scheduler's heartbeat and the store.
//! - [`metrics`]: `/metrics`, the process-wide Prometheus recorder.

mod feeds;
mod health;
pub mod metrics;
mod status;

pub use health::Health;

use crate::config::Config;
use crate::publish::cache::FeedCache;
use crate::store::Store;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What the server needs from the daemon.
pub struct ServerState {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub health: Arc<Health>,
}

/// Shared by every handler: the daemon's state plus what the server keeps itself.
/// (Not `crate::app`, which runs the daemon.)
struct Shared {
    config: Arc<Config>,
    store: Arc<Store>,
    health: Arc<Health>,
    cache: FeedCache,
    pages: status::Pages,
    metrics: &'static metrics_exporter_prometheus::PrometheusHandle,
}

/// The routes, ready to serve.
fn router(state: ServerState) -> Router {
    let shared = Arc::new(Shared {
        config: state.config,
        store: state.store,
        health: state.health,
        cache: FeedCache::new(),
        pages: status::Pages::new(),
        metrics: metrics::handle(),
    });
    Router::new()
        .route("/", get(status::page))
        .route("/feeds/{file}", get(feeds::feed))
        .route("/opml", get(feeds::opml))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
        .with_state(shared)
}

/// Serve until `cancel` fires, then finish the requests in flight and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving feeds");
    }
    axum::serve(listener, router(state))
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}
