//! The cost of peeking, made visible: many simulated A/A tests (both arms the same), each
//! analysed every day. Stopping at the first day the fixed-horizon t-test says p < alpha
//! declares far more false winners than alpha; the sequential test, whose p-values are valid at
//! every look, stays below alpha; and the fixed-horizon test read once, at the end, is right at
//! alpha. Every draw comes from `sim::rng::Rng`, so a seed fixes the whole experiment.

use crate::stats::frequentist::{sequential_ttest, two_sided_ttest, Difference, FrequentistConfig};
use crate::stats::statistic::{SampleMean, Statistic};
use sim::rng::{Rng, Seed};
use sim::special::normal_quantile;

/// The simulation's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeekingSetup {
    pub seed: Seed,
    /// How many A/A tests.
    pub tests: u32,
    /// Days each runs; the data is looked at after every one.
    pub days: u32,
    /// New users per arm per day.
    pub users_per_arm_per_day: u32,
    pub alpha: f64,
    /// The sequential test's tuning parameter (gbstats' default 5000).
    pub tuning: f64,
}

/// How often each way of reading the tests declared a (false) winner, in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FalsePositives {
    /// The fixed-horizon t-test checked every day, stopped at the first p < alpha.
    pub peeking: u32,
    /// The sequential test checked every day, stopped at the first p < alpha.
    pub sequential: u32,
    /// The fixed-horizon t-test read once, on the last day.
    pub once_at_end: u32,
    pub tests: u32,
}

impl FalsePositives {
    /// A count as a rate of the tests run.
    pub fn rate(&self, count: u32) -> f64 {
        f64::from(count) / f64::from(self.tests.max(1))
    }
}

/// A standard normal draw by inversion of a uniform in (0, 1).
fn standard_normal(rng: &mut Rng) -> f64 {
    let uniform = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    normal_quantile(uniform)
}

/// Adds a day of users (a metric with mean 10 and standard deviation 3) to an arm.
fn add_day(arm: &mut SampleMean, users: u32, rng: &mut Rng) {
    for _ in 0..users {
        let value = 10.0 + 3.0 * standard_normal(rng);
        arm.n += 1.0;
        arm.sum += value;
        arm.sum_squares += value * value;
    }
}

/// Runs the A/A tests and counts the false positives of each reading.
pub fn simulate(setup: PeekingSetup) -> FalsePositives {
    let config = FrequentistConfig {
        difference: Difference::Relative,
        alpha: setup.alpha,
        test_value: 0.0,
    };
    let root = Rng::new(setup.seed);
    let mut counts = FalsePositives {
        peeking: 0,
        sequential: 0,
        once_at_end: 0,
        tests: setup.tests,
    };
    for test in 0..setup.tests {
        let mut rng = root.fork(&format!("peeking/test-{test}"));
        let empty = SampleMean {
            n: 0.0,
            sum: 0.0,
            sum_squares: 0.0,
        };
        let (mut control, mut treatment) = (empty, empty);
        let (mut peeked, mut sequential) = (false, false);
        let mut last_p = 1.0;
        for _ in 0..setup.days {
            add_day(&mut control, setup.users_per_arm_per_day, &mut rng);
            add_day(&mut treatment, setup.users_per_arm_per_day, &mut rng);
            let (a, b) = (Statistic::Mean(control), Statistic::Mean(treatment));
            last_p = two_sided_ttest(a, b, config).p_value;
            peeked |= last_p < setup.alpha;
            sequential |= sequential_ttest(a, b, config, setup.tuning).p_value < setup.alpha;
        }
        counts.peeking += u32::from(peeked);
        counts.sequential += u32::from(sequential);
        counts.once_at_end += u32::from(last_p < setup.alpha);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(seed: u64) -> PeekingSetup {
        PeekingSetup {
            seed: Seed(seed),
            tests: 400,
            days: 14,
            users_per_arm_per_day: 50,
            alpha: 0.05,
            tuning: 5000.0,
        }
    }

    #[test]
    fn peeking_inflates_false_positives_and_the_sequential_test_does_not() {
        let counts = simulate(setup(7));
        // Read once: about alpha (20 of 400, binomial sd 4.4). Peeking 14 times: well above.
        assert!((6..=36).contains(&counts.once_at_end), "{counts:?}");
        assert!(counts.peeking > 2 * counts.once_at_end, "{counts:?}");
        assert!(counts.rate(counts.peeking) > 0.12, "{counts:?}");
        // Always valid: at most alpha even with every look.
        assert!(counts.rate(counts.sequential) <= 0.05, "{counts:?}");
    }

    #[test]
    fn same_seed_same_counts() {
        assert_eq!(simulate(setup(3)), simulate(setup(3)));
        assert_ne!(simulate(setup(3)), simulate(setup(4)));
    }
}
