//! Publishing over HTTP: the server runs in-process on `127.0.0.1:0` over a temporary
//! sled store, and is read back with reqwest, feed-rs, Python's feedparser (an
//! independent client) and headless Chromium (the status page).
//!
//! External tools: `$TIDINGS_PYTHON` (default `python3`) with `feedparser` importable,
//! `$TIDINGS_CHROMIUM` (default `/usr/bin/chromium`). When one is missing its checks say
//! SKIPPED loudly, unless `TIDINGS_REQUIRE_TOOLS=1`, in which case they fail.

use chrono::{DateTime, FixedOffset, Utc};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tidings::config::{
    Config, DaemonConfig, FeedConfig, FetchConfig, Filter, SourceConfig, SourceKind,
};
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
        let addr = listener.local_addr().unwrap();
        let mut config = base_config(addr);
        setup(&mut config, &store);
        let config = Arc::new(config);
        let store = Arc::new(store);
        let health = Arc::new(Health::new());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(tidings::server::serve(
            listener,
            ServerState {
                config: config.clone(),
                store: store.clone(),
                health: health.clone(),
            },
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

pub fn base_config(addr: SocketAddr) -> Config {
    Config {
        path: PathBuf::from("feeds.toml"),
        daemon: DaemonConfig {
            data_dir: PathBuf::from("data"),
            listen: addr,
            public_url: format!("http://{addr}").parse().unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            schedule: "0 */15 * * * *".parse().unwrap(),
        },
        fetch: FetchConfig::default(),
        sources: vec![],
        feeds: vec![],
        email: None,
        lists: vec![],
        telegram: None,
        chats: vec![],
        webhooks: vec![],
    }
}

pub fn source(id: &str, title: &str) -> SourceConfig {
    SourceConfig {
        id: id.into(),
        url: format!("https://www.example.gov.cn/{id}/").parse().unwrap(),
        title: Some(title.into()),
        kind: SourceKind::Auto,
        schedule: None,
        full_text: Some(false),
        notify_existing: 0,
        select: None,
        timezone: None,
    }
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
        summary: None,
        content_text: Some(format!("{title}。正文。")),
        content_html: Some(format!("<p>{title}。正文。</p>")),
        first_seen: at("2026-01-01T00:00:00Z").with_timezone(&Utc),
        revision: 1,
    }
}

/// An external tool the checks need, or `None` after a loud SKIPPED line (a failure
/// when `TIDINGS_REQUIRE_TOOLS=1`).
pub fn tool_missing(what: &str, why: &str) -> Option<()> {
    if std::env::var("TIDINGS_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{what} is required (TIDINGS_REQUIRE_TOOLS=1) but unavailable: {why}");
    }
    eprintln!("\n*** SKIPPED: {what} unavailable ({why}); set it up or see tests/publish.rs ***\n");
    None
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/publish")
        .join(name)
}

/// The three feed formats, read back by feed-rs and by Python's feedparser.
mod formats {

    use super::*;
    use serde_json::Value;
    use tidings::model::PubDate;
    use tidings::publish::entry_id;

    const TITLE_A: &str = "博州召开棉花产业发展大会";
    const TITLE_B: &str = "AT&T <新> \"引号\" 与 'apos'";

    /// Four items covering what sources give: full metadata, markup-like title and an
    /// `updated` time, text-only content without a date, and a day-only date.
    fn items() -> Vec<Item> {
        let mut a = item("boz", "a", TITLE_A, Some("2022-09-07T10:45:00+08:00"));
        a.author = Some("谢慧变".into());
        a.summary = Some("<p>大会<b>摘要</b></p>".into());
        a.content_html =
            Some(r#"<p>正文第一段。<img src="/img/1.jpg" alt="图"></p><p>第二段。</p>"#.into());
        let mut b = item(
            "boz",
            "b?x=1&y=2",
            TITLE_B,
            Some("2022-09-08T08:00:00+08:00"),
        );
        b.updated = Some(at("2022-09-09T09:00:00+08:00"));
        let mut c = item("boz", "c", "无日期的文章", None);
        c.content_html = None;
        c.content_text = Some("第一行\n第二行 <不是标签>".into());
        c.first_seen = at("2026-01-02T03:04:05Z").with_timezone(&Utc);
        let mut d = item("boz", "d", "只有日期", None);
        d.published = Some(PubDate::Day(
            chrono::NaiveDate::from_ymd_opt(2022, 9, 6).unwrap(),
        ));
        vec![a, b, c, d]
    }

    /// Newest first: c (first seen 2026), b, a, d.
    const ORDER: [&str; 4] = ["c", "b?x=1&y=2", "a", "d"];

    async fn server_with(items: Vec<Item>) -> Server {
        Server::start(|config, store| {
            config.sources.push(source("boz", "区内要闻"));
            config.feeds.push(feed("news", "博州要闻", &["boz"]));
            store.store_batch("boz", items).unwrap();
        })
        .await
    }

    /// What every reader should see for an item.
    struct Expected {
        id: String,
        title: String,
        link: String,
        /// Published as a Unix time (a bare day is midnight UTC), if the item has one.
        published: Option<i64>,
        /// What RSS carries as pubDate: published, else the last change.
        rss_date: i64,
        author: Option<String>,
    }

    fn expected(items: &[Item]) -> Vec<Expected> {
        ORDER
            .iter()
            .map(|id| {
                let i = items.iter().find(|i| i.id == *id).unwrap();
                let published = i.published.map(|p| p.timestamp());
                let changed = i
                    .updated
                    .map(|u| u.timestamp())
                    .or(published)
                    .unwrap_or(i.first_seen.timestamp());
                Expected {
                    id: entry_id(&i.source, &i.id),
                    title: i.title.clone(),
                    link: i.url.clone().unwrap(),
                    published,
                    rss_date: published.unwrap_or(changed),
                    author: i.author.clone(),
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn every_format_parses_back_with_the_stored_items() {
        let items = items();
        let want = expected(&items);
        let server = server_with(items).await;
        for (path, content_type) in [
            ("/feeds/news.atom", "application/atom+xml; charset=utf-8"),
            ("/feeds/news.rss", "application/rss+xml; charset=utf-8"),
            ("/feeds/news.json", "application/feed+json; charset=utf-8"),
        ] {
            let resp = server.get(path).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(resp.headers()["content-type"], content_type, "{path}");
            let body = resp.bytes().await.unwrap();
            // Chinese is written as UTF-8, not as character references or \u escapes.
            let text = std::str::from_utf8(&body).unwrap();
            assert!(text.contains(TITLE_A), "{path}: title not byte-exact");
            assert!(text.contains("谢慧变"), "{path}: author not byte-exact");

            let parsed =
                feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(parsed.title.unwrap().content, "博州要闻", "{path}");
            assert_eq!(parsed.entries.len(), want.len(), "{path}");
            for (got, want) in parsed.entries.iter().zip(&want) {
                assert_eq!(got.id, want.id, "{path}");
                assert_eq!(got.title.as_ref().unwrap().content, want.title, "{path}");
                assert_eq!(got.links[0].href, want.link, "{path}");
                let date = if path.ends_with(".rss") {
                    Some(want.rss_date)
                } else {
                    want.published
                };
                assert_eq!(
                    got.published.map(|t| t.timestamp()),
                    date,
                    "{path} {}",
                    want.id
                );
                let authors: Vec<&str> = got
                    .authors
                    .iter()
                    .filter_map(|p| p.name.as_deref())
                    .collect();
                if let Some(author) = &want.author {
                    assert!(authors.contains(&author.as_str()), "{path}: {authors:?}");
                }
            }
            // Full content is carried, with relative URLs made absolute against the article.
            let a = &parsed.entries[2];
            let content = a.content.as_ref().and_then(|c| c.body.clone()).unwrap();
            assert!(content.contains("正文第一段"), "{path}: {content}");
            assert!(
                content.contains("https://www.example.gov.cn/img/1.jpg"),
                "{path}: {content}"
            );
            // Text-only content arrives as paragraphs, its angle brackets as text.
            let c = parsed.entries[0]
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap();
            assert!(
                c.contains("第一行") && c.contains("&lt;不是标签&gt;"),
                "{path}: {c}"
            );
        }
        server.stop().await;
    }

    #[tokio::test]
    async fn atom_and_rss_satisfy_feedparser() {
        let Some(python) = feedparser_python().await else {
            return;
        };
        let items = items();
        let want = expected(&items);
        let server = server_with(items).await;
        for path in ["/feeds/news.atom", "/feeds/news.rss"] {
            let d = feedparser_dump(&python, &server.get_text(path).await).await;
            assert_eq!(d["bozo"], false, "{path}: {}", d["bozo_exception"]);
            assert_eq!(d["title"], "博州要闻", "{path}");
            assert_eq!(d["self"][0], server.url(path), "{path}: self link");
            let entries = d["entries"].as_array().unwrap();
            assert_eq!(entries.len(), want.len(), "{path}");
            for (got, want) in entries.iter().zip(&want) {
                assert_eq!(got["id"], want.id.as_str(), "{path}");
                assert_eq!(got["title"], want.title.as_str(), "{path}");
                assert_eq!(got["link"], want.link.as_str(), "{path}");
                let date = if path.ends_with(".rss") {
                    Some(want.rss_date)
                } else {
                    want.published
                };
                assert_eq!(got["published"].as_i64(), date, "{path} {}", want.id);
                if let Some(author) = &want.author {
                    assert_eq!(got["author"], author.as_str(), "{path}");
                }
            }
            let a = &entries[2];
            assert!(
                a["content"][0].as_str().unwrap().contains("正文第一段"),
                "{path}"
            );
            assert!(a["summary"].as_str().unwrap().contains("摘要"), "{path}");
        }
        // Atom carries the item's own `updated`.
        let atom = feedparser_dump(&python, &server.get_text("/feeds/news.atom").await).await;
        let b_updated = at("2022-09-09T09:00:00+08:00").timestamp();
        assert_eq!(atom["entries"][1]["updated"].as_i64(), Some(b_updated));
        server.stop().await;
    }

    #[tokio::test]
    async fn json_feed_has_the_fields_and_types_of_version_1_1() {
        let items = items();
        let want = expected(&items);
        let server = server_with(items).await;
        let body = server.get_text("/feeds/news.json").await;
        let feed: Value = serde_json::from_str(&body).unwrap();
        assert_json_feed_1_1(&feed);
        assert_eq!(feed["feed_url"], server.url("/feeds/news.json"));
        let got = feed["items"].as_array().unwrap();
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(got["id"], want.id.as_str());
            assert_eq!(got["title"], want.title.as_str());
            assert_eq!(got["url"], want.link.as_str());
            let published = got["date_published"]
                .as_str()
                .map(|d| DateTime::parse_from_rfc3339(d).unwrap().timestamp());
            assert_eq!(published, want.published, "{}", want.id);
        }
        // The publisher's own offset is kept in the date, not converted to UTC.
        assert_eq!(got[2]["date_published"], "2022-09-07T10:45:00+08:00");
        assert_eq!(got[2]["authors"][0]["name"], "谢慧变");
        assert_eq!(got[2]["summary"], "大会摘要");
        server.stop().await;
    }

    /// The JSON Feed 1.1 spec's required fields and their types.
    pub fn assert_json_feed_1_1(feed: &Value) {
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert!(feed["title"].is_string(), "title is required");
        assert!(feed["items"].is_array(), "items is required");
        for key in ["home_page_url", "feed_url", "description"] {
            assert!(feed.get(key).is_none_or(Value::is_string), "{key}");
        }
        for item in feed["items"].as_array().unwrap() {
            assert!(item["id"].is_string(), "item id is required and a string");
            assert!(
                item["content_html"].is_string() || item["content_text"].is_string(),
                "content_html or content_text is required: {item}"
            );
            for key in ["url", "title", "summary", "content_html", "content_text"] {
                assert!(item.get(key).is_none_or(Value::is_string), "{key}: {item}");
            }
            for key in ["date_published", "date_modified"] {
                if let Some(d) = item.get(key) {
                    DateTime::parse_from_rfc3339(d.as_str().unwrap())
                        .unwrap_or_else(|e| panic!("{key} is not RFC 3339: {d} ({e})"));
                }
            }
            if let Some(authors) = item.get("authors") {
                for a in authors.as_array().unwrap() {
                    assert!(a["name"].is_string(), "author name: {a}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_hostile_entry_comes_out_inert_in_every_format() {
        let mut evil = item("boz", "evil", "危险条目", Some("2022-09-10T08:00:00+08:00"));
        evil.url = Some("javascript:alert(document.cookie)".into());
        evil.summary = Some(r#"<a href="javascript:alert(1)" onclick="steal()">点我</a>"#.into());
        evil.content_html = Some(
            r#"<p onmouseover="steal()">内容<script>alert(1)</script><img src="x.png" onerror="steal()">
            <iframe src="https://evil.example/"></iframe><a href="JaVaScRiPt:alert(2)">链接</a>
            <style>body{display:none}</style><svg onload="steal()"></svg></p>"#
                .into(),
        );
        let server = server_with(vec![evil]).await;
        let python = feedparser_python().await;
        for path in ["/feeds/news.atom", "/feeds/news.rss", "/feeds/news.json"] {
            let body = server.get_text(path).await;
            // Neither raw nor escaped: nothing of the active content is left to re-activate.
            let lower = body.to_lowercase();
            for bad in [
                "<script",
                "&lt;script",
                "alert(",
                "steal(",
                "onerror",
                "onclick",
                "onmouseover",
                "onload",
                "javascript",
                "<iframe",
                "&lt;iframe",
                "<style",
                "&lt;style",
                "<svg",
            ] {
                assert!(!lower.contains(bad), "{path} contains {bad}:\n{body}");
            }
            assert!(
                body.contains("内容") && body.contains("点我"),
                "{path}: text kept"
            );
            let parsed = feed_rs::parser::parse(body.as_bytes()).unwrap();
            assert!(
                parsed.entries[0].links.is_empty(),
                "{path}: a javascript: link is no link"
            );
            if let Some(python) = &python
                && !path.ends_with(".json")
            {
                let d = feedparser_dump(python, &body).await;
                assert_eq!(d["bozo"], false, "{path}");
            }
        }
        server.stop().await;
    }

    /// `$TIDINGS_PYTHON` when it can import feedparser, else a loud skip.
    pub async fn feedparser_python() -> Option<String> {
        let python = std::env::var("TIDINGS_PYTHON").unwrap_or_else(|_| "python3".into());
        let ok = tokio::process::Command::new(&python)
            .args(["-c", "import feedparser"])
            .output()
            .await;
        match ok {
            Ok(out) if out.status.success() => Some(python),
            Ok(out) => tool_missing(
                "Python feedparser",
                &format!("{python}: {}", String::from_utf8_lossy(&out.stderr).trim()),
            )
            .map(|_| python),
            Err(e) => tool_missing("Python feedparser", &format!("{python}: {e}")).map(|_| python),
        }
    }

    pub async fn feedparser_dump(python: &str, feed: &str) -> Value {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), feed).unwrap();
        let out = tokio::process::Command::new(python)
            .arg(fixture("feedparser_dump.py"))
            .arg(file.path())
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// HTTP behaviour: validators and 304, the byte cache, selection, 404, OPML, health,
/// metrics, graceful shutdown.
mod http {

    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

    async fn one_feed(items: Vec<Item>) -> Server {
        Server::start(|config, store| {
            config.sources.push(source("boz", "区内要闻"));
            config.sources.push(source("other", "其他"));
            config.feeds.push(feed("news", "博州要闻", &["boz"]));
            store.store_batch("boz", items).unwrap();
        })
        .await
    }

    fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
        feed.entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect()
    }

    async fn parsed(server: &Server, path: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(server.get_text(path).await.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn etag_and_last_modified_answer_304_until_the_feed_changes() {
        let server = one_feed(vec![item(
            "boz",
            "1",
            "第一条",
            Some("2024-05-01T08:00:00+08:00"),
        )])
        .await;
        for path in ["/feeds/news.atom", "/feeds/news.rss", "/feeds/news.json"] {
            let url = server.url(path);
            let first = server.get(path).await;
            assert_eq!(first.status(), 200);
            let etag = first.headers()[ETAG].to_str().unwrap().to_string();
            let modified = first.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
            assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
            httpdate::parse_http_date(&modified).unwrap();

            let get_with = |name, value: &str| server.client.get(&url).header(name, value).send();
            let resp = get_with(IF_NONE_MATCH, &etag).await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::NOT_MODIFIED,
                "{path}: If-None-Match"
            );
            assert_eq!(resp.headers()[ETAG], etag.as_str());
            assert!(resp.bytes().await.unwrap().is_empty(), "304 has no body");

            let resp = get_with(IF_MODIFIED_SINCE, &modified).await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::NOT_MODIFIED,
                "{path}: If-Modified-Since"
            );
            assert!(resp.bytes().await.unwrap().is_empty(), "304 has no body");

            let resp = get_with(IF_NONE_MATCH, "\"something-else\"").await.unwrap();
            assert_eq!(resp.status(), 200, "{path}: another ETag");
            let earlier = httpdate::fmt_http_date(
                httpdate::parse_http_date(&modified).unwrap() - std::time::Duration::from_secs(60),
            );
            let resp = get_with(IF_MODIFIED_SINCE, &earlier).await.unwrap();
            assert_eq!(resp.status(), 200, "{path}: modified since a minute before");
        }

        // A new item: the old validators no longer match, by either header.
        let old = server.get("/feeds/news.atom").await;
        let (etag, modified) = (
            old.headers()[ETAG].clone(),
            old.headers()[LAST_MODIFIED].clone(),
        );
        server
            .store
            .store_batch(
                "boz",
                vec![item(
                    "boz",
                    "2",
                    "第二条",
                    Some("2024-05-02T08:00:00+08:00"),
                )],
            )
            .unwrap();
        let url = server.url("/feeds/news.atom");
        let resp = server
            .client
            .get(&url)
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_ne!(resp.headers()[ETAG], etag);
        assert!(resp.text().await.unwrap().contains("第二条"));
        let resp = server
            .client
            .get(&url)
            .header(IF_MODIFIED_SINCE, modified)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "Last-Modified moved forward");
        server.stop().await;
    }

    #[tokio::test]
    async fn an_unchanged_feed_is_served_from_cache_and_rebuilt_after_a_new_item() {
        let server = one_feed(vec![item(
            "boz",
            "1",
            "第一条",
            Some("2024-05-01T08:00:00+08:00"),
        )])
        .await;
        let cache = |r: &reqwest::Response| r.headers()["x-cache"].to_str().unwrap().to_string();
        assert_eq!(cache(&server.get("/feeds/news.atom").await), "miss");
        assert_eq!(cache(&server.get("/feeds/news.atom").await), "hit");
        assert_eq!(cache(&server.get("/feeds/news.atom").await), "hit");
        // Each format has its own bytes.
        assert_eq!(cache(&server.get("/feeds/news.rss").await), "miss");
        assert_eq!(cache(&server.get("/feeds/news.rss").await), "hit");

        // A source the feed does not include changes nothing.
        server
            .store
            .store_batch(
                "other",
                vec![item(
                    "other",
                    "x",
                    "别处",
                    Some("2024-05-03T08:00:00+08:00"),
                )],
            )
            .unwrap();
        assert_eq!(cache(&server.get("/feeds/news.atom").await), "hit");

        // An item of the feed's source makes the next request rebuild, once.
        server
            .store
            .store_batch(
                "boz",
                vec![item(
                    "boz",
                    "2",
                    "第二条",
                    Some("2024-05-02T08:00:00+08:00"),
                )],
            )
            .unwrap();
        let resp = server.get("/feeds/news.atom").await;
        assert_eq!(cache(&resp), "miss");
        let feed = feed_rs::parser::parse(&resp.bytes().await.unwrap()[..]).unwrap();
        assert_eq!(titles(&feed), ["第二条", "第一条"]);
        assert_eq!(cache(&server.get("/feeds/news.atom").await), "hit");
        server.stop().await;
    }

    #[tokio::test]
    async fn feeds_hold_the_newest_items_that_pass_their_filters() {
        let server = Server::start(|config, store| {
            config.sources.push(source("a", "甲"));
            config.sources.push(source("b", "乙"));
            config.sources.push(source("c", "丙"));
            config.feeds.push(feed("all", "全部", &["a", "b"]));
            let mut cotton = feed("cotton", "棉花", &["a", "b"]);
            cotton.include = vec![keyword("棉花"), regex(r"^科协\d+")];
            cotton.exclude = vec![regex("广告|招聘")];
            config.feeds.push(cotton);
            let mut two = feed("two", "两条", &["a", "b"]);
            two.limit = 2;
            config.feeds.push(two);
            let mut undated = item("a", "undated", "科协2024年会", None);
            undated.first_seen = at("2024-03-01T00:00:00Z").with_timezone(&Utc);
            store
                .store_batch(
                    "a",
                    vec![
                        item("a", "1", "一月 棉花收购", Some("2024-01-15T08:00:00+08:00")),
                        undated,
                        item("a", "2", "招聘 棉花工人", Some("2024-04-01T08:00:00+08:00")),
                    ],
                )
                .unwrap();
            let mut text_match = item("b", "3", "二月要闻", Some("2024-02-10T08:00:00+08:00"));
            text_match.content_text = Some("今年的棉花长势良好".into());
            store
                .store_batch(
                    "b",
                    vec![
                        text_match,
                        item("b", "4", "五月要闻", Some("2024-05-01T08:00:00+08:00")),
                    ],
                )
                .unwrap();
            store
                .store_batch(
                    "c",
                    vec![item(
                        "c",
                        "9",
                        "别的来源的棉花",
                        Some("2024-06-01T08:00:00+08:00"),
                    )],
                )
                .unwrap();
        })
        .await;
        // Newest first by published, an undated item placed by when it was first seen; only
        // the feed's sources.
        assert_eq!(
            titles(&parsed(&server, "/feeds/all.atom").await),
            [
                "五月要闻",
                "招聘 棉花工人",
                "科协2024年会",
                "二月要闻",
                "一月 棉花收购"
            ]
        );
        // Keyword on title or text, /regex/, exclude wins.
        assert_eq!(
            titles(&parsed(&server, "/feeds/cotton.rss").await),
            ["科协2024年会", "二月要闻", "一月 棉花收购"]
        );
        assert_eq!(
            titles(&parsed(&server, "/feeds/two.json").await),
            ["五月要闻", "招聘 棉花工人"]
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn unknown_feeds_and_formats_are_404() {
        let server = one_feed(vec![]).await;
        for path in [
            "/feeds/nope.atom",
            "/feeds/news.xml",
            "/feeds/news",
            "/nothing",
        ] {
            let resp = server.get(path).await;
            assert_eq!(resp.status(), 404, "{path}");
        }
        let resp = server.get("/feeds/nope.rss").await;
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(resp.text().await.unwrap(), "no such feed\n");
        // An empty feed is still a valid feed.
        let empty = parsed(&server, "/feeds/news.atom").await;
        assert!(empty.entries.is_empty());
        server.stop().await;
    }

    #[tokio::test]
    async fn opml_lists_every_served_feed() {
        let server = Server::start(|config, _| {
            config.sources.push(source("boz", "区内要闻"));
            config.feeds.push(feed("news", "博州要闻", &["boz"]));
            config.feeds.push(feed("r&d", "科技 & \"创新\"", &["boz"]));
        })
        .await;
        let resp = server.get("/opml").await;
        assert_eq!(resp.status(), 200);
        let opml = resp.text().await.unwrap();
        assert!(opml.contains("<opml version=\"2.0\">"), "{opml}");
        assert!(opml.contains(&format!("xmlUrl=\"{}\"", server.url("/feeds/news.atom"))));
        assert!(opml.contains("text=\"博州要闻\""));
        assert!(
            opml.contains("text=\"科技 &amp; &quot;创新&quot;\""),
            "{opml}"
        );
        assert_eq!(opml, tidings::publish::opml::render(&server.config));
        assert_eq!(opml.matches("<outline ").count(), 2);
        server.stop().await;
    }

    #[tokio::test]
    async fn healthz_is_503_with_the_reason_when_the_scheduler_stops_beating() {
        let server = one_feed(vec![]).await;
        let resp = server.get("/healthz").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "ok\n");

        server
            .health
            .set_last_beat(Utc::now() - chrono::Duration::seconds(300));
        let resp = server.get("/healthz").await;
        assert_eq!(resp.status(), 503);
        let reason = resp.text().await.unwrap();
        assert!(
            reason.contains("scheduler") && reason.contains("heartbeat"),
            "{reason}"
        );

        server.health.scheduler_beat();
        assert_eq!(server.get("/healthz").await.status(), 200);
        server.stop().await;
    }

    #[tokio::test]
    async fn metrics_show_the_families_recorded() {
        let server = one_feed(vec![item("boz", "1", "第一条", None)]).await;
        // Recorded the way the pipeline records them.
        metrics::counter!("tidings_polls_total", "source" => "boz").increment(2);
        metrics::counter!("tidings_items_total", "source" => "boz", "status" => "new").increment(1);
        metrics::histogram!("tidings_fetch_seconds", "source" => "boz").record(0.3);
        server.get_text("/feeds/news.atom").await;
        let resp = server.get("/metrics").await;
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = resp.text().await.unwrap();
        assert!(
            text.contains("tidings_polls_total{source=\"boz\"}"),
            "{text}"
        );
        assert!(text.contains("tidings_items_total{"), "{text}");
        assert!(
            text.contains("tidings_fetch_seconds_bucket{source=\"boz\",le=\"0.5\"}"),
            "{text}"
        );
        assert!(text.contains("tidings_feed_builds_total{"), "{text}");
        server.stop().await;
    }

    #[tokio::test]
    async fn cancel_stops_the_server_and_frees_the_port() {
        let server = one_feed(vec![]).await;
        let addr = server.addr;
        assert_eq!(server.get("/healthz").await.status(), 200);
        server.stop().await;
        assert!(
            reqwest::get(format!("http://{addr}/healthz"))
                .await
                .is_err()
        );
    }
}

/// The status page, read in a real browser (headless Chromium).
mod status {

    use super::*;
    use std::time::Duration;
    use tidings::store::SourceState;

    #[tokio::test]
    async fn the_status_page_shows_feeds_and_source_states_in_a_browser() {
        let last_success = at("2026-11-28T10:20:30Z").with_timezone(&Utc);
        let error_at = at("2026-11-28T11:00:00Z").with_timezone(&Utc);
        let recent = (Utc::now() - chrono::Duration::days(1))
            .fixed_offset()
            .to_rfc3339();
        let server = Server::start(|config, store| {
            config.sources.push(source("good", "区内要闻"));
            config.sources.push(source("bad", "坏的来源"));
            config.sources.push(source("fresh", "新来源"));
            config
                .feeds
                .push(feed("news", "博州要闻", &["good", "bad"]));
            store
                .store_batch(
                    "good",
                    vec![
                        item("good", "1", "昨天", Some(&recent)),
                        item("good", "2", "也是昨天", Some(&recent)),
                        item("good", "3", "很久以前", Some("2020-01-01T00:00:00+08:00")),
                    ],
                )
                .unwrap();
            store
                .update_source_state("good", |s: &mut SourceState| {
                    s.last_poll = Some(last_success);
                    s.last_success = Some(last_success);
                    s.polls_ok = 5;
                })
                .unwrap();
            store
                .update_source_state("bad", |s: &mut SourceState| {
                    s.last_poll = Some(error_at);
                    s.last_error = Some("HTTP 503 Service Unavailable <from upstream>".into());
                    s.last_error_at = Some(error_at);
                    s.failures = 3;
                })
                .unwrap();
        })
        .await;

        let Some(dom) = chromium_dom(&server.url("/")).await else {
            server.stop().await;
            return;
        };
        let page = scraper::Html::parse_document(&dom);
        let cell = |sel: &str| {
            let s = scraper::Selector::parse(sel).unwrap();
            page.select(&s)
                .next()
                .unwrap_or_else(|| panic!("{sel} not on the page:\n{dom}"))
                .text()
                .collect::<String>()
        };
        // Feeds with their subscribe links.
        assert!(cell("#feed-news").contains("博州要闻"));
        for ext in ["atom", "rss", "json"] {
            let link = scraper::Selector::parse(&format!("#feed-news a[href='feeds/news.{ext}']"))
                .unwrap();
            assert!(page.select(&link).next().is_some(), "{ext} link missing");
        }
        // Times in the configured zone (Asia/Shanghai, UTC+8).
        assert_eq!(
            cell("#source-good .last-success").trim(),
            "2026-11-28 18:20:30"
        );
        assert_eq!(cell("#source-good .items-7d").trim(), "2");
        assert!(cell("#source-good .state").contains("ok"));
        // The failing source shows its error, escaped as text, with when it happened.
        let bad = cell("#source-bad");
        assert!(
            bad.contains("HTTP 503 Service Unavailable <from upstream>"),
            "{bad}"
        );
        assert!(bad.contains("2026-11-28 19:00:00"), "{bad}");
        assert!(cell("#source-bad .state").contains("failing"));
        assert!(bad.contains("3 failures"), "{bad}");
        assert_eq!(cell("#source-bad .last-success").trim(), "never");
        assert!(cell("#source-fresh .state").contains("never"));
        server.stop().await;
    }

    /// The DOM after Chromium loaded `url`, or `None` after a loud skip.
    async fn chromium_dom(url: &str) -> Option<String> {
        let chromium =
            std::env::var("TIDINGS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&chromium).exists() {
            return tool_missing("Chromium", &format!("{chromium} not found"))
                .map(|_| String::new());
        }
        let profile = tempfile::tempdir().unwrap();
        let run = tokio::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(url)
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(90), run)
            .await
            .expect("chromium finishes within 90 s")
            .expect("chromium starts");
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    }
}
