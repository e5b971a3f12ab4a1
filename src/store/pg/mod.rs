//! The PostgreSQL backend of [`super::Store`], for installations that outgrow one
//! process: any number of `tidings run` replicas share one database.
//!
//! - **Schema**: versioned migrations in `migrations/` (embedded), applied at start-up and
//!   by `tidings migrate`, under an advisory lock so replicas starting together apply
//!   each once. A database newer than this build is refused.
//! - **Dedup** by unique keys (`INSERT … ON CONFLICT`); an item and its deliveries are
//!   one transaction, as with sled.
//! - **Sharing the work**: outbox rows and poll and digest firings are claimed with
//!   `SELECT … FOR UPDATE SKIP LOCKED` and a lease (claimed by, lease until); a replica
//!   that dies loses its lease and another takes the work once it expires.
//! - **Values** are the same serde structs as in sled, as `jsonb`; a row that no longer
//!   decodes is logged, counted in `tidings_store_unreadable_total` and skipped.
//!
//! The store's interface is synchronous (sled answers in microseconds). Here each call
//! blocks its thread on a round trip to the server: the connections run on a small
//! runtime of their own, so a call works from any thread, inside the daemon's runtime or
//! not, and never needs the caller's reactor.

mod items;
mod outbox;
mod people;

use super::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio_postgres::{Client, Config, Transaction};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The schema, oldest first: (version, name, SQL). Never edit a released migration; add
/// the next one.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "data", include_str!("../../../migrations/0001_data.sql")),
    (
        2,
        "replicas",
        include_str!("../../../migrations/0002_replicas.sql"),
    ),
    (
        3,
        "outbox_claims",
        include_str!("../../../migrations/0003_outbox_claims.sql"),
    ),
];

/// The newest schema version this build knows.
pub fn newest_schema() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Key of the advisory lock held while migrating (any constant unlikely to collide).
const MIGRATION_LOCK: i64 = 0x7469_6469_6e67_7301;
/// Idle connections kept for reuse.
const IDLE_CONNECTIONS: usize = 8;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// No statement may run longer: a hung server must not hang the daemon for ever.
const STATEMENT_TIMEOUT_MS: u32 = 60_000;

/// The PostgreSQL backend.
pub struct Pg {
    /// Runs the connections' I/O; shut down without waiting on drop.
    rt: Option<tokio::runtime::Runtime>,
    config: Config,
    tls: MakeRustlsConnect,
    idle: Mutex<Vec<Client>>,
    replica: String,
    shown: String,
}

impl Pg {
    /// Connect to `url`, and migrate the schema to this build's version.
    pub fn connect(url: &str) -> Result<Pg, StoreError> {
        let pg = Pg::open(url)?;
        pg.migrate()?;
        Ok(pg)
    }

    /// Connect to `url` and leave the schema as it is (`tidings migrate` shows the
    /// version before migrating).
    pub fn open(url: &str) -> Result<Pg, StoreError> {
        let shown = crate::config::redact_store_url(url);
        let mut config: Config = url.parse().map_err(|e| StoreError::Connect {
            url: shown.clone(),
            message: format!("{e}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.options(format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        config.application_name("tidings");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tidings-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Connect {
                url: shown.clone(),
                message: format!("cannot start the database runtime: {e}"),
            })?;
        let pg = Pg {
            rt: Some(rt),
            config,
            tls: MakeRustlsConnect::new(tls_config()),
            idle: Mutex::new(Vec::new()),
            replica: replica_name(),
            shown,
        };
        // The first connection now: a wrong URL or password fails here, not later.
        drop(pg.conn()?);
        Ok(pg)
    }

    /// The server and database, without the password.
    pub fn describe(&self) -> &str {
        &self.shown
    }

    /// This process's name among the replicas.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Open a new connection (on the backend's runtime).
    fn open_connection(&self) -> Result<Client, StoreError> {
        let rt = self.rt.as_ref().expect("runtime lives until drop");
        let config = self.config.clone();
        let tls = self.tls.clone();
        let task = rt.spawn(async move {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "PostgreSQL connection ended");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        match block_on(task) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(StoreError::Connect {
                url: self.shown.clone(),
                message: error_text(&e),
            }),
            Err(e) => Err(StoreError::Connect {
                url: self.shown.clone(),
                message: format!("connection task failed: {e}"),
            }),
        }
    }

    /// A connection from the pool (opened when none is idle), returned on drop.
    fn conn(&self) -> Result<Conn<'_>, StoreError> {
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            std::iter::from_fn(|| idle.pop()).find(|c| !c.is_closed())
        };
        let client = match reused {
            Some(c) => c,
            None => self.open_connection()?,
        };
        Ok(Conn {
            pg: self,
            client: Some(client),
        })
    }

    /// Run `work` on a pooled connection, blocking this thread until it is done.
    pub(super) fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        block_on(work(conn.client()))
    }

    /// Run `work` in one transaction (committed when it returns `Ok`, rolled back
    /// otherwise). A serialisation failure or deadlock runs it again, a few times.
    pub(super) fn tx<T>(
        &self,
        work: impl AsyncFn(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let client = conn.client();
        block_on(async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let tx = client.transaction().await?;
                let result = match work(&tx).await {
                    Ok(v) => tx.commit().await.map(|_| v).map_err(StoreError::from),
                    Err(e) => Err(e),
                };
                match result {
                    Err(StoreError::Postgres { retry: true, .. }) if attempt < 5 => continue,
                    other => return other,
                }
            }
        })
    }

    /// Apply the migrations this database lacks, each in its own transaction, under an
    /// advisory lock (replicas starting together wait for the first).
    pub fn migrate(&self) -> Result<Vec<i32>, StoreError> {
        self.migrate_to(i32::MAX)
    }

    /// [`Pg::migrate`] up to `version` only (tests start from an older schema).
    pub fn migrate_to(&self, version: i32) -> Result<Vec<i32>, StoreError> {
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        self.run(async |c| {
            c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            let result = async {
                c.batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())",
                )
                .await?;
                let found: Option<i32> = c
                    .query_one("SELECT max(version) FROM schema_migrations", &[])
                    .await?
                    .get(0);
                let found = found.unwrap_or(0);
                if found > newest {
                    return Err(StoreError::SchemaAhead {
                        found,
                        known: newest,
                    });
                }
                let mut applied = Vec::new();
                for (v, name, sql) in MIGRATIONS {
                    if *v <= found || *v > version {
                        continue;
                    }
                    let tx = c.transaction().await?;
                    tx.batch_execute(sql).await?;
                    tx.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        &[v, name],
                    )
                    .await?;
                    tx.commit().await?;
                    tracing::info!(version = v, name, "database migrated");
                    applied.push(*v);
                }
                Ok(applied)
            }
            .await;
            c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
                .await?;
            result
        })
    }

    /// The schema version of the database (0 when it has none yet).
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        self.run(async |c| {
            // A database never migrated has no table to ask (the name would not parse).
            let table: bool = c
                .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
                .await?
                .get(0);
            if !table {
                return Ok(0);
            }
            let row = c
                .query_one(
                    "SELECT coalesce((SELECT max(version) FROM schema_migrations), 0)",
                    &[],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    /// Whether the database answers (for `/healthz`).
    pub fn check(&self) -> Result<(), StoreError> {
        self.run(async |c| {
            c.query_one("SELECT 1", &[]).await?;
            Ok(())
        })
    }

    /// Nothing to do: every write was committed when it returned.
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The database's size on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.run(async |c| {
            let n: i64 = c
                .query_one("SELECT pg_database_size(current_database())", &[])
                .await?
                .get(0);
            Ok(n.max(0) as u64)
        })
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A pooled connection; back to the pool on drop unless it broke.
struct Conn<'a> {
    pg: &'a Pg,
    client: Option<Client>,
}

impl Conn<'_> {
    fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take()
            && !c.is_closed()
        {
            let mut idle = self.pg.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(c);
            }
        }
    }
}

/// TLS for `sslmode=prefer|require`: rustls with the Mozilla roots (no OpenSSL).
fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// `host:pid:random`: unique among the replicas, readable on the status page.
fn replica_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!(
        "{host}:{}:{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

/// The server's message, with its detail and hint when it gave them.
fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            s
        }
        None => match std::error::Error::source(e) {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        use tokio_postgres::error::SqlState;
        let retry = e.code().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        });
        StoreError::Postgres {
            message: error_text(&e),
            retry,
        }
    }
}

/// A value as stored in a `jsonb` column.
pub(super) fn json<T: Serialize>(v: &T) -> serde_json::Value {
    // Serialising our own plain structs cannot fail.
    serde_json::to_value(v).expect("serialising a stored value")
}

/// A `jsonb` value read back, or (logged and counted, like sled's unreadable values)
/// `None` when it no longer decodes.
pub(super) fn from_json<T: DeserializeOwned>(
    table: &'static str,
    key: &str,
    value: serde_json::Value,
) -> Option<T> {
    match serde_json::from_value(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let error = StoreError::Corrupt {
                tree: table,
                message: e.to_string(),
            };
            super::unreadable(table, key.as_bytes(), &error);
            None
        }
    }
}

/// Drive `f` to completion on this thread. The futures it polls only talk to the
/// connection tasks over channels, so no reactor is needed here, and blocking is allowed
/// whether or not this thread belongs to a runtime.
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
