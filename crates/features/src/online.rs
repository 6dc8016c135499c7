//! The online store: the latest value of every feature per entity key, as a model reads it when
//! it serves a prediction.
//!
//! Feast copies rows from the offline sources into a key-value store ("materialization") and
//! serves reads from there. What the store holds is only the latest row per key that some
//! materialization wrote, so what a model sees online depends on when and in which order the
//! intervals were materialized, and on how the store resolves a write of an older row:
//!
//! - [`WritePolicy::LastWriteWins`] is Feast's SQLite online store (`INSERT ... ON CONFLICT DO
//!   UPDATE`): every write replaces the stored row, even one with an older event time, so
//!   materializing an older interval after a newer one puts stale values back.
//! - [`WritePolicy::EventTimeGuarded`] is Feast's Redis online store: a write is skipped when its
//!   event time is not after the stored one, so of two rows with equal event times the first
//!   written stays. (Redis compares whole seconds; the lab compares microseconds.)
//!
//! The store has no clock: every operation is handed the time it happens at. Every read
//! ([`OnlineStore::get_online_features`]) is logged in a bounded [`FeatureLog`], which
//! [`crate::skew`] compares with the offline point-in-time join. Materialization lives in
//! `online/materialize.rs`, reads in `online/read.rs`, the log in `online/feature_log.rs`.

mod feature_log;
mod materialize;
mod push;
mod read;

pub use feature_log::{FeatureLog, LogEntry, FEATURE_LOG_LIMIT};

/// How many materialization runs the history keeps (the oldest are dropped and counted).
pub const RUN_HISTORY_LIMIT: usize = 1_000;
pub use materialize::{MaterializationRun, MaterializeKind, ViewMaterialization};
pub use push::OnlinePush;
pub use read::{
    FieldStatus, OnlineEntityRows, OnlineFeature, OnlineReadOptions, OnlineResponse, OnlineRow,
};

use crate::model::FeatureView;
use crate::value::{DurationUs, FeatureValue, KeyTuple, TimestampUs};
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;

/// How the store resolves a write for a key it already holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WritePolicy {
    /// Every write replaces the stored row, even with an older event time (Feast's SQLite store).
    LastWriteWins,
    /// A write whose event time is not after the stored one is skipped (Feast's Redis store).
    EventTimeGuarded,
}

impl WritePolicy {
    /// A short name for the UI and the CLI.
    pub fn label(self) -> &'static str {
        match self {
            WritePolicy::LastWriteWins => "last write wins",
            WritePolicy::EventTimeGuarded => "event-time guarded",
        }
    }

    /// Whether a row with `incoming` event time replaces a stored row with `stored` event time.
    fn replaces(self, stored: TimestampUs, incoming: TimestampUs) -> bool {
        match self {
            WritePolicy::LastWriteWins => true,
            WritePolicy::EventTimeGuarded => incoming > stored,
        }
    }

    fn tag(self) -> u64 {
        match self {
            WritePolicy::LastWriteWins => 0,
            WritePolicy::EventTimeGuarded => 1,
        }
    }
}

/// What the store holds for one key of one view: the source row the last accepted write carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRow {
    /// One value per feature of the table, in [`ViewTable::features`] order.
    pub values: Vec<FeatureValue>,
    pub event_ts: TimestampUs,
    pub created_ts: Option<TimestampUs>,
    /// The source row's ingestion order (identifies the row for the skew report).
    pub seq: u64,
    /// The newest event time any write ever stored for this key: after an out-of-order overwrite
    /// it is later than `event_ts`.
    pub newest_written_ts: TimestampUs,
}

/// One view's table in the store: its layout when it was first written, and a row per key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewTable {
    pub join_keys: Vec<String>,
    pub features: Vec<String>,
    pub rows: BTreeMap<KeyTuple, StoredRow>,
}

impl ViewTable {
    /// The newest event time stored for any key.
    pub fn newest_event_ts(&self) -> Option<TimestampUs> {
        self.rows.values().map(|row| row.event_ts).max()
    }

    /// Whether the table was laid out for `view`'s current definition.
    fn matches_layout(&self, join_keys: &[String], view: &FeatureView) -> bool {
        self.join_keys == join_keys
            && self
                .features
                .iter()
                .eq(view.features.iter().map(|feature| &feature.name))
    }
}

/// The online store: tables by view name, the materialization history and the feature log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineStore {
    policy: WritePolicy,
    tables: BTreeMap<String, ViewTable>,
    /// Per view, the end of the latest interval materialized (Feast's `most_recent_end_time`).
    most_recent_ends: BTreeMap<String, TimestampUs>,
    /// The latest runs, at most [`RUN_HISTORY_LIMIT`].
    runs: Vec<MaterializationRun>,
    runs_dropped: u64,
    log: FeatureLog,
}

impl OnlineStore {
    /// An empty store with the given write policy and a feature log of [`FEATURE_LOG_LIMIT`].
    pub fn new(policy: WritePolicy) -> OnlineStore {
        OnlineStore::with_log_limit(policy, FEATURE_LOG_LIMIT)
    }

    /// An empty store whose feature log keeps at most `log_limit` entries.
    pub fn with_log_limit(policy: WritePolicy, log_limit: usize) -> OnlineStore {
        OnlineStore {
            policy,
            tables: BTreeMap::new(),
            most_recent_ends: BTreeMap::new(),
            runs: Vec::new(),
            runs_dropped: 0,
            log: FeatureLog::new(log_limit),
        }
    }

    pub fn policy(&self) -> WritePolicy {
        self.policy
    }

    /// Changes how later writes are resolved; what is stored stays as it is.
    pub fn set_policy(&mut self, policy: WritePolicy) {
        self.policy = policy;
    }

    /// The table of `view`, if anything was ever materialized for it.
    pub fn table(&self, view: &str) -> Option<&ViewTable> {
        self.tables.get(view)
    }

    /// What the store holds for `keys` (in the view's join-key order) of `view`.
    pub fn stored(&self, view: &str, keys: &KeyTuple) -> Option<&StoredRow> {
        self.tables.get(view)?.rows.get(keys)
    }

    /// The latest materialization runs (at most [`RUN_HISTORY_LIMIT`]), oldest first.
    pub fn runs(&self) -> &[MaterializationRun] {
        &self.runs
    }

    /// How many older runs the history dropped.
    pub fn runs_dropped(&self) -> u64 {
        self.runs_dropped
    }

    /// The reads logged so far (bounded; see [`FeatureLog`]).
    pub fn log(&self) -> &FeatureLog {
        &self.log
    }

    /// How old the newest value stored for `view` is at `now`: `now` minus the newest event time
    /// in its table; `None` when nothing is stored for it. (Negative when the store holds values
    /// stamped after `now`.)
    pub fn freshness(&self, view: &str, now: TimestampUs) -> Option<DurationUs> {
        let newest = self.tables.get(view)?.newest_event_ts()?;
        Some(DurationUs(now.0.saturating_sub(newest.0)))
    }

    /// The end of the latest interval materialized for `view` (Feast's `most_recent_end_time`).
    pub fn most_recent_end(&self, view: &str) -> Option<TimestampUs> {
        self.most_recent_ends.get(view).copied()
    }

    /// Feeds the whole state to a state hash.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.policy.tag());
        hasher.u64(self.tables.len() as u64);
        for (name, table) in &self.tables {
            hasher.str(name);
            hash_table(table, hasher);
        }
        hasher.u64(self.most_recent_ends.len() as u64);
        for (view, end) in &self.most_recent_ends {
            hasher.str(view);
            hasher.u64(end.0 as u64);
        }
        hasher.u64(self.runs_dropped);
        hasher.u64(self.runs.len() as u64);
        for run in &self.runs {
            run.hash_into(hasher);
        }
        self.log.hash_into(hasher);
    }
}

fn hash_table(table: &ViewTable, hasher: &mut StateHasher) {
    hash_names(&table.join_keys, hasher);
    hash_names(&table.features, hasher);
    hasher.u64(table.rows.len() as u64);
    for (keys, row) in &table.rows {
        keys.hash_into(hasher);
        hasher.u64(row.values.len() as u64);
        for value in &row.values {
            value.hash_into(hasher);
        }
        hash_timestamp(Some(row.event_ts), hasher);
        hash_timestamp(row.created_ts, hasher);
        hasher.u64(row.seq);
        hash_timestamp(Some(row.newest_written_ts), hasher);
    }
}

fn hash_names(names: &[String], hasher: &mut StateHasher) {
    hasher.u64(names.len() as u64);
    for name in names {
        hasher.str(name);
    }
}

/// An optional instant, with a presence tag so `None` and any instant differ.
fn hash_timestamp(ts: Option<TimestampUs>, hasher: &mut StateHasher) {
    match ts {
        None => hasher.u64(0),
        Some(ts) => {
            hasher.u64(1);
            hasher.u64(ts.0 as u64);
        }
    }
}

/// A view's TTL when it bounds anything (`None` and zero are unbounded, as in Feast).
fn bounded_ttl(view: &FeatureView) -> Option<DurationUs> {
    view.ttl.filter(|ttl| ttl.0 > 0)
}
