//! Real-time training samples, built as a production recommender builds them.
//!
//! A model that learns online needs labelled examples minutes after the fact, but a label is only
//! known once the user had time to react: a click can come seconds or an hour after the item was
//! shown. The pipeline modelled here (the shape used by industrial recommenders; ShareChat, 2024,
//! describes views and engagements joined in Kafka and Flink) has three stages:
//!
//! 1. **Gather** each (request_id, item)'s events (exposure, click, play) in event time. The
//!    window of an exposure at `t` is `[t, t + wait)`; once the watermark reaches `t + wait` the
//!    label row goes out: `has_event(click)` and `sum_over(play_time)` over the window's events,
//!    with the exposure's `scene` and `exp_id` copied.
//! 2. **Deduplicate** the feature callback log to its first row per (request_id, item) by arrival
//!    (Flink SQL's `ROW_NUMBER() OVER (PARTITION BY .. ORDER BY proctime()) = 1`): the serving
//!    system retries callbacks, and a retry must neither duplicate a sample nor replace the
//!    features the model actually scored with.
//! 3. **Join** label rows with features, inner, on the key and `feature.ts BETWEEN exposure.ts -
//!    before AND exposure.ts + after` (30 s and 30 min by default). After a processing-time dedup
//!    the feature side has no event-time attribute, so Flink plans a regular join whose state is
//!    bounded only by `table.exec.state.ttl` (40 min by default here: the 30-minute bound plus a
//!    margin). A row that waits longer than the TTL for its partner is lost; the lab counts it.
//!
//! The wait is a trade-off, measured by [`SampleStats`]: a short wait gives fresh samples
//! (freshness = emission time − exposure time, about `wait` plus the watermark delay) but labels
//! every slower click as a negative. Such a *late positive* (a fake negative) is counted when its
//! click arrives after the label was fixed; *label recall* is captured positives over captured
//! plus late ones. Twitter's engineers train on every impression at once as a negative and add a
//! positive copy on engagement, then correct the loss for it (Ktena et al., RecSys 2019);
//! Alibaba's ES-DFM (2021) reweights samples by the time elapsed since the exposure, and
//! Chapelle (KDD 2014) models the delay itself. [`batch_samples`] builds the same samples from
//! complete data, as an offline job would, and [`diagnose`] compares the two: sample count,
//! positive ratio, labels and features.
//!
//! Once a label row has joined, it leaves the join state and a small marker stays for the TTL so
//! that a late click can still be attributed to its sample; each (request_id, item) yields at most
//! one sample while its dedup entry lives.

use crate::generate::recommender::{
    sample_key, FeatureCallback, ItemId, RecEvent, RecEventKind, RequestId, FEATURE_KIND,
};
use crate::operator::{Operator, OutputRecord, SourceRecord};
use crate::state_ttl::TtlState;
use crate::value::{DurationUs, StreamError, StreamValue, TimeUs};
use crate::watermark::{validate_settings, WatermarkTracker};
use std::collections::{BTreeMap, BTreeSet};

/// A sample's identity.
pub type SampleKey = (RequestId, ItemId);

/// The pipeline's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplesConfig {
    /// How long after an exposure its events are gathered (`wait-positive-secs`).
    pub wait: DurationUs,
    pub watermark_delay: DurationUs,
    pub idle_timeout: Option<DurationUs>,
    /// Partitions of the event topic (the feature log does not drive the watermark).
    pub partitions: u32,
    /// A feature row matches when `exposure.ts - before <= feature.ts <= exposure.ts + after`.
    pub feature_before: DurationUs,
    pub feature_after: DurationUs,
    /// The join and dedup state's TTL on processing time (None: kept forever).
    pub state_ttl: Option<DurationUs>,
}

impl SamplesConfig {
    /// The production settings: wait 900 s, features from 30 s before to 30 min after the
    /// exposure, a 40-minute state TTL, a 30 s watermark delay.
    pub fn production(partitions: u32) -> SamplesConfig {
        SamplesConfig {
            wait: DurationUs::from_seconds(900),
            watermark_delay: DurationUs::from_seconds(30),
            idle_timeout: Some(DurationUs::from_seconds(60)),
            partitions,
            feature_before: DurationUs::from_seconds(30),
            feature_after: DurationUs::from_seconds(30 * 60),
            state_ttl: Some(DurationUs::from_seconds(40 * 60)),
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), StreamError> {
        if self.wait.0 <= 0 {
            return Err(StreamError::new(
                "the label wait must be positive",
                "wait is how long after an exposure clicks still count, e.g. 900 seconds",
            ));
        }
        if self.feature_before.0 < 0 || self.feature_after.0 < 0 {
            return Err(StreamError::new(
                "the feature interval's bounds must not be negative",
                "give how long before and after the exposure a feature row may be logged",
            ));
        }
        validate_settings(self.watermark_delay, self.idle_timeout)?;
        crate::state_ttl::validate_ttl(self.state_ttl)
    }

    /// Whether a feature row logged at `feature_ts` may join the exposure at `exposure_ts`.
    fn feature_in_bounds(&self, exposure_ts: TimeUs, feature_ts: TimeUs) -> bool {
        exposure_ts.minus(self.feature_before) <= feature_ts
            && feature_ts <= exposure_ts.plus(self.feature_after)
    }
}

/// One training sample: labels, the exposure's context and the features scored with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub request_id: RequestId,
    pub item: ItemId,
    pub exposure_ts: TimeUs,
    /// `has_event(click)`.
    pub clicked: bool,
    /// `sum_over(play_time)`.
    pub play_time_seconds: i64,
    pub scene: StreamValue,
    pub exp_id: i64,
    pub features: Vec<StreamValue>,
}

impl Sample {
    fn key(&self) -> SampleKey {
        (self.request_id, self.item)
    }

    /// The sample as a record for the samples topic: key `[request_id, item]`, values
    /// `[exposure_ts, clicked, play_time_seconds, scene, exp_id, features...]`.
    pub fn to_output_record(&self) -> OutputRecord {
        let mut values = vec![
            StreamValue::Time(self.exposure_ts),
            StreamValue::Bool(self.clicked),
            StreamValue::Int(self.play_time_seconds),
            self.scene.clone(),
            StreamValue::Int(self.exp_id),
        ];
        values.extend(self.features.iter().cloned());
        OutputRecord {
            key: sample_key(self.request_id, self.item),
            values,
            ts: self.exposure_ts,
        }
    }
}

/// A sample as the stream emitted it, with the processing time it went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmittedSample {
    pub sample: Sample,
    pub emitted_at: TimeUs,
}

/// The pipeline's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleStats {
    pub events_in: u64,
    pub features_in: u64,
    /// Records that were neither an event nor a feature callback.
    pub invalid_records: u64,
    /// Repeated callbacks the dedup removed.
    pub duplicate_callbacks: u64,
    /// Label rows fixed by the watermark.
    pub labels_fixed: u64,
    pub samples_out: u64,
    pub positives: u64,
    pub negatives: u64,
    /// Samples that went out negative although a click came later (fake negatives). The
    /// pipeline only sees the clicks that come while its marker of the sample lives (the TTL);
    /// [`diagnose`] against [`batch_samples`] counts them all.
    pub late_positives: u64,
    /// Exposures that arrived after the watermark passed their window's end (dropped, as a
    /// window operator drops a late row).
    pub late_exposures: u64,
    /// Events whose exposure never arrived before their window closed.
    pub orphan_events: u64,
    /// Label rows and feature rows that expired waiting for their partner.
    pub rows_lost_to_ttl: u64,
    /// Rows held in state now (gathering, dedup, join, markers).
    pub state_rows: u64,
    pub freshness_sum_us: i64,
    pub freshness_max_us: i64,
}

impl SampleStats {
    /// Captured positives over captured plus late positives (None before any positive): an upper
    /// bound of the true recall when clicks come after the TTL.
    pub fn label_recall(&self) -> Option<f64> {
        let eventual = self.positives + self.late_positives;
        (eventual > 0).then(|| self.positives as f64 / eventual as f64)
    }

    /// Mean time from exposure to sample (None before any sample).
    pub fn mean_freshness(&self) -> Option<DurationUs> {
        (self.samples_out > 0).then(|| DurationUs(self.freshness_sum_us / self.samples_out as i64))
    }
}

/// One gathered event.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GatheredEvent {
    kind: RecEventKind,
    ts: TimeUs,
    play_time_seconds: i64,
}

/// The exposure's context, copied into the sample.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Exposure {
    ts: TimeUs,
    scene: StreamValue,
    exp_id: i64,
}

/// A (request_id, item)'s events while its window is open. Without its exposure yet, the window
/// is due when it could at the latest have closed (the first event's time plus the wait).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Gathering {
    exposure: Option<Exposure>,
    events: Vec<GatheredEvent>,
    due: TimeUs,
}

/// A fixed label waiting in the join for its features.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LabelRow {
    exposure: Exposure,
    clicked: bool,
    play_time_seconds: i64,
    /// A click the label missed (beyond the wait, or arrived after the label was fixed).
    click_missed: bool,
}

/// A first feature callback waiting in the join for its label.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FeatureRow {
    ts: TimeUs,
    features: Vec<StreamValue>,
}

/// What is remembered of a sample that went out: whether it was negative and no late click has
/// been counted against it yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentMark {
    awaiting_late_click: bool,
}

/// The streaming samples pipeline (Clone is its checkpoint).
#[derive(Clone, Debug, PartialEq)]
pub struct SamplePipeline {
    config: SamplesConfig,
    watermark: WatermarkTracker,
    gathering: BTreeMap<SampleKey, Gathering>,
    /// (due time, key) of every gathering: the firing order.
    due: BTreeSet<(TimeUs, SampleKey)>,
    /// The dedup's memory: keys whose first callback was seen.
    callbacks_seen: TtlState<SampleKey, ()>,
    labels_waiting: TtlState<SampleKey, LabelRow>,
    features_waiting: TtlState<SampleKey, FeatureRow>,
    sent: TtlState<SampleKey, SentMark>,
    stats: SampleStats,
}

impl SamplePipeline {
    /// A new pipeline, or why the settings are impossible.
    pub fn new(config: SamplesConfig) -> Result<SamplePipeline, StreamError> {
        config.validate()?;
        Ok(SamplePipeline {
            watermark: WatermarkTracker::new(
                config.partitions,
                config.watermark_delay,
                config.idle_timeout,
            ),
            gathering: BTreeMap::new(),
            due: BTreeSet::new(),
            callbacks_seen: TtlState::new(config.state_ttl)?,
            labels_waiting: TtlState::new(config.state_ttl)?,
            features_waiting: TtlState::new(config.state_ttl)?,
            sent: TtlState::new(config.state_ttl)?,
            stats: SampleStats::default(),
            config,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SamplesConfig {
        &self.config
    }

    /// The watermark of the event stream.
    pub fn watermark(&self) -> TimeUs {
        self.watermark.current()
    }

    /// The counters, with the state size and TTL losses as of now.
    pub fn stats(&self) -> SampleStats {
        SampleStats {
            rows_lost_to_ttl: self.labels_waiting.expired() + self.features_waiting.expired(),
            state_rows: self.gathering.len() as u64
                + self.callbacks_seen.len()
                + self.labels_waiting.len()
                + self.features_waiting.len()
                + self.sent.len(),
            ..self.stats
        }
    }

    /// An event arrives: it is gathered (or, after its label was fixed, counted as a late click),
    /// and the watermark it moves may fix labels and emit samples.
    pub fn on_event(&mut self, event: &RecEvent) -> Vec<EmittedSample> {
        let now = event.arrival;
        self.stats.events_in += 1;
        self.expire(now);
        let key = (event.request_id, event.item);
        if self.window_closed(&key, now) {
            self.on_event_after_label(&key, event, now);
        } else {
            self.gather(key, event);
        }
        self.watermark.observe(event.partition, event.ts, now);
        self.fire_due(now)
    }

    /// A feature callback arrives: the first per key joins (now or when its label comes), a
    /// repeat is dropped.
    pub fn on_feature(&mut self, callback: &FeatureCallback) -> Vec<EmittedSample> {
        let now = callback.arrival;
        self.stats.features_in += 1;
        self.expire(now);
        let key = (callback.request_id, callback.item);
        if self.callbacks_seen.get(&key, now).is_some() {
            self.stats.duplicate_callbacks += 1;
            return Vec::new();
        }
        self.callbacks_seen.put(key, (), now);
        let row = FeatureRow {
            ts: callback.ts,
            features: callback.features.clone(),
        };
        match self.labels_waiting.get(&key, now) {
            Some(label) if self.config.feature_in_bounds(label.exposure.ts, row.ts) => {
                let label = self.labels_waiting.remove(&key, now);
                label.map_or_else(Vec::new, |label| vec![self.emit(key, label, row, now)])
            }
            _ => {
                self.features_waiting.put(key, row, now);
                Vec::new()
            }
        }
    }

    /// Processing time reached `now`: idle partitions may let the watermark advance, and state
    /// past its TTL expires.
    pub fn on_processing_time(&mut self, now: TimeUs) -> Vec<EmittedSample> {
        self.expire(now);
        self.watermark.on_processing_time(now);
        self.fire_due(now)
    }

    /// The end of input: every open window's label is fixed.
    pub fn finish(&mut self, now: TimeUs) -> Vec<EmittedSample> {
        self.expire(now);
        self.watermark.finish();
        self.fire_due(now)
    }

    /// Whether the key's label was already fixed (its window closed).
    fn window_closed(&self, key: &SampleKey, now: TimeUs) -> bool {
        !self.gathering.contains_key(key)
            && (self.labels_waiting.get(key, now).is_some() || self.sent.get(key, now).is_some())
    }

    /// An event for a key whose label is fixed: a click is a late positive for a negative label;
    /// an exposure is too late to open a window.
    fn on_event_after_label(&mut self, key: &SampleKey, event: &RecEvent, now: TimeUs) {
        match event.kind {
            RecEventKind::Exposure => self.stats.late_exposures += 1,
            RecEventKind::Play => {}
            RecEventKind::Click => {
                if let Some(label) = self.labels_waiting.get_mut(key, now) {
                    label.click_missed |= !label.clicked;
                } else if let Some(mark) = self.sent.get_mut(key, now) {
                    if mark.awaiting_late_click {
                        mark.awaiting_late_click = false;
                        self.stats.late_positives += 1;
                    }
                }
            }
        }
    }

    /// Adds an event to its key's open window (opening it if needed).
    fn gather(&mut self, key: SampleKey, event: &RecEvent) {
        let wait = self.config.wait;
        let watermark = self.watermark.current();
        let gathering = self.gathering.entry(key).or_insert_with(|| Gathering {
            exposure: None,
            events: Vec::new(),
            due: event.ts.plus(wait),
        });
        let old_due = gathering.due;
        match event.kind {
            RecEventKind::Exposure if event.ts.plus(wait) <= watermark => {
                self.stats.late_exposures += 1;
            }
            RecEventKind::Exposure if gathering.exposure.is_none() => {
                gathering.exposure = Some(Exposure {
                    ts: event.ts,
                    scene: event.scene.clone(),
                    exp_id: event.exp_id,
                });
                gathering.due = event.ts.plus(wait);
            }
            RecEventKind::Exposure => {}
            RecEventKind::Click | RecEventKind::Play => {
                gathering.events.push(GatheredEvent {
                    kind: event.kind,
                    ts: event.ts,
                    play_time_seconds: event.play_time_seconds,
                });
                if gathering.exposure.is_none() {
                    gathering.due = gathering.due.min(event.ts.plus(wait));
                }
            }
        }
        let new_due = gathering.due;
        self.due.remove(&(old_due, key));
        self.due.insert((new_due, key));
    }

    /// Fixes the label of every window the watermark has passed, in (due, key) order, and joins it.
    fn fire_due(&mut self, now: TimeUs) -> Vec<EmittedSample> {
        let watermark = self.watermark.current();
        let mut out = Vec::new();
        while let Some(&(due, key)) = self.due.first() {
            if due > watermark {
                break;
            }
            self.due.remove(&(due, key));
            let Some(gathering) = self.gathering.remove(&key) else {
                continue;
            };
            match gathering.exposure {
                Some(exposure) => {
                    let label = fix_label(exposure, &gathering.events, self.config.wait);
                    self.stats.labels_fixed += 1;
                    out.extend(self.join_label(key, label, now));
                }
                None => self.stats.orphan_events += gathering.events.len() as u64,
            }
        }
        out
    }

    /// A fixed label meets its features (or waits for them).
    fn join_label(
        &mut self,
        key: SampleKey,
        label: LabelRow,
        now: TimeUs,
    ) -> Option<EmittedSample> {
        let matches = self
            .features_waiting
            .get(&key, now)
            .is_some_and(|row| self.config.feature_in_bounds(label.exposure.ts, row.ts));
        if !matches {
            self.labels_waiting.put(key, label, now);
            return None;
        }
        let row = self.features_waiting.remove(&key, now)?;
        Some(self.emit(key, label, row, now))
    }

    /// A label row and a feature row joined: the sample goes out.
    fn emit(
        &mut self,
        key: SampleKey,
        label: LabelRow,
        row: FeatureRow,
        now: TimeUs,
    ) -> EmittedSample {
        let negative = !label.clicked;
        self.stats.samples_out += 1;
        if negative {
            self.stats.negatives += 1;
        } else {
            self.stats.positives += 1;
        }
        if negative && label.click_missed {
            self.stats.late_positives += 1;
        }
        let awaiting_late_click = negative && !label.click_missed;
        self.sent.put(
            key,
            SentMark {
                awaiting_late_click,
            },
            now,
        );
        let freshness_us = now.0.saturating_sub(label.exposure.ts.0);
        self.stats.freshness_sum_us = self.stats.freshness_sum_us.saturating_add(freshness_us);
        self.stats.freshness_max_us = self.stats.freshness_max_us.max(freshness_us);
        EmittedSample {
            sample: Sample {
                request_id: key.0,
                item: key.1,
                exposure_ts: label.exposure.ts,
                clicked: label.clicked,
                play_time_seconds: label.play_time_seconds,
                scene: label.exposure.scene,
                exp_id: label.exposure.exp_id,
                features: row.features,
            },
            emitted_at: now,
        }
    }

    /// Removes the state past its TTL.
    fn expire(&mut self, now: TimeUs) {
        self.callbacks_seen.expire(now);
        self.labels_waiting.expire(now);
        self.features_waiting.expire(now);
        self.sent.expire(now);
    }

    /// Reads a record of the recommender's topics (see [`crate::generate::recommender`]); None if
    /// it is neither an event nor a feature callback.
    fn parse_record(&self, record: &SourceRecord) -> Option<ParsedRecord> {
        let ts = record.ts?;
        let (request_id, item) = parse_key(&record.key)?;
        let StreamValue::Text(kind) = record.values.first()? else {
            return None;
        };
        if &**kind == FEATURE_KIND {
            return Some(ParsedRecord::Feature(FeatureCallback {
                partition: record.partition,
                request_id,
                item,
                ts,
                arrival: record.arrival,
                features: record.values[1..].to_vec(),
                repeat: false,
            }));
        }
        let kind = RecEventKind::parse(kind)?;
        let [_, StreamValue::Int(play_time_seconds), scene, StreamValue::Int(exp_id)] =
            record.values.as_slice()
        else {
            return None;
        };
        Some(ParsedRecord::Event(RecEvent {
            partition: record.partition,
            request_id,
            item,
            kind,
            ts,
            arrival: record.arrival,
            play_time_seconds: *play_time_seconds,
            scene: scene.clone(),
            exp_id: *exp_id,
        }))
    }
}

/// A record of either topic.
enum ParsedRecord {
    Event(RecEvent),
    Feature(FeatureCallback),
}

/// `[request_id, item]` as two non-negative integers.
fn parse_key(key: &[StreamValue]) -> Option<SampleKey> {
    let [StreamValue::Int(request), StreamValue::Int(item)] = key else {
        return None;
    };
    Some((
        RequestId(u64::try_from(*request).ok()?),
        ItemId(u64::try_from(*item).ok()?),
    ))
}

/// The label of an exposure from the events gathered in its window `[ts, ts + wait)`:
/// `has_event(click)`, `sum_over(play_time)`; a click outside the window is a missed one.
fn fix_label(exposure: Exposure, events: &[GatheredEvent], wait: DurationUs) -> LabelRow {
    let end = exposure.ts.plus(wait);
    let in_window = |e: &&GatheredEvent| e.ts < end;
    let windowed: Vec<&GatheredEvent> = events.iter().filter(in_window).collect();
    let clicked = has_event(&windowed, RecEventKind::Click);
    LabelRow {
        clicked,
        play_time_seconds: sum_play_time(&windowed),
        click_missed: !clicked && events.iter().any(|e| e.kind == RecEventKind::Click),
        exposure,
    }
}

/// `has_event(events, kind)`.
fn has_event(events: &[&GatheredEvent], kind: RecEventKind) -> bool {
    events.iter().any(|e| e.kind == kind)
}

/// `sum_over(events, play_time)`.
fn sum_play_time(events: &[&GatheredEvent]) -> i64 {
    events
        .iter()
        .filter(|e| e.kind == RecEventKind::Play)
        .fold(0i64, |sum, e| sum.saturating_add(e.play_time_seconds))
}

impl Operator for SamplePipeline {
    /// Takes a record of the event topic or the feature topic; an unreadable one is counted in
    /// [`SampleStats::invalid_records`] and skipped.
    fn process(&mut self, record: &SourceRecord) -> Vec<OutputRecord> {
        let emitted = match self.parse_record(record) {
            Some(ParsedRecord::Event(event)) => self.on_event(&event),
            Some(ParsedRecord::Feature(callback)) => self.on_feature(&callback),
            None => {
                self.stats.invalid_records += 1;
                Vec::new()
            }
        };
        emitted
            .iter()
            .map(|e| e.sample.to_output_record())
            .collect()
    }

    fn on_processing_time(&mut self, now: TimeUs) -> Vec<OutputRecord> {
        SamplePipeline::on_processing_time(self, now)
            .iter()
            .map(|e| e.sample.to_output_record())
            .collect()
    }

    fn state_rows(&self) -> u64 {
        self.stats().state_rows
    }

    fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        self.watermark.hash_into(hasher);
        hasher.u64(self.gathering.len() as u64);
        for (key, gathering) in &self.gathering {
            hash_key(hasher, key);
            hasher.u64(gathering.due.0 as u64);
            hasher.u64(gathering.exposure.as_ref().map_or(0, |e| e.ts.0 as u64));
            for event in &gathering.events {
                hasher.u64(event.kind as u64);
                hasher.u64(event.ts.0 as u64);
                hasher.u64(event.play_time_seconds as u64);
            }
        }
        self.callbacks_seen
            .hash_into(hasher, |key, _, h| hash_key(h, key));
        self.labels_waiting.hash_into(hasher, |key, label, h| {
            hash_key(h, key);
            h.u64(label.exposure.ts.0 as u64);
            h.u64(u64::from(label.clicked));
            h.u64(label.play_time_seconds as u64);
            h.u64(u64::from(label.click_missed));
        });
        self.features_waiting.hash_into(hasher, |key, row, h| {
            hash_key(h, key);
            h.u64(row.ts.0 as u64);
            row.features.iter().for_each(|v| v.hash_into(h));
        });
        self.sent.hash_into(hasher, |key, mark, h| {
            hash_key(h, key);
            h.u64(u64::from(mark.awaiting_late_click));
        });
        let s = self.stats;
        for counter in [
            s.events_in,
            s.features_in,
            s.invalid_records,
            s.duplicate_callbacks,
            s.samples_out,
            s.positives,
            s.late_positives,
            s.late_exposures,
            s.orphan_events,
        ] {
            hasher.u64(counter);
        }
    }
}

fn hash_key(hasher: &mut sim::state_hash::StateHasher, key: &SampleKey) {
    hasher.u64(key.0 .0);
    hasher.u64(key.1 .0);
}

/// The same samples built offline from complete data: every exposure, labelled with all its
/// events (however late), joined with the first callback by arrival within the interval; in key
/// order. This is the "eventual truth" the streaming samples are diagnosed against.
pub fn batch_samples(
    events: &[RecEvent],
    features: &[FeatureCallback],
    config: &SamplesConfig,
) -> Vec<Sample> {
    let mut first_callbacks: BTreeMap<SampleKey, &FeatureCallback> = BTreeMap::new();
    for callback in features {
        let key = (callback.request_id, callback.item);
        let first = first_callbacks.entry(key).or_insert(callback);
        if callback.arrival < first.arrival {
            *first = callback;
        }
    }
    let mut by_key: BTreeMap<SampleKey, Vec<&RecEvent>> = BTreeMap::new();
    for event in events {
        by_key
            .entry((event.request_id, event.item))
            .or_default()
            .push(event);
    }
    by_key
        .into_iter()
        .filter_map(|(key, events)| {
            let exposure = events.iter().find(|e| e.kind == RecEventKind::Exposure)?;
            let callback = first_callbacks.get(&key)?;
            config
                .feature_in_bounds(exposure.ts, callback.ts)
                .then(|| Sample {
                    request_id: key.0,
                    item: key.1,
                    exposure_ts: exposure.ts,
                    clicked: events.iter().any(|e| e.kind == RecEventKind::Click),
                    play_time_seconds: events
                        .iter()
                        .filter(|e| e.kind == RecEventKind::Play)
                        .fold(0i64, |sum, e| sum.saturating_add(e.play_time_seconds)),
                    scene: exposure.scene.clone(),
                    exp_id: exposure.exp_id,
                    features: callback.features.clone(),
                })
        })
        .collect()
}

/// Streaming samples compared with the batch ones (the diagnosis panel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Diagnosis {
    pub streaming_samples: u64,
    pub batch_samples: u64,
    pub streaming_positives: u64,
    pub batch_positives: u64,
    /// Batch samples the stream never produced.
    pub missing_in_stream: u64,
    /// Streaming samples the batch does not have.
    pub extra_in_stream: u64,
    /// Samples in both whose click label differs (fake negatives, mostly).
    pub label_mismatches: u64,
    /// Samples in both whose features differ (a dedup that kept the wrong callback).
    pub feature_mismatches: u64,
    /// (request_id, item)s the stream emitted more than once.
    pub duplicate_samples: u64,
}

impl Diagnosis {
    /// Positives over samples in the stream.
    pub fn streaming_positive_ratio(&self) -> f64 {
        ratio(self.streaming_positives, self.streaming_samples)
    }

    /// Positives over samples in the batch.
    pub fn batch_positive_ratio(&self) -> f64 {
        ratio(self.batch_positives, self.batch_samples)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Compares streaming samples with batch samples by (request_id, item).
pub fn diagnose(streaming: &[Sample], batch: &[Sample]) -> Diagnosis {
    let mut stream_by_key: BTreeMap<SampleKey, &Sample> = BTreeMap::new();
    let mut diagnosis = Diagnosis {
        streaming_samples: streaming.len() as u64,
        batch_samples: batch.len() as u64,
        streaming_positives: streaming.iter().filter(|s| s.clicked).count() as u64,
        batch_positives: batch.iter().filter(|s| s.clicked).count() as u64,
        ..Diagnosis::default()
    };
    for sample in streaming {
        if stream_by_key.insert(sample.key(), sample).is_some() {
            diagnosis.duplicate_samples += 1;
        }
    }
    let batch_by_key: BTreeMap<SampleKey, &Sample> =
        sim::sort::collect_map(batch.iter().map(|s| (s.key(), s)));
    for (key, offline) in &batch_by_key {
        match stream_by_key.get(key) {
            None => diagnosis.missing_in_stream += 1,
            Some(online) => {
                diagnosis.label_mismatches += u64::from(online.clicked != offline.clicked);
                diagnosis.feature_mismatches += u64::from(online.features != offline.features);
            }
        }
    }
    diagnosis.extra_in_stream = stream_by_key
        .keys()
        .filter(|key| !batch_by_key.contains_key(key))
        .count() as u64;
    diagnosis
}

/// Feeds a whole log through a pipeline in arrival order (events before callbacks at the same
/// instant), ticks processing time each `tick` between arrivals, and finishes at the end: what
/// the lab does tick by tick, in one call, for the diagnosis and the wait sweep.
pub fn run_pipeline(
    pipeline: &mut SamplePipeline,
    events: &[RecEvent],
    features: &[FeatureCallback],
    tick: DurationUs,
) -> Vec<EmittedSample> {
    let mut out = Vec::new();
    let (mut e, mut f) = (0, 0);
    let mut next_tick: Option<TimeUs> = None;
    loop {
        let next_event = events.get(e).map(|x| x.arrival);
        let next_feature = features.get(f).map(|x| x.arrival);
        let Some(next) = [next_event, next_feature].into_iter().flatten().min() else {
            break;
        };
        while let Some(t) = next_tick.filter(|t| *t <= next && tick.0 > 0) {
            out.extend(pipeline.on_processing_time(t));
            next_tick = Some(t.plus(tick));
        }
        next_tick.get_or_insert(next.plus(tick));
        if next_event == Some(next) {
            out.extend(pipeline.on_event(&events[e]));
            e += 1;
        } else {
            out.extend(pipeline.on_feature(&features[f]));
            f += 1;
        }
    }
    let end = events
        .last()
        .map(|x| x.arrival)
        .max(features.last().map(|x| x.arrival))
        .unwrap_or(TimeUs(0));
    out.extend(pipeline.finish(end));
    out
}

#[cfg(test)]
mod tests;
