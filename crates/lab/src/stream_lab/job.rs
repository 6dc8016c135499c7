//! The streaming lab's job: a windowed SQL query deployed over the clicks topic, its reads, its
//! checkpoints and its sink, and the click generator that feeds the topic.

use super::clicks::{click_table, read_clicks, ClickRecord};
use super::command::StreamEvent;
use super::{JobSettings, StreamRefusal, CLICKS_TOPIC, OUTPUT_TOPIC, PUSH_VIEW};
use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::producer::ProducerId;
use crate::stream_sql::StreamQuery;
use crate::streaming::aggregate::{FiringKind, WindowedAggregate};
use crate::streaming::generate::clicks::{ClickStream, ClickStreamConfig};
use crate::streaming::generate::Disorder;
use crate::streaming::job::{Delivered, Job, JobStatus};
use crate::streaming::operator::SourceRecord;
use crate::streaming::value::{DurationUs, StreamValue, TimeUs};
use crate::streaming::watermark::PartitionId;
use features::model::FeatureRow;
use features::store::push::PushMode;
use features::store::FeatureStore;
use features::value::{FeatureValue, KeyTuple, TimestampUs};
use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Rows of the job's output kept for the page.
pub const SINK_ROWS_KEPT: usize = 200;
/// Late (dropped) clicks kept for the page.
pub const LATE_CLICKS_KEPT: usize = 50;

/// A row the job's sink wrote: the output query's columns, when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkRow {
    pub tick: u64,
    pub values: Vec<StreamValue>,
    pub kind: FiringKind,
    /// The checkpoint the row was written after (under exactly-once, the one that committed it).
    pub checkpoint: u64,
    /// The same window and key with the same values was written before: a duplicate downstream.
    pub duplicate: bool,
}

/// The deployed job.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamJob {
    query: Rc<StreamQuery>,
    job: Job<WindowedAggregate>,
    /// The output query's column names.
    columns: Vec<String>,
    sink: VecDeque<SinkRow>,
    sink_written: u64,
    /// Rows written per kind (first, update, retract); not hashed: they follow from the
    /// hashed state, as `sink_written` does.
    kinds_written: [u64; 3],
    duplicates: u64,
    /// Every (window, key, values) written, to count duplicates.
    written: std::collections::BTreeSet<Vec<StreamValue>>,
    late: VecDeque<ClickRecord>,
    checkpoints_seen: u64,
}

/// What the page shows of the job.
pub struct JobView<'a> {
    pub query: &'a StreamQuery,
    pub operator: &'a WindowedAggregate,
    pub columns: &'a [String],
    pub sink: &'a VecDeque<SinkRow>,
    pub late: &'a VecDeque<ClickRecord>,
}

impl StreamJob {
    /// Compiles the query against the clicks topic and deploys it with empty state, reading
    /// from the earliest offsets.
    pub fn deploy(settings: &JobSettings, partitions: u32) -> Result<StreamJob, StreamRefusal> {
        let query =
            StreamQuery::compile(&settings.query, CLICKS_TOPIC, &super::clicks::click_fields())
                .map_err(|e| {
                    let hint = e.hint.clone().unwrap_or_else(|| {
                        "a job query windows the clicks topic: FROM TUMBLE(clicks, event_time, INTERVAL '10' SECOND)".into()
                    });
                    (e.to_string(), hint)
                })?;
        let operator = WindowedAggregate::new(query.config(
            settings.delay,
            settings.allowed_lateness,
            settings.idle_timeout,
            partitions,
            settings.mode,
        ))
        .map_err(|e| (e.message, e.hint))?;
        let job = Job::new(
            operator,
            partitions,
            settings.guarantee,
            settings.checkpoint_interval,
        )
        .map_err(|e| (e.message, e.hint))?;
        Ok(StreamJob {
            columns: query.output_columns().to_vec(),
            query: Rc::new(query),
            job,
            sink: VecDeque::new(),
            sink_written: 0,
            kinds_written: [0; 3],
            duplicates: 0,
            written: Default::default(),
            late: VecDeque::new(),
            checkpoints_seen: 0,
        })
    }

    pub fn is_running(&self) -> bool {
        self.job.status() == JobStatus::Running
    }

    pub fn view(&self) -> JobView<'_> {
        JobView {
            query: &self.query,
            operator: self.job.operator(),
            columns: &self.columns,
            sink: &self.sink,
            late: &self.late,
        }
    }

    pub fn job(&self) -> &Job<WindowedAggregate> {
        &self.job
    }

    pub fn sink_written(&self) -> u64 {
        self.sink_written
    }

    /// Rows the sink wrote of one kind (first firings, updates, retractions).
    pub fn kinds_written(&self, kind: FiringKind) -> u64 {
        self.kinds_written[kind_index(kind)]
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Records committed to the clicks topic (below each partition's high watermark) that the
    /// job has not read yet: its consumer lag.
    pub fn lag(&self, cluster: &Cluster) -> u64 {
        let Some(topic) = cluster.topics().get(CLICKS_TOPIC) else {
            return 0;
        };
        topic
            .partitions()
            .iter()
            .map(|p| {
                p.hw()
                    .0
                    .saturating_sub(self.job.next_offset(PartitionId(p.id().0)))
            })
            .sum()
    }

    pub fn crash(&mut self) {
        self.job.crash();
    }

    pub fn restart(&mut self, now: TimeUs) -> StreamEvent {
        let before: u64 = self.positions().values().sum();
        self.job.restart(now);
        let after: u64 = self.positions().values().sum();
        StreamEvent::JobRestarted {
            checkpoint: self.job.stats().checkpoints,
            rewound_records: before.saturating_sub(after),
        }
    }

    fn positions(&self) -> BTreeMap<u32, u64> {
        sim::sort::collect_map(
            (0..self.job.partitions()).map(|p| (p, self.job.next_offset(PartitionId(p)))),
        )
    }

    /// One tick of work: read what the partitions committed since the job's positions, project
    /// it with SQL, process it, let processing time pass (idleness, checkpoints). Returns what
    /// the sink should write now and the events to trace.
    pub fn run_tick(
        &mut self,
        cluster: &Cluster,
        now: TimeUs,
        tick: u64,
    ) -> (Vec<(FiringKind, Vec<StreamValue>)>, Vec<StreamEvent>) {
        self.run_tick_at_most(cluster, now, tick, None)
    }

    /// [`StreamJob::run_tick`] reading at most `per_partition` records of each partition (a
    /// slowed job: the rest wait for the next tick, so its lag grows); None reads everything.
    pub(crate) fn run_tick_at_most(
        &mut self,
        cluster: &Cluster,
        now: TimeUs,
        tick: u64,
        per_partition: Option<usize>,
    ) -> (Vec<(FiringKind, Vec<StreamValue>)>, Vec<StreamEvent>) {
        if !self.is_running() {
            return (Vec::new(), Vec::new());
        }
        let mut clicks = read_clicks(cluster, CLICKS_TOPIC, &self.positions());
        if let Some(limit) = per_partition {
            let mut taken: BTreeMap<u32, usize> = BTreeMap::new();
            clicks.retain(|c| {
                let n = taken.entry(c.partition).or_insert(0);
                *n += 1;
                *n <= limit
            });
        }
        let mut delivered = Vec::new();
        if !clicks.is_empty() {
            let (records, pushed) = self.records(&clicks, now);
            let late_before = self.job.operator().late_rows().len();
            // The records come from the job's own positions, in order, so the job takes them.
            delivered.extend(self.job.process(&records, now).unwrap_or_default());
            for click in &clicks {
                self.job
                    .skip_past(PartitionId(click.partition), click.offset);
            }
            self.keep_late(&pushed, late_before);
        }
        delivered.extend(self.job.on_processing_time(now));
        let mut events = Vec::new();
        let checkpoints = self.job.stats().checkpoints;
        if checkpoints > self.checkpoints_seen {
            self.checkpoints_seen = checkpoints;
            events.push(StreamEvent::CheckpointCompleted {
                checkpoint: checkpoints,
            });
        }
        (self.take_output(delivered, tick), events)
    }

    /// The clicks the query's WHERE keeps, as the operator's records, with the clicks
    /// themselves (the rest only move the job's positions on).
    fn records<'c>(
        &self,
        clicks: &'c [ClickRecord],
        now: TimeUs,
    ) -> (Vec<SourceRecord>, Vec<&'c ClickRecord>) {
        let projected = self.query.project_rows(click_table(clicks));
        clicks
            .iter()
            .zip(projected)
            .filter_map(|(click, row)| {
                let row = row?;
                let record = SourceRecord {
                    partition: PartitionId(click.partition),
                    offset: click.offset,
                    arrival: now,
                    ts: row.ts,
                    key: row.key,
                    values: row.values,
                };
                Some((record, click))
            })
            .unzip()
    }

    /// Keeps the clicks of this batch the operator dropped as late, for the page.
    fn keep_late(&mut self, pushed: &[&ClickRecord], late_before: usize) {
        let late = self.job.operator().late_rows();
        let dropped = late.len().saturating_sub(late_before);
        // The batch's rows were numbered after the rows the operator took in before it.
        let first_row = self.job.operator().stats().rows_in - pushed.len() as u64;
        let batch_late: Vec<u64> = late[late.len() - dropped..].to_vec();
        for row in batch_late {
            if let Some(click) = pushed.get((row - first_row) as usize) {
                if self.late.len() == LATE_CLICKS_KEPT {
                    self.late.pop_front();
                }
                self.late.push_back((*click).clone());
            }
        }
    }

    /// Turns delivered firings into the output query's rows, counting duplicates.
    fn take_output(
        &mut self,
        delivered: Vec<Delivered>,
        tick: u64,
    ) -> Vec<(FiringKind, Vec<StreamValue>)> {
        let mut out = Vec::new();
        for d in delivered {
            let Some(firing) = self.query.firing_of(&d.record) else {
                continue;
            };
            let kind = firing.kind;
            let Ok(rows) = self.query.output_rows(std::slice::from_ref(&firing)) else {
                continue;
            };
            for values in rows {
                let mut identity = values.clone();
                identity.push(StreamValue::text(kind_name(kind)));
                let duplicate = !self.written.insert(identity);
                self.duplicates += u64::from(duplicate);
                self.sink_written += 1;
                self.kinds_written[kind_index(kind)] += 1;
                if self.sink.len() == SINK_ROWS_KEPT {
                    self.sink.pop_front();
                }
                self.sink.push_back(SinkRow {
                    tick,
                    values: values.clone(),
                    kind,
                    checkpoint: d.checkpoint,
                    duplicate,
                });
                out.push((kind, values));
            }
        }
        out
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        self.job.hash_into(hasher);
        hasher.u64(self.sink_written);
        hasher.u64(self.duplicates);
        hasher.u64(self.late.len() as u64);
    }
}

fn kind_index(kind: FiringKind) -> usize {
    match kind {
        FiringKind::First => 0,
        FiringKind::Update => 1,
        FiringKind::Retract => 2,
    }
}

/// A firing kind's name on the page and in the output topic.
pub fn kind_name(kind: FiringKind) -> &'static str {
    match kind {
        FiringKind::First => "first",
        FiringKind::Update => "update",
        FiringKind::Retract => "retract",
    }
}

/// Writes what the job delivered: every row to the output topic (JSON keyed by the row's first
/// key column), and rows with `user_id` and `window_end` pushed to the feature store's
/// `user_activity` view with their `clicks` and `amount` (NULL when the query has no such column).
pub fn sink(
    cluster: &mut Cluster,
    store: Option<&mut FeatureStore>,
    producer: ProducerId,
    columns: &[String],
    rows: &[(FiringKind, Vec<StreamValue>)],
    now: Tick,
) {
    let index = |name: &str| columns.iter().position(|c| c == name);
    for (kind, values) in rows {
        let mut object = serde_json::Map::new();
        for (name, value) in columns.iter().zip(values) {
            object.insert(name.clone(), json_value(value));
        }
        object.insert("kind".into(), kind_name(*kind).into());
        let key = index("user_id")
            .and_then(|i| values.get(i))
            .map(|v| v.to_string());
        let produce = BrokerCommand::Produce {
            producer,
            topic: OUTPUT_TOPIC.into(),
            partition: None,
            key,
            value: Some(serde_json::Value::Object(object).to_string()),
            count: 1,
            header: None,
        };
        // The output topic may refuse (no leader): the row is lost downstream, as with acks=1
        // and a dead leader; the job does not block on it.
        let _ = cluster.apply(&produce, now);
    }
    let (Some(store), Some(user), Some(end)) = (store, index("user_id"), index("window_end"))
    else {
        return;
    };
    let feature = |values: &[StreamValue], name: &str| {
        index(name)
            .and_then(|i| values.get(i))
            .map_or(FeatureValue::Null, feature_value)
    };
    let pushed: Vec<FeatureRow> = rows
        .iter()
        .filter(|(kind, _)| *kind != FiringKind::Retract)
        .filter_map(|(_, values)| {
            let StreamValue::Time(end) = values.get(end)? else {
                return None;
            };
            Some(FeatureRow {
                keys: KeyTuple(vec![feature_value(values.get(user)?)]),
                event_ts: Some(TimestampUs(end.0)),
                created_ts: None,
                seq: 0,
                values: vec![feature(values, "clicks"), feature(values, "amount")],
            })
        })
        .collect();
    if !pushed.is_empty() {
        // The view is the preset's own, so a push cannot name an unknown view.
        let _ = store.push(PUSH_VIEW, pushed, PushMode::OnlineAndOffline);
    }
}

pub(crate) fn json_value(value: &StreamValue) -> serde_json::Value {
    match value {
        StreamValue::Null => serde_json::Value::Null,
        StreamValue::Bool(b) => (*b).into(),
        StreamValue::Int(i) => (*i).into(),
        StreamValue::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        StreamValue::Text(s) => s.to_string().into(),
        StreamValue::Time(t) => t.format().into(),
    }
}

pub(crate) fn feature_value(value: &StreamValue) -> FeatureValue {
    match value {
        StreamValue::Null => FeatureValue::Null,
        StreamValue::Bool(b) => FeatureValue::Bool(*b),
        StreamValue::Int(i) => FeatureValue::Int(*i),
        StreamValue::Float(f) => FeatureValue::Float(*f),
        StreamValue::Text(s) => FeatureValue::Str(Rc::clone(s)),
        StreamValue::Time(t) => FeatureValue::Timestamp(TimestampUs(t.0)),
    }
}

/// The click generator: the stream engine's generated click stream at the lab's rate and
/// disorder. A new rate or disorder restarts it at that instant from a fork of its random stream
/// named by how many times it was set, so a replay draws the same clicks.
#[derive(Clone, Debug, PartialEq)]
pub struct Generator {
    rng: Rng,
    stream: Option<ClickStream>,
    clicks_per_second: u32,
    max_delay: DurationUs,
    partitions: u32,
    settings_changed: u64,
}

/// A click the generator sends.
pub struct GeneratedClick {
    pub partition: u32,
    pub user: String,
    pub page: String,
    pub amount: i64,
    pub event_time: TimeUs,
}

/// Users of the generated stream.
const USERS: u32 = 12;
/// Share of clicks that arrive far later than the typical disorder (a phone back online), ‰.
const VERY_LATE_PERMILLE: u16 = 20;

impl Generator {
    /// The lab's generator: 2 clicks per second per partition, up to 1 s of disorder.
    pub fn new(rng: Rng, partitions: u32) -> Generator {
        let mut generator = Generator {
            rng,
            stream: None,
            clicks_per_second: 2,
            max_delay: DurationUs::from_seconds(1),
            partitions,
            settings_changed: 0,
        };
        generator.restart(super::clicks::tick_time(0));
        generator
    }

    pub fn clicks_per_second(&self) -> u32 {
        self.clicks_per_second
    }

    pub fn max_delay(&self) -> DurationUs {
        self.max_delay
    }

    /// New settings from the next tick on.
    pub fn set(&mut self, clicks_per_second: u32, max_delay: DurationUs, now: TimeUs) {
        self.clicks_per_second = clicks_per_second;
        self.max_delay = max_delay;
        self.settings_changed += 1;
        self.restart(now);
    }

    fn restart(&mut self, start: TimeUs) {
        let config = ClickStreamConfig {
            users: USERS,
            partitions: self.partitions,
            events_per_second: self.clicks_per_second.max(1),
            start,
            disorder: Disorder::HeavyTail {
                typical: self.max_delay,
                late_permille: VERY_LATE_PERMILLE,
                late_max: DurationUs(self.max_delay.0 * 5 + 5_000_000),
            },
            idle: None,
            duplicate_permille: 0,
        };
        let rng = self
            .rng
            .fork(&format!("settings/{}", self.settings_changed));
        self.stream = (self.clicks_per_second > 0)
            .then(|| ClickStream::new(config, &rng).ok())
            .flatten();
    }

    /// The clicks that reach the producer in `[from, to)`.
    pub fn clicks_between(&mut self, from: TimeUs, to: TimeUs) -> Vec<GeneratedClick> {
        let Some(stream) = &mut self.stream else {
            return Vec::new();
        };
        stream
            .events_between(from, to)
            .into_iter()
            .map(|e| GeneratedClick {
                partition: e.partition.0,
                user: e.key.first().map_or_else(String::new, |k| k.to_string()),
                page: e.values.first().map_or_else(String::new, |v| v.to_string()),
                amount: match e.values.get(1) {
                    Some(StreamValue::Int(a)) => *a,
                    _ => 0,
                },
                event_time: e.ts,
            })
            .collect()
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(u64::from(self.clicks_per_second));
        hasher.u64(self.max_delay.0 as u64);
        hasher.u64(self.settings_changed);
        hasher.u64(self.stream.as_ref().map_or(0, |s| s.in_flight() as u64));
    }
}
