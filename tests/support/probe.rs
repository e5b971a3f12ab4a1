//! Where the tests' outside resources are: the corpus, its scorer, Chromium, Python with
//! feedparser, a PostgreSQL server or the binaries to start one. `build.rs` includes this file (std only) to decide which tests are built
//! `#[ignore]`d; the tests call it again and fail if a resource the build saw is gone, so
//! both agree on where to look.
//!
//! Every check is a stat (or a directory listing, for PostgreSQL's binaries), except
//! feedparser's, which runs Python once.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CORPUS_DIR: &str = "TIDINGS_CORPUS_DIR";
pub const CORPUS_REQUIRED: &str = "TIDINGS_CORPUS_REQUIRED";
pub const REQUIRE_TOOLS: &str = "TIDINGS_REQUIRE_TOOLS";
pub const CHROMIUM: &str = "TIDINGS_CHROMIUM";
pub const PYTHON: &str = "TIDINGS_PYTHON";
/// A running PostgreSQL server the tests may create databases on
/// (`postgres://postgres@127.0.0.1:PORT/postgres`, as `scripts/pg-throwaway.sh` prints).
pub const POSTGRES_URL: &str = "TIDINGS_POSTGRES_URL";
/// The directory of PostgreSQL's `initdb`, `pg_ctl` and `postgres`, when the tests start
/// their own server.
pub const PG_BIN: &str = "TIDINGS_PG_BIN";

/// Whether `var` is set to `1`.
pub fn flag(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("1")
}

/// `$TIDINGS_CORPUS_DIR`, or `../shared/corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os(CORPUS_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// The file that marks the corpus as there (its README); a file, so that watching it is a
/// stat where watching the directory would walk it.
pub fn corpus_marker(corpus: &Path) -> PathBuf {
    corpus.join("README.md")
}

/// The extraction scorer, `../tools/extract-score` beside the corpus.
pub fn extract_score_dir(corpus: &Path) -> PathBuf {
    corpus.join("../tools/extract-score")
}

/// The file that marks the scorer as there.
pub fn extract_score_marker(corpus: &Path) -> PathBuf {
    extract_score_dir(corpus).join("score.py")
}

/// `$TIDINGS_CHROMIUM`, or `chromium` on `PATH`.
pub fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(CHROMIUM) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{CHROMIUM}={} is not a file", path.display()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("no chromium on PATH and {CHROMIUM} unset"))
}

/// `$TIDINGS_PYTHON` (default `python3`) and the file feedparser is imported from.
pub fn feedparser_python() -> Result<(String, PathBuf), String> {
    python_with("feedparser")
}

/// `$TIDINGS_PYTHON` and the file aiosmtpd (the tests' SMTP server) is imported from.
pub fn aiosmtpd_python() -> Result<(String, PathBuf), String> {
    python_with("aiosmtpd")
}

/// `$TIDINGS_PYTHON` (default `python3`) and the file `module` is imported from.
pub fn python_with(module: &str) -> Result<(String, PathBuf), String> {
    let python = std::env::var(PYTHON).unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .args([
            "-c",
            &format!("import sys, {module}; sys.stdout.write({module}.__file__)"),
        ])
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim().to_string();
        return Err(format!("{python}: {last} (set {PYTHON})"));
    }
    Ok((
        python,
        PathBuf::from(String::from_utf8_lossy(&out.stdout).into_owned()),
    ))
}

/// `$TIDINGS_POSTGRES_URL`, when set and not empty.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Where PostgreSQL's binaries are: `$TIDINGS_PG_BIN`, else the newest
/// `/usr/lib/postgresql/VERSION/bin` (Debian's layout, not on `PATH`), else the directory
/// of `initdb` on `PATH`. The same order as `scripts/pg-throwaway.sh`.
pub fn postgres_bindir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(PG_BIN) {
        let dir = PathBuf::from(dir);
        return if postgres_initdb(&dir).is_file() {
            Ok(dir)
        } else {
            Err(format!("{PG_BIN}={} has no initdb", dir.display()))
        };
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| postgres_initdb(bin).is_file())
        .max_by_key(|bin| version_of(bin));
    if let Some(dir) = debian {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| postgres_initdb(dir).is_file())
        .ok_or_else(|| {
            format!(
                "no PostgreSQL: {POSTGRES_URL} unset, no /usr/lib/postgresql/*/bin/initdb, \
                 no initdb on PATH (install Debian's postgresql, or set {PG_BIN})"
            )
        })
}

/// `initdb` in a directory of PostgreSQL's binaries (its presence marks them as there).
pub fn postgres_initdb(bindir: &Path) -> PathBuf {
    bindir.join("initdb")
}

/// `/usr/lib/postgresql/15.2/bin` → `[15, 2]`, so that 15 sorts after 9.6.
fn version_of(bin: &Path) -> Vec<u32> {
    bin.parent()
        .and_then(Path::file_name)
        .and_then(|v| v.to_str())
        .map(|v| v.split('.').map(|n| n.parse().unwrap_or(0)).collect())
        .unwrap_or_default()
}
