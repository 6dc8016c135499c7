//! A click stream: page views and checkouts of N users, written to P partitions.
//!
//! Each partition is its own producer: it writes an event every so often in event time (gaps
//! drawn uniformly around `1 / events_per_second`), for one of the users that hash to it (user `u`
//! lives on partition `u mod P`, as Kafka's key partitioner keeps a key on one partition). The
//! event's arrival is its event time plus a delay drawn from the configured [`Disorder`]; a
//! configurable share of events is written twice (a producer retry without idempotence: the copy
//! arrives up to a second after the original); one partition can fall silent for a while (an
//! idle partition, which holds the job's watermark back until the idleness timeout).
//!
//! The stream is pulled by arrival time, one tick at a time ([`ClickStream::events_between`]).
//! Each partition draws its events in event-time order from its own random stream and only as
//! far as the pull needs, so how time is sliced never changes what is drawn: pulling `[0, 10)`
//! then `[10, 20)` gives exactly what pulling `[0, 20)` gives.

use super::{permille, Disorder};
use crate::operator::SourceRecord;
use crate::value::{DurationUs, Key, StreamError, StreamValue, TimeUs, US_PER_SECOND};
use crate::watermark::PartitionId;
use sim::rng::{Rng, Seed};
use std::collections::BTreeMap;

/// The pages a user visits; only `checkout` carries an amount.
const PAGES: [&str; 5] = ["home", "search", "product", "cart", "checkout"];
/// The page whose events carry an amount.
const CHECKOUT: usize = 4;
/// Largest checkout amount.
const MAX_AMOUNT: u64 = 200;
/// A retried write arrives at most this long after the original.
const RETRY_DELAY_MAX: DurationUs = DurationUs(US_PER_SECOND);

/// A partition that stops writing at `from` and, if `until` is set, resumes then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdleSpell {
    pub partition: PartitionId,
    pub from: TimeUs,
    pub until: Option<TimeUs>,
}

/// The click stream's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickStreamConfig {
    pub users: u32,
    pub partitions: u32,
    /// Average events per second of event time, per partition.
    pub events_per_second: u32,
    /// Event time of the first events.
    pub start: TimeUs,
    pub disorder: Disorder,
    pub idle: Option<IdleSpell>,
    /// Share of events written twice, per mille.
    pub duplicate_permille: u16,
}

impl ClickStreamConfig {
    /// Checks the settings describe a stream that can be drawn.
    pub fn validate(&self) -> Result<(), StreamError> {
        if self.partitions == 0 {
            return Err(StreamError::new(
                "a click stream needs at least one partition",
                "set partitions to 1 or more",
            ));
        }
        if self.users < self.partitions {
            return Err(StreamError::new(
                format!(
                    "{} users cannot fill {} partitions",
                    self.users, self.partitions
                ),
                "give every partition a user: users at least partitions",
            ));
        }
        if self.events_per_second == 0 || i64::from(self.events_per_second) > US_PER_SECOND {
            return Err(StreamError::new(
                format!(
                    "{} events per second is out of range",
                    self.events_per_second
                ),
                "choose between 1 and 1,000,000 events per second per partition",
            ));
        }
        self.disorder.validate()?;
        permille("the duplicate rate", self.duplicate_permille)?;
        if let Some(idle) = self.idle {
            self.validate_idle(idle)?;
        }
        Ok(())
    }

    fn validate_idle(&self, idle: IdleSpell) -> Result<(), StreamError> {
        if idle.partition.0 >= self.partitions {
            return Err(StreamError::new(
                format!(
                    "partition {} cannot go idle: the stream has partitions 0 to {}",
                    idle.partition.0,
                    self.partitions - 1
                ),
                "name an existing partition",
            ));
        }
        if idle.until.is_some_and(|until| until <= idle.from) {
            return Err(StreamError::new(
                "the idle partition resumes before it stops",
                "make `until` later than `from`, or leave it unset",
            ));
        }
        Ok(())
    }
}

/// Identifies a generated event: the partition that wrote it and its number there. A duplicate
/// carries its original's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    pub partition: PartitionId,
    pub seq: u64,
}

/// One generated event, as the broker receives it: key = `[user]`, values = `[page, amount]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedEvent {
    pub id: EventId,
    pub partition: PartitionId,
    pub arrival: TimeUs,
    pub ts: TimeUs,
    pub key: Key,
    pub values: Vec<StreamValue>,
    /// A retried write's second copy.
    pub duplicate: bool,
}

impl GeneratedEvent {
    /// The event as a stream job reads it from its partition at `offset`.
    pub fn to_source_record(&self, offset: u64) -> SourceRecord {
        SourceRecord {
            partition: self.partition,
            offset,
            arrival: self.arrival,
            ts: Some(self.ts),
            key: self.key.clone(),
            values: self.values.clone(),
        }
    }
}

/// Where an event waits until it is pulled: by arrival, then partition, number and copy, so
/// events arriving at the same instant come out in one fixed order.
type ArrivalOrder = (TimeUs, PartitionId, u64, bool);

/// One partition's producer: its random stream and the event time of its next event.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PartitionWriter {
    partition: PartitionId,
    rng: Rng,
    next_ts: TimeUs,
    next_seq: u64,
}

/// A click stream being pulled.
#[derive(Clone, Debug, PartialEq)]
pub struct ClickStream {
    config: ClickStreamConfig,
    writers: Vec<PartitionWriter>,
    /// Drawn events that have not arrived yet.
    pending: BTreeMap<ArrivalOrder, GeneratedEvent>,
    /// User keys and pages, built once and shared by every event.
    user_keys: Vec<StreamValue>,
    pages: Vec<StreamValue>,
}

impl ClickStream {
    /// A stream drawn from `rng`'s fork `generate/clicks/p<N>` for partition N, or why the
    /// settings are impossible.
    pub fn new(config: ClickStreamConfig, rng: &Rng) -> Result<ClickStream, StreamError> {
        config.validate()?;
        let writers = (0..config.partitions)
            .map(|p| PartitionWriter {
                partition: PartitionId(p),
                rng: rng.fork(&format!("generate/clicks/p{p}")),
                next_ts: config.start,
                next_seq: 0,
            })
            .collect();
        Ok(ClickStream {
            user_keys: (0..config.users)
                .map(|u| StreamValue::text(&format!("u{u}")))
                .collect(),
            pages: PAGES.iter().map(|page| StreamValue::text(page)).collect(),
            config,
            writers,
            pending: BTreeMap::new(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClickStreamConfig {
        &self.config
    }

    /// The events arriving in `[from, to)` that have not been pulled yet, in arrival order (ties:
    /// partition, then number, the original before its copy). Events that arrived before `from`
    /// and were never pulled are dropped: the caller skipped that time.
    pub fn events_between(&mut self, from: TimeUs, to: TimeUs) -> Vec<GeneratedEvent> {
        if to <= from {
            return Vec::new();
        }
        self.draw_until(to);
        let later = self.pending.split_off(&(to, PartitionId(0), 0, false));
        let arrived = std::mem::replace(&mut self.pending, later);
        arrived
            .into_iter()
            .filter(|((arrival, ..), _)| *arrival >= from)
            .map(|(_, event)| event)
            .collect()
    }

    /// Events drawn but not yet pulled (in flight on the network).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Draws every partition's events with event time before `to`: every event arriving before
    /// `to` is among them, since an event never arrives before it happens.
    fn draw_until(&mut self, to: TimeUs) {
        for index in 0..self.writers.len() {
            while self.writers[index].next_ts < to {
                self.draw_next(index);
            }
        }
    }

    /// Draws partition `index`'s next event (unless it is idle then) and the gap to the one after.
    fn draw_next(&mut self, index: usize) {
        let ts = self.writers[index].next_ts;
        let partition = self.writers[index].partition;
        if let Some(resume) = self.idle_until(partition, ts) {
            self.writers[index].next_ts = resume;
            return;
        }
        let mean_gap_us = US_PER_SECOND / i64::from(self.config.events_per_second);
        let writer = &mut self.writers[index];
        let seq = writer.next_seq;
        writer.next_seq += 1;
        let user = draw_user(
            &mut writer.rng,
            partition,
            self.config.partitions,
            self.config.users,
        );
        let page = writer.rng.below(PAGES.len() as u64) as usize;
        let amount = if page == CHECKOUT {
            1 + writer.rng.below(MAX_AMOUNT) as i64
        } else {
            0
        };
        let arrival = ts.plus(self.config.disorder.draw(&mut writer.rng));
        let retried = writer.rng.chance_permille(self.config.duplicate_permille);
        let retry_arrival = arrival.plus(DurationUs(
            1 + super::uniform_up_to(&mut writer.rng, RETRY_DELAY_MAX).0,
        ));
        writer.next_ts = ts.plus(DurationUs(
            1 + writer.rng.below(2 * mean_gap_us as u64) as i64,
        ));
        let event = GeneratedEvent {
            id: EventId { partition, seq },
            partition,
            arrival,
            ts,
            key: vec![self.user_keys[user].clone()],
            values: vec![self.pages[page].clone(), StreamValue::Int(amount)],
            duplicate: false,
        };
        if retried {
            let copy = GeneratedEvent {
                arrival: retry_arrival,
                duplicate: true,
                ..event.clone()
            };
            self.pending
                .insert((retry_arrival, partition, seq, true), copy);
        }
        self.pending.insert((arrival, partition, seq, false), event);
    }

    /// If `partition` is silent at `ts`, when it writes again (`TimeUs::MAX`: never).
    fn idle_until(&self, partition: PartitionId, ts: TimeUs) -> Option<TimeUs> {
        let idle = self.config.idle?;
        let silent = idle.partition == partition
            && ts >= idle.from
            && idle.until.is_none_or(|until| ts < until);
        silent.then(|| idle.until.unwrap_or(TimeUs::MAX))
    }
}

/// One of the users that live on `partition` (user `u` lives on `u mod partitions`), uniformly.
fn draw_user(rng: &mut Rng, partition: PartitionId, partitions: u32, users: u32) -> usize {
    let p = partition.0;
    let on_partition = (users - p).div_ceil(partitions);
    (p + partitions * rng.below(u64::from(on_partition)) as u32) as usize
}

/// The seed of the benchmark's input, fixed so every run and target times the same events.
pub const BENCH_SEED: Seed = Seed(14);

/// The windowed-aggregation benchmark's input: `n` events (or fewer if `n` is 0) over `keys`
/// users (at least one), on 4 partitions at 2,500 events per second each, with mild disorder
/// (up to 2 s late, the watermark delay the benchmark uses, so no row is dropped as late) and no
/// duplicates, in arrival order.
pub fn bench_events(n: usize, keys: u32) -> Vec<GeneratedEvent> {
    const PARTITIONS: u32 = 4;
    const PER_PARTITION_PER_SECOND: u32 = 2_500;
    let config = ClickStreamConfig {
        users: keys.max(PARTITIONS),
        partitions: PARTITIONS,
        events_per_second: PER_PARTITION_PER_SECOND,
        start: TimeUs(0),
        disorder: Disorder::Bounded {
            max: DurationUs::from_seconds(2),
        },
        idle: None,
        duplicate_permille: 0,
    };
    let Ok(mut stream) = ClickStream::new(config, &Rng::new(BENCH_SEED)) else {
        return Vec::new();
    };
    let step = DurationUs::from_seconds(10);
    let mut events = Vec::with_capacity(n);
    let mut from = TimeUs(0);
    while events.len() < n {
        let to = from.plus(step);
        events.extend(stream.events_between(from, to));
        from = to;
    }
    events.truncate(n);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClickStreamConfig {
        ClickStreamConfig {
            users: 20,
            partitions: 3,
            events_per_second: 5,
            start: TimeUs(0),
            disorder: Disorder::HeavyTail {
                typical: DurationUs::from_seconds(2),
                late_permille: 50,
                late_max: DurationUs::from_seconds(60),
            },
            idle: None,
            duplicate_permille: 100,
        }
    }

    fn stream(config: ClickStreamConfig) -> ClickStream {
        ClickStream::new(config, &Rng::new(Seed(9))).unwrap()
    }

    fn seconds(s: i64) -> TimeUs {
        TimeUs(s * US_PER_SECOND)
    }

    #[test]
    fn slicing_time_never_changes_the_events() {
        let whole = stream(config()).events_between(seconds(0), seconds(200));
        let mut sliced_stream = stream(config());
        let mut sliced = Vec::new();
        for s in 0..200 {
            sliced.extend(sliced_stream.events_between(seconds(s), seconds(s + 1)));
        }
        assert!(whole.len() > 2000, "{} events", whole.len());
        assert_eq!(whole, sliced);
        let mut uneven_stream = stream(config());
        let mut uneven = uneven_stream.events_between(seconds(0), seconds(7));
        assert!(
            uneven_stream.in_flight() > 0,
            "drawn events still on their way"
        );
        uneven.extend(uneven_stream.events_between(seconds(7), seconds(150)));
        uneven.extend(uneven_stream.events_between(seconds(150), seconds(200)));
        assert_eq!(whole, uneven);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
        #[test]
        fn any_slicing_of_time_gives_the_same_events(
            cuts in proptest::collection::vec(0i64..120_000_000, 0..12),
            seed in 0u64..1000,
        ) {
            let fresh = || ClickStream::new(config(), &Rng::new(Seed(seed))).unwrap();
            let whole = fresh().events_between(seconds(0), seconds(120));
            let mut bounds: Vec<TimeUs> = cuts.into_iter().map(TimeUs).collect();
            bounds.extend([seconds(0), seconds(120)]);
            sim::sort::sort(&mut bounds);
            let mut sliced_stream = fresh();
            let sliced: Vec<GeneratedEvent> = bounds
                .windows(2)
                .flat_map(|pair| sliced_stream.events_between(pair[0], pair[1]))
                .collect();
            proptest::prop_assert_eq!(whole, sliced);
        }
    }

    #[test]
    fn events_come_in_arrival_order_within_the_pulled_range() {
        let events = stream(config()).events_between(seconds(10), seconds(100));
        assert!(events
            .windows(2)
            .all(|pair| pair[0].arrival <= pair[1].arrival));
        assert!(events
            .iter()
            .all(|e| e.arrival >= seconds(10) && e.arrival < seconds(100) && e.ts <= e.arrival));
    }

    #[test]
    fn the_same_seed_gives_the_same_stream_and_another_seed_another() {
        let a = stream(config()).events_between(seconds(0), seconds(30));
        let b = stream(config()).events_between(seconds(0), seconds(30));
        let c = ClickStream::new(config(), &Rng::new(Seed(10)))
            .unwrap()
            .events_between(seconds(0), seconds(30));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_user_stays_on_one_partition() {
        let events = stream(config()).events_between(seconds(0), seconds(100));
        let mut users_seen = std::collections::BTreeSet::new();
        for event in &events {
            let StreamValue::Text(user) = &event.key[0] else {
                panic!("user key is text");
            };
            let number: u32 = user[1..].parse().unwrap();
            assert_eq!(number % 3, event.partition.0);
            users_seen.insert(number);
        }
        assert_eq!(users_seen.len(), 20);
    }

    #[test]
    fn disorder_none_keeps_each_partition_in_event_time_order() {
        let mut ordered = config();
        ordered.disorder = Disorder::None;
        ordered.duplicate_permille = 0;
        let events = stream(ordered).events_between(seconds(0), seconds(60));
        for p in 0..3 {
            let times: Vec<TimeUs> = events
                .iter()
                .filter(|e| e.partition == PartitionId(p))
                .map(|e| e.ts)
                .collect();
            assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
        }
        assert!(events.iter().all(|e| e.arrival == e.ts));
    }

    #[test]
    fn heavy_tail_disorder_makes_some_rows_very_late() {
        let events = stream(config()).events_between(seconds(0), seconds(300));
        let very_late = events
            .iter()
            .filter(|e| e.arrival.0 - e.ts.0 > 2 * US_PER_SECOND && !e.duplicate)
            .count();
        let originals = events.iter().filter(|e| !e.duplicate).count();
        assert!(
            very_late > 0 && very_late * 10 < originals,
            "{very_late} of {originals}"
        );
    }

    #[test]
    fn duplicates_repeat_their_original_and_arrive_after_it() {
        let events = stream(config()).events_between(seconds(0), seconds(300));
        let copies: Vec<&GeneratedEvent> = events.iter().filter(|e| e.duplicate).collect();
        let originals = events.len() - copies.len();
        assert!(copies.len() * 20 > originals && copies.len() * 5 < originals);
        for copy in copies {
            let original = events
                .iter()
                .find(|e| e.id == copy.id && !e.duplicate)
                .expect("the original arrived first");
            assert_eq!(
                (&original.key, &original.values, original.ts),
                (&copy.key, &copy.values, copy.ts)
            );
            assert!(original.arrival < copy.arrival);
        }
    }

    #[test]
    fn an_idle_partition_is_silent_during_its_spell_and_resumes_after() {
        let mut idle = config();
        idle.idle = Some(IdleSpell {
            partition: PartitionId(1),
            from: seconds(20),
            until: Some(seconds(80)),
        });
        let events = stream(idle).events_between(seconds(0), seconds(200));
        let on_one = |lo: i64, hi: i64| {
            events
                .iter()
                .filter(|e| {
                    e.partition == PartitionId(1) && e.ts >= seconds(lo) && e.ts < seconds(hi)
                })
                .count()
        };
        assert!(on_one(0, 20) > 0);
        assert_eq!(on_one(20, 80), 0);
        assert!(on_one(80, 150) > 0);
    }

    #[test]
    fn checkouts_carry_an_amount_and_other_pages_none() {
        let events = stream(config()).events_between(seconds(0), seconds(100));
        for event in events {
            let is_checkout = event.values[0] == StreamValue::text("checkout");
            let StreamValue::Int(amount) = event.values[1] else {
                panic!("amount is an integer");
            };
            assert_eq!(is_checkout, amount > 0, "{event:?}");
        }
    }

    #[test]
    fn skipped_time_drops_what_arrived_in_it() {
        let mut skipping = stream(config());
        let late_part = skipping.events_between(seconds(50), seconds(60));
        let whole = stream(config()).events_between(seconds(0), seconds(60));
        let expected: Vec<GeneratedEvent> = whole
            .into_iter()
            .filter(|e| e.arrival >= seconds(50))
            .collect();
        assert_eq!(late_part, expected);
        assert!(skipping.events_between(seconds(10), seconds(5)).is_empty());
    }

    #[test]
    fn impossible_streams_are_refused() {
        let mut few_users = config();
        few_users.users = 2;
        assert!(ClickStream::new(few_users, &Rng::new(Seed(1)))
            .unwrap_err()
            .message
            .contains("cannot fill"));
        let mut bad_idle = config();
        bad_idle.idle = Some(IdleSpell {
            partition: PartitionId(3),
            from: seconds(1),
            until: None,
        });
        assert!(ClickStream::new(bad_idle, &Rng::new(Seed(1))).is_err());
        let mut no_rate = config();
        no_rate.events_per_second = 0;
        assert!(no_rate.validate().is_err());
    }

    #[test]
    fn bench_events_are_mildly_disordered_over_the_keys() {
        let events = bench_events(50_000, 1000);
        assert_eq!(events.len(), 50_000);
        assert!(events
            .windows(2)
            .all(|pair| pair[0].arrival <= pair[1].arrival));
        assert!(events
            .iter()
            .all(|e| e.arrival.0 - e.ts.0 <= 2 * US_PER_SECOND));
        let keys: std::collections::BTreeSet<&Key> = events.iter().map(|e| &e.key).collect();
        assert_eq!(keys.len(), 1000);
        assert_eq!(events, bench_events(50_000, 1000));
    }
}
