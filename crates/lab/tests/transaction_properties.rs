//! Property tests of Kafka transactions (KIP-98, KIP-447, KIP-890) over random command sequences
//! on a replicated cluster: transactional producers that begin, send, commit and abort; new
//! instances with the same `transactional.id` that fence the old ones (which carry on as
//! zombies); a processor that sends its consumer's offsets to its transaction; plain producers;
//! broker kills and restarts (so markers must survive failovers); consumer crashes; a processor
//! consumer that stalls past `max.poll.interval.ms` and leaves its group.
//!
//! After every command and tick the transaction invariants of `broker::transaction::invariants`
//! hold: no read_committed delivery at or above the LSO, of an aborted transaction, or a marker;
//! LSO <= HW <= LEO with the LSO monotonic per leader epoch; every COMMIT marker decided by the
//! coordinator; one marker type per (PID, epoch); no transaction overdue; only allowed
//! transitions. The test also checks on its own that a producer fenced before a step never gets a
//! commit decided in it, that offsets sent with the metadata of a consumer no longer in its group
//! (KIP-447) leave the transaction abortable and never commit, and that once the brokers are back
//! every transaction settles.

use lab::broker::cluster::{BrokerCommand as B, BrokerEvent, Cluster};
use lab::broker::group::{CommitPolicy, ConsumerConfig, ConsumerId, OffsetReset};
use lab::broker::log::{ControlType, IsolationLevel};
use lab::broker::node::ClusterSettings;
use lab::broker::producer::{ProducerConfig, ProducerId};
use lab::broker::topic::TopicSettings;
use lab::broker::transaction::invariants::TxnChecker;
use lab::broker::transaction::ClientTxnState;
use lab::broker::{BrokerId, PartitionId};
use lab::clock::Tick;
use lab::rng::{Rng, Seed};
use proptest::prelude::*;
use std::collections::BTreeSet;

const TXN_ID: &str = "processor-1";
const PROCESSOR: ConsumerId = ConsumerId(1);

#[derive(Clone, Debug)]
enum Step {
    Ticks(u8),
    /// A new instance of the transactional processor (a new producer, `initTransactions()`).
    NewInstance,
    /// A command for the n-th transactional instance (0 is the oldest).
    Instance(usize, Txn),
    Do(B),
}

#[derive(Clone, Debug)]
enum Txn {
    Begin,
    Send { partition: u32, count: u16 },
    Commit,
    Abort,
    Process,
    SendOffsets,
}

fn txn_call() -> impl Strategy<Value = Txn> {
    prop_oneof![
        3 => Just(Txn::Begin),
        5 => (0u32..2, 1u16..6).prop_map(|(partition, count)| Txn::Send { partition, count }),
        3 => Just(Txn::Commit),
        2 => Just(Txn::Abort),
        1 => Just(Txn::Process),
        1 => Just(Txn::SendOffsets),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let broker = (1u8..4).prop_map(BrokerId);
    let consumer = (1u32..4).prop_map(ConsumerId);
    prop_oneof![
        5 => (1u8..30).prop_map(Step::Ticks),
        1 => Just(Step::NewInstance),
        12 => (0usize..3, txn_call()).prop_map(|(i, t)| Step::Instance(i, t)),
        2 => (0u32..2, 1u16..5).prop_map(|(p, count)| Step::Do(B::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: Some(PartitionId(p)),
            key: None,
            value: Some("plain-{n}".into()),
            count,
            header: None,
        })),
        2 => broker.clone().prop_map(|broker| Step::Do(B::KillBroker { broker })),
        3 => broker.prop_map(|broker| Step::Do(B::RestartBroker { broker })),
        1 => consumer.clone().prop_map(|consumer| Step::Do(B::CrashConsumer { consumer })),
        2 => consumer.prop_map(|consumer| Step::Do(B::RestartConsumer { consumer })),
        1 => any::<bool>().prop_map(|stalls| Step::Do(processor_config(stalls))),
    ]
}

/// The processor's consumer: manual commits, read_committed; when it `stalls`, each poll takes
/// 30 ticks to process and it leaves its group after 10 without a poll.
fn processor_config(stalls: bool) -> B {
    let config = ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        commit: CommitPolicy::Manual,
        isolation: IsolationLevel::ReadCommitted,
        ..ConsumerConfig::default()
    };
    let config = if stalls {
        ConsumerConfig {
            processing_ticks: 30,
            max_poll_interval_ticks: 10,
            ..config
        }
    } else {
        config
    };
    B::SetConsumerConfig {
        consumer: PROCESSOR,
        config,
    }
}

struct World {
    cluster: Cluster,
    now: Tick,
    checker: TxnChecker,
    /// The transactional instances' producer ids, oldest first.
    instances: Vec<ProducerId>,
    /// Producers whose open transaction holds a TxnOffsetCommit the group coordinator refused.
    refused_offsets: BTreeSet<ProducerId>,
    /// Offsets sent for a consumer no longer in its group, so far.
    stale_sends: u32,
}

impl World {
    fn new(seed: u64) -> World {
        let mut cluster = Cluster::new(3, Rng::new(Seed(seed)));
        let replicated = TopicSettings {
            replication_factor: 3,
            min_insync_replicas: 2,
            ..TopicSettings::default()
        };
        let consumer = |group: &str, topic: &str, commit, isolation| B::AddConsumer {
            group: group.into(),
            topics: vec![topic.into()],
            instance_id: None,
            config: ConsumerConfig {
                auto_offset_reset: OffsetReset::Earliest,
                commit,
                isolation,
                ..ConsumerConfig::default()
            },
        };
        let auto = CommitPolicy::Auto { interval_ticks: 5 };
        let setup = [
            B::SetClusterSettings {
                settings: ClusterSettings {
                    replica_lag_max_ticks: 50,
                    ..ClusterSettings::default()
                },
            },
            B::CreateTopic {
                name: "orders".into(),
                partitions: 2,
                settings: replicated,
            },
            B::CreateTopic {
                name: "out".into(),
                partitions: 1,
                settings: replicated,
            },
            B::AddProducer {
                config: ProducerConfig::default(),
            },
            consumer(
                "processor",
                "orders",
                CommitPolicy::Manual,
                IsolationLevel::ReadCommitted,
            ),
            consumer("committed", "orders", auto, IsolationLevel::ReadCommitted),
            consumer(
                "uncommitted",
                "orders",
                auto,
                IsolationLevel::ReadUncommitted,
            ),
            consumer("out-reader", "out", auto, IsolationLevel::ReadCommitted),
        ];
        for command in &setup {
            cluster.apply(command, Tick(0)).expect("the setup is valid");
        }
        let mut world = World {
            checker: TxnChecker::watching(&cluster),
            cluster,
            now: Tick(0),
            instances: Vec::new(),
            refused_offsets: BTreeSet::new(),
            stale_sends: 0,
        };
        world.new_instance();
        world
    }

    fn new_instance(&mut self) {
        let add = B::AddProducer {
            config: ProducerConfig::default(),
        };
        if self.cluster.apply(&add, self.now).is_err() {
            return;
        }
        let id = *self.cluster.producers().keys().last().expect("just added");
        let init = B::InitTransactions {
            producer: id,
            transactional_id: TXN_ID.into(),
            timeout_ticks: 200,
        };
        self.cluster
            .apply(&init, self.now)
            .expect("a fresh producer initialises");
        self.instances.push(id);
    }

    fn command(&self, index: usize, call: &Txn) -> Option<B> {
        let producer = *self.instances.get(index)?;
        Some(match call {
            Txn::Begin => B::BeginTransaction { producer },
            Txn::Send { partition, count } => B::Produce {
                producer,
                topic: "orders".into(),
                partition: Some(PartitionId(*partition)),
                key: None,
                value: Some("txn-{n}".into()),
                count: *count,
                header: None,
            },
            Txn::Commit => B::CommitTransaction { producer },
            Txn::Abort => B::AbortTransaction { producer },
            Txn::Process => B::ProcessInTransaction {
                producer,
                consumer: PROCESSOR,
                topic: "out".into(),
            },
            Txn::SendOffsets => B::SendOffsetsToTransaction {
                producer,
                consumer: PROCESSOR,
            },
        })
    }

    /// Producers whose epoch is behind the coordinator's, or that were told they are fenced.
    fn fenced(&self) -> BTreeSet<ProducerId> {
        let current = self.cluster.coordinator().get(TXN_ID).map(|m| m.epoch);
        self.cluster
            .producers()
            .iter()
            .filter_map(|(id, p)| {
                let txn = p.transaction()?;
                let behind = txn
                    .pid
                    .zip(current)
                    .is_some_and(|((_, epoch), now)| epoch < now);
                let told = matches!(txn.state, ClientTxnState::Fatal(_));
                // A client mid-initialisation has no epoch yet.
                (behind && txn.state != ClientTxnState::Initializing || told).then_some(*id)
            })
            .collect()
    }

    /// Whether the processor's consumer is running but no longer a member of its group.
    fn processor_left_its_group(&self) -> bool {
        let c = &self.cluster.consumers()[&PROCESSOR];
        c.is_running()
            && !self.cluster.groups()[c.group()]
                .members()
                .contains_key(c.member_id())
    }

    /// Applies `command` (a refusal changes nothing) and checks what it did.
    fn apply(&mut self, command: &B) -> Result<(), TestCaseError> {
        let fenced = self.fenced();
        let stale = self.processor_left_its_group();
        if let Ok(events) = self.cluster.apply(command, self.now) {
            no_fenced_commit(&fenced, &events)?;
            self.no_refused_offsets_commit(&events)?;
            match command {
                B::BeginTransaction { producer } => {
                    self.refused_offsets.remove(producer);
                }
                B::SendOffsetsToTransaction { producer, .. } if stale => {
                    let state = self.cluster.producers()[producer]
                        .transaction()
                        .map(|t| t.state);
                    prop_assert!(
                        matches!(state, Some(ClientTxnState::AbortableError(e)) if e.is_group_metadata_mismatch())
                            || matches!(state, Some(ClientTxnState::Fatal(_))),
                        "{producer} sent a departed member's offsets and is {state:?}"
                    );
                    self.refused_offsets.insert(*producer);
                    self.stale_sends += 1;
                }
                _ => {}
            }
        }
        self.check()
    }

    /// No transaction holding offsets the group coordinator refused ever commits.
    fn no_refused_offsets_commit(&self, events: &[BrokerEvent]) -> Result<(), TestCaseError> {
        for event in events {
            if let BrokerEvent::TransactionEnded {
                producer,
                outcome: ControlType::Commit,
                ..
            } = event
            {
                prop_assert!(
                    !self.refused_offsets.contains(producer),
                    "{producer} committed a transaction whose offsets were refused"
                );
            }
        }
        Ok(())
    }

    fn ticks(&mut self, n: u64) -> Result<(), TestCaseError> {
        for _ in 0..n {
            let fenced = self.fenced();
            let events = self.cluster.tick(self.now);
            self.now = self.now.next();
            no_fenced_commit(&fenced, &events)?;
            self.no_refused_offsets_commit(&events)?;
            self.check()?;
        }
        Ok(())
    }

    fn check(&mut self) -> Result<(), TestCaseError> {
        let found = self.checker.check(&self.cluster, self.now);
        let lines: Vec<String> = found
            .iter()
            .map(|v| format!("{}: {v}", v.invariant()))
            .collect();
        prop_assert!(found.is_empty(), "at {}:\n{}", self.now, lines.join("\n"));
        Ok(())
    }
}

/// A producer fenced before a step never gets a commit decided in it.
fn no_fenced_commit(
    fenced: &BTreeSet<ProducerId>,
    events: &[BrokerEvent],
) -> Result<(), TestCaseError> {
    for event in events {
        if let BrokerEvent::TransactionEnded {
            producer,
            outcome: ControlType::Commit,
            ..
        } = event
        {
            prop_assert!(!fenced.contains(producer), "fenced {producer} committed");
        }
    }
    Ok(())
}

fn run(seed: u64, steps: &[Step]) -> Result<World, TestCaseError> {
    let mut world = World::new(seed);
    world.ticks(5)?;
    for step in steps {
        match step {
            Step::Ticks(n) => world.ticks(u64::from(*n))?,
            Step::NewInstance => {
                world.new_instance();
                world.check()?;
            }
            Step::Instance(i, call) => {
                if let Some(command) = world.command(*i, call) {
                    world.apply(&command)?;
                }
            }
            Step::Do(command) => world.apply(command)?,
        }
    }
    // Every broker back: the markers still due get written and every transaction settles (an
    // open one by its own commit or abort, or by the coordinator's timeout).
    for b in 1..=3 {
        world.apply(&B::RestartBroker {
            broker: BrokerId(b),
        })?;
    }
    world.ticks(600)?;
    for meta in world.cluster.coordinator().ids().values() {
        prop_assert!(
            meta.state.is_settled(),
            "{} stuck in {}",
            meta.transactional_id,
            meta.state.name()
        );
    }
    Ok(world)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48), ..ProptestConfig::default() })]

    #[test]
    fn transactions_keep_their_invariants(seed in 0u64..1000, steps in proptest::collection::vec(step(), 1..60)) {
        run(seed, &steps)?;
    }
}

/// A fixed schedule that goes through every path at least once: a commit, an abort, a fenced
/// zombie, offsets in a transaction, and a failover between a transaction's send and its commit.
#[test]
fn a_fixed_schedule_covers_every_path() {
    use Txn::*;
    let steps = vec![
        Step::Do(B::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: Some(PartitionId(0)),
            key: None,
            value: Some("input-{n}".into()),
            count: 4,
            header: None,
        }),
        Step::Ticks(10),
        Step::Instance(0, Begin),
        Step::Instance(
            0,
            Send {
                partition: 0,
                count: 3,
            },
        ),
        Step::Ticks(5),
        Step::Instance(0, Process),
        Step::Instance(0, SendOffsets),
        Step::Instance(0, Commit),
        Step::Ticks(10),
        Step::Instance(0, Begin),
        Step::Instance(
            0,
            Send {
                partition: 1,
                count: 2,
            },
        ),
        Step::Ticks(3),
        Step::Instance(0, Abort),
        Step::Ticks(5),
        Step::Instance(0, Begin),
        Step::Instance(
            0,
            Send {
                partition: 0,
                count: 2,
            },
        ),
        Step::Ticks(3),
        Step::Do(B::KillBroker {
            broker: BrokerId(1),
        }),
        Step::Instance(0, Commit),
        Step::Ticks(200),
        Step::Do(B::RestartBroker {
            broker: BrokerId(1),
        }),
        Step::Ticks(100),
        Step::Instance(0, Begin),
        Step::Instance(
            0,
            Send {
                partition: 0,
                count: 1,
            },
        ),
        Step::Ticks(3),
        Step::NewInstance,
        Step::Instance(0, Commit),
        Step::Ticks(10),
        Step::Instance(1, Begin),
        Step::Instance(
            1,
            Send {
                partition: 1,
                count: 2,
            },
        ),
        Step::Instance(1, Commit),
        Step::Ticks(10),
        // The processor stalls and leaves its group; instance 1 still holds a valid epoch, but
        // the offsets it sends for that consumer are refused and only an abort is left.
        Step::Do(processor_config(true)),
        Step::Do(B::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: Some(PartitionId(0)),
            key: None,
            value: Some("input-{n}".into()),
            count: 2,
            header: None,
        }),
        Step::Ticks(15),
        Step::Instance(1, Begin),
        Step::Instance(1, SendOffsets),
        Step::Instance(1, Commit),
        Step::Instance(1, Abort),
        Step::Do(processor_config(false)),
        Step::Ticks(30),
    ];
    let world = run(3, &steps).unwrap();
    let (committed, aborted) = world.cluster.transactions_ended();
    assert!(committed >= 2, "committed {committed}");
    assert!(
        aborted >= 2,
        "aborted {aborted}: one by the producer, one by the fence"
    );
    assert_eq!(world.cluster.fenced_producers(), 1);
    assert_eq!(
        world.stale_sends, 1,
        "a departed member's offsets were sent once"
    );
    let processor = &world.cluster.groups()["processor"];
    assert!(
        processor.committed().values().any(|c| c.offset.0 > 0),
        "offsets rode in a transaction"
    );
}
