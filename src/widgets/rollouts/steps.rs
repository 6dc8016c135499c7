//! The step strip: the spec's steps in order (done, current, still to come), the rollout's phase,
//! the weight the step set and the weight the mesh actually has, the pause and how long it has
//! left (or that it waits for a promote), and the buttons that drive a rollout by hand: promote,
//! promote fully, abort, retry, undo, and Flagger's manual gate. A button the lab would refuse now
//! (nothing to promote, nothing aborted to retry) is disabled with the lab's own reason as its
//! tooltip; a click the lab still refuses is shown with its hint.

use super::{clock, command_button, no_rollout, phase_badge, refusal_view};
use crate::widgets::hooks::use_refusal;
use lab::rollout_lab::command::RolloutCommand;
use yew::prelude::*;

#[component]
pub fn RolloutSteps() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let strip = rollouts.steps();
    let flagger = rollouts.strategy().starts_with("flagger");
    let pause = if strip.waiting_for_promote {
        "paused until promoted".to_string()
    } else {
        strip
            .pause_remaining_ms
            .map_or_else(String::new, |ms| format!("pause ends in {}", clock(ms)))
    };
    let versions = match &strip.candidate {
        Some(candidate) => format!("stable {} → canary {candidate}", strip.stable),
        None => format!("stable {}", strip.stable),
    };
    let step_class = |i: usize| match strip.current {
        Some(c) if i < c => "ro-step ro-done",
        Some(c) if i == c => "ro-step ro-current",
        // A finished rollout has walked every step.
        None if strip.phase == "Healthy" && strip.candidate.is_none() => "ro-step",
        _ => "ro-step ro-todo",
    };
    let button = |command: RolloutCommand, class, text| {
        command_button(&session, &refusal, command, (class, text))
    };
    html! {
        <div class="rollout-steps" data-phase={strip.phase} data-weight={strip.set_weight_percent.to_string()}
            data-actual-weight={strip.actual_weight_percent.to_string()}
            data-step={strip.current.map_or_else(String::new, |c| c.to_string())}>
            <p class="ro-status">
                { phase_badge(strip.phase) }
                <span class="ro-weight">{ format!(" weight {}% set · {}% actual", strip.set_weight_percent, strip.actual_weight_percent) }</span>
                <span class="small muted">{ format!(" · {versions}") }</span>
                if !pause.is_empty() { <span class="ro-pause">{ format!(" · {pause}") }</span> }
                if let (Some(failed), Some(threshold)) = (strip.failed_checks, strip.threshold) {
                    <span class="ro-checks">{ format!(" · failed checks {failed}/{threshold}") }</span>
                }
            </p>
            if strip.candidate.is_none() {
                <p class="small muted ro-idle">{ "No rollout in progress: deploy a version to start one." }</p>
            }
            if !strip.detail.is_empty() {
                <p class="small ro-detail">{ strip.detail.clone() }</p>
            }
            <ol class="ro-strip" aria-label={if flagger { "The weights Flagger walks" } else { "The spec's steps" }}>
                { for strip.steps.iter().map(|s| html! {
                    <li class={step_class(s.index)} data-key={s.key} aria-current={(strip.current == Some(s.index)).then_some("step")}>
                        <span class="ro-step-n" aria-label={format!("step {}", s.index + 1)}>
                            { if matches!(strip.current, Some(c) if s.index < c) { "✓".to_string() } else { (s.index + 1).to_string() } }
                        </span>
                        <span class="ro-step-label">{ s.label.clone() }</span>
                    </li>
                }) }
            </ol>
            <div class="inline-form ro-buttons">
                if flagger {
                    { button(RolloutCommand::Confirm, "primary ro-confirm", "Confirm (open the gate)") }
                } else {
                    { button(RolloutCommand::Promote { full: false }, "primary ro-promote", "Promote") }
                    { button(RolloutCommand::Promote { full: true }, "ro-promote-full", "Promote full") }
                }
                { button(RolloutCommand::Abort, "danger ro-abort", "Abort") }
                if !flagger {
                    { button(RolloutCommand::Retry, "ro-retry", "Retry") }
                    { button(RolloutCommand::Undo, "ro-undo", "Undo (roll back)") }
                }
            </div>
            { refusal_view(&refusal) }
        </div>
    }
}
