//! The pipeline lab's widgets (issue 17): the whole ML pipeline on one clock drawn as a graph of
//! cards (users → producer → topic `clicks` → stream job → online store and offline log → model
//! versions → traffic split → analysis and the experiment's reading, and the samples → training
//! loop back to the models), each with its live numbers and its health as a colour *and* a word;
//! the panel of the engine behind a card, opened by a click or Enter on it; the fault buttons; and
//! the charts over time.
//!
//! Every number comes from the pipeline world's views (`PipelineLab::graph`, `series`,
//! `freshness`, `models`, `reading`), kept current by the world's own tick, so a frame only reads
//! them; the page computes nothing of the simulation. Panels reuse the other labs' widgets where
//! the world holds the same engine (the broker's replicas and ledger, the rollout's steps, traffic
//! and analysis). Every action is a journaled command, checked with `Lab::validate` first so a
//! refusal is shown with its hint and nothing is journaled; acting in the past forks there.

pub mod cards;
pub mod compare;
pub mod faults;
pub mod over_time;
pub mod panel;
pub mod reading;

use crate::store::LabHandle;
use crate::widgets::try_send;
use lab::pipeline_lab::command::PipelineCommand;
use lab::pipeline_lab::graph::{Health, NodeId};
use lab::state::Command;
use yew::prelude::*;

/// A refusal: the message, then the hint.
pub type Refusal = Option<(String, String)>;

/// The message a pipeline widget shows in a lab without the pipeline world.
pub fn no_pipeline() -> Html {
    html! { <p class="muted">{ "This lab has no pipeline: open the pipeline lab." }</p> }
}

/// A pipeline command, checked and journaled as [`crate::widgets::try_send`] does.
pub fn send_pipeline(
    session: &LabHandle,
    command: PipelineCommand,
) -> Result<(), (String, String)> {
    try_send(session, Command::Pipeline(command))
}

/// A button that sends `command`, disabled with the lab's reason as its tooltip when the lab on
/// screen would refuse it now; a refusal at click time lands in `refusal`.
pub fn command_button(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    command: Command,
    (class, text): (&'static str, String),
) -> Html {
    let unavailable = session
        .view
        .validate(&command)
        .err()
        .map(|r| format!("{} ({})", r, r.hint()));
    let disabled = unavailable.is_some();
    let onclick = {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| refusal.set(try_send(&session, command.clone()).err()))
    };
    html! {
        <button type="button" class={class} disabled={disabled} title={unavailable} {onclick}>{ text }</button>
    }
}

/// A refusal as the widgets show it (the same box as the other labs').
pub fn refusal_view(refusal: &Refusal) -> Html {
    crate::widgets::streaming::refusal_view(refusal)
}

/// A health as the page shows it: a symbol and the word, so it reads without colour.
pub fn health_badge(health: Health) -> Html {
    let symbol = match health {
        Health::Ok => "✓",
        Health::Warn => "!",
        Health::Failed => "✗",
    };
    html! {
        <span class={classes!("pipe-health", format!("pipe-{}", health.name()))}>
            <span aria-hidden="true">{ symbol }</span>{ " " }{ health.name() }
        </span>
    }
}

/// Milliseconds as the page prints an age: `850 ms`, `12.3 s`, `4 min 05 s`.
pub fn age_text(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{}.{} s", ms / 1_000, (ms % 1_000) / 100)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1_000)
    }
}

/// A permille as a percentage with one decimal: `873` → `87.3%`.
pub fn permille_text(permille: i64) -> String {
    let sign = if permille < 0 { "-" } else { "" };
    let p = permille.unsigned_abs();
    format!("{sign}{}.{}%", p / 10, p % 10)
}

/// The graph with the open node's panel under it (a lesson's widget): one column.
#[component]
pub fn PipelineGraph() -> Html {
    let open = use_state(|| None::<NodeId>);
    let on_open = use_open_callback(&open);
    html! {
        <div class="pipe-stacked">
            <cards::GraphCards open={*open} on_open={on_open} />
            if let Some(node) = *open {
                <panel::NodePanel key={node.name()} node={node} />
            }
        </div>
    }
}

/// The lab page's workbench: the graph and the fault buttons on the left, the open node's panel
/// on the right (on a narrow screen: the graph, the panel, then the faults, one under the other).
#[component]
pub fn PipelineWorkbench() -> Html {
    let open = use_state(|| Some(NodeId::Topic));
    let on_open = use_open_callback(&open);
    html! {
        <div class="pipe-workbench">
            <figure class="widget widget-pipeline-graph" data-widget="pipeline-graph">
                <figcaption>{ "The pipeline: select a node to open its engine" }</figcaption>
                <cards::GraphCards open={*open} on_open={on_open} />
            </figure>
            <div class="pipe-right">
                if let Some(node) = *open {
                    <panel::NodePanel key={node.name()} node={node} />
                } else {
                    <p class="muted pipe-panel-empty">{ "Select a node of the graph to open its engine's panel." }</p>
                }
            </div>
            <figure class="widget widget-pipeline-faults" data-widget="pipeline-faults">
                <figcaption>{ "Faults" }</figcaption>
                <faults::PipelineFaults />
            </figure>
        </div>
    }
}

/// The callback a card calls: opens its node, or closes it when it is already open.
#[hook]
fn use_open_callback(open: &UseStateHandle<Option<NodeId>>) -> Callback<NodeId> {
    let handle = open.clone();
    use_callback(**open, move |node: NodeId, current| {
        handle.set(if *current == Some(node) {
            None
        } else {
            Some(node)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_permilles_print_by_hand() {
        assert_eq!(age_text(850), "850 ms");
        assert_eq!(age_text(12_345), "12.3 s");
        assert_eq!(age_text(245_000), "4 min 05 s");
        assert_eq!(permille_text(873), "87.3%");
        assert_eq!(permille_text(-45), "-4.5%");
    }
}
