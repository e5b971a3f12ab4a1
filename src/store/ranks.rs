//! Tree `ranks`: per stored item (same key as `items`: source, 0, id), the few fields
//! retention ranks it by and the status page counts: sort time, first seen, revision, in
//! 28 fixed bytes.
//!
//! Retention used to decode every stored item of every source to rank them, which made
//! sled read the whole `items` tree (values of 1–3 KB) into memory once an hour; the
//! pages it read stayed resident. Ranking from this tree touches a few dozen bytes per
//! item, and only the items that go are then removed.
//!
//! The tree is written in the same transactions (or batches) that write and remove
//! `items`, so the two stay in step across crashes. A store written before the tree
//! existed gets it built on open, once (meta key `ranks`): a crash mid-build leaves the
//! key unset, and the next open builds it again from scratch.

use super::{Sled, StoreError, decode_or_skip, unreadable};
use crate::model::Item;
use chrono::{DateTime, Utc};

/// The meta key set once `ranks` mirrors `items`.
const BUILT: &str = "ranks";
/// Items written per batch while building.
const BUILD_BATCH: usize = 1024;

/// What retention needs of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rank {
    /// [`Item::sort_time`]: published, else first seen (seconds).
    pub sort_time: i64,
    pub first_seen: DateTime<Utc>,
    pub revision: u64,
}

impl Rank {
    pub fn of(item: &Item) -> Rank {
        Rank {
            sort_time: item.sort_time(),
            first_seen: item.first_seen,
            revision: item.revision,
        }
    }

    pub fn to_bytes(self) -> [u8; 28] {
        let mut b = [0; 28];
        b[..8].copy_from_slice(&self.sort_time.to_be_bytes());
        b[8..16].copy_from_slice(&self.first_seen.timestamp().to_be_bytes());
        b[16..20].copy_from_slice(&self.first_seen.timestamp_subsec_nanos().to_be_bytes());
        b[20..].copy_from_slice(&self.revision.to_be_bytes());
        b
    }

    pub fn from_bytes(b: &[u8]) -> Option<Rank> {
        let b: &[u8; 28] = b.try_into().ok()?;
        let sort_time = i64::from_be_bytes(b[..8].try_into().ok()?);
        let secs = i64::from_be_bytes(b[8..16].try_into().ok()?);
        let nanos = u32::from_be_bytes(b[16..20].try_into().ok()?);
        let revision = u64::from_be_bytes(b[20..].try_into().ok()?);
        Some(Rank {
            sort_time,
            first_seen: DateTime::from_timestamp(secs, nanos)?,
            revision,
        })
    }
}

impl Sled {
    /// Build `ranks` from `items` unless it was built already. Returns how many items it
    /// ranked (0 when there was nothing to do).
    pub(super) fn build_ranks(&self, meta: &sled::Tree) -> Result<usize, StoreError> {
        if meta.get(BUILT)?.is_some() {
            return Ok(0);
        }
        // Leftovers of a build cut short.
        self.ranks.clear()?;
        let mut n = 0;
        let mut batch = sled::Batch::default();
        let mut pending = 0;
        for entry in self.items.iter() {
            let (key, value) = entry?;
            // An unreadable item gets no rank: retention leaves it alone, as it
            // always did.
            let Some(item) = decode_or_skip::<Item>("items", &key, &value) else {
                continue;
            };
            batch.insert(key, &Rank::of(&item).to_bytes()[..]);
            n += 1;
            pending += 1;
            if pending == BUILD_BATCH {
                self.ranks.apply_batch(std::mem::take(&mut batch))?;
                pending = 0;
            }
        }
        self.ranks.apply_batch(batch)?;
        meta.insert(BUILT, &[1])?;
        self.db.flush()?;
        if n > 0 {
            tracing::info!(items = n, "built the retention index of an older store");
        }
        Ok(n)
    }

    /// Every ranked item of `source`: (id, rank), in key order.
    pub(super) fn ranks_of(&self, source: &str) -> Result<Vec<(String, Rank)>, StoreError> {
        let prefix = super::keys::source_prefix(source);
        let mut out = Vec::new();
        for entry in self.ranks.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let id = std::str::from_utf8(&key[prefix.len()..]).ok();
            match (id, Rank::from_bytes(&value)) {
                (Some(id), Some(rank)) => out.push((id.to_string(), rank)),
                _ => unreadable(
                    "ranks",
                    &key,
                    &StoreError::Corrupt {
                        tree: "ranks",
                        message: "not an item's rank".into(),
                    },
                ),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PubDate;
    use crate::store::Keep;
    use std::collections::BTreeMap;

    #[test]
    fn a_rank_survives_its_bytes_including_before_1970_and_nanoseconds() {
        for (sort_time, secs, nanos, revision) in [
            (1_700_000_000, 1_700_000_100, 123_456_789, u64::MAX),
            (-86_400, -3_600, 1, 0),
        ] {
            let rank = Rank {
                sort_time,
                first_seen: DateTime::from_timestamp(secs, nanos).unwrap(),
                revision,
            };
            assert_eq!(Rank::from_bytes(&rank.to_bytes()), Some(rank));
        }
        assert_eq!(Rank::from_bytes(b"short"), None);
    }

    /// Item `n` of `source`, published `n` hours after a fixed day when `dated`.
    fn item(source: &str, n: u32, revision: u64, dated: bool) -> Item {
        let base = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Item {
            source: source.into(),
            id: format!("i{n:03}"),
            url: None,
            title: format!("{n} v{revision}"),
            subtitle: None,
            published: dated.then(|| {
                PubDate::Instant((base + chrono::Duration::hours(n.into())).fixed_offset())
            }),
            updated: None,
            author: None,
            origin: None,
            summary: None,
            content_text: Some("x".repeat(2000)),
            content_html: None,
            first_seen: base + chrono::Duration::seconds(n.into()),
            revision,
        }
    }

    /// `ranks` as it is, and as the items say it should be.
    fn both(sled: &Sled) -> (BTreeMap<Vec<u8>, Rank>, BTreeMap<Vec<u8>, Rank>) {
        let ranks = sled
            .ranks
            .iter()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.to_vec(), Rank::from_bytes(&v).unwrap())
            })
            .collect();
        let items = sled
            .items
            .iter()
            .map(|e| {
                let (k, v) = e.unwrap();
                let item: Item = super::super::decode("items", &v).unwrap();
                (k.to_vec(), Rank::of(&item))
            })
            .collect();
        (ranks, items)
    }

    /// The ids a source has left in the index, sorted.
    fn ids_left(sled: &Sled, source: &str) -> Vec<String> {
        let mut left: Vec<String> = sled
            .ranks_of(source)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        left.sort();
        left
    }

    fn assert_in_step(sled: &Sled) {
        let (ranks, items) = both(sled);
        assert_eq!(ranks, items);
    }

    fn store(sled: &Sled, source: &str, items: Vec<Item>) -> usize {
        sled.store_routed(source, items, &|_| Vec::new())
            .unwrap()
            .len()
    }

    #[test]
    fn the_index_follows_stores_updates_and_removals_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let sled = Sled::open(dir.path()).unwrap();
        assert_eq!(
            store(
                &sled,
                "a",
                (0..10).map(|n| item("a", n, 1, n % 2 == 0)).collect()
            ),
            10
        );
        assert_eq!(
            store(&sled, "b", (0..3).map(|n| item("b", n, 1, true)).collect()),
            3
        );
        assert_in_step(&sled);
        // An update that moves item 0 from the oldest to the newest.
        let mut moved = item("a", 0, 2, true);
        moved.published = Some(PubDate::Instant(
            DateTime::from_timestamp(1_800_000_000, 0)
                .unwrap()
                .fixed_offset(),
        ));
        assert_eq!(store(&sled, "a", vec![moved]), 1);
        assert_in_step(&sled);
        assert_eq!(sled.count_items("a"), 10);
        // Retention ranks by the updated date: item 0 stays among the newest three.
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let r = sled.retain("a", Keep { items: 3, days: 1 }, now).unwrap();
        assert_eq!((r.removed, r.kept), (7, 3));
        let left = ids_left(&sled, "a");
        assert_eq!(left, ["i000", "i006", "i008"]);
        assert_in_step(&sled);
        assert_eq!(sled.count_items("b"), 3, "other sources untouched");
        drop(sled);
        let sled = Sled::open(dir.path()).unwrap();
        assert_in_step(&sled);
        assert_eq!(sled.count_items("a"), 3);
    }

    #[test]
    fn an_older_store_gets_its_index_on_open_and_a_build_cut_short_is_redone() {
        let dir = tempfile::tempdir().unwrap();
        let sled = Sled::open(dir.path()).unwrap();
        store(&sled, "a", (0..6).map(|n| item("a", n, 1, n < 3)).collect());
        let expected = both(&sled).1;
        // A store written before `ranks` existed: no tree, no meta key.
        let meta = sled.db.open_tree("meta").unwrap();
        meta.remove(BUILT).unwrap();
        sled.ranks.clear().unwrap();
        drop((meta, sled));
        let sled = Sled::open(dir.path()).unwrap();
        assert_eq!(both(&sled), (expected.clone(), expected.clone()));
        assert_eq!(sled.count_items("a"), 6);

        // A build cut short: a rank left for an item that is gone, the key unset.
        let meta = sled.db.open_tree("meta").unwrap();
        meta.remove(BUILT).unwrap();
        sled.ranks
            .insert(
                super::super::keys::item_key("a", "gone"),
                &Rank::of(&item("a", 99, 1, true)).to_bytes()[..],
            )
            .unwrap();
        drop((meta, sled));
        let sled = Sled::open(dir.path()).unwrap();
        assert_eq!(both(&sled).0, expected);
        // Built once: a later open does not read the items again.
        let meta = sled.db.open_tree("meta").unwrap();
        assert!(meta.get(BUILT).unwrap().is_some());
        assert_eq!(sled.build_ranks(&meta).unwrap(), 0);
        // Retention on the built index keeps exactly the newest (the dated three first).
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let r = sled.retain("a", Keep { items: 2, days: 0 }, now).unwrap();
        assert_eq!((r.removed, r.kept), (4, 2));
        let left = ids_left(&sled, "a");
        assert_eq!(left, ["i001", "i002"]);
        assert_in_step(&sled);
    }
}
