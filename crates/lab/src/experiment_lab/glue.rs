//! The experiments lab in lessons: its steps (lines of the steps language), the
//! `experiment.FIELD` goal metrics, and how the journal and the trace tell its commands and events.
//!
//! ```text
//! exp-key checkout-2026            # the experiment key (the hash seed)
//! exp-weights 50 50                # 2 to 4 percentages summing to 100
//! exp-coverage 80                  # percent of eligible users in the test
//! exp-namespace 0-50               # this test's slice of the namespace (or: exp-namespace off)
//! exp-holdout 10                   # percent held out of every experiment
//! exp-sticky on                    # sticky bucketing (or off)
//! exp-traffic 400                  # users arriving per hour
//! exp-effect purchase treatment +5%
//! exp-lose-logs treatment 10%      # the SRM bug (or: exp-lose-logs off)
//! exp-engine sequential            # frequentist, sequential or bayesian
//! exp-cuped on                     # or off
//! exp-lift absolute                # relative or absolute
//! exp-correction holm              # none, holm or bh
//! exp-plan-days 14
//! exp-restart                      # a new phase
//! exp-peeking seed:1 tests:500 days:14 users:200
//! exp-interleave seed:1 a-noise:1.2 b-noise:1.0
//! exp-bandit ucb1 rates:2%,3%,5% pulls:100 seed:1   # epsilon:0.1, ucb1, thompson or growthbook
//! exp-bandit-stop
//! ```

use super::analysis::ResultRow;
use super::command::{
    arm_from_name, arm_name, ArmIndex, BanditPolicy, Correction, Engine, ExpMetric,
    ExperimentCommand, ExperimentEvent, LiftKind,
};
use super::side::{InterleavingView, PeekingView};
use super::ExperimentLab;
use crate::metric::{field, flag, plain, things, Field, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;

/// "50/50".
pub fn weights_text(weights_percent: &[u8]) -> String {
    weights_percent
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// "+5%" or "-0.5%" for a lift in thousandths.
pub fn permille_text(permille: i32) -> String {
    let sign = if permille >= 0 { "+" } else { "-" };
    let magnitude = permille.unsigned_abs();
    if magnitude.is_multiple_of(10) {
        format!("{sign}{}%", magnitude / 10)
    } else {
        format!("{sign}{}.{}%", magnitude / 10, magnitude % 10)
    }
}

/// A p-value with four significant digits, or "< 0.0001".
pub fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

fn rate_permille(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// A peeking run in one line.
pub fn peeking_text(view: &PeekingView) -> String {
    let fp = &view.false_positives;
    format!(
        "{} A/A tests over {} days: peeking declared a winner in {}, the sequential test in {}, one look at the end in {}",
        view.tests,
        view.days,
        rate_permille(fp.rate(fp.peeking)),
        rate_permille(fp.rate(fp.sequential)),
        rate_permille(fp.rate(fp.once_at_end)),
    )
}

/// A ranker comparison in one line.
pub fn interleaving_text(view: &InterleavingView) -> String {
    let decided = |d: Option<experiments::interleaving::comparison::Decision>| match d {
        Some(d) => format!("{} users (ranker {})", d.users, d.winner.label()),
        None => format!("no decision within {} users", view.config.max_users),
    };
    format!(
        "rankers compared: interleaving decided after {}, the A/B test after {}",
        decided(view.decisions.interleaving),
        decided(view.decisions.ab_test)
    )
}

/// The daily summary line.
pub fn day_text(lab: &ExperimentLab) -> String {
    let day = lab.hours() / super::HOURS_PER_DAY;
    let users: u64 = lab.analysed_per_arm().iter().sum();
    match lab.results().row(ExpMetric::Purchase, ArmIndex(1)) {
        Some(row) if row.ready => format!(
            "day {day}: {users} users analysed, purchase lift {:.2}%, p = {}",
            row.expected * 100.0,
            p_text(row.p_value)
        ),
        _ => format!("day {day}: {users} users analysed"),
    }
}

fn on_off(word: &str, verb: &str) -> Result<bool, String> {
    match word {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{verb} takes on or off")),
    }
}

/// A percentage such as `5%`, `+5%` or `-0.5%` in thousandths.
fn percent_permille(text: &str) -> Result<i32, String> {
    let number = text
        .strip_suffix('%')
        .ok_or_else(|| format!("\"{text}\" is a percentage: write it with %, such as +5%"))?;
    let value: f64 = number
        .trim_start_matches('+')
        .parse()
        .map_err(|_| format!("\"{text}\" is not a percentage"))?;
    if !value.is_finite() || value.abs() > 1000.0 {
        return Err(format!("\"{text}\" is out of range"));
    }
    Ok((value * 10.0).round() as i32)
}

/// `key:value` options of a line, in order, each key once.
fn options<'a>(
    words: &[&'a str],
    known: &[&str],
    verb: &str,
) -> Result<Vec<(&'a str, &'a str)>, String> {
    words
        .iter()
        .map(|w| {
            let (key, value) = w
                .split_once(':')
                .ok_or_else(|| format!("\"{w}\" is not key:value for {verb}"))?;
            if known.contains(&key) {
                Ok((key, value))
            } else {
                Err(format!(
                    "{verb} has no option \"{key}\"; use {}",
                    known.join(", ")
                ))
            }
        })
        .collect()
}

fn number<T: std::str::FromStr>(
    pairs: &[(&str, &str)],
    key: &str,
    default: Option<T>,
) -> Result<T, String> {
    match pairs.iter().find(|(k, _)| *k == key) {
        Some((_, v)) => v
            .parse()
            .map_err(|_| format!("{key} takes a whole number, not \"{v}\"")),
        None => default.ok_or_else(|| format!("give {key}:N")),
    }
}

fn noise_centi(pairs: &[(&str, &str)], key: &str, default: f64) -> Result<u16, String> {
    let grades = match pairs.iter().find(|(k, _)| *k == key) {
        Some((_, v)) => v
            .parse::<f64>()
            .map_err(|_| format!("{key} takes grades, such as {key}:1.2"))?,
        None => default,
    };
    if !(0.0..=10.0).contains(&grades) {
        return Err(format!("{key} runs from 0 to 10 grades"));
    }
    Ok((grades * 100.0).round() as u16)
}

fn bandit_command(words: &[&str]) -> Result<ExperimentCommand, String> {
    let usage = "such as exp-bandit ucb1 rates:2%,3%,5% pulls:100 seed:1";
    let (policy_word, rest) = words
        .split_first()
        .ok_or_else(|| format!("exp-bandit needs a policy, {usage}"))?;
    let policy = match *policy_word {
        "ucb1" => BanditPolicy::Ucb1,
        "thompson" => BanditPolicy::Thompson,
        "growthbook" => BanditPolicy::GrowthBook,
        other => match other.strip_prefix("epsilon:") {
            Some(e) => {
                let epsilon: f64 = e
                    .parse()
                    .map_err(|_| "epsilon takes a probability, such as epsilon:0.1".to_string())?;
                if !(0.0..=1.0).contains(&epsilon) {
                    return Err("epsilon runs from 0 to 1".into());
                }
                BanditPolicy::EpsilonGreedy {
                    epsilon_permille: (epsilon * 1000.0).round() as u16,
                }
            }
            None => {
                return Err(format!(
                    "\"{other}\" is not a policy: use epsilon:0.1, ucb1, thompson or growthbook"
                ))
            }
        },
    };
    let pairs = options(rest, &["rates", "pulls", "seed"], "exp-bandit")?;
    let rates = pairs
        .iter()
        .find(|(k, _)| *k == "rates")
        .ok_or_else(|| format!("exp-bandit needs rates, {usage}"))?
        .1;
    let arm_rates_permille = rates
        .split(',')
        .map(|r| {
            let permille = percent_permille(r)?;
            u16::try_from(permille)
                .ok()
                .filter(|p| *p <= 1000)
                .ok_or_else(|| format!("\"{r}\" is not a rate between 0% and 100%"))
        })
        .collect::<Result<Vec<u16>, String>>()?;
    Ok(ExperimentCommand::StartBandit {
        policy,
        arm_rates_permille,
        pulls_per_tick: number(&pairs, "pulls", Some(100))?,
        seed: number(&pairs, "seed", Some(1))?,
    })
}

fn single<'a>(words: &[&'a str], verb: &str, usage: &str) -> Result<&'a str, String> {
    match words {
        [one] => Ok(one),
        _ => Err(format!("{verb} takes one value, {usage}")),
    }
}

fn percent_value(word: &str, verb: &str) -> Result<u8, String> {
    word.trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{verb} takes a whole percentage"))
}

fn command_for(verb: &str, words: &[&str]) -> Result<ExperimentCommand, String> {
    let bare = |command: ExperimentCommand| {
        if words.is_empty() {
            Ok(command)
        } else {
            Err(format!("\"{verb}\" takes nothing more"))
        }
    };
    Ok(match verb {
        "exp-key" => ExperimentCommand::SetKey {
            key: single(words, verb, "such as exp-key checkout-2026")?.to_string(),
        },
        "exp-weights" => ExperimentCommand::SetWeights {
            weights_percent: words
                .iter()
                .map(|w| percent_value(w, verb))
                .collect::<Result<_, _>>()?,
        },
        "exp-coverage" => ExperimentCommand::SetCoverage {
            percent: percent_value(single(words, verb, "such as exp-coverage 80")?, verb)?,
        },
        "exp-namespace" => {
            let word = single(words, verb, "such as exp-namespace 0-50 or exp-namespace off")?;
            let range_percent = if word == "off" {
                None
            } else {
                let (start, end) = word
                    .split_once('-')
                    .ok_or("a namespace slice is written start-end, such as 0-50")?;
                Some((percent_value(start, verb)?, percent_value(end, verb)?))
            };
            ExperimentCommand::SetNamespace { range_percent }
        }
        "exp-holdout" => ExperimentCommand::SetHoldout {
            percent: percent_value(single(words, verb, "such as exp-holdout 10")?, verb)?,
        },
        "exp-sticky" => ExperimentCommand::SetSticky {
            on: on_off(single(words, verb, "on or off")?, verb)?,
        },
        "exp-traffic" => ExperimentCommand::SetTraffic {
            users_per_hour: single(words, verb, "such as exp-traffic 400")?
                .parse()
                .map_err(|_| "exp-traffic takes whole users per hour")?,
        },
        "exp-effect" => {
            let [metric, arm, lift] = words else {
                return Err("exp-effect takes a metric, an arm and a lift, such as exp-effect purchase treatment +5%".into());
            };
            ExperimentCommand::SetEffect {
                metric: ExpMetric::from_name(metric).ok_or_else(|| {
                    format!("\"{metric}\" is not a metric: use purchase, revenue, clicks_per_session or page_load_ms")
                })?,
                arm: arm_from_name(arm)
                    .ok_or_else(|| format!("\"{arm}\" is not an arm: use treatment, treatment-2 or treatment-3"))?,
                lift_permille: percent_permille(lift)?,
            }
        }
        "exp-lose-logs" => match words {
            ["off"] => ExperimentCommand::LoseLogs {
                arm: ArmIndex(1),
                percent: 0,
            },
            [arm, share] => ExperimentCommand::LoseLogs {
                arm: arm_from_name(arm).ok_or_else(|| format!("\"{arm}\" is not an arm"))?,
                percent: percent_value(share, verb)?,
            },
            _ => return Err("exp-lose-logs takes an arm and a share, such as exp-lose-logs treatment 10%, or off".into()),
        },
        "exp-engine" => ExperimentCommand::SetEngine(match single(words, verb, "frequentist, sequential or bayesian")? {
            "frequentist" => Engine::Frequentist,
            "sequential" => Engine::Sequential,
            "bayesian" => Engine::Bayesian,
            other => return Err(format!("\"{other}\" is not an engine: use frequentist, sequential or bayesian")),
        }),
        "exp-cuped" => ExperimentCommand::SetCuped {
            on: on_off(single(words, verb, "on or off")?, verb)?,
        },
        "exp-lift" => ExperimentCommand::SetLift(match single(words, verb, "relative or absolute")? {
            "relative" => LiftKind::Relative,
            "absolute" => LiftKind::Absolute,
            other => return Err(format!("\"{other}\" is not a lift: use relative or absolute")),
        }),
        "exp-correction" => ExperimentCommand::SetCorrection(match single(words, verb, "none, holm or bh")? {
            "none" => Correction::None,
            "holm" => Correction::Holm,
            "bh" => Correction::BenjaminiHochberg,
            other => return Err(format!("\"{other}\" is not a correction: use none, holm or bh")),
        }),
        "exp-plan-days" => ExperimentCommand::SetPlannedDays {
            days: single(words, verb, "such as exp-plan-days 14")?
                .parse()
                .map_err(|_| "exp-plan-days takes whole days")?,
        },
        "exp-restart" => bare(ExperimentCommand::Restart)?,
        "exp-bandit-stop" => bare(ExperimentCommand::StopBandit)?,
        "exp-peeking" => {
            let pairs = options(words, &["seed", "tests", "days", "users"], verb)?;
            ExperimentCommand::RunPeeking {
                seed: number(&pairs, "seed", Some(1))?,
                tests: number(&pairs, "tests", Some(500))?,
                days: number(&pairs, "days", Some(14))?,
                users_per_arm_per_day: number(&pairs, "users", Some(200))?,
            }
        }
        "exp-interleave" => {
            let pairs = options(words, &["seed", "a-noise", "b-noise"], verb)?;
            ExperimentCommand::RunInterleaving {
                seed: number(&pairs, "seed", Some(1))?,
                ranker_a_noise_centi: noise_centi(&pairs, "a-noise", 1.2)?,
                ranker_b_noise_centi: noise_centi(&pairs, "b-noise", 1.0)?,
            }
        }
        "exp-bandit" => bandit_command(words)?,
        _ => return Err(String::new()),
    })
}

/// Parses an experiments step (`verb` and the rest of its line), or `None` when `verb` is not one.
pub(crate) fn parse_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match command_for(verb, &words) {
        Err(e) if e.is_empty() => None,
        other => Some(other.map(|c| Step::Lab(Command::Experiment(c)))),
    }
}

fn policy_text(policy: &BanditPolicy) -> String {
    match policy {
        BanditPolicy::EpsilonGreedy { epsilon_permille } => {
            format!(
                "epsilon-greedy (epsilon {})",
                f64::from(*epsilon_permille) / 1000.0
            )
        }
        BanditPolicy::Ucb1 => "UCB1".into(),
        BanditPolicy::Thompson => "Thompson sampling".into(),
        BanditPolicy::GrowthBook => "GrowthBook's Thompson weights".into(),
    }
}

/// How the journal tells a command.
pub fn describe_command(command: &ExperimentCommand) -> String {
    match command {
        ExperimentCommand::SetKey { key } => format!("experiment key {key}"),
        ExperimentCommand::SetWeights { weights_percent } => {
            format!("weights {}", weights_text(weights_percent))
        }
        ExperimentCommand::SetCoverage { percent } => format!("coverage {percent}%"),
        ExperimentCommand::SetNamespace { range_percent } => match range_percent {
            Some((start, end)) => format!("namespace slice {start}-{end}%"),
            None => "no namespace".into(),
        },
        ExperimentCommand::SetHoldout { percent } => format!("holdout {percent}%"),
        ExperimentCommand::SetSticky { on } => {
            format!("sticky bucketing {}", if *on { "on" } else { "off" })
        }
        ExperimentCommand::SetTraffic { users_per_hour } => {
            format!("traffic {users_per_hour} users/hour")
        }
        ExperimentCommand::SetEffect {
            metric,
            arm,
            lift_permille,
        } => format!(
            "true effect {} {} {}",
            metric.as_str(),
            arm_name(*arm),
            permille_text(*lift_permille)
        ),
        ExperimentCommand::LoseLogs { arm, percent } => {
            if *percent == 0 {
                "fix the logging bug".into()
            } else {
                format!("lose {percent}% of {}'s users from the logs", arm_name(*arm))
            }
        }
        ExperimentCommand::SetEngine(engine) => format!("engine {}", engine.as_str()),
        ExperimentCommand::SetCuped { on } => format!("CUPED {}", if *on { "on" } else { "off" }),
        ExperimentCommand::SetLift(kind) => format!("{} lift", kind.as_str()),
        ExperimentCommand::SetCorrection(c) => format!("correction {}", c.as_str()),
        ExperimentCommand::SetPlannedDays { days } => format!("plan {days} days"),
        ExperimentCommand::Restart => "new phase".into(),
        ExperimentCommand::RunPeeking {
            seed,
            tests,
            days,
            users_per_arm_per_day,
        } => format!(
            "peeking simulator: {tests} A/A tests, {days} days, {users_per_arm_per_day} users per arm per day (seed {seed})"
        ),
        ExperimentCommand::RunInterleaving {
            seed,
            ranker_a_noise_centi,
            ranker_b_noise_centi,
        } => format!(
            "compare rankers: noise A {}, B {} (seed {seed})",
            f64::from(*ranker_a_noise_centi) / 100.0,
            f64::from(*ranker_b_noise_centi) / 100.0
        ),
        ExperimentCommand::StartBandit {
            policy,
            arm_rates_permille,
            pulls_per_tick,
            seed,
        } => format!(
            "bandit {} over rates {} at {pulls_per_tick} pulls/hour (seed {seed})",
            policy_text(policy),
            arm_rates_permille
                .iter()
                .map(|r| permille_text(i32::from(*r)).trim_start_matches('+').to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExperimentCommand::StopBandit => "stop the bandit".into(),
    }
}

/// How the trace tells an event.
pub fn describe_event(event: &ExperimentEvent) -> String {
    format!(
        "[day {} {:02}h] {}",
        event.hour / super::HOURS_PER_DAY,
        event.hour % super::HOURS_PER_DAY,
        event.text
    )
}

const fn users(noun: &'static str) -> Words {
    things(noun, "user", "users")
}

/// Fields of `experiment.FIELD`: purchase for the treatment (arm 1) unless the name says otherwise.
pub const EXPERIMENT_FIELDS: &[Field] = &[
    field("hours", plain("the hours since the test (phase) started")),
    field(
        "days",
        plain("the whole days since the test (phase) started"),
    ),
    field("users", users("the users analysed, all arms")),
    field("arrived_users", users("the users who arrived")),
    field("control_users", users("the control's analysed users")),
    field("treatment_users", users("the treatment's analysed users")),
    field(
        "switched_users",
        users("the users who switched arms and left the analysis"),
    ),
    field("holdout_users", users("the users held out")),
    field("lost_users", users("the users lost from the logs")),
    field(
        "other_experiment_users",
        users("the users in the other experiment"),
    ),
    field("overlap_users", users("the users in both experiments")),
    field(
        "srm_p_x1e6",
        plain("the SRM check's p-value, in millionths (rounded down)"),
    ),
    field(
        "srm_flagged",
        flag(
            "the SRM check flags a sample ratio mismatch",
            "the SRM check passes",
        ),
    ),
    field(
        "p_value_x1e6",
        plain("purchase's p-value for the treatment, in millionths (rounded down)"),
    ),
    field(
        "adjusted_p_value_x1e6",
        plain("purchase's corrected p-value, in millionths (rounded down)"),
    ),
    field(
        "significant",
        flag(
            "purchase's result is significant",
            "purchase's result is not significant",
        ),
    ),
    field(
        "lift_x1e6",
        plain("purchase's lift for the treatment, in millionths"),
    ),
    field(
        "ci_low_x1e6",
        plain("the low end of purchase's interval, in millionths"),
    ),
    field(
        "ci_high_x1e6",
        plain("the high end of purchase's interval, in millionths"),
    ),
    field(
        "ci_width_x1e6",
        plain("the width of purchase's interval, in millionths"),
    ),
    field(
        "chance_to_win_permille",
        plain("purchase's chance to win, in thousandths"),
    ),
    field(
        "peak_chance_to_win_permille",
        plain("the highest chance to win purchase showed at any hourly look since the test (phase) started, in thousandths"),
    ),
    field(
        "lowest_chance_to_win_permille",
        plain("the lowest chance to win purchase showed at any hourly look since the test (phase) started, in thousandths"),
    ),
    field(
        "effect_changes",
        plain("how many times a true effect changed while the test (phase) had users"),
    ),
    field(
        "revenue_p_value_x1e6",
        plain("revenue's p-value, in millionths (rounded down)"),
    ),
    field("revenue_lift_x1e6", plain("revenue's lift, in millionths")),
    field(
        "revenue_ci_width_x1e6",
        plain("the width of revenue's interval, in millionths"),
    ),
    field(
        "clicks_p_value_x1e6",
        plain("clicks per session's p-value, in millionths (rounded down)"),
    ),
    field(
        "page_load_p_value_x1e6",
        plain("page load time's p-value, in millionths (rounded down)"),
    ),
    field(
        "significant_rows",
        things("the significant results", "result", "results"),
    ),
    field(
        "significant_null_rows",
        things(
            "the significant results where the true effect is zero",
            "result",
            "results",
        ),
    ),
    field(
        "guardrail_flagged",
        flag(
            "a guardrail got significantly worse",
            "no guardrail got worse",
        ),
    ),
    field(
        "mde_permille",
        plain("the minimum detectable purchase lift at 80% power, in thousandths"),
    ),
    field(
        "power_permille",
        plain("the power to detect the true purchase effect, in thousandths"),
    ),
    field(
        "sticky_on",
        flag("sticky bucketing is on", "sticky bucketing is off"),
    ),
    field("cuped_on", flag("CUPED is on", "CUPED is off")),
    field(
        "engine_sequential",
        flag(
            "the sequential engine reads the results",
            "the sequential engine is not chosen",
        ),
    ),
    field(
        "engine_bayesian",
        flag(
            "the Bayesian engine reads the results",
            "the Bayesian engine is not chosen",
        ),
    ),
    field("arms", things("the test's arms", "arm", "arms")),
    field("coverage_percent", plain("the coverage, in percent")),
    field(
        "peeking_tests",
        things("the simulated A/A tests", "test", "tests"),
    ),
    field(
        "peeking_fpr_permille",
        plain("the false positive rate of peeking daily, in thousandths"),
    ),
    field(
        "sequential_fpr_permille",
        plain("the false positive rate of the sequential test, in thousandths"),
    ),
    field(
        "once_fpr_permille",
        plain("the false positive rate of one look at the end, in thousandths"),
    ),
    field(
        "interleaving_users",
        users("the users interleaving needed to decide"),
    ),
    field("ab_users", users("the users the A/B test needed to decide")),
    field(
        "interleaving_ratio_x100",
        plain("A/B users over interleaving users, times 100"),
    ),
    field(
        "interleaving_winner_b",
        flag(
            "interleaving picked ranker B",
            "interleaving did not pick ranker B",
        ),
    ),
    field(
        "bandit_pulls",
        things("the bandit's pulls", "pull", "pulls"),
    ),
    field(
        "bandit_regret",
        plain("the bandit's cumulative regret, in expected conversions (rounded)"),
    ),
    field(
        "bandit_best_arm_share_permille",
        plain("the share of pulls on the best arm, in thousandths"),
    ),
    field(
        "treatment_weight_percent",
        plain("the treatment's weight, in percent"),
    ),
    field(
        "weight_changes",
        things(
            "the weight changes while the test had users",
            "change",
            "changes",
        ),
    ),
    field(
        "restarts",
        things("the restarts (new phases)", "restart", "restarts"),
    ),
    field(
        "true_lift_permille",
        plain("the treatment's true effect on purchase, in thousandths"),
    ),
    field(
        "lift_absolute",
        flag("the lift is absolute", "the lift is relative"),
    ),
    field(
        "correction_holm",
        flag("the Holm correction is on", "the Holm correction is off"),
    ),
    field(
        "correction_bh",
        flag(
            "the Benjamini-Hochberg correction is on",
            "the Benjamini-Hochberg correction is off",
        ),
    ),
    field(
        "interleaving_noise_gap_centi",
        plain("ranker A's noise minus ranker B's, in hundredths of a grade (0 before a run)"),
    ),
    field(
        "previous_interleaving_ratio_x100",
        plain("the previous comparison's A/B users per interleaving user, in hundredths (0 without one, or when a design did not decide)"),
    ),
    field(
        "previous_interleaving_noise_gap_centi",
        plain("the previous comparison's noise gap (A's minus B's), in hundredths of a grade (0 without one)"),
    ),
    field(
        "interleaving_seed_repeated",
        flag(
            "the last comparison used the previous one's seed (the same simulated users)",
            "the last comparison has no previous one with its seed",
        ),
    ),
    field(
        "bandit_policy",
        plain("the bandit's policy: 0 none, 1 epsilon-greedy, 2 UCB1, 3 Thompson, 4 GrowthBook"),
    ),
    field(
        "bandit_epsilon_permille",
        plain("epsilon-greedy's epsilon, in thousandths (0 otherwise)"),
    ),
    field(
        "bandit_best_arm_probability_permille",
        plain("the probability the best arm is best, in thousandths"),
    ),
];

fn x1e6_floor(v: f64) -> i64 {
    (v * 1e6).floor() as i64
}

fn x1e6(v: f64) -> i64 {
    (v * 1e6).round() as i64
}

/// The treatment's row of `metric`: gbstats' default result (p 1, lift 0, interval [0, 0], chance
/// to win 0.5) until both arms have users.
fn treatment_row(lab: &ExperimentLab, metric: ExpMetric) -> Option<&ResultRow> {
    lab.results().row(metric, ArmIndex(1))
}

/// The largest MDE reported (when the plan has no users at all).
const MDE_PERMILLE_MAX: i64 = 1_000_000;

fn permille(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

/// A comparison's A/B users per interleaving user, in hundredths (0 without both decisions).
fn ratio_x100(run: Option<&InterleavingView>) -> i64 {
    run.and_then(|i| experiments::interleaving::comparison::users_ratio(&i.decisions))
        .map_or(0, |r| (r * 100.0).round() as i64)
}

/// Ranker A's noise minus ranker B's, in hundredths of a grade (0 without a comparison).
fn noise_gap_centi(run: Option<&InterleavingView>) -> i64 {
    run.map_or(0, |i| {
        ((i.config.ranker_a_noise_sd_grades - i.config.ranker_b_noise_sd_grades) * 100.0).round()
            as i64
    })
}

/// Fields of the peeking simulator, interleaving and the bandit: 0 before a run.
fn side_value(e: &ExperimentLab, name: &str) -> Option<i64> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let peeking = e.peeking().map(|p| p.false_positives);
    let decisions = e.interleaving().map(|i| i.decisions);
    let bandit = e.bandit();
    Some(match name {
        "peeking_tests" => peeking.map_or(0, |fp| i64::from(fp.tests)),
        "peeking_fpr_permille" => peeking.map_or(0, |fp| permille(fp.rate(fp.peeking))),
        "sequential_fpr_permille" => peeking.map_or(0, |fp| permille(fp.rate(fp.sequential))),
        "once_fpr_permille" => peeking.map_or(0, |fp| permille(fp.rate(fp.once_at_end))),
        "interleaving_users" => n(decisions
            .and_then(|d| d.interleaving)
            .map_or(0, |d| d.users)),
        "ab_users" => n(decisions.and_then(|d| d.ab_test).map_or(0, |d| d.users)),
        "interleaving_ratio_x100" => ratio_x100(e.interleaving()),
        "previous_interleaving_ratio_x100" => ratio_x100(e.previous_interleaving()),
        "previous_interleaving_noise_gap_centi" => noise_gap_centi(e.previous_interleaving()),
        "interleaving_seed_repeated" => i64::from(
            e.interleaving()
                .zip(e.previous_interleaving())
                .is_some_and(|(last, before)| last.config.seed == before.config.seed),
        ),
        "interleaving_winner_b" => i64::from(decisions.is_some_and(|d| {
            d.interleaving
                .is_some_and(|d| d.winner == experiments::interleaving::team_draft::Team::B)
        })),
        "interleaving_noise_gap_centi" => noise_gap_centi(e.interleaving()),
        "bandit_pulls" => bandit.map_or(0, |b| n(b.pulls())),
        "bandit_regret" => bandit.map_or(0, |b| b.regret.round() as i64),
        "bandit_best_arm_share_permille" => bandit.map_or(0, |b| permille(b.best_arm_share())),
        "bandit_best_arm_probability_permille" => {
            bandit.map_or(0, |b| permille(b.best_arm_probability()))
        }
        "bandit_policy" => bandit.map_or(0, |b| match b.policy {
            BanditPolicy::EpsilonGreedy { .. } => 1,
            BanditPolicy::Ucb1 => 2,
            BanditPolicy::Thompson => 3,
            BanditPolicy::GrowthBook => 4,
        }),
        "bandit_epsilon_permille" => bandit.map_or(0, |b| match b.policy {
            BanditPolicy::EpsilonGreedy { epsilon_permille } => i64::from(epsilon_permille),
            _ => 0,
        }),
        _ => return None,
    })
}

/// The value of `experiment.FIELD`, or None outside the experiments preset. Every field has a
/// value from the first tick: the statistics read gbstats' default result until both arms have
/// users, the side experiments 0 until they run.
pub fn experiment_value(lab: &Lab, name: &str) -> Option<i64> {
    let e = lab.experiments()?;
    if let Some(value) = side_value(e, name) {
        return Some(value);
    }
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let flag = |b: bool| i64::from(b);
    let counts = e.counts();
    let per_arm = e.analysed_per_arm();
    let purchase = treatment_row(e, ExpMetric::Purchase)?;
    let row = |metric| treatment_row(e, metric);
    let setup = e.setup();
    let rows = &e.results().rows;
    Some(match name {
        "hours" => n(e.hours()),
        "days" => n(e.hours() / super::HOURS_PER_DAY),
        "users" => n(per_arm.iter().sum()),
        "arrived_users" => n(counts.arrived),
        "control_users" => n(per_arm.first().copied().unwrap_or(0)),
        "treatment_users" => n(per_arm.get(1).copied().unwrap_or(0)),
        "switched_users" => n(counts.switched),
        "holdout_users" => n(counts.holdout),
        "lost_users" => n(counts.lost),
        "other_experiment_users" => n(counts.other_experiment),
        "overlap_users" => n(counts.overlap),
        "weight_changes" => n(counts.weight_changes),
        "restarts" => n(e.restarts()),
        "srm_p_x1e6" => x1e6_floor(e.results().srm_p_value),
        "srm_flagged" => flag(e.results().srm_flagged),
        "p_value_x1e6" => x1e6_floor(purchase.p_value),
        "adjusted_p_value_x1e6" => x1e6_floor(purchase.adjusted_p_value),
        "significant" => flag(purchase.significant),
        "lift_x1e6" => x1e6(purchase.expected),
        "ci_low_x1e6" => x1e6(purchase.ci[0]),
        "ci_high_x1e6" => x1e6(purchase.ci[1]),
        "ci_width_x1e6" => x1e6(purchase.ci[1] - purchase.ci[0]),
        "chance_to_win_permille" => permille(purchase.chance_to_win),
        "peak_chance_to_win_permille" => permille(e.chance_extremes().highest),
        "lowest_chance_to_win_permille" => permille(e.chance_extremes().lowest),
        "effect_changes" => n(e.effect_changes()),
        "true_lift_permille" => i64::from(purchase.true_lift_permille),
        "revenue_p_value_x1e6" => x1e6_floor(row(ExpMetric::Revenue)?.p_value),
        "revenue_lift_x1e6" => x1e6(row(ExpMetric::Revenue)?.expected),
        "revenue_ci_width_x1e6" => {
            let r = row(ExpMetric::Revenue)?;
            x1e6(r.ci[1] - r.ci[0])
        }
        "clicks_p_value_x1e6" => x1e6_floor(row(ExpMetric::ClicksPerSession)?.p_value),
        "page_load_p_value_x1e6" => x1e6_floor(row(ExpMetric::PageLoadMs)?.p_value),
        "significant_rows" => rows.iter().filter(|r| r.significant).count() as i64,
        "significant_null_rows" => rows
            .iter()
            .filter(|r| r.significant && r.true_lift_permille == 0)
            .count() as i64,
        "guardrail_flagged" => flag(rows.iter().any(ResultRow::guardrail_flagged)),
        "mde_permille" => {
            let mde = e.power().mde_relative * 1000.0;
            if mde.is_finite() {
                (mde.round() as i64).min(MDE_PERMILLE_MAX)
            } else {
                MDE_PERMILLE_MAX
            }
        }
        "power_permille" => permille(e.power().power_at_true_effect),
        "sticky_on" => flag(setup.sticky),
        "cuped_on" => flag(setup.cuped),
        "engine_sequential" => flag(setup.engine == Engine::Sequential),
        "engine_bayesian" => flag(setup.engine == Engine::Bayesian),
        "lift_absolute" => flag(setup.lift == LiftKind::Absolute),
        "correction_holm" => flag(setup.correction == Correction::Holm),
        "correction_bh" => flag(setup.correction == Correction::BenjaminiHochberg),
        "arms" => setup.arms() as i64,
        "coverage_percent" => i64::from(setup.coverage_percent),
        "treatment_weight_percent" => i64::from(setup.weights_percent.get(1).copied().unwrap_or(0)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> ExperimentCommand {
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        match parse_step(verb, rest).unwrap().unwrap() {
            Step::Lab(Command::Experiment(c)) => c,
            _ => panic!("not an experiments step"),
        }
    }

    #[test]
    fn steps_read_as_lessons_write_them() {
        assert_eq!(
            command("exp-effect purchase treatment +5%"),
            ExperimentCommand::SetEffect {
                metric: ExpMetric::Purchase,
                arm: ArmIndex(1),
                lift_permille: 50
            }
        );
        assert_eq!(
            command("exp-weights 20 80"),
            ExperimentCommand::SetWeights {
                weights_percent: vec![20, 80]
            }
        );
        assert_eq!(
            command("exp-namespace 0-50"),
            ExperimentCommand::SetNamespace {
                range_percent: Some((0, 50))
            }
        );
        assert_eq!(
            command("exp-bandit epsilon:0.1 rates:2%,3%,5% pulls:50 seed:4"),
            ExperimentCommand::StartBandit {
                policy: BanditPolicy::EpsilonGreedy {
                    epsilon_permille: 100
                },
                arm_rates_permille: vec![20, 30, 50],
                pulls_per_tick: 50,
                seed: 4
            }
        );
        assert_eq!(
            command("exp-interleave seed:2 a-noise:1.5"),
            ExperimentCommand::RunInterleaving {
                seed: 2,
                ranker_a_noise_centi: 150,
                ranker_b_noise_centi: 100
            }
        );
        assert_eq!(
            command("exp-correction bh"),
            ExperimentCommand::SetCorrection(Correction::BenjaminiHochberg)
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (line, words) in [
            ("exp-effect purchase treatment 5", "with %"),
            ("exp-effect speed treatment +5%", "not a metric"),
            ("exp-engine magic", "not an engine"),
            ("exp-bandit greedy rates:1%,2%", "not a policy"),
            ("exp-peeking tests:many", "whole number"),
            ("exp-restart now", "nothing more"),
            ("exp-sticky maybe", "on or off"),
        ] {
            let (verb, rest) = line.split_once(' ').unwrap();
            let error = parse_step(verb, rest).unwrap().unwrap_err();
            assert!(error.contains(words), "{line}: {error}");
        }
        assert!(parse_step("deploy", "v2").is_none());
    }

    #[test]
    fn every_field_is_answered_from_the_first_tick() {
        let lab = Lab::new(&crate::state::LabConfig {
            seed: sim::rng::Seed(1),
            preset: crate::state::Preset::Experiments,
        });
        for f in EXPERIMENT_FIELDS {
            assert!(experiment_value(&lab, f.name).is_some(), "{}", f.name);
        }
        assert_eq!(experiment_value(&lab, "arms"), Some(2));
        assert_eq!(experiment_value(&lab, "srm_flagged"), Some(0));
        assert_eq!(experiment_value(&lab, "p_value_x1e6"), Some(1_000_000));
        assert_eq!(experiment_value(&lab, "chance_to_win_permille"), Some(500));
        assert_eq!(experiment_value(&lab, "ci_width_x1e6"), Some(0));
        assert_eq!(experiment_value(&lab, "true_lift_permille"), Some(50));
        assert_eq!(experiment_value(&lab, "nope"), None);
        let other = Lab::new(&crate::state::LabConfig::default());
        assert_eq!(experiment_value(&other, "users"), None);
    }
}
