//! Tidings: a daemon that polls news sources (feeds, and sites that publish none),
//! remembers what it has seen, republishes it as feeds over HTTP and pushes new articles
//! to subscribers.
//!
//! The modules, in pipeline order:
//!
//! - [`config`]: `feeds.toml` → a validated [`config::Config`] (errors carry `file:line:col`).
//! - [`schedule`]: cron schedules in the configured time zone → "poll source S now".
//! - [`fetch`]: one polite HTTP client: conditional GET, size caps, per-host limits,
//!   `Retry-After`, backoff; the one address rule against request forgery
//!   (`fetch::guard`).
//! - [`parse`]: bodies → entries: feeds ([`parse::feed`]) and HTML list pages
//!   ([`parse::html`]: CSS selectors, or automatic list detection).
//! - [`extract`]: an article page → title, date, author, origin and main content.
//! - [`dates`]: dates as pages print them.
//! - [`zone`]: the time zone of dates printed without an offset, from the configuration
//!   or the page's own evidence (`lang="zh-CN"`, a `.cn` host, an ICP 备案 number …).
//! - [`discover`]: a site's home page → its feeds and news columns (`tidings discover`).
//! - [`process`]: entries → items: canonical URLs, stable ids, revisions, sanitising.
//! - [`filter`]: which items a feed takes: the one rule publish and notify share.
//! - [`store`]: one interface, two backends: sled (embedded, the default) and PostgreSQL
//!   (`[store] url`, shared by several `tidings run` replicas through leases). Dedup lives
//!   here: storing a batch returns only what is new or updated, and queues its
//!   deliveries in the same transaction; retention keeps it bounded, and an unreadable
//!   value is skipped, never fatal.
//! - [`poll`]: one source, end to end: fetch → parse → extract → process → store.
//! - [`isolate`]: a panic while polling is that source's error; CPU-heavy stages run on
//!   blocking threads, one per core.
//! - [`publish`]: stored items → RSS 2.0, Atom, JSON Feed, OPML.
//! - [`notify`]: routing, the outbox worker and its channels (email), digests.
//! - [`templates`]: the mail and page templates, embedded and overridable.
//! - [`websub`]: WebSub: the hub of our feeds, and subscriptions to the hubs of sources.
//! - [`server`]: the HTTP server (feeds, status page, health, metrics, WebSub routes),
//!   with timeouts, a connection cap and security headers.
//! - [`app`]: `tidings run`: the long-lived tasks and their graceful shutdown.
//! - [`reload`]: `feeds.toml` read again on SIGHUP or when it changes, validated first.
//! - [`cli`]: the command line.
//!
//! [`model`] holds the data that flows between stages; [`text`] the pure text helpers
//! every stage stands on (charset decoding, whitespace, CJK, HTML ↔ text, month names).

pub mod app;
pub mod cli;
pub mod config;
pub mod dates;
pub mod discover;
pub mod extract;
pub mod fetch;
pub mod filter;
pub mod isolate;
pub mod model;
pub mod notify;
pub mod parse;
pub mod poll;
pub mod process;
pub mod publish;
pub mod reload;
pub mod schedule;
pub mod server;
pub mod store;
pub mod templates;
pub mod text;
pub mod websub;
pub mod zone;
