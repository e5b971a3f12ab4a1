//! What the store keeps resident once a daemon has touched everything in it: opens a
//! data directory (run `benches/daemon/run.sh` first; its store is at
//! `target/daemon-bench/tidings-N/data`), reads every source's state and every stored
//! item, and prints the resident memory after each step, with the items dropped again.
//! What stays is sled's page cache and its own structures, not the items read.
//! Between the two, a retention pass with the default limits (which removes nothing from
//! the benchmark's store) shows what ranking every source costs now that it reads the
//! `ranks` index instead of the items. A store written by a build without that index
//! gets it built on open, once: the "store opened" line then includes that.
//!
//!   cargo run --release --example store-rss -- target/daemon-bench/tidings-1000/data 1000 [CACHE_MIB]
//!
//! CACHE_MIB opens sled with a page cache of that size instead of the daemon's.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use tidings::store::{Keep, Store};

fn rss() -> String {
    common::status("VmRSS:")
}

/// Give glibc's free pages back (as the daemon does after polls and retention), so that
/// what stays is what is in use.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and only releases free memory.
        unsafe {
            malloc_trim(0);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "data".into()));
    let n: usize = args.next().map_or(Ok(1000), |s| s.parse())?;
    let cache_mib: Option<u64> = args.next().map(|s| s.parse()).transpose()?;
    println!("start: {}", rss());
    let t = std::time::Instant::now();
    let store = match cache_mib {
        Some(mib) => Store::open_with_cache(&dir, mib << 20)?,
        None => Store::open(&dir)?,
    };
    println!(
        "store opened in {:.1} s: {}",
        t.elapsed().as_secs_f64(),
        rss()
    );
    let sources: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let mut states = 0;
    for s in &sources {
        states += usize::from(store.source_state(s)?.last_poll.is_some());
    }
    println!("{states} source states read: {}", rss());
    let keep: Vec<_> = sources.iter().map(|s| (s.clone(), Keep::DEFAULT)).collect();
    let r = store.retain_all(&keep, chrono::Utc::now())?;
    trim();
    println!(
        "retention ({} kept, {} removed), free memory given back: {}",
        r.kept,
        r.removed,
        rss()
    );
    let items = store.newest_items(&sources, |_| true, usize::MAX)?;
    let bytes: usize = items
        .iter()
        .map(|i| i.content_html.as_ref().map_or(0, |c| c.len()))
        .sum();
    println!(
        "{} items read ({:.1} MB of content): {}",
        items.len(),
        bytes as f64 / 1e6,
        rss()
    );
    drop(items);
    println!("items dropped: {}", rss());
    trim();
    println!("free memory given back (what sled keeps): {}", rss());
    Ok(())
}
