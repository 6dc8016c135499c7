//! The streaming lab end to end: the generator, the job over the clicks topic, its sink and its
//! push to the feature store, delivery under crashes, idle partitions, and the job against the
//! same query run as batch SQL over the topic.

mod common;

use common::labs::{fresh_lab, run, stream_metric as metric};
use lab::clock::Tick;
use lab::lesson::sql::{register_live, result_of};
use lab::sql::{Session, Value};
use lab::state::{Command, Lab, Preset};
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::{DEFAULT_QUERY, PUSH_VIEW};
use lab::streaming::delivery::Guarantee;
use lab::streaming::value::{DurationUs, StreamValue};
use lab::timeline::Timeline;
use std::collections::{BTreeMap, BTreeSet};

fn send(t: &mut Timeline, command: StreamCommand) {
    let end = t.end();
    t.apply_at(end, Command::Stream(command))
        .unwrap_or_else(|e| panic!("refused: {e:?}"));
}

/// The job's latest value per (window, user), as the sink wrote it.
fn sink_results(lab: &Lab) -> BTreeMap<(String, String), Vec<String>> {
    let job = lab.streams().unwrap().job();
    let view = job.view();
    let mut latest = BTreeMap::new();
    for row in view.sink {
        let text: Vec<String> = row.values.iter().map(StreamValue::to_string).collect();
        latest.insert((text[0].clone(), text[2].clone()), text);
    }
    latest
}

#[test]
fn the_job_gives_what_its_query_gives_as_batch_sql_over_the_topic() {
    let mut t = fresh_lab(Preset::Streaming, 3);
    send(
        &mut t,
        StreamCommand::SetAllowedLateness {
            lateness: DurationUs::from_seconds(60),
        },
    );
    run(&mut t, 400);
    let lab = t.head();
    assert_eq!(metric(lab, "late_dropped"), 0);
    assert!(
        metric(lab, "late_accepted") > 0,
        "the heavy tail makes late rows"
    );
    let streamed = sink_results(lab);
    assert!(streamed.len() > 20, "{} windows", streamed.len());
    let mut session = Session::new();
    register_live(&mut session, lab);
    let watermark = lab.streams().unwrap().job().view().operator.watermark();
    let batch = result_of(&session, DEFAULT_QUERY).unwrap();
    let mut expected = BTreeMap::new();
    for r in 0..batch.rows {
        let row: Vec<Value> = batch.columns.iter().map(|c| c.get(r)).collect();
        let Value::Timestamp(end) = row[1] else {
            panic!("window_end is a timestamp")
        };
        if end <= watermark.0 {
            let text: Vec<String> = row.iter().map(Value::to_string).collect();
            expected.insert((text[0].clone(), text[2].clone()), text);
        }
    }
    assert_eq!(streamed, expected);
}

#[test]
fn a_click_later_than_every_window_is_dropped_and_kept_for_the_page() {
    let mut t = fresh_lab(Preset::Streaming, 1);
    send(
        &mut t,
        StreamCommand::SetGenerator {
            clicks_per_second: 0,
            max_delay: DurationUs(0),
        },
    );
    let click = |user: &str, second: i64, partition: u32| StreamCommand::SendClick {
        partition,
        user: user.into(),
        page: "home".into(),
        amount: 1,
        event_time: lab::stream_lab::at(0).plus(DurationUs::from_seconds(second)),
    };
    // Every partition must have a row before the job has a watermark (the minimum over them).
    for partition in 0..3 {
        send(&mut t, click("u1", 30, partition));
    }
    run(&mut t, 10);
    assert_eq!(
        metric(t.head(), "watermark_s"),
        28,
        "30 s minus the 2 s delay"
    );
    send(&mut t, click("u2", 5, 0));
    run(&mut t, 10);
    let lab = t.head();
    assert_eq!(metric(lab, "late_dropped"), 1);
    let late = &lab.streams().unwrap().job().view().late;
    assert_eq!(late.back().and_then(|c| c.user.clone()), Some("u2".into()));
    send(&mut t, click("u3", 27, 2));
    run(&mut t, 10);
    assert_eq!(
        metric(t.head(), "late_dropped"),
        1,
        "27 s is below W = 28 s, but its window [20 s, 30 s) is open"
    );
    assert_eq!(metric(t.head(), "late_accepted"), 1);
}

/// Runs the default job, crashing it at tick 250 and restarting it at 260 when `crash` is set.
fn delivery_run(guarantee: Guarantee, crash: bool) -> (Lab, BTreeSet<Vec<String>>) {
    let mut t = fresh_lab(Preset::Streaming, 5);
    send(&mut t, StreamCommand::SetGuarantee { guarantee });
    run(&mut t, 250);
    if crash {
        send(&mut t, StreamCommand::CrashJob);
        run(&mut t, 10);
        send(&mut t, StreamCommand::RestartJob);
    } else {
        run(&mut t, 10);
    }
    run(&mut t, 240);
    let lab = t.head().clone();
    let rows = lab
        .streams()
        .unwrap()
        .job()
        .view()
        .sink
        .iter()
        .filter(|r| r.tick < 420)
        .map(|r| r.values.iter().map(StreamValue::to_string).collect())
        .collect();
    (lab, rows)
}

#[test]
fn a_crash_repeats_outputs_under_at_least_once_and_never_under_exactly_once() {
    let (at_least_once, _) = delivery_run(Guarantee::AtLeastOnce, true);
    assert!(metric(&at_least_once, "duplicates") > 0);
    assert_eq!(metric(&at_least_once, "restarts"), 1);
    let (exactly_once, crashed_rows) = delivery_run(Guarantee::ExactlyOnce, true);
    assert_eq!(metric(&exactly_once, "duplicates"), 0);
    let (_, calm_rows) = delivery_run(Guarantee::ExactlyOnce, false);
    assert_eq!(
        crashed_rows, calm_rows,
        "exactly-once: the crash changes nothing downstream"
    );
}

#[test]
fn an_idle_partition_holds_the_watermark_until_the_idleness_timeout() {
    let mut t = fresh_lab(Preset::Streaming, 2);
    run(&mut t, 100);
    send(
        &mut t,
        StreamCommand::SetPartitionPaused {
            partition: 1,
            paused: true,
        },
    );
    run(&mut t, 300);
    let held = metric(t.head(), "watermark_s");
    assert!(
        held <= 12,
        "the paused partition holds W near 10 s, got {held}"
    );
    send(
        &mut t,
        StreamCommand::SetIdleTimeout {
            timeout: Some(DurationUs::from_seconds(5)),
        },
    );
    run(&mut t, 100);
    assert_eq!(metric(t.head(), "idle_partitions"), 1);
    assert!(metric(t.head(), "watermark_s") > 40);
}

#[test]
fn pushed_features_follow_the_stream_and_go_stale_when_the_job_stops() {
    let mut t = fresh_lab(Preset::Streaming, 4);
    run(&mut t, 300);
    let fresh = metric(t.head(), "freshness_s");
    assert!(fresh <= 15, "fresh while running: {fresh} s");
    assert!(metric(t.head(), "pushed") > 0);
    let store = t.head().features().unwrap();
    assert!(store.online().table(PUSH_VIEW).is_some());
    send(&mut t, StreamCommand::CrashJob);
    run(&mut t, 300);
    assert!(metric(t.head(), "freshness_s") >= 40);
    assert!(metric(t.head(), "lag") > 50, "the topic keeps growing");
}

#[test]
fn a_query_that_is_not_windowed_is_refused_and_changes_nothing() {
    let mut t = fresh_lab(Preset::Streaming, 1);
    run(&mut t, 20);
    let before = t.head().state_hash();
    for bad in [
        "SELECT * FROM clicks",
        "SELECT window_start, count(*) FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY window_start, window_end",
        "SELECT window_start, window_end, count(*) FROM TUMBLE(clicks, page, INTERVAL '1' SECOND) GROUP BY window_start, window_end",
    ] {
        let refused = t
            .apply_at(
                Tick(20),
                Command::Stream(StreamCommand::SetQuery { sql: bad.into() }),
            )
            .unwrap_err();
        assert!(!format!("{refused:?}").is_empty());
        assert_eq!(t.head().state_hash(), before, "{bad}");
    }
}

#[test]
fn the_same_journal_gives_the_same_lab() {
    let build = || {
        let mut t = fresh_lab(Preset::Streaming, 9);
        run(&mut t, 120);
        send(&mut t, StreamCommand::CrashJob);
        run(&mut t, 30);
        send(&mut t, StreamCommand::RestartJob);
        run(&mut t, 50);
        t
    };
    let (a, b) = (build(), build());
    assert_eq!(a.head().state_hash(), b.head().state_hash());
    let replayed = Timeline::from_journal(a.journal().clone()).unwrap();
    assert_eq!(replayed.head().state_hash(), a.head().state_hash());
    assert_eq!(
        a.state_at(Tick(100)).state_hash(),
        b.state_at(Tick(100)).state_hash()
    );
}

/// Entity rows for every user at `at`, as a learner pastes them.
fn entity_rows(t: &mut Timeline, at: &str) {
    let csv: String = std::iter::once("user_id,event_timestamp".to_string())
        .chain((0..12).map(|u| format!("u{u},{at}")))
        .collect::<Vec<_>>()
        .join("\n");
    let command = lab::feature_lab::entity_rows_from_csv("visits", &csv).unwrap();
    let end = t.end();
    t.apply_at(end, Command::Features(command)).unwrap();
    for line in [
        "entities visits",
        "request user_clicks:page,user_clicks:amount",
    ] {
        let step = lab::steps::parse_steps(line).unwrap().remove(0);
        let lab::steps::Step::Lab(command) = step else {
            panic!("{line}")
        };
        let end = t.end();
        t.apply_at(end, command).unwrap();
    }
}

#[test]
fn the_clicks_topic_is_a_live_feature_source_with_its_arrival_as_created_time() {
    use lab::features::historical::{NullReason, ViewMatch};
    let mut t = fresh_lab(Preset::Streaming, 6);
    // Clicks up to 10 s out of order: many arrive well after they happened.
    send(
        &mut t,
        StreamCommand::SetGenerator {
            clicks_per_second: 4,
            max_delay: DurationUs::from_seconds(10),
        },
    );
    run(&mut t, 400);
    entity_rows(&mut t, "2024-01-01 00:00:30");
    let store = t.head().features().unwrap();
    let pushed = store.sources()[lab::stream_lab::TOPIC_VIEW].rows.len() as i64;
    assert_eq!(
        pushed,
        metric(t.head(), "clicks_sent") - metric(t.head(), "lag")
    );
    let matched = |store: &lab::features::store::FeatureStore| {
        store
            .training_set()
            .unwrap()
            .matches
            .iter()
            .filter(|m| matches!(m[0], ViewMatch::Matched { .. }))
            .count()
    };
    let all = matched(store);
    assert!(all >= 10, "most users clicked in the first 30 s: {all}");
    let before = store.training_set().unwrap().matches;
    let step = lab::steps::parse_steps("cutoff on").unwrap().remove(0);
    let lab::steps::Step::Lab(cutoff) = step else {
        panic!()
    };
    let end = t.end();
    t.apply_at(end, cutoff).unwrap();
    let store = t.head().features().unwrap();
    let set = store.training_set().unwrap();
    let not_known = set
        .matches
        .iter()
        .filter(|m| matches!(m[0], ViewMatch::Missing(NullReason::NotKnownYet)))
        .count();
    let changed = set
        .matches
        .iter()
        .zip(&before)
        .filter(|(a, b)| *a != *b)
        .count();
    assert!(
        changed > 0 && changed >= not_known,
        "with the cutoff, clicks that reached the broker after 00:00:30 are not used"
    );
}

#[test]
fn the_job_commits_its_checkpointed_offsets_to_its_consumer_group() {
    let mut t = fresh_lab(Preset::Streaming, 8);
    run(&mut t, 250);
    let cluster = t.head().cluster().unwrap();
    let group = cluster
        .group(lab::stream_lab::JOB_GROUP)
        .expect("the first checkpoint commits");
    let committed: u64 = group.committed().values().map(|c| c.offset.0).sum();
    let checkpointed: u64 = t
        .head()
        .streams()
        .unwrap()
        .job()
        .job()
        .last_checkpoint_offsets()
        .iter()
        .sum();
    assert_eq!(committed, checkpointed);
    assert!(committed > 0);
    let lag: u64 = cluster
        .lags()
        .iter()
        .filter(|(g, _, _)| g == lab::stream_lab::JOB_GROUP)
        .map(|(_, _, lag)| lag)
        .sum();
    assert!(
        lag > 0,
        "the group's lag counts what came after the checkpoint"
    );
}
