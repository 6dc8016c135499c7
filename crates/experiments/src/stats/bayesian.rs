//! GrowthBook's Bayesian reading of an A/B test (gbstats `bayesian/tests.py`,
//! `EffectBayesianABTest`): the lift's likelihood is normal with the frequentist estimate and
//! variance; with a flat prior the posterior is that normal, with a proper normal prior the two
//! combine by precision. From the posterior: the chance the treatment wins, the credible
//! interval, and the risk of each choice (the expected loss, from truncated normal means).

use super::frequentist::{lift, Difference};
use super::statistic::{pooled_theta, Statistic};
use sim::special::{normal_cdf, normal_mean_above, normal_mean_below, normal_quantile, normal_sf};

/// A normal prior on the lift; `proper: false` is GrowthBook's default flat prior.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianPrior {
    pub mean: f64,
    pub variance: f64,
    pub proper: bool,
}

impl Default for GaussianPrior {
    fn default() -> Self {
        GaussianPrior {
            mean: 0.0,
            variance: 1.0,
            proper: false,
        }
    }
}

/// Whether the prior is stated on the relative or the absolute lift; gbstats rescales it by the
/// control's mean when the test reads the other kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorScale {
    Relative,
    Absolute,
}

/// The Bayesian test's settings (gbstats' `EffectBayesianConfig` defaults: relative lift,
/// alpha 0.05, a flat prior stated on the relative scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BayesianConfig {
    pub difference: Difference,
    pub alpha: f64,
    pub prior: GaussianPrior,
    pub prior_scale: PriorScale,
    /// A metric where lower is better: the chance to win and the risks flip.
    pub inverse: bool,
}

impl Default for BayesianConfig {
    fn default() -> Self {
        BayesianConfig {
            difference: Difference::Relative,
            alpha: 0.05,
            prior: GaussianPrior::default(),
            prior_scale: PriorScale::Relative,
            inverse: false,
        }
    }
}

/// The posterior reading: its mean, credible interval, the chance the treatment is better, and
/// the expected loss of choosing `[control, treatment]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BayesianResult {
    pub expected: f64,
    pub ci: [f64; 2],
    pub chance_to_win: f64,
    pub risk: [f64; 2],
}

impl BayesianResult {
    /// gbstats' uninformative result.
    pub const DEFAULT: BayesianResult = BayesianResult {
        expected: 0.0,
        ci: [0.0, 0.0],
        chance_to_win: 0.5,
        risk: [0.0, 0.0],
    };
}

/// The prior on the scale the test reads, rescaled by the control's mean as gbstats does.
fn rescaled_prior(config: &BayesianConfig, control_mean: f64) -> GaussianPrior {
    let prior = config.prior;
    match (config.difference, config.prior_scale) {
        (Difference::Relative, PriorScale::Absolute) => GaussianPrior {
            mean: prior.mean / control_mean.abs(),
            variance: prior.variance / control_mean.powi(2),
            proper: prior.proper,
        },
        (Difference::Absolute, PriorScale::Relative) => GaussianPrior {
            mean: prior.mean * control_mean.abs(),
            variance: prior.variance * control_mean.powi(2),
            proper: prior.proper,
        },
        _ => prior,
    }
}

/// The risk of shipping the control and of shipping the treatment under the posterior
/// N(`mu`, `sigma`^2) of the lift (gbstats' `get_risk`).
pub fn risk(mu: f64, sigma: f64) -> [f64; 2] {
    let control_better = normal_cdf(-mu / sigma);
    let treatment_better = normal_sf(-mu / sigma);
    [
        treatment_better * normal_mean_above(mu, sigma, 0.0),
        -control_better * normal_mean_below(mu, sigma, 0.0),
    ]
}

/// The Bayesian test. The default result comes back for a relative lift over a control mean of
/// 0, an empty arm, an arm without variance, and (where gbstats divides by zero) a prior rescaled
/// to zero variance by a control mean of 0.
pub fn bayesian_test(
    control: Statistic,
    treatment: Statistic,
    config: BayesianConfig,
) -> BayesianResult {
    let (a, b) = with_theta(control, treatment);
    let relative = config.difference == Difference::Relative;
    if relative && (a.mean() == 0.0 || a.unadjusted_mean() == 0.0) {
        return BayesianResult::DEFAULT;
    }
    if a.n() == 0.0 || b.n() == 0.0 || a.has_zero_variance() || b.has_zero_variance() {
        return BayesianResult::DEFAULT;
    }
    let prior = rescaled_prior(&config, a.unadjusted_mean());
    if !(prior.variance > 0.0 && prior.variance.is_finite()) {
        return BayesianResult::DEFAULT;
    }
    let data = lift(&a, &b, config.difference);
    let prior_precision = if prior.proper {
        1.0 / prior.variance
    } else {
        0.0
    };
    let precision = 1.0 / data.variance + prior_precision;
    let mean = if prior.proper {
        (data.estimate / data.variance + prior.mean / prior.variance) / precision
    } else {
        data.estimate
    };
    let sd = (1.0 / precision).sqrt();
    let win = normal_sf(-mean / sd);
    let [risk_control, risk_treatment] = risk(mean, sd);
    BayesianResult {
        expected: mean,
        ci: [
            mean + sd * normal_quantile(config.alpha / 2.0),
            mean + sd * normal_quantile(1.0 - config.alpha / 2.0),
        ],
        chance_to_win: if config.inverse { 1.0 - win } else { win },
        risk: if config.inverse {
            [risk_treatment, risk_control]
        } else {
            [risk_control, risk_treatment]
        },
    }
}

/// CUPED arms with the pooled theta. Unlike the frequentist test, gbstats' Bayesian test keeps
/// the adjusted statistics when theta is 0, which reads the same as the post-period means.
fn with_theta(control: Statistic, treatment: Statistic) -> (Statistic, Statistic) {
    match (control, treatment) {
        (Statistic::Adjusted(mut a), Statistic::Adjusted(mut b)) => {
            let theta = pooled_theta(&a, &b);
            a.theta = theta;
            b.theta = theta;
            (Statistic::Adjusted(a), Statistic::Adjusted(b))
        }
        pair => pair,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::statistic::Proportion;

    fn rate(n: f64, sum: f64) -> Statistic {
        Statistic::Proportion(Proportion { n, sum })
    }

    #[test]
    fn flat_prior_posterior_is_the_likelihood() {
        let config = BayesianConfig::default();
        let r = bayesian_test(rate(1000.0, 100.0), rate(1000.0, 120.0), config);
        assert!((r.expected - 0.2).abs() < 1e-12);
        assert!(r.chance_to_win > 0.9 && r.chance_to_win < 1.0);
        assert!(r.risk[0] > r.risk[1], "{:?}", r.risk);
        let inverse = bayesian_test(
            rate(1000.0, 100.0),
            rate(1000.0, 120.0),
            BayesianConfig {
                inverse: true,
                ..config
            },
        );
        assert!((inverse.chance_to_win - (1.0 - r.chance_to_win)).abs() < 1e-15);
        assert_eq!(inverse.risk, [r.risk[1], r.risk[0]]);
    }

    #[test]
    fn proper_prior_shrinks_towards_its_mean() {
        let config = BayesianConfig {
            prior: GaussianPrior {
                mean: 0.0,
                variance: 0.001,
                proper: true,
            },
            ..BayesianConfig::default()
        };
        let flat = bayesian_test(
            rate(1000.0, 100.0),
            rate(1000.0, 120.0),
            BayesianConfig::default(),
        );
        let shrunk = bayesian_test(rate(1000.0, 100.0), rate(1000.0, 120.0), config);
        assert!(shrunk.expected > 0.0 && shrunk.expected < flat.expected);
    }

    #[test]
    fn defaults_follow_gbstats() {
        let config = BayesianConfig::default();
        assert_eq!(
            bayesian_test(rate(10.0, 0.0), rate(10.0, 3.0), config),
            BayesianResult::DEFAULT
        );
        assert_eq!(
            bayesian_test(rate(10.0, 2.0), rate(10.0, 10.0), config),
            BayesianResult::DEFAULT
        );
    }

    #[test]
    fn risks_are_expected_losses() {
        // A posterior centred on 0: both choices risk E[max(X, 0)] = sigma / sqrt(2 pi).
        let [control, treatment] = risk(0.0, 2.0);
        let want = 2.0 / (2.0 * std::f64::consts::PI).sqrt();
        assert!((control - want).abs() < 1e-15 && (treatment - want).abs() < 1e-15);
    }
}
