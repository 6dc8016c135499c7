//! The stream-table join: each stream row is enriched with the table's row for its key.
//!
//! The table is a changelog: every row on the right input is a new version of its key's row.
//! Which version a stream row sees depends on the join's notion of time:
//!
//! - [`JoinTime::EventTime`] is Flink SQL's event-time temporal join
//!   (`JOIN t FOR SYSTEM_TIME AS OF s.ts`) and the feature store's point-in-time rule: the latest
//!   table version with `version.ts <= row.ts` (of two versions with equal times, the later
//!   arrival). A stream row waits in state until the watermark over both inputs passes its event
//!   time (`row.ts < W`), because only then can no version it should see still arrive; it is then
//!   emitted, in event-time order. Rows of either input below the watermark on arrival are dropped
//!   and counted, so the result is the as-of join of the accepted rows whatever their arrival
//!   order. The table keeps, per key, every version at or after `W` and the newest one before it.
//! - [`JoinTime::ProcessingTime`] is a lookup join (`FOR SYSTEM_TIME AS OF proctime`): the row
//!   joins at once with whatever version arrived last. Its result depends on how the two inputs
//!   interleave on arrival, not on event time: the same rows replayed in another order join
//!   differently. Flink's documentation says as much; the lab shows it side by side.
//!
//! A TTL on processing time since a key's last table write bounds the table (Flink SQL's
//! `table.exec.state.ttl`): a key not updated within it is forgotten, and stream rows of that key
//! then find nothing. In an inner join a stream row without a version is dropped (counted); in a
//! left join it is emitted with NULLs for the table's fields. Either way the output carries the
//! stream row's event time and its fields followed by the table's.

use super::{is_matchable, JoinInputs, Side};
use crate::operator::{hash_values, Operator, OutputRecord, SourceRecord};
use crate::state_ttl::TtlState;
use crate::value::{DurationUs, Key, StreamError, StreamValue, TimeUs};
use crate::watermark::{PartitionWatermark, WatermarkTracker};
use std::collections::BTreeMap;

/// Which version of the table a stream row reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinTime {
    /// The version as of the row's event time (deterministic).
    EventTime,
    /// The version that arrived last before the row (depends on arrival order).
    ProcessingTime,
}

/// What happens to a stream row the table has no version for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// Dropped.
    Inner,
    /// Emitted with NULLs for the table's fields.
    Left,
}

/// A stream-table join's settings. The left input is the stream, the right the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamTableJoinConfig {
    pub inputs: JoinInputs,
    pub time: JoinTime,
    pub kind: JoinKind,
    /// How many fields a table row has (the NULLs a left join pads with).
    pub table_fields: usize,
    /// A key's table rows are forgotten this long (processing time) after its last write.
    pub ttl: Option<DurationUs>,
}

/// Counters for the UI and the goals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTableJoinStats {
    pub stream_in: u64,
    pub table_in: u64,
    /// Stream rows emitted with a table version.
    pub matched: u64,
    /// Stream rows without a version (dropped in an inner join, padded in a left join).
    pub unmatched: u64,
    /// Rows below the watermark on arrival, dropped (event time only).
    pub late_dropped: u64,
    /// Table rows whose key holds a NULL (no stream row can match them).
    pub null_key: u64,
    /// Rows whose event time was NULL.
    pub invalid: u64,
    /// Table keys forgotten by the TTL.
    pub state_expired: u64,
}

/// A stream row waiting for the watermark: its key and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PendingRow {
    key: Key,
    values: Vec<StreamValue>,
}

/// A key's table versions by event time.
type Versions = BTreeMap<TimeUs, Vec<StreamValue>>;

/// The stream-table join operator (its `Clone` is its checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamTableJoin {
    config: StreamTableJoinConfig,
    watermark: WatermarkTracker,
    table: TtlState<Key, Versions>,
    /// Stream rows by (event time, arrival number), waiting until `ts < W` (event time only).
    pending: BTreeMap<(TimeUs, u64), PendingRow>,
    rows_seen: u64,
    stats: StreamTableJoinStats,
}

impl StreamTableJoin {
    /// A new stream-table join, or why the settings are impossible.
    pub fn new(config: StreamTableJoinConfig) -> Result<StreamTableJoin, StreamError> {
        config.inputs.validate()?;
        Ok(StreamTableJoin {
            watermark: config.inputs.tracker(),
            table: TtlState::new(config.ttl)?,
            pending: BTreeMap::new(),
            rows_seen: 0,
            stats: StreamTableJoinStats::default(),
            config,
        })
    }

    pub fn config(&self) -> &StreamTableJoinConfig {
        &self.config
    }

    /// The join's watermark over both inputs.
    pub fn watermark(&self) -> TimeUs {
        self.watermark.current()
    }

    /// Each partition's watermark, for the UI.
    pub fn watermarks(&self) -> Vec<PartitionWatermark> {
        self.watermark.partitions()
    }

    /// The counters, with the TTL's expiry count read from the state.
    pub fn stats(&self) -> StreamTableJoinStats {
        StreamTableJoinStats {
            state_expired: self.table.expired(),
            ..self.stats
        }
    }

    /// Stream rows waiting for the watermark.
    pub fn pending_rows(&self) -> u64 {
        self.pending.len() as u64
    }

    /// The table version a stream row of `key` at `ts` reads at processing time `now`.
    fn version_for(&self, key: &Key, ts: TimeUs, now: TimeUs) -> Option<&Vec<StreamValue>> {
        if !is_matchable(key) {
            return None;
        }
        let versions = self.table.get(key, now)?;
        match self.config.time {
            JoinTime::EventTime => versions.range(..=ts).next_back().map(|(_, v)| v),
            JoinTime::ProcessingTime => versions.values().next_back(),
        }
    }

    /// The output row of a stream row, or None when an inner join drops it.
    fn enrich(
        &mut self,
        key: &Key,
        ts: TimeUs,
        values: &[StreamValue],
        now: TimeUs,
    ) -> Option<OutputRecord> {
        let table_values = match self.version_for(key, ts, now).cloned() {
            Some(version) => {
                self.stats.matched += 1;
                version
            }
            None => {
                self.stats.unmatched += 1;
                match self.config.kind {
                    JoinKind::Inner => return None,
                    JoinKind::Left => vec![StreamValue::Null; self.config.table_fields],
                }
            }
        };
        Some(OutputRecord {
            key: key.clone(),
            values: values.iter().cloned().chain(table_values).collect(),
            ts,
        })
    }

    /// Stores a table row as its key's newest version (processing time: its only version).
    fn write_version(&mut self, key: Key, ts: TimeUs, values: Vec<StreamValue>, now: TimeUs) {
        let event_time = self.config.time == JoinTime::EventTime;
        let w = self.watermark.current();
        let mut versions = self.table.remove(&key, now).unwrap_or_default();
        if !event_time {
            versions.clear();
        }
        versions.insert(ts, values);
        if event_time {
            prune_versions(&mut versions, w);
        }
        self.table.put(key, versions, now);
    }

    /// Emits, in event-time order, the waiting stream rows the watermark has passed (`ts < W`).
    fn release_passed(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        let w = self.watermark.current();
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 >= w {
                break;
            }
            let ((ts, _), row) = entry.remove_entry();
            out.extend(self.enrich(&row.key, ts, &row.values, now));
        }
        out
    }

    fn process_stream_row(&mut self, record: &SourceRecord, ts: TimeUs) -> Vec<OutputRecord> {
        self.stats.stream_in += 1;
        match self.config.time {
            JoinTime::ProcessingTime => self
                .enrich(&record.key, ts, &record.values, record.arrival)
                .into_iter()
                .collect(),
            JoinTime::EventTime => {
                let row = PendingRow {
                    key: record.key.clone(),
                    values: record.values.clone(),
                };
                self.pending.insert((ts, self.rows_seen), row);
                Vec::new()
            }
        }
    }

    fn process_table_row(&mut self, record: &SourceRecord, ts: TimeUs) {
        self.stats.table_in += 1;
        if !is_matchable(&record.key) {
            self.stats.null_key += 1;
            return;
        }
        self.write_version(
            record.key.clone(),
            ts,
            record.values.clone(),
            record.arrival,
        );
    }
}

/// Drops the versions no waiting or future stream row can read: all before the newest one
/// older than `w` (stream rows still to join have `ts >= w`).
fn prune_versions(versions: &mut Versions, w: TimeUs) {
    let Some(&newest_before_w) = versions.range(..w).next_back().map(|(ts, _)| ts) else {
        return;
    };
    versions.retain(|ts, _| *ts >= newest_before_w);
}

impl Operator for StreamTableJoin {
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
        self.rows_seen += 1;
        let side = self.config.inputs.side_of(record.partition);
        let Some(ts) = record.ts else {
            self.stats.invalid += 1;
            return Vec::new();
        };
        let event_time = self.config.time == JoinTime::EventTime;
        if event_time && ts < self.watermark.current() {
            self.watermark.observe(record.partition, ts, record.arrival);
            self.stats.late_dropped += 1;
            return self.release_passed(record.arrival);
        }
        let mut out = match side {
            Side::Left => self.process_stream_row(record, ts),
            Side::Right => {
                self.process_table_row(record, ts);
                Vec::new()
            }
        };
        if event_time {
            self.watermark.observe(record.partition, ts, record.arrival);
            out.extend(self.release_passed(record.arrival));
        }
        out
    }

    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        let mut out = Vec::new();
        if self.config.time == JoinTime::EventTime {
            self.watermark.on_processing_time(now);
            out = self.release_passed(now);
        }
        self.table.expire(now);
        out
    }

    fn finish(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        self.watermark.finish();
        self.release_passed(now)
    }

    fn state_rows(&self) -> u64 {
        let versions: usize = self.table.held().map(|(_, v)| v.len()).sum();
        versions as u64 + self.pending.len() as u64
    }

    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        self.watermark.hash_into(hasher);
        self.table.hash_into(hasher, |key, versions, h| {
            hash_values(key, h);
            h.u64(versions.len() as u64);
            for (ts, values) in versions {
                h.u64(ts.0 as u64);
                hash_values(values, h);
            }
        });
        hasher.u64(self.pending.len() as u64);
        for ((ts, seq), row) in &self.pending {
            hasher.u64(ts.0 as u64);
            hasher.u64(*seq);
            hash_values(&row.key, hasher);
            hash_values(&row.values, hasher);
        }
        hasher.u64(self.rows_seen);
        let s = self.stats;
        for n in [
            s.stream_in,
            s.table_in,
            s.matched,
            s.unmatched,
            s.late_dropped,
            s.null_key,
            s.invalid,
        ] {
            hasher.u64(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watermark::PartitionId;

    const STREAM: u32 = 0;
    const TABLE: u32 = 1;

    fn config(time: JoinTime, kind: JoinKind, delay: i64) -> StreamTableJoinConfig {
        StreamTableJoinConfig {
            inputs: JoinInputs {
                left_partitions: 1,
                right_partitions: 1,
                delay: DurationUs(delay),
                idle_timeout: None,
            },
            time,
            kind,
            table_fields: 1,
            ttl: None,
        }
    }

    fn join(time: JoinTime, kind: JoinKind, delay: i64) -> StreamTableJoin {
        StreamTableJoin::new(config(time, kind, delay)).expect("valid join")
    }

    fn rec(partition: u32, key: &str, ts: i64, arrival: i64, tag: &str) -> SourceRecord {
        SourceRecord {
            partition: PartitionId(partition),
            offset: 0,
            arrival: TimeUs(arrival),
            ts: Some(TimeUs(ts)),
            key: vec![StreamValue::text(key)],
            values: vec![StreamValue::text(tag)],
        }
    }

    /// (stream tag, table tag or NULL, ts) of each output row.
    fn rows(out: &[OutputRecord]) -> Vec<(String, String, i64)> {
        out.iter()
            .map(|o| (o.values[0].to_string(), o.values[1].to_string(), o.ts.0))
            .collect()
    }

    fn row(s: &str, t: &str, ts: i64) -> (String, String, i64) {
        (s.to_string(), t.to_string(), ts)
    }

    /// The same two table versions and two stream rows, arriving table first or stream first.
    fn two_arrival_orders() -> ([SourceRecord; 4], [SourceRecord; 4]) {
        let table_first = [
            rec(TABLE, "u", 10, 0, "v10"),
            rec(TABLE, "u", 20, 1, "v20"),
            rec(STREAM, "u", 25, 2, "s25"),
            rec(STREAM, "u", 12, 3, "s12"),
        ];
        let stream_first = [
            rec(STREAM, "u", 25, 0, "s25"),
            rec(STREAM, "u", 12, 1, "s12"),
            rec(TABLE, "u", 20, 2, "v20"),
            rec(TABLE, "u", 10, 3, "v10"),
        ];
        (table_first, stream_first)
    }

    fn run(j: &mut StreamTableJoin, records: &[SourceRecord]) -> Vec<OutputRecord> {
        let mut out: Vec<OutputRecord> = records.iter().flat_map(|r| j.process(r)).collect();
        out.extend(j.finish(TimeUs(1_000)));
        out
    }

    #[test]
    fn event_time_reads_the_latest_version_at_or_before_the_row() {
        let mut j = join(JoinTime::EventTime, JoinKind::Left, 100);
        let records = [
            rec(TABLE, "u", 10, 0, "v10"),
            rec(TABLE, "u", 20, 1, "v20"),
            rec(STREAM, "u", 5, 2, "s5"),
            rec(STREAM, "u", 15, 3, "s15"),
            rec(STREAM, "u", 20, 4, "s20"),
        ];
        let out = run(&mut j, &records);
        assert_eq!(
            rows(&out),
            vec![
                row("s5", "NULL", 5),
                row("s15", "v10", 15),
                row("s20", "v20", 20)
            ]
        );
        assert_eq!((j.stats().matched, j.stats().unmatched), (2, 1));
    }

    #[test]
    fn an_event_time_row_waits_until_the_watermark_passes_it() {
        let mut j = join(JoinTime::EventTime, JoinKind::Inner, 0);
        assert!(j.process(&rec(STREAM, "u", 15, 0, "s15")).is_empty());
        assert!(
            j.process(&rec(TABLE, "u", 10, 1, "v10")).is_empty(),
            "W = 10"
        );
        // A version at 15 can still arrive (15 >= W): the row waits. One at exactly 15 counts.
        assert!(
            j.process(&rec(TABLE, "u", 15, 2, "v15")).is_empty(),
            "W = 15, not past 15"
        );
        assert!(
            j.process(&rec(STREAM, "u", 16, 3, "s16")).is_empty(),
            "the table holds W"
        );
        let out = j.process(&rec(TABLE, "u", 16, 4, "v16"));
        assert_eq!(rows(&out), vec![row("s15", "v15", 15)]);
        assert_eq!(j.pending_rows(), 1, "s16 waits for W > 16");
    }

    #[test]
    fn event_time_results_do_not_depend_on_arrival_order() {
        let (table_first, stream_first) = two_arrival_orders();
        let a = run(
            &mut join(JoinTime::EventTime, JoinKind::Inner, 100),
            &table_first,
        );
        let b = run(
            &mut join(JoinTime::EventTime, JoinKind::Inner, 100),
            &stream_first,
        );
        assert_eq!(rows(&a), vec![row("s12", "v10", 12), row("s25", "v20", 25)]);
        assert_eq!(rows(&a), rows(&b));
    }

    #[test]
    fn processing_time_results_depend_on_arrival_order() {
        // The same rows as above: a lookup join reads whatever version arrived last.
        let (table_first, stream_first) = two_arrival_orders();
        let a = run(
            &mut join(JoinTime::ProcessingTime, JoinKind::Left, 0),
            &table_first,
        );
        let b = run(
            &mut join(JoinTime::ProcessingTime, JoinKind::Left, 0),
            &stream_first,
        );
        assert_eq!(rows(&a), vec![row("s25", "v20", 25), row("s12", "v20", 12)]);
        assert_eq!(
            rows(&b),
            vec![row("s25", "NULL", 25), row("s12", "NULL", 12)]
        );
        let interleaved = [
            rec(TABLE, "u", 20, 0, "v20"),
            rec(TABLE, "u", 10, 1, "v10"),
            rec(STREAM, "u", 25, 2, "s25"),
        ];
        let c = run(
            &mut join(JoinTime::ProcessingTime, JoinKind::Left, 0),
            &interleaved,
        );
        assert_eq!(
            rows(&c),
            vec![row("s25", "v10", 25)],
            "the last arrival wins, not the newest"
        );
    }

    #[test]
    fn late_rows_of_either_input_are_dropped_in_event_time() {
        let mut j = join(JoinTime::EventTime, JoinKind::Left, 0);
        j.process(&rec(STREAM, "u", 50, 0, "s50"));
        j.process(&rec(TABLE, "u", 40, 1, "v40"));
        assert_eq!(j.watermark(), TimeUs(40));
        j.process(&rec(TABLE, "u", 39, 2, "late_version"));
        j.process(&rec(STREAM, "u", 39, 3, "late_row"));
        let out = j.finish(TimeUs(10));
        assert_eq!(rows(&out), vec![row("s50", "v40", 50)]);
        assert_eq!(j.stats().late_dropped, 2);
    }

    #[test]
    fn the_table_keeps_only_versions_a_future_row_can_read() {
        let mut j = join(JoinTime::EventTime, JoinKind::Inner, 0);
        for (i, ts) in [10, 20, 30].into_iter().enumerate() {
            j.process(&rec(TABLE, "u", ts, i as i64, "v"));
        }
        j.process(&rec(STREAM, "x", 25, 3, "s"));
        // W = 25: the version at 20 is the newest before W; the one at 10 goes at the next write.
        j.process(&rec(TABLE, "u", 40, 4, "v40"));
        let held: Vec<i64> = j
            .table
            .held()
            .flat_map(|(_, v)| v.keys().map(|t| t.0))
            .collect();
        assert_eq!(held, vec![20, 30, 40]);
        assert_eq!(
            j.state_rows(),
            4,
            "three versions and the waiting stream row"
        );
    }

    #[test]
    fn a_ttl_forgets_a_table_key_not_written_within_it() {
        let mut j = StreamTableJoin::new(StreamTableJoinConfig {
            ttl: Some(DurationUs(100)),
            ..config(JoinTime::ProcessingTime, JoinKind::Inner, 0)
        })
        .expect("valid join");
        j.process(&rec(TABLE, "u", 0, 0, "v"));
        assert_eq!(
            rows(&j.process(&rec(STREAM, "u", 1, 99, "s1"))),
            vec![row("s1", "v", 1)]
        );
        assert!(
            j.process(&rec(STREAM, "u", 2, 100, "s2")).is_empty(),
            "expired at 0 + 100"
        );
        j.on_processing_time(TimeUs(100));
        assert_eq!((j.state_rows(), j.stats().state_expired), (0, 1));
    }

    #[test]
    fn an_idle_table_stops_holding_back_waiting_rows() {
        let mut j = StreamTableJoin::new(StreamTableJoinConfig {
            inputs: JoinInputs {
                idle_timeout: Some(DurationUs(50)),
                ..config(JoinTime::EventTime, JoinKind::Left, 0).inputs
            },
            ..config(JoinTime::EventTime, JoinKind::Left, 0)
        })
        .expect("valid join");
        j.process(&rec(STREAM, "u", 10, 0, "s10"));
        j.process(&rec(STREAM, "u", 20, 10, "s20"));
        assert!(
            j.on_processing_time(TimeUs(49)).is_empty(),
            "the silent table holds W"
        );
        let out = j.on_processing_time(TimeUs(50));
        assert_eq!(rows(&out), vec![row("s10", "NULL", 10)]);
        assert_eq!(j.watermark(), TimeUs(20));
    }

    #[test]
    fn a_null_key_matches_nothing() {
        let mut j = join(JoinTime::ProcessingTime, JoinKind::Left, 0);
        let mut t = rec(TABLE, "u", 0, 0, "v");
        t.key = vec![StreamValue::Null];
        j.process(&t);
        let mut s = rec(STREAM, "u", 0, 1, "s");
        s.key = vec![StreamValue::Null];
        assert_eq!(rows(&j.process(&s)), vec![row("s", "NULL", 0)]);
        assert_eq!(j.stats().null_key, 1);
    }
}
