//! `tidings chats list`: every Telegram chat and group robot with its state, feeds and
//! queue; read from the database when no daemon runs, else from the running daemon's
//! admin API (`GET /admin/chats`), as `tidings subscribers` does.

use super::subscribers::{Access, access, answer};
use super::{ChatsCommand, load_config};
use crate::notify::status::{self, ChatStatus};
use chrono::Utc;

pub async fn run(what: ChatsCommand) -> anyhow::Result<i32> {
    match what {
        ChatsCommand::List { json, config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            let rows: Vec<ChatStatus> = match access(&config)? {
                Access::Local(store) => status::chats(&store, &config, Utc::now())?,
                Access::Daemon {
                    base,
                    token,
                    client,
                } => {
                    let req = client.get(format!("{base}/chats")).bearer_auth(token);
                    answer(req.send().await).await?
                }
            };
            for c in &rows {
                if json {
                    println!("{}", serde_json::to_string(c)?);
                } else {
                    print!("{}", text(c));
                }
            }
            eprintln!(
                "{} chat{} and robot{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                if rows.len() == 1 { "" } else { "s" }
            );
            Ok(0)
        }
    }
}

/// A chat in a few lines: the target and its state, then its feeds, then its queue.
fn text(c: &ChatStatus) -> String {
    let title = c
        .title
        .as_deref()
        .map(|t| format!(" “{t}”"))
        .unwrap_or_default();
    let origin = if c.configured { "" } else { " (bot)" };
    let mut out = format!(
        "{:28} {:9}{title}{origin}  {}\n",
        c.target, c.kind, c.detail
    );
    let feeds = if c.feeds.is_empty() {
        "none".to_string()
    } else {
        c.feeds
            .iter()
            .map(|f| {
                if f.keywords.is_empty() {
                    f.feed.clone()
                } else {
                    format!("{} [{}]", f.feed, f.keywords.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let schedule = c
        .schedule
        .as_deref()
        .map(|s| format!("  digest {s}"))
        .unwrap_or_default();
    out.push_str(&format!("    feeds: {feeds}{schedule}\n"));
    let retrying = if c.retrying > 0 {
        format!(" ({} retrying)", c.retrying)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "    outbox: {} queued{retrying}, {} held\n",
        c.queued, c.held
    ));
    if let Some(e) = &c.last_error
        && c.state != "inactive"
    {
        out.push_str(&format!("    last error: {e}\n"));
    }
    out
}
