//! Evaluating a parsed query at one instant, by Prometheus's rules.
//!
//! - An instant selector takes, per series, the newest sample no older than the 5-minute lookback
//!   (`(now - 5m, now]`); a range selector `[r]` takes the samples in `(now - r, now]`.
//! - `rate`, `increase`: Prometheus's `extrapolatedRate` — the difference between the last and
//!   first sample (plus the value before each counter reset), extrapolated to the window's edges
//!   when the first/last sample is within 110% of the average sample spacing of the edge, else by
//!   half a spacing, and never back past the counter's zero point; `rate` divides by the range.
//!   `irate`: the last two samples' difference (the last value after a reset) over their spacing.
//!   Fewer than two samples: no value.
//! - `histogram_quantile`: Prometheus's `bucketQuantile` over `le` buckets grouped by the other
//!   labels: sorted, merged on equal bounds, precision errors and non-monotonic counts corrected,
//!   linear interpolation inside the bucket holding the rank (0 as the lower edge of the first
//!   bucket), the second-highest bound when the rank falls in `+Inf`, NaN for no observations.
//! - Aggregations group by the kept labels (`by`) or all but the dropped ones and the name
//!   (`without`); binary operators between vectors match one-to-one on all labels but the name
//!   (or `on`/`ignoring`); arithmetic drops the metric name; a comparison filters unless `bool`.

use super::parser::{AggregateOp, BinaryOp, Expr, Function, Grouping, Selector, VectorMatching};
use super::PromqlError;
use crate::metrics::{Labels, MetricStore, Sample};
use crate::value::{DurationMs, TimeMs};
use std::collections::BTreeMap;

/// Prometheus's default lookback for instant selectors.
pub const LOOKBACK: DurationMs = DurationMs(5 * 60 * 1000);

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Scalar(f64),
    Vector(Vec<(Labels, f64)>),
}

/// Evaluates `expr` at `now`; the result sorted by labels.
pub fn evaluate(
    store: &MetricStore,
    expr: &Expr,
    now: TimeMs,
) -> Result<Vec<(Labels, f64)>, PromqlError> {
    let evaluator = Evaluator { store, now };
    match evaluator.eval(expr)? {
        Value::Scalar(value) => Ok(vec![(Labels::default(), value)]),
        Value::Vector(mut vector) => {
            sim::sort::sort_by(&mut vector, |a, b| a.0.cmp(&b.0));
            Ok(vector)
        }
    }
}

struct Evaluator<'a> {
    store: &'a MetricStore,
    now: TimeMs,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<Value, PromqlError> {
        match expr {
            Expr::Number(n) => Ok(Value::Scalar(*n)),
            Expr::Instant(selector) => Ok(Value::Vector(self.instant(selector))),
            Expr::Range { position, .. } => Err(PromqlError::at(
                *position,
                "a range vector cannot be the result here: wrap it in rate(), irate() or increase()",
            )),
            Expr::Call {
                function,
                args,
                position,
            } => self.call(*function, args, *position),
            Expr::Aggregate { op, grouping, expr } => {
                let vector = self.vector(expr, "an aggregation")?;
                Ok(Value::Vector(aggregate(*op, grouping.as_ref(), vector)))
            }
            Expr::Binary {
                op,
                lhs,
                rhs,
                return_bool,
                matching,
                position,
            } => {
                let lhs = self.eval(lhs)?;
                let rhs = self.eval(rhs)?;
                binary(*op, lhs, rhs, *return_bool, matching.as_ref(), *position)
            }
            Expr::Negate(inner) => Ok(match self.eval(inner)? {
                Value::Scalar(n) => Value::Scalar(-n),
                Value::Vector(v) => Value::Vector(v.into_iter().map(|(l, x)| (l.without_name(), -x)).collect()),
            }),
        }
    }

    fn vector(&self, expr: &Expr, context: &str) -> Result<Vec<(Labels, f64)>, PromqlError> {
        match self.eval(expr)? {
            Value::Vector(v) => Ok(v),
            Value::Scalar(_) => Err(PromqlError::at(
                position_of(expr),
                &format!("{context} needs an instant vector here, not a number"),
            )),
        }
    }

    /// Per matching series, the newest sample within the lookback.
    fn instant(&self, selector: &Selector) -> Vec<(Labels, f64)> {
        let start = TimeMs(self.now.0.saturating_sub(LOOKBACK.0));
        self.matching(selector)
            .filter_map(|series| {
                let last = series.samples_in(start, self.now).last()?;
                Some((series.labels.clone(), last.value))
            })
            .collect()
    }

    fn matching<'s>(
        &'s self,
        selector: &'s Selector,
    ) -> impl Iterator<Item = &'s crate::metrics::Series> + 's {
        self.store.series().iter().filter(move |series| {
            selector
                .matchers
                .iter()
                .all(|m| m.matches(series.labels.get(&m.label)))
        })
    }

    fn call(
        &self,
        function: Function,
        args: &[Expr],
        position: usize,
    ) -> Result<Value, PromqlError> {
        match function {
            Function::Rate | Function::Irate | Function::Increase => {
                let [Expr::Range {
                    selector, range, ..
                }] = args
                else {
                    return Err(PromqlError::at(
                        position,
                        "rate, irate and increase take one range selector, e.g. rate(x[5m])",
                    ));
                };
                let start = TimeMs(self.now.0.saturating_sub(range.0));
                let vector = self
                    .matching(selector)
                    .filter_map(|series| {
                        let samples: Vec<Sample> = series.samples_in(start, self.now).collect();
                        let value = match function {
                            Function::Irate => instant_rate(&samples),
                            Function::Rate => {
                                extrapolated_rate(&samples, start, self.now, *range, true)
                            }
                            _ => extrapolated_rate(&samples, start, self.now, *range, false),
                        }?;
                        Some((series.labels.without_name(), value))
                    })
                    .collect();
                Ok(Value::Vector(vector))
            }
            Function::HistogramQuantile => {
                let [phi, buckets] = args else {
                    return Err(PromqlError::at(
                        position,
                        "histogram_quantile takes two arguments: a quantile and a vector of buckets",
                    ));
                };
                let Value::Scalar(phi) = self.eval(phi)? else {
                    return Err(PromqlError::at(
                        position_of(phi),
                        "the quantile must be a number",
                    ));
                };
                let buckets = self.vector(buckets, "histogram_quantile")?;
                histogram_quantile(phi, buckets, position).map(Value::Vector)
            }
        }
    }
}

/// The character position to report for an expression.
fn position_of(expr: &Expr) -> usize {
    match expr {
        Expr::Range { position, .. }
        | Expr::Call { position, .. }
        | Expr::Binary { position, .. } => *position,
        Expr::Aggregate { expr, .. } | Expr::Negate(expr) => position_of(expr),
        Expr::Instant(selector) => selector.position,
        Expr::Number(_) => 0,
    }
}

/// Prometheus's `extrapolatedRate` for float counters (`is_rate`: per second; else the increase).
pub fn extrapolated_rate(
    samples: &[Sample],
    range_start: TimeMs,
    range_end: TimeMs,
    range: DurationMs,
    is_rate: bool,
) -> Option<f64> {
    let (first, last) = match samples {
        [first, .., last] => (first, last),
        _ => return None,
    };
    let mut result = last.value - first.value;
    for pair in samples.windows(2) {
        if pair[1].value < pair[0].value {
            result += pair[0].value;
        }
    }
    let mut duration_to_start = (first.at.0 as f64 - range_start.0 as f64) / 1000.0;
    let mut duration_to_end = (range_end.0 as f64 - last.at.0 as f64) / 1000.0;
    let sampled_interval = (last.at.0 - first.at.0) as f64 / 1000.0;
    let average_between_samples = sampled_interval / (samples.len() - 1) as f64;
    let threshold = average_between_samples * 1.1;
    if duration_to_start >= threshold {
        duration_to_start = average_between_samples / 2.0;
    }
    // A counter cannot go below zero: do not extrapolate back past where it would reach zero.
    if result > 0.0 && first.value >= 0.0 {
        let duration_to_zero = sampled_interval * (first.value / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    if duration_to_end >= threshold {
        duration_to_end = average_between_samples / 2.0;
    }
    let mut factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
    if is_rate {
        factor /= range.0 as f64 / 1000.0;
    }
    Some(result * factor)
}

/// Prometheus's `irate`: the last two samples' per-second difference (after a reset, the last
/// value itself).
pub fn instant_rate(samples: &[Sample]) -> Option<f64> {
    let [.., previous, last] = samples else {
        return None;
    };
    let interval_ms = last.at.0.checked_sub(previous.at.0).filter(|&d| d > 0)?;
    let delta = if last.value < previous.value {
        last.value
    } else {
        last.value - previous.value
    };
    Some(delta / (interval_ms as f64 / 1000.0))
}

/// One `le` bucket: its upper bound and cumulative count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// Groups `le` series by their other labels (the name included, as two histograms are two
/// groups) and takes each group's quantile; two groups left with the same labels once the name
/// is dropped are an error, as in Prometheus.
fn histogram_quantile(
    phi: f64,
    vector: Vec<(Labels, f64)>,
    position: usize,
) -> Result<Vec<(Labels, f64)>, PromqlError> {
    let mut groups: BTreeMap<Labels, Vec<Bucket>> = BTreeMap::new();
    let le = ["le".to_string()];
    for (labels, count) in vector {
        let Some(upper_bound) = parse_le(labels.get("le")) else {
            continue;
        };
        groups
            .entry(labels.without(&le))
            .or_default()
            .push(Bucket { upper_bound, count });
    }
    let mut result: BTreeMap<Labels, f64> = BTreeMap::new();
    for (labels, buckets) in groups {
        let labels = labels.without_name();
        if result.contains_key(&labels) {
            return Err(PromqlError::at(
                position,
                &format!(
                    "vector cannot contain metrics with the same labelset: two histograms give {}",
                    labels.render()
                ),
            ));
        }
        result.insert(labels, bucket_quantile(phi, buckets));
    }
    Ok(result.into_iter().collect())
}

/// An `le` value as Prometheus parses it (a float, `+Inf`); `None` drops the series.
fn parse_le(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        _ => text.parse().ok(),
    }
}

/// Prometheus's `bucketQuantile`.
pub fn bucket_quantile(q: f64, mut buckets: Vec<Bucket>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    sim::sort::sort_by(&mut buckets, |a, b| a.upper_bound.total_cmp(&b.upper_bound));
    if buckets
        .last()
        .is_none_or(|b| b.upper_bound != f64::INFINITY)
    {
        return f64::NAN;
    }
    let mut buckets = coalesce(buckets);
    correct_precision_errors(&mut buckets, 1e-12);
    ensure_monotonic(&mut buckets);
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets[buckets.len() - 1].count;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1].partition_point(|bucket| bucket.count < rank);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].upper_bound;
    }
    if b == 0 && buckets[0].upper_bound <= 0.0 {
        return buckets[0].upper_bound;
    }
    let bucket_end = buckets[b].upper_bound;
    let mut count = buckets[b].count;
    let mut bucket_start = 0.0;
    if b > 0 {
        bucket_start = buckets[b - 1].upper_bound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    bucket_start + (bucket_end - bucket_start) * (rank / count)
}

/// Merges buckets with the same upper bound (input sorted).
fn coalesce(buckets: Vec<Bucket>) -> Vec<Bucket> {
    let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        match merged.last_mut() {
            Some(last) if last.upper_bound == bucket.upper_bound => last.count += bucket.count,
            _ => merged.push(bucket),
        }
    }
    merged
}

/// Treats a count that differs from the previous by a relative `tolerance` as equal to it.
fn correct_precision_errors(buckets: &mut [Bucket], tolerance: f64) {
    let mut previous = buckets[0].count;
    for bucket in buckets.iter_mut().skip(1) {
        let delta = (bucket.count - previous).abs();
        if delta == 0.0 {
            continue;
        }
        if delta / bucket.count <= tolerance {
            bucket.count = previous;
        } else {
            previous = bucket.count;
        }
    }
}

/// Raises any count below an earlier one to it (the cumulative envelope).
fn ensure_monotonic(buckets: &mut [Bucket]) {
    let mut max = buckets[0].count;
    for bucket in buckets.iter_mut().skip(1) {
        if bucket.count > max {
            max = bucket.count;
        } else if bucket.count < max {
            bucket.count = max;
        }
    }
}

/// The group key of a sample under a grouping.
fn group_key(labels: &Labels, grouping: Option<&Grouping>) -> Labels {
    match grouping {
        None => Labels::default(),
        Some(Grouping::By(names)) => labels.keep(names),
        Some(Grouping::Without(names)) => labels.without(names).without_name(),
    }
}

fn aggregate(
    op: AggregateOp,
    grouping: Option<&Grouping>,
    vector: Vec<(Labels, f64)>,
) -> Vec<(Labels, f64)> {
    let mut groups: BTreeMap<Labels, (f64, usize)> = BTreeMap::new();
    for (labels, value) in vector {
        let key = group_key(&labels, grouping);
        match groups.get_mut(&key) {
            None => {
                let initial = if op == AggregateOp::Count { 1.0 } else { value };
                groups.insert(key, (initial, 1));
            }
            Some((acc, n)) => {
                *n += 1;
                match op {
                    AggregateOp::Sum | AggregateOp::Avg => *acc += value,
                    AggregateOp::Count => *acc += 1.0,
                    AggregateOp::Max => {
                        if *acc < value || acc.is_nan() {
                            *acc = value;
                        }
                    }
                    AggregateOp::Min => {
                        if *acc > value || acc.is_nan() {
                            *acc = value;
                        }
                    }
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(labels, (acc, n))| {
            let value = if op == AggregateOp::Avg {
                acc / n as f64
            } else {
                acc
            };
            (labels, value)
        })
        .collect()
}

fn arithmetic(op: BinaryOp, lhs: f64, rhs: f64) -> f64 {
    match op {
        BinaryOp::Add => lhs + rhs,
        BinaryOp::Sub => lhs - rhs,
        BinaryOp::Mul => lhs * rhs,
        BinaryOp::Div => lhs / rhs,
        BinaryOp::Mod => lhs % rhs,
        BinaryOp::Eq => f64::from(u8::from(lhs == rhs)),
        BinaryOp::Ne => f64::from(u8::from(lhs != rhs)),
        BinaryOp::Gt => f64::from(u8::from(lhs > rhs)),
        BinaryOp::Lt => f64::from(u8::from(lhs < rhs)),
        BinaryOp::Ge => f64::from(u8::from(lhs >= rhs)),
        BinaryOp::Le => f64::from(u8::from(lhs <= rhs)),
    }
}

/// One element of a vector-and-something operation: `Some((labels, value))` to keep it.
fn combine(
    op: BinaryOp,
    labels: Labels,
    lhs: f64,
    rhs: f64,
    return_bool: bool,
    keep_value: f64,
) -> Option<(Labels, f64)> {
    let outcome = arithmetic(op, lhs, rhs);
    if !op.is_comparison() {
        return Some((labels.without_name(), outcome));
    }
    if return_bool {
        return Some((labels.without_name(), outcome));
    }
    (outcome == 1.0).then_some((labels, keep_value))
}

fn binary(
    op: BinaryOp,
    lhs: Value,
    rhs: Value,
    return_bool: bool,
    matching: Option<&VectorMatching>,
    position: usize,
) -> Result<Value, PromqlError> {
    match (lhs, rhs) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            if op.is_comparison() && !return_bool {
                return Err(PromqlError::at(
                    position,
                    "a comparison between two numbers needs bool",
                ));
            }
            Ok(Value::Scalar(arithmetic(op, a, b)))
        }
        (Value::Vector(v), Value::Scalar(b)) => Ok(Value::Vector(
            v.into_iter()
                .filter_map(|(l, a)| combine(op, l, a, b, return_bool, a))
                .collect(),
        )),
        (Value::Scalar(a), Value::Vector(v)) => Ok(Value::Vector(
            v.into_iter()
                .filter_map(|(l, b)| combine(op, l, a, b, return_bool, b))
                .collect(),
        )),
        (Value::Vector(lhs), Value::Vector(rhs)) => {
            vector_binary(op, lhs, rhs, return_bool, matching, position).map(Value::Vector)
        }
    }
}

/// The labels two sides match on.
fn signature(labels: &Labels, matching: Option<&VectorMatching>) -> Labels {
    match matching {
        Some(VectorMatching::On(names)) => labels.keep(names),
        Some(VectorMatching::Ignoring(names)) => labels.without(names).without_name(),
        None => labels.without_name(),
    }
}

fn vector_binary(
    op: BinaryOp,
    lhs: Vec<(Labels, f64)>,
    rhs: Vec<(Labels, f64)>,
    return_bool: bool,
    matching: Option<&VectorMatching>,
    position: usize,
) -> Result<Vec<(Labels, f64)>, PromqlError> {
    let mut right: BTreeMap<Labels, f64> = BTreeMap::new();
    for (labels, value) in rhs {
        let key = signature(&labels, matching);
        if right.insert(key.clone(), value).is_some() {
            return Err(PromqlError::at(
                position,
                &format!(
                    "found duplicate series for the match group {} on the right hand-side of the operation: many-to-many matching not allowed",
                    key.render()
                ),
            ));
        }
    }
    let mut seen_left: BTreeMap<Labels, ()> = BTreeMap::new();
    let mut result: BTreeMap<Labels, f64> = BTreeMap::new();
    for (labels, value) in lhs {
        let key = signature(&labels, matching);
        let Some(&other) = right.get(&key) else {
            continue;
        };
        if seen_left.insert(key.clone(), ()).is_some() {
            return Err(PromqlError::at(
                position,
                &format!("many-to-many matching not allowed: the match group {} has several series on the left", key.render()),
            ));
        }
        let Some((out_labels, out_value)) = combine(op, labels, value, other, return_bool, value)
        else {
            continue;
        };
        let out_labels = match matching {
            Some(VectorMatching::On(names)) => out_labels.keep(names),
            Some(VectorMatching::Ignoring(names)) => out_labels.without(names),
            None => out_labels,
        };
        if result.insert(out_labels.clone(), out_value).is_some() {
            return Err(PromqlError::at(
                position,
                &format!(
                    "multiple matches for labels {}: grouping labels must ensure uniqueness",
                    out_labels.render()
                ),
            ));
        }
    }
    Ok(result.into_iter().collect())
}
