//! The consumer-group panel: per group its assignor, state, generation and leader; per member its
//! status, partitions, positions and actions (crash, restart, close, commit); per partition the
//! committed offset as a marker on the partition's offset track with the lag up to the high
//! watermark shaded ([`super::lag_track`]), and the numbers; and a form to add consumers (group,
//! topic, static id, commit policy, offset reset, poll interval, processing time, group.protocol,
//! max.poll.interval.ms, isolation.level). A KIP-848 group shows its group and target epochs and each member's
//! epoch and reconciliation state; every group shows what liveness and rebalancing cost it so far,
//! and with two groups or more a table puts those costs side by side. In a narrow panel each
//! member is a card of labelled lines (`.stack-table` in cluster.css).

use super::lag_track::{offset_track, GroupCommit, LogBounds};
use super::{parse_number, send, with_cluster};
use crate::widgets::fields::{choice_field, number_field, text_field, topic_field};
use crate::widgets::markup::header_row;
use lab::broker::assignor::Strategy;
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::group::{
    CommitPolicy, Consumer, ConsumerConfig, ConsumerGroup, ConsumerStatus, GroupProtocol,
    GroupState, OffsetReset, KAFKA_SESSION_TIMEOUT_MS, LAB_SESSION_TIMEOUT_TICKS,
    MAX_POLL_INTERVAL_TICKS_DEFAULT,
};
use lab::broker::log::{IsolationLevel, MS_PER_TICK};
use yew::prelude::*;

/// `--reset-offsets --to-earliest|--to-latest`, allowed on an inactive group only.
fn reset_buttons(session: &crate::store::LabHandle, group: &ConsumerGroup, active: bool) -> Html {
    let button = |label: &'static str, to_earliest: bool| {
        let (session, name) = (session.clone(), group.name().to_string());
        html! {
            <button class="small-button reset-offsets" disabled={active} title={if active { "Only a group with no running member can be reset" } else { "Move every committed offset" }}
                onclick={Callback::from(move |_| send(&session, BrokerCommand::ResetGroupOffsets { group: name.to_string(), to_earliest }))}>{ label }</button>
        }
    };
    html! { <p class="small">{ "Reset offsets: " }{ button("to earliest", true) }{ " " }{ button("to latest", false) }</p> }
}

/// The group's header line: classic generation and leader, or KIP-848 epochs.
fn group_summary(group: &ConsumerGroup, state: &str) -> String {
    match group.protocol() {
        GroupProtocol::Classic => format!(
            " · classic · {state} · generation {} · leader {} · {} rebalance(s)",
            group.generation(),
            group.leader().unwrap_or("none"),
            group.rebalances()
        ),
        GroupProtocol::Consumer => {
            let c = group.coordinator();
            format!(
                " · group.protocol=consumer (KIP-848) · group epoch {} · target epoch {} · {} target assignment(s)",
                c.group_epoch, c.target_epoch, c.targets_computed
            )
        }
    }
}

/// What liveness and rebalancing cost the group so far: `(words, number, title, warn)` per
/// figure, in the order the line shows them.
fn liveness_line(group: &ConsumerGroup) -> Html {
    let l = group.liveness();
    let figures: [(&str, u64, Option<&'static str>, bool); 7] = [
        ("rounds", group.rebalance_rounds().into(), None, false),
        (
            "stopped member-ticks",
            l.paused_member_ticks,
            Some("Member-ticks a running member waited in an eager rebalance with nothing to read"),
            false,
        ),
        (
            "unowned partition-ticks",
            l.unowned_partition_ticks,
            Some("Partition-ticks no running member owned"),
            false,
        ),
        (
            "requests",
            l.requests,
            Some("Heartbeats, JoinGroups and SyncGroups"),
            false,
        ),
        (
            "poll timeouts",
            l.poll_timeouts.into(),
            None,
            l.poll_timeouts > 0,
        ),
        (
            "failed commits",
            l.commit_failures.into(),
            None,
            l.commit_failures > 0,
        ),
        ("static rejoins", l.static_rejoins.into(), None, false),
    ];
    html! {
        <p class="small group-liveness" data-liveness={group.name().to_string()}>
            { for figures.iter().enumerate().map(|(i, &(words, n, title, warn))| html! {
                <>
                    if i > 0 { { " · " } }
                    <span class={if warn { "nowrap warn" } else { "nowrap" }} title={title}>{ format!("{words} {n}") }</span>
                </>
            }) }
        </p>
    }
}

/// With two groups or more, what liveness and rebalancing cost each one, side by side: the numbers
/// of each group's liveness line that tell the protocols apart, so they compare at a glance.
fn comparison(cluster: &Cluster) -> Html {
    if cluster.groups().len() < 2 {
        return html! {};
    }
    let protocol = |g: &ConsumerGroup| match g.protocol() {
        GroupProtocol::Consumer => "KIP-848",
        GroupProtocol::Classic if g.strategy().is_cooperative() => "cooperative",
        GroupProtocol::Classic => "eager",
    };
    html! {
        <>
        <table class="group-compare">
            <caption>{ "The groups side by side" }</caption>
            { header_row(&[
                ("group", "", None),
                ("rounds", "num", None),
                ("stopped", "num", Some("Member-ticks a running member waited in an eager rebalance with nothing to read")),
                ("unowned", "num", Some("Partition-ticks a moving partition spent with no owner")),
                ("requests", "num", Some("Heartbeats, JoinGroups and SyncGroups")),
            ]) }
            <tbody>
                { for cluster.groups().values().map(|g| html! {
                    <tr data-compare={g.name().to_string()}>
                        <th scope="row">{ g.name().to_string() }<span class="compare-protocol">{ protocol(g) }</span></th><td class="num">{ g.rebalance_rounds() }</td>
                        <td class={if g.liveness().paused_member_ticks > 0 { "num warn" } else { "num" }}>{ g.liveness().paused_member_ticks }</td>
                        <td class="num">{ g.liveness().unowned_partition_ticks }</td>
                        <td class="num">{ g.liveness().requests }</td>
                    </tr>
                }) }
            </tbody>
        </table>
        <p class="compare-legend">{ "stopped: member-ticks a running member had nothing to read (eager rounds). unowned: partition-ticks a moving partition had no owner. requests: heartbeats, JoinGroups and SyncGroups." }</p>
        </>
    }
}

/// A member's status: running, processing, out on a poll timeout, crashed or closed; for KIP-848
/// its member epoch and reconciliation state at the coordinator.
/// A member's status line; with `transactions` in the cluster it also names the member's
/// isolation level and how many records it got, which is where the two levels differ.
/// One line each (so a phone's narrow column wraps between them): what it does, its KIP-848
/// epoch and state, its failed commits.
fn member_status(group: &ConsumerGroup, c: &Consumer, transactions: bool) -> Html {
    let base = match c.status() {
        ConsumerStatus::Running if c.poll_timed_out() => "left (poll timeout)".to_string(),
        ConsumerStatus::Running if !c.in_process().is_empty() => {
            format!("processing {}", c.records_in_process())
        }
        ConsumerStatus::Running => "running".into(),
        ConsumerStatus::Crashed { since } => format!("crashed at {since}"),
        ConsumerStatus::Closed => "closed".into(),
    };
    let failed = match c.commit_failures() {
        0 => String::new(),
        n => format!("{n} CommitFailedException"),
    };
    let modern = (group.protocol() == GroupProtocol::Consumer)
        .then(|| group.coordinator().members.get(c.member_id()))
        .flatten()
        .map(|m| {
            format!(
                "epoch {} · {}",
                m.reconciliation.epoch, m.reconciliation.state
            )
        })
        .unwrap_or_default();
    let isolation = match (c.config().isolation, transactions) {
        (level, true) => format!(" · {} · got {}", level.name(), c.deliveries_total()),
        (IsolationLevel::ReadCommitted, false) => " · read_committed".to_string(),
        (IsolationLevel::ReadUncommitted, false) => String::new(),
    };
    html! {
        <>
            { format!("{base}{isolation}") }
            if !modern.is_empty() { <div class="small member-epoch">{ modern }</div> }
            if !failed.is_empty() { <div class="small warn commit-failed">{ failed }</div> }
        </>
    }
}

fn group_view(session: &crate::store::LabHandle, cluster: &Cluster, group: &ConsumerGroup) -> Html {
    let state = match &group.state() {
        GroupState::Empty => "Empty".to_string(),
        GroupState::PreparingRebalance { reason, .. } => format!("Rebalancing ({reason})"),
        GroupState::Stable => "Stable".to_string(),
    };
    let name = group.name().to_string();
    let on_strategy = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Some(strategy) = Strategy::from_name(&value) {
                send(
                    &session,
                    BrokerCommand::SetGroupStrategy {
                        group: name.to_string(),
                        strategy,
                    },
                );
            }
        })
    };
    let action = |label: &'static str, class: &'static str, command: BrokerCommand| {
        let session = session.clone();
        html! { <button class={classes!("small-button", class)} onclick={Callback::from(move |_| send(&session, command.clone()))}>{ label }</button> }
    };
    // Seek every owned partition back to its log start: the consumer reads its history again.
    let replay = |c: &lab::broker::group::Consumer| {
        let seeks: Vec<BrokerCommand> = c
            .owned()
            .iter()
            .map(|tp| BrokerCommand::SeekConsumer {
                consumer: c.id(),
                topic: tp.topic.clone(),
                partition: tp.partition,
                offset: cluster
                    .topics()
                    .get(&tp.topic)
                    .and_then(|t| t.partition(tp.partition))
                    .map_or(lab::broker::log::Offset(0), |p| p.log_start()),
            })
            .collect();
        let session = session.clone();
        html! {
            <button class="small-button seek-button" disabled={seeks.is_empty()} title="Seek every partition it owns back to the log start"
                onclick={Callback::from(move |_| for seek in &seeks { send(&session, seek.clone()); })}>{ "Replay" }</button>
        }
    };
    let members: Vec<_> = cluster
        .consumers()
        .values()
        .filter(|c| c.group() == group.name() && c.status() != ConsumerStatus::Closed)
        .collect();
    let lags: Vec<_> = cluster
        .lags()
        .into_iter()
        .filter(|(g, _, _)| *g == group.name())
        .collect();
    html! {
        <section class="group" data-group={group.name().to_string()}>
            <h4>
                { format!("group {}", group.name()) }
                <span class="muted small">{ group_summary(group, &state) }</span>
            </h4>
            if group.protocol() == GroupProtocol::Classic {
                <label class="small">{ "assignor " }
                    <select class="assignor-select" onchange={on_strategy} aria-label={format!("Assignor of {}", group.name())}>
                        { for Strategy::ALL.iter().map(|s| html! { <option value={s.name()} selected={*s == group.strategy()}>{ format!("{}{}", s.name(), if s.is_cooperative() { " (cooperative)" } else { " (eager)" }) }</option> }) }
                    </select>
                </label>
            } else {
                <p class="small">{ "assignor: uniform, run by the broker (group.consumer.assignors)" }</p>
            }
            { liveness_line(group) }
            <table class="members stack-table">
                { header_row(&[("consumer", "", None), ("status", "", None), ("partitions → position", "", None), ("actions", "", None)]) }
                <tbody>
                    { for members.iter().map(|c| {
                        let status = member_status(group, c, !cluster.coordinator().is_empty());
                        let slow = c.config().processing_ticks > 0;
                        let pace = BrokerCommand::SetConsumerConfig {
                            consumer: c.id(),
                            config: ConsumerConfig { processing_ticks: if slow { 0 } else { 80 }, ..*c.config() },
                        };
                        let owned: Vec<String> = c.owned().iter().map(|tp| format!("{tp}→{}", c.positions().get(tp).map_or("?".into(), |o| o.to_string()))).collect();
                        html! {
                            <tr class={if !c.is_running() { "member member-down" } else { "member" }} data-consumer={c.id().0.to_string()}>
                                <td class="member-name"><span class="nowrap">{ c.id().to_string() }</span>{ c.instance_id().as_ref().map(|i| format!(" (static {i})")).unwrap_or_default() }</td>
                                <td class="member-status" data-label="status">{ status }</td>
                                <td class="owned" data-label="partitions → position">
                                    if owned.is_empty() { { "idle" } }
                                    { for owned.iter().enumerate().map(|(i, o)| html! { <>{ if i > 0 { ", " } else { "" } }<span class="nowrap">{ o }</span></> }) }
                                </td>
                                <td class="actions">
                                    if c.is_running() {
                                        { action("Crash", "crash-button", BrokerCommand::CrashConsumer { consumer: c.id() }) }
                                        { action("Close", "close-button", BrokerCommand::CloseConsumer { consumer: c.id() }) }
                                        { action("Commit", "commit-button", BrokerCommand::CommitConsumer { consumer: c.id(), asynchronous: false }) }
                                        { action("Commit async", "commit-async-button", BrokerCommand::CommitConsumer { consumer: c.id(), asynchronous: true }) }
                                        { replay(c) }
                                        { action(if slow { "Process fast" } else { "Process slowly (8 s)" }, "pace-button", pace) }
                                    } else {
                                        { action("Restart", "restart-button", BrokerCommand::RestartConsumer { consumer: c.id() }) }
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            { reset_buttons(session, group, members.iter().any(|c| c.is_running())) }
            <div class="lags-scroll"><table class="lags">
                { header_row(&[
                    ("partition", "", None),
                    ("offsets", "lag-cell", Some("The group's committed offset (▾) and its lag up to the high watermark (stripes)")),
                    ("HW", "num", None),
                    ("committed", "num", None),
                    ("lag", "num", None),
                    ("lag (ticks)", "num", None),
                ]) }
                <tbody>
                    { for lags.iter().map(|(_, tp, lag)| {
                        let partition = cluster.topics().get(&tp.topic).and_then(|t| t.partition(tp.partition));
                        let bounds = LogBounds {
                            log_start: partition.map_or(0, |p| p.log_start().0),
                            hw: partition.map_or(0, |p| p.hw().0),
                            leo: partition.map_or(0, |p| p.leo().0),
                        };
                        let commit = GroupCommit { group: group.name().to_string(), committed: group.committed().get(tp).map(|c| c.offset.0) };
                        let committed = commit.committed.map_or("-".to_string(), |c| c.to_string());
                        html! {
                            <tr data-lag-partition={tp.to_string()}>
                                <th scope="row">{ tp.to_string() }</th>
                                <td class="lag-cell">{ offset_track(&tp.to_string(), bounds, std::slice::from_ref(&commit)) }</td>
                                <td class="num">{ bounds.hw }</td><td class="num">{ committed }</td><td class="num">{ lag }</td>
                                <td class="num">{ cluster.lag_ticks(group.name(), tp, session.view.now()) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table></div>
        </section>
    }
}

#[component]
pub fn GroupsPanel() -> Html {
    let session = crate::widgets::use_lab();
    let group = use_state(|| "g".to_string());
    let topic = use_state(String::new);
    let instance = use_state(String::new);
    let commit = use_state(|| "auto".to_string());
    let reset = use_state(|| "earliest".to_string());
    let poll_every = use_state(|| "1".to_string());
    let processing = use_state(|| "0".to_string());
    let protocol = use_state(|| "classic".to_string());
    let max_poll = use_state(|| MAX_POLL_INTERVAL_TICKS_DEFAULT.to_string());
    let isolation = use_state(|| "read_uncommitted".to_string());
    let error = use_state(|| None::<String>);
    with_cluster(&session, |cluster| {
        let topic_name = if cluster.topics().contains_key(&*topic) {
            (*topic).clone()
        } else {
            cluster.topics().keys().next().cloned().unwrap_or_default()
        };
        let on_add = {
            let (session, error) = (session.clone(), error.clone());
            let (group, instance, commit, reset, poll_every, processing) = (
                group.clone(),
                instance.clone(),
                commit.clone(),
                reset.clone(),
                poll_every.clone(),
                processing.clone(),
            );
            let (protocol, max_poll) = (protocol.clone(), max_poll.clone());
            let isolation = isolation.clone();
            let topic_name = topic_name.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let parsed = (|| -> Result<ConsumerConfig, String> {
                    Ok(ConsumerConfig {
                        commit: match commit.as_str() {
                            "after" => CommitPolicy::AfterProcessing,
                            "before" => CommitPolicy::BeforeProcessing,
                            "manual" => CommitPolicy::Manual,
                            _ => CommitPolicy::Auto { interval_ticks: 5 },
                        },
                        auto_offset_reset: match reset.as_str() {
                            "latest" => OffsetReset::Latest,
                            "none" => OffsetReset::None,
                            _ => OffsetReset::Earliest,
                        },
                        poll_interval_ticks: parse_number(&poll_every, "poll every", 1, 10_000)?,
                        processing_ticks: parse_number(&processing, "processing time", 0, 10_000)?,
                        max_poll_interval_ticks: parse_number(
                            &max_poll,
                            "max.poll.interval",
                            1,
                            100_000,
                        )?,
                        protocol: if *protocol == "consumer" {
                            GroupProtocol::Consumer
                        } else {
                            GroupProtocol::Classic
                        },
                        isolation: if *isolation == "read_committed" {
                            IsolationLevel::ReadCommitted
                        } else {
                            IsolationLevel::ReadUncommitted
                        },
                        ..ConsumerConfig::default()
                    })
                })();
                match parsed {
                    Ok(config) => {
                        error.set(None);
                        let instance_id =
                            (!instance.trim().is_empty()).then(|| instance.trim().to_string());
                        send(
                            &session,
                            BrokerCommand::AddConsumer {
                                group: group.trim().to_string(),
                                topics: vec![topic_name.clone()],
                                instance_id,
                                config,
                            },
                        );
                    }
                    Err(why) => error.set(Some(why)),
                }
            })
        };
        html! {
            <div class="groups-panel">
                if cluster.groups().is_empty() {
                    <p class="muted">{ "No consumer groups yet. Add a consumer below: the group is created when its first member joins." }</p>
                }
                { comparison(cluster) }
                { for cluster.groups().values().map(|g| group_view(&session, cluster, g)) }
                <form class="add-consumer" novalidate=true onsubmit={on_add}>
                    <strong>{ "Add a consumer" }</strong>
                    { text_field("group ", "group-input", None, &group) }
                    { topic_field("", &topic, cluster.topics(), &topic_name) }
                    { text_field("static id ", "instance-input", Some("optional"), &instance) }
                    { choice_field("commits ", "commit-select", &commit, &[
                        ("auto", "auto every 5 ticks"),
                        ("after", "after processing"),
                        ("before", "before processing"),
                        ("manual", "manual"),
                    ]) }
                    { choice_field("auto.offset.reset ", "reset-select", &reset, &[("earliest", "earliest"), ("latest", "latest"), ("none", "none")]) }
                    { number_field("poll every (ticks) ", "num-input poll-input", (Some("1"), None), None, &poll_every) }
                    { number_field("processing (ticks) ", "num-input processing-input", (Some("0"), None), None, &processing) }
                    { number_field("max.poll.interval (ticks) ", "num-input max-poll-input", (Some("1"), None), None, &max_poll) }
                    { choice_field("group.protocol ", "protocol-select", &protocol, &[("classic", "classic (the default)"), ("consumer", "consumer (KIP-848)")]) }
                    { choice_field("isolation.level ", "isolation-select", &isolation, &[
                        ("read_uncommitted", "read_uncommitted (the default)"),
                        ("read_committed", "read_committed"),
                    ]) }
                    <p class="small muted session-note">{ format!(
                        "session.timeout.ms: {} s in this lab so crashes show quickly (Kafka's default is {} s); heartbeats every 3 s (KIP-848: the broker's 5 s and 45 s apply).",
                        LAB_SESSION_TIMEOUT_TICKS * MS_PER_TICK / 1000,
                        KAFKA_SESSION_TIMEOUT_MS / 1000
                    ) }</p>
                    <button type="submit" class="primary add-consumer-button">{ "Add consumer" }</button>
                    <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                </form>
            </div>
        }
    })
}
