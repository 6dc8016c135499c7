//! Fork and compare: "what if this lab had run with other replication settings from the tick on
//! screen?" A second timeline starts from the state at that tick, takes the setting changes, then
//! replays the same later commands at the same ticks, up to the same end. Both outcomes are then
//! summarised side by side.
//!
//! It lives in the core, not the app, because it is simulation logic: a pure function of a
//! timeline, measured by `bench::fork_benchmark`. It is built from the timeline API (`branch_at`,
//! `apply_at`, `advance_head`), so the fork is as deterministic as any timeline: same seed, same
//! commands, same state. The fork starts from the state the original timeline keeps for the tick
//! on screen, so it replays only from the fork point on. The settings stay pinned in the fork: a
//! later command that sets acks, min.insync.replicas or unclean.leader.election again is replayed
//! with the fork's value, so the comparison answers "what if the setting had been this from here
//! on".
//!
//! [`pipeline`] compares across engines in the pipeline world: the same fork, with the job's,
//! the store's and the rollout's settings too, judged downstream (features, rollout, experiment).

pub mod pipeline;

use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::producer::{Acks, ProducerConfig};
use crate::broker::topic::TopicSettings;
use crate::clock::Tick;
use crate::state::{Command, Lab};
use crate::timeline::Timeline;
use std::rc::Rc;

/// Most extra ticks both timelines may run after the journal's end.
pub const EXTRA_TICKS_MAX: u64 = 5_000;
/// Replayed commands the fork refused, listed by name (the rest are counted).
pub const REFUSALS_LISTED_MAX: usize = 5;

/// The settings a fork changes; `None` keeps the original's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Every producer's acks (idempotence is switched off for acks=0 and acks=1, which Kafka
    /// requires).
    pub acks: Option<Acks>,
    /// Every topic's min.insync.replicas.
    pub min_insync_replicas: Option<u8>,
    /// Every topic's unclean.leader.election.enable.
    pub unclean_leader_election: Option<bool>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// "acks=1, unclean.leader.election=on" for headings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(acks) = self.acks {
            parts.push(format!("acks={}", acks.name()));
        }
        if let Some(n) = self.min_insync_replicas {
            parts.push(format!("min.insync.replicas={n}"));
        }
        if let Some(on) = self.unclean_leader_election {
            parts.push(format!(
                "unclean.leader.election={}",
                if on { "on" } else { "off" }
            ));
        }
        parts.join(", ")
    }

    fn producer(&self, config: ProducerConfig) -> ProducerConfig {
        match self.acks {
            None => config,
            Some(acks) => ProducerConfig {
                acks,
                idempotence: config.idempotence && acks == Acks::All,
                ..config
            },
        }
    }

    fn topic(&self, settings: TopicSettings) -> TopicSettings {
        TopicSettings {
            min_insync_replicas: self
                .min_insync_replicas
                .unwrap_or(settings.min_insync_replicas),
            unclean_leader_election: self
                .unclean_leader_election
                .unwrap_or(settings.unclean_leader_election),
            ..settings
        }
    }

    /// A later command as the fork replays it: with the pinned settings in place of its own.
    pub fn pin(&self, command: &Command) -> Command {
        let Command::Broker(broker) = command else {
            return command.clone();
        };
        Command::Broker(match broker.clone() {
            BrokerCommand::AddProducer { config } => BrokerCommand::AddProducer {
                config: self.producer(config),
            },
            BrokerCommand::SetProducerConfig { producer, config } => {
                BrokerCommand::SetProducerConfig {
                    producer,
                    config: self.producer(config),
                }
            }
            BrokerCommand::CreateTopic {
                name,
                partitions,
                settings,
            } => BrokerCommand::CreateTopic {
                name,
                partitions,
                settings: self.topic(settings),
            },
            BrokerCommand::SetTopicSettings { topic, settings } => {
                BrokerCommand::SetTopicSettings {
                    topic,
                    settings: self.topic(settings),
                }
            }
            BrokerCommand::AlterTopicConfig {
                topic,
                min_insync_replicas,
                unclean_leader_election,
            } => BrokerCommand::AlterTopicConfig {
                topic,
                min_insync_replicas: self.min_insync_replicas.or(min_insync_replicas),
                unclean_leader_election: self.unclean_leader_election.or(unclean_leader_election),
            },
            other => other,
        })
    }

    /// The commands that put the changes in place on `lab`: one per producer, one per topic.
    pub fn commands(&self, lab: &Lab) -> Vec<Command> {
        let Some(cluster) = lab.cluster() else {
            return Vec::new();
        };
        let mut commands = Vec::new();
        if self.acks.is_some() {
            for p in cluster.producers().values() {
                commands.push(Command::Broker(BrokerCommand::SetProducerConfig {
                    producer: p.id(),
                    config: self.producer(*p.config()),
                }));
            }
        }
        if self.min_insync_replicas.is_some() || self.unclean_leader_election.is_some() {
            for topic in cluster.topics().keys() {
                commands.push(Command::Broker(BrokerCommand::AlterTopicConfig {
                    topic: topic.clone(),
                    min_insync_replicas: self.min_insync_replicas,
                    unclean_leader_election: self.unclean_leader_election,
                }));
            }
        }
        commands
    }
}

/// How a timeline ended, in the numbers the comparison shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub end: Tick,
    pub ledger: LedgerCounts,
    pub elections: u64,
    pub unclean_elections: u64,
    pub offline: usize,
    pub under_replicated: usize,
    pub truncations: u64,
    /// acks=all writes refused before appending (NOT_ENOUGH_REPLICAS).
    pub not_enough_replicas: u64,
    /// Every produce error answered.
    pub produce_errors: u64,
    /// Records the producers gave up on.
    pub failed_records: u64,
}

/// The acknowledged-writes ledger in four numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    /// Records the producers were told are written.
    pub acknowledged: u64,
    /// Acknowledged records the partition's current leader still has.
    pub present: u64,
    /// Acknowledged records of partitions with no leader now (nobody can tell).
    pub unknown: u64,
    /// Acknowledged records the leader lacks that the ledger has not recorded as lost yet (it
    /// checks on leader changes and truncations).
    pub missing: u64,
    pub lost: u64,
    /// Lost records that had been acknowledged with acks=all.
    pub lost_acks_all: u64,
}

/// Counts the ledger of `cluster`: one presence check per acknowledged record, judged as
/// [`crate::broker::ledger::leader_has`] judges it.
pub fn ledger_counts(cluster: &Cluster) -> LedgerCounts {
    let mut counts = LedgerCounts {
        acknowledged: cluster.ledger().acked(),
        lost: cluster.ledger().lost().len() as u64,
        lost_acks_all: cluster.ledger().lost_acks_all() as u64,
        ..LedgerCounts::default()
    };
    for topic in cluster.topics().values() {
        for p in topic.partitions() {
            let tp = crate::broker::group::TopicPartition {
                topic: topic.name().to_string(),
                partition: p.id(),
            };
            let entries = cluster.ledger().entries(&tp).iter().filter(|e| !e.lost);
            let Some(log) = p.elected_leader_log() else {
                counts.unknown += entries.count() as u64;
                continue;
            };
            let mut epochs = EpochCursor {
                epochs: log.epochs(),
                at: 0,
            };
            for entry in entries {
                let held = entry.offset < log.log_start()
                    || (entry.offset < log.leo()
                        && epochs.epoch_at(entry.offset) == Some(entry.epoch));
                if held {
                    counts.present += 1;
                } else {
                    counts.missing += 1;
                }
            }
        }
    }
    counts
}

/// A walk along a log's leader-epoch cache: the records of a partition's ledger come mostly in
/// offset order, so the epoch of the next one is nearly always the one found last, and the cache
/// is searched only when it is not (a count per record, as the ledger view and every comparison
/// make, then costs no search per record).
struct EpochCursor<'a> {
    epochs: &'a [(u32, crate::broker::log::Offset)],
    /// The cache entry found last.
    at: usize,
}

impl EpochCursor<'_> {
    /// [`crate::broker::log::PartitionLog::epoch_at`]: the epoch `offset` was written in.
    fn epoch_at(&mut self, offset: crate::broker::log::Offset) -> Option<u32> {
        let starts_at_or_before = |i: usize| self.epochs.get(i).is_some_and(|e| e.1 <= offset);
        let found_last = starts_at_or_before(self.at) && !starts_at_or_before(self.at + 1);
        if !found_last {
            let after = self.epochs.partition_point(|e| e.1 <= offset);
            self.at = after.checked_sub(1)?;
        }
        Some(self.epochs[self.at].0)
    }
}

/// The outcome of the state `lab`.
pub fn outcome(lab: &Lab) -> Option<Outcome> {
    let cluster = lab.cluster()?;
    let partitions = || {
        cluster
            .topics()
            .values()
            .flat_map(|t| t.partitions().iter())
    };
    let (elections, unclean_elections) = cluster.elections();
    Some(Outcome {
        end: lab.now(),
        ledger: ledger_counts(cluster),
        elections,
        unclean_elections,
        offline: partitions().filter(|p| p.offline()).count(),
        under_replicated: partitions().filter(|p| p.under_replicated()).count(),
        truncations: cluster.truncations(),
        not_enough_replicas: cluster
            .produce_errors()
            .get("NOT_ENOUGH_REPLICAS")
            .copied()
            .unwrap_or(0),
        produce_errors: cluster.produce_errors().values().sum(),
        failed_records: cluster
            .producers()
            .values()
            .map(|p| p.failed_records())
            .sum(),
    })
}

/// Both timelines and their outcomes.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The tick the fork starts from.
    pub at: Tick,
    pub changes: Changes,
    pub extra_ticks: u64,
    pub original: Outcome,
    pub fork: Outcome,
    /// The forked timeline, to open in the lab.
    pub timeline: Rc<Timeline>,
    /// Later commands replayed in the fork.
    pub replayed: usize,
    /// Commands the fork refused (its state had diverged), as (tick, reason).
    pub refused: Vec<(Tick, String)>,
    /// Change commands the fork refused at the start, with the reason.
    pub change_refusals: Vec<String>,
}

/// Why no comparison could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareError {
    pub message: String,
    pub hint: String,
}

fn refusal(e: &crate::timeline::TimelineError) -> String {
    format!("{e} ({})", e.hint())
}

/// Advances `timeline` to `end`; fails only when the journal is full.
fn run_to(timeline: &mut Timeline, end: Tick) -> Result<(), CompareError> {
    while timeline.end() < end {
        timeline.advance_head().map_err(|e| CompareError {
            message: format!("the timeline cannot run further: {e}"),
            hint: "reset the lab, or compare with fewer extra ticks".into(),
        })?;
    }
    Ok(())
}

/// Forks `timeline` at `at` with `changes`, replays the later commands, runs both timelines
/// `extra_ticks` past the end, and compares them.
pub fn fork_and_compare(
    timeline: &Timeline,
    at: Tick,
    changes: Changes,
    extra_ticks: u64,
) -> Result<Comparison, CompareError> {
    if changes.is_empty() {
        return Err(CompareError {
            message: "the fork would be identical: no setting was changed".into(),
            hint: "choose acks, min.insync.replicas or unclean.leader.election for the fork".into(),
        });
    }
    let extra_ticks = extra_ticks.min(EXTRA_TICKS_MAX);
    let end = timeline.end();
    let at = at.min(end);
    // The fork starts as the original cut at `at`: its head is the state there, shared with the
    // original's (the state on screen, when the app forks at the cursor) until it moves on.
    let mut fork = timeline.branch_at(at);
    let change_commands = changes.commands(fork.head());
    if change_commands.is_empty() {
        return Err(CompareError {
            message: "there is no producer or topic to change at this tick".into(),
            hint: "move the time cursor to a tick where the cluster has topics and producers"
                .into(),
        });
    }
    let mut change_refusals = Vec::new();
    let mut forked = false;
    for command in change_commands {
        match fork.apply_at(at, command) {
            Ok(_) => forked = true,
            Err(e) => change_refusals.push(refusal(&e)),
        }
    }
    if !forked {
        return Err(CompareError {
            message: format!(
                "the fork refused every change: {}",
                change_refusals.join("; ")
            ),
            hint: "pick other settings".into(),
        });
    }
    let mut replayed = 0;
    let mut refused = Vec::new();
    for entry in timeline.journal().entries().iter().filter(|e| e.at > at) {
        run_to(&mut fork, entry.at)?;
        match fork.apply_at(entry.at, changes.pin(&entry.command)) {
            Ok(_) => replayed += 1,
            Err(e) => refused.push((entry.at, refusal(&e))),
        }
    }
    let target = Tick(end.0 + extra_ticks);
    run_to(&mut fork, target)?;
    let original_head = if extra_ticks == 0 {
        outcome(timeline.head())
    } else {
        let mut original = timeline.clone();
        run_to(&mut original, target)?;
        outcome(original.head())
    };
    let (Some(original), Some(forked_outcome)) = (original_head, outcome(fork.head())) else {
        return Err(CompareError {
            message: "this lab has no Kafka cluster to compare".into(),
            hint: "open the replication lab".into(),
        });
    };
    Ok(Comparison {
        at,
        changes,
        extra_ticks,
        original,
        fork: forked_outcome,
        timeline: Rc::new(fork),
        replayed,
        refused,
        change_refusals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;
    use crate::state::{LabConfig, Preset};
    use crate::steps::{parse_steps, run};

    const UNCLEAN: &str = "topic-config orders min-isr=1 unclean=on\nproduce orders key=k{n} value=a{n} count=100 partition=0\ntick 5\ncut-broker 2 from=brokers\ncut-broker 3 from=brokers\ntick 110\nproduce orders key=k{n} value=b{n} count=20 partition=0\ntick 3\nkill-broker 1\nheal-broker 2\nheal-broker 3\ntick 100\nproduce orders key=k{n} value=c{n} count=10 partition=0\ntick 5\nrestart-broker 1\ntick 20\n";

    fn unclean_run() -> Timeline {
        let config = LabConfig {
            seed: Seed(1),
            preset: Preset::Replicated,
        };
        run(config, &parse_steps(UNCLEAN).unwrap())
            .unwrap()
            .timeline
    }

    #[test]
    fn a_fork_without_unclean_election_loses_nothing_and_is_deterministic() {
        let timeline = unclean_run();
        let changes = Changes {
            unclean_leader_election: Some(false),
            ..Changes::default()
        };
        let original_hash = timeline.head().state_hash();
        let a = fork_and_compare(&timeline, Tick(0), changes, 0).unwrap();
        assert!(a.original.ledger.lost_acks_all >= 20, "{:?}", a.original);
        assert!(a.original.unclean_elections >= 1);
        assert_eq!(a.fork.ledger.lost, 0, "{:?}", a.fork);
        assert_eq!(a.fork.unclean_elections, 0);
        assert_eq!(a.fork.end, a.original.end);
        assert!(a.refused.is_empty(), "{:?}", a.refused);
        // Same seed and commands: the same state, twice and through a replay of the journal.
        let b = fork_and_compare(&timeline, Tick(0), changes, 0).unwrap();
        assert_eq!(
            a.timeline.head().state_hash(),
            b.timeline.head().state_hash()
        );
        let replayed = Timeline::from_journal(a.timeline.journal().clone()).unwrap();
        assert_eq!(replayed.head().state_hash(), a.timeline.head().state_hash());
        // The original is untouched.
        assert_eq!(timeline.head().state_hash(), original_hash);
    }

    /// The fork is the journal a learner would write by hand: the original's commands up to the
    /// fork tick, the changes there, then the later commands with the settings pinned. A fresh
    /// replay of that journal reaches the fork's state, whether the fork started from the state
    /// on screen or derived it first.
    #[test]
    fn a_fork_replays_to_the_state_of_a_fresh_replay_with_the_same_changes() {
        let timeline = crate::bench::fork_benchmark_lab(1200);
        let at = Tick(700);
        let changes = Changes {
            acks: Some(Acks::All),
            min_insync_replicas: Some(2),
            unclean_leader_election: Some(false),
        };
        let original_hash = timeline.head().state_hash();
        let cold = fork_and_compare(&timeline, at, changes, 40).unwrap();
        let on_screen = timeline.state_at_shared(at);
        let warm = fork_and_compare(&timeline, at, changes, 40).unwrap();
        let entries = timeline.journal().entries();
        let mut by_hand: Vec<crate::journal::Entry> =
            entries.iter().filter(|e| e.at <= at).cloned().collect();
        for command in changes.commands(&on_screen) {
            by_hand.push(crate::journal::Entry { at, command });
        }
        for e in entries.iter().filter(|e| e.at > at) {
            by_hand.push(crate::journal::Entry {
                at: e.at,
                command: changes.pin(&e.command),
            });
        }
        let journal = crate::journal::Journal::from_parts(
            *timeline.journal().config(),
            by_hand,
            Tick(timeline.end().0 + 40),
        )
        .unwrap();
        assert_eq!(cold.timeline.journal(), &journal);
        assert_eq!(warm.timeline.journal(), &journal);
        let fresh = Timeline::from_journal(journal).unwrap();
        assert_eq!(fresh.head().state_hash(), cold.timeline.head().state_hash());
        assert_eq!(fresh.head().state_hash(), warm.timeline.head().state_hash());
        assert_eq!(cold.original, warm.original);
        assert_ne!(cold.timeline.head().state_hash(), original_hash);
        // The fork's checkpoints hold the fresh replay's states.
        let middle = Tick(900);
        assert_eq!(
            warm.timeline.state_at(middle).state_hash(),
            fresh.state_at(middle).state_hash()
        );
        // Forking changed neither the original nor the state on screen.
        assert_eq!(
            on_screen.state_hash(),
            crate::journal::replay(timeline.journal(), at)
                .unwrap()
                .state_hash()
        );
        assert_eq!(timeline.end(), Tick(1200));
        assert_eq!(warm.original.end, Tick(1240));
    }

    /// The per-partition walk counts exactly what one `leader_has` per record counts, through
    /// elections, truncations, offline partitions and losses.
    #[test]
    fn ledger_counts_agree_with_a_presence_check_per_record() {
        fn one_check_per_record(cluster: &Cluster) -> (u64, u64, u64) {
            let mut counts = (0, 0, 0);
            for topic in cluster.topics().values() {
                for p in topic.partitions() {
                    let tp = crate::broker::group::TopicPartition {
                        topic: topic.name().to_string(),
                        partition: p.id(),
                    };
                    for e in cluster.ledger().entries(&tp).iter().filter(|e| !e.lost) {
                        match crate::broker::ledger::leader_has(p, e.offset, e.epoch) {
                            Some(true) => counts.0 += 1,
                            None => counts.1 += 1,
                            Some(false) => counts.2 += 1,
                        }
                    }
                }
            }
            counts
        }
        let unclean = unclean_run();
        // Without unclean election, partition 0 has no leader while broker 1 is down.
        let offline = fork_and_compare(
            &unclean,
            Tick(0),
            Changes {
                unclean_leader_election: Some(false),
                ..Changes::default()
            },
            0,
        )
        .unwrap()
        .timeline;
        let bench = crate::bench::fork_benchmark_lab(400);
        let mut seen = (0, 0, 0);
        for (timeline, step) in [(&unclean, 7), (&*offline, 7), (&bench, 23)] {
            for t in (0..=timeline.end().0).step_by(step) {
                let lab = timeline.state_at(Tick(t));
                let cluster = lab.cluster().unwrap();
                let counts = ledger_counts(cluster);
                let expected = one_check_per_record(cluster);
                assert_eq!(
                    (counts.present, counts.unknown, counts.missing),
                    expected,
                    "tick {t}"
                );
                seen.0 += expected.0;
                seen.1 += expected.1;
                seen.2 += expected.2;
            }
        }
        assert!(
            seen.0 > 0 && seen.1 > 0,
            "present and unknown both came up: {seen:?}"
        );
    }

    /// The walk finds the epoch the cache's search finds, for offsets in any order.
    #[test]
    fn the_epoch_walk_agrees_with_the_search() {
        let lab = crate::bench::fork_benchmark_lab(700);
        let cluster = lab.head().cluster().unwrap();
        let mut rng = crate::rng::Rng::new(crate::rng::Seed(5)).fork("offsets");
        let mut checked = 0;
        for topic in cluster.topics().values() {
            for p in topic.partitions() {
                let log = p.elected_leader_log().unwrap();
                assert!(log.epochs().len() > 2, "several leader changes");
                let leo = log.leo().0;
                let ascending = (0..leo + 3).collect::<Vec<_>>();
                let descending = ascending.iter().rev().copied().collect::<Vec<_>>();
                let random = (0..500).map(|_| rng.below(leo + 3)).collect::<Vec<_>>();
                for offsets in [ascending, descending, random] {
                    let mut walk = EpochCursor {
                        epochs: log.epochs(),
                        at: 0,
                    };
                    for o in offsets {
                        let o = crate::broker::log::Offset(o);
                        assert_eq!(walk.epoch_at(o), log.epoch_at(o), "offset {}", o.0);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000);
        let mut empty = EpochCursor { epochs: &[], at: 0 };
        assert_eq!(empty.epoch_at(crate::broker::log::Offset(3)), None);
    }

    #[test]
    fn later_setting_commands_keep_the_forks_values() {
        let changes = Changes {
            acks: Some(Acks::One),
            min_insync_replicas: Some(1),
            unclean_leader_election: None,
        };
        let pinned = changes.pin(&Command::Broker(BrokerCommand::AlterTopicConfig {
            topic: "orders".into(),
            min_insync_replicas: Some(3),
            unclean_leader_election: Some(true),
        }));
        assert_eq!(
            pinned,
            Command::Broker(BrokerCommand::AlterTopicConfig {
                topic: "orders".into(),
                min_insync_replicas: Some(1),
                unclean_leader_election: Some(true),
            })
        );
        let Command::Broker(BrokerCommand::SetProducerConfig { config, .. }) =
            changes.pin(&Command::Broker(BrokerCommand::SetProducerConfig {
                producer: crate::broker::producer::ProducerId(1),
                config: ProducerConfig::default(),
            }))
        else {
            panic!("still a producer config");
        };
        assert_eq!((config.acks, config.idempotence), (Acks::One, false));
    }

    #[test]
    fn empty_changes_and_extra_ticks() {
        let timeline = unclean_run();
        assert!(fork_and_compare(&timeline, Tick(10), Changes::default(), 0).is_err());
        let changes = Changes {
            acks: Some(Acks::One),
            ..Changes::default()
        };
        let c = fork_and_compare(&timeline, timeline.end(), changes, 30).unwrap();
        assert_eq!(c.original.end, Tick(timeline.end().0 + 30));
        assert_eq!(c.fork.end, c.original.end);
        assert_eq!(c.replayed, 0);
    }
}
