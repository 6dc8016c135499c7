//! The window table functions' arguments and the windows they assign, shared by the batch
//! binder (`FROM TUMBLE(t, ts, ...)` as a plan node) and [`super::compile`] (the same query for
//! the stream engine), so both refuse the same arguments with the same words and cut time the
//! same way.
//!
//! The form is RisingWave's: `TUMBLE(t, ts, size [, offset])`, `HOP(t, ts, slide, size
//! [, offset])`, `SESSION(t, ts, gap)`. Windows are half-open `[start, end)` and aligned to the
//! Unix epoch shifted by the offset, with a floor modulo so that negative times fall in the
//! window before zero (Flink's `TimeWindow.getWindowStartWithOffset` since 2.x).

use super::WindowTvf;
use crate::bind::{ident_name, position};
use crate::error::{ErrorKind, SqlError};
use crate::syntax::ast;
use crate::syntax::span::Span;
use crate::value::MICROS_PER_DAY;

/// A parsed `TUMBLE`/`HOP`/`SESSION` call in FROM.
#[derive(Clone, Debug, PartialEq)]
pub struct TvfCall {
    /// The table it windows.
    pub source: String,
    pub source_span: Span,
    /// The event-time column.
    pub time_column: String,
    pub time_span: Span,
    pub window: WindowTvf,
    /// Sizes were plain integers (the time column is then an integer column), not intervals.
    pub integer: bool,
}

/// A size, slide, gap or offset as written: an INTERVAL (microseconds) or a plain integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    Micros(i64),
    Integer(i64),
}

const TVF_HINT: &str = "write TUMBLE(t, ts, INTERVAL '10' SECOND [, offset]), \
HOP(t, ts, slide, size [, offset]) or SESSION(t, ts, gap); sizes are INTERVALs for a TIMESTAMP \
column and plain integers for a BIGINT one";

/// Whether a FROM item's function name is a window table function.
pub fn is_window_tvf(name: &str) -> bool {
    matches!(name, "tumble" | "hop" | "session")
}

/// Reads `TUMBLE(...)`, `HOP(...)` or `SESSION(...)`; `None` when the function is another one.
pub fn parse_call(
    name: &ast::ObjectName,
    args: &[ast::FunctionArg],
) -> Result<Option<TvfCall>, SqlError> {
    let function = match name.0.as_slice() {
        [i] => ident_name(i),
        _ => return Ok(None),
    };
    if !is_window_tvf(&function) {
        return Ok(None);
    }
    let upper = function.to_ascii_uppercase();
    let at = position(name.span());
    let exprs = args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Expr(e) => Ok(e),
            other => Err(SqlError::new(
                ErrorKind::Syntax,
                format!("{upper} takes plain arguments, not {other}"),
            )
            .with_hint(TVF_HINT)
            .at(at)),
        })
        .collect::<Result<Vec<&ast::Expr>, SqlError>>()?;
    let (lengths_min, lengths_max) = match function.as_str() {
        "tumble" => (1, 2),
        "hop" => (2, 3),
        _ => (1, 1),
    };
    if exprs.len() < 2 + lengths_min || exprs.len() > 2 + lengths_max {
        return Err(SqlError::new(
            ErrorKind::Syntax,
            format!(
                "{upper} takes a table, a time column and {} (got {} arguments)",
                match function.as_str() {
                    "tumble" => "a size and an optional offset",
                    "hop" => "a slide, a size and an optional offset",
                    _ => "a gap",
                },
                exprs.len()
            ),
        )
        .with_hint(TVF_HINT)
        .at(at));
    }
    let source = plain_name(exprs[0], &upper, "table")?;
    let time_column = plain_name(exprs[1], &upper, "time column")?;
    let lengths = exprs[2..]
        .iter()
        .map(|e| length(e, &upper))
        .collect::<Result<Vec<Length>, SqlError>>()?;
    let integer = matches!(lengths[0], Length::Integer(_));
    if lengths
        .iter()
        .any(|l| matches!(l, Length::Integer(_)) != integer)
    {
        return Err(SqlError::new(
            ErrorKind::Type,
            format!("{upper} mixes INTERVAL and integer lengths"),
        )
        .with_hint(TVF_HINT)
        .at(at));
    }
    let values: Vec<i64> = lengths
        .iter()
        .map(|l| match l {
            Length::Micros(v) | Length::Integer(v) => *v,
        })
        .collect();
    let window = match (function.as_str(), values.as_slice()) {
        ("tumble", [size, rest @ ..]) => WindowTvf::Tumble {
            size_us: *size,
            offset_us: rest.first().copied().unwrap_or(0),
        },
        ("hop", [slide, size, rest @ ..]) => WindowTvf::Hop {
            slide_us: *slide,
            size_us: *size,
            offset_us: rest.first().copied().unwrap_or(0),
        },
        (_, [gap]) => WindowTvf::Session { gap_us: *gap },
        _ => unreachable!("argument counts checked above"),
    };
    window.validate().map_err(|e| e.at(at))?;
    Ok(Some(TvfCall {
        source: source.0,
        source_span: source.1,
        time_column: time_column.0,
        time_span: time_column.1,
        window,
        integer,
    }))
}

/// A bare name argument (the table, the time column).
fn plain_name(e: &ast::Expr, function: &str, what: &str) -> Result<(String, Span), SqlError> {
    match e {
        ast::Expr::Identifier(i) => Ok((ident_name(i), i.span)),
        other => Err(SqlError::new(
            ErrorKind::Syntax,
            format!("the {what} of {function} must be a plain name, not {other}"),
        )
        .with_hint(TVF_HINT)
        .at(position(other.span()))),
    }
}

/// A length argument: `INTERVAL '10' SECOND`, `INTERVAL '1 minute'`, `10`, `-5`.
fn length(e: &ast::Expr, function: &str) -> Result<Length, SqlError> {
    let at = position(e.span());
    match e {
        ast::Expr::Nested(inner) => length(inner, function),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
            ..
        } => {
            let negated = match length(expr, function)? {
                Length::Micros(v) => v.checked_neg().map(Length::Micros),
                Length::Integer(v) => v.checked_neg().map(Length::Integer),
            };
            negated.ok_or_else(|| {
                SqlError::new(
                    ErrorKind::Type,
                    format!("{function}'s length {e} is too long"),
                )
                .with_hint(TVF_HINT)
                .at(at)
            })
        }
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n) => n.parse::<i64>().map(Length::Integer).map_err(|_| {
                SqlError::new(
                    ErrorKind::Type,
                    format!("{function}'s length {n} is not a whole number"),
                )
                .with_hint(TVF_HINT)
                .at(at)
            }),
            other => Err(not_a_length(&other.to_string(), function, at)),
        },
        ast::Expr::Interval {
            value,
            leading_field,
            ..
        } => {
            let text = match value.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                },
                other => other.to_string(),
            };
            let text = match leading_field {
                Some(f) => format!("{text} {f}"),
                None => text,
            };
            let parsed = crate::expr::parse_interval(&text).ok_or_else(|| {
                SqlError::new(ErrorKind::Syntax, format!("\"{text}\" is not an interval"))
                    .with_hint("write INTERVAL '5 minutes' or INTERVAL '10' SECOND")
                    .at(at)
            })?;
            if parsed.months != 0 {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    format!("{function}'s length {e} counts months, which have no fixed length"),
                )
                .with_hint("write it in days, hours, minutes or seconds (a day is 24 hours here)")
                .at(at));
            }
            i64::from(parsed.days)
                .checked_mul(MICROS_PER_DAY)
                .and_then(|d| d.checked_add(parsed.micros))
                .map(Length::Micros)
                .ok_or_else(|| {
                    SqlError::new(
                        ErrorKind::Type,
                        format!("{function}'s length {e} is too long"),
                    )
                    .with_hint(TVF_HINT)
                    .at(at)
                })
        }
        other => Err(not_a_length(&other.to_string(), function, at)),
    }
}

fn not_a_length(text: &str, function: &str, at: Option<crate::error::Position>) -> SqlError {
    SqlError::new(
        ErrorKind::Type,
        format!("{function}'s lengths must be INTERVALs or integers, not {text}"),
    )
    .with_hint(TVF_HINT)
    .at(at)
}

fn bad_length(message: String, hint: &str) -> SqlError {
    SqlError::new(ErrorKind::Type, message).with_hint(hint)
}

/// `a mod b` rounded toward negative infinity (`b > 0`), so `-5 mod 10 = 5`.
fn floor_mod(a: i128, b: i128) -> i128 {
    a.rem_euclid(b)
}

/// Clamps an exact window bound to the i64 time line (bounds past its ends saturate).
fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl WindowTvf {
    /// The function's name in SQL.
    pub fn name(&self) -> &'static str {
        match self {
            WindowTvf::Tumble { .. } => "TUMBLE",
            WindowTvf::Hop { .. } => "HOP",
            WindowTvf::Session { .. } => "SESSION",
        }
    }

    /// Refuses sizes, slides and gaps that are not positive, a slide longer than its size (rows
    /// would fall between windows), and offsets not smaller than the size.
    pub fn validate(&self) -> Result<(), SqlError> {
        let positive = |what: &str, v: i64| {
            if v > 0 {
                Ok(())
            } else {
                Err(bad_length(
                    format!("the {} {what} must be positive, not {v}", self.name()),
                    "write e.g. INTERVAL '10' SECOND (or 10 for an integer time column)",
                ))
            }
        };
        let offset_fits = |offset: i64, size: i64| {
            if i128::from(offset).abs() < i128::from(size) {
                Ok(())
            } else {
                Err(bad_length(
                    format!(
                        "the {} offset ({offset}) must be smaller than the size ({size}) in absolute value",
                        self.name()
                    ),
                    "an offset shifts the windows' alignment: e.g. INTERVAL '-8' HOUR for days that start at midnight UTC+8",
                ))
            }
        };
        match *self {
            WindowTvf::Tumble { size_us, offset_us } => {
                positive("size", size_us)?;
                offset_fits(offset_us, size_us)
            }
            WindowTvf::Hop {
                slide_us,
                size_us,
                offset_us,
            } => {
                positive("slide", slide_us)?;
                positive("size", size_us)?;
                if slide_us > size_us {
                    return Err(bad_length(
                        format!("the HOP slide ({slide_us}) does not fit in its size ({size_us})"),
                        "a HOP's slide must be at most its size, so every row is in a window; \
                         with slide = size it is a TUMBLE",
                    ));
                }
                offset_fits(offset_us, size_us)
            }
            WindowTvf::Session { gap_us } => positive("gap", gap_us),
        }
    }

    /// The tumbling or hopping windows `[start, end)` that contain `ts`, oldest first (a HOP
    /// row is in about size/slide windows); empty for a session, whose windows depend on the
    /// other rows (see [`sessions`]).
    pub fn windows_of(&self, ts: i64) -> Vec<(i64, i64)> {
        let (slide, size, offset) = match *self {
            WindowTvf::Tumble { size_us, offset_us } => (size_us, size_us, offset_us),
            WindowTvf::Hop {
                slide_us,
                size_us,
                offset_us,
            } => (slide_us, size_us, offset_us),
            WindowTvf::Session { .. } => return Vec::new(),
        };
        let (ts, slide, size, offset) = (
            i128::from(ts),
            i128::from(slide),
            i128::from(size),
            i128::from(offset),
        );
        let last_start = ts - floor_mod(ts - offset, slide);
        let mut starts = Vec::new();
        let mut start = last_start;
        while start > ts - size {
            starts.push(start);
            start -= slide;
        }
        starts
            .into_iter()
            .rev()
            .map(|s| (clamp(s), clamp(s + size)))
            .collect()
    }
}

/// Sessions of one key's event times given in ascending order: a row less than `gap` after
/// the previous one joins its session, a row `gap` or more after it starts a new one (rows
/// exactly `gap` apart are two sessions, the streaming engine's half-open rule). Returns each
/// row's session as `[first ts, last ts + gap)`.
pub fn sessions(sorted_ts: &[i64], gap: i64) -> Vec<(i64, i64)> {
    let mut out = vec![(0, 0); sorted_ts.len()];
    let mut begin = 0;
    while begin < sorted_ts.len() {
        let mut end = begin + 1;
        while end < sorted_ts.len()
            && i128::from(sorted_ts[end]) - i128::from(sorted_ts[end - 1]) < i128::from(gap)
        {
            end += 1;
        }
        let window = (
            sorted_ts[begin],
            clamp(i128::from(sorted_ts[end - 1]) + i128::from(gap)),
        );
        for slot in &mut out[begin..end] {
            *slot = window;
        }
        begin = end;
    }
    out
}
