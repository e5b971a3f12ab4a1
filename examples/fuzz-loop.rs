//! The fuzz targets on a stable toolchain, where cargo-fuzz (nightly) is unavailable.
//!
//! A plain mutation loop: no coverage feedback, so it finds less than libFuzzer per
//! CPU-minute, but it needs nothing beyond `cargo`. For each target it runs every seed
//! in `fuzz/corpus/<target>/` (made by `fuzz/seed.sh`), then mutated copies of them
//! (bit flips, byte edits, cut, duplicated and spliced ranges, tokens the parsers care
//! about) until the target's time budget is spent.
//!
//! A panic saves the input as `fuzz/artifacts/<target>/crash-<hash>` and the loop goes
//! on; an input that runs longer than `--timeout` seconds is saved as `timeout-<hash>`
//! and ends the process (a hang cannot be interrupted). Memory is not watched: run under
//! `ulimit -v` to catch runaway allocation.
//!
//! ```text
//! fuzz/seed.sh
//! cargo run --example fuzz-loop -- [--seconds 300] [--timeout 5] [--max-len 131072] \
//!     [--seed 1] [TARGET...]
//! cargo run --example fuzz-loop -- --replay TARGET FILE...
//! ```
//!
//! The targets' bodies are `fuzz/src/lib.rs`, the same code the libFuzzer targets run.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Byte strings the parsers branch on, spliced into inputs.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "<", ">", "</", "/>", "&", "&#", "&#x", ";", "&amp;", "<![CDATA[", "]]>", "<!--", "-->",
    "<?xml version=\"1.0\" encoding=\"gb2312\"?>", "<meta charset=\"gbk\">", "\u{feff}",
    "<rss version=\"2.0\"><channel><item>", "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<entry>", "xml:base=\"", "href=\"", "<a href=\"/a/2022/0907/1.html\">", "<li>",
    "<table>", "<div>", "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[",
    "\"", "'", "\n", "\n\n", "\r\n", "\t", " ", "年", "月", "日", "时", "分", "前",
    "\u{ff10}", "\u{ff18}", "+", "-", ":", "T", "Z", "GMT", "2022", "09", "0", "99999999999",
    "[[source]]", "[[feed]]", "[daemon]", "=", "${", "}", "[", "]", "id = \"a\"",
    "url = \"https://e.cn/\"", "schedule = \"", "*", "_", "`", "\\", "\u{1}", "😀",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], max_len: usize) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                input.drain(at..at + n);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(256));
                let chunk = input[at..at + n].to_vec();
                let to = rng.below(len + 1);
                input.splice(
                    to..to,
                    chunk.iter().copied().cycle().take(n * (1 + rng.below(8))),
                );
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let at = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - at).min(1024));
                    let to = rng.below(len + 1);
                    input.splice(to..to, other[at..at + n].iter().copied());
                }
            }
            5 if len > 0 => input.truncate(rng.below(len)),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let to = rng.below(len + 1);
                input.splice(to..to, token.iter().copied());
            }
        }
    }
    input.truncate(max_len);
}

/// CPU seconds this process has used (Linux), else `None`.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn hash(data: &[u8]) -> String {
    // FNV-1a: names artifacts, no need for a cryptographic hash.
    let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{h:016x}")
}

fn save(dir: &Path, kind: &str, data: &[u8]) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("{kind}-{}", hash(data)));
    let _ = std::fs::write(&path, data);
    path
}

fn load_seeds(dir: &Path, max_len: usize) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let mut seeds: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|mut d| {
            d.truncate(max_len);
            d
        })
        .collect();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

struct Args {
    seconds: u64,
    timeout: u64,
    max_len: usize,
    seed: u64,
    replay: bool,
    rest: Vec<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        seconds: 300,
        timeout: 5,
        max_len: 128 << 10,
        seed: 1,
        replay: false,
        rest: vec![],
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> u64 {
            it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{name} needs a number");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--seconds" => args.seconds = num("--seconds"),
            "--timeout" => args.timeout = num("--timeout"),
            "--max-len" => args.max_len = num("--max-len") as usize,
            "--seed" => args.seed = num("--seed").max(1),
            "--replay" => args.replay = true,
            _ => args.rest.push(a),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let fuzz_dir = &Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let find = |name: &str| {
        harness::TARGETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| {
                let names: Vec<_> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
                eprintln!("unknown target {name:?}; targets: {}", names.join(", "));
                std::process::exit(2)
            })
    };

    if args.replay {
        let Some((target, files)) = args.rest.split_first() else {
            eprintln!("--replay TARGET FILE...");
            std::process::exit(2)
        };
        let run = find(target);
        for f in files {
            let data = std::fs::read(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            let t = Instant::now();
            run(&data);
            println!("{f}: ok in {:?}", t.elapsed());
        }
        return;
    }

    // The input being run, and when it started (ms since `epoch`; 0 when idle), for the
    // watchdog.
    let current: Arc<Mutex<(String, Vec<u8>)>> = Arc::default();
    let started = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    {
        let (current, started) = (current.clone(), started.clone());
        let timeout_ms = args.timeout * 1000;
        let artifacts = fuzz_dir.join("artifacts");
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let s = started.load(Ordering::Relaxed);
                if s != 0 && epoch.elapsed().as_millis() as u64 > s + timeout_ms {
                    let (target, data) = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save(&artifacts.join(&target), "timeout", &data);
                    eprintln!(
                        "TIMEOUT: {target} ran over {}s on {}",
                        timeout_ms / 1000,
                        path.display()
                    );
                    std::process::exit(70);
                }
            }
        });
    }
    // Panics are reported once per message, not once per input.
    std::panic::set_hook(Box::new(|_| {}));

    let targets: Vec<String> = if args.rest.is_empty() {
        harness::TARGETS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect()
    } else {
        args.rest.clone()
    };
    let mut rng = Rng(args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut failed = false;
    println!(
        "{:<9} {:>9} {:>8} {:>8} {:>6}",
        "target", "execs", "cpu-s", "seeds", "crashes"
    );
    for name in &targets {
        let run = find(name);
        let seeds = load_seeds(&fuzz_dir.join("corpus").join(name), args.max_len);
        let artifacts = fuzz_dir.join("artifacts").join(name);
        let cpu0 = cpu_seconds();
        let t0 = Instant::now();
        let budget = Duration::from_secs(args.seconds);
        let mut messages = HashSet::new();
        let (mut execs, mut crashes) = (0u64, 0u64);
        let mut i = 0;
        while t0.elapsed() < budget {
            let input = if i < seeds.len() {
                seeds[i].clone()
            } else {
                let mut input = seeds[rng.below(seeds.len())].clone();
                mutate(&mut rng, &mut input, &seeds, args.max_len);
                input
            };
            i += 1;
            if let Ok(mut c) = current.lock() {
                *c = (name.clone(), input.clone());
            }
            started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
            let result = catch_unwind(AssertUnwindSafe(|| run(&input)));
            started.store(0, Ordering::Relaxed);
            execs += 1;
            if let Err(panic) = result {
                crashes += 1;
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(non-string panic)".into());
                let path = save(&artifacts, "crash", &input);
                if messages.insert(msg.clone()) {
                    eprintln!("CRASH in {name}: {msg}\n  input: {}", path.display());
                }
            }
        }
        let cpu = match (cpu0, cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => t0.elapsed().as_secs_f64(),
        };
        println!(
            "{name:<9} {execs:>9} {cpu:>8.1} {:>8} {crashes:>6}",
            seeds.len()
        );
        failed |= crashes > 0;
    }
    if failed {
        std::process::exit(1);
    }
}
