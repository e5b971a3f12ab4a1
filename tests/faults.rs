//! Hostile servers and hostile bodies, all in one poll: each fault stays with its source
//! (a clear `last_error`, counted in /metrics, backoff), recoverable bodies store their
//! good items, nothing is stored that should not be, and the good source next to them
//! is unaffected. Fetch-level details (the exact limits, Retry-After parsing) are in
//! `fetch.rs`; this is what a user of the daemon sees.

use crate::support::server::{FixtureServer, Reply};
use crate::support::{self};
use std::process::Command;
use std::time::Duration;
use tidings::model::PubDate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>频道</title><link>http://example.org/</link>"#,
    );
    for (guid, title, date) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.org/{guid}</link><description>正文 {guid}</description><pubDate>{date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

const DATE: &str = "Wed, 07 Sep 2022 10:45:00 +0800";

/// A loopback server that reads each request's head, then answers with `behave`.
async fn raw_server<F, Fut>(behave: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let behave = std::sync::Arc::new(behave);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let behave = behave.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                behave(sock).await
            });
        }
    });
    format!("http://{addr}/feed.xml")
}

fn config_text(dir: &std::path::Path, sources: &[(&str, String)]) -> String {
    let mut t = format!(
        "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8080\"\ntimezone = \"Asia/Shanghai\"\nschedule = \"0 */15 * * * *\"\n\n[fetch]\nper_host_interval_ms = 0\nper_host_concurrency = 32\ntimeout_secs = 2\nconnect_timeout_secs = 2\n\n",
        dir.join("data").display().to_string()
    );
    for (id, url) in sources {
        t.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{url}\"\n"));
        if id.starts_with("deep") {
            t.push_str("[source.select]\nitem = \"li.row\"\nlink = \"a\"\n");
        }
        t.push('\n');
    }
    t
}

#[tokio::test]
async fn every_fault_stays_with_its_source_and_the_good_items_are_stored() {
    let s = FixtureServer::start().await;
    s.set(
        "/good.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("g1", "好的一条", DATE), ("g2", "好的二条", DATE)]),
        ),
    );
    for code in [500u16, 502, 503, 429] {
        s.set(&format!("/s{code}"), Reply::status(code));
    }
    s.set(
        "/s503-retry",
        Reply::status(503).header("retry-after", "120"),
    );
    s.set(
        "/s429-forever",
        Reply::status(429).header("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    s.set("/loop", Reply::status(302).header("location", "/loop"));
    s.set(
        "/bomb.xml",
        Reply {
            gzip: true,
            ..Reply::ok("application/rss+xml", support::gzip(&vec![b' '; 64 << 20]))
        },
    );
    let whole = rss(&[("t1", "完整的一条", DATE), ("t2", "被截断的一条", DATE)]);
    // Cut inside the second entry's description: the forgiving reader keeps what it read.
    let cut = &whole[..whole.find("正文 t2").unwrap() + "正文".len()];
    s.set("/truncated.xml", Reply::ok("application/rss+xml", cut));
    // Two bad bytes in a feed of ordinary length: damage, not a reason to read the whole
    // feed in another encoding.
    let long = format!("另一条{}", "新闻内容".repeat(20));
    let mut bad_utf8 = rss(&[("u1", "坏字节XX标题", DATE), ("u2", &long, DATE)]).into_bytes();
    let at = bad_utf8.windows(2).position(|w| w == b"XX").unwrap();
    bad_utf8[at] = 0xff;
    bad_utf8[at + 1] = 0xfe;
    s.set(
        "/bad-utf8.xml",
        Reply::ok("application/rss+xml; charset=utf-8", bad_utf8),
    );
    // Labelled UTF-8 twice (header and prolog), encoded GBK.
    let gbk_page = rss(&[("k1", "区内要闻：棉花丰收", DATE), ("k2", "科协活动", DATE)]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_page);
    s.set(
        "/gbk-as-utf8.xml",
        Reply::ok("application/rss+xml; charset=utf-8", gbk.into_owned()),
    );
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{}">{}]><rss version="2.0"><channel><title>x</title><item><guid>l1</guid><title>&j;</title><link>http://example.org/l1</link></item></channel></rss>"#,
        "ha".repeat(10),
        (b'b'..=b'j')
            .map(|c| {
                let prev = (c - 1) as char;
                format!(
                    r#"<!ENTITY {} "{}">"#,
                    c as char,
                    format!("&{prev};").repeat(10)
                )
            })
            .collect::<String>()
    );
    s.set("/laughs.xml", Reply::ok("application/rss+xml", laughs));
    // 100,000 entries within the 10 MiB body cap (oldest first, as some archives list).
    let mut many =
        String::from(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>"#);
    for i in 0..100_000 {
        let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
            + chrono::Duration::days(i as i64 / 8);
        many.push_str(&format!(
            "<item><guid>m{i}</guid><pubDate>{day}</pubDate></item>"
        ));
    }
    many.push_str("</channel></rss>");
    assert!(many.len() < 10 << 20);
    s.set("/many.xml", Reply::ok("application/rss+xml", many));
    s.set(
        "/fullwidth.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[
                ("w1", "全角时区", "2022-09-07 10:45+０８００"),
                ("w2", "阿拉伯数字时区", "2022-09-07 10:45+٠٨٠٠"),
                ("w3", "同一轮的另一条", DATE),
                ("w4", "远在未来", "Fri, 31 Dec 9999 23:59:59 GMT"),
            ]),
        ),
    );
    // A list linking to the deep pages that took html5ever seconds.
    s.set(
        "/deep/list.html",
        Reply::ok(
            "text/html; charset=utf-8",
            r#"<html><body><ul><li class="row"><a href="/deep/20220907_1.html">深层嵌套的文章</a></li><li class="row"><a href="/deep/20220907_2.html">深层列表的文章</a></li></ul></body></html>"#,
        ),
    );
    s.set(
        "/deep/20220907_1.html",
        Reply::ok(
            "text/html; charset=utf-8",
            format!(
                "<html><head><title>深层嵌套的文章</title></head><body>{}<p>核心内容在十万层之下。</p>{}</body></html>",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
        ),
    );
    s.set(
        "/deep/20220907_2.html",
        Reply::ok(
            "text/html; charset=utf-8",
            format!(
                "<html><head><title>深层列表的文章</title></head><body>{}列表里的正文。</body></html>",
                "<ul><li>".repeat(40_000)
            ),
        ),
    );

    // Refused: a port that was just free.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/feed.xml", l.local_addr().unwrap())
    };
    // Reset: headers promise 10,000 bytes, 20 come, then the connection is dropped.
    let reset = raw_server(|mut sock| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: 10000\r\n\r\n<?xml version=\"1.0\"?>")
            .await;
        // Zero linger: the close is a TCP reset, not an orderly end.
        let _ = sock.set_zero_linger();
        drop(sock);
    })
    .await;
    // Never answers: the connection is accepted and held.
    let silent = raw_server(|sock| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(sock);
    })
    .await;
    // Trickles a byte a second, forever.
    let trickle = raw_server(|mut sock| async move {
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n\r\n")
            .await;
        for _ in 0..60 {
            if sock.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;

    let sources: Vec<(&str, String)> = vec![
        ("good", s.url("/good.xml")),
        ("refused", refused),
        ("reset", reset),
        ("silent", silent),
        ("trickle", trickle),
        ("s500", s.url("/s500")),
        ("s502", s.url("/s502")),
        ("s503", s.url("/s503")),
        ("s429", s.url("/s429")),
        ("s503-retry", s.url("/s503-retry")),
        ("s429-forever", s.url("/s429-forever")),
        ("loop", s.url("/loop")),
        ("bomb", s.url("/bomb.xml")),
        ("truncated", s.url("/truncated.xml")),
        ("bad-utf8", s.url("/bad-utf8.xml")),
        ("gbk", s.url("/gbk-as-utf8.xml")),
        ("laughs", s.url("/laughs.xml")),
        ("many", s.url("/many.xml")),
        ("fullwidth", s.url("/fullwidth.xml")),
        ("deep", s.url("/deep/list.html")),
    ];
    let dir = tempfile::tempdir().unwrap();
    let config = support::config(dir.path(), &config_text(dir.path(), &sources));
    let (poller, store) = support::poller(config);
    let metrics = tidings::server::metrics::handle();
    let cancel = CancellationToken::new();
    let all = poller.config.get().sources.clone();
    let started = std::time::Instant::now();
    let results = tokio::time::timeout(
        Duration::from_secs(120),
        futures_util::future::join_all(all.iter().map(|src| poller.poll(src, false, &cancel))),
    )
    .await
    .expect("one poll of every source ends (hang guard)");
    let took = started.elapsed();
    let now = chrono::Utc::now();
    let result = |id: &str| {
        let i = all.iter().position(|s| s.id == id).unwrap();
        &results[i]
    };
    let error = |id: &str| match result(id) {
        Err(e) => e.to_string(),
        Ok(o) => panic!("{id} should have failed, stored {}", o.stored.len()),
    };
    let titles = |id: &str| -> Vec<String> {
        match result(id) {
            Ok(o) => o.stored.iter().map(|s| s.item.title.clone()).collect(),
            Err(e) => panic!("{id} failed: {e}"),
        }
    };

    // The good source is unaffected.
    assert_eq!(titles("good"), ["好的一条", "好的二条"]);

    // Failures: a clear error, recorded on the source, counted, backed off, nothing stored.
    let failing = [
        ("refused", "connect"),
        ("reset", ""),
        ("silent", "timed out"),
        ("trickle", "timed out"),
        ("s500", "HTTP 500"),
        ("s502", "HTTP 502"),
        ("s503", "HTTP 503"),
        ("s429", "HTTP 429"),
        ("s503-retry", "HTTP 503"),
        ("s429-forever", "HTTP 429"),
        ("loop", "redirect"),
        ("bomb", "limit"),
    ];
    let rendered = metrics.render();
    for (id, says) in failing {
        let message = error(id);
        assert!(message.starts_with("http://127.0.0.1:"), "{id}: {message}");
        assert!(
            message.to_lowercase().contains(&says.to_lowercase()),
            "{id}: {message}"
        );
        let state = store.source_state(id).unwrap();
        assert_eq!(state.last_error.as_deref(), Some(message.as_str()), "{id}");
        assert_eq!(state.failures, 1, "{id}");
        let not_before = state.not_before.expect("backoff");
        assert!(not_before > now - chrono::Duration::seconds(120), "{id}");
        // Retry-After is honoured, but a date in year 9999 is capped like the seconds form.
        assert!(
            not_before < now + chrono::Duration::days(2),
            "{id} parked until {not_before}"
        );
        assert_eq!(store.count_items(id), 0, "{id} stored something");
        assert!(
            rendered.contains(&format!("tidings_poll_failures_total{{source=\"{id}\"}}")),
            "{id} not counted:\n{rendered}"
        );
    }
    let retry = store
        .source_state("s503-retry")
        .unwrap()
        .not_before
        .unwrap();
    assert!(retry > now + chrono::Duration::seconds(100), "{retry}");

    // Recoverable bodies: what can be read is stored, damage is visible, no more.
    assert_eq!(titles("truncated"), ["完整的一条", "被截断的一条"]);
    let bad = titles("bad-utf8");
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad[0].starts_with("坏字节") && bad[0].ends_with("标题"),
        "{bad:?}"
    );
    assert!(bad[0].contains('\u{fffd}'), "{bad:?}");
    assert_eq!(bad[1], long);
    assert_eq!(titles("gbk"), ["区内要闻：棉花丰收", "科协活动"]);
    // Entity expansion is bounded: the title is not a billion laughs.
    match result("laughs") {
        Ok(o) => assert!(o.stored.iter().all(|s| s.item.title.len() < 1 << 20)),
        Err(e) => assert!(e.to_string().contains("laughs.xml"), "{e}"),
    }
    // 100,000 entries: the newest are processed, a bounded number.
    let many = result("many").as_ref().unwrap();
    assert_eq!(many.entries, 100_000);
    assert_eq!(many.stored.len(), tidings::poll::MAX_ENTRIES_PER_POLL);
    assert!(many.stored.iter().any(|s| s.item.id == "m99999"));
    assert!(!many.stored.iter().any(|s| s.item.id == "m0"));

    // Full-width digits in the offset: read, and the rest of the poll stored (it used to
    // panic and lose every item of the poll).
    let fw = result("fullwidth").as_ref().unwrap();
    let published = |id: &str| {
        fw.stored
            .iter()
            .find(|s| s.item.id == id)
            .unwrap_or_else(|| panic!("{id} not stored"))
            .item
            .published
    };
    assert_eq!(
        published("w1").map(|p| p.to_string()).as_deref(),
        Some("2022-09-07T10:45:00+08:00")
    );
    assert!(
        published("w2").is_none(),
        "Arabic-Indic digits are no ASCII digits"
    );
    assert!(matches!(published("w3"), Some(PubDate::Instant(_))));
    // A date in year 9999 would pin the item to the top of every feed: first-seen instead.
    assert_eq!(published("w4"), None);

    // Deep nesting: both articles extracted, with their text.
    let deep = result("deep").as_ref().unwrap();
    assert!(deep.article_errors.is_empty(), "{:?}", deep.article_errors);
    let texts: Vec<String> = deep
        .stored
        .iter()
        .map(|s| s.item.content_text.clone().unwrap_or_default())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("核心内容在十万层之下"), "{texts:?}");
    assert!(texts[1].contains("列表里的正文"), "{texts:?}");

    // Nothing panicked.
    assert!(!rendered.contains("tidings_poll_panics_total{source=\"fullwidth\"}"));
    eprintln!("one poll of {} hostile sources took {took:?}", all.len());
}

/// `tidings poll` on the full-width date exits 0 and prints every item (it exited 101,
/// storing nothing).
#[tokio::test]
async fn cli_poll_reads_a_full_width_offset() {
    let s = FixtureServer::start().await;
    s.set(
        "/fullwidth.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[
                ("w1", "全角时区", "2022-09-07 10:45+０８００"),
                ("w2", "另一条", DATE),
            ]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feeds.toml");
    std::fs::write(
        &path,
        config_text(dir.path(), &[("fullwidth", s.url("/fullwidth.xml"))]),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(["poll", "--json", "-c"])
            .arg(&path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("2022-09-07T10:45:00+08:00"), "{stdout}");
}
