//! What the benchmark examples share: the process's memory and CPU time, read from /proc
//! (Linux), and the large feed they parse.

/// One field of `/proc/self/status` as printed (`VmRSS:` → `12345 kB`), or `unknown`
/// off Linux.
pub fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// One field of `/proc/self/status` in KiB (`VmRSS:`, `VmHWM:`), 0 off Linux.
#[allow(dead_code)] // the benchmarks that print memory as text do not read it
pub fn kib(field: &str) -> u64 {
    status(field)
        .trim_end_matches(" kB")
        .parse::<u64>()
        .unwrap_or(0)
}

/// The process's peak resident set size (`VmHWM`), or `unknown` off Linux.
#[allow(dead_code)] // store-rss reports the current size only
pub fn peak_rss() -> String {
    status("VmHWM:")
}

/// Start measuring the peak anew (Linux: writing 5 to clear_refs resets VmHWM).
#[allow(dead_code)] // store-rss reports the current size only
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU seconds (user + system) used so far, from a `/proc/…/stat` file: `/proc/self/stat`
/// for the process, `/proc/thread-self/stat` for the calling thread (Linux; 0 elsewhere).
/// On a busy machine wall time says more about the neighbours than about the code.
#[allow(dead_code)] // the benchmarks that report only memory do not read it
pub fn cpu_seconds(stat_file: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_file).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// An RSS 2.0 feed of 100,000 short entries with Chinese titles (8.3 MiB, within the
/// 10 MiB body cap): the large feed of the hostile and feed-memory benchmarks.
#[allow(dead_code)] // only the feed benchmarks build it
pub fn hundred_thousand_entries() -> String {
    let mut feed = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>"#,
    );
    for i in 0..100_000 {
        feed.push_str(&format!(
            "<item><guid>m{i}</guid><title>第{i}条</title><pubDate>2022-09-07</pubDate></item>"
        ));
    }
    feed.push_str("</channel></rss>");
    feed
}
