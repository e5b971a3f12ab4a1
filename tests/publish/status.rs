//! The status page, read in a real browser (headless Chromium).

use super::*;
use std::time::Duration;
use tidings::store::SourceState;

#[tokio::test]
#[cfg_attr(
    no_chromium,
    ignore = "needs Chromium (chromium on PATH, or set TIDINGS_CHROMIUM)"
)]
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
        // "Items, 7 days" counts what was first seen in the last 7 days: a site that
        // backdates (item 3) still counts; an old item republished lately (4) does not.
        let seen = |mut i: Item, days: i64| {
            i.first_seen = Utc::now() - chrono::Duration::days(days);
            i
        };
        store
            .store_batch(
                "good",
                vec![
                    seen(item("good", "1", "昨天", Some(&recent)), 1),
                    seen(item("good", "2", "也是昨天", Some(&recent)), 1),
                    seen(
                        item("good", "3", "补发的旧文", Some("2020-01-01T00:00:00+08:00")),
                        2,
                    ),
                    seen(item("good", "4", "早就见过", Some(&recent)), 30),
                ],
            )
            .unwrap();
        store
            .update_source_state("good", |s: &mut SourceState| {
                s.last_poll = Some(last_success);
                s.last_success = Some(last_success);
                s.polls_ok = 5;
                s.zone_reason = Some("Asia/Shanghai (from the page: host .cn)".into());
                s.given_up = vec![tidings::store::GivenUp {
                    url: "https://www.example.gov.cn/good/404.html".into(),
                    tries: 5,
                    last_error: "HTTP 404 Not Found".into(),
                    at: last_success,
                }];
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

    let dom = chromium_dom(&server.url("/")).await;
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
        let link =
            scraper::Selector::parse(&format!("#feed-news a[href='feeds/news.{ext}']")).unwrap();
        assert!(page.select(&link).next().is_some(), "{ext} link missing");
    }
    // Times in the configured zone (Asia/Shanghai, UTC+8).
    assert_eq!(
        cell("#source-good .last-success").trim(),
        "2026-11-28 18:20:30"
    );
    assert_eq!(cell("#source-good .items-7d").trim(), "3");
    // The zone its dates are read in, and the article pages given up on.
    assert!(cell("#source-good .zone").contains("Asia/Shanghai (from the page: host .cn)"));
    let given_up = cell("#source-good .given-up");
    assert!(given_up.contains("1 article page given up"), "{given_up}");
    let list = cell("#source-good ul.given-up");
    assert!(
        list.contains("https://www.example.gov.cn/good/404.html (5 tries, 2026-11-28 18:20:30): HTTP 404 Not Found"),
        "{list}"
    );
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

/// The DOM after Chromium loaded `url`.
async fn chromium_dom(url: &str) -> String {
    let chromium = tool("Chromium", crate::support::probe::chromium());
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
    String::from_utf8(out.stdout).unwrap()
}
