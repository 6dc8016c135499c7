//! The streaming lab's joins (issue 14): the stream-table join as of event time and on
//! processing time, and the interval join of product views with checkouts, each checked row for
//! row against a brute-force join of the same inputs; bounds, late rows, the state kept finite
//! by the watermark, and the commands that set them.

mod common;

use common::labs::{command, fresh_lab, run, step, stream_metric as metric};
use lab::state::{Command, Lab, Preset};
use lab::steps::parse_steps;
use lab::stream_lab::clicks::read_clicks;
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::joins_lab::{
    joins, joins_from_start, joins_in_full, profile_changelog, settled_tick, Enriched,
    ProfileVersion, CHECKOUT_PAGE, VIEW_PAGE,
};
use lab::stream_lab::CLICKS_TOPIC;
use lab::streaming::value::{DurationUs, TimeUs};
use lab::timeline::Timeline;
use std::collections::BTreeMap;

fn versions(lab: &Lab) -> Vec<ProfileVersion> {
    profile_changelog(lab.config().seed, lab::stream_lab::at(lab.now().0 - 1))
}

#[test]
fn as_of_event_time_each_click_gets_the_version_in_force_when_it_happened() {
    let mut t = fresh_lab(Preset::Streaming, 11);
    step(&mut t, "table-join event-time");
    run(&mut t, 900);
    assert!(
        joins(t.head()).unwrap().table.versions_dropped > 0,
        "with a 2 s watermark delay, changes captured up to 6 s late are dropped"
    );
    // Past the capture lag, no change is late: the temporal join is the as-of join.
    let mut t = fresh_lab(Preset::Streaming, 11);
    step(&mut t, "table-join event-time");
    step(&mut t, "watermark-delay 7s");
    run(&mut t, 900);
    let lab = t.head();
    let view = joins_in_full(lab).unwrap();
    let versions = versions(lab);
    let clicks_dropped = view
        .table
        .recent
        .iter()
        .filter(|c| c.as_of_event_time == Enriched::LateDropped)
        .count() as u64;
    assert_eq!(
        view.table.event_time.late_dropped, clicks_dropped,
        "no version arrives below the watermark"
    );
    assert_eq!(view.table.versions_dropped, 0);
    let mut checked = 0;
    for click in &view.table.recent {
        let Enriched::Joined(got) = &click.as_of_event_time else {
            continue;
        };
        // Brute force: the latest version of the user at or before the click (of equal times,
        // the later in the changelog).
        let expected = versions
            .iter()
            .filter(|v| v.user == click.user && v.ts <= click.event_time)
            .max_by_key(|v| v.ts);
        assert_eq!(
            got.as_ref().map(|v| (v.tier.as_str(), v.ts)),
            expected.map(|v| (v.tier, v.ts)),
            "{click:?}"
        );
        checked += 1;
    }
    assert!(checked > 400, "{checked} clicks checked");
    assert_eq!(metric(lab, "table_join_event_time"), 1);
    assert_eq!(
        metric(lab, "table_join_rows") as u64,
        view.table.event_time.matched + view.table.event_time.unmatched
    );
}

#[test]
fn on_processing_time_each_click_gets_the_version_that_arrived_last() {
    let mut t = fresh_lab(Preset::Streaming, 12);
    run(&mut t, 900);
    let lab = t.head();
    let view = joins_in_full(lab).unwrap();
    let versions = versions(lab);
    let mut checked = 0;
    for click in &view.table.recent {
        let Enriched::Joined(got) = &click.as_of_processing_time else {
            panic!("a lookup join answers every click at once: {click:?}")
        };
        // Brute force: of the user's versions that arrived by the click's tick (a tick's versions
        // before its clicks), the last to arrive.
        let expected = versions
            .iter()
            .filter(|v| v.user == click.user && v.arrival <= click.arrival)
            .enumerate()
            .max_by_key(|(i, v)| (v.arrival, *i))
            .map(|(_, v)| v);
        assert_eq!(
            got.as_ref().map(|v| (v.tier.as_str(), v.ts)),
            expected.map(|v| (v.tier, v.ts)),
            "{click:?}"
        );
        checked += 1;
    }
    assert!(checked > 500, "{checked}");
    assert_eq!(metric(lab, "table_join_event_time"), 0);
    assert_eq!(metric(lab, "table_join_pending"), 0);
    assert_eq!(metric(lab, "table_join_late_dropped"), 0);
}

#[test]
fn the_two_joins_disagree_where_a_change_arrived_after_the_lookup_and_say_why() {
    let mut t = fresh_lab(Preset::Streaming, 2024);
    run(&mut t, 600);
    let lab = t.head();
    let view = joins_in_full(lab).unwrap();
    let differs = metric(lab, "as_of_differs");
    let compared = metric(lab, "as_of_compared");
    assert!(
        differs >= 10 && differs * 5 < compared,
        "{differs} of {compared}"
    );
    let mut counted = 0;
    for click in &view.table.recent {
        match (&click.as_of_event_time, &click.as_of_processing_time) {
            (Enriched::Joined(e), Enriched::Joined(p)) => {
                assert_eq!(e != p, click.why.is_some(), "{click:?}");
                if e != p {
                    counted += 1;
                    // The version in force arrived after the lookup, or the lookup read a change
                    // from after the click.
                    let e_late = e.as_ref().is_some_and(|v| v.arrival > click.arrival);
                    let p_future = p.as_ref().is_some_and(|v| v.ts > click.event_time);
                    // Or the change the lookup read was dropped by the temporal join as late.
                    let p_dropped = p.as_ref().is_some_and(|v| {
                        v.ts <= click.event_time && e.as_ref().is_none_or(|e| v.ts > e.ts)
                    });
                    assert!(e_late || p_future || p_dropped, "{click:?}");
                }
            }
            (Enriched::LateDropped, _) => assert!(click.why.is_some()),
            _ => assert!(click.why.is_none()),
        }
    }
    assert_eq!(counted, differs);
    // The cached view of the page is the same as the full one, cut to the latest rows.
    let cached = joins(lab).unwrap();
    assert_eq!(cached.table.differs, view.table.differs);
    assert_eq!(
        cached.table.recent.last(),
        view.table.recent.last(),
        "the newest row is kept"
    );
}

/// The brute-force interval join of the accepted (not late) views and checkouts.
fn brute_pairs(lab: &Lab, lower: i64, upper: i64) -> Vec<(String, TimeUs, TimeUs)> {
    let view = joins_in_full(lab).unwrap();
    let late: Vec<(String, String, TimeUs)> = view
        .interval
        .late
        .iter()
        .map(|l| (l.user.clone(), l.page.clone(), l.event_time))
        .collect();
    let clicks = read_clicks(lab.cluster().unwrap(), CLICKS_TOPIC, &BTreeMap::new());
    let accepted = |page: &str| -> Vec<(String, TimeUs)> {
        clicks
            .iter()
            .filter(|c| c.page.as_deref() == Some(page))
            .filter(|c| c.arrival < lab::stream_lab::at(lab.now().0))
            .map(|c| (c.user.clone().unwrap(), c.event_time.unwrap()))
            .filter(|(u, ts)| !late.contains(&(u.clone(), page.to_string(), *ts)))
            .collect()
    };
    let (views, checkouts) = (accepted(VIEW_PAGE), accepted(CHECKOUT_PAGE));
    let mut pairs = Vec::new();
    for (user, v) in &views {
        for (u, c) in &checkouts {
            if u == user && c.0 >= v.0 + lower && c.0 <= v.0 + upper {
                pairs.push((user.clone(), *v, *c));
            }
        }
    }
    pairs.sort();
    pairs
}

#[test]
fn the_interval_join_emits_every_pair_of_accepted_rows_within_the_bounds() {
    for (seed, bounds) in [(5, "-30s 5m"), (6, "0s 1m"), (7, "-1m -10s")] {
        let mut t = fresh_lab(Preset::Streaming, seed);
        step(&mut t, &format!("join-bounds {bounds}"));
        run(&mut t, 1_200);
        let lab = t.head();
        let view = joins_in_full(lab).unwrap();
        let mut got: Vec<(String, TimeUs, TimeUs)> = view
            .interval
            .recent
            .iter()
            .map(|p| (p.user.clone(), p.view_time, p.checkout_time))
            .collect();
        got.sort();
        let settings = lab.streams().unwrap().join_settings();
        let expected = brute_pairs(lab, settings.lower.0, settings.upper.0);
        assert!(expected.len() > 50, "{bounds}: {} pairs", expected.len());
        assert_eq!(got, expected, "{bounds}");
        assert_eq!(metric(lab, "join_rows") as usize, expected.len());
        assert_eq!(
            metric(lab, "join_lower_s") * 1_000_000,
            settings.lower.0,
            "{bounds}"
        );
    }
}

#[test]
fn bounds_and_the_watermark_keep_the_state_finite() {
    let state_after = |bounds: &str, ticks: u64| {
        let mut t = fresh_lab(Preset::Streaming, 9);
        step(&mut t, &format!("join-bounds {bounds}"));
        run(&mut t, ticks);
        (
            metric(t.head(), "join_state_rows"),
            metric(t.head(), "join_state_max"),
            metric(t.head(), "join_rows"),
        )
    };
    let (wide, _, _) = state_after("-30s 5m", 3_000);
    let (narrow_1, _, rows_1) = state_after("0s 30s", 1_500);
    let (narrow_2, narrow_max, rows_2) = state_after("0s 30s", 3_000);
    assert!(
        rows_2 > rows_1 * 3 / 2,
        "the join keeps joining: {rows_1} {rows_2}"
    );
    assert!(
        narrow_max < 120 && narrow_2 <= narrow_max && narrow_1 <= narrow_max,
        "about 32 s of views and 2 s of checkouts: {narrow_1} {narrow_2} max {narrow_max}"
    );
    assert!(
        wide > 4 * narrow_max,
        "5.5 minutes of rows: {wide} vs {narrow_max}"
    );
}

#[test]
fn a_late_checkout_is_dropped_by_the_interval_join_and_by_the_temporal_join() {
    let mut t = fresh_lab(Preset::Streaming, 4);
    step(&mut t, "table-join event-time");
    run(&mut t, 400);
    let before = (
        metric(t.head(), "join_late_dropped"),
        metric(t.head(), "table_join_late_dropped"),
    );
    step(
        &mut t,
        "click u3 at=00:00:05 partition=0 page=checkout amount=30",
    );
    run(&mut t, 5);
    let lab = t.head();
    assert_eq!(metric(lab, "join_late_dropped"), before.0 + 1);
    assert_eq!(metric(lab, "table_join_late_dropped"), before.1 + 1);
    let view = joins(lab).unwrap();
    let late = view.interval.late.last().unwrap();
    assert_eq!(
        (late.user.as_str(), late.page.as_str()),
        ("u3", CHECKOUT_PAGE)
    );
    assert!(late.watermark > late.event_time);
}

#[test]
fn bad_bounds_are_refused_with_a_hint_and_steps_write_the_commands() {
    let mut t = fresh_lab(Preset::Streaming, 1);
    for line in ["join-bounds 5m -30s", "join-bounds -2h 0s"] {
        let end = t.end();
        let refused = t.apply_at(end, command(line));
        assert!(refused.is_err(), "{line}");
    }
    assert!(parse_steps("join-bounds 30").is_err());
    assert!(parse_steps("table-join sometimes").is_err());
    assert_eq!(
        command("join-bounds -30s 2m"),
        Command::Stream(StreamCommand::SetJoinBounds {
            lower: DurationUs::from_seconds(-30),
            upper: DurationUs::from_seconds(120),
        })
    );
    assert_eq!(
        command("table-join processing-time"),
        Command::Stream(StreamCommand::SetTableJoinTime { event_time: false })
    );
}

#[test]
fn the_joins_replay_to_the_same_rows() {
    let mut t = fresh_lab(Preset::Streaming, 3);
    step(&mut t, "join-bounds -10s 1m");
    run(&mut t, 300);
    step(&mut t, "table-join event-time");
    run(&mut t, 300);
    let live = joins(t.head()).unwrap();
    let replayed = t.state_at(t.end());
    assert_eq!(*joins(&replayed).unwrap(), *live);
    let fresh = lab::timeline::Timeline::from_journal(t.journal().clone()).unwrap();
    assert_eq!(*joins(fresh.head()).unwrap(), *live);
}

/// A look at the head: the joins going on from the last look equal a run from the topic's start.
fn look(t: &Timeline, what: &str) {
    let lab = t.head();
    assert_eq!(
        *joins(lab).unwrap(),
        joins_from_start(lab).unwrap(),
        "{what} at tick {}",
        lab.now().0
    );
}

#[test]
fn each_look_goes_on_from_the_last_and_equals_a_run_from_the_start() {
    let mut t = fresh_lab(Preset::Streaming, 5);
    step(&mut t, "generator 20 disorder=3s");
    step(&mut t, "table-join event-time");
    for _ in 0..12 {
        run(&mut t, 37);
        look(&t, "a look while playing");
    }
    let settled = settled_tick(t.head()).unwrap();
    assert!(
        settled + 10 >= t.end().0,
        "the run is settled close to the head ({settled} of {})",
        t.end().0
    );
    // A broker down: its partitions' clicks wait in the producer, then arrive with their send
    // time, before ticks the run has fed; the run notices and starts over.
    step(&mut t, "kill-broker 1");
    for _ in 0..6 {
        run(&mut t, 23);
        look(&t, "a look with a broker down");
    }
    step(&mut t, "restart-broker 1");
    for _ in 0..8 {
        run(&mut t, 29);
        look(&t, "a look after the broker came back");
    }
    // New bounds: the kept run is of other settings.
    step(&mut t, "join-bounds -10s 1m");
    run(&mut t, 40);
    look(&t, "a look after new bounds");
    // A fork in the past, and a scrub backwards: each copy goes on from its own run.
    let past = t.end().0 - 150;
    t.apply_at(
        lab::clock::Tick(past),
        command("click u3 at=00:00:02 partition=0 page=checkout amount=9"),
    )
    .unwrap();
    look(&t, "a look after a fork");
    run(&mut t, 60);
    look(&t, "a look after the fork played on");
    let earlier = t.state_at(lab::clock::Tick(past - 300));
    assert_eq!(
        *joins(&earlier).unwrap(),
        joins_from_start(&earlier).unwrap(),
        "a scrub backwards"
    );
}
