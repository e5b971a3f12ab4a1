//! Dates as list rows show them, beyond what [`crate::dates::find_date`] reads:
//! `Sep 7, 2022`, a day and a month printed in separate boxes (`07` / `2022-09`),
//! `09-07` with the year taken from the article URL, and relative dates (`2小时前`),
//! which count as "this row is dated" but have no calendar day (the capture time of a
//! page is unknown to a pure function).

use crate::dates::find_date;
use crate::model::PubDate;
use chrono::NaiveDate;
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

/// What a row says about when it was published.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shown {
    Date(PubDate),
    /// "2小时前", "昨天 12:24": dated, but not on a known day.
    Relative,
    Nothing,
}

static RELATIVE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[0-9]+\s*(?:秒|分钟|小时|天|周|个月)前|刚刚|昨天|前天|今天|[0-9]+\s*(?:second|minute|hour|day|week|month)s?\s+ago|(?-u:\b)(?:yesterday|today)(?-u:\b)",
    )
    .expect("static regex")
});

static ENGLISH_RE: LazyLock<Regex> = LazyLock::new(|| {
    // "Sep 7, 2022", "September 7 2022", "7 Sep 2022".
    Regex::new(
        r"(?i)(?-u:\b)(?:(?P<m1>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<d1>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)[0-9]{2})|(?P<d2>[0-9]{1,2})\s+(?P<m2>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?P<y2>(?:19|20)[0-9]{2}))(?-u:\b)",
    )
    .expect("static regex")
});

static SPLIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    // A day box and a year-month box, in either order: "07 2022-09", "2022-09 07",
    // "07 2022/09", "2022.09 07".
    Regex::new(
        r"(?:^|[^0-9])(?:(?P<d1>[0-9]{1,2})\s+(?P<y1>(?:19|20)[0-9]{2})\s*[-/.年]\s*(?P<m1>[0-9]{1,2})月?|(?P<y2>(?:19|20)[0-9]{2})\s*[-/.年]\s*(?P<m2>[0-9]{1,2})月?\s+(?P<d2>[0-9]{1,2})日?)(?:$|[^0-9])",
    )
    .expect("static regex")
});

static MONTH_DAY_RE: LazyLock<Regex> = LazyLock::new(|| {
    // "09-07", "[09/07]", "9月7日" without a year.
    Regex::new(
        r"(?:^|[^0-9\-/.])(?P<m>[0-9]{1,2})\s*(?:[-/]|月)\s*(?P<d>[0-9]{1,2})(?:日|[^0-9\-/.:]|$)",
    )
    .expect("static regex")
});

static URL_YEAR_RE: LazyLock<Regex> = LazyLock::new(|| {
    // The publication year as CMSs put it into article paths: /2022/09/, /202209/,
    // t20220907_123, /20/0816/ is too short to trust.
    Regex::new(r"(?:^|[^0-9])(?P<y>20[0-9]{2})(?:[-/_]?(?:0[1-9]|1[0-2]))").expect("static regex")
});

/// What `text` (a row's text outside its title) shows as its date. `url` is the
/// article's URL, used only to give a yearless `09-07` its year.
pub(super) fn shown_date(text: &str, url: &str, tz: Tz) -> Shown {
    // A date shown beside a title is near it; a "row" with more text than this is a
    // whole block, and reading all of it would only cost time.
    let text = crate::text::head(text, 4096);
    let text = &*crate::text::ascii_forms(text);
    if let Some(date) = find_date(text, tz) {
        return Shown::Date(date);
    }
    if let Some(day) = english_date(text).or_else(|| split_date(text)) {
        return Shown::Date(PubDate::Day(day));
    }
    if RELATIVE_RE.is_match(text) {
        return Shown::Relative;
    }
    // A yearless `09-07` is trusted only as a short piece of its own; inside longer text
    // it is as likely an issue number (`第1-2期`).
    let short = text.trim().chars().count() <= 16;
    match month_day(text, url).filter(|_| short) {
        Some(day) => Shown::Date(PubDate::Day(day)),
        None => Shown::Nothing,
    }
}

fn english_date(text: &str) -> Option<NaiveDate> {
    let caps = ENGLISH_RE.captures(text)?;
    let (m, d, y) = match caps.name("m1") {
        Some(m) => (m, caps.name("d1")?, caps.name("y1")?),
        None => (caps.name("m2")?, caps.name("d2")?, caps.name("y2")?),
    };
    let month = crate::text::months::by_abbreviation(m.as_str())?;
    NaiveDate::from_ymd_opt(y.as_str().parse().ok()?, month, d.as_str().parse().ok()?)
}

fn split_date(text: &str) -> Option<NaiveDate> {
    let caps = SPLIT_RE.captures(text)?;
    let num = |a: &str, b: &str| {
        caps.name(a)
            .or_else(|| caps.name(b))
            .and_then(|m| m.as_str().parse::<u32>().ok())
    };
    NaiveDate::from_ymd_opt(num("y1", "y2")? as i32, num("m1", "m2")?, num("d1", "d2")?)
}

fn month_day(text: &str, url: &str) -> Option<NaiveDate> {
    let caps = MONTH_DAY_RE.captures(text)?;
    let year: i32 = URL_YEAR_RE
        .captures(url)?
        .name("y")?
        .as_str()
        .parse()
        .ok()?;
    NaiveDate::from_ymd_opt(year, caps["m"].parse().ok()?, caps["d"].parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn day(text: &str, url: &str) -> Option<String> {
        match shown_date(text, url, SH) {
            Shown::Date(d) => Some(d.day().to_string()),
            _ => None,
        }
    }

    #[test]
    fn full_dates_go_through_the_shared_parser() {
        assert_eq!(
            shown_date("(2020-08-16 22:26:38)", "", SH),
            Shown::Date(PubDate::parse("2020-08-16T22:26:38+08:00").expect("test date"))
        );
        assert_eq!(day("[ 2021-05-19 ]", ""), Some("2021-05-19".into()));
    }

    #[test]
    fn english_and_split_forms() {
        assert_eq!(day("Sep 7, 2022", ""), Some("2022-09-07".into()));
        assert_eq!(day("7 September 2022", ""), Some("2022-09-07".into()));
        assert_eq!(day(" 07 2022-09 ", ""), Some("2022-09-07".into()));
        assert_eq!(day("2022.09 07", ""), Some("2022-09-07".into()));
    }

    #[test]
    fn yearless_dates_take_the_year_from_the_url() {
        let url = "https://www.example.gov.cn/xwdt/202209/t20220907_123.html";
        assert_eq!(day("[09-07]", url), Some("2022-09-07".into()));
        assert_eq!(day("9月7日", url), Some("2022-09-07".into()));
        assert_eq!(day("[09-07]", "https://example.com/a/123.html"), None);
        assert_eq!(day("2022年度第1-2期工作简报汇编 阅读 120", url), None);
    }

    #[test]
    fn relative_dates_have_no_day() {
        assert_eq!(shown_date("2  小时前", "", SH), Shown::Relative);
        assert_eq!(shown_date("昨天 12:24", "", SH), Shown::Relative);
        assert_eq!(shown_date("3 hours ago", "", SH), Shown::Relative);
        assert_eq!(shown_date("阅读 1234", "", SH), Shown::Nothing);
    }
}
