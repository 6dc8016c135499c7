//! A bandit arm's identity and the sufficient statistics of its rewards.

/// An arm (a variation), numbered from 0 in the order the arms were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArmIndex(pub usize);

/// Pulls and rewards of one arm: enough for its mean and variance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ArmStats {
    pub pulls: u64,
    pub reward_sum: f64,
    pub reward_sum_squares: f64,
}

impl ArmStats {
    /// Adds one pull's reward.
    pub fn record(&mut self, reward: f64) {
        self.pulls += 1;
        self.reward_sum += reward;
        self.reward_sum_squares += reward * reward;
    }

    /// The empirical mean reward; `None` before the first pull.
    pub fn mean(&self) -> Option<f64> {
        (self.pulls > 0).then(|| self.reward_sum / self.pulls as f64)
    }

    /// The sample variance of the rewards (n − 1 in the denominator); `None` under two pulls.
    pub fn variance(&self) -> Option<f64> {
        if self.pulls < 2 {
            return None;
        }
        let n = self.pulls as f64;
        Some(
            ((self.reward_sum_squares - self.reward_sum * self.reward_sum / n) / (n - 1.0))
                .max(0.0),
        )
    }
}

/// The first arm never pulled, which index policies play before anything else.
pub fn first_unpulled(stats: &[ArmStats]) -> Option<ArmIndex> {
    stats.iter().position(|s| s.pulls == 0).map(ArmIndex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_variance_of_recorded_rewards() {
        let mut stats = ArmStats::default();
        assert_eq!((stats.mean(), stats.variance()), (None, None));
        for r in [1.0, 0.0, 1.0, 1.0] {
            stats.record(r);
        }
        assert_eq!(stats.mean(), Some(0.75));
        // sum of squares 3, sum 3, n 4: (3 - 9/4) / 3 = 0.25.
        assert!((stats.variance().unwrap_or(0.0) - 0.25).abs() < 1e-15);
        assert_eq!(
            first_unpulled(&[stats, ArmStats::default()]),
            Some(ArmIndex(1))
        );
    }
}
