//! Streaming jobs end to end: the examples against direct computations, the combiner, the two
//! partitioners on pv/uv, counters, the scheduler's job, and the errors a learner meets.

use cluster::mapreduce::{example_program, run, JobError, Partitioner, StreamingJob, StreamingRun};
use cluster::sched::StageId;
use sim::rng::{Rng, Seed};
use std::collections::{BTreeMap, BTreeSet};

fn example(name: &str) -> String {
    example_program(name).unwrap_or_default().to_string()
}

fn job(input: Vec<String>, program: &str) -> StreamingJob {
    StreamingJob {
        input,
        lines_per_split: 3,
        program: program.to_string(),
        use_combiner: false,
        reducers: 2,
        separator: '\t',
        key_fields: 1,
        partitioner: Partitioner::Hash,
    }
}

fn ran(job: &StreamingJob) -> StreamingRun {
    run(job).unwrap_or_else(|e| panic!("the job failed: {e:?}"))
}

fn failed(job: &StreamingJob) -> JobError {
    match run(job) {
        Ok(_) => panic!("the job should fail"),
        Err(e) => e,
    }
}

const TEXT: &[&str] = &[
    "The quick brown fox jumps over the lazy dog.",
    "The dog barks; the fox runs!",
    "",
    "It's the fox's den, isn't it?",
    "A DOG, a dog, and THE dog.",
    "   spaces   and\ttabs   ",
    "numbers 42 and symbols #$% vanish",
];

fn text() -> Vec<String> {
    TEXT.iter().map(|l| l.to_string()).collect()
}

/// Word count done directly, with the example's cleaning rule.
fn direct_word_count(lines: &[String]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for line in lines {
        let cleaned: String = line
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_alphabetic() || c == '\'' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        for word in cleaned.split_whitespace() {
            *counts.entry(word.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn output_counts(run: &StreamingRun) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for line in run.output_lines() {
        let (word, n) = line.split_once('\t').unwrap_or((line, ""));
        let previous = counts.insert(word.to_string(), n.parse().unwrap_or(-1));
        assert!(previous.is_none(), "{word} written twice");
    }
    counts
}

#[test]
fn word_count_equals_a_direct_count() {
    let expected = direct_word_count(&text());
    assert_eq!(expected.get("the"), Some(&6));
    assert_eq!(expected.get("it's"), Some(&1));
    for reducers in [1, 2, 5] {
        for use_combiner in [false, true] {
            let mut j = job(text(), &example("wordcount"));
            j.reducers = reducers;
            j.use_combiner = use_combiner;
            assert_eq!(
                output_counts(&ran(&j)),
                expected,
                "{reducers} {use_combiner}"
            );
        }
    }
}

#[test]
fn each_part_file_is_sorted_by_key() {
    let mut j = job(text(), &example("wordcount"));
    j.reducers = 3;
    for reduce in ran(&j).reduces {
        let keys: Vec<&str> = reduce
            .output
            .iter()
            .map(|l| l.split('\t').next().unwrap_or(""))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
    }
}

#[test]
fn the_combiner_lowers_shuffle_bytes_and_keeps_the_result() {
    let mut j = job(text(), &example("wordcount"));
    let without = ran(&j);
    j.use_combiner = true;
    let with = ran(&j);
    assert!(with.counters.reduce_shuffle_bytes < without.counters.reduce_shuffle_bytes);
    assert!(with.counters.combine_output_records < with.counters.combine_input_records);
    assert_eq!(
        with.counters.reduce_input_records,
        with.counters.combine_output_records
    );
    assert_eq!(output_counts(&with), output_counts(&without));
    assert_eq!(without.counters.combine_input_records, 0);
}

#[test]
fn counters_add_up_over_the_tasks() {
    let mut j = job(text(), &example("wordcount"));
    j.use_combiner = true;
    j.reducers = 3;
    let r = ran(&j);
    let c = &r.counters;
    assert_eq!(r.maps.len(), 3);
    assert_eq!(c.map_input_records, TEXT.len() as u64);
    assert_eq!(
        c.map_output_records,
        r.maps.iter().map(|m| m.output_records).sum::<u64>()
    );
    assert_eq!(
        c.map_output_records,
        direct_word_count(&text()).values().sum::<i64>() as u64
    );
    assert_eq!(c.combine_input_records, c.map_output_records);
    let combined: u64 = r.maps.iter().map(|m| m.combined_records).sum();
    assert_eq!(c.combine_output_records, combined);
    let shuffled: u64 = r.maps.iter().flat_map(|m| m.bytes_per_reducer.iter()).sum();
    assert_eq!(c.reduce_shuffle_bytes, shuffled);
    for reduce in &r.reduces {
        let fetched: u64 = r
            .maps
            .iter()
            .map(|m| m.bytes_per_reducer[reduce.partition as usize])
            .sum();
        assert_eq!(reduce.shuffle_bytes, fetched);
    }
    assert_eq!(c.reduce_input_records, combined);
    assert_eq!(
        c.reduce_input_groups,
        direct_word_count(&text()).len() as u64
    );
    assert_eq!(c.reduce_output_records, c.reduce_input_groups);
    assert_eq!(c.spilled_records, combined + c.reduce_input_records);
    let written: u64 = r.output_lines().map(|l| l.len() as u64 + 1).sum();
    assert_eq!(c.hdfs_bytes_written, written);
    // Without a combiner, the map output bytes are what is shuffled.
    j.use_combiner = false;
    let plain = ran(&j);
    assert_eq!(
        plain.counters.map_output_bytes,
        plain.counters.reduce_shuffle_bytes
    );
}

#[test]
fn the_scheduler_job_has_a_map_stage_and_a_reduce_stage() {
    let mut j = job(text(), &example("wordcount"));
    j.reducers = 4;
    let r = ran(&j);
    let stages = &r.job.stages;
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0].tasks.len(), r.maps.len());
    assert_eq!(stages[1].tasks.len(), 4);
    assert_eq!(stages[1].parents, vec![StageId(0)]);
    for (task, map) in stages[0].tasks.iter().zip(&r.maps) {
        assert_eq!(
            task.shuffle_write_bytes,
            map.bytes_per_reducer.iter().sum::<u64>()
        );
        assert!(task.work_units > map.input_records);
    }
    for (task, reduce) in stages[1].tasks.iter().zip(&r.reduces) {
        assert_eq!(task.shuffle_read_bytes, reduce.shuffle_bytes);
        assert!(task.work_units >= reduce.input_records);
    }
}

#[test]
fn a_map_only_job_writes_the_map_output_as_it_came() {
    let mut j = job(text(), &example("wordcount"));
    j.reducers = 0;
    let r = ran(&j);
    assert_eq!(r.job.stages.len(), 1);
    assert!(r.reduces.is_empty());
    let words: Vec<String> = r.output_lines().map(str::to_string).collect();
    assert_eq!(words.first().map(String::as_str), Some("the\t1"));
    assert_eq!(words.len() as u64, r.counters.map_output_records);
    assert_eq!(r.counters.spilled_records, 0);
    assert!(r.counters.hdfs_bytes_written > 0);
}

#[test]
fn a_job_runs_the_same_twice() {
    let mut j = job(text(), &example("wordcount"));
    j.use_combiner = true;
    assert_eq!(run(&j), run(&j));
}

// ---- pv/uv ----

const EVENTS: [&str; 4] = ["push_receive", "push_show", "push_click", "app_open"];
const SOURCES: [&str; 5] = ["exp_a_1", "exp_a_2", "ctrl_1", "organic", "\\N"];

/// Rows of `push_events` as Hive's text format writes them.
fn push_event_lines(rows: usize) -> Vec<String> {
    let mut rng = Rng::new(Seed(19));
    (0..rows)
        .map(|i| {
            let user = rng.below(40);
            let event = EVENTS[rng.below(EVENTS.len() as u64) as usize];
            let source = SOURCES[(user % SOURCES.len() as u64) as usize];
            format!(
                "u{user:04}\t{event}\t2024-06-0{}\ts{i}\t{source}\t{}\tnews\t\\N\t{}",
                1 + rng.below(9),
                rng.below(2),
                rng.below(6)
            )
        })
        .collect()
}

/// pv and uv per (event_type, source), directly.
fn direct_pvuv(lines: &[String]) -> BTreeMap<(String, String), (u64, u64)> {
    let mut rows: BTreeMap<(String, String), (u64, BTreeSet<String>)> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let entry = rows
            .entry((f[1].to_string(), f[4].to_string()))
            .or_default();
        entry.0 += 1;
        entry.1.insert(f[0].to_string());
    }
    rows.into_iter()
        .map(|(k, (pv, users))| (k, (pv, users.len() as u64)))
        .collect()
}

fn pvuv_job(partitioner: Partitioner) -> StreamingJob {
    let mut j = job(push_event_lines(600), &example("pvuv"));
    j.lines_per_split = 100;
    j.reducers = 4;
    j.key_fields = 3;
    j.partitioner = partitioner;
    j
}

fn output_rows(run: &StreamingRun) -> Vec<((String, String), (u64, u64))> {
    run.output_lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 4, "{line}");
            let n = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
            ((f[0].to_string(), f[1].to_string()), (n(f[2]), n(f[3])))
        })
        .collect()
}

#[test]
fn pvuv_with_key_field_partitioning_writes_one_exact_row_per_group() {
    let lines = push_event_lines(600);
    let r = ran(&pvuv_job(Partitioner::KeyFields {
        options: "-k1,2".to_string(),
    }));
    let rows = output_rows(&r);
    let groups: BTreeSet<_> = rows.iter().map(|(g, _)| g.clone()).collect();
    assert_eq!(groups.len(), rows.len(), "a group was written twice");
    let got: BTreeMap<_, _> = rows.into_iter().collect();
    assert_eq!(got, direct_pvuv(&lines));
    assert!(r.reduces.iter().filter(|t| !t.output.is_empty()).count() > 1);
}

#[test]
fn pvuv_with_hash_partitioning_on_three_fields_splits_groups() {
    let r = ran(&pvuv_job(Partitioner::Hash));
    let rows = output_rows(&r);
    let mut per_group: BTreeMap<(String, String), (usize, u64, u64)> = BTreeMap::new();
    for (group, (pv, uv)) in rows {
        let e = per_group.entry(group).or_default();
        *e = (e.0 + 1, e.1 + pv, e.2 + uv);
    }
    assert!(
        per_group.values().any(|(n, _, _)| *n > 1),
        "no group was split"
    );
    // The partial rows still add up: each user's key went to exactly one reducer.
    let direct = direct_pvuv(&push_event_lines(600));
    let summed: BTreeMap<_, _> = per_group
        .into_iter()
        .map(|(g, (_, pv, uv))| (g, (pv, uv)))
        .collect();
    assert_eq!(summed, direct);
}

// ---- errors ----

#[test]
fn an_endless_mapper_stops_at_the_step_budget_naming_the_split() {
    let program = "def map(line):\n    if line == 'stop':\n        while True:\n            pass\n    emit(line, 1)\n\ndef reduce(k, vs):\n    emit(k, sum(vs))\n";
    let input: Vec<String> = ["a", "b", "c", "d", "e", "f", "stop"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let e = failed(&job(input, program));
    assert!(
        e.message
            .starts_with("the mapper ran over 2,000,000 steps on split 2, at input line 7"),
        "{e:?}"
    );
    assert!(e.line.is_some_and(|l| (3..=4).contains(&l)));
}

#[test]
fn a_misspelt_name_in_the_reducer_points_at_its_line() {
    let program = "def map(line):\n    emit(line, 1)\n\ndef reduce(word, counts):\n    emit(wrod, sum(counts))\n";
    let e = failed(&job(text(), program));
    assert_eq!(e.line, Some(5));
    assert!(
        e.message.contains("NameError: name 'wrod' is not defined"),
        "{e:?}"
    );
    assert!(e.message.starts_with("the reducer failed in partition"));
    assert!(e.hint.contains("word"));
}

#[test]
fn a_syntax_error_is_refused_before_anything_runs() {
    let e = failed(&job(text(), "def map(line)\n    emit(line, 1)\n"));
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("SyntaxError"), "{e:?}");
}

#[test]
fn missing_functions_and_bad_options_are_refused_with_hints() {
    let e = failed(&job(text(), "def mapper(line):\n    emit(line, 1)\n"));
    assert!(
        e.message.contains("no map()") && e.hint.contains("did you mean"),
        "{e:?}"
    );
    let e = failed(&job(text(), "def map(line):\n    emit(line, 1)\n"));
    assert!(
        e.message.contains("no reduce()") && e.hint.contains("reducers to 0"),
        "{e:?}"
    );
    let mut j = job(text(), &example("wordcount"));
    j.partitioner = Partitioner::KeyFields {
        options: "-k 1-2".to_string(),
    };
    let e = failed(&j);
    assert!(e.hint.contains("-k1,2 means fields 1 to 2"), "{e:?}");
    j.partitioner = Partitioner::Hash;
    j.lines_per_split = 0;
    assert!(failed(&j).message.contains("lines per split"));
    j.lines_per_split = 2;
    j.key_fields = 0;
    assert!(failed(&j).message.contains("key.fields"));
}

#[test]
fn an_emit_loop_ends_at_the_output_cap() {
    let program = "def map(line):\n    for i in range(1000000):\n        emit(line * 50, i)\n\ndef reduce(k, vs):\n    pass\n";
    let e = failed(&job(text(), program));
    assert!(e.message.starts_with("the mapper emitted over"), "{e:?}");
}

#[test]
fn values_reach_the_reducer_in_map_order_through_a_combiner() {
    // An identity combiner keeps each value; the reducer lists them in the order they came:
    // split by split, and within a split in emit order (sorted spills, merged stably).
    let program = "\
def map(line):
    for word in line.split():
        emit(word, line.split()[0])

def combine(key, values):
    for v in values:
        emit(key, v)

def reduce(key, values):
    emit(key, ','.join(values))
";
    let input: Vec<String> = ["a x", "b x", "c x", "d x", "e x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut j = job(input, program);
    j.lines_per_split = 2;
    j.reducers = 1;
    j.use_combiner = true;
    let r = ran(&j);
    assert!(
        r.output_lines().any(|l| l == "x\ta,b,c,d,e"),
        "{:?}",
        r.reduces
    );
}

#[test]
fn the_public_partitioners_give_the_java_values() {
    use cluster::mapreduce::{hash_partition, key_field_partition};
    // Text("hello").hashCode() = 127791473; & MAX_VALUE % 4 = 1, % 7 = 5.
    assert_eq!(hash_partition("hello", 4), 1);
    assert_eq!(hash_partition("hello", 7), 5);
    // "é" hashes to -1017: the sign bit is masked before the modulo.
    assert_eq!(hash_partition("é", 4), 3);
    // -k1,2 hashes "push_show\texp_a_1" from 0: 645894538 % 4 = 2, whoever the user is.
    for user in ["u000001", "u000002", "u999999"] {
        let key = format!("push_show\texp_a_1\t{user}");
        assert_eq!(key_field_partition(&key, "-k1,2", '\t', 4).ok(), Some(2));
    }
    assert_eq!(key_field_partition("", "-k1,2", '\t', 4).ok(), Some(0));
    assert!(key_field_partition("a", "-k0", '\t', 4).is_err());
}

#[test]
fn word_frequencies_chain_on_word_counts_output() {
    let counts = ran(&job(text(), &example("wordcount")));
    let mut lines: Vec<String> = counts.output_lines().map(str::to_string).collect();
    // A line that is not "word<TAB>count" is skipped, not an error.
    lines.push("not a count line".to_string());
    for use_combiner in [false, true] {
        let mut j = job(lines.clone(), &example("wordfreq"));
        j.use_combiner = use_combiner;
        let r = ran(&j);
        let got: BTreeMap<i64, i64> = r
            .output_lines()
            .map(|l| {
                let (count, words) = l.split_once('\t').expect("count<TAB>words");
                (
                    count.parse().expect("a count"),
                    words.parse().expect("words"),
                )
            })
            .collect();
        let mut direct: BTreeMap<i64, i64> = BTreeMap::new();
        for n in direct_word_count(&text()).values() {
            *direct.entry(*n).or_default() += 1;
        }
        assert_eq!(got, direct, "combiner {use_combiner}");
    }
}
