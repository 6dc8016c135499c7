//! The point-in-time join benchmark's data: one feature view of `feature_rows` rows over `keys`
//! integer keys and `entity_rows` entity rows over the same keys, generated from a seed, so the
//! native benchmark, the browser's and the Python peers (pandas `merge_asof`, Polars
//! `join_asof`, DuckDB's `ASOF LEFT JOIN`, which read [`PitBench::features_csv`] and
//! [`PitBench::entities_csv`]) all join the same rows.
//!
//! Feature rows come in random order (sorting is part of every join timed). Event times fall on
//! whole hours of a 30-day window, so a key's rows sometimes share an event time; most rows are
//! written 0, 15, 30 or 45 minutes after their event time (0: a tie of created and event time),
//! and one in ten is a late correction: the key and event time of an earlier row, written one to
//! three days later on a whole hour, so two corrections of one row can tie on created time too
//! and only `seq` (the row's position) breaks the tie. Entity times fall on quarter hours of the
//! same window, so a quarter of them equal some event time exactly (the join is inclusive).
//! The view's TTL is one day.
//!
//! Feature `f1` is a multiple of 1/256 below 256, exact in binary and decimal, so
//! [`PitChecksum`] (an integer) comes out the same in every engine.

use super::{at, US_PER_DAY, US_PER_HOUR};
use crate::historical::TrainingSet;
use crate::model::{
    Entity, EntityFrame, FeatureDef, FeatureRef, FeatureRepo, FeatureRow, FeatureView, ViewRows,
    ViewSource,
};
use crate::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use sim::rng::{Rng, Seed};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The benchmark's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PitShape {
    pub feature_rows: usize,
    pub entity_rows: usize,
    pub keys: u64,
}

/// The sizes: 1M feature rows, 100k entity rows, 10k keys.
pub const PIT_SHAPE: PitShape = PitShape {
    feature_rows: 1_000_000,
    entity_rows: 100_000,
    keys: 10_000,
};

/// The view's name, and its TTL.
pub const PIT_VIEW: &str = "bench_stats";
pub const PIT_TTL: DurationUs = DurationUs(US_PER_DAY);

/// Hours in the window event and entity times fall in.
const WINDOW_HOURS: u64 = 30 * 24;
/// One feature row in this many (per mille) is a late correction of an earlier row.
const CORRECTION_PERMILLE: u16 = 100;

/// The benchmark's definitions, source rows and entity rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PitBench {
    pub shape: PitShape,
    pub repo: FeatureRepo,
    /// The one view's rows, under [`PIT_VIEW`].
    pub sources: BTreeMap<String, ViewRows>,
    /// Columns `key`, `event_timestamp`.
    pub entities: EntityFrame,
    /// `bench_stats:f1`, `bench_stats:f2`.
    pub refs: Vec<FeatureRef>,
}

/// Generates the benchmark's data.
pub fn pit_bench(shape: PitShape, seed: Seed) -> PitBench {
    let rng = Rng::new(seed);
    let mut sources = BTreeMap::new();
    sources.insert(
        PIT_VIEW.to_string(),
        feature_rows(shape, rng.fork("bench/features")),
    );
    PitBench {
        shape,
        repo: repo(),
        sources,
        entities: entity_rows(shape, rng.fork("bench/entities")),
        refs: ["f1", "f2"]
            .iter()
            .map(|feature| FeatureRef {
                view: PIT_VIEW.to_string(),
                feature: feature.to_string(),
            })
            .collect(),
    }
}

fn repo() -> FeatureRepo {
    FeatureRepo {
        entities: vec![Entity {
            name: "item".to_string(),
            join_keys: vec!["key".to_string()],
        }],
        views: vec![FeatureView {
            name: PIT_VIEW.to_string(),
            entities: vec!["item".to_string()],
            ttl: Some(PIT_TTL),
            source: ViewSource {
                table: PIT_VIEW.to_string(),
                timestamp_field: "event_ts".to_string(),
                created_timestamp_column: Some("created_ts".to_string()),
            },
            features: ["f1", "f2"]
                .iter()
                .map(|name| FeatureDef {
                    name: name.to_string(),
                    dtype: Dtype::Float64,
                })
                .collect(),
        }],
        services: Vec::new(),
    }
}

/// An instant `hours` whole hours plus `quarters` quarter hours into the window.
fn window_time(hours: u64, quarters: u64) -> TimestampUs {
    at(hours as i64 * US_PER_HOUR + quarters as i64 * US_PER_HOUR / 4)
}

fn feature_rows(shape: PitShape, mut rng: Rng) -> ViewRows {
    let mut rows: Vec<FeatureRow> = Vec::with_capacity(shape.feature_rows);
    for seq in 0..shape.feature_rows {
        let (keys, event_ts, created_ts) = if seq > 0 && rng.chance_permille(CORRECTION_PERMILLE) {
            let earlier = &rows[rng.below(seq as u64) as usize];
            let event_ts = earlier.event_ts.expect("generated rows have event times");
            let late = DurationUs((24 + rng.below(48) as i64) * US_PER_HOUR);
            (earlier.keys.clone(), event_ts, event_ts.plus(late))
        } else {
            let key = FeatureValue::Int(rng.below(shape.keys) as i64);
            let event_ts = window_time(rng.below(WINDOW_HOURS), 0);
            let delay = DurationUs(rng.below(4) as i64 * US_PER_HOUR / 4);
            (KeyTuple(vec![key]), event_ts, event_ts.plus(delay))
        };
        let f1 = rng.below(1 << 16) as f64 / 256.0;
        let f2 = rng.below(1_000_000) as f64 / 1000.0;
        rows.push(FeatureRow {
            keys,
            event_ts: Some(event_ts),
            created_ts: Some(created_ts),
            seq: seq as u64,
            values: vec![FeatureValue::Float(f1), FeatureValue::Float(f2)],
        });
    }
    ViewRows::from(rows)
}

fn entity_rows(shape: PitShape, mut rng: Rng) -> EntityFrame {
    let rows = (0..shape.entity_rows)
        .map(|_| {
            let key = FeatureValue::Int(rng.below(shape.keys) as i64);
            let ts = window_time(0, rng.below(WINDOW_HOURS * 4));
            vec![key, FeatureValue::Timestamp(ts)]
        })
        .collect();
    EntityFrame {
        columns: vec!["key".to_string(), "event_timestamp".to_string()],
        rows,
        timestamp_column: 1,
    }
}

impl PitBench {
    /// The feature rows as CSV, in source order: `seq,key,event_ts,created_ts,f1,f2`, times in
    /// microseconds since the epoch.
    pub fn features_csv(&self) -> String {
        let rows = &self.sources[PIT_VIEW].rows;
        let mut out = String::with_capacity(rows.len() * 56);
        out.push_str("seq,key,event_ts,created_ts,f1,f2\n");
        for row in rows.iter() {
            let time = |ts: Option<TimestampUs>| ts.map_or(0, |ts| ts.0);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                row.seq,
                row.keys.0[0],
                time(row.event_ts),
                time(row.created_ts),
                row.values[0],
                row.values[1]
            );
        }
        out
    }

    /// The entity rows as CSV, in entity order: `rid,key,ts`, the time in microseconds.
    pub fn entities_csv(&self) -> String {
        let mut out = String::with_capacity(self.entities.rows.len() * 28);
        out.push_str("rid,key,ts\n");
        for (rid, row) in self.entities.rows.iter().enumerate() {
            let ts = match row[1] {
                FeatureValue::Timestamp(ts) => ts.0,
                _ => 0,
            };
            let _ = writeln!(out, "{rid},{},{ts}", row[0]);
        }
        out
    }
}

/// What a join of the benchmark's data produced, comparable across engines: how many entity
/// rows got `f1`, and the sum over them of `(entity row number + 1) * f1 * 256` (an integer,
/// since `f1` is a multiple of 1/256), so a different pick or a different row order shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PitChecksum {
    pub matched: u64,
    pub weighted: i64,
}

/// The checksum of a training set of the benchmark (column `f1` is the third).
pub fn pit_checksum(set: &TrainingSet) -> PitChecksum {
    let f1 = set
        .columns
        .iter()
        .position(|column| column.name == "f1")
        .unwrap_or(usize::MAX);
    let mut sum = PitChecksum {
        matched: 0,
        weighted: 0,
    };
    for (r, row) in set.rows.iter().enumerate() {
        if let Some(FeatureValue::Float(x)) = row.get(f1) {
            sum.matched += 1;
            sum.weighted += (r as i64 + 1) * (x * 256.0) as i64;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::historical::{get_historical_features, HistoricalOptions, NullReason, ViewMatch};

    const SMALL: PitShape = PitShape {
        feature_rows: 20_000,
        entity_rows: 2_000,
        keys: 200,
    };

    #[test]
    fn the_data_is_deterministic_and_has_the_ties_it_promises() {
        let bench = pit_bench(SMALL, Seed(1));
        assert_eq!(bench, pit_bench(SMALL, Seed(1)));
        let rows = &bench.sources[PIT_VIEW].rows;
        assert_eq!(rows.len(), SMALL.feature_rows);
        assert_eq!(bench.entities.rows.len(), SMALL.entity_rows);
        let created_equals_event = rows.iter().filter(|r| r.created_ts == r.event_ts).count();
        assert!(
            created_equals_event > rows.len() / 6,
            "{created_equals_event}"
        );
        let mut versions: Vec<_> = rows
            .iter()
            .map(|r| (r.keys.clone(), r.event_ts, r.created_ts))
            .collect();
        sim::sort::sort(&mut versions);
        let full_ties = versions.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(
            full_ties > 0,
            "some rows tie on key, event and created time"
        );
    }

    #[test]
    fn the_join_meets_every_case_and_the_checksum_sees_a_different_pick() {
        let bench = pit_bench(SMALL, Seed(2));
        let join = |created_cutoff| {
            let options = HistoricalOptions {
                created_cutoff,
                ..HistoricalOptions::default()
            };
            get_historical_features(
                &bench.repo,
                &bench.sources,
                &bench.entities,
                &bench.refs,
                options,
            )
            .expect("the benchmark's request is valid")
        };
        let plain = join(false);
        let reasons: Vec<NullReason> = plain
            .matches
            .iter()
            .filter_map(|m| match m[0] {
                ViewMatch::Missing(reason) => Some(reason),
                ViewMatch::Matched { .. } => None,
            })
            .collect();
        assert!(reasons.contains(&NullReason::NothingBefore));
        assert!(reasons.contains(&NullReason::ExpiredByTtl));
        let cutoff = join(true);
        assert!(cutoff
            .matches
            .iter()
            .any(|m| m[0] == ViewMatch::Missing(NullReason::NotKnownYet)));
        let (a, b) = (pit_checksum(&plain), pit_checksum(&cutoff));
        assert!(a.matched > SMALL.entity_rows as u64 / 2);
        assert_ne!(a, b, "the cutoff changes some picks");
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_row() {
        let bench = pit_bench(SMALL, Seed(3));
        let features = bench.features_csv();
        assert!(features.starts_with("seq,key,event_ts,created_ts,f1,f2\n0,"));
        assert_eq!(features.lines().count(), SMALL.feature_rows + 1);
        assert_eq!(bench.entities_csv().lines().count(), SMALL.entity_rows + 1);
    }
}
