//! Binding the window table functions in FROM, RisingWave's form: `TUMBLE(t, ts, size
//! [, offset])`, `HOP(t, ts, slide, size [, offset])` and `SESSION(t, ts, gap)` give t's
//! columns plus `window_start` and `window_end`, of the time column's type (TIMESTAMP with
//! INTERVAL lengths, BIGINT with integer ones). Flink's window TVFs and RisingWave's time window
//! functions produce the same columns; unlike Flink, a SESSION is cut per the query's GROUP BY
//! keys (as RisingWave's and Kafka Streams' sessions are per key), and the query's WHERE runs
//! before sessions are cut, so the batch result is what a streaming run over the same filtered
//! rows gives.

use super::*;
use crate::windowed::tvf;

const TVF_FUNCTIONS: &str = "the table functions are TUMBLE(t, ts, size [, offset]), \
HOP(t, ts, slide, size [, offset]) and SESSION(t, ts, gap)";

impl Binder<'_> {
    /// A window TVF in FROM: its plan and the name its columns are qualified by (the source
    /// table's).
    pub(super) fn window_tvf(
        &mut self,
        name: &ast::ObjectName,
        args: &[ast::FunctionArg],
    ) -> Result<(Plan, String), SqlError> {
        let Some(call) = tvf::parse_call(name, args)? else {
            return Err(SqlError::unsupported(format!("the table function {name}"))
                .with_hint(TVF_FUNCTIONS)
                .at(position(name.span())));
        };
        let function = call.window.name();
        let input = requalify(
            self.named_table(&call.source, call.source_span)?,
            &call.source,
        );
        let visible = || input.fields.iter().filter(|f| !f.hidden);
        let time = input
            .fields
            .iter()
            .position(|f| !f.hidden && f.name == call.time_column)
            .ok_or_else(|| {
                let names: Vec<&str> = visible().map(|f| f.name.as_str()).collect();
                SqlError::new(
                    ErrorKind::UnknownColumn,
                    format!(
                        "{function}'s time column \"{}\" is not a column of {}",
                        call.time_column, call.source
                    ),
                )
                .with_hint(
                    did_you_mean(&call.time_column, names.iter().copied())
                        .unwrap_or_else(|| format!("its columns are: {}", names.join(", "))),
                )
                .at(position(call.time_span))
            })?;
        let time_type = input.fields[time].data_type;
        let expected = if call.integer {
            DataType::BigInt
        } else {
            DataType::Timestamp
        };
        if time_type != expected {
            let lengths = if call.integer {
                "integer lengths window a BIGINT column"
            } else {
                "INTERVAL lengths window a TIMESTAMP column"
            };
            return Err(type_error(
                format!(
                    "{function}'s time column \"{}\" is {time_type}, but {lengths}",
                    call.time_column
                ),
                call.time_span,
            )
            .with_hint(
                "use INTERVAL lengths for a TIMESTAMP column and plain integers for a BIGINT one \
                 (CAST the column in a WITH clause if needed)",
            ));
        }
        if let Some(f) = visible().find(|f| f.name == "window_start" || f.name == "window_end") {
            return Err(SqlError::new(
                ErrorKind::AmbiguousColumn,
                format!("{} already has a column named {}", call.source, f.name),
            )
            .with_hint(
                "rename it in a WITH clause: the window TVF adds window_start and window_end",
            )
            .at(position(call.source_span)));
        }
        let mut fields = input.fields.clone();
        for column in ["window_start", "window_end"] {
            fields.push(PlanField {
                qualifier: Some(call.source.clone()),
                name: column.to_string(),
                data_type: time_type,
                hidden: false,
            });
        }
        let label = format!("FROM {name}({})", comma_list(args));
        let plan = Plan {
            node: Node::WindowTvf {
                input: Box::new(input),
                time,
                window: call.window,
                session_keys: Vec::new(),
            },
            fields,
            label,
        };
        Ok((plan, call.source))
    }
}

/// Whether a FROM item is a SESSION (possibly under an alias).
pub(super) fn is_session(plan: &Plan) -> bool {
    match &plan.node {
        Node::Rename { input } => is_session(input),
        Node::WindowTvf { window, .. } => {
            matches!(window, crate::windowed::WindowTvf::Session { .. })
        }
        _ => false,
    }
}

/// The SESSION node of a FROM plan that is one.
fn session_node(plan: &mut Plan) -> Option<&mut Plan> {
    if !is_session(plan) {
        return None;
    }
    match plan.node {
        Node::Rename { ref mut input } => session_node(input),
        _ => Some(plan),
    }
}

/// The error for a SESSION that is not the only FROM item.
pub(super) fn session_not_alone() -> SqlError {
    SqlError::unsupported("SESSION joined with another FROM item").with_hint(
        "sessions are cut per the query's GROUP BY keys, so SESSION must be the query's only \
         FROM item: join in a WITH clause first, then SESSION over it",
    )
}

/// WHERE: a filter after FROM, except under a SESSION, where it filters the rows before
/// sessions are cut (as the stream engine sees only the rows WHERE keeps).
pub(super) fn where_step(mut plan: Plan, predicate: Expr, label: String) -> Result<Plan, SqlError> {
    if let Some(node) = session_node(&mut plan) {
        let Node::WindowTvf { input, .. } = &mut node.node else {
            unreachable!("session_node returns a SESSION node")
        };
        if max_column(&predicate).is_some_and(|c| c >= input.fields.len()) {
            return Err(SqlError::unsupported("WHERE on window_start or window_end of a SESSION")
                .with_hint("sessions are cut after WHERE: filter on the window in HAVING or in an outer query"));
        }
        let below = std::mem::replace(
            input.as_mut(),
            Plan {
                node: Node::Values { rows: Vec::new() },
                fields: Vec::new(),
                label: String::new(),
            },
        );
        **input = Plan {
            fields: below.fields.clone(),
            node: Node::Filter {
                input: Box::new(below),
                predicate,
            },
            label: format!("{label} (before sessions are cut)"),
        };
        return Ok(plan);
    }
    Ok(Plan {
        fields: plan.fields.clone(),
        node: Node::Filter {
            input: Box::new(plan),
            predicate,
        },
        label,
    })
}

/// Gives a SESSION in FROM the query's GROUP BY keys other than `window_start` and
/// `window_end`: each key's rows are sessionized on their own.
pub(super) fn session_keys(plan: &mut Plan, group_by: &[Expr]) -> Result<(), SqlError> {
    let Some(node) = session_node(plan) else {
        return Ok(());
    };
    let Node::WindowTvf {
        input,
        session_keys,
        ..
    } = &mut node.node
    else {
        unreachable!("session_node returns a SESSION node")
    };
    let n_input = input.fields.len();
    for g in group_by {
        match g {
            Expr::Column { index, .. } if *index >= n_input => {}
            g if max_column(g).is_some_and(|c| c >= n_input) => {
                return Err(SqlError::unsupported(
                    "a GROUP BY expression over window_start or window_end of a SESSION",
                )
                .with_hint("group by window_start, window_end and the keys; compute on the window in the SELECT list"))
            }
            g => session_keys.push(g.clone()),
        }
    }
    node.label = if session_keys.is_empty() {
        format!("{} (one session series for all rows)", node.label)
    } else {
        format!("{} (sessions per GROUP BY key)", node.label)
    };
    Ok(())
}
