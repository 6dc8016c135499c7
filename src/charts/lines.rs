//! Line charts: named series over ticks with a legend, a line through (x, y) points with a
//! number, date or timestamp x axis, and a labelled trade-off curve. Each line is one path and
//! one stroke; the dots of a line are one path and one fill.

use super::axes::{ticks, whole_fine_lines, Frame};
use super::scale::{value_range, PlotArea};
use super::surface::{Anchor, Surface};
use super::ticks::{axis_number, nice_ticks};
use super::{legend, Palette, XAxis, SERIES_COLORS};
use web_sys::HtmlCanvasElement;

/// Lines are this many CSS pixels wide.
const LINE_CSS_PX: f64 = 2.0;

/// Draws one line per named series of (tick, value) points, with a legend.
pub fn lines(
    canvas: HtmlCanvasElement,
    series: &[(String, Vec<(u64, u64)>)],
    y_label: &str,
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let surface = Surface::open(&canvas, palette.background, scale)?;
    let points = || series.iter().flat_map(|(_, p)| p.iter());
    let first = points().map(|p| p.0).min().unwrap_or(0);
    let last = points().map(|p| p.0).max().unwrap_or(1).max(first + 1);
    let peak = points().map(|p| p.1).max().unwrap_or(0).max(1);
    let (x_domain, y_domain) = (
        (first as f64, last as f64),
        (0.0, (peak + peak / 10 + 1) as f64),
    );
    // Room for the widest tick label (about 7 CSS px a digit) beside the axis description.
    let y_labels_css_px = (22.0 + 7.0 * peak.to_string().len() as f64).max(42.0);
    let area = PlotArea::inside(surface.width_px, surface.height_px, scale, y_labels_css_px);
    let (x, y) = (area.x(x_domain), area.y(y_domain));
    let (x_values, y_values) = (
        nice_ticks(x_domain.0, x_domain.1, 11, 1.0),
        nice_ticks(y_domain.0, y_domain.1, 11, 1.0),
    );
    let whole = |v: f64| format!("{v:.0}");
    Frame {
        area,
        fine_grid: (
            whole_fine_lines(x, &x_values, 11, scale),
            whole_fine_lines(y, &y_values, 11, scale),
        ),
        x_ticks: ticks(&x_values, x, whole),
        y_ticks: ticks(&y_values, y, whole),
        x_grid: true,
        descriptions: ("tick", y_label),
    }
    .draw(&surface, palette);
    let named: Vec<(&str, String)> = series
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), SERIES_COLORS[i % SERIES_COLORS.len()].css()))
        .collect();
    for ((_, points), (_, color)) in series.iter().zip(&named) {
        surface.polyline(
            points
                .iter()
                .map(|&(t, v)| (x.at(t as f64), y.at(v as f64))),
            color,
            surface.px(LINE_CSS_PX),
        );
    }
    if !named.is_empty() {
        legend::draw(&surface, (area.left, area.top), &named, palette);
    }
    Ok(())
}

/// Draws a line through (x, y) points, sorted by x: a numeric, date or timestamp x against a
/// number.
pub fn xy_line(
    canvas: HtmlCanvasElement,
    points: &[(f64, f64)],
    (x_label, y_label): (&str, &str),
    x_axis: XAxis,
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let surface = Surface::open(&canvas, palette.background, scale)?;
    let first = points.first().map_or(0.0, |p| p.0);
    let last = points.last().map_or(1.0, |p| p.0);
    let x_domain = (first, if last > first { last } else { first + 1.0 });
    let y_domain = value_range(points.iter().map(|p| p.1));
    let area = PlotArea::inside(surface.width_px, surface.height_px, scale, 54.0);
    let (x, y) = (area.x(x_domain), area.y(y_domain));
    // Dates and timestamps step by whole days or microseconds at least.
    let min_step = if x_axis == XAxis::Number { 0.0 } else { 1.0 };
    let x_values = nice_ticks(
        x_domain.0,
        x_domain.1,
        x_label_count(surface.width_px / scale),
        min_step,
    );
    Frame {
        area,
        fine_grid: (Vec::new(), Vec::new()),
        x_ticks: ticks(&x_values, x, |v| x_axis.label(v)),
        y_ticks: ticks(&nice_ticks(y_domain.0, y_domain.1, 11, 0.0), y, axis_number),
        x_grid: true,
        descriptions: (x_label, y_label),
    }
    .draw(&surface, palette);
    let color = palette.series.css();
    let at = |&(px, py): &(f64, f64)| (x.at(px), y.at(py));
    surface.polyline(points.iter().map(at), &color, surface.px(LINE_CSS_PX));
    if points.len() <= 60 {
        surface.dots(points.iter().map(at), surface.px(3.0), &color);
    }
    Ok(())
}

/// A trade-off curve: one point per setting, joined in order, each labelled (`60 s`), and the
/// point `current` (if any) ringed. Both axes are numbers starting at zero.
pub fn labelled_points(
    canvas: HtmlCanvasElement,
    points: &[(f64, f64, String)],
    current: Option<usize>,
    (x_label, y_label): (&str, &str),
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let surface = Surface::open(&canvas, palette.background, scale)?;
    // Room on the right for the last point's label.
    let x_domain = (
        0.0,
        points.iter().map(|p| p.0).fold(1.0f64, f64::max) * 1.25,
    );
    let y_domain = value_range(points.iter().map(|p| p.1));
    let area = PlotArea::inside(surface.width_px, surface.height_px, scale, 54.0);
    let (x, y) = (area.x(x_domain), area.y(y_domain));
    let x_values = nice_ticks(
        x_domain.0,
        x_domain.1,
        x_label_count(surface.width_px / scale),
        0.0,
    );
    Frame {
        area,
        fine_grid: (Vec::new(), Vec::new()),
        x_ticks: ticks(&x_values, x, axis_number),
        y_ticks: ticks(&nice_ticks(y_domain.0, y_domain.1, 11, 0.0), y, axis_number),
        x_grid: true,
        descriptions: (x_label, y_label),
    }
    .draw(&surface, palette);
    let color = palette.series.css();
    let at = |p: &(f64, f64, String)| (x.at(p.0), y.at(p.1));
    surface.polyline(points.iter().map(at), &color, surface.px(LINE_CSS_PX));
    surface.dots(points.iter().map(at), surface.px(3.5), &color);
    let text = palette.text.css();
    if let Some(p) = current.and_then(|i| points.get(i)) {
        surface.ring(at(p), surface.px(8.0), &text, surface.px(2.0));
    }
    let (dx, dy) = (surface.px(6.0), surface.px(16.0));
    surface.texts(
        Anchor::TopLeft,
        &text,
        points.iter().map(|p| {
            let (px, py) = at(p);
            (p.2.as_str(), px + dx, py - dy)
        }),
    );
    Ok(())
}

/// How many x labels fit: one per 110 CSS pixels, from 2 to 10.
fn x_label_count(width_css_px: f64) -> usize {
    ((width_css_px / 110.0) as usize).clamp(2, 10)
}
