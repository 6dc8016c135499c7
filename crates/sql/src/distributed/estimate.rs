//! Static size estimates, from which the join strategy is chosen before anything runs.

use super::table_bytes;
use crate::plan::{Node, Plan};

/// Bytes per field Spark's size estimate assumes for a row of unknown text (8 bytes of slot
/// and 20 of text, Spark's default size of a string column).
const ESTIMATED_FIELD_BYTES: u64 = 28;

/// Spark's static size estimate of a logical plan's output (`SizeInBytesOnlyStatsPlanVisitor`):
/// a base table's exact bytes; a filter, projection, aggregate, window or sort keeps its input's;
/// a LIMIT at most its rows at an estimated width; a join the product of its inputs'; a set
/// operation their sum.
pub(super) fn estimate_bytes(plan: &Plan) -> u64 {
    match &plan.node {
        Node::Scan { table } => table_bytes(table),
        Node::Values { rows } => {
            rows.len() as u64 * plan.fields.len() as u64 * ESTIMATED_FIELD_BYTES
        }
        Node::WorkingTable { working } => table_bytes(&working.0.borrow()),
        Node::Limit { input, limit, .. } => {
            let width = plan.fields.len() as u64 * ESTIMATED_FIELD_BYTES + 8;
            let below = estimate_bytes(input);
            limit.map_or(below, |n| below.min(n.saturating_mul(width)))
        }
        Node::Join { left, right, .. } | Node::AsofJoin { left, right, .. } => {
            estimate_bytes(left).saturating_mul(estimate_bytes(right).max(1))
        }
        _ => plan
            .children()
            .iter()
            .map(|c| estimate_bytes(c))
            .fold(0u64, u64::saturating_add),
    }
}
