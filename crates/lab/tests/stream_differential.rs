//! Windowed aggregates run as a stream against DuckDB 2.0.0 over the same rows. Each case is a
//! random table (event times with disorder, BIGINT or, a third of the time, TIMESTAMP with INTERVAL
//! lengths and durations in seconds, keys with NULLs, values with NULLs) arriving in
//! its row order, a tumbling (with or without an offset), hopping or session window, a watermark
//! delay and an allowed lateness; the stream's final windows (`lab::stream_sql::run_windowed`) must
//! equal what DuckDB computes over the rows that were not dropped as late. DuckDB has no window
//! table functions, so the oracle queries spell the windows out: a floor modulo for tumbling
//! windows (so negative times fall in the window before zero), one row per window start for
//! hopping ones (`CROSS JOIN range(...)`), and `lag` and a running `sum` per key for half-open
//! sessions (a gap of at least the timeout starts a new session).
//!
//! A case is compared only when the stream lost no row partly: a hopping row dropped from some of
//! its windows but not all, or, for sessions, any late row (a late row can miss a neighbour whose
//! session was already purged, as in Beam and Flink), makes the stream and every batch differ by
//! design; the equivalence test covers those rules. Rows compare as multisets, numbers by value
//! with a relative tolerance of 1e-9 (docs/testing.md).
//!
//! `FLOWLAB_PYTHON` names a Python with DuckDB (scripts/test.sh sets it); without it the test
//! says it was skipped and passes.

#[path = "../../sql/tests/common/oracle.rs"]
mod oracle;

use lab::sim::rng::{Rng, Seed};
use lab::sql::{DataType, Field, Table, Value};
use lab::stream_sql::{run_windowed, StreamRun, StreamRunOptions};
use lab::streaming::aggregate::{EmitMode, RowFate};
use oracle::Oracle;
use serde_json::{json, Value as Json};

const CASES: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    Tumble { size: i64, offset: i64 },
    Hop { slide: i64, size: i64 },
    Session { gap: i64 },
}

struct Case {
    rows: Vec<(Option<i64>, Option<&'static str>, Option<i64>)>,
    window: Window,
    keyed: bool,
    /// Our side reads the times as TIMESTAMPs, `t` seconds after [`BASE_US`], with INTERVAL
    /// lengths and the delay and lateness in seconds; DuckDB's side keeps the seconds.
    timestamps: bool,
    options: StreamRunOptions,
}

/// 2023-11-14 17:54:00 UTC in microseconds: a multiple of 27,720 s, the least common multiple of
/// every size, slide and offset generated (1 to 12 s), so windows aligned to the Unix epoch are
/// aligned to it too.
const BASE_US: i64 = 61_327 * 27_720 * 1_000_000;

const AGGREGATES: &str = "count(*) AS n, count(v) AS nv, sum(v) AS s, min(v) AS lo, \
max(v) AS hi, avg(v) AS mean";

fn case(rng: &mut Rng) -> Case {
    let n = 1 + rng.below(30);
    let mut clock = rng.below(60) as i64 - 30;
    let rows = (0..n)
        .map(|_| {
            clock += rng.below(5) as i64;
            let ts = clock + rng.below(9) as i64 - 4;
            let k = [None, Some("a"), Some("b"), Some("c")][rng.below(4) as usize];
            let v = (rng.below(6) != 0).then(|| rng.below(100) as i64 - 30);
            (Some(ts), k, v)
        })
        .collect();
    let window = match rng.below(3) {
        0 => {
            let size = 1 + rng.below(12) as i64;
            let offset = if rng.below(2) == 0 {
                0
            } else {
                rng.below(size as u64) as i64
            };
            Window::Tumble { size, offset }
        }
        1 => {
            let slide = 1 + rng.below(6) as i64;
            Window::Hop {
                slide,
                size: slide * (1 + rng.below(3) as i64),
            }
        }
        _ => Window::Session {
            gap: 1 + rng.below(8) as i64,
        },
    };
    Case {
        rows,
        window,
        keyed: matches!(window, Window::Session { .. }) || rng.below(4) != 0,
        timestamps: rng.below(3) == 0,
        options: StreamRunOptions {
            watermark_delay: rng.below(10) as f64,
            allowed_lateness: [0, 0, 3, 20][rng.below(4) as usize] as f64,
            mode: [EmitMode::OnClose, EmitMode::Final, EmitMode::Changes][rng.below(3) as usize],
        },
    }
}

impl Case {
    fn table(&self) -> Table {
        let time_type = if self.timestamps {
            DataType::Timestamp
        } else {
            DataType::BigInt
        };
        let fields = ["ts", "k", "v"]
            .iter()
            .zip([time_type, DataType::Text, DataType::BigInt])
            .map(|(name, data_type)| Field {
                name: name.to_string(),
                data_type,
            })
            .collect();
        let rows: Vec<Vec<Value>> = self
            .rows
            .iter()
            .map(|(ts, k, v)| {
                let time = |t: i64| {
                    if self.timestamps {
                        Value::Timestamp(BASE_US + t * 1_000_000)
                    } else {
                        Value::BigInt(t)
                    }
                };
                vec![
                    ts.map_or(Value::Null, time),
                    k.map_or(Value::Null, Value::text),
                    v.map_or(Value::Null, Value::BigInt),
                ]
            })
            .collect();
        Table::from_rows(fields, &rows)
    }

    fn key(&self) -> (&'static str, &'static str) {
        if self.keyed {
            ("k, ", ", k")
        } else {
            ("", "")
        }
    }

    /// A length as the streaming query writes it.
    fn length(&self, n: i64) -> String {
        if self.timestamps {
            format!("INTERVAL '{n}' SECOND")
        } else {
            n.to_string()
        }
    }

    /// The streaming query.
    fn ours(&self) -> String {
        let l = |n: i64| self.length(n);
        let window = match self.window {
            Window::Tumble { size, offset: 0 } => format!("TUMBLE(e, ts, {})", l(size)),
            Window::Tumble { size, offset } => {
                format!("TUMBLE(e, ts, {}, {})", l(size), l(offset))
            }
            Window::Hop { slide, size } => format!("HOP(e, ts, {}, {})", l(slide), l(size)),
            Window::Session { gap } => format!("SESSION(e, ts, {})", l(gap)),
        };
        let (select, group) = self.key();
        format!(
            "SELECT {select}window_start, window_end, {AGGREGATES} FROM {window} \
             GROUP BY window_start, window_end{group}"
        )
    }

    /// The same windows in DuckDB, over a table `e` of the rows that were not dropped.
    fn duckdb(&self) -> String {
        let (select, group) = self.key();
        let windowed = match self.window {
            Window::Tumble { size, offset } => format!(
                "SELECT *, ts - (((ts - {offset}) % {size}) + {size}) % {size} AS window_start, \
                 ts - (((ts - {offset}) % {size}) + {size}) % {size} + {size} AS window_end FROM e"
            ),
            Window::Hop { slide, size } => format!(
                "SELECT * FROM (SELECT e.*, ts - ((ts % {slide}) + {slide}) % {slide} - i * {slide} \
                 AS window_start, ts - ((ts % {slide}) + {slide}) % {slide} - i * {slide} + {size} \
                 AS window_end FROM e CROSS JOIN range(0, {}) AS r(i)) WHERE ts < window_end",
                size / slide
            ),
            Window::Session { gap } => format!(
                "SELECT k, ts, v, min(ts) OVER s AS window_start, max(ts) OVER s + {gap} AS window_end \
                 FROM (SELECT *, sum(starts) OVER (PARTITION BY k ORDER BY ts ROWS UNBOUNDED \
                 PRECEDING) AS sid FROM (SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY k \
                 ORDER BY ts) < {gap} THEN 0 ELSE 1 END AS starts FROM e)) \
                 WINDOW s AS (PARTITION BY k, sid)"
            ),
        };
        format!(
            "SELECT {select}window_start, window_end, {AGGREGATES} FROM ({windowed}) \
             GROUP BY window_start, window_end{group}"
        )
    }

    /// The statements creating `e` with the rows the stream kept.
    fn setup(&self, run: &StreamRun) -> Vec<String> {
        let mut statements = vec!["CREATE TABLE e (ts BIGINT, k TEXT, v BIGINT)".to_string()];
        let kept: Vec<String> = self
            .rows
            .iter()
            .zip(&run.fates)
            .filter(|(_, fate)| **fate != Some(RowFate::Dropped))
            .map(|((ts, k, v), _)| {
                let int = |x: &Option<i64>| x.map_or("NULL".to_string(), |x| x.to_string());
                let text = k.map_or("NULL".to_string(), |k| format!("'{k}'"));
                format!("({}, {text}, {})", int(ts), int(v))
            })
            .collect();
        if !kept.is_empty() {
            statements.push(format!("INSERT INTO e VALUES {}", kept.join(", ")));
        }
        statements
    }

    /// Whether the stream lost rows in a way no batch over the kept rows reproduces.
    fn comparable(&self, run: &StreamRun) -> bool {
        run.fates.iter().flatten().all(|fate| match self.window {
            Window::Session { .. } => matches!(fate, RowFate::OnTime | RowFate::Dropped),
            _ => !matches!(fate, RowFate::PartlyDropped { .. }),
        })
    }
}

/// A cell as a number when it is one, else its text.
#[derive(Clone, Debug)]
enum Cell {
    Number(f64),
    Text(String),
    Null,
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Number(a), Cell::Number(b)) => {
                a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
            }
            (Cell::Text(a), Cell::Text(b)) => a == b,
            (Cell::Null, Cell::Null) => true,
            _ => false,
        }
    }
}

/// Our cell as DuckDB's side has it: a window bound over timestamps in seconds after [`BASE_US`].
fn cell_of_value(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Timestamp(us) => Cell::Number((us - BASE_US) as f64 / 1e6),
        Value::BigInt(i) => Cell::Number(*i as f64),
        Value::Double(x) => Cell::Number(*x),
        other => Cell::Text(other.to_string()),
    }
}

fn cell_of_json(j: &Json) -> Cell {
    match j {
        Json::Null => Cell::Null,
        Json::Number(n) => Cell::Number(n.as_f64().expect("a number")),
        Json::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

/// Rows sorted by their window and key (unique per row), as cells.
fn sorted(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    let sort_key = |row: &Vec<Cell>| -> Vec<String> {
        row.iter()
            .take(3)
            .map(|c| match c {
                Cell::Number(x) => format!("{:020.3}", x + 1e12),
                Cell::Text(s) => s.clone(),
                Cell::Null => String::new(),
            })
            .collect()
    };
    rows.sort_by_key(sort_key);
    rows
}

#[test]
fn windowed_aggregates_match_duckdb_over_the_rows_kept() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED windowed_aggregates_match_duckdb_over_the_rows_kept: FLOWLAB_PYTHON is not \
             set (scripts/test.sh sets it to a Python with DuckDB; see docs/testing.md)"
        );
        return;
    };
    let rng = Rng::new(Seed(14));
    let mut compared = Vec::new();
    let mut skipped = 0;
    let mut requests = Vec::new();
    for i in 0..CASES {
        let case = case(&mut rng.fork(&format!("case {i}")));
        let run = run_windowed(&case.ours(), case.table(), "e", &case.options)
            .unwrap_or_else(|e| panic!("case {i}: {}: {e}", case.ours()));
        if !case.comparable(&run) {
            skipped += 1;
            continue;
        }
        requests.push(json!({"op": "setup", "sql": case.setup(&run)}));
        requests.push(json!({"op": "query", "duckdb": case.duckdb(), "sqlite": null}));
        compared.push((case, run));
    }
    let mut answers = Oracle::start(&python).batch(&requests).into_iter();
    let mut mismatches = Vec::new();
    let (mut dropped_rows, mut late_accepted) = (0, 0);
    let timestamp_cases = compared.iter().filter(|(case, _)| case.timestamps).count();
    for (case, run) in &compared {
        let setup = answers.next().expect("a setup answer");
        assert!(setup["setup"]["duckdb"].is_null(), "DuckDB setup: {setup}");
        let answer = answers.next().expect("a query answer");
        let theirs = &answer["duckdb"];
        assert!(theirs.get("error").is_none(), "{}: {theirs}", case.duckdb());
        let expected = sorted(
            theirs["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| {
                    r.as_array()
                        .expect("a row")
                        .iter()
                        .map(cell_of_json)
                        .collect()
                })
                .collect(),
        );
        let got = sorted(
            run.final_table
                .to_rows()
                .iter()
                .map(|r| r.iter().map(cell_of_value).collect())
                .collect(),
        );
        dropped_rows += run.late.len();
        late_accepted += run
            .fates
            .iter()
            .filter(|f| **f == Some(RowFate::LateAccepted))
            .count();
        if got != expected {
            mismatches.push(format!(
                "{}\n  rows: {:?}\n  options: {:?}\n  ours: {got:?}\n  DuckDB: {}\n  {expected:?}",
                case.ours(),
                case.rows,
                case.options,
                case.duckdb()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} windowed queries differ from DuckDB; the first:\n{}",
        mismatches.len(),
        compared.len(),
        mismatches[0]
    );
    eprintln!(
        "{} windowed queries compared with DuckDB ({skipped} skipped), {dropped_rows} rows \
         dropped as late, {late_accepted} late rows accepted",
        compared.len()
    );
    assert!(compared.len() >= 300, "{} cases", compared.len());
    assert!(
        dropped_rows >= 50 && late_accepted >= 50,
        "late rows must occur"
    );
    assert!(
        timestamp_cases >= 100,
        "{timestamp_cases} cases over timestamps"
    );
}
