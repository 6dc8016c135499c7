//! Training/serving skew, found with feature logging: for every logged online read, the value the
//! offline point-in-time join gives for the same entity key at the same time, and, where the two
//! differ, why.
//!
//! A model is trained on point-in-time values and served whatever the online store holds. The two
//! agree only when the store was materialized up to the read, in order, and the TTL means the same
//! on both sides. Each way they can disagree is a [`SkewCause`]:
//!
//! - the online store does not enforce the TTL (Feast's, see feast-dev/feast#1802): a value too old
//!   to be joined offline is still served online;
//! - materialization lag: newer rows exist offline but were not materialized yet;
//! - an out-of-order write: a store that lets the last write win (Feast's SQLite store) took an
//!   older interval's value over a newer one;
//! - a value from the future of the read (materialized past the read time: the offline join never
//!   looks past it);
//! - equal event times resolved differently (the event-time guard keeps the first written);
//! - the created-time cutoff (a value known online but, by its created time, not yet offline);
//! - the source changed after materialization.

use crate::historical::{get_historical_features, HistoricalOptions, NullReason, ViewMatch};
use crate::model::{EntityFrame, FeatureError, FeatureRef, FeatureRepo, ViewRows};
use crate::online::{LogEntry, OnlineFeature};
use crate::value::{FeatureValue, KeyTuple, TimestampUs};
use std::collections::BTreeMap;

/// How the offline side is joined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkewOptions {
    /// Join offline with the created-time cutoff (feast-dev/feast#6617).
    pub created_cutoff: bool,
}

/// Why a served value differs from the point-in-time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkewCause {
    /// Nothing was stored online for the key; offline has a value.
    NotMaterialized,
    /// The online value is older than the offline one: newer rows were not materialized yet.
    MaterializationLag,
    /// The online value is older than the offline one although the store had held a newer value:
    /// an older interval was materialized after a newer one and overwrote it.
    OutOfOrderWrite,
    /// The online value is older than the view's TTL: offline it is expired, online still served.
    TtlNotEnforced,
    /// The online value's event time is after the read: offline, a read never sees the future.
    FutureValue,
    /// Same event time, another row: the event-time guard kept the first row written, offline
    /// takes the one created last.
    EqualTimeOtherRow,
    /// The online value was not yet created at the read time, so the cutoff join skips it.
    NotKnownYet,
    /// The source no longer has what was materialized (rows edited or removed since).
    SourceChanged,
}

impl SkewCause {
    /// Every cause, in the order the report lists them.
    pub const ALL: [SkewCause; 8] = [
        SkewCause::NotMaterialized,
        SkewCause::MaterializationLag,
        SkewCause::OutOfOrderWrite,
        SkewCause::TtlNotEnforced,
        SkewCause::FutureValue,
        SkewCause::EqualTimeOtherRow,
        SkewCause::NotKnownYet,
        SkewCause::SourceChanged,
    ];

    /// A short name.
    pub fn label(self) -> &'static str {
        match self {
            SkewCause::NotMaterialized => "not materialized",
            SkewCause::MaterializationLag => "materialization lag",
            SkewCause::OutOfOrderWrite => "out-of-order write",
            SkewCause::TtlNotEnforced => "TTL not enforced online",
            SkewCause::FutureValue => "value from the future",
            SkewCause::EqualTimeOtherRow => "equal event time, other row",
            SkewCause::NotKnownYet => "not known yet offline",
            SkewCause::SourceChanged => "source changed",
        }
    }

    /// One sentence a learner understands.
    pub fn explain(self) -> &'static str {
        match self {
            SkewCause::NotMaterialized => {
                "The online store had nothing for this key: no materialization had copied it yet."
            }
            SkewCause::MaterializationLag => {
                "The online store still held an older value: newer rows had not been materialized yet."
            }
            SkewCause::OutOfOrderWrite => {
                "An older interval was materialized after a newer one, and the last write won, so an older value replaced a newer one."
            }
            SkewCause::TtlNotEnforced => {
                "The value was older than the view's TTL: training sees NULL, but the online store served it anyway."
            }
            SkewCause::FutureValue => {
                "The online store held a value stamped after the read, which training at that time could never see."
            }
            SkewCause::EqualTimeOtherRow => {
                "Two rows share the event time: the event-time guard kept the first one written, training takes the one created last."
            }
            SkewCause::NotKnownYet => {
                "The served value was created after the read time, so the created-time cutoff leaves it out of training."
            }
            SkewCause::SourceChanged => {
                "The source rows changed after materialization, so the online copy no longer matches them."
            }
        }
    }
}

/// Whether one served value matches the point-in-time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differs(SkewCause),
}

/// One logged value next to its point-in-time value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkewComparison {
    pub request: u64,
    pub request_ts: TimestampUs,
    pub view: String,
    pub feature: String,
    pub keys: KeyTuple,
    pub online: OnlineFeature,
    pub offline_value: FeatureValue,
    pub offline: ViewMatch,
    pub verdict: Verdict,
}

/// Counts for one feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureSkew {
    pub compared: u64,
    pub same: u64,
    pub causes: BTreeMap<SkewCause, u64>,
}

impl FeatureSkew {
    pub fn differing(&self) -> u64 {
        self.compared - self.same
    }
}

/// Every comparison, in log order, and the counts per (view, feature).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkewReport {
    pub comparisons: Vec<SkewComparison>,
    pub summary: BTreeMap<(String, String), FeatureSkew>,
}

/// Compares every logged value with the point-in-time join of `sources` for the same keys and
/// request time.
pub fn skew_report<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    repo: &FeatureRepo,
    sources: &BTreeMap<String, ViewRows>,
    options: SkewOptions,
) -> Result<SkewReport, FeatureError> {
    let mut by_view: BTreeMap<&str, Vec<(usize, &LogEntry)>> = BTreeMap::new();
    for (position, entry) in entries.into_iter().enumerate() {
        by_view
            .entry(entry.view.as_str())
            .or_default()
            .push((position, entry));
    }
    let mut ordered = Vec::new();
    for (view, logged) in by_view {
        ordered.extend(compare_view(repo, sources, view, &logged, options)?);
    }
    sim::sort::sort_by_key(&mut ordered, |(position, _)| *position);
    let comparisons: Vec<SkewComparison> = ordered.into_iter().map(|(_, c)| c).collect();
    Ok(SkewReport {
        summary: summarize(&comparisons),
        comparisons,
    })
}

/// Counts per (view, feature): compared, same, and differing by cause.
fn summarize(comparisons: &[SkewComparison]) -> BTreeMap<(String, String), FeatureSkew> {
    let mut summary: BTreeMap<(String, String), FeatureSkew> = BTreeMap::new();
    for comparison in comparisons {
        let counts = summary
            .entry((comparison.view.clone(), comparison.feature.clone()))
            .or_default();
        counts.compared += 1;
        match comparison.verdict {
            Verdict::Same => counts.same += 1,
            Verdict::Differs(cause) => *counts.causes.entry(cause).or_default() += 1,
        }
    }
    summary
}

/// The point-in-time join of one view for its logged reads (with their places in the log),
/// compared value by value.
fn compare_view(
    repo: &FeatureRepo,
    sources: &BTreeMap<String, ViewRows>,
    view: &str,
    logged: &[(usize, &LogEntry)],
    options: SkewOptions,
) -> Result<Vec<(usize, SkewComparison)>, FeatureError> {
    let definition = repo.views.iter().find(|v| v.name == view).ok_or_else(|| {
        FeatureError::new(
            format!(
                "the feature log has reads of feature view `{view}`, which is no longer defined"
            ),
            "compare only reads of views the repository still defines",
        )
    })?;
    let features: Vec<&str> = definition
        .features
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| {
            logged
                .iter()
                .any(|(_, e)| e.features.iter().any(|f| f == name))
        })
        .collect();
    let undefined = logged
        .iter()
        .flat_map(|(_, entry)| &entry.features)
        .find(|feature| !features.contains(&feature.as_str()));
    if let Some(feature) = undefined {
        return Err(FeatureError::new(
            format!("the feature log has reads of `{view}:{feature}`, which is no longer defined"),
            "compare only reads of features the repository still defines",
        ));
    }
    let refs: Vec<FeatureRef> = features
        .iter()
        .map(|feature| FeatureRef {
            view: view.to_string(),
            feature: feature.to_string(),
        })
        .collect();
    let join_keys = repo.join_keys(definition)?;
    let frame = entity_frame_of(view, &join_keys, logged)?;
    let key_count = join_keys.len();
    let historical = HistoricalOptions {
        full_feature_names: true,
        created_cutoff: options.created_cutoff,
    };
    let offline = get_historical_features(repo, sources, &frame, &refs, historical)?;
    let mut comparisons = Vec::new();
    for ((&(position, entry), row), matches) in
        logged.iter().zip(&offline.rows).zip(&offline.matches)
    {
        let offline_match = matches
            .first()
            .copied()
            .ok_or_else(|| no_offline_value(view))?;
        for (feature, online) in entry.features.iter().zip(&entry.served) {
            let column = features
                .iter()
                .position(|f| f == feature)
                .map(|index| key_count + 1 + index);
            let offline_value = column
                .and_then(|c| row.get(c))
                .cloned()
                .ok_or_else(|| no_offline_value(view))?;
            let verdict = verdict(entry, online, &offline_value, &offline_match, options);
            comparisons.push((
                position,
                SkewComparison {
                    request: entry.request,
                    request_ts: entry.request_ts,
                    view: view.to_string(),
                    feature: feature.clone(),
                    keys: entry.keys.clone(),
                    online: online.clone(),
                    offline_value,
                    offline: offline_match,
                    verdict,
                },
            ));
        }
    }
    Ok(comparisons)
}

fn no_offline_value(view: &str) -> FeatureError {
    FeatureError::new(
        format!("the offline join returned no value of feature view `{view}`"),
        "report this: the point-in-time join returns one row per entity row",
    )
}

/// The logged reads as entity rows: the view's join keys, then the request time (in a column
/// named apart from every join key).
fn entity_frame_of(
    view: &str,
    join_keys: &[String],
    logged: &[(usize, &LogEntry)],
) -> Result<EntityFrame, FeatureError> {
    if let Some((_, odd)) = logged
        .iter()
        .find(|(_, e)| e.keys.0.len() != join_keys.len())
    {
        return Err(FeatureError::new(
            format!(
                "a read of feature view `{view}` was logged with {} key parts; the view has {} join keys",
                odd.keys.0.len(),
                join_keys.len()
            ),
            "the view's join keys changed since the read: compare reads made under the current definition",
        ));
    }
    let mut timestamp_name = "request_ts".to_string();
    while join_keys.contains(&timestamp_name) {
        timestamp_name.insert(0, '_');
    }
    let mut columns = join_keys.to_vec();
    columns.push(timestamp_name);
    let rows = logged
        .iter()
        .map(|(_, entry)| {
            let mut row = entry.keys.0.clone();
            row.push(FeatureValue::Timestamp(entry.request_ts));
            row
        })
        .collect();
    Ok(EntityFrame {
        columns,
        rows,
        timestamp_column: join_keys.len(),
    })
}

/// Whether the served value matches the offline one, and if not, why.
fn verdict(
    entry: &LogEntry,
    online: &OnlineFeature,
    offline_value: &FeatureValue,
    offline: &ViewMatch,
    options: SkewOptions,
) -> Verdict {
    if online.value == *offline_value {
        return Verdict::Same;
    }
    Verdict::Differs(skew_cause(entry, online, offline, options))
}

/// Why a served value differs from the offline one, judged from the two rows' times.
fn skew_cause(
    entry: &LogEntry,
    online: &OnlineFeature,
    offline: &ViewMatch,
    options: SkewOptions,
) -> SkewCause {
    let Some(online_ts) = online.event_ts else {
        return SkewCause::NotMaterialized;
    };
    if online_ts > entry.request_ts {
        return SkewCause::FutureValue;
    }
    if options.created_cutoff
        && entry
            .created_ts
            .is_some_and(|created| created > entry.request_ts)
    {
        return SkewCause::NotKnownYet;
    }
    match offline {
        ViewMatch::Missing(NullReason::ExpiredByTtl) => SkewCause::TtlNotEnforced,
        ViewMatch::Missing(_) => SkewCause::SourceChanged,
        ViewMatch::Matched { event_ts, .. } if online_ts < *event_ts => {
            let held_newer = entry.newest_written_ts.is_some_and(|ts| ts >= *event_ts);
            if held_newer {
                SkewCause::OutOfOrderWrite
            } else {
                SkewCause::MaterializationLag
            }
        }
        ViewMatch::Matched { seq, event_ts, .. }
            if online_ts == *event_ts && entry.seq != Some(*seq) =>
        {
            SkewCause::EqualTimeOtherRow
        }
        ViewMatch::Matched { .. } => SkewCause::SourceChanged,
    }
}
