//! Parse-only throughput of the feed parser over the files named on standard input (one
//! path a line), for `benches/poll/run.sh`: each file parsed (charset decoding, the XML
//! or JSON reader, the mapping onto entries) in a loop of at least two seconds. Prints
//! one tab-separated line: `tidings  parse  LABEL  SECONDS  MB/s  FILES`, where LABEL is
//! the first argument (the script passes the number of feeds of the run).

use std::io::BufRead;
use std::time::{Duration, Instant};
use tidings::parse::feed::parse_feed;

fn main() {
    let label = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let paths: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let files: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect();
    let url = url::Url::parse("http://127.0.0.1/feed").expect("a valid URL");
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut entries = 0usize;
    while started.elapsed() < Duration::from_secs(2) || bytes == 0 {
        for f in &files {
            if let Ok(feed) = parse_feed(f, None, &url, chrono_tz::Asia::Shanghai) {
                entries += feed.entries.len();
            }
            bytes += f.len();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert!(entries > 0, "no entries parsed from {} files", files.len());
    println!(
        "tidings\tparse\t{label}\t{secs:.3}\t{:.2}\t{}",
        bytes as f64 / secs / 1e6,
        files.len()
    );
}
