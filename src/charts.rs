//! The one module that draws charts, with plotters on a `<canvas>` (plotters-canvas). Charts take
//! plain data and a [`Palette`]; they know nothing of labs or lessons.

use crate::theme::Theme;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// While a lab plays, charts redraw on every this many changes (a canvas redraw costs more than
/// the rest of a frame).
pub const REFRESH_EVERY_WHILE_PLAYING: u64 = 5;

/// Colours for one theme.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub background: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub series: RGBColor,
}

/// The palette that matches a page theme (same values as `static/style.css`).
pub fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Light => Palette {
            background: RGBColor(255, 255, 255),
            text: RGBColor(55, 65, 81),
            grid: RGBColor(229, 231, 235),
            series: RGBColor(37, 99, 235),
        },
        Theme::Dark => Palette {
            background: RGBColor(17, 24, 39),
            text: RGBColor(209, 213, 219),
            grid: RGBColor(55, 65, 81),
            series: RGBColor(96, 165, 250),
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

/// The canvas as a plotters drawing area, filled with the theme's background.
fn blank(
    canvas: HtmlCanvasElement,
    palette: Palette,
) -> Result<DrawingArea<CanvasBackend, plotters::coord::Shift>, String> {
    let root = CanvasBackend::with_canvas_object(canvas)
        .ok_or("the canvas has no 2D context")?
        .into_drawing_area();
    root.fill(&palette.background).map_err(|e| e.to_string())?;
    Ok(root)
}

/// Draws a bar chart of events per tick (one bar per tick: counts are discrete, so no lines
/// between them). `points` are (tick, events), oldest first; `scale` is device pixels per CSS
/// pixel (from [`fit_to_screen`]).
pub fn events_per_tick(
    canvas: HtmlCanvasElement,
    points: &[(u64, u32)],
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let root = blank(canvas, palette)?;
    let first = points.first().map_or(0, |p| p.0);
    let last = points.last().map_or(1, |p| p.0 + 1).max(first + 1);
    let peak = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let label_font = ("sans-serif", f64::from(px(12.0)))
        .into_font()
        .color(&palette.text);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(38.0))
        .build_cartesian_2d(first..last, 0u32..peak + 1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(palette.grid)
        .bold_line_style(palette.grid)
        .axis_style(palette.text)
        .label_style(label_font.clone())
        .axis_desc_style(label_font)
        .x_desc("tick")
        .y_desc("events")
        .y_labels(((peak + 1) as usize).min(6))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            points
                .iter()
                .filter(|(_, events)| *events > 0)
                .map(|&(tick, events)| {
                    Rectangle::new(
                        [(tick, 0), (tick + 1, events)],
                        palette.series.mix(0.85).filled(),
                    )
                }),
        )
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Draws one line per named series of (tick, value) points, with a legend.
pub fn lines(
    canvas: HtmlCanvasElement,
    series: &[(String, Vec<(u64, u64)>)],
    y_label: &str,
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let root = blank(canvas, palette)?;
    let points = || series.iter().flat_map(|(_, p)| p.iter());
    let first = points().map(|p| p.0).min().unwrap_or(0);
    let last = points().map(|p| p.0).max().unwrap_or(1).max(first + 1);
    let peak = points().map(|p| p.1).max().unwrap_or(0).max(1);
    let label_font = ("sans-serif", f64::from(px(12.0)))
        .into_font()
        .color(&palette.text);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(42.0))
        .build_cartesian_2d(first..last, 0u64..peak + peak / 10 + 1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(palette.grid)
        .bold_line_style(palette.grid)
        .axis_style(palette.text)
        .label_style(label_font.clone())
        .axis_desc_style(label_font.clone())
        .x_desc("tick")
        .y_desc(y_label)
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = SERIES_COLORS[i % SERIES_COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(px(2.0)),
            ))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(3))
            });
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .background_style(palette.background.mix(0.85))
            .border_style(palette.grid)
            .label_font(label_font)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Line colours, distinguishable in both themes.
const SERIES_COLORS: [RGBColor; 6] = [
    RGBColor(37, 99, 235),
    RGBColor(219, 39, 119),
    RGBColor(5, 150, 105),
    RGBColor(217, 119, 6),
    RGBColor(124, 58, 237),
    RGBColor(8, 145, 178),
];
