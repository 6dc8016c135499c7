//! Consumer lag per partition over the recent past (one line per group and partition).

use super::with_cluster;
use crate::charts;
use crate::theme::Theme;
use std::collections::BTreeMap;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// One line per group and partition: (tick, lag) samples, oldest first.
fn lag_series(view: &lab_core::lab::Lab) -> Vec<(String, Vec<(u64, u64)>)> {
    let Some(cluster) = view.broker() else {
        return Vec::new();
    };
    let mut by_line: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for sample in &cluster.lag_history {
        for (group, tp, lag) in &sample.lags {
            by_line
                .entry(format!("{group} {tp}"))
                .or_default()
                .push((sample.at.0, *lag));
        }
    }
    by_line.into_iter().collect()
}

#[component]
pub fn LagChart() -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let error = use_state(|| None::<String>);
    let theme = use_context::<UseStateHandle<Theme>>().map_or(Theme::Light, |t| *t);
    let series = lag_series(&session.view);
    {
        // Redrawing the canvas is the costliest part of a frame: while playing, redraw every
        // few changes; when paused, on every change.
        let refresh = if session.playing {
            session.revision / crate::charts::REFRESH_EVERY_WHILE_PLAYING
        } else {
            session.revision
        };
        let (canvas, error, view) = (canvas.clone(), error.clone(), session.view.clone());
        use_effect_with((refresh, session.playing, theme), move |(_, _, theme)| {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                let scale = charts::fit_to_screen(&element, 0.32, (170.0, 260.0));
                error.set(
                    charts::lines(
                        element,
                        &lag_series(&view),
                        "lag (records)",
                        charts::palette(*theme),
                        scale,
                    )
                    .err(),
                );
            }
        });
    }
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
                if let Some(e) = (*error).clone() { <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p> }
            </div>
        }
    })
}
