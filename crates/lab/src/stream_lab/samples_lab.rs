//! The streaming lab's two data pipelines beside the click job: real-time training samples and
//! a medallion (bronze → silver → gold) with data-quality expectations.
//!
//! **Samples.** A recommender's logs (exposures, clicks, plays and feature callbacks, drawn from
//! the lab's seed by [`crate::streaming::generate::recommender`]) are a recorded log of about an
//! hour that starts at the lab's midnight. The panel replays it through the stream engine's
//! [`SamplePipeline`] with the learner's label wait, and builds the same samples in batch with the
//! SQL engine ([`BATCH_QUERY`]: the first feature callback per key by `ROW_NUMBER() = 1`, the
//! labels as `CASE`/`SUM` aggregates over every event, however late, and the features joined on
//! `BETWEEN` the exposure's interval). [`SampleRun::diagnosis`] compares the two. The replay
//! depends only on the seed and the wait, never on the tick: it is computed on first use and kept
//! (shared by every copy of the lab made after it), neither compared nor hashed. Once turned on,
//! [`super::samples_topic`] writes the replay's samples to the `samples` topic on the lab's clock.
//!
//! **Medallion.** Bronze is the lab's order feed ([`crate::streaming::generate::orders`]: one
//! JSON payload a second of lab time from 00:00:01, some defective, some delivered twice), read
//! from the seed rather than sent to a topic, so the broker and its share links stay as they
//! were (`bronze-topic on` sends it to a real topic instead, read through a consumer group: see
//! [`super::bronze_topic`]). Every [`TRIGGER_TICKS`] (10 s) a triggered update runs silver and gold over the bronze
//! records that arrived since the last good one, with the expectations' actions in force when it
//! started: an action changed at tick `t` counts from the first trigger after `t`. A `fail`
//! stops the update and nothing of it is written; the next trigger retries from the same
//! checkpoint (the lab retries by itself, where a Delta Live Tables pipeline waits for the next
//! update). The state is the list of action changes; the tables follow from it and the tick.

use super::command::{StreamCommand, StreamEvent, EXPECTATION_NAME_LEN_MAX};
use super::{at, StreamRefusal};
use crate::sql::column::{Field, Table};
use crate::sql::value::{DataType, Value};
use crate::sql::Session;
use crate::streaming::generate::orders::{bronze_orders, BronzeOrder, OrdersConfig};
use crate::streaming::generate::recommender::{
    FeatureCallback, RecEvent, RecEventKind, RecommenderLog, RecommenderLogConfig,
};
use crate::streaming::medallion::{
    Action, ExpectationMetrics, Medallion, MedallionConfig, UpdateFailure, UpdateReport,
};
use crate::streaming::samples::{
    diagnose, run_pipeline, Diagnosis, EmittedSample, Sample, SampleKey, SamplePipeline,
    SampleStats, SamplesConfig,
};
use crate::streaming::value::{DurationUs, StreamValue, TimeUs, US_PER_SECOND};
use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The label wait when the lab starts: the production pipeline's 900 s.
pub const SAMPLE_WAIT_DEFAULT: DurationUs = DurationUs(900 * US_PER_SECOND);
/// The longest label wait the lab takes: 30 minutes, the feature join's upper bound. Past about
/// 40 minutes every feature row would expire from the join's state (its TTL) before its label
/// is fixed, and no sample would come out at all.
pub const SAMPLE_WAIT_MAX: DurationUs = DurationUs(1_800 * US_PER_SECOND);
/// The waits the panel's recall-vs-freshness chart compares, in seconds.
pub const SWEEP_WAITS_S: [i64; 4] = [60, 300, 900, 1_800];
/// Requests in the recorded log (five exposures each).
pub const LOG_REQUESTS: u32 = 1_000;
/// Processing time advances by this much between the log's arrivals in the replay.
const REPLAY_TICK: DurationUs = DurationUs(US_PER_SECOND);
/// Fake negatives the panel lists (the count covers them all).
pub const FAKE_NEGATIVES_LISTED: usize = 200;
/// Replays kept, one per wait.
const RUNS_KEPT: usize = 16;

/// Ticks between two medallion updates (10 s of lab time).
pub const TRIGGER_TICKS: u64 = 100;
/// Orders in the feed: one a second for two hours of lab time.
pub const ORDERS: u32 = 7_200;
/// The most expectation-action changes a lab keeps.
pub const ACTION_CHANGES_MAX: usize = 500;

/// The recorded recommender log's settings: the engine's typical day in miniature, starting at
/// the lab's midnight, on two partitions.
pub fn log_config() -> RecommenderLogConfig {
    RecommenderLogConfig {
        start: at(0),
        ..RecommenderLogConfig::typical(LOG_REQUESTS)
    }
}

/// The samples pipeline's settings with a label wait: the production ones otherwise.
pub fn samples_config(wait: DurationUs) -> SamplesConfig {
    SamplesConfig {
        wait,
        ..SamplesConfig::production(log_config().partitions)
    }
}

/// The order feed's settings: one order a second from 00:00:01, 12 users, 10% defective (each
/// with one of five defects), 3% delivered twice.
pub fn orders_config() -> OrdersConfig {
    OrdersConfig {
        orders: ORDERS,
        users: 12,
        start: at(10),
        gap: DurationUs::from_seconds(1),
        defect_permille: 100,
        duplicate_permille: 30,
    }
}

/// The batch query that builds the samples from the complete logs (tables [`EVENTS_TABLE`] and
/// [`FEATURES_TABLE`]); `{before}` and `{after}` are the feature interval's bounds in seconds.
pub const BATCH_QUERY: &str = "WITH first_features AS (
  SELECT request_id, item, ts, user_ctr, item_popularity
  FROM (
    SELECT request_id, item, ts, user_ctr, item_popularity,
           ROW_NUMBER() OVER (PARTITION BY request_id, item ORDER BY arrival, seq) AS n
    FROM feature_log
  ) AS ranked
  WHERE n = 1
),
labels AS (
  SELECT request_id, item,
         min(CASE WHEN kind = 'exposure' THEN ts END) AS exposure_ts,
         sum(CASE WHEN kind = 'click' THEN 1 ELSE 0 END) > 0 AS clicked,
         sum(CASE WHEN kind = 'play' THEN play_time_seconds ELSE 0 END) AS play_time_seconds,
         min(CASE WHEN kind = 'exposure' THEN scene END) AS scene,
         min(CASE WHEN kind = 'exposure' THEN exp_id END) AS exp_id
  FROM rec_events
  GROUP BY request_id, item
)
SELECT l.request_id, l.item, l.exposure_ts, l.clicked, l.play_time_seconds, l.scene, l.exp_id,
       f.user_ctr, f.item_popularity
FROM labels AS l
JOIN first_features AS f
  ON f.request_id = l.request_id AND f.item = l.item
 AND f.ts BETWEEN l.exposure_ts - INTERVAL '{before}' SECOND
              AND l.exposure_ts + INTERVAL '{after}' SECOND
ORDER BY l.request_id, l.item";

/// The events table's name in SQL.
pub const EVENTS_TABLE: &str = "rec_events";
/// The feature log's name in SQL.
pub const FEATURES_TABLE: &str = "feature_log";

fn field(name: &str, data_type: DataType) -> Field {
    Field {
        name: name.into(),
        data_type,
    }
}

/// The events as a SQL table, in arrival order: `seq, request_id, item, kind, ts, arrival,
/// play_time_seconds, scene, exp_id, partition`.
pub fn events_table(events: &[RecEvent]) -> Table {
    let fields = vec![
        field("seq", DataType::BigInt),
        field("request_id", DataType::BigInt),
        field("item", DataType::BigInt),
        field("kind", DataType::Text),
        field("ts", DataType::Timestamp),
        field("arrival", DataType::Timestamp),
        field("play_time_seconds", DataType::BigInt),
        field("scene", DataType::Text),
        field("exp_id", DataType::BigInt),
        field("partition", DataType::BigInt),
    ];
    let rows: Vec<Vec<Value>> = events
        .iter()
        .enumerate()
        .map(|(seq, e)| {
            vec![
                Value::BigInt(seq as i64),
                Value::BigInt(e.request_id.0 as i64),
                Value::BigInt(e.item.0 as i64),
                Value::text(e.kind.name()),
                Value::Timestamp(e.ts.0),
                Value::Timestamp(e.arrival.0),
                Value::BigInt(e.play_time_seconds),
                crate::stream_sql::sql_value(&e.scene, DataType::Text),
                Value::BigInt(e.exp_id),
                Value::BigInt(i64::from(e.partition.0)),
            ]
        })
        .collect();
    Table::from_rows(fields, &rows)
}

/// The feature callbacks as a SQL table, in arrival order: `seq, request_id, item, ts, arrival,
/// user_ctr, item_popularity`.
pub fn features_table(features: &[FeatureCallback]) -> Table {
    let fields = vec![
        field("seq", DataType::BigInt),
        field("request_id", DataType::BigInt),
        field("item", DataType::BigInt),
        field("ts", DataType::Timestamp),
        field("arrival", DataType::Timestamp),
        field("user_ctr", DataType::Double),
        field("item_popularity", DataType::BigInt),
    ];
    let rows: Vec<Vec<Value>> = features
        .iter()
        .enumerate()
        .map(|(seq, f)| {
            let feature = |i: usize, data_type| {
                f.features
                    .get(i)
                    .map_or(Value::Null, |v| crate::stream_sql::sql_value(v, data_type))
            };
            vec![
                Value::BigInt(seq as i64),
                Value::BigInt(f.request_id.0 as i64),
                Value::BigInt(f.item.0 as i64),
                Value::Timestamp(f.ts.0),
                Value::Timestamp(f.arrival.0),
                feature(0, DataType::Double),
                feature(1, DataType::BigInt),
            ]
        })
        .collect();
    Table::from_rows(fields, &rows)
}

/// The batch query with the interval of `config` filled in.
pub fn batch_query(config: &SamplesConfig) -> String {
    BATCH_QUERY
        .replace(
            "{before}",
            &(config.feature_before.0 / US_PER_SECOND).to_string(),
        )
        .replace(
            "{after}",
            &(config.feature_after.0 / US_PER_SECOND).to_string(),
        )
}

/// The samples built in batch by the SQL engine over the complete log, in key order, or the
/// engine's error as text.
pub fn batch_samples_sql(
    log: &RecommenderLog,
    config: &SamplesConfig,
) -> Result<Vec<Sample>, String> {
    let mut session = Session::new();
    session.add_sample(EVENTS_TABLE, events_table(&log.events));
    session.add_sample(FEATURES_TABLE, features_table(&log.features));
    let table =
        crate::lesson::sql::result_of(&session, &batch_query(config)).map_err(|e| e.to_string())?;
    let mut samples = Vec::with_capacity(table.rows);
    for r in 0..table.rows {
        let row: Vec<StreamValue> = table
            .columns
            .iter()
            .map(|c| crate::stream_sql::stream_value(&c.get(r)))
            .collect();
        let int = |v: &StreamValue| match v {
            StreamValue::Int(i) => Ok(*i),
            other => Err(format!("expected a whole number, got {other}")),
        };
        let [request, item, StreamValue::Time(exposure_ts), clicked, play, scene, exp_id, ctr, popularity] =
            row.as_slice()
        else {
            return Err(format!(
                "row {r} of the batch query has an unexpected shape"
            ));
        };
        samples.push(Sample {
            request_id: crate::streaming::generate::recommender::RequestId(int(request)? as u64),
            item: crate::streaming::generate::recommender::ItemId(int(item)? as u64),
            exposure_ts: *exposure_ts,
            clicked: matches!(clicked, StreamValue::Bool(true)),
            play_time_seconds: int(play)?,
            scene: scene.clone(),
            exp_id: int(exp_id)?,
            features: vec![ctr.clone(), popularity.clone()],
        });
    }
    Ok(samples)
}

/// A streamed negative that the complete data labels positive: its click came after the wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeNegative {
    pub key: SampleKey,
    pub exposure_ts: TimeUs,
    /// The click's event time.
    pub click_ts: TimeUs,
    /// When the stream emitted the negative sample.
    pub emitted_at: TimeUs,
}

impl FakeNegative {
    /// Seconds from the exposure to the click.
    pub fn click_delay_s(&self) -> i64 {
        (self.click_ts.0 - self.exposure_ts.0).div_euclid(US_PER_SECOND)
    }
}

/// One replay of the log through the samples pipeline, diagnosed against the batch samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRun {
    pub wait: DurationUs,
    pub emitted: Vec<EmittedSample>,
    pub stats: SampleStats,
    /// Streaming against batch (SQL); None when the batch query failed.
    pub diagnosis: Option<Diagnosis>,
    /// The first [`FAKE_NEGATIVES_LISTED`] fake negatives, in key order.
    pub fake_negatives: Vec<FakeNegative>,
}

impl SampleRun {
    /// Captured positives over all eventual positives, in permille: the label recall against
    /// the batch truth when the batch ran (else the pipeline's own bound).
    pub fn recall_permille(&self) -> Option<i64> {
        match self.diagnosis {
            Some(d) if d.batch_positives > 0 => {
                let captured = d.streaming_positives;
                let eventual = captured + d.label_mismatches;
                (eventual > 0).then(|| (captured * 1000 / eventual) as i64)
            }
            _ => self
                .stats
                .label_recall()
                .map(|r| (r * 1000.0).round() as i64),
        }
    }

    /// Mean seconds from exposure to sample.
    pub fn freshness_s(&self) -> Option<i64> {
        self.stats
            .mean_freshness()
            .map(|d| d.0.div_euclid(US_PER_SECOND))
    }

    /// Fake negatives in all (streamed negatives the batch labels positive).
    pub fn fake_negative_count(&self) -> u64 {
        self.diagnosis.map_or(0, |d| d.label_mismatches)
    }
}

/// A point of the wait sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepPoint {
    pub wait_s: i64,
    pub recall_permille: i64,
    pub freshness_s: i64,
    pub samples: u64,
    pub fake_negatives: u64,
}

/// What follows from the seed alone, shared by every copy of a lab.
#[derive(Debug)]
struct Shared {
    rng: Rng,
    log: OnceCell<Result<Rc<RecommenderLog>, String>>,
    batch: OnceCell<Result<Rc<Vec<Sample>>, String>>,
    runs: RefCell<BTreeMap<i64, Rc<Result<SampleRun, String>>>>,
    orders: OnceCell<Result<Rc<Vec<BronzeOrder>>, String>>,
}

/// The medallion's state at one tick, derived from the orders and the action changes.
#[derive(Clone, Debug, PartialEq)]
pub struct MedallionView {
    pub medallion: Medallion,
    /// The tick the view is of.
    pub now: u64,
    /// Updates run so far (successful and failed).
    pub triggers: u64,
    /// The latest update: its report, or why it failed (then nothing of it was written).
    pub last: Option<Result<UpdateReport, UpdateFailure>>,
    /// The tick of the latest update.
    pub last_at: Option<u64>,
    /// The tick of the next update.
    pub next_at: u64,
    /// Violations of `warn` expectations, written anyway (a row that fails two counts twice, as
    /// the per-expectation metrics count it).
    pub warned_rows: u64,
}

impl MedallionView {
    /// Whether the latest update failed (the pipeline is stuck until an action changes).
    pub fn failing(&self) -> bool {
        matches!(self.last, Some(Err(_)))
    }

    /// Rows that passed an expectation only because its value was NULL, over every expectation.
    pub fn null_passed(&self) -> u64 {
        self.medallion
            .expectation_metrics()
            .iter()
            .map(|m| m.unknown)
            .sum()
    }

    /// Silver rows whose `amount` satisfies `test`.
    pub fn silver_amounts(&self, test: impl Fn(&StreamValue) -> bool) -> u64 {
        let config = self.medallion.config();
        let Some(column) = config.schema.iter().position(|c| c.name == "amount") else {
            return 0;
        };
        self.medallion
            .silver()
            .iter()
            .filter(|row| test(&row.values[column]))
            .count() as u64
    }

    /// One expectation's counters, by name.
    pub fn expectation(&self, name: &str) -> Option<&ExpectationMetrics> {
        self.medallion
            .expectation_metrics()
            .iter()
            .find(|m| m.name == name)
    }

    /// Whether gold equals a recount of silver (rows and totals per key).
    pub fn gold_matches_silver(&self) -> bool {
        let config = self.medallion.config();
        let column = |name: &str| config.schema.iter().position(|c| c.name == name);
        let (Some(group), Some(sum)) = (column(&config.gold.group_by), column(&config.gold.sum_of))
        else {
            return false;
        };
        let mut recount: BTreeMap<StreamValue, (u64, f64)> = BTreeMap::new();
        for row in self.medallion.silver() {
            let entry = recount.entry(row.values[group].clone()).or_default();
            entry.0 += 1;
            entry.1 += row.values[sum].as_f64().unwrap_or(0.0);
        }
        let gold = self.medallion.gold();
        gold.len() == recount.len()
            && gold.iter().all(|g| {
                recount.get(&g.key).is_some_and(|(rows, total)| {
                    *rows == g.rows && (g.total.as_f64().unwrap_or(0.0) - total).abs() < 1e-6
                })
            })
    }
}

/// A medallion replayed up to a tick, and where to go on from.
#[derive(Clone, Debug)]
struct MedallionRun {
    view: Rc<MedallionView>,
    /// Orders ingested into bronze so far.
    ingested: usize,
    /// Action changes applied so far.
    applied: usize,
    /// The tick of the next update.
    trigger: u64,
    /// How many action changes the run was made with.
    changes: usize,
}

/// An expectation's action changed at a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionChange {
    pub tick: u64,
    pub expectation: String,
    pub action: Action,
}

/// The pipelines' settings (state) and what follows from them (not state).
#[derive(Clone, Debug)]
pub struct Pipes {
    sample_wait: DurationUs,
    changes: Vec<ActionChange>,
    shared: Rc<Shared>,
    medallion: RefCell<Option<Rc<MedallionRun>>>,
}

/// Two labs' pipes are equal when their settings are; what is derived is not state.
impl PartialEq for Pipes {
    fn eq(&self, other: &Pipes) -> bool {
        self.sample_wait == other.sample_wait
            && self.changes == other.changes
            && self.shared.rng == other.shared.rng
    }
}

impl Pipes {
    /// The pipes of a new lab; `rng` is the lab's streaming fork.
    pub fn new(rng: &Rng) -> Pipes {
        Pipes {
            sample_wait: SAMPLE_WAIT_DEFAULT,
            changes: Vec::new(),
            shared: Rc::new(Shared {
                rng: rng.fork("pipes"),
                log: OnceCell::new(),
                batch: OnceCell::new(),
                runs: RefCell::new(BTreeMap::new()),
                orders: OnceCell::new(),
            }),
            medallion: RefCell::new(None),
        }
    }

    pub fn sample_wait(&self) -> DurationUs {
        self.sample_wait
    }

    /// The action changes, oldest first.
    pub fn action_changes(&self) -> &[ActionChange] {
        &self.changes
    }

    /// The actions in force now, in the expectations' order.
    pub fn actions(&self) -> Vec<(String, Action)> {
        let mut config = MedallionConfig::orders();
        for change in &self.changes {
            if let Some(e) = config
                .expectations
                .iter_mut()
                .find(|e| e.name == change.expectation)
            {
                e.action = change.action;
            }
        }
        config
            .expectations
            .into_iter()
            .map(|e| (e.name, e.action))
            .collect()
    }

    /// Checks a pipes command.
    pub fn validate(&self, command: &StreamCommand) -> Result<(), StreamRefusal> {
        match command {
            StreamCommand::SetSampleWait { wait } => {
                if wait.0 < US_PER_SECOND || *wait > SAMPLE_WAIT_MAX {
                    return Err((
                        format!("a label wait of {} is out of range", super::seconds(*wait)),
                        format!(
                            "give a wait between 1 s and {} (the production pipeline waits 900 s; a \
                             longer wait outlives the join state's 40-minute TTL)",
                            super::seconds(SAMPLE_WAIT_MAX)
                        ),
                    ));
                }
                Ok(())
            }
            StreamCommand::SetExpectationAction {
                expectation,
                action,
            } => {
                let actions = self.actions();
                let Some((_, current)) = actions.iter().find(|(name, _)| name == expectation)
                else {
                    let names: Vec<&str> = actions.iter().map(|(n, _)| n.as_str()).collect();
                    let hint = sim::text::did_you_mean(expectation, names.iter().copied())
                        .unwrap_or_else(|| format!("the expectations are {}", names.join(", ")));
                    let shown: String =
                        expectation.chars().take(EXPECTATION_NAME_LEN_MAX).collect();
                    return Err((format!("no expectation is named \"{shown}\""), hint));
                };
                if current == action {
                    return Err((
                        format!("{expectation} already does {}", action.name()),
                        "choose another action: warn, drop or fail".into(),
                    ));
                }
                if self.changes.len() >= ACTION_CHANGES_MAX {
                    return Err((
                        format!("this lab has changed expectations {ACTION_CHANGES_MAX} times"),
                        "start a new lab to change them again".into(),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Applies a pipes command at `now` (validated by the caller).
    pub fn apply(&mut self, command: &StreamCommand, now: Tick) -> Vec<StreamEvent> {
        match command {
            StreamCommand::SetSampleWait { wait } => {
                self.sample_wait = *wait;
                vec![StreamEvent::SampleWaitSet { wait: *wait }]
            }
            StreamCommand::SetExpectationAction {
                expectation,
                action,
            } => {
                self.changes.push(ActionChange {
                    tick: now.0,
                    expectation: expectation.clone(),
                    action: *action,
                });
                self.medallion = RefCell::new(None);
                vec![StreamEvent::ExpectationActionSet {
                    expectation: expectation.clone(),
                    action: action.name().into(),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// Feeds the settings to the state hash, only once they differ from a new lab's, so that
    /// older links keep their fingerprints.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        if self.sample_wait != SAMPLE_WAIT_DEFAULT {
            hasher.str("sample-wait");
            hasher.u64(self.sample_wait.0 as u64);
        }
        if !self.changes.is_empty() {
            hasher.str("expectation-actions");
            hasher.u64(self.changes.len() as u64);
            for change in &self.changes {
                hasher.u64(change.tick);
                hasher.str(&change.expectation);
                hasher.str(change.action.name());
            }
        }
    }

    /// The recorded recommender log.
    pub fn log(&self) -> Result<Rc<RecommenderLog>, String> {
        self.shared
            .log
            .get_or_init(|| {
                RecommenderLog::generate(&log_config(), &self.shared.rng)
                    .map(Rc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The batch samples (SQL) over the whole log.
    pub fn batch(&self) -> Result<Rc<Vec<Sample>>, String> {
        self.shared
            .batch
            .get_or_init(|| {
                let log = self.log()?;
                batch_samples_sql(&log, &samples_config(SAMPLE_WAIT_DEFAULT)).map(Rc::new)
            })
            .clone()
    }

    /// The replay with the current wait.
    pub fn samples(&self) -> Rc<Result<SampleRun, String>> {
        self.run_with(self.sample_wait)
    }

    /// The replay with a given wait (kept for later).
    pub fn run_with(&self, wait: DurationUs) -> Rc<Result<SampleRun, String>> {
        if let Some(run) = self.shared.runs.borrow().get(&wait.0) {
            return run.clone();
        }
        let run = Rc::new(self.replay(wait));
        let mut runs = self.shared.runs.borrow_mut();
        if runs.len() >= RUNS_KEPT {
            runs.clear();
        }
        runs.insert(wait.0, run.clone());
        run
    }

    /// The sweep over [`SWEEP_WAITS_S`] (points whose replay failed are left out).
    pub fn sweep(&self) -> Vec<SweepPoint> {
        SWEEP_WAITS_S
            .iter()
            .filter_map(|&wait_s| {
                let run = self.run_with(DurationUs::from_seconds(wait_s));
                let run = run.as_ref().as_ref().ok()?;
                Some(SweepPoint {
                    wait_s,
                    recall_permille: run.recall_permille()?,
                    freshness_s: run.freshness_s()?,
                    samples: run.stats.samples_out,
                    fake_negatives: run.fake_negative_count(),
                })
            })
            .collect()
    }

    fn replay(&self, wait: DurationUs) -> Result<SampleRun, String> {
        let log = self.log()?;
        let config = samples_config(wait);
        let mut pipeline = SamplePipeline::new(config).map_err(|e| e.to_string())?;
        let emitted = run_pipeline(&mut pipeline, &log.events, &log.features, REPLAY_TICK);
        let streamed: Vec<Sample> = emitted.iter().map(|e| e.sample.clone()).collect();
        let batch = self.batch().ok();
        let diagnosis = batch.as_ref().map(|batch| diagnose(&streamed, batch));
        let mut fake_negatives = Vec::new();
        if let Some(batch) = &batch {
            let positive: BTreeMap<SampleKey, ()> = sim::sort::collect_map(
                batch
                    .iter()
                    .filter(|s| s.clicked)
                    .map(|s| ((s.request_id, s.item), ())),
            );
            let mut clicks: BTreeMap<SampleKey, TimeUs> = BTreeMap::new();
            for e in log.events.iter().filter(|e| e.kind == RecEventKind::Click) {
                let at = clicks.entry((e.request_id, e.item)).or_insert(e.ts);
                *at = (*at).min(e.ts);
            }
            let mut negatives: Vec<&EmittedSample> = emitted
                .iter()
                .filter(|e| !e.sample.clicked)
                .filter(|e| positive.contains_key(&(e.sample.request_id, e.sample.item)))
                .collect();
            sim::sort::sort_by_key(&mut negatives, |e| (e.sample.request_id, e.sample.item));
            fake_negatives = negatives
                .into_iter()
                .take(FAKE_NEGATIVES_LISTED)
                .map(|e| {
                    let key = (e.sample.request_id, e.sample.item);
                    FakeNegative {
                        key,
                        exposure_ts: e.sample.exposure_ts,
                        click_ts: clicks.get(&key).copied().unwrap_or(e.sample.exposure_ts),
                        emitted_at: e.emitted_at,
                    }
                })
                .collect();
        }
        Ok(SampleRun {
            wait,
            stats: pipeline.stats(),
            emitted,
            diagnosis,
            fake_negatives,
        })
    }

    /// The order feed (bronze as it will arrive).
    pub fn orders(&self) -> Result<Rc<Vec<BronzeOrder>>, String> {
        self.shared
            .orders
            .get_or_init(|| {
                bronze_orders(&orders_config(), &self.shared.rng)
                    .map(Rc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The medallion at tick `now` (computed on first use for that tick).
    pub fn medallion(&self, now: Tick) -> Result<Rc<MedallionView>, String> {
        let cached = self.medallion.borrow().clone();
        if let Some(run) = cached.as_ref().filter(|r| r.view.now == now.0) {
            return Ok(run.view.clone());
        }
        // A later tick of the same state's history goes on from the cached run (the run of the
        // state this one was copied from); anything else starts over.
        let from = cached.filter(|r| r.view.now < now.0 && r.changes == self.changes.len());
        let run = Rc::new(self.run_medallion(from.as_deref(), now.0)?);
        *self.medallion.borrow_mut() = Some(run.clone());
        Ok(run.view.clone())
    }

    /// The medallion at `now`, going on from `from` (an earlier tick with the same changes) or
    /// from the start.
    fn run_medallion(&self, from: Option<&MedallionRun>, now: u64) -> Result<MedallionRun, String> {
        let orders = self.orders()?;
        let mut run = match from {
            Some(run) => MedallionRun {
                view: Rc::new((*run.view).clone()),
                ..*run
            },
            None => MedallionRun {
                view: Rc::new(MedallionView {
                    medallion: Medallion::new(MedallionConfig::orders())
                        .map_err(|e| e.to_string())?,
                    now: 0,
                    triggers: 0,
                    last: None,
                    last_at: None,
                    next_at: TRIGGER_TICKS,
                    warned_rows: 0,
                }),
                ingested: 0,
                applied: 0,
                trigger: TRIGGER_TICKS,
                changes: self.changes.len(),
            },
        };
        let MedallionRun {
            view,
            ingested,
            applied,
            trigger,
            ..
        } = &mut run;
        let view = Rc::make_mut(view);
        let mut ingest_until = |medallion: &mut Medallion, until: TimeUs| {
            while let Some(order) = orders.get(*ingested).filter(|o| o.arrival <= until) {
                medallion.ingest([order.payload.as_str()], order.arrival);
                *ingested += 1;
            }
        };
        let mut apply_changes = |medallion: &mut Medallion, before: u64| {
            while let Some(change) = self.changes.get(*applied).filter(|c| c.tick < before) {
                medallion
                    .set_action(&change.expectation, change.action)
                    .map_err(|e| e.to_string())?;
                *applied += 1;
            }
            Ok::<(), String>(())
        };
        while *trigger <= now {
            apply_changes(&mut view.medallion, *trigger)?;
            ingest_until(&mut view.medallion, at(*trigger));
            let warn: Vec<bool> = view
                .medallion
                .config()
                .expectations
                .iter()
                .map(|e| e.action == Action::Warn)
                .collect();
            let result = view.medallion.update();
            if let Ok(report) = &result {
                view.warned_rows += report
                    .expectations
                    .iter()
                    .zip(&warn)
                    .filter(|(_, w)| **w)
                    .map(|(m, _)| m.failed)
                    .sum::<u64>();
            }
            view.last = Some(result);
            view.last_at = Some(*trigger);
            view.triggers += 1;
            *trigger += TRIGGER_TICKS;
        }
        // The actions shown are those in force now; bronze holds what has arrived by now.
        apply_changes(&mut view.medallion, now + 1)?;
        ingest_until(&mut view.medallion, at(now));
        view.now = now;
        view.next_at = *trigger;
        Ok(run)
    }

    /// The recorded logs as SQL tables (the medallion's tables are
    /// [`super::StreamLab::pipe_tables`]'s: its bronze may be a topic).
    pub fn log_tables(&self) -> Vec<(String, Table)> {
        let mut tables = Vec::new();
        if let Ok(log) = self.log() {
            tables.push((EVENTS_TABLE.to_string(), events_table(&log.events)));
            tables.push((FEATURES_TABLE.to_string(), features_table(&log.features)));
        }
        tables
    }
}

/// The medallion's tables as SQL: `bronze_orders (offset, arrival, payload)`, `silver_orders`
/// (the silver schema plus `offset`) and `gold_orders (user, orders, revenue)`.
pub fn medallion_tables(medallion: &Medallion) -> Vec<(String, Table)> {
    let bronze_rows: Vec<Vec<Value>> = medallion
        .bronze()
        .iter()
        .map(|b| {
            vec![
                Value::BigInt(b.offset as i64),
                Value::Timestamp(b.arrival.0),
                Value::text(&b.payload),
            ]
        })
        .collect();
    let bronze = Table::from_rows(
        vec![
            field("offset", DataType::BigInt),
            field("arrival", DataType::Timestamp),
            field("payload", DataType::Text),
        ],
        &bronze_rows,
    );
    let schema = &medallion.config().schema;
    let sql_type = |ty: crate::streaming::medallion::ColumnType| match ty {
        crate::streaming::medallion::ColumnType::Int => DataType::BigInt,
        crate::streaming::medallion::ColumnType::Float => DataType::Double,
        crate::streaming::medallion::ColumnType::Text => DataType::Text,
        crate::streaming::medallion::ColumnType::Time => DataType::Timestamp,
    };
    let mut silver_fields = vec![field("offset", DataType::BigInt)];
    silver_fields.extend(schema.iter().map(|c| field(&c.name, sql_type(c.ty))));
    let silver_rows: Vec<Vec<Value>> = medallion
        .silver()
        .iter()
        .map(|row| {
            let mut values = vec![Value::BigInt(row.offset as i64)];
            values.extend(
                row.values
                    .iter()
                    .zip(schema)
                    .map(|(v, c)| crate::stream_sql::sql_value(v, sql_type(c.ty))),
            );
            values
        })
        .collect();
    let silver = Table::from_rows(silver_fields, &silver_rows);
    let gold_rows: Vec<Vec<Value>> = medallion
        .gold()
        .iter()
        .map(|g| {
            vec![
                crate::stream_sql::sql_value(&g.key, DataType::Text),
                Value::BigInt(g.rows as i64),
                crate::stream_sql::sql_value(&g.total, DataType::Double),
            ]
        })
        .collect();
    let gold = Table::from_rows(
        vec![
            field("user", DataType::Text),
            field("orders", DataType::BigInt),
            field("revenue", DataType::Double),
        ],
        &gold_rows,
    );
    vec![
        ("bronze_orders".to_string(), bronze),
        ("silver_orders".to_string(), silver),
        ("gold_orders".to_string(), gold),
    ]
}

/// `stream.FIELD` of the pipes, or None when `field` is not one of theirs (or has no value yet);
/// `medallion` gives the medallion on show (the replay's, or the one reading the bronze topic).
pub fn value(
    pipes: &Pipes,
    medallion: impl Fn() -> Option<Rc<MedallionView>>,
    field: &str,
) -> Option<i64> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let samples = || pipes.samples();
    Some(match field {
        "sample_wait_s" => pipes.sample_wait().0 / US_PER_SECOND,
        "samples" => n(samples().as_ref().as_ref().ok()?.stats.samples_out),
        "positives" => n(samples().as_ref().as_ref().ok()?.stats.positives),
        "negatives" => n(samples().as_ref().as_ref().ok()?.stats.negatives),
        "late_positives" => n(samples().as_ref().as_ref().ok()?.stats.late_positives),
        "fake_negatives" => n(samples().as_ref().as_ref().ok()?.fake_negative_count()),
        "label_recall_permille" => samples().as_ref().as_ref().ok()?.recall_permille()?,
        "sample_freshness_s" => samples().as_ref().as_ref().ok()?.freshness_s()?,
        "batch_samples" => n(pipes.batch().ok()?.len() as u64),
        "missing_samples" => n(samples()
            .as_ref()
            .as_ref()
            .ok()?
            .diagnosis?
            .missing_in_stream),
        "feature_mismatches" => n(samples()
            .as_ref()
            .as_ref()
            .ok()?
            .diagnosis?
            .feature_mismatches),
        "lost_to_ttl" => n(samples().as_ref().as_ref().ok()?.stats.rows_lost_to_ttl),
        "bronze_rows" => n(medallion()?.medallion.bronze().len() as u64),
        "silver_rows" => n(medallion()?.medallion.silver().len() as u64),
        "dropped_rows" => n(medallion()?.medallion.totals().dropped),
        "duplicate_rows" => n(medallion()?.medallion.totals().duplicates),
        "unparsable_rows" => n(medallion()?.medallion.totals().unparsable),
        "warned_rows" => n(medallion()?.warned_rows),
        "null_passed" => n(medallion()?.null_passed()),
        "updates" => n(medallion()?.medallion.updates().0),
        "failed_updates" => n(medallion()?.medallion.updates().1),
        "pipeline_failing" => i64::from(medallion()?.failing()),
        "negative_in_silver" => {
            n(medallion()?.silver_amounts(|a| a.as_f64().is_some_and(|x| x < 0.0)))
        }
        "null_amount_in_silver" => n(medallion()?.silver_amounts(StreamValue::is_null)),
        "null_amount_dropped" => n(medallion()?.expectation("has_amount")?.dropped),
        "gold_rows" => n(medallion()?.medallion.gold().len() as u64),
        "gold_matches_silver" => i64::from(medallion()?.gold_matches_silver()),
        _ => return None,
    })
}
