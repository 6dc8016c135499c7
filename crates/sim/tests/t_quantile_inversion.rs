//! Student's t quantile where the tail is integrated by quadrature (more than 1,000 degrees of
//! freedom, where Newton starts from the Cornish-Fisher expansion): each quantile must invert its
//! tail to 1e-12 relative, from a far tail to the 99.95th percentile.

use sim::special::{student_t_cdf, student_t_quantile};

/// The two-sided 95% and 99.9% bounds, the middle and a far tail.
const PROBABILITIES: [f64; 6] = [1e-12, 0.0005, 0.025, 0.3, 0.975, 0.9995];
const DEGREES_OF_FREEDOM: [f64; 4] = [2e3, 1e5, 1e7, 3.3e9];

#[test]
fn large_dof_quantiles_invert_their_tails() {
    for dof in DEGREES_OF_FREEDOM {
        for p in PROBABILITIES {
            let t = student_t_quantile(p, dof);
            let back = student_t_cdf(t, dof);
            assert!(
                (back - p).abs() <= 1e-12 * p,
                "dof={dof} p={p}: t={t} gives cdf {back}"
            );
        }
    }
}
