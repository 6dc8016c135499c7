//! A partition's log on one replica: record batches in segments, offsets, the log start offset,
//! and the two ways old data goes away: retention (Kafka's UnifiedLog retention) deletes
//! whole segments, oldest first; compaction (Kafka's LogCleaner, KIP-534) keeps the latest record of every key.
//!
//! Time is in ticks; one tick stands for [`MS_PER_TICK`] ms, so `retention.ms` is
//! `retention_ticks * MS_PER_TICK`. Sizes are Kafka's on-disk sizes: a record batch
//! costs a 61-byte header plus its records (each a few bytes of framing plus key, value and
//! headers); a compressed batch costs what its codec produced.
//!
//! ```
//! use broker::log::{LogConfig, NewRecord, PartitionLog};
//! use sim::clock::Tick;
//! let mut log = PartitionLog::new(LogConfig::default());
//! let (first, last) = log.append(vec![NewRecord::keyed("k", "v1"), NewRecord::keyed("k", "v2")], Tick(0), 0, None).unwrap();
//! assert_eq!((first.0, last.0, log.leo().0), (0, 1, 2));
//! ```

use sim::clock::Tick;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

mod txn;
pub use txn::{
    stamp_epoch, stamp_producer, AbortedTxn, ControlType, Fetched, IsolationLevel, StableView,
};

/// What a batch carries (attribute bits 4 and 5 of the v2 batch header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BatchKind {
    /// Records outside any transaction.
    #[default]
    Data,
    /// A transaction's records (bit 4, `isTransactional`).
    Transactional,
    /// A transaction marker: a control batch (bit 5) of one record.
    Control(ControlType),
}

/// Bytes of a record batch's header (Kafka's v2 format).
pub const BATCH_HEADER_BYTES: u64 = 61;
/// Framing bytes of one record besides its key, value and headers (length, attributes, deltas):
/// a flat approximation of the varints. The producer's batching counts the exact v2 size
/// (`compression::record_len`), as Kafka's Java client does.
pub const RECORD_FRAMING_BYTES: u64 = 8;
/// Most records one partition log may hold (a lab limit, so a tab never runs out of memory).
pub const PARTITION_RECORDS_MAX: usize = 200_000;
/// Longest key or value, in bytes.
pub const RECORD_FIELD_BYTES_MAX: usize = 64 * 1024;
/// Milliseconds of lab time per tick (the lab's convention: one tick is about 100 ms).
pub const MS_PER_TICK: u64 = 100;
/// Default `retention.ms`, in ticks: 10 minutes of lab time, about a minute of play at 100
/// ticks/s. Kafka's own default, 7 days, is 6,048,000 ticks: no lab run would ever see it.
pub const RETENTION_TICKS_DEFAULT: u64 = 6_000;
/// Default `segment.ms`, in ticks: half the retention, so that even a quiet partition's segment
/// rolls and can expire within a run (Kafka's default is 7 days, like its retention).
pub const SEGMENT_TICKS_DEFAULT: u64 = RETENTION_TICKS_DEFAULT / 2;
/// Default `delete.retention.ms`, in ticks: one minute of lab time (Kafka's is 1 day).
pub const DELETE_RETENTION_TICKS_DEFAULT: u64 = 600;

/// `ticks` of lab time in milliseconds (saturating).
pub fn ticks_to_ms(ticks: u64) -> u64 {
    ticks.saturating_mul(MS_PER_TICK)
}

/// A record's position in its partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offset(pub u64);

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The idempotent producer's stamp on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerStamp {
    pub producer_id: u64,
    pub base_sequence: u32,
}

/// A record as a producer sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    pub key: Option<Vec<u8>>,
    /// `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// CreateTime; `None` takes the append time.
    pub timestamp: Option<Tick>,
}

impl NewRecord {
    pub fn keyed(key: &str, value: &str) -> NewRecord {
        NewRecord {
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: Vec::new(),
            timestamp: None,
        }
    }

    pub fn tombstone(key: &str) -> NewRecord {
        NewRecord {
            key: Some(key.as_bytes().to_vec()),
            value: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    pub fn unkeyed(value: &str) -> NewRecord {
        NewRecord {
            key: None,
            value: Some(value.as_bytes().to_vec()),
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Uncompressed bytes of this record inside a batch.
    pub fn size_bytes(&self) -> u64 {
        let field = |f: &Option<Vec<u8>>| f.as_ref().map_or(0, |b| b.len() as u64);
        let headers: u64 = self
            .headers
            .iter()
            .map(|(k, v)| 2 + k.len() as u64 + v.len() as u64)
            .sum();
        RECORD_FRAMING_BYTES + field(&self.key) + field(&self.value) + headers
    }
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub offset: Offset,
    pub timestamp: Tick,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Record {
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }

    /// The record as its producer sends it again: same key, value, headers and timestamp.
    pub fn to_resend(&self) -> NewRecord {
        NewRecord {
            key: self.key.clone(),
            value: self.value.clone(),
            headers: self.headers.clone(),
            timestamp: Some(self.timestamp),
        }
    }

    fn size_bytes(&self) -> u64 {
        NewRecord {
            key: self.key.clone(),
            value: self.value.clone(),
            headers: self.headers.clone(),
            timestamp: None,
        }
        .size_bytes()
    }
}

/// Records appended together, as the producer batched them. The records are shared (`Rc`):
/// a batch never changes once written, except when compaction or truncation rewrites it (copy on
/// write), so a follower's copy, a checkpoint and the view share one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub records: Rc<Vec<Record>>,
    pub leader_epoch: u32,
    pub producer: Option<ProducerStamp>,
    /// Bytes of the records before compression.
    pub uncompressed_bytes: u64,
    /// Bytes on disk: header plus (possibly compressed) records.
    pub size_bytes: u64,
    /// Set by the first compaction pass that sees a tombstone in this batch (KIP-534).
    pub delete_horizon: Option<Tick>,
    /// Plain data, a transaction's data, or a transaction marker.
    pub kind: BatchKind,
}

impl Batch {
    /// The producer stamp and the sequence after this batch, for the idempotent producer's
    /// checks; a transaction marker has none (its sequence is -1 in Kafka).
    pub fn next_sequence(&self) -> Option<(u64, u32)> {
        if matches!(self.kind, BatchKind::Control(_)) {
            return None;
        }
        let stamp = self.producer?;
        Some((
            stamp.producer_id,
            stamp.base_sequence.wrapping_add(self.records.len() as u32),
        ))
    }

    /// Keeps the records `keep` accepts (asking once per record); copies them first only if they
    /// are shared and some go.
    fn retain_records(&mut self, keep: impl FnMut(&Record) -> bool) {
        let verdicts: Vec<bool> = self.records.iter().map(keep).collect();
        if verdicts.iter().all(|k| *k) {
            return;
        }
        let mut verdict = verdicts.into_iter();
        Rc::make_mut(&mut self.records).retain(|_| verdict.next().unwrap_or(true));
    }

    fn max_timestamp(&self) -> Option<Tick> {
        self.records.iter().map(|r| r.timestamp).max()
    }
}

/// A file of consecutive batches. Only the last (active) segment takes appends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub base_offset: Offset,
    pub batches: Vec<Batch>,
    /// When the segment got its first record (for `segment.ms` rolling).
    pub created_at: Option<Tick>,
}

impl Segment {
    fn new(base_offset: Offset) -> Segment {
        Segment {
            base_offset,
            batches: Vec::new(),
            created_at: None,
        }
    }

    pub fn size_bytes(&self) -> u64 {
        self.batches.iter().map(|b| b.size_bytes).sum()
    }

    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.batches.iter().flat_map(|b| b.records.iter())
    }

    pub fn largest_timestamp(&self) -> Option<Tick> {
        self.batches.iter().filter_map(Batch::max_timestamp).max()
    }

    fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

/// Per-topic log settings, in ticks and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub segment_ticks: u64,
    /// `retention.ms`, in ticks; `None` keeps data forever.
    pub retention_ticks: Option<u64>,
    /// `retention.bytes`; `None` (Kafka's -1) means no size limit.
    pub retention_bytes: Option<u64>,
    pub cleanup_delete: bool,
    pub cleanup_compact: bool,
    /// `min.cleanable.dirty.ratio`, in permille.
    pub min_cleanable_dirty_ratio_permille: u16,
    pub delete_retention_ticks: u64,
    pub min_compaction_lag_ticks: u64,
    /// `max.compaction.lag.ms`; `None` is Kafka's infinite default.
    pub max_compaction_lag_ticks: Option<u64>,
}

impl Default for LogConfig {
    /// Kafka's defaults scaled to a lab: smaller segments so segments are visible, and times a
    /// learner can watch pass (see [`RETENTION_TICKS_DEFAULT`]).
    fn default() -> LogConfig {
        LogConfig {
            segment_bytes: 4096,
            segment_ticks: SEGMENT_TICKS_DEFAULT,
            retention_ticks: Some(RETENTION_TICKS_DEFAULT),
            retention_bytes: None,
            cleanup_delete: true,
            cleanup_compact: false,
            min_cleanable_dirty_ratio_permille: 500,
            delete_retention_ticks: DELETE_RETENTION_TICKS_DEFAULT,
            min_compaction_lag_ticks: 0,
            max_compaction_lag_ticks: None,
        }
    }
}

/// Why an append or read was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogError {
    /// Kafka's `INVALID_RECORD`: compacted topics need keys.
    NullKeyOnCompactedTopic,
    EmptyBatch,
    RecordTooLarge,
    /// [`PARTITION_RECORDS_MAX`] reached.
    Full,
    /// Kafka's `OFFSET_OUT_OF_RANGE`.
    OffsetOutOfRange {
        requested: Offset,
        log_start: Offset,
        leo: Offset,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::NullKeyOnCompactedTopic => write!(
                f,
                "a compacted topic refuses records without a key (INVALID_RECORD)"
            ),
            LogError::EmptyBatch => write!(f, "a batch needs at least one record"),
            LogError::RecordTooLarge => write!(
                f,
                "a key or value is larger than {RECORD_FIELD_BYTES_MAX} bytes"
            ),
            LogError::Full => write!(
                f,
                "this partition holds its limit of {PARTITION_RECORDS_MAX} records"
            ),
            LogError::OffsetOutOfRange {
                requested,
                log_start,
                leo,
            } => {
                write!(
                    f,
                    "offset {requested} is out of range [{log_start}, {leo}] (OFFSET_OUT_OF_RANGE)"
                )
            }
        }
    }
}

/// What one retention check deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionOutcome {
    pub deleted_segments: usize,
    pub deleted_records: usize,
    pub new_log_start: Offset,
}

/// What one compaction pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactionOutcome {
    /// Records at and after this offset were not touched.
    pub cleaned_up_to: Offset,
    pub removed_records: usize,
    pub removed_tombstones: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// One replica's log of one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLog {
    config: LogConfig,
    segments: Vec<Segment>,
    log_start: Offset,
    leo: Offset,
    /// Compaction's checkpoint: everything below is already clean.
    first_dirty: Offset,
    record_count: usize,
    /// The leader-epoch cache: (epoch, first offset written in it), strictly increasing in both.
    epochs: Vec<(u32, Offset)>,
    /// Whether a transaction's batch or marker was ever appended: until then every record is
    /// stable and a read_committed fetch needs no scan for open or aborted transactions.
    held_transactions: bool,
}

impl PartitionLog {
    pub fn new(config: LogConfig) -> PartitionLog {
        PartitionLog {
            config,
            segments: vec![Segment::new(Offset(0))],
            log_start: Offset(0),
            leo: Offset(0),
            first_dirty: Offset(0),
            record_count: 0,
            epochs: Vec::new(),
            held_transactions: false,
        }
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    /// Oldest first; never empty; the last one is active.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn log_start(&self) -> Offset {
        self.log_start
    }

    /// Log end offset: the next offset to be written.
    pub fn leo(&self) -> Offset {
        self.leo
    }

    pub fn record_count(&self) -> usize {
        self.record_count
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(Segment::size_bytes).sum()
    }

    /// Every record, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.segments.iter().flat_map(Segment::records)
    }

    /// Appends one uncompressed data batch at `now`; returns the first and last offsets given.
    pub fn append(
        &mut self,
        records: Vec<NewRecord>,
        now: Tick,
        leader_epoch: u32,
        producer: Option<ProducerStamp>,
    ) -> Result<(Offset, Offset), LogError> {
        self.append_kind(records, now, leader_epoch, producer, None, BatchKind::Data)
    }

    /// [`PartitionLog::append`] for a batch of the given kind (data, a transaction's data, or a
    /// marker) whose records take `encoded_bytes` once compressed (`None`: uncompressed).
    pub fn append_kind(
        &mut self,
        records: Vec<NewRecord>,
        now: Tick,
        leader_epoch: u32,
        producer: Option<ProducerStamp>,
        encoded_bytes: Option<u64>,
        kind: BatchKind,
    ) -> Result<(Offset, Offset), LogError> {
        if records.is_empty() {
            return Err(LogError::EmptyBatch);
        }
        if self.config.cleanup_compact && records.iter().any(|r| r.key.is_none()) {
            return Err(LogError::NullKeyOnCompactedTopic);
        }
        let too_large =
            |f: &Option<Vec<u8>>| f.as_ref().is_some_and(|b| b.len() > RECORD_FIELD_BYTES_MAX);
        if records
            .iter()
            .any(|r| too_large(&r.key) || too_large(&r.value))
        {
            return Err(LogError::RecordTooLarge);
        }
        if self.record_count + records.len() > PARTITION_RECORDS_MAX {
            return Err(LogError::Full);
        }
        let uncompressed_bytes: u64 = records.iter().map(NewRecord::size_bytes).sum();
        let size_bytes = BATCH_HEADER_BYTES + encoded_bytes.unwrap_or(uncompressed_bytes);
        self.maybe_roll(size_bytes, now);
        let first = self.leo;
        let stored: Vec<Record> = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| Record {
                offset: Offset(first.0 + i as u64),
                timestamp: r.timestamp.unwrap_or(now),
                key: r.key,
                value: r.value,
                headers: r.headers,
            })
            .collect();
        let count = stored.len();
        self.assign_epoch_start(leader_epoch, first);
        self.leo = Offset(first.0 + count as u64);
        self.record_count += count;
        let active = self
            .segments
            .last_mut()
            .expect("a log always has a segment");
        active.created_at.get_or_insert(now);
        self.held_transactions |= kind != BatchKind::Data;
        active.batches.push(Batch {
            records: Rc::new(stored),
            leader_epoch,
            producer,
            uncompressed_bytes,
            size_bytes,
            delete_horizon: None,
            kind,
        });
        Ok((first, Offset(self.leo.0 - 1)))
    }

    /// Rolls a new active segment when the incoming batch would overflow `segment.bytes` or the
    /// active segment is older than `segment.ms`.
    fn maybe_roll(&mut self, incoming_bytes: u64, now: Tick) {
        let active = self.segments.last().expect("a log always has a segment");
        if active.is_empty() {
            return;
        }
        let too_big =
            active.size_bytes() > self.config.segment_bytes.saturating_sub(incoming_bytes);
        let too_old = active
            .created_at
            .is_some_and(|t| now.ticks_since(t) > self.config.segment_ticks);
        if too_big || too_old {
            self.segments.push(Segment::new(self.leo));
        }
    }

    /// Records from `from` (or the first surviving one after it) up to, not including, `upper`
    /// (the high watermark), at most `max_records`. Offsets in [upper, LEO] give nothing;
    /// offsets below the log start or past the LEO are out of range.
    pub fn read(
        &self,
        from: Offset,
        upper: Offset,
        max_records: usize,
    ) -> Result<Vec<&Record>, LogError> {
        if from < self.log_start || from > self.leo {
            return Err(LogError::OffsetOutOfRange {
                requested: from,
                log_start: self.log_start,
                leo: self.leo,
            });
        }
        let upper = upper.min(self.leo);
        Ok(self
            .batches_at(from)
            .flat_map(|b| b.records.iter())
            .skip_while(|r| r.offset < from)
            .take_while(|r| r.offset < upper)
            .take(max_records)
            .collect())
    }

    /// Records a new leader epoch starting at `start` (on becoming leader, or on the first append
    /// of an epoch). Older or equal epochs are ignored: the cache only grows forward.
    pub fn assign_epoch_start(&mut self, epoch: u32, start: Offset) {
        if self.epochs.last().is_some_and(|(e, _)| *e >= epoch) {
            return;
        }
        // An epoch that got no records gives way to the next one starting at the same offset.
        while self.epochs.last().is_some_and(|(_, s)| *s >= start) {
            self.epochs.pop();
        }
        self.epochs.push((epoch, start));
    }

    /// The leader-epoch cache, oldest first.
    pub fn epochs(&self) -> &[(u32, Offset)] {
        &self.epochs
    }

    /// The latest epoch in the cache (a follower's `lastFetchedEpoch`).
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|(e, _)| *e)
    }

    /// The epoch the record at `offset` was written in.
    pub fn epoch_at(&self, offset: Offset) -> Option<u32> {
        let i = self.epochs.partition_point(|(_, start)| *start <= offset);
        i.checked_sub(1).map(|i| self.epochs[i].0)
    }

    /// `LeaderEpochFileCache.endOffsetFor` (KIP-101 and KIP-279): for the latest epoch, (epoch, LEO); else
    /// the largest cached epoch at or below `epoch` and the start of the next one; for an epoch
    /// older than the cache, (`epoch`, start of the first entry). `None` with an empty cache.
    pub fn end_offset_for(&self, epoch: u32) -> Option<(u32, Offset)> {
        let (latest, _) = *self.epochs.last()?;
        if epoch >= latest {
            return Some((latest.min(epoch), self.leo));
        }
        let i = self.epochs.partition_point(|(e, _)| *e <= epoch);
        if i == 0 {
            return Some((epoch, self.epochs[0].1));
        }
        let found = self.epochs[i - 1].0;
        Some((
            found,
            self.epochs.get(i).map_or(self.leo, |(_, start)| *start),
        ))
    }

    /// The stored batches from the one holding `from` (or the first after it) on, found by
    /// offset (segment, then batch) instead of a scan from the log's start.
    pub(crate) fn batches_at(&self, from: Offset) -> impl Iterator<Item = &Batch> + '_ {
        let first_segment = self
            .segments
            .partition_point(|s| s.base_offset <= from)
            .saturating_sub(1);
        self.segments[first_segment..]
            .iter()
            .flat_map(|s| s.batches.iter())
            .skip_while(move |b| b.records.last().is_none_or(|r| r.offset < from))
    }

    /// Bytes of the stored batches holding any offset in `from..to`: what a consumer's fetch of
    /// those records carries (whole batches).
    pub fn batch_bytes_between(&self, from: Offset, to: Offset) -> u64 {
        self.batches_at(from)
            .take_while(|b| b.records.first().is_none_or(|r| r.offset < to))
            .map(|b| b.size_bytes)
            .sum()
    }

    /// Copies of the batches holding offsets from `from`, at most about `max_records` records
    /// (whole batches; at least one), trimmed to start at `from`: what a follower's fetch gets.
    pub fn batches_from(&self, from: Offset, max_records: usize) -> Vec<Batch> {
        let mut out: Vec<Batch> = Vec::new();
        let mut taken = 0;
        for batch in self.batches_at(from).filter(|b| !b.records.is_empty()) {
            if taken >= max_records && !out.is_empty() {
                break;
            }
            let mut copy = batch.clone();
            if copy.records.first().is_some_and(|r| r.offset < from) {
                copy.retain_records(|r| r.offset >= from);
                copy.uncompressed_bytes = copy.records.iter().map(Record::size_bytes).sum();
                copy.size_bytes = BATCH_HEADER_BYTES + copy.uncompressed_bytes;
            }
            taken += copy.records.len();
            out.push(copy);
        }
        out
    }

    /// The records of the newest batch, shared with the log: what a producer waiting for the
    /// high watermark keeps of the batch it just wrote, in case it has to send it again.
    pub fn newest_batch_records(&self) -> Option<Rc<Vec<Record>>> {
        self.segments
            .iter()
            .rev()
            .find_map(|s| s.batches.last())
            .map(|b| Rc::clone(&b.records))
    }

    /// A follower's append of batches fetched from its leader: same offsets, same epochs. Batches
    /// must start at or after the LEO; records below it are skipped.
    pub fn append_replicated(&mut self, batches: Vec<Batch>, now: Tick) -> Result<(), LogError> {
        let incoming: usize = batches.iter().map(|b| b.records.len()).sum();
        if self.record_count + incoming > PARTITION_RECORDS_MAX {
            return Err(LogError::Full);
        }
        for mut batch in batches {
            let leo = self.leo;
            batch.retain_records(|r| r.offset >= leo);
            let (Some(first), Some(last)) = (batch.records.first(), batch.records.last()) else {
                continue;
            };
            let (first, next) = (first.offset, Offset(last.offset.0 + 1));
            self.maybe_roll(batch.size_bytes, now);
            self.assign_epoch_start(batch.leader_epoch, first);
            self.record_count += batch.records.len();
            self.leo = next;
            let active = self
                .segments
                .last_mut()
                .expect("a log always has a segment");
            active.created_at.get_or_insert(now);
            self.held_transactions |= batch.kind != BatchKind::Data;
            active.batches.push(batch);
        }
        Ok(())
    }

    /// Cuts the log back so that `offset` is its new LEO (a follower reconciling with its leader,
    /// KIP-101 and KIP-279). Below the log start, the log restarts empty at `offset`.
    pub fn truncate_to(&mut self, offset: Offset) {
        // Epochs that start at or past the cut go too, even ones that got no records
        // (`LeaderEpochFileCache.truncateFromEnd`).
        self.epochs.retain(|(_, start)| *start < offset);
        if offset >= self.leo {
            return;
        }
        if offset < self.log_start {
            self.reset_to(offset);
            return;
        }
        while self.segments.len() > 1
            && self
                .segments
                .last()
                .is_some_and(|s| s.base_offset >= offset)
        {
            let gone = self.segments.pop().expect("checked");
            self.record_count -= gone.records().count();
        }
        let active = self
            .segments
            .last_mut()
            .expect("a log always has a segment");
        let mut removed = 0;
        active.batches.retain_mut(|b| {
            let before = b.records.len();
            b.retain_records(|r| r.offset < offset);
            removed += before - b.records.len();
            if b.records.len() < before {
                b.uncompressed_bytes = b.records.iter().map(Record::size_bytes).sum();
                b.size_bytes = BATCH_HEADER_BYTES + b.uncompressed_bytes;
            }
            !b.records.is_empty()
        });
        self.record_count -= removed;
        self.leo = offset;
        self.first_dirty = self.first_dirty.min(offset);
        self.epochs.retain(|(_, start)| *start < offset);
    }

    /// Empties the log and restarts it at `offset` (a follower whose fetch offset fell below the
    /// leader's log start: Kafka's `truncateFullyAndStartAt`).
    pub fn reset_to(&mut self, offset: Offset) {
        self.segments = vec![Segment::new(offset)];
        self.log_start = offset;
        self.leo = offset;
        self.first_dirty = offset;
        self.record_count = 0;
        self.epochs.clear();
    }

    /// Drops cache entries wholly below the log start and moves the first one up to it
    /// (`LeaderEpochFileCache.truncateFromStart`, after retention).
    fn truncate_epochs_from_start(&mut self) {
        let start = self.log_start;
        let keep_from = self
            .epochs
            .partition_point(|(_, s)| *s <= start)
            .saturating_sub(1);
        self.epochs.drain(..keep_from);
        if let Some(first) = self.epochs.first_mut() {
            first.1 = first.1.max(start);
        }
    }

    /// One retention check (Kafka's UnifiedLog retention): with `cleanup.policy` including delete, deletes the oldest
    /// segments breaching `retention.bytes`, then those breaching `retention.ms`, stopping at the
    /// first segment kept. Never deletes data at or above `hw`, nor an empty last segment.
    pub fn apply_retention(&mut self, now: Tick, hw: Offset) -> RetentionOutcome {
        let mut outcome = RetentionOutcome {
            new_log_start: self.log_start,
            ..RetentionOutcome::default()
        };
        if !self.config.cleanup_delete {
            return outcome;
        }
        if let Some(limit) = self.config.retention_bytes {
            let total = self.size_bytes();
            if total >= limit {
                let mut diff = total - limit;
                let count = self.deletable_prefix(hw, |segment| {
                    let size = segment.size_bytes();
                    if diff >= size {
                        diff -= size;
                        true
                    } else {
                        false
                    }
                });
                self.delete_prefix(count, &mut outcome);
            }
        }
        if let Some(retention_ticks) = self.config.retention_ticks {
            let count = self.deletable_prefix(hw, |segment| {
                segment
                    .largest_timestamp()
                    .is_some_and(|t| now.ticks_since(t) > retention_ticks)
            });
            self.delete_prefix(count, &mut outcome);
        }
        outcome.new_log_start = self.log_start;
        outcome
    }

    /// How many segments, oldest first, satisfy `breached` and the guards.
    fn deletable_prefix(&self, hw: Offset, mut breached: impl FnMut(&Segment) -> bool) -> usize {
        let mut count = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            let upper = self
                .segments
                .get(i + 1)
                .map_or(self.leo, |next| next.base_offset);
            let is_last = i + 1 == self.segments.len();
            if upper > hw || (is_last && segment.is_empty()) || !breached(segment) {
                break;
            }
            count += 1;
        }
        count
    }

    fn delete_prefix(&mut self, count: usize, outcome: &mut RetentionOutcome) {
        if count == 0 {
            return;
        }
        if count == self.segments.len() {
            // The active segment goes too: roll an empty one at the LEO first, so offsets are never reused.
            self.segments.push(Segment::new(self.leo));
        }
        for segment in self.segments.drain(..count) {
            let records = segment.records().count();
            outcome.deleted_records += records;
            self.record_count -= records;
        }
        outcome.deleted_segments += count;
        self.log_start = self.segments[0].base_offset;
        self.first_dirty = self.first_dirty.max(self.log_start);
        self.truncate_epochs_from_start();
    }

    /// Where cleaning must stop: the base of the first segment not wholly below the high
    /// watermark, the active segment and the `min.compaction.lag` boundary. Only whole closed
    /// segments are cleaned.
    fn first_uncleanable(&self, now: Tick, hw: Offset) -> (Offset, usize) {
        let last = self.segments.len() - 1;
        for (i, segment) in self.segments.iter().enumerate() {
            let upper = self
                .segments
                .get(i + 1)
                .map_or(self.leo, |next| next.base_offset);
            let too_new = segment
                .largest_timestamp()
                .is_some_and(|t| now.ticks_since(t) < self.config.min_compaction_lag_ticks);
            if i == last || upper > hw || too_new {
                return (segment.base_offset, i);
            }
        }
        (self.segments[last].base_offset, last)
    }

    /// cleanable dirty bytes / (clean + cleanable dirty bytes), in permille.
    pub fn dirty_ratio_permille(&self, now: Tick, hw: Offset) -> u16 {
        let (_, uncleanable_index) = self.first_uncleanable(now, hw);
        let (mut clean, mut dirty) = (0u64, 0u64);
        for segment in &self.segments[..uncleanable_index] {
            if segment.base_offset < self.first_dirty {
                clean += segment.size_bytes();
            } else {
                dirty += segment.size_bytes();
            }
        }
        if clean + dirty == 0 {
            return 0;
        }
        (dirty * 1000 / (clean + dirty)) as u16
    }

    /// One log-cleaner pass (Kafka's LogCleaner, KIP-534) if the log is eligible: its dirty ratio exceeds
    /// `min.cleanable.dirty.ratio`, or a dirty record is older than `max.compaction.lag`.
    pub fn compact(&mut self, now: Tick, hw: Offset) -> Option<CompactionOutcome> {
        if !self.config.cleanup_compact {
            return None;
        }
        let (uncleanable, uncleanable_index) = self.first_uncleanable(now, hw);
        let dirty_segments = || {
            self.segments[..uncleanable_index]
                .iter()
                .filter(|s| s.base_offset >= self.first_dirty)
        };
        if dirty_segments().all(Segment::is_empty) {
            return None;
        }
        let overdue = self.config.max_compaction_lag_ticks.is_some_and(|lag| {
            dirty_segments()
                .flat_map(Segment::records)
                .any(|r| now.ticks_since(r.timestamp) > lag)
        });
        if !overdue
            && self.dirty_ratio_permille(now, hw) <= self.config.min_cleanable_dirty_ratio_permille
        {
            return None;
        }
        // 1. key -> last offset over the dirty cleanable range.
        let mut latest: BTreeMap<&[u8], Offset> = BTreeMap::new();
        for record in dirty_segments().flat_map(Segment::records) {
            if let Some(key) = &record.key {
                latest.insert(key, record.offset);
            }
        }
        let latest: BTreeMap<Vec<u8>, Offset> =
            sim::sort::collect_map(latest.into_iter().map(|(k, o)| (k.to_vec(), o)));
        // 2. Recopy every segment below the uncleanable offset.
        let bytes_before = self.size_bytes();
        let (mut removed_records, mut removed_tombstones) = (0, 0);
        for segment in &mut self.segments[..uncleanable_index] {
            for batch in &mut segment.batches {
                let had_tombstone = batch.records.iter().any(Record::is_tombstone);
                let horizon_passed = batch.delete_horizon.is_some_and(|h| now > h);
                let before = batch.records.len();
                batch.retain_records(|r| {
                    let superseded = r
                        .key
                        .as_ref()
                        .and_then(|k| latest.get(k))
                        .is_some_and(|last| *last > r.offset);
                    let expired_tombstone = r.is_tombstone() && horizon_passed;
                    if r.is_tombstone() && (superseded || expired_tombstone) {
                        removed_tombstones += 1;
                    }
                    !(superseded || expired_tombstone)
                });
                removed_records += before - batch.records.len();
                if had_tombstone && batch.delete_horizon.is_none() {
                    batch.delete_horizon = Some(now.plus(self.config.delete_retention_ticks));
                }
                if batch.records.len() != before {
                    let kept: u64 = batch.records.iter().map(Record::size_bytes).sum();
                    let payload = batch.size_bytes - BATCH_HEADER_BYTES;
                    let scaled = if batch.uncompressed_bytes == 0 {
                        kept
                    } else {
                        (kept * payload).div_ceil(batch.uncompressed_bytes)
                    };
                    batch.uncompressed_bytes = kept;
                    batch.size_bytes = BATCH_HEADER_BYTES + scaled;
                }
            }
            segment.batches.retain(|b| !b.records.is_empty());
        }
        self.record_count -= removed_records;
        self.first_dirty = uncleanable;
        Some(CompactionOutcome {
            cleaned_up_to: uncleanable,
            removed_records,
            removed_tombstones,
            bytes_before,
            bytes_after: self.size_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(config: impl FnOnce(&mut LogConfig)) -> PartitionLog {
        let mut c = LogConfig {
            segment_bytes: 200,
            ..LogConfig::default()
        };
        config(&mut c);
        PartitionLog::new(c)
    }

    fn put(log: &mut PartitionLog, at: u64, key: &str, value: &str) -> Offset {
        log.append(vec![NewRecord::keyed(key, value)], Tick(at), 0, None)
            .unwrap()
            .0
    }

    #[test]
    fn segments_roll_by_size_and_age() {
        let mut log = small(|c| c.segment_ticks = 100);
        for i in 0..10 {
            put(&mut log, i, "k", "0123456789");
        }
        // Each batch is 61 + 8 + 1 + 10 = 80 bytes: two fit in 200.
        assert_eq!(log.segments().len(), 5);
        assert_eq!(log.segments()[1].base_offset, Offset(2));
        put(&mut log, 500, "k", "x");
        assert_eq!(
            log.segments().last().unwrap().base_offset,
            Offset(10),
            "an old active segment rolls"
        );
    }

    #[test]
    fn reads_stop_at_the_high_watermark_and_refuse_out_of_range() {
        let mut log = small(|_| {});
        for i in 0..5 {
            put(&mut log, i, "k", "v");
        }
        let offsets = |rs: Vec<&Record>| rs.iter().map(|r| r.offset.0).collect::<Vec<_>>();
        assert_eq!(
            offsets(log.read(Offset(1), Offset(3), 10).unwrap()),
            vec![1, 2]
        );
        assert!(log.read(Offset(3), Offset(3), 10).unwrap().is_empty());
        assert!(log.read(Offset(5), Offset(5), 10).unwrap().is_empty());
        assert!(matches!(
            log.read(Offset(6), Offset(5), 10),
            Err(LogError::OffsetOutOfRange { .. })
        ));
    }

    #[test]
    fn default_retention_passes_within_a_lab_run() {
        assert_eq!(ticks_to_ms(RETENTION_TICKS_DEFAULT), 600_000, "10 minutes");
        let mut log = PartitionLog::new(LogConfig::default());
        put(&mut log, 0, "k", "first");
        // A quiet partition: the next record comes after segment.ms, so the first segment rolls.
        put(&mut log, SEGMENT_TICKS_DEFAULT + 1, "k", "second");
        assert_eq!(log.segments().len(), 2);
        let hw = log.leo();
        assert_eq!(
            log.apply_retention(Tick(RETENTION_TICKS_DEFAULT), hw)
                .deleted_segments,
            0,
            "not older than retention.ms yet"
        );
        let outcome = log.apply_retention(Tick(RETENTION_TICKS_DEFAULT + 1), hw);
        assert_eq!((outcome.deleted_segments, log.log_start()), (1, Offset(1)));
    }

    #[test]
    fn time_retention_deletes_a_prefix_of_whole_segments_below_the_hw() {
        let mut log = small(|c| c.retention_ticks = Some(50));
        for i in 0..10 {
            put(&mut log, i * 10, "k", "0123456789");
        }
        // Segments: [0,1] t0-10, [2,3] t20-30, [4,5] t40-50, [6,7] t60-70, [8,9] t80-90 (active).
        let outcome = log.apply_retention(Tick(100), Offset(10));
        assert_eq!(
            (outcome.deleted_segments, outcome.new_log_start),
            (2, Offset(4))
        );
        assert!(matches!(
            log.read(Offset(0), Offset(10), 1),
            Err(LogError::OffsetOutOfRange { .. })
        ));
        // With the HW at 5, segment [4,5] (upper bound 6) must stay even once it is old.
        let outcome = log.apply_retention(Tick(1000), Offset(5));
        assert_eq!(outcome.deleted_segments, 0);
        // Everything old and committed: the active segment goes too, after an empty one is rolled at the LEO.
        log.apply_retention(Tick(1000), Offset(10));
        assert_eq!(
            (log.log_start(), log.leo(), log.segments().len()),
            (Offset(10), Offset(10), 1)
        );
        assert_eq!(
            put(&mut log, 1001, "k", "v"),
            Offset(10),
            "offsets are never reused"
        );
    }

    #[test]
    fn size_retention_keeps_at_most_the_limit() {
        let mut log = small(|c| {
            c.retention_ticks = None;
            c.retention_bytes = Some(330);
        });
        for i in 0..10 {
            put(&mut log, i, "k", "0123456789");
        }
        // 5 segments of 160 bytes = 800; diff 470 deletes two (320), leaving 480 > 330? No: 470-160=310, 310-160=150, 150<160 stop.
        let outcome = log.apply_retention(Tick(10), Offset(10));
        assert_eq!(outcome.deleted_segments, 2);
        assert_eq!(log.size_bytes(), 480);
    }

    #[test]
    fn compaction_keeps_the_latest_value_per_key_and_never_touches_the_active_segment() {
        let mut log = small(|c| {
            c.cleanup_compact = true;
            c.cleanup_delete = false;
            c.delete_retention_ticks = 100;
        });
        for (i, (k, v)) in [
            ("a", "1"),
            ("b", "1"),
            ("a", "2"),
            ("c", "1"),
            ("b", "2"),
            ("a", "3"),
            ("c", "x"),
        ]
        .iter()
        .enumerate()
        {
            put(&mut log, i as u64, k, v);
        }
        log.append(vec![NewRecord::tombstone("c")], Tick(7), 0, None)
            .unwrap();
        put(&mut log, 8, "a", "4");
        let active_before = log.segments().last().unwrap().clone();
        let outcome = log
            .compact(Tick(10), log.leo())
            .expect("dirty enough to clean");
        assert_eq!(log.segments().last().unwrap(), &active_before);
        let survivors: Vec<(u64, String, Option<String>)> = log
            .records()
            .map(|r| {
                (
                    r.offset.0,
                    String::from_utf8(r.key.clone().unwrap()).unwrap(),
                    r.value.clone().map(|v| String::from_utf8(v).unwrap()),
                )
            })
            .collect();
        assert_eq!(outcome.cleaned_up_to, active_before.base_offset);
        // Offsets are preserved, order kept, only superseded records gone.
        assert!(survivors.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(survivors
            .iter()
            .any(|r| r.1 == "b" && r.2.as_deref() == Some("2")));
        assert!(!survivors
            .iter()
            .any(|r| r.1 == "a" && r.2.as_deref() == Some("1")));
        assert!(
            log.compact(Tick(11), log.leo()).is_none(),
            "nothing dirty is left to clean"
        );
        assert!(
            log.append(vec![NewRecord::unkeyed("v")], Tick(12), 0, None)
                == Err(LogError::NullKeyOnCompactedTopic)
        );
    }

    #[test]
    fn tombstones_survive_until_their_delete_horizon() {
        let mut log = small(|c| {
            c.cleanup_compact = true;
            c.delete_retention_ticks = 100;
            c.min_cleanable_dirty_ratio_permille = 0;
        });
        put(&mut log, 0, "k", "0123456789");
        log.append(vec![NewRecord::tombstone("k")], Tick(1), 0, None)
            .unwrap();
        for i in 0..6 {
            put(&mut log, 2 + i, "other", "0123456789");
        }
        log.compact(Tick(10), log.leo()).unwrap();
        let tombstone_kept = |log: &PartitionLog| log.records().any(|r| r.is_tombstone());
        assert!(
            tombstone_kept(&log),
            "first pass stamps the horizon and keeps the tombstone"
        );
        assert!(!log
            .records()
            .any(|r| r.key.as_deref() == Some(b"k".as_slice()) && !r.is_tombstone()));
        for i in 0..4 {
            put(&mut log, 20 + i, "more", "0123456789");
        }
        log.compact(Tick(50), log.leo());
        assert!(tombstone_kept(&log), "still within delete.retention");
        for i in 0..4 {
            put(&mut log, 200 + i, "more", "0123456789");
        }
        log.compact(Tick(300), log.leo()).unwrap();
        assert!(!tombstone_kept(&log), "dropped once the horizon passed");
    }

    /// LogCleaner.shouldRetainRecord: a key's latest record stays if it has a value, and a
    /// zero-length value is a value; only a null value is a tombstone.
    #[test]
    fn a_zero_length_value_is_an_ordinary_record_that_compaction_keeps() {
        let mut log = small(|c| {
            c.cleanup_compact = true;
            c.delete_retention_ticks = 100;
            c.min_cleanable_dirty_ratio_permille = 0;
        });
        put(&mut log, 0, "k", "0123456789");
        put(&mut log, 1, "k", "");
        assert!(log.records().all(|r| !r.is_tombstone()));
        let empty_kept = |log: &PartitionLog| {
            log.records()
                .any(|r| r.key.as_deref() == Some(b"k".as_slice()) && r.value == Some(Vec::new()))
        };
        for i in 0..6 {
            put(&mut log, 2 + i, "other", "0123456789");
        }
        let outcome = log.compact(Tick(10), log.leo()).unwrap();
        assert_eq!(outcome.removed_tombstones, 0);
        assert!(
            empty_kept(&log),
            "the latest record of k, with its empty value"
        );
        assert_eq!(
            log.records()
                .filter(|r| r.key.as_deref() == Some(b"k".as_slice()))
                .count(),
            1,
            "the empty value superseded the older one"
        );
        for i in 0..4 {
            put(&mut log, 200 + i, "more", "0123456789");
        }
        log.compact(Tick(300), log.leo());
        assert!(
            empty_kept(&log),
            "no delete horizon applies: it is not a tombstone"
        );
    }

    #[test]
    fn limits_are_enforced() {
        let mut log = small(|_| {});
        assert_eq!(
            log.append(vec![], Tick(0), 0, None),
            Err(LogError::EmptyBatch)
        );
        let huge = NewRecord {
            key: None,
            value: Some(vec![0; RECORD_FIELD_BYTES_MAX + 1]),
            headers: vec![],
            timestamp: None,
        };
        assert_eq!(
            log.append(vec![huge], Tick(0), 0, None),
            Err(LogError::RecordTooLarge)
        );
        for e in [LogError::Full, LogError::NullKeyOnCompactedTopic] {
            assert!(!e.to_string().is_empty());
        }
    }
}
