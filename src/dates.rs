//! Dates as pages print them: `2022-09-07 10:45`, `2022年9月7日`, `2022/09/03`,
//! `2022.09.03 08:00:01`, RFC 3339. Pure functions; a time without an offset is read in
//! the source's time zone, and a bare day stays a day ([`PubDate::Day`]).

use crate::model::PubDate;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    // year, month, day, then an optional time. The separators cover the forms seen on
    // portals; `\b` is not used because CJK text has no word boundaries.
    Regex::new(
        r"(?x)
        (?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?:\s*日)?
        (?:
            (?:\s*|T|\s*日\s*)
            (?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?
            (?:\.\d+)?
            (?P<z>Z|[+-]\d{2}:?\d{2})?
        )?",
    )
    .expect("static regex")
});

/// The first date in `text`, or `None`. The match must not be glued to more digits
/// (a phone number or an id is not a date).
pub fn find_date(text: &str, tz: Tz) -> Option<PubDate> {
    for caps in DATE_RE.captures_iter(text) {
        let whole = caps.get(0)?;
        let before = text[..whole.start()].chars().next_back();
        let after = text[whole.end()..].chars().next();
        if before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (num("y"), num("m"), num("d")) else {
            continue;
        };
        let Some(day) = NaiveDate::from_ymd_opt(y as i32, m, d) else {
            continue;
        };
        let time = match (num("H"), num("M")) {
            (Some(h), Some(mi)) => NaiveTime::from_hms_opt(h, mi, num("S").unwrap_or(0)),
            _ => None,
        };
        let Some(time) = time else {
            return Some(PubDate::Day(day));
        };
        let naive = NaiveDateTime::new(day, time);
        if let Some(z) = caps.name("z") {
            let z = z.as_str();
            let offset = if z == "Z" {
                Some(chrono::FixedOffset::east_opt(0)?)
            } else {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let digits: String = z.chars().filter(|c| c.is_ascii_digit()).collect();
                let h: i32 = digits[..2].parse().ok()?;
                let mi: i32 = digits[2..].parse().ok()?;
                chrono::FixedOffset::east_opt(sign * (h * 3600 + mi * 60))
            };
            if let Some(off) = offset
                && let Some(t) = off.from_local_datetime(&naive).single()
            {
                return Some(PubDate::Instant(t));
            }
        }
        return Some(local_instant(naive, tz).map_or(PubDate::Day(day), PubDate::Instant));
    }
    None
}

/// A whole string that is a date: RFC 3339 / RFC 2822 first, else [`find_date`].
pub fn parse_date(text: &str, tz: Tz) -> Option<PubDate> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(PubDate::Instant(d));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Some(PubDate::Instant(d));
    }
    find_date(t, tz)
}

/// A wall-clock time in `tz` as an instant with its offset. On a fall-back overlap the
/// earlier instant is taken; a time in a spring-forward gap has no instant.
pub fn local_instant(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<chrono::FixedOffset>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn s(text: &str) -> String {
        find_date(text, SH)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn portal_forms() {
        assert_eq!(
            s("时间:2022-09-07 10:45 作者:谢慧变"),
            "2022-09-07T10:45:00+08:00"
        );
        assert_eq!(
            s("发布时间：2022-09-05 09:12:33"),
            "2022-09-05T09:12:33+08:00"
        );
        assert_eq!(s("2022年09月06日 16:20"), "2022-09-06T16:20:00+08:00");
        assert_eq!(s("日期：2022年9月7日"), "2022-09-07");
        assert_eq!(s("[2022/09/03]"), "2022-09-03");
        assert_eq!(s("2022.09.03"), "2022-09-03");
        assert_eq!(s("2022-09-03T08:00:00Z"), "2022-09-03T08:00:00+00:00");
    }

    #[test]
    fn not_dates() {
        assert_eq!(s("电话 020220903123"), "");
        assert_eq!(s("2022-13-45"), "");
        assert_eq!(s("no date here"), "");
    }
}
