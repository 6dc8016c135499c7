//! The continuous distributions interleaving and bandits draw from, built on `sim::rng::Rng`.
//!
//! The kernel gives uniform integers only. Click models need Bernoulli draws with fractional
//! probabilities, Thompson sampling needs Beta draws (a Beta is a ratio of two Gamma draws) and
//! GrowthBook's Gaussian weights need normal draws. Each is written out here, with a pinned
//! algorithm, so that the same seed draws the same numbers on every platform.

use sim::rng::Rng;

/// A uniform draw in the open interval (0, 1): 53 random bits offset by half a step, so neither
/// end is reachable and logarithms never see 0.
pub fn unit_open(rng: &mut Rng) -> f64 {
    let bits = rng.next_u64() >> 11;
    (bits as f64 + 0.5) / (1u64 << 53) as f64
}

/// True with probability `probability` (values outside 0..=1 are clamped).
pub fn bernoulli(rng: &mut Rng, probability: f64) -> bool {
    if probability.is_nan() || probability <= 0.0 {
        return false;
    }
    if probability >= 1.0 {
        return true;
    }
    unit_open(rng) < probability
}

/// A standard normal deviate by the Box-Muller transform; every call consumes exactly two uniforms.
pub fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = unit_open(rng);
    let u2 = unit_open(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) deviate by Marsaglia and Tsang's squeeze method ("A simple method for
/// generating gamma variables", ACM TOMS 2000). Shapes below 1 use their boost:
/// Gamma(a) = Gamma(a + 1) * U^(1/a). A shape that is not positive gives 0.
pub fn gamma(rng: &mut Rng, shape: f64) -> f64 {
    if shape.is_nan() || shape <= 0.0 {
        return 0.0;
    }
    if shape < 1.0 {
        let boosted = gamma(rng, shape + 1.0);
        return boosted * unit_open(rng).powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = unit_open(rng);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Beta(alpha, beta) deviate as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta).
pub fn beta(rng: &mut Rng, alpha: f64, beta: f64) -> f64 {
    let x = gamma(rng, alpha);
    let y = gamma(rng, beta);
    if x + y <= 0.0 {
        return 0.5;
    }
    x / (x + y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn mean_and_variance(draws: &[f64]) -> (f64, f64) {
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn gamma_matches_its_mean_and_variance() {
        let mut rng = Rng::new(Seed(11));
        for shape in [0.4, 1.0, 2.5, 30.0] {
            let draws: Vec<f64> = (0..40_000).map(|_| gamma(&mut rng, shape)).collect();
            let (mean, var) = mean_and_variance(&draws);
            // Gamma(k, 1): mean k, variance k; the mean's standard error is sqrt(k / n).
            assert!(
                (mean - shape).abs() < 5.0 * (shape / 40_000.0).sqrt(),
                "{shape}: {mean}"
            );
            assert!((var / shape - 1.0).abs() < 0.06, "{shape}: {var}");
        }
        assert_eq!(gamma(&mut rng, 0.0), 0.0);
    }

    #[test]
    fn beta_matches_its_mean_and_variance() {
        let mut rng = Rng::new(Seed(12));
        let (a, b) = (3.0, 5.0);
        let draws: Vec<f64> = (0..40_000).map(|_| beta(&mut rng, a, b)).collect();
        let (mean, var) = mean_and_variance(&draws);
        let true_mean = a / (a + b);
        let true_var = a * b / ((a + b).powi(2) * (a + b + 1.0));
        assert!((mean - true_mean).abs() < 5.0 * (true_var / 40_000.0).sqrt());
        assert!((var / true_var - 1.0).abs() < 0.05, "{var} vs {true_var}");
        assert!(draws.iter().all(|d| *d > 0.0 && *d < 1.0));
    }

    #[test]
    fn normal_has_unit_spread_and_bernoulli_its_rate() {
        let mut rng = Rng::new(Seed(13));
        let draws: Vec<f64> = (0..40_000).map(|_| standard_normal(&mut rng)).collect();
        let (mean, var) = mean_and_variance(&draws);
        assert!(
            mean.abs() < 0.025 && (var - 1.0).abs() < 0.03,
            "{mean} {var}"
        );
        let hits = (0..40_000).filter(|_| bernoulli(&mut rng, 0.3)).count();
        assert!((hits as f64 / 40_000.0 - 0.3).abs() < 0.012, "{hits}");
        assert!(!bernoulli(&mut rng, 0.0) && bernoulli(&mut rng, 1.0));
    }
}
