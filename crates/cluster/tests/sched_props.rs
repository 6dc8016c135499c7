//! Property tests of the cluster scheduler over random job DAGs, random executor kills and
//! additions, stragglers, cached blocks and speculation: every job ends with exactly one winning
//! attempt per partition per stage execution, no slot runs two attempts at once, no child task
//! starts before its parents' partitions succeeded, and the same inputs give the same attempts.

use std::collections::BTreeMap;

use cluster::sched::{
    AttemptState, CachedInput, Cluster, ClusterConfig, ClusterEvent, ExecutorId, JobId, JobSpec,
    JobState, StageId, StageSpec, TaskAttempt, TaskSpec,
};
use proptest::prelude::*;

/// A learner's command at a tick.
#[derive(Clone, Debug)]
enum Command {
    Kill(u16),
    Add,
    Slow(u16, u16),
}

#[derive(Clone, Debug)]
struct Scenario {
    config: ClusterConfig,
    jobs: Vec<JobSpec>,
    commands: Vec<(u64, Command)>,
}

fn task_strategy(partition: u32, reads_shuffle: bool) -> impl Strategy<Value = TaskSpec> {
    (
        0u64..120,
        0u64..300,
        0u64..200,
        proptest::option::of((0u32..4, 50u64..200, 0u64..60)),
    )
        .prop_map(move |(work_units, read, write, cache)| TaskSpec {
            partition,
            work_units,
            shuffle_read_bytes: if reads_shuffle { read } else { 0 },
            shuffle_write_bytes: write,
            cache: cache.map(|(block, bytes, saved)| CachedInput {
                block: format!("t#{block}"),
                bytes,
                source_work_units: saved,
            }),
        })
}

fn stage_strategy(index: u16) -> impl Strategy<Value = StageSpec> {
    (any::<u8>(), 1u32..6).prop_flat_map(move |(parent_bits, task_count)| {
        let parents: Vec<StageId> = (0..index)
            .filter(|p| parent_bits & (1 << (p % 8)) != 0)
            .map(StageId)
            .collect();
        let reads = !parents.is_empty();
        let tasks: Vec<_> = (0..task_count).map(|p| task_strategy(p, reads)).collect();
        tasks.prop_map(move |tasks| StageSpec {
            id: StageId(index),
            name: format!("Stage {index}"),
            parents: parents.clone(),
            tasks,
        })
    })
}

fn job_strategy() -> impl Strategy<Value = JobSpec> {
    (1u16..5).prop_flat_map(|stages| {
        let stages: Vec<_> = (0..stages).map(stage_strategy).collect();
        stages.prop_map(|stages| JobSpec {
            name: "random".into(),
            stages,
        })
    })
}

fn command_strategy() -> impl Strategy<Value = (u64, Command)> {
    let command = prop_oneof![
        3 => (0u16..6).prop_map(Command::Kill),
        2 => Just(Command::Add),
        1 => (0u16..6, 10u16..101).prop_map(|(e, s)| Command::Slow(e, s)),
    ];
    (0u64..25, command)
}

fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    (
        1u16..5,
        1u16..4,
        0u64..400,
        any::<bool>(),
        proptest::collection::vec(job_strategy(), 1..4),
        proptest::collection::vec(command_strategy(), 0..10),
    )
        .prop_map(
            |(executors, cores, storage, speculation, jobs, mut commands)| {
                commands.sort_by_key(|(tick, _)| *tick);
                Scenario {
                    config: ClusterConfig {
                        executors,
                        cores_per_executor: cores,
                        storage_bytes_per_executor: storage,
                        work_units_per_tick: 10,
                        network_bytes_per_tick: 100,
                        speculation,
                    },
                    jobs,
                    commands,
                }
            },
        )
}

/// What a scenario did: the cluster at the end, every event, and when each executor was killed.
struct Outcome {
    cluster: Cluster,
    events: Vec<ClusterEvent>,
    killed_at_tick: BTreeMap<ExecutorId, u64>,
}

/// Runs the scenario to the end (adding an executor if the commands left none alive).
fn run(scenario: &Scenario) -> Outcome {
    let mut cluster = Cluster::new(scenario.config.clone());
    for job in &scenario.jobs {
        cluster.submit(job.clone());
    }
    let mut events = Vec::new();
    let mut killed_at_tick = BTreeMap::new();
    let last_command_tick = scenario.commands.last().map_or(0, |(tick, _)| *tick);
    for tick in 0..=last_command_tick {
        for (_, command) in scenario.commands.iter().filter(|(t, _)| *t == tick) {
            let reported = match command {
                Command::Kill(e) => {
                    let reported = cluster.kill_executor(ExecutorId(*e)).unwrap_or_default();
                    if !reported.is_empty() {
                        killed_at_tick.insert(ExecutorId(*e), cluster.now_tick());
                    }
                    reported
                }
                Command::Add => cluster.add_executor().unwrap_or_default(),
                Command::Slow(e, speed) => {
                    let _refused_for_a_dead_executor = cluster.set_speed(ExecutorId(*e), *speed);
                    Vec::new()
                }
            };
            events.extend(reported);
        }
        events.extend(cluster.tick());
    }
    if cluster.executors().iter().all(|e| !e.alive) {
        events.extend(
            cluster
                .add_executor()
                .expect("fewer than 16 executors started"),
        );
    }
    for _ in 0..20_000 {
        if scenario
            .jobs
            .iter()
            .enumerate()
            .all(|(j, _)| cluster.job_state(job_id(j)) == Some(JobState::Succeeded))
        {
            break;
        }
        events.extend(cluster.tick());
    }
    Outcome {
        cluster,
        events,
        killed_at_tick,
    }
}

fn job_id(index: usize) -> JobId {
    JobId(u32::try_from(index).expect("few jobs"))
}

/// (job, stage, partition) -> how many times the partition was resubmitted.
fn resubmissions(events: &[ClusterEvent]) -> BTreeMap<(JobId, StageId, u32), usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        if let ClusterEvent::StageResubmitted {
            job,
            stage,
            partitions,
        } = event
        {
            for &p in partitions {
                *counts.entry((*job, *stage, p)).or_insert(0) += 1;
            }
        }
    }
    counts
}

fn winners(
    attempts: &[TaskAttempt],
    job: JobId,
    stage: StageId,
    partition: u32,
) -> impl Iterator<Item = &TaskAttempt> {
    attempts.iter().filter(move |a| {
        a.job == job
            && a.stage == stage
            && a.partition == partition
            && a.state == AttemptState::Succeeded
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_job_succeeds_with_one_winner_per_stage_execution(scenario in scenario_strategy()) {
        let Outcome { cluster, events, .. } = run(&scenario);
        let resubmitted = resubmissions(&events);
        for (j, spec) in scenario.jobs.iter().enumerate() {
            let job = job_id(j);
            prop_assert_eq!(cluster.job_state(job), Some(JobState::Succeeded));
            prop_assert!(cluster.stages_done(job).iter().all(|&done| done));
            for stage in &spec.stages {
                for task in &stage.tasks {
                    let key = (job, stage.id, task.partition);
                    let executions = 1 + resubmitted.get(&key).copied().unwrap_or(0);
                    let wins = winners(cluster.attempts(), job, stage.id, task.partition).count();
                    prop_assert_eq!(wins, executions, "{:?}", key);
                }
            }
        }
        prop_assert!(cluster.attempts().iter().all(|a| a.state != AttemptState::Running));
        prop_assert!(cluster.executors().iter().all(|e| e.map_outputs == 0));
    }

    #[test]
    fn no_slot_runs_two_attempts_at_once(scenario in scenario_strategy()) {
        let cluster = run(&scenario).cluster;
        let mut by_slot: BTreeMap<(ExecutorId, u16), Vec<(u64, u64)>> = BTreeMap::new();
        for a in cluster.attempts() {
            let end = a.end_tick.unwrap_or(u64::MAX);
            prop_assert!(end >= a.start_tick);
            by_slot.entry((a.executor, a.slot)).or_default().push((a.start_tick, end));
        }
        for spans in by_slot.values_mut() {
            spans.sort_unstable();
            for pair in spans.windows(2) {
                prop_assert!(pair[0].1 <= pair[1].0, "{:?} overlaps {:?}", pair[0], pair[1]);
            }
        }
    }

    /// A child task starts only after every parent partition succeeded, and one that succeeds
    /// read, for every parent partition, a map output that stayed on a live executor from the
    /// moment it was written until the child finished (a kill in between must fail the child
    /// with a fetch failure and resubmit the parent's partition).
    #[test]
    fn child_tasks_read_parent_outputs_that_exist(scenario in scenario_strategy()) {
        let Outcome { cluster, killed_at_tick, .. } = run(&scenario);
        let attempts = cluster.attempts();
        for a in attempts {
            let spec = &scenario.jobs[a.job.0 as usize];
            let read_until = match a.state {
                AttemptState::Succeeded => a.end_tick,
                _ => None,
            };
            for parent in &spec.stages[usize::from(a.stage.0)].parents {
                for task in &spec.stages[usize::from(parent.0)].tasks {
                    let mut written_before_start = winners(attempts, a.job, *parent, task.partition)
                        .filter(|w| w.end_tick.is_some_and(|end| end <= a.start_tick));
                    let survived = |w: &TaskAttempt| {
                        let (Some(written), Some(read)) = (w.end_tick, read_until) else {
                            return true;
                        };
                        killed_at_tick
                            .get(&w.executor)
                            .is_none_or(|&killed| killed < written || killed >= read)
                    };
                    let ok = written_before_start.any(survived);
                    prop_assert!(ok, "{:?} has no live output of {:?}#{}", a, parent, task.partition);
                }
            }
        }
    }

    #[test]
    fn storage_memory_is_never_exceeded(scenario in scenario_strategy()) {
        let cluster = run(&scenario).cluster;
        for e in cluster.executors() {
            prop_assert!(e.storage_used_bytes <= scenario.config.storage_bytes_per_executor);
            prop_assert!(e.alive || e.blocks.is_empty());
        }
    }

    #[test]
    fn the_same_scenario_gives_the_same_attempts(scenario in scenario_strategy()) {
        let (first, second) = (run(&scenario), run(&scenario));
        prop_assert_eq!(first.cluster.attempts(), second.cluster.attempts());
        prop_assert_eq!(first.events, second.events);
    }

    #[test]
    fn without_speculation_no_copy_launches(scenario in scenario_strategy()) {
        let scenario = Scenario {
            config: ClusterConfig { speculation: false, ..scenario.config },
            ..scenario
        };
        let Outcome { cluster, events, .. } = run(&scenario);
        prop_assert!(cluster.attempts().iter().all(|a| !a.speculative));
        let launched = events.iter().any(|e| matches!(e, ClusterEvent::SpeculativeLaunched { .. }));
        prop_assert!(!launched);
    }
}
