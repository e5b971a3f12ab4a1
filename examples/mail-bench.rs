//! The digest benchmark: one digest run to N subscribers (default 1,000) through the real
//! worker and the real email channel (lettre, pooled), into an SMTP sink on loopback.
//! Prints mails/s and the process's peak resident memory.
//!
//! `CONNECTIONS=16 cargo run --release --example mail-bench -- [SUBSCRIBERS] [ITEMS] [smtp://HOST:PORT]`
//!
//! Without an SMTP URL, a minimal in-process sink answers (it accepts every mail and
//! keeps only a count), so the figure is Tidings' own cost; give the URL of another
//! server (e.g. aiosmtpd, `python -m aiosmtpd -n -l 127.0.0.1:2525`) to include its cost.

mod common;

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
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let subscribers: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(1000);
    let items: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(20);
    let received = Arc::new(AtomicUsize::new(0));
    let connections: u32 = std::env::var("CONNECTIONS")
        .ok()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(16);
    let smtp = match args.next() {
        Some(url) => url,
        None => format!("smtp://{}", sink(received.clone()).await?),
    };

    let dir = std::env::temp_dir().join(format!("tidings-mail-bench-{}", std::process::id()));
    let text = format!(
        r#"
[daemon]
data_dir = {dir:?}
public_url = "http://news.example.org/"
timezone = "Asia/Shanghai"

[[source]]
id = "boz"
title = "区内要闻"
url = "http://www.example.gov.cn/zwdt/qnyw/"

[[feed]]
id = "news"
title = "博州要闻"
sources = ["*"]

[email]
smtp = "{smtp}"
from = "博州要闻 <news@example.org>"
connections = {connections}

[[list]]
id = "daily"
title = "每日要闻"
feeds = ["news"]
schedule = "0 0 8 * * *"
language = "zh"
"#,
        dir = dir.display().to_string()
    );
    let config = Arc::new(Config::parse(&text, std::path::Path::new("bench.toml"))?);
    let store = Arc::new(Store::open(&dir)?);
    for i in 0..subscribers {
        tidings::notify::subscription::add(
            &store,
            &config,
            "daily",
            &format!("reader{i}@example.com"),
            vec![],
            true,
            Utc::now(),
        )?;
    }
    let now = Utc::now();
    let entries: Vec<Entry> = (0..items)
        .map(|i| Entry {
            url: Some(format!(
                "http://www.example.gov.cn/zwdt/qnyw/202209/t2022090{i}.html"
            )),
            title: Some(format!("自治州科协开展“科技之春”宣传月活动 第{i}期")),
            published: Some(PubDate::Instant(
                chrono::FixedOffset::east_opt(8 * 3600)
                    .expect("a valid offset")
                    .with_ymd_and_hms(2022, 9, 7, 10, i as u32 % 60, 0)
                    .unwrap(),
            )),
            content_html: Some(
                "<p>为深入贯彻落实全民科学素质行动规划纲要，自治州科协组织开展科普宣传活动。</p>"
                    .repeat(8),
            ),
            ..Default::default()
        })
        .collect();
    let batch = tidings::process::to_items(&entries, "boz", None, now);
    let audience = Audience::load(&store, &config)?;
    store.store_routed("boz", batch, &|stored| {
        route::plan(&config, &audience, Backlog::Seen, stored, now)
    })?;

    println!(
        "set up: {subscribers} subscribers, {items} items routed; peak RSS so far {}",
        peak_rss()
    );
    reset_peak();
    let notifier = Notifier::new(
        config.clone(),
        store.clone(),
        Arc::new(Templates::embedded()),
    )?;
    let started = Instant::now();
    let queued = notifier.run_digest(&config.lists[0], now.naive_utc())?;
    let made = started.elapsed();
    let pass = notifier.deliver_due(&CancellationToken::new()).await?;
    let took = started.elapsed();
    println!(
        "{queued} digests of {items} items queued in {:.2} s; sent {} (failed {}, retrying {}) in {:.2} s: {:.0} mails/s",
        made.as_secs_f64(),
        pass.sent,
        pass.failed,
        pass.retried,
        took.as_secs_f64(),
        pass.sent as f64 / took.as_secs_f64()
    );
    if received.load(Ordering::Relaxed) > 0 {
        println!("the sink received {}", received.load(Ordering::Relaxed));
    }
    println!("peak RSS of the digest run and sending: {}", peak_rss());
    drop(notifier);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A minimal SMTP server on loopback that accepts everything and counts messages.
async fn sink(received: Arc<AtomicUsize>) -> anyhow::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let received = received.clone();
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut line = String::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            received.fetch_add(1, Ordering::Relaxed);
                            let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok(addr)
}
