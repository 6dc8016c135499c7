//! Transactions as a partition log sees them (KIP-98): transaction markers, the last stable
//! offset, the aborted-transaction index, and the read_committed client filter.
//!
//! A marker is a control batch (attribute bit 5) of one record whose key is `int16 version 0,
//! int16 type` (0 ABORT, 1 COMMIT) and whose value is `int16 version 0, int32 coordinator epoch`
//! (Kafka's `ControlRecordType`, `EndTransactionMarker`); like any record it takes an offset.
//!
//! The broker keeps the open transactions and the `.txnindex` in its `ProducerStateManager`; here
//! both are derived from the batches below the high watermark ([`PartitionLog::stable_view`]),
//! so a follower that becomes leader, a truncation and a replay agree on them by construction.
//! A transaction whose marker is not yet below the high watermark counts as open, which is
//! `ProducerStateManager.firstUnstableOffset`: an open or not-yet-replicated transaction pins the
//! LSO. The client filter ([`PartitionLog::fetch`]) is `CompletedFetch`'s, batch by batch.

use super::{BatchKind, LogError, NewRecord, Offset, PartitionLog, ProducerStamp, Record};
use sim::clock::Tick;
use std::collections::{BTreeMap, BTreeSet};

/// A marker's type (`ControlRecordType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlType {
    Abort,
    Commit,
}

impl ControlType {
    /// The type field of the control record's key.
    pub fn code(self) -> u8 {
        match self {
            ControlType::Abort => 0,
            ControlType::Commit => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ControlType::Abort => "ABORT",
            ControlType::Commit => "COMMIT",
        }
    }

    /// The control record: key `>hh` (version 0, type), value `>hi` (version 0, coordinator epoch).
    fn record(self, coordinator_epoch: u32) -> NewRecord {
        let mut value = vec![0, 0];
        value.extend_from_slice(&coordinator_epoch.to_be_bytes());
        NewRecord {
            key: Some(vec![0, 0, 0, self.code()]),
            value: Some(value),
            headers: Vec::new(),
            timestamp: None,
        }
    }
}

/// `isolation.level`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// The Java client's default: read to the high watermark, aborted records included.
    #[default]
    ReadUncommitted,
    /// Read to the last stable offset, skipping aborted transactions.
    ReadCommitted,
}

impl IsolationLevel {
    pub fn name(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "read_uncommitted",
            IsolationLevel::ReadCommitted => "read_committed",
        }
    }
}

/// The producer id part of a batch's stamp (the stamp is `epoch << 32 | id`).
pub fn stamp_producer(stamp: u64) -> u64 {
    stamp & u64::from(u32::MAX)
}

/// The producer epoch part of a batch's stamp.
pub fn stamp_epoch(stamp: u64) -> u16 {
    (stamp >> 32) as u16
}

/// One entry of the aborted-transaction index (`AbortedTxn`): a producer's transaction from its
/// first offset on this partition to its ABORT marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer_id: u64,
    pub first_offset: Offset,
    /// The ABORT marker's offset.
    pub last_offset: Offset,
}

/// The partition's transactions as of one high watermark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StableView {
    /// The last stable offset: the first unstable offset if below the HW, else the HW.
    pub lso: Offset,
    /// Aborted transactions whose marker is below the HW, by first offset.
    pub aborted: Vec<AbortedTxn>,
    /// Producers with a transaction open (or whose marker is not below the HW) and its first offset.
    pub open: BTreeMap<u64, Offset>,
}

/// What one fetch returns: the records a consumer sees and its next position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched<'a> {
    pub records: Vec<&'a Record>,
    /// Past every record returned and every marker or aborted record stepped over.
    pub next: Offset,
}

impl PartitionLog {
    /// Appends a transaction marker for the producer stamp `stamp` (its id and current epoch);
    /// returns its offset.
    pub fn append_marker(
        &mut self,
        stamp: u64,
        control: ControlType,
        coordinator_epoch: u32,
        now: Tick,
        leader_epoch: u32,
    ) -> Result<Offset, LogError> {
        let producer = Some(ProducerStamp {
            producer_id: stamp,
            base_sequence: u32::MAX,
        });
        let record = control.record(coordinator_epoch);
        let kind = BatchKind::Control(control);
        self.append_kind(vec![record], now, leader_epoch, producer, None, kind)
            .map(|(offset, _)| offset)
    }

    /// The open transactions, the LSO and the aborted index, from the batches starting below `hw`.
    pub fn stable_view(&self, hw: Offset) -> StableView {
        let mut view = StableView::default();
        if !self.held_transactions {
            // No transaction ever wrote here: nothing is open or aborted, everything is stable.
            view.lso = hw;
            return view;
        }
        for batch in self.segments.iter().flat_map(|s| s.batches.iter()) {
            let (Some(first), Some(stamp)) = (batch.records.first(), batch.producer) else {
                continue;
            };
            if first.offset >= hw {
                break;
            }
            let producer_id = stamp_producer(stamp.producer_id);
            match batch.kind {
                BatchKind::Data => {}
                BatchKind::Transactional => {
                    view.open.entry(producer_id).or_insert(first.offset);
                }
                BatchKind::Control(control) => {
                    let opened = view.open.remove(&producer_id);
                    if let (Some(first_offset), ControlType::Abort) = (opened, control) {
                        view.aborted.push(AbortedTxn {
                            producer_id,
                            first_offset,
                            last_offset: first.offset,
                        });
                    }
                }
            }
        }
        let first_unstable = view.open.values().min().copied();
        view.lso = first_unstable.map_or(hw, |f| f.min(hw));
        sim::sort::sort_by_key(&mut view.aborted, |a| a.first_offset);
        view
    }

    /// The last stable offset (`UnifiedLog.lastStableOffset`) at high watermark `hw`.
    pub fn last_stable_offset(&self, hw: Offset) -> Offset {
        self.stable_view(hw).lso
    }

    /// How far a consumer with `isolation` may read: the HW, or the LSO for read_committed.
    pub fn fetch_upper(&self, hw: Offset, isolation: IsolationLevel) -> Offset {
        match isolation {
            IsolationLevel::ReadUncommitted => hw,
            IsolationLevel::ReadCommitted => self.last_stable_offset(hw),
        }
    }

    /// A consumer's fetch from `from`: at most `max_records` records below the HW
    /// (read_uncommitted) or the LSO (read_committed, without aborted transactions). Markers are
    /// never returned; the position steps over them and over skipped records.
    pub fn fetch(
        &self,
        from: Offset,
        hw: Offset,
        max_records: usize,
        isolation: IsolationLevel,
    ) -> Result<Fetched<'_>, LogError> {
        if from < self.log_start || from > self.leo {
            return Err(LogError::OffsetOutOfRange {
                requested: from,
                log_start: self.log_start,
                leo: self.leo,
            });
        }
        let (upper, aborted) = match isolation {
            IsolationLevel::ReadUncommitted => (hw.min(self.leo), Vec::new()),
            IsolationLevel::ReadCommitted => {
                let view = self.stable_view(hw);
                // `TransactionIndex.collectAbortedTxns`: those reaching into [from, upper).
                let aborted = view
                    .aborted
                    .into_iter()
                    .filter(|a| a.last_offset >= from && a.first_offset < view.lso)
                    .collect();
                (view.lso.min(self.leo), aborted)
            }
        };
        let mut fetched = Fetched {
            records: Vec::new(),
            next: from,
        };
        let mut pending = aborted.into_iter().peekable();
        let mut aborted_producers: BTreeSet<u64> = BTreeSet::new();
        for batch in self.batches_at(from) {
            let (Some(first), Some(last)) = (batch.records.first(), batch.records.last()) else {
                continue;
            };
            if first.offset >= upper || fetched.records.len() >= max_records {
                break;
            }
            let producer_id = batch.producer.map(|s| stamp_producer(s.producer_id));
            while let Some(a) = pending.next_if(|a| a.first_offset <= last.offset) {
                aborted_producers.insert(a.producer_id);
            }
            let step_over = Offset((last.offset.0 + 1).min(upper.0));
            match batch.kind {
                BatchKind::Control(control) => {
                    if let (ControlType::Abort, Some(p)) = (control, producer_id) {
                        aborted_producers.remove(&p);
                    }
                    fetched.next = step_over;
                }
                BatchKind::Transactional
                    if producer_id.is_some_and(|p| aborted_producers.contains(&p)) =>
                {
                    fetched.next = step_over;
                }
                _ => {
                    for r in batch.records.iter().filter(|r| r.offset >= from) {
                        if r.offset >= upper || fetched.records.len() >= max_records {
                            break;
                        }
                        fetched.records.push(r);
                        fetched.next = Offset(r.offset.0 + 1);
                    }
                }
            }
        }
        Ok(fetched)
    }

    /// Offsets a read_committed consumer never sees below `hw`: markers and aborted records.
    pub fn hidden_from_read_committed(&self, hw: Offset) -> BTreeSet<Offset> {
        let view = self.stable_view(hw);
        let mut hidden = BTreeSet::new();
        for batch in self.segments.iter().flat_map(|s| s.batches.iter()) {
            let Some(first) = batch.records.first() else {
                continue;
            };
            let producer_id = batch.producer.map(|s| stamp_producer(s.producer_id));
            // A batch belongs to one transaction, so its first offset decides for all its records.
            let hide = match batch.kind {
                BatchKind::Data => false,
                BatchKind::Control(_) => true,
                BatchKind::Transactional => view.aborted.iter().any(|a| {
                    Some(a.producer_id) == producer_id
                        && a.first_offset <= first.offset
                        && first.offset <= a.last_offset
                }),
            };
            if hide {
                hidden.extend(batch.records.iter().map(|r| r.offset).filter(|o| *o < hw));
            }
        }
        hidden
    }

    /// Offsets of the markers in the log.
    pub fn marker_offsets(&self) -> BTreeMap<Offset, ControlType> {
        sim::sort::collect_map(
            self.segments
                .iter()
                .flat_map(|s| s.batches.iter())
                .filter_map(|b| match b.kind {
                    BatchKind::Control(c) => b.records.first().map(|r| (r.offset, c)),
                    _ => None,
                }),
        )
    }

    /// Every marker as (producer stamp, type, offset), oldest first.
    pub fn markers(&self) -> Vec<(u64, ControlType, Offset)> {
        self.segments
            .iter()
            .flat_map(|s| s.batches.iter())
            .filter_map(|b| match (b.kind, b.producer, b.records.first()) {
                (BatchKind::Control(c), Some(stamp), Some(r)) => {
                    Some((stamp.producer_id, c, r.offset))
                }
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::LogConfig;

    const PID1: u64 = 1001;
    const PID2: u64 = 1002;

    fn txn(log: &mut PartitionLog, pid: u64, values: &[&str]) {
        let records = values.iter().map(|v| NewRecord::unkeyed(v)).collect();
        let stamp = ProducerStamp {
            producer_id: pid,
            base_sequence: 0,
        };
        log.append_kind(
            records,
            Tick(0),
            0,
            Some(stamp),
            None,
            BatchKind::Transactional,
        )
        .unwrap();
    }

    fn plain(log: &mut PartitionLog, value: &str) {
        log.append(vec![NewRecord::unkeyed(value)], Tick(0), 0, None)
            .unwrap();
    }

    fn offsets(log: &PartitionLog, hw: u64, isolation: IsolationLevel) -> (Vec<u64>, u64) {
        let f = log.fetch(Offset(0), Offset(hw), 100, isolation).unwrap();
        (f.records.iter().map(|r| r.offset.0).collect(), f.next.0)
    }

    /// The worked example kafka-python 3.0.12's fetcher gives: 0–1 PID1 txn, 2 plain, 3 PID2
    /// txn, 4 ABORT(PID1), 5 COMMIT(PID2), 6 plain.
    fn example() -> PartitionLog {
        let mut log = PartitionLog::new(LogConfig::default());
        txn(&mut log, PID1, &["a", "b"]);
        plain(&mut log, "c");
        txn(&mut log, PID2, &["d"]);
        log.append_marker(PID1, ControlType::Abort, 0, Tick(0), 0)
            .unwrap();
        log.append_marker(PID2, ControlType::Commit, 0, Tick(0), 0)
            .unwrap();
        plain(&mut log, "e");
        log
    }

    #[test]
    fn read_committed_skips_aborted_records_and_every_marker() {
        let log = example();
        assert_eq!(
            offsets(&log, 7, IsolationLevel::ReadUncommitted),
            (vec![0, 1, 2, 3, 6], 7)
        );
        assert_eq!(
            offsets(&log, 7, IsolationLevel::ReadCommitted),
            (vec![2, 3, 6], 7)
        );
        let view = log.stable_view(Offset(7));
        assert_eq!(view.lso, Offset(7));
        assert_eq!(
            view.aborted,
            vec![AbortedTxn {
                producer_id: PID1,
                first_offset: Offset(0),
                last_offset: Offset(4)
            }]
        );
        assert_eq!(
            log.hidden_from_read_committed(Offset(7)),
            [0, 1, 4, 5].into_iter().map(Offset).collect()
        );
    }

    #[test]
    fn an_open_transaction_or_an_unreplicated_marker_pins_the_lso() {
        let log = example();
        // With the HW at 5, PID2's COMMIT (offset 5) is not below it: its txn is still unstable.
        assert_eq!(log.last_stable_offset(Offset(5)), Offset(3));
        assert_eq!(
            offsets(&log, 5, IsolationLevel::ReadCommitted),
            (vec![2], 3)
        );
        // Below the ABORT marker PID1's txn is open from offset 0: nothing is stable.
        assert_eq!(log.last_stable_offset(Offset(4)), Offset(0));
        let mut log = PartitionLog::new(LogConfig::default());
        txn(&mut log, PID1, &["a"]);
        plain(&mut log, "later, not transactional");
        assert_eq!(log.last_stable_offset(Offset(2)), Offset(0));
        assert_eq!(
            offsets(&log, 2, IsolationLevel::ReadUncommitted),
            (vec![0, 1], 2)
        );
    }

    #[test]
    fn without_transactions_a_fetch_is_a_plain_read() {
        let mut log = PartitionLog::new(LogConfig::default());
        for batch in 0..6u64 {
            let records = (0..=batch % 3).map(|_| NewRecord::unkeyed("v")).collect();
            log.append(records, Tick(batch), 0, None).unwrap();
        }
        let leo = log.leo().0;
        for isolation in [
            IsolationLevel::ReadUncommitted,
            IsolationLevel::ReadCommitted,
        ] {
            for from in 0..=leo {
                for hw in from..=leo {
                    for max in 0..5 {
                        let read = log.read(Offset(from), Offset(hw), max).unwrap();
                        let fetched = log.fetch(Offset(from), Offset(hw), max, isolation).unwrap();
                        assert_eq!(fetched.records, read);
                        let next = read.last().map_or(from, |r| r.offset.0 + 1);
                        assert_eq!(fetched.next, Offset(next));
                    }
                }
            }
        }
    }

    #[test]
    fn a_marker_takes_an_offset_and_positions_step_over_it() {
        let mut log = PartitionLog::new(LogConfig::default());
        txn(&mut log, PID1, &["a"]);
        let marker = log
            .append_marker(PID1, ControlType::Commit, 0, Tick(0), 0)
            .unwrap();
        assert_eq!((marker, log.leo()), (Offset(1), Offset(2)));
        let f = log
            .fetch(Offset(1), Offset(2), 10, IsolationLevel::ReadUncommitted)
            .unwrap();
        assert!(f.records.is_empty());
        assert_eq!(f.next, Offset(2));
        assert_eq!(log.markers(), vec![(PID1, ControlType::Commit, Offset(1))]);
    }
}
