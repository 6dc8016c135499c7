//! The MapReduce lessons of the "Distributed execution" track (80, 81 and 86) are solved by their
//! solutions and cannot be met without their concepts. Each lesson is followed as a learner
//! pressing its "Do it" links would ([`lesson_track!`]: every goal unmet before its step and met
//! after, every prediction hidden until its experiment), and:
//!
//! - word count's shuffle shrinks below half only with the combiner: more reducers, fewer splits
//!   or another input do not meet the goal;
//! - pv/uv writes one row per group with 4 reducers only when it partitions on a prefix of its
//!   key, and those rows are exactly SQL's `GROUP BY event_type, source`;
//! - a two-job MapReduce pipeline writes its intermediate result to HDFS, and the Spark query
//!   asking the same kind of question runs as one job of three stages.
//!
//! The numbers the prose states after an instruction are its "Do it" promises, checked by
//! `lesson_instructions.rs`; the numbers stated elsewhere (a word's count, a reducer's bytes, a
//! group's pv and uv) are checked here against the lab.

mod common;

use common::lessons::Run;
use lab::cluster::mapreduce::{hash_partition, StreamingRun};
use lab::cluster_lab::{ClusterCommand, ClusterLab, JobKind};
use lab::sql::{Table, Value};
use std::collections::BTreeSet;

lesson_track! {
    MAP_SHUFFLE_REDUCE = "80-distributed-map-shuffle-reduce.md",
    STREAMING = "81-distributed-streaming-partitioner.md",
    DISK_VS_MEMORY = "86-distributed-disk-vs-memory.md",
}

impl Run {
    fn cluster(&self) -> &ClusterLab {
        self.timeline
            .head()
            .cluster_lab()
            .expect("the cluster preset")
    }

    /// The last MapReduce job's run.
    fn streaming(&self) -> &StreamingRun {
        self.cluster().last_mapreduce().expect("a MapReduce job").1
    }

    /// The last SQL job's result.
    fn query_result(&self) -> &Table {
        self.cluster()
            .jobs()
            .iter()
            .rev()
            .find_map(|j| match &j.kind {
                JobKind::Sql { run, .. } => Some(&run.table),
                JobKind::MapReduce { .. } => None,
            })
            .expect("a SQL job")
    }
}

/// A word's count in word count's output.
fn count_of(run: &StreamingRun, word: &str) -> u64 {
    run.output_lines()
        .find_map(|line| line.strip_prefix(&format!("{word}\t")))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count for {word}"))
}

#[test]
fn word_count_follows_its_records_as_the_text_says() {
    let run = Run::after(MAP_SHUFFLE_REDUCE, 1);
    let job = run.streaming();
    let lines: Vec<u64> = job.maps.iter().map(|m| m.input_records).collect();
    assert_eq!(
        lines,
        [38, 38, 38, 38, 38, 38, 38, 34],
        "7 splits of 38, the last of 34"
    );
    let words: Vec<u64> = job.reduces.iter().map(|r| r.input_groups).collect();
    assert_eq!(words, [24, 24]);
    assert_eq!(job.counters.map_output_bytes, 18_167);
    assert_eq!(job.counters.hdfs_bytes_written, 396);
    assert_eq!((count_of(job, "the"), count_of(job, "of")), (683, 345));
    // Every 1 of a word went to the reducer its hash names, and nowhere else.
    for (reducer, task) in job.reduces.iter().enumerate() {
        for line in &task.output {
            let word = line.split('\t').next().unwrap_or_default();
            assert_eq!(hash_partition(word, 2) as usize, reducer, "{word}");
        }
    }
    // Part files hold whole words: no word is on two lines.
    assert_eq!(run.value("cluster.mr_repeated_keys"), 0);
}

#[test]
fn four_reducers_spread_the_same_bytes() {
    let run = Run::after(MAP_SHUFFLE_REDUCE, 2);
    assert!(run
        .answer("guess-four-reducers")
        .starts_with("The same 18,167"));
    let bytes: Vec<u64> = run
        .streaming()
        .reduces
        .iter()
        .map(|r| r.shuffle_bytes)
        .collect();
    assert_eq!(bytes, [10_216, 1_714, 2_903, 3_334]);
    let two = Run::after(MAP_SHUFFLE_REDUCE, 1);
    let words = |r: &Run| {
        r.streaming()
            .output_lines()
            .map(str::to_string)
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(words(&run), words(&two), "the same 48 lines");
}

#[test]
fn only_the_combiner_halves_the_shuffle() {
    const GOAL: &str = "combiner-halves-shuffle";
    for script in [
        "cluster mapreduce wordcount reducers=16 combiner=off; tick 80",
        "cluster partitions 1; cluster mapreduce wordcount reducers=2 combiner=off; tick 260",
        "cluster partitions 1; cluster mapreduce wordcount reducers=1 combiner=off; tick 300",
    ] {
        let run = Run::script(MAP_SHUFFLE_REDUCE, script);
        assert!(!run.met(GOAL), "{script}");
        assert_eq!(run.value("cluster.mr_shuffle_bytes"), 18_167, "{script}");
    }
    // A smaller input shuffles less, but it is not the same output.
    let other_input = Run::script(
        MAP_SHUFFLE_REDUCE,
        "cluster mapreduce wordcount combiner=off; tick 50; \
         cluster mapreduce wordcount combiner=off input=previous; tick 20",
    );
    assert!(other_input.value("cluster.mr_shuffle_bytes") < 9_084);
    assert!(!other_input.met(GOAL));
    // The combiner with any number of reducers is the concept.
    let combined = Run::script(
        MAP_SHUFFLE_REDUCE,
        "cluster mapreduce wordcount reducers=5 combiner=on; tick 60",
    );
    assert!(combined.met(GOAL));
    // The solution as written.
    let solution = Run::script(
        MAP_SHUFFLE_REDUCE,
        "cluster mapreduce wordcount reducers=2 combiner=on; tick 40",
    );
    assert!(solution.met(GOAL));
    let first = Run::script(
        MAP_SHUFFLE_REDUCE,
        "cluster mapreduce wordcount reducers=2 combiner=off; tick 50",
    );
    assert!(first.met("wordcount-two-reducers"));
    assert_eq!(first.value("cluster.job_ticks"), 45);
    // A job still running has not met the first goal.
    let running = Run::script(
        MAP_SHUFFLE_REDUCE,
        "cluster mapreduce wordcount reducers=2 combiner=off; tick 10",
    );
    assert!(!running.met("wordcount-two-reducers"));
}

/// An output row of pv/uv or of the query as text fields: event_type, source (`\N` for NULL),
/// pv, uv.
fn rows_of_query(table: &Table) -> BTreeSet<Vec<String>> {
    (0..table.rows)
        .map(|i| {
            table
                .row(i)
                .iter()
                .map(|v| match v {
                    Value::Null => "\\N".to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn rows_of_job(run: &StreamingRun) -> BTreeSet<Vec<String>> {
    run.output_lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn key_field_partitioning_gives_sqls_rows() {
    let run = Run::after(STREAMING, 3);
    let job = rows_of_job(run.streaming());
    assert_eq!(job.len(), 40);
    assert_eq!(job, rows_of_query(run.query_result()));
    let example = ["push_receive", "exp_a_1", "421", "76"].map(String::from);
    assert!(job.contains(example.as_slice()));
}

#[test]
fn the_hash_partitioner_splits_every_group() {
    let run = Run::after(STREAMING, 1);
    assert!(run.answer("guess-hash-rows").starts_with("About 160"));
    let partial = run.streaming();
    // Each user is in one reducer, so the partial rows add up to the true totals.
    let reference = rows_of_job(Run::after(STREAMING, 2).streaming());
    let mut sums: std::collections::BTreeMap<(String, String), (u64, u64)> = Default::default();
    for line in partial.output_lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let entry = sums.entry((f[0].into(), f[1].into())).or_default();
        entry.0 += f[2].parse::<u64>().unwrap_or_default();
        entry.1 += f[3].parse::<u64>().unwrap_or_default();
    }
    let summed: BTreeSet<Vec<String>> = sums
        .into_iter()
        .map(|((e, s), (pv, uv))| vec![e, s, pv.to_string(), uv.to_string()])
        .collect();
    assert_eq!(summed, reference);
}

#[test]
fn only_a_prefix_partitioner_meets_one_row_per_group() {
    const GOAL: &str = "one-row-per-group";
    for script in [
        "cluster mapreduce pvuv reducers=4 partitioner=hash key-fields=3; tick 60",
        "cluster mapreduce pvuv reducers=4 partitioner=-k1,3 key-fields=3; tick 60",
        // One reducer sees every group whole, but the goal asks for 4.
        "cluster mapreduce pvuv reducers=1 partitioner=hash key-fields=3; tick 100",
    ] {
        let run = Run::script(STREAMING, script);
        assert!(!run.met(GOAL), "{script}");
    }
    let one = Run::script(
        STREAMING,
        "cluster mapreduce pvuv reducers=1 partitioner=hash key-fields=3; tick 100",
    );
    assert_eq!(one.value("cluster.mr_output_records"), 40);
    for script in [
        "cluster mapreduce pvuv reducers=4 partitioner=-k1,2 key-fields=3; tick 60",
        "cluster mapreduce pvuv reducers=4 partitioner=-k1,1 key-fields=3; tick 150",
    ] {
        assert!(Run::script(STREAMING, script).met(GOAL), "{script}");
    }
    let split = Run::script(
        STREAMING,
        "cluster mapreduce pvuv reducers=4 partitioner=hash key-fields=3; tick 60",
    );
    assert!(split.met("see-split-groups"));
    // Partitioning on a prefix of the key, or one reducer, shows no split group.
    for script in [
        "cluster mapreduce pvuv reducers=4 partitioner=-k1,2 key-fields=3; tick 60",
        "cluster mapreduce pvuv reducers=1 partitioner=hash key-fields=3; tick 100",
    ] {
        assert!(
            !Run::script(STREAMING, script).met("see-split-groups"),
            "{script}"
        );
    }
}

#[test]
fn a_two_field_key_breaks_the_reducer_as_the_text_says() {
    let lab = Run::after(STREAMING, 0);
    let mut cluster = lab.cluster().clone();
    let Some(Ok(lab::state::Command::Cluster(command))) = lab::cluster_lab::glue::parse_step_line(
        "cluster mapreduce pvuv reducers=4 partitioner=-k1,2 key-fields=2",
    ) else {
        panic!("the step parses");
    };
    let (message, _hint) = cluster.apply(&command).expect_err("refused");
    assert!(
        message.contains("not enough values to unpack (expected 3, got 2)"),
        "{message}"
    );
}

/// The two-step query of lesson 86, as its steps write it.
const VIEWS_PER_COUNT: &str =
    "SELECT views, count(*) AS pages FROM (SELECT page, count(*) AS views \
     FROM page_views GROUP BY page) v GROUP BY views";

/// A step line as the cluster lab's command.
fn command(line: &str) -> ClusterCommand {
    match lab::cluster_lab::glue::parse_step_line(line) {
        Some(Ok(lab::state::Command::Cluster(c))) => c,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn the_second_job_reads_the_first_jobs_output() {
    let run = Run::after(DISK_VS_MEMORY, 2);
    let job = run.streaming();
    assert!(
        job.output_lines().any(|l| l == "683\t1"),
        "one word 683 times"
    );
    let words: u64 = job
        .output_lines()
        .filter_map(|l| l.split('\t').nth(1)?.parse::<u64>().ok())
        .sum();
    assert_eq!(words, 48, "every word of job 1 is counted once");
    assert_eq!(
        count_of(Run::after(DISK_VS_MEMORY, 1).streaming(), "the"),
        683
    );
    // Word count over its own output is a second job too, but not word frequencies.
    let recount = Run::script(
        DISK_VS_MEMORY,
        "cluster mapreduce wordcount; tick 40; cluster mapreduce wordcount input=previous; tick 10",
    );
    assert!(!recount.met("chain-two-jobs"));
    // Without a first job there is nothing to read.
    let mut fresh = Run::after(DISK_VS_MEMORY, 0).cluster().clone();
    let (message, _) = fresh
        .apply(&command("cluster mapreduce wordfreq"))
        .expect_err("refused");
    assert!(message.contains("no previous MapReduce job"), "{message}");
    assert!(run.answer("guess-between-jobs").starts_with("From HDFS"));
}

#[test]
fn spark_runs_the_two_aggregations_as_one_job() {
    let run = Run::after(DISK_VS_MEMORY, 3);
    assert!(run
        .answer("guess-spark-jobs")
        .starts_with("As one job of 3 stages"));
    let job = run.cluster().last_job().expect("a job");
    let JobKind::Sql { run: sql, .. } = &job.kind else {
        panic!("the last job is the query");
    };
    let written: Vec<u64> = sql
        .stages
        .iter()
        .map(|s| s.tasks.iter().map(|t| t.shuffle_write_bytes).sum())
        .collect();
    assert_eq!(written, [48_160, 2_328, 0]);
    let single = run
        .cluster()
        .single_machine(VIEWS_PER_COUNT)
        .expect("the query runs");
    assert_eq!(rows_of_query(run.query_result()), rows_of_query(&single));
    assert_eq!(run.query_result().rows, 97);
}

#[test]
fn only_a_cached_table_is_read_from_memory() {
    let twice =
        format!("cluster sql {VIEWS_PER_COUNT}; tick 50; cluster sql {VIEWS_PER_COUNT}; tick 50");
    let uncached = Run::script(DISK_VS_MEMORY, &twice);
    assert!(!uncached.met("read-from-memory"));
    // Caching and running the query once only fills the cache.
    let once = Run::script(
        DISK_VS_MEMORY,
        &format!("cluster cache page_views; cluster sql {VIEWS_PER_COUNT}; tick 50"),
    );
    assert!(!once.met("read-from-memory"));
    let cached = Run::script(
        DISK_VS_MEMORY,
        &format!("cluster cache page_views; {twice}"),
    );
    assert!(cached.met("read-from-memory"));
    // Each executor holds one 180,000-byte partition: two do not fit in 217 KiB.
    for executor in cached.cluster().cluster().executors() {
        assert_eq!(executor.storage_used_bytes, 180_000, "{}", executor.id);
        assert!(2 * executor.storage_used_bytes > lab::cluster_lab::STORAGE_BYTES_PER_EXECUTOR);
    }
    assert_eq!(lab::cluster_lab::STORAGE_BYTES_PER_EXECUTOR, 217 * 1024);
    let after = Run::after(DISK_VS_MEMORY, 3);
    assert_eq!(
        after.value("cluster.median_task_ticks"),
        23,
        "23 ticks before the cache"
    );
}
