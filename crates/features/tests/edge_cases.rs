//! The point-in-time join's edge cases, one test per case of the feature-store checklist the
//! engine was built against (items 1 to 19 and 21; item 20, staleness online, is the online
//! store's and lives in `online.rs`), each asserting the exact values and NULL reasons; then the
//! errors, and the naive latest-value join the lessons contrast it with.
//!
//! Where engines disagree the comments say which behaviour we follow: Feast's SQL offline stores
//! (inclusive bounds, TTL 0 = unbounded, rows kept), DuckDB's ASOF JOIN (NULL keys and times
//! match nothing), pandas `merge_asof` (ties on the time go to the last row in sort order).

use features::historical::{
    get_historical_features, latest_value_join, HistoricalOptions, NullReason, OutputColumn,
    TrainingSet, ViewMatch,
};
use features::model::{
    Entity, EntityFrame, FeatureDef, FeatureError, FeatureRef, FeatureRepo, FeatureRow,
    FeatureView, ViewRows, ViewSource,
};
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use std::collections::BTreeMap;

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;

/// An instant on 2024-03-01 (UTC), from `HH:MM[:SS[.ffffff]]`.
fn at(time: &str) -> TimestampUs {
    stamp(&format!("2024-03-01 {time}"))
}

fn stamp(text: &str) -> TimestampUs {
    TimestampUs::parse(text).unwrap_or_else(|| panic!("test timestamp `{text}`"))
}

fn hours(h: i64) -> Option<DurationUs> {
    Some(DurationUs(h * HOUR_US))
}

fn entity(name: &str, key: &str) -> Entity {
    Entity {
        name: name.to_string(),
        join_keys: vec![key.to_string()],
    }
}

fn view(name: &str, entities: &[&str], ttl: Option<DurationUs>, features: &[&str]) -> FeatureView {
    FeatureView {
        name: name.to_string(),
        entities: entities.iter().map(|e| e.to_string()).collect(),
        ttl,
        source: ViewSource {
            table: format!("{name}_source"),
            timestamp_field: "event_timestamp".to_string(),
            created_timestamp_column: Some("created".to_string()),
        },
        features: features
            .iter()
            .map(|name| FeatureDef {
                name: name.to_string(),
                dtype: Dtype::Float64,
            })
            .collect(),
    }
}

/// A feature repository with its source rows.
struct Store {
    repo: FeatureRepo,
    sources: BTreeMap<String, ViewRows>,
}

impl Store {
    /// Drivers, and `driver_stats` (feature `conv_rate`) with the given TTL and rows.
    fn drivers(ttl: Option<DurationUs>, rows: Vec<FeatureRow>) -> Store {
        let mut store = Store {
            repo: FeatureRepo {
                entities: vec![entity("driver", "driver_id")],
                ..FeatureRepo::default()
            },
            sources: BTreeMap::new(),
        };
        store.add(view("driver_stats", &["driver"], ttl, &["conv_rate"]), rows);
        store
    }

    fn add(&mut self, view: FeatureView, rows: Vec<FeatureRow>) {
        self.sources.insert(view.name.clone(), ViewRows::from(rows));
        self.repo.views.push(view);
    }

    fn join(&self, frame: &EntityFrame, refs: &[&str], options: HistoricalOptions) -> TrainingSet {
        self.try_join(frame, refs, options)
            .unwrap_or_else(|e| panic!("join failed: {e}"))
    }

    fn try_join(
        &self,
        frame: &EntityFrame,
        refs: &[&str],
        options: HistoricalOptions,
    ) -> Result<TrainingSet, FeatureError> {
        get_historical_features(
            &self.repo,
            &self.sources,
            frame,
            &feature_refs(refs),
            options,
        )
    }

    fn naive(&self, frame: &EntityFrame, refs: &[&str]) -> TrainingSet {
        latest_value_join(
            &self.repo,
            &self.sources,
            frame,
            &feature_refs(refs),
            HistoricalOptions::default(),
        )
        .unwrap_or_else(|e| panic!("join failed: {e}"))
    }
}

fn feature_refs(refs: &[&str]) -> Vec<FeatureRef> {
    refs.iter()
        .map(|r| FeatureRef::parse(r).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// A `driver_stats` row: one key, event and created times, ingestion order and `conv_rate`.
fn row(
    driver: i64,
    event: Option<TimestampUs>,
    created: Option<TimestampUs>,
    seq: u64,
    value: f64,
) -> FeatureRow {
    FeatureRow {
        keys: KeyTuple(vec![FeatureValue::Int(driver)]),
        event_ts: event,
        created_ts: created,
        seq,
        values: vec![FeatureValue::Float(value)],
    }
}

/// Entity rows `(driver_id, event_timestamp)`, each with a label: its position.
fn drivers_at(rows: &[(Option<i64>, Option<TimestampUs>)]) -> EntityFrame {
    EntityFrame {
        columns: vec!["driver_id".into(), "event_timestamp".into(), "label".into()],
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, (driver, ts))| {
                vec![
                    driver.map_or(FeatureValue::Null, FeatureValue::Int),
                    ts.map_or(FeatureValue::Null, FeatureValue::Timestamp),
                    FeatureValue::Int(i as i64),
                ]
            })
            .collect(),
        timestamp_column: 1,
    }
}

/// What one entity row got for one feature: its value, or NULL and why.
#[derive(Debug, PartialEq)]
enum Got {
    Value(FeatureValue),
    Null(NullReason),
}

fn value(x: f64) -> Got {
    Got::Value(FeatureValue::Float(x))
}

/// Column `column` of every output row, with view `view`'s reason where it is NULL.
fn got(set: &TrainingSet, column: &str, view: usize) -> Vec<Got> {
    let c = set
        .columns
        .iter()
        .position(|col| col.name == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    set.rows
        .iter()
        .zip(&set.matches)
        .map(|(row, matches)| match (&row[c], matches[view]) {
            (v, ViewMatch::Matched { .. }) => Got::Value(v.clone()),
            (FeatureValue::Null, ViewMatch::Missing(reason)) => Got::Null(reason),
            (v, missing) => panic!("value {v} with {missing:?}"),
        })
        .collect()
}

fn conv(set: &TrainingSet) -> Vec<Got> {
    got(set, "conv_rate", 0)
}

const PIT: HistoricalOptions = HistoricalOptions {
    full_feature_names: false,
    created_cutoff: false,
};

const CUTOFF: HistoricalOptions = HistoricalOptions {
    full_feature_names: false,
    created_cutoff: true,
};

// 1. A feature row stamped exactly at the entity time is used: the bound is inclusive, as in
//    every engine (`<=`; pandas' allow_exact_matches=True, DuckDB's `>=`).
#[test]
fn item01_feature_at_the_entity_time_matches() {
    let store = Store::drivers(None, vec![row(1, Some(at("10:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[
            (Some(1), Some(at("10:00"))),
            (Some(1), Some(at("09:59:59.999999"))),
        ]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![value(0.5), Got::Null(NullReason::NothingBefore)]
    );
}

// 2. A row exactly one TTL old is still fresh (Feast: `event_ts >= entity_ts - ttl`); one
//    microsecond older is expired.
#[test]
fn item02_row_exactly_one_ttl_old_matches() {
    let store = Store::drivers(hours(1), vec![row(1, Some(at("09:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[
            (Some(1), Some(at("10:00"))),
            (Some(1), Some(at("10:00:00.000001"))),
        ]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![value(0.5), Got::Null(NullReason::ExpiredByTtl)]
    );
}

// 3. A TTL of zero or none is unbounded (Feast), unlike pandas' tolerance=0 (exact match only).
#[test]
fn item03_zero_or_no_ttl_is_unbounded() {
    for ttl in [None, Some(DurationUs(0))] {
        let store = Store::drivers(ttl, vec![row(1, Some(stamp("2020-01-01")), None, 0, 0.5)]);
        let set = store.join(
            &drivers_at(&[(Some(1), Some(at("10:00")))]),
            &["driver_stats:conv_rate"],
            PIT,
        );
        assert_eq!(conv(&set), vec![value(0.5)], "ttl {ttl:?}");
    }
}

// 4. An entity time before the key's first row gives NULL, and the row is kept (Feast's Dask
//    store drops it).
#[test]
fn item04_entity_before_the_first_row_is_null_and_kept() {
    let store = Store::drivers(None, vec![row(1, Some(at("10:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[(Some(1), Some(at("07:00"))), (Some(1), Some(at("11:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(set.rows.len(), 2);
    assert_eq!(
        conv(&set),
        vec![Got::Null(NullReason::NothingBefore), value(0.5)]
    );
    assert_eq!(set.rows[0][2], FeatureValue::Int(0), "the label is kept");
}

// 5. When the latest row at or before the entity time is older than the TTL, the result is NULL:
//    nothing older is tried (nothing older could be fresher).
#[test]
fn item05_latest_row_outside_the_ttl_is_expired_with_no_fallback() {
    let store = Store::drivers(
        hours(1),
        vec![
            row(1, Some(at("07:00")), None, 0, 0.7),
            row(1, Some(at("08:00")), None, 1, 0.8),
        ],
    );
    let set = store.join(
        &drivers_at(&[(Some(1), Some(at("09:30"))), (Some(1), Some(at("08:30")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![Got::Null(NullReason::ExpiredByTtl), value(0.8)]
    );
}

// 6. A key the view has no row for gives NULL, and the row is kept.
#[test]
fn item06_absent_key_is_null_and_kept() {
    let store = Store::drivers(None, vec![row(1, Some(at("08:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[(Some(2), Some(at("10:00"))), (Some(1), Some(at("10:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![Got::Null(NullReason::NoSuchKey), value(0.5)]
    );
}

// 7. A NULL join key matches nothing, not even a source row whose key is NULL (SQL; pandas' `by`
//    would match NaN to NaN). Two-part keys: one NULL part is enough.
#[test]
fn item07_null_join_keys_never_match() {
    let null_keyed = FeatureRow {
        keys: KeyTuple(vec![FeatureValue::Null]),
        ..row(0, Some(at("08:00")), None, 0, 0.9)
    };
    let store = Store::drivers(
        None,
        vec![null_keyed, row(1, Some(at("08:00")), None, 1, 0.5)],
    );
    let set = store.join(
        &drivers_at(&[(None, Some(at("10:00"))), (Some(1), Some(at("10:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(conv(&set), vec![Got::Null(NullReason::NullKey), value(0.5)]);

    let mut pairs = pair_store(None);
    std::rc::Rc::make_mut(
        &mut pairs
            .sources
            .get_mut("pair_stats")
            .expect("the pair view's rows")
            .rows,
    )
    .push(pair_row(FeatureValue::Null, 7, "08:00", 0.3));
    let set = pairs.join(
        &pairs_at(&[
            (FeatureValue::Null, 7, "10:00"),
            (FeatureValue::Int(1), 12, "10:00"),
        ]),
        &["pair_stats:affinity"],
        PIT,
    );
    assert_eq!(
        got(&set, "affinity", 0),
        vec![Got::Null(NullReason::NullKey), value(0.112)]
    );
}

// 8. A NULL entity timestamp gives NULL features, not an error (pandas raises; DuckDB finds no
//    match). The NULL key reason comes first when both are NULL.
#[test]
fn item08_null_entity_timestamp_gives_null_features() {
    let store = Store::drivers(None, vec![row(1, Some(at("08:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[(Some(1), None), (None, None), (Some(1), Some(at("09:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![
            Got::Null(NullReason::NullTimestamp),
            Got::Null(NullReason::NullKey),
            value(0.5)
        ]
    );
}

// 9. A source row without an event time takes part in no join (DuckDB ignores it); a NULL created
//    time sorts below any created time.
#[test]
fn item09_null_event_time_is_ignored_and_null_created_sorts_lowest() {
    let store = Store::drivers(
        None,
        vec![
            row(1, None, None, 5, 0.9),
            row(2, None, None, 0, 0.1),
            row(2, Some(at("08:00")), Some(at("07:00")), 1, 0.2),
            row(2, Some(at("08:00")), None, 2, 0.3),
        ],
    );
    let set = store.join(
        &drivers_at(&[(Some(1), Some(at("10:00"))), (Some(2), Some(at("10:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![Got::Null(NullReason::NoSuchKey), value(0.2)]
    );
}

// 10. Equal event times: the greatest created time wins (Feast); equal created times too: the
//     greatest ingestion order `seq` wins, whatever order the rows come in. One row per entity row,
//     never a fan-out.
#[test]
fn item10_ties_break_by_created_then_seq() {
    let rows = vec![
        row(1, Some(at("08:00")), Some(at("08:10")), 3, 0.3),
        row(1, Some(at("08:00")), Some(at("08:20")), 1, 0.1),
        row(2, Some(at("08:00")), Some(at("08:05")), 9, 0.9),
        row(2, Some(at("08:00")), Some(at("08:05")), 4, 0.4),
    ];
    let store = Store::drivers(None, rows);
    let set = store.join(
        &drivers_at(&[(Some(1), Some(at("09:00"))), (Some(2), Some(at("09:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(conv(&set), vec![value(0.1), value(0.9)]);
    assert_eq!(
        set.matches[1][0],
        ViewMatch::Matched {
            seq: 9,
            event_ts: at("08:00"),
            created_ts: Some(at("08:05"))
        }
    );
}

// 11. A late correction (event time before the entity time, written after it) is used by default,
//     which leaks, and excluded under the created-time cutoff (Feast's
//     `filter_by_created_timestamp`, feast-dev/feast#6617). With the cutoff a row with no created
//     time counts as known from its event time.
#[test]
fn item11_late_correction_is_used_unless_the_cutoff_is_on() {
    let store = Store::drivers(
        hours(4),
        vec![
            row(1, Some(at("08:00")), Some(at("08:05")), 0, 0.1),
            row(1, Some(at("09:00")), Some(at("12:00")), 1, 0.9),
            row(2, Some(at("09:00")), Some(at("12:00")), 2, 0.2),
            row(3, Some(at("09:00")), None, 3, 0.3),
            row(4, Some(at("05:00")), Some(at("05:00")), 4, 0.4),
            row(4, Some(at("09:00")), Some(at("12:00")), 5, 0.5),
        ],
    );
    let frame = drivers_at(&[
        (Some(1), Some(at("10:00"))),
        (Some(2), Some(at("10:00"))),
        (Some(3), Some(at("10:00"))),
        (Some(4), Some(at("10:00"))),
        // Written at 12:00 and asked at 12:00: known (the cutoff is inclusive).
        (Some(1), Some(at("12:00"))),
    ]);
    let refs = ["driver_stats:conv_rate"];
    assert_eq!(
        conv(&store.join(&frame, &refs, PIT)),
        vec![value(0.9), value(0.2), value(0.3), value(0.5), value(0.9)]
    );
    assert_eq!(
        conv(&store.join(&frame, &refs, CUTOFF)),
        vec![
            value(0.1),
            Got::Null(NullReason::NotKnownYet),
            value(0.3),
            // The known 05:00 row is older than the 4 h TTL: still not known yet, not expired.
            Got::Null(NullReason::NotKnownYet),
            value(0.9),
        ]
    );
}

// 12. Duplicate entity rows (same key and time, different labels) are all kept, with the same
//     features (Feast's Dask store collapses them, feast-dev/feast#6787).
#[test]
fn item12_duplicate_entity_rows_are_all_kept() {
    let store = Store::drivers(None, vec![row(1, Some(at("08:00")), None, 0, 0.5)]);
    let set = store.join(
        &drivers_at(&[(Some(1), Some(at("10:00"))), (Some(1), Some(at("10:00")))]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(conv(&set), vec![value(0.5), value(0.5)]);
    let labels: Vec<&FeatureValue> = set.rows.iter().map(|row| &row[2]).collect();
    assert_eq!(labels, vec![&FeatureValue::Int(0), &FeatureValue::Int(1)]);
}

/// A view keyed by two entities: `(driver_id, customer_id)`, feature `affinity`.
fn pair_store(ttl: Option<DurationUs>) -> Store {
    let mut store = Store {
        repo: FeatureRepo {
            entities: vec![
                entity("driver", "driver_id"),
                entity("customer", "customer_id"),
            ],
            ..FeatureRepo::default()
        },
        sources: BTreeMap::new(),
    };
    let rows = vec![
        pair_row(FeatureValue::Int(1), 12, "08:00", 0.112),
        pair_row(FeatureValue::Int(11), 2, "08:00", 0.112_2),
        pair_row(FeatureValue::Int(1), 1, "08:00", 0.11),
    ];
    store.add(
        view("pair_stats", &["driver", "customer"], ttl, &["affinity"]),
        rows,
    );
    store
}

fn pair_row(driver: FeatureValue, customer: i64, event: &str, affinity: f64) -> FeatureRow {
    FeatureRow {
        keys: KeyTuple(vec![driver, FeatureValue::Int(customer)]),
        event_ts: Some(at(event)),
        created_ts: None,
        seq: 0,
        values: vec![FeatureValue::Float(affinity)],
    }
}

fn pairs_at(rows: &[(FeatureValue, i64, &str)]) -> EntityFrame {
    EntityFrame {
        columns: vec![
            "customer_id".into(),
            "event_timestamp".into(),
            "driver_id".into(),
        ],
        rows: rows
            .iter()
            .map(|(driver, customer, ts)| {
                vec![
                    FeatureValue::Int(*customer),
                    FeatureValue::Timestamp(at(ts)),
                    driver.clone(),
                ]
            })
            .collect(),
        timestamp_column: 1,
    }
}

// 13. Multi-part keys compare part by part: (1, 12) and (11, 2) are different keys (Feast's
//     separator-less CONCAT row id once made them collide), whatever order the frame's columns are in.
#[test]
fn item13_multi_part_keys_compare_part_by_part() {
    let store = pair_store(None);
    let set = store.join(
        &pairs_at(&[
            (FeatureValue::Int(11), 2, "10:00"),
            (FeatureValue::Int(1), 12, "10:00"),
            (FeatureValue::Int(1), 1, "10:00"),
            (FeatureValue::Int(12), 1, "10:00"),
        ]),
        &["pair_stats:affinity"],
        PIT,
    );
    assert_eq!(
        got(&set, "affinity", 0),
        vec![
            value(0.112_2),
            value(0.112),
            value(0.11),
            Got::Null(NullReason::NoSuchKey)
        ]
    );
}

/// Drivers (1 h TTL, `conv_rate`) and customers (1 day TTL, keyed by `customer_id`, `spend`).
fn two_views() -> Store {
    let mut store = Store::drivers(
        hours(1),
        vec![
            row(1, Some(at("09:30")), None, 0, 0.5),
            row(2, Some(at("07:00")), None, 1, 0.6),
        ],
    );
    store.repo.entities.push(entity("customer", "customer_id"));
    let spend = |customer: i64, ts: &str, x: f64| FeatureRow {
        keys: KeyTuple(vec![FeatureValue::Int(customer)]),
        event_ts: Some(at(ts)),
        created_ts: None,
        seq: 0,
        values: vec![FeatureValue::Float(x), FeatureValue::Float(x * 2.0)],
    };
    store.add(
        view(
            "customer_stats",
            &["customer"],
            hours(24),
            &["spend", "conv_rate"],
        ),
        vec![spend(7, "01:00", 10.0)],
    );
    store
}

fn drivers_and_customers(rows: &[(i64, i64)]) -> EntityFrame {
    EntityFrame {
        columns: vec![
            "driver_id".into(),
            "customer_id".into(),
            "event_timestamp".into(),
        ],
        rows: rows
            .iter()
            .map(|(d, c)| {
                vec![
                    FeatureValue::Int(*d),
                    FeatureValue::Int(*c),
                    FeatureValue::Timestamp(at("10:00")),
                ]
            })
            .collect(),
        timestamp_column: 2,
    }
}

// 14. Views are joined independently, each with its own keys and TTL: one view's miss does not
//     drop the row or touch the other view's values.
#[test]
fn item14_views_with_their_own_keys_and_ttls_join_independently() {
    let store = two_views();
    let set = store.join(
        &drivers_and_customers(&[(1, 7), (2, 7), (1, 8)]),
        &["customer_stats:spend", "driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(set.views, vec!["customer_stats", "driver_stats"]);
    let names: Vec<&str> = set.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "driver_id",
            "customer_id",
            "event_timestamp",
            "spend",
            "conv_rate"
        ]
    );
    assert_eq!(
        got(&set, "spend", 0),
        vec![value(10.0), value(10.0), Got::Null(NullReason::NoSuchKey)]
    );
    assert_eq!(
        got(&set, "conv_rate", 1),
        vec![value(0.5), Got::Null(NullReason::ExpiredByTtl), value(0.5)]
    );
}

// 15. Two views exposing the same feature name collide without full feature names (Feast's
//     FeatureNameCollisionError, naming both); with them, columns are VIEW__FEATURE.
#[test]
fn item15_feature_name_collision_is_an_error_unless_names_are_full() {
    let store = two_views();
    let frame = drivers_and_customers(&[(1, 7)]);
    let refs = ["driver_stats:conv_rate", "customer_stats:conv_rate"];
    let error = store.try_join(&frame, &refs, PIT).unwrap_err();
    assert!(error.message.contains("driver_stats:conv_rate"), "{error}");
    assert!(
        error.message.contains("customer_stats:conv_rate"),
        "{error}"
    );
    assert!(error.hint.contains("full-feature-names"), "{error}");

    let full = HistoricalOptions {
        full_feature_names: true,
        created_cutoff: false,
    };
    let set = store.join(&frame, &refs, full);
    assert_eq!(
        &set.columns[3..],
        &[
            OutputColumn {
                name: "driver_stats__conv_rate".into(),
                dtype: Some(Dtype::Float64)
            },
            OutputColumn {
                name: "customer_stats__conv_rate".into(),
                dtype: Some(Dtype::Float64)
            },
        ]
    );
    assert_eq!(got(&set, "driver_stats__conv_rate", 0), vec![value(0.5)]);
    assert_eq!(got(&set, "customer_stats__conv_rate", 1), vec![value(20.0)]);
}

// 16. Time is UTC microseconds: a naive timestamp and one with `Z` are the same instant, a UTC
//     offset is refused rather than guessed, and sub-second precision is kept (an old DuckDB
//     rounded fractional seconds, duckdb/duckdb#7272).
#[test]
fn item16_timestamps_are_utc_microseconds() {
    assert_eq!(
        TimestampUs::parse("2024-03-01T10:00:00Z"),
        TimestampUs::parse("2024-03-01 10:00:00")
    );
    assert_eq!(TimestampUs::parse("2024-03-01T10:00:00+02:00"), None);
    let store = Store::drivers(
        None,
        vec![
            row(1, Some(at("10:00:00.000001")), None, 0, 0.2),
            row(1, Some(at("10:00:00")), None, 1, 0.1),
        ],
    );
    let set = store.join(
        &drivers_at(&[
            (Some(1), Some(at("10:00:00"))),
            (Some(1), Some(at("10:00:00.000001"))),
        ]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(conv(&set), vec![value(0.1), value(0.2)]);
}

// 17. Unsorted sources are sorted internally (pandas requires sorted input; we do not): every
//     order of the same rows gives the same result.
#[test]
fn item17_unsorted_input_gives_the_sorted_result() {
    let rows = vec![
        row(1, Some(at("08:00")), None, 0, 0.8),
        row(1, Some(at("06:00")), None, 1, 0.6),
        row(1, Some(at("09:00")), None, 2, 0.9),
        row(1, Some(at("07:00")), None, 3, 0.7),
    ];
    let frame = drivers_at(&[
        (Some(1), Some(at("06:30"))),
        (Some(1), Some(at("08:59"))),
        (Some(1), Some(at("07:00"))),
    ]);
    let expected = vec![value(0.6), value(0.8), value(0.7)];
    for rotation in 0..rows.len() {
        let mut rotated = rows.clone();
        rotated.rotate_left(rotation);
        rotated.swap(0, rotation % 2 + 1);
        let store = Store::drivers(None, rotated);
        assert_eq!(
            conv(&store.join(&frame, &["driver_stats:conv_rate"], PIT)),
            expected
        );
    }
}

// 18. Output rows are in entity order, not in key or time order.
#[test]
fn item18_output_order_is_entity_order() {
    let store = Store::drivers(
        None,
        vec![
            row(2, Some(at("06:00")), None, 0, 0.2),
            row(1, Some(at("06:00")), None, 1, 0.1),
            row(3, Some(at("06:00")), None, 2, 0.3),
        ],
    );
    let set = store.join(
        &drivers_at(&[
            (Some(3), Some(at("12:00"))),
            (Some(1), Some(at("07:00"))),
            (Some(2), Some(at("09:00"))),
            (Some(1), Some(at("05:00"))),
        ]),
        &["driver_stats:conv_rate"],
        PIT,
    );
    assert_eq!(
        conv(&set),
        vec![
            value(0.3),
            value(0.1),
            value(0.2),
            Got::Null(NullReason::NothingBefore)
        ]
    );
    let labels: Vec<i64> = set
        .rows
        .iter()
        .map(|row| match row[2] {
            FeatureValue::Int(label) => label,
            ref other => panic!("label {other}"),
        })
        .collect();
    assert_eq!(labels, vec![0, 1, 2, 3]);
}

// 19. No entity rows: no output rows, but the columns. An empty view: every key is unknown. A view
//     whose rows are all in the future: nothing before.
#[test]
fn item19_empty_frames_empty_views_and_future_only_views() {
    let refs = ["driver_stats:conv_rate"];
    let store = Store::drivers(None, vec![row(1, Some(at("23:00")), None, 0, 0.5)]);
    let empty = store.join(&drivers_at(&[]), &refs, PIT);
    assert!(empty.rows.is_empty() && empty.matches.is_empty());
    assert_eq!(empty.columns.len(), 4);
    assert_eq!(empty.columns[0].dtype, None, "no values, no type");

    let frame = drivers_at(&[(Some(1), Some(at("10:00")))]);
    assert_eq!(
        conv(&store.join(&frame, &refs, PIT)),
        vec![Got::Null(NullReason::NothingBefore)]
    );
    let no_rows = Store::drivers(hours(1), Vec::new());
    assert_eq!(
        conv(&no_rows.join(&frame, &refs, PIT)),
        vec![Got::Null(NullReason::NoSuchKey)]
    );
}

// 21. A TTL is a duration on the UTC timeline, never calendar days: a daylight-saving change
//     (the US one on 2024-03-10) moves nothing, and a leap day counts as a day.
#[test]
fn item21_ttl_is_a_duration_across_dst_and_leap_days() {
    let days = |d: i64| Some(DurationUs(d * DAY_US));
    let refs = ["driver_stats:conv_rate"];
    let before_dst = vec![row(1, Some(stamp("2024-03-09 12:00")), None, 0, 0.5)];
    let frame = EntityFrame {
        rows: vec![vec![
            FeatureValue::Int(1),
            FeatureValue::Timestamp(stamp("2024-03-10 12:00")),
            FeatureValue::Int(0),
        ]],
        ..drivers_at(&[])
    };
    assert_eq!(
        conv(&Store::drivers(days(1), before_dst).join(&frame, &refs, PIT)),
        vec![value(0.5)],
        "exactly 24 h across the DST change is within a 1-day TTL"
    );

    let before_leap_day = vec![row(1, Some(stamp("2024-02-28 12:00")), None, 0, 0.5)];
    let march_first = EntityFrame {
        rows: vec![vec![
            FeatureValue::Int(1),
            FeatureValue::Timestamp(stamp("2024-03-01 12:00")),
            FeatureValue::Int(0),
        ]],
        ..drivers_at(&[])
    };
    assert_eq!(
        conv(&Store::drivers(days(2), before_leap_day.clone()).join(&march_first, &refs, PIT)),
        vec![value(0.5)],
        "2024 has a February 29th: exactly two days passed, inclusive"
    );
    assert_eq!(
        conv(&Store::drivers(days(1), before_leap_day).join(&march_first, &refs, PIT)),
        vec![Got::Null(NullReason::ExpiredByTtl)]
    );
}

#[test]
fn every_null_reason_has_a_distinct_label_and_an_explanation() {
    let reasons = [
        NullReason::NullKey,
        NullReason::NullTimestamp,
        NullReason::NoSuchKey,
        NullReason::NothingBefore,
        NullReason::ExpiredByTtl,
        NullReason::NotKnownYet,
    ];
    let labels: std::collections::BTreeSet<&str> = reasons.iter().map(|r| r.label()).collect();
    assert_eq!(labels.len(), reasons.len());
    for reason in reasons {
        assert!(reason.explain().ends_with('.'), "{reason:?}");
        assert!(reason.explain().len() > 40, "{reason:?}");
    }
    assert_eq!(NullReason::NoSuchKey.label(), "no such key");
}

#[test]
fn entity_column_types_are_their_values_single_type() {
    let store = Store::drivers(None, vec![row(1, Some(at("08:00")), None, 0, 0.5)]);
    let mut frame = drivers_at(&[(Some(1), Some(at("10:00"))), (None, Some(at("10:00")))]);
    frame.rows[1][2] = FeatureValue::text("mixed");
    let set = store.join(&frame, &["driver_stats:conv_rate"], PIT);
    let dtypes: Vec<Option<Dtype>> = set.columns.iter().map(|c| c.dtype).collect();
    assert_eq!(
        dtypes,
        vec![
            Some(Dtype::Int64),
            Some(Dtype::UnixTimestamp),
            None,
            Some(Dtype::Float64)
        ]
    );
}

// The naive join the lessons start from: the latest row per key, whatever the entity time, TTL or
// created time, so a value from after the entity time is used (the leak the UI marks).
#[test]
fn latest_value_join_takes_the_latest_row_and_leaks_the_future() {
    let store = Store::drivers(
        hours(1),
        vec![
            row(1, Some(at("08:00")), None, 0, 0.8),
            row(1, Some(at("12:00")), Some(at("13:00")), 1, 1.2),
            row(1, Some(at("12:00")), Some(at("12:30")), 2, 1.1),
        ],
    );
    let set = store.naive(
        &drivers_at(&[
            (Some(1), Some(at("09:00"))),
            (Some(1), None),
            (None, Some(at("09:00"))),
            (Some(2), Some(at("09:00"))),
        ]),
        &["driver_stats:conv_rate"],
    );
    assert_eq!(
        conv(&set),
        vec![
            value(1.2),
            value(1.2),
            Got::Null(NullReason::NullKey),
            Got::Null(NullReason::NoSuchKey)
        ]
    );
    assert_eq!(
        set.matches[0][0],
        ViewMatch::Matched {
            seq: 1,
            event_ts: at("12:00"),
            created_ts: Some(at("13:00"))
        }
    );
}

fn join_error(store: &Store, frame: &EntityFrame, refs: &[&str]) -> FeatureError {
    match store.try_join(frame, refs, PIT) {
        Err(error) => {
            assert!(!error.hint.is_empty(), "{error}");
            error
        }
        Ok(_) => panic!("{refs:?} joined"),
    }
}

#[test]
fn unknown_views_and_features_suggest_the_closest_name() {
    let store = two_views();
    let frame = drivers_and_customers(&[(1, 7)]);
    let error = join_error(&store, &frame, &["driver_stat:conv_rate"]);
    assert!(error.message.contains("driver_stat"), "{error}");
    assert!(error.hint.contains("driver_stats"), "{error}");
    let error = join_error(&store, &frame, &["driver_stats:conv_rat"]);
    assert!(error.message.contains("conv_rat"), "{error}");
    assert!(error.hint.contains("conv_rate"), "{error}");
}

#[test]
fn a_frame_without_a_join_key_column_is_an_error() {
    let store = two_views();
    let mut frame = drivers_and_customers(&[(1, 7)]);
    frame.columns[1] = "customer".into();
    let error = join_error(&store, &frame, &["customer_stats:spend"]);
    assert!(error.message.contains("customer_id"), "{error}");
    assert!(error.message.contains("customer_stats"), "{error}");
    assert!(store
        .try_join(&frame, &["driver_stats:conv_rate"], PIT)
        .is_ok());
}

#[test]
fn a_feature_named_like_an_entity_column_is_an_error() {
    let store = Store::drivers(None, Vec::new());
    let mut frame = drivers_at(&[(Some(1), Some(at("10:00")))]);
    frame.columns[2] = "conv_rate".into();
    let error = join_error(&store, &frame, &["driver_stats:conv_rate"]);
    assert!(error.message.contains("entity column"), "{error}");
    let full = HistoricalOptions {
        full_feature_names: true,
        created_cutoff: false,
    };
    assert!(store
        .try_join(&frame, &["driver_stats:conv_rate"], full)
        .is_ok());
}

#[test]
fn a_feature_requested_twice_is_an_error() {
    let store = Store::drivers(None, Vec::new());
    let frame = drivers_at(&[]);
    let error = join_error(
        &store,
        &frame,
        &["driver_stats:conv_rate", "driver_stats:conv_rate"],
    );
    assert!(error.message.contains("twice"), "{error}");
}

#[test]
fn malformed_frames_are_errors() {
    let store = Store::drivers(None, Vec::new());
    let refs = ["driver_stats:conv_rate"];
    let mut not_a_time = drivers_at(&[(Some(1), Some(at("10:00")))]);
    not_a_time.rows[0][1] = FeatureValue::Int(1_709_287_200);
    assert!(join_error(&store, &not_a_time, &refs)
        .message
        .contains("not a timestamp"));
    let mut ragged = drivers_at(&[(Some(1), Some(at("10:00")))]);
    ragged.rows[0].pop();
    assert!(join_error(&store, &ragged, &refs)
        .message
        .contains("2 values"));
    let mut no_time_column = drivers_at(&[]);
    no_time_column.timestamp_column = 3;
    assert!(join_error(&store, &no_time_column, &refs)
        .message
        .contains("timestamp column"));
    let mut twice = drivers_at(&[]);
    twice.columns[2] = "driver_id".into();
    assert!(join_error(&store, &twice, &refs)
        .message
        .contains("two columns"));
}

#[test]
fn malformed_sources_and_definitions_are_errors() {
    let refs = ["driver_stats:conv_rate"];
    let frame = drivers_at(&[(Some(1), Some(at("10:00")))]);
    let mut wrong_type = row(1, Some(at("08:00")), None, 0, 0.5);
    wrong_type.values[0] = FeatureValue::text("high");
    let error = join_error(&Store::drivers(None, vec![wrong_type]), &frame, &refs);
    assert!(error.message.contains("declared Float64"), "{error}");
    let mut short = row(1, Some(at("08:00")), None, 0, 0.5);
    short.values.clear();
    let error = join_error(&Store::drivers(None, vec![short]), &frame, &refs);
    assert!(error.message.contains("0 feature values"), "{error}");
    let negative = Store::drivers(Some(DurationUs(-1)), Vec::new());
    assert!(join_error(&negative, &frame, &refs)
        .message
        .contains("negative TTL"));
    let mut unloaded = Store::drivers(None, Vec::new());
    unloaded.sources.clear();
    assert!(join_error(&unloaded, &frame, &refs)
        .message
        .contains("no rows were loaded"));
    let mut undefined_entity = Store::drivers(None, Vec::new());
    undefined_entity.repo.entities.clear();
    assert!(join_error(&undefined_entity, &frame, &refs)
        .message
        .contains("not defined"));
}
