//! SQL types and scalar values, with PostgreSQL/DuckDB semantics: three-valued logic (a NULL
//! compares as unknown), exact BIGINT arithmetic that errors on overflow, DOUBLE for `/` between
//! a DOUBLE and anything, integer `/` truncating like PostgreSQL (not DuckDB's `/`, which returns
//! a DOUBLE; documented in ARCHITECTURE.md), dates as days and timestamps as microseconds since
//! 1970-01-01, intervals as (months, days, microseconds) like PostgreSQL.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

pub use sim::calendar::{
    civil_from_days, days_from_civil, days_in_month, format_date, format_timestamp, parse_date,
    parse_timestamp, MICROS_PER_DAY,
};

/// A column's or an expression's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataType {
    Boolean,
    BigInt,
    Double,
    Text,
    Date,
    Timestamp,
    Interval,
    /// The type of a bare NULL literal; it takes the type of whatever it meets.
    Null,
}

impl DataType {
    pub fn name(self) -> &'static str {
        match self {
            DataType::Boolean => "BOOLEAN",
            DataType::BigInt => "BIGINT",
            DataType::Double => "DOUBLE",
            DataType::Text => "TEXT",
            DataType::Date => "DATE",
            DataType::Timestamp => "TIMESTAMP",
            DataType::Interval => "INTERVAL",
            DataType::Null => "NULL",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::BigInt | DataType::Double)
    }

    /// The type two values of these types are compared or combined in, if any.
    pub fn common(a: DataType, b: DataType) -> Option<DataType> {
        use DataType::*;
        Some(match (a, b) {
            (x, y) if x == y => x,
            (Null, x) | (x, Null) => x,
            (BigInt, Double) | (Double, BigInt) => Double,
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An interval: calendar months, days and microseconds, kept apart as PostgreSQL does (a month
/// is not a fixed number of days).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// The interval as microseconds, with PostgreSQL's 30-day month, for ordering.
    pub fn approx_micros(self) -> i128 {
        (i128::from(self.months) * 30 + i128::from(self.days)) * i128::from(MICROS_PER_DAY)
            + i128::from(self.micros)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let (years, months) = (self.months / 12, self.months % 12);
        if years != 0 {
            parts.push(format!(
                "{years} year{}",
                if years.abs() == 1 { "" } else { "s" }
            ));
        }
        if months != 0 {
            parts.push(format!(
                "{months} mon{}",
                if months.abs() == 1 { "" } else { "s" }
            ));
        }
        if self.days != 0 {
            parts.push(format!(
                "{} day{}",
                self.days,
                if self.days.abs() == 1 { "" } else { "s" }
            ));
        }
        if self.micros != 0 || parts.is_empty() {
            let sign = if self.micros < 0 { "-" } else { "" };
            let m = self.micros.unsigned_abs();
            let (h, rest) = (m / 3_600_000_000, m % 3_600_000_000);
            let (min, rest) = (rest / 60_000_000, rest % 60_000_000);
            let (s, us) = (rest / 1_000_000, rest % 1_000_000);
            if us == 0 {
                parts.push(format!("{sign}{h:02}:{min:02}:{s:02}"));
            } else {
                parts.push(format!("{sign}{h:02}:{min:02}:{s:02}.{us:06}"));
            }
        }
        f.write_str(&parts.join(" "))
    }
}

/// One value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Boolean(bool),
    BigInt(i64),
    Double(f64),
    Text(Rc<str>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
    Interval(Interval),
}

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(Rc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Boolean(_) => DataType::Boolean,
            Value::BigInt(_) => DataType::BigInt,
            Value::Double(_) => DataType::Double,
            Value::Text(_) => DataType::Text,
            Value::Date(_) => DataType::Date,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Interval(_) => DataType::Interval,
        }
    }

    /// The total order used by ORDER BY, GROUP BY and DISTINCT: values of one type by value,
    /// NULLs equal to each other (their place, first or last, is the sort's business), NaN
    /// after every other double as in PostgreSQL. Numbers of both kinds compare by value.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (BigInt(a), BigInt(b)) => a.cmp(b),
            (Double(a), Double(b)) => cmp_f64(*a, *b),
            (BigInt(a), Double(b)) => cmp_f64(*a as f64, *b),
            (Double(a), BigInt(b)) => cmp_f64(*a, *b as f64),
            (Text(a), Text(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Date(a), Timestamp(b)) => (i64::from(*a) * MICROS_PER_DAY).cmp(b),
            (Timestamp(a), Date(b)) => a.cmp(&(i64::from(*b) * MICROS_PER_DAY)),
            (Interval(a), Interval(b)) => a.approx_micros().cmp(&b.approx_micros()),
            _ => self.data_type().cmp(&other.data_type()),
        }
    }

    /// SQL comparison: unknown (`None`) when either side is NULL.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        if self.is_null() || other.is_null() {
            None
        } else {
            Some(self.total_cmp(other))
        }
    }
}

/// A double as an order-preserving integer in [`cmp_f64`]'s order: every NaN alike (above all
/// numbers), -0 as 0. Sorting and top-k compare these instead of floats. Inlined: it runs once
/// per row in their loops, which the size-optimized build would otherwise turn into calls.
#[inline(always)]
pub fn f64_ordinal(x: f64) -> u64 {
    let x = if x.is_nan() {
        f64::NAN
    } else if x == 0.0 {
        0.0
    } else {
        x
    };
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Doubles in PostgreSQL's order: -0 = 0, NaN greatest (and equal to itself).
pub fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.total_cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        self.total_cmp(other)
    }
}

impl std::hash::Hash for Value {
    /// Consistent with equality: numbers hash by value (an integral DOUBLE like its BIGINT),
    /// every NaN alike, -0 like 0.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Boolean(b) => b.hash(state),
            Value::BigInt(i) => i.hash(state),
            Value::Double(d) => {
                if d.is_nan() {
                    u64::MAX.hash(state)
                } else if *d == d.trunc() && d.abs() < 9.2e18 {
                    (*d as i64).hash(state)
                } else {
                    d.to_bits().hash(state)
                }
            }
            Value::Text(s) => s.hash(state),
            Value::Date(d) => i64::from(*d).wrapping_mul(MICROS_PER_DAY).hash(state),
            Value::Timestamp(t) => t.hash(state),
            Value::Interval(i) => i.approx_micros().hash(state),
        }
    }
}

/// Formats a double as the CLI and the grid show it: integers without a fraction, otherwise the
/// shortest text that reads back as the same number.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if d == d.trunc() && d.abs() < 1e15 {
        format!("{d:.1}")
    } else {
        format!("{d}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Boolean(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::BigInt(i) => write!(f, "{i}"),
            Value::Double(d) => f.write_str(&format_double(*d)),
            Value::Text(s) => f.write_str(s),
            Value::Date(d) => f.write_str(&format_date(*d)),
            Value::Timestamp(t) => f.write_str(&format_timestamp(*t)),
            Value::Interval(i) => write!(f, "{i}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_puts_null_last_and_nan_after_numbers() {
        let mut v = [
            Value::Double(f64::NAN),
            Value::Null,
            Value::BigInt(2),
            Value::Double(1.5),
        ];
        v.sort_by(Value::total_cmp);
        assert_eq!(
            v.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["1.5", "2", "NaN", "NULL"]
        );
        assert_eq!(Value::Null.sql_cmp(&Value::BigInt(1)), None);
    }

    #[test]
    fn intervals_print_like_postgres() {
        let i = Interval {
            months: 14,
            days: 3,
            micros: 3_723_000_000,
        };
        assert_eq!(i.to_string(), "1 year 2 mons 3 days 01:02:03");
    }
}
