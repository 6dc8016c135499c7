//! The physical plan: the engine's logical plan with Spark's exchanges and physical operators
//! chosen (Spark's `JoinSelection`, `EnsureRequirements` and the two-phase `HashAggregate`
//! planning of `AggUtils`), before anything runs. Each per-partition step keeps the logical node
//! it runs with its inputs replaced by empty holes (`holes`), which a task fills with its
//! partition's rows.

use super::estimate::estimate_bytes;
use super::holes::{hole, hollow};
use super::text::{agg_text, expr_text, join_kind_text, sort_text, whole_text};
use super::DistConfig;
use crate::column::Table;
use crate::expr::Expr;
use crate::plan::{AggCall, AggFn, JoinKind, Node, Plan, PlanField, SetOp, SortKey};
use crate::session::Session;
use crate::value::DataType;
use crate::windowed::WindowTvf;
use std::rc::Rc;

/// Where an exchange sends each row.
#[derive(Clone, Debug)]
pub(super) enum Route {
    /// By a hash of these expressions' values (over the exchange's input).
    Hash(Vec<Expr>),
    /// By these sort keys, into ordered ranges.
    Range(Vec<SortKey>),
    Single,
    Broadcast,
}

/// A unique number per exchange of a physical plan: EXPLAIN reports each one's stages and bytes
/// under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ExchangeId(pub usize);

/// An exchange and the plan below it.
#[derive(Clone, Debug)]
pub(super) struct Exchanged {
    pub id: ExchangeId,
    pub input: Box<Phys>,
    pub route: Route,
    /// Partitions it produces before AQE coalescing.
    pub partitions: u32,
    /// The keys as EXPLAIN names them.
    pub keys_text: Vec<String>,
    /// The static estimate of the bytes it moves.
    pub estimated_bytes: u64,
}

/// Which join strategy a two-input step records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JoinRecord {
    SortMerge,
    BroadcastHash,
    NestedLoop,
}

/// How a final aggregate's output column is made from the merged partial columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Merged {
    /// The merged column at this index, as it is.
    Column(usize),
    /// AVG: the merged sum divided by the merged count.
    Avg { sum: usize, count: usize },
}

/// A physical operator tree.
#[derive(Clone, Debug)]
pub(super) enum Phys {
    /// A base table, split into `scan_partitions` contiguous row ranges.
    Scan {
        table: Rc<Table>,
        name: String,
        cached: bool,
    },
    /// A logical subtree run whole in one task (VALUES, WITH RECURSIVE).
    Whole {
        plan: Plan,
        text: String,
    },
    /// One logical step per partition (its input a hole).
    Step {
        op: Plan,
        input: Box<Phys>,
        text: String,
        operator: String,
    },
    /// ORDER BY ... LIMIT per partition: `limit` rows of the sorted partition after `offset`.
    TopK {
        sort: Plan,
        limit: Option<u64>,
        offset: u64,
        input: Box<Phys>,
        text: String,
    },
    /// The final aggregate's columns in the original aggregate's order and types (AVG divided).
    Merge {
        input: Box<Phys>,
        keys: usize,
        layout: Vec<Merged>,
        fields: Vec<PlanField>,
    },
    /// A two-input step over co-partitioned inputs: partition i of each side together.
    Zip {
        op: Plan,
        left: Exchanged,
        right: Exchanged,
        join: Option<(JoinRecord, JoinKind)>,
        text: String,
    },
    /// A two-input step over each partition of `stream` with the whole of `build`.
    Broadcast {
        op: Plan,
        stream: Box<Phys>,
        build: Exchanged,
        build_is_left: bool,
        join: JoinRecord,
        text: String,
    },
    /// UNION ALL: the partitions of both inputs, each through the engine's UNION ALL with an
    /// empty other side (which puts its rows in the union's column types).
    Union {
        op: Plan,
        left: Box<Phys>,
        right: Box<Phys>,
    },
    Exchange(Exchanged),
}

impl Phys {
    /// Partitions it produces (before AQE coalescing).
    pub fn partitions(&self, config: &DistConfig) -> u32 {
        match self {
            Phys::Scan { .. } => config.scan_partitions_clamped(),
            Phys::Whole { .. } => 1,
            Phys::Step { input, .. } | Phys::TopK { input, .. } | Phys::Merge { input, .. } => {
                input.partitions(config)
            }
            Phys::Zip { left, .. } => left.partitions,
            Phys::Broadcast { stream, .. } => stream.partitions(config),
            Phys::Union { left, right, .. } => left.partitions(config) + right.partitions(config),
            Phys::Exchange(e) => e.partitions,
        }
    }
}

/// Plans `plan` for `config`.
pub(super) fn plan(session: &Session, plan: &Plan, config: &DistConfig) -> Phys {
    let mut planner = Planner {
        session,
        config,
        exchanges: 0,
    };
    planner.node(plan)
}

struct Planner<'s> {
    session: &'s Session,
    config: &'s DistConfig,
    exchanges: usize,
}

impl Planner<'_> {
    fn node(&mut self, plan: &Plan) -> Phys {
        match &plan.node {
            Node::Scan { table } => self.scan(table, plan),
            Node::Values { .. } | Node::RecursiveUnion { .. } | Node::WorkingTable { .. } => {
                Phys::Whole {
                    plan: plan.clone(),
                    text: whole_text(plan),
                }
            }
            Node::Filter { input, predicate } => {
                let text = format!("Filter {}", expr_text(predicate, &input.fields));
                self.step(plan, input, text, "Filter")
            }
            Node::Project { input, exprs } => {
                let list: Vec<String> = exprs.iter().map(|e| expr_text(e, &input.fields)).collect();
                let text = format!("Project [{}]", list.join(", "));
                self.step(plan, input, text, "Project")
            }
            Node::Rename { input } => self.node(input),
            Node::WindowTvf {
                input,
                window,
                session_keys,
                ..
            } => self.window_tvf(plan, input, window, session_keys),
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => self.aggregate(plan, input, group_by, aggregates),
            Node::Window { input, calls } => {
                let first = calls.first().map_or(&[][..], |c| &c.partition_by[..]);
                let shared = !first.is_empty() && calls.iter().all(|c| c.partition_by == first);
                let route = if shared {
                    Route::Hash(first.to_vec())
                } else {
                    Route::Single
                };
                let below = self.node(input);
                let below = self.exchange(below, route, input);
                let keys: Vec<String> = if shared {
                    first.iter().map(|e| expr_text(e, &input.fields)).collect()
                } else {
                    Vec::new()
                };
                let text = format!(
                    "Window [{} function(s)], [{}]",
                    calls.len(),
                    keys.join(", ")
                );
                Phys::Step {
                    op: hollow(plan),
                    input: Box::new(below),
                    text,
                    operator: "Window".into(),
                }
            }
            Node::Sort { input, keys } => {
                let below = self.node(input);
                let below = self.exchange(below, Route::Range(keys.clone()), input);
                Phys::Step {
                    op: hollow(plan),
                    input: Box::new(below),
                    text: format!("Sort [{}], true", sort_text(keys, &input.fields)),
                    operator: "Sort".into(),
                }
            }
            Node::Limit {
                input,
                limit,
                offset,
            } => self.limit(plan, input, *limit, *offset),
            Node::Distinct { input } => {
                let below = self.node(input);
                let local = Phys::Step {
                    op: hollow(plan),
                    input: Box::new(below),
                    text: format!("HashAggregate(keys=[{}], functions=[])", all_columns(input)),
                    operator: "HashAggregate (partial distinct)".into(),
                };
                let route = Route::Hash(column_refs(&input.fields));
                let exchanged = self.exchange(local, route, input);
                Phys::Step {
                    op: hollow(plan),
                    input: Box::new(exchanged),
                    text: format!("HashAggregate(keys=[{}], functions=[])", all_columns(input)),
                    operator: "HashAggregate (distinct)".into(),
                }
            }
            Node::SetOperation {
                left,
                right,
                op,
                all,
            } => self.set_operation(plan, left, right, *op, *all),
            Node::Join {
                left,
                right,
                kind,
                keys,
                ..
            } => self.join(plan, left, right, *kind, keys),
            Node::AsofJoin {
                left, right, keys, ..
            } => {
                let (lroute, rroute) = if keys.is_empty() {
                    (Route::Single, Route::Single)
                } else {
                    (
                        Route::Hash(keys.iter().map(|k| k.0.clone()).collect()),
                        Route::Hash(keys.iter().map(|k| k.1.clone()).collect()),
                    )
                };
                let l = self.node(left);
                let r = self.node(right);
                let text = format!(
                    "AsofSortMergeJoin [{}]",
                    keys.iter()
                        .map(|(a, _)| expr_text(a, &left.fields))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                Phys::Zip {
                    op: hollow(plan),
                    left: self.exchanged(l, lroute, left),
                    right: self.exchanged(r, rroute, right),
                    join: None,
                    text,
                }
            }
        }
    }

    fn scan(&mut self, table: &Rc<Table>, plan: &Plan) -> Phys {
        let name = self
            .session
            .tables()
            .iter()
            .find(|(_, source)| Rc::ptr_eq(source.table(), table))
            .map_or_else(|| plan.label.clone(), |(name, _)| name.clone());
        let cached = self
            .config
            .cached
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&name));
        Phys::Scan {
            table: table.clone(),
            name,
            cached,
        }
    }

    /// A narrow step over `input`'s partitions.
    fn step(&mut self, plan: &Plan, input: &Plan, text: String, operator: &str) -> Phys {
        Phys::Step {
            op: hollow(plan),
            input: Box::new(self.node(input)),
            text,
            operator: operator.into(),
        }
    }

    /// An exchange of `below` (the physical plan of `logical`), unless it is a single partition
    /// already and one is all that is asked for.
    fn exchange(&mut self, below: Phys, route: Route, logical: &Plan) -> Phys {
        if matches!(route, Route::Single) && below.partitions(self.config) == 1 {
            return below;
        }
        Phys::Exchange(self.exchanged(below, route, logical))
    }

    fn exchanged(&mut self, below: Phys, route: Route, logical: &Plan) -> Exchanged {
        let id = ExchangeId(self.exchanges);
        self.exchanges += 1;
        let shuffle = self.config.shuffle_partitions_clamped();
        let (partitions, keys_text) = match &route {
            Route::Hash(keys) => (
                shuffle,
                keys.iter().map(|e| expr_text(e, &logical.fields)).collect(),
            ),
            Route::Range(keys) => (shuffle, vec![sort_text(keys, &logical.fields)]),
            Route::Single | Route::Broadcast => (1, Vec::new()),
        };
        Exchanged {
            id,
            input: Box::new(below),
            route,
            partitions,
            keys_text,
            estimated_bytes: estimate_bytes(logical),
        }
    }

    fn window_tvf(
        &mut self,
        plan: &Plan,
        input: &Plan,
        window: &WindowTvf,
        session_keys: &[Expr],
    ) -> Phys {
        let below = self.node(input);
        let (below, operator) = match window {
            WindowTvf::Session { .. } => {
                let route = if session_keys.is_empty() {
                    Route::Single
                } else {
                    Route::Hash(session_keys.to_vec())
                };
                (self.exchange(below, route, input), "SessionWindow")
            }
            _ => (below, "WindowTableFunction"),
        };
        Phys::Step {
            op: hollow(plan),
            input: Box::new(below),
            text: format!("{operator} {}", plan.label),
            operator: operator.into(),
        }
    }

    fn aggregate(
        &mut self,
        plan: &Plan,
        input: &Plan,
        group_by: &[Expr],
        aggregates: &[AggCall],
    ) -> Phys {
        let keys_text: Vec<String> = group_by
            .iter()
            .map(|e| expr_text(e, &input.fields))
            .collect();
        let functions = |prefix: &str| -> String {
            aggregates
                .iter()
                .map(|a| format!("{prefix}{}", agg_text(a, &input.fields)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let below = self.node(input);
        let partial = partial_calls(aggregates);
        let Some((partial_calls, layout)) = partial else {
            // DISTINCT aggregates: the raw rows, exchanged on the group keys, aggregated once.
            let route = if group_by.is_empty() {
                Route::Single
            } else {
                Route::Hash(group_by.to_vec())
            };
            let exchanged = self.exchange(below, route, input);
            return Phys::Step {
                op: hollow(plan),
                input: Box::new(exchanged),
                text: format!(
                    "HashAggregate(keys=[{}], functions=[{}])",
                    keys_text.join(", "),
                    functions("")
                ),
                operator: "HashAggregate (complete)".into(),
            };
        };
        let key_fields: Vec<PlanField> = plan.fields[..group_by.len()].to_vec();
        let partial_fields: Vec<PlanField> = key_fields
            .iter()
            .cloned()
            .chain(
                partial_calls
                    .iter()
                    .map(|c| plan_field("partial", c.data_type)),
            )
            .collect();
        let partial_op = Plan {
            node: Node::Aggregate {
                input: Box::new(hole(input)),
                group_by: group_by.to_vec(),
                aggregates: partial_calls.clone(),
            },
            fields: partial_fields.clone(),
            label: plan.label.clone(),
        };
        let partial_step = Phys::Step {
            op: partial_op,
            input: Box::new(below),
            text: format!(
                "HashAggregate(keys=[{}], functions=[{}])",
                keys_text.join(", "),
                functions("partial_")
            ),
            operator: "HashAggregate (partial)".into(),
        };
        let key_refs = column_refs(&key_fields);
        let route = if group_by.is_empty() {
            Route::Single
        } else {
            Route::Hash(key_refs.clone())
        };
        let partial_logical = Plan {
            node: Node::Rename {
                input: Box::new(hole(input)),
            },
            fields: partial_fields.clone(),
            label: plan.label.clone(),
        };
        let mut exchanged = self.exchange(partial_step, route, &partial_logical);
        if let Phys::Exchange(e) = &mut exchanged {
            // A partial aggregate's output is estimated as its input, as Spark's size-only
            // statistics do.
            e.estimated_bytes = estimate_bytes(input);
            e.keys_text = keys_text.clone();
        }
        let final_calls: Vec<AggCall> = partial_calls
            .iter()
            .enumerate()
            .map(|(i, c)| final_call(c, group_by.len() + i))
            .collect();
        let final_op = Plan {
            node: Node::Aggregate {
                input: Box::new(hole(&partial_logical)),
                group_by: key_refs,
                aggregates: final_calls,
            },
            fields: partial_fields,
            label: plan.label.clone(),
        };
        let final_step = Phys::Step {
            op: final_op,
            input: Box::new(exchanged),
            text: format!(
                "HashAggregate(keys=[{}], functions=[{}])",
                keys_text.join(", "),
                functions("")
            ),
            operator: "HashAggregate (final)".into(),
        };
        Phys::Merge {
            input: Box::new(final_step),
            keys: group_by.len(),
            layout,
            fields: plan.fields.clone(),
        }
    }

    fn limit(&mut self, plan: &Plan, input: &Plan, limit: Option<u64>, offset: u64) -> Phys {
        let local_limit = limit.map(|l| l.saturating_add(offset));
        if let (
            Node::Sort {
                input: sorted,
                keys,
            },
            Some(_),
        ) = (&input.node, limit)
        {
            // TakeOrderedAndProject: a top-k per partition, then over their union.
            let below = self.node(sorted);
            let text = format!(
                "TakeOrderedAndProject(limit={}, offset={offset}, orderBy=[{}])",
                limit.unwrap_or(0),
                sort_text(keys, &sorted.fields)
            );
            let parts = below.partitions(self.config);
            let sort = hollow(input);
            let below = if parts > 1 {
                let local = Phys::TopK {
                    sort: sort.clone(),
                    limit: local_limit,
                    offset: 0,
                    input: Box::new(below),
                    text: text.clone(),
                };
                self.exchange(local, Route::Single, input)
            } else {
                below
            };
            return Phys::TopK {
                sort,
                limit,
                offset,
                input: Box::new(below),
                text,
            };
        }
        let below = self.node(input);
        let below = match local_limit {
            Some(n) if below.partitions(self.config) > 1 => Phys::Step {
                op: Plan {
                    node: Node::Limit {
                        input: Box::new(hole(input)),
                        limit: Some(n),
                        offset: 0,
                    },
                    fields: plan.fields.clone(),
                    label: plan.label.clone(),
                },
                input: Box::new(below),
                text: format!("LocalLimit {n}"),
                operator: "LocalLimit".into(),
            },
            _ => below,
        };
        let below = self.exchange(below, Route::Single, input);
        let text = match limit {
            Some(n) => format!("GlobalLimit {n}, {offset}"),
            None => format!("GlobalLimit all, {offset}"),
        };
        Phys::Step {
            op: hollow(plan),
            input: Box::new(below),
            text,
            operator: "GlobalLimit".into(),
        }
    }

    fn set_operation(
        &mut self,
        plan: &Plan,
        left: &Plan,
        right: &Plan,
        op: SetOp,
        all: bool,
    ) -> Phys {
        let l = self.node(left);
        let r = self.node(right);
        if op == SetOp::Union && all {
            return Phys::Union {
                op: hollow(plan),
                left: Box::new(l),
                right: Box::new(r),
            };
        }
        let name = match op {
            SetOp::Union => "Union",
            SetOp::Intersect => "Intersect",
            SetOp::Except => "Except",
        };
        let text = format!("{name}{}", if all { " All" } else { "" });
        Phys::Zip {
            op: hollow(plan),
            left: self.exchanged(l, Route::Hash(column_refs(&left.fields)), left),
            right: self.exchanged(r, Route::Hash(column_refs(&right.fields)), right),
            join: None,
            text,
        }
    }

    fn join(
        &mut self,
        plan: &Plan,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
    ) -> Phys {
        let l = self.node(left);
        let r = self.node(right);
        let (left_bytes, right_bytes) = (estimate_bytes(left), estimate_bytes(right));
        let kind_text = join_kind_text(kind);
        // Spark's `canBuildBroadcastLeft` / `canBuildBroadcastRight`.
        let (can_left, can_right) = match kind {
            JoinKind::Inner | JoinKind::Cross => (true, true),
            JoinKind::Left => (false, true),
            JoinKind::Right => (true, false),
            JoinKind::Full => (false, false),
        };
        let build_left = match (can_left, can_right) {
            (true, true) => left_bytes < right_bytes,
            (left_only, _) => left_only,
        };
        if keys.is_empty() && kind != JoinKind::Full {
            let text = format!("BroadcastNestedLoopJoin {kind_text}");
            return self.broadcast(
                plan,
                (l, left),
                (r, right),
                build_left,
                JoinRecord::NestedLoop,
                text,
            );
        }
        if keys.is_empty() {
            // FULL OUTER without equality keys: both sides in one partition.
            return Phys::Zip {
                op: hollow(plan),
                left: self.exchanged(l, Route::Single, left),
                right: self.exchanged(r, Route::Single, right),
                join: Some((JoinRecord::NestedLoop, kind)),
                text: format!("BroadcastNestedLoopJoin {kind_text}"),
            };
        }
        let key_text = |side: &dyn Fn(&(Expr, Expr)) -> &Expr, fields: &[PlanField]| {
            keys.iter()
                .map(|k| expr_text(side(k), fields))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let lkeys = key_text(&|k| &k.0, &left.fields);
        let rkeys = key_text(&|k| &k.1, &right.fields);
        let build_bytes = if build_left { left_bytes } else { right_bytes };
        let threshold = self.config.broadcast_threshold_bytes;
        if (can_left || can_right) && threshold.is_some_and(|t| build_bytes <= t) {
            let side = if build_left {
                "BuildLeft"
            } else {
                "BuildRight"
            };
            let text = format!("BroadcastHashJoin [{lkeys}], [{rkeys}], {kind_text}, {side}");
            return self.broadcast(
                plan,
                (l, left),
                (r, right),
                build_left,
                JoinRecord::BroadcastHash,
                text,
            );
        }
        let lroute = Route::Hash(keys.iter().map(|k| k.0.clone()).collect());
        let rroute = Route::Hash(keys.iter().map(|k| k.1.clone()).collect());
        Phys::Zip {
            op: hollow(plan),
            left: self.exchanged(l, lroute, left),
            right: self.exchanged(r, rroute, right),
            join: Some((JoinRecord::SortMerge, kind)),
            text: format!("SortMergeJoin [{lkeys}], [{rkeys}], {kind_text}"),
        }
    }

    fn broadcast(
        &mut self,
        plan: &Plan,
        (l, left): (Phys, &Plan),
        (r, right): (Phys, &Plan),
        build_left: bool,
        join: JoinRecord,
        text: String,
    ) -> Phys {
        let (stream, build, build_logical) = if build_left {
            (r, l, left)
        } else {
            (l, r, right)
        };
        Phys::Broadcast {
            op: hollow(plan),
            stream: Box::new(stream),
            build: self.exchanged(build, Route::Broadcast, build_logical),
            build_is_left: build_left,
            join,
            text,
        }
    }
}

/// The partial aggregates for `calls` and how the final output is made from their merge; None
/// when one of them cannot be merged (DISTINCT, or an AVG of something other than numbers).
fn partial_calls(calls: &[AggCall]) -> Option<(Vec<AggCall>, Vec<Merged>)> {
    let mut partial = Vec::new();
    let mut layout = Vec::new();
    for call in calls {
        if call.distinct {
            return None;
        }
        let arg_type = call.arg.as_ref().map(Expr::data_type);
        match call.func {
            AggFn::Avg => {
                if !matches!(
                    arg_type,
                    Some(DataType::BigInt | DataType::Double | DataType::Null)
                ) {
                    return None;
                }
                layout.push(Merged::Avg {
                    sum: partial.len(),
                    count: partial.len() + 1,
                });
                partial.push(AggCall {
                    func: AggFn::Sum,
                    arg: call.arg.clone(),
                    distinct: false,
                    data_type: DataType::Double,
                });
                partial.push(AggCall {
                    func: AggFn::Count,
                    arg: call.arg.clone(),
                    distinct: false,
                    data_type: DataType::BigInt,
                });
            }
            _ => {
                layout.push(Merged::Column(partial.len()));
                partial.push(call.clone());
            }
        }
    }
    Some((partial, layout))
}

/// The final aggregate merging partial aggregate `partial` (column `column` of the partial
/// output): counts and sums are summed, minima and maxima taken again.
fn final_call(partial: &AggCall, column: usize) -> AggCall {
    let func = match partial.func {
        AggFn::Min => AggFn::Min,
        AggFn::Max => AggFn::Max,
        AggFn::Count | AggFn::CountStar | AggFn::Sum | AggFn::Avg => AggFn::Sum,
    };
    AggCall {
        func,
        arg: Some(Expr::Column {
            index: column,
            data_type: partial.data_type,
        }),
        distinct: false,
        data_type: partial.data_type,
    }
}

fn plan_field(name: &str, data_type: DataType) -> PlanField {
    PlanField {
        qualifier: None,
        name: name.into(),
        data_type,
        hidden: false,
    }
}

/// A reference to each of these columns.
fn column_refs(fields: &[PlanField]) -> Vec<Expr> {
    fields
        .iter()
        .enumerate()
        .map(|(index, f)| Expr::Column {
            index,
            data_type: f.data_type,
        })
        .collect()
}

fn all_columns(plan: &Plan) -> String {
    plan.fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
