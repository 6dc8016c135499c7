//! What a learner can ask of the experiments lab, what it narrates back, and their journal bytes.
//!
//! Numbers are integers in named units (percent, permille, hundredths), so commands compare
//! exactly and encode without loss; the lab turns them into the engine's floats.

use sim::codec::{DecodeError, Reader, Writer};

/// Longest experiment key.
pub const KEY_LEN_MAX: usize = 40;
/// Most arms an A/B test may have.
pub const ARMS_MAX: usize = 4;
/// Highest arrival rate the lab simulates.
pub const USERS_PER_HOUR_MAX: u32 = 5_000;
/// Largest true effect, in thousandths of the control's value.
pub const LIFT_PERMILLE_MAX: i32 = 1_000;
/// Largest negative true effect.
pub const LIFT_PERMILLE_MIN: i32 = -500;
/// Largest holdout.
pub const HOLDOUT_PERCENT_MAX: u8 = 50;
/// Longest planned duration.
pub const PLANNED_DAYS_MAX: u16 = 90;
/// Peeking simulator limits.
pub const PEEKING_TESTS_MAX: u32 = 2_000;
pub const PEEKING_DAYS_MAX: u32 = 60;
pub const PEEKING_USERS_MAX: u32 = 2_000;
/// Most simulated users (tests x days x users per arm) one peeking run may draw.
pub const PEEKING_DRAWS_MAX: u64 = 20_000_000;
/// Largest ranker noise, in hundredths of a relevance grade.
pub const NOISE_CENTI_MAX: u16 = 1_000;
/// Bandit limits.
pub const BANDIT_ARMS_MIN: usize = 2;
pub const BANDIT_ARMS_MAX: usize = 8;
pub const PULLS_PER_TICK_MAX: u32 = 10_000;

/// A variation of the A/B test: 0 is control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArmIndex(pub u8);

/// How an arm is called on screen and in steps.
pub fn arm_name(arm: ArmIndex) -> &'static str {
    match arm.0 {
        0 => "control",
        1 => "treatment",
        2 => "treatment-2",
        _ => "treatment-3",
    }
}

/// The arm a step names (`control`, `treatment`, `treatment-2`, `treatment-3` or its index).
pub fn arm_from_name(name: &str) -> Option<ArmIndex> {
    (0..ARMS_MAX as u8)
        .map(ArmIndex)
        .find(|a| arm_name(*a) == name || a.0.to_string() == name)
}

/// The metrics every user of the lab's world reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExpMetric {
    /// Did the user buy (a proportion; the goal metric).
    Purchase,
    /// What the user spent (a mean, log-normal, with a pre-period covariate for CUPED).
    Revenue,
    /// Clicks over sessions (a ratio metric, by the delta method).
    ClicksPerSession,
    /// Page load time (a mean where lower is better; the guardrail).
    PageLoadMs,
}

impl ExpMetric {
    pub const ALL: [ExpMetric; 4] = [
        ExpMetric::Purchase,
        ExpMetric::Revenue,
        ExpMetric::ClicksPerSession,
        ExpMetric::PageLoadMs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExpMetric::Purchase => "purchase",
            ExpMetric::Revenue => "revenue",
            ExpMetric::ClicksPerSession => "clicks_per_session",
            ExpMetric::PageLoadMs => "page_load_ms",
        }
    }

    pub fn from_name(name: &str) -> Option<ExpMetric> {
        ExpMetric::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// A metric where a rise is bad news, checked as a guardrail.
    pub fn is_guardrail(self) -> bool {
        self == ExpMetric::PageLoadMs
    }

    fn tag(self) -> u8 {
        match self {
            ExpMetric::Purchase => 0,
            ExpMetric::Revenue => 1,
            ExpMetric::ClicksPerSession => 2,
            ExpMetric::PageLoadMs => 3,
        }
    }
}

/// Which test reads the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// gbstats' fixed-horizon two-sided Welch t-test.
    Frequentist,
    /// gbstats' sequential test: always-valid p-values and confidence sequences.
    Sequential,
    /// gbstats' Bayesian test: chance to win, risk, credible interval (flat prior).
    Bayesian,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Frequentist => "frequentist",
            Engine::Sequential => "sequential",
            Engine::Bayesian => "bayesian",
        }
    }
}

/// The lift reported: relative to control, or the absolute difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiftKind {
    Relative,
    Absolute,
}

impl LiftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LiftKind::Relative => "relative",
            LiftKind::Absolute => "absolute",
        }
    }
}

/// The multiple-comparison correction across metrics and arms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Correction {
    None,
    Holm,
    BenjaminiHochberg,
}

impl Correction {
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::Holm => "holm",
            Correction::BenjaminiHochberg => "bh",
        }
    }
}

/// How a bandit picks arms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BanditPolicy {
    EpsilonGreedy {
        epsilon_permille: u16,
    },
    Ucb1,
    /// Bernoulli Thompson sampling (Beta posteriors).
    Thompson,
    /// GrowthBook's Gaussian Thompson weights.
    GrowthBook,
}

/// A command of the experiments lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExperimentCommand {
    SetKey {
        key: String,
    },
    SetWeights {
        weights_percent: Vec<u8>,
    },
    SetCoverage {
        percent: u8,
    },
    /// Our slice `[start, end)` of the namespace, in percent; the other experiment has the rest.
    SetNamespace {
        range_percent: Option<(u8, u8)>,
    },
    SetHoldout {
        percent: u8,
    },
    SetSticky {
        on: bool,
    },
    SetTraffic {
        users_per_hour: u32,
    },
    SetEffect {
        metric: ExpMetric,
        arm: ArmIndex,
        lift_permille: i32,
    },
    /// The SRM bug: that share of the arm's new users never reach the logs (0 fixes it).
    LoseLogs {
        arm: ArmIndex,
        percent: u8,
    },
    SetEngine(Engine),
    SetCuped {
        on: bool,
    },
    SetLift(LiftKind),
    SetCorrection(Correction),
    SetPlannedDays {
        days: u16,
    },
    /// A new phase: users and statistics are cleared, the settings kept.
    Restart,
    RunPeeking {
        seed: u64,
        tests: u32,
        days: u32,
        users_per_arm_per_day: u32,
    },
    RunInterleaving {
        seed: u64,
        ranker_a_noise_centi: u16,
        ranker_b_noise_centi: u16,
    },
    StartBandit {
        policy: BanditPolicy,
        arm_rates_permille: Vec<u16>,
        pulls_per_tick: u32,
        seed: u64,
    },
    StopBandit,
}

/// One line of the experiment's story, at an hour of experiment time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExperimentEvent {
    pub hour: u64,
    pub text: String,
}

const TAG_SET_KEY: u8 = 0;
const TAG_SET_WEIGHTS: u8 = 1;
const TAG_SET_COVERAGE: u8 = 2;
const TAG_SET_NAMESPACE: u8 = 3;
const TAG_SET_HOLDOUT: u8 = 4;
const TAG_SET_STICKY: u8 = 5;
const TAG_SET_TRAFFIC: u8 = 6;
const TAG_SET_EFFECT: u8 = 7;
const TAG_LOSE_LOGS: u8 = 8;
const TAG_SET_ENGINE: u8 = 9;
const TAG_SET_CUPED: u8 = 10;
const TAG_SET_LIFT: u8 = 11;
const TAG_SET_CORRECTION: u8 = 12;
const TAG_SET_PLANNED_DAYS: u8 = 13;
const TAG_RESTART: u8 = 14;
const TAG_RUN_PEEKING: u8 = 15;
const TAG_RUN_INTERLEAVING: u8 = 16;
const TAG_START_BANDIT: u8 = 17;
const TAG_STOP_BANDIT: u8 = 18;

fn bool_byte(r: &mut Reader<'_>, what: &'static str) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::Invalid(what)),
    }
}

fn small(r: &mut Reader<'_>, max: u64, what: &'static str) -> Result<u64, DecodeError> {
    r.varint_at_most(max, what)
}

fn encode_policy(w: &mut Writer, policy: &BanditPolicy) {
    match policy {
        BanditPolicy::EpsilonGreedy { epsilon_permille } => {
            w.u8(0);
            w.varint(u64::from(*epsilon_permille));
        }
        BanditPolicy::Ucb1 => w.u8(1),
        BanditPolicy::Thompson => w.u8(2),
        BanditPolicy::GrowthBook => w.u8(3),
    }
}

fn decode_policy(r: &mut Reader<'_>) -> Result<BanditPolicy, DecodeError> {
    Ok(match r.u8()? {
        0 => BanditPolicy::EpsilonGreedy {
            epsilon_permille: small(r, u64::from(u16::MAX), "epsilon")? as u16,
        },
        1 => BanditPolicy::Ucb1,
        2 => BanditPolicy::Thompson,
        3 => BanditPolicy::GrowthBook,
        _ => return Err(DecodeError::Invalid("bandit policy")),
    })
}

/// The journal bytes of an experiments command (after the lab's tag 23).
pub fn encode(w: &mut Writer, command: &ExperimentCommand) {
    match command {
        ExperimentCommand::SetKey { key } => {
            w.u8(TAG_SET_KEY);
            w.str(key);
        }
        ExperimentCommand::SetWeights { weights_percent } => {
            w.u8(TAG_SET_WEIGHTS);
            w.varint(weights_percent.len() as u64);
            for weight in weights_percent {
                w.u8(*weight);
            }
        }
        ExperimentCommand::SetCoverage { percent } => {
            w.u8(TAG_SET_COVERAGE);
            w.u8(*percent);
        }
        ExperimentCommand::SetNamespace { range_percent } => {
            w.u8(TAG_SET_NAMESPACE);
            match range_percent {
                None => w.u8(0),
                Some((start, end)) => {
                    w.u8(1);
                    w.u8(*start);
                    w.u8(*end);
                }
            }
        }
        ExperimentCommand::SetHoldout { percent } => {
            w.u8(TAG_SET_HOLDOUT);
            w.u8(*percent);
        }
        ExperimentCommand::SetSticky { on } => {
            w.u8(TAG_SET_STICKY);
            w.u8(u8::from(*on));
        }
        ExperimentCommand::SetTraffic { users_per_hour } => {
            w.u8(TAG_SET_TRAFFIC);
            w.varint(u64::from(*users_per_hour));
        }
        ExperimentCommand::SetEffect {
            metric,
            arm,
            lift_permille,
        } => {
            w.u8(TAG_SET_EFFECT);
            w.u8(metric.tag());
            w.u8(arm.0);
            w.signed(i64::from(*lift_permille));
        }
        ExperimentCommand::LoseLogs { arm, percent } => {
            w.u8(TAG_LOSE_LOGS);
            w.u8(arm.0);
            w.u8(*percent);
        }
        ExperimentCommand::SetEngine(engine) => {
            w.u8(TAG_SET_ENGINE);
            w.u8(match engine {
                Engine::Frequentist => 0,
                Engine::Sequential => 1,
                Engine::Bayesian => 2,
            });
        }
        ExperimentCommand::SetCuped { on } => {
            w.u8(TAG_SET_CUPED);
            w.u8(u8::from(*on));
        }
        ExperimentCommand::SetLift(kind) => {
            w.u8(TAG_SET_LIFT);
            w.u8(match kind {
                LiftKind::Relative => 0,
                LiftKind::Absolute => 1,
            });
        }
        ExperimentCommand::SetCorrection(correction) => {
            w.u8(TAG_SET_CORRECTION);
            w.u8(match correction {
                Correction::None => 0,
                Correction::Holm => 1,
                Correction::BenjaminiHochberg => 2,
            });
        }
        ExperimentCommand::SetPlannedDays { days } => {
            w.u8(TAG_SET_PLANNED_DAYS);
            w.varint(u64::from(*days));
        }
        ExperimentCommand::Restart => w.u8(TAG_RESTART),
        ExperimentCommand::RunPeeking {
            seed,
            tests,
            days,
            users_per_arm_per_day,
        } => {
            w.u8(TAG_RUN_PEEKING);
            w.varint(*seed);
            w.varint(u64::from(*tests));
            w.varint(u64::from(*days));
            w.varint(u64::from(*users_per_arm_per_day));
        }
        ExperimentCommand::RunInterleaving {
            seed,
            ranker_a_noise_centi,
            ranker_b_noise_centi,
        } => {
            w.u8(TAG_RUN_INTERLEAVING);
            w.varint(*seed);
            w.varint(u64::from(*ranker_a_noise_centi));
            w.varint(u64::from(*ranker_b_noise_centi));
        }
        ExperimentCommand::StartBandit {
            policy,
            arm_rates_permille,
            pulls_per_tick,
            seed,
        } => {
            w.u8(TAG_START_BANDIT);
            encode_policy(w, policy);
            w.varint(arm_rates_permille.len() as u64);
            for rate in arm_rates_permille {
                w.varint(u64::from(*rate));
            }
            w.varint(u64::from(*pulls_per_tick));
            w.varint(*seed);
        }
        ExperimentCommand::StopBandit => w.u8(TAG_STOP_BANDIT),
    }
}

fn decode_metric(r: &mut Reader<'_>) -> Result<ExpMetric, DecodeError> {
    let tag = r.u8()?;
    ExpMetric::ALL
        .into_iter()
        .find(|m| m.tag() == tag)
        .ok_or(DecodeError::Invalid("experiment metric"))
}

/// Reads what [`encode`] wrote.
pub fn decode(r: &mut Reader<'_>) -> Result<ExperimentCommand, DecodeError> {
    Ok(match r.u8()? {
        TAG_SET_KEY => ExperimentCommand::SetKey {
            key: r.str(KEY_LEN_MAX)?,
        },
        TAG_SET_WEIGHTS => {
            let arms = small(r, ARMS_MAX as u64, "arm count")? as usize;
            let weights_percent = (0..arms).map(|_| r.u8()).collect::<Result<_, _>>()?;
            ExperimentCommand::SetWeights { weights_percent }
        }
        TAG_SET_COVERAGE => ExperimentCommand::SetCoverage { percent: r.u8()? },
        TAG_SET_NAMESPACE => ExperimentCommand::SetNamespace {
            range_percent: match r.u8()? {
                0 => None,
                1 => Some((r.u8()?, r.u8()?)),
                _ => return Err(DecodeError::Invalid("namespace flag")),
            },
        },
        TAG_SET_HOLDOUT => ExperimentCommand::SetHoldout { percent: r.u8()? },
        TAG_SET_STICKY => ExperimentCommand::SetSticky {
            on: bool_byte(r, "sticky flag")?,
        },
        TAG_SET_TRAFFIC => ExperimentCommand::SetTraffic {
            users_per_hour: small(r, u64::from(u32::MAX), "users per hour")? as u32,
        },
        TAG_SET_EFFECT => ExperimentCommand::SetEffect {
            metric: decode_metric(r)?,
            arm: ArmIndex(r.u8()?),
            lift_permille: i32::try_from(r.signed()?).map_err(|_| DecodeError::Invalid("lift"))?,
        },
        TAG_LOSE_LOGS => ExperimentCommand::LoseLogs {
            arm: ArmIndex(r.u8()?),
            percent: r.u8()?,
        },
        TAG_SET_ENGINE => ExperimentCommand::SetEngine(match r.u8()? {
            0 => Engine::Frequentist,
            1 => Engine::Sequential,
            2 => Engine::Bayesian,
            _ => return Err(DecodeError::Invalid("engine")),
        }),
        TAG_SET_CUPED => ExperimentCommand::SetCuped {
            on: bool_byte(r, "cuped flag")?,
        },
        TAG_SET_LIFT => ExperimentCommand::SetLift(match r.u8()? {
            0 => LiftKind::Relative,
            1 => LiftKind::Absolute,
            _ => return Err(DecodeError::Invalid("lift kind")),
        }),
        TAG_SET_CORRECTION => ExperimentCommand::SetCorrection(match r.u8()? {
            0 => Correction::None,
            1 => Correction::Holm,
            2 => Correction::BenjaminiHochberg,
            _ => return Err(DecodeError::Invalid("correction")),
        }),
        TAG_SET_PLANNED_DAYS => ExperimentCommand::SetPlannedDays {
            days: small(r, u64::from(u16::MAX), "planned days")? as u16,
        },
        TAG_RESTART => ExperimentCommand::Restart,
        TAG_RUN_PEEKING => ExperimentCommand::RunPeeking {
            seed: r.varint()?,
            tests: small(r, u64::from(u32::MAX), "tests")? as u32,
            days: small(r, u64::from(u32::MAX), "days")? as u32,
            users_per_arm_per_day: small(r, u64::from(u32::MAX), "users")? as u32,
        },
        TAG_RUN_INTERLEAVING => ExperimentCommand::RunInterleaving {
            seed: r.varint()?,
            ranker_a_noise_centi: small(r, u64::from(u16::MAX), "noise")? as u16,
            ranker_b_noise_centi: small(r, u64::from(u16::MAX), "noise")? as u16,
        },
        TAG_START_BANDIT => {
            let policy = decode_policy(r)?;
            let arms = small(r, BANDIT_ARMS_MAX as u64, "bandit arms")? as usize;
            let arm_rates_permille = (0..arms)
                .map(|_| small(r, u64::from(u16::MAX), "rate").map(|v| v as u16))
                .collect::<Result<_, _>>()?;
            ExperimentCommand::StartBandit {
                policy,
                arm_rates_permille,
                pulls_per_tick: small(r, u64::from(u32::MAX), "pulls")? as u32,
                seed: r.varint()?,
            }
        }
        TAG_STOP_BANDIT => ExperimentCommand::StopBandit,
        _ => return Err(DecodeError::Invalid("experiment command")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_codec::codec_checks::{assert_refused, assert_round_trips};

    #[test]
    fn every_command_round_trips() {
        let commands = [
            ExperimentCommand::SetKey {
                key: "checkout-2026".into(),
            },
            ExperimentCommand::SetWeights {
                weights_percent: vec![20, 30, 50],
            },
            ExperimentCommand::SetCoverage { percent: 80 },
            ExperimentCommand::SetNamespace {
                range_percent: Some((0, 50)),
            },
            ExperimentCommand::SetNamespace {
                range_percent: None,
            },
            ExperimentCommand::SetHoldout { percent: 10 },
            ExperimentCommand::SetSticky { on: true },
            ExperimentCommand::SetTraffic {
                users_per_hour: 1_200,
            },
            ExperimentCommand::SetEffect {
                metric: ExpMetric::PageLoadMs,
                arm: ArmIndex(2),
                lift_permille: -120,
            },
            ExperimentCommand::LoseLogs {
                arm: ArmIndex(1),
                percent: 10,
            },
            ExperimentCommand::SetEngine(Engine::Bayesian),
            ExperimentCommand::SetCuped { on: true },
            ExperimentCommand::SetLift(LiftKind::Absolute),
            ExperimentCommand::SetCorrection(Correction::BenjaminiHochberg),
            ExperimentCommand::SetPlannedDays { days: 21 },
            ExperimentCommand::Restart,
            ExperimentCommand::RunPeeking {
                seed: 7,
                tests: 500,
                days: 14,
                users_per_arm_per_day: 200,
            },
            ExperimentCommand::RunInterleaving {
                seed: 3,
                ranker_a_noise_centi: 120,
                ranker_b_noise_centi: 100,
            },
            ExperimentCommand::StartBandit {
                policy: BanditPolicy::EpsilonGreedy {
                    epsilon_permille: 100,
                },
                arm_rates_permille: vec![20, 30, 50],
                pulls_per_tick: 100,
                seed: 9,
            },
            ExperimentCommand::StartBandit {
                policy: BanditPolicy::GrowthBook,
                arm_rates_permille: vec![20, 30],
                pulls_per_tick: 1,
                seed: 1,
            },
            ExperimentCommand::StopBandit,
        ];
        assert_round_trips(&commands, encode, decode);
    }

    #[test]
    fn unknown_tags_are_refused() {
        assert_refused(
            &[
                &[99u8],
                &[TAG_SET_ENGINE, 7],
                &[TAG_SET_EFFECT, 9, 1, 0],
                &[TAG_START_BANDIT, 8],
                &[TAG_SET_STICKY, 2],
            ],
            decode,
        );
    }

    #[test]
    fn arms_are_named_both_ways() {
        for i in 0..ARMS_MAX as u8 {
            assert_eq!(arm_from_name(arm_name(ArmIndex(i))), Some(ArmIndex(i)));
        }
        assert_eq!(arm_from_name("1"), Some(ArmIndex(1)));
        assert_eq!(arm_from_name("variant"), None);
    }
}
