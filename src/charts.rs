//! The one module that draws charts, with plotters on a `<canvas>` (plotters-canvas). Charts take
//! plain data and a [`Palette`]; they know nothing of labs or lessons.

use crate::theme::Theme;
use plotters::chart::MeshStyle;
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

/// The charts' label font: 12 CSS pixels in the theme's text colour.
fn label_font(palette: Palette, scale: f64) -> TextStyle<'static> {
    ("sans-serif", (12.0 * scale).round())
        .into_font()
        .color(&palette.text)
}

/// A chart builder with the charts' margins and room for the x labels, and `y_labels_css_px` for
/// the y labels.
fn builder<'a, 'b>(
    root: &'a DrawingArea<CanvasBackend, plotters::coord::Shift>,
    scale: f64,
    y_labels_css_px: f64,
) -> ChartBuilder<'a, 'b, CanvasBackend> {
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(px(8.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(y_labels_css_px));
    builder
}

/// The mesh in the theme's colours; `light` colours the minor grid lines.
fn themed<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    palette: Palette,
    light: RGBColor,
    font: &TextStyle<'b>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.light_line_style(light)
        .bold_line_style(palette.grid)
        .axis_style(palette.text)
        .label_style(font.clone())
        .axis_desc_style(font.clone())
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
    let root = blank(canvas, palette)?;
    let first = points.first().map_or(0, |p| p.0);
    let last = points.last().map_or(1, |p| p.0 + 1).max(first + 1);
    let peak = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let label_font = label_font(palette, scale);
    let mut chart = builder(&root, scale, 38.0)
        .build_cartesian_2d(first..last, 0u32..peak + 1)
        .map_err(|e| e.to_string())?;
    themed(
        &mut chart.configure_mesh(),
        palette,
        palette.grid,
        &label_font,
    )
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
    let label_font = label_font(palette, scale);
    // Room for the widest tick label (about 7 CSS px a digit) beside the axis description.
    let y_labels_css_px = (22.0 + 7.0 * peak.to_string().len() as f64).max(42.0);
    let mut chart = builder(&root, scale, y_labels_css_px)
        .build_cartesian_2d(first..last, 0u64..peak + peak / 10 + 1)
        .map_err(|e| e.to_string())?;
    themed(
        &mut chart.configure_mesh(),
        palette,
        palette.grid,
        &label_font,
    )
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

/// How to print an x value of [`xy_line`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XAxis {
    Number,
    /// Days since 1970-01-01.
    Date,
    /// Microseconds since 1970-01-01.
    Timestamp,
}

fn axis_number(v: f64) -> String {
    if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) {
        format!("{v:.2e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn shorten(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The y range for values, always including zero, with a little headroom.
fn y_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1e-9);
    let lo = if lo < 0.0 { lo - span * 0.08 } else { 0.0 };
    (lo)..(hi + span * 0.08).max(lo + 1.0)
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
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let root = blank(canvas, palette)?;
    let n = bars.len().max(1) as u32;
    let width_css = f64::from(root.dim_in_pixel().0) / scale;
    // Labels as long as a bar is wide (7 CSS pixels a character), at least 5 characters: when
    // they do not fit, every second (third...) one is skipped.
    let per_bar = (width_css - 70.0).max(40.0) / f64::from(n);
    let chars = ((per_bar / 7.0) as usize).clamp(5, 16);
    let every = ((chars as f64 * 7.0 + 6.0) / per_bar).ceil().max(1.0) as usize;
    let label_font = label_font(palette, scale);
    let mut chart = builder(&root, scale, 54.0)
        .build_cartesian_2d(
            (0..n - 1).into_segmented(),
            y_range(bars.iter().map(|b| b.1)),
        )
        .map_err(|e| e.to_string())?;
    themed(
        &mut chart.configure_mesh(),
        palette,
        palette.background,
        &label_font,
    )
    .disable_x_mesh()
    .x_labels(bars.len().min(60))
    .x_label_formatter(&|v| match v {
        SegmentValue::CenterOf(i) if (*i as usize) % every == 0 => bars
            .get(*i as usize)
            .map(|b| shorten(&b.0, chars))
            .unwrap_or_default(),
        _ => String::new(),
    })
    .y_label_formatter(&|v| axis_number(*v))
    .x_desc(x_label)
    .y_desc(y_label)
    .draw()
    .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
            let i = i as u32;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), *value),
                ],
                palette.series.mix(0.85).filled(),
            );
            bar.set_margin(0, 0, px(2.0), px(2.0));
            bar
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
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
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let root = blank(canvas, palette)?;
    let first = points.first().map_or(0.0, |p| p.0);
    let last = points.last().map_or(1.0, |p| p.0);
    let last = if last > first { last } else { first + 1.0 };
    let label_font = label_font(palette, scale);
    let x_format = |v: &f64| match x_axis {
        XAxis::Number => axis_number(*v),
        XAxis::Date => lab::sql::value::format_date(v.round() as i32),
        XAxis::Timestamp => {
            let text = lab::sql::value::format_timestamp(v.round() as i64);
            // Whole days print as dates.
            text.strip_suffix(" 00:00:00").unwrap_or(&text).to_string()
        }
    };
    let width_css = f64::from(root.dim_in_pixel().0) / scale;
    let mut chart = builder(&root, scale, 54.0)
        .build_cartesian_2d(first..last, y_range(points.iter().map(|p| p.1)))
        .map_err(|e| e.to_string())?;
    themed(
        &mut chart.configure_mesh(),
        palette,
        palette.background,
        &label_font,
    )
    .x_labels(((width_css / 110.0) as usize).clamp(2, 10))
    .x_label_formatter(&x_format)
    .y_label_formatter(&|v| axis_number(*v))
    .x_desc(x_label)
    .y_desc(y_label)
    .draw()
    .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            palette.series.stroke_width(px(2.0)),
        ))
        .map_err(|e| e.to_string())?;
    if points.len() <= 60 {
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(*p, px(3.0), palette.series.filled())),
            )
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
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
    let px = |css_px: f64| (css_px * scale).round() as u32;
    let root = blank(canvas, palette)?;
    // Room on the right for the last point's label.
    let x_max = points.iter().map(|p| p.0).fold(1.0f64, f64::max) * 1.25;
    let label_font = label_font(palette, scale);
    let width_css = f64::from(root.dim_in_pixel().0) / scale;
    let mut chart = builder(&root, scale, 54.0)
        .build_cartesian_2d(0.0..x_max, y_range(points.iter().map(|p| p.1)))
        .map_err(|e| e.to_string())?;
    themed(
        &mut chart.configure_mesh(),
        palette,
        palette.background,
        &label_font,
    )
    .x_labels(((width_css / 110.0) as usize).clamp(2, 10))
    .x_label_formatter(&|v| axis_number(*v))
    .y_label_formatter(&|v| axis_number(*v))
    .x_desc(x_label)
    .y_desc(y_label)
    .draw()
    .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            palette.series.stroke_width(px(2.0)),
        ))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), px(3.5), palette.series.filled())),
        )
        .map_err(|e| e.to_string())?;
    if let Some(p) = current.and_then(|i| points.get(i)) {
        chart
            .draw_series(std::iter::once(Circle::new(
                (p.0, p.1),
                px(8.0),
                palette.text.stroke_width(px(2.0)),
            )))
            .map_err(|e| e.to_string())?;
    }
    let offset = (px(6.0) as i32, -(px(16.0) as i32));
    chart
        .draw_series(points.iter().map(|p| {
            EmptyElement::at((p.0, p.1)) + Text::new(p.2.clone(), offset, label_font.clone())
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
