//! Dates as feeds write them: RFC 822 (RSS) and RFC 3339 / W3C-DTF (Atom, JSON Feed),
//! and the broken variants seen in the wild: long month names, missing seconds, a
//! missing or misspelt weekday, two-digit years, US zone names (`EST`, `PT`),
//! `GMT-01:01`, a space instead of `T`, asctime, Perforce's `2006/09/15`, Greek,
//! Hungarian and Korean month/weekday words. A time without an offset is read in the
//! source's time zone; a date without a time stays a day.

use crate::model::PubDate;
use crate::text::months::{ABBREVIATIONS, FULL};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

/// Parse a feed date. `None` when the text is not a date we can read.
pub fn parse_date(text: &str, tz: Tz) -> Option<PubDate> {
    // `2022-09-07 10:45+０８００`: full-width forms read as ASCII; other scripts' digits
    // match no pattern here (all say `[0-9]`).
    let t = crate::text::ascii_forms(text);
    let t = t.trim();
    if t.is_empty() || t.chars().any(|c| c.is_numeric() && !c.is_ascii_digit()) {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(PubDate::Instant(d));
    }
    iso8601(t, tz)
        .or_else(|| korean(t))
        .or_else(|| rfc822_like(t, tz))
        // Dates in Chinese (`2022年9月7日 10:45`): the page-date reader knows them. Text
        // with Latin letters that got this far is not a date we understand.
        .or_else(|| {
            // (`2013-01-27-01` is no date; `2022.09.07` and `2022年9月7日` are.)
            let plausible = !t.is_ascii() || t.contains(['.', '/']);
            (plausible && t.chars().count() < 40 && !t.chars().any(|c| c.is_ascii_alphabetic()))
                .then(|| crate::dates::find_date(t, tz))
                .flatten()
        })
}

/// A [`PubDate`] as an instant: a bare day is its midnight in `tz`.
pub fn to_instant(date: PubDate, tz: Tz) -> Option<DateTime<FixedOffset>> {
    match date {
        PubDate::Instant(t) => Some(t),
        PubDate::Day(d) => crate::dates::local_instant(d.and_hms_opt(0, 0, 0)?, tz),
    }
}

static ISO_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?P<y>[0-9]{4})
        (?: -(?P<m>[0-9]{1,3}) (?: -(?P<d>[0-9]{1,2}) )?
          | (?P<m2>[0-9]{2}) (?P<d2>[0-9]{2})
        )?
        (?: (?:[Tt]|\s+)
            (?P<H>[0-9]{1,2}) :? (?P<M>[0-9]{2})
            (?: :? (?P<S>[0-9]{2}) (?:[.,][0-9]+)? )?
            \s*(?P<z> Z | [+-][0-9]{2}(?::?[0-9]{2})? )?
        )?$",
    )
    .expect("static regex")
});

/// W3C-DTF / ISO 8601: `2003-12-31T10:14:55Z`, `2003-12-31 10:14:55 -0800`,
/// `20031231T101455`, `2003-12`, `2003`, and Hungarian month words
/// (`2004-július-13T9:15-05:00`).
fn iso8601(t: &str, tz: Tz) -> Option<PubDate> {
    let t = hungarian_months(t);
    let caps = ISO_RE.captures(&t)?;
    let num = |n: &str| caps.name(n).map(|m| m.as_str().parse::<u32>().ok());
    let year = caps["y"].parse::<i32>().ok()?;
    let month = num("m").or_else(|| num("m2")).unwrap_or(Some(1))?;
    let day = num("d").or_else(|| num("d2")).unwrap_or(Some(1))?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let Some(hour) = num("H") else {
        return Some(PubDate::Day(date));
    };
    let time = NaiveTime::from_hms_opt(hour?, num("M")??, num("S").unwrap_or(Some(0))?)?;
    let naive = date.and_time(time);
    let offset = match caps.name("z") {
        Some(z) => Some(numeric_offset(z.as_str())?),
        None => None,
    };
    at(naive, offset, tz)
}

fn hungarian_months(t: &str) -> std::borrow::Cow<'_, str> {
    const MONTHS: [&str; 12] = [
        "január",
        "február",
        "március",
        "április",
        "május",
        "június",
        "július",
        "augusztus",
        "szeptember",
        "október",
        "november",
        "december",
    ];
    if t.is_ascii() {
        return t.into();
    }
    let lower = t.to_lowercase();
    for (i, name) in MONTHS.iter().enumerate() {
        if lower.contains(name) {
            return lower.replace(name, &format!("{:02}", i + 1)).into();
        }
    }
    t.into()
}

/// `+hh:mm`, `+hhmm`, `+hh`, `Z`.
fn numeric_offset(z: &str) -> Option<FixedOffset> {
    if z == "Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match z.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits
        .get(2..)
        .filter(|s| !s.is_empty())
        .map_or(Some(0), |s| s.parse().ok())?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// An instant from a wall-clock time and its offset, or read in `tz` without one.
fn at(naive: NaiveDateTime, offset: Option<FixedOffset>, tz: Tz) -> Option<PubDate> {
    let t = match offset {
        Some(off) => off.from_local_datetime(&naive).single()?,
        None => crate::dates::local_instant(naive, tz)?,
    };
    Some(PubDate::Instant(t))
}

/// Korean blog platforms: `2004-05-25 오후 11:23:17` (오후 = p.m.) and
/// `2004년 05월 28일  01:31:15`, in Korean time.
fn korean(t: &str) -> Option<PubDate> {
    static NATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})\s+(오전|오후)\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})$")
            .expect("static regex")
    });
    static ONBLOG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([0-9]{4})년\s*([0-9]{1,2})월\s*([0-9]{1,2})일\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})$")
            .expect("static regex")
    });
    let (y, mo, d, mut h, mi, s) = if let Some(c) = NATE.captures(t) {
        let pm = &c[4] == "오후";
        let h: u32 = c[5].parse().ok()?;
        let h = if pm && h < 12 { h + 12 } else { h };
        (
            c[1].parse().ok()?,
            c[2].parse().ok()?,
            c[3].parse().ok()?,
            h,
            c[6].parse().ok()?,
            c[7].parse().ok()?,
        )
    } else if let Some(c) = ONBLOG.captures(t) {
        let n = |i: usize| c[i].parse::<u32>().ok();
        (c[1].parse().ok()?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?)
    } else {
        return None;
    };
    if h == 24 {
        h = 0;
    }
    let naive = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)?;
    at(naive, FixedOffset::east_opt(9 * 3600), chrono_tz::UTC)
}

/// RFC 822 and its relatives, read token by token so that the parts may come in any
/// of the orders seen in feeds: `Thu, 01 Jan 2004 19:48:21 GMT`, `Thu Aug 30 2012
/// 17:26:16 +0200`, `Sun Jan  4 16:29:06 2004`, `Mon, 13 Feb, 2012 06:28:00 UTC`,
/// `Fri, 2006/09/15 08:19:53 EDT`. Any token that is not a recognisable part makes
/// the whole string fail, rather than guessing.
fn rfc822_like(t: &str, tz: Tz) -> Option<PubDate> {
    let mut year = None;
    let mut month = None;
    let mut day = None;
    let mut time: Option<NaiveTime> = None;
    let mut offset: Option<FixedOffset> = None;
    let mut numbers = Vec::new();
    // A leading `word,` is a weekday, in whatever language (`mer,`, `Do.,`).
    static WEEKDAY_RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\p{L}+\.?\s*,").expect("static regex"));
    let t = WEEKDAY_RE.replace(t, "");
    let mut tokens: Vec<String> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    // `GMT-01:01` / `UTC+5`: a zone name glued to an offset.
    for tok in tokens.iter_mut() {
        for prefix in ["GMT", "UTC", "UT"] {
            if let Some(rest) = tok.strip_prefix(prefix)
                && (rest.starts_with('+') || rest.starts_with('-'))
            {
                *tok = rest.to_string();
            }
        }
    }
    for tok in &tokens {
        let lower = tok.to_lowercase();
        let lower = lower.trim_end_matches('.');
        if let Some(m) = month_number(lower) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if is_weekday(lower) {
        } else if tok.contains(':') && tok.starts_with(|c: char| c.is_ascii_digit()) {
            let parts: Vec<&str> = tok.split(':').collect();
            if parts.len() > 3 || time.is_some() {
                return None;
            }
            let n = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u32>().ok());
            time = Some(NaiveTime::from_hms_opt(n(0)?, n(1)?, n(2)?.min(59))?);
        } else if tok.contains('/') && tok.starts_with(|c: char| c.is_ascii_digit()) {
            let parts: Vec<u32> = tok
                .split('/')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let [y, m, d] = parts[..] else { return None };
            if y < 1000 {
                return None;
            }
            (year, month, day) = (Some(y as i32), Some(m), Some(d));
        } else if tok.starts_with(['+', '-']) {
            offset = Some(numeric_offset(tok)?);
        } else if let Some(off) = zone_name(&tok.to_uppercase()) {
            offset = Some(FixedOffset::east_opt(off * 3600)?);
        } else if tok.chars().all(|c| c.is_ascii_digit()) {
            numbers.push(tok.clone());
        } else {
            return None;
        }
    }
    for n in numbers {
        let v: u32 = n.parse().ok()?;
        if n.len() == 4 && year.is_none() {
            year = Some(v as i32);
        } else if n.len() <= 2 && day.is_none() {
            day = Some(v);
        } else if n.len() <= 2 && year.is_none() {
            // Two-digit years: 04 is 2004, 99 is 1999 (as RFC 2822 says).
            year = Some(if v < 50 {
                2000 + v as i32
            } else {
                1900 + v as i32
            });
        } else {
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    if !(1900..=2200).contains(&date.year()) {
        return None;
    }
    match time {
        Some(time) => at(date.and_time(time), offset, tz),
        None => Some(PubDate::Day(date)),
    }
}

fn month_number(word: &str) -> Option<u32> {
    // Greek abbreviations, with and without accents.
    const EL: [&[&str]; 12] = [
        &["ιαν"],
        &["φεβ"],
        &["μάώ", "μάρ", "μαρ", "μαώ"],
        &["απρ"],
        &["μάι", "μαΐ", "μαι", "μάΐ"],
        &["ιούν", "ιον", "ιουν"],
        &["ιούλ", "ιολ", "ιουλ"],
        &["αύγ", "αυγ"],
        &["σεπ"],
        &["οκτ"],
        &["νοέ", "νοε"],
        &["δεκ"],
    ];
    // Abbreviations in the other languages feeds are commonly written in (it, es, fr,
    // de, pt, nl), where they differ from English.
    const OTHER: [(&str, u32); 24] = [
        ("gen", 1),
        ("ene", 1),
        ("janv", 1),
        ("févr", 2),
        ("fevr", 2),
        ("mär", 3),
        ("märz", 3),
        ("mrz", 3),
        ("abr", 4),
        ("avr", 4),
        ("mag", 5),
        ("mai", 5),
        ("giu", 6),
        ("juin", 6),
        ("lug", 7),
        ("juil", 7),
        ("ago", 8),
        ("août", 8),
        ("set", 9),
        ("ott", 10),
        ("okt", 10),
        ("dic", 12),
        ("dez", 12),
        ("déc", 12),
    ];
    if let Some((_, m)) = OTHER.iter().find(|(name, _)| *name == word) {
        return Some(*m);
    }
    if word.len() >= 3 && word.is_ascii() {
        let i = ABBREVIATIONS.iter().position(|m| word.starts_with(m))?;
        // A long month name must be the right one ("January", not "Janfoo"); "Sept" too.
        return (word.len() == 3 || FULL[i].starts_with(word)).then_some(i as u32 + 1);
    }
    EL.iter()
        .position(|names| names.contains(&word))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const EL: [&str; 7] = ["κυρ", "δευ", "τρι", "τετ", "πεμ", "παρ", "σαβ"];
    (word.len() >= 3 && word.is_ascii() && EN.iter().any(|d| word.starts_with(d)))
        || EL.contains(&word)
}

/// Hours east of UTC for the zone names feeds use.
fn zone_name(z: &str) -> Option<i32> {
    Some(match z {
        "GMT" | "UT" | "UTC" | "Z" | "ETC/GMT" | "ETC/UTC" | "WET" => 0,
        "EST" | "ET" | "CDT" => -5,
        "EDT" | "AT" => -4,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" => -8,
        "MET" | "CET" | "BST" | "WEST" => 1,
        "MEST" | "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "JST" | "KST" => 9,
        "HKT" => 8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn utc(s: &str) -> String {
        match parse_date(s, chrono_tz::UTC) {
            Some(PubDate::Instant(t)) => t
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            Some(PubDate::Day(d)) => d.to_string(),
            None => "none".into(),
        }
    }

    #[test]
    fn rfc822_and_its_variants() {
        assert_eq!(utc("Thu, 01 Jan 2004 19:48:21 GMT"), "2004-01-01 19:48:21");
        assert_eq!(utc("Thu,  5 Apr 2012 10:00:00 GMT"), "2012-04-05 10:00:00");
        assert_eq!(utc("Fri,24 Nov 2023 18:28:36 -0000"), "2023-11-24 18:28:36");
        assert_eq!(utc("Mon, 13 Feb, 2012 06:28:00 UTC"), "2012-02-13 06:28:00");
        assert_eq!(
            utc("Mon, 26 January 2004 16:31:00 PT"),
            "2004-01-27 00:31:00"
        );
        assert_eq!(
            utc("Wed, 19 Feb 2012 22:40:00 GMT-01:01"),
            "2012-02-19 23:41:00"
        );
        assert_eq!(utc("Thu Aug 30 2012 17:26:16 +0200"), "2012-08-30 15:26:16");
        assert_eq!(utc("Sun Jan  4 16:29:06 2004"), "2004-01-04 16:29:06");
        assert_eq!(utc("Fri, 2006/09/15 08:19:53 EDT"), "2006-09-15 12:19:53");
        assert_eq!(utc("Thu, 01 Jan 04 19:48:21 GMT"), "2004-01-01 19:48:21");
        assert_eq!(utc("Thu, 01 Jan 2004"), "2004-01-01");
        assert_eq!(utc("Κυρ, 11 Ιούλ 2004 12:00:00 EST"), "2004-07-11 17:00:00");
    }

    #[test]
    fn rfc3339_and_w3cdtf() {
        assert_eq!(utc("2003-12-31T10:14:55.1234Z"), "2003-12-31 10:14:55");
        assert_eq!(utc("2003-12-31T10:14:55-08:00"), "2003-12-31 18:14:55");
        assert_eq!(utc("2004-07-08 23:56:58 -00:20"), "2004-07-09 00:16:58");
        assert_eq!(utc("2004-július-13T9:15-05:00"), "2004-07-13 14:15:00");
        assert_eq!(utc("20031231T101455Z"), "2003-12-31 10:14:55");
        assert_eq!(utc("2003-12"), "2003-12-01");
        assert_eq!(utc("2003-12-31"), "2003-12-31");
    }

    #[test]
    fn korean_forms_are_korean_time() {
        assert_eq!(utc("2004-05-25 오후 11:23:17"), "2004-05-25 14:23:17");
        assert_eq!(utc("2004년 05월 28일  01:31:15"), "2004-05-27 16:31:15");
    }

    #[test]
    fn full_width_offsets_are_read() {
        assert_eq!(utc("2022-09-07 10:45+０８００"), "2022-09-07 02:45:00");
        assert_eq!(
            utc("２０２２－０９－０７Ｔ１０：４５：００＋０８：００"),
            "2022-09-07 02:45:00"
        );
        // Digits of other scripts are no digits: refused, not a panic.
        assert_eq!(utc("2022-09-07 10:45+٠٨٠٠"), "none");
        assert_eq!(utc("Wed, ٠٧ Sep 2022 10:45:00 GMT"), "none");
    }

    /// Every reader of dates, on dates written with the digits of many scripts and
    /// full-width separators: none may panic (a `\d` matching a digit that `str::parse`
    /// refuses, then a byte slice, used to).
    #[test]
    fn no_digit_or_separator_form_panics() {
        let digits = [
            "0", "9", "０", "９", "٠", "٩", "۹", "०", "৯", "߉", "𝟗", "〇",
        ];
        let seps = [
            "-", "/", ".", "年", "月", ":", "：", "＋", "－", "T", " ", "\u{3000}",
        ];
        let zones = ["+", "＋", "-", "Z", ""];
        for a in digits {
            for sep in seps {
                for b in digits {
                    for z in zones {
                        let t =
                            format!("20{a}2{sep}0{b}{sep}0{a} 1{b}{sep}4{a}{z}{a}{b}{sep}{b}{a}");
                        let _ = parse_date(&t, SH);
                        let _ = crate::dates::find_date(&t, SH);
                        let _ = crate::dates::parse_date(&t, SH);
                        let _ = crate::dates::find_date_words(&t);
                        let _ = crate::dates::url_date(&t);
                        let _ = crate::dates::find_issue_month(&format!("《刊》{t}月号"));
                    }
                }
            }
        }
    }

    #[test]
    fn garbage_is_not_a_date() {
        for s in [
            "",
            "Sun, 16 Dec 2012 1:2:3:4 GMT",
            "Sun, 16 zzz 2012 11:47:32 GMT",
            "Sun, 16 Dec 2012 11:47:32 +zz:00",
            "Sun, 99 Jun 2009 12:00:00 GMT",
            "2003-12-31T25:14:55Z",
            "2013-01-28T11:30:00-06:00Textra",
            "9999-12-31T23:59:59-99:99",
            "Sun, 31 Dec 9999 23:59:59 -9999",
            "not a date",
        ] {
            assert_eq!(utc(s), "none", "{s}");
        }
    }

    #[test]
    fn times_without_offset_are_read_in_the_source_zone() {
        let d = parse_date("2022-09-07 10:45:00", SH).unwrap();
        assert_eq!(d.to_string(), "2022-09-07T10:45:00+08:00");
        let d = parse_date("Wed, 07 Sep 2022 10:45:00", SH).unwrap();
        assert_eq!(d.to_string(), "2022-09-07T10:45:00+08:00");
        assert_eq!(
            parse_date("2022年9月7日", SH).unwrap().to_string(),
            "2022-09-07"
        );
    }
}
