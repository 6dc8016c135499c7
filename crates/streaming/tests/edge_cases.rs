//! One test per edge case of the window kernel: window bounds, the watermark, sessions, partial
//! drops in hopping windows, empty windows, idle partitions, NULLs, duplicates, negative times,
//! offsets, far-ahead rows, the one-tick difference to Flink SQL, late rows bridging sessions,
//! saturation near the end of time and tie order; then the emit modes.

use streaming::aggregate::{
    AggFn, AggSpec, Emit, EmitMode, Firing, FiringKind, InputRow, RowFate, WindowedAggConfig,
    WindowedAggregate,
};
use streaming::value::{DurationUs, Key, StreamValue, TimeUs};
use streaming::watermark::PartitionId;
use streaming::window::{Window, WindowSpec};

fn tumble(size: i64) -> WindowSpec {
    WindowSpec::Tumble {
        size: DurationUs(size),
        offset: DurationUs(0),
    }
}

fn hop(slide: i64, size: i64) -> WindowSpec {
    WindowSpec::Hop {
        slide: DurationUs(slide),
        size: DurationUs(size),
        offset: DurationUs(0),
    }
}

fn session(gap: i64) -> WindowSpec {
    WindowSpec::Session {
        gap: DurationUs(gap),
    }
}

/// count(*) and sum(v) over one partition.
fn config(window: WindowSpec, delay: i64, lateness: i64, mode: EmitMode) -> WindowedAggConfig {
    WindowedAggConfig {
        window,
        delay: DurationUs(delay),
        allowed_lateness: DurationUs(lateness),
        idle_timeout: None,
        partitions: 1,
        aggs: vec![
            AggSpec {
                func: AggFn::CountStar,
                input: None,
            },
            AggSpec {
                func: AggFn::Sum,
                input: Some(0),
            },
        ],
        mode,
    }
}

fn operator(window: WindowSpec, delay: i64, lateness: i64) -> WindowedAggregate {
    WindowedAggregate::new(config(window, delay, lateness, EmitMode::OnClose)).unwrap()
}

fn key(k: &str) -> Key {
    vec![StreamValue::text(k)]
}

fn row_at(partition: u32, arrival: i64, k: &str, ts: i64, v: i64) -> InputRow {
    InputRow {
        partition: PartitionId(partition),
        ts: Some(TimeUs(ts)),
        arrival: TimeUs(arrival),
        key: key(k),
        values: vec![StreamValue::Int(v)],
    }
}

fn row(k: &str, ts: i64) -> InputRow {
    row_at(0, 0, k, ts, 1)
}

fn w(start: i64, end: i64) -> Window {
    Window {
        start: TimeUs(start),
        end: TimeUs(end),
    }
}

/// (window, key, count) of firings.
fn counts(firings: &[Firing]) -> Vec<(Window, String, i64)> {
    firings
        .iter()
        .map(|f| {
            let count = match f.aggs[0] {
                StreamValue::Int(n) => n,
                ref other => panic!("count is not an integer: {other:?}"),
            };
            (f.window, f.key[0].to_string(), count)
        })
        .collect()
}

fn final_counts(op: &mut WindowedAggregate) -> Vec<(Window, String, i64)> {
    op.finish();
    counts(&op.results())
}

fn kinds(emit: &Emit) -> Vec<(Window, FiringKind)> {
    emit.rows.iter().map(|f| (f.window, f.kind)).collect()
}

// 1.
#[test]
fn a_row_at_a_window_end_belongs_to_the_next_window_and_at_its_start_to_that_window() {
    let mut op = operator(tumble(10), 100, 0);
    op.push(row("a", 10));
    op.push(row("a", 0));
    op.push(row("a", 20));
    assert_eq!(
        final_counts(&mut op),
        vec![
            (w(0, 10), "a".into(), 1),
            (w(10, 20), "a".into(), 1),
            (w(20, 30), "a".into(), 1)
        ]
    );
}

// 2.
#[test]
fn a_row_exactly_at_the_watermark_is_on_time_and_a_watermark_at_the_end_fires_the_window() {
    let mut op = operator(tumble(10), 0, 0);
    assert_eq!(op.push(row("a", 5)).0, RowFate::OnTime);
    assert_eq!(op.watermark(), TimeUs(5));
    let (fate, emit) = op.push(row("a", 5));
    assert_eq!(fate, RowFate::OnTime);
    assert!(emit.is_none());
    let (fate, emit) = op.push(row("a", 10));
    assert_eq!(fate, RowFate::OnTime);
    let emit = emit.expect("W = 10 reaches the end of [0, 10)");
    assert_eq!(emit.after_row, Some(2));
    assert_eq!(emit.watermark, TimeUs(10));
    assert_eq!(counts(&emit.rows), vec![(w(0, 10), "a".into(), 2)]);
}

// 3.
#[test]
fn rows_exactly_one_gap_apart_are_two_sessions_and_one_tick_closer_one_session() {
    let mut op = operator(session(5), 100, 0);
    op.push(row("a", 0));
    op.push(row("a", 5));
    op.push(row("b", 0));
    op.push(row("b", 4));
    assert_eq!(
        final_counts(&mut op),
        vec![
            (w(0, 5), "a".into(), 1),
            (w(0, 9), "b".into(), 2),
            (w(5, 10), "a".into(), 1)
        ]
    );
}

// 4.
#[test]
fn a_hopping_row_below_the_watermark_loses_only_its_closed_windows_and_is_not_in_late() {
    let mut op = operator(hop(5, 10), 0, 0);
    op.push(row("a", 12));
    let (fate, _) = op.push(row("a", 7));
    assert_eq!(fate, RowFate::PartlyDropped { dropped: 1 });
    assert!(op.late_rows().is_empty());
    assert_eq!(op.stats().partly_dropped, 1);
    // A batch GROUP BY would also count a@7 in [0, 10): this breaks equivalence.
    assert_eq!(
        final_counts(&mut op),
        vec![(w(5, 15), "a".into(), 2), (w(10, 20), "a".into(), 1)]
    );
}

// 5.
#[test]
fn empty_windows_are_never_emitted() {
    let mut op = operator(tumble(10), 0, 0);
    op.push(row("a", 0));
    let (_, emit) = op.push(row("a", 35));
    let emit = emit.expect("W = 35 fires [0, 10)");
    assert_eq!(counts(&emit.rows), vec![(w(0, 10), "a".into(), 1)]);
    assert_eq!(
        final_counts(&mut op),
        vec![(w(0, 10), "a".into(), 1), (w(30, 40), "a".into(), 1)]
    );
}

fn two_partitions(idle_timeout: i64) -> WindowedAggregate {
    let mut config = config(tumble(10), 0, 0, EmitMode::OnClose);
    config.partitions = 2;
    config.idle_timeout = Some(DurationUs(idle_timeout));
    WindowedAggregate::new(config).unwrap()
}

// 6.
#[test]
fn an_idle_partition_holds_the_watermark_until_its_timeout_and_its_rows_below_it_are_then_late() {
    let mut op = two_partitions(100);
    op.push(row_at(0, 0, "a", 5, 1));
    op.push(row_at(1, 0, "a", 6, 1));
    assert_eq!(op.watermark(), TimeUs(5));
    op.push(row_at(0, 50, "a", 40, 1));
    assert_eq!(op.watermark(), TimeUs(6), "partition 1 holds W back");
    assert!(op.on_processing_time(TimeUs(99)).is_none());
    let emit = op
        .on_processing_time(TimeUs(100))
        .expect("partition 1 turned idle: W = 40 fires [0, 10)");
    assert_eq!(emit.after_row, None);
    assert_eq!(emit.watermark, TimeUs(40));
    assert!(op.watermarks()[1].idle);
    assert_eq!(counts(&emit.rows), vec![(w(0, 10), "a".into(), 2)]);
    // Partition 1 resumes below W: its row is late and [10, 20) has closed.
    let (fate, _) = op.push(row_at(1, 120, "a", 15, 1));
    assert_eq!(fate, RowFate::Dropped);
    assert_eq!(op.late_rows(), &[3]);
    assert!(!op.watermarks()[1].idle);
}

// 6 (all idle).
#[test]
fn when_every_partition_is_idle_the_watermark_jumps_to_the_largest_partition_watermark() {
    let mut op = two_partitions(10);
    op.push(row_at(0, 0, "a", 5, 1));
    op.push(row_at(1, 5, "a", 30, 1));
    assert_eq!(op.watermark(), TimeUs(5));
    op.on_processing_time(TimeUs(10));
    assert_eq!(
        op.watermark(),
        TimeUs(30),
        "partition 0 idle: W follows partition 1"
    );
    op.on_processing_time(TimeUs(15));
    assert!(op.watermarks().iter().all(|p| p.idle));
    assert_eq!(op.watermark(), TimeUs(30));
}

// 6 (no timeout).
#[test]
fn without_an_idle_timeout_a_silent_partition_pins_the_watermark() {
    let mut op = operator(tumble(10), 0, 0);
    let mut config = op.config().clone();
    config.partitions = 2;
    op = WindowedAggregate::new(config).unwrap();
    op.push(row_at(0, 0, "a", 50, 1));
    assert!(op.on_processing_time(TimeUs(1_000_000)).is_none());
    assert_eq!(op.watermark(), TimeUs::MIN);
}

// 7.
#[test]
fn a_null_key_is_one_group_and_a_null_event_time_is_invalid() {
    let mut op = operator(tumble(10), 0, 0);
    let null_key = |ts| InputRow {
        key: vec![StreamValue::Null],
        ..row("x", ts)
    };
    op.push(null_key(1));
    op.push(null_key(2));
    let (fate, emit) = op.push(InputRow {
        ts: None,
        ..row("a", 3)
    });
    assert_eq!(fate, RowFate::Invalid);
    assert!(emit.is_none());
    assert_eq!(op.stats().invalid, 1);
    assert_eq!(op.stats().rows_in, 3);
    assert_eq!(final_counts(&mut op), vec![(w(0, 10), "NULL".into(), 2)]);
}

// 8.
#[test]
fn duplicate_rows_are_counted_twice() {
    let mut op = operator(tumble(10), 0, 0);
    op.push(row("a", 3));
    op.push(row("a", 3));
    assert_eq!(final_counts(&mut op), vec![(w(0, 10), "a".into(), 2)]);
}

// 9.
#[test]
fn negative_times_fall_in_floor_aligned_windows() {
    let minute = 60_000_000;
    let mut op = operator(tumble(10 * minute), 0, 0);
    op.push(row("a", -5 * minute));
    assert_eq!(
        final_counts(&mut op),
        vec![(w(-10 * minute, 0), "a".into(), 1)]
    );
}

// 10.
#[test]
fn windows_align_to_the_epoch_so_weeks_start_on_thursday_and_an_offset_moves_days_to_utc_plus_8() {
    let at = |text: &str| TimeUs::parse(text).unwrap();
    let start_of = |spec: WindowSpec, text: &str| spec.assign(at(text))[0].start.format();
    let day = 86_400_000_000;
    let minute = 60_000_000;
    // 1970-01-01 was a Thursday; DuckDB's time_bucket origin (2000-01-03) is a Monday.
    assert_eq!(
        start_of(tumble(7 * day), "2024-03-14 10:00"),
        "2024-03-14 00:00:00"
    );
    assert_eq!(
        start_of(tumble(7 * minute), "2024-03-14 10:00"),
        "2024-03-14 09:55:00"
    );
    let utc_plus_8_days = WindowSpec::Tumble {
        size: DurationUs(day),
        offset: DurationUs(-8 * 3_600_000_000),
    };
    // 20:00 UTC is 04:00 the next day in UTC+8, whose day began at 16:00 UTC.
    assert_eq!(
        start_of(utc_plus_8_days, "2024-03-14 20:00"),
        "2024-03-14 16:00:00"
    );
}

// 11.
#[test]
fn one_row_far_ahead_jumps_the_watermark_and_makes_later_normal_rows_late() {
    let mut op = operator(tumble(10), 2, 0);
    op.push(row("a", 1));
    op.push(row("a", 100));
    assert_eq!(op.watermark(), TimeUs(98));
    assert_eq!(op.push(row("a", 3)).0, RowFate::Dropped);
    assert_eq!(op.late_rows(), &[2]);

    let mut no_delay = operator(tumble(10), 0, 0);
    no_delay.push(row("a", 5));
    assert_eq!(no_delay.push(row("a", 4)).0, RowFate::LateAccepted);
}

// 12.
#[test]
fn the_lab_fires_when_max_ts_minus_delay_reaches_the_end_one_tick_after_flink_sql() {
    // Flink SQL fires [0, 10) at wm >= end - 1, i.e. max ts 12 with D = 3; the lab (like the
    // DataStream API's maxTs - D - 1 against end - 1) waits for max ts 13.
    let mut op = operator(tumble(10), 3, 0);
    op.push(row("a", 0));
    assert!(op.push(row("a", 12)).1.is_none());
    let emit = op.push(row("a", 13)).1.expect("W = 10 fires [0, 10)");
    assert_eq!(counts(&emit.rows), vec![(w(0, 10), "a".into(), 1)]);
}

// 13.
#[test]
fn a_late_row_bridging_two_fired_sessions_retracts_both_and_fires_the_merged_session() {
    let mut op = operator(session(5), 0, 100);
    op.push(row("a", 0)); // [0, 5)
    let emit = op.push(row("a", 8)).1.expect("W = 8 fires [0, 5)"); // [8, 13)
    assert_eq!(kinds(&emit), vec![(w(0, 5), FiringKind::First)]);
    let emit = op.push(row("b", 20)).1.expect("W = 20 fires [8, 13)");
    assert_eq!(kinds(&emit), vec![(w(8, 13), FiringKind::First)]);
    let (fate, emit) = op.push(row("a", 4)); // [4, 9) overlaps both
    assert_eq!(fate, RowFate::LateAccepted);
    let emit = emit.expect("the merged session fires at once");
    assert_eq!(
        kinds(&emit),
        vec![
            (w(0, 5), FiringKind::Retract),
            (w(8, 13), FiringKind::Retract),
            (w(0, 13), FiringKind::First)
        ]
    );
    assert_eq!(counts(&emit.rows[2..]), vec![(w(0, 13), "a".into(), 3)]);
    assert_eq!(
        final_counts(&mut op),
        vec![(w(0, 13), "a".into(), 3), (w(20, 25), "b".into(), 1)]
    );
}

// 13 (purged).
#[test]
fn a_purged_session_stays_closed_so_a_late_row_opens_a_new_one() {
    let mut op = operator(session(5), 0, 3);
    op.push(row("a", 0)); // [0, 5), purged at W >= 8
    op.push(row("b", 10));
    assert_eq!(op.stats().purged, 1);
    let (fate, _) = op.push(row("a", 4)); // [4, 9): 9 + 3 > 10, alive
    assert_eq!(fate, RowFate::LateAccepted);
    assert_eq!(
        final_counts(&mut op),
        vec![
            (w(0, 5), "a".into(), 1),
            (w(4, 9), "a".into(), 1),
            (w(10, 15), "b".into(), 1)
        ]
    );
}

// 14.
#[test]
fn window_end_plus_lateness_saturates_near_the_end_of_time() {
    let mut op = operator(tumble(10), 0, i64::MAX);
    let (fate, emit) = op.push(row("a", i64::MAX - 3));
    assert_eq!(fate, RowFate::OnTime);
    assert!(emit.is_none());
    assert_eq!(op.open_windows()[0].window.end, TimeUs::MAX);
    // A row from the far past is still within a lateness of i64::MAX.
    let (fate, emit) = op.push(row("a", 0));
    assert_eq!(fate, RowFate::LateAccepted);
    assert_eq!(kinds(&emit.unwrap()), vec![(w(0, 10), FiringKind::First)]);
    let emit = op.finish().expect("the end of input fires everything");
    assert_eq!(emit.watermark, TimeUs::MAX);
    assert_eq!(emit.rows.len(), 1);
    assert_eq!(op.stats().open_windows, 0);

    let mut sessions = operator(session(i64::MAX), 0, i64::MAX);
    sessions.push(row("a", i64::MAX));
    sessions.push(row("a", i64::MIN));
    assert_eq!(final_counts(&mut sessions).len(), 1);
}

// 15.
#[test]
fn equal_timestamps_keep_arrival_order_and_firings_are_ordered_by_end_start_key() {
    let mut op = operator(hop(5, 10), 0, 0);
    for k in ["c", "a", "b"] {
        op.push(row(k, 7));
    }
    let emit = op.push(row("z", 100)).1.unwrap();
    let order: Vec<(Window, String)> = emit
        .rows
        .iter()
        .map(|f| (f.window, f.key[0].to_string()))
        .collect();
    let expected: Vec<(Window, String)> = [w(0, 10), w(5, 15)]
        .into_iter()
        .flat_map(|win| ["a", "b", "c"].map(|k| (win, k.to_string())))
        .collect();
    assert_eq!(order, expected);
    // Ties in event time: every row at W is on time, whatever order they came in.
    assert_eq!(op.stats().on_time, 4);
}

// Emit modes.

fn run(
    mode: EmitMode,
    lateness: i64,
    rows: &[(&str, i64)],
) -> (Vec<Option<Emit>>, WindowedAggregate) {
    let mut op = WindowedAggregate::new(config(tumble(10), 0, lateness, mode)).unwrap();
    let emits = rows.iter().map(|(k, ts)| op.push(row(k, *ts)).1).collect();
    (emits, op)
}

#[test]
fn on_close_fires_at_the_end_then_updates_once_per_accepted_late_row() {
    let (emits, op) = run(
        EmitMode::OnClose,
        5,
        &[("a", 1), ("a", 12), ("a", 2), ("a", 16)],
    );
    assert!(emits[0].is_none());
    assert_eq!(
        kinds(emits[1].as_ref().unwrap()),
        vec![(w(0, 10), FiringKind::First)]
    );
    let update = emits[2].as_ref().unwrap();
    assert_eq!(kinds(update), vec![(w(0, 10), FiringKind::Update)]);
    assert_eq!(counts(&update.rows), vec![(w(0, 10), "a".into(), 2)]);
    assert!(
        emits[3].is_none(),
        "purging [0, 10) at W = 16 emits nothing"
    );
    assert_eq!(op.stats().purged, 1);
}

#[test]
fn final_emits_each_window_once_when_its_lateness_has_passed() {
    let (emits, mut op) = run(
        EmitMode::Final,
        5,
        &[("a", 1), ("a", 12), ("a", 2), ("a", 15)],
    );
    assert!(emits[..3].iter().all(Option::is_none));
    let last = emits[3].as_ref().unwrap();
    assert_eq!(counts(&last.rows), vec![(w(0, 10), "a".into(), 2)]);
    let end = op.finish().unwrap();
    assert_eq!(counts(&end.rows), vec![(w(10, 20), "a".into(), 2)]);
}

#[test]
fn changes_emits_the_windows_each_row_changed() {
    let (emits, _) = run(EmitMode::Changes, 5, &[("a", 1), ("b", 12), ("a", 2)]);
    let changed: Vec<Vec<(Window, String, i64)>> = emits
        .iter()
        .map(|e| counts(&e.as_ref().unwrap().rows))
        .collect();
    assert_eq!(
        changed,
        vec![
            vec![(w(0, 10), "a".into(), 1)],
            vec![(w(10, 20), "b".into(), 1)],
            vec![(w(0, 10), "a".into(), 2)]
        ]
    );
}

#[test]
fn changes_retracts_a_session_that_a_row_extended() {
    let mut op = WindowedAggregate::new(config(session(5), 0, 0, EmitMode::Changes)).unwrap();
    op.push(row("a", 0));
    let emit = op.push(row("a", 3)).1.unwrap();
    assert_eq!(
        kinds(&emit),
        vec![(w(0, 5), FiringKind::Retract), (w(0, 8), FiringKind::First)]
    );
}

#[test]
fn complete_lists_every_window_after_each_row_and_drops_nothing() {
    let (emits, op) = run(EmitMode::Complete, 0, &[("a", 1), ("a", 25), ("a", 2)]);
    assert_eq!(emits[1].as_ref().unwrap().rows.len(), 2);
    let last = emits[2].as_ref().unwrap();
    assert_eq!(
        counts(&last.rows),
        vec![(w(0, 10), "a".into(), 2), (w(20, 30), "a".into(), 1)]
    );
    assert!(op.late_rows().is_empty());
    assert_eq!(op.stats().purged, 0);
}

#[test]
fn aggregates_follow_sql_types_and_skip_nulls() {
    let mut config = config(tumble(10), 0, 0, EmitMode::OnClose);
    config.aggs = [AggFn::Count, AggFn::Sum, AggFn::Min, AggFn::Max, AggFn::Avg]
        .into_iter()
        .map(|func| AggSpec {
            func,
            input: Some(0),
        })
        .collect();
    let mut op = WindowedAggregate::new(config).unwrap();
    for v in [StreamValue::Int(4), StreamValue::Null, StreamValue::Int(1)] {
        op.push(InputRow {
            values: vec![v],
            ..row("a", 1)
        });
    }
    op.push(InputRow {
        values: vec![StreamValue::Float(0.5)],
        ..row("b", 1)
    });
    op.push(InputRow {
        values: vec![StreamValue::Null],
        ..row("c", 1)
    });
    op.finish();
    let aggs: Vec<Vec<StreamValue>> = op.results().into_iter().map(|f| f.aggs).collect();
    use StreamValue::{Float, Int, Null};
    assert_eq!(
        aggs,
        vec![
            vec![Int(2), Int(5), Int(1), Int(4), Float(2.5)],
            vec![Int(1), Float(0.5), Float(0.5), Float(0.5), Float(0.5)],
            vec![Int(0), Null, Null, Null, Null]
        ]
    );
}

#[test]
fn impossible_settings_are_refused_with_a_hint() {
    let bad = [
        config(tumble(0), 0, 0, EmitMode::OnClose),
        config(tumble(10), -1, 0, EmitMode::OnClose),
        config(tumble(10), 0, -1, EmitMode::OnClose),
        WindowedAggConfig {
            partitions: 0,
            ..config(tumble(10), 0, 0, EmitMode::OnClose)
        },
        WindowedAggConfig {
            aggs: vec![AggSpec {
                func: AggFn::Sum,
                input: None,
            }],
            ..config(tumble(10), 0, 0, EmitMode::OnClose)
        },
    ];
    for config in bad {
        let err = WindowedAggregate::new(config).unwrap_err();
        assert!(!err.message.is_empty() && !err.hint.is_empty());
    }
}

#[test]
fn names_parse_back() {
    for mode in EmitMode::ALL {
        assert_eq!(EmitMode::parse(mode.name()), Some(mode));
    }
    assert_eq!(EmitMode::parse("ON_CLOSE"), Some(EmitMode::OnClose));
    assert_eq!(AggFn::parse("AVG"), Some(AggFn::Avg));
    assert_eq!(AggFn::parse("median"), None);
}

#[test]
fn sessions_at_the_very_end_of_time_keep_every_row() {
    // Both rows open the empty proto-window [MAX, MAX): they share it.
    let mut op = operator(session(5), 10, 0);
    op.push(row("a", i64::MAX));
    op.push(row("a", i64::MAX));
    assert_eq!(
        final_counts(&mut op),
        vec![(w(i64::MAX, i64::MAX), "a".into(), 2)]
    );
}
