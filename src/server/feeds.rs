//! Feed routes: `/feeds/{id}.{atom,rss,json}` and `/opml`.

use super::App;
use crate::publish::cache::{CacheOutcome, CachedFeed};
use crate::publish::{Format, opml};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::SystemTime;

/// Readers poll often; a minute of freshness spares most of their requests.
const CACHE_CONTROL: &str = "public, max-age=60";

pub(super) async fn feed(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = file.rsplit_once('.').and_then(|(id, ext)| {
        let format = Format::from_extension(ext)?;
        let feed = app.config.feeds.iter().find(|f| f.id == id)?;
        Some((feed, format))
    });
    let Some((feed, format)) = found else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    match app.cache.get(&app.config, &app.store, feed, format) {
        Ok((cached, outcome)) => respond(&cached, format, outcome, &headers),
        Err(e) => {
            tracing::error!(feed = %feed.id, format = format.extension(), error = %e, "cannot serve feed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

fn respond(
    cached: &CachedFeed,
    format: Format,
    outcome: CacheOutcome,
    request: &HeaderMap,
) -> Response {
    let mut headers = HeaderMap::new();
    // The ETag is a quoted hex hash and the date an HTTP date: both are visible ASCII.
    if let Ok(v) = HeaderValue::from_str(&cached.etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(cached.last_modified)) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        "x-cache",
        HeaderValue::from_static(match outcome {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Built => "miss",
        }),
    );
    if not_modified(request, &cached.etag, cached.last_modified) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    (headers, cached.body.clone()).into_response()
}

/// RFC 9110 §13.1: `If-None-Match` (weak comparison) decides when present; otherwise
/// `If-Modified-Since`.
fn not_modified(request: &HeaderMap, etag: &str, last_modified: SystemTime) -> bool {
    if let Some(inm) = request.get(header::IF_NONE_MATCH) {
        return inm.to_str().is_ok_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
        });
    }
    request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| last_modified <= since)
}

pub(super) async fn opml(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")],
        opml::render(&app.config),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let lm = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(not_modified(
            &headers(header::IF_NONE_MATCH, "\"x\", W/\"abc\""),
            "\"abc\"",
            lm
        ));
        let mut h = headers(header::IF_NONE_MATCH, "\"old\"");
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(lm)).unwrap(),
        );
        assert!(!not_modified(&h, "\"abc\"", lm));
        let ims = headers(header::IF_MODIFIED_SINCE, &httpdate::fmt_http_date(lm));
        assert!(not_modified(&ims, "\"abc\"", lm));
        assert!(!not_modified(&ims, "\"abc\"", lm + Duration::from_secs(1)));
    }
}
