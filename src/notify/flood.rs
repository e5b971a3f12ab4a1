//! Flood limits, held by a scheduler rather than learned from errors: every send to a
//! chat or robot first reserves a slot here, at the earliest time its windows allow
//! (Telegram: about one message a second per chat, 20 a minute per group, 30 a second
//! for the bot; robots: 20 a minute each). A `429 retry_after` pauses a target exactly
//! that long.
//!
//! Pure bookkeeping over [`Instant`]s from `tokio::time`, so tests drive it in virtual
//! time (`tokio::time::pause()`) and prove the limits hold without waiting for them.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// At most `count` messages in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub per: Duration,
}

impl Window {
    pub fn new(count: u32, per: Duration) -> Window {
        Window {
            count: count.max(1),
            per,
        }
    }

    /// The steady pace this window allows: one message every `per / count`. Shared
    /// pacing across replicas spaces messages this evenly (no bursts).
    pub fn spacing(&self) -> Duration {
        self.per / self.count.max(1)
    }

    /// One message every `interval` (zero: no limit).
    pub fn interval(interval: Duration) -> Option<Window> {
        (!interval.is_zero()).then_some(Window {
            count: 1,
            per: interval,
        })
    }
}

/// The send times of one target (or of the whole bot), oldest first. Reservations are
/// handed out in time order, so the log stays sorted.
#[derive(Debug, Default)]
struct Log {
    times: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Log {
    /// The earliest time at or after `now` that every window and pause allows.
    fn earliest(&self, windows: &[Window], now: Instant) -> Instant {
        let mut t = now;
        if let Some(last) = self.times.back() {
            t = t.max(*last);
        }
        if let Some(p) = self.paused_until {
            t = t.max(p);
        }
        for w in windows {
            let n = w.count as usize;
            if self.times.len() >= n {
                t = t.max(self.times[self.times.len() - n] + w.per);
            }
        }
        t
    }

    fn record(&mut self, t: Instant, windows: &[Window]) {
        self.times.push_back(t);
        let keep = windows.iter().map(|w| w.count as usize).max().unwrap_or(1);
        while self.times.len() > keep {
            self.times.pop_front();
        }
    }
}

/// The scheduler: per-target logs, and the bot's sends spaced evenly (30 a second is
/// one every 33 ms), in a sorted set because chats reserve out of order.
#[derive(Debug)]
pub struct FloodGate {
    /// The least time between two sends of the whole bot (zero: no bot-wide limit).
    spacing: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    targets: HashMap<String, Log>,
    global: BTreeSet<Instant>,
    global_paused: Option<Instant>,
}

impl State {
    /// The earliest time at or after `t` at least `spacing` away from every bot send.
    fn global_slot(&self, mut t: Instant, spacing: Duration) -> Instant {
        if let Some(p) = self.global_paused {
            t = t.max(p);
        }
        if spacing.is_zero() {
            return t;
        }
        loop {
            if let Some(prev) = self.global.range(..=t).next_back()
                && t - *prev < spacing
            {
                t = *prev + spacing;
                continue;
            }
            if let Some(next) = self.global.range(t..).next()
                && *next - t < spacing
            {
                t = *next + spacing;
                continue;
            }
            return t;
        }
    }
}

impl FloodGate {
    /// A gate where the whole bot sends at most `per_second` messages a second (0: no
    /// bot-wide limit).
    pub fn new(per_second: u32) -> FloodGate {
        FloodGate {
            // Rounded up: 30 sends spaced this far apart never fit in one second.
            spacing: if per_second == 0 {
                Duration::ZERO
            } else {
                Duration::from_nanos(1_000_000_000u64.div_ceil(u64::from(per_second)))
            },
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves only timestamps behind; keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When `key` could send next, without reserving.
    pub fn next_free(&self, key: &str, windows: &[Window], now: Instant) -> Instant {
        let state = self.lock();
        let t = state
            .targets
            .get(key)
            .map_or(now, |log| log.earliest(windows, now));
        state.global_slot(t, self.spacing)
    }

    /// Reserve the next slot of `key` and of the bot, at the earliest time both allow.
    /// The caller waits until then and sends.
    pub fn reserve(&self, key: &str, windows: &[Window], now: Instant) -> Instant {
        let mut state = self.lock();
        let t = state
            .targets
            .get(key)
            .map_or(now, |log| log.earliest(windows, now));
        // A later bot slot moves the target's too; its windows still hold later on.
        let t = state.global_slot(t, self.spacing);
        state
            .targets
            .entry(key.to_string())
            .or_default()
            .record(t, windows);
        if !self.spacing.is_zero() {
            state.global.insert(t);
            // Sends older than a second no longer constrain anything.
            if state.global.len() > 4096
                && let Some(cut) = now.checked_sub(Duration::from_secs(1))
            {
                state.global = state.global.split_off(&cut);
            }
        }
        t
    }

    /// A `retry_after`: nothing goes to `key` (or, with `None`, to anyone) before `until`.
    pub fn pause(&self, key: Option<&str>, until: Instant) {
        let mut state = self.lock();
        let slot = match key {
            Some(k) => &mut state.targets.entry(k.to_string()).or_default().paused_until,
            None => &mut state.global_paused,
        };
        *slot = Some(slot.map_or(until, |p| p.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn telegram_gate() -> FloodGate {
        FloodGate::new(30)
    }

    fn group() -> Vec<Window> {
        vec![
            Window::new(1, Duration::from_secs(1)),
            Window::new(20, Duration::from_secs(60)),
        ]
    }

    /// Checks that no `per`-long span of `times` (sorted) holds more than `count`.
    fn holds(times: &[Instant], w: Window) -> bool {
        times
            .windows(w.count as usize + 1)
            .all(|span| span[w.count as usize] - span[0] >= w.per)
    }

    #[test]
    fn a_group_gets_one_a_second_and_twenty_a_minute() {
        let gate = telegram_gate();
        let start = Instant::now();
        let times: Vec<Instant> = (0..45)
            .map(|_| gate.reserve("g", &group(), start))
            .collect();
        assert!(holds(&times, group()[0]) && holds(&times, group()[1]));
        assert_eq!(times[19] - start, Duration::from_secs(19));
        assert_eq!(
            times[20] - start,
            Duration::from_secs(60),
            "the 21st waits for the minute"
        );
        assert_eq!(times[40] - start, Duration::from_secs(120));
    }

    #[test]
    fn a_pause_holds_the_target_exactly_that_long() {
        let gate = telegram_gate();
        let start = Instant::now();
        let private = [Window::new(1, Duration::from_secs(1))];
        gate.reserve("c", &private, start);
        gate.pause(Some("c"), start + Duration::from_secs(7));
        assert_eq!(
            gate.reserve("c", &private, start) - start,
            Duration::from_secs(7)
        );
        let other = gate.reserve("other", &private, start) - start;
        assert!(
            other < Duration::from_millis(34),
            "{other:?}: only the bot's spacing"
        );
    }

    #[test]
    fn the_bot_limit_spreads_many_chats() {
        let gate = telegram_gate();
        let start = Instant::now();
        let private = [Window::new(1, Duration::from_secs(1))];
        let mut all: Vec<Instant> = (0..100)
            .map(|i| gate.reserve(&format!("c{i}"), &private, start))
            .collect();
        all.sort();
        assert!(holds(&all, Window::new(30, Duration::from_secs(1))));
        assert_eq!(all[99] - start, Duration::from_nanos(33_333_334 * 99));
    }
}
