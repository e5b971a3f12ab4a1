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
