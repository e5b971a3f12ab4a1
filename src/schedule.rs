//! Cron schedules evaluated in the configured time zone, exactly once per intended
//! local time.
//!
//! The `cron` crate evaluated directly in a zone with DST skips a 02:30 job on the
//! spring-forward day and fires it twice on fall-back. So the schedule is evaluated on
//! wall-clock (naive local) times, and each wall-clock time is then mapped to an
//! instant: a time inside a DST gap fires at the end of the gap, an ambiguous time fires
//! at its first occurrence only.

use crate::config::CronSpec;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One planned firing: the wall-clock time it stands for and the instant it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    pub local: NaiveDateTime,
    pub at: DateTime<Utc>,
}

/// The next firing strictly after the wall-clock time `after_local`.
pub fn next_after(cron: &CronSpec, tz: Tz, after_local: NaiveDateTime) -> Option<Firing> {
    // Evaluating in UTC has no DST, so the iteration is over wall-clock times.
    let local = cron
        .schedule
        .after(&Utc.from_utc_datetime(&after_local))
        .next()?
        .naive_utc();
    Some(Firing {
        local,
        at: resolve(local, tz)?,
    })
}

/// The next firing after the instant `now`, given the wall-clock time of the previous
/// firing (so that a fall-back hour that repeats wall-clock times does not fire twice).
pub fn next_firing(
    cron: &CronSpec,
    tz: Tz,
    now: DateTime<Utc>,
    last_local: Option<NaiveDateTime>,
) -> Option<Firing> {
    let now_local = now.with_timezone(&tz).naive_local();
    let from = match last_local {
        Some(last) if last > now_local => last,
        _ => now_local,
    };
    let mut f = next_after(cron, tz, from)?;
    // During a repeated hour the wall clock runs again over times already planned for
    // their first occurrence; skip firings whose instant is already past.
    while f.at <= now {
        f = next_after(cron, tz, f.local)?;
    }
    Some(f)
}

/// A wall-clock time as an instant: its first occurrence, or the end of a DST gap.
fn resolve(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    // In a gap: the first minute that exists (gaps are at most a few hours).
    let mut probe = local;
    for _ in 0..(4 * 60) {
        probe += Duration::minutes(1);
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            let t = t.with_timezone(&Utc);
            // Fire at the transition itself, not at the first whole minute after it.
            return Some(t - Duration::seconds(probe.and_utc().timestamp() % 60));
        }
    }
    None
}

/// A small random delay so that sources on the same schedule do not all hit at once:
/// up to a tenth of the time to the next firing, at most 30 seconds.
pub fn jitter(until_next: std::time::Duration) -> std::time::Duration {
    let max_ms = (until_next.as_millis() / 10).min(30_000) as u64;
    if max_ms == 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::from_millis(rand::random_range(0..max_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn firings(expr: &str, tz: Tz, from: &str, until: &str) -> Vec<String> {
        let cron = CronSpec::from_str(expr).unwrap();
        let mut now = DateTime::parse_from_rfc3339(from).unwrap().to_utc();
        let until = DateTime::parse_from_rfc3339(until).unwrap().to_utc();
        let mut last = None;
        let mut out = vec![];
        while let Some(f) = next_firing(&cron, tz, now, last) {
            if f.at > until {
                break;
            }
            out.push(f.at.with_timezone(&tz).to_rfc3339());
            last = Some(f.local);
            now = f.at;
        }
        out
    }

    #[test]
    fn spring_forward_fires_once_at_the_gap_end() {
        // Europe/Berlin 2024-03-31: 02:00 → 03:00.
        let f = firings(
            "0 30 2 * * *",
            chrono_tz::Europe::Berlin,
            "2024-03-30T00:00:00Z",
            "2024-04-01T12:00:00Z",
        );
        assert_eq!(
            f,
            [
                "2024-03-30T02:30:00+01:00",
                "2024-03-31T03:00:00+02:00",
                "2024-04-01T02:30:00+02:00"
            ]
        );
    }

    #[test]
    fn fall_back_fires_once() {
        // Europe/Berlin 2024-10-27: 03:00 → 02:00, so 02:30 happens twice.
        let f = firings(
            "0 30 2 * * *",
            chrono_tz::Europe::Berlin,
            "2024-10-26T12:00:00Z",
            "2024-10-28T12:00:00Z",
        );
        assert_eq!(
            f,
            ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]
        );
        // An every-15-minutes schedule through the repeated hour: each wall-clock time once.
        let f = firings(
            "0 */15 * * * *",
            chrono_tz::Europe::Berlin,
            "2024-10-26T23:50:00Z",
            "2024-10-27T01:20:00Z",
        );
        assert_eq!(
            f.iter().filter(|t| t.contains("T02:15")).count(),
            1,
            "{f:?}"
        );
        assert!(f.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn shanghai_has_no_surprises() {
        let f = firings(
            "0 0 8 * * *",
            chrono_tz::Asia::Shanghai,
            "2024-01-01T00:00:00Z",
            "2024-01-03T00:00:00Z",
        );
        assert_eq!(
            f,
            ["2024-01-02T08:00:00+08:00", "2024-01-03T08:00:00+08:00"]
        );
    }
}
