//! Article extraction throughput, single thread, over the article corpora
//! (`../shared/corpus`, or `$TIDINGS_CORPUS_DIR`): pages per second, bytes → `Article`
//! (charset decoding included). Each corpus is one benchmark; criterion's `thrpt` is
//! pages/s. A plain timed pass over all pages is printed first.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use url::Url;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TIDINGS_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("README.md").is_file().then_some(dir)
}

fn files(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, suffix, out);
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
}

fn read(path: &Path) -> Vec<u8> {
    if path.extension().is_some_and(|x| x == "gz") {
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
            .expect("run gzip");
        out.stdout
    } else {
        std::fs::read(path).expect("read page")
    }
}

/// (corpus name, page bytes) for every article page.
fn load() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let Some(root) = corpus_dir() else {
        eprintln!("*** SKIPPED: corpus not found (set TIDINGS_CORPUS_DIR) ***");
        return Vec::new();
    };
    let sets: [(&str, &str, &str); 5] = [
        ("zh-cwced", "zh-cwced/original", ".html"),
        ("cx-extractor", "cx-extractor/RawHtml", ".html"),
        ("trafilatura", "trafilatura/tests", ".html"),
        ("scrapinghub-aeb", "scrapinghub-aeb/html", ".html.gz"),
        (
            "mozilla-readability",
            "mozilla-readability/test/test-pages",
            "source.html",
        ),
    ];
    sets.iter()
        .map(|(name, sub, suffix)| {
            let mut paths = Vec::new();
            files(&root.join(sub), suffix, &mut paths);
            paths.sort();
            (*name, paths.iter().map(|p| read(p)).collect())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let corpora = load();
    let url = Url::parse("http://localhost/article.html").expect("static url");

    let total: usize = corpora.iter().map(|(_, p)| p.len()).sum();
    if total > 0 {
        let start = Instant::now();
        for (_, pages) in &corpora {
            for page in pages {
                black_box(tidings::extract::extract(page, &url, None, TZ));
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "extract: {total} pages in {secs:.2} s = {:.1} pages/s (one pass, single thread)",
            total as f64 / secs
        );
    }

    let mut group = c.benchmark_group("extract");
    group.sample_size(10);
    for (name, pages) in &corpora {
        group.throughput(Throughput::Elements(pages.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                for page in pages {
                    black_box(tidings::extract::extract(page, &url, None, TZ));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
