//! The statistics of an experiment as GrowthBook's `gbstats` package computes them: per-arm
//! sufficient statistics ([`statistic`]), the Welch and sequential tests ([`frequentist`]), the
//! Bayesian test ([`bayesian`]), sample ratio mismatch ([`srm`]), corrections for many tests
//! ([`multiple`]) and power before a test starts ([`power`]). Special functions come from
//! `sim::special`.

pub mod bayesian;
pub mod frequentist;
pub mod multiple;
pub mod power;
pub mod srm;
pub mod statistic;
