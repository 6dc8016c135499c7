//! The streaming lab's widgets: the job's controls, its graph (partitions → window operator →
//! sinks), the timeline of event time against arrival, the rows the job wrote and the late rows
//! it dropped, and the lag and freshness chart.
//!
//! Every widget reads the streaming lab of the state on screen (`Lab::streams`), the cluster its
//! topics live in and the feature store it pushes to; commands go through the journal as
//! `Command::Stream`, after [`StreamLab::validate`] so a refused one is shown, never journaled.

pub mod controls;
pub mod freshness;
pub mod job_graph;
pub mod joins;
pub mod medallion;
pub mod output;
pub mod samples;
pub mod timeline;

use crate::store::{LabAction, LabHandle};
use lab::broker::cluster::Cluster;
use lab::state::{Command, Lab};
use lab::stream_lab::clicks::{read_clicks_arrived_since, ClickRecord};
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::glue::clock_time;
use lab::stream_lab::{StreamLab, CLICKS_TOPIC};
use lab::streaming::value::{StreamValue, TimeUs};
use std::collections::BTreeMap;
use yew::prelude::*;

/// The message a streaming widget shows in a lab without a stream job.
pub fn no_stream_job() -> Html {
    html! { <p class="muted">{ "This lab has no stream job: open the streaming lab." }</p> }
}

/// Checks `command` against the state on screen and, if the lab takes it, journals it. A refusal
/// (message, hint) is returned for the widget to show beside the control.
pub fn try_send(
    session: &LabHandle,
    streams: &StreamLab,
    command: StreamCommand,
) -> Result<(), (String, String)> {
    streams.validate(&command)?;
    session.dispatch(LabAction::Command(Command::Stream(command)));
    Ok(())
}

/// A refusal as the widgets show it: the message, then the hint.
pub fn refusal_view(refusal: &Option<(String, String)>) -> Html {
    match refusal {
        Some((message, hint)) => html! {
            <p class="stream-refusal" role="alert">
                <strong>{ message.clone() }</strong><br />
                <span class="small">{ format!("Hint: {hint}") }</span>
            </p>
        },
        None => html! {},
    }
}

/// An instant as the page shows it: the time of day on the lab's first day (`00:01:12.3`),
/// `-` for the engines' "no time yet" sentinels.
pub fn time_text(t: TimeUs) -> String {
    if t == TimeUs::MIN || t == TimeUs::MAX {
        "-".into()
    } else {
        // Milliseconds at most: the lab's clock moves in tenths of a second.
        let text = clock_time(TimeUs(t.0 - t.0.rem_euclid(1_000)));
        if text.contains('.') {
            let text = text.trim_end_matches('0');
            text[..text
                .len()
                .min(text.find('.').map_or(text.len(), |dot| dot + 4))]
                .to_string()
        } else {
            text
        }
    }
}

/// A value of a job's row for a table cell: times as [`time_text`], floats with two decimals.
pub fn value_text(value: &StreamValue) -> String {
    match value {
        StreamValue::Time(t) => time_text(*t),
        StreamValue::Float(x) => format!("{x:.2}"),
        other => other.to_string(),
    }
}

/// The lab's time now, as an instant.
pub fn now_time(lab: &Lab) -> TimeUs {
    lab::stream_lab::at(lab.now().0)
}

/// Each partition of the clicks topic's high watermark (the end of what consumers may read).
pub fn high_watermarks(cluster: &Cluster) -> BTreeMap<u32, u64> {
    cluster
        .topics()
        .get(CLICKS_TOPIC)
        .map(|t| lab::sim::sort::collect_map(t.partitions().iter().map(|p| (p.id().0, p.hw().0))))
        .unwrap_or_default()
}

/// Records read at most per partition by [`recent_clicks`] (at the generator's fastest rate a
/// minute holds more: then only the newest are shown).
pub const RECENT_CLICKS_PER_PARTITION_MAX: u64 = 2_000;

/// The committed clicks that reached the topic in the last `seconds` before now, partition by
/// partition. Only the newest records of each partition are read (enough for the generator's
/// rate over that span, plus clicks sent by hand, and at most
/// [`RECENT_CLICKS_PER_PARTITION_MAX`]), and only those of the span are parsed, so the cost
/// does not grow with the topic.
pub fn recent_clicks(lab: &Lab, seconds: i64) -> Vec<ClickRecord> {
    let (Some(streams), Some(cluster)) = (lab.streams(), lab.cluster()) else {
        return Vec::new();
    };
    let per_partition = (u64::from(streams.generator_rate()) * (seconds.max(0) as u64 + 10) + 200)
        .min(RECENT_CLICKS_PER_PARTITION_MAX);
    let from: BTreeMap<u32, u64> = lab::sim::sort::collect_map(
        high_watermarks(cluster)
            .into_iter()
            .map(|(p, hw)| (p, hw.saturating_sub(per_partition))),
    );
    let since = TimeUs(now_time(lab).0 - seconds * 1_000_000);
    read_clicks_arrived_since(cluster, CLICKS_TOPIC, &from, since)
}

/// Seconds between two instants, as a float (for drawing).
pub fn seconds_between(from: TimeUs, to: TimeUs) -> f64 {
    (to.0 - from.0) as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_times_show_as_a_dash_and_others_as_the_time_of_day() {
        assert_eq!(time_text(TimeUs::MIN), "-");
        assert_eq!(time_text(TimeUs::MAX), "-");
        assert_eq!(time_text(lab::stream_lab::at(123)), "00:00:12.3");
        assert_eq!(
            time_text(TimeUs(lab::stream_lab::at(0).0 + 29_623_480)),
            "00:00:29.623"
        );
    }
}
