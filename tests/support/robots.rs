//! A fake for every robot platform on one loopback server: `/wecom`, `/dingtalk`,
//! `/feishu`, `/slack`, `/discord`, `/json`. Each checks the body shape and, where the
//! platform signs, the signature against the secret a test set, and answers with the
//! platform's own codes (HTTP 200 with a non-zero `errcode`/`code`), or with what the
//! test scripted next.

use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: HashMap<String, String>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// path → the platform's secret.
    secrets: HashMap<String, String>,
    /// path → the next answers (status, body).
    script: HashMap<String, VecDeque<(u16, Value)>>,
}

#[derive(Clone)]
pub struct RobotFake {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn sign(key: &[u8], text: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(text);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn reply(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(if body.is_null() {
            String::new()
        } else if let Some(s) = body.as_str() {
            s.to_string()
        } else {
            body.to_string()
        }))
        .unwrap()
}

impl RobotFake {
    pub async fn start() -> RobotFake {
        let state: Arc<Mutex<State>> = Arc::default();
        let s = state.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let s = s.clone();
            async move { answer(s, req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        RobotFake { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set_secret(&self, path: &str, secret: &str) {
        self.state
            .lock()
            .unwrap()
            .secrets
            .insert(path.into(), secret.into());
    }

    pub fn script(&self, path: &str, answers: &[(u16, Value)]) {
        self.state
            .lock()
            .unwrap()
            .script
            .entry(path.into())
            .or_default()
            .extend(answers.iter().cloned());
    }

    /// Requests the platform accepted.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.state
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

async fn answer(state: Arc<Mutex<State>>, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let secret = state.lock().unwrap().secrets.get(&path).cloned();
    // Shape and signature, as each platform checks them.
    let refused: Option<(u16, Value)> = match path.as_str() {
        "/dingtalk" => {
            let sig_ok = secret.as_ref().is_none_or(|secret| {
                let ts = query.get("timestamp").cloned().unwrap_or_default();
                query.get("sign")
                    == Some(&sign(
                        secret.as_bytes(),
                        format!("{ts}\n{secret}").as_bytes(),
                    ))
            });
            if !sig_ok {
                Some((200, json!({"errcode": 310000, "errmsg": "sign not match"})))
            } else if body["msgtype"] != "markdown"
                || !body["markdown"]["title"].is_string()
                || !body["markdown"]["text"].is_string()
            {
                Some((
                    200,
                    json!({"errcode": 40035, "errmsg": "missing parameter"}),
                ))
            } else {
                None
            }
        }
        "/wecom" => {
            let content = body["markdown"]["content"].as_str();
            if body["msgtype"] != "markdown" || content.is_none() {
                Some((
                    200,
                    json!({"errcode": 40008, "errmsg": "invalid message type"}),
                ))
            } else if content.is_some_and(|c| c.len() > 4096) {
                Some((
                    200,
                    json!({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
                ))
            } else {
                None
            }
        }
        "/feishu" => {
            let sig_ok = secret.as_ref().is_none_or(|secret| {
                let ts = body["timestamp"].as_str().unwrap_or("");
                body["sign"].as_str()
                    == Some(sign(format!("{ts}\n{secret}").as_bytes(), b"").as_str())
            });
            if !sig_ok {
                Some((
                    200,
                    json!({"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not within one hour from current time"}),
                ))
            } else if body["msg_type"] != "post" || !body["content"]["post"].is_object() {
                Some((200, json!({"code": 9499, "msg": "Bad Request"})))
            } else {
                None
            }
        }
        "/slack" => (!body["text"].is_string()).then(|| (400, json!("invalid_payload"))),
        "/discord" => {
            let n = body["content"].as_str().map(|c| c.chars().count());
            n.is_none_or(|n| n > 2000)
                .then(|| (400, json!({"code": 50035, "message": "Invalid Form Body"})))
        }
        _ => None,
    };
    if let Some((status, b)) = refused {
        return reply(status, b);
    }
    let scripted = state
        .lock()
        .unwrap()
        .script
        .get_mut(&path)
        .and_then(|q| q.pop_front());
    if let Some((status, b)) = scripted {
        let success = match path.as_str() {
            "/dingtalk" | "/wecom" => b["errcode"] == 0,
            "/feishu" => b["code"] == 0,
            _ => (200..300).contains(&status),
        };
        if success {
            state
                .lock()
                .unwrap()
                .received
                .push(Received { path, query, body });
        }
        return reply(status, b);
    }
    state.lock().unwrap().received.push(Received {
        path: path.clone(),
        query,
        body,
    });
    match path.as_str() {
        "/dingtalk" | "/wecom" => reply(200, json!({"errcode": 0, "errmsg": "ok"})),
        "/feishu" => reply(200, json!({"code": 0, "data": {}, "msg": "success"})),
        "/slack" => reply(200, json!("ok")),
        "/discord" => reply(204, Value::Null),
        _ => reply(200, json!({"ok": true})),
    }
}
