//! `get_historical_features` against three oracles (docs/testing.md, "Feature store"): pandas
//! `merge_asof`, DuckDB's `ASOF LEFT JOIN` with ties deduplicated first and the TTL applied after
//! the join, and DuckDB's window-rank join (the only form that expresses the created-time
//! cutoff). 2,400 random cases per run, sent to `tests/oracles/feature_oracle.py` in one batch
//! (the case id is folded into the join keys), with small domains so exact ties are common:
//! equal entity times, equal event times, equal created times, equal both (then ingestion order
//! decides), NULL keys, NULL event and created times, NULL entity times, TTLs from one second to
//! unbounded, and up to three views per case keyed by one entity, two, or the other one.
//!
//! Normalizations, as the oracles need them: pandas matches a NaN key to a NaN key and refuses
//! NULL times, so it answers only rows with no NULL key part and a time; pandas and the ASOF form
//! answer only cases without the created cutoff. Every answer given must equal ours, and the
//! oracles must agree with each other. Needs `FLOWLAB_PYTHON` with pandas and duckdb
//! (tests/oracles/requirements.txt); without them the test says why and passes.

use features::historical::{get_historical_features, HistoricalOptions, TrainingSet};
use features::model::{
    Entity, EntityFrame, FeatureDef, FeatureRef, FeatureRepo, FeatureRow, FeatureView, ViewRows,
    ViewSource,
};
use features::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs, US_PER_SECOND};
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const CASES: usize = 2_400;
/// The view slots: which entity key columns each slot's view joins on.
const SLOT_KEYS: [&[&str]; 3] = [&["k"], &["k", "k2"], &["k2"]];

/// One random case: entity rows `(k, k2, ts)`, per used slot its TTL and rows, and the options.
struct Case {
    entities: Vec<[Option<i64>; 3]>,
    /// `views[slot]`: `None` when the case does not use the slot.
    views: [Option<ViewCase>; 3],
    cutoff: bool,
    full_names: bool,
    /// The request order of the used slots.
    order: Vec<usize>,
}

struct ViewCase {
    ttl_seconds: i64,
    /// `(k, k2, event_s, created_s)`; `seq` is the position.
    rows: Vec<[Option<i64>; 4]>,
}

fn maybe(rng: &mut Rng, null_permille: u16, below: u64) -> Option<i64> {
    (!rng.chance_permille(null_permille)).then(|| rng.below(below) as i64)
}

fn generate(rng: &mut Rng) -> Case {
    // Small domains make ties frequent: 3 keys, 10 distinct seconds.
    let entity_rows = 1 + rng.below(8) as usize;
    let entities = (0..entity_rows)
        .map(|_| [maybe(rng, 80, 3), maybe(rng, 80, 3), maybe(rng, 40, 12)])
        .collect();
    let mut views: [Option<ViewCase>; 3] = [None, None, None];
    loop {
        for view in views.iter_mut() {
            if rng.chance_permille(500) {
                let ttl_seconds = match rng.below(4) {
                    0 => 0,
                    _ => 1 + rng.below(6) as i64,
                };
                let mut rows: Vec<[Option<i64>; 4]> = Vec::new();
                for _ in 0..rng.below(11) {
                    if !rows.is_empty() && rng.chance_permille(300) {
                        // The same row written again: only ingestion order tells them apart.
                        let earlier = rows[rng.below(rows.len() as u64) as usize];
                        rows.push(earlier);
                        continue;
                    }
                    let (k, k2, fts) = (maybe(rng, 60, 3), maybe(rng, 60, 3), maybe(rng, 30, 10));
                    // Written at the event time or up to 2 s later (a late correction), so
                    // equal event and created times are common.
                    let created = maybe(rng, 250, 3).map(|late| fts.unwrap_or(0) + late);
                    rows.push([k, k2, fts, created]);
                }
                *view = Some(ViewCase { ttl_seconds, rows });
            }
        }
        if views.iter().any(Option::is_some) {
            break;
        }
    }
    let mut order: Vec<usize> = (0..3).filter(|s| views[*s].is_some()).collect();
    if order.len() > 1 && rng.chance_permille(500) {
        order.reverse();
    }
    Case {
        entities,
        views,
        cutoff: rng.chance_permille(400),
        full_names: rng.chance_permille(500),
        order,
    }
}

fn seconds(s: Option<i64>) -> Option<TimestampUs> {
    s.map(|s| TimestampUs(s * US_PER_SECOND))
}

fn int(v: Option<i64>) -> FeatureValue {
    v.map_or(FeatureValue::Null, FeatureValue::Int)
}

fn view_name(slot: usize) -> String {
    format!("v{slot}")
}

/// With full names every view's feature is `val` (which would collide without them); otherwise
/// `val0`, `val1`, `val2`.
fn feature_name(case: &Case, slot: usize) -> String {
    if case.full_names {
        "val".into()
    } else {
        format!("val{slot}")
    }
}

/// The feature's value for the source row `seq` of `slot`: identifies the row.
fn value_of(slot: usize, seq: u64) -> f64 {
    slot as f64 * 1000.0 + seq as f64 + 0.5
}

/// Our answer for one case: per entity row, per slot, the matched row's `seq` or `None`.
fn ours(case: &Case) -> Vec<[Option<u64>; 3]> {
    let repo = FeatureRepo {
        entities: vec![
            Entity {
                name: "a".into(),
                join_keys: vec!["k".into()],
            },
            Entity {
                name: "b".into(),
                join_keys: vec!["k2".into()],
            },
        ],
        views: (0..3)
            .filter_map(|slot| {
                let view = case.views[slot].as_ref()?;
                Some(FeatureView {
                    name: view_name(slot),
                    entities: match slot {
                        0 => vec!["a".into()],
                        1 => vec!["a".into(), "b".into()],
                        _ => vec!["b".into()],
                    },
                    ttl: (view.ttl_seconds > 0).then(|| DurationUs::from_seconds(view.ttl_seconds)),
                    source: ViewSource {
                        table: format!("source{slot}"),
                        timestamp_field: "fts".into(),
                        created_timestamp_column: Some("created".into()),
                    },
                    features: vec![FeatureDef {
                        name: feature_name(case, slot),
                        dtype: Dtype::Float64,
                    }],
                })
            })
            .collect(),
        services: vec![],
    };
    let sources: BTreeMap<String, ViewRows> = (0..3)
        .filter_map(|slot| {
            let view = case.views[slot].as_ref()?;
            let rows = view
                .rows
                .iter()
                .enumerate()
                .map(|(seq, [k, k2, fts, created])| FeatureRow {
                    keys: KeyTuple(
                        SLOT_KEYS[slot]
                            .iter()
                            .map(|c| int(if *c == "k" { *k } else { *k2 }))
                            .collect(),
                    ),
                    event_ts: seconds(*fts),
                    created_ts: seconds(*created),
                    seq: seq as u64,
                    values: vec![FeatureValue::Float(value_of(slot, seq as u64))],
                })
                .collect::<Vec<_>>();
            Some((view_name(slot), ViewRows::from(rows)))
        })
        .collect();
    let frame = EntityFrame {
        columns: vec!["k".into(), "k2".into(), "event_timestamp".into()],
        rows: case
            .entities
            .iter()
            .map(|[k, k2, ts]| {
                vec![
                    int(*k),
                    int(*k2),
                    seconds(*ts).map_or(FeatureValue::Null, FeatureValue::Timestamp),
                ]
            })
            .collect(),
        timestamp_column: 2,
    };
    let refs: Vec<FeatureRef> = case
        .order
        .iter()
        .map(|slot| FeatureRef {
            view: view_name(*slot),
            feature: feature_name(case, *slot),
        })
        .collect();
    let options = HistoricalOptions {
        full_feature_names: case.full_names,
        created_cutoff: case.cutoff,
    };
    let set = get_historical_features(&repo, &sources, &frame, &refs, options)
        .unwrap_or_else(|e| panic!("the join refused a valid request: {e}"));
    read_back(case, &set)
}

/// Checks the training set's shape and reads the matched `seq` of every row and view back from
/// the values.
fn read_back(case: &Case, set: &TrainingSet) -> Vec<[Option<u64>; 3]> {
    let names: Vec<&str> = set.columns.iter().map(|c| c.name.as_str()).collect();
    let mut expected = vec!["k".to_string(), "k2".into(), "event_timestamp".into()];
    for slot in &case.order {
        expected.push(if case.full_names {
            format!("v{slot}__val")
        } else {
            format!("val{slot}")
        });
    }
    assert_eq!(names, expected, "output columns");
    assert_eq!(
        set.rows.len(),
        case.entities.len(),
        "one output row per entity row"
    );
    set.rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let [k, k2, ts] = case.entities[r];
            assert_eq!(
                row[..3],
                [
                    int(k),
                    int(k2),
                    seconds(ts).map_or(FeatureValue::Null, FeatureValue::Timestamp)
                ]
            );
            let mut matched = [None; 3];
            for (i, slot) in case.order.iter().enumerate() {
                matched[*slot] = match &row[3 + i] {
                    FeatureValue::Null => None,
                    FeatureValue::Float(x) => Some((x - 0.5 - *slot as f64 * 1000.0) as u64),
                    other => panic!("a Float64 feature gave {other:?}"),
                };
            }
            matched
        })
        .collect()
}

/// The oracle's request: every case, the case id folded into the keys.
fn request(cases: &[Case]) -> Json {
    let us = |s: Option<i64>| s.map(|s| s * US_PER_SECOND);
    let slots: Vec<Json> = (0..3)
        .map(|slot| {
            let mut rows = Vec::new();
            for (c, case) in cases.iter().enumerate() {
                if let Some(view) = &case.views[slot] {
                    for (seq, [k, k2, fts, created]) in view.rows.iter().enumerate() {
                        // A key column the slot does not join on is NULL, so no oracle uses it.
                        let uses = |col: &str| SLOT_KEYS[slot].contains(&col);
                        rows.push(json!([
                            c,
                            if uses("k") { *k } else { None },
                            if uses("k2") { *k2 } else { None },
                            us(*fts),
                            us(*created),
                            seq
                        ]));
                    }
                }
            }
            json!({"keys": SLOT_KEYS[slot], "rows": rows})
        })
        .collect();
    let mut entities = Vec::new();
    for (c, case) in cases.iter().enumerate() {
        let ttls: Vec<i64> = (0..3)
            .map(|s| {
                case.views[s]
                    .as_ref()
                    .map_or(0, |v| v.ttl_seconds * US_PER_SECOND)
            })
            .collect();
        for [k, k2, ts] in &case.entities {
            entities.push(json!([c, k, k2, us(*ts), case.cutoff, ttls]));
        }
    }
    json!({"slots": slots, "entities": entities})
}

fn python() -> String {
    std::env::var("FLOWLAB_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs the oracle on the whole request: one process, input written from a thread.
fn run_oracle(request: &Json) -> Json {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/feature_oracle.py");
    let mut child = Command::new(python())
        .arg(script)
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = request.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the oracle finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("the oracle reads its input");
    assert!(
        output.status.success(),
        "the feature oracle failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the oracle prints JSON")
}

fn oracles_installed() -> bool {
    Command::new(python())
        .args(["-c", "import pandas, duckdb"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An oracle's answer for one entity row and slot: `Err(())` where it does not answer.
fn answer(oracle: &Json, slot: usize, row: usize) -> Result<Option<u64>, ()> {
    match &oracle[slot][row] {
        Json::Null => Ok(None),
        Json::String(s) if s == "skip" => Err(()),
        v => Ok(Some(v.as_u64().expect("a seq"))),
    }
}

/// Source rows equal to an earlier row of their view in keys, event time and created time:
/// only ingestion order can decide between them.
fn full_ties(case: &Case) -> usize {
    case.views
        .iter()
        .flatten()
        .map(|view| {
            (0..view.rows.len())
                .filter(|i| view.rows[..*i].contains(&view.rows[*i]))
                .count()
        })
        .sum()
}

fn describe(case: &Case) -> String {
    let mut out = format!(
        "cutoff={} full_names={} order={:?}\n  entities (k, k2, ts_s): {:?}\n",
        case.cutoff, case.full_names, case.order, case.entities
    );
    for (slot, view) in case.views.iter().enumerate() {
        if let Some(view) = view {
            out.push_str(&format!(
                "  v{slot} keys {:?} ttl_s {} rows (k, k2, fts_s, created_s): {:?}\n",
                SLOT_KEYS[slot], view.ttl_seconds, view.rows
            ));
        }
    }
    out
}

#[test]
fn point_in_time_joins_match_pandas_and_duckdb() {
    if !oracles_installed() {
        println!(
            "skipped: {} cannot import pandas and duckdb (run scripts/test.sh, or set \
             FLOWLAB_PYTHON to a Python with tests/oracles/requirements.txt installed)",
            python()
        );
        return;
    }
    let mut rng = Rng::new(Seed(13)).fork("feature-oracle");
    let cases: Vec<Case> = (0..CASES).map(|_| generate(&mut rng)).collect();
    let ours: Vec<Vec<[Option<u64>; 3]>> = cases.iter().map(ours).collect();
    let full_ties = cases.iter().map(full_ties).sum::<usize>();
    let oracle = run_oracle(&request(&cases));
    let names = ["pandas", "asof", "window"];
    let mut compared = [0usize; 3];
    let mut matched_rows = 0usize;
    let mut mismatches = Vec::new();
    let mut row = 0;
    for (c, case) in cases.iter().enumerate() {
        for (r, answers) in ours[c].iter().enumerate() {
            for slot in case.order.iter().copied() {
                let mine = answers[slot];
                matched_rows += usize::from(mine.is_some());
                let theirs: Vec<Result<Option<u64>, ()>> = names
                    .iter()
                    .map(|n| answer(&oracle[n], slot, row))
                    .collect();
                for (i, theirs) in theirs.iter().enumerate() {
                    if let Ok(theirs) = theirs {
                        compared[i] += 1;
                        if *theirs != mine {
                            mismatches.push(format!(
                                "case {c}, entity row {r}, view v{slot}: ours {mine:?}, {} {theirs:?}\n{}",
                                names[i],
                                describe(case)
                            ));
                        }
                    }
                }
            }
            row += 1;
        }
    }
    println!(
        "{CASES} cases, {row} entity rows, {full_ties} source rows tied with an earlier one on \
         keys, event and created time; compared with pandas {}, DuckDB ASOF {}, DuckDB window {} \
         times ({matched_rows} matches); oracle versions {}",
        compared[0], compared[1], compared[2], oracle["versions"]
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches; the first:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every form must have answered a good share of the rows: a test that compares nothing fails.
    assert!(compared.iter().all(|n| *n > 1_000), "{compared:?}");
}
