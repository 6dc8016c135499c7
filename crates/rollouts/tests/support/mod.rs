//! A scripted metric source for controller tests: every query answers with the value scheduled
//! for that instant, so analysis outcomes are decided by the test, not by a simulated world.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use rollouts::analysis::{MetricSource, Provider, QueryResult};
use rollouts::value::TimeMs;

/// From each listed instant on (until the next), every query returns this answer.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub schedule: Vec<(TimeMs, QueryResult)>,
}

impl Scripted {
    /// Always the same value.
    pub fn constant(value: f64) -> Scripted {
        Scripted {
            schedule: vec![(TimeMs(0), QueryResult::Vector(vec![value]))],
        }
    }

    /// `before` until `at`, then `after`.
    pub fn switch_at(before: f64, at: TimeMs, after: f64) -> Scripted {
        Scripted {
            schedule: vec![
                (TimeMs(0), QueryResult::Vector(vec![before])),
                (at, QueryResult::Vector(vec![after])),
            ],
        }
    }
}

impl MetricSource for Scripted {
    fn query(&self, _provider: &Provider, now: TimeMs) -> QueryResult {
        self.schedule
            .iter()
            .rev()
            .find(|(from, _)| *from <= now)
            .map_or(QueryResult::Vector(Vec::new()), |(_, answer)| {
                answer.clone()
            })
    }
}

pub fn secs(s: u64) -> TimeMs {
    TimeMs(s * 1000)
}
