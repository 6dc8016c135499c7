//! What a producer hears when the leader it writes to cannot answer, as Kafka's Java client
//! reports it (Sender.handleProduceResponse, NetworkClient.handleTimedOutRequests): a killed
//! leader resets its connections (NETWORK_EXCEPTION), a leader cut off from clients is silent
//! until `request.timeout.ms` (REQUEST_TIMED_OUT), and only a live broker that no longer leads
//! answers NOT_LEADER_OR_FOLLOWER (a controlled shutdown, a fenced leader that reconnects).

use broker::cluster::{BrokerCommand as C, BrokerEvent, Cluster, ProduceError};
use broker::node::Link;
use broker::producer::{ProducerConfig, ProducerId};
use broker::topic::TopicSettings;
use broker::{BrokerId, PartitionId};
use sim::clock::Tick;
use sim::rng::{Rng, Seed};

struct Lab {
    cluster: Cluster,
    now: Tick,
    errors: Vec<ProduceError>,
}

impl Lab {
    /// Three brokers, `orders` with one partition on all three and min.insync.replicas=2, and an
    /// acks=all producer (the default) that has learnt who leads.
    fn new() -> Lab {
        let mut lab = Lab {
            cluster: Cluster::new(3, Rng::new(Seed(3))),
            now: Tick(0),
            errors: Vec::new(),
        };
        lab.run(C::CreateTopic {
            name: "orders".into(),
            partitions: 1,
            settings: TopicSettings {
                replication_factor: 3,
                min_insync_replicas: 2,
                ..TopicSettings::default()
            },
        });
        lab.run(C::AddProducer {
            config: ProducerConfig::default(),
        });
        lab.produce(5);
        lab.ticks(5);
        assert!(lab.errors.is_empty(), "{:?}", lab.errors);
        lab
    }

    fn leader(&self) -> BrokerId {
        self.cluster.topics()["orders"].partitions()[0]
            .leader()
            .expect("orders-0 has a leader")
    }

    fn run(&mut self, command: C) {
        let events = self
            .cluster
            .apply(&command, self.now)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        self.note(events);
    }

    fn note(&mut self, events: Vec<BrokerEvent>) {
        self.errors
            .extend(events.into_iter().filter_map(|e| match e {
                BrokerEvent::ProduceFailed { error, .. } => Some(error),
                _ => None,
            }));
    }

    fn produce(&mut self, count: u16) {
        self.run(C::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: Some(PartitionId(0)),
            key: Some("k{n}".into()),
            value: Some("v{n}".into()),
            count,
            header: None,
        });
    }

    fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            let events = self.cluster.tick(self.now);
            self.note(events);
            self.now = self.now.next();
        }
    }

    /// Slows both followers down so that acks=all requests stay parked on the leader.
    fn park_requests(&mut self) {
        let leader = self.leader();
        for broker in [BrokerId(1), BrokerId(2), BrokerId(3)] {
            if broker != leader {
                self.run(C::SlowBroker {
                    broker,
                    fetch_every_ticks: 50,
                });
            }
        }
        self.ticks(1);
        self.produce(10);
        self.ticks(1);
        assert!(self.errors.is_empty(), "{:?}", self.errors);
    }

    fn count(&self, code: &str) -> u64 {
        self.cluster
            .produce_errors()
            .get(code)
            .copied()
            .unwrap_or(0)
    }
}

#[test]
fn a_killed_leader_resets_the_connection_of_its_parked_requests() {
    let mut lab = Lab::new();
    lab.park_requests();
    let leader = lab.leader();
    lab.run(C::KillBroker { broker: leader });
    lab.ticks(1);
    assert_eq!(
        lab.errors.first(),
        Some(&ProduceError::Disconnected(leader)),
        "the parked requests die with the process's connections"
    );
    lab.ticks(20);
    assert!(lab.count("NETWORK_EXCEPTION") >= 1);
    assert_eq!(
        lab.count("NOT_LEADER_OR_FOLLOWER"),
        0,
        "a dead broker answers nothing, so it cannot say it is not the leader"
    );
    assert!(
        lab.errors.iter().all(|e| e.from_client()),
        "every error is the client's own: {:?}",
        lab.errors
    );
}

#[test]
fn a_controlled_shutdown_hands_leadership_over_and_answers_not_leader() {
    let mut lab = Lab::new();
    lab.park_requests();
    let leader = lab.leader();
    lab.run(C::ShutdownBroker { broker: leader });
    lab.ticks(1);
    assert_ne!(lab.leader(), leader, "the controller moved the leadership");
    assert_eq!(
        lab.errors.first(),
        Some(&ProduceError::NotLeaderOrFollower(leader)),
        "the broker, still live when it loses the leadership, answers its parked requests"
    );
}

#[test]
fn a_leader_cut_off_from_clients_is_silent_until_the_request_timeout() {
    let mut lab = Lab::new();
    let leader = lab.leader();
    let timeout = lab.cluster.settings().request_timeout_ticks;
    lab.run(C::CutLink {
        broker: leader,
        link: Link::Clients,
        cut: true,
    });
    lab.produce(3);
    lab.ticks(timeout);
    assert!(
        lab.errors.is_empty(),
        "nothing comes back before request.timeout: {:?}",
        lab.errors
    );
    lab.ticks(1);
    assert_eq!(lab.errors, vec![ProduceError::ClientTimedOut(leader)]);
    assert_eq!(lab.count("REQUEST_TIMED_OUT"), 1);
    assert_eq!(lab.count("NETWORK_EXCEPTION"), 0);
}

#[test]
fn a_fenced_leader_that_reconnects_answers_not_leader() {
    let mut lab = Lab::new();
    let leader = lab.leader();
    lab.run(C::CutLink {
        broker: leader,
        link: Link::Controller,
        cut: true,
    });
    lab.ticks(lab.cluster.settings().session_timeout_ticks + 10);
    assert_ne!(
        lab.leader(),
        leader,
        "the controller fenced it and moved on"
    );
    // The producer's metadata still names the old leader, which believes it leads.
    lab.produce(3);
    lab.ticks(2);
    assert!(lab.errors.is_empty(), "{:?}", lab.errors);
    lab.run(C::CutLink {
        broker: leader,
        link: Link::Controller,
        cut: false,
    });
    lab.ticks(5);
    assert_eq!(
        lab.errors.first(),
        Some(&ProduceError::NotLeaderOrFollower(leader))
    );
    assert_eq!(lab.count("NETWORK_EXCEPTION"), 0);
}
