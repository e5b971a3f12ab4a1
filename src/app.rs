//! `tidings run`: the daemon's long-lived tasks and their graceful shutdown.
//!
//! Every task (one scheduler loop per source, one digest loop per scheduled list, the
//! outbox worker, the HTTP server, the heartbeat, retention, memory upkeep) gets a child of one
//! [`CancellationToken`] and is spawned on one [`TaskTracker`]. On SIGINT or SIGTERM the
//! token is cancelled; a poll in flight gets a few seconds to finish (what it stores is
//! one transaction, so cutting it off loses nothing), sends in flight finish and are
//! recorded (the rest stay queued), then the store is flushed.
//!
//! The configuration is reloaded on SIGHUP and when its file changes ([`reload`]): the
//! server, notifier and poller read it through one [`LiveConfig`], and the source loops
//! are started and stopped to match it.

use crate::config::{Config, LiveConfig, SourceConfig};
use crate::notify::{self, Notifier};
use crate::poll::Poller;
use crate::reload::{self, Reloader, SourceLoops};
use crate::schedule;
use crate::server::{self, Health, ServerState};
use crate::store::Store;
use crate::store::coord::Turn;
use crate::templates::Templates;
use crate::websub::WebSub;
use anyhow::Context;
use chrono::Utc;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How long a poll in flight may go on after shutdown was asked for.
const POLL_GRACE: Duration = Duration::from_secs(5);
/// How long shutdown waits for every task before giving up on them.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);
/// How often the scheduler reports itself alive to `/healthz`.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Retention first runs this long after start, then every [`RETENTION_EVERY`].
const RETENTION_FIRST: Duration = Duration::from_secs(60);
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// How often histogram samples are folded into their buckets when nobody scrapes
/// `/metrics` (the exporter's own default), and freed memory is looked at.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// A started daemon: its address and the handles to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Arc<Store>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Running {
    /// Ask every task to stop, wait for them (bounded), and flush the store.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        if tokio::time::timeout(SHUTDOWN_LIMIT, self.tracker.wait())
            .await
            .is_err()
        {
            warn!("some tasks did not stop within {SHUTDOWN_LIMIT:?}; leaving them");
        }
        if self.store.shared() {
            // The others see this replica go at once, and may take what it held.
            let store = self.store.clone();
            match tokio::task::spawn_blocking(move || store.leave()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!(error = %e, "cannot remove this replica from the database"),
                Err(e) => warn!(error = %e, "cannot remove this replica from the database"),
            }
        }
        self.store.flush().context("flushing the database")?;
        info!("stopped");
        Ok(())
    }
}

/// Open the store, bind the listener and start every task. Only these start-up steps
/// can fail; afterwards failures are logged and the daemon goes on.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    fix_mmap_threshold();
    let config = Arc::new(config);
    let live = LiveConfig::new(config.clone());
    let store = Arc::new(Store::open_configured(&config)?);
    let templates = Arc::new(Templates::load(config.daemon.templates_dir.as_deref())?);
    let notifier = Arc::new(Notifier::new(
        live.clone(),
        store.clone(),
        templates.clone(),
    )?);
    let listener = TcpListener::bind(config.daemon.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.daemon.listen))?;
    let addr = listener.local_addr()?;
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let health = Arc::new(Health::new());
    let websub = Arc::new(WebSub::new(
        live.clone(),
        store.clone(),
        tracker.clone(),
        cancel.child_token(),
    ));
    let mut poller =
        Poller::new(live.clone(), store.clone()).context("building the HTTP client")?;
    poller.outbox_wake = notifier.waker();
    poller.websub = Some(websub.clone());

    let state = ServerState {
        config: live.clone(),
        store: store.clone(),
        health: health.clone(),
        templates,
        outbox_wake: notifier.waker(),
        websub: websub.clone(),
        poller: Some(poller.clone()),
    };
    let server_cancel = cancel.child_token();
    tracker.spawn(async move {
        if let Err(e) = server::serve(listener, state, server_cancel).await {
            warn!(error = %e, "HTTP server stopped with an error");
        }
    });
    tracker.spawn(notifier.clone().run(cancel.child_token()));
    tracker.spawn(websub.run(cancel.child_token()));
    use notify::digest::DigestOwner;
    let owners = config
        .lists
        .iter()
        .filter(|l| l.schedule.is_some())
        .map(|l| DigestOwner::List(l.clone()))
        .chain(
            config
                .chats
                .iter()
                .filter(|c| c.schedule.is_some())
                .map(|c| DigestOwner::Chat(c.clone())),
        )
        .chain(
            config
                .webhooks
                .iter()
                .filter(|w| w.schedule.is_some())
                .map(|w| DigestOwner::Webhook(w.clone())),
        );
    for owner in owners {
        tracker.spawn(notify::digest::digest_loop(
            notifier.clone(),
            owner,
            cancel.child_token(),
        ));
    }
    if let Some(bot) = notify::bot::CommandBot::new(&notifier) {
        tracker.spawn(bot.run(cancel.child_token()));
    }
    tracker.spawn(notify::alerts::alert_loop(
        notifier.clone(),
        cancel.child_token(),
    ));
    tracker.spawn(retention_loop(
        store.clone(),
        live.clone(),
        cancel.child_token(),
    ));
    let loops = SourceLoops::start(poller.clone(), tracker.clone(), &cancel, &config);
    tracker.spawn(reload::watch(
        Reloader::new(live, loops),
        cancel.child_token(),
    ));
    tracker.spawn(memory_upkeep(poller.clone(), cancel.child_token()));
    let beat_cancel = cancel.child_token();
    let beat_store = store.clone();
    let listen = addr.to_string();
    tracker.spawn(async move {
        let mut beats: u64 = 0;
        loop {
            health.scheduler_beat();
            if beat_store.shared() {
                replica_beat(&beat_store, &listen, beats).await;
            }
            beats += 1;
            tokio::select! {
                _ = beat_cancel.cancelled() => break,
                _ = tokio::time::sleep(HEARTBEAT) => {}
            }
        }
    });
    tracker.close();
    info!(%addr, sources = config.sources.len(), store = %store.describe(), replica = store.replica().unwrap_or("-"), "tidings running");
    Ok(Running {
        addr,
        store,
        cancel,
        tracker,
    })
}

/// `tidings run`: start, wait for SIGINT/SIGTERM, stop.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let running = start(config).await?;
    shutdown_signal().await;
    info!("shutting down");
    running.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the daemon");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Every heartbeat: tell the other replicas this one is alive (and where it listens);
/// hourly, forget finished jobs and replicas long gone.
async fn replica_beat(store: &Arc<Store>, listen: &str, beats: u64) {
    let store = store.clone();
    let listen = listen.to_string();
    let purge = beats.is_multiple_of(3600 / HEARTBEAT.as_secs());
    let done = tokio::task::spawn_blocking(move || {
        store.beat(Some(&listen))?;
        if purge {
            let n = store.purge_coordination()?;
            debug!(rows = n, "old jobs, slots and replicas forgotten");
        }
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error = %e, "cannot report this replica to the database"),
        Err(e) => warn!(error = %e, "replica heartbeat stopped"),
    }
}

/// Whether a source's hub pushes its news to us and it was polled within
/// `[websub] fallback_poll_secs`: then the scheduled poll is skipped.
fn pushed_recently(
    poller: &Poller,
    source: &SourceConfig,
    last_poll: Option<chrono::DateTime<Utc>>,
) -> bool {
    let Some(websub) = &poller.websub else {
        return false;
    };
    let now = Utc::now();
    let fallback = chrono::Duration::seconds(poller.config.get().websub.fallback_poll_secs as i64);
    websub.is_pushed(&source.id, now) && last_poll.is_some_and(|t| now - t < fallback)
}

/// Every [`METRICS_UPKEEP`]: fold the histogram samples recorded since the last time into
/// their buckets (the recorder keeps every sample until `/metrics` is rendered or this
/// runs: a daemon that nobody scrapes would otherwise grow by two samples per poll, for
/// ever), and when polls ran since the last look and none is in flight now, hand the
/// memory they freed back to the system ([`release_free_memory`]).
async fn memory_upkeep(poller: Poller, cancel: CancellationToken) {
    let handle = server::metrics::handle();
    // The semaphore's size: `[fetch]` changes need a restart, so it stays this.
    let all_turns = poller.config.get().fetch.polls_in_flight.max(1);
    let mut polls_seen = poller.polls_done();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(METRICS_UPKEEP) => handle.run_upkeep(),
        }
        let done = poller.polls_done();
        if done != polls_seen && poller.turns.available_permits() == all_turns {
            polls_seen = done;
            let _ = tokio::task::spawn_blocking(release_free_memory).await;
        }
    }
}

/// Return the allocator's free pages to the system. glibc keeps what a burst of polls
/// freed in its per-thread arenas; a daemon idle after a cycle of 1,000 sources went from
/// 153 MiB to 117 MiB resident with this call (`benches/daemon/run.sh`).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointer and only releases free memory of
        // its own heaps; it is safe to call from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Blocks of 128 KiB or more (feed bodies, their decoded text, sled's buffers) get their
/// own mappings, given back when freed (what `MALLOC_MMAP_THRESHOLD_=131072` sets, which
/// the environment may still choose). glibc starts there but raises the threshold to the
/// largest block ever freed, after which such blocks are carved from the arenas and leave
/// holes that `malloc_trim` cannot return: the idle daemon of `benches/daemon/run.sh`
/// (1,000 sources) held 85 MiB with the moving threshold and 72 MiB with this one, for
/// 3 % more CPU in its first cycle. Only the daemon, which lives on idle: a one-off
/// `tidings poll` of 1,000 feeds peaked 10 MiB lower with it but took 15 % more CPU.
fn fix_mmap_threshold() {
    /// glibc's `M_MMAP_THRESHOLD` (malloc.h).
    const M_MMAP_THRESHOLD: i32 = -3;
    set_malloc_option("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, 128 * 1024);
}

/// Set one of glibc's malloc options (`mallopt`), unless the environment variable that
/// sets the same option is present: the operator's choice wins. Nothing elsewhere.
pub fn set_malloc_option(env: &str, param: i32, value: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os(env).is_none() {
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt takes two integers and only changes the allocator's settings,
        // under the allocator's own lock, so any thread may call it at any time.
        unsafe {
            mallopt(param, value);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = (env, param, value);
}

/// Apply retention ([`crate::store::retention`]) to every configured source a minute
/// after start and hourly after that, off the async threads (it walks whole trees).
async fn retention_loop(store: Arc<Store>, config: LiveConfig, cancel: CancellationToken) {
    let mut wait = RETENTION_FIRST;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = RETENTION_EVERY;
        let store = store.clone();
        let sources = config.get().retention();
        match tokio::task::spawn_blocking(move || store.retain_all(&sources, Utc::now())).await {
            Ok(Ok(r)) => info!(
                removed = r.removed,
                pinned = r.pinned,
                kept = r.kept,
                forgotten = r.forgotten,
                "retention"
            ),
            Ok(Err(e)) => warn!(error = %e, "retention failed"),
            Err(e) => warn!(error = %e, "retention stopped"),
        }
        // What it read (the rank index, the outbox, the records it forgets, the items it
        // removed) is not needed until its next run.
        let _ = tokio::task::spawn_blocking(release_free_memory).await;
    }
}

/// Poll one source on its schedule until cancelled. A source that was never polled, or
/// whose last poll is older than one period of its schedule, is polled at start-up.
pub(crate) async fn source_loop(poller: Poller, source: SourceConfig, cancel: CancellationToken) {
    // Read once: a change of the schedule or zone restarts the loop (see `reload`).
    let config = poller.config.get();
    let cron = config.source_schedule(&source).clone();
    let tz = config.daemon.timezone;
    let mut last_local = None;
    let mut first = true;
    loop {
        let now = Utc::now();
        let Some(next) = schedule::next_firing(&cron, tz, now, last_local) else {
            warn!(source = %source.id, schedule = %cron.expr, "schedule has no future firing; source stopped");
            return;
        };
        // Only what the loop needs is kept across the wait: a thousand idle loops
        // holding whole states (fingerprints, article tries) would add up.
        let (last_poll, not_before) = {
            let state = poller.store.source_state(&source.id).unwrap_or_default();
            (state.last_poll, state.not_before)
        };
        let overdue = first && {
            let period = schedule::next_after(&cron, tz, next.local)
                .map(|n| n.at - next.at)
                .unwrap_or(chrono::Duration::hours(1));
            last_poll.is_none_or(|t| now - t > period)
        };
        first = false;
        let wait = if overdue {
            // Spread the start-up polls a little.
            schedule::jitter(Duration::from_secs(30))
        } else {
            let until = (next.at - now).to_std().unwrap_or_default();
            until + schedule::jitter(until)
        };
        let _ = poller.store.update_source_state(&source.id, |st| {
            st.next_poll = Some(now + chrono::Duration::from_std(wait).unwrap_or_default());
        });
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        if !overdue {
            last_local = Some(next.local);
        }
        if let Some(not_before) = not_before.filter(|t| *t > Utc::now()) {
            debug!(source = %source.id, %not_before, "backing off; poll skipped");
            continue;
        }
        if pushed_recently(&poller, &source, last_poll) {
            debug!(source = %source.id, "its WebSub hub pushes; poll skipped");
            continue;
        }
        // With replicas, one of them polls this firing: the first to claim it.
        let key = if overdue {
            // The replicas starting together see the same last poll, so the same key.
            let last = last_poll.map_or("never".to_string(), |t| t.to_rfc3339());
            format!("poll:{}:overdue:{last}", source.id)
        } else {
            format!("poll:{}:{}", source.id, next.at.to_rfc3339())
        };
        // Waiting for another replica's lease past the next firing is pointless: that
        // firing polls anyway.
        let following = if overdue {
            Some(next.at)
        } else {
            schedule::next_after(&cron, tz, next.local).map(|n| n.at)
        };
        let latest = tokio::time::Instant::now()
            + following
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .unwrap_or(Duration::from_secs(86_400));
        let lease = config.store.lease();
        let Some(job) = Turn::take(&poller.store, key, lease, latest, &cancel).await else {
            continue;
        };
        // Every source's loop runs, but only `[fetch] polls_in_flight` polls at once: a
        // thousand sources due at the same minute do not hold a thousand bodies.
        let Some(_turn) = poller.turn(&cancel).await else {
            return;
        };
        // Boxed: the poll's state lives on the heap while it runs, instead of making every
        // idle loop's task as large as a poll in flight.
        let mut poll = Box::pin(poller.poll(&source, false, &cancel));
        let result = tokio::select! {
            r = &mut poll => r,
            _ = cancel.cancelled() => match tokio::time::timeout(POLL_GRACE, &mut poll).await {
                Ok(r) => r,
                Err(_) => {
                    warn!(source = %source.id, "poll still running at shutdown; abandoned (nothing half-stored)");
                    // Dropping the turn releases it: another replica polls this firing.
                    return;
                }
            },
        };
        poller.poll_done();
        job.finish().await;
        match result {
            Ok(o) if !o.article_errors.is_empty() => warn!(
                source = %source.id,
                failed_articles = o.article_errors.len(),
                "some article pages failed; they are retried on the next poll"
            ),
            Ok(_) => {}
            Err(e) => warn!(source = %source.id, error = %e, "poll failed"),
        }
        if cancel.is_cancelled() {
            return;
        }
    }
}
