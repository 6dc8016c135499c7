//! One key over time, a lane per requested view: the view's source rows for the key as dots at
//! their event time (a late correction also has a hollow ring at the time it was written, joined
//! to its dot), the entity rows with that key as ticks, each with an arrow to the source row the
//! join gave it (red when that row happened after the entity row, amber when it was written
//! after it) or a cross for a NULL, and the TTL window as a band before each tick. The picked
//! entity row (clicked in the training set, or chosen here) is the one drawn strongest, and the
//! zoom (a day, a week, everything) centres on it.
//!
//! Plain SVG: x positions are percentages of the width, so the drawing fills its column at any
//! width without scaling its text; below a minimum width it scrolls inside its box.

use super::{
    key_columns, key_text, picked_in, row_key, row_time, short_day, short_time, value_text,
    PickedRow,
};
use lab::feature_lab::format_duration;
use lab::features::historical::{Leak, TrainingSet, ViewMatch};
use lab::features::model::{EntityFrame, FeatureRow, FeatureView};
use lab::features::store::FeatureStore;
use lab::features::value::{DurationUs, KeyTuple, TimestampUs};
use std::collections::BTreeMap;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

const US_PER_HOUR: i64 = 3_600_000_000;
const US_PER_DAY: i64 = 24 * US_PER_HOUR;

/// How much time the drawing spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Zoom {
    Hour,
    Day,
    Week,
    All,
}

impl Zoom {
    const ALL: [Zoom; 4] = [Zoom::Hour, Zoom::Day, Zoom::Week, Zoom::All];

    fn label(self) -> &'static str {
        match self {
            Zoom::Hour => "an hour",
            Zoom::Day => "a day",
            Zoom::Week => "a week",
            Zoom::All => "all",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Zoom::Hour => "hour",
            Zoom::Day => "day",
            Zoom::Week => "week",
            Zoom::All => "all",
        }
    }
}

/// An hour for a view whose TTL is an hour or less (per-minute counters), else a day.
fn default_zoom(lanes: &[Lane]) -> Zoom {
    match lanes.first().and_then(|lane| lane.view.ttl) {
        Some(ttl) if ttl.0 <= US_PER_HOUR => Zoom::Hour,
        _ => Zoom::Day,
    }
}

/// The time span on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    from: i64,
    to: i64,
}

/// Horizontal margins of the drawing, in percent of its width.
const X_MIN: f64 = 2.0;
const X_MAX: f64 = 98.0;

impl Window {
    /// `t` as a percentage of the width (outside `X_MIN..X_MAX` when outside the window; the
    /// drawing clips it).
    fn x(self, t: TimestampUs) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        X_MIN + (X_MAX - X_MIN) * (t.0 - self.from) as f64 / span
    }

    fn pct(self, t: TimestampUs) -> String {
        format!("{:.3}%", self.x(t))
    }

    /// The window of `zoom` around `center`, moved (by up to three quarters of its half
    /// width) to show less of the time before or after everything in `span`; or around all of
    /// `span` for [`Zoom::All`].
    fn around(zoom: Zoom, center: i64, span: (i64, i64)) -> Window {
        let half = match zoom {
            Zoom::Hour => US_PER_HOUR / 2,
            Zoom::Day => US_PER_DAY / 2,
            Zoom::Week => 7 * US_PER_DAY / 2,
            Zoom::All => {
                let pad = ((span.1 - span.0) / 30).max(US_PER_HOUR);
                return Window {
                    from: span.0 - pad,
                    to: span.1 + pad,
                };
            }
        };
        let pad = half / 8;
        let latest_end = (span.1 + pad).max(center + half / 4);
        let to = (center + half).min(latest_end);
        let earliest_start = (span.0 - pad).min(center - half / 4);
        let from = (to - 2 * half).max(earliest_start);
        Window {
            from,
            to: from + 2 * half,
        }
    }
}

/// The axis step: the smallest "nice" step that gives at most seven labels.
fn axis_step(window: Window) -> i64 {
    const STEPS_MINUTES: [i64; 13] = [
        5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 5760, 10080,
    ];
    let span = window.to - window.from;
    STEPS_MINUTES
        .iter()
        .map(|m| m * US_PER_HOUR / 60)
        .find(|step| span / step <= 7)
        .unwrap_or(14 * US_PER_DAY)
}

/// The axis ticks: multiples of the step inside the window (UTC, so days start at midnight),
/// leaving out those so near an edge that their label would be cut.
fn axis_ticks(window: Window) -> Vec<TimestampUs> {
    let step = axis_step(window);
    let first = window.from.div_euclid(step) * step;
    (1..)
        .map(|i| TimestampUs(first + i * step))
        .take_while(|t| t.0 < window.to)
        .filter(|t| (6.0..=94.0).contains(&window.x(*t)))
        .collect()
}

/// An axis label: the date at midnight, else the time of day.
fn axis_label(t: TimestampUs) -> String {
    let text = short_day(t);
    match text.split_once(", ") {
        Some((_, clock)) => clock.to_string(),
        None => text,
    }
}

/// One lane: a requested view, the key the picked row has for it, its source rows for that key
/// and the entity rows with that key.
struct Lane<'a> {
    view: &'a FeatureView,
    /// Position of the view in the training set's views (its column in `matches`).
    index: usize,
    key: KeyTuple,
    key_names: Vec<String>,
    rows: Vec<&'a FeatureRow>,
    /// Entity rows with this key: (row, its time).
    ticks: Vec<(usize, Option<TimestampUs>)>,
}

fn lanes<'a>(
    store: &'a FeatureStore,
    frame: &EntityFrame,
    set: &TrainingSet,
    picked: usize,
) -> Vec<Lane<'a>> {
    let repo = store.repo();
    set.views
        .iter()
        .enumerate()
        .filter_map(|(index, name)| {
            let view = repo.view(name).ok()?;
            let columns = key_columns(repo, frame, name)?;
            let key = row_key(frame, picked, &columns);
            let rows = store
                .sources()
                .get(name)
                .map(|source| source.rows.iter().filter(|row| row.keys == key).collect())
                .unwrap_or_default();
            let ticks = (0..frame.rows.len())
                .filter(|&r| row_key(frame, r, &columns) == key)
                .map(|r| (r, row_time(frame, r)))
                .collect();
            Some(Lane {
                view,
                index,
                key,
                key_names: repo.join_keys(view).unwrap_or_default(),
                rows,
                ticks,
            })
        })
        .collect()
}

/// The earliest and latest instant any lane draws (rows, writes, entity rows and their TTL
/// windows).
fn span_of(lanes: &[Lane]) -> Option<(i64, i64)> {
    let times = lanes.iter().flat_map(|lane| {
        let rows = lane
            .rows
            .iter()
            .flat_map(|row| [row.event_ts, row.created_ts])
            .flatten();
        let ttl = lane.view.ttl.map_or(0, |d| d.0);
        let ticks = lane
            .ticks
            .iter()
            .filter_map(|(_, t)| *t)
            .flat_map(move |t| [t, t.minus(DurationUs(ttl))]);
        rows.chain(ticks).map(|t| t.0).collect::<Vec<_>>()
    });
    times.fold(None, |span, t| match span {
        None => Some((t, t)),
        Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
    })
}

/// Vertical layout of a lane, in pixels from its top.
const LANE_HEIGHT: f64 = 118.0;
const TITLE_Y: f64 = 16.0;
const SOURCE_Y: f64 = 44.0;
const TICK_TOP: f64 = 84.0;
const TICK_Y: f64 = 94.0;
const TICK_BOTTOM: f64 = 106.0;
const AXIS_HEIGHT: f64 = 26.0;

/// The CSS class of a match's arrow.
fn match_class(found: &ViewMatch, at: Option<TimestampUs>) -> &'static str {
    match found.leak(at) {
        Some(Leak::FromFuture) => "fs-arrow fs-arrow-future",
        Some(Leak::WrittenLater) => "fs-arrow fs-arrow-late",
        None => "fs-arrow",
    }
}

/// The arrowhead marker of a match's arrow, coloured like the arrow.
fn arrow_head(found: &ViewMatch, at: Option<TimestampUs>) -> &'static str {
    match found.leak(at) {
        Some(Leak::FromFuture) => "url(#fs-head-future)",
        Some(Leak::WrittenLater) => "url(#fs-head-late)",
        None => "url(#fs-head)",
    }
}

/// A source row's tooltip: its times and values.
fn row_title(view: &FeatureView, row: &FeatureRow) -> String {
    let mut text = format!(
        "event {}",
        row.event_ts.map_or_else(|| "NULL".to_string(), short_time)
    );
    if let Some(created) = row.created_ts.filter(|c| Some(*c) != row.event_ts) {
        text.push_str(&format!(", written {}", short_time(created)));
    }
    for (feature, value) in view.features.iter().zip(&row.values) {
        text.push_str(&format!("\n{} = {}", feature.name, value_text(value)));
    }
    text
}

fn draw_lane(lane: &Lane, top: f64, window: Window, set: &TrainingSet, picked: usize) -> Html {
    let y = |dy: f64| format!("{:.1}", top + dy);
    let ttl = lane.view.ttl;
    let picked_match = set
        .matches
        .get(picked)
        .and_then(|m| m.get(lane.index))
        .copied();
    let picked_seq = match picked_match {
        Some(ViewMatch::Matched { seq, .. }) => Some(seq),
        _ => None,
    };
    let bands = lane.ticks.iter().filter_map(|&(r, at)| {
        let (at, ttl) = (at?, ttl?);
        let start = at.minus(ttl);
        let width = (window.x(at) - window.x(start)).max(0.0);
        Some(html! {
            <rect class={if r == picked { "fs-ttl-band picked" } else { "fs-ttl-band" }}
                x={window.pct(start)} y={y(SOURCE_Y - 14.0)} width={format!("{width:.3}%")} height={format!("{:.1}", TICK_BOTTOM - SOURCE_Y + 14.0)}>
                <title>{ format!("TTL window of row #{}: {} back from {}", r + 1, format_duration(ttl), short_time(at)) }</title>
            </rect>
        })
    });
    let sources = lane.rows.iter().filter_map(|row| {
        let event = row.event_ts?;
        let late = row.created_ts.filter(|c| *c != event);
        let picked = picked_seq == Some(row.seq);
        Some(html! {
            <g class={classes!("fs-source", late.is_some().then_some("corrected"), picked.then_some("picked"))} data-seq={row.seq.to_string()}>
                <title>{ row_title(lane.view, row) }</title>
                if let Some(created) = late {
                    <line class="fs-written-line" x1={window.pct(event)} y1={y(SOURCE_Y)} x2={window.pct(created)} y2={y(SOURCE_Y)} />
                    <circle class="fs-written" cx={window.pct(created)} cy={y(SOURCE_Y)} r="5.5" />
                }
                <circle class="fs-dot" cx={window.pct(event)} cy={y(SOURCE_Y)} r={if picked { "6" } else { "4.5" }} />
            </g>
        })
    });
    let ticks = lane.ticks.iter().filter_map(|&(r, at)| {
        let at = at?;
        let found = set.matches.get(r)?.get(lane.index)?;
        let strong = (r == picked).then_some("picked");
        let mark = match found {
            ViewMatch::Matched { event_ts, .. } => html! {
                <line class={classes!(match_class(found, Some(at)), strong)} x1={window.pct(at)} y1={y(TICK_TOP)} x2={window.pct(*event_ts)} y2={y(SOURCE_Y + 8.0)}
                    marker-end={arrow_head(found, Some(at))} />
            },
            ViewMatch::Missing(reason) => html! {
                <text class={classes!("fs-cross", strong)} x={window.pct(at)} y={y(TICK_TOP - 6.0)} text-anchor="middle">{ "×" }<title>{ format!("NULL: {}. {}", reason.label(), reason.explain()) }</title></text>
            },
        };
        Some(html! {
            <g class={classes!("fs-tick", strong)} data-row={r.to_string()}>
                <title>{ format!("entity row #{} at {}", r + 1, short_time(at)) }</title>
                { mark }
                <line class="fs-tick-line" x1={window.pct(at)} y1={y(TICK_TOP)} x2={window.pct(at)} y2={y(TICK_BOTTOM)} />
            </g>
        })
    });
    let title = format!(
        "{} · {} {} · TTL {}",
        lane.view.name,
        lane.key_names.join(", "),
        key_text(&lane.key),
        ttl.map_or_else(|| "none".to_string(), format_duration)
    );
    html! {
        <g class="fs-lane" data-view={lane.view.name.clone()}>
            <line class="fs-lane-rule" x1="0" y1={y(0.5)} x2="100%" y2={y(0.5)} />
            <text class="fs-lane-title" x="0.5%" y={y(TITLE_Y)}>{ title }</text>
            { for bands }
            <line class="fs-baseline" x1="0" y1={y(SOURCE_Y)} x2="100%" y2={y(SOURCE_Y)} />
            <line class="fs-baseline" x1="0" y1={y(TICK_Y)} x2="100%" y2={y(TICK_Y)} />
            { for sources }
            { for ticks }
        </g>
    }
}

fn draw_axis(top: f64, window: Window) -> Html {
    html! {
        <g class="fs-axis">
            { for axis_ticks(window).into_iter().map(|t| html! {
                <g>
                    <line class="fs-grid" x1={window.pct(t)} y1="0" x2={window.pct(t)} y2={format!("{:.1}", top + 4.0)} />
                    <text x={window.pct(t)} y={format!("{:.1}", top + 18.0)} text-anchor="middle">{ axis_label(t) }</text>
                </g>
            }) }
        </g>
    }
}

/// What the picked row got from each view, in words (the drawing's text equivalent).
fn picked_summary(lanes: &[Lane], set: &TrainingSet, frame: &EntityFrame, picked: usize) -> Html {
    let at = row_time(frame, picked);
    let items = lanes.iter().map(|lane| {
        let found = set.matches.get(picked).and_then(|m| m.get(lane.index));
        let text = match found {
            Some(
                m @ ViewMatch::Matched {
                    seq,
                    event_ts,
                    created_ts,
                },
            ) => {
                let written = created_ts
                    .filter(|c| c != event_ts)
                    .map_or_else(String::new, |c| format!(", written {}", short_time(c)));
                let leak = match m.leak(at) {
                    Some(Leak::FromFuture) => " (from the future)",
                    Some(Leak::WrittenLater) => " (written later)",
                    None => "",
                };
                let values = lane
                    .rows
                    .iter()
                    .find(|row| row.seq == *seq)
                    .map(|row| {
                        let pairs: Vec<String> = lane
                            .view
                            .features
                            .iter()
                            .zip(&row.values)
                            .map(|(f, v)| format!("{} {}", f.name, value_text(v)))
                            .collect();
                        format!(": {}", pairs.join(", "))
                    })
                    .unwrap_or_default();
                format!("the row of {}{written}{leak}{values}", short_time(*event_ts))
            }
            Some(ViewMatch::Missing(reason)) => format!("NULL, {}", reason.label()),
            None => "nothing".to_string(),
        };
        html! { <li data-view={lane.view.name.clone()}><strong>{ lane.view.name.clone() }</strong>{ format!(" gave {text}") }</li> }
    });
    html! {
        <div class="fs-picked small">
            { format!("Row #{} at {}:", picked + 1, at.map_or_else(|| "no time".to_string(), short_time)) }
            <ul>{ for items }</ul>
        </div>
    }
}

/// The keys of the first lane's view present in the entity rows, each with its first row.
fn key_choices(
    store: &FeatureStore,
    frame: &EntityFrame,
    set: &TrainingSet,
) -> (String, Vec<(String, usize)>) {
    let Some(view) = set.views.first() else {
        return (String::new(), Vec::new());
    };
    let Some(columns) = key_columns(store.repo(), frame, view) else {
        return (String::new(), Vec::new());
    };
    let mut first: BTreeMap<KeyTuple, usize> = BTreeMap::new();
    for r in 0..frame.rows.len() {
        first.entry(row_key(frame, r, &columns)).or_insert(r);
    }
    let name = columns
        .iter()
        .map(|&c| frame.columns[c].clone())
        .collect::<Vec<_>>()
        .join(", ");
    (
        name,
        first
            .into_iter()
            .map(|(key, r)| (key_text(&key), r))
            .collect(),
    )
}

#[component]
pub fn FeatureTimeline() -> Html {
    let session = super::super::use_lab();
    let selection = super::use_selection();
    // None until the learner picks one: then the zoom that suits the first lane's TTL.
    let chosen_zoom = use_state(|| None::<Zoom>);
    let Some(store) = session.view.features() else {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    };
    let Ok(set) = &store.derived().training else {
        return html! { <p class="muted">{ "No training set to draw: see the error in the training set." }</p> };
    };
    let Some(frame) = store.current_frame().ok() else {
        return html! {};
    };
    if frame.rows.is_empty() {
        return html! { <p class="muted">{ "These entity rows are empty." }</p> };
    }
    let frame_name = store.entity_frame_name().to_string();
    let picked = picked_in(&selection, &frame_name, frame.rows.len()).unwrap_or(0);
    let lanes = lanes(store, frame, set, picked);
    let center = row_time(frame, picked).map_or(0, |t| t.0);
    let span = span_of(&lanes).unwrap_or((center, center));
    let zoom = chosen_zoom.unwrap_or_else(|| default_zoom(&lanes));
    let window = Window::around(zoom, center, span);
    let pick = |row: usize| {
        let (selection, frame_name) = (selection.clone(), frame_name.clone());
        Callback::from(move |_: MouseEvent| {
            selection.set(Some(PickedRow {
                frame: frame_name.clone(),
                row,
            }))
        })
    };
    let (key_name, choices) = key_choices(store, frame, set);
    let picked_key_first = lanes
        .first()
        .and_then(|lane| lane.ticks.first())
        .map(|(r, _)| *r);
    let on_key = {
        let (selection, frame_name) = (selection.clone(), frame_name.clone());
        Callback::from(move |e: Event| {
            if let Ok(row) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse::<usize>()
            {
                selection.set(Some(PickedRow {
                    frame: frame_name.clone(),
                    row,
                }));
            }
        })
    };
    // The previous and next entity rows of the first lane's key, by time.
    let siblings: Vec<usize> = lanes
        .first()
        .map(|lane| lane.ticks.iter().map(|(r, _)| *r).collect())
        .unwrap_or_default();
    let position = siblings.iter().position(|r| *r == picked);
    let previous = position
        .and_then(|p| p.checked_sub(1))
        .and_then(|p| siblings.get(p))
        .copied();
    let next = position.and_then(|p| siblings.get(p + 1)).copied();
    let height = lanes.len() as f64 * LANE_HEIGHT + AXIS_HEIGHT;
    let zooms = Zoom::ALL.into_iter().map(|z| {
        let onclick = {
            let zoom = chosen_zoom.clone();
            Callback::from(move |_: MouseEvent| zoom.set(Some(z)))
        };
        html! { <button class="fs-zoom" data-zoom={z.name()} aria-pressed={(zoom == z).to_string()} onclick={onclick}>{ z.label() }</button> }
    });
    html! {
        <div class="fs-timeline">
            <div class="fs-timeline-controls">
                <label class="fs-key-picker">
                    <span>{ key_name }</span>
                    <select class="fs-key-select" aria-label="the entity key to show" onchange={on_key}>
                        { for choices.iter().map(|(text, r)| html! {
                            <option value={r.to_string()} selected={Some(*r) == picked_key_first}>{ text.clone() }</option>
                        }) }
                    </select>
                </label>
                <span class="fs-buttons">
                    <button class="small-button fs-earlier" disabled={previous.is_none()} onclick={pick(previous.unwrap_or(picked))} aria-label="the key's earlier entity row">{ "‹ earlier" }</button>
                    <button class="small-button fs-later" disabled={next.is_none()} onclick={pick(next.unwrap_or(picked))} aria-label="the key's later entity row">{ "later ›" }</button>
                </span>
                <span class="fs-buttons" role="group" aria-label="time span">{ for zooms }</span>
            </div>
            <div class="fs-timeline-scroll">
                <svg class="fs-timeline-svg" width="100%" height={format!("{height:.0}")} role="img"
                    aria-label={format!("Timeline of entity row #{} and its key's feature rows", picked + 1)}>
                    <defs>
                        { for [("fs-head", "fs-head"), ("fs-head-future", "fs-head fs-head-future"), ("fs-head-late", "fs-head fs-head-late")].map(|(id, class)| html! {
                            <marker id={id} class={class} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker>
                        }) }
                    </defs>
                    { for lanes.iter().enumerate().map(|(i, lane)| draw_lane(lane, i as f64 * LANE_HEIGHT, window, set, picked)) }
                    { draw_axis(lanes.len() as f64 * LANE_HEIGHT, window) }
                </svg>
            </div>
            <p class="fs-legend small muted">
                <span class="fs-key-dot"></span>{ " source row at its event time · " }
                <span class="fs-key-ring"></span>{ " written later (correction) · " }
                <span class="fs-key-tick"></span>{ " entity row · " }
                <span class="fs-key-band"></span>{ " TTL window · arrow: the row the join gave (" }
                <span class="fs-future-text">{ "red: from the future" }</span>{ ", " }
                <span class="fs-late-text">{ "amber: written later" }</span>{ ") · × NULL" }
            </p>
            { picked_summary(&lanes, set, frame, picked) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> TimestampUs {
        TimestampUs::parse(text).unwrap()
    }

    #[test]
    fn a_day_centres_on_the_row_unless_nothing_is_there_and_all_spans_everything() {
        let center = ts("2024-03-05 12:00").0;
        let wide = (ts("2024-03-01").0, ts("2024-03-14").0);
        let day = Window::around(Zoom::Day, center, wide);
        assert_eq!(day.x(TimestampUs(center)), 50.0);
        assert_eq!(day.x(TimestampUs(day.from)), X_MIN);
        // Data only from 05:00: the window starts an eighth of itself before it.
        let late = Window::around(Zoom::Day, center, (ts("2024-03-05 05:00").0, wide.1));
        assert_eq!(late.from, ts("2024-03-05 03:30").0, "{late:?}");
        assert_eq!(late.to - late.from, US_PER_DAY);
        // Data from long before: the window moves no further than three quarters of its half.
        let early = Window::around(Zoom::Day, center, (wide.0, ts("2024-03-05 12:00").0));
        assert_eq!(early.to, ts("2024-03-05 15:00").0, "{early:?}");
        let (lo, hi) = (ts("2024-03-01").0, ts("2024-03-14").0);
        let all = Window::around(Zoom::All, center, (lo, hi));
        assert!(all.x(TimestampUs(lo)) > X_MIN && all.x(TimestampUs(hi)) < X_MAX);
    }

    #[test]
    fn axis_ticks_are_few_and_aligned() {
        let center = ts("2024-03-05 12:00").0;
        let wide = (ts("2024-03-01").0, ts("2024-03-14").0);
        let day = Window::around(Zoom::Day, center, wide);
        let ticks = axis_ticks(day);
        assert!((3..=7).contains(&ticks.len()), "{ticks:?}");
        assert!(
            ticks.iter().all(|t| t.0 % (6 * US_PER_HOUR) == 0),
            "{ticks:?}"
        );
        assert_eq!(axis_label(ts("2024-03-05")), "Mar 5");
        assert_eq!(axis_label(ts("2024-03-05 06:00")), "06:00");
        let week = Window::around(Zoom::Week, center, wide);
        assert!(axis_ticks(week).len() <= 7);
        let hour = Window::around(Zoom::Hour, center, wide);
        assert_eq!(axis_label(axis_ticks(hour)[0]), "11:40");
    }
}
