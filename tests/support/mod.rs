//! Shared test helpers: where the corpus is, temporary configs.

#![allow(dead_code)]

use std::path::PathBuf;

/// The third-party corpus (`../shared/corpus`, or `$TIDINGS_CORPUS_DIR`).
///
/// When it is missing the test says so loudly and is skipped, unless
/// `TIDINGS_CORPUS_REQUIRED=1` (CI sets it), in which case it fails.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TIDINGS_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    if std::env::var("TIDINGS_CORPUS_REQUIRED").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and TIDINGS_CORPUS_REQUIRED=1",
            dir.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: corpus not found at {} (set TIDINGS_CORPUS_DIR) ***\n",
        dir.display()
    );
    None
}

/// The extraction scorer (`../shared/tools/extract-score`), found beside the corpus.
pub fn extract_score_dir() -> Option<PathBuf> {
    let corpus = corpus_dir()?;
    let dir = corpus.join("../tools/extract-score");
    dir.join("score.py").is_file().then_some(dir)
}

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
