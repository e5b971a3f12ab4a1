//! Memory and speed of the feed parser on one large feed: 100,000 RSS entries (8.3 MiB,
//! within the 10 MiB body cap), built in memory like `hostile-bench`'s, or the files
//! named as arguments. For each: the parse's peak resident memory above what the process
//! held before it (`VmHWM` reset through `/proc/self/clear_refs`, Linux), the entries
//! parsed, and the parse-only speed in MB per CPU second (user + system time of the
//! process: the machine's load does not move it the way it moves wall time) over at
//! least one CPU second of repeated parses.
//!
//! `cargo run --release --example feed-memory [FILE…]`

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};
use tidings::parse::feed::parse_feed;

fn cpu_seconds() -> f64 {
    common::cpu_seconds("/proc/self/stat")
}

fn main() {
    let url = url::Url::parse("http://example.org/feed.xml").expect("a valid URL");
    let tz = chrono_tz::Asia::Shanghai;
    let mut bodies: Vec<(String, Vec<u8>)> = std::env::args()
        .skip(1)
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, b)
        })
        .collect();
    if bodies.is_empty() {
        bodies.push((
            "100,000 RSS entries".into(),
            common::hundred_thousand_entries().into_bytes(),
        ));
    }
    for (label, body) in &bodies {
        let before = common::kib("VmRSS:");
        common::reset_peak();
        let feed = parse_feed(body, None, &url, tz);
        let peak = common::kib("VmHWM:");
        let peak_text = common::peak_rss();
        let count = feed.as_ref().map_or(0, |f| f.entries.len());
        let held = common::kib("VmRSS:");
        drop(feed);
        let started = Instant::now();
        let cpu = cpu_seconds();
        let mut bytes = 0usize;
        while (cpu_seconds() - cpu < 1.0 && started.elapsed() < Duration::from_secs(60))
            || bytes == 0
        {
            let _ = parse_feed(body, None, &url, tz);
            bytes += body.len();
        }
        let secs = (cpu_seconds() - cpu).max(0.01);
        println!(
            "{label}: {:.1} MiB, {count} entries; parse peak {:.1} MiB above the {:.1} MiB \
             before it ({peak_text}), {:.1} MiB held with the result; {:.1} MB per CPU second",
            body.len() as f64 / (1 << 20) as f64,
            peak.saturating_sub(before) as f64 / 1024.0,
            before as f64 / 1024.0,
            held.saturating_sub(before) as f64 / 1024.0,
            bytes as f64 / secs / 1e6,
        );
    }
}
