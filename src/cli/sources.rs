//! `tidings discover` (a site's feeds and columns) and `tidings add` (one source into
//! feeds.toml).

use crate::config::edit::{ConfigEdit, EditError, NewSource};
use crate::config::{Config, FetchConfig, SourceKind};
use crate::discover::{self, Discovery, FoundKind, Options};
use crate::fetch::Fetcher;
use chrono_tz::Tz;
use std::path::Path;
use url::Url;

/// A URL as people type it: `www.example.gov.cn` means `https://www.example.gov.cn/`.
pub(super) fn parse_site_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("{s}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{s}: an http:// or https:// URL is needed"));
    }
    Ok(url)
}

/// The `[fetch]` settings of `config` when the file exists (so that discovery sends the
/// operator's User-Agent and keeps their limits), else the defaults.
fn fetch_settings(config: &Path) -> FetchConfig {
    if !config.exists() {
        return FetchConfig::default();
    }
    match Config::load(config) {
        Ok(c) => c.fetch,
        Err(e) => {
            eprintln!(
                "warning: {} is not valid, so its [fetch] settings are not used:\n{e}",
                config.display()
            );
            FetchConfig::default()
        }
    }
}

/// `tidings discover URL [--json] [--depth N]`.
pub(super) async fn discover(
    url: &Url,
    json: bool,
    depth: u32,
    config: &Path,
    tz: Tz,
) -> anyhow::Result<i32> {
    let fetcher = Fetcher::new(&fetch_settings(config))?;
    let opts = Options {
        depth,
        tz,
        ..Options::default()
    };
    let run = match discover::discover(&fetcher, url, &opts).await {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: {url}: {e}");
            return Ok(1);
        }
    };
    if run.found.is_empty() {
        println!("{}", nothing_found(url, &run));
        return Ok(0);
    }
    for f in &run.found {
        if json {
            println!("{}", f.json());
            continue;
        }
        let kind = match f.kind {
            FoundKind::Feed => "feed",
            FoundKind::List => "list",
        };
        let newest = f
            .newest
            .map(|d| d.day().to_string())
            .unwrap_or_else(|| "-".into());
        println!("{kind:4}  {:>5}  {newest:10}  {}", f.items, f.title);
        println!("{:25}{}", "", f.url);
        if !f.samples.is_empty() {
            println!("{:25}· {}", "", f.samples.join("  · "));
        }
    }
    if !json {
        eprintln!(
            "{} found ({} pages and {} feed URLs tried); add one with: tidings add URL [--feed FEED]",
            run.found.len(),
            run.tried_pages.len(),
            run.tried_feeds.len()
        );
    }
    Ok(0)
}

/// "Nothing found", with what was tried.
fn nothing_found(url: &Url, run: &Discovery) -> String {
    let list = |urls: &[Url]| {
        if urls.is_empty() {
            "none".to_string()
        } else {
            urls.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
        }
    };
    let mut s = format!(
        "nothing found at {url}: no feed and no page with an article list.\n\
         feeds tried: {}\npages tried: {}",
        list(&run.tried_feeds),
        list(&run.tried_pages)
    );
    if !run.refused.is_empty() {
        s.push_str(&format!(
            "\nnot followed (another site, or a private address): {}",
            list(&run.refused)
        ));
    }
    s.push_str(
        "\nIf you know a column's list page, give its URL: `tidings scan URL` shows what \
         is detected on it.",
    );
    s
}

/// What `tidings add` was asked.
pub(super) struct AddRequest<'a> {
    pub url: &'a Url,
    pub config: &'a Path,
    pub id: Option<String>,
    pub feed: Option<&'a str>,
    pub title: Option<String>,
    pub dry_run: bool,
}

/// `tidings add URL [-c feeds.toml] [--id ID] [--feed FEED] [--dry-run]`.
pub(super) async fn add(req: AddRequest<'_>) -> anyhow::Result<i32> {
    let mut edit = match ConfigEdit::open(req.config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    // Refused before any request: the site is not asked for what is already polled.
    if let Some(id) = edit.configured(req.url) {
        eprintln!(
            "error: {} is already configured as source \"{id}\"",
            crate::text::redact_url(req.url.as_str())
        );
        return Ok(1);
    }
    let config = edit.config();
    let fetcher = Fetcher::new(&config.fetch)?;
    let page = match fetcher.get_fresh(req.url).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let Some(found) = discover::classify(&page, None, config.daemon.timezone) else {
        eprintln!(
            "error: {} is neither a feed nor a page with an article list; \
             `tidings discover {}` lists a site's feeds and columns",
            crate::text::redact_url(req.url.as_str()),
            site_root(req.url)
        );
        return Ok(1);
    };
    let kind = match found.kind {
        FoundKind::Feed => SourceKind::Feed,
        FoundKind::List => SourceKind::Html,
    };
    let new = NewSource {
        url: req.url.clone(),
        id: req.id,
        title: req.title.or(Some(found.title.clone())),
        kind,
    };
    let result = (|| -> Result<(String, bool), EditError> {
        let id = edit.add_source(&new)?;
        let in_feed = match req.feed {
            Some(feed) => edit.add_to_feed(feed, &id)?,
            None => false,
        };
        if req.dry_run {
            edit.check()?;
        } else {
            edit.write()?;
        }
        Ok((id, in_feed))
    })();
    let (id, in_feed) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let kind_name = match kind {
        SourceKind::Feed => "feed",
        _ => "html",
    };
    let verb = if req.dry_run { "would add" } else { "added" };
    println!(
        "{verb} source \"{id}\" (kind = \"{kind_name}\", {} items, \"{}\"): {}",
        found.items,
        new.title.as_deref().unwrap_or(""),
        crate::text::redact_url(req.url.as_str())
    );
    match (req.feed, in_feed) {
        (Some(feed), true) => println!("{verb} it to the sources of feed \"{feed}\""),
        (Some(feed), false) => println!("feed \"{feed}\" already takes it (\"*\")"),
        (None, _) => {}
    }
    if req.dry_run {
        println!(
            "dry run: {} unchanged; the result passes `tidings check`",
            req.config.display()
        );
    } else {
        println!(
            "{} updated; a running daemon picks it up within seconds (or at once on SIGHUP)",
            req.config.display()
        );
    }
    Ok(0)
}

fn site_root(url: &Url) -> String {
    let mut root = url.clone();
    root.set_path("/");
    root.set_query(None);
    root.to_string()
}
