//! The streaming benchmark: events per second through a windowed aggregation with 10,000 keys.
//!
//! The input is [`streaming::generate::clicks::bench_events`]: 1,000,000 clicks of 10,000 users
//! on 4 partitions, 10,000 events per second of event time (so 100 s, ten 10-second windows),
//! each arriving up to 2 s after its event time, in arrival order. The query is "clicks and
//! checkout amount per user per 10-second tumbling window": `count(*)` and `sum(amount)` grouped
//! by the window and the user. Three forms run in the same process, so their ratio means something
//! on a shared machine whose absolute speed moves:
//!
//! - **the operator**: rows pushed one by one into a [`WindowedAggregate`] (watermark delay 2 s,
//!   advanced after every row, the job's watermark the minimum over the 4 partitions, windows
//!   emitted when final), with every emitted row collected, then the end of input;
//! - **streaming SQL**: the same aggregation as a windowed SQL query run by the stream engine
//!   ([`crate::stream_sql::run_windowed`], what `lab stream run` does): the SQL projection of
//!   the input table, the operator on one partition, and the output query over the windows;
//! - **batch SQL**: the same query as one batch `GROUP BY` in the SQL engine over the whole table
//!   (the peer: what the stream computes incrementally, computed at once).
//!
//! What is timed is the aggregation alone: the events are generated, and turned into the
//! operator's input rows or the SQL table, before the clock starts; the checksum is taken after.
//! Every form's answer is reduced to the same [`StreamChecksum`], which DuckDB and Polars
//! (`scripts/bench_stream.py`) must reproduce on the events written as CSV.

use crate::rng::Seed;
use sql::{Column, ColumnData, DataType, Field, Session, Table, Value};
use std::rc::Rc;
use streaming::aggregate::WindowedAggregate;
use streaming::aggregate::{AggFn, AggSpec, EmitMode, Firing, InputRow, WindowedAggConfig};
use streaming::generate::clicks::{bench_events, GeneratedEvent};
use streaming::value::{DurationUs, StreamValue};
use streaming::window::WindowSpec;

/// The size of the benchmark: events and distinct keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamShape {
    pub events: usize,
    pub keys: u32,
}

/// The shape: 1,000,000 events over 10,000 keys.
pub const STREAM_SHAPE: StreamShape = StreamShape {
    events: 1_000_000,
    keys: 10_000,
};

/// The seed of the input (the generator's own, fixed so every target times the same events).
pub const STREAM_BENCH_SEED: Seed = streaming::generate::clicks::BENCH_SEED;

/// Window size of the benchmark's tumbling windows, in seconds.
pub const WINDOW_SECONDS: i64 = 10;
/// The watermark delay, in seconds (the input's disorder bound, so no row is late).
pub const DELAY_SECONDS: i64 = 2;

/// The batch SQL query; the streaming SQL one is the same (`window_end` is grouped on so the
/// stream engine accepts it).
pub const STREAM_BENCH_SQL: &str = "SELECT window_start, user_id, count(*) AS n, sum(amount) AS s \
     FROM TUMBLE(events, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, user_id";

/// One answer reduced to numbers every engine can compute: the number of (window, user) groups,
/// the rows and amounts they add up to, and `sum((w + 1) * (u + 1) * n + (w + 1) * s)` over the
/// groups, where `w` is the window's number (its start over 10 s), `u` the user's number
/// (`u123` is 123), `n` the group's rows and `s` its amount, so a row counted in the wrong window
/// or for the wrong user changes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamChecksum {
    pub groups: u64,
    pub rows: i64,
    pub amount: i64,
    pub weighted: i64,
}

impl StreamChecksum {
    fn add(&mut self, window_start_us: i64, user: &str, n: i64, s: i64) {
        let w = window_start_us.div_euclid(WINDOW_SECONDS * 1_000_000) + 1;
        let u = user
            .strip_prefix('u')
            .and_then(|u| u.parse::<i64>().ok())
            .unwrap_or(-1)
            + 1;
        self.groups += 1;
        self.rows += n;
        self.amount += s;
        self.weighted += w * u * n + w * s;
    }

    /// The checksum of the operator's emitted rows (aggregates `[count(*), sum(amount)]`).
    pub fn of_firings(firings: &[Firing]) -> StreamChecksum {
        let mut sum = StreamChecksum::default();
        for firing in firings {
            let user = match firing.key.first() {
                Some(StreamValue::Text(user)) => user.to_string(),
                _ => String::new(),
            };
            let int = |v: Option<&StreamValue>| match v {
                Some(StreamValue::Int(i)) => *i,
                _ => 0,
            };
            sum.add(
                firing.window.start.0,
                &user,
                int(firing.aggs.first()),
                int(firing.aggs.get(1)),
            );
        }
        sum
    }

    /// The checksum of a SQL result with columns `window_start, user_id, n, s`.
    pub fn of_table(table: &Table) -> StreamChecksum {
        let mut sum = StreamChecksum::default();
        for row in table.to_rows() {
            let int = |v: &Value| match v {
                Value::BigInt(i) | Value::Timestamp(i) => *i,
                _ => 0,
            };
            let user = match &row[1] {
                Value::Text(user) => user.to_string(),
                _ => String::new(),
            };
            sum.add(int(&row[0]), &user, int(&row[2]), int(&row[3]));
        }
        sum
    }
}

/// One form's timings over its runs, in milliseconds, and its answer.
#[derive(Clone, Copy, Debug)]
pub struct StreamTiming {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Rows the form emitted (the operator: every emitted row; SQL: the result's rows).
    pub emitted: u64,
    pub checksum: StreamChecksum,
}

impl StreamTiming {
    /// Events per second at the median time.
    pub fn events_per_second(&self, events: usize) -> f64 {
        if self.median_ms <= 0.0 {
            return 0.0;
        }
        events as f64 / (self.median_ms / 1000.0)
    }
}

/// The streaming benchmark's report.
#[derive(Clone, Debug)]
pub struct StreamReport {
    pub shape: StreamShape,
    pub runs: usize,
    pub generate_ms: f64,
    /// Rows pushed into the operator per run, late rows (none expected) and windows fired.
    pub late_rows: u64,
    pub operator: StreamTiming,
    pub streaming_sql: Result<StreamTiming, String>,
    pub batch_sql: Result<StreamTiming, String>,
}

/// The operator's settings: tumbling 10 s, delay 2 s, 4 partitions, final emits of
/// `count(*), sum(amount)` (`values[1]` is the amount).
pub fn operator_config() -> WindowedAggConfig {
    WindowedAggConfig {
        window: WindowSpec::Tumble {
            size: DurationUs::from_seconds(WINDOW_SECONDS),
            offset: DurationUs(0),
        },
        delay: DurationUs::from_seconds(DELAY_SECONDS),
        allowed_lateness: DurationUs(0),
        idle_timeout: None,
        partitions: 4,
        aggs: vec![
            AggSpec {
                func: AggFn::CountStar,
                input: None,
            },
            AggSpec {
                func: AggFn::Sum,
                input: Some(1),
            },
        ],
        mode: EmitMode::Final,
    }
}

fn input_rows(events: &[GeneratedEvent]) -> Vec<InputRow> {
    events
        .iter()
        .map(|e| InputRow {
            partition: e.partition,
            ts: Some(e.ts),
            arrival: e.arrival,
            key: e.key.clone(),
            values: e.values.clone(),
        })
        .collect()
}

/// The events as the SQL table `events(partition, arrival, ts, user_id, page, amount)`.
pub fn events_table(events: &[GeneratedEvent]) -> Table {
    let text = |e: &GeneratedEvent, i: usize| -> Rc<str> {
        match (i, e.key.first(), e.values.first()) {
            (0, Some(StreamValue::Text(user)), _) => user.clone(),
            (1, _, Some(StreamValue::Text(page))) => page.clone(),
            _ => Rc::from(""),
        }
    };
    let field = |name: &str, data_type| Field {
        name: name.into(),
        data_type,
    };
    let column = |data| Column {
        data,
        validity: None,
    };
    Table::new(
        vec![
            field("partition", DataType::BigInt),
            field("arrival", DataType::Timestamp),
            field("ts", DataType::Timestamp),
            field("user_id", DataType::Text),
            field("page", DataType::Text),
            field("amount", DataType::BigInt),
        ],
        vec![
            column(ColumnData::BigInt(
                events.iter().map(|e| i64::from(e.partition.0)).collect(),
            )),
            column(ColumnData::Timestamp(
                events.iter().map(|e| e.arrival.0).collect(),
            )),
            column(ColumnData::Timestamp(
                events.iter().map(|e| e.ts.0).collect(),
            )),
            column(ColumnData::Text(
                events.iter().map(|e| text(e, 0)).collect(),
            )),
            column(ColumnData::Text(
                events.iter().map(|e| text(e, 1)).collect(),
            )),
            column(ColumnData::BigInt(
                events
                    .iter()
                    .map(|e| match e.values.get(1) {
                        Some(StreamValue::Int(a)) => *a,
                        _ => 0,
                    })
                    .collect(),
            )),
        ],
    )
}

/// The events as CSV for the peers: `partition,arrival,ts,user_id,page,amount`, times as
/// integer microseconds since the epoch, in arrival order.
pub fn events_csv(events: &[GeneratedEvent]) -> String {
    let mut out = String::with_capacity(events.len() * 40);
    out.push_str("partition,arrival,ts,user_id,page,amount\n");
    for e in events {
        let user = e.key.first().map(|v| v.to_string()).unwrap_or_default();
        let page = e.values.first().map(|v| v.to_string()).unwrap_or_default();
        let amount = e.values.get(1).map(|v| v.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{user},{page},{amount}\n",
            e.partition.0, e.arrival.0, e.ts.0
        ));
    }
    out
}

fn summarize(mut times: Vec<f64>, emitted: u64, checksum: StreamChecksum) -> StreamTiming {
    sim::sort::sort_by(&mut times, f64::total_cmp);
    StreamTiming {
        median_ms: super::percentile(&times, 0.5),
        min_ms: times.first().copied().unwrap_or(0.0),
        max_ms: times.last().copied().unwrap_or(0.0),
        emitted,
        checksum,
    }
}

/// Times the operator alone: the input rows are built before the clock starts.
fn time_operator(
    events: &[GeneratedEvent],
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> (StreamTiming, u64) {
    let mut times = Vec::with_capacity(runs);
    let mut last = (Vec::new(), 0);
    for _ in 0..runs {
        let rows = input_rows(events);
        let start = now_ms();
        let Ok(mut operator) = WindowedAggregate::new(operator_config()) else {
            break;
        };
        let mut out: Vec<Firing> = Vec::new();
        for row in rows {
            if let (_, Some(emit)) = operator.push(row) {
                out.extend(emit.rows);
            }
        }
        if let Some(emit) = operator.finish() {
            out.extend(emit.rows);
        }
        times.push(now_ms() - start);
        last = (
            out,
            operator.stats().dropped + operator.stats().late_accepted,
        );
    }
    let (out, late) = last;
    (
        summarize(times, out.len() as u64, StreamChecksum::of_firings(&out)),
        late,
    )
}

/// Times the streaming SQL run of [`STREAM_BENCH_SQL`] (one partition, rows in arrival order).
fn time_streaming_sql(
    table: &Table,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> Result<StreamTiming, String> {
    use crate::stream_sql::{run_windowed, StreamRunOptions};
    let options = StreamRunOptions {
        watermark_delay: DELAY_SECONDS as f64,
        allowed_lateness: 0.0,
        mode: EmitMode::Final,
    };
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let input = table.clone();
        let start = now_ms();
        let run = run_windowed(STREAM_BENCH_SQL, input, "events", &options);
        times.push(now_ms() - start);
        last = Some(run.map_err(|e| e.to_string())?);
    }
    let run = last.ok_or("no run")?;
    Ok(summarize(
        times,
        run.final_table.rows as u64,
        StreamChecksum::of_table(&run.final_table),
    ))
}

/// Times the batch GROUP BY of [`STREAM_BENCH_SQL`] over the whole table.
fn time_batch_sql(
    table: &Table,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> Result<StreamTiming, String> {
    let mut session = Session::new();
    session.limits.work_max = u64::MAX;
    session
        .add_table("events", table.clone())
        .map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = now_ms();
        let result = session.execute(STREAM_BENCH_SQL);
        times.push(now_ms() - start);
        last = Some(result.map_err(|e| e.to_string())?);
    }
    match last.and_then(|mut outcomes| outcomes.pop()) {
        Some(sql::Outcome::Rows(result)) => Ok(summarize(
            times,
            result.table.rows as u64,
            StreamChecksum::of_table(&result.table),
        )),
        _ => Err("the query returned no rows".into()),
    }
}

/// Generates the events (timed apart) and times each form `runs` times.
pub fn stream_benchmark(
    shape: StreamShape,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> StreamReport {
    let runs = runs.max(1);
    let start = now_ms();
    let events = bench_events(shape.events, shape.keys);
    let generate_ms = now_ms() - start;
    let (operator, late_rows) = time_operator(&events, runs, now_ms);
    let table = events_table(&events);
    StreamReport {
        shape: StreamShape {
            events: events.len(),
            keys: shape.keys,
        },
        runs,
        generate_ms,
        late_rows,
        operator,
        streaming_sql: time_streaming_sql(&table, runs, now_ms),
        batch_sql: time_batch_sql(&table, runs, now_ms),
    }
}

fn rate(events: usize, ms: f64) -> String {
    if ms <= 0.0 {
        return "-".into();
    }
    let per_second = events as f64 / (ms / 1000.0);
    format!("{:.2} M events/s", per_second / 1e6)
}

impl StreamReport {
    /// Rows of (measure, value) for a table.
    pub fn rows(&self) -> Vec<(String, String)> {
        let events = self.shape.events;
        let timing = |t: &StreamTiming| {
            format!(
                "{} ({:.1} ms, min {:.1}, max {:.1}); {} rows, checksum {}",
                rate(events, t.median_ms),
                t.median_ms,
                t.min_ms,
                t.max_ms,
                t.emitted,
                t.checksum.weighted
            )
        };
        let other = |t: &Result<StreamTiming, String>| match t {
            Ok(t) => timing(t),
            Err(e) => format!("error: {e}"),
        };
        let ratio = |t: &Result<StreamTiming, String>| match t {
            Ok(t) if self.operator.median_ms > 0.0 => {
                format!("{:.2}x", t.median_ms / self.operator.median_ms)
            }
            _ => "-".into(),
        };
        let same = [&self.streaming_sql, &self.batch_sql]
            .iter()
            .all(|t| matches!(t, Ok(t) if t.checksum == self.operator.checksum));
        vec![
            (
                "data".into(),
                format!(
                    "{} events, {} keys, 4 partitions, tumbling 10 s windows, watermark delay 2 s",
                    events, self.shape.keys
                ),
            ),
            (
                "generate the events (not timed)".into(),
                format!("{:.0} ms", self.generate_ms),
            ),
            (
                format!(
                    "WindowedAggregate, per-row watermark, median of {}",
                    self.runs
                ),
                timing(&self.operator),
            ),
            (
                format!("streaming SQL (lab stream run), median of {}", self.runs),
                other(&self.streaming_sql),
            ),
            (
                format!(
                    "peer: batch GROUP BY in the SQL engine, median of {}",
                    self.runs
                ),
                other(&self.batch_sql),
            ),
            (
                "streaming SQL / operator time".into(),
                ratio(&self.streaming_sql),
            ),
            (
                "batch GROUP BY / operator time".into(),
                ratio(&self.batch_sql),
            ),
            (
                "late rows; same answer in every form".into(),
                format!("{}; {}", self.late_rows, if same { "yes" } else { "NO" }),
            ),
        ]
    }

    /// The measurements as `name value` lines, for the peers' script to compare against.
    pub fn key_values(&self) -> String {
        let mut out = format!(
            "events {}\nkeys {}\nruns {}\n",
            self.shape.events, self.shape.keys, self.runs
        );
        let forms = [
            ("operator", Ok(self.operator)),
            ("streaming_sql", self.streaming_sql.clone()),
            ("batch_sql", self.batch_sql.clone()),
        ];
        for (name, t) in forms {
            if let Ok(t) = t {
                let c = t.checksum;
                out.push_str(&format!(
                    "{name}_ms {:.3}\n{name}_min_ms {:.3}\n{name}_groups {}\n{name}_rows {}\n{name}_amount {}\n{name}_weighted {}\n",
                    t.median_ms, t.min_ms, c.groups, c.rows, c.amount, c.weighted
                ));
            }
        }
        out
    }
}

/// The streaming lab's cost per page update as it plays: `updates` updates of 4 ticks each (what
/// the play timer does at 100 ticks/s) on the `streaming` preset, with the state of the previous
/// update still held, as the app's view holds it (so a state shared with it is copied on write).
/// Returns, for each of `segments` equal stretches of the run, the lab time it starts at
/// (seconds) and the median and p95 time of its updates (ms).
pub fn lab_update_cost(
    updates: usize,
    segments: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> Vec<(u64, f64, f64)> {
    use crate::state::{LabConfig, Preset};
    use crate::timeline::Timeline;
    let mut timeline = Timeline::new(LabConfig {
        seed: crate::rng::Seed(1),
        preset: Preset::Streaming,
    });
    let mut view = timeline.head_shared();
    let mut times = Vec::with_capacity(updates);
    for _ in 0..updates {
        let start = now_ms();
        for _ in 0..4 {
            if timeline.advance_head().is_err() {
                break;
            }
        }
        view = timeline.head_shared();
        times.push(now_ms() - start);
    }
    std::hint::black_box(&view);
    let per = (updates / segments.max(1)).max(1);
    times
        .chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let mut sorted = chunk.to_vec();
            sim::sort::sort_by(&mut sorted, f64::total_cmp);
            (
                (i * per * 4 / 10) as u64,
                super::percentile(&sorted, 0.5),
                super::percentile(&sorted, 0.95),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_gives_the_same_answer_on_a_small_shape() {
        let shape = StreamShape {
            events: 20_000,
            keys: 100,
        };
        let mut t = 0.0;
        let report = stream_benchmark(shape, 2, &mut || {
            t += 1.0;
            t
        });
        assert_eq!(report.operator.median_ms, 1.0);
        assert_eq!(report.late_rows, 0);
        let c = report.operator.checksum;
        assert_eq!(c.rows, 20_000);
        // 20,000 events at 10,000 per second: 2 s, in one or two 10 s windows per user.
        assert!(c.groups >= 100 && c.groups <= 200, "{c:?}");
        assert!(c.amount > 0);
        assert_eq!(report.batch_sql.as_ref().unwrap().checksum, c);
        assert_eq!(report.streaming_sql.as_ref().unwrap().checksum, c);
        assert_eq!(report.operator.emitted, c.groups);
        assert!(report.rows().last().unwrap().1.ends_with("yes"));
        assert!(report
            .key_values()
            .contains(&format!("batch_sql_weighted {}\n", c.weighted)));
    }

    #[test]
    fn the_update_cost_is_reported_per_stretch_of_lab_time() {
        let mut t = 0.0;
        let cost = lab_update_cost(20, 4, &mut || {
            t += 1.0;
            t
        });
        assert_eq!(cost.len(), 4);
        assert_eq!(cost[1].0, 2, "5 updates of 4 ticks are 2 s of lab time");
        assert_eq!((cost[0].1, cost[0].2), (1.0, 1.0));
    }

    #[test]
    fn the_checksum_sees_a_row_in_the_wrong_window_or_user() {
        let mut a = StreamChecksum::default();
        a.add(0, "u1", 2, 10);
        a.add(10_000_000, "u2", 1, 0);
        let mut b = StreamChecksum::default();
        b.add(0, "u1", 1, 10);
        b.add(10_000_000, "u2", 2, 0);
        assert_eq!((a.groups, a.rows, a.amount), (b.groups, b.rows, b.amount));
        assert_ne!(a.weighted, b.weighted);
        let mut c = StreamChecksum::default();
        c.add(0, "u1", 2, 10);
        c.add(10_000_000, "u3", 1, 0);
        assert_ne!(a.weighted, c.weighted);
    }

    #[test]
    fn the_csv_has_one_line_per_event_with_integer_times() {
        let events = bench_events(10, 4);
        let csv = events_csv(&events);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 11);
        assert_eq!(lines[0], "partition,arrival,ts,user_id,page,amount");
        let fields: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[2].parse::<i64>().ok(), Some(events[0].ts.0));
        assert!(fields[3].starts_with('u'));
    }
}
