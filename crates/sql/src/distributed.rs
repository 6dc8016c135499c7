//! Spark's model of running a query on a cluster, for real: the engine's logical plan is split
//! into stages at exchanges (Spark SQL's `ShuffleExchangeExec` and `BroadcastExchangeExec`), each
//! stage runs as one task per partition, and each task runs its steps with the engine's own
//! [`Executor`] over a plan whose leaf is that partition's rows. The result
//! is the concatenation of the last stage's partitions, equal (as a multiset, or in order under a
//! total ORDER BY) to the single-machine result for every query the engine accepts.
//!
//! How each logical step runs (Spark 3.5's physical planning, see the "SQL Performance Tuning"
//! page of the Spark docs and the `physical` module for the rules):
//! - a source scan splits its table into `scan_partitions` contiguous row ranges (input splits);
//! - Filter, Project, a derived table's renaming, TUMBLE and HOP run per partition (narrow);
//! - GROUP BY: partial aggregation per partition (`partial_count`, `partial_sum`, AVG as a sum
//!   and a count), a hash exchange on the group keys (a single partition without GROUP BY), then
//!   the final aggregation. An aggregate with DISTINCT exchanges the raw rows on the group keys
//!   and aggregates completely after the exchange (simpler than Spark's expand-based rewrite,
//!   with the same rows);
//! - ORDER BY: a range exchange (bounds sampled from every k-th row's sort key) then a sort per
//!   partition; ORDER BY with LIMIT is Spark's `TakeOrderedAndProject` (a top-k per partition,
//!   then one more over their union); a LIMIT alone is `LocalLimit`, a single partition, then
//!   `GlobalLimit`;
//! - joins: a broadcast hash join when the smaller side that may be broadcast (not the preserved
//!   side of an outer join; never for FULL OUTER) is estimated at most
//!   `spark.sql.autoBroadcastJoinThreshold`, else a sort-merge join with both sides
//!   hash-exchanged on the join keys; joins without equality keys are broadcast nested loop
//!   joins (a FULL OUTER one runs in one partition);
//! - windows: a hash exchange on the PARTITION BY keys shared by every call, else one partition;
//! - DISTINCT and UNION/INTERSECT/EXCEPT: a hash exchange on every column (UNION ALL is narrow);
//! - ASOF joins: a hash exchange on the equality keys (one partition without any);
//! - VALUES and WITH RECURSIVE run whole in one task; uncorrelated subqueries run once per query
//!   (on the "driver": the one executor all tasks share caches their results), correlated ones
//!   per row inside the task evaluating them.
//!
//! Adaptive query execution (`spark.sql.adaptive.*`): after a shuffle, adjacent reduce
//! partitions are coalesced up to `advisoryPartitionSizeInBytes`; in a sort-merge join a reduce
//! partition larger than `skewedPartitionFactor` times the median and than
//! `skewedPartitionThresholdInBytes` is split into pieces of about the advisory size, each joined
//! with a copy of the other side's partition (only on a side whose rows may be split: both for
//! an inner join, the preserved side of an outer join).
//!
//! Bytes are Spark's `UnsafeRow` sizes ([`row_bytes`]): a null bitset of 8 bytes per 64 fields
//! (rounded up), 8 bytes per field (the fixed-width slot, which holds a number inline or a text
//! value's offset and length), plus each non-NULL text value's UTF-8 bytes rounded up to a
//! multiple of 8. A task's `shuffle_write_bytes` is the sum over the rows it sends to the exchange
//! above it, `shuffle_read_bytes` over the rows it fetches (a broadcast counts the whole
//! broadcast table for every task reading it). Work is the engine's count of rows touched.
//!
//! The join strategy is chosen from static size estimates (the `estimate` module), as Spark does
//! before AQE re-optimizes: a scan is its table's exact bytes, a filter, projection or aggregate
//! keeps its input's estimate, a join multiplies its inputs' (Spark's
//! `SizeInBytesOnlyStatsPlanVisitor`). AQE here coalesces and splits partitions; it does not turn
//! a sort-merge join into a broadcast join at run time.

mod estimate;
mod exchange;
mod explain;
mod holes;
mod physical;
mod run;
#[cfg(test)]
mod tests;
mod text;

pub use exchange::{
    coalesce_groups, hash_partition, median_bytes, range_bounds, range_partition, skew_pieces,
    skewed_partitions,
};
pub use explain::format_bytes;

use crate::column::{ColumnData, Field, Table};
use crate::error::SqlError;
use crate::exec::Executor;
use crate::session::Session;
use crate::syntax::ast;

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

/// Spark 3.5's `spark.sql.autoBroadcastJoinThreshold` default: 10 MiB.
pub const SPARK_BROADCAST_THRESHOLD_BYTES: u64 = 10 * 1024 * 1024;
/// Spark 3.5's `spark.sql.adaptive.advisoryPartitionSizeInBytes` default: 64 MiB.
pub const SPARK_ADVISORY_PARTITION_BYTES: u64 = 64 * 1024 * 1024;
/// Spark 3.5's `spark.sql.adaptive.skewJoin.skewedPartitionFactor` default.
pub const SPARK_SKEW_FACTOR: u32 = 5;
/// Spark 3.5's `spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes` default: 256 MiB.
pub const SPARK_SKEW_THRESHOLD_BYTES: u64 = 256 * 1024 * 1024;
/// The most partitions a scan or a shuffle may have.
pub const PARTITIONS_MAX: u16 = 64;

impl DistConfig {
    /// Spark 3.5's defaults, with `partitions` for both scans and shuffles.
    pub fn spark_defaults(partitions: u16) -> DistConfig {
        let partitions = partitions.clamp(1, PARTITIONS_MAX);
        DistConfig {
            scan_partitions: partitions,
            shuffle_partitions: partitions,
            broadcast_threshold_bytes: Some(SPARK_BROADCAST_THRESHOLD_BYTES),
            aqe: true,
            advisory_partition_bytes: SPARK_ADVISORY_PARTITION_BYTES,
            skew_factor: SPARK_SKEW_FACTOR,
            skew_threshold_bytes: SPARK_SKEW_THRESHOLD_BYTES,
            cached: Vec::new(),
        }
    }

    /// The scan partitions, within 1..=[`PARTITIONS_MAX`].
    fn scan_partitions_clamped(&self) -> u32 {
        u32::from(self.scan_partitions.clamp(1, PARTITIONS_MAX))
    }

    /// The shuffle partitions, within 1..=[`PARTITIONS_MAX`].
    fn shuffle_partitions_clamped(&self) -> u32 {
        u32::from(self.shuffle_partitions.clamp(1, PARTITIONS_MAX))
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

/// Bytes of an `UnsafeRow`'s null bitset per 64 fields, and of each field's fixed-width slot.
const WORD_BYTES: u64 = 8;

/// The size of one row as it crosses an exchange, in bytes (see the module docs): Spark's
/// `UnsafeRow` layout.
pub fn row_bytes(table: &Table, row: usize) -> u64 {
    let fields = table.columns.len() as u64;
    let fixed = fields.div_ceil(64) * WORD_BYTES + fields * WORD_BYTES;
    let variable: u64 = table
        .columns
        .iter()
        .filter(|c| c.is_valid(row))
        .map(|c| match &c.data {
            ColumnData::Text(v) => v.get(row).map_or(0, |s| (s.len() as u64).div_ceil(8) * 8),
            _ => 0,
        })
        .sum();
    fixed + variable
}

/// The bytes of every row of `table`.
pub fn table_bytes(table: &Table) -> u64 {
    (0..table.rows).map(|r| row_bytes(table, r)).sum()
}

impl Session {
    /// Runs one query on `config.scan_partitions` partitions, stage by stage.
    pub fn run_distributed(
        &mut self,
        sql: &str,
        config: &DistConfig,
    ) -> Result<DistributedRun, SqlError> {
        let plan = query_plan(self, sql)?;
        let physical = physical::plan(self, &plan, config);
        let mut executor = Executor::new(self.limits, false);
        let mut ran = run::run(&physical, config, &mut executor)?;
        // The result's columns are named and typed by the query's plan, as the executor names a
        // step's output.
        ran.table.fields = plan
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                data_type: f.data_type,
            })
            .collect();
        Ok(DistributedRun {
            table: ran.table,
            stages: ran.stages,
            joins: ran.joins,
            explain: explain::render(&physical, config, true, &ran.exchanges),
        })
    }

    /// The distributed plan of one query, as `EXPLAIN` prints it, without running it.
    pub fn explain_distributed(&self, sql: &str, config: &DistConfig) -> Result<String, SqlError> {
        let plan = query_plan(self, sql)?;
        let physical = physical::plan(self, &plan, config);
        Ok(explain::render(
            &physical,
            config,
            false,
            &explain::ExchangeBytes::default(),
        ))
    }
}

/// The logical plan of the one query `sql` holds (an `EXPLAIN` of one counts as the query).
fn query_plan(session: &Session, sql: &str) -> Result<crate::plan::Plan, SqlError> {
    let not_a_query = || {
        SqlError::unsupported("a distributed run of anything but one query")
            .with_hint("run one SELECT at a time")
    };
    let statements = Session::parse(sql)?;
    let [first] = statements.as_slice() else {
        return Err(not_a_query());
    };
    let statement = match first {
        ast::Statement::Explain { statement, .. } => statement,
        other => other,
    };
    match statement {
        ast::Statement::Query(q) => session.plan(q),
        _ => Err(not_a_query()),
    }
}
