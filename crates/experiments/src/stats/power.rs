//! Planning a test before it starts: the power of a two-sided test of two equal-sized arms to see
//! a given effect, and the minimum detectable effect at a given power. gbstats 0.8.0 has no power
//! module, so this is the standard two-sample normal approximation (e.g. Kohavi, Tang and Xu,
//! "Trustworthy Online Controlled Experiments", 2020, chapter 17): with standard error
//! `se = sqrt(2 variance / n)` per arm size `n`,
//! `power = P(Z > z_{1-alpha/2} - effect / se) + P(Z > z_{1-alpha/2} + effect / se)` and
//! `MDE = (z_{1-alpha/2} + z_{power}) se`.

use sim::special::{normal_quantile, normal_sf};

/// A planned test: per-unit variance of the metric, units per arm, and the test's alpha.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub variance: f64,
    pub units_per_arm: f64,
    pub alpha: f64,
}

impl Plan {
    /// The standard error of the difference of the two arms' means.
    pub fn standard_error(&self) -> f64 {
        (2.0 * self.variance / self.units_per_arm).sqrt()
    }

    /// The chance the two-sided test rejects when the true absolute effect is `effect`.
    pub fn power(&self, effect: f64) -> f64 {
        let critical = -normal_quantile(self.alpha / 2.0);
        let shift = effect.abs() / self.standard_error();
        normal_sf(critical - shift) + normal_sf(critical + shift)
    }

    /// The smallest absolute effect detected with probability `power` (ignoring the far tail).
    pub fn minimum_detectable_effect(&self, power: f64) -> f64 {
        let critical = -normal_quantile(self.alpha / 2.0);
        (critical + normal_quantile(power)) * self.standard_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_sample_size_gives_eighty_percent_power() {
        // n = 2 (1.96 + 0.8416)^2 sigma^2 / delta^2 = 15.7 per arm for delta = sigma.
        let plan = Plan {
            variance: 1.0,
            units_per_arm: 15.697_759,
            alpha: 0.05,
        };
        assert!((plan.power(1.0) - 0.8).abs() < 1e-4, "{}", plan.power(1.0));
        assert!((plan.minimum_detectable_effect(0.8) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn power_at_zero_effect_is_alpha() {
        let plan = Plan {
            variance: 4.0,
            units_per_arm: 1000.0,
            alpha: 0.05,
        };
        assert!((plan.power(0.0) - 0.05).abs() < 1e-12);
        assert!(plan.power(0.5) > plan.power(0.2));
    }
}
