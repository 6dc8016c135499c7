//! The event trace: the most recent events up to the tick on screen, newest first.

use lab::state::{Event, TracedEvent};
use yew::prelude::*;

/// Events listed.
pub const TRACE_ROWS: usize = 30;

/// One line of narration for an event.
pub fn describe(lab: &lab::state::Lab, traced: &TracedEvent) -> String {
    match &traced.event {
        Event::Emitted(e) => format!(
            "{} emitted event #{} (value {}){}",
            super::source_name(lab, e.source),
            e.seq.0,
            e.value,
            if e.by_hand { " by hand" } else { "" }
        ),
        Event::ChanceChanged {
            source,
            from_permille,
            to_permille,
        } => format!(
            "{}'s chance changed from {:.1}% to {:.1}%",
            super::source_name(lab, *source),
            f64::from(*from_permille) / 10.0,
            f64::from(*to_permille) / 10.0
        ),
        Event::SourceAdded { name, .. } => format!("source {name} added"),
        Event::Broker(event) => lab::broker::narrate::event(event),
        Event::Queue(event) => lab::queue::ClassicQueue::narrate(event),
        Event::Registry(_) | Event::ReaderChosen { .. } => {
            lab::schemas::describe_event(&traced.event)
        }
        Event::Features(event) => lab::feature_lab::describe_event(event),
        Event::Stream(event) => lab::stream_lab::glue::describe_event(event),
        Event::Rollout(event) => lab::rollout_lab::glue::describe_event(event),
        Event::Experiment(event) => lab::experiment_lab::glue::describe_event(event),
        Event::Pipeline(event) => lab::pipeline_lab::glue::describe_event(event),
        Event::Cluster(event) => lab::cluster_lab::glue::describe_event(event),
    }
}

#[component]
pub fn Trace() -> Html {
    let session = super::use_lab();
    let lab = &session.view;
    html! {
        <div class="trace">
            if lab.trace().len() == 0 {
                <p class="muted">{ "No events yet. Press Play, or emit one by hand." }</p>
            } else {
                <ol class="trace-list" reversed=true aria-label="Most recent events, newest first">
                    { for lab.trace().rev().take(TRACE_ROWS).map(|traced| html! {
                        <li><span class="tick-badge">{ traced.at.to_string() }</span>{ describe(lab, traced) }</li>
                    }) }
                </ol>
            }
        </div>
    }
}
