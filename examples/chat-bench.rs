//! The chat benchmark: N Telegram chats × M new items (default 10 × 200) through the real
//! router, outbox and worker into a minimal in-process fake Bot API on loopback, with the
//! flood limits set high so that the figure is Tidings' own cost. Prints messages/s and
//! the process's peak resident memory.
//!
//! `cargo run --release --example chat-bench -- [CHATS] [ITEMS]`
//!
//! The fake answers every `sendMessage` with `{"ok":true,"result":{…message…}}` at once
//! and keeps only a count. (That the real limits are held, never exceeded, is proved in
//! virtual time by `tests/chat/flood.rs`.)

mod common;

use axum::body::Body;
use axum::http::{Request, Response};
use chrono::{TimeZone, Utc};
use common::{peak_rss, reset_peak};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tidings::config::Config;
use tidings::model::{Entry, PubDate};
use tidings::notify::Notifier;
use tidings::notify::route::{self, Audience, Backlog};
use tidings::store::Store;
use tidings::templates::Templates;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let chats: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10);
    let items: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(200);
    let received = Arc::new(AtomicUsize::new(0));
    let api = fake_bot_api(received.clone()).await?;

    let dir = std::env::temp_dir().join(format!("tidings-chat-bench-{}", std::process::id()));
    let mut text = format!(
        r#"
[daemon]
data_dir = {dir:?}
timezone = "Asia/Shanghai"

[[source]]
id = "boz"
title = "区内要闻"
url = "http://www.example.gov.cn/zwdt/qnyw/"

[[feed]]
id = "news"
title = "博州要闻"
sources = ["*"]

[telegram]
token = "123456:BENCH-token"
api_url = "http://{api}"
commands = false
# Limits set high: the figure is Tidings' cost, not Telegram's limits.
chat_interval_ms = 0
group_per_minute = 100000
bot_per_second = 100000
burst_digest = 0
"#,
        dir = dir.display().to_string()
    );
    for i in 0..chats {
        text.push_str(&format!(
            "\n[[chat]]\nchat_id = -100{}\nfeeds = [\"news\"]\n",
            1000 + i
        ));
    }
    let config = Arc::new(Config::parse(&text, std::path::Path::new("bench.toml"))?);
    let store = Arc::new(Store::open(&dir)?);
    let now = Utc::now();
    let entries: Vec<Entry> = (0..items)
        .map(|i| Entry {
            url: Some(format!(
                "http://www.example.gov.cn/zwdt/qnyw/202209/t20220907_{i}.html"
            )),
            title: Some(format!("自治州科协开展“科技之春”宣传月活动 第{i}期")),
            published: Some(PubDate::Instant(
                chrono::FixedOffset::east_opt(8 * 3600)
                    .expect("a valid offset")
                    .with_ymd_and_hms(2022, 9, 7, 10, (i % 60) as u32, 0)
                    .unwrap(),
            )),
            content_html: Some(
                "<p>为深入贯彻落实全民科学素质行动规划纲要，自治州科协组织开展科普宣传活动。</p>"
                    .repeat(4),
            ),
            ..Default::default()
        })
        .collect();
    let batch = tidings::process::to_items(&entries, "boz", None, now);
    let audience = Audience::load(&store, &config)?;
    store.store_routed("boz", batch, &|stored| {
        route::plan(&config, &audience, Backlog::Seen, stored, now)
    })?;
    let queued = store.outbox()?.len();
    println!(
        "set up: {chats} chats × {items} items, {queued} messages queued; peak RSS so far {}",
        peak_rss()
    );
    reset_peak();

    let notifier = Notifier::new(
        config.clone(),
        store.clone(),
        Arc::new(Templates::embedded()),
    )?;
    let started = Instant::now();
    let (mut sent, mut failed, mut retried) = (0, 0, 0);
    // A pass stops at a round with no progress; the flood scheduler may defer a few rows
    // by milliseconds, so pass again until the outbox is empty.
    for _ in 0..10_000 {
        let pass = notifier.deliver_due(&CancellationToken::new()).await?;
        sent += pass.sent;
        failed += pass.failed;
        retried += pass.retried;
        if store.outbox()?.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let took = started.elapsed();
    println!(
        "sent {sent} (failed {failed}, retried {retried}) in {:.2} s: {:.0} msgs/s; the fake received {}",
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64(),
        received.load(Ordering::Relaxed)
    );
    println!("peak RSS of the sending: {}", peak_rss());
    drop(notifier);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A minimal Bot API on loopback: every method succeeds; `sendMessage` answers with a
/// message and is counted.
async fn fake_bot_api(received: Arc<AtomicUsize>) -> anyhow::Result<std::net::SocketAddr> {
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let received = received.clone();
        async move {
            let method = req
                .uri()
                .path()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let result = if method == "sendmessage" {
                let n = received.fetch_add(1, Ordering::Relaxed) + 1;
                let sent: serde_json::Value =
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let chat_id = sent["chat_id"].as_i64().unwrap_or(0);
                serde_json::json!({
                    "message_id": n,
                    "date": 1_700_000_000,
                    "chat": {"id": chat_id, "type": "supergroup", "title": "bench"},
                    "text": sent["text"],
                })
            } else {
                serde_json::json!(true)
            };
            Response::builder()
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({"ok": true, "result": result}).to_string(),
                ))
                .expect("a valid response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
