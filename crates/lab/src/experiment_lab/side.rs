//! The experiments lab's three side experiments, each driven by commands with explicit seeds and
//! sizes so they journal, scrub and share like the rest: the peeking simulator (many A/A tests),
//! a team-draft interleaving comparison of two rankers against an A/B test on the same users,
//! and a bandit that pulls its arms as the clock runs.

use super::command::{BanditPolicy, PEEKING_DRAWS_MAX};
use experiments::bandits::arm::ArmIndex as BanditArm;
use experiments::bandits::beta_thompson::{probability_best, BetaPosterior};
use experiments::bandits::gaussian_thompson::GaussianThompsonConfig;
use experiments::bandits::policy::{Bandit, Policy};
use experiments::bandits::ucb1;
use experiments::draws::bernoulli;
use experiments::interleaving::comparison::{
    user_sessions, users_to_decision, InterleavedSession, RankerComparisonConfig, UserId,
    UsersToDecision,
};
use experiments::peeking::{simulate, FalsePositives, PeekingSetup};
use sim::rng::{Rng, Seed};
use sim::state_hash::StateHasher;

type Refused = (String, String);

/// A finished peeking run.
#[derive(Clone, Debug, PartialEq)]
pub struct PeekingView {
    pub seed: u64,
    pub tests: u32,
    pub days: u32,
    pub users_per_arm_per_day: u32,
    pub false_positives: FalsePositives,
}

/// Checks a peeking run's size before it starts.
pub fn check_peeking(tests: u32, days: u32, users: u32) -> Result<(), Refused> {
    use super::command::{PEEKING_DAYS_MAX, PEEKING_TESTS_MAX, PEEKING_USERS_MAX};
    let fine = (1..=PEEKING_TESTS_MAX).contains(&tests)
        && (1..=PEEKING_DAYS_MAX).contains(&days)
        && (2..=PEEKING_USERS_MAX).contains(&users);
    if !fine {
        return Err((
            format!("{tests} tests of {days} days with {users} users per arm per day cannot run"),
            format!("use 1 to {PEEKING_TESTS_MAX} tests, 1 to {PEEKING_DAYS_MAX} days and 2 to {PEEKING_USERS_MAX} users, such as exp-peeking seed:1 tests:500 days:14 users:200"),
        ));
    }
    let draws = u64::from(tests) * u64::from(days) * u64::from(users);
    if draws > PEEKING_DRAWS_MAX {
        return Err((
            format!("{draws} simulated users is too many for one run"),
            format!("keep tests x days x users at most {PEEKING_DRAWS_MAX}"),
        ));
    }
    Ok(())
}

/// Runs the A/A tests (already checked).
pub fn run_peeking(seed: u64, tests: u32, days: u32, users: u32) -> PeekingView {
    let false_positives = simulate(PeekingSetup {
        seed: Seed(seed),
        tests,
        days,
        users_per_arm_per_day: users,
        alpha: super::analysis::ALPHA,
        tuning: super::analysis::SEQUENTIAL_TUNING,
    });
    PeekingView {
        seed,
        tests,
        days,
        users_per_arm_per_day: users,
        false_positives,
    }
}

/// A finished ranker comparison: both designs' decisions and one user's first session to show.
#[derive(Clone, Debug, PartialEq)]
pub struct InterleavingView {
    pub config: RankerComparisonConfig,
    pub decisions: UsersToDecision,
    pub sample_session: Option<InterleavedSession>,
}

/// The comparison's settings for a seed and the two rankers' noise (hundredths of a grade).
pub fn interleaving_config(
    seed: u64,
    a_noise_centi: u16,
    b_noise_centi: u16,
) -> RankerComparisonConfig {
    RankerComparisonConfig {
        seed: Seed(seed),
        ranker_a_noise_sd_grades: f64::from(a_noise_centi) / 100.0,
        ranker_b_noise_sd_grades: f64::from(b_noise_centi) / 100.0,
        ..RankerComparisonConfig::default()
    }
}

/// Runs the comparison.
pub fn run_interleaving(config: RankerComparisonConfig) -> Result<InterleavingView, Refused> {
    let decisions = users_to_decision(&config)
        .map_err(|e| (e, "give each ranker a noise of 0 to 10 grades".to_string()))?;
    let sample_session = user_sessions(&config, UserId(0)).into_iter().next();
    Ok(InterleavingView {
        config,
        decisions,
        sample_session,
    })
}

/// One point of the regret chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegretPoint {
    pub pulls: u64,
    pub regret: f64,
}

/// A bandit running with the clock.
#[derive(Clone, Debug)]
pub struct BanditView {
    pub policy: BanditPolicy,
    pub label: &'static str,
    pub rates: Vec<f64>,
    pub pulls_per_tick: u32,
    pub seed: u64,
    bandit: Bandit,
    rewards: Rng,
    pub regret: f64,
    pub regret_curve: Vec<RegretPoint>,
    /// P(each arm has the highest rate) under Beta(1 + successes, 1 + failures) posteriors.
    pub probability_best: Vec<f64>,
}

impl PartialEq for BanditView {
    fn eq(&self, other: &Self) -> bool {
        self.policy == other.policy
            && self.rates == other.rates
            && self.pulls_per_tick == other.pulls_per_tick
            && self.seed == other.seed
            && self.bandit.stats() == other.bandit.stats()
            && self.bandit.weights() == other.bandit.weights()
            && self.rewards == other.rewards
            && self.regret == other.regret
            && self.regret_curve == other.regret_curve
    }
}

fn engine_policy(policy: BanditPolicy) -> Policy {
    match policy {
        BanditPolicy::EpsilonGreedy { epsilon_permille } => Policy::EpsilonGreedy {
            epsilon: f64::from(epsilon_permille) / 1000.0,
        },
        BanditPolicy::Ucb1 => Policy::Ucb1,
        BanditPolicy::Thompson => Policy::BernoulliThompson,
        BanditPolicy::GrowthBook => Policy::GaussianThompson(GaussianThompsonConfig::default()),
    }
}

/// A bandit with no pulls yet, or why it cannot run.
pub fn start_bandit(
    policy: BanditPolicy,
    rates_permille: &[u16],
    pulls_per_tick: u32,
    seed: u64,
) -> Result<BanditView, Refused> {
    use super::command::{BANDIT_ARMS_MAX, BANDIT_ARMS_MIN, PULLS_PER_TICK_MAX};
    if !(BANDIT_ARMS_MIN..=BANDIT_ARMS_MAX).contains(&rates_permille.len())
        || rates_permille.iter().any(|r| *r > 1000)
    {
        return Err((
            "a bandit needs 2 to 8 arms, each paying 0% to 100% of the time".into(),
            "such as exp-bandit ucb1 rates:2%,3%,5% pulls:100 seed:1".into(),
        ));
    }
    if !(1..=PULLS_PER_TICK_MAX).contains(&pulls_per_tick) {
        return Err((
            format!("{pulls_per_tick} pulls per hour is not possible"),
            format!("use 1 to {PULLS_PER_TICK_MAX} pulls per hour"),
        ));
    }
    let engine = engine_policy(policy);
    let label = engine.label();
    let bandit =
        Bandit::new(engine, rates_permille.len(), Seed(seed)).map_err(|e| (e.message, e.hint))?;
    let rates: Vec<f64> = rates_permille
        .iter()
        .map(|r| f64::from(*r) / 1000.0)
        .collect();
    let arms = rates.len();
    Ok(BanditView {
        policy,
        label,
        rates,
        pulls_per_tick,
        seed,
        bandit,
        rewards: Rng::new(Seed(seed)).fork("bandit/rewards"),
        regret: 0.0,
        regret_curve: vec![RegretPoint {
            pulls: 0,
            regret: 0.0,
        }],
        probability_best: vec![1.0 / arms as f64; arms],
    })
}

impl BanditView {
    /// One hour of pulls: choose, pay by the arm's rate, record, add up the regret.
    pub fn pull_hour(&mut self) {
        let best = self.rates.iter().copied().fold(0.0, f64::max);
        for _ in 0..self.pulls_per_tick {
            let arm = self.bandit.choose();
            let rate = self.rates.get(arm.0).copied().unwrap_or(0.0);
            let reward = if bernoulli(&mut self.rewards, rate) {
                1.0
            } else {
                0.0
            };
            // The arm came from the bandit itself and the reward is 0 or 1: nothing to refuse.
            let _ = self.bandit.record(BanditArm(arm.0), reward);
            self.regret += best - rate;
        }
        self.regret_curve.push(RegretPoint {
            pulls: self.pulls(),
            regret: self.regret,
        });
        let posteriors: Vec<BetaPosterior> = self
            .bandit
            .stats()
            .iter()
            .map(BetaPosterior::from_stats)
            .collect();
        self.probability_best = probability_best(&posteriors);
    }

    pub fn pulls(&self) -> u64 {
        self.bandit.total_pulls()
    }

    /// Pulls, successes and the posterior mean per arm.
    pub fn arms(&self) -> Vec<(u64, u64, f64)> {
        self.bandit
            .stats()
            .iter()
            .map(|s| {
                (
                    s.pulls,
                    s.reward_sum.round() as u64,
                    BetaPosterior::from_stats(s).mean(),
                )
            })
            .collect()
    }

    /// The traffic weights of GrowthBook's policy (equal for the index policies).
    pub fn weights(&self) -> &[f64] {
        self.bandit.weights()
    }

    /// UCB1's expected-regret bound at the pulls so far (Auer et al. 2002, theorem 1).
    pub fn ucb1_bound(&self) -> f64 {
        ucb1::regret_bound(&self.rates, self.pulls())
    }

    /// The arm with the highest true rate (the first of equals).
    fn best_arm(&self) -> usize {
        self.rates
            .iter()
            .enumerate()
            .fold(
                (0, f64::MIN),
                |acc, (i, r)| if *r > acc.1 { (i, *r) } else { acc },
            )
            .0
    }

    /// The share of pulls that went to the best arm.
    pub fn best_arm_share(&self) -> f64 {
        let best = self.best_arm();
        let pulls = self.pulls();
        if pulls == 0 {
            return 0.0;
        }
        self.bandit.stats().get(best).map_or(0, |s| s.pulls) as f64 / pulls as f64
    }

    /// The probability the truly best arm is best, by the posteriors.
    pub fn best_arm_probability(&self) -> f64 {
        let best = self.best_arm();
        self.probability_best.get(best).copied().unwrap_or(0.0)
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.seed);
        hasher.u64(u64::from(self.pulls_per_tick));
        for s in self.bandit.stats() {
            hasher.u64(s.pulls);
            hasher.u64(s.reward_sum.to_bits());
        }
        for w in self.bandit.weights() {
            hasher.u64(w.to_bits());
        }
        for word in self.rewards.state_words() {
            hasher.u64(word);
        }
        hasher.u64(self.regret.to_bits());
    }
}
