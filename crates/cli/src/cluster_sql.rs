//! `lab sql --partitions N`: one query run on the simulated cluster, as the cluster lab runs it.
//!
//! The SQL engine runs the query partition by partition ([`lab::sql::distributed`]), so the result
//! is printed exactly as `lab sql` prints it without the flag; `--explain` prints the distributed
//! plan (its `Exchange`s) instead, and `--stats` adds each stage's tasks and shuffle bytes and the
//! scheduler's ticks for the job on `--executors` executors of 2 cores (the cluster lab's
//! settings: Spark's defaults scaled to the sample tables, see `lab::cluster_lab`).

use crate::sql_format::{json_table, render, Format};
use lab::cluster::sched::Cluster;
use lab::cluster_lab::{jobs::sql_job, ClusterSettings};
use lab::sql::distributed::{DistributedRun, Stage};
use lab::sql::{DataType, Field, Outcome, QueryResult, Session, SqlError, Table, Value};

/// Most ticks the scheduler runs a job for before giving up (a day of lab time at 0.1 s a tick).
const JOB_TICKS_MAX: u64 = 864_000;

/// What `--partitions` and its companion flags ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterRun {
    pub partitions: u16,
    pub executors: u16,
    pub explain: bool,
    pub stats: bool,
}

impl ClusterRun {
    /// The cluster lab's settings with these partitions and executors.
    fn settings(&self) -> ClusterSettings {
        let mut settings = ClusterSettings::lab_defaults();
        settings.executors = self.executors;
        settings.sql.scan_partitions = self.partitions;
        settings.sql.shuffle_partitions = self.partitions;
        settings
    }
}

/// One stage's line of `--stats`.
struct StageStats {
    id: u16,
    tasks: usize,
    shuffle_read_bytes: u64,
    shuffle_write_bytes: u64,
}

impl StageStats {
    fn of(stage: &Stage) -> StageStats {
        StageStats {
            id: stage.id,
            tasks: stage.tasks.len(),
            shuffle_read_bytes: stage.tasks.iter().map(|t| t.shuffle_read_bytes).sum(),
            shuffle_write_bytes: stage.tasks.iter().map(|t| t.shuffle_write_bytes).sum(),
        }
    }
}

/// The scheduler's ticks for the job on the settings' cluster.
fn job_ticks(settings: &ClusterSettings, query: &str, run: &DistributedRun) -> u64 {
    let mut cluster = Cluster::new(settings.cluster_config());
    cluster.submit(sql_job(query, run));
    cluster.run_until_idle(JOB_TICKS_MAX)
}

/// `{"columns","types","rows","stages":[...],"ticks":T}` on one line.
fn json_with_stats(table: &Table, stages: &[StageStats], ticks: u64) -> String {
    let base = json_table(table);
    let without_brace = base.strip_suffix('}').unwrap_or(&base);
    // Keys in the documented order (serde_json's maps would sort them).
    let stages: Vec<String> = stages
        .iter()
        .map(|s| {
            format!(
                "{{\"id\":{},\"tasks\":{},\"shuffle_read_bytes\":{},\"shuffle_write_bytes\":{}}}",
                s.id, s.tasks, s.shuffle_read_bytes, s.shuffle_write_bytes
            )
        })
        .collect();
    format!(
        "{without_brace},\"stages\":[{}],\"ticks\":{ticks}}}\n",
        stages.join(",")
    )
}

fn bigint(n: u64) -> Value {
    Value::BigInt(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The stages as a table, for the text and CSV formats.
fn stage_table(stages: &[StageStats]) -> Table {
    let field = |name: &str| Field {
        name: name.into(),
        data_type: DataType::BigInt,
    };
    let rows: Vec<Vec<Value>> = stages
        .iter()
        .map(|s| {
            vec![
                bigint(u64::from(s.id)),
                bigint(s.tasks as u64),
                bigint(s.shuffle_read_bytes),
                bigint(s.shuffle_write_bytes),
            ]
        })
        .collect();
    Table::from_rows(
        vec![
            field("stage"),
            field("tasks"),
            field("shuffle_read_bytes"),
            field("shuffle_write_bytes"),
        ],
        &rows,
    )
}

fn rows(table: Table) -> Outcome {
    Outcome::Rows(QueryResult {
        table,
        trace: None,
        work: 0,
    })
}

/// Runs (or, with `--explain`, plans) one query on the cluster; returns the output.
pub fn run(
    session: &mut Session,
    query: &str,
    cluster: &ClusterRun,
    format: Format,
) -> Result<String, SqlError> {
    let settings = cluster.settings();
    if cluster.explain {
        let plan = session.explain_distributed(query, &settings.sql)?;
        return Ok(render(&[Outcome::Explain(plan)], format));
    }
    let run = session.run_distributed(query, &settings.sql)?;
    if !cluster.stats {
        return Ok(render(&[rows(run.table)], format));
    }
    let stages: Vec<StageStats> = run.stages.iter().map(StageStats::of).collect();
    let ticks = job_ticks(&settings, query, &run);
    Ok(match format {
        Format::Json => json_with_stats(&run.table, &stages, ticks),
        Format::Table | Format::Csv => format!(
            "{}ticks: {ticks} on {} executors of {} cores\n",
            render(&[rows(run.table), rows(stage_table(&stages))], format),
            settings.executors,
            settings.cores_per_executor
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_extend_the_json_object_in_place() {
        let table = Table::from_rows(
            vec![Field {
                name: "n".into(),
                data_type: DataType::BigInt,
            }],
            &[vec![Value::BigInt(3)]],
        );
        let stages = [StageStats {
            id: 0,
            tasks: 4,
            shuffle_read_bytes: 0,
            shuffle_write_bytes: 96,
        }];
        let line = json_with_stats(&table, &stages, 17);
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json["rows"], serde_json::json!([[3]]));
        assert_eq!(json["stages"][0]["shuffle_write_bytes"], 96);
        assert_eq!(json["ticks"], 17);
        assert!(line.starts_with("{\"columns\":[\"n\"]") && line.ends_with("}\n"));
        assert!(line.contains(
            "\"stages\":[{\"id\":0,\"tasks\":4,\"shuffle_read_bytes\":0,\"shuffle_write_bytes\":96}]"
        ));
    }

    #[test]
    fn the_settings_are_the_labs_with_the_flags() {
        let run = ClusterRun {
            partitions: 16,
            executors: 3,
            explain: false,
            stats: true,
        };
        let settings = run.settings();
        assert_eq!(
            (
                settings.executors,
                settings.sql.scan_partitions,
                settings.sql.shuffle_partitions
            ),
            (3, 16, 16)
        );
        assert_eq!(settings.cores_per_executor, 2);
    }
}
