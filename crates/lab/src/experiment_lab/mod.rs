//! The experiments engine in the lab (the `experiments` preset): an A/B test on a stream of
//! simulated users, read every hour as GrowthBook reads one, beside three side experiments
//! (peeking, interleaving, a bandit).
//!
//! One lab tick is one hour of experiment time. Each tick users arrive (a seeded Poisson stream),
//! are hashed into arms by GrowthBook's hash v2 with the experiment's key, weights, coverage,
//! namespace and holdout, and report their outcome (see [`world`]); the per-arm sufficient
//! statistics are updated and the results table recomputed (see [`analysis`]). Faults are lab
//! settings: a logging bug losing a share of one arm's users (an SRM), weights or the key changed
//! mid-test with or without sticky bucketing (without it, users switch arms and are left out of
//! the analysis, as platforms drop users exposed to several variations), a second experiment in
//! the same namespace, a holdout.

pub mod analysis;
pub mod command;
pub mod glue;
pub mod side;
pub mod world;

use analysis::{analyse, ArmSums, Reading, Results};
use command::{
    arm_name, ArmIndex, Correction, Engine, ExpMetric, ExperimentCommand, ExperimentEvent,
    LiftKind, ARMS_MAX, HOLDOUT_PERCENT_MAX, KEY_LEN_MAX, LIFT_PERMILLE_MAX, LIFT_PERMILLE_MIN,
    NOISE_CENTI_MAX, PLANNED_DAYS_MAX, USERS_PER_HOUR_MAX,
};
use experiments::assign::{
    bucket, bucket_ranges, choose_variation, in_namespace, BucketRange, Experiment, HashVersion,
    Holdout, Namespace,
};
use experiments::stats::power::Plan;
use side::{BanditView, InterleavingView, PeekingView};
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::VecDeque;
use world::{user_outcome, ArmLifts, UserNumber};

/// Experiment time per lab tick: one hour.
pub const HOURS_PER_DAY: u64 = 24;
/// The namespace the experiment and its neighbour share.
pub const NAMESPACE: &str = "checkout";
/// The other experiment in the namespace (or, without one, running on everyone).
pub const OTHER_EXPERIMENT_KEY: &str = "search-ranking";
/// The holdout's hash seed.
pub const HOLDOUT_KEY: &str = "holdout";
/// The key when the lab starts.
pub const START_KEY: &str = "checkout-button";
/// Arrivals per hour when the lab starts.
pub const START_USERS_PER_HOUR: u32 = 400;
/// The treatment's true effect on purchase when the lab starts, in thousandths.
pub const START_PURCHASE_LIFT_PERMILLE: i32 = 50;
/// Users one phase may hold; arrivals stop beyond.
pub const USERS_MAX: usize = 250_000;
/// Placed users kept for the allocation view.
pub const RECENT_USERS_MAX: usize = 40;
/// The power the MDE is computed for.
pub const PLANNED_POWER: f64 = 0.8;

type Refused = (String, String);

/// Status of an arrived user who is not in an arm's statistics.
const LEFT_OUT: u8 = 0xFF;
const LOST: u8 = 0xFE;
const SWITCHED: u8 = 0xFD;

/// Everything the learner set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    pub key: String,
    pub weights_percent: Vec<u8>,
    pub coverage_percent: u8,
    pub namespace_percent: Option<(u8, u8)>,
    pub holdout_percent: u8,
    pub sticky: bool,
    pub users_per_hour: u32,
    /// True relative effects by arm (control's are zero), in thousandths per metric.
    pub lifts: Vec<ArmLifts>,
    pub lost_logs: Option<(ArmIndex, u8)>,
    pub engine: Engine,
    pub cuped: bool,
    pub lift: LiftKind,
    pub correction: Correction,
    pub planned_days: u16,
}

impl Setup {
    fn start() -> Setup {
        Setup {
            key: START_KEY.into(),
            weights_percent: vec![50, 50],
            coverage_percent: 100,
            namespace_percent: None,
            holdout_percent: 0,
            sticky: false,
            users_per_hour: START_USERS_PER_HOUR,
            lifts: vec![[0; 4], [START_PURCHASE_LIFT_PERMILLE, 0, 0, 0]],
            lost_logs: None,
            engine: Engine::Frequentist,
            cuped: false,
            lift: LiftKind::Relative,
            correction: Correction::None,
            planned_days: 14,
        }
    }

    pub fn arms(&self) -> usize {
        self.weights_percent.len()
    }

    fn weights(&self) -> Vec<f64> {
        self.weights_percent
            .iter()
            .map(|w| f64::from(*w) / 100.0)
            .collect()
    }

    /// The experiment as GrowthBook's SDK is given it.
    pub fn experiment(&self) -> Experiment {
        Experiment {
            seed: self.key.clone(),
            weights: self.weights(),
            coverage: f64::from(self.coverage_percent) / 100.0,
            namespace: self.namespace_percent.map(|(start, end)| Namespace {
                id: NAMESPACE.into(),
                range: percent_range(start, end),
            }),
            version: HashVersion::V2,
        }
    }

    /// The neighbouring experiment: the rest of the namespace, or everyone without one.
    pub fn other_experiment(&self) -> Experiment {
        Experiment {
            seed: OTHER_EXPERIMENT_KEY.into(),
            weights: vec![0.5, 0.5],
            coverage: 1.0,
            namespace: self.namespace_percent.map(|(start, end)| Namespace {
                id: NAMESPACE.into(),
                range: if end < 100 {
                    percent_range(end, 100)
                } else {
                    percent_range(0, start)
                },
            }),
            version: HashVersion::V2,
        }
    }

    /// The holdout, when it holds anyone out.
    fn holdout(&self) -> Option<Holdout> {
        (self.holdout_percent > 0).then(|| Holdout {
            seed: HOLDOUT_KEY.into(),
            share: f64::from(self.holdout_percent) / 100.0,
        })
    }

    fn reading(&self) -> Reading {
        Reading {
            engine: self.engine,
            cuped: self.cuped,
            lift: self.lift,
            correction: self.correction,
        }
    }
}

fn percent_range(start: u8, end: u8) -> BucketRange {
    BucketRange {
        start: f64::from(start) / 100.0,
        end: f64::from(end) / 100.0,
    }
}

/// The SDK's view of a setup, built once and used for many users.
pub struct Assigner {
    experiment: Experiment,
    ranges: Vec<BucketRange>,
    other: Experiment,
    holdout: Option<Holdout>,
}

impl Assigner {
    pub fn new(setup: &Setup) -> Assigner {
        let experiment = setup.experiment();
        Assigner {
            ranges: bucket_ranges(
                experiment.weights.len(),
                experiment.coverage,
                &experiment.weights,
            ),
            experiment,
            other: setup.other_experiment(),
            holdout: setup.holdout(),
        }
    }

    /// Where `user` lands.
    pub fn place(&self, user: &str) -> Placement {
        if self.holdout.as_ref().is_some_and(|h| h.holds_out(user)) {
            return Placement::HeldOut;
        }
        if let Some(namespace) = &self.experiment.namespace {
            if !in_namespace(user, namespace) {
                return Placement::OutsideNamespace;
            }
        }
        self.arm_of_bucket(bucket(&self.experiment.seed, user, HashVersion::V2))
    }

    /// The arm whose range holds `bucket` (for a user already past the holdout and namespace).
    fn arm_of_bucket(&self, bucket: f64) -> Placement {
        match choose_variation(bucket, &self.ranges) {
            Some(arm) => Placement::Arm(ArmIndex(arm as u8)),
            None => Placement::OutsideCoverage,
        }
    }

    /// Whether `user` is in the neighbouring experiment (held-out users are in none).
    fn in_other(&self, user: &str, placement: Placement) -> bool {
        placement != Placement::HeldOut && self.other.assign(user).is_some()
    }
}

/// Where a user landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Arm(ArmIndex),
    HeldOut,
    OutsideNamespace,
    OutsideCoverage,
}

/// Headcounts of the current phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    pub arrived: u64,
    /// Hashed into an arm (analysed, lost or switched).
    pub in_experiment: u64,
    pub holdout: u64,
    pub outside: u64,
    pub lost: u64,
    pub switched: u64,
    pub other_experiment: u64,
    pub overlap: u64,
    /// Changes of the weights while the phase had users.
    pub weight_changes: u64,
}

/// A recent arrival, for the allocation view.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedUser {
    pub id: String,
    pub bucket: f64,
    pub placement: Placement,
}

/// Power and MDE for the planned duration, on purchase.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PowerView {
    pub planned_users_per_arm: f64,
    /// The relative lift detected with 80% power.
    pub mde_relative: f64,
    /// The chance to detect the treatment's true purchase effect.
    pub power_at_true_effect: f64,
    /// The plan on purchase's absolute rate, and the base rate; None when no users are planned.
    plan: Option<(Plan, f64)>,
}

/// Points on the power curve.
pub const POWER_CURVE_POINTS: usize = 60;

impl PowerView {
    /// The chance the planned test detects a true relative lift on purchase (None without a plan).
    pub fn power_at_relative_lift(&self, lift: f64) -> Option<f64> {
        self.plan.map(|(plan, rate)| plan.power(rate * lift))
    }

    /// The power curve from no lift up to `top`: (relative lift, power), evenly spaced; empty
    /// without a plan.
    pub fn curve(&self, top: f64) -> Vec<(f64, f64)> {
        (0..=POWER_CURVE_POINTS)
            .filter_map(|i| {
                let lift = top * i as f64 / POWER_CURVE_POINTS as f64;
                self.power_at_relative_lift(lift).map(|p| (lift, p))
            })
            .collect()
    }

    /// A curve's right end: past two and a half MDEs and the true lift, so both show.
    pub fn curve_top(&self, true_lift: f64) -> f64 {
        let mde = if self.mde_relative.is_finite() {
            self.mde_relative
        } else {
            0.0
        };
        (mde * 2.5).max(true_lift.abs() * 1.2).max(1e-3)
    }
}

/// Purchase for the treatment at the end of a day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryPoint {
    pub hour: u64,
    pub p_value: f64,
    pub expected: f64,
    pub ci: [f64; 2],
    pub chance_to_win: f64,
    pub srm_p_value: f64,
}

/// The highest and lowest chance to win purchase showed for the treatment at any hourly look of
/// the current phase: what a team stopping at the first look past 95% (or below 5%) would have
/// seen, whatever the test shows at its end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChanceExtremes {
    pub lowest: f64,
    pub highest: f64,
}

impl ChanceExtremes {
    /// No look yet: gbstats' default chance to win, one half.
    const UNSEEN: ChanceExtremes = ChanceExtremes {
        lowest: 0.5,
        highest: 0.5,
    };

    fn look(&mut self, chance_to_win: f64) {
        if chance_to_win.is_finite() {
            self.lowest = self.lowest.min(chance_to_win);
            self.highest = self.highest.max(chance_to_win);
        }
    }
}

/// A stretch of arrivals under one set of weights and effects.
#[derive(Clone, Debug, PartialEq)]
struct Epoch {
    first_user: u32,
    weights: Vec<f64>,
    lifts: Vec<ArmLifts>,
    /// Users of this epoch in the statistics now.
    analysed: u64,
}

/// The experiments lab.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentLab {
    world_seed: u64,
    arrivals: Rng,
    hours: u64,
    phase_start_hour: u64,
    setup: Setup,
    /// Per arrived user (number - 1): its arm, or why it is not in the statistics.
    users: Vec<u8>,
    epochs: Vec<Epoch>,
    sums: Vec<ArmSums>,
    counts: Counts,
    recent: VecDeque<PlacedUser>,
    results: Results,
    power: PowerView,
    history: Vec<HistoryPoint>,
    chance_extremes: ChanceExtremes,
    /// Changes of a true effect while the phase had users (the test is then no clean A/A or A/B).
    effect_changes: u64,
    peeking: Option<PeekingView>,
    interleaving: Option<InterleavingView>,
    /// The comparison before the last one, to set the last one against.
    previous_interleaving: Option<InterleavingView>,
    bandit: Option<BanditView>,
    /// New phases started by a restart.
    restarts: u64,
}

impl Eq for ExperimentLab {}

fn refuse<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, Refused> {
    Err((message.into(), hint.into()))
}

impl ExperimentLab {
    /// The lab at hour 0 with the starting setup.
    pub fn new(rng: Rng) -> ExperimentLab {
        let setup = Setup::start();
        let mut lab = ExperimentLab {
            world_seed: rng.fork("experiment/world").next_u64(),
            arrivals: rng.fork("experiment/arrivals"),
            hours: 0,
            phase_start_hour: 0,
            users: Vec::new(),
            epochs: Vec::new(),
            sums: Vec::new(),
            counts: Counts::default(),
            recent: VecDeque::new(),
            results: Results {
                srm_p_value: 1.0,
                srm_flagged: false,
                expected_shares: Vec::new(),
                rows: Vec::new(),
            },
            power: PowerView::default(),
            history: Vec::new(),
            chance_extremes: ChanceExtremes::UNSEEN,
            effect_changes: 0,
            peeking: None,
            interleaving: None,
            previous_interleaving: None,
            bandit: None,
            restarts: 0,
            setup,
        };
        lab.clear_phase();
        lab
    }

    fn clear_phase(&mut self) {
        self.phase_start_hour = self.hours;
        self.users.clear();
        self.epochs = vec![self.epoch()];
        self.sums = vec![ArmSums::default(); self.setup.arms()];
        self.counts = Counts::default();
        self.recent.clear();
        self.history.clear();
        self.chance_extremes = ChanceExtremes::UNSEEN;
        self.effect_changes = 0;
        self.reanalyse();
    }

    fn epoch(&self) -> Epoch {
        Epoch {
            first_user: self.users.len() as u32 + 1,
            weights: self.setup.weights(),
            lifts: self.setup.lifts.clone(),
            analysed: 0,
        }
    }

    /// Starts a new epoch when the weights or the effects changed.
    fn note_epoch(&mut self) {
        let next = self.epoch();
        match self.epochs.last_mut() {
            Some(last) if last.first_user == next.first_user => {
                last.weights = next.weights;
                last.lifts = next.lifts;
            }
            _ => self.epochs.push(next),
        }
    }

    fn epoch_of(&self, user: UserNumber) -> usize {
        self.epochs
            .partition_point(|e| e.first_user <= user.0)
            .saturating_sub(1)
    }

    fn arrive_one(&mut self, assigner: &Assigner, recent: bool) {
        let number = UserNumber(self.users.len() as u32 + 1);
        let id = number.id();
        let placement = assigner.place(&id);
        self.counts.arrived += 1;
        let in_other = assigner.in_other(&id, placement);
        self.counts.other_experiment += u64::from(in_other);
        let status = match placement {
            Placement::HeldOut => {
                self.counts.holdout += 1;
                LEFT_OUT
            }
            Placement::OutsideNamespace | Placement::OutsideCoverage => {
                self.counts.outside += 1;
                LEFT_OUT
            }
            Placement::Arm(arm) => {
                self.counts.in_experiment += 1;
                self.counts.overlap += u64::from(in_other);
                let lost = self.setup.lost_logs.is_some_and(|(lost_arm, percent)| {
                    lost_arm == arm && world::lost_from_logs(self.world_seed, number, percent)
                });
                if lost {
                    self.counts.lost += 1;
                    LOST
                } else {
                    self.account(number, arm, 1.0);
                    arm.0
                }
            }
        };
        self.users.push(status);
        if !recent {
            return;
        }
        if self.recent.len() == RECENT_USERS_MAX {
            self.recent.pop_front();
        }
        self.recent.push_back(PlacedUser {
            bucket: bucket(&self.setup.key, &id, HashVersion::V2),
            id,
            placement,
        });
    }

    /// Adds (`sign` 1) or removes (-1) a user's outcome in `arm` to the statistics.
    fn account(&mut self, user: UserNumber, arm: ArmIndex, sign: f64) {
        let e = self.epoch_of(user);
        let lifts = self.epochs[e]
            .lifts
            .get(usize::from(arm.0))
            .copied()
            .unwrap_or([0; 4]);
        let outcome = user_outcome(self.world_seed, user, &lifts);
        if let Some(sums) = self.sums.get_mut(usize::from(arm.0)) {
            sums.add(&outcome, sign);
        }
        if sign > 0.0 {
            self.epochs[e].analysed += 1;
        } else {
            self.epochs[e].analysed -= 1;
        }
    }

    fn arrive_hour(&mut self) {
        let arrivals = world::poisson(&mut self.arrivals, f64::from(self.setup.users_per_hour));
        let room = USERS_MAX.saturating_sub(self.users.len()) as u64;
        let arrivals = arrivals.min(room);
        let assigner = Assigner::new(&self.setup);
        for i in 0..arrivals {
            self.arrive_one(&assigner, arrivals - i <= RECENT_USERS_MAX as u64);
        }
    }

    /// After an assignment change without sticky bucketing: users whose arm changed saw two
    /// variations and leave the analysis. Returns how many.
    fn switch_users(&mut self, before: &Setup) -> u64 {
        if self.setup.sticky || self.users.is_empty() {
            return 0;
        }
        let (old_sdk, new_sdk) = (Assigner::new(before), Assigner::new(&self.setup));
        // Same key, namespace and holdout: an analysed user passed both already, so one hash
        // and the two sets of ranges decide.
        let ranges_only = before.key == self.setup.key
            && before.namespace_percent == self.setup.namespace_percent
            && before.holdout_percent == self.setup.holdout_percent;
        let mut switched = 0;
        for index in 0..self.users.len() {
            let status = self.users[index];
            if usize::from(status) >= ARMS_MAX {
                continue;
            }
            let number = UserNumber(index as u32 + 1);
            let id = number.id();
            let (old, new) = if ranges_only {
                let b = bucket(&self.setup.key, &id, HashVersion::V2);
                (old_sdk.arm_of_bucket(b), new_sdk.arm_of_bucket(b))
            } else {
                (old_sdk.place(&id), new_sdk.place(&id))
            };
            if let (Placement::Arm(_), Placement::Arm(b)) = (old, new) {
                if b.0 != status {
                    self.account(number, ArmIndex(status), -1.0);
                    self.users[index] = SWITCHED;
                    switched += 1;
                }
            }
        }
        self.counts.switched += switched;
        switched
    }

    fn reanalyse(&mut self) {
        let arms = self.setup.arms();
        let mut weight_sums = vec![0.0; arms];
        for epoch in &self.epochs {
            for (sum, w) in weight_sums.iter_mut().zip(&epoch.weights) {
                *sum += epoch.analysed as f64 * w;
            }
        }
        self.results = analyse(
            &self.sums,
            &weight_sums,
            &self.setup.reading(),
            &self.setup.lifts,
        );
        self.power = self.plan_power();
    }

    fn plan_power(&self) -> PowerView {
        let s = &self.setup;
        let namespace_share = s.namespace_percent.map_or(1.0, |(start, end)| {
            f64::from(end.saturating_sub(start)) / 100.0
        });
        let eligible = f64::from(s.users_per_hour)
            * HOURS_PER_DAY as f64
            * f64::from(s.planned_days)
            * (1.0 - f64::from(s.holdout_percent) / 100.0)
            * namespace_share
            * f64::from(s.coverage_percent)
            / 100.0;
        let smallest = s.weights_percent.iter().take(2).copied().min().unwrap_or(0);
        let per_arm = eligible * f64::from(smallest) / 100.0;
        let rate = world::BASE_PURCHASE_RATE;
        if per_arm < 2.0 {
            return PowerView {
                planned_users_per_arm: per_arm,
                mde_relative: f64::INFINITY,
                power_at_true_effect: 0.0,
                plan: None,
            };
        }
        let plan = Plan {
            variance: rate * (1.0 - rate),
            units_per_arm: per_arm,
            alpha: analysis::ALPHA,
        };
        let true_lift = s.lifts.get(1).map_or(0, |l| l[0]);
        PowerView {
            planned_users_per_arm: per_arm,
            mde_relative: plan.minimum_detectable_effect(PLANNED_POWER) / rate,
            power_at_true_effect: plan.power(rate * f64::from(true_lift) / 1000.0),
            plan: Some((plan, rate)),
        }
    }

    /// Checks a command against the current state without changing anything.
    pub fn validate(&self, command: &ExperimentCommand) -> Result<(), Refused> {
        let arms = self.setup.arms();
        let known_arm = |arm: ArmIndex, hint: &str| -> Result<(), Refused> {
            if arm.0 == 0 || usize::from(arm.0) >= arms {
                return refuse(
                    format!("there is no treatment arm {}", arm.0),
                    format!("this test's treatment arms are 1 to {}; {hint}", arms - 1),
                );
            }
            Ok(())
        };
        match command {
            ExperimentCommand::SetKey { key } => {
                let fine = !key.is_empty()
                    && key.len() <= KEY_LEN_MAX
                    && key.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                if !fine {
                    return refuse(
                        format!("\"{key}\" is not an experiment key"),
                        "use 1 to 40 of a-z, 0-9, - and _, such as checkout-2026",
                    );
                }
            }
            ExperimentCommand::SetWeights { weights_percent } => {
                let sum: u32 = weights_percent.iter().map(|w| u32::from(*w)).sum();
                if !(2..=ARMS_MAX).contains(&weights_percent.len()) || sum != 100 {
                    return refuse(
                        "the weights must be 2 to 4 percentages that add up to 100",
                        "such as exp-weights 50 50 or exp-weights 20 40 40",
                    );
                }
                if weights_percent.len() != arms && self.counts.arrived > 0 {
                    return refuse(
                        "the number of arms cannot change while the test runs",
                        "restart the test first (exp-restart), then set the new weights",
                    );
                }
            }
            ExperimentCommand::SetCoverage { percent } => {
                if *percent == 0 || *percent > 100 {
                    return refuse(
                        format!("a coverage of {percent}% is not possible"),
                        "give 1 to 100 percent of users, such as exp-coverage 80",
                    );
                }
            }
            ExperimentCommand::SetNamespace { range_percent } => {
                if let Some((start, end)) = range_percent {
                    if start >= end || *end > 100 || (*start == 0 && *end == 100) {
                        return refuse(
                            "a namespace slice is start-end within 0-100, leaving room for the other experiment",
                            "such as exp-namespace 0-50",
                        );
                    }
                }
            }
            ExperimentCommand::SetHoldout { percent } => {
                if *percent > HOLDOUT_PERCENT_MAX {
                    return refuse(
                        format!("a holdout of {percent}% is too large"),
                        format!("hold out 0 to {HOLDOUT_PERCENT_MAX} percent of users"),
                    );
                }
            }
            ExperimentCommand::SetTraffic { users_per_hour } => {
                if *users_per_hour > USERS_PER_HOUR_MAX {
                    return refuse(
                        format!("{users_per_hour} users per hour is more than the lab simulates"),
                        format!("use 0 to {USERS_PER_HOUR_MAX} users per hour"),
                    );
                }
            }
            ExperimentCommand::SetEffect {
                arm, lift_permille, ..
            } => {
                known_arm(*arm, "such as exp-effect purchase treatment +5%")?;
                if !(LIFT_PERMILLE_MIN..=LIFT_PERMILLE_MAX).contains(lift_permille) {
                    return refuse(
                        "a true effect runs from -50% to +100%",
                        "such as exp-effect revenue treatment +3%",
                    );
                }
            }
            ExperimentCommand::LoseLogs { arm, percent } => {
                if *percent > 0 {
                    known_arm(*arm, "such as exp-lose-logs treatment 10%")?;
                }
                if *percent > 100 {
                    return refuse("a share above 100% is not possible", "such as 10%");
                }
            }
            ExperimentCommand::SetPlannedDays { days } => {
                if *days == 0 || *days > PLANNED_DAYS_MAX {
                    return refuse(
                        format!("a plan of {days} days is not possible"),
                        format!("plan 1 to {PLANNED_DAYS_MAX} days"),
                    );
                }
            }
            ExperimentCommand::RunPeeking {
                tests,
                days,
                users_per_arm_per_day,
                ..
            } => side::check_peeking(*tests, *days, *users_per_arm_per_day)?,
            ExperimentCommand::RunInterleaving {
                ranker_a_noise_centi,
                ranker_b_noise_centi,
                ..
            } => {
                if *ranker_a_noise_centi > NOISE_CENTI_MAX
                    || *ranker_b_noise_centi > NOISE_CENTI_MAX
                {
                    return refuse(
                        "a ranker's noise runs from 0 to 10 grades",
                        "such as exp-interleave seed:1 a-noise:1.2 b-noise:1.0",
                    );
                }
            }
            ExperimentCommand::StartBandit {
                policy,
                arm_rates_permille,
                pulls_per_tick,
                seed,
            } => {
                side::start_bandit(*policy, arm_rates_permille, *pulls_per_tick, *seed)?;
            }
            ExperimentCommand::StopBandit => {
                if self.bandit.is_none() {
                    return refuse("no bandit is running", "start one with exp-bandit");
                }
            }
            ExperimentCommand::SetSticky { .. }
            | ExperimentCommand::SetEngine(_)
            | ExperimentCommand::SetCuped { .. }
            | ExperimentCommand::SetLift(_)
            | ExperimentCommand::SetCorrection(_)
            | ExperimentCommand::Restart => {}
        }
        Ok(())
    }

    /// Applies a command at the current hour. On refusal nothing changes.
    pub fn apply(&mut self, command: &ExperimentCommand) -> Result<Vec<ExperimentEvent>, Refused> {
        self.validate(command)?;
        let text = self.apply_valid(command)?;
        self.reanalyse();
        Ok(vec![ExperimentEvent {
            hour: self.hours,
            text,
        }])
    }

    /// Changes the assignment and reports the users who switched arms.
    fn reassign(&mut self, change: impl FnOnce(&mut Setup), what: String) -> String {
        let before = self.setup.clone();
        change(&mut self.setup);
        self.note_epoch();
        let switched = self.switch_users(&before);
        if self.users.is_empty() {
            what
        } else if self.setup.sticky {
            format!("{what} (sticky bucketing keeps users in their arm)")
        } else {
            format!("{what}: {switched} users switched arms and leave the analysis")
        }
    }

    fn apply_valid(&mut self, command: &ExperimentCommand) -> Result<String, Refused> {
        Ok(match command {
            ExperimentCommand::SetKey { key } => {
                let key = key.clone();
                self.reassign(|s| s.key = key.clone(), format!("key set to {key}"))
            }
            ExperimentCommand::SetWeights { weights_percent } => {
                let text = format!("weights set to {}", glue::weights_text(weights_percent));
                if weights_percent.len() != self.setup.arms() {
                    self.setup.weights_percent = weights_percent.clone();
                    self.setup.lifts.resize(weights_percent.len(), [0; 4]);
                    self.clear_phase();
                    text
                } else {
                    let weights = weights_percent.clone();
                    if !self.users.is_empty() && weights != self.setup.weights_percent {
                        self.counts.weight_changes += 1;
                    }
                    self.reassign(|s| s.weights_percent = weights, text)
                }
            }
            ExperimentCommand::SetCoverage { percent } => {
                let p = *percent;
                self.reassign(|s| s.coverage_percent = p, format!("coverage set to {p}%"))
            }
            ExperimentCommand::SetNamespace { range_percent } => {
                let range = *range_percent;
                let what = match range {
                    Some((start, end)) => {
                        format!("namespace {NAMESPACE}: this test takes {start}-{end}%")
                    }
                    None => "namespace removed: both experiments see everyone".into(),
                };
                self.reassign(|s| s.namespace_percent = range, what)
            }
            ExperimentCommand::SetHoldout { percent } => {
                let p = *percent;
                self.reassign(|s| s.holdout_percent = p, format!("holdout set to {p}%"))
            }
            ExperimentCommand::SetSticky { on } => {
                self.setup.sticky = *on;
                format!("sticky bucketing {}", if *on { "on" } else { "off" })
            }
            ExperimentCommand::SetTraffic { users_per_hour } => {
                self.setup.users_per_hour = *users_per_hour;
                format!("traffic set to {users_per_hour} users per hour")
            }
            ExperimentCommand::SetEffect {
                metric,
                arm,
                lift_permille,
            } => {
                let m = ExpMetric::ALL.iter().position(|x| x == metric).unwrap_or(0);
                if let Some(lifts) = self.setup.lifts.get_mut(usize::from(arm.0)) {
                    if !self.users.is_empty() && lifts[m] != *lift_permille {
                        self.effect_changes += 1;
                    }
                    lifts[m] = *lift_permille;
                }
                self.note_epoch();
                format!(
                    "true effect of {} on {}: {}",
                    arm_name(*arm),
                    metric.as_str(),
                    glue::permille_text(*lift_permille)
                )
            }
            ExperimentCommand::LoseLogs { arm, percent } => {
                if *percent == 0 {
                    self.setup.lost_logs = None;
                    "the logging bug is fixed".into()
                } else {
                    self.setup.lost_logs = Some((*arm, *percent));
                    format!(
                        "{percent}% of {}'s new users are lost from the logs",
                        arm_name(*arm)
                    )
                }
            }
            ExperimentCommand::SetEngine(engine) => {
                self.setup.engine = *engine;
                format!("results read by the {} engine", engine.as_str())
            }
            ExperimentCommand::SetCuped { on } => {
                self.setup.cuped = *on;
                format!("CUPED {}", if *on { "on" } else { "off" })
            }
            ExperimentCommand::SetLift(kind) => {
                self.setup.lift = *kind;
                format!("{} lift", kind.as_str())
            }
            ExperimentCommand::SetCorrection(correction) => {
                self.setup.correction = *correction;
                format!("multiple-comparison correction: {}", correction.as_str())
            }
            ExperimentCommand::SetPlannedDays { days } => {
                self.setup.planned_days = *days;
                format!("planned duration {days} days")
            }
            ExperimentCommand::Restart => {
                self.restarts += 1;
                self.clear_phase();
                "new phase: users and statistics cleared".into()
            }
            ExperimentCommand::RunPeeking {
                seed,
                tests,
                days,
                users_per_arm_per_day,
            } => {
                let view = side::run_peeking(*seed, *tests, *days, *users_per_arm_per_day);
                let text = glue::peeking_text(&view);
                self.peeking = Some(view);
                text
            }
            ExperimentCommand::RunInterleaving {
                seed,
                ranker_a_noise_centi,
                ranker_b_noise_centi,
            } => {
                let config =
                    side::interleaving_config(*seed, *ranker_a_noise_centi, *ranker_b_noise_centi);
                let view = side::run_interleaving(config)?;
                let text = glue::interleaving_text(&view);
                self.previous_interleaving = self.interleaving.replace(view);
                text
            }
            ExperimentCommand::StartBandit {
                policy,
                arm_rates_permille,
                pulls_per_tick,
                seed,
            } => {
                let view = side::start_bandit(*policy, arm_rates_permille, *pulls_per_tick, *seed)?;
                let text = format!("bandit {} started on {} arms", view.label, view.rates.len());
                self.bandit = Some(view);
                text
            }
            ExperimentCommand::StopBandit => {
                self.bandit = None;
                "bandit stopped".into()
            }
        })
    }

    /// One hour: users arrive, the bandit pulls, the results are read again.
    pub fn tick(&mut self) -> Vec<ExperimentEvent> {
        let srm_before = self.results.srm_flagged;
        let full_before = self.users.len() >= USERS_MAX;
        self.arrive_hour();
        if let Some(bandit) = &mut self.bandit {
            bandit.pull_hour();
        }
        self.hours += 1;
        self.reanalyse();
        if let Some(row) = self.results.row(ExpMetric::Purchase, ArmIndex(1)) {
            self.chance_extremes.look(row.chance_to_win);
        }
        let mut events = Vec::new();
        if !full_before && self.users.len() >= USERS_MAX {
            events.push(ExperimentEvent {
                hour: self.hours,
                text: format!(
                    "the phase holds {USERS_MAX} users: no more arrive until exp-restart"
                ),
            });
        }
        if self.results.srm_flagged && !srm_before {
            events.push(ExperimentEvent {
                hour: self.hours,
                text: format!(
                    "sample ratio mismatch: p = {} is below 0.001",
                    glue::p_text(self.results.srm_p_value)
                ),
            });
        }
        if (self.hours - self.phase_start_hour).is_multiple_of(HOURS_PER_DAY) {
            if let Some(row) = self.results.row(ExpMetric::Purchase, ArmIndex(1)) {
                self.history.push(HistoryPoint {
                    hour: self.hours - self.phase_start_hour,
                    p_value: row.p_value,
                    expected: row.expected,
                    ci: row.ci,
                    chance_to_win: row.chance_to_win,
                    srm_p_value: self.results.srm_p_value,
                });
                events.push(ExperimentEvent {
                    hour: self.hours,
                    text: glue::day_text(self),
                });
            }
        }
        events
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Hours since the current phase started.
    pub fn hours(&self) -> u64 {
        self.hours - self.phase_start_hour
    }

    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Users in each arm's statistics.
    pub fn analysed_per_arm(&self) -> Vec<u64> {
        self.sums.iter().map(|s| s.users).collect()
    }

    /// Each arm's sufficient statistics.
    pub fn arm_sums(&self) -> &[ArmSums] {
        &self.sums
    }

    /// Each arm's bucket range, as GrowthBook's SDK cuts [0, 1).
    pub fn bucket_ranges(&self) -> Vec<(f64, f64)> {
        let e = self.setup.experiment();
        experiments::assign::bucket_ranges(e.weights.len(), e.coverage, &e.weights)
            .into_iter()
            .map(|r| (r.start, r.end))
            .collect()
    }

    /// This test's slice of the namespace, if it has one.
    pub fn namespace_range(&self) -> Option<(f64, f64)> {
        self.setup
            .namespace_percent
            .map(|(start, end)| (f64::from(start) / 100.0, f64::from(end) / 100.0))
    }

    pub fn recent_users(&self) -> impl DoubleEndedIterator<Item = &PlacedUser> + ExactSizeIterator {
        self.recent.iter()
    }

    pub fn results(&self) -> &Results {
        &self.results
    }

    pub fn power(&self) -> &PowerView {
        &self.power
    }

    pub fn history(&self) -> &[HistoryPoint] {
        &self.history
    }

    /// Changes of a true effect while the current phase had users.
    pub fn effect_changes(&self) -> u64 {
        self.effect_changes
    }

    /// The extremes of purchase's chance to win over the phase's hourly looks.
    pub fn chance_extremes(&self) -> ChanceExtremes {
        self.chance_extremes
    }

    /// New phases started by `exp-restart`.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    pub fn peeking(&self) -> Option<&PeekingView> {
        self.peeking.as_ref()
    }

    pub fn interleaving(&self) -> Option<&InterleavingView> {
        self.interleaving.as_ref()
    }

    /// The comparison run before the last one, if any.
    pub fn previous_interleaving(&self) -> Option<&InterleavingView> {
        self.previous_interleaving.as_ref()
    }

    pub fn bandit(&self) -> Option<&BanditView> {
        self.bandit.as_ref()
    }

    /// The seed the users' outcomes are drawn from (tests rebuild the statistics with it).
    pub fn world_seed(&self) -> u64 {
        self.world_seed
    }

    /// Each arrived user's arm, or None when it is not in the statistics.
    pub fn user_arms(&self) -> impl Iterator<Item = (UserNumber, Option<ArmIndex>)> + '_ {
        self.users.iter().enumerate().map(|(i, s)| {
            let arm = (usize::from(*s) < ARMS_MAX).then_some(ArmIndex(*s));
            (UserNumber(i as u32 + 1), arm)
        })
    }

    /// The true effects a user of `arm` arriving as `user` was given.
    pub fn lifts_for(&self, user: UserNumber, arm: ArmIndex) -> ArmLifts {
        self.epochs[self.epoch_of(user)]
            .lifts
            .get(usize::from(arm.0))
            .copied()
            .unwrap_or([0; 4])
    }

    /// Feeds the complete state to the lab's fingerprint.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        use std::hash::Hash;
        hasher.u64(self.world_seed);
        for word in self.arrivals.state_words() {
            hasher.u64(word);
        }
        hasher.u64(self.hours);
        hasher.u64(self.phase_start_hour);
        hasher.u64(self.restarts);
        self.setup.hash(hasher);
        hasher.bytes(&self.users);
        for epoch in &self.epochs {
            hasher.u64(u64::from(epoch.first_user));
            hasher.u64(epoch.analysed);
        }
        self.counts.hash(hasher);
        // Hashed only once they differ from a fresh phase, so links shared before they existed
        // keep their fingerprints. (The chance-to-win extremes follow from the statistics, which
        // are hashed.)
        if self.effect_changes > 0 {
            hasher.u64(self.effect_changes);
        }
        for sums in &self.sums {
            hasher.u64(sums.users);
            hasher.u64(sums.revenue.sum.to_bits());
            hasher.u64(sums.page_load_ms.sum.to_bits());
        }
        if let Some(p) = &self.peeking {
            hasher.u64(p.seed);
            hasher.u64(u64::from(p.false_positives.peeking));
            hasher.u64(u64::from(p.false_positives.sequential));
        }
        // The previous comparison is hashed only when there is one, as above.
        for i in [&self.interleaving, &self.previous_interleaving]
            .into_iter()
            .flatten()
        {
            hasher.u64(i.config.seed.0);
            hasher.u64(i.decisions.ab_test.map_or(0, |d| d.users));
            hasher.u64(i.decisions.interleaving.map_or(0, |d| d.users));
        }
        if let Some(b) = &self.bandit {
            b.hash_into(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn the_power_curve_passes_alpha_at_zero_and_the_planned_power_at_the_mde() {
        let lab = ExperimentLab::new(Rng::new(Seed(1)));
        let plan = lab.power();
        let at_zero = plan.power_at_relative_lift(0.0).unwrap();
        assert!((at_zero - analysis::ALPHA).abs() < 1e-9, "{at_zero}");
        let at_mde = plan.power_at_relative_lift(plan.mde_relative).unwrap();
        assert!((at_mde - PLANNED_POWER).abs() < 1e-3, "{at_mde}");
        let curve = plan.curve(plan.curve_top(0.05));
        assert_eq!(curve.len(), POWER_CURVE_POINTS + 1);
        assert!(curve.windows(2).all(|w| w[1].1 >= w[0].1));
        let empty = PowerView::default();
        assert!(empty.curve(0.1).is_empty());
    }

    #[test]
    fn chance_extremes_hold_every_hourly_look_and_reset_with_the_phase() {
        let mut lab = ExperimentLab::new(Rng::new(Seed(5)));
        let mut looks = Vec::new();
        for _ in 0..48 {
            lab.tick();
            looks.push(
                lab.results()
                    .row(ExpMetric::Purchase, ArmIndex(1))
                    .unwrap()
                    .chance_to_win,
            );
        }
        let extremes = lab.chance_extremes();
        let highest = looks.iter().copied().fold(0.5, f64::max);
        let lowest = looks.iter().copied().fold(0.5, f64::min);
        assert_eq!((extremes.lowest, extremes.highest), (lowest, highest));
        assert!(extremes.highest > extremes.lowest);
        lab.apply(&ExperimentCommand::Restart).unwrap();
        assert_eq!(lab.chance_extremes(), ChanceExtremes::UNSEEN);
    }

    #[test]
    fn effect_changes_count_only_while_the_phase_has_users() {
        let mut lab = ExperimentLab::new(Rng::new(Seed(1)));
        let zero = ExperimentCommand::SetEffect {
            metric: ExpMetric::Purchase,
            arm: ArmIndex(1),
            lift_permille: 0,
        };
        lab.apply(&zero).unwrap();
        assert_eq!(lab.effect_changes(), 0);
        lab.tick();
        lab.apply(&zero).unwrap();
        assert_eq!(
            lab.effect_changes(),
            0,
            "the same effect again changes nothing"
        );
        lab.apply(&ExperimentCommand::SetEffect {
            metric: ExpMetric::Purchase,
            arm: ArmIndex(1),
            lift_permille: 20,
        })
        .unwrap();
        assert_eq!(lab.effect_changes(), 1);
        lab.apply(&ExperimentCommand::Restart).unwrap();
        assert_eq!(lab.effect_changes(), 0);
    }
}
