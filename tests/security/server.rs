//! The HTTP server's limits, with raw TCP clients: a client that never finishes its
//! headers is cut off, connections over the cap are refused with 503, an oversized form
//! body gets 413, a request whose body never ends gets 408, and every answer carries its
//! security headers.

use crate::publish::{Server, feed, source};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: only there so that a broken server fails the test instead of hanging it.
const HANG_GUARD: Duration = Duration::from_secs(20);

async fn server(f: impl FnOnce(&mut tidings::config::ServerConfig)) -> Server {
    Server::start(|config, _| {
        f(&mut config.server);
        config.sources.push(source("good", "区内要闻"));
        config.feeds.push(feed("news", "博州要闻", &["good"]));
    })
    .await
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    tokio::time::timeout(HANG_GUARD, stream.read_to_end(&mut buf))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let s = server(|l| l.header_timeout_secs = 1).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: tidings\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let answer = read_to_close(&mut c).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "cut at the timeout, not before"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    // A kept-alive connection sitting idle after a request is cut off the same way.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: tidings\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut c).await;
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    s.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_with_503_until_one_frees() {
    let s = server(|l| {
        l.max_connections = 2;
        l.header_timeout_secs = 60;
    })
    .await;
    // Two idle connections take both slots (the accept loop takes them in order).
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let mut third = TcpStream::connect(s.addr).await.unwrap();
    let answer = read_to_close(&mut third).await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer}"
    );
    assert!(answer.contains("retry-after: 1"), "{answer}");
    // Closing one frees its slot: a request gets through again.
    drop(idle.pop());
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = read_to_close(&mut c).await;
        if !answer.contains(" 503 ") {
            assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(idle);
    s.stop().await;
}

#[tokio::test]
async fn an_oversized_form_body_gets_413() {
    let s = server(|l| l.max_form_bytes = 1024).await;
    let big = "token=".to_string() + &"x".repeat(4096);
    let r = s
        .client
        .post(s.url("/unsubscribe?token=abc"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = s
        .client
        .post(s.url("/subscribe/daily"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert!(
        [413, 404].contains(&r.status().as_u16()),
        "a list that does not exist may answer 404 first: {}",
        r.status()
    );
    s.stop().await;
}

#[tokio::test]
async fn a_request_whose_body_never_ends_gets_408() {
    let s = server(|l| l.request_timeout_secs = 1).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(
        b"POST /unsubscribe?token=abc HTTP/1.1\r\nHost: t\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ntoken=",
    )
    .await
    .unwrap();
    let answer = read_to_close(&mut c).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout_secs"), "{answer}");
    s.stop().await;
}

#[tokio::test]
async fn every_answer_carries_nosniff_and_html_pages_a_script_free_policy() {
    let s = server(|_| {}).await;
    for path in [
        "/",
        "/feeds/news.atom",
        "/healthz",
        "/feeds/missing.atom",
        "/opml",
    ] {
        let r = s.get(path).await;
        assert_eq!(
            r.headers()["x-content-type-options"],
            "nosniff",
            "GET {path}"
        );
    }
    let r = s.get("/").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "no script of any kind: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let r = s.get("/feeds/news.atom").await;
    assert!(r.headers().get("content-security-policy").is_none());
    s.stop().await;
}
