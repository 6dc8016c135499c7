//! Feast's model of a feature repository, and the rows the engine joins.
//!
//! An [`Entity`] names the join keys that identify something (a driver: `driver_id`). A
//! [`FeatureView`] is a batch source of rows keyed by its entities' join keys, stamped with an
//! event time (when the value was true) and optionally a created time (when it was written), with
//! a TTL and typed features. A [`FeatureService`] is a named list of [`FeatureRef`]s. A
//! [`FeatureRepo`] holds the definitions; [`ViewRows`] holds one view's source rows; an
//! [`EntityFrame`] holds the entity rows a training set is built for (Feast's `entity_df`).

use crate::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use std::fmt;

/// Something features describe, identified by one or several join-key columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    pub name: String,
    pub join_keys: Vec<String>,
}

/// One typed feature of a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureDef {
    pub name: String,
    pub dtype: Dtype,
}

/// Where a view's rows come from and which of their columns carry time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewSource {
    /// The source table (a sample table, an imported CSV, a topic) or file name.
    pub table: String,
    /// The event-time column: when each row's values became true.
    pub timestamp_field: String,
    /// The created-time column, if any: when each row was written (a late correction has an
    /// event time in the past and a created time now).
    pub created_timestamp_column: Option<String>,
}

/// A feature view: features of some entities, read from one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureView {
    pub name: String,
    /// Entity names; the view's join keys are all of their join keys, in this order.
    pub entities: Vec<String>,
    /// How old a row may be and still be joined; `None` is unbounded (Feast's `ttl=0`).
    pub ttl: Option<DurationUs>,
    pub source: ViewSource,
    pub features: Vec<FeatureDef>,
}

/// `view:feature`, the way Feast names a feature in a request.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeatureRef {
    pub view: String,
    pub feature: String,
}

impl FeatureRef {
    /// Parses `view:feature`.
    pub fn parse(text: &str) -> Result<FeatureRef, FeatureError> {
        match text.trim().split_once(':') {
            Some((view, feature)) if !view.is_empty() && !feature.is_empty() => Ok(FeatureRef {
                view: view.to_string(),
                feature: feature.to_string(),
            }),
            _ => Err(FeatureError::new(
                format!("`{text}` is not a feature reference"),
                "write VIEW:FEATURE, for example driver_hourly_stats:conv_rate",
            )),
        }
    }
}

impl fmt::Display for FeatureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.view, self.feature)
    }
}

/// A named list of feature references, retrieved together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureService {
    pub name: String,
    pub features: Vec<FeatureRef>,
}

/// The definitions of a feature repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureRepo {
    pub entities: Vec<Entity>,
    pub views: Vec<FeatureView>,
    pub services: Vec<FeatureService>,
}

impl FeatureRepo {
    /// The view called `name`, or an error that suggests the closest view name.
    pub fn view(&self, name: &str) -> Result<&FeatureView, FeatureError> {
        self.views
            .iter()
            .find(|view| view.name == name)
            .ok_or_else(|| {
                let names = self.views.iter().map(|view| view.name.as_str());
                FeatureError::new(
                    format!("there is no feature view `{name}`"),
                    sim::text::did_you_mean(name, names).unwrap_or_else(|| {
                        let all: Vec<&str> = self.views.iter().map(|v| v.name.as_str()).collect();
                        format!("the feature views are: {}", list_or_none(&all))
                    }),
                )
            })
    }

    /// A view's join keys: all of its entities' join keys, in entity order, or an error naming
    /// an entity the repository does not define.
    pub fn join_keys(&self, view: &FeatureView) -> Result<Vec<String>, FeatureError> {
        let mut keys = Vec::new();
        for entity_name in &view.entities {
            let entity = self
                .entities
                .iter()
                .find(|entity| &entity.name == entity_name)
                .ok_or_else(|| {
                    FeatureError::new(
                        format!(
                            "feature view `{}` names entity `{entity_name}`, which is not defined",
                            view.name
                        ),
                        "define the entity with its join keys, or fix the view's entity list",
                    )
                })?;
            keys.extend(entity.join_keys.iter().cloned());
        }
        Ok(keys)
    }
}

/// Names for a hint: `a, b, c`, or `(none)`.
fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

/// One source row of a view, already typed: its join-key tuple (in the view's join-key order),
/// its times, its ingestion order `seq` (the last tie-break), and one value per feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureRow {
    pub keys: KeyTuple,
    /// NULL event time: the row is ignored by every join.
    pub event_ts: Option<TimestampUs>,
    /// NULL created time sorts lowest.
    pub created_ts: Option<TimestampUs>,
    pub seq: u64,
    pub values: Vec<FeatureValue>,
}

/// The rows of one view's source, in ingestion order. Shared: a copy of a store (every tick of a
/// lab that the screen still shows) copies a pointer, and only a view that changes is copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewRows {
    pub rows: std::rc::Rc<Vec<FeatureRow>>,
}

impl From<Vec<FeatureRow>> for ViewRows {
    fn from(rows: Vec<FeatureRow>) -> ViewRows {
        ViewRows {
            rows: std::rc::Rc::new(rows),
        }
    }
}

/// Entity rows to build a training set for: named, typed columns (join keys, other columns kept
/// as they are) and an event timestamp per row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntityFrame {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<FeatureValue>>,
    /// Which column is the entity timestamp.
    pub timestamp_column: usize,
}

/// Bad input: what is wrong, and a hint that says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureError {
    pub message: String,
    pub hint: String,
}

impl FeatureError {
    /// An error with its hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> FeatureError {
        FeatureError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for FeatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}

impl std::error::Error for FeatureError {}
