//! Per-host politeness: at most N requests in flight to one host, and a minimum
//! spacing between the starts of two requests to it. With replicas on one database the
//! spacing holds across them too: after the local gate, each request takes the host's
//! next shared slot ([`Pacer`]).

use crate::store::coord::Pacer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

struct Host {
    in_flight: Arc<Semaphore>,
    /// When the next request to this host may start.
    next_start: tokio::sync::Mutex<Instant>,
}

/// The gates of every host seen so far. Hosts are few (one per configured site), so
/// the map is never pruned.
pub struct HostGates {
    per_host: usize,
    spacing: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    /// The spacing shared with other replicas, when the store is shared.
    shared: Option<Pacer>,
}

/// Held while a request to a host is in flight.
pub struct HostPermit {
    _permit: OwnedSemaphorePermit,
}

impl HostGates {
    pub fn new(per_host: usize, spacing: Duration) -> Self {
        HostGates {
            per_host: per_host.max(1),
            spacing,
            hosts: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Hold the spacing across every replica sharing `pacer`'s store as well.
    pub fn share(&mut self, pacer: Pacer) {
        self.shared = Some(pacer);
    }

    /// Wait for this host's turn.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let h = {
            // A poisoned lock only means a panic elsewhere; the map itself is intact.
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts
                .entry(host.to_ascii_lowercase())
                .or_insert_with(|| {
                    Arc::new(Host {
                        in_flight: Arc::new(Semaphore::new(self.per_host)),
                        next_start: tokio::sync::Mutex::new(Instant::now()),
                    })
                })
                .clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = h
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let start = {
            let mut next = h.next_start.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + self.spacing;
            start
        };
        tokio::time::sleep_until(start).await;
        if let Some(pacer) = &self.shared {
            pacer
                .wait(format!("host:{}", host.to_ascii_lowercase()), self.spacing)
                .await;
        }
        HostPermit { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced_and_others_are_not() {
        let gates = HostGates::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        drop(gates.acquire("a.example").await);
        drop(gates.acquire("a.example").await);
        drop(gates.acquire("A.example").await);
        assert_eq!(Instant::now() - t0, Duration::from_secs(2));
        drop(gates.acquire("b.example").await);
        assert_eq!(Instant::now() - t0, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_n_in_flight_per_host() {
        let gates = Arc::new(HostGates::new(2, Duration::ZERO));
        let p1 = gates.acquire("h").await;
        let _p2 = gates.acquire("h").await;
        let g = gates.clone();
        let third = tokio::spawn(async move { g.acquire("h").await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!third.is_finished());
        drop(p1);
        tokio::time::timeout(Duration::from_secs(1), third)
            .await
            .unwrap()
            .unwrap();
    }
}
