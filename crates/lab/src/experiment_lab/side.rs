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

/// Most points of the allocation-over-time series (older points are thinned evenly beyond).
pub const ALLOCATION_POINTS_MAX: usize = 200;

/// Each arm's pulls so far, at the end of an hour.
#[derive(Clone, Debug, PartialEq)]
struct PullCounts {
    pulls: u64,
    per_arm: Vec<u64>,
}

/// What an allocation series shows: GrowthBook's traffic weights (what the policy sets), or for
/// the index and sampling policies, which set no weights, the share of the pulls each arm got
/// between two points (what the policy did).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationKind {
    TrafficWeights,
    PullShares,
}

/// One point of the allocation series: after `pulls` pulls, each arm's weight or share.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocationPoint {
    pub pulls: u64,
    pub shares: Vec<f64>,
}

/// How the bandit split its traffic over time, at most [`ALLOCATION_POINTS_MAX`] points.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocationSeries {
    pub kind: AllocationKind,
    pub points: Vec<AllocationPoint>,
}

/// Keeps every `stride`-th point of a series, and its last one.
fn thin<T: Clone>(series: &[T], max_points: usize) -> Vec<T> {
    let stride = series.len().div_ceil(max_points.max(2) - 1).max(1);
    let mut kept: Vec<T> = series.iter().step_by(stride).cloned().collect();
    if !series.len().saturating_sub(1).is_multiple_of(stride) {
        kept.extend(series.last().cloned());
    }
    kept
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
    /// Pull counts every `count_stride` hours (from hour 0), at most [`ALLOCATION_POINTS_MAX`]:
    /// when full, every other point is dropped and the stride doubles.
    pull_counts: Vec<PullCounts>,
    count_stride: u64,
    hours: u64,
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
            && self.pull_counts == other.pull_counts
            && self.hours == other.hours
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
        pull_counts: vec![PullCounts {
            pulls: 0,
            per_arm: vec![0; arms],
        }],
        count_stride: 1,
        hours: 0,
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
        self.hours += 1;
        self.note_pull_counts();
    }

    fn note_pull_counts(&mut self) {
        if !self.hours.is_multiple_of(self.count_stride) {
            return;
        }
        self.pull_counts.push(PullCounts {
            pulls: self.pulls(),
            per_arm: self.bandit.stats().iter().map(|s| s.pulls).collect(),
        });
        if self.pull_counts.len() > ALLOCATION_POINTS_MAX {
            let mut index = 0;
            self.pull_counts.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.count_stride *= 2;
        }
    }

    /// How the traffic was split over time: GrowthBook's weights at each update (starting equal),
    /// or for the other policies each arm's share of the pulls between consecutive points.
    pub fn allocation_over_time(&self) -> AllocationSeries {
        if matches!(self.policy, BanditPolicy::GrowthBook) {
            let arms = self.rates.len();
            let mut updates = vec![AllocationPoint {
                pulls: 0,
                shares: vec![1.0 / arms as f64; arms],
            }];
            updates.extend(
                self.bandit
                    .weight_history()
                    .iter()
                    .map(|u| AllocationPoint {
                        pulls: u.at_pull,
                        shares: u.weights.clone(),
                    }),
            );
            return AllocationSeries {
                kind: AllocationKind::TrafficWeights,
                points: thin(&updates, ALLOCATION_POINTS_MAX),
            };
        }
        let points = self
            .pull_counts
            .windows(2)
            .filter_map(|pair| {
                let (before, after) = (&pair[0], &pair[1]);
                let pulls = after.pulls.checked_sub(before.pulls).filter(|n| *n > 0)?;
                let shares = after
                    .per_arm
                    .iter()
                    .zip(&before.per_arm)
                    .map(|(a, b)| a.saturating_sub(*b) as f64 / pulls as f64)
                    .collect();
                Some(AllocationPoint {
                    pulls: after.pulls,
                    shares,
                })
            })
            .collect();
        AllocationSeries {
            kind: AllocationKind::PullShares,
            points,
        }
    }

    /// UCB1's index per arm (empirical mean plus its exploration bonus; infinite for an arm not
    /// pulled yet): the arm with the largest is pulled next. None for the other policies.
    pub fn ucb1_indices(&self) -> Option<Vec<f64>> {
        if !matches!(self.policy, BanditPolicy::Ucb1) {
            return None;
        }
        let total = self.pulls();
        Some(
            self.bandit
                .stats()
                .iter()
                .map(|s| match s.mean() {
                    Some(mean) => ucb1::index(mean, s.pulls, total),
                    None => f64::INFINITY,
                })
                .collect(),
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bandit(policy: BanditPolicy, hours: usize) -> BanditView {
        let mut b = start_bandit(policy, &[20, 30, 50], 100, 1).unwrap();
        for _ in 0..hours {
            b.pull_hour();
        }
        b
    }

    #[test]
    fn thinning_keeps_the_ends_and_the_bound() {
        let series: Vec<u32> = (0..1000).collect();
        let kept = thin(&series, 200);
        assert!(kept.len() <= 200, "{}", kept.len());
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&999));
        assert_eq!(thin(&[1, 2, 3], 200), vec![1, 2, 3]);
    }

    #[test]
    fn pull_shares_add_up_and_stay_bounded_over_a_long_run() {
        let b = bandit(BanditPolicy::Ucb1, 1000);
        let series = b.allocation_over_time();
        assert_eq!(series.kind, AllocationKind::PullShares);
        assert!(series.points.len() <= ALLOCATION_POINTS_MAX);
        assert!(series.points.len() >= ALLOCATION_POINTS_MAX / 2);
        assert_eq!(series.points.last().map(|p| p.pulls), Some(b.pulls()));
        for p in &series.points {
            assert!((p.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        // UCB1 ends up pulling the best arm most of the time.
        let last = &series.points[series.points.len() - 1];
        assert!(last.shares[2] > 0.8, "{:?}", last.shares);
        // The same run gives the same series.
        assert_eq!(
            bandit(BanditPolicy::Ucb1, 1000).allocation_over_time(),
            series
        );
    }

    #[test]
    fn growthbook_weights_follow_its_updates() {
        let b = bandit(BanditPolicy::GrowthBook, 300);
        let series = b.allocation_over_time();
        assert_eq!(series.kind, AllocationKind::TrafficWeights);
        assert!(series.points.len() <= ALLOCATION_POINTS_MAX);
        assert_eq!(series.points[0].shares, vec![1.0 / 3.0; 3]);
        let last = series.points.last().unwrap();
        assert_eq!(last.shares.as_slice(), b.weights());
        assert!(last.pulls <= b.pulls() && last.pulls > 0);
    }

    #[test]
    fn ucb1_indices_are_its_formula_and_only_for_ucb1() {
        let b = bandit(BanditPolicy::Ucb1, 3);
        let indices = b.ucb1_indices().unwrap();
        let total = b.pulls() as f64;
        for ((pulls, wins, _), index) in b.arms().iter().zip(&indices) {
            let mean = *wins as f64 / *pulls as f64;
            let expected = mean + (2.0 * total.ln() / *pulls as f64).sqrt();
            assert!((index - expected).abs() < 1e-12);
        }
        assert!(start_bandit(BanditPolicy::Ucb1, &[20, 30], 1, 1)
            .unwrap()
            .ucb1_indices()
            .unwrap()
            .iter()
            .all(|v| v.is_infinite()));
        assert_eq!(bandit(BanditPolicy::Thompson, 3).ucb1_indices(), None);
    }
}
