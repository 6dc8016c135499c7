//! Consumer lag per partition over the recent past (one line per group and partition), with an
//! alert threshold drawn across the chart, as lag monitors such as Burrow or a Prometheus alert
//! rule on `records-lag-max` set one. The chart shows lag in records or in time (milliseconds
//! since the oldest record the group has not committed was written), and the threshold is set in
//! the unit shown: lag in time says how stale the group's view is whatever the traffic, where a
//! lag in records means little without the rate. Kafka has no lag-in-time metric (tools estimate
//! it); the simulator knows every record's append time, so here it is exact.

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
/// Highest threshold the field accepts, in records.
pub const LAG_ALERT_RECORDS_MAX: u64 = 1_000_000;
/// The alert threshold in time a lab starts with, in seconds.
pub const LAG_ALERT_SECONDS_DEFAULT: u64 = 10;
/// Highest threshold the field accepts, in seconds (a day).
pub const LAG_ALERT_SECONDS_MAX: u64 = 86_400;

/// What the chart and its threshold measure lag in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LagUnit {
    Records,
    Seconds,
}

impl LagUnit {
    fn word(self) -> &'static str {
        match self {
            LagUnit::Records => "records",
            LagUnit::Seconds => "seconds",
        }
    }

    fn max(self) -> u64 {
        match self {
            LagUnit::Records => LAG_ALERT_RECORDS_MAX,
            LagUnit::Seconds => LAG_ALERT_SECONDS_MAX,
        }
    }

    fn default_threshold(self) -> u64 {
        match self {
            LagUnit::Records => LAG_ALERT_RECORDS_DEFAULT,
            LagUnit::Seconds => LAG_ALERT_SECONDS_DEFAULT,
        }
    }

    /// The chart's y axis: records, or milliseconds (the canvas plots whole numbers).
    fn axis(self) -> &'static str {
        match self {
            LagUnit::Records => "lag (records)",
            LagUnit::Seconds => "lag (ms)",
        }
    }

    /// A threshold in this unit as a value on the chart's axis.
    fn on_axis(self, threshold: u64) -> u64 {
        match self {
            LagUnit::Records => threshold,
            LagUnit::Seconds => threshold * 1000,
        }
    }
}

/// One line per group and partition: (tick, lag) samples, oldest first, in records or, for
/// [`LagUnit::Seconds`], in milliseconds.
fn lag_series(view: &lab::state::Lab, unit: LagUnit) -> Vec<(String, Vec<(u64, u64)>)> {
    let Some(cluster) = view.cluster() else {
        return Vec::new();
    };
    let mut by_line: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for sample in cluster.lag_history() {
        for ((group, tp, lag), ticks) in sample.lags.iter().zip(&sample.lag_ticks) {
            let value = match unit {
                LagUnit::Records => *lag,
                LagUnit::Seconds => ticks_to_ms(*ticks),
            };
            by_line
                .entry(format!("{group} {tp}"))
                .or_default()
                .push((sample.at.0, value));
        }
    }
    by_line.into_iter().collect()
}

/// The threshold as a flat line over the samples' ticks, drawn with the partitions' lines.
fn threshold_line(
    series: &[(String, Vec<(u64, u64)>)],
    threshold: u64,
    unit: LagUnit,
) -> Option<(String, Vec<(u64, u64)>)> {
    let ticks = series.iter().flat_map(|(_, p)| p.iter().map(|(t, _)| *t));
    let (first, last) = ticks.fold(None, |span: Option<(u64, u64)>, t| {
        Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
    })?;
    let level = unit.on_axis(threshold);
    Some((
        format!("alert above {threshold} {}", unit.word()),
        vec![(first, level), (last, level)],
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

/// Every group and partition whose lag is above `threshold` (in `unit`) at `now`.
pub fn lag_alerts(cluster: &Cluster, threshold: u64, unit: LagUnit, now: Tick) -> Vec<LagAlert> {
    cluster
        .lags_with_ticks(now)
        .into_iter()
        .map(|((group, tp, lag), lag_ticks)| LagAlert {
            lag_ticks,
            partition: tp.to_string(),
            group,
            lag_records: lag,
        })
        .filter(|a| match unit {
            LagUnit::Records => a.lag_records > threshold,
            LagUnit::Seconds => ticks_to_ms(a.lag_ticks) > threshold * 1000,
        })
        .collect()
}

fn parse_threshold(text: &str, unit: LagUnit) -> Result<u64, String> {
    let max = unit.max();
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            format!(
                "the alert threshold is a whole number of {} from 1 to {max}",
                unit.word()
            )
        })
}

#[component]
pub fn LagChart() -> Html {
    let session = crate::widgets::use_lab();
    let canvas = use_node_ref();
    let unit = use_state(|| LagUnit::Records);
    let threshold = use_state(|| LAG_ALERT_RECORDS_DEFAULT);
    let field = use_state(|| LAG_ALERT_RECORDS_DEFAULT.to_string());
    let field_error = use_state(|| None::<String>);
    let draw = {
        let (threshold, unit) = (*threshold, *unit);
        move |canvas: HtmlCanvasElement,
              view: &lab::state::Lab,
              palette: charts::Palette,
              scale: f64| {
            let mut series = lag_series(view, unit);
            series.extend(threshold_line(&series, threshold, unit));
            charts::lines(canvas, &series, unit.axis(), palette, scale)
        }
    };
    let error = crate::widgets::chart_canvas::use_chart_canvas_with(
        canvas.clone(),
        (*threshold, *unit),
        draw,
    );
    let series = lag_series(&session.view, *unit);
    let on_unit = |choice: LagUnit| {
        let (unit, threshold, field, field_error) = (
            unit.clone(),
            threshold.clone(),
            field.clone(),
            field_error.clone(),
        );
        Callback::from(move |_: Event| {
            unit.set(choice);
            threshold.set(choice.default_threshold());
            field.set(choice.default_threshold().to_string());
            field_error.set(None);
        })
    };
    let on_threshold = {
        let (threshold, field, field_error, unit) =
            (threshold.clone(), field.clone(), field_error.clone(), *unit);
        Callback::from(move |e: InputEvent| {
            let text = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            match parse_threshold(&text, unit) {
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
    let word = unit.word();
    with_cluster(&session, |cluster| {
        let latest: Vec<String> = series
            .iter()
            .map(|(name, points)| {
                let value = points.last().map_or(0, |p| p.1);
                match *unit {
                    LagUnit::Records => format!("{name}: {value}"),
                    LagUnit::Seconds => format!("{name}: {:.1} s", value as f64 / 1000.0),
                }
            })
            .collect();
        let alerts = lag_alerts(cluster, *threshold, *unit, now);
        html! {
            <div class="lag-chart">
                if series.is_empty() {
                    <p class="muted">{ "No consumer group yet: lag appears once a group reads a topic." }</p>
                }
                <fieldset class="lag-unit">
                    <legend>{ "Show lag in" }</legend>
                    <label><input type="radio" name="lag-unit" value="records" checked={*unit == LagUnit::Records} onchange={on_unit(LagUnit::Records)} />{ " records" }</label>
                    <label><input type="radio" name="lag-unit" value="seconds" checked={*unit == LagUnit::Seconds} onchange={on_unit(LagUnit::Seconds)} />{ " seconds (no Kafka metric: tools estimate it; exact here)" }</label>
                </fieldset>
                <label class="lag-threshold">{ "alert when a partition's lag is above " }
                    <input class="num-input lag-threshold-input" type="number" min="1" max={unit.max().to_string()}
                        value={(*field).clone()} oninput={on_threshold} />{ format!(" {word}") }</label>
                <p class="field-error" role="alert">{ (*field_error).clone().unwrap_or_default() }</p>
                <canvas ref={canvas} width="720" height="240" role="img" aria-label={format!("Consumer lag per partition in {word}, with the alert threshold at {} {word}. Now: {}", *threshold, latest.join("; "))}></canvas>
                if alerts.is_empty() {
                    <p class="muted small lag-ok">{ if latest.is_empty() { String::new() } else { format!("No alert: every partition's lag is at most {} {word}.", *threshold) } }</p>
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
            threshold_line(&series, 50, LagUnit::Records),
            Some(("alert above 50 records".to_string(), vec![(3, 50), (9, 50)]))
        );
        assert_eq!(
            threshold_line(&series, 2, LagUnit::Seconds),
            Some((
                "alert above 2 seconds".to_string(),
                vec![(3, 2000), (9, 2000)]
            )),
            "the time chart's axis is in milliseconds"
        );
        assert_eq!(threshold_line(&[], 50, LagUnit::Records), None);
    }

    #[test]
    fn thresholds_are_whole_positive_counts_of_their_unit() {
        assert_eq!(parse_threshold(" 20 ", LagUnit::Records), Ok(20));
        for bad in ["0", "-3", "2.5", "", "abc", "1000001"] {
            assert!(parse_threshold(bad, LagUnit::Records).is_err(), "{bad}");
        }
        assert_eq!(parse_threshold("86400", LagUnit::Seconds), Ok(86_400));
        assert!(parse_threshold("86401", LagUnit::Seconds).is_err());
    }
}
