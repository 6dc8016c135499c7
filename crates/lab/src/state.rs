//! The whole lab state at one tick, and the only two ways it changes: [`Lab::apply`] a
//! [`Command`], or [`Lab::advance`] the clock by one tick.
//!
//! Commands are validated before anything is touched, so a rejected command leaves the state
//! exactly as it was and is never written to the journal. Applying a command or a tick returns
//! the [`Event`]s it caused; the most recent are kept in a bounded trace for the UI.
//!
//! ```
//! use lab::state::{Command, Lab, LabConfig, Preset};
//! use lab::rng::Seed;
//! use lab::stream::SourceId;
//! let mut lab = Lab::new(&LabConfig { seed: Seed(1), preset: Preset::TwoSources });
//! lab.apply(&Command::Emit { source: SourceId(0), count: 3 }).unwrap();
//! assert_eq!(lab.stream().events_total(), 3);
//! assert!(lab.apply(&Command::Emit { source: SourceId(9), count: 1 }).is_err());
//! ```

use crate::broker::cluster::{BrokerCommand, BrokerEvent, BrokerRejection, Cluster};
use crate::broker::log::LogConfig;
use crate::broker::node::ClusterSettings;
use crate::broker::producer::ProducerConfig;
use crate::broker::topic::TopicSettings;
use crate::clock::Tick;
use crate::cluster_lab::{ClusterCommand, ClusterLab, ClusterLabEvent};
use crate::experiment_lab::command::{ExperimentCommand, ExperimentEvent};
use crate::experiment_lab::ExperimentLab;
use crate::pipeline_lab::command::{PipelineCommand, PipelineEvent};
use crate::pipeline_lab::PipelineLab;
use crate::queue::{ClassicQueue, QueueCommand, QueueEvent};
use crate::rng::{Rng, Seed};
use crate::rollout_lab::command::{RolloutCommand, RolloutEvent};
use crate::rollout_lab::RolloutLab;
use crate::state_hash::StateHasher;
use crate::stream::{
    AddSourceError, Emission, SourceId, Stream, CHANCE_PERMILLE_MAX, EMIT_COUNT_MAX, SOURCES_MAX,
};
use crate::stream_lab::command::{StreamCommand, StreamEvent};
use crate::stream_lab::StreamLab;
use features::model::FeatureError;
use features::store::command::{FeatureCommand, FeatureEvent};
use features::store::FeatureStore;
use registry::{Registry, RegistryCommand, RegistryEvent, Version};
use sim::codec::{DecodeError, Reader, Writer};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::hash::Hash;

/// Events kept in the trace the UI shows.
pub const TRACE_EVENTS_MAX: usize = 200;

/// A named starting state. Lessons pick one in their front matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// One silent source, "a": nothing happens until the learner acts.
    Quiet,
    /// Sources "a" (30% per tick) and "b" (10% per tick).
    TwoSources,
    /// Four sources at different rates.
    Busy,
    /// A Kafka cluster: three brokers, topic "orders" with three partitions, one producer.
    Broker,
    /// The broker preset plus a compacted topic "profiles" (one partition, small segments).
    BrokerCompacted,
    /// The broker preset beside a RabbitMQ-style queue, for contrast.
    QueueVsLog,
    /// A replicated cluster: three brokers, topic "orders" with three partitions, replication
    /// factor 3 and min.insync.replicas 2, replica.lag.time.max 10 s, one acks=all producer.
    Replicated,
    /// A Kafka cluster with a Schema Registry: topics "users" and "numbers" (one partition
    /// each), one producer, and the value schema of "users" registered as version 1.
    SchemaRegistry,
    /// A feature store over the sample world of the seed: drivers and customers after Feast's
    /// demo, and the spam-comments counters and embeddings.
    FeatureStore,
    /// A stream job over a Kafka topic: a click generator writes to "clicks" (three partitions),
    /// a windowed SQL query runs over it and writes to "clicks_per_window" and to the feature
    /// store's `user_activity` view.
    Streaming,
    /// A model serving users through a mesh: `v1` stable, an Argo canary spec loaded, alert rules
    /// and a drift monitor; one tick is ten seconds of rollout time.
    Rollouts,
    /// An A/B test on a stream of simulated users, read as GrowthBook reads one, with the
    /// peeking simulator, an interleaving comparison and a bandit; one tick is one hour.
    Experiments,
    /// The whole ML pipeline on one clock: users' clicks to a replicated topic, a stream job
    /// computing features into the feature store, model versions served from them and released
    /// by a canary judged on prediction quality, and the experiment reading the release.
    Pipeline,
    /// A simulated Spark/Hadoop cluster: SQL queries run as stages of tasks on executors, and
    /// Hadoop streaming MapReduce jobs; one tick is 0.1 s of cluster time.
    Cluster,
}

impl Preset {
    pub const ALL: [Preset; 14] = [
        Preset::Quiet,
        Preset::TwoSources,
        Preset::Busy,
        Preset::Broker,
        Preset::BrokerCompacted,
        Preset::QueueVsLog,
        Preset::Replicated,
        Preset::SchemaRegistry,
        Preset::FeatureStore,
        Preset::Streaming,
        Preset::Rollouts,
        Preset::Experiments,
        Preset::Pipeline,
        Preset::Cluster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Quiet => "quiet",
            Preset::TwoSources => "two-sources",
            Preset::Busy => "busy",
            Preset::Broker => "broker",
            Preset::BrokerCompacted => "broker-compacted",
            Preset::QueueVsLog => "queue-vs-log",
            Preset::Replicated => "replicated",
            Preset::SchemaRegistry => "schema-registry",
            Preset::FeatureStore => "feature-store",
            Preset::Streaming => "streaming",
            Preset::Rollouts => "rollouts",
            Preset::Experiments => "experiments",
            Preset::Pipeline => "pipeline",
            Preset::Cluster => "cluster",
        }
    }

    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Stable tag used by the journal encoding.
    pub fn tag(self) -> u8 {
        match self {
            Preset::Quiet => 0,
            Preset::TwoSources => 1,
            Preset::Busy => 2,
            Preset::Broker => 3,
            Preset::BrokerCompacted => 4,
            Preset::QueueVsLog => 5,
            Preset::Replicated => 6,
            Preset::SchemaRegistry => 10,
            Preset::FeatureStore => 20,
            Preset::Streaming => 21,
            Preset::Rollouts => 22,
            Preset::Experiments => 23,
            Preset::Pipeline => 24,
            Preset::Cluster => 25,
        }
    }

    pub fn from_tag(tag: u8) -> Option<Preset> {
        Preset::ALL.into_iter().find(|s| s.tag() == tag)
    }

    fn sources(self) -> &'static [(&'static str, u16)] {
        match self {
            Preset::Quiet => &[("a", 0)],
            Preset::TwoSources => &[("a", 300), ("b", 100)],
            Preset::Busy => &[
                ("orders", 500),
                ("clicks", 800),
                ("payments", 150),
                ("alerts", 20),
            ],
            Preset::Broker
            | Preset::BrokerCompacted
            | Preset::QueueVsLog
            | Preset::Replicated
            | Preset::SchemaRegistry
            | Preset::FeatureStore
            | Preset::Streaming
            | Preset::Rollouts
            | Preset::Experiments
            | Preset::Pipeline
            | Preset::Cluster => &[],
        }
    }

    /// The broker count and commands that build this preset's cluster, if it has one.
    fn cluster_setup(self) -> Option<(u8, Vec<BrokerCommand>)> {
        let orders = BrokerCommand::CreateTopic {
            name: "orders".into(),
            partitions: 3,
            settings: TopicSettings::default(),
        };
        let producer = BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        };
        match self {
            Preset::Quiet
            | Preset::TwoSources
            | Preset::Busy
            | Preset::FeatureStore
            | Preset::Rollouts
            | Preset::Experiments
            | Preset::Cluster => None,
            Preset::Broker | Preset::QueueVsLog => Some((3, vec![orders, producer])),
            Preset::Streaming => Some((3, crate::stream_lab::cluster_setup())),
            Preset::Pipeline => Some((3, crate::pipeline_lab::cluster_setup())),
            Preset::SchemaRegistry => {
                let topic = |name: &str| BrokerCommand::CreateTopic {
                    name: name.into(),
                    partitions: 1,
                    settings: TopicSettings::default(),
                };
                Some((3, vec![topic("users"), topic("numbers"), producer]))
            }
            Preset::Replicated => {
                let settings = BrokerCommand::SetClusterSettings {
                    settings: ClusterSettings {
                        replica_lag_max_ticks: 100,
                        ..ClusterSettings::default()
                    },
                };
                let orders = BrokerCommand::CreateTopic {
                    name: "orders".into(),
                    partitions: 3,
                    settings: TopicSettings {
                        replication_factor: 3,
                        min_insync_replicas: 2,
                        ..TopicSettings::default()
                    },
                };
                Some((3, vec![settings, orders, producer]))
            }
            Preset::BrokerCompacted => {
                let log = LogConfig {
                    cleanup_compact: true,
                    cleanup_delete: false,
                    segment_bytes: 300,
                    delete_retention_ticks: 100,
                    ..LogConfig::default()
                };
                let profiles = BrokerCommand::CreateTopic {
                    name: "profiles".into(),
                    partitions: 1,
                    settings: TopicSettings {
                        log,
                        ..TopicSettings::default()
                    },
                };
                Some((3, vec![orders, profiles, producer]))
            }
        }
    }
}

/// The schema-registry preset's registry: the value schema of "users" as version 1.
fn preset_registry() -> Registry {
    let mut registry = Registry::default();
    registry
        .register(&registry::value_subject("users"), crate::schemas::USERS_V1)
        .expect("the preset's schema is valid");
    registry
}

/// Everything besides commands that fixes a lab's story.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabConfig {
    pub seed: Seed,
    pub preset: Preset,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            seed: Seed(1),
            preset: Preset::TwoSources,
        }
    }
}

/// What a learner (or a lesson, or a replay) can ask of the lab. A closed set: the journal stores
/// these and nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Emit `count` events from a source right now.
    Emit { source: SourceId, count: u16 },
    /// Change how likely a source is to emit on each tick.
    SetChance {
        source: SourceId,
        chance_per_tick_permille: u16,
    },
    /// Add a source that starts silent.
    AddSource { name: String },
    /// Anything done to the Kafka cluster of a broker preset.
    Broker(BrokerCommand),
    /// Anything done to the classic queue of the queue-vs-log preset.
    Queue(QueueCommand),
    /// Anything asked of the Schema Registry (set a subject's level, register a schema).
    Registry(RegistryCommand),
    /// A producer's Avro serializer sends `value` (Avro's JSON encoding) written with `schema`
    /// to `topic`: it registers the schema under `<topic>-value` first (auto.register.schemas),
    /// and sends nothing when the registry refuses it.
    ProduceAvro {
        producer: crate::broker::producer::ProducerId,
        topic: String,
        schema: String,
        value: String,
    },
    /// The consumers of a subject's topic read with this version of it (None: with each
    /// record's writer schema).
    ReadWith {
        subject: String,
        version: Option<Version>,
    },
    /// Anything asked of the feature store (a join option, a TTL, a materialization, a read).
    Features(FeatureCommand),
    /// Anything asked of the streaming lab (a click, a query, a watermark delay, a crash).
    Stream(StreamCommand),
    /// Anything asked of the rollouts lab (a spec, a deploy, promote, abort, a fault, drift).
    Rollout(RolloutCommand),
    /// Anything asked of the experiments lab (a setting, a fault, a simulator run, a bandit).
    Experiment(ExperimentCommand),
    /// Anything asked of the pipeline world (a job fault, a TTL, a training, a release).
    Pipeline(PipelineCommand),
    /// Anything asked of the cluster lab (a setting, a query or MapReduce job, a fault).
    Cluster(ClusterCommand),
}

/// What happened. Applying events never fails; they are the lab's narration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    Emitted(Emission),
    ChanceChanged {
        source: SourceId,
        from_permille: u16,
        to_permille: u16,
    },
    SourceAdded {
        source: SourceId,
        name: String,
    },
    Broker(BrokerEvent),
    Queue(QueueEvent),
    Registry(RegistryEvent),
    ReaderChosen {
        subject: String,
        version: Option<Version>,
    },
    Features(FeatureEvent),
    Stream(StreamEvent),
    Rollout(RolloutEvent),
    Experiment(ExperimentEvent),
    Pipeline(PipelineEvent),
    Cluster(ClusterLabEvent),
}

/// An event with the tick it happened at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedEvent {
    pub at: Tick,
    pub event: Event,
}

/// Why a command was refused, phrased for the learner, with a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    UnknownSource(SourceId),
    EmitCountOutOfRange {
        count: u16,
    },
    ChanceOutOfRange {
        chance_per_tick_permille: u16,
    },
    BadSourceName {
        name: String,
        why: &'static str,
    },
    DuplicateSourceName {
        name: String,
    },
    TooManySources,
    /// A broker command in a lab without a cluster.
    NoBroker,
    Broker(BrokerRejection),
    /// A queue command in a lab without a queue.
    NoQueue,
    Queue {
        message: String,
        hint: String,
    },
    /// A registry command in a lab without a Schema Registry.
    NoRegistry,
    /// The registry, a serializer or a deserializer refused (an invalid schema, an unknown subject...).
    Registry {
        message: String,
        hint: String,
    },
    /// A feature-store command in a lab without a feature store.
    NoFeatureStore,
    /// The feature store refused (an unknown view, a bad time range...).
    Features(FeatureError),
    /// A streaming command in a lab without a stream job.
    NoStreaming,
    /// The streaming lab refused (a query that is not windowed, an absurd delay...).
    Stream {
        message: String,
        hint: String,
    },
    /// A rollouts command in a lab without the rollouts lab.
    NoRollout,
    /// The rollouts lab refused (a spec that does not parse, a promote with nothing paused...).
    Rollout {
        message: String,
        hint: String,
    },
    /// An experiments command in a lab without the experiments lab.
    NoExperiment,
    /// The experiments lab refused (weights that do not add up, an unknown arm...).
    Experiment {
        message: String,
        hint: String,
    },
    /// A pipeline command in a lab without the pipeline world.
    NoPipeline,
    /// The pipeline world refused (a model that does not exist, a TTL out of range...).
    Pipeline {
        message: String,
        hint: String,
    },
    /// A cluster command in a lab without the cluster lab.
    NoClusterLab,
    /// The cluster lab refused (a query that does not plan, a setting out of range...).
    ClusterLab {
        message: String,
        hint: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::UnknownSource(id) => write!(f, "there is no source {id}"),
            Rejection::EmitCountOutOfRange { count } => {
                write!(f, "cannot emit {count} events at once")
            }
            Rejection::ChanceOutOfRange {
                chance_per_tick_permille,
            } => {
                write!(
                    f,
                    "a chance of {chance_per_tick_permille}‰ per tick is impossible"
                )
            }
            Rejection::BadSourceName { name, why } => {
                write!(f, "\"{name}\" is not a valid source name: {why}")
            }
            Rejection::DuplicateSourceName { name } => {
                write!(f, "a source named \"{name}\" already exists")
            }
            Rejection::TooManySources => write!(f, "this lab already has {SOURCES_MAX} sources"),
            Rejection::NoBroker => write!(f, "this lab has no Kafka cluster"),
            Rejection::Broker(r) => write!(f, "{r}"),
            Rejection::NoQueue => write!(f, "this lab has no queue"),
            Rejection::Queue { message, .. } => write!(f, "{message}"),
            Rejection::NoRegistry => write!(f, "this lab has no Schema Registry"),
            Rejection::Registry { message, .. } => write!(f, "{message}"),
            Rejection::NoFeatureStore => write!(f, "this lab has no feature store"),
            Rejection::Features(e) => write!(f, "{}", e.message),
            Rejection::NoStreaming => write!(f, "this lab has no stream job"),
            Rejection::Stream { message, .. } => write!(f, "{message}"),
            Rejection::NoRollout => write!(f, "this lab has no rollout"),
            Rejection::Rollout { message, .. } => write!(f, "{message}"),
            Rejection::NoExperiment => write!(f, "this lab has no experiment"),
            Rejection::Experiment { message, .. } => write!(f, "{message}"),
            Rejection::NoPipeline => write!(f, "this lab has no pipeline"),
            Rejection::Pipeline { message, .. } => write!(f, "{message}"),
            Rejection::NoClusterLab => write!(f, "this lab has no simulated cluster"),
            Rejection::ClusterLab { message, .. } => write!(f, "{message}"),
        }
    }
}

impl Rejection {
    /// What to do instead.
    pub fn hint(&self) -> String {
        match self {
            Rejection::UnknownSource(_) => "pick one of the sources listed in the lab".into(),
            Rejection::EmitCountOutOfRange { .. } => {
                format!("emit between 1 and {EMIT_COUNT_MAX} events")
            }
            Rejection::ChanceOutOfRange { .. } => {
                format!("use 0 (never) to {CHANCE_PERMILLE_MAX} (every tick)")
            }
            Rejection::BadSourceName { .. } => "try a short name such as \"sensor-2\"".into(),
            Rejection::DuplicateSourceName { .. } => "choose a name not used yet".into(),
            Rejection::TooManySources => "reset the lab, or reuse an existing source".into(),
            Rejection::NoBroker => "open the broker lab".into(),
            Rejection::Broker(r) => r.hint(),
            Rejection::NoQueue => "open the queue-vs-log lesson".into(),
            Rejection::Queue { hint, .. } => hint.clone(),
            Rejection::NoRegistry => "open the Schema Registry lesson".into(),
            Rejection::Registry { hint, .. } => hint.clone(),
            Rejection::NoFeatureStore => "open the feature store lab".into(),
            Rejection::Features(e) => e.hint.clone(),
            Rejection::NoStreaming => "open the streaming lab".into(),
            Rejection::Stream { hint, .. } => hint.clone(),
            Rejection::NoRollout => "open the rollouts lab".into(),
            Rejection::Rollout { hint, .. } => hint.clone(),
            Rejection::NoExperiment => "open the experiments lab".into(),
            Rejection::Experiment { hint, .. } => hint.clone(),
            Rejection::NoPipeline => "open the pipeline lab".into(),
            Rejection::Pipeline { hint, .. } => hint.clone(),
            Rejection::NoClusterLab => "open the cluster lab".into(),
            Rejection::ClusterLab { hint, .. } => hint.clone(),
        }
    }
}

/// The complete state of a lab at one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lab {
    config: LabConfig,
    now: Tick,
    stream: Stream,
    /// The Kafka cluster of a broker preset.
    cluster: Option<Cluster>,
    /// The classic queue of the queue-vs-log preset.
    queue: Option<ClassicQueue>,
    /// The Schema Registry of the schema-registry preset.
    registry: Option<Registry>,
    /// The reader version chosen per subject (absent: read with the writer's schema).
    readers: BTreeMap<String, Version>,
    /// The feature store of the feature-store and streaming presets.
    features: Option<FeatureStore>,
    /// The click generator and stream job of the streaming preset.
    streams: Option<StreamLab>,
    /// The serving world and rollout controller of the rollouts preset.
    rollouts: Option<RolloutLab>,
    /// The A/B test and its side experiments of the experiments preset.
    experiments: Option<ExperimentLab>,
    /// The users, stream job, models and samples of the pipeline preset.
    pipeline: Option<PipelineLab>,
    /// The simulated cluster, its tables and jobs, of the cluster preset.
    cluster_lab: Option<ClusterLab>,
    trace: VecDeque<TracedEvent>,
}

impl Lab {
    /// The state at tick 0 for `config`.
    pub fn new(config: &LabConfig) -> Lab {
        let root = Rng::new(config.seed);
        let mut stream = Stream::new(root.fork("stream"));
        for (name, chance) in config.preset.sources() {
            stream
                .add_source(name, *chance)
                .expect("built-in scenarios hold valid, distinct sources within limits");
        }
        let cluster = config.preset.cluster_setup().map(|(brokers, setup)| {
            let mut cluster = Cluster::new(brokers, root.fork("broker"));
            for command in &setup {
                cluster
                    .apply(command, Tick::ZERO)
                    .expect("built-in scenarios are valid");
            }
            cluster
        });
        let mut features = matches!(
            config.preset,
            Preset::FeatureStore | Preset::Streaming | Preset::Pipeline
        )
        .then(FeatureStore::new);
        let streams = match (config.preset, &mut features) {
            (Preset::Streaming, Some(store)) => Some(StreamLab::new(root.fork("streaming"), store)),
            _ => None,
        };
        let pipeline = match (config.preset, &mut features) {
            (Preset::Pipeline, Some(store)) => Some(PipelineLab::new(root.fork("pipeline"), store)),
            _ => None,
        };
        let rollouts = match config.preset {
            Preset::Rollouts => Some(RolloutLab::new(root.fork("rollouts"))),
            Preset::Pipeline => Some(crate::pipeline_lab::rollout_lab(root.fork("rollouts"))),
            _ => None,
        };
        let mut lab = Lab {
            config: *config,
            now: Tick::ZERO,
            stream,
            cluster,
            queue: (config.preset == Preset::QueueVsLog).then(ClassicQueue::default),
            registry: (config.preset == Preset::SchemaRegistry).then(preset_registry),
            readers: BTreeMap::new(),
            features,
            streams,
            rollouts,
            experiments: (config.preset == Preset::Experiments)
                .then(|| ExperimentLab::new(root.fork("experiments"))),
            pipeline,
            cluster_lab: (config.preset == Preset::Cluster)
                .then(|| ClusterLab::new(root.fork("cluster"))),
            trace: VecDeque::new(),
        };
        lab.refresh_pipeline_views();
        lab
    }

    /// The pipeline's page views, brought up to date after a tick or a command.
    fn refresh_pipeline_views(&mut self) {
        if let (Some(p), Some(cluster), Some(store), Some(rollouts)) = (
            &mut self.pipeline,
            &self.cluster,
            &self.features,
            &self.rollouts,
        ) {
            p.refresh_views(cluster, store, rollouts, self.now);
        }
    }

    /// The pipeline world, in the pipeline preset.
    pub fn pipeline(&self) -> Option<&PipelineLab> {
        self.pipeline.as_ref()
    }

    /// The Schema Registry, in the schema-registry preset.
    pub fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// The reader version chosen for a subject's consumers (None: each record's writer schema).
    pub fn reader_version(&self, subject: &str) -> Option<Version> {
        self.readers.get(subject).copied()
    }

    /// The feature store, in the feature-store preset.
    pub fn features(&self) -> Option<&FeatureStore> {
        self.features.as_ref()
    }

    /// The click generator and stream job, in the streaming preset.
    pub fn streams(&self) -> Option<&StreamLab> {
        self.streams.as_ref()
    }

    /// The serving world and rollout controller, in the rollouts preset.
    pub fn rollouts(&self) -> Option<&RolloutLab> {
        self.rollouts.as_ref()
    }

    /// The first tick whose state shows what the rollout controller did at rollout time
    /// `rollout_ms`: it acts at the start of its own ten-second tick and the result shows once
    /// that tick is over. The rollouts preset ticks the rollout world with every lab tick, the
    /// pipeline with every [`crate::pipeline_lab::TICKS_PER_RECONCILE`]th.
    pub fn first_tick_showing_rollout_ms(&self, rollout_ms: u64) -> Tick {
        let rollout_ticks = rollout_ms / crate::rollout_lab::TICK_MS + 1;
        match self.config.preset {
            Preset::Pipeline => Tick(rollout_ticks * crate::pipeline_lab::TICKS_PER_RECONCILE),
            _ => Tick(rollout_ticks),
        }
    }

    /// The A/B test and its side experiments, in the experiments preset.
    pub fn experiments(&self) -> Option<&ExperimentLab> {
        self.experiments.as_ref()
    }

    /// The simulated Spark/Hadoop cluster and its jobs, in the cluster preset.
    pub fn cluster_lab(&self) -> Option<&ClusterLab> {
        self.cluster_lab.as_ref()
    }

    /// The Kafka cluster, in broker presets.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// The classic queue, in the queue-vs-log preset.
    pub fn queue(&self) -> Option<&ClassicQueue> {
        self.queue.as_ref()
    }

    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    pub fn now(&self) -> Tick {
        self.now
    }

    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The most recent events, oldest first, at most [`TRACE_EVENTS_MAX`].
    pub fn trace(&self) -> impl DoubleEndedIterator<Item = &TracedEvent> + ExactSizeIterator {
        self.trace.iter()
    }

    /// Checks a command against the current state without changing anything.
    pub fn validate(&self, command: &Command) -> Result<(), Rejection> {
        match command {
            Command::Emit { source, count } => {
                self.known_source(*source)?;
                if *count == 0 || *count > EMIT_COUNT_MAX {
                    return Err(Rejection::EmitCountOutOfRange { count: *count });
                }
                Ok(())
            }
            Command::SetChance {
                source,
                chance_per_tick_permille,
            } => {
                self.known_source(*source)?;
                if *chance_per_tick_permille > CHANCE_PERMILLE_MAX {
                    return Err(Rejection::ChanceOutOfRange {
                        chance_per_tick_permille: *chance_per_tick_permille,
                    });
                }
                Ok(())
            }
            Command::AddSource { name } => {
                self.stream.check_new_source(name, 0).map_err(|e| match e {
                    AddSourceError::BadName(why) => Rejection::BadSourceName {
                        name: name.clone(),
                        why,
                    },
                    AddSourceError::DuplicateName => {
                        Rejection::DuplicateSourceName { name: name.clone() }
                    }
                    AddSourceError::TooMany => Rejection::TooManySources,
                    AddSourceError::ChanceOutOfRange => Rejection::ChanceOutOfRange {
                        chance_per_tick_permille: 0,
                    },
                })
            }
            Command::Broker(command) => self
                .cluster
                .as_ref()
                .ok_or(Rejection::NoBroker)?
                .validate(command)
                .map_err(Rejection::Broker),
            Command::Queue(command) => self
                .queue
                .as_ref()
                .ok_or(Rejection::NoQueue)?
                .validate(command)
                .map_err(|(message, hint)| Rejection::Queue { message, hint }),
            Command::Registry(command) => self
                .registry
                .as_ref()
                .ok_or(Rejection::NoRegistry)?
                .validate(command)
                .map_err(crate::schemas::registry_rejection),
            Command::ProduceAvro {
                producer,
                topic,
                schema,
                value,
            } => crate::schemas::validate_produce_avro(
                self.registry.as_ref().ok_or(Rejection::NoRegistry)?,
                self.cluster.as_ref().ok_or(Rejection::NoBroker)?,
                *producer,
                topic,
                schema,
                value,
            ),
            Command::ReadWith { subject, version } => crate::schemas::validate_reader(
                self.registry.as_ref().ok_or(Rejection::NoRegistry)?,
                subject,
                *version,
            ),
            Command::Features(command) => self
                .features
                .as_ref()
                .ok_or(Rejection::NoFeatureStore)?
                .validate(command)
                .map_err(Rejection::Features),
            Command::Stream(command) => self
                .streams
                .as_ref()
                .ok_or(Rejection::NoStreaming)?
                .validate(command)
                .map_err(|(message, hint)| Rejection::Stream { message, hint }),
            Command::Rollout(command) => self
                .rollouts
                .as_ref()
                .ok_or(Rejection::NoRollout)?
                .validate(command)
                .map_err(|(message, hint)| Rejection::Rollout { message, hint }),
            Command::Experiment(command) => self
                .experiments
                .as_ref()
                .ok_or(Rejection::NoExperiment)?
                .validate(command)
                .map_err(|(message, hint)| Rejection::Experiment { message, hint }),
            Command::Cluster(command) => self
                .cluster_lab
                .as_ref()
                .ok_or(Rejection::NoClusterLab)?
                .validate(command)
                .map_err(|(message, hint)| Rejection::ClusterLab { message, hint }),
            Command::Pipeline(command) => {
                let (Some(p), Some(rollouts)) = (&self.pipeline, &self.rollouts) else {
                    return Err(Rejection::NoPipeline);
                };
                p.validate(command, rollouts, self.now)
                    .map_err(|(message, hint)| Rejection::Pipeline { message, hint })
            }
        }
    }

    fn known_source(&self, source: SourceId) -> Result<(), Rejection> {
        self.stream
            .source(source)
            .map(|_| ())
            .ok_or(Rejection::UnknownSource(source))
    }

    /// Applies a command at the current tick. On rejection the state is unchanged.
    pub fn apply(&mut self, command: &Command) -> Result<Vec<Event>, Rejection> {
        self.validate(command)?;
        // Any command may change what the streaming lab's derived joins read (a broker's fault).
        if let Some(streams) = &mut self.streams {
            streams.forget_derived();
        }
        let events = match command {
            Command::Emit { source, count } => (0..*count)
                .map(|_| Event::Emitted(self.stream.emit(*source, self.now, true)))
                .collect(),
            Command::SetChance {
                source,
                chance_per_tick_permille,
            } => {
                let from = self.stream.set_chance(*source, *chance_per_tick_permille);
                vec![Event::ChanceChanged {
                    source: *source,
                    from_permille: from,
                    to_permille: *chance_per_tick_permille,
                }]
            }
            Command::AddSource { name } => {
                let source = self
                    .stream
                    .add_source(name, 0)
                    .expect("validate() accepted this source");
                vec![Event::SourceAdded {
                    source,
                    name: name.clone(),
                }]
            }
            Command::Broker(command) => {
                let cluster = self.cluster.as_mut().ok_or(Rejection::NoBroker)?;
                let events = cluster
                    .apply(command, self.now)
                    .map_err(Rejection::Broker)?;
                events.into_iter().map(Event::Broker).collect()
            }
            Command::Queue(command) => {
                let queue = self.queue.as_mut().ok_or(Rejection::NoQueue)?;
                let events = queue
                    .apply(command)
                    .map_err(|(message, hint)| Rejection::Queue { message, hint })?;
                events.into_iter().map(Event::Queue).collect()
            }
            Command::Registry(command) => {
                let registry = self.registry.as_mut().ok_or(Rejection::NoRegistry)?;
                let event = registry
                    .apply(command)
                    .map_err(crate::schemas::registry_rejection)?;
                vec![Event::Registry(event)]
            }
            Command::ProduceAvro {
                producer,
                topic,
                schema,
                value,
            } => {
                let (Some(registry), Some(cluster)) = (&mut self.registry, &mut self.cluster)
                else {
                    return Err(Rejection::NoRegistry);
                };
                // A send the cluster refuses after the registration must leave no trace.
                let before = registry.clone();
                let sent = crate::schemas::produce_avro(
                    registry, cluster, self.now, *producer, topic, schema, value,
                );
                if sent.is_err() {
                    *registry = before;
                }
                sent?
            }
            Command::ReadWith { subject, version } => {
                match version {
                    Some(v) => self.readers.insert(subject.clone(), *v),
                    None => self.readers.remove(subject),
                };
                vec![Event::ReaderChosen {
                    subject: subject.clone(),
                    version: *version,
                }]
            }
            Command::Features(command) => {
                let store = self.features.as_mut().ok_or(Rejection::NoFeatureStore)?;
                let events = store.apply(command).map_err(Rejection::Features)?;
                events.into_iter().map(Event::Features).collect()
            }
            Command::Stream(command) => {
                let (Some(streams), Some(cluster)) = (&mut self.streams, &mut self.cluster) else {
                    return Err(Rejection::NoStreaming);
                };
                let events = streams
                    .apply(command, cluster, self.now)
                    .map_err(|(message, hint)| Rejection::Stream { message, hint })?;
                events.into_iter().map(Event::Stream).collect()
            }
            Command::Rollout(command) => {
                let rollouts = self.rollouts.as_mut().ok_or(Rejection::NoRollout)?;
                let events = rollouts
                    .apply(command)
                    .map_err(|(message, hint)| Rejection::Rollout { message, hint })?;
                events.into_iter().map(Event::Rollout).collect()
            }
            Command::Experiment(command) => {
                let experiments = self.experiments.as_mut().ok_or(Rejection::NoExperiment)?;
                let events = experiments
                    .apply(command)
                    .map_err(|(message, hint)| Rejection::Experiment { message, hint })?;
                events.into_iter().map(Event::Experiment).collect()
            }
            Command::Cluster(command) => {
                let cluster_lab = self.cluster_lab.as_mut().ok_or(Rejection::NoClusterLab)?;
                let events = cluster_lab
                    .apply(command)
                    .map_err(|(message, hint)| Rejection::ClusterLab { message, hint })?;
                events.into_iter().map(Event::Cluster).collect()
            }
            Command::Pipeline(command) => {
                let (Some(p), Some(rollouts), Some(store), Some(cluster)) = (
                    &mut self.pipeline,
                    &mut self.rollouts,
                    &self.features,
                    &self.cluster,
                ) else {
                    return Err(Rejection::NoPipeline);
                };
                let (pipeline_events, rollout_events) = p
                    .apply(command, rollouts, store, cluster, self.now)
                    .map_err(|(message, hint)| Rejection::Pipeline { message, hint })?;
                pipeline_events
                    .into_iter()
                    .map(Event::Pipeline)
                    .chain(rollout_events.into_iter().map(Event::Rollout))
                    .collect()
            }
        };
        if !matches!(command, Command::Pipeline(_)) {
            // A broker or rollout command changes what the pipeline's page shows.
            self.refresh_pipeline_views();
        }
        self.record(&events);
        Ok(events)
    }

    /// Closes the current tick (sources roll their chances, the cluster's clients and brokers
    /// do their periodic work) and moves the clock to the next one.
    pub fn advance(&mut self) -> Vec<Event> {
        let mut events: Vec<Event> = self
            .stream
            .close_tick(self.now)
            .into_iter()
            .map(Event::Emitted)
            .collect();
        if let (Some(streams), Some(cluster)) = (&mut self.streams, &mut self.cluster) {
            streams.generate(cluster, self.now);
        }
        if let (Some(p), Some(cluster)) = (&mut self.pipeline, &mut self.cluster) {
            p.generate(cluster, self.now);
        }
        if let Some(cluster) = &mut self.cluster {
            // Debug builds check the replication invariants after every tick (no state kept).
            #[cfg(debug_assertions)]
            let mut invariants = crate::broker::invariants::Checker::watching(cluster);
            #[cfg(debug_assertions)]
            let mut txn_invariants =
                crate::broker::transaction::invariants::TxnChecker::watching(cluster);
            events.extend(cluster.tick(self.now).into_iter().map(Event::Broker));
            #[cfg(debug_assertions)]
            invariants.assert_hold(cluster, self.now);
            #[cfg(debug_assertions)]
            txn_invariants.assert_hold(cluster, self.now);
            #[cfg(debug_assertions)]
            {
                let broken = crate::broker::invariants::group_violations(cluster);
                assert!(
                    broken.is_empty(),
                    "group invariants broken at {}: {broken:?}",
                    self.now
                );
            }
        }
        if let Some(queue) = &mut self.queue {
            events.extend(queue.tick(self.now).into_iter().map(Event::Queue));
        }
        if let (Some(streams), Some(cluster)) = (&mut self.streams, &mut self.cluster) {
            let job_events = streams.run_job(cluster, self.features.as_mut(), self.now);
            events.extend(job_events.into_iter().map(Event::Stream));
        }
        if let (Some(p), Some(cluster), Some(store)) =
            (&mut self.pipeline, &mut self.cluster, &mut self.features)
        {
            p.run_job(cluster, store, self.now);
            p.serve(store, cluster, self.now);
        }
        if let Some(rollouts) = &mut self.rollouts {
            match &mut self.pipeline {
                // The pipeline's rollout world reconciles every 100 ticks (its tick is 10 s).
                Some(p) if PipelineLab::reconcile_due(self.now) => {
                    events.extend(
                        p.reconcile(rollouts, self.now)
                            .into_iter()
                            .map(Event::Rollout),
                    );
                }
                Some(_) => {}
                None => events.extend(rollouts.tick().into_iter().map(Event::Rollout)),
            }
        }
        if let Some(experiments) = &mut self.experiments {
            events.extend(experiments.tick().into_iter().map(Event::Experiment));
        }
        if let Some(cluster_lab) = &mut self.cluster_lab {
            events.extend(cluster_lab.tick().into_iter().map(Event::Cluster));
        }
        self.record(&events);
        self.now = self.now.next();
        self.refresh_pipeline_views();
        events
    }

    fn record(&mut self, events: &[Event]) {
        for event in events {
            if self.trace.len() == TRACE_EVENTS_MAX {
                self.trace.pop_front();
            }
            self.trace.push_back(TracedEvent {
                at: self.now,
                event: event.clone(),
            });
        }
    }

    /// A fingerprint of the complete state (see [`crate::state_hash`]).
    pub fn state_hash(&self) -> u64 {
        let mut hasher = StateHasher::new();
        hasher.u64(self.config.seed.0);
        hasher.u64(u64::from(self.config.preset.tag()));
        hasher.u64(self.now.0);
        self.stream.hash_into(&mut hasher);
        hasher.u64(self.trace.len() as u64);
        for traced in &self.trace {
            hasher.u64(traced.at.0);
            traced.event.hash(&mut hasher);
        }
        if let Some(cluster) = &self.cluster {
            cluster.hash_into(&mut hasher);
        }
        if let Some(queue) = &self.queue {
            queue.hash_into(&mut hasher);
        }
        if let Some(registry) = &self.registry {
            registry.hash_into(&mut hasher);
            hasher.u64(self.readers.len() as u64);
            for (subject, version) in &self.readers {
                hasher.str(subject);
                hasher.u64(u64::from(version.0));
            }
        }
        if let Some(features) = &self.features {
            features.hash_into(&mut hasher);
        }
        if let Some(streams) = &self.streams {
            streams.hash_into(&mut hasher);
        }
        if let Some(rollouts) = &self.rollouts {
            rollouts.hash_into(&mut hasher);
        }
        if let Some(experiments) = &self.experiments {
            experiments.hash_into(&mut hasher);
        }
        if let Some(pipeline) = &self.pipeline {
            pipeline.hash_into(&mut hasher);
        }
        if let Some(cluster_lab) = &self.cluster_lab {
            cluster_lab.hash_into(&mut hasher);
        }
        hasher.finish()
    }
}

impl sim::model::Refusal for Rejection {
    fn hint(&self) -> String {
        Rejection::hint(self)
    }
}

/// The kernel drives a lab through this: the inherent methods above, and the journal bytes of
/// [`crate::command_codec`].
impl sim::model::Model for Lab {
    type Config = LabConfig;
    type Command = Command;
    type Event = Event;
    type Rejection = Rejection;

    fn new(config: &LabConfig) -> Lab {
        Lab::new(config)
    }

    fn now(&self) -> Tick {
        self.now
    }

    fn validate(&self, command: &Command) -> Result<(), Rejection> {
        Lab::validate(self, command)
    }

    fn apply(&mut self, command: &Command) -> Result<Vec<Event>, Rejection> {
        Lab::apply(self, command)
    }

    fn tick(&mut self) -> Vec<Event> {
        self.advance()
    }

    fn state_hash(&self) -> u64 {
        Lab::state_hash(self)
    }

    fn encode_config(config: &LabConfig, w: &mut Writer) {
        crate::command_codec::encode_config(w, config);
    }

    fn decode_config(r: &mut Reader<'_>) -> Result<LabConfig, DecodeError> {
        crate::command_codec::decode_config(r)
    }

    fn encode_command(command: &Command, w: &mut Writer) {
        crate::command_codec::encode_command(w, command);
    }

    fn decode_command(r: &mut Reader<'_>) -> Result<Command, DecodeError> {
        crate::command_codec::decode_command(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Lab {
        Lab::new(&LabConfig::default())
    }

    #[test]
    fn scenarios_round_trip_by_name_and_tag() {
        for s in Preset::ALL {
            assert_eq!(Preset::from_name(s.name()), Some(s));
            assert_eq!(Preset::from_tag(s.tag()), Some(s));
            Lab::new(&LabConfig {
                seed: Seed(3),
                preset: s,
            });
        }
        assert_eq!(Preset::from_name("nope"), None);
    }

    #[test]
    fn rejected_commands_change_nothing() {
        let mut lab = lab();
        lab.advance();
        let before = lab.clone();
        for bad in [
            Command::Emit {
                source: SourceId(7),
                count: 1,
            },
            Command::Emit {
                source: SourceId(0),
                count: 0,
            },
            Command::Emit {
                source: SourceId(0),
                count: EMIT_COUNT_MAX + 1,
            },
            Command::SetChance {
                source: SourceId(0),
                chance_per_tick_permille: 1001,
            },
            Command::AddSource {
                name: "Bad Name".into(),
            },
            Command::AddSource { name: "a".into() },
        ] {
            let rejection = lab.apply(&bad).unwrap_err();
            assert!(!rejection.to_string().is_empty() && !rejection.hint().is_empty());
            assert_eq!(lab, before);
        }
    }

    #[test]
    fn events_are_stamped_with_the_tick_and_traced() {
        let mut lab = lab();
        for _ in 0..5 {
            lab.advance();
        }
        let events = lab
            .apply(&Command::Emit {
                source: SourceId(1),
                count: 2,
            })
            .unwrap();
        assert_eq!(events.len(), 2);
        let last = lab.trace().last().unwrap();
        assert_eq!(last.at, Tick(5));
        assert!(matches!(&last.event, Event::Emitted(e) if e.by_hand && e.source == SourceId(1)));
    }

    #[test]
    fn trace_is_bounded() {
        let mut lab = lab();
        for _ in 0..5 {
            lab.apply(&Command::Emit {
                source: SourceId(0),
                count: EMIT_COUNT_MAX,
            })
            .unwrap();
        }
        assert_eq!(lab.trace().len(), TRACE_EVENTS_MAX);
    }

    #[test]
    fn add_source_then_drive_it() {
        let mut lab = lab();
        let events = lab
            .apply(&Command::AddSource {
                name: "sensor".into(),
            })
            .unwrap();
        assert_eq!(
            events,
            vec![Event::SourceAdded {
                source: SourceId(2),
                name: "sensor".into()
            }]
        );
        lab.apply(&Command::SetChance {
            source: SourceId(2),
            chance_per_tick_permille: 1000,
        })
        .unwrap();
        let emitted = lab.advance();
        assert!(emitted
            .iter()
            .any(|e| matches!(e, Event::Emitted(x) if x.source == SourceId(2))));
    }
}
