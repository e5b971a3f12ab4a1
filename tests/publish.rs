//! Publishing over HTTP: the server runs in-process on `127.0.0.1:0` over a temporary
//! sled store, and is read back with reqwest, feed-rs, Python's feedparser (an
//! independent client) and headless Chromium (the status page).
//!
//! External tools: `$TIDINGS_PYTHON` (default `python3`) with `feedparser` importable,
//! `$TIDINGS_CHROMIUM` (default: `chromium` on `PATH`). The tests needing one are built
//! ignored where `build.rs` did not find it (`cfg(no_feedparser)`, `cfg(no_chromium)`),
//! unless `TIDINGS_REQUIRE_TOOLS=1`; run without it, they fail.

mod end_to_end;
mod formats;
mod http;
mod merged;
mod status;

use chrono::{DateTime, FixedOffset, Utc};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tidings::config::{Config, FeedConfig, Filter, SourceConfig};
use tidings::model::{Item, PubDate};
use tidings::server::{Health, ServerState};
use tidings::store::Store;
use tokio_util::sync::CancellationToken;

/// A running server over its own store.
pub struct Server {
    pub addr: SocketAddr,
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub health: Arc<Health>,
    pub client: reqwest::Client,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Start a server; `setup` gets the config (with `public_url` already pointing at the
    /// server) to add sources and feeds, and the store to fill.
    pub async fn start(setup: impl FnOnce(&mut Config, &Store)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = base_config(listener.local_addr().unwrap());
        setup(&mut config, &store);
        Server::start_with(listener, config, store, dir)
    }

    /// Start a server for a loaded config over an opened store, on `listener`.
    pub fn start_with(
        listener: tokio::net::TcpListener,
        config: Config,
        store: Store,
        dir: tempfile::TempDir,
    ) -> Server {
        let addr = listener.local_addr().unwrap();
        let config = Arc::new(config);
        let store = Arc::new(store);
        let health = Arc::new(Health::new());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(tidings::server::serve(
            listener,
            ServerState::new(config.clone(), store.clone(), health.clone()),
            cancel.clone(),
        ));
        Server {
            addr,
            config,
            store,
            health,
            client: reqwest::Client::new(),
            cancel,
            task,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    /// Cancel and wait for the graceful shutdown to finish.
    pub async fn stop(self) {
        self.cancel.cancel();
        let result = tokio::time::timeout(std::time::Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10 s of cancel");
        result.unwrap().unwrap();
    }
}

/// A config with only the daemon section, its public URL pointing at `addr`; tests add
/// sources and feeds as values.
pub fn base_config(addr: SocketAddr) -> Config {
    let text = format!(
        "[daemon]\nlisten = \"{addr}\"\npublic_url = \"http://{addr}\"\ntimezone = \"Asia/Shanghai\"\n"
    );
    Config::parse(&text, std::path::Path::new("feeds.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// A source as `[[source]]` in feeds.toml declares it (read by the real loader, so the
/// tests follow the config's defaults).
pub fn source(id: &str, title: &str) -> SourceConfig {
    let text = format!(
        "[[source]]\nid = \"{id}\"\nurl = \"https://www.example.gov.cn/{id}/\"\ntitle = \"{title}\"\n"
    );
    let mut config =
        Config::parse(&text, std::path::Path::new("feeds.toml")).unwrap_or_else(|e| panic!("{e}"));
    config.sources.remove(0)
}

pub fn feed(id: &str, title: &str, sources: &[&str]) -> FeedConfig {
    FeedConfig {
        id: id.into(),
        title: Some(title.into()),
        description: Some(format!("{title}：测试")),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        include: vec![],
        exclude: vec![],
        limit: 50,
    }
}

pub fn keyword(k: &str) -> Filter {
    Filter::Keyword(k.into())
}

pub fn regex(r: &str) -> Filter {
    Filter::Regex(regex::Regex::new(r).unwrap())
}

pub fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// An item as the processing stage would store it.
pub fn item(source: &str, id: &str, title: &str, published: Option<&str>) -> Item {
    Item {
        source: source.into(),
        id: id.into(),
        url: Some(format!("https://www.example.gov.cn/{source}/{id}.html")),
        title: title.into(),
        published: published.map(|p| PubDate::Instant(at(p))),
        updated: None,
        author: None,
        origin: None,
        subtitle: None,
        summary: None,
        content_text: Some(format!("{title}。正文。")),
        content_html: Some(format!("<p>{title}。正文。</p>")),
        first_seen: at("2026-01-01T00:00:00Z").with_timezone(&Utc),
        revision: 1,
    }
}

/// An external tool a test needs, as [`crate::support::probe`] finds it. The test is
/// built ignored where `build.rs` did not find the tool; if it runs without it all the
/// same (the tool went away after the build, ignored tests were asked for, or
/// `TIDINGS_REQUIRE_TOOLS=1`), it fails rather than pass without checking.
pub fn tool<T>(what: &str, found: Result<T, String>) -> T {
    found.unwrap_or_else(|why| {
        panic!(
            "{what} unavailable: {why}; `cargo test` ignores the tests needing it when it \
             is missing at build time, unless TIDINGS_REQUIRE_TOOLS=1"
        )
    })
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/publish")
        .join(name)
}
