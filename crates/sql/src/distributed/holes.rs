//! Per-partition steps: a logical step kept with its inputs replaced by empty "holes" (no rows,
//! the input's columns), which a task fills with its partition's rows, so that each task runs the
//! step with the engine's own executor over a plan whose leaves are that partition.

use crate::column::{Field, Table};
use crate::plan::{Node, Plan};
use std::rc::Rc;

/// An input a task fills with a partition's rows: no rows, the input's columns.
pub(super) fn hole(input: &Plan) -> Plan {
    Plan {
        node: Node::Scan {
            table: Rc::new(Table::empty(
                input
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.clone(),
                        data_type: f.data_type,
                    })
                    .collect(),
            )),
        },
        fields: input.fields.clone(),
        label: input.label.clone(),
    }
}

/// `plan`'s own step with each input replaced by a [`hole`].
pub(super) fn hollow(plan: &Plan) -> Plan {
    Plan {
        node: map_inputs(&plan.node, &mut |input| hole(input)),
        fields: plan.fields.clone(),
        label: plan.label.clone(),
    }
}

/// A hollow step with its inputs filled, in order, by these tables.
pub(super) fn fill(op: &Plan, tables: Vec<Table>) -> Plan {
    let mut tables = tables.into_iter();
    Plan {
        node: map_inputs(&op.node, &mut |input| Plan {
            node: Node::Scan {
                table: Rc::new(tables.next().unwrap_or_default()),
            },
            fields: input.fields.clone(),
            label: input.label.clone(),
        }),
        fields: op.fields.clone(),
        label: op.label.clone(),
    }
}

/// `node` with each input plan replaced by `f` of it (in [`Plan::children`] order).
fn map_inputs(node: &Node, f: &mut dyn FnMut(&Plan) -> Plan) -> Node {
    let mut one = |p: &Plan| Box::new(f(p));
    match node {
        Node::Scan { .. } | Node::Values { .. } | Node::WorkingTable { .. } => node.clone(),
        Node::Filter { input, predicate } => Node::Filter {
            input: one(input),
            predicate: predicate.clone(),
        },
        Node::Project { input, exprs } => Node::Project {
            input: one(input),
            exprs: exprs.clone(),
        },
        Node::Join {
            left,
            right,
            kind,
            keys,
            residual,
        } => Node::Join {
            left: one(left),
            right: one(right),
            kind: *kind,
            keys: keys.clone(),
            residual: residual.clone(),
        },
        Node::AsofJoin {
            left,
            right,
            keep_unmatched,
            keys,
            inequality,
        } => Node::AsofJoin {
            left: one(left),
            right: one(right),
            keep_unmatched: *keep_unmatched,
            keys: keys.clone(),
            inequality: inequality.clone(),
        },
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => Node::Aggregate {
            input: one(input),
            group_by: group_by.clone(),
            aggregates: aggregates.clone(),
        },
        Node::Window { input, calls } => Node::Window {
            input: one(input),
            calls: calls.clone(),
        },
        Node::Sort { input, keys } => Node::Sort {
            input: one(input),
            keys: keys.clone(),
        },
        Node::Limit {
            input,
            limit,
            offset,
        } => Node::Limit {
            input: one(input),
            limit: *limit,
            offset: *offset,
        },
        Node::Distinct { input } => Node::Distinct { input: one(input) },
        Node::SetOperation {
            left,
            right,
            op,
            all,
        } => Node::SetOperation {
            left: one(left),
            right: one(right),
            op: *op,
            all: *all,
        },
        Node::WindowTvf {
            input,
            time,
            window,
            session_keys,
        } => Node::WindowTvf {
            input: one(input),
            time: *time,
            window: *window,
            session_keys: session_keys.clone(),
        },
        Node::Rename { input } => Node::Rename { input: one(input) },
        Node::RecursiveUnion {
            anchor,
            recursive,
            working,
            all,
        } => Node::RecursiveUnion {
            anchor: one(anchor),
            recursive: one(recursive),
            working: working.clone(),
            all: *all,
        },
    }
}
