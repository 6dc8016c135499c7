//! The experiments widgets' small SVG charts: lines over an x axis (hours, pulls, a success rate)
//! with optional shaded bands and a dashed reference line. SVG scales with the page and takes
//! the theme's colours from CSS classes; the drawing is a fixed box, so a chart never changes
//! the page's layout while the lab plays.

use crate::widgets::markup::svg_text;
use yew::prelude::*;

// The drawing's layout, in SVG units.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 312.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 126.0;

/// One line: its legend text, the CSS class that colours it, its points in x order, whether it
/// is drawn dashed (a bound, a reference) and whether each point is marked with a dot (a series
/// of few points, such as one per day, which a line alone would hide while it has one).
#[derive(Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    pub dots: bool,
}

/// A band between two curves over the same x values: (x, low, high).
#[derive(Clone, PartialEq)]
pub struct Band {
    pub class: &'static str,
    pub points: Vec<(f64, f64, f64)>,
}

/// How the axes read: the x range and its end labels, the y range and how a y value prints,
/// and an optional horizontal rule (zero, a threshold) with its label.
pub struct Axes<'a> {
    pub x: (f64, f64),
    pub x_labels: (String, String),
    pub y: (f64, f64),
    pub y_text: &'a dyn Fn(f64) -> String,
    pub rule: Option<(f64, String)>,
}

/// The smallest and largest finite values of `values`, widened if flat; `(0, 1)` if none.
pub fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let pad = lo.abs().max(1e-3) * 0.1;
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

/// The smallest round number (1, 2 or 5 times a power of ten) at least `v`; 1 for a value that
/// is not positive.
pub fn round_up(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|r| *r >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude)
}

/// The y axis's labelled values: the multiples of a round step (a third of the range, rounded
/// up to 1, 2 or 5 times a power of ten) that fall within `[y0, y1]`.
pub fn round_ticks(y0: f64, y1: f64) -> Vec<f64> {
    let step = round_up((y1 - y0) / 3.0);
    let first = (y0 / step - 1e-9).ceil() as i64;
    let last = (y1 / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            // Avoid printing -0.
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// A line chart: bands first, then lines, the rule dashed across. `label` is the accessible
/// description.
pub fn lines(label: &str, bands: &[Band], lines: &[Line], axes: &Axes<'_>) -> Html {
    let (x0, x1) = (axes.x.0, axes.x.1.max(axes.x.0 + 1e-9));
    let (y0, y1) = (axes.y.0, axes.y.1.max(axes.y.0 + 1e-12));
    let px = |v: f64| LEFT + (v - x0) / (x1 - x0) * (RIGHT - LEFT);
    let py = |v: f64| BOTTOM - (v.clamp(y0, y1) - y0) / (y1 - y0) * (BOTTOM - TOP);
    let path = |points: &mut dyn Iterator<Item = (f64, f64)>| {
        let mut d = String::new();
        let mut pen_down = false;
        for (x, y) in points {
            if !y.is_finite() {
                pen_down = false;
                continue;
            }
            d.push_str(if pen_down { "L" } else { "M" });
            d.push_str(&format!("{:.1} {:.1} ", px(x), py(y)));
            pen_down = true;
        }
        d
    };
    let band_path = |band: &Band| {
        let mut upper = band.points.iter().map(|p| (p.0, p.2));
        let mut d = path(&mut upper);
        for p in band.points.iter().rev() {
            d.push_str(&format!("L{:.1} {:.1} ", px(p.0), py(p.1)));
        }
        d.push('Z');
        d
    };
    let y_ticks = round_ticks(y0, y1);
    html! {
        <svg class="ex-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={label.to_string()}>
            <rect class="ex-plot" x={LEFT.to_string()} y={TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(BOTTOM - TOP).to_string()} />
            { for y_ticks.iter().map(|&v| html! {
                <g>
                    <line class="ex-grid" x1={LEFT.to_string()} x2={RIGHT.to_string()} y1={format!("{:.1}", py(v))} y2={format!("{:.1}", py(v))} />
                    { svg_text(((LEFT - 3.0).to_string().into(), format!("{:.1}", py(v) + 3.0).into()), Some("end"), "", (axes.y_text)(v).into()) }
                </g>
            }) }
            { svg_text((LEFT.to_string().into(), (BOTTOM + 13.0).to_string().into()), None, "", axes.x_labels.0.clone().into()) }
            { svg_text((RIGHT.to_string().into(), (BOTTOM + 13.0).to_string().into()), Some("end"), "", axes.x_labels.1.clone().into()) }
            // A band needs two points to enclose anything (an empty path is an SVG error).
            { for bands.iter().filter(|b| b.points.len() >= 2).map(|b| html! { <path class={classes!("ex-band", b.class)} d={band_path(b)} /> }) }
            if let Some((value, text)) = &axes.rule {
                <g class="ex-rule">
                    <line x1={LEFT.to_string()} x2={RIGHT.to_string()} y1={format!("{:.1}", py(*value))} y2={format!("{:.1}", py(*value))} />
                    { svg_text(((RIGHT - 2.0).to_string().into(), format!("{:.1}", py(*value) - 3.0).into()), Some("end"), "", text.clone().into()) }
                </g>
            }
            { for lines.iter().map(|l| html! {
                <path class={classes!("ex-line", l.class, l.dashed.then_some("ex-dashed"))} d={path(&mut l.points.iter().copied())}>
                    <title>{ l.label.clone() }</title>
                </path>
            }) }
            { for lines.iter().filter(|l| l.dots).flat_map(|l| l.points.iter().filter(|p| p.1.is_finite()).map(move |p| html! {
                <circle class={classes!("ex-dot", l.class)} cx={format!("{:.1}", px(p.0))} cy={format!("{:.1}", py(p.1))} r="2.4" />
            })) }
        </svg>
    }
}

/// A legend: a swatch (solid or dashed) and a name per line.
pub fn legend(lines: &[Line]) -> Html {
    html! {
        <ul class="ex-legend small" aria-hidden="true">
            { for lines.iter().map(|l| html! {
                <li><span class={classes!("ex-swatch", l.class, l.dashed.then_some("ex-dashed"))}></span>{ l.label.clone() }</li>
            }) }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_every_finite_value_and_widen_when_flat() {
        assert_eq!(range_of([1.0, f64::NAN, 3.0].into_iter()), (1.0, 3.0));
        assert_eq!(range_of(std::iter::empty()), (0.0, 1.0));
        let (lo, hi) = range_of([5.0, 5.0].into_iter());
        assert!(lo < 5.0 && hi > 5.0);
    }

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        assert_eq!(round_up(18.3), 20.0);
        assert_eq!(round_up(0.3), 0.5);
        assert_eq!(round_up(100.0), 100.0);
        assert_eq!(round_ticks(0.0, 18.3), vec![0.0, 10.0]);
        assert_eq!(round_ticks(0.0, 20.0), vec![0.0, 10.0, 20.0]);
        assert_eq!(round_ticks(0.0, 1.0), vec![0.0, 0.5, 1.0]);
        assert_eq!(round_ticks(-0.15, 0.15), vec![-0.1, 0.0, 0.1]);
        assert_eq!(round_ticks(0.0, 3000.0), vec![0.0, 1000.0, 2000.0, 3000.0]);
    }
}
