//! Preset steps: a small line-based language for driving a broker lab, used by lesson files
//! (```` ```steps ```` blocks) and by `lab scenario run`. One step per line; `#` starts a comment.
//!
//! ```text
//! topic payments partitions=6 policy=compact segment=300 retention=500
//! producer idempotence=off faults=20 compression=gzip linger=2 batch=16384 partitioner=round-robin
//! produce orders key=user-{n} value=order-{n} count=20 partition=1 header=source:web
//! produce profiles key=user-1 value=null   # a tombstone (a null value); value= is zero-length
//! rate orders 5 key=user-{n}   # keep sending 5 records every tick (rate orders 0 stops)
//! broker                       # add a broker
//! reset-offsets g to=earliest  # only while the group has no running member
//! consumer g topic=orders commit=auto reset=earliest poll=1 processing=0 session=30 static=c-1
//! assignor g cooperative-sticky
//! tick 10
//! crash 1        # also: restart 1, close 1, commit 1 (consumer ids as shown in the lab)
//! topic ledger partitions=1 rf=3 min-isr=2 unclean=off
//! producer acks=all          # acks=0, 1 or all
//! topic-config ledger min-isr=1 unclean=on
//! cluster lag=100 session=90 heartbeat=20 timeout=300 rebalance=off fetch=1000
//! kill-broker 1              # also: restart-broker 1, shutdown-broker 1, heal-broker 1
//! slow-broker 2 every=20     # fetch only every 20 ticks (every=1 is normal)
//! cut-broker 1 from=controller   # or from=brokers, from=clients; reconnect-broker 1 from=...
//! kill-controller 1          # also: restart-controller 1
//! elect-preferred
//! add-producer               # another producer client (ids count up from 1)
//! consumer g topic=orders isolation=read_committed   # or read_uncommitted (the default)
//! consumer g topic=orders processing=80 max-poll-interval=50   # a slow consumer, max.poll.interval.ms in ticks
//! consumer g topic=orders protocol=consumer   # group.protocol=consumer (KIP-848); classic is the default
//! init-txn 1 id=payments-1 timeout=600   # initTransactions(); timeout in ticks (600 = 60 s)
//! begin 1                    # also: commit-txn 1, abort-txn 1
//! process 2 1 to=totals      # producer 2 copies what consumer 1 read since its commit, in its txn
//! send-offsets 2 1           # sendOffsetsToTransaction: consumer 1's positions join producer 2's txn
//! pause "The controller elects broker 2"   # a key moment: a narrated run stops here
//! compat users-value forward # a subject's compatibility level (backward, full_transitive, none...)
//! register users-value {"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}
//! produce-avro users {"type":"record","name":"User","fields":[{"name":"id","type":"long"}]} {"id":7}
//! read-with users-value 2    # consumers of users read with version 2 (read-with users-value writer: none)
//! ```
//!
//! The registry steps take JSON as the rest of the line (a schema, then for `produce-avro` a
//! value in Avro's JSON encoding), so they cannot hold `#` or `;`.
//!
//! A `pause` line is not a step: [`parse_steps`] checks it and leaves it out, so [`run`] and
//! `lab scenario run` never see it. It marks a *key moment* ([`KeyMoment`]) of a [`Script`]: a
//! narrated run ([`Narration`]) applies the steps one by one on the lab's clock and stops there
//! with the caption until the learner continues. The steps before a script's first key moment
//! are its *setup* (a preset opens there, just before the failure). The caption is written in
//! double quotes and may hold `#`. A key moment lands between steps, so a `tick` step is split
//! where the moment falls (`tick 75`, `pause "..."`, `tick 25`), which changes no journal.
//!
//! ```
//! use lab::steps::{parse_steps, Step};
//! let steps = parse_steps("produce orders count=3\ntick 5").unwrap();
//! assert_eq!(steps.len(), 2);
//! assert!(matches!(steps[1], Step::Ticks(5)));
//! ```

use crate::broker::assignor::Strategy;
use crate::broker::cluster::BrokerCommand;
use crate::broker::compression::Codec;
use crate::broker::controller::ControllerId;
use crate::broker::group::{CommitPolicy, ConsumerConfig, ConsumerId, GroupProtocol, OffsetReset};
use crate::broker::log::{IsolationLevel, LogConfig};
use crate::broker::node::{ClusterSettings, Link};
use crate::broker::producer::Acks;
use crate::broker::producer::{NullKeyPartitioner, ProducerConfig, ProducerId};
use crate::broker::topic::TopicSettings;
use crate::broker::transaction::TRANSACTION_TIMEOUT_TICKS_DEFAULT;
use crate::broker::{BrokerId, PartitionId};
use std::collections::BTreeMap;
use std::fmt;

/// Most ticks one `tick` step may advance.
pub const TICKS_PER_STEP_MAX: u64 = 100_000;

/// One step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Ticks(u64),
    Broker(BrokerCommand),
    /// A lab command that is not the cluster's (the Schema Registry's).
    Lab(crate::state::Command),
}

/// A step that does not parse; `line` is 1-based within the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct Line<'a> {
    words: Vec<&'a str>,
    options: BTreeMap<&'a str, &'a str>,
}

fn split(text: &str) -> Result<Line<'_>, String> {
    let mut words = Vec::new();
    let mut options = BTreeMap::new();
    for token in text.split_whitespace() {
        match token.split_once('=') {
            Some((k, v)) => {
                if options.insert(k, v).is_some() {
                    return Err(format!("\"{k}\" is given twice"));
                }
            }
            None => words.push(token),
        }
    }
    Ok(Line { words, options })
}

impl<'a> Line<'a> {
    fn take(&mut self, key: &str) -> Option<&'a str> {
        self.options.remove(key)
    }

    fn number(&mut self, key: &str, max: u64) -> Result<Option<u64>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n <= max => Ok(Some(n)),
                _ => Err(format!(
                    "{key} must be a whole number from 0 to {max}, not \"{v}\""
                )),
            },
        }
    }

    fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Result<Option<T>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => choices
                .iter()
                .find(|(name, _)| *name == v)
                .map(|(_, t)| Some(*t))
                .ok_or_else(|| {
                    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                    format!("{key} is one of {}, not \"{v}\"", names.join(", "))
                }),
        }
    }

    fn done(self) -> Result<(), String> {
        match self.options.keys().next() {
            Some(k) => Err(format!("unknown option \"{k}\"")),
            None => Ok(()),
        }
    }

    fn word(&self, i: usize, what: &str) -> Result<&'a str, String> {
        self.words
            .get(i)
            .copied()
            .ok_or_else(|| format!("expected {what}"))
    }
}

fn consumer_id(text: &str) -> Result<ConsumerId, String> {
    let digits = text.strip_prefix("consumer-").unwrap_or(text);
    digits
        .parse()
        .map(ConsumerId)
        .map_err(|_| format!("\"{text}\" is not a consumer id (try 1 or consumer-1)"))
}

fn producer_id(text: &str) -> Result<ProducerId, String> {
    let digits = text.strip_prefix("producer-").unwrap_or(text);
    digits
        .parse()
        .map(ProducerId)
        .map_err(|_| format!("\"{text}\" is not a producer id (try 1 or producer-1)"))
}

fn broker_id(text: &str) -> Result<BrokerId, String> {
    let digits = text.strip_prefix("broker-").unwrap_or(text);
    digits
        .parse()
        .map(BrokerId)
        .map_err(|_| format!("\"{text}\" is not a broker id (try 1 or broker-1)"))
}

/// The first JSON value of `text` and the text after it.
fn json_prefix<'a>(text: &'a str, what: &str) -> Result<(&'a str, &'a str), String> {
    let text = text.trim_start();
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(_)) => {
            let end = values.byte_offset();
            Ok((&text[..end], text[end..].trim()))
        }
        Some(Err(e)) => Err(format!("{what} is not JSON: {e}")),
        None => Err(format!("expected {what} in JSON")),
    }
}

/// The first word of `rest` and the text after it.
fn first_word<'a>(rest: &'a str, what: &str) -> Result<(&'a str, &'a str), String> {
    let rest = rest.trim_start();
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if end == 0 {
        return Err(format!("expected {what}"));
    }
    Ok((&rest[..end], rest[end..].trim()))
}

/// The registry's steps: their JSON arguments are the rest of the line.
fn parse_registry_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    use crate::state::Command;
    use registry::RegistryCommand;
    let parsed = (|| match verb {
        "compat" => {
            let (subject, rest) = first_word(rest, "a subject")?;
            let (name, rest) = first_word(rest, "a compatibility level")?;
            let level = registry::Level::parse(name).ok_or_else(|| {
                let names: Vec<&str> = registry::Level::all().map(|l| l.name()).collect();
                format!(
                    "\"{name}\" is not a compatibility level ({})",
                    names.join(", ").to_lowercase()
                )
            })?;
            no_more(rest, verb)?;
            Ok(Step::Lab(Command::Registry(
                RegistryCommand::SetCompatibility {
                    subject: subject.to_string(),
                    level,
                },
            )))
        }
        "register" => {
            let (subject, rest) = first_word(rest, "a subject")?;
            let (schema, rest) = json_prefix(rest, "the schema")?;
            no_more(rest, verb)?;
            Ok(Step::Lab(Command::Registry(RegistryCommand::Register {
                subject: subject.to_string(),
                schema: schema.to_string(),
            })))
        }
        "produce-avro" => {
            let (topic, rest) = first_word(rest, "a topic")?;
            let (schema, rest) = json_prefix(rest, "the schema")?;
            let (value, rest) = json_prefix(rest, "the value")?;
            no_more(rest, verb)?;
            Ok(Step::Lab(Command::ProduceAvro {
                producer: ProducerId(1),
                topic: topic.to_string(),
                schema: schema.to_string(),
                value: value.to_string(),
            }))
        }
        "read-with" => {
            let (subject, rest) = first_word(rest, "a subject")?;
            let (which, rest) = first_word(rest, "a version number, or writer")?;
            no_more(rest, verb)?;
            let version = match which {
                "writer" => None,
                n => Some(registry::Version(
                    n.parse()
                        .ok()
                        .filter(|v| *v > 0)
                        .ok_or_else(|| format!("\"{n}\" is not a version (1, 2, ... or writer)"))?,
                )),
            };
            Ok(Step::Lab(Command::ReadWith {
                subject: subject.to_string(),
                version,
            }))
        }
        _ => Err(String::new()),
    })();
    match parsed {
        Err(e) if e.is_empty() => None,
        other => Some(other),
    }
}

fn no_more(rest: &str, verb: &str) -> Result<(), String> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!("too many words for \"{verb}\": \"{rest}\""))
    }
}

fn parse_step(text: &str) -> Result<Step, String> {
    let (verb, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if let Some(step) = parse_registry_step(verb, rest) {
        return step;
    }
    if let Some(step) = crate::stream_lab::glue::parse_step(verb, rest) {
        return step;
    }
    if let Some(step) = crate::rollout_lab::glue::parse_step(verb, rest) {
        return step;
    }
    if let Some(step) = crate::experiment_lab::glue::parse_step(verb, rest) {
        return step;
    }
    if let Some(step) = crate::cluster_lab::glue::parse_step(verb, rest) {
        return step;
    }
    if let Some(step) = crate::pipeline_lab::glue::parse_step(verb, rest) {
        return step;
    }
    let mut line = split(text)?;
    let verb = line.word(0, "a step")?;
    if let Some(step) = crate::feature_lab::parse_step(verb, &line.words[1..], &line.options) {
        return step;
    }
    let step = broker_step(verb, &mut line)?;
    if line.words.len() > words_taken(verb) {
        return Err(format!("too many words for \"{verb}\""));
    }
    line.done()?;
    Ok(step)
}

/// How many words a broker lab step takes, its verb included.
fn words_taken(verb: &str) -> usize {
    const TAKEN: [(&str, usize); 27] = [
        ("assignor", 3),
        ("rate", 3),
        ("send-offsets", 3),
        ("process", 3),
        ("tick", 2),
        ("ticks", 2),
        ("produce", 2),
        ("topic", 2),
        ("consumer", 2),
        ("crash", 2),
        ("restart", 2),
        ("close", 2),
        ("commit", 2),
        ("topic-config", 2),
        ("kill-broker", 2),
        ("restart-broker", 2),
        ("shutdown-broker", 2),
        ("heal-broker", 2),
        ("slow-broker", 2),
        ("cut-broker", 2),
        ("reconnect-broker", 2),
        ("kill-controller", 2),
        ("restart-controller", 2),
        ("init-txn", 2),
        ("begin", 2),
        ("commit-txn", 2),
        ("abort-txn", 2),
    ];
    TAKEN
        .iter()
        .find(|(name, _)| *name == verb)
        .map_or(1, |(_, taken)| *taken)
}

/// A step that names one id (a consumer, a broker or a producer), and the command it makes. The
/// steps of each kind of id are one table, so that they share the code that reads the id.
type IdStep<Id> = (&'static str, fn(Id) -> BrokerCommand);

/// The steps that name one consumer.
const CONSUMER_STEPS: [IdStep<ConsumerId>; 3] = [
    ("crash", |consumer| BrokerCommand::CrashConsumer {
        consumer,
    }),
    ("restart", |consumer| BrokerCommand::RestartConsumer {
        consumer,
    }),
    ("close", |consumer| BrokerCommand::CloseConsumer {
        consumer,
    }),
];
/// The steps that name one broker.
const BROKER_STEPS: [IdStep<BrokerId>; 4] = [
    ("kill-broker", |broker| BrokerCommand::KillBroker { broker }),
    ("restart-broker", |broker| BrokerCommand::RestartBroker {
        broker,
    }),
    ("shutdown-broker", |broker| BrokerCommand::ShutdownBroker {
        broker,
    }),
    ("heal-broker", |broker| BrokerCommand::HealBroker { broker }),
];
/// The steps that name one producer.
const PRODUCER_STEPS: [IdStep<ProducerId>; 3] = [
    ("begin", |producer| BrokerCommand::BeginTransaction {
        producer,
    }),
    ("commit-txn", |producer| BrokerCommand::CommitTransaction {
        producer,
    }),
    ("abort-txn", |producer| BrokerCommand::AbortTransaction {
        producer,
    }),
];

/// The command of a step that names one id, when `verb` is one of `steps`.
fn id_step<Id>(
    steps: &[IdStep<Id>],
    verb: &str,
    line: &Line<'_>,
    what: &str,
    id: fn(&str) -> Result<Id, String>,
) -> Option<Result<Step, String>> {
    let (_, make) = steps.iter().find(|(name, _)| *name == verb)?;
    Some(
        line.word(1, what)
            .and_then(id)
            .map(|id| Step::Broker(make(id))),
    )
}

/// A `value=` option: `value-{n}` when absent, no value (a tombstone) for `null`.
fn record_value(value: Option<&str>) -> Option<String> {
    Some(value.unwrap_or("value-{n}").to_string()).filter(|v| v != "null")
}

/// A broker lab step (or `tick`), its options taken from `line`. The text a command keeps is
/// copied out of the line last, after everything that may refuse the step.
fn broker_step(verb: &str, line: &mut Line<'_>) -> Result<Step, String> {
    if let Some(step) = id_step(&CONSUMER_STEPS, verb, line, "a consumer", consumer_id)
        .or_else(|| id_step(&BROKER_STEPS, verb, line, "a broker id", broker_id))
        .or_else(|| id_step(&PRODUCER_STEPS, verb, line, "a producer", producer_id))
    {
        return step;
    }
    Ok(match verb {
        "tick" | "ticks" => {
            let n: u64 = line.word(1, "a number of ticks")?.parse().map_err(|_| "tick takes a whole number".to_string())?;
            if n == 0 || n > TICKS_PER_STEP_MAX {
                return Err(format!("tick takes 1 to {TICKS_PER_STEP_MAX}"));
            }
            Step::Ticks(n)
        }
        "produce" => {
            let producer = ProducerId(line.number("producer", 1000)?.unwrap_or(1) as u32);
            let topic = line.word(1, "a topic")?;
            let partition = line.number("partition", 1000)?.map(|p| PartitionId(p as u32));
            let key = line.take("key");
            let value = line.take("value");
            let count = line.number("count", 1000)?.unwrap_or(1) as u16;
            let header = match line.take("header") {
                None => None,
                Some(h) => Some(h.split_once(':').ok_or("a header is written name:value")?),
            };
            Step::Broker(BrokerCommand::Produce {
                producer,
                topic: topic.to_string(),
                partition,
                key: key.map(str::to_string),
                value: record_value(value),
                count,
                header: header.map(|(n, v)| (n.to_string(), v.to_string())),
            })
        }
        "rate" => {
            let producer = ProducerId(line.number("producer", 1000)?.unwrap_or(1) as u32);
            let topic = line.word(1, "a topic")?;
            let key = line.take("key");
            let value = line.take("value");
            let records_per_tick = line.word(2, "records per tick")?.parse().map_err(|_| "rate takes a whole number of records per tick".to_string())?;
            Step::Broker(BrokerCommand::SetProducerRate {
                producer,
                topic: topic.to_string(),
                key: key.map(str::to_string),
                value: record_value(value),
                records_per_tick,
            })
        }
        "broker" => Step::Broker(BrokerCommand::AddBroker),
        "reset-offsets" => {
            let group = line.word(1, "a group id")?;
            let to_earliest = line.choice("to", &[("earliest", true), ("latest", false)])?.ok_or("reset-offsets needs to=earliest or to=latest")?;
            Step::Broker(BrokerCommand::ResetGroupOffsets { group: group.to_string(), to_earliest })
        }
        "topic" => {
            let defaults = LogConfig::default();
            let policy = line.choice("policy", &[("delete", (true, false)), ("compact", (false, true)), ("compact,delete", (true, true))])?.unwrap_or((true, false));
            let log = LogConfig {
                segment_bytes: line.number("segment", 1 << 30)?.unwrap_or(defaults.segment_bytes),
                retention_ticks: line.number("retention", 1 << 40)?.or(defaults.retention_ticks),
                cleanup_delete: policy.0,
                cleanup_compact: policy.1,
                ..defaults
            };
            let name = line.word(1, "a topic name")?;
            let partitions = line.number("partitions", 64)?.unwrap_or(1) as u32;
            let settings = TopicSettings {
                log,
                replication_factor: line.number("rf", 9)?.map_or(1, |n| n as u8),
                min_insync_replicas: line.number("min-isr", 9)?.map_or(1, |n| n as u8),
                unclean_leader_election: line.choice("unclean", &[("on", true), ("off", false)])?.unwrap_or(false),
                ..TopicSettings::default()
            };
            Step::Broker(BrokerCommand::CreateTopic { name: name.to_string(), partitions, settings })
        }
        "topic-config" => {
            let topic = line.word(1, "a topic name")?;
            let min_insync_replicas = line.number("min-isr", 9)?.map(|n| n as u8);
            let unclean_leader_election = line.choice("unclean", &[("on", true), ("off", false)])?;
            Step::Broker(BrokerCommand::AlterTopicConfig { topic: topic.to_string(), min_insync_replicas, unclean_leader_election })
        }
        "cluster" => {
            let d = ClusterSettings::default();
            Step::Broker(BrokerCommand::SetClusterSettings {
                settings: ClusterSettings {
                    replica_lag_max_ticks: line.number("lag", 100_000)?.unwrap_or(d.replica_lag_max_ticks),
                    session_timeout_ticks: line.number("session", 100_000)?.unwrap_or(d.session_timeout_ticks),
                    heartbeat_interval_ticks: line.number("heartbeat", 100_000)?.unwrap_or(d.heartbeat_interval_ticks),
                    request_timeout_ticks: line.number("timeout", 100_000)?.unwrap_or(d.request_timeout_ticks),
                    fetch_max_records: line.number("fetch", 100_000)?.map_or(d.fetch_max_records, |n| n as u32),
                    auto_leader_rebalance: line.choice("rebalance", &[("on", true), ("off", false)])?.unwrap_or(d.auto_leader_rebalance),
                    ..d
                },
            })
        }
        "slow-broker" => Step::Broker(BrokerCommand::SlowBroker {
            broker: broker_id(line.word(1, "a broker id")?)?,
            fetch_every_ticks: line.number("every", 255)?.map_or(10, |n| n as u8),
        }),
        "cut-broker" | "reconnect-broker" => Step::Broker(BrokerCommand::CutLink {
            broker: broker_id(line.word(1, "a broker id")?)?,
            link: line.choice("from", &Link::ALL.map(|l| (l.name(), l)))?.ok_or("say which link: from=brokers, from=controller or from=clients")?,
            cut: verb == "cut-broker",
        }),
        "kill-controller" | "restart-controller" => {
            let id = line.word(1, "a controller id")?;
            let controller = ControllerId(id.trim_start_matches('C').parse().map_err(|_| format!("\"{id}\" is not a controller id (1, 2 or 3)"))?);
            Step::Broker(if verb == "kill-controller" { BrokerCommand::KillController { controller } } else { BrokerCommand::RestartController { controller } })
        }
        "elect-preferred" => Step::Broker(BrokerCommand::ElectPreferredLeaders),
        "producer" => {
            let d = ProducerConfig::default();
            let on_off = [("on", true), ("off", false)];
            Step::Broker(BrokerCommand::SetProducerConfig {
                producer: ProducerId(line.number("id", 1000)?.unwrap_or(1) as u32),
                config: ProducerConfig {
                    idempotence: line.choice("idempotence", &on_off)?.unwrap_or(d.idempotence),
                    acks: line.choice("acks", &[("0", Acks::Zero), ("1", Acks::One), ("all", Acks::All)])?.unwrap_or(d.acks),
                    network_fault_permille: line.number("faults", 100)?.map_or(d.network_fault_permille, |p| p as u16 * 10),
                    linger_ticks: line.number("linger", 10_000)?.unwrap_or(d.linger_ticks),
                    batch_size_bytes: line.number("batch", 1 << 20)?.unwrap_or(d.batch_size_bytes),
                    max_in_flight: line.number("inflight", 10)?.map_or(d.max_in_flight, |n| n as u8),
                    retries: line.number("retries", 100)?.map_or(d.retries, |n| n as u32),
                    compression: line.choice("compression", &Codec::ALL.map(|c| (c.name(), c)))?.unwrap_or(d.compression),
                    null_key_partitioner: line
                        .choice("partitioner", &[("sticky", NullKeyPartitioner::Sticky), ("round-robin", NullKeyPartitioner::RoundRobin)])?
                        .unwrap_or(d.null_key_partitioner),
                    ..d
                },
            })
        }
        "consumer" => {
            let d = ConsumerConfig::default();
            let commit = line
                .choice("commit", &[("auto", CommitPolicy::Auto { interval_ticks: 5 }), ("after", CommitPolicy::AfterProcessing), ("before", CommitPolicy::BeforeProcessing), ("manual", CommitPolicy::Manual)])?
                .unwrap_or(d.commit);
            let group = line.word(1, "a group id")?;
            let topic = line.take("topic").ok_or("a consumer needs topic=NAME")?;
            let instance_id = line.take("static");
            let config = ConsumerConfig {
                commit,
                auto_offset_reset: line.choice("reset", &[("earliest", OffsetReset::Earliest), ("latest", OffsetReset::Latest), ("none", OffsetReset::None)])?.unwrap_or(OffsetReset::Earliest),
                poll_interval_ticks: line.number("poll", 10_000)?.unwrap_or(d.poll_interval_ticks).max(1),
                processing_ticks: line.number("processing", 10_000)?.unwrap_or(d.processing_ticks),
                session_timeout_ticks: line.number("session", 10_000)?.unwrap_or(d.session_timeout_ticks).max(1),
                max_poll_records: line.number("max-poll", 10_000)?.map_or(d.max_poll_records, |n| n.max(1) as u32),
                isolation: line
                    .choice("isolation", &[("read_uncommitted", IsolationLevel::ReadUncommitted), ("read_committed", IsolationLevel::ReadCommitted)])?
                    .unwrap_or(d.isolation),
                max_poll_interval_ticks: line.number("max-poll-interval", 100_000)?.unwrap_or(d.max_poll_interval_ticks).max(1),
                protocol: line.choice("protocol", &[("classic", GroupProtocol::Classic), ("consumer", GroupProtocol::Consumer)])?.unwrap_or(d.protocol),
            };
            Step::Broker(BrokerCommand::AddConsumer {
                group: group.to_string(),
                topics: vec![topic.to_string()],
                instance_id: instance_id.map(str::to_string),
                config,
            })
        }
        "commit" => Step::Broker(BrokerCommand::CommitConsumer {
            consumer: consumer_id(line.word(1, "a consumer")?)?,
            asynchronous: line.choice("mode", &[("sync", false), ("async", true)])?.unwrap_or(false),
        }),
        "assignor" => {
            let group = line.word(1, "a group id")?;
            let name = line.word(2, "an assignor")?;
            let strategy = Strategy::from_name(name).ok_or_else(|| format!("\"{name}\" is not an assignor (range, roundrobin, sticky, cooperative-sticky)"))?;
            Step::Broker(BrokerCommand::SetGroupStrategy { group: group.to_string(), strategy })
        }
        "add-producer" => Step::Broker(BrokerCommand::AddProducer { config: ProducerConfig::default() }),
        "init-txn" => {
            let producer = producer_id(line.word(1, "a producer")?)?;
            let transactional_id = line.take("id").ok_or("init-txn needs id=TRANSACTIONAL_ID")?;
            let timeout_ticks = line.number("timeout", 1 << 20)?.unwrap_or(TRANSACTION_TIMEOUT_TICKS_DEFAULT);
            Step::Broker(BrokerCommand::InitTransactions { producer, transactional_id: transactional_id.to_string(), timeout_ticks })
        }
        "send-offsets" => Step::Broker(BrokerCommand::SendOffsetsToTransaction {
            producer: producer_id(line.word(1, "a producer")?)?,
            consumer: consumer_id(line.word(2, "a consumer")?)?,
        }),
        "process" => Step::Broker(BrokerCommand::ProcessInTransaction {
            producer: producer_id(line.word(1, "a producer")?)?,
            consumer: consumer_id(line.word(2, "a consumer")?)?,
            topic: line.take("to").ok_or("process needs to=TOPIC")?.to_string(),
        }),
        other => return Err(format!("unknown step \"{other}\" (tick, topic, topic-config, cluster, producer, add-producer, produce, rate, broker, consumer, crash, restart, close, commit, assignor, kill-broker, restart-broker, shutdown-broker, slow-broker, cut-broker, reconnect-broker, heal-broker, kill-controller, restart-controller, elect-preferred, init-txn, begin, commit-txn, abort-txn, send-offsets, process, compat, register, produce-avro, read-with)")),
    })
}

/// A scenario that ran: its timeline and everything that happened, tick by tick.
pub struct ScenarioRun {
    pub timeline: crate::timeline::Timeline,
    pub trace: Vec<(crate::clock::Tick, crate::state::Event)>,
}

/// Why a scenario stopped: the step (0-based) and what refused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub step: usize,
    pub message: String,
    pub hint: String,
}

/// Runs steps on a fresh lab, recording every event.
pub fn run(config: crate::state::LabConfig, steps: &[Step]) -> Result<ScenarioRun, ScenarioError> {
    run_watched(config, steps, |_, _| {})
}

/// [`run`], showing `watch` the lab after every tick and every command, with the tick the trace
/// lists them at (`lab scenario run` checks the replication invariants there).
pub fn run_watched(
    config: crate::state::LabConfig,
    steps: &[Step],
    watch: impl FnMut(crate::clock::Tick, &crate::state::Lab),
) -> Result<ScenarioRun, ScenarioError> {
    let mut timeline = crate::timeline::Timeline::new(config);
    let trace = run_on(&mut timeline, steps, watch)?;
    Ok(ScenarioRun { timeline, trace })
}

/// Runs steps at the end of `timeline`, after whatever it already holds (a test that set a lab
/// up by hand), as [`run_watched`] does on a fresh lab; returns the events, tick by tick.
pub fn run_on(
    timeline: &mut crate::timeline::Timeline,
    steps: &[Step],
    mut watch: impl FnMut(crate::clock::Tick, &crate::state::Lab),
) -> Result<Vec<(crate::clock::Tick, crate::state::Event)>, ScenarioError> {
    use crate::state::Command;
    let mut trace = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Ticks(n) => {
                for _ in 0..*n {
                    let at = timeline.end();
                    let events = timeline.advance_head().map_err(|e| ScenarioError {
                        step: index,
                        message: e.to_string(),
                        hint: "use fewer ticks".into(),
                    })?;
                    trace.extend(events.into_iter().map(|e| (at, e)));
                    watch(at, timeline.head());
                }
            }
            Step::Broker(_) | Step::Lab(_) => {
                let at = timeline.end();
                let command = match step {
                    Step::Broker(command) => Command::Broker(command.clone()),
                    Step::Lab(command) => command.clone(),
                    Step::Ticks(_) => unreachable!("matched above"),
                };
                let applied = timeline.apply_at(at, command).map_err(|e| ScenarioError {
                    step: index,
                    message: e.to_string(),
                    hint: e.hint(),
                })?;
                trace.extend(applied.events.into_iter().map(|e| (at, e)));
                watch(at, timeline.head());
            }
        }
    }
    Ok(trace)
}

/// Parses a block of steps (its key moments are checked, then left out: see [`Script`]).
pub fn parse_steps(text: &str) -> Result<Vec<Step>, StepError> {
    Script::parse(text).map(|script| script.steps)
}

/// A key moment of a script: where a narrated run stops with a caption (`pause "..."`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMoment {
    /// The index of the step it comes before (`steps.len()` for a moment after the last step).
    pub before_step: usize,
    /// Its 1-based line in the block.
    pub line: usize,
    pub caption: String,
}

/// A steps block as written: the steps, the line each one is on, and the key moments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub steps: Vec<Step>,
    /// The 1-based line of each step in the block (`step_lines[i]` is the line of `steps[i]`).
    pub step_lines: Vec<usize>,
    pub moments: Vec<KeyMoment>,
}

/// The caption of a `pause` line: `"..."`, optionally followed by a comment.
fn pause_caption(rest: &str) -> Result<String, String> {
    let usage = "pause takes a caption in double quotes: pause \"The leader crashes\"";
    let quoted = rest.trim().strip_prefix('"').ok_or(usage)?;
    let (caption, after) = quoted.split_once('"').ok_or(usage)?;
    let after = after.trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return Err(format!("unexpected \"{after}\" after the caption"));
    }
    if caption.trim().is_empty() {
        return Err("a pause needs a caption saying what to look at".into());
    }
    Ok(caption.trim().to_string())
}

impl Script {
    /// Parses a block: one step or `pause "caption"` per line; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Script, StepError> {
        let mut script = Script::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let at = |message| StepError { line, message };
            let trimmed = raw.trim_start();
            if let Some(rest) = trimmed
                .strip_prefix("pause")
                .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
            {
                script.moments.push(KeyMoment {
                    before_step: script.steps.len(),
                    line,
                    caption: pause_caption(rest).map_err(at)?,
                });
                continue;
            }
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            script.steps.push(parse_step(content).map_err(at)?);
            script.step_lines.push(line);
        }
        Ok(script)
    }

    /// The steps before the first key moment (all of them when there is none): what runs at
    /// once when a preset opens, so that it waits just before the failure.
    pub fn setup(&self) -> &[Step] {
        let end = self
            .moments
            .first()
            .map_or(self.steps.len(), |m| m.before_step);
        &self.steps[..end]
    }
}

/// What a narrated run does next ([`Narration::next`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Beat<'a> {
    /// Apply step `step`, a command.
    Apply {
        step: usize,
        command: &'a BrokerCommand,
    },
    /// Apply step `step`, a lab command that is not the cluster's.
    ApplyLab {
        step: usize,
        command: &'a crate::state::Command,
    },
    /// Run the clock `ticks` ticks, part of step `step`; `done` of its `total` ticks have then run.
    Advance {
        step: usize,
        ticks: u64,
        done: u64,
        total: u64,
    },
    /// Stop at a key moment until the learner continues.
    Moment(&'a KeyMoment),
    /// Every step ran.
    End,
}

impl Beat<'_> {
    /// What the beat does to the lab, as a step to run (a command, or its ticks of a `tick`
    /// step); nothing for a key moment or the end.
    pub fn step(&self) -> Option<Step> {
        match self {
            Beat::Apply { command, .. } => Some(Step::Broker((*command).clone())),
            Beat::ApplyLab { command, .. } => Some(Step::Lab((*command).clone())),
            Beat::Advance { ticks, .. } => Some(Step::Ticks(*ticks)),
            Beat::Moment(_) | Beat::End => None,
        }
    }
}

/// How far a narrated run of a [`Script`] is: the next step, the ticks of it already run and
/// how many key moments were shown. Applying its beats in order gives the same journal as
/// [`run`] over the same steps, whatever the ticks per beat (the tests check it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Narration {
    step: usize,
    ticks_run: u64,
    moments_shown: usize,
}

impl Narration {
    /// A run from the first step.
    pub fn from_the_top() -> Narration {
        Narration::default()
    }

    /// A run that starts after the script's [setup](Script::setup), its first key moment
    /// already shown (the preset waiting just before the failure).
    pub fn after_setup(script: &Script) -> Narration {
        Narration {
            step: script.setup().len(),
            ticks_run: 0,
            moments_shown: script.moments.len().min(1),
        }
    }

    /// The next beat, moving past it. A `tick` step is run `ticks_per_beat` ticks at a time.
    pub fn next<'a>(&mut self, script: &'a Script, ticks_per_beat: u64) -> Beat<'a> {
        if let Some(moment) = script
            .moments
            .get(self.moments_shown)
            .filter(|m| m.before_step == self.step && self.ticks_run == 0)
        {
            self.moments_shown += 1;
            return Beat::Moment(moment);
        }
        let step = self.step;
        match script.steps.get(step) {
            None => Beat::End,
            Some(Step::Broker(command)) => {
                self.step += 1;
                Beat::Apply { step, command }
            }
            Some(Step::Lab(command)) => {
                self.step += 1;
                Beat::ApplyLab { step, command }
            }
            Some(Step::Ticks(total)) => {
                let ticks = ticks_per_beat.max(1).min(total - self.ticks_run);
                self.ticks_run += ticks;
                let done = self.ticks_run;
                if done == *total {
                    self.step += 1;
                    self.ticks_run = 0;
                }
                Beat::Advance {
                    step,
                    ticks,
                    done,
                    total: *total,
                }
            }
        }
    }

    /// Whether every step ran and every key moment was shown.
    pub fn is_finished(&self, script: &Script) -> bool {
        self.step >= script.steps.len() && self.moments_shown >= script.moments.len()
    }

    /// The index of the step the run is in or about to start.
    pub fn step(&self) -> usize {
        self.step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_null_is_a_tombstone_and_an_empty_value_is_zero_length() {
        let steps = parse_steps("produce profiles key=k value=null\nproduce profiles key=k value=")
            .unwrap();
        let values: Vec<Option<String>> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Broker(BrokerCommand::Produce { value, .. }) => Some(value.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(values, vec![None, Some(String::new())]);
    }

    #[test]
    fn transaction_steps_parse() {
        let text = "add-producer\ninit-txn 2 id=pay-1 timeout=50\nbegin producer-2\ncommit-txn 2\nabort-txn 2\nsend-offsets 2 1\nprocess 2 consumer-1 to=out\nconsumer g topic=t isolation=read_committed\n";
        let steps = parse_steps(text).unwrap();
        assert_eq!(steps.len(), 8);
        assert!(matches!(
            &steps[1],
            Step::Broker(BrokerCommand::InitTransactions {
                producer: ProducerId(2),
                timeout_ticks: 50,
                ..
            })
        ));
        assert!(matches!(
            &steps[7],
            Step::Broker(BrokerCommand::AddConsumer {
                config: ConsumerConfig {
                    isolation: IsolationLevel::ReadCommitted,
                    ..
                },
                ..
            })
        ));
        assert!(
            parse_steps("init-txn 1").is_err(),
            "a transactional.id is required"
        );
        assert!(
            parse_steps("process 1 2").is_err(),
            "an output topic is required"
        );
    }

    #[test]
    fn every_step_parses() {
        let text = "topic pay partitions=6 policy=compact segment=300 retention=500\nproducer idempotence=off faults=20 compression=gzip partitioner=round-robin\nproduce orders key=user-{n} count=20 partition=1 value=null\nconsumer g topic=orders commit=before reset=latest static=c-1\nassignor g cooperative-sticky\ntick 10\ncrash consumer-1 # a comment\nrestart 1\nclose 2\ncommit 3\n";
        let steps = parse_steps(text).unwrap();
        assert_eq!(steps.len(), 10);
        assert!(matches!(
            &steps[2],
            Step::Broker(BrokerCommand::Produce {
                value: None,
                count: 20,
                ..
            })
        ));
        assert!(matches!(
            &steps[6],
            Step::Broker(BrokerCommand::CrashConsumer {
                consumer: ConsumerId(1)
            })
        ));
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        for (text, needle) in [
            ("tick 0", "1 to"),
            ("tick x", "whole number"),
            ("produce", "expected a topic"),
            ("produce t count=-1", "count must be"),
            ("produce t colour=red", "unknown option \"colour\""),
            ("consumer g", "topic=NAME"),
            ("assignor g fastest", "not an assignor"),
            ("crash bob", "not a consumer id"),
            ("fly away", "unknown step"),
            ("produce t key=a key=b", "given twice"),
            ("tick 5 6", "too many words"),
        ] {
            let err = parse_steps(&format!("# header\n{text}")).unwrap_err();
            assert_eq!(err.line, 2);
            assert!(err.message.contains(needle), "{text}: {}", err.message);
        }
    }

    const NARRATED: &str = "produce orders count=5 partition=0\ntick 3\npause \"The leader # is about to crash\"  # why\nkill-broker 1\ntick 80\npause \"Broker 2 leads\"\nrestart-broker 1\ntick 20\npause \"Done\"";

    #[test]
    fn pauses_are_key_moments_between_steps_not_steps() {
        let script = Script::parse(NARRATED).unwrap();
        assert_eq!(script.steps, parse_steps(NARRATED).unwrap());
        assert_eq!(script.steps.len(), 6);
        assert_eq!(script.step_lines, vec![1, 2, 4, 5, 7, 8]);
        let moments: Vec<(usize, usize, &str)> = script
            .moments
            .iter()
            .map(|m| (m.before_step, m.line, m.caption.as_str()))
            .collect();
        assert_eq!(
            moments,
            vec![
                (2, 3, "The leader # is about to crash"),
                (4, 6, "Broker 2 leads"),
                (6, 9, "Done")
            ]
        );
        assert_eq!(script.setup(), &script.steps[..2]);
        assert_eq!(Script::parse("tick 4").unwrap().setup().len(), 1);
    }

    #[test]
    fn a_pause_needs_a_quoted_caption() {
        for (text, needle) in [
            ("pause", "double quotes"),
            ("pause the leader crashes", "double quotes"),
            ("pause \"unterminated", "double quotes"),
            ("pause \"  \"", "needs a caption"),
            ("pause \"a\" b", "unexpected \"b\""),
        ] {
            let err = Script::parse(&format!("tick 1\n{text}")).unwrap_err();
            assert_eq!(err.line, 2, "{text}");
            assert!(err.message.contains(needle), "{text}: {}", err.message);
        }
        assert!(parse_steps("pauses 3")
            .unwrap_err()
            .message
            .contains("unknown step"));
    }

    /// Applies a narration's beats to `timeline` until the end, as the app's narrator does,
    /// collecting the captions of the key moments it passes.
    fn narrate(
        timeline: &mut crate::timeline::Timeline,
        script: &Script,
        mut narration: Narration,
        ticks_per_beat: u64,
    ) -> Vec<String> {
        let mut captions = Vec::new();
        loop {
            match narration.next(script, ticks_per_beat) {
                Beat::End => break,
                Beat::Moment(m) => captions.push(m.caption.clone()),
                beat => {
                    let steps: Vec<Step> = beat.step().into_iter().collect();
                    run_on(timeline, &steps, |_, _| {}).unwrap();
                }
            }
        }
        assert!(narration.is_finished(script));
        captions
    }

    fn replicated() -> crate::state::LabConfig {
        crate::state::LabConfig {
            seed: crate::rng::Seed(1),
            preset: crate::state::Preset::Replicated,
        }
    }

    #[test]
    fn a_narrated_run_journals_what_the_one_click_run_does() {
        let script = Script::parse(NARRATED).unwrap();
        let one_click = run(replicated(), &script.steps).unwrap().timeline;
        for ticks_per_beat in [1, 7, u64::MAX] {
            let mut timeline = crate::timeline::Timeline::new(replicated());
            let captions = narrate(
                &mut timeline,
                &script,
                Narration::from_the_top(),
                ticks_per_beat,
            );
            assert_eq!(
                captions,
                ["The leader # is about to crash", "Broker 2 leads", "Done"]
            );
            assert_eq!(
                timeline.journal(),
                one_click.journal(),
                "{ticks_per_beat} ticks per beat"
            );
        }
    }

    #[test]
    fn a_preset_opens_after_its_setup_and_plays_the_failure_to_the_same_journal() {
        let script = Script::parse(NARRATED).unwrap();
        let one_click = run(replicated(), &script.steps).unwrap().timeline;
        let mut timeline = run(replicated(), script.setup()).unwrap().timeline;
        assert_eq!(timeline.end().0, 3);
        let narration = Narration::after_setup(&script);
        assert_eq!(narration.step(), 2);
        let captions = narrate(&mut timeline, &script, narration, 10);
        assert_eq!(captions, ["Broker 2 leads", "Done"]);
        assert_eq!(timeline.journal(), one_click.journal());
    }

    #[test]
    fn ticks_run_in_beats_and_report_their_progress() {
        let script = Script::parse("tick 5").unwrap();
        let mut narration = Narration::from_the_top();
        let mut seen = Vec::new();
        while let Beat::Advance {
            ticks, done, total, ..
        } = narration.next(&script, 2)
        {
            seen.push((ticks, done, total));
        }
        assert_eq!(seen, vec![(2, 2, 5), (2, 4, 5), (1, 5, 5)]);
        assert_eq!(narration.next(&script, 2), Beat::End);
    }
}
