//! Topics and partitions: per-topic settings, and for every partition its replica assignment,
//! the controller's view of it (leader, ISR, epochs) and each replica's own state (its log, its
//! high watermark, what it believes about leadership: [`super::replication::Replica`]).

use super::log::{LogConfig, Offset, PartitionLog};
use super::replication::Replica;
use super::{BrokerId, PartitionId};
use std::collections::BTreeMap;

/// Most partitions a topic may have.
pub const TOPIC_PARTITIONS_MAX: u32 = 64;
/// Longest topic name.
pub const TOPIC_NAME_LEN_MAX: usize = 40;

/// Which timestamp a record keeps (`message.timestamp.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// Settings a learner can change per topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSettings {
    pub log: LogConfig,
    pub timestamp_type: TimestampType,
    /// The topic's `compression.type`: `None` is Kafka's default `producer` (store batches as
    /// sent); a codec makes the broker recompress every batch with it.
    pub compression: Option<super::compression::Codec>,
    /// Replicas per partition, fixed when the topic is created.
    pub replication_factor: u8,
    /// `min.insync.replicas`: acks=all needs this many in-sync replicas (capped at the
    /// replication factor, Kafka 3.7+), and the high watermark stands still below it.
    pub min_insync_replicas: u8,
    /// `unclean.leader.election.enable`: elect an out-of-sync replica rather than stay offline.
    pub unclean_leader_election: bool,
}

impl Default for TopicSettings {
    fn default() -> Self {
        TopicSettings {
            log: LogConfig::default(),
            timestamp_type: TimestampType::CreateTime,
            compression: None,
            replication_factor: 1,
            min_insync_replicas: 1,
            unclean_leader_election: false,
        }
    }
}

/// Checks a topic name as Kafka does: 1-249 of `[a-zA-Z0-9._-]` (shorter here), not "." or "..".
pub fn check_topic_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("a topic needs a name");
    }
    if name.len() > TOPIC_NAME_LEN_MAX {
        return Err("topic names are at most 40 characters here");
    }
    if name == "." || name == ".." {
        return Err("\".\" and \"..\" are not topic names");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err("use letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// Why a partition's leader changed, as the controller records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElectionKind {
    /// The topic was created.
    Initial,
    /// The first live in-sync replica in assignment order took over.
    Clean,
    /// An out-of-sync replica took over (`unclean.leader.election.enable`).
    Unclean,
    /// Leadership moved back to the first replica of the assignment.
    Preferred,
    /// The leader's broker asked to shut down, and handed leadership over first.
    ControlledShutdown,
    /// No replica could lead: the partition is offline.
    Offline,
}

impl ElectionKind {
    pub fn name(self) -> &'static str {
        match self {
            ElectionKind::Initial => "initial",
            ElectionKind::Clean => "clean",
            ElectionKind::Unclean => "unclean",
            ElectionKind::Preferred => "preferred",
            ElectionKind::ControlledShutdown => "controlled shutdown",
            ElectionKind::Offline => "offline",
        }
    }
}

/// One partition of a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub(crate) id: PartitionId,
    /// Replica assignment; the first is the preferred leader.
    pub(crate) replicas: Vec<BrokerId>,
    /// The controller's view (the latest partition change in the metadata log): the leader, or
    /// none while the partition is offline.
    pub(crate) leader: Option<BrokerId>,
    /// The controller's in-sync replicas; never empty.
    pub(crate) isr: Vec<BrokerId>,
    /// Bumped on every leader change.
    pub(crate) leader_epoch: u32,
    /// Bumped on any change of leader or ISR.
    pub(crate) partition_epoch: u32,
    /// How the current leader got there.
    pub(crate) last_election: ElectionKind,
    /// Each replica's own state, by broker.
    pub(crate) replica: BTreeMap<BrokerId, Replica>,
    /// The high watermark consumers see: the serving leader's.
    pub(crate) hw: Offset,
    /// Whether clients can read and write now: the leader is running, reachable, and knows it leads.
    pub(crate) serving: bool,
}

impl Partition {
    pub fn id(&self) -> PartitionId {
        self.id
    }

    /// The replica assignment; the first is the preferred leader.
    pub fn replicas(&self) -> &[BrokerId] {
        &self.replicas
    }

    /// The controller's leader (from the latest partition change in the metadata log), or none
    /// while the partition is offline.
    pub fn leader(&self) -> Option<BrokerId> {
        self.leader
    }

    /// The controller's in-sync replicas; never empty.
    pub fn isr(&self) -> &[BrokerId] {
        &self.isr
    }

    /// Bumped on every leader change.
    pub fn leader_epoch(&self) -> u32 {
        self.leader_epoch
    }

    /// Bumped on any change of leader or ISR.
    pub fn partition_epoch(&self) -> u32 {
        self.partition_epoch
    }

    /// How the current leader got there.
    pub fn last_election(&self) -> ElectionKind {
        self.last_election
    }

    /// Each replica's own state (log, high watermark, what its broker believes), by broker.
    pub fn replica_states(&self) -> &BTreeMap<BrokerId, Replica> {
        &self.replica
    }

    /// The high watermark consumers see: the serving leader's.
    pub fn hw(&self) -> Offset {
        self.hw
    }

    /// Whether clients can read and write now: the leader is running, reachable, and knows it
    /// leads.
    pub fn serving(&self) -> bool {
        self.serving
    }

    /// The serving leader's log, when clients can reach one.
    pub fn leader_log(&self) -> Option<&PartitionLog> {
        if !self.serving {
            return None;
        }
        self.leader
            .and_then(|b| self.replica.get(&b))
            .map(|r| &r.log)
    }

    /// The log on `broker`'s replica.
    pub fn log_on(&self, broker: BrokerId) -> Option<&PartitionLog> {
        self.replica.get(&broker).map(|r| &r.log)
    }

    /// The controller leader's log, reachable or not.
    pub fn elected_leader_log(&self) -> Option<&PartitionLog> {
        self.leader.and_then(|b| self.log_on(b))
    }

    pub fn log_start(&self) -> Offset {
        self.elected_leader_log()
            .map_or(Offset(0), PartitionLog::log_start)
    }

    pub fn leo(&self) -> Offset {
        self.elected_leader_log()
            .map_or(Offset(0), PartitionLog::leo)
    }

    /// Fewer in-sync replicas than assigned ones.
    pub fn under_replicated(&self) -> bool {
        self.leader.is_some() && self.isr.len() < self.replicas.len()
    }

    pub fn offline(&self) -> bool {
        self.leader.is_none()
    }

    /// `min(min.insync.replicas, replication factor)`: the cap exists since Kafka 3.7.
    pub fn effective_min_isr(&self, settings: &TopicSettings) -> usize {
        usize::from(settings.min_insync_replicas).min(self.replicas.len())
    }
}

/// A topic and its partitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub(crate) name: String,
    pub(crate) settings: TopicSettings,
    pub(crate) partitions: Vec<Partition>,
}

impl Topic {
    /// A topic whose partitions are placed round-robin over `brokers`, starting at `first`: the
    /// replicas of partition p are the `replication_factor` brokers from position first + p on.
    /// Every replica starts in sync, led by the first (preferred) one, in leader epoch 0.
    pub fn new(
        name: &str,
        partitions: u32,
        settings: TopicSettings,
        brokers: &[BrokerId],
        first: usize,
    ) -> Topic {
        let rf = usize::from(settings.replication_factor).clamp(1, brokers.len());
        let partitions = (0..partitions)
            .map(|p| {
                let replicas: Vec<BrokerId> = (0..rf)
                    .map(|i| brokers[(first + p as usize + i) % brokers.len()])
                    .collect();
                let leader = replicas[0];
                let replica = sim::sort::collect_map(replicas.iter().map(|b| {
                    let log = PartitionLog::new(settings.log);
                    (*b, Replica::new(log, *b, leader, &replicas))
                }));
                Partition {
                    id: PartitionId(p),
                    isr: replicas.clone(),
                    replicas,
                    leader: Some(leader),
                    leader_epoch: 0,
                    partition_epoch: 0,
                    last_election: ElectionKind::Initial,
                    replica,
                    hw: Offset(0),
                    serving: true,
                }
            })
            .collect();
        Topic {
            name: name.to_string(),
            settings,
            partitions,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn settings(&self) -> &TopicSettings {
        &self.settings
    }

    /// Its partitions, by id (0, 1, ...).
    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    pub fn partition(&self, id: PartitionId) -> Option<&Partition> {
        self.partitions.get(id.0 as usize)
    }

    pub fn record_count(&self) -> usize {
        self.partitions
            .iter()
            .filter_map(Partition::elected_leader_log)
            .map(PartitionLog::record_count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafka_rules() {
        assert!(check_topic_name("orders.v2_x-1").is_ok());
        for bad in ["", ".", "..", "a b", "ümlaut", &"x".repeat(41)] {
            assert!(check_topic_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_spread_over_brokers() {
        let brokers = [BrokerId(1), BrokerId(2), BrokerId(3)];
        let topic = Topic::new("t", 4, TopicSettings::default(), &brokers, 1);
        let leaders: Vec<u8> = topic
            .partitions
            .iter()
            .map(|p| p.leader.unwrap().0)
            .collect();
        assert_eq!(leaders, vec![2, 3, 1, 2]);
        assert!(topic
            .partitions
            .iter()
            .all(|p| p.replica.len() == 1 && p.replicas.len() == 1));
        let settings = TopicSettings {
            replication_factor: 3,
            ..TopicSettings::default()
        };
        let replicated = Topic::new("r", 3, settings, &brokers, 0);
        let assignments: Vec<Vec<u8>> = replicated
            .partitions
            .iter()
            .map(|p| p.replicas.iter().map(|b| b.0).collect())
            .collect();
        assert_eq!(
            assignments,
            vec![vec![1, 2, 3], vec![2, 3, 1], vec![3, 1, 2]]
        );
        assert!(replicated.partitions.iter().all(|p| p.isr == p.replicas));
    }
}
