//! Online reads, Feast's `get_online_features`: the stored value of each requested feature for
//! each entity row, with its event time and a status.
//!
//! Entity rows are named columns, as Feast's `entity_rows` are dicts from join key to value, so
//! one request can read views keyed differently (a driver view and a customer view): each view
//! takes its own join keys from the row, and columns no requested view uses are passed through.
//! The response lists the entity columns as given, then the features in request order, named
//! `FEATURE` or, with `full_feature_names`, `VIEW__FEATURE`.
//!
//! The TTL: Feast's online read does not check it (feast-dev/feast#1802 was closed as won't fix,
//! #6821 is open) and reports PRESENT for a value of any age. That is the default here.
//! `enforce_ttl` applies the check the serving API's `OUTSIDE_MAX_AGE` status exists for: a value
//! older than `request_ts - ttl` is withheld (NULL, as the offline join would give) and its event
//! time still reported, so the UI can show how old it was.

use super::{bounded_ttl, LogEntry, OnlineStore, StoredRow, ViewTable};
use crate::model::{FeatureError, FeatureRef, FeatureRepo, FeatureView};
use crate::value::{FeatureValue, KeyTuple, TimestampUs};
use sim::state_hash::StateHasher;

/// Entity rows for a read: named columns holding at least every requested view's join keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnlineEntityRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<FeatureValue>>,
}

/// How a read is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnlineReadOptions {
    /// Name features `VIEW__FEATURE` instead of `FEATURE`.
    pub full_feature_names: bool,
    /// Withhold values older than their view's TTL (Feast does not: off by default).
    pub enforce_ttl: bool,
}

/// The status Feast's serving API gives each returned value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldStatus {
    /// The store held a value (which may itself be NULL).
    Present,
    /// The store held nothing for the key (or a NULL key, which is never stored).
    NotFound,
    /// The store held a value older than the view's TTL, and the read enforces the TTL.
    OutsideMaxAge,
}

impl FieldStatus {
    /// Feast's name for the status.
    pub fn label(self) -> &'static str {
        match self {
            FieldStatus::Present => "PRESENT",
            FieldStatus::NotFound => "NOT_FOUND",
            FieldStatus::OutsideMaxAge => "OUTSIDE_MAX_AGE",
        }
    }

    fn tag(self) -> u64 {
        match self {
            FieldStatus::Present => 0,
            FieldStatus::NotFound => 1,
            FieldStatus::OutsideMaxAge => 2,
        }
    }
}

/// One served value: the value, the event time of the row it came from, and its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineFeature {
    pub value: FeatureValue,
    /// `None` when nothing was found.
    pub event_ts: Option<TimestampUs>,
    pub status: FieldStatus,
}

impl OnlineFeature {
    fn not_found() -> OnlineFeature {
        OnlineFeature {
            value: FeatureValue::Null,
            event_ts: None,
            status: FieldStatus::NotFound,
        }
    }

    pub(super) fn hash_into(&self, hasher: &mut StateHasher) {
        self.value.hash_into(hasher);
        super::hash_timestamp(self.event_ts, hasher);
        hasher.u64(self.status.tag());
    }
}

/// The answer to a read: one row per entity row, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnlineResponse {
    pub entity_columns: Vec<String>,
    pub feature_columns: Vec<String>,
    pub rows: Vec<OnlineRow>,
}

/// One entity row as given, and one served value per requested feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineRow {
    pub entities: Vec<FeatureValue>,
    pub features: Vec<OnlineFeature>,
}

/// A view a read touches: where its join keys are among the entity columns, and which of its
/// features (by index in the view) fill which output columns.
struct ViewRead<'r> {
    view: &'r FeatureView,
    key_columns: Vec<usize>,
    /// (output column, feature name) in request order.
    features: Vec<(usize, &'r str)>,
}

impl OnlineStore {
    /// Serves `refs` for every entity row as of `request_ts`, and logs what each view served.
    pub fn get_online_features(
        &mut self,
        repo: &FeatureRepo,
        refs: &[FeatureRef],
        entity_rows: &OnlineEntityRows,
        request_ts: TimestampUs,
        options: OnlineReadOptions,
    ) -> Result<OnlineResponse, FeatureError> {
        let reads = plan_reads(repo, refs, &entity_rows.columns)?;
        let feature_columns = output_names(refs, &entity_rows.columns, options)?;
        check_row_widths(entity_rows)?;
        let request = self.log.next_request();
        let mut rows = Vec::with_capacity(entity_rows.rows.len());
        let mut entries = Vec::new();
        for entity_row in &entity_rows.rows {
            let mut features = vec![OnlineFeature::not_found(); refs.len()];
            for read in &reads {
                let entry = self.serve_view(read, entity_row, request, request_ts, options);
                for (&(column, _), served) in read.features.iter().zip(&entry.served) {
                    features[column] = served.clone();
                }
                entries.push(entry);
            }
            rows.push(OnlineRow {
                entities: entity_row.clone(),
                features,
            });
        }
        for entry in entries {
            self.log.append(entry);
        }
        Ok(OnlineResponse {
            entity_columns: entity_rows.columns.clone(),
            feature_columns,
            rows,
        })
    }

    /// What one view serves for one entity row, as the log records it.
    fn serve_view(
        &self,
        read: &ViewRead<'_>,
        entity_row: &[FeatureValue],
        request: u64,
        request_ts: TimestampUs,
        options: OnlineReadOptions,
    ) -> LogEntry {
        let keys = KeyTuple(
            read.key_columns
                .iter()
                .map(|&c| entity_row[c].clone())
                .collect(),
        );
        let table = self.tables.get(&read.view.name);
        let stored = table
            .filter(|_| !keys.has_null())
            .and_then(|t| t.rows.get(&keys));
        let expired = options.enforce_ttl && outside_max_age(read.view, stored, request_ts);
        LogEntry {
            request,
            request_ts,
            view: read.view.name.clone(),
            features: read.features.iter().map(|&(_, f)| f.to_string()).collect(),
            served: read
                .features
                .iter()
                .map(|&(_, feature)| serve(table, stored, feature, expired))
                .collect(),
            keys,
            seq: stored.map(|row| row.seq),
            created_ts: stored.and_then(|row| row.created_ts),
            newest_written_ts: stored.map(|row| row.newest_written_ts),
        }
    }
}

/// Whether the stored row is older than the view's TTL at `request_ts` (the bound itself is
/// inside, as in the offline join).
fn outside_max_age(
    view: &FeatureView,
    stored: Option<&StoredRow>,
    request_ts: TimestampUs,
) -> bool {
    match (bounded_ttl(view), stored) {
        (Some(ttl), Some(row)) => row.event_ts < request_ts.minus(ttl),
        _ => false,
    }
}

/// What the store serves for one feature of a looked-up key.
fn serve(
    table: Option<&ViewTable>,
    stored: Option<&StoredRow>,
    feature: &str,
    expired: bool,
) -> OnlineFeature {
    let position = table.and_then(|t| t.features.iter().position(|name| name == feature));
    let Some((row, value)) = stored
        .zip(position)
        .and_then(|(row, p)| Some((row, row.values.get(p)?)))
    else {
        return OnlineFeature::not_found();
    };
    if expired {
        return OnlineFeature {
            value: FeatureValue::Null,
            event_ts: Some(row.event_ts),
            status: FieldStatus::OutsideMaxAge,
        };
    }
    OnlineFeature {
        value: value.clone(),
        event_ts: Some(row.event_ts),
        status: FieldStatus::Present,
    }
}

/// Resolves the references and groups them by view, in first-reference order.
fn plan_reads<'r>(
    repo: &'r FeatureRepo,
    refs: &'r [FeatureRef],
    columns: &[String],
) -> Result<Vec<ViewRead<'r>>, FeatureError> {
    if refs.is_empty() {
        return Err(FeatureError::new(
            "no features were requested",
            "name at least one feature as VIEW:FEATURE",
        ));
    }
    let mut reads: Vec<ViewRead<'r>> = Vec::new();
    for (column, feature_ref) in refs.iter().enumerate() {
        let view = repo.view(&feature_ref.view)?;
        check_feature(view, &feature_ref.feature)?;
        let position = reads.iter().position(|read| read.view.name == view.name);
        let read = match position {
            Some(index) => &mut reads[index],
            None => {
                let key_columns = key_columns(repo, view, columns)?;
                reads.push(ViewRead {
                    view,
                    key_columns,
                    features: Vec::new(),
                });
                let last = reads.len() - 1;
                &mut reads[last]
            }
        };
        read.features.push((column, feature_ref.feature.as_str()));
    }
    Ok(reads)
}

fn check_feature(view: &FeatureView, feature: &str) -> Result<(), FeatureError> {
    if view.features.iter().any(|f| f.name == feature) {
        return Ok(());
    }
    let names = || view.features.iter().map(|f| f.name.as_str());
    let hint = sim::text::did_you_mean(feature, names())
        .unwrap_or_else(|| format!("its features: {}", names().collect::<Vec<_>>().join(", ")));
    Err(FeatureError::new(
        format!("feature view `{}` has no feature `{feature}`", view.name),
        hint,
    ))
}

/// Where each of the view's join keys is among the entity columns.
fn key_columns(
    repo: &FeatureRepo,
    view: &FeatureView,
    columns: &[String],
) -> Result<Vec<usize>, FeatureError> {
    repo.join_keys(view)?
        .iter()
        .map(|key| {
            columns.iter().position(|c| c == key).ok_or_else(|| {
                FeatureError::new(
                    format!(
                        "the entity rows have no column `{key}`, a join key of feature view `{}`",
                        view.name
                    ),
                    format!(
                        "add a `{key}` column; the entity rows have: {}",
                        columns.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// The response's feature column names; two features (or a feature and an entity column) may
/// not share one, as Feast raises `FeatureNameCollisionError`.
fn output_names(
    refs: &[FeatureRef],
    entity_columns: &[String],
    options: OnlineReadOptions,
) -> Result<Vec<String>, FeatureError> {
    let names: Vec<String> = refs
        .iter()
        .map(|r| match options.full_feature_names {
            true => format!("{}__{}", r.view, r.feature),
            false => r.feature.clone(),
        })
        .collect();
    for (index, name) in names.iter().enumerate() {
        if let Some(earlier) = names[..index].iter().position(|n| n == name) {
            return Err(FeatureError::new(
                format!(
                    "`{}` and `{}` would both be returned as `{name}`",
                    refs[earlier], refs[index]
                ),
                match options.full_feature_names {
                    true => "list each feature once".to_string(),
                    false => "ask for full feature names (VIEW__FEATURE)".to_string(),
                },
            ));
        }
        if entity_columns.contains(name) {
            return Err(FeatureError::new(
                format!(
                    "feature `{}` has the name of entity column `{name}`",
                    refs[index]
                ),
                "ask for full feature names (VIEW__FEATURE), or rename the column",
            ));
        }
    }
    Ok(names)
}

fn check_row_widths(entity_rows: &OnlineEntityRows) -> Result<(), FeatureError> {
    let width = entity_rows.columns.len();
    match entity_rows.rows.iter().position(|row| row.len() != width) {
        None => Ok(()),
        Some(index) => Err(FeatureError::new(
            format!(
                "entity row {} has {} values for {width} columns",
                index + 1,
                entity_rows.rows[index].len()
            ),
            "give every entity row one value per column",
        )),
    }
}
