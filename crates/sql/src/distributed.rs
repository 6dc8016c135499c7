//! Spark's model of running a query on a cluster. INTERFACE: the helper fills in the bodies; the
//! public types and signatures are the contract other modules code against.

use crate::column::Table;
use crate::error::SqlError;
use crate::session::Session;

/// The settings Spark SQL plans with (names after Spark's configuration keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistConfig {
    /// Partitions of a source table's scan (input splits), 1..=64.
    pub scan_partitions: u16,
    /// `spark.sql.shuffle.partitions`: partitions after a hash or range exchange, 1..=64.
    pub shuffle_partitions: u16,
    /// `spark.sql.autoBroadcastJoinThreshold` in bytes; None is -1 (never broadcast).
    pub broadcast_threshold_bytes: Option<u64>,
    /// `spark.sql.adaptive.enabled`.
    pub aqe: bool,
    /// `spark.sql.adaptive.advisoryPartitionSizeInBytes` (coalescing target and skew split size).
    pub advisory_partition_bytes: u64,
    /// `spark.sql.adaptive.skewJoin.skewedPartitionFactor`.
    pub skew_factor: u32,
    /// `spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes`.
    pub skew_threshold_bytes: u64,
    /// Tables cached in executor memory (`CACHE TABLE`): their scans become cached reads.
    pub cached: Vec<String>,
}

impl DistConfig {
    /// Spark 3.5's defaults, with `partitions` for both scans and shuffles.
    pub fn spark_defaults(partitions: u16) -> DistConfig {
        let _ = partitions;
        todo!()
    }
}

/// How an exchange redistributes rows between stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// `hashpartitioning(keys, n)`.
    Hash { keys: Vec<String>, partitions: u32 },
    /// `rangepartitioning(keys, n)` for ORDER BY.
    Range { keys: Vec<String>, partitions: u32 },
    /// `SinglePartition`: a global LIMIT, an aggregate without GROUP BY, a window without
    /// PARTITION BY.
    Single,
    /// `BroadcastExchange`: the whole table to every task of the consuming stage.
    Broadcast,
}

/// One task of a stage: one partition's rows, work and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub partition: u32,
    pub input_rows: u64,
    pub output_rows: u64,
    /// Rows touched (the engine's work count for this partition's steps).
    pub work_rows: u64,
    /// Bytes this task fetched from the exchanges it reads.
    pub shuffle_read_bytes: u64,
    /// Bytes this task wrote to the exchange below it (0 for the result stage).
    pub shuffle_write_bytes: u64,
    /// The cached tables' partitions it reads: (table, scan partition, bytes, scan work rows).
    pub cached_reads: Vec<(String, u32, u64, u64)>,
}

/// A stage: the steps between exchanges, run as one task per partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub id: u16,
    pub parents: Vec<u16>,
    /// The operators it runs, bottom-up: "Scan page_views", "Filter", "HashAggregate (partial)".
    pub operators: Vec<String>,
    /// The exchange its output goes to; None for the result stage.
    pub output: Option<Exchange>,
    pub tasks: Vec<Task>,
    /// AQE: how many shuffle partitions it read before coalescing (None: not coalesced).
    pub coalesced_from: Option<u32>,
    /// AQE skew join: (reduce partition, pieces it was split into).
    pub skew_splits: Vec<(u32, u32)>,
}

/// How a join was run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinStrategy {
    BroadcastHash {
        build_bytes: u64,
    },
    SortMerge,
    /// A join without equality keys: one side broadcast, every pair tested.
    BroadcastNestedLoop,
}

/// A query run on the simulated cluster's partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct DistributedRun {
    /// The query's result: the same rows as running it on one machine.
    pub table: Table,
    /// Parents before children; the last is the result stage.
    pub stages: Vec<Stage>,
    pub joins: Vec<JoinStrategy>,
    /// The distributed plan as `EXPLAIN` prints it.
    pub explain: String,
}

/// The size of one row as it crosses an exchange, in bytes (see the module docs).
pub fn row_bytes(table: &Table, row: usize) -> u64 {
    let _ = (table, row);
    todo!()
}

impl Session {
    /// Runs one query on `config.scan_partitions` partitions, stage by stage.
    pub fn run_distributed(
        &mut self,
        sql: &str,
        config: &DistConfig,
    ) -> Result<DistributedRun, SqlError> {
        let _ = (sql, config);
        todo!()
    }

    /// The distributed plan of one query, as `EXPLAIN` prints it, without running it.
    pub fn explain_distributed(&self, sql: &str, config: &DistConfig) -> Result<String, SqlError> {
        let _ = (sql, config);
        todo!()
    }
}
