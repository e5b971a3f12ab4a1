//! [`LiveConfig`]: the configuration a running daemon uses now. A reload replaces it
//! whole; readers take a snapshot (`get`) and keep it for the request, poll or delivery
//! at hand, so nothing sees half of an old file and half of a new one.

use super::Config;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A shared, replaceable [`Config`]. Cloning shares it.
#[derive(Clone)]
pub struct LiveConfig {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Arc<Config>>,
    /// Bumped on every replacement, so holders of derived data (the feed cache) can
    /// tell that it may be stale.
    generation: AtomicU64,
}

impl LiveConfig {
    pub fn new(config: Arc<Config>) -> LiveConfig {
        LiveConfig {
            inner: Arc::new(Inner {
                current: RwLock::new(config),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// The configuration in force now.
    pub fn get(&self) -> Arc<Config> {
        // A poisoned lock only means a panic while swapping an Arc: the value is whole.
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Put a new configuration in force; returns the one it replaces.
    pub fn replace(&self, config: Arc<Config>) -> Arc<Config> {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner());
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        std::mem::replace(&mut *current, config)
    }

    /// How many times the configuration was replaced.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }
}

impl From<Arc<Config>> for LiveConfig {
    fn from(config: Arc<Config>) -> Self {
        LiveConfig::new(config)
    }
}

impl From<Config> for LiveConfig {
    fn from(config: Config) -> Self {
        LiveConfig::new(Arc::new(config))
    }
}
