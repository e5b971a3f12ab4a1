//! Polling end to end against loopback sources: conditional GET, new/updated items,
//! failures that stay with their source, the size cap, the CLI contract and the daemon.

use crate::support::server::{FixtureServer, Reply};
use crate::support::{self};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tidings::model::ItemStatus;
use tidings::store::{SourceHealth, SourceState, Store};
use tokio_util::sync::CancellationToken;

fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>测试频道</title><link>http://example.org/</link>"#,
    );
    for (guid, title, desc) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.org/{guid}</link><description>{desc}</description><pubDate>Wed, 07 Sep 2022 10:45:00 +0800</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn config_text(dir: &std::path::Path, sources: &[(&str, String)]) -> String {
    let mut t = format!(
        "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8080\"\ntimezone = \"Asia/Shanghai\"\nschedule = \"0 */15 * * * *\"\n\n[fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n\n",
        dir.join("data").display().to_string()
    );
    for (id, url) in sources {
        t.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{url}\"\n\n"));
    }
    t
}

#[tokio::test]
async fn polls_store_only_what_is_new_or_changed() {
    let s = FixtureServer::start().await;
    s.set(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("a", "第一条", "甲"), ("b", "第二条", "乙")]),
        )
        .etag("\"v1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(
        dir.path(),
        &config_text(dir.path(), &[("news", s.url("/feed.xml"))]),
    );
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();

    let first = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(first.first);
    let titles: Vec<_> = first
        .stored
        .iter()
        .map(|s| (s.item.title.as_str(), s.status))
        .collect();
    assert_eq!(
        titles,
        [("第一条", ItemStatus::New), ("第二条", ItemStatus::New)]
    );

    // Unchanged: the validators go back and the server answers 304.
    let second = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(second.not_modified && second.stored.is_empty());
    assert_eq!(
        s.requests("/feed.xml")[1].headers["if-none-match"],
        "\"v1\""
    );

    // One entry added: exactly that one is new.
    s.set(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[
                ("c", "第三条", "丙"),
                ("a", "第一条", "甲"),
                ("b", "第二条", "乙"),
            ]),
        )
        .etag("\"v2\""),
    );
    let third = poller.poll(&source, false, &cancel).await.unwrap();
    let got: Vec<_> = third
        .stored
        .iter()
        .map(|s| (s.item.id.as_str(), s.status))
        .collect();
    assert_eq!(got, [("c", ItemStatus::New)]);

    // An edited entry is an update, keeping when it was first seen.
    let first_seen = store.item("news", "a").unwrap().unwrap().first_seen;
    s.set(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[
                ("c", "第三条", "丙"),
                ("a", "第一条（更新）", "甲"),
                ("b", "第二条", "乙"),
            ]),
        )
        .etag("\"v3\""),
    );
    let fourth = poller.poll(&source, false, &cancel).await.unwrap();
    assert_eq!(fourth.stored.len(), 1);
    assert_eq!(fourth.stored[0].status, ItemStatus::Updated);
    assert_eq!(fourth.stored[0].item.title, "第一条（更新）");
    assert_eq!(fourth.stored[0].item.first_seen, first_seen);
    assert_eq!(store.count_items("news"), 3);
    let state = store.source_state("news").unwrap();
    assert_eq!(state.etag.as_deref(), Some("\"v3\""));
    assert_eq!(state.failures, 0);
}

#[tokio::test]
async fn entries_read_unchanged_are_skipped_and_edits_still_count() {
    // No validators: every poll gets the whole feed again.
    let s = FixtureServer::start().await;
    let set = |items: &[(&str, &str, &str)]| {
        s.set("/feed.xml", Reply::ok("application/rss+xml", rss(items)))
    };
    set(&[("a", "第一条", "甲"), ("b", "第二条", "乙")]);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(
        dir.path(),
        &config_text(dir.path(), &[("news", s.url("/feed.xml"))]),
    );
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();
    let poll = || poller.poll(&source, false, &cancel);

    assert_eq!(poll().await.unwrap().stored.len(), 2);
    assert_eq!(store.source_state("news").unwrap().fingerprints.len(), 2);
    let again = poll().await.unwrap();
    assert!(!again.not_modified && again.stored.is_empty());
    assert_eq!(again.entries, 2, "the entries were read, and found known");

    // A later repeat of an id is dropped as before, even when its first copy is skipped.
    set(&[
        ("a", "第一条", "甲"),
        ("b", "第二条", "乙"),
        ("a", "第一条", "别的内容"),
    ]);
    assert!(poll().await.unwrap().stored.is_empty());
    assert_eq!(
        store.item("news", "a").unwrap().unwrap().summary.as_deref(),
        Some("甲")
    );

    // An edit among unchanged entries is an update; a new entry is new.
    set(&[
        ("c", "第三条", "丙"),
        ("a", "第一条", "甲"),
        ("b", "第二条", "乙（更正）"),
    ]);
    let got: Vec<_> = poll()
        .await
        .unwrap()
        .stored
        .iter()
        .map(|s| (s.item.id.clone(), s.status))
        .collect();
    assert_eq!(
        got,
        [
            ("c".to_string(), ItemStatus::New),
            ("b".to_string(), ItemStatus::Updated)
        ]
    );
    assert_eq!(store.count_items("news"), 3);
}

/// Poll a source whose server answers `reply`, once; the error and the state it left.
async fn poll_failing(reply: Reply) -> (tidings::poll::PollError, SourceState) {
    let s = FixtureServer::start().await;
    s.set("/failing", reply);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(
        dir.path(),
        &config_text(dir.path(), &[("failing", s.url("/failing"))]),
    );
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let err = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap_err();
    (err, store.source_state("failing").unwrap())
}

#[tokio::test]
async fn a_failing_source_records_its_error_and_backs_off() {
    let (err, state) = poll_failing(Reply::status(429).header("retry-after", "600")).await;
    assert!(err.to_string().contains("HTTP 429"), "{err}");
    assert_eq!(state.failures, 1);
    assert!(state.last_error.as_deref().unwrap().contains("429"));
    assert_eq!(state.health(), SourceHealth::Failing);
    let wait = state.not_before.unwrap() - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::seconds(590),
        "Retry-After honoured, got {wait}"
    );
}

#[tokio::test]
async fn a_gone_source_is_broken_and_backs_off_for_hours() {
    let (err, state) = poll_failing(Reply::status(410)).await;
    assert!(!err.is_transient(), "{err}");
    assert!(state.error_permanent);
    assert_eq!(state.health(), SourceHealth::Broken);
    let wait = state.not_before.unwrap() - chrono::Utc::now();
    assert!(wait > chrono::Duration::hours(5), "backed off {wait}");
}

fn tidings() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tidings"));
    c.env("RUST_LOG", "tidings=info");
    c
}

#[tokio::test]
async fn cli_poll_reports_a_broken_source_and_goes_on() {
    let s = FixtureServer::start().await;
    s.set(
        "/good.xml",
        Reply::ok("application/rss+xml", rss(&[("g1", "好消息", "正文")])),
    );
    s.set("/bad.xml", Reply::status(503));
    s.set(
        "/huge.xml",
        Reply {
            stream_zeros: 50 << 20,
            ..Reply::ok("application/rss+xml", "<rss>")
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feeds.toml");
    std::fs::write(
        &cfg,
        config_text(
            dir.path(),
            &[
                ("good", s.url("/good.xml")),
                ("bad", s.url("/bad.xml")),
                ("huge", s.url("/huge.xml")),
            ],
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        tidings()
            .args(["poll", "--json", "-c", &cfg_s])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed source makes the exit code 1\n{stderr}"
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["source"], "good");
    assert_eq!(lines[0]["title"], "好消息");
    assert_eq!(lines[0]["status"], "new");
    assert_eq!(lines[0]["published"], "2022-09-07T10:45:00+08:00");
    for field in [
        "id",
        "url",
        "updated",
        "author",
        "origin",
        "summary",
        "content_text",
        "content_html",
    ] {
        assert!(lines[0].get(field).is_some(), "field {field} present");
    }
    assert!(
        stderr.contains("source bad: ") && stderr.contains("HTTP 503"),
        "{stderr}"
    );
    assert!(
        stderr.contains("source huge: ") && stderr.contains("larger than the limit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 sources, 1 new, 0 updated, 2 failed"),
        "{stderr}"
    );

    // Second run: nothing new from the good source, nothing was stored for the huge one.
    let cfg_s = cfg.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        tidings()
            .args(["poll", "--json", "-c", &cfg_s, "--source", "good"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "printed once, then nothing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 source, 0 new, 0 updated, 0 failed"));
    let store = Store::open(&dir.path().join("data")).unwrap();
    assert_eq!(store.count_items("huge"), 0);
    assert_eq!(store.count_items("good"), 1);
}

#[tokio::test]
async fn dry_run_stores_nothing() {
    let s = FixtureServer::start().await;
    s.set(
        "/f.xml",
        Reply::ok("application/rss+xml", rss(&[("x", "标题", "内容")])),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feeds.toml");
    std::fs::write(&cfg, config_text(dir.path(), &[("f", s.url("/f.xml"))])).unwrap();
    let run = |args: Vec<String>| tidings().args(args).output().unwrap();
    let c = cfg.to_str().unwrap().to_string();
    let args = |extra: &[&str]| {
        let mut v = vec!["poll".to_string(), "-c".into(), c.clone(), "--json".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let (a1, a2, a3) = (args(&["--dry-run"]), args(&["--dry-run"]), args(&[]));
    let outs = tokio::task::spawn_blocking(move || (run(a1), run(a2), run(a3)))
        .await
        .unwrap();
    for o in [&outs.0, &outs.1, &outs.2] {
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            1,
            "the item each time until really stored"
        );
    }
}

#[tokio::test]
async fn the_daemon_polls_holds_the_database_and_stops_on_sigterm() {
    let s = FixtureServer::start().await;
    s.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&[("d1", "守护进程", "正文")])),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feeds.toml");
    std::fs::write(
        &cfg,
        config_text(dir.path(), &[("news", s.url("/feed.xml"))]),
    )
    .unwrap();
    let mut child = tidings()
        .args(["run", "-c", cfg.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();

    // Never polled: the daemon polls at start-up (within its jitter of up to 3 s).
    assert!(
        s.wait_for_request("/feed.xml", Duration::from_secs(20))
            .await,
        "the daemon polled its source"
    );

    // A second process is told plainly who holds the database.
    let c = cfg.to_str().unwrap().to_string();
    let out =
        tokio::task::spawn_blocking(move || tidings().args(["poll", "-c", &c]).output().unwrap())
            .await
            .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("in use by another tidings process") && err.contains(&format!("pid {pid}")),
        "{err}"
    );
    assert!(
        err.contains(&dir.path().join("data").display().to_string()),
        "{err}"
    );

    let t0 = Instant::now();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit 0 on SIGTERM, got {status:?}");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "stopped within a few seconds"
    );
}

#[tokio::test]
async fn wrong_charsets_still_give_readable_chinese() {
    let s = FixtureServer::start().await;
    let feed = rss(&[("w1", "自治州召开棉花采收工作会议", "会议要求")])
        .replace("encoding=\"utf-8\"", "encoding=\"gb2312\"");
    let (gbk, _, _) = encoding_rs::GBK.encode(&feed);
    // The header claims UTF-8; the bytes and the XML prolog say GB2312.
    s.set(
        "/gbk.xml",
        Reply::ok("application/rss+xml; charset=utf-8", gbk.into_owned()),
    );
    // The prolog claims gb2312; the bytes are UTF-8.
    let utf8 = rss(&[("u1", "区内要闻：秋收进度过半", "正文")])
        .replace("encoding=\"utf-8\"", "encoding=\"gb2312\"");
    s.set("/utf8.xml", Reply::ok("text/xml", utf8));
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(
        dir.path(),
        &config_text(
            dir.path(),
            &[("gbk", s.url("/gbk.xml")), ("utf8", s.url("/utf8.xml"))],
        ),
    );
    let (poller, _store) = support::poller(config);
    let cancel = CancellationToken::new();
    let a = poller
        .poll(&poller.config.get().sources[0], false, &cancel)
        .await
        .unwrap();
    assert_eq!(a.stored[0].item.title, "自治州召开棉花采收工作会议");
    let b = poller
        .poll(&poller.config.get().sources[1], false, &cancel)
        .await
        .unwrap();
    assert_eq!(b.stored[0].item.title, "区内要闻：秋收进度过半");
}

/// Issue 11: the daemon starts one loop per source, but only `[fetch] polls_in_flight`
/// polls run at once, however many sources fall due together (and each still gets its
/// turn), so that memory follows that number and not the number of sources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_runs_at_most_polls_in_flight_polls_at_once() {
    const SOURCES: usize = 12;
    const IN_FLIGHT: usize = 3;
    let s = FixtureServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\ntimezone = \"Asia/Shanghai\"\n\
         schedule = \"* * * * * *\"\n\n[fetch]\nper_host_interval_ms = 0\n\
         per_host_concurrency = 64\ntimeout_secs = 10\npolls_in_flight = {IN_FLIGHT}\n\n",
        dir.path().join("data").display().to_string()
    );
    for i in 0..SOURCES {
        let path = format!("/f{i}.xml");
        // Every source falls due each second and its server takes 400 ms to answer:
        // without a bound, all twelve would be in flight together.
        let mut reply = Reply::ok(
            "application/rss+xml",
            rss(&[(&format!("g{i}"), "标题", "正文")]),
        )
        .etag(&format!("\"e{i}\""));
        reply.delay = Some(Duration::from_millis(400));
        s.set(&path, reply);
        text.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nurl = \"{}\"\n\n",
            s.url(&path)
        ));
    }
    let config = support::config(dir.path(), &text);
    let running = tidings::app::start(config).await.unwrap();
    // Until every source was polled three times (hang guard: 90 s).
    let deadline = Instant::now() + Duration::from_secs(90);
    let polled_thrice = || (0..SOURCES).all(|i| s.requests(&format!("/f{i}.xml")).len() >= 3);
    while !polled_thrice() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    running.shutdown().await.unwrap();
    let counts: Vec<usize> = (0..SOURCES)
        .map(|i| s.requests(&format!("/f{i}.xml")).len())
        .collect();
    assert!(polled_thrice(), "every source gets its turn: {counts:?}");
    assert!(
        s.most_in_flight() <= IN_FLIGHT,
        "at most {IN_FLIGHT} polls at once, saw {} (requests per source: {counts:?})",
        s.most_in_flight()
    );
}
