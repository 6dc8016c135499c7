//! Consumer lag per partition over the recent past (one line per group and partition).

use super::with_cluster;
use crate::charts;
use std::collections::BTreeMap;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// One line per group and partition: (tick, lag) samples, oldest first.
fn lag_series(view: &lab::state::Lab) -> Vec<(String, Vec<(u64, u64)>)> {
    let Some(cluster) = view.cluster() else {
        return Vec::new();
    };
    let mut by_line: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for sample in cluster.lag_history() {
        for (group, tp, lag) in &sample.lags {
            by_line
                .entry(format!("{group} {tp}"))
                .or_default()
                .push((sample.at.0, *lag));
        }
    }
    by_line.into_iter().collect()
}

fn draw(
    canvas: HtmlCanvasElement,
    view: &lab::state::Lab,
    palette: charts::Palette,
    scale: f64,
) -> Result<(), String> {
    charts::lines(canvas, &lag_series(view), "lag (records)", palette, scale)
}

#[component]
pub fn LagChart() -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let error = crate::widgets::chart_canvas::use_chart_canvas(canvas.clone(), draw);
    let series = lag_series(&session.view);
    with_cluster(&session, |_| {
        let latest: Vec<String> = series
            .iter()
            .map(|(name, points)| format!("{name}: {}", points.last().map_or(0, |p| p.1)))
            .collect();
        html! {
            <div class="lag-chart">
                if series.is_empty() {
                    <p class="muted">{ "No consumer group yet: lag appears once a group reads a topic." }</p>
                }
                <canvas ref={canvas} width="720" height="240" role="img" aria-label={format!("Consumer lag per partition. Now: {}", latest.join("; "))}></canvas>
                <p class="muted small">{ if latest.is_empty() { String::new() } else { format!("Lag now: {}", latest.join(" · ")) } }</p>
                if let Some(e) = error { <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p> }
            </div>
        }
    })
}
