//! Items, their dedup and their time order; sources' state; retention. The twins of
//! the sled code in `store/mod.rs` and `store/retention.rs`, with the same behaviour.

use super::{Pg, from_json, json};
use crate::model::Item;
use crate::store::retention::{FORGET_DELIVERIES_DAYS, FORGET_GONE_DAYS, Pinned, pin};
use crate::store::{Keep, Retained, Route, SourceState, StoreError, Stored, compare};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};
use tokio_postgres::Transaction;

/// Items removed per transaction.
const CHUNK: usize = 256;
/// Rows read per query when walking items newest first.
const PAGE: i64 = 256;

/// `source/id`, for logs of unreadable rows.
fn item_key(source: &str, id: &str) -> String {
    format!("{source}/{id}")
}

impl Pg {
    /// See `Store::store_routed`. The rows of the batch's items that exist are locked
    /// first (`FOR UPDATE`); a new item is inserted with `ON CONFLICT DO NOTHING`, so that
    /// when two replicas store the same new item at once, the second finds the first's
    /// row (after it commits) and treats it as stored, not new.
    pub fn store_routed(
        &self,
        source: &str,
        items: Vec<Item>,
        route: &dyn Fn(&[Stored]) -> Vec<Route>,
    ) -> Result<Vec<Stored>, StoreError> {
        // Later duplicates in one batch (a list that shows an article twice) are dropped.
        let mut seen = HashSet::new();
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| seen.insert(i.id.clone()))
            .collect();
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let now = Utc::now();
        let stored = self.tx(async |tx| {
            let mut old: HashMap<String, Option<Item>> = HashMap::new();
            for row in tx
                .query(
                    "SELECT id, body FROM items WHERE source = $1 AND id = ANY($2) FOR UPDATE",
                    &[&source, &ids],
                )
                .await?
            {
                let id: String = row.get(0);
                let item = from_json::<Item>("items", &item_key(source, &id), row.get(1));
                old.insert(id, item);
            }
            let mut gone: HashMap<String, DateTime<Utc>> = HashMap::new();
            for row in tx
                .query(
                    "SELECT id, listed FROM gone WHERE source = $1 AND id = ANY($2) FOR UPDATE",
                    &[&source, &ids],
                )
                .await?
            {
                gone.insert(row.get(0), row.get(1));
            }
            let mut out = Vec::new();
            for item in &items {
                let mut previous = match old.get(&item.id) {
                    // An unreadable stored copy is replaced by this one; the delivery
                    // index keeps it from being announced twice.
                    Some(copy) => copy.clone(),
                    None => {
                        if let Some(listed) = gone.get(&item.id) {
                            // Removed by retention and still listed: not new.
                            if now - *listed >= Duration::days(1) {
                                tx.execute(
                                    "UPDATE gone SET listed = $3 WHERE source = $1 AND id = $2",
                                    &[&source, &item.id, &now],
                                )
                                .await?;
                            }
                            continue;
                        }
                        None
                    }
                };
                let exists = old.contains_key(&item.id);
                if !exists {
                    let Some(stored) = compare(source, None, item) else {
                        continue;
                    };
                    let inserted = tx
                        .execute(
                            "INSERT INTO items (source, id, sort_time, first_seen, body)
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, id) DO NOTHING",
                            &[
                                &source,
                                &item.id,
                                &stored.item.sort_time(),
                                &stored.item.first_seen,
                                &json(&stored.item),
                            ],
                        )
                        .await?;
                    if inserted == 1 {
                        out.push(stored);
                        continue;
                    }
                    // Another replica stored it meanwhile: compare with its copy.
                    let row = tx
                        .query_one(
                            "SELECT body FROM items WHERE source = $1 AND id = $2 FOR UPDATE",
                            &[&source, &item.id],
                        )
                        .await?;
                    previous = from_json::<Item>("items", &item_key(source, &item.id), row.get(0));
                }
                let Some(stored) = compare(source, previous.as_ref(), item) else {
                    continue;
                };
                tx.execute(
                    "INSERT INTO items (source, id, sort_time, first_seen, body)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (source, id) DO UPDATE
                     SET sort_time = EXCLUDED.sort_time, first_seen = EXCLUDED.first_seen,
                         body = EXCLUDED.body",
                    &[
                        &source,
                        &item.id,
                        &stored.item.sort_time(),
                        &stored.item.first_seen,
                        &json(&stored.item),
                    ],
                )
                .await?;
                out.push(stored);
            }
            if !out.is_empty() {
                let routes = route(&out);
                super::outbox::record_routes(tx, &routes, now).await?;
                bump_generation(tx, source).await?;
            }
            Ok(out)
        })?;
        Ok(stored)
    }

    /// One stored item (`None` also when its stored value is unreadable: logged).
    pub fn item(&self, source: &str, id: &str) -> Result<Option<Item>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt(
                    "SELECT body FROM items WHERE source = $1 AND id = $2",
                    &[&source, &id],
                )
                .await?;
            Ok(row.and_then(|r| from_json("items", &item_key(source, id), r.get(0))))
        })
    }

    pub fn retired(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        self.exists(
            "SELECT 1 FROM gone WHERE source = $1 AND id = $2",
            source,
            id,
        )
    }

    pub fn contains(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        self.exists(
            "SELECT 1 FROM items WHERE source = $1 AND id = $2",
            source,
            id,
        )
    }

    fn exists(&self, sql: &str, source: &str, id: &str) -> Result<bool, StoreError> {
        self.run(async |c| Ok(c.query_opt(sql, &[&source, &id]).await?.is_some()))
    }

    pub fn count_items(&self, source: &str) -> usize {
        self.count("SELECT count(*) FROM items WHERE source = $1", source)
    }

    pub fn count_retired(&self, source: &str) -> usize {
        self.count("SELECT count(*) FROM gone WHERE source = $1", source)
    }

    /// A count for the status page; an error is logged and counts as 0.
    fn count(&self, sql: &str, source: &str) -> usize {
        let n = self.run(async |c| {
            let n: i64 = c.query_one(sql, &[&source]).await?.get(0);
            Ok(n.max(0) as usize)
        });
        n.unwrap_or_else(|e| {
            tracing::warn!(source, error = %e, "counting in the database failed");
            0
        })
    }

    /// See `Store::newest_items`: pages of the time index, newest first, in the order
    /// sled's index gives (sort time, then source and id as bytes).
    pub fn newest_items(
        &self,
        sources: &[String],
        mut keep: impl FnMut(&Item) -> bool,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut after: Option<(i64, String, String)> = None;
        while out.len() < limit {
            let rows = self.run(async |c| {
                let rows = match &after {
                    None => {
                        c.query(
                            "SELECT sort_time, source, id, body FROM items
                             WHERE source = ANY($1)
                             ORDER BY sort_time DESC, source COLLATE \"C\" DESC, id COLLATE \"C\" DESC
                             LIMIT $2",
                            &[&sources, &PAGE],
                        )
                        .await?
                    }
                    Some((t, s, i)) => {
                        c.query(
                            "SELECT sort_time, source, id, body FROM items
                             WHERE source = ANY($1)
                               AND (sort_time, source COLLATE \"C\", id COLLATE \"C\") < ($3, $4, $5)
                             ORDER BY sort_time DESC, source COLLATE \"C\" DESC, id COLLATE \"C\" DESC
                             LIMIT $2",
                            &[&sources, &PAGE, t, s, i],
                        )
                        .await?
                    }
                };
                Ok(rows)
            })?;
            let n = rows.len();
            for row in rows {
                let (t, s, i): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
                if out.len() < limit
                    && let Some(item) = from_json::<Item>("items", &item_key(&s, &i), row.get(3))
                    && keep(&item)
                {
                    out.push(item);
                }
                after = Some((t, s, i));
            }
            if (n as i64) < PAGE {
                break;
            }
        }
        Ok(out)
    }

    pub fn count_since(&self, source: &str, since: DateTime<Utc>) -> Result<usize, StoreError> {
        self.run(async |c| {
            let n: i64 = c
                .query_one(
                    "SELECT count(*) FROM items WHERE source = $1 AND first_seen >= $2",
                    &[&source, &since],
                )
                .await?
                .get(0);
            Ok(n.max(0) as usize)
        })
    }

    /// A counter that changes whenever an item of `source` is stored, updated or removed,
    /// by any replica (published feeds are cached until it changes).
    pub fn generation(&self, source: &str) -> u64 {
        let g = self.run(async |c| {
            let row = c
                .query_opt(
                    "SELECT generation FROM sources WHERE source = $1",
                    &[&source],
                )
                .await?;
            Ok(row.map_or(0, |r| r.get::<_, i64>(0)))
        });
        match g {
            Ok(g) => g as u64,
            Err(e) => {
                // A value no cache holds: whatever was cached is rebuilt.
                tracing::warn!(source, error = %e, "reading a source's generation failed");
                u64::MAX
            }
        }
    }

    /// What the daemon remembers about `source`; an unreadable state starts afresh.
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt("SELECT state FROM sources WHERE source = $1", &[&source])
                .await?;
            Ok(match row {
                Some(r) => match from_json("sources", source, r.get(0)) {
                    Some(state) => state,
                    None => fresh_state(c, source).await?,
                },
                None => SourceState::default(),
            })
        })
    }

    /// Read, change and write a source's state in one transaction (row locked).
    pub fn update_source_state(
        &self,
        source: &str,
        change: impl Fn(&mut SourceState),
    ) -> Result<SourceState, StoreError> {
        self.tx(async |tx| {
            tx.execute(
                "INSERT INTO sources (source, state) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&source, &json(&SourceState::default())],
            )
            .await?;
            let row = tx
                .query_one(
                    "SELECT state FROM sources WHERE source = $1 FOR UPDATE",
                    &[&source],
                )
                .await?;
            let mut state = match from_json("sources", source, row.get(0)) {
                Some(s) => s,
                None => fresh_state(tx.client(), source).await?,
            };
            change(&mut state);
            tx.execute(
                "UPDATE sources SET state = $2 WHERE source = $1",
                &[&source, &json(&state)],
            )
            .await?;
            Ok(state)
        })
    }

    /// See `Store::retain_all`.
    pub fn retain_all(
        &self,
        sources: &[(String, Keep)],
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let pinned = self.pinned()?;
        let mut total = Retained::default();
        for (source, keep) in sources {
            total.add(&self.retain_source(source, *keep, now, &pinned)?);
        }
        total.forgotten = self.forget_records(now)?;
        Ok(total)
    }

    pub fn retain(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let pinned = self.pinned()?;
        self.retain_source(source, keep, now, &pinned)
    }

    /// Items that queued or held deliveries name (`held` read before `outbox`, in one
    /// snapshot).
    fn pinned(&self) -> Result<Pinned, StoreError> {
        self.tx(async |tx| {
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .await?;
            let mut pinned = Pinned::new();
            for row in tx.query("SELECT target, id, body FROM held", &[]).await? {
                let key = format!("{}/{}", row.get::<_, String>(0), row.get::<_, String>(1));
                if let Some(h) = from_json::<crate::store::Held>("held", &key, row.get(2)) {
                    pinned.insert((h.item.source, h.item.id));
                }
            }
            for row in tx.query("SELECT id, body FROM outbox", &[]).await? {
                let id: String = row.get(0);
                let Some(d) = from_json::<crate::store::Delivery>("outbox", &id, row.get(1)) else {
                    continue;
                };
                pin(d.payload, &mut pinned);
            }
            Ok(pinned)
        })
    }

    fn retain_source(
        &self,
        source: &str,
        keep: Keep,
        now: DateTime<Utc>,
        pinned: &Pinned,
    ) -> Result<Retained, StoreError> {
        // (id, first seen, revision), newest first.
        let rows = self.run(async |c| {
            Ok(c.query(
                "SELECT id, first_seen, body->'revision' FROM items WHERE source = $1
                 ORDER BY sort_time DESC, id COLLATE \"C\" DESC",
                &[&source],
            )
            .await?)
        })?;
        let young = now - Duration::days(i64::from(keep.days));
        let mut out = Retained::default();
        let mut doomed: Vec<(String, serde_json::Value)> = Vec::new();
        for (rank, row) in rows.into_iter().enumerate() {
            let (id, first_seen): (String, DateTime<Utc>) = (row.get(0), row.get(1));
            if rank < keep.items || first_seen > young {
                out.kept += 1;
            } else if pinned.contains(&(source.to_string(), id.clone())) {
                out.pinned += 1;
                out.kept += 1;
            } else {
                let revision: Option<serde_json::Value> = row.get(2);
                doomed.push((id, revision.unwrap_or(serde_json::Value::Null)));
            }
        }
        for chunk in doomed.chunks(CHUNK) {
            let removed = self.tx(async |tx| {
                let mut removed = 0;
                for (id, revision) in chunk {
                    // Stored again since the scan (an update routes deliveries that name
                    // it): left for the next run.
                    let n = tx
                        .execute(
                            "DELETE FROM items WHERE source = $1 AND id = $2
                             AND body->'revision' = $3",
                            &[&source, id, revision],
                        )
                        .await?;
                    if n == 1 {
                        tx.execute(
                            "INSERT INTO gone (source, id, listed) VALUES ($1, $2, $3)
                             ON CONFLICT (source, id) DO UPDATE SET listed = EXCLUDED.listed",
                            &[&source, id, &now],
                        )
                        .await?;
                        removed += 1;
                    }
                }
                if removed > 0 {
                    bump_generation(tx, source).await?;
                }
                Ok(removed)
            })?;
            out.removed += removed;
            out.kept += chunk.len() - removed;
        }
        if out.removed > 0 {
            metrics::counter!("tidings_retention_removed_total", "source" => source.to_string())
                .increment(out.removed as u64);
        }
        Ok(out)
    }

    /// Forget tombstones no longer listed, old final delivery states and expired tokens.
    fn forget_records(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let gone_before = now - Duration::days(FORGET_GONE_DAYS);
        let sent_before = now - Duration::days(FORGET_DELIVERIES_DAYS);
        self.run(async |c| {
            let gone = c
                .execute("DELETE FROM gone WHERE listed < $1", &[&gone_before])
                .await?;
            let deliveries = c
                .execute(
                    "DELETE FROM deliveries
                     WHERE state->>'state' IN ('sent', 'failed', 'dropped', 'merged')
                       AND (state->>'at')::timestamptz < $1",
                    &[&sent_before],
                )
                .await?;
            let tokens = c
                .execute(
                    "DELETE FROM tokens
                     WHERE body->>'purpose' = 'confirm' AND (body->>'expires')::timestamptz < $1",
                    &[&now],
                )
                .await?;
            Ok((gone + deliveries + tokens) as usize)
        })
    }
}

/// Count a change of `source`'s items (creating its row if it has none).
async fn bump_generation(tx: &Transaction<'_>, source: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO sources (source, state, generation) VALUES ($1, $2, 1)
         ON CONFLICT (source) DO UPDATE SET generation = sources.generation + 1",
        &[&source, &json(&SourceState::default())],
    )
    .await?;
    Ok(())
}

/// The state that replaces an unreadable one: empty, except that a source with stored
/// items counts as read once (its next poll announces what is new, not a backlog).
async fn fresh_state(
    c: &impl tokio_postgres::GenericClient,
    source: &str,
) -> Result<SourceState, StoreError> {
    tracing::warn!(
        source,
        "the source's state was unreadable; starting it afresh"
    );
    let read = c
        .query_opt("SELECT 1 FROM items WHERE source = $1 LIMIT 1", &[&source])
        .await?
        .is_some();
    Ok(SourceState {
        polls_ok: u64::from(read),
        ..SourceState::default()
    })
}
