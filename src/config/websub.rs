//! `[websub]`: Tidings as a WebSub hub for its own feeds, and as a subscriber to the
//! hubs its sources advertise. Every field is optional; without the section Tidings is
//! the hub of its feeds (unless `[daemon] websub_hub` names another) and subscribes to
//! nothing.

use super::reader::{Ctx, Section, Span};
use toml::de::DeTable;

/// `[websub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSubConfig {
    /// `lease_secs`: the lease given when a subscriber asks for none (default 10 days).
    pub lease_secs: u64,
    /// `min_lease_secs`, `max_lease_secs`: a requested lease is clamped into these
    /// (defaults 1 hour and 30 days).
    pub min_lease_secs: u64,
    pub max_lease_secs: u64,
    /// `allow_private`: subscriber callbacks (and hubs learned from sources) may be on
    /// loopback, private or link-local addresses. Off by default: anyone can ask the hub
    /// to call a URL, which must not reach inside the operator's network.
    pub allow_private: bool,
    /// `subscribe`: subscribe to the hubs that sources advertise, so that they push new
    /// items. Only when `[daemon] public_url` is reachable by those hubs.
    pub subscribe: bool,
    /// `fallback_poll_secs`: while a source pushes through a verified subscription, it is
    /// polled at most this often (default 6 hours), in case a push is lost.
    pub fallback_poll_secs: u64,
}

impl Default for WebSubConfig {
    fn default() -> Self {
        WebSubConfig {
            lease_secs: 10 * 86_400,
            min_lease_secs: 3600,
            max_lease_secs: 30 * 86_400,
            allow_private: false,
            subscribe: false,
            fallback_poll_secs: 6 * 3600,
        }
    }
}

impl WebSubConfig {
    /// A requested lease (or none) as granted: within the bounds.
    pub fn grant(&self, requested: Option<u64>) -> u64 {
        requested
            .unwrap_or(self.lease_secs)
            .clamp(self.min_lease_secs, self.max_lease_secs)
    }
}

const FIELDS: &[&str] = &[
    "lease_secs",
    "min_lease_secs",
    "max_lease_secs",
    "allow_private",
    "subscribe",
    "fallback_poll_secs",
];

pub(super) fn read_websub(cx: &mut Ctx, table: Option<(&DeTable, Span)>) -> WebSubConfig {
    let mut w = WebSubConfig::default();
    let Some((table, span)) = table else {
        return w;
    };
    let sec = Section::new(cx, "[websub]", table, span.clone(), FIELDS);
    // A lease from a minute to a year: bounds against typos, not taste.
    let lease = |cx: &mut Ctx, key| sec.integer(cx, key, 60, 365 * 86_400).map(|n| n as u64);
    if let Some(n) = lease(cx, "min_lease_secs") {
        w.min_lease_secs = n;
    }
    if let Some(n) = lease(cx, "max_lease_secs") {
        w.max_lease_secs = n;
    }
    if let Some(n) = lease(cx, "lease_secs") {
        w.lease_secs = n;
    }
    if w.min_lease_secs > w.max_lease_secs {
        cx.error(
            &span,
            format!(
                "`min_lease_secs` ({}) is larger than `max_lease_secs` ({})",
                w.min_lease_secs, w.max_lease_secs
            ),
        );
    }
    if let Some(b) = sec.boolean(cx, "allow_private") {
        w.allow_private = b;
    }
    if let Some(b) = sec.boolean(cx, "subscribe") {
        w.subscribe = b;
    }
    if let Some(n) = sec.integer(cx, "fallback_poll_secs", 60, 30 * 86_400) {
        w.fallback_poll_secs = n as u64;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_clamped_into_the_bounds() {
        let w = WebSubConfig::default();
        assert_eq!(w.grant(None), 864_000);
        assert_eq!(w.grant(Some(5)), 3600);
        assert_eq!(w.grant(Some(90 * 86_400)), 30 * 86_400);
        assert_eq!(w.grant(Some(7200)), 7200);
    }
}
