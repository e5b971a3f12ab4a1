//! `[server]`: the limits of the public HTTP server (feeds, sign-up pages, status).

use super::reader::{Ctx, Section, Span};
use std::time::Duration;
use toml::de::DeTable;

/// `[server]`: every field optional; the defaults suit a small public server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// `header_timeout_secs`: how long a client may take to send a request's headers, and
    /// how long a kept-alive connection may sit idle (default 10).
    pub header_timeout_secs: u64,
    /// `request_timeout_secs`: how long one request may take from its headers to the
    /// end of the answer, body upload included (default 30); past it, 408.
    pub request_timeout_secs: u64,
    /// `max_connections`: connections served at once (default 512). One more is answered
    /// `503 Service Unavailable` and closed at once.
    pub max_connections: usize,
    /// `max_form_bytes`: the largest body a form or admin request may have (default
    /// 16384); a larger one gets 413.
    pub max_form_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 512,
            max_form_bytes: 16 * 1024,
        }
    }
}

impl ServerConfig {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

pub(super) fn read_server(cx: &mut Ctx, table: Option<(&DeTable, Span)>) -> ServerConfig {
    let mut server = ServerConfig::default();
    let Some((table, span)) = table else {
        return server;
    };
    let sec = Section::new(
        cx,
        "[server]",
        table,
        span,
        &[
            "header_timeout_secs",
            "request_timeout_secs",
            "max_connections",
            "max_form_bytes",
        ],
    );
    if let Some(n) = sec.integer(cx, "header_timeout_secs", 1, 3600) {
        server.header_timeout_secs = n as u64;
    }
    if let Some(n) = sec.integer(cx, "request_timeout_secs", 1, 3600) {
        server.request_timeout_secs = n as u64;
    }
    if let Some(n) = sec.integer(cx, "max_connections", 1, 1_000_000) {
        server.max_connections = n as usize;
    }
    if let Some(n) = sec.integer(cx, "max_form_bytes", 256, 64 * 1024 * 1024) {
        server.max_form_bytes = n as usize;
    }
    server
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn limits_are_read_and_checked() {
        let c = Config::parse(
            "[server]\nheader_timeout_secs = 2\nmax_connections = 8\n",
            Path::new("feeds.toml"),
        )
        .unwrap();
        assert_eq!(c.server.header_timeout_secs, 2);
        assert_eq!(c.server.max_connections, 8);
        assert_eq!(c.server.request_timeout_secs, 30);
        let e = Config::parse("[server]\nmax_connections = 0\n", Path::new("feeds.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("feeds.toml:2:"), "{e}");
    }
}
