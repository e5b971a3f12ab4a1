//! WebSub routes: our hub (`POST /websub`) and our subscriber callbacks
//! (`/websub/callback/{source}`: the hub's verification GET, and its pushes).

use super::Shared;
use crate::fetch::{Fetched, Validators};
use crate::websub::hub::parse_request;
use crate::websub::subscriber::PushCheck;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut text = text.into();
    text.push('\n');
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `POST /websub`: a subscription or unsubscription request (§5.1). 202 and a
/// verification in the background, or a 4xx naming what is wrong.
pub(super) async fn hub(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !shared.hub_requests.allow(peer.ip()) {
        tracing::warn!(client = %peer.ip(), "WebSub hub rate limit");
        return plain(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests; try later",
        );
    }
    let config = shared.config();
    let request = match parse_request(&config, &form) {
        Ok(r) => r,
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            return plain(status, e.to_string());
        }
    };
    match shared.websub.accept(request).await {
        Ok(()) => plain(
            StatusCode::ACCEPTED,
            "accepted; the callback will be asked to confirm",
        ),
        Err(e) => {
            tracing::info!(client = %peer.ip(), error = %e, "WebSub request refused");
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            plain(status, e.to_string())
        }
    }
}

/// `GET /websub/callback/{source}`: a hub verifies our (un)subscription (§5.3).
pub(super) async fn verify(
    State(shared): State<Arc<Shared>>,
    Path(source): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    match shared
        .websub
        .answer_verification(&source, &params, Utc::now())
    {
        Ok(Some(challenge)) => plain(StatusCode::OK, challenge).into_response(),
        Ok(None) => plain(StatusCode::NOT_FOUND, "no such subscription"),
        Err(e) => {
            tracing::error!(%source, error = %e, "cannot answer a WebSub verification");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// `POST /websub/callback/{source}`: a hub pushes new content (§7). Processed like a
/// poll when signed with our secret; acknowledged and dropped when not.
pub(super) async fn push(
    State(shared): State<Arc<Shared>>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    let source = match shared.websub.check_push(&source, signature, &body) {
        Ok(PushCheck::Accept(s)) => s,
        // §7.1.2: still 2xx, so that a forger cannot tell; nothing is processed.
        Ok(PushCheck::Forged) => return plain(StatusCode::ACCEPTED, "accepted"),
        Ok(PushCheck::Unknown) => return plain(StatusCode::GONE, "no such subscription"),
        Err(e) => {
            tracing::error!(%source, error = %e, "cannot check a WebSub push");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let Some(poller) = &shared.poller else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "not processing pushes");
    };
    let fetched = Fetched {
        status: 200,
        url: source.url.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        validators: Validators::default(),
        body,
        elapsed: std::time::Duration::ZERO,
    };
    match poller
        .ingest_push(&source, &fetched, &CancellationToken::new())
        .await
    {
        Ok(outcome) => {
            tracing::info!(source = %source.id, new_or_updated = outcome.stored.len(), "WebSub push processed");
            plain(StatusCode::OK, "ok")
        }
        Err(e) => {
            // Received, but unusable: retrying the same body would not help.
            tracing::warn!(source = %source.id, error = %e, "a WebSub push could not be processed");
            plain(StatusCode::OK, "received, not processed")
        }
    }
}
