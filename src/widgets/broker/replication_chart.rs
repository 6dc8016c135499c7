//! Partition health over the recent past: under-replicated and offline partitions per tick, drawn
//! on a canvas (see [`crate::charts`]) from the cluster's replication history.

use super::with_cluster;
use crate::charts;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// (name, (tick, value) points) for the under-replicated and offline lines.
fn health_series(view: &lab::state::Lab) -> Vec<(String, Vec<(u64, u64)>)> {
    let Some(cluster) = view.cluster() else {
        return Vec::new();
    };
    let history = cluster.replication_history();
    if history.is_empty() {
        return Vec::new();
    }
    vec![
        (
            "under-replicated".to_string(),
            history
                .iter()
                .map(|s| (s.at.0, u64::from(s.under_replicated)))
                .collect(),
        ),
        (
            "offline".to_string(),
            history
                .iter()
                .map(|s| (s.at.0, u64::from(s.offline)))
                .collect(),
        ),
    ]
}

fn draw(
    canvas: HtmlCanvasElement,
    view: &lab::state::Lab,
    palette: charts::Palette,
    scale: f64,
) -> Result<(), String> {
    charts::lines(canvas, &health_series(view), "partitions", palette, scale)
}

#[component]
pub fn ReplicationChart() -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let error = crate::widgets::chart_canvas::use_chart_canvas(canvas.clone(), draw);
    with_cluster(&session, |cluster| {
        let history = cluster.replication_history();
        let partitions: usize = cluster
            .topics()
            .values()
            .map(|t| t.partitions().len())
            .sum();
        let summary = match (history.front(), history.back()) {
            (Some(first), Some(last)) => {
                let worst_offline = history.iter().map(|s| s.offline).max().unwrap_or(0);
                let worst_under = history
                    .iter()
                    .map(|s| s.under_replicated)
                    .max()
                    .unwrap_or(0);
                format!(
                    "Of {partitions} partitions at tick {}: {} under-replicated, {} offline, {} in-sync replicas in all. \
                     Since tick {}: at most {worst_under} under-replicated and {worst_offline} offline.",
                    last.at.0, last.under_replicated, last.offline, last.in_sync, first.at.0
                )
            }
            _ => "No ticks have passed yet: press Play or Step.".to_string(),
        };
        html! {
            <div class="replication-chart">
                <canvas ref={canvas} width="720" height="240" role="img" aria-label={format!("Chart of under-replicated and offline partitions per tick. {summary}")}></canvas>
                <p class="muted small replication-summary">{ summary }</p>
                if let Some(e) = error { <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p> }
            </div>
        }
    })
}
