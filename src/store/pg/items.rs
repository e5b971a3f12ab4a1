//! Items, their dedup and their time order; sources' state; retention.

use super::Pg;
use crate::store::*;
use crate::model::Item;
use chrono::{DateTime, Utc};

impl Pg {
    pub fn store_routed(
        &self,
        source: &str,
        items: Vec<Item>,
        route: &dyn Fn(&[Stored]) -> Vec<Route>,
    ) -> Result<Vec<Stored>, StoreError> {
        let _ = (source, items, route);
        Err(StoreError::Unsupported("store_routed"))
    }

    pub fn item(&self, source: &str, id: &str) -> Result<Option<Item>, StoreError> {
        let _ = (source, id);
        Err(StoreError::Unsupported("item"))
    }

    pub fn retired(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        let _ = (source, id);
        Err(StoreError::Unsupported("retired"))
    }

    pub fn contains(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        let _ = (source, id);
        Err(StoreError::Unsupported("contains"))
    }

    pub fn count_items(&self, source: &str) -> usize {
        let _ = (source,);
        0
    }

    pub fn newest_items(
        &self,
        sources: &[String],
        keep: impl FnMut(&Item) -> bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let _ = (sources, keep, limit);
        Err(StoreError::Unsupported("newest_items"))
    }

    pub fn count_since(&self, source: &str, since: DateTime<Utc>) -> Result<usize, StoreError> {
        let _ = (source, since);
        Err(StoreError::Unsupported("count_since"))
    }

    pub fn generation(&self, source: &str) -> u64 {
        let _ = (source,);
        0
    }

    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        let _ = (source,);
        Err(StoreError::Unsupported("source_state"))
    }

    pub fn update_source_state(
        &self,
        source: &str,
        change: impl Fn(&mut SourceState),
    ) -> Result<SourceState, StoreError> {
        let _ = (source, change);
        Err(StoreError::Unsupported("update_source_state"))
    }

    pub fn retain_all(
        &self,
        sources: &[(String, Keep)],
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let _ = (sources, now);
        Err(StoreError::Unsupported("retain_all"))
    }

    pub fn retain(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let _ = (source, keep, now);
        Err(StoreError::Unsupported("retain"))
    }

    pub fn count_retired(&self, source: &str) -> usize {
        let _ = (source,);
        0
    }

}
