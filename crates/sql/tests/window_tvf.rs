//! The window table functions in FROM (TUMBLE, HOP, SESSION): one test per edge case of the
//! windows' arithmetic and per refusal.

use sql::{ErrorKind, Outcome, Session, SqlError, Value};

/// A session with `t(ts BIGINT, k TEXT, v BIGINT)` and `e(ts TIMESTAMP, k TEXT, v BIGINT)`.
fn session(rows: &str, timed_rows: &str) -> Session {
    let mut s = Session::new();
    s.execute("CREATE TABLE t (ts BIGINT, k TEXT, v BIGINT)")
        .expect("create t");
    if !rows.is_empty() {
        s.execute(&format!("INSERT INTO t VALUES {rows}"))
            .expect("insert t");
    }
    s.execute("CREATE TABLE e (ts TIMESTAMP, k TEXT, v BIGINT)")
        .expect("create e");
    if !timed_rows.is_empty() {
        s.execute(&format!("INSERT INTO e VALUES {timed_rows}"))
            .expect("insert e");
    }
    s
}

/// A query's rows, printed (`NULL` for NULL).
fn rows(s: &mut Session, sql: &str) -> Vec<String> {
    let out = s
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e} ({:?})", e.hint));
    let Some(Outcome::Rows(r)) = out.into_iter().last() else {
        panic!("{sql}: no rows")
    };
    r.table
        .to_rows()
        .iter()
        .map(|row| {
            row.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn error(s: &mut Session, sql: &str) -> SqlError {
    match s.execute(sql) {
        Ok(out) => panic!("{sql} ran: {out:?}"),
        Err(e) => {
            assert!(e.hint.is_some(), "{sql}: no hint for {e}");
            e
        }
    }
}

#[test]
fn a_row_at_a_window_end_is_in_the_next_window() {
    let mut s = session(
        "(0, 'a', 1), (9, 'a', 2), (10, 'a', 3), (19, 'a', 4), (20, 'a', 5)",
        "",
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT ts, window_start, window_end FROM TUMBLE(t, ts, 10)"
        ),
        ["0 0 10", "9 0 10", "10 10 20", "19 10 20", "20 20 30"]
    );
}

#[test]
fn negative_times_floor_to_the_window_before_zero() {
    let mut s = session(
        "(-1, 'a', 1), (-10, 'a', 2), (-11, 'a', 3), (-20, 'a', 4)",
        "",
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT ts, window_start, window_end FROM TUMBLE(t, ts, 10)"
        ),
        ["-1 -10 0", "-10 -10 0", "-11 -20 -10", "-20 -20 -10"]
    );
    let mut s = session(
        "",
        "('1969-12-31 23:59:59', 'a', 1), ('1970-01-01 00:00:10', 'a', 2)",
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT window_start, window_end FROM TUMBLE(e, ts, INTERVAL '10' SECOND)"
        ),
        [
            "1969-12-31 23:59:50 1970-01-01 00:00:00",
            "1970-01-01 00:00:10 1970-01-01 00:00:20"
        ]
    );
}

#[test]
fn an_offset_shifts_the_alignment() {
    let mut s = session("(2, 'a', 1), (3, 'a', 2), (-8, 'a', 3)", "");
    assert_eq!(
        rows(
            &mut s,
            "SELECT ts, window_start, window_end FROM TUMBLE(t, ts, 10, 3)"
        ),
        ["2 -7 3", "3 3 13", "-8 -17 -7"]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT ts, window_start, window_end FROM TUMBLE(t, ts, 10, -3)"
        ),
        ["2 -3 7", "3 -3 7", "-8 -13 -3"]
    );
    // Days of UTC+8: they start at 16:00 UTC.
    let mut s = session(
        "",
        "('2024-03-14 15:59:59', 'a', 1), ('2024-03-14 16:00:00', 'a', 2)",
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT window_start FROM TUMBLE(e, ts, INTERVAL '1' DAY, INTERVAL '-8' HOUR)"
        ),
        ["2024-03-13 16:00:00", "2024-03-14 16:00:00"]
    );
}

#[test]
fn a_hop_row_is_in_every_window_that_contains_it() {
    let mut s = session("(0, 'a', 1), (7, 'a', 2)", "");
    assert_eq!(
        rows(
            &mut s,
            "SELECT ts, window_start, window_end FROM HOP(t, ts, 5, 10)"
        ),
        ["0 -5 5", "0 0 10", "7 0 10", "7 5 15"]
    );
    // A slide that does not divide the size: ceil(10 / 3) = 4 windows for some rows, 3 for
    // others, and each window holds exactly the rows in [start, end).
    let mut s = session("(0, 'a', 1), (-1, 'a', 2)", "");
    assert_eq!(
        rows(&mut s, "SELECT ts, window_start FROM HOP(t, ts, 3, 10)"),
        ["0 -9", "0 -6", "0 -3", "0 0", "-1 -9", "-1 -6", "-1 -3"]
    );
    let mut s = session("(0, 'a', 1), (10, 'a', 2)", "");
    assert_eq!(
        rows(&mut s, "SELECT ts, window_start FROM HOP(t, ts, 5, 10, 2)"),
        ["0 -8", "0 -3", "10 2", "10 7"]
    );
}

#[test]
fn rows_exactly_gap_apart_are_two_sessions() {
    let mut s = session(
        "(0, 'a', 1), (5, 'a', 2), (9, 'a', 3), (0, 'b', 4), (4, 'b', 5)",
        "",
    );
    let q = "SELECT k, window_start, window_end, count(*) FROM SESSION(t, ts, 5) \
             GROUP BY k, window_start, window_end ORDER BY k, window_start";
    assert_eq!(rows(&mut s, q), ["a 0 5 1", "a 5 14 2", "b 0 9 2"]);
    let q = "SELECT k, window_start, window_end, count(*) FROM SESSION(t, ts, 6) \
             GROUP BY k, window_start, window_end ORDER BY k, window_start";
    assert_eq!(rows(&mut s, q), ["a 0 15 3", "b 0 10 2"]);
}

#[test]
fn sessions_are_cut_per_group_by_key_and_after_where() {
    let mut s = session(
        "(0, 'a', 1), (3, 'b', 2), (6, 'a', 3), (12, 'a', 0), (15, 'a', 4)",
        "",
    );
    // Without a key all rows are one series: 0, 3, 6 (gap 4) and 12, 15.
    let q = "SELECT window_start, window_end, sum(v) FROM SESSION(t, ts, 4) \
             GROUP BY window_start, window_end ORDER BY 1";
    assert_eq!(rows(&mut s, q), ["0 10 6", "12 19 4"]);
    // Per key, a's rows 0 and 6 are 6 apart.
    let q = "SELECT k, window_start, window_end, sum(v) FROM SESSION(t, ts, 4) \
             GROUP BY k, window_start, window_end ORDER BY 1, 2";
    assert_eq!(
        rows(&mut s, q),
        ["a 0 4 1", "a 6 10 3", "a 12 19 4", "b 3 7 2"]
    );
    // WHERE drops a@12 before sessions are cut: a@15 starts its own session.
    let q = "SELECT k, window_start, window_end, sum(v) FROM SESSION(t, ts, 7) WHERE v > 0 \
             GROUP BY k, window_start, window_end ORDER BY 1, 2";
    assert_eq!(rows(&mut s, q), ["a 0 13 4", "a 15 22 4", "b 3 10 2"]);
}

#[test]
fn a_null_time_is_in_no_window() {
    let mut s = session("(NULL, 'a', 1), (1, 'a', 2)", "");
    for q in [
        "SELECT v FROM TUMBLE(t, ts, 10)",
        "SELECT v FROM HOP(t, ts, 10, 10)",
        "SELECT v FROM SESSION(t, ts, 10)",
    ] {
        assert_eq!(rows(&mut s, q), ["2"], "{q}");
    }
}

#[test]
fn window_columns_take_the_alias_and_the_time_columns_type() {
    let mut s = session("(1, 'a', 2)", "('2024-01-01 00:00:07', 'a', 1)");
    assert_eq!(
        rows(
            &mut s,
            "SELECT w.k, w.window_end - w.window_start FROM TUMBLE(t, ts, 10) AS w"
        ),
        ["a 10"]
    );
    assert_eq!(
        rows(&mut s, "SELECT t.v, t.window_start FROM TUMBLE(t, ts, 10)"),
        ["2 0"]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT window_end - window_start FROM TUMBLE(e, ts, INTERVAL '1 minute')"
        ),
        ["00:01:00"]
    );
}

#[test]
fn explain_shows_the_window_node() {
    let s = session("", "");
    let plan = s
        .explain("SELECT k, count(*) FROM SESSION(t, ts, 9) WHERE v > 1 GROUP BY k, window_start, window_end")
        .expect("explain");
    assert!(
        plan.contains("WindowTableFunction: FROM SESSION(t, ts, 9) (sessions per GROUP BY key)"),
        "{plan}"
    );
    assert!(
        plan.contains("Filter: WHERE v > 1 (before sessions are cut)"),
        "{plan}"
    );
    let plan = s
        .explain("SELECT * FROM HOP(t, ts, 5, 10)")
        .expect("explain");
    assert!(
        plan.contains("WindowTableFunction: FROM HOP(t, ts, 5, 10)"),
        "{plan}"
    );
}

#[test]
fn bad_arguments_are_refused_with_a_hint() {
    let mut s = session("", "");
    let cases: &[(&str, ErrorKind, &str)] = &[
        (
            "SELECT * FROM TUMBLE(t, ts, 0)",
            ErrorKind::Type,
            "size must be positive",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, -10)",
            ErrorKind::Type,
            "size must be positive",
        ),
        (
            "SELECT * FROM HOP(t, ts, 0, 10)",
            ErrorKind::Type,
            "slide must be positive",
        ),
        (
            "SELECT * FROM HOP(t, ts, 20, 10)",
            ErrorKind::Type,
            "does not fit",
        ),
        (
            "SELECT * FROM SESSION(t, ts, 0)",
            ErrorKind::Type,
            "gap must be positive",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, 10, 10)",
            ErrorKind::Type,
            "offset",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, 10, -10)",
            ErrorKind::Type,
            "offset",
        ),
        (
            "SELECT * FROM TUMBLE(t, tss, 10)",
            ErrorKind::UnknownColumn,
            "\"tss\"",
        ),
        (
            "SELECT * FROM TUMBLE(tt, ts, 10)",
            ErrorKind::UnknownTable,
            "\"tt\"",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, 'ten')",
            ErrorKind::Type,
            "INTERVALs or integers",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts, INTERVAL '10' SECOND)",
            ErrorKind::Type,
            "is BIGINT",
        ),
        (
            "SELECT * FROM TUMBLE(e, ts, 10)",
            ErrorKind::Type,
            "is TIMESTAMP",
        ),
        (
            "SELECT * FROM TUMBLE(e, ts, INTERVAL '1' MONTH)",
            ErrorKind::Type,
            "months",
        ),
        (
            "SELECT * FROM TUMBLE(e, ts, INTERVAL '1' SECOND, 0)",
            ErrorKind::Type,
            "mixes",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts)",
            ErrorKind::Syntax,
            "got 2 arguments",
        ),
        (
            "SELECT * FROM HOP(t, ts, 10)",
            ErrorKind::Syntax,
            "got 3 arguments",
        ),
        (
            "SELECT * FROM SESSION(t, ts, 1, 2)",
            ErrorKind::Syntax,
            "got 4 arguments",
        ),
        (
            "SELECT * FROM TUMBLE(t, ts + 1, 10)",
            ErrorKind::Syntax,
            "plain name",
        ),
        (
            "SELECT * FROM CUMULATE(t, ts, 10, 20)",
            ErrorKind::Unsupported,
            "CUMULATE",
        ),
        (
            "SELECT * FROM SESSION(t, ts, 5) JOIN e ON t.k = e.k",
            ErrorKind::Unsupported,
            "SESSION joined",
        ),
        (
            "SELECT * FROM SESSION(t, ts, 5) WHERE window_start > 0",
            ErrorKind::Unsupported,
            "WHERE on window_start",
        ),
        (
            "SELECT count(*) FROM SESSION(t, ts, 5) GROUP BY window_start + 1",
            ErrorKind::Unsupported,
            "GROUP BY expression over window_start",
        ),
    ];
    for (sql, kind, words) in cases {
        let e = error(&mut s, sql);
        assert_eq!(e.kind, *kind, "{sql}: {e}");
        assert!(e.message.contains(words), "{sql}: {e}");
    }
    let e = error(&mut s, "SELECT * FROM TUMBLE(t, tz, 10)");
    assert_eq!(e.hint.as_deref(), Some("did you mean \"ts\"?"));
}
