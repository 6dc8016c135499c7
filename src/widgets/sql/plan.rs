//! The EXPLAIN view: the plan tree of the last query (`Session::explain`, which plans it without
//! running anything), root first, each node indented under its parent with its operator, its
//! clause and its output columns; a subquery is listed under the node that uses it.

use super::editor::error_panel;
use super::store::SqlAction;
use super::use_sql;
use yew::prelude::*;

/// One line of EXPLAIN's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLine {
    pub depth: usize,
    pub operator: String,
    pub label: String,
    pub columns: String,
}

/// Reads EXPLAIN's text ("  Filter: WHERE x > 1  [a, b]", two spaces per level).
pub fn parse_plan(text: &str) -> Vec<PlanLine> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let body = line.trim_start_matches(' ');
            let depth = (line.len() - body.len()) / 2;
            let (operator, rest) = body.split_once(": ").unwrap_or((body, ""));
            let (label, columns) = match rest.rsplit_once("  [") {
                Some((label, columns)) => (label, columns.trim_end_matches(']')),
                None => (rest, ""),
            };
            PlanLine {
                depth,
                operator: operator.to_string(),
                label: label.to_string(),
                columns: columns.to_string(),
            }
        })
        .collect()
}

fn tree(text: &str) -> Html {
    let lines = parse_plan(text);
    html! {
        <ul class="plan-tree" role="tree" aria-label="Query plan">
            { for lines.iter().map(|l| html! {
                <li role="treeitem" aria-level={(l.depth + 1).to_string()} class="plan-node" style={format!("--depth: {}", l.depth)}>
                    <span class="plan-op">{ &l.operator }</span>
                    <span class="plan-label">{ &l.label }</span>
                    if !l.columns.is_empty() {
                        <span class="plan-cols">{ format!("[{}]", l.columns) }</span>
                    }
                </li>
            }) }
        </ul>
    }
}

#[component]
pub fn PlanView() -> Html {
    let lab = use_sql();
    let run_id = lab.run.as_ref().map_or(0, |r| r.id);
    let is_explain = lab.run.as_ref().is_some_and(|r| r.explain().is_some());
    let stale = lab.plan.as_ref().is_none_or(|p| p.run_id != run_id);
    {
        // Plan the last run's text when the view opens on it.
        let lab = lab.clone();
        use_effect_with((run_id, stale && !is_explain), move |(id, needed)| {
            if *id > 0 && *needed {
                lab.dispatch(SqlAction::Explain);
            }
        });
    }
    let Some(run) = lab.run.clone() else {
        return html! { <p class="muted">{ "Run a query to see its plan." }</p> };
    };
    if let Some(plan) = run.explain() {
        return html! { <div class="plan-view">{ tree(plan) }</div> };
    }
    match lab.plan.as_deref().filter(|p| p.run_id == run.id) {
        None => html! { <p class="muted">{ "Planning…" }</p> },
        Some(plan) => match &plan.result {
            Ok(text) => html! {
                <div class="plan-view">
                    <p class="small muted">{ "EXPLAIN shows the plan the engine runs: the root is the last step, and each node reads the rows of the nodes under it." }</p>
                    { tree(text) }
                </div>
            },
            Err(e) => html! {
                <div class="plan-view">
                    <p class="muted small">{ "EXPLAIN explains one query (SELECT, WITH, VALUES); it found none it could plan here:" }</p>
                    { error_panel(e, &plan.sql) }
                </div>
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lines_keep_depth_operator_label_and_columns() {
        let lines = parse_plan(
            "Project: SELECT x  [x]\n  Filter: WHERE x > 1  [x]\n    Scan: FROM t  [x, y]\n",
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].depth, 1);
        assert_eq!(lines[1].operator, "Filter");
        assert_eq!(lines[1].label, "WHERE x > 1");
        assert_eq!(lines[2].columns, "x, y");
        assert_eq!(parse_plan("odd line")[0].operator, "odd line");
    }
}
