//! The command line (a stable contract, see DESIGN.md). Arguments are parsed by clap,
//! then each command runs against the library; errors are printed with their context
//! and turned into exit codes: 0 success, 1 a reported failure, 2 a usage error.

use crate::config::{Config, SourceConfig};
use crate::fetch::Fetcher;
use crate::model::{Item, ItemStatus};
use crate::notify::Notifier;
use crate::poll::Poller;
use crate::store::Store;
use crate::templates::Templates;
use crate::{app, extract, parse, process, publish};

mod chats;
mod import;
mod sources;
mod store;
mod subscribers;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

#[derive(Parser, Debug)]
#[command(
    name = "tidings",
    version,
    about = "Polls news sources, republishes them as feeds, notifies subscribers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the daemon: schedules, HTTP server.
    Run {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// Validate the configuration.
    Check {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// Poll sources now, store what is new, print new and updated items.
    Poll {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// Only this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Show what is new without storing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Extract the article from one page (URL or local file).
    Extract {
        target: String,
        #[arg(long)]
        json: bool,
        /// Base URL for relative links when reading a file.
        #[arg(long)]
        url: Option<Url>,
        /// Read the page in this charset, whatever it declares.
        #[arg(long)]
        charset: Option<String>,
        /// Time zone for dates printed without an offset.
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: Tz,
    },
    /// Detect the article list on one list page (URL or local file).
    Scan {
        target: String,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        url: Option<Url>,
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: Tz,
    },
    /// Send what is due in the outbox once, then exit.
    Deliver {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// Also send what waits for a retry (after fixing an outage).
        #[arg(long)]
        now: bool,
    },
    /// Email subscribers (works whether or not the daemon runs).
    Subscribers {
        #[command(subcommand)]
        what: SubscribersCommand,
    },
    /// Telegram chats and group robots (works whether or not the daemon runs).
    Chats {
        #[command(subcommand)]
        what: ChatsCommand,
    },
    /// Find a site's feeds and news columns (give its home page).
    Discover {
        #[arg(value_parser = sources::parse_site_url)]
        url: Url,
        /// One JSON object per line: {url, kind, title, items, newest, samples}.
        #[arg(long)]
        json: bool,
        /// Levels of links followed from the page.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=3))]
        depth: u32,
        /// Its [fetch] settings (User-Agent, limits) are used when the file exists.
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// Time zone for dates printed without an offset.
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: Tz,
    },
    /// Add one source (a feed or a list page) to feeds.toml, keeping its comments.
    Add {
        #[arg(value_parser = sources::parse_site_url)]
        url: Url,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// The source's id (default: derived from its title or URL).
        #[arg(long)]
        id: Option<String>,
        /// Also name it in this [[feed]]'s sources.
        #[arg(long, value_name = "FEED")]
        feed: Option<String>,
        /// The source's title (default: the feed's title or the page's).
        #[arg(long)]
        title: Option<String>,
        /// Show what would be added; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import sources from another reader.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export things from the configuration.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Bring the PostgreSQL database of `[store] url` to this build's schema version.
    Migrate {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// The whole store as a dump: move an installation between sled and PostgreSQL.
    Store {
        #[command(subcommand)]
        what: StoreCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Write everything the configured store holds to FILE (JSON lines).
    Export {
        file: PathBuf,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// Read a dump into the configured store, which must be empty.
    Import {
        file: PathBuf,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// Write into a store that holds data already (rows with the same keys are
        /// replaced).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubscribersCommand {
    /// Subscribe an address to a list (pending with a confirmation mail, unless --confirmed).
    Add {
        address: String,
        #[arg(long)]
        list: String,
        /// Active at once, without a confirmation mail.
        #[arg(long)]
        confirmed: bool,
        /// Only items matching one of these keywords (comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        keywords: Vec<String>,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// List subscribers: address, list, state, last error.
    List {
        #[arg(long)]
        list: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// Remove an address from one list, or from every list.
    Remove {
        address: String,
        #[arg(long)]
        list: Option<String>,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChatsCommand {
    /// Every chat and robot: state (active, paused, inactive and why, migrated), feeds,
    /// keywords, queued and held messages.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// OPML 2.0 of the served feeds (for a reader); with --sources, of the configured
    /// sources filed by feed (for `tidings import opml`).
    Opml {
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// The configured sources, each [[feed]] a folder, instead of the served feeds.
        #[arg(long)]
        sources: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Add the feeds of an OPML export (Miniflux, FreshRSS, Inoreader, Feedly,
    /// NetNewsWire, RSSHub route lists) as sources; folders become [[feed]]s.
    Opml {
        /// The OPML file, or its http(s) URL.
        target: String,
        #[arg(short, long, default_value = "feeds.toml")]
        config: PathBuf,
        /// Show what would be added; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Parse the arguments, run the command, return the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_tracing();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("tidings=info,html5ever=error,warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Load a configuration, printing every error as `FILE:LINE:COL: message`.
fn load_config(path: &Path) -> Result<Config, i32> {
    Config::load(path).map_err(|errors| {
        eprintln!("{errors}");
        1
    })
}

async fn dispatch(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Run { config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            app::run(config).await?;
            Ok(0)
        }
        Command::Check { config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            println!("OK: {}", config.summary());
            Ok(0)
        }
        Command::Poll {
            config,
            sources,
            json,
            dry_run,
        } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            poll(config, &sources, json, dry_run).await
        }
        Command::Extract {
            target,
            json,
            url,
            charset,
            timezone,
        } => {
            let (bytes, base, content_type) = read_target(&target, url, charset).await?;
            let article = extract::extract(&bytes, &base, content_type.as_deref(), timezone);
            print_article(&article, &base, json);
            Ok(0)
        }
        Command::Scan {
            target,
            json,
            url,
            timezone,
        } => {
            let (bytes, base, content_type) = read_target(&target, url, None).await?;
            let html = crate::text::decode(&bytes, content_type.as_deref());
            let links = parse::html::detect_list(&html, &base, timezone);
            for l in &links {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"url": l.url, "title": l.title, "published": l.published})
                    );
                } else {
                    let date = l
                        .published
                        .map(|d| d.day().to_string())
                        .unwrap_or_else(|| "-".into());
                    println!("{date:10}  {}\n            {}", l.title, l.url);
                }
            }
            eprintln!("{} items", links.len());
            Ok(0)
        }
        Command::Deliver { config, now } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            deliver(config, now).await
        }
        Command::Subscribers { what } => subscribers::run(what).await,
        Command::Chats { what } => chats::run(what).await,
        Command::Discover {
            url,
            json,
            depth,
            config,
            timezone,
        } => sources::discover(&url, json, depth, &config, timezone).await,
        Command::Add {
            url,
            config,
            id,
            feed,
            title,
            dry_run,
        } => {
            sources::add(sources::AddRequest {
                url: &url,
                config: &config,
                id,
                feed: feed.as_deref(),
                title,
                dry_run,
            })
            .await
        }
        Command::Import {
            what:
                ImportCommand::Opml {
                    target,
                    config,
                    dry_run,
                },
        } => import::opml(&target, &config, dry_run).await,
        Command::Migrate { config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            tokio::task::block_in_place(|| store::migrate(&config))
        }
        Command::Store { what } => store::run(what).await,
        Command::Export {
            what: ExportCommand::Opml { config, sources },
        } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            if sources {
                print!("{}", publish::opml::render_sources(&config));
            } else {
                print!("{}", publish::opml::render(&config));
            }
            Ok(0)
        }
    }
}

/// `tidings deliver`: one pass of the daemon's outbox worker.
async fn deliver(config: Config, retries_too: bool) -> anyhow::Result<i32> {
    let config = Arc::new(config);
    let store = match Store::open_configured(&config) {
        Ok(s) => Arc::new(s),
        Err(e @ crate::store::StoreError::Locked { .. }) => {
            eprintln!("error: {e}\nThe running daemon delivers by itself.");
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    let templates = Arc::new(Templates::load(config.daemon.templates_dir.as_deref())?);
    let notifier = Notifier::new(config, store.clone(), templates)?;
    let mut now = chrono::Utc::now();
    if retries_too {
        // Later than any retry the worker plans (its backoff is capped at hours).
        now += chrono::Duration::days(7);
    }
    let pass = notifier
        .deliver_due_at(now, &CancellationToken::new())
        .await?;
    let left = store.outbox()?.len();
    println!(
        "sent {}, failed {}, retrying later {}, dropped {}; {left} left in the outbox",
        pass.sent, pass.failed, pass.retried, pass.dropped
    );
    Ok(0)
}

/// A URL is fetched (with the project's client); anything else is a local file.
async fn read_target(
    target: &str,
    base: Option<Url>,
    charset: Option<String>,
) -> anyhow::Result<(Vec<u8>, Url, Option<String>)> {
    let forced = charset.map(|c| format!("text/html; charset={c}"));
    if let Ok(url) = Url::parse(target)
        && matches!(url.scheme(), "http" | "https")
    {
        let fetcher = Fetcher::new(&Default::default())?;
        let page = fetcher.get_fresh(&url).await?;
        return Ok((
            page.body.to_vec(),
            base.unwrap_or(page.url),
            forced.or(page.content_type),
        ));
    }
    let path = Path::new(target);
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{target}: {e}"))?;
    let base = match base {
        Some(b) => b,
        None => Url::from_file_path(std::path::absolute(path)?)
            .map_err(|_| anyhow::anyhow!("{target}: cannot make a URL of this path; give --url"))?,
    };
    Ok((bytes, base, forced))
}

/// The JSON object of an item (DESIGN.md's field list).
pub fn item_json(item: &Item, status: Option<ItemStatus>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "source": item.source,
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "subtitle": item.subtitle,
        "published": item.published,
        "updated": item.updated.map(|u| u.to_rfc3339()),
        "author": item.author,
        "origin": item.origin,
        "summary": item.summary,
        "content_text": item.content_text,
        "content_html": item.content_html,
    });
    if let Some(s) = status {
        v["status"] = serde_json::json!(s);
    }
    v
}

fn print_article(a: &crate::model::Article, base: &Url, json: bool) {
    let url = process::canonical_url(base.as_str(), None).map(|u| u.to_string());
    if json {
        let v = serde_json::json!({
            "id": url.clone().unwrap_or_else(|| base.to_string()),
            "url": url,
            "title": a.title,
            "subtitle": a.subtitle,
            "published": a.published,
            "updated": serde_json::Value::Null,
            "author": a.author,
            "origin": a.origin,
            "summary": a.content_text.chars().take(200).collect::<String>(),
            "content_text": a.content_text,
            "content_html": a.content_html,
        });
        println!("{v}");
        return;
    }
    let show =
        |label: &str, v: Option<String>| println!("{label:10} {}", v.unwrap_or_else(|| "-".into()));
    show("title:", a.title.clone());
    if a.subtitle.is_some() {
        show("subtitle:", a.subtitle.clone());
    }
    show("published:", a.published.map(|p| p.to_string()));
    show("author:", a.author.clone());
    show("origin:", a.origin.clone());
    println!("\n{}", a.content_text);
}

/// The sources in turn by host (the first of each host, then the second of each, …),
/// each host's own order kept.
fn interleave_hosts(sources: Vec<SourceConfig>) -> Vec<SourceConfig> {
    let mut index = std::collections::HashMap::new();
    let mut hosts: Vec<std::collections::VecDeque<SourceConfig>> = Vec::new();
    for s in sources {
        let host = s.url.host_str().unwrap_or_default().to_string();
        let i = *index.entry(host).or_insert_with(|| {
            hosts.push(Default::default());
            hosts.len() - 1
        });
        hosts[i].push_back(s);
    }
    let mut out = Vec::new();
    while !hosts.is_empty() {
        hosts.retain_mut(|queue| {
            out.extend(queue.pop_front());
            !queue.is_empty()
        });
    }
    out
}

async fn poll(config: Config, only: &[String], json: bool, dry_run: bool) -> anyhow::Result<i32> {
    for id in only {
        if config.source(id).is_none() {
            eprintln!(
                "error: no source with id {id:?} in {}",
                config.path.display()
            );
            return Ok(2);
        }
    }
    let chosen: Vec<SourceConfig> = config
        .sources
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .cloned()
        .collect();
    let store = Arc::new(Store::open_configured(&config)?);
    let in_flight = config.fetch.polls_in_flight.max(1);
    let poller = Poller::new(Arc::new(config), store)?;
    let cancel = CancellationToken::new();
    let count = chosen.len();
    // At most `[fetch] polls_in_flight` sources at once, each on its own task (so parsing and
    // sanitising use every core), hosts taken in turn so that one slow host does not hold
    // every slot; the fetcher's per-host limits keep each site's load polite. What a
    // source found is printed and dropped as soon as its poll ends: memory follows the
    // number in flight, not the number of sources.
    let mut polls =
        futures_util::stream::iter(interleave_hosts(chosen).into_iter().map(|source| {
            let poller = poller.clone();
            let cancel = cancel.clone();
            async move {
                let id = source.id.clone();
                let task = tokio::spawn(async move {
                    let result = poller.poll(&source, dry_run, &cancel).await;
                    (source, result)
                });
                (id, task.await)
            }
        }))
        .buffer_unordered(in_flight);
    let (mut new, mut updated, mut failed) = (0, 0, 0);
    let mut out = String::new();
    while let Some((id, joined)) = polls.next().await {
        out.clear();
        let (source, result) = match joined {
            Ok(done) => done,
            Err(e) => {
                failed += 1;
                eprintln!("source {id}: the poll stopped: {e}");
                continue;
            }
        };
        match result {
            Ok(outcome) => {
                for s in &outcome.stored {
                    match s.status {
                        ItemStatus::New => new += 1,
                        ItemStatus::Updated => updated += 1,
                    }
                    if json {
                        out.push_str(&item_json(&s.item, Some(s.status)).to_string());
                        out.push('\n');
                    } else {
                        let date = s
                            .item
                            .published
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into());
                        let _ = writeln!(
                            out,
                            "{:7}  {}  {}  {}",
                            s.status.to_string(),
                            source.id,
                            date,
                            s.item.title
                        );
                        if let Some(u) = &s.item.url {
                            let _ = writeln!(out, "         {u}");
                        }
                    }
                }
                // One write per source: items of one source stay together.
                let _ = std::io::stdout().lock().write_all(out.as_bytes());
                for e in &outcome.article_errors {
                    eprintln!(
                        "source {}: article skipped until the next poll: {e}",
                        source.id
                    );
                }
                if let Some(alarm) = &outcome.alarm {
                    eprintln!("source {}: ALARM: {alarm}", source.id);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("source {}: {e}", source.id);
            }
        }
    }
    let _ = std::io::stdout().flush();
    eprintln!(
        "{} source{}, {new} new, {updated} updated, {failed} failed{}",
        count,
        if count == 1 { "" } else { "s" },
        if dry_run {
            " (dry run: nothing stored)"
        } else {
            ""
        }
    );
    Ok(if failed > 0 { 1 } else { 0 })
}
