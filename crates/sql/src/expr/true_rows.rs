//! A WHERE's survivors as row numbers, without building a column of booleans per conjunct. A
//! conjunction (`a AND b AND c`) narrows its rows one conjunct at a time; a conjunct comparing a
//! numeric column with a literal (`v > 0.5`, `500 > g`) is tested only on the rows still in,
//! straight from the typed vector, in a loop without branches on the data (a row's number is
//! written, then kept by advancing the end when it passes). Any other conjunct is evaluated over
//! every row with [`Expr::eval`], as before, so a query fails on the same rows it always did: a
//! numeric comparison with a literal cannot fail.

use super::{numeric, BinOp, Expr, Numeric};
use crate::column::{Column, ColumnData, Table};
use crate::error::SqlError;

impl Expr {
    /// The rows of `table` where this predicate is true (not false, not NULL), in order.
    pub fn true_rows(&self, table: &Table) -> Result<Vec<u32>, SqlError> {
        let mut rows: Vec<u32> = (0..table.rows as u32).collect();
        self.keep_true_rows(table, &mut rows)?;
        Ok(rows)
    }

    /// Keeps those of `rows` where this predicate is true.
    fn keep_true_rows(&self, table: &Table, rows: &mut Vec<u32>) -> Result<(), SqlError> {
        if let Expr::Binary {
            op: BinOp::And,
            left,
            right,
            ..
        } = self
        {
            left.keep_true_rows(table, rows)?;
            return right.keep_true_rows(table, rows);
        }
        match ColumnTest::new(self, table) {
            Some(test) => test.retain(rows),
            None => keep_where_true(&self.eval(table)?, rows),
        }
        Ok(())
    }
}

/// Keeps the rows where a boolean column is true.
fn keep_where_true(truth: &Column, rows: &mut Vec<u32>) {
    let ColumnData::Boolean(values) = &truth.data else {
        rows.clear();
        return;
    };
    match &truth.validity {
        None => compact(rows, |r| values[r]),
        Some(valid) => compact(rows, |r| values[r] & valid[r]),
    }
}

/// A numeric column compared with a numeric literal (or NULL).
struct ColumnTest<'t> {
    column: Numeric<'t>,
    literal: Numeric<'t>,
    /// Which orderings of (row's value, literal) pass: Less, Equal, Greater.
    accept: [bool; 3],
}

impl<'t> ColumnTest<'t> {
    /// `e` as a column test, when it is one.
    fn new(e: &'t Expr, table: &'t Table) -> Option<ColumnTest<'t>> {
        let Expr::Binary {
            op, left, right, ..
        } = e
        else {
            return None;
        };
        if !op.is_comparison() {
            return None;
        }
        let (l, r) = (numeric(left, table).ok()??, numeric(right, table).ok()??);
        let is_column = |n: &Numeric| matches!(n, Numeric::Ints(..) | Numeric::Floats(..));
        let (column, literal, op) = match (is_column(&l), is_column(&r)) {
            (true, false) => (l, r, *op),
            // `literal op column` is `column op' literal`, op' the mirror image.
            (false, true) => (r, l, mirrored(*op)),
            _ => return None,
        };
        Some(ColumnTest {
            column,
            literal,
            accept: accepted_orderings(op),
        })
    }

    /// Keeps those of `rows` that pass: NULLs out first, then one loop per pair of types, with
    /// no branch on the data.
    fn retain(&self, rows: &mut Vec<u32>) {
        let (values, validity) = match self.column {
            Numeric::Ints(v, valid) => (Ok(v), valid),
            Numeric::Floats(v, valid) => (Err(v), valid),
            _ => return rows.clear(),
        };
        if let Some(valid) = validity {
            compact(rows, |row| valid[row]);
        }
        let [lt_ok, eq_ok, gt_ok] = self.accept;
        match (values, &self.literal) {
            (Ok(v), Numeric::Int(x)) => {
                let x = *x;
                compact(rows, |row| {
                    let a = v[row];
                    (a < x) & lt_ok | (a == x) & eq_ok | (a > x) & gt_ok
                })
            }
            (Ok(v), Numeric::Float(x)) => {
                let test = FloatTest::new(*x, self.accept);
                compact(rows, |row| test.passes(v[row] as f64))
            }
            (Err(v), Numeric::Int(_) | Numeric::Float(_)) => {
                let test = FloatTest::new(self.literal.float(0), self.accept);
                compact(rows, |row| test.passes(v[row]))
            }
            // A comparison with NULL is never true.
            _ => rows.clear(),
        }
    }
}

/// A test of doubles against `x` in the engine's float order (every NaN alike and above all
/// numbers, -0 equal to 0, as [`crate::value::cmp_f64`]), without branches.
#[derive(Clone, Copy)]
pub(super) struct FloatTest {
    x: f64,
    x_nan: bool,
    accept: [bool; 3],
}

impl FloatTest {
    pub(super) fn new(x: f64, accept: [bool; 3]) -> FloatTest {
        FloatTest {
            x,
            x_nan: x.is_nan(),
            accept,
        }
    }

    // Inlined: it is the body of the hot loops, which the size-optimized build would otherwise
    // turn into a call per row.
    #[inline(always)]
    pub(super) fn passes(&self, a: f64) -> bool {
        let [lt_ok, eq_ok, gt_ok] = self.accept;
        let a_nan = a.is_nan();
        let lt = (a < self.x) | (self.x_nan & !a_nan);
        let gt = (a > self.x) | (a_nan & !self.x_nan);
        let eq = !(lt | gt);
        (lt & lt_ok) | (eq & eq_ok) | (gt & gt_ok)
    }
}

/// Which orderings of (left, right) a comparison accepts: Less, Equal, Greater.
pub(super) fn accepted_orderings(op: BinOp) -> [bool; 3] {
    match op {
        BinOp::Eq => [false, true, false],
        BinOp::NotEq => [true, false, true],
        BinOp::Lt => [true, false, false],
        BinOp::LtEq => [true, true, false],
        BinOp::Gt => [false, false, true],
        _ => [false, true, true],
    }
}

/// The comparison with its sides swapped: `a < b` is `b > a`.
fn mirrored(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::LtEq => BinOp::GtEq,
        BinOp::Gt => BinOp::Lt,
        BinOp::GtEq => BinOp::LtEq,
        other => other,
    }
}

/// Keeps the rows that pass, in order: each row is written at the end of the kept ones, and the
/// end moves past it only when it passes.
#[inline(always)]
fn compact(rows: &mut Vec<u32>, pass: impl Fn(usize) -> bool) {
    let slice = rows.as_mut_slice();
    let mut kept = 0;
    for at in 0..slice.len() {
        let row = slice[at];
        slice[kept] = row;
        kept += usize::from(pass(row as usize));
    }
    rows.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Field;
    use crate::value::{DataType, Value};
    use proptest::prelude::*;

    /// Numbers with NULLs, NaN, -0 and 0 among them, often equal to the literals below.
    fn double(code: u8) -> Value {
        match code {
            0 => Value::Null,
            1 => Value::Double(f64::NAN),
            2 => Value::Double(-0.0),
            _ => Value::Double(f64::from(code) / 2.0 - 3.0),
        }
    }

    fn int(code: u8) -> Value {
        match code {
            0 => Value::Null,
            _ => Value::BigInt(i64::from(code) - 5),
        }
    }

    fn literal(code: u8) -> Expr {
        Expr::Literal(match code % 4 {
            0 => int(code / 4),
            1 => double(code / 4),
            2 => Value::Double(f64::from(code) / 8.0 - 1.0),
            _ => Value::BigInt(i64::from(code / 4) - 3),
        })
    }

    const OPS: [BinOp; 6] = [
        BinOp::Eq,
        BinOp::NotEq,
        BinOp::Lt,
        BinOp::LtEq,
        BinOp::Gt,
        BinOp::GtEq,
    ];

    /// A comparison of column `column % 4` (ints, doubles, ints without NULLs, doubles without
    /// NULLs) with a literal, either way round, or with the other numeric column.
    fn comparison(column: u8, op: u8, lit: u8, shape: u8) -> Expr {
        let data_type = if column.is_multiple_of(2) {
            DataType::BigInt
        } else {
            DataType::Double
        };
        let col = Expr::Column {
            index: usize::from(column % 4),
            data_type,
        };
        let other = Expr::Column {
            index: usize::from((column + 1) % 4),
            data_type: DataType::Double,
        };
        let (left, right) = match shape % 3 {
            0 => (col, literal(lit)),
            1 => (literal(lit), col),
            _ => (col, other),
        };
        Expr::Binary {
            op: OPS[usize::from(op % 6)],
            left: Box::new(left),
            right: Box::new(right),
            data_type: DataType::Boolean,
        }
    }

    fn table(codes: &[(u8, u8)]) -> Table {
        let (ints, doubles): (Vec<Value>, Vec<Value>) =
            codes.iter().map(|(a, b)| (int(*a), double(*b))).unzip();
        let valid = |v: &Value, fallback: Value| if v.is_null() { fallback } else { v.clone() };
        let ints_no_null: Vec<Value> = ints.iter().map(|v| valid(v, Value::BigInt(7))).collect();
        let doubles_no_null: Vec<Value> = doubles
            .iter()
            .map(|v| valid(v, Value::Double(0.5)))
            .collect();
        let field = |name: &str, data_type| Field {
            name: name.into(),
            data_type,
        };
        Table::new(
            vec![
                field("i", DataType::BigInt),
                field("d", DataType::Double),
                field("i2", DataType::BigInt),
                field("d2", DataType::Double),
            ],
            vec![
                Column::from_values(DataType::BigInt, ints.iter()),
                Column::from_values(DataType::Double, doubles.iter()),
                Column::from_values(DataType::BigInt, ints_no_null.iter()),
                Column::from_values(DataType::Double, doubles_no_null.iter()),
            ],
        )
    }

    proptest! {
        /// A conjunction's rows (or an OR's, evaluated whole) are the rows where the value by
        /// value evaluation says true; and the typed column comparisons agree with it too.
        #[test]
        fn true_rows_are_where_the_row_evaluation_is_true(
            codes in proptest::collection::vec((0u8..12, 0u8..12), 0..120),
            conjuncts in proptest::collection::vec((0u8..4, 0u8..6, 0u8..48, 0u8..3), 1..4),
            or_last in any::<bool>(),
        ) {
            let t = table(&codes);
            let mut parts: Vec<Expr> =
                conjuncts.iter().map(|(c, o, l, s)| comparison(*c, *o, *l, *s)).collect();
            if or_last && parts.len() > 1 {
                let (b, a) = (parts.pop().unwrap(), parts.pop().unwrap());
                parts.push(Expr::Binary {
                    op: BinOp::Or,
                    left: Box::new(a),
                    right: Box::new(b),
                    data_type: DataType::Boolean,
                });
            }
            for part in &parts {
                let column = part.eval(&t).unwrap();
                for row in 0..t.rows {
                    prop_assert_eq!(column.get(row), part.eval_row(&t, row).unwrap());
                }
            }
            let predicate = parts
                .into_iter()
                .reduce(|a, b| Expr::Binary {
                    op: BinOp::And,
                    left: Box::new(a),
                    right: Box::new(b),
                    data_type: DataType::Boolean,
                })
                .unwrap();
            let want: Vec<u32> = (0..t.rows)
                .filter(|row| predicate.eval_row(&t, *row).unwrap() == Value::Boolean(true))
                .map(|row| row as u32)
                .collect();
            prop_assert_eq!(predicate.true_rows(&t).unwrap(), want);
        }
    }
}
