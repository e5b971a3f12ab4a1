//! feedparser expectations translated onto our model.

use super::expr::{Expr, Lit, Seg};
use chrono::{DateTime, NaiveDate, Utc};
use tidings::model::ParsedFeed;
use tidings::text::charset;
use url::Url;

/// What one file gives us to check against.
pub(super) struct Outcome<'a> {
    pub feed: Option<&'a ParsedFeed>,
    pub bytes: &'a [u8],
    pub content_type: Option<&'a str>,
}

/// A translated check: `Some(pass)`, or `None` when the term has no counterpart in our
/// model (the whole expression is then counted as untranslated).
pub(super) fn check(expr: &Expr, o: &Outcome) -> Option<bool> {
    match expr {
        Expr::And(terms) => {
            let mut all = true;
            let mut any = false;
            for t in terms {
                if is_bozo_term(t) {
                    continue;
                }
                all &= check(t, o)?;
                any = true;
            }
            any.then_some(all)
        }
        Expr::Eq(left, right) => {
            let (path, lit) = match (&**left, &**right) {
                (p, Expr::Lit(l)) | (Expr::Lit(l), p) => (p, l),
                _ => return None,
            };
            compare(path, lit, o)
        }
        _ => None,
    }
}

/// `bozo` says whether feedparser's strict XML parser balked; a forgiving parser has
/// no such notion, so `not bozo` / `bozo` terms are dropped from conjunctions.
pub(super) fn is_bozo_term(e: &Expr) -> bool {
    match e {
        Expr::Path(name, segs) => name == "bozo" && segs.is_empty(),
        Expr::Not(inner) => is_bozo_term(inner),
        _ => false,
    }
}

pub(super) fn key(seg: &Seg) -> Option<&str> {
    match seg {
        Seg::Key(k) => Some(k),
        Seg::Index(_) => None,
    }
}

pub(super) fn compare(path: &Expr, lit: &Lit, o: &Outcome) -> Option<bool> {
    if let Expr::Len(inner) = path {
        let Expr::Path(name, segs) = &**inner else {
            return None;
        };
        if name != "entries" || !segs.is_empty() {
            return None;
        }
        let Lit::Int(n) = lit else { return None };
        return Some(o.feed.map_or(0, |f| f.entries.len()) as i64 == *n);
    }
    let Expr::Path(root, segs) = path else {
        return None;
    };
    match root.as_str() {
        "encoding" if segs.is_empty() => {
            let Lit::Str(label) = lit else { return None };
            same_text_as(label, o)
        }
        "feed" => {
            let field: Vec<&str> = segs.iter().map(key).collect::<Option<_>>()?;
            let feed = o.feed;
            match field.as_slice() {
                ["title"] | ["title_detail", "value"] => {
                    text_eq(lit, feed.and_then(|f| f.title.as_deref()))
                }
                ["link"] => url_eq(lit, feed.and_then(|f| f.link.as_deref())),
                ["subtitle"] | ["tagline"] | ["description"] | ["subtitle_detail", "value"] => {
                    text_eq(lit, feed.and_then(|f| f.description.as_deref()))
                }
                _ => None,
            }
        }
        "entries" => {
            let Some(Seg::Index(i)) = segs.first() else {
                return None;
            };
            let rest: Vec<&Seg> = segs[1..].iter().collect();
            let entry = o.feed.and_then(|f| f.entries.get(*i as usize));
            let k = |n: usize| rest.get(n).and_then(|s| key(s));
            let field = match (k(0), rest.len()) {
                (Some(f), 1) => f.to_string(),
                (Some(f), 2) if k(1) == Some("value") => format!("{f}.value"),
                (Some("content"), 3)
                    if matches!(rest[1], Seg::Index(0)) && k(2) == Some("value") =>
                {
                    "content.value".into()
                }
                (Some("author_detail"), 2) if k(1) == Some("name") => "author".into(),
                _ => return None,
            };
            match field.as_str() {
                "title" | "title_detail.value" => {
                    text_eq(lit, entry.and_then(|e| e.title.as_deref()))
                }
                "link" => url_eq(lit, entry.and_then(|e| e.url.as_deref())),
                "id" | "guid" => str_eq(lit, entry.and_then(|e| e.id.as_deref())),
                "author" => author_eq(lit, entry.and_then(|e| e.author.as_deref())),
                // feedparser's `summary` falls back to the content.
                "summary" | "description" | "summary_detail.value" => html_eq(
                    lit,
                    entry.and_then(|e| e.summary.as_deref().or(e.content_html.as_deref())),
                ),
                "content.value" => html_eq(lit, entry.and_then(|e| e.content_html.as_deref())),
                "published_parsed" | "issued_parsed" | "created_parsed" => {
                    tuple_eq(lit, entry.and_then(|e| e.published.map(|p| p.to_utc())))
                }
                "updated_parsed" | "modified_parsed" => tuple_eq(
                    lit,
                    // feedparser falls back to the published date for `updated`.
                    entry.and_then(|e| {
                        e.updated
                            .map(|u| u.with_timezone(&Utc))
                            .or(e.published.map(|p| p.to_utc()))
                    }),
                ),
                "published" | "issued" | "created" => {
                    raw_date_eq(lit, entry.and_then(|e| e.published.map(|p| p.to_utc())))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `encoding == 'x'`: our decoding gives the same text as decoding with `x` would (an
/// ASCII file is the same under us-ascii and UTF-8). Labels encoding_rs does not know
/// (UTF-32, EBCDIC) are untranslated.
pub(super) fn same_text_as(label: &str, o: &Outcome) -> Option<bool> {
    let expected = charset::encoding_for_label(label)
        .or_else(|| encoding_rs::Encoding::for_label(label.as_bytes()))?;
    let ours = charset::decode(o.bytes, o.content_type).text;
    let (theirs, _) = expected.decode_with_bom_removal(o.bytes);
    Some(ours == theirs)
}

pub(super) fn to_text(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = decode_references(&out);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The references feedparser leaves in its (sanitised, re-serialised) HTML.
pub(super) fn decode_references(s: &str) -> String {
    let re = regex::Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|quot|apos|amp|nbsp);")
        .expect("static regex");
    re.replace_all(s, |c: &regex::Captures| {
        let r = &c[1];
        let ch = match r {
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "amp" => '&',
            "nbsp" => '\u{a0}',
            _ if r.starts_with("#x") || r.starts_with("#X") => {
                char::from_u32(u32::from_str_radix(&r[2..], 16).unwrap_or(0xFFFD))
                    .unwrap_or('\u{FFFD}')
            }
            _ => char::from_u32(r[1..].parse().unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}'),
        };
        // HTML reads numeric references to 0x80–0x9F as Windows-1252.
        let ch = if ('\u{80}'..='\u{9f}').contains(&ch) {
            let byte = [ch as u8];
            let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            s.chars().next().unwrap_or(ch)
        } else {
            ch
        };
        ch.to_string()
    })
    .into_owned()
}

/// Titles: feedparser's value is HTML or plain text, depending on the element's type;
/// ours is always plain text.
pub(super) fn text_eq(lit: &Lit, ours: Option<&str>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    let ours = collapse(ours.unwrap_or(""));
    Some(ours == to_text(expected) || ours == collapse(expected))
}

pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn str_eq(lit: &Lit, ours: Option<&str>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    Some(expected.trim() == ours.unwrap_or("").trim())
}

/// Links: equal as URLs (`http://item.TEST/` is `http://item.test/`).
pub(super) fn url_eq(lit: &Lit, ours: Option<&str>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    let norm = |s: &str| Url::parse(s.trim()).map_or_else(|_| s.trim().to_string(), String::from);
    Some(norm(expected) == norm(ours.unwrap_or("")))
}

/// feedparser's `author` is the raw element text (`Name (email)`); ours is the name.
pub(super) fn author_eq(lit: &Lit, ours: Option<&str>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    let mut name = expected.trim().to_string();
    if let (Some(open), true) = (name.find(" ("), name.ends_with(')')) {
        name.truncate(open);
    } else if let (Some(open), true) = (name.find(" <"), name.ends_with('>')) {
        name.truncate(open);
    }
    Some(to_text(&name) == collapse(ours.unwrap_or("")))
}

/// Summaries and content: the same text, and every link of the expected HTML present
/// (feedparser sanitises and re-serialises markup, so bytes differ).
pub(super) fn html_eq(lit: &Lit, ours: Option<&str>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    let ours = ours.unwrap_or("");
    let links_present = links(expected).iter().all(|l| links(ours).contains(l));
    let same_text = to_text(expected) == to_text(ours) || collapse(expected) == to_text(ours);
    Some(same_text && links_present)
}

pub(super) fn links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?:href|src)\s*=\s*["']([^"']*)["']"#).expect("static regex");
    re.captures_iter(html)
        .map(|c| {
            let href = c[1].replace("&amp;", "&");
            Url::parse(&href).map_or(href, String::from)
        })
        .collect()
}

pub(super) fn tuple_eq(lit: &Lit, ours: Option<DateTime<Utc>>) -> Option<bool> {
    let Lit::Tuple(items) = lit else { return None };
    let n: Vec<i64> = items
        .iter()
        .map(|l| match l {
            Lit::Int(i) => Some(*i),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let expected = NaiveDate::from_ymd_opt(n[0] as i32, n[1] as u32, n[2] as u32)?
        .and_hms_opt(n[3] as u32, n[4] as u32, n[5] as u32)?
        .and_utc();
    Some(ours == Some(expected))
}

/// A raw date string compared as an instant, when a strict RFC 3339 / RFC 2822 reading
/// of it exists (independent of our lenient parser); untranslated otherwise.
pub(super) fn raw_date_eq(lit: &Lit, ours: Option<DateTime<Utc>>) -> Option<bool> {
    let Lit::Str(expected) = lit else { return None };
    let t = DateTime::parse_from_rfc3339(expected)
        .or_else(|_| DateTime::parse_from_rfc2822(expected))
        .ok()?;
    Some(ours == Some(t.with_timezone(&Utc)))
}
