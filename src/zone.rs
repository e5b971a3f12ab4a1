//! Which time zone a page's dates without an offset are in, when the operator set none.
//!
//! `时间:2022-09-07 10:45` on a portal, or a `PubDate` meta tag without an offset, is a
//! wall-clock time in the publisher's zone. With `timezone` configured (the source's, or
//! `daemon.timezone`) that zone is used. Without one, reading such times as UTC puts every
//! Chinese site eight hours off, so the page's own evidence comes first, and UTC only when
//! it points nowhere.
//!
//! The evidence is a pure function of the page text and its URL, tried strongest first:
//!
//! 1. an explicit statement of the clock (`北京时间`);
//! 2. the declared language (`<html lang="zh-CN">`, `xml:lang`, RSS `<language>`), when
//!    that language is spoken in one zone (`zh-CN` → Asia/Shanghai, `zh-TW` →
//!    Asia/Taipei, `ja` → Asia/Tokyo …; `en` or `fr` say nothing);
//! 3. a Chinese site registration number in the footer (ICP 备案, 公网安备): only sites
//!    hosted in mainland China carry one;
//! 4. the host's country domain (`.cn`, `.hk`, `.tw`, `.jp`, `.kr` …);
//! 5. the script of the visible text: mostly Han in simplified characters → Asia/Shanghai,
//!    mostly Hangul → Asia/Seoul, Han with kana → Asia/Tokyo.
//!
//! Each rule is a table, so other evidence can map to other zones by adding a row.

use chrono_tz::Tz;
use regex::Regex;
use std::fmt;
use std::sync::LazyLock;
use url::Url;

/// How much of a page is looked at: the evidence sits in `<html>`, the head, the
/// metadata line and the footer; a bound keeps the scan cheap on huge pages.
const SCAN_BYTES: usize = 512 * 1024;

/// Phrases that state the clock outright.
const STATEMENTS: &[(&str, Tz)] = &[("北京时间", Tz::Asia__Shanghai)];

/// Language tags (lowercase, compared by prefix at a `-` boundary, longest first) spoken
/// in one time zone. Languages spoken across zones (en, fr, es, ar …) are absent.
const LANGUAGES: &[(&str, Tz)] = &[
    ("zh-hant-tw", Tz::Asia__Taipei),
    ("zh-hant-hk", Tz::Asia__Hong_Kong),
    ("zh-hant-mo", Tz::Asia__Macau),
    ("zh-hans-sg", Tz::Asia__Singapore),
    ("zh-hans", Tz::Asia__Shanghai),
    ("zh-cn", Tz::Asia__Shanghai),
    ("zh-tw", Tz::Asia__Taipei),
    ("zh-hk", Tz::Asia__Hong_Kong),
    ("zh-mo", Tz::Asia__Macau),
    ("zh-sg", Tz::Asia__Singapore),
    ("ja", Tz::Asia__Tokyo),
    ("ko", Tz::Asia__Seoul),
];

/// Registration numbers only sites hosted in mainland China show (MIIT ICP filing,
/// public-security filing).
const REGISTRATIONS: &[(&str, Tz)] = &[
    ("ICP备", Tz::Asia__Shanghai),
    ("ICP证", Tz::Asia__Shanghai),
    ("公网安备", Tz::Asia__Shanghai),
];

/// Country-code top-level domains of countries with one time zone.
const DOMAINS: &[(&str, Tz)] = &[
    ("cn", Tz::Asia__Shanghai),
    ("hk", Tz::Asia__Hong_Kong),
    ("mo", Tz::Asia__Macau),
    ("tw", Tz::Asia__Taipei),
    ("jp", Tz::Asia__Tokyo),
    ("kr", Tz::Asia__Seoul),
    ("sg", Tz::Asia__Singapore),
];

/// Characters written differently in simplified and traditional Chinese, and common in
/// news text: (simplified, traditional).
const SIMPLIFIED_TRADITIONAL: &[(char, char)] = &[
    ('这', '這'),
    ('们', '們'),
    ('个', '個'),
    ('时', '時'),
    ('来', '來'),
    ('国', '國'),
    ('会', '會'),
    ('说', '說'),
    ('为', '為'),
    ('发', '發'),
    ('动', '動'),
    ('经', '經'),
    ('对', '對'),
    ('现', '現'),
    ('进', '進'),
    ('实', '實'),
    ('学', '學'),
    ('关', '關'),
    ('开', '開'),
    ('长', '長'),
    ('过', '過'),
    ('还', '還'),
    ('后', '後'),
    ('区', '區'),
    ('书', '書'),
    ('门', '門'),
    ('问', '問'),
    ('间', '間'),
    ('东', '東'),
    ('业', '業'),
    ('电', '電'),
    ('报', '報'),
    ('务', '務'),
    ('员', '員'),
    ('网', '網'),
    ('闻', '聞'),
    ('设', '設'),
    ('记', '記'),
    ('点', '點'),
    ('与', '與'),
    ('县', '縣'),
    ('镇', '鎮'),
    ('党', '黨'),
];

/// Fewer Han characters than this say nothing about the page's language.
const MIN_HAN: usize = 20;

/// Where a zone came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The source's `timezone`, or `daemon.timezone`.
    Configured,
    /// The page's evidence, described (`lang="zh-CN"`, `host .cn` …).
    Page(String),
    /// No zone configured and no evidence: UTC.
    Fallback,
}

/// The zone a page's dates without an offset are read in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub tz: Tz,
    pub why: Why,
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            Why::Configured => write!(f, "{} (configured)", self.tz.name()),
            Why::Page(e) => write!(f, "{} (from the page: {e})", self.tz.name()),
            Why::Fallback => write!(f, "{} (no zone configured, no evidence)", self.tz.name()),
        }
    }
}

/// The configured zone if there is one, else the page's evidence, else UTC.
pub fn choose(configured: Option<Tz>, text: &str, url: &Url) -> Zone {
    if let Some(tz) = configured {
        return Zone {
            tz,
            why: Why::Configured,
        };
    }
    evidence(text, url).unwrap_or(Zone {
        tz: Tz::UTC,
        why: Why::Fallback,
    })
}

/// The zone the page (HTML or a feed) and its URL point to, strongest evidence first.
pub fn evidence(text: &str, url: &Url) -> Option<Zone> {
    let text = crate::text::head(text, SCAN_BYTES);
    let page = |tz: Tz, what: String| Zone {
        tz,
        why: Why::Page(what),
    };
    if let Some((phrase, tz)) = STATEMENTS.iter().find(|(p, _)| text.contains(p)) {
        return Some(page(*tz, phrase.to_string()));
    }
    if let Some((lang, tz)) =
        declared_language(text).and_then(|l| language_zone(&l).map(|z| (l, z)))
    {
        return Some(page(tz, format!("lang=\"{lang}\"")));
    }
    if let Some((mark, tz)) = REGISTRATIONS.iter().find(|(m, _)| text.contains(m)) {
        return Some(page(*tz, format!("{mark} registration")));
    }
    if let Some(host) = url.host_str() {
        let tld = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
        let tld = tld.to_ascii_lowercase();
        if let Some((_, tz)) = DOMAINS.iter().find(|(d, _)| *d == tld) {
            return Some(page(*tz, format!("host .{tld}")));
        }
    }
    script_zone(&visible_text(text)).map(|(tz, what)| page(tz, what.to_string()))
}

/// The first language declared: `<html lang>`, a root `xml:lang`, RSS `<language>`,
/// `<meta http-equiv="content-language">`.
fn declared_language(text: &str) -> Option<String> {
    static LANG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)<(?:html|feed|rss|rdf:rdf)\b[^>]*?\b(?:xml:)?lang\s*=\s*["']?\s*([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)|<(?:dc:)?language>\s*([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)\s*<|<meta\b[^>]*http-equiv\s*=\s*["']?content-language["']?[^>]*content\s*=\s*["']?([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)"#,
        )
        .expect("a constant regex")
    });
    let caps = LANG.captures(text)?;
    let m = caps.get(1).or(caps.get(2)).or(caps.get(3))?;
    Some(m.as_str().to_string())
}

/// The zone of a language tag, matched by its longest known prefix.
fn language_zone(tag: &str) -> Option<Tz> {
    let tag = tag.to_ascii_lowercase().replace('_', "-");
    LANGUAGES
        .iter()
        .find(|(l, _)| tag == *l || tag.starts_with(&format!("{l}-")))
        .map(|(_, tz)| *tz)
}

/// The zone the script of a text points to.
fn script_zone(text: &str) -> Option<(Tz, &'static str)> {
    let (mut letters, mut han, mut kana, mut hangul) = (0usize, 0usize, 0usize, 0usize);
    let (mut simplified, mut traditional) = (0usize, 0usize);
    // Both sides of the table as bit sets over the Han blocks: one bit test per Han
    // character instead of two walks through the table (this loop reads up to
    // 512 KB of every page).
    static SETS: LazyLock<[Vec<u64>; 2]> = LazyLock::new(|| {
        let mut sets = [
            vec![0u64; HAN_BITS.div_ceil(64)],
            vec![0u64; HAN_BITS.div_ceil(64)],
        ];
        for &(s, t) in SIMPLIFIED_TRADITIONAL {
            for (set, c) in sets.iter_mut().zip([s, t]) {
                if is_han(c) {
                    let bit = c as usize - HAN_FIRST;
                    set[bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        sets
    });
    let [simplified_chars, traditional_chars] = &*SETS;
    let has = |set: &[u64], c: char| {
        let bit = c as usize - HAN_FIRST;
        set[bit / 64] & (1 << (bit % 64)) != 0
    };
    for c in text.chars() {
        // Every code point of the two Han blocks is alphabetic (`han_blocks_are_letters`):
        // Unicode's slow table lookup is left for other scripts.
        if is_han(c) {
            letters += 1;
            han += 1;
            if has(simplified_chars, c) {
                simplified += 1;
            } else if has(traditional_chars, c) {
                traditional += 1;
            }
            continue;
        }
        if !c.is_alphabetic() {
            continue;
        }
        letters += 1;
        match c {
            '\u{3040}'..='\u{30ff}' => kana += 1,
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => hangul += 1,
            _ => {}
        }
    }
    if letters == 0 {
        return None;
    }
    if hangul * 2 > letters {
        return Some((Tz::Asia__Seoul, "text mostly Hangul"));
    }
    if kana * 20 >= letters && (kana + han) * 2 > letters && kana >= 5 {
        return Some((Tz::Asia__Tokyo, "Japanese text (kana)"));
    }
    if han >= MIN_HAN && han * 2 > letters && simplified > traditional * 3 {
        return Some((Tz::Asia__Shanghai, "text mostly simplified Chinese"));
    }
    None
}

/// The first and the number of code points [`is_han`] spans.
const HAN_FIRST: usize = 0x3400;
const HAN_BITS: usize = 0x9fff + 1 - HAN_FIRST;

/// The two Han blocks `script_zone` counts (unified ideographs and extension A).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// The text of a page outside tags, scripts and styles (rough, but enough to weigh
/// scripts; entities are left as they are).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` cut `html`.
    while i < html.len() {
        let Some(lt) = lower[i..].find('<').map(|p| i + p) else {
            out.push_str(&html[i..]);
            break;
        };
        out.push_str(&html[i..lt]);
        out.push(' ');
        let skip_to = ["script", "style"]
            .iter()
            .find(|t| lower[lt + 1..].starts_with(*t))
            .and_then(|t| lower[lt..].find(&format!("</{t}")).map(|p| lt + p));
        let from = skip_to.unwrap_or(lt);
        i = match lower[from..].find('>') {
            Some(p) => from + p + 1,
            None => html.len(),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `script_zone` counts Han characters as letters without asking Unicode, and
    /// every character of its table is one it looks up.
    #[test]
    fn han_blocks_are_letters() {
        for c in ('\u{3400}'..='\u{4dbf}').chain('\u{4e00}'..='\u{9fff}') {
            assert!(c.is_alphabetic() && is_han(c), "{c:?}");
        }
        assert!(!is_han('\u{4dc0}') && !is_han('\u{33ff}') && !is_han('\u{a000}'));
        for &(s, t) in SIMPLIFIED_TRADITIONAL {
            assert!(is_han(s) && is_han(t), "{s} {t}");
        }
    }

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    const NEUTRAL: &str = "https://news.example.org/a/1.html";

    fn zone(html: &str, u: &str) -> Option<(Tz, String)> {
        evidence(html, &url(u)).map(|z| (z.tz, z.to_string()))
    }

    #[test]
    fn configured_zone_wins_and_nothing_falls_back_to_utc() {
        let html = r#"<html lang="zh-CN"><body>时间:2022-09-07 10:45</body></html>"#;
        let z = choose(Some(Tz::Europe__Berlin), html, &url(NEUTRAL));
        assert_eq!((z.tz, z.why), (Tz::Europe__Berlin, Why::Configured));
        let z = choose(None, "<html lang=\"en\"><p>Hello</p></html>", &url(NEUTRAL));
        assert_eq!((z.tz, z.why), (Tz::UTC, Why::Fallback));
    }

    #[test]
    fn each_kind_of_evidence_points_to_shanghai() {
        let sh = Tz::Asia__Shanghai;
        let cases = [
            (r#"<html lang="zh-CN"><p>x</p>"#, NEUTRAL, "lang=\"zh-CN\""),
            (r#"<HTML LANG=zh-Hans-CN><p>x</p>"#, NEUTRAL, "lang"),
            ("<p>发布于 北京时间 10:45</p>", NEUTRAL, "北京时间"),
            ("<footer>京ICP备05070218号</footer>", NEUTRAL, "ICP备"),
            (
                "<footer>新公网安备 65270102000101号</footer>",
                NEUTRAL,
                "公网安备",
            ),
            ("<p>x</p>", "https://www.boz.gov.cn/zwdt/1.html", "host .cn"),
            (
                "<rss><channel><language>zh-cn</language></channel></rss>",
                NEUTRAL,
                "lang=\"zh-cn\"",
            ),
        ];
        for (html, u, why) in cases {
            let (tz, said) = zone(html, u).unwrap_or_else(|| panic!("no zone for {html}"));
            assert_eq!(tz, sh, "{html}");
            assert!(said.contains(why), "{html}: {said}");
        }
        let text = "<html lang=\"en\"><script>var a='這個國家';</script><p>\
            这是一个关于县里经济发展的新闻报道，记者在现场进行了采访，我们看到了很多变化。</p></html>";
        let (tz, said) = zone(text, NEUTRAL).unwrap();
        assert_eq!(tz, sh);
        assert!(said.contains("simplified"), "{said}");
    }

    #[test]
    fn other_evidence_maps_to_other_zones_and_neutral_pages_to_none() {
        assert_eq!(
            zone(r#"<html lang="zh-TW">"#, NEUTRAL).unwrap().0,
            Tz::Asia__Taipei
        );
        assert_eq!(
            zone(r#"<html lang="ja">"#, NEUTRAL).unwrap().0,
            Tz::Asia__Tokyo
        );
        assert_eq!(
            zone("<p>x</p>", "https://a.example.jp/").unwrap().0,
            Tz::Asia__Tokyo
        );
        // Traditional characters alone do not tell Taipei from Hong Kong: no evidence.
        let traditional =
            "<p>這是一個關於縣裡經濟發展的新聞報導，記者在現場進行了採訪，我們看到了很多變化。</p>";
        assert_eq!(zone(traditional, NEUTRAL), None);
        assert_eq!(zone(r#"<html lang="en-US"><p>News</p>"#, NEUTRAL), None);
        assert_eq!(zone("", NEUTRAL), None);
        // A few Han characters in an English page say nothing.
        assert_eq!(zone("<p>The word 新闻 means news.</p>", NEUTRAL), None);
    }

    #[test]
    fn visible_text_skips_tags_scripts_and_styles() {
        let t = visible_text("<p>甲</p><script>乙</script><style>丙</style><b>丁");
        assert!(t.contains('甲') && t.contains('丁'), "{t}");
        assert!(!t.contains('乙') && !t.contains('丙'), "{t}");
        // Unclosed tags and scripts end the scan without panicking.
        visible_text("<p>甲<script>乙");
        visible_text("<");
    }
}
