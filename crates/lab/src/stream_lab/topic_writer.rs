//! Opening a topic for one of the streaming lab's opt-in writers (the order feed of
//! `bronze-topic on`, the samples pipeline of `samples-to-topic on`): the topic is created unless
//! the learner already made one of that name, and the writer gets a producer of its own.
//!
//! Both commands are validated before either is applied, so a refusal (a controller down, too
//! many producers) leaves the cluster as it was and the learner can try again.

use super::StreamRefusal;
use crate::broker::cluster::{BrokerCommand, BrokerEvent, BrokerRejection, Cluster};
use crate::broker::producer::{ProducerConfig, ProducerId};
use crate::broker::topic::TopicSettings;
use sim::clock::Tick;

/// The topic a writer produces to, named as the refusals name it.
pub(super) struct WriterTopic<'a> {
    /// Who writes, as a refusal says it ("the order feed").
    pub writer: &'a str,
    pub topic: &'a str,
    /// The partitions the topic is made with when it does not exist yet.
    pub partitions: u32,
}

/// Creates `target.topic` (unless it exists) and a producer for the writer; both are checked
/// before either is made, so a refusal changes nothing.
pub(super) fn open_topic_writer(
    cluster: &mut Cluster,
    now: Tick,
    target: &WriterTopic<'_>,
) -> Result<ProducerId, StreamRefusal> {
    let topic = cluster
        .topics()
        .get(target.topic)
        .is_none()
        .then(|| BrokerCommand::CreateTopic {
            name: target.topic.into(),
            partitions: target.partitions,
            settings: TopicSettings::default(),
        });
    let add = BrokerCommand::AddProducer {
        config: ProducerConfig::default(),
    };
    let refused = |e: BrokerRejection| {
        (
            format!(
                "{} cannot write to the {} topic: {e}",
                target.writer, target.topic
            ),
            "fix what the cluster refused (a controller down, too many producers), then try again"
                .to_string(),
        )
    };
    for command in topic.iter().chain([&add]) {
        cluster.validate(command).map_err(refused)?;
    }
    if let Some(topic) = &topic {
        cluster.apply(topic, now).map_err(refused)?;
    }
    let events = cluster.apply(&add, now).map_err(refused)?;
    events
        .iter()
        .find_map(|e| match e {
            BrokerEvent::ProducerAdded { producer } => Some(*producer),
            _ => None,
        })
        .ok_or_else(|| {
            (
                "the cluster added no producer".to_string(),
                "try again".to_string(),
            )
        })
}
