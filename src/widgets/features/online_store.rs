//! The online store: how it writes (last write wins, as Feast's SQLite store, or event-time
//! guarded, as its Redis store) and whether reads enforce the TTL (Feast's do not:
//! feast-dev/feast#1802, #6821); materialization of a range or incrementally, with the history of
//! runs; what each view holds and how fresh it is at a chosen "now"; a read of one entity with
//! Feast's status per value; and serving a stretch of entity rows with a materialization job on
//! a schedule: what it cost (runs, rows written) against how far each read fell behind the rows
//! training would have used (from the skew report), drawn over the serve.
//!
//! Every number comes from the engine ([`FeatureStore`], its online store and its log); a form's
//! command is first applied to a copy of the store, so a refusal is shown beside the form with
//! its hint and nothing is journaled.

use super::{key_text, short_time, value_text};
use crate::charts::{self, Palette, XAxis};
use crate::store::{LabAction, LabHandle};
use crate::widgets::form::bind;
use crate::widgets::markup::{facts, header_row};
use lab::feature_lab::{format_duration, key_value};
use lab::features::historical::ViewMatch;
use lab::features::model::FeatureError;
use lab::features::online::{
    FieldStatus, LogEntry, MaterializationRun, MaterializeKind, ViewMaterialization, WritePolicy,
};
use lab::features::store::command::{FeatureCommand, FeatureEvent};
use lab::features::store::FeatureStore;
use lab::features::value::{DurationUs, TimestampUs, US_PER_SECOND};
use lab::state::{Command, Event as LabEvent, Lab};
use std::collections::{BTreeMap, BTreeSet};
use web_sys::{HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The materialization intervals a serve offers, in seconds.
const SERVE_INTERVALS: [(&str, i64); 5] = [
    ("1m", 60),
    ("15m", 900),
    ("1h", 3_600),
    ("6h", 21_600),
    ("1d", 86_400),
];
/// The interval a serve starts with (1h).
const SERVE_INTERVAL_DEFAULT: i64 = 3_600;
/// Materialization runs listed, newest first.
const RUNS_SHOWN: usize = 5;
/// Where the forms start: inside the rides' fortnight (2024-03-01 .. 03-15).
const START_DEFAULT: &str = "2024-03-01T00:00";
const END_DEFAULT: &str = "2024-03-05T10:00";
const SERVE_FROM_DEFAULT: &str = "2024-03-11T00:00";
const SERVE_TO_DEFAULT: &str = "2024-03-12T00:00";
const US_PER_MINUTE: i64 = 60 * US_PER_SECOND;

/// Parses a time typed into a form.
fn parse_time(what: &str, text: &str) -> Result<TimestampUs, FeatureError> {
    TimestampUs::parse(text.trim()).ok_or_else(|| {
        FeatureError::new(
            format!("the {what} \"{}\" is not a time", text.trim()),
            "write it as 2024-03-05T10:00 (UTC), or a bare date such as 2024-03-05",
        )
    })
}

/// A time as the forms take it: `2024-03-05T10:00` (seconds only when there are some).
fn input_time(ts: TimestampUs) -> String {
    let text = ts.format().replacen(' ', "T", 1);
    text.strip_suffix(":00")
        .map_or(text.clone(), str::to_string)
}

/// How old a value is: minutes under two hours, else hours.
pub fn age_text(age: DurationUs) -> String {
    let minutes = age.0 / US_PER_MINUTE;
    match minutes {
        m if m < 0 => format!("{:.1} h in the future", -m as f64 / 60.0),
        m if m < 120 => format!("{m} min old"),
        m => format!("{:.1} h old", m as f64 / 60.0),
    }
}

/// Tries `command` on a copy of the store and sends it, or returns the refusal to show. A copy,
/// not just `validate`: some refusals only show while applying (an incremental run that would
/// go back before a view's last end), and they belong beside the form that asked.
fn submit(
    session: &LabHandle,
    command: Result<FeatureCommand, FeatureError>,
) -> Option<FeatureError> {
    let command = match command {
        Ok(command) => command,
        Err(e) => return Some(e),
    };
    let checked = session
        .view
        .features()
        .map(|store| store.clone().apply(&command).map(|_| ()));
    match checked {
        Some(Err(e)) => Some(e),
        None => Some(FeatureError::new(
            "this lab has no feature store",
            "open the feature store lab",
        )),
        Some(Ok(())) => {
            session.dispatch(LabAction::Command(Command::Features(command)));
            None
        }
    }
}

/// A refusal beside its form.
fn refusal(error: &Option<FeatureError>) -> Html {
    match error {
        None => html! {},
        Some(e) => html! {
            <p class="fso-refusal" role="alert">
                <strong>{ e.message.clone() }</strong><br />
                <span class="small">{ format!("Hint: {}", e.hint) }</span>
            </p>
        },
    }
}

/// A labelled time input.
fn time_input(label: &str, class: &str, state: &UseStateHandle<String>) -> Html {
    html! {
        <label class={classes!("fso-field", class.to_string())}>
            <span>{ label.to_string() }</span>
            <input type="text" spellcheck="false" placeholder="2024-03-05T10:00"
                value={(**state).clone()} oninput={bind(state)} />
        </label>
    }
}

/// The end of the latest materialization run, if any.
fn last_run_end(store: &FeatureStore) -> Option<TimestampUs> {
    store
        .online()
        .runs()
        .last()
        .and_then(|run| run.views.iter().map(|view| view.end).max())
}

#[component]
pub fn OnlineStorePanel() -> Html {
    let session = super::super::use_lab();
    if session.view.features().is_none() {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    }
    html! {
        <div class="fso-online">
            <WriteSettings />
            <MaterializeForms />
            <RunHistory />
            <ViewFreshness />
            <ReadEntity />
            <ServeForm />
        </div>
    }
}

/// The write policy and the TTL-on-read toggle.
#[component]
fn WriteSettings() -> Html {
    let session = super::super::use_lab();
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let policy = store.online().policy();
    let enforce = store.enforce_ttl_online();
    let on_policy = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let chosen = e.target_unchecked_into::<HtmlSelectElement>().value();
            let policy = if chosen == "guarded" {
                WritePolicy::EventTimeGuarded
            } else {
                WritePolicy::LastWriteWins
            };
            submit(&session, Ok(FeatureCommand::SetWritePolicy { policy }));
        })
    };
    let on_ttl = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let enforce = e.target_unchecked_into::<HtmlInputElement>().checked();
            submit(&session, Ok(FeatureCommand::SetOnlineTtl { enforce }));
        })
    };
    html! {
        <section class="fso-section fso-settings">
            <label class="fso-field">
                <span>{ "Write policy" }</span>
                <select class="fso-policy" onchange={on_policy}>
                    <option value="last" selected={policy == WritePolicy::LastWriteWins}>
                        { "last write wins (Feast's SQLite store)" }
                    </option>
                    <option value="guarded" selected={policy == WritePolicy::EventTimeGuarded}>
                        { "event-time guarded (Feast's Redis store)" }
                    </option>
                </select>
            </label>
            <label class="fso-check">
                <input type="checkbox" class="fso-online-ttl" checked={enforce} onchange={on_ttl} />
                { " TTL on read: withhold values older than the view's TTL (OUTSIDE_MAX_AGE)" }
            </label>
            <p class="small muted fso-note">
                { "Feast's online reads do not check the TTL and serve a value of any age (feast-dev/feast#1802, #6821); the toggle shows what enforcing it would change." }
            </p>
        </section>
    }
}

/// "Materialize" a range of chosen views, and "Materialize incrementally up to".
#[component]
fn MaterializeForms() -> Html {
    let session = super::super::use_lab();
    let start = use_state(|| START_DEFAULT.to_string());
    let end = use_state(|| END_DEFAULT.to_string());
    let incremental_end = use_state(|| SERVE_FROM_DEFAULT.to_string());
    let unchecked = use_state(Vec::<String>::new);
    let error = use_state(|| None::<FeatureError>);
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let views: Vec<String> = store.repo().views.iter().map(|v| v.name.clone()).collect();
    let on_materialize = {
        let (session, start, end, unchecked, error) = (
            session.clone(),
            start.clone(),
            end.clone(),
            unchecked.clone(),
            error.clone(),
        );
        let views = views.clone();
        Callback::from(move |_: MouseEvent| {
            let chosen: Vec<String> = views
                .iter()
                .filter(|v| !unchecked.contains(v))
                .cloned()
                .collect();
            let command = (|| {
                if chosen.is_empty() {
                    return Err(FeatureError::new(
                        "no view is chosen",
                        "tick at least one view to materialize",
                    ));
                }
                Ok(FeatureCommand::Materialize {
                    // Every view ticked: the journal says "every view", as Feast's CLI does.
                    views: if chosen.len() == views.len() {
                        Vec::new()
                    } else {
                        chosen
                    },
                    start: parse_time("start", &start)?,
                    end: parse_time("end", &end)?,
                })
            })();
            error.set(submit(&session, command));
        })
    };
    let on_incremental = {
        let (session, incremental_end, error) =
            (session.clone(), incremental_end.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let command = parse_time("end", &incremental_end)
                .map(|end| FeatureCommand::MaterializeIncremental { end });
            error.set(submit(&session, command));
        })
    };
    let view_box = |view: &String| {
        let toggle = {
            let (unchecked, view) = (unchecked.clone(), view.clone());
            Callback::from(move |_: Event| {
                let mut next = (*unchecked).clone();
                match next.iter().position(|v| *v == view) {
                    Some(i) => {
                        next.remove(i);
                    }
                    None => next.push(view.clone()),
                }
                unchecked.set(next);
            })
        };
        html! {
            <label class="fso-check fso-view-choice">
                <input type="checkbox" value={view.clone()} checked={!unchecked.contains(view)} onchange={toggle} />
                { format!(" {view}") }
            </label>
        }
    };
    html! {
        <section class="fso-section fso-materialize">
            <h4>{ "Materialize" }</h4>
            <div class="fso-row">
                { time_input("start (inclusive)", "fso-start", &start) }
                { time_input("end (inclusive)", "fso-end", &end) }
                <button class="primary fso-materialize-button" onclick={on_materialize}>{ "Materialize" }</button>
            </div>
            <fieldset class="fso-views">
                <legend class="small muted">{ "views" }</legend>
                { for views.iter().map(view_box) }
            </fieldset>
            <div class="fso-row">
                { time_input("materialize incrementally up to", "fso-incremental-end", &incremental_end) }
                <button class="fso-incremental-button" onclick={on_incremental}>{ "Materialize incrementally" }</button>
            </div>
            <p class="small muted fso-note">
                { "Each run copies, per key, the latest row with start ≤ event time ≤ end. An incremental run starts each view where its last run ended, or the first time at end − TTL." }
            </p>
            { refusal(&error) }
        </section>
    }
}

/// One run: its interval (each view's own start, for an incremental run), and what it read and
/// wrote over all its views; the per-view figures are in the row's title.
fn run_row(run: &MaterializationRun) -> Html {
    let kind = match run.kind {
        MaterializeKind::Range => "range",
        MaterializeKind::Incremental => "incremental",
    };
    let starts: BTreeSet<TimestampUs> =
        lab::sim::sort::collect_set(run.views.iter().map(|v| v.start));
    let end = run.views.iter().map(|v| v.end).max();
    let interval = match (starts.len(), starts.first(), end) {
        (1, Some(start), Some(end)) => format!("{} → {}", short_time(*start), short_time(end)),
        (_, _, Some(end)) => format!("each view from its last end → {}", short_time(end)),
        _ => "—".to_string(),
    };
    let sum = |field: fn(&ViewMaterialization) -> u64| run.views.iter().map(field).sum::<u64>();
    let per_view: Vec<String> = run
        .views
        .iter()
        .map(|v| {
            format!(
                "{}: {} → {}, {} read, {} written, {} skipped",
                v.view,
                short_time(v.start),
                short_time(v.end),
                v.rows_read,
                v.keys_written,
                v.keys_skipped
            )
        })
        .collect();
    html! {
        <tr class="fso-run" title={per_view.join("\n")}>
            <td data-label="run">{ format!("#{} {kind}", run.run + 1) }</td>
            <td data-label="interval">{ interval }</td>
            <td data-label="views" class="num">{ run.views.len() }</td>
            <td data-label="rows read" class="num">{ sum(|v| v.rows_read) }</td>
            <td data-label="keys written" class="num">{ sum(|v| v.keys_written) }</td>
            <td data-label="skipped" class="num">{ sum(|v| v.keys_skipped) }</td>
        </tr>
    }
}

/// The latest materialization runs, newest first.
#[component]
fn RunHistory() -> Html {
    let session = super::super::use_lab();
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let runs = store.online().runs();
    if runs.is_empty() {
        return html! {
            <p class="muted small fso-empty">{ "No materialization yet: the online store is empty, so every read is NOT_FOUND." }</p>
        };
    }
    let earlier = runs.len().saturating_sub(RUNS_SHOWN) as u64 + store.online().runs_dropped();
    let rows = runs.iter().rev().take(RUNS_SHOWN).map(run_row);
    html! {
        <section class="fso-section">
            <h4>{ "Materialization runs" }<span class="small muted">{ " (newest first)" }</span></h4>
            <div class="table-scroll">
                <table class="members stack-table fso-runs">
                    { header_row(&[("run", "", None), ("interval", "", None), ("views", "num", None), ("rows read", "num", None), ("keys written", "num", None), ("skipped", "num", Some("writes the event-time guard refused: the stored row was as new or newer"))]) }
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            if earlier > 0 {
                <p class="muted small">{ format!("…and {earlier} earlier runs.") }</p>
            }
        </section>
    }
}

/// Per view: keys stored, newest event time, and freshness at a chosen "now".
#[component]
fn ViewFreshness() -> Html {
    let session = super::super::use_lab();
    let now_text = use_state(String::new);
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let default_now = last_run_end(store);
    let typed = (!now_text.trim().is_empty()).then(|| parse_time("\"now\"", &now_text));
    let now = match &typed {
        Some(Ok(ts)) => Some(*ts),
        _ => default_now,
    };
    let error = typed.and_then(Result::err);
    let rows = store.repo().views.iter().map(|view| {
        let table = store.online().table(&view.name);
        let keys = table.map_or(0, |t| t.rows.len());
        let newest = table.and_then(|t| t.newest_event_ts());
        let age = now.and_then(|now| store.online().freshness(&view.name, now));
        let stale = matches!((age, view.ttl), (Some(age), Some(ttl)) if ttl.0 > 0 && age > ttl);
        html! {
            <tr class="fso-view-row" data-view={view.name.clone()}>
                <td data-label="view">{ view.name.clone() }</td>
                <td data-label="TTL">{ view.ttl.filter(|t| t.0 > 0).map_or("unbounded".to_string(), format_duration) }</td>
                <td data-label="keys stored" class="num fso-keys">{ keys }</td>
                <td data-label="newest event">{ newest.map_or("—".to_string(), short_time) }</td>
                <td data-label="freshness" class="fso-freshness">
                    { age.map_or("—".to_string(), age_text) }
                    if stale {
                        <span class="badge badge-warn" title="the newest stored value is older than the view's TTL">{ "older than TTL" }</span>
                    }
                </td>
            </tr>
        }
    });
    html! {
        <section class="fso-section">
            <h4>{ "What the store holds" }</h4>
            <label class="fso-field fso-now">
                <span>{ "freshness at" }</span>
                <input type="text" spellcheck="false"
                    placeholder={default_now.map_or("2024-03-05T10:00".to_string(), input_time)}
                    value={(*now_text).clone()} oninput={bind(&now_text)} />
                <span class="small muted">{ if now_text.trim().is_empty() { "(the last materialization's end)" } else { "" } }</span>
            </label>
            { refusal(&error) }
            <div class="table-scroll">
                <table class="members stack-table fso-views-table">
                    { header_row(&[("view", "", None), ("TTL", "", None), ("keys stored", "num", None), ("newest event", "", None), ("freshness", "", None)]) }
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </section>
    }
}

/// The value of `column` in the first entity row, to start the key inputs from.
fn first_row_value(store: &FeatureStore, column: &str) -> String {
    store
        .current_frame()
        .ok()
        .and_then(|frame| {
            let i = frame.columns.iter().position(|c| c == column)?;
            frame.rows.first()?.get(i).map(ToString::to_string)
        })
        .unwrap_or_default()
}

/// "Read one entity": a value per key column and a time; the latest read's answer below.
#[component]
fn ReadEntity() -> Html {
    let session = super::super::use_lab();
    let typed = use_state(BTreeMap::<String, String>::new);
    let at = use_state(|| END_DEFAULT.to_string());
    let error = use_state(|| None::<FeatureError>);
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let columns = store.online_key_columns();
    let key_text = |column: &str| {
        typed
            .get(column)
            .cloned()
            .unwrap_or_else(|| first_row_value(store, column))
    };
    let values: Vec<String> = columns.iter().map(|c| key_text(c)).collect();
    let on_read = {
        let (session, at, error) = (session.clone(), at.clone(), error.clone());
        let (columns, values) = (columns.clone(), values.clone());
        Callback::from(move |_: MouseEvent| {
            let command = (|| {
                if let Some(i) = values.iter().position(|v| v.trim().is_empty()) {
                    return Err(FeatureError::new(
                        format!("no value for {}", columns[i]),
                        "type the entity's key, for example a driver id such as 1001",
                    ));
                }
                Ok(FeatureCommand::ReadOnline {
                    keys: values.iter().map(|v| key_value(v.trim())).collect(),
                    at: parse_time("read time", &at)?,
                })
            })();
            error.set(submit(&session, command));
        })
    };
    let key_input = |(column, value): (&String, &String)| {
        let oninput = {
            let (typed, column) = (typed.clone(), column.clone());
            Callback::from(move |e: InputEvent| {
                let mut next = (*typed).clone();
                next.insert(
                    column.clone(),
                    e.target_unchecked_into::<HtmlInputElement>().value(),
                );
                typed.set(next);
            })
        };
        html! {
            <label class="fso-field fso-key">
                <span>{ column.clone() }</span>
                <input type="text" spellcheck="false" data-key={column.clone()} value={value.clone()} {oninput} />
            </label>
        }
    };
    html! {
        <section class="fso-section fso-read">
            <h4>{ "Read one entity" }</h4>
            if columns.is_empty() {
                <p class="muted small">{ "Request some features first: a read needs the keys of the requested views." }</p>
            } else {
                <div class="fso-row">
                    { for columns.iter().zip(&values).map(key_input) }
                    { time_input("at", "fso-read-at", &at) }
                    <button class="primary fso-read-button" onclick={on_read}>{ "Read online" }</button>
                </div>
            }
            { refusal(&error) }
            { latest_read(store) }
        </section>
    }
}

/// The status chip of a served value, with Feast's name and meaning in its title.
fn status_chip(status: FieldStatus) -> Html {
    let (class, text, title) = match status {
        FieldStatus::Present => ("badge-ok", "Present", "PRESENT: the store held a value for the key"),
        FieldStatus::NotFound => ("badge-muted", "Not found", "NOT_FOUND: the store held nothing for the key"),
        FieldStatus::OutsideMaxAge => (
            "badge-bad",
            "Outside max age",
            "OUTSIDE_MAX_AGE: the stored value is older than the view's TTL, so the read withheld it",
        ),
    };
    html! { <span class={classes!("badge", "fso-status", class)} data-status={status.label()} {title}>{ text }</span> }
}

/// The latest logged read (a "Read online" or the last row a serve read), value by value.
fn latest_read(store: &FeatureStore) -> Html {
    let log = store.online().log();
    let Some(last) = log.entries().map(|e| e.request).max() else {
        return html! { <p class="muted small fso-empty">{ "No read yet." }</p> };
    };
    let entries: Vec<&LogEntry> = log.entries().filter(|e| e.request == last).collect();
    let Some(first) = entries.first() else {
        return html! {};
    };
    let rows =
        entries.iter().flat_map(|entry| {
            entry.features.iter().zip(&entry.served).map(move |(feature, served)| {
            let age = served.event_ts.map(|ts| DurationUs(entry.request_ts.0.saturating_sub(ts.0)));
            html! {
                <tr class="fso-served">
                    <td data-label="feature">{ format!("{}:{feature}", entry.view) }</td>
                    <td data-label="key">{ key_text(&entry.keys) }</td>
                    <td data-label="value" class="num">{ value_text(&served.value) }</td>
                    <td data-label="event time">
                        { served.event_ts.map_or("—".to_string(), short_time) }
                        if let Some(age) = age {
                            <span class="small muted">{ format!(" ({})", age_text(age)) }</span>
                        }
                    </td>
                    <td data-label="status">{ status_chip(served.status) }</td>
                </tr>
            }
        })
        });
    html! {
        <>
            <p class="small fso-read-caption">{ format!("Latest read (request #{}), at {}:", last + 1, short_time(first.request_ts)) }</p>
            <div class="table-scroll">
                <table class="members stack-table fso-response">
                    { header_row(&[("feature", "", None), ("key", "", None), ("value", "", None), ("event time", "", None), ("status", "", None)]) }
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}

/// The last `Serve` the journal holds up to the state on screen: (from, to, interval).
fn last_serve(session: &LabHandle) -> Option<(TimestampUs, TimestampUs, DurationUs)> {
    let cursor = session.cursor;
    session.with_observation(|o| {
        o.journal
            .entries()
            .iter()
            .rev()
            .filter(|e| e.at <= cursor)
            .find_map(|e| match &e.command {
                Command::Features(FeatureCommand::Serve {
                    from,
                    to,
                    materialize_every,
                }) => Some((*from, *to, *materialize_every)),
                _ => None,
            })
    })
}

/// What the last serve did: (reads, materialization runs, rows written), from its event.
fn last_served(lab: &Lab) -> Option<(u64, u64, u64)> {
    lab.trace().rev().find_map(|traced| match &traced.event {
        LabEvent::Features(FeatureEvent::Served {
            reads,
            materializations,
            rows_written,
        }) => Some((*reads, *materializations, *rows_written)),
        _ => None,
    })
}

/// Microseconds in an hour, as a float for the chart.
const US_PER_HOUR: f64 = 60.0 * US_PER_MINUTE as f64;

/// The age in hours of the oldest value present in any read in `[from, to)`.
fn oldest_served_hours(store: &FeatureStore, from: TimestampUs, to: TimestampUs) -> Option<f64> {
    store
        .online()
        .log()
        .entries()
        .filter(|entry| entry.request_ts >= from && entry.request_ts < to)
        .flat_map(|entry| {
            entry
                .served
                .iter()
                .filter(|s| s.status == FieldStatus::Present)
                .filter_map(move |s| {
                    s.event_ts
                        .map(|ts| (entry.request_ts.0.saturating_sub(ts.0)) as f64 / US_PER_HOUR)
                })
        })
        .reduce(f64::max)
}

/// Per read in `[from, to)` that the skew report compared with a point-in-time row: its time (in
/// hours since `from`, so the axis reads 0, 6, 12 at any width) and how many hours the served rows were behind the rows training would have used (the most for
/// any of its values; 0 when online served the same row, negative when it served a newer one).
fn hours_behind(store: &FeatureStore, from: TimestampUs, to: TimestampUs) -> Vec<(f64, f64)> {
    let Ok(report) = &store.derived().skew else {
        return Vec::new();
    };
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut last_request = None;
    for comparison in &report.comparisons {
        if comparison.request_ts < from || comparison.request_ts >= to {
            continue;
        }
        let (Some(served), ViewMatch::Matched { event_ts, .. }) =
            (comparison.online.event_ts, comparison.offline)
        else {
            continue;
        };
        if comparison.online.status != FieldStatus::Present {
            continue;
        }
        let behind = event_ts.0.saturating_sub(served.0) as f64 / US_PER_HOUR;
        match points.last_mut() {
            Some(point) if last_request == Some(comparison.request) => {
                point.1 = point.1.max(behind)
            }
            _ => points.push((
                comparison.request_ts.0.saturating_sub(from.0) as f64 / US_PER_HOUR,
                behind,
            )),
        }
        last_request = Some(comparison.request);
    }
    points
}

fn draw_behind(
    canvas: HtmlCanvasElement,
    lab: &Lab,
    window: (TimestampUs, TimestampUs),
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let points = lab
        .features()
        .map(|s| hours_behind(s, window.0, window.1))
        .unwrap_or_default();
    let x_label = format!("read time, hours after {}", short_time(window.0));
    charts::xy_line(
        canvas,
        &points,
        (&x_label, "hours behind training"),
        XAxis::Number,
        palette,
        scale,
    )
}

/// "Serve": entity rows of a stretch of time read online, with a materialization job on a
/// schedule; what it cost and how old the served values were.
#[component]
fn ServeForm() -> Html {
    let session = super::super::use_lab();
    let from = use_state(|| SERVE_FROM_DEFAULT.to_string());
    let to = use_state(|| SERVE_TO_DEFAULT.to_string());
    let every = use_state(|| SERVE_INTERVAL_DEFAULT);
    let error = use_state(|| None::<FeatureError>);
    let canvas = use_node_ref();
    let served = last_serve(&session);
    let window = served.map_or((TimestampUs(0), TimestampUs(0)), |(f, t, _)| (f, t));
    let chart_error = crate::widgets::chart_canvas::use_chart_canvas_with(
        canvas.clone(),
        window,
        move |c, lab, p, s| draw_behind(c, lab, window, p, s),
    );
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let on_serve = {
        let (session, from, to, every, error) = (
            session.clone(),
            from.clone(),
            to.clone(),
            every.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let command = (|| {
                Ok(FeatureCommand::Serve {
                    from: parse_time("start", &from)?,
                    to: parse_time("end", &to)?,
                    materialize_every: DurationUs::from_seconds(*every),
                })
            })();
            error.set(submit(&session, command));
        })
    };
    let on_every = {
        let every = every.clone();
        Callback::from(move |e: Event| {
            let chosen = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some((_, seconds)) = SERVE_INTERVALS.iter().find(|(name, _)| *name == chosen) {
                every.set(*seconds);
            }
        })
    };
    let points = served
        .map(|(f, t, _)| hours_behind(store, f, t))
        .unwrap_or_default();
    let behind_most = points.iter().map(|p| p.1).reduce(f64::max);
    let oldest = served.and_then(|(f, t, _)| oldest_served_hours(store, f, t));
    let hours = |h: Option<f64>| h.map_or("—".to_string(), |h| format!("{h:.1} h"));
    html! {
        <section class="fso-section fso-serve">
            <h4>{ "Serve" }</h4>
            <p class="small muted fso-note">
                { "Replays the entity rows with time in [from, to) as a model server would: each row reads the requested features online at its own time, while a materialization job runs incrementally on the schedule. Every read is logged for the skew report." }
            </p>
            <div class="fso-row">
                { time_input("from", "fso-serve-from", &from) }
                { time_input("to", "fso-serve-to", &to) }
                <label class="fso-field">
                    <span>{ "materialize every" }</span>
                    <select class="fso-serve-every" onchange={on_every}>
                        { for SERVE_INTERVALS.iter().map(|(name, seconds)| html! {
                            <option value={*name} selected={*every == *seconds}>{ *name }</option>
                        }) }
                    </select>
                </label>
                <button class="primary fso-serve-button" onclick={on_serve}>{ "Serve" }</button>
            </div>
            { refusal(&error) }
            if let (Some((f, t, interval)), Some((reads, runs, rows))) = (served, last_served(&session.view)) {
                <p class="small fso-serve-caption">{ format!(
                    "Last serve: {} → {}, materializing every {}.",
                    short_time(f), short_time(t), format_duration(interval)
                ) }</p>
                { facts("facts fso-serve-facts", &[
                    ("reads", "fso-reads", reads.to_string()),
                    ("materialization runs", "fso-runs-count", runs.to_string()),
                    ("rows written", "", rows.to_string()),
                    ("oldest value served", "", hours(oldest)),
                    ("most behind training", "fso-behind", hours(behind_most)),
                ]) }
                if points.is_empty() {
                    <p class="muted small">{ "No read of this serve found a value both online and offline, so there is nothing to draw." }</p>
                } else {
                    <p class="small muted">{ "Per read, how many hours the served values were behind the point-in-time values training used: a longer interval falls further behind between runs; a shorter one costs more runs and writes." }</p>
                    <canvas ref={canvas} class="chart fso-age-chart" role="img"
                        aria-label="Hours the served values were behind the point-in-time values, over the serve's reads" />
                    if let Some(e) = chart_error {
                        <p class="field-error small">{ e }</p>
                    }
                }
            } else {
                <p class="muted small fso-empty">{ "No serve yet." }</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_the_forms() {
        let ts = TimestampUs::parse("2024-03-05T10:00").unwrap();
        assert_eq!(input_time(ts), "2024-03-05T10:00");
        assert_eq!(parse_time("end", &input_time(ts)), Ok(ts));
        let with_seconds = TimestampUs::parse("2024-03-05 10:00:07").unwrap();
        assert_eq!(input_time(with_seconds), "2024-03-05T10:00:07");
        assert_eq!(
            parse_time("end", &input_time(with_seconds)),
            Ok(with_seconds)
        );
    }

    #[test]
    fn a_bad_time_is_refused_with_a_hint() {
        let e = parse_time("start", " March 5th ").unwrap_err();
        assert_eq!(e.message, "the start \"March 5th\" is not a time");
        assert!(e.hint.contains("2024-03-05T10:00"));
    }

    #[test]
    fn ages_read_in_minutes_then_hours() {
        let minutes = |m: i64| DurationUs(m * US_PER_MINUTE);
        assert_eq!(age_text(minutes(0)), "0 min old");
        assert_eq!(age_text(minutes(119)), "119 min old");
        assert_eq!(age_text(minutes(120)), "2.0 h old");
        assert_eq!(age_text(minutes(5_640)), "94.0 h old");
        assert_eq!(age_text(minutes(-90)), "1.5 h in the future");
    }
}
