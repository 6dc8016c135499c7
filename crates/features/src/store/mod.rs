//! The feature store as a lab engine: the sample world it was generated with, the definitions the
//! learner edits, the learner's choices (entity rows, features, join, options), and the online
//! store with its log. [`FeatureStore::validate`] and [`FeatureStore::apply`] are the only ways
//! it changes, so a journal of [`FeatureCommand`]s replays it exactly.
//!
//! Training sets, their AUC and the skew report are derived on demand ([`FeatureStore::training_set`],
//! [`crate::skew`]), never stored: they follow from the state, so they cannot disagree with it.

pub mod command;
pub mod command_codec;
pub mod derived;
pub mod push;
mod serve;

use crate::historical::{
    get_historical_features, latest_value_join, HistoricalOptions, TrainingSet,
};
use crate::model::{EntityFrame, FeatureError, FeatureRef, FeatureRepo, FeatureView, ViewRows};
use crate::online::{OnlineStore, WritePolicy};
use crate::samples::SampleWorld;
use crate::value::{DurationUs, FeatureValue, US_PER_SECOND};
use command::{
    FeatureCommand, FeatureEvent, JoinKind, ADDED_ENTITY_COLUMNS_MAX, ADDED_ENTITY_ROWS_MAX,
    ADDED_VIEW_FEATURES_MAX, NAME_LEN_MAX, RANGE_US_MAX, REQUESTED_FEATURES_MAX, TEXT_LEN_MAX,
    TTL_US_MAX,
};
use sim::state_hash::StateHasher;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The feature store of a lab.
#[derive(Clone, Debug)]
pub struct FeatureStore {
    /// Generated from the lab's seed and never changed: shared between clones of the lab.
    world: Rc<SampleWorld>,
    repo: FeatureRepo,
    /// Each view's source rows: the world's, shared until the learner adds a view of their own.
    sources: Rc<BTreeMap<String, ViewRows>>,
    entity_frame: String,
    requested: Vec<FeatureRef>,
    join: JoinKind,
    options: HistoricalOptions,
    online: OnlineStore,
    enforce_ttl_online: bool,
    /// Entity rows the learner added, by name.
    added_frames: BTreeMap<String, Rc<EntityFrame>>,
    /// What follows from the fields above, computed on first use and dropped by `apply`.
    derived: OnceCell<derived::Derived>,
}

/// Two stores are equal when their states are; the derived cache is not state.
impl PartialEq for FeatureStore {
    fn eq(&self, other: &FeatureStore) -> bool {
        Rc::ptr_eq(&self.world, &other.world)
            && self.repo == other.repo
            && (Rc::ptr_eq(&self.sources, &other.sources) || self.sources == other.sources)
            && self.entity_frame == other.entity_frame
            && self.requested == other.requested
            && self.join == other.join
            && self.options == other.options
            && self.online == other.online
            && self.enforce_ttl_online == other.enforce_ttl_online
            && self.added_frames == other.added_frames
    }
}

impl Eq for FeatureStore {}

thread_local! {
    /// The sample world, generated once per thread: every store shares it.
    static SAMPLE_WORLD: Rc<SampleWorld> = Rc::new(SampleWorld::generate());
}

impl Default for FeatureStore {
    fn default() -> FeatureStore {
        FeatureStore::new()
    }
}

impl FeatureStore {
    /// The store over the sample world, with its default entity rows and features.
    pub fn new() -> FeatureStore {
        let world = SAMPLE_WORLD.with(Rc::clone);
        FeatureStore {
            repo: world.repo.clone(),
            sources: Rc::clone(&world.sources),
            entity_frame: world.default_frame.clone(),
            requested: world.default_features.clone(),
            world,
            join: JoinKind::PointInTime,
            options: HistoricalOptions::default(),
            online: OnlineStore::new(WritePolicy::LastWriteWins),
            enforce_ttl_online: false,
            added_frames: BTreeMap::new(),
            derived: OnceCell::new(),
        }
    }

    pub fn world(&self) -> &SampleWorld {
        &self.world
    }

    /// The definitions as the learner has them now (TTLs may differ from the sample's).
    pub fn repo(&self) -> &FeatureRepo {
        &self.repo
    }

    pub fn sources(&self) -> &BTreeMap<String, ViewRows> {
        &self.sources
    }

    pub fn entity_frame_name(&self) -> &str {
        &self.entity_frame
    }

    pub fn requested(&self) -> &[FeatureRef] {
        &self.requested
    }

    pub fn join(&self) -> JoinKind {
        self.join
    }

    pub fn options(&self) -> HistoricalOptions {
        self.options
    }

    pub fn online(&self) -> &OnlineStore {
        &self.online
    }

    pub fn enforce_ttl_online(&self) -> bool {
        self.enforce_ttl_online
    }

    /// Entity rows by name: the samples', then the learner's.
    pub fn frame(&self, name: &str) -> Option<&EntityFrame> {
        self.world
            .frames
            .get(name)
            .or_else(|| self.added_frames.get(name).map(|frame| &**frame))
    }

    /// The names of every entity frame: the samples', then the learner's.
    pub fn frame_names(&self) -> Vec<&str> {
        self.world
            .frames
            .keys()
            .chain(self.added_frames.keys())
            .map(String::as_str)
            .collect()
    }

    /// The entity rows training sets are built for now.
    pub fn current_frame(&self) -> Result<&EntityFrame, FeatureError> {
        self.frame(&self.entity_frame)
            .ok_or_else(|| self.unknown_frame(&self.entity_frame))
    }

    /// The training set the current choices build.
    pub fn training_set(&self) -> Result<TrainingSet, FeatureError> {
        let frame = self.current_frame()?;
        let join = match self.join {
            JoinKind::PointInTime => get_historical_features,
            JoinKind::LatestValue => latest_value_join,
        };
        join(
            &self.repo,
            &self.sources,
            frame,
            &self.requested,
            self.options,
        )
    }

    /// Checks a command without changing anything.
    pub fn validate(&self, command: &FeatureCommand) -> Result<(), FeatureError> {
        match command {
            FeatureCommand::UseEntities { frame } => {
                if self.frame(frame).is_none() {
                    return Err(self.unknown_frame(frame));
                }
                Ok(())
            }
            FeatureCommand::AddEntities { name, frame } => self.check_added_frame(name, frame),
            FeatureCommand::AddView { view, rows } => self.check_added_view(view, rows),
            FeatureCommand::Request { features } => self.check_request(features),
            FeatureCommand::SetJoin { .. }
            | FeatureCommand::SetCreatedCutoff { .. }
            | FeatureCommand::SetFullFeatureNames { .. }
            | FeatureCommand::SetWritePolicy { .. }
            | FeatureCommand::SetOnlineTtl { .. } => Ok(()),
            FeatureCommand::SetTtl { view, ttl } => {
                self.known_view(view)?;
                match ttl {
                    Some(DurationUs(us)) if *us <= 0 || *us > TTL_US_MAX => Err(FeatureError::new(
                        format!(
                            "a TTL of {} is out of range",
                            if *us <= 0 {
                                "zero or less".to_string()
                            } else {
                                format!("{} days", us / (86_400 * US_PER_SECOND))
                            }
                        ),
                        "give a TTL between 1 second and 365 days, or none for unbounded",
                    )),
                    _ => Ok(()),
                }
            }
            FeatureCommand::Materialize { views, start, end } => {
                for view in views {
                    self.known_view(view)?;
                }
                check_range(start.0, end.0)
            }
            FeatureCommand::MaterializeIncremental { end } => {
                self.online.check_incremental(&self.repo, &[], *end)
            }
            FeatureCommand::ReadOnline { keys, .. } => self.check_online_keys(keys),
            FeatureCommand::Serve {
                from,
                to,
                materialize_every,
            } => {
                check_range(from.0, to.0)?;
                serve::check_interval(*from, *to, *materialize_every)?;
                self.online
                    .check_incremental(&self.repo, &self.requested_views(), *from)
            }
        }
    }

    /// Applies a command; on refusal nothing changed.
    pub fn apply(&mut self, command: &FeatureCommand) -> Result<Vec<FeatureEvent>, FeatureError> {
        self.validate(command)?;
        self.derived = OnceCell::new();
        Ok(match command {
            FeatureCommand::UseEntities { frame } => {
                self.entity_frame = frame.clone();
                let rows = self.frame(frame).map_or(0, |f| f.rows.len());
                vec![FeatureEvent::EntitiesChosen {
                    frame: frame.clone(),
                    rows: rows as u64,
                }]
            }
            FeatureCommand::Request { features } => {
                self.requested = features.clone();
                vec![FeatureEvent::FeaturesRequested {
                    count: features.len() as u64,
                }]
            }
            FeatureCommand::SetJoin { join } => {
                self.join = *join;
                vec![FeatureEvent::JoinChosen { join: *join }]
            }
            FeatureCommand::SetCreatedCutoff { on } => {
                self.options.created_cutoff = *on;
                vec![FeatureEvent::CreatedCutoffSet { on: *on }]
            }
            FeatureCommand::SetFullFeatureNames { on } => {
                self.options.full_feature_names = *on;
                vec![FeatureEvent::FullFeatureNamesSet { on: *on }]
            }
            FeatureCommand::SetTtl { view, ttl } => {
                let definition = self
                    .repo
                    .views
                    .iter_mut()
                    .find(|v| &v.name == view)
                    .ok_or_else(|| FeatureError::new("no such view", "validated"))?;
                let from = std::mem::replace(&mut definition.ttl, *ttl);
                vec![FeatureEvent::TtlChanged {
                    view: view.clone(),
                    from,
                    to: *ttl,
                }]
            }
            FeatureCommand::SetWritePolicy { policy } => {
                self.online.set_policy(*policy);
                vec![FeatureEvent::WritePolicyChosen { policy: *policy }]
            }
            FeatureCommand::SetOnlineTtl { enforce } => {
                self.enforce_ttl_online = *enforce;
                vec![FeatureEvent::OnlineTtlSet { enforce: *enforce }]
            }
            FeatureCommand::Materialize { views, start, end } => {
                vec![self.materialize(views, *start, *end)?]
            }
            FeatureCommand::MaterializeIncremental { end } => {
                vec![self.materialize_incremental(*end)?]
            }
            FeatureCommand::ReadOnline { keys, at } => vec![self.read_online(keys, *at)?],
            FeatureCommand::Serve {
                from,
                to,
                materialize_every,
            } => vec![self.serve(*from, *to, *materialize_every)?],
            FeatureCommand::AddView { view, rows } => {
                self.repo.views.push(view.clone());
                Rc::make_mut(&mut self.sources).insert(view.name.clone(), rows.clone());
                vec![FeatureEvent::ViewAdded {
                    name: view.name.clone(),
                    rows: rows.rows.len() as u64,
                }]
            }
            FeatureCommand::AddEntities { name, frame } => {
                self.added_frames
                    .insert(name.clone(), Rc::new(frame.clone()));
                vec![FeatureEvent::EntitiesAdded {
                    name: name.clone(),
                    rows: frame.rows.len() as u64,
                }]
            }
        })
    }

    fn known_view(&self, view: &str) -> Result<(), FeatureError> {
        self.repo.view(view).map(|_| ())
    }

    fn check_request(&self, features: &[FeatureRef]) -> Result<(), FeatureError> {
        if features.is_empty() || features.len() > REQUESTED_FEATURES_MAX {
            return Err(FeatureError::new(
                format!("a request names {} features", features.len()),
                format!("request between 1 and {REQUESTED_FEATURES_MAX} features"),
            ));
        }
        for feature in features {
            if feature.view.len() > NAME_LEN_MAX || feature.feature.len() > NAME_LEN_MAX {
                return Err(FeatureError::new(
                    format!("`{feature}` is too long a name"),
                    format!("names have at most {NAME_LEN_MAX} characters"),
                ));
            }
            self.known_view(&feature.view)?;
        }
        // The join itself checks every feature and name collisions, with its own hints.
        let frame = self.current_frame()?;
        let empty = crate::model::EntityFrame {
            columns: frame.columns.clone(),
            rows: Vec::new(),
            timestamp_column: frame.timestamp_column,
        };
        get_historical_features(&self.repo, &self.sources, &empty, features, self.options)
            .map(|_| ())
    }

    fn unknown_frame(&self, frame: &str) -> FeatureError {
        FeatureError::new(
            format!("there are no entity rows named `{frame}`"),
            format!("pick one of {}", self.frame_names().join(", ")),
        )
    }

    /// Added entity rows must be well formed and within the journal's limits.
    fn check_added_frame(&self, name: &str, frame: &EntityFrame) -> Result<(), FeatureError> {
        let refuse = |message: String, hint: &str| Err(FeatureError::new(message, hint));
        if name.is_empty() || name.len() > NAME_LEN_MAX || self.world.frames.contains_key(name) {
            return refuse(
                format!("`{name}` cannot name your entity rows"),
                "pick a short name that no sample uses, such as my_rides",
            );
        }
        let width = frame.columns.len();
        if width == 0
            || width > ADDED_ENTITY_COLUMNS_MAX
            || frame.rows.len() > ADDED_ENTITY_ROWS_MAX
        {
            return refuse(
                format!("{} rows of {width} columns are too many or too few", frame.rows.len()),
                &format!("add 1 to {ADDED_ENTITY_COLUMNS_MAX} columns and at most {ADDED_ENTITY_ROWS_MAX} rows"),
            );
        }
        if let Some(column) = frame
            .columns
            .iter()
            .find(|c| c.is_empty() || c.len() > NAME_LEN_MAX)
        {
            return refuse(
                format!("the column name `{column}` is empty or too long"),
                "name columns with at most 64 characters",
            );
        }
        if frame.timestamp_column >= width || frame.rows.iter().any(|row| row.len() != width) {
            return refuse(
                "the entity rows are ragged or lack their timestamp column".into(),
                "give every row the same columns, with event_timestamp among them",
            );
        }
        for row in &frame.rows {
            if !matches!(
                row[frame.timestamp_column],
                FeatureValue::Timestamp(_) | FeatureValue::Null
            ) {
                return refuse(
                    "an entity row's event_timestamp is not a time".into(),
                    "write times such as 2024-03-12 08:30:00",
                );
            }
            if row
                .iter()
                .any(|v| matches!(v, FeatureValue::Str(t) if t.len() > TEXT_LEN_MAX))
            {
                return refuse(
                    format!("a value is longer than {TEXT_LEN_MAX} characters"),
                    "shorten the text values",
                );
            }
        }
        Ok(())
    }

    /// An added view must be new, over known entities, with distinct typed features, and rows
    /// that fit it and the journal's limits.
    fn check_added_view(&self, view: &FeatureView, rows: &ViewRows) -> Result<(), FeatureError> {
        let refuse = |message: String, hint: &str| Err(FeatureError::new(message, hint));
        let name_ok = |n: &str| !n.is_empty() && n.len() <= NAME_LEN_MAX;
        if !name_ok(&view.name) || self.repo.views.iter().any(|v| v.name == view.name) {
            return refuse(
                format!("`{}` cannot name a new feature view", view.name),
                "pick a short name no view has, such as my_driver_stats",
            );
        }
        let join_keys = self.repo.join_keys(view)?;
        if view.features.is_empty() || view.features.len() > ADDED_VIEW_FEATURES_MAX {
            return refuse(
                format!("a view with {} features", view.features.len()),
                &format!("give 1 to {ADDED_VIEW_FEATURES_MAX} feature columns"),
            );
        }
        for (i, feature) in view.features.iter().enumerate() {
            let clash = join_keys.contains(&feature.name)
                || feature.name == view.source.timestamp_field
                || view.features[..i].iter().any(|f| f.name == feature.name);
            if !name_ok(&feature.name) || clash {
                return refuse(
                    format!(
                        "the feature name `{}` is empty, too long or used twice",
                        feature.name
                    ),
                    "name each feature column once, apart from the keys and the times",
                );
            }
        }
        if rows.rows.len() > ADDED_ENTITY_ROWS_MAX {
            return refuse(
                format!("{} rows are too many", rows.rows.len()),
                &format!("add at most {ADDED_ENTITY_ROWS_MAX} rows"),
            );
        }
        for row in rows.rows.iter() {
            let typed = row
                .values
                .iter()
                .zip(&view.features)
                .all(|(value, feature)| value.dtype().is_none_or(|dtype| dtype == feature.dtype));
            let long = row
                .keys
                .0
                .iter()
                .chain(&row.values)
                .any(|v| matches!(v, FeatureValue::Str(t) if t.len() > TEXT_LEN_MAX));
            if row.keys.0.len() != join_keys.len()
                || row.values.len() != view.features.len()
                || !typed
                || long
            {
                return refuse(
                    format!("a row of `{}` does not fit its definition", view.name),
                    "give every row its keys, its times and one value of the declared type per feature",
                );
            }
        }
        Ok(())
    }

    /// A fingerprint of everything that can change (the world follows from the seed).
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        for view in &self.repo.views {
            hasher.str(&view.name);
            hasher.u64(view.ttl.map_or(0, |d| d.0 as u64));
            // A view the learner added: its definition and rows are state, not the world's.
            if !self.world.sources.contains_key(&view.name) {
                for feature in &view.features {
                    hasher.str(&feature.name);
                    hasher.str(feature.dtype.name());
                }
                for row in self
                    .sources
                    .get(&view.name)
                    .iter()
                    .flat_map(|r| r.rows.iter())
                {
                    for value in row.keys.0.iter().chain(&row.values) {
                        value.hash_into(hasher);
                    }
                    hasher.u64(row.event_ts.map_or(0, |t| t.0 as u64));
                    hasher.u64(row.created_ts.map_or(0, |t| t.0 as u64));
                    hasher.u64(row.seq);
                }
            }
        }
        hasher.str(&self.entity_frame);
        hasher.u64(self.requested.len() as u64);
        for feature in &self.requested {
            hasher.str(&feature.view);
            hasher.str(&feature.feature);
        }
        hasher.str(self.join.name());
        hasher.u64(u64::from(self.options.created_cutoff));
        hasher.u64(u64::from(self.options.full_feature_names));
        hasher.u64(u64::from(self.enforce_ttl_online));
        self.online.hash_into(hasher);
        hasher.u64(self.added_frames.len() as u64);
        for (name, frame) in &self.added_frames {
            hasher.str(name);
            hasher.u64(frame.timestamp_column as u64);
            for column in &frame.columns {
                hasher.str(column);
            }
            for value in frame.rows.iter().flatten() {
                value.hash_into(hasher);
            }
        }
    }
}

fn check_range(start_us: i64, end_us: i64) -> Result<(), FeatureError> {
    if end_us < start_us || end_us.saturating_sub(start_us) > RANGE_US_MAX {
        return Err(FeatureError::new(
            "the time range is empty, reversed or longer than 60 days",
            "give a start before the end, at most 60 days apart",
        ));
    }
    Ok(())
}
