//! The bodies of the fuzz targets, shared by the libFuzzer targets (`fuzz_targets/`,
//! nightly, `cargo fuzz run`) and the stable mutation loop (`examples/fuzz-loop.rs`).
//!
//! Each takes arbitrary bytes and drives one hostile-input surface of the crate through
//! its public API. A panic, a hang or runaway memory is a finding; so is a broken
//! invariant the target checks with `assert!` (a Telegram part over its limit, a robot
//! message over its platform's size).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::path::Path;
use tidings::config::{Config, WebhookKind};
use tidings::notify::telegram::html as tg;
use tidings::notify::view::{Content, FeedGroup, ItemView};
use url::Url;

/// One target: arbitrary bytes in.
pub type Target = fn(&[u8]);

/// Every target, by name, for the stable loop.
pub const TARGETS: &[(&str, Target)] = &[
    ("feed", feed),
    ("charset", charset),
    ("html", html),
    ("sanitize", sanitize),
    ("config", config),
    ("telegram", telegram),
    ("robot", robot),
    ("dates", dates),
];

const TZ: Tz = chrono_tz::Asia::Shanghai;
const DEFAULT_URL: &str = "https://www.example.gov.cn/xwzx/tzgg/index.html";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A first line that is an absolute URL (`https://…\n`) is the page's URL; otherwise
/// the whole input is the body and the URL is a portal column's.
fn url_and_body(data: &[u8]) -> (Url, &[u8]) {
    if let Some(nl) = data.iter().take(512).position(|&b| b == b'\n')
        && let Ok(line) = std::str::from_utf8(&data[..nl])
        && let Ok(url) = Url::parse(line.trim())
    {
        return (url, &data[nl + 1..]);
    }
    (Url::parse(DEFAULT_URL).unwrap(), data)
}

/// Feeds (RSS, Atom, JSON Feed; any charset) → entries → items, as a poll does.
pub fn feed(data: &[u8]) {
    let (url, body) = url_and_body(data);
    let _ = tidings::parse::is_feed(None, body);
    if let Ok(parsed) = tidings::parse::feed::parse_feed(body, None, &url, TZ) {
        let _ = tidings::process::to_items(&parsed.entries, "fuzz", Some(&url), now());
    }
}

/// Bytes → text, with no declaration and under the charset labels portals send.
pub fn charset(data: &[u8]) {
    for content_type in [
        None,
        Some("text/html; charset=gb2312"),
        Some("text/html; charset=utf-8"),
        Some("application/xml; charset=\"big5\""),
    ] {
        let decoded = tidings::text::charset::decode(data, content_type);
        // Pure ASCII input (no NUL or BOM tricks) must come back unchanged.
        if data.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\n') && !data.is_empty() {
            assert_eq!(decoded.text.as_bytes(), data, "ASCII changed by decoding");
        }
    }
    if let Ok(label) = std::str::from_utf8(&data[..data.len().min(64)]) {
        let _ = tidings::text::charset::encoding_for_label(label);
    }
}

/// An HTML page (bytes, optional URL line first): list detection, then article
/// extraction, then the items a poll would store.
pub fn html(data: &[u8]) {
    let (url, body) = url_and_body(data);
    let text = tidings::text::decode(body, None);
    let entries = tidings::parse::html::list_entries(&text, &url, None, TZ).unwrap_or_default();
    let mut entry = entries.into_iter().next().unwrap_or_default();
    let article = tidings::extract::extract_html(&text, &url, TZ);
    tidings::process::merge_article(&mut entry, article);
    let _ = tidings::process::to_items(&[entry], "fuzz", Some(&url), now());
}

/// An HTML fragment (optional URL line first, the base its relative links resolve
/// against) through the sanitiser: where its one-scan path writes the output itself,
/// it must be exactly what ammonia writes, with a base and without one.
pub fn sanitize(data: &[u8]) {
    use tidings::process::{sanitize_html, sanitize_html_by_parse};
    let (url, body) = url_and_body(data);
    let html = String::from_utf8_lossy(body);
    for base in [Some(&url), None] {
        assert_eq!(
            sanitize_html(&html, base),
            sanitize_html_by_parse(&html, base),
            "the scan and ammonia disagree (base {base:?})"
        );
    }
}

/// `feeds.toml` text → a validated config, or errors (never a panic). Every error
/// must point into the file.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let env = |name: &str| (!name.len().is_multiple_of(3)).then(|| format!("v{name}"));
    match Config::parse_with_env(&text, Path::new("/fuzz/feeds.toml"), &env) {
        Ok(config) => {
            let _ = config.summary();
            for s in &config.sources {
                let _ = config.source_schedule(s);
                let _ = config.source_tz(s);
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an Err with no error in it");
            let lines = text.lines().count().max(1) + 1;
            for e in &errors.0 {
                assert!(e.line <= lines, "error line {} past the end: {e}", e.line);
            }
            let _ = errors.to_string();
        }
    }
}

/// Telegram HTML split into parts under a limit taken from the first two bytes.
pub fn telegram(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let max = usize::from(u16::from_le_bytes([data[0], data[1]])) % tg::MAX_UNITS + 1;
    let html = String::from_utf8_lossy(&data[2..]);
    let total = tg::units(&html);
    let parts = tg::split(&html, max);
    assert!(
        parts.len() <= total + 1,
        "{} parts for {total} units",
        parts.len()
    );
    for p in &parts {
        // Only a lone character wider than the limit (a surrogate pair) may exceed it.
        let n = tg::units(p);
        assert!(
            n <= max.max(2),
            "a part of {n} units over the limit {max}: {p:?}"
        );
    }
}

/// Robot messages (markdown and the other shapes) from item fields split out of the
/// input at 0x01 bytes: each stays within its platform's size.
pub fn robot(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut f = text.split('\u{1}').map(str::to_string);
    let mut next = || f.next().unwrap_or_default();
    let item = ItemView {
        title: next(),
        url: Some(next()).filter(|u| !u.is_empty()),
        source: next(),
        published: Some(next()).filter(|p| !p.is_empty()),
        author: Some(next()),
        origin: Some(next()).filter(|o| !o.is_empty()),
        excerpt: next(),
        content_html: None,
        updated: data.first().is_some_and(|b| b & 1 == 1),
        keyword: Some(next()),
    };
    let contents = [
        Content::Item { item: item.clone() },
        Content::Digest {
            run: next(),
            count: 3,
            groups: vec![FeedGroup {
                feed: next(),
                items: vec![item.clone(), item.clone(), item],
            }],
        },
        Content::Alert {
            title: next(),
            detail: next(),
            recovered: false,
        },
    ];
    use tidings::notify::robot::body;
    for content in &contents {
        let _ = tidings::notify::robot::md_escape(&text);
        let wecom = body(WebhookKind::WeCom, content);
        let s = wecom["markdown"]["content"].as_str().unwrap_or("");
        assert!(s.len() <= 4096, "WeCom markdown of {} bytes", s.len());
        let ding = body(WebhookKind::DingTalk, content);
        let s = ding["markdown"]["text"].as_str().unwrap_or("");
        assert!(s.len() <= 18_000, "DingTalk markdown of {} bytes", s.len());
        let discord = body(WebhookKind::Discord, content);
        let s = discord["content"].as_str().unwrap_or("");
        assert!(s.chars().count() <= 2000, "Discord content over 2000 chars");
        let slack = body(WebhookKind::Slack, content);
        let s = slack["text"].as_str().unwrap_or("");
        assert!(s.chars().count() <= 3000, "Slack text over 3000 chars");
        let _ = body(WebhookKind::Feishu, content);
        let _ = body(WebhookKind::Json, content);
    }
}

/// Dates as pages, lists, URLs and feeds print them.
pub fn dates(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = tidings::dates::find_date(&text, TZ);
    let _ = tidings::dates::parse_date(&text, TZ);
    let _ = tidings::dates::find_date_words(&text);
    let _ = tidings::dates::find_issue_month(&text);
    let _ = tidings::dates::url_date(&text);
    if let Some(date) = tidings::parse::feed::date::parse_date(&text, TZ) {
        let _ = tidings::parse::feed::date::to_instant(date, TZ);
    }
}
