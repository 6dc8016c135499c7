//! Multi-armed bandits: experiments that move traffic toward the better arms while they run.
//!
//! [`arm`] holds each arm's reward statistics; [`epsilon_greedy`], [`ucb1`] and [`beta_thompson`]
//! choose one pull at a time; [`gaussian_thompson`] computes GrowthBook's traffic weights;
//! [`policy`] runs any of them as a [`policy::Bandit`]; [`simulate`] pulls Bernoulli arms and reports
//! the regret curve and each arm's probability of being best.

pub mod arm;
pub mod beta_thompson;
pub mod epsilon_greedy;
pub mod gaussian_thompson;
pub mod policy;
pub mod simulate;
pub mod ucb1;

/// A refused bandit setting or input: what was wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanditError {
    pub message: String,
    pub hint: String,
}

impl BanditError {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> BanditError {
        BanditError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl std::fmt::Display for BanditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}
