//! The cluster the integration tests drive: topic `orders`, producer 1, every event kept, and
//! time advanced one tick at a time with an invariant checked after each.

use broker::cluster::{BrokerCommand as C, BrokerEvent, Cluster};
use broker::group::{ConsumerConfig, ConsumerGroup, ConsumerId};
use broker::producer::ProducerConfig;
use broker::topic::TopicSettings;
use sim::clock::Tick;

pub struct Lab {
    pub cluster: Cluster,
    pub now: Tick,
    pub events: Vec<BrokerEvent>,
}

impl Lab {
    /// `cluster` with topic `orders` (`partitions`, `settings`) and producer 1, at tick 0.
    pub fn start(cluster: Cluster, partitions: u32, settings: TopicSettings) -> Lab {
        let mut lab = Lab {
            cluster,
            now: Tick(0),
            events: Vec::new(),
        };
        lab.run(C::CreateTopic {
            name: "orders".into(),
            partitions,
            settings,
        });
        lab.run(C::AddProducer {
            config: ProducerConfig::default(),
        });
        lab
    }

    /// Applies a command the test expects to be accepted.
    pub fn run(&mut self, command: C) {
        let events = self
            .cluster
            .apply(&command, self.now)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        self.events.extend(events);
    }

    /// A consumer of `orders` in `group`; returns its id.
    pub fn consumer(
        &mut self,
        group: &str,
        config: ConsumerConfig,
        instance: Option<&str>,
    ) -> ConsumerId {
        self.run(C::AddConsumer {
            group: group.into(),
            topics: vec!["orders".into()],
            instance_id: instance.map(str::to_string),
            config,
        });
        *self.cluster.consumers().keys().last().unwrap()
    }

    /// Runs `n` ticks, checking `invariant` after each.
    pub fn ticks_checking(&mut self, n: u64, invariant: impl Fn(&Lab)) {
        for _ in 0..n {
            let events = self.cluster.tick(self.now);
            self.events.extend(events);
            self.now = self.now.next();
            invariant(self);
        }
    }

    pub fn group(&self, name: &str) -> &ConsumerGroup {
        &self.cluster.groups()[name]
    }
}
