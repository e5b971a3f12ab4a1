//! Finds which of the tests' outside resources this machine lacks, and sets a cfg for each
//! (`no_corpus`, `no_extract_score`, `no_chromium`, `no_feedparser`, `no_aiosmtpd`,
//! `no_postgres`) that
//! builds the tests needing it `#[ignore]`d. A test that cannot run then shows as
//! "ignored, needs …" in `cargo test`'s summary instead of passing after a SKIPPED line
//! nobody sees.
//!
//! With `TIDINGS_CORPUS_REQUIRED=1` (the corpus and its scorer) or
//! `TIDINGS_REQUIRE_TOOLS=1` (Chromium, feedparser, aiosmtpd, PostgreSQL) nothing is ignored: the
//! tests run and fail on what is missing.
//!
//! Re-run by cargo when one of the variables changes or a resource found here goes away.
//! A missing resource is not watched: cargo would re-run this script, and rebuild the
//! crate, on every build while a watched path is missing, and watching a directory makes
//! it walk the whole tree. So a corpus or tool installed after the build is seen once a
//! `TIDINGS_*` variable or this file changes (`touch build.rs`).

#[allow(dead_code)]
#[path = "tests/support/probe.rs"]
mod probe;

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/support/probe.rs");
    for var in [
        probe::CORPUS_DIR,
        probe::CHROMIUM,
        probe::PYTHON,
        probe::PG_BIN,
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!(
        "cargo::rustc-check-cfg=cfg(no_corpus, no_extract_score, no_chromium, no_feedparser, no_aiosmtpd, no_postgres)"
    );

    let corpus = probe::corpus_dir();
    let corpus_there = watched(&probe::corpus_marker(&corpus));
    ignore_unless("no_corpus", corpus_there, probe::CORPUS_REQUIRED);
    let scorer_there = corpus_there && watched(&probe::extract_score_marker(&corpus));
    ignore_unless("no_extract_score", scorer_there, probe::CORPUS_REQUIRED);

    let chromium = probe::chromium().is_ok_and(|path| watched(&path));
    ignore_unless("no_chromium", chromium, probe::REQUIRE_TOOLS);
    // Watching the module feedparser is imported from notices it being uninstalled.
    let feedparser = probe::feedparser_python()
        .map(|(_, module)| watched(&module))
        .is_ok();
    ignore_unless("no_feedparser", feedparser, probe::REQUIRE_TOOLS);
    let aiosmtpd = probe::aiosmtpd_python()
        .map(|(_, module)| watched(&module))
        .is_ok();
    ignore_unless("no_aiosmtpd", aiosmtpd, probe::REQUIRE_TOOLS);
    // PostgreSQL: the binaries to start a server, or a server named by URL (taken on
    // trust: whether it answers is the tests' to find). The URL is watched only without
    // the binaries, where it decides: each throwaway server has its own port, and a new
    // one must not rebuild the crate.
    let binaries = probe::postgres_bindir().is_ok_and(|dir| watched(&probe::postgres_initdb(&dir)));
    if !binaries {
        println!("cargo::rerun-if-env-changed={}", probe::POSTGRES_URL);
    }
    let postgres = binaries || probe::postgres_url().is_some();
    ignore_unless("no_postgres", postgres, probe::REQUIRE_TOOLS);
}

/// Whether `path` is a file; if so it is watched (a stat per build), so that its removal
/// re-runs this script.
fn watched(path: &Path) -> bool {
    let there = path.is_file();
    if there {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    there
}

/// Sets `cfg` when the resource is missing, unless `required` is `1`. The variable is
/// watched only then: while the resource is there it changes nothing, and re-running this
/// script rebuilds the crate.
fn ignore_unless(cfg: &str, there: bool, required: &str) {
    if there {
        return;
    }
    println!("cargo::rerun-if-env-changed={required}");
    if !probe::flag(required) {
        println!("cargo::rustc-cfg={cfg}");
    }
}
