//! The rollouts widgets' small SVG charts: lines over lab time with threshold rules, and paired
//! histograms. Drawn as SVG (not on a canvas) so they scale with the page, take the theme's
//! colours from CSS classes, and add no drawing code to the bundle beyond a few elements.

use crate::widgets::markup::svg_text;
use yew::prelude::*;

// The drawing's layout, in SVG units.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 312.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 126.0;

/// One line: its legend text, the CSS class that colours it, and (x, y) points in x order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// A horizontal rule across the plot (an analysis threshold), with its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub value: f64,
    pub label: String,
}

/// A y range that holds every point and rule, padded a little; a flat range is widened.
pub fn y_range(series: &[Series], rules: &[Rule]) -> (f64, f64) {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(rules.iter().map(|r| r.value))
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs().max(1e-3) * 0.02);
    (lo - pad, hi + pad)
}

/// A number for an axis label: few digits, the unit appended by the caller.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if a >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// A line chart over `x` (lab minutes) with `rules` drawn dashed. `label` is the chart's
/// accessible description; `y_unit` follows each y label.
pub fn lines(label: &str, series: &[Series], rules: &[Rule], x: (f64, f64), y_unit: &str) -> Html {
    let (x0, x1) = (x.0, if x.1 > x.0 { x.1 } else { x.0 + 1.0 });
    let (y0, y1) = y_range(series, rules);
    let px = |v: f64| LEFT + (v - x0) / (x1 - x0) * (RIGHT - LEFT);
    let py = |v: f64| BOTTOM - (v - y0) / (y1 - y0) * (BOTTOM - TOP);
    let y_ticks = [y0 + (y1 - y0) * 0.1, (y0 + y1) / 2.0, y1 - (y1 - y0) * 0.1];
    let path = |points: &[(f64, f64)]| {
        let mut d = String::new();
        let mut pen_down = false;
        for &(x, y) in points {
            if !y.is_finite() {
                // No data: the line breaks, as Grafana draws an empty vector.
                pen_down = false;
                continue;
            }
            d.push_str(&format!(
                "{}{:.1} {:.1} ",
                if pen_down { "L" } else { "M" },
                px(x),
                py(y)
            ));
            pen_down = true;
        }
        d
    };
    html! {
        <svg class="ro-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={label.to_string()}>
            <rect class="ro-plot" x={LEFT.to_string()} y={TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(BOTTOM - TOP).to_string()} />
            { for y_ticks.iter().map(|&v| html! {
                <g>
                    <line class="ro-grid" x1={LEFT.to_string()} x2={RIGHT.to_string()} y1={format!("{:.1}", py(v))} y2={format!("{:.1}", py(v))} />
                    { svg_text(((LEFT - 3.0).to_string().into(), format!("{:.1}", py(v) + 3.0).into()), Some("end"), "", format!("{}{y_unit}", short_number(v)).into()) }
                </g>
            }) }
            { svg_text((LEFT.to_string().into(), (BOTTOM + 12.0).to_string().into()), None, "", format!("{} min", short_number(x0)).into()) }
            { svg_text((RIGHT.to_string().into(), (BOTTOM + 12.0).to_string().into()), Some("end"), "", format!("{} min", short_number(x1)).into()) }
            { for rules.iter().map(|r| html! {
                <g class="ro-rule">
                    <line x1={LEFT.to_string()} x2={RIGHT.to_string()} y1={format!("{:.1}", py(r.value))} y2={format!("{:.1}", py(r.value))} />
                    { svg_text(((RIGHT - 2.0).to_string().into(), format!("{:.1}", py(r.value) - 3.0).into()), Some("end"), "", r.label.clone().into()) }
                </g>
            }) }
            { for series.iter().map(|s| html! {
                <path class={classes!("ro-line", s.class)} d={path(&s.points)}><title>{ s.label.clone() }</title></path>
            }) }
        </svg>
    }
}

/// Two histograms over the same bins, side by side in each bin: `reference` and `current` are
/// fractions (0 to 1) per bin, `edges` the bins' labels.
pub fn paired_bars(label: &str, edges: &[String], reference: &[f64], current: &[f64]) -> Html {
    let n = reference.len().max(current.len()).max(1);
    let peak = reference
        .iter()
        .chain(current)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let slot = (RIGHT - LEFT) / n as f64;
    let bar = |i: usize, v: f64, second: bool, class: &'static str| {
        let h = v / peak * (BOTTOM - TOP);
        let x = LEFT + slot * i as f64 + slot * if second { 0.5 } else { 0.08 };
        html! {
            <rect class={class} x={format!("{x:.1}")} y={format!("{:.1}", BOTTOM - h)} width={format!("{:.1}", slot * 0.42)} height={format!("{h:.1}")}>
                <title>{ format!("{}: {:.1}%", edges.get(i).cloned().unwrap_or_default(), v * 100.0) }</title>
            </rect>
        }
    };
    // Every bin labelled when there is room, else every second or third.
    let every = n.div_ceil(8);
    html! {
        <svg class="ro-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={label.to_string()}>
            <rect class="ro-plot" x={LEFT.to_string()} y={TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(BOTTOM - TOP).to_string()} />
            { svg_text(((LEFT - 3.0).to_string().into(), (TOP + 8.0).to_string().into()), Some("end"), "", format!("{:.0}%", peak * 100.0).into()) }
            { svg_text(((LEFT - 3.0).to_string().into(), BOTTOM.to_string().into()), Some("end"), "", "0%".into()) }
            { for reference.iter().enumerate().map(|(i, v)| bar(i, *v, false, "ro-bar-reference")) }
            { for current.iter().enumerate().map(|(i, v)| bar(i, *v, true, "ro-bar-current")) }
            { for edges.iter().enumerate().filter(|(i, _)| i % every == 0).map(|(i, e)| html! {
                { svg_text((format!("{:.1}", LEFT + slot * (i as f64 + 0.5)).into(), (BOTTOM + 12.0).to_string().into()), Some("middle"), "", e.clone().into()) }
            }) }
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_y_range_holds_points_and_rules_and_skips_gaps() {
        let series = [Series {
            label: "v1".into(),
            class: "ro-stable",
            points: vec![(0.0, 0.97), (1.0, f64::NAN), (2.0, 0.99)],
        }];
        let rules = [Rule {
            value: 0.95,
            label: ">= 0.95".into(),
        }];
        let (lo, hi) = y_range(&series, &rules);
        assert!(lo < 0.95 && hi > 0.99, "{lo} {hi}");
        assert_eq!(y_range(&[], &[]), (0.0, 1.0));
        let (lo, hi) = y_range(
            &[Series {
                label: "flat".into(),
                class: "x",
                points: vec![(0.0, 300.0), (1.0, 300.0)],
            }],
            &[],
        );
        assert!(lo < 300.0 && hi > 300.0);
    }

    #[test]
    fn axis_numbers_stay_short() {
        assert_eq!(short_number(1500.0), "1.5k");
        assert_eq!(short_number(300.0), "300");
        assert_eq!(short_number(2.5), "2.5");
        assert_eq!(short_number(0.95), "0.950");
        assert_eq!(short_number(0.0), "0");
    }
}
