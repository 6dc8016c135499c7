//! The rollouts lab's widgets: the spec editor, the step strip with the rollout's buttons, the
//! traffic split, the analysis runs and their measurements, per-version charts with the
//! analysis thresholds, the alerts, the drift histograms, the baseline-vs-canary judge, and the
//! panel that deploys versions and injects faults.
//!
//! Every widget reads the rollout lab of the state on screen (`Lab::rollouts`); every action is a
//! `Command::Rollout`, checked with `Lab::validate` first so a refusal is shown beside its control
//! with its hint and nothing is journaled. Acting while looking at the past forks the timeline
//! there, which is how a learner replays a failed analysis with another threshold.

pub mod alerts;
pub mod analysis;
pub mod chart;
pub mod deploy;
pub mod drift;
pub mod judge;
pub mod metrics;
pub mod spec;
pub mod steps;
pub mod traffic;

use crate::store::LabHandle;
use lab::rollout_lab::command::RolloutCommand;
use lab::state::Command;
use yew::prelude::*;

/// A refusal: the message, then the hint.
pub type Refusal = Option<(String, String)>;

/// The message a rollouts widget shows in a lab without a rollout.
pub fn no_rollout() -> Html {
    html! { <p class="muted">{ "This lab has no rollout: open the rollouts lab." }</p> }
}

/// Checks `command` against the state on screen and, if the lab takes it, journals it; else
/// returns the lab's refusal (message, hint).
pub fn try_send(session: &LabHandle, command: RolloutCommand) -> Result<(), (String, String)> {
    crate::widgets::try_send(session, Command::Rollout(command))
}

/// A refusal as the widgets show it (the same box as the other labs').
pub fn refusal_view(refusal: &Refusal) -> Html {
    crate::widgets::streaming::refusal_view(refusal)
}

pub use lab::rollout_lab::glue::clock;

/// A phase as a badge: a symbol and the word, so it reads without colour. `phase` is Argo's
/// name (Successful, Failed, Inconclusive, Error, Running, Pending) or a rollout phase.
pub fn phase_badge(phase: &str) -> Html {
    let symbol = match phase {
        "Successful" | "Healthy" | "Pass" => "✓",
        "Failed" | "Degraded" | "Fail" => "✗",
        "Inconclusive" | "Paused" | "Marginal" => "?",
        "Error" => "!",
        "Running" | "Progressing" => "…",
        _ => "·",
    };
    html! {
        <span class={classes!("ro-badge", format!("ro-{}", phase.to_ascii_lowercase()))}>
            <span aria-hidden="true">{ symbol }</span>{ " " }{ phase.to_string() }
        </span>
    }
}

/// A button that sends `command`, disabled with the lab's reason as its tooltip when the lab on
/// screen would refuse it now (`RolloutLab::validate` reads the lab in place, so asking on every
/// frame costs nothing). A refusal at click time lands in `refusal`.
pub fn command_button(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    command: RolloutCommand,
    (class, text): (&'static str, &'static str),
) -> Html {
    let unavailable = session
        .view
        .rollouts()
        .and_then(|rollouts| rollouts.validate(&command).err())
        .map(|(message, hint)| format!("{message} ({hint})"));
    let disabled = unavailable.is_some();
    let onclick = {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| refusal.set(try_send(&session, command.clone()).err()))
    };
    html! {
        <button class={class} disabled={disabled} title={unavailable} {onclick}>{ text }</button>
    }
}
