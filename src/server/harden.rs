//! What every answer of the server carries, and how long a request may take.
//!
//! - `X-Content-Type-Options: nosniff` on every response: a feed or a plain-text error
//!   is never taken for HTML by a browser.
//! - On HTML pages (status, sign-up, confirm, unsubscribe) a Content-Security-Policy that
//!   allows no script at all, no plugin, no framing, and forms posting only back to
//!   this server: whatever slipped through escaping could not run. Inline `<style>`
//!   blocks stay allowed (the templates use them; an operator's templates may too).
//!   Also `Referrer-Policy: no-referrer` (confirm and unsubscribe URLs carry tokens) and
//!   `X-Frame-Options: DENY` for browsers without `frame-ancestors`.
//! - A request that takes longer than `request_timeout_secs` (a slow body upload, say)
//!   is answered 408 and its connection closed.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The policy of HTML pages; `form-action` gets the public origin appended, since forms
/// post to `public_url` which may be a proxy's address.
pub(super) fn content_security_policy(public_origin: &str) -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
         form-action 'self' {public_origin}; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Headers every answer gets, and the CSP on HTML.
pub(super) async fn headers(csp: HeaderValue, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    res
}

/// At most `limit` for the whole request, body included.
pub(super) async fn deadline(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            metrics::counter!("tidings_http_request_timeouts_total").increment(1);
            let mut res = (
                StatusCode::REQUEST_TIMEOUT,
                Body::from(format!(
                    "the request took longer than {} s (server.request_timeout_secs)\n",
                    limit.as_secs()
                )),
            )
                .into_response();
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}
