//! Transactions in the cluster (KIP-98, KIP-447, KIP-890 part 1): the transaction commands, the
//! transactional producer's side of the produce path (`AddPartitionsToTxn` before a partition's
//! first batch, the leader's epoch and partition verification), and the coordinator's work each
//! tick: `initTransactions()` retries, `EndTxn` once a committing producer has flushed, the
//! markers written to every partition's leader and re-written if a failover lost them,
//! completion once each is below its high watermark (acks=all), the transaction's offsets
//! committed to the group with its COMMIT, and the timeout scan. Offsets carry the consumer's
//! group metadata as it is when `sendOffsetsToTransaction` is called, and the group coordinator
//! refuses them from a member it no longer knows or of another generation (KIP-447), so a zombie
//! whose consumer left the group cannot commit them even under a current producer epoch. Such a
//! refusal, like a leader's INVALID_PRODUCER_EPOCH or a sequence gap, leaves the transaction
//! only abortable (Kafka's `TransactionManager`). The coordinator's own state
//! machine is [`crate::transaction`]; the markers' effect on reads is [`crate::log`]'s.

use super::*;
use crate::group::GroupProtocol;
use crate::log::{BatchKind, ControlType, IsolationLevel};
use crate::transaction::{
    ClientTxnState, Coordinator, GroupMetadata, InitOutcome, MarkerProgress, TxnClient, TxnError,
    TIMEOUT_SCAN_INTERVAL_TICKS, TRANSACTIONAL_ID_LEN_MAX, TRANSACTION_MAX_TIMEOUT_TICKS,
};

impl Cluster {
    /// The transaction coordinator.
    pub fn coordinator(&self) -> &Coordinator {
        &self.coordinator
    }

    fn txn_client(&self, id: ProducerId) -> Result<&TxnClient, BrokerRejection> {
        self.existing_producer(id)?.txn.as_ref().ok_or_else(|| {
            invalid(
                format!("{id} has no transactional.id"),
                "initialise transactions first (init-txn), giving it a transactional.id",
            )
        })
    }

    /// Refuses a transactional producer's call in the wrong client state, the way the Java
    /// client throws (an `IllegalStateException`, or the fatal error it is in).
    fn txn_in_state(
        &self,
        id: ProducerId,
        call: &str,
        allowed: fn(ClientTxnState) -> bool,
    ) -> Result<&TxnClient, BrokerRejection> {
        let txn = self.txn_client(id)?;
        if allowed(txn.state) {
            return Ok(txn);
        }
        let hint = match txn.state {
            ClientTxnState::Initializing => {
                "wait: initTransactions() is still waiting for the coordinator"
            }
            ClientTxnState::Ready => "begin a transaction first",
            ClientTxnState::InTransaction => "commit or abort the open transaction first",
            ClientTxnState::Committing | ClientTxnState::Aborting => {
                "wait for the transaction to finish ending"
            }
            ClientTxnState::AbortableError(_) => "a send failed: abort the transaction",
            ClientTxnState::Fatal(_) => {
                "this instance is fenced for good: close it and use the new instance"
            }
        };
        Err(invalid(
            format!("{id} cannot {call}: it is {}", txn.state.describe()),
            hint,
        ))
    }

    /// Checks a Produce or a steady rate from `id` to `topic` against its transactional state.
    pub(super) fn check_transactional_send(
        &self,
        id: ProducerId,
        topic: &str,
        steady: bool,
    ) -> Result<(), BrokerRejection> {
        if self.existing_producer(id)?.txn.is_none() {
            return Ok(());
        }
        if steady {
            return Err(invalid(
                format!("{id} is transactional"),
                "send inside begin / commit with Produce instead of a steady rate",
            ));
        }
        self.txn_in_state(id, "send", |s| s == ClientTxnState::InTransaction)?;
        if self.existing_topic(topic)?.settings.log.cleanup_compact {
            return Err(invalid(
                format!("{topic} is compacted"),
                "the lab's log cleaner does not handle transaction markers: use a delete topic",
            ));
        }
        Ok(())
    }

    pub(super) fn validate_transaction_command(
        &self,
        command: &BrokerCommand,
    ) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        use ClientTxnState as S;
        match command {
            C::InitTransactions {
                producer,
                transactional_id,
                timeout_ticks,
            } => {
                let p = self.existing_producer(*producer)?;
                check_transactional_id(transactional_id)?;
                if !(1..=TRANSACTION_MAX_TIMEOUT_TICKS).contains(timeout_ticks) {
                    return Err(invalid(
                        format!(
                            "transaction.timeout.ms of {timeout_ticks} ticks is refused \
                             (INVALID_TRANSACTION_TIMEOUT)"
                        ),
                        format!(
                            "it must be at most transaction.max.timeout.ms, \
                             {TRANSACTION_MAX_TIMEOUT_TICKS} ticks (15 minutes)"
                        ),
                    ));
                }
                if !p.config.idempotence {
                    return Err(invalid(
                        format!("{producer} is not idempotent"),
                        "a transactional producer needs enable.idempotence=true",
                    ));
                }
                if p.txn.is_some() {
                    return Err(invalid(
                        format!("{producer} already called initTransactions()"),
                        "to fence it, add a new producer and initialise it with the same transactional.id",
                    ));
                }
                if p.pending_records() > 0 || self.rates.contains_key(producer) {
                    return Err(invalid(
                        format!("{producer} is still sending"),
                        "wait until its records are sent, or stop its rate",
                    ));
                }
                Ok(())
            }
            C::BeginTransaction { producer } => self
                .txn_in_state(*producer, "begin a transaction", |s| s == S::Ready)
                .map(|_| ()),
            C::CommitTransaction { producer } => self
                .txn_in_state(*producer, "commit", |s| s == S::InTransaction)
                .map(|_| ()),
            C::AbortTransaction { producer } => self
                .txn_in_state(*producer, "abort", |s| {
                    matches!(s, S::InTransaction | S::AbortableError(_))
                })
                .map(|_| ()),
            C::SendOffsetsToTransaction { producer, consumer } => {
                self.txn_in_state(*producer, "send offsets", |s| s == S::InTransaction)?;
                let c = self.existing_consumer(*consumer)?;
                check_processor_consumer(c)
            }
            C::ProcessInTransaction {
                producer,
                consumer,
                topic,
            } => {
                self.txn_in_state(*producer, "send", |s| s == S::InTransaction)?;
                let c = self.existing_consumer(*consumer)?;
                check_processor_consumer(c)?;
                if c.topics.contains(topic) {
                    return Err(invalid(
                        format!("{consumer} reads {topic}"),
                        "write the results to another topic, or the processor reads its own output",
                    ));
                }
                self.check_transactional_send(*producer, topic, false)
            }
            _ => Ok(()),
        }
    }

    pub(super) fn apply_transaction_command(
        &mut self,
        command: &BrokerCommand,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::InitTransactions {
                producer,
                transactional_id,
                timeout_ticks,
            } => {
                let p = self.producers.get_mut(producer).expect("validated");
                p.txn = Some(TxnClient::new(transactional_id, *timeout_ticks));
                self.try_init(*producer, events);
            }
            C::BeginTransaction { producer } => {
                let p = self.producers.get_mut(producer).expect("validated");
                let failed = p.failed_records;
                let txn = p.txn.as_mut().expect("validated");
                txn.state = ClientTxnState::InTransaction;
                txn.partitions.clear();
                txn.started = false;
                txn.failed_at_begin = failed;
            }
            C::CommitTransaction { producer } => {
                self.set_client_state(*producer, ClientTxnState::Committing);
                self.try_end(*producer, now, events);
            }
            C::AbortTransaction { producer } => {
                let dropped = self
                    .producers
                    .get_mut(producer)
                    .expect("validated")
                    .drop_unsent();
                for batch in dropped {
                    self.fail(
                        *producer,
                        &batch,
                        "the transaction was aborted",
                        false,
                        events,
                    );
                }
                self.set_client_state(*producer, ClientTxnState::Aborting);
                self.try_end(*producer, now, events);
            }
            C::SendOffsetsToTransaction { producer, consumer } => {
                self.send_offsets(*producer, *consumer, now, events);
            }
            C::ProcessInTransaction {
                producer,
                consumer,
                topic,
            } => self.process_in_transaction(*producer, *consumer, topic, now)?,
            _ => {}
        }
        Ok(())
    }

    fn set_client_state(&mut self, id: ProducerId, state: ClientTxnState) {
        if let Some(txn) = self.producers.get_mut(&id).and_then(|p| p.txn.as_mut()) {
            txn.state = state;
        }
    }

    /// A coordinator or leader answered `error`: PRODUCER_FENCED is fatal, anything else
    /// leaves the transaction only abortable.
    pub(super) fn txn_failed(
        &mut self,
        id: ProducerId,
        error: TxnError,
        events: &mut Vec<BrokerEvent>,
    ) {
        *self.produce_errors.entry(error.code()).or_default() += 1;
        let Some(txn) = self.producers.get_mut(&id).and_then(|p| p.txn.as_mut()) else {
            return;
        };
        if matches!(txn.state, ClientTxnState::Fatal(_)) {
            return;
        }
        txn.state = match error {
            TxnError::ProducerFenced => ClientTxnState::Fatal(error),
            _ => ClientTxnState::AbortableError(error),
        };
        events.push(BrokerEvent::TransactionError {
            producer: id,
            error,
        });
    }

    /// `InitProducerId`; on CONCURRENT_TRANSACTIONS the client retries next tick.
    fn try_init(&mut self, id: ProducerId, events: &mut Vec<BrokerEvent>) {
        let p = self.producers.get(&id).expect("exists");
        let Some(txn) = p.txn.as_ref() else {
            return;
        };
        let outcome = self
            .coordinator
            .init(&txn.transactional_id, txn.timeout_ticks);
        if let InitOutcome::Ready { pid, epoch } = outcome {
            let p = self.producers.get_mut(&id).expect("exists");
            p.take_epoch(epoch);
            let txn = p.txn.as_mut().expect("checked");
            txn.pid = Some((pid, epoch));
            txn.state = ClientTxnState::Ready;
            events.push(BrokerEvent::TransactionsInitialized {
                producer: id,
                transactional_id: txn.transactional_id.clone(),
                pid,
                epoch,
            });
        }
    }

    /// Whether `id` has records accumulated, queued or in flight.
    fn still_sending(&self, id: ProducerId) -> bool {
        self.producers[&id].pending_records() > 0
            || self.parked.iter().any(|r| r.producer == id)
            || self.unanswered.iter().any(|r| r.producer == id)
    }

    /// `EndTxn` once a committing or aborting producer has flushed. A transaction that never
    /// reached the coordinator ends in the client alone; a commit after a failed send is refused.
    fn try_end(&mut self, id: ProducerId, now: Tick, events: &mut Vec<BrokerEvent>) {
        let p = &self.producers[&id];
        let Some(txn) = p.txn.as_ref() else {
            return;
        };
        let outcome = match txn.state {
            ClientTxnState::Committing => ControlType::Commit,
            ClientTxnState::Aborting => ControlType::Abort,
            _ => return,
        };
        if self.still_sending(id) {
            return;
        }
        if outcome == ControlType::Commit && p.failed_records > txn.failed_at_begin {
            return self.txn_failed(id, TxnError::InvalidTxnState, events);
        }
        let Some((pid, epoch)) = txn.pid else {
            return;
        };
        let transactional_id = txn.transactional_id.clone();
        let answer = if txn.started {
            self.coordinator.end(pid, epoch, outcome)
        } else {
            Ok(epoch)
        };
        match answer {
            Ok(next_epoch) => {
                let p = self.producers.get_mut(&id).expect("checked");
                p.take_epoch(next_epoch);
                let txn = p.txn.as_mut().expect("checked");
                txn.pid = Some((pid, next_epoch));
                txn.state = ClientTxnState::Ready;
                txn.partitions.clear();
                let reached_coordinator = std::mem::take(&mut txn.started);
                // An empty transaction ends in the client: nothing to decide, no markers.
                if reached_coordinator {
                    events.push(BrokerEvent::TransactionEnded {
                        producer: id,
                        transactional_id,
                        outcome,
                    });
                    self.write_markers(now, events);
                }
            }
            Err(TxnError::ConcurrentTransactions) => {}
            Err(error) => self.txn_failed(id, error, events),
        }
    }

    /// The transactional producer's part of sending `batch`: `AddPartitionsToTxn` before a
    /// partition's first batch, then the leader's check that the append belongs to the ongoing
    /// transaction under the current epoch (KIP-890 part 1, `checkProducerEpoch`). Returns the
    /// batch back when it may be appended, as a transactional batch.
    pub(super) fn transactional_append(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        tp: &TopicPartition,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) -> Option<(ProducerBatch, BatchKind)> {
        let Some(txn) = self.producers[&id].txn.as_ref() else {
            return Some((batch, BatchKind::Data));
        };
        let Some((pid, _)) = txn.pid else {
            self.fail(
                id,
                &batch,
                "initTransactions() has not finished",
                false,
                events,
            );
            return None;
        };
        let epoch = batch.producer_epoch;
        if !txn.partitions.contains(tp) {
            match self.coordinator.add_partition(pid, epoch, tp, now) {
                Ok(()) => {
                    let txn = self.producers.get_mut(&id).and_then(|p| p.txn.as_mut());
                    let txn = txn.expect("checked");
                    txn.partitions.insert(tp.clone());
                    txn.started = true;
                }
                Err(TxnError::ConcurrentTransactions) => {
                    let reason =
                        "CONCURRENT_TRANSACTIONS: the previous transaction is still ending";
                    self.retry_or_fail(id, batch, now, reason, false, events);
                    return None;
                }
                Err(error) => {
                    self.fail(id, &batch, error.code(), false, events);
                    self.txn_failed(id, error, events);
                    return None;
                }
            }
        }
        if let Err(error) = self.coordinator.verify_append(pid, epoch, tp) {
            self.fail(id, &batch, error.code(), false, events);
            self.txn_failed(id, error, events);
            return None;
        }
        Some((batch, BatchKind::Transactional))
    }

    /// OUT_OF_ORDER_SEQUENCE_NUMBER with a gap that will never fill, for a transactional
    /// producer: the batch fails and the transaction can only be aborted (Kafka's
    /// `TransactionManager`); the abort's epoch bump starts the sequences over, where an
    /// idempotent producer bumps its epoch by itself.
    pub(super) fn sequence_gap_in_transaction(
        &mut self,
        id: ProducerId,
        batch: &ProducerBatch,
        events: &mut Vec<BrokerEvent>,
    ) {
        let error = TxnError::OutOfOrderSequenceNumber;
        let reason = "OUT_OF_ORDER_SEQUENCE_NUMBER: the leader lacks this producer's earlier \
                      records (data was lost); the transaction must be aborted";
        self.fail(id, batch, reason, false, events);
        self.txn_failed(id, error, events);
    }

    /// The producer id a batch of `id` carries: the coordinator's for a transactional producer.
    pub(super) fn broker_producer_id(&self, id: ProducerId) -> ProducerId {
        self.producers[&id]
            .txn
            .as_ref()
            .and_then(|t| t.pid)
            .map_or(id, |(pid, _)| ProducerId(pid.0))
    }

    /// `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`: the consumer's positions
    /// ride with the transaction, once the group coordinator accepted its group metadata.
    fn send_offsets(
        &mut self,
        id: ProducerId,
        consumer: ConsumerId,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) {
        let c = &self.consumers[&consumer];
        let metadata = self.group_metadata(c);
        if let Err(error) = self.check_txn_offset_commit(&metadata) {
            return self.txn_failed(id, error, events);
        }
        let offsets: Vec<(TopicPartition, Offset)> = c
            .positions
            .iter()
            .filter(|(tp, _)| c.owned.contains(*tp))
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        let group = c.group.clone();
        let txn = self.producers[&id].txn.as_ref().expect("validated");
        let (pid, epoch) = txn.pid.expect("validated: in a transaction");
        match self
            .coordinator
            .add_offsets(pid, epoch, &group, offsets, now)
        {
            Ok(()) => {
                let txn = self.producers.get_mut(&id).and_then(|p| p.txn.as_mut());
                txn.expect("checked").started = true;
            }
            Err(error) => self.txn_failed(id, error, events),
        }
    }

    /// What `consumer.groupMetadata()` returns now: the member id and generation (classic) or
    /// member epoch (KIP-848) of its last answer from the group coordinator. A classic member's
    /// generation is read from the coordinator's record of it, which the client got with its
    /// assignment.
    fn group_metadata(&self, c: &Consumer) -> GroupMetadata {
        let group = &self.groups[&c.group];
        let (member_id, generation) = match group.protocol() {
            GroupProtocol::Classic => match group.members.get(&c.member_id) {
                // The Java client learns its member id and generation when a join completes.
                Some(m) if m.generation < 0 => (String::new(), Some(-1)),
                Some(m) => (c.member_id.clone(), Some(m.generation)),
                None => (c.member_id.clone(), None),
            },
            GroupProtocol::Consumer => (
                c.member_id.clone(),
                Some(
                    c.modern
                        .member_epoch
                        .map_or(-1, |e| i32::try_from(e).unwrap_or(i32::MAX)),
                ),
            ),
        };
        GroupMetadata {
            group: c.group.clone(),
            member_id,
            generation,
            instance_id: c.instance_id.clone(),
        }
    }

    /// The group coordinator's check of a TxnOffsetCommit's group metadata (KIP-447; Kafka's
    /// `validateOffsetCommit` for classic and KIP-848 groups): metadata left empty is not checked,
    /// a member it does not know is UNKNOWN_MEMBER_ID, a static member's instance id under
    /// another member id FENCED_INSTANCE_ID, an older generation ILLEGAL_GENERATION (classic)
    /// or another member epoch STALE_MEMBER_EPOCH (KIP-848).
    fn check_txn_offset_commit(&self, metadata: &GroupMetadata) -> Result<(), TxnError> {
        let group = &self.groups[&metadata.group];
        let no_generation = metadata.generation.is_some_and(|g| g < 0);
        let unchecked =
            no_generation && metadata.member_id.is_empty() && metadata.instance_id.is_none();
        if unchecked || (no_generation && group.is_empty()) {
            return Ok(());
        }
        match group.protocol() {
            GroupProtocol::Classic => {
                if let Some(instance) = &metadata.instance_id {
                    let holder = group
                        .members
                        .iter()
                        .find(|(_, m)| m.instance_id.as_ref() == Some(instance));
                    match holder {
                        None => return Err(TxnError::UnknownMemberId),
                        Some((member_id, _)) if *member_id != metadata.member_id => {
                            return Err(TxnError::FencedInstanceId)
                        }
                        Some(_) => {}
                    }
                }
                if !group.members.contains_key(&metadata.member_id) {
                    return Err(TxnError::UnknownMemberId);
                }
                if metadata.generation != Some(group.generation()) {
                    return Err(TxnError::IllegalGeneration);
                }
            }
            GroupProtocol::Consumer => {
                let member = group
                    .coordinator()
                    .members
                    .get(&metadata.member_id)
                    .ok_or(TxnError::UnknownMemberId)?;
                let epoch = i32::try_from(member.reconciliation.epoch).unwrap_or(i32::MAX);
                if metadata.generation != Some(epoch) {
                    return Err(TxnError::StaleMemberEpoch);
                }
            }
        }
        Ok(())
    }

    /// The stream processor's step: a copy of every record `consumer` read past its group's
    /// committed offset goes to `topic` through the producer, inside its transaction.
    fn process_in_transaction(
        &mut self,
        id: ProducerId,
        consumer: ConsumerId,
        topic: &str,
        now: Tick,
    ) -> Result<(), BrokerRejection> {
        let c = &self.consumers[&consumer];
        let mut inputs: Vec<NewRecord> = Vec::new();
        for (tp, position) in c.positions.iter().filter(|(tp, _)| c.owned.contains(*tp)) {
            let Some(p) = self.partition_at(tp) else {
                continue;
            };
            let Some(log) = p.leader_log() else {
                continue;
            };
            let committed = self.groups[&c.group]
                .committed
                .get(tp)
                .map_or(log.log_start(), |commit| commit.offset)
                .max(log.log_start());
            let budget = position.0.saturating_sub(committed.0) as usize;
            let Ok(read) = log.fetch(committed, p.hw, budget, c.config.isolation) else {
                continue;
            };
            inputs.extend(
                read.records
                    .iter()
                    .filter(|r| r.offset < *position)
                    .map(|r| NewRecord {
                        key: r.key.clone(),
                        value: r.value.clone(),
                        headers: r.headers.clone(),
                        timestamp: Some(now),
                    }),
            );
        }
        self.accumulate_records(id, topic, None, inputs, now)
    }

    /// Tells each group which of its partitions an open transaction holds offsets for.
    pub(super) fn mark_unstable_offsets(&mut self) {
        let pending = self.coordinator.pending_offsets();
        for (name, g) in self.groups.iter_mut() {
            g.unstable_offsets = sim::sort::collect_set(
                pending
                    .iter()
                    .filter(|(group, _)| group == name)
                    .map(|(_, tp)| tp.clone()),
            );
        }
    }

    /// The coordinator's and the transactional clients' work for one tick.
    pub(super) fn run_transactions(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        if self.coordinator.is_empty() {
            return;
        }
        let clients: Vec<(ProducerId, ClientTxnState)> = self
            .producers
            .iter()
            .filter_map(|(id, p)| p.txn.as_ref().map(|t| (*id, t.state)))
            .collect();
        for (id, state) in clients {
            match state {
                ClientTxnState::Initializing => self.try_init(id, events),
                ClientTxnState::Committing | ClientTxnState::Aborting => {
                    self.try_end(id, now, events)
                }
                _ => {}
            }
        }
        if now.0.is_multiple_of(TIMEOUT_SCAN_INTERVAL_TICKS) {
            for transactional_id in self.coordinator.abort_timed_out(now) {
                events.push(BrokerEvent::TransactionTimedOut { transactional_id });
            }
        }
        self.write_markers(now, events);
    }

    /// Writes the markers still due on their partitions' leaders, notes those now below the
    /// high watermark, and completes the transactions whose markers are all acknowledged.
    fn write_markers(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let rules = self.rules();
        for (transactional_id, stamp, outcome, tp, progress) in self.coordinator.markers_due() {
            let Some(topic) = self.topics.get_mut(&tp.topic) else {
                continue;
            };
            let settings = topic.settings;
            let Some(p) = topic.partitions.get_mut(tp.partition.0 as usize) else {
                continue;
            };
            let Some(leader) = p.leader else {
                continue;
            };
            let leader_up = self
                .brokers
                .iter()
                .any(|b| b.id == leader && b.reachable(Link::Brokers));
            let min_isr = p.effective_min_isr(&settings);
            let Some(replica) = p.replica.get_mut(&leader).filter(|r| r.leading.is_some()) else {
                continue;
            };
            let held = |log: &crate::log::PartitionLog, offset: Offset, epoch: u32| {
                offset < log.leo() && log.epoch_at(offset) == Some(epoch)
            };
            let progress = match progress {
                MarkerProgress::Written(offset, epoch) if !held(&replica.log, offset, epoch) => {
                    MarkerProgress::Pending
                }
                other => other,
            };
            let progress = match progress {
                MarkerProgress::Pending if leader_up => {
                    let epoch = replica.known_epoch;
                    match replica.log.append_marker(stamp, outcome, 0, now, epoch) {
                        Ok(offset) => {
                            events.push(BrokerEvent::MarkerWritten {
                                tp: tp.clone(),
                                outcome,
                                offset,
                            });
                            let controller = &self.controller;
                            replication::advance_hw(replica, min_isr, now, &rules, |b| {
                                controller.eligible(b)
                            });
                            if p.leader == Some(leader) {
                                p.hw = p.hw.max(replica.hw);
                            }
                            MarkerProgress::Written(offset, epoch)
                        }
                        Err(_) => MarkerProgress::Pending,
                    }
                }
                other => other,
            };
            let progress = match progress {
                MarkerProgress::Written(offset, _) if p.hw > offset => {
                    MarkerProgress::Acked(offset)
                }
                other => other,
            };
            self.coordinator
                .note_marker(&transactional_id, &tp, progress);
        }
        for done in self.coordinator.complete_acked() {
            if done.outcome == ControlType::Commit {
                for (group, tp, offset) in &done.offsets {
                    if let Some(g) = self.groups.get_mut(group) {
                        g.committed.insert(
                            tp.clone(),
                            group::Commit {
                                offset: *offset,
                                at: now,
                            },
                        );
                    }
                }
            }
            events.push(BrokerEvent::TransactionCompleted {
                transactional_id: done.transactional_id,
                outcome: done.outcome,
            });
        }
    }
}

impl Cluster {
    /// Transactional producers fenced for good (PRODUCER_FENCED).
    pub fn fenced_producers(&self) -> u64 {
        self.producers
            .values()
            .filter(|p| {
                p.txn
                    .as_ref()
                    .is_some_and(|t| t.state == ClientTxnState::Fatal(TxnError::ProducerFenced))
            })
            .count() as u64
    }

    /// TxnOffsetCommits the group coordinator refused for stale group metadata (KIP-447).
    pub fn refused_txn_offsets(&self) -> u64 {
        TxnError::GROUP_METADATA_MISMATCH
            .iter()
            .filter_map(|e| self.produce_errors.get(e.code()))
            .sum()
    }

    /// Transactions completed so far: (committed, aborted).
    pub fn transactions_ended(&self) -> (u64, u64) {
        self.coordinator
            .ids()
            .values()
            .fold((0, 0), |(c, a), m| (c + m.committed, a + m.aborted))
    }

    /// Records of aborted transactions delivered to `group`'s consumers (read_uncommitted ones
    /// get them; read_committed ones never should).
    pub fn aborted_records_delivered(&self, group: &str) -> u64 {
        let aborted = self.aborted_offsets();
        self.consumers
            .values()
            .filter(|c| c.group == group)
            .flat_map(|c| c.deliveries.iter())
            .filter(|d| aborted.get(&d.tp).is_some_and(|a| a.contains(&d.offset)))
            .count() as u64
    }

    /// Values `group` got from more than one offset of a topic: the duplicates an exactly-once
    /// pipeline promises its read_committed readers never to show (counted once per value).
    pub fn duplicate_values_delivered(&self, group: &str) -> u64 {
        let offsets: BTreeSet<(&TopicPartition, Offset)> = sim::sort::collect_set(
            self.consumers
                .values()
                .filter(|c| c.group == group)
                .flat_map(|c| c.deliveries.iter().map(|d| (&d.tp, d.offset))),
        );
        let mut seen: BTreeMap<(&str, &[u8]), u32> = BTreeMap::new();
        for (tp, offset) in offsets {
            let Some(log) = self.partition_at(tp).and_then(|p| p.leader_log()) else {
                continue;
            };
            let Ok(records) = log.read(offset, log.leo(), 1) else {
                continue;
            };
            if let Some(value) = records.first().and_then(|r| r.value.as_deref()) {
                *seen.entry((tp.topic.as_str(), value)).or_default() += 1;
            }
        }
        seen.values().filter(|n| **n > 1).count() as u64
    }
}

/// A `transactional.id`: short, printable, no spaces.
fn check_transactional_id(id: &str) -> Result<(), BrokerRejection> {
    let printable = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if id.is_empty() || id.len() > TRANSACTIONAL_ID_LEN_MAX || !printable {
        return Err(invalid(
            format!("\"{id}\" is not a transactional.id the lab accepts"),
            format!(
                "use 1 to {TRANSACTIONAL_ID_LEN_MAX} letters, digits, '.', '_' or '-', \
                 one per logical producer (e.g. payments-1)"
            ),
        ));
    }
    Ok(())
}

/// The consumer of a consume–transform–produce loop: running, in its group, and not
/// committing by itself (its offsets ride in the transaction).
fn check_processor_consumer(c: &Consumer) -> Result<(), BrokerRejection> {
    if !c.is_running() {
        return Err(invalid(
            format!("{} is not running", c.id),
            "restart it first: only a group member's offsets can join a transaction",
        ));
    }
    if c.config.commit != group::CommitPolicy::Manual {
        return Err(invalid(
            format!("{} commits its offsets itself", c.id),
            "set its commit policy to manual: in exactly-once processing the offsets commit with the transaction",
        ));
    }
    Ok(())
}

/// The isolation level a group's lag is measured by: read_committed if any member reads so.
pub(super) fn group_isolation(
    consumers: &BTreeMap<ConsumerId, Consumer>,
    group: &str,
) -> IsolationLevel {
    if consumers
        .values()
        .any(|c| c.group == group && c.config.isolation == IsolationLevel::ReadCommitted)
    {
        IsolationLevel::ReadCommitted
    } else {
        IsolationLevel::ReadUncommitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{CommitPolicy, ConsumerConfig, OffsetReset};
    use crate::transaction::TxnState;
    use sim::rng::Seed;

    struct Run {
        cluster: Cluster,
        now: Tick,
    }

    impl Run {
        fn new() -> Run {
            let mut run = Run {
                cluster: Cluster::new(3, Rng::new(Seed(7))),
                now: Tick(0),
            };
            run.ok(BrokerCommand::CreateTopic {
                name: "payments".into(),
                partitions: 1,
                settings: TopicSettings::default(),
            });
            run.ok(BrokerCommand::AddProducer {
                config: ProducerConfig::default(),
            });
            run.ticks(3);
            run
        }

        fn apply(&mut self, command: BrokerCommand) -> Result<Vec<BrokerEvent>, BrokerRejection> {
            self.cluster.apply(&command, self.now)
        }

        fn ok(&mut self, command: BrokerCommand) {
            if let Err(e) = self.apply(command.clone()) {
                panic!("{command:?} refused: {e} ({})", e.hint());
            }
        }

        fn ticks(&mut self, n: u64) {
            for _ in 0..n {
                self.cluster.tick(self.now);
                self.now = self.now.next();
            }
        }

        fn consumer(&mut self, group: &str, isolation: IsolationLevel) {
            self.ok(BrokerCommand::AddConsumer {
                group: group.into(),
                topics: vec!["payments".into()],
                instance_id: None,
                config: ConsumerConfig {
                    auto_offset_reset: OffsetReset::Earliest,
                    isolation,
                    ..ConsumerConfig::default()
                },
            });
        }

        fn init(&mut self, producer: u32, id: &str) {
            self.ok(BrokerCommand::InitTransactions {
                producer: ProducerId(producer),
                transactional_id: id.into(),
                timeout_ticks: 600,
            });
        }

        fn produce(&mut self, producer: u32, count: u16) {
            self.ok(BrokerCommand::Produce {
                producer: ProducerId(producer),
                topic: "payments".into(),
                partition: None,
                key: None,
                value: Some("p{n}".into()),
                count,
                header: None,
            });
        }

        fn delivered(&self, consumer: u32) -> Vec<u64> {
            self.cluster.consumers[&ConsumerId(consumer)]
                .deliveries
                .iter()
                .map(|d| d.offset.0)
                .collect()
        }

        fn lso_hw_leo(&self) -> (u64, u64, u64) {
            let p = &self.cluster.topics["payments"].partitions[0];
            let log = p.leader_log().unwrap();
            (log.last_stable_offset(p.hw).0, p.hw.0, log.leo().0)
        }

        fn state(&self, producer: u32) -> ClientTxnState {
            self.cluster.producers[&ProducerId(producer)]
                .txn
                .as_ref()
                .unwrap()
                .state
        }
    }

    fn begin(p: u32) -> BrokerCommand {
        BrokerCommand::BeginTransaction {
            producer: ProducerId(p),
        }
    }

    fn commit(p: u32) -> BrokerCommand {
        BrokerCommand::CommitTransaction {
            producer: ProducerId(p),
        }
    }

    fn abort(p: u32) -> BrokerCommand {
        BrokerCommand::AbortTransaction {
            producer: ProducerId(p),
        }
    }

    #[test]
    fn read_committed_skips_the_aborted_transaction_and_waits_at_the_lso() {
        let mut run = Run::new();
        run.consumer("uncommitted", IsolationLevel::ReadUncommitted);
        run.consumer("committed", IsolationLevel::ReadCommitted);
        run.init(1, "payments-1");
        run.ok(begin(1));
        run.produce(1, 3);
        run.ticks(5);
        let (lso, hw, leo) = run.lso_hw_leo();
        assert_eq!(
            (lso, hw, leo),
            (0, 3, 3),
            "the open transaction pins the LSO"
        );
        assert_eq!(run.delivered(1), vec![0, 1, 2]);
        assert!(run.delivered(2).is_empty());
        run.ok(abort(1));
        run.ticks(5);
        run.ok(begin(1));
        run.produce(1, 2);
        run.ok(commit(1));
        run.ticks(8);
        assert_eq!(run.lso_hw_leo(), (7, 7, 7), "each marker took an offset");
        let log = run.cluster.topics["payments"].partitions[0]
            .leader_log()
            .unwrap();
        assert_eq!(
            log.marker_offsets().into_iter().collect::<Vec<_>>(),
            vec![
                (Offset(3), ControlType::Abort),
                (Offset(6), ControlType::Commit)
            ]
        );
        assert_eq!(run.delivered(1), vec![0, 1, 2, 4, 5]);
        assert_eq!(run.delivered(2), vec![4, 5]);
        let positions = |c: u32| {
            run.cluster.consumers[&ConsumerId(c)]
                .positions
                .values()
                .next()
                .copied()
        };
        assert_eq!(
            positions(2),
            Some(Offset(7)),
            "the position steps over the marker"
        );
        let report = run.cluster.history_report();
        assert!(report.poll_skips.is_empty(), "{report:?}");
        assert!(report.lost_writes.is_empty(), "{report:?}");
        assert_eq!(run.cluster.lags().iter().map(|l| l.2).sum::<u64>(), 0);
    }

    #[test]
    fn a_new_instance_fences_the_zombie_and_aborts_its_transaction() {
        let mut run = Run::new();
        run.consumer("committed", IsolationLevel::ReadCommitted);
        run.init(1, "payments-1");
        run.ok(begin(1));
        run.produce(1, 2);
        run.ticks(3);
        run.ok(BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        });
        run.init(2, "payments-1");
        run.ticks(3);
        let meta = run.cluster.coordinator().get("payments-1").unwrap().clone();
        assert_eq!(
            meta.epoch, 2,
            "fenced once to abort, bumped again for the new instance"
        );
        assert_eq!(meta.state, TxnState::Empty);
        assert_eq!(meta.aborted, 1);
        assert_eq!(run.state(2), ClientTxnState::Ready);
        // The zombie keeps going: its send is refused by the leader, its commit by the coordinator.
        run.produce(1, 1);
        run.ticks(3);
        assert_eq!(
            run.state(1),
            ClientTxnState::AbortableError(TxnError::InvalidProducerEpoch)
        );
        assert!(run.apply(commit(1)).is_err(), "only abort is left");
        run.ok(abort(1));
        run.ticks(2);
        assert_eq!(
            run.state(1),
            ClientTxnState::Fatal(TxnError::ProducerFenced)
        );
        assert!(run.apply(begin(1)).is_err());
        run.ok(begin(2));
        run.produce(2, 1);
        run.ok(commit(2));
        run.ticks(5);
        assert_eq!(run.delivered(1), vec![3], "only the new instance's record");
        assert!(run.cluster.coordinator().illegal_transitions().is_empty());
    }

    #[test]
    fn a_transaction_left_open_is_aborted_after_its_timeout() {
        let mut run = Run::new();
        run.init(1, "slow");
        run.ok(begin(1));
        run.produce(1, 1);
        run.ticks(600);
        assert_eq!(run.lso_hw_leo().0, 0, "stuck until the coordinator's scan");
        run.ticks(120);
        assert_eq!(run.lso_hw_leo(), (2, 2, 2));
        run.ok(commit(1));
        run.ticks(2);
        assert_eq!(
            run.state(1),
            ClientTxnState::Fatal(TxnError::ProducerFenced)
        );
    }

    #[test]
    fn bad_transactional_calls_are_refused_with_a_hint() {
        let mut run = Run::new();
        run.consumer("auto", IsolationLevel::ReadCommitted);
        let refused = |run: &mut Run, command: BrokerCommand, hint: &str| {
            let e = run.apply(command).expect_err("refused");
            assert!(e.hint().contains(hint), "{e}: {}", e.hint());
        };
        let init = |id: &str, timeout_ticks: u64| BrokerCommand::InitTransactions {
            producer: ProducerId(1),
            transactional_id: id.into(),
            timeout_ticks,
        };
        refused(&mut run, begin(1), "initialise transactions first");
        refused(&mut run, init("has space", 600), "letters, digits");
        refused(&mut run, init("t", 9_001), "transaction.max.timeout.ms");
        run.init(1, "t");
        refused(&mut run, commit(1), "begin a transaction first");
        run.ok(begin(1));
        refused(&mut run, begin(1), "commit or abort");
        let process = BrokerCommand::ProcessInTransaction {
            producer: ProducerId(1),
            consumer: ConsumerId(1),
            topic: "out".into(),
        };
        refused(&mut run, process, "manual");
        let rate = BrokerCommand::SetProducerRate {
            producer: ProducerId(1),
            topic: "payments".into(),
            key: None,
            value: None,
            records_per_tick: 3,
        };
        refused(&mut run, rate, "inside begin / commit");
    }

    /// The processor's consumer (group `processor`, manual commits, read_committed) with
    /// `config`'s processing and poll settings, and `out` for its results.
    fn processor(run: &mut Run, instance_id: Option<&str>, config: ConsumerConfig) {
        run.ok(BrokerCommand::CreateTopic {
            name: "out".into(),
            partitions: 1,
            settings: TopicSettings::default(),
        });
        run.ok(BrokerCommand::AddConsumer {
            group: "processor".into(),
            topics: vec!["payments".into()],
            instance_id: instance_id.map(str::to_string),
            config: ConsumerConfig {
                auto_offset_reset: OffsetReset::Earliest,
                commit: CommitPolicy::Manual,
                isolation: IsolationLevel::ReadCommitted,
                ..config
            },
        });
    }

    fn send_offsets(p: u32, c: u32) -> BrokerCommand {
        BrokerCommand::SendOffsetsToTransaction {
            producer: ProducerId(p),
            consumer: ConsumerId(c),
        }
    }

    #[test]
    fn a_zombie_whose_consumer_left_the_group_cannot_commit_its_offsets() {
        let mut run = Run::new();
        run.produce(1, 4);
        run.ok(BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        });
        // It processes each poll for 30 ticks, but leaves after 10 without a poll.
        let slow = ConsumerConfig {
            processing_ticks: 30,
            max_poll_interval_ticks: 10,
            ..ConsumerConfig::default()
        };
        processor(&mut run, None, slow);
        run.init(2, "processor-1");
        run.ticks(4);
        let member = run.cluster.consumers[&ConsumerId(1)].member_id.clone();
        assert!(run.cluster.groups["processor"]
            .members
            .contains_key(&member));
        // While still a member of the current generation its offsets are accepted.
        run.ok(begin(2));
        run.ok(send_offsets(2, 1));
        assert_eq!(run.state(2), ClientTxnState::InTransaction);
        run.ok(commit(2));
        run.ticks(12);
        assert!(run.cluster.consumers[&ConsumerId(1)].poll_timed_out());
        assert!(!run.cluster.groups["processor"]
            .members
            .contains_key(&member));
        // Its producer's epoch is still current, but the group coordinator refuses the member.
        run.ok(begin(2));
        let events = run
            .apply(send_offsets(2, 1))
            .expect("accepted, then refused");
        assert!(events.contains(&BrokerEvent::TransactionError {
            producer: ProducerId(2),
            error: TxnError::UnknownMemberId,
        }));
        assert_eq!(
            run.state(2),
            ClientTxnState::AbortableError(TxnError::UnknownMemberId)
        );
        assert!(run.apply(commit(2)).is_err(), "only abort is left");
        run.ok(abort(2));
        run.ticks(2);
        assert_eq!(run.state(2), ClientTxnState::Ready);
        assert_eq!(run.cluster.fenced_producers(), 0);
    }

    #[test]
    fn the_group_coordinator_checks_the_metadata_the_offsets_carry() {
        let mut run = Run::new();
        processor(&mut run, Some("worker-a"), ConsumerConfig::default());
        run.ticks(4);
        let c = &run.cluster.consumers[&ConsumerId(1)];
        let current = run.cluster.group_metadata(c);
        let group = &run.cluster.groups["processor"];
        assert_eq!(current.generation, Some(group.generation()));
        assert_eq!(current.instance_id.as_deref(), Some("worker-a"));
        let check = |metadata: GroupMetadata| run.cluster.check_txn_offset_commit(&metadata);
        assert_eq!(check(current.clone()), Ok(()));
        let older = GroupMetadata {
            generation: Some(group.generation() - 1),
            ..current.clone()
        };
        assert_eq!(check(older), Err(TxnError::IllegalGeneration));
        let other_member = GroupMetadata {
            member_id: "consumer-9".into(),
            ..current.clone()
        };
        assert_eq!(check(other_member), Err(TxnError::FencedInstanceId));
        let unknown = GroupMetadata {
            member_id: "consumer-9".into(),
            instance_id: None,
            ..current.clone()
        };
        assert_eq!(check(unknown), Err(TxnError::UnknownMemberId));
        let none = GroupMetadata {
            member_id: String::new(),
            generation: Some(-1),
            instance_id: None,
            ..current
        };
        assert_eq!(check(none), Ok(()), "TxnOffsetCommit may leave it out");
        // A KIP-848 member is checked by its member epoch.
        run.ok(BrokerCommand::AddConsumer {
            group: "modern".into(),
            topics: vec!["payments".into()],
            instance_id: None,
            config: ConsumerConfig {
                protocol: GroupProtocol::Consumer,
                ..ConsumerConfig::default()
            },
        });
        run.ticks(4);
        let current = run
            .cluster
            .group_metadata(&run.cluster.consumers[&ConsumerId(2)]);
        assert!(current.generation.is_some_and(|epoch| epoch > 0));
        let check = |metadata: GroupMetadata| run.cluster.check_txn_offset_commit(&metadata);
        assert_eq!(check(current.clone()), Ok(()));
        let stale = GroupMetadata {
            generation: current.generation.map(|epoch| epoch - 1),
            ..current
        };
        assert_eq!(check(stale), Err(TxnError::StaleMemberEpoch));
    }

    #[test]
    fn a_sequence_gap_in_a_transaction_is_abortable_not_an_epoch_bump() {
        let mut run = Run::new();
        run.init(1, "payments-1");
        run.ok(begin(1));
        run.produce(1, 2);
        run.ticks(3);
        let epoch = run.cluster.producers[&ProducerId(1)].epoch();
        // The leader loses what it knew of the producer's sequences (as after data loss).
        for replica in run.cluster.topics.get_mut("payments").unwrap().partitions[0]
            .replica
            .values_mut()
        {
            replica.sequences.clear();
        }
        run.produce(1, 1);
        run.ticks(2);
        assert_eq!(
            run.state(1),
            ClientTxnState::AbortableError(TxnError::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            run.cluster.producers[&ProducerId(1)].epoch(),
            epoch,
            "no epoch bump of its own"
        );
        assert_eq!(
            run.cluster.produce_errors()["OUT_OF_ORDER_SEQUENCE_NUMBER"],
            1
        );
        assert!(run.apply(commit(1)).is_err(), "only abort is left");
        run.ok(abort(1));
        run.ticks(3);
        assert_eq!(run.state(1), ClientTxnState::Ready);
        assert!(
            run.cluster.producers[&ProducerId(1)].epoch() > epoch,
            "the abort bumped it"
        );
        run.ok(begin(1));
        run.produce(1, 1);
        run.ok(commit(1));
        run.ticks(5);
        assert_eq!(run.cluster.transactions_ended(), (1, 1));
    }

    #[test]
    fn offsets_sent_to_a_transaction_commit_with_it_and_only_then() {
        let mut run = Run::new();
        run.ok(BrokerCommand::CreateTopic {
            name: "out".into(),
            partitions: 1,
            settings: TopicSettings::default(),
        });
        run.produce(1, 4);
        run.ok(BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        });
        run.ok(BrokerCommand::AddConsumer {
            group: "processor".into(),
            topics: vec!["payments".into()],
            instance_id: None,
            config: ConsumerConfig {
                auto_offset_reset: OffsetReset::Earliest,
                commit: CommitPolicy::Manual,
                isolation: IsolationLevel::ReadCommitted,
                ..ConsumerConfig::default()
            },
        });
        run.ticks(6);
        run.init(2, "processor-1");
        run.ok(begin(2));
        let step = [
            BrokerCommand::ProcessInTransaction {
                producer: ProducerId(2),
                consumer: ConsumerId(1),
                topic: "out".into(),
            },
            BrokerCommand::SendOffsetsToTransaction {
                producer: ProducerId(2),
                consumer: ConsumerId(1),
            },
        ];
        for command in step.clone() {
            run.ok(command);
        }
        run.ticks(3);
        let committed = |run: &Run| {
            run.cluster.groups["processor"]
                .committed
                .values()
                .next()
                .map(|c| c.offset.0)
        };
        assert_eq!(committed(&run), None, "not before the commit");
        // A member that starts meanwhile cannot fetch the offset: UNSTABLE_OFFSET_COMMIT.
        run.ok(BrokerCommand::CrashConsumer {
            consumer: ConsumerId(1),
        });
        run.ok(BrokerCommand::RestartConsumer {
            consumer: ConsumerId(1),
        });
        run.ticks(40);
        let position = |run: &Run| {
            let c = &run.cluster.consumers[&ConsumerId(1)];
            c.positions.values().next().map(|o| o.0)
        };
        assert!(run.cluster.consumers[&ConsumerId(1)].is_running());
        assert_eq!(position(&run), None, "it waits for the transaction");
        run.ok(commit(2));
        run.ticks(3);
        assert_eq!(committed(&run), Some(4));
        assert_eq!(
            position(&run),
            Some(4),
            "then starts from the committed offset"
        );
        let out = run.cluster.topics["out"].partitions[0]
            .leader_log()
            .unwrap();
        assert_eq!(out.record_count(), 5, "four copies and a COMMIT marker");
    }
}
