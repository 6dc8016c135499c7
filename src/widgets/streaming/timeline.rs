//! Event time against processing time for the last minute of clicks: each click is a dot at
//! (its event time, when the broker appended it). On the diagonal a click arrived the moment it
//! happened; the further left of it, the later it arrived. The job's watermark is a vertical line
//! (event time the job believes complete), and the query's windows are bands along the event-time
//! axis: open, fired (held for allowed lateness), closed. Clicks the job dropped as late have
//! their own colour; clicks it has not read yet are hollow.

use super::{no_stream_job, now_time, recent_clicks, seconds_between, time_text};
use lab::state::Lab;
use lab::stream_lab::clicks::ClickRecord;
use lab::streaming::value::{DurationUs, StreamValue, TimeUs};
use lab::streaming::watermark::PartitionId;
use lab::streaming::window::{Window, WindowSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::prelude::*;

/// The span of processing time shown, in seconds.
const SPAN_SECONDS: i64 = 60;
/// How far left of the span the event-time axis reaches to show very late clicks, in seconds.
const LATE_REACH_SECONDS: i64 = 120;
/// The event-time axis grows in steps of this many seconds.
const X_SPAN_STEP_SECONDS: i64 = 30;
/// Clicks drawn at most.
const DOTS_MAX: usize = 600;
/// Window bands drawn at most (hopping windows overlap, so a minute can hold many).
const WINDOWS_MAX: usize = 60;

// The drawing's layout, in SVG units.
const WIDTH: f64 = 400.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 392.0;
const TOP: f64 = 8.0;
const PLOT_BOTTOM: f64 = 210.0;
const LANE_TOP: f64 = 232.0;
const LANE_HEIGHT: f64 = 9.0;

/// Where a window stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WindowState {
    /// Still collecting: the watermark has not reached its end.
    Open,
    /// Fired, still held for late rows (allowed lateness).
    Fired,
    /// Purged: every later row for it is dropped.
    Closed,
}

impl WindowState {
    fn class(self) -> &'static str {
        match self {
            WindowState::Open => "stl-open",
            WindowState::Fired => "stl-fired",
            WindowState::Closed => "stl-closed",
        }
    }

    fn word(self) -> &'static str {
        match self {
            WindowState::Open => "open",
            WindowState::Fired => "fired, held for late rows",
            WindowState::Closed => "closed",
        }
    }
}

/// The windows of `spec` that overlap `[from, to)` (tumbling and hopping windows; sessions
/// exist only where rows made them, so they come from the operator's state and the output).
pub fn windows_between(spec: &WindowSpec, from: TimeUs, to: TimeUs) -> Vec<Window> {
    let (slide, size, offset) = match *spec {
        WindowSpec::Tumble { size, offset } => (size.0, size.0, offset.0),
        WindowSpec::Hop {
            slide,
            size,
            offset,
        } => (slide.0, size.0, offset.0),
        WindowSpec::Session { .. } => return Vec::new(),
    };
    if slide <= 0 || size <= 0 || to.0 <= from.0 {
        return Vec::new();
    }
    // The first start whose window ends after `from`.
    let first = (from.0 - size - offset).div_euclid(slide) * slide + offset + slide;
    let mut out = Vec::new();
    let mut start = first;
    while start < to.0 && out.len() < WINDOWS_MAX {
        if start + size > from.0 {
            out.push(Window {
                start: TimeUs(start),
                end: TimeUs(start + size),
            });
        }
        start += slide;
    }
    out
}

/// Each window's state: held in the operator's state (fired or not), else closed once the
/// watermark passed its end, else open (no row yet).
pub fn window_states(lab: &Lab, from: TimeUs, to: TimeUs) -> BTreeMap<Window, WindowState> {
    let Some(streams) = lab.streams() else {
        return BTreeMap::new();
    };
    let view = streams.job().view();
    let operator = view.operator;
    let watermark = operator.watermark();
    let mut held: BTreeMap<Window, WindowState> = BTreeMap::new();
    for w in operator.open_windows() {
        let state = if w.fired {
            WindowState::Fired
        } else {
            WindowState::Open
        };
        let entry = held.entry(w.window).or_insert(state);
        *entry = (*entry).min(state);
    }
    let mut windows: BTreeSet<Window> =
        lab::sim::sort::collect_set(windows_between(&operator.config().window, from, to));
    windows.extend(held.keys().copied());
    // Sessions the job already wrote out.
    let column = |name: &str| view.columns.iter().position(|c| c == name);
    if let (Some(s), Some(e)) = (column("window_start"), column("window_end")) {
        for row in view.sink.iter() {
            if let (Some(StreamValue::Time(start)), Some(StreamValue::Time(end))) =
                (row.values.get(s), row.values.get(e))
            {
                windows.insert(Window {
                    start: *start,
                    end: *end,
                });
            }
        }
    }
    lab::sim::sort::collect_map(
        windows
            .into_iter()
            .filter(|w| w.end > from && w.start < to)
            .take(WINDOWS_MAX)
            .map(|w| {
                let state = held.get(&w).copied().unwrap_or(
                    if watermark != TimeUs::MIN && w.end <= watermark {
                        WindowState::Closed
                    } else {
                        WindowState::Open
                    },
                );
                (w, state)
            }),
    )
}

/// How a click is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dot {
    OnTime,
    Late,
    Unread,
}

fn dot_of(click: &ClickRecord, late: &BTreeSet<(u32, u64)>, next: &dyn Fn(u32) -> u64) -> Dot {
    if late.contains(&(click.partition, click.offset)) {
        Dot::Late
    } else if click.offset >= next(click.partition) {
        Dot::Unread
    } else {
        Dot::OnTime
    }
}

/// The x axis' span: enough to reach the oldest click shown, in steps of [`X_SPAN_STEP_SECONDS`]
/// (so the scale, and every dot's position within the moving group, changes rarely), between
/// [`SPAN_SECONDS`] and [`SPAN_SECONDS`] + [`LATE_REACH_SECONDS`].
fn x_span_seconds(now: TimeUs, oldest: Option<TimeUs>) -> i64 {
    let needed = oldest.map_or(0, |t| {
        (now.0 - t.0).max(0).unsigned_abs().div_ceil(1_000_000)
    });
    let step = X_SPAN_STEP_SECONDS.unsigned_abs();
    let stepped = i64::try_from(needed.div_ceil(step) * step).unwrap_or(i64::MAX);
    stepped.clamp(SPAN_SECONDS, SPAN_SECONDS + LATE_REACH_SECONDS)
}

/// One click as the timeline draws it: where (in the moving group's coordinates, which follow
/// the lab's clock only through the group's transform) and how.
#[derive(Properties, Clone, PartialEq)]
struct DotProps {
    cx: f64,
    cy: f64,
    kind: Dot,
    click: Rc<ClickRecord>,
}

/// A click's dot: re-rendered only when its place or state changes (a new tick moves the group,
/// not the dots).
#[component]
fn TimelineDot(props: &DotProps) -> Html {
    let c = &props.click;
    let Some(t) = c.event_time else {
        return html! {};
    };
    let class = match props.kind {
        Dot::OnTime => "stl-dot stl-on-time",
        Dot::Late => "stl-dot stl-late",
        Dot::Unread => "stl-dot stl-unread",
    };
    let title = format!(
        "{} on clicks-{} offset {}: event time {}, arrived {}{}",
        c.user.as_deref().unwrap_or("?"),
        c.partition,
        c.offset,
        time_text(t),
        time_text(c.arrival),
        match props.kind {
            Dot::Late => " (dropped as late)",
            Dot::Unread => " (not read yet)",
            Dot::OnTime => "",
        }
    );
    html! {
        <circle cx={format!("{:.1}", props.cx)} cy={format!("{:.1}", props.cy)} r={if props.kind == Dot::Late { "4" } else { "3" }} class={class}><title>{ title }</title></circle>
    }
}

#[component]
pub fn StreamTimeline() -> Html {
    let session = crate::widgets::use_lab();
    let lab = &session.view;
    let Some(streams) = lab.streams() else {
        return no_stream_job();
    };
    let job = streams.job();
    let view = job.view();
    let now = now_time(lab);
    // Nothing happens before the lab's first instant (tick 0).
    let start = lab::stream_lab::at(0);
    let mut clicks: Vec<ClickRecord> = recent_clicks(lab, SPAN_SECONDS)
        .into_iter()
        .filter(|c| c.event_time.is_some())
        .collect();
    // In arrival order, so a tick adds dots at the end and drops them at the front.
    lab::sim::sort::sort_by_key(&mut clicks, |c| (c.arrival, c.partition, c.offset));
    let late: BTreeSet<(u32, u64)> =
        lab::sim::sort::collect_set(view.late.iter().map(|c| (c.partition, c.offset)));
    let x_span_s = x_span_seconds(now, clicks.iter().filter_map(|c| c.event_time).min());
    // The axes slide with the clock: arrival over the last SPAN_SECONDS, event time over x_span_s.
    let y_from = now.minus(DurationUs::from_seconds(SPAN_SECONDS));
    let x_from = now.minus(DurationUs::from_seconds(x_span_s));
    let x_to = now;
    let x_scale = (RIGHT - LEFT) / x_span_s as f64;
    let y_scale = (PLOT_BOTTOM - TOP) / SPAN_SECONDS as f64;
    let x = |t: TimeUs| (LEFT + seconds_between(x_from, t) * x_scale).clamp(LEFT, RIGHT);
    let y =
        |t: TimeUs| (PLOT_BOTTOM - seconds_between(y_from, t) * y_scale).clamp(TOP, PLOT_BOTTOM);
    // The moving groups: each dot, grid line and window sits at its times since the lab's start
    // and the groups move, so a tick changes a group's transform, not every element in it.
    let x_shift = LEFT - seconds_between(start, x_from) * x_scale;
    let y_shift = PLOT_BOTTOM + seconds_between(start, y_from) * y_scale;
    let group = format!("translate({x_shift:.2} {y_shift:.2})");
    let x_since_start = |t: TimeUs| format!("{:.2}", seconds_between(start, t) * x_scale);
    let y_since_start =
        |t: TimeUs, dy: f64| format!("{:.2}", dy - seconds_between(start, t) * y_scale);
    let next = |p: u32| job.job().next_offset(PartitionId(p));
    let dots: Vec<(ClickRecord, Dot)> = clicks
        .into_iter()
        .map(|c| {
            let d = dot_of(&c, &late, &next);
            (c, d)
        })
        .collect();
    let count = |d: Dot| dots.iter().filter(|(_, x)| *x == d).count();
    let (on_time, late_count, unread) = (count(Dot::OnTime), count(Dot::Late), count(Dot::Unread));
    let dots = thin(dots);
    let windows = window_states(lab, x_from.max(start), x_to);
    let slide_lanes = match view.operator.config().window {
        WindowSpec::Hop { slide, size, .. } if slide.0 > 0 => {
            ((size.0 + slide.0 - 1) / slide.0).clamp(1, 4) as usize
        }
        _ => 1,
    };
    let watermark = view.operator.watermark();
    let watermark_x = (watermark != TimeUs::MIN && watermark >= x_from && watermark <= x_to)
        .then(|| x(watermark));
    // Ticks on both axes every 10 seconds of the lab's clock (none before its start).
    let ticks = |from: TimeUs, to: TimeUs| {
        let step = 10_000_000;
        let from = from.max(start);
        let mut t = from.0.div_euclid(step) * step + step;
        let mut out = Vec::new();
        while t <= to.0 {
            out.push(TimeUs(t));
            t += step;
        }
        out
    };
    let diagonal_from = x_from.max(y_from).max(start);
    let label = format!(
        "Clicks of the last {SPAN_SECONDS} s by event time (across) and arrival (up): {on_time} read on time, {late_count} dropped as late, {unread} not read yet. Watermark {}. {} windows shown.",
        time_text(watermark),
        windows.len()
    );
    let lane_bottom = LANE_TOP + LANE_HEIGHT * slide_lanes as f64 + 16.0;
    html! {
        <div class="stream-timeline">
            <svg viewBox={format!("0 0 {WIDTH} {lane_bottom}")} role="img" aria-label={label} class="stl-svg">
                <defs>
                    <clipPath id="stl-plot-clip">
                        <rect x={(LEFT - 4.0).to_string()} y={(TOP - 4.0).to_string()} width={(RIGHT - LEFT + 8.0).to_string()} height={(PLOT_BOTTOM - TOP + 8.0).to_string()} />
                    </clipPath>
                    // The window lanes: a window reaching past either end of the axis is cut there.
                    <clipPath id="stl-lane-clip">
                        <rect x={LEFT.to_string()} y={LANE_TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(LANE_HEIGHT * slide_lanes as f64).to_string()} />
                    </clipPath>
                </defs>
                <rect x={LEFT.to_string()} y={TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(PLOT_BOTTOM - TOP).to_string()} class="stl-plot" />
                // In the lab's first minutes the axes reach back before tick 0: that part is shaded.
                if x_from < start {
                    <rect x={LEFT.to_string()} y={TOP.to_string()} width={format!("{:.1}", x(start) - LEFT)} height={(PLOT_BOTTOM - TOP).to_string()} class="stl-before">
                        <title>{ "before the lab started (tick 0)" }</title>
                    </rect>
                }
                if y_from < start {
                    <rect x={LEFT.to_string()} y={format!("{:.1}", y(start))} width={(RIGHT - LEFT).to_string()} height={format!("{:.1}", PLOT_BOTTOM - y(start))} class="stl-before">
                        <title>{ "before the lab started (tick 0)" }</title>
                    </rect>
                }
                <g class="stl-ticks-x" transform={format!("translate({x_shift:.2} 0)")}>
                    { for ticks(x_from, x_to).into_iter().map(|t| html! {
                        <g class="stl-tick" key={t.0}>
                            <line x1={x_since_start(t)} y1={TOP.to_string()} x2={x_since_start(t)} y2={PLOT_BOTTOM.to_string()} class="stl-grid" />
                            <text x={x_since_start(t)} y={(PLOT_BOTTOM + 12.0).to_string()} text-anchor="middle">{ short(t) }</text>
                        </g>
                    }) }
                </g>
                <g class="stl-ticks-y" transform={format!("translate(0 {y_shift:.2})")}>
                    { for ticks(y_from, now).into_iter().map(|t| html! {
                        <g class="stl-tick" key={t.0}>
                            <line x1={LEFT.to_string()} y1={y_since_start(t, 0.0)} x2={RIGHT.to_string()} y2={y_since_start(t, 0.0)} class="stl-grid" />
                            <text x={(LEFT - 3.0).to_string()} y={y_since_start(t, 3.0)} text-anchor="end">{ short(t) }</text>
                        </g>
                    }) }
                </g>
                // Arrived the moment it happened: event time = arrival.
                <line x1={x(diagonal_from).to_string()} y1={y(diagonal_from).to_string()} x2={x(now).to_string()} y2={y(now).to_string()} class="stl-diagonal" />
                <g clip-path="url(#stl-plot-clip)">
                    <g class="stl-dots" transform={group}>
                        { for dots.into_iter().map(|(c, kind)| {
                            let t = c.event_time.unwrap_or(c.arrival);
                            let cx = seconds_between(start, t) * x_scale;
                            let cy = -seconds_between(start, c.arrival) * y_scale;
                            let key = format!("{}:{}", c.partition, c.offset);
                            html! { <TimelineDot key={key} cx={cx} cy={cy} kind={kind} click={Rc::new(c)} /> }
                        }) }
                    </g>
                </g>
                if let Some(wx) = watermark_x {
                    <line x1={wx.to_string()} y1={TOP.to_string()} x2={wx.to_string()} y2={PLOT_BOTTOM.to_string()} class="stl-watermark" />
                    <text x={(wx - 3.0).to_string()} y={(PLOT_BOTTOM - 4.0).to_string()} text-anchor="end" class="stl-watermark-label">{ "watermark" }</text>
                }
                <g clip-path="url(#stl-lane-clip)">
                    <g class="stl-windows" transform={format!("translate({x_shift:.2} 0)")}>
                        { for windows.iter().map(|(w, state)| {
                            let lane = match view.operator.config().window {
                                WindowSpec::Hop { slide, .. } if slide.0 > 0 => (w.start.0.div_euclid(slide.0)).rem_euclid(slide_lanes as i64) as f64,
                                _ => 0.0,
                            };
                            let width = seconds_between(w.start, w.end) * x_scale;
                            html! {
                                <rect key={format!("{}:{}", w.start.0, w.end.0)} x={format!("{:.2}", seconds_between(start, w.start) * x_scale + 0.5)} y={(LANE_TOP + lane * LANE_HEIGHT).to_string()} width={format!("{:.2}", (width - 1.0).max(1.0))} height={(LANE_HEIGHT - 2.0).to_string()}
                                    class={classes!("stl-window", state.class())}>
                                    <title>{ format!("window {} to {}: {}", time_text(w.start), time_text(w.end), state.word()) }</title>
                                </rect>
                            }
                        }) }
                    </g>
                </g>
                <text x={LEFT.to_string()} y={(LANE_TOP - 4.0).to_string()} class="stl-axis">{ "windows (event time)" }</text>
                <text x="4" y={(TOP + 8.0).to_string()} class="stl-axis">{ "arrival" }</text>
            </svg>
            <ul class="stl-legend small" aria-label="Legend">
                <li><span class="stl-key stl-on-time"></span>{ format!("read on time ({on_time})") }</li>
                <li class="stl-legend-late"><span class="stl-key stl-late"></span>{ format!("late, dropped ({late_count})") }</li>
                <li><span class="stl-key stl-unread"></span>{ format!("not read yet ({unread})") }</li>
                <li><span class="stl-key stl-key-line stl-watermark"></span>{ format!("watermark {}", time_text(watermark)) }</li>
                <li><span class="stl-key stl-window stl-open"></span>{ "open window" }</li>
                <li><span class="stl-key stl-window stl-fired"></span>{ "fired, held for late rows" }</li>
                <li><span class="stl-key stl-window stl-closed"></span>{ "closed window" }</li>
            </ul>
            <p class="small muted">{ "Across: event time (when the click happened). Up: arrival (when the broker appended it). The dashed diagonal is \"arrived as it happened\"; dots left of it arrived late." }</p>
        </div>
    }
}

/// At most [`DOTS_MAX`] dots (unless late ones alone fill it), every late one kept and the
/// others thinned evenly (a fast generator sends thousands of clicks a minute; the SVG would
/// drown in them). A click is kept by its offset (every `2^k`-th of its partition), so the same clicks stay drawn from one tick
/// to the next.
fn thin(dots: Vec<(ClickRecord, Dot)>) -> Vec<(ClickRecord, Dot)> {
    let others = dots.iter().filter(|(_, d)| *d != Dot::Late).count();
    let room = DOTS_MAX.saturating_sub(dots.len() - others).max(1);
    let kept = |every: u64| {
        dots.iter()
            .filter(|(c, d)| *d != Dot::Late && c.offset % every == 0)
            .count()
    };
    // Offsets below 2^32 a partition: past that, one dot a partition is all there is to thin.
    let mut every = (others.div_ceil(room) as u64).next_power_of_two();
    while kept(every) > room && every < 1 << 32 {
        every *= 2;
    }
    dots.into_iter()
        .filter(|(c, d)| *d == Dot::Late || c.offset % every == 0)
        .collect()
}

/// A tick label: `01:20` (minutes and seconds; the hour is in every dot's title).
fn short(t: TimeUs) -> String {
    let text = time_text(t);
    text.get(3..8).unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::streaming::value::DurationUs;

    #[test]
    fn tumbling_windows_cover_the_span_once() {
        let spec = WindowSpec::Tumble {
            size: DurationUs::from_seconds(10),
            offset: DurationUs(0),
        };
        let from = lab::stream_lab::at(55);
        let to = lab::stream_lab::at(300);
        let windows = windows_between(&spec, from, to);
        assert_eq!(
            windows.first().map(|w| w.start),
            Some(lab::stream_lab::at(0))
        );
        assert_eq!(
            windows.last().map(|w| w.end),
            Some(lab::stream_lab::at(300))
        );
        assert_eq!(windows.len(), 3);
    }

    #[test]
    fn thinning_keeps_every_late_click() {
        let click = |offset: u64| ClickRecord {
            partition: 0,
            offset,
            arrival: lab::stream_lab::at(offset),
            user: None,
            page: None,
            amount: None,
            event_time: Some(lab::stream_lab::at(0)),
        };
        let dots: Vec<(ClickRecord, Dot)> = (0..3000)
            .map(|i| {
                (
                    click(i),
                    if i % 1000 == 7 {
                        Dot::Late
                    } else {
                        Dot::OnTime
                    },
                )
            })
            .collect();
        let thinned = thin(dots);
        assert!(thinned.len() <= DOTS_MAX, "{}", thinned.len());
        assert_eq!(thinned.iter().filter(|(_, d)| *d == Dot::Late).count(), 3);
        let few: Vec<(ClickRecord, Dot)> = (0..10).map(|i| (click(i), Dot::Unread)).collect();
        assert_eq!(thin(few).len(), 10);
    }

    #[test]
    fn thinning_keeps_the_same_clicks_as_the_window_slides() {
        let click = |offset: u64| {
            (
                ClickRecord {
                    partition: 0,
                    offset,
                    arrival: lab::stream_lab::at(offset),
                    user: None,
                    page: None,
                    amount: None,
                    event_time: Some(lab::stream_lab::at(offset)),
                },
                Dot::OnTime,
            )
        };
        let offsets = |from: u64, to: u64| -> Vec<u64> {
            thin((from..to).map(click).collect())
                .into_iter()
                .map(|(c, _)| c.offset)
                .collect()
        };
        let before = offsets(0, 3000);
        let after = offsets(40, 3040);
        assert!(before.len() <= DOTS_MAX && after.len() <= DOTS_MAX);
        // The clicks in both windows are drawn in both or in neither.
        let shared = |kept: &[u64]| -> Vec<u64> {
            kept.iter()
                .copied()
                .filter(|o| (40..3000).contains(o))
                .collect()
        };
        assert_eq!(shared(&before), shared(&after));
        assert!(!shared(&before).is_empty());
    }

    #[test]
    fn the_event_time_axis_grows_in_steps_to_reach_late_clicks() {
        let now = lab::stream_lab::at(2_000);
        let back = |s: i64| Some(now.minus(DurationUs::from_seconds(s)));
        assert_eq!(x_span_seconds(now, None), SPAN_SECONDS);
        assert_eq!(x_span_seconds(now, back(45)), SPAN_SECONDS);
        assert_eq!(x_span_seconds(now, back(61)), 90);
        assert_eq!(x_span_seconds(now, back(90)), 90);
        assert_eq!(
            x_span_seconds(now, back(1_000)),
            SPAN_SECONDS + LATE_REACH_SECONDS
        );
    }

    #[test]
    fn hopping_windows_overlap() {
        let spec = WindowSpec::Hop {
            slide: DurationUs::from_seconds(5),
            size: DurationUs::from_seconds(10),
            offset: DurationUs(0),
        };
        let windows = windows_between(&spec, lab::stream_lab::at(100), lab::stream_lab::at(200));
        // Starts 5, 10, 15 s: each overlaps [10 s, 20 s).
        assert_eq!(windows.len(), 3);
        assert!(windows.iter().all(|w| w.end.0 - w.start.0 == 10_000_000));
    }
}
