//! The interval join: each left row meets the right rows of its key whose event time lies within
//! `[left.ts + lower, left.ts + upper]`, both bounds inclusive, as Flink's `IntervalJoinOperator`
//! (DataStream `intervalJoin(...).between(lower, upper)`, and what Flink SQL plans for
//! `r.ts BETWEEN l.ts + lower AND l.ts + upper`). An exclusive bound is the inclusive one moved by
//! one microsecond.
//!
//! Both sides are buffered. A row whose event time is below the watermark when it arrives is
//! dropped and counted (Flink drops it silently): it could have matched rows already cleaned up.
//! The watermark bounds the state: no row at or after `W` can match a left row once
//! `W > ts + upper`, nor a right row once `W > ts - lower`, so a left row is kept while
//! `W <= ts + upper` and a right row while `W <= ts - lower`. A joined row carries the later of
//! the two event times. A TTL on processing time can bound the state further (rows it removes
//! are counted as expired, and the matches they would have made are lost).

use super::{is_matchable, JoinInputs, Side};
use crate::operator::{hash_values, Operator, OutputRecord, SourceRecord};
use crate::state_ttl::TtlState;
use crate::value::{DurationUs, Key, StreamError, StreamValue, TimeUs};
use crate::watermark::{PartitionWatermark, WatermarkTracker};
use std::collections::BTreeSet;

/// An interval join's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntervalJoinConfig {
    pub inputs: JoinInputs,
    /// A right row matches when `left.ts + lower <= right.ts <= left.ts + upper`.
    pub lower: DurationUs,
    pub upper: DurationUs,
    /// Rows are also forgotten this long (processing time) after they arrived (None: only the
    /// watermark cleans up).
    pub ttl: Option<DurationUs>,
}

/// Counters for the UI and the goals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntervalJoinStats {
    pub left_in: u64,
    pub right_in: u64,
    /// Joined rows emitted.
    pub joined: u64,
    /// Rows below the watermark on arrival, dropped.
    pub late_dropped: u64,
    /// Rows whose key holds a NULL (they match nothing).
    pub null_key: u64,
    /// Rows whose event time was NULL.
    pub invalid: u64,
    /// Buffered rows removed because the watermark passed their last possible match.
    pub cleaned: u64,
    /// Buffered rows removed by the TTL.
    pub state_expired: u64,
}

/// Where a buffered row lives: its key, event time and arrival number (ties by arrival).
type RowKey = (Key, TimeUs, u64);

/// The interval join operator (its `Clone` is its checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalJoin {
    config: IntervalJoinConfig,
    watermark: WatermarkTracker,
    left: TtlState<RowKey, Vec<StreamValue>>,
    right: TtlState<RowKey, Vec<StreamValue>>,
    /// (last watermark that can still match it, side, row): the watermark cleanup order.
    cleanup: BTreeSet<(TimeUs, Side, RowKey)>,
    rows_seen: u64,
    stats: IntervalJoinStats,
}

impl IntervalJoin {
    /// A new interval join, or why the settings are impossible.
    pub fn new(config: IntervalJoinConfig) -> Result<IntervalJoin, StreamError> {
        config.inputs.validate()?;
        if config.lower > config.upper {
            return Err(StreamError::new(
                format!(
                    "the interval's lower bound ({} µs) is above its upper bound ({} µs)",
                    config.lower.0, config.upper.0
                ),
                "write the bounds as BETWEEN l.ts + lower AND l.ts + upper with lower <= upper",
            ));
        }
        Ok(IntervalJoin {
            watermark: config.inputs.tracker(),
            left: TtlState::new(config.ttl)?,
            right: TtlState::new(config.ttl)?,
            cleanup: BTreeSet::new(),
            rows_seen: 0,
            stats: IntervalJoinStats::default(),
            config,
        })
    }

    pub fn config(&self) -> &IntervalJoinConfig {
        &self.config
    }

    /// The join's watermark (the minimum over both inputs' active partitions).
    pub fn watermark(&self) -> TimeUs {
        self.watermark.current()
    }

    /// Each partition's watermark, for the UI.
    pub fn watermarks(&self) -> Vec<PartitionWatermark> {
        self.watermark.partitions()
    }

    /// The counters, with the TTL's expiry counts read from the state.
    pub fn stats(&self) -> IntervalJoinStats {
        IntervalJoinStats {
            state_expired: self.left.expired() + self.right.expired(),
            ..self.stats
        }
    }

    /// Rows buffered per side (left, right).
    pub fn buffered(&self) -> (u64, u64) {
        (self.left.len(), self.right.len())
    }

    /// The last watermark at which a buffered row can still meet a new row of the other side.
    fn keep_until(&self, side: Side, ts: TimeUs) -> TimeUs {
        match side {
            Side::Left => ts.plus(self.config.upper),
            Side::Right => ts.minus(self.config.lower),
        }
    }

    /// The event times of the other side's rows that a row of `side` at `ts` matches.
    fn match_range(&self, side: Side, ts: TimeUs) -> (TimeUs, TimeUs) {
        match side {
            Side::Left => (ts.plus(self.config.lower), ts.plus(self.config.upper)),
            Side::Right => (ts.minus(self.config.upper), ts.minus(self.config.lower)),
        }
    }

    /// The joined rows of a new row of `side` with the other side's buffered rows.
    fn matches(
        &self,
        side: Side,
        key: &Key,
        ts: TimeUs,
        values: &[StreamValue],
        now: TimeUs,
    ) -> Vec<OutputRecord> {
        let (from, to) = self.match_range(side, ts);
        let other = match side {
            Side::Left => &self.right,
            Side::Right => &self.left,
        };
        let range = (key.clone(), from, 0)..=(key.clone(), to, u64::MAX);
        other
            .range(range, now)
            .map(|((_, other_ts, _), other_values)| {
                let (left_values, right_values) = match side {
                    Side::Left => (values, other_values.as_slice()),
                    Side::Right => (other_values.as_slice(), values),
                };
                OutputRecord {
                    key: key.clone(),
                    values: left_values.iter().chain(right_values).cloned().collect(),
                    ts: ts.max(*other_ts),
                }
            })
            .collect()
    }

    /// Buffers a row of `side` until the watermark passes its last possible match.
    fn buffer(&mut self, side: Side, key: Key, ts: TimeUs, values: Vec<StreamValue>, now: TimeUs) {
        let row_key = (key, ts, self.rows_seen);
        self.cleanup
            .insert((self.keep_until(side, ts), side, row_key.clone()));
        match side {
            Side::Left => self.left.put(row_key, values, now),
            Side::Right => self.right.put(row_key, values, now),
        }
    }

    /// Removes the rows no new row can match any more: those with `keep_until < W`.
    fn clean_up_to_watermark(&mut self, now: TimeUs) {
        let w = self.watermark.current();
        while let Some(first) = self.cleanup.first() {
            if first.0 >= w {
                break;
            }
            let Some((_, side, row_key)) = self.cleanup.pop_first() else {
                break;
            };
            let removed = match side {
                Side::Left => self.left.remove(&row_key, now),
                Side::Right => self.right.remove(&row_key, now),
            };
            if removed.is_some() {
                self.stats.cleaned += 1;
            }
        }
    }

    fn count_input(&mut self, side: Side) {
        match side {
            Side::Left => self.stats.left_in += 1,
            Side::Right => self.stats.right_in += 1,
        }
    }
}

impl Operator for IntervalJoin {
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
        let side = self.config.inputs.side_of(record.partition);
        self.count_input(side);
        self.rows_seen += 1;
        let Some(ts) = record.ts else {
            self.stats.invalid += 1;
            return Vec::new();
        };
        let late = ts < self.watermark.current();
        self.watermark.observe(record.partition, ts, record.arrival);
        let out = if late {
            self.stats.late_dropped += 1;
            Vec::new()
        } else if !is_matchable(&record.key) {
            self.stats.null_key += 1;
            Vec::new()
        } else {
            let out = self.matches(side, &record.key, ts, &record.values, record.arrival);
            self.buffer(
                side,
                record.key.clone(),
                ts,
                record.values.clone(),
                record.arrival,
            );
            out
        };
        self.stats.joined += out.len() as u64;
        self.clean_up_to_watermark(record.arrival);
        out
    }

    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        self.watermark.on_processing_time(now);
        self.clean_up_to_watermark(now);
        for side in [Side::Left, Side::Right] {
            let expired = match side {
                Side::Left => self.left.expire_keys(now),
                Side::Right => self.right.expire_keys(now),
            };
            for row_key in expired {
                let keep_until = self.keep_until(side, row_key.1);
                self.cleanup.remove(&(keep_until, side, row_key));
            }
        }
        Vec::new()
    }

    fn state_rows(&self) -> u64 {
        self.left.len() + self.right.len()
    }

    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        self.watermark.hash_into(hasher);
        for state in [&self.left, &self.right] {
            state.hash_into(hasher, |(key, ts, seq), values, h| {
                hash_values(key, h);
                h.u64(ts.0 as u64);
                h.u64(*seq);
                hash_values(values, h);
            });
        }
        hasher.u64(self.rows_seen);
        let s = self.stats;
        for n in [
            s.left_in,
            s.right_in,
            s.joined,
            s.late_dropped,
            s.null_key,
            s.invalid,
            s.cleaned,
        ] {
            hasher.u64(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watermark::PartitionId;

    const LEFT: u32 = 0;
    const RIGHT: u32 = 1;

    fn join(lower: i64, upper: i64, delay: i64) -> IntervalJoin {
        IntervalJoin::new(IntervalJoinConfig {
            inputs: JoinInputs {
                left_partitions: 1,
                right_partitions: 1,
                delay: DurationUs(delay),
                idle_timeout: None,
            },
            lower: DurationUs(lower),
            upper: DurationUs(upper),
            ttl: None,
        })
        .expect("valid join")
    }

    fn rec(partition: u32, key: &str, ts: i64, tag: &str) -> SourceRecord {
        SourceRecord {
            partition: PartitionId(partition),
            offset: 0,
            arrival: TimeUs(0),
            ts: Some(TimeUs(ts)),
            key: vec![StreamValue::text(key)],
            values: vec![StreamValue::text(tag)],
        }
    }

    /// The (left tag, right tag, output ts) of each joined row.
    fn pairs(out: &[OutputRecord]) -> Vec<(String, String, i64)> {
        out.iter()
            .map(|o| (o.values[0].to_string(), o.values[1].to_string(), o.ts.0))
            .collect()
    }

    fn pair(l: &str, r: &str, ts: i64) -> (String, String, i64) {
        (l.to_string(), r.to_string(), ts)
    }

    #[test]
    fn both_interval_bounds_are_inclusive_from_the_left() {
        // The left row arrives first; right rows at l-5 and l+10 match, l-6 and l+11 do not.
        let mut j = join(-5, 10, 1_000);
        assert!(j.process(&rec(LEFT, "a", 100, "l")).is_empty());
        let mut out = Vec::new();
        for (ts, tag) in [(94, "r94"), (95, "r95"), (110, "r110"), (111, "r111")] {
            out.extend(j.process(&rec(RIGHT, "a", ts, tag)));
        }
        assert_eq!(
            pairs(&out),
            vec![pair("l", "r95", 100), pair("l", "r110", 110)]
        );
    }

    #[test]
    fn both_interval_bounds_are_inclusive_from_the_right() {
        // Right rows arrive first: a left row at ts matches right rows in [ts-5, ts+10].
        let mut j = join(-5, 10, 1_000);
        for (ts, tag) in [(94, "r94"), (95, "r95"), (110, "r110"), (111, "r111")] {
            assert!(j.process(&rec(RIGHT, "a", ts, tag)).is_empty());
        }
        let out = j.process(&rec(LEFT, "a", 100, "l"));
        assert_eq!(
            pairs(&out),
            vec![pair("l", "r95", 100), pair("l", "r110", 110)]
        );
        assert_eq!(j.stats().joined, 2);
    }

    #[test]
    fn only_equal_keys_join_and_a_null_key_joins_nothing() {
        let mut j = join(0, 0, 1_000);
        j.process(&rec(LEFT, "a", 10, "la"));
        let mut null_left = rec(LEFT, "a", 10, "ln");
        null_left.key = vec![StreamValue::Null];
        j.process(&null_left);
        assert!(j.process(&rec(RIGHT, "b", 10, "rb")).is_empty());
        let mut null_right = rec(RIGHT, "a", 10, "rn");
        null_right.key = vec![StreamValue::Null];
        assert!(j.process(&null_right).is_empty());
        assert_eq!(
            pairs(&j.process(&rec(RIGHT, "a", 10, "ra"))),
            vec![pair("la", "ra", 10)]
        );
        assert_eq!(j.stats().null_key, 2);
    }

    #[test]
    fn a_row_below_the_watermark_is_dropped_and_one_at_it_is_kept() {
        // Delay 0: the watermark is the minimum over both inputs' maximum event times.
        let mut j = join(-100, 100, 0);
        j.process(&rec(LEFT, "a", 50, "l50"));
        j.process(&rec(RIGHT, "a", 60, "r60"));
        assert_eq!(j.watermark(), TimeUs(50));
        assert!(j.process(&rec(LEFT, "a", 49, "late")).is_empty());
        assert_eq!(j.stats().late_dropped, 1);
        let out = j.process(&rec(LEFT, "a", 50, "at_w"));
        assert_eq!(pairs(&out), vec![pair("at_w", "r60", 60)]);
        assert_eq!(j.stats().late_dropped, 1);
    }

    #[test]
    fn a_left_row_is_kept_while_the_watermark_is_at_most_ts_plus_upper() {
        let mut j = join(0, 10, 0);
        j.process(&rec(LEFT, "a", 100, "l"));
        // Right at 110 makes W = min(100, 110) = 100; then the left input moves to 110: W = 110.
        j.process(&rec(RIGHT, "b", 110, "x"));
        j.process(&rec(LEFT, "b", 110, "y"));
        assert_eq!(j.watermark(), TimeUs(110));
        assert_eq!(
            j.buffered().0,
            2,
            "W = ts + upper: the left row at 100 is still kept"
        );
        let out = j.process(&rec(RIGHT, "a", 110, "r110"));
        assert_eq!(pairs(&out), vec![pair("l", "r110", 110)]);
        // W = 111 > 100 + 10: the left row at 100 goes.
        j.process(&rec(LEFT, "c", 111, "z"));
        j.process(&rec(RIGHT, "c", 111, "w"));
        assert_eq!(j.watermark(), TimeUs(111));
        assert_eq!(
            j.stats().cleaned,
            3,
            "the left row at 100 and both right rows at 110"
        );
        assert!(j.left.held().all(|((_, ts, _), _)| *ts > TimeUs(100)));
    }

    #[test]
    fn a_right_row_is_kept_while_the_watermark_is_at_most_ts_minus_lower() {
        // lower = 5: a right row at 100 can meet left rows at or before 95 only.
        let mut j = join(5, 20, 0);
        j.process(&rec(RIGHT, "a", 100, "r"));
        j.process(&rec(LEFT, "b", 95, "x"));
        assert_eq!(j.watermark(), TimeUs(95));
        assert_eq!(j.buffered().1, 1, "W = ts - lower: kept");
        assert_eq!(
            pairs(&j.process(&rec(LEFT, "a", 95, "l95"))),
            vec![pair("l95", "r", 100)]
        );
        j.process(&rec(LEFT, "b", 96, "y"));
        assert_eq!(j.watermark(), TimeUs(96));
        assert_eq!(j.buffered().1, 0, "W > ts - lower: cleaned");
    }

    #[test]
    fn an_idle_input_stops_holding_the_watermark_back() {
        let base = join(0, 10, 0).config;
        let mut j = IntervalJoin::new(IntervalJoinConfig {
            inputs: JoinInputs {
                idle_timeout: Some(DurationUs(100)),
                ..base.inputs
            },
            ..base
        })
        .expect("valid join");
        j.process(&rec(LEFT, "a", 50, "l50"));
        j.process(&rec(LEFT, "a", 70, "l70"));
        j.on_processing_time(TimeUs(99));
        assert_eq!(j.watermark(), TimeUs::MIN, "the silent right input holds W");
        j.on_processing_time(TimeUs(100));
        assert_eq!(j.watermark(), TimeUs(70));
        assert_eq!(j.buffered().0, 1, "l50 can no longer match (70 > 50 + 10)");
        assert!(j.process(&rec(RIGHT, "a", 60, "late")).is_empty());
        assert_eq!(j.stats().late_dropped, 1);
    }

    #[test]
    fn a_ttl_forgets_buffered_rows_and_counts_them() {
        let mut j = IntervalJoin::new(IntervalJoinConfig {
            ttl: Some(DurationUs(30)),
            ..join(-100, 100, 1_000).config
        })
        .expect("valid join");
        let mut l = rec(LEFT, "a", 10, "l");
        l.arrival = TimeUs(0);
        j.process(&l);
        j.on_processing_time(TimeUs(29));
        assert_eq!(j.state_rows(), 1);
        j.on_processing_time(TimeUs(30));
        assert_eq!((j.state_rows(), j.stats().state_expired), (0, 1));
        assert!(j.cleanup.is_empty(), "the watermark index forgot it too");
        let mut r = rec(RIGHT, "a", 10, "r");
        r.arrival = TimeUs(31);
        assert!(j.process(&r).is_empty(), "the match was lost to the TTL");
    }

    #[test]
    fn bad_settings_are_refused_with_a_hint() {
        let base = join(0, 0, 0).config;
        let err = IntervalJoin::new(IntervalJoinConfig {
            lower: DurationUs(5),
            upper: DurationUs(1),
            ..base.clone()
        })
        .expect_err("lower > upper");
        assert!(err.message.contains("lower bound"), "{err}");
        let mut inputs = base.inputs;
        inputs.right_partitions = 0;
        let err = IntervalJoin::new(IntervalJoinConfig { inputs, ..base })
            .expect_err("no right partition");
        assert!(err.hint.contains("partition"), "{err}");
    }

    #[test]
    fn a_null_event_time_is_counted_invalid() {
        let mut j = join(0, 0, 0);
        let mut r = rec(LEFT, "a", 0, "l");
        r.ts = None;
        assert!(j.process(&r).is_empty());
        assert_eq!((j.stats().invalid, j.state_rows()), (1, 0));
    }
}
