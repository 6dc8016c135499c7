//! The stream-processing engine in the lab (the `streaming` preset): a click generator writes to
//! a Kafka topic, a job runs a windowed SQL query over it on the lab's clock, and its results go
//! to an output topic and, as a push source, to the feature store.
//!
//! Each tick the generator sends the clicks of that tick through a producer (so they reach the
//! brokers as any producer's records do, and a broker failure delays them); after the cluster's
//! tick the job reads what each partition committed since its position, projects the rows with
//! the SQL engine (`WHERE`, group keys, aggregate arguments), and feeds them to the stream
//! engine's windowed aggregation. What the job delivers (at once under at-least-once, at each
//! checkpoint's commit under exactly-once) is written to the output topic and pushed to the
//! feature store's `user_activity` view. Nothing here reads a wall clock: processing time is the
//! lab's tick.

pub mod bronze_topic;
pub mod clicks;
pub mod command;
pub mod glue;
pub(crate) mod job;
pub mod joins_lab;
pub mod samples_lab;
pub mod samples_topic;
mod topic_writer;

use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::producer::{ProducerConfig, ProducerId};
use crate::broker::topic::TopicSettings;
use crate::broker::PartitionId as TopicPartition;
use crate::streaming::aggregate::EmitMode;
use crate::streaming::delivery::Guarantee;
use crate::streaming::value::{DurationUs, TimeUs};
use clicks::{click_value, tick_time};
use command::{
    StreamCommand, StreamEvent, CLICKS_PER_SECOND_MAX, DURATION_US_MAX, NAME_LEN_MAX, QUERY_LEN_MAX,
};
use features::model::{Entity, FeatureDef, FeatureRow, FeatureView, ViewSource};
use features::store::push::PushMode;
use features::store::FeatureStore;
use features::value::{Dtype, FeatureValue, KeyTuple, TimestampUs};
pub use job::{kind_name, JobView, SinkRow, StreamJob, LATE_CLICKS_KEPT, SINK_ROWS_KEPT};
use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, BTreeSet};

/// The topic the generator writes clicks to.
pub const CLICKS_TOPIC: &str = "clicks";
/// Its partitions.
pub const CLICKS_PARTITIONS: u32 = 3;
/// The topic the job writes its results to.
pub const OUTPUT_TOPIC: &str = "clicks_per_window";
/// The feature view the job pushes its results to, and its entity.
pub const PUSH_VIEW: &str = "user_activity";
pub const PUSH_ENTITY: &str = "user";
/// The feature view whose source is the clicks topic itself: each committed click is a row
/// (event time from the value, created time = when the broker appended it), so training sets
/// can be built from the live topic.
pub const TOPIC_VIEW: &str = "user_clicks";
/// The consumer group the job commits its checkpointed offsets to (for monitoring only, as
/// Flink's Kafka source does: it recovers from its checkpoint, never from the group).
pub const JOB_GROUP: &str = "clicks-job";
/// The job's query when the lab starts.
pub const DEFAULT_QUERY: &str = "SELECT window_start, window_end, user_id, count(*) AS clicks, sum(amount) AS amount\nFROM TUMBLE(clicks, event_time, INTERVAL '10' SECOND)\nGROUP BY window_start, window_end, user_id";

/// The job's settings; changing one redeploys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSettings {
    pub query: String,
    pub delay: DurationUs,
    pub allowed_lateness: DurationUs,
    pub idle_timeout: Option<DurationUs>,
    pub mode: EmitMode,
    pub guarantee: Guarantee,
    pub checkpoint_interval: DurationUs,
}

impl Default for JobSettings {
    fn default() -> JobSettings {
        JobSettings {
            query: DEFAULT_QUERY.into(),
            delay: DurationUs::from_seconds(2),
            allowed_lateness: DurationUs(0),
            idle_timeout: None,
            mode: EmitMode::OnClose,
            guarantee: Guarantee::AtLeastOnce,
            checkpoint_interval: DurationUs::from_seconds(10),
        }
    }
}

/// The streaming lab: the generator, the job and the producers they write with.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamLab {
    generator: job::Generator,
    paused: BTreeSet<u32>,
    settings: JobSettings,
    job: StreamJob,
    /// The producer the generator and hand-sent clicks use.
    source_producer: ProducerId,
    /// How far the `user_clicks` view has read each partition of the clicks topic.
    synced: BTreeMap<u32, u64>,
    /// The producer the job's sink writes with.
    sink_producer: ProducerId,
    clicks_sent: u64,
    /// The joins' settings (see [`joins_lab`]).
    joins: joins_lab::JoinSettings,
    /// The joins derived from this state (not state: not compared, not hashed).
    join_cache: joins_lab::JoinCache,
    /// The joins' operators as of the last look, to go on from (not state either).
    join_run: joins_lab::JoinRunCell,
    /// The training-samples and medallion pipelines' settings (see [`samples_lab`]).
    pipes: samples_lab::Pipes,
    /// Whether the samples pipeline writes to the `samples` topic (see [`samples_topic`]).
    samples_topic: samples_topic::SamplesTopic,
    /// Whether the order feed goes to the `orders_bronze` topic, and the medallion reading it
    /// (see [`bronze_topic`]).
    bronze_topic: bronze_topic::BronzeTopic,
}

impl Eq for StreamLab {}

/// Why the streaming lab refused a command: a message and a hint.
pub type StreamRefusal = (String, String);

fn refuse<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, StreamRefusal> {
    Err((message.into(), hint.into()))
}

/// The cluster commands that build the streaming preset: the two topics and two producers.
pub fn cluster_setup() -> Vec<BrokerCommand> {
    vec![
        BrokerCommand::CreateTopic {
            name: CLICKS_TOPIC.into(),
            partitions: CLICKS_PARTITIONS,
            settings: TopicSettings::default(),
        },
        BrokerCommand::CreateTopic {
            name: OUTPUT_TOPIC.into(),
            partitions: 1,
            settings: TopicSettings::default(),
        },
        BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        },
        BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        },
    ]
}

/// The view read straight from the clicks topic: per user, each click's page and amount.
pub fn topic_view() -> FeatureView {
    FeatureView {
        name: TOPIC_VIEW.into(),
        entities: vec![PUSH_ENTITY.into()],
        ttl: Some(features::value::DurationUs::from_seconds(300)),
        source: ViewSource {
            table: CLICKS_TOPIC.into(),
            timestamp_field: "event_time".into(),
            created_timestamp_column: Some("arrival".into()),
        },
        features: vec![
            FeatureDef {
                name: "page".into(),
                dtype: Dtype::String,
            },
            FeatureDef {
                name: "amount".into(),
                dtype: Dtype::Int64,
            },
        ],
    }
}

/// The feature view the job pushes to: per user, the window's clicks and amount.
pub fn push_view() -> (Entity, FeatureView) {
    let feature = |name: &str| FeatureDef {
        name: name.into(),
        dtype: Dtype::Int64,
    };
    (
        Entity {
            name: PUSH_ENTITY.into(),
            join_keys: vec!["user_id".into()],
        },
        FeatureView {
            name: PUSH_VIEW.into(),
            entities: vec![PUSH_ENTITY.into()],
            ttl: Some(features::value::DurationUs::from_seconds(60)),
            source: ViewSource {
                table: OUTPUT_TOPIC.into(),
                timestamp_field: "window_end".into(),
                created_timestamp_column: None,
            },
            features: vec![feature("clicks"), feature("amount")],
        },
    )
}

impl StreamLab {
    /// The lab at tick 0; `store` gets the pushed view.
    pub fn new(rng: Rng, store: &mut FeatureStore) -> StreamLab {
        let (entity, view) = push_view();
        store
            .define_push_view(entity.clone(), view)
            .expect("the preset's view is valid");
        store
            .define_push_view(entity, topic_view())
            .expect("the preset's view is valid");
        let settings = JobSettings::default();
        let job =
            StreamJob::deploy(&settings, CLICKS_PARTITIONS).expect("the default query compiles");
        StreamLab {
            pipes: samples_lab::Pipes::new(&rng),
            generator: job::Generator::new(rng, CLICKS_PARTITIONS),
            paused: BTreeSet::new(),
            settings,
            job,
            source_producer: ProducerId(1),
            synced: BTreeMap::new(),
            sink_producer: ProducerId(2),
            clicks_sent: 0,
            joins: joins_lab::JoinSettings::default(),
            join_cache: joins_lab::JoinCache::default(),
            join_run: joins_lab::JoinRunCell::default(),
            samples_topic: samples_topic::SamplesTopic::default(),
            bronze_topic: bronze_topic::BronzeTopic::default(),
        }
    }

    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    pub fn job(&self) -> &StreamJob {
        &self.job
    }

    pub fn generator_rate(&self) -> u32 {
        self.generator.clicks_per_second()
    }

    pub fn generator_max_delay(&self) -> DurationUs {
        self.generator.max_delay()
    }

    pub fn paused_partitions(&self) -> &BTreeSet<u32> {
        &self.paused
    }

    /// The joins' settings.
    pub fn join_settings(&self) -> &joins_lab::JoinSettings {
        &self.joins
    }

    /// The joins derived from this state, once computed (see [`joins_lab::joins`]).
    pub(crate) fn join_cache(&self) -> &joins_lab::JoinCache {
        &self.join_cache
    }

    /// The joins' run kept from the last look (see [`joins_lab::joins`]).
    pub(crate) fn join_run(&self) -> &joins_lab::JoinRunCell {
        &self.join_run
    }

    /// Forgets the derived joins: the lab changed.
    pub(crate) fn forget_derived(&mut self) {
        self.join_cache.clear();
    }

    /// Clicks sent by the generator and by hand.
    pub fn clicks_sent(&self) -> u64 {
        self.clicks_sent
    }

    /// Checks a command without changing anything.
    pub fn validate(&self, command: &StreamCommand) -> Result<(), StreamRefusal> {
        let duration = |d: DurationUs, what: &str| {
            if d.0 < 0 || d.0 > DURATION_US_MAX {
                refuse(
                    format!("a {what} of {} s is out of range", d.0 / 1_000_000),
                    format!("give a {what} between 0 and 86400 seconds"),
                )
            } else {
                Ok(())
            }
        };
        match command {
            StreamCommand::SendClick {
                partition,
                user,
                page,
                ..
            } => {
                self.known_partition(*partition)?;
                for (what, name) in [("user id", user), ("page", page)] {
                    if name.is_empty() || name.len() > NAME_LEN_MAX {
                        return refuse(
                            format!("a {what} must be 1 to {NAME_LEN_MAX} characters"),
                            "try a short name such as u3 or home",
                        );
                    }
                }
                Ok(())
            }
            StreamCommand::SetGenerator {
                clicks_per_second,
                max_delay,
            } => {
                if *clicks_per_second > CLICKS_PER_SECOND_MAX {
                    return refuse(
                        format!("{clicks_per_second} clicks per second is too fast for the lab"),
                        format!("use 0 (stopped) to {CLICKS_PER_SECOND_MAX}"),
                    );
                }
                duration(*max_delay, "disorder")
            }
            StreamCommand::SetPartitionPaused { partition, .. } => self.known_partition(*partition),
            StreamCommand::SetQuery { sql } => {
                if sql.len() > QUERY_LEN_MAX {
                    return refuse(
                        format!("the query is {} characters long", sql.len()),
                        format!("keep it under {QUERY_LEN_MAX} characters"),
                    );
                }
                let settings = JobSettings {
                    query: sql.clone(),
                    ..self.settings.clone()
                };
                StreamJob::deploy(&settings, CLICKS_PARTITIONS).map(|_| ())
            }
            StreamCommand::SetWatermarkDelay { delay } => duration(*delay, "watermark delay"),
            StreamCommand::SetAllowedLateness { lateness } => {
                duration(*lateness, "allowed lateness")
            }
            StreamCommand::SetIdleTimeout { timeout } => match timeout {
                Some(d) if d.0 <= 0 => refuse(
                    "an idleness timeout must be positive",
                    "give a timeout of at least 1 second, or none",
                ),
                Some(d) => duration(*d, "idleness timeout"),
                None => Ok(()),
            },
            StreamCommand::SetCheckpointInterval { interval } => {
                if interval.0 < 100_000 {
                    return refuse(
                        "a checkpoint interval must be at least one tick (0.1 s)",
                        "try 10 seconds",
                    );
                }
                duration(*interval, "checkpoint interval")
            }
            // Complete mode rewrites every window ever seen after every row and never purges:
            // fine for a file (`lab stream run --emit complete`), unbounded for a job that runs
            // as long as the lab does (Spark allows it only because its micro-batches are large).
            StreamCommand::SetEmitMode {
                mode: EmitMode::Complete,
            } => refuse(
                "complete mode rewrites the whole result after every click and never forgets a window, so a job that runs as long as the lab would slow down without end",
                "use changes (every update), on-close or final here; lab stream run --emit complete shows complete mode over a file",
            ),
            StreamCommand::SetEmitMode { .. } | StreamCommand::SetGuarantee { .. } => Ok(()),
            StreamCommand::CrashJob => {
                if self.job.is_running() {
                    Ok(())
                } else {
                    refuse("the job has already crashed", "restart it first")
                }
            }
            StreamCommand::RestartJob => {
                if self.job.is_running() {
                    refuse("the job is running", "crash it first, then restart it")
                } else {
                    Ok(())
                }
            }
            StreamCommand::SetJoinBounds { lower, upper } => {
                joins_lab::JoinSettings::validate_bounds(*lower, *upper)
            }
            StreamCommand::SetTableJoinTime { .. }
            | StreamCommand::SamplesToTopic { .. }
            | StreamCommand::BronzeTopic { .. } => Ok(()),
            StreamCommand::SetSampleWait { .. } | StreamCommand::SetExpectationAction { .. } => {
                self.pipes.validate(command)
            }
        }
    }

    fn known_partition(&self, partition: u32) -> Result<(), StreamRefusal> {
        if partition < CLICKS_PARTITIONS {
            Ok(())
        } else {
            refuse(
                format!("the clicks topic has no partition {partition}"),
                format!("use a partition from 0 to {}", CLICKS_PARTITIONS - 1),
            )
        }
    }

    /// Applies a command at tick `now`. On refusal nothing changes.
    pub fn apply(
        &mut self,
        command: &StreamCommand,
        cluster: &mut Cluster,
        now: Tick,
    ) -> Result<Vec<StreamEvent>, StreamRefusal> {
        self.validate(command)?;
        self.join_cache.clear();
        let redeploy = |lab: &mut StreamLab, settings: JobSettings, what: String| {
            lab.job = StreamJob::deploy(&settings, CLICKS_PARTITIONS)?;
            lab.settings = settings;
            Ok::<_, StreamRefusal>(vec![StreamEvent::JobRedeployed { what }])
        };
        let settings = self.settings.clone();
        match command {
            StreamCommand::SendClick {
                partition,
                user,
                page,
                amount,
                event_time,
            } => {
                self.send(
                    cluster,
                    now,
                    *partition,
                    user,
                    &click_value(page, *amount, *event_time),
                );
                Ok(vec![StreamEvent::ClickSent {
                    partition: *partition,
                    user: user.clone(),
                    event_time: *event_time,
                }])
            }
            StreamCommand::SetGenerator {
                clicks_per_second,
                max_delay,
            } => {
                self.generator
                    .set(*clicks_per_second, *max_delay, tick_time(now.0));
                Ok(vec![StreamEvent::GeneratorSet {
                    clicks_per_second: *clicks_per_second,
                    max_delay: *max_delay,
                }])
            }
            StreamCommand::SetPartitionPaused { partition, paused } => {
                if *paused {
                    self.paused.insert(*partition);
                } else {
                    self.paused.remove(partition);
                }
                Ok(vec![StreamEvent::PartitionPaused {
                    partition: *partition,
                    paused: *paused,
                }])
            }
            StreamCommand::SetQuery { sql } => redeploy(
                self,
                JobSettings {
                    query: sql.clone(),
                    ..settings
                },
                "a new query".into(),
            ),
            StreamCommand::SetWatermarkDelay { delay } => redeploy(
                self,
                JobSettings {
                    delay: *delay,
                    ..settings
                },
                format!("watermark delay {}", seconds(*delay)),
            ),
            StreamCommand::SetAllowedLateness { lateness } => redeploy(
                self,
                JobSettings {
                    allowed_lateness: *lateness,
                    ..settings
                },
                format!("allowed lateness {}", seconds(*lateness)),
            ),
            StreamCommand::SetIdleTimeout { timeout } => redeploy(
                self,
                JobSettings {
                    idle_timeout: *timeout,
                    ..settings
                },
                match timeout {
                    Some(t) => format!("idleness timeout {}", seconds(*t)),
                    None => "no idleness timeout".into(),
                },
            ),
            StreamCommand::SetEmitMode { mode } => redeploy(
                self,
                JobSettings {
                    mode: *mode,
                    ..settings
                },
                format!("emit mode {}", mode.name()),
            ),
            StreamCommand::SetGuarantee { guarantee } => redeploy(
                self,
                JobSettings {
                    guarantee: *guarantee,
                    ..settings
                },
                guarantee_name(*guarantee).into(),
            ),
            StreamCommand::SetCheckpointInterval { interval } => redeploy(
                self,
                JobSettings {
                    checkpoint_interval: *interval,
                    ..settings
                },
                format!("checkpoint every {}", seconds(*interval)),
            ),
            StreamCommand::CrashJob => {
                self.job.crash();
                Ok(vec![StreamEvent::JobCrashed])
            }
            StreamCommand::RestartJob => Ok(vec![self.job.restart(tick_time(now.0))]),
            StreamCommand::SetJoinBounds { lower, upper } => {
                self.joins.lower = *lower;
                self.joins.upper = *upper;
                Ok(vec![StreamEvent::JoinBoundsSet {
                    lower: *lower,
                    upper: *upper,
                }])
            }
            StreamCommand::SetTableJoinTime { event_time } => {
                self.joins.table_time = if *event_time {
                    crate::streaming::join::JoinTime::EventTime
                } else {
                    crate::streaming::join::JoinTime::ProcessingTime
                };
                Ok(vec![StreamEvent::TableJoinTimeSet {
                    event_time: *event_time,
                }])
            }
            StreamCommand::SetExpectationAction {
                expectation,
                action,
            } => {
                self.bronze_topic.set_action(expectation, *action);
                Ok(self.pipes.apply(command, now))
            }
            StreamCommand::SetSampleWait { .. } => Ok(self.pipes.apply(command, now)),
            StreamCommand::SamplesToTopic { on } => self.samples_topic.turn(*on, cluster, now),
            StreamCommand::BronzeTopic { on } => {
                self.bronze_topic.turn(*on, &self.pipes, cluster, now)
            }
        }
    }

    /// Sends one click through the source producer (refusals, such as a topic that is gone, are
    /// dropped silently: the generator has nobody to tell).
    fn send(&mut self, cluster: &mut Cluster, now: Tick, partition: u32, user: &str, value: &str) {
        let produce = BrokerCommand::Produce {
            producer: self.source_producer,
            topic: CLICKS_TOPIC.into(),
            partition: Some(TopicPartition(partition)),
            key: Some(user.into()),
            value: Some(value.into()),
            count: 1,
            header: None,
        };
        if cluster.apply(&produce, now).is_ok() {
            self.clicks_sent += 1;
        }
    }

    /// The generator's clicks of tick `now`, before the cluster's tick.
    pub fn generate(&mut self, cluster: &mut Cluster, now: Tick) {
        self.join_cache.clear();
        let from = tick_time(now.0);
        let to = tick_time(now.0 + 1);
        for click in self.generator.clicks_between(from, to) {
            if self.paused.contains(&click.partition) {
                continue;
            }
            let value = click_value(&click.page, click.amount, click.event_time);
            self.send(cluster, now, click.partition, &click.user, &value);
        }
        self.samples_topic.write(&self.pipes, cluster, now);
        self.bronze_topic.write(&self.pipes, cluster, now);
    }

    /// The job's work for tick `now`, after the cluster's tick: read, process, checkpoint, sink.
    pub fn run_job(
        &mut self,
        cluster: &mut Cluster,
        store: Option<&mut FeatureStore>,
        now: Tick,
    ) -> Vec<StreamEvent> {
        self.join_cache.clear();
        self.bronze_topic.read(cluster, now);
        let (rows, events) = self.job.run_tick(cluster, tick_time(now.0), now.0);
        if events
            .iter()
            .any(|e| matches!(e, StreamEvent::CheckpointCompleted { .. }))
        {
            let offsets: Vec<(TopicPartition, crate::broker::log::Offset)> = self
                .job
                .job()
                .last_checkpoint_offsets()
                .iter()
                .enumerate()
                .map(|(p, offset)| {
                    (
                        TopicPartition(p as u32),
                        crate::broker::log::Offset(*offset),
                    )
                })
                .collect();
            // A learner's consumer in the same group would fence the commit; the job goes on.
            cluster.commit_unassigned(JOB_GROUP, CLICKS_TOPIC, &offsets, now);
        }
        let columns = self.job.view().columns.to_vec();
        match store {
            Some(store) => {
                job::sink(
                    cluster,
                    Some(&mut *store),
                    self.sink_producer,
                    &columns,
                    &rows,
                    now,
                );
                self.sync_topic_view(cluster, store);
            }
            None => job::sink(cluster, None, self.sink_producer, &columns, &rows, now),
        }
        events
    }

    /// Appends the clicks committed since the last tick to the `user_clicks` view (offline: a
    /// training set reads them; serving waits for a materialization).
    fn sync_topic_view(&mut self, cluster: &Cluster, store: &mut FeatureStore) {
        let clicks = clicks::read_clicks(cluster, CLICKS_TOPIC, &self.synced);
        if clicks.is_empty() {
            return;
        }
        let rows = clicks
            .iter()
            .map(|click| FeatureRow {
                keys: KeyTuple(vec![click
                    .user
                    .as_deref()
                    .map_or(FeatureValue::Null, FeatureValue::text)]),
                event_ts: click.event_time.map(|t| TimestampUs(t.0)),
                created_ts: Some(TimestampUs(click.arrival.0)),
                seq: 0,
                values: vec![
                    click
                        .page
                        .as_deref()
                        .map_or(FeatureValue::Null, FeatureValue::text),
                    click.amount.map_or(FeatureValue::Null, FeatureValue::Int),
                ],
            })
            .collect();
        for click in &clicks {
            self.synced.insert(click.partition, click.offset + 1);
        }
        // The view is the preset's own: a push cannot name an unknown view.
        let _ = store.push(TOPIC_VIEW, rows, PushMode::Offline);
    }

    /// The training-samples and medallion pipelines.
    pub fn pipes(&self) -> &samples_lab::Pipes {
        &self.pipes
    }

    /// Whether the order feed goes to the `orders_bronze` topic, and the medallion reading it.
    pub fn bronze_topic(&self) -> &bronze_topic::BronzeTopic {
        &self.bronze_topic
    }

    /// The medallion at tick `now` (the lab's clock): the one reading the `orders_bronze` topic
    /// once that was turned on, else the replay of the order feed.
    pub fn medallion(&self, now: Tick) -> Result<std::rc::Rc<samples_lab::MedallionView>, String> {
        match self.bronze_topic.view() {
            Some(view) => Ok(view),
            None => self.pipes.medallion(now),
        }
    }

    /// The pipes' SQL tables at tick `now`: the recorded logs and the medallion's tables (its
    /// bronze the topic's records once the bronze topic is on).
    pub fn pipe_tables(&self, now: Tick) -> Vec<(String, crate::sql::column::Table)> {
        let mut tables = self.pipes.log_tables();
        if let Ok(view) = self.medallion(now) {
            tables.extend(samples_lab::medallion_tables(&view.medallion));
        }
        tables
    }

    /// Whether (and how much) the samples pipeline writes to the `samples` topic.
    pub fn samples_topic(&self) -> &samples_topic::SamplesTopic {
        &self.samples_topic
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        self.pipes.hash_into(hasher);
        self.generator.hash_into(hasher);
        for (partition, offset) in &self.synced {
            hasher.u64(u64::from(*partition));
            hasher.u64(*offset);
        }
        hasher.u64(self.paused.len() as u64);
        for p in &self.paused {
            hasher.u64(u64::from(*p));
        }
        hasher.str(&self.settings.query);
        hasher.u64(self.settings.delay.0 as u64);
        hasher.u64(self.settings.allowed_lateness.0 as u64);
        hasher.u64(self.settings.idle_timeout.map_or(0, |d| d.0 as u64));
        hasher.str(self.settings.mode.name());
        hasher.str(guarantee_name(self.settings.guarantee));
        hasher.u64(self.settings.checkpoint_interval.0 as u64);
        self.job.hash_into(hasher);
        hasher.u64(self.clicks_sent);
        // Hashed once changed, so links from before the joins keep their fingerprints.
        if !self.joins.is_default() {
            hasher.u64(self.joins.lower.0 as u64);
            hasher.u64(self.joins.upper.0 as u64);
            hasher.u64(u64::from(
                self.joins.table_time == crate::streaming::join::JoinTime::EventTime,
            ));
        }
        self.samples_topic.hash_into(hasher);
        self.bronze_topic.hash_into(hasher);
    }
}

/// A duration as the page shows it: `2 s`, `0.5 s`.
pub fn seconds(d: DurationUs) -> String {
    if d.0 % 1_000_000 == 0 {
        format!("{} s", d.0 / 1_000_000)
    } else {
        format!("{} s", d.0 as f64 / 1e6)
    }
}

/// The delivery guarantee's name as Flink and Kafka Streams spell it.
pub fn guarantee_name(guarantee: Guarantee) -> &'static str {
    match guarantee {
        Guarantee::AtLeastOnce => "at-least-once",
        Guarantee::ExactlyOnce => "exactly-once",
    }
}

/// An instant on the lab's calendar, as TimeUs.
pub fn at(tick: u64) -> TimeUs {
    tick_time(tick)
}
