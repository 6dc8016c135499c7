//! Drift monitoring after a full rollout: has what the model sees moved away from what it was
//! trained or validated on? Two measures of a current sample against a reference sample:
//!
//! - the Population Stability Index over bins cut at the reference's deciles: Σ (c − r)·ln(c/r)
//!   over bins, r and c the fractions of each sample in the bin, an empty bin's fraction taken as
//!   1e-4 so the logarithm is finite. The usual reading: below 0.1 stable, 0.1 to 0.25 a moderate
//!   shift, above 0.25 a major one.
//! - the two-sample Kolmogorov-Smirnov test as `scipy.stats.ks_2samp(reference,
//!   current)` with `method="auto"`: the largest gap between the two empirical CDFs and its
//!   two-sided p-value, exact (the lattice-path counts of Hodges, 1958, in the forms SciPy uses)
//!   while both samples have at most 10,000 values; above that, as SciPy, the Kolmogorov
//!   distribution of n = round(m·n/(m + n)) values ([`kolmogorov`]).
//!
//! Binning: the interior edges are the reference's values at sorted positions ⌊k·n/10⌋ for
//! k = 1..9, duplicates merged and only those above the smallest value of both samples kept (an
//! edge at or below it would cut off an empty bin). Bins are half-open, [lo, hi), and the outer
//! two are open-ended. If that leaves no edge while the samples hold two distinct values, the one
//! edge is the second-smallest distinct value, so there are always two bins then.

pub mod kolmogorov;

use crate::stats::{self, SampleError};

/// The fraction an empty bin counts as in the PSI.
pub const EMPTY_BIN_FRACTION: f64 = 1e-4;

/// The largest sample for which the KS p-value is exact (SciPy's `MAX_AUTO_N`).
pub const MAX_EXACT_KS_SAMPLE: usize = 10_000;

/// A failed input: which sample (`"reference"` or `"current"`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputError {
    pub sample: &'static str,
    pub error: SampleError,
}

fn check(sample: &'static str, values: &[f64]) -> Result<(), InputError> {
    stats::check_sample(values).map_err(|error| InputError { sample, error })
}

/// Histogram of both samples over the same bins.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    /// The interior edges, increasing; bin i is [edge i−1, edge i) with −∞ and +∞ at the ends,
    /// so there is one bin more than there are edges.
    pub interior_edges: Vec<f64>,
    /// The fraction of the reference in each bin.
    pub reference: Vec<f64>,
    /// The fraction of the current sample in each bin.
    pub current: Vec<f64>,
}

/// The two-sample Kolmogorov-Smirnov test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KsTest {
    /// The largest absolute gap between the empirical CDFs.
    pub statistic: f64,
    /// Two-sided.
    pub p_value: f64,
    /// Whether the p-value is exact (both samples at most [`MAX_EXACT_KS_SAMPLE`] values).
    pub exact: bool,
}

/// Both drift measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub psi: f64,
    pub bins: Bins,
    pub ks: KsTest,
}

/// Drift of `current` from `reference`.
pub fn drift(reference: &[f64], current: &[f64]) -> Result<Drift, InputError> {
    check("reference", reference)?;
    check("current", current)?;
    let bins = bins(reference, current);
    Ok(Drift {
        psi: psi(&bins.reference, &bins.current),
        ks: ks_2samp(reference, current),
        bins,
    })
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sim::sort::sort_by(&mut sorted, f64::total_cmp);
    sorted
}

/// The bins described in the module documentation, and each sample's fractions in them.
pub fn bins(reference: &[f64], current: &[f64]) -> Bins {
    let reference_sorted = sorted(reference);
    let all_sorted = sorted(&[reference, current].concat());
    let smallest = all_sorted[0];
    let n = reference_sorted.len();
    let mut edges: Vec<f64> = Vec::new();
    for k in 1..10 {
        let edge = reference_sorted[(k * n / 10).min(n - 1)];
        if edge > smallest && edges.last() != Some(&edge) {
            edges.push(edge);
        }
    }
    if edges.is_empty() {
        if let Some(&second) = all_sorted.iter().find(|&&v| v > smallest) {
            edges.push(second);
        }
    }
    Bins {
        reference: fractions(&edges, reference),
        current: fractions(&edges, current),
        interior_edges: edges,
    }
}

/// The fraction of `values` in each bin [edge i−1, edge i).
fn fractions(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in values {
        // The number of edges at or below v is the bin's index.
        counts[edges.partition_point(|&e| e <= v)] += 1;
    }
    let n = values.len() as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

/// Σ (c − r)·ln(c/r) over bins, a zero fraction counted as [`EMPTY_BIN_FRACTION`].
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let floor = |f: f64| if f == 0.0 { EMPTY_BIN_FRACTION } else { f };
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (r, c) = (floor(r), floor(c));
            (c - r) * (c / r).ln()
        })
        .sum()
}

/// `scipy.stats.ks_2samp(a, b)`, two-sided, `method="auto"`. Both samples must be non-empty.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> KsTest {
    let (a, b) = (sorted(a), sorted(b));
    let (n1, n2) = (a.len(), b.len());
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    // The largest |F1 − F2| in units of 1/lcm, exactly, at every value of either sample.
    let (step1, step2) = ((lcm / n1) as i128, (lcm / n2) as i128);
    let largest_gap = a
        .iter()
        .chain(&b)
        .map(|&v| {
            let c1 = a.partition_point(|&x| x <= v) as i128;
            let c2 = b.partition_point(|&x| x <= v) as i128;
            (c1 * step1 - c2 * step2).abs()
        })
        .max()
        .unwrap_or(0);
    if n1.max(n2) > MAX_EXACT_KS_SAMPLE {
        let statistic = largest_gap_float(&a, &b);
        let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
        let effective = (m * n / (m + n)).round_ties_even() as u64;
        return KsTest {
            statistic,
            p_value: kolmogorov::kolmogorov_sf(effective, statistic),
            exact: false,
        };
    }
    let h = largest_gap as usize;
    let statistic = h as f64 / lcm as f64;
    let p_value = if h == 0 {
        1.0
    } else if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        prob_outside_band(n1, n2, g, h)
    };
    KsTest {
        statistic,
        p_value: p_value.clamp(0.0, 1.0),
        exact: true,
    }
}

/// The largest gap as SciPy computes it without the exact path: each CDF value divided by its
/// sample's size before subtracting.
fn largest_gap_float(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut below, mut above) = (0.0f64, 0.0f64);
    for &v in a.iter().chain(b) {
        let gap =
            a.partition_point(|&x| x <= v) as f64 / n1 - b.partition_point(|&x| x <= v) as f64 / n2;
        below = below.min(gap);
        above = above.max(gap);
    }
    (-below).clamp(0.0, 1.0).max(above)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// P(D ≥ h/n) for two samples of size n: the share of lattice paths from (0, 0) to (n, n) that
/// touch a diagonal |x − y| = h, by the reflection series 2·Σ ±C(2n, n − k·h)/C(2n, n), evaluated
/// nested (each term divided by the binomial first) so that nothing cancels.
fn prob_outside_square(n: usize, h: usize) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    let (n_f, h_i) = (n as f64, h as i64);
    while k >= 0 {
        let mut term = 1.0;
        for j in 0..h_i {
            term = (n_f - (k * h_i + j) as f64) * term / (n_f + (k * h_i + j) as f64 + 1.0);
        }
        p = term * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// P(D ≥ h/lcm) for sizes m and n: one minus the share of lattice paths from (0, 0) to (m, n)
/// that stay strictly inside the band |x/m − y/n| < h/lcm, the share computed column by column
/// already divided by the path count (Viehmann's recursion for 1 − p, arXiv:2102.08037), so the
/// result is the probability itself.
fn prob_outside_band(m: usize, n: usize, g: usize, h: usize) -> f64 {
    let (m, n) = (m.max(n), m.min(n));
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (n_i, h_i) = (n as i64, h as i64);
    let mut min_j: i64 = 0;
    let mut max_j: i64 = ceil_div(h_i, mg).min(n_i + 1);
    let mut current_len = max_j - min_j;
    let len = (2 * max_j + 2).min(n_i + 1) as usize;
    let mut column = vec![1.0f64; len];
    for cell in column.iter_mut().take(max_j as usize) {
        *cell = 0.0;
    }
    for i in 1..=(m as i64) {
        let (last_min_j, last_len) = (min_j, current_len);
        min_j = (floor_div(ng * i - h_i, mg) + 1).max(0).min(n_i);
        max_j = ceil_div(ng * i + h_i, mg).min(n_i + 1);
        if max_j <= min_j {
            return 1.0;
        }
        let mut value = if min_j == 0 { 0.0 } else { 1.0 };
        let i_f = i as f64;
        for jj in 0..(max_j - min_j) {
            let j = jj + min_j;
            value = (column[(jj + min_j - last_min_j) as usize] * i_f + value * j as f64)
                / (i_f + j as f64);
            column[jj as usize] = value;
        }
        current_len = max_j - min_j;
        if last_len > current_len {
            let from = (max_j - min_j) as usize;
            let to = from + (last_len - current_len) as usize;
            for cell in &mut column[from..to.min(len)] {
                *cell = 1.0;
            }
        }
    }
    column[(max_j - min_j - 1) as usize]
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -(-a).div_euclid(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_do_not_drift() {
        let sample: Vec<f64> = (0..50).map(|i| f64::from(i % 17)).collect();
        let d = drift(&sample, &sample).unwrap();
        assert_eq!(d.psi, 0.0);
        assert_eq!(d.ks.statistic, 0.0);
        assert_eq!(d.ks.p_value, 1.0);
    }

    #[test]
    fn an_empty_bin_counts_as_one_in_ten_thousand() {
        // Reference all in bin 0, current all in bin 1.
        let p = psi(&[1.0, 0.0], &[0.0, 1.0]);
        let expected = 2.0 * (1.0 - 1e-4) * (1.0f64 / 1e-4).ln();
        assert!((p - expected).abs() < 1e-12, "{p} vs {expected}");
    }

    #[test]
    fn two_distinct_values_make_two_bins() {
        let reference = [0.0; 99].iter().copied().chain([1.0]).collect::<Vec<_>>();
        let b = bins(&reference, &[0.0, 1.0]);
        assert_eq!(b.interior_edges, [1.0]);
        assert_eq!(b.reference, [0.99, 0.01]);
        assert_eq!(b.current, [0.5, 0.5]);
    }

    #[test]
    fn the_ks_test_is_symmetric() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5];
        let (ab, ba) = (ks_2samp(&a, &b), ks_2samp(&b, &a));
        assert_eq!(ab, ba);
        // At 5: all 5 of a against 2 of 7 of b, D = 5/7 (35 units of 1/lcm = 1/35 → 25/35).
        assert_eq!(ab.statistic, 25.0 / 35.0);
    }

    #[test]
    fn disjoint_equal_samples_have_the_smallest_p_value() {
        // D = 1 for n = m = 3: the 2 of C(6, 3) = 20 orderings that separate the samples.
        let t = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
        assert_eq!(t.statistic, 1.0);
        assert!((t.p_value - 0.1).abs() < 1e-15);
    }
}
