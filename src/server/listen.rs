//! The accept loop: what axum's `serve` does, plus the limits a public server needs
//! (`[server]`, [`ServerConfig`]):
//!
//! - a client must send its request headers within `header_timeout_secs`, and a
//!   kept-alive connection may sit idle no longer (hyper's header read timeout), so a
//!   client that opens connections and never finishes a request cannot hold them;
//! - at most `max_connections` connections are served at once; one more is answered
//!   `503 Service Unavailable` with `Retry-After` and closed at once (not queued, so a
//!   flood of idle sockets cannot make the listen backlog grow without bound);
//! - each request is bounded by `request_timeout_secs` (in [`super::harden`]).
//!
//! Shutdown: on `cancel`, accepting stops and every connection finishes its request in
//! flight (graceful shutdown); the function returns when all are done.

use crate::config::ServerConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// What a connection over the cap is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
x-content-type-options: nosniff\r\n\
connection: close\r\n\
content-length: 29\r\n\
\r\n\
too many connections, retry\r\n";

/// Serve `app` on `listener` within `limits` until `cancel` fires.
pub(super) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: &ServerConfig,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout());
    loop {
        let (stream, peer) = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::counter!("tidings_http_connections_refused_total").increment(1);
            connections.spawn(refuse(stream));
            continue;
        };
        let app = app.clone();
        let http = http.clone();
        let cancel = cancel.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req)
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => log_end(result),
                _ = cancel.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    log_end(conn.await);
                }
            }
            drop(slot);
        });
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // A client that timed out or went away: routine, not an error of ours.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Tell a connection over the cap to come back, and close it (bounded: a client that
/// does not read gets nothing more than a closed socket).
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
