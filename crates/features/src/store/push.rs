//! Push sources: views fed as events happen rather than from a batch table, as Feast's
//! `FeatureStore.push` does with a `PushSource` (push mode online, offline, or both). The lab's
//! stream jobs push their windowed aggregates this way, and a live topic's records reach a view
//! through it, so a feature's freshness follows the stream that writes it.

use super::FeatureStore;
use crate::model::{Entity, FeatureError, FeatureRow, FeatureView, ViewRows};
use crate::online::OnlinePush;
use std::rc::Rc;

/// Where pushed rows go (Feast's `PushMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushMode {
    /// The online store only: serving sees them, training sets do not.
    Online,
    /// The view's offline rows only: training sets see them, serving waits for materialization.
    Offline,
    /// Both.
    OnlineAndOffline,
}

/// What one push did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushReport {
    pub rows: u64,
    pub online: OnlinePush,
}

impl FeatureStore {
    /// Defines a pushed view and its entity (unless an entity of that name exists) with no rows
    /// yet. Part of building a lab's starting state, not a learner's command.
    pub fn define_push_view(
        &mut self,
        entity: Entity,
        view: FeatureView,
    ) -> Result<(), FeatureError> {
        if !self.repo.entities.iter().any(|e| e.name == entity.name) {
            self.repo.entities.push(entity);
        }
        self.check_added_view(&view, &ViewRows::default())?;
        Rc::make_mut(&mut self.sources).insert(view.name.clone(), ViewRows::default());
        self.repo.views.push(view);
        self.derived = Default::default();
        Ok(())
    }

    /// Appends `rows` to a view: their `seq` is renumbered after the view's last row, so
    /// ingestion order stays the order of pushes.
    pub fn push(
        &mut self,
        view: &str,
        mut rows: Vec<FeatureRow>,
        mode: PushMode,
    ) -> Result<PushReport, FeatureError> {
        let definition = self.repo.view(view)?.clone();
        let join_keys = self.repo.join_keys(&definition)?;
        let sources = Rc::make_mut(&mut self.sources);
        let offline = sources.entry(view.to_string()).or_default();
        let next_seq = offline.rows.last().map_or(0, |row| row.seq + 1);
        for (i, row) in rows.iter_mut().enumerate() {
            row.seq = next_seq + i as u64;
        }
        let online = match mode {
            PushMode::Offline => OnlinePush::default(),
            PushMode::Online | PushMode::OnlineAndOffline => {
                self.online.push_rows(&definition, &join_keys, &rows)
            }
        };
        let report = PushReport {
            rows: rows.len() as u64,
            online,
        };
        if mode != PushMode::Online {
            Rc::make_mut(&mut offline.rows).extend(rows);
        }
        self.derived = Default::default();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureDef, ViewSource};
    use crate::value::{Dtype, FeatureValue, KeyTuple, TimestampUs};

    fn clicks_view() -> (Entity, FeatureView) {
        let entity = Entity {
            name: "visitor".into(),
            join_keys: vec!["visitor_id".into()],
        };
        let view = FeatureView {
            name: "visitor_clicks".into(),
            entities: vec!["visitor".into()],
            ttl: None,
            source: ViewSource {
                table: "clicks".into(),
                timestamp_field: "event_timestamp".into(),
                created_timestamp_column: None,
            },
            features: vec![FeatureDef {
                name: "clicks_1m".into(),
                dtype: Dtype::Int64,
            }],
        };
        (entity, view)
    }

    fn row(key: &str, at_us: i64, clicks: i64) -> FeatureRow {
        FeatureRow {
            keys: KeyTuple(vec![FeatureValue::text(key)]),
            event_ts: Some(TimestampUs(at_us)),
            created_ts: None,
            seq: 0,
            values: vec![FeatureValue::Int(clicks)],
        }
    }

    #[test]
    fn pushed_rows_reach_the_modes_they_name() {
        let mut store = FeatureStore::new();
        let (entity, view) = clicks_view();
        store.define_push_view(entity, view).unwrap();
        let online_only = store
            .push("visitor_clicks", vec![row("u1", 10, 3)], PushMode::Online)
            .unwrap();
        assert_eq!(online_only.online.written, 1);
        assert!(store.sources()["visitor_clicks"].rows.is_empty());
        store
            .push(
                "visitor_clicks",
                vec![row("u1", 20, 4), row("u2", 5, 1)],
                PushMode::OnlineAndOffline,
            )
            .unwrap();
        let offline = &store.sources()["visitor_clicks"].rows;
        assert_eq!(offline.iter().map(|r| r.seq).collect::<Vec<_>>(), [0, 1]);
        let stored = store
            .online()
            .stored("visitor_clicks", &KeyTuple(vec![FeatureValue::text("u1")]))
            .unwrap();
        assert_eq!(stored.event_ts, TimestampUs(20));
    }

    #[test]
    fn a_push_to_an_unknown_view_is_refused_and_a_clash_too() {
        let mut store = FeatureStore::new();
        assert!(store.push("nope", vec![], PushMode::Online).is_err());
        let (entity, view) = clicks_view();
        store
            .define_push_view(entity.clone(), view.clone())
            .unwrap();
        assert!(store.define_push_view(entity, view).is_err());
    }
}
