//! Named numeric facts about a lab: the vocabulary lesson goals are written in.
//!
//! A goal such as `tick >= 50 and events_by_hand >= 3` is checked against an [`Observation`]:
//! the state at the tick the learner is looking at, plus the journal it came from (so a goal can
//! ask "has the learner rewound?"). Names are parsed once, so a lesson that mentions a metric that
//! does not exist fails the lesson lint rather than a learner.

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
    ("acked", "records the broker acknowledged to producers"),
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
];

/// Fields of `topic.NAME.FIELD`.
pub const TOPIC_FIELDS: &[&str] = &[
    "records",
    "partitions",
    "segments",
    "log_start",
    "bytes",
    "busiest",
    "quietest",
    "gaps",
    "tombstones",
    "bytes_per_record",
    "hw",
    "isr_min",
    "leader_epoch",
    "under_replicated",
    "offline",
];
/// Fields of `group.NAME.FIELD`.
pub const GROUP_FIELDS: &[&str] = &[
    "members",
    "generation",
    "lag",
    "rebalances",
    "idle",
    "delivered",
    "redeliveries",
    "skipped",
    "resets",
    "cooperative",
];

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
    /// `topic.NAME.FIELD`, a field from [`TOPIC_FIELDS`].
    Topic(String, &'static str),
    /// `group.NAME.FIELD`, a field from [`GROUP_FIELDS`]; a group that does not exist yet has zeros.
    Group(String, &'static str),
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
            Metric::Acked,
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
            ["topic", topic, field] if !topic.is_empty() => TOPIC_FIELDS
                .iter()
                .find(|f| *f == field)
                .map(|f| Metric::Topic(topic.to_string(), f))
                .ok_or_else(|| {
                    format!(
                        "topics have no \"{field}\"; use one of {}",
                        TOPIC_FIELDS.join(", ")
                    )
                }),
            ["group", group, field] if !group.is_empty() => GROUP_FIELDS
                .iter()
                .find(|f| *f == field)
                .map(|f| Metric::Group(group.to_string(), f))
                .ok_or_else(|| {
                    format!(
                        "groups have no \"{field}\"; use one of {}",
                        GROUP_FIELDS.join(", ")
                    )
                }),
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
            Metric::Topic(t, f) => return format!("topic.{t}.{f}"),
            Metric::Group(g, f) => return format!("group.{g}.{f}"),
        };
        plain.to_string()
    }
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
            Metric::Topic(name, field) => {
                topic_value(self.lab.cluster()?.topics().get(name)?, field)
            }
            Metric::Group(name, field) => group_value(self.lab.cluster()?, name, field),
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
        "records" => topic.record_count() as u64,
        "partitions" => topic.partitions().len() as u64,
        "segments" => logs().map(|l| l.segments().len() as u64).sum(),
        "log_start" => logs().map(|l| l.log_start().0).sum(),
        "busiest" => logs().map(|l| l.record_count() as u64).max().unwrap_or(0),
        "quietest" => logs().map(|l| l.record_count() as u64).min().unwrap_or(0),
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

fn group_value(cluster: &crate::broker::cluster::Cluster, name: &str, field: &str) -> i64 {
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
        "members" => group.members().len() as u64,
        "generation" => u64::try_from(group.generation()).unwrap_or(0),
        "lag" => cluster
            .lags()
            .iter()
            .filter(|(g, _, _)| g == name)
            .map(|(_, _, lag)| lag)
            .sum(),
        "rebalances" => u64::from(group.rebalances()),
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
}
