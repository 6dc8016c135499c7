//! The medallion's bronze layer as a real topic (`bronze-topic on`): the order feed goes through
//! the broker's produce path to `orders_bronze`, the medallion reads it as consumer group
//! `medallion` and commits only after an update that succeeded; a leader that dies stalls bronze
//! and the medallion, and its return resumes them without losing or repeating an order.

mod common;

use common::labs::{fresh_lab, run_to, stream_metric as metric, try_step as step};
use common::lessons::Run;
use lab::clock::Tick;
use lab::state::{Command, Lab, Preset};
use lab::steps::{parse_steps, Step};
use lab::stream_lab::bronze_topic::{BRONZE_TOPIC, MEDALLION_GROUP};
use lab::stream_lab::samples_lab::TRIGGER_TICKS;
use std::collections::BTreeSet;

/// The records of `orders_bronze` as (offset, payload), from its partition's elected leader.
fn topic_records(lab: &Lab) -> Vec<(u64, String)> {
    let topic = lab.cluster().unwrap().topics().get(BRONZE_TOPIC).unwrap();
    let p = &topic.partitions()[0];
    let log = p.elected_leader_log().expect("a leader");
    log.read(log.log_start(), p.hw(), usize::MAX)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.offset.0,
                String::from_utf8(r.value.clone().unwrap_or_default()).unwrap(),
            )
        })
        .collect()
}

/// The leader of the topic's partition.
fn leader(lab: &Lab) -> u8 {
    let topic = lab.cluster().unwrap().topics().get(BRONZE_TOPIC).unwrap();
    topic.partitions()[0].leader().expect("a leader").0
}

fn medallion(lab: &Lab) -> std::rc::Rc<lab::stream_lab::samples_lab::MedallionView> {
    lab.streams().unwrap().medallion(lab.now()).unwrap()
}

/// The order ids in silver, in silver's order.
fn silver_order_ids(lab: &Lab) -> Vec<i64> {
    medallion(lab)
        .medallion
        .silver()
        .iter()
        .filter_map(|row| match row.values[0] {
            lab::streaming::value::StreamValue::Int(id) => Some(id),
            _ => None,
        })
        .collect()
}

/// The feed's payloads, in arrival order.
fn feed() -> Vec<String> {
    // The streaming preset's pipes draw the feed from the lab's `streaming` fork.
    let lab = fresh_lab(Preset::Streaming, 55);
    let orders = lab.head().streams().unwrap().pipes().orders().unwrap();
    orders.iter().map(|o| o.payload.clone()).collect()
}

#[test]
fn with_the_bronze_topic_on_the_medallion_reads_the_topic_through_its_group() {
    let mut t = fresh_lab(Preset::Streaming, 55);
    run_to(&mut t, 50);
    step(&mut t, "bronze-topic on").unwrap();
    assert!(t
        .head()
        .cluster()
        .unwrap()
        .topics()
        .get(BRONZE_TOPIC)
        .is_some());
    run_to(&mut t, 1_000);
    let lab = t.head();
    let records = topic_records(lab);
    // Orders from the tick the topic was turned on, each once, at consecutive offsets.
    let feed = feed();
    let first = feed.len()
        - lab
            .streams()
            .unwrap()
            .pipes()
            .orders()
            .unwrap()
            .iter()
            .filter(|o| o.arrival >= lab::stream_lab::at(50))
            .count();
    assert_eq!(metric(lab, "bronze_sent"), records.len() as i64);
    assert!(records.len() > 90, "{} records", records.len());
    for (i, (offset, payload)) in records.iter().enumerate() {
        assert_eq!(*offset, i as u64);
        assert_eq!(payload, &feed[first + i]);
    }
    // Bronze is the topic: its records with their offsets.
    let view = medallion(lab);
    let bronze: Vec<(u64, String)> = view
        .medallion
        .bronze()
        .iter()
        .map(|b| (b.offset, b.payload.clone()))
        .collect();
    assert_eq!(bronze, records);
    // The group's committed offset is the medallion's checkpoint, after the last update.
    let cluster = lab.cluster().unwrap();
    let group = cluster
        .group(MEDALLION_GROUP)
        .expect("the medallion's group");
    let committed: Vec<u64> = group.committed().values().map(|c| c.offset.0).collect();
    assert_eq!(committed, vec![view.medallion.checkpoint()]);
    assert_eq!(metric(lab, "medallion_committed"), committed[0] as i64);
    assert_eq!(
        metric(lab, "medallion_lag"),
        0,
        "the update at 1000 read it all"
    );
    assert_eq!(metric(lab, "medallion_caught_up"), 1);
    assert_eq!(view.triggers, 10, "updates at 100, 200, ..., 1000");
    // SQL's bronze_orders is the topic too.
    let tables = lab.streams().unwrap().pipe_tables(lab.now());
    let (_, bronze_table) = tables.iter().find(|(n, _)| n == "bronze_orders").unwrap();
    assert_eq!(bronze_table.rows, records.len());
}

#[test]
fn a_dead_leader_stalls_bronze_and_the_medallion_and_its_return_resumes_them_without_loss() {
    let mut t = fresh_lab(Preset::Streaming, 55);
    step(&mut t, "bronze-topic on").unwrap();
    step(&mut t, "expect non_negative_amount drop").unwrap();
    run_to(&mut t, 1_000);
    let leader = leader(t.head());
    let (bronze, silver) = (
        metric(t.head(), "bronze_rows"),
        metric(t.head(), "silver_rows"),
    );
    step(&mut t, &format!("kill-broker {leader}")).unwrap();
    run_to(&mut t, 1_300);
    let lab = t.head();
    assert_eq!(metric(lab, "bronze_offline"), 1);
    assert_eq!(metric(lab, "stalled_updates"), 3);
    assert_eq!(metric(lab, "medallion_caught_up"), 0);
    // Bronze took nothing more; silver nothing more; the producer holds the orders.
    assert_eq!(metric(lab, "bronze_rows"), bronze);
    assert_eq!(metric(lab, "silver_rows"), silver);
    assert_eq!(metric(lab, "medallion_committed"), bronze);
    assert!(
        metric(lab, "bronze_held") >= 29,
        "{}",
        metric(lab, "bronze_held")
    );
    assert_eq!(
        metric(lab, "pipeline_failing"),
        0,
        "an update over nothing succeeds"
    );
    step(&mut t, &format!("restart-broker {leader}")).unwrap();
    run_to(&mut t, 1_600);
    let lab = t.head();
    assert_eq!(metric(lab, "bronze_offline"), 0);
    assert_eq!(metric(lab, "bronze_held"), 0);
    assert_eq!(metric(lab, "medallion_caught_up"), 1);
    assert_eq!(metric(lab, "medallion_lag"), 0);
    assert_eq!(metric(lab, "stalled_updates"), 3);
    // Every order handed to the producer is on the topic once, in the feed's order.
    let records = topic_records(lab);
    let feed = feed();
    assert_eq!(records.len() as i64, metric(lab, "bronze_sent"));
    let orders = lab.streams().unwrap().pipes().orders().unwrap();
    let due = orders
        .iter()
        .filter(|o| o.arrival < lab::stream_lab::at(1_600))
        .count();
    assert_eq!(records.len(), due);
    for (i, (offset, payload)) in records.iter().enumerate() {
        assert_eq!((*offset, payload), (i as u64, &feed[i]));
    }
    // Silver has each order once, and the same orders as a medallion that never stalled.
    let ids = silver_order_ids(lab);
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "no order twice in silver");
    let mut fresh = lab::streaming::medallion::Medallion::new(
        lab::streaming::medallion::MedallionConfig::orders(),
    )
    .unwrap();
    fresh
        .set_action(
            "non_negative_amount",
            lab::streaming::medallion::Action::Drop,
        )
        .unwrap();
    fresh.ingest(
        records.iter().map(|(_, p)| p.as_str()),
        lab::stream_lab::at(0),
    );
    fresh.update().unwrap();
    assert_eq!(medallion(lab).medallion.silver(), fresh.silver());
    assert_eq!(metric(lab, "gold_matches_silver"), 1);
}

#[test]
fn a_fail_expectation_leaves_the_committed_offset_where_it_was() {
    let mut t = fresh_lab(Preset::Streaming, 55);
    step(&mut t, "bronze-topic on").unwrap();
    let mut tick = 0;
    while metric(t.head(), "failed_updates") == 0 {
        tick += TRIGGER_TICKS;
        assert!(tick <= 6_000, "no update failed in ten minutes");
        run_to(&mut t, tick);
    }
    let committed = metric(t.head(), "medallion_committed");
    let checkpoint = medallion(t.head()).medallion.checkpoint();
    assert_eq!(committed as u64, checkpoint);
    run_to(&mut t, tick + 3 * TRIGGER_TICKS);
    let lab = t.head();
    assert_eq!(metric(lab, "failed_updates"), 4);
    assert_eq!(metric(lab, "medallion_committed"), committed);
    assert_eq!(metric(lab, "medallion_caught_up"), 0);
    assert!(metric(lab, "medallion_lag") >= 30);
    let Some(Err(failure)) = &medallion(lab).last else {
        panic!("the last update failed")
    };
    assert_eq!(failure.expectation, "non_negative_amount");
    assert!(failure.offset >= checkpoint);
    // Dropping the row instead lets the next update through, and the group commits past it.
    step(&mut t, "expect non_negative_amount drop").unwrap();
    run_to(&mut t, tick + 4 * TRIGGER_TICKS);
    let lab = t.head();
    assert_eq!(metric(lab, "pipeline_failing"), 0);
    assert!(metric(lab, "medallion_committed") as u64 > failure.offset);
    assert_eq!(metric(lab, "medallion_lag"), 0);
}

#[test]
fn live_replay_and_scrub_agree_and_a_lab_without_the_topic_has_none() {
    let mut t = fresh_lab(Preset::Streaming, 9);
    run_to(&mut t, 700);
    assert!(t
        .head()
        .cluster()
        .unwrap()
        .topics()
        .get(BRONZE_TOPIC)
        .is_none());
    assert!(t.head().cluster().unwrap().group(MEDALLION_GROUP).is_none());
    assert!(!t.head().streams().unwrap().bronze_topic().is_reading());
    step(&mut t, "bronze-topic on").unwrap();
    run_to(&mut t, 1_250);
    step(&mut t, "expect known_status drop").unwrap();
    run_to(&mut t, 1_900);
    step(&mut t, "bronze-topic off").unwrap();
    let sent = metric(t.head(), "bronze_sent");
    run_to(&mut t, 2_300);
    // Off: no more orders go out; the medallion goes on with what the topic holds.
    assert_eq!(metric(t.head(), "bronze_sent"), sent);
    assert_eq!(metric(t.head(), "bronze_rows"), sent);
    let replayed = lab::share_link::open(&lab::share_link::encode(t.journal())).unwrap();
    assert_eq!(replayed.head().state_hash(), t.head().state_hash());
    assert_eq!(medallion(replayed.head()), medallion(t.head()));
    // Scrubbing back gives the state the lab had then.
    let then = t.state_at(Tick(1_600));
    let mut again = fresh_lab(Preset::Streaming, 9);
    run_to(&mut again, 700);
    step(&mut again, "bronze-topic on").unwrap();
    run_to(&mut again, 1_250);
    step(&mut again, "expect known_status drop").unwrap();
    run_to(&mut again, 1_600);
    assert_eq!(then.state_hash(), again.head().state_hash());
    assert_eq!(medallion(&then), medallion(again.head()));
}

#[test]
fn the_steps_verb_takes_on_or_off() {
    let parsed = parse_steps("bronze-topic on").unwrap();
    assert!(matches!(
        &parsed[..],
        [Step::Lab(Command::Stream(
            lab::stream_lab::command::StreamCommand::BronzeTopic { on: true }
        ))]
    ));
    assert!(parse_steps("bronze-topic maybe").is_err());
    assert!(parse_steps("bronze-topic").is_err());
}

/// Lesson 55's goals: none is met when the lesson opens, and each is met once its
/// instructions are followed, the last one (the dead leader) only after the broker returns.
#[test]
fn lesson_55_goals_are_met_by_following_the_lesson() {
    let file = "55-streaming-medallion.md";
    let start = Run::after(file, 0);
    assert_eq!(start.lesson.instructions.len(), 6);
    let ids = ["unstick", "null-guard", "leader-down"];
    assert!(ids.iter().all(|id| !start.met(id)));
    let t = Run::after(file, 3);
    assert!(t.met("unstick"));
    let t = Run::after(file, 4);
    assert!(t.met("null-guard"));
    assert!(!t.met("leader-down"), "no outage yet");
    let t = Run::after(file, 5);
    assert!(!t.met("leader-down"), "the leader is still down");
    assert_eq!(metric(t.timeline.head(), "bronze_held"), 32);
    let t = Run::after(file, 6);
    assert!(t.met("leader-down"));
    // The solution as written: the same outage without the lesson's earlier steps.
    let mut t = fresh_lab(Preset::Streaming, start.lesson.meta.config.seed.0);
    for line in ["bronze-topic on", "expect non_negative_amount drop"] {
        step(&mut t, line).unwrap();
    }
    run_to(&mut t, 1_700);
    step(&mut t, "kill-broker 1").unwrap();
    run_to(&mut t, 2_000);
    assert_eq!(metric(t.head(), "stalled_updates"), 3);
    step(&mut t, "restart-broker 1").unwrap();
    run_to(&mut t, 2_100);
    assert_eq!(metric(t.head(), "bronze_held"), 0);
    assert_eq!(metric(t.head(), "medallion_caught_up"), 1);
}

#[test]
fn without_a_leader_the_medallions_lag_is_unknown_not_zero() {
    use lab::stream_lab::bronze_topic::BronzeLag;
    let mut t = fresh_lab(Preset::Streaming, 55);
    step(&mut t, "bronze-topic on").unwrap();
    step(&mut t, "expect non_negative_amount drop").unwrap();
    run_to(&mut t, 1_000);
    let status = |lab: &Lab| {
        lab.streams()
            .unwrap()
            .bronze_topic()
            .lag_status(lab.cluster().unwrap())
    };
    assert_eq!(status(t.head()), BronzeLag::Known(0), "caught up at 1000");
    let leader = leader(t.head());
    step(&mut t, &format!("kill-broker {leader}")).unwrap();
    run_to(&mut t, 1_300);
    let lab = t.head();
    // The stale high watermark gives 0 past the last known end, yet orders keep coming: the
    // producer holds them, and the lag is said to be unknown rather than 0.
    let held = metric(lab, "bronze_held") as u64;
    assert!(held >= 29, "{held}");
    assert_eq!(metric(lab, "medallion_lag"), 0, "the stale count");
    assert_eq!(
        status(lab),
        BronzeLag::NoLeader {
            past_last_known_end: 0,
            held
        }
    );
    let text = status(lab).text();
    assert!(text.starts_with("lag unknown (no leader)"), "{text}");
    assert!(
        text.contains(&format!("{held} more held by the producer")),
        "{text}"
    );
    step(&mut t, &format!("restart-broker {leader}")).unwrap();
    run_to(&mut t, 1_600);
    assert_eq!(status(t.head()), BronzeLag::Known(0));
}
