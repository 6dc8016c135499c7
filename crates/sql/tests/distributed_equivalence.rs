//! The distributed run of a query gives the single-machine result: for thousands of queries from
//! the SQL differential test's seeded generator (`common/querygen.rs`: small worlds of three
//! tables, joins, subqueries, GROUP BY, windows, set operations, DISTINCT, ORDER BY ... LIMIT),
//! each run once by `Session::execute` and once by `Session::run_distributed` under a
//! configuration drawn per query (scan and shuffle partitions in 1..=16, broadcast joins on or
//! off at thresholds small and large, AQE on or off with tiny advisory sizes and skew thresholds
//! so that coalescing and skew splits happen on these small tables, cached tables). Results
//! compare as multisets, in order when the query orders them totally, doubles within a 1e-9
//! relative tolerance (the order of a sum's additions changes with the partitioning); a query one
//! run refuses the other must refuse too.
//!
//! Environment: `FLOWLAB_SQL_SEED` (another seed), `FLOWLAB_DIST_QUERIES` (how many queries).

// The generator's shrinking helpers (`Expr::children` and the like) serve `sql_differential`
// only.
#![allow(dead_code)]

use sim::rng::{Rng, Seed};
use sql::distributed::{DistConfig, DistributedRun};
use sql::{DataType, Outcome, Session, Table, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

include!("common/querygen.rs");

const DEFAULT_SEED: u64 = 20_261_207;
const DEFAULT_QUERIES: usize = 2_200;
const QUERIES_PER_WORLD: usize = 100;
/// Mismatches printed in full.
const SHOWN_MAX: usize = 8;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// A configuration for one query: every knob drawn, so that the runs cover broadcast on and
/// off, AQE on and off, coalescing and skew splitting.
fn random_config(rng: &mut Rng) -> DistConfig {
    let mut config = DistConfig::spark_defaults(1 + rng.below(16) as u16);
    config.shuffle_partitions = 1 + rng.below(16) as u16;
    config.broadcast_threshold_bytes = match rng.below(4) {
        0 => None,
        1 => Some(0),
        2 => Some(64 + rng.below(2_000)),
        _ => Some(10 * 1024 * 1024),
    };
    config.aqe = rng.chance_permille(500);
    config.advisory_partition_bytes = 16 + rng.below(4_000);
    config.skew_factor = 1 + rng.below(5) as u32;
    config.skew_threshold_bytes = rng.below(512);
    config.cached = ["t0", "t1", "t2"]
        .iter()
        .filter(|_| rng.chance_permille(300))
        .map(|t| t.to_string())
        .collect();
    config
}

/// What a run gave: its rows, or that it failed (with the message).
#[derive(Debug)]
enum Answer {
    Rows(Table),
    Refused(String),
}

fn single(session: &Session, sql: &str) -> Answer {
    let mut session = session.clone();
    match session.execute(sql) {
        Ok(mut out) => match out.pop() {
            Some(Outcome::Rows(r)) => Answer::Rows(r.table),
            other => Answer::Refused(format!("not rows: {other:?}")),
        },
        Err(e) => Answer::Refused(e.to_string()),
    }
}

fn distributed(session: &Session, sql: &str, config: &DistConfig) -> Answer {
    let mut session = session.clone();
    match catch_unwind(AssertUnwindSafe(|| session.run_distributed(sql, config))) {
        Err(_) => Answer::Refused("PANIC".into()),
        Ok(Ok(DistributedRun { table, .. })) => Answer::Rows(table),
        Ok(Err(e)) => Answer::Refused(e.to_string()),
    }
}

/// Doubles within a relative 1e-9 of each other: a sum of doubles that are not dyadic (an
/// average from a subquery, say) depends on the order of the additions, which partitioning
/// changes, in Spark as here. Every other value compares exactly.
fn values_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) if !x.is_nan() && !y.is_nan() => {
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

/// The order rows are sorted in before a multiset comparison: doubles rounded (to 1e-6), so
/// values equal within the tolerance sort alike.
fn row_order(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    let rounded = |v: &Value| match v {
        Value::Double(x) if x.is_finite() => Value::Double((x * 1e6).round()),
        other => other.clone(),
    };
    a.iter()
        .zip(b)
        .map(|(x, y)| rounded(x).cmp(&rounded(y)))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// The rows, sorted unless the order is the query's.
fn rows(table: &Table, ordered: bool) -> Vec<Vec<Value>> {
    let mut rows = table.to_rows();
    if !ordered {
        rows.sort_by(|a, b| row_order(a, b));
    }
    rows
}

fn agree(a: &Answer, b: &Answer, ordered: bool) -> bool {
    match (a, b) {
        (Answer::Rows(x), Answer::Rows(y)) => {
            let (x_rows, y_rows) = (rows(x, ordered), rows(y, ordered));
            let types =
                |t: &Table| -> Vec<DataType> { t.columns.iter().map(|c| c.data_type()).collect() };
            x.fields == y.fields
                && (x.rows == 0 || types(x) == types(y))
                && x_rows.len() == y_rows.len()
                && x_rows.iter().zip(&y_rows).all(|(p, q)| {
                    p.len() == q.len() && p.iter().zip(q).all(|(u, v)| values_eq(u, v))
                })
        }
        (Answer::Refused(x), Answer::Refused(y)) => x != "PANIC" && y != "PANIC",
        _ => false,
    }
}

fn show(answer: &Answer) -> String {
    match answer {
        Answer::Refused(e) => format!("ERROR {e}"),
        Answer::Rows(t) => {
            let rows = t.to_rows();
            let mut out = format!("{} row(s)", rows.len());
            for r in rows.iter().take(20) {
                let cells: Vec<String> = r.iter().map(|v| format!("{v:?}")).collect();
                out.push_str(&format!("\n      {}", cells.join(" | ")));
            }
            out
        }
    }
}

#[test]
fn distributed_runs_equal_single_machine_runs() {
    let seed = env_u64("FLOWLAB_SQL_SEED").unwrap_or(DEFAULT_SEED);
    let total = env_u64("FLOWLAB_DIST_QUERIES").map_or(DEFAULT_QUERIES, |n| n as usize);
    let root = Rng::new(Seed(seed));
    let mut gen = Gen {
        rng: root.fork("distributed-equivalence/queries"),
        aliases: 0,
        subqueries: 0,
        correlate: false,
        correlated: 0,
    };
    let mut data_rng = root.fork("distributed-equivalence/data");
    let mut config_rng = root.fork("distributed-equivalence/configs");
    let (mut broadcast_on, mut broadcast_off, mut aqe_on, mut aqe_off) = (0, 0, 0, 0);
    let (mut refused, mut ran) = (0, 0);
    let mut mismatches = Vec::new();
    let mut done = 0;
    while done < total {
        let world = random_world(&mut data_rng);
        let session = world_session(&world);
        for _ in 0..QUERIES_PER_WORLD.min(total - done) {
            done += 1;
            gen.aliases = 0;
            let q = gen.query();
            let (sql, _) = render(&q, Dialect::Ours);
            let config = random_config(&mut config_rng);
            match config.broadcast_threshold_bytes {
                Some(t) if t > 0 => broadcast_on += 1,
                _ => broadcast_off += 1,
            }
            if config.aqe {
                aqe_on += 1;
            } else {
                aqe_off += 1;
            }
            let expected = single(&session, &sql);
            let got = distributed(&session, &sql, &config);
            match &expected {
                Answer::Rows(_) => ran += 1,
                Answer::Refused(_) => refused += 1,
            }
            if !agree(&expected, &got, q.ordered()) {
                mismatches.push((world.setup.join(";\n"), sql, config, expected, got));
            }
        }
    }
    eprintln!(
        "distributed equivalence: seed {seed}, {done} queries ({ran} answered, {refused} refused \
         by both runs), broadcast on/off {broadcast_on}/{broadcast_off}, AQE on/off \
         {aqe_on}/{aqe_off}, {} mismatch(es)",
        mismatches.len()
    );
    for (setup, sql, config, expected, got) in mismatches.iter().take(SHOWN_MAX) {
        eprintln!(
            "\n-- tables:\n{setup};\n-- query:\n{sql};\n-- config: {config:?}\n-- single machine: \
             {}\n-- distributed:    {}",
            show(expected),
            show(got)
        );
    }
    assert!(done >= 2_000 || total < 2_000);
    assert!(broadcast_on > done / 4 && broadcast_off > done / 4);
    assert!(aqe_on > done / 4 && aqe_off > done / 4);
    assert!(ran > done / 2, "most generated queries must be answered");
    assert!(
        mismatches.is_empty(),
        "{} of {done} distributed runs differ from the single-machine run (seed {seed})",
        mismatches.len()
    );
}
