//! Bernoulli Thompson sampling (Russo, Van Roy, Kazerouni, Osband and Wen, "A Tutorial on Thompson
//! Sampling", 2018, chapter 3): each arm's success rate has a Beta posterior, starting from the
//! uniform Beta(1, 1); each pull draws one value from every posterior and plays the largest, then
//! adds the reward to the played arm's posterior (α += reward, β += 1 − reward).
//!
//! An arm is played with exactly the posterior probability that it is the best arm,
//! P(arm k best) = ∫ f_k(x) Π_{j≠k} F_j(x) dx, which [`probability_best`] computes by quadrature
//! (and [`probability_best_sampled`] estimates from draws, as the policy itself does).

use sim::rng::Rng;

use super::arm::{ArmIndex, ArmStats};
use crate::draws;
use crate::log_gamma::ln_gamma;

/// A Beta(α, β) posterior over an arm's success rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BetaPosterior {
    pub alpha: f64,
    pub beta: f64,
}

impl BetaPosterior {
    /// The posterior after `successes` and `failures` from the uniform Beta(1, 1) prior.
    pub fn from_counts(successes: u64, failures: u64) -> BetaPosterior {
        BetaPosterior {
            alpha: 1.0 + successes as f64,
            beta: 1.0 + failures as f64,
        }
    }

    /// The posterior of an arm whose rewards are 0 or 1.
    pub fn from_stats(stats: &ArmStats) -> BetaPosterior {
        let successes = stats.reward_sum.round().max(0.0) as u64;
        BetaPosterior::from_counts(successes, stats.pulls.saturating_sub(successes))
    }

    /// The posterior mean α / (α + β).
    pub fn mean(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    /// The posterior variance αβ / ((α + β)² (α + β + 1)).
    pub fn variance(&self) -> f64 {
        let total = self.alpha + self.beta;
        self.alpha * self.beta / (total * total * (total + 1.0))
    }

    /// One draw from the posterior.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        draws::beta(rng, self.alpha, self.beta)
    }

    /// ln B(α, β), the density's normalising constant.
    fn ln_beta_function(&self) -> f64 {
        ln_gamma(self.alpha) + ln_gamma(self.beta) - ln_gamma(self.alpha + self.beta)
    }

    /// ln of x^(α−1) (1 − x)^(β−1).
    fn ln_density_unnormalised(&self, x: f64) -> f64 {
        (self.alpha - 1.0) * x.ln() + (self.beta - 1.0) * (1.0 - x).ln()
    }
}

/// The arm Thompson sampling plays next: the largest of one draw per posterior (ties to the lower
/// arm; arm 0 when there are no arms).
pub fn choose(posteriors: &[BetaPosterior], rng: &mut Rng) -> ArmIndex {
    let mut best = (ArmIndex(0), f64::NEG_INFINITY);
    for (i, posterior) in posteriors.iter().enumerate() {
        let draw = posterior.sample(rng);
        if draw > best.1 {
            best = (ArmIndex(i), draw);
        }
    }
    best.0
}

/// Quadrature intervals over the region where the posteriors have mass.
const QUADRATURE_INTERVALS: usize = 20_000;
/// Posterior standard deviations either side of the means that the quadrature covers.
const QUADRATURE_SPAN_SDS: f64 = 12.0;

/// P(arm k has the highest success rate) for every arm, by the trapezoid rule on
/// ∫ f_k(x) Π_{j≠k} F_j(x) dx. Each f_j is normalised to integrate to 1 on the grid and each F_j
/// is its running integral on the same grid, so the probabilities are consistent with each other. Posteriors must
/// have α, β ≥ 1 (true of every posterior from the uniform prior); an empty slice gives an empty
/// answer.
pub fn probability_best(posteriors: &[BetaPosterior]) -> Vec<f64> {
    if posteriors.is_empty() {
        return Vec::new();
    }
    let (low, high) = quadrature_range(posteriors);
    let step = (high - low) / QUADRATURE_INTERVALS as f64;
    let grid: Vec<f64> = (0..=QUADRATURE_INTERVALS)
        .map(|i| low + step * i as f64)
        .collect();
    let densities: Vec<Vec<f64>> = posteriors
        .iter()
        .map(|p| densities_on(p, &grid, step))
        .collect();
    let cdfs: Vec<Vec<f64>> = densities
        .iter()
        .map(|d| running_integral(d, step))
        .collect();
    let mut best = vec![0.0; posteriors.len()];
    for (k, best_k) in best.iter_mut().enumerate() {
        let integrand: Vec<f64> = (0..grid.len())
            .map(|i| {
                let others: f64 = (0..posteriors.len())
                    .filter(|&j| j != k)
                    .map(|j| cdfs[j][i])
                    .product();
                densities[k][i] * others
            })
            .collect();
        *best_k = running_integral(&integrand, step)[QUADRATURE_INTERVALS];
    }
    best
}

/// The share of `draws` joint posterior draws in which each arm is the largest.
pub fn probability_best_sampled(
    posteriors: &[BetaPosterior],
    draws: u32,
    rng: &mut Rng,
) -> Vec<f64> {
    let mut wins = vec![0u32; posteriors.len()];
    if posteriors.is_empty() || draws == 0 {
        return vec![0.0; posteriors.len()];
    }
    for _ in 0..draws {
        wins[choose(posteriors, rng).0] += 1;
    }
    wins.iter()
        .map(|w| f64::from(*w) / f64::from(draws))
        .collect()
}

/// The interval holding every posterior's mass: its mean ± 12 standard deviations, within [0, 1].
fn quadrature_range(posteriors: &[BetaPosterior]) -> (f64, f64) {
    let low = posteriors
        .iter()
        .map(|p| p.mean() - QUADRATURE_SPAN_SDS * p.variance().sqrt())
        .fold(f64::INFINITY, f64::min);
    let high = posteriors
        .iter()
        .map(|p| p.mean() + QUADRATURE_SPAN_SDS * p.variance().sqrt())
        .fold(f64::NEG_INFINITY, f64::max);
    (low.max(0.0), high.min(1.0))
}

/// The density on the grid (at an end of [0, 1], its limit, finite for α, β ≥ 1), rescaled so
/// that its trapezoid integral over the grid is exactly 1.
fn densities_on(posterior: &BetaPosterior, grid: &[f64], step: f64) -> Vec<f64> {
    let ln_beta_function = posterior.ln_beta_function();
    let density: Vec<f64> = grid
        .iter()
        .map(|&x| {
            if x <= 0.0 {
                if posterior.alpha == 1.0 {
                    posterior.beta
                } else {
                    0.0
                }
            } else if x >= 1.0 {
                if posterior.beta == 1.0 {
                    posterior.alpha
                } else {
                    0.0
                }
            } else {
                (posterior.ln_density_unnormalised(x) - ln_beta_function).exp()
            }
        })
        .collect();
    let total = running_integral(&density, step)
        .last()
        .copied()
        .unwrap_or(0.0);
    if total > 0.0 {
        density.iter().map(|d| d / total).collect()
    } else {
        density
    }
}

/// Cumulative trapezoid integral of `values` sampled every `step`, starting at 0.
fn running_integral(values: &[f64], step: f64) -> Vec<f64> {
    let mut total = 0.0;
    let mut out = Vec::with_capacity(values.len());
    out.push(0.0);
    for pair in values.windows(2) {
        total += 0.5 * step * (pair[0] + pair[1]);
        out.push(total);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn posterior_updates_follow_the_conjugate_formula() {
        let mut stats = ArmStats::default();
        for r in [1.0, 0.0, 0.0, 1.0, 1.0] {
            stats.record(r);
        }
        let posterior = BetaPosterior::from_stats(&stats);
        assert_eq!(
            posterior,
            BetaPosterior {
                alpha: 4.0,
                beta: 3.0
            }
        );
        assert!((posterior.mean() - 4.0 / 7.0).abs() < 1e-15);
        assert!((posterior.variance() - 12.0 / (49.0 * 8.0)).abs() < 1e-15);
        // Beta(4, 3) density at 0.5: x^3 (1-x)^2 / B(4, 3), B(4, 3) = 3! 2! / 6! = 1/60.
        assert!(
            ((posterior.ln_density_unnormalised(0.5) - posterior.ln_beta_function()).exp()
                - 60.0 / 32.0)
                .abs()
                < 1e-12
        );
    }

    #[test]
    fn probability_best_matches_closed_forms() {
        let uniform = BetaPosterior::from_counts(0, 0);
        // Beta(a, 1) against a uniform: P(X > U) = ∫ a x^(a-1) · x dx = a / (a + 1).
        for a in [2.0, 5.0] {
            let p = probability_best(&[
                BetaPosterior {
                    alpha: a,
                    beta: 1.0,
                },
                uniform,
            ]);
            assert!((p[0] - a / (a + 1.0)).abs() < 1e-8, "{a}: {p:?}");
            assert!((p[1] - 1.0 / (a + 1.0)).abs() < 1e-8, "{a}: {p:?}");
        }
        let three = probability_best(&[uniform; 3]);
        assert!(
            three.iter().all(|p| (p - 1.0 / 3.0).abs() < 1e-8),
            "{three:?}"
        );
        assert!(probability_best(&[]).is_empty());
    }

    #[test]
    fn sampled_probability_agrees_with_quadrature() {
        let posteriors = [
            BetaPosterior::from_counts(50, 950),
            BetaPosterior::from_counts(60, 940),
            BetaPosterior::from_counts(70, 930),
        ];
        let exact = probability_best(&posteriors);
        let sampled = probability_best_sampled(&posteriors, 20_000, &mut Rng::new(Seed(8)));
        for (e, s) in exact.iter().zip(&sampled) {
            // Binomial standard error of a share over 20,000 draws is at most 0.0036.
            assert!((e - s).abs() < 0.015, "{exact:?} vs {sampled:?}");
        }
        assert!((exact.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{exact:?}");
    }
}
