//! `WITH RECURSIVE` at run time: the anchor's rows, then rounds of the recursive part, each over
//! the rows the previous round added, until a round adds none. UNION drops rows already produced
//! (so a walk over a cyclic graph ends); UNION ALL keeps them, and a recursion that never stops
//! is stopped by a round cap, the row budget or the work budget, each with its own message.
//! The rounds run untraced: the trace shows the CTE's result as one step.

use super::{limit_error, Executor, Map};
use crate::column::Table;
use crate::error::SqlError;
use crate::plan::{Plan, WorkingTable};
use crate::value::Value;
use std::rc::Rc;

/// Most rounds a recursive CTE may run.
pub const ROUNDS_MAX: usize = 100_000;

impl Executor {
    pub(super) fn recursive_union(
        &mut self,
        plan: &Plan,
        anchor: &Plan,
        recursive: &Plan,
        working: &Rc<WorkingTable>,
        all: bool,
    ) -> Result<Table, SqlError> {
        self.untraced(|ex| {
            let mut seen: Map<Vec<Value>, ()> = Map::default();
            let fresh = |t: Table, seen: &mut Map<Vec<Value>, ()>| -> Table {
                if all {
                    return t;
                }
                let keep: Vec<bool> = (0..t.rows)
                    .map(|i| seen.insert(t.row(i), ()).is_none())
                    .collect();
                t.filter(&keep)
            };
            let first = ex.run(anchor)?;
            let mut result = fresh(first, &mut seen);
            let mut added = result.clone();
            let mut round = 0;
            while added.rows > 0 {
                round += 1;
                if round > ROUNDS_MAX {
                    return Err(limit_error(format!(
                        "\"{}\" ran more than {ROUNDS_MAX} rounds without stopping",
                        plan.label
                    ))
                    .with_hint(
                        "give the recursive part a stop condition (WHERE n < 100), \
                         or use UNION to drop repeats",
                    ));
                }
                *working.0.borrow_mut() = added;
                let next = ex.run(recursive)?;
                added = fresh(next, &mut seen);
                for (column, more) in result.columns.iter_mut().zip(&added.columns) {
                    column.extend(more);
                }
                result.rows += added.rows;
                ex.charge(added.rows, &plan.label)?;
                if result.rows > ex.limits.rows_max {
                    return Err(limit_error(format!(
                        "\"{}\" produced more than {} rows",
                        plan.label, ex.limits.rows_max
                    ))
                    .with_hint("give the recursive part a stop condition (WHERE n < 100)"));
                }
            }
            *working.0.borrow_mut() = Table::default();
            Ok(result)
        })
    }
}
