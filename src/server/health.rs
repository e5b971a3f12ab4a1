//! `/healthz`: 200 `ok` while the store answers and the scheduler is alive.

use super::Shared;
use crate::store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The scheduler beats at least every 30 s; four missed beats mean it is stuck.
pub const MAX_SILENCE_SECS: i64 = 120;

/// Liveness of the scheduler, as `/healthz` reports it.
pub struct Health {
    /// Unix seconds of the last beat.
    last_beat: AtomicI64,
}

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}

impl Health {
    /// A health record that counts as beaten now.
    pub fn new() -> Self {
        Health {
            last_beat: AtomicI64::new(Utc::now().timestamp()),
        }
    }

    pub fn scheduler_beat(&self) {
        self.set_last_beat(Utc::now());
    }

    /// Record a beat at a given time (a restored state, or a test's clock).
    pub fn set_last_beat(&self, at: DateTime<Utc>) {
        self.last_beat.store(at.timestamp(), Ordering::Relaxed);
    }

    pub fn last_beat(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.last_beat.load(Ordering::Relaxed), 0).unwrap_or_default()
    }

    /// `Ok` when healthy at `now`, else the reason.
    pub fn status(&self, store: &Store, now: DateTime<Utc>) -> Result<(), String> {
        store.check().map_err(|e| format!("store: {e}"))?;
        let silent = (now - self.last_beat()).num_seconds();
        if silent > MAX_SILENCE_SECS {
            return Err(format!(
                "scheduler: no heartbeat for {silent} s (limit {MAX_SILENCE_SECS} s)"
            ));
        }
        Ok(())
    }
}

pub(super) async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.health.status(&shared.store, Utc::now()) {
        Ok(()) => "ok\n".into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhealthy_after_two_minutes_without_a_beat() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let health = Health::new();
        let now = Utc::now();
        assert_eq!(health.status(&store, now), Ok(()));
        health.set_last_beat(now - chrono::Duration::seconds(MAX_SILENCE_SECS));
        assert_eq!(health.status(&store, now), Ok(()));
        health.set_last_beat(now - chrono::Duration::seconds(MAX_SILENCE_SECS + 1));
        let reason = health.status(&store, now).unwrap_err();
        assert!(
            reason.starts_with("scheduler: no heartbeat for 121 s"),
            "{reason}"
        );
        health.scheduler_beat();
        assert_eq!(health.status(&store, Utc::now()), Ok(()));
    }
}
