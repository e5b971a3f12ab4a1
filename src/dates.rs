//! Dates as pages print them: `2022-09-07 10:45`, `2022年9月7日`, `2022/09/03`,
//! `2022.09.03 08:00:01`, RFC 3339. Pure functions; a time without an offset is read in
//! the source's time zone, and a bare day stays a day ([`PubDate::Day`]).

use crate::model::PubDate;
use crate::text::{ascii_forms, months};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    // year, month, day, then an optional time. The separators cover the forms seen on
    // portals; `\b` is not used because CJK text has no word boundaries.
    Regex::new(
        r"(?x)
        (?P<y>(?:19|20)[0-9]{2})\s*(?:[-/.]|年)\s*(?P<m>[0-9]{1,2})\s*(?:[-/.]|月)\s*(?P<d>[0-9]{1,2})(?:\s*日)?
        (?:
            (?:\s*|T|\s*日\s*)
            (?P<H>[0-9]{1,2})\s*[:：时]\s*(?P<M>[0-9]{1,2})(?:\s*[:：分]\s*(?P<S>[0-9]{1,2}))?
            (?:\.[0-9]+)?
            (?P<z>Z|[+-][0-9]{2}:?[0-9]{2})?
        )?",
    )
    .expect("static regex")
});

static ISSUE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"《[^》]{1,30}》\s*(?P<y>(?:19|20)[0-9]{2})\s*年\s*(?P<m>[0-9]{1,2})\s*月号")
        .expect("static regex")
});

/// The first day of a periodical's monthly issue cited in `text` (`——《北京之春》1998年3月号`,
/// the usual closing line of a reprinted magazine article): the month is all the page
/// says of the date, and an issue is dated from its month's start.
pub fn find_issue_month(text: &str) -> Option<NaiveDate> {
    let text = ascii_forms(text);
    let caps = ISSUE_RE.captures(&text)?;
    let y = caps.name("y")?.as_str().parse().ok()?;
    let m = caps.name("m")?.as_str().parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// The first date in `text`, or `None`. The match must not be glued to more digits
/// (a phone number or an id is not a date).
pub fn find_date(text: &str, tz: Tz) -> Option<PubDate> {
    let text = &*ascii_forms(text);
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
                let h: i32 = digits.get(..2)?.parse().ok()?;
                let mi: i32 = digits.get(2..)?.parse().ok()?;
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

static WORD_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    // "March 5, 2019", "Mar. 5th 2019", "5 March 2019", "5. März 2019", "5 de marzo de 2019".
    Regex::new(
        r"(?ix)
        (?:
            (?P<m1>[a-zäéû\p{Cyrillic}]{3,10})\.?\s+(?P<d1>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)[0-9]{2})
          | (?P<d2>[0-9]{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?(?P<m2>[a-zäéû\p{Cyrillic}]{3,10})\.?,?\s+(?:de\s+)?(?P<y2>(?:19|20)[0-9]{2})
          | (?P<d3>[0-9]{1,2})\.(?P<m3>[0-9]{1,2})\.(?P<y3>(?:19|20)[0-9]{2})
          | (?P<m4>[0-9]{1,2})/(?P<d4>[0-9]{1,2})/(?P<y4>(?:19|20)[0-9]{2})
        )",
    )
    .expect("static regex")
});

/// The first date written with a month name ("March 5, 2019", "5. März 2019") or in the
/// numeric forms `05.03.2019` (day first, European) and `7/5/2005` (month first, US). Only a day: such text rarely has a
/// reliable time.
pub fn find_date_words(text: &str) -> Option<NaiveDate> {
    let text = &*ascii_forms(text);
    for caps in WORD_DATE_RE.captures_iter(text) {
        let whole = caps.get(0)?;
        let before = text[..whole.start()].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let (y, m, d) = if let Some(y) = num("y1") {
            (
                y,
                caps.name("m1").and_then(|m| months::number(m.as_str())),
                num("d1"),
            )
        } else if let Some(y) = num("y2") {
            (
                y,
                caps.name("m2").and_then(|m| months::number(m.as_str())),
                num("d2"),
            )
        } else if let Some(y) = num("y3") {
            (y, num("m3"), num("d3"))
        } else {
            (num("y4").unwrap_or(0), num("m4"), num("d4"))
        };
        if let (Some(m), Some(d)) = (m, d)
            && let Some(day) = NaiveDate::from_ymd_opt(y as i32, m, d)
        {
            return Some(day);
        }
    }
    None
}

static URL_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    // /2019/03/05/, /2019-03-05, /20190305/, gov portals' /201909/t20190905_123.html
    Regex::new(
        r"(?x)
        [/_-](?P<y>(?:19|20)[0-9]{2})[/_-](?P<m>[0-9]{1,2})[/_-](?P<d>[0-9]{1,2})(?:[/_.-]|$)
      | [/t_-](?P<y2>(?:19|20)[0-9]{2})(?P<m2>[01][0-9])(?P<d2>[0-3][0-9])(?:[/_.-]|$)",
    )
    .expect("static regex")
});

/// A day written into an article URL, the weakest evidence of a date.
pub fn url_date(url: &str) -> Option<NaiveDate> {
    for caps in URL_DATE_RE.captures_iter(url) {
        let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let ymd = match num("y") {
            Some(y) => (y, num("m"), num("d")),
            None => (num("y2").unwrap_or(0), num("m2"), num("d2")),
        };
        if let (y, Some(m), Some(d)) = ymd
            && let Some(day) = NaiveDate::from_ymd_opt(y as i32, m, d)
        {
            return Some(day);
        }
    }
    None
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
    fn written_dates() {
        let d = |t: &str| {
            find_date_words(t)
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        assert_eq!(d("Published March 5, 2019 at 10am"), "2019-03-05");
        assert_eq!(d("Updated: Mar. 5th 2019"), "2019-03-05");
        assert_eq!(d("5 March 2019"), "2019-03-05");
        assert_eq!(d("Stand: 5. März 2019"), "2019-03-05");
        assert_eq!(d("am 05.03.2019 um"), "2019-03-05");
        assert_eq!(d("5 de marzo de 2019"), "2019-03-05");
        assert_eq!(d("15 августа 2016, 13:43"), "2016-08-15");
        assert_eq!(d("发布日期： 9/17/2004 5:54:13 AM"), "2004-09-17");
        assert_eq!(d("Version 3.5 2019"), "");
    }

    #[test]
    fn url_dates() {
        let d = |t: &str| url_date(t).map(|d| d.to_string()).unwrap_or_default();
        assert_eq!(d("https://a.com/2019/03/05/slug/"), "2019-03-05");
        assert_eq!(
            d("http://x.gov.cn/zwdt/202209/t20220907_1001.html"),
            "2022-09-07"
        );
        assert_eq!(d("https://a.com/news/12345.html"), "");
    }

    #[test]
    fn issue_months() {
        assert_eq!(
            find_issue_month("　　——《北京之春》1998年3月号").map(|d| d.to_string()),
            Some("1998-03-01".into())
        );
        assert_eq!(find_issue_month("1998年3月号"), None);
        assert_eq!(find_issue_month("《北京之春》1998年第3期"), None);
    }

    #[test]
    fn full_width_forms_are_read_and_other_digits_refused() {
        assert_eq!(s("2022-09-07 10:45+０８００"), "2022-09-07T10:45:00+08:00");
        assert_eq!(
            s("２０２２年９月７日　１０：４５"),
            "2022-09-07T10:45:00+08:00"
        );
        assert_eq!(
            s("2022-09-07 10:45＋０８：００"),
            "2022-09-07T10:45:00+08:00"
        );
        // Arabic-Indic and Devanagari digits are not read as numbers, and do not panic.
        assert_eq!(s("2022-09-07 10:45+٠٨٠٠"), "2022-09-07T10:45:00+08:00");
        assert_eq!(s("٢٠٢٢-٠٩-٠٧"), "");
        assert_eq!(s("२०२२-०९-०७ १०:४५"), "");
        assert_eq!(
            find_date_words("５ March ２０１９").map(|d| d.to_string()),
            Some("2019-03-05".into())
        );
        assert_eq!(find_date_words("٥ March ٢٠١٩"), None);
        assert_eq!(url_date("/٢٠١٩/٠٣/٠٥/"), None);
    }

    #[test]
    fn not_dates() {
        assert_eq!(s("电话 020220903123"), "");
        assert_eq!(s("2022-13-45"), "");
        assert_eq!(s("no date here"), "");
    }
}
