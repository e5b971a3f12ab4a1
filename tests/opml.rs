//! `tidings import opml` through the binary: other readers' exports (hand-made in
//! tests/fixtures/opml after Miniflux/FreshRSS, Feedly, NetNewsWire and RSSHub route
//! lists; `../shared/corpus` holds no OPML), malformed files, a URL on loopback, the
//! round trip with `tidings export opml --sources`, and the imported sources polled.

use crate::support::server::{FixtureServer, Reply};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tidings::config::{Config, SourceKind};

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

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/opml")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CONFIG: &str = r#"# My feeds, kept by hand.
[daemon]
data_dir = "data" # the store

[[source]]
id = "hn"
url = "https://news.ycombinator.com/rss"

# What readers see
[[feed]]
id = "tech"
title = "Tech News"
sources = ["hn"]
"#;

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("feeds.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn load(path: &str) -> Config {
    Config::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn feed_sources(config: &Config, id: &str) -> Vec<String> {
    config
        .feeds
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no feed {id}"))
        .sources
        .clone()
}

#[tokio::test]
async fn folders_become_feeds_and_duplicates_are_skipped_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let c = write_config(dir.path(), CONFIG);
    let out = tidings(&["import", "opml", &fixture("freshrss.opml"), "-c", &c]).await;
    let said = stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    // Each outcome on its own line, in document order, with its reason.
    let lines: Vec<&str> = said.lines().collect();
    let pos = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{said}"))
    };
    assert!(said.contains(
        "added source \"rust-blog-official\" (\"Rust Blog — official\"): https://blog.rust-lang.org/feed.xml"
    ), "{said}");
    assert!(
        said.contains("skipped line 15 \"A bookmark\": no xmlUrl"),
        "{said}"
    );
    assert!(
        said.contains("skipped line 19: https://blog.rust-lang.org/feed.xml#top: listed before (line 11) as source \"rust-blog-official\""),
        "{said}"
    );
    assert!(
        said.contains(
            "skipped line 21: https://news.ycombinator.com/rss: already configured as source \"hn\""
        ),
        "{said}"
    );
    assert!(said.contains("skipped line 22 \"broken\": xmlUrl \"javascript:alert(1)\" is not an http:// or https:// URL"), "{said}");
    assert!(pos("line 15") < pos("line 19") && pos("line 19") < pos("line 22"));
    assert!(said.contains("3 sources added, 4 skipped"), "{said}");

    let text = std::fs::read_to_string(&c).unwrap();
    assert!(
        text.starts_with("# My feeds, kept by hand.\n[daemon]\ndata_dir = \"data\" # the store\n"),
        "{text}"
    );
    assert!(text.contains("# What readers see\n[[feed]]"), "{text}");
    let check = tidings(&["check", "-c", &c]).await;
    assert!(check.status.success(), "{}", stderr(&check));

    let config = load(&c);
    let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "hn",
            "rust-blog-official",
            "lwn-net",
            "example-gov-cn-zwdt-qnyw-rss"
        ]
    );
    let rust = config.source("rust-blog-official").unwrap();
    assert_eq!(rust.title.as_deref(), Some("Rust Blog — official"));
    assert_eq!(rust.kind, SourceKind::Feed);
    // The folder "Tech News" is the existing feed of that title: extended, not duplicated.
    assert_eq!(
        feed_sources(&config, "tech"),
        ["hn", "rust-blog-official", "lwn-net"]
    );
    assert!(
        said.contains("feed \"tech\" (\"Tech News\") names 2 more sources"),
        "{said}"
    );
    // A nested folder is a feed of its own; a Chinese title gets a valid id.
    assert_eq!(feed_sources(&config, "deep"), ["lwn-net"]);
    let gov = config
        .feeds
        .iter()
        .find(|f| f.title.as_deref() == Some("政务要闻"))
        .unwrap();
    assert_eq!(
        gov.sources,
        ["example-gov-cn-zwdt-qnyw-rss", "rust-blog-official"],
        "a duplicate filed under a second folder is named there too"
    );

    // Importing again adds nothing and leaves the file as it is.
    let again = tidings(&["import", "opml", &fixture("freshrss.opml"), "-c", &c]).await;
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("0 sources added"),
        "{}",
        stdout(&again)
    );
    assert!(
        stdout(&again).contains("nothing to change"),
        "{}",
        stdout(&again)
    );
    assert_eq!(std::fs::read_to_string(&c).unwrap(), text);
}

#[tokio::test]
async fn each_readers_export_imports_into_a_new_file() {
    // (fixture, sources expected, feeds expected)
    let cases: [(&str, &[&str], &[&str]); 3] = [
        (
            "feedly.opml",
            &["this-week-in-rust", "xkcd-com"],
            &["rust", "uncategorized"],
        ),
        (
            "netnewswire.opml",
            &["daring-fireball", "swift-org"],
            &["swift"],
        ),
        (
            "rsshub.opml",
            &["bilibili-dynamic", "rsshub-app-gov-beijing-mhc-wnjwzc"],
            &[],
        ),
    ];
    for (file, sources, feeds) in cases {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("feeds.toml").display().to_string();
        let out = tidings(&["import", "opml", &fixture(file), "-c", &c]).await;
        assert!(
            out.status.success(),
            "{file}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stdout(&out).contains("created;"),
            "{file}: {}",
            stdout(&out)
        );
        let config = load(&c);
        let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, sources, "{file}");
        let got: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(got, feeds, "{file}");
    }
    // The RSSHub list repeats a route with tracking parameters: compared canonically.
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("feeds.toml").display().to_string();
    let out = tidings(&["import", "opml", &fixture("rsshub.opml"), "-c", &c]).await;
    assert!(
        stdout(&out).contains("skipped line 7: https://rsshub.app/gov/beijing/mhc/wnjwzc?utm_medium=rss&utm_source=opml: listed before (line 6)"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_malformed_file_is_a_clear_error_and_changes_nothing() {
    let cases = [
        ("not-opml.html", "not OPML: the document is <html>"),
        ("not-xml.csv", "not OPML: it is not XML"),
        ("truncated.opml", "ends before </opml>"),
        ("missing.opml", "cannot read"),
    ];
    for (file, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let c = write_config(dir.path(), CONFIG);
        let out = tidings(&["import", "opml", &fixture(file), "-c", &c]).await;
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(stderr(&out).contains(message), "{file}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{file}: {}", stdout(&out));
        assert_eq!(std::fs::read_to_string(&c).unwrap(), CONFIG, "{file}");
    }
    // An invalid configuration is not edited either.
    let dir = tempfile::tempdir().unwrap();
    let c = write_config(dir.path(), "[[source]]\nid = \"x\"\n");
    let out = tidings(&["import", "opml", &fixture("feedly.opml"), "-c", &c]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("feeds.toml:"), "{}", stderr(&out));
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = write_config(dir.path(), CONFIG);
    let out = tidings(&[
        "import",
        "opml",
        &fixture("feedly.opml"),
        "-c",
        &c,
        "--dry-run",
    ])
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("would add source \"this-week-in-rust\""),
        "{said}"
    );
    assert!(said.contains("would be created"), "{said}");
    assert!(said.contains("dry run:"), "{said}");
    assert_eq!(std::fs::read_to_string(&c).unwrap(), CONFIG);
}

#[tokio::test]
async fn export_then_import_reproduces_the_sources_and_feeds() {
    let original = r#"[daemon]
data_dir = "data"

[[source]]
id = "boz-qnyw"
url = "https://www.example.gov.cn/zwdt/qnyw/"
title = "区内要闻 & <更多>"
kind = "html"

[[source]]
id = "rust"
url = "https://blog.rust-lang.org/feed.xml?a=1&b=2"
title = "Rust Blog"
kind = "feed"

[[source]]
id = "lone"
url = "https://example.org/feed"

[[feed]]
id = "news"
title = "博州要闻"
sources = ["boz-qnyw", "rust"]

[[feed]]
id = "rust-only"
sources = ["rust"]
"#;
    let dir = tempfile::tempdir().unwrap();
    let a = write_config(dir.path(), original);
    let export = tidings(&["export", "opml", "--sources", "-c", &a]).await;
    assert!(export.status.success(), "{}", stderr(&export));
    let opml = dir.path().join("sources.opml");
    std::fs::write(&opml, &export.stdout).unwrap();
    let b = dir.path().join("empty.toml").display().to_string();
    std::fs::write(&b, "").unwrap();
    let out = tidings(&["import", "opml", &opml.display().to_string(), "-c", &b]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    let (before, after) = (load(&a), load(&b));
    let sources = |c: &Config| {
        let mut v: Vec<(String, String, Option<String>, SourceKind)> = c
            .sources
            .iter()
            .map(|s| (s.id.clone(), s.url.to_string(), s.title.clone(), s.kind))
            .collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    let mut want = sources(&before);
    // A source without a title is exported under its id.
    for s in &mut want {
        if s.0 == "lone" {
            s.2 = Some("lone".into());
            s.3 = SourceKind::Auto;
        }
    }
    assert_eq!(sources(&after), want);
    let feeds = |c: &Config| {
        c.feeds
            .iter()
            .map(|f| (f.id.clone(), f.sources.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(feeds(&after), feeds(&before));
}

#[tokio::test]
async fn an_opml_url_is_fetched_and_its_sources_are_polled() {
    let site = FixtureServer::start().await;
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>区内要闻</title><link>{0}</link>
<item><title>第一条</title><link>{0}/a1.html</link><pubDate>Wed, 07 Sep 2022 02:45:00 GMT</pubDate><description>正文一</description></item>
<item><title>第二条</title><link>{0}/a2.html</link><pubDate>Thu, 08 Sep 2022 02:45:00 GMT</pubDate><description>正文二</description></item>
</channel></rss>"#,
        site.url("")
    );
    site.set("/rss.xml", Reply::ok("application/rss+xml", feed));
    let opml = format!(
        r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="要闻" title="要闻"><outline type="rss" text="区内要闻" xmlUrl="{}"/></outline>
</body></opml>"#,
        site.url("/rss.xml")
    );
    site.set("/export.opml", Reply::ok("text/x-opml", opml));
    let dir = tempfile::tempdir().unwrap();
    let c = write_config(
        dir.path(),
        "[daemon]\ndata_dir = \"data\"\n\n[fetch]\nper_host_interval_ms = 0\n",
    );
    let out = tidings(&["import", "opml", &site.url("/export.opml"), "-c", &c]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(site.requests("/export.opml").len(), 1);
    let config = load(&c);
    assert_eq!(config.sources.len(), 1);
    assert_eq!(config.feeds[0].sources, [config.sources[0].id.clone()]);

    let poll = tidings(&["poll", "-c", &c, "--json"]).await;
    assert!(poll.status.success(), "{}", stderr(&poll));
    let items: Vec<serde_json::Value> = stdout(&poll)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["第一条", "第二条"]);
}
