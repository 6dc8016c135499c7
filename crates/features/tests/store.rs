//! The feature store as a lab engine: refused commands change nothing, every command's journal
//! bytes decode to the same command, and the derived facts follow the state (the naive join
//! leaks, serving fills the log the skew report reads).

use features::model::{
    EntityFrame, FeatureDef, FeatureRef, FeatureRow, FeatureView, ViewRows, ViewSource,
};
use features::online::WritePolicy;
use features::store::command::{FeatureCommand, JoinKind};
use features::store::command_codec::{decode, encode};
use features::store::FeatureStore;
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use proptest::prelude::*;
use sim::codec::{Reader, Writer};
use sim::state_hash::StateHasher;

fn at(text: &str) -> TimestampUs {
    TimestampUs::parse(text).unwrap()
}

fn hash(store: &FeatureStore) -> u64 {
    let mut hasher = StateHasher::new();
    store.hash_into(&mut hasher);
    hasher.finish()
}

#[test]
fn refused_commands_change_nothing_and_say_why() {
    let mut store = FeatureStore::new();
    let before = (store.clone(), hash(&store));
    let refused = [
        FeatureCommand::UseEntities {
            frame: "nope".into(),
        },
        FeatureCommand::Request { features: vec![] },
        FeatureCommand::Request {
            features: vec![FeatureRef::parse("driver_hourly_stats:nope").unwrap()],
        },
        FeatureCommand::SetTtl {
            view: "driver_hourly_stat".into(),
            ttl: None,
        },
        FeatureCommand::SetTtl {
            view: "driver_hourly_stats".into(),
            ttl: Some(DurationUs(-5)),
        },
        FeatureCommand::Materialize {
            views: vec![],
            start: at("2024-03-05"),
            end: at("2024-03-01"),
        },
        FeatureCommand::ReadOnline {
            keys: vec![],
            at: at("2024-03-05"),
        },
        FeatureCommand::Serve {
            from: at("2024-03-05"),
            to: at("2024-03-06"),
            materialize_every: DurationUs(1),
        },
    ];
    for command in refused {
        let error = store.apply(&command).unwrap_err();
        assert!(
            !error.message.is_empty() && !error.hint.is_empty(),
            "{command:?}"
        );
        assert_eq!((store.clone(), hash(&store)), before, "{command:?}");
    }
    let typo = store
        .apply(&FeatureCommand::SetTtl {
            view: "driver_hourly_stat".into(),
            ttl: None,
        })
        .unwrap_err();
    assert!(typo.hint.contains("driver_hourly_stats"), "{typo}");
}

#[test]
fn the_naive_join_takes_values_from_the_future_and_inflates_offline_auc() {
    let mut store = FeatureStore::new();
    let pit = store.derived().clone();
    assert_eq!(pit.counts.future_values, 0);
    store
        .apply(&FeatureCommand::SetJoin {
            join: JoinKind::LatestValue,
        })
        .unwrap();
    let naive = store.derived();
    assert!(naive.counts.future_values > 1000);
    let gap = |e: &features::evaluate::Evaluation| e.offline_auc - e.later_auc;
    let naive_gap = gap(naive.evaluation.as_ref().unwrap().as_ref().unwrap());
    let pit_gap = gap(pit.evaluation.as_ref().unwrap().as_ref().unwrap());
    assert!(naive_gap > pit_gap + 0.1, "{naive_gap} vs {pit_gap}");
}

#[test]
fn serving_logs_reads_that_the_skew_report_compares() {
    let mut store = FeatureStore::new();
    store
        .apply(&FeatureCommand::Serve {
            from: at("2024-03-11"),
            to: at("2024-03-12"),
            materialize_every: DurationUs::from_seconds(6 * 3600),
        })
        .unwrap();
    let counts = store.derived().counts;
    assert!(counts.reads > 0);
    assert_eq!(counts.materializations, 4);
    assert!(counts.compared_values > 0);
    // Six-hourly materialization serves values up to six hours (and a bit) old.
    assert!(counts.served_age_max_minutes >= 6 * 60);
    // A second serve of the same day would have to materialize back in time: refused whole.
    let before = store.clone();
    assert!(store
        .apply(&FeatureCommand::Serve {
            from: at("2024-03-11"),
            to: at("2024-03-12"),
            materialize_every: DurationUs::from_seconds(3600),
        })
        .is_err());
    assert_eq!(store, before);
}

/// Any value a command can carry (NaN and -0.0 included: the journal keeps their bits).
fn value() -> impl Strategy<Value = FeatureValue> {
    prop_oneof![
        Just(FeatureValue::Null),
        any::<i64>().prop_map(FeatureValue::Int),
        "[a-z0-9]{0,8}".prop_map(|s| FeatureValue::text(&s)),
        any::<f64>().prop_map(FeatureValue::Float),
        any::<bool>().prop_map(FeatureValue::Bool),
        any::<i64>().prop_map(|us| FeatureValue::Timestamp(TimestampUs(us))),
    ]
}

fn command() -> impl Strategy<Value = FeatureCommand> {
    let name = "[a-z_]{1,20}";
    let ts = (-1_000_000_000_000_000i64..4_000_000_000_000_000).prop_map(TimestampUs);
    let feature = (name, name).prop_map(|(view, feature)| FeatureRef { view, feature });
    let key = prop_oneof![
        Just(FeatureValue::Null),
        any::<i64>().prop_map(FeatureValue::Int),
        "[a-z0-9]{0,8}".prop_map(|s| FeatureValue::text(&s)),
    ];
    prop_oneof![
        name.prop_map(|frame| FeatureCommand::UseEntities { frame }),
        proptest::collection::vec(feature, 0..5)
            .prop_map(|features| FeatureCommand::Request { features }),
        prop_oneof![Just(JoinKind::PointInTime), Just(JoinKind::LatestValue)]
            .prop_map(|join| FeatureCommand::SetJoin { join }),
        any::<bool>().prop_map(|on| FeatureCommand::SetCreatedCutoff { on }),
        any::<bool>().prop_map(|on| FeatureCommand::SetFullFeatureNames { on }),
        (name, proptest::option::of(1i64..i64::MAX)).prop_map(|(view, ttl)| {
            FeatureCommand::SetTtl {
                view,
                ttl: ttl.map(DurationUs),
            }
        }),
        prop_oneof![
            Just(WritePolicy::LastWriteWins),
            Just(WritePolicy::EventTimeGuarded)
        ]
        .prop_map(|policy| FeatureCommand::SetWritePolicy { policy }),
        any::<bool>().prop_map(|enforce| FeatureCommand::SetOnlineTtl { enforce }),
        (
            proptest::collection::vec(name, 0..3),
            ts.clone(),
            ts.clone()
        )
            .prop_map(|(views, start, end)| FeatureCommand::Materialize {
                views,
                start,
                end
            }),
        ts.clone()
            .prop_map(|end| FeatureCommand::MaterializeIncremental { end }),
        (proptest::collection::vec(key, 0..4), ts.clone())
            .prop_map(|(keys, at)| FeatureCommand::ReadOnline { keys, at }),
        (
            name,
            proptest::collection::vec(proptest::collection::vec(value(), 3), 0..4)
        )
            .prop_map(|(name, rows)| FeatureCommand::AddEntities {
                name,
                frame: EntityFrame {
                    columns: vec!["a".into(), "event_timestamp".into(), "c".into()],
                    rows,
                    timestamp_column: 1,
                },
            }),
        (
            name,
            proptest::collection::vec((value(), value(), proptest::option::of(any::<i64>())), 0..4)
        )
            .prop_map(|(name, rows)| {
                FeatureCommand::AddView {
                    view: FeatureView {
                        name: name.clone(),
                        entities: vec!["driver".into()],
                        ttl: None,
                        source: ViewSource {
                            table: name,
                            timestamp_field: "event_timestamp".into(),
                            created_timestamp_column: Some("created".into()),
                        },
                        features: vec![FeatureDef {
                            name: "x".into(),
                            dtype: Dtype::Float64,
                        }],
                    },
                    rows: ViewRows::from(
                        rows.into_iter()
                            .enumerate()
                            .map(|(seq, (key, x, at))| FeatureRow {
                                keys: KeyTuple(vec![key]),
                                event_ts: at.map(TimestampUs),
                                created_ts: None,
                                seq: seq as u64,
                                values: vec![x],
                            })
                            .collect::<Vec<_>>(),
                    ),
                }
            }),
        (ts.clone(), ts, 0i64..86_400_000_000).prop_map(|(from, to, every)| {
            FeatureCommand::Serve {
                from,
                to,
                materialize_every: DurationUs(every),
            }
        }),
    ]
}

proptest! {
    #[test]
    fn journal_bytes_round_trip(command in command()) {
        let mut w = Writer::new();
        encode(&mut w, &command);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        prop_assert_eq!(decode(&mut r).unwrap(), command);
        prop_assert!(r.finish().is_ok());
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = decode(&mut Reader::new(&bytes));
    }
}
