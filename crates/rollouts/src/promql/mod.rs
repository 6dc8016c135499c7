//! A subset of PromQL over the lab's [`MetricStore`], evaluated as Prometheus evaluates an instant
//! query: the answer at one instant, an instant vector of labelled values.
//!
//! [`parser`] reads the text (selectors with `=`, `!=`, `=~`, `!~`, ranges, `rate`, `irate`,
//! `increase`, `histogram_quantile`, `sum`/`avg`/`min`/`max`/`count` with `by`/`without`, binary
//! arithmetic and comparisons with one-to-one matching, numbers, parentheses); [`eval`] computes
//! it with Prometheus's rules (the rate extrapolation of `promql/functions.go`, the bucket
//! interpolation of `promql/quantile.go`, the 5-minute lookback of instant selectors);
//! [`regex`] is the small matcher behind `=~` and `!~`.
//!
//! No data is an empty vector, never an error: a query over a version nobody has asked yet, or
//! a rate over a window holding fewer than two samples, returns nothing, as Prometheus does.

pub mod eval;
pub mod parser;
pub mod regex;

use crate::metrics::{Labels, MetricStore};
use crate::value::TimeMs;
use std::fmt;

/// A query that does not parse or cannot be evaluated, with the character position (0-based) of
/// the part at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromqlError {
    pub position: usize,
    pub message: String,
}

impl PromqlError {
    pub(crate) fn at(position: usize, message: &str) -> PromqlError {
        PromqlError {
            position,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for PromqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position + 1, self.message)
    }
}

/// Runs `query` at `now`: an instant vector sorted by labels (a scalar result is one value with
/// no labels).
pub fn query(
    store: &MetricStore,
    query: &str,
    now: TimeMs,
) -> Result<Vec<(Labels, f64)>, PromqlError> {
    let expr = parser::parse(query)?;
    eval::evaluate(store, &expr, now)
}
