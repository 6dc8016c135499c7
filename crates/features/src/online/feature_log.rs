//! Feature logging: a record of what every online read served, so what a model saw in production
//! can later be compared with what the offline point-in-time join gives for the same entity and
//! time (Feast's feature logging writes the same facts from its feature server to an offline
//! destination). The log is bounded: past its limit the oldest entries are dropped and counted,
//! the way a logging buffer sheds load instead of growing without end.

use super::read::OnlineFeature;
use crate::value::{KeyTuple, TimestampUs};
use sim::state_hash::StateHasher;
use std::collections::VecDeque;

/// How many entries a store's log keeps unless told otherwise.
pub const FEATURE_LOG_LIMIT: usize = 10_000;

/// What one read served for one entity row and one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Which `get_online_features` call this was: 0 for the store's first, then 1, 2, ...
    pub request: u64,
    /// The time the read happened at.
    pub request_ts: TimestampUs,
    pub view: String,
    /// The entity key, in the view's join-key order.
    pub keys: KeyTuple,
    /// The features of this view the read asked for, in request order.
    pub features: Vec<String>,
    /// What was served for each of `features`.
    pub served: Vec<OnlineFeature>,
    /// The ingestion order of the source row the store held, if it held one.
    pub seq: Option<u64>,
    /// That row's created time, if it held one with a created time.
    pub created_ts: Option<TimestampUs>,
    /// The newest event time ever stored for the key, if the store held it: later than the
    /// served event time when an older write had replaced a newer one.
    pub newest_written_ts: Option<TimestampUs>,
}

/// The bounded log of online reads, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureLog {
    limit: usize,
    entries: VecDeque<LogEntry>,
    dropped: u64,
    requests: u64,
}

impl FeatureLog {
    pub(super) fn new(limit: usize) -> FeatureLog {
        FeatureLog {
            limit,
            entries: VecDeque::new(),
            dropped: 0,
            requests: 0,
        }
    }

    /// How many entries the log keeps.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &LogEntry> + '_ {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries were dropped to stay within the limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Numbers the next read.
    pub(super) fn next_request(&mut self) -> u64 {
        let request = self.requests;
        self.requests += 1;
        request
    }

    /// Appends an entry, dropping the oldest ones past the limit.
    pub(super) fn append(&mut self, entry: LogEntry) {
        self.entries.push_back(entry);
        while self.entries.len() > self.limit {
            self.entries.pop_front();
            self.dropped += 1;
        }
    }

    pub(super) fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.limit as u64);
        hasher.u64(self.dropped);
        hasher.u64(self.requests);
        hasher.u64(self.entries.len() as u64);
        for entry in &self.entries {
            hasher.u64(entry.request);
            hasher.u64(entry.request_ts.0 as u64);
            hasher.str(&entry.view);
            entry.keys.hash_into(hasher);
            super::hash_names(&entry.features, hasher);
            for served in &entry.served {
                served.hash_into(hasher);
            }
            hasher.u64(u64::from(entry.seq.is_some()));
            hasher.u64(entry.seq.unwrap_or(0));
            super::hash_timestamp(entry.created_ts, hasher);
            super::hash_timestamp(entry.newest_written_ts, hasher);
        }
    }
}
