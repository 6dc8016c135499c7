//! The window table functions (TUMBLE, HOP, SESSION in FROM) against DuckDB, which has none: the
//! same windows written the way DuckDB users write them, over the event time as integers
//! (`epoch_us(ts)` for a TIMESTAMP column):
//!
//! - tumble: `start = t - ((((t - offset) % size) + size) % size)` (DuckDB's `%` keeps the
//!   dividend's sign, so the outer modulo turns it into a floor modulo);
//! - hop: the last start as above with the slide, then `start - i * slide` for `i` in
//!   `range(0, ceil(size / slide))`, kept while `start > t - size`;
//! - session: `lag(t)` per key, a new session when the step is `>= gap` (rows exactly `gap`
//!   apart are two sessions), numbered by a running sum, `[min(t), max(t) + gap)`.
//!
//! Generated worlds: `e(k TEXT, ts, v BIGINT)` with `ts` BIGINT or TIMESTAMP (whole seconds
//! around the epoch, so negative times are common), NULL keys, times and values; queries
//! either list the TVF's rows or aggregate per window (and key), with and without WHERE.
//! Rows compare as multisets, numbers by value. Each aggregate query must also compile for the
//! stream engine (`sql::windowed::compile`), and its compiled parts, run with batch SQL in
//! place of the stream operator, must give the query's rows.
//!
//! `FLOWLAB_PYTHON` names a Python with the oracles' packages (scripts/test.sh sets it); without
//! it the test says it was skipped and passes.

mod common;
#[path = "common/sorted_rows.rs"]
mod sorted_rows;
use common::oracle::Oracle;
use serde_json::json;
use sorted_rows::{ours, theirs, Cells};
use sql::session::{Outcome, Session};
use sql::value::format_timestamp;

const WORLDS: usize = 60;
const QUERIES_PER_WORLD: usize = 8;

/// splitmix64: a fixed sequence from a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One world: whether `ts` is a TIMESTAMP, and the statements making it.
struct World {
    timestamps: bool,
    setup: Vec<String>,
}

fn world(rng: &mut Rng) -> World {
    let timestamps = rng.chance(40);
    let ts_type = if timestamps { "TIMESTAMP" } else { "BIGINT" };
    let mut setup = vec![format!("CREATE TABLE e (k TEXT, ts {ts_type}, v BIGINT)")];
    let spread = rng.between(5, 40);
    let rows: Vec<String> = (0..rng.below(25))
        .map(|_| {
            let k = match rng.below(5) {
                0 => "NULL",
                1 | 2 => "'a'",
                3 => "'b'",
                _ => "'c'",
            };
            let ts = if rng.chance(8) {
                "NULL".to_string()
            } else {
                let seconds = rng.between(-spread, spread);
                if timestamps {
                    format!(
                        "CAST('{}' AS TIMESTAMP)",
                        format_timestamp(seconds * 1_000_000)
                    )
                } else {
                    seconds.to_string()
                }
            };
            let v = if rng.chance(10) {
                "NULL".to_string()
            } else {
                rng.between(-5, 20).to_string()
            };
            format!("({k}, {ts}, {v})")
        })
        .collect();
    if !rows.is_empty() {
        setup.push(format!("INSERT INTO e VALUES {}", rows.join(", ")));
    }
    World { timestamps, setup }
}

/// A window: (ours, in the time column's units; the lengths for DuckDB, in its units).
#[derive(Clone, Copy)]
enum Window {
    Tumble { size: i64, offset: i64 },
    Hop { slide: i64, size: i64, offset: i64 },
    Session { gap: i64 },
}

fn window(rng: &mut Rng) -> Window {
    match rng.below(3) {
        0 => {
            let size = rng.between(1, 12);
            let offset = if rng.chance(40) {
                rng.between(-(size - 1), size - 1)
            } else {
                0
            };
            Window::Tumble { size, offset }
        }
        1 => {
            let size = rng.between(2, 12);
            let slide = rng.between(1, size);
            let offset = if rng.chance(30) {
                rng.between(-(size - 1), size - 1)
            } else {
                0
            };
            Window::Hop {
                slide,
                size,
                offset,
            }
        }
        _ => Window::Session {
            gap: rng.between(1, 8),
        },
    }
}

/// A length in our SQL: seconds as an INTERVAL for a TIMESTAMP column, else the integer.
fn length(n: i64, timestamps: bool) -> String {
    if timestamps {
        format!("INTERVAL '{n}' SECOND")
    } else {
        n.to_string()
    }
}

/// The TVF call in our SQL.
fn tvf(w: Window, timestamps: bool) -> String {
    let l = |n| length(n, timestamps);
    match w {
        Window::Tumble { size, offset: 0 } => format!("TUMBLE(e, ts, {})", l(size)),
        Window::Tumble { size, offset } => format!("TUMBLE(e, ts, {}, {})", l(size), l(offset)),
        Window::Hop {
            slide,
            size,
            offset,
        } => format!("HOP(e, ts, {}, {}, {})", l(slide), l(size), l(offset)),
        Window::Session { gap } => format!("SESSION(e, ts, {})", l(gap)),
    }
}

/// DuckDB's rows of the TVF (`e`'s columns, `t` the time as an integer, `window_start`,
/// `window_end` as integers), as CTEs ending in `x`; `filter` applies before the windows (for
/// a session it must: sessions are cut after WHERE), `keyed` cuts sessions per `k`.
fn duck_windows(w: Window, timestamps: bool, filter: &str, keyed: bool) -> String {
    let unit = if timestamps { 1_000_000 } else { 1 };
    let t = if timestamps { "epoch_us(ts)" } else { "ts" };
    let base = format!("src AS (SELECT k, ts, v, {t} AS t FROM e WHERE ts IS NOT NULL{filter})");
    let start =
        |slide: i64, offset: i64| format!("t - ((((t - {offset}) % {slide}) + {slide}) % {slide})");
    match w {
        Window::Tumble { size, offset } => {
            let (size, offset) = (size * unit, offset * unit);
            format!(
                "WITH {base}, x AS (SELECT k, ts, v, t, {s} AS window_start, {s} + {size} AS window_end FROM src)",
                s = start(size, offset)
            )
        }
        Window::Hop {
            slide,
            size,
            offset,
        } => {
            let count = (size + slide - 1) / slide;
            let (slide, size, offset) = (slide * unit, size * unit, offset * unit);
            format!(
                "WITH {base}, h AS (SELECT k, ts, v, t, ({s}) - i * {slide} AS window_start FROM src, range(0, {count}) r(i)), \
                 x AS (SELECT k, ts, v, t, window_start, window_start + {size} AS window_end FROM h WHERE window_start > t - {size})",
                s = start(slide, offset)
            )
        }
        Window::Session { gap } => {
            let gap = gap * unit;
            let partition = if keyed { "PARTITION BY k " } else { "" };
            let by_sid = if keyed {
                "PARTITION BY k, sid"
            } else {
                "PARTITION BY sid"
            };
            format!(
                "WITH {base}, g AS (SELECT *, CASE WHEN t - lag(t) OVER ({partition}ORDER BY t) < {gap} THEN 0 ELSE 1 END AS nw FROM src), \
                 s AS (SELECT *, sum(nw) OVER ({partition}ORDER BY t ROWS UNBOUNDED PRECEDING) AS sid FROM g), \
                 x AS (SELECT k, ts, v, t, min(t) OVER ({by_sid}) AS window_start, max(t) OVER ({by_sid}) + {gap} AS window_end FROM s)"
            )
        }
    }
}

/// One query: (ours, DuckDB's, whether it is an aggregate query `compile` must accept).
fn query(rng: &mut Rng, timestamps: bool) -> (String, String, bool) {
    let w = window(rng);
    let bound = |name: &str| {
        if timestamps {
            format!("make_timestamp({name}) AS {name}")
        } else {
            name.to_string()
        }
    };
    let filter = match rng.below(4) {
        0 => format!(" AND v > {}", rng.between(-2, 10)),
        1 => " AND k IS NOT NULL".to_string(),
        _ => String::new(),
    };
    let ours_filter = filter
        .strip_prefix(" AND ")
        .map_or(String::new(), |f| format!(" WHERE {f}"));
    if rng.chance(25) {
        // The TVF's rows themselves.
        let ours = format!(
            "SELECT k, ts, v, window_start, window_end FROM {}{ours_filter}",
            tvf(w, timestamps)
        );
        let duck = format!(
            "{} SELECT k, ts, v, {}, {} FROM x",
            duck_windows(w, timestamps, &filter, false),
            bound("window_start"),
            bound("window_end")
        );
        return (ours, duck, false);
    }
    let keyed = rng.chance(60);
    let mut aggregates: Vec<&str> = [
        "count(*)",
        "count(v)",
        "sum(v)",
        "min(v)",
        "max(v)",
        "avg(v)",
        "sum(v) + count(*)",
    ]
    .into_iter()
    .filter(|_| rng.chance(45))
    .collect();
    if aggregates.is_empty() {
        aggregates.push("count(*)");
    }
    let aggregates = aggregates.join(", ");
    let key = if keyed { "k, " } else { "" };
    let group = if keyed {
        "window_start, window_end, k"
    } else {
        "window_start, window_end"
    };
    let having = if rng.chance(20) {
        " HAVING count(*) > 1"
    } else {
        ""
    };
    let ours = format!(
        "SELECT {key}window_start, window_end, {aggregates} FROM {}{ours_filter} GROUP BY {group}{having}",
        tvf(w, timestamps)
    );
    let duck = format!(
        "{} SELECT {key}{}, {}, {aggregates} FROM x GROUP BY {group}{having}",
        duck_windows(w, timestamps, &filter, keyed),
        bound("window_start"),
        bound("window_end")
    );
    (ours, duck, true)
}

/// Runs a statement in a session and returns its table.
fn run(session: &mut Session, sql: &str) -> Result<sql::Table, String> {
    match session
        .execute(sql)
        .map_err(|e| format!("{sql}: {e}"))?
        .pop()
    {
        Some(Outcome::Rows(r)) => Ok(r.table),
        other => Err(format!("{sql}: not rows: {other:?}")),
    }
}

/// A compiled query run in its three parts, with batch SQL standing in for the stream
/// operator: `input_sql` over the table, the windows' aggregates by a window TVF over its
/// rows, then `output_sql` over them. It must give the original query's rows, so the compiler's
/// rewrite of keys, aggregates, HAVING and the select list is checked on every query.
fn through_compiled(
    session: &Session,
    q: &sql::windowed::WindowedQuery,
) -> Result<Vec<Vec<String>>, String> {
    use sql::windowed::{WindowAggFn, WindowTvf};
    let mut s = session.clone();
    let input = run(&mut s, &q.input_sql)?;
    s.add_table("__in", input).map_err(|e| e.to_string())?;
    let l = |v: i64| {
        if q.time_is_integer {
            v.to_string()
        } else {
            format!("INTERVAL '{}' SECOND", v / 1_000_000)
        }
    };
    let tvf = match q.window {
        WindowTvf::Tumble { size_us, offset_us } => {
            format!("TUMBLE(__in, __ts, {}, {})", l(size_us), l(offset_us))
        }
        WindowTvf::Hop {
            slide_us,
            size_us,
            offset_us,
        } => format!(
            "HOP(__in, __ts, {}, {}, {})",
            l(slide_us),
            l(size_us),
            l(offset_us)
        ),
        WindowTvf::Session { gap_us } => format!("SESSION(__in, __ts, {})", l(gap_us)),
    };
    let keys: String = (0..q.key_names.len())
        .map(|i| format!(", __k{i}"))
        .collect();
    let aggregates: String = q
        .aggregates
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let arg = a.input.map_or("*".to_string(), |j| format!("__a{j}"));
            let f = match a.func {
                WindowAggFn::CountStar | WindowAggFn::Count => "count",
                WindowAggFn::Sum => "sum",
                WindowAggFn::Min => "min",
                WindowAggFn::Max => "max",
                WindowAggFn::Avg => "avg",
            };
            format!(", {f}({arg}) AS __g{i}")
        })
        .collect();
    let windows = run(
        &mut s,
        &format!(
            "SELECT window_start, window_end{keys}{aggregates} FROM {tvf} \
             GROUP BY window_start, window_end{keys}"
        ),
    )?;
    s.add_table("__windows", windows)
        .map_err(|e| e.to_string())?;
    ours(&s, &q.output_sql, Cells::NumbersByValue)
}

/// One world and its queries, (ours, DuckDB's, aggregate).
struct Case {
    world: World,
    queries: Vec<(String, String, bool)>,
}

#[test]
fn window_tvfs_answer_as_duckdb_does() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED window_tvfs_answer_as_duckdb_does: FLOWLAB_PYTHON is not set (scripts/test.sh \
             sets it to a Python with DuckDB; see docs/testing.md)"
        );
        return;
    };
    let mut rng = Rng(20_261_214);
    let cases: Vec<Case> = (0..WORLDS)
        .map(|_| {
            let world = world(&mut rng);
            let queries = (0..QUERIES_PER_WORLD)
                .map(|_| query(&mut rng, world.timestamps))
                .collect();
            Case { world, queries }
        })
        .collect();
    let mut requests = Vec::new();
    for case in &cases {
        requests.push(json!({"op": "setup", "sql": case.world.setup}));
        for (_, duck, _) in &case.queries {
            requests.push(json!({"op": "query", "duckdb": duck, "sqlite": null}));
        }
    }
    let mut answers = Oracle::start(&python).batch(&requests).into_iter();
    let (mut compared, mut rows_seen) = (0, 0);
    let mut mismatches = Vec::new();
    for case in &cases {
        let setup = answers.next().expect("a setup answer");
        assert!(setup["setup"]["duckdb"].is_null(), "DuckDB setup: {setup}");
        let mut session = Session::new();
        for s in &case.world.setup {
            session.execute(s).expect("our setup");
        }
        for (our_sql, duck_sql, aggregate) in &case.queries {
            let answer = answers.next().expect("a query answer");
            let expected = theirs(&answer["duckdb"], Cells::NumbersByValue);
            let got = ours(&session, our_sql, Cells::NumbersByValue);
            compared += 1;
            rows_seen += got.as_ref().map_or(0, Vec::len);
            if expected.is_err() || got != expected {
                mismatches.push(format!(
                    "{}\n  ours: {our_sql}\n  {got:?}\n  DuckDB: {duck_sql}\n  {expected:?}",
                    case.world.setup.join(";\n  ")
                ));
            }
            if *aggregate {
                let piped = sql::windowed::compile(our_sql)
                    .map_err(|e| format!("does not compile for streams: {e}"))
                    .and_then(|q| through_compiled(&session, &q));
                if piped != got {
                    mismatches.push(format!(
                        "{}\n  ours: {our_sql}\n  {got:?}\n  compiled: {piped:?}",
                        case.world.setup.join(";\n  ")
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} window TVF queries differ from DuckDB; the first:\n{}",
        mismatches.len(),
        mismatches[0]
    );
    eprintln!("{compared} window TVF queries compared with DuckDB, {rows_seen} result rows");
    assert!(compared >= 300, "{compared} cases");
    assert!(rows_seen > 2000, "only {rows_seen} result rows");
}
