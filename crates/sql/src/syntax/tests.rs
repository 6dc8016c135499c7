//! The parser's unit tests: precedence, each statement, each refusal, error positions and
//! hints, the nesting limits, and Display reading back to the same tree.

use super::ast::*;
use super::parse;
use crate::error::{ErrorKind, Position, SqlError};

fn one(sql: &str) -> Statement {
    let mut statements = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", e.hint));
    assert_eq!(statements.len(), 1, "{sql}");
    statements.remove(0)
}

fn shown(sql: &str) -> String {
    one(sql).to_string()
}

/// The tree's Debug text with every span left out (spans differ between two spellings).
fn without_spans(statement: &Statement) -> String {
    let mut text = format!("{statement:?}");
    while let Some(at) = text.find("Span { start: Location {") {
        let Some(end) = text[at..].find("end: Location {") else {
            break;
        };
        let Some(close) = text[at + end..].find(" } }") else {
            break;
        };
        text.replace_range(at..at + end + close + 4, "_");
    }
    text
}

fn error(sql: &str) -> SqlError {
    match parse(sql) {
        Ok(_) => panic!("{sql} parsed"),
        Err(e) => e,
    }
}

/// The first projected expression of a SELECT.
fn first_item(sql: &str) -> Expr {
    let Statement::Query(q) = one(sql) else {
        panic!("{sql}: not a query")
    };
    let SetExpr::Select(s) = *q.body else {
        panic!("{sql}: not a SELECT")
    };
    match s.projection.into_iter().next() {
        Some(SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) => e,
        _ => panic!("{sql}: no expression"),
    }
}

/// The expression with every operator's operands in parentheses, to show how it was grouped.
fn grouped(e: &Expr) -> String {
    match e {
        Expr::BinaryOp { left, op, right } => {
            format!("({} {op} {})", grouped(left), grouped(right))
        }
        Expr::UnaryOp { op, expr, .. } => format!("({op} {})", grouped(expr)),
        Expr::IsNull(e) => format!("({} IS NULL)", grouped(e)),
        Expr::IsDistinctFrom(a, b) => format!("({} IS DISTINCT FROM {})", grouped(a), grouped(b)),
        Expr::Between {
            expr, low, high, ..
        } => format!(
            "({} BETWEEN {} AND {})",
            grouped(expr),
            grouped(low),
            grouped(high)
        ),
        Expr::Like { expr, pattern, .. } => {
            format!("({} LIKE {})", grouped(expr), grouped(pattern))
        }
        Expr::InList { expr, list, .. } => format!("({} IN [{}])", grouped(expr), list.len()),
        Expr::Cast {
            expr, data_type, ..
        } => format!("({}::{data_type})", grouped(expr)),
        other => other.to_string(),
    }
}

#[test]
fn operators_bind_with_postgresql_precedence() {
    let cases = [
        ("a OR b AND c", "(a OR (b AND c))"),
        ("NOT a = b", "(NOT (a = b))"),
        ("NOT a AND b", "((NOT a) AND b)"),
        ("a + b * c - d", "((a + (b * c)) - d)"),
        ("a || b + c", "((a || b) + c)"),
        ("-a * b", "((- a) * b)"),
        ("-a::INT", "(- (a::INT))"),
        ("a + 1::TEXT", "(a + (1::TEXT))"),
        ("a = b IS NULL", "((a = b) IS NULL)"),
        ("a BETWEEN 1 AND 2 AND c", "((a BETWEEN 1 AND 2) AND c)"),
        ("a LIKE 'x' = true", "(a LIKE ('x' = true))"),
        ("a = 1 AND b IN (1, 2)", "((a = 1) AND (b IN [2]))"),
        (
            "a IS DISTINCT FROM b AND c",
            "((a IS DISTINCT FROM b) AND c)",
        ),
        ("a < b = c", "((a < b) = c)"),
    ];
    for (text, want) in cases {
        let e = first_item(&format!("SELECT {text}"));
        assert_eq!(grouped(&e), want, "{text}");
        assert_eq!(e.to_string(), text, "Display keeps the text");
    }
}

#[test]
fn display_matches_sqlparser_spelling() {
    let cases = [
        ("select count(*), Sum(DISTINCT x) from t", "SELECT count(*), Sum(DISTINCT x) FROM t"),
        ("SELECT a != b, 'it''s', E'a\\nb'", "SELECT a <> b, 'it''s', E'a\\nb'"),
        ("SELECT cast(x as double precision), x::int, try_cast(y AS varchar(20))", "SELECT CAST(x AS DOUBLE PRECISION), x::INT, TRY_CAST(y AS VARCHAR(20))"),
        ("SELECT extract(year from d), substring(s from 2 for 3), substring(s, 1, 2)", "SELECT EXTRACT(YEAR FROM d), SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s, 1, 2)"),
        ("SELECT trim(both 'x' from s), position('a' in s), ceil(x), floor(y)", "SELECT TRIM(BOTH 'x' FROM s), POSITION('a' IN s), CEIL(x), FLOOR(y)"),
        ("SELECT interval '2' hour, date '2024-01-15', timestamp '2024-01-15 10:00'", "SELECT INTERVAL '2' HOUR, DATE '2024-01-15', TIMESTAMP '2024-01-15 10:00'"),
        ("SELECT case when a then 1 else 2 end, case x when 1 then 'a' end", "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE x WHEN 1 THEN 'a' END"),
        ("SELECT sum(x) filter (where y > 1) over (partition by g order by t desc nulls last rows between 2 preceding and current row)", "SELECT sum(x) FILTER (WHERE y > 1) OVER (PARTITION BY g ORDER BY t DESC NULLS LAST ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)"),
        ("SELECT x IS NOT NULL, y IS NOT TRUE, z NOT BETWEEN 1 AND 2, w NOT ILIKE 'a%' ESCAPE '!'", "SELECT x IS NOT NULL, y IS NOT TRUE, z NOT BETWEEN 1 AND 2, w NOT ILIKE 'a%' ESCAPE '!'"),
        ("SELECT * FROM a JOIN b ON a.k = b.k LEFT OUTER JOIN c USING (k) CROSS JOIN d NATURAL JOIN e", "SELECT * FROM a JOIN b ON a.k = b.k LEFT JOIN c USING(k) CROSS JOIN d NATURAL JOIN e"),
        ("select t.*, \"Odd \"\"name\"\"\" from s.t as x (a, b)", "SELECT t.*, \"Odd \"\"name\"\"\" FROM s.t AS x (a, b)"),
        ("SELECT * FROM TUMBLE(rides, ts, INTERVAL '10' SECOND) w", "SELECT * FROM TUMBLE(rides, ts, INTERVAL '10' SECOND) AS w"),
        ("SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1 LIMIT 5 OFFSET 2", "SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1 LIMIT 5 OFFSET 2"),
        ("with recursive r(n) as (select 1) select n from r limit 2, 3", "WITH RECURSIVE r (n) AS (SELECT 1) SELECT n FROM r LIMIT 2, 3"),
        ("VALUES (1, 'a'), (2, 'b')", "VALUES (1, 'a'), (2, 'b')"),
        ("SELECT current_date, now()", "SELECT current_date, now()"),
        ("SELECT x FROM e ASOF LEFT OUTER JOIN f ON e.t >= f.t SEMI JOIN g USING (k)", "SELECT x FROM e ASOF LEFT JOIN f ON e.t >= f.t SEMI JOIN g USING(k)"),
    ];
    for (sql, want) in cases {
        let text = shown(sql);
        assert_eq!(text, want, "{sql}");
        assert_eq!(
            without_spans(&one(&text)),
            without_spans(&one(sql)),
            "{sql}: Display reads back to the same tree"
        );
    }
}

#[test]
fn set_operations_put_intersect_first() {
    let Statement::Query(q) = one("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4")
    else {
        panic!("a query")
    };
    let SetExpr::SetOperation { op, left, .. } = *q.body else {
        panic!("a set operation")
    };
    assert_eq!(op, SetOperator::Except);
    let SetExpr::SetOperation { op, right, .. } = *left else {
        panic!("UNION on the left")
    };
    assert_eq!(op, SetOperator::Union);
    assert!(matches!(
        *right,
        SetExpr::SetOperation {
            op: SetOperator::Intersect,
            ..
        }
    ));
}

#[test]
fn each_statement_kind_parses() {
    let cases = [
        ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE SELECT 1"),
        ("create table t (a bigint, b double precision, c varchar(10), d decimal(10, 2), e timestamp without time zone)", "CREATE TABLE t (a BIGINT, b DOUBLE PRECISION, c VARCHAR(10), d DECIMAL(10,2), e TIMESTAMP WITHOUT TIME ZONE)"),
        ("CREATE TABLE u AS SELECT 1 AS x", "CREATE TABLE u AS SELECT 1 AS x"),
        ("insert into t (a, b) values (1, 2)", "INSERT INTO t (a, b) VALUES (1, 2)"),
        ("INSERT INTO t (SELECT 1)", "INSERT INTO t (SELECT 1)"),
        ("drop table if exists a, b", "DROP TABLE IF EXISTS a, b"),
    ];
    for (sql, want) in cases {
        assert_eq!(shown(sql), want, "{sql}");
    }
    assert!(matches!(
        one("EXPLAIN SELECT 1"),
        Statement::Explain { analyze: false, .. }
    ));
    let statements = parse(";; SELECT 1; ; SELECT 2;").unwrap();
    assert_eq!(statements.len(), 2, "empty statements are skipped");
    assert!(parse("  -- nothing\n").unwrap().is_empty());
}

#[test]
fn derived_tables_and_nested_joins() {
    let text = shown("SELECT * FROM ((SELECT 1 AS x)) s, (a JOIN b ON TRUE) AS j");
    assert_eq!(
        text,
        "SELECT * FROM ((SELECT 1 AS x)) AS s, (a JOIN b ON true) AS j"
    );
    let Statement::Query(q) = one("SELECT * FROM ((a JOIN b ON TRUE))") else {
        panic!("a query")
    };
    let SetExpr::Select(s) = *q.body else {
        panic!("a SELECT")
    };
    assert!(matches!(s.from[0].relation, TableFactor::NestedJoin { .. }));
}

#[test]
fn unsupported_syntax_is_refused_where_it_starts() {
    let cases: [(&str, &str, usize); 26] = [
        ("CREATE TABLE t (a INT NOT NULL)", "column constraints", 23),
        ("CREATE TABLE IF NOT EXISTS t (a INT)", "IF NOT EXISTS", 14),
        ("SELECT TOP 5 x FROM t", "SELECT TOP n", 1),
        ("SELECT DISTINCT ON (a) a FROM t", "DISTINCT ON", 8),
        ("SELECT a FROM t GROUP BY ALL", "GROUP BY ALL", 17),
        ("SELECT a FROM t GROUP BY ROLLUP (a)", "ROLLUP, CUBE", 26),
        (
            "SELECT a FROM t GROUP BY GROUPING SETS ((a))",
            "ROLLUP, CUBE",
            26,
        ),
        ("SELECT a FROM t ORDER BY ALL", "ORDER BY ALL", 17),
        ("SELECT a FROM t FETCH FIRST 1 ROWS ONLY", "FETCH", 17),
        ("SELECT a FROM t FOR UPDATE", "FETCH, FOR UPDATE", 17),
        ("SELECT a FROM t QUALIFY a > 1", "this SELECT clause", 1),
        (
            "SELECT a FROM t WINDOW w AS (ORDER BY a)",
            "this SELECT clause",
            1,
        ),
        ("SELECT sum(a) OVER w FROM t", "named windows", 20),
        (
            "SELECT sum(a) OVER (GROUPS 1 PRECEDING) FROM t",
            "GROUPS frames",
            21,
        ),
        (
            "SELECT * FROM a RIGHT SEMI JOIN b ON TRUE",
            "the join RIGHT SEMI JOIN",
            17,
        ),
        (
            "SELECT * FROM a ANTI JOIN b ON TRUE",
            "the join ANTI JOIN",
            17,
        ),
        ("SELECT * FROM a CROSS APPLY b", "the join CROSS APPLY", 17),
        (
            "SELECT * FROM e ASOF RIGHT JOIN f ON TRUE",
            "ASOF RIGHT and ASOF FULL JOIN",
            17,
        ),
        ("UPDATE t SET a = 1", "the statement UPDATE t", 1),
        ("  DELETE FROM t", "the statement DELETE FROM", 3),
        ("CREATE VIEW v AS SELECT 1", "the statement CREATE VIEW", 1),
        ("SELECT f(x => 1)", "named argument x", 10),
        (
            "SELECT f(SELECT 1)",
            "a subquery as a function argument",
            10,
        ),
        ("SELECT a LIKE ANY ('x')", "LIKE ANY", 10),
        (
            "SELECT string_agg(a, ',' ORDER BY a) FROM t",
            "ORDER BY inside",
            26,
        ),
        ("SELECT a ^ 2", "the operator ^", 10),
    ];
    for (sql, words, column) in cases {
        let e = error(sql);
        assert_eq!(e.kind, ErrorKind::Unsupported, "{sql}: {e}");
        assert!(e.message.contains(words), "{sql}: {}", e.message);
        assert_eq!(e.position, Some(Position { line: 1, column }), "{sql}: {e}");
        assert!(e.hint.is_some(), "{sql}");
    }
    let top = error("SELECT TOP 5 x FROM t");
    assert!(top.hint.unwrap_or_default().contains("LIMIT n"));
    let other = error("UPDATE t SET a = 1");
    assert_eq!(
        other.hint.as_deref(),
        Some("the lab runs SELECT, EXPLAIN, CREATE TABLE [AS], INSERT and DROP TABLE")
    );
}

#[test]
fn syntax_errors_use_sqlparsers_words_and_point_at_the_token() {
    let e = error("SELECT event_type, count(*\nFROM push_events");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, "Expected: ), found: FROM");
    assert_eq!(e.position, Some(Position { line: 2, column: 1 }));
    assert_eq!(e.hint.as_deref(), Some("check the SQL near the caret"));
    // At the end of the text: just past its last character.
    let e = error("SELECT id FROM\n");
    assert_eq!(e.message, "Expected: identifier, found: EOF");
    assert_eq!(
        e.position,
        Some(Position {
            line: 1,
            column: 15
        })
    );
    let e = error("SELECT city FORM drivers");
    assert_eq!(e.message, "Expected: end of statement, found: drivers");
    assert!(e
        .hint
        .unwrap_or_default()
        .contains("did you mean \"FROM\"?"));
    let e = error("SELEC 1");
    assert!(e.hint.unwrap_or_default().contains("\"SELECT\""));
    let e = error("SELECT top FROM t");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.hint.unwrap_or_default().contains("\"top\""));
    for sql in [
        "SELECT 'abc",
        "SELECT \"abc",
        "SELECT 1 /* open",
        "SELECT 1 ? 2",
    ] {
        let e = error(sql);
        assert_eq!(e.kind, ErrorKind::Syntax, "{sql}");
        assert!(e.hint.is_some(), "{sql}");
    }
}

#[test]
fn spans_start_where_the_node_starts() {
    let Statement::Query(q) = one("SELECT a,\n  b + 1 AS c\nFROM t AS x") else {
        panic!("a query")
    };
    let SetExpr::Select(s) = q.body.as_ref() else {
        panic!("a SELECT")
    };
    let start = |span: super::span::Span| (span.start.line, span.start.column);
    assert_eq!(start(s.projection[1].span()), (2, 3));
    assert_eq!(s.projection[1].span().end.column, 13);
    assert_eq!(start(s.from[0].relation.span()), (3, 6));
    assert_eq!(start(q.span()), (1, 1));
    assert_eq!(q.span().end.line, 3);
    let e = first_item("SELECT  count(*) OVER (ORDER BY a)");
    assert_eq!(e.span().start.column, 9);
    assert_eq!(e.span().end.column, 35);
}

#[test]
fn nesting_is_bounded_with_the_parsers_error() {
    let deep = format!("SELECT {}1{}", "(".repeat(60), ")".repeat(60));
    let e = error(&deep);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, "recursion limit exceeded");
    assert_eq!(e.hint.as_deref(), Some("the query nests too deeply"));
    assert!(parse(&format!("SELECT {}1{}", "(".repeat(40), ")".repeat(40))).is_ok());
    // Left-deep chains are built in a loop: they count toward the tree's height.
    assert!(parse(&format!("SELECT {}1", "1 + ".repeat(200))).is_ok());
    for sql in [
        format!("SELECT {}1", "1 + ".repeat(20_000)),
        format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(2_000)),
        format!("SELECT {}1", "- ".repeat(20_000)),
        format!("SELECT {}TRUE", "NOT ".repeat(20_000)),
    ] {
        let e = error(&sql);
        assert!(
            matches!(e.kind, ErrorKind::TooDeep | ErrorKind::Syntax),
            "{e}"
        );
    }
}

#[test]
fn no_text_overflows_a_wasm_sized_stack_while_parsed_shown_or_dropped() {
    let mut cases = Vec::new();
    for n in [10, 60, 999, 1_001, 20_000] {
        cases.push(format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)));
        cases.push(format!("SELECT {}1", "1 + ".repeat(n)));
        cases.push(format!("SELECT 1 WHERE {}", vec!["1 = 1"; n].join(" AND ")));
        cases.push(format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)));
        cases.push(format!("SELECT {}1{}", "abs(".repeat(n), ")".repeat(n)));
        cases.push(format!(
            "SELECT {}1{}",
            "CASE WHEN TRUE THEN ".repeat(n),
            " END".repeat(n)
        ));
        cases.push(format!(
            "SELECT * FROM {}t{}",
            "(SELECT * FROM ".repeat(n),
            ") AS s".repeat(n)
        ));
    }
    // 1 MiB: a wasm32 program's default stack (debug frames are larger than release ones).
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let mut parsed = 0;
            for sql in &cases {
                if let Ok(statements) = parse(sql) {
                    parsed += 1;
                    let text: Vec<String> = statements.iter().map(ToString::to_string).collect();
                    assert!(!text.is_empty());
                }
            }
            parsed
        })
        .expect("a thread");
    let parsed = handle.join().expect("no overflow");
    assert!(parsed >= 7, "the shallow cases parse: {parsed}");
}
