//! A producer's transactions (KIP-98): give it a `transactional.id` (`initTransactions()`), then
//! Begin, Commit and Abort; a consume-transform-produce step (copy what a consumer read to a
//! topic inside the transaction, and send the consumer's offsets to it, KIP-447); and "Start a
//! new instance", which adds a producer with the same `transactional.id`, so the coordinator
//! bumps the epoch and fences this one. Shown inside the producer panel.

use super::send;
use crate::widgets::form::{bind, bind_select};
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::group::ConsumerId;
use lab::broker::producer::{ProducerConfig, ProducerId};
use lab::broker::transaction::{ClientTxnState, TRANSACTION_TIMEOUT_TICKS_DEFAULT};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TransactionProps {
    pub producer: ProducerId,
}

/// A button that sends one transaction command for `producer`.
fn command_button(
    session: &crate::store::LabHandle,
    label: &'static str,
    class: &'static str,
    enabled: bool,
    command: BrokerCommand,
) -> Html {
    let session = session.clone();
    html! {
        <button type="button" class={classes!("small-button", class)} disabled={!enabled}
            onclick={Callback::from(move |_: MouseEvent| send(&session, command.clone()))}>{ label }</button>
    }
}

/// What the producer's transactional side says now, in one line: its `transactional.id`, the
/// producer id and epoch it holds, its client state (a chip coloured by how it is doing) and the
/// coordinator's view of the transaction.
fn status_line(cluster: &Cluster, producer: ProducerId) -> Html {
    let Some(txn) = cluster.producer(producer).and_then(|p| p.transaction()) else {
        return html! {};
    };
    let identity = txn
        .pid
        .map(|(pid, epoch)| format!(" · {pid}, epoch {epoch}"))
        .unwrap_or_default();
    let coordinator = cluster
        .coordinator()
        .get(&txn.transactional_id)
        .map(|m| format!(" · coordinator: {} (epoch {})", m.state.name(), m.epoch))
        .unwrap_or_default();
    let tone = match txn.state {
        ClientTxnState::Fatal(_) => "txn-state-bad",
        ClientTxnState::AbortableError(_) => "txn-state-warn",
        ClientTxnState::InTransaction | ClientTxnState::Committing | ClientTxnState::Aborting => {
            "txn-state-open"
        }
        ClientTxnState::Initializing | ClientTxnState::Ready => "txn-state-ready",
    };
    html! {
        <p class="small txn-status">
            <span class="nowrap">{ format!("transactional.id={}", txn.transactional_id) }</span>
            { identity }{ " · " }
            <strong class={classes!("txn-state", tone)}>{ txn.state.describe() }</strong>
            { coordinator }
        </p>
    }
}

#[component]
pub fn TransactionControls(props: &TransactionProps) -> Html {
    let session = crate::widgets::use_lab();
    let transactional_id = use_state(|| "payments-1".to_string());
    let consumer = use_state(String::new);
    let out_topic = use_state(String::new);
    let Some(cluster) = session.view.cluster() else {
        return html! {};
    };
    let producer = props.producer;
    let Some(p) = cluster.producer(producer) else {
        return html! {};
    };
    let Some(txn) = p.transaction() else {
        let on_init = {
            let (session, transactional_id) = (session.clone(), transactional_id.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                send(
                    &session,
                    BrokerCommand::InitTransactions {
                        producer,
                        transactional_id: transactional_id.trim().to_string(),
                        timeout_ticks: TRANSACTION_TIMEOUT_TICKS_DEFAULT,
                    },
                );
            })
        };
        // Folded: most producers of most lessons never become transactional.
        return html! {
            <details class="txn-setup">
                <summary>{ format!("Transactions: give {producer} a transactional.id") }</summary>
                <form class="txn-init" novalidate=true onsubmit={on_init}>
                    <label>{ "transactional.id " }<input class="txn-id-input" type="text" value={(*transactional_id).clone()} oninput={bind(&transactional_id)} /></label>
                    <button type="submit" class="small-button txn-init-button">{ "Init transactions" }</button>
                </form>
            </details>
        };
    };
    let state = txn.state;
    let in_txn = state == ClientTxnState::InTransaction;
    let abortable = in_txn || matches!(state, ClientTxnState::AbortableError(_));
    let new_instance = {
        let session = session.clone();
        let id = txn.transactional_id.clone();
        let next = ProducerId(cluster.producers().keys().last().map_or(1, |p| p.0 + 1));
        Callback::from(move |_: MouseEvent| {
            send(
                &session,
                BrokerCommand::AddProducer {
                    config: ProducerConfig::default(),
                },
            );
            send(
                &session,
                BrokerCommand::InitTransactions {
                    producer: next,
                    transactional_id: id.clone(),
                    timeout_ticks: TRANSACTION_TIMEOUT_TICKS_DEFAULT,
                },
            );
        })
    };
    let consumer_id = consumer
        .parse()
        .ok()
        .or_else(|| cluster.consumers().keys().next().map(|c| c.0))
        .map(ConsumerId);
    let out_name = if cluster.topics().contains_key(&*out_topic) {
        (*out_topic).clone()
    } else {
        cluster.topics().keys().last().cloned().unwrap_or_default()
    };
    html! {
        <div class="txn-controls" role="group" aria-label={format!("Transactions of {producer}")}>
            <p class="txn-title"><strong>{ format!("Transactions of {producer}") }</strong></p>
            { status_line(cluster, producer) }
            <div class="txn-buttons">
                { command_button(&session, "Begin", "txn-begin", state == ClientTxnState::Ready, BrokerCommand::BeginTransaction { producer }) }
                { command_button(&session, "Commit", "txn-commit", in_txn, BrokerCommand::CommitTransaction { producer }) }
                { command_button(&session, "Abort", "txn-abort", abortable, BrokerCommand::AbortTransaction { producer }) }
                if cluster.producers().len() < lab::broker::cluster::PRODUCERS_MAX {
                    <button type="button" class="small-button ghost txn-new-instance" onclick={new_instance}
                        title="Add a producer with the same transactional.id: its initTransactions() bumps the epoch and fences this one">{ "Start a new instance" }</button>
                }
            </div>
            if in_txn && consumer_id.is_some() {
                <div class="txn-processor">
                    <span class="small txn-processor-help">{ "Consume-transform-produce: copy what a consumer read into a topic, and commit its offsets with the transaction (KIP-447)." }</span>
                    <label>{ "consumer " }
                        <select class="txn-consumer-select" onchange={bind_select(&consumer)}>
                            { for cluster.consumers().keys().map(|c| html! { <option value={c.0.to_string()} selected={Some(*c) == consumer_id}>{ c.to_string() }</option> }) }
                        </select>
                    </label>
                    <label>{ "to " }
                        <select class="txn-topic-select" onchange={bind_select(&out_topic)}>
                            { for cluster.topics().keys().map(|t| html! { <option value={t.clone()} selected={*t == out_name}>{ t }</option> }) }
                        </select>
                    </label>
                    if let Some(c) = consumer_id {
                        { command_button(&session, "Process", "txn-process", true, BrokerCommand::ProcessInTransaction { producer, consumer: c, topic: out_name.clone() }) }
                        { command_button(&session, "Send offsets", "txn-send-offsets", true, BrokerCommand::SendOffsetsToTransaction { producer, consumer: c }) }
                    }
                </div>
            }
        </div>
    }
}
