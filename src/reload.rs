//! Reloading `feeds.toml` while the daemon runs: on SIGHUP, and when the file's
//! modification time changes (`tidings add` and editors replace it; the file is looked
//! at every [`POLL_EVERY`], which costs one `stat`).
//!
//! The new file is validated first: an invalid one is logged with every error and the
//! running configuration stays in force. A valid one replaces the [`LiveConfig`] that the
//! HTTP server, the notifier and the poller read, and the scheduler loops follow it:
//! a source added gets a loop, a source removed loses its loop (a poll in flight is
//! finished, as at shutdown), a source whose settings changed (its own or the daemon's
//! schedule and time zone it inherits) gets a new loop. Settings fixed at start-up (the
//! listen address, the data directory, templates, `[fetch]`, `[email]`, `[telegram]` and
//! digest schedules) are reported as needing a restart.

use crate::app::source_loop;
use crate::config::{Config, ConfigErrors, LiveConfig, SourceConfig};
use crate::poll::Poller;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// How often the file's modification time is looked at.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// The scheduler loops of the sources, one per source, keyed by id.
pub struct SourceLoops {
    poller: Poller,
    tracker: TaskTracker,
    /// The daemon's token: each loop gets a child of it, so shutdown stops them all.
    cancel: CancellationToken,
    running: HashMap<String, Loop>,
}

struct Loop {
    /// What the loop was started with; a different one means restart it.
    fingerprint: String,
    cancel: CancellationToken,
}

/// What applying a configuration did to the loops (source ids, sorted).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoopChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub restarted: Vec<String>,
}

impl SourceLoops {
    /// Start a loop for every source of `config`.
    pub fn start(
        poller: Poller,
        tracker: TaskTracker,
        cancel: &CancellationToken,
        config: &Config,
    ) -> SourceLoops {
        let mut loops = SourceLoops {
            poller,
            tracker,
            cancel: cancel.clone(),
            running: HashMap::new(),
        };
        loops.apply(config);
        loops
    }

    /// Make the running loops those of `config`.
    pub fn apply(&mut self, config: &Config) -> LoopChanges {
        let mut changes = LoopChanges::default();
        self.running.retain(|id, running| {
            let keep = config.source(id).is_some();
            if !keep {
                running.cancel.cancel();
                changes.removed.push(id.clone());
            }
            keep
        });
        for source in &config.sources {
            let fingerprint = fingerprint(config, source);
            match self.running.get(&source.id) {
                Some(running) if running.fingerprint == fingerprint => continue,
                Some(running) => {
                    running.cancel.cancel();
                    changes.restarted.push(source.id.clone());
                }
                None => changes.added.push(source.id.clone()),
            }
            let cancel = self.cancel.child_token();
            self.tracker.spawn(source_loop(
                self.poller.clone(),
                source.clone(),
                cancel.clone(),
            ));
            self.running.insert(
                source.id.clone(),
                Loop {
                    fingerprint,
                    cancel,
                },
            );
        }
        changes.added.sort();
        changes.removed.sort();
        changes.restarted.sort();
        changes
    }
}

/// Everything a source's loop depends on: the source, and the schedule and time zone
/// it inherits from `[daemon]`. Compared as text: the compiled parts (selectors, cron)
/// print what they were compiled from.
fn fingerprint(config: &Config, source: &SourceConfig) -> String {
    format!(
        "{source:?} {} {}",
        config.source_schedule(source).expr,
        config.source_tz(source)
    )
}

/// Reads the file again and puts it in force.
pub struct Reloader {
    live: LiveConfig,
    loops: SourceLoops,
    path: PathBuf,
    /// The modification time last looked at.
    modified: Option<SystemTime>,
}

impl Reloader {
    pub fn new(live: LiveConfig, loops: SourceLoops) -> Reloader {
        let path = live.get().path.clone();
        Reloader {
            modified: modified(&path),
            live,
            loops,
            path,
        }
    }

    /// Whether the file's modification time changed since it was last looked at.
    pub fn file_changed(&mut self) -> bool {
        let now = modified(&self.path);
        let changed = now != self.modified;
        self.modified = now;
        changed
    }

    /// Read and validate the file; if valid, put it in force. On error the running
    /// configuration is kept.
    pub fn reload(&mut self) -> Result<LoopChanges, ConfigErrors> {
        let new = Config::load(&self.path)?;
        let old = self.live.get();
        let needs_restart = restart_only_changes(&old, &new);
        let new = Arc::new(new);
        // In force before the loops start: a new loop reads its schedule from it.
        self.live.replace(new.clone());
        let changes = self.loops.apply(&new);
        for what in needs_restart {
            warn!(
                setting = what,
                "changed in the file; it takes effect at the next restart"
            );
        }
        Ok(changes)
    }

    /// Reload and log the outcome.
    fn reload_and_log(&mut self, why: &str) {
        match self.reload() {
            // Feeds, lists and filters are in force too, even when no source changed.
            Ok(c) => info!(
                trigger = why,
                added = ?c.added,
                removed = ?c.removed,
                restarted = ?c.restarted,
                "configuration reloaded"
            ),
            Err(errors) => warn!(
                trigger = why,
                "{} is invalid; keeping the running configuration:\n{errors}",
                self.path.display()
            ),
        }
    }
}

/// The settings that were read once at start-up and differ in `new`.
fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let differs =
        |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") != format!("{b:?}");
    let digests = |c: &Config| -> Vec<(String, Option<String>)> {
        c.lists
            .iter()
            .map(|l| (l.id.clone(), l.schedule.as_ref().map(|s| s.expr.clone())))
            .collect()
    };
    let mut out = Vec::new();
    if old.daemon.listen != new.daemon.listen {
        out.push("daemon.listen");
    }
    if old.daemon.data_dir != new.daemon.data_dir {
        out.push("daemon.data_dir");
    }
    if old.daemon.templates_dir != new.daemon.templates_dir {
        out.push("daemon.templates_dir");
    }
    if differs(&old.fetch, &new.fetch) {
        out.push("[fetch]");
    }
    // Compared, never printed: these hold secrets.
    if differs(&old.email, &new.email) {
        out.push("[email]");
    }
    if differs(&old.telegram, &new.telegram) {
        out.push("[telegram]");
    }
    if digests(old) != digests(new) {
        out.push("[[list]] schedules");
    }
    out
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The reload task: on SIGHUP, and on a change of the file's modification time, until
/// cancelled.
pub async fn watch(mut reloader: Reloader, cancel: CancellationToken) {
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "cannot listen for SIGHUP; the file is still watched");
            None
        }
    };
    loop {
        #[cfg(unix)]
        let signal = async {
            match hangup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signal = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = signal => {
                // The file may have changed too; it is read now, so not again later.
                reloader.file_changed();
                reloader.reload_and_log("SIGHUP");
            }
            _ = tokio::time::sleep(POLL_EVERY) => {
                if reloader.file_changed() {
                    reloader.reload_and_log("file changed");
                }
            }
        }
    }
}
