//! One source, end to end: fetch → parse → (extract) → process → store.
//!
//! Used by `tidings poll` and by the daemon's scheduler alike. A failure is returned
//! and recorded in the source's state (last error, failures in a row, backoff); it
//! never affects other sources.

use crate::config::{LiveConfig, SourceConfig, SourceKind};
use crate::fetch::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
use crate::isolate::{self, CpuPool, Panicked};
use crate::model::{Entry, HubLink};
use crate::notify::route::{self, Audience, Backlog};
use crate::parse::feed::FeedError;
use crate::parse::html::SelectError;
use crate::store::{ArticleTries, GIVEN_UP_KEPT, GivenUp, SourceState, Store, StoreError, Stored};
use crate::{extract, parse, process, zone};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

/// At most this many article pages are opened in one poll of one source; the rest
/// wait for the next poll (a first poll of a long list must not hammer the site).
pub const MAX_ARTICLES_PER_POLL: usize = 60;

/// At most this many entries of one feed or list are processed in one poll, the newest
/// (see [`process::newest_entries`]): a feed of 100,000 entries costs no more than this.
pub const MAX_ENTRIES_PER_POLL: usize = 500;

/// What polling needs, shared by every poll.
#[derive(Clone)]
pub struct Poller {
    /// The configuration in force (replaced when the daemon reloads its file).
    pub config: LiveConfig,
    pub store: Arc<Store>,
    pub fetcher: Arc<Fetcher>,
    /// At most this many article pages opened per poll of one source.
    pub max_articles: usize,
    /// At most this many entries processed per poll of one source.
    pub max_entries: usize,
    /// Where parsing, extraction and sanitising run (off the async threads).
    pub cpu: CpuPool,
    /// Woken when a poll queued deliveries (the daemon's outbox worker waits on it).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// WebSub: pings an external hub when feeds change, and subscribes to the hubs
    /// sources advertise. `None` for one-off commands.
    pub websub: Option<Arc<crate::websub::WebSub>>,
    /// Turns to poll (`[fetch] polls_in_flight`): the daemon's source loops take one for
    /// each poll, so that what polls hold at once (bodies, parsed entries, article pages)
    /// is bounded by this number and not by the number of sources.
    pub turns: Arc<tokio::sync::Semaphore>,
    /// Polls finished by the daemon's source loops (so that memory is released after them).
    polls_done: Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{}: {source}", crate::text::redact_url(url))]
    Feed { url: String, source: FeedError },
    #[error("{}: {source}", crate::text::redact_url(url))]
    Select { url: String, source: SelectError },
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A bug met an input it did not expect: the source backs off like after any
    /// transient error, the daemon goes on.
    #[error("{0}")]
    Panicked(#[from] Panicked),
}

impl PollError {
    /// Whether polling again later may succeed. Only a fetch can fail for good (404,
    /// 410, a body over the limit); a page that did not parse may be a maintenance
    /// page, and the store is ours.
    pub fn is_transient(&self) -> bool {
        match self {
            PollError::Fetch(e) => e.is_transient(),
            PollError::Feed { .. }
            | PollError::Select { .. }
            | PollError::Store(_)
            | PollError::Panicked(_) => true,
        }
    }

    /// When the source may be polled again, if the server said so.
    pub fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            PollError::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// What one poll found.
#[derive(Debug, Default)]
pub struct PollOutcome {
    /// New and updated items, in source order.
    pub stored: Vec<Stored>,
    /// Entries the source listed (0 on 304).
    pub entries: usize,
    pub not_modified: bool,
    /// Whether this was the source's first successful poll (its items are the backlog).
    pub first: bool,
    /// Article pages that could not be fetched; their items wait for the next poll.
    pub article_errors: Vec<String>,
    /// Set when a list that used to yield items suddenly yields none.
    pub alarm: Option<String>,
    /// Article pages left for the next poll (over the cap, failed, or cut short).
    pub deferred: usize,
    /// Fingerprints of the entries read, recorded in the source's state so that the next
    /// poll skips the unchanged ones (empty when article pages are opened).
    pub fingerprints: Vec<u64>,
    /// The WebSub hub the feed advertises, and the topic to subscribe to.
    pub hub: Option<HubLink>,
    /// The zone dates without an offset were read in (configured, or the page's evidence).
    pub zone: Option<crate::zone::Zone>,
    /// The source's failing article pages after this poll (replaces the stored map).
    pub article_tries: BTreeMap<String, ArticleTries>,
    /// Article pages given up on in this poll; their list entries were stored as teasers.
    pub given_up: Vec<GivenUp>,
}

/// A list link's article page is fetched at most this many times; then its entry is
/// stored as a teaser (the list's title and date) and the page is not asked for again.
pub const MAX_ARTICLE_TRIES: u32 = 5;

/// The wait before trying a failed article page again: 15 min, 1 h, 4 h, 16 h (capped
/// at a day), so that a page that is only briefly down is read in full.
pub fn article_backoff(tries: u32) -> chrono::Duration {
    let quadruplings = tries.saturating_sub(1).min(4);
    chrono::Duration::minutes((15i64 << (2 * quadruplings)).min(24 * 60))
}

/// Backoff after `failures` failures in a row: 1 min, 2, 4 … capped at 6 h while the
/// error may pass; 6 h, 12 h, 24 h, then every 2 days when it is permanent (404, 410),
/// which waiting will not fix: the site is asked again rarely, in case it comes back.
pub fn backoff(failures: u32, transient: bool) -> chrono::Duration {
    let doublings = failures.saturating_sub(1).min(9);
    if transient {
        chrono::Duration::minutes((1i64 << doublings).min(360))
    } else {
        chrono::Duration::hours((6i64 << doublings).min(48))
    }
}

impl Poller {
    pub fn new(config: impl Into<LiveConfig>, store: Arc<Store>) -> Result<Poller, reqwest::Error> {
        let config = config.into();
        let current = config.get();
        let fetch = &current.fetch;
        let mut fetcher = Fetcher::new(fetch)?;
        if let Some(pacer) = crate::store::coord::Pacer::new(&store) {
            fetcher.share_pacing(pacer);
        }
        let fetcher = Arc::new(fetcher);
        let turns = Arc::new(tokio::sync::Semaphore::new(fetch.polls_in_flight.max(1)));
        Ok(Poller {
            config,
            store,
            fetcher,
            max_articles: MAX_ARTICLES_PER_POLL,
            max_entries: MAX_ENTRIES_PER_POLL,
            cpu: CpuPool::sized_to_cores(),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            websub: None,
            turns,
            polls_done: Default::default(),
        })
    }

    /// Count a finished poll (see [`Poller::polls_done`]).
    pub fn poll_done(&self) {
        self.polls_done
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many polls the daemon's source loops finished.
    pub fn polls_done(&self) -> u64 {
        self.polls_done.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Wait for a turn to poll (see [`Poller::turns`]); `None` when cancelled first.
    pub async fn turn(
        &self,
        cancel: &CancellationToken,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        tokio::select! {
            _ = cancel.cancelled() => None,
            // The semaphore is never closed, so acquiring only waits.
            permit = self.turns.clone().acquire_owned() => permit.ok(),
        }
    }

    /// Poll one source and record the result in its state. With `dry_run`, report what
    /// would be new without storing anything or touching the source's state.
    pub async fn poll(
        &self,
        source: &SourceConfig,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<PollOutcome, PollError> {
        let started = std::time::Instant::now();
        let state = self.store.source_state(&source.id)?;
        // A panic anywhere in the poll is this source's error, not the end of its task.
        let result = match isolate::catch(self.poll_inner(source, &state, dry_run, cancel)).await {
            Ok(result) => result,
            Err(panicked) => Err(PollError::Panicked(panicked)),
        };
        if let Err(PollError::Panicked(p)) = &result {
            metrics::counter!("tidings_poll_panics_total", "source" => source.id.clone())
                .increment(1);
            tracing::error!(source = %source.id, error = %p.message, "poll panicked");
        }
        metrics::counter!("tidings_polls_total", "source" => source.id.clone()).increment(1);
        metrics::histogram!("tidings_poll_seconds", "source" => source.id.clone())
            .record(started.elapsed().as_secs_f64());
        if dry_run {
            return result.map(|(outcome, _)| outcome);
        }
        let now = Utc::now();
        match result {
            Ok((mut outcome, validators)) => {
                for stored in &outcome.stored {
                    metrics::counter!("tidings_items_total", "source" => source.id.clone(), "status" => stored.status.to_string())
                        .increment(1);
                }
                let alarm = outcome.alarm.clone();
                let entries = outcome.entries;
                let not_modified = outcome.not_modified;
                let deferred = outcome.deferred;
                let first = outcome.first;
                let fingerprints = std::mem::take(&mut outcome.fingerprints);
                let zone = outcome.zone.clone();
                let tries = outcome.article_tries.clone();
                let given_up = outcome.given_up.clone();
                self.store.update_source_state(&source.id, |state| {
                    state.last_poll = Some(now);
                    state.last_success = Some(now);
                    state.last_error = None;
                    state.failures = 0;
                    state.not_before = None;
                    state.error_permanent = false;
                    state.polls_ok += 1;
                    if let Some(fresh) = &validators {
                        state.etag = fresh.etag.clone();
                        state.last_modified = fresh.last_modified.clone();
                    }
                    if !not_modified {
                        // A first poll that left article pages for later is not over:
                        // what the next polls find is still the backlog (bounded, in case
                        // some pages never load).
                        state.seeding = first && deferred > 0 && state.polls_ok < SEEDING_POLLS;
                        state.deferred = deferred;
                        state.last_entries = Some(entries);
                        state.alarm = alarm.clone();
                        state.fingerprints = fingerprints.clone();
                        state.article_tries = tries.clone();
                        state.given_up.extend(given_up.iter().cloned());
                        let over = state.given_up.len().saturating_sub(GIVEN_UP_KEPT);
                        state.given_up.drain(..over);
                    }
                    if let Some(zone) = &zone {
                        state.zone = Some(zone.tz.name().to_string());
                        state.zone_reason = Some(zone.to_string());
                    }
                })?;
                if let (Some(websub), Some(link)) = (&self.websub, &outcome.hub) {
                    websub.source_polled(source, link);
                }
                Ok(outcome)
            }
            Err(err) => {
                metrics::counter!("tidings_poll_failures_total", "source" => source.id.clone())
                    .increment(1);
                let message = err.to_string();
                let retry_after = err.retry_after();
                let transient = err.is_transient();
                self.store.update_source_state(&source.id, |state| {
                    state.last_poll = Some(now);
                    state.last_error = Some(message.clone());
                    state.last_error_at = Some(now);
                    state.failures += 1;
                    state.error_permanent = !transient;
                    let backoff_until = now + backoff(state.failures, transient);
                    state.not_before =
                        Some(retry_after.map_or(backoff_until, |r| r.max(backoff_until)));
                })?;
                Err(err)
            }
        }
    }

    async fn poll_inner(
        &self,
        source: &SourceConfig,
        state: &SourceState,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<(PollOutcome, Option<Validators>), PollError> {
        let validators = if state.deferred > 0 {
            Validators::default()
        } else {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        };
        let fetched = match self
            .fetcher
            .get_within(&source.url, &validators, &source.reach())
            .await?
        {
            FetchOutcome::NotModified => {
                debug!(source = %source.id, "not modified");
                return Ok((
                    PollOutcome {
                        not_modified: true,
                        first: is_backlog(state),
                        ..Default::default()
                    },
                    None,
                ));
            }
            FetchOutcome::Fetched(f) => f,
        };
        metrics::counter!("tidings_fetch_bytes_total", "source" => source.id.clone())
            .increment(fetched.body.len() as u64);
        metrics::histogram!("tidings_fetch_seconds", "source" => source.id.clone())
            .record(fetched.elapsed.as_secs_f64());
        let outcome = self
            .handle_body(source, state, &fetched, dry_run, cancel)
            .await?;
        Ok((outcome, Some(fetched.validators.clone())))
    }

    /// A source's body, fetched or pushed to us by its WebSub hub: parse, extract,
    /// process, store and route, the same way for both.
    async fn handle_body(
        &self,
        source: &SourceConfig,
        state: &SourceState,
        fetched: &Fetched,
        dry_run: bool,
        cancel: &CancellationToken,
    ) -> Result<PollOutcome, PollError> {
        let config = self.config.get();
        let is_feed = match source.kind {
            SourceKind::Feed => true,
            SourceKind::Html => false,
            SourceKind::Auto => parse::is_feed(fetched.content_type.as_deref(), &fetched.body),
        };
        let text = decode(source, &fetched.body, fetched.content_type.as_deref());
        // Dates without an offset: the configured zone, else what the page points to.
        let configured = config.configured_zone(source);
        let list_zone = zone::choose(configured, &text, &fetched.url);
        let tz = list_zone.tz;
        let mut outcome = PollOutcome {
            first: is_backlog(state),
            article_tries: state.article_tries.clone(),
            ..Default::default()
        };
        let url = fetched.url.clone();
        let entries = if is_feed {
            let parsed = self
                .cpu
                .run(move || parse::feed::parse_feed_text(&text, &url, tz))
                .await?
                .map_err(|source| PollError::Feed {
                    url: fetched.url.to_string(),
                    source,
                })?;
            outcome.hub = parsed.hubs.first().map(|hub| HubLink {
                hub: hub.clone(),
                topic: parsed
                    .self_url
                    .clone()
                    .unwrap_or_else(|| fetched.url.to_string()),
            });
            parsed.entries
        } else {
            let select = source.select.clone();
            let entries = self
                .cpu
                .run(move || parse::html::list_entries(&text, &url, select.as_ref(), tz))
                .await?
                .map_err(|error| PollError::Select {
                    url: fetched.url.to_string(),
                    source: error,
                })?;
            if entries.is_empty() && state.last_entries.is_some_and(|n| n > 0) {
                let alarm = format!(
                    "the list at {} yielded no items (it had {} before): the page layout may have changed",
                    crate::text::redact_url(source.url.as_str()),
                    state.last_entries.unwrap_or(0)
                );
                warn!(source = %source.id, "{alarm}");
                metrics::counter!("tidings_list_alarms_total", "source" => source.id.clone())
                    .increment(1);
                outcome.alarm = Some(alarm);
            }
            entries
        };
        outcome.entries = entries.len();
        let mut entries = process::newest_entries(entries, self.max_entries);
        if source.full_text_for(is_feed) {
            let zones = ArticleZones {
                configured,
                list: tz,
            };
            self.fill_full_text(
                source,
                &mut entries,
                &fetched.url,
                zones,
                cancel,
                &mut outcome,
            )
            .await?;
        } else {
            // An entry exactly as the last poll read it makes the item stored then:
            // skip it before sanitising (most of a poll's work on a feed that grew by
            // two entries). Later repeats of an id go first, as when storing, so that
            // a skipped entry cannot let its repeat through.
            let mut ids = std::collections::HashSet::new();
            entries.retain(|e| {
                process::item_id(e, Some(&fetched.url)).is_none_or(|id| ids.insert(id))
            });
            outcome.fingerprints = entries
                .iter()
                .map(|e| process::fingerprint(e, Some(&fetched.url)))
                .collect();
            if !state.fingerprints.is_empty() {
                let known: std::collections::HashSet<u64> =
                    state.fingerprints.iter().copied().collect();
                let mut fingerprints = outcome.fingerprints.iter();
                entries.retain(|_| fingerprints.next().is_some_and(|f| !known.contains(f)));
            }
        }
        let (id, base) = (source.id.clone(), fetched.url.clone());
        let items = self
            .cpu
            .run(move || process::to_items(&entries, &id, Some(&base), Utc::now()))
            .await?;
        outcome.stored = if dry_run {
            self.store.diff_batch(&source.id, items)?
        } else {
            let audience = Audience::load(&self.store, &config)?;
            let backlog = match (outcome.first, state.polls_ok) {
                (false, _) => Backlog::Seen,
                (true, 0) => Backlog::First {
                    announce: source.notify_existing as usize,
                },
                // Later polls of a first poll's backlog announce nothing more.
                (true, _) => Backlog::First { announce: 0 },
            };
            let now = Utc::now();
            let route = |stored: &[Stored]| route::plan(&config, &audience, backlog, stored, now);
            let stored = self.store.store_routed(&source.id, items, &route)?;
            if !stored.is_empty() {
                self.outbox_wake.notify_one();
                if let Some(websub) = &self.websub {
                    websub.feeds_changed(&config, &stored);
                }
            }
            stored
        };
        info!(
            source = %source.id,
            entries = outcome.entries,
            new_or_updated = outcome.stored.len(),
            zone = %list_zone,
            "polled"
        );
        outcome.zone = Some(list_zone);
        Ok(outcome)
    }

    /// A body the source's WebSub hub pushed (its signature already checked): handled
    /// like a poll's, and recorded as the source's last success.
    pub async fn ingest_push(
        &self,
        source: &SourceConfig,
        fetched: &Fetched,
        cancel: &CancellationToken,
    ) -> Result<PollOutcome, PollError> {
        let state = self.store.source_state(&source.id)?;
        let outcome = self
            .handle_body(source, &state, fetched, false, cancel)
            .await?;
        let now = Utc::now();
        self.store.update_source_state(&source.id, |state| {
            state.last_success = Some(now);
            state.last_entries = Some(outcome.entries);
        })?;
        Ok(outcome)
    }

    /// Open the article page of each entry that needs it and fill in what extraction
    /// finds. An entry already stored is not opened again. A list link whose page fails
    /// is left out of this poll and tried again later with backoff ([`article_backoff`]);
    /// after [`MAX_ARTICLE_TRIES`] failures it is stored as a teaser (the list's title and
    /// date, and the link) and given up on. A feed entry keeps the text the feed gave.
    async fn fill_full_text(
        &self,
        source: &SourceConfig,
        entries: &mut Vec<Entry>,
        base: &Url,
        zones: ArticleZones,
        cancel: &CancellationToken,
        outcome: &mut PollOutcome,
    ) -> Result<(), PollError> {
        let mut opened = 0;
        let reach = source.reach();
        let mut keep = Vec::with_capacity(entries.len());
        let now = Utc::now();
        // Links the list no longer shows are not waited for.
        let listed: std::collections::HashSet<String> = entries
            .iter()
            .filter_map(|e| process::item_id(e, Some(base)))
            .collect();
        outcome.article_tries.retain(|id, _| listed.contains(id));
        for mut entry in std::mem::take(entries) {
            let needs_page = !entry.attachment && !process::has_full_text(&entry);
            let url = entry
                .url
                .as_deref()
                .and_then(|u| process::canonical_url(u, Some(base)));
            let Some(url) = url.filter(|_| needs_page) else {
                keep.push(entry);
                continue;
            };
            // The id the item will be stored under, so a known article is recognised.
            let id = process::item_id(&entry, Some(base)).expect("an entry with a URL has an id");
            if let Some(stored) = self.store.item(&source.id, &id)? {
                // Known: keep what was extracted before instead of fetching again.
                entry.content_html = stored.content_html;
                entry.title = Some(stored.title);
                entry.published = stored.published.or(entry.published);
                entry.author = stored.author;
                entry.origin = stored.origin;
                keep.push(entry);
                continue;
            }
            if self.store.retired(&source.id, &id)? {
                // Removed by retention and still listed: the store skips it.
                keep.push(entry);
                continue;
            }
            let has_own_text = entry.summary.is_some() || entry.content_html.is_some();
            if let Some(t) = outcome.article_tries.get(&id)
                && t.next_try > now
                && !has_own_text
            {
                // Failed before and still backing off: not asked for on this poll.
                outcome.deferred += 1;
                continue;
            }
            if opened >= self.max_articles || cancel.is_cancelled() {
                outcome.deferred += 1;
                continue;
            }
            opened += 1;
            match self.fetcher.get_fresh_within(&url, &reach).await {
                Ok(page) => {
                    outcome.article_tries.remove(&id);
                    let text = decode(source, &page.body, page.content_type.as_deref());
                    let tz = match zones.configured {
                        Some(tz) => tz,
                        None => match zone::evidence(&text, &page.url) {
                            Some(z) => {
                                debug!(source = %source.id, url = %page.url, zone = %z, "article dates");
                                z.tz
                            }
                            None => zones.list,
                        },
                    };
                    let page_url = page.url.clone();
                    let article = self
                        .cpu
                        .run(move || extract::extract_html(&text, &page_url, tz))
                        .await?;
                    process::merge_article(&mut entry, article);
                    keep.push(entry);
                }
                Err(e) if e.is_refused() => {
                    // Not for later: the address rule will refuse it again. A feed entry
                    // keeps the feed's own text; a list link is left out.
                    warn!(source = %source.id, error = %e, "article link refused");
                    outcome.article_errors.push(e.to_string());
                    if entry.summary.is_some() || entry.content_html.is_some() {
                        keep.push(entry);
                    }
                }
                Err(e) => {
                    outcome.article_errors.push(e.to_string());
                    // A feed entry has its own text: store that rather than nothing.
                    if has_own_text {
                        warn!(source = %source.id, error = %e, "article fetch failed; the feed's text is kept");
                        keep.push(entry);
                        continue;
                    }
                    // A list link has only a title: it waits, with backoff, a bounded
                    // number of times.
                    let tries = outcome.article_tries.get(&id).map_or(0, |t| t.tries) + 1;
                    if tries >= MAX_ARTICLE_TRIES {
                        outcome.article_tries.remove(&id);
                        warn!(source = %source.id, url = %url, tries, error = %e,
                            "article page given up; its list entry is stored as a teaser");
                        outcome.given_up.push(GivenUp {
                            url: url.to_string(),
                            tries,
                            last_error: e.to_string(),
                            at: now,
                        });
                        keep.push(entry);
                    } else {
                        let next_try = now + article_backoff(tries);
                        warn!(source = %source.id, url = %url, tries, error = %e,
                            next_try = %next_try, "article fetch failed; tried again later");
                        outcome.article_tries.insert(
                            id,
                            ArticleTries {
                                url: url.to_string(),
                                tries,
                                next_try,
                                last_error: e.to_string(),
                            },
                        );
                        outcome.deferred += 1;
                    }
                }
            }
        }
        *entries = keep;
        Ok(())
    }
}

/// The zones article pages are read in: the configured one, else each page's evidence,
/// else the list page's zone.
#[derive(Debug, Clone, Copy)]
struct ArticleZones {
    configured: Option<chrono_tz::Tz>,
    list: chrono_tz::Tz,
}

/// A fetched body as text: in the source's `charset` when one is configured (the site
/// lies about it), else as it declares and its bytes agree ([`crate::text::charset`]).
fn decode(source: &SourceConfig, body: &[u8], content_type: Option<&str>) -> String {
    match source.charset {
        Some(encoding) => crate::text::charset::decode_forced(body, encoding).text,
        None => crate::text::decode(body, content_type),
    }
}

/// How many polls a first poll's backlog may take to drain before new items count as news.
const SEEDING_POLLS: u64 = 10;

/// Whether what this poll stores is the source's backlog (not announced): its first
/// successful poll, or a later one still fetching the first poll's article pages.
fn is_backlog(state: &SourceState) -> bool {
    state.polls_ok == 0 || state.seeding
}
#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn a_permanent_error_backs_off_much_further() {
        let minutes = |failures, transient| backoff(failures, transient).num_minutes();
        assert_eq!(minutes(1, true), 1);
        assert_eq!(minutes(3, true), 4);
        assert_eq!(minutes(20, true), 360);
        assert_eq!(minutes(1, false), 6 * 60);
        assert_eq!(minutes(2, false), 12 * 60);
        assert_eq!(minutes(20, false), 48 * 60);
    }
}
