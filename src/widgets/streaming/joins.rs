//! The stream joins, side by side: clicks enriched with the user's profile tier as of each
//! click's event time and on processing time (the clicks they disagree on highlighted, with
//! why), and the interval join of product views with checkouts (bounds editable, late rows
//! dropped and listed, the state's size over time).
//!
//! Everything comes from `lab::stream_lab::joins_lab::joins`, derived from the state on screen;
//! the two settings go through the journal after `StreamLab::validate`.

use super::{no_stream_job, refusal_view, time_text, try_send};
use crate::widgets::fields::number_field;
use crate::widgets::markup::plain_header_row;
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::joins_lab::{
    joins, signed_seconds, Enriched, EnrichedClick, JoinsView, JOIN_BOUND_US_MAX,
};
use lab::streaming::join::JoinTime;
use lab::streaming::value::{DurationUs, TimeUs};
use std::rc::Rc;
use yew::prelude::*;

/// While playing, the joins are looked at every this many changes, as the charts are (each look
/// feeds only the ticks since the last one; paused, every change).
pub const REFRESH_EVERY_WHILE_PLAYING: u64 = 5;

/// A bound typed in seconds (`-30`, `300`, `0.5`), to the microsecond.
fn parse_bound(text: &str, what: &str) -> Result<DurationUs, (String, String)> {
    let seconds: f64 = text.trim().parse().map_err(|_| {
        (
            format!(
                "\"{}\" is not a number of seconds for the {what} bound",
                text.trim()
            ),
            "type seconds such as -30 or 300 (negative: before the view)".to_string(),
        )
    })?;
    let max = (JOIN_BOUND_US_MAX / 1_000_000) as f64;
    if !seconds.is_finite() || seconds.abs() > max {
        return Err((
            format!("a {what} bound of {} s is beyond an hour", text.trim()),
            "give between -3600 and 3600 seconds".into(),
        ));
    }
    Ok(DurationUs((seconds * 1e6).round() as i64))
}

/// An instant in the panel's tables: minutes and seconds to the tenth (`00:33.5`), with the hour
/// only past the first one.
fn short_time(t: TimeUs) -> String {
    if t == TimeUs::MIN || t == TimeUs::MAX {
        return "-".into();
    }
    let tenth = 100_000;
    let text = time_text(TimeUs(t.0 - t.0.rem_euclid(tenth)));
    match text.strip_prefix("00:") {
        Some(rest) if text.len() <= 12 => rest.to_string(),
        _ => text,
    }
}

fn seconds_field(d: DurationUs) -> String {
    format!("{}", d.0 as f64 / 1e6)
}

/// What one stream-table join gave a click, as a cell.
fn enriched_cell(e: &Enriched) -> Html {
    match e {
        Enriched::Joined(Some(v)) => html! {
            <span title={format!("version set at {}, arrived at {}", time_text(v.ts), time_text(v.arrival))}>
                <strong>{ v.tier.clone() }</strong><br />
                <span class="small muted">{ format!("since {}", short_time(v.ts)) }</span>
            </span>
        },
        Enriched::Joined(None) => html! { <span class="muted">{ "NULL (no profile)" }</span> },
        Enriched::Waiting => html! { <span class="muted">{ "waiting for the watermark" }</span> },
        Enriched::LateDropped => html! { <span class="join-late">{ "dropped: late" }</span> },
    }
}

fn click_row(c: &EnrichedClick) -> Html {
    let differs = c.why.is_some();
    html! {
        <>
            <tr class={if differs { "join-click join-differs" } else { "join-click" }}
                data-click={format!("{}-{}", c.partition, c.offset)}>
                <td>{ format!("{} {}", c.user, c.page) }</td>
                <td class="num">{ short_time(c.event_time) }</td>
                <td class="num">{ short_time(c.arrival) }</td>
                <td>{ enriched_cell(&c.as_of_event_time) }</td>
                <td>{ enriched_cell(&c.as_of_processing_time) }</td>
            </tr>
            if let Some(why) = &c.why {
                <tr class="join-why"><td colspan="5" class="small">{ format!("Why: {why}") }</td></tr>
            }
        </>
    }
}

/// The interval join's state over time, as a small line (plain SVG, x in percent).
fn state_chart(view: &JoinsView) -> Html {
    let history = &view.interval.state_history;
    if history.len() < 2 {
        return html! { <p class="small muted">{ "The state's size appears here as time runs." }</p> };
    }
    let max = history.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let (first, last) = (history[0].0 as f64, history[history.len() - 1].0 as f64);
    let span = (last - first).max(1.0);
    let points: Vec<String> = history
        .iter()
        .map(|(tick, n)| {
            format!(
                "{:.2},{:.2}",
                (*tick as f64 - first) / span * 100.0,
                38.0 - *n as f64 / max * 36.0
            )
        })
        .collect();
    html! {
        <figure class="join-state-chart">
            <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img"
                aria-label={format!("rows in the interval join's state over time, at most {}", max as u64)}>
                <polyline points={points.join(" ")} fill="none" stroke="currentColor" stroke-width="0.8"
                    vector-effect="non-scaling-stroke" />
            </svg>
            <figcaption class="small muted">
                { format!("Rows in state over the last {} s (peak {}).", (span / 10.0).round() as u64, max as u64) }
            </figcaption>
        </figure>
    }
}

/// The joins of one look ([`REFRESH_EVERY_WHILE_PLAYING`]): the parts drawn from it are rebuilt
/// only when a new look replaces it, not on every tick in between.
#[derive(Properties)]
struct JoinedProps {
    view: Rc<JoinsView>,
    #[prop_or_default]
    only_differing: bool,
}

impl PartialEq for JoinedProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.view, &other.view) && self.only_differing == other.only_differing
    }
}

/// The latest clicks (or those the two joins disagree on) with what each join gave them.
#[component]
fn JoinedClicks(props: &JoinedProps) -> Html {
    let table = &props.view.table;
    let rows: Vec<&EnrichedClick> = if props.only_differing {
        table.differing.iter().rev().take(12).collect()
    } else {
        table.recent.iter().rev().take(12).collect()
    };
    html! {
        <div class="table-scroll">
            <table class="join-clicks">
                { plain_header_row(&["click", "happened", "arrived", "as of event time", "on processing time"]) }
                <tbody>
                    { for rows.into_iter().map(click_row) }
                </tbody>
            </table>
        </div>
    }
}

/// The interval join's counts, its state over time, the latest pairs and the late rows.
#[component]
fn IntervalResults(props: &JoinedProps) -> Html {
    let view = &props.view;
    let interval = &view.interval;
    let s = interval.stats;
    html! {
        <>
            <dl class="join-stats">
                <div><dt>{ "pairs joined" }</dt><dd class="join-rows">{ s.joined }</dd></div>
                <div><dt>{ "late, dropped" }</dt><dd class="join-late-dropped">{ s.late_dropped }</dd></div>
                <div><dt>{ "in state (views + checkouts)" }</dt>
                    <dd class="join-state">{ format!("{} + {}", interval.buffered.0, interval.buffered.1) }</dd></div>
                <div><dt>{ "cleaned by the watermark" }</dt><dd>{ s.cleaned }</dd></div>
                <div><dt>{ "watermark" }</dt><dd>{ time_text(interval.watermark) }</dd></div>
            </dl>
            { state_chart(view) }
            <div class="table-scroll">
                <table class="join-pairs">
                    { plain_header_row(&["user", "view", "checkout", "gap", "amount"]) }
                    <tbody>
                        { for interval.recent.iter().rev().take(8).map(|p| html! {
                            <tr>
                                <td>{ p.user.clone() }</td>
                                <td class="num">{ short_time(p.view_time) }</td>
                                <td class="num">{ short_time(p.checkout_time) }</td>
                                <td class="num">{ format!("{:+.1} s", (p.checkout_time.0 - p.view_time.0) as f64 / 1e6) }</td>
                                <td class="num">{ p.amount.map_or_else(|| "NULL".into(), |a| a.to_string()) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            if !interval.late.is_empty() {
                <h4 class="small">{ "Dropped as late" }</h4>
                <ul class="join-late-rows small">
                    { for interval.late.iter().rev().take(6).map(|l| html! {
                        <li>{ format!("{} {} at {}, arrived {} (watermark {})", l.user, l.page,
                            time_text(l.event_time), time_text(l.arrival), time_text(l.watermark)) }</li>
                    }) }
                </ul>
            }
        </>
    }
}

#[component]
pub fn StreamJoins() -> Html {
    let session = crate::widgets::use_lab();
    let bounds = session
        .view
        .streams()
        .map(|s| (s.join_settings().lower, s.join_settings().upper));
    let (lower0, upper0) = bounds.unwrap_or((DurationUs(0), DurationUs(0)));
    let lower = use_state(|| seconds_field(lower0));
    let upper = use_state(|| seconds_field(upper0));
    let only_differing = use_state(|| false);
    let bounds_refusal = use_state(|| None::<(String, String)>);
    let mode_refusal = use_state(|| None::<(String, String)>);
    {
        let (lower, upper) = (lower.clone(), upper.clone());
        use_effect_with(bounds, move |bounds| {
            if let Some((l, u)) = bounds {
                lower.set(seconds_field(*l));
                upper.set(seconds_field(*u));
            }
        });
    }
    // Each look goes on from the lab's kept joins run: while playing, every few changes.
    let view = use_memo(session.refresh_key(REFRESH_EVERY_WHILE_PLAYING), {
        let lab = session.view.clone();
        move |_| joins(&lab)
    });
    let Some(streams) = session.view.streams() else {
        return no_stream_job();
    };
    let Some(joined) = (*view).clone() else {
        return no_stream_job();
    };
    let view = &joined;
    let event_time = streams.join_settings().table_time == JoinTime::EventTime;

    let set_bounds = {
        let (session, lower, upper, refusal) = (
            session.clone(),
            lower.clone(),
            upper.clone(),
            bounds_refusal.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(streams) = session.view.streams() else {
                return;
            };
            let result = parse_bound(&lower, "lower")
                .and_then(|l| Ok((l, parse_bound(&upper, "upper")?)))
                .and_then(|(lower, upper)| {
                    try_send(
                        &session,
                        streams,
                        StreamCommand::SetJoinBounds { lower, upper },
                    )
                });
            refusal.set(result.err());
        })
    };
    let set_mode = |event_time: bool| {
        let (session, refusal) = (session.clone(), mode_refusal.clone());
        Callback::from(move |_: Event| {
            let Some(streams) = session.view.streams() else {
                return;
            };
            refusal.set(
                try_send(
                    &session,
                    streams,
                    StreamCommand::SetTableJoinTime { event_time },
                )
                .err(),
            );
        })
    };
    let toggle_differing = {
        let only = only_differing.clone();
        Callback::from(move |_: Event| only.set(!*only))
    };

    let table = &view.table;
    html! {
        <div class="stream-joins" data-tick={session.view.now().0.to_string()} data-differs={table.differs.to_string()}>
            <section class="join-panel join-table" aria-label="Stream-table join">
                <h3>{ "Clicks ⋈ user profiles (stream-table join)" }</h3>
                <p class="small muted">
                    { "Each click gets its user's tier from a changelog whose changes arrive 0-6 s after they happen. " }
                    { "As of event time: the version in force when the click happened (Flink's FOR SYSTEM_TIME AS OF, waits for the watermark). " }
                    { "On processing time: whatever version arrived last when the click was looked up." }
                </p>
                <fieldset class="inline-form join-mode">
                    <legend class="small">{ "The lab follows" }</legend>
                    <label><input type="radio" name="join-time" class="join-time-event" checked={event_time}
                        onchange={set_mode(true)} />{ " as of event time" }</label>
                    <label><input type="radio" name="join-time" class="join-time-processing" checked={!event_time}
                        onchange={set_mode(false)} />{ " on processing time" }</label>
                </fieldset>
                { refusal_view(&mode_refusal) }
                <dl class="join-stats">
                    <div><dt>{ "compared" }</dt><dd class="join-compared">{ table.compared }</dd></div>
                    <div class="join-differs-count"><dt>{ "differ" }</dt><dd class="join-differs-n">{ table.differs }</dd></div>
                    <div><dt>{ "waiting (event time)" }</dt><dd class="join-pending">{ table.pending }</dd></div>
                    <div><dt>{ "late, dropped (event time)" }</dt><dd class="join-table-late">{ table.event_time.late_dropped }</dd></div>
                    <div><dt>{ "watermark" }</dt><dd>{ time_text(table.watermark) }</dd></div>
                    <div><dt>{ "versions arrived" }</dt><dd>{ table.versions_in }</dd></div>
                </dl>
                <label class="small"><input type="checkbox" class="join-only-differing" checked={*only_differing}
                    onchange={toggle_differing} />{ " only the clicks the two joins disagree on" }</label>
                <JoinedClicks view={joined.clone()} only_differing={*only_differing} />
            </section>
            <section class="join-panel join-interval" aria-label="Interval join">
                <h3>{ "Product views ⋈ checkouts (interval join)" }</h3>
                <p class="small muted">
                    { format!("A view meets its user's checkouts from {} to {} around it. Both sides wait in state until the watermark passes their last possible match; a row below the watermark on arrival is dropped.",
                        signed_seconds(view.settings.lower), signed_seconds(view.settings.upper)) }
                </p>
                <form class="inline-form join-bounds" onsubmit={set_bounds}>
                    { number_field("lower (s) ", "num-input join-lower", (None, None), Some("1"), &lower) }
                    { number_field("upper (s) ", "num-input join-upper", (None, None), Some("1"), &upper) }
                    <button type="submit" class="join-set-bounds">{ "Set bounds" }</button>
                </form>
                { refusal_view(&bounds_refusal) }
                <IntervalResults view={joined.clone()} />
            </section>
        </div>
    }
}
