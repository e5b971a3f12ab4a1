//! `html_to_text` reads tidy HTML in one scan instead of parsing it; stored revisions
//! hash its text, so the scan must give exactly what the parse gives. Checked here on
//! every text field of every feed in the feed corpora and on the sanitised form of
//! every content field and article page (read from `../shared/corpus`), as `to_item`
//! uses them: the scan must agree with the parse wherever it reads, and it must read
//! most of what the sanitiser writes (else the test would pass by always parsing).
//!
//! The sanitiser writes tidy HTML in one scan too (`process::quick`): on the same
//! content fields and pages its output must be ammonia's wherever it writes.

use crate::support::corpus_dir;
use std::path::{Path, PathBuf};
use tidings::parse::feed::parse_feed;
use tidings::process::{sanitize_html, sanitize_html_by_parse, sanitizes_quickly};
use tidings::text::{decode, html_to_text, html_to_text_by_parse};
use url::Url;

fn files(dir: &Path, keep: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, keep, out);
        } else if p.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
            out.push(p);
        }
    }
}

#[derive(Default)]
struct Tally {
    compared: usize,
    sanitised: usize,
    sanitised_quick: usize,
    /// Inputs the sanitiser's scan wrote itself (not left to ammonia).
    sanitised_by_scan: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn compare(&mut self, what: &str, html: &str) {
        self.compared += 1;
        let quick = html_to_text(html);
        let parsed = html_to_text_by_parse(html);
        if quick != parsed && self.mismatches.len() < 20 {
            let head: String = html.chars().take(300).collect();
            self.mismatches.push(format!(
                "{what}: {head:?}\n  quick:  {quick:?}\n  parsed: {parsed:?}"
            ));
        }
    }

    fn compare_sanitised(&mut self, what: &str, html: &str, base: Option<&Url>) {
        let clean = sanitize_html(html, base);
        let full = sanitize_html_by_parse(html, base);
        if sanitizes_quickly(html, base) {
            self.sanitised_by_scan += 1;
        }
        if clean != full && self.mismatches.len() < 20 {
            let head: String = html.chars().take(300).collect();
            self.mismatches.push(format!(
                "{what} (base {base:?}): {head:?}\n  scan:    {clean:?}\n  ammonia: {full:?}"
            ));
        }
        self.sanitised += 1;
        // Agreement alone cannot tell whether the scan read it or gave up and parsed.
        if tidings::text::reads_quickly(&clean) {
            self.sanitised_quick += 1;
        }
        self.compare(what, &clean);
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus (set TIDINGS_CORPUS_DIR)")]
fn quick_text_is_the_parsed_text() {
    let corpus = corpus_dir();
    let mut tally = Tally::default();

    let mut feeds = Vec::new();
    for d in [
        "feedparser",
        "w3c-feedvalidator",
        "feed-rs",
        "rust-syndication",
    ] {
        files(
            &corpus.join(d),
            &|n| !(n.ends_with(".md") || n.starts_with("INDEX") || n.ends_with(".txt")),
            &mut feeds,
        );
    }
    let url = Url::parse("http://example.com/feed/").expect("static url");
    for path in &feeds {
        let bytes = std::fs::read(path).expect("corpus file");
        let Ok(feed) = parse_feed(&bytes, None, &url, chrono_tz::UTC) else {
            continue;
        };
        let what = path.display().to_string();
        for e in &feed.entries {
            for s in [&e.title, &e.summary, &e.author, &e.content_html]
                .into_iter()
                .flatten()
            {
                tally.compare(&what, s);
            }
            if let Some(c) = &e.content_html {
                tally.compare_sanitised(&what, c, Some(&url));
            }
            if let Some(s) = &e.summary {
                tally.compare_sanitised(&what, s, None);
            }
        }
    }

    let mut pages = Vec::new();
    files(
        &corpus.join("mozilla-readability"),
        &|n| n == "source.html",
        &mut pages,
    );
    for d in ["zh-cwced", "gne", "goose3", "newspaper4k"] {
        files(&corpus.join(d), &|n| n.ends_with(".html"), &mut pages);
    }
    for path in &pages {
        let bytes = std::fs::read(path).expect("corpus page");
        let html = decode(&bytes, None);
        let what = path.display().to_string();
        tally.compare(&what, &html);
        tally.compare_sanitised(&what, &html, Some(&url));
    }

    eprintln!(
        "{} feeds, {} pages: {} texts compared; {} sanitised ({} by the sanitiser's scan), {} of them read by the scan",
        feeds.len(),
        pages.len(),
        tally.compared,
        tally.sanitised,
        tally.sanitised_by_scan,
        tally.sanitised_quick
    );
    assert!(
        tally.mismatches.is_empty(),
        "the scans and the parse or ammonia disagree:\n{}",
        tally.mismatches.join("\n")
    );
    assert!(feeds.len() > 3500 && pages.len() > 250, "corpus incomplete");
    // 1,608 of 2,115 when the sanitiser's scan was written.
    assert!(
        tally.sanitised_by_scan * 2 >= tally.sanitised,
        "the sanitiser's scan wrote only {} of {} inputs",
        tally.sanitised_by_scan,
        tally.sanitised
    );
    assert!(
        tally.sanitised_quick * 10 >= tally.sanitised * 9,
        "the scan read only {} of {} sanitised texts",
        tally.sanitised_quick,
        tally.sanitised
    );
}
