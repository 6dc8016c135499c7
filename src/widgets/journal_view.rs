//! The journal: the ground truth the lab is replayed from. Seed, preset, the end of time, and
//! every command with its tick (the newest first, the commands after the cursor greyed out).

use crate::widgets::markup::fact;
use lab::state::Command;
use yew::prelude::*;

/// Commands listed.
pub const JOURNAL_ROWS: usize = 40;

fn describe(lab: &lab::state::Lab, command: &Command) -> String {
    match command {
        Command::Emit { source, count } => {
            format!("Emit {count} from {}", super::source_name(lab, *source))
        }
        Command::SetChance {
            source,
            chance_per_tick_permille,
        } => format!(
            "Set {}'s chance to {:.1}% per tick",
            super::source_name(lab, *source),
            f64::from(*chance_per_tick_permille) / 10.0
        ),
        Command::AddSource { name } => format!("Add source {name}"),
        Command::Broker(command) => lab::broker::narrate::command(command),
        Command::Queue(lab::queue::QueueCommand::Publish { count }) => {
            format!("Publish {count} message(s) to the queue")
        }
        Command::Queue(lab::queue::QueueCommand::AddConsumer {
            prefetch,
            processing_ticks,
        }) => {
            format!(
                "Add a queue consumer (prefetch {prefetch}, {processing_ticks} ticks per message)"
            )
        }
        Command::Queue(lab::queue::QueueCommand::CrashConsumer { consumer }) => {
            format!("Crash {consumer}")
        }
        Command::Registry(_) | Command::ProduceAvro { .. } | Command::ReadWith { .. } => {
            lab::schemas::describe_command(command)
        }
        Command::Features(command) => lab::feature_lab::describe_command(command),
        Command::Stream(command) => lab::stream_lab::glue::describe_command(command),
        Command::Rollout(command) => lab::rollout_lab::glue::describe_command(command),
        Command::Experiment(command) => lab::experiment_lab::glue::describe_command(command),
        Command::Pipeline(command) => lab::pipeline_lab::glue::describe_command(command),
        Command::Cluster(command) => lab::cluster_lab::glue::describe_command(command),
    }
}

#[component]
pub fn JournalView() -> Html {
    let session = super::use_lab();
    let cursor = session.cursor;
    let end = session.end();
    session.with_observation(|observation| {
        let journal = observation.journal;
        let config = journal.config();
        let entries = journal.entries();
        html! {
            <div class="journal-view">
                <dl class="facts">
                    { fact("seed", "", config.seed.0.to_string()) }
                    { fact("preset", "", config.preset.name().to_string()) }
                    { fact("time reached", "", end.to_string()) }
                    { fact("commands", "", entries.len().to_string()) }
                </dl>
                if entries.is_empty() {
                    <p class="muted">{ "No commands yet: so far, the seed alone decides what happens." }</p>
                } else {
                    <ol class="journal-list" aria-label="Commands, newest first">
                        { for entries.iter().enumerate().rev().take(JOURNAL_ROWS).map(|(index, entry)| html! {
                            <li class={classes!((entry.at > cursor).then_some("future"))}>
                                <span class="tick-badge">{ entry.at.to_string() }</span>
                                { format!("#{} {}", index + 1, describe(&session.view, &entry.command)) }
                            </li>
                        }) }
                    </ol>
                    if entries.len() > JOURNAL_ROWS {
                        <p class="muted small">{ format!("…and {} earlier commands.", entries.len() - JOURNAL_ROWS) }</p>
                    }
                }
            </div>
        }
    })
}
