//! The cluster lab end to end: a query's result on every cluster shape equals the one-machine
//! result; a lost executor fails attempts but not the job; the `cluster.*` metrics move as their
//! documentation says; refusals leave the lab as it was; steps, journal bytes and share links
//! round trip; the same steps give the same attempts.

use lab::cluster::sched::{ExecutorId, JobState};
use lab::cluster_lab::glue::{lab_value, parse_step_line, step_text};
use lab::cluster_lab::{ClusterCommand, ClusterLab, JobKind};
use lab::rng::{Rng, Seed};
use lab::sim::model::Model;
use lab::state::{Command, Lab, LabConfig, Preset};
use lab::steps::{parse_steps, run, Step};

/// Lab time a test lets a job run before calling it stuck (a minute at 0.1 s a tick... times 100).
const TICKS_MAX: u64 = 60_000;

const GROUP_BY: &str = "SELECT event_type, count(*) AS pv, count(DISTINCT cuid) AS uv \
     FROM push_events GROUP BY event_type ORDER BY event_type";

/// Queries whose rows are fully ordered and exact (no floating-point sums whose rounding could
/// depend on the order partial sums are added in).
const QUERIES: &[&str] = &[
    GROUP_BY,
    "SELECT count(*) AS n, count(DISTINCT customer_id) AS riders FROM rides \
     WHERE status = 'completed'",
    "SELECT d.city, count(*) AS rides FROM rides r JOIN drivers d ON r.driver_id = d.driver_id \
     GROUP BY d.city ORDER BY d.city",
    "SELECT ride_id, driver_id FROM rides ORDER BY driver_id DESC, ride_id LIMIT 9",
];

fn fresh() -> ClusterLab {
    ClusterLab::new(Rng::new(Seed(1)))
}

fn apply(lab: &mut ClusterLab, command: ClusterCommand) {
    if let Err((message, hint)) = lab.apply(&command) {
        panic!("{command:?} refused: {message} ({hint})");
    }
}

/// Ticks until no job waits or runs.
fn run_to_end(lab: &mut ClusterLab) {
    let mut ticks = 0;
    while lab.job_running() {
        lab.tick();
        ticks += 1;
        assert!(ticks < TICKS_MAX, "the job did not end");
    }
}

fn last_state(lab: &ClusterLab) -> Option<JobState> {
    let job = lab.last_job()?;
    lab.job_cluster(job).job_state(job.id)
}

fn metric(lab: &ClusterLab, name: &str) -> i64 {
    lab_value(lab, name).unwrap_or_else(|| panic!("no cluster.{name}"))
}

fn last_result(lab: &ClusterLab) -> lab::sql::Table {
    match &lab.last_job().expect("a job").kind {
        JobKind::Sql { run, .. } => run.table.clone(),
        JobKind::MapReduce { .. } => panic!("not a query"),
    }
}

#[test]
fn every_cluster_shape_gives_the_one_machine_result() {
    let mut lab = fresh();
    for query in QUERIES {
        let reference = lab.single_machine(query).unwrap();
        for executors in [1, 3, 16] {
            apply(&mut lab, ClusterCommand::Executors(executors));
            for partitions in [1, 2, 8, 64] {
                apply(&mut lab, ClusterCommand::Partitions(partitions));
                apply(&mut lab, ClusterCommand::Sql(query.to_string()));
                assert_eq!(
                    last_result(&lab),
                    reference,
                    "{query} on {executors} executors, {partitions} partitions"
                );
                run_to_end(&mut lab);
                assert_eq!(last_state(&lab), Some(JobState::Succeeded), "{query}");
            }
        }
    }
}

#[test]
fn a_lost_executor_fails_attempts_not_the_job() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Sql(GROUP_BY.into()));
    for _ in 0..3 {
        lab.tick();
    }
    assert!(lab.job_running());
    apply(&mut lab, ClusterCommand::Kill(ExecutorId(1)));
    assert_eq!(metric(&lab, "executors_alive"), 3);
    run_to_end(&mut lab);
    assert_eq!(last_state(&lab), Some(JobState::Succeeded));
    assert!(metric(&lab, "failed_attempts") > 0);
    apply(&mut lab, ClusterCommand::AddExecutor);
    assert_eq!(metric(&lab, "executors_alive"), 4);
    for _ in 5..16 {
        apply(&mut lab, ClusterCommand::AddExecutor);
    }
    assert_eq!(metric(&lab, "executors_alive"), 15);
    let (message, hint) = lab.apply(&ClusterCommand::AddExecutor).unwrap_err();
    assert!(message.contains("16") && hint.contains("cluster executors"));
}

#[test]
fn settings_metrics_start_at_the_lab_defaults_and_follow_commands() {
    let mut lab = fresh();
    for (name, value) in [
        ("executors", 4),
        ("executors_alive", 4),
        ("partitions", 8),
        ("aqe", 1),
        ("speculation", 0),
        ("broadcast_threshold_bytes", 10 * 1024),
        ("cached_tables", 0),
        ("jobs", 0),
        ("job_running", 0),
        ("max_task_ticks", 0),
        ("mr_jobs", 0),
    ] {
        assert_eq!(metric(&lab, name), value, "{name}");
    }
    apply(&mut lab, ClusterCommand::Partitions(16));
    apply(&mut lab, ClusterCommand::BroadcastThreshold(None));
    apply(&mut lab, ClusterCommand::Aqe(false));
    apply(&mut lab, ClusterCommand::Speculation(true));
    apply(&mut lab, ClusterCommand::Executors(6));
    apply(&mut lab, ClusterCommand::Cache("push_events".into()));
    for (name, value) in [
        ("partitions", 16),
        ("broadcast_threshold_bytes", -1),
        ("aqe", 0),
        ("speculation", 1),
        ("executors", 6),
        ("executors_alive", 6),
        ("cached_tables", 1),
    ] {
        assert_eq!(metric(&lab, name), value, "{name}");
    }
    for f in lab::cluster_lab::glue::CLUSTER_FIELDS {
        assert!(lab_value(&lab, f.name).is_some(), "{}", f.name);
    }
}

#[test]
fn job_metrics_describe_the_last_job() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Sql(GROUP_BY.into()));
    assert_eq!(metric(&lab, "jobs"), 1);
    assert_eq!(metric(&lab, "job_running"), 1);
    let refused = lab.apply(&ClusterCommand::Executors(2)).unwrap_err();
    assert_eq!(refused.1, "wait for the job to end");
    run_to_end(&mut lab);
    assert_eq!(metric(&lab, "job_running"), 0);
    assert_eq!(metric(&lab, "jobs_done"), 1);
    assert!(metric(&lab, "stages") >= 2, "a GROUP BY shuffles");
    assert!(metric(&lab, "tasks") >= 8);
    assert!(metric(&lab, "shuffle_bytes") > 0);
    assert!(metric(&lab, "job_ticks") >= metric(&lab, "max_task_ticks"));
    assert!(metric(&lab, "max_task_ticks") >= metric(&lab, "median_task_ticks"));
    assert!(metric(&lab, "median_task_ticks") > 0);
    assert_eq!(metric(&lab, "failed_attempts"), 0);
}

#[test]
fn a_straggler_stretches_the_longest_task() {
    let mut steady = fresh();
    apply(&mut steady, ClusterCommand::Sql(GROUP_BY.into()));
    run_to_end(&mut steady);
    let mut slowed = fresh();
    apply(
        &mut slowed,
        ClusterCommand::Slow {
            executor: ExecutorId(0),
            speed_percent: 10,
        },
    );
    apply(&mut slowed, ClusterCommand::Sql(GROUP_BY.into()));
    run_to_end(&mut slowed);
    assert!(metric(&slowed, "max_task_ticks") > metric(&steady, "max_task_ticks"));
    assert!(metric(&slowed, "job_ticks") > metric(&steady, "job_ticks"));
}

#[test]
fn a_cached_table_is_read_from_memory_the_second_time() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Cache("push_events".into()));
    apply(&mut lab, ClusterCommand::Sql(GROUP_BY.into()));
    run_to_end(&mut lab);
    assert!(metric(&lab, "cache_misses") > 0);
    assert_eq!(metric(&lab, "cache_hits"), 0);
    apply(&mut lab, ClusterCommand::Sql(GROUP_BY.into()));
    run_to_end(&mut lab);
    assert!(metric(&lab, "cache_hits") > 0);
    apply(&mut lab, ClusterCommand::Uncache("push_events".into()));
    assert_eq!(metric(&lab, "cached_tables"), 0);
}

#[test]
fn mapreduce_jobs_run_and_report_hadoops_counters() {
    let mut lab = fresh();
    let step = |line: &str| match parse_step_line(line) {
        Some(Ok(Command::Cluster(c))) => c,
        other => panic!("{line}: {other:?}"),
    };
    apply(
        &mut lab,
        step("cluster mapreduce pvuv reducers=3 combiner=off input=push_events"),
    );
    run_to_end(&mut lab);
    assert_eq!(last_state(&lab), Some(JobState::Succeeded));
    assert_eq!(metric(&lab, "mr_jobs"), 1);
    assert_eq!(metric(&lab, "mr_reducers"), 3);
    assert_eq!(metric(&lab, "mr_map_tasks"), 8, "one split per partition");
    assert!(metric(&lab, "mr_output_records") > 0);
    assert!(metric(&lab, "mr_shuffle_bytes") > 0);
    assert!(metric(&lab, "mr_hdfs_bytes_written") > 0);
    assert_eq!(metric(&lab, "stages"), 2, "a map stage and a reduce stage");
    assert_eq!(
        metric(&lab, "mr_repeated_keys"),
        0,
        "-k1,2 keeps a group together"
    );
    assert_eq!(metric(&lab, "mr_combine_output_records"), 0);
    apply(
        &mut lab,
        step("cluster mapreduce pvuv reducers=3 partitioner=hash input=push_events"),
    );
    run_to_end(&mut lab);
    assert!(
        metric(&lab, "mr_repeated_keys") > 0,
        "hashing all three key fields spreads a group over reducers"
    );
    apply(&mut lab, step("cluster mapreduce wordcount input=previous"));
    run_to_end(&mut lab);
    assert_eq!(metric(&lab, "mr_jobs"), 3);
    assert!(
        metric(&lab, "mr_combine_output_records") > 0,
        "word count combines"
    );
    apply(
        &mut lab,
        step("cluster mapreduce wordcount reducers=4 input=docs"),
    );
    run_to_end(&mut lab);
    assert_eq!(last_state(&lab), Some(JobState::Succeeded));
    assert_eq!(metric(&lab, "mr_repeated_keys"), 0);
    assert_eq!(metric(&lab, "mr_reducers"), 4);
}

#[test]
fn absurd_values_are_refused_with_a_hint_and_change_nothing() {
    let mut lab = fresh();
    let before = lab.clone();
    for bad in [
        ClusterCommand::Executors(0),
        ClusterCommand::Executors(17),
        ClusterCommand::Cores(9),
        ClusterCommand::Partitions(0),
        ClusterCommand::Partitions(65),
        ClusterCommand::BroadcastThreshold(Some((1 << 30) + 1)),
        ClusterCommand::Cache("nope".into()),
        ClusterCommand::Uncache("push_events".into()),
        ClusterCommand::Sql("SELECT nope FROM push_events".into()),
        ClusterCommand::Sql("CREATE TABLE t (a INT)".into()),
        ClusterCommand::Sql("SELECT 1; SELECT 2".into()),
        ClusterCommand::Sql(format!("SELECT '{}'", "x".repeat(5000))),
        ClusterCommand::Kill(ExecutorId(9)),
        ClusterCommand::Slow {
            executor: ExecutorId(0),
            speed_percent: 0,
        },
    ] {
        let (message, hint) = lab.apply(&bad).unwrap_err();
        assert!(!message.is_empty() && !hint.is_empty(), "{bad:?}");
        assert_eq!(lab, before, "{bad:?}");
    }
    let mut spec = lab::cluster_lab::MapReduceSpec::example("wordcount").unwrap();
    spec.input = "previous".into();
    assert!(lab.apply(&ClusterCommand::MapReduce(spec.clone())).is_err());
    spec.input = "docs".into();
    spec.reducers = 17;
    assert!(lab.apply(&ClusterCommand::MapReduce(spec.clone())).is_err());
    spec.reducers = 1;
    spec.program = "x".repeat(9000);
    assert!(lab.apply(&ClusterCommand::MapReduce(spec)).is_err());
    assert_eq!(lab, before);
}

const STEPS: &str = "\
cluster partitions 4
cluster broadcast 20KiB
cluster cache push_events
cluster sql SELECT event_type, count(*) FROM push_events GROUP BY event_type
tick 4
cluster kill 2
tick 2
cluster add-executor
cluster slow 1 25%
tick 200
cluster speculation on
cluster aqe off
cluster mapreduce pvuv reducers=2 combiner=off partitioner=hash key-fields=3 input=push_events
tick 300
cluster mapreduce wordcount reducers=3 combiner=on partitioner=-k1,1 key-fields=1 input=previous
tick 300
cluster uncache push_events
cluster executors 3
cluster cores 1
cluster broadcast off
tick 5";

fn config() -> LabConfig {
    LabConfig {
        seed: Seed(7),
        preset: Preset::Cluster,
    }
}

#[test]
fn steps_round_trip_through_their_text_the_journal_and_a_share_link() {
    let steps = parse_steps(STEPS).unwrap();
    for step in &steps {
        let Step::Lab(Command::Cluster(command)) = step else {
            continue;
        };
        let line = step_text(command).expect("every step has a text");
        assert_eq!(parse_steps(&line).unwrap(), vec![step.clone()], "{line}");
        let mut w = lab::codec::Writer::new();
        Lab::encode_command(&Command::Cluster(command.clone()), &mut w);
        let bytes = w.into_bytes();
        let decoded = Lab::decode_command(&mut lab::codec::Reader::new(&bytes)).unwrap();
        assert_eq!(decoded, Command::Cluster(command.clone()));
    }
    let scenario = run(config(), &steps).unwrap();
    let link = lab::share_link::encode(scenario.timeline.journal());
    let reopened = lab::share_link::open(&link).unwrap();
    assert_eq!(
        reopened.head().state_hash(),
        scenario.timeline.head().state_hash()
    );
}

#[test]
fn the_same_steps_give_the_same_attempts() {
    let steps = parse_steps(STEPS).unwrap();
    let first = run(config(), &steps).unwrap();
    let second = run(config(), &steps).unwrap();
    let attempts = |r: &lab::steps::ScenarioRun| {
        let lab = r.timeline.head().cluster_lab().unwrap();
        let per_job: Vec<_> = lab
            .jobs()
            .iter()
            .map(|j| lab.job_cluster(j).attempts().to_vec())
            .collect();
        (per_job, r.timeline.head().state_hash())
    };
    let (per_job, hash) = attempts(&first);
    assert!(per_job.iter().all(|a| !a.is_empty()), "every job ran tasks");
    assert_eq!((per_job, hash), attempts(&second));
    let head = first.timeline.head();
    let lab = head.cluster_lab().unwrap();
    assert_eq!(lab.jobs().len(), 3);
    assert_eq!(lab.settings().executors, 3);
    assert_eq!(
        lab.generation().0,
        1,
        "the rebuilt cluster kept the old one's jobs"
    );
    assert!(lab
        .jobs()
        .iter()
        .all(|j| lab.job_cluster(j).job_state(j.id).is_some()));
}

const VIEWS_BY_SECTION: &str = "SELECT p.section, count(*) AS views FROM page_views v \
     JOIN pages p ON v.page = p.page GROUP BY p.section ORDER BY p.section";

#[test]
fn a_higher_broadcast_threshold_turns_the_sort_merge_join_into_a_broadcast() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Sql(VIEWS_BY_SECTION.into()));
    run_to_end(&mut lab);
    let (sort_merge_ticks, sort_merge_shuffle) =
        (metric(&lab, "job_ticks"), metric(&lab, "shuffle_bytes"));
    assert_eq!(
        metric(&lab, "sort_merge_joins"),
        1,
        "pages is 11 KiB, over 10 KiB"
    );
    assert_eq!(metric(&lab, "broadcast_joins"), 0);
    apply(
        &mut lab,
        ClusterCommand::BroadcastThreshold(Some(16 * 1024)),
    );
    apply(&mut lab, ClusterCommand::Sql(VIEWS_BY_SECTION.into()));
    run_to_end(&mut lab);
    assert_eq!(metric(&lab, "broadcast_joins"), 1);
    assert_eq!(metric(&lab, "sort_merge_joins"), 0);
    assert!(metric(&lab, "shuffle_bytes") < sort_merge_shuffle);
    assert!(metric(&lab, "job_ticks") < sort_merge_ticks);
    assert_eq!(
        last_result(&lab),
        lab.single_machine(VIEWS_BY_SECTION).unwrap()
    );
}

#[test]
fn aqe_splits_the_hot_page_and_coalesces_small_partitions() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Sql(VIEWS_BY_SECTION.into()));
    run_to_end(&mut lab);
    assert!(
        metric(&lab, "skew_splits") > 0,
        "'/home' holds 40% of the views"
    );
    assert!(metric(&lab, "coalesced_partitions") > 0);
    let (split_max, split_ticks) = (metric(&lab, "max_task_ticks"), metric(&lab, "job_ticks"));
    apply(&mut lab, ClusterCommand::Aqe(false));
    apply(&mut lab, ClusterCommand::Sql(VIEWS_BY_SECTION.into()));
    run_to_end(&mut lab);
    assert_eq!(metric(&lab, "skew_splits"), 0);
    assert_eq!(metric(&lab, "coalesced_partitions"), 0);
    assert!(
        metric(&lab, "max_task_ticks") > 2 * metric(&lab, "median_task_ticks"),
        "without AQE the hot page's task is the straggler"
    );
    assert!(metric(&lab, "max_task_ticks") > split_max);
    assert!(metric(&lab, "job_ticks") > split_ticks);
}

#[test]
fn speculation_races_a_copy_of_a_straggler() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Speculation(true));
    apply(
        &mut lab,
        ClusterCommand::Slow {
            executor: ExecutorId(0),
            speed_percent: 5,
        },
    );
    apply(
        &mut lab,
        ClusterCommand::Sql("SELECT page, count(*) FROM page_views GROUP BY page".into()),
    );
    run_to_end(&mut lab);
    assert_eq!(last_state(&lab), Some(JobState::Succeeded));
    assert!(metric(&lab, "speculative_attempts") > 0);
}

#[test]
fn losing_map_outputs_reruns_their_stage_from_lineage() {
    let mut lab = fresh();
    apply(&mut lab, ClusterCommand::Sql(VIEWS_BY_SECTION.into()));
    let job = lab.last_job().unwrap().id;
    let mut ticks = 0;
    while !lab
        .cluster()
        .stages_done(job)
        .first()
        .copied()
        .unwrap_or(false)
    {
        lab.tick();
        ticks += 1;
        assert!(ticks < TICKS_MAX);
    }
    assert!(lab.job_running());
    apply(&mut lab, ClusterCommand::Kill(ExecutorId(0)));
    run_to_end(&mut lab);
    assert_eq!(last_state(&lab), Some(JobState::Succeeded));
    assert!(metric(&lab, "resubmitted_stages") > 0);
    assert_eq!(
        last_result(&lab),
        lab.single_machine(VIEWS_BY_SECTION).unwrap()
    );
}

fn lesson(preset: &str) -> String {
    format!(
        "---\nid: cluster-lint\ntitle: A lint check\ntrack: Cluster\norder: 1\nsummary: Checks the \
         widgets.\nseed: 1\npreset: {preset}\n---\nRun a query.\n\n```widget cluster-plan\n```\n\n\
         ```steps\ncluster sql SELECT count(*) FROM page_views\ntick 50\n```\n"
    )
}

#[test]
fn cluster_widgets_need_the_cluster_preset() {
    let wrong = lab::lesson::parse_lesson(&lesson("quiet")).unwrap();
    let problems = lab::lesson::lint(&wrong);
    assert!(
        problems.iter().any(|p| p.contains("simulated cluster")),
        "{problems:?}"
    );
    let right = lab::lesson::parse_lesson(&lesson("cluster")).unwrap();
    let problems = lab::lesson::lint(&right);
    assert!(
        !problems.iter().any(|p| p.contains("simulated cluster")),
        "{problems:?}"
    );
}
