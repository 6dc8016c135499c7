//! The step strip the page draws: the spec's steps in order, which one the rollout is on, the
//! weight set and reached, and the pause. Argo's canary steps are the spec's own; a blue-green
//! rollout's are its stages; Flagger's are the weights (or iterations) its analysis will walk.

use super::controller::Controller;
use rollouts::argo::RolloutPhase;
use rollouts::flagger::FlaggerStrategy;
use rollouts::spec::{CanaryStep, RolloutStrategy, SpecSet};
use rollouts::value::TimeMs;

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepView {
    pub index: usize,
    /// setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, experiment; for blue-green
    /// and Flagger: preview, analysis, pause, switch, weight, iteration, promote.
    pub key: &'static str,
    pub label: String,
}

/// The strip and where the rollout is on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepStrip {
    pub steps: Vec<StepView>,
    pub current: Option<usize>,
    pub set_weight_percent: u8,
    pub actual_weight_percent: u8,
    /// Healthy, Progressing, Paused or Degraded.
    pub phase: &'static str,
    /// The pause reason, Flagger's own phase, or the abort message.
    pub detail: String,
    pub pause_remaining_ms: Option<u64>,
    /// Paused until someone promotes (Argo's `pause: {}`, an inconclusive analysis, a
    /// blue-green pause) or confirms (a Flagger gate).
    pub waiting_for_promote: bool,
    pub stable: String,
    pub candidate: Option<String>,
    pub failed_checks: Option<u32>,
    pub threshold: Option<u32>,
}

/// "30s", "5m", "1m30s", "1h".
pub fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut text = String::new();
    if h > 0 {
        text.push_str(&format!("{h}h"));
    }
    if m > 0 {
        text.push_str(&format!("{m}m"));
    }
    if sec > 0 || text.is_empty() {
        text.push_str(&format!("{sec}s"));
    }
    text
}

fn step(index: usize, key: &'static str, label: String) -> StepView {
    StepView { index, key, label }
}

fn canary_steps(steps: &[CanaryStep]) -> Vec<StepView> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let label = match s {
                CanaryStep::SetWeight(w) => format!("{w}%"),
                CanaryStep::Pause(Some(d)) => format!("pause {}", duration_text(d.0)),
                CanaryStep::Pause(None) => "pause (until promoted)".to_string(),
                CanaryStep::Analysis(a) => format!("analysis {}", a.templates.join(", ")),
                CanaryStep::SetHeaderRoute(r) => format!("header route {}", r.name),
                CanaryStep::SetMirrorRoute(r) => format!("mirror {} {}%", r.name, r.percentage),
                CanaryStep::Experiment(_) => "experiment".to_string(),
            };
            step(i, s.key(), label)
        })
        .collect()
}

/// The strip for `specs` as `controller` stands at `now`.
pub fn strip(specs: &SpecSet, controller: &Controller, now: TimeMs) -> StepStrip {
    let phase = controller.phase(now);
    let stable = controller.stable(now).0;
    let candidate = controller.candidate(now).map(|c| c.0);
    if let Some(status) = controller.argo_status(now) {
        let steps = match specs.rollouts.first().map(|r| &r.strategy) {
            Some(RolloutStrategy::Canary(c)) => canary_steps(&c.steps),
            Some(RolloutStrategy::BlueGreen(b)) => {
                let mut keys = vec![("preview", format!("preview {}", b.active_service))];
                if b.pre_promotion.is_some() {
                    keys.push(("analysis", "pre-promotion analysis".to_string()));
                }
                if !b.auto_promotion_enabled {
                    keys.push(("pause", "pause (until promoted)".to_string()));
                }
                keys.push(("switch", "switch active".to_string()));
                if b.post_promotion.is_some() {
                    keys.push(("analysis", "post-promotion analysis".to_string()));
                }
                keys.into_iter()
                    .enumerate()
                    .map(|(i, (k, l))| step(i, k, l))
                    .collect()
            }
            None => Vec::new(),
        };
        let paused = matches!(status.phase, RolloutPhase::Paused(_));
        return StepStrip {
            steps,
            current: status.step_index,
            set_weight_percent: status.set_weight_percent,
            actual_weight_percent: status.actual_weight_percent,
            phase: phase.phase,
            detail: phase.detail,
            pause_remaining_ms: status.pause_ends_at.map(|end| end.since(now).0),
            waiting_for_promote: paused && status.pause_ends_at.is_none(),
            stable,
            candidate,
            failed_checks: None,
            threshold: None,
        };
    }
    let Some(flagger) = controller.flagger() else {
        return StepStrip::default();
    };
    let analysis = &flagger.spec().analysis;
    let status = flagger.status();
    let mut steps = Vec::new();
    let mut current = None;
    match flagger.strategy() {
        FlaggerStrategy::Canary => {
            let weights: Vec<u8> = if analysis.step_weights.is_empty() {
                let step_weight = analysis.step_weight.max(1);
                (1..)
                    .map(|k: u32| (u32::from(step_weight) * k).min(100) as u8)
                    .take_while(|w| *w <= analysis.max_weight)
                    .take(100)
                    .collect()
            } else {
                analysis.step_weights.clone()
            };
            for w in weights {
                if w == status.canary_weight_percent {
                    current = Some(steps.len());
                }
                steps.push(step(steps.len(), "weight", format!("{w}%")));
            }
        }
        FlaggerStrategy::AbTesting | FlaggerStrategy::BlueGreen => {
            for n in 1..=analysis.iterations.unwrap_or(0).min(100) {
                if n == status.iterations {
                    current = Some(steps.len());
                }
                steps.push(step(steps.len(), "iteration", format!("iteration {n}")));
            }
        }
    }
    steps.push(step(steps.len(), "promote", "promote".to_string()));
    let weight = status.canary_weight_percent;
    StepStrip {
        steps,
        current: if candidate.is_some() { current } else { None },
        set_weight_percent: weight,
        actual_weight_percent: weight,
        waiting_for_promote: phase.phase == "Paused",
        phase: phase.phase,
        detail: phase.detail,
        pause_remaining_ms: None,
        stable,
        candidate,
        failed_checks: Some(status.failed_checks),
        threshold: Some(analysis.threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        assert_eq!(duration_text(30_000), "30s");
        assert_eq!(duration_text(300_000), "5m");
        assert_eq!(duration_text(90_000), "1m30s");
        assert_eq!(duration_text(3_600_000), "1h");
        assert_eq!(duration_text(0), "0s");
    }
}
