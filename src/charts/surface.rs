//! The canvas as the charts draw on it: a 2D context in device pixels, cleared to the theme's
//! background with the label font set once. Every helper batches: one path and one stroke or
//! fill per call, however many lines, rectangles or dots it holds, because each call into the
//! canvas crosses from WebAssembly to JavaScript: a path is built as SVG path data and handed
//! over as one `Path2D` ([`super::path`]). Lines one device pixel wide sit on half-pixel
//! offsets so they cover one row of pixels instead of blurring over two.

use super::path::PathData;
use super::Rgb;
use std::f64::consts::FRAC_PI_2;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, Path2d};

/// The charts' label font size, in CSS pixels.
const FONT_CSS_PX: f64 = 12.0;

/// A straight line from one point to another, in device pixels.
pub(super) type Segment = ((f64, f64), (f64, f64));

/// A chart's canvas, ready to draw on.
pub(super) struct Surface {
    ctx: CanvasRenderingContext2d,
    pub width_px: f64,
    pub height_px: f64,
    /// Device pixels per CSS pixel.
    pub scale: f64,
}

/// How a text sits on its anchor point: (`textAlign`, `textBaseline`).
#[derive(Clone, Copy)]
pub(super) enum Anchor {
    /// Centred, its top at the point: an x tick label under its tick.
    TopCenter,
    /// Right of the text at the point, vertically centred: a y tick label.
    MiddleRight,
    /// Its top left corner at the point: a point's label.
    TopLeft,
    /// Left end at the point, vertically centred: a legend entry.
    MiddleLeft,
    /// Centred, its bottom at the point: the x axis description.
    BottomCenter,
}

impl Anchor {
    fn align_and_baseline(self) -> (&'static str, &'static str) {
        match self {
            Anchor::TopCenter => ("center", "top"),
            Anchor::MiddleRight => ("right", "middle"),
            Anchor::TopLeft => ("left", "top"),
            Anchor::MiddleLeft => ("left", "middle"),
            Anchor::BottomCenter => ("center", "bottom"),
        }
    }
}

impl Surface {
    /// The canvas's 2D context, filled with `background`, the label font set.
    pub fn open(
        canvas: &HtmlCanvasElement,
        background: Rgb,
        scale: f64,
    ) -> Result<Surface, String> {
        let ctx = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
            .ok_or("the canvas has no 2D context (is the browser's canvas support off?)")?;
        let surface = Surface {
            ctx,
            width_px: f64::from(canvas.width()),
            height_px: f64::from(canvas.height()),
            scale,
        };
        surface.ctx.set_fill_style_str(&background.css());
        surface
            .ctx
            .fill_rect(0.0, 0.0, surface.width_px, surface.height_px);
        surface
            .ctx
            .set_font(&format!("{}px sans-serif", surface.font_px()));
        surface.ctx.set_line_join("round");
        Ok(surface)
    }

    /// `css_px` CSS pixels in device pixels, rounded.
    pub fn px(&self, css_px: f64) -> f64 {
        (css_px * self.scale).round()
    }

    /// The label font's size in device pixels.
    pub fn font_px(&self) -> f64 {
        self.px(FONT_CSS_PX)
    }

    /// Axis-parallel segments, one device pixel wide, in one path: grid lines, axes, tick marks.
    pub fn hairlines(&self, segments: &[Segment], color: &str) {
        let mut path = PathData::default();
        for &((x0, y0), (x1, y1)) in segments {
            path.segment((crisp(x0), crisp(y0)), (crisp(x1), crisp(y1)));
        }
        self.stroke(&path, color, 1.0);
    }

    /// One polyline through `points`, `width_px` wide, in one path.
    pub fn polyline(
        &self,
        points: impl IntoIterator<Item = (f64, f64)>,
        color: &str,
        width_px: f64,
    ) {
        let mut path = PathData::default();
        points.into_iter().for_each(|p| path.line_to(p));
        self.stroke(&path, color, width_px);
    }

    /// Filled rectangles (x, y, width, height) in one path.
    pub fn rects(&self, rects: impl IntoIterator<Item = (f64, f64, f64, f64)>, color: &str) {
        let mut path = PathData::default();
        rects.into_iter().for_each(|r| path.rect(r));
        self.fill(&path, color);
    }

    /// Filled dots of `radius_px` at `centers`, in one path.
    pub fn dots(&self, centers: impl IntoIterator<Item = (f64, f64)>, radius_px: f64, color: &str) {
        let mut path = PathData::default();
        centers.into_iter().for_each(|c| path.circle(c, radius_px));
        self.fill(&path, color);
    }

    /// A circle's outline.
    pub fn ring(&self, center: (f64, f64), radius_px: f64, color: &str, width_px: f64) {
        let mut path = PathData::default();
        path.circle(center, radius_px);
        self.stroke(&path, color, width_px);
    }

    /// A rectangle filled with `fill` and outlined one device pixel wide with `border`.
    pub fn boxed(&self, (x, y, w, h): (f64, f64, f64, f64), fill: &str, border: &str) {
        self.ctx.set_fill_style_str(fill);
        self.ctx.fill_rect(x, y, w, h);
        let mut path = PathData::default();
        path.rect((crisp(x), crisp(y), w.round(), h.round()));
        self.stroke(&path, border, 1.0);
    }

    /// Texts sharing one anchor and colour.
    pub fn texts<'t>(
        &self,
        anchor: Anchor,
        color: &str,
        texts: impl IntoIterator<Item = (&'t str, f64, f64)>,
    ) {
        let (align, baseline) = anchor.align_and_baseline();
        self.ctx.set_fill_style_str(color);
        self.ctx.set_text_align(align);
        self.ctx.set_text_baseline(baseline);
        for (text, x, y) in texts {
            // fillText only fails on non-finite coordinates, which draw nothing anyway.
            let _ = self.ctx.fill_text(text, x, y);
        }
    }

    /// A text turned a quarter left (reading upwards), centred on `y`, its top at `x`: the y
    /// axis description.
    pub fn text_upwards(&self, text: &str, color: &str, x: f64, y: f64) {
        self.ctx.save();
        self.ctx.set_fill_style_str(color);
        if self.ctx.translate(x, y).is_ok() && self.ctx.rotate(-FRAC_PI_2).is_ok() {
            self.ctx.set_text_align("center");
            self.ctx.set_text_baseline("top");
            let _ = self.ctx.fill_text(text, 0.0, 0.0);
        }
        self.ctx.restore();
    }

    /// How wide `text` is in the label font, in device pixels.
    pub fn text_width_px(&self, text: &str) -> f64 {
        self.ctx.measure_text(text).map_or(0.0, |m| m.width())
    }

    /// Strokes `path` in one call (nothing if it is empty).
    fn stroke(&self, path: &PathData, color: &str, width_px: f64) {
        if let Some(path) = to_path2d(path) {
            self.ctx.set_stroke_style_str(color);
            self.ctx.set_line_width(width_px);
            self.ctx.stroke_with_path(&path);
        }
    }

    /// Fills `path` in one call (nothing if it is empty).
    fn fill(&self, path: &PathData, color: &str) {
        if let Some(path) = to_path2d(path) {
            self.ctx.set_fill_style_str(color);
            self.ctx.fill_with_path_2d(&path);
        }
    }
}

/// The canvas's path object for `path`; `None` for an empty path (or one the browser refuses,
/// which path data of finite numbers never is).
fn to_path2d(path: &PathData) -> Option<Path2d> {
    if path.is_empty() {
        return None;
    }
    Path2d::new_with_path_string(path.as_str()).ok()
}

/// The middle of the device pixel holding `v`, where a one-pixel line covers exactly one pixel.
fn crisp(v: f64) -> f64 {
    v.floor() + 0.5
}
