//! What the lab hands the scheduler: a SQL query's distributed run as a [`JobSpec`], and a table
//! as the lines a Hadoop streaming job reads.
//!
//! The SQL engine plans and runs the query partition by partition ([`sql::distributed`]); the
//! scheduler only needs each task's work and bytes to place it on a slot and time it. One
//! [`StageSpec`] per stage, one [`TaskSpec`] per task: its rows touched become work units, its
//! exchange bytes the shuffle it reads and writes, and a cached table's partition it reads becomes
//! the block Spark's block manager would keep in executor memory (`CACHE TABLE`; see Spark's SQL
//! performance tuning page, "Caching Data In Memory").

use cluster::sched::{CachedInput, JobSpec, StageId, StageSpec, TaskSpec};
use sql::distributed::{DistributedRun, Stage, Task};
use sql::{Table, Value};
use std::collections::BTreeMap;

/// How long a job's name may get before the query in it is cut.
const JOB_NAME_QUERY_CHARS_MAX: usize = 60;

/// A cached table's partition as a block name: "page_views#3".
pub fn block_name(table: &str, partition: u32) -> String {
    format!("{table}#{partition}")
}

/// The prefix of every block of a cached table ("page_views#").
pub fn table_blocks_prefix(table: &str) -> String {
    format!("{table}#")
}

/// The job's name in the scheduler: the query on one line, cut to a readable length.
pub fn sql_job_name(query: &str) -> String {
    let one_line = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut name: String = one_line.chars().take(JOB_NAME_QUERY_CHARS_MAX).collect();
    if one_line.chars().count() > JOB_NAME_QUERY_CHARS_MAX {
        name.push('…');
    }
    format!("SQL: {name}")
}

/// The scheduler's task for one partition of a stage. A task reads at most one cached block in the
/// scheduler's model: the first cached table it scans (a stage scanning two cached tables computes
/// the second as if it were not cached).
fn task_spec(task: &Task) -> TaskSpec {
    TaskSpec {
        partition: task.partition,
        work_units: task.work_rows,
        shuffle_read_bytes: task.shuffle_read_bytes,
        shuffle_write_bytes: task.shuffle_write_bytes,
        cache: task
            .cached_reads
            .first()
            .map(|(table, partition, bytes, work_rows)| CachedInput {
                block: block_name(table, *partition),
                bytes: *bytes,
                source_work_units: *work_rows,
            }),
    }
}

/// "Stage 1: Scan page_views, HashAggregate (partial)".
fn stage_name(index: usize, stage: &Stage) -> String {
    format!("Stage {index}: {}", stage.operators.join(", "))
}

/// The scheduler's job for a distributed run: stages numbered in the run's order (parents first).
pub fn sql_job(query: &str, run: &DistributedRun) -> JobSpec {
    let index_of: BTreeMap<u16, u16> =
        sim::sort::collect_map(run.stages.iter().enumerate().map(|(i, s)| (s.id, i as u16)));
    let stages = run
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| StageSpec {
            id: StageId(i as u16),
            name: stage_name(i, stage),
            parents: stage
                .parents
                .iter()
                .filter_map(|p| index_of.get(p).copied().map(StageId))
                .collect(),
            tasks: stage.tasks.iter().map(task_spec).collect(),
        })
        .collect();
    JobSpec {
        name: sql_job_name(query),
        stages,
    }
}

/// A value as a streaming job's input field: its SQL text, `\N` for NULL (Hive's and Sqoop's
/// text-file convention for a missing value), tabs and newlines inside text turned into spaces so
/// a row stays one line of tab-separated fields.
fn field_text(value: &Value) -> String {
    match value {
        Value::Null => "\\N".to_string(),
        other => other.to_string().replace(['\t', '\n', '\r'], " "),
    }
}

/// A table as the text a streaming job reads: one line per row, fields separated by tabs.
pub fn table_lines(table: &Table) -> Vec<String> {
    (0..table.rows)
        .map(|row| {
            table
                .row(row)
                .iter()
                .map(field_text)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}

/// Lines per map task so that `lines` split into about `splits` input splits (at least one line).
pub fn lines_per_split(lines: usize, splits: u16) -> usize {
    lines.div_ceil(usize::from(splits.max(1))).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sql::distributed::Exchange;
    use sql::{DataType, Field};

    fn task(partition: u32, cached: bool) -> Task {
        Task {
            partition,
            input_rows: 10,
            output_rows: 5,
            work_rows: 12 + u64::from(partition),
            shuffle_read_bytes: 100 * u64::from(partition),
            shuffle_write_bytes: 7,
            cached_reads: if cached {
                vec![("page_views".into(), partition, 900, 10)]
            } else {
                Vec::new()
            },
        }
    }

    fn stage(id: u16, parents: Vec<u16>, tasks: Vec<Task>) -> Stage {
        Stage {
            id,
            parents,
            operators: vec!["Scan page_views".into(), "Filter".into()],
            output: Some(Exchange::Single),
            tasks,
            coalesced_from: None,
            skew_splits: Vec::new(),
        }
    }

    #[test]
    fn stages_become_the_schedulers_stages_in_order() {
        let run = DistributedRun {
            table: Table::empty(Vec::new()),
            stages: vec![
                stage(5, vec![], vec![task(0, true), task(1, false)]),
                stage(9, vec![5], vec![task(0, false)]),
            ],
            joins: Vec::new(),
            explain: String::new(),
        };
        let job = sql_job("SELECT  1\nFROM t", &run);
        assert_eq!(job.name, "SQL: SELECT 1 FROM t");
        assert_eq!(job.stages.len(), 2);
        assert_eq!(job.stages[1].id, StageId(1));
        assert_eq!(job.stages[1].parents, vec![StageId(0)]);
        assert_eq!(job.stages[0].name, "Stage 0: Scan page_views, Filter");
        let first = &job.stages[0].tasks[0];
        assert_eq!((first.work_units, first.shuffle_write_bytes), (12, 7));
        assert_eq!(
            first.cache,
            Some(CachedInput {
                block: "page_views#0".into(),
                bytes: 900,
                source_work_units: 10
            })
        );
        assert_eq!(job.stages[0].tasks[1].cache, None);
        assert_eq!(job.stages[0].tasks[1].shuffle_read_bytes, 100);
    }

    #[test]
    fn tables_become_tab_separated_lines_with_nulls_as_backslash_n() {
        let table = Table::from_rows(
            vec![
                Field {
                    name: "a".into(),
                    data_type: DataType::Text,
                },
                Field {
                    name: "b".into(),
                    data_type: DataType::BigInt,
                },
            ],
            &[
                vec![Value::text("x\ty"), Value::BigInt(3)],
                vec![Value::Null, Value::BigInt(-1)],
            ],
        );
        assert_eq!(table_lines(&table), ["x y\t3", "\\N\t-1"]);
    }

    #[test]
    fn splits_cover_every_line() {
        assert_eq!(lines_per_split(100, 8), 13);
        assert_eq!(lines_per_split(0, 8), 1);
        assert_eq!(lines_per_split(5, 64), 1);
        assert_eq!(sql_job_name(&"x".repeat(80)).chars().count(), 5 + 60 + 1);
    }
}
