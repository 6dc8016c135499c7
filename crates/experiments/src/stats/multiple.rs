//! Corrections for many tests at once (many metrics, many arms): Holm's step-down adjustment,
//! which controls the family-wise error rate, and Benjamini-Hochberg's step-up adjustment, which
//! controls the false discovery rate. Adjusted p-values as `statsmodels`' `multipletests`
//! (methods `holm` and `fdr_bh`) and GrowthBook's results table compute them.

/// The arm indices of `p_values`, smallest p first (ties by index, so the order is stable).
fn ascending(p_values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    sim::sort::sort_by(&mut order, |&i, &j| {
        p_values[i].total_cmp(&p_values[j]).then(i.cmp(&j))
    });
    order
}

/// Holm-adjusted p-values: the k-th smallest (from 0) times `m - k`, made non-decreasing in that
/// order and capped at 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &index) in ascending(p_values).iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

/// Benjamini-Hochberg-adjusted p-values: the k-th smallest (from 1) times `m / k`, made
/// non-increasing from the largest down and capped at 1.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &index) in ascending(p_values).iter().enumerate().rev() {
        running = running.min(p_values[index] * m as f64 / (rank + 1) as f64);
        adjusted[index] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_on_a_worked_example() {
        // statsmodels multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
        let got = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
    }

    #[test]
    fn benjamini_hochberg_on_a_worked_example() {
        // statsmodels multipletests([0.01, 0.04, 0.03, 0.005], method="fdr_bh")[1]
        let got = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
    }

    #[test]
    fn adjustments_never_lower_a_p_value() {
        let p = [0.2, 0.001, 0.5, 0.049, 0.9];
        for adjusted in [holm(&p), benjamini_hochberg(&p)] {
            for (a, raw) in adjusted.iter().zip(p) {
                assert!(*a >= raw && *a <= 1.0);
            }
        }
        // Holm is never less strict than BH.
        for (h, b) in holm(&p).iter().zip(benjamini_hochberg(&p)) {
            assert!(*h >= b);
        }
    }
}
