//! Stream joins in the streaming lab: a second job over the same clicks topic that runs the
//! stream engine's two joins side by side.
//!
//! - **Stream-table join.** Each click is enriched with its user's profile tier (`free`, `plus`,
//!   `pro`) from a slowly changing table: a changelog generated from the lab's seed, as a CDC
//!   feed would deliver it. Every version has the event time the profile changed at and an
//!   arrival time 0 to 6 s later (the capture lag); at tick 0 a snapshot gives every generated
//!   user a first version. The join runs twice over the same inputs: as of each click's event
//!   time (Flink SQL's `FOR SYSTEM_TIME AS OF c.event_time`, a temporal join that waits for the
//!   watermark) and on processing time (a lookup join, `FOR SYSTEM_TIME AS OF c.proc_time`, which
//!   reads whatever version arrived last). The rows where the two disagree are listed with why;
//!   `SetTableJoinTime` picks which one the lab's metrics call "the" join.
//! - **Interval join.** Product views meet the checkouts of the same user whose event time lies in
//!   `[view + lower, view + upper]` (default −30 s to +5 min, `SetJoinBounds`), Flink's interval
//!   join: both sides buffered until the watermark passes their last possible match, rows below
//!   the watermark on arrival dropped and counted.
//!
//! Both joins use the stream job's watermark delay and idleness timeout, over the clicks topic's
//! three partitions plus the other input's. The results are derived: computed from the lab's
//! state (the topic's committed clicks, the seed, the settings, the tick) on first use and cached
//! beside it ([`JoinCache`], emptied by every change of the streaming lab and every lab command;
//! not compared, not hashed). A click is processed at the tick the broker appended it, the
//! table's versions of a tick before its clicks. Each look goes on from the operators' state the
//! lab kept at its last look and feeds only the ticks since ([`run`]); the result is the same as
//! a run from the topic's start, which `tests/stream_joins.rs` checks.

mod run;

use super::clicks::{tick_time, ClickRecord};
use super::CLICKS_PARTITIONS;
use crate::state::Lab;
use crate::streaming::join::{IntervalJoin, IntervalJoinStats, JoinTime, StreamTableJoinStats};
use crate::streaming::operator::{Operator, OutputRecord, SourceRecord};
use crate::streaming::value::{DurationUs, StreamValue, TimeUs, US_PER_SECOND};
use crate::streaming::watermark::PartitionId;
pub use run::JoinRunCell;
use sim::rng::{Rng, Seed};
use std::cell::OnceCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// The largest interval-join bound either way: one hour.
pub const JOIN_BOUND_US_MAX: i64 = 3_600 * US_PER_SECOND;
/// Joined rows, late rows and enriched clicks kept for the page.
pub const ROWS_KEPT: usize = 40;
/// State-size samples kept (one per second of lab time).
pub const STATE_SAMPLES_KEPT: usize = 600;
/// Users of the generated profile table (the click generator's users `u0`..`u11`).
pub const PROFILE_USERS: u32 = 12;
/// The tiers a profile moves between.
pub const TIERS: [&str; 3] = ["free", "plus", "pro"];
/// The page a view must be to join, and the page of a checkout.
pub const VIEW_PAGE: &str = "product";
pub const CHECKOUT_PAGE: &str = "checkout";

/// The joins' settings (state of the streaming lab).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinSettings {
    /// A checkout matches a view when `view.ts + lower <= checkout.ts <= view.ts + upper`.
    pub lower: DurationUs,
    pub upper: DurationUs,
    /// Which stream-table join the metrics follow.
    pub table_time: JoinTime,
}

impl Default for JoinSettings {
    fn default() -> JoinSettings {
        JoinSettings {
            lower: DurationUs::from_seconds(-30),
            upper: DurationUs::from_seconds(300),
            table_time: JoinTime::ProcessingTime,
        }
    }
}

impl JoinSettings {
    /// Refuses bounds out of order or beyond an hour, with a hint.
    pub fn validate_bounds(lower: DurationUs, upper: DurationUs) -> Result<(), (String, String)> {
        for (what, d) in [("lower", lower), ("upper", upper)] {
            if d.0.abs() > JOIN_BOUND_US_MAX {
                return Err((
                    format!(
                        "an interval bound of {} is beyond an hour",
                        signed_seconds(d)
                    ),
                    format!("give a {what} bound between -1h and 1h, such as -30s or 5m"),
                ));
            }
        }
        if lower > upper {
            return Err((
                format!(
                    "the lower bound ({}) is above the upper bound ({})",
                    signed_seconds(lower),
                    signed_seconds(upper)
                ),
                "a checkout matches when view + lower <= checkout <= view + upper: write the smaller bound first, such as -30s 5m".into(),
            ));
        }
        Ok(())
    }

    pub fn is_default(&self) -> bool {
        *self == JoinSettings::default()
    }
}

/// A duration with its sign, as the page and steps write bounds: `-30 s`, `+5 min`.
pub fn signed_seconds(d: DurationUs) -> String {
    let s = d.0 as f64 / US_PER_SECOND as f64;
    let sign = if d.0 > 0 { "+" } else { "" };
    if d.0 % (60 * US_PER_SECOND) == 0 && d.0 != 0 {
        format!("{sign}{} min", d.0 / (60 * US_PER_SECOND))
    } else if d.0 % US_PER_SECOND == 0 {
        format!("{sign}{} s", d.0 / US_PER_SECOND)
    } else {
        format!("{sign}{s} s")
    }
}

/// One version of a user's profile, as the changelog delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileVersion {
    pub user: String,
    pub tier: &'static str,
    /// When the profile changed (event time).
    pub ts: TimeUs,
    /// When the change reached the join (processing time).
    pub arrival: TimeUs,
}

/// The profile changelog up to (and including) arrival `until`, in event-time order: a snapshot
/// at tick 0, then a change every 0.5 to 4 s of event time, each arriving 0 to 6 s later.
pub fn profile_changelog(seed: Seed, until: TimeUs) -> Vec<ProfileVersion> {
    let mut rng = Rng::new(seed).fork("streaming").fork("joins/profiles");
    let start = tick_time(0);
    let mut tiers: Vec<usize> = (0..PROFILE_USERS)
        .map(|_| rng.below(TIERS.len() as u64) as usize)
        .collect();
    let mut versions: Vec<ProfileVersion> = tiers
        .iter()
        .enumerate()
        .map(|(u, tier)| ProfileVersion {
            user: format!("u{u}"),
            tier: TIERS[*tier],
            ts: start,
            arrival: start,
        })
        .collect();
    let tenth = DurationUs(US_PER_SECOND / 10);
    let mut ts = start;
    loop {
        ts = ts.plus(DurationUs(tenth.0 * (5 + rng.below(36) as i64)));
        // No change can arrive by `until` once its event time is past it.
        if ts > until {
            break;
        }
        let user = rng.below(u64::from(PROFILE_USERS)) as usize;
        let tier = (tiers[user] + 1 + rng.below(TIERS.len() as u64 - 1) as usize) % TIERS.len();
        tiers[user] = tier;
        let arrival = ts.plus(DurationUs(tenth.0 * rng.below(61) as i64));
        if arrival <= until {
            versions.push(ProfileVersion {
                user: format!("u{user}"),
                tier: TIERS[tier],
                ts,
                arrival,
            });
        }
    }
    versions
}

/// A version as a join output carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub tier: String,
    pub ts: TimeUs,
    pub arrival: TimeUs,
}

/// What a join gave one click.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enriched {
    /// Emitted with this version (None: no version, the left join's NULLs).
    Joined(Option<Version>),
    /// Waiting for the watermark to pass its event time (event time only).
    Waiting,
    /// Below the watermark on arrival: dropped (event time only).
    LateDropped,
}

/// One click with what both stream-table joins gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrichedClick {
    pub partition: u32,
    pub offset: u64,
    pub user: String,
    pub page: String,
    pub event_time: TimeUs,
    pub arrival: TimeUs,
    pub as_of_event_time: Enriched,
    pub as_of_processing_time: Enriched,
    /// Why the two differ (None when they agree or the event-time one has not answered).
    pub why: Option<String>,
}

/// The stream-table joins' results.
#[derive(Clone, Debug, PartialEq)]
pub struct TableJoinView {
    pub event_time: StreamTableJoinStats,
    pub processing_time: StreamTableJoinStats,
    /// Clicks waiting in the event-time join.
    pub pending: u64,
    /// The event-time join's watermark (TimeUs::MIN before one exists).
    pub watermark: TimeUs,
    /// Clicks both joins emitted.
    pub compared: u64,
    /// Of those, clicks enriched with different versions.
    pub differs: u64,
    /// Versions that arrived.
    pub versions_in: u64,
    /// Of those, versions the event-time join dropped as late (below its watermark): clicks
    /// after them read the version before.
    pub versions_dropped: u64,
    /// The latest clicks (newest last), and the latest differing ones.
    pub recent: Vec<EnrichedClick>,
    pub differing: Vec<EnrichedClick>,
    /// The latest versions to arrive (newest last).
    pub recent_versions: Vec<ProfileVersion>,
}

/// One joined (view, checkout) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinedPair {
    pub user: String,
    pub view_time: TimeUs,
    pub checkout_time: TimeUs,
    pub amount: Option<i64>,
    /// When the pair was emitted (processing time).
    pub emitted: TimeUs,
}

/// A row the interval join dropped as late.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateRow {
    pub user: String,
    /// `product` or `checkout`.
    pub page: String,
    pub event_time: TimeUs,
    pub arrival: TimeUs,
    /// The join's watermark when it arrived.
    pub watermark: TimeUs,
}

/// The interval join's results.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalJoinView {
    pub stats: IntervalJoinStats,
    /// Rows buffered now: (views, checkouts).
    pub buffered: (u64, u64),
    pub watermark: TimeUs,
    pub recent: Vec<JoinedPair>,
    pub late: Vec<LateRow>,
    /// (tick, rows in state), one sample per second of lab time, oldest first.
    pub state_history: Vec<(u64, u64)>,
    /// The most rows the state ever held.
    pub state_max: u64,
}

/// Both joins over the lab's state.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinsView {
    pub settings: JoinSettings,
    pub table: TableJoinView,
    pub interval: IntervalJoinView,
}

impl JoinsView {
    /// The chosen stream-table join's counters.
    pub fn chosen(&self) -> &StreamTableJoinStats {
        match self.settings.table_time {
            JoinTime::EventTime => &self.table.event_time,
            JoinTime::ProcessingTime => &self.table.processing_time,
        }
    }

    /// Clicks the chosen stream-table join has emitted.
    pub fn table_rows(&self) -> u64 {
        let s = self.chosen();
        s.matched + s.unmatched
    }
}

/// The derived joins, beside the streaming lab's state: equal to every other cache, so state
/// comparisons ignore it.
#[derive(Clone, Debug, Default)]
pub struct JoinCache(OnceCell<Rc<JoinsView>>);

impl PartialEq for JoinCache {
    fn eq(&self, _: &JoinCache) -> bool {
        true
    }
}

impl JoinCache {
    /// Forgets the cached joins (the state they came from changed).
    pub fn clear(&mut self) {
        self.0 = OnceCell::new();
    }
}

/// Both joins of the lab at its tick (None outside the streaming preset), going on from the
/// run the lab kept at its last look (see [`run`]).
pub fn joins(lab: &Lab) -> Option<Rc<JoinsView>> {
    let streams = lab.streams()?;
    let cluster = lab.cluster()?;
    Some(Rc::clone(streams.join_cache().0.get_or_init(|| {
        Rc::new(run::incremental(
            streams,
            cluster,
            lab.config().seed,
            lab.now().0,
            ROWS_KEPT,
        ))
    })))
}

/// Both joins of the lab at its tick with every row kept, not only the latest, run from the
/// topic's start (uncached: for tests and tools that check every row).
pub fn joins_in_full(lab: &Lab) -> Option<JoinsView> {
    Some(run::from_start(
        lab.streams()?,
        lab.cluster()?,
        lab.config().seed,
        lab.now().0,
        usize::MAX,
    ))
}

/// The tick up to which the lab's kept joins run has fed the topic (None before a look, or
/// outside the streaming preset): how far the next look can go on from.
pub fn settled_tick(lab: &Lab) -> Option<u64> {
    lab.streams()?.join_run().settled_tick()
}

/// Both joins of the lab at its tick run from the topic's start, with the panel's lists (what
/// [`joins`] gives, computed without the kept run: for tests that compare the two).
pub fn joins_from_start(lab: &Lab) -> Option<JoinsView> {
    Some(run::from_start(
        lab.streams()?,
        lab.cluster()?,
        lab.config().seed,
        lab.now().0,
        ROWS_KEPT,
    ))
}

fn push_kept<T>(rows: &mut VecDeque<T>, row: T, keep: usize) {
    if rows.len() >= keep {
        rows.pop_front();
    }
    rows.push_back(row);
}

/// A click's (partition, offset) and the version a stream-table join gave it.
fn enriched_of(o: &OutputRecord) -> Option<((u32, u64), Option<Version>)> {
    let (StreamValue::Int(p), StreamValue::Int(off)) = (o.values.first()?, o.values.get(1)?) else {
        return None;
    };
    let version = match (o.values.get(2)?, o.values.get(3)?, o.values.get(4)?) {
        (StreamValue::Text(tier), StreamValue::Time(ts), StreamValue::Time(arrival)) => {
            Some(Version {
                tier: tier.to_string(),
                ts: *ts,
                arrival: *arrival,
            })
        }
        _ => None,
    };
    Some(((*p as u32, *off as u64), version))
}

/// An instant in a sentence: the time of day to the tenth of a second (`00:00:02.5`).
fn at(t: TimeUs) -> String {
    let tenth = US_PER_SECOND / 10;
    let text = super::glue::clock_time(TimeUs(t.0 - t.0.rem_euclid(tenth)));
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn delay_text(click: &ClickRecord) -> String {
    match click.event_time {
        Some(ts) => format!(
            "{:.1} s",
            (click.arrival.0 - ts.0) as f64 / US_PER_SECOND as f64
        ),
        None => "?".into(),
    }
}

/// Why the lookup join (processing time) gave a click another version than the temporal join.
fn why_differs(click: &ClickRecord, ev: Option<&Version>, pv: Option<&Version>) -> String {
    let ts = click.event_time.unwrap_or(TimeUs::MIN);
    match (ev, pv) {
        (_, Some(p)) if p.ts > ts => format!(
            "the lookup read {} set at {}, after the click happened ({}): that change arrived at {}, before the click did ({})",
            p.tier,
            at(p.ts),
            at(ts),
            at(p.arrival),
            at(click.arrival)
        ),
        (Some(e), _) if e.arrival > click.arrival => format!(
            "the version in force at the click ({} since {}) arrived at {}, after the lookup at {}",
            e.tier,
            at(e.ts),
            at(e.arrival),
            at(click.arrival)
        ),
        (Some(e), Some(p)) if p.ts < e.ts && p.arrival > e.arrival => format!(
            "the older change to {} at {} arrived at {}, after the newer change to {} at {} (arrived {}): the lookup keeps whichever arrived last",
            p.tier,
            at(p.ts),
            at(p.arrival),
            e.tier,
            at(e.ts),
            at(e.arrival)
        ),
        (e, Some(p)) if e.is_none_or(|e| p.ts > e.ts) => format!(
            "the change to {} at {} arrived at {}, below the event-time join's watermark: the temporal join dropped it as late and kept {}",
            p.tier,
            at(p.ts),
            at(p.arrival),
            e.map_or("no version".to_string(), |e| format!("{} (since {})", e.tier, at(e.ts)))
        ),
        (Some(e), p) => format!(
            "the temporal join read {} (since {}), the lookup {}",
            e.tier,
            at(e.ts),
            p.map_or("nothing".to_string(), |p| format!("{} (since {})", p.tier, at(p.ts)))
        ),
        (None, p) => format!(
            "the temporal join found no version, the lookup {}",
            p.map_or("nothing".to_string(), |p| format!("{} (since {})", p.tier, at(p.ts)))
        ),
    }
}

/// Feeds a click to the interval join: product views on the left, checkouts on the right (the
/// partitions after the clicks topic's), other pages skipped.
fn interval_click(
    j: &mut IntervalJoin,
    click: &ClickRecord,
    key: Vec<StreamValue>,
    arrival: TimeUs,
    (pairs, late): (&mut VecDeque<JoinedPair>, &mut VecDeque<LateRow>),
    keep: usize,
) {
    let page = click.page.as_deref().unwrap_or_default();
    let partition = match page {
        VIEW_PAGE => click.partition,
        CHECKOUT_PAGE => CLICKS_PARTITIONS + click.partition,
        _ => return,
    };
    let time = click
        .event_time
        .map_or(StreamValue::Null, StreamValue::Time);
    let values = match page {
        VIEW_PAGE => vec![time],
        _ => vec![
            click.amount.map_or(StreamValue::Null, StreamValue::Int),
            time,
        ],
    };
    let record = SourceRecord {
        partition: PartitionId(partition),
        offset: click.offset,
        arrival,
        ts: click.event_time,
        key,
        values,
    };
    let watermark = j.watermark();
    let dropped = j.stats().late_dropped;
    let out = j.process(&record);
    if j.stats().late_dropped > dropped {
        push_kept(
            late,
            LateRow {
                user: click.user.clone().unwrap_or_default(),
                page: page.to_string(),
                event_time: click.event_time.unwrap_or(TimeUs::MIN),
                arrival,
                watermark,
            },
            keep,
        );
    }
    pairs_from(out, arrival, pairs, keep);
}

/// Joined rows are `[view time, amount, checkout time]` keyed by user.
fn pairs_from(
    out: Vec<OutputRecord>,
    emitted: TimeUs,
    pairs: &mut VecDeque<JoinedPair>,
    keep: usize,
) {
    for o in out {
        let (Some(StreamValue::Time(view)), Some(amount), Some(StreamValue::Time(checkout))) =
            (o.values.first(), o.values.get(1), o.values.get(2))
        else {
            continue;
        };
        push_kept(
            pairs,
            JoinedPair {
                user: o.key.first().map_or_else(String::new, |k| k.to_string()),
                view_time: *view,
                checkout_time: *checkout,
                amount: match amount {
                    StreamValue::Int(a) => Some(*a),
                    _ => None,
                },
                emitted,
            },
            keep,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changelog_is_a_prefix_of_itself_and_arrives_late() {
        let long = profile_changelog(Seed(7), tick_time(3_000));
        let short = profile_changelog(Seed(7), tick_time(1_000));
        assert!(short.len() > PROFILE_USERS as usize + 20, "{}", short.len());
        assert!(short.iter().all(|v| long.contains(v)));
        assert!(short
            .iter()
            .all(|v| v.arrival >= v.ts && v.arrival <= tick_time(1_000)));
        assert!(short
            .iter()
            .any(|v| v.arrival.0 - v.ts.0 >= 3 * US_PER_SECOND));
        assert_ne!(profile_changelog(Seed(8), tick_time(1_000)), short);
    }

    #[test]
    fn bounds_are_checked() {
        let s = DurationUs::from_seconds;
        assert!(JoinSettings::validate_bounds(s(-30), s(300)).is_ok());
        assert!(JoinSettings::validate_bounds(s(10), s(5)).is_err());
        assert!(JoinSettings::validate_bounds(s(-3_601), s(0)).is_err());
        assert_eq!(signed_seconds(s(-30)), "-30 s");
        assert_eq!(signed_seconds(s(300)), "+5 min");
        assert_eq!(signed_seconds(DurationUs(500_000)), "+0.5 s");
    }
}
