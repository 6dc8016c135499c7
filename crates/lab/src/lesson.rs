//! Lessons as data: a markdown file with front matter, prose, live widgets and goals.
//!
//! ````text
//! ---
//! id: time-and-replay
//! title: Time, seeds and replay
//! track: Foundations
//! order: 1
//! summary: One sentence for the lesson index.
//! seed: 42
//! preset: two-sources
//! ---
//! Prose in markdown...
//! ```widget time-controls
//! ```
//! ```check
//! id: reach-50
//! goal: Let the clock run to tick 50.
//! when: tick >= 50
//! hint: Press Play.
//! solution: Press Play and wait about ten seconds.
//! ```
//! ````
//!
//! A check may word some of its comparisons itself, where the generated sentence would be
//! clumsy: `feedback:` takes one indented `COMPARISON: SENTENCE` line each (see
//! [`crate::check::Feedback`]):
//!
//! ````text
//! ```check
//! id: reach-50
//! goal: Let the clock run to tick 50.
//! when: end_tick >= 50
//! feedback:
//!   end_tick >= 50: The clock is at tick {end_tick}: run it to tick 50.
//! hint: Press Play.
//! solution: Press Play and wait about five seconds.
//! ```
//! ````
//!
//! ## Predictions
//!
//! A ```` ```predict ```` block is a goal answered *before* the lab shows the answer: the learner
//! picks one of the `choices` while the `reveal` condition (a check expression) is false; once it
//! holds, the answer and the `explanation` are shown. The goal is met by picking `answer` (the
//! text of one choice) before the reveal. Choices are indented lines:
//!
//! ````text
//! ```predict
//! id: guess-survivors
//! question: How many of the 50 acknowledged records survive the unclean election?
//! choices:
//!   All 50
//!   30
//!   None
//! answer: 30
//! explanation: Broker 2 left the ISR before the last 20 were written.
//! reveal: unclean_elections >= 1
//! ```
//! ````
//!
//! ## SQL lessons
//!
//! An `sql:` line in the front matter gives the lesson a SQL lab: `sql: small` loads the sample
//! tables with 5,000 rows per fact table, `sql: large` with 200,000 ([`crate::sql::datasets`]).
//! `preset:` keeps its meaning, so a lesson with a broker preset *and* `sql:` also queries
//! the broker's topics, live, at the tick on screen (see [`sql`]). The SQL widgets are `sql` (the
//! editor and the last run's result, at most one per lesson), `sql-trace` and `sql-schema`. A
//! ```` ```sql-example ```` block shows a query with a button that puts it into the editor, and a
//! ```` ```sql-check ```` block is a goal graded on the editor's latest result:
//!
//! ````text
//! ```widget sql
//! caption: Your query
//! query: SELECT * FROM push_events LIMIT 10
//! ```
//! ```sql-check
//! id: uv
//! goal: Count the distinct users per event type.
//! expected:
//!   SELECT event_type, count(DISTINCT cuid) FROM push_events GROUP BY event_type
//! ordered: false
//! hint: count(DISTINCT ...) counts values once.
//! solution: Group by event_type and count distinct cuid.
//! answer:
//!   SELECT event_type, count(DISTINCT cuid) AS uv
//!   FROM push_events
//!   GROUP BY event_type
//! ```
//! ````
//!
//! `expected` is the reference query (its result is the answer; the query is not shown),
//! `ordered` says whether the rows' order counts (default `false`), `answer` is a query shown
//! with the solution, and the lint checks that it grades correct. In ```` ```sql-check ```` and
//! widget blocks an indented line continues the value above it, so queries can span lines.
//!
//! Parsing is strict (unknown keys, widget kinds and metrics are errors with a line number) so
//! that the lesson lint catches mistakes before a learner does. Rendering the prose is the UI's
//! job; this module only splits the file into [`Block`]s.

use crate::check::{Condition, Feedback, Verdict};
use crate::journal::Journal;
use crate::metric::Observation;
use crate::rng::Seed;
use crate::sql::datasets::Size;
use crate::state::{Lab, LabConfig, Preset};
use std::collections::BTreeSet;
use std::fmt;

pub mod instructions;
pub mod sql;

/// The live widgets a lesson can embed. The UI renders each; the compiler makes sure it has a
/// renderer for every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WidgetKind {
    /// Play, pause, step, speed, scrubber, reset, share link.
    TimeControls,
    /// The sources and their most recent events.
    Stream,
    /// Buttons to emit events, change chances and add sources.
    Emitter,
    /// A chart of events per tick.
    EventsChart,
    /// The most recent events, newest first.
    Trace,
    /// The journal: seed, preset and every command with its tick.
    Journal,
    /// The state's fingerprint, live and replayed.
    StateHash,
    /// Brokers, topics and partition logs as offset cells, with a record inspector.
    Cluster,
    /// Send records and configure producers.
    Producer,
    /// Consumer groups: members, assignments, positions, commits, lag; add, crash, restart.
    Groups,
    /// Consumer lag per partition over time.
    LagChart,
    /// Create topics and edit their retention, compaction and segment settings.
    TopicConfig,
    /// Duplicates, redeliveries, skipped records and reordering found in the history.
    Deliveries,
    /// A RabbitMQ-style queue: ready messages, consumers, acknowledgements.
    Queue,
    /// Brokers with their status and fault buttons, and per partition the replica rows with
    /// LEO and HW markers, the leader, the ISR and the epoch.
    Replicas,
    /// The controller quorum, broker registrations and the election timeline.
    Controller,
    /// The acknowledged-writes ledger: acknowledged, still present, lost (and why).
    Ledger,
    /// Under-replicated and offline partitions over time.
    ReplicationChart,
    /// Fork the timeline at the tick on screen with other settings, and compare the outcomes.
    Compare,
    /// The cluster overview: health tiles named by their JMX metrics, per-broker traffic and
    /// partitions with a fault button each, and consumer lag in records and seconds.
    Overview,
    /// The SQL editor and the result of the last run (grid, clause-by-clause trace, plan, chart).
    /// The lesson's ```` ```sql-check ```` goals grade that result.
    Sql,
    /// The last run's trace on its own: the table after each clause, with the rows that survive
    /// a filter and the input rows that formed each group.
    SqlTrace,
    /// The tables the lesson's queries can read: columns, types, row counts and a preview.
    SqlSchema,
    /// The Schema Registry: subjects, versions and ids, each subject's compatibility level, a
    /// schema editor with a dry-run check, an Avro producer, and a topic's records as wire bytes
    /// and as decoded by the chosen reader schema.
    SchemaRegistry,
    /// The feature repository: entities, views with their TTLs (editable), feature services, the
    /// request (which features, which entity rows) and the join's options.
    FeatureDefinitions,
    /// Per entity key, the view's rows at their event (and created) times, each entity row's time
    /// with an arrow to the row it got, and the TTL window as a band.
    FeatureTimeline,
    /// The training set with a reason on every NULL, values from the future marked, and the
    /// naive-join toggle.
    TrainingSet,
    /// A model trained on the training set: offline AUC next to AUC on later data.
    FeatureModel,
    /// The online store: materialize, incremental runs, write policy, TTL on read, read one
    /// entity, freshness per view, and serving entity rows with a materialization schedule.
    OnlineStore,
    /// Training/serving skew: every logged online value against the point-in-time value, with
    /// its cause.
    SkewReport,
    /// The stream job's settings (query, watermark delay, lateness, idleness, emit mode,
    /// guarantee, checkpoints), crash and restart, the generator, and a click sent by hand.
    StreamControls,
    /// The job as a graph: the topic's partitions with their watermarks, the window operator with
    /// its rate, state and watermark, the sinks (output topic, feature view).
    StreamJobGraph,
    /// The window timeline: each click placed by event time and by arrival, the watermark, windows
    /// opening and firing, late rows in their own colour.
    StreamTimeline,
    /// The job's output as it changes, trigger by trigger (first firings, updates, retractions,
    /// duplicates after a crash), and the late rows it dropped.
    StreamOutput,
    /// Consumer lag and the pushed feature's freshness over time.
    StreamFreshness,
    /// The stream joins: clicks enriched with a changing profile table as of event time and on
    /// processing time side by side (the rows they differ on, and why), and the interval join of
    /// product views with checkouts (editable bounds, late rows dropped, state size).
    StreamJoins,
    /// Real-time training samples: the label wait, the stream's samples against the same samples
    /// built in batch SQL, label recall against freshness over a sweep of waits, fake negatives.
    SampleDiagnosis,
    /// The medallion pipeline: bronze, silver and gold with each expectation's passed, failed and
    /// dropped rows, its action (editable), the dropped rows and a failed update rolled back.
    Medallion,
    /// The rollout spec editor: YAML with a line gutter, errors under their lines, an example
    /// picker and Apply.
    RolloutSpec,
    /// The step strip: the current step, weight and pause; promote, abort, retry, undo, confirm.
    RolloutSteps,
    /// The live traffic split: stable, canary, mirror copies, header routes.
    RolloutTraffic,
    /// Analysis runs and each measurement: Successful / Failed / Inconclusive / Error, value, reason.
    RolloutAnalysis,
    /// Per-version charts (success rate, p99, quality) with the analysis thresholds drawn.
    RolloutMetrics,
    /// Alert rules and their pending / firing / resolved timeline.
    RolloutAlerts,
    /// Reference vs current histograms of the feature and the prediction, PSI and KS.
    RolloutDrift,
    /// Kayenta's baseline-vs-canary judge: per metric U, p-value, verdict; the score.
    RolloutJudge,
    /// Deploy a version with a behaviour, inject a fault, set the traffic, shift drift.
    RolloutDeploy,
    /// The A/B test's setup: key, weights, coverage, namespace, holdout, sticky bucketing,
    /// arrivals, true effects, the logging fault, restart.
    ExperimentSetup,
    /// The results table: per metric and arm value, lift with its interval drawn, p-value or
    /// chance to win, the SRM banner, and the engine, CUPED, lift and correction toggles.
    ExperimentResults,
    /// The hash allocation: bucket ranges per arm, users placed, namespace, holdout, headcounts.
    ExperimentAllocation,
    /// The peeking simulator: false positives of peeking, of the sequential test and of one look.
    ExperimentPeeking,
    /// Power and minimum detectable effect for the planned duration.
    ExperimentPower,
    /// Team-draft interleaving of two rankers and users-to-decision against an A/B test.
    ExperimentInterleaving,
    /// A bandit: arms with posteriors, probability each is best, weights, the regret chart.
    ExperimentBandit,
    /// The whole pipeline as a graph: live numbers and health (a word and a colour) on every
    /// node and edge; a click or Enter on a node opens that engine's panel at the same tick.
    PipelineGraph,
    /// The pipeline's fault buttons: brokers, controller, link, stream job, push, skew, and
    /// training and deploying a point-in-time or a leaky model.
    PipelineFaults,
    /// The pipeline over time: feature age, job lag, each version's quality, the canary weight.
    PipelineCharts,
    /// Fork the pipeline at the tick on screen with another setting (acks, min ISR, watermark
    /// delay, TTL, analysis threshold, strategy) and compare the outcomes downstream.
    PipelineCompare,
    /// The cluster lab's controls: executors, cores, partitions, broadcast threshold, AQE,
    /// speculation, cached tables, the query box, and the faults (kill, add, slow an executor).
    ClusterControls,
    /// The driver and the executors: slots with their running tasks, cached blocks, map outputs.
    ClusterView,
    /// The latest job's stages as a graph: exchanges, tasks done, AQE's coalescing and skew splits.
    ClusterStages,
    /// Every task attempt over time, one row per executor slot (failures, speculative copies).
    ClusterTimeline,
    /// The latest query's distributed plan and result beside the one-machine result.
    ClusterPlan,
    /// The MapReduce form: example or program, reducers, combiner, partitioner, input; counters.
    ClusterMapReduce,
}

impl WidgetKind {
    pub const ALL: [WidgetKind; 64] = [
        WidgetKind::TimeControls,
        WidgetKind::Stream,
        WidgetKind::Emitter,
        WidgetKind::EventsChart,
        WidgetKind::Trace,
        WidgetKind::Journal,
        WidgetKind::StateHash,
        WidgetKind::Cluster,
        WidgetKind::Producer,
        WidgetKind::Groups,
        WidgetKind::LagChart,
        WidgetKind::TopicConfig,
        WidgetKind::Deliveries,
        WidgetKind::Queue,
        WidgetKind::Replicas,
        WidgetKind::Controller,
        WidgetKind::Ledger,
        WidgetKind::ReplicationChart,
        WidgetKind::Compare,
        WidgetKind::Overview,
        WidgetKind::Sql,
        WidgetKind::SqlTrace,
        WidgetKind::SqlSchema,
        WidgetKind::SchemaRegistry,
        WidgetKind::FeatureDefinitions,
        WidgetKind::FeatureTimeline,
        WidgetKind::TrainingSet,
        WidgetKind::FeatureModel,
        WidgetKind::OnlineStore,
        WidgetKind::SkewReport,
        WidgetKind::StreamControls,
        WidgetKind::StreamJobGraph,
        WidgetKind::StreamTimeline,
        WidgetKind::StreamOutput,
        WidgetKind::StreamFreshness,
        WidgetKind::StreamJoins,
        WidgetKind::SampleDiagnosis,
        WidgetKind::Medallion,
        WidgetKind::RolloutSpec,
        WidgetKind::RolloutSteps,
        WidgetKind::RolloutTraffic,
        WidgetKind::RolloutAnalysis,
        WidgetKind::RolloutMetrics,
        WidgetKind::RolloutAlerts,
        WidgetKind::RolloutDrift,
        WidgetKind::RolloutJudge,
        WidgetKind::RolloutDeploy,
        WidgetKind::ExperimentSetup,
        WidgetKind::ExperimentResults,
        WidgetKind::ExperimentAllocation,
        WidgetKind::ExperimentPeeking,
        WidgetKind::ExperimentPower,
        WidgetKind::ExperimentInterleaving,
        WidgetKind::ExperimentBandit,
        WidgetKind::PipelineGraph,
        WidgetKind::PipelineFaults,
        WidgetKind::PipelineCharts,
        WidgetKind::PipelineCompare,
        WidgetKind::ClusterControls,
        WidgetKind::ClusterView,
        WidgetKind::ClusterStages,
        WidgetKind::ClusterTimeline,
        WidgetKind::ClusterPlan,
        WidgetKind::ClusterMapReduce,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WidgetKind::TimeControls => "time-controls",
            WidgetKind::Stream => "stream",
            WidgetKind::Emitter => "emitter",
            WidgetKind::EventsChart => "events-chart",
            WidgetKind::Trace => "trace",
            WidgetKind::Journal => "journal",
            WidgetKind::StateHash => "state-hash",
            WidgetKind::Cluster => "cluster",
            WidgetKind::Producer => "producer",
            WidgetKind::Groups => "groups",
            WidgetKind::LagChart => "lag-chart",
            WidgetKind::TopicConfig => "topic-config",
            WidgetKind::Deliveries => "deliveries",
            WidgetKind::Queue => "queue",
            WidgetKind::Replicas => "replicas",
            WidgetKind::Controller => "controller",
            WidgetKind::Ledger => "ledger",
            WidgetKind::ReplicationChart => "replication-chart",
            WidgetKind::Compare => "compare",
            WidgetKind::Overview => "overview",
            WidgetKind::Sql => "sql",
            WidgetKind::SqlTrace => "sql-trace",
            WidgetKind::SqlSchema => "sql-schema",
            WidgetKind::SchemaRegistry => "schema-registry",
            WidgetKind::FeatureDefinitions => "feature-definitions",
            WidgetKind::FeatureTimeline => "feature-timeline",
            WidgetKind::TrainingSet => "training-set",
            WidgetKind::FeatureModel => "feature-model",
            WidgetKind::OnlineStore => "online-store",
            WidgetKind::SkewReport => "skew-report",
            WidgetKind::StreamControls => "stream-controls",
            WidgetKind::StreamJobGraph => "stream-job-graph",
            WidgetKind::StreamTimeline => "stream-timeline",
            WidgetKind::StreamOutput => "stream-output",
            WidgetKind::StreamFreshness => "stream-freshness",
            WidgetKind::StreamJoins => "stream-joins",
            WidgetKind::SampleDiagnosis => "sample-diagnosis",
            WidgetKind::Medallion => "medallion",
            WidgetKind::RolloutSpec => "rollout-spec",
            WidgetKind::RolloutSteps => "rollout-steps",
            WidgetKind::RolloutTraffic => "rollout-traffic",
            WidgetKind::RolloutAnalysis => "rollout-analysis",
            WidgetKind::RolloutMetrics => "rollout-metrics",
            WidgetKind::RolloutAlerts => "rollout-alerts",
            WidgetKind::RolloutDrift => "rollout-drift",
            WidgetKind::RolloutJudge => "rollout-judge",
            WidgetKind::RolloutDeploy => "rollout-deploy",
            WidgetKind::ExperimentSetup => "experiment-setup",
            WidgetKind::ExperimentResults => "experiment-results",
            WidgetKind::ExperimentAllocation => "experiment-allocation",
            WidgetKind::ExperimentPeeking => "experiment-peeking",
            WidgetKind::ExperimentPower => "experiment-power",
            WidgetKind::ExperimentInterleaving => "experiment-interleaving",
            WidgetKind::ExperimentBandit => "experiment-bandit",
            WidgetKind::PipelineGraph => "pipeline-graph",
            WidgetKind::PipelineFaults => "pipeline-faults",
            WidgetKind::PipelineCharts => "pipeline-charts",
            WidgetKind::PipelineCompare => "pipeline-compare",
            WidgetKind::ClusterControls => "cluster-controls",
            WidgetKind::ClusterView => "cluster-view",
            WidgetKind::ClusterStages => "cluster-stages",
            WidgetKind::ClusterTimeline => "cluster-timeline",
            WidgetKind::ClusterPlan => "cluster-plan",
            WidgetKind::ClusterMapReduce => "cluster-mapreduce",
        }
    }

    pub fn from_name(name: &str) -> Option<WidgetKind> {
        WidgetKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Widgets that show the Kafka cluster, and so need a broker preset.
    pub fn needs_broker(self) -> bool {
        matches!(
            self,
            WidgetKind::Cluster
                | WidgetKind::Producer
                | WidgetKind::Groups
                | WidgetKind::LagChart
                | WidgetKind::TopicConfig
                | WidgetKind::Deliveries
                | WidgetKind::Replicas
                | WidgetKind::Controller
                | WidgetKind::Ledger
                | WidgetKind::ReplicationChart
                | WidgetKind::Compare
                | WidgetKind::Overview
                | WidgetKind::SchemaRegistry
        )
    }

    /// Widgets that show the feature store, and so need the feature-store preset.
    pub fn needs_feature_store(self) -> bool {
        matches!(
            self,
            WidgetKind::FeatureDefinitions
                | WidgetKind::FeatureTimeline
                | WidgetKind::TrainingSet
                | WidgetKind::FeatureModel
                | WidgetKind::OnlineStore
                | WidgetKind::SkewReport
        )
    }

    /// Widgets that show the stream job, and so need the streaming preset.
    pub fn needs_streaming(self) -> bool {
        matches!(
            self,
            WidgetKind::StreamControls
                | WidgetKind::StreamJobGraph
                | WidgetKind::StreamTimeline
                | WidgetKind::StreamOutput
                | WidgetKind::StreamFreshness
                | WidgetKind::StreamJoins
                | WidgetKind::SampleDiagnosis
                | WidgetKind::Medallion
        )
    }

    /// Widgets that show the rollout, and so need the rollouts preset.
    pub fn needs_rollouts(self) -> bool {
        matches!(
            self,
            WidgetKind::RolloutSpec
                | WidgetKind::RolloutSteps
                | WidgetKind::RolloutTraffic
                | WidgetKind::RolloutAnalysis
                | WidgetKind::RolloutMetrics
                | WidgetKind::RolloutAlerts
                | WidgetKind::RolloutDrift
                | WidgetKind::RolloutJudge
                | WidgetKind::RolloutDeploy
        )
    }

    /// Widgets that show the A/B test and its side experiments, and so need the experiments
    /// preset.
    pub fn needs_experiments(self) -> bool {
        matches!(
            self,
            WidgetKind::ExperimentSetup
                | WidgetKind::ExperimentResults
                | WidgetKind::ExperimentAllocation
                | WidgetKind::ExperimentPeeking
                | WidgetKind::ExperimentPower
                | WidgetKind::ExperimentInterleaving
                | WidgetKind::ExperimentBandit
        )
    }

    /// Widgets that show the pipeline world, and so need the pipeline preset.
    pub fn needs_pipeline(self) -> bool {
        matches!(
            self,
            WidgetKind::PipelineGraph
                | WidgetKind::PipelineFaults
                | WidgetKind::PipelineCharts
                | WidgetKind::PipelineCompare
        )
    }

    /// Widgets that show the simulated Spark/Hadoop cluster, and so need the cluster preset.
    pub fn needs_cluster_lab(self) -> bool {
        matches!(
            self,
            WidgetKind::ClusterControls
                | WidgetKind::ClusterView
                | WidgetKind::ClusterStages
                | WidgetKind::ClusterTimeline
                | WidgetKind::ClusterPlan
                | WidgetKind::ClusterMapReduce
        )
    }

    /// Widgets of the SQL lab, which need an `sql:` line in the front matter.
    pub fn needs_sql(self) -> bool {
        matches!(
            self,
            WidgetKind::Sql | WidgetKind::SqlTrace | WidgetKind::SqlSchema
        )
    }
}

/// Front matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonMeta {
    pub id: String,
    pub title: String,
    pub track: String,
    pub order: u32,
    pub summary: String,
    pub config: LabConfig,
    /// The SQL lab of the lesson, if it has one: the size of the sample tables it loads
    /// (`sql: small` or `sql: large`).
    pub sql: Option<Size>,
}

/// An embedded widget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WidgetSpec {
    pub kind: WidgetKind,
    /// Optional caption shown above the widget.
    pub caption: Option<String>,
    /// The SQL the editor starts with (`sql` widgets only).
    pub query: Option<String>,
}

/// A goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: String,
    pub goal: String,
    pub when: Condition,
    pub when_text: String,
    /// The lesson's own sentences for some of the comparisons (`feedback:`).
    pub feedback: Feedback,
    pub hint: String,
    pub solution: String,
}

impl CheckSpec {
    /// Checks the goal, saying why not in plain sentences (the lesson's own where it has them).
    pub fn evaluate(&self, observation: &Observation<'_>) -> Verdict {
        self.when.evaluate_with(observation, &self.feedback)
    }
}

/// A goal answered before the run: a question with choices, picked while `reveal` is false.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredictSpec {
    pub id: String,
    pub question: String,
    pub choices: Vec<String>,
    /// The index in `choices` of the right answer.
    pub answer: usize,
    /// Why the answer is right, shown once the reveal condition holds.
    pub explanation: String,
    /// When the lab has shown the answer: predictions are taken only while it is false.
    pub reveal: Condition,
}

/// A goal graded by comparing results: the learner's latest query result against the result of
/// a reference query on the same tables (see [`sql`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlCheckSpec {
    pub id: String,
    pub goal: String,
    /// The reference query. Its result is the answer; the query itself is never shown.
    pub expected: String,
    /// Whether the rows' order counts (the exercise asks for an ORDER BY). Default: false, the
    /// results are compared as multisets.
    pub ordered: bool,
    pub hint: String,
    /// How to get there, in words.
    pub solution: String,
    /// A query that solves the exercise, shown with the solution. The lint checks that it grades
    /// correct.
    pub answer: String,
}

/// A piece of a lesson, in reading order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Markdown(String),
    Widget(WidgetSpec),
    Check(CheckSpec),
    /// A goal graded on the SQL lab's latest result.
    SqlCheck(SqlCheckSpec),
    /// A goal answered before the lab shows the answer.
    Predict(PredictSpec),
    /// A query shown as code, with a button that puts it into the lesson's SQL editor.
    SqlExample(String),
    /// Steps the learner can run with one click (see [`crate::steps`]); the source text is kept
    /// for display.
    Steps {
        text: String,
        steps: Vec<crate::steps::Step>,
    },
}

/// A parsed lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub meta: LessonMeta,
    pub blocks: Vec<Block>,
    /// The prose's "Do it" links, in reading order (see [`instructions`]).
    pub instructions: Vec<instructions::Instruction>,
}

impl Lesson {
    /// The goals checked on the lab's state (```` ```check ```` blocks).
    pub fn checks(&self) -> impl Iterator<Item = &CheckSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Check(c) => Some(c),
            _ => None,
        })
    }

    /// The goals graded on a query's result (```` ```sql-check ```` blocks).
    pub fn sql_checks(&self) -> impl Iterator<Item = &SqlCheckSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::SqlCheck(c) => Some(c),
            _ => None,
        })
    }

    /// The goals answered before the run (```` ```predict ```` blocks).
    pub fn predictions(&self) -> impl Iterator<Item = &PredictSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Predict(p) => Some(p),
            _ => None,
        })
    }

    /// The ids of every goal of any kind, in reading order.
    pub fn goal_ids(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Check(c) => Some(c.id.as_str()),
            Block::SqlCheck(c) => Some(c.id.as_str()),
            Block::Predict(p) => Some(p.id.as_str()),
            _ => None,
        })
    }

    /// How many goals the lesson has, of any kind.
    pub fn goal_count(&self) -> usize {
        self.goal_ids().count()
    }

    /// The queries of the ```` ```sql-example ```` blocks.
    pub fn sql_examples(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::SqlExample(text) => Some(text.as_str()),
            _ => None,
        })
    }

    /// Every step of every ```` ```steps ```` block, in order: the lesson as a runnable scenario.
    pub fn steps(&self) -> impl Iterator<Item = &crate::steps::Step> {
        self.blocks.iter().flat_map(|b| match b {
            Block::Steps { steps, .. } => steps.as_slice(),
            _ => &[],
        })
    }

    pub fn widgets(&self) -> impl Iterator<Item = &WidgetSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Widget(w) => Some(w),
            _ => None,
        })
    }
}

/// A problem in a lesson file; `line` is 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn error(line: usize, message: impl Into<String>) -> LessonError {
    LessonError {
        line,
        message: message.into(),
    }
}

/// Splits `key: value` and checks the key is allowed.
fn key_value<'a>(
    line_no: usize,
    line: &'a str,
    allowed: &[&str],
) -> Result<(&'a str, &'a str), LessonError> {
    let (key, value) = line.split_once(':').ok_or_else(|| {
        error(
            line_no,
            format!("expected \"key: value\", found \"{line}\""),
        )
    })?;
    let key = key.trim();
    if !allowed.contains(&key) {
        return Err(error(
            line_no,
            format!("unknown key \"{key}\" (allowed: {})", allowed.join(", ")),
        ));
    }
    Ok((key, value.trim()))
}

const META_KEYS: &[&str] = &[
    "id", "title", "track", "order", "summary", "seed", "preset", "sql",
];
const WIDGET_KEYS: &[&str] = &["caption", "query"];
const CHECK_KEYS: &[&str] = &["id", "goal", "when", "feedback", "hint", "solution"];
const PREDICT_KEYS: &[&str] = &[
    "id",
    "question",
    "choices",
    "answer",
    "explanation",
    "reveal",
];
const SQL_CHECK_KEYS: &[&str] = &[
    "id", "goal", "expected", "ordered", "hint", "solution", "answer",
];

/// The fenced blocks a lesson gives meaning to.
#[derive(Clone, Copy)]
enum FenceKind {
    Widget,
    Check,
    Predict,
    Steps,
    SqlCheck,
    SqlExample,
}

/// A field of a block: the line of its key, the key, and its value.
type Field<'a> = (usize, &'a str, String);

/// Whether a block's line continues the value of the line above it.
fn is_continuation(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}

/// Reads `key: value` lines, where indented lines continue the value above them: they are joined
/// with newlines, without their common indentation. A key given twice is an error.
fn fields<'a>(body: &[(usize, &'a str)], allowed: &[&str]) -> Result<Vec<Field<'a>>, LessonError> {
    let mut out: Vec<(usize, &'a str, String, Vec<&'a str>)> = Vec::new();
    for &(n, line) in body {
        if is_continuation(line) {
            match out.last_mut() {
                Some(field) => field.3.push(line),
                None => {
                    return Err(error(
                        n,
                        "an indented line continues the \"key: value\" line above it, and there is none",
                    ))
                }
            }
            continue;
        }
        let (key, value) = key_value(n, line, allowed)?;
        if out.iter().any(|f| f.1 == key) {
            return Err(error(n, format!("\"{key}\" is given twice")));
        }
        out.push((n, key, value.to_string(), Vec::new()));
    }
    Ok(out
        .into_iter()
        .map(|(n, key, first, more)| {
            // Spaces and tabs are one byte each, so the slice below stays on a char boundary.
            let indent = more
                .iter()
                .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
                .min()
                .unwrap_or(0);
            let mut value = first;
            for line in more {
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(line[indent..].trim_end());
            }
            (n, key, value)
        })
        .collect())
}

/// Parses a lesson file.
pub fn parse_lesson(source: &str) -> Result<Lesson, LessonError> {
    let lines: Vec<&str> = source.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return Err(error(
            1,
            "a lesson starts with front matter between two \"---\" lines",
        ));
    }
    let close = lines[1..]
        .iter()
        .position(|l| l.trim() == "---")
        .map(|p| p + 1)
        .ok_or_else(|| error(1, "the front matter is not closed with \"---\""))?;
    let meta = parse_meta(&lines[1..close])?;
    let mut blocks = Vec::new();
    let mut do_links = Vec::new();
    let mut prose = String::new();
    let mut prose_line = close + 2;
    let mut i = close + 1;
    while i < lines.len() {
        let line = lines[i];
        let fence = line.trim_start().strip_prefix("```").map(str::trim);
        let (fence_kind, kind_text) = match fence {
            Some("check") => (FenceKind::Check, ""),
            Some("predict") => (FenceKind::Predict, ""),
            Some("steps") => (FenceKind::Steps, ""),
            Some("sql-check") => (FenceKind::SqlCheck, ""),
            Some("sql-example") => (FenceKind::SqlExample, ""),
            Some(info) if info == "widget" || info.starts_with("widget ") => {
                (FenceKind::Widget, info["widget".len()..].trim())
            }
            _ => {
                if prose.is_empty() {
                    prose_line = i + 1;
                }
                // An ordinary fenced code block is kept whole, so "```" inside it is not misread.
                let span = prose::prose_span(&lines, i);
                for line in &lines[i..i + span] {
                    prose.push_str(line);
                    prose.push('\n');
                }
                i += span;
                continue;
            }
        };
        let start = i + 1;
        let end = lines[start..]
            .iter()
            .position(|l| l.trim() == "```")
            .map(|p| start + p)
            .ok_or_else(|| error(i + 1, "this block is not closed with ```"))?;
        if !prose.trim().is_empty() {
            do_links.extend(prose_instructions(&prose, prose_line)?);
            blocks.push(Block::Markdown(std::mem::take(&mut prose)));
        }
        prose.clear();
        let body: Vec<(usize, &str)> = (start..end)
            .map(|n| (n + 1, lines[n]))
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        blocks.push(match fence_kind {
            FenceKind::Widget => parse_widget(i + 1, kind_text, &body)?,
            FenceKind::Check => parse_check(i + 1, &body)?,
            FenceKind::Predict => parse_predict(i + 1, &body)?,
            FenceKind::SqlCheck => parse_sql_check(i + 1, &body)?,
            FenceKind::SqlExample => {
                let text = lines[start..end].join("\n");
                if text.trim().is_empty() {
                    return Err(error(i + 1, "an sql-example block needs a query"));
                }
                Block::SqlExample(text.trim_end().to_string())
            }
            FenceKind::Steps => {
                let text = lines[start..end].join("\n");
                let steps = crate::steps::parse_steps(&text)
                    .map_err(|e| error(start + e.line, format!("in steps: {}", e.message)))?;
                Block::Steps { text, steps }
            }
        });
        i = end + 1;
    }
    if !prose.trim().is_empty() {
        do_links.extend(prose_instructions(&prose, prose_line)?);
        blocks.push(Block::Markdown(prose));
    }
    let lesson = Lesson {
        meta,
        blocks,
        instructions: do_links,
    };
    let mut seen = BTreeSet::new();
    for id in lesson.goal_ids() {
        if !seen.insert(id) {
            return Err(error(1, format!("two goals share the id \"{id}\"")));
        }
    }
    Ok(lesson)
}

/// The "Do it" links of one stretch of prose starting at line `first_line`.
fn prose_instructions(
    prose: &str,
    first_line: usize,
) -> Result<Vec<instructions::Instruction>, LessonError> {
    instructions::find_instructions(prose, first_line).map_err(|e| error(e.line, e.message))
}

fn parse_meta(lines: &[&str]) -> Result<LessonMeta, LessonError> {
    let mut meta = LessonMeta {
        id: String::new(),
        title: String::new(),
        track: String::new(),
        order: 0,
        summary: String::new(),
        config: LabConfig::default(),
        sql: None,
    };
    for (offset, line) in lines.iter().enumerate() {
        let line_no = offset + 2;
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = key_value(line_no, line, META_KEYS)?;
        match key {
            "id" => {
                if value.is_empty()
                    || !value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                {
                    return Err(error(
                        line_no,
                        "an id uses lowercase letters, digits and '-'",
                    ));
                }
                meta.id = value.to_string();
            }
            "title" => meta.title = value.to_string(),
            "track" => meta.track = value.to_string(),
            "summary" => meta.summary = value.to_string(),
            "order" => {
                meta.order = value
                    .parse()
                    .map_err(|_| error(line_no, "order is a whole number"))?
            }
            "seed" => {
                meta.config.seed = Seed(
                    value
                        .parse()
                        .map_err(|_| error(line_no, "seed is a whole number"))?,
                )
            }
            "preset" => {
                meta.config.preset = Preset::from_name(value).ok_or_else(|| {
                    let known: Vec<&str> = Preset::ALL.iter().map(|s| s.name()).collect();
                    error(
                        line_no,
                        format!("unknown preset \"{value}\" (known: {})", known.join(", ")),
                    )
                })?
            }
            "sql" => {
                meta.sql = Some(match value {
                    "small" => Size::Small,
                    "large" => Size::Large,
                    _ => {
                        return Err(error(
                            line_no,
                            format!("unknown sql size \"{value}\" (known: small, large)"),
                        ))
                    }
                })
            }
            _ => unreachable!("key_value only returns allowed keys"),
        }
    }
    for (key, value) in [
        ("id", &meta.id),
        ("title", &meta.title),
        ("track", &meta.track),
        ("summary", &meta.summary),
    ] {
        if value.is_empty() {
            return Err(error(1, format!("the front matter needs \"{key}\"")));
        }
    }
    Ok(meta)
}

fn parse_widget(
    line_no: usize,
    kind_text: &str,
    body: &[(usize, &str)],
) -> Result<Block, LessonError> {
    let kind = WidgetKind::from_name(kind_text).ok_or_else(|| {
        let known: Vec<&str> = WidgetKind::ALL.iter().map(|k| k.name()).collect();
        error(
            line_no,
            format!(
                "unknown widget \"{kind_text}\" (known: {})",
                known.join(", ")
            ),
        )
    })?;
    let mut spec = WidgetSpec {
        kind,
        caption: None,
        query: None,
    };
    for (n, key, value) in fields(body, WIDGET_KEYS)? {
        match key {
            "caption" => spec.caption = Some(value),
            _ if kind != WidgetKind::Sql => {
                return Err(error(n, "only an sql widget takes a \"query\""))
            }
            _ => spec.query = Some(value),
        }
    }
    Ok(Block::Widget(spec))
}

fn parse_sql_check(line_no: usize, body: &[(usize, &str)]) -> Result<Block, LessonError> {
    let mut fields = fields(body, SQL_CHECK_KEYS)?;
    let mut take = |key: &str, required: bool| -> Result<Option<(usize, String)>, LessonError> {
        let found = fields
            .iter()
            .position(|f| f.1 == key)
            .map(|at| fields.remove(at))
            .filter(|f| !f.2.trim().is_empty())
            .map(|(n, _, v)| (n, v));
        if required && found.is_none() {
            return Err(error(line_no, format!("an sql-check needs \"{key}\"")));
        }
        Ok(found)
    };
    let mut required = |key: &str| -> Result<String, LessonError> {
        Ok(take(key, true)?.map(|(_, v)| v).unwrap_or_default())
    };
    let id = required("id")?;
    let goal = required("goal")?;
    let expected = required("expected")?;
    let hint = required("hint")?;
    let solution = required("solution")?;
    let answer = required("answer")?;
    let ordered = match take("ordered", false)? {
        None => false,
        Some((_, v)) if v == "true" => true,
        Some((_, v)) if v == "false" => false,
        Some((n, v)) => {
            return Err(error(
                n,
                format!("\"ordered\" is true or false, not \"{v}\""),
            ))
        }
    };
    Ok(Block::SqlCheck(SqlCheckSpec {
        id,
        goal,
        expected,
        ordered,
        hint,
        solution,
        answer,
    }))
}

/// Takes the fields of a block one key at a time: each required key must be there and not empty.
struct BlockFields<'a> {
    line_no: usize,
    kind: &'static str,
    fields: Vec<Field<'a>>,
}

impl BlockFields<'_> {
    /// The key's line and value, if it is there and not empty.
    fn optional(&mut self, key: &str) -> Option<(usize, String)> {
        let at = self.fields.iter().position(|f| f.1 == key)?;
        let (n, _, value) = self.fields.remove(at);
        (!value.trim().is_empty()).then_some((n, value))
    }

    fn required(&mut self, key: &str) -> Result<(usize, String), LessonError> {
        self.optional(key)
            .ok_or_else(|| error(self.line_no, format!("{} needs \"{key}\"", self.kind)))
    }
}

fn parse_check(line_no: usize, body: &[(usize, &str)]) -> Result<Block, LessonError> {
    let mut fields = BlockFields {
        line_no,
        kind: "a goal",
        fields: fields(body, CHECK_KEYS)?,
    };
    let (_, id) = fields.required("id")?;
    let (_, goal) = fields.required("goal")?;
    let (when_line, when_text) = fields.required("when")?;
    let (_, hint) = fields.required("hint")?;
    let (_, solution) = fields.required("solution")?;
    let when =
        Condition::parse(&when_text).map_err(|e| error(when_line, format!("in \"when\", {e}")))?;
    let feedback = match fields.optional("feedback") {
        None => Feedback::default(),
        Some((n, text)) => {
            Feedback::parse(&text, &when).map_err(|e| error(n, format!("in \"feedback\", {e}")))?
        }
    };
    Ok(Block::Check(CheckSpec {
        id,
        goal,
        when,
        when_text,
        feedback,
        hint,
        solution,
    }))
}

fn parse_predict(line_no: usize, body: &[(usize, &str)]) -> Result<Block, LessonError> {
    let mut fields = BlockFields {
        line_no,
        kind: "a prediction",
        fields: fields(body, PREDICT_KEYS)?,
    };
    let (_, id) = fields.required("id")?;
    let (_, question) = fields.required("question")?;
    let (choices_line, choices_text) = fields.required("choices")?;
    let (answer_line, answer_text) = fields.required("answer")?;
    let (_, explanation) = fields.required("explanation")?;
    let (reveal_line, reveal_text) = fields.required("reveal")?;
    let choices: Vec<String> = choices_text
        .lines()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if choices.len() < 2 {
        return Err(error(
            choices_line,
            "a prediction needs at least two choices, one per indented line",
        ));
    }
    if let Some(twice) = choices
        .iter()
        .enumerate()
        .find(|(i, c)| choices[..*i].contains(c))
    {
        return Err(error(
            choices_line,
            format!("the choice \"{}\" is given twice", twice.1),
        ));
    }
    let answer = choices
        .iter()
        .position(|c| *c == answer_text)
        .ok_or_else(|| {
            error(
                answer_line,
                format!(
                    "the answer \"{answer_text}\" is not one of the choices ({})",
                    choices.join(" / ")
                ),
            )
        })?;
    let reveal = Condition::parse(&reveal_text)
        .map_err(|e| error(reveal_line, format!("in \"reveal\", {e}")))?;
    Ok(Block::Predict(PredictSpec {
        id,
        question,
        choices,
        answer,
        explanation,
        reveal,
    }))
}

/// Predictions whose reveal names state the lab does not have, or already holds at the start
/// (the learner could never answer before the lab shows the answer).
fn lint_predictions(lesson: &Lesson, start: &Observation<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    for predict in lesson.predictions() {
        for metric in predict.reveal.metrics() {
            if start.value(metric).is_none() {
                problems.push(format!(
                    "prediction \"{}\" is revealed by {}, which the \"{}\" preset does not have",
                    predict.id,
                    metric.name(),
                    lesson.meta.config.preset.name()
                ));
            }
        }
        if predict.reveal.evaluate(start) == Verdict::Met {
            problems.push(format!(
                "prediction \"{}\" is revealed at the start, so it can never be answered before",
                predict.id
            ));
        }
    }
    problems
}

/// Problems that parsing cannot see: goals that name state this lesson's lab does not have, and
/// lessons without a goal or widget. Checked against the lesson's starting state.
pub fn lint(lesson: &Lesson) -> Vec<String> {
    let mut problems = Vec::new();
    let lab = Lab::new(&lesson.meta.config);
    let journal = Journal::new(lesson.meta.config);
    let observation = Observation {
        lab: &lab,
        journal: &journal,
    };
    for check in lesson.checks() {
        for metric in check.when.metrics() {
            if observation.value(metric).is_none() {
                problems.push(format!(
                    "goal \"{}\" names {}, which the \"{}\" preset does not have",
                    check.id,
                    metric.name(),
                    lesson.meta.config.preset.name()
                ));
            }
        }
    }
    if lesson.widgets().any(|w| w.kind == WidgetKind::Queue) && lab.queue().is_none() {
        problems.push(format!(
            "widget \"queue\" needs the queue-vs-log preset, not \"{}\"",
            lesson.meta.config.preset.name()
        ));
    }
    for widget in lesson.widgets() {
        if widget.kind.needs_feature_store() && lab.features().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the feature store, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_streaming() && lab.streams().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the stream job, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_rollouts() && lab.rollouts().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the rollout, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_experiments() && lab.experiments().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the experiment, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_cluster_lab() && lab.cluster_lab().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the simulated cluster, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_pipeline() && lab.pipeline().is_none() {
            problems.push(format!(
                "widget \"{}\" shows the pipeline, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
        if widget.kind.needs_broker() && lab.cluster().is_none() {
            problems.push(format!(
                "widget \"{}\" shows a Kafka cluster, which the \"{}\" preset does not have",
                widget.kind.name(),
                lesson.meta.config.preset.name()
            ));
        }
    }
    let steps: Vec<crate::steps::Step> = lesson.steps().cloned().collect();
    if !steps.is_empty() {
        if lab.cluster().is_none() && lab.features().is_none() {
            problems.push(
                "steps drive a Kafka cluster or a feature store, which this preset does not have"
                    .into(),
            );
        } else if let Err(e) = crate::steps::run(lesson.meta.config, &steps) {
            problems.push(format!(
                "step {} of the lesson's steps is refused: {}",
                e.step + 1,
                e.message
            ));
        }
    }
    problems.extend(lint_predictions(lesson, &observation));
    problems.extend(sql::lint(lesson, &lab));
    if lesson.goal_count() == 0 {
        problems.push("the lesson has no goal (```check or ```sql-check block)".into());
    }
    if lesson.widgets().next().is_none() {
        problems.push("the lesson has no live widget (```widget block)".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: demo\ntitle: Demo\ntrack: Foundations\norder: 2\nsummary: A demo.\nseed: 7\npreset: quiet\n---\n# Hello\n\nSome *prose*.\n\n```widget time-controls\ncaption: Drive time\n```\n\n```rust\nlet x = 1;\n```\n\n```check\nid: run\ngoal: Run.\nwhen: tick >= 10\nhint: Press play.\nsolution: Press play and wait.\n```\nBye.\n";

    #[test]
    fn parses_blocks_in_order() {
        let lesson = parse_lesson(GOOD).unwrap();
        assert_eq!(lesson.meta.id, "demo");
        assert_eq!(lesson.meta.order, 2);
        assert_eq!(
            lesson.meta.config,
            LabConfig {
                seed: Seed(7),
                preset: Preset::Quiet
            }
        );
        assert_eq!(lesson.blocks.len(), 5);
        assert!(matches!(&lesson.blocks[0], Block::Markdown(m) if m.contains("# Hello")));
        assert!(
            matches!(&lesson.blocks[1], Block::Widget(w) if w.kind == WidgetKind::TimeControls && w.caption.as_deref() == Some("Drive time"))
        );
        assert!(matches!(&lesson.blocks[2], Block::Markdown(m) if m.contains("```rust")));
        assert!(matches!(&lesson.blocks[3], Block::Check(c) if c.id == "run"));
        assert!(matches!(&lesson.blocks[4], Block::Markdown(m) if m.trim() == "Bye."));
        assert_eq!(lint(&lesson), Vec::<String>::new());
    }

    #[test]
    fn errors_name_the_line() {
        let bad_widget = GOOD.replace("widget time-controls", "widget time-machine");
        let e = parse_lesson(&bad_widget).unwrap_err();
        assert_eq!(e.line, 14);
        assert!(e.message.contains("unknown widget \"time-machine\""));
        let bad_metric = GOOD.replace("tick >= 10", "tock >= 10");
        let e = parse_lesson(&bad_metric).unwrap_err();
        assert_eq!(e.line, 25);
        assert!(e.message.contains("did you mean \"tick\""), "{e}");
        let missing = GOOD.replace("hint: Press play.\n", "");
        assert!(parse_lesson(&missing)
            .unwrap_err()
            .message
            .contains("needs \"hint\""));
        assert!(parse_lesson("no front matter").is_err());
        assert!(parse_lesson(&GOOD.replace("order: 2", "order: two")).is_err());
        assert!(parse_lesson(&GOOD.replace("preset: quiet", "preset: loud")).is_err());
        assert!(parse_lesson(&GOOD.replace("```\nBye.", "\nBye.")).is_err());
    }

    #[test]
    fn lint_finds_goals_on_missing_state() {
        let lesson = parse_lesson(&GOOD.replace("tick >= 10", "source.zebra.events >= 1")).unwrap();
        assert_eq!(lint(&lesson).len(), 1);
    }

    const PREDICT: &str = "```predict\nid: guess\nquestion: How far?\nchoices:\n  Tick 5\n  Tick 10\nanswer: Tick 10\nexplanation: Because.\nreveal: tick >= 10\n```\n";

    #[test]
    fn predictions_are_goals_with_choices() {
        let lesson = parse_lesson(&format!("{GOOD}{PREDICT}")).unwrap();
        let predict = lesson.predictions().next().unwrap();
        assert_eq!(predict.choices, ["Tick 5", "Tick 10"]);
        assert_eq!((predict.answer, predict.question.as_str()), (1, "How far?"));
        assert_eq!(lesson.goal_ids().collect::<Vec<_>>(), ["run", "guess"]);
        assert_eq!(lesson.goal_count(), 2);
        assert_eq!(lint(&lesson), Vec::<String>::new());
        let e = |text: String| parse_lesson(&format!("{GOOD}{text}")).unwrap_err().message;
        assert!(e(PREDICT.replace("answer: Tick 10", "answer: Tick 7"))
            .contains("not one of the choices"));
        assert!(e(PREDICT.replace("  Tick 10\n", "")).contains("at least two choices"));
        assert!(e(PREDICT.replace("  Tick 10\n", "  Tick 5\n")).contains("given twice"));
        assert!(e(PREDICT.replace("explanation: Because.\n", "")).contains("needs \"explanation\""));
        assert!(e(PREDICT.replace("tick >= 10", "tock >= 10")).contains("in \"reveal\""));
        assert!(e(PREDICT.replace("id: guess", "id: run")).contains("two goals share the id"));
        let at_start = parse_lesson(&format!(
            "{GOOD}{}",
            PREDICT.replace("tick >= 10", "tick >= 0")
        ))
        .unwrap();
        assert!(
            lint(&at_start)[0].contains("revealed at the start"),
            "{:?}",
            lint(&at_start)
        );
    }

    #[test]
    fn checks_take_their_own_feedback() {
        let worded = GOOD.replace(
            "hint: Press play.",
            "feedback:\n  tick >= 10: The lab shows tick {tick}; play on to tick 10.\nhint: Press play.",
        );
        let lesson = parse_lesson(&worded).unwrap();
        let check = lesson.checks().next().unwrap();
        let lab = Lab::new(&lesson.meta.config);
        let journal = Journal::new(lesson.meta.config);
        let observation = Observation {
            lab: &lab,
            journal: &journal,
        };
        assert_eq!(
            check.evaluate(&observation),
            Verdict::NotYet(vec!["The lab shows tick 0; play on to tick 10.".into()])
        );
        let wrong = worded.replace("tick >= 10: The", "tick >= 11: The");
        let e = parse_lesson(&wrong).unwrap_err();
        assert!(e.message.contains("does not check"), "{e}");
        assert_eq!(e.line, 26);
    }

    const SQL: &str = "---\nid: sql-demo\ntitle: SQL\ntrack: SQL\norder: 1\nsummary: S.\npreset: quiet\nsql: small\n---\nProse.\n\n```widget sql\ncaption: Try it\nquery:\n  SELECT *\n    FROM drivers\n  LIMIT 3\n```\n\n```sql-example\nSELECT city FROM drivers\n```\n\n```sql-check\nid: per-city\ngoal: Count drivers per city.\nexpected:\n  SELECT city, count(*)\n  FROM drivers GROUP BY city\nhint: GROUP BY city.\nsolution: Group the drivers\n  by city.\nanswer: SELECT city, count(driver_id) AS n FROM drivers GROUP BY 1\n```\n";

    #[test]
    fn parses_sql_lessons() {
        let lesson = parse_lesson(SQL).unwrap();
        assert_eq!(lesson.meta.sql, Some(Size::Small));
        let widget = lesson.widgets().next().unwrap();
        assert_eq!(widget.kind, WidgetKind::Sql);
        assert_eq!(
            widget.query.as_deref(),
            Some("SELECT *\n  FROM drivers\nLIMIT 3")
        );
        assert_eq!(
            lesson.sql_examples().collect::<Vec<_>>(),
            ["SELECT city FROM drivers"]
        );
        let check = lesson.sql_checks().next().unwrap();
        assert_eq!(
            check.expected,
            "SELECT city, count(*)\nFROM drivers GROUP BY city"
        );
        assert_eq!(check.solution, "Group the drivers\nby city.");
        assert!(!check.ordered);
        assert_eq!(lesson.goal_count(), 1);
        assert_eq!(lint(&lesson), Vec::<String>::new());
    }

    #[test]
    fn sql_blocks_refuse_mistakes() {
        let e = |text: String| parse_lesson(&text).unwrap_err().message;
        assert!(e(SQL.replace("sql: small", "sql: huge")).contains("unknown sql size"));
        assert!(e(SQL.replace("hint: GROUP BY city.\n", "")).contains("needs \"hint\""));
        assert!(
            e(SQL.replace("hint: GROUP", "ordered: yes\nhint: GROUP")).contains("true or false")
        );
        assert!(e(SQL.replace("caption: Try it", "answer: x")).contains("unknown key"));
        assert!(e(SQL.replace("```widget sql", "```widget stream")).contains("only an sql widget"));
        assert!(e(SQL.replace("id: per-city", "  id: per-city")).contains("none"));
        assert!(e(SQL.replace("goal: Count", "id: again\ngoal: Count")).contains("given twice"));
        let both = SQL.replace(
            "```sql-check",
            "```check\nid: per-city\ngoal: g\nwhen: tick >= 1\nhint: h\nsolution: s\n```\n```sql-check",
        );
        assert!(e(both).contains("two goals share the id"));
    }

    #[test]
    fn lint_runs_the_reference_and_the_answer() {
        let problems = |text: String| lint(&parse_lesson(&text).unwrap());
        // A broken reference query (an unknown column) fails the lint.
        let broken = problems(SQL.replace("SELECT city, count(*)", "SELECT town, count(*)"));
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(broken[0].contains("the expected query fails"), "{broken:?}");
        assert!(broken[0].contains("\"town\""), "{broken:?}");
        let syntax = problems(SQL.replace("FROM drivers GROUP", "FROM drivers GRUOP"));
        assert!(syntax[0].contains("the expected query fails"), "{syntax:?}");
        // An answer that grades wrong, a reference with no rows, an ordered check without ORDER BY.
        let wrong = problems(SQL.replace("count(driver_id)", "count(rating)"));
        assert!(wrong[0].contains("not graded correct"), "{wrong:?}");
        let empty = problems(
            SQL.replace(
                "FROM drivers GROUP BY city",
                "FROM drivers WHERE false GROUP BY city",
            )
            .replace("GROUP BY 1", "HAVING false"),
        );
        assert!(empty.iter().any(|p| p.contains("no rows")), "{empty:?}");
        let unordered = problems(SQL.replace("hint: GROUP", "ordered: true\nhint: GROUP"));
        assert!(unordered[0].contains("no ORDER BY"), "{unordered:?}");
        let example = problems(SQL.replace("SELECT city FROM drivers", "SELEKT city"));
        assert!(example[0].contains("does not parse"), "{example:?}");
        // SQL blocks need the front matter's sql line and one editor.
        let no_lab = problems(SQL.replace("sql: small\n", ""));
        assert_eq!(no_lab.len(), 2, "{no_lab:?}");
        let no_editor = problems(
            SQL.replace("```widget sql\n", "```widget sql-schema\n")
                .replace("query:\n  SELECT *\n    FROM drivers\n  LIMIT 3\n", ""),
        );
        assert!(no_editor[0].contains("no sql widget"), "{no_editor:?}");
    }
}
