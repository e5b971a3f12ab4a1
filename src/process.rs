//! Entries → items: canonical URLs, stable ids, revisions, sanitised HTML; and an
//! article page's findings merged into the entry that linked to it.
//!
//! An item's id is the publisher's own (guid, Atom id), else its canonical URL, else a
//! hash of its title and content. Its revision is a hash of what a reader sees (title
//! and text, whitespace folded), so a re-rendered page with the same words is not an
//! update, and an edited one is.

use crate::model::{Article, Entry, Item, PubDate};
use crate::text::{
    fold_whitespace, head, html_to_text, might_contain_tags, text_to_paragraphs, truncate_chars,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use url::Url;

pub use crate::text::url::canonical_url;

mod quick;

/// Sanitise untrusted HTML: the one policy, applied when an item is stored and again
/// when it is published. No scripts, styles, event handlers, frames or `javascript:`
/// URLs (ammonia's allow-list, plus `title` attributes and figures); links get
/// `rel="noopener noreferrer"`; relative URLs are made absolute against `base`, or
/// dropped when there is none (they would point into this server).
///
/// Defined by ammonia ([`sanitize_html_by_parse`]); tidy HTML (most feed bodies) is
/// written in one scan that gives the same output (`process::quick`), and anything the
/// scan cannot vouch for goes to ammonia.
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    match quick::sanitize(html, base, &POLICY) {
        Some(clean) => clean,
        None => sanitize_html_by_parse(html, base),
    }
}

/// Whether [`sanitize_html`] writes `html` without parsing it (for tests and
/// benchmarks).
pub fn sanitizes_quickly(html: &str, base: Option<&Url>) -> bool {
    quick::sanitize(html, base, &POLICY).is_some()
}

/// [`sanitize_html`] by way of ammonia (html5ever's parse, the allow-list, the
/// serialiser): the definition the quick path is held to (tests compare the two).
pub fn sanitize_html_by_parse(html: &str, base: Option<&Url>) -> String {
    SANITIZER.with_borrow_mut(|b| {
        b.url_relative(match base {
            Some(base) => ammonia::UrlRelative::RewriteWithBase(base.clone()),
            None => ammonia::UrlRelative::Deny,
        });
        // ammonia parses with html5ever: nesting bounded first, as everywhere.
        b.clean(&crate::text::nesting::flatten(html)).to_string()
    })
}

/// The one sanitising policy. Both paths read it: ammonia directly, the quick path
/// through [`quick::Policy::of`] (which gives up on options it does not model).
fn policy() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["title"])
        .add_tags(["figure", "figcaption"])
        .link_rel(Some("noopener noreferrer"));
    b
}

static POLICY: std::sync::LazyLock<quick::Policy> =
    std::sync::LazyLock::new(|| quick::Policy::of(&policy()));

thread_local! {
    /// The policy's builder, made once per thread: building its tag and attribute sets
    /// costs as much as cleaning a short item. Only the base changes between calls.
    static SANITIZER: std::cell::RefCell<ammonia::Builder<'static>> =
        std::cell::RefCell::new(policy());
}

fn hash64(parts: &[&str]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().expect("sha256 has 32 bytes"))
}

/// The longest summary kept, in characters.
const SUMMARY_CHARS: usize = 400;
/// An entry's content is cut to this many bytes before it is sanitised and stored: no
/// article needs more, and one hostile entry cannot cost a poll its time or the store
/// its space.
pub const MAX_CONTENT_BYTES: usize = 1 << 20;
/// Ids longer than this (bytes) are stored as their hash: keys stay small whatever a
/// feed puts in its `<guid>`.
pub const MAX_ID_BYTES: usize = 1024;
/// A publication date further ahead of the clock than this is not believed (a wrong
/// zone, a typo, or a feed pinning its entries to the top): the item is dated from
/// when it was first seen instead.
pub const FUTURE_SKEW_MINUTES: i64 = 60;

/// The newest `max` entries (by published date; undated ones count as newest, since
/// lists put new items first and leave them undated as often as not), kept in the
/// source's order. A feed of 100,000 entries costs one poll no more than `max`.
pub fn newest_entries(entries: Vec<Entry>, max: usize) -> Vec<Entry> {
    if entries.len() <= max {
        return entries;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    // Stable: among equal dates the source's order decides.
    order.sort_by_key(|&i| {
        std::cmp::Reverse(entries[i].published.map_or(i64::MAX, |p| p.timestamp()))
    });
    let mut keep = vec![false; entries.len()];
    for &i in order.iter().take(max) {
        keep[i] = true;
    }
    entries
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

/// Whether a date is not ahead of `now` by more than [`FUTURE_SKEW_MINUTES`]. A bare day is
/// believed up to the day it already is somewhere on Earth (UTC+14).
fn not_in_future(date: &PubDate, now: DateTime<Utc>) -> bool {
    let skew = chrono::Duration::minutes(FUTURE_SKEW_MINUTES);
    match date {
        PubDate::Instant(t) => *t <= now + skew,
        PubDate::Day(d) => *d <= (now + chrono::Duration::hours(14) + skew).date_naive(),
    }
}

/// An entry's stable id when it has one: the publisher's id, else its canonical URL
/// (resolved against `base`). Without either, [`to_item`] falls back to a hash of title
/// and content. The one place an id is made: the poller looks known articles up by it.
pub fn item_id(entry: &Entry, base: Option<&Url>) -> Option<String> {
    entry
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        // A guid that is a link gets the same canonical form as links, so a tracking
        // parameter added to it does not make the entry new.
        .map(|id| match canonical_url(id, None) {
            Some(u) if id.starts_with("http") => u.to_string(),
            _ => id.to_string(),
        })
        .or_else(|| {
            let url = canonical_url(entry.url.as_deref()?, base)?;
            Some(url.to_string())
        })
        .map(|id| {
            if id.len() > MAX_ID_BYTES {
                format!("sha256:{:016x}", hash64(&[&id]))
            } else {
                id
            }
        })
}

/// An item's `content_text`: the text of its sanitised `content_html` (`None` when that
/// has no text). The store keeps only the HTML and derives the text again when it reads
/// an item (see `store::encode_item`), so this is the one definition of the field.
pub fn content_text(content_html: &str) -> Option<String> {
    Some(html_to_text(content_html)).filter(|t| !t.is_empty())
}

/// Turn one entry into an item. `base` resolves relative links; `now` is first-seen.
pub fn to_item(entry: &Entry, source: &str, base: Option<&Url>, now: DateTime<Utc>) -> Item {
    let url = entry.url.as_deref().and_then(|u| canonical_url(u, base));
    let content_html = entry
        .content_html
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|h| sanitize_html(head(h, MAX_CONTENT_BYTES), url.as_ref().or(base)));
    let content_text = content_html.as_deref().and_then(content_text);
    let summary = entry.summary.as_deref().map(|s| {
        let s = head(s, MAX_CONTENT_BYTES);
        if might_contain_tags(s) {
            html_to_text(s)
        } else {
            fold_whitespace(s)
        }
    });
    let summary = summary
        .or_else(|| content_text.clone())
        .map(|s| truncate_chars(&s, SUMMARY_CHARS))
        .filter(|s| !s.is_empty());
    // Text fields are text: markup in them (a feed's `<author>` holding `<script>`) is
    // reduced to its text, since some readers render any feed field as HTML.
    let plain = |t: &str| {
        if might_contain_tags(t) {
            html_to_text(t)
        } else {
            fold_whitespace(t)
        }
    };
    let plain_opt = |t: &Option<String>| t.as_deref().map(plain).filter(|s| !s.is_empty());
    let title = entry
        .title
        .as_deref()
        .map(plain)
        .filter(|t| !t.is_empty())
        .or_else(|| summary.as_deref().map(|s| truncate_chars(s, 80)))
        .unwrap_or_else(|| "(untitled)".to_string());
    let body_for_revision = content_text.as_deref().or(summary.as_deref()).unwrap_or("");
    let id = item_id(entry, base)
        .unwrap_or_else(|| format!("sha256:{:016x}", hash64(&[&title, body_for_revision])));
    Item {
        source: source.to_string(),
        revision: hash64(&[&title, &fold_whitespace(body_for_revision)]),
        id,
        url: url.map(|u| u.to_string()),
        title,
        subtitle: plain_opt(&entry.subtitle),
        // A date in the future is dropped: the item is then dated from its first-seen
        // time, which the store keeps across updates.
        published: entry.published.filter(|p| not_in_future(p, now)),
        updated: entry
            .updated
            .filter(|u| *u <= now + chrono::Duration::minutes(FUTURE_SKEW_MINUTES)),
        author: plain_opt(&entry.author),
        origin: plain_opt(&entry.origin),
        summary,
        content_text,
        content_html,
        first_seen: now,
    }
}

/// Bump when [`to_item`] changes what it makes of an entry, so that entries skipped as
/// unchanged (see [`fingerprint`]) are processed again once.
const FINGERPRINT_VERSION: &str = "1";

/// A fingerprint of everything [`to_item`] reads from an entry (and the base its links
/// resolve against). Two entries with the same fingerprint make the same item, so an
/// entry whose fingerprint the previous poll of its source recorded needs no processing:
/// what it would store is stored already.
pub fn fingerprint(entry: &Entry, base: Option<&Url>) -> u64 {
    let mut h = Fingerprint::default();
    // Absent and empty differ; the length keeps fields from running into each other.
    let mut field = |s: Option<&str>| match s {
        Some(s) => {
            h.word(s.len() as u64 + 1);
            h.bytes(s.as_bytes());
        }
        None => h.word(0),
    };
    field(Some(FINGERPRINT_VERSION));
    field(base.map(Url::as_str));
    field(entry.id.as_deref());
    field(entry.url.as_deref());
    field(entry.title.as_deref());
    field(entry.subtitle.as_deref());
    field(entry.published.map(|p| format!("{p:?}")).as_deref());
    field(entry.updated.map(|u| u.to_rfc3339()).as_deref());
    field(entry.author.as_deref());
    field(entry.origin.as_deref());
    field(entry.summary.as_deref());
    field(entry.content_html.as_deref());
    field(entry.attachment.then_some("attachment"));
    h.finish()
}

/// A fast 64-bit hash, eight bytes at a time, fixed forever (fingerprints are stored):
/// two independent multiply-rotate lanes, mixed at the end with MurmurHash3's finaliser.
/// Not for adversaries: a publisher who forged a collision would only hide an edit of
/// its own feed until the entry changes again.
struct Fingerprint {
    a: u64,
    b: u64,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        }
    }
}

impl Fingerprint {
    fn word(&mut self, w: u64) {
        self.a = (self.a ^ w)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31);
        self.b = (self.b.rotate_left(27) ^ w).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.word(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
    }

    fn finish(&self) -> u64 {
        let mut x = self.a ^ self.b.rotate_left(32);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// Items of one poll, in source order, without repeats of one id.
pub fn to_items(
    entries: &[Entry],
    source: &str,
    base: Option<&Url>,
    now: DateTime<Utc>,
) -> Vec<Item> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .map(|e| to_item(e, source, base, now))
        .filter(|i| seen.insert(i.id.clone()))
        .collect()
}

/// A feed entry whose content is shorter than this (in characters of text) is a teaser:
/// with `full_text`, its page is opened and extracted.
const TEASER_CHARS: usize = 400;

/// Whether an entry carries its whole text (not only a teaser) and needs no page.
pub fn has_full_text(entry: &Entry) -> bool {
    entry
        .content_html
        .as_deref()
        .is_some_and(|h| html_to_text(h).chars().count() >= TEASER_CHARS)
}

/// What the article page says wins over what the list or feed said, except that a
/// list's date is kept when the page shows none, and the title is chosen by
/// [`better_title`].
pub fn merge_article(entry: &mut Entry, article: Article) {
    entry.title = better_title(entry.title.take(), article.title);
    entry.subtitle = article.subtitle.or(entry.subtitle.take());
    // The page's date is usually more precise than the list's (a time, not only a day).
    entry.published = article.published.or(entry.published);
    entry.author = article.author.or(entry.author.take());
    entry.origin = article.origin.or(entry.origin.take());
    if !article.content_html.trim().is_empty() {
        entry.content_html = Some(article.content_html);
    } else if !article.content_text.trim().is_empty() {
        entry.content_html = Some(text_to_paragraphs(&article.content_text));
    }
}

/// The page's own title is usually complete where a list cuts it short, but a page
/// whose title extraction went wrong must not replace a good list title: the page's
/// title wins when the list's is missing or truncated, or when it covers at least
/// half of the list title's characters (the same headline, perhaps longer).
fn better_title(listed: Option<String>, page: Option<String>) -> Option<String> {
    let page = page.filter(|t| !t.trim().is_empty());
    let Some(listed) = listed.filter(|t| !t.trim().is_empty()) else {
        return page;
    };
    let Some(page) = page else {
        return Some(listed);
    };
    let listed_end = listed.trim_end();
    if listed_end.ends_with('…') || listed_end.ends_with("..") {
        return Some(page);
    }
    let listed_chars: HashSet<char> = listed.chars().filter(|c| c.is_alphanumeric()).collect();
    let shared = listed_chars.iter().filter(|c| page.contains(**c)).count();
    if shared * 2 >= listed_chars.len() {
        Some(page)
    } else {
        Some(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_prefers_guid_then_url_then_hash() {
        let now = Utc::now();
        let mut e = Entry {
            id: Some("guid-1".into()),
            url: Some("http://x.org/a?utm_source=rss".into()),
            title: Some("T".into()),
            ..Default::default()
        };
        assert_eq!(to_item(&e, "s", None, now).id, "guid-1");
        e.id = Some("http://X.org/a?utm_source=feed#c".into());
        assert_eq!(to_item(&e, "s", None, now).id, "http://x.org/a");
        e.id = None;
        assert_eq!(to_item(&e, "s", None, now).id, "http://x.org/a");
        e.url = None;
        assert!(to_item(&e, "s", None, now).id.starts_with("sha256:"));
    }

    #[test]
    fn a_fingerprint_changes_with_anything_to_item_reads() {
        let base = Url::parse("http://x.org/feed").unwrap();
        let e = Entry {
            id: Some("1".into()),
            title: Some("标题".into()),
            content_html: Some("<p>正文</p>".into()),
            ..Default::default()
        };
        let f = fingerprint(&e, Some(&base));
        assert_eq!(f, fingerprint(&e.clone(), Some(&base)), "stable");
        let other_base = Url::parse("http://y.org/feed").unwrap();
        assert_ne!(
            f,
            fingerprint(&e, Some(&other_base)),
            "links resolve elsewhere"
        );
        let mut edited = e.clone();
        edited.content_html = Some("<p>正文。</p>".into());
        assert_ne!(f, fingerprint(&edited, Some(&base)));
        let mut summary = e.clone();
        summary.summary = Some(String::new());
        assert_ne!(f, fingerprint(&summary, Some(&base)), "empty is not absent");
        let mut moved = e.clone();
        moved.title = None;
        moved.author = Some("标题".into());
        assert_ne!(
            f,
            fingerprint(&moved, Some(&base)),
            "a value in another field"
        );
    }

    #[test]
    fn revision_ignores_markup_but_not_words() {
        let now = Utc::now();
        let a = Entry {
            id: Some("1".into()),
            title: Some("标题".into()),
            content_html: Some("<p>第一段</p><p>第二段</p>".into()),
            ..Default::default()
        };
        let mut b = a.clone();
        b.content_html = Some("<div class=x><p>第一段</p>\n  <p>第二段</p></div>".into());
        let mut c = a.clone();
        c.content_html = Some("<p>第一段</p><p>第二段（更正）</p>".into());
        let r = |e: &Entry| to_item(e, "s", None, now).revision;
        assert_eq!(r(&a), r(&b));
        assert_ne!(r(&a), r(&c));
    }

    /// A stored item's revision must not move when only the code that derives its text
    /// changes: every stored item would be reported as updated. The inputs touch each
    /// text helper the revision depends on (tags in a title, table cells, folded
    /// whitespace, a teaser). If this fails, the change alters stored text: keep the old
    /// behaviour, or move the revision scheme on deliberately.
    #[test]
    fn revisions_are_stable() {
        let entry = Entry {
            id: Some("1".into()),
            title: Some("<b>区内</b>  要闻 &amp; more".into()),
            summary: Some("a \u{3000} b".into()),
            content_html: Some(
                "<div><p>第一段</p><table><tr><td>a</td><td>b</td></tr></table>\n<p> 第二段<br>末行 </p><script>x()</script></div>".into(),
            ),
            ..Default::default()
        };
        let item = to_item(&entry, "s", None, Utc::now());
        assert_eq!(item.title, "区内 要闻 & more");
        assert_eq!(
            item.content_text.as_deref(),
            Some("第一段\nab\n第二段\n末行")
        );
        assert_eq!(item.revision, 11563871623873441350);
        let text_only = Entry {
            title: Some("a < b > c".into()),
            summary: Some("teaser &amp; text".into()),
            ..Default::default()
        };
        assert_eq!(
            to_item(&text_only, "s", None, Utc::now()).revision,
            10894504561658522977
        );
    }

    fn pick(listed: &str, page: &str) -> String {
        better_title(Some(listed.into()), Some(page.into())).unwrap()
    }

    #[test]
    fn the_page_title_wins_only_when_it_is_the_same_headline() {
        assert_eq!(
            pick("关于开展安全生产大检查的…", "关于开展安全生产大检查的通知"),
            "关于开展安全生产大检查的通知"
        );
        assert_eq!(
            pick("Rust 1.80 released", "Announcing Rust 1.80.0"),
            "Announcing Rust 1.80.0"
        );
        assert_eq!(
            pick("关于开展安全生产大检查的通知", "通知"),
            "关于开展安全生产大检查的通知"
        );
        assert_eq!(
            pick("自治州科协开展科普活动", "显示"),
            "自治州科协开展科普活动"
        );
        assert_eq!(
            better_title(None, Some("页面标题".into())).unwrap(),
            "页面标题"
        );
        assert_eq!(
            better_title(Some("列表标题".into()), None).unwrap(),
            "列表标题"
        );
    }

    #[test]
    fn hostile_html_is_inert() {
        let base = Url::parse("http://x.org/a/").unwrap();
        let out = sanitize_html(
            r#"<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(1)">l</a><iframe src="http://e"></iframe><img src="i.png" onerror="x()"></p>"#,
            Some(&base),
        );
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("javascript"));
        assert!(!out.contains("iframe") && !out.contains("onerror"));
        assert!(out.contains(r#"src="http://x.org/a/i.png""#), "{out}");
    }

    #[test]
    fn long_ids_are_hashed_and_stay_stable() {
        let entry = |id: String| Entry {
            id: Some(id),
            title: Some("t".into()),
            ..Default::default()
        };
        let long = "x".repeat(MAX_ID_BYTES + 1);
        let id = item_id(&entry(long.clone()), None).unwrap();
        assert!(id.starts_with("sha256:") && id.len() < 40, "{id}");
        assert_eq!(item_id(&entry(long), None).unwrap(), id);
        let short = "y".repeat(MAX_ID_BYTES);
        assert_eq!(item_id(&entry(short.clone()), None).unwrap(), short);
    }

    #[test]
    fn dates_in_the_future_give_way_to_first_seen() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let dated = |published: &str| Entry {
            id: Some("1".into()),
            title: Some("t".into()),
            published: crate::dates::parse_date(published, chrono_tz::UTC),
            ..Default::default()
        };
        let item = to_item(&dated("9999-12-31T00:00:00Z"), "s", None, now);
        assert_eq!(item.published, None);
        assert_eq!(item.sort_time(), now.timestamp());
        // A clock a little ahead, and a day that has begun east of here, are believed.
        assert!(
            to_item(&dated("2026-12-01T12:30:00Z"), "s", None, now)
                .published
                .is_some()
        );
        assert!(
            to_item(&dated("2026-12-02"), "s", None, now)
                .published
                .is_some()
        );
        assert!(
            to_item(&dated("2026-12-01T14:00:00Z"), "s", None, now)
                .published
                .is_none()
        );
        assert!(
            to_item(&dated("2026-12-04"), "s", None, now)
                .published
                .is_none()
        );
    }

    #[test]
    fn newest_entries_keep_the_source_order() {
        let e = |i: usize, day: Option<u32>| Entry {
            id: Some(i.to_string()),
            published: day
                .map(|d| PubDate::Day(chrono::NaiveDate::from_ymd_opt(2022, 9, d).unwrap())),
            ..Default::default()
        };
        let entries = vec![
            e(0, Some(1)),
            e(1, Some(9)),
            e(2, None),
            e(3, Some(5)),
            e(4, Some(2)),
        ];
        let kept: Vec<String> = newest_entries(entries, 3)
            .into_iter()
            .filter_map(|e| e.id)
            .collect();
        assert_eq!(kept, ["1", "2", "3"]);
    }

    #[test]
    fn huge_content_is_cut_before_it_is_sanitised() {
        let entry = Entry {
            id: Some("1".into()),
            content_html: Some(format!("<p>{}</p>", "长".repeat(MAX_CONTENT_BYTES))),
            ..Default::default()
        };
        let item = to_item(&entry, "s", None, Utc::now());
        assert!(item.content_html.unwrap().len() <= MAX_CONTENT_BYTES + 16);
    }
}
