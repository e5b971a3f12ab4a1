//! The outbox, the delivery index and the held rows on PostgreSQL; outbox rows are
//! claimed by one replica at a time with a lease.
//!
//! Tables (schema 1, 2 and 3): `outbox` (id, target key, due, seq, body, claimed_by,
//! lease_until), `deliveries` (id → [`DeliveryState`], the dedup index: a route is new
//! when `INSERT … ON CONFLICT DO NOTHING` inserted its id), `held` (target, sort time,
//! id → [`Held`]) and `quarantine` (rows that no longer decode).
//!
//! **Claims.** Every replica runs the outbox worker. [`Pg::due`] does not only read the
//! due rows, it claims them for this replica ([`Pg::replica`]): `claimed_by` = us,
//! `lease_until` = now + [`LEASE`]. A row is handed to one replica while its lease runs,
//! and a target is served by one replica at a time: a target with a live lease held by
//! another replica is skipped entirely, so a chat still reads its news in order. Claims
//! are serialised by a transaction-scoped advisory lock, which makes "no other replica
//! holds this target" a fact rather than a race; rows another transaction is writing
//! at that moment are skipped (`FOR UPDATE SKIP LOCKED`), and a target with such a row
//! ahead of what would be claimed is left for the next round rather than served out of
//! order. [`Pg::finish`], [`Pg::retry`], [`Pg::postpone`] and [`Pg::merge`] release the
//! rows they touch (rows put back are free for anyone at their new due time); a finished
//! row also renews the lease of the rest of this replica's claim, so a long batch keeps
//! its rows as long as it makes progress. A replica killed mid-send loses its lease; once
//! it expires another replica sends what was not marked sent. The only duplicate window
//! is between the remote's accept and [`Pg::finish`], as with sled.
//!
//! [`Pg::outbox`] (listings, status) reads every row and claims nothing.

use super::Pg;
use crate::store::*;
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{HashMap, HashSet};
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

/// How long a claim on outbox rows lasts without progress. The worker sends a target's
/// rows one at a time and never waits on a flood limit (a row a limit holds back is
/// postponed, which releases it), so one send is the longest a claim goes without a
/// finished row renewing it: an SMTP exchange is bounded at two minutes (connect, then
/// [`crate::notify`]'s 120 s send guard), a Bot API or robot request at 30 s. Five
/// minutes covers that with room; it is also how long the rows of a replica killed
/// mid-send wait before another replica takes them.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// Advisory lock serialising outbox claims across replicas (a constant unlikely to
/// collide with any other lock's key).
const CLAIM_LOCK: i64 = 0x7469_6469_6e67_7310;

/// Due times are kept to the millisecond, as in sled's keys.
fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

fn seq_in(seq: u32) -> i32 {
    i32::try_from(seq).unwrap_or(i32::MAX)
}

fn seq_out(seq: i32) -> u32 {
    seq.max(0) as u32
}

fn lease_secs() -> f64 {
    LEASE.as_secs_f64()
}

/// An outbox row as read, before its body is decoded.
struct Row {
    id: String,
    due: DateTime<Utc>,
    seq: u32,
    body: serde_json::Value,
}

impl Row {
    fn from_pg(r: &tokio_postgres::Row) -> Row {
        Row {
            id: r.get("id"),
            due: r.get("due"),
            seq: seq_out(r.get("seq")),
            body: r.get("body"),
        }
    }
}

/// Decode `rows`, oldest first; rows that do not decode are logged, counted and moved to
/// `quarantine`, their delivery recorded as failed.
async fn decode_rows(tx: &Transaction<'_>, mut rows: Vec<Row>) -> Result<Vec<Queued>, StoreError> {
    rows.sort_by(|a, b| (a.due, a.seq, &a.id).cmp(&(b.due, b.seq, &b.id)));
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_value::<Delivery>(row.body.clone()) {
            Ok(delivery) => out.push(Queued {
                key: row.id.into_bytes(),
                due: row.due,
                seq: row.seq,
                delivery,
            }),
            Err(e) => {
                let error = StoreError::Corrupt {
                    tree: "outbox",
                    message: e.to_string(),
                };
                unreadable("outbox", row.id.as_bytes(), &error);
                quarantine_outbox(tx, &row.id, &error).await?;
            }
        }
    }
    Ok(out)
}

/// Move an outbox row that does not decode to `quarantine`, so that it neither blocks
/// the queue nor is retried for ever, and record its delivery (when known) as failed.
async fn quarantine_outbox(
    tx: &Transaction<'_>,
    id: &str,
    error: &StoreError,
) -> Result<(), StoreError> {
    tx.execute(
        "WITH gone AS (DELETE FROM outbox WHERE id = $1 RETURNING id, body)
         INSERT INTO quarantine (tbl, key, value) SELECT 'outbox', id, body::text FROM gone",
        &[&id],
    )
    .await?;
    let state = DeliveryState::Failed {
        at: Utc::now(),
        error: format!("the stored row was unreadable ({error}); kept in quarantine"),
    };
    tx.execute(
        "UPDATE deliveries SET state = $2 WHERE id = $1",
        &[&id, &super::json(&state)],
    )
    .await?;
    Ok(())
}

/// Record `routes` inside the caller's transaction, skipping any whose id is already
/// known (the `deliveries` primary key decides). Returns how many were recorded. Rows
/// queued together are numbered in the order given.
pub(super) async fn record_routes(
    tx: &Transaction<'_>,
    routes: &[Route],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if routes.is_empty() {
        return Ok(0);
    }
    let due = ms(now);
    let new_delivery = tx
        .prepare("INSERT INTO deliveries (id, state) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .await?;
    let queued = super::json(&DeliveryState::Queued { due: now });
    let held_state = super::json(&DeliveryState::Held);
    let mut recorded = 0;
    for (seq, route) in routes.iter().enumerate() {
        match route {
            Route::Send(d) => {
                if tx.execute(&new_delivery, &[&d.id, &queued]).await? == 0 {
                    continue;
                }
                tx.execute(
                    "INSERT INTO outbox (id, target, due, seq, body) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO NOTHING",
                    &[
                        &d.id,
                        &d.target.key(),
                        &due,
                        &seq_in(seq as u32),
                        &super::json(d),
                    ],
                )
                .await?;
            }
            Route::Hold {
                target,
                id,
                sort_time,
                held,
            } => {
                if tx.execute(&new_delivery, &[id, &held_state]).await? == 0 {
                    continue;
                }
                tx.execute(
                    "INSERT INTO held (target, sort_time, id, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (target, sort_time, id) DO UPDATE SET body = excluded.body",
                    &[&target.key(), sort_time, id, &super::json(held)],
                )
                .await?;
            }
        }
        recorded += 1;
    }
    Ok(recorded)
}

impl Pg {
    /// Queue deliveries outside a poll (a confirmation mail). Dedup applies.
    pub fn queue(&self, routes: &[Route]) -> Result<usize, StoreError> {
        let now = Utc::now();
        self.tx(async |tx| record_routes(tx, routes, now).await)
    }

    /// Claim the rows due at or before `now` for this replica, oldest first, at most
    /// `limit`: rows nobody holds, rows whose lease expired and rows this replica already
    /// holds, of targets no other replica holds (see the module's notes). Unreadable rows
    /// are logged and moved to `quarantine`.
    pub fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Queued>, StoreError> {
        let me = self.replica();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.tx(async |tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CLAIM_LOCK])
                .await?;
            // Candidates: the global prefix of what may go, in order. A target held by
            // another replica's live lease is left out as a whole.
            let candidates = tx
                .query(
                    "SELECT id, target, due, seq FROM outbox
                     WHERE due <= $1
                       AND (claimed_by IS NULL OR claimed_by = $2 OR lease_until < now())
                       AND target NOT IN (
                           SELECT target FROM outbox
                           WHERE claimed_by IS NOT NULL AND claimed_by <> $2
                             AND lease_until >= now())
                     ORDER BY due, seq, id
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED",
                    &[&now, &me, &limit],
                )
                .await?;
            if candidates.is_empty() {
                return Ok(Vec::new());
            }
            // Each target's last candidate: a row of the target ahead of it that is not
            // a candidate was skipped as locked (being written by another transaction),
            // and serving the target now would break its order.
            let mut last: HashMap<String, (DateTime<Utc>, i32, String)> = HashMap::new();
            let mut ids = Vec::with_capacity(candidates.len());
            for r in &candidates {
                let id: String = r.get("id");
                last.insert(r.get("target"), (r.get("due"), r.get("seq"), id.clone()));
                ids.push(id);
            }
            let (mut t, mut d, mut s, mut i) = (vec![], vec![], vec![], vec![]);
            for (target, (due, seq, id)) in &last {
                t.push(target.as_str());
                d.push(*due);
                s.push(*seq);
                i.push(id.as_str());
            }
            let gaps: HashSet<String> = tx
                .query(
                    "SELECT DISTINCT o.target FROM outbox o
                     JOIN unnest($1::text[], $2::timestamptz[], $3::int[], $4::text[])
                          AS l(target, due, seq, id) ON o.target = l.target
                     WHERE (o.due, o.seq, o.id) < (l.due, l.seq, l.id)
                       AND NOT (o.id = ANY($5))",
                    &[&t, &d, &s, &i, &ids],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let take: Vec<String> = candidates
                .iter()
                .filter(|r| !gaps.contains(&r.get::<_, String>("target")))
                .map(|r| r.get("id"))
                .collect();
            let rows = tx
                .query(
                    "UPDATE outbox
                     SET claimed_by = $1, lease_until = now() + make_interval(secs => $2)
                     WHERE id = ANY($3)
                     RETURNING id, due, seq, body",
                    &[&me, &lease_secs(), &take],
                )
                .await?;
            decode_rows(tx, rows.iter().map(Row::from_pg).collect()).await
        })
    }

    /// When this replica should look at the outbox again: the earliest due time, a row
    /// of a target another replica holds counting from when its lease ends.
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let me = self.replica();
        self.run(async |c| {
            let row = c
                .query_one(
                    "SELECT min(greatest(o.due, b.until)) FROM outbox o
                     LEFT JOIN (SELECT target, max(lease_until) AS until FROM outbox
                                WHERE claimed_by IS NOT NULL AND claimed_by <> $1
                                  AND lease_until >= now()
                                GROUP BY target) b ON b.target = o.target",
                    &[&me],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    /// Every row in the outbox, in due order (for `tidings chats list`, status and
    /// tests). Claims nothing. Unreadable rows are moved to `quarantine`.
    pub fn outbox(&self) -> Result<Vec<Queued>, StoreError> {
        self.tx(async |tx| {
            let rows = tx
                .query("SELECT id, due, seq, body FROM outbox", &[])
                .await?;
            decode_rows(tx, rows.iter().map(Row::from_pg).collect()).await
        })
    }

    /// Close a row with its final state (sent, failed or dropped), in one statement; the
    /// rest of this replica's claim is renewed (it is making progress).
    pub fn finish(&self, row: &Queued, state: DeliveryState) -> Result<(), StoreError> {
        let me = self.replica();
        let id = &row.delivery.id;
        self.run(async |c| {
            c.execute(
                "WITH gone AS (DELETE FROM outbox WHERE id = $1),
                      renewed AS (UPDATE outbox
                                  SET lease_until = now() + make_interval(secs => $4)
                                  WHERE claimed_by = $3 AND id <> $1)
                 INSERT INTO deliveries (id, state) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                &[id, &super::json(&state), &me, &lease_secs()],
            )
            .await?;
            Ok(())
        })
    }

    /// Move rows to `due` in the order given, numbered from `first_seq`, without counting
    /// a failure, and release them. A row no longer in the outbox (another replica
    /// closed it after this one's lease ran out) is not brought back.
    pub fn postpone(
        &self,
        rows: &[Queued],
        due: DateTime<Utc>,
        first_seq: u32,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.delivery.id.as_str()).collect();
        let seqs: Vec<i32> = (0..rows.len())
            .map(|i| seq_in(first_seq.saturating_add(i as u32)))
            .collect();
        let bodies: Vec<serde_json::Value> =
            rows.iter().map(|r| super::json(&r.delivery)).collect();
        let state = super::json(&DeliveryState::Queued { due });
        let at = ms(due);
        self.run(async |c| {
            c.execute(
                "WITH input AS (SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[])
                                AS i(id, seq, body)),
                      moved AS (UPDATE outbox o
                                SET due = $4, seq = i.seq, body = i.body,
                                    claimed_by = NULL, lease_until = NULL
                                FROM input i WHERE o.id = i.id
                                RETURNING o.id)
                 INSERT INTO deliveries (id, state) SELECT id, $5::jsonb FROM moved
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                &[&ids, &seqs, &bodies, &at, &state],
            )
            .await?;
            Ok(())
        })
    }

    /// Replace `rows` (one target's burst) by one `delivery` in their place, in one
    /// transaction; each row is recorded as merged into it. The new row stays claimed
    /// by this replica, which sends it next. Returns it.
    pub fn merge(&self, rows: &[Queued], delivery: Delivery) -> Result<Queued, StoreError> {
        let first = rows.first().map_or((ms(Utc::now()), 0), |r| (r.due, r.seq));
        let now = Utc::now();
        let me = self.replica();
        let ids: Vec<&str> = rows.iter().map(|r| r.delivery.id.as_str()).collect();
        let merged = super::json(&DeliveryState::Merged {
            at: now,
            into: delivery.id.clone(),
        });
        let queued = super::json(&DeliveryState::Queued { due: first.0 });
        let body = super::json(&delivery);
        self.tx(async |tx| {
            tx.execute(
                "WITH gone AS (DELETE FROM outbox WHERE id = ANY($1))
                 INSERT INTO deliveries (id, state) SELECT id, $2::jsonb FROM unnest($1::text[]) AS id
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                &[&ids, &merged],
            )
            .await?;
            tx.execute(
                "INSERT INTO outbox (id, target, due, seq, body, claimed_by, lease_until)
                 VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
                 ON CONFLICT (id) DO UPDATE SET target = excluded.target, due = excluded.due,
                     seq = excluded.seq, body = excluded.body,
                     claimed_by = excluded.claimed_by, lease_until = excluded.lease_until",
                &[
                    &delivery.id,
                    &delivery.target.key(),
                    &first.0,
                    &seq_in(first.1),
                    &body,
                    &me,
                    &lease_secs(),
                ],
            )
            .await?;
            tx.execute(
                "INSERT INTO deliveries (id, state) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                &[&delivery.id, &queued],
            )
            .await?;
            Ok(())
        })?;
        Ok(Queued {
            key: delivery.id.clone().into_bytes(),
            due: first.0,
            seq: first.1,
            delivery,
        })
    }

    /// Move everything queued or held for `from` to `to` (a group became a supergroup),
    /// keeping order and delivery ids, in one transaction. The moved rows are released.
    /// Returns how many rows moved.
    pub fn retarget(&self, from: &Target, to: &Target) -> Result<usize, StoreError> {
        let (from_key, to_key, to_json) = (from.key(), to.key(), super::json(to));
        self.tx(async |tx| {
            let queued = tx
                .execute(
                    "UPDATE outbox
                     SET target = $2, body = jsonb_set(body, '{target}', $3),
                         claimed_by = NULL, lease_until = NULL
                     WHERE target = $1",
                    &[&from_key, &to_key, &to_json],
                )
                .await?;
            let held = tx
                .execute(
                    "WITH moved AS (DELETE FROM held WHERE target = $1
                                    RETURNING sort_time, id, body)
                     INSERT INTO held (target, sort_time, id, body)
                     SELECT $2, sort_time, id, body FROM moved
                     ON CONFLICT (target, sort_time, id) DO UPDATE SET body = excluded.body",
                    &[&from_key, &to_key],
                )
                .await?;
            Ok((queued + held) as usize)
        })
    }

    /// What became of a delivery.
    /// (`None` also when the record is unreadable: logged.)
    pub fn delivery_state(&self, id: &str) -> Result<Option<DeliveryState>, StoreError> {
        let row = self.run(async |c| {
            Ok(
                c.query_opt("SELECT state FROM deliveries WHERE id = $1", &[&id])
                    .await?,
            )
        })?;
        Ok(row.and_then(|r| super::from_json("deliveries", id, r.get(0))))
    }

    /// Items held for `target`'s next digest, oldest first.
    pub fn held(&self, target: &Target) -> Result<Vec<Held>, StoreError> {
        let key = target.key();
        self.tx(async |tx| held_rows(tx, &key, false).await)
            .map(|rows| rows.into_iter().map(|(_, h)| h).collect())
    }

    /// A digest run for `target`: everything held for it becomes one delivery (built by
    /// `make` from the held items, oldest first), in one transaction. Nothing held, no
    /// delivery; a run already made (a restart within the same firing, or another
    /// replica) takes nothing. Returns the delivery queued, if any.
    pub fn take_digest(
        &self,
        target: &Target,
        make: impl Fn(Vec<Held>) -> Delivery,
    ) -> Result<Option<Delivery>, StoreError> {
        let key = target.key();
        self.tx(async |tx| {
            let rows = held_rows(tx, &key, true).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let delivery = make(rows.iter().map(|(_, h)| h.clone()).collect());
            let now = Utc::now();
            let new = tx
                .execute(
                    "INSERT INTO deliveries (id, state) VALUES ($1, $2)
                     ON CONFLICT (id) DO NOTHING",
                    &[
                        &delivery.id,
                        &super::json(&DeliveryState::Queued { due: now }),
                    ],
                )
                .await?;
            if new == 0 {
                // This run was already made: the rows are for the next run.
                return Ok(None);
            }
            let (times, ids): (Vec<i64>, Vec<&str>) =
                rows.iter().map(|((t, id), _)| (*t, id.as_str())).unzip();
            tx.execute(
                "DELETE FROM held h USING unnest($2::bigint[], $3::text[]) AS k(sort_time, id)
                 WHERE h.target = $1 AND h.sort_time = k.sort_time AND h.id = k.id",
                &[&key, &times, &ids],
            )
            .await?;
            tx.execute(
                "INSERT INTO outbox (id, target, due, seq, body) VALUES ($1, $2, $3, 0, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &delivery.id,
                    &delivery.target.key(),
                    &ms(now),
                    &super::json(&delivery),
                ],
            )
            .await?;
            Ok(Some(delivery))
        })
    }

    /// Drop everything held for a target (it unsubscribed).
    pub fn drop_held(&self, target: &Target) -> Result<usize, StoreError> {
        let key = target.key();
        self.run(async |c| {
            Ok(c.execute("DELETE FROM held WHERE target = $1", &[&key])
                .await? as usize)
        })
    }

    /// Outbox counts, optionally only for targets whose key starts with `prefix`.
    pub fn outbox_counts(&self, prefix: &str) -> Result<OutboxCounts, StoreError> {
        self.counts("starts_with(target, $1)", prefix)
    }

    /// Outbox counts of one target exactly (`telegram:-1001` is not `telegram:-10011`).
    pub fn target_counts(&self, target: &Target) -> Result<OutboxCounts, StoreError> {
        self.counts("target = $1", &target.key())
    }

    /// Counts over the rows whose target matches `filter` (SQL on `target`, with `$1`).
    fn counts(&self, filter: &str, arg: &str) -> Result<OutboxCounts, StoreError> {
        let rows_sql = format!("SELECT id, body FROM outbox WHERE {filter} ORDER BY due, seq, id");
        let held_sql = format!("SELECT count(*) FROM held WHERE {filter}");
        let params: [&(dyn ToSql + Sync); 1] = [&arg];
        let (rows, held) = self.run(async |c| {
            let rows = c.query(rows_sql.as_str(), &params).await?;
            let held: i64 = c.query_one(held_sql.as_str(), &params).await?.get(0);
            Ok((rows, held))
        })?;
        let mut c = OutboxCounts {
            held: held.max(0) as usize,
            ..OutboxCounts::default()
        };
        for r in rows {
            let id: String = r.get(0);
            let Some(d) = super::from_json::<Delivery>("outbox", &id, r.get(1)) else {
                continue;
            };
            c.queued += 1;
            if d.attempts > 0 {
                c.retrying += 1;
                c.last_error = d.last_error.clone();
            }
            c.oldest = Some(c.oldest.map_or(d.created, |o| o.min(d.created)));
        }
        Ok(c)
    }
}

/// `held` rows of the target with key `target`, oldest first, with their keys (sort
/// time, id); locked for the transaction when `lock`. Unreadable rows are logged and
/// moved to `quarantine`, like the outbox's.
async fn held_rows(
    tx: &Transaction<'_>,
    target: &str,
    lock: bool,
) -> Result<Vec<((i64, String), Held)>, StoreError> {
    let sql = format!(
        "SELECT sort_time, id, body FROM held WHERE target = $1 ORDER BY sort_time, id{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let mut out = Vec::new();
    for r in tx.query(sql.as_str(), &[&target]).await? {
        let (sort_time, id, body): (i64, String, serde_json::Value) =
            (r.get(0), r.get(1), r.get(2));
        match serde_json::from_value::<Held>(body) {
            Ok(h) => out.push(((sort_time, id), h)),
            Err(e) => {
                let key = format!("{target}/{sort_time}/{id}");
                let error = StoreError::Corrupt {
                    tree: "held",
                    message: e.to_string(),
                };
                unreadable("held", key.as_bytes(), &error);
                tx.execute(
                    "WITH gone AS (DELETE FROM held
                                   WHERE target = $1 AND sort_time = $2 AND id = $3
                                   RETURNING body)
                     INSERT INTO quarantine (tbl, key, value)
                     SELECT 'held', $4, body::text FROM gone",
                    &[&target, &sort_time, &id, &key],
                )
                .await?;
            }
        }
    }
    Ok(out)
}
