//! A feed merging several sources that list the same articles (two columns of one
//! portal; a site's feed and its list page) shows each article once, credited to the
//! source that found it first.

use super::*;
use serde_json::Value;

/// An article as column `source` lists it, first seen `minutes` after a fixed time.
fn listed(source: &str, n: u32, minutes: i64, url_suffix: &str) -> Item {
    let mut i = item(
        source,
        &format!("https://www.example.gov.cn/art/{n}.html"),
        &format!("第{n}篇文章"),
        Some(&format!("2022-09-0{n}T10:00:00+08:00")),
    );
    i.url = Some(format!(
        "https://www.example.gov.cn/art/{n}.html{url_suffix}"
    ));
    i.first_seen =
        at("2026-01-01T00:00:00Z").with_timezone(&Utc) + chrono::Duration::minutes(minutes);
    i
}

#[tokio::test]
async fn a_shared_article_is_shown_once_crediting_the_first_source() {
    let server = Server::start(|config, store| {
        config.sources.push(source("col-a", "区内要闻"));
        config.sources.push(source("col-b", "政务动态"));
        config.feeds.push(feed("all", "全部", &["col-a", "col-b"]));
        config.feeds.push(feed("only-b", "政务动态", &["col-b"]));
        // Five articles in both columns: b found 1–3 first, a found 4–5 first; the
        // second column's links carry a tracking parameter and a fragment.
        let a: Vec<Item> = (1..=5)
            .map(|n| listed("col-a", n, if n <= 3 { 10 } else { 0 }, ""))
            .chain([listed("col-a", 6, 0, "")])
            .collect();
        let b: Vec<Item> = (1..=5)
            .map(|n| {
                listed(
                    "col-b",
                    n,
                    if n <= 3 { 0 } else { 10 },
                    "?utm_source=col#top",
                )
            })
            .collect();
        store.store_batch("col-a", a).unwrap();
        store.store_batch("col-b", b).unwrap();
    })
    .await;
    let feed: Value = serde_json::from_str(&server.get_text("/feeds/all.json").await).unwrap();
    let items = feed["items"].as_array().unwrap();
    let got: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap();
            let source = id.split(':').nth(2).unwrap().split('/').next().unwrap();
            (i["title"].as_str().unwrap().to_string(), source.to_string())
        })
        .collect();
    let want: Vec<(String, String)> = [
        (6, "col-a"),
        (5, "col-a"),
        (4, "col-a"),
        (3, "col-b"),
        (2, "col-b"),
        (1, "col-b"),
    ]
    .iter()
    .map(|(n, s)| (format!("第{n}篇文章"), s.to_string()))
    .collect();
    assert_eq!(got, want, "six articles, each once, newest first");
    // Atom and RSS the same: six entries, not eleven.
    for path in ["/feeds/all.atom", "/feeds/all.rss"] {
        let body = server.get_text(path).await;
        let parsed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.entries.len(), 6, "{path}");
    }
    // A feed of one column still lists all of its own articles.
    let only_b: Value = serde_json::from_str(&server.get_text("/feeds/only-b.json").await).unwrap();
    assert_eq!(only_b["items"].as_array().unwrap().len(), 5);
    server.stop().await;
}
