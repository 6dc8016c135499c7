//! The online store: materialization under both write policies, incremental intervals, reads with
//! their statuses, the bounded feature log, freshness and the state hash (item 20 of the
//! edge-case list: stale values online, out-of-order materialization), and the skew report that
//! compares logged reads with the offline point-in-time join, one test per cause.

use features::model::{
    Entity, FeatureDef, FeatureError, FeatureRef, FeatureRepo, FeatureRow, FeatureView, ViewRows,
    ViewSource,
};
use features::online::{
    FieldStatus, MaterializeKind, OnlineEntityRows, OnlineReadOptions, OnlineResponse, OnlineStore,
    WritePolicy, RUN_HISTORY_LIMIT,
};
use features::skew::{skew_report, SkewCause, SkewOptions, Verdict};
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;

const HOUR_US: i64 = 3_600_000_000;

fn at_hour(hours: i64) -> TimestampUs {
    TimestampUs(hours * HOUR_US)
}

fn view(
    name: &str,
    entities: &[&str],
    ttl_hours: Option<i64>,
    features: &[(&str, Dtype)],
) -> FeatureView {
    FeatureView {
        name: name.to_string(),
        entities: entities.iter().map(|e| e.to_string()).collect(),
        ttl: ttl_hours.map(|h| DurationUs(h * HOUR_US)),
        source: ViewSource {
            table: format!("{name}_source"),
            timestamp_field: "event_timestamp".to_string(),
            created_timestamp_column: Some("created".to_string()),
        },
        features: features
            .iter()
            .map(|(name, dtype)| FeatureDef {
                name: name.to_string(),
                dtype: *dtype,
            })
            .collect(),
    }
}

/// Drivers (1 h TTL), customers (no TTL), and driver-customer pairs (two join keys, 2 h TTL).
fn repo() -> FeatureRepo {
    FeatureRepo {
        entities: vec![
            Entity {
                name: "driver".to_string(),
                join_keys: vec!["driver_id".to_string()],
            },
            Entity {
                name: "customer".to_string(),
                join_keys: vec!["customer_id".to_string()],
            },
        ],
        views: vec![
            view(
                "driver_stats",
                &["driver"],
                Some(1),
                &[("conv_rate", Dtype::Float64), ("trips", Dtype::Int64)],
            ),
            view(
                "customer_profile",
                &["customer"],
                None,
                &[("tier", Dtype::String)],
            ),
            view(
                "pair_stats",
                &["driver", "customer"],
                Some(2),
                &[("rides", Dtype::Int64)],
            ),
        ],
        services: Vec::new(),
    }
}

fn row(
    keys: &[i64],
    event_h: i64,
    created_h: Option<i64>,
    seq: u64,
    values: Vec<FeatureValue>,
) -> FeatureRow {
    FeatureRow {
        keys: KeyTuple(keys.iter().map(|&k| FeatureValue::Int(k)).collect()),
        event_ts: Some(at_hour(event_h)),
        created_ts: created_h.map(at_hour),
        seq,
        values,
    }
}

fn driver_row(driver: i64, event_h: i64, seq: u64, trips: i64) -> FeatureRow {
    row(
        &[driver],
        event_h,
        Some(event_h),
        seq,
        vec![
            FeatureValue::Float(trips as f64 / 10.0),
            FeatureValue::Int(trips),
        ],
    )
}

fn sources(driver_rows: Vec<FeatureRow>) -> BTreeMap<String, ViewRows> {
    let mut sources = BTreeMap::new();
    sources.insert("driver_stats".to_string(), ViewRows::from(driver_rows));
    sources.insert(
        "customer_profile".to_string(),
        ViewRows::from(vec![
            row(&[7], 1, None, 0, vec![FeatureValue::text("gold")]),
            row(&[8], 2, None, 1, vec![FeatureValue::text("silver")]),
        ]),
    );
    sources.insert(
        "pair_stats".to_string(),
        ViewRows::from(vec![
            row(&[1, 7], 3, None, 0, vec![FeatureValue::Int(11)]),
            row(&[1, 8], 3, None, 1, vec![FeatureValue::Int(12)]),
            row(&[2, 7], 3, None, 2, vec![FeatureValue::Int(21)]),
        ]),
    );
    sources
}

fn refs(names: &[&str]) -> Vec<FeatureRef> {
    names
        .iter()
        .map(|n| FeatureRef::parse(n).unwrap())
        .collect()
}

fn drivers(ids: &[Option<i64>]) -> OnlineEntityRows {
    OnlineEntityRows {
        columns: vec!["driver_id".to_string()],
        rows: ids
            .iter()
            .map(|id| vec![id.map_or(FeatureValue::Null, FeatureValue::Int)])
            .collect(),
    }
}

fn read_trips(
    store: &mut OnlineStore,
    driver: i64,
    at: TimestampUs,
    enforce_ttl: bool,
) -> OnlineResponse {
    let options = OnlineReadOptions {
        full_feature_names: false,
        enforce_ttl,
    };
    store
        .get_online_features(
            &repo(),
            &refs(&["driver_stats:trips"]),
            &drivers(&[Some(driver)]),
            at,
            options,
        )
        .unwrap()
}

fn all_views() -> Vec<String> {
    Vec::new()
}

fn only(view: &str) -> Vec<String> {
    vec![view.to_string()]
}

#[test]
fn stale_value_is_served_present_while_the_ttl_is_not_enforced() {
    let sources = sources(vec![driver_row(1, 10, 0, 5)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(10),
        )
        .unwrap();
    // 30 days later, with a 1 h TTL: Feast still serves it as PRESENT.
    let stale = read_trips(&mut store, 1, at_hour(10 + 30 * 24), false);
    let served = &stale.rows[0].features[0];
    assert_eq!(served.value, FeatureValue::Int(5));
    assert_eq!(served.status, FieldStatus::Present);
    assert_eq!(served.event_ts, Some(at_hour(10)));
    // Enforcing the TTL withholds the value but says how old it was.
    let enforced = read_trips(&mut store, 1, at_hour(10 + 30 * 24), true);
    let served = &enforced.rows[0].features[0];
    assert_eq!(served.value, FeatureValue::Null);
    assert_eq!(served.status, FieldStatus::OutsideMaxAge);
    assert_eq!(served.event_ts, Some(at_hour(10)));
}

#[test]
fn a_value_exactly_ttl_old_is_still_inside_the_max_age() {
    let sources = sources(vec![driver_row(1, 10, 0, 5)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(&repo(), &sources, &all_views(), at_hour(0), at_hour(10))
        .unwrap();
    let boundary = read_trips(&mut store, 1, at_hour(11), true);
    assert_eq!(boundary.rows[0].features[0].status, FieldStatus::Present);
    let past = read_trips(&mut store, 1, TimestampUs(at_hour(11).0 + 1), true);
    assert_eq!(past.rows[0].features[0].status, FieldStatus::OutsideMaxAge);
    // A view without a TTL is never outside its max age.
    let options = OnlineReadOptions {
        full_feature_names: false,
        enforce_ttl: true,
    };
    let customers = OnlineEntityRows {
        columns: vec!["customer_id".to_string()],
        rows: vec![vec![FeatureValue::Int(7)]],
    };
    let tier = store
        .get_online_features(
            &repo(),
            &refs(&["customer_profile:tier"]),
            &customers,
            at_hour(9_000),
            options,
        )
        .unwrap();
    assert_eq!(tier.rows[0].features[0].value, FeatureValue::text("gold"));
    assert_eq!(tier.rows[0].features[0].status, FieldStatus::Present);
}

/// Materializes the newer interval, then the older one.
fn out_of_order(policy: WritePolicy) -> OnlineStore {
    let sources = sources(vec![driver_row(1, 2, 0, 20), driver_row(1, 5, 1, 50)]);
    let mut store = OnlineStore::new(policy);
    let newer = store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(4),
            at_hour(6),
        )
        .unwrap();
    assert_eq!(newer.views[0].keys_written, 1);
    let older = store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(3),
        )
        .unwrap();
    assert_eq!(older.views[0].rows_read, 1);
    assert_eq!(older.run, 1);
    store
}

#[test]
fn out_of_order_materialization_overwrites_newer_values_under_last_write_wins() {
    let mut store = out_of_order(WritePolicy::LastWriteWins);
    assert_eq!(store.runs()[1].views[0].keys_written, 1);
    assert_eq!(store.runs()[1].views[0].keys_skipped, 0);
    let read = read_trips(&mut store, 1, at_hour(6), false);
    assert_eq!(read.rows[0].features[0].value, FeatureValue::Int(20));
    assert_eq!(read.rows[0].features[0].event_ts, Some(at_hour(2)));
    let stored = store
        .stored("driver_stats", &KeyTuple(vec![FeatureValue::Int(1)]))
        .unwrap();
    assert_eq!(stored.newest_written_ts, at_hour(5));
    assert_eq!(
        store.log().entries().last().unwrap().newest_written_ts,
        Some(at_hour(5))
    );
}

#[test]
fn out_of_order_materialization_is_refused_by_the_event_time_guard() {
    let mut store = out_of_order(WritePolicy::EventTimeGuarded);
    assert_eq!(store.runs()[1].views[0].keys_written, 0);
    assert_eq!(store.runs()[1].views[0].keys_skipped, 1);
    let read = read_trips(&mut store, 1, at_hour(6), false);
    assert_eq!(read.rows[0].features[0].value, FeatureValue::Int(50));
    assert_eq!(read.rows[0].features[0].event_ts, Some(at_hour(5)));
}

/// A row, then a correction with the same event time created later.
fn equal_event_times(policy: WritePolicy) -> OnlineStore {
    let first = sources(vec![driver_row(1, 3, 0, 30)]);
    let mut corrected_row = driver_row(1, 3, 1, 31);
    corrected_row.created_ts = Some(at_hour(4));
    let corrected = sources(vec![driver_row(1, 3, 0, 30), corrected_row]);
    let mut store = OnlineStore::new(policy);
    store
        .materialize(
            &repo(),
            &first,
            &only("driver_stats"),
            at_hour(0),
            at_hour(3),
        )
        .unwrap();
    store
        .materialize(
            &repo(),
            &corrected,
            &only("driver_stats"),
            at_hour(0),
            at_hour(3),
        )
        .unwrap();
    store
}

#[test]
fn equal_event_times_keep_the_first_write_under_the_guard() {
    let mut guarded = equal_event_times(WritePolicy::EventTimeGuarded);
    assert_eq!(guarded.runs()[1].views[0].keys_skipped, 1);
    let read = read_trips(&mut guarded, 1, at_hour(3), false);
    assert_eq!(read.rows[0].features[0].value, FeatureValue::Int(30));

    let mut last_wins = equal_event_times(WritePolicy::LastWriteWins);
    let read = read_trips(&mut last_wins, 1, at_hour(3), false);
    assert_eq!(read.rows[0].features[0].value, FeatureValue::Int(31));
}

#[test]
fn materialization_writes_the_latest_row_per_key_of_an_inclusive_interval() {
    let mut null_created = driver_row(1, 4, 0, 40);
    null_created.created_ts = None;
    let mut no_time = driver_row(1, 4, 9, 99);
    no_time.event_ts = None;
    let mut null_key = driver_row(3, 4, 10, 77);
    null_key.keys = KeyTuple(vec![FeatureValue::Null]);
    let rows = vec![
        driver_row(1, 2, 1, 20),
        null_created,            // ts 4, created NULL (lowest)
        driver_row(1, 4, 2, 41), // ts 4, created 4: beats NULL created
        driver_row(1, 6, 3, 60), // after the interval
        driver_row(2, 1, 4, 10), // the start itself is inside
        driver_row(2, 0, 5, 0),  // before the start
        driver_row(2, 1, 6, 11), // ts and created equal to seq 4: higher seq wins
        no_time,
        null_key,
    ];
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    let run = store
        .materialize(
            &repo(),
            &sources(rows),
            &only("driver_stats"),
            at_hour(1),
            at_hour(5),
        )
        .unwrap();
    let view = &run.views[0];
    assert_eq!(
        (view.rows_read, view.null_key_rows, view.keys_written),
        (6, 1, 2)
    );
    assert_eq!(run.kind, MaterializeKind::Range);
    let stored = |id: i64| {
        store
            .stored("driver_stats", &KeyTuple(vec![FeatureValue::Int(id)]))
            .unwrap()
            .seq
    };
    assert_eq!(stored(1), 2);
    assert_eq!(stored(2), 6);
    assert_eq!(store.table("driver_stats").unwrap().rows.len(), 2);
}

#[test]
fn incremental_materialization_starts_at_end_minus_ttl_then_at_the_last_end() {
    let rows = vec![
        driver_row(1, 1, 0, 10),
        driver_row(1, 9, 1, 90),
        driver_row(2, 9, 2, 91),
    ];
    let sources = sources(rows);
    let mut store = OnlineStore::new(WritePolicy::EventTimeGuarded);
    let first = store
        .materialize_incremental(&repo(), &sources, at_hour(10))
        .unwrap();
    assert_eq!(first.kind, MaterializeKind::Incremental);
    let driver = &first.views[0];
    assert_eq!(
        (driver.view.as_str(), driver.start, driver.end),
        ("driver_stats", at_hour(9), at_hour(10))
    );
    assert_eq!(
        driver.rows_read, 2,
        "the row at hour 1 is older than end - ttl"
    );
    let customer = &first.views[1];
    assert_eq!(
        customer.start,
        TimestampUs(i64::MIN),
        "no TTL: from the beginning"
    );
    assert_eq!(customer.keys_written, 2);
    let pair = &first.views[2];
    assert_eq!(pair.start, at_hour(8));

    let second = store
        .materialize_incremental(&repo(), &sources, at_hour(12))
        .unwrap();
    assert!(second
        .views
        .iter()
        .all(|v| v.start == at_hour(10) && v.end == at_hour(12)));
    assert_eq!(store.most_recent_end("driver_stats"), Some(at_hour(12)));

    let error = store
        .materialize_incremental(&repo(), &sources, at_hour(11))
        .unwrap_err();
    assert!(
        error.message.contains("already materialized up to"),
        "{error}"
    );
    assert_eq!(store.runs().len(), 2, "a refused run records nothing");
}

#[test]
fn incremental_start_is_inclusive_of_the_previous_end() {
    let sources = sources(vec![driver_row(1, 5, 0, 50)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(4),
        )
        .unwrap();
    let run = store
        .materialize_incremental(&repo(), &sources, at_hour(5))
        .unwrap();
    let driver = run.views.iter().find(|v| v.view == "driver_stats").unwrap();
    assert_eq!(
        (driver.start, driver.rows_read, driver.keys_written),
        (at_hour(4), 1, 1)
    );
}

#[test]
fn a_zero_ttl_is_unbounded_for_the_first_incremental_run() {
    let mut repo = repo();
    repo.views[0].ttl = Some(DurationUs(0));
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    let run = store
        .materialize_incremental(&repo, &sources(vec![driver_row(1, 1, 0, 10)]), at_hour(100))
        .unwrap();
    assert_eq!(run.views[0].start, TimestampUs(i64::MIN));
    assert_eq!(run.views[0].keys_written, 1);
}

#[test]
fn reads_join_each_view_on_its_own_keys_and_keep_entity_columns() {
    let sources = sources(vec![driver_row(1, 3, 0, 30), driver_row(2, 3, 1, 31)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(&repo(), &sources, &all_views(), at_hour(0), at_hour(3))
        .unwrap();
    let entity_rows = OnlineEntityRows {
        columns: vec![
            "customer_id".to_string(),
            "request_id".to_string(),
            "driver_id".to_string(),
        ],
        rows: vec![
            vec![
                FeatureValue::Int(7),
                FeatureValue::text("a"),
                FeatureValue::Int(1),
            ],
            vec![
                FeatureValue::Int(8),
                FeatureValue::text("b"),
                FeatureValue::Int(2),
            ],
            vec![
                FeatureValue::Int(9),
                FeatureValue::text("c"),
                FeatureValue::Int(1),
            ],
        ],
    };
    let wanted = refs(&[
        "pair_stats:rides",
        "driver_stats:trips",
        "customer_profile:tier",
    ]);
    let options = OnlineReadOptions {
        full_feature_names: true,
        enforce_ttl: false,
    };
    let response = store
        .get_online_features(&repo(), &wanted, &entity_rows, at_hour(3), options)
        .unwrap();
    assert_eq!(response.entity_columns, entity_rows.columns);
    assert_eq!(
        response.feature_columns,
        vec![
            "pair_stats__rides",
            "driver_stats__trips",
            "customer_profile__tier"
        ]
    );
    let values: Vec<Vec<FeatureValue>> = response
        .rows
        .iter()
        .map(|row| row.features.iter().map(|f| f.value.clone()).collect())
        .collect();
    use FeatureValue::{Int, Null};
    assert_eq!(
        values,
        vec![
            vec![Int(11), Int(30), FeatureValue::text("gold")],
            vec![Null, Int(31), FeatureValue::text("silver")],
            vec![Null, Int(30), Null],
        ]
    );
    assert_eq!(response.rows[1].features[0].status, FieldStatus::NotFound);
    assert_eq!(response.rows[2].entities, entity_rows.rows[2]);
    // One log entry per entity row and view, in first-reference order of the views.
    let logged: Vec<(&str, &KeyTuple)> = store
        .log()
        .entries()
        .take(3)
        .map(|e| (e.view.as_str(), &e.keys))
        .collect();
    assert_eq!(logged[0], ("pair_stats", &KeyTuple(vec![Int(1), Int(7)])));
    assert_eq!(logged[1].0, "driver_stats");
    assert_eq!(logged[2].0, "customer_profile");
    assert_eq!(store.log().len(), 9);
}

#[test]
fn missing_keys_null_keys_and_unmaterialized_views_are_not_found() {
    let sources = sources(vec![driver_row(1, 3, 0, 30)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    let options = OnlineReadOptions::default();
    let wanted = refs(&["driver_stats:trips", "driver_stats:conv_rate"]);
    let before = store
        .get_online_features(&repo(), &wanted, &drivers(&[Some(1)]), at_hour(3), options)
        .unwrap();
    assert!(before.rows[0]
        .features
        .iter()
        .all(|f| f.status == FieldStatus::NotFound));
    store
        .materialize(&repo(), &sources, &all_views(), at_hour(0), at_hour(3))
        .unwrap();
    let after = store
        .get_online_features(
            &repo(),
            &wanted,
            &drivers(&[Some(1), Some(4), None]),
            at_hour(3),
            options,
        )
        .unwrap();
    let statuses: Vec<FieldStatus> = after.rows.iter().map(|r| r.features[0].status).collect();
    assert_eq!(
        statuses,
        vec![
            FieldStatus::Present,
            FieldStatus::NotFound,
            FieldStatus::NotFound
        ]
    );
    assert_eq!(after.rows[0].features[1].value, FeatureValue::Float(3.0));
    assert!(after.rows[1]
        .features
        .iter()
        .all(|f| f.value.is_null() && f.event_ts.is_none()));
}

#[test]
fn the_feature_log_drops_its_oldest_entries_past_its_limit() {
    let sources = sources(vec![driver_row(1, 3, 0, 30)]);
    let mut store = OnlineStore::with_log_limit(WritePolicy::LastWriteWins, 3);
    store
        .materialize(&repo(), &sources, &all_views(), at_hour(0), at_hour(3))
        .unwrap();
    for id in 1..=5 {
        read_trips(&mut store, id, at_hour(3 + id), false);
    }
    let log = store.log();
    assert_eq!((log.len(), log.dropped(), log.limit()), (3, 2, 3));
    let kept: Vec<(u64, TimestampUs)> = log.entries().map(|e| (e.request, e.request_ts)).collect();
    assert_eq!(
        kept,
        vec![(2, at_hour(6)), (3, at_hour(7)), (4, at_hour(8))]
    );
    let first = log.entries().next().unwrap();
    assert_eq!(first.keys, KeyTuple(vec![FeatureValue::Int(3)]));
    assert_eq!(first.features, vec!["trips".to_string()]);
    assert_eq!(first.served[0].status, FieldStatus::NotFound);
}

#[test]
fn freshness_and_history_follow_the_materializations() {
    let sources = sources(vec![driver_row(1, 3, 0, 30), driver_row(2, 7, 1, 70)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    assert_eq!(store.freshness("driver_stats", at_hour(8)), None);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(4),
        )
        .unwrap();
    assert_eq!(
        store.freshness("driver_stats", at_hour(8)),
        Some(DurationUs(5 * HOUR_US))
    );
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(4),
            at_hour(8),
        )
        .unwrap();
    assert_eq!(
        store.freshness("driver_stats", at_hour(8)),
        Some(DurationUs(HOUR_US))
    );
    assert_eq!(store.freshness("customer_profile", at_hour(8)), None);
    let history: Vec<(u64, TimestampUs, u64, Option<TimestampUs>)> = store
        .runs()
        .iter()
        .map(|run| {
            (
                run.run,
                run.views[0].end,
                run.rows_read(),
                run.views[0].newest_event_ts,
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (0, at_hour(4), 1, Some(at_hour(3))),
            (1, at_hour(8), 1, Some(at_hour(7)))
        ]
    );
}

fn error_of(result: Result<impl std::fmt::Debug, FeatureError>) -> FeatureError {
    result.unwrap_err()
}

#[test]
fn bad_requests_are_errors_with_hints() {
    let sources = sources(vec![driver_row(1, 3, 0, 30)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    let options = OnlineReadOptions::default();
    let repo = repo();
    let mut read = |names: &[&str], rows: &OnlineEntityRows, options| {
        store.get_online_features(&repo, &refs(names), rows, at_hour(1), options)
    };
    let unknown_view = error_of(read(&["driver_stat:trips"], &drivers(&[Some(1)]), options));
    assert_eq!(unknown_view.hint, "did you mean \"driver_stats\"?");
    let unknown_feature = error_of(read(&["driver_stats:trip"], &drivers(&[Some(1)]), options));
    assert!(unknown_feature.message.contains("no feature `trip`"));
    assert_eq!(unknown_feature.hint, "did you mean \"trips\"?");
    let missing_key = error_of(read(&["pair_stats:rides"], &drivers(&[Some(1)]), options));
    assert!(
        missing_key.message.contains("no column `customer_id`"),
        "{missing_key}"
    );
    let collision = error_of(read(
        &["driver_stats:trips", "driver_stats:trips"],
        &drivers(&[Some(1)]),
        options,
    ));
    assert!(collision.hint.contains("full feature names"), "{collision}");
    let ragged = OnlineEntityRows {
        columns: vec!["driver_id".to_string()],
        rows: vec![vec![]],
    };
    let ragged = error_of(read(&["driver_stats:trips"], &ragged, options));
    assert!(
        ragged.message.contains("entity row 1 has 0 values"),
        "{ragged}"
    );
    assert!(read(&[], &drivers(&[Some(1)]), options).is_err());
    assert!(store.log().is_empty(), "a refused read logs nothing");

    let reversed =
        error_of(store.materialize(&repo, &sources, &all_views(), at_hour(2), at_hour(1)));
    assert!(reversed.message.contains("after its end"), "{reversed}");
    let mut partial = sources.clone();
    partial.remove("pair_stats");
    let missing_source =
        error_of(store.materialize(&repo, &partial, &all_views(), at_hour(0), at_hour(9)));
    assert!(
        missing_source.hint.contains("pair_stats_source"),
        "{missing_source}"
    );
    let mut misshapen = sources.clone();
    std::rc::Rc::make_mut(&mut misshapen.get_mut("pair_stats").unwrap().rows)[1].keys =
        KeyTuple(vec![FeatureValue::Int(1)]);
    let shape =
        error_of(store.materialize(&repo, &misshapen, &all_views(), at_hour(0), at_hour(9)));
    assert!(
        shape
            .message
            .contains("source row 1 of feature view `pair_stats`"),
        "{shape}"
    );
    assert!(
        store.runs().is_empty() && store.table("driver_stats").is_none(),
        "refused runs write nothing"
    );
}

fn hash_of(store: &OnlineStore) -> u64 {
    let mut hasher = StateHasher::new();
    store.hash_into(&mut hasher);
    hasher.finish()
}

#[test]
fn the_state_hash_follows_what_the_store_holds() {
    let last_wins = out_of_order(WritePolicy::LastWriteWins);
    assert_eq!(
        hash_of(&last_wins),
        hash_of(&out_of_order(WritePolicy::LastWriteWins))
    );
    let mut guarded = out_of_order(WritePolicy::EventTimeGuarded);
    assert_ne!(hash_of(&last_wins), hash_of(&guarded));
    guarded.set_policy(WritePolicy::LastWriteWins);
    assert_ne!(
        hash_of(&last_wins),
        hash_of(&guarded),
        "the stored rows differ"
    );
    let before_read = hash_of(&guarded);
    read_trips(&mut guarded, 1, at_hour(6), false);
    assert_ne!(
        before_read,
        hash_of(&guarded),
        "the log is part of the state"
    );
}

// ---- The skew report: logged online reads against the offline point-in-time join. ----

fn verdicts(
    store: &OnlineStore,
    sources: &BTreeMap<String, ViewRows>,
    options: SkewOptions,
) -> Vec<Verdict> {
    skew_report(store.log().entries(), &repo(), sources, options)
        .unwrap()
        .comparisons
        .iter()
        .map(|c| c.verdict)
        .collect()
}

#[test]
fn skew_from_a_ttl_not_enforced_online() {
    let sources = sources(vec![driver_row(1, 10, 0, 5)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(10),
        )
        .unwrap();
    read_trips(&mut store, 1, at_hour(40), false);
    read_trips(&mut store, 1, at_hour(40), true);
    read_trips(&mut store, 1, at_hour(11), false);
    assert_eq!(
        verdicts(&store, &sources, SkewOptions::default()),
        vec![
            Verdict::Differs(SkewCause::TtlNotEnforced),
            Verdict::Same,
            Verdict::Same
        ]
    );
}

#[test]
fn skew_from_materialization_lag_and_from_nothing_materialized() {
    let sources = sources(vec![
        driver_row(1, 2, 0, 20),
        driver_row(1, 5, 1, 50),
        driver_row(2, 5, 2, 51),
    ]);
    let mut store = OnlineStore::new(WritePolicy::EventTimeGuarded);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(3),
        )
        .unwrap();
    read_trips(&mut store, 1, at_hour(5), false);
    read_trips(&mut store, 2, at_hour(5), false);
    read_trips(&mut store, 3, at_hour(5), false);
    assert_eq!(
        verdicts(&store, &sources, SkewOptions::default()),
        vec![
            Verdict::Differs(SkewCause::MaterializationLag),
            Verdict::Differs(SkewCause::NotMaterialized),
            Verdict::Same, // no such key on either side
        ]
    );
}

#[test]
fn skew_from_an_out_of_order_write_only_under_last_write_wins() {
    let sources = sources(vec![driver_row(1, 2, 0, 20), driver_row(1, 5, 1, 50)]);
    let mut last_wins = out_of_order(WritePolicy::LastWriteWins);
    read_trips(&mut last_wins, 1, at_hour(6), false);
    assert_eq!(
        verdicts(&last_wins, &sources, SkewOptions::default()),
        vec![Verdict::Differs(SkewCause::OutOfOrderWrite)]
    );
    let mut guarded = out_of_order(WritePolicy::EventTimeGuarded);
    read_trips(&mut guarded, 1, at_hour(6), false);
    assert_eq!(
        verdicts(&guarded, &sources, SkewOptions::default()),
        vec![Verdict::Same]
    );
}

#[test]
fn skew_from_a_value_stamped_after_the_read() {
    let sources = sources(vec![driver_row(1, 1, 0, 10), driver_row(1, 5, 1, 50)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(10),
        )
        .unwrap();
    read_trips(&mut store, 1, at_hour(2), false);
    let report = skew_report(
        store.log().entries(),
        &repo(),
        &sources,
        SkewOptions::default(),
    )
    .unwrap();
    let comparison = &report.comparisons[0];
    assert_eq!(comparison.verdict, Verdict::Differs(SkewCause::FutureValue));
    assert_eq!(
        (
            comparison.online.value.clone(),
            comparison.offline_value.clone()
        ),
        (FeatureValue::Int(50), FeatureValue::Int(10))
    );
}

#[test]
fn skew_from_equal_event_times_and_the_created_cutoff() {
    let mut corrected_row = driver_row(1, 3, 1, 31);
    corrected_row.created_ts = Some(at_hour(4));
    let corrected = sources(vec![driver_row(1, 3, 0, 30), corrected_row]);
    let mut guarded = equal_event_times(WritePolicy::EventTimeGuarded);
    read_trips(&mut guarded, 1, at_hour(3), false);
    assert_eq!(
        verdicts(&guarded, &corrected, SkewOptions::default()),
        vec![Verdict::Differs(SkewCause::EqualTimeOtherRow)]
    );
    // With the cutoff, the correction created at hour 4 is not known at hour 3: the first row
    // is the point-in-time value too.
    let cutoff = SkewOptions {
        created_cutoff: true,
    };
    assert_eq!(verdicts(&guarded, &corrected, cutoff), vec![Verdict::Same]);
    // Last write wins serves the correction, which the cutoff join does not know yet at hour 3.
    let mut last_wins = equal_event_times(WritePolicy::LastWriteWins);
    read_trips(&mut last_wins, 1, at_hour(3), false);
    assert_eq!(
        verdicts(&last_wins, &corrected, cutoff),
        vec![Verdict::Differs(SkewCause::NotKnownYet)]
    );
    assert_eq!(
        verdicts(&last_wins, &corrected, SkewOptions::default()),
        vec![Verdict::Same]
    );
}

#[test]
fn skew_from_a_late_value_the_cutoff_excludes() {
    let mut late = driver_row(1, 2, 0, 20);
    late.created_ts = Some(at_hour(5));
    let sources = sources(vec![late]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &sources,
            &only("driver_stats"),
            at_hour(0),
            at_hour(5),
        )
        .unwrap();
    read_trips(&mut store, 1, at_hour(3), false);
    let cutoff = SkewOptions {
        created_cutoff: true,
    };
    assert_eq!(
        verdicts(&store, &sources, cutoff),
        vec![Verdict::Differs(SkewCause::NotKnownYet)]
    );
    assert_eq!(
        verdicts(&store, &sources, SkewOptions::default()),
        vec![Verdict::Same]
    );
}

#[test]
fn skew_from_a_source_changed_after_materialization() {
    let materialized = sources(vec![driver_row(1, 2, 0, 20)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(
            &repo(),
            &materialized,
            &only("driver_stats"),
            at_hour(0),
            at_hour(5),
        )
        .unwrap();
    read_trips(&mut store, 1, at_hour(3), false);
    let edited = sources(vec![driver_row(1, 2, 0, 21)]);
    assert_eq!(
        verdicts(&store, &edited, SkewOptions::default()),
        vec![Verdict::Differs(SkewCause::SourceChanged)]
    );
    let removed = sources(Vec::new());
    assert_eq!(
        verdicts(&store, &removed, SkewOptions::default()),
        vec![Verdict::Differs(SkewCause::SourceChanged)]
    );
}

#[test]
fn the_skew_summary_counts_per_view_and_feature_in_log_order() {
    let sources = sources(vec![driver_row(1, 2, 0, 20), driver_row(1, 5, 1, 50)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    store
        .materialize(&repo(), &sources, &all_views(), at_hour(0), at_hour(3))
        .unwrap();
    let entity_rows = OnlineEntityRows {
        columns: vec!["driver_id".to_string(), "customer_id".to_string()],
        rows: vec![
            vec![FeatureValue::Int(1), FeatureValue::Int(7)],
            vec![FeatureValue::Int(1), FeatureValue::Int(8)],
        ],
    };
    let wanted = refs(&[
        "driver_stats:trips",
        "customer_profile:tier",
        "driver_stats:conv_rate",
    ]);
    store
        .get_online_features(
            &repo(),
            &wanted,
            &entity_rows,
            at_hour(5),
            OnlineReadOptions::default(),
        )
        .unwrap();
    let report = skew_report(
        store.log().entries(),
        &repo(),
        &sources,
        SkewOptions::default(),
    )
    .unwrap();
    let order: Vec<(&str, &str)> = report
        .comparisons
        .iter()
        .map(|c| (c.view.as_str(), c.feature.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("driver_stats", "trips"),
            ("driver_stats", "conv_rate"),
            ("customer_profile", "tier"),
            ("driver_stats", "trips"),
            ("driver_stats", "conv_rate"),
            ("customer_profile", "tier"),
        ]
    );
    let trips = &report.summary[&("driver_stats".to_string(), "trips".to_string())];
    assert_eq!((trips.compared, trips.same, trips.differing()), (2, 0, 2));
    assert_eq!(trips.causes[&SkewCause::MaterializationLag], 2);
    let tier = &report.summary[&("customer_profile".to_string(), "tier".to_string())];
    assert_eq!((tier.compared, tier.same), (2, 2));
    assert!(tier.causes.is_empty());
}

#[test]
fn skew_of_reads_the_repository_no_longer_defines_is_an_error() {
    let sources = sources(vec![driver_row(1, 2, 0, 20)]);
    let mut store = OnlineStore::new(WritePolicy::LastWriteWins);
    read_trips(&mut store, 1, at_hour(3), false);
    let mut changed = repo();
    changed.views[0].features.pop();
    let error = skew_report(
        store.log().entries(),
        &changed,
        &sources,
        SkewOptions::default(),
    )
    .unwrap_err();
    assert!(error.message.contains("`driver_stats:trips`"), "{error}");
    changed.views.remove(0);
    let error = skew_report(
        store.log().entries(),
        &changed,
        &sources,
        SkewOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.message.contains("feature view `driver_stats`"),
        "{error}"
    );
}

#[test]
fn the_run_history_is_bounded_but_keeps_each_views_latest_end() {
    let sources = sources(vec![driver_row(1, 3, 0, 30)]);
    let mut store = OnlineStore::new(WritePolicy::EventTimeGuarded);
    store
        .materialize(
            &repo(),
            &sources,
            &only("customer_profile"),
            at_hour(0),
            at_hour(2),
        )
        .unwrap();
    for hour in 0..RUN_HISTORY_LIMIT as i64 {
        store
            .materialize(
                &repo(),
                &sources,
                &only("driver_stats"),
                at_hour(hour),
                at_hour(hour + 1),
            )
            .unwrap();
    }
    assert_eq!(
        (store.runs().len(), store.runs_dropped()),
        (RUN_HISTORY_LIMIT, 1)
    );
    assert_eq!(store.runs()[0].run, 1);
    assert_eq!(store.runs().last().unwrap().run, RUN_HISTORY_LIMIT as u64);
    assert_eq!(store.most_recent_end("customer_profile"), Some(at_hour(2)));
    let run = store
        .materialize_incremental(&repo(), &sources, at_hour(5_000))
        .unwrap();
    let customer = run
        .views
        .iter()
        .find(|v| v.view == "customer_profile")
        .unwrap();
    assert_eq!(customer.start, at_hour(2));
}
