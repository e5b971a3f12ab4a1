//! The fetcher against a loopback server: conditional GET, timeouts, size caps (plain
//! and decompressed), Retry-After, redirects, User-Agent.

use crate::support::gzip;
use crate::support::server::{FixtureServer, Reply};
use std::time::Duration;
use tidings::config::FetchConfig;
use tidings::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use url::Url;

fn fetcher(f: impl FnOnce(&mut FetchConfig)) -> Fetcher {
    let mut cfg = FetchConfig {
        per_host_interval_ms: 0,
        ..Default::default()
    };
    f(&mut cfg);
    Fetcher::new(&cfg).unwrap()
}

fn url(s: &FixtureServer, path: &str) -> Url {
    Url::parse(&s.url(path)).unwrap()
}

#[tokio::test]
async fn conditional_get_sends_validators_and_gets_304() {
    let s = FixtureServer::start().await;
    s.set(
        "/feed.xml",
        Reply::ok("application/rss+xml", "<rss/>")
            .etag("\"v1\"")
            .header("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
    );
    let f = fetcher(|_| {});
    let first = match f
        .get(&url(&s, "/feed.xml"), &Validators::default())
        .await
        .unwrap()
    {
        FetchOutcome::Fetched(x) => x,
        other => panic!("expected a body, got {other:?}"),
    };
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.validators.last_modified.as_deref(),
        Some("Mon, 01 Jan 2024 00:00:00 GMT")
    );
    let second = f
        .get(&url(&s, "/feed.xml"), &first.validators)
        .await
        .unwrap();
    assert!(matches!(second, FetchOutcome::NotModified), "{second:?}");
    let reqs = s.requests("/feed.xml");
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].headers.get("if-none-match").is_none());
    assert_eq!(reqs[1].headers["if-none-match"], "\"v1\"");
    assert_eq!(
        reqs[1].headers["if-modified-since"],
        "Mon, 01 Jan 2024 00:00:00 GMT"
    );
    let ua = reqs[0].headers["user-agent"].to_str().unwrap();
    assert!(ua.starts_with("tidings/"), "honest user agent, got {ua}");
}

#[tokio::test]
async fn a_server_that_hangs_times_out_with_the_url_in_the_error() {
    let s = FixtureServer::start().await;
    s.set(
        "/slow",
        Reply {
            delay: Some(Duration::from_secs(30)),
            ..Reply::ok("text/html", "late")
        },
    );
    let f = fetcher(|c| c.timeout_secs = 1);
    let err = f
        .get(&url(&s, "/slow"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/slow") && err.to_string().contains("timed out"),
        "{err}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_50_mib_body_is_refused_naming_the_limit() {
    let s = FixtureServer::start().await;
    // Streamed without Content-Length: the cap must stop the read itself.
    s.set(
        "/huge",
        Reply {
            stream_zeros: 50 << 20,
            ..Reply::ok("text/html", "<html>")
        },
    );
    let f = fetcher(|_| {});
    let err = f
        .get(&url(&s, "/huge"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: 10_485_760,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("10485760 bytes"), "{err}");
    // With a Content-Length the body is refused before it is read.
    s.set("/declared", Reply::ok("text/html", vec![b'x'; 2 << 20]));
    let f = fetcher(|c| c.max_body_bytes = 1 << 20);
    let err = f
        .get(&url(&s, "/declared"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_gzip_bomb_is_capped_on_its_decompressed_size() {
    let s = FixtureServer::start().await;
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20, "the bomb is small on the wire");
    s.set(
        "/bomb",
        Reply {
            gzip: true,
            ..Reply::ok("application/rss+xml", bomb)
        },
    );
    let f = fetcher(|_| {});
    let err = f
        .get(&url(&s, "/bomb"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
    // A sane gzip body is decompressed transparently.
    s.set(
        "/ok",
        Reply {
            gzip: true,
            ..Reply::ok("text/plain", gzip("你好".as_bytes()))
        },
    );
    let ok = f.get_fresh(&url(&s, "/ok")).await.unwrap();
    assert_eq!(&ok.body[..], "你好".as_bytes());
}

#[tokio::test]
async fn retry_after_is_reported_in_seconds_and_dates() {
    let s = FixtureServer::start().await;
    s.set("/busy", Reply::status(429).header("retry-after", "120"));
    use chrono::Timelike;
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(10))
        .with_nanosecond(0)
        .unwrap();
    s.set(
        "/down",
        Reply::status(503).header("retry-after", &httpdate::fmt_http_date(soon.into())),
    );
    s.set(
        "/far",
        Reply::status(503).header("retry-after", "Wed, 21 Oct 2037 07:28:00 GMT"),
    );
    s.set("/gone", Reply::status(404));
    let f = fetcher(|_| {});
    let before = chrono::Utc::now();
    let err = f
        .get(&url(&s, "/busy"), &Validators::default())
        .await
        .unwrap_err();
    let at = err.retry_after().expect("retry-after seconds");
    assert!(
        at >= before + chrono::Duration::seconds(119)
            && at <= chrono::Utc::now() + chrono::Duration::seconds(121)
    );
    assert!(err.is_transient());
    let err = f
        .get(&url(&s, "/down"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(soon));
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    // A date years ahead is capped like the seconds form: a day at most.
    let err = f
        .get(&url(&s, "/far"), &Validators::default())
        .await
        .unwrap_err();
    let at = err.retry_after().expect("retry-after date");
    assert!(at <= chrono::Utc::now() + chrono::Duration::days(1), "{at}");
    assert!(at >= before + chrono::Duration::hours(23), "{at}");
    let err = f
        .get(&url(&s, "/gone"), &Validators::default())
        .await
        .unwrap_err();
    assert!(!err.is_transient() && err.retry_after().is_none());
}

#[tokio::test]
async fn redirects_are_followed_up_to_ten() {
    let s = FixtureServer::start().await;
    s.set("/a", Reply::status(301).header("location", "/b"));
    s.set("/b", Reply::status(302).header("location", "/final"));
    s.set("/final", Reply::ok("text/html", "here"));
    for i in 0..12 {
        s.set(
            &format!("/loop{i}"),
            Reply::status(302).header("location", &format!("/loop{}", i + 1)),
        );
    }
    let f = fetcher(|_| {});
    let page = f.get_fresh(&url(&s, "/a")).await.unwrap();
    assert_eq!(
        page.url.path(),
        "/final",
        "the final URL is the base for links"
    );
    let err = f
        .get(&url(&s, "/loop0"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_hosts_are_connect_errors() {
    // Bind then drop a listener: the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = fetcher(|c| c.connect_timeout_secs = 2);
    let err = f
        .get(
            &Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap(),
            &Validators::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
}
