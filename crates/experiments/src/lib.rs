//! Flowlab's experiments engine: A/B tests as an experimentation platform runs and reads them,
//! after GrowthBook's SDKs (assignment) and its `gbstats` package (the statistics).
//!
//! The engine depends on the `sim` kernel only; the lab wires it to the rest of the world.
//!
//! Ranker and allocation experiments: [`interleaving`] compares two rankers by team-draft
//! interleaving on simulated users (and counts how many fewer users it needs than an A/B test);
//! [`bandits`] runs epsilon-greedy, UCB1, Bernoulli Thompson sampling and GrowthBook's Gaussian
//! Thompson weights against Bernoulli arms. [`draws`] holds the seeded distributions both draw from.
//!
//! Assignment and analysis: [`assign`] hashes users into variations as GrowthBook's SDKs do
//! (weights, coverage, namespaces, holdouts, sticky bucketing); [`stats`] computes what gbstats
//! computes from each arm's sufficient statistics (Welch, sequential and Bayesian tests, SRM,
//! CUPED, ratio metrics, Holm and Benjamini-Hochberg, power); [`peeking`] simulates A/A tests
//! checked every day to show what peeking costs and what the sequential test saves.

pub mod assign;
pub mod bandits;
pub mod draws;
pub mod interleaving;
mod log_gamma;
pub mod peeking;
pub mod stats;
