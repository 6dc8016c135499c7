//! The acknowledged-writes ledger: every record a producer was told is safely written, and
//! whether the partition's current leader still has it, at the same offset and from the same
//! leader epoch. A record the leader lacks is a lost acknowledged write; the ledger keeps it with
//! the moment and the cause (the election, or the deposed leader that acknowledged it). Losses
//! are re-judged at every leader change: a leader elected from a dead replica that never wrote
//! anything can be replaced by one that still has the record, which is then no longer lost.
//!
//! Presence is decided by (offset, leader epoch): within one epoch only one leader writes, so
//! two replicas that hold the same offset in the same epoch hold the same record (the
//! log-matching argument of the replication TLA+ specs).

use super::group::TopicPartition;
use super::log::{Offset, PartitionLog};
use super::producer::Acks;
use super::topic::Partition;
use sim::clock::Tick;
use std::collections::BTreeMap;

/// An acknowledged record the current leader does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    /// Index into the cluster's sends.
    pub send: u64,
    pub tp: TopicPartition,
    pub offset: Offset,
    /// The leader epoch it was written in.
    pub epoch: u32,
    pub acks: Acks,
    /// When the loss was found.
    pub at: Tick,
    pub cause: String,
}

/// What the ledger knows of one acknowledged record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub send: u64,
    pub offset: Offset,
    pub epoch: u32,
    pub acks: Acks,
    pub lost: bool,
}

/// Every acknowledged record, by partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    entries: BTreeMap<TopicPartition, Vec<Entry>>,
    pub(crate) lost: Vec<LostWrite>,
    pub(crate) acked: u64,
    /// Records acknowledged while the controller quorum had no active controller: the data path
    /// (produce, replicate, acknowledge) runs without the controller.
    pub(crate) acked_without_controller: u64,
}

/// Whether `partition`'s elected leader holds the record (records below its log start were
/// deleted by retention or compaction, which is not a loss). `None` while offline.
pub fn leader_has(partition: &Partition, offset: Offset, epoch: u32) -> Option<bool> {
    log_has(partition.elected_leader_log(), offset, epoch)
}

/// [`leader_has`] for the elected leader's log, looked up once for a whole batch.
fn log_has(log: Option<&PartitionLog>, offset: Offset, epoch: u32) -> Option<bool> {
    let log = log?;
    if offset < log.log_start() {
        return Some(true);
    }
    Some(offset < log.leo() && log.epoch_at(offset) == Some(epoch))
}

impl Ledger {
    pub fn lost(&self) -> &[LostWrite] {
        &self.lost
    }

    /// Records acknowledged while no controller was active.
    pub fn acked_without_controller(&self) -> u64 {
        self.acked_without_controller
    }

    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Notes acknowledged records of `tp` (one batch), and checks them at once: a deposed leader
    /// that still believes it leads can acknowledge records the real leader will never have.
    pub fn acknowledged(
        &mut self,
        tp: &TopicPartition,
        batch: impl IntoIterator<Item = Entry>,
        partition: &Partition,
        now: Tick,
    ) {
        let mut lost = Vec::new();
        let entries = match self.entries.get_mut(tp) {
            Some(entries) => entries,
            None => self.entries.entry(tp.clone()).or_default(),
        };
        let leader_log = partition.elected_leader_log();
        for mut entry in batch {
            if log_has(leader_log, entry.offset, entry.epoch) == Some(false) {
                entry.lost = true;
                lost.push(entry);
            }
            entries.push(entry);
            self.acked += 1;
        }
        for entry in lost {
            let cause = format!(
                "acknowledged by a deposed leader in epoch {}; the partition is in epoch {}",
                entry.epoch, partition.leader_epoch
            );
            self.lose(tp, &entry, now, cause);
        }
    }

    fn lose(&mut self, tp: &TopicPartition, entry: &Entry, now: Tick, cause: String) {
        self.lost.push(LostWrite {
            send: entry.send,
            tp: tp.clone(),
            offset: entry.offset,
            epoch: entry.epoch,
            acks: entry.acks,
            at: now,
            cause,
        });
    }

    /// Re-checks every record of `tp` against its leader (after a leader change). Returns how
    /// many were newly found lost.
    pub fn check(&mut self, tp: &TopicPartition, partition: &Partition, now: Tick) -> usize {
        let Some(entries) = self.entries.get_mut(tp) else {
            return 0;
        };
        let mut newly = Vec::new();
        let mut recovered = Vec::new();
        let leader_log = partition.elected_leader_log();
        for entry in entries.iter_mut() {
            match (log_has(leader_log, entry.offset, entry.epoch), entry.lost) {
                (Some(false), false) => {
                    entry.lost = true;
                    newly.push(*entry);
                }
                (Some(true), true) => {
                    entry.lost = false;
                    recovered.push(entry.send);
                }
                _ => {}
            }
        }
        if !recovered.is_empty() {
            self.lost.retain(|l| !recovered.contains(&l.send));
        }
        let cause = match partition.leader {
            Some(b) => format!(
                "{b} became leader in epoch {} ({} election) without it",
                partition.leader_epoch,
                partition.last_election.name()
            ),
            None => "the partition went offline".to_string(),
        };
        for entry in &newly {
            self.lose(tp, entry, now, cause.clone());
        }
        newly.len()
    }

    /// Acknowledged records of `tp`, oldest first.
    pub fn entries(&self, tp: &TopicPartition) -> &[Entry] {
        self.entries.get(tp).map_or(&[], Vec::as_slice)
    }

    /// Lost records that were acknowledged with acks=all.
    pub fn lost_acks_all(&self) -> usize {
        self.lost.iter().filter(|l| l.acks == Acks::All).count()
    }
}
