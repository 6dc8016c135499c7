//! Kayenta's baseline-versus-canary judge: the Mann-Whitney U test of a canary's measurements
//! against the baseline's, the classifier that labels one metric Pass, High or Low, and the
//! weighted score over several metrics that Argo Rollouts' Kayenta provider turns into a phase.
//!
//! - [`mann_whitney_u`] is `scipy.stats.mannwhitneyu(canary, baseline)` with its defaults: U is
//!   the canary's statistic, the p-value two-sided, exact when a sample has at most 8 values and
//!   nothing is tied, otherwise the normal approximation with tie and continuity corrections.
//! - [`classify`] follows Kayenta's `MannWhitneyClassifier` as `NetflixACAJudge` builds it
//!   (tolerance 0.25, confidence level 0.98, direction "either", mean-ratio effect size with
//!   allowed increase and decrease 1.0): a confidence interval for the shift canary − baseline
//!   (the Hodges-Lehmann method with the normal approximation, as R's `wilcox.test`), and the
//!   canary is High when the whole interval lies above `tolerance × |estimate|`, Low when below
//!   its negative.
//! - [`score`] is Kayenta's weighted sum of Pass verdicts and Argo's pass (90) and marginal (75)
//!   thresholds.
//!
//! Sources: SciPy's `mannwhitneyu` documentation; Kayenta's canary judge documentation
//! (spinnaker.io, "Canary judge") and its `kayenta-judge` module; Argo Rollouts' Kayenta
//! analysis documentation.

use crate::stats::{self, SampleError};
use sim::special::{normal_quantile, normal_sf};

/// A failed input: which sample (`"baseline"` or `"canary"`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputError {
    pub sample: &'static str,
    pub error: SampleError,
}

fn check(sample: &'static str, values: &[f64]) -> Result<(), InputError> {
    stats::check_sample(values).map_err(|error| InputError { sample, error })
}

/// How a p-value was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PValueMethod {
    /// The exact null distribution of U (small samples, no ties).
    Exact,
    /// The normal approximation with tie and continuity corrections.
    Asymptotic,
}

/// The Mann-Whitney U test of the canary against the baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// The canary's U: the number of (canary, baseline) pairs where the canary is larger, ties
    /// counting one half.
    pub u: f64,
    /// Two-sided.
    pub p_value: f64,
    pub method: PValueMethod,
}

/// The Mann-Whitney U test of `canary` against `baseline`, as SciPy's `mannwhitneyu(canary,
/// baseline)` with `method="auto"`.
pub fn mann_whitney_u(canary: &[f64], baseline: &[f64]) -> Result<MannWhitney, InputError> {
    check("canary", canary)?;
    check("baseline", baseline)?;
    let (n1, n2) = (canary.len(), baseline.len());
    let pooled: Vec<f64> = canary.iter().chain(baseline).copied().collect();
    let ranks = stats::average_ranks(&pooled);
    let rank_sum: f64 = ranks.ranks[..n1].iter().sum();
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = rank_sum - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let ties = ranks.tie_groups.iter().any(|&t| t > 1);
    let method = if (n1 > 8 && n2 > 8) || ties {
        PValueMethod::Asymptotic
    } else {
        PValueMethod::Exact
    };
    let p_value = match method {
        // U1 and U2 are whole numbers without ties; the smaller one's lower tail.
        PValueMethod::Exact => 2.0 * exact_lower_tail(n1, n2, u1.min(u2) as u64),
        PValueMethod::Asymptotic => {
            let n = n1f + n2f;
            let tie_term = stats::tie_term(&ranks.tie_groups);
            let sigma = (n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
            // The larger U's upper tail, less one half for continuity; every value tied gives
            // sigma 0 and z = −∞, hence p = 1.
            let z = (u1.max(u2) - n1f * n2f / 2.0 - 0.5) / sigma;
            2.0 * normal_sf(z)
        }
    };
    Ok(MannWhitney {
        u: u1,
        p_value: p_value.clamp(0.0, 1.0),
        method,
    })
}

/// P(U ≤ k) under the null hypothesis for samples of sizes `n1` and `n2` without ties.
///
/// The number of arrangements with U = u is the coefficient of qᵘ in the Gaussian binomial
/// [n1 + n2 choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i), m and n the smaller and larger
/// size; it is built factor by factor up to degree k, in exact integers while they fit.
fn exact_lower_tail(n1: usize, n2: usize, k: u64) -> f64 {
    let (m, n) = (n1.min(n2), n1.max(n2));
    let k = k as usize;
    match arrangements_up_to::<i128>(m, n, k) {
        Some((count, total)) => count as f64 / total as f64,
        None => {
            let (count, total) = arrangements_up_to::<f64>(m, n, k).unwrap_or((1.0, 1.0));
            count / total
        }
    }
}

/// Integers, checked, or floats for samples too large for 128 bits.
trait Count: Copy {
    const ZERO: Self;
    const ONE: Self;
    fn add(self, other: Self) -> Option<Self>;
    fn sub(self, other: Self) -> Option<Self>;
    fn times(self, factor: usize) -> Option<Self>;
    fn over(self, divisor: usize) -> Self;
}

impl Count for i128 {
    const ZERO: Self = 0;
    const ONE: Self = 1;
    fn add(self, other: Self) -> Option<Self> {
        self.checked_add(other)
    }
    fn sub(self, other: Self) -> Option<Self> {
        self.checked_sub(other)
    }
    fn times(self, factor: usize) -> Option<Self> {
        self.checked_mul(factor as i128)
    }
    fn over(self, divisor: usize) -> Self {
        self / divisor as i128
    }
}

impl Count for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn add(self, other: Self) -> Option<Self> {
        Some(self + other)
    }
    fn sub(self, other: Self) -> Option<Self> {
        Some(self - other)
    }
    fn times(self, factor: usize) -> Option<Self> {
        Some(self * factor as f64)
    }
    fn over(self, divisor: usize) -> Self {
        self / divisor as f64
    }
}

/// The number of arrangements with U ≤ k and the number of all arrangements, C(m + n, m);
/// `None` when an integer overflows.
fn arrangements_up_to<C: Count>(m: usize, n: usize, k: usize) -> Option<(C, C)> {
    let mut coefficients = vec![C::ZERO; k + 1];
    coefficients[0] = C::ONE;
    let mut total = C::ONE;
    for i in 1..=m {
        let drop = n + i;
        for d in (drop..=k).rev() {
            coefficients[d] = coefficients[d].sub(coefficients[d - drop])?;
        }
        for d in i..=k {
            coefficients[d] = coefficients[d].add(coefficients[d - i])?;
        }
        // C(n + i, i) = C(n + i − 1, i − 1) · (n + i) / i, exact at every step.
        total = total.times(n + i)?.over(i);
    }
    let mut count = C::ZERO;
    for c in coefficients {
        count = count.add(c)?;
    }
    Some((count, total))
}

/// Kayenta's label for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    High,
    Low,
}

impl Verdict {
    /// The label as Kayenta prints it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::High => "High",
            Verdict::Low => "Low",
        }
    }
}

/// The classifier's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Classifier {
    /// The fraction of |estimate| the interval must clear (Kayenta: 0.25).
    pub tolerance: f64,
    /// The confidence interval's level (Kayenta: 0.98).
    pub confidence_level: f64,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier {
            tolerance: 0.25,
            confidence_level: 0.98,
        }
    }
}

/// Why a metric got its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    pub verdict: Verdict,
    /// The confidence interval of the shift canary − baseline; `None` when the samples were
    /// identical or all one value (Pass without a test).
    pub interval: Option<(f64, f64)>,
    /// The Hodges-Lehmann estimate of the shift.
    pub estimate: Option<f64>,
    /// mean(canary) / mean(baseline); NaN when either mean is 0.
    pub mean_ratio: f64,
}

/// Kayenta's classification of `canary` against `baseline` (a metric that may move either way).
pub fn classify(
    baseline: &[f64],
    canary: &[f64],
    classifier: Classifier,
) -> Result<Classification, InputError> {
    check("baseline", baseline)?;
    check("canary", canary)?;
    let mean_ratio = mean_ratio(baseline, canary);
    let pass = Classification {
        verdict: Verdict::Pass,
        interval: None,
        estimate: None,
        mean_ratio,
    };
    if sorted(baseline) == sorted(canary) || all_one_value(baseline, canary) {
        return Ok(pass);
    }
    let (interval, estimate) = if is_constant(baseline) && is_constant(canary) {
        // Kayenta adds Gaussian noise (1e-5 of the value) to two constant samples so that the
        // interval can be computed; as the noise vanishes the interval and the estimate close on
        // the difference of the constants, which is what this judge uses, without randomness.
        let shift = canary[0] - baseline[0];
        ((shift, shift), shift)
    } else {
        shift_interval(canary, baseline, classifier.confidence_level)
    };
    let critical = classifier.tolerance * estimate.abs();
    let effect_allows = |high: bool| {
        mean_ratio.is_nan()
            || if high {
                mean_ratio >= 1.0
            } else {
                mean_ratio <= 1.0
            }
    };
    let verdict = if interval.0 > critical && effect_allows(true) {
        Verdict::High
    } else if interval.1 < -critical && effect_allows(false) {
        Verdict::Low
    } else {
        Verdict::Pass
    };
    Ok(Classification {
        verdict,
        interval: Some(interval),
        estimate: Some(estimate),
        mean_ratio,
    })
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sim::sort::sort_by(&mut sorted, f64::total_cmp);
    sorted
}

fn is_constant(values: &[f64]) -> bool {
    values.iter().all(|&v| v == values[0])
}

fn all_one_value(baseline: &[f64], canary: &[f64]) -> bool {
    let first = baseline[0];
    baseline.iter().chain(canary).all(|&v| v == first)
}

fn mean_ratio(baseline: &[f64], canary: &[f64]) -> f64 {
    let (baseline_mean, canary_mean) = (stats::mean(baseline), stats::mean(canary));
    if baseline_mean == 0.0 || canary_mean == 0.0 {
        f64::NAN
    } else {
        canary_mean / baseline_mean
    }
}

/// The confidence interval and the Hodges-Lehmann estimate of the shift x − y, found as R's
/// `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)` and Kayenta find them: the
/// shifts where the standardized rank-sum statistic of (x − shift, y) crosses ±z and 0, by
/// Brent's method with tolerance 1e-4 between min(x) − max(y) and max(x) − min(y).
fn shift_interval(x: &[f64], y: &[f64], confidence_level: f64) -> ((f64, f64), f64) {
    let lowest = x.iter().copied().fold(f64::INFINITY, f64::min)
        - y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let highest = x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - y.iter().copied().fold(f64::INFINITY, f64::min);
    let z = normal_quantile((1.0 - confidence_level) / 2.0);
    let root = |quantile: f64| {
        let at_lowest = standardized_shift(lowest, quantile, x, y);
        let at_highest = standardized_shift(highest, quantile, x, y);
        if at_lowest <= 0.0 {
            lowest
        } else if at_highest >= 0.0 {
            highest
        } else {
            stats::brent_root(lowest, highest, at_lowest, at_highest, 1e-4, |shift| {
                standardized_shift(shift, quantile, x, y)
            })
        }
    };
    let interval = (root(-z), root(z));
    let estimate = stats::brent_root(
        lowest,
        highest,
        standardized_shift(lowest, 0.0, x, y),
        standardized_shift(highest, 0.0, x, y),
        1e-4,
        |shift| standardized_shift(shift, 0.0, x, y),
    );
    (interval, estimate)
}

/// The rank-sum statistic of (x − shift) against y, centred, continuity-corrected towards 0 and
/// divided by its tie-corrected standard deviation, minus `quantile`. Decreasing in `shift`. Its
/// deviation is 0 only when every value is tied, which two samples that are not both constant
/// never are.
fn standardized_shift(shift: f64, quantile: f64, x: &[f64], y: &[f64]) -> f64 {
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let pooled: Vec<f64> = x
        .iter()
        .map(|v| v - shift)
        .chain(y.iter().copied())
        .collect();
    let ranks = stats::average_ranks(&pooled);
    let rank_sum: f64 = ranks.ranks[..x.len()].iter().sum();
    let centred = rank_sum - nx * (nx + 1.0) / 2.0 - nx * ny / 2.0;
    let correction = if centred == 0.0 {
        0.0
    } else {
        centred.signum() * 0.5
    };
    let tie_term = stats::tie_term(&ranks.tie_groups);
    let sigma =
        ((nx * ny / 12.0) * ((nx + ny + 1.0) - tie_term / ((nx + ny) * (nx + ny - 1.0)))).sqrt();
    (centred - correction) / sigma - quantile
}

/// One metric's verdict and its weight in the score.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricVerdict {
    pub name: String,
    /// Relative weight (Kayenta's group weights); only ratios matter.
    pub weight: f64,
    pub verdict: Verdict,
    /// A critical metric that is not Pass fails the whole judgement (score 0).
    pub critical: bool,
}

/// Argo Rollouts' Kayenta thresholds on the score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreThresholds {
    pub pass: u32,
    pub marginal: u32,
}

impl Default for ScoreThresholds {
    fn default() -> Self {
        ScoreThresholds {
            pass: 90,
            marginal: 75,
        }
    }
}

/// What Argo makes of a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreOutcome {
    /// At or above the pass threshold: the measurement is Successful.
    Successful,
    /// Below pass, at or above marginal: Inconclusive (a human decides).
    Inconclusive,
    /// Below marginal: Failed.
    Failed,
}

/// The judgement over several metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The weighted percentage of metrics that passed, rounded to two decimals as Kayenta's
    /// `WeightedSumScorer` rounds it.
    pub score_percent: f64,
    pub outcome: ScoreOutcome,
    /// The first critical metric that did not pass, if any (it set the score to 0).
    pub critical_failure: Option<String>,
}

/// Kayenta's score over `metrics`, judged by Argo's `thresholds`: a critical metric that did not
/// pass scores 0; otherwise 100 × (weight of Pass verdicts) / (all weight). Argo truncates the
/// score to a whole number before comparing it. No metrics (or no weight) scores 0.
pub fn score(metrics: &[MetricVerdict], thresholds: ScoreThresholds) -> Score {
    let critical_failure = metrics
        .iter()
        .find(|m| m.critical && m.verdict != Verdict::Pass)
        .map(|m| m.name.clone());
    let total: f64 = metrics.iter().map(|m| m.weight).sum();
    let passed: f64 = metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Pass)
        .map(|m| m.weight)
        .sum();
    let raw = if critical_failure.is_some() || total <= 0.0 {
        0.0
    } else {
        100.0 * passed / total
    };
    let score_percent = (raw * 100.0).round() / 100.0;
    let whole = score_percent.trunc();
    let outcome = if whole >= f64::from(thresholds.pass) {
        ScoreOutcome::Successful
    } else if whole >= f64::from(thresholds.marginal) {
        ScoreOutcome::Inconclusive
    } else {
        ScoreOutcome::Failed
    };
    Score {
        score_percent,
        outcome,
        critical_failure,
    }
}
