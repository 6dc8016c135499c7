//! What every stream operator a job can run offers: records in, output records out, on the lab's
//! processing-time clock, with state that a checkpoint copies.

use crate::value::{Key, StreamValue, TimeUs};
use crate::watermark::PartitionId;

/// A record read from a source partition: its offset, arrival time (processing time), event time
/// (None = NULL), key and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRecord {
    pub partition: PartitionId,
    pub offset: u64,
    pub arrival: TimeUs,
    pub ts: Option<TimeUs>,
    pub key: Key,
    pub values: Vec<StreamValue>,
}

/// A record an operator sends downstream (to a sink topic, the online store, the next stage):
/// its key, fields and event time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRecord {
    pub key: Key,
    pub values: Vec<StreamValue>,
    pub ts: TimeUs,
}

impl OutputRecord {
    /// Feeds the record to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hash_values(&self.key, hasher);
        hash_values(&self.values, hasher);
        hasher.u64(self.ts.0 as u64);
    }
}

/// Feeds a key or a row's fields to a state hash, length first.
pub fn hash_values(values: &[StreamValue], hasher: &mut sim::state_hash::StateHasher) {
    hasher.u64(values.len() as u64);
    for value in values {
        value.hash_into(hasher);
    }
}

/// A stream operator. `Clone` is its checkpoint: a job restores a crashed task from a clone.
pub trait Operator: Clone {
    /// Takes one record; returns what it emits because of it.
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord>;
    /// Processing time moved to `now` (idleness, state TTL, timers); returns what that emits.
    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord>;
    /// The input ended (a bounded source) at processing time `now`: the watermark goes to the end
    /// of time and everything held back for it is emitted. Operators that hold nothing back for
    /// the watermark keep this default, which emits nothing.
    fn finish(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        let _ = now;
        Vec::new()
    }
    /// Drops what the operator keeps only for a final summary of a bounded run (a window
    /// aggregate's purged results): a job that runs unbounded has written them to its sink
    /// already. The default keeps nothing extra, so does nothing.
    fn forget_emitted(&mut self) {}
    /// Rows (or entries) held in state, for the UI's state size.
    fn state_rows(&self) -> u64;
    /// Feeds the state to a state hash.
    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher);
}
