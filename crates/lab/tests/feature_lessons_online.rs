//! The feature-store lessons 43-46 (online store, skew, backfills, counters and embeddings): each
//! goal is met by doing what its solution says and is not met before, and the numbers the prose
//! quotes outside "Do it" promises are the engine's. (The promises themselves are checked by
//! `lesson_instructions.rs`.)

use lab::check::Verdict;
use lab::lesson::{parse_lesson, Lesson};
use lab::metric::Observation;
use lab::steps::{parse_steps, run, Step};

fn lesson(file: &str) -> Lesson {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(file);
    parse_lesson(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Whether goal `id` of the lesson holds after `steps` on the lesson's fresh lab.
fn met(lesson: &Lesson, id: &str, steps: &str) -> bool {
    let steps: Vec<Step> = if steps.is_empty() {
        Vec::new()
    } else {
        parse_steps(steps).unwrap()
    };
    let ran = run(lesson.meta.config, &steps).unwrap_or_else(|e| panic!("{id}: {}", e.message));
    let observation = Observation {
        lab: ran.timeline.head(),
        journal: ran.timeline.journal(),
    };
    let check = lesson
        .checks()
        .find(|check| check.id == id)
        .unwrap_or_else(|| panic!("no goal {id}"));
    matches!(check.evaluate(&observation), Verdict::Met)
}

/// `features.FIELD` after `steps` on the feature-store lab.
fn value(steps: &str, field: &str) -> i64 {
    let lesson = lesson("43-features-online-store.md");
    let ran = run(lesson.meta.config, &parse_steps(steps).unwrap()).unwrap();
    lab::feature_lab::feature_value(ran.timeline.head(), field).unwrap()
}

const MATERIALIZED: &str =
    "materialize 2024-03-01 2024-03-08\nmaterialize-incremental 2024-03-09T06:00";

#[test]
fn online_store_goals_need_the_reads_and_the_policies() {
    let l = lesson("43-features-online-store.md");
    let read = format!("{MATERIALIZED}\nread-online 1144 at=2024-03-09T06:00");
    assert!(!met(&l, "stale-served", MATERIALIZED));
    assert!(met(&l, "stale-served", &read));
    assert!(!met(&l, "stale-served", &format!("online-ttl on\n{read}")));
    let guarded = "write-policy event-time-guarded\nmaterialize 2024-03-05 2024-03-09T06:00\nmaterialize 2024-03-01 2024-03-05";
    assert!(!met(
        &l,
        "guarded-writes",
        &format!("{MATERIALIZED}\nmaterialize 2024-03-01 2024-03-05")
    ));
    assert!(met(&l, "guarded-writes", guarded));
    let ttl = "serve 2024-03-11 2024-03-12 every=1d\nserve 2024-03-12 2024-03-13 every=1h\nonline-ttl on\nttl driver_hourly_stats 2h\nserve 2024-03-13 2024-03-14 every=1h";
    assert!(!met(
        &l,
        "ttl-on-read",
        "ttl driver_hourly_stats 2h\nserve 2024-03-13 2024-03-14 every=1h"
    ));
    assert!(met(&l, "ttl-on-read", ttl));
}

#[test]
fn the_online_store_prose_quotes_the_engine() {
    // One daily run for March 11, then an hourly schedule for March 12 (lesson 43, step 5).
    let guarded = format!("{MATERIALIZED}\nread-online 1144 at=2024-03-09T06:00\nmaterialize 2024-03-01 2024-03-05\nwrite-policy event-time-guarded\nmaterialize 2024-03-05 2024-03-09T06:00\nmaterialize 2024-03-01 2024-03-05");
    let daily = format!("{guarded}\nserve 2024-03-11 2024-03-12 every=1d");
    let hourly = format!("{daily}\nserve 2024-03-12 2024-03-13 every=1h");
    let (before, after_daily, after_hourly) = (
        value(&guarded, "rows_written"),
        value(&daily, "rows_written"),
        value(&hourly, "rows_written"),
    );
    assert_eq!(
        (after_daily - before, after_hourly - after_daily),
        (184, 641)
    );
    assert_eq!(
        value(&hourly, "materializations") - value(&daily, "materializations"),
        20
    );
    // Serving March 11 daily on its own: values up to 1,439 minutes old.
    assert_eq!(
        value(
            "serve 2024-03-11 2024-03-12 every=1d",
            "served_age_max_minutes"
        ),
        1439
    );
}

#[test]
fn skew_goals_need_serving_and_the_fixes() {
    let l = lesson("44-features-skew.md");
    let daily = "serve 2024-03-11 2024-03-12 every=1d";
    assert!(!met(
        &l,
        "lag-found",
        "serve 2024-03-11 2024-03-12 every=1h"
    ));
    assert!(met(&l, "lag-found", daily));
    assert_eq!(value(daily, "skewed_not_materialized"), 765);
    assert_eq!(value(daily, "skewed_lag"), 403);
    let hourly = format!("{daily}\nserve 2024-03-12 2024-03-13 every=1h");
    assert!(!met(&l, "schedule-fixed", daily));
    assert!(!met(
        &l,
        "schedule-fixed",
        &format!("{daily}\nserve 2024-03-12 2024-03-13 every=1d")
    ));
    assert!(met(&l, "schedule-fixed", &hourly));
    let ttl = format!("{hourly}\nttl driver_hourly_stats 2h\nserve 2024-03-13 2024-03-14 every=1h");
    assert!(!met(
        &l,
        "ttl-fixed",
        &format!("{ttl}\nserve 2024-03-14 2024-03-15 every=1h")
    ));
    assert!(met(
        &l,
        "ttl-fixed",
        &format!("{ttl}\nonline-ttl on\nserve 2024-03-14 2024-03-15 every=1h")
    ));
}

#[test]
fn backfill_goals_need_the_cutoff() {
    let l = lesson("45-features-backfills.md");
    assert!(!met(&l, "cutoff-on", "request service=ride_model"));
    assert!(met(
        &l,
        "cutoff-on",
        "request service=ride_model\ncutoff on"
    ));
    let comments = "entities comments\nrequest service=embedding_only";
    assert!(!met(&l, "not-known-yet", comments));
    assert!(!met(&l, "not-known-yet", "cutoff on"));
    assert!(met(&l, "not-known-yet", &format!("{comments}\ncutoff on")));
}

#[test]
fn counter_goals_need_the_counters_and_a_fast_schedule() {
    let l = lesson("46-features-counters-embeddings.md");
    let embedding = "entities comments\nrequest service=embedding_only";
    assert!(!met(&l, "counters-win", embedding));
    let spam = "entities comments\nrequest service=spam_filter";
    assert!(met(&l, "counters-win", spam));
    assert_eq!(value(spam, "offline_auc"), 836);
    let hourly = format!("{spam}\nserve 2024-03-05 2024-03-06 every=1h");
    assert!(!met(
        &l,
        "counters-served-fresh",
        &format!("{hourly}\nonline-ttl on\nserve 2024-03-06 2024-03-07 every=1h")
    ));
    assert!(met(
        &l,
        "counters-served-fresh",
        &format!("{hourly}\nonline-ttl on\nserve 2024-03-06 2024-03-07 every=10m")
    ));
    let ten = format!("{hourly}\nonline-ttl on\nserve 2024-03-06 2024-03-07 every=10m");
    assert_eq!(
        value(&ten, "materializations") - value(&hourly, "materializations"),
        144
    );
}
