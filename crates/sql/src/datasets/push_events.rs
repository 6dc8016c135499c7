//! `push_events`: a push-notification log, shaped for the classic analytics query "pv and uv by
//! event type and experiment bucket" (`count(*)`, `count(DISTINCT cuid)`, `CASE WHEN source LIKE
//! 'exp_a%' ...`, `event_type IN (...)`, `GROUP BY`).
//!
//! One row per logged event over two weeks (2024-06-01 to 2024-06-14). Each push opens a session
//! (`sid`): the device logs `push_receive`, then usually `push_show`, sometimes a duplicated
//! `push_show` (a logging retry, so pv exceeds the number of sessions), then `push_click` (more
//! often for active users) followed by `app_open`, or `push_dismiss`. Users are skewed: a
//! tenth of them produce nearly half the rows.
//!
//! Columns: `cuid` (user id), `event_type`, `event_day`, `sid`, `source` (the user's experiment
//! bucket: `exp_a_1`, `exp_a_2`, `exp_b_1`, `exp_b_2`, `ctrl_1`, `ctrl_2`, or `organic`; NULL when
//! the attribution was lost), `is_all` (1: a broadcast push to everyone, 0: targeted), `tag_type`
//! (the push's content: news, promo, social, reminder; NULL on `app_open`, which is no push),
//! `break_max` (the user's daily push cap; NULL when never set) and `push_active_level` (0 to 5,
//! from how active the user is).

use super::gen::{column, day, nullable, pool, table, Gen};
use crate::column::{ColumnData, Table};
use sim::rng::Seed;
use std::rc::Rc;

const DAYS: i32 = 14;
const SOURCES: [&str; 7] = [
    "exp_a_1", "exp_a_2", "exp_b_1", "exp_b_2", "ctrl_1", "ctrl_2", "organic",
];
const SOURCE_WEIGHTS: [u32; 7] = [18, 18, 18, 16, 12, 12, 6];
const TAGS: [&str; 4] = ["news", "promo", "social", "reminder"];
const TAG_WEIGHTS: [u32; 4] = [40, 30, 20, 10];
const BREAK_MAX: [i64; 6] = [1, 2, 3, 5, 8, 10];

/// One user's fixed attributes.
struct User {
    cuid: Rc<str>,
    source: Option<Rc<str>>,
    break_max: Option<i64>,
    level: i64,
}

/// The activity level of the user at `rank` (0: the most active) among `n`.
fn level(rank: usize, n: usize) -> i64 {
    let per_mille = rank as u64 * 1000 / n.max(1) as u64;
    match per_mille {
        0..=19 => 5,
        20..=99 => 4,
        100..=249 => 3,
        250..=499 => 2,
        500..=799 => 1,
        _ => 0,
    }
}

fn users(g: &mut Gen, n: usize) -> Vec<User> {
    let sources = pool(&SOURCES);
    let mut ids: Vec<usize> = (0..n).collect();
    g.shuffle(&mut ids);
    ids.iter()
        .enumerate()
        .map(|(rank, id)| User {
            cuid: Rc::from(format!("u{:06}", id + 1)),
            source: (!g.percent(2)).then(|| g.pick_weighted(&sources, &SOURCE_WEIGHTS)),
            break_max: (!g.percent(12)).then(|| BREAK_MAX[g.below(BREAK_MAX.len())]),
            level: level(rank, n),
        })
        .collect()
}

/// The push-events table with `rows` rows.
pub(super) fn push_events(seed: Seed, rows: usize) -> Table {
    let mut g = Gen::new(seed, "push_events");
    let users = users(&mut g, (rows / 10).max(50));
    let kinds = pool(&[
        "push_receive",
        "push_show",
        "push_click",
        "push_dismiss",
        "app_open",
    ]);
    let tags = pool(&TAGS);
    let first_day = day(2024, 6, 1);

    let mut cuid = Vec::with_capacity(rows);
    let mut event_type = Vec::with_capacity(rows);
    let mut event_day = Vec::with_capacity(rows);
    let mut sid = Vec::with_capacity(rows);
    let mut source = Vec::with_capacity(rows);
    let mut is_all = Vec::with_capacity(rows);
    let mut tag_type = Vec::with_capacity(rows);
    let mut break_max = Vec::with_capacity(rows);
    let mut level = Vec::with_capacity(rows);

    let mut session = 0u64;
    let mut kinds_in_session = Vec::with_capacity(8);
    while cuid.len() < rows {
        session += 1;
        let user = &users[g.skewed(users.len())];
        let today = first_day + g.below(DAYS as usize) as i32;
        let broadcast = i64::from(g.percent(35));
        let tag = g.pick_weighted(&tags, &TAG_WEIGHTS);
        let session_id: Rc<str> = Rc::from(format!("s{session:07}"));

        kinds_in_session.clear();
        if !g.percent(3) {
            kinds_in_session.push(0);
        }
        if g.percent(80) {
            kinds_in_session.push(1);
            if g.percent(6) {
                kinds_in_session.push(1);
            }
            if g.percent(6 + 3 * user.level as u32) {
                kinds_in_session.push(2);
                if g.percent(90) {
                    kinds_in_session.push(4);
                }
            } else if g.percent(30) {
                kinds_in_session.push(3);
            }
        }
        for &kind in &kinds_in_session {
            if cuid.len() == rows {
                break;
            }
            cuid.push(user.cuid.clone());
            event_type.push(kinds[kind].clone());
            event_day.push(today);
            sid.push(session_id.clone());
            source.push(user.source.clone());
            is_all.push(broadcast);
            tag_type.push((kind != 4).then(|| tag.clone()));
            break_max.push(user.break_max);
            level.push(user.level);
        }
    }
    table(vec![
        ("cuid", column(cuid, ColumnData::Text)),
        ("event_type", column(event_type, ColumnData::Text)),
        ("event_day", column(event_day, ColumnData::Date)),
        ("sid", column(sid, ColumnData::Text)),
        ("source", nullable(source, ColumnData::Text)),
        ("is_all", column(is_all, ColumnData::BigInt)),
        ("tag_type", nullable(tag_type, ColumnData::Text)),
        ("break_max", nullable(break_max, ColumnData::BigInt)),
        ("push_active_level", column(level, ColumnData::BigInt)),
    ])
}
