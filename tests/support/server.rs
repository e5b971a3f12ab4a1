//! A loopback HTTP server for fixtures: each path answers with a programmable
//! response (status, headers, body, ETag, delay, gzip), and every request is recorded
//! so tests can assert what the client sent.

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When set, the reply carries this ETag and a matching If-None-Match gets 304.
    pub etag: Option<String>,
    pub delay: Option<Duration>,
    /// Send the body gzip-compressed as is (already compressed bytes).
    pub gzip: bool,
    /// Stream this many bytes of zeros after `body` (an endless-looking body).
    pub stream_zeros: u64,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            ..Default::default()
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            ..Default::default()
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn etag(mut self, e: &str) -> Reply {
        self.etag = Some(e.into());
        self
    }
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    /// When the request arrived.
    pub at: std::time::Instant,
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Woken on every request, so a test waits for one instead of polling a clock.
    arrived: Arc<tokio::sync::Notify>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a request as in flight until its answer is built (after its delay).
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub struct FixtureServer {
    pub addr: SocketAddr,
    shared: Shared,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        FixtureServer::start_on("127.0.0.1").await
    }

    /// A server on another loopback address (`127.0.0.2` …): another host, as far as
    /// URLs go, on the same machine.
    pub async fn start_on(ip: &str) -> FixtureServer {
        let shared = Shared::default();
        let s = shared.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let s = s.clone();
            async move { answer(s, req).await }
        });
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FixtureServer { addr, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), reply);
    }

    /// Wait until `path` has been requested at least once, at most `limit`; whether it was.
    /// For waiting on another process (the daemon), whose clock a test cannot drive.
    pub async fn wait_for_request(&self, path: &str, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // Created before the check: a request arriving in between still wakes it.
            let arrived = self.shared.arrived.notified();
            if !self.requests(path).is_empty() {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return false;
            }
        }
    }

    /// The most requests this server was answering at one time (a delayed reply keeps
    /// its request in flight for the delay).
    pub fn most_in_flight(&self) -> usize {
        self.shared
            .most_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many requests arrived, on every path.
    pub fn request_count(&self) -> usize {
        self.shared.seen.lock().unwrap().len()
    }

    /// Requests received for `path`, oldest first.
    pub fn requests(&self, path: &str) -> Vec<Seen> {
        self.shared
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

async fn answer(s: Shared, req: Request<Body>) -> Response<Body> {
    use std::sync::atomic::Ordering::SeqCst;
    let now = s.in_flight.fetch_add(1, SeqCst) + 1;
    s.most_in_flight.fetch_max(now, SeqCst);
    let _in_flight = InFlight(s.in_flight.clone());
    let path = req.uri().path().to_string();
    s.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        headers: req.headers().clone(),
        at: std::time::Instant::now(),
    });
    s.arrived.notify_waiters();
    let reply = s.routes.lock().unwrap().get(&path).cloned();
    let Some(reply) = reply else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    if let Some(etag) = &reply.etag
        && req
            .headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
    {
        return Response::builder()
            .status(304)
            .header("etag", etag)
            .body(Body::empty())
            .unwrap();
    }
    let mut b = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (k, v) in &reply.headers {
        b = b.header(k, v);
    }
    if let Some(etag) = &reply.etag {
        b = b.header("etag", etag);
    }
    if reply.gzip {
        b = b.header("content-encoding", "gzip");
    }
    if reply.stream_zeros > 0 {
        let head = bytes::Bytes::from(reply.body.clone());
        let total = reply.stream_zeros;
        let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
        let stream = futures_util::stream::iter(
            std::iter::once(head).chain((0..total.div_ceil(64 * 1024)).map(move |_| chunk.clone())),
        )
        .map(Ok::<_, std::io::Error>);
        return b.body(Body::from_stream(stream)).unwrap();
    }
    b.body(Body::from(reply.body)).unwrap()
}

use futures_util::StreamExt;
