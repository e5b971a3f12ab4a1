//! From a polled source to a subscribed reader: the real config loader and poller
//! read a loopback RSS feed into the store, and the server republishes it.

use super::*;
use crate::support::server::{FixtureServer, Reply};
use tidings::poll::Poller;
use tidings::publish::tag_uri;

/// The real loader and poller read a loopback RSS feed (three items) into the store, and
/// a server publishes that store; returns it with the stored items, newest first.
async fn republished() -> (Server, Vec<Item>) {
    let site = FixtureServer::start().await;
    let source_xml = std::fs::read_to_string(fixture("source-feed.xml")).unwrap();
    site.set(
        "/qnyw/rss.xml",
        Reply::ok("application/rss+xml; charset=utf-8", source_xml),
    );
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = crate::support::config(
        dir.path(),
        &format!(
            r#"
[daemon]
data_dir = "data"
listen = "{addr}"
public_url = "http://{addr}/"
timezone = "Asia/Shanghai"

[fetch]
per_host_interval_ms = 0
timeout_secs = 5

[[source]]
id = "boz-qnyw"
url = "{url}"
title = "区内要闻"
kind = "feed"

[[feed]]
id = "news"
title = "博州要闻"
sources = ["*"]

[[feed]]
id = "science"
title = "科协"
sources = ["boz-qnyw"]
include = ["科协"]
"#,
            url = site.url("/qnyw/rss.xml")
        ),
    );
    let store = Store::open(&config.daemon.data_dir).unwrap();
    let config = Arc::new(config);
    let store = Arc::new(store);
    let poller = Poller::new(config.clone(), store.clone()).unwrap();
    let source = config.sources[0].clone();
    let polled = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(polled.stored.len(), 3);
    drop(poller);
    let config = Arc::try_unwrap(config).unwrap();
    let store = Arc::try_unwrap(store)
        .ok()
        .expect("the poller let go of the store");
    let server = Server::start_with(listener, config, store, dir);

    let stored = server
        .store
        .newest_items(&["boz-qnyw".to_string()], |_| true, 10)
        .unwrap();
    assert_eq!(
        stored.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        WANT_TITLES
    );
    (server, stored)
}

const WANT_TITLES: [&str; 3] = [
    "精河县科协开展科普进校园活动",
    "博州召开棉花产业发展大会",
    "温泉县举办农民丰收节",
];

#[tokio::test]
async fn a_polled_feed_is_republished_intact() {
    let (server, stored) = republished().await;
    for path in ["/feeds/news.atom", "/feeds/news.rss", "/feeds/news.json"] {
        let body = server.get_text(path).await;
        assert!(
            !body.contains("alert(") && !body.contains("onclick"),
            "{path}: {body}"
        );
        let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        assert_eq!(feed.entries.len(), 3, "{path}");
        for (entry, item) in feed.entries.iter().zip(&stored) {
            assert_eq!(entry.id, tag_uri("boz-qnyw", &item.id), "{path}");
            assert_eq!(entry.title.as_ref().unwrap().content, item.title, "{path}");
            assert_eq!(entry.links[0].href, item.url.clone().unwrap(), "{path}");
            assert_eq!(
                entry.published.map(|t| t.timestamp()),
                item.published.map(|p| p.timestamp()),
                "{path}"
            );
        }
        let cotton = feed.entries[1]
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap();
        assert!(
            cotton.contains("自治州召开棉花产业发展大会"),
            "{path}: {cotton}"
        );
        // Already absolute when stored (resolved by processing); it stays so.
        assert!(
            cotton.contains("<img src=\"http://") && cotton.contains("/images/cotton.jpg"),
            "{path}: image absolute: {cotton}"
        );
    }
    let science =
        feed_rs::parser::parse(server.get_text("/feeds/science.atom").await.as_bytes()).unwrap();
    assert_eq!(science.entries.len(), 1);
    assert_eq!(
        science.entries[0].title.as_ref().unwrap().content,
        WANT_TITLES[0]
    );
    // The status page reports the successful poll.
    let page = server.get_text("/").await;
    assert!(page.contains("区内要闻") && page.contains(">ok"), "{page}");
    assert!(!page.contains("last-success\">never"), "{page}");
    server.stop().await;
}

#[tokio::test]
#[cfg_attr(
    no_feedparser,
    ignore = "needs Python with feedparser (set TIDINGS_PYTHON)"
)]
async fn a_polled_feed_reads_back_in_feedparser() {
    let (server, _) = republished().await;
    let python = formats::feedparser_python();
    for path in ["/feeds/news.atom", "/feeds/news.rss"] {
        let d = formats::feedparser_dump(&python, &server.get_text(path).await).await;
        assert_eq!(d["bozo"], false, "{path}: {}", d["bozo_exception"]);
        assert_eq!(d["entries"][1]["title"], WANT_TITLES[1], "{path}");
        assert_eq!(d["entries"][1]["author"], "谢慧变", "{path}");
    }
    server.stop().await;
}
