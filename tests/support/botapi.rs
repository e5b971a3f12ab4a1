//! A fake Telegram Bot API on 127.0.0.1:0 that answers the way the real one does:
//! method names case-insensitive, JSON or form bodies, errors as
//! `{"ok":false,"error_code":…,"description":…,"parameters":{…}}` with HTTP 400/403/429
//! (never 5xx: teloxide sleeps ten seconds on those). It records every `sendMessage`,
//! answers `getMe`, `getUpdates` (from updates a test pushes), `getChatMember` (from
//! members a test sets), and can be told to fail a chat's next sends.

use axum::body::Body;
use axum::http::{Request, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "123456:TEST-token";
pub const BOT_USERNAME: &str = "TidingsBot";

/// What the next `sendMessage` to a chat gets instead of success.
#[derive(Debug, Clone)]
pub enum Fault {
    RetryAfter(u64),
    Kicked,
    ChatNotFound,
    Migrate(i64),
    Slow(Duration),
    /// An HTTP error from a proxy in front of the API (502, 503 …) with an HTML body.
    ServerError(u16),
}

/// One message the bot sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    /// The HTML as sent.
    pub html: String,
    /// What a reader sees: tags removed, entities decoded.
    pub text: String,
    pub at: tokio::time::Instant,
}

#[derive(Default)]
struct State {
    sent: Vec<Sent>,
    faults: HashMap<i64, VecDeque<Fault>>,
    updates: Vec<Value>,
    next_update: i64,
    /// (chat, user) → "administrator" | "member" | "creator".
    members: HashMap<(i64, i64), String>,
    /// Every method called, lower-cased.
    calls: Vec<String>,
}

#[derive(Clone)]
pub struct BotApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    arrived: Arc<tokio::sync::Notify>,
}

/// Telegram's rendering of HTML parse mode, enough for tests: tags out, entities in.
pub fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn err(code: u16, description: &str, parameters: Option<Value>) -> Response<Body> {
    let mut v = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        v["parameters"] = p;
    }
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

fn ok(result: Value) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"ok": true, "result": result}).to_string(),
        ))
        .unwrap()
}

fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User {id}")})
}

fn chat(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "supergroup", "title": format!("Group {id}")})
    } else {
        json!({"id": id, "type": "private", "first_name": format!("User {id}")})
    }
}

impl BotApi {
    pub async fn start() -> BotApi {
        let api = BotApi {
            addr: "127.0.0.1:0".parse().unwrap(),
            state: Arc::default(),
            arrived: Arc::default(),
        };
        let a = api.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let a = a.clone();
            async move { a.answer(req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        BotApi { addr, ..api }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next sends to `chat_id` fail like this, in order.
    pub fn fail(&self, chat_id: i64, faults: &[Fault]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(chat_id)
            .or_default()
            .extend(faults.iter().cloned());
    }

    pub fn set_member(&self, chat_id: i64, user_id: i64, status: &str) {
        self.state
            .lock()
            .unwrap()
            .members
            .insert((chat_id, user_id), status.to_string());
    }

    /// A user writes `text` in a chat.
    pub fn push_message(&self, chat_id: i64, user_id: i64, text: &str) {
        let mut s = self.state.lock().unwrap();
        s.next_update += 1;
        let id = s.next_update;
        s.updates.push(json!({
            "update_id": id,
            "message": {
                "message_id": id,
                "date": 1_700_000_000,
                "chat": chat(chat_id),
                "from": user(user_id),
                "text": text,
            }
        }));
        drop(s);
        self.arrived.notify_waiters();
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }

    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.chat_id == chat_id)
            .collect()
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Wait (at most `limit`, real time) until `n` messages went to `chat_id`.
    pub async fn wait_for(&self, chat_id: i64, n: usize, limit: Duration) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let arrived = self.arrived.notified();
            let sent = self.sent_to(chat_id);
            if sent.len() >= n {
                return sent;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.sent_to(chat_id);
            }
        }
    }

    async fn answer(&self, req: Request<Body>) -> Response<Body> {
        let path = req.uri().path().to_string();
        let Some(rest) = path.strip_prefix(&format!("/bot{TOKEN}/")) else {
            return err(404, "Not Found", None);
        };
        let method = rest.to_lowercase();
        let form = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let body: Value = if form {
            let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(&bytes)
                .map(|(k, v)| {
                    let v = v.into_owned();
                    let val = v.parse::<i64>().map_or(Value::String(v), Value::from);
                    (k.into_owned(), val)
                })
                .collect();
            Value::Object(map)
        } else {
            serde_json::from_slice(&bytes).unwrap_or(json!({}))
        };
        self.state.lock().unwrap().calls.push(method.clone());
        match method.as_str() {
            "getme" => ok(json!({
                "id": 42, "is_bot": true, "first_name": "Tidings", "username": BOT_USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": false, "can_connect_to_business": false,
                "has_main_web_app": false
            })),
            "getupdates" => {
                let offset = body["offset"].as_i64().unwrap_or(0);
                let timeout = body["timeout"].as_u64().unwrap_or(0).min(1);
                let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
                loop {
                    let arrived = self.arrived.notified();
                    let pending: Vec<Value> = {
                        let mut s = self.state.lock().unwrap();
                        s.updates
                            .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                        s.updates.clone()
                    };
                    if !pending.is_empty() {
                        return ok(Value::Array(pending));
                    }
                    if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                        return ok(json!([]));
                    }
                }
            }
            "getchatmember" => {
                let chat_id = body["chat_id"].as_i64().unwrap_or(0);
                let user_id = body["user_id"].as_i64().unwrap_or(0);
                let status = self
                    .state
                    .lock()
                    .unwrap()
                    .members
                    .get(&(chat_id, user_id))
                    .cloned()
                    .unwrap_or_else(|| "member".into());
                let mut m = json!({"status": status, "user": user(user_id)});
                if status == "administrator" {
                    for f in [
                        "is_anonymous",
                        "can_be_edited",
                        "can_manage_chat",
                        "can_change_info",
                        "can_post_messages",
                        "can_edit_messages",
                        "can_delete_messages",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                        "can_manage_video_chats",
                        "can_invite_users",
                        "can_restrict_members",
                        "can_pin_messages",
                        "can_manage_topics",
                        "can_promote_members",
                    ] {
                        m[f] = json!(f != "is_anonymous");
                    }
                }
                if status == "creator" {
                    m["is_anonymous"] = json!(false);
                }
                ok(m)
            }
            "sendmessage" => {
                let chat_id = body["chat_id"].as_i64().unwrap_or(0);
                let html = body["text"].as_str().unwrap_or("").to_string();
                let fault = self
                    .state
                    .lock()
                    .unwrap()
                    .faults
                    .get_mut(&chat_id)
                    .and_then(|q| q.pop_front());
                match fault {
                    Some(Fault::RetryAfter(n)) => {
                        return err(
                            429,
                            &format!("Too Many Requests: retry after {n}"),
                            Some(json!({"retry_after": n})),
                        );
                    }
                    Some(Fault::Kicked) => {
                        return err(
                            403,
                            "Forbidden: bot was kicked from the supergroup chat",
                            None,
                        );
                    }
                    Some(Fault::ChatNotFound) => {
                        return err(400, "Bad Request: chat not found", None);
                    }
                    Some(Fault::Migrate(to)) => {
                        return err(
                            400,
                            "Bad Request: group chat was upgraded to a supergroup chat",
                            Some(json!({"migrate_to_chat_id": to})),
                        );
                    }
                    Some(Fault::ServerError(status)) => {
                        return Response::builder()
                            .status(status)
                            .header("content-type", "text/html")
                            .body(Body::from(format!(
                                "<html><body><h1>{status} Bad Gateway</h1></body></html>"
                            )))
                            .unwrap();
                    }
                    Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
                    None => {}
                }
                if body["parse_mode"] != "HTML" {
                    return err(400, "Bad Request: tests expect parse_mode HTML", None);
                }
                let sent = Sent {
                    chat_id,
                    text: visible_text(&html),
                    html,
                    at: tokio::time::Instant::now(),
                };
                let message_id = {
                    let mut s = self.state.lock().unwrap();
                    s.sent.push(sent.clone());
                    s.sent.len()
                };
                self.arrived.notify_waiters();
                ok(json!({
                    "message_id": message_id, "date": 1_700_000_000,
                    "chat": chat(chat_id), "text": sent.text
                }))
            }
            _ => err(404, "Not Found: method not found", None),
        }
    }
}
