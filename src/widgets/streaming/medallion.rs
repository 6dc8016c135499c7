//! The medallion pipeline: bronze (raw order payloads) → silver (parsed, deduplicated, checked
//! by expectations) → gold (orders and revenue per user); per expectation its condition, its
//! action (a select that journals `SetExpectationAction` after `StreamLab::validate`), and the
//! rows it passed, failed and dropped, NULLs that passed shown apart; the dropped rows; and a
//! failed update shown as rolled back, with the row that failed it.
//!
//! Everything is read from `StreamLab::medallion(now)`: derived from the order feed, the action
//! changes and the tick, or, once the bronze topic is on (a button that journals `BronzeTopic`),
//! the medallion reading the `orders_bronze` topic through its consumer group.

use super::{no_stream_job, refusal_view, time_text, try_send, value_text};
use crate::widgets::markup::plain_header_row;
use lab::stream_lab::bronze_topic::{BronzeLag, BRONZE_TOPIC, MEDALLION_GROUP};
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::samples_lab::{MedallionView, TRIGGER_TICKS};
use lab::streaming::medallion::Action;
use lab::streaming::value::StreamValue;
use std::rc::Rc;
use yew::prelude::*;

/// Dropped rows and gold rows shown.
const ROWS_SHOWN: usize = 12;

const ACTIONS: [Action; 3] = [Action::Warn, Action::Drop, Action::Fail];

/// What an action does, for the select's options.
fn action_label(action: Action) -> &'static str {
    match action {
        Action::Warn => "warn: write the row, count it",
        Action::Drop => "drop: leave the row out",
        Action::Fail => "fail: stop the update",
    }
}

fn tick_time(tick: u64) -> String {
    time_text(lab::stream_lab::at(tick))
}

/// The three tables as boxes with arrows.
fn flow(view: &MedallionView) -> Html {
    let m = &view.medallion;
    let totals = m.totals();
    let g = lab::sim::text::group_thousands;
    let backlog = (m.bronze().len() as u64).saturating_sub(m.checkpoint());
    html! {
        <div class="medallion-flow" role="group" aria-label="bronze, silver and gold">
            <div class="medallion-stage medallion-bronze">
                <h4>{ "Bronze" }</h4>
                <p class="medallion-count">{ g(m.bronze().len() as u64) }<span class="small">{ " records" }</span></p>
                <p class="small muted">{ format!("raw JSON as it arrived; {} not yet in silver", g(backlog)) }</p>
            </div>
            <div class="medallion-arrow" aria-hidden="true">{ "→" }</div>
            <div class="medallion-stage medallion-silver">
                <h4>{ "Silver" }</h4>
                <p class="medallion-count">{ g(m.silver().len() as u64) }<span class="small">{ " rows" }</span></p>
                <p class="small muted">{ format!("{} dropped, {} duplicates skipped, {} not JSON",
                    g(totals.dropped), g(totals.duplicates), g(totals.unparsable)) }</p>
            </div>
            <div class="medallion-arrow" aria-hidden="true">{ "→" }</div>
            <div class="medallion-stage medallion-gold">
                <h4>{ "Gold" }</h4>
                <p class="medallion-count">{ g(m.gold().len() as u64) }<span class="small">{ " users" }</span></p>
                <p class="small muted">{ if view.gold_matches_silver() { "orders and revenue per user = a recount of silver" } else { "differs from a recount of silver" } }</p>
            </div>
        </div>
    }
}

/// The latest update: what it wrote, or why it failed and that nothing of it was written.
fn last_update(view: &MedallionView) -> Html {
    let (ok, failed) = view.medallion.updates();
    let next = format!("next update at {}", tick_time(view.next_at));
    let summary = format!(
        "{ok} updates written, {failed} rolled back; {next} (every {} s)",
        TRIGGER_TICKS / 10
    );
    match (&view.last, view.last_at) {
        (Some(Err(failure)), Some(at)) => html! {
            <div class="medallion-failed" role="alert">
                <p><strong>{ format!("The update at {} failed and was rolled back.", tick_time(at)) }</strong></p>
                <p class="small">{ failure.error.message.clone() }</p>
                <p class="small">{ format!("Silver stays at {} rows and the checkpoint at bronze offset {}: the next update reads the same records again.",
                    view.medallion.silver().len(), view.medallion.checkpoint()) }</p>
                <p class="small">{ format!("Hint: {}", failure.error.hint) }</p>
                <p class="small muted">{ summary }</p>
            </div>
        },
        (Some(Ok(report)), Some(at)) => html! {
            <p class="small medallion-ok">
                { format!("The update at {} read {} bronze records and wrote {} rows ({} dropped, {} duplicates). {summary}",
                    tick_time(at), report.bronze_read, report.written, report.dropped, report.duplicates) }
            </p>
        },
        _ => html! { <p class="small muted">{ format!("No update yet: {next}.") }</p> },
    }
}

fn row_text(view: &MedallionView, values: &[StreamValue]) -> String {
    view.medallion
        .config()
        .schema
        .iter()
        .zip(values)
        .map(|(c, v)| {
            let shown = match v {
                StreamValue::Null => "NULL".to_string(),
                StreamValue::Text(s) => format!("'{s}'"),
                other => value_text(other),
            };
            format!("{}: {shown}", c.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where bronze comes from: the seed's feed, or the topic with the group's committed offset and
/// lag, and whether its partition has a leader.
fn bronze_source(
    streams: &lab::stream_lab::StreamLab,
    cluster: Option<&lab::broker::cluster::Cluster>,
) -> String {
    let topic = streams.bronze_topic();
    match cluster.filter(|_| topic.is_reading()) {
        None => "Bronze is the order feed replayed from the seed: no broker fault reaches it.".into(),
        Some(cluster) => format!(
            "Bronze is topic {BRONZE_TOPIC}, read as group {MEDALLION_GROUP}: committed offset {}, {}{}.",
            topic.committed(cluster),
            match topic.lag_status(cluster) {
                lag @ BronzeLag::Known(_) => format!("{}, {} held by the producer", lag.text(), topic.held(cluster)),
                lag @ BronzeLag::NoLeader { .. } => lag.text(),
            },
            if topic.offline(cluster) {
                "; the partition has no leader, so bronze and every update stall"
            } else {
                ""
            }
        ),
    }
}

/// The medallion a read-only part of the panel shows.
#[derive(Properties)]
struct ViewProps {
    view: Rc<MedallionView>,
}

/// The dropped rows and gold change only at an update, while the view is a new copy every tick:
/// two views with the same rows to show draw the same, so the part is not rebuilt on every tick.
impl PartialEq for ViewProps {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.view.medallion, &other.view.medallion);
        Rc::ptr_eq(&self.view, &other.view)
            || (a.config().schema == b.config().schema
                && a.dropped_rows().eq(b.dropped_rows())
                && a.gold() == b.gold())
    }
}

/// The latest dropped rows and the gold table.
#[component]
fn DroppedAndGold(props: &ViewProps) -> Html {
    let view = &props.view;
    let m = &view.medallion;
    let dropped: Vec<_> = m.dropped_rows().collect();
    let gold = m.gold();
    html! {
        <>
            <h4 class="small">{ format!("Dropped rows (the latest {})", ROWS_SHOWN.min(dropped.len())) }</h4>
            if dropped.is_empty() {
                <p class="small muted">{ "None yet." }</p>
            } else {
                <ul class="medallion-dropped small">
                    { for dropped.iter().rev().take(ROWS_SHOWN).map(|d| html! {
                        <li>
                            <span class="num">{ format!("bronze {}: ", d.row.offset) }</span>
                            <code>{ row_text(view, &d.row.values) }</code>
                            <span class="muted">{ format!(" violates {}", d.violated.join(", ")) }</span>
                        </li>
                    }) }
                </ul>
            }
            <h4 class="small">{ "Gold: orders and revenue per user" }</h4>
            <div class="table-scroll">
                <table class="medallion-gold-table">
                    { plain_header_row(&["user", "orders", "revenue"]) }
                    <tbody>
                        { for gold.iter().take(ROWS_SHOWN).map(|g| html! {
                            <tr>
                                <td>{ value_text(&g.key) }</td>
                                <td class="num">{ g.rows }</td>
                                <td class="num">{ value_text(&g.total) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </>
    }
}

#[component]
pub fn MedallionPanel() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_state(|| None::<(String, String)>);
    let Some(streams) = session.view.streams() else {
        return no_stream_job();
    };
    let view = match streams.medallion(session.view.now()) {
        Ok(view) => view,
        Err(message) => {
            return html! { <p class="stream-refusal" role="alert">{ message }</p> };
        }
    };
    let set_action = |name: String| {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |e: Event| {
            let chosen = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let Some(streams) = session.view.streams() else {
                return;
            };
            let result = Action::parse(&chosen)
                .map_err(|e| (e.message, e.hint))
                .and_then(|action| {
                    try_send(
                        &session,
                        streams,
                        StreamCommand::SetExpectationAction {
                            expectation: name.clone(),
                            action,
                        },
                    )
                });
            refusal.set(result.err());
        })
    };
    let bronze_on = streams.bronze_topic().is_on();
    let on_bronze_toggle = {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(streams) = session.view.streams() else {
                return;
            };
            let command = StreamCommand::BronzeTopic { on: !bronze_on };
            refusal.set(try_send(&session, streams, command).err());
        })
    };
    let source = bronze_source(streams, session.view.cluster());
    let m = &view.medallion;
    let expectations = m.config().expectations.clone();
    let metrics = m.expectation_metrics();
    html! {
        <div class="medallion" data-tick={view.now.to_string()} data-failing={view.failing().to_string()}
            data-silver={m.silver().len().to_string()} data-dropped={m.totals().dropped.to_string()}>
            { flow(&view) }
            <p class="small medallion-source">
                { source }
                { " " }
                <button type="button" class={if bronze_on { "bronze-topic active" } else { "bronze-topic" }}
                    aria-pressed={bronze_on.to_string()} onclick={on_bronze_toggle}>
                    { if bronze_on { "Stop producing orders to orders_bronze" } else { "Bronze from a topic" } }
                </button>
            </p>
            { last_update(&view) }
            <h4 class="small">{ "Expectations on silver" }</h4>
            { refusal_view(&refusal) }
            <div class="table-scroll">
                <table class="medallion-expectations">
                    <thead><tr>
                        <th>{ "expectation" }</th><th>{ "condition" }</th><th>{ "on violation" }</th>
                        <th>{ "passed" }</th><th title="passed because the value was NULL">{ "of which NULL" }</th>
                        <th>{ "failed" }</th><th>{ "dropped" }</th>
                    </tr></thead>
                    <tbody>
                        { for expectations.iter().zip(metrics).map(|(e, m)| html! {
                            <tr data-expectation={e.name.clone()}>
                                <td><code>{ e.name.clone() }</code></td>
                                <td><code class="small">{ e.condition.to_sql() }</code></td>
                                <td>
                                    <select class="medallion-action" aria-label={format!("action of {}", e.name)}
                                        onchange={set_action(e.name.clone())}>
                                        { for ACTIONS.iter().map(|a| html! {
                                            <option value={a.name()} selected={*a == e.action} title={action_label(*a)}>{ a.name() }</option>
                                        }) }
                                    </select>
                                </td>
                                <td class="num">{ m.passed }</td>
                                <td class="num">{ m.unknown }</td>
                                <td class="num medallion-failed-count">{ m.failed }</td>
                                <td class="num">{ m.dropped }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <p class="small muted">
                { ACTIONS.iter().map(|a| action_label(*a)).collect::<Vec<_>>().join("; ") }
                { ". Counts cover the updates that were written; a rolled-back update counts nothing. A condition on a NULL value is unknown, and unknown passes: only a NOT NULL expectation catches a NULL." }
            </p>
            <DroppedAndGold view={view.clone()} />
        </div>
    }
}
