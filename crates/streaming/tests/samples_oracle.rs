//! The samples pipeline against the same logic written in batch SQL, run by DuckDB and SQLite
//! (`tests/oracles/sql_oracle.py`, docs/testing.md).
//!
//! For seeded recommender logs and feature intervals, the SQL query below (first callback per
//! (request_id, item) by arrival with `ROW_NUMBER() ... = 1`, labels by conditional aggregates
//! over all events, an inner join with the interval condition) must return exactly the rows of
//! `samples::batch_samples`, and the streaming pipeline, given a wait longer than any click delay
//! and a TTL longer than the wait, must emit exactly those samples too.
//!
//! `FLOWLAB_PYTHON` names a Python with the oracles' packages (scripts/test.sh sets it); without
//! it the test says it was skipped and passes.

use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};
use std::fmt::Write as _;
use streaming::generate::recommender::{RecommenderLog, RecommenderLogConfig};
use streaming::samples::{batch_samples, run_pipeline, Sample, SamplePipeline, SamplesConfig};
use streaming::value::{DurationUs, StreamValue};

/// Seeded worlds per run.
const WORLDS: u64 = 12;

/// The batch query: `{before}` and `{after}` are the interval's bounds in microseconds.
const SAMPLES_SQL: &str = "
WITH first_callback AS (
  SELECT request_id, item, ts, ctr, popularity FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY request_id, item ORDER BY arrival, seq) AS rn
    FROM features) AS numbered
  WHERE rn = 1),
labels AS (
  SELECT request_id, item,
         MIN(CASE WHEN kind = 'exposure' THEN ts END) AS exposure_ts,
         MAX(CASE WHEN kind = 'click' THEN 1 ELSE 0 END) AS clicked,
         SUM(CASE WHEN kind = 'play' THEN play_time ELSE 0 END) AS play_time,
         MIN(CASE WHEN kind = 'exposure' THEN scene END) AS scene,
         MIN(CASE WHEN kind = 'exposure' THEN exp_id END) AS exp_id
  FROM events GROUP BY request_id, item)
SELECT l.request_id, l.item, l.exposure_ts, l.clicked, l.play_time, l.scene, l.exp_id,
       f.ctr, f.popularity
FROM labels AS l JOIN first_callback AS f ON l.request_id = f.request_id AND l.item = f.item
WHERE l.exposure_ts IS NOT NULL
  AND f.ts BETWEEN l.exposure_ts - {before} AND l.exposure_ts + {after}
ORDER BY l.request_id, l.item";

/// One world: a log and the settings it is sampled with.
struct World {
    log: RecommenderLog,
    config: SamplesConfig,
}

fn world(seed: u64) -> World {
    let mut log_config = RecommenderLogConfig::typical(40 + (seed as u32 * 13) % 80);
    log_config.feature_repeat_permille = 300;
    let log = RecommenderLog::generate(&log_config, &Rng::new(Seed(seed))).expect("a valid log");
    let mut config = SamplesConfig::production(log_config.partitions);
    // Callbacks are logged up to 10 s before their exposure and repeats up to 600 s after the
    // first: vary the bounds so the interval condition cuts some worlds' rows.
    config.feature_before = DurationUs::from_seconds([30, 5, 0][(seed % 3) as usize]);
    config.feature_after = DurationUs::from_seconds([1800, 0][(seed % 2) as usize]);
    config.wait = DurationUs::from_seconds(5 * 3600);
    config.state_ttl = Some(DurationUs::from_seconds(10 * 3600));
    World { log, config }
}

fn text(value: &StreamValue) -> String {
    match value {
        StreamValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    }
}

/// The statements that load a world's two logs (times as integer microseconds).
fn setup(world: &World) -> Json {
    let mut events = String::from("INSERT INTO events VALUES ");
    for (i, e) in world.log.events.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        let _ = write!(
            events,
            "{separator}({}, {}, '{}', {}, {}, {}, {}, {})",
            e.request_id.0,
            e.item.0,
            e.kind.name(),
            e.ts.0,
            e.arrival.0,
            e.play_time_seconds,
            text(&e.scene),
            e.exp_id
        );
    }
    let mut features = String::from("INSERT INTO features VALUES ");
    for (seq, f) in world.log.features.iter().enumerate() {
        let separator = if seq == 0 { "" } else { ", " };
        let _ = write!(
            features,
            "{separator}({}, {}, {}, {}, {seq}, {}, {})",
            f.request_id.0, f.item.0, f.ts.0, f.arrival.0, f.features[0], f.features[1]
        );
    }
    json!({"op": "setup", "sql": [
        "CREATE TABLE events (request_id BIGINT, item BIGINT, kind TEXT, ts BIGINT, arrival BIGINT, \
         play_time BIGINT, scene TEXT, exp_id BIGINT)",
        "CREATE TABLE features (request_id BIGINT, item BIGINT, ts BIGINT, arrival BIGINT, \
         seq BIGINT, ctr DOUBLE, popularity BIGINT)",
        events,
        features,
    ]})
}

fn query(world: &World) -> String {
    SAMPLES_SQL
        .replace("{before}", &world.config.feature_before.0.to_string())
        .replace("{after}", &world.config.feature_after.0.to_string())
}

/// A sample as the oracle prints its row.
fn as_row(sample: &Sample) -> Json {
    let StreamValue::Text(scene) = &sample.scene else {
        panic!("scene is text");
    };
    let StreamValue::Float(ctr) = sample.features[0] else {
        panic!("ctr is a float");
    };
    let StreamValue::Int(popularity) = sample.features[1] else {
        panic!("popularity is an integer");
    };
    json!([
        sample.request_id.0,
        sample.item.0,
        sample.exposure_ts.0,
        i64::from(sample.clicked),
        sample.play_time_seconds,
        &**scene,
        sample.exp_id,
        ctr,
        popularity
    ])
}

#[path = "../../../tests/oracles/runner.rs"]
mod runner;

/// Runs every request through `tests/oracles/sql_oracle.py` in one process.
fn ask_oracle(python: &str, requests: &[Json]) -> Vec<Json> {
    runner::ask_oracle(
        python,
        env!("CARGO_MANIFEST_DIR"),
        "sql_oracle.py",
        "SQL",
        requests,
    )
}

#[test]
fn streaming_and_batch_samples_match_batch_sql_in_duckdb_and_sqlite() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED streaming_and_batch_samples_match_batch_sql_in_duckdb_and_sqlite: \
             FLOWLAB_PYTHON is not set (scripts/test.sh sets it to a Python with DuckDB; see \
             docs/testing.md)"
        );
        return;
    };
    let worlds: Vec<World> = (0..WORLDS).map(world).collect();
    let mut requests = Vec::new();
    for world in &worlds {
        requests.push(setup(world));
        let sql = query(world);
        requests.push(json!({"op": "query", "duckdb": sql, "sqlite": sql}));
    }
    let answers = ask_oracle(&python, &requests);
    let (mut compared, mut cut_by_interval) = (0, 0);
    for (seed, (world, pair)) in worlds.iter().zip(answers.chunks(2)).enumerate() {
        assert_eq!(
            pair[0]["setup"],
            json!({"duckdb": null, "sqlite": null}),
            "world {seed}"
        );
        let batch = batch_samples(&world.log.events, &world.log.features, &world.config);
        let mut pipeline = SamplePipeline::new(world.config.clone()).expect("valid settings");
        let streamed: Vec<Sample> = run_pipeline(
            &mut pipeline,
            &world.log.events,
            &world.log.features,
            DurationUs::from_seconds(1),
        )
        .into_iter()
        .map(|e| e.sample)
        .collect();
        let mut streamed_sorted = streamed.clone();
        streamed_sorted.sort_by_key(|s| (s.request_id, s.item));
        assert_eq!(streamed_sorted, batch, "world {seed}: streaming vs batch");
        let ours: Vec<Json> = batch.iter().map(as_row).collect();
        for engine in ["duckdb", "sqlite"] {
            let rows = pair[1][engine]["rows"]
                .as_array()
                .unwrap_or_else(|| panic!("world {seed}: {engine} answered {}", pair[1][engine]));
            assert_eq!(rows, &ours, "world {seed}: {engine} vs batch_samples");
        }
        compared += ours.len();
        let exposures_with_callbacks = world.log.features.iter().filter(|f| !f.repeat).count();
        cut_by_interval += exposures_with_callbacks - ours.len();
    }
    assert!(compared > 2000, "{compared} samples compared");
    assert!(
        cut_by_interval > 100,
        "the interval condition cut {cut_by_interval} rows"
    );
    eprintln!(
        "samples_oracle: {compared} samples over {WORLDS} worlds agree with DuckDB and SQLite"
    );
}
