//! `compile`: the shapes it accepts and every refusal; and the window arithmetic at the ends of
//! the time line.

use super::*;

fn ok(sql: &str) -> WindowedQuery {
    compile(sql).unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", e.hint))
}

fn refused(sql: &str) -> SqlError {
    match compile(sql) {
        Ok(q) => panic!("{sql} compiled: {q:?}"),
        Err(e) => {
            assert!(e.hint.is_some(), "{sql}: no hint for {e}");
            e
        }
    }
}

#[test]
fn a_tumbling_count_splits_into_input_and_output() {
    let q = ok(
        "SELECT window_start, window_end, k, count(*) AS n, sum(v) / count(*) AS mean \
                FROM TUMBLE(t, ts, INTERVAL '10' SECOND) WHERE v > 0 \
                GROUP BY window_start, window_end, k HAVING count(*) > 1 ORDER BY window_start, k",
    );
    assert_eq!(q.source, "t");
    assert_eq!(q.time_column, "ts");
    assert!(!q.time_is_integer);
    assert_eq!(
        q.window,
        WindowTvf::Tumble {
            size_us: 10_000_000,
            offset_us: 0
        }
    );
    assert_eq!(
        q.input_sql,
        "SELECT \"ts\" AS __ts, k AS __k0, v AS __a0 FROM \"t\" WHERE v > 0"
    );
    assert_eq!(q.key_names, vec!["k".to_string()]);
    assert_eq!(
        q.aggregates,
        vec![
            WindowAggregate {
                func: WindowAggFn::CountStar,
                input: None
            },
            WindowAggregate {
                func: WindowAggFn::Sum,
                input: Some(0)
            }
        ]
    );
    assert_eq!(
        q.output_sql,
        "SELECT window_start AS \"window_start\", window_end AS \"window_end\", __k0 AS \"k\", \
         __g0 AS \"n\", __g1 / __g0 AS \"mean\" FROM __windows WHERE __g0 > 1 \
         ORDER BY window_start, __k0"
    );
}

#[test]
fn hop_with_integer_lengths_an_alias_and_positions() {
    let q = ok(
        "SELECT w.k % 2 AS parity, w.window_end, max(w.v) FROM HOP(t, ts, 5, 10, 1) AS w \
                GROUP BY 2, window_start, 1 ORDER BY parity DESC NULLS FIRST, 2 LIMIT 3",
    );
    assert!(q.time_is_integer);
    assert_eq!(
        q.window,
        WindowTvf::Hop {
            slide_us: 5,
            size_us: 10,
            offset_us: 1
        }
    );
    assert_eq!(
        q.input_sql,
        "SELECT \"ts\" AS __ts, w.k % 2 AS __k0, w.v AS __a0 FROM \"t\" AS \"w\""
    );
    assert_eq!(q.key_names, vec!["parity".to_string()]);
    assert_eq!(
        q.output_sql,
        "SELECT __k0 AS \"parity\", window_end AS \"window_end\", __g0 AS \"max\" FROM __windows \
         ORDER BY __k0 DESC NULLS FIRST, 2 LIMIT 3"
    );
}

#[test]
fn sessions_and_repeated_aggregates() {
    let q = ok("SELECT K, count(*), count(v), count(*) + 1, avg(v) AS mean FROM SESSION(t, ts, INTERVAL '5' MINUTE) \
                GROUP BY window_start, window_end, k HAVING mean > 2 AND count(v) < 10");
    assert_eq!(
        q.window,
        WindowTvf::Session {
            gap_us: 300_000_000
        }
    );
    assert_eq!(
        q.aggregates,
        vec![
            WindowAggregate {
                func: WindowAggFn::CountStar,
                input: None
            },
            WindowAggregate {
                func: WindowAggFn::Count,
                input: Some(0)
            },
            WindowAggregate {
                func: WindowAggFn::Avg,
                input: Some(0)
            },
        ]
    );
    assert_eq!(q.key_names, vec!["k".to_string()]);
    assert_eq!(
        q.output_sql,
        "SELECT __k0 AS \"k\", __g0 AS \"count\", __g1 AS \"count\", __g0 + 1 AS \"count(*) + 1\", \
         __g2 AS \"mean\" FROM __windows WHERE __g2 > 2 AND __g1 < 10"
    );
}

#[test]
fn keys_and_arguments_may_be_expressions() {
    let q = ok("SELECT window_start, upper(k) AS kk, sum(v * 2) - min(v) FROM TUMBLE(t, ts, 10) \
                WHERE k IS NOT NULL AND v BETWEEN 1 AND 9 GROUP BY window_start, window_end, upper(k)");
    assert_eq!(
        q.input_sql,
        "SELECT \"ts\" AS __ts, upper(k) AS __k0, v * 2 AS __a0, v AS __a1 FROM \"t\" \
         WHERE k IS NOT NULL AND v BETWEEN 1 AND 9"
    );
    assert_eq!(q.key_names, vec!["kk".to_string()]);
    assert_eq!(
        q.aggregates,
        vec![
            WindowAggregate {
                func: WindowAggFn::Sum,
                input: Some(0)
            },
            WindowAggregate {
                func: WindowAggFn::Min,
                input: Some(1)
            },
        ]
    );
}

#[test]
fn every_refusal_names_what_is_supported() {
    let cases: &[(&str, &str)] = &[
        (
            "SELECT window_start, count(*) FROM TUMBLE(t, ts, 10) JOIN u ON true GROUP BY 1, window_end",
            "a join",
        ),
        (
            "SELECT window_start, count(*) FROM TUMBLE(t, ts, 10), u GROUP BY 1, window_end",
            "more than one FROM item",
        ),
        (
            "SELECT window_start, (SELECT 1) FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "a subquery",
        ),
        (
            "SELECT window_start, count(*) FROM TUMBLE(t, ts, 10) WHERE v IN (SELECT v FROM u) GROUP BY 1, window_end",
            "a subquery",
        ),
        (
            "SELECT window_start, row_number() OVER () FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "window function",
        ),
        (
            "SELECT window_start, sum(v) OVER () FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "window function",
        ),
        (
            "SELECT window_start, count(*) FROM TUMBLE(t, ts, 10) GROUP BY window_start",
            "must GROUP BY window_start and window_end",
        ),
        (
            "SELECT k, count(*) FROM TUMBLE(t, ts, 10) GROUP BY k",
            "must GROUP BY window_start and window_end",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 10)",
            "must GROUP BY window_start and window_end",
        ),
        (
            "SELECT window_start, count(DISTINCT v) FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "DISTINCT aggregate",
        ),
        (
            "SELECT window_start, count(*) FILTER (WHERE v > 1) FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "FILTER",
        ),
        (
            "SELECT DISTINCT window_start FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "SELECT DISTINCT",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end",
            "SELECT *",
        ),
        (
            "SELECT window_start FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end UNION SELECT 1",
            "set operation",
        ),
        (
            "WITH x AS (SELECT 1) SELECT window_start FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "WITH",
        ),
        ("SELECT window_start FROM t GROUP BY 1, window_end", "window table function"),
        (
            "SELECT window_start FROM generate_series(1, 3) GROUP BY 1, window_end",
            "generate_series",
        ),
        ("SELECT 1", "without FROM"),
        ("INSERT INTO t VALUES (1)", "the statement"),
        (
            "SELECT window_start, v FROM TUMBLE(t, ts, 10) GROUP BY 1, window_end",
            "column v must appear in the GROUP BY clause",
        ),
        (
            "SELECT window_start FROM TUMBLE(t, ts, 10) WHERE count(*) > 1 GROUP BY 1, window_end",
            "aggregate functions are not allowed in WHERE",
        ),
        (
            "SELECT window_start FROM TUMBLE(t, ts, 10) WHERE window_start > 1 GROUP BY 1, window_end",
            "window_start cannot be used in WHERE",
        ),
        (
            "SELECT sum(window_end) FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end",
            "window_end cannot be used in an aggregate's argument",
        ),
        (
            "SELECT sum(max(v)) FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end",
            "aggregate functions are not allowed in an aggregate's argument",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end, window_start + 1",
            "window_start cannot be used in GROUP BY",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 10) GROUP BY ROLLUP (window_start, window_end)",
            "ROLLUP",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 0) GROUP BY window_start, window_end",
            "size must be positive",
        ),
        (
            "SELECT count(*) FROM HOP(t, ts, 20, 10) GROUP BY window_start, window_end",
            "does not fit",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, INTERVAL '1' SECOND, 1) GROUP BY window_start, window_end",
            "mixes",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end; SELECT 1",
            "exactly one statement",
        ),
        (
            "SELECT count(*) FROM TUMBLE(t, ts, 10) GROUP BY window_start, window_end ORDER BY v",
            "column v must appear",
        ),
        (
            "SELECT window_start, count(*) FROM TUMBLE(t, ts, 10) GROUP BY 5, window_end",
            "GROUP BY position 5",
        ),
    ];
    for (sql, words) in cases {
        let e = refused(sql);
        assert!(e.message.contains(words), "{sql}: {e}");
    }
}

#[test]
fn order_by_a_bare_name_reads_the_output_column_first() {
    // As in the batch engine (and PostgreSQL): `k` in ORDER BY is the select item named k.
    let q = ok("SELECT sum(v) AS k, window_start FROM TUMBLE(t, ts, 10) \
                GROUP BY window_start, window_end, k ORDER BY k, window_start");
    assert!(
        q.output_sql.ends_with("ORDER BY __g0, window_start"),
        "{}",
        q.output_sql
    );
    assert_eq!(q.key_names, vec!["k".to_string()]);
}

#[test]
fn windows_at_the_ends_of_the_time_line_saturate() {
    let tumble = WindowTvf::Tumble {
        size_us: 10,
        offset_us: 0,
    };
    assert_eq!(tumble.windows_of(i64::MAX), vec![(i64::MAX - 7, i64::MAX)]);
    assert_eq!(tumble.windows_of(i64::MIN), vec![(i64::MIN, i64::MIN + 8)]);
    let hop = WindowTvf::Hop {
        slide_us: 4,
        size_us: 10,
        offset_us: -3,
    };
    assert_eq!(hop.windows_of(1), vec![(-7, 3), (-3, 7), (1, 11)]);
    assert_eq!(
        tvf::sessions(&[i64::MAX - 1, i64::MAX], 5),
        vec![(i64::MAX - 1, i64::MAX); 2]
    );
    assert_eq!(
        tvf::sessions(&[0, 0, 5, 9], 5),
        vec![(0, 5), (0, 5), (5, 14), (5, 14)]
    );
}
