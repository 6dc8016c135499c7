//! Consumer lag per partition over the recent past (one line per group and partition), with an
//! alert threshold drawn across the chart, as lag monitors such as Burrow or a Prometheus alert
//! rule on `records-lag-max` set one. Each partition's lag is also given in time (ticks since
//! the oldest record the group has not committed was written), which says how stale the group's
//! view is whatever the traffic, where a lag in records means little without the rate.

use super::with_cluster;
use crate::charts;
use lab::broker::cluster::Cluster;
use lab::broker::log::ticks_to_ms;
use lab::clock::Tick;
use std::collections::BTreeMap;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// The alert threshold a lab starts with, in records of lag.
pub const LAG_ALERT_RECORDS_DEFAULT: u64 = 50;
/// Highest threshold the field accepts.
pub const LAG_ALERT_RECORDS_MAX: u64 = 1_000_000;

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

/// The threshold as a flat line over the samples' ticks, drawn with the partitions' lines.
fn threshold_line(
    series: &[(String, Vec<(u64, u64)>)],
    threshold: u64,
) -> Option<(String, Vec<(u64, u64)>)> {
    let ticks = series.iter().flat_map(|(_, p)| p.iter().map(|(t, _)| *t));
    let (first, last) = ticks.fold(None, |span: Option<(u64, u64)>, t| {
        Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
    })?;
    Some((
        format!("alert above {threshold}"),
        vec![(first, threshold), (last, threshold)],
    ))
}

/// A partition whose lag is above the threshold now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagAlert {
    pub group: String,
    pub partition: String,
    pub lag_records: u64,
    pub lag_ticks: u64,
}

/// Every group and partition whose lag is above `threshold` records at `now`.
pub fn lag_alerts(cluster: &Cluster, threshold: u64, now: Tick) -> Vec<LagAlert> {
    cluster
        .lags()
        .into_iter()
        .filter(|(_, _, lag)| *lag > threshold)
        .map(|(group, tp, lag)| LagAlert {
            lag_ticks: cluster.lag_ticks(&group, &tp, now),
            partition: tp.to_string(),
            group,
            lag_records: lag,
        })
        .collect()
}

fn parse_threshold(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=LAG_ALERT_RECORDS_MAX).contains(n))
        .ok_or_else(|| format!("the alert threshold is a whole number of records from 1 to {LAG_ALERT_RECORDS_MAX}"))
}

#[component]
pub fn LagChart() -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let threshold = use_state(|| LAG_ALERT_RECORDS_DEFAULT);
    let field = use_state(|| LAG_ALERT_RECORDS_DEFAULT.to_string());
    let field_error = use_state(|| None::<String>);
    let draw = {
        let threshold = *threshold;
        move |canvas: HtmlCanvasElement,
              view: &lab::state::Lab,
              palette: charts::Palette,
              scale: f64| {
            let mut series = lag_series(view);
            series.extend(threshold_line(&series, threshold));
            charts::lines(canvas, &series, "lag (records)", palette, scale)
        }
    };
    let error =
        crate::widgets::chart_canvas::use_chart_canvas_with(canvas.clone(), *threshold, draw);
    let series = lag_series(&session.view);
    let on_threshold = {
        let (threshold, field, field_error) =
            (threshold.clone(), field.clone(), field_error.clone());
        Callback::from(move |e: InputEvent| {
            let text = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            match parse_threshold(&text) {
                Ok(n) => {
                    threshold.set(n);
                    field_error.set(None);
                }
                Err(why) => field_error.set(Some(why)),
            }
            field.set(text);
        })
    };
    let now = session.view.now();
    with_cluster(&session, |cluster| {
        let latest: Vec<String> = series
            .iter()
            .map(|(name, points)| format!("{name}: {}", points.last().map_or(0, |p| p.1)))
            .collect();
        let alerts = lag_alerts(cluster, *threshold, now);
        html! {
            <div class="lag-chart">
                if series.is_empty() {
                    <p class="muted">{ "No consumer group yet: lag appears once a group reads a topic." }</p>
                }
                <label class="lag-threshold">{ "alert when a partition's lag is above " }
                    <input class="num-input lag-threshold-input" type="number" min="1" max={LAG_ALERT_RECORDS_MAX.to_string()}
                        value={(*field).clone()} oninput={on_threshold} />{ " records" }</label>
                <p class="field-error" role="alert">{ (*field_error).clone().unwrap_or_default() }</p>
                <canvas ref={canvas} width="720" height="240" role="img" aria-label={format!("Consumer lag per partition, with the alert threshold at {} records. Now: {}", *threshold, latest.join("; "))}></canvas>
                if alerts.is_empty() {
                    <p class="muted small lag-ok">{ if latest.is_empty() { String::new() } else { format!("No alert: every partition's lag is at most {} records.", *threshold) } }</p>
                } else {
                    <ul class="lag-alerts" role="status">
                        { for alerts.iter().map(|a| html! {
                            <li>{ format!("Alert: group {} is {} records behind on {}, {} ticks ({:.1} s) behind in time.",
                                a.group, a.lag_records, a.partition, a.lag_ticks, ticks_to_ms(a.lag_ticks) as f64 / 1000.0) }</li>
                        }) }
                    </ul>
                }
                if let Some(e) = error { <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p> }
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_spans_the_samples() {
        let series = vec![
            ("g orders-0".to_string(), vec![(3, 10), (9, 70)]),
            ("g orders-1".to_string(), vec![(5, 1)]),
        ];
        assert_eq!(
            threshold_line(&series, 50),
            Some(("alert above 50".to_string(), vec![(3, 50), (9, 50)]))
        );
        assert_eq!(threshold_line(&[], 50), None);
    }

    #[test]
    fn thresholds_are_whole_positive_record_counts() {
        assert_eq!(parse_threshold(" 20 "), Ok(20));
        for bad in ["0", "-3", "2.5", "", "abc", "1000001"] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
    }
}
