//! What a run gave: what each statement did, then the result in four views (the grid, the
//! clause-by-clause trace, the EXPLAIN tree and a chart), with the row count, the time the engine
//! took, the rows it touched (what its budget counts), and the CSV export.

use super::chart::ResultChart;
use super::csv_io::export_csv;
use super::grid::{GridOrder, ResultGrid, GRID_ROWS_MAX};
use super::plan::PlanView;
use super::trace::TraceView;
use super::{format_count, rows_text, use_sql};
use yew::prelude::*;

/// The views of a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Result,
    Trace,
    Plan,
    Chart,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Result, Tab::Trace, Tab::Plan, Tab::Chart];

    fn name(self) -> &'static str {
        match self {
            Tab::Result => "Result",
            Tab::Trace => "Trace",
            Tab::Plan => "Plan (EXPLAIN)",
            Tab::Chart => "Chart",
        }
    }

    /// The tab a key moves to from this one, as the WAI-ARIA tabs pattern has it: the arrows
    /// move to the neighbour (wrapping around), Home and End to the first and last.
    fn after_key(self, key: &str) -> Option<Tab> {
        let at = Tab::ALL.iter().position(|t| *t == self)?;
        let n = Tab::ALL.len();
        let to = match key {
            "ArrowRight" => (at + 1) % n,
            "ArrowLeft" => (at + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return None,
        };
        Some(Tab::ALL[to])
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Result => "result",
            Tab::Trace => "trace",
            Tab::Plan => "plan",
            Tab::Chart => "chart",
        }
    }
}

#[component]
pub fn SqlResults() -> Html {
    let lab = use_sql();
    let tab = use_state(|| Tab::Result);
    let order = use_state(GridOrder::default);
    let Some(run) = lab.run.clone() else {
        return html! {
            <div class="sql-results sql-empty">
                <p class="muted">{ "Run a query to see its result here, with the trace of each clause, its plan and a chart." }</p>
            </div>
        };
    };
    // An EXPLAIN run opens on its plan.
    let current = if run.explain().is_some() && *tab == Tab::Result {
        Tab::Plan
    } else {
        *tab
    };
    let rows = run.rows();
    let summary = match (&run.result, rows) {
        (Err(_), _) => {
            html! { <p class="sql-summary bad">{ "The statement failed; see the error above." }</p> }
        }
        (Ok(_), Some(r)) => {
            let capped = r.table.rows > GRID_ROWS_MAX;
            html! {
                <p class="sql-summary" data-rows={r.table.rows.to_string()} data-elapsed-ms={format!("{:.1}", run.elapsed_ms)}>
                    <strong class="sql-row-count">{ rows_text(r.table.rows) }</strong>
                    { format!(" · {} column{}", r.table.fields.len(), if r.table.fields.len() == 1 { "" } else { "s" }) }
                    { format!(" · {:.0} ms", run.elapsed_ms) }
                    <span class="sql-work" title={format!("the rows the query read and produced in all, over every step and every run of a subquery: what its budget counts (it stops past {})", format_count(lab::sql::exec::Limits::default().work_max))}>
                        { format!(" · {} rows touched", format_count(r.work)) }
                    </span>
                    if capped {
                        <span class="muted">{ format!(" · the grid shows the first {}; the CSV has them all", format_count(GRID_ROWS_MAX as u64)) }</span>
                    }
                </p>
            }
        }
        (Ok(_), None) => {
            html! { <p class="sql-summary">{ format!("Done in {:.0} ms.", run.elapsed_ms) }</p> }
        }
    };
    let on_export = {
        let (lab, order) = (lab.clone(), order.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(r) = lab.run.as_ref().and_then(|r| r.rows()) {
                let run_id = lab.run.as_ref().map_or(0, |r| r.id);
                if let Err(why) = export_csv(&order.of_run(run_id).apply(&r.table)) {
                    lab.dispatch(super::store::SqlAction::Notify(super::store::SqlNotice {
                        is_error: true,
                        text: format!("The CSV could not be saved: {why}"),
                    }));
                }
            }
        })
    };
    let tabs = Tab::ALL.iter().map(|t| {
        let select = {
            let (tab, t) = (tab.clone(), *t);
            Callback::from(move |_: MouseEvent| tab.set(t))
        };
        let selected = *t == current;
        html! {
            <button role="tab" id={format!("sql-tab-{}", t.id())} class={classes!("sql-tab", selected.then_some("is-selected"))}
                aria-selected={selected.to_string()} aria-controls="sql-tabpanel" onclick={select} data-tab={t.id()}
                tabindex={if selected { "0" } else { "-1" }}>
                { t.name() }
            </button>
        }
    });
    let on_tab_key = {
        let tab = tab.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(next) = current.after_key(&e.key()) {
                e.prevent_default();
                tab.set(next);
                crate::focus::focus_after_render(format!("#sql-tab-{}", next.id()), false);
            }
        })
    };
    let body = match current {
        Tab::Result if rows.is_some() => html! { <ResultGrid order={order.clone()} /> },
        Tab::Result => html! {},
        Tab::Trace => html! { <TraceView /> },
        Tab::Plan => html! { <PlanView /> },
        Tab::Chart => html! { <ResultChart order={order.clone()} /> },
    };
    html! {
        <div class="sql-results" data-run={run.id.to_string()}>
            <ul class="sql-messages">
                { for run.messages().into_iter().map(|m| html! { <li class="ok">{ "✓ " }{ m }</li> }) }
            </ul>
            <div class="sql-results-head">
                { summary }
                if rows.is_some() {
                    <button class="sql-export" onclick={on_export}>{ "⬇ Download CSV" }</button>
                }
            </div>
            <div class="sql-tabs" role="tablist" aria-label="Views of the result" onkeydown={on_tab_key}>{ for tabs }</div>
            <div id="sql-tabpanel" role="tabpanel" class={classes!("sql-tabpanel", format!("tab-{}", current.id()))}
                aria-labelledby={format!("sql-tab-{}", current.id())}>
                { body }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::Tab;

    #[test]
    fn arrow_keys_move_between_tabs_and_wrap() {
        assert_eq!(Tab::Result.after_key("ArrowRight"), Some(Tab::Trace));
        assert_eq!(Tab::Chart.after_key("ArrowRight"), Some(Tab::Result));
        assert_eq!(Tab::Result.after_key("ArrowLeft"), Some(Tab::Chart));
        assert_eq!(Tab::Plan.after_key("Home"), Some(Tab::Result));
        assert_eq!(Tab::Trace.after_key("End"), Some(Tab::Chart));
        assert_eq!(Tab::Trace.after_key("Enter"), None);
    }
}
