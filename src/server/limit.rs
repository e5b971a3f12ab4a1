//! A fixed-window counter per client address: the sign-up form's per-IP limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Past this many tracked addresses, expired windows are swept before adding another.
const SWEEP_AT: usize = 10_000;

pub struct IpLimiter {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl IpLimiter {
    /// At most `max` requests per `window` from one address.
    pub fn new(max: u32, window: Duration) -> IpLimiter {
        IpLimiter {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Count a request from `ip`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        // A poisoned lock only means another request panicked mid-update.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SWEEP_AT {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_max_then_resets() {
        let l = IpLimiter::new(2, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        assert!(l.allow_at(ip, t));
        assert!(l.allow_at(ip, t));
        assert!(!l.allow_at(ip, t));
        assert!(l.allow_at("192.0.2.2".parse().unwrap(), t));
        assert!(l.allow_at(ip, t + Duration::from_secs(61)));
    }
}
