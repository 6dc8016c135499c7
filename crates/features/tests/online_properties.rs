//! Property: materializing all of time, then reading, gives what the naive latest-value join
//! gives (the latest row per key by event time, created time and ingestion order), for both
//! write policies, any rows (NULL keys, times and created times, many ties) and any entity rows.

use features::historical::{latest_value_join, HistoricalOptions, ViewMatch};
use features::model::{
    Entity, EntityFrame, FeatureDef, FeatureRef, FeatureRepo, FeatureRow, FeatureView, ViewRows,
    ViewSource,
};
use features::online::{
    FieldStatus, OnlineEntityRows, OnlineReadOptions, OnlineStore, WritePolicy,
};
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Views `a` (keyed by k1, TTL 3) and `b` (keyed by k1, k2, no TTL).
fn repo() -> FeatureRepo {
    let entity = |name: &str, key: &str| Entity {
        name: name.to_string(),
        join_keys: vec![key.to_string()],
    };
    let view = |name: &str, entities: &[&str], ttl: Option<DurationUs>| FeatureView {
        name: name.to_string(),
        entities: entities.iter().map(|e| e.to_string()).collect(),
        ttl,
        source: ViewSource {
            table: name.to_string(),
            timestamp_field: "ts".to_string(),
            created_timestamp_column: Some("created".to_string()),
        },
        features: vec![
            FeatureDef {
                name: format!("{name}_seq"),
                dtype: Dtype::Int64,
            },
            FeatureDef {
                name: format!("{name}_flag"),
                dtype: Dtype::Bool,
            },
        ],
    };
    FeatureRepo {
        entities: vec![entity("one", "k1"), entity("two", "k2")],
        views: vec![
            view("a", &["one"], Some(DurationUs(3))),
            view("b", &["one", "two"], None),
        ],
        services: Vec::new(),
    }
}

fn key_part() -> impl Strategy<Value = FeatureValue> {
    prop_oneof![1 => Just(FeatureValue::Null), 6 => (0i64..3).prop_map(FeatureValue::Int)]
}

fn time() -> impl Strategy<Value = Option<TimestampUs>> {
    prop_oneof![1 => Just(None), 6 => (0i64..6).prop_map(|t| Some(TimestampUs(t)))]
}

/// Rows of one view with `key_parts` key columns; values name the row (`seq`) so a wrong pick shows.
fn view_rows(key_parts: usize) -> impl Strategy<Value = ViewRows> {
    prop::collection::vec(
        (
            prop::collection::vec(key_part(), key_parts),
            time(),
            time(),
            any::<bool>(),
        ),
        0..14,
    )
    .prop_map(|rows| ViewRows {
        rows: std::rc::Rc::new(
            rows.into_iter()
                .enumerate()
                .map(|(seq, (keys, event_ts, created_ts, flag))| FeatureRow {
                    keys: KeyTuple(keys),
                    event_ts,
                    created_ts,
                    seq: seq as u64,
                    values: vec![FeatureValue::Int(seq as i64), FeatureValue::Bool(flag)],
                })
                .collect(),
        ),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn materializing_everything_then_reading_is_the_latest_value_join(
        a in view_rows(1),
        b in view_rows(2),
        entity_keys in prop::collection::vec((key_part(), key_part(), 0i64..8), 0..8),
        guarded in any::<bool>(),
        request_ts in 0i64..10,
    ) {
        let repo = repo();
        let sources: BTreeMap<String, ViewRows> =
            [("a".to_string(), a), ("b".to_string(), b)].into_iter().collect();
        let refs: Vec<FeatureRef> = ["b:b_flag", "a:a_seq", "b:b_seq", "a:a_flag"]
            .iter()
            .map(|r| FeatureRef::parse(r).unwrap())
            .collect();
        let policy = if guarded { WritePolicy::EventTimeGuarded } else { WritePolicy::LastWriteWins };
        let mut store = OnlineStore::new(policy);
        store.materialize(&repo, &sources, &[], TimestampUs(i64::MIN), TimestampUs(i64::MAX)).unwrap();
        let columns = vec!["k1".to_string(), "k2".to_string(), "event_timestamp".to_string()];
        let rows: Vec<Vec<FeatureValue>> = entity_keys
            .iter()
            .map(|(k1, k2, ts)| vec![k1.clone(), k2.clone(), FeatureValue::Timestamp(TimestampUs(*ts))])
            .collect();
        let online = store
            .get_online_features(
                &repo,
                &refs,
                &OnlineEntityRows { columns: columns.clone(), rows: rows.clone() },
                TimestampUs(request_ts),
                OnlineReadOptions::default(),
            )
            .unwrap();
        let frame = EntityFrame { columns, rows, timestamp_column: 2 };
        let naive = latest_value_join(&repo, &sources, &frame, &refs, HistoricalOptions::default()).unwrap();
        prop_assert_eq!(naive.rows.len(), online.rows.len());
        // Views in first-reference order: b, then a.
        let view_of_ref = [0usize, 1, 0, 1];
        for (row, (naive_row, matches)) in online.rows.iter().zip(naive.rows.iter().zip(&naive.matches)) {
            for (i, served) in row.features.iter().enumerate() {
                prop_assert_eq!(&served.value, &naive_row[3 + i]);
                match &matches[view_of_ref[i]] {
                    ViewMatch::Matched { event_ts, .. } => {
                        prop_assert_eq!(served.status, FieldStatus::Present);
                        prop_assert_eq!(served.event_ts, Some(*event_ts));
                    }
                    ViewMatch::Missing(_) => {
                        prop_assert_eq!(served.status, FieldStatus::NotFound);
                    }
                }
            }
        }
    }
}
