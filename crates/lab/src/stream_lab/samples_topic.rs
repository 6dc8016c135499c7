//! The `samples` topic: where the training-samples pipeline writes each sample it emits, once a
//! learner (or a lesson) turns it on with `samples-to-topic on`.
//!
//! A real-time sample pipeline ends in a topic the trainer reads; here each sample the replay
//! of [`super::samples_lab`] emits at processing time `t` is produced during the tick that holds
//! `t`, keyed by its request id (so one request's samples share a partition, in order), its value
//! a JSON object with the labels and the features. The records then live like any others: the
//! topic views list them, SQL over live topics reads them, and a partition whose leader is down
//! takes no more of them (the producer holds them and retries, as it does the generator's).
//!
//! A changed label wait applies to what is emitted from then on (the replay with the new wait),
//! so an exposure already written can come again with its new label: a trainer reading the
//! topic keeps the latest sample per key.
//!
//! The topic is opt-in so that links recorded before it replay to the same state: a lab that
//! never turned it on has no `samples` topic, no extra producer, and hashes nothing new.

use super::command::StreamEvent;
use super::samples_lab::Pipes;
use super::topic_writer::{open_topic_writer, WriterTopic};
use super::{at, StreamRefusal};
use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::producer::ProducerId;
use crate::sql::column::{Field, Table};
use crate::sql::value::{DataType, Value};
use crate::streaming::generate::recommender::{ItemId, RequestId};
use crate::streaming::samples::{diagnose, Diagnosis, EmittedSample, Sample};
use crate::streaming::value::{StreamValue, TimeUs};
use sim::clock::Tick;
use sim::state_hash::StateHasher;

/// The topic the samples pipeline writes to.
pub const SAMPLES_TOPIC: &str = "samples";
/// Its partitions (the recorded log's two).
pub const SAMPLES_PARTITIONS: u32 = 2;

/// Whether samples go to the topic, and the producer that writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SamplesTopic {
    /// Created with the topic the first time the learner turns writing on.
    producer: Option<ProducerId>,
    on: bool,
    /// Samples handed to the producer (it holds and retries those for a partition whose
    /// leader is down, so not all of them need be on the topic).
    written: u64,
}

impl SamplesTopic {
    /// Whether the pipeline writes to the topic now.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Samples handed to the producer so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Turns writing on or off; the first time on creates the topic and its producer.
    pub fn turn(
        &mut self,
        on: bool,
        cluster: &mut Cluster,
        now: Tick,
    ) -> Result<Vec<StreamEvent>, StreamRefusal> {
        if on && self.producer.is_none() {
            self.producer = Some(create(cluster, now)?);
        }
        self.on = on;
        Ok(vec![StreamEvent::SamplesToTopicSet { on }])
    }

    /// Sends the samples `pipes` emits during tick `now`, before the cluster's tick.
    pub fn write(&mut self, pipes: &Pipes, cluster: &mut Cluster, now: Tick) {
        let (true, Some(producer)) = (self.on, self.producer) else {
            return;
        };
        let run = pipes.samples();
        let Ok(run) = run.as_ref() else {
            return;
        };
        let (from, to) = (at(now.0), at(now.0 + 1));
        let first = run.emitted.partition_point(|e| e.emitted_at < from);
        for emitted in run.emitted[first..]
            .iter()
            .take_while(|e| e.emitted_at < to)
        {
            // As bytes, as a JSON serializer hands them over: a sample is longer than the
            // 200 characters a typed record value may be.
            let produce = BrokerCommand::ProduceBytes {
                producer,
                topic: SAMPLES_TOPIC.into(),
                key: Some(emitted.sample.request_id.0.to_string()),
                value: sample_value(emitted).into_bytes(),
            };
            if cluster.apply(&produce, now).is_ok() {
                self.written += 1;
            }
        }
    }

    /// Feeds the state hash, only once the topic was ever turned on (older links keep their
    /// fingerprints).
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        if let Some(producer) = self.producer {
            hasher.str("samples-topic");
            hasher.u64(u64::from(producer.0));
            hasher.u64(u64::from(self.on));
            hasher.u64(self.written);
        }
    }
}

/// Creates the topic (unless the learner already made one of that name) and a producer; both
/// are checked before either is made, so a refusal changes nothing.
fn create(cluster: &mut Cluster, now: Tick) -> Result<ProducerId, StreamRefusal> {
    open_topic_writer(
        cluster,
        now,
        &WriterTopic {
            writer: "the samples pipeline",
            topic: SAMPLES_TOPIC,
            partitions: SAMPLES_PARTITIONS,
        },
    )
}

fn json(value: &StreamValue) -> serde_json::Value {
    match value {
        StreamValue::Null => serde_json::Value::Null,
        StreamValue::Bool(b) => (*b).into(),
        StreamValue::Int(i) => (*i).into(),
        StreamValue::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        StreamValue::Text(t) => t.as_ref().into(),
        StreamValue::Time(t) => t.format().into(),
    }
}

/// A sample's record value: its key, labels, context and features (`user_ctr`,
/// `item_popularity`), and when the pipeline emitted it.
pub fn sample_value(emitted: &EmittedSample) -> String {
    let s = &emitted.sample;
    let feature = |i: usize| s.features.get(i).map_or(serde_json::Value::Null, json);
    serde_json::json!({
        "request_id": s.request_id.0,
        "item": s.item.0,
        "exposure_ts": s.exposure_ts.format(),
        "clicked": s.clicked,
        "play_time_seconds": s.play_time_seconds,
        "scene": json(&s.scene),
        "exp_id": s.exp_id,
        "user_ctr": feature(0),
        "item_popularity": feature(1),
        "emitted_at": emitted.emitted_at.format(),
    })
    .to_string()
}

/// Reads a record value back as the sample it was written from; None when it is not one (a
/// learner's own record, say).
pub fn parse_sample(value: &[u8]) -> Option<EmittedSample> {
    let parsed: serde_json::Value = serde_json::from_slice(value).ok()?;
    let o = parsed.as_object()?;
    let time = |name: &str| o.get(name)?.as_str().and_then(TimeUs::parse);
    let feature = |name: &str, float: bool| match o.get(name) {
        None | Some(serde_json::Value::Null) => Some(StreamValue::Null),
        Some(v) if float => v.as_f64().map(StreamValue::Float),
        Some(v) => v.as_i64().map(StreamValue::Int),
    };
    let scene = match o.get("scene")? {
        serde_json::Value::Null => StreamValue::Null,
        v => StreamValue::text(v.as_str()?),
    };
    Some(EmittedSample {
        sample: Sample {
            request_id: RequestId(o.get("request_id")?.as_u64()?),
            item: ItemId(o.get("item")?.as_u64()?),
            exposure_ts: time("exposure_ts")?,
            clicked: o.get("clicked")?.as_bool()?,
            play_time_seconds: o.get("play_time_seconds")?.as_i64()?,
            scene,
            exp_id: o.get("exp_id")?.as_i64()?,
            features: vec![
                feature("user_ctr", true)?,
                feature("item_popularity", false)?,
            ],
        },
        emitted_at: time("emitted_at")?,
    })
}

/// One sample as read back from the topic.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicSample {
    pub partition: u32,
    pub offset: u64,
    pub emitted: EmittedSample,
}

/// The samples committed to the topic (from each partition's elected leader, below its high
/// watermark), partition by partition, oldest first; records that are not samples are skipped.
pub fn read_records(cluster: &Cluster) -> Vec<TopicSample> {
    let Some(topic) = cluster.topics().get(SAMPLES_TOPIC) else {
        return Vec::new();
    };
    let mut samples = Vec::new();
    for p in topic.partitions() {
        let Some(log) = p.elected_leader_log() else {
            continue;
        };
        let Ok(records) = log.read(log.log_start(), p.hw(), usize::MAX) else {
            continue;
        };
        samples.extend(records.iter().filter_map(|r| {
            Some(TopicSample {
                partition: p.id().0,
                offset: r.offset.0,
                emitted: parse_sample(r.value.as_deref()?)?,
            })
        }));
    }
    samples
}

/// The samples on the topic, as [`read_records`] finds them.
pub fn read_samples(cluster: &Cluster) -> Vec<EmittedSample> {
    read_records(cluster)
        .into_iter()
        .map(|r| r.emitted)
        .collect()
}

/// The topic as SQL reads it in the streaming lab: one typed row per sample, `partition,
/// offset, request_id, item, exposure_ts, clicked, play_time_seconds, scene, exp_id, user_ctr,
/// item_popularity, emitted_at` (what a trainer's reader would decode).
pub fn typed_topic_table(cluster: &Cluster) -> Table {
    let field = |name: &str, data_type| Field {
        name: name.into(),
        data_type,
    };
    let fields = vec![
        field("partition", DataType::BigInt),
        field("offset", DataType::BigInt),
        field("request_id", DataType::BigInt),
        field("item", DataType::BigInt),
        field("exposure_ts", DataType::Timestamp),
        field("clicked", DataType::Boolean),
        field("play_time_seconds", DataType::BigInt),
        field("scene", DataType::Text),
        field("exp_id", DataType::BigInt),
        field("user_ctr", DataType::Double),
        field("item_popularity", DataType::BigInt),
        field("emitted_at", DataType::Timestamp),
    ];
    let rows: Vec<Vec<Value>> = read_records(cluster)
        .iter()
        .map(|r| {
            let s = &r.emitted.sample;
            let feature = |i: usize, data_type| {
                s.features
                    .get(i)
                    .map_or(Value::Null, |v| crate::stream_sql::sql_value(v, data_type))
            };
            vec![
                Value::BigInt(i64::from(r.partition)),
                Value::BigInt(r.offset as i64),
                Value::BigInt(s.request_id.0 as i64),
                Value::BigInt(s.item.0 as i64),
                Value::Timestamp(s.exposure_ts.0),
                Value::Boolean(s.clicked),
                Value::BigInt(s.play_time_seconds),
                crate::stream_sql::sql_value(&s.scene, DataType::Text),
                Value::BigInt(s.exp_id),
                feature(0, DataType::Double),
                feature(1, DataType::BigInt),
                Value::Timestamp(r.emitted.emitted_at.0),
            ]
        })
        .collect();
    Table::from_rows(fields, &rows)
}

/// The samples on the topic against the batch build over the complete log: labels and features
/// compared on the keys both have; the batch samples not on the topic are those the stream has
/// not emitted yet (or that a dead leader holds back).
pub fn topic_diagnosis(pipes: &Pipes, cluster: &Cluster) -> Result<Diagnosis, String> {
    let batch = pipes.batch()?;
    let on_topic: Vec<Sample> = read_samples(cluster)
        .into_iter()
        .map(|e| e.sample)
        .collect();
    Ok(diagnose(&on_topic, &batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_value_reads_back_and_other_values_do_not() {
        let emitted = EmittedSample {
            sample: Sample {
                request_id: RequestId(17),
                item: ItemId(4),
                exposure_ts: at(12),
                clicked: true,
                play_time_seconds: 31,
                scene: StreamValue::text("home"),
                exp_id: 2,
                features: vec![StreamValue::Float(0.125), StreamValue::Null],
            },
            emitted_at: at(9_010),
        };
        let value = sample_value(&emitted);
        assert_eq!(parse_sample(value.as_bytes()), Some(emitted));
        assert_eq!(parse_sample(b"not json"), None);
        assert_eq!(parse_sample(br#"{"request_id": "x"}"#), None);
    }
}
