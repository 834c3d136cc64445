//! Nonces already used: check 7 of `docs/protocol.md`, made once both signatures verify.
//!
//! A nonce is remembered until its request's `expires_at + max_skew`; after that the time-window
//! check alone refuses the request, so the nonce can be forgotten. Check-and-insert is atomic per
//! nonce, so two concurrent copies of one request cannot both pass.
//!
//! Two stores: in memory ([`ReplayCache::new`], with the SQLite audit log), warmed after a restart
//! from the audit log's unexpired spent nonces so a restart does not reopen the replay window; or a
//! PostgreSQL table shared by every gatekeeper instance ([`ReplayCache::shared`], with the
//! PostgreSQL audit store), so a request verified by one instance is refused by all the others. If
//! the shared table cannot be reached the check fails with [`ReplayError::Unavailable`] and the
//! request is refused (fail closed).
//!
//! In memory a nonce is also remembered for as long as its window lasted when it was seen,
//! measured on the monotonic clock, and forgotten only when both clocks say it ran out: a wall
//! clock stepped forward (which would forget every nonce) and then back (which would make their
//! requests valid again) cannot reopen a request (`docs/api.md`, "Faults"). The shared store
//! follows the gatekeepers' wall clocks only.
//!
//! Memory: one entry (about 56 bytes) per verified request still inside its window; at the default
//! window of 6 minutes and 5,000 grants per second that is under 120 MB. This module must never
//! forget an unexpired nonce.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use s3gk_protocol::Denial;

use crate::postgres::PostgresSettings;

mod shared;

const SHARDS: usize = 16;
/// Purge a shard's expired nonces once it has taken this many inserts since the last purge.
const PURGE_EVERY: u32 = 4096;

#[derive(Default)]
struct Shard {
    until: HashMap<[u8; 16], Remembered>,
    inserts_since_purge: u32,
}

/// How long a nonce is remembered, by each clock.
#[derive(Clone, Copy)]
struct Remembered {
    /// Unix seconds, by the gatekeeper's clock.
    until: u64,
    /// The same span from when it was seen, by the monotonic clock.
    deadline: Instant,
}

impl Remembered {
    fn new(until: u64, now: u64) -> Self {
        Self { until, deadline: Instant::now() + Duration::from_secs(until.saturating_sub(now)) }
    }

    /// Still remembered unless both clocks say its memory ran out.
    fn live(&self, now: u64, monotonic: Instant) -> bool {
        self.until >= now || monotonic < self.deadline
    }
}

/// Why a nonce check did not pass.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The nonce was seen before and is still remembered: refuse with `replayed_nonce`.
    Replayed,
    /// The shared store could not be asked: refuse with `replay_unavailable` (fail closed).
    Unavailable,
}

/// The nonces already used, in memory or shared through PostgreSQL.
pub struct ReplayCache {
    store: Store,
}

enum Store {
    Memory(Box<MemoryNonces>),
    Shared(shared::SharedNonces),
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayCache {
    /// An empty cache in memory.
    pub fn new() -> Self {
        Self { store: Store::Memory(Box::new(MemoryNonces::new())) }
    }

    /// The table `replay_nonces` of the PostgreSQL audit store, shared by every instance using it.
    /// Connects, and creates the table if needed, on first use.
    pub fn shared(settings: PostgresSettings) -> Self {
        Self { store: Store::Shared(shared::SharedNonces::new(settings)) }
    }

    /// Refuses a nonce seen before whose memory has not run out; otherwise remembers it until
    /// `until` (Unix seconds). `now` is the gatekeeper's clock.
    pub async fn check_and_insert(&self, nonce: [u8; 16], until: u64, now: u64) -> Result<(), ReplayError> {
        match &self.store {
            Store::Memory(memory) => memory.check_and_insert(nonce, until, now).map_err(|_| ReplayError::Replayed),
            Store::Shared(shared) => shared.check_and_insert(nonce, until, now).await,
        }
    }

    /// Remembers nonces read back from the audit log at start-up, `now` being the gatekeeper's
    /// clock (the shared store needs none: its table outlives every instance).
    pub fn warm(&self, nonces: impl IntoIterator<Item = ([u8; 16], u64)>, now: u64) {
        if let Store::Memory(memory) = &self.store {
            memory.warm(nonces, now);
        }
    }

    /// Opens the shared store's connection now (a no-op in memory), so the first requests do not
    /// wait for it and a gatekeeper that cannot reach it does not start.
    pub async fn connect(&self) -> Result<(), ReplayError> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Shared(shared) => shared.connect().await,
        }
    }

    /// How many nonces are remembered in memory (expired ones not yet purged included; 0 for the
    /// shared store).
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Memory(memory) => memory.len(),
            Store::Shared(_) => 0,
        }
    }

    /// True when no nonce is remembered in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Seen nonces in memory, sharded to keep lock contention low.
struct MemoryNonces {
    shards: [Mutex<Shard>; SHARDS],
}

impl MemoryNonces {
    fn new() -> Self {
        Self { shards: std::array::from_fn(|_| Mutex::new(Shard::default())) }
    }

    fn shard(&self, nonce: &[u8; 16]) -> &Mutex<Shard> {
        // Nonces are random, so any byte spreads them evenly.
        let index = usize::from(nonce[0]) % SHARDS;
        self.shards.get(index).expect("the index is reduced modulo SHARDS")
    }

    fn check_and_insert(&self, nonce: [u8; 16], until: u64, now: u64) -> Result<(), Denial> {
        let mut shard = self.shard(&nonce).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let monotonic = Instant::now();
        if shard.until.get(&nonce).is_some_and(|seen| seen.live(now, monotonic)) {
            return Err(Denial::Replay);
        }
        shard.until.insert(nonce, Remembered::new(until, now));
        shard.inserts_since_purge += 1;
        if shard.inserts_since_purge >= PURGE_EVERY {
            // Rebuilt rather than erased in place: erasing leaves tombstones that, minutes later,
            // make the table double while it holds no more live nonces (a late RSS step in the
            // 2000/s soak). Sized for the next PURGE_EVERY inserts, it never grows between purges.
            let live: Vec<_> = shard.until.drain().filter(|(_, seen)| seen.live(now, monotonic)).collect();
            let mut rebuilt = HashMap::with_capacity(live.len().saturating_add(PURGE_EVERY as usize));
            rebuilt.extend(live);
            shard.until = rebuilt;
            shard.inserts_since_purge = 0;
        }
        Ok(())
    }

    fn warm(&self, nonces: impl IntoIterator<Item = ([u8; 16], u64)>, now: u64) {
        for (nonce, until) in nonces {
            let mut shard = self.shard(&nonce).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let remembered = Remembered::new(until, now);
            let entry = shard.until.entry(nonce).or_insert(remembered);
            if remembered.until > entry.until {
                *entry = remembered;
            }
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).until.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_until_it_expires() {
        let cache = MemoryNonces::new();
        assert_eq!(cache.check_and_insert([1; 16], 100, 50), Ok(()));
        assert_eq!(cache.check_and_insert([1; 16], 100, 60), Err(Denial::Replay));
        assert_eq!(cache.check_and_insert([1; 16], 100, 100), Err(Denial::Replay));
        // Past its memory by both clocks (seen when already out of its window), it is forgotten.
        assert_eq!(cache.check_and_insert([2; 16], 10, 60), Ok(()));
        assert_eq!(cache.check_and_insert([2; 16], 300, 61), Ok(()));
    }

    #[test]
    fn a_wall_clock_stepped_forward_and_back_forgets_nothing() {
        let cache = MemoryNonces::new();
        cache.check_and_insert([0; 16], 1060, 1000).unwrap();
        // The clock jumps a day ahead; enough traffic to purge the shard twice.
        for i in 0..(PURGE_EVERY * 2) {
            let mut n = [0u8; 16];
            n[1..5].copy_from_slice(&i.to_be_bytes());
            n[5] = 1;
            cache.check_and_insert(n, 86_460, 86_400).unwrap();
        }
        // Stepped back: the first request is inside its window again, and still a replay.
        assert_eq!(cache.check_and_insert([0; 16], 1060, 1010), Err(Denial::Replay));
    }

    #[test]
    fn warm_start_refuses_audited_nonces() {
        let cache = MemoryNonces::new();
        cache.warm([([7; 16], 500)], 400);
        assert_eq!(cache.check_and_insert([7; 16], 500, 400), Err(Denial::Replay));
    }

    #[test]
    fn purging_keeps_live_nonces() {
        let cache = MemoryNonces::new();
        cache.check_and_insert([0; 16], 1_000_000, 0).unwrap();
        for i in 0..(PURGE_EVERY * 2) {
            let mut n = [0u8; 16];
            n[0] = 0; // same shard as the live nonce
            n[1..5].copy_from_slice(&i.to_be_bytes());
            n[5] = 1;
            cache.check_and_insert(n, 10, 20).unwrap_or(());
        }
        assert_eq!(cache.check_and_insert([0; 16], 1_000_000, 30), Err(Denial::Replay));
        assert!(cache.len() < usize::try_from(PURGE_EVERY).unwrap() + 2);
    }

    #[test]
    fn a_shard_keeps_one_table_size_across_purges() {
        let cache = MemoryNonces::new();
        let nonce = |i: u32, kind: u8| {
            let mut n = [0u8; 16]; // first byte 0: all in shard 0
            n[1..5].copy_from_slice(&i.to_be_bytes());
            n[5] = kind;
            n
        };
        // A steady live set, as at a constant rate, and nonces that expire as soon as they are in.
        for i in 0..1000 {
            cache.check_and_insert(nonce(i, 1), 1_000_000_000, 1000).unwrap();
        }
        let capacity = || cache.shards[0].lock().unwrap().until.capacity();
        let mut after_purges = Vec::new();
        for i in 0..(PURGE_EVERY * 40) {
            cache.check_and_insert(nonce(i, 2), 999, 1000).unwrap();
            if (i + 1001) % PURGE_EVERY == 0 {
                after_purges.push(capacity());
            }
        }
        let first = after_purges[0];
        assert!(after_purges.iter().all(|&c| c == first), "the table changed size: {after_purges:?}");
        assert!(cache.len() <= 1000 + PURGE_EVERY as usize);
    }

    #[tokio::test]
    async fn the_cache_answers_replayed_for_a_memory_hit() {
        let cache = ReplayCache::new();
        assert_eq!(cache.check_and_insert([3; 16], 100, 50).await, Ok(()));
        assert_eq!(cache.check_and_insert([3; 16], 100, 60).await, Err(ReplayError::Replayed));
        cache.warm([([4; 16], 500)], 400);
        assert_eq!(cache.check_and_insert([4; 16], 500, 400).await, Err(ReplayError::Replayed));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn concurrent_copies_of_one_nonce_pass_once() {
        let cache = std::sync::Arc::new(MemoryNonces::new());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let c = cache.clone();
                std::thread::spawn(move || c.check_and_insert([9; 16], 100, 1).is_ok())
            })
            .collect();
        let passed = handles.into_iter().map(|h| h.join().unwrap()).filter(|ok| *ok).count();
        assert_eq!(passed, 1);
    }
}
