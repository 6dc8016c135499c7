//! A small, deterministic logistic regression and the AUC that grades it, for the lessons on
//! leakage: train on features from a naive latest-value join and from a point-in-time join, and
//! compare offline AUC with AUC on later data.
//!
//! The model is the textbook one (see scikit-learn's `LogisticRegression` user guide): features
//! standardized with the training rows' mean and standard deviation, an intercept, an L2 penalty
//! on the weights (not the intercept), fitted by Newton's method (iteratively reweighted least
//! squares) for a fixed number of iterations. No randomness, no early stopping on a tolerance,
//! and only `+`, `*`, `/` and `sqrt` (which IEEE 754 rounds exactly): the exponential is
//! computed here by range reduction and a polynomial instead of `f64::exp`, whose last bit
//! depends on the platform's math library. The same rows give the same weights natively and in
//! the browser.
//!
//! NULL is handled explicitly, because the point-in-time join produces NULLs on purpose (expired
//! by TTL, nothing before): a NULL is replaced by the training mean of its feature and a "was
//! missing" indicator column (1 when NULL) is added for every feature that had a NULL in the
//! training rows. Dropping rows instead would silently train on a different population than the
//! one served, and an imputed value alone would hide that "no recent value" is itself a signal
//! (a driver with no stats in the last day is a new driver). A NULL in a column that had none in
//! training is imputed without an indicator.
//!
//! [`auc`] is the area under the ROC curve by the rank (Mann-Whitney U) formula, ties averaged:
//! the probability that a random positive scores above a random negative, counting a tie as half.

use crate::model::FeatureError;
use crate::value::FeatureValue;
use std::cmp::Ordering;

/// How the trainer runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// Newton steps, always all of them.
    pub iterations: u32,
    /// The L2 penalty per training row on the standardized weights (scikit-learn's `1 / (C n)`).
    pub l2_per_row: f64,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            iterations: 25,
            l2_per_row: 1e-3,
        }
    }
}

/// How one input feature becomes model inputs: its standardization and its NULL handling.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureScaling {
    /// The training mean, which also replaces a NULL.
    pub mean: f64,
    /// The training standard deviation (1 when the feature is constant).
    pub std_dev: f64,
    /// Whether a "was missing" indicator follows this feature (it had NULLs in training).
    pub missing_indicator: bool,
}

/// A fitted logistic regression over rows of optional numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    pub scaling: Vec<FeatureScaling>,
    pub intercept: f64,
    /// One weight per model input: per feature its standardized value, then its indicator if any.
    pub weights: Vec<f64>,
}

/// The number `value` holds for training: integers, floats, booleans (0/1) and timestamps
/// (microseconds) as `f64`, NULL as `None`; a string is an error.
pub fn numeric(value: &FeatureValue) -> Result<Option<f64>, FeatureError> {
    match value {
        FeatureValue::Null => Ok(None),
        FeatureValue::Int(i) => Ok(Some(*i as f64)),
        FeatureValue::Float(x) => Ok(Some(*x)),
        FeatureValue::Bool(b) => Ok(Some(if *b { 1.0 } else { 0.0 })),
        FeatureValue::Timestamp(ts) => Ok(Some(ts.0 as f64)),
        FeatureValue::Str(s) => Err(FeatureError::new(
            format!("`{s}` is a string; the trainer takes numbers"),
            "train on Int64, Float64 or Bool features, or encode the string as numbers first",
        )),
    }
}

/// `e^x` from `+`, `*` and `/` only, so every platform computes the same bits: `x = k ln 2 + r`
/// with `|r| <= ln 2 / 2`, `e^r` by its Taylor series to the 16th power (error below 1e-16), then
/// scaled by `2^k` exactly. Arguments are clamped to `[-700, 700]` (beyond, the result is 0 or huge
/// and the sigmoid saturates anyway).
pub fn exp_portable(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    let x = x.clamp(-700.0, 700.0);
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=16 {
        term = term * r / f64::from(n);
        sum += term;
    }
    sum * power_of_two(k as i32)
}

/// `2^k` for `-1022 <= k <= 1023`, exactly: the exponent bits of a normal `f64`.
fn power_of_two(k: i32) -> f64 {
    f64::from_bits(((i64::from(k) + 1023) as u64) << 52)
}

/// The logistic function `1 / (1 + e^-z)`, via [`exp_portable`].
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + exp_portable(-z))
}

impl LogisticModel {
    /// Fits the model to `rows` (one optional number per feature) and 0/1 `labels`.
    pub fn fit(
        rows: &[Vec<Option<f64>>],
        labels: &[bool],
        options: TrainOptions,
    ) -> Result<LogisticModel, FeatureError> {
        let width = check_training_rows(rows, labels)?;
        let scaling: Vec<FeatureScaling> = (0..width).map(|j| scale_column(rows, j)).collect();
        let inputs: Vec<Vec<f64>> = rows.iter().map(|row| model_inputs(&scaling, row)).collect();
        let coefficients = newton_fit(&inputs, labels, options);
        Ok(LogisticModel {
            scaling,
            intercept: coefficients[0],
            weights: coefficients[1..].to_vec(),
        })
    }

    /// The predicted probability of a positive label for `row`.
    pub fn predict(&self, row: &[Option<f64>]) -> Result<f64, FeatureError> {
        if row.len() != self.scaling.len() {
            return Err(FeatureError::new(
                format!(
                    "the row has {} features; the model was trained on {}",
                    row.len(),
                    self.scaling.len()
                ),
                "predict with the same features, in the same order, as in training",
            ));
        }
        check_finite(row)?;
        let inputs = model_inputs(&self.scaling, row);
        Ok(sigmoid(self.intercept + dot(&self.weights, &inputs)))
    }

    /// [`LogisticModel::predict`] for every row.
    pub fn predict_all(&self, rows: &[Vec<Option<f64>>]) -> Result<Vec<f64>, FeatureError> {
        rows.iter().map(|row| self.predict(row)).collect()
    }
}

/// Checks the training data's shape and values, and returns the number of features.
fn check_training_rows(rows: &[Vec<Option<f64>>], labels: &[bool]) -> Result<usize, FeatureError> {
    if rows.len() != labels.len() {
        return Err(FeatureError::new(
            format!("{} rows but {} labels", rows.len(), labels.len()),
            "give exactly one label per training row",
        ));
    }
    if !labels.iter().any(|l| *l) || labels.iter().all(|l| *l) {
        return Err(FeatureError::new(
            "the training labels are all the same",
            "train on rows with both positive and negative labels",
        ));
    }
    let width = rows.first().map_or(0, Vec::len);
    for (i, row) in rows.iter().enumerate() {
        if row.len() != width {
            return Err(FeatureError::new(
                format!(
                    "training row {i} has {} features, row 0 has {width}",
                    row.len()
                ),
                "give every row the same features in the same order",
            ));
        }
        check_finite(row)?;
    }
    Ok(width)
}

fn check_finite(row: &[Option<f64>]) -> Result<(), FeatureError> {
    match row.iter().flatten().find(|x| !x.is_finite()) {
        Some(x) => Err(FeatureError::new(
            format!("a feature value is {x}"),
            "give finite numbers, or NULL for a missing value",
        )),
        None => Ok(()),
    }
}

/// Column `j`'s training mean and standard deviation over its non-NULL values.
fn scale_column(rows: &[Vec<Option<f64>>], j: usize) -> FeatureScaling {
    let present: Vec<f64> = rows.iter().filter_map(|row| row[j]).collect();
    let missing_indicator = present.len() < rows.len();
    if present.is_empty() {
        return FeatureScaling {
            mean: 0.0,
            std_dev: 1.0,
            missing_indicator,
        };
    }
    let count = present.len() as f64;
    let mean = present.iter().sum::<f64>() / count;
    let variance = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / count;
    let std_dev = if variance > 0.0 { variance.sqrt() } else { 1.0 };
    FeatureScaling {
        mean,
        std_dev,
        missing_indicator,
    }
}

/// A row as the model sees it: each feature standardized (NULL becomes the mean, so 0), followed
/// by its missing indicator where the feature has one.
fn model_inputs(scaling: &[FeatureScaling], row: &[Option<f64>]) -> Vec<f64> {
    let mut inputs = Vec::with_capacity(scaling.len() * 2);
    for (scale, value) in scaling.iter().zip(row) {
        inputs.push(value.map_or(0.0, |x| (x - scale.mean) / scale.std_dev));
        if scale.missing_indicator {
            inputs.push(if value.is_none() { 1.0 } else { 0.0 });
        }
    }
    inputs
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Newton's method on the L2-penalized log loss; returns the intercept then the weights.
fn newton_fit(inputs: &[Vec<f64>], labels: &[bool], options: TrainOptions) -> Vec<f64> {
    // each row with a leading 1 for the intercept
    let design: Vec<Vec<f64>> = inputs
        .iter()
        .map(|x| std::iter::once(1.0).chain(x.iter().copied()).collect())
        .collect();
    let width = inputs.first().map_or(0, Vec::len) + 1;
    let penalty = options.l2_per_row * inputs.len() as f64;
    let mut beta = vec![0.0; width];
    for _ in 0..options.iterations {
        let mut gradient = vec![0.0; width];
        let mut hessian = vec![vec![0.0; width]; width];
        for (row, label) in design.iter().zip(labels) {
            let p = sigmoid(dot(&beta, row));
            let residual = if *label { 1.0 } else { 0.0 } - p;
            let curvature = p * (1.0 - p);
            for ((g, h), xa) in gradient.iter_mut().zip(&mut hessian).zip(row) {
                *g += residual * xa;
                for (cell, xb) in h.iter_mut().zip(row) {
                    *cell += curvature * xa * xb;
                }
            }
        }
        // the penalty spares the intercept (index 0)
        for (a, (g, h)) in gradient.iter_mut().zip(&mut hessian).enumerate().skip(1) {
            *g -= penalty * beta[a];
            h[a] += penalty;
        }
        let step = solve(hessian, gradient);
        for (coefficient, delta) in beta.iter_mut().zip(step) {
            *coefficient += delta;
        }
    }
    beta
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting. A (numerically) singular
/// direction gets a zero step, so a degenerate input (a constant column) stays at weight 0.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        if a[col][col].abs() < 1e-12 {
            continue;
        }
        let (done, rest) = a.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for (offset, row) in rest.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            for (cell, above) in row.iter_mut().zip(pivot_row).skip(col) {
                *cell -= factor * above;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        if a[row][row].abs() < 1e-12 {
            continue;
        }
        let known: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - known) / a[row][row];
    }
    x
}

/// The area under the ROC curve of `scores` against `labels`, by the Mann-Whitney formula with
/// tied scores given their average rank: `(R+ - P (P + 1) / 2) / (P N)`, `R+` the rank sum of
/// the `P` positives among `P + N` rows. An error when the lengths differ, a score is NaN, or
/// the labels are all one class (AUC is then undefined).
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<f64, FeatureError> {
    if scores.len() != labels.len() {
        return Err(FeatureError::new(
            format!("{} scores but {} labels", scores.len(), labels.len()),
            "give exactly one score per label",
        ));
    }
    if scores.iter().any(|s| s.is_nan()) {
        return Err(FeatureError::new(
            "a score is NaN",
            "score every row with a number",
        ));
    }
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(FeatureError::new(
            "AUC needs both positive and negative labels",
            "evaluate on rows of both classes",
        ));
    }
    let positive_rank_sum: f64 = average_ranks(scores)
        .iter()
        .zip(labels)
        .filter(|(_, label)| **label)
        .map(|(rank, _)| rank)
        .sum();
    let p = positives as f64;
    Ok((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// 1-based ranks of `scores` in ascending order, each run of equal scores sharing its average.
fn average_ranks(scores: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    sim::sort::sort_by(&mut order, |&a, &b| {
        scores[a].partial_cmp(&scores[b]).unwrap_or(Ordering::Equal)
    });
    let mut ranks = vec![0.0; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = average;
        }
        start = end + 1;
    }
    ranks
}

#[cfg(test)]
mod tests;
