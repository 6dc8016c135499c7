//! A running bandit: the policy's choice of arm for each pull and the statistics it learns from.
//!
//! Index policies (epsilon-greedy, UCB1, Bernoulli Thompson sampling) choose per pull from the
//! statistics so far. GrowthBook's Gaussian Thompson weights are a batch policy: traffic is split
//! by weights that stay fixed between scheduled updates, equal during the burn-in.

use sim::rng::{Rng, Seed};

use super::arm::{ArmIndex, ArmStats};
use super::beta_thompson::{self, BetaPosterior};
use super::gaussian_thompson::{self, GaussianThompsonConfig};
use super::{epsilon_greedy, ucb1, BanditError};
use crate::draws::unit_open;

/// The most arms a bandit may have.
pub const MAX_ARMS: usize = 32;

/// How the next arm is chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    /// Explore a uniform arm with probability `epsilon`, else play the best mean.
    EpsilonGreedy {
        epsilon: f64,
    },
    Ucb1,
    BernoulliThompson,
    GaussianThompson(GaussianThompsonConfig),
}

impl Policy {
    /// The policy's name, for tables and charts.
    pub fn label(&self) -> &'static str {
        match self {
            Policy::EpsilonGreedy { .. } => "epsilon-greedy",
            Policy::Ucb1 => "UCB1",
            Policy::BernoulliThompson => "Thompson (Beta)",
            Policy::GaussianThompson(_) => "Thompson (GrowthBook weights)",
        }
    }

    fn validate(&self) -> Result<(), BanditError> {
        match self {
            Policy::EpsilonGreedy { epsilon } if !(0.0..=1.0).contains(epsilon) => {
                Err(BanditError::new(
                    format!("epsilon is {epsilon}"),
                    "epsilon is a probability: use a value between 0 and 1, e.g. 0.1",
                ))
            }
            Policy::GaussianThompson(config) => validate_gaussian(config),
            _ => Ok(()),
        }
    }
}

fn validate_gaussian(config: &GaussianThompsonConfig) -> Result<(), BanditError> {
    if config.draws == 0 || config.draws > 100_000 {
        return Err(BanditError::new(
            format!("draws is {}", config.draws),
            "use 1 to 100000 posterior draws",
        ));
    }
    if !(0.0..1.0).contains(&config.min_weight) {
        return Err(BanditError::new(
            format!("min_weight is {}", config.min_weight),
            "the weight floor is a fraction below 1, e.g. 0.01",
        ));
    }
    if config.update_every_pulls == 0 {
        return Err(BanditError::new(
            "update_every_pulls is 0",
            "update the weights every 1 or more pulls",
        ));
    }
    if !(config.prior.variance > 0.0
        && config.prior.variance.is_finite()
        && config.prior.mean.is_finite())
    {
        return Err(BanditError::new(
            "the prior is not a proper normal",
            "give a finite mean and a positive variance",
        ));
    }
    Ok(())
}

/// Weights a batch policy set at one update.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightUpdate {
    /// Total pulls when the weights were computed.
    pub at_pull: u64,
    pub weights: Vec<f64>,
}

/// A bandit being run: its policy, what it has seen and its own random stream.
#[derive(Clone, Debug)]
pub struct Bandit {
    policy: Policy,
    stats: Vec<ArmStats>,
    weights: Vec<f64>,
    weight_history: Vec<WeightUpdate>,
    rng: Rng,
}

impl Bandit {
    /// A bandit over `arms` arms with no pulls yet.
    pub fn new(policy: Policy, arms: usize, seed: Seed) -> Result<Bandit, BanditError> {
        if arms == 0 || arms > MAX_ARMS {
            return Err(BanditError::new(
                format!("{arms} arms"),
                format!("use 1 to {MAX_ARMS} arms"),
            ));
        }
        policy.validate()?;
        Ok(Bandit {
            policy,
            stats: vec![ArmStats::default(); arms],
            weights: vec![1.0 / arms as f64; arms],
            weight_history: Vec::new(),
            rng: Rng::new(seed).fork("bandit/policy"),
        })
    }

    /// The arm to pull next.
    pub fn choose(&mut self) -> ArmIndex {
        match &self.policy {
            Policy::EpsilonGreedy { epsilon } => {
                epsilon_greedy::choose(&self.stats, *epsilon, &mut self.rng)
            }
            Policy::Ucb1 => ucb1::choose(&self.stats),
            Policy::BernoulliThompson => {
                let posteriors: Vec<BetaPosterior> =
                    self.stats.iter().map(BetaPosterior::from_stats).collect();
                beta_thompson::choose(&posteriors, &mut self.rng)
            }
            Policy::GaussianThompson(_) => self.choose_by_weights(),
        }
    }

    fn choose_by_weights(&mut self) -> ArmIndex {
        let u = unit_open(&mut self.rng);
        let mut cumulative = 0.0;
        for (i, w) in self.weights.iter().enumerate() {
            cumulative += w;
            if u < cumulative {
                return ArmIndex(i);
            }
        }
        ArmIndex(self.weights.len() - 1)
    }

    /// Records a pull's reward; a batch policy recomputes its weights when an update is due.
    pub fn record(&mut self, arm: ArmIndex, reward: f64) -> Result<(), BanditError> {
        let arms = self.stats.len();
        let Some(stats) = self.stats.get_mut(arm.0) else {
            return Err(BanditError::new(
                format!("no arm {}", arm.0),
                format!("arms are numbered 0 to {}", arms - 1),
            ));
        };
        if !reward.is_finite() {
            return Err(BanditError::new(
                "the reward is not a finite number",
                "record a number such as 0 or 1",
            ));
        }
        stats.record(reward);
        if let Policy::GaussianThompson(config) = &self.policy {
            let pulls = self.total_pulls();
            let due = pulls >= config.burn_in_pulls
                && (pulls - config.burn_in_pulls).is_multiple_of(config.update_every_pulls);
            if due {
                self.weights = gaussian_thompson::weights(&self.stats, config, &mut self.rng);
                self.weight_history.push(WeightUpdate {
                    at_pull: pulls,
                    weights: self.weights.clone(),
                });
            }
        }
        Ok(())
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every arm's statistics so far.
    pub fn stats(&self) -> &[ArmStats] {
        &self.stats
    }

    pub fn total_pulls(&self) -> u64 {
        self.stats.iter().map(|s| s.pulls).sum()
    }

    /// The traffic weights a batch policy is using now (equal for index policies' bandits).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Every weight update so far (empty for index policies).
    pub fn weight_history(&self) -> &[WeightUpdate] {
        &self.weight_history
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_refused_with_a_hint() {
        assert!(Bandit::new(Policy::Ucb1, 0, Seed(1)).is_err());
        let err = Bandit::new(Policy::EpsilonGreedy { epsilon: 1.5 }, 2, Seed(1)).err();
        assert!(err.is_some_and(|e| e.to_string().contains("epsilon is 1.5")));
        let mut bandit = Bandit::new(Policy::Ucb1, 2, Seed(1)).unwrap_or_else(|e| panic!("{e}"));
        assert!(bandit.record(ArmIndex(2), 1.0).is_err());
        assert!(bandit.record(ArmIndex(1), f64::NAN).is_err());
    }

    #[test]
    fn growthbook_weights_stay_equal_through_burn_in_then_update_on_schedule() {
        let config = GaussianThompsonConfig {
            burn_in_pulls: 100,
            update_every_pulls: 50,
            ..Default::default()
        };
        let mut bandit = Bandit::new(Policy::GaussianThompson(config), 2, Seed(3))
            .unwrap_or_else(|e| panic!("{e}"));
        for pull in 0..199u64 {
            let arm = bandit.choose();
            // Arm 1 pays on four pulls in five, arm 0 on one in three.
            let pays = if arm.0 == 1 {
                pull % 5 != 0
            } else {
                pull % 3 == 0
            };
            let reward = if pays { 1.0 } else { 0.0 };
            bandit.record(arm, reward).unwrap_or_else(|e| panic!("{e}"));
            if pull < 98 {
                assert_eq!(bandit.weights(), &[0.5, 0.5]);
            }
        }
        let at: Vec<u64> = bandit.weight_history().iter().map(|u| u.at_pull).collect();
        assert_eq!(at, vec![100, 150]);
        let weights = bandit.weights();
        assert!(
            weights[1] > 0.9 && weights[0] >= 0.01 - 1e-12,
            "{weights:?}"
        );
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
