//! What must hold in the pipeline world at every tick, defined once and checked by the tests
//! (and the property tests over random fault schedules): the downstream state follows the
//! upstream state.
//!
//! - No stale feature while the job is current: once the job has run at full speed, pushing,
//!   with its watermark on time for [`CURRENT_FOR_US`], each user whose last click (sent while
//!   current) fell in a window that has closed since has that window (or a later one) in the
//!   online store.
//! - A feature's age grows while its source is stalled: after a crash, no online value is
//!   written until the job restarts.
//! - The served quality of each deployed version equals its measured accuracy (the rollout world
//!   serves what shadow scoring measured).
//! - A lost click is only possible when writes were unsafe by configuration (acks=1, min ISR 1 or
//!   unclean elections).

use super::model::WINDOW_US;
use super::train::window_end;
use super::users::UserIndex;
use super::WATERMARK_SLACK_US;
use crate::state::Lab;
use crate::stream_lab::clicks::tick_time;
use crate::stream_lab::PUSH_VIEW;
use features::value::{FeatureValue, KeyTuple};

/// How long the job must have been current before its features must be too (a window, the
/// watermark delay's worst case and a margin).
pub const CURRENT_FOR_US: i64 = WINDOW_US + 5_000_000;

/// Every broken invariant of `lab`, as a sentence (empty outside the pipeline preset).
pub fn violations(lab: &Lab) -> Vec<String> {
    let (Some(p), Some(store), Some(rollouts), Some(cluster)) = (
        lab.pipeline(),
        lab.features(),
        lab.rollouts(),
        lab.cluster(),
    ) else {
        return Vec::new();
    };
    let mut broken = Vec::new();
    // The state is read after a tick's work: `now` has moved on by one.
    let last = lab.now().0.saturating_sub(1);
    let now_us = tick_time(lab.now().0).0;
    let delay_us = i64::from(p.settings.watermark_delay_ms) * 1_000;
    if let Some(since) = p.current_since {
        let since_us = tick_time(since).0;
        if now_us - since_us >= CURRENT_FOR_US + delay_us {
            for (i, last_click) in p.last_click_us.iter().enumerate() {
                let Some(click_us) = *last_click else {
                    continue;
                };
                let end = window_end(click_us);
                // Only clicks sent while current, in a window that has closed by now.
                if click_us < since_us || end + delay_us + WATERMARK_SLACK_US > now_us {
                    continue;
                }
                let user = UserIndex(i as u8).name();
                let stored = store
                    .online()
                    .stored(PUSH_VIEW, &KeyTuple(vec![FeatureValue::text(&user)]))
                    .map(|row| row.event_ts.0);
                if stored.is_none_or(|ts| ts < end) {
                    broken.push(format!(
                        "{user}'s window ending at {} s is not in the online store though the job is current",
                        (end - tick_time(0).0) / 1_000_000
                    ));
                }
            }
        }
    }
    if let Some(crashed) = p.crashed_at {
        for (i, written) in p.last_write_tick.iter().enumerate() {
            if written.is_some_and(|w| w > crashed && w <= last) {
                broken.push(format!(
                    "{} was written at tick {} though the job crashed at tick {crashed}",
                    UserIndex(i as u8).name(),
                    written.unwrap_or(0)
                ));
            }
        }
    }
    for (version, behaviour) in rollouts.versions() {
        if let Some(measured) = p.models.get(version).and_then(|m| m.quality_permille) {
            if behaviour.quality_permille != measured {
                broken.push(format!(
                    "{version} serves a quality of {} but measured {measured}",
                    behaviour.quality_permille
                ));
            }
        }
    }
    let lost = cluster
        .ledger()
        .lost()
        .iter()
        .filter(|l| l.tp.topic == crate::stream_lab::CLICKS_TOPIC)
        .count();
    if lost > 0 && !p.unsafe_writes_seen {
        broken.push(format!(
            "{lost} clicks were lost though they were written with acks=all, min ISR 2 and clean elections"
        ));
    }
    broken
}
