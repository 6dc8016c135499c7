//! The streaming lessons' predictions (47-51) are right: each test follows the lesson's "Do it"
//! links, as a learner pressing them would, checks that a prediction is not revealed before its
//! experiment and is revealed after it, and that what the lab then shows is the answer the lesson
//! gives (the rows the job wrote, its counters).

mod common;

use common::lessons::Run;
use lab::streaming::aggregate::FiringKind;
use lab::streaming::value::StreamValue;

impl Run {
    /// The sink's rows as (window start, window end, user, clicks, kind), times as HH:MM:SS.
    fn sink(&self) -> Vec<(String, String, String, String, FiringKind)> {
        let text = |v: &StreamValue| {
            let s = v.to_string();
            s.strip_prefix("2024-01-01 ")
                .map_or(s.clone(), str::to_string)
        };
        self.timeline
            .head()
            .streams()
            .unwrap()
            .job()
            .view()
            .sink
            .iter()
            .map(|r| {
                (
                    text(&r.values[0]),
                    text(&r.values[1]),
                    text(&r.values[2]),
                    text(&r.values[3]),
                    r.kind,
                )
            })
            .collect()
    }
}

fn row(
    start: &str,
    end: &str,
    user: &str,
    clicks: &str,
    kind: FiringKind,
) -> (String, String, String, String, FiringKind) {
    (start.into(), end.into(), user.into(), clicks.into(), kind)
}

const EVENT_TIME: &str = "47-streaming-event-time.md";
const WINDOWS: &str = "48-streaming-windows.md";
const WATERMARKS: &str = "49-streaming-watermarks.md";
const MODES: &str = "50-streaming-output-modes.md";
const DELIVERY: &str = "51-streaming-delivery.md";

#[test]
fn a_job_on_arrival_time_calls_nothing_late() {
    let before = Run::after(EVENT_TIME, 1);
    assert!(!before.revealed("guess-arrival-late"));
    assert!(
        before.value("stream.late_accepted") > 0,
        "event time has late clicks"
    );
    let after = Run::after(EVENT_TIME, 2);
    assert!(after.revealed("guess-arrival-late"));
    assert_eq!(
        after.value("stream.late_accepted") + after.value("stream.late_dropped"),
        0
    );
    assert!(after.answer("guess-arrival-late").starts_with("None"));
}

#[test]
fn a_click_at_a_window_end_belongs_to_the_next_window() {
    let before = Run::after(WINDOWS, 1);
    assert!(!before.revealed("guess-edge"));
    let after = Run::after(WINDOWS, 2);
    assert!(after.revealed("guess-edge"));
    assert_eq!(
        after.sink(),
        [
            row("00:00:00", "00:00:10", "u1", "2", FiringKind::First),
            row("00:00:10", "00:00:20", "u1", "1", FiringKind::First),
        ]
    );
    assert!(after
        .answer("guess-edge")
        .contains("00:00:00 to 00:00:10 with 2 clicks, 00:00:10 to 00:00:20 with 1"));
}

#[test]
fn clicks_exactly_one_gap_apart_are_two_sessions() {
    let before = Run::after(WINDOWS, 3);
    assert!(
        !before.revealed("guess-sessions"),
        "revealed by hopping windows"
    );
    let after = Run::after(WINDOWS, 4);
    assert!(after.revealed("guess-sessions"));
    let u1: Vec<_> = after.sink().into_iter().filter(|r| r.2 == "u1").collect();
    assert_eq!(
        u1,
        [
            row("00:00:02", "00:00:07", "u1", "1", FiringKind::First),
            row("00:00:07", "00:00:15", "u1", "2", FiringKind::First),
        ]
    );
    assert!(after.answer("guess-sessions").starts_with("Two"));
    // The late click of step 5 bridges them: both retracted, one merged session.
    let bridged = Run::after(WINDOWS, 5);
    let last: Vec<_> = bridged.sink().into_iter().rev().take(3).collect();
    assert_eq!(
        last[0],
        row("00:00:02", "00:00:15", "u1", "4", FiringKind::First)
    );
    assert!(last[1..].iter().all(|r| r.4 == FiringKind::Retract));
}

#[test]
fn a_late_click_without_lateness_is_dropped_and_an_idle_partition_holds_the_watermark() {
    let before = Run::after(WATERMARKS, 1);
    assert!(!before.revealed("guess-dropped"));
    let after = Run::after(WATERMARKS, 2);
    assert!(after.revealed("guess-dropped"));
    assert_eq!(after.value("stream.late_dropped"), 1);
    assert_eq!(after.value("stream.window_updates"), 0, "no window changed");
    assert!(after.answer("guess-dropped").starts_with("It is dropped"));

    let before = Run::after(WATERMARKS, 3);
    assert!(!before.revealed("guess-idle"));
    let held = before.value("stream.watermark_s");
    let after = Run::after(WATERMARKS, 4);
    assert!(after.revealed("guess-idle"));
    assert_eq!(
        after.value("stream.watermark_s"),
        held,
        "30 s later, the same watermark"
    );
    assert!(after.answer("guess-idle").starts_with("Where it was"));
}

#[test]
fn final_mode_writes_one_row_and_changes_mode_one_per_click() {
    let before = Run::after(MODES, 4);
    assert!(!before.revealed("guess-final"));
    assert!(!before.revealed("guess-changes"));
    let after = Run::after(MODES, 5);
    assert!(after.revealed("guess-final"));
    assert_eq!(
        after.sink(),
        [row("00:00:00", "00:00:10", "u1", "3", FiringKind::First)]
    );
    assert!(after
        .answer("guess-final")
        .starts_with("One row with 3 clicks"));

    let before = Run::after(MODES, 6);
    assert!(!before.revealed("guess-changes"));
    let after = Run::after(MODES, 7);
    assert!(after.revealed("guess-changes"));
    assert_eq!(
        after.value("stream.sink_rows"),
        after.value("stream.rows_in")
    );
    assert_eq!(after.value("stream.rows_in"), 6);
    let first_window: Vec<String> = after
        .sink()
        .into_iter()
        .filter(|r| r.0 == "00:00:00")
        .map(|r| r.3)
        .collect();
    assert_eq!(first_window, ["1", "2", "3"]);
    assert!(after.answer("guess-changes").starts_with("6"));
}

#[test]
fn a_restart_repeats_outputs_at_least_once_and_exactly_once_output_waits_for_a_checkpoint() {
    let before = Run::after(DELIVERY, 1);
    assert!(!before.revealed("guess-duplicates"));
    let after = Run::after(DELIVERY, 2);
    assert!(after.revealed("guess-duplicates"));
    assert!(after.value("stream.duplicates") > 0);
    assert!(after.answer("guess-duplicates").contains("second time"));
    // Every duplicate is a result of the window that fired between the checkpoint and the crash.
    let view = after.timeline.head().streams().unwrap().job();
    let dup_windows: std::collections::BTreeSet<String> = view
        .view()
        .sink
        .iter()
        .filter(|r| r.duplicate)
        .map(|r| r.values[0].to_string())
        .collect();
    assert_eq!(dup_windows.len(), 1, "{dup_windows:?}");

    let before = Run::after(DELIVERY, 3);
    assert!(!before.revealed("guess-visible"));
    assert_eq!(before.value("stream.sink_rows"), 0);
    let pending = before.value("stream.uncommitted");
    assert!(pending > 0);
    let after = Run::after(DELIVERY, 4);
    assert!(after.revealed("guess-visible"));
    assert!(
        after.value("stream.sink_rows") >= pending,
        "committed with the checkpoint"
    );
    assert!(after
        .answer("guess-visible")
        .starts_with("When the checkpoint"));
}
