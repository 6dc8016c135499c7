//! The produce path: the producer's accumulator drained into batches, each sent through the
//! (possibly lossy) network to the leader the producer believes in; the leader's checks
//! (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, idempotent sequences), the append, and the
//! answer: at once for acks=0 and 1, from the purgatory once the high watermark covers the batch
//! for acks=all (Kafka's delayed produce: Partition.checkEnoughReplicasReachOffset). Acknowledged records enter the ledger.
//!
//! What the client hears when the leader it believes in cannot answer follows Kafka's Java
//! client (Sender.handleProduceResponse, NetworkClient.handleTimedOutRequests): a broker whose
//! process is down answers nothing, its connection is reset, and the requests in flight to it
//! fail with NETWORK_EXCEPTION; a broker cut off from clients is silent, so they fail with
//! REQUEST_TIMED_OUT once `request.timeout.ms` has passed. NOT_LEADER_OR_FOLLOWER comes only from
//! a live broker that does not lead the partition (any more). All three are retriable and make
//! the producer refresh its metadata.

use super::numbered_text::NumberedText;
use super::*;

impl Cluster {
    pub(super) fn produce(
        &mut self,
        producer_id: ProducerId,
        spec: &ProduceSpec<'_>,
        first_n: u64,
        count: u16,
        now: Tick,
    ) -> Result<(), BrokerRejection> {
        let (topic, partition, key, value) = (spec.topic, spec.partition, spec.key, spec.value);
        let headers: Vec<(String, Vec<u8>)> = spec
            .header
            .iter()
            .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
            .collect();
        let key = key.as_deref().map(NumberedText::parse);
        let value = value.as_deref().map(NumberedText::parse);
        let records = (first_n..first_n + u64::from(count)).map(|n| NewRecord {
            key: key.as_ref().map(|t| t.fill(n)),
            value: spec
                .raw_value
                .map(<[u8]>::to_vec)
                .or_else(|| value.as_ref().map(|t| t.fill(n))),
            headers: headers.clone(),
            timestamp: Some(now),
        });
        self.accumulate_records(producer_id, topic, partition, records.collect(), now)
    }

    /// Puts `records` in the producer's accumulator for `topic` (in `partition`, or where its
    /// partitioner puts each), each a send to follow; refused if the buffer would overflow.
    pub(super) fn accumulate_records(
        &mut self,
        producer_id: ProducerId,
        topic: &str,
        partition: Option<PartitionId>,
        records: Vec<NewRecord>,
        now: Tick,
    ) -> Result<(), BrokerRejection> {
        let t = &self.topics[topic];
        let partitions = t.partitions.len() as u32;
        let available: Vec<PartitionId> = t
            .partitions
            .iter()
            .filter(|p| p.leader.is_some())
            .map(|p| p.id)
            .collect();
        let producer = self.producers.get_mut(&producer_id).expect("validated");
        if producer.pending_records() + records.len() > crate::producer::ACCUMULATED_RECORDS_MAX {
            return Err(BrokerRejection::Limit(
                "the producer's buffer is full (buffer.memory)".into(),
            ));
        }
        // One shared name per partition, by partition index (this is on the per-record path).
        let mut shared: Vec<Option<std::rc::Rc<TopicPartition>>> = vec![None; partitions as usize];
        for record in records {
            let chosen =
                producer.choose_partition(topic, partitions, &available, partition, &record);
            let send_id = self.sends.len() as u64;
            let name = || {
                std::rc::Rc::new(TopicPartition {
                    topic: topic.to_string(),
                    partition: chosen,
                })
            };
            let tp = match shared.get_mut(chosen.0 as usize) {
                Some(slot) => slot.get_or_insert_with(name).clone(),
                None => name(),
            };
            producer
                .accumulate(topic, chosen, record, send_id, now)
                .map_err(|why| BrokerRejection::Limit(why.into()))?;
            self.sends.push(Send {
                producer: producer_id,
                tp,
                outcome: SendOutcome::Pending,
                acks: producer.config.acks,
                first_write: None,
                more_writes: Vec::new(),
            });
        }
        Ok(())
    }

    /// Sends every batch that is ready, through the (possibly lossy) network.
    pub(super) fn flush_producers(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let ids: Vec<ProducerId> = self.producers.keys().copied().collect();
        for id in ids {
            let batches = self.producers.get_mut(&id).expect("listed").drain(now);
            for batch in batches {
                self.send_batch(id, batch, now, events);
            }
        }
    }

    /// Where a producer sends a partition's batches: the leader it knows, or after a metadata
    /// refresh, the leader named by the best-informed broker it can reach.
    pub(super) fn client_leader(
        &mut self,
        producer: ProducerId,
        tp: &TopicPartition,
    ) -> Option<BrokerId> {
        let key = (producer, tp.clone());
        if let Some(b) = self.client_leaders.get(&key) {
            return Some(*b);
        }
        let answering = self
            .brokers
            .iter()
            .filter(|b| b.reachable(Link::Clients))
            .max_by_key(|b| (b.metadata_offset, std::cmp::Reverse(b.id)))?;
        let p = self.topics.get(&tp.topic)?.partition(tp.partition)?;
        let leader = if answering.metadata_offset >= self.controller.end_offset() {
            p.leader
        } else {
            p.replica
                .get(&answering.id)
                .map_or(p.leader, |r| r.known_leader)
        }?;
        self.client_leaders.insert(key, leader);
        Some(leader)
    }

    pub(super) fn send_batch(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) {
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        let retry = batch.attempts > 1;
        let producer = self.producers.get_mut(&id).expect("exists");
        let acks = producer.config.acks;
        let fire_and_forget = acks == Acks::Zero;
        // Each attempt goes out with the producer's acks setting of the moment.
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].acks = acks;
        }
        let producer = self.producers.get_mut(&id).expect("exists");
        let (request_lost, lost_response) = producer.roll_network_fault();
        // acks=0 expects no response, so there is none to lose, and nothing is ever retried.
        let response_lost = lost_response && !fire_and_forget;
        if request_lost {
            events.push(BrokerEvent::RequestLost { producer: id, tp });
            if fire_and_forget {
                self.set_outcome(&batch, SendOutcome::Unconfirmed);
            } else {
                self.retry_or_fail(id, batch, now, "the request was lost", false, events);
            }
            return;
        }
        let Some(broker) = self.client_leader(id, &tp) else {
            let error = ProduceError::LeaderNotAvailable;
            return self.produce_error(id, batch, now, error, events);
        };
        let (cut, running) = self
            .existing_broker(broker)
            .map_or((false, false), |b| (b.is_cut(Link::Clients), b.running()));
        if cut {
            return self.send_into_cut(id, batch, broker, now);
        }
        if !running {
            let error = ProduceError::Disconnected(broker);
            return self.produce_error(id, batch, now, error, events);
        }
        // A transactional producer's batch: its partition joins the transaction first, and the
        // leader checks it belongs there under the current epoch.
        let broker_producer = self.broker_producer_id(id);
        let Some((mut batch, kind)) = self.transactional_append(id, batch, &tp, now, events) else {
            return;
        };
        let rules = self.rules();
        let topic = self
            .topics
            .get_mut(&batch.topic)
            .expect("topics are never deleted");
        let settings = topic.settings;
        let partition = &mut topic.partitions[batch.partition.0 as usize];
        let min_isr = partition.effective_min_isr(&settings);
        let Some(replica) = partition
            .replica
            .get_mut(&broker)
            .filter(|r| r.leading.is_some())
        else {
            let error = ProduceError::NotLeaderOrFollower(broker);
            return self.produce_error(id, batch, now, error, events);
        };
        if acks == Acks::All && replica.known_isr.len() < min_isr {
            let error = ProduceError::NotEnoughReplicas {
                isr: replica.known_isr.len(),
                min: min_isr,
            };
            return self.produce_error(id, batch, now, error, events);
        }
        let leader_epoch = replica.known_epoch;
        let producer_key = Producer::stamp_id(broker_producer, batch.producer_epoch);
        let expected = batch.base_sequence.map(|seq| {
            let next = replica.sequences.get(&producer_key).copied().unwrap_or(0);
            (seq, next)
        });
        match expected {
            Some((seq, next)) if seq < next => {
                self.retries_deduplicated += 1;
                events.push(BrokerEvent::DuplicateDiscarded {
                    producer: id,
                    tp: tp.clone(),
                    count: batch.records.len(),
                });
            }
            Some((seq, next)) if seq > next => {
                events.push(BrokerEvent::OutOfOrderRejected {
                    producer: id,
                    tp: tp.clone(),
                });
                let seq = batch.base_sequence.unwrap_or(0);
                let earlier_in_flight = self.in_flight_before(id, &batch, seq);
                let producer = self.producers.get_mut(&id).expect("exists");
                let gap_never_fills = !earlier_in_flight
                    && !producer.holds_earlier(&batch.topic, batch.partition, seq);
                if gap_never_fills && producer.txn.is_some() {
                    return self.sequence_gap_in_transaction(id, &batch, events);
                }
                *self
                    .produce_errors
                    .entry("OUT_OF_ORDER_SEQUENCE_NUMBER")
                    .or_default() += 1;
                let producer = self.producers.get_mut(&id).expect("exists");
                if gap_never_fills {
                    producer.bump_epoch();
                    batch.base_sequence = None;
                }
                let reason = if gap_never_fills {
                    "OUT_OF_ORDER_SEQUENCE_NUMBER: the leader lacks this producer's earlier records \
                     (data was lost), so the producer bumps its epoch and starts its sequences over"
                } else {
                    "out of order sequence"
                };
                self.retry_or_fail(id, batch, now, reason, false, events);
                return;
            }
            _ => {
                let log_append_time = settings.timestamp_type == TimestampType::LogAppendTime;
                let count = batch.records.len();
                // The records move into the log, unless the producer will have to send them again
                // (an acks=all batch that has to wait takes a copy back from the log).
                let keep = response_lost;
                let owned = if keep {
                    batch.records.clone()
                } else {
                    std::mem::take(&mut batch.records)
                };
                let records: Vec<NewRecord> = owned
                    .into_iter()
                    .map(|r| {
                        if log_append_time {
                            NewRecord {
                                timestamp: None,
                                ..r
                            }
                        } else {
                            r
                        }
                    })
                    .collect();
                let stamp = batch.base_sequence.map(|base_sequence| ProducerStamp {
                    producer_id: producer_key,
                    base_sequence,
                });
                // compression.type=producer keeps the producer's codec; any other value makes the
                // broker recompress the batch.
                let codec = settings
                    .compression
                    .unwrap_or(self.producers[&id].config.compression);
                let encoded = crate::compression::encoded_len(codec, &records);
                match replica.log.append_kind(
                    records,
                    now,
                    leader_epoch,
                    stamp,
                    Some(encoded),
                    kind,
                ) {
                    Ok((base, _)) => {
                        let bytes = crate::log::BATCH_HEADER_BYTES + encoded;
                        crate::metrics::count_traffic(&mut self.brokers, broker, now, |t| {
                            t.bytes_in += bytes;
                            t.messages_in += count as u64;
                        });
                        for (i, send_id) in batch.send_ids.iter().enumerate() {
                            self.sends[*send_id as usize]
                                .written_at(Offset(base.0 + i as u64), leader_epoch);
                        }
                        if let Some(seq) = batch.base_sequence {
                            replica.note_sequence(producer_key, seq + count as u32);
                        }
                        events.push(BrokerEvent::Appended {
                            producer: id,
                            tp: tp.clone(),
                            base_offset: base,
                            count,
                            retry,
                        });
                    }
                    Err(e) => {
                        let reason = e.to_string();
                        self.fail(id, &batch, &reason, false, events);
                        return;
                    }
                }
            }
        }
        // An append alone moves the high watermark when the leader is the whole ISR.
        let controller = &self.controller;
        replication::advance_hw(replica, min_isr, now, &rules, |b| controller.eligible(b));
        if partition.leader == Some(broker) {
            partition.hw = partition.hw.max(replica.hw);
        }
        let last_offset = Offset(replica.log.leo().0.saturating_sub(1));
        // acks=all waits in purgatory unless the append alone committed it (the leader is the
        // whole ISR) and the answer will arrive.
        let must_wait = replica.hw <= last_offset || response_lost;
        if acks == Acks::All && must_wait {
            // Kept for a retry: the records as the log holds them, shared with it until then.
            let written = if batch.records.is_empty() {
                replica.log.newest_batch_records()
            } else {
                None
            };
            self.parked.push(ParkedProduce {
                producer: id,
                batch,
                written,
                broker,
                leader_epoch,
                last_offset,
                deadline: now.plus(self.settings.request_timeout_ticks),
                response_lost,
            });
            return;
        }
        if response_lost {
            events.push(BrokerEvent::ResponseLost { producer: id, tp });
            self.retry_or_fail(id, batch, now, "the response was lost", false, events);
            return;
        }
        if fire_and_forget {
            self.set_outcome(&batch, SendOutcome::Unconfirmed);
            return;
        }
        self.acknowledge(id, &batch, broker, now);
    }

    /// Whether a request of `id` for the batch's partition with a sequence below `seq` is still
    /// in flight (parked on a leader, or unanswered in a cut link).
    fn in_flight_before(&self, id: ProducerId, batch: &ProducerBatch, seq: u32) -> bool {
        let earlier = |producer: ProducerId, other: &ProducerBatch| {
            producer == id
                && other.topic == batch.topic
                && other.partition == batch.partition
                && other.base_sequence.is_some_and(|s| s < seq)
        };
        self.parked.iter().any(|p| earlier(p.producer, &p.batch))
            || self
                .unanswered
                .iter()
                .any(|u| earlier(u.producer, &u.batch))
    }

    /// A request sent to a broker cut off from clients: an acks=0 send is done once it leaves
    /// (nobody waits for an answer), any other waits for the client's request timeout.
    fn send_into_cut(&mut self, id: ProducerId, batch: ProducerBatch, broker: BrokerId, now: Tick) {
        if self.producers[&id].config.acks == Acks::Zero {
            self.set_outcome(&batch, SendOutcome::Unconfirmed);
            return;
        }
        self.unanswered.push(UnansweredProduce {
            producer: id,
            batch,
            broker,
            deadline: now.plus(self.settings.request_timeout_ticks),
        });
    }

    /// Fails the requests lost in a cut link whose `request.timeout.ms` has passed.
    pub(super) fn expire_unanswered(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let (expired, waiting) = std::mem::take(&mut self.unanswered)
            .into_iter()
            .partition(|u| now >= u.deadline);
        self.unanswered = waiting;
        for request in expired {
            let error = ProduceError::ClientTimedOut(request.broker);
            self.produce_error(request.producer, request.batch, now, error, events);
        }
    }

    pub(super) fn set_outcome(&mut self, batch: &ProducerBatch, outcome: SendOutcome) {
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].outcome = outcome;
        }
    }

    /// `broker` tells the producer its records are written: they enter the ledger, each with
    /// the write that broker holds (a retry it recognised as a duplicate refers to the original).
    pub(super) fn acknowledge(
        &mut self,
        id: ProducerId,
        batch: &ProducerBatch,
        broker: BrokerId,
        now: Tick,
    ) {
        let producer = self.producers.get_mut(&id).expect("exists");
        producer.acked_records += batch.send_ids.len() as u64;
        self.set_outcome(batch, SendOutcome::Acked);
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        let partition = &self.topics[&batch.topic].partitions[batch.partition.0 as usize];
        let log = partition.log_on(broker);
        let sends = &self.sends;
        let entries = batch.send_ids.iter().filter_map(|send_id| {
            let send = &sends[*send_id as usize];
            let (offset, epoch) = send.acknowledged_write(log)?;
            Some(Entry {
                send: *send_id,
                offset,
                epoch,
                acks: send.acks,
                lost: false,
            })
        });
        let before = self.ledger.acked;
        self.ledger.acknowledged(&tp, entries, partition, now);
        if self.controller.active().is_none() {
            self.ledger.acked_without_controller += self.ledger.acked - before;
        }
    }

    /// A produce error: stale metadata is dropped, and the batch is retried while retries last.
    pub(super) fn produce_error(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        error: ProduceError,
        events: &mut Vec<BrokerEvent>,
    ) {
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        self.client_leaders.remove(&(id, tp.clone()));
        *self.produce_errors.entry(error.code()).or_default() += 1;
        let reason = format!("{} ({error})", error.code());
        let maybe_written = error.maybe_written();
        events.push(BrokerEvent::ProduceFailed {
            producer: id,
            tp,
            error,
        });
        self.retry_or_fail(id, batch, now, &reason, maybe_written, events);
    }

    /// Answers the parked acks=all requests whose time has come (Kafka's delayed produce: Partition.checkEnoughReplicasReachOffset): success once the
    /// high watermark covers the batch (or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
    /// meanwhile), NOT_LEADER_OR_FOLLOWER if the leader lost its leadership, REQUEST_TIMED_OUT
    /// when the deadline passes. No answer crosses a link cut from clients, so the client times
    /// the request out itself; a leader whose process ended answers nothing (see
    /// [`Cluster::closed_connection_error`]).
    pub(super) fn complete_parked(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let parked = std::mem::take(&mut self.parked);
        for request in parked {
            let b = self.existing_broker(request.broker).expect("brokers stay");
            let (running, cut) = (b.running(), b.is_cut(Link::Clients));
            let t = &self.topics[&request.batch.topic];
            let p = &t.partitions[request.batch.partition.0 as usize];
            let min_isr = p.effective_min_isr(&t.settings);
            let replica = p.replica.get(&request.broker);
            let leads = replica
                .is_some_and(|r| r.leading.is_some() && r.known_epoch == request.leader_epoch);
            let error = if cut {
                (now >= request.deadline).then_some(ProduceError::ClientTimedOut(request.broker))
            } else if !running {
                Some(self.closed_connection_error(&request))
            } else if !leads {
                Some(ProduceError::NotLeaderOrFollower(request.broker))
            } else if replica.is_some_and(|r| r.hw > request.last_offset) {
                let isr = replica.map_or(0, |r| r.maximal_isr().len());
                if isr < min_isr {
                    Some(ProduceError::NotEnoughReplicasAfterAppend { isr, min: min_isr })
                } else if request.response_lost {
                    let tp = TopicPartition {
                        topic: request.batch.topic.clone(),
                        partition: request.batch.partition,
                    };
                    events.push(BrokerEvent::ResponseLost {
                        producer: request.producer,
                        tp,
                    });
                    let id = request.producer;
                    self.retry_or_fail(
                        id,
                        request.into_batch(),
                        now,
                        "the response was lost",
                        true,
                        events,
                    );
                    continue;
                } else {
                    self.acknowledge(request.producer, &request.batch, request.broker, now);
                    continue;
                }
            } else if now >= request.deadline {
                Some(ProduceError::RequestTimedOut)
            } else {
                None
            };
            match error {
                Some(error) => {
                    let id = request.producer;
                    self.produce_error(id, request.into_batch(), now, error, events);
                }
                None => self.parked.push(request),
            }
        }
    }

    /// What the producer hears about a request parked on a leader whose process ended. A
    /// controlled shutdown hands the leadership over first, and the broker, still running, answers
    /// its parked requests NOT_LEADER_OR_FOLLOWER before it exits; a killed process (or one that
    /// stopped without the controller moving its leadership) takes them down with its
    /// connections: NETWORK_EXCEPTION.
    fn closed_connection_error(&self, request: &ParkedProduce) -> ProduceError {
        let stopped = self
            .broker(request.broker)
            .is_some_and(|b| b.process() == BrokerProcess::Stopped);
        let partition =
            &self.topics[&request.batch.topic].partitions[request.batch.partition.0 as usize];
        if stopped && partition.leader != Some(request.broker) {
            ProduceError::NotLeaderOrFollower(request.broker)
        } else {
            ProduceError::Disconnected(request.broker)
        }
    }

    pub(super) fn retry_or_fail(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        reason: &str,
        maybe_written: bool,
        events: &mut Vec<BrokerEvent>,
    ) {
        let producer = self.producers.get_mut(&id).expect("exists");
        if let Err(batch) = producer.retry_later(batch, now) {
            self.fail(
                id,
                &batch,
                &format!("{reason}, and the retries ran out"),
                maybe_written,
                events,
            );
        }
    }

    pub(super) fn fail(
        &mut self,
        id: ProducerId,
        batch: &ProducerBatch,
        reason: &str,
        maybe_written: bool,
        events: &mut Vec<BrokerEvent>,
    ) {
        let mut unknown = 0;
        for send_id in &batch.send_ids {
            let send = &mut self.sends[*send_id as usize];
            // A record that reached a log (or may have) is not known to have failed.
            send.outcome = if maybe_written || send.first_write.is_some() {
                unknown += 1;
                SendOutcome::Unknown
            } else {
                SendOutcome::Failed
            };
        }
        if let Some(producer) = self.producers.get_mut(&id) {
            producer.failed_records += batch.send_ids.len() as u64;
            producer.unknown_records += unknown;
        }
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        events.push(BrokerEvent::SendFailed {
            producer: id,
            tp,
            count: batch.send_ids.len(),
            reason: reason.to_string(),
        });
    }

    /// Counts each consumer fetch as bytes out of the partition's leader: the stored batches
    /// holding the records fetched (a fetch returns whole batches, as Kafka's does).
    pub(super) fn count_consumer_fetches(&mut self, events: &[GroupEvent], now: Tick) {
        for event in events {
            let GroupEvent::Polled {
                tp, from, count, ..
            } = event
            else {
                continue;
            };
            let Some(p) = self.partition_at(tp) else {
                continue;
            };
            let (Some(leader), Some(log)) = (p.leader, p.leader_log()) else {
                continue;
            };
            let bytes = log.batch_bytes_between(*from, Offset(from.0 + *count as u64));
            crate::metrics::count_traffic(&mut self.brokers, leader, now, |t| t.bytes_out += bytes);
        }
    }
}
