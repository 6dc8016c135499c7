//! The producer panel: send records (key, value, count, partition) and configure the producer
//! (acks, partitioner, linger, batch size, idempotence, in-flight requests, retries, network
//! faults); the produce errors the producer got, by Kafka error code: those brokers answered and
//! those its own network client raised (NETWORK_EXCEPTION, a client-side REQUEST_TIMED_OUT);
//! and its transactions ([`super::transaction_panel`]): a transactional producer's box comes
//! first, and with several producers a button per transactional one shows its box.
//!
//! An empty value field sends a zero-length value, an ordinary record that compaction keeps; a
//! tombstone is a null value, sent with the "null value" box ticked (Kafka's
//! LogCleaner.shouldRetainRecord tells the two apart).

use super::{parse_number, send, with_cluster};
use crate::widgets::fields::{check_field, choice_field, number_field, text_field, topic_field};
use crate::widgets::form::{bind, bind_select};
use lab::broker::cluster::{BrokerCommand, PRODUCE_COUNT_MAX};
use lab::broker::compression::Codec;
use lab::broker::producer::{Acks, NullKeyPartitioner, ProducerConfig, ProducerId};
use lab::broker::PartitionId;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
struct SettingsProps {
    producer: ProducerId,
    config: ProducerConfig,
}

/// The settings form of one producer.
#[component]
fn ProducerSettings(props: &SettingsProps) -> Html {
    let session = crate::widgets::use_lab();
    let c = props.config;
    let rr = use_state(|| c.null_key_partitioner == NullKeyPartitioner::RoundRobin);
    let linger = use_state(|| c.linger_ticks.to_string());
    let batch = use_state(|| c.batch_size_bytes.to_string());
    let idempotence = use_state(|| c.idempotence);
    let in_flight = use_state(|| c.max_in_flight.to_string());
    let retries = use_state(|| c.retries.to_string());
    let faults = use_state(|| (c.network_fault_permille / 10).to_string());
    let codec = use_state(|| c.compression.name().to_string());
    let acks = use_state(|| c.acks.name().to_string());
    let error = use_state(|| None::<String>);
    let on_apply = {
        let (session, error) = (session.clone(), error.clone());
        let (rr, linger, batch, idempotence, in_flight, retries, faults) = (
            rr.clone(),
            linger.clone(),
            batch.clone(),
            idempotence.clone(),
            in_flight.clone(),
            retries.clone(),
            faults.clone(),
        );
        let codec = codec.clone();
        let acks = acks.clone();
        let producer = props.producer;
        let current = props.config;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = (|| -> Result<ProducerConfig, String> {
                Ok(ProducerConfig {
                    null_key_partitioner: if *rr {
                        NullKeyPartitioner::RoundRobin
                    } else {
                        NullKeyPartitioner::Sticky
                    },
                    linger_ticks: parse_number(&linger, "linger", 0, 1000)?,
                    batch_size_bytes: parse_number(&batch, "batch.size", 1, 1 << 20)?,
                    idempotence: *idempotence,
                    max_in_flight: parse_number(
                        &in_flight,
                        "max in flight",
                        1,
                        if *idempotence { 5 } else { 10 },
                    )? as u8,
                    retries: parse_number(&retries, "retries", 0, 100)? as u32,
                    network_fault_permille: parse_number(&faults, "network faults", 0, 100)? as u16
                        * 10,
                    compression: Codec::from_name(&codec).unwrap_or(Codec::None),
                    acks: Acks::ALL
                        .into_iter()
                        .find(|a| a.name() == *acks)
                        .unwrap_or(Acks::All),
                    ..current
                })
            })();
            match parsed {
                Ok(config) => {
                    error.set(None);
                    send(
                        &session,
                        BrokerCommand::SetProducerConfig { producer, config },
                    );
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    html! {
        <form class="settings-form" novalidate=true onsubmit={on_apply}>
            <label>{ "Null keys " }
                <select onchange={{ let rr = rr.clone(); Callback::from(move |e: Event| rr.set(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value() == "rr")) }}>
                    <option value="sticky" selected={!*rr}>{ "sticky (KIP-794)" }</option>
                    <option value="rr" selected={*rr}>{ "round-robin" }</option>
                </select>
            </label>
            { choice_field("acks ", "acks-select", &acks, &Acks::ALL.map(|a| (a.name(), a.name()))) }
            { choice_field("compression ", "codec-select", &codec, &Codec::ALL.map(|k| (k.name(), k.name()))) }
            { number_field("linger (ticks) ", "num-input", (Some("0"), None), None, &linger) }
            { number_field("batch.size (B) ", "num-input", (Some("1"), None), None, &batch) }
            { check_field(" idempotence", "", &idempotence) }
            { number_field("max in flight ", "num-input", (Some("1"), None), None, &in_flight) }
            { number_field("retries ", "num-input", (Some("0"), None), None, &retries) }
            { number_field("network faults % ", "num-input fault-input", (Some("0"), Some("100".into())), None, &faults) }
            <button type="submit">{ "Apply settings" }</button>
            <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
        </form>
    }
}

/// The value a record is sent with: `None` (a tombstone) when the null box is ticked, otherwise
/// the field's text, so an empty field is a zero-length value.
/// With several producers, one button per transactional producer (its state on it) that shows
/// its transactions box: a lesson's processor instances are found without the producer select.
fn transactional_picker(
    cluster: &lab::broker::cluster::Cluster,
    selected: &UseStateHandle<String>,
    shown: ProducerId,
) -> Html {
    let transactional: Vec<_> = cluster
        .producers()
        .values()
        .filter_map(|p| p.transaction().map(|t| (p.id(), t.state.describe())))
        .collect();
    if cluster.producers().len() < 2 || transactional.is_empty() {
        return html! {};
    }
    html! {
        <p class="txn-picker small">
            <span class="muted">{ "Transactional producers: " }</span>
            { for transactional.into_iter().map(|(id, state)| {
                let selected = selected.clone();
                html! {
                    <button type="button" class="small-button txn-pick" aria-pressed={(id == shown).to_string()}
                        onclick={Callback::from(move |_: MouseEvent| selected.set(id.0.to_string()))}>{ format!("{id}: {state}") }</button>
                }
            }) }
        </p>
    }
}

fn record_value(text: &str, null: bool) -> Option<String> {
    (!null).then(|| text.to_string())
}

#[component]
pub fn ProducerPanel() -> Html {
    let session = crate::widgets::use_lab();
    let topic = use_state(String::new);
    let key = use_state(|| "user-{n}".to_string());
    let value = use_state(|| "order {n}".to_string());
    let null_value = use_state(|| false);
    let count = use_state(|| "1".to_string());
    let partition = use_state(|| "auto".to_string());
    let header = use_state(String::new);
    let rate = use_state(|| "5".to_string());
    let producer = use_state(|| "1".to_string());
    let error = use_state(|| None::<String>);
    with_cluster(&session, |cluster| {
        let topic_name = if cluster.topics().contains_key(&*topic) {
            (*topic).clone()
        } else {
            cluster.topics().keys().next().cloned().unwrap_or_default()
        };
        let partitions = cluster
            .topics()
            .get(&topic_name)
            .map_or(0, |t| t.partitions().len() as u32);
        let producer_id = ProducerId(producer.parse().unwrap_or(1));
        let on_send = {
            let (session, error, key, value, count, partition) = (
                session.clone(),
                error.clone(),
                key.clone(),
                value.clone(),
                count.clone(),
                partition.clone(),
            );
            let (header, null_value) = (header.clone(), null_value.clone());
            let topic_name = topic_name.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let parsed_header = match header.trim() {
                    "" => Ok(None),
                    h => h
                        .split_once(':')
                        .filter(|(n, _)| !n.trim().is_empty())
                        .map(|(n, v)| Some((n.trim().to_string(), v.trim().to_string())))
                        .ok_or_else(|| "write a header as name:value".to_string()),
                };
                let parsed = parse_number(&count, "count", 1, u64::from(PRODUCE_COUNT_MAX))
                    .and_then(|n| parsed_header.map(|h| (n, h)));
                match parsed {
                    Ok((n, header)) => {
                        error.set(None);
                        let partition = partition.parse::<u32>().ok().map(PartitionId);
                        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
                        send(
                            &session,
                            BrokerCommand::Produce {
                                producer: producer_id,
                                topic: topic_name.clone(),
                                partition,
                                key: text(&key),
                                value: record_value(&value, *null_value),
                                count: n as u16,
                                header,
                            },
                        );
                    }
                    Err(why) => error.set(Some(why)),
                }
            })
        };
        let on_rate = {
            let (session, error, key, value, rate) = (
                session.clone(),
                error.clone(),
                key.clone(),
                value.clone(),
                rate.clone(),
            );
            let null_value = null_value.clone();
            let topic_name = topic_name.clone();
            let running = cluster.rates().contains_key(&producer_id);
            Callback::from(move |_: MouseEvent| {
                let per_tick = if running {
                    Ok(0)
                } else {
                    parse_number(&rate, "rate", 1, u64::from(PRODUCE_COUNT_MAX))
                };
                match per_tick {
                    Ok(n) => {
                        error.set(None);
                        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
                        send(
                            &session,
                            BrokerCommand::SetProducerRate {
                                producer: producer_id,
                                topic: topic_name.clone(),
                                key: text(&key),
                                value: record_value(&value, *null_value),
                                records_per_tick: n as u16,
                            },
                        );
                    }
                    Err(why) => error.set(Some(why)),
                }
            })
        };
        let steady = cluster
            .rates()
            .get(&producer_id)
            .map(|r| format!("{} record(s) per tick to {}", r.records_per_tick, r.topic));
        let on_add = {
            let session = session.clone();
            Callback::from(move |_: MouseEvent| {
                send(
                    &session,
                    BrokerCommand::AddProducer {
                        config: ProducerConfig::default(),
                    },
                )
            })
        };
        let current = cluster.producers().get(&producer_id);
        // A transactional producer's Begin, Commit and Abort come first: they are what its
        // lessons are about. Before initTransactions() its form waits below the send form.
        let transactional = current.filter(|p| p.transaction().is_some());
        html! {
            <div class="producer-panel">
                { transactional_picker(cluster, &producer, producer_id) }
                if let Some(p) = transactional {
                    <super::transaction_panel::TransactionControls producer={p.id()} />
                }
                <form class="send-form" novalidate=true onsubmit={on_send}>
                    if cluster.producers().len() > 1 {
                        <label>{ "producer " }
                            <select onchange={bind_select(&producer)}>
                                { for cluster.producers().keys().map(|p| html! { <option value={p.0.to_string()} selected={*p == producer_id}>{ p.to_string() }</option> }) }
                            </select>
                        </label>
                    }
                    { topic_field("topic-select", &topic, cluster.topics(), &topic_name) }
                    { text_field("key ", "key-input", Some("empty = null key"), &key) }
                    <label>{ "value " }<input class="value-input" type="text" placeholder="empty = zero-length value" value={(*value).clone()} oninput={bind(&value)} disabled={*null_value} /></label>
                    { check_field(" null value (tombstone)", "null-value-input", &null_value) }
                    { number_field("count ", "count-input send-count", (Some("1"), None), None, &count) }
                    <label>{ "partition " }
                        <select class="partition-select" onchange={bind_select(&partition)}>
                            <option value="auto" selected={*partition == "auto"}>{ "auto (partitioner)" }</option>
                            { for (0..partitions).map(|p| html! { <option value={p.to_string()} selected={*partition == p.to_string()}>{ p }</option> }) }
                        </select>
                    </label>
                    { text_field("header ", "header-input", Some("name:value (optional)"), &header) }
                    <button type="submit" class="primary send-button">{ "Send" }</button>
                    <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                </form>
                <p class="muted small send-help">{ "{n} becomes 1, 2, 3… per record · empty key: a null key · empty value: a zero-length value, which compaction keeps · a tombstone is a null value: tick null value" }</p>
                <details class="steady-send" open={steady.is_some()}>
                    <summary>{ "Send steadily" }</summary>
                    <p class="rate-row">
                        <label>{ "steady rate " }<input class="num-input rate-input" type="number" min="1" value={(*rate).clone()} oninput={bind(&rate)} disabled={steady.is_some()} /></label>
                        { " records per tick " }
                        <button class="rate-button" onclick={on_rate}>{ if steady.is_some() { "Stop sending" } else { "Send steadily" } }</button>
                        { steady.map(|s| html! { <span class="small muted">{ format!(" now: {s}") }</span> }).unwrap_or_default() }
                    </p>
                </details>
                if let Some(p) = current {
                    <p class="small producer-summary">{ format!("{} (acks={}): {} sent · {} acknowledged · {} failed · {} unknown (may be written) · {} batch retries · {} waiting", p.id(), p.config().acks.name(), p.sent_records(), p.acked_records(), p.failed_records() - p.unknown_records(), p.unknown_records(), p.retried_batches(), p.pending_records()) }</p>
                    if !cluster.produce_errors().is_empty() {
                        <p class="small produce-errors">{ "Errors the producer got: " }{ cluster.produce_errors().iter().map(|(code, n)| format!("{code} ×{n}")).collect::<Vec<_>>().join(" · ") }</p>
                    }
                    if transactional.is_none() {
                        <super::transaction_panel::TransactionControls producer={p.id()} />
                    }
                    <details class="producer-settings">
                        <summary>{ format!("{} settings", p.id()) }</summary>
                        <ProducerSettings key={format!("{}-{:?}", p.id().0, p.config())} producer={p.id()} config={*p.config()} />
                    </details>
                }
                <button class="ghost" onclick={on_add}>{ "+ Add a producer" }</button>
            </div>
        }
    })
}
