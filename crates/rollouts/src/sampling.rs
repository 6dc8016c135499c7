//! The few distributions the serving world draws from, built on the kernel's `sim::rng::Rng`.
//!
//! The kernel gives uniform integers only; arrivals need Poisson counts, latencies need normal
//! deviates (a log-normal is `exp` of one), errors and prediction correctness need Bernoulli draws
//! with fractional probabilities. Each is written out here so that the same seed draws the same
//! numbers on every platform.

use sim::rng::Rng;

/// A uniform draw in the open interval (0, 1): 53 random bits, offset by half a step so that
/// neither end is reachable (the logarithms below never see 0).
pub fn unit_open(rng: &mut Rng) -> f64 {
    let bits = rng.next_u64() >> 11;
    (bits as f64 + 0.5) / (1u64 << 53) as f64
}

/// True with probability `probability` (clamped to 0..=1).
pub fn bernoulli(rng: &mut Rng, probability: f64) -> bool {
    if probability <= 0.0 {
        return false;
    }
    if probability >= 1.0 {
        return true;
    }
    unit_open(rng) < probability
}

/// A standard normal deviate by the Box-Muller transform (one of the pair is used, so every call
/// consumes exactly two uniforms and the stream stays easy to reason about).
pub fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = unit_open(rng);
    let u2 = unit_open(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The largest mean drawn in one piece by Knuth's multiplication method; larger means are split
/// into pieces of at most this size (a sum of independent Poisson counts is Poisson with the sum
/// of the means), which keeps `exp(-mean)` far from underflow.
const POISSON_PIECE_MEAN: f64 = 30.0;

/// A Poisson count with the given mean (0 for a mean that is not positive).
pub fn poisson(rng: &mut Rng, mean: f64) -> u64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    let mut remaining = mean;
    let mut total = 0u64;
    while remaining > 0.0 {
        let piece = remaining.min(POISSON_PIECE_MEAN);
        remaining -= piece;
        total += poisson_knuth(rng, piece);
    }
    total
}

/// Knuth's method: multiply uniforms until the product falls below `exp(-mean)`.
fn poisson_knuth(rng: &mut Rng, mean: f64) -> u64 {
    let limit = (-mean).exp();
    let mut product = unit_open(rng);
    let mut count = 0u64;
    while product > limit {
        count += 1;
        product *= unit_open(rng);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn poisson_mean_and_variance_match() {
        let mut rng = Rng::new(Seed(3));
        for mean in [0.5, 4.0, 75.0] {
            let n = 20_000;
            let draws: Vec<f64> = (0..n).map(|_| poisson(&mut rng, mean) as f64).collect();
            let avg = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - avg).powi(2)).sum::<f64>() / (n - 1) as f64;
            // Standard error of the mean is sqrt(mean / n); allow five of them.
            assert!(
                (avg - mean).abs() < 5.0 * (mean / n as f64).sqrt(),
                "{mean}: {avg}"
            );
            assert!((var / mean - 1.0).abs() < 0.1, "{mean}: {var}");
        }
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
    }

    #[test]
    fn normal_has_unit_spread() {
        let mut rng = Rng::new(Seed(5));
        let n = 40_000;
        let draws: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let avg = draws.iter().sum::<f64>() / n as f64;
        let within_one = draws.iter().filter(|d| d.abs() < 1.0).count() as f64 / n as f64;
        assert!(avg.abs() < 0.03, "{avg}");
        // P(|Z| < 1) = 0.6827; its standard error at n = 40,000 is about 0.0023.
        assert!((within_one - 0.6827).abs() < 0.012, "{within_one}");
    }
}
