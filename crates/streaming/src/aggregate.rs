//! Windowed aggregation with watermarks, allowed lateness and emit modes.
//!
//! The operator of Flink's `WindowOperator` with an `EventTimeTrigger`, in the lab's one-scale
//! semantics: a row is late when its event time is below the watermark `W` as it was before the
//! row; a window `[start, end)` fires once `W >= end`; it still accepts late rows while
//! `end + allowed_lateness > W` (each accepted late row fires it again at once, as Flink's late
//! firings do) and is purged when `end + allowed_lateness <= W`. A row none of whose windows is
//! alive goes to the late output; a hopping row that lost only some of its windows is counted
//! apart. Sessions are per key and half-open: a row opens `[ts, ts + gap)` and merges with the
//! key's live sessions that overlap it, so rows exactly `gap` apart stay apart and one firing rule
//! serves every window kind (Flink, Spark and Kafka Streams merge touching sessions instead). A
//! merged session is a new window: the sessions it swallowed are retracted if they were emitted.
//!
//! Emit modes say when a window's row leaves the operator: on close (Flink's default), final
//! (Spark's append, ksqlDB's EMIT FINAL), changes (Spark's update, ksqlDB's EMIT CHANGES) and
//! complete (Spark's complete: the whole table after every row, nothing purged, no row dropped).
//!
//! State is one `BTreeMap` from (window in firing order `(end, start)`, key hash, key) to the
//! accumulators, so firing and purging walk the front of the map, a row costs one lookup that
//! compares integers until the last step, and the per-row path allocates only when a (window,
//! key) is new. Purged windows keep their final values for [`WindowedAggregate::results`].

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::value::{DurationUs, Key, StreamError, StreamValue, TimeUs};
use crate::watermark::{self, PartitionId, PartitionWatermark, WatermarkTracker};
use crate::window::{Window, WindowSpec};

/// An aggregate function over a column of the input row (SQL's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    /// `count(*)`: rows.
    CountStar,
    /// `count(x)`: non-NULL values.
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

/// One aggregate of a query: a function and the index of its input in [`InputRow::values`]
/// (None for `count(*)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggSpec {
    pub func: AggFn,
    pub input: Option<usize>,
}

/// When a window's row is emitted (Spark's output modes, ksqlDB's emit clauses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitMode {
    /// Once, when the window closes for good (`W >= end + lateness`): Spark's append, ksqlDB's EMIT FINAL.
    Final,
    /// When the watermark reaches the end, then again for each accepted late row (Flink's default).
    OnClose,
    /// After every row that changes a window: Spark's update, ksqlDB's EMIT CHANGES.
    Changes,
    /// The whole result after every row, nothing purged: Spark's complete (a demo mode).
    Complete,
}

/// A windowed aggregation's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowedAggConfig {
    pub window: WindowSpec,
    /// The watermark is the maximum event time seen minus this delay.
    pub delay: DurationUs,
    /// How long after its end a window still accepts late rows.
    pub allowed_lateness: DurationUs,
    /// A partition with no row for this long (processing time) stops holding the watermark back.
    pub idle_timeout: Option<DurationUs>,
    /// Input partitions (numbered 0..partitions).
    pub partitions: u32,
    pub aggs: Vec<AggSpec>,
    pub mode: EmitMode,
}

/// One input row: its partition, event time (None = NULL, refused as invalid), arrival time on
/// the processing-time clock, grouping key and the values the aggregates read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputRow {
    pub partition: PartitionId,
    pub ts: Option<TimeUs>,
    pub arrival: TimeUs,
    pub key: Key,
    pub values: Vec<StreamValue>,
}

/// What happened to one input row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFate {
    /// At or after the watermark.
    OnTime,
    /// Below the watermark, but every window it belongs to still accepted it.
    LateAccepted,
    /// Below the watermark; some of its (hopping) windows had closed, `dropped` of them.
    PartlyDropped { dropped: usize },
    /// Below the watermark and every window it belongs to had closed: sent to the late output.
    Dropped,
    /// Its event time was NULL.
    Invalid,
}

/// Why a window's row is in an emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FiringKind {
    /// The watermark reached the window's end (or, in `Changes`/`Complete`, the row's current value).
    First,
    /// A late row changed a window that had fired: its new value.
    Update,
    /// The window no longer exists (a late row merged it into a larger session): take it back.
    Retract,
}

/// A window's row: its window, key and aggregate values (in [`WindowedAggConfig::aggs`] order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    pub window: Window,
    pub key: Key,
    pub aggs: Vec<StreamValue>,
    pub kind: FiringKind,
}

/// Rows emitted at one moment: after input row `after_row` (0-based, in push order), or on a
/// processing-time tick or the end of input (None), with the watermark after that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emit {
    pub after_row: Option<u64>,
    pub watermark: TimeUs,
    pub rows: Vec<Firing>,
}

/// Counters for the UI and the goals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AggStats {
    pub rows_in: u64,
    pub on_time: u64,
    pub late_accepted: u64,
    pub partly_dropped: u64,
    pub dropped: u64,
    pub invalid: u64,
    /// Windows (per key) currently held in state.
    pub open_windows: u64,
    pub fired: u64,
    pub purged: u64,
}

/// The most input partitions one operator merges watermarks over.
pub const MAX_PARTITIONS: u32 = 4_096;

/// A window of one key held in state, for the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenWindow {
    pub window: Window,
    pub key: Key,
    pub aggs: Vec<StreamValue>,
    /// Whether the watermark has reached its end.
    pub fired: bool,
    /// Rows it holds.
    pub rows: u64,
}

impl AggFn {
    /// The SQL name (`count` for both counts).
    pub fn name(self) -> &'static str {
        match self {
            AggFn::CountStar | AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Avg => "avg",
        }
    }

    /// The function of a SQL name, any case (`count` is `count(x)`; `count(*)` is the caller's).
    pub fn parse(name: &str) -> Option<AggFn> {
        match name.to_ascii_lowercase().as_str() {
            "count" => Some(AggFn::Count),
            "sum" => Some(AggFn::Sum),
            "min" => Some(AggFn::Min),
            "max" => Some(AggFn::Max),
            "avg" => Some(AggFn::Avg),
            _ => None,
        }
    }
}

impl EmitMode {
    /// Every mode, for lists and hints.
    pub const ALL: [EmitMode; 4] = [
        EmitMode::OnClose,
        EmitMode::Final,
        EmitMode::Changes,
        EmitMode::Complete,
    ];

    /// The mode's name in the CLI and the lab: `final`, `on-close`, `changes`, `complete`.
    pub fn name(self) -> &'static str {
        match self {
            EmitMode::Final => "final",
            EmitMode::OnClose => "on-close",
            EmitMode::Changes => "changes",
            EmitMode::Complete => "complete",
        }
    }

    /// The mode of a name, any case (`on_close` too).
    pub fn parse(name: &str) -> Option<EmitMode> {
        let name = name.to_ascii_lowercase().replace('_', "-");
        EmitMode::ALL.into_iter().find(|mode| mode.name() == name)
    }
}

/// One aggregate's running state for one (window, key).
#[derive(Clone, Debug, PartialEq)]
enum Accumulator {
    CountRows(i64),
    CountValues(i64),
    /// Integers are summed exactly (so the result does not depend on arrival order), floats apart.
    Sum {
        ints: i128,
        floats: f64,
        saw_float: bool,
        values: u64,
    },
    Min(Option<StreamValue>),
    Max(Option<StreamValue>),
    Avg {
        ints: i128,
        floats: f64,
        values: u64,
    },
}

impl Accumulator {
    fn new(func: AggFn) -> Accumulator {
        match func {
            AggFn::CountStar => Accumulator::CountRows(0),
            AggFn::Count => Accumulator::CountValues(0),
            AggFn::Sum => Accumulator::Sum {
                ints: 0,
                floats: 0.0,
                saw_float: false,
                values: 0,
            },
            AggFn::Min => Accumulator::Min(None),
            AggFn::Max => Accumulator::Max(None),
            AggFn::Avg => Accumulator::Avg {
                ints: 0,
                floats: 0.0,
                values: 0,
            },
        }
    }

    /// Adds one row's input value (NULLs count only for `count(*)`; non-numbers add nothing to
    /// sums and averages).
    fn add(&mut self, value: &StreamValue) {
        match self {
            Accumulator::CountRows(n) => *n += 1,
            Accumulator::CountValues(n) => *n += i64::from(!value.is_null()),
            Accumulator::Sum {
                ints,
                floats,
                saw_float,
                values,
            } => match value {
                StreamValue::Int(i) => {
                    *ints += i128::from(*i);
                    *values += 1;
                }
                StreamValue::Float(f) => {
                    *floats += f;
                    *saw_float = true;
                    *values += 1;
                }
                _ => {}
            },
            Accumulator::Avg {
                ints,
                floats,
                values,
            } => match value {
                StreamValue::Int(i) => {
                    *ints += i128::from(*i);
                    *values += 1;
                }
                StreamValue::Float(f) => {
                    *floats += f;
                    *values += 1;
                }
                _ => {}
            },
            Accumulator::Min(best) => keep_best(best, value, std::cmp::Ordering::Less),
            Accumulator::Max(best) => keep_best(best, value, std::cmp::Ordering::Greater),
        }
    }

    /// Folds another accumulator of the same function in (sessions merging).
    fn merge(&mut self, other: Accumulator) {
        match (self, other) {
            (Accumulator::CountRows(a), Accumulator::CountRows(b))
            | (Accumulator::CountValues(a), Accumulator::CountValues(b)) => *a += b,
            (
                Accumulator::Sum {
                    ints,
                    floats,
                    saw_float,
                    values,
                },
                Accumulator::Sum {
                    ints: other_ints,
                    floats: other_floats,
                    saw_float: other_saw_float,
                    values: other_values,
                },
            ) => {
                *ints += other_ints;
                *floats += other_floats;
                *saw_float |= other_saw_float;
                *values += other_values;
            }
            (
                Accumulator::Avg {
                    ints,
                    floats,
                    values,
                },
                Accumulator::Avg {
                    ints: other_ints,
                    floats: other_floats,
                    values: other_values,
                },
            ) => {
                *ints += other_ints;
                *floats += other_floats;
                *values += other_values;
            }
            (Accumulator::Min(best), Accumulator::Min(Some(value))) => {
                keep_best(best, &value, std::cmp::Ordering::Less)
            }
            (Accumulator::Max(best), Accumulator::Max(Some(value))) => {
                keep_best(best, &value, std::cmp::Ordering::Greater)
            }
            _ => {}
        }
    }

    /// The aggregate's value: NULL over no values (except counts); a sum of integers is an
    /// integer (a float if it leaves the 64-bit range), with any float a float; avg a float.
    fn value(&self) -> StreamValue {
        match self {
            Accumulator::CountRows(n) | Accumulator::CountValues(n) => StreamValue::Int(*n),
            Accumulator::Sum { values: 0, .. } | Accumulator::Avg { values: 0, .. } => {
                StreamValue::Null
            }
            Accumulator::Sum {
                ints,
                floats,
                saw_float,
                ..
            } => match i64::try_from(*ints) {
                Ok(int) if !saw_float => StreamValue::Int(int),
                _ => StreamValue::Float(*ints as f64 + floats),
            },
            Accumulator::Avg {
                ints,
                floats,
                values,
            } => StreamValue::Float((*ints as f64 + floats) / *values as f64),
            Accumulator::Min(best) | Accumulator::Max(best) => {
                best.clone().unwrap_or(StreamValue::Null)
            }
        }
    }
}

/// Replaces `best` by `value` when `value` is not NULL and compares as `wanted` to it.
fn keep_best(best: &mut Option<StreamValue>, value: &StreamValue, wanted: std::cmp::Ordering) {
    if value.is_null() {
        return;
    }
    let better = match best {
        None => true,
        Some(current) => value.total_cmp(current) == wanted,
    };
    if better {
        *best = Some(value.clone());
    }
}

/// The state of one (window, key).
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    accumulators: Vec<Accumulator>,
    rows: u64,
    /// The watermark has reached the window's end.
    fired: bool,
    /// Its row has left the operator (so a merge must retract it).
    emitted: bool,
}

impl Slot {
    fn new(aggs: &[AggSpec]) -> Slot {
        Slot {
            accumulators: aggs
                .iter()
                .map(|spec| Accumulator::new(spec.func))
                .collect(),
            rows: 0,
            fired: false,
            emitted: false,
        }
    }

    fn add(&mut self, aggs: &[AggSpec], values: &[StreamValue]) {
        let null = StreamValue::Null;
        for (accumulator, spec) in self.accumulators.iter_mut().zip(aggs) {
            let value = spec.input.and_then(|i| values.get(i)).unwrap_or(&null);
            accumulator.add(value);
        }
        self.rows += 1;
    }

    /// The state carried into a new (merged) session: its values, not its firing history.
    fn into_new_window(self) -> Slot {
        Slot {
            fired: false,
            emitted: false,
            ..self
        }
    }

    fn merge(&mut self, other: Slot) {
        for (mine, theirs) in self.accumulators.iter_mut().zip(other.accumulators) {
            mine.merge(theirs);
        }
        self.rows += other.rows;
    }

    fn values(&self) -> Vec<StreamValue> {
        self.accumulators.iter().map(Accumulator::value).collect()
    }

    fn firing(&self, window: Window, key: &Key, kind: FiringKind) -> Firing {
        Firing {
            window,
            key: key.clone(),
            aggs: self.values(),
            kind,
        }
    }
}

/// A grouping key behind its 64-bit FNV hash. State is ordered by (window, hash, key), so finding
/// a key's state compares integers held in the tree's nodes and looks at the key's values only
/// on the final match: with 10k text keys that is what keeps the per-row cost flat. Firing order
/// is by key, so every emit sorts a window's rows by key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct HashedKey {
    hash: u64,
    key: Key,
}

impl HashedKey {
    fn new(key: Key) -> HashedKey {
        let mut hasher = sim::state_hash::StateHasher::new();
        for value in &key {
            value.hash_into(&mut hasher);
        }
        HashedKey {
            hash: hasher.finish(),
            key,
        }
    }

    /// The smallest key of all (a range bound).
    fn lowest() -> HashedKey {
        HashedKey {
            hash: 0,
            key: Vec::new(),
        }
    }
}

/// Where one (window, key)'s state lives: ordered by window (firing order), then key hash.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SlotId {
    window: Window,
    key: HashedKey,
}

impl SlotId {
    /// Below every slot of windows ending at `end` or later.
    fn first_ending_at(end: TimeUs) -> SlotId {
        SlotId {
            window: Window {
                start: TimeUs::MIN,
                end,
            },
            key: HashedKey::lowest(),
        }
    }
}

/// Sorts rows by (window, key): firing order.
fn sort_in_firing_order(rows: &mut [Firing]) {
    sim::sort::sort_by(rows, |a, b| {
        a.window.cmp(&b.window).then_with(|| a.key.cmp(&b.key))
    });
}

/// The operator's state (Clone is its checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowedAggregate {
    config: WindowedAggConfig,
    tracker: WatermarkTracker,
    /// Live (window, key) states in firing order (keys by hash within a window).
    slots: BTreeMap<SlotId, Slot>,
    /// Live sessions per key, `start -> end` (disjoint, so also ordered by end).
    sessions: BTreeMap<HashedKey, BTreeMap<TimeUs, TimeUs>>,
    /// Final values of purged windows, in firing order.
    closed: Vec<Firing>,
    late_rows: Vec<u64>,
    stats: AggStats,
}

fn validate_config(config: &WindowedAggConfig) -> Result<(), StreamError> {
    config.window.validate()?;
    watermark::validate_settings(config.delay, config.idle_timeout)?;
    if config.allowed_lateness.0 < 0 {
        return Err(StreamError::new(
            format!(
                "the allowed lateness must not be negative ({} µs)",
                config.allowed_lateness.0
            ),
            "allowed lateness is how long after its end a window still takes late rows; 0 \
             closes it as soon as the watermark passes its end",
        ));
    }
    if config.partitions == 0 || config.partitions > MAX_PARTITIONS {
        return Err(StreamError::new(
            format!(
                "a stream reads 1 to {MAX_PARTITIONS} input partitions, not {}",
                config.partitions
            ),
            "read a file as one partition (0), a topic with one per topic partition",
        ));
    }
    for spec in &config.aggs {
        if spec.func != AggFn::CountStar && spec.input.is_none() {
            return Err(StreamError::new(
                format!("{}() needs an input column", spec.func.name()),
                "only count(*) counts rows without reading a column",
            ));
        }
    }
    Ok(())
}

impl WindowedAggregate {
    /// A new operator, or why the settings are impossible.
    pub fn new(config: WindowedAggConfig) -> Result<WindowedAggregate, StreamError> {
        validate_config(&config)?;
        let tracker = WatermarkTracker::new(config.partitions, config.delay, config.idle_timeout);
        Ok(WindowedAggregate {
            config,
            tracker,
            slots: BTreeMap::new(),
            sessions: BTreeMap::new(),
            closed: Vec::new(),
            late_rows: Vec::new(),
            stats: AggStats::default(),
        })
    }

    /// Takes one row (rows are numbered 0.. in push order): what happened to it, and what it made
    /// the operator emit.
    pub fn push(&mut self, row: InputRow) -> (RowFate, Option<Emit>) {
        let number = self.stats.rows_in;
        self.stats.rows_in += 1;
        let Some(ts) = row.ts else {
            self.count_fate(RowFate::Invalid, number);
            return (RowFate::Invalid, None);
        };
        let before = self.tracker.current();
        let mut rows = Vec::new();
        let key = HashedKey::new(row.key);
        let fate = match self.config.window {
            WindowSpec::Session { gap } => {
                self.add_to_session(ts, gap, key, &row.values, before, &mut rows)
            }
            _ => self.add_to_aligned(ts, key, &row.values, before, &mut rows),
        };
        self.count_fate(fate, number);
        self.tracker.observe(row.partition, ts, row.arrival);
        self.watermark_moved(before, &mut rows);
        if self.keeps_everything() {
            self.list_everything(&mut rows);
        }
        (fate, self.emit(Some(number), rows))
    }

    /// Processing time reached `now`: idle partitions may let the watermark advance and fire.
    pub fn on_processing_time(&mut self, now: TimeUs) -> Option<Emit> {
        let before = self.tracker.current();
        if !self.tracker.on_processing_time(now) {
            return None;
        }
        let mut rows = Vec::new();
        self.watermark_moved(before, &mut rows);
        if self.keeps_everything() {
            self.list_everything(&mut rows);
        }
        self.emit(None, rows)
    }

    /// The end of input: the watermark goes to `+inf`, every window fires and is purged.
    pub fn finish(&mut self) -> Option<Emit> {
        let before = self.tracker.current();
        if before == TimeUs::MAX {
            return None;
        }
        self.tracker.finish();
        let mut rows = Vec::new();
        self.watermark_moved(before, &mut rows);
        if self.keeps_everything() {
            self.list_everything(&mut rows);
        }
        self.emit(None, rows)
    }

    /// The current value of every window seen so far (fired or not, purged included, sessions
    /// merged away excluded), ordered by (end, start, key): after [`WindowedAggregate::finish`],
    /// the final result.
    pub fn results(&self) -> Vec<Firing> {
        let mut all = self.closed.clone();
        all.extend(
            self.slots
                .iter()
                .map(|(id, slot)| slot.firing(id.window, &id.key.key, FiringKind::First)),
        );
        sort_in_firing_order(&mut all);
        all
    }

    /// Forgets the final values of purged windows, so [`WindowedAggregate::results`] lists only
    /// the windows still held. A job that runs for as long as the lab does sends every result to
    /// its sink as it fires, and keeping them all here would grow its state (and every
    /// checkpoint's copy) without end.
    pub fn forget_closed(&mut self) {
        self.closed.clear();
    }

    /// The job's watermark.
    pub fn watermark(&self) -> TimeUs {
        self.tracker.current()
    }

    /// Each input partition's watermark.
    pub fn watermarks(&self) -> Vec<PartitionWatermark> {
        self.tracker.partitions()
    }

    pub fn stats(&self) -> AggStats {
        self.stats
    }

    /// Push numbers of the rows sent to the late output (every window they belong to had closed).
    pub fn late_rows(&self) -> &[u64] {
        &self.late_rows
    }

    /// Every (window, key) held in state, in firing order.
    pub fn open_windows(&self) -> Vec<OpenWindow> {
        let mut open: Vec<OpenWindow> = self
            .slots
            .iter()
            .map(|(id, slot)| OpenWindow {
                window: id.window,
                key: id.key.key.clone(),
                aggs: slot.values(),
                fired: slot.fired,
                rows: slot.rows,
            })
            .collect();
        sim::sort::sort_by(&mut open, |a, b| {
            a.window.cmp(&b.window).then_with(|| a.key.cmp(&b.key))
        });
        open
    }

    pub fn config(&self) -> &WindowedAggConfig {
        &self.config
    }

    /// Feeds the operator's state to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        self.tracker.hash_into(hasher);
        hasher.u64(self.slots.len() as u64);
        for (id, slot) in &self.slots {
            hash_window(hasher, id.window);
            hash_values(hasher, &id.key.key);
            hash_values(hasher, &slot.values());
            hasher.u64(slot.rows);
            hasher.u64(u64::from(slot.fired) | u64::from(slot.emitted) << 1);
        }
        hasher.u64(self.closed.len() as u64);
        for firing in &self.closed {
            hash_window(hasher, firing.window);
            hash_values(hasher, &firing.key);
            hash_values(hasher, &firing.aggs);
        }
        hasher.u64(self.late_rows.len() as u64);
        for row in &self.late_rows {
            hasher.u64(*row);
        }
        let s = self.stats;
        for counter in [
            s.rows_in,
            s.on_time,
            s.late_accepted,
            s.partly_dropped,
            s.dropped,
            s.invalid,
            s.open_windows,
            s.fired,
            s.purged,
        ] {
            hasher.u64(counter);
        }
    }

    /// Complete mode keeps every window and takes every row.
    fn keeps_everything(&self) -> bool {
        self.config.mode == EmitMode::Complete
    }

    /// Whether a window ending at `end` still takes rows at watermark `w`: `end + L > w`.
    fn is_alive(&self, end: TimeUs, w: TimeUs) -> bool {
        self.keeps_everything() || end.plus(self.config.allowed_lateness) > w
    }

    fn count_fate(&mut self, fate: RowFate, number: u64) {
        match fate {
            RowFate::OnTime => self.stats.on_time += 1,
            RowFate::LateAccepted => self.stats.late_accepted += 1,
            RowFate::PartlyDropped { .. } => self.stats.partly_dropped += 1,
            RowFate::Dropped => {
                self.stats.dropped += 1;
                self.late_rows.push(number);
            }
            RowFate::Invalid => self.stats.invalid += 1,
        }
    }

    /// Adds a row to the state of `id` (created if new) and fires it if the watermark `before`
    /// had already reached its end. Returns the id, so the caller gets its key back.
    fn add_to_slot(
        &mut self,
        id: SlotId,
        values: &[StreamValue],
        before: TimeUs,
        out: &mut Vec<Firing>,
    ) -> SlotId {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.add(&self.config.aggs, values);
            after_row_added(&self.config, &mut self.stats, &id, slot, before, out);
            return id;
        }
        let mut slot = Slot::new(&self.config.aggs);
        slot.add(&self.config.aggs, values);
        after_row_added(&self.config, &mut self.stats, &id, &mut slot, before, out);
        self.slots.insert(id.clone(), slot);
        self.stats.open_windows += 1;
        id
    }

    /// Tumbling and hopping rows: update every window of `ts` that is still alive.
    fn add_to_aligned(
        &mut self,
        ts: TimeUs,
        mut key: HashedKey,
        values: &[StreamValue],
        before: TimeUs,
        out: &mut Vec<Firing>,
    ) -> RowFate {
        let mut windows = 0;
        let mut alive = 0;
        for window in self.config.window.windows_of(ts) {
            windows += 1;
            if !self.is_alive(window.end, before) {
                continue;
            }
            alive += 1;
            key = self
                .add_to_slot(SlotId { window, key }, values, before, out)
                .key;
        }
        fate_of(ts, before, windows, alive)
    }

    /// Session rows: merge the proto-window `[ts, ts + gap)` with the key's live sessions that
    /// overlap it.
    fn add_to_session(
        &mut self,
        ts: TimeUs,
        gap: DurationUs,
        key: HashedKey,
        values: &[StreamValue],
        before: TimeUs,
        out: &mut Vec<Firing>,
    ) -> RowFate {
        let proto = Window {
            start: ts,
            end: ts.plus(gap),
        };
        let (merged, overlapping) = self.merged_session(&key, proto);
        if !self.is_alive(merged.end, before) {
            return RowFate::Dropped;
        }
        let id = SlotId {
            window: merged,
            key,
        };
        if overlapping == 1 && self.slots.contains_key(&id) {
            self.add_to_slot(id, values, before, out);
        } else {
            self.merge_sessions(id, proto, values, before, out);
        }
        fate_of(ts, before, 1, 1)
    }

    /// The session `proto` becomes with the key's live sessions that overlap it
    /// (`s.start < proto.end && proto.start < s.end`), and how many those are.
    fn merged_session(&self, key: &HashedKey, proto: Window) -> (Window, usize) {
        let Some(index) = self.sessions.get(key) else {
            return (proto, 0);
        };
        index
            .range(..proto.end)
            .rev()
            .take_while(|(_, end)| **end > proto.start)
            .fold((proto, 0), |(merged, count), (start, end)| {
                let window = Window {
                    start: merged.start.min(*start),
                    end: merged.end.max(*end),
                };
                (window, count + 1)
            })
    }

    /// Replaces the key's sessions overlapping `proto` by one session `id.window` holding them
    /// and the row; those already emitted are retracted.
    fn merge_sessions(
        &mut self,
        id: SlotId,
        proto: Window,
        values: &[StreamValue],
        before: TimeUs,
        out: &mut Vec<Firing>,
    ) {
        let SlotId {
            window: merged,
            mut key,
        } = id;
        // The overlapping sessions are exactly those starting in [merged.start, proto.end); the
        // first one's state (or a new one) becomes the merged session's.
        let mut slot: Option<Slot> = None;
        if let Some(index) = self.sessions.get_mut(&key) {
            while let Some((&start, &end)) = index.range(merged.start..proto.end).next() {
                index.remove(&start);
                let old = Window { start, end };
                let old_id = SlotId { window: old, key };
                if let Some(old_slot) = self.slots.remove(&old_id) {
                    self.stats.open_windows -= 1;
                    if old_slot.emitted && self.config.mode != EmitMode::Complete {
                        out.push(old_slot.firing(old, &old_id.key.key, FiringKind::Retract));
                    }
                    match &mut slot {
                        Some(slot) => slot.merge(old_slot),
                        None => slot = Some(old_slot.into_new_window()),
                    }
                }
                key = old_id.key;
            }
            index.insert(merged.start, merged.end);
        } else {
            let mut index = BTreeMap::new();
            index.insert(merged.start, merged.end);
            self.sessions.insert(key.clone(), index);
        }
        let mut slot = slot.unwrap_or_else(|| Slot::new(&self.config.aggs));
        slot.add(&self.config.aggs, values);
        let id = SlotId {
            window: merged,
            key,
        };
        // Only an empty proto-window at the very end of time (`[MAX, MAX)`) can find a session
        // with its bounds that it does not overlap: the row joins it.
        if let Some(existing) = self.slots.get_mut(&id) {
            existing.merge(slot);
            after_row_added(&self.config, &mut self.stats, &id, existing, before, out);
        } else {
            after_row_added(&self.config, &mut self.stats, &id, &mut slot, before, out);
            self.slots.insert(id, slot);
            self.stats.open_windows += 1;
        }
    }

    /// After the watermark moved from `before`: fire the windows it reached, purge those it
    /// closed.
    fn watermark_moved(&mut self, before: TimeUs, out: &mut Vec<Firing>) {
        let now = self.tracker.current();
        if now > before {
            self.fire_reached(before, now, out);
            if !self.keeps_everything() {
                self.purge_closed(now, out);
            }
        }
    }

    /// Complete mode's emit: the whole table, every window marked emitted.
    fn list_everything(&mut self, out: &mut Vec<Firing>) {
        out.clear();
        for (id, slot) in self.slots.iter_mut() {
            slot.emitted = true;
            out.push(slot.firing(id.window, &id.key.key, FiringKind::First));
        }
        sort_in_firing_order(out);
    }

    /// Fires, in (end, start, key) order, the windows with `before < end <= now`.
    fn fire_reached(&mut self, before: TimeUs, now: TimeUs, out: &mut Vec<Firing>) {
        let on_close = self.config.mode == EmitMode::OnClose;
        let from = Bound::Included(SlotId::first_ending_at(TimeUs(before.0 + 1)));
        let to = match now.0.checked_add(1) {
            Some(after_now) => Bound::Excluded(SlotId::first_ending_at(TimeUs(after_now))),
            None => Bound::Unbounded,
        };
        let mark = out.len();
        for (id, slot) in self.slots.range_mut((from, to)) {
            if slot.fired {
                continue;
            }
            slot.fired = true;
            self.stats.fired += 1;
            if on_close {
                slot.emitted = true;
                out.push(slot.firing(id.window, &id.key.key, FiringKind::First));
            }
        }
        sort_in_firing_order(&mut out[mark..]);
    }

    /// Purges the windows with `end + L <= now`, keeping their final values for
    /// [`WindowedAggregate::results`]; final mode emits them now.
    fn purge_closed(&mut self, now: TimeUs, out: &mut Vec<Firing>) {
        let lateness = self.config.allowed_lateness;
        let mark = self.closed.len();
        while let Some(entry) = self.slots.first_entry() {
            if entry.key().window.end.plus(lateness) > now {
                break;
            }
            let (id, slot) = entry.remove_entry();
            if let Some(index) = self.sessions.get_mut(&id.key) {
                index.remove(&id.window.start);
                if index.is_empty() {
                    self.sessions.remove(&id.key);
                }
            }
            self.stats.open_windows -= 1;
            self.stats.purged += 1;
            self.closed.push(Firing {
                window: id.window,
                aggs: slot.values(),
                key: id.key.key,
                kind: FiringKind::First,
            });
        }
        sort_in_firing_order(&mut self.closed[mark..]);
        if self.config.mode == EmitMode::Final {
            out.extend_from_slice(&self.closed[mark..]);
        }
    }

    fn emit(&self, after_row: Option<u64>, rows: Vec<Firing>) -> Option<Emit> {
        if rows.is_empty() {
            return None;
        }
        Some(Emit {
            after_row,
            watermark: self.tracker.current(),
            rows,
        })
    }
}

/// What a row did: late when below the watermark it met; dropped when none of its `windows`
/// was `alive`, partly dropped when only some were.
fn fate_of(ts: TimeUs, before: TimeUs, windows: usize, alive: usize) -> RowFate {
    if alive == 0 {
        RowFate::Dropped
    } else if alive < windows {
        RowFate::PartlyDropped {
            dropped: windows - alive,
        }
    } else if ts < before {
        RowFate::LateAccepted
    } else {
        RowFate::OnTime
    }
}

/// A row was just added to `slot`: a window the watermark had already reached fires now (its
/// first firing if it is new, else an update, in on-close mode); in changes mode every changed
/// window is emitted.
fn after_row_added(
    config: &WindowedAggConfig,
    stats: &mut AggStats,
    id: &SlotId,
    slot: &mut Slot,
    before: TimeUs,
    out: &mut Vec<Firing>,
) {
    let reached = id.window.end <= before;
    let first = reached && !slot.fired;
    if first {
        slot.fired = true;
        stats.fired += 1;
    }
    let kind = match config.mode {
        EmitMode::OnClose if first => FiringKind::First,
        EmitMode::OnClose if reached => FiringKind::Update,
        EmitMode::Changes => FiringKind::First,
        _ => return,
    };
    slot.emitted = true;
    out.push(slot.firing(id.window, &id.key.key, kind));
}

fn hash_window(hasher: &mut sim::state_hash::StateHasher, window: Window) {
    hasher.u64(window.start.0 as u64);
    hasher.u64(window.end.0 as u64);
}

fn hash_values(hasher: &mut sim::state_hash::StateHasher, values: &[StreamValue]) {
    hasher.u64(values.len() as u64);
    for value in values {
        value.hash_into(hasher);
    }
}
