//! Group robots (`[[webhook]]`): WeCom, DingTalk, Feishu/Lark, Slack, Discord, and a
//! plain JSON POST. Each gets its platform's message shape (markdown or rich text with the
//! title as a link, the source, the time and an excerpt) within its size limit, its
//! signature, and its error codes read from the body: these platforms answer HTTP 200
//! with a non-zero `errcode`/`code`, which is a failure.
//!
//! Feed strings are escaped for each markup: markdown punctuation is backslash-escaped
//! and `<`/`>` become entities (WeCom and DingTalk markdown accept HTML-ish tags), Slack
//! gets its three entities, Feishu's rich text needs none (it is structured JSON).

use super::channel::{Channel, Outgoing, SendError};
use super::flood::{FloodGate, Window};
use super::telegram::HORIZON;
use super::view::{Content, ItemView};
use crate::config::{WebhookConfig, WebhookKind};
use crate::store::Target;
use base64::Engine;
use futures_util::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_secs(30);
/// DingTalk throttles a robot for ten minutes after its 21st message in a minute.
const DINGTALK_THROTTLE: Duration = Duration::from_secs(600);
/// WeCom's markdown limit, in bytes.
const WECOM_MAX_BYTES: usize = 4096;
/// DingTalk's markdown text limit (documented as 20,000 bytes; kept well under).
const DINGTALK_MAX_BYTES: usize = 18_000;
/// Discord's `content` limit, in characters.
const DISCORD_MAX_CHARS: usize = 2000;
/// Slack's recommended `text` limit, in characters.
const SLACK_MAX_CHARS: usize = 3000;
/// Feishu's request body limit is 20 KB; its excerpts are kept to this many characters.
const FEISHU_MAX_CHARS: usize = 6000;

type HmacSha256 = Hmac<Sha256>;

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk: `sign` = base64(HMAC-SHA256(key = secret, text = timestamp_ms + "\n" +
/// secret)), URL-encoded by the caller.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// Feishu: `sign` = base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, text = "")).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

/// Backslash-escape markdown punctuation; `<` `>` `&` as entities.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '~' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Slack's `mrkdwn` wants only `& < >` escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

/// A URL inside `(…)` of a markdown link: only characters that end it are encoded.
fn md_url(u: &str) -> String {
    u.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

fn meta_line(item: &ItemView) -> String {
    let mut parts = vec![item.source.clone()];
    if let Some(o) = item.origin.as_ref().filter(|o| **o != item.source) {
        parts.push(o.clone());
    }
    if let Some(p) = &item.published {
        parts.push(p.clone());
    }
    parts.join(" · ")
}

/// Markdown for WeCom, DingTalk and Discord.
fn markdown(content: &Content) -> (String, String) {
    let link = |i: &ItemView| match &i.url {
        Some(u) => format!("[{}]({})", md_escape(&i.title), md_url(u)),
        None => md_escape(&i.title),
    };
    match content {
        Content::Item { item } => {
            let mut s = format!(
                "**{}{}**\n\n{}",
                if item.updated { "✏️ " } else { "" },
                link(item),
                md_escape(&meta_line(item))
            );
            if !item.excerpt.is_empty() {
                s.push_str(&format!("\n\n{}", md_escape(&item.excerpt)));
            }
            (item.title.clone(), s)
        }
        Content::Digest { run, count, groups } => {
            let mut s = format!("**📰 {count} · {run}**");
            for g in groups {
                s.push_str(&format!("\n\n**{}**", md_escape(&g.feed)));
                for i in &g.items {
                    s.push_str(&format!("\n- {}", link(i)));
                    if let Some(p) = &i.published {
                        s.push_str(&format!(" {}", md_escape(p)));
                    }
                }
            }
            (format!("{count} · {run}"), s)
        }
        Content::Alert {
            title,
            detail,
            recovered,
        } => {
            let mark = if *recovered { "✅" } else { "⚠️" };
            (
                title.clone(),
                format!("**{mark} {}**\n\n{}", md_escape(title), md_escape(detail)),
            )
        }
        Content::Confirm { .. } | Content::Feed(_) => (String::new(), String::new()),
    }
}

/// Cut `s` to at most `max` bytes (or chars) at a line boundary when there is one, never
/// inside a character, and mark the cut.
fn truncate(s: &str, max: usize, count_chars: bool) -> String {
    let len = |t: &str| {
        if count_chars {
            t.chars().count()
        } else {
            t.len()
        }
    };
    if len(s) <= max {
        return s.to_string();
    }
    let mark = "\n…";
    let budget = max.saturating_sub(len(mark));
    let mut end = 0;
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = if count_chars { 1 } else { c.len_utf8() };
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let cut = &s[..end];
    let cut = match cut.rfind('\n') {
        Some(nl) if nl > end / 2 => &cut[..nl],
        _ => cut,
    };
    format!("{cut}{mark}")
}

/// The item as `poll --json` prints it, for `json` robots.
fn json_item(item: &ItemView) -> Value {
    json!({
        "title": item.title,
        "url": item.url,
        "source": item.source,
        "published": item.published,
        "author": item.author,
        "origin": item.origin,
        "summary": item.excerpt,
        "status": if item.updated { "updated" } else { "new" },
        "keyword": item.keyword,
    })
}

fn feishu_post(content: &Content) -> Value {
    let line = |i: &ItemView| {
        let mut l = vec![match &i.url {
            Some(u) => json!({"tag": "a", "text": i.title, "href": u}),
            None => json!({"tag": "text", "text": i.title}),
        }];
        if let Some(p) = &i.published {
            l.push(json!({"tag": "text", "text": format!("  {p}")}));
        }
        Value::Array(l)
    };
    let (title, lines): (String, Vec<Value>) = match content {
        Content::Item { item } => {
            let mut lines = vec![
                line(item),
                json!([{"tag": "text", "text": meta_line(item)}]),
            ];
            if !item.excerpt.is_empty() {
                lines.push(json!([{"tag": "text", "text": truncate(&item.excerpt, FEISHU_MAX_CHARS, true)}]));
            }
            (item.title.clone(), lines)
        }
        Content::Digest { run, count, groups } => {
            let mut lines = Vec::new();
            for g in groups {
                lines.push(json!([{"tag": "text", "text": format!("【{}】", g.feed)}]));
                lines.extend(g.items.iter().map(line));
            }
            (format!("📰 {count} · {run}"), lines)
        }
        Content::Alert {
            title,
            detail,
            recovered,
        } => (
            format!("{} {title}", if *recovered { "✅" } else { "⚠️" }),
            vec![json!([{"tag": "text", "text": detail}])],
        ),
        Content::Confirm { .. } | Content::Feed(_) => (String::new(), vec![]),
    };
    json!({"post": {"zh_cn": {"title": title, "content": lines}}})
}

/// The request body for one message to a robot of `kind`.
pub fn body(kind: WebhookKind, content: &Content) -> Value {
    match kind {
        WebhookKind::WeCom => {
            let (_, text) = markdown(content);
            json!({"msgtype": "markdown", "markdown": {"content": truncate(&text, WECOM_MAX_BYTES, false)}})
        }
        WebhookKind::DingTalk => {
            let (title, text) = markdown(content);
            json!({"msgtype": "markdown", "markdown": {"title": title, "text": truncate(&text, DINGTALK_MAX_BYTES, false)}})
        }
        WebhookKind::Feishu => json!({"msg_type": "post", "content": feishu_post(content)}),
        WebhookKind::Discord => {
            let (_, text) = markdown(content);
            json!({"content": truncate(&text, DISCORD_MAX_CHARS, true), "allowed_mentions": {"parse": []}})
        }
        WebhookKind::Slack => {
            let link = |i: &ItemView| match &i.url {
                Some(u) => format!("<{}|{}>", slack_escape(u), slack_escape(&i.title)),
                None => slack_escape(&i.title),
            };
            let text = match content {
                Content::Item { item } => {
                    let mut s = format!("*{}*\n{}", link(item), slack_escape(&meta_line(item)));
                    if !item.excerpt.is_empty() {
                        s.push_str(&format!("\n{}", slack_escape(&item.excerpt)));
                    }
                    s
                }
                Content::Digest { run, count, groups } => {
                    let mut s = format!("*📰 {count} · {run}*");
                    for g in groups {
                        s.push_str(&format!("\n*{}*", slack_escape(&g.feed)));
                        for i in &g.items {
                            s.push_str(&format!("\n• {}", link(i)));
                        }
                    }
                    s
                }
                Content::Alert { title, detail, .. } => {
                    format!("*{}*\n{}", slack_escape(title), slack_escape(detail))
                }
                Content::Confirm { .. } | Content::Feed(_) => String::new(),
            };
            json!({"text": truncate(&text, SLACK_MAX_CHARS, true), "unfurl_links": false})
        }
        WebhookKind::Json => match content {
            Content::Item { item } => json!({"type": "item", "item": json_item(item)}),
            Content::Digest { run, count, groups } => json!({
                "type": "digest",
                "run": run,
                "count": count,
                "items": groups.iter().flat_map(|g| g.items.iter().map(json_item)).collect::<Vec<_>>(),
            }),
            Content::Alert {
                title,
                detail,
                recovered,
            } => {
                json!({"type": "alert", "title": title, "detail": detail, "recovered": recovered})
            }
            Content::Confirm { .. } | Content::Feed(_) => Value::Null,
        },
    }
}

/// What a robot's answer means. `retry_after` is the `Retry-After` header, if any.
pub fn classify(
    kind: WebhookKind,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<(), SendError> {
    let text = String::from_utf8_lossy(body);
    let short: String = text.chars().take(200).collect();
    let name = kind.name();
    if status == 429 {
        // Discord puts seconds (fractional) in the body too.
        let from_body = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("retry_after").and_then(Value::as_f64))
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 86_400.0)));
        return Err(SendError::Transient {
            message: format!("{name}: 429 Too Many Requests"),
            retry_after: retry_after.or(from_body).or(Some(Duration::from_secs(60))),
        });
    }
    if status >= 500 || status == 408 {
        return Err(SendError::transient(format!("{name}: HTTP {status}")));
    }
    if !(200..300).contains(&status) {
        let message = format!("{name}: HTTP {status}: {short}");
        return Err(match (kind, status) {
            // The webhook is gone or its token refused.
            (_, 401 | 403 | 404 | 410) => SendError::gone(message),
            _ => SendError::permanent(message),
        });
    }
    let json = serde_json::from_slice::<Value>(body).ok();
    let code = |k: &str| json.as_ref().and_then(|v| v.get(k)).and_then(Value::as_i64);
    let msg = |k: &str| {
        json.as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind {
        WebhookKind::WeCom | WebhookKind::DingTalk => {
            let Some(errcode) = code("errcode") else {
                return Err(SendError::transient(format!(
                    "{name}: an answer without errcode: {short}"
                )));
            };
            let message = format!("{name} errcode {errcode}: {}", msg("errmsg"));
            match (kind, errcode) {
                (_, 0) => Ok(()),
                // WeCom: API frequency limit; system busy.
                (WebhookKind::WeCom, 45009 | 45033 | -1) => Err(SendError::Transient {
                    message,
                    retry_after: Some(Duration::from_secs(60)),
                }),
                // WeCom: invalid webhook key, expired or deleted robot.
                (WebhookKind::WeCom, 93000 | 93004 | 93008 | 40001 | 40014) => {
                    Err(SendError::gone(message))
                }
                // DingTalk: "send too fast, exceed 20 times per minute": throttled ten minutes.
                (WebhookKind::DingTalk, 130101 | 130102) => Err(SendError::Transient {
                    message,
                    retry_after: Some(DINGTALK_THROTTLE),
                }),
                (WebhookKind::DingTalk, -1) => Err(SendError::transient(message)),
                // DingTalk: token missing or unknown (300001, 300005), signature or
                // keyword or IP refused (310000), robot stopped (400101, 410100).
                (WebhookKind::DingTalk, 300001 | 300005 | 310000 | 400101 | 410100) => {
                    Err(SendError::gone(message))
                }
                _ => Err(SendError::permanent(message)),
            }
        }
        WebhookKind::Feishu => {
            let c = code("code").or_else(|| code("StatusCode")).unwrap_or(0);
            let message = format!("feishu code {c}: {}", {
                let m = msg("msg");
                if m.is_empty() {
                    msg("StatusMessage")
                } else {
                    m
                }
            });
            match c {
                0 => Ok(()),
                // Too many requests; the platform's own limit (11232).
                9499 | 11232 | 11233 => Err(SendError::Transient {
                    message,
                    retry_after: Some(Duration::from_secs(60)),
                }),
                // Signature or timestamp refused, IP not allowed, bot not found or off.
                19021 | 19022 | 19001 | 19002 => Err(SendError::gone(message)),
                _ => Err(SendError::permanent(message)),
            }
        }
        WebhookKind::Slack => {
            // Slack answers a plain `ok`.
            if text.trim() == "ok" || text.trim().is_empty() {
                Ok(())
            } else {
                Err(SendError::permanent(format!("slack: {short}")))
            }
        }
        WebhookKind::Discord | WebhookKind::Json => Ok(()),
    }
}

/// Sends to every `[[webhook]]`, within each robot's per-minute limit.
pub struct RobotChannel {
    client: reqwest::Client,
    robots: Vec<WebhookConfig>,
    gate: Arc<FloodGate>,
    /// With replicas: each robot's limit held across all of them.
    pacer: Option<crate::store::coord::Pacer>,
    /// The clock of signatures (tests sign "now" like the robot does).
    now_ms: fn() -> i64,
}

impl RobotChannel {
    pub fn new(robots: &[WebhookConfig]) -> RobotChannel {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("tidings/", env!("CARGO_PKG_VERSION")))
            // Robots answer in place; a redirect is not part of any platform's API.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Only fails when the TLS backend cannot start; see TelegramApi::new.
            .unwrap_or_default();
        RobotChannel {
            client,
            robots: robots.to_vec(),
            gate: Arc::new(FloodGate::new(0)),
            pacer: None,
            now_ms: || chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Hold each robot's limit across every replica sharing `pacer`'s store.
    pub fn with_pacer(mut self, pacer: Option<crate::store::coord::Pacer>) -> RobotChannel {
        self.pacer = pacer;
        self
    }

    async fn post(&self, robot: &WebhookConfig, content: &Content) -> Result<(), SendError> {
        let mut body = body(robot.kind, content);
        let mut url = robot.url.clone();
        let now_ms = (self.now_ms)();
        match (robot.kind, &robot.secret) {
            (WebhookKind::DingTalk, Some(secret)) => {
                let sign = dingtalk_sign(secret, now_ms);
                url.query_pairs_mut()
                    .append_pair("timestamp", &now_ms.to_string())
                    .append_pair("sign", &sign);
            }
            (WebhookKind::Feishu, Some(secret)) => {
                let ts = now_ms / 1000;
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(feishu_sign(secret, ts));
            }
            _ => {}
        }
        let name = robot.kind.name();
        // Errors name the robot, never its URL (the URL carries its token).
        let response = self
            .client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::transient(format!("{name}: {}", e.without_url())))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 86_400.0)));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SendError::transient(format!("{name}: {}", e.without_url())))?;
        classify(robot.kind, status, retry_after, &bytes)
    }
}

impl Channel for RobotChannel {
    fn handles(&self, target: &Target) -> bool {
        matches!(target, Target::Webhook { .. })
    }

    fn send<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let Target::Webhook { id } = &out.target else {
                return Err(SendError::permanent(format!(
                    "the robot channel cannot send to {}",
                    out.target
                )));
            };
            let Some(robot) = self.robots.iter().find(|r| r.id == *id) else {
                return Err(SendError::permanent(format!(
                    "no [[webhook]] \"{id}\" any more"
                )));
            };
            if matches!(out.content, Content::Confirm { .. } | Content::Feed(_)) {
                return Err(SendError::permanent(
                    "a confirmation mail or a WebSub push cannot go to a robot",
                ));
            }
            let key = out.target.key();
            let windows = [Window::new(robot.per_minute, Duration::from_secs(60))];
            let now = Instant::now();
            let free = self.gate.next_free(&key, &windows, now);
            if free > now + HORIZON {
                return Err(SendError::Deferred { wait: free - now });
            }
            tokio::time::sleep_until(self.gate.reserve(&key, &windows, now)).await;
            if let Some(pacer) = &self.pacer {
                pacer
                    .wait(format!("target:{key}"), windows[0].spacing())
                    .await;
            }
            // A frequency limit is held by the outbox (the row comes due that much later).
            self.post(robot, &out.content).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_platforms_examples() {
        // Computed with the platforms' Python samples (hmac, hashlib, base64).
        let d = dingtalk_sign("SEC000", 1_700_000_000_000);
        assert_eq!(d, hmac_base64(b"SEC000", b"1700000000000\nSEC000"));
        let f = feishu_sign("abc", 1_599_360_473);
        assert_eq!(f, hmac_base64(b"1599360473\nabc", b""));
        assert_eq!(d.len(), 44, "base64 of 32 bytes");
    }

    #[test]
    fn markdown_cannot_be_broken_by_a_title() {
        let e = md_escape("[x](javascript:alert(1)) <b>&");
        assert_eq!(e, "\\[x\\]\\(javascript:alert\\(1\\)\\) &lt;b&gt;&amp;");
    }

    #[test]
    fn an_errcode_is_a_failure_even_with_http_200() {
        let c = |kind, body: &str| classify(kind, 200, None, body.as_bytes());
        assert!(c(WebhookKind::DingTalk, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(matches!(
            c(
                WebhookKind::DingTalk,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Err(SendError::Gone { .. })
        ));
        assert!(matches!(
            c(
                WebhookKind::DingTalk,
                r#"{"errcode":130101,"errmsg":"send too fast"}"#
            ),
            Err(SendError::Transient {
                retry_after: Some(_),
                ..
            })
        ));
        assert!(matches!(
            c(
                WebhookKind::WeCom,
                r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#
            ),
            Err(SendError::Transient { .. })
        ));
        assert!(matches!(
            c(
                WebhookKind::WeCom,
                r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#
            ),
            Err(SendError::Gone { .. })
        ));
        assert!(matches!(
            c(
                WebhookKind::Feishu,
                r#"{"code":19021,"msg":"sign match fail"}"#
            ),
            Err(SendError::Gone { .. })
        ));
        assert!(
            c(
                WebhookKind::Feishu,
                r#"{"code":0,"msg":"success","data":{}}"#
            )
            .is_ok()
        );
        assert!(classify(WebhookKind::Slack, 200, None, b"ok").is_ok());
        assert!(matches!(
            classify(WebhookKind::Discord, 429, None, br#"{"retry_after": 1.5}"#),
            Err(SendError::Transient { retry_after: Some(d), .. }) if d == Duration::from_millis(1500)
        ));
    }

    #[test]
    fn wecom_markdown_stays_within_4096_bytes() {
        let s = "棉花\n".repeat(3000);
        let t = truncate(&s, WECOM_MAX_BYTES, false);
        assert!(
            t.len() <= WECOM_MAX_BYTES && t.ends_with('…'),
            "{}",
            t.len()
        );
    }
}
