//! List detection against the hand-labelled zh-lists corpus (15 real list pages).
//!
//! Each page is decoded from its bytes, `detect_list` runs with no selectors, and the
//! result is compared with the label's main list: the label hrefs are resolved against
//! the page's `<base href>` / `base_url` the way a browser would, titles are compared
//! after the normalisation PROVENANCE.md describes, dates as calendar days. Floors:
//! the exact list on at least 13 of 15 pages, item precision and recall ≥ 0.95, and
//! ≥ 95 % of the labelled dates right.

use crate::support;
use scraper::{Html, Selector};
use serde::Deserialize;
use std::collections::HashMap;
use tidings::parse::html::detect_list;
use tidings::text::charset::decode;
use url::Url;

#[derive(Deserialize)]
struct Label {
    base_url: Option<String>,
    items: Vec<LabelItem>,
}

#[derive(Deserialize)]
struct LabelItem {
    href: String,
    title: String,
    date: Option<String>,
}

/// Pages whose URL is not recorded get a stand-in; labels resolve against it too.
const STAND_IN_URL: &str = "https://list.example.invalid/column/list.html";

/// The label normalisation: zero-width characters removed, whitespace runs collapsed.
fn normalise(text: &str) -> String {
    text.replace(['\u{200b}', '\u{200c}', '\u{200d}', '\u{feff}'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Tally {
    pages: usize,
    exact: usize,
    detected: usize,
    expected: usize,
    matched: usize,
    titles_right: usize,
    dates_labelled: usize,
    dates_right: usize,
    /// Matched items labelled with no absolute date (relative or none shown).
    undated_labelled: usize,
    /// … for which no date was reported either.
    undated_right: usize,
}

impl Tally {
    fn add(&mut self, t: &Tally) {
        self.pages += t.pages;
        self.exact += t.exact;
        self.detected += t.detected;
        self.expected += t.expected;
        self.matched += t.matched;
        self.titles_right += t.titles_right;
        self.dates_labelled += t.dates_labelled;
        self.dates_right += t.dates_right;
        self.undated_labelled += t.undated_labelled;
        self.undated_right += t.undated_right;
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus (set TIDINGS_CORPUS_DIR)")]
fn zh_lists_detection_meets_the_floors() {
    let corpus = support::corpus_dir();
    let dir = corpus.join("zh-lists");
    let mut ids: Vec<String> = std::fs::read_dir(dir.join("labels"))
        .expect("zh-lists/labels is readable")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(String::from)
        })
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 15, "zh-lists should hold 15 labelled pages");

    let mut total = Tally::default();
    println!(
        "\n{:<16} {:>4} {:>4} {:>4} {:>6} {:>6} {:>6}  exact",
        "page", "exp", "got", "hit", "titles", "dates", "of"
    );
    for id in &ids {
        let t = score_page(&dir, id);
        total.add(&t);
    }

    let precision = total.matched as f64 / total.detected.max(1) as f64;
    let recall = total.matched as f64 / total.expected.max(1) as f64;
    let titles = total.titles_right as f64 / total.matched.max(1) as f64;
    let dates = total.dates_right as f64 / total.dates_labelled.max(1) as f64;
    let undated = total.undated_right as f64 / total.undated_labelled.max(1) as f64;
    println!(
        "exact lists {}/{}; items: precision {precision:.3}, recall {recall:.3} ({} of {} labelled, {} detected); titles right {titles:.3}; labelled dates right {dates:.3} ({}/{}); no date where the label has none {undated:.3} ({}/{})\n",
        total.exact,
        total.pages,
        total.matched,
        total.expected,
        total.detected,
        total.dates_right,
        total.dates_labelled,
        total.undated_right,
        total.undated_labelled
    );
    assert!(
        total.exact >= 13,
        "exact main list on {} of 15 pages, floor 13",
        total.exact
    );
    assert!(
        precision >= 0.95,
        "item precision {precision:.3} below 0.95"
    );
    assert!(recall >= 0.95, "item recall {recall:.3} below 0.95");
    assert!(dates >= 0.95, "labelled dates right {dates:.3} below 0.95");
    assert!(
        undated >= 0.95,
        "dates invented for undated items: {undated:.3} right, below 0.95"
    );
}

/// Detect one page's list, compare it with its label and print one table row.
fn score_page(dir: &std::path::Path, id: &str) -> Tally {
    let label: Label = serde_json::from_slice(
        &std::fs::read(dir.join("labels").join(format!("{id}.json"))).expect("label file"),
    )
    .expect("label JSON");
    let bytes = std::fs::read(dir.join("pages").join(format!("{id}.html"))).expect("page");
    let html = decode(&bytes, None).text;
    let page_url =
        Url::parse(label.base_url.as_deref().unwrap_or(STAND_IN_URL)).expect("label base_url");
    let base = document_base(&html, &page_url);

    let items = detect_list(&html, &page_url, chrono_tz::Asia::Shanghai);
    let got: Vec<&str> = items.iter().map(|i| i.url.as_str()).collect();
    // A label href that is not an http(s) link (`javascript:;` rows of a mirror) cannot
    // be listed; it stays expected and counts as missed.
    let expected: Vec<(Option<String>, &LabelItem)> = label
        .items
        .iter()
        .map(|it| {
            let url = base
                .join(&it.href)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| u.to_string());
            (url, it)
        })
        .collect();
    let exact = expected.len() == got.len()
        && expected
            .iter()
            .zip(&got)
            .all(|((e, _), g)| e.as_deref() == Some(*g));

    let by_url: HashMap<&str, &tidings::model::ListItem> =
        items.iter().map(|i| (i.url.as_str(), i)).collect();
    let mut t = Tally {
        pages: 1,
        exact: exact as usize,
        detected: items.len(),
        expected: expected.len(),
        ..Tally::default()
    };
    for (url, it) in &expected {
        let found = url.as_deref().and_then(|u| by_url.get(u));
        if let Some(found) = found {
            t.matched += 1;
            if normalise(&found.title) == normalise(&it.title) {
                t.titles_right += 1;
            } else {
                println!("    title {:?} != label {:?}", found.title, it.title);
            }
        } else {
            println!("    missed {:?} {:?}", it.href, it.title);
        }
        if let Some(day) = &it.date {
            t.dates_labelled += 1;
            let got_day = found.and_then(|f| f.published).map(|p| p.day().to_string());
            if got_day.as_deref() == Some(day.as_str()) {
                t.dates_right += 1;
            } else if found.is_some() {
                println!("    date {got_day:?} != label {day} ({})", it.title);
            }
        } else if let Some(found) = found {
            t.undated_labelled += 1;
            match found.published {
                None => t.undated_right += 1,
                Some(p) => println!("    date {p} where the label has none ({})", it.title),
            }
        }
    }
    let labelled: Vec<Option<&str>> = expected.iter().map(|(u, _)| u.as_deref()).collect();
    for item in &items {
        if !labelled.contains(&Some(item.url.as_str())) {
            println!("    extra {:?} {:?}", item.url, item.title);
        }
    }
    println!(
        "{:<16} {:>4} {:>4} {:>4} {:>6} {:>6} {:>6}  {}",
        id,
        t.expected,
        t.detected,
        t.matched,
        t.titles_right,
        t.dates_right,
        t.dates_labelled,
        if exact { "yes" } else { "NO" }
    );
    t
}

/// `<base href>` resolved against the page URL, as the labels' hrefs are written
/// relative to it.
fn document_base(html: &str, page_url: &Url) -> Url {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("base[href]").expect("static selector");
    doc.select(&sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone())
}
