//! What a job's sink delivers downstream, and when readers see it.
//!
//! - [`Guarantee::AtLeastOnce`]: every output is written at once. A crashed task restarts from
//!   its last checkpoint and processes the records since then again, so their outputs are written
//!   a second time: downstream sees duplicates (Flink's `AT_LEAST_ONCE` sink, Kafka Streams'
//!   default `processing.guarantee=at_least_once`).
//! - [`Guarantee::ExactlyOnce`]: outputs go into an open transaction that commits with the next
//!   checkpoint, a two-phase commit as Flink's `KafkaSink` with `EXACTLY_ONCE` runs it on Kafka's
//!   transactions (KIP-98; KIP-447 for Kafka Streams' `exactly_once_v2`). A `read_committed`
//!   reader sees each output once, but only when the checkpoint after it completes: results are
//!   one checkpoint interval late. A crash aborts the open transaction, and the replay writes its
//!   outputs again into a new one.
//!
//! The lab takes a checkpoint atomically (Flink completes a checkpoint, then commits; a crash in
//! between is recovered by committing on restore, which ends the same way), so a commit happens
//! at the checkpoint's instant.

use crate::operator::OutputRecord;
use crate::value::TimeUs;

/// A job's delivery guarantee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Guarantee {
    AtLeastOnce,
    ExactlyOnce,
}

impl Guarantee {
    /// The name used by the CLI and the UI (Kafka Streams' `processing.guarantee` values).
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::AtLeastOnce => "at-least-once",
            Guarantee::ExactlyOnce => "exactly-once",
        }
    }

    /// Parses `at-least-once` or `exactly-once` (underscores accepted).
    pub fn parse(name: &str) -> Option<Guarantee> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "at-least-once" => Some(Guarantee::AtLeastOnce),
            "exactly-once" => Some(Guarantee::ExactlyOnce),
            _ => None,
        }
    }
}

/// An output as a downstream reader (`read_committed` under exactly-once) gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub record: OutputRecord,
    /// When readers can see it: at once under at-least-once, at the commit under exactly-once.
    pub visible_at: TimeUs,
    /// The checkpoint that covers it: the first one completed after it was produced (the one that
    /// commits its transaction under exactly-once).
    pub checkpoint: u64,
}

/// The sink side of a job: writes outputs now, or holds them in the open transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sink {
    guarantee: Guarantee,
    /// Outputs of the open transaction (exactly-once only), in production order.
    open_transaction: Vec<OutputRecord>,
}

impl Sink {
    pub fn new(guarantee: Guarantee) -> Sink {
        Sink {
            guarantee,
            open_transaction: Vec::new(),
        }
    }

    pub fn guarantee(&self) -> Guarantee {
        self.guarantee
    }

    /// Outputs produced at `now`, before checkpoint `next_checkpoint` completes: what readers
    /// get at once (everything under at-least-once, nothing under exactly-once).
    pub fn write(
        &mut self,
        records: Vec<OutputRecord>,
        now: TimeUs,
        next_checkpoint: u64,
    ) -> Vec<Delivered> {
        match self.guarantee {
            Guarantee::AtLeastOnce => records
                .into_iter()
                .map(|record| Delivered {
                    record,
                    visible_at: now,
                    checkpoint: next_checkpoint,
                })
                .collect(),
            Guarantee::ExactlyOnce => {
                self.open_transaction.extend(records);
                Vec::new()
            }
        }
    }

    /// Checkpoint `checkpoint` completed at `now`: the open transaction commits and its outputs
    /// become visible.
    pub fn commit(&mut self, now: TimeUs, checkpoint: u64) -> Vec<Delivered> {
        std::mem::take(&mut self.open_transaction)
            .into_iter()
            .map(|record| Delivered {
                record,
                visible_at: now,
                checkpoint,
            })
            .collect()
    }

    /// The task crashed: the open transaction aborts. Returns how many outputs it held.
    pub fn abort(&mut self) -> u64 {
        let aborted = self.open_transaction.len() as u64;
        self.open_transaction.clear();
        aborted
    }

    /// Outputs written but not yet visible (the open transaction).
    pub fn uncommitted(&self) -> &[OutputRecord] {
        &self.open_transaction
    }

    /// Feeds the sink's state to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(match self.guarantee {
            Guarantee::AtLeastOnce => 0,
            Guarantee::ExactlyOnce => 1,
        });
        hasher.u64(self.open_transaction.len() as u64);
        for record in &self.open_transaction {
            record.hash_into(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::StreamValue;

    fn out(i: i64) -> OutputRecord {
        OutputRecord {
            key: vec![],
            values: vec![StreamValue::Int(i)],
            ts: TimeUs(i),
        }
    }

    #[test]
    fn at_least_once_writes_at_once() {
        let mut sink = Sink::new(Guarantee::AtLeastOnce);
        let delivered = sink.write(vec![out(1), out(2)], TimeUs(5), 3);
        assert_eq!(delivered.len(), 2);
        assert_eq!(
            (delivered[0].visible_at, delivered[0].checkpoint),
            (TimeUs(5), 3)
        );
        assert!(sink.commit(TimeUs(9), 3).is_empty());
        assert_eq!(sink.abort(), 0);
    }

    #[test]
    fn exactly_once_holds_outputs_until_the_commit() {
        let mut sink = Sink::new(Guarantee::ExactlyOnce);
        assert!(sink.write(vec![out(1)], TimeUs(5), 1).is_empty());
        assert!(sink.write(vec![out(2)], TimeUs(6), 1).is_empty());
        assert_eq!(sink.uncommitted().len(), 2);
        let committed = sink.commit(TimeUs(10), 1);
        let seen: Vec<(OutputRecord, TimeUs, u64)> = committed
            .into_iter()
            .map(|d| (d.record, d.visible_at, d.checkpoint))
            .collect();
        assert_eq!(seen, vec![(out(1), TimeUs(10), 1), (out(2), TimeUs(10), 1)]);
        assert!(sink.uncommitted().is_empty());
    }

    #[test]
    fn a_crash_aborts_the_open_transaction() {
        let mut sink = Sink::new(Guarantee::ExactlyOnce);
        sink.write(vec![out(1), out(2)], TimeUs(5), 1);
        assert_eq!(sink.abort(), 2);
        assert!(sink.commit(TimeUs(10), 1).is_empty());
    }

    #[test]
    fn guarantee_names_round_trip() {
        for g in [Guarantee::AtLeastOnce, Guarantee::ExactlyOnce] {
            assert_eq!(Guarantee::parse(g.name()), Some(g));
        }
        assert_eq!(
            Guarantee::parse("EXACTLY_ONCE"),
            Some(Guarantee::ExactlyOnce)
        );
        assert_eq!(Guarantee::parse("twice"), None);
    }
}
