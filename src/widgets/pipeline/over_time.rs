//! The pipeline over time, from the world's bounded series (`PipelineLab::series`): the online
//! feature's age (the oldest and the mean over users) and the job's lag, one point per second of
//! lab time; each model version's measured quality and the canary's weight, one point per
//! reconcile (every 10 s). A chart is drawn again only when its series gained a point (or the
//! theme changed), never on the frames between; while the lab plays faster than real time, at
//! most about once per second of wall time (a point per redraw would cost frames at 100 ticks/s).

use super::no_pipeline;
use crate::charts;
use crate::widgets::chart_canvas::use_chart_canvas_of;
use lab::pipeline_lab::PipelineLab;
use lab::state::Lab;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Lab ticks per second (one tick is 100 ms): the charts' x axis is in ticks, like every lab's.
const TICKS_PER_SECOND: u64 = 10;

/// Named series of (tick, value) points, as `charts::lines` draws them.
type NamedSeries = Vec<(String, Vec<(u64, u64)>)>;

/// What decides whether a chart is stale: how many points its series has and the time of the
/// newest (a scrub or a fork changes one of them).
type SeriesKey = (usize, u64);

fn seconds_key(pipeline: &PipelineLab) -> SeriesKey {
    let seconds = &pipeline.series().seconds;
    (seconds.len(), seconds.back().map_or(0, |p| p.t_ms))
}

fn reconciles_key(pipeline: &PipelineLab) -> SeriesKey {
    let reconciles = &pipeline.series().reconciles;
    (reconciles.len(), reconciles.back().map_or(0, |p| p.t_ms))
}

fn tick_of(t_ms: u64) -> u64 {
    t_ms * TICKS_PER_SECOND / 1_000
}

/// The feature age series, in milliseconds.
fn feature_age_series(pipeline: &PipelineLab) -> NamedSeries {
    let seconds = &pipeline.series().seconds;
    let of = |pick: fn(&lab::pipeline_lab::series::SecondPoint) -> Option<u64>| {
        seconds
            .iter()
            .filter_map(|p| pick(p).map(|v| (tick_of(p.t_ms), v)))
            .collect()
    };
    vec![
        ("oldest user's feature".into(), of(|p| p.feature_age_max_ms)),
        ("mean over users".into(), of(|p| p.feature_age_mean_ms)),
    ]
}

fn job_lag_series(pipeline: &PipelineLab) -> NamedSeries {
    let seconds = &pipeline.series().seconds;
    vec![(
        "records not yet read".into(),
        seconds
            .iter()
            .map(|p| (tick_of(p.t_ms), p.job_lag_records))
            .collect(),
    )]
}

/// One series per model version that was ever measured, in permille, and the canary's weight in
/// percent (as permille of the whole, to share the axis).
fn quality_series(pipeline: &PipelineLab) -> NamedSeries {
    let reconciles = &pipeline.series().reconciles;
    let mut series: NamedSeries = Vec::new();
    for point in reconciles {
        for (version, quality) in &point.quality_permille {
            let at = match series.iter().position(|(name, _)| name == version) {
                Some(at) => at,
                None => {
                    series.push((version.clone(), Vec::new()));
                    series.len() - 1
                }
            };
            series[at]
                .1
                .push((tick_of(point.t_ms), u64::from(*quality)));
        }
    }
    series.push((
        "canary weight (‰ of traffic)".into(),
        reconciles
            .iter()
            .map(|p| (tick_of(p.t_ms), u64::from(p.canary_weight_percent) * 10))
            .collect(),
    ));
    series
}

/// Draws the series `build` makes from the world in `view`.
fn draw_with(
    view: Rc<Lab>,
    build: fn(&PipelineLab) -> NamedSeries,
    y_label: &'static str,
) -> impl Fn(HtmlCanvasElement, &SeriesKey, charts::Palette, f64) -> Result<(), String> {
    move |element, _, palette, scale| match view.pipeline() {
        Some(pipeline) => charts::lines(element, &build(pipeline), y_label, palette, scale),
        None => Ok(()),
    }
}

/// Which series a [`SeriesChart`] draws.
#[derive(Clone, Copy, PartialEq)]
pub enum Which {
    FeatureAge,
    JobLag,
    Quality,
}

/// A chart's series, key, axis label, CSS class and description.
struct ChartSpec {
    key: fn(&PipelineLab) -> SeriesKey,
    build: fn(&PipelineLab) -> NamedSeries,
    y_label: &'static str,
    class: &'static str,
    label: &'static str,
}

fn spec(which: Which) -> ChartSpec {
    match which {
        Which::FeatureAge => ChartSpec {
            key: seconds_key,
            build: feature_age_series,
            y_label: "feature age (ms)",
            class: "pipe-chart-age",
            label:
                "The online feature's age per second: the oldest user's and the mean over users.",
        },
        Which::JobLag => ChartSpec {
            key: seconds_key,
            build: job_lag_series,
            y_label: "job lag (records)",
            class: "pipe-chart-lag",
            label: "The stream job's lag per second: committed clicks it has not read yet.",
        },
        Which::Quality => ChartSpec {
            key: reconciles_key,
            build: quality_series,
            y_label: "quality (‰ right)",
            class: "pipe-chart-quality",
            label:
                "Each model version's measured quality per 10 s, and the canary's share of traffic.",
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct SeriesChartProps {
    pub which: Which,
}

/// One chart of the series above.
#[component]
pub fn SeriesChart(props: &SeriesChartProps) -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let spec = spec(props.which);
    let (len, t_ms) = session.view.pipeline().map_or((0, 0), spec.key);
    // While playing, points closer than a wall-clock second share a drawing.
    let quantum_ms = if session.playing {
        1_000 * u64::from(session.speed_ticks_per_second / TICKS_PER_SECOND as u32).max(1)
    } else {
        1
    };
    let key = (len, t_ms / quantum_ms);
    let draw = draw_with(session.view.clone(), spec.build, spec.y_label);
    let error = use_chart_canvas_of(canvas.clone(), key, draw);
    if session.view.pipeline().is_none() {
        return no_pipeline();
    }
    html! {
        <div class={classes!("pipe-chart", spec.class)} data-points={key.0.to_string()}>
            <canvas ref={canvas} role="img" aria-label={spec.label}></canvas>
            <p class="small muted">{ spec.label }</p>
            if let Some(error) = error { <p class="error small">{ error }</p> }
        </div>
    }
}

/// The three charts together (a lesson's widget, and the lab page's "over time").
#[component]
pub fn PipelineCharts() -> Html {
    html! {
        <div class="pipe-charts">
            <SeriesChart which={Which::FeatureAge} />
            <SeriesChart which={Which::JobLag} />
            <SeriesChart which={Which::Quality} />
        </div>
    }
}
