//! The scan, filter and aggregate fast paths against the engine's general ones, on random
//! tables full of ties, NULLs, NaN and -0: a WHERE's survivors (narrowed conjunct by conjunct)
//! against the same predicate evaluated row by row in a CASE; ORDER BY ... LIMIT / OFFSET (a
//! top-k, over a SELECT of bare columns without building it) against the full sort sliced;
//! COUNT(DISTINCT) per group against DISTINCT then COUNT; a sum without GROUP BY against the
//! row-order sum. Each query also runs traced (no pruning, every step built), which must give
//! the same table and count the same work.

use proptest::prelude::*;
use sql::{Column, DataType, Field, Outcome, Session, Table, Value};

/// `t(a BIGINT, b DOUBLE, c TEXT, g BIGINT)` from small codes so that ties are common; code 0
/// is NULL (g never is), and b has NaN, -0 and 0.
fn session(codes: &[(u8, u8, u8, u8)]) -> Session {
    let a: Vec<Value> = codes
        .iter()
        .map(|r| match r.0 {
            0 => Value::Null,
            x => Value::BigInt(i64::from(x) - 4),
        })
        .collect();
    let b: Vec<Value> = codes
        .iter()
        .map(|r| match r.1 {
            0 => Value::Null,
            1 => Value::Double(f64::NAN),
            2 => Value::Double(-0.0),
            x => Value::Double(f64::from(x) / 4.0 - 1.0),
        })
        .collect();
    let c: Vec<Value> = codes
        .iter()
        .map(|r| match r.2 {
            0 => Value::Null,
            x => Value::Text(format!("s{}", x % 4).into()),
        })
        .collect();
    let g: Vec<Value> = codes
        .iter()
        .map(|r| Value::BigInt(i64::from(r.3 % 5)))
        .collect();
    let field = |name: &str, data_type| Field {
        name: name.into(),
        data_type,
    };
    let table = Table::new(
        vec![
            field("a", DataType::BigInt),
            field("b", DataType::Double),
            field("c", DataType::Text),
            field("g", DataType::BigInt),
        ],
        vec![
            Column::from_values(DataType::BigInt, a.iter()),
            Column::from_values(DataType::Double, b.iter()),
            Column::from_values(DataType::Text, c.iter()),
            Column::from_values(DataType::BigInt, g.iter()),
        ],
    );
    let mut s = Session::new();
    s.add_table("t", table).unwrap();
    s
}

/// The query's rows (as text, so NaN equals NaN), checked equal to its traced run's, and the
/// work both counted.
fn rows(s: &mut Session, sql: &str) -> Result<Vec<Vec<String>>, TestCaseError> {
    let run = |s: &mut Session, traced: bool| {
        let outcome = if traced {
            s.execute_traced(sql)
        } else {
            s.execute(sql)
        };
        match outcome
            .map_err(|e| TestCaseError::fail(format!("{sql}: {e}")))?
            .pop()
        {
            Some(Outcome::Rows(r)) => Ok((r.table, r.work)),
            _ => Err(TestCaseError::fail(format!("{sql} returned no rows"))),
        }
    };
    let (table, work) = run(s, false)?;
    let (traced, traced_work) = run(s, true)?;
    let text = |t: &Table| -> Vec<Vec<String>> {
        t.to_rows()
            .iter()
            .map(|r| r.iter().map(|v| format!("{v:?}")).collect())
            .collect()
    };
    prop_assert_eq!(text(&table), text(&traced), "{} traced", sql);
    prop_assert_eq!(work, traced_work, "{} work", sql);
    Ok(text(&table))
}

fn codes() -> impl Strategy<Value = Vec<(u8, u8, u8, u8)>> {
    proptest::collection::vec((0u8..8, 0u8..10, 0u8..6, 0u8..9), 0..250)
}

/// A comparison of a numeric column with a literal (either side) or with the other column.
fn comparison() -> impl Strategy<Value = String> {
    let column = prop_oneof![Just("a"), Just("b")];
    let op = prop_oneof![
        Just("="),
        Just("<>"),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">=")
    ];
    let literal = prop_oneof![
        (-4i64..5).prop_map(|x| x.to_string()),
        (-8i64..9).prop_map(|x| format!("{}", x as f64 / 4.0)),
        Just("NULL".to_string()),
        Just("'NaN'::DOUBLE".to_string()),
        Just("-0.0".to_string()),
    ];
    (column, op, literal, 0u8..3).prop_map(|(c, op, lit, shape)| match shape {
        0 => format!("{c} {op} {lit}"),
        1 => format!("{lit} {op} {c}"),
        _ => format!("a {op} b"),
    })
}

/// Comparisons joined by AND, sometimes one of them an OR of two or a text test.
fn predicate() -> impl Strategy<Value = String> {
    let conjunct = prop_oneof![
        4 => comparison(),
        1 => (comparison(), comparison()).prop_map(|(x, y)| format!("({x} OR {y})")),
        1 => Just("c IS NOT NULL".to_string()),
    ];
    proptest::collection::vec(conjunct, 1..4).prop_map(|parts| parts.join(" AND "))
}

/// ORDER BY keys over the selected or hidden columns, any direction and NULL placement.
fn order_by() -> impl Strategy<Value = String> {
    let key = (
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("g"), Just("a + g")],
        prop_oneof![Just(""), Just(" DESC"), Just(" ASC")],
        prop_oneof![Just(""), Just(" NULLS FIRST"), Just(" NULLS LAST")],
    )
        .prop_map(|(k, d, n)| format!("{k}{d}{n}"));
    proptest::collection::vec(key, 1..4).prop_map(|keys| keys.join(", "))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn where_keeps_the_rows_a_row_by_row_test_keeps(codes in codes(), p in predicate()) {
        let mut s = session(&codes);
        let filtered = rows(&mut s, &format!(
            "SELECT count(*), sum(b), min(c), count(a) FROM t WHERE {p}"
        ))?;
        let by_row = rows(&mut s, &format!(
            "SELECT count(CASE WHEN {p} THEN 1 END), sum(CASE WHEN {p} THEN b END), \
             min(CASE WHEN {p} THEN c END), count(CASE WHEN {p} THEN a END) FROM t"
        ))?;
        prop_assert_eq!(filtered, by_row, "{}", p);
        let kept = rows(&mut s, &format!("SELECT a, b, c FROM t WHERE {p}"))?;
        let all = rows(&mut s, &format!(
            "SELECT a, b, c, CASE WHEN {p} THEN 1 ELSE 0 END FROM t"
        ))?;
        let want: Vec<Vec<String>> = all
            .into_iter()
            .filter(|r| r[3] == "BigInt(1)")
            .map(|mut r| { r.pop(); r })
            .collect();
        prop_assert_eq!(kept, want, "{}", p);
    }

    #[test]
    fn order_by_limit_is_the_full_sort_sliced(
        codes in codes(),
        keys in order_by(),
        select in prop_oneof![Just("a, b"), Just("b, c, a"), Just("c"), Just("*"), Just("b AS x, g")],
        limit in 0usize..30,
        offset in 0usize..20,
        filtered in any::<bool>(),
    ) {
        let mut s = session(&codes);
        let from = if filtered { "t WHERE b > 0.25 AND g <> 3" } else { "t" };
        let full = rows(&mut s, &format!("SELECT {select} FROM {from} ORDER BY {keys}"))?;
        let top = rows(&mut s, &format!(
            "SELECT {select} FROM {from} ORDER BY {keys} LIMIT {limit} OFFSET {offset}"
        ))?;
        let want: Vec<Vec<String>> = full.into_iter().skip(offset).take(limit).collect();
        prop_assert_eq!(top, want, "{} {}", select, keys);
    }

    #[test]
    fn count_distinct_per_group_is_distinct_then_count(codes in codes(), column in prop_oneof![Just("a"), Just("b"), Just("c")]) {
        let mut s = session(&codes);
        let got = rows(&mut s, &format!(
            "SELECT g, count(*), count(DISTINCT {column}) FROM t GROUP BY g ORDER BY g"
        ))?;
        let distinct = rows(&mut s, &format!(
            "SELECT g, count({column}) FROM (SELECT DISTINCT g, {column} FROM t) d GROUP BY g ORDER BY g"
        ))?;
        let counts = rows(&mut s, "SELECT g, count(*) FROM t GROUP BY g ORDER BY g")?;
        let want: Vec<Vec<String>> = counts
            .into_iter()
            .zip(distinct)
            .map(|(mut c, d)| { c.push(d[1].clone()); c })
            .collect();
        prop_assert_eq!(got, want);
        // Without GROUP BY: one group, over no rows too.
        let all = rows(&mut s, &format!("SELECT count(DISTINCT {column}) FROM t"))?;
        let want = rows(&mut s, &format!("SELECT count({column}) FROM (SELECT DISTINCT {column} FROM t) d"))?;
        prop_assert_eq!(all, want);
    }

    #[test]
    fn a_sum_without_group_by_adds_in_row_order(values in proptest::collection::vec(
        prop_oneof![Just(-0.0), Just(0.1), Just(1e16), Just(-1e16), (-1000i32..1000).prop_map(|x| f64::from(x) / 7.0)],
        0..60,
    )) {
        let mut s = Session::new();
        let column = Column::from_values(DataType::Double, values.iter().map(|x| Value::Double(*x)).collect::<Vec<_>>().iter());
        s.add_table("n", Table::new(vec![Field { name: "x".into(), data_type: DataType::Double }], vec![column])).unwrap();
        let got = rows(&mut s, "SELECT sum(x), avg(x), count(x) FROM n")?;
        let sum = values.iter().fold(0.0, |acc, x| acc + x);
        let want = if values.is_empty() {
            vec!["Null".to_string(), "Null".to_string(), "BigInt(0)".to_string()]
        } else {
            vec![
                format!("{:?}", Value::Double(sum)),
                format!("{:?}", Value::Double(values.iter().fold(0.0, |acc, x| acc + x) / values.len() as f64)),
                format!("{:?}", Value::BigInt(values.len() as i64)),
            ]
        };
        prop_assert_eq!(got, vec![want]);
    }
}
