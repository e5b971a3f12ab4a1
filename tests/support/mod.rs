//! Shared test helpers: where the corpus is, temporary configs.

#![allow(dead_code)]

use std::path::PathBuf;

pub mod probe;

/// The third-party corpus (`../shared/corpus`, or `$TIDINGS_CORPUS_DIR`).
///
/// A test that calls this carries `#[cfg_attr(no_corpus, ignore = …)]`: where `build.rs`
/// did not find the corpus it is built ignored, and `cargo test`'s summary counts it so.
/// If it runs without the corpus all the same (the corpus went away after the build, the
/// ignored tests were asked for, or `TIDINGS_CORPUS_REQUIRED=1`), it fails: a test that
/// cannot run must not pass.
pub fn corpus_dir() -> PathBuf {
    let dir = probe::corpus_dir();
    if !probe::corpus_marker(&dir).is_file() {
        panic!(
            "corpus not found at {} (set {}); `cargo test` ignores the corpus tests when \
             it is missing at build time, unless {}=1",
            dir.display(),
            probe::CORPUS_DIR,
            probe::CORPUS_REQUIRED,
        );
    }
    dir
}

/// The extraction scorer (`../shared/tools/extract-score`), found beside the corpus; as
/// [`corpus_dir`], under `cfg(no_extract_score)`.
pub fn extract_score_dir() -> PathBuf {
    let corpus = corpus_dir();
    let marker = probe::extract_score_marker(&corpus);
    if !marker.is_file() {
        panic!("the extraction scorer is not at {}", marker.display());
    }
    probe::extract_score_dir(&corpus)
}

pub mod botapi;
pub mod daemon;
pub mod pg;
pub mod robots;
pub mod server;
pub mod smtp;

/// Write a config file into `dir` and load it.
pub fn config(dir: &std::path::Path, toml: &str) -> tidings::config::Config {
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    tidings::config::Config::load(&path).unwrap_or_else(|e| panic!("config error:\n{e}"))
}

/// gzip-compress bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A poller over a fresh store in the config's data directory.
pub fn poller(
    config: tidings::config::Config,
) -> (tidings::poll::Poller, std::sync::Arc<tidings::store::Store>) {
    let store = std::sync::Arc::new(tidings::store::Store::open(&config.daemon.data_dir).unwrap());
    let poller = tidings::poll::Poller::new(std::sync::Arc::new(config), store.clone()).unwrap();
    (poller, store)
}
