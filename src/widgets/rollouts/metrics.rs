//! Per-version charts over the last hour of rollout time, one point per minute: success rate,
//! p99 latency and prediction quality, as Prometheus would answer over 1-minute windows (so a
//! canary with 1% of the traffic has a jumpy p99, and a minute with no request is a gap). The
//! thresholds the spec's analysis uses are drawn across each chart.

use super::chart::{lines, Rule, Series};
use super::no_rollout;
use lab::rollout_lab::observe::VersionSeries;
use lab::rollouts::routing::TrafficPlan;
use yew::prelude::*;

/// One chart: which field, its title, its unit and how a value is scaled for display.
struct ChartSpec {
    metric: &'static str,
    title: &'static str,
    unit: &'static str,
    scale: f64,
}

const CHARTS: [ChartSpec; 3] = [
    ChartSpec {
        metric: "success_rate",
        title: "Success rate (non-5xx share)",
        unit: "%",
        scale: 100.0,
    },
    ChartSpec {
        metric: "p99_ms",
        title: "p99 latency",
        unit: " ms",
        scale: 1.0,
    },
    ChartSpec {
        metric: "quality",
        title: "Prediction quality",
        unit: "%",
        scale: 100.0,
    },
];

/// The class that colours a version's line: stable, canary, or another version.
fn line_class(plan: &TrafficPlan, version: &str) -> &'static str {
    if plan.stable.0 == version {
        "ro-v-stable"
    } else if plan.canary.as_ref().is_some_and(|c| c.0 == version) {
        "ro-v-canary"
    } else {
        "ro-v-arm"
    }
}

/// A version's points for one chart: (minutes, value scaled), NaN where there was no data.
fn points(series: &VersionSeries, metric: &str, scale: f64) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .map(|p| {
            let value = match metric {
                "success_rate" => p.success_rate,
                "p99_ms" => p.p99_ms,
                _ => p.quality,
            };
            (
                p.t_ms as f64 / 60_000.0,
                value.map_or(f64::NAN, |v| v * scale),
            )
        })
        .collect()
}

#[component]
pub fn RolloutMetrics() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let plan = rollouts.plan();
    let all = rollouts.series();
    let (first, last) = all
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.t_ms))
        .fold((u64::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let x = if first > last {
        (0.0, 1.0)
    } else {
        (first as f64 / 60_000.0, last as f64 / 60_000.0)
    };
    if all.iter().all(|s| s.points.is_empty()) {
        return html! {
            <div class="rollout-metrics">
                <p class="muted small">{ "The first point appears after a minute of rollout time: press Play." }</p>
            </div>
        };
    }
    html! {
        <div class="rollout-metrics">
            <div class="ro-charts">
                { for CHARTS.iter().map(|c| {
                    let series: Vec<Series> = all.iter().map(|s| Series {
                        label: s.version.clone(),
                        class: line_class(plan, &s.version),
                        points: points(s, c.metric, c.scale),
                    }).collect();
                    let rules: Vec<Rule> = rollouts.thresholds().iter().filter(|t| t.metric == c.metric).map(|t| Rule {
                        value: t.value * c.scale,
                        label: t.label.clone(),
                    }).collect();
                    let latest = series.iter().map(|s| {
                        let v = s.points.iter().rev().find(|p| p.1.is_finite()).map(|p| p.1);
                        format!("{} {}", s.label, v.map_or_else(|| "no data".to_string(), |v| format!("{}{}", super::chart::short_number(v), c.unit)))
                    }).collect::<Vec<_>>().join(", ");
                    let label = format!("{} per version over rollout time (minutes). Latest: {latest}.{}", c.title,
                        rules.iter().map(|r| format!(" Threshold {}.", r.label)).collect::<String>());
                    html! {
                        <figure class="ro-chart-box" data-metric={c.metric}>
                            <figcaption class="small"><strong>{ c.title }</strong>{ format!(" · {latest}") }</figcaption>
                            { lines(&label, &series, &rules, x, c.unit) }
                        </figure>
                    }
                }) }
            </div>
            <ul class="ro-legend small" aria-label="Legend">
                { for all.iter().map(|s| html! {
                    <li><span class={classes!("ro-key", "ro-key-line", line_class(plan, &s.version))}></span>{ s.version.clone() }</li>
                }) }
                <li><span class="ro-key ro-key-line ro-key-rule"></span>{ "analysis threshold" }</li>
            </ul>
            <p class="small muted">{ "User-facing requests only (mirror copies are measured apart). A gap is a minute with no data: the query returned an empty vector." }</p>
        </div>
    }
}
