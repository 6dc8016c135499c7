//! Unit tests of the scheduler: the duration formula, waves and stage order, executor loss and
//! lineage, cached blocks and delay scheduling, speculation, refusals and determinism.

use super::speculation::{doubled_median_ticks, is_straggler, min_succeeded_for_speculation};
use super::timing::task_duration_ticks;
use super::*;

fn config(executors: u16, cores: u16) -> ClusterConfig {
    ClusterConfig {
        executors,
        cores_per_executor: cores,
        storage_bytes_per_executor: 1_000,
        work_units_per_tick: 10,
        network_bytes_per_tick: 100,
        speculation: false,
    }
}

fn task(partition: u32, work_units: u64) -> TaskSpec {
    TaskSpec {
        partition,
        work_units,
        shuffle_read_bytes: 0,
        shuffle_write_bytes: 0,
        cache: None,
    }
}

fn stage(id: u16, parents: &[u16], tasks: Vec<TaskSpec>) -> StageSpec {
    StageSpec {
        id: StageId(id),
        name: format!("Stage {id}"),
        parents: parents.iter().map(|&p| StageId(p)).collect(),
        tasks,
    }
}

fn equal_tasks(count: u32, work_units: u64) -> Vec<TaskSpec> {
    (0..count).map(|p| task(p, work_units)).collect()
}

/// A map stage of `maps` tasks and a reduce stage of `reduces` tasks reading it.
fn map_reduce(maps: u32, reduces: u32, work_units: u64) -> JobSpec {
    let reduce_tasks = (0..reduces)
        .map(|p| TaskSpec {
            shuffle_read_bytes: 100,
            ..task(p, work_units)
        })
        .collect();
    JobSpec {
        name: "map-reduce".into(),
        stages: vec![
            stage(0, &[], equal_tasks(maps, work_units)),
            stage(1, &[0], reduce_tasks),
        ],
    }
}

/// One stage of tasks reading cached blocks "t#0".. of `bytes` each, saving all but 10 units.
fn cached_scan(tasks: u32, bytes: u64) -> JobSpec {
    let tasks = (0..tasks)
        .map(|p| TaskSpec {
            cache: Some(CachedInput {
                block: format!("t#{p}"),
                bytes,
                source_work_units: 90,
            }),
            ..task(p, 100)
        })
        .collect();
    JobSpec {
        name: "scan t".into(),
        stages: vec![stage(0, &[], tasks)],
    }
}

/// Ticks until idle, collecting the events.
fn run_collecting(cluster: &mut Cluster, max_ticks: u64) -> Vec<ClusterEvent> {
    let mut events = Vec::new();
    for _ in 0..max_ticks {
        if !cluster.has_unfinished_jobs() {
            break;
        }
        events.extend(cluster.tick());
    }
    events
}

fn job_ticks(cluster: &Cluster, job: JobId) -> u64 {
    match cluster.job_span(job) {
        Some((start, Some(end))) => end - start,
        other => panic!("job {job:?} has not ended: {other:?}"),
    }
}

fn of_stage(cluster: &Cluster, stage: u16) -> Vec<&TaskAttempt> {
    cluster
        .attempts()
        .iter()
        .filter(|a| a.stage == StageId(stage))
        .collect()
}

#[test]
fn duration_is_compute_over_speed_plus_fetch() {
    let config = config(1, 1);
    let mut spec = task(0, 25);
    assert_eq!(task_duration_ticks(&spec, false, 100, &config), 3); // ceil(25 / 10)
    assert_eq!(task_duration_ticks(&spec, false, 25, &config), 10); // ceil(25 / 2.5)
    assert_eq!(task_duration_ticks(&spec, false, 50, &config), 5);
    spec.shuffle_read_bytes = 250;
    assert_eq!(task_duration_ticks(&spec, false, 100, &config), 3 + 3);
    assert_eq!(task_duration_ticks(&spec, false, 25, &config), 10 + 3); // fetch is not slowed
    spec.cache = Some(CachedInput {
        block: "t#0".into(),
        bytes: 10,
        source_work_units: 20,
    });
    assert_eq!(task_duration_ticks(&spec, true, 100, &config), 1 + 3); // 5 units left
    assert_eq!(task_duration_ticks(&spec, false, 100, &config), 3 + 3);
    assert_eq!(task_duration_ticks(&task(0, 0), false, 100, &config), 1); // at least a tick
}

#[test]
fn a_single_task_runs_its_duration_from_the_tick_after_submission() {
    let mut cluster = Cluster::new(config(1, 1));
    let job = cluster.submit(JobSpec {
        name: "one".into(),
        stages: vec![stage(0, &[], equal_tasks(1, 30))],
    });
    assert_eq!(cluster.job_state(job), Some(JobState::Waiting));
    assert_eq!(cluster.job_span(job), None);
    let first = cluster.tick();
    assert_eq!(
        first,
        vec![
            ClusterEvent::JobStarted(job),
            ClusterEvent::StageSubmitted {
                job,
                stage: StageId(0)
            }
        ]
    );
    cluster.run_until_idle(100);
    assert_eq!(cluster.job_span(job), Some((1, Some(4))));
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
    assert_eq!(cluster.stages_done(job), vec![true]);
    let attempt = &cluster.attempts()[0];
    assert_eq!((attempt.start_tick, attempt.end_tick), (1, Some(4)));
}

#[test]
fn eight_tasks_on_four_slots_run_in_two_waves() {
    let mut cluster = Cluster::new(config(2, 2));
    let job = cluster.submit(JobSpec {
        name: "waves".into(),
        stages: vec![stage(0, &[], equal_tasks(8, 50))],
    });
    cluster.run_until_idle(100);
    assert_eq!(job_ticks(&cluster, job), 10);
    let starts: Vec<u64> = cluster.attempts().iter().map(|a| a.start_tick).collect();
    assert_eq!(starts, vec![1, 1, 1, 1, 6, 6, 6, 6]);
    let placed: Vec<(u16, u16)> = cluster.attempts()[..4]
        .iter()
        .map(|a| (a.executor.0, a.slot))
        .collect();
    assert_eq!(placed, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
}

#[test]
fn a_child_stage_starts_only_after_every_parent_partition() {
    let mut cluster = Cluster::new(config(2, 2));
    let mut job_spec = map_reduce(6, 2, 20);
    job_spec.stages[0].tasks[5].work_units = 90; // one slow map task
    let job = cluster.submit(job_spec);
    cluster.run_until_idle(200);
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
    let last_map_end = of_stage(&cluster, 0)
        .iter()
        .filter_map(|a| a.end_tick)
        .max();
    let first_reduce = of_stage(&cluster, 1).iter().map(|a| a.start_tick).min();
    assert_eq!(last_map_end, Some(12)); // starts at 3, runs 9
    assert_eq!(first_reduce, last_map_end);
}

#[test]
fn killing_an_executor_after_the_map_stage_recomputes_its_partitions() {
    let mut cluster = Cluster::new(config(2, 2));
    let job = cluster.submit(map_reduce(4, 4, 30));
    let mut events = Vec::new();
    for _ in 0..5 {
        events.extend(cluster.tick());
    }
    // Maps ran at ticks 1..4 (p0, p1 on executor 0, p2, p3 on executor 1); reduces run from 4.
    assert!(events.contains(&ClusterEvent::StageCompleted {
        job,
        stage: StageId(0)
    }));
    assert_eq!(cluster.executors()[1].map_outputs, 2);
    let kill = cluster.kill_executor(ExecutorId(1)).expect("alive");
    assert_eq!(
        kill[0],
        ClusterEvent::ExecutorLost {
            executor: ExecutorId(1),
            blocks_lost: 0,
            map_outputs_lost: 2
        }
    );
    let failed = |reason| {
        kill.iter()
            .filter(|e| matches!(e, ClusterEvent::TaskFailed { reason: r, .. } if *r == reason))
            .count()
    };
    assert_eq!(failed(FailureReason::ExecutorLost), 2);
    assert_eq!(failed(FailureReason::FetchFailed), 2);
    let resubmitted: Vec<&ClusterEvent> = kill
        .iter()
        .filter(|e| matches!(e, ClusterEvent::StageResubmitted { .. }))
        .collect();
    assert_eq!(
        resubmitted,
        vec![&ClusterEvent::StageResubmitted {
            job,
            stage: StageId(0),
            partitions: vec![2, 3]
        }]
    );
    assert_eq!(cluster.stages_done(job), vec![false, false]);
    cluster.run_until_idle(200);
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
    let map_wins: Vec<u32> = of_stage(&cluster, 0)
        .iter()
        .filter(|a| a.state == AttemptState::Succeeded)
        .map(|a| a.partition)
        .collect();
    assert_eq!(map_wins, vec![0, 1, 2, 3, 2, 3]);
    let reduce_wins = of_stage(&cluster, 1)
        .iter()
        .filter(|a| a.state == AttemptState::Succeeded)
        .count();
    assert_eq!(reduce_wins, 4);
    // The retries count up and ran on the survivor; no map outputs outlive the job.
    assert!(of_stage(&cluster, 0)[4..]
        .iter()
        .all(|a| a.attempt == 1 && a.executor == ExecutorId(0)));
    assert_eq!(cluster.executors()[0].map_outputs, 0);
}

#[test]
fn lineage_reruns_every_stage_whose_lost_output_is_needed_again() {
    let mut cluster = Cluster::new(config(2, 1));
    let job = cluster.submit(JobSpec {
        name: "three stages".into(),
        stages: vec![
            stage(0, &[], equal_tasks(2, 10)),
            stage(1, &[0], equal_tasks(2, 10)),
            stage(2, &[1], equal_tasks(2, 50)),
        ],
    });
    for _ in 0..4 {
        cluster.tick();
    }
    assert_eq!(cluster.stages_done(job), vec![true, true, false]);
    let kill = cluster.kill_executor(ExecutorId(1)).expect("alive");
    let resubmitted: Vec<StageId> = kill
        .iter()
        .filter_map(|e| match e {
            ClusterEvent::StageResubmitted { stage, .. } => Some(*stage),
            _ => None,
        })
        .collect();
    // Stage 1's output is read by the running stage 2; re-running stage 1 needs stage 0's lost
    // output again: lineage goes back as far as outputs are missing.
    assert_eq!(resubmitted, vec![StageId(1), StageId(0)]);
    cluster.run_until_idle(200);
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
}

#[test]
fn a_lost_output_no_incomplete_stage_reads_is_not_recomputed() {
    let mut cluster = Cluster::new(config(2, 1));
    let job = cluster.submit(JobSpec {
        name: "narrowing".into(),
        stages: vec![
            stage(0, &[], equal_tasks(2, 10)),
            stage(1, &[0], equal_tasks(1, 10)),
            stage(2, &[1], equal_tasks(2, 50)),
        ],
    });
    for _ in 0..4 {
        cluster.tick();
    }
    assert_eq!(cluster.stages_done(job), vec![true, true, false]);
    // Executor 1 holds stage 0's partition 1 (read already by the completed stage 1) and runs
    // stage 2's partition 1; stage 1's only output is on executor 0.
    let kill = cluster.kill_executor(ExecutorId(1)).expect("alive");
    assert_eq!(
        kill,
        vec![
            ClusterEvent::ExecutorLost {
                executor: ExecutorId(1),
                blocks_lost: 0,
                map_outputs_lost: 1
            },
            ClusterEvent::TaskFailed {
                job,
                stage: StageId(2),
                partition: 1,
                reason: FailureReason::ExecutorLost
            }
        ]
    );
    assert_eq!(cluster.executors()[1].map_outputs, 0);
    cluster.run_until_idle(200);
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
    assert_eq!(of_stage(&cluster, 0).len(), 2);
}

#[test]
fn with_no_executor_alive_the_job_waits_for_a_new_one() {
    let mut cluster = Cluster::new(config(1, 1));
    let job = cluster.submit(map_reduce(2, 1, 10));
    cluster.tick();
    cluster.kill_executor(ExecutorId(0)).expect("alive");
    assert_eq!(cluster.run_until_idle(20), 20);
    assert_eq!(cluster.job_state(job), Some(JobState::Running));
    assert_eq!(
        cluster.add_executor().expect("room"),
        vec![ClusterEvent::ExecutorAdded(ExecutorId(1))]
    );
    cluster.run_until_idle(100);
    assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
}

#[test]
fn refusals_carry_a_hint() {
    let mut cluster = Cluster::new(config(2, 1));
    let unknown = cluster.kill_executor(ExecutorId(7)).expect_err("unknown");
    assert!(unknown.message.contains("no executor 7") && unknown.hint.contains("0..1"));
    cluster.kill_executor(ExecutorId(1)).expect("alive");
    let dead = cluster.kill_executor(ExecutorId(1)).expect_err("dead");
    assert!(dead.message.contains("already dead") && dead.hint.contains("add_executor"));
    assert!(cluster.set_speed(ExecutorId(1), 50).is_err());
    assert!(cluster.set_speed(ExecutorId(0), 0).is_err());
    assert!(cluster.set_speed(ExecutorId(0), 101).is_err());
    assert!(cluster.set_speed(ExecutorId(0), 25).is_ok());
    for _ in 2..MAX_EXECUTORS {
        cluster.add_executor().expect("room");
    }
    let full = cluster.add_executor().expect_err("16 started");
    assert!(full.message.contains("16"));
    assert_eq!(cluster.executors().len(), 16);
}

#[test]
fn a_malformed_job_fails_and_the_next_one_runs() {
    let mut cluster = Cluster::new(config(1, 1));
    let bad = cluster.submit(JobSpec {
        name: "cycle".into(),
        stages: vec![
            stage(0, &[1], equal_tasks(1, 10)),
            stage(1, &[0], equal_tasks(1, 10)),
        ],
    });
    let empty = cluster.submit(JobSpec {
        name: "nothing".into(),
        stages: vec![],
    });
    let good = cluster.submit(map_reduce(1, 1, 10));
    let events = cluster.tick();
    assert!(
        matches!(&events[1], ClusterEvent::JobFailed { job, reason } if *job == bad && reason.contains("parent"))
    );
    assert!(events.contains(&ClusterEvent::JobSucceeded {
        job: empty,
        ticks: 0
    }));
    assert!(events.contains(&ClusterEvent::JobStarted(good)));
    cluster.run_until_idle(50);
    assert_eq!(cluster.job_state(bad), Some(JobState::Failed));
    assert_eq!(cluster.job_state(good), Some(JobState::Succeeded));
}

#[test]
fn jobs_run_one_after_another() {
    let mut cluster = Cluster::new(config(2, 2));
    let first = cluster.submit(map_reduce(4, 2, 20));
    let second = cluster.submit(map_reduce(4, 2, 20));
    cluster.run_until_idle(100);
    let (_, first_end) = cluster.job_span(first).expect("ran");
    let (second_start, _) = cluster.job_span(second).expect("ran");
    assert_eq!(first_end, Some(second_start));
    assert_eq!(job_ticks(&cluster, first), job_ticks(&cluster, second));
}

#[test]
fn a_second_job_over_cached_blocks_hits_and_is_faster() {
    let mut cluster = Cluster::new(config(2, 2));
    let first = cluster.submit(cached_scan(8, 100));
    let second = cluster.submit(cached_scan(8, 100));
    cluster.run_until_idle(200);
    let hits = |job: JobId| {
        cluster
            .attempts()
            .iter()
            .filter(|a| a.job == job && a.cache_hit)
            .count()
    };
    assert_eq!(hits(first), 0);
    assert_eq!(hits(second), 8);
    assert_eq!(job_ticks(&cluster, first), 20);
    assert_eq!(job_ticks(&cluster, second), 2);
    let held: Vec<usize> = cluster.executors().iter().map(|e| e.blocks.len()).collect();
    assert_eq!(held, vec![4, 4]);
    // Each task ran where its block lives.
    for attempt in cluster.attempts().iter().filter(|a| a.job == second) {
        let holder = if [0, 1, 4, 5].contains(&attempt.partition) {
            0
        } else {
            1
        };
        assert_eq!(attempt.executor, ExecutorId(holder));
    }
}

#[test]
fn a_lost_executor_loses_its_blocks_and_the_next_job_misses_exactly_those() {
    let mut cluster = Cluster::new(config(2, 2));
    cluster.submit(cached_scan(4, 100));
    cluster.run_until_idle(100);
    let kill = cluster.kill_executor(ExecutorId(1)).expect("alive");
    assert_eq!(
        kill,
        vec![ClusterEvent::ExecutorLost {
            executor: ExecutorId(1),
            blocks_lost: 2,
            map_outputs_lost: 0
        }]
    );
    let next = cluster.submit(cached_scan(4, 100));
    cluster.run_until_idle(100);
    let mut missed: Vec<u32> = cluster
        .attempts()
        .iter()
        .filter(|a| a.job == next && !a.cache_hit)
        .map(|a| a.partition)
        .collect();
    missed.sort_unstable();
    assert_eq!(missed, vec![2, 3]);
    // The recomputed blocks are cached again on the survivor, which has room for all four.
    assert_eq!(cluster.executors()[0].blocks.len(), 4);
}

#[test]
fn storage_memory_limits_what_is_cached() {
    let mut cluster = Cluster::new(ClusterConfig {
        storage_bytes_per_executor: 250,
        ..config(2, 2)
    });
    cluster.submit(cached_scan(8, 100));
    cluster.run_until_idle(100);
    for executor in cluster.executors() {
        assert_eq!(executor.blocks.len(), 2);
        assert!(executor.storage_used_bytes <= 250);
    }
    let next = cluster.submit(cached_scan(8, 100));
    cluster.run_until_idle(100);
    let hits = cluster
        .attempts()
        .iter()
        .filter(|a| a.job == next && a.cache_hit)
        .count();
    assert_eq!(hits, 4);
}

#[test]
fn a_task_waits_for_its_block_executor_then_runs_anywhere() {
    // One executor busy with a long job's task holds no slot for the block; the block's task
    // waits LOCALITY_WAIT_TICKS, then runs on the other executor and misses.
    let mut cluster = Cluster::new(config(2, 1));
    cluster.submit(cached_scan(1, 100)); // caches t#0 on executor 0
    cluster.run_until_idle(100);
    let now = cluster.now_tick();
    let mixed = JobSpec {
        name: "busy then scan".into(),
        stages: vec![stage(
            0,
            &[],
            vec![task(9, 200), cached_scan(1, 100).stages[0].tasks[0].clone()],
        )],
    };
    let job = cluster.submit(mixed);
    cluster.run_until_idle(100);
    let scan = cluster
        .attempts()
        .iter()
        .find(|a| a.job == job && a.partition == 0)
        .expect("launched");
    assert_eq!(scan.start_tick, now + 1 + LOCALITY_WAIT_TICKS);
    assert_eq!((scan.executor, scan.cache_hit), (ExecutorId(1), false));
}

#[test]
fn drop_blocks_uncaches_by_prefix() {
    let mut cluster = Cluster::new(config(2, 2));
    cluster.submit(cached_scan(4, 100));
    cluster.run_until_idle(100);
    assert_eq!(cluster.drop_blocks("other#"), 0);
    assert_eq!(cluster.drop_blocks("t#"), 4);
    assert!(cluster
        .executors()
        .iter()
        .all(|e| e.storage_used_bytes == 0));
}

/// Six 10-tick tasks on three one-core executors, executor 2 at 25% speed.
fn straggler_cluster(speculation: bool) -> (Cluster, JobId) {
    let mut cluster = Cluster::new(ClusterConfig {
        speculation,
        ..config(3, 1)
    });
    cluster.set_speed(ExecutorId(2), 25).expect("alive");
    let job = cluster.submit(JobSpec {
        name: "straggler".into(),
        stages: vec![stage(0, &[], equal_tasks(6, 100))],
    });
    (cluster, job)
}

#[test]
fn a_speculative_copy_beats_the_straggler() {
    let (mut cluster, job) = straggler_cluster(true);
    let events = run_collecting(&mut cluster, 200);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ClusterEvent::SpeculativeLaunched { partition: 2, .. }))
            .count(),
        1
    );
    let copies: Vec<&TaskAttempt> = cluster
        .attempts()
        .iter()
        .filter(|a| a.speculative)
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(
        (copies[0].partition, copies[0].attempt, copies[0].state),
        (2, 1, AttemptState::Succeeded)
    );
    assert_ne!(copies[0].executor, ExecutorId(2));
    let original = cluster
        .attempts()
        .iter()
        .find(|a| a.partition == 2 && !a.speculative)
        .expect("ran");
    assert_eq!(original.state, AttemptState::Killed);
    assert_eq!(original.end_tick, copies[0].end_tick);
    let (mut slow, slow_job) = straggler_cluster(false);
    slow.run_until_idle(200);
    assert!(slow.attempts().iter().all(|a| !a.speculative));
    assert_eq!(job_ticks(&slow, slow_job), 40);
    assert_eq!(job_ticks(&cluster, job), 30);
}

#[test]
fn speculation_thresholds_follow_spark() {
    assert_eq!(min_succeeded_for_speculation(1), 1);
    assert_eq!(min_succeeded_for_speculation(6), 4);
    assert_eq!(min_succeeded_for_speculation(8), 6);
    assert_eq!(doubled_median_ticks(&mut []), None);
    assert_eq!(doubled_median_ticks(&mut [9, 1, 5]), Some(10));
    assert_eq!(doubled_median_ticks(&mut [4, 1, 2, 3]), Some(5));
    assert!(!is_straggler(15, 20)); // 1.5 x 10 is not exceeded
    assert!(is_straggler(16, 20));
    assert!(!is_straggler(1, 0)); // shorter than the minimum
    assert!(is_straggler(2, 0));
}

#[test]
fn the_same_inputs_give_the_same_attempts() {
    let run = || {
        let mut cluster = Cluster::new(ClusterConfig {
            speculation: true,
            ..config(3, 2)
        });
        cluster.set_speed(ExecutorId(1), 25).expect("alive");
        cluster.submit(map_reduce(9, 4, 40));
        cluster.submit(cached_scan(6, 100));
        for tick in 0..200 {
            if tick == 7 {
                cluster.kill_executor(ExecutorId(2)).expect("alive");
            }
            if tick == 12 {
                cluster.add_executor().expect("room");
            }
            cluster.tick();
        }
        cluster
    };
    let (a, b) = (run(), run());
    assert_eq!(a.attempts(), b.attempts());
    assert_eq!(a, b);
}
