//! The streaming lab's training samples and medallion: the samples built in batch by the SQL
//! engine against the stream engine's own batch builder, the wait's trade-off between label
//! recall and freshness, and the medallion's expectations under their three actions.

mod common;

use common::labs::{fresh_lab, run_to, stream_metric as metric, try_step as step};
use common::lessons::Run;
use lab::clock::Tick;
use lab::rng::{Rng, Seed};
use lab::state::{Lab, Preset, Rejection};
use lab::steps::{parse_steps, Step};
use lab::stream_lab::samples_lab::{
    batch_samples_sql, log_config, samples_config, SAMPLE_WAIT_DEFAULT, TRIGGER_TICKS,
};
use lab::streaming::generate::recommender::RecommenderLog;
use lab::streaming::samples::batch_samples;
use lab::streaming::value::DurationUs;

#[test]
fn batch_sql_builds_the_samples_the_engine_builds_from_complete_data() {
    for seed in [1, 2024, 77] {
        let log = RecommenderLog::generate(&log_config(), &Rng::new(Seed(seed))).unwrap();
        let config = samples_config(SAMPLE_WAIT_DEFAULT);
        let sql = batch_samples_sql(&log, &config).unwrap();
        let engine = batch_samples(&log.events, &log.features, &config);
        assert!(engine.len() > 4_000, "{} samples", engine.len());
        assert_eq!(sql.len(), engine.len(), "seed {seed}");
        for (a, b) in sql.iter().zip(&engine) {
            assert_eq!(a, b, "seed {seed}");
        }
    }
}

#[test]
fn a_longer_wait_trades_freshness_for_label_recall() {
    let t = fresh_lab(Preset::Streaming, 2024);
    let pipes = t.head().streams().unwrap().pipes();
    let sweep = pipes.sweep();
    assert_eq!(
        sweep.iter().map(|p| p.wait_s).collect::<Vec<_>>(),
        vec![60, 300, 900, 1800]
    );
    for pair in sweep.windows(2) {
        assert!(
            pair[0].recall_permille < pair[1].recall_permille,
            "{sweep:?}"
        );
        assert!(pair[0].freshness_s < pair[1].freshness_s, "{sweep:?}");
        assert!(pair[0].fake_negatives > pair[1].fake_negatives, "{sweep:?}");
    }
    for point in &sweep {
        // Freshness is about the wait plus the watermark's 30 s delay and the transport.
        assert!(
            point.freshness_s >= point.wait_s && point.freshness_s <= point.wait_s + 120,
            "{point:?}"
        );
    }
    let run = pipes.run_with(DurationUs::from_seconds(60));
    let run = run.as_ref().as_ref().unwrap();
    let diagnosis = run.diagnosis.unwrap();
    // Every batch sample streams too, with the same features: only labels differ, and only
    // one way (a click the wait missed).
    assert_eq!(diagnosis.streaming_samples, diagnosis.batch_samples);
    assert_eq!(diagnosis.missing_in_stream + diagnosis.extra_in_stream, 0);
    assert_eq!(diagnosis.feature_mismatches, 0);
    assert_eq!(
        diagnosis.batch_positives - diagnosis.streaming_positives,
        diagnosis.label_mismatches
    );
    assert!(!run.fake_negatives.is_empty());
    for fake in &run.fake_negatives {
        assert!(fake.click_ts > fake.exposure_ts);
        assert!(fake.emitted_at < fake.click_ts.plus(DurationUs::from_seconds(60)));
    }
    // Most fake negatives clicked after the wait; the rest clicked inside it but arrived after
    // the watermark had fixed the label.
    let after_wait = run
        .fake_negatives
        .iter()
        .filter(|f| f.click_delay_s() >= 60)
        .count();
    assert!(after_wait * 10 >= run.fake_negatives.len() * 9);
}

#[test]
fn the_wait_and_the_expectations_are_journaled_commands() {
    let mut t = fresh_lab(Preset::Streaming, 2024);
    assert_eq!(metric(t.head(), "sample_wait_s"), 900);
    let recall_900 = metric(t.head(), "label_recall_permille");
    let hash = t.head().state_hash();
    step(&mut t, "sample-wait 60s").unwrap();
    let lab = t.head();
    assert_eq!(metric(lab, "sample_wait_s"), 60);
    assert!(metric(lab, "label_recall_permille") < recall_900);
    assert!(metric(lab, "fake_negatives") > metric(lab, "late_positives"));
    assert_ne!(lab.state_hash(), hash, "a changed wait is state");
    for bad in ["sample-wait 0s", "sample-wait 2h"] {
        let Err(Rejection::Stream { hint, .. }) = step(&mut t, bad) else {
            panic!("{bad} is refused")
        };
        assert!(hint.contains("900 s"), "{hint}");
    }
    let Err(Rejection::Stream { message, hint }) = step(&mut t, "expect non_negative_amout drop")
    else {
        panic!("an unknown expectation is refused")
    };
    assert!(message.contains("non_negative_amout") && hint.contains("non_negative_amount"));
    assert!(matches!(
        step(&mut t, "expect has_user drop"),
        Err(Rejection::Stream { .. })
    ));
    assert!(parse_steps("expect has_user ignore").is_err());
    // Replaying the journal gives the same state.
    run_to(&mut t, 50);
    step(&mut t, "expect known_status drop").unwrap();
    run_to(&mut t, 120);
    let link = lab::share_link::encode(t.journal());
    let replayed = lab::share_link::open(&link).unwrap();
    assert_eq!(replayed.head(), t.head());
    assert_eq!(
        metric(replayed.head(), "silver_rows"),
        metric(t.head(), "silver_rows")
    );
}

#[test]
fn a_fail_expectation_rolls_its_update_back_until_the_action_changes() {
    let mut t = fresh_lab(Preset::Streaming, 2024);
    // Run until the first update fails: a negative amount meets non_negative_amount (fail).
    let mut tick = 0;
    while metric(t.head(), "failed_updates") == 0 {
        tick += TRIGGER_TICKS;
        assert!(tick <= 6_000, "no update failed in ten minutes");
        run_to(&mut t, tick);
    }
    let lab = t.head();
    assert_eq!(metric(lab, "pipeline_failing"), 1);
    let view = lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
    let Some(Err(failure)) = &view.last else {
        panic!("the last update failed")
    };
    assert_eq!(failure.expectation, "non_negative_amount");
    assert!(failure.row.contains("amount: -"), "{}", failure.row);
    let silver = metric(lab, "silver_rows");
    let checkpoint = view.medallion.checkpoint();
    assert!(failure.offset >= checkpoint);
    // Later triggers retry and fail again on the same row: nothing is written meanwhile.
    run_to(&mut t, tick + 3 * TRIGGER_TICKS);
    let lab = t.head();
    assert_eq!(metric(lab, "silver_rows"), silver);
    assert_eq!(metric(lab, "failed_updates"), 4);
    assert!(metric(lab, "bronze_rows") as u64 > checkpoint + 30);
    // Dropping the violating rows instead lets the next update take the backlog.
    step(&mut t, "expect non_negative_amount drop").unwrap();
    let dropped = metric(t.head(), "dropped_rows");
    assert_eq!(
        metric(t.head(), "silver_rows"),
        silver,
        "not before the next trigger"
    );
    run_to(&mut t, tick + 4 * TRIGGER_TICKS);
    let lab = t.head();
    assert_eq!(metric(lab, "pipeline_failing"), 0);
    assert!(metric(lab, "silver_rows") > silver + 25);
    assert!(metric(lab, "dropped_rows") > dropped);
    assert_eq!(metric(lab, "gold_matches_silver"), 1);
    let view = lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
    assert!(view
        .medallion
        .dropped_rows()
        .any(|d| d.violated.contains(&"non_negative_amount".to_string())));
    // Bronze holds everything; silver has each order once, minus the dropped ones.
    let totals = view.medallion.totals();
    assert_eq!(
        totals.bronze_read,
        totals.written + totals.dropped + totals.duplicates
    );
}

#[test]
fn a_null_passes_a_range_expectation_unless_not_null_catches_it() {
    let mut t = fresh_lab(Preset::Streaming, 2024);
    run_to(&mut t, 3_000);
    step(&mut t, "expect non_negative_amount drop").unwrap();
    run_to(&mut t, 3_100);
    let lab = t.head();
    let view = lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
    let metrics = view.medallion.expectation_metrics();
    let range = metrics
        .iter()
        .find(|m| m.name == "non_negative_amount")
        .unwrap();
    let not_null = metrics.iter().find(|m| m.name == "has_amount").unwrap();
    // Amounts sent as text read as NULL: the range passes them as unknown, has_amount fails them.
    assert!(range.unknown > 0);
    assert_eq!(range.unknown, not_null.failed);
    assert_eq!(
        metric(lab, "null_passed"),
        metrics.iter().map(|m| m.unknown).sum::<u64>() as i64
    );
    assert!(metric(lab, "warned_rows") >= not_null.failed as i64);
}

#[test]
fn lesson_53_predictions_hold() {
    let file = "53-streaming-training-samples.md";
    let before = Run::after(file, 0);
    assert!(!before.revealed("guess-short-wait"));
    // The first link turns the samples topic on: nothing on it yet.
    let on = Run::after(file, 1);
    assert!(!on.revealed("guess-short-wait"));
    assert_eq!(metric(on.timeline.head(), "samples_to_topic"), 1);
    assert_eq!(metric(on.timeline.head(), "topic_samples"), 0);
    let t = Run::after(file, 2);
    let (revealed, answer) = (t.revealed("guess-short-wait"), t.answer("guess-short-wait"));
    assert!(revealed && answer.contains("fake negative"));
    // Two minutes on, the topic holds what the 60 s job emitted by then: the batch's features,
    // some labels the batch disagrees with.
    let lab = t.timeline.head();
    let d = lab::stream_lab::samples_topic::topic_diagnosis(
        lab.streams().unwrap().pipes(),
        lab.cluster().unwrap(),
    )
    .unwrap();
    assert_eq!(d.streaming_samples, metric(lab, "topic_samples") as u64);
    assert_eq!(
        (
            d.streaming_samples,
            d.streaming_positives,
            d.label_mismatches
        ),
        (68, 3, 7)
    );
    let mut session = lab::sql::Session::new();
    lab::lesson::sql::register_live(&mut session, lab);
    let by_label = lab::lesson::sql::result_of(
        &session,
        "SELECT clicked, count(*) AS n FROM samples GROUP BY clicked ORDER BY clicked",
    )
    .unwrap();
    assert_eq!(by_label.rows, 2);
    assert_eq!(by_label.row(0)[1].to_string(), "65");
    assert_eq!(by_label.row(1)[1].to_string(), "3");
    assert_eq!((d.feature_mismatches, d.extra_in_stream), (0, 0));
    // The samples did go out, negative: as many as in batch, none missing, labels differ.
    let lab = t.timeline.head();
    assert_eq!(metric(lab, "samples"), metric(lab, "batch_samples"));
    assert_eq!(metric(lab, "missing_samples"), 0);
    assert!(metric(lab, "fake_negatives") > 600);
    assert!(!t.revealed("guess-long-wait"));
    let t = Run::after(file, 3);
    let (revealed, answer) = (t.revealed("guess-long-wait"), t.answer("guess-long-wait"));
    assert!(revealed && answer.starts_with("Most of it"));
    let lab = t.timeline.head();
    assert!(
        metric(lab, "label_recall_permille")
            > metric(&before.timeline.head().clone(), "label_recall_permille")
    );
    assert!(
        metric(lab, "fake_negatives") > 0,
        "not every click is caught"
    );
    // The goal's window: 300 s misses it, 360 s meets it, 600 s is too stale.
    let mut t = before.timeline;
    for (wait, recall_ok, fresh_ok) in [(300, false, true), (360, true, true), (600, true, false)] {
        step(&mut t, &format!("sample-wait {wait}s")).unwrap();
        assert_eq!(
            metric(t.head(), "label_recall_permille") >= 800,
            recall_ok,
            "{wait}"
        );
        assert_eq!(
            metric(t.head(), "sample_freshness_s") <= 600,
            fresh_ok,
            "{wait}"
        );
    }
}

#[test]
fn lesson_53_first_callbacks_are_one_per_sample() {
    let t = Run::after("53-streaming-training-samples.md", 0).timeline;
    let mut session = lab::sql::Session::new();
    lab::lesson::sql::register_live(&mut session, t.head());
    let first = lab::lesson::sql::result_of(
        &session,
        "SELECT count(*) FROM (SELECT request_id, item, ROW_NUMBER() OVER (PARTITION BY request_id, item ORDER BY arrival, seq) AS n FROM feature_log) AS r WHERE n = 1",
    )
    .unwrap();
    assert_eq!(first.row(0)[0].to_string(), "4900");
    assert_eq!(metric(t.head(), "batch_samples"), 4900);
}

#[test]
fn lesson_55_predictions_hold() {
    let file = "55-streaming-medallion.md";
    let t = Run::after(file, 0);
    assert!(!t.revealed("guess-null-amount"));
    assert!(!t.revealed("guess-fail"));
    let t = Run::after(file, 1);
    let (revealed, answer) = (
        t.revealed("guess-null-amount"),
        t.answer("guess-null-amount"),
    );
    assert!(revealed && answer.starts_with("It passes"));
    let lab = t.timeline.head();
    // The lesson reads bronze from the orders_bronze topic.
    assert!(lab.streams().unwrap().bronze_topic().is_reading());
    let view = lab.streams().unwrap().medallion(lab.now()).unwrap();
    let range = view.expectation("non_negative_amount").unwrap();
    assert_eq!((range.failed, range.dropped), (0, 0));
    assert!(range.unknown >= 2 && metric(lab, "null_amount_in_silver") >= 2);
    assert!(!t.revealed("guess-fail"));
    let silver = metric(lab, "silver_rows");
    let t = Run::after(file, 2);
    let (revealed, answer) = (t.revealed("guess-fail"), t.answer("guess-fail"));
    assert!(revealed && answer.starts_with("Nothing"));
    assert_eq!(metric(t.timeline.head(), "silver_rows"), silver);
    assert!(
        metric(t.timeline.head(), "failed_updates") >= 2,
        "the next update stops too"
    );
}

#[test]
fn the_medallion_carried_on_tick_by_tick_equals_its_replay_from_the_start() {
    let mut t = fresh_lab(Preset::Streaming, 9);
    for tick in [450, 1_333, 1_400, 2_000] {
        run_to(&mut t, tick);
        // Read it at every tick on the way, as a playing page does.
        let lab = t.head();
        lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
        if tick == 1_333 {
            step(&mut t, "expect non_negative_amount drop").unwrap();
            step(&mut t, "expect known_status fail").unwrap();
        }
    }
    for tick in 2_001..2_150 {
        run_to(&mut t, tick);
        let lab = t.head();
        lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
    }
    let carried = {
        let lab = t.head();
        lab.streams().unwrap().pipes().medallion(lab.now()).unwrap()
    };
    let replayed = lab::share_link::open(&lab::share_link::encode(t.journal())).unwrap();
    let lab = replayed.head();
    let fresh = lab.streams().unwrap().pipes().medallion(lab.now()).unwrap();
    assert_eq!(carried, fresh);
    assert!(fresh.triggers == 21 && fresh.medallion.updates().0 > 0);
}

/// The samples on the topic, in key order.
fn topic_samples(lab: &Lab) -> Vec<lab::streaming::samples::EmittedSample> {
    let mut samples =
        lab::stream_lab::samples_topic::read_samples(lab.cluster().expect("a cluster"));
    samples.sort_by_key(|e| (e.sample.request_id, e.sample.item));
    samples
}

/// The samples the panel's replay emits before `until`, in key order.
fn panel_samples(lab: &Lab, until: Tick) -> Vec<lab::streaming::samples::EmittedSample> {
    let run = lab.streams().unwrap().pipes().samples();
    let run = run.as_ref().as_ref().unwrap();
    let mut samples: Vec<_> = run
        .emitted
        .iter()
        .filter(|e| e.emitted_at < lab::stream_lab::at(until.0))
        .cloned()
        .collect();
    samples.sort_by_key(|e| (e.sample.request_id, e.sample.item));
    samples
}

#[test]
fn samples_go_to_the_topic_on_the_labs_clock_only_once_turned_on() {
    let mut t = fresh_lab(Preset::Streaming, 2024);
    step(&mut t, "sample-wait 60s").unwrap();
    run_to(&mut t, 1_500);
    assert!(t
        .head()
        .cluster()
        .unwrap()
        .topics()
        .get("samples")
        .is_none());
    assert!(
        !panel_samples(t.head(), Tick(1_500)).is_empty(),
        "samples were emitted by 150 s"
    );
    step(&mut t, "samples-to-topic on").unwrap();
    assert!(t
        .head()
        .cluster()
        .unwrap()
        .topics()
        .get("samples")
        .is_some());
    run_to(&mut t, 3_000);
    let lab = t.head();
    let on_topic = topic_samples(lab);
    // What was emitted before the topic was turned on stays off it; after, every sample the
    // panel's replay emitted (until a tick ago: the last tick's sends are still in flight).
    let expected: Vec<_> = panel_samples(lab, Tick(2_999))
        .into_iter()
        .filter(|e| e.emitted_at >= lab::stream_lab::at(1_500))
        .collect();
    assert!(expected.len() > 100, "{} samples", expected.len());
    assert_eq!(on_topic.len(), expected.len());
    assert_eq!(on_topic, expected);
    assert_eq!(metric(lab, "topic_samples"), on_topic.len() as i64);
    // The panel's diagnosis of the topic: every sample on it is a batch sample with the batch's
    // features; the rest of the batch is not emitted yet.
    let pipes = lab.streams().unwrap().pipes();
    let d = lab::stream_lab::samples_topic::topic_diagnosis(pipes, lab.cluster().unwrap()).unwrap();
    assert_eq!(d.streaming_samples, on_topic.len() as u64);
    assert_eq!((d.extra_in_stream, d.feature_mismatches), (0, 0));
    assert_eq!(d.missing_in_stream, d.batch_samples - on_topic.len() as u64);
    assert_eq!(
        lab.streams().unwrap().samples_topic().written(),
        panel_samples(lab, Tick(3_000))
            .iter()
            .filter(|e| e.emitted_at >= lab::stream_lab::at(1_500))
            .count() as u64
    );
    // Off: nothing more is written.
    step(&mut t, "samples-to-topic off").unwrap();
    let written = t.head().streams().unwrap().samples_topic().written();
    run_to(&mut t, 3_300);
    assert_eq!(
        t.head().streams().unwrap().samples_topic().written(),
        written
    );
    // The journal replays to the same state.
    let replayed = lab::share_link::open(&lab::share_link::encode(t.journal())).unwrap();
    assert_eq!(replayed.head().state_hash(), t.head().state_hash());
    assert_eq!(topic_samples(replayed.head()), topic_samples(t.head()));
}

#[test]
fn a_samples_partition_without_its_leader_takes_no_more_samples() {
    let mut t = fresh_lab(Preset::Streaming, 7);
    step(&mut t, "sample-wait 60s").unwrap();
    step(&mut t, "samples-to-topic on").unwrap();
    run_to(&mut t, 2_000);
    let lab = t.head();
    let topic = lab.cluster().unwrap().topics().get("samples").unwrap();
    let partition = &topic.partitions()[0];
    let leader = partition.leader().expect("a leader");
    let before = topic_samples(lab).len();
    assert!(before > 0);
    let Step::Broker(kill) = parse_steps(&format!("kill-broker {}", leader.0))
        .unwrap()
        .remove(0)
    else {
        panic!("kill-broker is a broker step")
    };
    let end = t.end();
    t.apply_at(end, lab::state::Command::Broker(kill)).unwrap();
    run_to(&mut t, 3_000);
    let lab = t.head();
    let topic = lab.cluster().unwrap().topics().get("samples").unwrap();
    assert!(
        topic.partitions()[0].leader().is_none(),
        "one replica: no new leader"
    );
    // The topic's partition 0 can no longer be read or written; the panel's replay went on.
    let after = topic_samples(lab);
    let emitted = panel_samples(lab, Tick(2_999)).len();
    assert!(after.len() < emitted, "{} of {emitted}", after.len());
    // The producer took every sample (it holds those for the dead leader and retries them).
    assert_eq!(
        lab.streams().unwrap().samples_topic().written(),
        emitted as u64
    );
    // Partition 1 still takes its samples.
    let topic = lab.cluster().unwrap().topics().get("samples").unwrap();
    assert!(topic.partitions()[1].hw().0 > 0);
}
