//! A source's health, decided once from its [`SourceState`], so that the status page,
//! `/metrics` and (next) the `/status` bot command tell the same story.

use super::SourceState;

/// How a source is doing, as every view reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceHealth {
    /// Not read yet: no successful poll, no failure.
    Never,
    /// The last poll succeeded.
    Ok,
    /// The last poll failed with an error that may pass (timeout, 5xx, 429, a page
    /// that did not parse): polls back off and try again.
    Failing,
    /// The last poll failed with an error waiting will not fix (404, 410, a body over
    /// the size limit): the operator has to act; polls back off much further.
    Broken,
}

impl SourceHealth {
    pub const ALL: [SourceHealth; 4] = [
        SourceHealth::Never,
        SourceHealth::Ok,
        SourceHealth::Failing,
        SourceHealth::Broken,
    ];

    /// The word views show (and the status page uses as a CSS class).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceHealth::Never => "never",
            SourceHealth::Ok => "ok",
            SourceHealth::Failing => "failing",
            SourceHealth::Broken => "broken",
        }
    }
}

impl SourceState {
    /// This source's health: failing while its last error is newer than its last
    /// success (or failures are counted), broken when that error is permanent.
    pub fn health(&self) -> SourceHealth {
        let failing = self.failures > 0
            || self
                .last_error_at
                .is_some_and(|at| Some(at) > self.last_success);
        if failing && self.error_permanent {
            SourceHealth::Broken
        } else if failing {
            SourceHealth::Failing
        } else if self.polls_ok == 0 && self.last_success.is_none() {
            SourceHealth::Never
        } else {
            SourceHealth::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn health_follows_the_last_outcome() {
        let mut state = SourceState::default();
        assert_eq!(state.health(), SourceHealth::Never);
        state.polls_ok = 1;
        state.last_success = Some(Utc::now());
        assert_eq!(state.health(), SourceHealth::Ok);
        state.failures = 1;
        state.last_error_at = Some(Utc::now());
        assert_eq!(state.health(), SourceHealth::Failing);
        state.error_permanent = true;
        assert_eq!(state.health(), SourceHealth::Broken);
        state.failures = 0;
        state.last_success = Some(Utc::now() + chrono::Duration::seconds(1));
        assert_eq!(state.health(), SourceHealth::Ok);
    }
}
