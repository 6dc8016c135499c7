//! Properties of the window kernel over random rows, keys, event times, arrival orders, delays
//! and lateness: the streaming result equals a brute-force batch GROUP BY whenever no row lost a
//! window (tumbling, hopping) or no row was late (sessions); the watermark never goes back and
//! follows the min-over-active-partitions rule; every dropped row is in the late output; the
//! on-close emits, retractions applied, end at the final table.

use std::collections::BTreeMap;

use proptest::prelude::*;
use streaming::aggregate::{
    AggFn, AggSpec, Emit, EmitMode, FiringKind, InputRow, RowFate, WindowedAggConfig,
    WindowedAggregate,
};
use streaming::value::{DurationUs, Key, StreamValue, TimeUs};
use streaming::watermark::PartitionId;
use streaming::window::{Window, WindowSpec};

/// (window, key) -> (count, sum, min, max): the batch answer.
type Table = BTreeMap<(Window, Key), (i64, i64, i64, i64)>;

fn aggs() -> Vec<AggSpec> {
    [AggFn::CountStar, AggFn::Sum, AggFn::Min, AggFn::Max]
        .into_iter()
        .map(|func| AggSpec {
            func,
            input: (func != AggFn::CountStar).then_some(0),
        })
        .collect()
}

#[derive(Clone, Debug)]
struct Event {
    key: u8,
    ts: i64,
    v: i64,
}

fn input(event: &Event, partition: u32, arrival: i64) -> InputRow {
    InputRow {
        partition: PartitionId(partition),
        ts: Some(TimeUs(event.ts)),
        arrival: TimeUs(arrival),
        key: vec![StreamValue::Int(i64::from(event.key))],
        values: vec![StreamValue::Int(event.v)],
    }
}

fn add(table: &mut Table, window: Window, key: u8, v: i64) {
    let entry = table
        .entry((window, vec![StreamValue::Int(i64::from(key))]))
        .or_insert((0, 0, i64::MAX, i64::MIN));
    entry.0 += 1;
    entry.1 += v;
    entry.2 = entry.2.min(v);
    entry.3 = entry.3.max(v);
}

/// Aligned windows by brute force: every start `offset + k * slide` with `start <= ts < start + size`.
fn batch_aligned(events: &[Event], slide: i64, size: i64, offset: i64) -> Table {
    let mut table = Table::new();
    for e in events {
        let first_k = (e.ts - size - offset).div_euclid(slide) - 1;
        let last_k = (e.ts - offset).div_euclid(slide) + 1;
        for k in first_k..=last_k {
            let start = offset + k * slide;
            if start <= e.ts && e.ts < start + size {
                let window = Window {
                    start: TimeUs(start),
                    end: TimeUs(start + size),
                };
                add(&mut table, window, e.key, e.v);
            }
        }
    }
    table
}

/// Half-open sessions by brute force: per key in time order, a gap of `gap` or more starts a new one.
fn batch_sessions(events: &[Event], gap: i64) -> Table {
    let mut by_key: BTreeMap<u8, Vec<&Event>> = BTreeMap::new();
    for e in events {
        by_key.entry(e.key).or_default().push(e);
    }
    let mut table = Table::new();
    for (key, mut rows) in by_key {
        rows.sort_by_key(|e| e.ts);
        let mut group: Vec<&Event> = Vec::new();
        for e in rows {
            if let Some(last) = group.last() {
                if e.ts - last.ts >= gap {
                    flush_session(&mut table, key, &group, gap);
                    group.clear();
                }
            }
            group.push(e);
        }
        flush_session(&mut table, key, &group, gap);
    }
    table
}

fn flush_session(table: &mut Table, key: u8, group: &[&Event], gap: i64) {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return;
    };
    let window = Window {
        start: TimeUs(first.ts),
        end: TimeUs(last.ts + gap),
    };
    for e in group {
        add(table, window, key, e.v);
    }
}

fn as_int(value: &StreamValue) -> i64 {
    match value {
        StreamValue::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn streamed(op: &WindowedAggregate) -> Table {
    op.results()
        .into_iter()
        .map(|f| {
            let a: Vec<i64> = f.aggs.iter().map(as_int).collect();
            ((f.window, f.key), (a[0], a[1], a[2], a[3]))
        })
        .collect()
}

/// The last emitted value of every window, retractions applied.
fn fold_emits(emits: &[Emit]) -> Table {
    let mut table = Table::new();
    for emit in emits {
        for f in &emit.rows {
            let id = (f.window, f.key.clone());
            if f.kind == FiringKind::Retract {
                table.remove(&id);
            } else {
                let a: Vec<i64> = f.aggs.iter().map(as_int).collect();
                table.insert(id, (a[0], a[1], a[2], a[3]));
            }
        }
    }
    table
}

struct Run {
    op: WindowedAggregate,
    fates: Vec<RowFate>,
    emits: Vec<Emit>,
}

/// Pushes the events in order on one partition, checking per row that the watermark never goes
/// back, that lateness is `ts < W` before the row, and that emits carry W after the row.
fn run(spec: WindowSpec, delay: i64, lateness: i64, mode: EmitMode, events: &[Event]) -> Run {
    let mut op = WindowedAggregate::new(WindowedAggConfig {
        window: spec,
        delay: DurationUs(delay),
        allowed_lateness: DurationUs(lateness),
        idle_timeout: None,
        partitions: 1,
        aggs: aggs(),
        mode,
    })
    .unwrap();
    let mut fates = Vec::new();
    let mut emits = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let before = op.watermark();
        let (fate, emit) = op.push(input(e, 0, i as i64));
        assert!(op.watermark() >= before, "the watermark went back");
        let late = !matches!(fate, RowFate::OnTime);
        assert_eq!(
            late,
            TimeUs(e.ts) < before,
            "row {i} {e:?}: {fate:?} at W {before:?}"
        );
        if let Some(emit) = emit {
            assert_eq!(emit.after_row, Some(i as u64));
            assert_eq!(emit.watermark, op.watermark());
            assert!(!emit.rows.is_empty());
            emits.push(emit);
        }
        fates.push(fate);
    }
    emits.extend(op.finish());
    let dropped: Vec<u64> = fates
        .iter()
        .enumerate()
        .filter(|(_, f)| **f == RowFate::Dropped)
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(op.late_rows(), dropped.as_slice());
    assert_eq!(op.stats().open_windows, 0, "finish purges everything");
    Run { op, fates, emits }
}

/// Random events in a random arrival order: either any permutation (most rows late), or time
/// order disturbed by up to `jitter` (no row late when the delay covers the jitter).
fn events(max_rows: usize, span: i64) -> impl Strategy<Value = Vec<Event>> {
    let rows = prop::collection::vec((0u8..4, -span..span, -5i64..20, 0i64..=100), 0..max_rows);
    (rows, 0i64..30, any::<bool>()).prop_flat_map(|(rows, jitter, permute)| {
        let mut events: Vec<(i64, Event)> = rows
            .into_iter()
            .map(|(key, ts, v, share)| (ts + share * jitter / 100, Event { key, ts, v }))
            .collect();
        events.sort_by_key(|(arrival, e)| (*arrival, e.ts));
        let events: Vec<Event> = events.into_iter().map(|(_, e)| e).collect();
        if permute {
            Just(events).prop_shuffle().boxed()
        } else {
            Just(events).boxed()
        }
    })
}

fn aligned_spec() -> impl Strategy<Value = (i64, i64, i64)> {
    // (slide, size, offset) with slide <= size and |offset| < slide; slide == size is a tumble.
    (1i64..12, 1i64..4).prop_flat_map(|(slide, factor)| {
        let size = prop_oneof![Just(slide), Just(slide * factor), Just(slide * factor + 1)];
        (Just(slide), size, -(slide - 1)..slide)
    })
}

fn mode() -> impl Strategy<Value = EmitMode> {
    prop_oneof![
        Just(EmitMode::OnClose),
        Just(EmitMode::Final),
        Just(EmitMode::Changes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn aligned_windows_equal_the_batch_group_by_when_no_row_lost_a_window(
        (slide, size, offset) in aligned_spec(),
        delay in 0i64..30,
        lateness in 0i64..30,
        mode in mode(),
        events in events(40, 60),
    ) {
        let spec = if slide == size {
            WindowSpec::Tumble { size: DurationUs(size), offset: DurationUs(offset) }
        } else {
            WindowSpec::Hop { slide: DurationUs(slide), size: DurationUs(size), offset: DurationUs(offset) }
        };
        let run = run(spec, delay, lateness, mode, &events);
        let lost = run.fates.iter().any(|f| matches!(f, RowFate::Dropped | RowFate::PartlyDropped { .. }));
        if !lost {
            prop_assert_eq!(streamed(&run.op), batch_aligned(&events, slide, size, offset));
        }
        if mode == EmitMode::OnClose || mode == EmitMode::Changes {
            prop_assert_eq!(fold_emits(&run.emits), streamed(&run.op));
        }
    }

    #[test]
    fn sessions_equal_the_batch_sessions_when_no_row_was_late(
        gap in 1i64..15,
        delay in 0i64..40,
        lateness in 0i64..20,
        mode in mode(),
        events in events(40, 80),
    ) {
        let run = run(WindowSpec::Session { gap: DurationUs(gap) }, delay, lateness, mode, &events);
        if run.fates.iter().all(|f| *f == RowFate::OnTime) {
            prop_assert_eq!(streamed(&run.op), batch_sessions(&events, gap));
        }
        if mode == EmitMode::OnClose || mode == EmitMode::Changes {
            prop_assert_eq!(fold_emits(&run.emits), streamed(&run.op));
        }
    }

    #[test]
    fn in_order_input_is_never_late_and_equals_the_batch(
        gap in 1i64..15,
        mut events in events(40, 80),
    ) {
        events.sort_by_key(|e| e.ts);
        let run = run(WindowSpec::Session { gap: DurationUs(gap) }, 0, 0, EmitMode::OnClose, &events);
        prop_assert!(run.fates.iter().all(|f| *f == RowFate::OnTime));
        prop_assert_eq!(streamed(&run.op), batch_sessions(&events, gap));
    }

    #[test]
    fn complete_mode_drops_nothing_and_equals_the_batch(
        size in 1i64..12,
        events in events(30, 60),
    ) {
        let spec = WindowSpec::Tumble { size: DurationUs(size), offset: DurationUs(0) };
        let mut op = WindowedAggregate::new(WindowedAggConfig {
            window: spec,
            delay: DurationUs(0),
            allowed_lateness: DurationUs(0),
            idle_timeout: None,
            partitions: 1,
            aggs: aggs(),
            mode: EmitMode::Complete,
        }).unwrap();
        let mut last = Table::new();
        for (i, e) in events.iter().enumerate() {
            let (fate, emit) = op.push(input(e, 0, i as i64));
            let lost = matches!(fate, RowFate::Dropped | RowFate::PartlyDropped { .. });
            prop_assert!(!lost, "complete mode dropped row {}", i);
            last = fold_emits(&emit.into_iter().collect::<Vec<_>>());
        }
        let batch = batch_aligned(&events, size, size, 0);
        prop_assert_eq!(&last, &batch);
        op.finish();
        prop_assert_eq!(streamed(&op), batch);
    }

    #[test]
    fn the_watermark_is_the_max_of_itself_and_the_min_over_active_partitions(
        steps in prop::collection::vec((0u32..3, 0i64..100, 0i64..8, any::<bool>()), 1..60),
        delay in 0i64..10,
        timeout in 1i64..20,
    ) {
        let mut op = WindowedAggregate::new(WindowedAggConfig {
            window: WindowSpec::Tumble { size: DurationUs(10), offset: DurationUs(0) },
            delay: DurationUs(delay),
            allowed_lateness: DurationUs(0),
            idle_timeout: Some(DurationUs(timeout)),
            partitions: 3,
            aggs: aggs(),
            mode: EmitMode::OnClose,
        }).unwrap();
        let mut now = 0;
        for (i, (partition, ts, advance, tick)) in steps.into_iter().enumerate() {
            now += advance;
            let before = op.watermark();
            if tick {
                op.on_processing_time(TimeUs(now));
                for p in op.watermarks() {
                    let silent_since = p.last_arrival.unwrap_or(TimeUs(0));
                    prop_assert!(!p.idle || now - silent_since.0 >= timeout);
                }
            } else {
                let e = Event { key: 0, ts, v: 1 };
                let (fate, _) = op.push(input(&e, partition, now));
                prop_assert_eq!(fate != RowFate::OnTime, TimeUs(ts) < before, "row {}", i);
                prop_assert!(!op.watermarks()[partition as usize].idle);
            }
            let partitions = op.watermarks();
            let active = partitions.iter().filter(|p| !p.idle).map(|p| p.watermark).min();
            let candidate = active
                .unwrap_or_else(|| partitions.iter().map(|p| p.watermark).max().unwrap_or(TimeUs::MIN));
            prop_assert_eq!(op.watermark(), before.max(candidate));
        }
    }
}
