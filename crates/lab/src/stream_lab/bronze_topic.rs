//! The `orders_bronze` topic: the medallion's bronze layer as a real topic of the lab's broker,
//! once a learner (or a lesson) turns it on with `bronze-topic on`.
//!
//! Without it, [`super::samples_lab`] replays bronze from the seed's order feed, so no broker
//! fault can reach the medallion. With it, each order of the feed is produced, at the tick it
//! arrives, to the one partition of `orders_bronze` through a producer of its own, so acks, the
//! ISR and the leader's state apply: while the partition has no leader the producer holds the
//! orders and retries them (and gives up on those it has retried too long, as any of the lab's
//! producers does). The medallion reads the topic as a consumer of group [`MEDALLION_GROUP`]:
//! every tick it fetches what the partition's elected leader has committed past its position (a
//! partition without a leader gives nothing, so bronze stalls), and every
//! [`TRIGGER_TICKS`] it runs an update over the records not yet in silver. Only an update that
//! succeeds commits the group's offset (the offset after the last record it read, as Kafka
//! consumers commit the next offset to read); a `fail` expectation leaves the committed offset
//! where it was, as a Delta Live Tables flow's checkpoint stays on a failed update, and the next
//! update reads the same records again. Bronze as shown is then the topic's records with their
//! offsets, and silver keeps the first record per `order_id`, so a recovery neither loses nor
//! repeats an order.
//!
//! The medallion's state is kept per tick (it depends on what the broker could serve when), in
//! an `Rc` copied only when it changes, so a copy of the lab for each tick stays cheap; the same
//! journal replays to the same state. An action change applies to this medallion from its next
//! update on. `bronze-topic off` stops the feed's writes; the medallion goes on reading the topic
//! (what was written while off is missing from bronze for good, as a producer that was stopped
//! never sent it).
//!
//! The topic is opt-in so that links recorded before it replay to the same state: a lab that
//! never turned it on has no `orders_bronze` topic, no extra producer or group, and hashes
//! nothing new.

use super::command::StreamEvent;
use super::samples_lab::{MedallionView, Pipes, TRIGGER_TICKS};
use super::topic_writer::{open_topic_writer, WriterTopic};
use super::{at, StreamRefusal};
use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::log::Offset;
use crate::broker::producer::ProducerId;
use crate::broker::topic::Partition;
use crate::broker::PartitionId;
use crate::streaming::medallion::{Action, BronzeRecord, Medallion, MedallionConfig};
use sim::clock::Tick;
use sim::state_hash::StateHasher;
use std::rc::Rc;

/// The topic the order feed is produced to.
pub const BRONZE_TOPIC: &str = "orders_bronze";
/// The consumer group the medallion commits its offset to.
pub const MEDALLION_GROUP: &str = "medallion";
/// The topic's one partition (one partition keeps the feed's order in its offsets).
const BRONZE_PARTITION: PartitionId = PartitionId(0);

/// Whether the feed goes to the topic, the producer that writes it, and the medallion that
/// reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BronzeTopic {
    /// Created with the topic the first time the learner turns it on.
    producer: Option<ProducerId>,
    on: bool,
    /// Orders handed to the producer.
    sent: u64,
    /// The medallion reading the topic, from the first `on`.
    reader: Option<Rc<TopicReader>>,
}

/// The medallion group's lag ([`BronzeTopic::lag_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BronzeLag {
    /// Records on the topic past the group's committed offset.
    Known(u64),
    /// The partition has no leader: the lag is unknown. What is known: the records past the
    /// committed offset up to the last end offset a leader reported (a floor), and the orders
    /// the producer holds, which will land on the topic once a leader is back.
    NoLeader { past_last_known_end: u64, held: u64 },
}

impl BronzeLag {
    /// The lag as the page says it.
    pub fn text(self) -> String {
        match self {
            BronzeLag::Known(lag) => format!("lag {lag}"),
            BronzeLag::NoLeader {
                past_last_known_end,
                held,
            } => format!(
                "lag unknown (no leader): {past_last_known_end} past the last known end offset, {held} more held by the producer"
            ),
        }
    }
}

/// The medallion as the topic's consumer.
#[derive(Clone, Debug, PartialEq)]
struct TopicReader {
    view: Rc<MedallionView>,
    /// Updates that found the topic's partition without a leader (they read nothing new).
    stalled_updates: u64,
    /// Whether the latest update succeeded and read the partition up to its high watermark.
    caught_up: bool,
}

/// The topic's partition, when the topic exists.
fn partition(cluster: &Cluster) -> Option<&Partition> {
    cluster
        .topics()
        .get(BRONZE_TOPIC)?
        .partition(BRONZE_PARTITION)
}

impl BronzeTopic {
    /// Whether the feed is produced to the topic now.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Whether the medallion reads the topic (from the first `on` for good).
    pub fn is_reading(&self) -> bool {
        self.reader.is_some()
    }

    /// Orders handed to the producer so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Orders handed to the producer that the topic has not committed (held for a partition
    /// without a leader, in flight, or given up).
    pub fn held(&self, cluster: &Cluster) -> u64 {
        let committed = partition(cluster).map_or(0, |p| p.hw().0);
        self.sent.saturating_sub(committed)
    }

    /// Whether the topic exists and its partition has no leader.
    pub fn offline(&self, cluster: &Cluster) -> bool {
        partition(cluster).is_some_and(|p| p.leader().is_none())
    }

    /// The group's committed offset (0 before the first successful update).
    pub fn committed(&self, cluster: &Cluster) -> u64 {
        cluster
            .group(MEDALLION_GROUP)
            .and_then(|g| {
                g.committed().iter().find_map(|(tp, commit)| {
                    (tp.topic == BRONZE_TOPIC && tp.partition == BRONZE_PARTITION)
                        .then_some(commit.offset.0)
                })
            })
            .unwrap_or(0)
    }

    /// The group's lag: records committed to the topic past the group's committed offset. While
    /// the partition has no leader the end it counts to is the last high watermark a leader
    /// reported, so this is a floor: [`BronzeTopic::lag_status`] says so.
    pub fn lag(&self, cluster: &Cluster) -> u64 {
        let end = partition(cluster).map_or(0, |p| p.hw().0);
        end.saturating_sub(self.committed(cluster))
    }

    /// The group's lag as a consumer can know it: known while the partition has a leader;
    /// without one the end offset cannot be asked for (Kafka's ListOffsets goes to the leader),
    /// so only the lag against the last known end and the orders the producer holds are known.
    pub fn lag_status(&self, cluster: &Cluster) -> BronzeLag {
        let past_end = self.lag(cluster);
        if self.offline(cluster) {
            BronzeLag::NoLeader {
                past_last_known_end: past_end,
                held: self.held(cluster),
            }
        } else {
            BronzeLag::Known(past_end)
        }
    }

    /// Updates that found the topic without a leader.
    pub fn stalled_updates(&self) -> u64 {
        self.reader.as_ref().map_or(0, |r| r.stalled_updates)
    }

    /// Whether the latest update succeeded and read everything the topic had committed.
    pub fn caught_up(&self) -> bool {
        self.reader.as_ref().is_some_and(|r| r.caught_up)
    }

    /// The medallion reading the topic, once the topic was turned on.
    pub fn view(&self) -> Option<Rc<MedallionView>> {
        self.reader.as_ref().map(|r| r.view.clone())
    }

    /// Turns the feed's writes on or off; the first `on` creates the topic, its producer and
    /// the medallion that reads it (with the actions in force now).
    pub fn turn(
        &mut self,
        on: bool,
        pipes: &Pipes,
        cluster: &mut Cluster,
        now: Tick,
    ) -> Result<Vec<StreamEvent>, StreamRefusal> {
        if on && self.producer.is_none() {
            let mut medallion = Medallion::new(MedallionConfig::orders()).map_err(|e| {
                (
                    format!("the medallion cannot start: {}", e.message),
                    e.hint.clone(),
                )
            })?;
            for (name, action) in pipes.actions() {
                medallion
                    .set_action(&name, action)
                    .map_err(|e| (e.message.clone(), e.hint.clone()))?;
            }
            self.producer = Some(create(cluster, now)?);
            self.reader = Some(Rc::new(TopicReader {
                view: Rc::new(MedallionView {
                    medallion,
                    now: now.0,
                    triggers: 0,
                    last: None,
                    last_at: None,
                    next_at: (now.0 / TRIGGER_TICKS + 1) * TRIGGER_TICKS,
                    warned_rows: 0,
                }),
                stalled_updates: 0,
                caught_up: false,
            }));
        }
        self.on = on;
        Ok(vec![StreamEvent::BronzeTopicSet { on }])
    }

    /// Changes an expectation's action in the medallion reading the topic (from its next
    /// update on); the pipes have validated the change.
    pub fn set_action(&mut self, expectation: &str, action: Action) {
        if let Some(reader) = &mut self.reader {
            let view = Rc::make_mut(&mut Rc::make_mut(reader).view);
            // The name was checked against the same expectations: nothing to refuse here.
            let _ = view.medallion.set_action(expectation, action);
        }
    }

    /// Produces the orders that arrive during tick `now`, before the cluster's tick.
    pub fn write(&mut self, pipes: &Pipes, cluster: &mut Cluster, now: Tick) {
        let (true, Some(producer)) = (self.on, self.producer) else {
            return;
        };
        let Ok(orders) = pipes.orders() else {
            return;
        };
        let (from, to) = (at(now.0), at(now.0 + 1));
        let first = orders.partition_point(|o| o.arrival < from);
        for order in orders[first..].iter().take_while(|o| o.arrival < to) {
            // As bytes, as a service's Kafka client hands over a payload it did not check.
            let produce = BrokerCommand::ProduceBytes {
                producer,
                topic: BRONZE_TOPIC.into(),
                key: None,
                value: order.payload.clone().into_bytes(),
            };
            if cluster.apply(&produce, now).is_ok() {
                self.sent += 1;
            }
        }
    }

    /// The medallion's work for tick `now`, after the cluster's tick: fetch what the topic
    /// committed, and when the lab's clock reaches a trigger, run an update and commit its
    /// offset if it succeeded.
    pub fn read(&mut self, cluster: &mut Cluster, now: Tick) {
        let Some(reader) = &mut self.reader else {
            return;
        };
        let reader = Rc::make_mut(reader);
        let view = Rc::make_mut(&mut reader.view);
        let reached = now.0 + 1;
        let leader = partition(cluster).is_some_and(|p| p.leader().is_some());
        fetch(&mut view.medallion, cluster);
        view.now = reached;
        if reached < view.next_at {
            return;
        }
        let result = view.medallion.update();
        if let Ok(report) = &result {
            view.warned_rows += warned(&view.medallion, report);
            let offset = Offset(view.medallion.checkpoint());
            // A learner's consumer in the same group would fence the commit; the medallion
            // keeps its own position and commits again after its next update.
            cluster.commit_unassigned(
                MEDALLION_GROUP,
                BRONZE_TOPIC,
                &[(BRONZE_PARTITION, offset)],
                now,
            );
        }
        let end = partition(cluster).map_or(0, |p| p.hw().0);
        reader.caught_up = result.is_ok() && leader && view.medallion.checkpoint() >= end;
        if !leader {
            reader.stalled_updates += 1;
        }
        view.last = Some(result);
        view.last_at = Some(reached);
        view.triggers += 1;
        view.next_at = reached + TRIGGER_TICKS;
    }

    /// Feeds the state hash, only once the topic was ever turned on (older links keep their
    /// fingerprints).
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        let (Some(producer), Some(reader)) = (self.producer, &self.reader) else {
            return;
        };
        hasher.str("bronze-topic");
        hasher.u64(u64::from(producer.0));
        hasher.u64(u64::from(self.on));
        hasher.u64(self.sent);
        hasher.u64(reader.stalled_updates);
        hasher.u64(u64::from(reader.caught_up));
        let view = &reader.view;
        hasher.u64(view.triggers);
        hasher.u64(view.warned_rows);
        hasher.u64(view.next_at);
        view.medallion.hash_into(hasher);
    }
}

/// Violations of `warn` expectations in an update's report.
fn warned(medallion: &Medallion, report: &crate::streaming::medallion::UpdateReport) -> u64 {
    medallion
        .config()
        .expectations
        .iter()
        .zip(&report.expectations)
        .filter(|(e, _)| e.action == Action::Warn)
        .map(|(_, m)| m.failed)
        .sum()
}

/// Appends to bronze what the partition's elected leader committed past bronze's last offset
/// (nothing while the partition has no leader), skipping transaction markers.
fn fetch(medallion: &mut Medallion, cluster: &Cluster) {
    let Some(p) = partition(cluster) else {
        return;
    };
    let Some(log) = p.elected_leader_log() else {
        return;
    };
    let start = Offset(medallion.next_offset()).max(log.log_start());
    let Ok(records) = log.read(start, p.hw(), usize::MAX) else {
        return;
    };
    let markers = log.marker_offsets();
    for r in records
        .into_iter()
        .filter(|r| !markers.contains_key(&r.offset))
    {
        let payload = r
            .value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        // Read from bronze's next offset on: an older one cannot come back.
        let _ = medallion.ingest_at(BronzeRecord {
            offset: r.offset.0,
            arrival: at(r.timestamp.0),
            payload,
        });
    }
}

/// Creates the topic (unless the learner already made one of that name) and a producer; both
/// are checked before either is made, so a refusal changes nothing.
fn create(cluster: &mut Cluster, now: Tick) -> Result<ProducerId, StreamRefusal> {
    if let Some(existing) = cluster.topics().get(BRONZE_TOPIC) {
        if existing.partitions().len() != 1 {
            return Err((
                format!(
                    "the {BRONZE_TOPIC} topic you made has {} partitions; bronze reads one",
                    existing.partitions().len()
                ),
                "start a new lab and turn the bronze topic on before making a topic of that name"
                    .to_string(),
            ));
        }
    }
    open_topic_writer(
        cluster,
        now,
        &WriterTopic {
            writer: "the order feed",
            topic: BRONZE_TOPIC,
            partitions: 1,
        },
    )
}
