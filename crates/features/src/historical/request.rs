//! Checking a retrieval request and resolving it against the repository before any row is read:
//! which views it touches (in first-reference order), which entity columns hold their join keys,
//! which features fill the output columns and what those columns are called and typed.
//!
//! Every problem is an error with a hint: an unknown view or feature (with the closest name), an
//! entity frame without a join key column, a timestamp column holding something other than
//! timestamps, two features that would get the same column name without `full_feature_names`
//! (Feast's `FeatureNameCollisionError`), or a feature named like an entity column.

use super::{HistoricalOptions, OutputColumn};
use crate::model::{EntityFrame, FeatureError, FeatureRef, FeatureRepo, FeatureView, ViewRows};
use crate::value::{Dtype, DurationUs, FeatureValue};
use std::collections::BTreeMap;

/// A checked request.
pub(super) struct Request<'a> {
    pub views: Vec<RequestedView<'a>>,
    /// The feature columns, in request order.
    pub features: Vec<RequestedFeature>,
    /// Entity columns, then feature columns.
    pub columns: Vec<OutputColumn>,
    pub timestamp_column: usize,
}

/// A view the request reads.
pub(super) struct RequestedView<'a> {
    pub view: &'a FeatureView,
    pub rows: &'a ViewRows,
    /// The entity frame's columns holding the view's join keys, in join-key order.
    pub key_columns: Vec<usize>,
    /// The TTL when it bounds anything (`None` and zero are unbounded, as in Feast).
    pub ttl: Option<DurationUs>,
}

/// A feature column: which requested view, and which of its features.
pub(super) struct RequestedFeature {
    pub view: usize,
    pub feature: usize,
}

/// Checks the entity frame and the references, and resolves them.
pub(super) fn resolve<'a>(
    repo: &'a FeatureRepo,
    sources: &'a BTreeMap<String, ViewRows>,
    entities: &EntityFrame,
    refs: &[FeatureRef],
    options: HistoricalOptions,
) -> Result<Request<'a>, FeatureError> {
    check_frame(entities)?;
    let mut views: Vec<RequestedView<'a>> = Vec::new();
    let mut features = Vec::with_capacity(refs.len());
    for (i, feature_ref) in refs.iter().enumerate() {
        if refs[..i].contains(feature_ref) {
            return Err(FeatureError::new(
                format!("`{feature_ref}` is requested twice"),
                "list each feature once",
            ));
        }
        let view = match views.iter().position(|v| v.view.name == feature_ref.view) {
            Some(position) => position,
            None => {
                views.push(requested_view(repo, sources, entities, &feature_ref.view)?);
                views.len() - 1
            }
        };
        let feature = feature_index(views[view].view, &feature_ref.feature)?;
        features.push(RequestedFeature { view, feature });
    }
    let columns = output_columns(entities, &views, &features, options)?;
    Ok(Request {
        views,
        features,
        columns,
        timestamp_column: entities.timestamp_column,
    })
}

/// The frame must be well formed: a timestamp column that exists and holds only timestamps
/// or NULLs, distinct column names, and every row as wide as the header.
fn check_frame(entities: &EntityFrame) -> Result<(), FeatureError> {
    let width = entities.columns.len();
    if entities.timestamp_column >= width {
        return Err(FeatureError::new(
            format!(
                "the entity rows' timestamp column is number {} of {width}",
                entities.timestamp_column + 1
            ),
            "point the timestamp column at one of the entity columns (Feast's event_timestamp)",
        ));
    }
    for (i, name) in entities.columns.iter().enumerate() {
        if entities.columns[..i].contains(name) {
            return Err(FeatureError::new(
                format!("the entity rows have two columns named `{name}`"),
                "rename one of them",
            ));
        }
    }
    let ts_name = &entities.columns[entities.timestamp_column];
    for (r, row) in entities.rows.iter().enumerate() {
        if row.len() != width {
            return Err(FeatureError::new(
                format!(
                    "entity row {r} has {} values for {width} columns",
                    row.len()
                ),
                "give every entity row one value per column",
            ));
        }
        let ts = &row[entities.timestamp_column];
        if !matches!(ts, FeatureValue::Timestamp(_) | FeatureValue::Null) {
            return Err(FeatureError::new(
                format!("entity row {r}: `{ts_name}` holds `{ts}`, which is not a timestamp"),
                "the entity timestamp column must hold timestamps (UTC), for example 2024-03-01 12:00:00",
            ));
        }
    }
    Ok(())
}

/// Resolves a view: its definition, rows, join-key columns in the frame and its TTL.
fn requested_view<'a>(
    repo: &'a FeatureRepo,
    sources: &'a BTreeMap<String, ViewRows>,
    entities: &EntityFrame,
    name: &str,
) -> Result<RequestedView<'a>, FeatureError> {
    let view = repo.view(name)?;
    let rows = sources.get(name).ok_or_else(|| {
        FeatureError::new(
            format!("no rows were loaded for feature view `{name}`"),
            format!(
                "load its source `{}` before retrieving features",
                view.source.table
            ),
        )
    })?;
    let key_columns = repo
        .join_keys(view)?
        .iter()
        .map(|key| key_column(entities, view, key))
        .collect::<Result<Vec<usize>, FeatureError>>()?;
    Ok(RequestedView {
        view,
        rows,
        key_columns,
        ttl: bounded_ttl(view)?,
    })
}

fn key_column(
    entities: &EntityFrame,
    view: &FeatureView,
    key: &str,
) -> Result<usize, FeatureError> {
    entities
        .columns
        .iter()
        .position(|column| column == key)
        .ok_or_else(|| {
            FeatureError::new(
                format!(
                    "the entity rows have no column `{key}`, a join key of feature view `{}`",
                    view.name
                ),
                sim::text::did_you_mean(key, entities.columns.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!(
                            "add a `{key}` column; the entity columns are: {}",
                            entities.columns.join(", ")
                        )
                    }),
            )
        })
}

fn bounded_ttl(view: &FeatureView) -> Result<Option<DurationUs>, FeatureError> {
    match view.ttl {
        Some(DurationUs(us)) if us < 0 => Err(FeatureError::new(
            format!("feature view `{}` has a negative TTL ({us} µs)", view.name),
            "give a positive TTL, or 0 / none for unbounded",
        )),
        ttl => Ok(ttl.filter(|ttl| ttl.0 > 0)),
    }
}

fn feature_index(view: &FeatureView, feature: &str) -> Result<usize, FeatureError> {
    view.features
        .iter()
        .position(|f| f.name == feature)
        .ok_or_else(|| {
            let names: Vec<&str> = view.features.iter().map(|f| f.name.as_str()).collect();
            FeatureError::new(
                format!("feature view `{}` has no feature `{feature}`", view.name),
                sim::text::did_you_mean(feature, names.iter().copied())
                    .unwrap_or_else(|| format!("its features are: {}", names.join(", "))),
            )
        })
}

/// Entity columns (typed by their values), then the features, named and checked for collisions.
fn output_columns(
    entities: &EntityFrame,
    views: &[RequestedView],
    features: &[RequestedFeature],
    options: HistoricalOptions,
) -> Result<Vec<OutputColumn>, FeatureError> {
    let mut columns: Vec<OutputColumn> = (0..entities.columns.len())
        .map(|c| OutputColumn {
            name: entities.columns[c].clone(),
            dtype: column_dtype(entities, c),
        })
        .collect();
    for (i, requested) in features.iter().enumerate() {
        let view = views[requested.view].view;
        let feature = &view.features[requested.feature];
        let name = output_name(views, requested, options);
        if entities.columns.contains(&name) {
            return Err(FeatureError::new(
                format!(
                    "feature `{}:{}` would be named `{name}`, like an entity column",
                    view.name, feature.name
                ),
                "rename the entity column, or use full feature names (VIEW__FEATURE)",
            ));
        }
        if let Some(earlier) = features[..i]
            .iter()
            .find(|earlier| output_name(views, earlier, options) == name)
        {
            let other = views[earlier.view].view;
            return Err(FeatureError::new(
                format!(
                    "feature name collision: `{}:{}` and `{}:{}` would both be named `{name}`",
                    other.name, other.features[earlier.feature].name, view.name, feature.name
                ),
                "use full feature names (--full-feature-names) to name them VIEW__FEATURE",
            ));
        }
        columns.push(OutputColumn {
            name,
            dtype: Some(feature.dtype),
        });
    }
    Ok(columns)
}

/// `FEATURE`, or `VIEW__FEATURE` with full feature names (Feast's naming).
fn output_name(
    views: &[RequestedView],
    requested: &RequestedFeature,
    options: HistoricalOptions,
) -> String {
    let view = views[requested.view].view;
    let feature = &view.features[requested.feature].name;
    if options.full_feature_names {
        format!("{}__{feature}", view.name)
    } else {
        feature.clone()
    }
}

/// The one type of a column's non-NULL values, if they share one.
fn column_dtype(entities: &EntityFrame, column: usize) -> Option<Dtype> {
    let mut dtypes = entities.rows.iter().filter_map(|row| row[column].dtype());
    let first = dtypes.next()?;
    dtypes.all(|dtype| dtype == first).then_some(first)
}
