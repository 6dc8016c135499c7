//! A path as SVG path data (`M1.5 2L3 4Z`), built in Rust and handed to the canvas in one call
//! as a `Path2D`: a line of 300 points is one string instead of 300 `lineTo` calls across the
//! WebAssembly–JavaScript boundary. Coordinates are device pixels printed to a tenth of a pixel
//! (finer is invisible); non-finite ones are skipped, as SVG would stop at them. Pure, tested
//! natively.

use std::fmt::Write;

/// SVG path data under construction.
#[derive(Default)]
pub(super) struct PathData {
    text: String,
    /// Whether the next point of a polyline continues a line (`L`) or starts one (`M`).
    pen_down: bool,
}

impl PathData {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// A straight segment from `a` to `b`.
    pub fn segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        if finite(a) && finite(b) {
            self.command('M', a);
            self.command('L', b);
        }
    }

    /// The next point of one polyline: the first moves there, later ones draw to it.
    pub fn line_to(&mut self, p: (f64, f64)) {
        if finite(p) {
            self.command(if self.pen_down { 'L' } else { 'M' }, p);
            self.pen_down = true;
        }
    }

    /// A closed rectangle with its corner at (x, y).
    pub fn rect(&mut self, (x, y, w, h): (f64, f64, f64, f64)) {
        if finite((x, y)) && finite((w, h)) {
            self.command('M', (x, y));
            self.command('L', (x + w, y));
            self.command('L', (x + w, y + h));
            self.command('L', (x, y + h));
            self.text.push('Z');
        }
    }

    /// A closed circle, as two half arcs.
    pub fn circle(&mut self, (x, y): (f64, f64), r: f64) {
        if finite((x, y)) && r.is_finite() {
            self.command('M', (x - r, y));
            let _ = write!(self.text, "A{r:.1} {r:.1} 0 1 0 {:.1} {y:.1}", x + r);
            let _ = write!(self.text, "A{r:.1} {r:.1} 0 1 0 {:.1} {y:.1}", x - r);
            self.text.push('Z');
        }
    }

    fn command(&mut self, letter: char, (x, y): (f64, f64)) {
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{letter}{x:.1} {y:.1}");
    }
}

fn finite((x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_polylines_rects_and_circles_print_as_svg_path_data() {
        let mut path = PathData::default();
        path.segment((0.5, 1.0), (10.5, 1.0));
        assert_eq!(path.as_str(), "M0.5 1.0L10.5 1.0");
        let mut line = PathData::default();
        for p in [(0.0, 5.0), (1.0, f64::NAN), (2.25, 4.0), (3.0, 3.0)] {
            line.line_to(p);
        }
        assert_eq!(line.as_str(), "M0.0 5.0L2.2 4.0L3.0 3.0");
        let mut shapes = PathData::default();
        shapes.rect((1.0, 2.0, 3.0, 4.0));
        shapes.circle((10.0, 10.0), 2.0);
        assert_eq!(
            shapes.as_str(),
            "M1.0 2.0L4.0 2.0L4.0 6.0L1.0 6.0ZM8.0 10.0A2.0 2.0 0 1 0 12.0 10.0A2.0 2.0 0 1 0 8.0 10.0Z"
        );
    }

    #[test]
    fn nothing_non_finite_gets_in() {
        let mut path = PathData::default();
        path.segment((f64::INFINITY, 0.0), (1.0, 1.0));
        path.rect((0.0, 0.0, f64::NAN, 1.0));
        path.circle((0.0, f64::NAN), 1.0);
        assert!(path.is_empty());
    }
}
