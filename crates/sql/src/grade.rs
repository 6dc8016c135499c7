//! Grading a learner's query against a reference query's result, as SQL lessons do: same
//! columns (by count and compatible types; names do not matter), same rows as a multiset (or in
//! the same order when the exercise asks for an ORDER BY), doubles equal within a tolerance. A
//! wrong answer comes with a row diff: the rows missing and the rows that should not be there.

use super::column::Table;
use super::value::{DataType, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Relative tolerance for comparing doubles.
pub const FLOAT_TOLERANCE: f64 = 1e-9;
/// Rows of each side of a diff that are listed.
pub const DIFF_ROWS_MAX: usize = 20;

/// A learner's result against the expected one.
#[derive(Clone, Debug, PartialEq)]
pub enum Grade {
    Correct,
    /// Different number of columns, or types that cannot hold the same values.
    WrongShape(String),
    /// Right shape, wrong rows.
    WrongRows {
        /// Expected rows the learner's result lacks (at most [`DIFF_ROWS_MAX`]).
        missing: Vec<Vec<Value>>,
        /// Rows the learner's result has that were not expected (at most [`DIFF_ROWS_MAX`]).
        extra: Vec<Vec<Value>>,
        missing_total: usize,
        extra_total: usize,
    },
    /// The same rows in another order, where the order matters.
    WrongOrder {
        first_difference: usize,
    },
}

fn comparable(a: DataType, b: DataType) -> bool {
    a == b || a == DataType::Null || b == DataType::Null || (a.is_numeric() && b.is_numeric())
}

/// Values equal for grading: doubles within the tolerance, numbers across BIGINT and DOUBLE.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => close(*x, *y),
        (Value::Double(x), Value::BigInt(y)) | (Value::BigInt(y), Value::Double(x)) => {
            close(*x, *y as f64)
        }
        _ => a.total_cmp(b) == Ordering::Equal,
    }
}

fn close(x: f64, y: f64) -> bool {
    if x.is_nan() || y.is_nan() {
        return x.is_nan() && y.is_nan();
    }
    (x - y).abs() <= FLOAT_TOLERANCE * x.abs().max(y.abs()).max(1.0)
}

/// A row in a form that sorts and compares with doubles rounded to the tolerance.
fn normalized(row: &[Value]) -> Vec<Value> {
    row.iter()
        .map(|v| match v {
            Value::Double(d) if d.is_finite() => {
                let scale = 10f64.powi(9 - d.abs().max(1.0).log10().ceil() as i32);
                Value::Double((d * scale).round() / scale)
            }
            Value::BigInt(i) => Value::Double(*i as f64),
            other => other.clone(),
        })
        .collect()
}

/// Grades `actual` against `expected`.
pub fn grade(expected: &Table, actual: &Table, ordered: bool) -> Grade {
    if expected.fields.len() != actual.fields.len() {
        return Grade::WrongShape(format!(
            "the result has {} column(s); {} were expected",
            actual.fields.len(),
            expected.fields.len()
        ));
    }
    for (i, (e, a)) in expected.fields.iter().zip(&actual.fields).enumerate() {
        if !comparable(e.data_type, a.data_type) {
            return Grade::WrongShape(format!(
                "column {} is {}; {} was expected",
                i + 1,
                a.data_type,
                e.data_type
            ));
        }
    }
    let e_rows = expected.to_rows();
    let a_rows = actual.to_rows();
    // Multiset difference on normalized rows.
    let mut counts: BTreeMap<Vec<Value>, (usize, Vec<Value>)> = BTreeMap::new();
    for r in &e_rows {
        counts.entry(normalized(r)).or_insert((0, r.clone())).0 += 1;
    }
    let mut extra = Vec::new();
    let mut extra_total = 0;
    for r in &a_rows {
        match counts.get_mut(&normalized(r)) {
            Some((n, _)) if *n > 0 => *n -= 1,
            _ => {
                extra_total += 1;
                if extra.len() < DIFF_ROWS_MAX {
                    extra.push(r.clone());
                }
            }
        }
    }
    let mut missing = Vec::new();
    let mut missing_total = 0;
    for (n, original) in counts.values() {
        missing_total += n;
        for _ in 0..*n {
            if missing.len() < DIFF_ROWS_MAX {
                missing.push(original.clone());
            }
        }
    }
    if missing_total > 0 || extra_total > 0 {
        return Grade::WrongRows {
            missing,
            extra,
            missing_total,
            extra_total,
        };
    }
    if ordered {
        if let Some(i) = e_rows
            .iter()
            .zip(&a_rows)
            .position(|(e, a)| !e.iter().zip(a).all(|(x, y)| same(x, y)))
        {
            return Grade::WrongOrder {
                first_difference: i,
            };
        }
    }
    Grade::Correct
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Outcome, Session};

    fn result(s: &mut Session, sql: &str) -> Table {
        match s.execute(sql).unwrap().pop().unwrap() {
            Outcome::Rows(r) => r.table,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn grades_results_not_queries() {
        let mut s = Session::new();
        s.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a', 0.1), (2, 'b', 0.2), (3, 'b', 0.3)) v(id, g, x)")
            .unwrap();
        let expected = result(&mut s, "SELECT g, count(*) AS n FROM t GROUP BY g");
        // Another query with the same answer, other names, other order: correct when unordered.
        let other = result(
            &mut s,
            "SELECT g AS grp, sum(1) FROM t GROUP BY g ORDER BY g DESC",
        );
        assert_eq!(grade(&expected, &other, false), Grade::Correct);
        assert!(matches!(
            grade(&expected, &other, true),
            Grade::WrongOrder {
                first_difference: 0
            }
        ));
        // A wrong answer lists the diff.
        let wrong = result(&mut s, "SELECT g, count(*) FROM t WHERE id > 1 GROUP BY g");
        let Grade::WrongRows { missing, extra, .. } = grade(&expected, &wrong, false) else {
            panic!("wrong rows")
        };
        assert_eq!(missing, vec![vec![Value::text("a"), Value::BigInt(1)]]);
        assert!(extra.is_empty());
        assert!(matches!(
            grade(&expected, &result(&mut s, "SELECT g FROM t"), false),
            Grade::WrongShape(_)
        ));
        // Doubles within the tolerance.
        let sum = result(&mut s, "SELECT sum(x) FROM t");
        let exact = result(&mut s, "SELECT 0.6");
        assert_eq!(grade(&exact, &sum, false), Grade::Correct);
    }
}
