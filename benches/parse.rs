//! Feed parsing throughput (MB/s) over the corpus feeds in `../shared/corpus` (or
//! `$TIDINGS_CORPUS_DIR`): charset decoding, the forgiving XML reader and the mapping
//! onto entries, end to end.
//!
//! - `feeds/real-world`: feed-rs's fixtures, taken from real publishers' feeds.
//! - `feeds/all`: every file of the five feed corpora (feedparser, W3C validator,
//!   feed-rs, rust-syndication, JSON Feed spec), mostly small edge cases.
//!
//! Run with `cargo bench --bench parse`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tidings::parse::feed::parse_feed;
use url::Url;

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TIDINGS_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("README.md").is_file().then_some(dir)
}

fn collect(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            collect(&p, out);
        } else if !(name.ends_with(".md")
            || name.starts_with("INDEX")
            || name.ends_with(".serde.json")
            || name.ends_with(".txt"))
            && let Ok(bytes) = std::fs::read(&p)
        {
            out.push(bytes);
        }
    }
}

fn bench_set(c: &mut Criterion, name: &str, files: &[Vec<u8>]) {
    let url = Url::parse("http://example.com/feed.xml").expect("static url");
    let bytes: usize = files.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("feeds");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(name, |b| {
        b.iter(|| {
            for f in files {
                let _ = black_box(parse_feed(
                    black_box(f),
                    None,
                    &url,
                    chrono_tz::Asia::Shanghai,
                ));
            }
        })
    });
    group.finish();
}

fn feeds(c: &mut Criterion) {
    let Some(corpus) = corpus_dir() else {
        eprintln!("*** SKIPPED: corpus not found (set TIDINGS_CORPUS_DIR) ***");
        return;
    };
    let mut real_world = Vec::new();
    collect(&corpus.join("feed-rs/fixture"), &mut real_world);
    bench_set(c, "real-world", &real_world);

    let mut all = Vec::new();
    for d in [
        "feedparser",
        "w3c-feedvalidator",
        "feed-rs",
        "rust-syndication",
        "jsonfeed-spec",
    ] {
        collect(&corpus.join(d), &mut all);
    }
    bench_set(c, "all", &all);
}

criterion_group!(benches, feeds);
criterion_main!(benches);
