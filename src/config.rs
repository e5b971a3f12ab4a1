//! `feeds.toml` → validated [`Config`]. Errors carry `FILE:LINE:COL`.
//! (Skeleton: the full implementation with positions and all checks replaces this.)

use crate::parse::html::Selectors;
use chrono_tz::Tz;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use url::Url;

/// A validated configuration. Runtime code never re-checks it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub daemon: DaemonConfig,
    pub fetch: FetchConfig,
    pub sources: Vec<SourceConfig>,
    pub feeds: Vec<FeedConfig>,
}

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// sled directory; a relative path is resolved against the config file's directory.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub public_url: Url,
    pub timezone: Tz,
    pub schedule: CronSpec,
}

/// `[fetch]`: how the daemon talks to sites.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub user_agent: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Largest body accepted, after decompression.
    pub max_body_bytes: u64,
    pub per_host_concurrency: usize,
    /// Minimum spacing between two requests to one host.
    pub per_host_interval_ms: u64,
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
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Auto,
    Feed,
    Html,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub id: String,
    pub url: Url,
    pub title: Option<String>,
    pub kind: SourceKind,
    /// This source's schedule, else the daemon's.
    pub schedule: Option<CronSpec>,
    pub full_text: bool,
    pub notify_existing: u32,
    pub select: Option<Selectors>,
    /// Time zone for dates printed without an offset, else the daemon's.
    pub timezone: Option<Tz>,
}

/// A keyword, or a `/regex/`, matched on title and text.
#[derive(Debug, Clone)]
pub enum Filter {
    Keyword(String),
    Regex(regex::Regex),
}

impl Filter {
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Filter::Keyword(k) => text.to_lowercase().contains(&k.to_lowercase()),
            Filter::Regex(r) => r.is_match(text),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Source ids; `["*"]` is expanded to every source.
    pub sources: Vec<String>,
    pub include: Vec<Filter>,
    pub exclude: Vec<Filter>,
    pub limit: usize,
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
        cron::Schedule::from_str(s)
            .map(|schedule| CronSpec {
                expr: s.to_string(),
                schedule,
            })
            .map_err(|e| e.to_string())
    }
}

impl Config {
    /// The schedule a source is polled on.
    pub fn source_schedule<'a>(&'a self, s: &'a SourceConfig) -> &'a CronSpec {
        s.schedule.as_ref().unwrap_or(&self.daemon.schedule)
    }

    /// The time zone a source's dates are read in.
    pub fn source_tz(&self, s: &SourceConfig) -> Tz {
        s.timezone.unwrap_or(self.daemon.timezone)
    }

    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// Every problem found in a configuration file, each printed as `FILE:LINE:COL: message`.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Read and validate a file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: path.to_path_buf(),
                line: 0,
                col: 0,
                message: format!("cannot read: {e}"),
            }])
        })?;
        Config::parse(&text, path)
    }

    /// Validate configuration text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        let _ = text;
        Err(ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: "config loader not built yet".into(),
        }]))
    }
}

impl Config {
    /// One line for `tidings check`.
    pub fn summary(&self) -> String {
        format!("{} sources, {} feeds", self.sources.len(), self.feeds.len())
    }
}
