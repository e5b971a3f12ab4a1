//! Feed routes: `/feeds/{id}.{atom,rss,json}` and `/opml`.

use super::Shared;
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
    State(shared): State<Arc<Shared>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let config = shared.config();
    let found = file.rsplit_once('.').and_then(|(id, ext)| {
        let format = Format::from_extension(ext)?;
        let index = config.feeds.iter().position(|f| f.id == id)?;
        Some((index, format))
    });
    let Some((index, format)) = found else {
        return (StatusCode::NOT_FOUND, "no such feed\n").into_response();
    };
    let feed = &config.feeds[index];
    if let Some(cached) = shared.cache_for_config().fresh(&shared.store, feed, format) {
        return respond(&cached, format, CacheOutcome::Hit, &headers);
    }
    // A build scans the store and serialises: keep it off the async workers.
    let builder = shared.clone();
    let snapshot = config.clone();
    let built = tokio::task::spawn_blocking(move || {
        let feed = &snapshot.feeds[index];
        builder.cache.build(&snapshot, &builder.store, feed, format)
    })
    .await;
    match built {
        Ok(Ok(cached)) => respond(&cached, format, CacheOutcome::Built, &headers),
        Ok(Err(e)) => {
            tracing::error!(feed = %feed.id, format = format.extension(), error = %e, "cannot serve feed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
        Err(e) => {
            tracing::error!(feed = %feed.id, format = format.extension(), error = %e, "building the feed panicked");
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
    let gzip = accepts_gzip(request);
    let (body, etag) = if gzip {
        (cached.gzip.clone(), cached.gzip_etag())
    } else {
        (cached.body.clone(), cached.etag.clone())
    };
    let mut headers = HeaderMap::new();
    // The ETag is a quoted hex hash and the date an HTTP date: both are visible ASCII.
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(cached.last_modified)) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        "x-cache",
        HeaderValue::from_static(match outcome {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Built => "miss",
        }),
    );
    // Either representation's ETag proves the client holds the current content.
    let etags = [cached.etag.as_str(), &cached.gzip_etag()];
    if not_modified(request, &etags, cached.last_modified) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    (headers, body).into_response()
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accept.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// RFC 9110 §13.1: `If-None-Match` (weak comparison) decides when present; otherwise
/// `If-Modified-Since`.
fn not_modified(request: &HeaderMap, etags: &[&str], last_modified: SystemTime) -> bool {
    if let Some(inm) = request.get(header::IF_NONE_MATCH) {
        return inm.to_str().is_ok_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || etags.contains(&tag.trim_start_matches("W/")))
        });
    }
    request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| last_modified <= since)
}

pub(super) async fn opml(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")],
        opml::render(&shared.config()),
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
            &["\"abc\""],
            lm
        ));
        let mut h = headers(header::IF_NONE_MATCH, "\"old\"");
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(lm)).unwrap(),
        );
        assert!(!not_modified(&h, &["\"abc\""], lm));
        let ims = headers(header::IF_MODIFIED_SINCE, &httpdate::fmt_http_date(lm));
        assert!(not_modified(&ims, &["\"abc\""], lm));
        assert!(!not_modified(
            &ims,
            &["\"abc\""],
            lm + Duration::from_secs(1)
        ));
    }

    #[test]
    fn gzip_is_used_when_listed_without_q_zero() {
        let accept = |v: &str| accepts_gzip(&headers(header::ACCEPT_ENCODING, v));
        assert!(accept("gzip, deflate, br"));
        assert!(accept("br;q=1.0, GZIP;q=0.5"));
        assert!(accept("*"));
        assert!(!accept("gzip;q=0, br"));
        assert!(!accept("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
