"""Answers murmur2 and assignor questions with real Kafka client code (kafka-python, aiokafka).

Reads one JSON request per line on stdin, writes one JSON answer per line on stdout:
  {"op": "murmur2", "key_hex": "3231", "partitions": 12}  -> {"hash": -973932308, "partition": 4}
  {"op": "assign", "strategy": "range", "topics": {"t": 3},
   "members": [{"id": "c1", "instance_id": null, "topics": ["t"]}]}  -> {"c1": {"t": [0, 1, 2]}}
Range, sticky and cooperative-sticky come from kafka-python 3.0.12; round-robin from aiokafka
0.14.0, because kafka-python's round-robin crashes when subscriptions differ (docs/testing.md).
Run with PYTHONHASHSEED=0 (the sticky assignor iterates sets).
"""
import json
import sys
from types import SimpleNamespace

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


def answer(request):
    if request["op"] == "murmur2":
        key = bytes.fromhex(request["key_hex"])
        h = signed32(murmur2(key) & 0xFFFFFFFF)
        return {"hash": h, "partition": (h & 0x7FFFFFFF) % request["partitions"]}
    if request["op"] == "assign":
        return assign(request)
    raise ValueError(f"unknown op {request['op']}")


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line)), sort_keys=True), flush=False)


if __name__ == "__main__":
    main()
