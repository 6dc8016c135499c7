//! Running a logical plan: each node materializes its output table (so the trace can show it),
//! with a hash join, hash aggregation, sort-based windows, and a row and work budget that stops a
//! runaway query with a message instead of freezing the tab. Work is counted in rows touched, not
//! in milliseconds: the core has no clock, and the same query stops at the same point everywhere.

use super::column::{Column, ColumnData, Field, Table, NULL_ROW};
use super::error::{ErrorKind, SqlError};
use super::expr::Expr;
use super::keys::{self, JoinIds, KeyIds, Map, NO_ID};
use super::plan::{
    AggCall, AggFn, Bound, FrameUnits, JoinKind, Node, Plan, PlanField, SetOp, WindowCall, WindowFn,
};
use super::sort::{sort_indices, SortKeys};
use super::value::{DataType, Interval, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

mod asof;
mod count_distinct;
mod join_groups;
mod prune;
mod recursive;
mod top_k;
mod window_limit;
mod window_tvf;

pub use asof::AsofTrace;
mod subquery;

/// What one step produced: its table, and for the trace how it came from its input.
struct StepOutput {
    table: Table,
    /// For a filter: the input rows (of the first [`TRACE_ROWS_MAX`]) that survived.
    survivors: Option<Vec<usize>>,
    /// For GROUP BY: the input rows (of the first [`TRACE_ROWS_MAX`]) forming each group.
    groups: Option<Vec<Vec<usize>>>,
    /// For ASOF JOIN: the right row each of the first [`TRACE_ROWS_MAX`] left rows matched.
    asof: Option<AsofTrace>,
}

impl From<Table> for StepOutput {
    /// A step that only produced a table.
    fn from(table: Table) -> StepOutput {
        StepOutput {
            table,
            survivors: None,
            groups: None,
            asof: None,
        }
    }
}

/// How much a query may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most rows any intermediate table may have.
    pub rows_max: usize,
    /// Most rows the whole query may touch, summed over its steps.
    pub work_max: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rows_max: 5_000_000,
            work_max: 100_000_000,
        }
    }
}

/// Rows of each intermediate table the trace keeps.
pub const TRACE_ROWS_MAX: usize = 200;

/// One step of a query's trace: the table after a logical step.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceStep {
    /// The clause: "FROM rides", "WHERE fare > 10", "GROUP BY city".
    pub label: String,
    pub operator: &'static str,
    /// The first [`TRACE_ROWS_MAX`] rows of the step's output.
    pub table: Table,
    /// All its rows.
    pub rows: usize,
    /// For filters: which input rows survived (input row numbers, of the first
    /// [`TRACE_ROWS_MAX`] input rows).
    pub survivors: Option<Vec<usize>>,
    /// For GROUP BY: the input rows (of the first [`TRACE_ROWS_MAX`]) forming each of the first
    /// [`TRACE_ROWS_MAX`] groups.
    pub groups: Option<Vec<Vec<usize>>>,
    /// For ASOF JOIN: the right input row each of the first [`TRACE_ROWS_MAX`] left input rows
    /// matched.
    pub asof: Option<AsofTrace>,
}

/// Runs a query's plans within limits, optionally recording a trace. One per query: its work
/// counts every step of the query, every run of its subqueries included.
pub struct Executor {
    pub limits: Limits,
    pub work: u64,
    pub trace: Option<Vec<TraceStep>>,
    /// Hash indexes on base-table columns that correlated subqueries filter by (built once per
    /// query): (the table's address, column) to the rows holding each value.
    outer_indexes: Map<(usize, usize), Rc<subquery::ValueIndex>>,
    /// What each uncorrelated subquery computed, by its address: each runs once per query.
    once: Map<usize, subquery::Once>,
    /// The window group limit a WHERE allows its input's window step (see `window_limit`).
    window_limit: Option<window_limit::WindowLimit>,
}

fn limit_error(what: String) -> SqlError {
    SqlError::new(ErrorKind::Limit, what)
        .with_hint("narrow the query: filter earlier, join on a key, or add LIMIT")
}

impl Executor {
    pub fn new(limits: Limits, traced: bool) -> Executor {
        Executor {
            limits,
            work: 0,
            trace: traced.then(Vec::new),
            outer_indexes: Map::default(),
            once: Map::default(),
            window_limit: None,
        }
    }

    /// Runs a query's plan: its uncorrelated subqueries first, once each (the trace shows each
    /// one's result as a step before the query's own), then the plan.
    pub fn execute(&mut self, plan: &Plan) -> Result<Table, SqlError> {
        for subquery in plan.uncorrelated_subqueries() {
            self.once(&subquery)?;
        }
        self.run(plan)
    }

    fn charge(&mut self, rows: usize, label: &str) -> Result<(), SqlError> {
        self.work += rows as u64;
        if self.work > self.limits.work_max {
            return Err(limit_error(format!(
                "the query stopped at \"{label}\": it touched more than {} rows in all",
                self.limits.work_max
            )));
        }
        if rows > self.limits.rows_max {
            return Err(limit_error(format!(
                "\"{label}\" produced {rows} rows, more than the {} a step may have",
                self.limits.rows_max
            )));
        }
        Ok(())
    }

    fn record(&mut self, plan: &Plan, step: &StepOutput) {
        if self.trace.is_none() || matches!(plan.node, Node::Rename { .. }) {
            return;
        }
        let table = &step.table;
        let shown = shown_table(
            table,
            &plan.fields,
            matches!(plan.node, Node::Window { .. }),
        );
        self.push_step(TraceStep {
            label: plan.label.clone(),
            operator: plan.operator(),
            table: shown,
            rows: table.rows,
            survivors: step.survivors.clone(),
            groups: step.groups.clone(),
            asof: step.asof.clone(),
        });
    }

    fn push_step(&mut self, step: TraceStep) {
        if let Some(trace) = &mut self.trace {
            trace.push(step);
        }
    }

    /// Runs `f` with the trace off (a subquery's runs, a recursive CTE's rounds: the trace shows
    /// an uncorrelated subquery's or a recursive CTE's result as one step, a correlated
    /// subquery's within the step using it), then turns it back on.
    fn untraced<T>(
        &mut self,
        f: impl FnOnce(&mut Executor) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        let trace = self.trace.take();
        let result = f(self);
        self.trace = trace;
        result
    }

    /// An input table: a base table is used where it lies (no copy), anything else is run.
    fn input<'p>(&mut self, plan: &'p Plan) -> Result<std::borrow::Cow<'p, Table>, SqlError> {
        match &plan.node {
            Node::Scan { table } if table.fields.len() == plan.fields.len() => {
                self.charge(table.rows, &plan.label)?;
                if self.trace.is_some() {
                    let head = table.head(TRACE_ROWS_MAX);
                    self.record(plan, &head.into());
                    if let Some(step) = self.trace.as_mut().and_then(|t| t.last_mut()) {
                        step.rows = table.rows;
                    }
                }
                Ok(std::borrow::Cow::Borrowed(table))
            }
            _ => Ok(std::borrow::Cow::Owned(self.run(plan)?)),
        }
    }

    /// Runs `plan` (a query's, or a part of one: a query starts at [`Executor::execute`]) and
    /// returns its output table. Each kind of step is its own method, so this frame, which every
    /// level of a deep plan keeps on the stack, stays small.
    fn run(&mut self, plan: &Plan) -> Result<Table, SqlError> {
        let step: StepOutput = match &plan.node {
            Node::Scan { table } => (**table).clone().into(),
            Node::Values { rows } => self.values(rows, &plan.fields)?.into(),
            Node::Rename { input } => self.run(input)?.into(),
            Node::Filter { input, predicate } => self.filter(input, predicate, None)?,
            Node::Project { input, exprs } => self.project(input, exprs)?.into(),
            Node::Join {
                left,
                right,
                kind,
                keys,
                residual,
            } => self
                .join_step(
                    left,
                    right,
                    *kind,
                    keys,
                    residual.as_ref(),
                    &plan.label,
                    None,
                )?
                .into(),
            Node::AsofJoin {
                left,
                right,
                keep_unmatched,
                keys,
                inequality,
            } => {
                let l = self.input(left)?;
                let r = self.input(right)?;
                self.asof_join(&l, &r, *keep_unmatched, keys, inequality, &plan.label)?
            }
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => self.aggregate(input, group_by, aggregates)?,
            Node::Window { input, calls } => self.windows(input, calls, None)?.into(),
            Node::WindowTvf {
                input,
                time,
                window,
                session_keys,
            } => self
                .window_tvf(plan, input, *time, *window, session_keys)?
                .into(),
            Node::Sort { input, keys } => {
                let input = self.input(input)?;
                let keys = self.resolve_keys(keys, &input)?;
                let order = sort_indices(&input, &keys)?;
                let indices: Vec<u32> = order.into_iter().map(|i| i as u32).collect();
                input.take(&indices).into()
            }
            Node::Limit {
                input,
                limit,
                offset,
            } => self.limit(input, *limit, *offset)?.into(),
            Node::Distinct { input } => {
                let input = self.run(input)?;
                let keep = first_of_each(&input);
                input.filter(&keep).into()
            }
            Node::SetOperation {
                left,
                right,
                op,
                all,
            } => {
                let l = self.run(left)?;
                let r = self.run(right)?;
                set_operation(&l, &r, *op, *all).into()
            }
            Node::RecursiveUnion {
                anchor,
                recursive,
                working,
                all,
            } => self
                .recursive_union(plan, anchor, recursive, working, *all)?
                .into(),
            Node::WorkingTable { working } => working.0.borrow().clone().into(),
        };
        self.finish_step(plan, step)
    }

    /// A step's output under the plan's column names, charged to the budget and traced.
    fn finish_step(&mut self, plan: &Plan, mut step: StepOutput) -> Result<Table, SqlError> {
        step.table.fields = plan
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                data_type: f.data_type,
            })
            .collect();
        self.charge(step.table.rows, &plan.label)?;
        self.record(plan, &step);
        Ok(step.table)
    }

    /// WHERE / HAVING: the rows where the predicate is true, and (for the trace) which of the
    /// first input rows survived.
    /// With `needed` (the columns the step above reads), the input computes only those and the
    /// predicate's, and only those are gathered.
    fn filter(
        &mut self,
        input: &Plan,
        predicate: &Expr,
        needed: Option<&[bool]>,
    ) -> Result<StepOutput, SqlError> {
        if let Some(table) = self.outer_lookup(input, predicate)? {
            let keep = truth(&self.resolve(predicate, &table)?.eval(&table)?);
            return Ok(table.filter(&keep).into());
        }
        self.set_window_limit(input, predicate);
        let input = match needed {
            Some(needed) => {
                let mut below = prune::needed_columns([predicate], input.fields.len());
                prune::mark(&mut below, needed);
                self.pruned_input(input, &below)
            }
            None => self.input(input),
        };
        self.window_limit = None;
        let input = input?;
        let rows = self.resolve(predicate, &input)?.true_rows(&input)?;
        let survivors = rows
            .iter()
            .map(|row| *row as usize)
            .take_while(|row| *row < TRACE_ROWS_MAX)
            .collect();
        let columns = input
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| match needed.and_then(|n| n.get(i)) {
                Some(false) => prune::placeholder(rows.len()),
                _ => c.take(&rows),
            })
            .collect();
        Ok(StepOutput {
            table: Table {
                fields: input.fields.clone(),
                columns,
                rows: rows.len(),
            },
            survivors: Some(survivors),
            groups: None,
            asof: None,
        })
    }

    /// VALUES: each row's cells evaluated (a literal as it is) and put in its column's type.
    fn values(&mut self, rows: &[Vec<Expr>], fields: &[PlanField]) -> Result<Table, SqlError> {
        let one_row = Table {
            fields: Vec::new(),
            columns: Vec::new(),
            rows: 1,
        };
        let mut columns: Vec<Column> = fields
            .iter()
            .map(|f| Column::with_capacity(f.data_type, rows.len()))
            .collect();
        for row in rows {
            for (column, cell) in columns.iter_mut().zip(row) {
                match cell {
                    Expr::Literal(v) => column.push(v),
                    e => column.push(&self.resolve(e, &one_row)?.eval_row(&one_row, 0)?),
                }
            }
        }
        Ok(Table {
            fields: Vec::new(),
            columns,
            rows: rows.len(),
        })
    }

    /// SELECT's expressions over the input, which computes only the columns they read. A column
    /// selected as it is, from an input this step owns, is moved rather than copied.
    fn project(&mut self, input: &Plan, exprs: &[Expr]) -> Result<Table, SqlError> {
        let needed = prune::needed_columns(exprs, input.fields.len());
        let mut input = self.pruned_input(input, &needed)?;
        let moves = prune::movable_columns(exprs, input.columns.len());
        let mut columns = Vec::with_capacity(exprs.len());
        for (e, moved) in exprs.iter().zip(moves) {
            if let (Some(index), Cow::Owned(table)) = (moved, &mut input) {
                columns.push(prune::take_column(table, index));
                continue;
            }
            columns.push(self.resolve(e, &input)?.eval(&input)?);
        }
        Ok(Table {
            fields: Vec::new(),
            columns,
            rows: input.rows,
        })
    }

    fn aggregate(
        &mut self,
        input: &Plan,
        group_by: &[Expr],
        aggregates: &[AggCall],
    ) -> Result<StepOutput, SqlError> {
        if let Some(out) = self.grouped_join(input, group_by, aggregates)? {
            return Ok(out);
        }
        let read = group_by
            .iter()
            .chain(aggregates.iter().filter_map(|a| a.arg.as_ref()));
        let needed = prune::needed_columns(read, input.fields.len());
        let input = self.pruned_input(input, &needed)?;
        let mut keys = Vec::with_capacity(group_by.len());
        for e in group_by {
            keys.push(self.resolve(e, &input)?.into_owned());
        }
        let mut calls = aggregates.to_vec();
        for call in &mut calls {
            if let Some(arg) = &call.arg {
                call.arg = Some(self.resolve(arg, &input)?.into_owned());
            }
        }
        let (table, groups) = aggregate(&input, &keys, &calls)?;
        Ok(StepOutput {
            table,
            survivors: None,
            groups: Some(groups),
            asof: None,
        })
    }

    /// Window functions: the input's columns plus one per call. With `needed` (the columns the
    /// step above reads), the input's other columns are neither computed nor copied.
    fn windows(
        &mut self,
        input: &Plan,
        calls: &[WindowCall],
        needed: Option<&[bool]>,
    ) -> Result<Table, SqlError> {
        let limit = self.take_window_limit(calls);
        let input = match needed {
            Some(needed) => {
                let width = input.fields.len();
                let mut below = prune::needed_columns(
                    calls.iter().flat_map(|c| {
                        c.args
                            .iter()
                            .chain(&c.partition_by)
                            .chain(c.order_by.iter().map(|k| &k.expr))
                    }),
                    width,
                );
                for (b, n) in below.iter_mut().zip(needed) {
                    *b |= *n;
                }
                self.pruned_input(input, &below)?
            }
            None => self.input(input)?,
        };
        let mut columns = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let mut call = call.clone();
            for e in call.args.iter_mut().chain(&mut call.partition_by) {
                *e = self.resolve(e, &input)?.into_owned();
            }
            for key in &mut call.order_by {
                key.expr = self.resolve(&key.expr, &input)?.into_owned();
            }
            check_offset(&call)?;
            let keep = limit.filter(|l| l.call == i).map(|l| l.rows);
            columns.push(window(&input, &call, keep)?);
        }
        let rows = input.rows;
        let mut all = prune::kept_columns(input, needed);
        all.append(&mut columns);
        Ok(Table {
            fields: Vec::new(),
            columns: all,
            rows,
        })
    }

    /// LIMIT / OFFSET; over ORDER BY, only the first offset + n rows are sorted.
    fn limit(&mut self, input: &Plan, limit: Option<u64>, offset: u64) -> Result<Table, SqlError> {
        let input = match (&input.node, limit) {
            (
                Node::Sort {
                    input: sorted,
                    keys,
                },
                Some(n),
            ) => self.top_rows(input, sorted, keys, n.saturating_add(offset))?,
            _ => self.run(input)?,
        };
        let start = offset.min(input.rows as u64) as usize;
        let end = limit.map_or(input.rows, |l| {
            start
                .saturating_add(l.min(input.rows as u64) as usize)
                .min(input.rows)
        });
        let indices: Vec<u32> = (start as u32..end as u32).collect();
        Ok(input.take(&indices))
    }

    /// A join step: both inputs, then the pairs. With `needed` (the columns the step above
    /// reads), each input computes only the columns read above or by the join itself, and the
    /// output gathers only the ones read above.
    #[allow(clippy::too_many_arguments)]
    fn join_step(
        &mut self,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        label: &str,
        needed: Option<&[bool]>,
    ) -> Result<Table, SqlError> {
        let Some(needed) = needed else {
            let l = self.input(left)?;
            let r = self.input(right)?;
            return self.join(&l, &r, kind, keys, residual, label, None);
        };
        let (l, r) = self.join_inputs(left, right, keys, residual, needed)?;
        self.join(&l, &r, kind, keys, residual, label, Some(needed))
    }

    /// A join's inputs when the step above reads only the output columns marked in `needed`:
    /// each computes those and the ones the join itself reads.
    fn join_inputs<'p>(
        &mut self,
        left: &'p Plan,
        right: &'p Plan,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        needed: &[bool],
    ) -> Result<(Cow<'p, Table>, Cow<'p, Table>), SqlError> {
        let (width, right_width) = (left.fields.len(), right.fields.len());
        let on = prune::needed_columns(residual, width + right_width);
        let mut left_needed = prune::needed_columns(keys.iter().map(|(a, _)| a), width);
        let mut right_needed = prune::needed_columns(keys.iter().map(|(_, b)| b), right_width);
        for also in [on.as_slice(), needed] {
            let (on_left, on_right) = also.split_at(width.min(also.len()));
            prune::mark(&mut left_needed, on_left);
            prune::mark(&mut right_needed, on_right);
        }
        let l = self.pruned_input(left, &left_needed)?;
        let r = self.pruned_input(right, &right_needed)?;
        Ok((l, r))
    }

    /// The pairs of rows `l` and `r` make, gathered into one table (only the columns marked in
    /// `needed`, when given; the others stay as placeholders).
    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        l: &Table,
        r: &Table,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        label: &str,
        needed: Option<&[bool]>,
    ) -> Result<Table, SqlError> {
        let pairs = self.join_pairs(l, r, kind, keys, residual, label)?;
        Ok(combine_kept(l, r, &pairs, needed))
    }

    /// The (left, right) row pairs a join outputs, in output order, charged to the budget.
    fn join_pairs(
        &mut self,
        l: &Table,
        r: &Table,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        label: &str,
    ) -> Result<Pairs, SqlError> {
        let mut pairs = if keys.is_empty() {
            // Nested loops: every pair, then the residual condition.
            let total = l.rows.saturating_mul(r.rows);
            self.charge(0, label)?;
            if total > self.limits.rows_max || self.work + total as u64 > self.limits.work_max {
                return Err(limit_error(format!(
                    "\"{label}\" would pair {} rows with {} ({total} pairs)",
                    l.rows, r.rows
                )));
            }
            let mut pairs = Pairs::with_capacity(total);
            for i in 0..l.rows as u32 {
                for j in 0..r.rows as u32 {
                    pairs.push(i, j);
                }
            }
            pairs
        } else {
            self.hash_pairs(l, r, keys, label)?
        };
        // The residual condition on the candidate pairs.
        if let Some(cond) = residual {
            let read = prune::needed_columns([cond], l.columns.len() + r.columns.len());
            let candidates = combine_kept(l, r, &pairs, Some(&read));
            let keep = truth(&self.resolve(cond, &candidates)?.eval(&candidates)?);
            pairs.retain(&keep);
        }
        if matches!(kind, JoinKind::Left | JoinKind::Full) {
            // Unmatched left rows at their place (pairs come in left order).
            let mut out = Pairs::with_capacity(pairs.left.len());
            let mut next = 0;
            for (i, j) in pairs.left.iter().zip(&pairs.right) {
                for unmatched in next..*i {
                    out.push(unmatched, NULL_ROW);
                }
                out.push(*i, *j);
                next = i + 1;
            }
            for unmatched in next..l.rows as u32 {
                out.push(unmatched, NULL_ROW);
            }
            pairs = out;
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            let mut right_matched = vec![false; r.rows];
            for j in &pairs.right {
                if *j != NULL_ROW {
                    right_matched[*j as usize] = true;
                }
            }
            for (j, m) in right_matched.iter().enumerate() {
                if !m {
                    pairs.push(NULL_ROW, j as u32);
                }
            }
        }
        self.charge(pairs.left.len(), label)?;
        Ok(pairs)
    }

    /// Ids for a join's equality keys (equal keys on both sides share one), and each side's rows
    /// with a NULL key.
    fn join_keys(
        &mut self,
        l: &Table,
        r: &Table,
        keys: &[(Expr, Expr)],
    ) -> Result<JoinKeys, SqlError> {
        let mut lk: Vec<Cow<Column>> = Vec::with_capacity(keys.len());
        let mut rk: Vec<Cow<Column>> = Vec::with_capacity(keys.len());
        for (a, b) in keys {
            lk.push(self.resolve(a, l)?.eval_cow(l)?);
            rk.push(self.resolve(b, r)?.eval_cow(r)?);
        }
        let single = match (rk.as_slice(), lk.as_slice()) {
            ([b], [a]) => keys::probe_ids(b, a),
            _ => None,
        };
        let ids = match single {
            Some(ids) => ids,
            None => {
                let mut ids: Option<KeyIds> = None;
                for (b, a) in rk.iter().zip(&lk) {
                    let k = keys::stacked_ids(&[b, a]);
                    ids = Some(match ids {
                        None => k,
                        Some(prev) => keys::combine(&prev, &k),
                    });
                }
                let ids = ids.unwrap_or_else(|| keys::key_ids(&[], l.rows + r.rows));
                JoinIds::split(ids, r.rows)
            }
        };
        Ok(JoinKeys {
            ids,
            r_null: keys::any_null(&rk.iter().map(|c| &**c).collect::<Vec<_>>(), r.rows),
            l_null: keys::any_null(&lk.iter().map(|c| &**c).collect::<Vec<_>>(), l.rows),
        })
    }

    /// The (left, right) row pairs with equal keys, in left order then right order: a hash join
    /// on dense key ids (NULL keys match nothing).
    fn hash_pairs(
        &mut self,
        l: &Table,
        r: &Table,
        keys: &[(Expr, Expr)],
        label: &str,
    ) -> Result<Pairs, SqlError> {
        let JoinKeys {
            ids,
            r_null,
            l_null,
        } = self.join_keys(l, r, keys)?;
        // The right side's rows by key: the first row per key, then a chain through the rest.
        let mut first = vec![NULL_ROW; ids.count];
        let mut next = vec![NULL_ROW; r.rows];
        for j in (0..r.rows).rev() {
            let id = ids.build[j];
            if id == NO_ID || r_null.as_ref().is_some_and(|n| n[j]) {
                continue;
            }
            next[j] = first[id as usize];
            first[id as usize] = j as u32;
        }
        let match_of = |i: usize, id: &u32| {
            if *id == NO_ID || l_null.as_ref().is_some_and(|n| n[i]) {
                NULL_ROW
            } else {
                first[*id as usize]
            }
        };
        if next.iter().all(|j| *j == NULL_ROW) {
            // Each key on the right once (a join on the right's key): a left row's match is
            // its key's one row, found in one pass without chains.
            let mut right: Vec<u32> = ids
                .probe
                .iter()
                .enumerate()
                .map(|(i, id)| match_of(i, id))
                .collect();
            let left: Vec<u32> = if right.contains(&NULL_ROW) {
                let left = (0..l.rows as u32)
                    .filter(|i| right[*i as usize] != NULL_ROW)
                    .collect();
                right.retain(|j| *j != NULL_ROW);
                left
            } else {
                (0..l.rows as u32).collect()
            };
            return Ok(Pairs { left, right });
        }
        let mut pairs = Pairs::with_capacity(l.rows);
        for i in 0..l.rows {
            let id = ids.probe[i];
            if id == NO_ID || l_null.as_ref().is_some_and(|n| n[i]) {
                continue;
            }
            let mut j = first[id as usize];
            if j == NULL_ROW {
                continue;
            }
            while j != NULL_ROW {
                pairs.push(i as u32, j);
                j = next[j as usize];
            }
            if pairs.left.len() > self.limits.rows_max {
                return Err(limit_error(format!(
                    "\"{label}\" produced more than {} rows: a key matches many rows on both sides (fan-out)",
                    self.limits.rows_max
                )));
            }
        }
        Ok(pairs)
    }
}

/// The first [`TRACE_ROWS_MAX`] rows of a step's table, with the columns the trace shows: the
/// visible ones (a window step's too, since they are its point), each under a label of its own
/// ([`distinct_labels`]).
fn shown_table(table: &Table, fields: &[PlanField], all: bool) -> Table {
    let visible: Vec<usize> = (0..fields.len())
        .filter(|i| all || !fields[*i].hidden)
        .collect();
    let head = table.head(TRACE_ROWS_MAX);
    let shown: Vec<&PlanField> = visible.iter().map(|i| &fields[*i]).collect();
    Table {
        fields: visible
            .iter()
            .zip(distinct_labels(&shown))
            .map(|(i, name)| Field {
                name,
                data_type: head.fields[*i].data_type,
            })
            .collect(),
        columns: visible.iter().map(|i| head.columns[*i].clone()).collect(),
        rows: head.rows,
    }
}

/// Column labels a learner can tell apart: a name two columns share is qualified by each one's
/// table or alias (a join's `a.id` and `b.id`); columns still alike after that are numbered from
/// the second on (`count #2`).
fn distinct_labels(fields: &[&PlanField]) -> Vec<String> {
    let shared = |name: &str| fields.iter().filter(|f| f.name == name).count() > 1;
    let qualified: Vec<String> = fields
        .iter()
        .map(|f| match &f.qualifier {
            Some(q) if shared(&f.name) => format!("{q}.{}", f.name),
            _ => f.name.clone(),
        })
        .collect();
    qualified
        .iter()
        .enumerate()
        .map(
            |(i, label)| match qualified[..i].iter().filter(|l| *l == label).count() {
                0 => label.clone(),
                earlier => format!("{label} #{}", earlier + 1),
            },
        )
        .collect()
}

/// A join's equality keys as ids, the right side building and the left probing; rows with a
/// NULL key marked in `r_null` / `l_null` (none when no row has).
struct JoinKeys {
    ids: JoinIds,
    r_null: Option<Vec<bool>>,
    l_null: Option<Vec<bool>>,
}

/// A join's output rows as (left row, right row), [`NULL_ROW`] for a missing side.
struct Pairs {
    left: Vec<u32>,
    right: Vec<u32>,
}

impl Pairs {
    fn with_capacity(n: usize) -> Pairs {
        Pairs {
            left: Vec::with_capacity(n),
            right: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, left: u32, right: u32) {
        self.left.push(left);
        self.right.push(right);
    }

    fn retain(&mut self, keep: &[bool]) {
        let mut k = keep.iter();
        self.left.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        self.right.retain(|_| *k.next().unwrap_or(&false));
    }
}

/// The rows where a boolean column is true (NULL and false drop).
fn truth(c: &Column) -> Vec<bool> {
    match &c.data {
        ColumnData::Boolean(v) => match &c.validity {
            None => v.clone(),
            Some(valid) => v.iter().zip(valid).map(|(b, ok)| *b && *ok).collect(),
        },
        _ => vec![false; c.len()],
    }
}

fn combine(l: &Table, r: &Table, pairs: &Pairs) -> Table {
    combine_kept(l, r, pairs, None)
}

/// The joined rows: `l`'s columns then `r`'s, gathered by the pairs; with `kept`, only the
/// columns it marks (the others are placeholders of the right length).
fn combine_kept(l: &Table, r: &Table, pairs: &Pairs, kept: Option<&[bool]>) -> Table {
    let rows = pairs.left.len();
    let mut fields = l.fields.clone();
    fields.extend(r.fields.clone());
    let sides = l.columns.iter().map(|c| (c, &pairs.left));
    let sides = sides.chain(r.columns.iter().map(|c| (c, &pairs.right)));
    let columns = sides
        .enumerate()
        .map(|(i, (c, side))| {
            if kept.is_none_or(|k| k.get(i).copied().unwrap_or(true)) {
                c.take(side)
            } else {
                prune::placeholder(rows)
            }
        })
        .collect();
    Table {
        fields,
        columns,
        rows,
    }
}

/// Keeps the first row of each distinct row.
fn first_of_each(t: &Table) -> Vec<bool> {
    let ids = keys::key_ids(&t.columns.iter().collect::<Vec<_>>(), t.rows);
    (0..t.rows).map(|i| ids.is_first(i)).collect()
}

fn set_operation(l: &Table, r: &Table, op: SetOp, all: bool) -> Table {
    let mut out = Table::empty(l.fields.clone());
    let push = |out: &mut Table, row: &[Value]| {
        for (c, v) in out.columns.iter_mut().zip(row) {
            c.push(v);
        }
        out.rows += 1;
    };
    let mut counts: Map<Vec<Value>, usize> = Map::default();
    match op {
        SetOp::Union => {
            for t in [l, r] {
                for i in 0..t.rows {
                    let row = t.row(i);
                    if all || counts.insert(row.clone(), 1).is_none() {
                        push(&mut out, &row);
                    }
                }
            }
        }
        SetOp::Intersect | SetOp::Except => {
            for j in 0..r.rows {
                *counts.entry(r.row(j)).or_default() += 1;
            }
            let mut emitted: Map<Vec<Value>, ()> = Map::default();
            for i in 0..l.rows {
                let row = l.row(i);
                let in_right = counts.get(&row).copied().unwrap_or(0);
                let keep = match (op, all) {
                    (SetOp::Intersect, true) => {
                        if in_right > 0 {
                            counts.insert(row.clone(), in_right - 1);
                            true
                        } else {
                            false
                        }
                    }
                    (SetOp::Except, true) => {
                        if in_right > 0 {
                            counts.insert(row.clone(), in_right - 1);
                            false
                        } else {
                            true
                        }
                    }
                    (SetOp::Intersect, false) => {
                        in_right > 0 && emitted.insert(row.clone(), ()).is_none()
                    }
                    _ => in_right == 0 && emitted.insert(row.clone(), ()).is_none(),
                };
                if keep {
                    push(&mut out, &row);
                }
            }
        }
    }
    out
}

/// One aggregate's running state for one group.
#[derive(Clone, Debug)]
enum Acc {
    Count(i64),
    SumInt(Option<i64>),
    SumFloat(Option<f64>),
    SumInterval(Option<Interval>),
    Avg(f64, i64),
    Best(Option<Value>),
}

fn new_acc(call: &AggCall) -> Acc {
    match call.func {
        AggFn::CountStar | AggFn::Count => Acc::Count(0),
        AggFn::Sum => match call.data_type {
            DataType::Double => Acc::SumFloat(None),
            DataType::Interval => Acc::SumInterval(None),
            _ => Acc::SumInt(None),
        },
        AggFn::Avg => Acc::Avg(0.0, 0),
        AggFn::Min | AggFn::Max => Acc::Best(None),
    }
}

fn feed(acc: &mut Acc, func: AggFn, v: &Value) -> Result<(), SqlError> {
    if v.is_null() && func != AggFn::CountStar {
        return Ok(());
    }
    match (acc, v) {
        (Acc::Count(n), _) => *n += 1,
        (Acc::SumInt(s), Value::BigInt(x)) => {
            *s = Some(s.unwrap_or(0).checked_add(*x).ok_or_else(|| {
                SqlError::new(ErrorKind::Runtime, "sum() is out of the BIGINT range")
                    .with_hint("sum CAST(x AS DOUBLE)")
            })?)
        }
        (Acc::SumFloat(s), Value::Double(x)) => *s = Some(s.unwrap_or(0.0) + x),
        (Acc::SumFloat(s), Value::BigInt(x)) => *s = Some(s.unwrap_or(0.0) + *x as f64),
        (Acc::SumInterval(s), Value::Interval(x)) => {
            let cur = s.unwrap_or_default();
            *s = Some(Interval {
                months: cur.months + x.months,
                days: cur.days + x.days,
                micros: cur.micros + x.micros,
            });
        }
        (Acc::Avg(sum, n), Value::BigInt(x)) => {
            *sum += *x as f64;
            *n += 1;
        }
        (Acc::Avg(sum, n), Value::Double(x)) => {
            *sum += x;
            *n += 1;
        }
        (Acc::Best(best), v) => {
            let better = match best {
                None => true,
                Some(b) => {
                    let o = v.total_cmp(b);
                    if func == AggFn::Min {
                        o == Ordering::Less
                    } else {
                        o == Ordering::Greater
                    }
                }
            };
            if better {
                *best = Some(v.clone());
            }
        }
        _ => {}
    }
    Ok(())
}

/// The common aggregates over a typed column with no NULLs (or COUNT(*)), without building
/// values. Returns false when the general path must run instead.
fn feed_typed(accs: &mut [Acc], func: AggFn, arg: Option<&Column>, group_of: &[u32]) -> bool {
    let Some(col) = arg else {
        // COUNT(*): one per row.
        count_rows(accs, group_of);
        return true;
    };
    if col.validity.is_some() {
        return false;
    }
    if matches!(col.data, ColumnData::Null(_)) {
        // Every value is NULL: the aggregates stay at their empty state.
        return true;
    }
    if let [acc] = accs {
        if feed_one(acc, col) {
            return true;
        }
    }
    match (&col.data, func) {
        (_, AggFn::Count | AggFn::CountStar) => {
            count_rows(accs, group_of);
            true
        }
        (ColumnData::Double(v), AggFn::Sum | AggFn::Avg) => {
            for (x, g) in v.iter().zip(group_of) {
                match &mut accs[*g as usize] {
                    Acc::SumFloat(s) => *s = Some(s.unwrap_or(0.0) + x),
                    Acc::Avg(sum, n) => {
                        *sum += x;
                        *n += 1;
                    }
                    _ => return false,
                }
            }
            true
        }
        (ColumnData::BigInt(v), AggFn::Avg) => {
            for (x, g) in v.iter().zip(group_of) {
                if let Acc::Avg(sum, n) = &mut accs[*g as usize] {
                    *sum += *x as f64;
                    *n += 1;
                }
            }
            true
        }
        _ => false,
    }
}

/// COUNT(*), or COUNT(x) of an x never NULL: each group's rows.
fn count_rows(accs: &mut [Acc], group_of: &[u32]) {
    let mut counts = vec![0i64; accs.len()];
    let counts = counts.as_mut_slice();
    for g in group_of {
        counts[*g as usize] += 1;
    }
    for (acc, rows) in accs.iter_mut().zip(counts) {
        if let Acc::Count(n) = acc {
            *n += *rows;
        }
    }
}

/// [`feed_typed`] for an aggregate's one group (no GROUP BY), over a column with no NULLs: the
/// column in one plain loop, added in row order as the per-row path adds it. Returns false
/// when that path must run instead.
fn feed_one(acc: &mut Acc, col: &Column) -> bool {
    match (acc, &col.data) {
        (Acc::Count(n), _) => *n += col.len() as i64,
        (Acc::SumFloat(s), ColumnData::Double(v)) => {
            if !v.is_empty() {
                *s = Some(v.iter().fold(s.unwrap_or(0.0), |sum, x| sum + x));
            }
        }
        (Acc::Avg(sum, n), ColumnData::Double(v)) => {
            *sum = v.iter().fold(*sum, |sum, x| sum + x);
            *n += v.len() as i64;
        }
        _ => return false,
    }
    true
}

fn finish(acc: &Acc) -> Value {
    match acc {
        Acc::Count(n) => Value::BigInt(*n),
        Acc::SumInt(s) => s.map_or(Value::Null, Value::BigInt),
        Acc::SumFloat(s) => s.map_or(Value::Null, Value::Double),
        Acc::SumInterval(s) => s.map_or(Value::Null, Value::Interval),
        Acc::Avg(sum, n) => {
            if *n == 0 {
                Value::Null
            } else {
                Value::Double(sum / *n as f64)
            }
        }
        Acc::Best(b) => b.clone().unwrap_or(Value::Null),
    }
}

/// GROUP BY: groups in order of first appearance, then each aggregate per group. Returns the
/// table and, for the trace, the first input rows of the first groups.
fn aggregate(
    input: &Table,
    group_by: &[Expr],
    calls: &[AggCall],
) -> Result<(Table, Vec<Vec<usize>>), SqlError> {
    let keys: Vec<Cow<Column>> = group_by
        .iter()
        .map(|e| e.eval_cow(input))
        .collect::<Result<_, _>>()?;
    let args: Vec<Option<Cow<Column>>> = calls
        .iter()
        .map(|c| c.arg.as_ref().map(|a| a.eval_cow(input)).transpose())
        .collect::<Result<_, _>>()?;
    // Without GROUP BY, one group (even over no rows).
    let groups = if group_by.is_empty() {
        KeyIds {
            ids: vec![0; input.rows],
            firsts: vec![0],
        }
    } else {
        keys::key_ids(&keys.iter().map(|c| &**c).collect::<Vec<_>>(), input.rows)
    };
    let firsts: Vec<u32> = groups.firsts.iter().map(|i| *i as u32).collect();
    let key_columns = keys
        .iter()
        .map(|col| match input.rows {
            0 => Column::empty(col.data_type()),
            _ => col.take(&firsts),
        })
        .collect();
    let key_types: Vec<DataType> = group_by.iter().map(|e| e.data_type()).collect();
    aggregate_groups(input.rows, &groups, key_columns, &key_types, calls, &args)
}

/// GROUP BY once the groups are known: each aggregate per group over `args` (one column per
/// call, none for COUNT(*)), after the groups' keys (`key_columns`, one row per group; none
/// without GROUP BY). Returns the table and, for the trace, the first input rows of the first
/// groups.
fn aggregate_groups(
    rows_in: usize,
    groups: &KeyIds,
    key_columns: Vec<Column>,
    key_types: &[DataType],
    calls: &[AggCall],
    args: &[Option<Cow<Column>>],
) -> Result<(Table, Vec<Vec<usize>>), SqlError> {
    let grouped = !key_types.is_empty();
    let n_groups = groups.count();
    let mut accs: Vec<Vec<Acc>> = calls.iter().map(|c| vec![new_acc(c); n_groups]).collect();
    for (k, call) in calls.iter().enumerate() {
        let arg = args[k].as_deref();
        if call.distinct {
            // Each (group, value) pair once: its first row feeds the aggregate.
            let Some(col) = arg else { continue };
            let values = keys::key_ids(&[col], rows_in);
            if call.func == AggFn::Count {
                count_distinct::count_distinct(&mut accs[k], groups, &values, col);
                continue;
            }
            let pairs = keys::combine(groups, &values);
            for (i, g) in groups.ids.iter().enumerate() {
                if !pairs.is_first(i) || !col.is_valid(i) {
                    continue;
                }
                match &mut accs[k][*g as usize] {
                    Acc::Count(n) => *n += 1,
                    acc => feed(acc, call.func, &col.get(i))?,
                }
            }
            continue;
        }
        if feed_typed(&mut accs[k], call.func, arg, &groups.ids) {
            continue;
        }
        for (i, g) in groups.ids.iter().enumerate() {
            let v = match arg {
                Some(col) => col.get(i),
                None => Value::BigInt(1),
            };
            feed(&mut accs[k][*g as usize], call.func, &v)?;
        }
    }
    let mut fields: Vec<Field> = key_types
        .iter()
        .enumerate()
        .map(|(i, data_type)| Field {
            name: format!("group{i}"),
            data_type: *data_type,
        })
        .collect();
    fields.extend(calls.iter().map(|c| Field {
        name: c.func.name().into(),
        data_type: c.data_type,
    }));
    let mut columns = key_columns;
    let rows = if grouped { n_groups } else { 1 };
    for (k, call) in calls.iter().enumerate() {
        let values: Vec<Value> = accs[k].iter().take(rows).map(finish).collect();
        columns.push(Column::from_values(call.data_type, values.iter()));
    }
    if !grouped && rows_in == 0 {
        // An aggregate over no rows still gives one row (count 0, sum NULL).
        for (k, call) in calls.iter().enumerate() {
            columns[k] = Column::from_values(call.data_type, [finish(&new_acc(call))].iter());
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rows.min(TRACE_ROWS_MAX)];
    for (i, g) in groups.ids.iter().enumerate().take(TRACE_ROWS_MAX) {
        if let Some(m) = members.get_mut(*g as usize) {
            m.push(i);
        }
    }
    Ok((
        Table {
            fields,
            columns,
            rows,
        },
        members,
    ))
}

/// lag()'s or lead()'s offset once its subquery has run: a scalar subquery the binder took for
/// one can still have given NULL.
fn check_offset(call: &WindowCall) -> Result<(), SqlError> {
    let lag_or_lead = matches!(call.func, WindowFn::Lag | WindowFn::Lead);
    match call.args.get(1) {
        Some(Expr::Literal(Value::BigInt(_))) | None => Ok(()),
        Some(_) if !lag_or_lead => Ok(()),
        Some(_) => Err(SqlError::new(
            ErrorKind::Type,
            "the offset of lag()/lead() must be a whole-number literal",
        )),
    }
}

/// One window function over `input`: partitions sorted by their ORDER BY, then the function per
/// row within its frame. With `keep` (a `row_number()` under a window group limit), only each
/// partition's first `keep` rows are numbered truly, the rest `keep + 1`.
fn window(input: &Table, call: &WindowCall, keep: Option<usize>) -> Result<Column, SqlError> {
    let n = input.rows;
    let parts: Vec<Cow<Column>> = call
        .partition_by
        .iter()
        .map(|e| e.eval_cow(input))
        .collect::<Result<_, _>>()?;
    let order = SortKeys::new(input, &call.order_by)?;
    let args: Vec<Cow<Column>> = call
        .args
        .iter()
        .map(|e| e.eval_cow(input))
        .collect::<Result<_, _>>()?;
    // Rows grouped by partition (in any order: each row's result depends on its own partition
    // alone), each partition sorted by the ORDER BY keys (ties in input order).
    let (part_ids, part_count) =
        keys::group_ids(&parts.iter().map(|c| &**c).collect::<Vec<_>>(), n);
    if let Some(keep) = keep {
        return Ok(first_row_numbers(&order, &part_ids, part_count, keep));
    }
    let (rows, part_start) = order.sort_partitions(&part_ids, part_count);
    // Ranking functions write integers straight; the rest build values.
    let ranking = matches!(
        call.func,
        WindowFn::RowNumber | WindowFn::Rank | WindowFn::DenseRank
    );
    let mut ints: Vec<i64> = if ranking { vec![0; n] } else { Vec::new() };
    let mut out = if ranking {
        Vec::new()
    } else {
        vec![Value::Null; n]
    };
    let uses_peers = !matches!(
        call.func,
        WindowFn::RowNumber | WindowFn::Lag | WindowFn::Lead
    );
    for window in part_start.windows(2) {
        let part = &rows[window[0]..window[1]];
        if call.func == WindowFn::RowNumber {
            // Each row's place in its partition, nothing else (into a slice: see
            // `SortKeys::sort_partitions`).
            let ints = ints.as_mut_slice();
            for (k, row) in part.iter().enumerate() {
                ints[*row] = k as i64 + 1;
            }
            continue;
        }
        // Peer groups: rows equal on the ORDER BY keys.
        let mut peer_end = vec![0; part.len()];
        let mut peer_start = vec![0; part.len()];
        let mut g = 0;
        while uses_peers && g < part.len() {
            let mut h = g + 1;
            while h < part.len() && order.cmp(part[g], part[h]) == Ordering::Equal {
                h += 1;
            }
            for k in g..h {
                peer_start[k] = g;
                peer_end[k] = h;
            }
            g = h;
        }
        let mut dense = 0;
        // With frames that start at the partition's first row, the aggregate runs on.
        let mut running: Option<(Acc, usize)> = None;
        for (k, row) in part.iter().enumerate() {
            if k == 0 || peer_start[k] == k {
                dense += 1;
            }
            let frame = |b: Bound, is_start: bool| -> usize {
                let len = part.len();
                match b {
                    Bound::UnboundedPreceding => 0,
                    Bound::UnboundedFollowing => len,
                    Bound::CurrentRow if call.frame.units == FrameUnits::Rows => {
                        if is_start {
                            k
                        } else {
                            k + 1
                        }
                    }
                    Bound::CurrentRow => {
                        if is_start {
                            peer_start[k]
                        } else {
                            peer_end[k]
                        }
                    }
                    Bound::Preceding(o) => {
                        let x = k.saturating_sub(o as usize);
                        if is_start {
                            x
                        } else {
                            (k + 1).saturating_sub(o as usize)
                        }
                    }
                    Bound::Following(o) => {
                        let x = (k + o as usize).min(len);
                        if is_start {
                            x
                        } else {
                            (k + o as usize + 1).min(len)
                        }
                    }
                }
            };
            if ranking {
                ints[*row] = match call.func {
                    WindowFn::RowNumber => k as i64 + 1,
                    WindowFn::Rank => peer_start[k] as i64 + 1,
                    _ => dense,
                };
                continue;
            }
            out[*row] = match call.func {
                WindowFn::RowNumber | WindowFn::Rank | WindowFn::DenseRank => Value::Null,
                WindowFn::Lag | WindowFn::Lead => {
                    let offset = match call.args.get(1) {
                        Some(Expr::Literal(Value::BigInt(o))) => *o,
                        _ => 1,
                    };
                    let target = if call.func == WindowFn::Lag {
                        k as i64 - offset
                    } else {
                        k as i64 + offset
                    };
                    if target >= 0 && (target as usize) < part.len() {
                        args[0].get(part[target as usize])
                    } else {
                        args.get(2).map_or(Value::Null, |d| d.get(*row))
                    }
                }
                WindowFn::FirstValue | WindowFn::LastValue => {
                    let (s, e) = (frame(call.frame.start, true), frame(call.frame.end, false));
                    if s >= e {
                        Value::Null
                    } else if call.func == WindowFn::FirstValue {
                        args[0].get(part[s])
                    } else {
                        args[0].get(part[e - 1])
                    }
                }
                WindowFn::Aggregate(func) => {
                    let (s, e) = (frame(call.frame.start, true), frame(call.frame.end, false));
                    let agg = AggCall {
                        func,
                        arg: None,
                        distinct: false,
                        data_type: call.data_type,
                    };
                    let value_at = |r: usize| args.first().map_or(Value::BigInt(1), |c| c.get(r));
                    if call.frame.start == Bound::UnboundedPreceding {
                        let (acc, fed) = running.get_or_insert_with(|| (new_acc(&agg), 0));
                        while *fed < e {
                            feed(acc, func, &value_at(part[*fed]))?;
                            *fed += 1;
                        }
                        finish(acc)
                    } else {
                        let mut acc = new_acc(&agg);
                        for r in part.iter().take(e).skip(s) {
                            feed(&mut acc, func, &value_at(*r))?;
                        }
                        finish(&acc)
                    }
                }
            };
        }
    }
    if ranking {
        return Ok(Column {
            data: ColumnData::BigInt(ints),
            validity: None,
        });
    }
    Ok(Column::from_values(call.data_type, out.iter()))
}

/// `row_number()` under a window group limit: each partition's first `keep` rows numbered 1,
/// 2, ..., every other row `keep + 1` (a number the limiting WHERE drops).
fn first_row_numbers(order: &SortKeys, ids: &[u32], parts: usize, keep: usize) -> Column {
    let (slots, lengths) = order.first_of_partitions(ids, parts, keep);
    let mut ints = vec![keep as i64 + 1; ids.len()];
    let numbers = ints.as_mut_slice();
    for (best, len) in slots.chunks(keep.max(1)).zip(&lengths) {
        for (k, row) in best[..*len].iter().enumerate() {
            numbers[*row] = k as i64 + 1;
        }
    }
    Column {
        data: ColumnData::BigInt(ints),
        validity: None,
    }
}

/// For the tests of the fast paths (pruning, grouped joins, window limits): a query's result
/// and work, run plain (fast paths allowed) or traced (always the general path).
#[cfg(test)]
pub(crate) fn result_and_work(s: &mut crate::Session, sql: &str, traced: bool) -> (Table, u64) {
    let outcome = if traced {
        s.execute_traced(sql)
    } else {
        s.execute(sql)
    };
    match outcome
        .unwrap_or_else(|e| panic!("{sql}: {}", e.message))
        .pop()
    {
        Some(crate::Outcome::Rows(result)) => (result.table, result.work),
        _ => panic!("{sql} returns no rows"),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Outcome, Session};

    /// The column labels of each step of `sql`'s trace, by the step's label.
    fn step_columns(sql: &str) -> Vec<(String, Vec<String>)> {
        let mut s = Session::new();
        s.execute(
            "CREATE TABLE a (id BIGINT, name TEXT); CREATE TABLE b (id BIGINT, a_id BIGINT, fare DOUBLE, tip DOUBLE);
             INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (7, 1, 10.0, 1.0)",
        )
        .unwrap();
        let Some(Outcome::Rows(result)) = s.execute_traced(sql).unwrap().pop() else {
            panic!("{sql} returns no rows")
        };
        result
            .trace
            .unwrap()
            .into_iter()
            .map(|step| {
                let names = step.table.fields.into_iter().map(|f| f.name).collect();
                (step.label, names)
            })
            .collect()
    }

    fn columns_of(sql: &str, step: &str) -> Vec<String> {
        step_columns(sql)
            .into_iter()
            .find(|(label, _)| label.contains(step))
            .unwrap_or_else(|| panic!("{sql} has no step {step}: {:?}", step_columns(sql)))
            .1
    }

    #[test]
    fn a_join_qualifies_the_names_both_sides_have() {
        let sql = "SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id";
        assert_eq!(
            columns_of(sql, "INNER JOIN"),
            ["a.id", "name", "b.id", "a_id", "fare", "tip"]
        );
        assert_eq!(columns_of(sql, "SELECT"), ["a.id", "b.id"]);
        // A self join, by its aliases.
        assert_eq!(
            columns_of("SELECT x.id FROM a x CROSS JOIN a y", "CROSS JOIN"),
            ["x.id", "x.name", "y.id", "y.name"]
        );
        // A name only one side has stays bare.
        assert_eq!(columns_of("SELECT * FROM a", "FROM a"), ["id", "name"]);
    }

    #[test]
    fn aggregates_are_named_by_their_call_and_alike_columns_numbered() {
        let sql = "SELECT a_id, sum(fare), sum(tip), count(*), count(DISTINCT tip), max(fare + tip) FROM b GROUP BY a_id";
        assert_eq!(
            columns_of(sql, "GROUP BY"),
            [
                "a_id",
                "sum(fare)",
                "sum(tip)",
                "count(*)",
                "count(DISTINCT tip)",
                "max(…)"
            ]
        );
        // PostgreSQL names both output columns "count": the second is numbered.
        assert_eq!(
            columns_of("SELECT count(*), count(fare) FROM b", "SELECT"),
            ["count", "count #2"]
        );
        assert_eq!(
            columns_of("SELECT 1 AS n, 2 AS n, 3 AS n", "SELECT"),
            ["n", "n #2", "n #3"]
        );
    }
}
