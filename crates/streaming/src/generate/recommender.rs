//! A recommender's logs: what was shown, what was clicked and played, and what the model saw.
//!
//! Each request shows `items_per_request` items (exposures, all at the request's time). An item
//! is clicked with `click_permille`, after a delay drawn from `click_delay` (a heavy tail: most
//! clicks come within minutes, some after the 900 s a production pipeline waits, as Chapelle's
//! delayed-feedback model of conversions has it); a click is followed by a play with
//! `play_permille`, within a minute, lasting up to `play_time_max_seconds`. Every event reaches
//! the broker after a transport delay (`transport`).
//!
//! The serving system logs the features it scored each (request_id, item) with (a feature
//! callback), a few seconds before the exposure. Some callbacks never arrive
//! (`feature_missing_permille`: the sample has no features, so an inner join drops it) and some
//! are sent again later (`feature_repeat_permille`: a retried callback, carrying features
//! recomputed at that later time, so taking anything but the first callback changes the sample).
//!
//! Events and callbacks are both drawn up front (the log is small) and kept in arrival order;
//! [`RecommenderLog::events_between`] and [`RecommenderLog::features_between`] hand them out one
//! tick at a time. Record shapes ([`RecEvent::to_source_record`],
//! [`FeatureCallback::to_source_record`]): key `[request_id, item]`, values starting with the
//! kind's name (`exposure`, `click`, `play`, `feature`).

use super::{non_negative, permille, uniform_up_to, Disorder};
use crate::operator::SourceRecord;
use crate::value::{DurationUs, StreamError, StreamValue, TimeUs, US_PER_SECOND};
use crate::watermark::PartitionId;
use sim::rng::Rng;

/// Items in the catalogue a request picks from.
const CATALOGUE_ITEMS: u64 = 500;
/// Most items one request may show.
const MAX_ITEMS_PER_REQUEST: u32 = 50;
/// The scenes (surfaces) a request comes from.
const SCENES: [&str; 3] = ["home_feed", "search", "detail"];
/// Experiments a request can be bucketed into.
const EXPERIMENTS: u64 = 3;
/// A play starts at most this long after its click.
const PLAY_START_MAX: DurationUs = DurationUs(60 * US_PER_SECOND);
/// The name of a feature callback record's kind.
pub const FEATURE_KIND: &str = "feature";

/// A request's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// A catalogue item's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u64);

/// What a user did with an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecEventKind {
    Exposure,
    Click,
    Play,
}

impl RecEventKind {
    /// The kind's name in records.
    pub fn name(self) -> &'static str {
        match self {
            RecEventKind::Exposure => "exposure",
            RecEventKind::Click => "click",
            RecEventKind::Play => "play",
        }
    }

    /// The kind a record's name stands for.
    pub fn parse(name: &str) -> Option<RecEventKind> {
        [
            RecEventKind::Exposure,
            RecEventKind::Click,
            RecEventKind::Play,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

/// One user event. Every event of a request carries the request's scene and experiment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecEvent {
    pub partition: PartitionId,
    pub request_id: RequestId,
    pub item: ItemId,
    pub kind: RecEventKind,
    pub ts: TimeUs,
    pub arrival: TimeUs,
    /// Seconds played (plays only; 0 otherwise).
    pub play_time_seconds: i64,
    pub scene: StreamValue,
    pub exp_id: i64,
}

impl RecEvent {
    /// The event as a record: key `[request_id, item]`, values `[kind, play_time_seconds, scene,
    /// exp_id]`.
    pub fn to_source_record(&self, offset: u64) -> SourceRecord {
        SourceRecord {
            partition: self.partition,
            offset,
            arrival: self.arrival,
            ts: Some(self.ts),
            key: sample_key(self.request_id, self.item),
            values: vec![
                StreamValue::text(self.kind.name()),
                StreamValue::Int(self.play_time_seconds),
                self.scene.clone(),
                StreamValue::Int(self.exp_id),
            ],
        }
    }
}

/// One feature callback: the features the model scored (request_id, item) with, logged at `ts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureCallback {
    pub partition: PartitionId,
    pub request_id: RequestId,
    pub item: ItemId,
    pub ts: TimeUs,
    pub arrival: TimeUs,
    /// `[user_ctr, item_popularity]`.
    pub features: Vec<StreamValue>,
    /// A retried callback (not the first one sent): the generator's truth, which records do not
    /// carry.
    pub repeat: bool,
}

impl FeatureCallback {
    /// The callback as a record: key `[request_id, item]`, values `["feature", features...]`.
    pub fn to_source_record(&self, offset: u64) -> SourceRecord {
        let mut values = vec![StreamValue::text(FEATURE_KIND)];
        values.extend(self.features.iter().cloned());
        SourceRecord {
            partition: self.partition,
            offset,
            arrival: self.arrival,
            ts: Some(self.ts),
            key: sample_key(self.request_id, self.item),
            values,
        }
    }
}

/// The record key of (request_id, item).
pub fn sample_key(request_id: RequestId, item: ItemId) -> Vec<StreamValue> {
    vec![
        StreamValue::Int(request_id.0 as i64),
        StreamValue::Int(item.0 as i64),
    ]
}

/// The log's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecommenderLogConfig {
    pub requests: u32,
    pub items_per_request: u32,
    /// Average event time between requests.
    pub request_gap: DurationUs,
    pub start: TimeUs,
    pub partitions: u32,
    pub click_permille: u16,
    /// Exposure to click.
    pub click_delay: Disorder,
    /// Share of clicks followed by a play, per mille.
    pub play_permille: u16,
    pub play_time_max_seconds: u32,
    /// Event time to arrival at the broker.
    pub transport: Disorder,
    /// How long before its exposure a callback is logged, at most.
    pub feature_lead_max: DurationUs,
    pub feature_missing_permille: u16,
    pub feature_repeat_permille: u16,
    /// A retried callback comes up to this long after the first.
    pub feature_repeat_delay_max: DurationUs,
}

impl RecommenderLogConfig {
    /// A production-like day in miniature: 2 s between requests, clicks mostly within 5 minutes
    /// but one in six after up to an hour (so beyond a 900 s wait), transport up to 30 s late.
    pub fn typical(requests: u32) -> RecommenderLogConfig {
        RecommenderLogConfig {
            requests,
            items_per_request: 5,
            request_gap: DurationUs::from_seconds(2),
            start: TimeUs(0),
            partitions: 2,
            click_permille: 150,
            click_delay: Disorder::HeavyTail {
                typical: DurationUs::from_seconds(300),
                late_permille: 170,
                late_max: DurationUs::from_seconds(3600),
            },
            play_permille: 600,
            play_time_max_seconds: 600,
            transport: Disorder::Bounded {
                max: DurationUs::from_seconds(30),
            },
            feature_lead_max: DurationUs::from_seconds(10),
            feature_missing_permille: 20,
            feature_repeat_permille: 150,
            feature_repeat_delay_max: DurationUs::from_seconds(600),
        }
    }

    /// Checks the settings describe a log that can be drawn.
    pub fn validate(&self) -> Result<(), StreamError> {
        if self.items_per_request == 0 || self.items_per_request > MAX_ITEMS_PER_REQUEST {
            return Err(StreamError::new(
                format!(
                    "{} items per request is out of range",
                    self.items_per_request
                ),
                format!("show between 1 and {MAX_ITEMS_PER_REQUEST} items per request"),
            ));
        }
        if self.partitions == 0 {
            return Err(StreamError::new(
                "the log needs at least one partition",
                "set partitions to 1 or more",
            ));
        }
        if self.request_gap.0 <= 0 {
            return Err(StreamError::new(
                "the gap between requests must be positive",
                "set request_gap to 1 µs or more",
            ));
        }
        permille("the click rate", self.click_permille)?;
        permille("the play rate", self.play_permille)?;
        permille("the missing-callback rate", self.feature_missing_permille)?;
        permille("the repeated-callback rate", self.feature_repeat_permille)?;
        non_negative("the feature lead", self.feature_lead_max)?;
        non_negative("the callback repeat delay", self.feature_repeat_delay_max)?;
        self.click_delay.validate()?;
        self.transport.validate()
    }
}

/// The drawn log, each stream in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecommenderLog {
    pub events: Vec<RecEvent>,
    pub features: Vec<FeatureCallback>,
}

impl RecommenderLog {
    /// Draws the log from `rng`'s forks `generate/recommender/events` and
    /// `generate/recommender/features`, or says why the settings are impossible.
    pub fn generate(
        config: &RecommenderLogConfig,
        rng: &Rng,
    ) -> Result<RecommenderLog, StreamError> {
        config.validate()?;
        let mut event_rng = rng.fork("generate/recommender/events");
        let mut feature_rng = rng.fork("generate/recommender/features");
        let mut log = RecommenderLog {
            events: Vec::new(),
            features: Vec::new(),
        };
        let mut ts = config.start;
        for r in 0..u64::from(config.requests) {
            let request = Request {
                id: RequestId(r),
                ts,
                partition: PartitionId((r % u64::from(config.partitions)) as u32),
                scene: StreamValue::text(SCENES[event_rng.below(SCENES.len() as u64) as usize]),
                exp_id: 1 + event_rng.below(EXPERIMENTS) as i64,
            };
            for item in draw_items(&mut event_rng, config.items_per_request) {
                log.events
                    .extend(draw_item_events(&mut event_rng, config, &request, item));
                log.features
                    .extend(draw_callbacks(&mut feature_rng, config, &request, item));
            }
            let gap = event_rng.below(2 * config.request_gap.0 as u64) as i64;
            ts = ts.plus(DurationUs(1 + gap));
        }
        sim::sort::sort_by_key(&mut log.events, |e| {
            (e.arrival, e.request_id, e.item, e.kind)
        });
        sim::sort::sort_by_key(&mut log.features, |f| {
            (f.arrival, f.request_id, f.item, f.repeat)
        });
        Ok(log)
    }

    /// The events arriving in `[from, to)`, in arrival order.
    pub fn events_between(&self, from: TimeUs, to: TimeUs) -> &[RecEvent] {
        arriving_between(&self.events, from, to, |e| e.arrival)
    }

    /// The feature callbacks arriving in `[from, to)`, in arrival order.
    pub fn features_between(&self, from: TimeUs, to: TimeUs) -> &[FeatureCallback] {
        arriving_between(&self.features, from, to, |f| f.arrival)
    }
}

/// The slice of `rows` (sorted by arrival) arriving in `[from, to)`.
fn arriving_between<T>(
    rows: &[T],
    from: TimeUs,
    to: TimeUs,
    arrival: impl Fn(&T) -> TimeUs,
) -> &[T] {
    let lo = rows.partition_point(|row| arrival(row) < from);
    let hi = rows.partition_point(|row| arrival(row) < to).max(lo);
    &rows[lo..hi]
}

/// What every event of one request shares.
struct Request {
    id: RequestId,
    ts: TimeUs,
    partition: PartitionId,
    scene: StreamValue,
    exp_id: i64,
}

impl Request {
    fn event(&self, item: ItemId, kind: RecEventKind, ts: TimeUs, arrival: TimeUs) -> RecEvent {
        RecEvent {
            partition: self.partition,
            request_id: self.id,
            item,
            kind,
            ts,
            arrival,
            play_time_seconds: 0,
            scene: self.scene.clone(),
            exp_id: self.exp_id,
        }
    }
}

/// `count` distinct catalogue items, in draw order.
fn draw_items(rng: &mut Rng, count: u32) -> Vec<ItemId> {
    let mut items: Vec<ItemId> = Vec::with_capacity(count as usize);
    while items.len() < count as usize {
        let item = ItemId(rng.below(CATALOGUE_ITEMS));
        if !items.contains(&item) {
            items.push(item);
        }
    }
    items
}

/// One item's exposure and, perhaps, its click and play.
fn draw_item_events(
    rng: &mut Rng,
    config: &RecommenderLogConfig,
    request: &Request,
    item: ItemId,
) -> Vec<RecEvent> {
    let arrive = |rng: &mut Rng, ts: TimeUs| ts.plus(config.transport.draw(rng));
    let exposure_arrival = arrive(rng, request.ts);
    let mut events =
        vec![request.event(item, RecEventKind::Exposure, request.ts, exposure_arrival)];
    if !rng.chance_permille(config.click_permille) {
        return events;
    }
    let click_ts = request
        .ts
        .plus(DurationUs(1 + config.click_delay.draw(rng).0));
    let click_arrival = arrive(rng, click_ts);
    events.push(request.event(item, RecEventKind::Click, click_ts, click_arrival));
    if rng.chance_permille(config.play_permille) {
        let play_ts = click_ts.plus(DurationUs(1 + uniform_up_to(rng, PLAY_START_MAX).0));
        let play_arrival = arrive(rng, play_ts);
        let mut play = request.event(item, RecEventKind::Play, play_ts, play_arrival);
        play.play_time_seconds =
            1 + rng.below(u64::from(config.play_time_max_seconds.max(1))) as i64;
        events.push(play);
    }
    events
}

/// One item's feature callbacks: none, one, or a first one and a retried one.
fn draw_callbacks(
    rng: &mut Rng,
    config: &RecommenderLogConfig,
    request: &Request,
    item: ItemId,
) -> Vec<FeatureCallback> {
    if rng.chance_permille(config.feature_missing_permille) {
        return Vec::new();
    }
    let ts = request
        .ts
        .minus(uniform_up_to(rng, config.feature_lead_max));
    let user_ctr_permille = rng.below(1000) as i64;
    let popularity = rng.below(10_000) as i64;
    let first = FeatureCallback {
        partition: request.partition,
        request_id: request.id,
        item,
        ts,
        arrival: ts.plus(config.transport.draw(rng)),
        features: features(user_ctr_permille, popularity),
        repeat: false,
    };
    if !rng.chance_permille(config.feature_repeat_permille) {
        return vec![first];
    }
    let later = DurationUs(1 + uniform_up_to(rng, config.feature_repeat_delay_max).0);
    let drift = 1 + rng.below(50) as i64;
    let repeat = FeatureCallback {
        ts: first.ts.plus(later),
        arrival: first.arrival.plus(later),
        features: features((user_ctr_permille + drift).min(999), popularity + drift),
        repeat: true,
        ..first.clone()
    };
    vec![first, repeat]
}

/// The feature vector: `[user_ctr, item_popularity]`.
fn features(user_ctr_permille: i64, popularity: i64) -> Vec<StreamValue> {
    vec![
        StreamValue::Float(user_ctr_permille as f64 / 1000.0),
        StreamValue::Int(popularity),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;
    use std::collections::BTreeMap;

    fn log(requests: u32) -> RecommenderLog {
        RecommenderLog::generate(&RecommenderLogConfig::typical(requests), &Rng::new(Seed(5)))
            .unwrap()
    }

    #[test]
    fn every_exposure_precedes_its_click_and_every_click_its_play() {
        let log = log(400);
        let mut firsts: BTreeMap<(RequestId, ItemId, RecEventKind), TimeUs> = BTreeMap::new();
        for event in &log.events {
            assert!(firsts
                .insert((event.request_id, event.item, event.kind), event.ts)
                .is_none());
        }
        for (&(request, item, kind), &ts) in &firsts {
            let before = match kind {
                RecEventKind::Exposure => continue,
                RecEventKind::Click => RecEventKind::Exposure,
                RecEventKind::Play => RecEventKind::Click,
            };
            assert!(firsts[&(request, item, before)] < ts);
        }
        assert_eq!(
            firsts
                .keys()
                .filter(|k| k.2 == RecEventKind::Exposure)
                .count(),
            400 * 5
        );
    }

    #[test]
    fn some_clicks_come_after_a_900_second_wait() {
        let log = log(1000);
        let exposures: BTreeMap<(RequestId, ItemId), TimeUs> = log
            .events
            .iter()
            .filter(|e| e.kind == RecEventKind::Exposure)
            .map(|e| ((e.request_id, e.item), e.ts))
            .collect();
        let delays: Vec<i64> = log
            .events
            .iter()
            .filter(|e| e.kind == RecEventKind::Click)
            .map(|e| e.ts.0 - exposures[&(e.request_id, e.item)].0)
            .collect();
        let slow = delays.iter().filter(|&&d| d > 900 * US_PER_SECOND).count();
        assert!(delays.len() > 500, "{} clicks", delays.len());
        assert!(
            slow * 20 > delays.len() && slow * 4 < delays.len(),
            "{slow} slow"
        );
    }

    #[test]
    fn repeated_callbacks_come_later_with_recomputed_features() {
        let log = log(500);
        let repeats: Vec<&FeatureCallback> = log.features.iter().filter(|f| f.repeat).collect();
        assert!(!repeats.is_empty());
        for repeat in repeats {
            let first = log
                .features
                .iter()
                .find(|f| !f.repeat && (f.request_id, f.item) == (repeat.request_id, repeat.item))
                .unwrap();
            assert!(first.arrival < repeat.arrival);
            assert_ne!(first.features, repeat.features);
        }
        let missing = 500 * 5 - log.features.iter().filter(|f| !f.repeat).count();
        assert!(missing > 0 && missing < 200, "{missing} missing callbacks");
    }

    #[test]
    fn streams_are_in_arrival_order_and_sliced_by_arrival() {
        let log = log(300);
        assert!(log.events.windows(2).all(|p| p[0].arrival <= p[1].arrival));
        assert!(log
            .features
            .windows(2)
            .all(|p| p[0].arrival <= p[1].arrival));
        let from = TimeUs::parse("1970-01-01 00:05:00").unwrap();
        let to = TimeUs::parse("1970-01-01 00:06:00").unwrap();
        let slice = log.events_between(from, to);
        let expected = log
            .events
            .iter()
            .filter(|e| e.arrival >= from && e.arrival < to)
            .count();
        assert_eq!(slice.len(), expected);
        assert!(slice.iter().all(|e| e.arrival >= from && e.arrival < to));
        assert!(log.features_between(to, from).is_empty());
    }

    #[test]
    fn records_carry_the_kind_and_the_sample_key() {
        let log = log(10);
        let record = log.events[0].to_source_record(7);
        assert_eq!(record.offset, 7);
        assert_eq!(
            record.key,
            sample_key(log.events[0].request_id, log.events[0].item)
        );
        assert_eq!(
            RecEventKind::parse(&record.values[0].to_string()),
            Some(log.events[0].kind)
        );
        let feature = log.features[0].to_source_record(0);
        assert_eq!(feature.values[0], StreamValue::text(FEATURE_KIND));
        assert_eq!(feature.values.len(), 3);
    }

    #[test]
    fn the_same_seed_gives_the_same_log() {
        assert_eq!(log(50), log(50));
        let other =
            RecommenderLog::generate(&RecommenderLogConfig::typical(50), &Rng::new(Seed(6)));
        assert_ne!(log(50), other.unwrap());
    }

    #[test]
    fn impossible_logs_are_refused() {
        let mut config = RecommenderLogConfig::typical(10);
        config.items_per_request = 0;
        assert!(config.validate().unwrap_err().hint.contains("between 1"));
        let mut config = RecommenderLogConfig::typical(10);
        config.request_gap = DurationUs(0);
        assert!(RecommenderLog::generate(&config, &Rng::new(Seed(1))).is_err());
    }
}
