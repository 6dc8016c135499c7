//! The legend of a chart with several lines: a box in the plot's upper left corner, one row per
//! series with a short stroke of its colour and its name. The layout is a pure function of the
//! names' widths (measured once per name), tested natively.

use super::surface::{Anchor, Surface};
use super::Palette;

/// Sizes in CSS pixels: the box's distance from the plot's corner, its padding, the stroke's
/// length, and the room the stroke takes before the name.
const INSET_CSS_PX: f64 = 5.0;
const PADDING_CSS_PX: f64 = 8.0;
const SWATCH_CSS_PX: f64 = 16.0;
const SWATCH_ROOM_CSS_PX: f64 = 24.0;
/// Rows are this many font sizes apart.
const LINE_HEIGHT_PER_FONT: f64 = 1.25;

/// Where a legend's box, strokes and names go, in device pixels.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct LegendLayout {
    /// x, y, width, height.
    pub frame: (f64, f64, f64, f64),
    pub rows: Vec<LegendRow>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct LegendRow {
    /// The stroke's ends (the same y).
    pub swatch: ((f64, f64), (f64, f64)),
    /// Where the name starts, vertically centred on the stroke.
    pub name_at: (f64, f64),
}

/// The legend for names `name_widths_px` wide, at the upper left corner `(left, top)` of the
/// plot, for a font `font_px` high at `scale` device pixels per CSS pixel.
pub(super) fn layout(
    (left, top): (f64, f64),
    name_widths_px: &[f64],
    font_px: f64,
    scale: f64,
) -> LegendLayout {
    let px = |css_px: f64| (css_px * scale).round();
    let (x, y) = (left + px(INSET_CSS_PX), top + px(INSET_CSS_PX));
    let padding = px(PADDING_CSS_PX);
    let row_height = (font_px * LINE_HEIGHT_PER_FONT).round();
    let widest = name_widths_px.iter().copied().fold(0.0, f64::max).ceil();
    let width = padding + px(SWATCH_ROOM_CSS_PX) + widest + padding;
    let height = padding * 2.0 + row_height * name_widths_px.len() as f64;
    let rows = (0..name_widths_px.len())
        .map(|i| {
            let row_y = y + padding + row_height * (i as f64 + 0.5);
            let swatch_x = x + padding;
            LegendRow {
                swatch: ((swatch_x, row_y), (swatch_x + px(SWATCH_CSS_PX), row_y)),
                name_at: (x + padding + px(SWATCH_ROOM_CSS_PX), row_y),
            }
        })
        .collect();
    LegendLayout {
        frame: (x, y, width, height),
        rows,
    }
}

/// Draws the legend of `series` (name and colour) at the plot's upper left corner.
pub(super) fn draw(
    surface: &Surface,
    (left, top): (f64, f64),
    series: &[(&str, String)],
    palette: Palette,
) {
    let widths: Vec<f64> = series
        .iter()
        .map(|(name, _)| surface.text_width_px(name))
        .collect();
    let legend = layout((left, top), &widths, surface.font_px(), surface.scale);
    surface.boxed(
        legend.frame,
        &palette.background.css_alpha(0.85),
        &palette.grid.css(),
    );
    for (row, (_, color)) in legend.rows.iter().zip(series) {
        let (a, b) = row.swatch;
        surface.polyline([a, b], color, surface.px(3.0));
    }
    surface.texts(
        Anchor::MiddleLeft,
        &palette.text.css(),
        legend
            .rows
            .iter()
            .zip(series)
            .map(|(row, (name, _))| (*name, row.name_at.0, row.name_at.1)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_fits_the_widest_name_and_one_row_per_series() {
        let legend = layout((50.0, 8.0), &[40.0, 72.4, 10.0], 12.0, 1.0);
        // 5 from the corner; 8 padding, 24 for the stroke, 73 for the widest name, 8 padding;
        // rows 15 high.
        assert_eq!(legend.frame, (55.0, 13.0, 113.0, 61.0));
        assert_eq!(legend.rows.len(), 3);
        assert_eq!(legend.rows[0].swatch, ((63.0, 28.5), (79.0, 28.5)));
        assert_eq!(legend.rows[2].name_at, (87.0, 58.5));
    }

    #[test]
    fn on_a_hidpi_screen_everything_doubles() {
        let one = layout((50.0, 8.0), &[40.0, 60.0], 12.0, 1.0);
        let two = layout((100.0, 16.0), &[80.0, 120.0], 24.0, 2.0);
        let (x, y, w, h) = one.frame;
        assert_eq!(two.frame, (x * 2.0, y * 2.0, w * 2.0, h * 2.0));
        assert_eq!(
            two.rows[1].name_at,
            (one.rows[1].name_at.0 * 2.0, one.rows[1].name_at.1 * 2.0)
        );
    }
}
