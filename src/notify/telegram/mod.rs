//! The Telegram channel: messages in HTML parse mode rendered from `templates/chat/`,
//! split at 4,096 UTF-16 units, sent within the flood limits of [`FloodGate`].
//!
//! Messages go out with `reqwest` (a JSON POST to `{api}/bot{token}/sendMessage`), so
//! that every answer is classified here: teloxide's client waits ten seconds on a 5xx
//! and folds the API's `parameters` into its own errors. teloxide reads the updates of
//! the bot's commands ([`crate::notify::bot`]).
//!
//! Answers, as the real API gives them: `{"ok":false,"error_code":…,"description":…,
//! "parameters":{"retry_after":N | "migrate_to_chat_id":…}}`, with HTTP 400/403/429.

pub mod html;

use super::channel::{Channel, Outgoing, SendError};
use super::flood::{FloodGate, Window};
use super::view::Content;
use crate::config::TelegramConfig;
use crate::store::Target;
use crate::store::coord::Pacer;
use crate::templates::Templates;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A send the flood limit would hold back longer than this is left in the outbox for
/// later instead of holding a worker slot.
pub const HORIZON: Duration = Duration::from_secs(5);
/// How long a request to the Bot API may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// When the API refuses the token (401, 404), try again this much later: an operator
/// fixing the token must not find the queue gone.
const BAD_TOKEN_RETRY: Duration = Duration::from_secs(600);

/// The Bot API, for sending.
pub struct TelegramApi {
    client: reqwest::Client,
    /// `{api_url}/bot{token}`. Never logged: it holds the token.
    base: String,
}

#[derive(Debug, Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

impl TelegramApi {
    pub fn new(config: &TelegramConfig) -> TelegramApi {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("tidings/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only fails when the TLS backend cannot start, which the fetch client
            // (same backend) would have reported at start-up already.
            .unwrap_or_default();
        TelegramApi {
            client,
            base: format!(
                "{}/bot{}",
                config.api_url.as_str().trim_end_matches('/'),
                config.token
            ),
        }
    }

    /// `sendMessage` in HTML parse mode.
    pub async fn send_message(
        &self,
        chat_id: i64,
        html: &str,
        preview: bool,
    ) -> Result<(), SendError> {
        let body = serde_json::json!({
            "chat_id": chat_id,
            "text": html,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": !preview},
        });
        let response = self
            .client
            .post(format!("{}/sendMessage", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::transient(format!("Telegram: {}", e.without_url())))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SendError::transient(format!("Telegram: {}", e.without_url())))?;
        classify(status.as_u16(), &bytes)
    }
}

/// What an answer of the Bot API means for the message and the chat.
fn classify(status: u16, body: &[u8]) -> Result<(), SendError> {
    let Ok(reply) = serde_json::from_slice::<Reply>(body) else {
        return Err(if status >= 500 || (200..300).contains(&status) {
            SendError::transient(format!("Telegram: HTTP {status} with an unreadable answer"))
        } else {
            SendError::transient(format!("Telegram: HTTP {status}"))
        });
    };
    if reply.ok {
        return Ok(());
    }
    let code = reply.error_code.unwrap_or(i64::from(status));
    let description = reply.description.unwrap_or_default();
    let message = format!("Telegram {code}: {description}");
    let params = reply.parameters.unwrap_or(Parameters {
        retry_after: None,
        migrate_to_chat_id: None,
    });
    if let Some(to) = params.migrate_to_chat_id {
        return Err(SendError::Migrated {
            to: Target::Telegram { chat_id: to },
        });
    }
    if code == 429 || params.retry_after.is_some() {
        return Err(SendError::Transient {
            message,
            retry_after: Some(Duration::from_secs(params.retry_after.unwrap_or(30).max(1))),
        });
    }
    let lower = description.to_lowercase();
    match code {
        403 => Err(SendError::gone(message)),
        400 if [
            "chat not found",
            "bot was kicked",
            "user is deactivated",
            "have no rights to send",
            "not enough rights to send",
            "chat_write_forbidden",
            "peer_id_invalid",
        ]
        .iter()
        .any(|m| lower.contains(m)) =>
        {
            Err(SendError::gone(message))
        }
        401 | 404 => Err(SendError::Transient {
            message: format!("{message} (is [telegram] token right?)"),
            retry_after: Some(BAD_TOKEN_RETRY),
        }),
        c if c >= 500 => Err(SendError::transient(message)),
        _ => Err(SendError::permanent(message)),
    }
}

/// The flood-limit windows of one Telegram chat.
pub fn chat_windows(config: &TelegramConfig, chat_id: i64) -> Vec<Window> {
    let mut w: Vec<Window> = Window::interval(Duration::from_millis(config.chat_interval_ms))
        .into_iter()
        .collect();
    if chat_id < 0 {
        w.push(Window::new(
            config.group_per_minute,
            Duration::from_secs(60),
        ));
    }
    w
}

/// Render a message for a chat: the parts to send, in order.
pub fn render(templates: &Templates, content: &Content) -> Result<Vec<String>, SendError> {
    let name = match content {
        Content::Item { .. } => "chat/item.html",
        Content::Digest { .. } => "chat/digest.html",
        Content::Alert { .. } => "chat/alert.html",
        Content::Confirm { .. } | Content::Feed(_) => {
            return Err(SendError::permanent(
                "a confirmation mail or a WebSub push cannot go to a chat",
            ));
        }
    };
    let text = templates
        .render(name, serde_json::json!({ "content": content }))
        .map_err(|e| SendError::permanent(e.to_string()))?;
    Ok(html::split(text.trim(), html::MAX_UNITS))
}

/// A bot's name in shared keys: a hash, so the token never reaches the database.
fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(token.as_bytes())[..8])
}

/// Sends to Telegram chats through one [`FloodGate`].
pub struct TelegramChannel {
    pub api: Arc<TelegramApi>,
    pub gate: Arc<FloodGate>,
    /// With replicas: the chat's and the bot's limits held across all of them.
    pub pacer: Option<Pacer>,
    config: TelegramConfig,
    templates: Arc<Templates>,
}

impl TelegramChannel {
    pub fn new(config: &TelegramConfig, templates: Arc<Templates>) -> TelegramChannel {
        TelegramChannel {
            api: Arc::new(TelegramApi::new(config)),
            gate: Arc::new(FloodGate::new(config.bot_per_second)),
            pacer: None,
            config: config.clone(),
            templates,
        }
    }

    /// Send one text within the flood limits (bot replies use this too). `first` parts
    /// may be deferred; later parts of a message wait their turn.
    pub async fn send_text(
        &self,
        chat_id: i64,
        html: &str,
        preview: bool,
        may_defer: bool,
    ) -> Result<(), SendError> {
        let key = format!("telegram:{chat_id}");
        let windows = chat_windows(&self.config, chat_id);
        let now = Instant::now();
        let free = self.gate.next_free(&key, &windows, now);
        if may_defer && free > now + HORIZON {
            return Err(SendError::Deferred { wait: free - now });
        }
        let at = self.gate.reserve(&key, &windows, now);
        tokio::time::sleep_until(at).await;
        if let Some(pacer) = &self.pacer {
            let steady = windows
                .iter()
                .map(Window::spacing)
                .max()
                .unwrap_or_default();
            pacer.wait(format!("target:{key}"), steady).await;
            if self.config.bot_per_second > 0 {
                let bot = Duration::from_nanos(
                    1_000_000_000u64.div_ceil(u64::from(self.config.bot_per_second)),
                );
                pacer
                    .wait(format!("bot:{}", token_hash(&self.config.token)), bot)
                    .await;
            }
        }
        // A `retry_after` is held by the outbox: the row and the rest of the chat's
        // queue are due again exactly that much later.
        self.api.send_message(chat_id, html, preview).await
    }
}

impl Channel for TelegramChannel {
    fn handles(&self, target: &Target) -> bool {
        matches!(target, Target::Telegram { .. })
    }

    fn send<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let Target::Telegram { chat_id } = out.target else {
                return Err(SendError::permanent(format!(
                    "the Telegram channel cannot send to {}",
                    out.target
                )));
            };
            let parts = render(&self.templates, &out.content)?;
            let preview = matches!(out.content, Content::Item { .. });
            for (i, part) in parts.iter().enumerate() {
                self.send_text(chat_id, part, preview && parts.len() == 1, i == 0)
                    .await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> SendError {
        classify(status, body.as_bytes()).unwrap_err()
    }

    #[test]
    fn answers_are_classified_as_the_api_means_them() {
        assert!(classify(200, br#"{"ok":true,"result":{}}"#).is_ok());
        assert!(matches!(
            err(429, r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#),
            SendError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            err(
                403,
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}"#
            ),
            SendError::Gone { .. }
        ));
        assert!(matches!(
            err(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#
            ),
            SendError::Gone { .. }
        ));
        assert!(matches!(
            err(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001}}"#
            ),
            SendError::Migrated {
                to: Target::Telegram { chat_id: -1001 }
            }
        ));
        assert!(matches!(
            err(
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}"#
            ),
            SendError::Permanent { .. }
        ));
        assert!(err(502, "<html>bad gateway</html>").is_transient());
    }
}
