//! `feeds.toml` → validated [`Config`]. Errors carry `FILE:LINE:COL`.
//!
//! The file is parsed into a spanned TOML tree and read section by section by hand
//! ([`reader`]), rather than through serde, so that one pass reports every problem in the
//! file, each at the key or value it is about. The example `feeds.toml` at the
//! repository root documents every field.

mod daemon;
pub mod edit;
mod env;
mod error;
mod ids;
mod live;
mod notify;
mod reader;
mod select;
mod server;
mod source;
mod store;
mod websub;

pub use daemon::{CronSpec, DaemonConfig, FetchConfig};
pub use error::{ConfigError, ConfigErrors};
pub use live::LiveConfig;
pub use notify::{
    ChatConfig, EmailConfig, Language, ListConfig, TelegramConfig, WebhookConfig, WebhookKind,
};
pub use select::{Css, ListSelectors};
pub use server::ServerConfig;
pub use source::{FeedConfig, Filter, SourceConfig, SourceKind};
pub use store::{StoreConfig, StoreUrl, redact as redact_store_url};
pub use websub::WebSubConfig;

use chrono_tz::Tz;
use ids::Ids;
use reader::{Ctx, Section, array_of_tables, single_table};
use std::path::{Path, PathBuf};
use toml::de::DeTable;

/// A validated configuration. Runtime code never re-checks it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[daemon]`.
    pub daemon: DaemonConfig,
    /// `[fetch]`.
    pub fetch: FetchConfig,
    /// `[store]`: the database (sled, or PostgreSQL by `url`) and retention.
    pub store: StoreConfig,
    /// `[server]`: limits of the HTTP server.
    pub server: ServerConfig,
    /// `[[source]]`, in file order.
    pub sources: Vec<SourceConfig>,
    /// `[[feed]]`, in file order.
    pub feeds: Vec<FeedConfig>,
    /// `[email]`, needed by `[[list]]`.
    pub email: Option<EmailConfig>,
    /// `[[list]]`: email lists.
    pub lists: Vec<ListConfig>,
    /// `[telegram]`, needed by `[[chat]]`.
    pub telegram: Option<TelegramConfig>,
    /// `[[chat]]`: Telegram chats.
    pub chats: Vec<ChatConfig>,
    /// `[[webhook]]`: group robots.
    pub webhooks: Vec<WebhookConfig>,
    /// `[websub]`: the hub of our feeds, and subscriptions to the hubs of sources.
    pub websub: WebSubConfig,
}

/// The top-level sections, in the order the example file presents them.
const SECTIONS: &[&str] = &[
    "daemon", "fetch", "store", "server", "source", "feed", "email", "list", "telegram", "chat",
    "webhook", "websub",
];

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
    /// `${NAME}` is read from the process environment.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        Config::parse_with_env(text, path, &|name| std::env::var(name).ok())
    }

    /// [`Config::parse`] with `${NAME}` looked up by `env` (tests use a map, not the
    /// process environment).
    pub fn parse_with_env(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        let mut cx = Ctx::new(text, path, env);
        let (root, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            // The tree the parser recovered is not what the user meant; checking it would
            // only add confusing errors after the real one.
            for e in syntax_errors {
                let span = e.span().unwrap_or(0..0);
                // The parser's message does not quote what it tripped on; show it when
                // it is short enough to recognise ("duplicate key `id`").
                let found = text
                    .get(span.clone())
                    .filter(|s| !s.trim().is_empty() && s.len() <= 60 && !s.contains('\n'));
                let message = match found {
                    Some(s) if e.message() == "duplicate key" => format!("duplicate key `{s}`"),
                    Some(s) => format!("{} (at `{s}`)", e.message()),
                    None => e.message().to_string(),
                };
                cx.error(&span, format!("TOML syntax: {message}"));
            }
            return Err(finish(cx.errors));
        }
        let config = read_config(&mut cx, root.get_ref(), path);
        if cx.errors.is_empty()
            && let Some(config) = config
        {
            return Ok(config);
        }
        Err(finish(cx.errors))
    }

    /// One line for logs and `tidings check`:
    /// `3 sources, 2 feeds, 1 email list, 0 chats, 0 webhooks`.
    pub fn summary(&self) -> String {
        fn count(n: usize, one: &str) -> String {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        }
        [
            count(self.sources.len(), "source"),
            count(self.feeds.len(), "feed"),
            count(self.lists.len(), "email list"),
            count(self.chats.len(), "chat"),
            count(self.webhooks.len(), "webhook"),
        ]
        .join(", ")
    }

    /// The schedule a source is polled on.
    pub fn source_schedule<'a>(&'a self, s: &'a SourceConfig) -> &'a CronSpec {
        s.schedule.as_ref().unwrap_or(&self.daemon.schedule)
    }

    /// The time zone a source's dates are read in.
    pub fn source_tz(&self, s: &SourceConfig) -> Tz {
        s.timezone.unwrap_or(self.daemon.timezone)
    }

    /// The zone the operator configured for a source's dates (its own `timezone`, else
    /// `daemon.timezone` when written); `None` lets the pages' evidence decide.
    pub fn configured_zone(&self, s: &SourceConfig) -> Option<Tz> {
        s.timezone
            .or(self.daemon.timezone_set.then_some(self.daemon.timezone))
    }

    /// Every source with what retention keeps of it.
    pub fn retention(&self) -> Vec<(String, crate::store::Keep)> {
        self.sources
            .iter()
            .map(|s| (s.id.clone(), s.keep))
            .collect()
    }

    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// Errors in file order (sections are read in a fixed order, not the file's).
fn finish(mut errors: Vec<ConfigError>) -> ConfigErrors {
    errors.sort_by_key(|e| (e.line, e.col));
    errors.dedup();
    ConfigErrors(errors)
}

/// Read every section; `None` when something required is missing (already reported).
fn read_config(cx: &mut Ctx, root: &DeTable, path: &Path) -> Option<Config> {
    Section::new(cx, "", root, 0..0, SECTIONS);

    let daemon_table = single_table(cx, root, "daemon");
    let (mut daemon, alert_refs) = daemon::read_daemon(cx, daemon_table, path);
    let fetch_table = single_table(cx, root, "fetch");
    let fetch = daemon::read_fetch(cx, fetch_table);
    let store_table = single_table(cx, root, "store");
    let store = store::read_store(cx, store_table);
    let server_table = single_table(cx, root, "server");
    let server = server::read_server(cx, server_table);

    let mut source_ids = Ids::new("source");
    let sources: Vec<_> = array_of_tables(cx, root, "source")
        .into_iter()
        .filter_map(|(t, span)| source::read_source(cx, t, span, &mut source_ids, store.keep))
        .collect();

    let mut feed_ids = Ids::new("feed");
    let feeds: Vec<_> = array_of_tables(cx, root, "feed")
        .into_iter()
        .filter_map(|(t, span)| source::read_feed(cx, t, span, &mut feed_ids, &source_ids))
        .collect();

    let email =
        single_table(cx, root, "email").and_then(|(t, span)| notify::read_email(cx, t, span));
    let email_written = root.contains_key("email");
    let mut list_ids = Ids::new("list");
    let list_tables = array_of_tables(cx, root, "list");
    if let Some((_, span)) = list_tables.first()
        && !email_written
    {
        cx.error(
            span,
            "[[list]] sends mail, but there is no [email] section saying how (smtp, from)",
        );
    }
    let lists: Vec<_> = list_tables
        .into_iter()
        .filter_map(|(t, span)| notify::read_list(cx, t, span, &mut list_ids, &feed_ids))
        .collect();

    let telegram =
        single_table(cx, root, "telegram").and_then(|(t, span)| notify::read_telegram(cx, t, span));
    let telegram_written = root.contains_key("telegram");
    let chat_tables = array_of_tables(cx, root, "chat");
    if let Some((_, span)) = chat_tables.first()
        && !telegram_written
    {
        cx.error(
            span,
            "[[chat]] posts to Telegram, but there is no [telegram] section with the bot token",
        );
    }
    let mut chat_ids = Vec::new();
    let chats: Vec<_> = chat_tables
        .into_iter()
        .filter_map(|(t, span)| notify::read_chat(cx, t, span, &mut chat_ids, &feed_ids))
        .collect();

    let mut webhook_ids = Ids::new("webhook");
    let webhooks: Vec<_> = array_of_tables(cx, root, "webhook")
        .into_iter()
        .enumerate()
        .filter_map(|(i, (t, span))| {
            notify::read_webhook(cx, t, span, i + 1, &mut webhook_ids, &feed_ids)
        })
        .collect();
    daemon.alerts = webhook_ids.resolve(cx, &alert_refs, "alerts");
    let websub_table = single_table(cx, root, "websub");
    let websub = websub::read_websub(cx, websub_table);

    Some(Config {
        path: path.to_path_buf(),
        daemon,
        fetch,
        store,
        server,
        sources,
        feeds,
        email,
        lists,
        telegram,
        chats,
        webhooks,
        websub,
    })
}
