//! Events per tick over the recent past, drawn on a canvas (see [`crate::charts`]).

use crate::charts;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Ticks shown in the chart.
pub const CHART_TICKS: usize = 200;

/// (tick, events) for the last [`CHART_TICKS`] ticks.
fn recent_counts(view: &lab::state::Lab) -> Vec<(u64, u32)> {
    let history: Vec<_> = view.stream().history().collect();
    let skip = history.len().saturating_sub(CHART_TICKS);
    history[skip..].iter().map(|c| (c.at.0, c.events)).collect()
}

fn draw(
    canvas: HtmlCanvasElement,
    view: &lab::state::Lab,
    palette: charts::Palette,
    scale: f64,
) -> Result<(), String> {
    charts::events_per_tick(canvas, &recent_counts(view), palette, scale)
}

#[component]
pub fn EventsChart() -> Html {
    let session = super::use_lab();
    let canvas = use_node_ref();
    let error = super::chart_canvas::use_chart_canvas(canvas.clone(), draw);
    let points = recent_counts(&session.view);
    let total: u32 = points.iter().map(|p| p.1).sum();
    let peak = points.iter().map(|p| p.1).max().unwrap_or(0);
    let summary = if points.is_empty() {
        "No ticks have passed yet.".to_string()
    } else {
        format!(
            "Over ticks {} to {}: {total} events, at most {peak} in one tick.",
            points[0].0,
            points[points.len() - 1].0
        )
    };
    html! {
        <div class="events-chart">
            <canvas ref={canvas} width="720" height="240" role="img" aria-label={format!("Chart of events per tick. {summary}")}></canvas>
            <p class="muted small">{ summary }</p>
            if let Some(e) = error {
                <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p>
            }
        </div>
    }
}
