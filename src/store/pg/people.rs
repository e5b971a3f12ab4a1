//! Subscribers and their tokens, chats and robots, incidents, WebSub subscriptions: the
//! PostgreSQL twins of the sled trees `subscribers`, `tokens`, `chats`, `alerts`,
//! `websub_hub` and `websub_sources`.
//!
//! Lists come back in the same order as sled's (byte order of the key: `COLLATE "C"`).
//! A read-modify-write (`update_subscriber`, `update_chat`, the WebSub updates) locks its
//! row with `SELECT … FOR UPDATE`, so two replicas changing one chat at once both land;
//! a confirmation token is taken with `DELETE … RETURNING`, so it works once even when
//! two replicas race for it. Rows are locked in one order (subscriber, then token), so
//! these transactions cannot deadlock one another.

use super::{Pg, from_json, json};
use crate::store::*;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

/// The key column of `subscribers`: addresses are keyed in lower case, like sled's.
fn address_key(address: &str) -> String {
    address.to_lowercase()
}

/// Decode the rows of `(key, body)`, skipping (logged, counted) the unreadable ones.
fn decode_rows<T: serde::de::DeserializeOwned>(table: &'static str, rows: Vec<Row>) -> Vec<T> {
    rows.into_iter()
        .filter_map(|r| from_json(table, &r.get::<_, String>(0), r.get(1)))
        .collect()
}

impl Pg {
    /// One subscriber (`None` also when the stored value is unreadable: logged).
    pub fn subscriber(&self, list: &str, address: &str) -> Result<Option<Subscriber>, StoreError> {
        let address = address_key(address);
        self.run(async |c| {
            let row = c
                .query_opt(
                    "SELECT body FROM subscribers WHERE list = $1 AND address = $2",
                    &[&list, &address],
                )
                .await?;
            Ok(row.and_then(|r| from_json("subscribers", &format!("{list}/{address}"), r.get(0))))
        })
    }

    /// Subscribers of `list` (or of every list), in key order. Unreadable rows are logged
    /// and skipped.
    pub fn subscribers(&self, list: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT list || '/' || address, body FROM subscribers
                     WHERE $1::text IS NULL OR list = $1
                     ORDER BY list COLLATE \"C\", address COLLATE \"C\"",
                    &[&list],
                )
                .await?;
            Ok(decode_rows("subscribers", rows))
        })
    }

    /// Write a subscriber, and its unsubscribe token (one transaction).
    pub fn put_subscriber(&self, s: &Subscriber) -> Result<(), StoreError> {
        let address = address_key(&s.address);
        let body = json(s);
        let token = json(&Token::Unsubscribe {
            list: s.list.clone(),
            address: s.address.clone(),
        });
        self.tx(async |tx| {
            tx.execute(
                "INSERT INTO subscribers (list, address, body) VALUES ($1, $2, $3)
                 ON CONFLICT (list, address) DO UPDATE SET body = excluded.body",
                &[&s.list, &address, &body],
            )
            .await?;
            tx.execute(
                "INSERT INTO tokens (token, body) VALUES ($1, $2)
                 ON CONFLICT (token) DO UPDATE SET body = excluded.body",
                &[&s.unsubscribe_token, &token],
            )
            .await?;
            Ok(())
        })
    }

    /// Change a subscriber in place, its row locked meanwhile; `None` when there is none
    /// (or its row is unreadable: logged).
    pub fn update_subscriber(
        &self,
        list: &str,
        address: &str,
        change: impl FnOnce(&mut Subscriber),
    ) -> Result<Option<Subscriber>, StoreError> {
        let key = address_key(address);
        // `change` runs once, so this transaction is not retried (see the module notes:
        // the lock order rules out deadlocks between these methods).
        self.run(async |c| {
            let tx = c.transaction().await?;
            let row = tx
                .query_opt(
                    "SELECT body FROM subscribers WHERE list = $1 AND address = $2 FOR UPDATE",
                    &[&list, &key],
                )
                .await?;
            let Some(mut s) = row.and_then(|r| {
                from_json::<Subscriber>("subscribers", &format!("{list}/{key}"), r.get(0))
            }) else {
                return Ok(None);
            };
            change(&mut s);
            // The change may not move the row: it stays under the key it was read by.
            tx.execute(
                "UPDATE subscribers SET body = $3 WHERE list = $1 AND address = $2",
                &[&list, &key, &json(&s)],
            )
            .await?;
            tx.execute(
                "INSERT INTO tokens (token, body) VALUES ($1, $2)
                 ON CONFLICT (token) DO UPDATE SET body = excluded.body",
                &[
                    &s.unsubscribe_token,
                    &json(&Token::Unsubscribe {
                        list: s.list.clone(),
                        address: s.address.clone(),
                    }),
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(s))
        })
    }

    /// Delete a subscriber and its unsubscribe token. Returns whether there was one.
    pub fn remove_subscriber(&self, list: &str, address: &str) -> Result<bool, StoreError> {
        let address = address_key(address);
        self.tx(async |tx| {
            let Some(row) = tx
                .query_opt(
                    "DELETE FROM subscribers WHERE list = $1 AND address = $2 RETURNING body",
                    &[&list, &address],
                )
                .await?
            else {
                return Ok(false);
            };
            // An unreadable row is removed too (logged): its token stays until retention.
            if let Some(s) =
                from_json::<Subscriber>("subscribers", &format!("{list}/{address}"), row.get(0))
            {
                tx.execute(
                    "DELETE FROM tokens WHERE token = $1",
                    &[&s.unsubscribe_token],
                )
                .await?;
            }
            Ok(true)
        })
    }

    pub fn put_token(&self, token: &str, t: &Token) -> Result<(), StoreError> {
        let body = json(t);
        self.run(async |c| {
            c.execute(
                "INSERT INTO tokens (token, body) VALUES ($1, $2)
                 ON CONFLICT (token) DO UPDATE SET body = excluded.body",
                &[&token, &body],
            )
            .await?;
            Ok(())
        })
    }

    /// What a token is for (`None` also when unreadable: logged).
    pub fn token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt("SELECT body FROM tokens WHERE token = $1", &[&token])
                .await?;
            Ok(row.and_then(|r| from_json("tokens", token, r.get(0))))
        })
    }

    /// Remove a token and return what it was for: one statement, so of two replicas
    /// taking the same confirmation token at once, one gets it and the other `None`.
    pub fn take_token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt(
                    "DELETE FROM tokens WHERE token = $1 RETURNING body",
                    &[&token],
                )
                .await?;
            Ok(row.and_then(|r| from_json("tokens", token, r.get(0))))
        })
    }

    /// A chat's state (`None` also when the stored value is unreadable: logged; the
    /// next change writes a fresh row over it).
    pub fn chat(&self, target: &Target) -> Result<Option<ChatState>, StoreError> {
        let key = target.key();
        self.run(async |c| {
            let row = c
                .query_opt("SELECT body FROM chats WHERE target = $1", &[&key])
                .await?;
            Ok(row.and_then(|r| from_json("chats", &key, r.get(0))))
        })
    }

    /// Every chat and robot the store knows, in key order. Unreadable rows are logged and
    /// skipped.
    pub fn chats(&self) -> Result<Vec<ChatState>, StoreError> {
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT target, body FROM chats ORDER BY target COLLATE \"C\"",
                    &[],
                )
                .await?;
            Ok(decode_rows("chats", rows))
        })
    }

    pub fn put_chat(&self, chat: &ChatState) -> Result<(), StoreError> {
        let key = chat.target.key();
        let body = json(chat);
        self.run(async |c| {
            c.execute(
                "INSERT INTO chats (target, body) VALUES ($1, $2)
                 ON CONFLICT (target) DO UPDATE SET body = excluded.body",
                &[&key, &body],
            )
            .await?;
            Ok(())
        })
    }

    /// Change a chat in place, creating its row first when there is none. Returns it.
    /// The row is locked meanwhile: two replicas changing one chat at once both land.
    pub fn update_chat(
        &self,
        target: &Target,
        change: impl FnOnce(&mut ChatState),
    ) -> Result<ChatState, StoreError> {
        let key = target.key();
        let fresh = ChatState::new(target.clone(), Utc::now());
        self.run(async |c| {
            let tx = c.transaction().await?;
            // A row to lock even for a chat not seen before (two first updates at once
            // would otherwise both start from a fresh state, one losing its change).
            tx.execute(
                "INSERT INTO chats (target, body) VALUES ($1, $2) ON CONFLICT (target) DO NOTHING",
                &[&key, &json(&fresh)],
            )
            .await?;
            let row = tx
                .query_one(
                    "SELECT body FROM chats WHERE target = $1 FOR UPDATE",
                    &[&key],
                )
                .await?;
            let mut chat = from_json::<ChatState>("chats", &key, row.get(0)).unwrap_or(fresh);
            change(&mut chat);
            tx.execute(
                "UPDATE chats SET body = $2 WHERE target = $1",
                &[&key, &json(&chat)],
            )
            .await?;
            tx.commit().await?;
            Ok(chat)
        })
    }

    /// Where messages for `target` go now: a group that became a supergroup is followed
    /// (a few hops at most; a loop stops there).
    pub fn follow_migration(&self, target: &Target) -> Result<Target, StoreError> {
        let mut current = target.clone();
        for _ in 0..4 {
            match self.chat(&current)?.and_then(|c| c.migrated_to) {
                Some(to) => current = Target::Telegram { chat_id: to },
                None => break,
            }
        }
        Ok(current)
    }

    /// Open incidents, by key.
    pub fn incidents(&self) -> Result<Vec<(String, Incident)>, StoreError> {
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT key, body FROM incidents ORDER BY key COLLATE \"C\"",
                    &[],
                )
                .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    let key: String = r.get(0);
                    let incident = from_json("incidents", &key, r.get(1))?;
                    Some((key, incident))
                })
                .collect())
        })
    }

    /// Open (`Some`) or close (`None`) an incident.
    pub fn set_incident(&self, key: &str, incident: Option<&Incident>) -> Result<(), StoreError> {
        let body = incident.map(json);
        self.run(async |c| {
            match &body {
                Some(body) => {
                    c.execute(
                        "INSERT INTO incidents (key, body) VALUES ($1, $2)
                         ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                        &[&key, body],
                    )
                    .await?
                }
                None => {
                    c.execute("DELETE FROM incidents WHERE key = $1", &[&key])
                        .await?
                }
            };
            Ok(())
        })
    }

    /// Record a verified subscription (new, or renewed with a new lease and secret).
    pub fn put_hub_subscription(&self, sub: &HubSubscription) -> Result<(), StoreError> {
        let body = json(sub);
        self.run(async |c| {
            c.execute(
                "INSERT INTO websub_hub (id, body) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                &[&sub.id, &body],
            )
            .await?;
            Ok(())
        })
    }

    /// A subscription (`None` also when its row is unreadable: logged, counted).
    pub fn hub_subscription(&self, id: &str) -> Result<Option<HubSubscription>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt("SELECT body FROM websub_hub WHERE id = $1", &[&id])
                .await?;
            Ok(row.and_then(|r| from_json("websub_hub", id, r.get(0))))
        })
    }

    /// Remove a subscription. Returns whether there was one.
    pub fn remove_hub_subscription(&self, id: &str) -> Result<bool, StoreError> {
        self.run(async |c| {
            let n = c
                .execute("DELETE FROM websub_hub WHERE id = $1", &[&id])
                .await?;
            Ok(n > 0)
        })
    }

    /// Every subscription, expired ones included (unreadable rows are logged, skipped).
    pub fn hub_subscriptions(&self) -> Result<Vec<HubSubscription>, StoreError> {
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT id, body FROM websub_hub ORDER BY id COLLATE \"C\"",
                    &[],
                )
                .await?;
            Ok(decode_rows("websub_hub", rows))
        })
    }

    /// Change a subscription in place, if it is still there (its row locked meanwhile).
    /// An unreadable row is removed, as sled's `fetch_and_update` does.
    pub fn update_hub_subscription(
        &self,
        id: &str,
        change: impl Fn(&mut HubSubscription),
    ) -> Result<(), StoreError> {
        self.tx(async |tx| {
            let Some(row) = tx
                .query_opt(
                    "SELECT body FROM websub_hub WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .await?
            else {
                return Ok(());
            };
            match from_json::<HubSubscription>("websub_hub", id, row.get(0)) {
                Some(mut sub) => {
                    change(&mut sub);
                    tx.execute(
                        "UPDATE websub_hub SET body = $2 WHERE id = $1",
                        &[&id, &json(&sub)],
                    )
                    .await?;
                }
                None => {
                    tx.execute("DELETE FROM websub_hub WHERE id = $1", &[&id])
                        .await?;
                }
            }
            Ok(())
        })
    }

    /// Forget subscriptions whose lease ended before `now`. Returns how many. The rows
    /// are locked while deciding, so a renewal landing meanwhile is never forgotten.
    pub fn purge_expired_hub_subscriptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.tx(async |tx| {
            let rows = tx
                .query("SELECT id, body FROM websub_hub FOR UPDATE", &[])
                .await?;
            let expired: Vec<String> = decode_rows::<HubSubscription>("websub_hub", rows)
                .into_iter()
                .filter(|s| !s.is_active(now))
                .map(|s| s.id)
                .collect();
            if !expired.is_empty() {
                tx.execute("DELETE FROM websub_hub WHERE id = ANY($1)", &[&expired])
                    .await?;
            }
            Ok(expired.len())
        })
    }

    /// Our subscription for `source` (`None` also when its row is unreadable: logged,
    /// counted; the next subscription writes a fresh row).
    pub fn push_subscription(&self, source: &str) -> Result<Option<PushSubscription>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt(
                    "SELECT body FROM websub_sources WHERE source = $1",
                    &[&source],
                )
                .await?;
            Ok(row.and_then(|r| from_json("websub_sources", source, r.get(0))))
        })
    }

    pub fn put_push_subscription(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        let body = json(sub);
        self.run(async |c| {
            c.execute(
                "INSERT INTO websub_sources (source, body) VALUES ($1, $2)
                 ON CONFLICT (source) DO UPDATE SET body = excluded.body",
                &[&sub.source, &body],
            )
            .await?;
            Ok(())
        })
    }

    /// Change our subscription for `source` in place, if there is one (its row locked
    /// meanwhile; an unreadable row is removed, as sled's `fetch_and_update` does).
    pub fn update_push_subscription(
        &self,
        source: &str,
        change: impl Fn(&mut PushSubscription),
    ) -> Result<(), StoreError> {
        self.tx(async |tx| {
            let Some(row) = tx
                .query_opt(
                    "SELECT body FROM websub_sources WHERE source = $1 FOR UPDATE",
                    &[&source],
                )
                .await?
            else {
                return Ok(());
            };
            match from_json::<PushSubscription>("websub_sources", source, row.get(0)) {
                Some(mut sub) => {
                    change(&mut sub);
                    tx.execute(
                        "UPDATE websub_sources SET body = $2 WHERE source = $1",
                        &[&source, &json(&sub)],
                    )
                    .await?;
                }
                None => {
                    tx.execute("DELETE FROM websub_sources WHERE source = $1", &[&source])
                        .await?;
                }
            }
            Ok(())
        })
    }

    pub fn remove_push_subscription(&self, source: &str) -> Result<(), StoreError> {
        self.run(async |c| {
            c.execute("DELETE FROM websub_sources WHERE source = $1", &[&source])
                .await?;
            Ok(())
        })
    }

    /// Every subscription of ours to a source's hub, in key order.
    pub fn push_subscriptions(&self) -> Result<Vec<PushSubscription>, StoreError> {
        self.run(async |c| {
            let rows = c
                .query(
                    "SELECT source, body FROM websub_sources ORDER BY source COLLATE \"C\"",
                    &[],
                )
                .await?;
            Ok(decode_rows("websub_sources", rows))
        })
    }
}
