//! The cluster overview, as Confluent Control Center's cluster page shows it: tiles for the
//! cluster-wide health gauges, a table of every broker's traffic and partitions, and each consumer
//! group's lag in records and in seconds. Every number comes from [`lab::broker::metrics`] at the
//! tick on screen, so it plays and scrubs like every other widget, and every tile names the JMX
//! metric it mirrors, so what a learner sees here is what they would graph in production.

use super::{send, with_cluster};
use crate::store::LabHandle;
use lab::broker::cluster::BrokerCommand;
use lab::broker::group::ConsumerConfig;
use lab::broker::log::ticks_to_ms;
use lab::broker::metrics::{
    cluster_metrics, group_lags, BrokerMetrics, BrokerStatus, ClusterMetrics, GroupLag,
};
use lab::broker::producer::ProducerId;
use lab::sim::text::group_thousands;
use yew::prelude::*;

/// Records per tick the "Start traffic" button sends (50 records a second).
const TRAFFIC_RECORDS_PER_TICK: u16 = 5;
/// The group the "Start traffic" button starts.
const TRAFFIC_GROUP: &str = "dashboard";

/// One health tile: its value, what it is called, the metric it mirrors and what it means.
struct Tile {
    id: &'static str,
    value: String,
    label: &'static str,
    jmx: &'static str,
    meaning: &'static str,
    /// Whether the value calls for attention (drawn in the alert style, and said in words).
    alert: bool,
}

fn tiles(m: &ClusterMetrics) -> Vec<Tile> {
    let n = |v: u32| group_thousands(u64::from(v));
    vec![
        Tile {
            id: "under-replicated",
            value: n(m.under_replicated),
            label: "Under-replicated partitions",
            jmx: "kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions (Σ brokers)",
            meaning: "Led partitions whose ISR is smaller than their replicas; only the leader counts one.",
            alert: m.under_replicated > 0,
        },
        Tile {
            id: "under-min-isr",
            value: n(m.under_min_isr),
            label: "Under min ISR",
            jmx: "kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount (Σ brokers)",
            meaning: "ISR below min.insync.replicas: acks=all writes are refused.",
            alert: m.under_min_isr > 0,
        },
        Tile {
            id: "at-min-isr",
            value: n(m.at_min_isr),
            label: "At min ISR",
            jmx: "kafka.server:type=ReplicaManager,name=AtMinIsrPartitionCount (Σ brokers)",
            meaning: "ISR exactly at the minimum: one more failure stops acks=all writes.",
            alert: m.at_min_isr > 0,
        },
        Tile {
            id: "offline",
            value: n(m.offline),
            label: "Offline partitions",
            jmx: "kafka.controller:type=KafkaController,name=OfflinePartitionsCount",
            meaning: "No leader: nobody can write or read them. Not counted as under-replicated.",
            alert: m.offline > 0,
        },
        Tile {
            id: "active-controller",
            value: m
                .active_controller
                .map_or_else(|| "none".to_string(), |c| format!("C{}", c.0)),
            label: "Active controller",
            jmx: "kafka.controller:type=KafkaController,name=ActiveControllerCount (Σ quorum)",
            meaning: "Summed over the quorum it must be exactly 1; 0 means no metadata changes.",
            alert: m.active_controller_count() != 1,
        },
        Tile {
            id: "active-brokers",
            value: n(m.active_brokers),
            label: "Active brokers",
            jmx: "kafka.controller:type=KafkaController,name=ActiveBrokerCount",
            meaning: "Registered with the controller and not fenced.",
            alert: false,
        },
        Tile {
            id: "fenced-brokers",
            value: n(m.fenced_brokers),
            label: "Fenced brokers",
            jmx: "kafka.controller:type=KafkaController,name=FencedBrokerCount",
            meaning: "Missed heartbeats for the session timeout: may lead nothing, in no ISR.",
            alert: m.fenced_brokers > 0,
        },
        Tile {
            id: "out-of-sync",
            value: n(m.out_of_sync_replicas),
            label: "Out-of-sync replicas",
            jmx: "Control Center's out-of-sync followers: Σ (replicas − ISR)",
            meaning: "Replicas that would not count towards acks=all right now.",
            alert: m.out_of_sync_replicas > 0,
        },
        Tile {
            id: "isr-shrinks",
            value: format!(
                "{} / {}",
                m.isr_shrinks_per_second, m.isr_expands_per_second
            ),
            label: "ISR shrinks / expands per second",
            jmx: "kafka.server:type=ReplicaManager,name=IsrShrinksPerSec, IsrExpandsPerSec",
            meaning: "Leaders taking followers out of the ISR and back; flapping means trouble.",
            alert: m.isr_shrinks_per_second > 0,
        },
        Tile {
            id: "unclean-elections",
            value: group_thousands(m.unclean_elections),
            label: "Unclean elections so far",
            jmx: "kafka.controller:type=ControllerStats,name=UncleanLeaderElectionsPerSec",
            meaning: "Leaders elected from outside the ISR: acknowledged writes may be gone.",
            alert: m.unclean_elections > 0,
        },
    ]
}

fn tile_html(t: &Tile) -> Html {
    html! {
        <li class={if t.alert { "overview-tile tile-alert" } else { "overview-tile" }} data-tile={t.id}>
            <span class="tile-label">{ t.label }</span>
            <span class="tile-value">{ t.value.clone() }
                if t.alert { <span class="tile-flag">{ " needs attention" }</span> }
            </span>
            <span class="tile-meaning">{ t.meaning }</span>
            <code class="tile-jmx">{ t.jmx }</code>
        </li>
    }
}

/// Bytes per second with thousands separators.
fn bytes_per_second(n: u64) -> String {
    format!("{} B/s", group_thousands(n))
}

/// The broker table's columns: heading, JMX name, and the cell of one reporting broker.
type Column = (&'static str, &'static str, fn(&BrokerMetrics) -> String);

const COLUMNS: &[Column] = &[
    ("Bytes in", "BytesInPerSec", |b| {
        bytes_per_second(b.per_second.bytes_in)
    }),
    ("Bytes out", "BytesOutPerSec", |b| {
        bytes_per_second(b.per_second.bytes_out)
    }),
    ("Replication in", "ReplicationBytesInPerSec", |b| {
        bytes_per_second(b.per_second.replication_bytes_in)
    }),
    ("Replication out", "ReplicationBytesOutPerSec", |b| {
        bytes_per_second(b.per_second.replication_bytes_out)
    }),
    ("Messages in", "MessagesInPerSec", |b| {
        format!("{}/s", group_thousands(b.per_second.messages_in))
    }),
    ("Leaders", "LeaderCount", |b| b.leaders.to_string()),
    ("Partitions", "PartitionCount", |b| b.partitions.to_string()),
    ("Under-replicated", "UnderReplicatedPartitions", |b| {
        b.under_replicated.to_string()
    }),
];

fn status_text(status: BrokerStatus) -> &'static str {
    match status {
        BrokerStatus::Active => "active",
        BrokerStatus::Fenced => "fenced by the controller",
        BrokerStatus::Crashed => "crashed: no metrics",
        BrokerStatus::Stopped => "stopped: no metrics",
    }
}

fn broker_row(session: &LabHandle, b: &BrokerMetrics) -> Html {
    let id = b.broker;
    let fault = if b.reporting() {
        (
            "Kill",
            format!("Kill broker {}", id.0),
            BrokerCommand::KillBroker { broker: id },
        )
    } else {
        (
            "Restart",
            format!("Restart broker {}", id.0),
            BrokerCommand::RestartBroker { broker: id },
        )
    };
    let (label, accessible, command) = fault;
    let onclick = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| send(&session, command.clone()))
    };
    html! {
        <tr class={classes!("overview-broker", format!("status-{}", b.status.label()))} data-broker={id.0.to_string()}>
            <th scope="row">{ format!("Broker {}", id.0) }</th>
            <td data-label="Status" class="broker-status">{ status_text(b.status) }</td>
            { for COLUMNS.iter().map(|(heading, _, cell)| html! {
                <td data-label={*heading} class="num">{ if b.reporting() { cell(b) } else { "—".to_string() } }</td>
            }) }
            <td data-label="Fault">
                <button type="button" class={classes!("small-button", if b.reporting() { "overview-kill" } else { "overview-restart" })}
                    aria-label={accessible} onclick={onclick}>{ label }</button>
            </td>
        </tr>
    }
}

fn broker_table(session: &LabHandle, m: &ClusterMetrics) -> Html {
    html! {
        <div class="overview-table-wrap" role="region" aria-label="Brokers" tabindex="0">
            <table class="overview-brokers">
                <caption>{ "Per broker, rates over the last second (10 ticks); a broker whose process is down reports nothing." }</caption>
                <thead><tr>
                    <th scope="col">{ "Broker" }</th>
                    <th scope="col">{ "Status" }</th>
                    { for COLUMNS.iter().map(|(heading, jmx, _)| html! {
                        <th scope="col" class="num">{ *heading }<code class="col-jmx">{ *jmx }</code></th>
                    }) }
                    <th scope="col">{ "Fault" }</th>
                </tr></thead>
                <tbody>{ for m.brokers.iter().map(|b| broker_row(session, b)) }</tbody>
            </table>
        </div>
    }
}

/// Lag in seconds with one decimal (a tick is 100 ms).
fn seconds(ticks: u64) -> String {
    format!("{:.1} s", ticks_to_ms(ticks) as f64 / 1000.0)
}

fn lag_table(lags: &[GroupLag]) -> Html {
    html! {
        <div class="overview-lag">
            <p class="muted small">{ "Kafka has no consumer-lag metric on the broker: clients report records-lag, and tools compute the log end minus the committed offset. \
                No Kafka metric gives lag in seconds either; tools estimate it from rates. Here it is exact: now minus the append time of the first record the group has not committed." }</p>
            if lags.is_empty() {
                <p class="muted">{ "No consumer group yet." }</p>
            }
            { for lags.iter().map(|g| html! {
                <div class="overview-table-wrap" role="region" aria-label={format!("Lag of group {}", g.group)} tabindex="0">
                    <table class="overview-group" data-group={g.group.clone()}>
                        <caption>{ format!("Group {}: {} records behind, oldest uncommitted record {} old", g.group, group_thousands(g.total_records()), seconds(g.max_ticks())) }</caption>
                        <thead><tr>
                            <th scope="col">{ "Partition" }</th>
                            <th scope="col" class="num">{ "Lag (records)" }<code class="col-jmx">{ "records-lag" }</code></th>
                            <th scope="col" class="num">{ "Lag (seconds)" }<code class="col-jmx">{ "no Kafka metric" }</code></th>
                        </tr></thead>
                        <tbody>{ for g.partitions.iter().map(|p| html! {
                            <tr>
                                <th scope="row">{ p.tp.to_string() }</th>
                                <td data-label="Lag (records)" class="num lag-records">{ group_thousands(p.records) }</td>
                                <td data-label="Lag (seconds)" class="num lag-seconds">{ seconds(p.ticks) }</td>
                            </tr>
                        }) }</tbody>
                    </table>
                </div>
            }) }
        </div>
    }
}

/// Starts a steady producer on the first topic and a consumer group reading it, so the rates
/// and the lag have something to show.
fn start_traffic(session: &LabHandle, topic: String) {
    send(
        session,
        BrokerCommand::SetProducerRate {
            producer: ProducerId(1),
            topic: topic.clone(),
            key: Some("key-{n}".into()),
            value: Some("v{n}".into()),
            records_per_tick: TRAFFIC_RECORDS_PER_TICK,
        },
    );
    send(
        session,
        BrokerCommand::AddConsumer {
            group: TRAFFIC_GROUP.into(),
            topics: vec![topic],
            instance_id: None,
            config: ConsumerConfig::default(),
        },
    );
}

#[component]
pub fn Overview() -> Html {
    let session = crate::widgets::use_lab();
    let now = session.view.now();
    with_cluster(&session, |cluster| {
        let metrics = cluster_metrics(cluster, now);
        let lags = group_lags(cluster, now);
        let idle = cluster.rates().is_empty() && cluster.groups().is_empty();
        let first_topic = cluster.topics().keys().next().cloned();
        let can_start = idle && first_topic.is_some() && cluster.producer(ProducerId(1)).is_some();
        let on_start = {
            let session = session.clone();
            Callback::from(move |_: MouseEvent| {
                if let Some(topic) = first_topic.clone() {
                    start_traffic(&session, topic);
                }
            })
        };
        html! {
            <div class="overview">
                if can_start {
                    <p class="overview-start">
                        <button type="button" class="primary overview-start-traffic" onclick={on_start}>{ "Start traffic" }</button>
                        { format!(" A producer sends {} records a second and group {TRAFFIC_GROUP} reads them. Then press Play.", u64::from(TRAFFIC_RECORDS_PER_TICK) * 10) }
                    </p>
                }
                <h3 class="overview-heading">{ "Cluster health" }</h3>
                <ul class="overview-tiles">{ for tiles(&metrics).iter().map(tile_html) }</ul>
                <h3 class="overview-heading">{ "Brokers" }</h3>
                { broker_table(&session, &metrics) }
                <h3 class="overview-heading">{ "Consumer lag" }</h3>
                { lag_table(&lags) }
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::broker::controller::ControllerId;

    fn healthy() -> ClusterMetrics {
        ClusterMetrics {
            brokers: Vec::new(),
            under_replicated: 0,
            under_min_isr: 0,
            at_min_isr: 0,
            offline: 0,
            active_controller: Some(ControllerId(1)),
            active_brokers: 3,
            fenced_brokers: 0,
            isr_shrinks_per_second: 0,
            isr_expands_per_second: 0,
            unclean_elections: 0,
            out_of_sync_replicas: 0,
        }
    }

    #[test]
    fn a_healthy_cluster_raises_no_tile() {
        assert!(tiles(&healthy()).iter().all(|t| !t.alert));
    }

    #[test]
    fn no_active_controller_and_a_fenced_broker_raise_their_tiles() {
        let m = ClusterMetrics {
            active_controller: None,
            fenced_brokers: 1,
            ..healthy()
        };
        let raised: Vec<&str> = tiles(&m).iter().filter(|t| t.alert).map(|t| t.id).collect();
        assert_eq!(raised, ["active-controller", "fenced-brokers"]);
    }

    #[test]
    fn every_tile_names_a_metric_and_a_meaning() {
        for t in tiles(&healthy()) {
            assert!(!t.jmx.is_empty() && t.meaning.ends_with('.'), "{}", t.id);
        }
    }
}
