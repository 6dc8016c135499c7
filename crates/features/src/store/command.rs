//! What a learner (or a lesson, or a replay) can ask of the feature store, and what happened.
//!
//! A closed set, like the lab's own commands: the journal stores these, so every field is plain
//! data with a named limit, and [`super::command_codec`] gives each variant a tag that never changes.

use crate::model::{EntityFrame, FeatureRef, FeatureView, ViewRows};
use crate::online::WritePolicy;
use crate::value::{DurationUs, FeatureValue, TimestampUs};

/// Most features one request names.
pub const REQUESTED_FEATURES_MAX: usize = 32;
/// Longest view, feature or entity-frame name.
pub const NAME_LEN_MAX: usize = 64;
/// Longest time range one `Serve` or `Materialize` covers: 60 days.
pub const RANGE_US_MAX: i64 = 60 * 86_400 * 1_000_000;
/// Shortest materialization interval of a `Serve`: one minute.
pub const MATERIALIZE_EVERY_US_MIN: i64 = 60 * 1_000_000;
/// Most entity rows a learner may add (pasted as CSV).
pub const ADDED_ENTITY_ROWS_MAX: usize = 5_000;
/// Most features of an added view.
pub const ADDED_VIEW_FEATURES_MAX: usize = 16;
/// Most columns of added entity rows.
pub const ADDED_ENTITY_COLUMNS_MAX: usize = 16;
/// Longest text value a command carries (a key of an online read, a value of added entity rows).
pub const TEXT_LEN_MAX: usize = 256;
/// Most key values an online read names.
pub const KEY_PARTS_MAX: usize = 8;
/// Longest TTL a view can be given: 365 days.
pub const TTL_US_MAX: i64 = 365 * 86_400 * 1_000_000;

/// How a training set takes each view's value for an entity row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// The point-in-time join: the latest row at or before the entity row's time, within the TTL.
    #[default]
    PointInTime,
    /// The naive join: the latest row of the key, whenever it happened (it leaks the future).
    LatestValue,
}

impl JoinKind {
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::PointInTime => "point-in-time",
            JoinKind::LatestValue => "latest-value",
        }
    }
}

/// A change to the feature store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeatureCommand {
    /// Build training sets for this entity frame (one of the samples' entity rows).
    UseEntities { frame: String },
    /// Request these features, in this order.
    Request { features: Vec<FeatureRef> },
    /// The join that builds the training set.
    SetJoin { join: JoinKind },
    /// Leave out rows not yet created at the entity row's time (feast-dev/feast#6617).
    SetCreatedCutoff { on: bool },
    /// Name output columns `view__feature`.
    SetFullFeatureNames { on: bool },
    /// A view's TTL (`None`: unbounded).
    SetTtl {
        view: String,
        ttl: Option<DurationUs>,
    },
    /// How the online store writes a value over an existing one.
    SetWritePolicy { policy: WritePolicy },
    /// Whether online reads mark values older than the view's TTL (Feast does not).
    SetOnlineTtl { enforce: bool },
    /// Copy each key's latest row with `start <= event time <= end` into the online store.
    Materialize {
        views: Vec<String>,
        start: TimestampUs,
        end: TimestampUs,
    },
    /// Materialize every view from where its last run ended up to `end`.
    MaterializeIncremental { end: TimestampUs },
    /// Read the requested features of one entity key online, as a model server would at `at`.
    ReadOnline {
        keys: Vec<FeatureValue>,
        at: TimestampUs,
    },
    /// Serve the entity rows with time in `[from, to)` online, in time order, with a
    /// materialization job that runs every `materialize_every`; every read is logged.
    Serve {
        from: TimestampUs,
        to: TimestampUs,
        materialize_every: DurationUs,
    },
    /// Add a feature view of the learner's own (pasted as CSV and typed by the lab) with its
    /// source rows.
    AddView { view: FeatureView, rows: ViewRows },
    /// Add entity rows of the learner's own (pasted as CSV and typed by the lab) under `name`,
    /// replacing rows added earlier under that name.
    AddEntities { name: String, frame: EntityFrame },
}

/// What a command did: the lab's narration of the feature store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeatureEvent {
    EntitiesChosen {
        frame: String,
        rows: u64,
    },
    FeaturesRequested {
        count: u64,
    },
    JoinChosen {
        join: JoinKind,
    },
    CreatedCutoffSet {
        on: bool,
    },
    FullFeatureNamesSet {
        on: bool,
    },
    TtlChanged {
        view: String,
        from: Option<DurationUs>,
        to: Option<DurationUs>,
    },
    WritePolicyChosen {
        policy: WritePolicy,
    },
    OnlineTtlSet {
        enforce: bool,
    },
    Materialized {
        views: u64,
        rows_written: u64,
        writes_skipped: u64,
    },
    ReadOnline {
        present: u64,
        not_found: u64,
        outside_max_age: u64,
    },
    Served {
        reads: u64,
        materializations: u64,
        rows_written: u64,
    },
    EntitiesAdded {
        name: String,
        rows: u64,
    },
    ViewAdded {
        name: String,
        rows: u64,
    },
}
