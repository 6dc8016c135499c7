//! The one module that draws charts, straight on a `<canvas>` through its 2D context. Charts
//! take plain data and a [`Palette`]; they know nothing of labs or lessons.
//!
//! Why by hand rather than through a plotting library: a canvas call crosses from WebAssembly
//! to JavaScript, so a chart costs about one unit per call. Here every line is one `Path2D`
//! built from SVG path data, the whole grid one path, the axes with their tick marks another,
//! all bars or dots one fill, and text is placed by alignment instead of measured (only legend
//! names are). Layout, ticks and path data are pure functions ([`scale`], [`ticks`],
//! [`legend`], [`path`]), tested natively; [`surface`] is the only part that talks to the canvas.

mod axes;
mod bars;
mod legend;
mod lines;
mod path;
mod scale;
mod surface;
mod ticks;

use crate::theme::Theme;
use web_sys::HtmlCanvasElement;

pub use bars::{bars, events_per_tick};
pub use lines::{labelled_points, lines, xy_line};

/// While a lab plays, charts redraw on every this many changes (a canvas redraw costs more than
/// the rest of a frame).
pub const REFRESH_EVERY_WHILE_PLAYING: u64 = 5;

/// A colour: red, green, blue.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// As a CSS colour, `rgb(37,99,235)`.
    pub fn css(self) -> String {
        format!("rgb({},{},{})", self.0, self.1, self.2)
    }

    /// As a CSS colour `alpha` opaque (0 to 1).
    pub fn css_alpha(self, alpha: f64) -> String {
        format!("rgba({},{},{},{alpha})", self.0, self.1, self.2)
    }
}

/// Colours for one theme.
#[derive(Clone, Copy)]
pub struct Palette {
    pub background: Rgb,
    pub text: Rgb,
    pub grid: Rgb,
    pub series: Rgb,
}

/// The palette that matches a page theme (same values as `static/style.css`).
pub fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Light => Palette {
            background: Rgb(255, 255, 255),
            text: Rgb(55, 65, 81),
            grid: Rgb(229, 231, 235),
            series: Rgb(37, 99, 235),
        },
        Theme::Dark => Palette {
            background: Rgb(17, 24, 39),
            text: Rgb(209, 213, 219),
            grid: Rgb(55, 65, 81),
            series: Rgb(96, 165, 250),
        },
    }
}

/// Sizes a canvas's drawing buffer to its on-screen width times the device pixel ratio, so text
/// stays legible from phones to wide screens. Returns the scale (device pixels per CSS pixel).
pub fn fit_to_screen(
    canvas: &HtmlCanvasElement,
    height_per_width: f64,
    height_css_px: (f64, f64),
) -> f64 {
    let scale = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 3.0);
    let width_css_px = f64::from(canvas.client_width()).max(240.0);
    let height = (width_css_px * height_per_width).clamp(height_css_px.0, height_css_px.1);
    canvas.set_width((width_css_px * scale).round() as u32);
    canvas.set_height((height * scale).round() as u32);
    scale
}

/// Line colours, distinguishable in both themes.
const SERIES_COLORS: [Rgb; 6] = [
    Rgb(37, 99, 235),
    Rgb(219, 39, 119),
    Rgb(5, 150, 105),
    Rgb(217, 119, 6),
    Rgb(124, 58, 237),
    Rgb(8, 145, 178),
];

/// How to print an x value of [`xy_line`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XAxis {
    Number,
    /// Days since 1970-01-01.
    Date,
    /// Microseconds since 1970-01-01.
    Timestamp,
}

impl XAxis {
    /// The tick label of `v`.
    fn label(self, v: f64) -> String {
        match self {
            XAxis::Number => ticks::axis_number(v),
            XAxis::Date => lab::sql::value::format_date(v.round() as i32),
            XAxis::Timestamp => {
                let text = lab::sql::value::format_timestamp(v.round() as i64);
                // Whole days print as dates.
                text.strip_suffix(" 00:00:00").unwrap_or(&text).to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_print_as_css() {
        assert_eq!(Rgb(37, 99, 235).css(), "rgb(37,99,235)");
        assert_eq!(Rgb(255, 255, 255).css_alpha(0.85), "rgba(255,255,255,0.85)");
    }

    #[test]
    fn x_labels_print_numbers_dates_and_timestamps() {
        assert_eq!(XAxis::Number.label(2.5), "2.50");
        assert_eq!(XAxis::Date.label(19_783.0), "2024-03-01");
        assert_eq!(XAxis::Timestamp.label(19_783.0 * 86_400e6), "2024-03-01");
        assert_eq!(
            XAxis::Timestamp.label(19_783.0 * 86_400e6 + 3_600e6),
            "2024-03-01 01:00:00"
        );
    }
}
