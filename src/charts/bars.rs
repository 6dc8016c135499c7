//! Bar charts: events per tick (one bar per tick, counts being discrete) and one bar per
//! category of a query result. All bars of a chart are one path and one fill.

use super::axes::{ticks, whole_fine_lines, Frame, Tick};
use super::scale::{value_range, Bands, PlotArea};
use super::surface::Surface;
use super::ticks::{axis_number, nice_ticks, shorten};
use super::Palette;
use web_sys::HtmlCanvasElement;

/// How opaque bars are: the grid shows faintly through.
const BAR_ALPHA: f64 = 0.85;

/// Draws a bar chart of events per tick (one bar per tick: counts are discrete, so no lines
/// between them). `points` are (tick, events), oldest first; `scale` is device pixels per CSS
/// pixel (from [`super::fit_to_screen`]).
pub fn events_per_tick(
    canvas: HtmlCanvasElement,
    points: &[(u64, u32)],
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let surface = Surface::open(&canvas, palette.background, scale)?;
    let first = points.first().map_or(0, |p| p.0);
    let last = points.last().map_or(1, |p| p.0 + 1).max(first + 1);
    let peak = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let (x_domain, y_domain) = ((first as f64, last as f64), (0.0, f64::from(peak + 1)));
    let area = PlotArea::inside(surface.width_px, surface.height_px, scale, 38.0);
    let (x, y) = (area.x(x_domain), area.y(y_domain));
    // Every whole number from 0 to peak + 1 when that is at most 6 labels.
    let y_count = (peak as usize + 2).min(6);
    let (x_values, y_values) = (
        nice_ticks(x_domain.0, x_domain.1, 11, 1.0),
        nice_ticks(y_domain.0, y_domain.1, y_count, 1.0),
    );
    let whole = |v: f64| format!("{v:.0}");
    Frame {
        area,
        fine_grid: (
            whole_fine_lines(x, &x_values, 11, scale),
            whole_fine_lines(y, &y_values, y_count, scale),
        ),
        x_ticks: ticks(&x_values, x, whole),
        y_ticks: ticks(&y_values, y, whole),
        x_grid: true,
        descriptions: ("tick", "events"),
    }
    .draw(&surface, palette);
    let zero = y.at(0.0);
    surface.rects(
        points
            .iter()
            .filter(|(_, events)| *events > 0)
            .map(|&(tick, events)| {
                let (left, right) = (x.at(tick as f64), x.at((tick + 1) as f64));
                let top = y.at(f64::from(events));
                (left, top, right - left, zero - top)
            }),
        &palette.series.css_alpha(BAR_ALPHA),
    );
    Ok(())
}

/// Draws one bar per (label, value), in order, for a query result such as `SELECT city,
/// count(*) ... GROUP BY city`.
pub fn bars(
    canvas: HtmlCanvasElement,
    bars: &[(String, f64)],
    (x_label, y_label): (&str, &str),
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let surface = Surface::open(&canvas, palette.background, scale)?;
    let area = PlotArea::inside(surface.width_px, surface.height_px, scale, 54.0);
    let bands = Bands {
        count: bars.len().max(1),
        range: (area.left, area.right),
    };
    let y_domain = value_range(bars.iter().map(|b| b.1));
    let y = area.y(y_domain);
    let labels = CategoryLabels::fitting(surface.width_px / scale, bars.len());
    Frame {
        area,
        fine_grid: (Vec::new(), Vec::new()),
        x_ticks: (0..bars.len())
            .filter(|i| i % labels.every == 0)
            .map(|i| Tick {
                at_px: bands.center(i),
                label: shorten(&bars[i].0, labels.chars),
            })
            .collect(),
        y_ticks: ticks(&nice_ticks(y_domain.0, y_domain.1, 11, 0.0), y, axis_number),
        x_grid: false,
        descriptions: (x_label, y_label),
    }
    .draw(&surface, palette);
    let (zero, gap) = (y.at(0.0), surface.px(2.0));
    surface.rects(
        bars.iter().enumerate().map(|(i, (_, value))| {
            let top = y.at(*value);
            let width = (bands.width() - 2.0 * gap).max(1.0);
            (
                bands.start(i) + gap,
                top.min(zero),
                width,
                (zero - top).abs(),
            )
        }),
        &palette.series.css_alpha(BAR_ALPHA),
    );
    Ok(())
}

/// Which category labels fit under their bars, and how long they may be.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct CategoryLabels {
    /// Characters a label keeps (the last one an ellipsis if cut).
    chars: usize,
    /// Every this many bars has its label.
    every: usize,
}

impl CategoryLabels {
    /// Labels as long as a bar is wide (7 CSS pixels a character), at least 5 characters: when
    /// they do not fit, every second (third...) one is skipped.
    fn fitting(width_css_px: f64, bar_count: usize) -> CategoryLabels {
        let per_bar = (width_css_px - 70.0).max(40.0) / bar_count.max(1) as f64;
        let chars = ((per_bar / 7.0) as usize).clamp(5, 16);
        let every = ((chars as f64 * 7.0 + 6.0) / per_bar).ceil().max(1.0) as usize;
        CategoryLabels { chars, every }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_bars_on_a_wide_chart_keep_every_label_up_to_16_characters() {
        assert_eq!(
            CategoryLabels::fitting(1000.0, 5),
            CategoryLabels {
                chars: 16,
                every: 1
            }
        );
    }

    #[test]
    fn many_bars_on_a_phone_label_every_few_bars_with_short_labels() {
        let labels = CategoryLabels::fitting(320.0, 30);
        assert_eq!(labels.chars, 5);
        assert!(labels.every > 1);
        // A label (5 characters, 7 px each, and a gap) fits in the bars it spans.
        assert!(labels.every as f64 * (250.0 / 30.0) >= 5.0 * 7.0 + 6.0);
    }
}
