//! The HTTP server: feeds, OPML, the status page, health and metrics.
//!
//! - [`feeds`]: `/feeds/{id}.{atom,rss,json}` and `/opml`, with ETag/Last-Modified and
//!   304 answers, served from [`crate::publish::cache`].
//! - [`status`]: `/`, the operator's dashboard.
//! - [`health`]: `/healthz`, from the scheduler's heartbeat and the store.
//! - [`metrics`]: `/metrics`, the process-wide Prometheus recorder.
//! - [`subscribe`]: the public sign-up, confirm and unsubscribe pages.
//! - [`admin`]: the admin API (loopback + bearer token) behind `tidings subscribers` and
//!   `tidings chats list`.
//! - `listen`: the accept loop with the `[server]` limits (header timeout, connection cap);
//!   `harden`: security headers on every answer, the whole-request timeout.
//! - `websub`: our WebSub hub (`POST /websub`) and our subscriber callbacks
//!   (`/websub/callback/{source}`).

pub mod admin;
mod feeds;
mod harden;
mod health;
mod limit;
mod listen;
pub mod metrics;
mod status;
mod subscribe;
mod websub;

pub use health::Health;

use crate::config::{Config, LiveConfig};
use crate::poll::Poller;
use crate::publish::cache::FeedCache;
use crate::store::Store;
use crate::templates::Templates;
use crate::websub::WebSub;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sign-ups one client address may make per window.
const SIGNUPS_PER_WINDOW: u32 = 5;
const SIGNUP_WINDOW: Duration = Duration::from_secs(600);
/// WebSub hub requests one client address may make per window.
const HUB_REQUESTS_PER_WINDOW: u32 = 60;

/// What the server needs from the daemon.
pub struct ServerState {
    /// The configuration in force (replaced when the daemon reloads its file).
    pub config: LiveConfig,
    pub store: Arc<Store>,
    pub health: Arc<Health>,
    pub templates: Arc<Templates>,
    /// Woken when a request queued mail (a confirmation).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The WebSub hub and subscriber.
    pub websub: Arc<WebSub>,
    /// Handles the bodies hubs push to us; without it pushes are refused (503).
    pub poller: Option<Poller>,
}

impl ServerState {
    /// A server with the embedded templates and a wake handle nobody waits on (tests,
    /// benchmarks; the daemon sets both).
    pub fn new(
        config: impl Into<LiveConfig>,
        store: Arc<Store>,
        health: Arc<Health>,
    ) -> ServerState {
        let config = config.into();
        ServerState {
            websub: Arc::new(WebSub::new(
                config.clone(),
                store.clone(),
                tokio_util::task::TaskTracker::new(),
                CancellationToken::new(),
            )),
            config,
            store,
            health,
            templates: Arc::new(Templates::embedded()),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            poller: None,
        }
    }
}

/// Shared by every handler: the daemon's state plus what the server keeps itself.
/// (Not `crate::app`, which runs the daemon.)
struct Shared {
    config: LiveConfig,
    /// The configuration generation the feed cache was built under.
    cache_generation: std::sync::atomic::AtomicU64,
    store: Arc<Store>,
    health: Arc<Health>,
    cache: FeedCache,
    metrics: &'static metrics_exporter_prometheus::PrometheusHandle,
    templates: Arc<Templates>,
    outbox_wake: Arc<tokio::sync::Notify>,
    signups: limit::IpLimiter,
    websub: Arc<WebSub>,
    poller: Option<Poller>,
    /// Hub requests per client address (each may make us call a callback).
    hub_requests: limit::IpLimiter,
}

impl Shared {
    /// The configuration in force; a handler takes it once and keeps it to the end.
    fn config(&self) -> Arc<Config> {
        self.config.get()
    }

    /// Drop the cached feeds when the configuration was replaced: a feed's filters,
    /// limit or title may have changed while its sources did not.
    fn cache_for_config(&self) -> &FeedCache {
        use std::sync::atomic::Ordering;
        let now = self.config.generation();
        if self.cache_generation.swap(now, Ordering::AcqRel) != now {
            self.cache.clear();
        }
        &self.cache
    }
}

/// The routes, ready to serve.
fn router(state: ServerState) -> Router {
    let config = state.config.get();
    let limits = config.server.clone();
    let public = config.daemon.public_url.origin().ascii_serialization();
    let csp = harden::content_security_policy(&public)
        .parse::<axum::http::HeaderValue>()
        .unwrap_or_else(|_| {
            // An origin is ASCII without control characters: always a valid header.
            axum::http::HeaderValue::from_static("default-src 'none'")
        });
    let shared = Arc::new(Shared {
        cache_generation: std::sync::atomic::AtomicU64::new(state.config.generation()),
        config: state.config,
        store: state.store,
        health: state.health,
        cache: FeedCache::new(),
        metrics: metrics::handle(),
        templates: state.templates,
        outbox_wake: state.outbox_wake,
        signups: limit::IpLimiter::new(SIGNUPS_PER_WINDOW, SIGNUP_WINDOW),
        websub: state.websub,
        poller: state.poller,
        hub_requests: limit::IpLimiter::new(HUB_REQUESTS_PER_WINDOW, SIGNUP_WINDOW),
    });
    let push_limit = shared.config().fetch.max_body_bytes;
    let websub = Router::new()
        .route(
            "/websub/callback/{source}",
            get(websub::verify).post(websub::push),
        )
        .layer(DefaultBodyLimit::max(
            usize::try_from(push_limit).unwrap_or(usize::MAX),
        ));
    let forms = Router::new()
        .route(
            "/subscribe/{list}",
            get(subscribe::show_form).post(subscribe::sign_up),
        )
        .route("/confirm", get(subscribe::confirm))
        .route(
            "/unsubscribe",
            get(subscribe::unsubscribe_page).post(subscribe::unsubscribe),
        )
        .route(
            "/admin/subscribers",
            get(admin::list).post(admin::add).delete(admin::remove),
        )
        .route("/admin/chats", get(admin::chats))
        .route("/websub", axum::routing::post(websub::hub))
        .layer(DefaultBodyLimit::max(limits.max_form_bytes));
    let timeout = limits.request_timeout();
    Router::new()
        .route("/", get(status::page))
        .route("/feeds/{file}", get(feeds::feed))
        .route("/opml", get(feeds::opml))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
        .merge(forms)
        .merge(websub)
        .with_state(shared)
        .layer(axum::middleware::from_fn(move |req, next| {
            harden::deadline(timeout, req, next)
        }))
        .layer(axum::middleware::from_fn(move |req, next| {
            harden::headers(csp.clone(), req, next)
        }))
}

/// Serve until `cancel` fires, then finish the requests in flight and return. The
/// `[server]` limits are read once here (a reload does not change them).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let limits = state.config.get().server.clone();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            %addr,
            max_connections = limits.max_connections,
            header_timeout_secs = limits.header_timeout_secs,
            request_timeout_secs = limits.request_timeout_secs,
            "serving feeds"
        );
    }
    listen::accept_loop(listener, router(state), &limits, cancel).await
}
