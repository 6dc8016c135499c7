//! Named numeric facts about a lab: the vocabulary lesson goals are written in.
//!
//! A goal such as `tick >= 50 and events_by_hand >= 3` is checked against an [`Observation`]:
//! the state at the tick the learner is looking at, plus the journal it came from (so a goal can
//! ask "has the learner rewound?"). Names are parsed once, so a lesson that mentions a metric that
//! does not exist fails the lesson lint rather than a learner.

use crate::broker::metrics::{cluster_metrics, group_lag};
use crate::journal::Journal;
use crate::state::Lab;

/// Every plain metric name, with what it measures (shown in lint messages and docs).
pub const METRIC_NAMES: &[(&str, &str)] = &[
    ("tick", "the tick the learner is looking at"),
    ("end_tick", "the tick the journal has reached"),
    (
        "ticks_behind_end",
        "how far the learner has rewound from the end",
    ),
    ("commands", "commands in the journal"),
    ("events", "events emitted so far"),
    ("events_by_hand", "events emitted with the Emit button"),
    ("sources", "number of sources"),
    (
        "max_chance",
        "the highest chance per tick of any source, in permille",
    ),
    (
        "registrations_refused",
        "schema registrations the Schema Registry refused with 409 (incompatible)",
    ),
    ("acked", "records the broker acknowledged to producers"),
    (
        "acked_without_controller",
        "records acknowledged while no controller was active",
    ),
    (
        "duplicates",
        "records written at more than one offset (retries without idempotence)",
    ),
    (
        "reordered",
        "partitions where a producer's later record landed before an earlier one",
    ),
    ("consumers", "consumers running"),
    ("queue_ready", "messages waiting in the classic queue"),
    (
        "queue_deleted",
        "queue messages acknowledged, and so deleted",
    ),
    (
        "queue_redelivered",
        "queue messages delivered again after a consumer crashed",
    ),
    (
        "lost_acked",
        "acknowledged records the partition's leader no longer has",
    ),
    (
        "lost_acked_all",
        "lost acknowledged records that were sent with acks=all",
    ),
    (
        "under_replicated",
        "partitions with fewer in-sync replicas than replicas",
    ),
    ("offline", "partitions with no leader"),
    ("elections", "leader changes since the topics were created"),
    ("unclean_elections", "leaders elected from outside the ISR"),
    ("brokers_up", "brokers running"),
    ("fenced", "brokers the controller has fenced"),
    (
        "controller_term",
        "the controller quorum's term (bumps on controller failover)",
    ),
    (
        "truncations",
        "times a follower cut a divergent tail from its log",
    ),
    (
        "not_enough_replicas",
        "produce requests refused for too few in-sync replicas (before or after append)",
    ),
    ("timeouts", "acks=all produce requests that timed out"),
    (
        "failed_sends",
        "records the producer gave up on, known not written",
    ),
    (
        "retries_deduplicated",
        "retried batches a leader recognised by their sequence number and did not write again",
    ),
    (
        "out_of_order",
        "batches a leader refused with OUT_OF_ORDER_SEQUENCE_NUMBER (a sequence gap)",
    ),
    (
        "under_min_isr",
        "partitions whose leader has fewer in-sync replicas than min.insync.replicas (UnderMinIsrPartitionCount summed)",
    ),
    (
        "out_of_sync_replicas",
        "replicas outside their partition's ISR, summed over partitions",
    ),
    (
        "fenced_producers",
        "transactional producers fenced for good (PRODUCER_FENCED) by a newer instance",
    ),
    ("committed_txns", "transactions committed (CompleteCommit)"),
    (
        "aborted_txns",
        "transactions aborted (CompleteAbort), by the producer, a new instance or the timeout",
    ),
    (
        "refused_txn_offsets",
        "offsets sent to a transaction that the group coordinator refused: the consumer's group metadata was stale (KIP-447)",
    ),
];

/// A field of `topic.NAME.FIELD` or `group.NAME.FIELD`: its name in goals, and how feedback
/// words it (`{}` stands for the topic's or group's name).
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub words: Words,
}

/// A metric field: its name in goals and its words in feedback (engines' metric lists use it too).
pub(crate) const fn field(name: &'static str, words: Words) -> Field {
    Field { name, words }
}

/// Fields of `topic.NAME.FIELD`.
pub const TOPIC_FIELDS: &[Field] = &[
    field(
        "records",
        count("record in topic {}", "records in topic {}"),
    ),
    field(
        "partitions",
        count("partition of topic {}", "partitions of topic {}"),
    ),
    field(
        "segments",
        count("log segment of topic {}", "log segments of topic {}"),
    ),
    field(
        "log_start",
        level(
            "the total of the log start offsets of topic {}",
            Unit::Plain,
        ),
    ),
    field("bytes", level("the size of topic {} on disk", Unit::Bytes)),
    field(
        "busiest",
        level(
            "the size of the busiest partition of topic {}",
            Unit::Things("record", "records"),
        ),
    ),
    field(
        "quietest",
        level(
            "the size of the quietest partition of topic {}",
            Unit::Things("record", "records"),
        ),
    ),
    field(
        "quietest_keyless",
        level(
            "the fewest keyless records in one partition of topic {}",
            Unit::Things("record", "records"),
        ),
    ),
    field(
        "gaps",
        count(
            "offset compaction emptied in topic {}",
            "offsets compaction emptied in topic {}",
        ),
    ),
    field(
        "tombstones",
        count("tombstone in topic {}", "tombstones in topic {}"),
    ),
    field(
        "bytes_per_record",
        level("the average record size in topic {}", Unit::Bytes),
    ),
    field(
        "hw",
        level("the total of the high watermarks of topic {}", Unit::Plain),
    ),
    field(
        "isr_min",
        level(
            "the smallest ISR of topic {}",
            Unit::Things("replica", "replicas"),
        ),
    ),
    field(
        "leader_epoch",
        level("the highest leader epoch of topic {}", Unit::Plain),
    ),
    field(
        "under_replicated",
        count(
            "under-replicated partition of topic {}",
            "under-replicated partitions of topic {}",
        ),
    ),
    field(
        "offline",
        count(
            "partition of topic {} offline (no leader)",
            "partitions of topic {} offline (no leader)",
        ),
    ),
    field(
        "lso",
        level(
            "the total of the last stable offsets of topic {}",
            Unit::Plain,
        ),
    ),
    field(
        "markers",
        count(
            "transaction marker in topic {}",
            "transaction markers in topic {}",
        ),
    ),
];
/// Fields of `group.NAME.FIELD`.
pub const GROUP_FIELDS: &[Field] = &[
    field(
        "members",
        count("member in group {}", "members in group {}"),
    ),
    field(
        "generation",
        level("the generation of group {}", Unit::Plain),
    ),
    field(
        "lag",
        level("the lag of group {}", Unit::Things("record", "records")),
    ),
    field(
        "lag_seconds",
        level(
            "the age of the oldest record group {} has not committed",
            Unit::Things("second", "seconds"),
        ),
    ),
    field(
        "rebalances",
        so_far("rebalance of group {}", "rebalances of group {}"),
    ),
    field(
        "rebalances_since_assignor",
        so_far(
            "rebalance of group {} since its assignor changed",
            "rebalances of group {} since its assignor changed",
        ),
    ),
    field(
        "idle",
        count("idle member in group {}", "idle members in group {}"),
    ),
    field(
        "delivered",
        so_far(
            "record delivered to group {}",
            "records delivered to group {}",
        ),
    ),
    field(
        "redeliveries",
        so_far(
            "record delivered again to group {}",
            "records delivered again to group {}",
        ),
    ),
    field(
        "skipped",
        so_far("record group {} skipped", "records group {} skipped"),
    ),
    field(
        "resets",
        so_far("offset reset in group {}", "offset resets in group {}"),
    ),
    field(
        "aborted_seen",
        so_far(
            "record of an aborted transaction delivered to group {}",
            "records of aborted transactions delivered to group {}",
        ),
    ),
    field(
        "duplicate_values",
        so_far(
            "value group {} got more than once",
            "values group {} got more than once",
        ),
    ),
    field(
        "cooperative",
        Words::Flag {
            yes: "group {} uses a cooperative assignor",
            no: "group {} uses an eager assignor",
        },
    ),
    field(
        "kip848",
        Words::Flag {
            yes: "group {} runs the KIP-848 consumer protocol",
            no: "group {} runs the classic protocol",
        },
    ),
    field(
        "poll_timeouts",
        so_far(
            "member of group {} that left because its poll interval expired",
            "members of group {} that left because their poll interval expired",
        ),
    ),
    field(
        "commit_failures",
        so_far(
            "commit in group {} that failed with CommitFailedException",
            "commits in group {} that failed with CommitFailedException",
        ),
    ),
    field(
        "static_rejoins",
        so_far(
            "static member of group {} that took its place back without a rebalance",
            "static members of group {} that took their place back without a rebalance",
        ),
    ),
    field(
        "paused_member_ticks",
        so_far(
            "member-tick group {} stopped consuming for a rebalance",
            "member-ticks group {} stopped consuming for a rebalance",
        ),
    ),
    field(
        "unowned_partition_ticks",
        so_far(
            "partition-tick of group {} with no running owner",
            "partition-ticks of group {} with no running owner",
        ),
    ),
    field(
        "rounds",
        so_far(
            "rebalance round of group {} (classic generation or KIP-848 target assignment)",
            "rebalance rounds of group {} (classic generations or KIP-848 target assignments)",
        ),
    ),
    field(
        "requests",
        so_far(
            "coordination request of group {} (heartbeat, JoinGroup or SyncGroup)",
            "coordination requests of group {} (heartbeats, JoinGroups and SyncGroups)",
        ),
    ),
    field(
        "group_epoch",
        level("the KIP-848 group epoch of group {}", Unit::Plain),
    ),
    field(
        "stable_members",
        count(
            "member of group {} STABLE at the target epoch",
            "members of group {} STABLE at the target epoch",
        ),
    ),
];

/// Fields of `subject.NAME.FIELD` (a Schema Registry subject, e.g. `users-value`).
pub const SUBJECT_FIELDS: &[Field] = &[
    field(
        "versions",
        count("version of subject {}", "versions of subject {}"),
    ),
    field(
        "reader_version",
        level(
            "the version of subject {} its consumers read with (0: the writer's)",
            Unit::Plain,
        ),
    ),
    field(
        "backward",
        Words::Flag {
            yes: "subject {} requires new schemas to read old data",
            no: "subject {} does not require new schemas to read old data",
        },
    ),
    field(
        "forward",
        Words::Flag {
            yes: "subject {} requires old schemas to read new data",
            no: "subject {} does not require old schemas to read new data",
        },
    ),
];

/// Fields of `avro.TOPIC.FIELD`: a topic's records as its consumers' Avro deserializer reads them.
pub const AVRO_FIELDS: &[Field] = &[
    field(
        "decoded",
        count("record of {} decoded", "records of {} decoded"),
    ),
    field(
        "defaults",
        count(
            "record of {} read with a default filled in",
            "records of {} read with defaults filled in",
        ),
    ),
    field(
        "unreadable",
        count(
            "record of {} the reader schema cannot read",
            "records of {} the reader schema cannot read",
        ),
    ),
    field(
        "writer_ids",
        count(
            "writer schema id among the records of {}",
            "writer schema ids among the records of {}",
        ),
    ),
];

/// How goal feedback words a metric, before the name of its source, topic or group is filled
/// in for `{}`. Every metric has words ([`Metric::describe`]); goal feedback
/// ([`crate::check`]) builds its sentences from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words {
    /// A number of things, read after the number: "1 broker running", "3 brokers running".
    /// `so_far` marks counts that only grow, which read "so far" (or "yet" at zero).
    Count {
        one: &'static str,
        many: &'static str,
        so_far: bool,
    },
    /// A quantity with a unit, named by a noun phrase: "the clock" is "tick 12".
    Level { noun: &'static str, unit: Unit },
    /// Something true (1) or false (0), as a statement of each.
    Flag { yes: &'static str, no: &'static str },
}

const fn count(one: &'static str, many: &'static str) -> Words {
    Words::Count {
        one,
        many,
        so_far: false,
    }
}

const fn so_far(one: &'static str, many: &'static str) -> Words {
    Words::Count {
        one,
        many,
        so_far: true,
    }
}

const fn level(noun: &'static str, unit: Unit) -> Words {
    Words::Level { noun, unit }
}

/// A quantity of things, named by a noun phrase: "the training set" is "12 rows".
pub(crate) const fn things(noun: &'static str, one: &'static str, many: &'static str) -> Words {
    level(noun, Unit::Things(one, many))
}

/// A bare number named by a noun phrase: "the generation" is "7".
pub(crate) const fn plain(noun: &'static str) -> Words {
    level(noun, Unit::Plain)
}

/// Something true (1) or false (0), as a statement of each.
pub(crate) const fn flag(yes: &'static str, no: &'static str) -> Words {
    Words::Flag { yes, no }
}

/// The unit a [`Words::Level`] is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A tick of the clock: "tick 12".
    Tick,
    /// A chance per tick stored in permille, shown as a percentage: "30%".
    Permille,
    /// Bytes: "1,200 bytes".
    Bytes,
    /// Things with a singular and a plural: "1 replica", "3 replicas".
    Things(&'static str, &'static str),
    /// A bare number (an offset, an epoch, a term).
    Plain,
}

impl Unit {
    /// A value in this unit: "tick 12", "30%", "3 replicas".
    pub fn format(self, value: i64) -> String {
        match self {
            Unit::Tick => format!("tick {}", grouped(value)),
            Unit::Permille if value % 10 == 0 => format!("{}%", value / 10),
            Unit::Permille => format!(
                "{}{}.{}%",
                if value < 0 { "-" } else { "" },
                (value / 10).abs(),
                (value % 10).abs()
            ),
            Unit::Bytes if value == 1 => "1 byte".into(),
            Unit::Bytes => format!("{} bytes", grouped(value)),
            Unit::Things(one, _) if value == 1 => format!("1 {one}"),
            Unit::Things(_, many) => format!("{} {many}", grouped(value)),
            Unit::Plain => grouped(value),
        }
    }
}

/// A number with thousands separators: 12,345 and -12,345.
pub fn grouped(value: i64) -> String {
    let magnitude = crate::sim::text::group_thousands(value.unsigned_abs());
    if value < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// A metric's [`Words`] with its source, topic or group named: what goal feedback says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Description {
    Count {
        one: String,
        many: String,
        so_far: bool,
    },
    Level {
        noun: String,
        unit: Unit,
    },
    Flag {
        yes: String,
        no: String,
    },
}

impl Words {
    /// The words with `name` (quoted) in place of `{}`.
    pub fn naming(self, name: &str) -> Description {
        let fill = |text: &str| text.replace("{}", &format!("\u{201c}{name}\u{201d}"));
        match self {
            Words::Count { one, many, so_far } => Description::Count {
                one: fill(one),
                many: fill(many),
                so_far,
            },
            Words::Level { noun, unit } => Description::Level {
                noun: fill(noun),
                unit,
            },
            Words::Flag { yes, no } => Description::Flag {
                yes: fill(yes),
                no: fill(no),
            },
        }
    }
}

impl Description {
    /// A noun phrase for the metric itself: "the number of brokers running", "the clock".
    pub fn subject(&self) -> String {
        match self {
            Description::Count { many, .. } => format!("the number of {many}"),
            Description::Level { noun, .. } => noun.clone(),
            Description::Flag { yes, .. } => format!("whether {yes}"),
        }
    }

    /// A value as short as it can be said after the subject: "3", "tick 12", "30%", "yes".
    pub fn brief(&self, value: i64) -> String {
        match self {
            Description::Count { .. } => grouped(value),
            Description::Level { unit, .. } => unit.format(value),
            Description::Flag { .. } => if value != 0 { "yes" } else { "no" }.into(),
        }
    }

    /// A value in the metric's own terms: "3 brokers running", "tick 12", "30%".
    pub fn amount(&self, value: i64) -> String {
        match self {
            Description::Count { one, .. } if value == 1 => format!("1 {one}"),
            Description::Count { many, .. } => format!("{} {many}", grouped(value)),
            Description::Level { unit, .. } => unit.format(value),
            Description::Flag { yes, no } => if value != 0 { yes } else { no }.clone(),
        }
    }
}

/// A metric a goal can mention. `source.NAME.events` and `source.NAME.chance` take a source name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    Tick,
    EndTick,
    TicksBehindEnd,
    Commands,
    Events,
    EventsByHand,
    Sources,
    MaxChance,
    SourceEvents(String),
    SourceChance(String),
    Acked,
    AckedWithoutController,
    Duplicates,
    Reordered,
    Consumers,
    QueueReady,
    QueueDeleted,
    QueueRedelivered,
    LostAcked,
    LostAckedAll,
    UnderReplicated,
    Offline,
    Elections,
    UncleanElections,
    BrokersUp,
    Fenced,
    ControllerTerm,
    Truncations,
    NotEnoughReplicas,
    Timeouts,
    FailedSends,
    RetriesDeduplicated,
    OutOfOrder,
    UnderMinIsr,
    OutOfSyncReplicas,
    FencedProducers,
    CommittedTxns,
    AbortedTxns,
    RefusedTxnOffsets,
    RegistrationsRefused,
    /// `subject.NAME.FIELD`, a field from [`SUBJECT_FIELDS`].
    Subject(String, &'static Field),
    /// `avro.TOPIC.FIELD`, a field from [`AVRO_FIELDS`].
    Avro(String, &'static Field),
    /// `topic.NAME.FIELD`, a field from [`TOPIC_FIELDS`].
    Topic(String, &'static Field),
    /// `group.NAME.FIELD`, a field from [`GROUP_FIELDS`]; a group that does not exist yet has zeros.
    Group(String, &'static Field),
    /// `features.FIELD`, a field from [`crate::feature_lab::FEATURE_FIELDS`].
    Features(&'static Field),
    /// `stream.FIELD`, a field from [`crate::stream_lab::glue::STREAM_FIELDS`].
    Stream(&'static Field),
    /// `rollout.FIELD`, a field from [`crate::rollout_lab::glue::ROLLOUT_FIELDS`].
    Rollout(&'static Field),
    /// `experiment.FIELD`, a field from [`crate::experiment_lab::glue::EXPERIMENT_FIELDS`].
    Experiment(&'static Field),
    /// `pipeline.FIELD`, a field from [`crate::pipeline_lab::glue::PIPELINE_FIELDS`].
    Pipeline(&'static Field),
    /// `cluster.FIELD`, a field from [`crate::cluster_lab::glue::CLUSTER_FIELDS`].
    Cluster(&'static Field),
}

impl Metric {
    /// Parses a metric name, suggesting the closest known name on failure.
    pub fn parse(name: &str) -> Result<Metric, String> {
        let plain = [
            Metric::Tick,
            Metric::EndTick,
            Metric::TicksBehindEnd,
            Metric::Commands,
            Metric::Events,
            Metric::EventsByHand,
            Metric::Sources,
            Metric::MaxChance,
            Metric::RegistrationsRefused,
            Metric::Acked,
            Metric::AckedWithoutController,
            Metric::Duplicates,
            Metric::Reordered,
            Metric::Consumers,
            Metric::QueueReady,
            Metric::QueueDeleted,
            Metric::QueueRedelivered,
            Metric::LostAcked,
            Metric::LostAckedAll,
            Metric::UnderReplicated,
            Metric::Offline,
            Metric::Elections,
            Metric::UncleanElections,
            Metric::BrokersUp,
            Metric::Fenced,
            Metric::ControllerTerm,
            Metric::Truncations,
            Metric::NotEnoughReplicas,
            Metric::Timeouts,
            Metric::FailedSends,
            Metric::RetriesDeduplicated,
            Metric::OutOfOrder,
            Metric::UnderMinIsr,
            Metric::OutOfSyncReplicas,
            Metric::FencedProducers,
            Metric::CommittedTxns,
            Metric::AbortedTxns,
            Metric::RefusedTxnOffsets,
        ]
        .into_iter()
        .find(|m| m.name() == name);
        if let Some(metric) = plain {
            return Ok(metric);
        }
        let parts: Vec<&str> = name.split('.').collect();
        match parts.as_slice() {
            ["source", source, "events"] if !source.is_empty() => {
                Ok(Metric::SourceEvents(source.to_string()))
            }
            ["topic", topic, field] if !topic.is_empty() => find_field(TOPIC_FIELDS, field)
                .map(|f| Metric::Topic(topic.to_string(), f))
                .map_err(|known| format!("topics have no \"{field}\"; use one of {known}")),
            ["group", group, field] if !group.is_empty() => find_field(GROUP_FIELDS, field)
                .map(|f| Metric::Group(group.to_string(), f))
                .map_err(|known| format!("groups have no \"{field}\"; use one of {known}")),
            ["subject", subject, field] if !subject.is_empty() => find_field(SUBJECT_FIELDS, field)
                .map(|f| Metric::Subject(subject.to_string(), f))
                .map_err(|known| format!("subjects have no \"{field}\"; use one of {known}")),
            ["avro", topic, field] if !topic.is_empty() => find_field(AVRO_FIELDS, field)
                .map(|f| Metric::Avro(topic.to_string(), f))
                .map_err(|known| format!("avro.TOPIC has no \"{field}\"; use one of {known}")),
            ["features", field] => find_field(crate::feature_lab::FEATURE_FIELDS, field)
                .map(Metric::Features)
                .map_err(|known| {
                    format!("the feature store has no \"{field}\"; use one of {known}")
                }),
            ["stream", field] => find_field(crate::stream_lab::glue::STREAM_FIELDS, field)
                .map(Metric::Stream)
                .map_err(|known| format!("the stream job has no \"{field}\"; use one of {known}")),
            ["rollout", field] => find_field(crate::rollout_lab::glue::ROLLOUT_FIELDS, field)
                .map(Metric::Rollout)
                .map_err(|known| format!("the rollout has no \"{field}\"; use one of {known}")),
            ["experiment", field] => {
                find_field(crate::experiment_lab::glue::EXPERIMENT_FIELDS, field)
                    .map(Metric::Experiment)
                    .map_err(|known| {
                        format!("the experiment has no \"{field}\"; use one of {known}")
                    })
            }
            ["pipeline", field] => find_field(crate::pipeline_lab::glue::PIPELINE_FIELDS, field)
                .map(Metric::Pipeline)
                .map_err(|known| format!("the pipeline has no \"{field}\"; use one of {known}")),
            ["cluster", field] => find_field(crate::cluster_lab::glue::CLUSTER_FIELDS, field)
                .map(Metric::Cluster)
                .map_err(|known| format!("the cluster lab has no \"{field}\"; use one of {known}")),
            ["source", source, "chance"] if !source.is_empty() => {
                Ok(Metric::SourceChance(source.to_string()))
            }
            _ => {
                let suggestion = METRIC_NAMES
                    .iter()
                    .map(|(known, _)| *known)
                    .chain([
                        "source.NAME.events",
                        "source.NAME.chance",
                        "topic.NAME.records",
                        "group.NAME.lag",
                        "subject.NAME.versions",
                        "avro.TOPIC.defaults",
                        "features.rows",
                    ])
                    .min_by_key(|known| sim::text::edit_distance(name, known))
                    .unwrap_or("tick");
                Err(format!(
                    "unknown metric \"{name}\"; did you mean \"{suggestion}\"?"
                ))
            }
        }
    }

    /// The name as written in a goal.
    pub fn name(&self) -> String {
        let plain = match self {
            Metric::Tick => "tick",
            Metric::EndTick => "end_tick",
            Metric::TicksBehindEnd => "ticks_behind_end",
            Metric::Commands => "commands",
            Metric::Events => "events",
            Metric::EventsByHand => "events_by_hand",
            Metric::Sources => "sources",
            Metric::MaxChance => "max_chance",
            Metric::SourceEvents(s) => return format!("source.{s}.events"),
            Metric::SourceChance(s) => return format!("source.{s}.chance"),
            Metric::Acked => "acked",
            Metric::AckedWithoutController => "acked_without_controller",
            Metric::Duplicates => "duplicates",
            Metric::Reordered => "reordered",
            Metric::Consumers => "consumers",
            Metric::QueueReady => "queue_ready",
            Metric::QueueDeleted => "queue_deleted",
            Metric::QueueRedelivered => "queue_redelivered",
            Metric::LostAcked => "lost_acked",
            Metric::LostAckedAll => "lost_acked_all",
            Metric::UnderReplicated => "under_replicated",
            Metric::Offline => "offline",
            Metric::Elections => "elections",
            Metric::UncleanElections => "unclean_elections",
            Metric::BrokersUp => "brokers_up",
            Metric::Fenced => "fenced",
            Metric::ControllerTerm => "controller_term",
            Metric::Truncations => "truncations",
            Metric::NotEnoughReplicas => "not_enough_replicas",
            Metric::Timeouts => "timeouts",
            Metric::FailedSends => "failed_sends",
            Metric::RetriesDeduplicated => "retries_deduplicated",
            Metric::OutOfOrder => "out_of_order",
            Metric::UnderMinIsr => "under_min_isr",
            Metric::OutOfSyncReplicas => "out_of_sync_replicas",
            Metric::FencedProducers => "fenced_producers",
            Metric::CommittedTxns => "committed_txns",
            Metric::AbortedTxns => "aborted_txns",
            Metric::RefusedTxnOffsets => "refused_txn_offsets",
            Metric::RegistrationsRefused => "registrations_refused",
            Metric::Subject(s, f) => return format!("subject.{s}.{}", f.name),
            Metric::Avro(t, f) => return format!("avro.{t}.{}", f.name),
            Metric::Topic(t, f) => return format!("topic.{t}.{}", f.name),
            Metric::Group(g, f) => return format!("group.{g}.{}", f.name),
            Metric::Features(f) => return format!("features.{}", f.name),
            Metric::Stream(f) => return format!("stream.{}", f.name),
            Metric::Rollout(f) => return format!("rollout.{}", f.name),
            Metric::Experiment(f) => return format!("experiment.{}", f.name),
            Metric::Pipeline(f) => return format!("pipeline.{}", f.name),
            Metric::Cluster(f) => return format!("cluster.{}", f.name),
        };
        plain.to_string()
    }
}

impl Metric {
    /// How goal feedback talks about this metric.
    pub fn describe(&self) -> Description {
        let plain = |words: Words| words.naming("");
        match self {
            Metric::Tick => plain(level("the tick on screen", Unit::Tick)),
            Metric::EndTick => plain(level("the furthest tick the clock has run to", Unit::Tick)),
            Metric::TicksBehindEnd => plain(level(
                "how far back from the latest tick you are looking",
                Unit::Things("tick", "ticks"),
            )),
            Metric::Commands => plain(so_far("command in the journal", "commands in the journal")),
            Metric::Events => plain(so_far("event emitted", "events emitted")),
            Metric::EventsByHand => plain(so_far(
                "event emitted with the Emit button",
                "events emitted with the Emit button",
            )),
            Metric::Sources => plain(count("event source", "event sources")),
            Metric::MaxChance => plain(level(
                "the highest chance per tick of any source",
                Unit::Permille,
            )),
            Metric::SourceEvents(name) => {
                so_far("event from source {}", "events from source {}").naming(name)
            }
            Metric::SourceChance(name) => {
                level("the chance per tick of source {}", Unit::Permille).naming(name)
            }
            Metric::Acked => plain(so_far(
                "record acknowledged to a producer",
                "records acknowledged to producers",
            )),
            Metric::AckedWithoutController => plain(so_far(
                "record acknowledged while no controller was active",
                "records acknowledged while no controller was active",
            )),
            Metric::Duplicates => plain(so_far(
                "record written more than once",
                "records written more than once",
            )),
            Metric::Reordered => plain(so_far(
                "partition where a producer's records landed out of order",
                "partitions where a producer's records landed out of order",
            )),
            Metric::Consumers => plain(count("consumer running", "consumers running")),
            Metric::QueueReady => plain(count(
                "message waiting in the queue",
                "messages waiting in the queue",
            )),
            Metric::QueueDeleted => plain(so_far(
                "queue message acknowledged and deleted",
                "queue messages acknowledged and deleted",
            )),
            Metric::QueueRedelivered => plain(so_far(
                "queue message delivered again after a crash",
                "queue messages delivered again after a crash",
            )),
            Metric::LostAcked => plain(so_far(
                "acknowledged record lost",
                "acknowledged records lost",
            )),
            Metric::LostAckedAll => plain(so_far(
                "acknowledged acks=all record lost",
                "acknowledged acks=all records lost",
            )),
            Metric::UnderReplicated => plain(count(
                "under-replicated partition",
                "under-replicated partitions",
            )),
            Metric::Offline => plain(count(
                "partition offline (no leader)",
                "partitions offline (no leader)",
            )),
            Metric::Elections => plain(so_far("leader election", "leader elections")),
            Metric::UncleanElections => plain(so_far(
                "unclean leader election",
                "unclean leader elections",
            )),
            Metric::BrokersUp => plain(count("broker running", "brokers running")),
            Metric::Fenced => plain(count(
                "broker fenced by the controller",
                "brokers fenced by the controller",
            )),
            Metric::ControllerTerm => plain(level("the controller quorum's term", Unit::Plain)),
            Metric::Truncations => plain(so_far(
                "log truncation on a follower",
                "log truncations on followers",
            )),
            Metric::NotEnoughReplicas => plain(so_far(
                "write refused for too few in-sync replicas",
                "writes refused for too few in-sync replicas",
            )),
            Metric::Timeouts => plain(so_far(
                "acks=all write that timed out",
                "acks=all writes that timed out",
            )),
            Metric::FailedSends => plain(so_far(
                "record the producer gave up on",
                "records the producer gave up on",
            )),
            Metric::RetriesDeduplicated => plain(so_far(
                "retried batch the leader recognised and did not write again",
                "retried batches the leader recognised and did not write again",
            )),
            Metric::OutOfOrder => plain(so_far(
                "batch refused for arriving ahead of its sequence",
                "batches refused for arriving ahead of their sequence",
            )),
            Metric::UnderMinIsr => plain(count(
                "partition below its minimum in-sync replicas",
                "partitions below their minimum in-sync replicas",
            )),
            Metric::OutOfSyncReplicas => {
                plain(count("replica out of sync", "replicas out of sync"))
            }
            Metric::FencedProducers => plain(count(
                "producer fenced by a newer instance",
                "producers fenced by a newer instance",
            )),
            Metric::CommittedTxns => {
                plain(so_far("transaction committed", "transactions committed"))
            }
            Metric::AbortedTxns => plain(so_far("transaction aborted", "transactions aborted")),
            Metric::RefusedTxnOffsets => plain(so_far(
                "transaction's offsets refused for stale group metadata",
                "transactions' offsets refused for stale group metadata",
            )),
            Metric::RegistrationsRefused => plain(so_far(
                "schema registration refused (409)",
                "schema registrations refused (409)",
            )),
            Metric::Topic(name, field)
            | Metric::Group(name, field)
            | Metric::Subject(name, field)
            | Metric::Avro(name, field) => field.words.naming(name),
            Metric::Features(field)
            | Metric::Stream(field)
            | Metric::Rollout(field)
            | Metric::Experiment(field)
            | Metric::Pipeline(field)
            | Metric::Cluster(field) => field.words.naming(""),
        }
    }
}

/// The field called `name`, or the list of known names.
fn find_field(fields: &'static [Field], name: &str) -> Result<&'static Field, String> {
    fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", "))
}

/// What a goal is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// The state at the tick on screen.
    pub lab: &'a Lab,
    /// The journal that state was replayed from.
    pub journal: &'a Journal,
}

impl Observation<'_> {
    /// The metric's value, or `None` when it names a source that does not exist.
    pub fn value(&self, metric: &Metric) -> Option<i64> {
        let stream = self.lab.stream();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Some(match metric {
            Metric::Tick => count(self.lab.now().0),
            Metric::EndTick => count(self.journal.end().0),
            Metric::TicksBehindEnd => count(self.journal.end().ticks_since(self.lab.now())),
            Metric::Commands => count(self.journal.entries().len() as u64),
            Metric::Events => count(stream.events_total()),
            Metric::EventsByHand => count(stream.sources().iter().map(|s| s.emitted_by_hand).sum()),
            Metric::Sources => count(stream.sources().len() as u64),
            Metric::MaxChance => i64::from(
                stream
                    .sources()
                    .iter()
                    .map(|s| s.chance_per_tick_permille)
                    .max()
                    .unwrap_or(0),
            ),
            Metric::SourceEvents(name) => count(stream.source_named(name)?.emitted_total),
            Metric::SourceChance(name) => {
                i64::from(stream.source_named(name)?.chance_per_tick_permille)
            }
            Metric::Acked => count(
                self.lab
                    .cluster()?
                    .producers()
                    .values()
                    .map(|p| p.acked_records())
                    .sum(),
            ),
            Metric::Duplicates => {
                count(self.lab.cluster()?.history_report().duplicates.len() as u64)
            }
            Metric::Reordered => count(
                self.lab
                    .cluster()?
                    .history_report()
                    .nonmonotonic_sends
                    .len() as u64,
            ),
            Metric::Consumers => count(
                self.lab
                    .cluster()?
                    .consumers()
                    .values()
                    .filter(|c| c.is_running())
                    .count() as u64,
            ),
            Metric::QueueReady => count(self.lab.queue()?.ready.len() as u64),
            Metric::QueueDeleted => count(self.lab.queue()?.deleted),
            Metric::QueueRedelivered => count(self.lab.queue()?.redeliveries),
            Metric::AckedWithoutController => {
                count(self.lab.cluster()?.ledger().acked_without_controller())
            }
            Metric::LostAcked => count(self.lab.cluster()?.ledger().lost().len() as u64),
            Metric::LostAckedAll => count(self.lab.cluster()?.ledger().lost_acks_all() as u64),
            Metric::UnderReplicated => {
                count(partitions(self.lab.cluster()?, |p| p.under_replicated()))
            }
            Metric::Offline => count(partitions(self.lab.cluster()?, |p| p.offline())),
            Metric::Elections => count(self.lab.cluster()?.elections().0),
            Metric::UncleanElections => count(self.lab.cluster()?.elections().1),
            Metric::BrokersUp => count(
                self.lab
                    .cluster()?
                    .brokers()
                    .iter()
                    .filter(|b| b.running())
                    .count() as u64,
            ),
            Metric::Fenced => {
                let c = self.lab.cluster()?;
                count(
                    c.controller()
                        .registrations()
                        .values()
                        .filter(|r| r.fenced)
                        .count() as u64,
                )
            }
            Metric::ControllerTerm => i64::from(self.lab.cluster()?.controller().term()),
            Metric::Truncations => count(self.lab.cluster()?.truncations()),
            Metric::NotEnoughReplicas => {
                let errors = &self.lab.cluster()?.produce_errors();
                let n = |code: &str| errors.get(code).copied().unwrap_or(0);
                count(n("NOT_ENOUGH_REPLICAS") + n("NOT_ENOUGH_REPLICAS_AFTER_APPEND"))
            }
            Metric::Timeouts => count(
                self.lab
                    .cluster()?
                    .produce_errors()
                    .get("REQUEST_TIMED_OUT")
                    .copied()
                    .unwrap_or(0),
            ),
            Metric::FailedSends => count(
                self.lab
                    .cluster()?
                    .sends()
                    .iter()
                    .filter(|s| s.outcome == crate::broker::cluster::SendOutcome::Failed)
                    .count() as u64,
            ),
            Metric::RetriesDeduplicated => count(self.lab.cluster()?.retries_deduplicated()),
            Metric::OutOfOrder => count(
                self.lab
                    .cluster()?
                    .produce_errors()
                    .get("OUT_OF_ORDER_SEQUENCE_NUMBER")
                    .copied()
                    .unwrap_or(0),
            ),
            Metric::UnderMinIsr => count(u64::from(
                cluster_metrics(self.lab.cluster()?, self.lab.now()).under_min_isr,
            )),
            Metric::OutOfSyncReplicas => count(u64::from(
                cluster_metrics(self.lab.cluster()?, self.lab.now()).out_of_sync_replicas,
            )),
            Metric::FencedProducers => count(self.lab.cluster()?.fenced_producers()),
            Metric::CommittedTxns => count(self.lab.cluster()?.transactions_ended().0),
            Metric::AbortedTxns => count(self.lab.cluster()?.transactions_ended().1),
            Metric::RefusedTxnOffsets => count(self.lab.cluster()?.refused_txn_offsets()),
            Metric::RegistrationsRefused => count(self.lab.registry()?.refused_registrations()),
            Metric::Subject(name, field) => {
                crate::schemas::subject_value(self.lab, name, field.name)?
            }
            Metric::Avro(topic, field) => crate::schemas::avro_value(self.lab, topic, field.name)?,
            Metric::Topic(name, field) => {
                topic_value(self.lab.cluster()?.topics().get(name)?, field.name)
            }
            Metric::Group(name, field) => {
                group_value(self.lab.cluster()?, name, field.name, self.lab.now())
            }
            Metric::Features(field) => crate::feature_lab::feature_value(self.lab, field.name)?,
            Metric::Stream(field) => crate::stream_lab::glue::stream_value(self.lab, field.name)?,
            Metric::Rollout(field) => {
                crate::rollout_lab::glue::rollout_value(self.lab, field.name)?
            }
            Metric::Experiment(field) => {
                crate::experiment_lab::glue::experiment_value(self.lab, field.name)?
            }
            Metric::Pipeline(field) => {
                crate::pipeline_lab::glue::pipeline_value(self.lab, field.name)?
            }
            Metric::Cluster(field) => {
                crate::cluster_lab::glue::cluster_value(self.lab, field.name)?
            }
        })
    }
}

/// How many partitions of every topic satisfy `pred`.
fn partitions(
    cluster: &crate::broker::cluster::Cluster,
    pred: impl Fn(&crate::broker::topic::Partition) -> bool,
) -> u64 {
    cluster
        .topics()
        .values()
        .flat_map(|t| t.partitions().iter())
        .filter(|p| pred(p))
        .count() as u64
}

fn topic_value(topic: &crate::broker::topic::Topic, field: &str) -> i64 {
    let logs = || {
        topic
            .partitions()
            .iter()
            .filter_map(|p| p.elected_leader_log())
    };
    let parts = || topic.partitions().iter();
    let n = match field {
        "hw" => parts().map(|p| p.hw().0).sum(),
        "isr_min" => parts().map(|p| p.isr().len() as u64).min().unwrap_or(0),
        "leader_epoch" => parts()
            .map(|p| u64::from(p.leader_epoch()))
            .max()
            .unwrap_or(0),
        "under_replicated" => parts().filter(|p| p.under_replicated()).count() as u64,
        "offline" => parts().filter(|p| p.offline()).count() as u64,
        "lso" => parts()
            .map(|p| p.leader_log().map_or(0, |l| l.last_stable_offset(p.hw()).0))
            .sum(),
        "markers" => logs().map(|l| l.marker_offsets().len() as u64).sum(),
        "records" => topic.record_count() as u64,
        "partitions" => topic.partitions().len() as u64,
        "segments" => logs().map(|l| l.segments().len() as u64).sum(),
        "log_start" => logs().map(|l| l.log_start().0).sum(),
        "busiest" => logs().map(|l| l.record_count() as u64).max().unwrap_or(0),
        "quietest" => logs().map(|l| l.record_count() as u64).min().unwrap_or(0),
        "quietest_keyless" => logs()
            .map(|l| l.records().filter(|r| r.key.is_none()).count() as u64)
            .min()
            .unwrap_or(0),
        // Offsets between the log start and the end that no longer hold a record: compaction's work.
        "gaps" => logs()
            .map(|l| (l.leo().0 - l.log_start().0).saturating_sub(l.record_count() as u64))
            .sum(),
        "tombstones" => logs()
            .map(|l| l.records().filter(|r| r.is_tombstone()).count() as u64)
            .sum(),
        "bytes_per_record" => {
            logs().map(|l| l.size_bytes()).sum::<u64>() / (topic.record_count() as u64).max(1)
        }
        _ => logs().map(|l| l.size_bytes()).sum(),
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

use crate::broker::group::GroupProtocol;
use crate::broker::kip848::MemberState;

fn group_value(
    cluster: &crate::broker::cluster::Cluster,
    name: &str,
    field: &str,
    now: crate::clock::Tick,
) -> i64 {
    let Some(group) = cluster.groups().get(name) else {
        return 0;
    };
    let members = || {
        cluster
            .consumers()
            .values()
            .filter(|c| c.group() == name && c.is_running())
    };
    let report = || cluster.history_report();
    let n = match field {
        "members" => match group.protocol() {
            GroupProtocol::Classic => group.members().len() as u64,
            GroupProtocol::Consumer => group.coordinator().members.len() as u64,
        },
        "kip848" => u64::from(group.protocol() == GroupProtocol::Consumer),
        "poll_timeouts" => u64::from(group.liveness().poll_timeouts),
        "commit_failures" => u64::from(group.liveness().commit_failures),
        "static_rejoins" => u64::from(group.liveness().static_rejoins),
        "paused_member_ticks" => group.liveness().paused_member_ticks,
        "unowned_partition_ticks" => group.liveness().unowned_partition_ticks,
        "rounds" => u64::from(group.rebalance_rounds()),
        "requests" => group.liveness().requests,
        "group_epoch" => u64::from(group.coordinator().group_epoch),
        "stable_members" => {
            let c = group.coordinator();
            c.members
                .values()
                .filter(|m| {
                    m.reconciliation.state == MemberState::Stable
                        && m.reconciliation.epoch == c.target_epoch
                })
                .count() as u64
        }
        "generation" => u64::try_from(group.generation()).unwrap_or(0),
        "lag" => group_lag(cluster, name, now).map_or(0, |g| g.total_records()),
        // Whole seconds of the oldest uncommitted record's age (a tick is 100 ms).
        "lag_seconds" => {
            group_lag(cluster, name, now).map_or(0, |g| g.max_ticks())
                * crate::broker::log::MS_PER_TICK
                / 1000
        }
        "rebalances" => u64::from(group.rebalances()),
        "rebalances_since_assignor" => u64::from(group.rebalances_since_strategy_change()),
        "idle" => members().filter(|c| c.owned().is_empty()).count() as u64,
        "delivered" => members().map(|c| c.deliveries_total()).sum(),
        "redeliveries" => report().redeliveries.iter().filter(|r| r.0 == name).count() as u64,
        "resets" => cluster
            .consumers()
            .values()
            .filter(|c| c.group() == name)
            .map(|c| u64::from(c.offset_resets()))
            .sum(),
        "cooperative" => u64::from(group.strategy().is_cooperative()),
        "aborted_seen" => cluster.aborted_records_delivered(name),
        "duplicate_values" => cluster.duplicate_values_delivered(name),
        _ => report().skipped.iter().filter(|r| r.0 == name).count() as u64,
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Tick;
    use crate::state::{Command, LabConfig};
    use crate::stream::SourceId;
    use crate::timeline::Timeline;

    #[test]
    fn every_listed_name_parses_and_round_trips() {
        for (name, _) in METRIC_NAMES {
            assert_eq!(Metric::parse(name).unwrap().name(), *name);
        }
        assert_eq!(
            Metric::parse("source.a.events").unwrap(),
            Metric::SourceEvents("a".into())
        );
    }

    /// Whether a word looks like `topic.NAME.FIELD` (two dots or more).
    fn has_dotted_name(text: &str) -> bool {
        text.split_whitespace()
            .any(|word| word.matches('.').count() >= 2)
    }

    /// Every metric a goal can name, with sample names for sources, topics and groups.
    fn every_metric() -> Vec<Metric> {
        let plain = METRIC_NAMES.iter().map(|(name, _)| name.to_string());
        let named = ["source.a.events", "source.a.chance"].map(String::from);
        let topics = TOPIC_FIELDS
            .iter()
            .map(|f| format!("topic.orders.{}", f.name));
        let groups = GROUP_FIELDS.iter().map(|f| format!("group.g.{}", f.name));
        let subjects = SUBJECT_FIELDS
            .iter()
            .map(|f| format!("subject.users-value.{}", f.name));
        let avro = AVRO_FIELDS.iter().map(|f| format!("avro.users.{}", f.name));
        plain
            .chain(named)
            .chain(topics)
            .chain(groups)
            .chain(subjects)
            .chain(avro)
            .map(|name| Metric::parse(&name).unwrap())
            .collect()
    }

    /// Goal feedback is built from these words: each metric has its own, and none of them is
    /// the metric's name in goal syntax (snake_case or dotted; a plain word such as "tick" may
    /// of course appear).
    #[test]
    fn every_metric_has_words_a_learner_reads() {
        let mut subjects = std::collections::BTreeSet::new();
        for metric in every_metric() {
            let description = metric.describe();
            let subject = description.subject();
            let texts = [0, 1, 2, 1500]
                .into_iter()
                .flat_map(|v| [description.amount(v), description.brief(v)])
                .chain([subject.clone()]);
            for text in texts {
                assert!(
                    !text.contains('_') && !has_dotted_name(&text) && !text.trim().is_empty(),
                    "{}: \"{text}\"",
                    metric.name()
                );
            }
            assert!(
                subjects.insert(subject),
                "{} reads like another metric",
                metric.name()
            );
        }
        assert_eq!(
            subjects.len(),
            METRIC_NAMES.len()
                + 2
                + TOPIC_FIELDS.len()
                + GROUP_FIELDS.len()
                + SUBJECT_FIELDS.len()
                + AVRO_FIELDS.len()
        );
    }

    #[test]
    fn units_format_values() {
        assert_eq!(Unit::Tick.format(12), "tick 12");
        assert_eq!(Unit::Permille.format(300), "30%");
        assert_eq!(Unit::Permille.format(5), "0.5%");
        assert_eq!(Unit::Permille.format(-5), "-0.5%");
        assert_eq!(Unit::Permille.format(-125), "-12.5%");
        assert_eq!(Unit::Bytes.format(1), "1 byte");
        assert_eq!(Unit::Things("replica", "replicas").format(1), "1 replica");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-1000), "-1,000");
        assert_eq!(grouped(999), "999");
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let err = Metric::parse("tik").unwrap_err();
        assert!(err.contains("did you mean \"tick\""), "{err}");
        assert!(Metric::parse("source..events").is_err());
    }

    #[test]
    fn values_follow_the_observed_state() {
        let mut timeline = Timeline::new(LabConfig::default());
        for _ in 0..30 {
            timeline.advance_head().unwrap();
        }
        timeline
            .apply_at(
                Tick(30),
                Command::Emit {
                    source: SourceId(1),
                    count: 4,
                },
            )
            .unwrap();
        let lab = timeline.state_at(Tick(10));
        let obs = Observation {
            lab: &lab,
            journal: timeline.journal(),
        };
        assert_eq!(obs.value(&Metric::Tick), Some(10));
        assert_eq!(obs.value(&Metric::EndTick), Some(30));
        assert_eq!(obs.value(&Metric::TicksBehindEnd), Some(20));
        assert_eq!(obs.value(&Metric::Commands), Some(1));
        assert_eq!(obs.value(&Metric::EventsByHand), Some(0));
        assert_eq!(obs.value(&Metric::SourceChance("a".into())), Some(300));
        assert_eq!(obs.value(&Metric::SourceEvents("zzz".into())), None);
        let head = timeline.head();
        let obs = Observation {
            lab: head,
            journal: timeline.journal(),
        };
        assert_eq!(obs.value(&Metric::EventsByHand), Some(4));
    }

    /// The overview's numbers as goals: a crashed broker in the replicated preset leaves each
    /// partition one replica out of sync, at (not under) its minimum ISR; a crashed consumer's
    /// lag in time grows one second per ten ticks.
    #[test]
    fn overview_metrics_follow_a_crash() {
        use crate::broker::cluster::BrokerCommand as B;
        use crate::broker::group::{ConsumerConfig, ConsumerId, OffsetReset};
        use crate::broker::producer::ProducerId;
        use crate::broker::BrokerId;
        use crate::state::Preset;
        let mut timeline = Timeline::new(LabConfig {
            preset: Preset::Replicated,
            ..LabConfig::default()
        });
        let at = |timeline: &mut Timeline, tick: u64, command: B| {
            while timeline.head().now().0 < tick {
                timeline.advance_head().unwrap();
            }
            timeline
                .apply_at(Tick(tick), Command::Broker(command))
                .unwrap();
        };
        at(
            &mut timeline,
            0,
            B::AddConsumer {
                group: "g".into(),
                topics: vec!["orders".into()],
                instance_id: None,
                config: ConsumerConfig {
                    auto_offset_reset: OffsetReset::Earliest,
                    ..ConsumerConfig::default()
                },
            },
        );
        at(
            &mut timeline,
            10,
            B::CrashConsumer {
                consumer: ConsumerId(1),
            },
        );
        at(
            &mut timeline,
            20,
            B::Produce {
                producer: ProducerId(1),
                topic: "orders".into(),
                partition: None,
                key: None,
                value: Some("v{n}".into()),
                count: 6,
                header: None,
            },
        );
        at(
            &mut timeline,
            20,
            B::KillBroker {
                broker: BrokerId(3),
            },
        );
        while timeline.head().now().0 < 220 {
            timeline.advance_head().unwrap();
        }
        let observe = |tick: u64, metric: &str| {
            let lab = timeline.state_at(Tick(tick));
            let obs = Observation {
                lab: &lab,
                journal: timeline.journal(),
            };
            obs.value(&Metric::parse(metric).unwrap()).unwrap()
        };
        assert_eq!(observe(15, "out_of_sync_replicas"), 0);
        assert_eq!(observe(220, "out_of_sync_replicas"), 3);
        assert_eq!(
            observe(220, "under_min_isr"),
            0,
            "ISR 2 is min.insync.replicas 2"
        );
        assert_eq!(observe(15, "group.g.lag_seconds"), 0);
        assert_eq!(
            observe(220, "group.g.lag_seconds"),
            20,
            "written at tick 20"
        );
    }
}
