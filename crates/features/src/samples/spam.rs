//! A spam filter's features: per-user counters that a streaming job updates every minute, next
//! to a user embedding that a batch job recomputes every two days, over six days
//! (2024-03-01 to 2024-03-06).
//!
//! Users comment in sessions: a user starts one in any given hour with a 3% chance. A normal
//! session is one to three comments minutes apart, rarely spam; a burst is eight to twenty
//! comments seconds apart, mostly spam. A few users ([`SPAMMER_PERCENT`]%) burst in half their
//! sessions, everyone else in 3% (a hijacked account, a one-off campaign). Moderators flag most
//! spam three to fifteen minutes after it is posted.
//!
//! - `user_comment_counters` (TTL ten minutes): `comments_last_10m` and `flagged_last_1h`, as
//!   of each minute. The job runs every minute and writes a row for each user whose counters
//!   changed (Feast's push-source pattern), stamped with the minute, created two seconds later.
//!   A user quiet for ten minutes has no live row: the join says "expired by TTL", which itself
//!   means "no burst".
//! - `user_embedding` (TTL three days): `emb_0 .. emb_3`, recomputed at midnight every two days
//!   and written three hours later. `emb_0` and `emb_1` carry the user's long-run spamminess
//!   (noisily); `emb_2` and `emb_3` are other traits (topics) that carry none.
//!
//! The label `is_spam` of a row of `comments` follows the session's mode: a burst shows in the
//! counters within a minute, while the embedding only knows who tends to burst. A model with the
//! counters beats one with the embedding alone.

use super::{
    at, in_ingestion_order, keyed_row, round_to, Draw, FeatureSample, US_PER_DAY, US_PER_HOUR,
    US_PER_MINUTE,
};
use crate::model::{
    Entity, EntityFrame, FeatureDef, FeatureRepo, FeatureService, FeatureView, ViewRows, ViewSource,
};
use crate::value::{Dtype, DurationUs, FeatureValue, US_PER_SECOND};
use sim::rng::Seed;
use std::collections::BTreeMap;

/// User ids: `1 ..= USERS`.
pub const USERS: i64 = 300;
/// Days of comments.
pub const DAYS: i64 = 6;
/// Comments before this instant (days 1 to 4) are for training; the rest is later data.
pub fn later_data_from() -> crate::value::TimestampUs {
    at(4 * US_PER_DAY)
}
/// The share of users who often burst.
pub const SPAMMER_PERCENT: i64 = 12;

/// The chance a user starts a session in a given hour.
const SESSION_CHANCE: f64 = 0.03;
/// Days between embedding recomputations.
const EMBEDDING_EVERY_DAYS: i64 = 2;

/// The dataset: views `user_comment_counters` and `user_embedding`, entity rows `comments`,
/// services `spam_filter` (both views) and `embedding_only`.
pub fn spam_comments(seed: Seed) -> FeatureSample {
    let users = simulate_users(seed);
    let mut sources = BTreeMap::new();
    sources.insert("user_comment_counters".to_string(), counter_rows(&users));
    sources.insert("user_embedding".to_string(), embedding_rows(seed, &users));
    let mut entities = BTreeMap::new();
    entities.insert("comments".to_string(), comment_rows(&users));
    FeatureSample {
        repo: repo(),
        sources,
        entities,
    }
}

const COUNTER_FEATURES: [&str; 2] = ["comments_last_10m", "flagged_last_1h"];
const EMBEDDING_FEATURES: [&str; 4] = ["emb_0", "emb_1", "emb_2", "emb_3"];

fn repo() -> FeatureRepo {
    let source = |table: &str| ViewSource {
        table: table.to_string(),
        timestamp_field: "event_timestamp".to_string(),
        created_timestamp_column: Some("created".to_string()),
    };
    let defs = |names: &[&str], dtype: Dtype| -> Vec<FeatureDef> {
        names
            .iter()
            .map(|name| FeatureDef {
                name: name.to_string(),
                dtype,
            })
            .collect()
    };
    let embedding_refs = super::feature_refs("user_embedding", &EMBEDDING_FEATURES);
    let mut spam_filter = super::feature_refs("user_comment_counters", &COUNTER_FEATURES);
    spam_filter.extend(embedding_refs.iter().cloned());
    FeatureRepo {
        entities: vec![Entity {
            name: "user".to_string(),
            join_keys: vec!["user_id".to_string()],
        }],
        views: vec![
            FeatureView {
                name: "user_comment_counters".to_string(),
                entities: vec!["user".to_string()],
                ttl: Some(DurationUs(10 * US_PER_MINUTE)),
                source: source("user_comment_counters"),
                features: defs(&COUNTER_FEATURES, Dtype::Int64),
            },
            FeatureView {
                name: "user_embedding".to_string(),
                entities: vec!["user".to_string()],
                ttl: Some(DurationUs(3 * US_PER_DAY)),
                source: source("user_embedding"),
                features: defs(&EMBEDDING_FEATURES, Dtype::Float64),
            },
        ],
        services: vec![
            FeatureService {
                name: "spam_filter".to_string(),
                features: spam_filter,
            },
            FeatureService {
                name: "embedding_only".to_string(),
                features: embedding_refs,
            },
        ],
    }
}

/// One comment: when, whether it is spam, and when (if ever) a moderator flagged it.
struct Comment {
    at_us: i64,
    is_spam: bool,
    flagged_at_us: Option<i64>,
}

/// A user's trait and comments, in time order.
struct User {
    user_id: i64,
    spammer: bool,
    comments: Vec<Comment>,
}

fn simulate_users(seed: Seed) -> Vec<User> {
    let mut draw = Draw::new(seed, "spam/users");
    (1..=USERS)
        .map(|user_id| {
            let spammer = draw.range(0, 99) < SPAMMER_PERCENT;
            let burst_chance = if spammer { 0.5 } else { 0.03 };
            let mut comments = Vec::new();
            for hour in 0..DAYS * 24 {
                if draw.chance(SESSION_CHANCE) {
                    let start = hour * US_PER_HOUR + draw.range(0, 3599) * US_PER_SECOND;
                    let burst = draw.chance(burst_chance);
                    session(&mut draw, start, burst, &mut comments);
                }
            }
            comments.retain(|c| c.at_us < DAYS * US_PER_DAY);
            sim::sort::sort_by_key(&mut comments, |c| c.at_us);
            User {
                user_id,
                spammer,
                comments,
            }
        })
        .collect()
}

/// One session's comments from `start_us`: a burst or a normal session.
fn session(draw: &mut Draw, start_us: i64, burst: bool, comments: &mut Vec<Comment>) {
    let (count, gap_seconds, spam_chance) = if burst {
        (draw.range(8, 20), (10, 60), 0.85)
    } else {
        (draw.range(1, 3), (60, 600), 0.03)
    };
    let mut at_us = start_us;
    for _ in 0..count {
        // Never on a whole minute, so no counter row stamped at a comment's instant counts it.
        let jitter_us = draw.range(1, 999_999);
        let is_spam = draw.chance(spam_chance);
        let flag_chance = if is_spam { 0.7 } else { 0.01 };
        let flagged_at_us = draw
            .chance(flag_chance)
            .then(|| at_us + jitter_us + draw.range(180, 900) * US_PER_SECOND);
        comments.push(Comment {
            at_us: at_us + jitter_us,
            is_spam,
            flagged_at_us,
        });
        at_us += draw.range(gap_seconds.0, gap_seconds.1) * US_PER_SECOND;
    }
}

/// The first whole minute at or after `t_us`.
fn ceil_minute(t_us: i64) -> i64 {
    t_us.div_euclid(US_PER_MINUTE) * US_PER_MINUTE
        + if t_us.rem_euclid(US_PER_MINUTE) == 0 {
            0
        } else {
            US_PER_MINUTE
        }
}

/// The counters of a user as of minute `m_us`: comments in `(m - 10 min, m]`, flags in
/// `(m - 1 h, m]`.
fn counters_at(user: &User, m_us: i64) -> [i64; 2] {
    let in_window = |t: i64, width: i64| t <= m_us && t > m_us - width;
    let comments = user
        .comments
        .iter()
        .filter(|c| in_window(c.at_us, 10 * US_PER_MINUTE))
        .count() as i64;
    let flags = user
        .comments
        .iter()
        .filter_map(|c| c.flagged_at_us)
        .filter(|f| in_window(*f, US_PER_HOUR))
        .count() as i64;
    [comments, flags]
}

/// The minute job's rows: for each user, a row at every minute its counters changed.
fn counter_rows(users: &[User]) -> ViewRows {
    let mut rows = Vec::new();
    for user in users {
        let mut minutes: Vec<i64> = Vec::new();
        for comment in &user.comments {
            minutes.push(ceil_minute(comment.at_us));
            minutes.push(ceil_minute(comment.at_us + 10 * US_PER_MINUTE));
            if let Some(flag) = comment.flagged_at_us {
                minutes.push(ceil_minute(flag));
                minutes.push(ceil_minute(flag + US_PER_HOUR));
            }
        }
        sim::sort::sort(&mut minutes);
        minutes.dedup();
        let mut last = [0, 0];
        for minute in minutes {
            let now = counters_at(user, minute);
            if now != last {
                rows.push(keyed_row(
                    user.user_id,
                    minute,
                    minute + 2 * US_PER_SECOND,
                    now.iter().map(|n| FeatureValue::Int(*n)).collect(),
                ));
                last = now;
            }
        }
    }
    in_ingestion_order(rows)
}

/// The embedding job's rows: every user at midnight every two days, written three hours later.
fn embedding_rows(seed: Seed, users: &[User]) -> ViewRows {
    let mut draw = Draw::new(seed, "spam/user_embedding");
    let mut rows = Vec::new();
    for day in (0..DAYS).step_by(EMBEDDING_EVERY_DAYS as usize) {
        let midnight = day * US_PER_DAY;
        for user in users {
            let spamminess = if user.spammer { 1.0 } else { 0.0 };
            let values = [
                spamminess + draw.normal(),
                0.3 * spamminess + draw.normal(),
                draw.normal(),
                draw.normal(),
            ]
            .iter()
            .map(|x| FeatureValue::Float(round_to(*x, 4)))
            .collect();
            rows.push(keyed_row(
                user.user_id,
                midnight,
                midnight + 3 * US_PER_HOUR,
                values,
            ));
        }
    }
    in_ingestion_order(rows)
}

/// The entity rows: `comments(comment_id, user_id, event_timestamp, is_spam)`, in time order.
fn comment_rows(users: &[User]) -> EntityFrame {
    let mut all: Vec<(i64, i64, bool)> = users
        .iter()
        .flat_map(|user| {
            user.comments
                .iter()
                .map(|c| (c.at_us, user.user_id, c.is_spam))
        })
        .collect();
    sim::sort::sort(&mut all);
    EntityFrame {
        columns: ["comment_id", "user_id", "event_timestamp", "is_spam"]
            .map(String::from)
            .to_vec(),
        rows: all
            .iter()
            .enumerate()
            .map(|(i, (at_us, user_id, is_spam))| {
                vec![
                    FeatureValue::Int(i as i64 + 1),
                    FeatureValue::Int(*user_id),
                    FeatureValue::Timestamp(at(*at_us)),
                    FeatureValue::Int(i64::from(*is_spam)),
                ]
            })
            .collect(),
        timestamp_column: 2,
    }
}
