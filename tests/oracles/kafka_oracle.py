"""Answers murmur2 and assignor questions with real Kafka client code (kafka-python, aiokafka).

Reads one JSON request per line on stdin, writes one JSON answer per line on stdout:
  {"op": "murmur2", "key_hex": "3231", "partitions": 12}  -> {"hash": -973932308, "partition": 4}
  {"op": "assign", "strategy": "range", "topics": {"t": 3},
   "members": [{"id": "c1", "instance_id": null, "topics": ["t"]}]}  -> {"c1": {"t": [0, 1, 2]}}
  {"op": "read_committed", "fetch_offset": 0, "batches": [{"base_offset": 0, "records": 2,
   "producer_id": 1000, "epoch": 0, "transactional": true, "control": null}, ...],
   "aborted": [[1000, 0]]}  -> {"offsets": [2, 3], "next": 7}
Range, sticky and cooperative-sticky come from kafka-python 3.0.12; round-robin from aiokafka
0.14.0, because kafka-python's round-robin crashes when subscriptions differ (docs/testing.md).
read_committed is kafka-python 3.0.12's fetcher filter (`Fetcher.PartitionRecords`) over record
batches built with its own `DefaultRecordBatchBuilder`; a control batch (a transaction marker) is
a builder that also sets attribute bit 5, with key `>hh` (version 0, type) and value `>hi`
(version 0, coordinator epoch 0), as the broker writes them.
Run with PYTHONHASHSEED=0 (the sticky assignor iterates sets).
"""
import json
import struct
import sys
from types import SimpleNamespace

from kafka.consumer.fetcher import Fetcher
from kafka.consumer.fetcher import IsolationLevel
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords
from kafka.structs import TopicPartition as KafkaTopicPartition

from kafka.partitioner import murmur2
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor as AioRoundRobin
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata as AioMetadata


class Cluster:
    """The part of ClusterMetadata the assignors read."""

    def __init__(self, topics):
        self._topics = {t: n for t, n in topics.items() if n > 0}

    def topics(self):
        return set(self._topics)

    def partitions_for_topic(self, topic):
        return set(range(self._topics[topic])) if topic in self._topics else None

    def available_partitions_for_topic(self, topic):
        return self.partitions_for_topic(topic)


def signed32(value):
    return value - (1 << 32) if value >= (1 << 31) else value


def by_topic(pairs):
    out = {}
    for topic, partitions in pairs:
        if partitions:
            out.setdefault(topic, []).extend(partitions)
    return {t: sorted(ps) for t, ps in out.items()}


def assign(request):
    cluster = Cluster(request["topics"])
    # Static members first (kafka-python groups static/dynamic on unsorted input; docs/testing.md defect 2).
    members = sorted(request["members"], key=lambda m: m.get("instance_id") is None)
    strategy = request["strategy"]
    if strategy == "roundrobin":
        metadata = {m["id"]: AioMetadata(0, list(m["topics"]), b"") for m in members}
        result = AioRoundRobin.assign(cluster, metadata)
        return {mid: by_topic(a.assignment) for mid, a in result.items()}
    kafka_members = []
    for m in members:
        owned = m.get("owned") or {}
        generation = m.get("generation")
        if strategy == "range":
            meta = SimpleNamespace(topics=list(m["topics"]))
        elif strategy == "sticky":
            from kafka.structs import TopicPartition
            tps = [TopicPartition(t, p) for t, ps in owned.items() for p in ps] if generation is not None else None
            meta = StickyPartitionAssignor._metadata(m["topics"], tps, generation if generation is not None else -1)
        else:
            meta = ConsumerProtocolSubscription(
                version=2, topics=list(m["topics"]), user_data=b"",
                owned_partitions=[ConsumerProtocolSubscription.TopicPartition(topic=t, partitions=ps) for t, ps in owned.items()],
                generation_id=generation if generation is not None else -1)
        kafka_members.append(SimpleNamespace(member_id=m["id"], group_instance_id=m.get("instance_id"), metadata=meta))
    assignor = {"range": RangePartitionAssignor, "sticky": StickyPartitionAssignor(),
                "cooperative-sticky": CooperativeStickyAssignor()}[strategy]
    result = assignor.assign(cluster, kafka_members)
    out = {m["id"]: {} for m in members}
    for mid, a in result.items():
        out[mid] = by_topic(a.assigned_partitions)
    return out


class ControlBatchBuilder(DefaultRecordBatchBuilder):
    """A builder for a transaction marker: kafka-python's clients never write control batches."""

    def _get_attributes(self, include_compression_type=True):
        return super()._get_attributes(include_compression_type) | self.CONTROL_MASK


def record_batch(spec):
    """One v2 record batch as bytes, at its base offset."""
    control = spec["control"]
    builder_class = ControlBatchBuilder if control else DefaultRecordBatchBuilder
    builder = builder_class(
        magic=2, compression_type=0, is_transactional=spec["transactional"] or bool(control),
        producer_id=spec["producer_id"], producer_epoch=spec["epoch"], base_sequence=0,
        batch_size=1 << 20)
    if control:
        key = struct.pack(">hh", 0, {"abort": 0, "commit": 1}[control])
        builder.append(0, timestamp=0, key=key, value=struct.pack(">hi", 0, 0), headers=[])
    else:
        for i in range(spec["records"]):
            builder.append(i, timestamp=0, key=None, value=b"v", headers=[])
    buffer = builder.build()
    struct.pack_into(">q", buffer, 0, spec["base_offset"])
    return bytes(buffer)


def read_committed(request):
    """The offsets a read_committed consumer returns from these batches, and its next position."""
    records = MemoryRecords(b"".join(record_batch(b) for b in request["batches"]))
    aborted = [SimpleNamespace(producer_id=pid, first_offset=first) for pid, first in request["aborted"]]
    partition = Fetcher.PartitionRecords(
        request["fetch_offset"], KafkaTopicPartition("t", 0), records,
        isolation_level=IsolationLevel.READ_COMMITTED, aborted_transactions=aborted)
    offsets = [r.offset for r in partition.take()]
    return {"offsets": offsets, "next": partition.next_fetch_offset}


def answer(request):
    if request["op"] == "murmur2":
        key = bytes.fromhex(request["key_hex"])
        h = signed32(murmur2(key) & 0xFFFFFFFF)
        return {"hash": h, "partition": (h & 0x7FFFFFFF) % request["partitions"]}
    if request["op"] == "assign":
        return assign(request)
    if request["op"] == "read_committed":
        return read_committed(request)
    raise ValueError(f"unknown op {request['op']}")


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line)), sort_keys=True), flush=False)


if __name__ == "__main__":
    main()
