//! A running stream job: source positions, one operator, a sink with a delivery guarantee, and
//! checkpoints, with a task that can crash and restart.
//!
//! A checkpoint copies, atomically, the next offset to read in every source partition and the
//! operator's state (Flink's aligned checkpoint: offsets and state describe the same moment). A
//! crash loses the task's state and aborts the sink's open transaction; a restart restores the
//! last checkpoint and rewinds the positions, so the lab reads the records since then again and
//! the operator rebuilds exactly the state it had. What downstream sees then depends on the
//! [`Guarantee`] (see [`crate::delivery`]): the replayed records' outputs come again under
//! at-least-once, and were never visible under exactly-once. The job counts them either way.
//!
//! Checkpoints are periodic on processing time (Flink's `execution.checkpointing.interval`):
//! the first falls one interval after the job first sees the clock, the next one interval after
//! the previous checkpoint or restart. The job has no clock of its own; every call is handed
//! `now`.

pub use crate::delivery::{Delivered, Guarantee};

use crate::delivery::Sink;
use crate::operator::{Operator, SourceRecord};
use crate::value::{DurationUs, StreamError, TimeUs};
use crate::watermark::PartitionId;

/// Whether the job's task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    /// State lost; nothing is processed until a restart.
    Crashed,
}

impl JobStatus {
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Crashed => "crashed",
        }
    }
}

/// Counters for the UI and the goals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Records processed (replays included).
    pub processed: u64,
    /// Records processed again after a restore.
    pub replayed: u64,
    /// Outputs produced (replays included).
    pub emitted: u64,
    /// Outputs produced by replayed records: duplicates downstream under at-least-once.
    pub re_emitted: u64,
    /// Checkpoints completed.
    pub checkpoints: u64,
    pub restarts: u64,
    /// Outputs of open transactions a crash aborted (exactly-once).
    pub aborted: u64,
    /// Rows the operator holds in state now (0 while crashed: the state is lost).
    pub state_rows: u64,
}

/// A completed checkpoint: its number, when it was taken, the source positions and the
/// operator's state. Number 0 is the job's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint<O> {
    pub id: u64,
    pub taken_at: Option<TimeUs>,
    pub positions: Vec<u64>,
    pub operator: O,
}

/// A stream job over `partitions` source partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Job<O: Operator> {
    operator: O,
    /// Next offset to read, per partition.
    positions: Vec<u64>,
    /// The furthest position ever reached, per partition: a record below it is a replay.
    high_water: Vec<u64>,
    sink: Sink,
    checkpoint_interval: DurationUs,
    last_checkpoint: Checkpoint<O>,
    next_checkpoint_due: Option<TimeUs>,
    status: JobStatus,
    stats: JobStats,
}

fn crashed_error() -> StreamError {
    StreamError::new(
        "the job's task has crashed",
        "restart the job: it resumes from its last checkpoint",
    )
}

impl<O: Operator> Job<O> {
    /// A job reading `partitions` partitions from offset 0, or why the settings are impossible.
    pub fn new(
        operator: O,
        partitions: u32,
        guarantee: Guarantee,
        checkpoint_interval: DurationUs,
    ) -> Result<Job<O>, StreamError> {
        if partitions == 0 {
            return Err(StreamError::new(
                "a job needs at least one source partition",
                "read a topic with one partition or more",
            ));
        }
        if checkpoint_interval.0 <= 0 {
            return Err(StreamError::new(
                format!(
                    "the checkpoint interval must be positive, got {} µs",
                    checkpoint_interval.0
                ),
                "checkpoint every few seconds; Flink's examples use 10 s",
            ));
        }
        let positions = vec![0; partitions as usize];
        Ok(Job {
            last_checkpoint: Checkpoint {
                id: 0,
                taken_at: None,
                positions: positions.clone(),
                operator: operator.clone(),
            },
            operator,
            high_water: positions.clone(),
            positions,
            sink: Sink::new(guarantee),
            checkpoint_interval,
            next_checkpoint_due: None,
            status: JobStatus::Running,
            stats: JobStats::default(),
        })
    }

    /// The next offset the job reads from `partition` (0 for a partition it does not read).
    pub fn next_offset(&self, partition: PartitionId) -> u64 {
        self.positions
            .get(partition.0 as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Processes records read at `now`; each must be the next offset of its partition. Returns
    /// what downstream readers get now. Refuses the whole batch if one record is out of place.
    pub fn process(
        &mut self,
        records: &[SourceRecord],
        now: TimeUs,
    ) -> Result<Vec<Delivered>, StreamError> {
        if self.status == JobStatus::Crashed {
            return Err(crashed_error());
        }
        self.check_in_order(records)?;
        self.start_clock(now);
        let mut delivered = Vec::new();
        for record in records {
            delivered.extend(self.process_one(record, now));
        }
        Ok(delivered)
    }

    /// Moves `partition`'s position past `offset` without processing anything: records a filter
    /// before the operator left out (a SQL `WHERE`) are read all the same, as a Flink source
    /// reads every record before its filter drops some. Never moves a position back.
    pub fn skip_past(&mut self, partition: PartitionId, offset: u64) {
        let index = partition.0 as usize;
        if self.status == JobStatus::Crashed || index >= self.positions.len() {
            return;
        }
        self.positions[index] = self.positions[index].max(offset + 1);
        self.high_water[index] = self.high_water[index].max(self.positions[index]);
    }

    /// Processing time reached `now`: the operator's timers run, and a checkpoint is taken if one
    /// is due (committing the open transaction under exactly-once). Nothing while crashed.
    pub fn on_processing_time(&mut self, now: TimeUs) -> Vec<Delivered> {
        if self.status == JobStatus::Crashed {
            return Vec::new();
        }
        self.start_clock(now);
        let outputs = self.operator.on_processing_time(now);
        self.operator.forget_emitted();
        let mut delivered = self.write(outputs, now);
        if self.next_checkpoint_due.is_some_and(|due| now >= due) {
            delivered.extend(self.take_checkpoint(now));
        }
        delivered
    }

    /// Takes a checkpoint at `now`, due or not; returns the outputs its commit makes visible.
    pub fn checkpoint(&mut self, now: TimeUs) -> Result<Vec<Delivered>, StreamError> {
        if self.status == JobStatus::Crashed {
            return Err(crashed_error());
        }
        Ok(self.take_checkpoint(now))
    }

    /// The input ended (a bounded source) at `now`: the operator emits what it held back for
    /// the watermark. Under exactly-once those outputs wait for the next checkpoint.
    pub fn finish(&mut self, now: TimeUs) -> Result<Vec<Delivered>, StreamError> {
        if self.status == JobStatus::Crashed {
            return Err(crashed_error());
        }
        let outputs = self.operator.finish(now);
        Ok(self.write(outputs, now))
    }

    /// The task crashes: its state is lost and the open transaction aborts. Returns false (and
    /// does nothing) if it had already crashed.
    pub fn crash(&mut self) -> bool {
        if self.status == JobStatus::Crashed {
            return false;
        }
        self.status = JobStatus::Crashed;
        self.stats.aborted += self.sink.abort();
        true
    }

    /// Restarts a crashed task at `now` from the last checkpoint: its state comes back and the
    /// positions rewind, so the records since that checkpoint are read again. Returns false (and
    /// does nothing) if the task was running.
    pub fn restart(&mut self, now: TimeUs) -> bool {
        if self.status == JobStatus::Running {
            return false;
        }
        self.operator = self.last_checkpoint.operator.clone();
        self.positions = self.last_checkpoint.positions.clone();
        self.status = JobStatus::Running;
        self.stats.restarts += 1;
        self.next_checkpoint_due = Some(now.plus(self.checkpoint_interval));
        true
    }

    /// Source partitions the job reads.
    pub fn partitions(&self) -> u32 {
        self.positions.len() as u32
    }

    pub fn status(&self) -> JobStatus {
        self.status
    }

    pub fn guarantee(&self) -> Guarantee {
        self.sink.guarantee()
    }

    pub fn checkpoint_interval(&self) -> DurationUs {
        self.checkpoint_interval
    }

    /// When the next periodic checkpoint is due (None before the job has seen the clock).
    pub fn next_checkpoint_due(&self) -> Option<TimeUs> {
        self.next_checkpoint_due
    }

    pub fn stats(&self) -> JobStats {
        JobStats {
            state_rows: match self.status {
                JobStatus::Running => self.operator.state_rows(),
                JobStatus::Crashed => 0,
            },
            ..self.stats
        }
    }

    /// The source positions the last checkpoint holds (where a restart resumes).
    pub fn last_checkpoint_offsets(&self) -> &[u64] {
        &self.last_checkpoint.positions
    }

    pub fn last_checkpoint(&self) -> &Checkpoint<O> {
        &self.last_checkpoint
    }

    /// The running operator (for its own counters and state in the UI).
    pub fn operator(&self) -> &O {
        &self.operator
    }

    /// Outputs written but not yet committed (exactly-once's open transaction).
    pub fn uncommitted(&self) -> u64 {
        self.sink.uncommitted().len() as u64
    }

    /// Feeds the job's state to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(match self.status {
            JobStatus::Running => 0,
            JobStatus::Crashed => 1,
        });
        hash_offsets(&self.positions, hasher);
        hash_offsets(&self.high_water, hasher);
        self.sink.hash_into(hasher);
        hasher.u64(self.checkpoint_interval.0 as u64);
        hasher.u64(self.next_checkpoint_due.map_or(0, |t| t.0 as u64));
        hasher.u64(u64::from(self.next_checkpoint_due.is_some()));
        hasher.u64(self.last_checkpoint.id);
        hasher.u64(self.last_checkpoint.taken_at.map_or(0, |t| t.0 as u64));
        hash_offsets(&self.last_checkpoint.positions, hasher);
        self.last_checkpoint.operator.hash_into(hasher);
        self.operator.hash_into(hasher);
        let s = self.stats;
        for n in [
            s.processed,
            s.replayed,
            s.emitted,
            s.re_emitted,
            s.checkpoints,
            s.restarts,
            s.aborted,
        ] {
            hasher.u64(n);
        }
    }

    /// Refuses records that are not, partition by partition, the next offsets in order.
    fn check_in_order(&self, records: &[SourceRecord]) -> Result<(), StreamError> {
        let mut expected = self.positions.clone();
        for record in records {
            let partition = record.partition.0;
            let Some(next) = expected.get_mut(partition as usize) else {
                return Err(StreamError::new(
                    format!(
                        "record from partition {partition}, but the job reads partitions 0 to {}",
                        self.positions.len() - 1
                    ),
                    "hand the job records of the partitions it was created with",
                ));
            };
            // A gap is fine (Kafka's offsets skip transaction markers and compacted records);
            // going back is not.
            if record.offset < *next {
                return Err(StreamError::new(
                    format!(
                        "record at offset {} of partition {partition}, but the job reads offset {} next",
                        record.offset, *next
                    ),
                    "hand the job each partition's records from its next offset on, in order",
                ));
            }
            *next = record.offset + 1;
        }
        Ok(())
    }

    fn start_clock(&mut self, now: TimeUs) {
        if self.next_checkpoint_due.is_none() {
            self.next_checkpoint_due = Some(now.plus(self.checkpoint_interval));
        }
    }

    fn process_one(&mut self, record: &SourceRecord, now: TimeUs) -> Vec<Delivered> {
        let index = record.partition.0 as usize;
        let replay = record.offset < self.high_water[index];
        let outputs = self.operator.process(record);
        self.positions[index] = record.offset + 1;
        self.high_water[index] = self.high_water[index].max(self.positions[index]);
        self.stats.processed += 1;
        if replay {
            self.stats.replayed += 1;
            self.stats.re_emitted += outputs.len() as u64;
        }
        self.write(outputs, now)
    }

    fn write(
        &mut self,
        outputs: Vec<crate::operator::OutputRecord>,
        now: TimeUs,
    ) -> Vec<Delivered> {
        self.stats.emitted += outputs.len() as u64;
        self.sink.write(outputs, now, self.last_checkpoint.id + 1)
    }

    fn take_checkpoint(&mut self, now: TimeUs) -> Vec<Delivered> {
        let id = self.last_checkpoint.id + 1;
        self.last_checkpoint = Checkpoint {
            id,
            taken_at: Some(now),
            positions: self.positions.clone(),
            operator: self.operator.clone(),
        };
        self.stats.checkpoints += 1;
        self.next_checkpoint_due = Some(now.plus(self.checkpoint_interval));
        self.sink.commit(now, id)
    }
}

fn hash_offsets(offsets: &[u64], hasher: &mut sim::state_hash::StateHasher) {
    hasher.u64(offsets.len() as u64);
    for &offset in offsets {
        hasher.u64(offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::OutputRecord;
    use crate::value::StreamValue;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A running count per key: each record emits `[partition, offset, count so far]`, so an
    /// output names the record that caused it and shows whether state was restored right.
    #[derive(Clone, Debug, PartialEq, Default)]
    struct RunningCount {
        counts: BTreeMap<Vec<StreamValue>, i64>,
    }

    impl Operator for RunningCount {
        fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
            let count = self.counts.entry(record.key.clone()).or_insert(0);
            *count += 1;
            vec![OutputRecord {
                key: record.key.clone(),
                values: vec![
                    StreamValue::Int(i64::from(record.partition.0)),
                    StreamValue::Int(record.offset as i64),
                    StreamValue::Int(*count),
                ],
                ts: record.ts.unwrap_or(record.arrival),
            }]
        }

        fn on_processing_time(&mut self, _now: TimeUs) -> Vec<OutputRecord> {
            Vec::new()
        }

        fn state_rows(&self) -> u64 {
            self.counts.len() as u64
        }

        fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
            for (key, count) in &self.counts {
                crate::operator::hash_values(key, hasher);
                hasher.u64(*count as u64);
            }
        }
    }

    fn rec(partition: u32, offset: u64, key: i64) -> SourceRecord {
        SourceRecord {
            partition: PartitionId(partition),
            offset,
            arrival: TimeUs(offset as i64),
            ts: Some(TimeUs(offset as i64)),
            key: vec![StreamValue::Int(key)],
            values: vec![],
        }
    }

    fn job(guarantee: Guarantee) -> Job<RunningCount> {
        Job::new(RunningCount::default(), 1, guarantee, DurationUs(10)).expect("valid job")
    }

    /// (offset, count) of each delivered output of partition 0.
    fn seen(delivered: &[Delivered]) -> Vec<(i64, i64)> {
        delivered
            .iter()
            .map(|d| match (&d.record.values[1], &d.record.values[2]) {
                (StreamValue::Int(offset), StreamValue::Int(count)) => (*offset, *count),
                other => panic!("unexpected output {other:?}"),
            })
            .collect()
    }

    /// Feeds partition 0's records `from..to` (key 7) one at a time at time = offset.
    fn feed(job: &mut Job<RunningCount>, from: u64, to: u64) -> Vec<Delivered> {
        let mut out = Vec::new();
        for offset in from..to {
            let now = TimeUs(offset as i64);
            out.extend(job.process(&[rec(0, offset, 7)], now).expect("in order"));
            out.extend(job.on_processing_time(now));
        }
        out
    }

    #[test]
    fn records_never_go_back_but_may_skip_offsets() {
        let mut j = job(Guarantee::AtLeastOnce);
        let err = j
            .process(&[rec(0, 0, 7), rec(0, 0, 7)], TimeUs(0))
            .expect_err("repeat");
        assert!(err.message.contains("offset 1 next"), "{err}");
        assert!(err.hint.contains("in order"), "{err}");
        let err = j
            .process(&[rec(3, 0, 7)], TimeUs(0))
            .expect_err("unknown partition");
        assert!(err.message.contains("partition 3"), "{err}");
        assert_eq!(
            j.next_offset(PartitionId(0)),
            0,
            "a refused batch changes nothing"
        );
        assert_eq!(j.stats().processed, 0);
        // A gap (a transaction marker, a compacted record) is skipped; a filtered record too.
        j.process(&[rec(0, 2, 7)], TimeUs(0))
            .expect("a gap is fine");
        assert_eq!(j.next_offset(PartitionId(0)), 3);
        j.skip_past(PartitionId(0), 5);
        assert_eq!(j.next_offset(PartitionId(0)), 6);
        j.skip_past(PartitionId(0), 1);
        assert_eq!(j.next_offset(PartitionId(0)), 6, "never back");
        assert!(j.process(&[rec(0, 4, 7)], TimeUs(0)).is_err());
    }

    #[test]
    fn checkpoints_are_periodic_on_processing_time() {
        let mut j = job(Guarantee::AtLeastOnce);
        feed(&mut j, 0, 10);
        assert_eq!(j.stats().checkpoints, 0, "first due at 0 + 10");
        feed(&mut j, 10, 11);
        assert_eq!(j.stats().checkpoints, 1);
        assert_eq!(j.last_checkpoint_offsets(), &[11]);
        assert_eq!(j.next_checkpoint_due(), Some(TimeUs(20)));
    }

    #[test]
    fn at_least_once_repeats_the_outputs_since_the_checkpoint() {
        let mut j = job(Guarantee::AtLeastOnce);
        let mut out = feed(&mut j, 0, 15);
        assert_eq!(j.last_checkpoint_offsets(), &[11]);
        assert!(j.crash());
        assert_eq!(j.stats().state_rows, 0);
        assert!(j.process(&[rec(0, 15, 7)], TimeUs(15)).is_err(), "crashed");
        assert!(j.restart(TimeUs(15)));
        assert_eq!(j.next_offset(PartitionId(0)), 11);
        out.extend(feed(&mut j, 11, 16));
        let offsets: Vec<i64> = seen(&out).iter().map(|(o, _)| *o).collect();
        let expected: Vec<i64> = (0..15).chain(11..16).collect();
        assert_eq!(offsets, expected, "11..15 delivered twice");
        assert!(
            seen(&out).iter().all(|(o, c)| *c == o + 1),
            "state restored exactly"
        );
        let s = j.stats();
        assert_eq!(
            (s.replayed, s.re_emitted, s.restarts, s.aborted),
            (4, 4, 1, 0)
        );
    }

    #[test]
    fn exactly_once_shows_each_output_once_one_checkpoint_late() {
        let mut j = job(Guarantee::ExactlyOnce);
        let mut out = feed(&mut j, 0, 15);
        assert_eq!(seen(&out).len(), 11, "0..11 committed at 10");
        assert!(out
            .iter()
            .all(|d| d.visible_at == TimeUs(10) && d.checkpoint == 1));
        assert!(j.crash());
        assert_eq!(j.stats().aborted, 4, "11..15 were in the open transaction");
        assert!(j.restart(TimeUs(15)));
        out.extend(feed(&mut j, 11, 26));
        let offsets: Vec<i64> = seen(&out).iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, (0..26).collect::<Vec<i64>>(), "no duplicates");
        let late = out
            .iter()
            .find(|d| seen(std::slice::from_ref(d))[0].0 == 11);
        assert_eq!(
            late.map(|d| d.visible_at),
            Some(TimeUs(25)),
            "restart at 15 + 10"
        );
        assert_eq!(
            j.stats().re_emitted,
            4,
            "produced again, but never seen twice"
        );
    }

    #[test]
    fn a_checkpoint_exactly_at_the_crash_loses_nothing() {
        for guarantee in [Guarantee::AtLeastOnce, Guarantee::ExactlyOnce] {
            let mut j = job(guarantee);
            let mut out = feed(&mut j, 0, 5);
            out.extend(j.checkpoint(TimeUs(5)).expect("running"));
            assert!(j.crash());
            assert!(j.restart(TimeUs(5)));
            assert_eq!(j.next_offset(PartitionId(0)), 5);
            out.extend(feed(&mut j, 5, 8));
            out.extend(j.checkpoint(TimeUs(8)).expect("running"));
            let offsets: Vec<i64> = seen(&out).iter().map(|(o, _)| *o).collect();
            assert_eq!(offsets, (0..8).collect::<Vec<i64>>(), "{guarantee:?}");
            let s = j.stats();
            assert_eq!((s.replayed, s.aborted), (0, 0), "{guarantee:?}");
        }
    }

    #[test]
    fn a_job_restarts_twice_from_the_same_checkpoint() {
        let mut j = job(Guarantee::AtLeastOnce);
        let mut out = feed(&mut j, 0, 13);
        for _ in 0..2 {
            assert!(j.crash());
            assert!(j.restart(TimeUs(13)));
            assert_eq!(j.next_offset(PartitionId(0)), 11);
            out.extend(feed(&mut j, 11, 13));
        }
        assert!(seen(&out).iter().all(|(o, c)| *c == o + 1));
        let s = j.stats();
        assert_eq!((s.restarts, s.replayed, s.re_emitted), (2, 4, 4));
        assert_eq!(
            j.operator().counts.get(&vec![StreamValue::Int(7)]),
            Some(&13)
        );
    }

    #[test]
    fn crash_and_restart_do_nothing_in_the_wrong_status() {
        let mut j = job(Guarantee::AtLeastOnce);
        assert!(!j.restart(TimeUs(0)), "a running job does not restart");
        assert_eq!(j.stats().restarts, 0);
        assert!(j.crash());
        assert_eq!(j.status(), JobStatus::Crashed);
        assert!(!j.crash(), "a crashed job does not crash again");
        assert!(j.checkpoint(TimeUs(0)).is_err());
        assert!(j.on_processing_time(TimeUs(100)).is_empty());
        assert_eq!(j.stats().checkpoints, 0);
    }

    #[test]
    fn bad_settings_are_refused_with_a_hint() {
        let err = Job::new(
            RunningCount::default(),
            0,
            Guarantee::AtLeastOnce,
            DurationUs(1),
        )
        .expect_err("no partition");
        assert!(!err.hint.is_empty());
        let err = Job::new(
            RunningCount::default(),
            1,
            Guarantee::AtLeastOnce,
            DurationUs(0),
        )
        .expect_err("zero interval");
        assert!(err.message.contains("positive"), "{err}");
    }

    #[test]
    fn the_hash_sees_positions_state_and_the_open_transaction() {
        let hash = |j: &Job<RunningCount>| {
            let mut h = sim::state_hash::StateHasher::new();
            j.hash_into(&mut h);
            h.finish()
        };
        let mut a = job(Guarantee::ExactlyOnce);
        let b = a.clone();
        assert_eq!(hash(&a), hash(&b));
        feed(&mut a, 0, 1);
        assert_ne!(hash(&a), hash(&b));
    }

    /// One run of the lab's loop: at step `s` it hands the job the next record of partition
    /// `order[s % len]` (or of the other partition when that one is read to the end), then ticks
    /// the clock; after the steps in `crashes` the task crashes and restarts at once. A final
    /// checkpoint after the end of input commits what is left. Returns the delivered outputs, the job and the
    /// (partition, offset) of every record a restart made it read again.
    fn run<O: Operator>(
        operator: O,
        logs: &[Vec<SourceRecord>; 2],
        order: &[u32],
        crashes: &[usize],
        guarantee: Guarantee,
        interval: i64,
    ) -> (Vec<Delivered>, Job<O>, Vec<(u32, u64)>) {
        let mut job = Job::new(operator, 2, guarantee, DurationUs(interval)).expect("valid job");
        let mut delivered = Vec::new();
        let mut replayed = Vec::new();
        let mut step = 0usize;
        loop {
            let unread: Vec<u32> = (0..2u32)
                .filter(|&p| job.next_offset(PartitionId(p)) < logs[p as usize].len() as u64)
                .collect();
            let Some(&fallback) = unread.first() else {
                break;
            };
            let wanted = order[step % order.len()];
            let p = if unread.contains(&wanted) {
                wanted
            } else {
                fallback
            };
            let record = &logs[p as usize][job.next_offset(PartitionId(p)) as usize];
            let now = TimeUs(step as i64);
            delivered.extend(
                job.process(std::slice::from_ref(record), now)
                    .expect("in order"),
            );
            delivered.extend(job.on_processing_time(now));
            if crashes.contains(&step) {
                for p in 0..2u32 {
                    let from = job.last_checkpoint_offsets()[p as usize];
                    replayed.extend((from..job.next_offset(PartitionId(p))).map(|o| (p, o)));
                }
                assert!(job.crash());
                assert!(job.restart(now));
            }
            step += 1;
        }
        let end = TimeUs(step as i64);
        delivered.extend(job.finish(end).expect("running"));
        delivered.extend(job.checkpoint(end).expect("running"));
        (delivered, job, replayed)
    }

    /// A tumbling 10 µs count and sum with a 5 µs delay and 10 µs of allowed lateness, emitting
    /// on close and on every accepted late row.
    fn windowed() -> crate::aggregate::WindowedAggregate {
        use crate::aggregate::{AggFn, AggSpec, EmitMode, WindowedAggConfig, WindowedAggregate};
        use crate::window::WindowSpec;
        WindowedAggregate::new(WindowedAggConfig {
            window: WindowSpec::Tumble {
                size: DurationUs(10),
                offset: DurationUs(0),
            },
            delay: DurationUs(5),
            allowed_lateness: DurationUs(10),
            idle_timeout: None,
            partitions: 1,
            aggs: vec![
                AggSpec {
                    func: AggFn::CountStar,
                    input: None,
                },
                AggSpec {
                    func: AggFn::Sum,
                    input: Some(0),
                },
            ],
            mode: EmitMode::OnClose,
        })
        .expect("valid aggregate")
    }

    /// Outputs as a multiset.
    fn multiset(delivered: &[Delivered]) -> BTreeMap<(Vec<StreamValue>, Vec<StreamValue>), u64> {
        let mut counts = BTreeMap::new();
        for d in delivered {
            *counts
                .entry((d.record.key.clone(), d.record.values.clone()))
                .or_insert(0) += 1;
        }
        counts
    }

    /// Each partition's log from the keys of its records (a key lives in one partition, as
    /// Kafka's partitioner puts it, so a key's count depends on its partition's order only).
    fn logs_of(keys: &[i64]) -> [Vec<SourceRecord>; 2] {
        let mut logs: [Vec<SourceRecord>; 2] = [Vec::new(), Vec::new()];
        for &key in keys {
            let p = (key % 2) as usize;
            let offset = logs[p].len() as u64;
            logs[p].push(rec(p as u32, offset, key));
        }
        logs
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn exactly_once_delivers_the_no_crash_multiset_and_at_least_once_a_superset(
            keys in prop::collection::vec(0i64..6, 1..40),
            order in prop::collection::vec(0u32..2, 1..8),
            crashes in prop::collection::vec(0usize..60, 0..4),
            interval in 1i64..8,
        ) {
            let logs = logs_of(&keys);
            for guarantee in [Guarantee::ExactlyOnce, Guarantee::AtLeastOnce] {
                let counter = RunningCount::default();
                let (clean, _, _) = run(counter.clone(), &logs, &order, &[], guarantee, interval);
                let (crashed, job, replayed) =
                    run(counter, &logs, &order, &crashes, guarantee, interval);
                let mut expected = multiset(&clean);
                if guarantee == Guarantee::AtLeastOnce {
                    // The clean run's outputs, plus one more copy of each output of a record in a
                    // replayed range (from the checkpoint to the crash), and nothing else.
                    for d in &clean {
                        let origin = match (&d.record.values[0], &d.record.values[1]) {
                            (StreamValue::Int(p), StreamValue::Int(o)) => (*p as u32, *o as u64),
                            other => panic!("unexpected output {other:?}"),
                        };
                        let copies = replayed.iter().filter(|&&r| r == origin).count() as u64;
                        *expected
                            .entry((d.record.key.clone(), d.record.values.clone()))
                            .or_insert(0) += copies;
                    }
                }
                prop_assert_eq!(job.stats().re_emitted, replayed.len() as u64);
                prop_assert_eq!(multiset(&crashed), expected, "{:?}", guarantee);
            }
        }

        /// The same over a windowed aggregation (one partition, so a replay sees the same order):
        /// the checkpoint restores the watermark and which windows fired, so exactly-once shows
        /// every window row once and at-least-once only repeats some.
        #[test]
        fn a_windowed_aggregate_recovers_its_watermark_and_fired_windows(
            stamps in prop::collection::vec((0i64..3, 0i64..60), 1..30),
            crashes in prop::collection::vec(0usize..40, 0..4),
            interval in 1i64..8,
        ) {
            let mut logs: [Vec<SourceRecord>; 2] = [Vec::new(), Vec::new()];
            for (offset, &(key, ts)) in stamps.iter().enumerate() {
                let mut record = rec(0, offset as u64, key);
                record.ts = Some(TimeUs(ts));
                record.values = vec![StreamValue::Int(ts)];
                logs[0].push(record);
            }
            for guarantee in [Guarantee::ExactlyOnce, Guarantee::AtLeastOnce] {
                let (clean, _, _) = run(windowed(), &logs, &[0], &[], guarantee, interval);
                let (crashed, job, _) = run(windowed(), &logs, &[0], &crashes, guarantee, interval);
                let (clean, crashed) = (multiset(&clean), multiset(&crashed));
                match guarantee {
                    Guarantee::ExactlyOnce => prop_assert_eq!(crashed, clean),
                    Guarantee::AtLeastOnce => {
                        let mut extra = 0;
                        for (output, &n) in &crashed {
                            let once = clean.get(output).copied().unwrap_or(0);
                            prop_assert!(n >= once && once >= 1, "{:?}", output);
                            extra += n - once;
                        }
                        prop_assert_eq!(clean.len(), crashed.len());
                        prop_assert_eq!(extra, job.stats().re_emitted);
                    }
                }
            }
        }
    }
}
