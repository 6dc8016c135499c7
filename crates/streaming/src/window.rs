//! Window assignment: which windows an event time falls in.
//!
//! Tumbling and hopping windows are half-open `[start, end)` and aligned to the Unix epoch plus an
//! offset, as Flink's `TumblingEventTimeWindows` / `SlidingEventTimeWindows` and Spark's `window()`
//! align them: `start = ts - floorMod(ts - offset, size)`. The floor modulo keeps negative times in
//! the window below them (`-5 min` with 10-minute windows starts at `-10 min`, as DuckDB's
//! `time_bucket` with an epoch origin does); Flink's old `getWindowStartWithOffset` used Java's `%`
//! and got that wrong. A hopping row belongs to `ceil(size / slide)` windows. A session row starts
//! the proto-window `[ts, ts + gap)`, which the aggregate merges with the key's overlapping
//! sessions. Arithmetic saturates at the ends of time, so a row near `i64::MAX` gets a window that
//! ends at `TimeUs::MAX` instead of wrapping around.

use crate::value::{DurationUs, StreamError, TimeUs};

/// The most windows one hopping row may fall in (`size / slide`): more would copy each row into
/// that many accumulators, which is what slicing engines exist to avoid.
pub const MAX_WINDOWS_PER_ROW: i64 = 1_000;

/// How rows are grouped in time. Tumbling and hopping windows are aligned to the Unix epoch
/// (plus `offset`); a session grows while rows of one key arrive less than `gap` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSpec {
    Tumble {
        size: DurationUs,
        offset: DurationUs,
    },
    Hop {
        slide: DurationUs,
        size: DurationUs,
        offset: DurationUs,
    },
    Session {
        gap: DurationUs,
    },
}

/// A half-open window `[start, end)`. Ordered by (end, start): the order windows fire in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: TimeUs,
    pub end: TimeUs,
}

impl Ord for Window {
    fn cmp(&self, other: &Window) -> std::cmp::Ordering {
        (self.end, self.start).cmp(&(other.end, other.start))
    }
}

impl PartialOrd for Window {
    fn partial_cmp(&self, other: &Window) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Window {
    /// Whether `ts` is inside `[start, end)`.
    pub fn contains(&self, ts: TimeUs) -> bool {
        self.start <= ts && ts < self.end
    }

    /// The last instant inside the window (`end - 1`), Flink's `maxTimestamp` and the SQL
    /// engines' `window_time`.
    pub fn max_timestamp(&self) -> TimeUs {
        TimeUs(self.end.0.saturating_sub(1))
    }
}

fn clamp_to_time(t: i128) -> TimeUs {
    TimeUs(t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// The start of the aligned bucket of length `step` (shifted by `offset`) that holds `ts`:
/// `ts - floorMod(ts - offset, step)`, exact in 128 bits.
fn aligned_start(ts: TimeUs, step: DurationUs, offset: DurationUs) -> i128 {
    let ts = i128::from(ts.0);
    ts - (ts - i128::from(offset.0)).rem_euclid(i128::from(step.0))
}

fn window_from(start: i128, size: DurationUs) -> Window {
    Window {
        start: clamp_to_time(start),
        end: clamp_to_time(start + i128::from(size.0)),
    }
}

/// The windows [`WindowSpec::assign`] gives one event time, oldest first, as an iterator.
#[derive(Clone, Debug)]
pub struct AssignedWindows {
    /// Start of the next window to yield.
    next_start: i128,
    slide: i128,
    size: DurationUs,
    remaining: i64,
}

impl Iterator for AssignedWindows {
    type Item = Window;

    fn next(&mut self) -> Option<Window> {
        if self.remaining <= 0 {
            return None;
        }
        let window = window_from(self.next_start, self.size);
        self.next_start += self.slide;
        self.remaining -= 1;
        Some(window)
    }
}

fn positive(what: &str, value: DurationUs, hint: &str) -> Result<(), StreamError> {
    if value.0 > 0 {
        Ok(())
    } else {
        Err(StreamError::new(
            format!("the window {what} must be positive, not {} µs", value.0),
            hint,
        ))
    }
}

fn offset_within(offset: DurationUs, step: DurationUs, step_name: &str) -> Result<(), StreamError> {
    if offset.0.unsigned_abs() < step.0.unsigned_abs() {
        Ok(())
    } else {
        Err(StreamError::new(
            format!(
                "the window offset ({} µs) must be smaller than the {step_name} ({} µs)",
                offset.0, step.0
            ),
            format!(
                "an offset only shifts the epoch alignment, so it is taken modulo the {step_name}; \
                 for days in UTC+8 use an offset of -8 hours"
            ),
        ))
    }
}

impl WindowSpec {
    /// Refuses sizes, slides and gaps that are not positive, and offsets not smaller than the size.
    pub fn validate(&self) -> Result<(), StreamError> {
        match *self {
            WindowSpec::Tumble { size, offset } => {
                positive(
                    "size",
                    size,
                    "a tumbling window needs a size such as 10 seconds",
                )?;
                offset_within(offset, size, "size")
            }
            WindowSpec::Hop {
                slide,
                size,
                offset,
            } => {
                positive(
                    "size",
                    size,
                    "a hopping window needs a size such as 10 seconds",
                )?;
                positive(
                    "slide",
                    slide,
                    "a hopping window moves by a slide such as 5 seconds",
                )?;
                if slide > size {
                    return Err(StreamError::new(
                        format!(
                            "the slide ({} µs) is larger than the window size ({} µs)",
                            slide.0, size.0
                        ),
                        "rows between two windows would belong to none; use a slide no larger \
                         than the size (equal to it is a tumbling window)",
                    ));
                }
                if size.0 / slide.0 > MAX_WINDOWS_PER_ROW {
                    return Err(StreamError::new(
                        format!(
                            "each row would fall in {} hopping windows (size / slide)",
                            size.0 / slide.0
                        ),
                        format!(
                            "keep size / slide at most {MAX_WINDOWS_PER_ROW}: use a larger slide"
                        ),
                    ));
                }
                offset_within(offset, slide, "slide")
            }
            WindowSpec::Session { gap } => positive(
                "gap",
                gap,
                "a session window needs a gap such as 30 seconds of inactivity",
            ),
        }
    }

    /// The windows of a tumbling or hopping spec that contain `ts` (oldest first); for a session,
    /// the proto-window `[ts, ts + gap)`.
    pub fn assign(&self, ts: TimeUs) -> Vec<Window> {
        self.windows_of(ts).collect()
    }

    /// [`WindowSpec::assign`] without allocating: the aggregate's per-row path.
    pub fn windows_of(&self, ts: TimeUs) -> AssignedWindows {
        match *self {
            WindowSpec::Tumble { size, offset } => AssignedWindows {
                next_start: aligned_start(ts, size, offset),
                slide: i128::from(size.0),
                size,
                remaining: 1,
            },
            WindowSpec::Hop {
                slide,
                size,
                offset,
            } => {
                let last_start = aligned_start(ts, slide, offset);
                let slide_us = i128::from(slide.0);
                // Starts `last - j*slide` with `start > ts - size`, i.e. `j*slide < last - ts + size`.
                let span = last_start - i128::from(ts.0) + i128::from(size.0);
                let count = (span + slide_us - 1) / slide_us;
                AssignedWindows {
                    next_start: last_start - (count - 1) * slide_us,
                    slide: slide_us,
                    size,
                    remaining: count as i64,
                }
            }
            WindowSpec::Session { gap } => AssignedWindows {
                next_start: i128::from(ts.0),
                slide: i128::from(gap.0),
                size: gap,
                remaining: 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tumble(size: i64) -> WindowSpec {
        WindowSpec::Tumble {
            size: DurationUs(size),
            offset: DurationUs(0),
        }
    }

    fn w(start: i64, end: i64) -> Window {
        Window {
            start: TimeUs(start),
            end: TimeUs(end),
        }
    }

    #[test]
    fn tumbling_windows_align_to_the_epoch_with_floor_modulo() {
        assert_eq!(tumble(10).assign(TimeUs(0)), vec![w(0, 10)]);
        assert_eq!(tumble(10).assign(TimeUs(9)), vec![w(0, 10)]);
        assert_eq!(tumble(10).assign(TimeUs(10)), vec![w(10, 20)]);
        assert_eq!(tumble(10).assign(TimeUs(-5)), vec![w(-10, 0)]);
        assert_eq!(tumble(10).assign(TimeUs(-10)), vec![w(-10, 0)]);
        assert_eq!(tumble(10).assign(TimeUs(-11)), vec![w(-20, -10)]);
    }

    #[test]
    fn offsets_shift_the_alignment() {
        let spec = WindowSpec::Tumble {
            size: DurationUs(10),
            offset: DurationUs(-3),
        };
        assert_eq!(spec.assign(TimeUs(7)), vec![w(7, 17)]);
        assert_eq!(spec.assign(TimeUs(6)), vec![w(-3, 7)]);
    }

    #[test]
    fn hopping_rows_fall_in_size_over_slide_windows_oldest_first() {
        let spec = WindowSpec::Hop {
            slide: DurationUs(5),
            size: DurationUs(10),
            offset: DurationUs(0),
        };
        assert_eq!(spec.assign(TimeUs(12)), vec![w(5, 15), w(10, 20)]);
        assert_eq!(spec.assign(TimeUs(10)), vec![w(5, 15), w(10, 20)]);
        assert_eq!(spec.assign(TimeUs(-1)), vec![w(-10, 0), w(-5, 5)]);
        let uneven = WindowSpec::Hop {
            slide: DurationUs(4),
            size: DurationUs(10),
            offset: DurationUs(0),
        };
        assert_eq!(uneven.assign(TimeUs(9)), vec![w(0, 10), w(4, 14), w(8, 18)]);
        assert_eq!(uneven.assign(TimeUs(11)), vec![w(4, 14), w(8, 18)]);
    }

    #[test]
    fn windows_near_the_end_of_time_saturate() {
        let spec = tumble(10);
        let last = spec.assign(TimeUs::MAX);
        assert_eq!(last[0].end, TimeUs::MAX);
        let first = spec.assign(TimeUs::MIN);
        assert_eq!(first[0].start, TimeUs::MIN);
        assert!(first[0].contains(TimeUs::MIN));
    }

    #[test]
    fn impossible_specs_are_refused_with_a_hint() {
        assert!(tumble(0).validate().is_err());
        assert!(WindowSpec::Tumble {
            size: DurationUs(10),
            offset: DurationUs(10)
        }
        .validate()
        .is_err());
        assert!(WindowSpec::Hop {
            slide: DurationUs(20),
            size: DurationUs(10),
            offset: DurationUs(0)
        }
        .validate()
        .is_err());
        assert!(WindowSpec::Hop {
            slide: DurationUs(1),
            size: DurationUs(1_000_000),
            offset: DurationUs(0)
        }
        .validate()
        .is_err());
        let err = WindowSpec::Session { gap: DurationUs(0) }
            .validate()
            .unwrap_err();
        assert!(!err.hint.is_empty());
        assert!(tumble(10).validate().is_ok());
    }
}
