//! The rollouts lab in lessons: its steps (lines of the steps language), the `rollout.FIELD`
//! goal metrics, and how the journal and the trace tell its commands and events.
//!
//! ```text
//! rollout-spec default-canary      # load a bundled spec by name (see specs::EXAMPLES)
//! deploy v2                        # v1's behaviour; or: deploy v2 error:10% p50:80 p99:900 quality:85% decay:5%/h
//! promote                          # also: promote-full, abort, retry, undo
//! confirm                          # open Flagger's manual gates
//! inject v2 p99:1500               # also error:10%, quality:70%, decay:10%/h, p50:200
//! traffic 50                       # requests per second
//! shift-drift feature 1.5          # standard deviations (shift-drift prediction -0.5; 0 resets)
//! cookie u42 canary=always         # user 42 sends this cookie from now on (or users u1-u50)
//! ```

use super::command::{Fault, RolloutCommand, RolloutEvent, VersionBehaviour};
use super::specs;
use super::RolloutLab;
use crate::metric::{field, flag, plain, things, Field, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;
use rollouts::analysis::AnalysisPhase;
use rollouts::argo::RunPurpose;
use rollouts::monitor::DriftTarget;

/// A percentage such as `10%` or `0.5%` in hundredths of a percent (basis points).
fn percent_basis_points(text: &str, what: &str) -> Result<u32, String> {
    let number = text
        .strip_suffix('%')
        .ok_or_else(|| format!("{what} is a percentage: write it with %, such as {what}:2%"))?;
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a percentage"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("{what} runs from 0% to 100%"));
    }
    Ok((value * 100.0).round() as u32)
}

fn percent_permille(text: &str, what: &str) -> Result<u16, String> {
    percent_basis_points(text, what).map(|bp| (bp / 10) as u16)
}

fn milliseconds(text: &str, what: &str) -> Result<u32, String> {
    text.trim_end_matches("ms")
        .parse()
        .map_err(|_| format!("{what} takes whole milliseconds, such as {what}:900"))
}

/// One `key:value` option of `deploy` or `inject`, as a fault.
fn option_fault(option: &str) -> Result<Fault, String> {
    let (key, value) = option
        .split_once(':')
        .ok_or_else(|| format!("\"{option}\" is not key:value (error:2%, p99:900, ...)"))?;
    Ok(match key {
        "error" => Fault::ErrorRateBasisPoints(percent_basis_points(value, "error")?),
        "p99" => Fault::P99Ms(milliseconds(value, "p99")?),
        "p50" => Fault::MedianMs(milliseconds(value, "p50")?),
        "quality" => Fault::QualityPermille(percent_permille(value, "quality")?),
        "decay" => Fault::QualityDecayPermillePerHour(percent_permille(
            value
                .strip_suffix("/h")
                .ok_or("decay is per hour: decay:5%/h")?,
            "decay",
        )?),
        _ => {
            return Err(format!(
                "\"{key}\" is not a behaviour: use error, p50, p99, quality or decay"
            ))
        }
    })
}

/// The behaviour `deploy` options describe, starting from v1's.
pub fn behaviour_from_options(options: &[&str]) -> Result<VersionBehaviour, String> {
    let mut b = VersionBehaviour::BASELINE;
    let mut p99_given = false;
    for option in options {
        match option_fault(option)? {
            Fault::ErrorRateBasisPoints(v) => b.error_rate_basis_points = v,
            Fault::P99Ms(v) => {
                b.p99_ms = v;
                p99_given = true;
            }
            Fault::MedianMs(v) => b.median_ms = v,
            Fault::QualityPermille(v) => b.quality_permille = v,
            Fault::QualityDecayPermillePerHour(v) => b.quality_decay_permille_per_hour = v,
        }
    }
    if !p99_given && b.p99_ms < b.median_ms {
        b.p99_ms = b.median_ms.saturating_mul(4);
    }
    Ok(b)
}

/// Parses a rollouts step (`verb` and the rest of its line), or `None` when `verb` is not one.
pub(crate) fn parse_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let bare = |command: RolloutCommand| -> Result<RolloutCommand, String> {
        if words.is_empty() {
            Ok(command)
        } else {
            Err(format!("\"{verb}\" takes nothing more"))
        }
    };
    let command = (|| -> Result<RolloutCommand, String> {
        Ok(match verb {
            "rollout-spec" => {
                let name = words.first().ok_or("rollout-spec needs an example name")?;
                let example = specs::example(name).ok_or_else(|| {
                    format!("no bundled spec \"{name}\"; use one of {}", specs::names())
                })?;
                RolloutCommand::ApplySpec {
                    yaml: example.yaml.to_string(),
                }
            }
            "deploy" => RolloutCommand::Deploy {
                version: words
                    .first()
                    .ok_or("deploy needs a version, such as v2")?
                    .to_string(),
                behaviour: behaviour_from_options(&words[1..])?,
            },
            "promote" => bare(RolloutCommand::Promote { full: false })?,
            "promote-full" => bare(RolloutCommand::Promote { full: true })?,
            "abort" => bare(RolloutCommand::Abort)?,
            "retry" => bare(RolloutCommand::Retry)?,
            "undo" => bare(RolloutCommand::Undo)?,
            "confirm" => bare(RolloutCommand::Confirm)?,
            "inject" => {
                let version = words.first().ok_or("inject needs a version, such as v2")?;
                let [option] = &words[1..] else {
                    return Err("inject takes one change, such as inject v2 p99:1500".into());
                };
                RolloutCommand::Inject {
                    version: version.to_string(),
                    change: option_fault(option)?,
                }
            }
            "traffic" => {
                let [rps] = words.as_slice() else {
                    return Err("traffic takes requests per second, such as traffic 50".into());
                };
                RolloutCommand::SetTraffic {
                    requests_per_second: rps
                        .parse()
                        .map_err(|_| "traffic takes a whole number of requests per second")?,
                }
            }
            "shift-drift" => {
                let [what, amount] = words.as_slice() else {
                    return Err("shift-drift takes feature or prediction and standard deviations, such as shift-drift feature 1.5".into());
                };
                let target = match *what {
                    "feature" => DriftTarget::Feature,
                    "prediction" => DriftTarget::Prediction,
                    _ => return Err("shift-drift moves the feature or the prediction".into()),
                };
                let sd: f64 = amount
                    .parse()
                    .map_err(|_| format!("\"{amount}\" is not a number of standard deviations"))?;
                if !sd.is_finite() || sd.abs() > 5.0 {
                    return Err("shift-drift takes -5 to 5 standard deviations".into());
                }
                RolloutCommand::ShiftDrift {
                    target,
                    amount_milli: (sd * 1000.0).round() as i32,
                }
            }
            "cookie" => {
                let [user, pair] = words.as_slice() else {
                    return Err(
                        "cookie takes a user and name=value, such as cookie u42 canary=always"
                            .into(),
                    );
                };
                let id = |u: &str| -> Result<u32, String> {
                    u.strip_prefix('u')
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| "a user is written u42, users u1-u50".to_string())
                };
                let (first_user, last_user) = match user.split_once('-') {
                    Some((first, last)) => (id(first)?, id(last)?),
                    None => (id(user)?, id(user)?),
                };
                let (name, value) = pair
                    .split_once('=')
                    .ok_or("a cookie is written name=value")?;
                RolloutCommand::SetCookie {
                    first_user,
                    last_user,
                    name: name.to_string(),
                    value: value.to_string(),
                }
            }
            _ => return Err(String::new()),
        })
    })();
    match command {
        Err(e) if e.is_empty() => None,
        other => Some(other.map(|c| Step::Lab(Command::Rollout(c)))),
    }
}

/// How a fault reads.
pub fn fault_text(fault: &Fault) -> String {
    match *fault {
        Fault::P99Ms(ms) => format!("p99 becomes {ms} ms"),
        Fault::MedianMs(ms) => format!("median latency becomes {ms} ms"),
        Fault::ErrorRateBasisPoints(bp) => format!("error rate becomes {}%", f64::from(bp) / 100.0),
        Fault::QualityPermille(q) => format!("quality becomes {}%", f64::from(q) / 10.0),
        Fault::QualityDecayPermillePerHour(d) => {
            format!("quality decays {} points per hour", f64::from(d) / 10.0)
        }
    }
}

/// How a behaviour reads.
pub fn behaviour_text(b: &VersionBehaviour) -> String {
    let mut text = format!(
        "p50 {} ms, p99 {} ms, errors {}%, quality {}%",
        b.median_ms,
        b.p99_ms,
        f64::from(b.error_rate_basis_points) / 100.0,
        f64::from(b.quality_permille) / 10.0
    );
    if b.quality_decay_permille_per_hour > 0 {
        text.push_str(&format!(
            ", decaying {} points/h",
            f64::from(b.quality_decay_permille_per_hour) / 10.0
        ));
    }
    text
}

/// How the journal tells a command.
pub fn describe_command(command: &RolloutCommand) -> String {
    match command {
        RolloutCommand::ApplySpec { yaml } => {
            match super::parse_spec(yaml).ok().and_then(|s| {
                s.rollouts
                    .first()
                    .map(|r| r.name.clone())
                    .or_else(|| s.canaries.first().map(|c| c.name.clone()))
            }) {
                Some(name) => format!("apply spec {name}"),
                None => "apply spec".into(),
            }
        }
        RolloutCommand::Deploy { version, behaviour } => {
            format!("deploy {version} ({})", behaviour_text(behaviour))
        }
        RolloutCommand::Promote { full: false } => "promote".into(),
        RolloutCommand::Promote { full: true } => "promote --full".into(),
        RolloutCommand::Abort => "abort".into(),
        RolloutCommand::Retry => "retry".into(),
        RolloutCommand::Undo => "undo".into(),
        RolloutCommand::Confirm => "confirm (open gates)".into(),
        RolloutCommand::Inject { version, change } => {
            format!("inject into {version}: {}", fault_text(change))
        }
        RolloutCommand::SetTraffic {
            requests_per_second,
        } => format!("traffic {requests_per_second} requests/s"),
        RolloutCommand::ShiftDrift {
            target,
            amount_milli,
        } => format!(
            "shift {} by {} sd",
            target.as_str(),
            f64::from(*amount_milli) / 1000.0
        ),
        RolloutCommand::SetCookie {
            first_user,
            last_user,
            name,
            value,
        } => format!(
            "cookie {name}={value} for {}",
            users_text(*first_user, *last_user)
        ),
    }
}

/// "u42" or "u1-u50".
pub fn users_text(first_user: u32, last_user: u32) -> String {
    if first_user == last_user {
        format!("u{first_user}")
    } else {
        format!("u{first_user}-u{last_user}")
    }
}

/// How the trace tells an event.
pub fn describe_event(event: &RolloutEvent) -> String {
    format!("[{}] {}", clock(event.t_ms), event.text)
}

/// Rollout time as h:mm:ss.
pub fn clock(t_ms: u64) -> String {
    let s = t_ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// What an analysis run is for, in words.
pub fn purpose_label(purpose: &RunPurpose) -> String {
    match purpose {
        RunPurpose::Step(i) => format!("step {}", i + 1),
        RunPurpose::Background => "background".into(),
        RunPurpose::PrePromotion => "pre-promotion".into(),
        RunPurpose::PostPromotion => "post-promotion".into(),
        RunPurpose::Experiment(i, name) => format!("experiment (step {}) {name}", i + 1),
    }
}

const fn so_far(one: &'static str, many: &'static str) -> Words {
    Words::Count {
        one,
        many,
        so_far: true,
    }
}

/// Fields of `rollout.FIELD`.
pub const ROLLOUT_FIELDS: &[Field] = &[
    field(
        "phase_healthy",
        flag("the rollout is Healthy", "the rollout is not Healthy"),
    ),
    field(
        "phase_progressing",
        flag(
            "the rollout is Progressing",
            "the rollout is not Progressing",
        ),
    ),
    field(
        "phase_paused",
        flag("the rollout is Paused", "the rollout is not Paused"),
    ),
    field(
        "phase_degraded",
        flag(
            "the rollout is Degraded (aborted)",
            "the rollout is not Degraded",
        ),
    ),
    field("step", plain("the current step's index (0 is the first)")),
    field("step_count", things("the spec's steps", "step", "steps")),
    field("canary_weight", plain("the canary weight set, in percent")),
    field(
        "actual_weight",
        plain("the canary's actual weight, in percent"),
    ),
    field("aborts", so_far("abort", "aborts")),
    field("promotions", so_far("promotion", "promotions")),
    field(
        "completed",
        so_far("completed rollout", "completed rollouts"),
    ),
    field("analysis_runs", so_far("analysis run", "analysis runs")),
    field(
        "analysis_runs_failed",
        so_far("failed analysis run", "failed analysis runs"),
    ),
    field(
        "analysis_runs_successful",
        so_far("successful analysis run", "successful analysis runs"),
    ),
    field("measurements", so_far("measurement", "measurements")),
    field(
        "measurements_successful",
        so_far("successful measurement", "successful measurements"),
    ),
    field(
        "measurements_failed",
        so_far("failed measurement", "failed measurements"),
    ),
    field(
        "measurements_inconclusive",
        so_far("inconclusive measurement", "inconclusive measurements"),
    ),
    field(
        "measurements_error",
        so_far("measurement in error", "measurements in error"),
    ),
    field(
        "canary_requests",
        so_far(
            "request answered by the canary",
            "requests answered by the canary",
        ),
    ),
    field(
        "mirrored_requests",
        so_far("mirrored request", "mirrored requests"),
    ),
    field("user_requests", so_far("user request", "user requests")),
    field(
        "test_requests",
        so_far("smoke- or load-test request", "smoke- or load-test requests"),
    ),
    field(
        "failed_checks",
        plain("Flagger's failed checks (0 under Argo)"),
    ),
    field(
        "alerts_firing",
        things("the alerts firing", "alert", "alerts"),
    ),
    field("alerts_fired", so_far("alert fired", "alerts fired")),
    field(
        "alerts_resolved",
        so_far("alert resolved", "alerts resolved"),
    ),
    field(
        "psi_x1000",
        plain("the latest PSI (the larger of feature and prediction), times 1000 (0 before the first drift check)"),
    ),
    field(
        "feature_psi_x1000",
        plain("the feature's latest PSI, times 1000"),
    ),
    field(
        "prediction_psi_x1000",
        plain("the prediction's latest PSI, times 1000"),
    ),
    field(
        "ks_x1000",
        plain("the latest KS statistic (the larger), times 1000"),
    ),
    field(
        "ks_p_permille",
        plain("the latest KS p-value (the smaller), times 1000, rounded down (1000 before the first drift check)"),
    ),
    field("feature_ks_x1000", plain("the feature's latest KS statistic, times 1000")),
    field("prediction_ks_x1000", plain("the prediction's latest KS statistic, times 1000")),
    field(
        "feature_ks_p_permille",
        plain("the feature's latest KS p-value, in thousandths (rounded down)"),
    ),
    field(
        "prediction_ks_p_permille",
        plain("the prediction's latest KS p-value, in thousandths (rounded down)"),
    ),
    field("drift_checks", so_far("drift check", "drift checks")),
    field("canary_p99_ms", plain("the canary's p99 over the last minute, in ms")),
    field("stable_p99_ms", plain("the stable version's p99 over the last minute, in ms")),
    field("canary_p99_min_ms", plain("the lowest per-minute p99 of the canary, in ms")),
    field("canary_p99_max_ms", plain("the highest per-minute p99 of the canary, in ms")),
    field("stable_p99_min_ms", plain("the lowest per-minute p99 of the stable version, in ms")),
    field("stable_p99_max_ms", plain("the highest per-minute p99 of the stable version, in ms")),
    field("judge_high", things("the judge's metrics judged High", "metric", "metrics")),
    field("judge_low", things("the judge's metrics judged Low", "metric", "metrics")),
    field(
        "judge_score",
        plain("the Kayenta judge's score, in percent"),
    ),
    field(
        "judge_pass",
        flag(
            "the judge's latest outcome is Pass",
            "the judge's latest outcome is not Pass",
        ),
    ),
    field(
        "judge_fail",
        flag(
            "the judge's latest outcome is Fail",
            "the judge's latest outcome is not Fail",
        ),
    ),
    field(
        "judge_equal_baseline",
        flag(
            "the judge compared an experiment's canary with its equal-size baseline",
            "the judge did not compare an experiment's baseline and canary",
        ),
    ),
    field(
        "requests_per_second",
        plain("the traffic, in requests per second"),
    ),
    field("rollout_time_s", plain("the rollout time, in seconds")),
];

/// Measurements of the current controller's runs with `phase` (all of them with None).
fn measurements(lab: &RolloutLab, phase: Option<AnalysisPhase>) -> i64 {
    let argo: usize = lab
        .analysis_runs()
        .iter()
        .flat_map(|r| r.run.metrics())
        .flat_map(|m| &m.measurements)
        .filter(|m| phase.is_none_or(|p| m.phase == p))
        .count();
    let flagger = lab
        .flagger_checks()
        .iter()
        .filter(|c| match phase {
            None => true,
            Some(AnalysisPhase::Successful) => c.ok,
            Some(AnalysisPhase::Failed) => !c.ok,
            Some(_) => false,
        })
        .count();
    (argo + flagger) as i64
}

fn runs(lab: &RolloutLab, phase: Option<AnalysisPhase>) -> i64 {
    lab.analysis_runs()
        .iter()
        .filter(|r| phase.is_none_or(|p| r.run.phase() == p))
        .count() as i64
}

fn x1000(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

/// The per-minute p99s (ms) kept for `version`.
fn p99s(lab: &RolloutLab, version: Option<&str>) -> Vec<f64> {
    lab.series()
        .iter()
        .filter(|s| Some(s.version.as_str()) == version)
        .flat_map(|s| s.points.iter().filter_map(|p| p.p99_ms))
        .collect()
}

/// `canary_p99_ms`, `stable_p99_max_ms`...: the latest, lowest or highest per-minute p99 of the
/// candidate or the stable version, in whole ms (None: not such a field; Some(None): no data).
fn p99_field(lab: &RolloutLab, field: &str) -> Option<Option<i64>> {
    let (who, how) = field.strip_suffix("_ms")?.split_once("_p99")?;
    let strip = lab.steps();
    let version = match who {
        "canary" => strip.candidate.as_deref(),
        "stable" => Some(strip.stable.as_str()),
        _ => return None,
    };
    let values = p99s(lab, version);
    let value = match how {
        "_min" => values.iter().copied().reduce(f64::min),
        "_max" => values.iter().copied().reduce(f64::max),
        "" => values.last().copied(),
        _ => return None,
    };
    Some(value.map(|v| v.round() as i64))
}

/// The value of `rollout.FIELD`, or None outside the rollouts preset (or when it has none yet).
pub fn rollout_value(lab: &Lab, field: &str) -> Option<i64> {
    let r = lab.rollouts()?;
    let strip = r.steps();
    let tallies = r.tallies();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let flag = |b: bool| i64::from(b);
    let drift = r.drift();
    if let Some(value) = p99_field(r, field) {
        return value;
    }
    let judge_rows = |verdict: &str| {
        r.judge().map_or(0, |j| {
            j.rows.iter().filter(|row| row.verdict == verdict).count() as i64
        })
    };
    Some(match field {
        "phase_healthy" => flag(strip.phase == "Healthy"),
        "phase_progressing" => flag(strip.phase == "Progressing"),
        "phase_paused" => flag(strip.phase == "Paused"),
        "phase_degraded" => flag(strip.phase == "Degraded"),
        "step" => strip.current? as i64,
        "step_count" => strip.steps.len() as i64,
        "canary_weight" => i64::from(strip.set_weight_percent),
        "actual_weight" => i64::from(strip.actual_weight_percent),
        "aborts" => n(tallies.aborts),
        "promotions" => n(tallies.promotions),
        "completed" => n(tallies.completed),
        "analysis_runs" => runs(r, None),
        "analysis_runs_failed" => runs(r, Some(AnalysisPhase::Failed)),
        "analysis_runs_successful" => runs(r, Some(AnalysisPhase::Successful)),
        "measurements" => measurements(r, None),
        "measurements_successful" => measurements(r, Some(AnalysisPhase::Successful)),
        "measurements_failed" => measurements(r, Some(AnalysisPhase::Failed)),
        "measurements_inconclusive" => measurements(r, Some(AnalysisPhase::Inconclusive)),
        "measurements_error" => measurements(r, Some(AnalysisPhase::Error)),
        "canary_requests" => n(tallies.canary_requests),
        "mirrored_requests" => n(r.world().totals().mirrored_copies),
        "user_requests" => n(r.world().totals().user_requests),
        "test_requests" => n(tallies.test_requests),
        "failed_checks" => i64::from(strip.failed_checks.unwrap_or(0)),
        "alerts_firing" => r.alerts_firing() as i64,
        "alerts_fired" => n(tallies.alerts_fired),
        "alerts_resolved" => n(tallies.alerts_resolved),
        // Drift reads 0 before the first check, so goals can name it from the start.
        "psi_x1000" => drift.map_or(0, |d| x1000(d.feature.psi.max(d.prediction.psi))),
        "feature_psi_x1000" => drift.map_or(0, |d| x1000(d.feature.psi)),
        "prediction_psi_x1000" => drift.map_or(0, |d| x1000(d.prediction.psi)),
        "ks_x1000" => drift.map_or(0, |d| {
            x1000(d.feature.ks_statistic.max(d.prediction.ks_statistic))
        }),
        "ks_p_permille" => drift.map_or(1000, |d| {
            (d.feature.ks_p_value.min(d.prediction.ks_p_value) * 1000.0).floor() as i64
        }),
        "feature_ks_x1000" => drift.map_or(0, |d| x1000(d.feature.ks_statistic)),
        "prediction_ks_x1000" => drift.map_or(0, |d| x1000(d.prediction.ks_statistic)),
        "feature_ks_p_permille" => {
            drift.map_or(1000, |d| (d.feature.ks_p_value * 1000.0).floor() as i64)
        }
        "prediction_ks_p_permille" => {
            drift.map_or(1000, |d| (d.prediction.ks_p_value * 1000.0).floor() as i64)
        }
        "drift_checks" => n(tallies.drift_checks),
        "judge_high" => judge_rows("High"),
        "judge_low" => judge_rows("Low"),
        "judge_score" => r.judge()?.score_percent.round() as i64,
        "judge_pass" => flag(r.judge().is_some_and(|j| j.outcome == "Pass")),
        "judge_fail" => flag(r.judge().is_some_and(|j| j.outcome == "Fail")),
        "judge_equal_baseline" => flag(r.judge().is_some_and(|j| j.equal_baseline)),
        "requests_per_second" => i64::from(r.requests_per_second()),
        "rollout_time_s" => n(r.now_ms() / 1000),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> RolloutCommand {
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        match parse_step(verb, rest).unwrap().unwrap() {
            Step::Lab(Command::Rollout(c)) => c,
            _ => panic!("not a rollout step"),
        }
    }

    #[test]
    fn deploy_options_read_as_lessons_write_them() {
        let RolloutCommand::Deploy { version, behaviour } =
            command("deploy v2 error:0.5% p99:900 quality:85% decay:5%/h")
        else {
            panic!("not a deploy");
        };
        assert_eq!(version, "v2");
        assert_eq!(behaviour.error_rate_basis_points, 50);
        assert_eq!(behaviour.p99_ms, 900);
        assert_eq!(behaviour.quality_permille, 850);
        assert_eq!(behaviour.quality_decay_permille_per_hour, 50);
        assert_eq!(behaviour.median_ms, 80);
    }

    #[test]
    fn mistakes_are_named() {
        for (line, words) in [
            ("deploy v2 error:2", "with %"),
            ("deploy v2 speed:3", "not a behaviour"),
            ("rollout-spec nope", "default-canary"),
            ("inject v2", "one change"),
            ("shift-drift feature 9", "-5 to 5"),
            ("promote now", "nothing more"),
        ] {
            let (verb, rest) = line.split_once(' ').unwrap();
            let error = parse_step(verb, rest).unwrap().unwrap_err();
            assert!(error.contains(words), "{line}: {error}");
        }
        assert!(parse_step("produce", "orders").is_none());
    }

    #[test]
    fn every_field_is_answered_in_the_preset_or_absent_on_purpose() {
        let lab = Lab::new(&crate::state::LabConfig {
            seed: sim::rng::Seed(1),
            preset: crate::state::Preset::Rollouts,
        });
        let absent_at_start = [
            "step",
            "judge_score",
            "canary_p99_ms",
            "stable_p99_ms",
            "canary_p99_min_ms",
            "canary_p99_max_ms",
            "stable_p99_min_ms",
            "stable_p99_max_ms",
        ];
        for f in ROLLOUT_FIELDS {
            let value = rollout_value(&lab, f.name);
            assert_eq!(
                value.is_none(),
                absent_at_start.contains(&f.name),
                "{}",
                f.name
            );
        }
        assert_eq!(rollout_value(&lab, "phase_healthy"), Some(1));
        assert_eq!(rollout_value(&lab, "requests_per_second"), Some(20));
    }
}
