//! Running a physical plan, for real: each stage's tasks run their steps over their partition
//! with the engine's executor, exchanges move rows between stages (and count their bytes), and a
//! stage is recorded when the exchange above it (or the end of the query) closes it, so stage
//! ids put parents before children and the result stage last.

use super::exchange::{
    coalesce_groups, concat, hash_partition, key_order, range_bounds, range_partition, sample_keys,
    skew_pieces, skewed_partitions,
};
use super::explain::{ExchangeBytes, ExchangeStat};
use super::holes::fill;
use super::physical::{ExchangeId, Exchanged, JoinRecord, Merged, Phys, Route};
use super::{row_bytes, table_bytes, DistConfig, Exchange, JoinStrategy, Stage, Task};
use crate::column::{Column, Field, Table};
use crate::error::SqlError;
use crate::exec::Executor;
use crate::expr::Expr;
use crate::plan::{JoinKind, Node, Plan, PlanField, SortKey};
use crate::value::{DataType, Value};
use std::ops::Range;
use std::rc::Rc;

/// What a run produced: the result, the stages, the joins and each exchange's stages and bytes.
pub(super) struct Ran {
    pub table: Table,
    pub stages: Vec<Stage>,
    pub joins: Vec<JoinStrategy>,
    pub exchanges: ExchangeBytes,
}

/// Runs `phys` with `executor` (shared by every task, so each uncorrelated subquery runs once).
pub(super) fn run(
    phys: &Phys,
    config: &DistConfig,
    executor: &mut Executor,
) -> Result<Ran, SqlError> {
    let mut runner = Runner {
        config,
        executor,
        stages: Vec::new(),
        joins: Vec::new(),
        exchanges: ExchangeBytes::new(),
    };
    let flow = runner.flow(phys)?;
    let table = concat(&flow.parts);
    let writes = vec![0; flow.parts.len()];
    runner.close(flow.open, &flow.parts, None, writes);
    Ok(Ran {
        table,
        stages: runner.stages,
        joins: runner.joins,
        exchanges: runner.exchanges,
    })
}

/// A task's figures while its stage is open.
#[derive(Clone, Debug, Default)]
struct TaskFigures {
    input_rows: u64,
    work_rows: u64,
    read_bytes: u64,
    cached_reads: Vec<(String, u32, u64, u64)>,
}

/// A stage being built: what it runs so far, one task per partition.
#[derive(Debug, Default)]
struct OpenStage {
    parents: Vec<u16>,
    operators: Vec<String>,
    tasks: Vec<TaskFigures>,
    coalesced_from: Option<u32>,
    skew_splits: Vec<(u32, u32)>,
    /// The exchanges it reads, whose consumer it becomes when it closes.
    reads: Vec<ExchangeId>,
}

impl OpenStage {
    /// Both stages' steps as one (UNION ALL's partitions side by side).
    fn merge(mut self, other: OpenStage) -> OpenStage {
        for p in other.parents {
            if !self.parents.contains(&p) {
                self.parents.push(p);
            }
        }
        self.operators.extend(other.operators);
        self.tasks.extend(other.tasks);
        self.skew_splits.extend(other.skew_splits);
        self.reads.extend(other.reads);
        self.coalesced_from = self.coalesced_from.or(other.coalesced_from);
        self
    }
}

/// Partitioned rows and the stage computing them.
struct Flow {
    parts: Vec<Table>,
    open: OpenStage,
}

/// An exchange's output: the reduce partitions and the bytes each one reads.
struct Shuffled {
    stage: u16,
    id: ExchangeId,
    parts: Vec<Table>,
    bytes: Vec<u64>,
}

struct Runner<'r> {
    config: &'r DistConfig,
    executor: &'r mut Executor,
    stages: Vec<Stage>,
    joins: Vec<JoinStrategy>,
    exchanges: ExchangeBytes,
}

impl Runner<'_> {
    fn flow(&mut self, phys: &Phys) -> Result<Flow, SqlError> {
        match phys {
            Phys::Scan {
                table,
                name,
                cached,
            } => Ok(self.scan(table, name, *cached)),
            Phys::Whole { plan, text } => {
                let mut task = TaskFigures::default();
                let table = self.run_plan(plan, &mut task)?;
                Ok(Flow {
                    parts: vec![table],
                    open: OpenStage {
                        operators: vec![text.clone()],
                        tasks: vec![task],
                        ..OpenStage::default()
                    },
                })
            }
            Phys::Step {
                op,
                input,
                operator,
                ..
            } => {
                let flow = self.flow(input)?;
                self.per_partition(flow, operator, |part| fill(op, vec![part]))
            }
            Phys::TopK {
                sort,
                limit,
                offset,
                input,
                ..
            } => {
                let flow = self.flow(input)?;
                self.per_partition(flow, "TakeOrderedAndProject", |part| Plan {
                    node: Node::Limit {
                        input: Box::new(fill(sort, vec![part])),
                        limit: *limit,
                        offset: *offset,
                    },
                    fields: sort.fields.clone(),
                    label: sort.label.clone(),
                })
            }
            Phys::Merge {
                input,
                keys,
                layout,
                fields,
            } => {
                let mut flow = self.flow(input)?;
                flow.parts = flow
                    .parts
                    .iter()
                    .map(|p| merge_partials(p, *keys, layout, fields))
                    .collect();
                Ok(flow)
            }
            Phys::Union { op, left, right } => self.union(op, left, right),
            Phys::Exchange(exchanged) => self.exchange(exchanged),
            Phys::Zip {
                op,
                left,
                right,
                join,
                ..
            } => self.zip(op, left, right, *join),
            Phys::Broadcast {
                op,
                stream,
                build,
                build_is_left,
                join,
                ..
            } => self.broadcast(op, stream, build, *build_is_left, *join),
        }
    }

    /// Runs `plan` for one task, adding the engine's work to the task's.
    fn run_plan(&mut self, plan: &Plan, task: &mut TaskFigures) -> Result<Table, SqlError> {
        let before = self.executor.work;
        let table = self.executor.execute(plan)?;
        task.work_rows += self.executor.work - before;
        Ok(table)
    }

    fn scan(&mut self, table: &Rc<Table>, name: &str, cached: bool) -> Flow {
        let n = self.config.scan_partitions_clamped() as usize;
        let mut parts = Vec::with_capacity(n);
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let rows: Vec<u32> = split_range(table.rows, n, i).map(|r| r as u32).collect();
            let part = table.take(&rows);
            let mut task = TaskFigures {
                input_rows: part.rows as u64,
                work_rows: part.rows as u64,
                ..TaskFigures::default()
            };
            if cached {
                task.cached_reads.push((
                    name.to_string(),
                    i as u32,
                    table_bytes(&part),
                    part.rows as u64,
                ));
            }
            parts.push(part);
            tasks.push(task);
        }
        let operator = if cached {
            format!("InMemoryTableScan {name}")
        } else {
            format!("Scan {name}")
        };
        Flow {
            parts,
            open: OpenStage {
                operators: vec![operator],
                tasks,
                ..OpenStage::default()
            },
        }
    }

    /// A narrow step: `make` builds each partition's plan, run by that partition's task.
    fn per_partition(
        &mut self,
        mut flow: Flow,
        operator: &str,
        make: impl Fn(Table) -> Plan,
    ) -> Result<Flow, SqlError> {
        let parts = std::mem::take(&mut flow.parts);
        for (part, task) in parts.into_iter().zip(flow.open.tasks.iter_mut()) {
            let plan = make(part);
            let before = self.executor.work;
            let out = self.executor.execute(&plan)?;
            task.work_rows += self.executor.work - before;
            flow.parts.push(out);
        }
        flow.open.operators.push(operator.to_string());
        Ok(flow)
    }

    fn union(&mut self, op: &Plan, left: &Phys, right: &Phys) -> Result<Flow, SqlError> {
        let empty = |side: usize| -> Table {
            match op.children().get(side).map(|c| &c.node) {
                Some(Node::Scan { table }) => (**table).clone(),
                _ => Table::default(),
            }
        };
        let l = self.flow(left)?;
        let l = self.per_partition(l, "Union", |part| fill(op, vec![part, empty(1)]))?;
        let r = self.flow(right)?;
        let r = self.per_partition(r, "Union", |part| fill(op, vec![empty(0), part]))?;
        let mut parts = l.parts;
        parts.extend(r.parts);
        Ok(Flow {
            parts,
            open: l.open.merge(r.open),
        })
    }

    /// A shuffle read by a one-input step: AQE coalesces its small adjacent partitions.
    fn exchange(&mut self, exchanged: &Exchanged) -> Result<Flow, SqlError> {
        let shuffled = self.shuffle(exchanged)?;
        let coalesce =
            self.config.aqe && matches!(exchanged.route, Route::Hash(_) | Route::Range(_));
        let groups = if coalesce {
            coalesce_groups(&shuffled.bytes, self.config.advisory_partition_bytes)
        } else {
            (0..shuffled.parts.len()).map(|i| i..i + 1).collect()
        };
        let mut open = OpenStage {
            parents: vec![shuffled.stage],
            reads: vec![shuffled.id],
            ..OpenStage::default()
        };
        if groups.len() < shuffled.parts.len() {
            open.coalesced_from = Some(shuffled.parts.len() as u32);
        }
        let mut parts = Vec::with_capacity(groups.len());
        for group in groups {
            let part = concat(&shuffled.parts[group.clone()]);
            open.tasks.push(TaskFigures {
                input_rows: part.rows as u64,
                read_bytes: shuffled.bytes[group].iter().sum(),
                ..TaskFigures::default()
            });
            parts.push(part);
        }
        Ok(Flow { parts, open })
    }

    /// Runs the stage below an exchange, sends its rows to their reduce partitions and closes
    /// it.
    fn shuffle(&mut self, exchanged: &Exchanged) -> Result<Shuffled, SqlError> {
        let mut flow = self.flow(&exchanged.input)?;
        let reduce = exchanged.partitions as usize;
        let destinations = self.destinations(&mut flow, &exchanged.route, exchanged.partitions)?;
        let mut writes = Vec::with_capacity(flow.parts.len());
        let mut pieces: Vec<Vec<Table>> = vec![Vec::new(); reduce];
        for (part, dest) in flow.parts.iter().zip(&destinations) {
            writes.push(table_bytes(part));
            let mut rows: Vec<Vec<u32>> = vec![Vec::new(); reduce];
            for (row, d) in dest.iter().enumerate() {
                rows[*d as usize].push(row as u32);
            }
            for (p, rows) in rows.iter().enumerate() {
                pieces[p].push(part.take(rows));
            }
        }
        let parts: Vec<Table> = pieces.iter().map(|p| concat(p)).collect();
        let bytes: Vec<u64> = parts.iter().map(table_bytes).collect();
        let output = match &exchanged.route {
            Route::Hash(_) => Exchange::Hash {
                keys: exchanged.keys_text.clone(),
                partitions: exchanged.partitions,
            },
            Route::Range(_) => Exchange::Range {
                keys: exchanged.keys_text.clone(),
                partitions: exchanged.partitions,
            },
            Route::Single => Exchange::Single,
            Route::Broadcast => Exchange::Broadcast,
        };
        let total = writes.iter().sum();
        let stage = self.close(flow.open, &flow.parts, Some(output), writes);
        self.exchanges.insert(
            exchanged.id,
            ExchangeStat {
                from: stage,
                to: None,
                bytes: total,
            },
        );
        Ok(Shuffled {
            stage,
            id: exchanged.id,
            parts,
            bytes,
        })
    }

    /// The reduce partition of each row of each map partition.
    fn destinations(
        &mut self,
        flow: &mut Flow,
        route: &Route,
        partitions: u32,
    ) -> Result<Vec<Vec<u32>>, SqlError> {
        match route {
            Route::Single | Route::Broadcast => {
                Ok(flow.parts.iter().map(|p| vec![0; p.rows]).collect())
            }
            Route::Hash(keys) => {
                let key_tables = self.key_tables(flow, keys)?;
                Ok(key_tables
                    .iter()
                    .map(|k| hash_partition(k, partitions))
                    .collect())
            }
            Route::Range(order) => {
                let exprs: Vec<Expr> = order.iter().map(|k| k.expr.clone()).collect();
                let key_tables = self.key_tables(flow, &exprs)?;
                let by_keys: Vec<SortKey> = key_order(order);
                let bounds =
                    range_bounds(&sample_keys(&key_tables, partitions), &by_keys, partitions)?;
                key_tables
                    .iter()
                    .map(|k| range_partition(k, &bounds, &by_keys))
                    .collect()
            }
        }
    }

    /// The key expressions' values for each partition, computed by each map task with the
    /// engine (a key may hold a subquery).
    fn key_tables(&mut self, flow: &mut Flow, keys: &[Expr]) -> Result<Vec<Table>, SqlError> {
        let fields: Vec<PlanField> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| PlanField {
                qualifier: None,
                name: format!("key{i}"),
                data_type: k.data_type(),
                hidden: false,
            })
            .collect();
        let mut out = Vec::with_capacity(flow.parts.len());
        for (part, task) in flow.parts.iter().zip(flow.open.tasks.iter_mut()) {
            let plan = Plan {
                node: Node::Project {
                    input: Box::new(leaf(part.clone())),
                    exprs: keys.to_vec(),
                },
                fields: fields.clone(),
                label: "exchange keys".into(),
            };
            out.push(self.run_plan(&plan, task)?);
        }
        Ok(out)
    }

    /// Records a finished stage; returns its id.
    fn close(
        &mut self,
        open: OpenStage,
        parts: &[Table],
        output: Option<Exchange>,
        writes: Vec<u64>,
    ) -> u16 {
        let id = self.stages.len() as u16;
        for read in &open.reads {
            if let Some(stat) = self.exchanges.get_mut(read) {
                stat.to = Some(id);
            }
        }
        let tasks = open
            .tasks
            .into_iter()
            .zip(parts)
            .zip(writes)
            .enumerate()
            .map(|(i, ((t, part), write))| Task {
                partition: i as u32,
                input_rows: t.input_rows,
                output_rows: part.rows as u64,
                work_rows: t.work_rows,
                shuffle_read_bytes: t.read_bytes,
                shuffle_write_bytes: write,
                cached_reads: t.cached_reads,
            })
            .collect();
        self.stages.push(Stage {
            id,
            parents: open.parents,
            operators: open.operators,
            output,
            tasks,
            coalesced_from: open.coalesced_from,
            skew_splits: open.skew_splits,
        });
        id
    }

    /// A two-input step over co-partitioned shuffles: partition i of each side in one task;
    /// with AQE, small adjacent partitions coalesced and (in a sort-merge join) skewed ones
    /// split.
    fn zip(
        &mut self,
        op: &Plan,
        left: &Exchanged,
        right: &Exchanged,
        join: Option<(JoinRecord, JoinKind)>,
    ) -> Result<Flow, SqlError> {
        let l = self.shuffle(left)?;
        let r = self.shuffle(right)?;
        match join {
            Some((JoinRecord::SortMerge, _)) => self.joins.push(JoinStrategy::SortMerge),
            Some((JoinRecord::NestedLoop, _)) => self.joins.push(JoinStrategy::BroadcastNestedLoop),
            _ => {}
        }
        let adaptive = self.config.aqe && matches!(left.route, Route::Hash(_));
        let (split_left, split_right) = match join {
            Some((JoinRecord::SortMerge, JoinKind::Inner)) => (true, true),
            Some((JoinRecord::SortMerge, JoinKind::Left)) => (true, false),
            Some((JoinRecord::SortMerge, JoinKind::Right)) => (false, true),
            _ => (false, false),
        };
        let n = l.parts.len();
        let skew = |bytes: &[u64], allowed: bool| -> Vec<bool> {
            if adaptive && allowed {
                skewed_partitions(
                    bytes,
                    self.config.skew_factor,
                    self.config.skew_threshold_bytes,
                )
            } else {
                vec![false; bytes.len()]
            }
        };
        let left_skewed = skew(&l.bytes, split_left);
        let right_skewed = skew(&r.bytes, split_right);
        let skewed: Vec<bool> = (0..n).map(|i| left_skewed[i] || right_skewed[i]).collect();
        let groups = if adaptive {
            let combined: Vec<u64> = (0..n).map(|i| l.bytes[i] + r.bytes[i]).collect();
            coalesce_around(&combined, &skewed, self.config.advisory_partition_bytes)
        } else {
            (0..n).map(|i| i..i + 1).collect()
        };
        let mut open = OpenStage {
            parents: vec![l.stage, r.stage],
            reads: vec![l.id, r.id],
            ..OpenStage::default()
        };
        if groups.len() < n {
            open.coalesced_from = Some(n as u32);
        }
        let mut parts = Vec::new();
        for group in groups {
            let lp = concat(&l.parts[group.clone()]);
            let rp = concat(&r.parts[group.clone()]);
            let target = self.config.advisory_partition_bytes;
            let pieces_of = |t: &Table, split: bool| -> Vec<Range<usize>> {
                if split {
                    let sizes: Vec<u64> = (0..t.rows).map(|row| row_bytes(t, row)).collect();
                    skew_pieces(&sizes, target)
                } else {
                    std::iter::once(0..t.rows).collect()
                }
            };
            let first = group.start;
            let single = group.len() == 1;
            let lpieces = pieces_of(&lp, single && left_skewed[first]);
            let rpieces = pieces_of(&rp, single && right_skewed[first]);
            let count = lpieces.len() * rpieces.len();
            if count > 1 {
                open.skew_splits.push((first as u32, count as u32));
            }
            for lr in &lpieces {
                for rr in &rpieces {
                    let a = slice(&lp, lr.clone());
                    let b = slice(&rp, rr.clone());
                    let mut task = TaskFigures {
                        input_rows: (a.rows + b.rows) as u64,
                        read_bytes: table_bytes(&a) + table_bytes(&b),
                        ..TaskFigures::default()
                    };
                    parts.push(self.run_plan(&fill(op, vec![a, b]), &mut task)?);
                    open.tasks.push(task);
                }
            }
        }
        open.operators.push(op_name(op));
        Ok(Flow { parts, open })
    }

    /// A two-input step over each partition of the stream with the whole broadcast build side.
    fn broadcast(
        &mut self,
        op: &Plan,
        stream: &Phys,
        build: &Exchanged,
        build_is_left: bool,
        join: JoinRecord,
    ) -> Result<Flow, SqlError> {
        let built = self.shuffle(build)?;
        let build_table = concat(&built.parts);
        let build_bytes = table_bytes(&build_table);
        self.joins.push(match join {
            JoinRecord::BroadcastHash => JoinStrategy::BroadcastHash { build_bytes },
            _ => JoinStrategy::BroadcastNestedLoop,
        });
        let mut flow = self.flow(stream)?;
        flow.open.parents.push(built.stage);
        flow.open.reads.push(built.id);
        for task in &mut flow.open.tasks {
            task.read_bytes += build_bytes;
            task.input_rows += build_table.rows as u64;
        }
        let operator = match join {
            JoinRecord::BroadcastHash => "BroadcastHashJoin",
            _ => "BroadcastNestedLoopJoin",
        };
        self.per_partition(flow, operator, |part| {
            let inputs = if build_is_left {
                vec![build_table.clone(), part]
            } else {
                vec![part, build_table.clone()]
            };
            fill(op, inputs)
        })
    }
}

/// The operator name a two-input step records in its stage.
fn op_name(op: &Plan) -> String {
    match &op.node {
        Node::Join { keys, .. } if keys.is_empty() => "BroadcastNestedLoopJoin".into(),
        Node::Join { .. } => "SortMergeJoin".into(),
        Node::AsofJoin { .. } => "AsofSortMergeJoin".into(),
        _ => op.operator().to_string(),
    }
}

/// Coalescing groups that keep each skewed partition alone.
fn coalesce_around(bytes: &[u64], skewed: &[bool], target: u64) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 0..=bytes.len() {
        if i == bytes.len() || skewed[i] {
            if start < i {
                for g in coalesce_groups(&bytes[start..i], target) {
                    groups.push(g.start + start..g.end + start);
                }
            }
            if i < bytes.len() {
                groups.push(i..i + 1);
            }
            start = i + 1;
        }
    }
    groups
}

/// Rows `range` of `table`.
fn slice(table: &Table, range: Range<usize>) -> Table {
    if range.start == 0 && range.end == table.rows {
        return table.clone();
    }
    let rows: Vec<u32> = range.map(|r| r as u32).collect();
    table.take(&rows)
}

/// Rows of input split `i` of `n` over `rows` rows: contiguous, in order, sizes differing by at
/// most one.
pub(super) fn split_range(rows: usize, n: usize, i: usize) -> Range<usize> {
    rows * i / n..rows * (i + 1) / n
}

/// A plan reading `table` as it is.
fn leaf(table: Table) -> Plan {
    let fields = table
        .fields
        .iter()
        .map(|f| PlanField {
            qualifier: None,
            name: f.name.clone(),
            data_type: f.data_type,
            hidden: false,
        })
        .collect();
    Plan {
        node: Node::Scan {
            table: Rc::new(table),
        },
        fields,
        label: "partition".into(),
    }
}

/// The final aggregate's table in the original aggregate's columns: the keys, then each
/// aggregate from its merged partial columns (AVG as sum / count).
fn merge_partials(merged: &Table, keys: usize, layout: &[Merged], fields: &[PlanField]) -> Table {
    let mut columns: Vec<Column> = merged.columns[..keys].to_vec();
    for m in layout {
        columns.push(match *m {
            Merged::Column(i) => merged.columns[keys + i].clone(),
            Merged::Avg { sum, count } => {
                let (s, c) = (&merged.columns[keys + sum], &merged.columns[keys + count]);
                let values: Vec<Value> = (0..merged.rows)
                    .map(|r| match (s.get(r), c.get(r)) {
                        (Value::Double(total), Value::BigInt(n)) if n > 0 => {
                            Value::Double(total / n as f64)
                        }
                        _ => Value::Null,
                    })
                    .collect();
                Column::from_values(DataType::Double, values.iter())
            }
        });
    }
    Table {
        fields: fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                data_type: f.data_type,
            })
            .collect(),
        columns,
        rows: merged.rows,
    }
}
