//! `tidings discover`: a site's address → its feeds and its news columns.
//!
//! The start page is read for feeds (`<link rel="alternate">`, `<a>` links to feeds, and
//! the usual paths `/feed`, `/rss.xml` …) and for links to columns (navigation menus and
//! "更多 >>" links, see [`links`]). Each feed is fetched and kept only if it parses as a
//! feed; each column page is fetched (one level deep by default, a bounded number of
//! pages, same site only, through the shared [`Fetcher`] and its per-host limits) and
//! kept only if list detection finds an article list on it. What is found is ranked by
//! how fresh and how list-like it is.
//!
//! - [`links`]: what one page offers to follow (pure).
//! - [`site`]: where discovery may go (same site; no private address but the operator's
//!   own host).

pub mod links;
pub mod site;

use crate::fetch::{FetchError, Fetched, Fetcher, Reach};
use crate::model::PubDate;
use crate::parse;
use chrono::Utc;
use chrono_tz::Tz;
use links::{ColumnLink, USUAL_FEED_PATHS};
use serde::Serialize;
use site::SiteGuard;
use std::collections::HashSet;
use url::Url;

/// A page with fewer article links than this is not taken for a column.
const MIN_ITEMS: usize = 3;
/// At most this many feed URLs are tried.
const MAX_FEEDS: usize = 12;
/// Pages fetched at once; the fetcher's per-host limits still apply within this.
const PARALLEL: usize = 4;

/// How far and how wide a run goes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Levels of links followed from the start page (1: its own links only).
    pub depth: u32,
    /// Column pages fetched at most, over all levels.
    pub max_pages: usize,
    /// The zone of dates pages print without an offset.
    pub tz: Tz,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            depth: 1,
            max_pages: 30,
            tz: chrono_tz::Asia::Shanghai,
        }
    }
}

/// What a URL turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FoundKind {
    /// RSS, Atom or JSON Feed.
    Feed,
    /// An HTML page holding an article list.
    List,
}

/// A feed or a column, as `discover` shows it.
#[derive(Debug, Clone)]
pub struct Found {
    pub url: Url,
    pub kind: FoundKind,
    /// The feed's title, or the column's name (区内要闻, 通知公告 …).
    pub title: String,
    /// Entries in the feed, or article links on the page.
    pub items: usize,
    /// The newest date among them.
    pub newest: Option<PubDate>,
    /// Two titles, to recognise the column by.
    pub samples: Vec<String>,
    /// How fresh and list-like it is (higher first).
    pub score: f64,
}

impl Found {
    /// The `--json` line: `{url, kind, title, items, newest, samples}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url.as_str(),
            "kind": self.kind,
            "title": self.title,
            "items": self.items,
            "newest": self.newest,
            "samples": self.samples,
        })
    }
}

/// The result of a run, with what was tried (for "nothing found").
#[derive(Debug, Default)]
pub struct Discovery {
    /// Feeds first, then columns, each best first.
    pub found: Vec<Found>,
    /// Feed URLs fetched.
    pub tried_feeds: Vec<Url>,
    /// Column pages fetched.
    pub tried_pages: Vec<Url>,
    /// Links not followed because they lead to another site or a private address.
    pub refused: Vec<Url>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot fetch the start page: {0}")]
    Fetch(#[from] FetchError),
}

/// Discover the feeds and columns of the site at `start`.
pub async fn discover(
    fetcher: &Fetcher,
    start: &Url,
    opts: &Options,
) -> Result<Discovery, DiscoverError> {
    let guard = SiteGuard::new(start);
    let page = fetcher.get_fresh_within(start, guard.reach()).await?;
    let mut run = Discovery::default();

    // The operator may have given a feed or a column already.
    if let Some(found) = classify(&page, None, opts.tz) {
        let is_feed = found.kind == FoundKind::Feed;
        if is_feed || !is_home(&page.url) {
            run.found.push(found);
        }
        if is_feed {
            return Ok(run);
        }
    }

    let html = crate::text::decode(&page.body, page.content_type.as_deref());
    let offered = links::scan(&html, &page.url);

    // Feeds: declared or linked, else the usual paths.
    let mut feed_urls = offered.feeds.clone();
    if feed_urls.is_empty() {
        feed_urls.extend(
            USUAL_FEED_PATHS
                .iter()
                .filter_map(|p| page.url.join(p).ok()),
        );
    }
    let mut feeds = Vec::new();
    for url in feed_urls {
        if feeds.len() >= MAX_FEEDS {
            break;
        }
        if guard.allows(&url).await {
            feeds.push(url);
        } else {
            run.refused.push(url);
        }
    }
    let fetched = fetch_all(fetcher, &feeds, guard.reach()).await;
    run.tried_feeds = feeds;
    let mut seen: HashSet<Url> = HashSet::from([page.url.clone()]);
    for (url, result) in fetched {
        let Ok(f) = result else { continue };
        if seen.insert(f.url.clone())
            && let Some(found) = classify(&f, None, opts.tz).filter(|x| x.kind == FoundKind::Feed)
        {
            seen.insert(url);
            run.found.push(found);
        }
    }

    // Columns: breadth first, one level per round, bounded in pages.
    let mut queued: HashSet<Url> = seen.clone();
    queued.extend(run.tried_feeds.iter().cloned());
    let mut level: Vec<ColumnLink> = offered.columns;
    for depth in 1..=opts.depth {
        let mut batch: Vec<ColumnLink> = Vec::new();
        for link in level {
            if run.tried_pages.len() + batch.len() >= opts.max_pages {
                break;
            }
            if !queued.insert(link.url.clone()) {
                continue;
            }
            if guard.allows(&link.url).await {
                batch.push(link);
            } else {
                run.refused.push(link.url);
            }
        }
        let urls: Vec<Url> = batch.iter().map(|l| l.url.clone()).collect();
        run.tried_pages.extend(urls.iter().cloned());
        let fetched = fetch_all(fetcher, &urls, guard.reach()).await;
        let mut next = Vec::new();
        for (link, (_, result)) in batch.iter().zip(fetched) {
            let Ok(f) = result else { continue };
            // A redirect may lead elsewhere: what was reached must be on the site too,
            // and found once.
            if !guard.same_site(&f.url) || !seen.insert(f.url.clone()) {
                continue;
            }
            if let Some(found) = classify(&f, link.name.as_deref(), opts.tz)
                && !run.found.iter().any(|x| x.url == found.url)
            {
                run.found.push(found);
            }
            if depth < opts.depth {
                let html = crate::text::decode(&f.body, f.content_type.as_deref());
                next.extend(
                    links::scan(&html, &f.url)
                        .columns
                        .into_iter()
                        .filter(|c| c.via != links::Via::Other),
                );
            }
        }
        level = next;
    }

    run.found.sort_by(|a, b| {
        (a.kind != FoundKind::Feed)
            .cmp(&(b.kind != FoundKind::Feed))
            .then(b.score.total_cmp(&a.score))
    });
    Ok(run)
}

/// What one fetched page is: a feed that parses, or a page with an article list that is
/// not an article itself (or a login, search … page, which have no such list). `name` is
/// the column's name as the linking page showed it.
pub fn classify(page: &Fetched, name: Option<&str>, tz: Tz) -> Option<Found> {
    let now = Utc::now();
    if parse::is_feed(page.content_type.as_deref(), &page.body) {
        let feed = parse::feed::parse_feed(&page.body, page.content_type.as_deref(), &page.url, tz)
            .ok()?;
        let dates: Vec<PubDate> = feed.entries.iter().filter_map(|e| e.published).collect();
        let newest = dates.iter().max_by_key(|d| d.timestamp()).copied();
        let samples = feed
            .entries
            .iter()
            .filter_map(|e| e.title.clone())
            .take(2)
            .collect();
        let title = feed
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| page.url.to_string());
        return Some(Found {
            score: score(feed.entries.len(), dates.len(), newest, now),
            url: page.url.clone(),
            kind: FoundKind::Feed,
            title,
            items: feed.entries.len(),
            newest,
            samples,
        });
    }
    if parse::html::looks_like_article(&page.url) {
        return None;
    }
    let html = crate::text::decode(&page.body, page.content_type.as_deref());
    if html.contains("type=\"password\"") || html.contains("type='password'") {
        // A login form: whatever links it lists, it is not a news column.
        return None;
    }
    let items = parse::html::detect_list(&html, &page.url, tz);
    if items.len() < MIN_ITEMS {
        return None;
    }
    let dated = items.iter().filter(|i| i.published.is_some()).count();
    let newest = items
        .iter()
        .filter_map(|i| i.published)
        .max_by_key(PubDate::timestamp);
    let title = name
        .map(str::to_string)
        .or_else(|| page_title(&html))
        .unwrap_or_else(|| page.url.to_string());
    Some(Found {
        score: score(items.len(), dated, newest, now),
        url: page.url.clone(),
        kind: FoundKind::List,
        title,
        samples: items.iter().take(2).map(|i| i.title.clone()).collect(),
        items: items.len(),
        newest,
    })
}

/// Fresh and list-like first: up to 2 for an item dated today (halved at a month old),
/// up to 1 for twenty items or more, up to 1 for a date on every item.
fn score(items: usize, dated: usize, newest: Option<PubDate>, now: chrono::DateTime<Utc>) -> f64 {
    let fresh = newest.map_or(0.0, |d| {
        let age_days = ((now.timestamp() - d.timestamp()) / 86_400).max(0) as f64;
        2.0 / (1.0 + age_days / 30.0)
    });
    let size = items.min(20) as f64 / 20.0;
    let dated = if items == 0 {
        0.0
    } else {
        dated as f64 / items as f64
    };
    fresh + size + dated
}

/// The first part of `<title>` (`区内要闻 - 某某市人民政府` → `区内要闻`).
fn page_title(html: &str) -> Option<String> {
    static TITLE_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?is)<title[^>]*>(.*?)</title>").expect("static regex")
    });
    let raw = TITLE_RE.captures(html)?.get(1)?.as_str();
    let title = crate::text::html_to_text(raw);
    let first = title
        .split([' ', '-', '_', '|', '—', '–'])
        .map(str::trim)
        .find(|s| !s.is_empty())?
        .to_string();
    Some(first)
}

/// A site's home page (whose lists are a medley of columns, not one column).
fn is_home(url: &Url) -> bool {
    let path = url.path();
    path.len() <= 1
        || [
            "/index.html",
            "/index.htm",
            "/index.shtml",
            "/default.aspx",
            "/index.php",
        ]
        .contains(&path.to_ascii_lowercase().as_str())
}

/// Fetch URLs a few at a time, in order.
async fn fetch_all(
    fetcher: &Fetcher,
    urls: &[Url],
    reach: &Reach,
) -> Vec<(Url, Result<Fetched, FetchError>)> {
    use futures_util::StreamExt;
    futures_util::stream::iter(urls.iter().cloned())
        .map(|url| async move {
            let r = fetcher.get_fresh_within(&url, reach).await;
            (url, r)
        })
        .buffered(PARALLEL)
        .collect()
        .await
}
