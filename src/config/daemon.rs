//! `[daemon]` and `[fetch]`: where the daemon keeps its data, listens, and how it polls.

use super::reader::{Ctx, Section, Span, Str};
use chrono_tz::Tz;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::de::DeTable;
use url::Url;

/// `[daemon]`: the process as a whole.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// `data_dir`: the sled database directory (default `data`). A relative path is
    /// resolved against the directory of the configuration file, not the working directory.
    pub data_dir: PathBuf,
    /// `listen`: `IP:PORT` of the HTTP server for feeds, subscribe pages, health and
    /// metrics (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// `public_url`: the base of links in feeds and emails, as readers reach the server
    /// (default `http://` + `listen`). Set it when behind a proxy or listening on 0.0.0.0.
    pub public_url: Url,
    /// `timezone`: IANA name (default `UTC`) in which cron schedules are evaluated and dates
    /// printed without an offset are read.
    pub timezone: Tz,
    /// Whether `timezone` was written. When it was not, a page's dates without an offset
    /// are read in the zone the page itself points to (see [`crate::zone`]), and UTC only
    /// when it points nowhere.
    pub timezone_set: bool,
    /// `schedule`: the default poll schedule (default `0 */15 * * * *`, every 15 minutes).
    pub schedule: CronSpec,
    /// `templates_dir`: a directory whose files override the embedded templates of the same
    /// name (mails, sign-up pages, the status page). Relative to the configuration file.
    pub templates_dir: Option<PathBuf>,
    /// `admin_token`: the bearer token of the admin API (`/admin/…`, loopback clients only)
    /// that `tidings subscribers …` uses while the daemon holds the database. Write
    /// `"${TIDINGS_ADMIN_TOKEN}"`; without it the admin API is off.
    pub admin_token: Option<String>,
    /// `alerts`: ids of `[[webhook]]` robots that receive operator alerts (a source failing
    /// for longer than `alert_after_secs`, a list that suddenly yields nothing, deliveries
    /// failing for good), once per incident and once on recovery. `[telegram] admins`
    /// receive them too.
    pub alerts: Vec<String>,
    /// `alert_after_secs`: how long a source must fail before it is an alert (default 3600).
    pub alert_after_secs: u64,
    /// `websub_hub`: an external WebSub hub. Feeds advertise it instead of Tidings' own
    /// hub (`/websub`), and it is pinged (`hub.mode=publish`) when a feed changes.
    pub websub_hub: Option<Url>,
}

/// `[fetch]`: how the daemon talks to sites. Every field is optional.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `user_agent`: the `User-Agent` header; keep a way to reach you in it.
    pub user_agent: String,
    /// `timeout_secs`: the longest a whole request may take (default 30).
    pub timeout_secs: u64,
    /// `connect_timeout_secs`: the longest connecting may take (default 10).
    pub connect_timeout_secs: u64,
    /// `max_body_bytes`: largest body accepted, after decompression (default 10 MiB).
    pub max_body_bytes: u64,
    /// `per_host_concurrency`: requests in flight to one host at a time (default 2).
    pub per_host_concurrency: usize,
    /// `per_host_interval_ms`: minimum spacing between two requests to one host (default 1000).
    pub per_host_interval_ms: u64,
    /// `polls_in_flight`: sources polled at once, by the daemon and by `tidings poll`
    /// (default 64). What a poll holds (its body, parsed entries, article pages) is
    /// bounded by this, not by the number of sources; the others wait their turn.
    pub polls_in_flight: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: format!(
                "tidings/{} (+https://github.com/tidings/tidings)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_body_bytes: 10 * 1024 * 1024,
            per_host_concurrency: 2,
            per_host_interval_ms: 1000,
            polls_in_flight: 64,
        }
    }
}

/// A cron expression (6 or 7 fields, with seconds) with its text kept for display.
#[derive(Debug, Clone)]
pub struct CronSpec {
    pub expr: String,
    pub schedule: cron::Schedule,
}

impl FromStr for CronSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_cron(s)
    }
}

/// The poll schedule used when `[daemon]` gives none.
pub(super) const DEFAULT_SCHEDULE: &str = "0 */15 * * * *";

/// Parse a cron expression, explaining the seconds field to people used to 5-field crontab.
pub(super) fn parse_cron(s: &str) -> Result<CronSpec, String> {
    const FIELDS: &str = "sec min hour day-of-month month day-of-week [year]";
    let expr = s.trim();
    let fields = expr.split_whitespace().count();
    if !expr.starts_with('@') && fields == 5 {
        return Err(format!(
            "cron expression \"{expr}\" has 5 fields, but schedules start with seconds: \
             6 or 7 fields ({FIELDS}), e.g. \"0 {expr}\""
        ));
    }
    if !expr.starts_with('@') && !(6..=7).contains(&fields) {
        return Err(format!(
            "cron expression \"{expr}\" has {fields} fields; expected 6 or 7 ({FIELDS}), \
             e.g. \"{DEFAULT_SCHEDULE}\""
        ));
    }
    cron::Schedule::from_str(expr)
        .map(|schedule| CronSpec {
            expr: expr.to_string(),
            schedule,
        })
        .map_err(|e| format!("invalid cron expression \"{expr}\": {e} (fields: {FIELDS})"))
}

/// Parse an IANA time zone name.
pub(super) fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| {
        format!("unknown time zone \"{s}\"; use an IANA name such as \"Asia/Shanghai\" or \"UTC\"")
    })
}

/// Parse an `http://` or `https://` URL; `what` names it in messages.
pub(super) fn parse_http_url(s: &str, what: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("invalid {what} \"{s}\": {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(format!("invalid {what} \"{s}\": no host")),
        other => Err(format!(
            "{what} \"{s}\" must start with http:// or https://, not {other}:"
        )),
    }
}

pub(super) fn read_daemon(
    cx: &mut Ctx,
    table: Option<(&DeTable, Span)>,
    config_path: &Path,
) -> (DaemonConfig, Vec<Str>) {
    let listen_default = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut daemon = DaemonConfig {
        data_dir: PathBuf::from("data"),
        listen: listen_default,
        public_url: http_base(listen_default),
        timezone: Tz::UTC,
        timezone_set: false,
        schedule: parse_cron(DEFAULT_SCHEDULE).expect("the default schedule is valid"),
        templates_dir: None,
        admin_token: None,
        alerts: Vec::new(),
        alert_after_secs: 3600,
        websub_hub: None,
    };
    let mut alert_refs = Vec::new();
    if let Some((table, span)) = table {
        let sec = Section::new(
            cx,
            "[daemon]",
            table,
            span,
            &[
                "data_dir",
                "listen",
                "public_url",
                "timezone",
                "schedule",
                "templates_dir",
                "admin_token",
                "alerts",
                "alert_after_secs",
                "websub_hub",
            ],
        );
        if let Some(dir) = sec.string(cx, "data_dir") {
            if dir.value.trim().is_empty() {
                cx.error(
                    &dir.span,
                    "`data_dir` is empty; name a directory, e.g. \"data\"",
                );
            } else {
                daemon.data_dir = PathBuf::from(dir.value);
            }
        }
        if let Some(listen) = sec.parsed(cx, "listen", |s| {
            s.parse::<SocketAddr>().map_err(|_| {
                format!(
                    "invalid listen address \"{s}\": expected IP:PORT, e.g. \"127.0.0.1:8080\" \
                     or \"[::1]:8080\" (host names are not accepted)"
                )
            })
        }) {
            daemon.listen = listen;
            daemon.public_url = http_base(listen);
        }
        if let Some(url) = sec.parsed(cx, "public_url", |s| parse_http_url(s, "public_url")) {
            daemon.public_url = url;
        }
        if let Some(tz) = sec.parsed(cx, "timezone", parse_tz) {
            daemon.timezone = tz;
            daemon.timezone_set = true;
        }
        if let Some(schedule) = sec.parsed(cx, "schedule", parse_cron) {
            daemon.schedule = schedule;
        }
        if let Some(dir) = sec.string(cx, "templates_dir") {
            daemon.templates_dir = Some(PathBuf::from(dir.value));
        }
        if let Some(token) = sec.string(cx, "admin_token") {
            // A short token is guessable by anyone who can reach the port.
            if token.value.len() < 16 || token.value.contains(char::is_whitespace) {
                cx.error(
                    &token.span,
                    "`admin_token` must be at least 16 characters without spaces, \
                     e.g. the output of `openssl rand -hex 16`",
                );
            } else {
                daemon.admin_token = Some(token.value);
            }
        }
        // Resolved against the webhook ids once those are read.
        alert_refs = sec.strings(cx, "alerts").unwrap_or_default();
        if let Some(secs) = sec.integer(cx, "alert_after_secs", 0, i64::from(u32::MAX)) {
            daemon.alert_after_secs = secs as u64;
        }
        if let Some(url) = sec.parsed(cx, "websub_hub", |s| parse_http_url(s, "websub_hub")) {
            daemon.websub_hub = Some(url);
        }
    }
    let base = config_path.parent().unwrap_or(Path::new(""));
    if daemon.data_dir.is_relative() {
        daemon.data_dir = base.join(&daemon.data_dir);
    }
    if let Some(dir) = daemon.templates_dir.as_mut().filter(|d| d.is_relative()) {
        *dir = base.join(&*dir);
    }
    (daemon, alert_refs)
}

fn http_base(listen: SocketAddr) -> Url {
    Url::parse(&format!("http://{listen}")).expect("an IP:PORT makes a valid http URL")
}

pub(super) fn read_fetch(cx: &mut Ctx, table: Option<(&DeTable, Span)>) -> FetchConfig {
    let mut fetch = FetchConfig::default();
    let Some((table, span)) = table else {
        return fetch;
    };
    let sec = Section::new(
        cx,
        "[fetch]",
        table,
        span,
        &[
            "user_agent",
            "timeout_secs",
            "connect_timeout_secs",
            "max_body_bytes",
            "per_host_concurrency",
            "per_host_interval_ms",
            "polls_in_flight",
        ],
    );
    if let Some(ua) = sec.string(cx, "user_agent") {
        if ua.value.trim().is_empty() || ua.value.contains(['\r', '\n']) {
            cx.error(&ua.span, "`user_agent` must be one non-empty line");
        } else {
            fetch.user_agent = ua.value;
        }
    }
    // Bounds are there to catch typos (a timeout of 0 or of a year), not to police taste.
    if let Some(n) = sec.integer(cx, "timeout_secs", 1, 86_400) {
        fetch.timeout_secs = n as u64;
    }
    if let Some(n) = sec.integer(cx, "connect_timeout_secs", 1, 86_400) {
        fetch.connect_timeout_secs = n as u64;
    }
    if let Some(n) = sec.integer(cx, "max_body_bytes", 1024, i64::MAX) {
        fetch.max_body_bytes = n as u64;
    }
    if let Some(n) = sec.integer(cx, "per_host_concurrency", 1, 1024) {
        fetch.per_host_concurrency = n as usize;
    }
    if let Some(n) = sec.integer(cx, "per_host_interval_ms", 0, 86_400_000) {
        fetch.per_host_interval_ms = n as u64;
    }
    if let Some(n) = sec.integer(cx, "polls_in_flight", 1, 4096) {
        fetch.polls_in_flight = n as usize;
    }
    fetch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_takes_seconds_and_explains_five_fields() {
        assert!(parse_cron("0 */15 * * * *").is_ok());
        assert!(parse_cron("0 0 8 * * Mon-Fri 2030").is_ok());
        let e = parse_cron("*/15 * * * *").unwrap_err();
        assert!(
            e.contains("5 fields") && e.contains("\"0 */15 * * * *\""),
            "{e}"
        );
        assert!(
            parse_cron("0 0 25 * * *")
                .unwrap_err()
                .contains("invalid cron")
        );
    }

    #[test]
    fn only_web_urls() {
        assert!(parse_http_url("https://example.org/a", "url").is_ok());
        assert!(
            parse_http_url("ftp://example.org/", "url")
                .unwrap_err()
                .contains("http:// or https://")
        );
        assert!(parse_http_url("example.org", "url").is_err());
    }
}
