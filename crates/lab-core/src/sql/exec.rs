//! Running a logical plan: each node materializes its output table (so the trace can show it),
//! with a hash join, hash aggregation, sort-based windows, and a row and work budget that stops a
//! runaway query with a message instead of freezing the tab. Work is counted in rows touched, not
//! in milliseconds: the core has no clock, and the same query stops at the same point everywhere.

use super::column::{Column, ColumnData, Field, Table};
use super::error::{ErrorKind, SqlError};
use super::expr::Expr;
use super::plan::{
    AggCall, AggFn, Bound, JoinKind, Node, Plan, SetOp, SortKey, WindowCall, WindowFn,
};
use super::value::{DataType, Interval, Value};
use std::cmp::Ordering;
// Hash maps are used for lookups only; every output order comes from row order (first
// appearance), never from iterating a map, so results stay deterministic. The hasher is a fixed
// multiply-rotate (FxHash's), not SipHash with a random seed: fast, and the same everywhere.
#[allow(clippy::disallowed_types)]
type Map<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// FxHash (rustc's hasher): fast and deterministic; fine for keys an attacker does not choose.
#[derive(Default)]
pub struct FxHasher {
    hash: u64,
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.hash = (self.hash.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A row's key over some columns: one value without allocating, or several.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    One(Value),
    Many(Vec<Value>),
}

fn row_key(cols: &[Column], i: usize) -> Key {
    match cols {
        [one] => Key::One(one.get(i)),
        many => Key::Many(many.iter().map(|c| c.get(i)).collect()),
    }
}

impl Key {
    fn has_null(&self) -> bool {
        match self {
            Key::One(v) => v.is_null(),
            Key::Many(vs) => vs.iter().any(Value::is_null),
        }
    }
}

/// Compares rows `a` and `b` of one column by value (NULLs equal, placed by the caller), without
/// building values for the common types.
fn cmp_at(c: &Column, a: usize, b: usize) -> Ordering {
    match &c.data {
        ColumnData::BigInt(v) => v[a].cmp(&v[b]),
        ColumnData::Double(v) => super::value::cmp_f64(v[a], v[b]),
        ColumnData::Text(v) => v[a].cmp(&v[b]),
        ColumnData::Date(v) => v[a].cmp(&v[b]),
        ColumnData::Timestamp(v) => v[a].cmp(&v[b]),
        ColumnData::Boolean(v) => v[a].cmp(&v[b]),
        _ => c.get(a).total_cmp(&c.get(b)),
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
}

/// Runs plans within limits, optionally recording a trace.
pub struct Executor {
    pub limits: Limits,
    pub work: u64,
    pub trace: Option<Vec<TraceStep>>,
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
        }
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

    fn record(
        &mut self,
        plan: &Plan,
        table: &Table,
        survivors: Option<Vec<usize>>,
        groups: Option<Vec<Vec<usize>>>,
    ) {
        if let Some(trace) = &mut self.trace {
            if matches!(plan.node, Node::Rename { .. }) {
                return;
            }
            let visible: Vec<usize> = (0..plan.fields.len())
                .filter(|i| !plan.fields[*i].hidden || matches!(plan.node, Node::Window { .. }))
                .collect();
            let head = table.head(TRACE_ROWS_MAX);
            let shown = Table {
                fields: visible.iter().map(|i| head.fields[*i].clone()).collect(),
                columns: visible.iter().map(|i| head.columns[*i].clone()).collect(),
                rows: head.rows,
            };
            trace.push(TraceStep {
                label: plan.label.clone(),
                operator: plan.operator(),
                table: shown,
                rows: table.rows,
                survivors,
                groups,
            });
        }
    }

    /// An input table: a base table is used where it lies (no copy), anything else is run.
    fn input<'p>(&mut self, plan: &'p Plan) -> Result<std::borrow::Cow<'p, Table>, SqlError> {
        match &plan.node {
            Node::Scan { table } if table.fields.len() == plan.fields.len() => {
                self.charge(table.rows, &plan.label)?;
                if self.trace.is_some() {
                    let head = table.head(TRACE_ROWS_MAX);
                    self.record(plan, &head, None, None);
                    if let Some(step) = self.trace.as_mut().and_then(|t| t.last_mut()) {
                        step.rows = table.rows;
                    }
                }
                Ok(std::borrow::Cow::Borrowed(table))
            }
            _ => Ok(std::borrow::Cow::Owned(self.run(plan)?)),
        }
    }

    /// Runs `plan` and returns its output table.
    pub fn run(&mut self, plan: &Plan) -> Result<Table, SqlError> {
        let fields: Vec<Field> = plan
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                data_type: f.data_type,
            })
            .collect();
        let (mut table, survivors, groups) = match &plan.node {
            Node::Scan { table } => ((**table).clone(), None, None),
            Node::Values { table } => (table.clone(), None, None),
            Node::Rename { input } => (self.run(input)?, None, None),
            Node::Filter { input, predicate } => {
                let input = self.input(input)?;
                let keep = truth(&predicate.eval(&input)?);
                let survivors = (0..input.rows.min(TRACE_ROWS_MAX))
                    .filter(|i| keep[*i])
                    .collect();
                (input.filter(&keep), Some(survivors), None)
            }
            Node::Project { input, exprs } => {
                let input = self.input(input)?;
                let columns = exprs
                    .iter()
                    .map(|e| e.eval(&input))
                    .collect::<Result<Vec<_>, _>>()?;
                let rows = input.rows;
                (
                    Table {
                        fields: fields.clone(),
                        columns,
                        rows,
                    },
                    None,
                    None,
                )
            }
            Node::Join {
                left,
                right,
                kind,
                keys,
                residual,
            } => {
                let l = self.input(left)?;
                let r = self.input(right)?;
                (
                    self.join(&l, &r, *kind, keys, residual.as_ref(), &plan.label)?,
                    None,
                    None,
                )
            }
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => {
                let input = self.input(input)?;
                let (table, groups) = aggregate(&input, group_by, aggregates)?;
                (table, None, Some(groups))
            }
            Node::Window { input, calls } => {
                let input = self.input(input)?;
                let mut columns = input.columns.clone();
                for call in calls {
                    columns.push(window(&input, call)?);
                }
                let rows = input.rows;
                (
                    Table {
                        fields: fields.clone(),
                        columns,
                        rows,
                    },
                    None,
                    None,
                )
            }
            Node::Sort { input, keys } => {
                let input = self.input(input)?;
                let order = sort_indices(&input, keys)?;
                let indices: Vec<Option<usize>> = order.into_iter().map(Some).collect();
                (input.take(&indices), None, None)
            }
            Node::Limit {
                input,
                limit,
                offset,
            } => {
                // ORDER BY ... LIMIT n: only the first offset + n rows need sorting.
                let input = match (&input.node, limit) {
                    (
                        Node::Sort {
                            input: sorted,
                            keys,
                        },
                        Some(n),
                    ) => {
                        let rows = self.input(sorted)?;
                        let k = (n.saturating_add(*offset)).min(rows.rows as u64) as usize;
                        let order = top_k(&rows, keys, k)?;
                        let indices: Vec<Option<usize>> = order.into_iter().map(Some).collect();
                        let table = rows.take(&indices);
                        self.charge(table.rows, &input.label)?;
                        self.record(input, &table, None, None);
                        table
                    }
                    _ => self.run(input)?,
                };
                let start = (*offset).min(input.rows as u64) as usize;
                let end = limit.map_or(input.rows, |l| {
                    start
                        .saturating_add(l.min(input.rows as u64) as usize)
                        .min(input.rows)
                });
                let indices: Vec<Option<usize>> = (start..end).map(Some).collect();
                (input.take(&indices), None, None)
            }
            Node::Distinct { input } => {
                let input = self.run(input)?;
                let keep = first_of_each(&input);
                (input.filter(&keep), None, None)
            }
            Node::SetOperation {
                left,
                right,
                op,
                all,
            } => {
                let l = self.run(left)?;
                let r = self.run(right)?;
                (set_operation(&l, &r, *op, *all), None, None)
            }
        };
        table.fields = fields;
        self.charge(table.rows, &plan.label)?;
        self.record(plan, &table, survivors, groups);
        Ok(table)
    }

    fn join(
        &mut self,
        l: &Table,
        r: &Table,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        label: &str,
    ) -> Result<Table, SqlError> {
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        let mut right_matched = vec![false; r.rows];
        if keys.is_empty() {
            // Nested loops: every pair, then the residual condition.
            let total = l.rows.saturating_mul(r.rows);
            self.charge(0, label)?;
            if total > self.limits.rows_max || self.work + total as u64 > self.limits.work_max {
                return Err(limit_error(format!(
                    "\"{label}\" would pair {} rows with {} ({total} pairs)",
                    l.rows, r.rows
                )));
            }
            for i in 0..l.rows {
                for j in 0..r.rows {
                    pairs.push((Some(i), Some(j)));
                }
            }
        } else {
            let lk: Vec<Column> = keys
                .iter()
                .map(|(a, _)| a.eval(l))
                .collect::<Result<_, _>>()?;
            let rk: Vec<Column> = keys
                .iter()
                .map(|(_, b)| b.eval(r))
                .collect::<Result<_, _>>()?;
            // The right side's rows by key: the first row per key, then a chain through the rest.
            let mut first: Map<Key, usize> = Map::default();
            let mut next: Vec<usize> = vec![usize::MAX; r.rows];
            for j in (0..r.rows).rev() {
                let key = row_key(&rk, j);
                if key.has_null() {
                    continue;
                }
                if let Some(old) = first.insert(key, j) {
                    next[j] = old;
                }
            }
            for i in 0..l.rows {
                let key = row_key(&lk, i);
                if key.has_null() {
                    continue;
                }
                if let Some(&j0) = first.get(&key) {
                    let mut j = j0;
                    while j != usize::MAX {
                        pairs.push((Some(i), Some(j)));
                        j = next[j];
                    }
                    if pairs.len() > self.limits.rows_max {
                        return Err(limit_error(format!("\"{label}\" produced more than {} rows: a key matches many rows on both sides (fan-out)", self.limits.rows_max)));
                    }
                }
            }
        }
        // The residual condition on the candidate pairs.
        if let Some(cond) = residual {
            let candidate = combine(l, r, &pairs);
            let keep = truth(&cond.eval(&candidate)?);
            pairs = pairs
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(p, _)| p)
                .collect();
        }
        let mut left_matched = vec![false; l.rows];
        for (i, j) in &pairs {
            if let Some(i) = i {
                left_matched[*i] = true;
            }
            if let Some(j) = j {
                right_matched[*j] = true;
            }
        }
        if matches!(kind, JoinKind::Left | JoinKind::Full) {
            // Keep the left order: unmatched left rows at their place.
            let mut out = Vec::with_capacity(pairs.len());
            let mut by_left: Vec<Vec<(Option<usize>, Option<usize>)>> = vec![Vec::new(); l.rows];
            for p in pairs {
                by_left[p.0.expect("left side present")].push(p);
            }
            for (i, ps) in by_left.into_iter().enumerate() {
                if left_matched[i] {
                    out.extend(ps);
                } else {
                    out.push((Some(i), None));
                }
            }
            pairs = out;
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            for (j, m) in right_matched.iter().enumerate() {
                if !m {
                    pairs.push((None, Some(j)));
                }
            }
        }
        self.charge(pairs.len(), label)?;
        Ok(combine(l, r, &pairs))
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

fn combine(l: &Table, r: &Table, pairs: &[(Option<usize>, Option<usize>)]) -> Table {
    let li: Vec<Option<usize>> = pairs.iter().map(|p| p.0).collect();
    let ri: Vec<Option<usize>> = pairs.iter().map(|p| p.1).collect();
    let mut fields = l.fields.clone();
    fields.extend(r.fields.clone());
    let mut columns: Vec<Column> = l.columns.iter().map(|c| c.take(&li)).collect();
    columns.extend(r.columns.iter().map(|c| c.take(&ri)));
    Table {
        fields,
        columns,
        rows: pairs.len(),
    }
}

/// Keeps the first row of each distinct row.
fn first_of_each(t: &Table) -> Vec<bool> {
    let mut seen: Map<Vec<Value>, ()> = Map::default();
    (0..t.rows)
        .map(|i| seen.insert(t.row(i), ()).is_none())
        .collect()
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

/// Compares rows `a` and `b` by the key columns.
fn cmp_keys(keys: &[(Column, bool, bool)], a: usize, b: usize) -> Ordering {
    for (col, descending, nulls_first) in keys {
        let o = match (!col.is_valid(a), !col.is_valid(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if *nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if *nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => {
                let o = cmp_at(col, a, b);
                if *descending {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn key_columns(t: &Table, keys: &[SortKey]) -> Result<Vec<(Column, bool, bool)>, SqlError> {
    keys.iter()
        .map(|k| Ok((k.expr.eval(t)?, k.descending, k.nulls_first)))
        .collect()
}

/// The first `k` rows in ORDER BY order (stable), without sorting the rest.
fn top_k(t: &Table, keys: &[SortKey], k: usize) -> Result<Vec<usize>, SqlError> {
    let cols = key_columns(t, keys)?;
    let mut order: Vec<usize> = (0..t.rows).collect();
    let cmp = |a: &usize, b: &usize| cmp_keys(&cols, *a, *b).then(a.cmp(b));
    if k < order.len() {
        if k == 0 {
            return Ok(Vec::new());
        }
        order.select_nth_unstable_by(k - 1, cmp);
        order.truncate(k);
    }
    order.sort_by(cmp);
    Ok(order)
}

/// The row order ORDER BY gives (stable: ties keep their input order).
fn sort_indices(t: &Table, keys: &[SortKey]) -> Result<Vec<usize>, SqlError> {
    let cols = key_columns(t, keys)?;
    let mut order: Vec<usize> = (0..t.rows).collect();
    order.sort_by(|a, b| cmp_keys(&cols, *a, *b));
    Ok(order)
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
fn feed_typed(accs: &mut [Acc], func: AggFn, arg: Option<&Column>, group_of: &[usize]) -> bool {
    let Some(col) = arg else {
        // COUNT(*): one per row.
        for g in group_of {
            if let Acc::Count(n) = &mut accs[*g] {
                *n += 1;
            }
        }
        return true;
    };
    if col.validity.is_some() {
        return false;
    }
    if matches!(col.data, ColumnData::Null(_)) {
        // Every value is NULL: the aggregates stay at their empty state.
        return true;
    }
    match (&col.data, func) {
        (_, AggFn::Count | AggFn::CountStar) => {
            for g in group_of {
                if let Acc::Count(n) = &mut accs[*g] {
                    *n += 1;
                }
            }
            true
        }
        (ColumnData::Double(v), AggFn::Sum | AggFn::Avg) => {
            for (x, g) in v.iter().zip(group_of) {
                match &mut accs[*g] {
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
                if let Acc::Avg(sum, n) = &mut accs[*g] {
                    *sum += *x as f64;
                    *n += 1;
                }
            }
            true
        }
        _ => false,
    }
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
    let keys: Vec<Column> = group_by
        .iter()
        .map(|e| e.eval(input))
        .collect::<Result<_, _>>()?;
    let args: Vec<Option<Column>> = calls
        .iter()
        .map(|c| c.arg.as_ref().map(|a| a.eval(input)).transpose())
        .collect::<Result<_, _>>()?;
    let mut group_of: Vec<usize> = Vec::with_capacity(input.rows);
    let mut firsts: Vec<usize> = Vec::new();
    if group_by.is_empty() {
        group_of = vec![0; input.rows];
        firsts.push(0);
    } else {
        let mut ids: Map<Key, usize> = Map::default();
        for i in 0..input.rows {
            let key = row_key(&keys, i);
            let next = ids.len();
            let id = *ids.entry(key).or_insert(next);
            if id == next {
                firsts.push(i);
            }
            group_of.push(id);
        }
    }
    let n_groups = firsts.len();
    let mut accs: Vec<Vec<Acc>> = calls.iter().map(|c| vec![new_acc(c); n_groups]).collect();
    let mut distinct_seen: Vec<Option<Map<(usize, Value), ()>>> = calls
        .iter()
        .map(|c| c.distinct.then(Map::default))
        .collect();
    for (k, call) in calls.iter().enumerate() {
        if !call.distinct && feed_typed(&mut accs[k], call.func, args[k].as_ref(), &group_of) {
            continue;
        }
        for (i, g) in group_of.iter().enumerate() {
            let v = match &args[k] {
                Some(col) => col.get(i),
                None => Value::BigInt(1),
            };
            if let Some(seen) = &mut distinct_seen[k] {
                if v.is_null() || seen.insert((*g, v.clone()), ()).is_some() {
                    continue;
                }
            }
            feed(&mut accs[k][*g], call.func, &v)?;
        }
    }
    let mut fields: Vec<Field> = group_by
        .iter()
        .enumerate()
        .map(|(i, e)| Field {
            name: format!("group{i}"),
            data_type: e.data_type(),
        })
        .collect();
    fields.extend(calls.iter().map(|c| Field {
        name: c.func.name().into(),
        data_type: c.data_type,
    }));
    let mut columns: Vec<Column> = Vec::new();
    for (k, col) in keys.iter().enumerate() {
        let idx: Vec<Option<usize>> = firsts.iter().map(|i| Some(*i)).collect();
        let _ = k;
        columns.push(if input.rows == 0 {
            Column::empty(col.data_type())
        } else {
            col.take(&idx)
        });
    }
    let rows = if group_by.is_empty() { 1 } else { n_groups };
    for (k, call) in calls.iter().enumerate() {
        let values: Vec<Value> = accs[k].iter().take(rows).map(finish).collect();
        columns.push(Column::from_values(call.data_type, values.iter()));
    }
    if group_by.is_empty() && input.rows == 0 {
        // An aggregate over no rows still gives one row (count 0, sum NULL).
        for (k, call) in calls.iter().enumerate() {
            columns[k] = Column::from_values(call.data_type, [finish(&new_acc(call))].iter());
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rows.min(TRACE_ROWS_MAX)];
    for (i, g) in group_of.iter().enumerate().take(TRACE_ROWS_MAX) {
        if let Some(m) = members.get_mut(*g) {
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

/// One window function over `input`: partitions sorted by their ORDER BY, then the function per
/// row within its frame.
fn window(input: &Table, call: &WindowCall) -> Result<Column, SqlError> {
    let n = input.rows;
    let parts: Vec<Column> = call
        .partition_by
        .iter()
        .map(|e| e.eval(input))
        .collect::<Result<_, _>>()?;
    let order = key_columns(input, &call.order_by)?;
    let args: Vec<Column> = call
        .args
        .iter()
        .map(|e| e.eval(input))
        .collect::<Result<_, _>>()?;
    // Partition ids in order of first appearance, then rows sorted by (partition, order keys).
    let mut ids: Map<Key, usize> = Map::default();
    let part_of: Vec<usize> = (0..n)
        .map(|i| {
            let key = if parts.is_empty() {
                Key::Many(Vec::new())
            } else {
                row_key(&parts, i)
            };
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect();
    let mut rows: Vec<usize> = (0..n).collect();
    rows.sort_by(|a, b| {
        part_of[*a]
            .cmp(&part_of[*b])
            .then_with(|| cmp_keys(&order, *a, *b))
    });
    let mut out = vec![Value::Null; n];
    let mut start = 0;
    while start < n {
        let p = part_of[rows[start]];
        let mut end = start;
        while end < n && part_of[rows[end]] == p {
            end += 1;
        }
        let part = &rows[start..end];
        // Peer groups: rows equal on the ORDER BY keys.
        let mut peer_end = vec![0; part.len()];
        let mut peer_start = vec![0; part.len()];
        let mut g = 0;
        while g < part.len() {
            let mut h = g + 1;
            while h < part.len() && cmp_keys(&order, part[g], part[h]) == Ordering::Equal {
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
                    Bound::CurrentRow if call.frame.rows => {
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
            out[*row] = match call.func {
                WindowFn::RowNumber => Value::BigInt(k as i64 + 1),
                WindowFn::Rank => Value::BigInt(peer_start[k] as i64 + 1),
                WindowFn::DenseRank => Value::BigInt(dense),
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
        start = end;
    }
    Ok(Column::from_values(call.data_type, out.iter()))
}
