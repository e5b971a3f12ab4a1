//! A feed server for the HTTP load benchmark (`benches/http-load.sh`): a temporary
//! store with N items of Chinese news (default 50) in one feed `news`, served at
//! `/feeds/news.{atom,rss,json}` until Ctrl-C.
//!
//! `cargo run --release --example publish-bench -- 127.0.0.1:8088 [ITEMS]`

use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use tidings::config::Config;
use tidings::model::{Item, PubDate};
use tidings::server::{Health, ServerState};
use tidings::store::Store;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8088".into());
    let count: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(50);
    let dir = tempfile_dir()?;
    let store = Store::open(&dir)?;
    store.store_batch("boz", items(count))?;

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    // The same file an operator would write: one source, one feed of `count` items.
    let text = format!(
        r#"
[daemon]
listen = "{addr}"
timezone = "Asia/Shanghai"

[[source]]
id = "boz"
url = "https://www.example.gov.cn/zwdt/qnyw/"
title = "区内要闻"

[[feed]]
id = "news"
title = "博州要闻"
description = "博尔塔拉蒙古自治州政府网站 区内要闻"
sources = ["boz"]
limit = {count}
"#
    );
    let config = Config::parse(&text, std::path::Path::new("bench.toml"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    println!("serving http://{addr}/feeds/news.atom ({count} items)");
    let state = ServerState::new(Arc::new(config), Arc::new(store), Arc::new(Health::new()));
    tidings::server::serve(listener, state, cancel).await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("tidings-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Items shaped like a regional portal's: a title, a metadata-rich body of a few
/// paragraphs (about 2 KB of UTF-8), an author and an origin.
fn items(count: usize) -> Vec<Item> {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap();
    (0..count)
        .map(|i| {
            let published = (start + Duration::hours(i as i64 * 7)).fixed_offset();
            let paragraphs: String = (0..6)
                .map(|p| {
                    format!(
                        "<p>第{p}段：自治州召开第{i}次棉花产业发展推进会，会议听取了各县市工作汇报，\
                         研究部署下一阶段重点任务，要求进一步提高质量效益和竞争力。</p>"
                    )
                })
                .collect();
            Item {
                source: "boz".into(),
                id: format!("https://www.example.gov.cn/zwdt/qnyw/2026/{i:04}.html"),
                url: Some(format!("https://www.example.gov.cn/zwdt/qnyw/2026/{i:04}.html")),
                title: format!("博州召开第{i}次棉花产业发展推进会"),
                published: Some(PubDate::Instant(published)),
                updated: None,
                author: Some("谢慧变".into()),
                origin: Some("天山网-新疆日报".into()),
                subtitle: None,
                summary: None,
                content_text: None,
                content_html: Some(paragraphs),
                first_seen: start,
                revision: i as u64,
            }
        })
        .collect()
}
