//! Deduplication: the first row per key by arrival, within a time bound.
//!
//! This is Flink's processing-time first-row deduplication, what Flink SQL plans for
//! `ROW_NUMBER() OVER (PARTITION BY k ORDER BY proctime ASC) ... WHERE rownum = 1`
//! (`ProcTimeDeduplicateKeepFirstRowFunction`): the first row of a key passes, every later row of
//! that key is dropped, and nothing is ever retracted (the output is append-only). The operator
//! remembers which keys it has seen in a [`TtlState`]; the TTL is the time bound. A duplicate does
//! not refresh the entry (Flink writes the state only for the first row), so a key is forgotten a
//! TTL after its first row and the next row of that key passes again as a new "first" row: state
//! stays bounded at the price of duplicates farther apart than the TTL. Without a TTL every key is
//! kept forever.
//!
//! Arrival is the record's processing time. A row whose event time is NULL is refused as invalid
//! and counted: the output carries an event time for the operators downstream.

use crate::operator::{hash_values, Operator, OutputRecord, SourceRecord};
use crate::state_ttl::TtlState;
use crate::value::{DurationUs, Key, StreamError, TimeUs};

/// Counters for the UI and the goals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DedupStats {
    pub rows_in: u64,
    /// Rows passed downstream (first rows).
    pub passed: u64,
    /// Rows dropped because their key was seen within the TTL.
    pub duplicates_removed: u64,
    /// Keys forgotten because their TTL ran out.
    pub state_expired: u64,
    /// Rows refused because their event time was NULL.
    pub invalid: u64,
}

/// The first-row dedup operator (its `Clone` is its checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct Dedup {
    /// Each key seen, with the arrival of its first row.
    seen: TtlState<Key, TimeUs>,
    stats: DedupStats,
}

impl Dedup {
    /// A dedup that remembers a key for `ttl` of processing time after its first row (None:
    /// forever), or why the TTL is impossible.
    pub fn new(ttl: Option<DurationUs>) -> Result<Dedup, StreamError> {
        Ok(Dedup {
            seen: TtlState::new(ttl)?,
            stats: DedupStats::default(),
        })
    }

    /// The time bound.
    pub fn ttl(&self) -> Option<DurationUs> {
        self.seen.ttl()
    }

    /// The counters, with the expiry count read from the state.
    pub fn stats(&self) -> DedupStats {
        DedupStats {
            state_expired: self.seen.expired(),
            ..self.stats
        }
    }

    /// Whether a row of `key` arriving at `arrival` is a duplicate of a first row still held.
    fn is_duplicate(&self, key: &Key, arrival: TimeUs) -> bool {
        self.seen.get(key, arrival).is_some()
    }
}

impl Operator for Dedup {
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
        self.stats.rows_in += 1;
        let Some(ts) = record.ts else {
            self.stats.invalid += 1;
            return Vec::new();
        };
        if self.is_duplicate(&record.key, record.arrival) {
            self.stats.duplicates_removed += 1;
            return Vec::new();
        }
        self.seen
            .put(record.key.clone(), record.arrival, record.arrival);
        self.stats.passed += 1;
        vec![OutputRecord {
            key: record.key.clone(),
            values: record.values.clone(),
            ts,
        }]
    }

    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        self.seen.expire(now);
        Vec::new()
    }

    fn state_rows(&self) -> u64 {
        self.seen.len()
    }

    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        self.seen.hash_into(hasher, |key, first_arrival, h| {
            hash_values(key, h);
            h.u64(first_arrival.0 as u64);
        });
        let s = self.stats;
        for n in [s.rows_in, s.passed, s.duplicates_removed, s.invalid] {
            hasher.u64(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::StreamValue;
    use crate::watermark::PartitionId;

    fn row(offset: u64, key: &str, arrival: i64) -> SourceRecord {
        SourceRecord {
            partition: PartitionId(0),
            offset,
            arrival: TimeUs(arrival),
            ts: Some(TimeUs(arrival - 1)),
            key: vec![StreamValue::text(key)],
            values: vec![StreamValue::Int(offset as i64)],
        }
    }

    fn passed(dedup: &mut Dedup, rows: &[SourceRecord]) -> Vec<i64> {
        rows.iter()
            .flat_map(|r| dedup.process(r))
            .map(|out| match out.values[0] {
                StreamValue::Int(i) => i,
                ref other => panic!("unexpected value {other:?}"),
            })
            .collect()
    }

    #[test]
    fn only_the_first_row_of_a_key_passes_within_the_bound() {
        let mut d = Dedup::new(Some(DurationUs(100))).expect("valid TTL");
        let rows = [
            row(0, "a", 10),
            row(1, "b", 20),
            row(2, "a", 30),
            row(3, "a", 109),
        ];
        assert_eq!(passed(&mut d, &rows), vec![0, 1]);
        let s = d.stats();
        assert_eq!((s.rows_in, s.passed, s.duplicates_removed), (4, 2, 2));
        assert_eq!(d.state_rows(), 2);
    }

    #[test]
    fn a_row_exactly_one_ttl_after_the_first_passes_again() {
        let mut d = Dedup::new(Some(DurationUs(100))).expect("valid TTL");
        let rows = [
            row(0, "a", 10),
            row(1, "a", 109),
            row(2, "a", 110),
            row(3, "a", 150),
        ];
        assert_eq!(
            passed(&mut d, &rows),
            vec![0, 2],
            "row 2 is a new first row"
        );
        assert_eq!(d.stats().state_expired, 1);
        assert_eq!(d.stats().duplicates_removed, 2);
    }

    #[test]
    fn a_duplicate_does_not_extend_the_bound() {
        let mut d = Dedup::new(Some(DurationUs(100))).expect("valid TTL");
        let rows = [row(0, "a", 0), row(1, "a", 90), row(2, "a", 100)];
        assert_eq!(passed(&mut d, &rows), vec![0, 2]);
    }

    #[test]
    fn processing_time_cleans_forgotten_keys() {
        let mut d = Dedup::new(Some(DurationUs(100))).expect("valid TTL");
        passed(&mut d, &[row(0, "a", 0), row(1, "b", 50)]);
        assert!(d.on_processing_time(TimeUs(99)).is_empty());
        assert_eq!(d.state_rows(), 2);
        d.on_processing_time(TimeUs(100));
        assert_eq!((d.state_rows(), d.stats().state_expired), (1, 1));
        d.on_processing_time(TimeUs(150));
        assert_eq!((d.state_rows(), d.stats().state_expired), (0, 2));
    }

    #[test]
    fn without_a_ttl_every_key_is_kept() {
        let mut d = Dedup::new(None).expect("no TTL is valid");
        let rows = [row(0, "a", 0), row(1, "a", i64::MAX - 1)];
        assert_eq!(passed(&mut d, &rows), vec![0]);
        d.on_processing_time(TimeUs::MAX);
        assert_eq!(d.state_rows(), 1);
    }

    #[test]
    fn a_null_event_time_is_invalid_and_counted() {
        let mut d = Dedup::new(None).expect("no TTL is valid");
        let mut r = row(0, "a", 5);
        r.ts = None;
        assert!(d.process(&r).is_empty());
        assert_eq!(d.stats().invalid, 1);
        assert_eq!(
            passed(&mut d, &[row(1, "a", 6)]),
            vec![1],
            "the key was not remembered"
        );
    }

    #[test]
    fn a_bad_ttl_is_refused_with_a_hint() {
        let err = Dedup::new(Some(DurationUs(-5))).expect_err("negative TTL");
        assert!(err.message.contains("positive"), "{err}");
    }
}
