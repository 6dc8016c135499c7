//! Event time against processing time for the last minute of clicks: each click is a dot at
//! (its event time, when the broker appended it). On the diagonal a click arrived the moment it
//! happened; the further left of it, the later it arrived. The job's watermark is a vertical line
//! (event time the job believes complete), and the query's windows are bands along the event-time
//! axis: open, fired (held for allowed lateness), closed. Clicks the job dropped as late have
//! their own colour; clicks it has not read yet are hollow.

use super::{no_stream_job, now_time, recent_clicks, seconds_between, time_text};
use lab::state::Lab;
use lab::stream_lab::clicks::ClickRecord;
use lab::streaming::value::{StreamValue, TimeUs};
use lab::streaming::watermark::PartitionId;
use lab::streaming::window::{Window, WindowSpec};
use std::collections::{BTreeMap, BTreeSet};
use yew::prelude::*;

/// The span of processing time shown, in seconds.
const SPAN_SECONDS: i64 = 60;
/// How far left of the span the event-time axis reaches to show very late clicks, in seconds.
const LATE_REACH_SECONDS: i64 = 120;
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
    let mut windows: BTreeSet<Window> = windows_between(&operator.config().window, from, to)
        .into_iter()
        .collect();
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
        })
        .collect()
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
    let y_from = now.minus(lab::streaming::value::DurationUs::from_seconds(
        SPAN_SECONDS,
    ));
    let clicks: Vec<ClickRecord> = recent_clicks(lab, SPAN_SECONDS)
        .into_iter()
        .filter(|c| c.event_time.is_some())
        .collect();
    let late: BTreeSet<(u32, u64)> = view.late.iter().map(|c| (c.partition, c.offset)).collect();
    let reach = now.minus(lab::streaming::value::DurationUs::from_seconds(
        SPAN_SECONDS + LATE_REACH_SECONDS,
    ));
    let oldest = clicks
        .iter()
        .filter_map(|c| c.event_time)
        .min()
        .unwrap_or(y_from);
    // Nothing happens before the lab's first instant (tick 0).
    let start = lab::stream_lab::at(0);
    let y_from = y_from.max(start);
    let x_from = TimeUs(y_from.0.min(oldest.0).max(reach.0).max(start.0));
    let x_to = now;
    let x_span = seconds_between(x_from, x_to).max(1.0);
    let y_span = seconds_between(y_from, now).max(1.0);
    let x =
        |t: TimeUs| LEFT + (seconds_between(x_from, t) / x_span).clamp(0.0, 1.0) * (RIGHT - LEFT);
    let y = |t: TimeUs| {
        PLOT_BOTTOM - (seconds_between(y_from, t) / y_span).clamp(0.0, 1.0) * (PLOT_BOTTOM - TOP)
    };
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
    let windows = window_states(lab, x_from, x_to);
    let slide_lanes = match view.operator.config().window {
        WindowSpec::Hop { slide, size, .. } if slide.0 > 0 => {
            ((size.0 + slide.0 - 1) / slide.0).clamp(1, 4) as usize
        }
        _ => 1,
    };
    let watermark = view.operator.watermark();
    let watermark_x = (watermark != TimeUs::MIN && watermark >= x_from && watermark <= x_to)
        .then(|| x(watermark));
    // Ticks on both axes every 10 seconds of the lab's clock.
    let ticks = |from: TimeUs, to: TimeUs| {
        let step = 10_000_000;
        let mut t = from.0.div_euclid(step) * step + step;
        let mut out = Vec::new();
        while t <= to.0 {
            out.push(TimeUs(t));
            t += step;
        }
        out
    };
    let diagonal_from = if x_from < y_from { y_from } else { x_from };
    let label = format!(
        "Clicks of the last {SPAN_SECONDS} s by event time (across) and arrival (up): {on_time} read on time, {late_count} dropped as late, {unread} not read yet. Watermark {}. {} windows shown.",
        time_text(watermark),
        windows.len()
    );
    let lane_bottom = LANE_TOP + LANE_HEIGHT * slide_lanes as f64 + 16.0;
    html! {
        <div class="stream-timeline">
            <svg viewBox={format!("0 0 {WIDTH} {lane_bottom}")} role="img" aria-label={label} class="stl-svg">
                <rect x={LEFT.to_string()} y={TOP.to_string()} width={(RIGHT - LEFT).to_string()} height={(PLOT_BOTTOM - TOP).to_string()} class="stl-plot" />
                { for ticks(x_from, x_to).into_iter().map(|t| html! {
                    <g class="stl-tick">
                        <line x1={x(t).to_string()} y1={TOP.to_string()} x2={x(t).to_string()} y2={PLOT_BOTTOM.to_string()} class="stl-grid" />
                        <text x={x(t).to_string()} y={(PLOT_BOTTOM + 12.0).to_string()} text-anchor="middle">{ short(t) }</text>
                    </g>
                }) }
                { for ticks(y_from, now).into_iter().map(|t| html! {
                    <g class="stl-tick">
                        <line x1={LEFT.to_string()} y1={y(t).to_string()} x2={RIGHT.to_string()} y2={y(t).to_string()} class="stl-grid" />
                        <text x={(LEFT - 3.0).to_string()} y={(y(t) + 3.0).to_string()} text-anchor="end">{ short(t) }</text>
                    </g>
                }) }
                // Arrived the moment it happened: event time = arrival.
                <line x1={x(diagonal_from).to_string()} y1={y(diagonal_from).to_string()} x2={x(now).to_string()} y2={y(now).to_string()} class="stl-diagonal" />
                { for dots.iter().filter_map(|(c, d)| {
                    let t = c.event_time?;
                    let class = match d { Dot::OnTime => "stl-dot stl-on-time", Dot::Late => "stl-dot stl-late", Dot::Unread => "stl-dot stl-unread" };
                    let title = format!("{} on clicks-{} offset {}: event time {}, arrived {}{}",
                        c.user.as_deref().unwrap_or("?"), c.partition, c.offset, time_text(t), time_text(c.arrival),
                        match d { Dot::Late => " (dropped as late)", Dot::Unread => " (not read yet)", Dot::OnTime => "" });
                    Some(html! {
                        <circle cx={format!("{:.1}", x(t))} cy={format!("{:.1}", y(c.arrival))} r={if *d == Dot::Late { "4" } else { "3" }} class={class}><title>{ title }</title></circle>
                    })
                }) }
                if let Some(wx) = watermark_x {
                    <line x1={wx.to_string()} y1={TOP.to_string()} x2={wx.to_string()} y2={PLOT_BOTTOM.to_string()} class="stl-watermark" />
                    <text x={(wx - 3.0).to_string()} y={(PLOT_BOTTOM - 4.0).to_string()} text-anchor="end" class="stl-watermark-label">{ "watermark" }</text>
                }
                { for windows.iter().map(|(w, state)| {
                    let lane = match view.operator.config().window {
                        WindowSpec::Hop { slide, .. } if slide.0 > 0 => (w.start.0.div_euclid(slide.0)).rem_euclid(slide_lanes as i64) as f64,
                        _ => 0.0,
                    };
                    let (x1, x2) = (x(w.start), x(w.end));
                    html! {
                        <rect x={format!("{:.1}", x1 + 0.5)} y={(LANE_TOP + lane * LANE_HEIGHT).to_string()} width={format!("{:.1}", (x2 - x1 - 1.0).max(1.0))} height={(LANE_HEIGHT - 2.0).to_string()}
                            class={classes!("stl-window", state.class())}>
                            <title>{ format!("window {} to {}: {}", time_text(w.start), time_text(w.end), state.word()) }</title>
                        </rect>
                    }
                }) }
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

/// At most [`DOTS_MAX`] dots, every late one kept and the others thinned evenly (a fast
/// generator sends thousands of clicks a minute; the SVG would drown in them).
fn thin(dots: Vec<(ClickRecord, Dot)>) -> Vec<(ClickRecord, Dot)> {
    let others = dots.iter().filter(|(_, d)| *d != Dot::Late).count();
    let room = DOTS_MAX.saturating_sub(dots.len() - others).max(1);
    if others <= room {
        return dots;
    }
    let every = others.div_ceil(room);
    let mut seen = 0;
    dots.into_iter()
        .filter(|(_, d)| {
            if *d == Dot::Late {
                return true;
            }
            seen += 1;
            (seen - 1) % every == 0
        })
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
