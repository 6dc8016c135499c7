//! GrowthBook's bandit weights (GrowthBook docs, "Bandits" and the statistics page on bandits):
//! Thompson sampling with a normal posterior per arm.
//!
//! Each arm's mean reward gets the prior N(0, 10000) (variance 10,000, as GrowthBook's docs state
//! it) and the normal likelihood of its sample mean, whose variance is s² / n. The posterior is
//! normal with precision 1/10000 + n/s² and mean (x̄ · n/s²) / precision. The next period's
//! traffic weights are each arm's share of 10,000 joint posterior draws in which it is the largest
//! (its estimated probability of being best), raised to a minimum weight per arm so no arm is ever
//! starved, and the whole bandit runs at equal weights until its burn-in ends.

use sim::rng::Rng;

use super::arm::ArmStats;
use crate::draws::standard_normal;

/// A normal distribution over an arm's mean reward.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalPosterior {
    pub mean: f64,
    pub variance: f64,
}

/// GrowthBook's prior on every arm's mean: N(0, 10000).
pub const GROWTHBOOK_PRIOR: NormalPosterior = NormalPosterior {
    mean: 0.0,
    variance: 10_000.0,
};

/// How GrowthBook-style weights are computed and when they change.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianThompsonConfig {
    pub prior: NormalPosterior,
    /// Joint posterior draws per weight update.
    pub draws: u32,
    /// The least weight any arm gets, as a fraction (GrowthBook keeps each arm at about 1 %).
    pub min_weight: f64,
    /// Pulls at equal weights before the first update.
    pub burn_in_pulls: u64,
    /// Pulls between weight updates after the burn-in.
    pub update_every_pulls: u64,
}

impl Default for GaussianThompsonConfig {
    /// Prior N(0, 10000), 10,000 draws, a 1 % floor, 500 burn-in pulls, an update every 500 pulls.
    fn default() -> GaussianThompsonConfig {
        GaussianThompsonConfig {
            prior: GROWTHBOOK_PRIOR,
            draws: 10_000,
            min_weight: 0.01,
            burn_in_pulls: 500,
            update_every_pulls: 500,
        }
    }
}

/// The conjugate normal posterior of an arm's mean. An arm with under two pulls, or whose rewards
/// have no spread yet (so s² / n says nothing), keeps the prior.
pub fn posterior(stats: &ArmStats, prior: NormalPosterior) -> NormalPosterior {
    let (Some(mean), Some(variance)) = (stats.mean(), stats.variance()) else {
        return prior;
    };
    if variance <= 0.0 {
        return prior;
    }
    let data_precision = stats.pulls as f64 / variance;
    let precision = 1.0 / prior.variance + data_precision;
    NormalPosterior {
        mean: (prior.mean / prior.variance + mean * data_precision) / precision,
        variance: 1.0 / precision,
    }
}

/// Each arm's share of `draws` joint draws from the posteriors in which it is the largest.
pub fn probability_best(posteriors: &[NormalPosterior], draws: u32, rng: &mut Rng) -> Vec<f64> {
    let mut wins = vec![0u32; posteriors.len()];
    if posteriors.is_empty() || draws == 0 {
        return vec![0.0; posteriors.len()];
    }
    for _ in 0..draws {
        let mut best = (0usize, f64::NEG_INFINITY);
        for (i, p) in posteriors.iter().enumerate() {
            let draw = p.mean + p.variance.sqrt() * standard_normal(rng);
            if draw > best.1 {
                best = (i, draw);
            }
        }
        wins[best.0] += 1;
    }
    wins.iter()
        .map(|w| f64::from(*w) / f64::from(draws))
        .collect()
}

/// Raises every weight below `min_weight` to it and takes the difference from the others in
/// proportion to their weights, repeating until no weight is below the floor. With a floor too high
/// for the number of arms (k · floor ≥ 1), every arm gets 1/k.
pub fn apply_min_weight(weights: &[f64], min_weight: f64) -> Vec<f64> {
    let k = weights.len();
    if k == 0 {
        return Vec::new();
    }
    if min_weight * k as f64 >= 1.0 {
        return vec![1.0 / k as f64; k];
    }
    let mut floored = vec![false; k];
    loop {
        let floored_count = floored.iter().filter(|f| **f).count();
        let free_mass = 1.0 - min_weight * floored_count as f64;
        let free_total: f64 = (0..k).filter(|&i| !floored[i]).map(|i| weights[i]).sum();
        let free_arms = (k - floored_count) as f64;
        let scaled: Vec<f64> = (0..k)
            .map(|i| match (floored[i], free_total > 0.0) {
                (true, _) => min_weight,
                (false, true) => weights[i] / free_total * free_mass,
                (false, false) => free_mass / free_arms,
            })
            .collect();
        let newly_low: Vec<usize> = (0..k)
            .filter(|&i| !floored[i] && scaled[i] < min_weight)
            .collect();
        if newly_low.is_empty() {
            return scaled;
        }
        for i in newly_low {
            floored[i] = true;
        }
    }
}

/// The next weights for arms with the given statistics: probability best, floored.
pub fn weights(stats: &[ArmStats], config: &GaussianThompsonConfig, rng: &mut Rng) -> Vec<f64> {
    let posteriors: Vec<NormalPosterior> =
        stats.iter().map(|s| posterior(s, config.prior)).collect();
    apply_min_weight(
        &probability_best(&posteriors, config.draws, rng),
        config.min_weight,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn posterior_by_hand() {
        // Rewards 1, 0, 1, 1: mean 0.75, s² 0.25, n/s² = 16.
        let mut stats = ArmStats::default();
        for r in [1.0, 0.0, 1.0, 1.0] {
            stats.record(r);
        }
        let p = posterior(&stats, GROWTHBOOK_PRIOR);
        let precision = 1.0 / 10_000.0 + 16.0;
        assert!((p.variance - 1.0 / precision).abs() < 1e-18);
        assert!((p.mean - 0.75 * 16.0 / precision).abs() < 1e-15);
        // A proper prior pulls the mean toward it: prior N(1, 1/16) weighs as much as the data.
        let half = posterior(
            &stats,
            NormalPosterior {
                mean: 1.0,
                variance: 1.0 / 16.0,
            },
        );
        assert!((half.mean - 0.875).abs() < 1e-12 && (half.variance - 1.0 / 32.0).abs() < 1e-15);
        assert_eq!(
            posterior(&ArmStats::default(), GROWTHBOOK_PRIOR),
            GROWTHBOOK_PRIOR
        );
    }

    #[test]
    fn floor_keeps_every_arm_and_the_total() {
        let w = apply_min_weight(&[0.995, 0.005, 0.0], 0.01);
        assert!((w[1] - 0.01).abs() < 1e-15 && (w[2] - 0.01).abs() < 1e-15);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(apply_min_weight(&[0.5, 0.5], 0.6), vec![0.5, 0.5]);
        assert_eq!(apply_min_weight(&[0.7, 0.3], 0.01), vec![0.7, 0.3]);
    }

    #[test]
    fn probability_best_of_two_normals() {
        // N(0.1, 0.01) against N(0, 0.01): P(X − Y > 0) = Φ(0.1 / sqrt(0.02)) = Φ(0.7071) = 0.76025.
        let posteriors = [
            NormalPosterior {
                mean: 0.1,
                variance: 0.01,
            },
            NormalPosterior {
                mean: 0.0,
                variance: 0.01,
            },
        ];
        let p = probability_best(&posteriors, 40_000, &mut Rng::new(Seed(21)));
        assert!((p[0] - 0.760_250).abs() < 0.01, "{p:?}");
        assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
    }
}
