//! `tidings store export|import`: everything a store holds as a portable dump, to move an
//! installation between sled and PostgreSQL without losing its state.
//!
//! The dump is JSON lines: a header (`{"format":"tidings-store","version":1}`), then one
//! [`Record`] a line: its kind, its key fields and its value (the stored struct as JSON).
//! Records come grouped by kind in [`KINDS`] order, each kind in the byte order of its
//! key, so two dumps of the same data are equal line for line whichever backend wrote
//! them. Values are decoded into their structs on the way out: a value that no longer
//! decodes is logged, counted and left out (it would be skipped by every read anyway).
//!
//! What a dump leaves out: sled's schema marker and in-memory feed generations, and the
//! replicas' transient coordination in PostgreSQL (leases, job firings, pacing slots,
//! the replica list), which the next `tidings run` rebuilds.

use super::pg::Pg;
use super::{
    Delivery, DeliveryState, Held, HubSubscription, Incident, PushSubscription, SCHEMA, Sled,
    SourceState, Store, StoreError, Subscriber, Token, chats::ChatState, decode_or_skip, encode,
    interface::Backend, keys, outbox, printable_key,
};
use crate::model::Item;
use chrono::{DateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The dump format's name in the header line.
pub const DUMP_FORMAT: &str = "tidings-store";
/// The dump format's version: readers refuse a newer one.
pub const DUMP_VERSION: u32 = 1;

/// The first line of a dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

impl Header {
    pub fn current() -> Header {
        Header {
            format: DUMP_FORMAT.into(),
            version: DUMP_VERSION,
        }
    }
}

/// Every kind of record, in dump order.
pub const KINDS: &[&str] = &[
    "item",
    "gone",
    "source",
    "outbox",
    "delivery",
    "held",
    "subscriber",
    "token",
    "chat",
    "incident",
    "hub_subscription",
    "push_subscription",
    "quarantine",
];

/// One stored row. Key fields are those of the sled key and the PostgreSQL primary key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// An item ([`Item`], with its `first_seen`).
    Item {
        source: String,
        id: String,
        value: Value,
    },
    /// A tombstone: an item removed by retention, and when its source last listed it.
    Gone {
        source: String,
        id: String,
        listed: DateTime<Utc>,
    },
    /// What the daemon remembers about a source ([`SourceState`]).
    Source { source: String, value: Value },
    /// An outbox row ([`Delivery`]), due at `due`, `seq` within its batch.
    Outbox {
        id: String,
        due: DateTime<Utc>,
        seq: u32,
        value: Value,
    },
    /// A delivery's state ([`DeliveryState`]): the dedup index.
    Delivery { id: String, value: Value },
    /// An item held for a target's digest ([`Held`]); `target` is the target's key.
    Held {
        target: String,
        sort_time: i64,
        id: String,
        value: Value,
    },
    /// A subscriber ([`Subscriber`]); `address` is the key, in lower case.
    Subscriber {
        list: String,
        address: String,
        value: Value,
    },
    /// A token ([`Token`]).
    Token { token: String, value: Value },
    /// A chat or robot ([`ChatState`]); `target` is the target's key.
    Chat { target: String, value: Value },
    /// An open incident ([`Incident`]).
    Incident { key: String, value: Value },
    /// A WebSub subscriber of one of our feeds ([`HubSubscription`]).
    HubSubscription { id: String, value: Value },
    /// Our WebSub subscription to a source's hub ([`PushSubscription`]).
    PushSubscription { source: String, value: Value },
    /// A queue row that no longer decoded, kept for inspection as text (sled keys with
    /// bytes that are not text are written with `\xNN` escapes).
    Quarantine {
        table: String,
        key: String,
        value: String,
    },
}

impl Record {
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Item { .. } => "item",
            Record::Gone { .. } => "gone",
            Record::Source { .. } => "source",
            Record::Outbox { .. } => "outbox",
            Record::Delivery { .. } => "delivery",
            Record::Held { .. } => "held",
            Record::Subscriber { .. } => "subscriber",
            Record::Token { .. } => "token",
            Record::Chat { .. } => "chat",
            Record::Incident { .. } => "incident",
            Record::HubSubscription { .. } => "hub_subscription",
            Record::PushSubscription { .. } => "push_subscription",
            Record::Quarantine { .. } => "quarantine",
        }
    }

    /// The record's value decoded as what its kind stores, or why not (import refuses a
    /// record it could not read back).
    pub(crate) fn check(&self) -> Result<Checked, String> {
        fn as_<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
            T::deserialize(v).map_err(|e| e.to_string())
        }
        Ok(match self {
            Record::Item { value, .. } => Checked::Item(Box::new(as_::<Item>(value)?)),
            Record::Source { value, .. } => {
                as_::<SourceState>(value)?;
                Checked::Plain
            }
            Record::Outbox { value, .. } => Checked::Outbox(Box::new(as_::<Delivery>(value)?)),
            Record::Delivery { value, .. } => {
                as_::<DeliveryState>(value)?;
                Checked::Plain
            }
            Record::Held { value, .. } => {
                as_::<Held>(value)?;
                Checked::Plain
            }
            Record::Subscriber { value, .. } => {
                as_::<Subscriber>(value)?;
                Checked::Plain
            }
            Record::Token { value, .. } => {
                as_::<Token>(value)?;
                Checked::Plain
            }
            Record::Chat { value, .. } => {
                as_::<ChatState>(value)?;
                Checked::Plain
            }
            Record::Incident { value, .. } => {
                as_::<Incident>(value)?;
                Checked::Plain
            }
            Record::HubSubscription { value, .. } => {
                as_::<HubSubscription>(value)?;
                Checked::Plain
            }
            Record::PushSubscription { value, .. } => {
                as_::<PushSubscription>(value)?;
                Checked::Plain
            }
            Record::Gone { .. } | Record::Quarantine { .. } => Checked::Plain,
        })
    }
}

/// What an import needs beyond the record (columns derived from the value).
pub(crate) enum Checked {
    Plain,
    Item(Box<Item>),
    Outbox(Box<Delivery>),
}

/// Records per kind (in [`KINDS`] order when printed), and values left out because they
/// no longer decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DumpCounts {
    pub kinds: BTreeMap<&'static str, usize>,
    pub unreadable: usize,
}

impl DumpCounts {
    pub fn add(&mut self, kind: &'static str) {
        *self.kinds.entry(kind).or_default() += 1;
    }

    pub fn total(&self) -> usize {
        self.kinds.values().sum()
    }

    /// `12 item, 0 gone, …` in dump order, kinds with none left out.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = KINDS
            .iter()
            .filter_map(|k| self.kinds.get(k).map(|n| format!("{n} {k}")))
            .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A tombstone as sled stores it (see `retention`).
#[derive(Serialize, Deserialize)]
struct Tombstone {
    listed: DateTime<Utc>,
}

/// A decoded value back as JSON (so both backends write the same text for the same
/// data), or, when it did not decode, counted as unreadable.
fn counted<T: Serialize>(decoded: Option<T>, counts: &mut DumpCounts) -> Option<Value> {
    match decoded {
        Some(v) => Some(serde_json::to_value(v).expect("serialising a stored value")),
        None => {
            counts.unreadable += 1;
            None
        }
    }
}

/// A stored value decoded into `T` and back to JSON, or counted as unreadable.
fn normal<T: serde::de::DeserializeOwned + Serialize>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
    counts: &mut DumpCounts,
) -> Option<Value> {
    counted(decode_or_skip::<T>(tree, key, bytes), counts)
}

fn text(b: &[u8]) -> Option<String> {
    std::str::from_utf8(b).ok().map(str::to_owned)
}

/// Split `a 0 b` (items, gone, subscribers keys).
fn split_pair(key: &[u8]) -> Option<(String, String)> {
    let nul = key.iter().position(|&b| b == 0)?;
    Some((text(&key[..nul])?, text(&key[nul + 1..])?))
}

/// Split a `held` key: target, 0, sort time (8 bytes), id.
fn split_held(key: &[u8]) -> Option<(String, i64, String)> {
    let nul = key.iter().position(|&b| b == 0)?;
    let rest = &key[nul + 1..];
    let (ts, id) = rest.split_at_checked(8)?;
    let ts = (u64::from_be_bytes(ts.try_into().ok()?) ^ (1 << 63)) as i64;
    Some((text(&key[..nul])?, ts, text(id)?))
}

fn held_key(target: &str, sort_time: i64, id: &str) -> Vec<u8> {
    let mut k = target.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&keys::ts_bytes(sort_time));
    k.extend_from_slice(id.as_bytes());
    k
}

fn pair_key(a: &str, b: &str) -> Vec<u8> {
    let mut k = a.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

/// A key that does not split as its tree's layout: logged, counted, skipped.
fn bad_key(tree: &'static str, key: &[u8], counts: &mut DumpCounts) {
    let e = StoreError::Corrupt {
        tree,
        message: "the key does not have this tree's layout".into(),
    };
    super::unreadable(tree, key, &e);
    counts.unreadable += 1;
}

type Sink<'a> = dyn FnMut(Record) -> Result<(), StoreError> + 'a;

impl Sled {
    /// Every row, as records in dump order, to `sink`.
    pub fn export_rows(&self, sink: &mut Sink<'_>) -> Result<DumpCounts, StoreError> {
        let mut counts = DumpCounts::default();
        let mut emit = |r: Record, counts: &mut DumpCounts| {
            counts.add(r.kind());
            sink(r)
        };
        for entry in self.items.iter() {
            let (k, v) = entry?;
            let Some((source, id)) = split_pair(&k) else {
                bad_key("items", &k, &mut counts);
                continue;
            };
            // With its `content_text`, which the stored value may leave out.
            if let Some(value) = counted(super::decode_item(&k, &v), &mut counts) {
                emit(Record::Item { source, id, value }, &mut counts)?;
            }
        }
        for entry in self.gone.iter() {
            let (k, v) = entry?;
            let Some((source, id)) = split_pair(&k) else {
                bad_key("gone", &k, &mut counts);
                continue;
            };
            match decode_or_skip::<Tombstone>("gone", &k, &v) {
                Some(t) => emit(
                    Record::Gone {
                        source,
                        id,
                        // PostgreSQL keeps microseconds.
                        listed: t.listed.trunc_subsecs(6),
                    },
                    &mut counts,
                )?,
                None => counts.unreadable += 1,
            }
        }
        for entry in self.sources.iter() {
            let (k, v) = entry?;
            let Some(source) = text(&k) else {
                bad_key("sources", &k, &mut counts);
                continue;
            };
            if let Some(value) = normal::<SourceState>("sources", &k, &v, &mut counts) {
                emit(Record::Source { source, value }, &mut counts)?;
            }
        }
        for entry in self.outbox.iter() {
            let (k, v) = entry?;
            let (Some(due), Some(id)) = (outbox::outbox_due(&k), k.get(12..).and_then(text)) else {
                bad_key("outbox", &k, &mut counts);
                continue;
            };
            let seq = outbox::outbox_seq(&k);
            if let Some(value) = normal::<Delivery>("outbox", &k, &v, &mut counts) {
                emit(
                    Record::Outbox {
                        id,
                        due,
                        seq,
                        value,
                    },
                    &mut counts,
                )?;
            }
        }
        for entry in self.deliveries.iter() {
            let (k, v) = entry?;
            let Some(id) = text(&k) else {
                bad_key("deliveries", &k, &mut counts);
                continue;
            };
            if let Some(value) = normal::<DeliveryState>("deliveries", &k, &v, &mut counts) {
                emit(Record::Delivery { id, value }, &mut counts)?;
            }
        }
        for entry in self.held.iter() {
            let (k, v) = entry?;
            let Some((target, sort_time, id)) = split_held(&k) else {
                bad_key("held", &k, &mut counts);
                continue;
            };
            if let Some(value) = normal::<Held>("held", &k, &v, &mut counts) {
                let r = Record::Held {
                    target,
                    sort_time,
                    id,
                    value,
                };
                emit(r, &mut counts)?;
            }
        }
        for entry in self.subscribers.iter() {
            let (k, v) = entry?;
            let Some((list, address)) = split_pair(&k) else {
                bad_key("subscribers", &k, &mut counts);
                continue;
            };
            if let Some(value) = normal::<Subscriber>("subscribers", &k, &v, &mut counts) {
                let r = Record::Subscriber {
                    list,
                    address,
                    value,
                };
                emit(r, &mut counts)?;
            }
        }
        macro_rules! simple {
            ($tree:ident, $name:literal, $ty:ty, $make:expr) => {
                for entry in self.$tree.iter() {
                    let (k, v) = entry?;
                    let Some(key) = text(&k) else {
                        bad_key($name, &k, &mut counts);
                        continue;
                    };
                    if let Some(value) = normal::<$ty>($name, &k, &v, &mut counts) {
                        emit($make(key, value), &mut counts)?;
                    }
                }
            };
        }
        simple!(tokens, "tokens", Token, |token, value| Record::Token {
            token,
            value
        });
        simple!(chats, "chats", ChatState, |target, value| Record::Chat {
            target,
            value
        });
        simple!(alerts, "alerts", Incident, |key, value| Record::Incident {
            key,
            value
        });
        simple!(websub_hub, "websub_hub", HubSubscription, |id, value| {
            Record::HubSubscription { id, value }
        });
        simple!(
            websub_sources,
            "websub_sources",
            PushSubscription,
            |source, value| Record::PushSubscription { source, value }
        );
        let mut quarantined = Vec::new();
        for entry in self.quarantine.iter() {
            let (k, v) = entry?;
            let nul = k.iter().position(|&b| b == 0).unwrap_or(k.len());
            let value = match v.split_first() {
                Some((&SCHEMA, rest)) => rest,
                _ => &v[..],
            };
            quarantined.push(Record::Quarantine {
                table: String::from_utf8_lossy(&k[..nul]).into_owned(),
                key: printable_key(k.get(nul + 1..).unwrap_or_default()),
                value: String::from_utf8_lossy(value).into_owned(),
            });
        }
        // Escaped keys sort as text, like PostgreSQL's.
        quarantined.sort_by(|a, b| quarantine_order(a).cmp(&quarantine_order(b)));
        for r in quarantined {
            emit(r, &mut counts)?;
        }
        Ok(counts)
    }

    /// What the store holds, per kind (kinds with none left out).
    pub fn holdings(&self) -> Result<Vec<(&'static str, usize)>, StoreError> {
        let trees = [
            ("item", &self.items),
            ("gone", &self.gone),
            ("source", &self.sources),
            ("outbox", &self.outbox),
            ("delivery", &self.deliveries),
            ("held", &self.held),
            ("subscriber", &self.subscribers),
            ("token", &self.tokens),
            ("chat", &self.chats),
            ("incident", &self.alerts),
            ("hub_subscription", &self.websub_hub),
            ("push_subscription", &self.websub_sources),
            ("quarantine", &self.quarantine),
        ];
        Ok(trees
            .into_iter()
            .map(|(k, t)| (k, t.len()))
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    /// Write `records` (checked already), one sled batch per tree, then flush.
    fn import_rows(&self, records: &[(Record, Checked)]) -> Result<(), StoreError> {
        let mut batches: BTreeMap<&'static str, sled::Batch> = BTreeMap::new();
        let mut items_recent = sled::Batch::default();
        let mut items_ranks = sled::Batch::default();
        for (r, checked) in records {
            let kind = r.kind();
            let b = batches.entry(kind).or_default();
            let bytes = |v: &Value| {
                let mut out = vec![SCHEMA];
                serde_json::to_writer(&mut out, v).expect("serialising a JSON value");
                out
            };
            match (r, checked) {
                (Record::Item { source, id, value }, Checked::Item(item)) => {
                    b.insert(keys::item_key(source, id), bytes(value));
                    items_recent.insert(keys::recent_key(item.sort_time(), source, id), &[]);
                    items_ranks.insert(
                        keys::item_key(source, id),
                        &super::ranks::Rank::of(item).to_bytes()[..],
                    );
                }
                (Record::Gone { source, id, listed }, _) => {
                    b.insert(pair_key(source, id), encode(&Tombstone { listed: *listed }))
                }
                (Record::Source { source, value }, _) => b.insert(source.as_bytes(), bytes(value)),
                (
                    Record::Outbox {
                        id,
                        due,
                        seq,
                        value,
                    },
                    _,
                ) => b.insert(outbox::outbox_key(*due, *seq, id), bytes(value)),
                (Record::Delivery { id, value }, _) => b.insert(id.as_bytes(), bytes(value)),
                (
                    Record::Held {
                        target,
                        sort_time,
                        id,
                        value,
                    },
                    _,
                ) => b.insert(held_key(target, *sort_time, id), bytes(value)),
                (
                    Record::Subscriber {
                        list,
                        address,
                        value,
                    },
                    _,
                ) => b.insert(pair_key(list, &address.to_lowercase()), bytes(value)),
                (Record::Token { token: k, value }, _)
                | (Record::Chat { target: k, value }, _)
                | (Record::Incident { key: k, value }, _)
                | (Record::HubSubscription { id: k, value }, _)
                | (Record::PushSubscription { source: k, value }, _) => {
                    b.insert(k.as_bytes(), bytes(value))
                }
                (Record::Quarantine { table, key, value }, _) => {
                    let mut v = vec![SCHEMA];
                    v.extend_from_slice(value.as_bytes());
                    b.insert(pair_key(table, key), v)
                }
                (Record::Item { .. }, _) => unreachable!("items are checked into Checked::Item"),
            }
        }
        for (kind, batch) in batches {
            let tree = match kind {
                "item" => &self.items,
                "gone" => &self.gone,
                "source" => &self.sources,
                "outbox" => &self.outbox,
                "delivery" => &self.deliveries,
                "held" => &self.held,
                "subscriber" => &self.subscribers,
                "token" => &self.tokens,
                "chat" => &self.chats,
                "incident" => &self.alerts,
                "hub_subscription" => &self.websub_hub,
                "push_subscription" => &self.websub_sources,
                _ => &self.quarantine,
            };
            tree.apply_batch(batch)?;
        }
        self.recent.apply_batch(items_recent)?;
        self.ranks.apply_batch(items_ranks)?;
        self.db.flush()?;
        Ok(())
    }
}

fn quarantine_order(r: &Record) -> (&str, &str, &str) {
    match r {
        Record::Quarantine { table, key, value } => (table, key, value),
        _ => ("", "", ""),
    }
}

/// Per kind: the SQL reading it in dump order (key columns, then the value), and the
/// table's name for the unreadable-row count.
const PG_EXPORT: &[(&str, &str, &str)] = &[
    (
        "item",
        "items",
        "SELECT source, id, body FROM items ORDER BY source COLLATE \"C\", id COLLATE \"C\"",
    ),
    (
        "gone",
        "gone",
        "SELECT source, id, listed FROM gone ORDER BY source COLLATE \"C\", id COLLATE \"C\"",
    ),
    (
        "source",
        "sources",
        "SELECT source, state FROM sources ORDER BY source COLLATE \"C\"",
    ),
    (
        "outbox",
        "outbox",
        "SELECT id, due, seq, body FROM outbox ORDER BY due, seq, id COLLATE \"C\"",
    ),
    (
        "delivery",
        "deliveries",
        "SELECT id, state FROM deliveries ORDER BY id COLLATE \"C\"",
    ),
    (
        "held",
        "held",
        "SELECT target, sort_time, id, body FROM held
         ORDER BY target COLLATE \"C\", sort_time, id COLLATE \"C\"",
    ),
    (
        "subscriber",
        "subscribers",
        "SELECT list, address, body FROM subscribers
         ORDER BY list COLLATE \"C\", address COLLATE \"C\"",
    ),
    (
        "token",
        "tokens",
        "SELECT token, body FROM tokens ORDER BY token COLLATE \"C\"",
    ),
    (
        "chat",
        "chats",
        "SELECT target, body FROM chats ORDER BY target COLLATE \"C\"",
    ),
    (
        "incident",
        "incidents",
        "SELECT key, body FROM incidents ORDER BY key COLLATE \"C\"",
    ),
    (
        "hub_subscription",
        "websub_hub",
        "SELECT id, body FROM websub_hub ORDER BY id COLLATE \"C\"",
    ),
    (
        "push_subscription",
        "websub_sources",
        "SELECT source, body FROM websub_sources ORDER BY source COLLATE \"C\"",
    ),
    (
        "quarantine",
        "quarantine",
        "SELECT tbl, key, value FROM quarantine
         ORDER BY tbl COLLATE \"C\", key COLLATE \"C\", value COLLATE \"C\"",
    ),
];

/// A jsonb value decoded into `T` and back (the same text as sled's export), or counted.
fn pg_normal<T: serde::de::DeserializeOwned + Serialize>(
    table: &'static str,
    key: &str,
    v: Value,
    counts: &mut DumpCounts,
) -> Option<Value> {
    counted(super::pg::from_json::<T>(table, key, v), counts)
}

/// One PostgreSQL row as a record (`None`: unreadable, counted).
fn pg_record(
    kind: &str,
    table: &'static str,
    row: &tokio_postgres::Row,
    counts: &mut DumpCounts,
) -> Option<Record> {
    let s = |i: usize| row.get::<_, String>(i);
    Some(match kind {
        "item" => {
            let (source, id) = (s(0), s(1));
            let value = pg_normal::<Item>(table, &format!("{source}/{id}"), row.get(2), counts)?;
            Record::Item { source, id, value }
        }
        "gone" => Record::Gone {
            source: s(0),
            id: s(1),
            listed: row.get(2),
        },
        "source" => {
            let source = s(0);
            let value = pg_normal::<SourceState>(table, &source, row.get(1), counts)?;
            Record::Source { source, value }
        }
        "outbox" => {
            let id = s(0);
            let seq: i32 = row.get(2);
            let value = pg_normal::<Delivery>(table, &id, row.get(3), counts)?;
            Record::Outbox {
                id,
                due: row.get(1),
                seq: seq.max(0) as u32,
                value,
            }
        }
        "delivery" => {
            let id = s(0);
            let value = pg_normal::<DeliveryState>(table, &id, row.get(1), counts)?;
            Record::Delivery { id, value }
        }
        "held" => {
            let (target, id) = (s(0), s(2));
            let value = pg_normal::<Held>(table, &id, row.get(3), counts)?;
            Record::Held {
                target,
                sort_time: row.get(1),
                id,
                value,
            }
        }
        "subscriber" => {
            let (list, address) = (s(0), s(1));
            let key = format!("{list}/{address}");
            let value = pg_normal::<Subscriber>(table, &key, row.get(2), counts)?;
            Record::Subscriber {
                list,
                address,
                value,
            }
        }
        "token" => {
            let token = s(0);
            let value = pg_normal::<Token>(table, &token, row.get(1), counts)?;
            Record::Token { token, value }
        }
        "chat" => {
            let target = s(0);
            let value = pg_normal::<ChatState>(table, &target, row.get(1), counts)?;
            Record::Chat { target, value }
        }
        "incident" => {
            let key = s(0);
            let value = pg_normal::<Incident>(table, &key, row.get(1), counts)?;
            Record::Incident { key, value }
        }
        "hub_subscription" => {
            let id = s(0);
            let value = pg_normal::<HubSubscription>(table, &id, row.get(1), counts)?;
            Record::HubSubscription { id, value }
        }
        "push_subscription" => {
            let source = s(0);
            let value = pg_normal::<PushSubscription>(table, &source, row.get(1), counts)?;
            Record::PushSubscription { source, value }
        }
        _ => Record::Quarantine {
            table: s(0),
            key: s(1),
            value: s(2),
        },
    })
}

impl Pg {
    /// Every row, as records in dump order, to `sink`: one read-only snapshot, so a
    /// running daemon's writes meanwhile land wholly before or after it.
    pub fn export_rows(&self, sink: &mut Sink<'_>) -> Result<DumpCounts, StoreError> {
        use futures_util::StreamExt;
        self.run(async |c| {
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let mut counts = DumpCounts::default();
            for &(kind, table, sql) in PG_EXPORT {
                let no_params = std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>();
                let rows = tx.query_raw(sql, no_params).await?;
                let mut rows = std::pin::pin!(rows);
                while let Some(row) = rows.next().await {
                    let row = row?;
                    if let Some(r) = pg_record(kind, table, &row, &mut counts) {
                        counts.add(r.kind());
                        sink(r)?;
                    }
                }
            }
            tx.commit().await?;
            Ok(counts)
        })
    }

    /// What the database holds, per kind (kinds with none left out).
    pub fn holdings(&self) -> Result<Vec<(&'static str, usize)>, StoreError> {
        self.run(async |c| {
            let mut out = Vec::new();
            for &(kind, table, _) in PG_EXPORT {
                let n: i64 = c
                    .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                    .await?
                    .get(0);
                if n > 0 {
                    out.push((kind, n as usize));
                }
            }
            Ok(out)
        })
    }

    /// Write `records` (checked already) in one transaction; a record whose key exists
    /// replaces that row.
    fn import_rows(&self, records: &[(Record, Checked)]) -> Result<(), StoreError> {
        self.tx(async |tx| {
            for (r, checked) in records {
                match (r, checked) {
                    (Record::Item { source, id, value }, Checked::Item(item)) => {
                        tx.execute(
                            "INSERT INTO items (source, id, sort_time, first_seen, body)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (source, id) DO UPDATE SET sort_time = excluded.sort_time,
                               first_seen = excluded.first_seen, body = excluded.body",
                            &[source, id, &item.sort_time(), &item.first_seen, value],
                        )
                        .await?;
                        tx.execute(
                            "UPDATE sources SET generation = generation + 1 WHERE source = $1",
                            &[source],
                        )
                        .await?;
                    }
                    (Record::Gone { source, id, listed }, _) => {
                        tx.execute(
                            "INSERT INTO gone (source, id, listed) VALUES ($1, $2, $3)
                             ON CONFLICT (source, id) DO UPDATE SET listed = excluded.listed",
                            &[source, id, listed],
                        )
                        .await?;
                    }
                    (Record::Source { source, value }, _) => {
                        tx.execute(
                            "INSERT INTO sources (source, state) VALUES ($1, $2)
                             ON CONFLICT (source) DO UPDATE SET state = excluded.state,
                               generation = sources.generation + 1",
                            &[source, value],
                        )
                        .await?;
                    }
                    (Record::Outbox { id, due, seq, value }, Checked::Outbox(d)) => {
                        let seq = i32::try_from(*seq).unwrap_or(i32::MAX);
                        tx.execute(
                            "INSERT INTO outbox (id, target, due, seq, body)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (id) DO UPDATE SET target = excluded.target,
                               due = excluded.due, seq = excluded.seq, body = excluded.body",
                            &[id, &d.target.key(), due, &seq, value],
                        )
                        .await?;
                    }
                    (Record::Delivery { id, value }, _) => {
                        tx.execute(
                            "INSERT INTO deliveries (id, state) VALUES ($1, $2)
                             ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                            &[id, value],
                        )
                        .await?;
                    }
                    (
                        Record::Held {
                            target,
                            sort_time,
                            id,
                            value,
                        },
                        _,
                    ) => {
                        tx.execute(
                            "INSERT INTO held (target, sort_time, id, body) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (target, sort_time, id) DO UPDATE SET body = excluded.body",
                            &[target, sort_time, id, value],
                        )
                        .await?;
                    }
                    (
                        Record::Subscriber {
                            list,
                            address,
                            value,
                        },
                        _,
                    ) => {
                        tx.execute(
                            "INSERT INTO subscribers (list, address, body) VALUES ($1, $2, $3)
                             ON CONFLICT (list, address) DO UPDATE SET body = excluded.body",
                            &[list, &address.to_lowercase(), value],
                        )
                        .await?;
                    }
                    (Record::Quarantine { table, key, value }, _) => {
                        tx.execute(
                            // No key of its own: an import over a store that holds the
                            // row already (`--force`) must not add it twice.
                            "INSERT INTO quarantine (tbl, key, value)
                             SELECT $1::text, $2::text, $3::text
                             WHERE NOT EXISTS (SELECT 1 FROM quarantine
                                 WHERE tbl = $1::text AND key = $2::text AND value = $3::text)",
                            &[table, key, value],
                        )
                        .await?;
                    }
                    (r, _) => {
                        let (table, column, key, value) = match r {
                            Record::Token { token, value } => ("tokens", "token", token, value),
                            Record::Chat { target, value } => ("chats", "target", target, value),
                            Record::Incident { key, value } => ("incidents", "key", key, value),
                            Record::HubSubscription { id, value } => {
                                ("websub_hub", "id", id, value)
                            }
                            Record::PushSubscription { source, value } => {
                                ("websub_sources", "source", source, value)
                            }
                            _ => unreachable!("items and outbox rows are checked with their struct"),
                        };
                        tx.execute(
                            &format!(
                                "INSERT INTO {table} ({column}, body) VALUES ($1, $2)
                                 ON CONFLICT ({column}) DO UPDATE SET body = excluded.body"
                            ),
                            &[key, value],
                        )
                        .await?;
                    }
                }
            }
            Ok(())
        })
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{line}: {message}")]
    Record { line: usize, message: String },
}

impl Store {
    /// Every row the store holds, as records in dump order (see [`KINDS`]), to `sink`.
    pub fn export_rows(&self, sink: &mut Sink<'_>) -> Result<DumpCounts, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.export_rows(sink),
            Backend::Postgres(p) => p.export_rows(sink),
        }
    }

    /// What the store holds, per kind with any (empty: nothing), so that an import can
    /// refuse a store in use and say what is in it.
    pub fn holdings(&self) -> Result<Vec<(&'static str, usize)>, StoreError> {
        match &self.backend {
            Backend::Sled(s) => s.holdings(),
            Backend::Postgres(p) => p.holdings(),
        }
    }

    /// Write `records` (with the line each came from) as one batch: one sled batch per
    /// tree, or one PostgreSQL transaction. Every record is checked first (its value must
    /// decode as what its kind stores): a bad one names its line and writes nothing.
    pub fn import_rows(&self, records: Vec<(usize, Record)>) -> Result<DumpCounts, ImportError> {
        let mut counts = DumpCounts::default();
        let mut checked = Vec::with_capacity(records.len());
        for (line, r) in records {
            match r.check() {
                Ok(c) => {
                    counts.add(r.kind());
                    checked.push((r, c));
                }
                Err(message) => {
                    return Err(ImportError::Record {
                        line,
                        message: format!(
                            "a {} record whose value does not read: {message}",
                            r.kind()
                        ),
                    });
                }
            }
        }
        match &self.backend {
            Backend::Sled(s) => s.import_rows(&checked)?,
            Backend::Postgres(p) => p.import_rows(&checked)?,
        }
        Ok(counts)
    }
}

impl Store {
    /// `tidings migrate` on the PostgreSQL database at `url`: apply the migrations it
    /// lacks (replicas doing the same at once wait on the migration lock, and find
    /// nothing left to do). Returns the schema version before and after.
    pub fn migrate_url(url: &str) -> Result<(i32, i32), StoreError> {
        let pg = Pg::open(url)?;
        let before = pg.schema_version()?;
        pg.migrate()?;
        Ok((before, pg.schema_version()?))
    }

    /// The newest schema version this build knows.
    pub fn schema_known() -> i32 {
        super::pg::newest_schema()
    }
}
