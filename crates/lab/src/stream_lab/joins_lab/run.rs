//! The joins job as an incremental run: the three operators' state and the lists the panel shows,
//! kept between looks so that a look feeds only the ticks since the last one, not the clicks
//! topic from its start.
//!
//! A run is *settled* up to a tick `f` when every click appended before `f` was committed when it
//! was fed: nothing can join those ticks later, so the run up to `f` is what a run from the
//! topic's start would be, and a later look goes on from it. Clicks still below the leader's log
//! end but above the high watermark hold `f` back (they will be read at their append tick once
//! committed); what lies between `f` and the lab's tick is fed to a copy for the look only.
//!
//! A settled run is checked before it is used: the same settings and seed, every partition led,
//! the same log start, its last click still at its offset, and no committed click newer than it
//! appended before `f` (a producer that retried during an outage delivers such clicks). Any
//! failure starts over from the topic's start, as does a partition without a leader (the joins
//! then read only the led ones, as the job does). Each copy of the lab keeps its own settled run
//! ([`JoinRunCell`]): a fork or a scrub backwards starts from the run of the copy it came from,
//! which never saw the other branch.

use super::{
    enriched_of, interval_click, pairs_from, profile_changelog, push_kept, why_differs, Enriched,
    EnrichedClick, IntervalJoinView, JoinSettings, JoinedPair, JoinsView, LateRow, ProfileVersion,
    TableJoinView, STATE_SAMPLES_KEPT,
};
use crate::broker::cluster::Cluster;
use crate::stream_lab::clicks::{read_clicks, tick_time, ClickRecord};
use crate::stream_lab::{StreamLab, CLICKS_PARTITIONS, CLICKS_TOPIC};
use crate::streaming::join::{
    IntervalJoin, IntervalJoinConfig, JoinInputs, JoinKind, JoinTime, StreamTableJoin,
    StreamTableJoinConfig,
};
use crate::streaming::operator::{Operator, SourceRecord};
use crate::streaming::value::{DurationUs, StreamValue, TimeUs, US_PER_SECOND};
use crate::streaming::watermark::PartitionId;
use sim::rng::Seed;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Where a click sorts in the panel's lists: arrival, partition, offset.
type ClickOrder = (TimeUs, u32, u64);

/// The settled run carried by one copy of the lab: equal to every other cell, so state
/// comparisons ignore it (it follows from the state).
#[derive(Clone, Default)]
pub struct JoinRunCell(RefCell<Option<Rc<JoinRun>>>);

impl PartialEq for JoinRunCell {
    fn eq(&self, _: &JoinRunCell) -> bool {
        true
    }
}

impl std::fmt::Debug for JoinRunCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinRunCell")
    }
}

impl JoinRunCell {
    /// The tick the kept run is settled to, if one is kept.
    pub fn settled_tick(&self) -> Option<u64> {
        self.0.borrow().as_ref().map(|run| run.next_tick)
    }
}

/// What a run depends on besides the topic and the tick.
#[derive(Clone, Copy, PartialEq, Eq)]
struct RunKey {
    seed: Seed,
    lower: DurationUs,
    upper: DurationUs,
    delay: DurationUs,
    idle_timeout: Option<DurationUs>,
}

impl RunKey {
    fn of(streams: &StreamLab, seed: Seed) -> RunKey {
        let joins = streams.join_settings();
        let job = streams.settings();
        RunKey {
            seed,
            lower: joins.lower,
            upper: joins.upper,
            delay: job.delay,
            idle_timeout: job.idle_timeout,
        }
    }
}

/// How far a run has read one partition.
#[derive(Clone, PartialEq)]
struct Mark {
    log_start: u64,
    /// The last click fed (None: none yet, read from the log start).
    last: Option<ClickRecord>,
}

/// One partition's clicks from a run's mark on.
struct Tail {
    partition: u32,
    log_start: u64,
    /// Committed clicks in offset order (the mark's last click first, when there is one).
    committed: Vec<ClickRecord>,
    /// The earliest append tick of the records above the high watermark.
    uncommitted_from: Option<u64>,
}

/// The tick a click was appended at.
fn tick_of(click: &ClickRecord) -> u64 {
    ((click.arrival.0 - tick_time(0).0) / (US_PER_SECOND / 10)).max(0) as u64
}

/// Every partition's tail from `marks` (from the log start without them), or None when a
/// partition has no elected leader or the topic is gone.
fn read_tails(cluster: &Cluster, marks: Option<&BTreeMap<u32, Mark>>) -> Option<Vec<Tail>> {
    let topic = cluster.topics().get(CLICKS_TOPIC)?;
    let mut from = BTreeMap::new();
    let mut tails = Vec::new();
    for p in topic.partitions() {
        let log = p.elected_leader_log()?;
        let partition = p.id().0;
        let mark = marks.and_then(|m| m.get(&partition));
        let start = mark
            .and_then(|m| m.last.as_ref())
            .map_or(log.log_start().0, |last| last.offset);
        from.insert(partition, start);
        let uncommitted_from = log
            .read(p.hw(), log.leo(), usize::MAX)
            .ok()
            .and_then(|records| records.iter().map(|r| r.timestamp.0).min());
        tails.push(Tail {
            partition,
            log_start: log.log_start().0,
            committed: Vec::new(),
            uncommitted_from,
        });
    }
    for click in read_clicks(cluster, CLICKS_TOPIC, &from) {
        if let Some(tail) = tails.iter_mut().find(|t| t.partition == click.partition) {
            tail.committed.push(click);
        }
    }
    Some(tails)
}

/// The joins' operators and what the panel lists, fed up to (not including) `next_tick`.
#[derive(Clone)]
pub struct JoinRun {
    key: RunKey,
    next_tick: u64,
    marks: BTreeMap<u32, Mark>,
    /// Rows kept in each list.
    keep: usize,
    event: Option<StreamTableJoin>,
    processing: Option<StreamTableJoin>,
    interval: Option<IntervalJoin>,
    versions_in: u64,
    versions_dropped: u64,
    recent_versions: VecDeque<ProfileVersion>,
    pairs: VecDeque<JoinedPair>,
    late: VecDeque<LateRow>,
    state_history: VecDeque<(u64, u64)>,
    state_max: u64,
    /// Clicks the event-time join holds until the watermark passes them, with what the lookup
    /// join gave them.
    waiting: BTreeMap<(u32, u64), (ClickRecord, Enriched)>,
    compared: u64,
    differs: u64,
    /// Answered by both joins: the latest `keep`, and the latest `keep` where they disagree.
    answered: BTreeMap<ClickOrder, EnrichedClick>,
    differing: BTreeMap<ClickOrder, EnrichedClick>,
}

/// One input of a tick.
enum Input {
    Click(ClickRecord),
    Version(ProfileVersion),
}

fn inputs(key: &RunKey, right_partitions: u32) -> JoinInputs {
    JoinInputs {
        left_partitions: CLICKS_PARTITIONS,
        right_partitions,
        delay: key.delay,
        idle_timeout: key.idle_timeout,
    }
}

/// Inserts `row` at `order`, keeping the latest `keep`.
fn insert_kept(
    rows: &mut BTreeMap<ClickOrder, EnrichedClick>,
    order: ClickOrder,
    row: EnrichedClick,
    keep: usize,
) {
    rows.insert(order, row);
    if rows.len() > keep {
        rows.pop_first();
    }
}

impl JoinRun {
    fn new(key: RunKey, keep: usize) -> JoinRun {
        let table_config = |time| StreamTableJoinConfig {
            inputs: inputs(&key, 1),
            time,
            kind: JoinKind::Left,
            table_fields: 3,
            ttl: None,
        };
        // The job's settings were validated when set, so the joins accept them.
        JoinRun {
            event: StreamTableJoin::new(table_config(JoinTime::EventTime)).ok(),
            processing: StreamTableJoin::new(table_config(JoinTime::ProcessingTime)).ok(),
            interval: IntervalJoin::new(IntervalJoinConfig {
                inputs: inputs(&key, CLICKS_PARTITIONS),
                lower: key.lower,
                upper: key.upper,
                ttl: None,
            })
            .ok(),
            key,
            next_tick: 0,
            marks: BTreeMap::new(),
            keep,
            versions_in: 0,
            versions_dropped: 0,
            recent_versions: VecDeque::new(),
            pairs: VecDeque::new(),
            late: VecDeque::new(),
            state_history: VecDeque::new(),
            state_max: 0,
            waiting: BTreeMap::new(),
            compared: 0,
            differs: 0,
            answered: BTreeMap::new(),
            differing: BTreeMap::new(),
        }
    }

    /// Feeds the ticks from `next_tick` to `to` (exclusive): each tick's profile versions, then
    /// its `clicks` (in the order given), then the tick's processing time.
    fn advance(&mut self, clicks: Vec<ClickRecord>, to: u64) {
        if to <= self.next_tick {
            return;
        }
        let mut by_tick: BTreeMap<u64, Vec<Input>> = BTreeMap::new();
        for version in profile_changelog(self.key.seed, tick_time(to - 1)) {
            let tick = ((version.arrival.0 - tick_time(0).0) / (US_PER_SECOND / 10)) as u64;
            if tick >= self.next_tick {
                by_tick
                    .entry(tick)
                    .or_default()
                    .push(Input::Version(version));
            }
        }
        for click in clicks {
            by_tick
                .entry(tick_of(&click))
                .or_default()
                .push(Input::Click(click));
        }
        for tick in self.next_tick..to {
            let arrival = tick_time(tick);
            for input in by_tick.remove(&tick).unwrap_or_default() {
                match input {
                    Input::Version(version) => self.version(version, arrival),
                    Input::Click(click) => self.click(click, arrival),
                }
            }
            self.end_tick(tick, arrival);
        }
        self.next_tick = to;
    }

    fn version(&mut self, version: ProfileVersion, arrival: TimeUs) {
        let record = SourceRecord {
            partition: PartitionId(CLICKS_PARTITIONS),
            offset: self.versions_in,
            arrival,
            ts: Some(version.ts),
            key: vec![StreamValue::text(&version.user)],
            values: vec![
                StreamValue::text(version.tier),
                StreamValue::Time(version.ts),
                StreamValue::Time(version.arrival),
            ],
        };
        self.versions_in += 1;
        let mut released = Vec::new();
        if let Some(j) = &mut self.event {
            let dropped = j.stats().late_dropped;
            released = j.process(&record);
            self.versions_dropped += j.stats().late_dropped - dropped;
        }
        if let Some(j) = &mut self.processing {
            // A table row gives no output: it only replaces the key's version.
            j.process(&record);
        }
        self.answer_waiting(released);
        push_kept(&mut self.recent_versions, version, self.keep);
    }

    fn click(&mut self, click: ClickRecord, arrival: TimeUs) {
        let id = (click.partition, click.offset);
        let key = vec![click
            .user
            .as_deref()
            .map_or(StreamValue::Null, StreamValue::text)];
        let record = SourceRecord {
            partition: PartitionId(click.partition),
            offset: click.offset,
            arrival,
            ts: click.event_time,
            key: key.clone(),
            values: vec![
                StreamValue::Int(i64::from(click.partition)),
                StreamValue::Int(click.offset as i64),
            ],
        };
        let mut as_of_event = None;
        let mut released = Vec::new();
        if let Some(j) = &mut self.event {
            let dropped = j.stats().late_dropped;
            let out = j.process(&record);
            if j.stats().late_dropped > dropped {
                as_of_event = Some(Enriched::LateDropped);
            } else if record.ts.is_some() {
                as_of_event = Some(Enriched::Waiting);
            }
            for o in out {
                match enriched_of(&o) {
                    Some((oid, version)) if oid == id => {
                        as_of_event = Some(Enriched::Joined(version));
                    }
                    _ => released.push(o),
                }
            }
        }
        let mut as_of_processing = None;
        if let Some(j) = &mut self.processing {
            for o in j.process(&record) {
                if let Some((_, version)) = enriched_of(&o).filter(|(oid, _)| *oid == id) {
                    as_of_processing = Some(Enriched::Joined(version));
                }
            }
        }
        if let Some(j) = &mut self.interval {
            interval_click(
                j,
                &click,
                key,
                arrival,
                (&mut self.pairs, &mut self.late),
                self.keep,
            );
        }
        self.answer_waiting(released);
        // A click one join never answers (no event time) is never listed.
        match (as_of_event, as_of_processing) {
            (Some(Enriched::Waiting), Some(p)) => {
                self.waiting.insert(id, (click, p));
            }
            (Some(e), Some(p)) => self.answered(click, e, p),
            _ => {}
        }
    }

    /// The event-time join released these clicks: both joins have now answered them.
    fn answer_waiting(&mut self, released: Vec<crate::streaming::operator::OutputRecord>) {
        for o in released {
            let Some((id, version)) = enriched_of(&o) else {
                continue;
            };
            if let Some((click, p)) = self.waiting.remove(&id) {
                self.answered(click, Enriched::Joined(version), p);
            }
        }
    }

    /// Counts and lists a click both joins have answered for good.
    fn answered(&mut self, click: ClickRecord, e: Enriched, p: Enriched) {
        let why = match (&e, &p) {
            (Enriched::Joined(ev), Enriched::Joined(pv)) => {
                self.compared += 1;
                if ev == pv {
                    None
                } else {
                    self.differs += 1;
                    Some(why_differs(&click, ev.as_ref(), pv.as_ref()))
                }
            }
            (Enriched::LateDropped, _) => Some(format!(
                "the click arrived below the event-time join's watermark (it was {} late): the temporal join dropped it, the lookup join enriched it",
                super::delay_text(&click)
            )),
            _ => None,
        };
        let order = (click.arrival, click.partition, click.offset);
        let row = enriched_click(click, e, p, why);
        if row.why.is_some() {
            insert_kept(&mut self.differing, order, row.clone(), self.keep);
        }
        insert_kept(&mut self.answered, order, row, self.keep);
    }

    fn end_tick(&mut self, tick: u64, arrival: TimeUs) {
        if let Some(j) = &mut self.event {
            let out = j.on_processing_time(arrival);
            self.answer_waiting(out);
        }
        if let Some(j) = &mut self.processing {
            j.on_processing_time(arrival);
        }
        if let Some(j) = &mut self.interval {
            pairs_from(
                j.on_processing_time(arrival),
                arrival,
                &mut self.pairs,
                self.keep,
            );
            let rows = j.state_rows();
            self.state_max = self.state_max.max(rows);
            if tick.is_multiple_of(10) {
                if self.state_history.len() == STATE_SAMPLES_KEPT {
                    self.state_history.pop_front();
                }
                self.state_history.push_back((tick, rows));
            }
        }
    }

    /// What the panel shows of this run.
    fn view(&self, settings: JoinSettings) -> JoinsView {
        // The latest clicks both joins have answered or the event-time one still holds.
        let mut recent = self.answered.clone();
        for (click, p) in self.waiting.values() {
            let order = (click.arrival, click.partition, click.offset);
            let row = enriched_click(click.clone(), Enriched::Waiting, p.clone(), None);
            insert_kept(&mut recent, order, row, self.keep);
        }
        let (event_stats, pending, watermark) = self
            .event
            .as_ref()
            .map_or((Default::default(), 0, TimeUs::MIN), |j| {
                (j.stats(), j.pending_rows(), j.watermark())
            });
        JoinsView {
            settings,
            table: TableJoinView {
                event_time: event_stats,
                processing_time: self
                    .processing
                    .as_ref()
                    .map(|j| j.stats())
                    .unwrap_or_default(),
                pending,
                watermark,
                compared: self.compared,
                differs: self.differs,
                versions_in: self.versions_in,
                versions_dropped: self.versions_dropped,
                recent: recent.into_values().collect(),
                differing: self.differing.values().cloned().collect(),
                recent_versions: self.recent_versions.iter().cloned().collect(),
            },
            interval: IntervalJoinView {
                stats: self
                    .interval
                    .as_ref()
                    .map(|j| j.stats())
                    .unwrap_or_default(),
                buffered: self.interval.as_ref().map_or((0, 0), |j| j.buffered()),
                watermark: self
                    .interval
                    .as_ref()
                    .map_or(TimeUs::MIN, |j| j.watermark()),
                recent: self.pairs.iter().cloned().collect(),
                late: self.late.iter().cloned().collect(),
                state_history: self.state_history.iter().copied().collect(),
                state_max: self.state_max,
            },
        }
    }

    /// Whether this settled run still holds for the tails read from its marks: the same
    /// partitions and log starts, each last click unchanged, and nothing committed since that
    /// was appended before the run's tick.
    fn holds_for(&self, tails: &[Tail]) -> bool {
        tails.len() == self.marks.len()
            && tails.iter().all(|tail| {
                let Some(mark) = self.marks.get(&tail.partition) else {
                    return false;
                };
                let new = match &mark.last {
                    Some(last) => {
                        if tail.committed.first() != Some(last) {
                            return false;
                        }
                        &tail.committed[1..]
                    }
                    None => &tail.committed[..],
                };
                mark.log_start == tail.log_start && new.iter().all(|c| tick_of(c) >= self.next_tick)
            })
    }
}

fn enriched_click(
    click: ClickRecord,
    e: Enriched,
    p: Enriched,
    why: Option<String>,
) -> EnrichedClick {
    EnrichedClick {
        partition: click.partition,
        offset: click.offset,
        user: click.user.unwrap_or_default(),
        page: click.page.unwrap_or_default(),
        event_time: click.event_time.unwrap_or(TimeUs::MIN),
        arrival: click.arrival,
        as_of_event_time: e,
        as_of_processing_time: p,
        why,
    }
}

/// The tick up to which the tails can be settled (never before `from`, the run's own tick), and
/// how many of each tail's new clicks that takes: a prefix, since a click appended at an earlier
/// tick than one before it, or a record not yet committed, holds the tick back to its own.
fn frontier(
    tails: &[(u32, &[ClickRecord], Option<u64>)],
    from: u64,
    now: u64,
) -> (u64, Vec<usize>) {
    let prefix = |new: &[ClickRecord], f: u64| new.iter().take_while(|c| tick_of(c) < f).count();
    let mut f = now;
    loop {
        let lowest = tails
            .iter()
            .flat_map(|(_, new, uncommitted)| {
                new[prefix(new, f)..]
                    .iter()
                    .map(tick_of)
                    .chain(*uncommitted)
            })
            .min()
            .unwrap_or(u64::MAX);
        if lowest >= f {
            break;
        }
        if lowest <= from {
            f = from;
            break;
        }
        f = lowest;
    }
    let taken = tails.iter().map(|(_, new, _)| prefix(new, f)).collect();
    (f, taken)
}

/// Both joins at tick `now`, going on from the lab's settled run when it holds (and keeping the
/// run settled further); from the topic's start otherwise.
pub fn incremental(
    streams: &StreamLab,
    cluster: &Cluster,
    seed: Seed,
    now: u64,
    keep: usize,
) -> JoinsView {
    let key = RunKey::of(streams, seed);
    let settings = *streams.join_settings();
    let cell = streams.join_run();
    let kept = cell
        .0
        .borrow()
        .clone()
        .filter(|run| run.key == key && run.keep == keep && run.next_tick <= now);
    let mut reading = kept
        .as_ref()
        .and_then(|run| Some((run, read_tails(cluster, Some(&run.marks))?)))
        .filter(|(run, tails)| run.holds_for(tails))
        .map(|(run, tails)| ((**run).clone(), tails));
    if reading.is_none() {
        let fresh = read_tails(cluster, None).map(|tails| (JoinRun::new(key, keep), tails));
        let Some(fresh) = fresh else {
            // A partition without a leader: read the led ones from the start, settle nothing.
            return from_start(streams, cluster, seed, now, keep);
        };
        reading = Some(fresh);
    }
    let Some((mut run, tails)) = reading else {
        return from_start(streams, cluster, seed, now, keep);
    };
    let new: Vec<(u32, &[ClickRecord], Option<u64>)> = tails
        .iter()
        .map(|tail| {
            let skip = usize::from(
                run.marks
                    .get(&tail.partition)
                    .is_some_and(|m| m.last.is_some()),
            );
            (
                tail.partition,
                &tail.committed[skip..],
                tail.uncommitted_from,
            )
        })
        .collect();
    let (settle_to, taken) = frontier(&new, run.next_tick, now);
    let mut settling = Vec::new();
    let mut rest = Vec::new();
    for ((partition, clicks, _), take) in new.iter().zip(&taken) {
        settling.extend_from_slice(&clicks[..*take]);
        rest.extend(clicks[*take..].iter().filter(|c| tick_of(c) < now).cloned());
        let log_start = tails
            .iter()
            .find(|t| t.partition == *partition)
            .map_or(0, |t| t.log_start);
        let last = clicks[..*take]
            .last()
            .cloned()
            .or_else(|| run.marks.get(partition).and_then(|m| m.last.clone()));
        run.marks.insert(*partition, Mark { log_start, last });
    }
    run.advance(settling, settle_to);
    let view = if rest.is_empty() && settle_to == now {
        run.view(settings)
    } else {
        let mut look = run.clone();
        look.advance(rest, now);
        look.view(settings)
    };
    *cell.0.borrow_mut() = Some(Rc::new(run));
    view
}

/// Both joins at tick `now` from the topic's start (the partitions with a leader), keeping the
/// latest `keep` rows of each list.
pub fn from_start(
    streams: &StreamLab,
    cluster: &Cluster,
    seed: Seed,
    now: u64,
    keep: usize,
) -> JoinsView {
    let mut run = JoinRun::new(RunKey::of(streams, seed), keep);
    let clicks: Vec<ClickRecord> = read_clicks(cluster, CLICKS_TOPIC, &BTreeMap::new())
        .into_iter()
        .filter(|c| tick_of(c) < now)
        .collect();
    run.advance(clicks, now);
    run.view(*streams.join_settings())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(partition: u32, offset: u64, tick: u64) -> ClickRecord {
        ClickRecord {
            partition,
            offset,
            arrival: tick_time(tick),
            user: None,
            page: None,
            amount: None,
            event_time: None,
        }
    }

    #[test]
    fn the_frontier_stops_at_the_first_uncommitted_or_out_of_order_click() {
        let p0 = [click(0, 0, 3), click(0, 1, 5), click(0, 2, 9)];
        let p1 = [click(1, 0, 4)];
        // Nothing pending: everything before the lab's tick settles.
        let (f, taken) = frontier(&[(0, &p0, None), (1, &p1, None)], 0, 10);
        assert_eq!((f, taken), (10, vec![3, 1]));
        // A record appended at tick 6 not yet committed holds the frontier at 6.
        let (f, taken) = frontier(&[(0, &p0, None), (1, &p1, Some(6))], 0, 10);
        assert_eq!((f, taken), (6, vec![2, 1]));
        // Out of order before the lab's tick is fine: the run feeds by tick.
        let shuffled = [click(0, 0, 1), click(0, 1, 5), click(0, 2, 2)];
        let (f, taken) = frontier(&[(0, &shuffled, None)], 0, 10);
        assert_eq!((f, taken), (10, vec![3]));
        // A click of tick 3 behind one not due yet (tick 11): the run reads a prefix, so only
        // what comes before tick 3 settles.
        let behind = [
            click(0, 0, 1),
            click(0, 1, 5),
            click(0, 2, 11),
            click(0, 3, 3),
        ];
        let (f, taken) = frontier(&[(0, &behind, None)], 0, 10);
        assert_eq!((f, taken), (3, vec![1]));
        // Never behind the run's own tick, whatever waits uncommitted.
        let after = [click(0, 3, 5), click(0, 4, 9)];
        let (f, taken) = frontier(&[(0, &after, Some(1))], 4, 10);
        assert_eq!((f, taken), (4, vec![0]));
    }
}
