//! Where an axis puts its tick labels and how it prints them: "nice" round steps (1, 2 or 5
//! times a power of ten, the smallest that gives at most the asked number of ticks, as
//! plotters and most chart libraries choose them), and short number and text labels. Pure
//! functions, tested natively.

/// The multiples of a nice step inside `[lo, hi]`: the smallest step of 1, 2 or 5 times a power
/// of ten that gives at most `max_count` ticks, or no step below `min_step` (1 for an axis of
/// whole numbers). Values are computed as whole multiples divided by an exact power of ten, so
/// they print without float noise (0.3, not 0.30000000000000004).
pub(super) fn nice_ticks(lo: f64, hi: f64, max_count: usize, min_step: f64) -> Vec<f64> {
    if max_count == 0 || !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if (hi - lo).abs() < f64::EPSILON {
        return vec![lo];
    }
    // Start finer than any step that could fit, then coarsen.
    let mut exponent =
        (hi - lo).log10().floor() as i32 - (max_count as f64).log10().ceil() as i32 - 1;
    loop {
        for mantissa in [1.0, 2.0, 5.0] {
            let step = NiceStep { mantissa, exponent };
            if step.value() < min_step {
                continue;
            }
            let (first, last) = step.multiples_within(lo, hi);
            if last < first {
                return Vec::new();
            }
            if last - first < max_count as f64 {
                return (0..=(last - first) as usize)
                    .map(|k| step.times(first + k as f64))
                    .collect();
            }
        }
        exponent += 1;
    }
}

/// Fine grid lines are at least this many CSS pixels apart: closer, they read as a grey wash.
const FINE_GRID_MIN_GAP_CSS_PX: f64 = 5.0;

/// How many fine grid lines an axis `axis_css_px` long may have: ten per bold tick (plotters'
/// "light lines"), fewer when they would be closer than [`FINE_GRID_MIN_GAP_CSS_PX`].
pub(super) fn fine_tick_count(max_bold: usize, axis_css_px: f64) -> usize {
    (max_bold * 10).min((axis_css_px / FINE_GRID_MIN_GAP_CSS_PX).max(0.0) as usize)
}

/// The ticks between the bold ones: the nice ticks for at most `max_count`, without those that
/// are bold.
pub(super) fn light_ticks(
    lo: f64,
    hi: f64,
    bold: &[f64],
    max_count: usize,
    min_step: f64,
) -> Vec<f64> {
    let close = |a: f64, b: f64| (a - b).abs() <= (hi - lo).abs() * 1e-9;
    nice_ticks(lo, hi, max_count, min_step)
        .into_iter()
        .filter(|v| !bold.iter().any(|b| close(*b, *v)))
        .collect()
}

/// A step of `mantissa` × 10^`exponent`.
#[derive(Clone, Copy)]
struct NiceStep {
    mantissa: f64,
    exponent: i32,
}

impl NiceStep {
    fn value(self) -> f64 {
        self.times(1.0)
    }

    /// `k` (a whole number) steps, exact when the result is a short decimal.
    fn times(self, k: f64) -> f64 {
        let units = k * self.mantissa;
        if self.exponent >= 0 {
            units * 10f64.powi(self.exponent)
        } else {
            units / 10f64.powi(-self.exponent)
        }
    }

    /// The first and last whole `k` with `k` steps inside `[lo, hi]`.
    fn multiples_within(self, lo: f64, hi: f64) -> (f64, f64) {
        let step = self.value();
        ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor())
    }
}

/// A number as a tick label: scientific for the very large and very small, whole numbers
/// without decimals, others with two.
pub(super) fn axis_number(v: f64) -> String {
    if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) {
        format!("{v:.2e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `label` cut to `chars` characters, the last one an ellipsis when it was longer.
pub(super) fn shorten(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(
            nice_ticks(0.0, 200.0, 11, 1.0),
            (0..=10).map(|k| f64::from(k) * 20.0).collect::<Vec<_>>()
        );
        assert_eq!(
            nice_ticks(0.0, 30.0, 11, 1.0),
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
        );
        assert_eq!(
            nice_ticks(0.0, 1.0, 11, 0.0),
            (0..=10).map(|k| f64::from(k) / 10.0).collect::<Vec<_>>()
        );
        assert_eq!(nice_ticks(13.0, 87.0, 5, 1.0), vec![20.0, 40.0, 60.0, 80.0]);
    }

    #[test]
    fn never_more_ticks_than_asked_and_all_inside() {
        for (lo, hi) in [
            (0.0, 7.3),
            (-42.0, 1337.0),
            (0.001, 0.0093),
            (19700.0, 19730.0),
            (5.0, 5.5),
        ] {
            for max in 2..12 {
                let ticks = nice_ticks(lo, hi, max, 0.0);
                assert!(
                    !ticks.is_empty() && ticks.len() <= max,
                    "{lo}..{hi} at most {max}: {ticks:?}"
                );
                assert!(
                    ticks.iter().all(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9),
                    "{ticks:?}"
                );
            }
        }
    }

    #[test]
    fn whole_number_axes_never_step_below_one() {
        assert_eq!(nice_ticks(0.0, 2.0, 6, 1.0), vec![0.0, 1.0, 2.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 6, 1.0), vec![0.0, 1.0]);
    }

    #[test]
    fn tick_values_print_without_float_noise() {
        let labels: Vec<String> = nice_ticks(0.0, 0.7, 8, 0.0)
            .into_iter()
            .map(axis_number)
            .collect();
        assert_eq!(
            labels,
            ["0", "0.10", "0.20", "0.30", "0.40", "0.50", "0.60", "0.70"]
        );
    }

    #[test]
    fn a_flat_or_empty_range_has_one_tick_or_none() {
        assert_eq!(nice_ticks(3.0, 3.0, 5, 0.0), vec![3.0]);
        assert!(nice_ticks(0.0, 1.0, 0, 0.0).is_empty());
        assert!(nice_ticks(0.0, f64::NAN, 5, 0.0).is_empty());
    }

    #[test]
    fn light_ticks_fill_in_between_the_bold_ones() {
        let bold = nice_ticks(0.0, 30.0, 11, 1.0);
        let light = light_ticks(0.0, 30.0, &bold, 110, 1.0);
        assert_eq!(light.len(), 31 - bold.len());
        assert!(light.iter().all(|v| v.fract() == 0.0 && v % 5.0 != 0.0));
    }

    #[test]
    fn fine_grid_lines_stay_apart_on_small_charts() {
        assert_eq!(fine_tick_count(11, 1000.0), 110);
        assert_eq!(fine_tick_count(11, 110.0), 22);
        // A phone-sized lag chart, 0 to 125 records over 110 CSS px: lines every 10, not every 1.
        let bold = nice_ticks(0.0, 125.0, 11, 1.0);
        let fine = light_ticks(0.0, 125.0, &bold, fine_tick_count(11, 110.0), 1.0);
        assert!(fine.iter().all(|v| v % 10.0 == 0.0), "{fine:?}");
    }

    #[test]
    fn labels() {
        assert_eq!(axis_number(12.0), "12");
        assert_eq!(axis_number(0.25), "0.25");
        assert_eq!(axis_number(2_500_000.0), "2.50e6");
        assert_eq!(shorten("Seattle", 16), "Seattle");
        assert_eq!(shorten("a very long city name", 6), "a ver…");
    }
}
