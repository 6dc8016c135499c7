//! A chart's frame: the grid, the two axes with their tick marks, the tick labels and the axis
//! descriptions, laid out as plotters laid them out (the y axis on the left with its
//! description reading upwards, the x axis below with its description under the labels). The
//! grid is one path and the axes with all their tick marks another, whatever the tick count.

use super::scale::{Linear, PlotArea, MARGIN_CSS_PX};
use super::surface::{Anchor, Segment, Surface};
use super::ticks::{fine_tick_count, light_ticks};
use super::Palette;

/// How far tick marks stick out of the axes, in CSS pixels; labels sit twice as far.
const TICK_CSS_PX: f64 = 5.0;

/// A tick: where it is along its axis (device pixels) and its label (empty for none).
pub(super) struct Tick {
    pub at_px: f64,
    pub label: String,
}

/// Ticks at `values` placed by `scale`, labelled by `label`.
pub(super) fn ticks(values: &[f64], scale: Linear, label: impl Fn(f64) -> String) -> Vec<Tick> {
    values
        .iter()
        .map(|&v| Tick {
            at_px: scale.at(v),
            label: label(v),
        })
        .collect()
}

/// The fine grid lines (device pixels) of a whole-number axis between its `bold` ticks (asked
/// for at most `max_bold`), at `scale` device pixels per CSS pixel.
pub(super) fn whole_fine_lines(
    axis: Linear,
    bold: &[f64],
    max_bold: usize,
    scale: f64,
) -> Vec<f64> {
    let length_css_px = (axis.range.1 - axis.range.0).abs() / scale;
    let (lo, hi) = axis.domain;
    light_ticks(lo, hi, bold, fine_tick_count(max_bold, length_css_px), 1.0)
        .into_iter()
        .map(|v| axis.at(v))
        .collect()
}

/// Everything around the data.
pub(super) struct Frame<'a> {
    pub area: PlotArea,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    /// Vertical grid lines at the x ticks (bars have none: categories need no grid).
    pub x_grid: bool,
    /// Finer grid lines between the ticks, in the grid colour too: x pixels, y pixels.
    pub fine_grid: (Vec<f64>, Vec<f64>),
    /// The x and y axis descriptions.
    pub descriptions: (&'a str, &'a str),
}

impl Frame<'_> {
    pub fn draw(&self, surface: &Surface, palette: Palette) {
        let area = self.area;
        let tick = surface.px(TICK_CSS_PX);
        surface.hairlines(&self.grid_lines(), &palette.grid.css());

        // The axes and their tick marks.
        let mut axes = vec![
            ((area.left, area.top), (area.left, area.bottom)),
            ((area.left, area.bottom), (area.right, area.bottom)),
        ];
        axes.extend(
            self.x_ticks
                .iter()
                .map(|t| ((t.at_px, area.bottom), (t.at_px, area.bottom + tick))),
        );
        axes.extend(
            self.y_ticks
                .iter()
                .map(|t| ((area.left - tick, t.at_px), (area.left, t.at_px))),
        );
        let text = palette.text.css();
        surface.hairlines(&axes, &text);

        surface.texts(
            Anchor::TopCenter,
            &text,
            labelled(&self.x_ticks).map(|t| (t.label.as_str(), t.at_px, area.bottom + 2.0 * tick)),
        );
        surface.texts(
            Anchor::MiddleRight,
            &text,
            labelled(&self.y_ticks).map(|t| (t.label.as_str(), area.left - 2.0 * tick, t.at_px)),
        );

        let (x_desc, y_desc) = self.descriptions;
        let x_labels_bottom = surface.height_px - surface.px(MARGIN_CSS_PX);
        surface.texts(
            Anchor::BottomCenter,
            &text,
            [(x_desc, (area.left + area.right) / 2.0, x_labels_bottom)],
        );
        surface.text_upwards(
            y_desc,
            &text,
            surface.px(MARGIN_CSS_PX),
            (area.top + area.bottom) / 2.0,
        );
    }

    /// The grid: fine lines, then lines at the ticks (y always, x unless turned off).
    fn grid_lines(&self) -> Vec<Segment> {
        let area = self.area;
        let vertical = |x: f64| ((x, area.top), (x, area.bottom));
        let horizontal = |y: f64| ((area.left, y), (area.right, y));
        let (fine_x, fine_y) = &self.fine_grid;
        let mut lines: Vec<_> = fine_x.iter().map(|&x| vertical(x)).collect();
        lines.extend(fine_y.iter().map(|&y| horizontal(y)));
        if self.x_grid {
            lines.extend(self.x_ticks.iter().map(|t| vertical(t.at_px)));
        }
        lines.extend(self.y_ticks.iter().map(|t| horizontal(t.at_px)));
        lines
    }
}

/// The ticks that have a label.
fn labelled(ticks: &[Tick]) -> impl Iterator<Item = &Tick> {
    ticks.iter().filter(|t| !t.label.is_empty())
}
