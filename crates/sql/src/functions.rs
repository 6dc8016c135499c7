//! Scalar functions: their names, argument checks and result types (used by the binder) and
//! their evaluation on values. No function reads a clock: `now()` and `current_date` are refused,
//! so a query means the same thing whenever it runs.

use super::error::{ErrorKind, SqlError};
use super::value::{civil_from_days, days_from_civil, DataType, Value, MICROS_PER_DAY};
use std::cmp::Ordering;

/// A scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarFn {
    Lower,
    Upper,
    Length,
    Substr,
    Trim,
    Ltrim,
    Rtrim,
    Replace,
    Concat,
    Coalesce,
    NullIf,
    Abs,
    Round,
    Floor,
    Ceil,
    Sqrt,
    Power,
    Greatest,
    Least,
    DateTrunc,
    /// `extract(field FROM x)` and `date_part('field', x)`.
    DatePart,
    StartsWith,
    Strpos,
    Left,
    Right,
}

impl ScalarFn {
    pub fn from_name(name: &str) -> Option<ScalarFn> {
        Some(match name.to_ascii_lowercase().as_str() {
            "lower" => ScalarFn::Lower,
            "upper" => ScalarFn::Upper,
            "length" | "char_length" | "character_length" => ScalarFn::Length,
            "substr" | "substring" => ScalarFn::Substr,
            "trim" | "btrim" => ScalarFn::Trim,
            "ltrim" => ScalarFn::Ltrim,
            "rtrim" => ScalarFn::Rtrim,
            "replace" => ScalarFn::Replace,
            "concat" => ScalarFn::Concat,
            "coalesce" | "ifnull" => ScalarFn::Coalesce,
            "nullif" => ScalarFn::NullIf,
            "abs" => ScalarFn::Abs,
            "round" => ScalarFn::Round,
            "floor" => ScalarFn::Floor,
            "ceil" | "ceiling" => ScalarFn::Ceil,
            "sqrt" => ScalarFn::Sqrt,
            "power" | "pow" => ScalarFn::Power,
            "greatest" => ScalarFn::Greatest,
            "least" => ScalarFn::Least,
            "date_trunc" => ScalarFn::DateTrunc,
            "date_part" => ScalarFn::DatePart,
            "starts_with" => ScalarFn::StartsWith,
            "strpos" => ScalarFn::Strpos,
            "left" => ScalarFn::Left,
            "right" => ScalarFn::Right,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ScalarFn::Lower => "lower",
            ScalarFn::Upper => "upper",
            ScalarFn::Length => "length",
            ScalarFn::Substr => "substr",
            ScalarFn::Trim => "trim",
            ScalarFn::Ltrim => "ltrim",
            ScalarFn::Rtrim => "rtrim",
            ScalarFn::Replace => "replace",
            ScalarFn::Concat => "concat",
            ScalarFn::Coalesce => "coalesce",
            ScalarFn::NullIf => "nullif",
            ScalarFn::Abs => "abs",
            ScalarFn::Round => "round",
            ScalarFn::Floor => "floor",
            ScalarFn::Ceil => "ceil",
            ScalarFn::Sqrt => "sqrt",
            ScalarFn::Power => "power",
            ScalarFn::Greatest => "greatest",
            ScalarFn::Least => "least",
            ScalarFn::DateTrunc => "date_trunc",
            ScalarFn::DatePart => "date_part",
            ScalarFn::StartsWith => "starts_with",
            ScalarFn::Strpos => "strpos",
            ScalarFn::Left => "left",
            ScalarFn::Right => "right",
        }
    }

    /// Every function name the binder knows, for did-you-mean.
    pub const NAMES: &'static [&'static str] = &[
        "lower",
        "upper",
        "length",
        "substr",
        "substring",
        "trim",
        "ltrim",
        "rtrim",
        "replace",
        "concat",
        "coalesce",
        "nullif",
        "abs",
        "round",
        "floor",
        "ceil",
        "sqrt",
        "power",
        "greatest",
        "least",
        "date_trunc",
        "date_part",
        "extract",
        "starts_with",
        "strpos",
        "left",
        "right",
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "row_number",
        "rank",
        "dense_rank",
        "lag",
        "lead",
        "first_value",
        "last_value",
    ];

    /// Checks the argument types and returns the result type.
    pub fn result_type(self, args: &[DataType]) -> Result<DataType, SqlError> {
        use DataType::*;
        let arity = |lo: usize, hi: usize| -> Result<(), SqlError> {
            if args.len() < lo || args.len() > hi {
                let want = if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo} to {hi}")
                };
                return Err(SqlError::new(
                    ErrorKind::Type,
                    format!(
                        "{}() takes {want} argument(s), not {}",
                        self.name(),
                        args.len()
                    ),
                ));
            }
            Ok(())
        };
        let want = |i: usize, ok: &[DataType]| -> Result<(), SqlError> {
            let t = args[i];
            if t == Null || ok.contains(&t) {
                Ok(())
            } else {
                let names: Vec<&str> = ok.iter().map(|t| t.name()).collect();
                Err(SqlError::new(
                    ErrorKind::Type,
                    format!(
                        "{}() argument {} is {t}, but it takes {}",
                        self.name(),
                        i + 1,
                        names.join(" or ")
                    ),
                )
                .with_hint("CAST the argument to the right type"))
            }
        };
        Ok(match self {
            ScalarFn::Lower
            | ScalarFn::Upper
            | ScalarFn::Trim
            | ScalarFn::Ltrim
            | ScalarFn::Rtrim => {
                arity(1, 2)?;
                want(0, &[Text])?;
                Text
            }
            ScalarFn::Length => {
                arity(1, 1)?;
                want(0, &[Text])?;
                BigInt
            }
            ScalarFn::Substr => {
                arity(2, 3)?;
                want(0, &[Text])?;
                want(1, &[BigInt])?;
                if args.len() == 3 {
                    want(2, &[BigInt])?;
                }
                Text
            }
            ScalarFn::Replace => {
                arity(3, 3)?;
                (0..3).try_for_each(|i| want(i, &[Text]))?;
                Text
            }
            ScalarFn::Concat => Text,
            ScalarFn::StartsWith => {
                arity(2, 2)?;
                (0..2).try_for_each(|i| want(i, &[Text]))?;
                Boolean
            }
            ScalarFn::Strpos => {
                arity(2, 2)?;
                (0..2).try_for_each(|i| want(i, &[Text]))?;
                BigInt
            }
            ScalarFn::Left | ScalarFn::Right => {
                arity(2, 2)?;
                want(0, &[Text])?;
                want(1, &[BigInt])?;
                Text
            }
            ScalarFn::Coalesce | ScalarFn::Greatest | ScalarFn::Least | ScalarFn::NullIf => {
                if self == ScalarFn::NullIf {
                    arity(2, 2)?;
                } else {
                    arity(1, 100)?;
                }
                let mut t = Null;
                for a in args {
                    t = DataType::common(t, *a).ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::Type,
                            format!("{}() cannot mix {t} and {a}", self.name()),
                        )
                        .with_hint("CAST the arguments to one type")
                    })?;
                }
                if self == ScalarFn::NullIf {
                    args[0]
                } else {
                    t
                }
            }
            ScalarFn::Abs | ScalarFn::Round | ScalarFn::Floor | ScalarFn::Ceil => {
                arity(1, if self == ScalarFn::Round { 2 } else { 1 })?;
                want(0, &[BigInt, Double])?;
                if args.len() == 2 {
                    want(1, &[BigInt])?;
                }
                if args[0] == BigInt {
                    BigInt
                } else {
                    Double
                }
            }
            ScalarFn::Sqrt => {
                arity(1, 1)?;
                want(0, &[BigInt, Double])?;
                Double
            }
            ScalarFn::Power => {
                arity(2, 2)?;
                want(0, &[BigInt, Double])?;
                want(1, &[BigInt, Double])?;
                Double
            }
            ScalarFn::DateTrunc => {
                arity(2, 2)?;
                want(0, &[Text])?;
                want(1, &[Date, Timestamp])?;
                Timestamp
            }
            ScalarFn::DatePart => {
                arity(2, 2)?;
                want(0, &[Text])?;
                want(1, &[Date, Timestamp, Interval])?;
                BigInt
            }
        })
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::BigInt(i) => Some(*i),
        _ => None,
    }
}

/// Calls `func` on evaluated arguments (types already checked by [`ScalarFn::result_type`]).
pub fn call(func: ScalarFn, args: &[Value]) -> Result<Value, SqlError> {
    use ScalarFn::*;
    // Functions that look at NULL arguments themselves.
    match func {
        Coalesce => {
            return Ok(args
                .iter()
                .find(|a| !a.is_null())
                .cloned()
                .unwrap_or(Value::Null))
        }
        NullIf => {
            return Ok(if args[0].sql_cmp(&args[1]) == Some(Ordering::Equal) {
                Value::Null
            } else {
                args[0].clone()
            })
        }
        Concat => {
            let s: String = args
                .iter()
                .filter(|a| !a.is_null())
                .map(ToString::to_string)
                .collect();
            return Ok(Value::text(&s));
        }
        Greatest | Least => {
            let mut best: Option<&Value> = None;
            for a in args.iter().filter(|a| !a.is_null()) {
                let better = best.is_none_or(|b| {
                    let o = a.total_cmp(b);
                    if func == Greatest {
                        o == Ordering::Greater
                    } else {
                        o == Ordering::Less
                    }
                });
                if better {
                    best = Some(a);
                }
            }
            return Ok(best.cloned().unwrap_or(Value::Null));
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match func {
        Lower => Value::text(&text(&args[0]).unwrap_or_default().to_lowercase()),
        Upper => Value::text(&text(&args[0]).unwrap_or_default().to_uppercase()),
        Length => Value::BigInt(text(&args[0]).unwrap_or_default().chars().count() as i64),
        Substr => {
            let s: Vec<char> = text(&args[0]).unwrap_or_default().chars().collect();
            let start = int(&args[1]).unwrap_or(1);
            let len = args.get(2).and_then(int);
            if len.is_some_and(|l| l < 0) {
                return Err(SqlError::new(
                    ErrorKind::Runtime,
                    "negative substring length not allowed",
                ));
            }
            // PostgreSQL: characters from position `start` (1-based), which may be before 1.
            let end = len.map_or(i64::MAX, |l| start.saturating_add(l));
            let from = start.max(1);
            let out: String = s
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let pos = *i as i64 + 1;
                    pos >= from && pos < end
                })
                .map(|(_, c)| *c)
                .collect();
            Value::text(&out)
        }
        Trim | Ltrim | Rtrim => {
            let s = text(&args[0]).unwrap_or_default();
            let chars: Vec<char> = args
                .get(1)
                .and_then(text)
                .map_or_else(|| vec![' '], |c| c.chars().collect());
            let t = match func {
                Trim => s.trim_matches(chars.as_slice()),
                Ltrim => s.trim_start_matches(chars.as_slice()),
                _ => s.trim_end_matches(chars.as_slice()),
            };
            Value::text(t)
        }
        Replace => {
            let (s, from, to) = (
                text(&args[0]).unwrap_or_default(),
                text(&args[1]).unwrap_or_default(),
                text(&args[2]).unwrap_or_default(),
            );
            Value::text(&if from.is_empty() {
                s.to_string()
            } else {
                s.replace(from, to)
            })
        }
        StartsWith => Value::Boolean(
            text(&args[0])
                .unwrap_or_default()
                .starts_with(text(&args[1]).unwrap_or_default()),
        ),
        Strpos => {
            let s = text(&args[0]).unwrap_or_default();
            let sub = text(&args[1]).unwrap_or_default();
            Value::BigInt(s.find(sub).map_or(0, |b| s[..b].chars().count() as i64 + 1))
        }
        Left | Right => {
            let s: Vec<char> = text(&args[0]).unwrap_or_default().chars().collect();
            let n = int(&args[1]).unwrap_or(0);
            let len = s.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            let out: String = if func == Left {
                s[..keep].iter().collect()
            } else {
                s[s.len() - keep..].iter().collect()
            };
            Value::text(&out)
        }
        Abs => match &args[0] {
            Value::BigInt(i) => Value::BigInt(
                i.checked_abs()
                    .ok_or_else(|| SqlError::new(ErrorKind::Runtime, "BIGINT out of range"))?,
            ),
            Value::Double(d) => Value::Double(d.abs()),
            _ => Value::Null,
        },
        Round | Floor | Ceil => match &args[0] {
            Value::BigInt(i) => Value::BigInt(*i),
            Value::Double(d) => {
                let scale =
                    10f64.powi(args.get(1).and_then(int).unwrap_or(0).clamp(-300, 300) as i32);
                let x = d * scale;
                let r = match func {
                    // Halves away from zero, as DuckDB, SQLite and PostgreSQL's NUMERIC do
                    // (a literal 2.5 is NUMERIC there); not PostgreSQL's half-to-even DOUBLE.
                    Round => x.round(),
                    Floor => x.floor(),
                    _ => x.ceil(),
                };
                Value::Double(r / scale)
            }
            _ => Value::Null,
        },
        Sqrt => {
            let x = to_f64(&args[0]);
            if x < 0.0 {
                return Err(SqlError::new(
                    ErrorKind::Runtime,
                    "cannot take square root of a negative number",
                ));
            }
            Value::Double(x.sqrt())
        }
        Power => Value::Double(to_f64(&args[0]).powf(to_f64(&args[1]))),
        DateTrunc => date_trunc(text(&args[0]).unwrap_or_default(), &args[1])?,
        DatePart => date_part(text(&args[0]).unwrap_or_default(), &args[1])?,
        Coalesce | NullIf | Concat | Greatest | Least => unreachable!("handled above"),
    })
}

fn to_f64(v: &Value) -> f64 {
    match v {
        Value::BigInt(i) => *i as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn bad_field(field: &str) -> SqlError {
    SqlError::new(
        ErrorKind::Runtime,
        format!("unknown date field \"{field}\""),
    )
    .with_hint("use year, quarter, month, week, day, hour, minute or second")
}

/// `date_trunc('unit', x)`.
pub fn date_trunc(field: &str, v: &Value) -> Result<Value, SqlError> {
    let t = match v {
        Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
        Value::Timestamp(t) => *t,
        _ => return Ok(Value::Null),
    };
    let days = t.div_euclid(MICROS_PER_DAY);
    let (y, m, _) = civil_from_days(days);
    let micros = match field.to_ascii_lowercase().as_str() {
        "year" => days_from_civil(y, 1, 1) * MICROS_PER_DAY,
        "quarter" => days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * MICROS_PER_DAY,
        "month" => days_from_civil(y, m, 1) * MICROS_PER_DAY,
        // ISO weeks start on Monday; 1970-01-01 was a Thursday.
        "week" => (days - (days + 3).rem_euclid(7)) * MICROS_PER_DAY,
        "day" => days * MICROS_PER_DAY,
        "hour" => t - t.rem_euclid(3_600_000_000),
        "minute" => t - t.rem_euclid(60_000_000),
        "second" => t - t.rem_euclid(1_000_000),
        other => return Err(bad_field(other)),
    };
    Ok(Value::Timestamp(micros))
}

/// `extract(field FROM x)` / `date_part('field', x)`.
pub fn date_part(field: &str, v: &Value) -> Result<Value, SqlError> {
    let field = field.to_ascii_lowercase();
    if let Value::Interval(i) = v {
        return Ok(Value::BigInt(match field.as_str() {
            "year" => i64::from(i.months / 12),
            "month" => i64::from(i.months % 12),
            "day" => i64::from(i.days),
            "hour" => i.micros / 3_600_000_000,
            "minute" => i.micros / 60_000_000 % 60,
            "second" => i.micros / 1_000_000 % 60,
            "epoch" => (i.approx_micros() / 1_000_000) as i64,
            other => return Err(bad_field(other)),
        }));
    }
    let t = match v {
        Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
        Value::Timestamp(t) => *t,
        _ => return Ok(Value::Null),
    };
    let days = t.div_euclid(MICROS_PER_DAY);
    let time = t.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    Ok(Value::BigInt(match field.as_str() {
        "year" => y,
        "quarter" => i64::from((m - 1) / 3 + 1),
        "month" => i64::from(m),
        "day" => i64::from(d),
        // 0 = Sunday, as PostgreSQL's dow.
        "dow" => (days + 4).rem_euclid(7),
        "isodow" => (days + 3).rem_euclid(7) + 1,
        "doy" => days - days_from_civil(y, 1, 1) + 1,
        "hour" => time / 3_600_000_000,
        "minute" => time / 60_000_000 % 60,
        "second" => time / 1_000_000 % 60,
        "epoch" => t.div_euclid(1_000_000),
        other => return Err(bad_field(other)),
    }))
}
