//! Keyed operator state with a time-to-live on processing time, as Flink's state TTL defines it.
//!
//! An entry lives for the TTL after its last write: Flink's `UpdateType.OnCreateAndWrite` (a read
//! does not extend it). An expired entry is never returned, even before cleanup removes it:
//! `StateVisibility.NeverReturnExpired`. Flink's check is `last_write + ttl <= now`, so an entry is
//! already gone at exactly `last_write + ttl`; the lab uses the same boundary.
//!
//! Without a TTL (`None`, Flink SQL's default `table.exec.state.ttl = 0`) state is never cleaned
//! and grows with the number of keys: the UI shows [`TtlState::len`] per operator, and
//! [`TtlState::expired`] counts the entries lost to expiry (a dedup that forgets a key lets a later
//! duplicate through; a join that forgets a row misses a match).
//!
//! The clock is the lab's: every call is handed the processing time it happens at. An index by
//! expiry time makes [`TtlState::expire`] cost only the entries it removes.

use crate::value::{DurationUs, StreamError, TimeUs};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeBounds;

/// One entry: its value and the processing time of its last write.
#[derive(Clone, Debug, PartialEq)]
struct TtlEntry<V> {
    value: V,
    last_write: TimeUs,
}

/// A keyed state whose entries expire a TTL after their last write (processing time).
#[derive(Clone, Debug, PartialEq)]
pub struct TtlState<K: Ord + Clone, V> {
    ttl: Option<DurationUs>,
    entries: BTreeMap<K, TtlEntry<V>>,
    /// (expiry time, key) of every entry, when there is a TTL: the cleanup order.
    by_expiry: BTreeSet<(TimeUs, K)>,
    expired: u64,
}

/// Refuses a TTL that is not positive.
pub fn validate_ttl(ttl: Option<DurationUs>) -> Result<(), StreamError> {
    match ttl {
        Some(t) if t.0 <= 0 => Err(StreamError::new(
            format!("a state TTL must be positive, got {} µs", t.0),
            "give a TTL such as 60 seconds, or none to keep state forever",
        )),
        _ => Ok(()),
    }
}

impl<K: Ord + Clone, V> TtlState<K, V> {
    /// An empty state; `ttl` None keeps entries forever.
    pub fn new(ttl: Option<DurationUs>) -> Result<TtlState<K, V>, StreamError> {
        validate_ttl(ttl)?;
        Ok(TtlState {
            ttl,
            entries: BTreeMap::new(),
            by_expiry: BTreeSet::new(),
            expired: 0,
        })
    }

    /// The TTL, if any.
    pub fn ttl(&self) -> Option<DurationUs> {
        self.ttl
    }

    /// When an entry last written at `last_write` expires (None: never).
    fn expiry_of(&self, last_write: TimeUs) -> Option<TimeUs> {
        self.ttl.map(|ttl| last_write.plus(ttl))
    }

    /// Whether an entry last written at `last_write` is expired at `now`: `last_write + ttl <= now`.
    fn is_expired(&self, last_write: TimeUs, now: TimeUs) -> bool {
        self.expiry_of(last_write)
            .is_some_and(|expiry| expiry <= now)
    }

    /// The value of `key` at `now`, unless it is absent or expired.
    pub fn get(&self, key: &K, now: TimeUs) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|entry| !self.is_expired(entry.last_write, now))
            .map(|entry| &entry.value)
    }

    /// The value of `key` to modify in place at `now` (a write: its TTL restarts), or None if it
    /// is absent or expired (an expired entry is removed and counted).
    pub fn get_mut(&mut self, key: &K, now: TimeUs) -> Option<&mut V> {
        let last_write = self.entries.get(key)?.last_write;
        if self.is_expired(last_write, now) {
            self.remove_expired(key, last_write);
            return None;
        }
        self.touch(key, last_write, now);
        self.entries.get_mut(key).map(|entry| &mut entry.value)
    }

    /// Writes `value` for `key` at `now`; its TTL starts again.
    pub fn put(&mut self, key: K, value: V, now: TimeUs) {
        if let Some(old) = self.entries.get(&key).map(|entry| entry.last_write) {
            if self.is_expired(old, now) {
                self.expired += 1;
            }
            self.unindex(&key, old);
        }
        self.index(&key, now);
        self.entries.insert(
            key,
            TtlEntry {
                value,
                last_write: now,
            },
        );
    }

    /// Removes `key` (a deliberate delete, not an expiry), returning its value if it was live.
    pub fn remove(&mut self, key: &K, now: TimeUs) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.unindex(key, entry.last_write);
        if self.is_expired(entry.last_write, now) {
            self.expired += 1;
            return None;
        }
        Some(entry.value)
    }

    /// Removes every entry expired at `now`; returns how many.
    pub fn expire(&mut self, now: TimeUs) -> u64 {
        self.expire_keys(now).len() as u64
    }

    /// Removes every entry expired at `now`; returns their keys, oldest write first.
    pub fn expire_keys(&mut self, now: TimeUs) -> Vec<K> {
        let mut removed = Vec::new();
        while let Some((expiry, key)) = self.by_expiry.first().cloned() {
            if expiry > now {
                break;
            }
            self.by_expiry.remove(&(expiry, key.clone()));
            self.entries.remove(&key);
            removed.push(key);
        }
        self.expired += removed.len() as u64;
        removed
    }

    /// The live entries at `now` whose keys fall in `range`, in key order.
    pub fn range<R: RangeBounds<K>>(
        &self,
        range: R,
        now: TimeUs,
    ) -> impl Iterator<Item = (&K, &V)> {
        self.entries
            .range(range)
            .filter(move |(_, entry)| !self.is_expired(entry.last_write, now))
            .map(|(key, entry)| (key, &entry.value))
    }

    /// Every entry held, expired ones not yet cleaned up included, in key order.
    pub fn held(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(key, entry)| (key, &entry.value))
    }

    /// Entries held, expired ones not yet cleaned up included (what the state costs).
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries lost to expiry so far (cleaned up, or found expired on access).
    pub fn expired(&self) -> u64 {
        self.expired
    }

    /// Feeds the state to a state hash, each key and value through the given functions.
    pub fn hash_into(
        &self,
        hasher: &mut sim::state_hash::StateHasher,
        mut hash_entry: impl FnMut(&K, &V, &mut sim::state_hash::StateHasher),
    ) {
        hasher.u64(self.ttl.map_or(0, |t| t.0 as u64));
        hasher.u64(self.expired);
        hasher.u64(self.entries.len() as u64);
        for (key, entry) in &self.entries {
            hasher.u64(entry.last_write.0 as u64);
            hash_entry(key, &entry.value, hasher);
        }
    }

    fn remove_expired(&mut self, key: &K, last_write: TimeUs) {
        self.entries.remove(key);
        self.unindex(key, last_write);
        self.expired += 1;
    }

    fn touch(&mut self, key: &K, old_write: TimeUs, now: TimeUs) {
        self.unindex(key, old_write);
        self.index(key, now);
        if let Some(entry) = self.entries.get_mut(key) {
            entry.last_write = now;
        }
    }

    fn index(&mut self, key: &K, last_write: TimeUs) {
        if let Some(expiry) = self.expiry_of(last_write) {
            self.by_expiry.insert((expiry, key.clone()));
        }
    }

    fn unindex(&mut self, key: &K, last_write: TimeUs) {
        if let Some(expiry) = self.expiry_of(last_write) {
            self.by_expiry.remove(&(expiry, key.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ttl_us: i64) -> TtlState<u32, &'static str> {
        TtlState::new(Some(DurationUs(ttl_us))).expect("a positive TTL")
    }

    #[test]
    fn an_entry_expires_exactly_at_last_write_plus_ttl() {
        let mut s = state(10);
        s.put(1, "a", TimeUs(100));
        assert_eq!(s.get(&1, TimeUs(109)), Some(&"a"));
        assert_eq!(
            s.get(&1, TimeUs(110)),
            None,
            "NeverReturnExpired at the boundary"
        );
        assert_eq!(s.expire(TimeUs(109)), 0);
        assert_eq!(s.len(), 1);
        assert_eq!(s.expire(TimeUs(110)), 1);
        assert_eq!((s.len(), s.expired()), (0, 1));
    }

    #[test]
    fn a_write_restarts_the_ttl_and_a_read_does_not() {
        let mut s = state(10);
        s.put(1, "a", TimeUs(0));
        assert!(s.get(&1, TimeUs(5)).is_some());
        assert_eq!(s.get(&1, TimeUs(10)), None, "a read did not extend it");
        s.put(1, "b", TimeUs(8));
        assert_eq!(s.get(&1, TimeUs(17)), Some(&"b"));
        assert_eq!(s.expire(TimeUs(17)), 0);
        assert_eq!(s.expire(TimeUs(18)), 1);
    }

    #[test]
    fn get_mut_is_a_write_and_drops_an_expired_entry() {
        let mut s = state(10);
        s.put(1, "a", TimeUs(0));
        *s.get_mut(&1, TimeUs(9)).expect("live") = "b";
        assert_eq!(s.get(&1, TimeUs(18)), Some(&"b"));
        assert_eq!(s.get_mut(&1, TimeUs(19)), None);
        assert_eq!((s.len(), s.expired()), (0, 1));
        assert_eq!(s.expire(TimeUs(100)), 0, "the index was cleaned too");
    }

    #[test]
    fn overwriting_an_expired_entry_counts_it_lost() {
        let mut s = state(10);
        s.put(1, "a", TimeUs(0));
        s.put(1, "b", TimeUs(10));
        assert_eq!((s.len(), s.expired()), (1, 1));
        assert_eq!(s.expire(TimeUs(19)), 0);
        assert_eq!(s.expire(TimeUs(20)), 1);
    }

    #[test]
    fn without_a_ttl_nothing_expires() {
        let mut s: TtlState<u32, u32> = TtlState::new(None).expect("no TTL is valid");
        s.put(1, 1, TimeUs(0));
        assert_eq!(s.expire(TimeUs::MAX), 0);
        assert_eq!(s.get(&1, TimeUs::MAX), Some(&1));
    }

    #[test]
    fn range_skips_expired_entries_and_remove_reports_live_values() {
        let mut s = state(10);
        s.put(1, "a", TimeUs(0));
        s.put(2, "b", TimeUs(5));
        s.put(3, "c", TimeUs(5));
        let live: Vec<u32> = s.range(1..=2, TimeUs(12)).map(|(k, _)| *k).collect();
        assert_eq!(live, vec![2]);
        assert_eq!(
            s.remove(&1, TimeUs(12)),
            None,
            "expired: counted, not returned"
        );
        assert_eq!(s.remove(&2, TimeUs(12)), Some("b"));
        assert_eq!((s.len(), s.expired()), (1, 1));
    }

    #[test]
    fn a_ttl_must_be_positive() {
        let err = TtlState::<u32, u32>::new(Some(DurationUs(0))).expect_err("zero TTL");
        assert!(err.message.contains("positive"), "{err}");
        assert!(!err.hint.is_empty());
    }

    #[test]
    fn the_hash_covers_values_and_write_times() {
        let hash = |s: &TtlState<u32, &'static str>| {
            let mut h = sim::state_hash::StateHasher::new();
            s.hash_into(&mut h, |k, v, h| {
                h.u64(u64::from(*k));
                h.str(v);
            });
            h.finish()
        };
        let mut a = state(10);
        let mut b = state(10);
        a.put(1, "a", TimeUs(0));
        b.put(1, "a", TimeUs(1));
        assert_ne!(hash(&a), hash(&b));
        b.put(1, "a", TimeUs(0));
        assert_eq!(hash(&a), hash(&b));
    }
}
