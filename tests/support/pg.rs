//! A PostgreSQL server for the tests, and a fresh database on it for each test.
//!
//! The server is `$TIDINGS_POSTGRES_URL` (`.ci/run` starts one with
//! `scripts/pg-throwaway.sh`); without it, the first test that asks starts a throwaway
//! cluster with the same script, once per test process, in a temporary directory. A
//! watchdog started with it stops it and removes the directory once the test process is
//! gone, however it ends.
//!
//! A test that calls [`database`] carries `#[cfg_attr(no_postgres, ignore = "needs
//! PostgreSQL")]`: where `build.rs` found neither the variable nor the binaries it is built
//! ignored. If it runs all the same (`TIDINGS_REQUIRE_TOOLS=1`, or the binaries went
//! away), it fails naming what is missing: a test that cannot run must not pass.

use super::probe;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long connecting and creating a database may take before the test fails (a hang
/// guard for a loaded machine, not a speed check).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The server's URL (its maintenance database), started on first use when
/// `$TIDINGS_POSTGRES_URL` is unset. A failure to start is reported to every test that
/// asks, without trying again.
pub fn server() -> String {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| probe::postgres_url().map(Ok).unwrap_or_else(start_own))
        .clone()
        .unwrap_or_else(|e| panic!("no PostgreSQL server for the tests: {e}"))
}

/// A new, empty database on [`server`], uniquely named, and its URL. Databases are not
/// dropped: the throwaway cluster goes as a whole. On a server of your own, they are the
/// ones named `tidings_test_*`.
pub fn database() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let server = server();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!(
        "tidings_test_{}_{nanos}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let mut url = url::Url::parse(&server)
        .unwrap_or_else(|e| panic!("{}: not a URL: {e}", probe::POSTGRES_URL));
    run(&server, &format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("creating database {name} on {}: {e}", redacted(&server)));
    url.set_path(&format!("/{name}"));
    url.into()
}

/// Run one statement on the database at `url`, on a thread of its own: the caller may be
/// a `#[tokio::test]`, where blocking on another runtime would panic.
pub fn run(url: &str, statement: &str) -> Result<(), String> {
    let (url, statement) = (url.to_string(), statement.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let work = async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("cannot connect: {}", error_text(&e)))?;
                let connection = tokio::spawn(connection);
                let result = client.batch_execute(&statement).await;
                drop(client);
                let _ = connection.await;
                result.map_err(|e| error_text(&e))
            };
            tokio::time::timeout(HANG_GUARD, work)
                .await
                .map_err(|_| format!("no answer in {HANG_GUARD:?}"))?
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the connection thread panicked".into()))
}

/// The server's own message where there is one (`Display` says only "db error").
fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

/// Start a throwaway cluster watched by this process, with `scripts/pg-throwaway.sh`.
fn start_own() -> Result<String, String> {
    let bindir = probe::postgres_bindir()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway.sh");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // Short: the Unix socket lives in it, and socket paths are limited to ~100 bytes.
    let dir = std::env::temp_dir().join(format!("tidings-pg-{}-{nanos}", std::process::id()));
    let out = Command::new("bash")
        .arg(script)
        .arg("start")
        .arg(&dir)
        .args(["--watch", &std::process::id().to_string()])
        .env(probe::PG_BIN, &bindir)
        .output()
        .map_err(|e| format!("{script}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} start {} failed ({}): {}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    eprintln!(
        "tests: started a throwaway PostgreSQL at {url} in {} (set {} to use your own)",
        dir.display(),
        probe::POSTGRES_URL
    );
    Ok(url)
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.into()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}
