//! `tidings migrate` and `tidings store export|import`: upgrading a PostgreSQL schema,
//! and moving an installation between sled and PostgreSQL (see `store::dump`).

use super::{StoreCommand, load_config};
use crate::config::Config;
use crate::store::dump::ImportError;
use crate::store::dump::{DUMP_FORMAT, DUMP_VERSION, DumpCounts, Header, Record};
use crate::store::{Store, StoreError};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// Records written per batch (one PostgreSQL transaction, one sled batch per tree).
const BATCH: usize = 500;

/// `tidings migrate`: apply the pending migrations of `[store] url`, and say the schema
/// version before and after.
pub(super) fn migrate(config: &Config) -> anyhow::Result<i32> {
    let Some(url) = &config.store.url else {
        println!(
            "nothing to migrate: this configuration uses sled in {} (its format needs no migration)",
            config.daemon.data_dir.display()
        );
        return Ok(0);
    };
    let shown = crate::config::redact_store_url(url.expose());
    let (before, after) = Store::migrate_url(url.expose())?;
    if before == after {
        println!("{shown}: schema version {after}, up to date");
    } else {
        println!("{shown}: schema version {before} -> {after}");
    }
    Ok(0)
}

pub(super) async fn run(what: StoreCommand) -> anyhow::Result<i32> {
    match what {
        StoreCommand::Export { file, config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            export(&config, &file)
        }
        StoreCommand::Import {
            file,
            config,
            force,
        } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            import(&config, &file, force)
        }
    }
}

/// Write every row of the configured store to `file` (through a temporary file, so a
/// failed export never leaves a truncated dump under the name asked for).
fn export(config: &Config, file: &Path) -> anyhow::Result<i32> {
    let store = Store::open_configured(config)?;
    let tmp = file.with_extension("partial");
    let out = std::fs::File::create(&tmp).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
    let mut out = BufWriter::new(out);
    // A write error stops the export; it is reported as itself, not as a store error.
    let mut failed: Option<std::io::Error> = None;
    let header = line(&mut out, &Header::current());
    let counts = match header {
        Err(e) => Err(e),
        Ok(()) => {
            let result = store.export_rows(&mut |r: Record| {
                line(&mut out, &r).map_err(|e| {
                    let stop = StoreError::Corrupt {
                        tree: "dump",
                        message: e.to_string(),
                    };
                    failed = Some(e);
                    stop
                })
            });
            match (result, failed.take()) {
                (_, Some(e)) => Err(e),
                (Err(e), None) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
                (Ok(c), None) => out.flush().map(|_| c),
            }
        }
    };
    let counts = match counts {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("writing {}: {e}", tmp.display());
        }
    };
    drop(out);
    std::fs::rename(&tmp, file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!(
        "exported {} records from {} to {}: {}",
        counts.total(),
        store.describe(),
        file.display(),
        counts.summary()
    );
    if counts.unreadable > 0 {
        println!(
            "left out {} stored values that no longer decode (the daemon skips them too; see the log above)",
            counts.unreadable
        );
    }
    Ok(0)
}

/// Each record of a dump with its line number, after the header; the first bad line
/// stops it with `FILE:LINE:COL: message`.
fn records(file: &Path) -> anyhow::Result<impl Iterator<Item = anyhow::Result<(usize, Record)>>> {
    let f = std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut lines = BufReader::new(f).lines().enumerate();
    let name = file.display().to_string();
    let at =
        move |line: usize, col: usize, msg: String| anyhow::anyhow!("{name}:{line}:{col}: {msg}");
    let header = match lines.next() {
        Some((_, Ok(l))) => l,
        Some((_, Err(e))) => return Err(at(1, 1, e.to_string())),
        None => return Err(at(1, 1, "empty file: not a tidings store dump".into())),
    };
    let header: Header = serde_json::from_str(&header).map_err(|e| {
        at(
            1,
            e.column(),
            format!("not a tidings store dump (its first line is not the header): {e}"),
        )
    })?;
    if header.format != DUMP_FORMAT {
        return Err(at(
            1,
            1,
            format!("not a tidings store dump (format {:?})", header.format),
        ));
    }
    if header.version > DUMP_VERSION {
        return Err(at(
            1,
            1,
            format!(
                "dump format version {} is newer than this tidings reads ({DUMP_VERSION}); import it with a newer tidings",
                header.version
            ),
        ));
    }
    Ok(lines.filter_map(move |(i, line)| {
        let n = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some(Err(at(n, 1, e.to_string()))),
        };
        if line.trim().is_empty() {
            return None;
        }
        Some(match serde_json::from_str::<Record>(&line) {
            Ok(r) => match r.check() {
                Ok(_) => Ok((n, r)),
                Err(m) => Err(at(
                    n,
                    1,
                    format!("a {} record whose value does not read: {m}", r.kind()),
                )),
            },
            Err(e) => Err(at(n, e.column(), e.to_string())),
        })
    }))
}

/// Read `file` whole once (a bad line stops everything before a row is written), then
/// write it into the configured store in batches.
fn import(config: &Config, file: &Path, force: bool) -> anyhow::Result<i32> {
    let mut total = 0;
    for r in records(file)? {
        r?;
        total += 1;
    }
    let store = Store::open_configured(config)?;
    let holdings = store.holdings()?;
    if !holdings.is_empty() {
        let held: Vec<String> = holdings.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let what = format!("{} already holds {}", store.describe(), held.join(", "));
        if !force {
            eprintln!(
                "error: {what}: importing into it would mix two installations.\n\
                 Import into an empty store (a new [daemon] data_dir, or a new database), \
                 or pass --force to write the dump over it (rows with the same keys are replaced)."
            );
            return Ok(1);
        }
        eprintln!("warning: {what}; writing over it (--force)");
    }
    let mut counts = DumpCounts::default();
    let mut batch = Vec::with_capacity(BATCH);
    let flush = |batch: &mut Vec<(usize, Record)>, counts: &mut DumpCounts| -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let done = store
            .import_rows(std::mem::take(batch))
            .map_err(|e| match e {
                ImportError::Record { line, message } => {
                    anyhow::anyhow!("{}:{line}:1: {message}", file.display())
                }
                ImportError::Store(e) => anyhow::Error::from(e),
            })?;
        for (k, n) in done.kinds {
            *counts.kinds.entry(k).or_default() += n;
        }
        Ok(())
    };
    for r in records(file)? {
        batch.push(r?);
        if batch.len() >= BATCH {
            flush(&mut batch, &mut counts)?;
        }
    }
    flush(&mut batch, &mut counts)?;
    debug_assert_eq!(counts.total(), total);
    store.flush()?;
    println!(
        "imported {} records from {} into {}: {}",
        counts.total(),
        file.display(),
        store.describe(),
        counts.summary()
    );
    Ok(0)
}

/// One JSON value as a line.
fn line<T: serde::Serialize>(out: &mut impl Write, v: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")
}
