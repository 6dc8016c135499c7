//! The windowed aggregation as a job's operator: source records in, one output record per
//! window row it emits.
//!
//! A record becomes an [`InputRow`] (its key is the grouping key, its fields the values the
//! aggregates read). Each row of an emit becomes an output record keyed like the window's group,
//! with the fields `[window_start, window_end, aggregates..., kind]`, where kind is `first`,
//! `update` or `retract` (a session a late row merged away is taken back, as Flink SQL's
//! retraction messages do), and with the event time `window_end - 1 µs`: Flink's
//! `TimeWindow.maxTimestamp()` and Flink SQL's `window_time`, the last instant inside the window,
//! so a downstream window of the same size puts the row back in the same window.

use crate::aggregate::{Emit, Firing, FiringKind, InputRow, WindowedAggregate};
use crate::operator::{Operator, OutputRecord, SourceRecord};
use crate::value::{StreamValue, TimeUs};

/// The label of a window row's kind in the output's last field.
pub fn kind_label(kind: FiringKind) -> &'static str {
    match kind {
        FiringKind::First => "first",
        FiringKind::Update => "update",
        FiringKind::Retract => "retract",
    }
}

/// A source record as the aggregate's input row.
fn input_row(record: &SourceRecord) -> InputRow {
    InputRow {
        partition: record.partition,
        ts: record.ts,
        arrival: record.arrival,
        key: record.key.clone(),
        values: record.values.clone(),
    }
}

/// A window's row as an output record.
fn output_record(firing: Firing) -> OutputRecord {
    let window = firing.window;
    let mut values = Vec::with_capacity(firing.aggs.len() + 3);
    values.push(StreamValue::Time(window.start));
    values.push(StreamValue::Time(window.end));
    values.extend(firing.aggs);
    values.push(StreamValue::text(kind_label(firing.kind)));
    OutputRecord {
        key: firing.key,
        values,
        ts: TimeUs(window.end.0.saturating_sub(1)),
    }
}

/// The output records of an emit, in its order.
fn output_records(emit: Option<Emit>) -> Vec<OutputRecord> {
    emit.map_or_else(Vec::new, |emit| {
        emit.rows.into_iter().map(output_record).collect()
    })
}

impl Operator for WindowedAggregate {
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
        let (_fate, emit) = self.push(input_row(record));
        output_records(emit)
    }

    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        output_records(WindowedAggregate::on_processing_time(self, now))
    }

    fn finish(&mut self, _now: TimeUs) -> Vec<OutputRecord> {
        output_records(WindowedAggregate::finish(self))
    }

    fn forget_emitted(&mut self) {
        self.forget_closed();
    }

    fn state_rows(&self) -> u64 {
        self.stats().open_windows
    }

    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        WindowedAggregate::hash_into(self, hasher);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{AggFn, AggSpec, EmitMode, WindowedAggConfig};
    use crate::value::DurationUs;
    use crate::watermark::PartitionId;
    use crate::window::{Window, WindowSpec};

    fn tumble(size: i64, mode: EmitMode, lateness: i64) -> WindowedAggregate {
        WindowedAggregate::new(WindowedAggConfig {
            window: WindowSpec::Tumble {
                size: DurationUs(size),
                offset: DurationUs(0),
            },
            delay: DurationUs(0),
            allowed_lateness: DurationUs(lateness),
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
            mode,
        })
        .expect("valid aggregate")
    }

    fn rec(offset: u64, key: &str, ts: i64, v: i64) -> SourceRecord {
        SourceRecord {
            partition: PartitionId(0),
            offset,
            arrival: TimeUs(offset as i64),
            ts: Some(TimeUs(ts)),
            key: vec![StreamValue::text(key)],
            values: vec![StreamValue::Int(v)],
        }
    }

    fn t(us: i64) -> StreamValue {
        StreamValue::Time(TimeUs(us))
    }

    #[test]
    fn a_fired_window_becomes_a_record_at_its_last_instant() {
        let mut agg = tumble(10, EmitMode::OnClose, 0);
        assert!(Operator::process(&mut agg, &rec(0, "a", 3, 5)).is_empty());
        assert!(Operator::process(&mut agg, &rec(1, "a", 7, 2)).is_empty());
        let out = Operator::process(&mut agg, &rec(2, "b", 10, 1));
        assert_eq!(
            out,
            vec![OutputRecord {
                key: vec![StreamValue::text("a")],
                values: vec![
                    t(0),
                    t(10),
                    StreamValue::Int(2),
                    StreamValue::Int(7),
                    StreamValue::text("first")
                ],
                ts: TimeUs(9),
            }]
        );
        assert_eq!(Operator::state_rows(&agg), 1, "b's window is open");
    }

    #[test]
    fn a_late_row_within_the_lateness_emits_an_update() {
        let mut agg = tumble(10, EmitMode::OnClose, 100);
        Operator::process(&mut agg, &rec(0, "a", 3, 5));
        Operator::process(&mut agg, &rec(1, "a", 12, 1));
        let out = Operator::process(&mut agg, &rec(2, "a", 4, 1));
        let kinds: Vec<String> = out.iter().map(|o| o.values[4].to_string()).collect();
        assert_eq!(kinds, vec!["update"]);
        assert_eq!(out[0].values[2], StreamValue::Int(2));
    }

    #[test]
    fn finish_fires_every_open_window() {
        let mut agg = tumble(10, EmitMode::OnClose, 0);
        Operator::process(&mut agg, &rec(0, "a", 3, 5));
        Operator::process(&mut agg, &rec(1, "b", 5, 1));
        assert_eq!(Operator::state_rows(&agg), 2);
        let out = Operator::finish(&mut agg, TimeUs(100));
        let rows: Vec<(Vec<StreamValue>, StreamValue)> = out
            .iter()
            .map(|o| (o.key.clone(), o.values[1].clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (vec![StreamValue::text("a")], t(10)),
                (vec![StreamValue::text("b")], t(10))
            ]
        );
    }

    #[test]
    fn a_retraction_is_labelled_retract() {
        let firing = Firing {
            window: Window {
                start: TimeUs(0),
                end: TimeUs(5),
            },
            key: vec![],
            aggs: vec![StreamValue::Int(1)],
            kind: FiringKind::Retract,
        };
        let out = output_record(firing);
        assert_eq!(
            out.values,
            vec![
                t(0),
                t(5),
                StreamValue::Int(1),
                StreamValue::text("retract")
            ]
        );
        assert_eq!(out.ts, TimeUs(4));
    }
}
