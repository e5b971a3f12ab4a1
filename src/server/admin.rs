//! The admin API: what `tidings subscribers …` uses while the daemon holds the database
//! (sled lets one process open it). Off unless `[daemon] admin_token` is set; answers
//! loopback clients only, with `Authorization: Bearer <token>` compared in constant time.
//!
//! - `GET /admin/subscribers[?list=ID]` → JSON array of [`SubscriberView`]
//! - `POST /admin/subscribers` `{list, address, keywords, confirmed}` → `{"added": …}`
//! - `DELETE /admin/subscribers?address=A[&list=ID]` → `{"removed": [list ids]}`
//! - `GET /admin/chats` → JSON array of [`ChatStatus`] (what `tidings chats list` shows)

use super::Shared;
use crate::notify::status::ChatStatus;
use crate::notify::subscription::{self, Added, SubscriptionError};
use crate::store::Subscriber;
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;

/// A subscriber as the admin API shows it: no tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubscriberView {
    pub list: String,
    pub address: String,
    pub state: String,
    pub keywords: Vec<String>,
    pub created: DateTime<Utc>,
    pub confirmed: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<Subscriber> for SubscriberView {
    fn from(s: Subscriber) -> Self {
        SubscriberView {
            list: s.list,
            address: s.address,
            state: s.state.to_string(),
            keywords: s.keywords,
            created: s.created,
            confirmed: s.confirmed,
            last_error: s.last_error,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddRequest {
    pub list: String,
    pub address: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    list: Option<String>,
}

#[derive(Deserialize)]
pub struct RemoveQuery {
    address: String,
    list: Option<String>,
}

/// Equal in time whatever the first differing byte, and whatever the lengths: both sides
/// are hashed first, so neither the position of a difference nor the token's length
/// shows in the time taken.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Refused unless the request is from loopback with the right token.
fn authorise(
    shared: &Shared,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(), (StatusCode, &'static str)> {
    let config = shared.config();
    let Some(token) = &config.daemon.admin_token else {
        return Err((
            StatusCode::NOT_FOUND,
            "the admin API is off (no admin_token)\n",
        ));
    };
    if !peer.ip().is_loopback() {
        return Err((
            StatusCode::FORBIDDEN,
            "the admin API answers loopback clients only\n",
        ));
    }
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err((StatusCode::UNAUTHORIZED, "wrong or missing bearer token\n"))
    }
}

fn failure(e: SubscriptionError) -> Response {
    let status = match e {
        SubscriptionError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (status, format!("{e}\n")).into_response()
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(refused) = authorise(&shared, peer, &headers) {
        return refused.into_response();
    }
    match shared.store.subscribers(q.list.as_deref()) {
        Ok(all) => Json(
            all.into_iter()
                .map(SubscriberView::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => failure(e.into()),
    }
}

pub(super) async fn chats(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorise(&shared, peer, &headers) {
        return refused.into_response();
    }
    let all: Result<Vec<ChatStatus>, _> =
        crate::notify::status::chats(&shared.store, &shared.config(), Utc::now());
    match all {
        Ok(all) => Json(all).into_response(),
        Err(e) => failure(e.into()),
    }
}

pub(super) async fn add(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<AddRequest>,
) -> Response {
    if let Err(refused) = authorise(&shared, peer, &headers) {
        return refused.into_response();
    }
    let result: Result<Added, _> = subscription::add(
        &shared.store,
        &shared.config(),
        &req.list,
        &req.address,
        req.keywords,
        req.confirmed,
        Utc::now(),
    );
    match result {
        Ok(added) => {
            shared.outbox_wake.notify_one();
            Json(serde_json::json!({ "added": added })).into_response()
        }
        Err(e) => failure(e),
    }
}

pub(super) async fn remove(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<RemoveQuery>,
) -> Response {
    if let Err(refused) = authorise(&shared, peer, &headers) {
        return refused.into_response();
    }
    match subscription::remove(&shared.store, q.list.as_deref(), &q.address) {
        Ok(removed) => Json(serde_json::json!({ "removed": removed })).into_response(),
        Err(e) => failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abcdef", b"abcdef"));
        assert!(!constant_time_eq(b"abcdef", b"abcdeg"));
        assert!(!constant_time_eq(b"abc", b"abcdef"));
    }
}
