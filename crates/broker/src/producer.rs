//! The producer client: choosing a partition (explicit, keyed murmur2, KIP-794 sticky or
//! round-robin for null keys), batching in the record accumulator (`batch.size`, `linger`), and
//! per-partition sequence numbers for the idempotent producer. Sending, faults and retries are
//! driven by [`super::cluster`], which owns the network between producer and broker.
//!
//! A batch fills as in Kafka's Java client (`RecordAccumulator.append`,
//! `MemoryRecordsBuilder.hasRoomFor` and `isFull`): `batch.size` counts the 61-byte batch header
//! (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`) as well as the records. A new batch's buffer, its
//! write limit, is `batch.size` or, if larger, the first record's upper bound (the header plus
//! `DefaultRecord.recordSizeUpperBound`); the first record always fits, and a next one fits if
//! the header, the records so far and it together stay within the write limit. So
//! `batch.size=64` holds a single record of the usual size (61 + about 20 bytes), and a 16 KiB
//! batch holds about 16,323 bytes of records. Records are counted at their exact v2 size
//! ([`compression::record_len`]: varint lengths and deltas), not at the log's flat
//! [`super::log::RECORD_FRAMING_BYTES`] approximation. For a compressed batch the records so
//! far count at their size times the estimated compression ratio times 1.05
//! (`COMPRESSION_RATE_ESTIMATION_FACTOR`); the ratio is Java's `CompressionRatioEstimator`, kept
//! per producer, topic and codec here (the Java client keeps one per process).

use super::compression::{self, Codec};
use super::log::{ticks_to_ms, NewRecord, BATCH_HEADER_BYTES};
use super::partitioner::partition_for_key;
use super::PartitionId;
use sim::clock::Tick;
use sim::rng::Rng;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Most records waiting in one producer's accumulator.
pub const ACCUMULATED_RECORDS_MAX: usize = 10_000;
/// `retry.backoff.max.ms` (1 s), in ticks.
pub const RETRY_BACKOFF_MAX_TICKS: u64 = 10;
/// `MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR`: the margin on the estimated ratio.
const COMPRESSION_RATE_ESTIMATION_FACTOR: f32 = 1.05;
/// `CompressionRatioEstimator.COMPRESSION_RATIO_IMPROVING_STEP`.
const COMPRESSION_RATIO_IMPROVING_STEP: f32 = 0.005;
/// `CompressionRatioEstimator.COMPRESSION_RATIO_DETERIORATE_STEP`.
const COMPRESSION_RATIO_DETERIORATE_STEP: f32 = 0.05;

/// A producer client's id (also its idempotent producer id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProducerId(pub u32);

impl fmt::Display for ProducerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "producer-{}", self.0)
    }
}

/// How records without a key are spread (`partitioner.class`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullKeyPartitioner {
    /// KIP-794 (Kafka 3.3+): stick to one partition until about `batch.size` bytes went to it.
    Sticky,
    /// `RoundRobinPartitioner`: a per-topic counter over the available partitions.
    RoundRobin,
}

/// Producer settings, with time in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerConfig {
    pub null_key_partitioner: NullKeyPartitioner,
    pub batch_size_bytes: u64,
    pub linger_ticks: u64,
    pub idempotence: bool,
    /// Attempts after the first before a send fails.
    pub retries: u32,
    pub retry_backoff_ticks: u64,
    /// `max.in.flight.requests.per.connection`: above 1 without idempotence, retries can reorder.
    pub max_in_flight: u8,
    /// Chance that a request or its response is lost on the network, in permille (a lab knob).
    pub network_fault_permille: u16,
    /// `compression.type` for whole batches.
    pub compression: Codec,
    /// `acks`: how much of a write the producer waits for.
    pub acks: Acks,
}

/// `acks`. At replication factor 1, `One` and `All` behave alike; `Zero` sends and forgets: no
/// response, no offset, no retry, so a request lost on the network is lost for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    Zero,
    One,
    All,
}

impl Acks {
    pub const ALL: [Acks; 3] = [Acks::Zero, Acks::One, Acks::All];

    pub fn name(self) -> &'static str {
        match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
}

impl Default for ProducerConfig {
    /// Kafka 4.x defaults: idempotence on, `linger.ms` 5 (here 0 ticks, so one click sends), 16 KiB batches.
    /// Kafka retries without a count limit until `delivery.timeout.ms` (120 s) passes, backing
    /// off exponentially from `retry.backoff.ms` (100 ms) to `retry.backoff.max.ms` (1 s); here
    /// 100 retries with backoff doubling from 1 tick up to [`RETRY_BACKOFF_MAX_TICKS`] last about
    /// as long.
    fn default() -> Self {
        ProducerConfig {
            null_key_partitioner: NullKeyPartitioner::Sticky,
            batch_size_bytes: 16_384,
            linger_ticks: 0,
            idempotence: true,
            retries: 100,
            retry_backoff_ticks: 1,
            max_in_flight: 5,
            network_fault_permille: 0,
            compression: Codec::None,
            acks: Acks::All,
        }
    }
}

/// An estimated compression ratio (compressed over uncompressed bytes), a Java `float`.
#[derive(Clone, Copy, Debug)]
pub struct Ratio(pub f32);

impl Ratio {
    /// `CompressionType.rate`, where every codec's estimate starts.
    const INITIAL: Ratio = Ratio(1.0);

    /// `CompressionRatioEstimator.updateEstimation`: worse news moves the estimate up fast,
    /// better news moves it down slowly, never below what was observed.
    fn updated(self, observed: f32) -> Ratio {
        let current = self.0;
        if observed > current {
            Ratio((current + COMPRESSION_RATIO_DETERIORATE_STEP).max(observed))
        } else if observed < current {
            Ratio((current - COMPRESSION_RATIO_IMPROVING_STEP).max(observed))
        } else {
            self
        }
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Ratio) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Ratio {}

/// Records for one partition, accumulated into a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerBatch {
    pub topic: String,
    pub partition: PartitionId,
    pub records: Vec<NewRecord>,
    /// One id per record, unique per cluster: how the history checks recognise a record.
    pub send_ids: Vec<u64>,
    /// Exact v2 bytes of the records, uncompressed (`uncompressedRecordsSizeInBytes`).
    pub bytes: u64,
    /// The buffer's size: `batch.size`, or the first record's upper bound if larger.
    pub write_limit: u64,
    /// The codec the batch was opened with, and the ratio estimated for it then.
    pub codec: Codec,
    pub estimated_ratio: Ratio,
    pub created_at: Tick,
    /// Base sequence, given when the batch is first sent by an idempotent producer.
    pub base_sequence: Option<u32>,
    /// The producer epoch the sequence belongs to.
    pub producer_epoch: u16,
    pub attempts: u32,
    /// When a retry may go out.
    pub retry_at: Option<Tick>,
}

impl ProducerBatch {
    /// An empty batch whose buffer fits `first` (`RecordAccumulator.append`).
    fn open(
        topic: &str,
        partition: PartitionId,
        batch_size: u64,
        first: &NewRecord,
        (codec, estimated_ratio): (Codec, Ratio),
        now: Tick,
    ) -> ProducerBatch {
        let upper_bound = BATCH_HEADER_BYTES + compression::record_len_upper_bound(first);
        ProducerBatch {
            topic: topic.to_string(),
            partition,
            records: Vec::new(),
            send_ids: Vec::new(),
            bytes: 0,
            write_limit: batch_size.max(upper_bound),
            codec,
            estimated_ratio,
            created_at: now,
            base_sequence: None,
            producer_epoch: 0,
            attempts: 0,
            retry_at: None,
        }
    }

    /// `MemoryRecordsBuilder.estimatedBytesWritten`: the header plus the records, scaled by the
    /// estimated ratio and its 1.05 margin when compressed (Java's float arithmetic, truncated).
    fn estimated_bytes(&self) -> u64 {
        let records = match self.codec {
            Codec::None => self.bytes,
            _ => {
                (self.bytes as f32 * self.estimated_ratio.0 * COMPRESSION_RATE_ESTIMATION_FACTOR)
                    as u64
            }
        };
        BATCH_HEADER_BYTES + records
    }

    /// `MemoryRecordsBuilder.isFull`: a batch with records that reached its write limit.
    fn is_full(&self) -> bool {
        !self.records.is_empty() && self.write_limit <= self.estimated_bytes()
    }

    /// Appends `record` if there is room (`MemoryRecordsBuilder.hasRoomFor`): the first record
    /// always fits; a next one if the estimate plus its exact size (uncompressed) stays within
    /// the write limit (so a full batch has no room: every record takes bytes). Without room,
    /// the record comes back.
    fn try_push(&mut self, record: NewRecord, send_id: u64, now: Tick) -> Result<(), NewRecord> {
        let size = self.size_of_next(&record, now);
        if !self.records.is_empty() && self.estimated_bytes() + size > self.write_limit {
            return Err(record);
        }
        self.bytes += size;
        self.records.push(record);
        self.send_ids.push(send_id);
        Ok(())
    }

    /// Exact bytes of `record` appended next: its offset and timestamp deltas from the first
    /// (a record without a timestamp is stamped when it is sent, as `KafkaProducer.send` does).
    fn size_of_next(&self, record: &NewRecord, now: Tick) -> u64 {
        let at = record.timestamp.unwrap_or(now);
        let base = self
            .records
            .first()
            .map_or(at, |r| r.timestamp.unwrap_or(self.created_at));
        let delta_ms = ticks_to_ms(at.0) as i64 - ticks_to_ms(base.0) as i64;
        compression::record_len(record, self.records.len() as u64, delta_ms)
    }

    /// The compression ratio this batch achieved (`MemoryRecordsBuilder.compressionRatio`).
    fn observed_ratio(&self) -> f32 {
        compression::encoded_len(self.codec, &self.records) as f32 / self.bytes.max(1) as f32
    }
}

/// The estimated compression ratio for `topic` with `codec` (`CompressionRatioEstimator.estimation`).
fn estimated_ratio(
    ratios: &BTreeMap<String, BTreeMap<Codec, Ratio>>,
    topic: &str,
    codec: Codec,
) -> Ratio {
    ratios
        .get(topic)
        .and_then(|by_codec| by_codec.get(&codec))
        .copied()
        .unwrap_or(Ratio::INITIAL)
}

/// A producer client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Producer {
    pub(crate) id: ProducerId,
    pub(crate) config: ProducerConfig,
    /// Open batches, one per partition.
    open: BTreeMap<String, BTreeMap<PartitionId, ProducerBatch>>,
    /// Records in `open` and `queued` (kept as a count: this is on the per-record path).
    held_records: usize,
    /// Closed batches waiting to be sent or retried, oldest first.
    queued: VecDeque<ProducerBatch>,
    sticky: BTreeMap<String, (PartitionId, u64)>,
    round_robin: BTreeMap<String, u32>,
    next_sequence: BTreeMap<(String, PartitionId), u32>,
    /// `CompressionRatioEstimator`: the estimated ratio per topic and codec.
    ratios: BTreeMap<String, BTreeMap<Codec, Ratio>>,
    /// Bumped when the broker has lost this producer's earlier records (KIP-360): sequences
    /// start over under the new epoch.
    pub(crate) epoch: u16,
    rng: Rng,
    pub(crate) sent_records: u64,
    pub(crate) acked_records: u64,
    /// Records given up on (failed, or of unknown fate), counted by the cluster when it tells the
    /// producer so.
    pub(crate) failed_records: u64,
    /// Of those, records that may have been written: the producer cannot know (a timeout, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND, or a write that reached a log).
    pub(crate) unknown_records: u64,
    pub(crate) retried_batches: u64,
    /// The transactional side, once `initTransactions()` was called with a `transactional.id`.
    pub(crate) txn: Option<crate::transaction::TxnClient>,
}

impl Producer {
    pub fn id(&self) -> ProducerId {
        self.id
    }

    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// Bumped when the broker has lost this producer's earlier records (KIP-360): sequences
    /// start over under the new epoch.
    pub fn epoch(&self) -> u16 {
        self.epoch
    }

    pub fn sent_records(&self) -> u64 {
        self.sent_records
    }

    pub fn acked_records(&self) -> u64 {
        self.acked_records
    }

    /// Records given up on (failed, or of unknown fate), counted by the cluster when it tells the
    /// producer so.
    pub fn failed_records(&self) -> u64 {
        self.failed_records
    }

    /// Of those, records that may have been written: the producer cannot know (a timeout, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND, or a write that reached a log).
    pub fn unknown_records(&self) -> u64 {
        self.unknown_records
    }

    pub fn retried_batches(&self) -> u64 {
        self.retried_batches
    }

    pub fn new(id: ProducerId, config: ProducerConfig, rng: Rng) -> Producer {
        Producer {
            id,
            config,
            open: BTreeMap::new(),
            held_records: 0,
            queued: VecDeque::new(),
            sticky: BTreeMap::new(),
            round_robin: BTreeMap::new(),
            next_sequence: BTreeMap::new(),
            ratios: BTreeMap::new(),
            epoch: 0,
            rng,
            sent_records: 0,
            acked_records: 0,
            failed_records: 0,
            unknown_records: 0,
            retried_batches: 0,
            txn: None,
        }
    }

    /// The transactional side, if this producer has a `transactional.id`.
    pub fn transaction(&self) -> Option<&crate::transaction::TxnClient> {
        self.txn.as_ref()
    }

    /// The coordinator gave this instance `epoch` (`initTransactions()`, or an EndTxn under
    /// transaction version 2): it sends under it, its sequences from 0 again.
    pub(crate) fn take_epoch(&mut self, epoch: u16) {
        self.epoch = epoch;
        self.next_sequence.clear();
    }

    /// `abortTransaction()` drops what was not sent yet; returns those batches.
    pub(crate) fn drop_unsent(&mut self) -> Vec<ProducerBatch> {
        let mut dropped: Vec<ProducerBatch> = self
            .open
            .values_mut()
            .flat_map(|batches| std::mem::take(batches).into_values())
            .collect();
        dropped.extend(self.queued.drain(..));
        self.held_records = 0;
        dropped
    }

    /// Records accumulated and not yet acknowledged or failed.
    pub fn pending_records(&self) -> usize {
        self.held_records
    }

    /// Picks the partition for a record (`KafkaProducer.partition` and `BuiltInPartitioner`):
    /// explicit, then keyed murmur2 over all partitions, then the null-key partitioner over the
    /// partitions that have a leader (`available`; all of them when none has).
    pub fn choose_partition(
        &mut self,
        topic: &str,
        partitions: u32,
        available: &[PartitionId],
        explicit: Option<PartitionId>,
        record: &NewRecord,
    ) -> PartitionId {
        if let Some(p) = explicit {
            return p;
        }
        if let Some(key) = &record.key {
            return partition_for_key(key, partitions).unwrap_or(PartitionId(0));
        }
        // With no partition leader known, Kafka's partitioners pick among all partitions
        // (BuiltInPartitioner, RoundRobinPartitioner): the send then waits for a leader.
        let every: Vec<PartitionId>;
        let available = if available.is_empty() {
            every = (0..partitions.max(1)).map(PartitionId).collect();
            &every[..]
        } else {
            available
        };
        match self.config.null_key_partitioner {
            NullKeyPartitioner::RoundRobin => {
                if !self.round_robin.contains_key(topic) {
                    self.round_robin.insert(topic.to_string(), 0);
                }
                let counter = self.round_robin.get_mut(topic).expect("inserted above");
                let chosen = available[*counter as usize % available.len()];
                *counter = counter.wrapping_add(1);
                chosen
            }
            NullKeyPartitioner::Sticky => {
                let batch_size = self.config.batch_size_bytes;
                let current = self.sticky.get(topic).copied();
                let (partition, produced) = match current {
                    Some((p, produced)) if produced < batch_size && available.contains(&p) => {
                        (p, produced)
                    }
                    _ => (
                        available[self.rng.below(available.len() as u64) as usize],
                        0,
                    ),
                };
                let state = (partition, produced + record.size_bytes());
                match self.sticky.get_mut(topic) {
                    Some(slot) => *slot = state,
                    None => {
                        self.sticky.insert(topic.to_string(), state);
                    }
                }
                partition
            }
        }
    }

    /// Adds a record to its partition's open batch; a full batch is closed first.
    pub fn accumulate(
        &mut self,
        topic: &str,
        partition: PartitionId,
        record: NewRecord,
        send_id: u64,
        now: Tick,
    ) -> Result<(), &'static str> {
        if self.pending_records() >= ACCUMULATED_RECORDS_MAX {
            return Err("the producer's buffer is full (buffer.memory)");
        }
        let batches = match self.open.get_mut(topic) {
            Some(batches) => batches,
            None => self.open.entry(topic.to_string()).or_default(),
        };
        let record = match batches.get_mut(&partition) {
            Some(open) => match open.try_push(record, send_id, now) {
                Ok(()) => None,
                // Full: it is closed, and the record opens the next batch.
                Err(record) => {
                    if let Some(full) = batches.remove(&partition) {
                        self.queued.push_back(full);
                    }
                    Some(record)
                }
            },
            None => Some(record),
        };
        if let Some(record) = record {
            let (batch_size, codec) = (self.config.batch_size_bytes, self.config.compression);
            let ratio = estimated_ratio(&self.ratios, topic, codec);
            let mut batch =
                ProducerBatch::open(topic, partition, batch_size, &record, (codec, ratio), now);
            // The first record always fits.
            let _ = batch.try_push(record, send_id, now);
            batches.insert(partition, batch);
        }
        self.sent_records += 1;
        self.held_records += 1;
        Ok(())
    }

    /// Batches to send now: open batches that are full or have lingered long enough, and queued
    /// batches whose retry time has come. Respects `max.in.flight` per partition, and gives an
    /// idempotent producer's batches their sequence numbers on first send.
    pub fn drain(&mut self, now: Tick) -> Vec<ProducerBatch> {
        for batches in self.open.values_mut() {
            let ready: Vec<PartitionId> = batches
                .iter()
                .filter(|(_, b)| {
                    b.is_full() || now.ticks_since(b.created_at) >= self.config.linger_ticks
                })
                .map(|(p, _)| *p)
                .collect();
            for partition in ready {
                let batch = batches.remove(&partition).expect("listed above");
                self.queued.push_back(batch);
            }
        }
        let mut out = Vec::new();
        let mut in_flight: BTreeMap<(String, PartitionId), u8> = BTreeMap::new();
        let mut waiting = VecDeque::new();
        while let Some(mut batch) = self.queued.pop_front() {
            let key = (batch.topic.clone(), batch.partition);
            let slots = in_flight.entry(key.clone()).or_insert(0);
            let due = batch.retry_at.is_none_or(|t| t <= now);
            // One partition's batches go in order: a batch waiting for a retry holds back later
            // ones when at most one request may be in flight, and always for the idempotent
            // producer (a later sequence would only be refused as out of order).
            let blocked = *slots >= self.config.max_in_flight;
            if !due || blocked {
                if !due && (self.config.max_in_flight == 1 || self.config.idempotence) {
                    *slots = self.config.max_in_flight;
                }
                waiting.push_back(batch);
                continue;
            }
            *slots += 1;
            if self.config.idempotence && batch.base_sequence.is_none() {
                let next = self.next_sequence.entry(key).or_insert(0);
                batch.base_sequence = Some(*next);
                batch.producer_epoch = self.epoch;
                *next = next.wrapping_add(batch.records.len() as u32);
            }
            if batch.attempts == 0 {
                self.note_ratio(&batch);
            }
            batch.attempts += 1;
            self.held_records -= batch.records.len();
            out.push(batch);
        }
        self.queued = waiting;
        out
    }

    /// A compressed batch closes on its first send and updates its topic's estimate
    /// (`ProducerBatch.close`).
    fn note_ratio(&mut self, batch: &ProducerBatch) {
        if batch.codec == Codec::None {
            return;
        }
        let updated = estimated_ratio(&self.ratios, &batch.topic, batch.codec)
            .updated(batch.observed_ratio());
        if !self.ratios.contains_key(&batch.topic) {
            self.ratios.insert(batch.topic.clone(), BTreeMap::new());
        }
        let topic = self.ratios.get_mut(&batch.topic).expect("inserted above");
        topic.insert(batch.codec, updated);
    }

    /// The idempotent producer's identity on the broker: its id under its current epoch.
    pub fn stamp_id(id: ProducerId, epoch: u16) -> u64 {
        (u64::from(epoch) << 32) | u64::from(id.0)
    }

    /// Whether a batch of `topic`/`partition` with a sequence below `sequence` waits to be sent.
    pub fn holds_earlier(&self, topic: &str, partition: PartitionId, sequence: u32) -> bool {
        self.queued.iter().any(|b| {
            b.topic == topic
                && b.partition == partition
                && b.base_sequence.is_some_and(|s| s < sequence)
        })
    }

    /// KIP-360: the broker lost records this producer had sent, so the sequence gap will never
    /// fill. The producer bumps its epoch and numbers every unsent batch afresh.
    pub fn bump_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.next_sequence.clear();
        for batch in &mut self.queued {
            batch.base_sequence = None;
        }
    }

    /// Puts a batch back for a retry after the backoff, or reports that it is out of retries.
    pub fn retry_later(
        &mut self,
        mut batch: ProducerBatch,
        now: Tick,
    ) -> Result<(), Box<ProducerBatch>> {
        if batch.attempts > self.config.retries {
            return Err(Box::new(batch));
        }
        self.retried_batches += 1;
        let doublings = batch.attempts.saturating_sub(1).min(16);
        let backoff = (self.config.retry_backoff_ticks << doublings)
            .min(RETRY_BACKOFF_MAX_TICKS.max(self.config.retry_backoff_ticks));
        batch.retry_at = Some(now.plus(backoff));
        // Keep the partition's order: a retry goes before the partition's later batches (by
        // sequence for the idempotent producer, like Kafka's in-sequence re-enqueue; otherwise
        // after earlier retries, before fresh batches).
        let position = self
            .queued
            .iter()
            .position(|b| {
                b.topic == batch.topic
                    && b.partition == batch.partition
                    && match (batch.base_sequence, b.base_sequence) {
                        (Some(mine), Some(theirs)) => theirs > mine,
                        (Some(_), None) => true,
                        (None, _) => b.retry_at.is_none(),
                    }
            })
            .unwrap_or(self.queued.len());
        self.held_records += batch.records.len();
        self.queued.insert(position, batch);
        Ok(())
    }

    /// Whether the network loses this attempt's request or response: (request lost, response lost).
    pub fn roll_network_fault(&mut self) -> (bool, bool) {
        if !self.rng.chance_permille(self.config.network_fault_permille) {
            return (false, false);
        }
        let request_lost = self.rng.chance_permille(500);
        (request_lost, !request_lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn producer(config: ProducerConfig) -> Producer {
        Producer::new(ProducerId(1), config, Rng::new(Seed(1)))
    }

    fn all(n: u32) -> Vec<PartitionId> {
        (0..n).map(PartitionId).collect()
    }

    #[test]
    fn keyed_records_use_murmur2_and_explicit_wins() {
        let mut p = producer(ProducerConfig::default());
        assert_eq!(
            p.choose_partition("t", 12, &all(12), None, &NewRecord::keyed("user-1", "v")),
            PartitionId(8)
        );
        assert_eq!(
            p.choose_partition(
                "t",
                12,
                &all(12),
                Some(PartitionId(3)),
                &NewRecord::keyed("user-1", "v")
            ),
            PartitionId(3)
        );
    }

    #[test]
    fn sticky_switches_after_a_batch_worth_of_bytes() {
        let mut p = producer(ProducerConfig {
            batch_size_bytes: 100,
            ..ProducerConfig::default()
        });
        let record = NewRecord::unkeyed("0123456789"); // 18 bytes
        let picks: Vec<PartitionId> = (0..30)
            .map(|_| p.choose_partition("t", 6, &all(6), None, &record))
            .collect();
        // 6 records (108 bytes) per stick, then a random new choice.
        assert!(picks[..6].iter().all(|x| *x == picks[0]));
        let switches = picks.windows(2).filter(|w| w[0] != w[1]).count();
        assert!((1..=5).contains(&switches), "{picks:?}");
    }

    #[test]
    fn round_robin_cycles_over_available_partitions() {
        let mut p = producer(ProducerConfig {
            null_key_partitioner: NullKeyPartitioner::RoundRobin,
            ..ProducerConfig::default()
        });
        let available = [PartitionId(0), PartitionId(2), PartitionId(3)];
        let picks: Vec<u32> = (0..6)
            .map(|_| {
                p.choose_partition("t", 4, &available, None, &NewRecord::unkeyed("v"))
                    .0
            })
            .collect();
        assert_eq!(picks, vec![0, 2, 3, 0, 2, 3]);
    }

    #[test]
    fn with_every_partition_offline_null_keys_still_get_a_partition() {
        for partitioner in [NullKeyPartitioner::RoundRobin, NullKeyPartitioner::Sticky] {
            let mut p = producer(ProducerConfig {
                null_key_partitioner: partitioner,
                ..ProducerConfig::default()
            });
            let chosen = p.choose_partition("t", 3, &[], None, &NewRecord::unkeyed("v"));
            assert!(chosen.0 < 3, "{partitioner:?} chose {chosen:?}");
        }
    }

    #[test]
    fn batches_close_when_full_or_lingered_and_get_sequences() {
        let mut p = producer(ProducerConfig {
            batch_size_bytes: 61 + 2 * 17,
            linger_ticks: 3,
            ..ProducerConfig::default()
        });
        for _ in 0..5 {
            p.accumulate(
                "t",
                PartitionId(0),
                NewRecord::unkeyed("0123456789"),
                0,
                Tick(0),
            )
            .unwrap();
        }
        // 17 bytes each, after the 61-byte header: batches of 2, 2, and an open one with 1.
        let sent = p.drain(Tick(0));
        assert_eq!(
            sent.iter().map(|b| b.records.len()).collect::<Vec<_>>(),
            vec![2, 2]
        );
        assert_eq!(
            sent.iter().map(|b| b.base_sequence).collect::<Vec<_>>(),
            vec![Some(0), Some(2)]
        );
        assert!(p.drain(Tick(2)).is_empty(), "the last batch lingers");
        let last = p.drain(Tick(3));
        assert_eq!((last.len(), last[0].base_sequence), (1, Some(4)));
    }

    /// A record with a 10-byte key and a 20-byte value: 37 bytes at offset deltas 0 to 63 (length
    /// 1 + attributes 1 + timestamp delta 1 + offset delta 1 + key 11 + value 21 + headers 1),
    /// 38 from 64 on (the zig-zag offset delta takes 2 bytes).
    fn record_37() -> NewRecord {
        NewRecord::keyed("k123456789", "v1234567890123456789")
    }

    /// Sizes of the batches `count` copies of `record` make at `config`, all sent at tick 0.
    fn batch_sizes(config: ProducerConfig, record: &NewRecord, count: usize) -> Vec<usize> {
        let mut p = producer(config);
        for id in 0..count {
            p.accumulate("t", PartitionId(0), record.clone(), id as u64, Tick(0))
                .unwrap();
        }
        p.drain(Tick(0)).iter().map(|b| b.records.len()).collect()
    }

    fn batch_size(bytes: u64) -> ProducerConfig {
        ProducerConfig {
            batch_size_bytes: bytes,
            linger_ticks: 0,
            ..ProducerConfig::default()
        }
    }

    #[test]
    fn batch_size_counts_the_header_so_64_bytes_hold_one_record() {
        // Lesson 16's records: 20 to 22 bytes, so 61 + 20 already passes 64.
        let record = NewRecord::keyed("user-1", "order 1");
        assert_eq!(compression::record_len(&record, 1, 0), 20);
        assert_eq!(batch_sizes(batch_size(64), &record, 5), vec![1; 5]);
    }

    #[test]
    fn exactly_n_records_fit_where_the_formula_says() {
        assert_eq!(compression::record_len(&record_37(), 63, 0), 37);
        assert_eq!(compression::record_len(&record_37(), 64, 0), 38);
        // 61 + 3 × 37 = 172: three fit, a fourth does not; one byte less and only two do.
        assert_eq!(batch_sizes(batch_size(172), &record_37(), 7), vec![3, 3, 1]);
        assert_eq!(
            batch_sizes(batch_size(171), &record_37(), 7),
            vec![2, 2, 2, 1]
        );
        // The default 16 KiB: the most n with 61 + 64 × 37 + (n - 64) × 38 <= 16,384.
        let fits =
            |n: u64| 61 + (0..n).map(|d| if d < 64 { 37 } else { 38 }).sum::<u64>() <= 16_384;
        let n = (1..).take_while(|n| fits(*n)).last().unwrap();
        assert_eq!(n, 431);
        let sizes = batch_sizes(ProducerConfig::default(), &record_37(), 1_000);
        assert_eq!(sizes, vec![431, 431, 138]);
    }

    #[test]
    fn batch_size_zero_leaves_only_the_first_records_upper_bound() {
        // The buffer is the header plus the first record's upper bound (21 bytes of overhead
        // plus key, value and headers): 61 + 21 + 11 + 21 + 1 = 115, and 61 + 37 + 37 > 115.
        assert_eq!(batch_sizes(batch_size(0), &record_37(), 3), vec![1, 1, 1]);
        // That bound leaves 17 bytes of slack after a small record: a second 17-byte record
        // (no key, a 10-byte value) fills it exactly, as in the Java client.
        let tiny = NewRecord::unkeyed("0123456789");
        assert_eq!(compression::record_len(&tiny, 1, 0), 17);
        assert_eq!(batch_sizes(batch_size(0), &tiny, 5), vec![2, 2, 1]);
    }

    #[test]
    fn a_record_sent_a_tick_later_carries_a_longer_timestamp_delta() {
        let mut p = producer(ProducerConfig {
            linger_ticks: 5,
            ..ProducerConfig::default()
        });
        for tick in [0, 1] {
            p.accumulate("t", PartitionId(0), record_37(), tick, Tick(tick))
                .unwrap();
        }
        // 100 ms is zig-zag 200: a 2-byte varlong.
        let sent = p.drain(Tick(5));
        assert_eq!(sent[0].bytes, 37 + 38);
        // A first record's own timestamp is the base, whenever it is sent.
        let stamped = NewRecord {
            timestamp: Some(Tick(1_000)),
            ..record_37()
        };
        p.accumulate("t", PartitionId(0), stamped, 2, Tick(6))
            .unwrap();
        assert_eq!(p.drain(Tick(11))[0].bytes, 37);
    }

    #[test]
    fn a_compressed_batch_counts_its_records_at_the_estimated_ratio_and_margin() {
        let gzip = ProducerConfig {
            compression: Codec::Gzip,
            ..batch_size(172)
        };
        // The ratio starts at 1.0: two records count as (74 × 1.05) as int = 77, and
        // 61 + 77 + 37 = 175 > 172, so two fit where three fit uncompressed.
        assert_eq!(batch_sizes(gzip, &record_37(), 5), vec![2, 2, 1]);
    }

    #[test]
    fn the_ratio_estimate_follows_java() {
        // CompressionRatioEstimatorTest's cases: up by at least 0.05, down by at most 0.005,
        // never below the observed ratio.
        for (current, observed, expected) in [
            (0.8f32, 0.84f32, 0.85f32),
            (0.6, 0.7, 0.7),
            (0.6, 0.4, 0.595),
            (0.004, 0.001, 0.001),
        ] {
            assert_eq!(
                Ratio(current).updated(observed),
                Ratio(expected),
                "{current} {observed}"
            );
        }
        let mut p = producer(ProducerConfig {
            compression: Codec::Gzip,
            ..ProducerConfig::default()
        });
        for id in 0..50 {
            p.accumulate("t", PartitionId(0), record_37(), id, Tick(0))
                .unwrap();
        }
        p.drain(Tick(0));
        assert_eq!(estimated_ratio(&p.ratios, "t", Codec::Gzip), Ratio(0.995));
        assert_eq!(estimated_ratio(&p.ratios, "t", Codec::Lz4), Ratio::INITIAL);
    }

    #[test]
    fn retries_keep_order_and_run_out() {
        let mut p = producer(ProducerConfig {
            retries: 1,
            max_in_flight: 1,
            ..ProducerConfig::default()
        });
        p.accumulate("t", PartitionId(0), NewRecord::unkeyed("a"), 0, Tick(0))
            .unwrap();
        let first = p.drain(Tick(0)).remove(0);
        p.accumulate("t", PartitionId(0), NewRecord::unkeyed("b"), 1, Tick(0))
            .unwrap();
        p.retry_later(first, Tick(0)).unwrap();
        assert!(
            p.drain(Tick(0)).is_empty(),
            "with one request in flight, b waits behind a's retry"
        );
        let again = p.drain(Tick(1));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].records[0], NewRecord::unkeyed("a"));
        assert!(
            p.retry_later(again[0].clone(), Tick(1)).is_err(),
            "out of retries"
        );
    }
}
