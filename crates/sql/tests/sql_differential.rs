//! Random differential testing of the SQL engine against DuckDB and SQLite (docs/testing.md,
//! "SQL: differential runs"), and a fuzz run over mutated queries.
//!
//! `random_queries_match_duckdb_and_sqlite`: a seeded generator makes "worlds" of three small
//! tables (BIGINT, DOUBLE and TEXT columns over small domains with about 20% NULLs, loaded with
//! CREATE TABLE and INSERT in all three engines) and, per world, queries from a grammar restricted
//! to what the engine supports: projections of columns and expressions, joins (inner, outer,
//! cross, comma, ON and USING), derived tables and CTEs, WHERE with comparisons, BETWEEN, IN
//! lists and subqueries, EXISTS, LIKE/ILIKE, IS [NOT] NULL, IS [NOT] DISTINCT FROM and AND/OR/NOT,
//! GROUP BY with count/sum/min/max/avg/count(DISTINCT) and HAVING, CASE, scalar functions,
//! window functions (ranking, lag/lead, first_value, aggregates with ROWS frames), set
//! operations, DISTINCT, and ORDER BY over every output column with explicit NULLS FIRST/LAST
//! plus LIMIT/OFFSET (so the order is total). Our engine runs in-process; every world and query
//! goes in one batch to `tests/oracles/sql_oracle.py` (one process), which runs them on DuckDB
//! (PyPI `duckdb`, pinned in tests/oracles/requirements.txt) and SQLite (Python's `sqlite3`).
//! Results are compared after the normalization of docs/testing.md: booleans as 0/1, numbers of either type by
//! value with a 1e-9 relative tolerance, rows as multisets unless the query orders them totally.
//! The generator steers clear of the documented semantic differences instead of excusing them:
//! integer `/` is rendered as DuckDB's `//` (which truncates like ours and SQLite's `/`), data and
//! LIKE patterns make case matter only where all three agree (SQLite runs with
//! `case_sensitive_like`), NULL placement is always explicit, and constructs SQLite lacks or
//! treats differently (greatest/least, INTERSECT/EXCEPT ALL) are compared with DuckDB only.
//! Every mismatch is shrunk (clauses, items, joins and sub-expressions dropped greedily while it
//! still mismatches) and printed with the seed, the world's tables and both results.
//!
//! `mutated_queries_never_panic`: thousands of generated queries mutated token by token (deleted,
//! duplicated, swapped, replaced by keywords and odd literals, random characters, truncation,
//! splices, moderate nesting) must each return rows or an error, never panic.
//!
//! `deep_nesting_never_overflows_the_stack`: very deep expressions and subqueries must be refused
//! or answered without overflowing the stack; each case runs in a child process, so an overflow
//! (which aborts, and cannot be caught) fails that case only.
//!
//! Environment: `FLOWLAB_SQL_SEED` (run another seed), `FLOWLAB_SQL_QUERIES` (queries per run),
//! `FLOWLAB_SQL_SHRINK` (how many mismatches to shrink and print in full),
//! `FLOWLAB_PYTHON` (a Python with the oracles' packages; scripts/test.sh sets it).

mod common;
use common::oracle::Oracle;
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};
use sql::exec::Limits;
use sql::{Outcome, Session, Value};
use std::cmp::Ordering;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::time::Instant;

/// The seed of a run unless `FLOWLAB_SQL_SEED` names another.
const DEFAULT_SEED: u64 = 20_260_501;
/// Queries per run unless `FLOWLAB_SQL_QUERIES` says otherwise (the issue asks for 5,000+).
const DEFAULT_QUERIES: usize = 5_500;
/// Queries per world (one set of random tables).
const QUERIES_PER_WORLD: usize = 110;
/// Mismatches shrunk and printed in full; the others are listed by query.
const SHRUNK_MAX: usize = 6;
/// Mutated inputs in the fuzz run.
const FUZZ_INPUTS: usize = 6_000;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

include!("common/querygen.rs");

// ---------------------------------------------------------------------------------------------
// Results and their comparison (normalized as docs/testing.md says)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

#[derive(Clone, Debug)]
enum Res {
    Rows(Vec<Vec<Cell>>),
    Err(String),
}

fn cell_of_value(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Boolean(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        Value::BigInt(i) => Cell::Num(*i as f64),
        // + 0.0 turns -0 into 0, which compare equal but sort apart.
        Value::Double(d) => Cell::Num(*d + 0.0),
        Value::Text(s) => Cell::Text(s.to_string()),
        other => Cell::Text(other.to_string()),
    }
}

fn cell_of_json(j: &Json) -> Cell {
    match j {
        Json::Null => Cell::Null,
        Json::Bool(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        Json::Number(n) => Cell::Num(n.as_f64().unwrap_or(f64::NAN) + 0.0),
        Json::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

fn res_of_json(j: &Json) -> Res {
    if let Some(e) = j.get("error") {
        return Res::Err(e.as_str().unwrap_or("?").to_string());
    }
    let rows = j["rows"]
        .as_array()
        .expect("oracle rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(cell_of_json)
                .collect()
        })
        .collect();
    Res::Rows(rows)
}

fn run_ours(session: &Session, sql: &str) -> Res {
    let mut session = session.clone();
    match catch_unwind(AssertUnwindSafe(|| session.execute(sql))) {
        Err(_) => Res::Err("PANIC".into()),
        Ok(Err(e)) => Res::Err(format!("{e}")),
        Ok(Ok(mut out)) => match out.pop() {
            Some(Outcome::Rows(r)) => Res::Rows(
                r.table
                    .to_rows()
                    .iter()
                    .map(|row| row.iter().map(cell_of_value).collect())
                    .collect(),
            ),
            other => Res::Err(format!("not rows: {other:?}")),
        },
    }
}

fn nums_eq(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn cells_eq(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Null, Cell::Null) => true,
        (Cell::Num(x), Cell::Num(y)) => nums_eq(*x, *y),
        (Cell::Text(x), Cell::Text(y)) => x == y,
        _ => false,
    }
}

fn cell_cmp(a: &Cell, b: &Cell) -> Ordering {
    let rank = |c: &Cell| match c {
        Cell::Null => 0,
        Cell::Num(_) => 1,
        Cell::Text(_) => 2,
    };
    match (a, b) {
        // Rounded, so that values equal within the tolerance sort alike on both sides.
        (Cell::Num(x), Cell::Num(y)) => (x * 1e6).round().total_cmp(&(y * 1e6).round()),
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rows_eq(ordered: bool, a: &[Vec<Cell>], b: &[Vec<Cell>]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    if !ordered {
        let by_row = |x: &Vec<Cell>, y: &Vec<Cell>| {
            x.iter()
                .zip(y)
                .map(|(p, q)| cell_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(x.len().cmp(&y.len()))
        };
        a.sort_by(by_row);
        b.sort_by(by_row);
    }
    a.iter()
        .zip(&b)
        .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| cells_eq(p, q)))
}

/// How our result differs from an oracle's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Differ,
    /// We fail where the oracle answers.
    OursErr,
    /// The oracle fails where we answer.
    TheirErr,
    /// Both fail: the generator wrote something invalid.
    BothErr,
}

fn verdict(ours: &Res, theirs: &Res, ordered: bool) -> Option<Verdict> {
    match (ours, theirs) {
        (Res::Rows(a), Res::Rows(b)) => (!rows_eq(ordered, a, b)).then_some(Verdict::Differ),
        (Res::Err(_), Res::Rows(_)) => Some(Verdict::OursErr),
        (Res::Rows(_), Res::Err(_)) => Some(Verdict::TheirErr),
        (Res::Err(_), Res::Err(_)) => Some(Verdict::BothErr),
    }
}

fn show(res: &Res) -> String {
    match res {
        Res::Err(e) => format!("ERROR {e}"),
        Res::Rows(rows) => {
            let mut out = format!("{} row(s)", rows.len());
            for r in rows.iter().take(25) {
                let cells: Vec<String> = r
                    .iter()
                    .map(|c| match c {
                        Cell::Null => "NULL".into(),
                        Cell::Num(x) => format!("{x}"),
                        Cell::Text(s) => format!("{s:?}"),
                    })
                    .collect();
                out.push_str(&format!("\n      {}", cells.join(" | ")));
            }
            if rows.len() > 25 {
                out.push_str("\n      ...");
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle process
// ---------------------------------------------------------------------------------------------

fn setup_request(world: &World) -> Json {
    json!({"op": "setup", "sql": world.setup})
}

fn query_request(q: &Query) -> (Json, String, bool) {
    let (ours, _) = render(q, Dialect::Ours);
    let (duck, _) = render(q, Dialect::Duck);
    let (lite, lite_ok) = render(q, Dialect::Lite);
    let req = json!({
        "op": "query",
        "duckdb": duck,
        "sqlite": if lite_ok { Json::String(lite) } else { Json::Null },
    });
    (req, ours, lite_ok)
}

// ---------------------------------------------------------------------------------------------
// Shrinking
// ---------------------------------------------------------------------------------------------

fn simple_literal(ty: Ty) -> Expr {
    match ty {
        Ty::Int => Expr::Lit("1".into(), ty),
        Ty::Dbl => Expr::Lit("0.5".into(), ty),
        Ty::Text => Expr::Lit("'a'".into(), ty),
        Ty::Bool => Expr::Lit("TRUE".into(), ty),
    }
}

/// One-step simplifications of an expression, each of the same type.
fn shrink_expr(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let ty = e.ty();
    let mut copy = e.clone();
    for c in copy.children_mut() {
        // An aggregate's argument instead of the aggregate would change what the query means.
        if c.ty() == ty && !c.has_window() && !matches!(e, Expr::Agg(..)) {
            out.push(c.clone());
        }
    }
    if !e.is_leaf() && !e.has_window() && !matches!(e, Expr::Agg(..)) {
        out.push(simple_literal(ty));
    }
    let n = copy.children_mut().len();
    for i in 0..n {
        let child = e.clone().children_mut()[i].clone();
        for s in shrink_expr(&child) {
            let mut next = e.clone();
            *next.children_mut()[i] = s;
            out.push(next);
        }
    }
    if let Some(q) = copy.subquery_mut() {
        for s in shrink_query(q) {
            let mut next = e.clone();
            *next.subquery_mut().unwrap() = s;
            out.push(next);
        }
    }
    out
}

fn shrink_select(s: &Select) -> Vec<Select> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Select)| {
        let mut next = s.clone();
        f(&mut next);
        next
    };
    if s.order.is_some() {
        out.push(with(&|n| n.order = None));
        if let Some(o) = &s.order {
            if o.limit.is_some() || o.offset.is_some() {
                out.push(with(&|n| {
                    let o = n.order.as_mut().unwrap();
                    o.limit = None;
                    o.offset = None;
                }));
            }
        }
    }
    if s.filter.is_some() {
        out.push(with(&|n| n.filter = None));
    }
    if s.having.is_some() {
        out.push(with(&|n| n.having = None));
    }
    if s.distinct {
        out.push(with(&|n| n.distinct = false));
    }
    if s.items.len() > 1 {
        for i in 0..s.items.len() {
            out.push(with(&|n| {
                n.items.remove(i);
                if let Some(o) = &mut n.order {
                    o.keys.remove(i);
                }
            }));
        }
    }
    for j in 0..s.group_by.len() {
        out.push(with(&|n| {
            n.group_by.remove(j);
        }));
    }
    if s.from.len() > 1 {
        for j in 1..s.from.len() {
            out.push(with(&|n| {
                n.from.remove(j);
            }));
        }
        for j in 1..s.from.len() {
            if let Some((kind, _)) = &s.from[j].join {
                if !matches!(kind, JoinKind::Inner | JoinKind::Cross | JoinKind::Comma) {
                    out.push(with(&|n| {
                        n.from[j].join.as_mut().unwrap().0 = JoinKind::Inner
                    }));
                }
            }
        }
    }
    for i in 0..s.items.len() {
        for e in shrink_expr(&s.items[i]) {
            let mut next = s.clone();
            next.items[i] = e;
            out.push(next);
        }
    }
    if let Some(f) = &s.filter {
        for e in shrink_expr(f) {
            let mut next = s.clone();
            next.filter = Some(e);
            out.push(next);
        }
    }
    if let Some(h) = &s.having {
        for e in shrink_expr(h) {
            let mut next = s.clone();
            next.having = Some(e);
            out.push(next);
        }
    }
    for j in 0..s.from.len() {
        if let Some((_, JoinCond::On(on))) = &s.from[j].join {
            for e in shrink_expr(on) {
                let mut next = s.clone();
                next.from[j].join.as_mut().unwrap().1 = JoinCond::On(e);
                out.push(next);
            }
        }
        if let Source::Derived(q, cte) = &s.from[j].source {
            for sq in shrink_query(q) {
                let mut next = s.clone();
                next.from[j].source = Source::Derived(Box::new(sq), *cte);
                out.push(next);
            }
        }
    }
    out
}

fn shrink_query(q: &Query) -> Vec<Query> {
    match q {
        Query::Select(s) => shrink_select(s).into_iter().map(Query::Select).collect(),
        Query::SetOp {
            left,
            op,
            all,
            right,
            order,
        } => {
            let mut out = Vec::new();
            for side in [left, right] {
                let mut s = side.as_ref().clone();
                if let Query::Select(sel) = &mut s {
                    sel.order.clone_from(order);
                }
                out.push(s);
            }
            if order.is_some() {
                out.push(Query::SetOp {
                    left: left.clone(),
                    op,
                    all: *all,
                    right: right.clone(),
                    order: None,
                });
            }
            for l in shrink_query(left) {
                if l.item_types() == left.item_types() {
                    out.push(Query::SetOp {
                        left: Box::new(l),
                        op,
                        all: *all,
                        right: right.clone(),
                        order: order.clone(),
                    });
                }
            }
            for r in shrink_query(right) {
                if r.item_types() == right.item_types() {
                    out.push(Query::SetOp {
                        left: left.clone(),
                        op,
                        all: *all,
                        right: Box::new(r),
                        order: order.clone(),
                    });
                }
            }
            out
        }
    }
}

/// Which oracle disagreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Duck,
    Lite,
}

struct Mismatch {
    world: usize,
    query: Query,
    which: Which,
    verdict: Verdict,
}

/// Greedily simplifies `q` while it still mismatches in the same way.
fn shrink(
    oracle: &mut Oracle,
    world: &World,
    session: &Session,
    q: &Query,
    which: Which,
    want: Verdict,
) -> Query {
    let mut current = q.clone();
    for _round in 0..300 {
        let candidates: Vec<Query> = shrink_query(&current)
            .into_iter()
            .filter(|c| which == Which::Duck || render(c, Dialect::Lite).1)
            .collect();
        if candidates.is_empty() {
            break;
        }
        let mut requests = vec![setup_request(world)];
        requests.extend(candidates.iter().map(|c| query_request(c).0));
        let answers = oracle.batch(&requests);
        let key = if which == Which::Duck {
            "duckdb"
        } else {
            "sqlite"
        };
        let next = candidates.iter().zip(&answers[1..]).find(|(c, a)| {
            let ours = run_ours(session, &render(c, Dialect::Ours).0);
            verdict(&ours, &res_of_json(&a[key]), c.ordered()) == Some(want)
        });
        match next {
            Some((c, _)) => current = c.clone(),
            None => break,
        }
    }
    current
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn random_queries_match_duckdb_and_sqlite() {
    let seed = env_u64("FLOWLAB_SQL_SEED").unwrap_or(DEFAULT_SEED);
    let total = env_u64("FLOWLAB_SQL_QUERIES").map_or(DEFAULT_QUERIES, |n| n as usize);
    let worlds_n = total.div_ceil(QUERIES_PER_WORLD);
    // Wall-clock time for the run's report only; nothing the engine computes depends on it.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let root = Rng::new(Seed(seed));
    let mut gen = Gen {
        rng: root.fork("sql-differential/queries"),
        aliases: 0,
        subqueries: 0,
        correlate: false,
        correlated: 0,
    };
    let mut data_rng = root.fork("sql-differential/data");

    let mut worlds = Vec::new();
    let mut sessions = Vec::new();
    let mut queries: Vec<(usize, Query)> = Vec::new();
    let mut correlated_queries = 0;
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for w in 0..worlds_n {
        let world = random_world(&mut data_rng);
        let session = world_session(&world);
        requests.push(setup_request(&world));
        for _ in 0..QUERIES_PER_WORLD.min(total - w * QUERIES_PER_WORLD) {
            gen.aliases = 0;
            let correlated_before = gen.correlated;
            let q = gen.query();
            correlated_queries += usize::from(gen.correlated > correlated_before);
            let (req, sql, _) = query_request(&q);
            requests.push(req);
            ours.push(run_ours(&session, &sql));
            queries.push((w, q));
        }
        worlds.push(world);
        sessions.push(session);
    }
    let ours_done = started.elapsed();

    let mut oracle =
        Oracle::start(&std::env::var("FLOWLAB_PYTHON").unwrap_or_else(|_| "python3".into()));
    let answers = oracle.batch(&requests);
    let oracle_done = started.elapsed();
    let answers: Vec<&Json> = answers
        .iter()
        .filter(|a| a.get("setup").is_none())
        .collect();
    assert_eq!(answers.len(), queries.len(), "one answer per query");

    let mut mismatches = Vec::new();
    let (mut lite_compared, mut ours_errors, mut empty) = (0, 0, 0);
    let mut duck_failures = Vec::new();
    for (((w, q), ours), answer) in queries.iter().zip(&ours).zip(&answers) {
        if matches!(ours, Res::Err(_)) {
            ours_errors += 1;
        }
        if matches!(ours, Res::Rows(r) if r.is_empty()) {
            empty += 1;
        }
        let duck = res_of_json(&answer["duckdb"]);
        let lite = (!answer["sqlite"].is_null()).then(|| res_of_json(&answer["sqlite"]));
        // DuckDB's own bugs ("INTERNAL Error: Failed to bind column reference", "
        // BindBuiltinScalarFunction did not return a BoundFunctionExpression") leave the query to
        // SQLite alone.
        let duck_failed = matches!(&duck, Res::Err(e) if e.contains("INTERNAL Error")
            || e.contains("BindBuiltinScalarFunction"));
        if duck_failed {
            duck_failures.push(render(q, Dialect::Duck).0);
        } else if let Some(v) = verdict(ours, &duck, q.ordered()) {
            mismatches.push(Mismatch {
                world: *w,
                query: q.clone(),
                which: Which::Duck,
                verdict: v,
            });
            continue;
        }
        if let Some(lite) = &lite {
            lite_compared += 1;
            if let Some(v) = verdict(ours, lite, q.ordered()) {
                mismatches.push(Mismatch {
                    world: *w,
                    query: q.clone(),
                    which: Which::Lite,
                    verdict: v,
                });
            }
        }
    }
    eprintln!(
        "sql differential: seed {seed}, {} worlds, {} queries ({} with a correlated subquery, {} \
         also against SQLite), {} empty results, {} errors of ours; engine {:.1?}, oracles {:.1?}; \
         {} mismatch(es)",
        worlds.len(),
        queries.len(),
        correlated_queries,
        lite_compared,
        empty,
        ours_errors,
        ours_done,
        oracle_done - ours_done,
        mismatches.len()
    );
    for sql in &duck_failures {
        eprintln!("DuckDB failed internally (compared with SQLite only): {sql}");
    }

    let shrunk_max = env_u64("FLOWLAB_SQL_SHRINK").map_or(SHRUNK_MAX, |n| n as usize);
    for (i, m) in mismatches.iter().enumerate() {
        let (sql, _) = render(&m.query, Dialect::Ours);
        if i >= shrunk_max {
            eprintln!(
                "\nmismatch {} ({:?} vs {:?}, world {}): {sql}",
                i + 1,
                m.verdict,
                m.which,
                m.world
            );
            continue;
        }
        let world = &worlds[m.world];
        let session = &sessions[m.world];
        let small = shrink(&mut oracle, world, session, &m.query, m.which, m.verdict);
        let (small_ours, _) = render(&small, Dialect::Ours);
        let (small_duck, _) = render(&small, Dialect::Duck);
        let (small_lite, _) = render(&small, Dialect::Lite);
        let answer = &oracle.batch(&[setup_request(world), query_request(&small).0])[1];
        let key = if m.which == Which::Duck {
            "duckdb"
        } else {
            "sqlite"
        };
        let oracle_sql = if m.which == Which::Duck {
            &small_duck
        } else {
            &small_lite
        };
        eprintln!(
            "\n=== mismatch {} of {}: {:?} against {:?} (seed {seed}, world {})\n-- tables:\n{};\n\
             -- query as generated:\n{sql};\n-- shrunk:\n{small_ours};\n-- as sent to {:?}:\n{oracle_sql};\n\
             -- ours:   {}\n-- oracle: {}",
            i + 1,
            mismatches.len(),
            m.verdict,
            m.which,
            m.world,
            world.setup.join(";\n"),
            m.which,
            show(&run_ours(session, &small_ours)),
            show(&res_of_json(&answer[key])),
        );
    }
    assert!(
        queries.len() >= total,
        "the run made fewer queries than asked"
    );
    assert_eq!(
        mismatches.len(),
        0,
        "{} of {} queries differ from DuckDB or SQLite (seed {seed}; details above)",
        mismatches.len(),
        queries.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------------------------

const VOCABULARY: [&str; 58] = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "FULL",
    "ON",
    "USING",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "ALL",
    "DISTINCT",
    "(",
    ")",
    ",",
    "*",
    "NULL",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "OVER",
    "PARTITION",
    "ROWS",
    "BETWEEN",
    "AND",
    "OR",
    "NOT",
    "IN",
    "EXISTS",
    "LIKE",
    "CAST",
    "AS",
    "::",
    "WITH",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "0",
    "-1",
    "''",
    "'x'",
    "\"t0\"",
    "INTERVAL '1 day'",
    "DATE '2024-02-30'",
    "count(*)",
    "sum(",
    "row_number()",
    ";",
    "EXPLAIN",
];

fn tokens(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in sql.chars() {
        if quoted {
            cur.push(c);
            if c == '\'' {
                quoted = false;
            }
            continue;
        }
        match c {
            '\'' => {
                cur.push(c);
                quoted = true;
            }
            ' ' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '(' | ')' | ',' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn mutate(rng: &mut Rng, sql: &str, other: &str) -> String {
    let mut t = tokens(sql);
    let pos = |rng: &mut Rng, n: usize| rng.below(n.max(1) as u64) as usize;
    match rng.below(10) {
        0 if !t.is_empty() => {
            let i = pos(rng, t.len());
            t.remove(i);
        }
        1 if !t.is_empty() => {
            let i = pos(rng, t.len());
            let tok = t[i].clone();
            t.insert(i, tok);
        }
        2 if t.len() > 1 => {
            let (i, j) = (pos(rng, t.len()), pos(rng, t.len()));
            t.swap(i, j);
        }
        3 if !t.is_empty() => {
            let i = pos(rng, t.len());
            t[i] = VOCABULARY[pos(rng, VOCABULARY.len())].to_string();
        }
        4 => {
            let i = pos(rng, t.len() + 1).min(t.len());
            t.insert(i, VOCABULARY[pos(rng, VOCABULARY.len())].to_string());
        }
        5 => {
            // Random characters, controls and non-ASCII included, spliced into the text.
            let chars: Vec<char> = sql.chars().collect();
            let at = pos(rng, chars.len() + 1).min(chars.len());
            let odd = [
                '\0', '\'', '"', '\\', '\n', '\t', ';', '(', ')', '%', 'é', '€', '𝕏', '\u{202e}',
                '-', '/', '*', '$', '?', '[', '`',
            ];
            let mut s: String = chars[..at].iter().collect();
            for _ in 0..1 + rng.below(3) {
                if rng.chance_permille(500) {
                    s.push(odd[pos(rng, odd.len())]);
                } else {
                    s.push(char::from_u32(rng.below(0x2FF) as u32).unwrap_or('x'));
                }
            }
            s.extend(&chars[at..]);
            return s;
        }
        6 => {
            let chars: Vec<char> = sql.chars().collect();
            let at = pos(rng, chars.len());
            return chars[..at].iter().collect();
        }
        7 => {
            // Splice: the start of one query with the end of another.
            let a: Vec<char> = sql.chars().collect();
            let b: Vec<char> = other.chars().collect();
            let (i, j) = (pos(rng, a.len()), pos(rng, b.len()));
            return a[..i].iter().chain(&b[j..]).collect();
        }
        8 if !t.is_empty() => {
            // Moderate nesting around one token.
            let i = pos(rng, t.len());
            let depth = 1 + rng.below(25) as usize;
            let wrap = [("(", ")"), ("NOT (", ")"), ("abs(", ")"), ("- (", ")")][pos(rng, 4)];
            t[i] = format!("{}{}{}", wrap.0.repeat(depth), t[i], wrap.1.repeat(depth));
        }
        _ => {
            let depth = 1 + rng.below(8) as usize;
            return format!(
                "SELECT * FROM {}({sql}) AS s{}",
                "(SELECT * FROM ".repeat(depth),
                ") AS s".repeat(depth)
            );
        }
    }
    t.join(" ")
}

/// Constructs the generator does not write, mutated along with its queries.
const FUZZ_EXTRA: &[&str] = &[
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20) SELECT n, t0.s0 FROM r JOIN t0 ON t0.id = r.n",
    "WITH RECURSIVE r(id, depth) AS (SELECT id, 0 FROM t1 WHERE i0 > 2 UNION SELECT t1.id, r.depth + 1 FROM t1 JOIN r ON t1.i1 = r.id WHERE r.depth < 5) SELECT * FROM r",
    "SELECT * FROM t0 NATURAL JOIN t1 NATURAL LEFT JOIN t2",
    "SELECT s0 FROM t1 WHERE s0 LIKE 'a!%' ESCAPE '!' OR s1 NOT ILIKE '%\\_' ESCAPE ''",
    "SELECT i0, count(*) FILTER (WHERE d0 > 1), sum(i1) FILTER (WHERE s0 <> 'a') FROM t0 GROUP BY i0",
];

#[test]
fn mutated_queries_never_panic() {
    let seed = env_u64("FLOWLAB_SQL_SEED").unwrap_or(DEFAULT_SEED);
    // Debug builds use large stack frames: the run gets a big stack, so that this
    // test finds panics; stack depth itself is deep_nesting_never_overflows_the_stack's business.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            // Wall-clock time for the run's report only.
            #[allow(clippy::disallowed_methods)]
            let started = Instant::now();
            let root = Rng::new(Seed(seed));
            let mut gen = Gen {
                rng: root.fork("sql-fuzz/queries"),
                        aliases: 0,
                subqueries: 0,
                correlate: false,
                correlated: 0,
            };
            let mut data_rng = root.fork("sql-fuzz/data");
            let mut rng = root.fork("sql-fuzz/mutations");
            let mut panics = Vec::new();
            let (mut inputs, mut accepted) = (0, 0);
            while inputs < FUZZ_INPUTS {
                let world = random_world(&mut data_rng);
                let mut session = world_session(&world);
                session.limits = Limits {
                    rows_max: 50_000,
                    work_max: 2_000_000,
                };
                let mut base: Vec<String> = (0..100)
                    .map(|_| {
                        gen.aliases = 0;
                        render(&gen.query(), Dialect::Ours).0
                    })
                    .collect();
                base.extend(FUZZ_EXTRA.iter().map(|s| s.to_string()));
                for (i, sql) in base.iter().enumerate() {
                    let mut input = sql.clone();
                    let n = if rng.chance_permille(700) { 1 } else { 2 };
                    for _ in 0..n {
                        input = mutate(&mut rng, &input, &base[(i + 1) % base.len()]);
                    }
                    inputs += 1;
                    let mut s = session.clone();
                    match catch_unwind(AssertUnwindSafe(|| s.execute(&input))) {
                        Ok(Ok(_)) => accepted += 1,
                        Ok(Err(_)) => {}
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            panics.push(format!("{msg}\n  input: {input:?}"));
                        }
                    }
                }
            }
            eprintln!(
                "sql fuzz: seed {seed}, {inputs} mutated inputs, {accepted} ran, {} panicked, {:.1?}",
                panics.len(),
                started.elapsed()
            );
            panics
        })
        .expect("fuzz thread");
    let panics = worker.join().expect("the fuzz run itself");
    assert!(
        panics.is_empty(),
        "{} input(s) panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
}

/// Deep inputs; each must be answered or refused (a syntax or limit error), never overflow.
fn deep_cases() -> Vec<(&'static str, String)> {
    let mut cases = Vec::new();
    for n in [50, 100, 1_000, 20_000] {
        cases.push((
            "parentheses",
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        ));
        cases.push(("NOT chain", format!("SELECT {}TRUE", "NOT ".repeat(n))));
        cases.push(("unary minus chain", format!("SELECT {}1", "- ".repeat(n))));
        cases.push((
            "function nesting",
            format!("SELECT {}1{}", "abs(".repeat(n), ")".repeat(n)),
        ));
        cases.push((
            "nested subqueries",
            format!(
                "SELECT * FROM {}(SELECT 1 AS x) AS s{}",
                "(SELECT * FROM ".repeat(n),
                ") AS s".repeat(n)
            ),
        ));
        cases.push(("left-deep +", format!("SELECT {}1", "1 + ".repeat(n))));
        cases.push((
            "AND chain",
            format!("SELECT 1 WHERE {}", vec!["1 = 1"; n].join(" AND ")),
        ));
        cases.push(("|| chain", format!("SELECT 'a'{}", " || 'a'".repeat(n))));
        cases.push((
            "UNION ALL chain",
            format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)),
        ));
        cases.push((
            "CASE nesting",
            format!(
                "SELECT {}1{}",
                "CASE WHEN TRUE THEN ".repeat(n),
                " END".repeat(n)
            ),
        ));
    }
    cases
}

/// The stack a deep case gets: 1 MiB is a wasm32 program's default stack (the browser lab's
/// budget); debug builds use several times larger frames than release ones.
const DEEP_STACK: usize = if cfg!(debug_assertions) {
    16 << 20
} else {
    1 << 20
};

/// Runs one deep case (chosen by `FLOWLAB_SQL_DEEP_CASE`) when `deep_nesting_never_overflows_the_stack`
/// starts this test binary again; does nothing otherwise.
#[test]
fn deep_nesting_child() {
    let Some(i) = env_u64("FLOWLAB_SQL_DEEP_CASE") else {
        return;
    };
    let (_, sql) = deep_cases().swap_remove(i as usize);
    let answer = std::thread::Builder::new()
        .stack_size(DEEP_STACK)
        .spawn(move || match Session::new().execute(&sql) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        })
        .unwrap()
        .join()
        .expect("no panic");
    println!("DEEP-CASE-ANSWER {answer}");
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    let exe = std::env::current_exe().expect("test binary");
    let mut failures = Vec::new();
    let cases = deep_cases();
    for (i, (name, sql)) in cases.iter().enumerate() {
        let depth = sql.len();
        let out = Command::new(&exe)
            .args([
                "--exact",
                "deep_nesting_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FLOWLAB_SQL_DEEP_CASE", i.to_string())
            .output()
            .expect("test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let marker = "DEEP-CASE-ANSWER ";
        match stdout.lines().find_map(|l| l.split_once(marker)) {
            Some((_, answer)) if out.status.success() => {
                eprintln!(
                    "{name} ({depth} bytes): {}",
                    answer.chars().take(100).collect::<String>()
                );
            }
            _ => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let why = stderr
                    .lines()
                    .find(|l| l.contains("overflow") || l.contains("panicked"))
                    .unwrap_or("crashed")
                    .to_string();
                failures.push(format!("{name} ({depth} bytes of SQL): {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} deep inputs crashed with a {} KiB stack:\n{}",
        failures.len(),
        cases.len(),
        DEEP_STACK >> 10,
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: the engine bugs the differential run found (all fixed), one minimal case each
// (expected results from DuckDB 2.0.0 and SQLite 3.40, which agree). The generator produces every
// one of these constructs, so a return of any of them also shows up as a mismatch.
// ---------------------------------------------------------------------------------------------

const BUG_TABLE: &str = "CREATE TABLE t (a BIGINT, d DOUBLE); \
    INSERT INTO t VALUES (1, 2.5), (2, NULL), (3, -1.5), (4, 1.0)";

/// Each result row's values joined by `|`, or the error.
fn result_rows(sql: &str) -> Result<Vec<String>, String> {
    let mut session = Session::new();
    session.execute(BUG_TABLE).map_err(|e| e.to_string())?;
    match session.execute(sql).map_err(|e| e.to_string())?.pop() {
        Some(Outcome::Rows(r)) => Ok(r
            .table
            .to_rows()
            .iter()
            .map(|row| {
                row.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()),
        other => Err(format!("not rows: {other:?}")),
    }
}

#[test]
fn regression_order_by_after_a_set_operation() {
    assert_eq!(
        result_rows("SELECT a FROM t UNION ALL SELECT a FROM t ORDER BY 1 DESC NULLS LAST LIMIT 3"),
        Ok(vec!["4".into(), "4".into(), "3".into()])
    );
}

#[test]
fn regression_count_of_a_constant_null() {
    assert_eq!(
        result_rows("SELECT count(NULL), count(CAST(NULL AS DOUBLE)) FROM t"),
        Ok(vec!["0|0".into()])
    );
}

#[test]
fn regression_a_typed_null_keeps_its_type() {
    assert_eq!(
        result_rows("SELECT CASE WHEN TRUE THEN CAST(NULL AS DOUBLE) END / 4.0"),
        Ok(vec!["NULL".into()])
    );
    assert_eq!(
        result_rows("SELECT max(CAST(NULL AS DOUBLE)) + 1.0"),
        Ok(vec!["NULL".into()])
    );
}

#[test]
fn regression_window_over_an_aggregate() {
    assert_eq!(
        result_rows("SELECT a, sum(min(d)) OVER (ORDER BY a) FROM t GROUP BY a ORDER BY a"),
        Ok(vec![
            "1|2.5".into(),
            "2|2.5".into(),
            "3|1.0".into(),
            "4|2.0".into()
        ])
    );
}

#[test]
fn regression_null_in_an_empty_subquery() {
    assert_eq!(
        result_rows(
            "SELECT NULL IN (SELECT a FROM t WHERE FALSE), NULL NOT IN (SELECT a FROM t WHERE FALSE)"
        ),
        Ok(vec!["false|true".into()])
    );
    assert_eq!(
        result_rows("SELECT count(*) FROM t WHERE d NOT IN (SELECT a FROM t WHERE a > 10)"),
        Ok(vec!["4".into()])
    );
}

#[test]
fn regression_scalar_subquery_type_when_it_returns_null() {
    assert_eq!(
        result_rows("SELECT CASE WHEN TRUE THEN (SELECT max(d) FROM t WHERE FALSE) END + 1.0"),
        Ok(vec!["NULL".into()])
    );
    let mut session = Session::new();
    session.execute(BUG_TABLE).unwrap();
    let Some(Outcome::Rows(r)) = session
        .execute("SELECT (SELECT d FROM t WHERE FALSE)")
        .unwrap()
        .pop()
    else {
        panic!("rows")
    };
    assert_eq!(r.table.fields[0].data_type, sql::DataType::Double);
}
