//! The KRaft controller (KRaft's PartitionChangeBuilder, KIP-631; KIP-631 and KIP-497): the quorum's nodes with kill and restart buttons, the
//! active controller and its term, every broker's registration (broker epoch, heartbeat, fenced),
//! and the election timeline read from the metadata log. The timeline comes from the end of the
//! journal, so after scrubbing back the changes still to come are listed too (dimmed); each row
//! jumps the time cursor to just before or just after its change.

use super::{send, with_cluster};
use crate::store::{LabAction, LabHandle};
use crate::widgets::markup::header_row;
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::controller::MetadataRecord;
use lab::broker::narrate::{self, MetadataNote};
use lab::clock::Tick;
use yew::prelude::*;

/// Rows of the election timeline (the most recent).
pub const TIMELINE_ROWS_MAX: usize = 40;

/// One row of the election timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRow {
    pub at: Tick,
    pub offset: u64,
    pub term: u32,
    pub note: MetadataNote,
    pub text: String,
}

/// The metadata record as a timeline row, if it belongs there (see
/// [`narrate::metadata_change`], which words it).
pub fn timeline_row(record: &MetadataRecord, with_isr: bool) -> Option<TimelineRow> {
    let (note, text) = narrate::metadata_change(&record.change, with_isr)?;
    Some(TimelineRow {
        at: record.at,
        offset: record.offset,
        term: record.term,
        note,
        text,
    })
}

/// The newest rows of `cluster`'s metadata log, newest first.
pub fn timeline_rows(cluster: &Cluster, with_isr: bool) -> Vec<TimelineRow> {
    cluster
        .controller()
        .log()
        .iter()
        .rev()
        .filter_map(|r| timeline_row(r, with_isr))
        .take(TIMELINE_ROWS_MAX)
        .collect()
}

fn controller_nodes(session: &LabHandle, cluster: &Cluster) -> Html {
    let c = cluster.controller();
    html! {
        <ul class="controller-nodes" aria-label="Controller quorum">
            { for c.nodes().iter().map(|node| {
                let id = node.id;
                let active = c.active() == Some(id);
                let (kill, restart) = (session.clone(), session.clone());
                html! {
                    <li class={classes!("controller-node", active.then_some("is-active"), (!node.running).then_some("is-down"))} data-controller={id.0.to_string()}>
                        <strong>{ format!("C{}", id.0) }</strong>
                        if active { <span class="badge badge-ok">{ "active" }</span> }
                        if node.running { if !active { <span class="badge badge-muted">{ "standby" }</span> } } else { <span class="badge badge-bad">{ "down" }</span> }
                        <span class="node-buttons">
                            <button type="button" class="small-button kill-controller" disabled={!node.running}
                                title={format!("Crash controller C{}", id.0)} aria-label={format!("Kill controller C{}", id.0)}
                                onclick={Callback::from(move |_| send(&kill, BrokerCommand::KillController { controller: id }))}>{ "Kill" }</button>
                            <button type="button" class="small-button restart-controller" disabled={node.running}
                                title={format!("Start controller C{} again", id.0)} aria-label={format!("Restart controller C{}", id.0)}
                                onclick={Callback::from(move |_| send(&restart, BrokerCommand::RestartController { controller: id }))}>{ "Restart" }</button>
                        </span>
                    </li>
                }
            }) }
        </ul>
    }
}

fn registrations(cluster: &Cluster, now: Tick) -> Html {
    html! {
        <table class="registrations">
            <caption class="visually-hidden">{ "Broker registrations" }</caption>
            { header_row(&[("broker", "", None), ("broker epoch", "num", None), ("ticks since heartbeat", "num", None), ("state", "", None)]) }
            <tbody>
                { for cluster.controller().registrations().iter().map(|(b, r)| {
                    let state = match (r.fenced, r.shutting_down) {
                        (_, true) => "shutting down",
                        (true, false) => "fenced",
                        (false, false) => "unfenced",
                    };
                    html! {
                        <tr class={r.fenced.then_some("is-fenced")} data-registration={b.0.to_string()}>
                            <th scope="row">{ format!("broker {}", b.0) }</th>
                            <td class="num">{ r.broker_epoch }</td>
                            <td class="num">{ now.ticks_since(r.last_heartbeat) }</td>
                            <td>{ state }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

#[component]
pub fn ControllerView() -> Html {
    let session = crate::widgets::use_lab();
    let with_isr = use_state(|| false);
    let rows = use_memo((session.journal_revision, *with_isr), {
        let session = session.clone();
        move |&(_, with_isr)| {
            session.with_head(|head| {
                head.cluster()
                    .map(|c| timeline_rows(c, with_isr))
                    .unwrap_or_default()
            })
        }
    });
    let end = session.end();
    with_cluster(&session, |cluster| {
        let c = cluster.controller();
        // Records this far into the metadata log exist at the tick on screen; later ones are
        // still to come.
        let seen = c.end_offset() as u64;
        let status = match c.active() {
            Some(id) => format!("Active controller: C{} · term {}", id.0, c.term()),
            None => format!(
                "No active controller{} · {} of {} nodes running: an election needs a majority",
                c.vacant_since()
                    .map_or(String::new(), |t| format!(" since tick {}", t.0)),
                c.running_nodes(),
                c.quorum_size()
            ),
        };
        let jump = |at: Tick| {
            let session = session.clone();
            Callback::from(move |_: MouseEvent| session.dispatch(LabAction::Seek(at)))
        };
        let toggle_isr = crate::widgets::form::bind_checked(&with_isr);
        html! {
            <div class="controller-view">
                <p class={if c.active().is_none() { "controller-status bad" } else { "controller-status" }} role="status">{ status }</p>
                { controller_nodes(&session, cluster) }
                <h4>{ "Broker registrations" }</h4>
                { registrations(cluster, session.view.now()) }
                <h4 id="election-timeline-title">{ "Election timeline (metadata log)" }</h4>
                <label class="check small"><input type="checkbox" class="show-isr" checked={*with_isr} onchange={toggle_isr} />{ " show ISR changes too" }</label>
                if rows.is_empty() {
                    <p class="muted small">{ "No election yet: kill or cut off a leader's broker and watch the controller fence it and elect another replica." }</p>
                } else {
                    <ol class="election-timeline" aria-labelledby="election-timeline-title">
                        { for rows.iter().map(|row| {
                            let future = row.offset >= seen;
                            let after = Tick((row.at.0 + 1).min(end.0));
                            let before = Tick(row.at.0.saturating_sub(1));
                            html! {
                                <li class={classes!("election-row", format!("row-{}", row.note.tag()), future.then_some("future"))} data-tick={row.at.0.to_string()}>
                                    <button type="button" class="ghost jump-after" onclick={jump(after)}
                                        title={format!("Jump to tick {}, just after this change", after.0)}
                                        aria-label={format!("Jump to tick {}, just after: {}", after.0, row.text)}>
                                        <span class="tick-badge">{ format!("t{}", row.at.0) }</span>
                                        if future { <span class="badge badge-muted later">{ "later" }</span> }
                                        <span class="election-text">{ &row.text }</span>
                                    </button>
                                    <button type="button" class="ghost small-button jump-before" onclick={jump(before)}
                                        title={format!("Jump to tick {}, just before this change", before.0)}
                                        aria-label={format!("Jump to tick {}, just before this change", before.0)}>{ "◀ before" }</button>
                                </li>
                            }
                        }) }
                    </ol>
                    <p class="muted small">{ format!("Newest first, at most {TIMELINE_ROWS_MAX}; rows marked “later” are still to come after the tick on screen.") }</p>
                }
            </div>
        }
    })
}
