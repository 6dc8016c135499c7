//! The small statistics the judge and drift monitoring share: samples checked once on the way in,
//! average ranks with their tie groups, an accurate mean and Brent's root finder. The normal
//! distribution (tail and quantile) is the kernel's, `sim::special`, shared with the experiments
//! engine.
//!
//! Every p-value in this crate is computed to agree with SciPy (`scipy.stats`) to 1e-9, so these
//! follow its numerics: ranks are `rankdata(method="average")`, and the kernel's normal tail is
//! `erfc` as SciPy's `ndtr` uses it.

/// Why a sample cannot be judged.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleError {
    /// No values at all.
    Empty,
    /// A NaN or an infinity at this 0-based position.
    NotFinite { index: usize },
}

impl SampleError {
    /// One sentence saying what is wrong.
    pub fn message(&self) -> String {
        match self {
            SampleError::Empty => "the sample is empty".to_string(),
            SampleError::NotFinite { index } => {
                format!("value {} is not a finite number", index + 1)
            }
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            SampleError::Empty => "give at least one measurement",
            SampleError::NotFinite { .. } => {
                "drop NaN and infinite measurements first (Kayenta's nanStrategy \"remove\")"
            }
        }
    }
}

/// Checks that `values` is a sample the tests accept: not empty, every value finite.
pub fn check_sample(values: &[f64]) -> Result<(), SampleError> {
    if values.is_empty() {
        return Err(SampleError::Empty);
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(SampleError::NotFinite { index }),
        None => Ok(()),
    }
}

/// The average ranks (1-based) of `values` in their order, and the size of every group of equal
/// values (a value without equals is a group of one).
pub struct Ranks {
    pub ranks: Vec<f64>,
    pub tie_groups: Vec<usize>,
}

/// Ranks `values`, equal values sharing the average of the ranks they span (SciPy's
/// `rankdata(method="average")`, Apache Commons' `TiesStrategy.AVERAGE`).
pub fn average_ranks(values: &[f64]) -> Ranks {
    let mut order: Vec<usize> = (0..values.len()).collect();
    sim::sort::sort_by(&mut order, |&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_groups = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end; their average.
        let average = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = average;
        }
        tie_groups.push(end - start);
        start = end;
    }
    Ranks { ranks, tie_groups }
}

/// Σ (t³ − t) over tie groups: the tie correction of rank tests' variance.
pub fn tie_term(tie_groups: &[usize]) -> f64 {
    tie_groups
        .iter()
        .map(|&t| {
            let t = t as f64;
            t * t * t - t
        })
        .sum()
}

/// The mean by two passes (the sum's mean, corrected by the mean residual), as Apache Commons'
/// `StatUtils.mean` computes it; NaN for an empty slice.
pub fn mean(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let first = values.iter().sum::<f64>() / n;
    let correction: f64 = values.iter().map(|v| v - first).sum();
    first + correction / n
}

/// Brent's method for a root of `f` in `[lo, hi]` given `f(lo)` and `f(hi)`, stopping once the
/// bracket is within `tolerance` (plus a few ulps of the root): the classic `zeroin` of Brent's
/// "Algorithms for Minimization without Derivatives" (1973), with the constants R's `uniroot`
/// and Kayenta's judge use (tolerance 1e-4, at most 1000 steps). Returns the last estimate if
/// the steps run out.
pub fn brent_root(
    lo: f64,
    hi: f64,
    f_lo: f64,
    f_hi: f64,
    tolerance: f64,
    f: impl Fn(f64) -> f64,
) -> f64 {
    const MAX_STEPS: usize = 1000;
    let (mut a, mut b, mut fa, mut fb) = (lo, hi, f_lo, f_hi);
    let (mut c, mut fc) = (a, fa);
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    for _ in 0..=MAX_STEPS {
        let previous_step = b - a;
        if fc.abs() < fb.abs() {
            // Keep b the best estimate, c the other end of the bracket.
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + tolerance / 2.0;
        let mut step = (c - b) / 2.0;
        if step.abs() <= tol || fb == 0.0 {
            return b;
        }
        if previous_step.abs() >= tol && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                // Secant.
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // Inverse quadratic interpolation.
                let qa = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
                q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < 0.75 * cb * q - (tol * q).abs() / 2.0 && p < (previous_step * q / 2.0).abs() {
                step = p / q;
            }
        }
        if step.abs() < tol {
            step = if step > 0.0 { tol } else { -tol };
        }
        a = b;
        fa = fb;
        b += step;
        fb = f(b);
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    use sim::special::{normal_cdf, normal_quantile, normal_sf};

    /// The kernel's normal functions where the judge uses them: far tails and the quantiles of
    /// its confidence intervals.
    #[test]
    fn the_normal_tail_matches_known_values() {
        // Φ(−1.96) and the far tail Φ(−10), from tables of the normal distribution.
        assert!((normal_cdf(-1.96) - 0.024997895148220435).abs() < 1e-16);
        assert!((normal_sf(10.0) / 7.619853024160527e-24 - 1.0).abs() < 1e-13);
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
        assert_eq!(normal_sf(f64::NEG_INFINITY), 1.0);
    }

    #[test]
    fn the_quantile_inverts_the_cdf() {
        assert!((normal_quantile(0.01) + 2.3263478740408408).abs() < 1e-14);
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!(normal_quantile(0.5).abs() < 1e-15);
    }

    #[test]
    fn equal_values_share_their_average_rank() {
        let r = average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(r.ranks, [4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(r.tie_groups, [1, 1, 3]);
        assert_eq!(tie_term(&r.tie_groups), 24.0);
    }

    #[test]
    fn brent_finds_a_root_within_its_tolerance() {
        let root = brent_root(0.0, 2.0, -2.0, 2.0, 1e-4, |x| x * x - 2.0);
        assert!((root - std::f64::consts::SQRT_2).abs() < 1e-4);
    }

    #[test]
    fn bad_samples_are_named() {
        assert_eq!(check_sample(&[]), Err(SampleError::Empty));
        assert_eq!(
            check_sample(&[1.0, f64::NAN]),
            Err(SampleError::NotFinite { index: 1 })
        );
        assert!(check_sample(&[1.0]).is_ok());
    }
}
