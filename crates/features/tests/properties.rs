//! The point-in-time join against a brute-force oracle written from its definition: for each
//! entity row and view, filter every source row by the candidate conditions, then take the
//! greatest by `(event_ts, created_ts with NULL lowest, seq, position)`; the NULL reason is the
//! first condition that empties the candidates. Random repositories have one to three views keyed
//! by one or two parts (an integer key, sometimes spread wide enough to leave the dense directory,
//! and a text key), NULL keys, times and created times, many equal times, TTLs (none, zero,
//! bounded), the created-time cutoff and full feature names on or off, and requests whose feature
//! names collide across views. The naive latest-value join is checked against its own oracle.

use features::historical::{
    get_historical_features, latest_value_join, HistoricalOptions, NullReason, OutputColumn,
    TrainingSet, ViewMatch,
};
use features::model::{
    Entity, EntityFrame, FeatureDef, FeatureRef, FeatureRepo, FeatureRow, FeatureView, ViewRows,
    ViewSource,
};
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use proptest::prelude::*;
use std::collections::BTreeMap;

const HOUR_US: i64 = 3_600_000_000;
/// A key far from the others, so a view holding it cannot use a dense key directory.
const FAR_KEY: i64 = 1 << 40;

/// One source row: keys (an integer part, a text part), times in hours, ingestion order.
#[derive(Clone, Debug)]
struct RowCase {
    int_key: Option<i64>,
    text_key: Option<&'static str>,
    event: Option<i64>,
    created: Option<i64>,
    seq: u64,
}

/// Which entities key a view: the integer one, the text one, or both.
#[derive(Clone, Copy, Debug)]
enum Keys {
    Int,
    Text,
    Both,
}

#[derive(Clone, Debug)]
struct ViewCase {
    keys: Keys,
    ttl_hours: Option<i64>,
    rows: Vec<RowCase>,
    /// Request `f`, `g`, or both.
    request: (bool, bool),
}

#[derive(Clone, Debug)]
struct EntityCase {
    int_key: Option<i64>,
    text_key: Option<&'static str>,
    at: Option<i64>,
}

#[derive(Clone, Debug)]
struct Case {
    views: Vec<ViewCase>,
    entities: Vec<EntityCase>,
    rotate_refs: usize,
    options: HistoricalOptions,
}

fn int_key() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        1 => Just(None),
        16 => (-1i64..3).prop_map(Some),
        1 => Just(Some(FAR_KEY)),
    ]
}

fn text_key() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![1 => Just(None), 9 => prop::sample::select(vec!["x", "y"]).prop_map(Some)]
}

fn hours(range: std::ops::Range<i64>) -> impl Strategy<Value = Option<i64>> {
    prop_oneof![1 => Just(None), 9 => range.prop_map(Some)]
}

fn row_case() -> impl Strategy<Value = RowCase> {
    (
        int_key(),
        text_key(),
        hours(0..6),
        prop::option::weighted(0.75, -1i64..3),
        0u64..4,
    )
        .prop_map(|(int_key, text_key, event, created_lag, seq)| RowCase {
            int_key,
            text_key,
            event,
            created: created_lag.map(|lag| event.unwrap_or(3) + lag),
            seq,
        })
}

fn view_case() -> impl Strategy<Value = ViewCase> {
    (
        prop::sample::select(vec![Keys::Int, Keys::Text, Keys::Both]),
        prop_oneof![Just(None), Just(Some(0)), (1i64..4).prop_map(Some)],
        prop::collection::vec(row_case(), 0..30),
        prop::sample::select(vec![(true, false), (false, true), (true, true)]),
    )
        .prop_map(|(keys, ttl_hours, rows, request)| ViewCase {
            keys,
            ttl_hours,
            rows,
            request,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(view_case(), 1..4),
        prop::collection::vec(
            (int_key(), text_key(), hours(0..8)).prop_map(|(int_key, text_key, at)| EntityCase {
                int_key,
                text_key,
                at,
            }),
            0..14,
        ),
        0usize..6,
        any::<(bool, bool)>(),
    )
        .prop_map(|(views, entities, rotate_refs, (full, cutoff))| Case {
            views,
            entities,
            rotate_refs,
            options: HistoricalOptions {
                full_feature_names: full,
                created_cutoff: cutoff,
            },
        })
}

fn view_name(v: usize) -> String {
    format!("view{v}")
}

/// The feature names of view `v`: `f` (shared by every view, so requests can collide) and `g{v}`.
fn feature_names(v: usize) -> [String; 2] {
    ["f".to_string(), format!("g{v}")]
}

fn null_or<T>(value: Option<T>, f: impl Fn(T) -> FeatureValue) -> FeatureValue {
    value.map_or(FeatureValue::Null, f)
}

fn key_parts(keys: Keys, int_key: Option<i64>, text_key: Option<&str>) -> Vec<FeatureValue> {
    let int = null_or(int_key, FeatureValue::Int);
    let text = null_or(text_key, FeatureValue::text);
    match keys {
        Keys::Int => vec![int],
        Keys::Text => vec![text],
        Keys::Both => vec![int, text],
    }
}

fn time(h: i64) -> TimestampUs {
    TimestampUs(h * HOUR_US)
}

/// The repository, sources, entity frame and references a case describes. Row `i` of view `v`
/// has feature values `f = 1000 v + i` and `g = -(1000 v + i)`, so a value names its row.
fn build(
    case: &Case,
) -> (
    FeatureRepo,
    BTreeMap<String, ViewRows>,
    EntityFrame,
    Vec<FeatureRef>,
) {
    let mut repo = FeatureRepo {
        entities: vec![
            Entity {
                name: "number".into(),
                join_keys: vec!["int_key".into()],
            },
            Entity {
                name: "word".into(),
                join_keys: vec!["text_key".into()],
            },
        ],
        ..FeatureRepo::default()
    };
    let mut sources = BTreeMap::new();
    let mut refs = Vec::new();
    for (v, view) in case.views.iter().enumerate() {
        let entities = match view.keys {
            Keys::Int => vec!["number".to_string()],
            Keys::Text => vec!["word".to_string()],
            Keys::Both => vec!["number".to_string(), "word".to_string()],
        };
        let [f, g] = feature_names(v);
        repo.views.push(FeatureView {
            name: view_name(v),
            entities,
            ttl: view.ttl_hours.map(|h| DurationUs(h * HOUR_US)),
            source: ViewSource {
                table: format!("source{v}"),
                timestamp_field: "event_timestamp".into(),
                created_timestamp_column: Some("created".into()),
            },
            features: vec![
                FeatureDef {
                    name: f.clone(),
                    dtype: Dtype::Float64,
                },
                FeatureDef {
                    name: g.clone(),
                    dtype: Dtype::Float64,
                },
            ],
        });
        let rows = view
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let id = (1000 * v + i) as f64;
                FeatureRow {
                    keys: KeyTuple(key_parts(view.keys, row.int_key, row.text_key)),
                    event_ts: row.event.map(time),
                    created_ts: row.created.map(time),
                    seq: row.seq,
                    values: vec![FeatureValue::Float(id), FeatureValue::Float(-id)],
                }
            })
            .collect::<Vec<_>>();
        sources.insert(view_name(v), ViewRows::from(rows));
        for (wanted, feature) in [(view.request.0, f), (view.request.1, g)] {
            if wanted {
                refs.push(FeatureRef {
                    view: view_name(v),
                    feature,
                });
            }
        }
    }
    let rotate = case.rotate_refs % refs.len().max(1);
    refs.rotate_left(rotate);
    let frame = EntityFrame {
        columns: vec![
            "int_key".into(),
            "text_key".into(),
            "event_timestamp".into(),
            "label".into(),
        ],
        rows: case
            .entities
            .iter()
            .enumerate()
            .map(|(i, e)| {
                vec![
                    null_or(e.int_key, FeatureValue::Int),
                    null_or(e.text_key, FeatureValue::text),
                    null_or(e.at.map(time), FeatureValue::Timestamp),
                    FeatureValue::Int(i as i64),
                ]
            })
            .collect(),
        timestamp_column: 2,
    };
    (repo, sources, frame, refs)
}

/// The oracle's answer for one entity row and view: the picked row's position, or the reason.
fn oracle_pick(
    view: &ViewCase,
    rows: &[FeatureRow],
    entity: &EntityCase,
    options: HistoricalOptions,
    point_in_time: bool,
) -> Result<usize, NullReason> {
    let key = key_parts(view.keys, entity.int_key, entity.text_key);
    if key.iter().any(FeatureValue::is_null) {
        return Err(NullReason::NullKey);
    }
    let same_key: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].event_ts.is_some())
        .filter(|&i| {
            rows[i]
                .keys
                .0
                .iter()
                .zip(&key)
                .all(|(a, b)| !a.is_null() && a == b)
        })
        .collect();
    let greatest = |candidates: &[usize]| {
        candidates
            .iter()
            .copied()
            .max_by_key(|&i| (rows[i].event_ts, rows[i].created_ts, rows[i].seq, i))
    };
    if !point_in_time {
        return greatest(&same_key).ok_or(NullReason::NoSuchKey);
    }
    let Some(at) = entity.at.map(time) else {
        return Err(NullReason::NullTimestamp);
    };
    if same_key.is_empty() {
        return Err(NullReason::NoSuchKey);
    }
    let event = |i: usize| rows[i].event_ts.unwrap_or(TimestampUs(i64::MIN));
    let before: Vec<usize> = same_key.into_iter().filter(|&i| event(i) <= at).collect();
    if before.is_empty() {
        return Err(NullReason::NothingBefore);
    }
    let ttl = view.ttl_hours.filter(|&h| h > 0);
    let fresh: Vec<usize> = before
        .into_iter()
        .filter(|&i| ttl.is_none_or(|h| event(i) >= TimestampUs(at.0 - h * HOUR_US)))
        .collect();
    if fresh.is_empty() {
        return Err(NullReason::ExpiredByTtl);
    }
    let known: Vec<usize> = fresh
        .into_iter()
        .filter(|&i| !options.created_cutoff || rows[i].created_ts.unwrap_or(event(i)) <= at)
        .collect();
    greatest(&known).ok_or(NullReason::NotKnownYet)
}

/// The output columns the oracle expects, or `None` when two features get the same name.
fn oracle_columns(
    case: &Case,
    refs: &[FeatureRef],
    frame: &EntityFrame,
) -> Option<Vec<OutputColumn>> {
    let mut columns: Vec<OutputColumn> = frame
        .columns
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let dtypes: std::collections::BTreeSet<Dtype> =
                frame.rows.iter().filter_map(|row| row[c].dtype()).collect();
            OutputColumn {
                name: name.clone(),
                dtype: (dtypes.len() == 1).then(|| *dtypes.iter().next().expect("one type")),
            }
        })
        .collect();
    for feature in refs {
        let name = if case.options.full_feature_names {
            format!("{}__{}", feature.view, feature.feature)
        } else {
            feature.feature.clone()
        };
        if columns.iter().any(|c| c.name == name) {
            return None;
        }
        columns.push(OutputColumn {
            name,
            dtype: Some(Dtype::Float64),
        });
    }
    Some(columns)
}

/// Checks a join's result against the oracle, cell by cell and match by match.
fn check(case: &Case, point_in_time: bool) -> Result<(), TestCaseError> {
    let (repo, sources, frame, refs) = build(case);
    let join = if point_in_time {
        get_historical_features
    } else {
        latest_value_join
    };
    let result = join(&repo, &sources, &frame, &refs, case.options);
    let Some(columns) = oracle_columns(case, &refs, &frame) else {
        let Err(error) = result else {
            return Err(TestCaseError::fail("a feature name collision joined"));
        };
        prop_assert!(error.message.contains("collision"), "{}", error);
        return Ok(());
    };
    let set: TrainingSet = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&set.columns, &columns);
    let mut views: Vec<String> = Vec::new();
    for feature in &refs {
        if !views.contains(&feature.view) {
            views.push(feature.view.clone());
        }
    }
    prop_assert_eq!(&set.views, &views);
    prop_assert_eq!(set.rows.len(), case.entities.len());
    prop_assert_eq!(set.matches.len(), case.entities.len());
    for (r, entity) in case.entities.iter().enumerate() {
        prop_assert_eq!(&set.rows[r][..4], &frame.rows[r][..]);
        for (slot, name) in views.iter().enumerate() {
            let v: usize = name["view".len()..].parse().expect("view number");
            let rows = &sources[name].rows;
            let pick = oracle_pick(&case.views[v], rows, entity, case.options, point_in_time);
            let expected = match pick {
                Ok(i) => ViewMatch::Matched {
                    seq: rows[i].seq,
                    event_ts: rows[i].event_ts.expect("a picked row has an event time"),
                    created_ts: rows[i].created_ts,
                },
                Err(reason) => ViewMatch::Missing(reason),
            };
            prop_assert_eq!(set.matches[r][slot], expected, "row {} view {}", r, name);
            for (c, feature) in refs.iter().enumerate().filter(|(_, f)| &f.view == name) {
                let f = usize::from(feature.feature != "f");
                let value = pick.map_or(FeatureValue::Null, |i| rows[i].values[f].clone());
                prop_assert_eq!(&set.rows[r][4 + c], &value, "row {} {}", r, feature);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn point_in_time_join_matches_the_brute_force_oracle(case in case()) {
        check(&case, true)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn latest_value_join_matches_its_oracle(case in case()) {
        check(&case, false)?;
    }
}
