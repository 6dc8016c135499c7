//! From data to device pixels: a linear scale for numbers and ticks, a band scale for one bar
//! per category, and the plot area a chart's axes frame (the canvas minus its margin and the
//! room for tick labels). Pure, tested natively.

/// Maps `domain` linearly onto `range` (device pixels; a y range runs from bottom to top).
#[derive(Clone, Copy)]
pub(super) struct Linear {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Linear {
    /// The pixel for `v`.
    pub fn at(&self, v: f64) -> f64 {
        let span = self.domain.1 - self.domain.0;
        let t = if span.abs() < f64::EPSILON {
            0.0
        } else {
            (v - self.domain.0) / span
        };
        self.range.0 + t * (self.range.1 - self.range.0)
    }
}

/// `count` equal slots side by side over `range` (one per bar).
#[derive(Clone, Copy)]
pub(super) struct Bands {
    pub count: usize,
    pub range: (f64, f64),
}

impl Bands {
    pub fn width(&self) -> f64 {
        (self.range.1 - self.range.0) / self.count.max(1) as f64
    }

    /// The left edge of slot `i`.
    pub fn start(&self, i: usize) -> f64 {
        self.range.0 + self.width() * i as f64
    }

    pub fn center(&self, i: usize) -> f64 {
        self.start(i) + self.width() / 2.0
    }
}

/// The range of an axis for `values`: always including zero, with 8% headroom beyond the
/// extremes, at least one unit long.
pub(super) fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1e-9);
    let lo = if lo < 0.0 { lo - span * 0.08 } else { 0.0 };
    (lo, (hi + span * 0.08).max(lo + 1.0))
}

/// Where the charts' margins and label areas sit, in CSS pixels (multiplied by the scale).
pub(super) const MARGIN_CSS_PX: f64 = 8.0;
const X_LABELS_CSS_PX: f64 = 34.0;

/// The rectangle the data is drawn in, in device pixels: `left`/`right` are the x axis's ends,
/// `bottom`/`top` the y axis's.
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub(super) struct PlotArea {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl PlotArea {
    /// The plot area of a `width_px` × `height_px` canvas at `scale` device pixels per CSS
    /// pixel, leaving `y_labels_css_px` on the left for the y tick labels and description.
    pub fn inside(width_px: f64, height_px: f64, scale: f64, y_labels_css_px: f64) -> PlotArea {
        let margin = (MARGIN_CSS_PX * scale).round();
        let left = margin + (y_labels_css_px * scale).round();
        let bottom = height_px - margin - (X_LABELS_CSS_PX * scale).round();
        PlotArea {
            left,
            top: margin,
            right: (width_px - margin).max(left + 1.0),
            bottom: bottom.max(margin + 1.0),
        }
    }

    /// The x scale of this area for `domain`.
    pub fn x(&self, domain: (f64, f64)) -> Linear {
        Linear {
            domain,
            range: (self.left, self.right),
        }
    }

    /// The y scale of this area for `domain` (larger values higher up).
    pub fn y(&self, domain: (f64, f64)) -> Linear {
        Linear {
            domain,
            range: (self.bottom, self.top),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_maps_ends_to_ends_and_y_grows_upwards() {
        let area = PlotArea::inside(800.0, 300.0, 1.0, 40.0);
        assert_eq!(
            area,
            PlotArea {
                left: 48.0,
                top: 8.0,
                right: 792.0,
                bottom: 258.0
            }
        );
        let x = area.x((10.0, 20.0));
        assert_eq!((x.at(10.0), x.at(15.0), x.at(20.0)), (48.0, 420.0, 792.0));
        let y = area.y((0.0, 100.0));
        assert_eq!((y.at(0.0), y.at(100.0)), (258.0, 8.0));
    }

    #[test]
    fn the_layout_scales_with_the_device_pixel_ratio() {
        let one = PlotArea::inside(400.0, 200.0, 1.0, 54.0);
        let two = PlotArea::inside(800.0, 400.0, 2.0, 54.0);
        assert_eq!(
            (two.left, two.top, two.right, two.bottom),
            (
                one.left * 2.0,
                one.top * 2.0,
                one.right * 2.0,
                one.bottom * 2.0
            )
        );
    }

    #[test]
    fn a_tiny_canvas_still_has_an_area_and_a_flat_domain_maps_to_its_start() {
        let area = PlotArea::inside(10.0, 10.0, 1.0, 54.0);
        assert!(area.right > area.left && area.bottom > area.top);
        assert_eq!(area.x((3.0, 3.0)).at(3.0), area.left);
    }

    #[test]
    fn value_ranges_include_zero_with_headroom() {
        assert_eq!(value_range([50.0, 100.0].into_iter()), (0.0, 108.0));
        assert_eq!(value_range([-50.0, 50.0].into_iter()), (-58.0, 58.0));
        assert_eq!(value_range(std::iter::empty()), (0.0, 1.0));
        assert_eq!(value_range([0.2, f64::NAN].into_iter()), (0.0, 1.0));
    }

    #[test]
    fn bands_split_the_range_evenly() {
        let bands = Bands {
            count: 4,
            range: (0.0, 100.0),
        };
        assert_eq!(
            (bands.width(), bands.start(2), bands.center(3)),
            (25.0, 50.0, 87.5)
        );
        assert_eq!(
            Bands {
                count: 0,
                range: (0.0, 10.0)
            }
            .width(),
            10.0
        );
    }
}
