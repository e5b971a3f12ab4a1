//! [`Fetcher`]: the one HTTP client. Conditional GET with saved validators, connect and
//! total timeouts, a cap on the (decompressed) body, at most 10 redirects, an honest
//! `User-Agent`, per-host politeness, and `Retry-After` reported to the caller.
//!
//! Every request says what it may reach ([`Reach`]): redirects are followed here, hop by
//! hop, so that each hop to a host the operator did not name goes through the client
//! whose resolver refuses non-public addresses ([`guard`](super::guard)).

use super::guard::{self, Reach, Refused};
use super::politeness::HostGates;
use crate::config::FetchConfig;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use std::time::{Duration, Instant};
use url::Url;

/// The validators saved from the last successful response of a source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response body and what the pipeline needs of its headers.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    /// The URL after redirects: the base for relative links.
    pub url: Url,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// The body, decompressed, at most `max_body_bytes` long. Decoding to text is the
    /// parser's job ([`crate::text::charset`]), since it needs the bytes and the header.
    pub body: Bytes,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: what we have is current.
    NotModified,
    Fetched(Box<Fetched>),
}

/// At most this many redirects are followed.
pub const MAX_REDIRECTS: usize = 10;

/// What a fetch failed on. URLs are shown redacted ([`crate::text::redact_url`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{}: invalid URL: {message}", shown(url))]
    InvalidUrl { url: String, message: String },
    #[error("{}: timed out after {secs} s", shown(url))]
    Timeout { url: Url, secs: u64 },
    #[error("{}: cannot connect: {message}", shown(url))]
    Connect { url: Url, message: String },
    #[error("{}: more than 10 redirects", shown(url))]
    TooManyRedirects { url: Url },
    /// The address is not one this URL may reach (see [`guard`]).
    #[error("{}: {refused}, {why}", shown(url))]
    Refused {
        url: Url,
        refused: Refused,
        /// Whose link or redirect it was, and how to widen the rule.
        why: String,
    },
    #[error("{}: HTTP {status}{}", shown(url), retry_after.map(|t| format!(" (retry after {})", t.to_rfc3339())).unwrap_or_default())]
    Http {
        url: Url,
        status: u16,
        /// From `Retry-After` (seconds or an HTTP date) on 429/503.
        retry_after: Option<DateTime<Utc>>,
    },
    #[error(
        "{}: body larger than the limit of {limit} bytes (fetch.max_body_bytes)",
        shown(url)
    )]
    TooLarge { url: Url, limit: u64 },
    #[error("{}: error reading the body: {message}", shown(url))]
    Body { url: Url, message: String },
}

fn shown(url: impl AsRef<str>) -> String {
    crate::text::redact_url(url.as_ref())
}

impl FetchError {
    /// Whether trying again later may succeed (network trouble, 5xx, 429), as opposed to
    /// a problem with the source itself (404, a body over the limit).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } | FetchError::Body { .. } => {
                true
            }
            FetchError::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            FetchError::InvalidUrl { .. }
            | FetchError::TooManyRedirects { .. }
            | FetchError::Refused { .. }
            | FetchError::TooLarge { .. } => false,
        }
    }

    /// Whether the address rule refused the URL (retrying will not help, and the link
    /// is not worth keeping for later).
    pub fn is_refused(&self) -> bool {
        matches!(self, FetchError::Refused { .. })
    }

    /// When the server asked us to come back (`Retry-After`).
    pub fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            FetchError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The shared HTTP client. Cheap to share behind an `Arc`.
pub struct Fetcher {
    /// For hosts the operator named: any address.
    open: reqwest::Client,
    /// For every other host: public addresses only, checked when connecting.
    public: reqwest::Client,
    max_body: u64,
    timeout: Duration,
    gates: HostGates,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, reqwest::Error> {
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let builder = || {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.max(1)))
                .timeout(timeout)
                // Redirects are followed in `get`, each hop checked against the `Reach`.
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
        };
        Ok(Fetcher {
            open: builder().build()?,
            public: builder()
                .dns_resolver(std::sync::Arc::new(guard::PublicResolver))
                .build()?,
            max_body: cfg.max_body_bytes,
            timeout,
            gates: HostGates::new(
                cfg.per_host_concurrency,
                Duration::from_millis(cfg.per_host_interval_ms),
            ),
        })
    }

    /// Space requests to each host across every replica sharing `pacer`'s store, not
    /// only within this process.
    pub fn share_pacing(&mut self, pacer: crate::store::coord::Pacer) {
        self.gates.share(pacer);
    }

    /// GET a URL the operator wrote (a source, a URL on the command line), sending
    /// `validators` as `If-None-Match` / `If-Modified-Since`. Its host may be on any
    /// address; a redirect to another host must be public ([`Reach::command_line`]).
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        self.get_within(url, validators, &Reach::command_line(url))
            .await
    }

    /// GET `url` within `reach`, which says which hosts may be on non-public addresses:
    /// for every URL learned at run time (article links, links followed by discovery).
    /// Redirects are followed, each hop held to `reach`.
    pub async fn get_within(
        &self,
        url: &Url,
        validators: &Validators,
        reach: &Reach,
    ) -> Result<FetchOutcome, FetchError> {
        let started = Instant::now();
        let mut current = url.clone();
        let mut from: Option<Url> = None;
        let mut hops = 0;
        let resp = loop {
            let resp = self
                .send_one(&current, validators, reach, from.as_ref())
                .await?;
            let Some(next) = redirect_target(&resp) else {
                break resp;
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects { url: current });
            }
            let next = current.join(&next).map_err(|e| FetchError::InvalidUrl {
                url: next.clone(),
                message: format!("redirect from {}: {e}", shown(&current)),
            })?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::InvalidUrl {
                    url: next.to_string(),
                    message: format!("redirect from {} to a non-HTTP URL", shown(&current)),
                });
            }
            from = Some(std::mem::replace(&mut current, next));
        };
        let status = resp.status();
        let final_url = resp.url().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Http {
                url: final_url,
                status: status.as_u16(),
                retry_after: retry_after(resp.headers(), Utc::now()),
            });
        }
        // A declared length over the limit is refused before reading anything.
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(FetchError::TooLarge {
                url: final_url,
                limit: self.max_body,
            });
        }
        let headers = resp.headers().clone();
        // Sized once when the length is declared (it is within the limit, checked above),
        // rather than doubled as chunks arrive: a 6 MiB body does not pass through 8 MiB.
        // Compressed bodies declare their compressed length, so it is only a start.
        let declared = resp.content_length().unwrap_or(0).min(self.max_body);
        let mut body = BytesMut::with_capacity(declared as usize);
        let mut stream = resp.bytes_stream();
        // The stream yields decompressed bytes, so this caps what a gzip bomb expands to.
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| match self.classify(&final_url, e) {
                FetchError::Connect { url, message } => FetchError::Body { url, message },
                other => other,
            })?;
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    url: final_url,
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let text_header = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(FetchOutcome::Fetched(Box::new(Fetched {
            status: status.as_u16(),
            url: final_url,
            content_type: text_header(header::CONTENT_TYPE),
            validators: Validators {
                etag: text_header(header::ETAG),
                last_modified: text_header(header::LAST_MODIFIED),
            },
            body: body.freeze(),
            elapsed: started.elapsed(),
        })))
    }

    /// One request, no redirect followed: through the open client when `reach` trusts
    /// the host, else through the public-only one (a literal address checked first,
    /// since literal addresses never reach the resolver).
    async fn send_one(
        &self,
        url: &Url,
        validators: &Validators,
        reach: &Reach,
        from: Option<&Url>,
    ) -> Result<reqwest::Response, FetchError> {
        let host = url.host_str().ok_or_else(|| FetchError::InvalidUrl {
            url: url.to_string(),
            message: "no host".into(),
        })?;
        let refused = |refused: Refused| FetchError::Refused {
            url: url.clone(),
            refused,
            why: reach.explain(from),
        };
        let client = if reach.trusts(url) {
            &self.open
        } else {
            guard::check_literal(url).map_err(refused)?;
            &self.public
        };
        let _turn = self.gates.acquire(host).await;
        let mut req = client.get(url.clone());
        if let Some(etag) = &validators.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        req.send().await.map_err(|e| match guard::find_refused(&e) {
            Some(r) => refused(r.clone()),
            None => self.classify(url, e),
        })
    }

    /// GET a URL the operator wrote without validators, failing on 304 as on any
    /// non-success.
    pub async fn get_fresh(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get_fresh_within(url, &Reach::command_line(url)).await
    }

    /// [`Fetcher::get_fresh`] for a URL learned at run time, within `reach`.
    pub async fn get_fresh_within(&self, url: &Url, reach: &Reach) -> Result<Fetched, FetchError> {
        match self.get_within(url, &Validators::default(), reach).await? {
            FetchOutcome::Fetched(f) => Ok(*f),
            FetchOutcome::NotModified => Err(FetchError::Http {
                url: url.clone(),
                status: 304,
                retry_after: None,
            }),
        }
    }

    fn classify(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let url = e.url().cloned().unwrap_or_else(|| url.clone());
        if e.is_timeout() {
            FetchError::Timeout {
                url,
                secs: self.timeout.as_secs(),
            }
        } else if e.is_decode() || e.is_body() {
            FetchError::Body {
                url,
                message: error_chain(&e),
            }
        } else {
            FetchError::Connect {
                url,
                message: error_chain(&e),
            }
        }
    }
}

/// Where a redirect response points (`Location` of a 301, 302, 303, 307 or 308).
fn redirect_target(resp: &reqwest::Response) -> Option<String> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = resp.headers().get(header::LOCATION)?.to_str().ok()?;
    Some(location.trim().to_string())
}

/// reqwest's top-level message is vague ("error sending request for url (…)") and
/// repeats the URL; the causes say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = c.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// The longest wait a `Retry-After` can impose, in either form.
pub const MAX_RETRY_AFTER_SECS: i64 = 86_400;

/// `Retry-After` as seconds or an HTTP date, at most [`MAX_RETRY_AFTER_SECS`] ahead.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    // A day is plenty; a larger value is more likely a mistake than a wish (and one 503
    // naming the year 9999 must not park a source for good).
    let cap = now + chrono::Duration::seconds(MAX_RETRY_AFTER_SECS);
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(secs.min(MAX_RETRY_AFTER_SECS as u64) as i64));
    }
    let t = httpdate::parse_http_date(v).ok()?;
    Some(DateTime::<Utc>::from(t).min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_date() {
        let now = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(
            retry_after(&h, now),
            Some(now + chrono::Duration::seconds(120))
        );
        h.insert(
            header::RETRY_AFTER,
            "Mon, 01 Jan 2024 00:10:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h, now),
            Some(now + chrono::Duration::minutes(10))
        );
        h.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
        // Both forms are capped at a day: a date in the year 9999 parks nothing for good.
        let day = Some(now + chrono::Duration::days(1));
        h.insert(
            header::RETRY_AFTER,
            "Fri, 31 Dec 9999 23:59:59 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), day);
        h.insert(header::RETRY_AFTER, "99999999999".parse().unwrap());
        assert_eq!(retry_after(&h, now), day);
    }
}
