//! Article extraction on hand-written pages (`tests/fixtures/articles/<name>/page.html` +
//! `expected.json`): government portals written by `make.py`, western title and byline
//! markup written by `make_western.py` (one page per kind), and western layouts written
//! by hand (`lead-outside-body`: a lead in the article's header, the body in its own block;
//! `howto-steps`: a text split over sibling blocks of one class, one only a list;
//! `consent-banner`: a cookie box with more prose than an article made of a table;
//! `howto-step-series`: steps of a picture and a line each, the first marked up as the
//! lead; `gallery-captions`: a slideshow repeating one caption per slide and a caption
//! that is its picture's `alt` text; `paywall-jsonld-body`: a teaser and a subscription
//! offer on the page, the whole text in JSON-LD; `author-box-disclaimer`: a writer's bio
//! and an advertising disclosure inside the article's container; `browser-notice-overlay`:
//! an outdated-browser notice laid over the page with more prose than the news item;
//! `open-letter-signatories`: a letter followed by a hundred `Name, Affiliation` lines;
//! `paywall-notice`: a paywall's notice closing the visible text; `decomposed-accents`:
//! umlauts written as a letter and a combining mark).
//! Every field is compared, and the body must hold the article's sentences and none of
//! the furniture around it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tidings::extract::extract;
use url::Url;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Check one fixture; returns what differs.
fn check(dir: &Path) -> Vec<String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(dir.join("page.html")).expect("page.html");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let url = Url::parse(expected["url"].as_str().expect("url")).expect("valid url");
    let article = extract(&bytes, &url, expected["content_type"].as_str(), TZ);

    let mut problems = Vec::new();
    let mut field = |key: &str, got: Option<String>| {
        let want = expected[key].as_str().map(str::to_string);
        if got != want {
            problems.push(format!("{name}: {key} = {got:?}, expected {want:?}"));
        }
    };
    field("title", article.title.clone());
    if expected.get("subtitle").is_some() {
        field("subtitle", article.subtitle.clone());
    }
    field("published", article.published.map(|p| p.to_string()));
    field("author", article.author.clone());
    field("origin", article.origin.clone());

    for phrase in strings(&expected, "body_contains") {
        if !article.content_text.contains(&phrase) {
            problems.push(format!("{name}: body lacks {phrase:?}"));
        }
    }
    for phrase in strings(&expected, "body_not_contains") {
        if article.content_text.contains(&phrase) {
            problems.push(format!("{name}: body contains {phrase:?}"));
        }
    }
    for phrase in strings(&expected, "html_contains") {
        if !article.content_html.contains(&phrase) {
            problems.push(format!("{name}: html lacks {phrase:?}"));
        }
    }
    for phrase in strings(&expected, "html_not_contains") {
        if article.content_html.contains(&phrase) {
            problems.push(format!("{name}: html contains {phrase:?}"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!(
            "{name}: text was:\n{}\nhtml was:\n{}",
            article.content_text, article.content_html
        ));
    }
    problems
}

#[test]
fn portal_fixtures_extract_every_field() {
    let dirs = fixtures();
    assert!(
        dirs.len() >= 5,
        "expected at least five fixtures, found {}",
        dirs.len()
    );
    let problems: Vec<String> = dirs.iter().flat_map(|d| check(d)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn paragraphs_are_lines_of_text() {
    let dir = fixtures()
        .into_iter()
        .find(|d| d.ends_with("training-table-layout"))
        .expect("table-layout fixture");
    let bytes = std::fs::read(dir.join("page.html")).expect("page.html");
    let url = Url::parse("http://www.wenquan.gov.cn/a.htm").expect("static url");
    let article = extract(&bytes, &url, None, TZ);
    // Three <br><br>-separated paragraphs in one cell become three lines.
    let lines: Vec<&str> = article.content_text.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines.iter().all(|l| l.trim() == *l && !l.is_empty()));
}

#[test]
fn a_gallery_caption_repeated_on_every_slide_is_kept_once() {
    let dir = fixtures()
        .into_iter()
        .find(|d| d.ends_with("gallery-captions"))
        .expect("gallery fixture");
    let bytes = std::fs::read(dir.join("page.html")).expect("page.html");
    let url = Url::parse("https://news.example.com/gallery").expect("static url");
    let article = extract(&bytes, &url, None, TZ);
    let caption = "Defense Secretary Mark Esper, left,";
    assert_eq!(
        article.content_text.matches(caption).count(),
        1,
        "{}",
        article.content_text
    );
    // Every slide's picture is still there.
    assert_eq!(article.content_html.matches("<img").count(), 6);
}

#[test]
fn garbage_gives_an_empty_article_not_a_panic() {
    let url = Url::parse("http://localhost/x.html").expect("static url");
    let a = extract(
        b"\xff\xfe\x00\x00garbage\x00<<<>>>",
        &url,
        Some("text/html"),
        TZ,
    );
    assert_eq!(a.title, None);
    assert_eq!(a.published, None);
    assert_eq!(a.author, None);
}
