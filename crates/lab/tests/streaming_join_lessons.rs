//! Lessons 52 (stream joins) and 54 (streaming features), tested by their solutions: each goal
//! is unmet on the lesson's fresh lab, and met after the steps its solution names; each
//! prediction's experiment reveals it and gives the numbers its answer states. A goal that the
//! lab can no longer meet, or a prediction whose answer went wrong, fails here.

use lab::check::Verdict;
use lab::lesson::{parse_lesson, Lesson};
use lab::metric::{Metric, Observation};
use lab::steps::{parse_steps, Step};
use lab::timeline::Timeline;

fn lesson(file: &str) -> Lesson {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(file);
    parse_lesson(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The lesson's lab after `steps` (steps-language lines separated by `;`).
fn run(lesson: &Lesson, steps: &str) -> Timeline {
    let mut timeline = Timeline::new(lesson.meta.config);
    for line in steps.split(';').map(str::trim).filter(|l| !l.is_empty()) {
        for step in parse_steps(line).unwrap() {
            match step {
                Step::Ticks(n) => {
                    for _ in 0..n {
                        timeline.advance_head().unwrap();
                    }
                }
                Step::Broker(command) => {
                    let end = timeline.end();
                    timeline
                        .apply_at(end, lab::state::Command::Broker(command))
                        .unwrap();
                }
                Step::Lab(command) => {
                    let end = timeline.end();
                    timeline
                        .apply_at(end, command)
                        .unwrap_or_else(|e| panic!("{line}: {e:?}"));
                }
            }
        }
    }
    timeline
}

fn observe(timeline: &Timeline) -> Observation<'_> {
    Observation {
        lab: timeline.head(),
        journal: timeline.journal(),
    }
}

fn value(timeline: &Timeline, metric: &str) -> i64 {
    observe(timeline)
        .value(&Metric::parse(metric).unwrap())
        .unwrap_or_else(|| panic!("{metric} has no value"))
}

/// Goal `id` is unmet on the fresh lab and on `not_enough`, and met after `solution`.
fn goal_needs(file: &str, id: &str, not_enough: &str, solution: &str) {
    let lesson = lesson(file);
    let check = lesson
        .checks()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{file} has no goal {id}"));
    for steps in ["", not_enough] {
        let t = run(&lesson, steps);
        assert!(
            matches!(check.when.evaluate(&observe(&t)), Verdict::NotYet(_)),
            "{id} is met after {steps:?}"
        );
    }
    let t = run(&lesson, solution);
    assert_eq!(
        check.when.evaluate(&observe(&t)),
        Verdict::Met,
        "{id} is not met by its solution"
    );
}

const L52: &str = "52-streaming-joins.md";
const L54: &str = "54-streaming-features.md";

#[test]
fn the_exact_temporal_join_needs_event_time_and_a_delay_covering_the_capture_lag() {
    // Event time alone drops late changes; the delay alone leaves the lookup join in charge.
    goal_needs(
        L52,
        "exact-temporal-join",
        "table-join event-time; tick 600",
        "table-join event-time; watermark-delay 6s; tick 600",
    );
    goal_needs(
        L52,
        "exact-temporal-join",
        "watermark-delay 6s; tick 600",
        "watermark-delay 6s; table-join event-time; tick 600",
    );
}

#[test]
fn the_bounded_interval_state_needs_the_lower_bound_raised() {
    goal_needs(
        L52,
        "bounded-interval-state",
        "join-bounds -30s 1m; tick 1500",
        "join-bounds 0s 1m; tick 1500",
    );
}

#[test]
fn lesson_52_predictions_hold() {
    let lesson = lesson(L52);
    let differ = lesson
        .predictions()
        .find(|p| p.id == "guess-differ")
        .unwrap();
    let t = run(&lesson, "tick 600");
    assert_eq!(differ.reveal.evaluate(&observe(&t)), Verdict::Met);
    assert!(differ.choices[differ.answer]
        .starts_with("No: the lookup join gives some clicks the tier before"));
    let view = lab::stream_lab::joins_lab::joins_in_full(t.head()).unwrap();
    // As the lesson says: of the 50 disagreements of the first minute, 29 are changes that
    // happened before the click but arrived after its lookup, 10 an older change arriving after a
    // newer one (the lookup keeps the last to arrive), 11 one change the temporal join dropped.
    let differs = value(&t, "stream.as_of_differs");
    let joined: Vec<&str> = view
        .table
        .differing
        .iter()
        .filter(|c| {
            !matches!(
                c.as_of_event_time,
                lab::stream_lab::joins_lab::Enriched::LateDropped
            )
        })
        .filter_map(|c| c.why.as_deref())
        .collect();
    assert_eq!(joined.len() as i64, differs);
    let count = |prefix: &str| joined.iter().filter(|w| w.starts_with(prefix)).count();
    assert_eq!(
        (
            differs,
            count("the version in force"),
            count("the older change"),
            count("the change to")
        ),
        (50, 29, 10, 11),
        "{joined:?}"
    );

    let state = lesson
        .predictions()
        .find(|p| p.id == "guess-state")
        .unwrap();
    assert!(state.choices[state.answer].starts_with("About a third"));
    let before = run(
        &lesson,
        "tick 600; table-join event-time; watermark-delay 6s; tick 100; tick 1500",
    );
    assert_ne!(state.reveal.evaluate(&observe(&before)), Verdict::Met);
    let after = run(&lesson, "tick 600; table-join event-time; watermark-delay 6s; tick 100; tick 1500; join-bounds 0s 1m");
    assert_eq!(state.reveal.evaluate(&observe(&after)), Verdict::Met);
    let (wide, narrow) = (
        value(&before, "stream.join_state_rows"),
        value(&after, "stream.join_state_rows"),
    );
    assert!(
        narrow * 4 > wide && narrow * 2 < wide,
        "{wide} -> {narrow}: about a third"
    );
}

#[test]
fn the_stale_online_goal_needs_the_job_down_and_a_read() {
    goal_needs(
        L54,
        "stale-online",
        "crash-job; tick 300",
        "tick 600; crash-job; tick 300; entities comments; request user_activity:clicks,user_activity:amount; read-online u3 at=2024-01-01T00:01:30",
    );
    // A read while the job runs is fresh: the goal stays unmet.
    goal_needs(
        L54,
        "stale-online",
        "tick 300; entities comments; request user_activity:clicks,user_activity:amount; read-online u3 at=2024-01-01T00:00:30",
        "tick 300; crash-job; tick 300; entities comments; request user_activity:clicks,user_activity:amount; read-online u3 at=2024-01-01T00:01:00",
    );
}

#[test]
fn outage_skew_needs_a_read_during_the_outage_and_the_catch_up() {
    let read = "entities comments; request user_activity:clicks,user_activity:amount; read-online u3 at=2024-01-01T00:01:30";
    goal_needs(
        L54,
        "outage-skew",
        // A read during the outage, before the job is back: nothing served differs yet.
        &format!("tick 600; crash-job; tick 300; {read}"),
        &format!("tick 600; crash-job; tick 300; {read}; restart-job; tick 300"),
    );
}

#[test]
fn lesson_54_prediction_holds() {
    let lesson = lesson(L54);
    let p = lesson
        .predictions()
        .find(|p| p.id == "guess-stale")
        .unwrap();
    assert!(p.choices[p.answer].starts_with("u3's last pushed window, 40 s old"));
    let t = run(
        &lesson,
        "tick 600; crash-job; tick 300; entities comments; request user_activity:clicks,user_activity:amount; read-online u3 at=2024-01-01T00:01:30",
    );
    assert_eq!(p.reveal.evaluate(&observe(&t)), Verdict::Met);
    assert_eq!(value(&t, "stream.freshness_s"), 40);
    assert_eq!(value(&t, "features.reads"), 1);
    assert_eq!(value(&t, "features.not_found"), 0, "served, not missing");
}
