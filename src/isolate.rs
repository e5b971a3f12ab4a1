//! Each poll isolated from hostile input. A panic while polling one source becomes an error
//! for that source ([`Panicked`]), never the end of the daemon's task for it; and the
//! CPU-heavy stages (parsing, extraction, sanitising) run on tokio's blocking threads
//! behind a semaphore sized to the cores ([`CpuPool`]), so that a large page being
//! parsed never holds up the HTTP server or the scheduler on the async threads.

use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A piece of work panicked; `message` is the panic's text (the location is in the log,
/// printed by the panic hook).
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal error while reading it (a panic, reported as a bug): {message}")]
pub struct Panicked {
    pub message: String,
}

impl Panicked {
    fn from_payload(payload: &(dyn Any + Send)) -> Panicked {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Panicked { message }
    }
}

/// Run `work` to completion, turning a panic inside it into [`Panicked`].
///
/// The future is asserted unwind-safe: what it shares is the store (whose writes are
/// transactions, all or nothing) and counters, none left half-updated by an unwinding poll.
pub async fn catch<F: Future>(work: F) -> Result<F::Output, Panicked> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| Panicked::from_payload(&*payload))
}

/// The blocking threads that CPU-heavy stages run on, at most one job per core at once.
#[derive(Clone, Debug)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl Default for CpuPool {
    fn default() -> Self {
        CpuPool::sized_to_cores()
    }
}

impl CpuPool {
    /// At most `jobs` at once (at least one).
    pub fn new(jobs: usize) -> CpuPool {
        CpuPool {
            permits: Arc::new(Semaphore::new(jobs.max(1))),
        }
    }

    /// One job per core the process may use.
    pub fn sized_to_cores() -> CpuPool {
        CpuPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Run `job` on a blocking thread once a core is free; its panic becomes [`Panicked`].
    pub async fn run<T, F>(&self, job: F) -> Result<T, Panicked>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // The semaphore is never closed, so acquiring only waits.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Panicked {
                message: e.to_string(),
            })?;
        // The permit goes with the job: a poll abandoned at shutdown does not free the
        // core its job still uses.
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        });
        match handle.await {
            Ok(v) => Ok(v),
            Err(e) if e.is_panic() => Err(Panicked::from_payload(&*e.into_panic())),
            Err(e) => Err(Panicked {
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_stage_becomes_an_error_and_the_next_job_runs() {
        let pool = CpuPool::new(1);
        let err = pool
            .run(|| -> u32 { panic!("slice index 2 out of range") })
            .await
            .unwrap_err();
        assert!(err.message.contains("slice index"), "{err}");
        // The permit was given back: the pool still works.
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_panic_in_async_work_is_caught() {
        let err = catch(async {
            tokio::task::yield_now().await;
            let v: Vec<u8> = Vec::new();
            v[3]
        })
        .await
        .unwrap_err();
        assert!(err.message.contains("index out of bounds"), "{err}");
        assert_eq!(catch(async { 5 }).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn jobs_beyond_the_cores_wait_their_turn() {
        let pool = CpuPool::new(1);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs = (0..4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            pool.run(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
            })
        });
        for r in futures_util::future::join_all(jobs).await {
            r.unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
