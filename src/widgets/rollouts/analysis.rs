//! Analysis runs as Argo Rollouts records them: each run (what it is for, its phase and message)
//! and, per metric, its conditions, its tallies against the limits, and every measurement with
//! its verdict (Successful, Failed, Inconclusive or Error, with a symbol as well as a colour),
//! the value the query returned and the reason for the verdict. A run that went wrong offers to
//! fork at the tick it ended: there the learner loosens the threshold in the spec editor and
//! Applies (the timeline forks; as in Argo, the edited AnalysisTemplate is read by runs started
//! afterwards while the rollout keeps its place), then Retry walks the steps again and the new
//! run uses the new threshold. Flagger's checks (one per metric per interval) are listed the
//! same way.

use super::{clock, no_rollout, phase_badge};
use crate::store::LabAction;
use lab::rollout_lab::glue::purpose_label;
use lab::rollouts::analysis::{AnalysisPhase, Measurement, MetricRun};
use lab::rollouts::argo::RunRecord;
use yew::prelude::*;

/// Runs listed at most, newest first.
const RUNS_SHOWN: usize = 5;
/// Measurements listed per metric at most, newest last.
const MEASUREMENTS_SHOWN: usize = 12;

/// Why a measurement has its verdict, in the words of the metric's conditions.
pub fn reason(metric: &MetricRun, m: &Measurement) -> String {
    let success = metric.spec.success_condition.as_deref();
    let failure = metric.spec.failure_condition.as_deref();
    let said = match m.phase {
        AnalysisPhase::Error => format!("the query or condition failed: {}", m.message),
        AnalysisPhase::Failed => match (failure, success) {
            (Some(f), _) => format!("failureCondition {f} is true"),
            (None, Some(s)) => format!("successCondition {s} is false"),
            (None, None) => "failed".to_string(),
        },
        AnalysisPhase::Successful => match (success, failure) {
            (Some(s), _) => format!("successCondition {s} is true"),
            (None, Some(f)) => format!("failureCondition {f} is false"),
            (None, None) => "no condition: every value passes".to_string(),
        },
        AnalysisPhase::Inconclusive => format!(
            "neither successCondition {} nor failureCondition {} is true",
            success.unwrap_or("-"),
            failure.unwrap_or("-")
        ),
        AnalysisPhase::Running | AnalysisPhase::Pending => "not measured yet".to_string(),
    };
    if metric.dry_run {
        format!("{said} (dry run: never decides the run)")
    } else {
        said
    }
}

/// The value as Argo shows it, or "no data" for an empty vector.
fn value_text(m: &Measurement) -> String {
    if m.value.is_empty() || m.value == "[]" {
        "no data".to_string()
    } else {
        m.value.clone()
    }
}

/// A metric's tallies against its limits.
fn counts_text(metric: &MetricRun) -> String {
    let c = metric.counts;
    format!(
        "{} successful · {} failed (limit {}) · {} inconclusive (limit {}) · {} error (consecutive limit {})",
        c.successful,
        c.failed,
        metric.spec.failure_limit,
        c.inconclusive,
        metric.spec.inconclusive_limit,
        c.error,
        metric.spec.consecutive_error_limit
    )
}

fn metric_view(metric: &MetricRun) -> Html {
    let skip = metric.measurements.len().saturating_sub(MEASUREMENTS_SHOWN);
    html! {
        <div class="ra-metric" data-metric={metric.spec.name.clone()}>
            <p class="ra-metric-head">
                { phase_badge(metric.phase.as_str()) }
                <strong>{ format!(" {}", metric.spec.name) }</strong>
                if metric.dry_run { <span class="small muted">{ " (dry run)" }</span> }
                <span class="small muted">{ format!(" · {}", counts_text(metric)) }</span>
            </p>
            if skip > 0 {
                <p class="small muted">{ format!("{skip} earlier measurement(s) not shown.") }</p>
            }
            <ol class="ra-measurements">
                { for metric.measurements.iter().skip(skip).map(|m| html! {
                    <li class={classes!("ra-measurement", format!("ra-{}", m.phase.as_str().to_ascii_lowercase()))} data-phase={m.phase.as_str()}>
                        <span class="ra-time small muted">{ clock(m.started_at.0) }</span>
                        { phase_badge(m.phase.as_str()) }
                        <code class="ra-value">{ value_text(m) }</code>
                        <span class="ra-reason small">{ reason(metric, m) }</span>
                    </li>
                }) }
            </ol>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RunProps {
    record: RunRecord,
    /// The last tick of the lab (a fork can only be at or before it).
    end: u64,
}

#[component]
fn RunView(props: &RunProps) -> Html {
    let session = crate::widgets::use_lab();
    let run = &props.record.run;
    let phase = run.phase();
    let went_wrong = matches!(
        phase,
        AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
    );
    let fork_at = run.completed_at().map(|t| {
        session
            .view
            .first_tick_showing_rollout_ms(t.0)
            .0
            .min(props.end)
    });
    let fork_here = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(tick) = fork_at {
                session.dispatch(LabAction::Pause);
                session.dispatch(LabAction::Seek(lab::clock::Tick(tick)));
            }
        })
    };
    let then = if phase == AnalysisPhase::Inconclusive {
        "then Abort and Retry"
    } else {
        "then Retry"
    };
    let ended = run
        .completed_at()
        .map_or_else(String::new, |t| format!(", ended {}", clock(t.0)));
    html! {
        <section class="ra-run" data-phase={phase.as_str()} aria-label={format!("Analysis run {}", run.name())}>
            <p class="ra-run-head">
                { phase_badge(phase.as_str()) }
                <strong>{ format!(" {}", run.name()) }</strong>
                <span class="small muted">{ format!(" · {} · started {}{ended}", purpose_label(&props.record.purpose), clock(run.started_at().0)) }</span>
            </p>
            if !run.message().is_empty() {
                <p class="small ra-message">{ run.message().to_string() }</p>
            }
            { for run.metrics().iter().map(metric_view) }
            if let (true, Some(tick)) = (went_wrong, fork_at) {
                <p class="small ra-fork">
                    <button class="ra-fork-here" onclick={fork_here}>{ format!("Fork here (tick {tick})") }</button>
                    { format!(", loosen the threshold in the spec, Apply, {then}: runs started after the edit read the new template while the rollout keeps its place, and Play shows the other outcome. Undo brings this future back.") }
                </p>
            }
        </section>
    }
}

#[component]
pub fn RolloutAnalysis() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let runs: &[RunRecord] = rollouts.analysis_runs();
    let end = session.with_timeline(|t| t.end().0);
    let checks = rollouts.flagger_checks();
    let failed = runs
        .iter()
        .flat_map(|r| r.run.metrics())
        .flat_map(|m| m.measurements.iter())
        .filter(|m| m.phase == AnalysisPhase::Failed)
        .count();
    html! {
        <div class="rollout-analysis" data-runs={runs.len().to_string()} data-failed={failed.to_string()}>
            if runs.is_empty() && checks.is_empty() {
                <p class="muted small">{ "No analysis yet: deploy a version and the spec's analysis steps start runs here." }</p>
            }
            { for runs.iter().rev().take(RUNS_SHOWN).map(|r| html! {
                <RunView record={r.clone()} {end} />
            }) }
            if runs.len() > RUNS_SHOWN {
                <p class="small muted">{ format!("{} earlier run(s) not shown.", runs.len() - RUNS_SHOWN) }</p>
            }
            if !checks.is_empty() {
                <ol class="ra-measurements ra-checks" aria-label="Flagger's checks, newest last">
                    { for checks.iter().rev().take(MEASUREMENTS_SHOWN).rev().map(|c| {
                        let phase = if c.ok { "Successful" } else { "Failed" };
                        html! {
                            <li class={classes!("ra-measurement", format!("ra-{}", phase.to_ascii_lowercase()))} data-phase={phase}>
                                <span class="ra-time small muted">{ clock(c.t_ms) }</span>
                                { phase_badge(phase) }
                                <code class="ra-value">{ c.value.map_or_else(|| "no data".to_string(), |v| format!("{v:.3}")) }</code>
                                <span class="ra-reason small">{ format!("{}: {}", c.metric, if c.ok { "within its thresholdRange" } else { "outside its thresholdRange, or no data" }) }</span>
                            </li>
                        }
                    }) }
                </ol>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::rng::Seed;
    use lab::rollout_lab::command::{RolloutCommand, VersionBehaviour};
    use lab::state::{Command, LabConfig, Preset};
    use lab::timeline::Timeline;

    #[test]
    fn a_5xx_spike_fails_the_default_analysis_and_the_reason_names_the_condition() {
        let mut t = Timeline::new(LabConfig {
            seed: Seed(1),
            preset: Preset::Rollouts,
        });
        let deploy = RolloutCommand::Deploy {
            version: "v2".into(),
            behaviour: VersionBehaviour {
                error_rate_basis_points: 1000,
                ..VersionBehaviour::BASELINE
            },
        };
        t.apply_at(t.end(), Command::Rollout(deploy)).unwrap();
        for _ in 0..120 {
            t.advance_head().unwrap();
        }
        let rollouts = t
            .head()
            .rollouts()
            .expect("the rollouts preset has a rollout");
        assert_eq!(rollouts.steps().phase, "Degraded");
        let failed: Vec<String> = rollouts
            .analysis_runs()
            .iter()
            .flat_map(|r| r.run.metrics())
            .flat_map(|m| {
                m.measurements
                    .iter()
                    .filter(|x| x.phase == AnalysisPhase::Failed)
                    .map(move |x| reason(m, x))
            })
            .collect();
        assert_eq!(
            failed,
            vec!["successCondition result[0] >= 0.95 is false".to_string()]
        );
        // "Fork here" goes to the first tick whose state holds the failure, not the one before.
        let ended = rollouts.analysis_runs()[0]
            .run
            .completed_at()
            .expect("the failed run ended");
        let fork_at = t.head().first_tick_showing_rollout_ms(ended.0).0;
        let phase_at = |tick: u64| {
            t.state_at(lab::clock::Tick(tick))
                .rollouts()
                .map(|r| r.steps().phase)
                .unwrap_or_default()
        };
        assert_eq!(phase_at(fork_at), "Degraded");
        assert_ne!(phase_at(fork_at - 1), "Degraded");
    }
}
