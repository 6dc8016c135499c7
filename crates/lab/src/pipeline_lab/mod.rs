//! One world: the whole ML pipeline on the lab's clock (the `pipeline` preset). Users click;
//! their clicks go through a producer to a replicated topic; a stream job computes each user's
//! clicks and amount per ten-second window and pushes them to the feature store (online store
//! and offline log); model versions score every prediction request from the features read at
//! that instant; the rollout releases a candidate version judged by its prediction quality; the
//! logged requests train the next version.
//!
//! The causal links are the engines' own: a dead partition leader stalls the job (it reads
//! committed records from elected leaders only), a stalled job stops refreshing the online store,
//! an old value is served as it is (or as NULL past the TTL) and changes the model's predictions
//! by its own arithmetic. Every request is scored by every version (shadow scoring), so each
//! version's accuracy against the user's true intent is known for each ten seconds; at every
//! reconcile (every 100 ticks, the rollout world's ten-second tick) that accuracy becomes the
//! version's quality in the rollout world, whose `predictions_total` the canary's analysis
//! reads with PromQL. So the rollout aborts (or not) by Argo's rules, from upstream state.
//!
//! Order within a tick (see `Lab::advance`): `generate` (this tick's clicks to the producer) ->
//! the cluster's tick -> `run_job` (read what was committed, window, push) -> `serve` (score
//! the requests with the features read now) -> on every 100th tick `reconcile` (qualities to
//! the rollout world, then its ten seconds).

pub mod command;
pub mod glue;
pub mod graph;
pub mod invariants;
pub mod model;
pub mod reading;
pub mod series;
pub mod spec;
pub mod train;
pub mod users;

use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::log::{LogConfig, Offset};
use crate::broker::node::ClusterSettings;
use crate::broker::producer::{Acks, ProducerConfig, ProducerId};
use crate::broker::topic::TopicSettings;
use crate::broker::PartitionId as TopicPartition;
use crate::rollout_lab::command::{RolloutCommand, RolloutEvent, VersionBehaviour};
use crate::rollout_lab::RolloutLab;
use crate::stream_lab::clicks::{click_value, tick_time};
use crate::stream_lab::{job as stream_job, JobSettings, StreamJob};
use crate::stream_lab::{CLICKS_TOPIC, JOB_GROUP, OUTPUT_TOPIC, PUSH_VIEW};
use crate::streaming::aggregate::FiringKind;
use crate::streaming::value::{DurationUs, StreamValue, TimeUs};
use command::{
    PipelineCommand, PipelineEvent, PipelineEventKind as Kind, SkewFeature, Strategy, DELAY_MS_MAX,
    MODEL_NAME_LEN_MAX, SKEW_PERCENT_MAX, SLOW_RECORDS_MAX, TTL_SECONDS_MAX,
};
use features::model::FeatureRow as StoreRow;
use features::online::WritePolicy;
use features::store::command::FeatureCommand;
use features::store::push::PushMode;
use features::store::FeatureStore;
use features::value::{FeatureValue, KeyTuple, TimestampUs};
use model::{FeatureRow, ModelVersion};
use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;
use users::{UserIndex, Users, USERS};

/// Partitions of the clicks topic.
pub const CLICKS_PARTITIONS: u32 = 3;
/// Lab ticks per reconcile: the rollout world's tick is ten seconds.
pub const TICKS_PER_RECONCILE: u64 = 100;
/// The producer of the clicks, and the job's.
pub const CLICKS_PRODUCER: ProducerId = ProducerId(1);
pub const OUTPUT_PRODUCER: ProducerId = ProducerId(2);
/// How far past its delay the watermark may be for the job to count as current.
pub const WATERMARK_SLACK_US: i64 = 2_000_000;
/// How long the topics keep records (three minutes).
pub const RETENTION_TICKS: u64 = 1_800;
/// Most model versions the lab holds.
pub const MODELS_MAX: usize = 8;
/// The TTL and the watermark delay when the lab starts.
pub const START_TTL_SECONDS: u32 = 60;
pub const START_DELAY_MS: u32 = 2_000;

/// The settings a learner changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipelineSettings {
    pub ttl_seconds: u32,
    pub push_on: bool,
    pub slow_records_per_tick: Option<u32>,
    /// Per feature of [`SkewFeature::ALL`], the online factor in percent (100: none).
    pub skew_percent: [u32; 2],
    pub threshold_permille: u16,
    pub strategy: Strategy,
    pub watermark_delay_ms: u32,
}

impl Default for PipelineSettings {
    fn default() -> PipelineSettings {
        PipelineSettings {
            ttl_seconds: START_TTL_SECONDS,
            push_on: true,
            slow_records_per_tick: None,
            skew_percent: [100, 100],
            threshold_permille: spec::START_THRESHOLD_PERMILLE,
            strategy: Strategy::Canary,
            watermark_delay_ms: START_DELAY_MS,
        }
    }
}

/// A user's feature as serving reads it now.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserFreshness {
    pub user: String,
    /// Age of the stored value (now - its window's end); None when the store has none.
    pub age_ms: Option<u64>,
    /// No value, or older than the TTL (served as NULL).
    pub stale: bool,
    pub clicks: Option<i64>,
}

/// The pipeline world's own parts (the cluster, the store and the rollout are the lab's).
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineLab {
    users: Users,
    settings: PipelineSettings,
    job: StreamJob,
    clicks_sent: u64,
    features_pushed: u64,
    requests_scored: u64,
    models: BTreeMap<String, ModelVersion>,
    samples: train::SampleLog,
    /// This tick's requests, from `generate` to `serve`.
    requests: Vec<UserIndex>,
    /// Per user: the event time of the last click sent, the tick of the last online write.
    last_click_us: Vec<Option<i64>>,
    last_write_tick: Vec<Option<u64>>,
    /// Since when the job is current (running, full speed, pushing, its watermark on time).
    current_since: Option<u64>,
    /// When the job crashed (None while it runs).
    crashed_at: Option<u64>,
    /// Whether the clicks were ever sent with acks=1 or the topic allowed unclean elections.
    unsafe_writes_seen: bool,
    /// Ticks the job ran with the push to the online store off (a fault that happened).
    push_off_ticks: u64,
    /// The model trained last (training order, not name order).
    last_trained: Option<String>,
    reading: reading::Reading,
    freshness: Vec<UserFreshness>,
    series: series::Series,
    graph: graph::Graph,
}

impl Eq for PipelineLab {}

/// Why the pipeline refused a command: a message and a hint.
pub type PipelineRefusal = (String, String);

fn refuse<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, PipelineRefusal> {
    Err((message.into(), hint.into()))
}

/// The cluster commands that build the preset: replicated topics and two acks=all producers.
pub fn cluster_setup() -> Vec<BrokerCommand> {
    // Three minutes of retention: enough for a job to recover from a checkpoint after a
    // lesson's outage, and a log that stays small while the lab runs for an hour.
    let replicated = TopicSettings {
        replication_factor: 3,
        min_insync_replicas: 2,
        log: LogConfig {
            retention_ticks: Some(RETENTION_TICKS),
            ..LogConfig::default()
        },
        ..TopicSettings::default()
    };
    let producer = BrokerCommand::AddProducer {
        config: ProducerConfig {
            acks: Acks::All,
            ..ProducerConfig::default()
        },
    };
    vec![
        BrokerCommand::SetClusterSettings {
            settings: ClusterSettings {
                replica_lag_max_ticks: 100,
                ..ClusterSettings::default()
            },
        },
        BrokerCommand::CreateTopic {
            name: CLICKS_TOPIC.into(),
            partitions: CLICKS_PARTITIONS,
            settings: replicated,
        },
        BrokerCommand::CreateTopic {
            name: OUTPUT_TOPIC.into(),
            partitions: 1,
            settings: replicated,
        },
        producer.clone(),
        producer,
    ]
}

fn job_settings(delay_ms: u32) -> JobSettings {
    JobSettings {
        delay: DurationUs(i64::from(delay_ms) * 1_000),
        ..JobSettings::default()
    }
}

fn deploy_job(delay_ms: u32) -> Result<StreamJob, PipelineRefusal> {
    StreamJob::deploy(&job_settings(delay_ms), CLICKS_PARTITIONS)
}

/// The rollout world the pipeline releases through: `v1` stable, the pipeline's canary loaded.
pub fn rollout_lab(rng: Rng) -> RolloutLab {
    let mut rollouts = RolloutLab::new(rng);
    let yaml = spec::pipeline_spec(Strategy::Canary, spec::START_THRESHOLD_PERMILLE);
    // The bundled spec is checked by this module's tests.
    let _ = rollouts.apply(&RolloutCommand::ApplySpec { yaml });
    rollouts
}

fn check_model_name(name: &str) -> Result<(), PipelineRefusal> {
    let fine = !name.is_empty()
        && name.len() <= MODEL_NAME_LEN_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if fine {
        Ok(())
    } else {
        refuse(
            format!("\"{name}\" is not a model name"),
            "use 1 to 20 lowercase letters, digits or dashes, such as v3",
        )
    }
}

impl PipelineLab {
    /// The world at tick 0; `store` gets the pushed view (event-time guarded writes, as Feast's
    /// Redis store, so a replay from a checkpoint never puts an older window back).
    pub fn new(rng: Rng, store: &mut FeatureStore) -> PipelineLab {
        let (entity, view) = crate::stream_lab::push_view();
        // The preset's view and policy are valid by construction.
        let _ = store.define_push_view(entity, view);
        let _ = store.apply(&FeatureCommand::SetWritePolicy {
            policy: WritePolicy::EventTimeGuarded,
        });
        let settings = PipelineSettings::default();
        let job = deploy_job(settings.watermark_delay_ms).unwrap_or_else(|_| {
            StreamJob::deploy(&JobSettings::default(), CLICKS_PARTITIONS)
                .unwrap_or_else(|_| unreachable!("the default query compiles"))
        });
        let mut lab = PipelineLab {
            users: Users::new(rng.fork("pipeline/users")),
            settings,
            job,
            clicks_sent: 0,
            features_pushed: 0,
            requests_scored: 0,
            models: model::starting_models(),
            samples: train::SampleLog::default(),
            requests: Vec::new(),
            last_click_us: vec![None; USERS],
            last_write_tick: vec![None; USERS],
            current_since: None,
            crashed_at: None,
            unsafe_writes_seen: false,
            push_off_ticks: 0,
            last_trained: None,
            reading: reading::Reading::default(),
            freshness: Vec::new(),
            series: series::Series::default(),
            graph: graph::Graph::default(),
        };
        lab.refresh_freshness(store, Tick::ZERO);
        lab
    }

    // ---- commands ----

    /// Checks a command without changing anything.
    pub fn validate(
        &self,
        command: &PipelineCommand,
        rollouts: &RolloutLab,
        now: Tick,
    ) -> Result<(), PipelineRefusal> {
        match command {
            PipelineCommand::CrashJob if !self.job.is_running() => refuse(
                "the job has already crashed",
                "restart it first: pipe-restart-job",
            ),
            PipelineCommand::RestartJob if self.job.is_running() => refuse(
                "the job is running",
                "crash it first (pipe-crash-job), then restart it",
            ),
            PipelineCommand::CrashJob | PipelineCommand::RestartJob => Ok(()),
            PipelineCommand::SlowJob {
                records_per_tick: Some(n),
            } if *n == 0 || *n > SLOW_RECORDS_MAX => refuse(
                format!("{n} records per tick is not a speed the lab runs"),
                format!("give 1 to {SLOW_RECORDS_MAX} records per partition and tick, or off"),
            ),
            PipelineCommand::SlowJob { .. } | PipelineCommand::SetPush { .. } => Ok(()),
            PipelineCommand::SetTtl { seconds } if *seconds == 0 || *seconds > TTL_SECONDS_MAX => {
                refuse(
                    format!("a TTL of {seconds} s is out of range"),
                    format!("give 1 to {TTL_SECONDS_MAX} seconds, such as pipe-ttl 60s"),
                )
            }
            PipelineCommand::SetTtl { .. } => Ok(()),
            PipelineCommand::SetWatermarkDelay { ms } if *ms > DELAY_MS_MAX => refuse(
                format!("a watermark delay of {ms} ms is out of range"),
                "give 0 to 60 seconds, such as pipe-delay 2s",
            ),
            PipelineCommand::SetWatermarkDelay { ms } => deploy_job(*ms).map(|_| ()),
            PipelineCommand::SetSkew { factor_percent, .. }
                if *factor_percent > SKEW_PERCENT_MAX =>
            {
                refuse(
                    format!("a skew of {factor_percent}% is out of range"),
                    "give 0% to 1000% (100% is no skew), such as pipe-skew clicks 300%",
                )
            }
            PipelineCommand::SetSkew { .. } => Ok(()),
            PipelineCommand::Train { name, .. } => {
                check_model_name(name)?;
                if self.models.contains_key(name) {
                    return refuse(
                        format!("a model {name} exists already"),
                        "train under a new name, such as v3",
                    );
                }
                if self.models.len() >= MODELS_MAX {
                    return refuse(
                        format!("the lab holds {MODELS_MAX} models at most"),
                        "reset the lab to train more",
                    );
                }
                self.samples.check(tick_time(now.0).0, self.settle_us())
            }
            PipelineCommand::Deploy { name } => {
                let Some(model) = self.models.get(name) else {
                    return refuse(
                        format!("there is no model {name}"),
                        format!(
                            "deploy one of {}, or train one first: pipe-train v3 point-in-time",
                            self.model_names()
                        ),
                    );
                };
                rollouts.validate(&self.deploy_command(model))
            }
            PipelineCommand::SetThreshold { permille } if !(500..=1000).contains(permille) => {
                refuse(
                    "a quality threshold must be between 0.5 and 1",
                    "such as pipe-threshold 0.85",
                )
            }
            PipelineCommand::SetThreshold { permille } => {
                rollouts.validate(&RolloutCommand::ApplySpec {
                    yaml: spec::pipeline_spec(self.settings.strategy, *permille),
                })
            }
            PipelineCommand::SetStrategy { strategy } => {
                rollouts.validate(&RolloutCommand::ApplySpec {
                    yaml: spec::pipeline_spec(*strategy, self.settings.threshold_permille),
                })
            }
        }
    }

    fn model_names(&self) -> String {
        self.models.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// How long after a label's window ends its offline row is surely written.
    fn settle_us(&self) -> i64 {
        i64::from(self.settings.watermark_delay_ms) * 1_000 + 1_000_000
    }

    /// The rollout's deploy for a model: the baseline server, with the quality last measured.
    fn deploy_command(&self, model: &ModelVersion) -> RolloutCommand {
        RolloutCommand::Deploy {
            version: model.name.clone(),
            behaviour: VersionBehaviour {
                quality_permille: model.quality_permille.unwrap_or(800),
                ..VersionBehaviour::BASELINE
            },
        }
    }

    /// Applies a command at tick `now`; on refusal nothing changed. Returns the pipeline's and
    /// the rollout's narration.
    pub fn apply(
        &mut self,
        command: &PipelineCommand,
        rollouts: &mut RolloutLab,
        store: &FeatureStore,
        cluster: &Cluster,
        now: Tick,
    ) -> Result<(Vec<PipelineEvent>, Vec<RolloutEvent>), PipelineRefusal> {
        self.validate(command, rollouts, now)?;
        let mut rollout_events = Vec::new();
        let event = match command {
            PipelineCommand::CrashJob => {
                self.job.crash();
                self.crashed_at = Some(now.0);
                PipelineEvent::new(Kind::Job, "the stream job crashed")
            }
            PipelineCommand::RestartJob => {
                self.job.restart(tick_time(now.0));
                self.crashed_at = None;
                PipelineEvent::new(
                    Kind::Job,
                    format!(
                        "the stream job restarted from checkpoint {}",
                        self.job.job().stats().checkpoints
                    ),
                )
            }
            PipelineCommand::SlowJob { records_per_tick } => {
                self.settings.slow_records_per_tick = *records_per_tick;
                PipelineEvent::new(
                    Kind::Job,
                    match records_per_tick {
                        Some(n) => {
                            format!("the job reads at most {n} records per partition and tick")
                        }
                        None => "the job reads at full speed".into(),
                    },
                )
            }
            PipelineCommand::SetPush { on } => {
                self.settings.push_on = *on;
                PipelineEvent::new(
                    Kind::Push,
                    if *on {
                        "the job pushes to the online store again"
                    } else {
                        "the job stopped pushing to the online store (the offline log still grows)"
                    },
                )
            }
            PipelineCommand::SetTtl { seconds } => {
                self.settings.ttl_seconds = *seconds;
                PipelineEvent::new(Kind::Setting, format!("serving TTL {seconds} s"))
            }
            PipelineCommand::SetWatermarkDelay { ms } => {
                self.job = deploy_job(*ms)?;
                self.settings.watermark_delay_ms = *ms;
                self.crashed_at = None;
                PipelineEvent::new(
                    Kind::Job,
                    format!(
                        "the job redeployed with a watermark delay of {} from the earliest offsets",
                        glue::ms_text(u64::from(*ms))
                    ),
                )
            }
            PipelineCommand::SetSkew {
                feature,
                factor_percent,
            } => {
                self.settings.skew_percent[feature.index()] = *factor_percent;
                PipelineEvent::new(
                    Kind::Setting,
                    if *factor_percent == 100 {
                        format!("{} is computed online as in training again", feature.name())
                    } else {
                        format!(
                            "{} is computed online as {factor_percent}% of the training value",
                            feature.name()
                        )
                    },
                )
            }
            PipelineCommand::Train { name, join } => {
                let (model, offline) =
                    self.samples
                        .train(store, *join, tick_time(now.0).0, self.settle_us())?;
                self.models.insert(
                    name.clone(),
                    ModelVersion::trained(name, model, *join, offline),
                );
                self.last_trained = Some(name.clone());
                PipelineEvent::new(
                    Kind::Train,
                    format!(
                        "{name} trained {} on {} rows: offline accuracy {}, AUC {}",
                        join.name(),
                        offline.train_rows,
                        glue::permille_text(offline.accuracy_permille),
                        glue::permille_text(offline.auc_permille)
                    ),
                )
            }
            PipelineCommand::Deploy { name } => {
                let deploy = match self.models.get(name) {
                    Some(model) => self.deploy_command(model),
                    None => return refuse(format!("there is no model {name}"), "train it first"),
                };
                rollout_events = rollouts.apply(&deploy)?;
                self.reading.start(rollouts, name);
                PipelineEvent::new(Kind::Deploy, format!("{name} released through the rollout"))
            }
            PipelineCommand::SetThreshold { permille } => {
                rollout_events = rollouts.apply(&RolloutCommand::ApplySpec {
                    yaml: spec::pipeline_spec(self.settings.strategy, *permille),
                })?;
                self.settings.threshold_permille = *permille;
                PipelineEvent::new(
                    Kind::Setting,
                    format!(
                        "the analysis needs a quality of at least {}",
                        glue::permille_text(*permille)
                    ),
                )
            }
            PipelineCommand::SetStrategy { strategy } => {
                rollout_events = rollouts.apply(&RolloutCommand::ApplySpec {
                    yaml: spec::pipeline_spec(*strategy, self.settings.threshold_permille),
                })?;
                self.settings.strategy = *strategy;
                PipelineEvent::new(
                    Kind::Setting,
                    format!("the release strategy is {}", strategy.name()),
                )
            }
        };
        self.refresh_views(cluster, store, rollouts, now);
        Ok((vec![event], rollout_events))
    }

    // ---- the tick ----

    /// This tick's clicks to the producer (before the cluster's tick), and its requests.
    pub fn generate(&mut self, cluster: &mut Cluster, now: Tick) {
        let start = tick_time(now.0);
        let out = self.users.tick(now.0);
        for user in &out.purchases {
            self.samples.purchase(*user, start.0);
        }
        for click in &out.clicks {
            let event_time = TimeUs(start.0 + click.offset_us);
            let produce = BrokerCommand::Produce {
                producer: CLICKS_PRODUCER,
                topic: CLICKS_TOPIC.into(),
                partition: Some(TopicPartition(click.user.partition(CLICKS_PARTITIONS))),
                key: Some(click.user.name()),
                value: Some(click_value(click.page, click.amount, event_time)),
                count: 1,
                header: None,
            };
            // A refused send (the learner removed the topic) is dropped: nobody to tell.
            if cluster.apply(&produce, now).is_ok() {
                self.clicks_sent += 1;
                self.last_click_us[usize::from(click.user.0)] = Some(event_time.0);
            }
        }
        self.requests = out.requests;
    }

    /// The job's work for tick `now`, after the cluster's tick: read, window, checkpoint, sink.
    pub fn run_job(&mut self, cluster: &mut Cluster, store: &mut FeatureStore, now: Tick) {
        let limit = self.settings.slow_records_per_tick.map(|n| n as usize);
        let (rows, events) = self
            .job
            .run_tick_at_most(cluster, tick_time(now.0), now.0, limit);
        if !events.is_empty() {
            let offsets: Vec<(TopicPartition, Offset)> = self
                .job
                .job()
                .last_checkpoint_offsets()
                .iter()
                .enumerate()
                .map(|(p, offset)| (TopicPartition(p as u32), Offset(*offset)))
                .collect();
            cluster.commit_unassigned(JOB_GROUP, CLICKS_TOPIC, &offsets, now);
        }
        self.sink(cluster, store, &rows, now);
        self.note_safety(cluster, now);
        if !self.settings.push_on {
            self.push_off_ticks += 1;
        }
    }

    /// Writes the job's results: every row to the output topic, the windows to the offline
    /// log, and (push on) to the online store with the skew of the online computation.
    fn sink(
        &mut self,
        cluster: &mut Cluster,
        store: &mut FeatureStore,
        rows: &[(FiringKind, Vec<StreamValue>)],
        now: Tick,
    ) {
        if rows.is_empty() {
            return;
        }
        let columns = self.job.view().columns.to_vec();
        let index = |name: &str| columns.iter().position(|c| c == name);
        let (Some(user_at), Some(end_at)) = (index("user_id"), index("window_end")) else {
            return;
        };
        let (clicks_at, amount_at) = (index("clicks"), index("amount"));
        let mut pushed = Vec::new();
        for (kind, values) in rows {
            let mut object = serde_json::Map::new();
            for (name, value) in columns.iter().zip(values) {
                object.insert(name.clone(), stream_job::json_value(value));
            }
            object.insert("kind".into(), stream_job::kind_name(*kind).into());
            let produce = BrokerCommand::Produce {
                producer: OUTPUT_PRODUCER,
                topic: OUTPUT_TOPIC.into(),
                partition: None,
                key: values.get(user_at).map(|v| v.to_string()),
                value: Some(serde_json::Value::Object(object).to_string()),
                count: 1,
                header: None,
            };
            // The output topic may refuse (no leader): the row is lost downstream; the job goes on.
            let _ = cluster.apply(&produce, now);
            if *kind == FiringKind::Retract {
                continue;
            }
            let (Some(user), Some(StreamValue::Time(end))) =
                (values.get(user_at), values.get(end_at))
            else {
                continue;
            };
            let feature = |at: Option<usize>| {
                at.and_then(|i| values.get(i))
                    .map_or(FeatureValue::Null, stream_job::feature_value)
            };
            pushed.push(StoreRow {
                keys: KeyTuple(vec![stream_job::feature_value(user)]),
                event_ts: Some(TimestampUs(end.0)),
                created_ts: None,
                seq: 0,
                values: vec![feature(clicks_at), feature(amount_at)],
            });
        }
        if pushed.is_empty() {
            return;
        }
        self.features_pushed += pushed.len() as u64;
        let online: Vec<StoreRow> = pushed.iter().map(|row| self.skewed(row)).collect();
        // The view is the preset's own: a push cannot name an unknown view.
        let _ = store.push(PUSH_VIEW, pushed, PushMode::Offline);
        if self.settings.push_on {
            for row in &online {
                if let Some(FeatureValue::Str(user)) = row.keys.0.first() {
                    if let Some(u) = train::user_index(user) {
                        self.last_write_tick[usize::from(u.0)] = Some(now.0);
                    }
                }
            }
            let _ = store.push(PUSH_VIEW, online, PushMode::Online);
        }
    }

    /// A row as the online computation makes it: each feature times its skew factor.
    fn skewed(&self, row: &StoreRow) -> StoreRow {
        let mut row = row.clone();
        for feature in SkewFeature::ALL {
            let factor = i64::from(self.settings.skew_percent[feature.index()]);
            if let Some(FeatureValue::Int(v)) = row.values.get_mut(feature.index()) {
                *v = *v * factor / 100;
            }
        }
        row
    }

    /// Remembers whether clicks could ever be lost by design (acks=1, unclean elections).
    fn note_safety(&mut self, cluster: &Cluster, now: Tick) {
        let weak_acks = cluster
            .producer(CLICKS_PRODUCER)
            .is_some_and(|p| p.config().acks != Acks::All);
        let unclean = cluster.topics().get(CLICKS_TOPIC).is_some_and(|t| {
            t.settings().unclean_leader_election || t.settings().min_insync_replicas < 2
        });
        self.unsafe_writes_seen |= weak_acks || unclean;
        // Current: running at full speed, pushing, and its watermark where the delay puts it
        // (a partition whose leader is gone gives nothing, so the watermark holds and this ends).
        let watermark = self.job.job().operator().watermark().0;
        let slack_us = i64::from(self.settings.watermark_delay_ms) * 1_000 + WATERMARK_SLACK_US;
        let current = self.job.is_running()
            && self.settings.push_on
            && self.settings.slow_records_per_tick.is_none()
            && tick_time(now.0).0.saturating_sub(watermark) <= slack_us;
        self.current_since = match (current, self.current_since) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(now.0),
            (false, _) => None,
        };
    }

    /// Scores this tick's requests with the features read now and logs them; on the second,
    /// the series' point.
    pub fn serve(&mut self, store: &FeatureStore, cluster: &Cluster, now: Tick) {
        let now_us = tick_time(now.0).0;
        for user in std::mem::take(&mut self.requests) {
            let row = self.read_features(store, user, now_us);
            let buying = self.users.is_buying(user);
            for model in self.models.values_mut() {
                model.score(&row, buying);
            }
            self.samples.log(now_us, user, row, buying);
            self.requests_scored += 1;
        }
        self.refresh_freshness(store, now);
        if now.0 % users::TICKS_PER_SECOND == users::TICKS_PER_SECOND - 1 {
            let lag = self.job.lag(cluster);
            self.series
                .second(now, &self.freshness, lag, self.clicks_sent);
        }
    }

    /// The user's features as serving reads them: NULL when absent or older than the TTL.
    fn read_features(&self, store: &FeatureStore, user: UserIndex, now_us: i64) -> FeatureRow {
        let key = KeyTuple(vec![FeatureValue::text(&user.name())]);
        let Some(row) = store.online().stored(PUSH_VIEW, &key) else {
            return [None, None];
        };
        if now_us - row.event_ts.0 > i64::from(self.settings.ttl_seconds) * 1_000_000 {
            return [None, None];
        }
        let value = |i: usize| {
            row.values
                .get(i)
                .and_then(|v| features::train::numeric(v).ok().flatten())
        };
        [value(0), value(1)]
    }

    /// Every 100 ticks: each version's quality of the last ten seconds to the rollout world,
    /// then the rollout world's ten seconds.
    pub fn reconcile(&mut self, rollouts: &mut RolloutLab, now: Tick) -> Vec<RolloutEvent> {
        for model in self.models.values_mut() {
            model.close_window();
        }
        let deployed: Vec<String> = rollouts.versions().keys().cloned().collect();
        for name in deployed {
            if let Some(quality) = self.models.get(&name).and_then(|m| m.quality_permille) {
                rollouts.set_measured_quality(&name, quality);
            }
        }
        let events = rollouts.tick();
        self.reading.update(rollouts);
        self.series.reconcile(now, &self.models, rollouts);
        events
    }

    /// The lab tick at which the rollout world's clock read `rollout_ms` (its ten seconds end
    /// with the lab tick that reconciles).
    pub fn tick_at_rollout_ms(rollout_ms: u64) -> Tick {
        Tick((rollout_ms / 100).saturating_sub(1))
    }

    /// Whether tick `now` ends a reconcile period.
    pub fn reconcile_due(now: Tick) -> bool {
        now.0 % TICKS_PER_RECONCILE == TICKS_PER_RECONCILE - 1
    }

    // ---- views ----

    /// Brings the page's views up to date (after a tick's work, after a command).
    pub fn refresh_views(
        &mut self,
        cluster: &Cluster,
        store: &FeatureStore,
        rollouts: &RolloutLab,
        now: Tick,
    ) {
        self.refresh_freshness(store, now);
        self.graph = graph::build(self, cluster, store, rollouts, now);
    }

    fn refresh_freshness(&mut self, store: &FeatureStore, now: Tick) {
        let now_us = tick_time(now.0).0;
        let ttl_us = i64::from(self.settings.ttl_seconds) * 1_000_000;
        self.freshness = (0..USERS)
            .map(|i| {
                let user = UserIndex(i as u8);
                let name = user.name();
                let stored = store
                    .online()
                    .stored(PUSH_VIEW, &KeyTuple(vec![FeatureValue::text(&name)]));
                let age_us = stored.map(|row| (now_us - row.event_ts.0).max(0));
                UserFreshness {
                    user: name,
                    age_ms: age_us.map(|a| (a / 1_000) as u64),
                    stale: age_us.is_none_or(|a| a > ttl_us),
                    clicks: stored.and_then(|row| match row.values.first() {
                        Some(FeatureValue::Int(c)) => Some(*c),
                        _ => None,
                    }),
                }
            })
            .collect();
    }

    pub fn settings(&self) -> &PipelineSettings {
        &self.settings
    }

    pub fn job(&self) -> &StreamJob {
        &self.job
    }

    pub fn models(&self) -> &BTreeMap<String, ModelVersion> {
        &self.models
    }

    pub fn samples(&self) -> &train::SampleLog {
        &self.samples
    }

    pub fn freshness(&self) -> &[UserFreshness] {
        &self.freshness
    }

    pub fn series(&self) -> &series::Series {
        &self.series
    }

    pub fn graph(&self) -> &graph::Graph {
        &self.graph
    }

    pub fn reading(&self) -> Option<&reading::AbReading> {
        self.reading.view()
    }

    pub fn users(&self) -> &Users {
        &self.users
    }

    pub fn clicks_sent(&self) -> u64 {
        self.clicks_sent
    }

    pub fn features_pushed(&self) -> u64 {
        self.features_pushed
    }

    pub fn requests_scored(&self) -> u64 {
        self.requests_scored
    }

    /// Since when the job is current (running, full speed, pushing, its watermark on time).
    pub fn current_since(&self) -> Option<u64> {
        self.current_since
    }

    pub fn crashed_at(&self) -> Option<u64> {
        self.crashed_at
    }

    pub fn last_click_us(&self) -> &[Option<i64>] {
        &self.last_click_us
    }

    pub fn last_write_tick(&self) -> &[Option<u64>] {
        &self.last_write_tick
    }

    pub fn unsafe_writes_seen(&self) -> bool {
        self.unsafe_writes_seen
    }

    /// Lab time the push to the online store was off, in ms.
    pub fn push_off_ms(&self) -> u64 {
        self.push_off_ticks * 1_000 / users::TICKS_PER_SECOND
    }

    /// The model trained last, with its offline score.
    pub fn last_trained(&self) -> Option<&ModelVersion> {
        self.last_trained.as_ref().and_then(|n| self.models.get(n))
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        self.users.hash_into(hasher);
        std::hash::Hash::hash(&self.settings, hasher);
        self.job.hash_into(hasher);
        hasher.u64(self.clicks_sent);
        hasher.u64(self.features_pushed);
        hasher.u64(self.requests_scored);
        for model in self.models.values() {
            model.hash_into(hasher);
        }
        self.samples.hash_into(hasher);
        for c in &self.last_click_us {
            hasher.u64(c.map_or(u64::MAX, |c| c as u64));
        }
        for w in &self.last_write_tick {
            hasher.u64(w.unwrap_or(u64::MAX));
        }
        hasher.u64(self.current_since.unwrap_or(u64::MAX));
        hasher.u64(self.crashed_at.unwrap_or(u64::MAX));
        hasher.u64(u64::from(self.unsafe_writes_seen));
        // Hashed once set, so a lab that never turned the push off nor trained keeps its hash.
        if self.push_off_ticks > 0 {
            hasher.u64(self.push_off_ticks);
        }
        if let Some(name) = &self.last_trained {
            hasher.str(name);
        }
        self.reading.hash_into(hasher);
    }
}
