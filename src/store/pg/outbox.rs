//! The outbox, the delivery index and the held rows; outbox rows are claimed by one replica at a time with a lease.

use super::Pg;
use crate::store::*;
use chrono::{DateTime, Utc};

impl Pg {
    pub fn queue(&self, routes: &[Route]) -> Result<usize, StoreError> {
        let _ = (routes,);
        Err(StoreError::Unsupported("queue"))
    }

    pub fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Queued>, StoreError> {
        let _ = (now, limit);
        Err(StoreError::Unsupported("due"))
    }

    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Err(StoreError::Unsupported("next_due"))
    }

    pub fn outbox(&self) -> Result<Vec<Queued>, StoreError> {
        Err(StoreError::Unsupported("outbox"))
    }

    pub fn finish(&self, row: &Queued, state: DeliveryState) -> Result<(), StoreError> {
        let _ = (row, state);
        Err(StoreError::Unsupported("finish"))
    }

    pub fn retry(
        &self,
        row: &Queued,
        due: DateTime<Utc>,
        error: &str,
        rest: &[Queued],
    ) -> Result<(), StoreError> {
        let _ = (row, due, error, rest);
        Err(StoreError::Unsupported("retry"))
    }

    pub fn postpone(
        &self,
        rows: &[Queued],
        due: DateTime<Utc>,
        first_seq: u32,
    ) -> Result<(), StoreError> {
        let _ = (rows, due, first_seq);
        Err(StoreError::Unsupported("postpone"))
    }

    pub fn merge(&self, rows: &[Queued], delivery: Delivery) -> Result<Queued, StoreError> {
        let _ = (rows, delivery);
        Err(StoreError::Unsupported("merge"))
    }

    pub fn retarget(&self, from: &Target, to: &Target) -> Result<usize, StoreError> {
        let _ = (from, to);
        Err(StoreError::Unsupported("retarget"))
    }

    pub fn delivery_state(&self, id: &str) -> Result<Option<DeliveryState>, StoreError> {
        let _ = (id,);
        Err(StoreError::Unsupported("delivery_state"))
    }

    pub fn held(&self, target: &Target) -> Result<Vec<Held>, StoreError> {
        let _ = (target,);
        Err(StoreError::Unsupported("held"))
    }

    pub fn take_digest(
        &self,
        target: &Target,
        make: impl Fn(Vec<Held>) -> Delivery,
    ) -> Result<Option<Delivery>, StoreError> {
        let _ = (target, make);
        Err(StoreError::Unsupported("take_digest"))
    }

    pub fn drop_held(&self, target: &Target) -> Result<usize, StoreError> {
        let _ = (target,);
        Err(StoreError::Unsupported("drop_held"))
    }

    pub fn outbox_counts(&self, prefix: &str) -> Result<OutboxCounts, StoreError> {
        let _ = (prefix,);
        Err(StoreError::Unsupported("outbox_counts"))
    }

    pub fn target_counts(&self, target: &Target) -> Result<OutboxCounts, StoreError> {
        let _ = (target,);
        Err(StoreError::Unsupported("target_counts"))
    }
}

/// Record `routes` inside the item transaction `tx`, skipping any whose delivery id is
/// already known (the `deliveries` primary key decides). Returns how many were recorded.
pub(super) async fn record_routes(
    tx: &tokio_postgres::Transaction<'_>,
    routes: &[Route],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    use super::json;
    let mut recorded = 0;
    for (seq, route) in routes.iter().enumerate() {
        let (id, state) = match route {
            Route::Send(d) => (&d.id, DeliveryState::Queued { due: now }),
            Route::Hold { id, .. } => (id, DeliveryState::Held),
        };
        let new = tx
            .execute(
                "INSERT INTO deliveries (id, state) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[id, &json(&state)],
            )
            .await?;
        if new == 0 {
            continue;
        }
        match route {
            Route::Send(d) => {
                tx.execute(
                    "INSERT INTO outbox (id, target, due, seq, body) VALUES ($1, $2, $3, $4, $5)",
                    &[&d.id, &d.target.key(), &now, &(seq as i32), &json(d)],
                )
                .await?;
            }
            Route::Hold {
                target,
                id,
                sort_time,
                held,
            } => {
                tx.execute(
                    "INSERT INTO held (target, sort_time, id, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    &[&target.key(), sort_time, id, &json(held)],
                )
                .await?;
            }
        }
        recorded += 1;
    }
    Ok(recorded)
}
