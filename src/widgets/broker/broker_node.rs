//! The brokers of the cluster picture as nodes (KRaft's broker registration, Kafka's
//! `BrokerLifecycleManager`): each shows its state in words (alive, crashed, stopped, fenced,
//! shutting down, cut off, slow), how many partitions it leads and how far its metadata lags, and
//! keeps its fault actions (kill, controlled shutdown, restart, slow down, cut a link, heal) in one
//! small menu, a `<details>` that the keyboard opens with Enter and closes with Escape.

use super::send;
use crate::store::LabHandle;
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::controller::Registration;
use lab::broker::node::{Broker, BrokerProcess, Link, FETCH_EVERY_TICKS_MAX};
use lab::broker::BrokerId;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Speeds offered by "Slow down", as "fetches once every N ticks".
pub const SLOW_CHOICES: [u8; 4] = [5, 20, 50, FETCH_EVERY_TICKS_MAX];

/// A status badge: CSS modifier and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Badge {
    pub class: &'static str,
    pub text: String,
}

pub fn badge(class: &'static str, text: impl Into<String>) -> Badge {
    Badge {
        class,
        text: text.into(),
    }
}

/// Badges as HTML: the text carries the meaning, the colour repeats it.
pub fn badges_html(badges: &[Badge]) -> Html {
    badges
        .iter()
        .map(|b| html! { <span class={classes!("badge", format!("badge-{}", b.class))}>{ &b.text }</span> })
        .collect()
}

/// What a broker looks like from outside: crashed, stopped, fenced, partitioned, slow or alive.
pub fn broker_badges(broker: &Broker, registration: Option<&Registration>) -> Vec<Badge> {
    let mut badges = Vec::new();
    match broker.process() {
        BrokerProcess::Crashed => badges.push(badge("bad", "crashed")),
        BrokerProcess::Stopped => badges.push(badge("muted", "stopped")),
        BrokerProcess::Running => {}
    }
    if let Some(r) = registration {
        if r.shutting_down && broker.running() {
            badges.push(badge("warn", "shutting down"));
        }
        if r.fenced {
            badges.push(badge("warn", "fenced"));
        }
    }
    let cut: Vec<&str> = Link::ALL
        .into_iter()
        .filter(|l| broker.is_cut(*l))
        .map(Link::name)
        .collect();
    if !cut.is_empty() {
        badges.push(badge(
            "warn",
            format!("partitioned from {}", cut.join(", ")),
        ));
    }
    if broker.is_slow() {
        badges.push(badge(
            "warn",
            format!("slow: fetches every {} ticks", broker.fetch_every_ticks()),
        ));
    }
    if badges.is_empty() {
        badges.push(badge("ok", "alive"));
    }
    badges
}

/// One line of facts: broker epoch, partitions led, metadata lag.
pub fn broker_facts(
    registration: Option<&Registration>,
    leads: usize,
    metadata_behind: usize,
) -> String {
    match registration {
        Some(r) => format!(
            "epoch {} · leads {leads} · metadata {}",
            r.broker_epoch,
            if metadata_behind == 0 {
                "up to date".to_string()
            } else {
                format!("{metadata_behind} behind")
            }
        ),
        None => format!("not registered · leads {leads}"),
    }
}

/// Closes the menu `event` came from and gives the focus back to its summary.
fn close_menu(event: &Event) {
    let Some(menu) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("details").ok().flatten())
    else {
        return;
    };
    let _ = menu.remove_attribute("open");
    if let Some(summary) = menu
        .query_selector("summary")
        .ok()
        .flatten()
        .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = summary.focus();
    }
}

/// Escape closes an open menu, as menus do.
fn on_menu_key() -> Callback<KeyboardEvent> {
    Callback::from(|e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.prevent_default();
            close_menu(&e);
        }
    })
}

/// A menu item: a button that sends `command` and closes the menu.
fn fault_item(
    session: &LabHandle,
    class: &'static str,
    label: &str,
    accessible: String,
    title: &str,
    command: BrokerCommand,
) -> Html {
    let session = session.clone();
    html! {
        <button type="button" class={classes!("small-button", "menu-item", class)} title={title.to_string()} aria-label={accessible}
            onclick={Callback::from(move |e: MouseEvent| { send(&session, command.clone()); close_menu(&e); })}>{ label.to_string() }</button>
    }
}

/// Cut or reconnect one of the broker's links (a network partition).
fn link_item(session: &LabHandle, broker: &Broker, link: Link) -> Html {
    let id = broker.id();
    let cut = broker.is_cut(link);
    let name = format!("broker {}", id.0);
    let (label, title) = if cut {
        (
            format!("Reconnect {}", link.name()),
            format!("Restore {name}'s link to {}", link.name()),
        )
    } else {
        (
            format!("Cut from {}", link.name()),
            format!(
                "A network partition: {name} can no longer reach {}",
                match link {
                    Link::Brokers => "the other brokers (replication stops)",
                    Link::Controller => "the controller (no heartbeats, no ISR changes)",
                    Link::Clients => "producers and consumers",
                }
            ),
        )
    };
    let session = session.clone();
    html! {
        <button type="button" class={classes!("small-button", "menu-item", "cut-button", format!("cut-{}", link.name()))}
            aria-pressed={cut.to_string()} title={title} aria-label={format!("{label} ({name})")}
            onclick={Callback::from(move |e: MouseEvent| { send(&session, BrokerCommand::CutLink { broker: id, link, cut: !cut }); close_menu(&e); })}>{ label }</button>
    }
}

#[derive(Properties, PartialEq)]
struct FaultMenuProps {
    broker: Broker,
}

/// The broker's fault actions, only those that apply now: Kill and Controlled shutdown while it
/// runs, Restart once it is down; Normal speed when slow; Heal when a link is cut.
#[component]
fn FaultMenu(props: &FaultMenuProps) -> Html {
    let session = crate::widgets::use_lab();
    let slow = use_state(|| SLOW_CHOICES[1]);
    let b = &props.broker;
    let id = b.id();
    let name = format!("broker {}", id.0);
    let on_slow_choice = {
        let slow = slow.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Ok(n) = value.parse::<u8>() {
                slow.set(n);
            }
        })
    };
    let any_cut = Link::ALL.into_iter().any(|l| b.is_cut(l));
    html! {
        <details class="broker-menu" onkeydown={on_menu_key()}>
            <summary class="small-button">{ "Faults" }<span class="visually-hidden">{ format!(" for {name}") }</span></summary>
            <div class="menu-panel fault-buttons" role="group" aria-label={format!("Faults for {name}")}>
                if b.running() {
                    { fault_item(&session, "kill-broker", "Kill", format!("Kill {name}"), "Crash the process: no goodbye; the controller fences it when its session expires", BrokerCommand::KillBroker { broker: id }) }
                    { fault_item(&session, "shutdown-broker", "Controlled shutdown", format!("Controlled shutdown of {name}"), "Hand leaderships to other in-sync replicas first, then stop", BrokerCommand::ShutdownBroker { broker: id }) }
                } else {
                    { fault_item(&session, "restart-broker", "Restart", format!("Restart {name}"), "Start it again: it registers with a new broker epoch and catches up", BrokerCommand::RestartBroker { broker: id }) }
                }
                <span class="slow-control">
                    <label class="visually-hidden" for={format!("slow-{}", id.0)}>{ format!("How slow {name} becomes") }</label>
                    <select id={format!("slow-{}", id.0)} class="slow-select" onchange={on_slow_choice}>
                        { for SLOW_CHOICES.iter().map(|n| html! { <option value={n.to_string()} selected={*n == *slow}>{ format!("every {n} ticks") }</option> }) }
                    </select>
                    { fault_item(&session, "slow-broker", "Slow down", format!("Slow down {name}"), "Fetch from leaders only every so many ticks (a slow disk or a long GC pause)", BrokerCommand::SlowBroker { broker: id, fetch_every_ticks: *slow }) }
                </span>
                if b.is_slow() {
                    { fault_item(&session, "normal-speed", "Normal speed", format!("Normal speed for {name}"), "Fetch every tick again", BrokerCommand::SlowBroker { broker: id, fetch_every_ticks: 1 }) }
                }
                { for Link::ALL.into_iter().map(|link| link_item(&session, b, link)) }
                if any_cut {
                    { fault_item(&session, "heal-broker", "Heal", format!("Heal {name}"), "Restore every network link", BrokerCommand::HealBroker { broker: id }) }
                }
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct BrokerCardProps {
    broker: Broker,
    registration: Option<Registration>,
    leads: usize,
    metadata_behind: usize,
}

/// One broker node: name, state in words, facts and the fault menu.
#[component]
fn BrokerCard(props: &BrokerCardProps) -> Html {
    let b = &props.broker;
    let name = format!("broker {}", b.id().0);
    let badges = broker_badges(b, props.registration.as_ref());
    let label = format!(
        "{name}: {}; {}",
        badges
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        broker_facts(
            props.registration.as_ref(),
            props.leads,
            props.metadata_behind
        )
    );
    html! {
        <li class={classes!("broker-card", (!b.running()).then_some("is-down"), props.registration.as_ref().filter(|r| r.fenced).map(|_| "is-fenced"))}
            data-broker={b.id().0.to_string()} aria-label={label}>
            <div class="broker-card-head">
                <strong class="broker-name">{ &name }</strong>
                { badges_html(&badges) }
            </div>
            <p class="muted small broker-facts">{ broker_facts(props.registration.as_ref(), props.leads, props.metadata_behind) }</p>
            <FaultMenu broker={b.clone()} />
        </li>
    }
}

/// The controller quorum in one chip: who is active, in which term, and how many nodes run.
fn controller_chip(cluster: &Cluster) -> Html {
    let c = cluster.controller();
    let (text, bad) = match c.active() {
        Some(id) => (
            format!(
                "controller C{} active · term {} · {} of {} up",
                id.0,
                c.term(),
                c.running_nodes(),
                c.quorum_size()
            ),
            false,
        ),
        None => (
            format!(
                "no active controller · {} of {} up",
                c.running_nodes(),
                c.quorum_size()
            ),
            true,
        ),
    };
    html! {
        <li class={if bad { "controller-chip is-bad" } else { "controller-chip" }}>
            <span class="chip-mark" aria-hidden="true">{ if bad { "✕" } else { "◆" } }</span>
            <span>{ text }</span>
        </li>
    }
}

/// Every broker as a node, then the controller quorum.
pub fn broker_nodes(cluster: &Cluster) -> Html {
    let metadata_len = cluster.controller().end_offset();
    html! {
        <ul class="broker-cards" aria-label="Brokers and the controller">
            { for cluster.brokers().iter().map(|b| html! {
                <BrokerCard key={b.id().0} broker={b.clone()} registration={cluster.controller().registrations().get(&b.id()).cloned()}
                    leads={super::leader_count(cluster, b.id())} metadata_behind={metadata_len.saturating_sub(b.metadata_offset())} />
            }) }
            { controller_chip(cluster) }
        </ul>
    }
}

/// The node of broker `id`, if it exists.
pub fn node(cluster: &Cluster, id: BrokerId) -> Option<&Broker> {
    cluster.brokers().iter().find(|b| b.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_say_what_is_wrong() {
        let mut cluster = Cluster::new(1, lab::rng::Rng::new(lab::rng::Seed(1)));
        assert_eq!(broker_badges(&cluster.brokers()[0], None)[0].text, "alive");
        let broker = BrokerId(1);
        let mut apply = |command: BrokerCommand| {
            cluster.apply(&command, lab::clock::Tick(0)).unwrap();
        };
        apply(BrokerCommand::CutLink {
            broker,
            link: Link::Controller,
            cut: true,
        });
        apply(BrokerCommand::SlowBroker {
            broker,
            fetch_every_ticks: 20,
        });
        let texts: Vec<String> = broker_badges(&cluster.brokers()[0], None)
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(
            texts,
            vec![
                "partitioned from controller",
                "slow: fetches every 20 ticks"
            ]
        );
        cluster
            .apply(&BrokerCommand::KillBroker { broker }, lab::clock::Tick(0))
            .unwrap();
        let b = &cluster.brokers()[0];
        let fenced = Registration {
            broker_epoch: 2,
            last_heartbeat: lab::clock::Tick(0),
            fenced: true,
            shutting_down: false,
        };
        let texts: Vec<String> = broker_badges(b, Some(&fenced))
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(texts[..2], ["crashed".to_string(), "fenced".to_string()]);
        assert_eq!(
            broker_facts(Some(&fenced), 1, 3),
            "epoch 2 · leads 1 · metadata 3 behind"
        );
        assert_eq!(broker_facts(None, 0, 0), "not registered · leads 0");
    }
}
