//! A RabbitMQ-style classic queue, for contrast with the Kafka log: messages wait in the queue,
//! are pushed to competing consumers up to each one's prefetch, and are **deleted when
//! acknowledged**. A consumer that crashes with unacknowledged messages gets them requeued (marked
//! redelivered) for another consumer. Nothing can be read twice on purpose: there is no offset to
//! rewind to and no second group to read the same messages.

use sim::clock::Tick;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Most messages waiting in the queue.
pub const QUEUE_MESSAGES_MAX: usize = 10_000;
/// Most queue consumers.
pub const QUEUE_CONSUMERS_MAX: usize = 8;
/// Most messages one Publish may send.
pub const PUBLISH_COUNT_MAX: u16 = 1000;

/// A queue consumer's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueConsumerId(pub u32);

impl fmt::Display for QueueConsumerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "queue-consumer-{}", self.0)
    }
}

/// A message in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub redelivered: bool,
}

/// A consumer with its prefetch window and unacknowledged messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConsumer {
    pub id: QueueConsumerId,
    pub prefetch: u16,
    pub processing_ticks: u64,
    pub alive: bool,
    /// Delivered, not yet acknowledged, with the tick processing ends.
    pub unacked: Vec<(Message, Tick)>,
    pub acked: u64,
}

/// What can be asked of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueCommand {
    Publish {
        count: u16,
    },
    AddConsumer {
        prefetch: u16,
        processing_ticks: u64,
    },
    CrashConsumer {
        consumer: QueueConsumerId,
    },
}

/// What happened in the queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueEvent {
    Published {
        count: u16,
    },
    ConsumerAdded {
        consumer: QueueConsumerId,
    },
    Delivered {
        consumer: QueueConsumerId,
        message: u64,
        redelivered: bool,
    },
    AckedAndDeleted {
        consumer: QueueConsumerId,
        count: usize,
    },
    Requeued {
        consumer: QueueConsumerId,
        count: usize,
    },
}

/// A classic queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassicQueue {
    pub ready: VecDeque<Message>,
    pub consumers: BTreeMap<QueueConsumerId, QueueConsumer>,
    next_message: u64,
    next_consumer_turn: usize,
    pub deleted: u64,
    pub redeliveries: u64,
}

impl ClassicQueue {
    /// Checks a command without changing anything; the error is a (message, hint) pair.
    pub fn validate(&self, command: &QueueCommand) -> Result<(), (String, String)> {
        match command {
            QueueCommand::Publish { count } => {
                if *count == 0 || *count > PUBLISH_COUNT_MAX {
                    return Err((
                        format!("cannot publish {count} messages at once"),
                        format!("publish 1 to {PUBLISH_COUNT_MAX}"),
                    ));
                }
                if self.ready.len() + usize::from(*count) > QUEUE_MESSAGES_MAX {
                    return Err((
                        format!("the queue holds at most {QUEUE_MESSAGES_MAX} messages"),
                        "add consumers to drain it".into(),
                    ));
                }
                Ok(())
            }
            QueueCommand::AddConsumer { prefetch, .. } => {
                if self.consumers.len() >= QUEUE_CONSUMERS_MAX {
                    return Err((
                        format!("the queue already has {QUEUE_CONSUMERS_MAX} consumers"),
                        "reset the lab".into(),
                    ));
                }
                if *prefetch == 0 || *prefetch > 1000 {
                    return Err((
                        "prefetch must be 1 to 1000".into(),
                        "RabbitMQ's common choice is 10 to 100".into(),
                    ));
                }
                Ok(())
            }
            QueueCommand::CrashConsumer { consumer } => match self.consumers.get(consumer) {
                Some(c) if c.alive => Ok(()),
                Some(_) => Err((
                    format!("{consumer} has already crashed"),
                    "pick a running consumer".into(),
                )),
                None => Err((
                    format!("there is no {consumer}"),
                    "add a queue consumer first".into(),
                )),
            },
        }
    }

    /// Applies a validated command.
    pub fn apply(&mut self, command: &QueueCommand) -> Result<Vec<QueueEvent>, (String, String)> {
        self.validate(command)?;
        Ok(match command {
            QueueCommand::Publish { count } => {
                for _ in 0..*count {
                    self.ready.push_back(Message {
                        id: self.next_message,
                        redelivered: false,
                    });
                    self.next_message += 1;
                }
                vec![QueueEvent::Published { count: *count }]
            }
            QueueCommand::AddConsumer {
                prefetch,
                processing_ticks,
            } => {
                let id = QueueConsumerId(self.consumers.len() as u32 + 1);
                self.consumers.insert(
                    id,
                    QueueConsumer {
                        id,
                        prefetch: *prefetch,
                        processing_ticks: *processing_ticks,
                        alive: true,
                        unacked: Vec::new(),
                        acked: 0,
                    },
                );
                vec![QueueEvent::ConsumerAdded { consumer: id }]
            }
            QueueCommand::CrashConsumer { consumer } => {
                let c = self.consumers.get_mut(consumer).expect("validated");
                c.alive = false;
                let requeued: Vec<Message> = c
                    .unacked
                    .drain(..)
                    .map(|(m, _)| Message {
                        redelivered: true,
                        ..m
                    })
                    .collect();
                let count = requeued.len();
                for m in requeued.into_iter().rev() {
                    self.ready.push_front(m);
                }
                vec![QueueEvent::Requeued {
                    consumer: *consumer,
                    count,
                }]
            }
        })
    }

    /// One tick: consumers finish and acknowledge (deleting), then the queue pushes ready
    /// messages round-robin to consumers with room in their prefetch window.
    pub fn tick(&mut self, now: Tick) -> Vec<QueueEvent> {
        let mut events = Vec::new();
        for c in self.consumers.values_mut().filter(|c| c.alive) {
            let before = c.unacked.len();
            c.unacked.retain(|(_, done_at)| *done_at > now);
            let acked = before - c.unacked.len();
            if acked > 0 {
                c.acked += acked as u64;
                self.deleted += acked as u64;
                events.push(QueueEvent::AckedAndDeleted {
                    consumer: c.id,
                    count: acked,
                });
            }
        }
        let ids: Vec<QueueConsumerId> = self
            .consumers
            .values()
            .filter(|c| c.alive)
            .map(|c| c.id)
            .collect();
        if ids.is_empty() {
            return events;
        }
        let mut idle_rounds = 0;
        while !self.ready.is_empty() && idle_rounds < ids.len() {
            let id = ids[self.next_consumer_turn % ids.len()];
            self.next_consumer_turn = self.next_consumer_turn.wrapping_add(1);
            let c = self.consumers.get_mut(&id).expect("listed");
            if c.unacked.len() >= usize::from(c.prefetch) {
                idle_rounds += 1;
                continue;
            }
            idle_rounds = 0;
            let message = self.ready.pop_front().expect("not empty");
            if message.redelivered {
                self.redeliveries += 1;
            }
            events.push(QueueEvent::Delivered {
                consumer: id,
                message: message.id,
                redelivered: message.redelivered,
            });
            c.unacked
                .push((message, now.plus(c.processing_ticks.max(1))));
        }
        events
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.ready.len() as u64);
        for m in &self.ready {
            hasher.u64(m.id);
            hasher.u64(u64::from(m.redelivered));
        }
        for c in self.consumers.values() {
            hasher.u64(u64::from(c.id.0));
            hasher.u64(u64::from(c.alive));
            hasher.u64(c.acked);
            hasher.u64(c.unacked.len() as u64);
        }
        hasher.u64(self.deleted);
        hasher.u64(self.redeliveries);
    }

    /// One line per event, for the trace.
    pub fn narrate(event: &QueueEvent) -> String {
        match event {
            QueueEvent::Published { count } => format!("{count} message(s) published to the queue"),
            QueueEvent::ConsumerAdded { consumer } => format!("{consumer} subscribes to the queue"),
            QueueEvent::Delivered {
                consumer,
                message,
                redelivered,
            } => {
                format!(
                    "message {message} pushed to {consumer}{}",
                    if *redelivered { " (redelivered)" } else { "" }
                )
            }
            QueueEvent::AckedAndDeleted { consumer, count } => {
                format!("{consumer} acknowledged {count}: deleted from the queue for good")
            }
            QueueEvent::Requeued { consumer, count } => {
                format!("{consumer} crashed: {count} unacknowledged message(s) requeued")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledged_messages_are_gone_and_crashes_requeue() {
        let mut q = ClassicQueue::default();
        q.apply(&QueueCommand::Publish { count: 10 }).unwrap();
        q.apply(&QueueCommand::AddConsumer {
            prefetch: 3,
            processing_ticks: 2,
        })
        .unwrap();
        q.apply(&QueueCommand::AddConsumer {
            prefetch: 3,
            processing_ticks: 2,
        })
        .unwrap();
        q.tick(Tick(0));
        assert_eq!(
            q.ready.len(),
            4,
            "six in flight, two prefetch windows of three"
        );
        q.apply(&QueueCommand::CrashConsumer {
            consumer: QueueConsumerId(1),
        })
        .unwrap();
        assert_eq!(q.ready.len(), 7);
        assert!(q.ready[0].redelivered);
        for t in 1..20 {
            q.tick(Tick(t));
        }
        assert_eq!((q.ready.len(), q.deleted, q.redeliveries), (0, 10, 3));
        assert!(q
            .apply(&QueueCommand::CrashConsumer {
                consumer: QueueConsumerId(1)
            })
            .is_err());
        assert!(q.apply(&QueueCommand::Publish { count: 0 }).is_err());
    }
}
