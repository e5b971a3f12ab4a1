//! `/`: the operator's dashboard: every feed with its subscribe links, every source with
//! its last poll, last success, last error, items of the last 7 days and next poll, and
//! every email list with its subscribers, queued mail and bouncing addresses, and every
//! Telegram chat and group robot with its state (as `tidings chats list` shows them).

use super::Shared;
use crate::publish::Format;
use crate::store::SourceState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use std::sync::Arc;

struct FeedRow {
    id: String,
    title: String,
    description: Option<String>,
    links: Vec<(&'static str, String)>,
    sources: Vec<String>,
}

struct SourceRow {
    id: String,
    title: Option<String>,
    url: String,
    schedule: String,
    /// `ok`, `failing`, `never` (not read yet) or `unknown` (state unreadable).
    health: &'static str,
    last_poll: Option<String>,
    last_success: Option<String>,
    last_error: Option<String>,
    last_error_at: Option<String>,
    failures: u32,
    alarm: Option<String>,
    items_7d: Option<usize>,
    next_poll: Option<String>,
    /// The zone dates without an offset were last read in, and why.
    zone: Option<String>,
    /// Article pages failing and retried with backoff.
    articles_waiting: usize,
    /// Article pages given up on (their entries stored as teasers), newest first.
    given_up: Vec<String>,
}

/// A chat or robot with its times in the configured zone.
#[derive(serde::Serialize)]
struct ChatRow {
    #[serde(flatten)]
    status: crate::notify::status::ChatStatus,
    last_sent: Option<String>,
    last_error: Option<String>,
}

pub(super) async fn page(State(shared): State<Arc<Shared>>) -> Response {
    let now = Utc::now();
    let config = shared.config();
    let tz = config.daemon.timezone;
    let feeds: Vec<FeedRow> = config
        .feeds
        .iter()
        .map(|f| FeedRow {
            id: f.id.clone(),
            title: f.title.clone().unwrap_or_else(|| f.id.clone()),
            description: f.description.clone(),
            // Relative links keep the page usable however it is reached.
            links: Format::ALL
                .iter()
                .map(|fmt| {
                    (
                        fmt.extension(),
                        format!("feeds/{}.{}", f.id, fmt.extension()),
                    )
                })
                .collect(),
            sources: f.sources.clone(),
        })
        .collect();
    let sources: Vec<SourceRow> = config
        .sources
        .iter()
        .map(|s| {
            let state = shared.store.source_state(&s.id);
            let items_7d = shared
                .store
                .count_since(&s.id, now - chrono::Duration::days(7))
                .ok();
            let row = SourceRow {
                id: s.id.clone(),
                title: s.title.clone(),
                url: crate::text::redact_url(s.url.as_str()),
                schedule: config.source_schedule(s).expr.clone(),
                health: "unknown",
                last_poll: None,
                last_success: None,
                last_error: None,
                last_error_at: None,
                failures: 0,
                alarm: None,
                items_7d,
                next_poll: None,
                zone: None,
                articles_waiting: 0,
                given_up: Vec::new(),
            };
            match state {
                Ok(state) => with_state(row, &state, tz),
                Err(e) => SourceRow {
                    last_error: Some(format!("state unreadable: {e}")),
                    ..row
                },
            }
        })
        .collect();
    let lists = crate::notify::status::lists(&shared.store, &config).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot read the lists' state");
        Vec::new()
    });
    let chats: Vec<ChatRow> = crate::notify::status::chats(&shared.store, &config, now)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the chats' state");
            Vec::new()
        })
        .into_iter()
        .map(|c| ChatRow {
            last_sent: c.last_sent.map(|t| when(t, tz)),
            last_error: c.last_error.as_deref().map(crate::text::redact_urls_in),
            status: c,
        })
        .collect();
    // With a shared database, every replica and what it holds (none with sled).
    let replicas: Vec<Value> = shared
        .store
        .replicas()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the replicas");
            Vec::new()
        })
        .into_iter()
        .map(|r| {
            context! {
                id => r.id,
                host => r.host,
                pid => r.pid,
                listen => r.listen,
                started => when(r.started, tz),
                seen => when(r.seen, tz),
                alive => r.alive,
                this => r.this,
                jobs => r.jobs,
                outbox_rows => r.outbox_rows,
            }
        })
        .collect();
    let ctx = context! {
        store => shared.store.describe(),
        replica => shared.store.replica().map(str::to_string),
        replicas => replicas,
        lease => format!("{} s", config.store.lease().as_secs()),
        lists => Value::from(minijinja::value::Serde(&lists)),
        chats => Value::from(minijinja::value::Serde(&chats)),
        feeds => feeds.iter().map(FeedRow::value).collect::<Vec<_>>(),
        sources => sources.iter().map(SourceRow::value).collect::<Vec<_>>(),
        now => when(now, tz),
        timezone => tz.name(),
        opml => "opml",
        version => env!("CARGO_PKG_VERSION"),
    };
    match shared.templates.render("status.html", ctx) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the status page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

// minijinja is built without serde here: rows turn into template values by hand.
impl FeedRow {
    fn value(&self) -> Value {
        context! {
            id => self.id.clone(),
            title => self.title.clone(),
            description => self.description.clone(),
            links => self.links.iter().map(|(f, h)| vec![Value::from(*f), Value::from(h.clone())]).collect::<Vec<_>>(),
            sources => self.sources.clone(),
        }
    }
}

impl SourceRow {
    fn value(&self) -> Value {
        context! {
            id => self.id.clone(),
            title => self.title.clone(),
            url => self.url.clone(),
            schedule => self.schedule.clone(),
            health => self.health,
            last_poll => self.last_poll.clone(),
            last_success => self.last_success.clone(),
            last_error => self.last_error.clone(),
            last_error_at => self.last_error_at.clone(),
            failures => self.failures,
            alarm => self.alarm.clone(),
            items_7d => self.items_7d,
            next_poll => self.next_poll.clone(),
            zone => self.zone.clone(),
            articles_waiting => self.articles_waiting,
            given_up => self.given_up.clone(),
        }
    }
}

fn with_state(row: SourceRow, s: &SourceState, tz: Tz) -> SourceRow {
    SourceRow {
        health: s.health().as_str(),
        last_poll: s.last_poll.map(|t| when(t, tz)),
        last_success: s.last_success.map(|t| when(t, tz)),
        last_error: s.last_error.as_deref().map(crate::text::redact_urls_in),
        last_error_at: s.last_error_at.map(|t| when(t, tz)),
        failures: s.failures,
        alarm: s.alarm.as_deref().map(crate::text::redact_urls_in),
        // A backoff or Retry-After can hold the scheduled poll back.
        next_poll: s.next_poll.max(s.not_before).map(|t| when(t, tz)),
        zone: s.zone_reason.clone(),
        articles_waiting: s.article_tries.len(),
        given_up: s
            .given_up
            .iter()
            .rev()
            .map(|g| {
                format!(
                    "{} ({} tries, {}): {}",
                    crate::text::redact_url(&g.url),
                    g.tries,
                    when(g.at, tz),
                    crate::text::redact_urls_in(&g.last_error)
                )
            })
            .collect(),
        ..row
    }
}

/// A time as the operator reads it: in the configured zone, to the second.
fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_urls_are_shown_without_credentials_or_secrets() {
        let url = "https://bot:s3cret@www.example.gov.cn/list?p=1&token=T0K";
        assert_eq!(
            crate::text::redact_url(url),
            "https://***@www.example.gov.cn/list?p=1&token=***"
        );
    }
}
