//! Coordination of several `tidings run` replicas on one database: who does a one-off
//! piece of work, how fast everyone together may go, and who is there.
//!
//! - **Jobs** ([`Store::claim_job`]): a poll firing of a source (`poll:<source>:<firing>`),
//!   a digest firing (`digest:<owner>:<local time>`). One replica claims the key with a
//!   lease, renews it while it works ([`Turn`]) and marks it done; the others find it
//!   held (and wait for the lease to end) or done (and skip it). A replica that dies
//!   stops renewing: its lease ends and the next replica to ask takes the work.
//! - **Slots** ([`Store::reserve_slot`]): shared pacing. Each request under a key
//!   (`host:<host>`, `target:<chat>`, `bot:<token hash>`) takes the next free instant,
//!   `interval` after the previous one whichever replica took it, and waits until then
//!   ([`Pacer`]). The replicas' local gates still apply first.
//! - **Replicas** ([`Store::beat`], [`Store::replicas`]): each replica reports itself
//!   every few seconds; the status page lists them with what they hold (jobs, leased
//!   outbox rows). One not seen for [`GONE_AFTER`] shows as gone.
//!
//! With sled there is one process ([`Sled`] holds a pid lock on its directory): every
//! job is this process's, no slot is shared, and the local gates are the whole story.
//! `finish_job` has nothing to remember either: a restart within a firing does not
//! poll twice (the start-up poll only runs when the last poll is a whole period old)
//! and a digest repeated within a firing finds its delivery id already used.

use super::interface::Backend;
use super::pg::Pg;
use super::{Sled, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// A replica not seen for this long is shown as gone (it beats every 15 s).
pub const GONE_AFTER: Duration = Duration::from_secs(60);
/// Finished jobs, expired leases and idle slots are forgotten after this long.
const FORGET_AFTER_SECS: f64 = 86_400.0;
/// Waiting for someone else's lease to end, look again a little after it.
const AFTER_LEASE: Duration = Duration::from_millis(250);
/// ...and at least this often before: a holder that gives its turn up releases it from a
/// background task, which may land just after a waiter looked.
const LOOK_AGAIN: Duration = Duration::from_secs(2);

/// What [`Store::claim_job`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This replica holds the job now (or still: a claim by the holder renews it).
    Mine,
    /// Another replica holds it for `wait` more (as the database's clock sees it).
    Held { holder: String, wait: Duration },
    /// Someone finished it.
    Done,
}

/// A reserved slot: the instant it starts (database clock) and how long from now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub at: DateTime<Utc>,
    pub wait: Duration,
}

/// A replica as the status page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReplicaInfo {
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub listen: Option<String>,
    pub started: DateTime<Utc>,
    pub seen: DateTime<Utc>,
    /// Seen within [`GONE_AFTER`].
    pub alive: bool,
    /// This process.
    pub this: bool,
    /// Jobs it holds a live lease on.
    pub jobs: Vec<String>,
    /// Outbox rows it holds a live lease on.
    pub outbox_rows: u64,
}

impl Store {
    /// Whether other processes may share this store (PostgreSQL): then work is claimed
    /// and pacing is shared.
    pub fn shared(&self) -> bool {
        self.replica().is_some()
    }

    /// Claim the job `key` for `lease` (or renew this replica's claim).
    pub fn claim_job(&self, key: &str, lease: Duration) -> Result<Claim, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.claim_job(key, lease),
            Backend::Postgres(p) => p.claim_job(key, lease),
        }
    }

    /// Mark this replica's job `key` done: nobody does it again.
    pub fn finish_job(&self, key: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(()),
            Backend::Postgres(p) => p.finish_job(key),
        }
    }

    /// Give this replica's job `key` up unfinished (shutdown): another may take it now.
    pub fn release_job(&self, key: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(()),
            Backend::Postgres(p) => p.release_job(key),
        }
    }

    /// Take the next slot under `key`, `interval` after the one before it. `None` when
    /// nothing is shared (sled): the local gates suffice.
    pub fn reserve_slot(&self, key: &str, interval: Duration) -> Result<Option<Slot>, StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(None),
            Backend::Postgres(p) => p.reserve_slot(key, interval).map(Some),
        }
    }

    /// Report this replica alive, listening on `listen`.
    pub fn beat(&self, listen: Option<&str>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(()),
            Backend::Postgres(p) => p.beat(listen),
        }
    }

    /// This replica stops (clean shutdown): its row goes and its jobs are released.
    pub fn leave(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(()),
            Backend::Postgres(p) => p.leave(),
        }
    }

    /// Every replica that reported itself in the last day, oldest first (empty on sled).
    pub fn replicas(&self) -> Result<Vec<ReplicaInfo>, StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(Vec::new()),
            Backend::Postgres(p) => p.replicas(),
        }
    }

    /// Forget finished or abandoned jobs, idle slots and replicas gone for a day.
    /// Returns how many rows went.
    pub fn purge_coordination(&self) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(0),
            Backend::Postgres(p) => p.purge_coordination(),
        }
    }
}

impl Sled {
    /// One process holds a sled database: every job is its own.
    pub fn claim_job(&self, _key: &str, _lease: Duration) -> Result<Claim, StoreError> {
        Ok(Claim::Mine)
    }
}

/// `host:pid:random` split back into host and pid.
fn host_and_pid(id: &str) -> (String, u32) {
    let mut parts = id.rsplitn(3, ':');
    let _random = parts.next();
    let pid = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let host = parts.next().unwrap_or(id).to_string();
    (host, pid)
}

impl Pg {
    pub fn claim_job(&self, key: &str, lease: Duration) -> Result<Claim, StoreError> {
        let me = self.replica().to_string();
        let secs = lease.as_secs_f64();
        self.run(async |c| {
            // Insert, or take over a row nobody holds any more (or that is ours), in one
            // statement: the row lock of ON CONFLICT decides between racing replicas.
            let won = c
                .query_opt(
                    "INSERT INTO jobs (key, holder, lease_until)
                     VALUES ($1, $2, now() + make_interval(secs => $3))
                     ON CONFLICT (key) DO UPDATE
                        SET holder = excluded.holder, lease_until = excluded.lease_until
                        WHERE jobs.done_at IS NULL
                          AND (jobs.holder IS NOT DISTINCT FROM excluded.holder
                               OR jobs.lease_until IS NULL OR jobs.lease_until <= now())
                     RETURNING key",
                    &[&key, &me, &secs],
                )
                .await?;
            if won.is_some() {
                return Ok(Claim::Mine);
            }
            let row = c
                .query_opt(
                    "SELECT holder, done_at IS NOT NULL,
                            greatest(extract(epoch FROM lease_until - now()), 0)::float8
                     FROM jobs WHERE key = $1",
                    &[&key],
                )
                .await?;
            Ok(match row {
                Some(r) if r.get::<_, bool>(1) => Claim::Done,
                Some(r) => Claim::Held {
                    holder: r.get::<_, Option<String>>(0).unwrap_or_default(),
                    wait: Duration::from_secs_f64(r.get::<_, Option<f64>>(2).unwrap_or(0.0)),
                },
                // Purged in between: nobody holds it; ask again.
                None => Claim::Held {
                    holder: String::new(),
                    wait: Duration::ZERO,
                },
            })
        })
    }

    pub fn finish_job(&self, key: &str) -> Result<(), StoreError> {
        let me = self.replica().to_string();
        self.run(async |c| {
            c.execute(
                "UPDATE jobs SET done_at = now(), lease_until = NULL
                 WHERE key = $1 AND holder = $2 AND done_at IS NULL",
                &[&key, &me],
            )
            .await?;
            Ok(())
        })
    }

    pub fn release_job(&self, key: &str) -> Result<(), StoreError> {
        let me = self.replica().to_string();
        self.run(async |c| {
            c.execute(
                "UPDATE jobs SET lease_until = now()
                 WHERE key = $1 AND holder = $2 AND done_at IS NULL",
                &[&key, &me],
            )
            .await?;
            Ok(())
        })
    }

    pub fn reserve_slot(&self, key: &str, interval: Duration) -> Result<Slot, StoreError> {
        let secs = interval.as_secs_f64();
        self.run(async |c| {
            let row = c
                .query_one(
                    "INSERT INTO slots (key, next_at) VALUES ($1, now() + make_interval(secs => $2))
                     ON CONFLICT (key) DO UPDATE
                        SET next_at = greatest(slots.next_at, now()) + make_interval(secs => $2)
                     RETURNING next_at - make_interval(secs => $2),
                        greatest(extract(epoch FROM next_at - make_interval(secs => $2) - now()), 0)::float8",
                    &[&key, &secs],
                )
                .await?;
            Ok(Slot {
                at: row.get(0),
                wait: Duration::from_secs_f64(row.get::<_, f64>(1)),
            })
        })
    }

    pub fn beat(&self, listen: Option<&str>) -> Result<(), StoreError> {
        let me = self.replica().to_string();
        let (host, pid) = host_and_pid(&me);
        let pid = i32::try_from(pid).unwrap_or(0);
        self.run(async |c| {
            c.execute(
                "INSERT INTO replicas (id, host, pid, listen, started, seen)
                 VALUES ($1, $2, $3, $4, now(), now())
                 ON CONFLICT (id) DO UPDATE SET seen = now(), listen = excluded.listen",
                &[&me, &host, &pid, &listen],
            )
            .await?;
            Ok(())
        })
    }

    pub fn leave(&self) -> Result<(), StoreError> {
        let me = self.replica().to_string();
        self.run(async |c| {
            c.execute(
                "UPDATE jobs SET lease_until = now() WHERE holder = $1 AND done_at IS NULL",
                &[&me],
            )
            .await?;
            c.execute("DELETE FROM replicas WHERE id = $1", &[&me])
                .await?;
            Ok(())
        })
    }

    pub fn replicas(&self) -> Result<Vec<ReplicaInfo>, StoreError> {
        let me = self.replica().to_string();
        let gone = GONE_AFTER.as_secs_f64();
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT r.id, r.host, r.pid, r.listen, r.started, r.seen,
                            r.seen > now() - make_interval(secs => $1),
                            coalesce((SELECT array_agg(j.key ORDER BY j.key) FROM jobs j
                                      WHERE j.holder = r.id AND j.done_at IS NULL
                                        AND j.lease_until > now()), '{}'),
                            (SELECT count(*) FROM outbox o
                             WHERE o.claimed_by = r.id AND o.lease_until > now())
                     FROM replicas r ORDER BY r.started, r.id",
                    &[&gone],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let id: String = r.get(0);
                    ReplicaInfo {
                        this: id == me,
                        id,
                        host: r.get(1),
                        pid: u32::try_from(r.get::<_, i32>(2)).unwrap_or(0),
                        listen: r.get(3),
                        started: r.get(4),
                        seen: r.get(5),
                        alive: r.get(6),
                        jobs: r.get(7),
                        outbox_rows: u64::try_from(r.get::<_, i64>(8)).unwrap_or(0),
                    }
                })
                .collect())
        })
    }

    pub fn purge_coordination(&self) -> Result<u64, StoreError> {
        self.run(async |c| {
            let day = FORGET_AFTER_SECS;
            let jobs = c
                .execute(
                    "DELETE FROM jobs WHERE created < now() - make_interval(secs => $1)
                       AND (done_at IS NOT NULL OR lease_until IS NULL OR lease_until < now())",
                    &[&day],
                )
                .await?;
            let slots = c
                .execute(
                    "DELETE FROM slots WHERE next_at < now() - make_interval(secs => $1)",
                    &[&day],
                )
                .await?;
            let replicas = c
                .execute(
                    "DELETE FROM replicas WHERE seen < now() - make_interval(secs => $1)",
                    &[&day],
                )
                .await?;
            Ok(jobs + slots + replicas)
        })
    }
}

/// Run a store call off the async threads (it blocks on a round trip to the server).
async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || call(&store))
        .await
        .unwrap_or_else(|e| {
            Err(StoreError::Postgres {
                message: format!("store call stopped: {e}"),
                retry: false,
            })
        })
}

/// This replica's turn at a job, renewed while held. [`Turn::finish`] marks it done;
/// dropping it unfinished releases it for another replica at once.
pub struct Turn {
    store: Arc<Store>,
    key: String,
    renew: Option<tokio::task::JoinHandle<()>>,
    finished: bool,
}

impl Turn {
    /// Wait for the job `key` to be this replica's. `None` when it is done, when waiting
    /// for its holder's lease would pass `latest` (the next firing does the work), or on
    /// cancellation. With sled it is at once this process's. When the database cannot
    /// be asked the work goes ahead: done twice is better than not at all, and the
    /// store's dedup keeps twice harmless.
    pub async fn take(
        store: &Arc<Store>,
        key: String,
        lease: Duration,
        latest: tokio::time::Instant,
        cancel: &CancellationToken,
    ) -> Option<Turn> {
        if !store.shared() {
            return Some(Turn::unshared(store, key));
        }
        loop {
            let k = key.clone();
            match blocking(store, move |s| s.claim_job(&k, lease)).await {
                Ok(Claim::Mine) => return Some(Turn::held(store, key, lease)),
                Ok(Claim::Done) => {
                    debug!(job = %key, "done by another replica; skipped");
                    return None;
                }
                Ok(Claim::Held { holder, wait }) => {
                    let until = tokio::time::Instant::now() + wait + AFTER_LEASE;
                    if until > latest {
                        debug!(job = %key, %holder, "held by another replica until past the next firing; skipped");
                        return None;
                    }
                    debug!(job = %key, %holder, ?wait, "held by another replica; waiting for its lease");
                    let next = until.min(tokio::time::Instant::now() + LOOK_AGAIN);
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep_until(next) => {}
                    }
                }
                Err(e) => {
                    warn!(job = %key, error = %e, "cannot claim the job; doing it unclaimed");
                    return Some(Turn::unshared(store, key));
                }
            }
        }
    }

    fn unshared(store: &Arc<Store>, key: String) -> Turn {
        Turn {
            store: store.clone(),
            key,
            renew: None,
            finished: true,
        }
    }

    /// A claimed turn, renewed every third of the lease while it lasts.
    fn held(store: &Arc<Store>, key: String, lease: Duration) -> Turn {
        let (s, k) = (store.clone(), key.clone());
        let renew = tokio::spawn(async move {
            let every = (lease / 3).max(Duration::from_millis(100));
            loop {
                tokio::time::sleep(every).await;
                let k2 = k.clone();
                match blocking(&s, move |s| s.claim_job(&k2, lease)).await {
                    Ok(Claim::Mine) => {}
                    Ok(other) => {
                        warn!(job = %k, ?other, "lost the lease on a job still running");
                        return;
                    }
                    Err(e) => warn!(job = %k, error = %e, "cannot renew a job's lease"),
                }
            }
        });
        Turn {
            store: store.clone(),
            key,
            renew: Some(renew),
            finished: false,
        }
    }

    /// The work is done: nobody does it again.
    pub async fn finish(mut self) {
        if let Some(r) = self.renew.take() {
            r.abort();
        }
        if !self.finished {
            self.finished = true;
            let key = self.key.clone();
            if let Err(e) = blocking(&self.store, move |s| s.finish_job(&key)).await {
                warn!(job = %self.key, error = %e, "cannot mark the job done; its lease runs out instead");
            }
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(r) = self.renew.take() {
            r.abort();
        }
        if !self.finished {
            let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
            // Releasing is a courtesy: without it the lease simply runs out.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                drop(handle.spawn_blocking(move || store.release_job(&key)));
            }
        }
    }
}

/// Shared pacing: after a local gate, wait for the key's next slot across replicas.
#[derive(Clone)]
pub struct Pacer {
    store: Arc<Store>,
}

impl Pacer {
    /// A pacer when `store` is shared; `None` for sled (the local gates suffice).
    pub fn new(store: &Arc<Store>) -> Option<Pacer> {
        store.shared().then(|| Pacer {
            store: store.clone(),
        })
    }

    /// Reserve the next slot under `key` and wait for it. When the database cannot be
    /// asked, the local gate alone holds (logged).
    pub async fn wait(&self, key: String, interval: Duration) {
        if interval.is_zero() {
            return;
        }
        let k = key.clone();
        match blocking(&self.store, move |s| s.reserve_slot(&k, interval)).await {
            Ok(Some(slot)) => tokio::time::sleep(slot.wait).await,
            Ok(None) => {}
            Err(e) => warn!(key = %key, error = %e, "shared pacing unavailable; local limits only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_id_gives_its_host_and_pid() {
        assert_eq!(host_and_pid("web-1:4242:beef"), ("web-1".to_string(), 4242));
        assert_eq!(host_and_pid("odd"), ("odd".to_string(), 0));
    }

    #[tokio::test]
    async fn with_sled_every_job_is_this_process_and_nothing_is_paced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        assert!(!store.shared());
        assert_eq!(
            store.claim_job("poll:a:1", Duration::from_secs(1)).unwrap(),
            Claim::Mine
        );
        assert_eq!(
            store
                .reserve_slot("host:a", Duration::from_secs(1))
                .unwrap(),
            None
        );
        assert!(Pacer::new(&store).is_none());
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let turn = Turn::take(
            &store,
            "poll:a:1".into(),
            Duration::from_secs(1),
            far,
            &CancellationToken::new(),
        )
        .await
        .expect("sled: always this process's turn");
        turn.finish().await;
        assert!(store.replicas().unwrap().is_empty());
    }
}
