//! One line of plain English per broker command and event, and per metadata-log record the
//! election timeline shows: the lab's trace, journal and controller views and the `lab` CLI
//! print these, so they live beside the model they describe (and read the same everywhere).

use super::cluster::{BrokerCommand, BrokerEvent};
use super::controller::MetadataChange;
use super::group::{
    CommitPolicy, ConsumerConfig, GroupEvent, GroupProtocol, OffsetReset,
    MAX_POLL_INTERVAL_TICKS_DEFAULT,
};
use super::kip848::CoordinatorEvent;
use super::log::{ControlType, IsolationLevel, MS_PER_TICK};
use super::topic::ElectionKind;
use super::transaction::TxnError;

fn quoted(text: &Option<String>) -> String {
    text.as_ref()
        .map_or_else(|| "null".to_string(), |t| format!("\"{t}\""))
}

/// Describes a command as the journal lists it.
pub fn command(command: &BrokerCommand) -> String {
    match command {
        BrokerCommand::CreateTopic {
            name,
            partitions,
            settings,
        } => {
            let policy = match (settings.log.cleanup_delete, settings.log.cleanup_compact) {
                (true, true) => "compact,delete",
                (false, true) => "compact",
                _ => "delete",
            };
            format!("Create topic {name} ({partitions} partitions, cleanup.policy={policy})")
        }
        BrokerCommand::SetTopicSettings { topic, .. } => format!("Change the settings of {topic}"),
        BrokerCommand::AddProducer { .. } => "Add a producer".into(),
        BrokerCommand::AddBroker => "Add a broker".into(),
        BrokerCommand::ResetGroupOffsets { group, to_earliest } => {
            format!(
                "Reset {group}'s offsets to the {}",
                if *to_earliest { "earliest" } else { "latest" }
            )
        }
        BrokerCommand::ProduceBytes {
            producer,
            topic,
            key,
            value,
        } => format!(
            "{producer} sends 1 record to {topic} (key {}, a {}-byte value)",
            quoted(key),
            value.len()
        ),
        BrokerCommand::SetProducerRate {
            producer,
            topic,
            records_per_tick,
            ..
        } => {
            format!("{producer} sends {records_per_tick} record(s) to {topic} every tick")
        }
        BrokerCommand::SetProducerConfig { producer, config } => format!(
            "Configure {producer}: idempotence {}, linger {} ticks, batch.size {} B",
            if config.idempotence { "on" } else { "off" },
            config.linger_ticks,
            config.batch_size_bytes
        ),
        BrokerCommand::Produce {
            producer,
            topic,
            partition,
            key,
            value,
            count,
            header,
        } => {
            let header = header
                .as_ref()
                .map_or(String::new(), |(n, v)| format!(", header {n}={v}"));
            let target = partition.map_or_else(|| topic.clone(), |p| format!("{topic}-{}", p.0));
            let records = if *count == 1 {
                "1 record".to_string()
            } else {
                format!("{count} records")
            };
            format!(
                "{producer} sends {records} to {target} (key {}, value {}{header})",
                quoted(key),
                quoted(value)
            )
        }
        BrokerCommand::AddConsumer {
            group,
            topics,
            instance_id,
            config,
        } => {
            let commit = match config.commit {
                CommitPolicy::Auto { interval_ticks } => {
                    format!("auto-commit every {interval_ticks} ticks")
                }
                CommitPolicy::AfterProcessing => "commit after processing".into(),
                CommitPolicy::BeforeProcessing => "commit before processing".into(),
                CommitPolicy::Manual => "manual commits".into(),
            };
            let reset = match config.auto_offset_reset {
                OffsetReset::Earliest => "earliest",
                OffsetReset::Latest => "latest",
                OffsetReset::None => "none",
            };
            let static_id = instance_id
                .as_ref()
                .map_or(String::new(), |i| format!(", static as {i}"));
            let isolation = match config.isolation {
                IsolationLevel::ReadUncommitted => String::new(),
                level => format!(", isolation.level={}", level.name()),
            };
            let liveness = liveness_settings(config);
            format!("Add a consumer to {group} reading {} ({commit}, auto.offset.reset={reset}{isolation}{liveness}{static_id})", topics.join(", "))
        }
        BrokerCommand::SetConsumerConfig { consumer, .. } => format!("Configure {consumer}"),
        BrokerCommand::CloseConsumer { consumer } => format!("Close {consumer}"),
        BrokerCommand::CrashConsumer { consumer } => format!("Crash {consumer}"),
        BrokerCommand::RestartConsumer { consumer } => format!("Restart {consumer}"),
        BrokerCommand::CommitConsumer {
            consumer,
            asynchronous,
        } => {
            format!(
                "{consumer} commits its positions ({})",
                if *asynchronous {
                    "commitAsync"
                } else {
                    "commitSync"
                }
            )
        }
        BrokerCommand::SeekConsumer {
            consumer,
            topic,
            partition,
            offset,
        } => format!(
            "{consumer} seeks {topic}-{} to offset {offset}",
            partition.0
        ),
        BrokerCommand::SetGroupStrategy { group, strategy } => {
            format!("{group} switches to the {} assignor", strategy.name())
        }
        BrokerCommand::KillBroker { broker } => format!("Kill {broker} (crash)"),
        BrokerCommand::RestartBroker { broker } => format!("Restart {broker}"),
        BrokerCommand::ShutdownBroker { broker } => format!("Shut {broker} down (controlled)"),
        BrokerCommand::SlowBroker {
            broker,
            fetch_every_ticks: 1,
        } => format!("{broker} runs at normal speed"),
        BrokerCommand::SlowBroker {
            broker,
            fetch_every_ticks,
        } => format!("Slow {broker} down: it fetches every {fetch_every_ticks} ticks"),
        BrokerCommand::CutLink {
            broker,
            link,
            cut: true,
        } => format!("Cut {broker} off from the {link}"),
        BrokerCommand::CutLink {
            broker,
            link,
            cut: false,
        } => format!("Reconnect {broker} to the {link}"),
        BrokerCommand::HealBroker { broker } => format!("Heal {broker}'s network"),
        BrokerCommand::KillController { controller } => format!("Kill {controller}"),
        BrokerCommand::RestartController { controller } => format!("Restart {controller}"),
        BrokerCommand::ElectPreferredLeaders => "Elect the preferred leaders".into(),
        BrokerCommand::AlterTopicConfig {
            topic,
            min_insync_replicas,
            unclean_leader_election,
        } => {
            let mut parts = Vec::new();
            if let Some(n) = min_insync_replicas {
                parts.push(format!("min.insync.replicas={n}"));
            }
            if let Some(on) = unclean_leader_election {
                parts.push(format!("unclean.leader.election.enable={on}"));
            }
            format!("Set {} on {topic}", parts.join(", "))
        }
        BrokerCommand::SetClusterSettings { settings } => format!(
            "Set replica.lag.time.max={} ticks, broker.session.timeout={} ticks",
            settings.replica_lag_max_ticks, settings.session_timeout_ticks
        ),
        BrokerCommand::InitTransactions {
            producer,
            transactional_id,
            timeout_ticks,
        } => format!(
            "{producer} calls initTransactions() as transactional.id={transactional_id} \
             (transaction.timeout.ms={})",
            crate::log::ticks_to_ms(*timeout_ticks)
        ),
        BrokerCommand::BeginTransaction { producer } => format!("{producer} begins a transaction"),
        BrokerCommand::CommitTransaction { producer } => {
            format!("{producer} commits its transaction")
        }
        BrokerCommand::AbortTransaction { producer } => {
            format!("{producer} aborts its transaction")
        }
        BrokerCommand::SendOffsetsToTransaction { producer, consumer } => {
            format!("{producer} sends {consumer}'s positions to its transaction")
        }
        BrokerCommand::ProcessInTransaction {
            producer,
            consumer,
            topic,
        } => format!(
            "{producer} writes to {topic}, in its transaction, what {consumer} read since its last commit"
        ),
    }
}

/// Describes an event as the trace lists it.
pub fn event(event: &BrokerEvent) -> String {
    match event {
        BrokerEvent::BrokerAdded { broker } => format!("{broker} joins the cluster"),
        BrokerEvent::AsyncCommitFailed { consumer, reason } => {
            format!("{consumer}'s asynchronous commit failed ({reason}) and was not retried")
        }
        BrokerEvent::GroupOffsetsReset { group, to_earliest, partitions } => format!(
            "{group}'s committed offsets on {partitions} partition(s) reset to the {}",
            if *to_earliest { "log start" } else { "high watermark" }
        ),
        BrokerEvent::RateChanged { producer, records_per_tick: 0 } => format!("{producer} stops sending steadily"),
        BrokerEvent::RateChanged { producer, records_per_tick } => format!("{producer} now sends {records_per_tick} record(s) every tick"),
        BrokerEvent::TopicCreated { topic, partitions } => format!("topic {topic} created with {partitions} partitions"),
        BrokerEvent::TopicSettingsChanged { topic } => format!("{topic}'s settings changed"),
        BrokerEvent::ProducerAdded { producer } => format!("{producer} connected"),
        BrokerEvent::ConsumerAdded { consumer, group } => format!("{consumer} joins group {group}"),
        BrokerEvent::Appended { producer, tp, base_offset, count, retry } => {
            let last = base_offset.0 + *count as u64 - 1;
            let range = if *count == 1 { format!("offset {base_offset}") } else { format!("offsets {base_offset}-{last}") };
            format!("{tp} appended {range} from {producer}{}", if *retry { " (a retry)" } else { "" })
        }
        BrokerEvent::DuplicateDiscarded { producer, tp, count } => format!("{tp} recognised a retried batch of {count} from {producer} and did not write it again (idempotence)"),
        BrokerEvent::OutOfOrderRejected { producer, tp } => format!("{tp} refused a batch from {producer} that arrived ahead of its sequence"),
        BrokerEvent::RequestLost { producer, tp } => format!("the network lost {producer}'s request to {tp}: it will retry"),
        BrokerEvent::ResponseLost { producer, tp } => format!("the network lost {tp}'s answer to {producer}: the batch was written, but the producer will retry"),
        BrokerEvent::SendFailed { producer, tp, count, reason } => format!("{producer} gave up on {count} record(s) for {tp}: {reason}"),
        BrokerEvent::SegmentsDeleted { tp, segments, records, log_start } => format!("retention deleted {segments} segment(s) of {tp} ({records} records); the log now starts at {log_start}"),
        BrokerEvent::Compacted { tp, removed, bytes_before, bytes_after } => format!("the log cleaner compacted {tp}: {removed} records removed, {bytes_before} → {bytes_after} bytes"),
        BrokerEvent::Group(g) => group_event(g),
        BrokerEvent::BrokerKilled { broker } => format!("{broker} crashed"),
        BrokerEvent::BrokerRestarted { broker } => format!("{broker} starts again"),
        BrokerEvent::BrokerStopped { broker } => format!("{broker} shut down cleanly"),
        BrokerEvent::BrokerSlowed { broker, fetch_every_ticks } => format!("{broker} now fetches every {fetch_every_ticks} tick(s)"),
        BrokerEvent::LinkChanged { broker, link, cut: true } => format!("{broker} is cut off from the {link}"),
        BrokerEvent::LinkChanged { broker, link, cut: false } => format!("{broker} can reach the {link} again"),
        BrokerEvent::BrokerHealed { broker } => format!("{broker}'s network is whole again"),
        BrokerEvent::BrokerRegistered { broker, broker_epoch } => format!("{broker} registers with the controller (broker epoch {broker_epoch}), fenced until it heartbeats"),
        BrokerEvent::BrokerFenced { broker, reason } => format!("the controller fences {broker}: {reason}"),
        BrokerEvent::BrokerUnfenced { broker } => format!("the controller unfences {broker}"),
        BrokerEvent::ControllerKilled { controller } => format!("{controller} crashed"),
        BrokerEvent::ControllerRestarted { controller } => format!("{controller} starts again"),
        BrokerEvent::ControllerElected { controller, term } => format!("{controller} becomes the active controller (term {term})"),
        BrokerEvent::LeaderChanged { tp, leader: Some(leader), leader_epoch, kind } => format!("{leader} leads {tp} in epoch {leader_epoch} ({} election)", kind.name()),
        BrokerEvent::LeaderChanged { tp, leader: None, leader_epoch, .. } => format!("{tp} is offline in epoch {leader_epoch}: no in-sync replica can lead"),
        BrokerEvent::IsrChanged { tp, isr } => format!("{tp}'s ISR is now {}", brokers(isr)),
        BrokerEvent::Truncated { tp, broker, from, to } => format!("{broker} cut its copy of {tp} from LEO {from} back to {to} to match the leader"),
        BrokerEvent::ProduceFailed { producer, tp, error } if error.from_client() => format!("{producer}'s request to {tp} failed with {}: {error}", error.code()),
        BrokerEvent::ProduceFailed { producer, tp, error } => format!("{tp} answered {producer} with {}: {error}", error.code()),
        BrokerEvent::AckedWritesLost { tp, count } => format!("{count} acknowledged record(s) of {tp} are gone from its leader"),
        BrokerEvent::ClusterSettingsChanged => "the brokers' settings changed".into(),
        BrokerEvent::TransactionsInitialized { producer, transactional_id, pid, epoch } => format!("{producer} is {transactional_id}: {pid}, epoch {epoch} (older instances are fenced)"),
        BrokerEvent::TransactionEnded { producer, transactional_id, outcome: ControlType::Commit } => format!("the coordinator decides to commit {producer}'s transaction ({transactional_id}: PrepareCommit)"),
        BrokerEvent::TransactionEnded { producer, transactional_id, outcome: ControlType::Abort } => format!("the coordinator decides to abort {producer}'s transaction ({transactional_id}: PrepareAbort)"),
        BrokerEvent::TransactionCompleted { transactional_id, outcome } => format!("{transactional_id}'s transaction is complete: every partition holds its {} marker", outcome.name()),
        BrokerEvent::TransactionTimedOut { transactional_id } => format!("{transactional_id}'s transaction ran past transaction.timeout.ms: the coordinator bumps its epoch and aborts it"),
        BrokerEvent::TransactionError { producer, error: TxnError::ProducerFenced } => format!("{producer} is fenced (PRODUCER_FENCED): a newer instance has its transactional.id; it can only close"),
        BrokerEvent::TransactionError { producer, error } if error.is_group_metadata_mismatch() => format!("the group coordinator refused {producer}'s offsets with {error}: the consumer's group metadata is stale (it is no longer that member, or of an older generation), so a zombie cannot commit them; {producer} can only abort"),
        BrokerEvent::TransactionError { producer, error: TxnError::OutOfOrderSequenceNumber } => format!("{producer} lost records on the leader (OUT_OF_ORDER_SEQUENCE_NUMBER): in a transaction it cannot bump its epoch by itself, so it can only abort"),
        BrokerEvent::TransactionError { producer, error } => format!("{producer}'s transaction failed with {error}: it can only abort"),
        BrokerEvent::MarkerWritten { tp, outcome: ControlType::Commit, offset } => format!("{tp} appended a COMMIT marker at offset {offset}"),
        BrokerEvent::MarkerWritten { tp, outcome: ControlType::Abort, offset } => format!("{tp} appended an ABORT marker at offset {offset}"),
    }
}

/// A broker list as {1,2,3}.
pub fn brokers(ids: &[super::BrokerId]) -> String {
    let ids: Vec<String> = ids.iter().map(|b| b.0.to_string()).collect();
    format!("{{{}}}", ids.join(","))
}

/// What a metadata-log record on the election timeline is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataNote {
    /// A new active controller, after the first.
    Controller,
    Fenced,
    Unfenced,
    /// A partition lost its leader: no eligible replica.
    Offline,
    /// A clean leader election (preferred, controlled shutdown, failover...).
    Election,
    Unclean,
    /// The ISR changed and the leader did not.
    Isr,
}

impl MetadataNote {
    /// A one-word tag: "controller", "fenced", "unfenced", "offline", "election", "unclean", "isr".
    pub fn tag(self) -> &'static str {
        match self {
            MetadataNote::Controller => "controller",
            MetadataNote::Fenced => "fenced",
            MetadataNote::Unfenced => "unfenced",
            MetadataNote::Offline => "offline",
            MetadataNote::Election => "election",
            MetadataNote::Unclean => "unclean",
            MetadataNote::Isr => "isr",
        }
    }
}

/// Describes a metadata-log record as the election timeline lists it, if it belongs there:
/// leader elections, controller elections after the first, fencing and unfencing always; changes
/// of the ISR alone only `with_isr`. Topic creation, registrations and the rest are left out.
pub fn metadata_change(change: &MetadataChange, with_isr: bool) -> Option<(MetadataNote, String)> {
    match change {
        MetadataChange::ControllerElected { controller, term } if *term > 1 => Some((
            MetadataNote::Controller,
            format!(
                "C{} becomes the active controller (term {term})",
                controller.0
            ),
        )),
        MetadataChange::BrokerFenced { broker, reason } => {
            Some((MetadataNote::Fenced, format!("{broker} fenced: {reason}")))
        }
        MetadataChange::BrokerUnfenced { broker } => {
            Some((MetadataNote::Unfenced, format!("{broker} unfenced")))
        }
        MetadataChange::PartitionChanged {
            topic,
            partition,
            leader,
            isr,
            leader_epoch,
            election,
            ..
        } => {
            let tp = format!("{topic}-{}", partition.0);
            let isr = brokers(isr);
            match (election, leader) {
                (Some(ElectionKind::Initial), _) => None,
                (Some(_), None) => Some((
                    MetadataNote::Offline,
                    format!(
                        "{tp} goes offline: no eligible replica (epoch {leader_epoch}, ISR {isr})"
                    ),
                )),
                (Some(kind), Some(leader)) => Some((
                    if *kind == ElectionKind::Unclean {
                        MetadataNote::Unclean
                    } else {
                        MetadataNote::Election
                    },
                    format!(
                        "{tp}: {leader} leads, {} election, epoch {leader_epoch}, ISR {isr}",
                        kind.name()
                    ),
                )),
                (None, _) if with_isr => {
                    Some((MetadataNote::Isr, format!("{tp}: ISR becomes {isr}")))
                }
                (None, _) => None,
            }
        }
        _ => None,
    }
}

/// The non-default liveness settings of a consumer, as a ", ..." suffix.
fn liveness_settings(config: &ConsumerConfig) -> String {
    let mut out = String::new();
    if config.protocol != GroupProtocol::Classic {
        out += &format!(", group.protocol={}", config.protocol.name());
    }
    if config.max_poll_interval_ticks != MAX_POLL_INTERVAL_TICKS_DEFAULT {
        out += &format!(
            ", max.poll.interval.ms={}",
            config.max_poll_interval_ticks * MS_PER_TICK
        );
    }
    if config.processing_ticks > 0 {
        out += &format!(
            ", {} ms processing per poll",
            config.processing_ticks * MS_PER_TICK
        );
    }
    out
}

fn coordinator_event(group: &str, event: &CoordinatorEvent) -> String {
    match event {
        CoordinatorEvent::TargetComputed { epoch } => format!("{group}: group epoch {epoch}, the coordinator computes a new target assignment (uniform assignor)"),
        CoordinatorEvent::Reconciled { member, epoch, state } => format!("{group}: {member} is {state} at member epoch {epoch}"),
        CoordinatorEvent::StaticReplaced { old, new } => format!("{group}: static member {old} is replaced by {new}, keeping its assignment, with no epoch bump"),
        CoordinatorEvent::Removed { member, reason } => format!("{member} leaves {group}: {reason}"),
    }
}

fn group_event(event: &GroupEvent) -> String {
    match event {
        GroupEvent::RebalanceStarted { group, reason } => format!("{group} starts rebalancing: {reason}"),
        GroupEvent::Revoked { consumer, partitions } => format!("{consumer} revokes {}", list(partitions)),
        GroupEvent::MemberRemoved { group, member, reason } => format!("{member} leaves {group}: {reason}"),
        GroupEvent::Assigned { group, generation, leader, assignment } => {
            let parts: Vec<String> = assignment.iter().map(|(m, tps)| format!("{m}: {}", if tps.is_empty() { "nothing".into() } else { list(tps) })).collect();
            format!("{group} generation {generation} (leader {leader}): {}", parts.join("; "))
        }
        GroupEvent::Polled { consumer, tp, from, count } => format!("{consumer} fetched {count} from {tp} at offset {from}"),
        GroupEvent::Committed { consumer, offsets } => {
            let parts: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
            format!("{consumer} committed {}", parts.join(", "))
        }
        GroupEvent::OffsetReset { consumer, tp, from, to, reason } => format!("{consumer}'s position on {tp} reset from {from} to {to}: {reason}"),
        GroupEvent::OffsetOutOfRange { consumer, tp, position } => format!("{consumer} cannot read {tp} at {position} and auto.offset.reset=none: it stops reading it"),
        GroupEvent::LostInProcessing { consumer, records } => format!("{consumer} crashed while processing {records} record(s)"),
        GroupEvent::LogTruncated { consumer, tp, position, end, reset: true } => format!("{consumer} found {tp} truncated below its position {position} after a leader change: it seeks back to {end} (KIP-320)"),
        GroupEvent::LogTruncated { consumer, tp, position, end, reset: false } => format!("{consumer} found {tp} truncated below its position {position} (the leader's log ends at {end}) and auto.offset.reset=none: it stops reading it (LogTruncationException)"),
        GroupEvent::PollTimeout { consumer, member, left: true } => format!("{consumer} ({member}) went longer than max.poll.interval.ms between polls: its heartbeat thread sends LeaveGroup, though it is alive and still processing"),
        GroupEvent::PollTimeout { consumer, member, left: false } => format!("{consumer} ({member}) went longer than max.poll.interval.ms between polls: as a static member it sends no LeaveGroup and stops heartbeating; it is removed only if its session times out"),
        GroupEvent::CommitFailed { consumer } => format!("{consumer}'s commit fails with CommitFailedException: it left the group when its poll timeout expired"),
        GroupEvent::StaticRejoined { group, old, new, rebalance: false } => format!("static member {old} rejoins {group} as {new} and gets its assignment back: no rebalance"),
        GroupEvent::StaticRejoined { group, old, new, rebalance: true } => format!("static member {old} rejoins {group} as {new} during a rebalance"),
        GroupEvent::Coordinator { group, event } => coordinator_event(group, event),
        GroupEvent::Reconciled { consumer, epoch, owned } => format!("{consumer} reconciles at member epoch {epoch}: owns {}", list(owned)),
        GroupEvent::HeartbeatRefused { consumer, code } => format!("{consumer}'s heartbeat is refused with {code}"),
    }
}

fn list(tps: &[super::group::TopicPartition]) -> String {
    tps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::ControllerId;
    use crate::group::TopicPartition;
    use crate::log::Offset;
    use crate::producer::ProducerId;
    use crate::{BrokerId, PartitionId};

    #[test]
    fn lines_read_naturally() {
        let tp = TopicPartition {
            topic: "orders".into(),
            partition: PartitionId(2),
        };
        let appended = BrokerEvent::Appended {
            producer: ProducerId(1),
            tp,
            base_offset: Offset(4),
            count: 3,
            retry: false,
        };
        assert_eq!(
            event(&appended),
            "orders-2 appended offsets 4-6 from producer-1"
        );
        let produce = BrokerCommand::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: None,
            key: Some("user-{n}".into()),
            value: None,
            count: 1,
            header: None,
        };
        assert_eq!(
            command(&produce),
            "producer-1 sends 1 record to orders (key \"user-{n}\", value null)"
        );
    }

    fn partition_changed(
        leader: Option<u8>,
        isr: &[u8],
        election: Option<ElectionKind>,
    ) -> MetadataChange {
        MetadataChange::PartitionChanged {
            topic: "orders".into(),
            partition: PartitionId(0),
            leader: leader.map(BrokerId),
            isr: isr.iter().copied().map(BrokerId).collect(),
            leader_epoch: 3,
            partition_epoch: 7,
            election,
        }
    }

    #[test]
    fn the_election_timeline_reads_naturally() {
        let line = |change: &MetadataChange| metadata_change(change, false);
        assert_eq!(
            line(&partition_changed(
                Some(2),
                &[2, 3],
                Some(ElectionKind::Unclean)
            )),
            Some((
                MetadataNote::Unclean,
                "orders-0: broker 2 leads, unclean election, epoch 3, ISR {2,3}".into()
            ))
        );
        let failover = line(&partition_changed(Some(2), &[2], Some(ElectionKind::Clean)));
        assert_eq!(
            failover.as_ref().map(|(n, _)| *n),
            Some(MetadataNote::Election)
        );
        assert_eq!(
            line(&partition_changed(None, &[1], Some(ElectionKind::Clean))),
            Some((
                MetadataNote::Offline,
                "orders-0 goes offline: no eligible replica (epoch 3, ISR {1})".into()
            ))
        );
        let controller = |term| MetadataChange::ControllerElected {
            controller: ControllerId(2),
            term,
        };
        assert_eq!(
            line(&controller(4)),
            Some((
                MetadataNote::Controller,
                "C2 becomes the active controller (term 4)".into()
            ))
        );
        assert_eq!(
            line(&controller(1)),
            None,
            "the first controller is not news"
        );
        let fenced = MetadataChange::BrokerFenced {
            broker: BrokerId(1),
            reason: "its session expired",
        };
        assert_eq!(
            line(&fenced),
            Some((
                MetadataNote::Fenced,
                "broker 1 fenced: its session expired".into()
            ))
        );
        let unfenced = MetadataChange::BrokerUnfenced {
            broker: BrokerId(1),
        };
        assert_eq!(
            line(&unfenced),
            Some((MetadataNote::Unfenced, "broker 1 unfenced".into()))
        );
    }

    #[test]
    fn isr_changes_and_topic_creation_are_shown_only_when_asked() {
        let isr_only = partition_changed(Some(1), &[1, 2], None);
        assert_eq!(metadata_change(&isr_only, false), None);
        assert_eq!(
            metadata_change(&isr_only, true),
            Some((MetadataNote::Isr, "orders-0: ISR becomes {1,2}".into()))
        );
        let created = partition_changed(Some(1), &[1, 2, 3], Some(ElectionKind::Initial));
        assert_eq!(metadata_change(&created, true), None);
        assert_eq!(MetadataNote::Isr.tag(), "isr");
        assert_eq!(MetadataNote::Unclean.tag(), "unclean");
    }
}
