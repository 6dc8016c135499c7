//! The experiments lab's widgets: the experiment's setup (arms, weights, coverage, key,
//! namespace, holdout, effects, traffic, faults), the results table as GrowthBook shows it, the
//! hash allocation, the power calculator, the peeking simulator, the interleaving view and the
//! bandit.
//!
//! Every widget reads the experiments lab of the state on screen (`Lab::experiments`); every
//! action is a `Command::Experiment`, checked with `Lab::validate` first, so a refusal is shown
//! beside its control with its hint and nothing is journaled. Numbers are formatted by hand here
//! (no `Debug`, no formatting crate): the bundle is at its size budget.

pub mod allocation;
pub mod bandit;
pub mod chart;
pub mod interleaving;
pub mod peeking;
pub mod power;
pub mod results;
pub mod setup;

use crate::store::LabHandle;
use lab::experiment_lab::command::{arm_name, ArmIndex, ExperimentCommand};
use lab::state::Command;
use yew::prelude::*;

/// A refusal: the message, then the hint.
pub type Refusal = Option<(String, String)>;

/// The message an experiments widget shows in a lab without an experiment.
pub fn no_experiment() -> Html {
    html! { <p class="muted">{ "This lab has no experiment: open the experiments lab." }</p> }
}

/// Checks `command` against the state on screen and, if the lab takes it, journals it; else
/// returns the lab's refusal (message, hint).
pub fn try_send(session: &LabHandle, command: ExperimentCommand) -> Result<(), (String, String)> {
    crate::widgets::try_send(session, Command::Experiment(command))
}

/// Sends `command` on click, putting a refusal into `refusal`.
pub fn send_on_click(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    command: ExperimentCommand,
) -> Callback<MouseEvent> {
    let (session, refusal) = (session.clone(), refusal.clone());
    Callback::from(move |_: MouseEvent| refusal.set(try_send(&session, command.clone()).err()))
}

/// A refusal as the widgets show it (the same box as the other labs').
pub fn refusal_view(refusal: &Refusal) -> Html {
    crate::widgets::streaming::refusal_view(refusal)
}

/// A group of buttons of which one is on (`aria-pressed`), each sending its command: a toggle
/// a keyboard reaches with Tab and presses with Enter or Space.
pub fn choice_group(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    (label, class): (&'static str, &'static str),
    options: Vec<(&'static str, bool, ExperimentCommand)>,
) -> Html {
    html! {
        <div class={classes!("ex-choice", class)} role="group" aria-label={label}>
            <span class="ex-choice-label small">{ label }</span>
            { for options.into_iter().map(|(text, on, command)| html! {
                <button type="button" class={classes!("ex-option", on.then_some("ex-on"))} aria-pressed={on.to_string()}
                    data-option={text} onclick={send_on_click(session, refusal, command)}>{ text }</button>
            }) }
        </div>
    }
}

/// The CSS class that colours an arm (control blue, then pink, purple, green); every arm also
/// carries its name, so nothing reads by colour alone.
pub fn arm_class(arm: ArmIndex) -> &'static str {
    match arm.0 {
        0 => "ex-arm-0",
        1 => "ex-arm-1",
        2 => "ex-arm-2",
        _ => "ex-arm-3",
    }
}

/// An arm's name.
pub fn arm_label(arm: ArmIndex) -> &'static str {
    arm_name(arm)
}

/// A number with a fixed count of decimals, never "-0".
pub fn fixed(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

/// A share (0 to 1) as a percentage with `decimals` decimals.
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{}%", fixed(share * 100.0, decimals))
}

/// A signed share as a percentage ("+5.2%", "−1.0%").
pub fn signed_percent(share: f64, decimals: usize) -> String {
    signed(&fixed(share * 100.0, decimals), "%")
}

/// A number's text with an explicit sign (a true minus sign) and a unit.
pub fn signed(text: &str, unit: &str) -> String {
    match text.strip_prefix('-') {
        Some(rest) => format!("−{rest}{unit}"),
        None if text.chars().all(|c| c == '0' || c == '.') => format!("{text}{unit}"),
        None => format!("+{text}{unit}"),
    }
}

/// A p-value as an experimentation platform prints it: three decimals, or "< 0.001".
pub fn p_value_text(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 0.001 {
        "< 0.001".into()
    } else {
        fixed(p, 3)
    }
}

/// A p-value with more digits, for the SRM banner where the 0.001 threshold matters.
pub fn small_p_text(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p >= 0.001 {
        fixed(p, 3)
    } else if p < 1e-9 {
        "< 0.000000001".into()
    } else {
        // Enough decimals to show the first two significant digits.
        let decimals = (-p.log10()).ceil() as usize + 1;
        fixed(p, decimals)
    }
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    lab::sim::text::group_thousands(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_by_hand() {
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(2.345, 1), "2.3");
        assert_eq!(percent(0.1234, 1), "12.3%");
        assert_eq!(signed_percent(0.052, 1), "+5.2%");
        assert_eq!(signed_percent(-0.01, 1), "−1.0%");
        assert_eq!(signed_percent(0.0, 1), "0.0%");
        assert_eq!(p_value_text(0.0004), "< 0.001");
        assert_eq!(p_value_text(0.0345), "0.035");
        assert_eq!(small_p_text(0.00023), "0.00023");
        assert_eq!(small_p_text(0.43), "0.430");
        assert_eq!(count(12_345), "12,345");
    }
}
