//! The cluster overview's numbers, as the JMX metrics of Kafka 4.x define them (Kafka's
//! "Monitoring" documentation), read from a [`Cluster`] without changing it; plus the traffic
//! counters they need, which the cluster keeps per broker as requests happen.
//!
//! Why these definitions matter: most dashboards sum per-broker gauges, and each gauge counts
//! only what its broker is responsible for. `UnderReplicatedPartitions` is counted by the leader
//! alone (a follower reports 0 for a partition it follows), so the cluster's number is the sum
//! over brokers, with no partition counted twice; an offline partition has no leader and is in no
//! broker's count (the controller's `OfflinePartitionsCount` has it). A crashed broker reports
//! nothing: its gauges are gone with its process. `BytesInPerSec` / `BytesOutPerSec` are client
//! traffic only (produce in, consumer fetch out); follower fetches are the separate
//! `ReplicationBytesInPerSec` / `ReplicationBytesOutPerSec` (Kafka's `BrokerTopicStats`).
//!
//! Consumer lag has no broker metric: clients report `records-lag` and tools compute the log end
//! (the high watermark) minus the committed offset. Lag in time is no Kafka metric at all (tools
//! estimate it from rates); the simulator knows every record's append time, so it is exact here:
//! now minus the append time of the first record the group has not committed.

use super::cluster::Cluster;
use super::controller::ControllerId;
use super::group::TopicPartition;
use super::node::{Broker, BrokerProcess};
use super::BrokerId;
use sim::clock::Tick;
use sim::state_hash::StateHasher;

/// Ticks a rate is measured over: one second of Kafka time (a tick is 100 ms).
pub const RATE_WINDOW_TICKS: u64 = 10;

/// Counts of one broker's traffic, over some span of time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Produce request bytes appended as leader (`BytesInPerSec`).
    pub bytes_in: u64,
    /// Bytes consumers fetched from it (`BytesOutPerSec`).
    pub bytes_out: u64,
    /// Bytes it copied as a follower (`ReplicationBytesInPerSec`).
    pub replication_bytes_in: u64,
    /// Bytes its followers copied from it (`ReplicationBytesOutPerSec`).
    pub replication_bytes_out: u64,
    /// Records appended as leader (`MessagesInPerSec`).
    pub messages_in: u64,
    /// ISR shrinks it had accepted as leader (`IsrShrinksPerSec`).
    pub isr_shrinks: u64,
    /// ISR expansions it had accepted as leader (`IsrExpandsPerSec`).
    pub isr_expands: u64,
}

impl Traffic {
    pub(crate) fn add(&mut self, other: &Traffic) {
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.replication_bytes_in += other.replication_bytes_in;
        self.replication_bytes_out += other.replication_bytes_out;
        self.messages_in += other.messages_in;
        self.isr_shrinks += other.isr_shrinks;
        self.isr_expands += other.isr_expands;
    }

    fn hash_into(&self, hasher: &mut StateHasher) {
        for n in [
            self.bytes_in,
            self.bytes_out,
            self.replication_bytes_in,
            self.replication_bytes_out,
            self.messages_in,
            self.isr_shrinks,
            self.isr_expands,
        ] {
            hasher.u64(n);
        }
    }
}

/// A broker's traffic since it was created, and per tick over the last [`RATE_WINDOW_TICKS`]
/// (a ring indexed by tick, each slot stamped with the tick it holds), so a rate is exact at any
/// tick without a history of samples. Fixed size: counting allocates nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficMeter {
    total: Traffic,
    window: [(u64, Traffic); RATE_WINDOW_TICKS as usize],
}

impl TrafficMeter {
    /// Counts traffic that happened at `now`.
    pub(crate) fn record(&mut self, now: Tick, count: impl Fn(&mut Traffic)) {
        count(&mut self.total);
        let (at, slot) = &mut self.window[(now.0 % RATE_WINDOW_TICKS) as usize];
        if *at != now.0 {
            *at = now.0;
            *slot = Traffic::default();
        }
        count(slot);
    }

    /// Everything since the broker was created.
    pub fn total(&self) -> Traffic {
        self.total
    }

    /// The traffic of the second ending at `now` (ticks `now - 9` to `now`): a rate per second.
    pub fn per_second(&self, now: Tick) -> Traffic {
        let mut sum = Traffic::default();
        for (at, slot) in &self.window {
            if *at <= now.0 && now.0 - *at < RATE_WINDOW_TICKS {
                sum.add(slot);
            }
        }
        sum
    }

    pub(crate) fn hash_into(&self, hasher: &mut StateHasher) {
        self.total.hash_into(hasher);
        for (at, slot) in &self.window {
            hasher.u64(*at);
            slot.hash_into(hasher);
        }
    }
}

/// Counts traffic of broker `id` at `now`; a free function so that callers holding a topic
/// mutably can still count (the brokers are a separate field of the cluster).
pub(crate) fn count_traffic(
    brokers: &mut [Broker],
    id: BrokerId,
    now: Tick,
    count: impl Fn(&mut Traffic),
) {
    if let Some(b) = brokers.iter_mut().find(|b| b.id == id) {
        b.traffic.record(now, count);
    }
}

/// How a broker looks from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerStatus {
    /// Running, registered and unfenced.
    Active,
    /// Running but fenced by the controller (session expired, or not yet heard from).
    Fenced,
    /// Its process crashed: no metrics.
    Crashed,
    /// Stopped after a controlled shutdown: no metrics.
    Stopped,
}

impl BrokerStatus {
    pub fn label(self) -> &'static str {
        match self {
            BrokerStatus::Active => "active",
            BrokerStatus::Fenced => "fenced",
            BrokerStatus::Crashed => "crashed",
            BrokerStatus::Stopped => "stopped",
        }
    }
}

/// One broker's gauges and rates (`kafka.server:type=ReplicaManager` and
/// `type=BrokerTopicMetrics`), as that broker would report them: from its own view of which
/// partitions it leads and their ISR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerMetrics {
    pub broker: BrokerId,
    pub status: BrokerStatus,
    /// Traffic in the last second; zero for a broker that is not running.
    pub per_second: Traffic,
    /// `LeaderCount`: partitions it believes it leads.
    pub leaders: u32,
    /// `PartitionCount`: replicas it hosts (leader or follower).
    pub partitions: u32,
    /// `UnderReplicatedPartitions`: partitions it leads whose ISR is smaller than the replicas.
    pub under_replicated: u32,
    /// `UnderMinIsrPartitionCount`: partitions it leads with ISR < min(min.insync.replicas, RF).
    pub under_min_isr: u32,
    /// `AtMinIsrPartitionCount`: partitions it leads with ISR = min(min.insync.replicas, RF).
    pub at_min_isr: u32,
}

impl BrokerMetrics {
    /// Whether the broker's process runs, so that it reports metrics at all.
    pub fn reporting(&self) -> bool {
        matches!(self.status, BrokerStatus::Active | BrokerStatus::Fenced)
    }
}

/// The cluster's numbers: per-broker gauges summed, and the controller's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMetrics {
    pub brokers: Vec<BrokerMetrics>,
    /// Σ `UnderReplicatedPartitions`.
    pub under_replicated: u32,
    /// Σ `UnderMinIsrPartitionCount`.
    pub under_min_isr: u32,
    /// Σ `AtMinIsrPartitionCount`.
    pub at_min_isr: u32,
    /// `OfflinePartitionsCount`: partitions with no leader.
    pub offline: u32,
    /// The active controller; `ActiveControllerCount` summed over the quorum is 1, or 0 without one.
    pub active_controller: Option<ControllerId>,
    /// `ActiveBrokerCount`: registered and unfenced.
    pub active_brokers: u32,
    /// `FencedBrokerCount`: registered and fenced.
    pub fenced_brokers: u32,
    /// Σ `IsrShrinksPerSec` over the last second.
    pub isr_shrinks_per_second: u64,
    /// Σ `IsrExpandsPerSec` over the last second.
    pub isr_expands_per_second: u64,
    /// Unclean leader elections so far (the count behind `UncleanLeaderElectionsPerSec`).
    pub unclean_elections: u64,
    /// Σ (replicas − ISR) over every partition: Control Center's "out-of-sync followers".
    pub out_of_sync_replicas: u32,
}

impl ClusterMetrics {
    /// `ActiveControllerCount` summed over the quorum: 1, or 0 while no controller is active.
    pub fn active_controller_count(&self) -> u32 {
        u32::from(self.active_controller.is_some())
    }
}

/// One group's lag on one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLag {
    pub tp: TopicPartition,
    /// High watermark minus the committed offset.
    pub records: u64,
    /// Ticks since the first record the group has not committed was appended (0 when caught up).
    pub ticks: u64,
}

/// A consumer group's lag on every partition of the topics it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLag {
    pub group: String,
    pub partitions: Vec<PartitionLag>,
}

impl GroupLag {
    /// Lag in records summed over the partitions (what `kafka-consumer-groups` totals).
    pub fn total_records(&self) -> u64 {
        self.partitions.iter().map(|p| p.records).sum()
    }

    /// The largest lag in time over the partitions: how stale the group's view is.
    pub fn max_ticks(&self) -> u64 {
        self.partitions.iter().map(|p| p.ticks).max().unwrap_or(0)
    }
}

/// The overview of `cluster` at `now`.
pub fn cluster_metrics(cluster: &Cluster, now: Tick) -> ClusterMetrics {
    let controller = cluster.controller();
    let brokers: Vec<BrokerMetrics> = cluster
        .brokers()
        .iter()
        .map(|b| broker_metrics(cluster, b.id(), now))
        .collect();
    let partitions = || cluster.topics().values().flat_map(|t| t.partitions());
    let sum = |f: fn(&BrokerMetrics) -> u32| brokers.iter().map(f).sum::<u32>();
    let registrations = controller.registrations().values();
    ClusterMetrics {
        under_replicated: sum(|b| b.under_replicated),
        under_min_isr: sum(|b| b.under_min_isr),
        at_min_isr: sum(|b| b.at_min_isr),
        offline: partitions().filter(|p| p.offline()).count() as u32,
        active_controller: controller.active(),
        active_brokers: registrations.clone().filter(|r| !r.fenced).count() as u32,
        fenced_brokers: registrations.filter(|r| r.fenced).count() as u32,
        isr_shrinks_per_second: brokers.iter().map(|b| b.per_second.isr_shrinks).sum(),
        isr_expands_per_second: brokers.iter().map(|b| b.per_second.isr_expands).sum(),
        unclean_elections: controller.unclean_elections(),
        out_of_sync_replicas: partitions()
            .map(|p| (p.replicas().len() - p.isr().len()) as u32)
            .sum(),
        brokers,
    }
}

/// One broker's gauges, from its own replicas: it counts a partition as led when its replica
/// believes it leads, with the ISR it last learned.
fn broker_metrics(cluster: &Cluster, id: BrokerId, now: Tick) -> BrokerMetrics {
    let broker = cluster.broker(id).expect("listed by the cluster");
    let status = match broker.process() {
        BrokerProcess::Crashed => BrokerStatus::Crashed,
        BrokerProcess::Stopped => BrokerStatus::Stopped,
        BrokerProcess::Running if cluster.controller().eligible(id) => BrokerStatus::Active,
        BrokerProcess::Running => BrokerStatus::Fenced,
    };
    let mut metrics = BrokerMetrics {
        broker: id,
        status,
        per_second: Traffic::default(),
        leaders: 0,
        partitions: 0,
        under_replicated: 0,
        under_min_isr: 0,
        at_min_isr: 0,
    };
    if !metrics.reporting() {
        return metrics;
    }
    metrics.per_second = broker.traffic().per_second(now);
    for topic in cluster.topics().values() {
        for p in topic.partitions() {
            let Some(replica) = p.replica_states().get(&id) else {
                continue;
            };
            metrics.partitions += 1;
            if replica.leading().is_none() {
                continue;
            }
            let isr = replica.known_isr().len();
            let min_isr = p.effective_min_isr(topic.settings());
            metrics.leaders += 1;
            metrics.under_replicated += u32::from(isr < p.replicas().len());
            metrics.under_min_isr += u32::from(isr < min_isr);
            metrics.at_min_isr += u32::from(isr == min_isr);
        }
    }
    metrics
}

/// Every group's lag, in records and in time, on each partition of the topics it reads.
pub fn group_lags(cluster: &Cluster, now: Tick) -> Vec<GroupLag> {
    let mut out: Vec<GroupLag> = Vec::new();
    for ((group, tp, records), ticks) in cluster.lags_with_ticks(now) {
        let lag = PartitionLag { tp, records, ticks };
        match out.last_mut().filter(|g| g.group == group) {
            Some(g) => g.partitions.push(lag),
            None => out.push(GroupLag {
                group,
                partitions: vec![lag],
            }),
        }
    }
    out
}

/// One group's lag, or None when it reads no partition.
pub fn group_lag(cluster: &Cluster, group: &str, now: Tick) -> Option<GroupLag> {
    group_lags(cluster, now)
        .into_iter()
        .find(|g| g.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::BrokerCommand as C;
    use crate::group::{ConsumerConfig, OffsetReset};
    use crate::producer::{ProducerConfig, ProducerId};
    use crate::topic::TopicSettings;
    use crate::PartitionId;
    use sim::rng::{Rng, Seed};

    /// Three brokers, topic `orders` (one partition, `rf` replicas, min ISR 2) and a producer.
    struct Lab {
        cluster: Cluster,
        now: Tick,
    }

    impl Lab {
        fn new(rf: u8) -> Lab {
            let mut lab = Lab {
                cluster: Cluster::new(3, Rng::new(Seed(7))),
                now: Tick(0),
            };
            lab.run(C::CreateTopic {
                name: "orders".into(),
                partitions: 1,
                settings: TopicSettings {
                    replication_factor: rf,
                    min_insync_replicas: 2,
                    ..TopicSettings::default()
                },
            });
            lab.run(C::AddProducer {
                config: ProducerConfig::default(),
            });
            lab
        }

        fn run(&mut self, command: C) {
            self.cluster.apply(&command, self.now).expect("accepted");
        }

        fn ticks(&mut self, n: u64) {
            for _ in 0..n {
                self.cluster.tick(self.now);
                self.now = self.now.next();
            }
        }

        fn produce(&mut self, count: u16) {
            self.run(C::Produce {
                producer: ProducerId(1),
                topic: "orders".into(),
                partition: Some(PartitionId(0)),
                key: None,
                value: Some("v{n}".into()),
                count,
                header: None,
            });
        }

        /// A consumer in group `g` reading `orders` from its start.
        fn add_consumer_from_earliest(&mut self) {
            self.run(C::AddConsumer {
                group: "g".into(),
                topics: vec!["orders".into()],
                instance_id: None,
                config: ConsumerConfig {
                    auto_offset_reset: OffsetReset::Earliest,
                    ..ConsumerConfig::default()
                },
            });
        }

        fn metrics(&self) -> ClusterMetrics {
            cluster_metrics(&self.cluster, self.now)
        }

        fn leader(&self) -> BrokerId {
            self.cluster.topic("orders").unwrap().partitions()[0]
                .leader()
                .expect("led")
        }

        fn broker(&self, id: BrokerId) -> BrokerMetrics {
            self.metrics()
                .brokers
                .into_iter()
                .find(|b| b.broker == id)
                .unwrap()
        }
    }

    #[test]
    fn a_healthy_partition_is_counted_once_by_its_leader() {
        let mut lab = Lab::new(3);
        lab.ticks(5);
        let m = lab.metrics();
        assert_eq!(m.under_replicated, 0);
        assert_eq!(m.out_of_sync_replicas, 0);
        let leaders: u32 = m.brokers.iter().map(|b| b.leaders).sum();
        assert_eq!(leaders, 1, "one partition, one leader");
        assert!(
            m.brokers.iter().all(|b| b.partitions == 1),
            "every broker hosts a replica"
        );
        assert_eq!(m.at_min_isr, 0, "ISR 3 is above min.insync.replicas 2");
        assert_eq!(m.active_controller_count(), 1);
        assert_eq!((m.active_brokers, m.fenced_brokers), (3, 0));
    }

    #[test]
    fn only_the_leader_reports_an_under_replicated_partition() {
        let mut lab = Lab::new(3);
        lab.ticks(5);
        let leader = lab.leader();
        let follower = (1..=3).map(BrokerId).find(|b| *b != leader).unwrap();
        let other = (1..=3)
            .map(BrokerId)
            .find(|b| *b != leader && *b != follower)
            .unwrap();
        lab.run(C::KillBroker { broker: follower });
        // The controller fences it after the session timeout and takes it out of the ISR.
        lab.ticks(120);
        let m = lab.metrics();
        assert_eq!(m.under_replicated, 1);
        assert_eq!(lab.broker(leader).under_replicated, 1);
        assert_eq!(
            lab.broker(other).under_replicated,
            0,
            "a follower reports 0 for a partition it follows"
        );
        assert_eq!(lab.broker(follower).status, BrokerStatus::Crashed);
        assert!(!lab.broker(follower).reporting());
        assert_eq!(
            lab.broker(follower).partitions,
            0,
            "a dead broker reports nothing"
        );
        assert_eq!(m.at_min_isr, 1, "ISR 2 = min.insync.replicas 2");
        assert_eq!(m.under_min_isr, 0);
        assert_eq!(m.out_of_sync_replicas, 1);
        assert_eq!((m.active_brokers, m.fenced_brokers), (2, 1));
        assert_eq!(m.offline, 0);
    }

    #[test]
    fn an_offline_partition_is_in_no_under_replicated_count() {
        let mut lab = Lab::new(1);
        lab.ticks(5);
        let leader = lab.leader();
        lab.run(C::KillBroker { broker: leader });
        lab.ticks(120);
        let m = lab.metrics();
        assert_eq!(m.offline, 1);
        assert_eq!(m.under_replicated, 0);
        assert_eq!(m.brokers.iter().map(|b| b.leaders).sum::<u32>(), 0);
    }

    #[test]
    fn under_min_isr_counts_an_isr_below_the_minimum() {
        let mut lab = Lab::new(3);
        lab.ticks(5);
        let leader = lab.leader();
        for b in (1..=3).map(BrokerId).filter(|b| *b != leader) {
            lab.run(C::KillBroker { broker: b });
        }
        lab.ticks(120);
        let m = lab.metrics();
        assert_eq!(m.under_min_isr, 1, "ISR 1 < min.insync.replicas 2");
        assert_eq!(m.at_min_isr, 0);
        assert_eq!(m.under_replicated, 1);
        assert_eq!(m.out_of_sync_replicas, 2);
    }

    #[test]
    fn client_bytes_and_replication_bytes_are_counted_apart() {
        let mut lab = Lab::new(3);
        lab.ticks(5);
        let leader = lab.leader();
        lab.produce(10);
        lab.ticks(3);
        let totals = |lab: &Lab, b: BrokerId| lab.cluster.broker(b).unwrap().traffic().total();
        let led = totals(&lab, leader);
        assert_eq!(led.messages_in, 10);
        assert!(led.bytes_in > 10, "the batch's bytes");
        assert_eq!(led.replication_bytes_in, 0, "the leader copies nothing");
        let followers: Vec<BrokerId> = (1..=3).map(BrokerId).filter(|b| *b != leader).collect();
        for f in &followers {
            let t = totals(&lab, *f);
            assert_eq!((t.bytes_in, t.messages_in), (0, 0), "client traffic only");
            assert!(t.replication_bytes_in > 0);
        }
        let copied: u64 = followers
            .iter()
            .map(|f| totals(&lab, *f).replication_bytes_in)
            .sum();
        assert_eq!(led.replication_bytes_out, copied);
        assert_eq!(led.bytes_out, 0, "no consumer yet");
        lab.add_consumer_from_earliest();
        lab.ticks(20);
        assert_eq!(
            totals(&lab, leader).bytes_out,
            led.bytes_in,
            "the consumer fetched the one batch"
        );
    }

    #[test]
    fn a_rate_covers_the_last_second_only() {
        let mut lab = Lab::new(1);
        lab.ticks(5);
        let leader = lab.leader();
        lab.produce(4);
        lab.ticks(1);
        assert_eq!(lab.broker(leader).per_second.messages_in, 4);
        lab.ticks(RATE_WINDOW_TICKS + 1);
        assert_eq!(lab.broker(leader).per_second.messages_in, 0);
        assert_eq!(
            lab.cluster
                .broker(leader)
                .unwrap()
                .traffic()
                .total()
                .messages_in,
            4
        );
    }

    #[test]
    fn isr_shrinks_and_expands_are_counted_on_the_leader() {
        let mut lab = Lab::new(3);
        lab.ticks(5);
        let leader = lab.leader();
        let follower = (1..=3).map(BrokerId).find(|b| *b != leader).unwrap();
        let cut = |cut: bool| C::CutLink {
            broker: follower,
            link: crate::node::Link::Brokers,
            cut,
        };
        lab.run(cut(true));
        lab.produce(5);
        lab.ticks(400);
        let t = lab.cluster.broker(leader).unwrap().traffic().total();
        assert_eq!(t.isr_shrinks, 1, "the cut-off follower fell out");
        lab.run(cut(false));
        lab.ticks(5);
        let t = lab.cluster.broker(leader).unwrap().traffic().total();
        assert_eq!((t.isr_shrinks, t.isr_expands), (1, 1), "and came back");
    }

    #[test]
    fn lag_in_time_is_the_age_of_the_first_uncommitted_record() {
        let mut lab = Lab::new(1);
        lab.add_consumer_from_earliest();
        lab.ticks(10);
        lab.run(C::CrashConsumer {
            consumer: crate::group::ConsumerId(1),
        });
        let written = lab.now;
        lab.produce(3);
        lab.ticks(50);
        let lags = group_lags(&lab.cluster, lab.now);
        assert_eq!(lags.len(), 1);
        assert_eq!(lags[0].total_records(), 3);
        assert_eq!(lags[0].max_ticks(), lab.now.ticks_since(written));
    }
}
