//! The frequentist tests GrowthBook runs (gbstats `frequentist/tests.py`): the two-sided Welch
//! t-test on the absolute or relative lift (the relative one's variance by the delta method),
//! and the sequential test whose p-values and intervals stay valid however often one looks
//! (Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence
//! sequences", 2023, equations 9, 155 and 161, as gbstats' `SequentialTwoSidedTTest` codes them).

use super::statistic::{with_pooled_theta, Statistic};
use sim::special::{student_t_quantile, student_t_sf};

/// What the lift is: `treatment - control`, or that over the control's (unadjusted) mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    Absolute,
    Relative,
}

/// A frequentist test's settings; gbstats' defaults are alpha 0.05 and a null lift of 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrequentistConfig {
    pub difference: Difference,
    pub alpha: f64,
    pub test_value: f64,
}

impl Default for FrequentistConfig {
    fn default() -> Self {
        FrequentistConfig {
            difference: Difference::Relative,
            alpha: 0.05,
            test_value: 0.0,
        }
    }
}

/// A test's reading: the lift, its interval and the two-sided p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestResult {
    pub expected: f64,
    pub ci: [f64; 2],
    pub p_value: f64,
}

impl TestResult {
    /// gbstats' uninformative result, for a control mean of 0 or an arm without variance.
    pub const DEFAULT: TestResult = TestResult {
        expected: 0.0,
        ci: [0.0, 0.0],
        p_value: 1.0,
    };
}

/// The lift and its variance between two prepared arms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lift {
    pub estimate: f64,
    pub variance: f64,
}

/// The lift of `treatment` over `control` (gbstats' `frequentist_diff` and
/// `frequentist_variance`): relative lifts divide by the control's unadjusted mean.
pub fn lift(control: &Statistic, treatment: &Statistic, difference: Difference) -> Lift {
    let (var_a, var_b) = (control.variance(), treatment.variance());
    let (n_a, n_b) = (control.n(), treatment.n());
    let base = control.unadjusted_mean();
    match difference {
        Difference::Absolute => Lift {
            estimate: treatment.mean() - control.mean(),
            variance: var_b / n_b + var_a / n_a,
        },
        Difference::Relative => Lift {
            estimate: (treatment.mean() - control.mean()) / base,
            variance: var_b / (base * base * n_b)
                + var_a * treatment.unadjusted_mean().powi(2) / (base.powi(4) * n_a),
        },
    }
}

/// Welch-Satterthwaite degrees of freedom, from the raw variances even for a relative lift.
pub fn welch_dof(control: &Statistic, treatment: &Statistic) -> f64 {
    let (var_a, var_b) = (control.variance(), treatment.variance());
    let (n_a, n_b) = (control.n(), treatment.n());
    (var_b / n_b + var_a / n_a).powi(2)
        / (var_b.powi(2) / (n_b * n_b * (n_b - 1.0)) + var_a.powi(2) / (n_a * n_a * (n_a - 1.0)))
}

/// The arms with CUPED's pooled theta applied, or None when gbstats would return its default
/// result (a control mean of 0, or an arm with no variance).
fn testable(control: Statistic, treatment: Statistic) -> Option<(Statistic, Statistic)> {
    let (a, b) = with_pooled_theta(control, treatment);
    if a.mean() == 0.0 || a.unadjusted_mean() == 0.0 {
        return None;
    }
    if a.has_zero_variance() || b.has_zero_variance() {
        return None;
    }
    Some((a, b))
}

/// The two-sided Welch t-test (gbstats' `TwoSidedTTest`). The p-value is `2 P(T > |t|)`,
/// computed in the tail so that it keeps its digits where `2 (1 - cdf)` would round to 0.
pub fn two_sided_ttest(
    control: Statistic,
    treatment: Statistic,
    config: FrequentistConfig,
) -> TestResult {
    let Some((a, b)) = testable(control, treatment) else {
        return TestResult::DEFAULT;
    };
    let lift = lift(&a, &b, config.difference);
    let dof = welch_dof(&a, &b);
    let standard_error = lift.variance.sqrt();
    let t = (lift.estimate - config.test_value) / standard_error;
    let width = student_t_quantile(1.0 - config.alpha / 2.0, dof) * standard_error;
    TestResult {
        expected: lift.estimate,
        ci: [lift.estimate - width, lift.estimate + width],
        p_value: 2.0 * student_t_sf(t.abs(), dof),
    }
}

/// The sequential test's mixing parameter rho for a tuning parameter (the sample size the
/// confidence sequence is tightest at; gbstats' default is 5000).
fn rho(alpha: f64, tuning: f64) -> f64 {
    let log_alpha = -2.0 * alpha.ln();
    ((log_alpha + (log_alpha + 1.0).ln()) / tuning).sqrt()
}

/// The asymptotic confidence sequence and its always-valid p-value (gbstats'
/// `SequentialTwoSidedTTest`); `tuning` is gbstats' `sequential_tuning_parameter`.
pub fn sequential_ttest(
    control: Statistic,
    treatment: Statistic,
    config: FrequentistConfig,
    tuning: f64,
) -> TestResult {
    let Some((a, b)) = testable(control, treatment) else {
        return TestResult::DEFAULT;
    };
    let lift = lift(&a, &b, config.difference);
    let n = a.n() + b.n();
    let rho = rho(config.alpha, tuning);
    let spread = n * rho * rho + 1.0;
    let width = (lift.variance * n).sqrt()
        * (2.0 * spread * (spread.sqrt() / config.alpha).ln() / (n * rho).powi(2)).sqrt();
    let scaled_square = (lift.estimate - config.test_value).powi(2) * n / lift.variance;
    let e_value = (rho * rho * scaled_square / (2.0 * spread)).exp() / spread.sqrt();
    TestResult {
        expected: lift.estimate,
        ci: [lift.estimate - width, lift.estimate + width],
        p_value: (1.0 / e_value).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::statistic::{Proportion, SampleMean};

    fn mean(n: f64, sum: f64, sum_squares: f64) -> Statistic {
        Statistic::Mean(SampleMean {
            n,
            sum,
            sum_squares,
        })
    }

    #[test]
    fn welch_test_on_a_worked_example() {
        // Control mean 10, sd 2; treatment mean 10.5, sd 2; 100 users each.
        let a = mean(100.0, 1000.0, 100.0 * 100.0 + 99.0 * 4.0);
        let b = mean(100.0, 1050.0, 100.0 * 110.25 + 99.0 * 4.0);
        let config = FrequentistConfig {
            difference: Difference::Absolute,
            ..FrequentistConfig::default()
        };
        let r = two_sided_ttest(a, b, config);
        assert!((r.expected - 0.5).abs() < 1e-12);
        // t = 0.5 / sqrt(0.08) = 1.7678, dof = 198: 2 * scipy.stats.t.sf(t, 198) = 0.0786400532...
        assert!(
            (r.p_value - 0.078_640_053_213_964_7).abs() < 1e-13,
            "{}",
            r.p_value
        );
        assert!(r.ci[0] < 0.0 && r.ci[1] > 0.0);
    }

    #[test]
    fn defaults_for_zero_control_mean_and_zero_variance() {
        let zero = mean(10.0, 0.0, 4.0);
        let some = mean(10.0, 5.0, 9.0);
        let config = FrequentistConfig::default();
        assert_eq!(two_sided_ttest(zero, some, config), TestResult::DEFAULT);
        let constant = Statistic::Proportion(Proportion { n: 10.0, sum: 10.0 });
        assert_eq!(two_sided_ttest(some, constant, config), TestResult::DEFAULT);
        assert_eq!(
            sequential_ttest(zero, some, config, 5000.0),
            TestResult::DEFAULT
        );
    }

    #[test]
    fn sequential_interval_is_wider_than_the_fixed_one() {
        let a = Statistic::Proportion(Proportion {
            n: 5000.0,
            sum: 500.0,
        });
        let b = Statistic::Proportion(Proportion {
            n: 5000.0,
            sum: 560.0,
        });
        let config = FrequentistConfig::default();
        let fixed = two_sided_ttest(a, b, config);
        let sequential = sequential_ttest(a, b, config, 5000.0);
        assert!(sequential.ci[1] - sequential.ci[0] > fixed.ci[1] - fixed.ci[0]);
        assert!(sequential.p_value > fixed.p_value);
        assert_eq!(sequential.expected, fixed.expected);
    }
}
