//! Batch/stream equivalence of windowed SQL: for random rows (keys with NULLs, integer and
//! timestamp event times, NULL values) in random arrival orders, a tumbling, hopping or session
//! query run as a stream (`lab::stream_sql::run_windowed`) ends with exactly the rows the SQL
//! engine gives for the same query run as a batch over the same table, whenever no row was lost to
//! lateness. For tumbling and hopping windows that means no row dropped from any of its windows
//! (late rows accepted within the allowed lateness included); for sessions it means no row late at
//! all, since a late row can miss a neighbour whose session was already purged (Beam and Flink
//! behave the same way).

use lab::sim::rng::{Rng, Seed};
use lab::sql::{DataType, Field, Outcome, Session, Table, Value};
use lab::stream_sql::{run_windowed, StreamRun, StreamRunOptions};
use lab::streaming::aggregate::{EmitMode, RowFate};

const CASES: usize = 600;

/// What a case's window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tumble,
    Hop,
    Session,
}

/// One generated case: the table in arrival order and the query.
struct Case {
    table: Table,
    query: String,
    kind: Kind,
    options: StreamRunOptions,
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

/// Rows of (ts, k, v, w), nearly in time order: each row's time is drawn around a clock that moves
/// forward, so small delays usually cover the disorder and some cases still have late rows.
fn rows(rng: &mut Rng, integer: bool) -> Vec<Vec<Value>> {
    let n = 1 + rng.below(25);
    let mut clock: i64 = rng.below(40) as i64 - 20;
    (0..n)
        .map(|_| {
            clock += rng.below(4) as i64;
            let jitter = rng.below(7) as i64 - 3;
            let t = clock
                + if rng.below(10) == 0 {
                    -(rng.below(15) as i64)
                } else {
                    jitter
                };
            let ts = if integer {
                Value::BigInt(t)
            } else {
                Value::Timestamp(1_700_000_000_000_000 + t * 1_000_000)
            };
            let k = match rng.below(4) {
                0 => Value::Null,
                i => Value::text(["a", "b", "c"][i as usize - 1]),
            };
            let v = if rng.below(8) == 0 {
                Value::Null
            } else {
                Value::BigInt(rng.below(20) as i64 - 5)
            };
            let w = Value::Double((rng.below(1000) as f64) / 8.0);
            vec![ts, k, v, w]
        })
        .collect()
}

/// A length in the query: a plain integer for a BIGINT column, an interval in seconds otherwise.
fn length(n: u64, integer: bool) -> String {
    if integer {
        n.to_string()
    } else {
        format!("INTERVAL '{n}' SECOND")
    }
}

fn case(rng: &mut Rng) -> Case {
    let integer = rng.below(2) == 0;
    let kind = match rng.below(3) {
        0 => Kind::Tumble,
        1 => Kind::Hop,
        _ => Kind::Session,
    };
    let window = match kind {
        Kind::Tumble => {
            let size = 1 + rng.below(10);
            if rng.below(3) == 0 {
                let offset = rng.below(size);
                format!(
                    "TUMBLE(events, ts, {}, {})",
                    length(size, integer),
                    length(offset, integer)
                )
            } else {
                format!("TUMBLE(events, ts, {})", length(size, integer))
            }
        }
        Kind::Hop => {
            let slide = 1 + rng.below(5);
            let size = slide * (1 + rng.below(3)) + rng.below(slide);
            format!(
                "HOP(events, ts, {}, {})",
                length(slide, integer),
                length(size, integer)
            )
        }
        Kind::Session => format!("SESSION(events, ts, {})", length(1 + rng.below(6), integer)),
    };
    let keyed = kind == Kind::Session || rng.below(3) != 0;
    let aggregates = pick(
        rng,
        &[
            "count(*) AS n, sum(v) AS s",
            "count(v) AS nv, min(v) AS lo, max(v) AS hi",
            "avg(w) AS mean, max(w) AS top, count(*) AS n",
            "sum(v) * 2 + count(*) AS score, min(k) AS first_k",
        ],
    );
    let filter = if rng.below(4) == 0 {
        " WHERE v IS NULL OR v > 0"
    } else {
        ""
    };
    let (key_select, key_group) = if keyed { ("k, ", ", k") } else { ("", "") };
    let query = format!(
        "SELECT {key_select}window_start, window_end, {aggregates} FROM {window}{filter} \
         GROUP BY window_start, window_end{key_group}"
    );
    let fields = vec![
        field(
            "ts",
            if integer {
                DataType::BigInt
            } else {
                DataType::Timestamp
            },
        ),
        field("k", DataType::Text),
        field("v", DataType::BigInt),
        field("w", DataType::Double),
    ];
    let table = Table::from_rows(fields, &rows(rng, integer));
    let mode = [
        EmitMode::OnClose,
        EmitMode::Final,
        EmitMode::Changes,
        EmitMode::Complete,
    ][rng.below(4) as usize];
    Case {
        table,
        query,
        kind,
        options: StreamRunOptions {
            watermark_delay: rng.below(8) as f64,
            allowed_lateness: [0, 0, 2, 10][rng.below(4) as usize] as f64,
            mode,
        },
    }
}

fn field(name: &str, data_type: DataType) -> Field {
    Field {
        name: name.into(),
        data_type,
    }
}

/// Whether the run lost no row to lateness in the sense the equivalence needs.
fn nothing_lost(run: &StreamRun, kind: Kind) -> bool {
    run.fates.iter().flatten().all(|fate| match kind {
        Kind::Session => *fate == RowFate::OnTime,
        Kind::Tumble | Kind::Hop => matches!(fate, RowFate::OnTime | RowFate::LateAccepted),
    })
}

/// The rows of a table as text, sorted, with doubles rounded so summation order cannot matter.
fn canonical(table: &Table) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = table
        .to_rows()
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    Value::Double(x) => format!("{x:.9}"),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

fn batch(case: &Case) -> Table {
    let mut session = Session::new();
    session.add_table("events", case.table.clone()).unwrap();
    match session.execute(&case.query) {
        Ok(mut outcomes) => match outcomes.pop() {
            Some(Outcome::Rows(result)) => result.table,
            other => panic!("{}: {other:?}", case.query),
        },
        Err(e) => panic!("batch {}: {e:?}", case.query),
    }
}

#[test]
fn a_stream_without_lost_rows_ends_as_the_batch_query() {
    let rng = Rng::new(Seed(20_261_206));
    let mut compared = [0usize; 3];
    let mut with_late_rows = 0;
    for i in 0..CASES {
        let case = case(&mut rng.fork(&format!("case {i}")));
        let run = run_windowed(&case.query, case.table.clone(), "events", &case.options)
            .unwrap_or_else(|e| panic!("case {i}: {}: {e}", case.query));
        if !nothing_lost(&run, case.kind) {
            continue;
        }
        compared[case.kind as usize] += 1;
        if run
            .fates
            .iter()
            .flatten()
            .any(|f| *f == RowFate::LateAccepted)
        {
            with_late_rows += 1;
        }
        let expected = batch(&case);
        assert_eq!(
            run.final_table.fields, expected.fields,
            "case {i}: {}",
            case.query
        );
        assert_eq!(
            canonical(&run.final_table),
            canonical(&expected),
            "case {i}: {} with {:?}\nrows: {:?}",
            case.query,
            case.options,
            case.table.to_rows()
        );
    }
    eprintln!(
        "compared {compared:?} (tumble, hop, session) of {CASES}; {with_late_rows} with accepted late rows"
    );
    assert!(
        compared.iter().all(|n| *n >= 60),
        "too few cases without lost rows: {compared:?}"
    );
    assert!(with_late_rows >= 20, "{with_late_rows} with late rows");
}

#[test]
fn a_lost_row_is_what_breaks_the_equivalence() {
    // One row far ahead moves W; the next ones are late and their windows closed (no lateness).
    let fields = vec![field("ts", DataType::BigInt), field("v", DataType::BigInt)];
    let rows: Vec<Vec<Value>> = [(1, 1), (50, 2), (2, 3), (3, 4)]
        .iter()
        .map(|(t, v)| vec![Value::BigInt(*t), Value::BigInt(*v)])
        .collect();
    let table = Table::from_rows(fields, &rows);
    let query = "SELECT window_start, window_end, count(*) AS n FROM TUMBLE(events, ts, 10) \
                 GROUP BY window_start, window_end";
    let run = run_windowed(query, table.clone(), "events", &StreamRunOptions::default()).unwrap();
    assert_eq!(run.late, [2, 3]);
    assert!(!nothing_lost(&run, Kind::Tumble));
    let case = Case {
        table,
        query: query.into(),
        kind: Kind::Tumble,
        options: StreamRunOptions::default(),
    };
    assert_ne!(canonical(&run.final_table), canonical(&batch(&case)));
    // With lateness enough, the same rows are accepted and the two agree.
    let patient = StreamRunOptions {
        allowed_lateness: 100.0,
        ..StreamRunOptions::default()
    };
    let run = run_windowed(query, case.table.clone(), "events", &patient).unwrap();
    assert!(run.late.is_empty() && nothing_lost(&run, Kind::Tumble));
    assert_eq!(canonical(&run.final_table), canonical(&batch(&case)));
}
