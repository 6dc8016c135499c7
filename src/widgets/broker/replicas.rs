//! The replicas view (Kafka's Partition.scala and KIP-101/KIP-279): every broker with its status and a button for each fault
//! (kill, restart, controlled shutdown, slow down, cut a link, heal), then per partition one row
//! per replica: its log as bands of leader epochs, its log end offset and high watermark, the
//! leader's crown, ISR membership and what the replica believes about leadership.

use super::{send, with_cluster};
use crate::store::LabHandle;
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::controller::Registration;
use lab::broker::log::Offset;
use lab::broker::node::{Broker, BrokerProcess, Link, FETCH_EVERY_TICKS_MAX};
use lab::broker::topic::{Partition, Topic};
use lab::broker::BrokerId;
use yew::prelude::*;

/// Speeds offered by "Slow down", as "fetches once every N ticks".
pub const SLOW_CHOICES: [u8; 4] = [5, 20, 50, FETCH_EVERY_TICKS_MAX];
/// Epoch bands drawn per replica (older epochs are merged into the first band).
pub const EPOCH_BANDS_MAX: usize = 8;

/// A status badge: CSS modifier and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Badge {
    pub class: &'static str,
    pub text: String,
}

fn badge(class: &'static str, text: impl Into<String>) -> Badge {
    Badge {
        class,
        text: text.into(),
    }
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

fn badges_html(badges: &[Badge]) -> Html {
    badges
        .iter()
        .map(|b| html! { <span class={classes!("badge", format!("badge-{}", b.class))}>{ &b.text }</span> })
        .collect()
}

fn fault_button(
    session: &LabHandle,
    class: &'static str,
    label: String,
    title: &str,
    enabled: bool,
    command: BrokerCommand,
) -> Html {
    let session = session.clone();
    html! {
        <button type="button" class={classes!("small-button", class)} disabled={!enabled} title={title.to_string()}
            onclick={Callback::from(move |_| send(&session, command.clone()))}>{ label }</button>
    }
}

#[derive(Properties, PartialEq)]
struct BrokerCardProps {
    broker: Broker,
    registration: Option<Registration>,
    leads: usize,
    metadata_behind: usize,
}

/// One broker: status badges, facts and the fault buttons.
#[component]
fn BrokerCard(props: &BrokerCardProps) -> Html {
    let session = crate::widgets::use_lab();
    let slow = use_state(|| SLOW_CHOICES[1]);
    let b = &props.broker;
    let id = b.id();
    let running = b.running();
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
    let cut_button = |link: Link| {
        let cut = b.is_cut(link);
        let session = session.clone();
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
        html! {
            <button type="button" class={classes!("small-button", "cut-button", format!("cut-{}", link.name()))} aria-pressed={cut.to_string()} title={title}
                onclick={Callback::from(move |_| send(&session, BrokerCommand::CutLink { broker: id, link, cut: !cut }))}>{ label }</button>
        }
    };
    let any_cut = Link::ALL.into_iter().any(|l| b.is_cut(l));
    let facts = match &props.registration {
        Some(r) => format!(
            "broker epoch {} · leads {} · metadata {}",
            r.broker_epoch,
            props.leads,
            if props.metadata_behind == 0 {
                "up to date".to_string()
            } else {
                format!("{} record(s) behind", props.metadata_behind)
            }
        ),
        None => format!("not registered · leads {}", props.leads),
    };
    html! {
        <li class="broker-card" data-broker={id.0.to_string()} aria-label={name.clone()}>
            <div class="broker-card-head">
                <strong>{ &name }</strong>
                { badges_html(&broker_badges(b, props.registration.as_ref())) }
            </div>
            <p class="muted small broker-facts">{ facts }</p>
            <div class="fault-buttons" role="group" aria-label={format!("Faults for {name}")}>
                { fault_button(&session, "kill-broker", "Kill".into(), "Crash the process: no goodbye; the controller fences it when its session expires", running, BrokerCommand::KillBroker { broker: id }) }
                { fault_button(&session, "shutdown-broker", "Controlled shutdown".into(), "Hand leaderships to other in-sync replicas first, then stop", running, BrokerCommand::ShutdownBroker { broker: id }) }
                { fault_button(&session, "restart-broker", "Restart".into(), "Start it again: it registers with a new broker epoch and catches up", !running, BrokerCommand::RestartBroker { broker: id }) }
                <span class="slow-control">
                    <label class="visually-hidden" for={format!("slow-{}", id.0)}>{ format!("How slow {name} becomes") }</label>
                    <select id={format!("slow-{}", id.0)} class="slow-select" onchange={on_slow_choice}>
                        { for SLOW_CHOICES.iter().map(|n| html! { <option value={n.to_string()} selected={*n == *slow}>{ format!("every {n} ticks") }</option> }) }
                    </select>
                    { fault_button(&session, "slow-broker", "Slow down".into(), "Fetch from leaders only every so many ticks (a slow disk or a long GC pause)", true, BrokerCommand::SlowBroker { broker: id, fetch_every_ticks: *slow }) }
                </span>
                { fault_button(&session, "normal-speed", "Normal speed".into(), "Fetch every tick again", b.is_slow(), BrokerCommand::SlowBroker { broker: id, fetch_every_ticks: 1 }) }
                { for Link::ALL.into_iter().map(cut_button) }
                { fault_button(&session, "heal-broker", "Heal".into(), "Restore every network link", any_cut, BrokerCommand::HealBroker { broker: id }) }
            </div>
        </li>
    }
}

/// Where a replica's log starts and ends, and its epochs, as percentages of `scale` offsets.
fn replica_bar(p: &Partition, broker: BrokerId, scale: u64) -> Html {
    let Some(replica) = p.replica_states().get(&broker) else {
        return html! {};
    };
    let log = &replica.log();
    let pct = |o: Offset| (o.0.min(scale) as f64) * 100.0 / (scale.max(1) as f64);
    let leo = log.leo();
    let epochs = log.epochs();
    let skip = epochs.len().saturating_sub(EPOCH_BANDS_MAX);
    let bands: Vec<(u32, Offset, Offset)> = epochs
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, (epoch, start))| {
            let start = if i == skip { Offset(0) } else { *start };
            let end = epochs.get(i + 1).map_or(leo, |(_, next)| *next).min(leo);
            (*epoch, start.max(log.log_start()), end)
        })
        .filter(|(_, start, end)| end > start)
        .collect();
    let label = format!(
        "broker {}: log start {}, LEO {}, HW {}; epochs {}",
        broker.0,
        log.log_start(),
        leo,
        replica.hw(),
        bands
            .iter()
            .map(|(e, s, end)| format!("{e} at {s}–{}", end.0.saturating_sub(1)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        <div class="replica-bar" role="img" aria-label={label}>
            { for bands.iter().map(|(epoch, start, end)| html! {
                <span class={classes!("epoch-band", format!("src-{}", epoch % 8))}
                    style={format!("left:{:.2}%;width:{:.2}%", pct(*start), pct(*end) - pct(*start))}
                    title={format!("leader epoch {epoch}: offsets {start}–{}", end.0.saturating_sub(1))}>
                    <span class="epoch-label">{ format!("e{epoch}") }</span>
                </span>
            }) }
            if replica.hw() < leo {
                <span class="uncommitted-tail" style={format!("left:{:.2}%;width:{:.2}%", pct(replica.hw()), pct(leo) - pct(replica.hw()))}
                    title={format!("offsets {}–{} are above this replica's high watermark", replica.hw(), leo.0.saturating_sub(1))}></span>
            }
            <span class="hw-tick" style={format!("left:{:.2}%", pct(replica.hw()))} title={format!("high watermark {}", replica.hw())}></span>
        </div>
    }
}

fn replica_row(cluster: &Cluster, p: &Partition, broker: BrokerId, scale: u64) -> Html {
    let node = cluster.brokers().iter().find(|b| b.id() == broker);
    let running = node.is_some_and(Broker::running);
    let is_leader = p.leader() == Some(broker);
    let in_isr = p.isr().contains(&broker);
    let preferred = p.replicas().first() == Some(&broker);
    let replica = p.replica_states().get(&broker);
    let mut badges = Vec::new();
    if in_isr {
        badges.push(badge("ok", "ISR"));
    } else {
        badges.push(badge("warn", "out of sync"));
    }
    if preferred {
        badges.push(badge("muted", "preferred"));
    }
    if !running {
        badges.push(badge("bad", "down"));
    }
    if let Some(r) = replica {
        let believes_leader = r.leading().is_some();
        if believes_leader && !is_leader {
            badges.push(badge(
                "bad",
                format!("still thinks it leads (epoch {})", r.known_epoch()),
            ));
        } else if running && !believes_leader && r.known_epoch() < p.leader_epoch() {
            badges.push(badge(
                "muted",
                format!("knows epoch {} of {}", r.known_epoch(), p.leader_epoch()),
            ));
        }
    }
    let numbers = replica.map_or_else(
        || "no replica".to_string(),
        |r| format!("LEO {} · HW {}", r.log().leo(), r.hw()),
    );
    html! {
        <li class={classes!("replica-row", is_leader.then_some("is-leader"), (!running).then_some("is-down"))} data-replica={broker.0.to_string()}>
            <div class="replica-name">
                if is_leader { <span class="crown" role="img" aria-label="leader" title="leader">{ "♛" }</span> }
                <strong>{ format!("b{}", broker.0) }</strong>
                { badges_html(&badges) }
            </div>
            { replica_bar(p, broker, scale) }
            <div class="replica-numbers small">{ numbers }</div>
        </li>
    }
}

fn partition_view(cluster: &Cluster, topic: &Topic, p: &Partition) -> Html {
    let scale = p
        .replica_states()
        .values()
        .map(|r| r.log().leo().0)
        .max()
        .unwrap_or(0)
        .max(1);
    let min_isr = p.effective_min_isr(topic.settings());
    let mut badges = Vec::new();
    if p.offline() {
        badges.push(badge("bad", "offline"));
    } else if p.isr().len() < min_isr {
        badges.push(badge("bad", format!("ISR below min {min_isr}")));
    } else if p.under_replicated() {
        badges.push(badge("warn", "under-replicated"));
    }
    if !p.offline() && !p.serving() {
        badges.push(badge("warn", "not serving"));
    }
    let leader = p
        .leader()
        .map_or_else(|| "no leader".to_string(), |b| format!("leader b{}", b.0));
    let isr: Vec<String> = p.isr().iter().map(|b| b.0.to_string()).collect();
    html! {
        <section class="replica-partition" data-partition={format!("{}-{}", topic.name(), p.id().0)} aria-label={format!("Partition {}-{}", topic.name(), p.id().0)}>
            <h4>{ format!("{}-{}", topic.name(), p.id().0) }{ " " }{ badges_html(&badges) }</h4>
            <p class="muted small partition-facts">
                { format!("{leader} · leader epoch {} · partition epoch {} · ISR {{{}}} · min ISR {min_isr} · HW {} · last election: {}",
                    p.leader_epoch(), p.partition_epoch(), isr.join(","), p.hw(), p.last_election().name()) }
            </p>
            <ul class="replica-rows">
                { for p.replicas().iter().map(|b| replica_row(cluster, p, *b, scale)) }
            </ul>
        </section>
    }
}

#[component]
pub fn Replicas() -> Html {
    let session = crate::widgets::use_lab();
    with_cluster(&session, |cluster| {
        let metadata_len = cluster.controller().end_offset();
        let on_preferred = {
            let session = session.clone();
            Callback::from(move |_| send(&session, BrokerCommand::ElectPreferredLeaders))
        };
        html! {
            <div class="replicas">
                <p class="muted small">{ "Kafka 4.x with KRaft (strict min-ISR high watermark of 3.7+). One tick is about 100 ms." }</p>
                <ul class="broker-cards" aria-label="Brokers">
                    { for cluster.brokers().iter().map(|b| html! {
                        <BrokerCard key={b.id().0} broker={b.clone()} registration={cluster.controller().registrations().get(&b.id()).cloned()}
                            leads={super::leader_count(cluster, b.id())} metadata_behind={metadata_len.saturating_sub(b.metadata_offset())} />
                    }) }
                </ul>
                <p class="replica-actions">
                    <button type="button" class="small-button elect-preferred" onclick={on_preferred}
                        title="kafka-leader-election --election-type PREFERRED: move leadership back to the first replica where it is in sync">{ "Elect preferred leaders" }</button>
                    <span class="muted small">{ " Bands are leader epochs; the bar after the tick is above the high watermark (not yet committed)." }</span>
                </p>
                { for cluster.topics().values().map(|topic| html! {
                    <div class="replica-topic">
                        <h3 class="replica-topic-name">{ format!("{} · RF {} · min.insync.replicas {} · unclean election {}", topic.name(), topic.settings().replication_factor,
                            topic.settings().min_insync_replicas, if topic.settings().unclean_leader_election { "on" } else { "off" }) }</h3>
                        { for topic.partitions().iter().map(|p| partition_view(cluster, topic, p)) }
                    </div>
                }) }
            </div>
        }
    })
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
    }
}
