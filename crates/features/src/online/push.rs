//! Rows pushed into the online store one by one, as a stream job writes them (Feast's push
//! sources): each row goes through the store's write policy like a materialized one.

use super::materialize::write_row;
use super::{OnlineStore, ViewTable};
use crate::model::{FeatureRow, FeatureView};
use std::collections::BTreeMap;

/// What one push did to the online table of a view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnlinePush {
    /// Rows stored (a new key, or a newer value under the policy).
    pub written: u64,
    /// Rows the event-time guard refused (older than what the key holds).
    pub refused: u64,
    /// Rows with a NULL key or event time, which no read could find.
    pub unusable: u64,
}

impl OnlineStore {
    /// Writes each row for its keys under the store's write policy, in order.
    pub fn push_rows(
        &mut self,
        view: &FeatureView,
        join_keys: &[String],
        rows: &[FeatureRow],
    ) -> OnlinePush {
        let policy = self.policy;
        let table = self.tables.entry(view.name.clone()).or_default();
        if !table.matches_layout(join_keys, view) {
            *table = ViewTable {
                join_keys: join_keys.to_vec(),
                features: view.features.iter().map(|f| f.name.clone()).collect(),
                rows: BTreeMap::new(),
            };
        }
        let mut push = OnlinePush::default();
        for row in rows {
            match row.event_ts {
                Some(event_ts) if !row.keys.has_null() => {
                    if write_row(table, policy, &row.keys, event_ts, row) {
                        push.written += 1;
                    } else {
                        push.refused += 1;
                    }
                }
                _ => push.unusable += 1,
            }
        }
        push
    }
}
