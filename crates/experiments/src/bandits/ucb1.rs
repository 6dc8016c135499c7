//! UCB1 (Auer, Cesa-Bianchi and Fischer, "Finite-time analysis of the multiarmed bandit problem",
//! Machine Learning 47, 2002): play each arm once, then the arm with the largest index
//! x̄_k + sqrt(2 ln t / n_k), where t is the number of pulls so far and n_k the arm's pulls.
//!
//! The bonus shrinks as an arm is pulled and grows slowly for arms left alone, so every arm keeps
//! being tried, ever more rarely. For rewards in [0, 1] their Theorem 1 bounds the expected regret
//! after n pulls by 8 Σ_{k: Δ_k > 0} ln n / Δ_k + (1 + π²/3) Σ_k Δ_k, with Δ_k the gap between
//! the best arm's mean and arm k's.

use super::arm::{first_unpulled, ArmIndex, ArmStats};

/// UCB1's index of an arm with empirical mean `mean` after `arm_pulls` of `total_pulls` pulls.
pub fn index(mean: f64, arm_pulls: u64, total_pulls: u64) -> f64 {
    mean + (2.0 * (total_pulls as f64).ln() / arm_pulls as f64).sqrt()
}

/// The arm UCB1 plays next: an unpulled arm first, else the largest index (ties to the lower
/// arm; arm 0 when there are no arms).
pub fn choose(stats: &[ArmStats]) -> ArmIndex {
    if let Some(arm) = first_unpulled(stats) {
        return arm;
    }
    let total: u64 = stats.iter().map(|s| s.pulls).sum();
    let mut best = (ArmIndex(0), f64::NEG_INFINITY);
    for (i, s) in stats.iter().enumerate() {
        let value = index(s.mean().unwrap_or(0.0), s.pulls, total);
        if value > best.1 {
            best = (ArmIndex(i), value);
        }
    }
    best.0
}

/// Auer et al.'s Theorem 1 bound on UCB1's expected regret after `pulls` pulls of Bernoulli (or
/// any [0, 1]) arms with the given means.
pub fn regret_bound(arm_means: &[f64], pulls: u64) -> f64 {
    let best = arm_means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let gaps = arm_means.iter().map(|m| best - m).filter(|gap| *gap > 0.0);
    let log_term: f64 = gaps
        .clone()
        .map(|gap| 8.0 * (pulls as f64).ln() / gap)
        .sum();
    let constant_term: f64 = (1.0 + std::f64::consts::PI.powi(2) / 3.0) * gaps.sum::<f64>();
    log_term + constant_term
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_mean_plus_exploration_bonus() {
        // 0.5 + sqrt(2 ln 100 / 10) = 0.5 + sqrt(0.921034...) = 1.4597051824...
        let expected = 0.5 + (2.0 * 100f64.ln() / 10.0).sqrt();
        assert_eq!(index(0.5, 10, 100), expected);
        assert!((index(0.5, 10, 100) - 1.459_705_182_437_616).abs() < 1e-12);
    }

    #[test]
    fn choice_trades_mean_against_pulls() {
        let arm = |pulls: u64, mean: f64| ArmStats {
            pulls,
            reward_sum: mean * pulls as f64,
            reward_sum_squares: mean * pulls as f64,
        };
        // Arm 1 has the lower mean but far fewer pulls: 0.4 + sqrt(2 ln 102 / 2) = 2.55 beats
        // 0.6 + sqrt(2 ln 102 / 100) = 0.90.
        assert_eq!(choose(&[arm(100, 0.6), arm(2, 0.4)]), ArmIndex(1));
        assert_eq!(choose(&[arm(100, 0.6), arm(100, 0.4)]), ArmIndex(0));
        assert_eq!(choose(&[arm(5, 0.6), arm(0, 0.0)]), ArmIndex(1));
    }

    #[test]
    fn bound_by_hand() {
        // Means 0.9 and 0.5 at n = 1000: 8 ln 1000 / 0.4 + (1 + π²/3) · 0.4.
        let expected = 8.0 * 1000f64.ln() / 0.4 + (1.0 + std::f64::consts::PI.powi(2) / 3.0) * 0.4;
        assert!((regret_bound(&[0.9, 0.5], 1000) - expected).abs() < 1e-9);
        assert_eq!(regret_bound(&[0.3, 0.3], 1000), 0.0);
    }
}
