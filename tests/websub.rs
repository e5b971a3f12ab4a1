//! WebSub over loopback: Tidings as the hub of its feeds (a test subscriber subscribes,
//! echoes the challenge, and receives signed pushes), as a publisher to an external hub,
//! and as a subscriber to a hub written here.
//!
//! The daemon is assembled in-process the way `tidings run` assembles it (server,
//! notifier, poller, WebSub), so that a test can poll a source at the moment it chooses
//! and, where leases are concerned, drive the outbox with a later clock.

mod hub;
mod subscriber;

use crate::support::server::{FixtureServer, Reply};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tidings::config::{Config, LiveConfig};
use tidings::notify::Notifier;
use tidings::poll::Poller;
use tidings::server::{Health, ServerState};
use tidings::store::Store;
use tidings::templates::Templates;
use tidings::websub::WebSub;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Query or form parameters, in order.
pub type Params = Vec<(String, String)>;

/// A hang guard, never a speed expectation.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Tidings, assembled as `tidings run` does, over a temporary store.
pub struct Tidings {
    pub addr: SocketAddr,
    pub config: LiveConfig,
    pub store: Arc<Store>,
    pub poller: Poller,
    pub notifier: Arc<Notifier>,
    pub websub: Arc<WebSub>,
    pub client: reqwest::Client,
    cancel: CancellationToken,
    tracker: TaskTracker,
    _dir: tempfile::TempDir,
}

impl Tidings {
    /// Start with `toml` appended to a `[daemon]` section pointing at the server.
    /// `worker`: whether the outbox worker runs by itself (else the test drives it).
    pub async fn start(toml: &str, worker: bool) -> Tidings {
        Tidings::start_with_daemon("", toml, worker).await
    }

    /// [`Tidings::start`] with `daemon` lines added to the `[daemon]` section.
    pub async fn start_with_daemon(daemon: &str, toml: &str, worker: bool) -> Tidings {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = crate::support::config(
            dir.path(),
            &format!(
                "[daemon]\ndata_dir = \"data\"\nlisten = \"{addr}\"\npublic_url = \"http://{addr}\"\n\
                 timezone = \"Asia/Shanghai\"\n{daemon}\n[fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n{toml}"
            ),
        );
        let live = LiveConfig::new(Arc::new(config));
        let store = Arc::new(Store::open(&live.get().daemon.data_dir).unwrap());
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let notifier = Arc::new(
            Notifier::new(live.clone(), store.clone(), Arc::new(Templates::embedded())).unwrap(),
        );
        let websub = Arc::new(WebSub::new(
            live.clone(),
            store.clone(),
            tracker.clone(),
            cancel.child_token(),
        ));
        let mut poller = Poller::new(live.clone(), store.clone()).unwrap();
        poller.outbox_wake = notifier.waker();
        poller.websub = Some(websub.clone());
        let mut state = ServerState::new(live.clone(), store.clone(), Arc::new(Health::new()));
        state.websub = websub.clone();
        state.poller = Some(poller.clone());
        state.outbox_wake = notifier.waker();
        tracker.spawn(tidings::server::serve(
            listener,
            state,
            cancel.child_token(),
        ));
        if worker {
            tracker.spawn(notifier.clone().run(cancel.child_token()));
        }
        Tidings {
            addr,
            config: live,
            store,
            poller,
            notifier,
            websub,
            client: reqwest::Client::new(),
            cancel,
            tracker,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn config(&self) -> Arc<Config> {
        self.config.get()
    }

    /// Poll the configured source `id` now.
    pub async fn poll(&self, id: &str) -> tidings::poll::PollOutcome {
        let source = self.config().source(id).unwrap().clone();
        self.poller
            .poll(&source, false, &CancellationToken::new())
            .await
            .unwrap()
    }

    /// POST a hub request (`hub.*` form fields) to our hub.
    pub async fn hub_request(&self, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(self.url("/websub"))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Wait until `check` holds (re-checked every 10 ms), at most [`PATIENCE`].
    pub async fn until(&self, what: &str, check: impl Fn(&Tidings) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !check(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(PATIENCE, self.tracker.wait())
            .await
            .expect("every task stops");
    }
}

/// An RSS feed of `titles` (newest first), items `a`, `b`… from the end.
pub fn rss(titles: &[&str]) -> String {
    let n = titles.len();
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = n - i;
            format!(
                "<item><title>{t}</title><link>https://news.example.cn/a/{id}.html</link>\
                 <guid>https://news.example.cn/a/{id}.html</guid>\
                 <pubDate>Mon, 0{id} Sep 2024 08:00:00 +0800</pubDate>\
                 <description>{t}：正文。</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>来源</title><link>https://news.example.cn/</link><description>d</description>\
         {items}</channel></rss>"
    )
}

/// A site serving `rss(titles)` at `/feed.xml`.
pub async fn site(titles: &[&str]) -> FixtureServer {
    let site = FixtureServer::start().await;
    site.set(
        "/feed.xml",
        Reply::ok("application/rss+xml; charset=utf-8", rss(titles)),
    );
    site
}

/// The config of one feed source and one feed `news` taking it.
pub fn source_toml(site: &FixtureServer) -> String {
    format!(
        "[[source]]\nid = \"site\"\nurl = \"{}\"\nkind = \"feed\"\n\n[[feed]]\nid = \"news\"\ntitle = \"要闻\"\nsources = [\"*\"]\n",
        site.url("/feed.xml")
    )
}

/// What a subscriber's callback received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
struct SubscriberShared {
    verifications: Arc<Mutex<Vec<Params>>>,
    pushes: Arc<Mutex<Vec<Received>>>,
    /// How it answers verifications: echo the challenge, answer something else, or 404.
    echo: Arc<Mutex<Echo>>,
    /// The status pushes are answered with.
    push_status: Arc<Mutex<u16>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Echo {
    #[default]
    Challenge,
    Wrong,
    NotFound,
}

/// A WebSub subscriber on loopback: `/cb` answers verifications and records pushes.
pub struct TestSubscriber {
    pub addr: SocketAddr,
    shared: SubscriberShared,
}

impl TestSubscriber {
    pub async fn start() -> TestSubscriber {
        let shared = SubscriberShared {
            echo: Arc::new(Mutex::new(Echo::Challenge)),
            push_status: Arc::new(Mutex::new(204)),
            ..Default::default()
        };
        let app = axum::Router::new()
            .route("/cb", axum::routing::get(verify).post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestSubscriber { addr, shared }
    }

    pub fn callback(&self) -> String {
        format!("http://{}/cb", self.addr)
    }

    pub fn echo(&self, how: Echo) {
        *self.shared.echo.lock().unwrap() = how;
    }

    pub fn answer_pushes(&self, status: u16) {
        *self.shared.push_status.lock().unwrap() = status;
    }

    pub fn verifications(&self) -> Vec<Vec<(String, String)>> {
        self.shared.verifications.lock().unwrap().clone()
    }

    pub fn pushes(&self) -> Vec<Received> {
        self.shared.pushes.lock().unwrap().clone()
    }

    /// Wait for the `n`th push (hang guard only).
    pub async fn wait_for_push(&self, n: usize) -> Received {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(p) = self.pushes().get(n - 1) {
                return p.clone();
            }
            assert!(Instant::now() < deadline, "push {n} never arrived");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn verify(
    State(s): State<SubscriberShared>,
    Query(params): Query<Vec<(String, String)>>,
) -> (StatusCode, String) {
    let challenge = param(&params, "hub.challenge").unwrap_or("").to_string();
    s.verifications.lock().unwrap().push(params);
    let echo = *s.echo.lock().unwrap();
    match echo {
        Echo::Challenge => (StatusCode::OK, challenge),
        Echo::Wrong => (StatusCode::OK, "not the challenge".into()),
        Echo::NotFound => (StatusCode::NOT_FOUND, String::new()),
    }
}

async fn receive(State(s): State<SubscriberShared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.pushes.lock().unwrap().push(Received {
        at: Instant::now(),
        headers,
        body,
    });
    StatusCode::from_u16(*s.push_status.lock().unwrap()).unwrap()
}

/// HMAC of `body` with `secret`, hex, computed here rather than by Tidings.
pub fn hmac_hex<M: hmac::Mac + hmac::KeyInit>(secret: &str, body: &[u8]) -> String {
    let mut mac = <M as hmac::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A WebSub hub on loopback: records the forms POSTed to `/hub` (subscription requests,
/// publish pings) and answers them 202.
pub struct TestHub {
    pub addr: SocketAddr,
    forms: Arc<Mutex<Vec<Params>>>,
}

impl TestHub {
    pub async fn start() -> TestHub {
        let forms: Arc<Mutex<Vec<Params>>> = Arc::default();
        let f = forms.clone();
        let app = axum::Router::new().route(
            "/hub",
            axum::routing::post(move |axum::Form(form): axum::Form<Vec<(String, String)>>| {
                let f = f.clone();
                async move {
                    f.lock().unwrap().push(form);
                    StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestHub { addr, forms }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    pub fn forms(&self) -> Vec<Vec<(String, String)>> {
        self.forms.lock().unwrap().clone()
    }

    /// Wait for the `n`th request (hang guard only).
    pub async fn wait_for(&self, n: usize) -> Vec<(String, String)> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(f) = self.forms().get(n - 1) {
                return f.clone();
            }
            assert!(Instant::now() < deadline, "hub request {n} never arrived");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
