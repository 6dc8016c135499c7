//! Epsilon-greedy: explore a uniformly chosen arm with probability ε, otherwise exploit the arm
//! with the best empirical mean (ties broken at random). Each arm is played once first.
//!
//! With a fixed ε the policy keeps exploring forever, so its regret grows linearly in the number
//! of pulls; Auer, Cesa-Bianchi and Fischer ("Finite-time analysis of the multiarmed bandit
//! problem", Machine Learning 2002) show that a decaying ε_t = min(1, cK / (d² t)) brings it down
//! to logarithmic.

use sim::rng::Rng;

use super::arm::{first_unpulled, ArmIndex, ArmStats};
use crate::draws::bernoulli;

/// The arm epsilon-greedy plays next (arm 0 when there are no arms).
pub fn choose(stats: &[ArmStats], epsilon: f64, rng: &mut Rng) -> ArmIndex {
    if let Some(arm) = first_unpulled(stats) {
        return arm;
    }
    if bernoulli(rng, epsilon) {
        return ArmIndex(rng.below(stats.len() as u64) as usize);
    }
    let means: Vec<f64> = stats.iter().map(|s| s.mean().unwrap_or(0.0)).collect();
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let leaders: Vec<usize> = (0..means.len()).filter(|&i| means[i] == best).collect();
    let pick = rng.below(leaders.len() as u64) as usize;
    ArmIndex(leaders.get(pick).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn arm(pulls: u64, successes: u64) -> ArmStats {
        let s = successes as f64;
        ArmStats {
            pulls,
            reward_sum: s,
            reward_sum_squares: s,
        }
    }

    #[test]
    fn greedy_plays_the_best_mean_and_explores_at_rate_epsilon() {
        let stats = [arm(10, 2), arm(10, 5), arm(10, 1)];
        let mut rng = Rng::new(Seed(5));
        assert!((0..100).all(|_| choose(&stats, 0.0, &mut rng) == ArmIndex(1)));
        // With ε = 0.3 the other two arms are played 0.3 · 2/3 = 20 % of the time.
        let others = (0..30_000)
            .filter(|_| choose(&stats, 0.3, &mut rng) != ArmIndex(1))
            .count();
        assert!((others as f64 / 30_000.0 - 0.2).abs() < 0.01, "{others}");
    }

    #[test]
    fn unpulled_arms_first_and_ties_split() {
        let mut rng = Rng::new(Seed(6));
        assert_eq!(choose(&[arm(3, 1), arm(0, 0)], 0.0, &mut rng), ArmIndex(1));
        let tied = [arm(4, 2), arm(2, 1)];
        let first = (0..2000)
            .filter(|_| choose(&tied, 0.0, &mut rng) == ArmIndex(0))
            .count();
        assert!((900..1100).contains(&first), "{first}");
        assert_eq!(choose(&[], 0.0, &mut rng), ArmIndex(0));
    }
}
