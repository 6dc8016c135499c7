//! The lab's feature-store data, generated from a seed: typed definitions, source rows and
//! entity rows, small enough for the browser (a few thousand rows per table, generated in
//! milliseconds) and built so each lesson's effect is there by construction, not by luck.
//!
//! - [`rides::rides`]: Feast's demo world. Drivers (`driver_hourly_stats`: `conv_rate`,
//!   `acc_rate`, `avg_daily_trips`, with late corrections), customers (`customer_daily_profile`,
//!   a view with a different TTL), and labelled ride requests (`ride_labels`) whose label feeds
//!   the driver's later stats, so a naive latest-value join leaks it.
//! - [`spam::spam_comments`]: a spam filter's per-user counters, updated every minute, next to a
//!   user embedding recomputed every two days, and labelled comments whose spam label follows
//!   a recent burst of comments (which the counters see and the stale embedding cannot).
//!
//! Each dataset is a [`FeatureSample`]; [`FeatureSample::tables`] lists its tables (view
//! sources and entity rows) with typed columns, for the lab to register as SQL tables. Every
//! table has its own random stream (forked from the seed by a label), and only exact arithmetic
//! is used (`+`, `*`, `/`, `sqrt`, and the trainer's portable exponential), so a seed gives the
//! same rows natively and in the browser.

pub mod bench;
pub mod rides;
pub mod spam;

use crate::model::{EntityFrame, FeatureRepo, FeatureRow, ViewRows};
use crate::value::{Dtype, FeatureValue, KeyTuple, TimestampUs, US_PER_SECOND};
use sim::rng::{Rng, Seed};
use std::collections::BTreeMap;

/// One generated dataset: definitions, each view's source rows, and named entity frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureSample {
    pub repo: FeatureRepo,
    /// Source rows by view name.
    pub sources: BTreeMap<String, ViewRows>,
    /// Entity rows by table name (`ride_labels`, `comments`).
    pub entities: BTreeMap<String, EntityFrame>,
}

/// A table as the lab registers it: name, typed columns and rows of values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleTable {
    pub name: String,
    pub columns: Vec<(String, Dtype)>,
    pub rows: Vec<Vec<FeatureValue>>,
}

impl FeatureSample {
    /// Every table of the dataset: each view's source (named after `source.table`: join keys,
    /// event time, created time if any, then the features, in ingestion order), then each entity
    /// frame.
    pub fn tables(&self) -> Vec<SampleTable> {
        sample_tables(&self.repo, &self.sources, &self.entities)
    }
}

/// Every view's source (named after `source.table`: join keys, event time, created time if any,
/// then the features, in ingestion order), then every entity frame, as tables.
fn sample_tables(
    repo: &FeatureRepo,
    sources: &BTreeMap<String, ViewRows>,
    entities: &BTreeMap<String, EntityFrame>,
) -> Vec<SampleTable> {
    let mut tables: Vec<SampleTable> = repo
        .views
        .iter()
        .filter_map(|view| {
            let rows = sources.get(&view.name)?;
            Some(source_table(repo, view, rows))
        })
        .collect();
    tables.extend(entities.iter().map(|(name, frame)| {
        SampleTable {
            name: name.clone(),
            columns: frame
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| (column.clone(), column_dtype(&frame.rows, i)))
                .collect(),
            rows: frame.rows.clone(),
        }
    }));
    tables
}

/// `view:name` for each of `names`: a feature service's references to one view.
fn feature_refs(view: &str, names: &[&str]) -> Vec<crate::model::FeatureRef> {
    names
        .iter()
        .map(|feature| crate::model::FeatureRef {
            view: view.to_string(),
            feature: feature.to_string(),
        })
        .collect()
}

/// A view's source rows as a table.
fn source_table(
    repo: &FeatureRepo,
    view: &crate::model::FeatureView,
    rows: &ViewRows,
) -> SampleTable {
    let join_keys: Vec<String> = view
        .entities
        .iter()
        .filter_map(|name| repo.entities.iter().find(|e| &e.name == name))
        .flat_map(|entity| entity.join_keys.iter().cloned())
        .collect();
    let created = view.source.created_timestamp_column.as_ref();
    let table_rows: Vec<Vec<FeatureValue>> = rows
        .rows
        .iter()
        .map(|row| {
            let mut values = row.keys.0.clone();
            values.push(
                row.event_ts
                    .map_or(FeatureValue::Null, FeatureValue::Timestamp),
            );
            if created.is_some() {
                values.push(
                    row.created_ts
                        .map_or(FeatureValue::Null, FeatureValue::Timestamp),
                );
            }
            values.extend(row.values.iter().cloned());
            values
        })
        .collect();
    let mut columns: Vec<(String, Dtype)> = join_keys
        .iter()
        .enumerate()
        .map(|(i, key)| (key.clone(), column_dtype(&table_rows, i)))
        .collect();
    columns.push((view.source.timestamp_field.clone(), Dtype::UnixTimestamp));
    if let Some(created) = created {
        columns.push((created.clone(), Dtype::UnixTimestamp));
    }
    columns.extend(
        view.features
            .iter()
            .map(|feature| (feature.name.clone(), feature.dtype)),
    );
    SampleTable {
        name: view.source.table.clone(),
        columns,
        rows: table_rows,
    }
}

/// The type of column `i`: its first non-NULL value's (the generators never mix types);
/// `Int64` for a column of NULLs.
fn column_dtype(rows: &[Vec<FeatureValue>], i: usize) -> Dtype {
    rows.iter()
        .filter_map(|row| row.get(i).and_then(FeatureValue::dtype))
        .next()
        .unwrap_or(Dtype::Int64)
}

/// The seed the lab's feature samples are generated from (the SQL sample tables' seed).
pub const SAMPLE_SEED: Seed = Seed(20_240_601);

/// 2024-03-01T00:00:00Z, where every sample's clock starts.
pub const START: TimestampUs = TimestampUs(1_709_251_200 * US_PER_SECOND);

/// Microseconds in a minute, an hour, a day.
pub const US_PER_MINUTE: i64 = 60 * US_PER_SECOND;
pub const US_PER_HOUR: i64 = 60 * US_PER_MINUTE;
pub const US_PER_DAY: i64 = 24 * US_PER_HOUR;

/// The instant `offset_us` after [`START`].
fn at(offset_us: i64) -> TimestampUs {
    TimestampUs(START.0 + offset_us)
}

/// A labelled random stream for one table, with the draws the generators need.
struct Draw {
    rng: Rng,
}

impl Draw {
    /// The stream for `label`, forked from `seed`.
    fn new(seed: Seed, label: &str) -> Draw {
        Draw {
            rng: Rng::new(seed).fork(&format!("features/samples/{label}")),
        }
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform integer in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.rng.below((hi - lo) as u64 + 1) as i64
    }

    /// An approximately standard normal draw: the sum of twelve uniforms, minus six (exact
    /// arithmetic only; the tails stop at 6, which the generators never need).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// `x` rounded to `places` decimals (0 to 4; for readable tables; exact arithmetic: the scale
/// is a literal, not a computed power).
fn round_to(x: f64, places: usize) -> f64 {
    const SCALES: [f64; 5] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0];
    let scale = SCALES[places.min(SCALES.len() - 1)];
    (x * scale).round() / scale
}

/// A source row keyed by one integer id, with its event and created times (offsets from
/// [`START`]); `seq` is set by [`in_ingestion_order`].
fn keyed_row(key: i64, event_us: i64, created_us: i64, values: Vec<FeatureValue>) -> FeatureRow {
    FeatureRow {
        keys: KeyTuple(vec![FeatureValue::Int(key)]),
        event_ts: Some(at(event_us)),
        created_ts: Some(at(created_us)),
        seq: 0,
        values,
    }
}

/// Sorts rows by created time then key (the order a store ingests them) and numbers them.
fn in_ingestion_order(mut rows: Vec<FeatureRow>) -> ViewRows {
    sim::sort::sort_by(&mut rows, |a, b| {
        a.created_ts
            .cmp(&b.created_ts)
            .then_with(|| a.keys.cmp(&b.keys))
            .then_with(|| a.event_ts.cmp(&b.event_ts))
    });
    for (seq, row) in rows.iter_mut().enumerate() {
        row.seq = seq as u64;
    }
    ViewRows::from(rows)
}

#[cfg(test)]
mod tests;

/// How a sample's entity rows are judged: the label column, and where "later data" starts (rows
/// before it train a model, rows from it on test it as serving would).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledFrame {
    pub label_column: String,
    pub later_data_from: TimestampUs,
}

/// Every sample dataset in one repository: the feature store the lab opens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleWorld {
    pub repo: FeatureRepo,
    /// Source rows by view name, shared with every store opened on the world.
    pub sources: std::rc::Rc<BTreeMap<String, ViewRows>>,
    /// Entity rows by name (`ride_labels`, `comments`).
    pub frames: BTreeMap<String, EntityFrame>,
    /// The label and split of each entity frame.
    pub labels: BTreeMap<String, LabelledFrame>,
    /// The entity rows and features the lab starts with.
    pub default_frame: String,
    pub default_features: Vec<crate::model::FeatureRef>,
}

impl SampleWorld {
    /// The rides and the spam comments of [`SAMPLE_SEED`], in one repository.
    pub fn generate() -> SampleWorld {
        let datasets = [
            (rides::rides(SAMPLE_SEED), "label", rides::later_data_from()),
            (
                spam::spam_comments(SAMPLE_SEED),
                "is_spam",
                spam::later_data_from(),
            ),
        ];
        let mut world = SampleWorld {
            repo: FeatureRepo::default(),
            sources: std::rc::Rc::new(BTreeMap::new()),
            frames: BTreeMap::new(),
            labels: BTreeMap::new(),
            default_frame: "ride_labels".to_string(),
            default_features: Vec::new(),
        };
        for (sample, label_column, later_data_from) in datasets {
            world.repo.entities.extend(sample.repo.entities);
            world.repo.views.extend(sample.repo.views);
            world.repo.services.extend(sample.repo.services);
            std::rc::Rc::make_mut(&mut world.sources).extend(sample.sources);
            for (name, frame) in sample.entities {
                let label = LabelledFrame {
                    label_column: label_column.to_string(),
                    later_data_from,
                };
                world.labels.insert(name.clone(), label);
                world.frames.insert(name, frame);
            }
        }
        world.default_features = world
            .repo
            .services
            .iter()
            .find(|s| s.name == "driver_activity")
            .map(|s| s.features.clone())
            .unwrap_or_default();
        world
    }

    /// Every table of every dataset, as [`FeatureSample::tables`] lists them.
    pub fn tables(&self) -> Vec<SampleTable> {
        sample_tables(&self.repo, &self.sources, &self.frames)
    }
}
