//! The experiment's reading of a release: the candidate against the stable version on prediction
//! quality, from the rollout world's counters of right and wrong predictions since the candidate
//! was deployed, read with the experiments engine's two-sided test (GrowthBook's frequentist
//! engine, absolute lift, 95%): ship when the candidate is significantly better, stop when it is
//! significantly worse, keep running otherwise.

use crate::rollout_lab::RolloutLab;
use experiments::stats::frequentist::{two_sided_ttest, Difference, FrequentistConfig};
use experiments::stats::statistic::{Proportion, Statistic};
use rollouts::metrics::Audience;
use rollouts::value::VersionName;
use sim::state_hash::StateHasher;

/// What the test says to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    KeepRunning,
    Ship,
    Stop,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::KeepRunning => "keep running",
            Decision::Ship => "ship",
            Decision::Stop => "stop",
        }
    }

    /// The goal metric's number: 0 keep running, 1 ship, 2 stop.
    pub fn code(self) -> i64 {
        match self {
            Decision::KeepRunning => 0,
            Decision::Ship => 1,
            Decision::Stop => 2,
        }
    }
}

/// Right and all predictions of one version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tally {
    pub correct: u64,
    pub total: u64,
}

impl Tally {
    fn of(rollouts: &RolloutLab, version: &str) -> Tally {
        rollouts
            .world()
            .counters()
            .counters(&VersionName(version.into()), Audience::User)
            .map_or(Tally::default(), |c| Tally {
                correct: c.predictions_correct,
                total: c.predictions_correct + c.predictions_wrong,
            })
    }

    fn since(self, start: Tally) -> Tally {
        Tally {
            correct: self.correct.saturating_sub(start.correct),
            total: self.total.saturating_sub(start.total),
        }
    }
}

/// The reading of the current release.
#[derive(Clone, Debug, PartialEq)]
pub struct AbReading {
    pub stable: String,
    pub candidate: String,
    pub stable_tally: Tally,
    pub candidate_tally: Tally,
    /// Candidate minus stable accuracy, in thousandths, with its 95% interval.
    pub lift_permille: i32,
    pub ci_permille: (i32, i32),
    pub p_value: f64,
    pub decision: Decision,
}

/// The release being read: the counters when it started, and the latest reading.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    started: Option<(String, String, Tally, Tally)>,
    latest: Option<AbReading>,
}

impl Reading {
    /// A candidate was deployed: read it against the stable version from now on.
    pub fn start(&mut self, rollouts: &RolloutLab, candidate: &str) {
        let stable = rollouts.steps().stable.clone();
        let start = (Tally::of(rollouts, &stable), Tally::of(rollouts, candidate));
        self.started = Some((stable, candidate.to_string(), start.0, start.1));
        self.latest = None;
    }

    /// Reads the counters since the start.
    pub fn update(&mut self, rollouts: &RolloutLab) {
        let Some((stable, candidate, s0, c0)) = &self.started else {
            return;
        };
        let s = Tally::of(rollouts, stable).since(*s0);
        let c = Tally::of(rollouts, candidate).since(*c0);
        if s.total < 2 || c.total < 2 {
            return;
        }
        let arm = |t: Tally| {
            Statistic::Proportion(Proportion {
                n: t.total as f64,
                sum: t.correct as f64,
            })
        };
        let result = two_sided_ttest(
            arm(s),
            arm(c),
            FrequentistConfig {
                difference: Difference::Absolute,
                ..FrequentistConfig::default()
            },
        );
        let permille = |x: f64| (x * 1000.0).round() as i32;
        let decision = match (result.p_value < 0.05, result.expected > 0.0) {
            (true, true) => Decision::Ship,
            (true, false) => Decision::Stop,
            (false, _) => Decision::KeepRunning,
        };
        self.latest = Some(AbReading {
            stable: stable.clone(),
            candidate: candidate.clone(),
            stable_tally: s,
            candidate_tally: c,
            lift_permille: permille(result.expected),
            ci_permille: (permille(result.ci[0]), permille(result.ci[1])),
            p_value: result.p_value,
            decision,
        });
    }

    pub fn view(&self) -> Option<&AbReading> {
        self.latest.as_ref()
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        if let Some((stable, candidate, s, c)) = &self.started {
            hasher.str(stable);
            hasher.str(candidate);
            std::hash::Hash::hash(&(s, c), hasher);
        }
        if let Some(r) = &self.latest {
            std::hash::Hash::hash(&(r.stable_tally, r.candidate_tally), hasher);
            hasher.u64(r.p_value.to_bits());
        }
    }
}
