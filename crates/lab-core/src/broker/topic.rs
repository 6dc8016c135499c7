//! Topics and partitions: per-topic settings, and for every partition its replica list, leader,
//! one log per replica and the high watermark. Replication and failover arrive with issue 4; the
//! shape is already the replicated one, so at RF=1 the leader is the only replica and its log's
//! end is the high watermark.

use super::log::{LogConfig, Offset, PartitionLog};
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
}

impl Default for TopicSettings {
    fn default() -> Self {
        TopicSettings {
            log: LogConfig::default(),
            timestamp_type: TimestampType::CreateTime,
            compression: None,
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

/// One partition of a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub id: PartitionId,
    /// Replica assignment; the first is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    pub logs: BTreeMap<BrokerId, PartitionLog>,
    /// High watermark: the end of the committed prefix.
    pub hw: Offset,
}

impl Partition {
    /// The leader's log, when there is a leader.
    pub fn leader_log(&self) -> Option<&PartitionLog> {
        self.leader.and_then(|b| self.logs.get(&b))
    }

    pub fn leader_log_mut(&mut self) -> Option<&mut PartitionLog> {
        let leader = self.leader?;
        self.logs.get_mut(&leader)
    }

    pub fn log_start(&self) -> Offset {
        self.leader_log().map_or(Offset(0), PartitionLog::log_start)
    }

    pub fn leo(&self) -> Offset {
        self.leader_log().map_or(Offset(0), PartitionLog::leo)
    }
}

/// A topic and its partitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub settings: TopicSettings,
    pub partitions: Vec<Partition>,
}

impl Topic {
    /// A topic whose partitions are placed round-robin over `brokers`, starting at `first`.
    pub fn new(
        name: &str,
        partitions: u32,
        settings: TopicSettings,
        brokers: &[BrokerId],
        first: usize,
    ) -> Topic {
        let partitions = (0..partitions)
            .map(|p| {
                let leader = brokers[(first + p as usize) % brokers.len()];
                Partition {
                    id: PartitionId(p),
                    replicas: vec![leader],
                    leader: Some(leader),
                    leader_epoch: 0,
                    logs: BTreeMap::from([(leader, PartitionLog::new(settings.log))]),
                    hw: Offset(0),
                }
            })
            .collect();
        Topic {
            name: name.to_string(),
            settings,
            partitions,
        }
    }

    pub fn partition(&self, id: PartitionId) -> Option<&Partition> {
        self.partitions.get(id.0 as usize)
    }

    pub fn record_count(&self) -> usize {
        self.partitions
            .iter()
            .filter_map(Partition::leader_log)
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
            .all(|p| p.logs.len() == 1 && p.replicas.len() == 1));
    }
}
