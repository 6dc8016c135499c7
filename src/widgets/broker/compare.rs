//! Fork and compare: at the tick on screen, fork a second timeline with other replication
//! settings, replay the same later commands, and show both outcomes side by side. The fork is
//! computed once, when the learner asks (never while rendering), by [`lab::compare`]; it can then
//! be opened in the lab to explore.

use super::parse_number;
use crate::store::{LabAction, Loaded, Notice};
use crate::widgets::form::{bind, bind_select};
use crate::widgets::markup::header_row;
use lab::broker::producer::Acks;
use lab::compare::{fork_and_compare, Changes, Comparison, Outcome, EXTRA_TICKS_MAX};
use std::rc::Rc;
use yew::prelude::*;

/// Replaces the lab with a fork's timeline, saying where it forked and with which settings.
pub(crate) fn open_fork(
    session: &crate::store::LabHandle,
    timeline: Rc<lab::timeline::Timeline>,
    at: lab::clock::Tick,
    changes: &str,
) {
    session.dispatch(LabAction::Load(Loaded {
        timeline,
        from: "fork".into(),
        notice: Notice {
            is_error: false,
            text: format!("Opened the fork from tick {} with {changes}.", at.0),
            hint: "The original is replaced; Reset starts over.".into(),
        },
    }));
}

/// A comparison and the journal it was made from (to tell when it is out of date).
#[derive(Clone)]
struct Made {
    journal_revision: u64,
    comparison: Rc<Comparison>,
}

/// The rows of the comparison table: label, value, and whether more is worse.
fn rows(o: &Outcome) -> Vec<(&'static str, u64, bool)> {
    vec![
        ("acknowledged", o.ledger.acknowledged, false),
        ("still on the leader", o.ledger.present, false),
        ("lost (acknowledged)", o.ledger.lost, true),
        ("lost with acks=all", o.ledger.lost_acks_all, true),
        ("unclean elections", o.unclean_elections, true),
        ("leader elections", o.elections, false),
        ("offline partitions at the end", o.offline as u64, true),
        (
            "under-replicated at the end",
            o.under_replicated as u64,
            true,
        ),
        ("NOT_ENOUGH_REPLICAS refusals", o.not_enough_replicas, false),
        ("produce errors", o.produce_errors, false),
        ("records producers gave up on", o.failed_records, true),
        ("follower truncations", o.truncations, false),
    ]
}

fn summary(o: &Outcome) -> String {
    let lost = if o.ledger.lost == 0 {
        "nothing acknowledged was lost".to_string()
    } else {
        format!(
            "{} acknowledged record(s) lost ({} with acks=all)",
            o.ledger.lost, o.ledger.lost_acks_all
        )
    };
    format!(
        "{lost}; {} unclean election(s); {} partition(s) offline at tick {}.",
        o.unclean_elections, o.offline, o.end.0
    )
}

fn parse_choice<T: Copy>(value: &str, choices: &[(&str, T)]) -> Option<T> {
    choices.iter().find(|(n, _)| *n == value).map(|(_, t)| *t)
}

const ACKS: [(&str, Acks); 3] = [("0", Acks::Zero), ("1", Acks::One), ("all", Acks::All)];
const ON_OFF: [(&str, bool); 2] = [("on", true), ("off", false)];

fn comparison_view(c: &Comparison, stale: bool, on_open: Callback<MouseEvent>) -> Html {
    let original = rows(&c.original);
    let fork = rows(&c.fork);
    html! {
        <div class="comparison" aria-live="polite">
            if stale {
                <p class="notice-inline">{ "The lab has changed since this comparison; fork again to update it." }</p>
            }
            <p class="small">{ format!("Forked at tick {} with {}; {} later command(s) replayed{}; both timelines compared at tick {}.",
                c.at.0, c.changes.describe(), c.replayed,
                if c.extra_ticks > 0 { format!(", then {} more ticks", c.extra_ticks) } else { String::new() },
                c.fork.end.0) }</p>
            <div class="compare-summaries">
                <section class="compare-summary" aria-label="Original timeline">
                    <h4>{ "Original" }</h4>
                    <p class="small original-summary">{ summary(&c.original) }</p>
                </section>
                <section class="compare-summary is-fork" aria-label="Forked timeline">
                    <h4>{ "Fork" }</h4>
                    <p class="small muted">{ c.changes.describe() }</p>
                    <p class="small fork-summary">{ summary(&c.fork) }</p>
                </section>
            </div>
            <table class="compare-table">
                <caption class="visually-hidden">{ "Outcomes of the original and the forked timeline" }</caption>
                { header_row(&[("at the end", "", None), ("original", "num", None), ("fork", "num", None)]) }
                <tbody>
                    { for original.iter().zip(fork.iter()).map(|((label, a, worse_up), (_, b, _))| {
                        let class = match (a == b, *worse_up) {
                            (true, _) => None,
                            (false, true) if b > a => Some("worse"),
                            (false, true) => Some("better"),
                            (false, false) => Some("differs"),
                        };
                        html! {
                            <tr class={classes!(class)} data-row={label.to_string()}>
                                <th scope="row">{ *label }</th>
                                <td class="num">{ *a }</td>
                                <td class="num">{ *b }{ match class { Some("worse") => " ▲", Some("better") => " ▼", _ => "" } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="small muted compare-legend">
                <strong>{ "produce errors" }</strong>
                { ": every error a producer's request got back, once per attempt, so a batch retried twice counts twice: LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS (refused before the append), NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT and network errors. Records a producer stopped retrying are counted under " }
                <strong>{ "records producers gave up on" }</strong>{ "." }
            </p>
                        if !c.change_refusals.is_empty() {
                <p class="small bad">{ format!("Settings the fork refused: {}", c.change_refusals.join("; ")) }</p>
            }
            if !c.refused.is_empty() {
                <details class="small">
                    <summary>{ format!("{} later command(s) were refused in the fork (its history went another way)", c.refused.len()) }</summary>
                    <ul>{ for c.refused.iter().take(lab::compare::REFUSALS_LISTED_MAX).map(|(at, why)| html! { <li>{ format!("t{}: {why}", at.0) }</li> }) }</ul>
                </details>
            }
            <p class="muted small">{ "The fork is a timeline like any other, with its own journal: same seed and commands, same state. Open it to scrub, step or share it." }</p>
            <button type="button" class="open-fork" onclick={on_open}>{ "Open the fork in the lab" }</button>
        </div>
    }
}

#[component]
pub fn Compare() -> Html {
    let session = crate::widgets::use_lab();
    let acks = use_state(|| "same".to_string());
    let min_isr = use_state(|| "same".to_string());
    let unclean = use_state(|| "same".to_string());
    let extra = use_state(|| "0".to_string());
    let error = use_state(|| None::<(String, String)>);
    let made = use_state(|| None::<Made>);
    let on_fork = {
        let (session, error, made) = (session.clone(), error.clone(), made.clone());
        let (acks, min_isr, unclean, extra) = (
            acks.clone(),
            min_isr.clone(),
            unclean.clone(),
            extra.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let extra_ticks = match parse_number(&extra, "extra ticks", 0, EXTRA_TICKS_MAX) {
                Ok(n) => n,
                Err(why) => {
                    error.set(Some((why, String::new())));
                    return;
                }
            };
            let changes = Changes {
                acks: parse_choice(&acks, &ACKS),
                min_insync_replicas: min_isr.parse::<u8>().ok(),
                unclean_leader_election: parse_choice(&unclean, &ON_OFF),
            };
            let at = session.cursor;
            let result = session
                .with_timeline(|timeline| fork_and_compare(timeline, at, changes, extra_ticks));
            match result {
                Ok(comparison) => {
                    error.set(None);
                    made.set(Some(Made {
                        journal_revision: session.journal_revision,
                        comparison: Rc::new(comparison),
                    }));
                }
                Err(e) => error.set(Some((e.message, e.hint))),
            }
        })
    };
    let brokers_max = session
        .view
        .cluster()
        .map_or(3, |c| c.brokers().len().max(1));
    let on_open = {
        let (session, made) = (session.clone(), made.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(m) = &*made {
                let c = &m.comparison;
                open_fork(&session, c.timeline.clone(), c.at, &c.changes.describe());
                made.set(None);
            }
        })
    };
    let select = |id: &str,
                  label: &str,
                  state: &UseStateHandle<String>,
                  options: Vec<(String, String)>| {
        html! {
            <label for={id.to_string()}>{ format!("{label} ") }
                <select id={id.to_string()} class={id.to_string()} onchange={bind_select(state)}>
                    <option value="same" selected={**state == "same"}>{ "as now" }</option>
                    { for options.into_iter().map(|(value, text)| html! { <option value={value.clone()} selected={**state == value}>{ text }</option> }) }
                </select>
            </label>
        }
    };
    html! {
        <div class="compare">
            <p class="small">{ format!("Fork at tick {} (the tick on screen) with other settings; the same later commands are replayed at the same ticks.", session.cursor.0) }</p>
            <form class="compare-form" novalidate=true onsubmit={on_fork}>
                { select("fork-acks", "acks", &acks, ACKS.iter().map(|(n, _)| (n.to_string(), n.to_string())).collect()) }
                { select("fork-min-isr", "min.insync.replicas", &min_isr, (1..=brokers_max).map(|n| (n.to_string(), n.to_string())).collect()) }
                { select("fork-unclean", "unclean.leader.election", &unclean, ON_OFF.iter().map(|(n, _)| (n.to_string(), n.to_string())).collect()) }
                <label for="fork-extra">{ "then run both " }
                    <input id="fork-extra" class="num-input fork-extra" type="number" min="0" max={EXTRA_TICKS_MAX.to_string()} value={(*extra).clone()} oninput={bind(&extra)} />
                    { " more ticks" }
                </label>
                <button type="submit" class="primary fork-button">{ "Fork and compare" }</button>
                if let Some((message, hint)) = &*error {
                    <p class="field-error" role="alert">{ message.clone() }{ if hint.is_empty() { String::new() } else { format!(": {hint}") } }</p>
                }
            </form>
            <p class="muted small">{ "acks applies to every producer (idempotence is switched off for acks=0 and 1, as Kafka requires); the topic settings apply to every topic. Later commands that set them again keep the fork's values." }</p>
            { match &*made {
                Some(m) => comparison_view(&m.comparison, m.journal_revision != session.journal_revision, on_open),
                None => html! {},
            } }
        </div>
    }
}
