//! Fork and compare across engines: at the tick on screen, fork the pipeline with another
//! setting (acks, min ISR, unclean election, the watermark delay, the feature TTL, the analysis
//! threshold, the release strategy), replay the same later commands with it pinned, run both to
//! the same tick and show the outcomes downstream side by side (clicks lost, feature staleness,
//! the rollout's final phase, the experiment's decision). The world computes the comparison
//! (`lab::compare::pipeline`), once per click and never while rendering; the fork can then be
//! opened in the lab.

use crate::widgets::broker::compare::open_fork;
use crate::widgets::hooks::use_refusal;
use crate::widgets::markup::column_heads;
use lab::broker::producer::Acks;
use lab::compare::pipeline::{compare_pipeline, PipelineChanges, PipelineComparison};
use lab::pipeline_lab::command::Strategy;
use lab::timeline::Timeline;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// A setting of the fork: its id, its label, and its choices as (value, text).
type Setting = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The settings a learner may change in the fork. Each select also offers "same", which keeps
/// the original's setting.
const SETTINGS: [Setting; 8] = [
    ("acks", "acks", &[("1", "1"), ("all", "all")]),
    ("min-isr", "min ISR", &[("1", "1"), ("2", "2"), ("3", "3")]),
    (
        "unclean",
        "unclean election",
        &[("on", "on"), ("off", "off")],
    ),
    (
        "delay",
        "watermark delay",
        &[("500", "0.5 s"), ("2000", "2 s"), ("10000", "10 s")],
    ),
    (
        "ttl",
        "TTL",
        &[
            ("10", "10 s"),
            ("30", "30 s"),
            ("60", "60 s"),
            ("300", "300 s"),
        ],
    ),
    (
        "threshold",
        "analysis threshold",
        &[
            ("700", "0.70"),
            ("800", "0.80"),
            ("850", "0.85"),
            ("900", "0.90"),
        ],
    ),
    (
        "strategy",
        "strategy",
        &[("canary", "canary"), ("bluegreen", "blue-green")],
    ),
    (
        "extra",
        "then run both",
        &[
            ("300", "30 s more"),
            ("600", "60 s more"),
            ("1200", "120 s more"),
        ],
    ),
];

/// The changes the selects ask for, in [`SETTINGS`] order; "same" (or nothing) leaves a setting
/// as it is. Returns the extra ticks too.
fn changes_from(values: &[String]) -> (PipelineChanges, u64) {
    let value = |i: usize| values.get(i).map(String::as_str).filter(|v| *v != "same");
    let number = |i: usize| value(i).and_then(|v| v.parse::<u32>().ok());
    let mut changes = PipelineChanges::default();
    changes.broker.acks = value(0).map(|v| if v == "1" { Acks::One } else { Acks::All });
    changes.broker.min_insync_replicas = number(1).and_then(|n| u8::try_from(n).ok());
    changes.broker.unclean_leader_election = value(2).map(|v| v == "on");
    changes.watermark_delay_ms = number(3);
    changes.ttl_seconds = number(4);
    changes.threshold_permille = number(5).and_then(|n| u16::try_from(n).ok());
    changes.strategy = value(6).map(|v| {
        if v == "canary" {
            Strategy::Canary
        } else {
            Strategy::BlueGreen
        }
    });
    (changes, number(7).map_or(0, u64::from))
}

/// A comparison and the journal revision it was made at (to say when it is out of date).
#[derive(Clone)]
struct Made {
    journal_revision: u64,
    comparison: Rc<PipelineComparison>,
}

#[component]
pub fn PipelineCompare() -> Html {
    let session = crate::widgets::use_lab();
    let selects: Rc<Vec<NodeRef>> = use_memo((), |()| {
        SETTINGS.iter().map(|_| NodeRef::default()).collect()
    });
    let error = use_refusal();
    let made = use_state(|| None::<Made>);
    let on_fork = {
        let (session, error, made, selects) = (
            session.clone(),
            error.clone(),
            made.clone(),
            selects.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let values: Vec<String> = selects
                .iter()
                .map(|r| {
                    r.cast::<HtmlSelectElement>()
                        .map_or_else(String::new, |s| s.value())
                })
                .collect();
            let (changes, extra_ticks) = changes_from(&values);
            let at = session.cursor;
            match session.with_timeline(|t| compare_pipeline(t, at, &changes, extra_ticks)) {
                Ok(comparison) => {
                    error.set(None);
                    made.set(Some(Made {
                        journal_revision: session.journal_revision,
                        comparison: Rc::new(comparison),
                    }));
                }
                Err(e) => error.set(Some((e.message, e.hint))),
            }
        })
    };
    let on_open = {
        let (session, made, error) = (session.clone(), made.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(m) = &*made else { return };
            let c = &m.comparison;
            match Timeline::from_journal(c.journal.clone()) {
                Ok(timeline) => {
                    open_fork(&session, Rc::new(timeline), c.at, &c.changes.describe());
                    made.set(None);
                }
                Err(e) => error.set(Some((e.to_string(), "fork again from another tick".into()))),
            }
        })
    };
    html! {
        <div class="pipe-compare">
            <p class="small">{ format!("Fork at tick {} (the tick on screen) with other settings; the same later commands are replayed at the same ticks.", session.cursor.0) }</p>
            <form class="pipe-compare-form" novalidate=true onsubmit={on_fork}>
                // "same" is marked selected: Yew inserts a select's options last first, which would
                // leave the last one chosen.
                { for SETTINGS.iter().zip(selects.iter()).map(|((id, label, choices), node)| html! {
                    <label for={format!("pipe-fork-{id}")}>{ format!("{label} ") }
                        <select id={format!("pipe-fork-{id}")} class={format!("pipe-fork-{id}")} ref={node.clone()}>
                            <option value="same" selected=true>{ if *id == "extra" { "no more" } else { "as now" } }</option>
                            { for choices.iter().map(|(value, text)| html! { <option value={*value}>{ *text }</option> }) }
                        </select>
                    </label>
                }) }
                <button type="submit" class="primary pipe-fork-button">{ "Fork and compare" }</button>
            </form>
            if let Some((message, hint)) = &*error {
                <p class="field-error" role="alert">{ format!("{message}: {hint}") }</p>
            }
            if let Some(m) = &*made {
                { comparison_view(&m.comparison, m.journal_revision != session.journal_revision, on_open) }
            }
        </div>
    }
}

fn comparison_view(c: &PipelineComparison, stale: bool, on_open: Callback<MouseEvent>) -> Html {
    html! {
        <div class="pipe-comparison" aria-live="polite">
            if stale {
                <p class="notice-inline">{ "The lab has changed since this comparison; fork again to update it." }</p>
            }
            <p class="small">{ format!("Forked at tick {} with {}; {} later command(s) replayed; both compared at tick {}.",
                c.at.0, c.changes.describe(), c.replayed, c.end.0) }</p>
            <table class="compare-table pipe-compare-table">
                <thead><tr>{ column_heads(&[("", "at the end"), ("", "original"), ("", "fork")]) }</tr></thead>
                <tbody>
                    { for c.rows().into_iter().map(|row| html! {
                        <tr class={classes!(row.differs().then_some("differs"))} data-row={row.label}>
                            <th scope="row">{ row.label }</th>
                            <td>{ row.original.clone() }</td>
                            <td>{ row.fork.clone() }{ if row.differs() { " ◆" } else { "" } }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <p class="small muted">{ "◆ marks an outcome the fork changed." }</p>
            if !c.change_refusals.is_empty() {
                <p class="small bad">{ format!("Settings the fork refused: {}", c.change_refusals.join("; ")) }</p>
            }
            if !c.refused.is_empty() {
                <p class="small">{ format!("{} later command(s) were refused in the fork (its history went another way).", c.refused.len()) }</p>
            }
            <button type="button" class="open-fork" onclick={on_open}>{ "Open the fork in the lab" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selects_become_changes_and_same_changes_nothing() {
        let same: Vec<String> = SETTINGS.iter().map(|_| "same".to_string()).collect();
        let (changes, extra) = changes_from(&same);
        assert!(changes.is_empty());
        assert_eq!(extra, 0);
        let picked: Vec<String> = ["1", "same", "on", "same", "120", "800", "bluegreen", "600"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (changes, extra) = changes_from(&picked);
        assert_eq!(changes.broker.acks, Some(Acks::One));
        assert_eq!(changes.broker.unclean_leader_election, Some(true));
        assert_eq!(changes.ttl_seconds, Some(120));
        assert_eq!(changes.threshold_permille, Some(800));
        assert_eq!(changes.strategy, Some(Strategy::BlueGreen));
        assert_eq!(changes.watermark_delay_ms, None);
        assert_eq!(extra, 600);
    }
}
