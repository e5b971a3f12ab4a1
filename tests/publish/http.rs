//! HTTP behaviour: validators and 304, the byte cache, selection, 404, OPML, health,
//! metrics, graceful shutdown.

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
async fn feeds_are_gzip_compressed_for_clients_that_accept_it() {
    let server = one_feed(vec![
        item("boz", "1", "第一条", Some("2024-05-01T08:00:00+08:00")),
        item("boz", "2", "第二条", Some("2024-05-02T08:00:00+08:00")),
    ])
    .await;
    // A client that decompresses nothing itself, to see the bytes on the wire.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = server.url("/feeds/news.atom");
    let plain = raw.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.headers()["vary"], "accept-encoding");
    let plain_etag = plain.headers()[ETAG].clone();
    let plain = plain.bytes().await.unwrap();

    let zipped = raw
        .get(&url)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(
        zipped.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let zipped_etag = zipped.headers()[ETAG].clone();
    assert_ne!(
        zipped_etag, plain_etag,
        "each representation has its own ETag"
    );
    let zipped = zipped.bytes().await.unwrap();
    assert!(zipped.len() < plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain, "same feed, byte for byte");

    // Either ETag shows the client has the current feed.
    let resp = raw
        .get(&url)
        .header("accept-encoding", "gzip")
        .header(IF_NONE_MATCH, plain_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()[ETAG], zipped_etag);
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
        // The body, as processing makes it: the text is the HTML's (the store keeps
        // only the HTML and derives the text).
        text_match.content_html = Some("<p>今年的棉花长势良好</p>".into());
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
async fn cancel_stops_the_server_even_with_a_kept_alive_connection() {
    let server = one_feed(vec![]).await;
    // The client keeps its connection open in its pool; shutdown must not wait on it.
    assert_eq!(server.get("/healthz").await.status(), 200);
    assert_eq!(server.get("/feeds/news.atom").await.status(), 200);
    // `stop` fails the test unless `serve` returns within 10 s of the cancel.
    server.stop().await;
}
