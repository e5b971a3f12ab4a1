//! `/metrics`: the Prometheus recorder, installed once per process.
//!
//! The pipeline records with the `metrics` macros wherever it runs; the recorder is
//! global, so it is installed on first use and shared by every server in the process
//! (tests start several).

use super::Shared;
use crate::store::SourceHealth;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// Histogram buckets, in seconds for the durations recorded (fetches take from
/// milliseconds on a near site to the 30 s timeout on a stuck one).
const BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder handle, installing the recorder on first call.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            // BUCKETS is a non-empty constant, the only way this can fail.
            .expect("histogram buckets are non-empty")
            .build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!("tidings_polls_total", "Polls of a source");
    metrics::describe_counter!(
        "tidings_store_unreadable_total",
        "Stored values that no longer decode, by tree (logged and skipped)"
    );
    metrics::describe_counter!(
        "tidings_retention_removed_total",
        "Items removed by retention, by source"
    );
    metrics::describe_counter!("tidings_poll_failures_total", "Failed polls of a source");
    metrics::describe_counter!(
        "tidings_items_total",
        "Items stored, by status (new, updated)"
    );
    metrics::describe_histogram!(
        "tidings_fetch_seconds",
        metrics::Unit::Seconds,
        "Time to fetch a source"
    );
    metrics::describe_counter!(
        "tidings_fetch_bytes_total",
        metrics::Unit::Bytes,
        "Bytes fetched from a source"
    );
    metrics::describe_gauge!(
        "tidings_source_health",
        "1 for the source's health (never, ok, failing, broken), 0 for the others"
    );
    metrics::describe_gauge!(
        "tidings_replicas",
        "Replicas on the shared database, alive (seen in the last minute) or gone"
    );
    metrics::describe_gauge!(
        "tidings_replica_held",
        "What a live replica holds a lease on: jobs (poll and digest firings), outbox_rows"
    );
    metrics::describe_counter!(
        "tidings_feed_builds_total",
        "Serialisations of a published feed (cache misses)"
    );
}

pub(super) async fn render(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    // Upkeep drains histogram samples; doing it on scrape keeps memory bounded without
    // a background task.
    shared.metrics.run_upkeep();
    // Health is read from each source's state, as the status page reads it.
    for source in &shared.config().sources {
        let Ok(state) = shared.store.source_state(&source.id) else {
            continue;
        };
        let health = state.health();
        for h in SourceHealth::ALL {
            metrics::gauge!("tidings_source_health", "source" => source.id.clone(), "health" => h.as_str())
                .set(if h == health { 1.0 } else { 0.0 });
        }
    }
    // With a shared database: the replicas alive and gone, and what each holds.
    if shared.store.shared()
        && let Ok(replicas) = shared.store.replicas()
    {
        let alive = replicas.iter().filter(|r| r.alive).count();
        metrics::gauge!("tidings_replicas", "state" => "alive").set(alive as f64);
        metrics::gauge!("tidings_replicas", "state" => "gone").set((replicas.len() - alive) as f64);
        for r in replicas.iter().filter(|r| r.alive) {
            metrics::gauge!("tidings_replica_held", "replica" => r.id.clone(), "what" => "jobs")
                .set(r.jobs.len() as f64);
            metrics::gauge!("tidings_replica_held", "replica" => r.id.clone(), "what" => "outbox_rows")
                .set(r.outbox_rows as f64);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        shared.metrics.render(),
    )
}
