//! Deterministic event worlds for the streaming lab, its lessons and its benchmark.
//!
//! A real stream is disordered by its transport: a phone that was offline uploads an hour of
//! clicks at once, a producer retry writes a record twice, one Kafka partition goes quiet and holds
//! the job's watermark back (FLINK-5479). The generators here make those effects happen on
//! purpose, from a seed, so a lesson's late row or idle partition is there by construction:
//!
//! - [`clicks::ClickStream`]: page views and checkouts of N users over P partitions, pulled one
//!   tick at a time with [`clicks::ClickStream::events_between`];
//! - [`recommender::RecommenderLog`]: a recommender's exposures, clicks and plays per
//!   (request_id, item), and the serving system's feature callbacks, some repeated, for the
//!   real-time samples pipeline ([`crate::samples`]);
//! - [`orders::bronze_orders`]: raw order payloads, some defective or duplicated, for the
//!   medallion pipeline's bronze table ([`crate::medallion`]);
//! - [`clicks::bench_events`]: the windowed-aggregation benchmark's input.
//!
//! Every generator forks its own random streams from the caller's [`sim::rng::Rng`] by label, so
//! adding a draw in one never shifts another, and uses integer arithmetic only, so a seed gives
//! the same events natively and in the browser.

pub mod clicks;
pub mod orders;
pub mod recommender;

use crate::value::{DurationUs, StreamError};
use sim::rng::Rng;

/// How far a row's arrival (processing time) trails its event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disorder {
    /// Every row arrives at its event time: each partition is in event-time order.
    None,
    /// Each row arrives up to `max` after its event time, uniformly: the disorder a watermark delay
    /// of `max` covers exactly.
    Bounded { max: DurationUs },
    /// Most rows arrive up to `typical` late; `late_permille` of them (a phone back online) arrive
    /// between `typical` and `late_max` late, beyond any reasonable watermark delay.
    HeavyTail {
        typical: DurationUs,
        late_permille: u16,
        late_max: DurationUs,
    },
}

impl Disorder {
    /// Checks the bounds are durations a generator can draw from.
    pub fn validate(&self) -> Result<(), StreamError> {
        match *self {
            Disorder::None => Ok(()),
            Disorder::Bounded { max } => non_negative("the disorder bound", max),
            Disorder::HeavyTail {
                typical,
                late_permille,
                late_max,
            } => {
                non_negative("the typical delay", typical)?;
                permille("the share of very late rows", late_permille)?;
                if late_max < typical {
                    return Err(StreamError::new(
                        "the very-late delay is shorter than the typical delay",
                        "make late_max at least the typical delay",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Draws one row's arrival delay.
    pub fn draw(&self, rng: &mut Rng) -> DurationUs {
        match *self {
            Disorder::None => DurationUs(0),
            Disorder::Bounded { max } => uniform_up_to(rng, max),
            Disorder::HeavyTail {
                typical,
                late_permille,
                late_max,
            } => {
                if rng.chance_permille(late_permille) {
                    DurationUs(typical.0 + uniform_up_to(rng, DurationUs(late_max.0 - typical.0)).0)
                } else {
                    uniform_up_to(rng, typical)
                }
            }
        }
    }
}

/// A duration drawn uniformly from `0..=max` (0 when `max` is not positive).
pub(crate) fn uniform_up_to(rng: &mut Rng, max: DurationUs) -> DurationUs {
    if max.0 <= 0 {
        return DurationUs(0);
    }
    DurationUs(rng.below(max.0 as u64 + 1) as i64)
}

/// Refuses a negative duration.
pub(crate) fn non_negative(what: &str, duration: DurationUs) -> Result<(), StreamError> {
    if duration.0 < 0 {
        return Err(StreamError::new(
            format!("{what} is negative ({} µs)", duration.0),
            "durations are zero or more",
        ));
    }
    Ok(())
}

/// Refuses a per-mille chance above 1000.
pub(crate) fn permille(what: &str, value: u16) -> Result<(), StreamError> {
    if value > 1000 {
        return Err(StreamError::new(
            format!("{what} is {value}‰, above 1000‰"),
            "a chance per mille is between 0 and 1000",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn bounded_disorder_stays_within_its_bound_and_reaches_it() {
        let mut rng = Rng::new(Seed(3));
        let disorder = Disorder::Bounded {
            max: DurationUs(10),
        };
        let delays: Vec<i64> = (0..2000).map(|_| disorder.draw(&mut rng).0).collect();
        assert!(delays.iter().all(|d| (0..=10).contains(d)));
        assert!(delays.contains(&0) && delays.contains(&10));
    }

    #[test]
    fn heavy_tail_sends_a_few_rows_very_late() {
        let mut rng = Rng::new(Seed(4));
        let disorder = Disorder::HeavyTail {
            typical: DurationUs(100),
            late_permille: 20,
            late_max: DurationUs(100_000),
        };
        let late = (0..10_000)
            .filter(|_| disorder.draw(&mut rng).0 > 100)
            .count();
        assert!((100..=300).contains(&late), "{late} very late rows");
    }

    #[test]
    fn impossible_disorders_are_refused_with_a_hint() {
        let error = Disorder::HeavyTail {
            typical: DurationUs(10),
            late_permille: 5,
            late_max: DurationUs(5),
        }
        .validate()
        .unwrap_err();
        assert!(error.message.contains("shorter"), "{error}");
        assert!(Disorder::Bounded {
            max: DurationUs(-1)
        }
        .validate()
        .is_err());
        let too_likely = Disorder::HeavyTail {
            typical: DurationUs(1),
            late_permille: 1001,
            late_max: DurationUs(2),
        };
        assert!(too_likely.validate().unwrap_err().hint.contains("1000"));
    }
}
