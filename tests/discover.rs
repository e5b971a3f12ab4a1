//! `tidings discover` and `tidings add` (issue 13) against loopback sites: a portal with
//! navigation, "更多" links, a feed link, login and service pages and article links; a
//! blog with only `<link rel="alternate">`; a site with nothing.

use crate::support::server::{FixtureServer, Reply};
use std::path::Path;
use std::process::{Command, Output};
use tidings::config::FetchConfig;
use tidings::discover::{self, FoundKind, Options};
use tidings::fetch::Fetcher;
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/discover")
            .join(name),
    )
    .unwrap()
}

fn html(name: &str) -> Reply {
    Reply::ok("text/html; charset=utf-8", fixture(name))
}

/// Pages that exist but that discovery must not open (or not take for columns).
const NEVER_FETCHED: &[&str] = &[
    "/login.html",
    "/register.html",
    "/sitemap.html",
    "/bsfw/",
    "/search/",
    "/about/contact.html",
    "/zwdt/qnyw/202409/t20240905_1001.html",
];

async fn portal() -> FixtureServer {
    let s = FixtureServer::start().await;
    s.set("/", html("portal-home.html"));
    s.set("/zwdt/qnyw/", html("portal-qnyw.html"));
    s.set("/zwdt/tzgg/index.html", html("portal-tzgg.html"));
    s.set("/zwdt/tpxw/", html("portal-tpxw.html"));
    s.set("/ldzc/", html("portal-ldzc.html"));
    s.set("/yhzx/index.html", html("portal-yhzx.html"));
    s.set(
        "/rss/qnyw.xml",
        Reply::ok("application/rss+xml", fixture("portal-rss.xml")),
    );
    // Were they opened, these would look like columns: they must not be.
    for path in NEVER_FETCHED {
        s.set(path, html("portal-tzgg.html"));
    }
    s
}

fn fast_fetcher() -> Fetcher {
    Fetcher::new(&FetchConfig {
        per_host_interval_ms: 0,
        timeout_secs: 5,
        ..FetchConfig::default()
    })
    .unwrap()
}

async fn run(url: &str) -> discover::Discovery {
    discover::discover(
        &fast_fetcher(),
        &Url::parse(url).unwrap(),
        &Options::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_portal_yields_exactly_its_feed_and_news_columns() {
    let s = portal().await;
    let found = run(&s.url("/")).await;
    let got: Vec<(FoundKind, String, &str, usize)> = found
        .found
        .iter()
        .map(|f| (f.kind, f.url.path().to_string(), f.title.as_str(), f.items))
        .collect();
    assert_eq!(
        got,
        [
            (
                FoundKind::Feed,
                "/rss/qnyw.xml".into(),
                "示范州人民政府 - 区内要闻",
                5
            ),
            (FoundKind::List, "/zwdt/qnyw/".into(), "区内要闻", 8),
            (
                FoundKind::List,
                "/zwdt/tzgg/index.html".into(),
                "通知公告",
                6
            ),
            (FoundKind::List, "/zwdt/tpxw/".into(), "图片新闻", 4),
        ]
    );
    let qnyw = &found.found[1];
    assert_eq!(
        qnyw.newest.map(|d| d.to_string()).as_deref(),
        Some("2024-09-05")
    );
    assert_eq!(
        qnyw.samples,
        [
            "自治州召开秋季农业生产推进会",
            "州党委常委会传达学习全区重要会议精神"
        ]
    );
    for path in NEVER_FETCHED {
        assert!(s.requests(path).is_empty(), "{path} was fetched");
    }
    // Opened, and turned down: an introduction page, and a login form with a list.
    assert_eq!(s.requests("/ldzc/").len(), 1);
    assert_eq!(s.requests("/yhzx/index.html").len(), 1);
    // Linked from both the menu and a "更多" link: fetched once.
    assert_eq!(s.requests("/zwdt/qnyw/").len(), 1);
    assert_eq!(
        found.refused,
        [Url::parse("http://www.neighbour.invalid/xwzx/").unwrap()],
        "another site is not followed"
    );
    // The feed was linked, so the usual feed paths were not guessed.
    assert!(s.requests("/feed").is_empty());
}

#[tokio::test]
async fn a_blog_with_only_rel_alternate_yields_its_feed() {
    let s = FixtureServer::start().await;
    s.set("/", html("blog-home.html"));
    s.set(
        "/atom.xml",
        Reply::ok("application/atom+xml", fixture("blog-atom.xml")),
    );
    let found = run(&s.url("/")).await;
    let got: Vec<(FoundKind, &str, &str, usize)> = found
        .found
        .iter()
        .map(|f| (f.kind, f.url.path(), f.title.as_str(), f.items))
        .collect();
    assert_eq!(got, [(FoundKind::Feed, "/atom.xml", "A quiet blog", 2)]);
    assert!(
        found.tried_pages.is_empty(),
        "articles are not columns: {:?}",
        found.tried_pages
    );
}

#[tokio::test]
async fn a_site_with_nothing_says_what_was_tried() {
    let s = FixtureServer::start().await;
    s.set("/", html("plain-home.html"));
    s.set("/projects/", html("plain-projects.html"));
    let found = run(&s.url("/")).await;
    assert!(found.found.is_empty());
    let feeds: Vec<&str> = found.tried_feeds.iter().map(Url::path).collect();
    assert_eq!(
        feeds,
        ["/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json"]
    );
    let pages: Vec<&str> = found.tried_pages.iter().map(Url::path).collect();
    assert_eq!(pages, ["/projects/"], "a contact page is not a column");

    let out = tidings(&["discover", &s.url("/"), "-c", "/nonexistent/feeds.toml"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.starts_with("nothing found at "), "{stdout}");
    assert!(
        stdout.contains("/rss.xml") && stdout.contains("/projects/"),
        "{stdout}"
    );
}

async fn tidings(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

const CONFIG: &str = r#"# My news, edited by hand.
[daemon]
data_dir = "data"
timezone = "Asia/Shanghai"

[fetch]
per_host_interval_ms = 0   # the fixture server does not mind
timeout_secs = 5

# What I read.
[[source]]
id = "blog"
url = "BLOG"

# What I serve.
[[feed]]
id = "news"
title = "要闻"
sources = ["blog"]
"#;

#[tokio::test]
async fn discover_json_then_add_then_check() {
    let s = portal().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feeds.toml");
    std::fs::write(&cfg, CONFIG.replace("BLOG", &s.url("/blog.xml"))).unwrap();
    let c = cfg.to_str().unwrap();

    let out = tidings(&["discover", &s.url("/"), "--json", "-c", c]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["kind"], "feed");
    assert_eq!(lines[1]["kind"], "list");
    assert_eq!(lines[1]["title"], "区内要闻");
    assert_eq!(lines[1]["items"], 8);
    assert_eq!(lines[1]["newest"], "2024-09-05");
    assert_eq!(lines[1]["samples"].as_array().unwrap().len(), 2);
    let column = lines[2]["url"].as_str().unwrap().to_string();

    // A dry run changes nothing.
    let before = std::fs::read_to_string(&cfg).unwrap();
    let out = tidings(&["add", &column, "-c", c, "--feed", "news", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), before);

    let out = tidings(&["add", &column, "-c", c, "--feed", "news"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("added source \"127-0-0-1-zwdt-tzgg\" (kind = \"html\""),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.starts_with("# My news, edited by hand.\n"), "{text}");
    assert!(text.contains("per_host_interval_ms = 0   # the fixture server does not mind"));
    assert!(
        text.contains(&format!(
            "\n[[source]]\nid = \"127-0-0-1-zwdt-tzgg\"\nurl = \"{column}\"\ntitle = \"通知公告\"\nkind = \"html\"\n\n# What I serve.\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("sources = [\"blog\", \"127-0-0-1-zwdt-tzgg\"]"),
        "{text}"
    );

    let out = tidings(&["check", "-c", c]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 sources"));

    // The feed, found by its own URL: kind = "feed", its title from the feed.
    let feed = lines[0]["url"].as_str().unwrap().to_string();
    let out = tidings(&["add", &feed, "-c", c, "--id", "qnyw-rss"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("id = \"qnyw-rss\""), "{text}");
    assert!(text.contains("kind = \"feed\""), "{text}");

    // Already there (compared canonically): refused, file untouched.
    let before = std::fs::read_to_string(&cfg).unwrap();
    let again = format!("{column}?utm_source=weixin#list");
    let out = tidings(&["add", &again, "-c", c]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("already configured as source \"127-0-0-1-zwdt-tzgg\""),
        "{out:?}"
    );
    // Not a feed nor a list: refused.
    let out = tidings(&["add", &s.url("/ldzc/"), "-c", c]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("neither a feed nor a page with an article list"),
        "{out:?}"
    );
    // An unknown feed: refused.
    let out = tidings(&["add", &s.url("/zwdt/tpxw/"), "-c", c, "--feed", "nope"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no [[feed]] with id \"nope\" (feeds: news)")
    );
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), before);
}

#[tokio::test]
async fn discover_fails_clearly_when_the_page_cannot_be_fetched() {
    let s = FixtureServer::start().await;
    let out = tidings(&[
        "discover",
        &s.url("/gone/"),
        "-c",
        "/nonexistent/feeds.toml",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot fetch the start page") && err.contains("HTTP 404"),
        "{err}"
    );
}
