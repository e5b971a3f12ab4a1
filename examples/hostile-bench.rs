//! Time and memory of hostile pages and feeds through the pure stages (no network):
//! deep nesting through extraction, list detection and sanitising, and a feed of
//! 100,000 entries through parsing, the per-poll cap and item building. Figures for
//! the README's "Reliability" section; nothing is asserted.
//!
//! `cargo run --release --example hostile-bench`

mod common;

use std::time::Instant;
use tidings::text::nesting;
use url::Url;

fn cpu_seconds() -> f64 {
    common::cpu_seconds("/proc/thread-self/stat")
}

fn time<T>(label: &str, bytes: usize, f: impl FnOnce() -> T) -> T {
    common::reset_peak();
    let started = Instant::now();
    let cpu = cpu_seconds();
    let out = f();
    println!(
        "{label:<44} {:>9.1} KiB {:>7.3} s wall {:>6.2} s CPU  peak RSS {}",
        bytes as f64 / 1024.0,
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        common::peak_rss()
    );
    out
}

fn main() {
    let tz = chrono_tz::Asia::Shanghai;
    let url = Url::parse("http://example.gov.cn/a/20220907_1.html").unwrap();
    let cap = 10 << 20;
    let fill = |unit: &str, bytes: usize| unit.repeat(bytes / unit.len());
    let pages: Vec<(&str, String)> = vec![
        (
            "<div> x 100,000 (500 KB)",
            format!(
                "<html><body>{}<p>正文</p></body></html>",
                "<div>".repeat(100_000)
            ),
        ),
        (
            "<ul><li> x 40,000 (300 KB)",
            format!(
                "<html><body>{}正文</body></html>",
                "<ul><li>".repeat(40_000)
            ),
        ),
        ("<div> to the 10 MiB cap", fill("<div>", cap)),
        ("<div>x</div> siblings, 10 MiB", fill("<div>x</div>", cap)),
        (
            "<span><div></span> misnested, 10 MiB",
            fill("<span><div></span>", cap),
        ),
        (
            "<b id=1><div>x</div> unclosed, 10 MiB",
            fill("<b id=1><div>x</div>", cap),
        ),
        (
            "<table><tr><td> nested, 10 MiB",
            fill("<table><tr><td>", cap),
        ),
        ("<p>text, 10 MiB", fill("<p>一段文字", cap)),
    ];
    println!("flattening (depth limit {}):", nesting::MAX_DEPTH);
    for (label, page) in &pages {
        time(label, page.len(), || nesting::flatten(page).len());
    }
    println!("article extraction (`tidings extract`):");
    for (label, page) in &pages {
        time(label, page.len(), || {
            tidings::extract::extract_html(page, &url, tz)
                .content_text
                .len()
        });
    }
    println!("list detection (`tidings scan`):");
    for (label, page) in &pages {
        time(label, page.len(), || {
            tidings::parse::html::detect_list(page, &url, tz).len()
        });
    }
    println!("sanitising a feed entry's content (capped at 1 MiB):");
    for (label, page) in &pages {
        let entry = tidings::model::Entry {
            id: Some("1".into()),
            content_html: Some(page.clone()),
            ..Default::default()
        };
        time(label, page.len(), || {
            tidings::process::to_item(&entry, "s", Some(&url), chrono::Utc::now())
                .content_text
                .map_or(0, |t| t.len())
        });
    }

    println!("a feed of 100,000 entries, within the 10 MiB body cap:");
    let feed = common::hundred_thousand_entries();
    let feed_url = Url::parse("http://example.org/feed.xml").unwrap();
    let entries = time("parse", feed.len(), || {
        tidings::parse::feed::parse_feed(feed.as_bytes(), None, &feed_url, tz)
            .unwrap()
            .entries
    });
    let count = entries.len();
    let kept = time("newest 500 of them", 0, || {
        tidings::process::newest_entries(entries, tidings::poll::MAX_ENTRIES_PER_POLL)
    });
    time("items built from those 500", 0, || {
        tidings::process::to_items(&kept, "s", Some(&feed_url), chrono::Utc::now()).len()
    });
    println!(
        "({count} entries parsed; peak RSS of the whole run {})",
        common::peak_rss()
    );
    corpus_depths();
}

/// How deep the real pages of the corpus nest (model of the parser's stack), and how
/// many of them the depth limit would touch.
fn corpus_depths() {
    let root = std::path::Path::new("../shared/corpus");
    if !root.is_dir() {
        println!("(no corpus at {}: depths not measured)", root.display());
        return;
    }
    let mut pages = 0;
    let mut depths = Vec::new();
    let mut changed = 0;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let is_html = path.extension().is_some_and(|e| e == "html" || e == "htm");
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if !is_html {
                continue;
            }
            let text = tidings::text::decode(&bytes, None);
            pages += 1;
            depths.push(nesting::max_depth_of(&text));
            if matches!(nesting::flatten(&text), std::borrow::Cow::Owned(_)) {
                changed += 1;
            }
        }
    }
    depths.sort_unstable();
    let at = |q: f64| {
        depths
            .get(((depths.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "corpus: {pages} HTML pages; nesting depth median {}, 99th percentile {}, deepest {}; \
         changed by the limit: {changed}",
        at(0.5),
        at(0.99),
        depths.last().copied().unwrap_or(0)
    );
}
