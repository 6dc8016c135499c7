//! The result grid: a fixed-row-height scroller that renders only the rows in view (plus a few
//! either side), so 100,000 rows cost what 40 do. A click on a column header sorts the result
//! in the browser (ascending, descending, then back to the query's order); NULLs always sort
//! last. NULL has its own style, numbers are right-aligned.

use super::{is_numeric, use_sql};
use lab::sql::{Column, Table, Value};
use std::rc::Rc;
use web_sys::HtmlElement;
use yew::prelude::*;

/// Height of one row, in CSS pixels (the stylesheet's `--grid-row` must match).
pub const ROW_PX: f64 = 28.0;
/// Rows rendered above and below the ones in view.
pub const OVERSCAN_ROWS: usize = 8;
/// Rows the grid scrolls through at most (browsers cap an element's height near 17 million
/// pixels); the CSV export has them all.
pub const GRID_ROWS_MAX: usize = 500_000;
/// Viewport assumed before the scroller is measured.
const VIEWPORT_PX_DEFAULT: f64 = 480.0;

/// The rows to render for a scroll position: `[first, end)`.
pub fn window(scroll_top: f64, viewport_px: f64, rows: usize) -> (usize, usize) {
    let first_visible = (scroll_top.max(0.0) / ROW_PX).floor() as usize;
    let visible = (viewport_px.max(ROW_PX) / ROW_PX).ceil() as usize + 1;
    let first = first_visible.saturating_sub(OVERSCAN_ROWS).min(rows);
    let end = (first_visible + visible + OVERSCAN_ROWS).min(rows);
    (first, end.max(first))
}

/// The row order that sorts `column` (stable; NULLs last in both directions).
pub fn sort_order(column: &Column, rows: usize, descending: bool) -> Vec<usize> {
    let keys: Vec<Value> = (0..rows).map(|i| column.get(i)).collect();
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&keys[a], &keys[b]);
        match (x.is_null(), y.is_null()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ if descending => y.total_cmp(x),
            _ => x.total_cmp(y),
        }
    });
    order
}

/// Column widths, in characters, from the header and the first rows' values.
pub fn column_widths(table: &Table) -> Vec<usize> {
    table
        .fields
        .iter()
        .zip(&table.columns)
        .map(|(f, c)| {
            let header = f.name.chars().count() + f.data_type.name().len() + 3;
            let values = (0..table.rows.min(200))
                .map(|i| c.get(i).to_string().chars().count())
                .max()
                .unwrap_or(0);
            header.max(values).clamp(6, 36)
        })
        .collect()
}

/// Column widths (in characters) and the CSS grid template of a result: the row numbers, then
/// each column at least as wide as its header and first values, sharing what room is left.
pub fn grid_template(table: &Table) -> (Vec<usize>, String) {
    let widths = column_widths(table);
    let digits = table.rows.min(GRID_ROWS_MAX).to_string().len();
    let template = format!(
        "calc({}ch + 1.1rem) {}",
        digits.max(2),
        widths
            .iter()
            .map(|w| format!("minmax(calc({w}ch + 1.1rem), 1fr)"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    (widths, template)
}

/// How the grid is sorted: by which column, which way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortBy {
    pub column: usize,
    pub descending: bool,
}

/// The next sort after a click on `column`'s header.
pub fn next_sort(current: Option<SortBy>, column: usize) -> Option<SortBy> {
    match current {
        Some(s) if s.column == column && !s.descending => Some(SortBy {
            column,
            descending: true,
        }),
        Some(s) if s.column == column => None,
        _ => Some(SortBy {
            column,
            descending: false,
        }),
    }
}

/// The sorted view of a run's result: the sort and the row order it gives (`None`: the query's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridOrder {
    /// The run it sorts; for any other run it means the query's order.
    pub run_id: u64,
    pub sort: Option<SortBy>,
    pub order: Option<Rc<Vec<usize>>>,
}

impl GridOrder {
    /// This order if it sorts run `run_id`, else the query's order.
    pub fn of_run(&self, run_id: u64) -> GridOrder {
        if self.run_id == run_id {
            self.clone()
        } else {
            GridOrder {
                run_id,
                ..GridOrder::default()
            }
        }
    }

    /// The result's row at display position `i`.
    pub fn row(&self, i: usize) -> usize {
        self.order
            .as_ref()
            .and_then(|o| o.get(i).copied())
            .unwrap_or(i)
    }

    /// The result in display order (for the CSV export).
    pub fn apply(&self, table: &Table) -> Table {
        match &self.order {
            None => table.clone(),
            Some(order) => {
                let indices: Vec<u32> = order.iter().map(|i| *i as u32).collect();
                table.take(&indices)
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultGridProps {
    /// The display order, owned by the results panel so the export follows it.
    pub order: UseStateHandle<GridOrder>,
}

#[component]
pub fn ResultGrid(props: &ResultGridProps) -> Html {
    let lab = use_sql();
    let scroller = use_node_ref();
    // (scroll top, viewport height), in pixels.
    let view = use_state_eq(|| (0.0f64, VIEWPORT_PX_DEFAULT));
    let run = lab.run.clone();
    let run_id = run.as_ref().map_or(0, |r| r.id);
    {
        // A new result starts at the top.
        let (view, scroller) = (view.clone(), scroller.clone());
        use_effect_with(run_id, move |_| {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                el.set_scroll_top(0);
                view.set((0.0, f64::from(el.client_height()).max(ROW_PX)));
            }
        });
    }
    // Column widths and the grid template, once per result (not on every scroll).
    let layout = {
        let run = run.clone();
        use_memo(run_id, move |_| {
            run.as_ref()
                .and_then(|r| r.rows())
                .map_or_else(|| (Vec::new(), String::new()), |r| grid_template(&r.table))
        })
    };
    let Some(result) = run.as_ref().and_then(|r| r.rows()) else {
        return html! {};
    };
    let table = &result.table;
    let rows = table.rows.min(GRID_ROWS_MAX);
    let on_scroll = {
        let view = view.clone();
        Callback::from(move |e: Event| {
            let el: HtmlElement = e.target_unchecked_into();
            // Only a move to another row re-renders.
            let top = (f64::from(el.scroll_top()) / ROW_PX).floor() * ROW_PX;
            view.set((top, f64::from(el.client_height())));
        })
    };
    let (widths, template) = &*layout;
    let numeric: Vec<bool> = table
        .fields
        .iter()
        .map(|f| is_numeric(f.data_type))
        .collect();
    let order = props.order.of_run(run_id);
    let sort = order.sort;
    let (first, end) = window(view.0, view.1, rows);
    let header = table.fields.iter().enumerate().map(|(c, f)| {
        let on_sort = {
            let (order, lab) = (props.order.clone(), lab.clone());
            Callback::from(move |_: MouseEvent| {
                let Some(result) = lab.run.as_ref().and_then(|r| r.rows()) else {
                    return;
                };
                let run_id = lab.run.as_ref().map_or(0, |r| r.id);
                let sort = next_sort(order.of_run(run_id).sort, c);
                // All rows, not only those the grid shows: the export follows this order.
                let rows = result.table.rows;
                order.set(GridOrder {
                    run_id,
                    sort,
                    order: sort.map(|s| {
                        Rc::new(sort_order(&result.table.columns[c], rows, s.descending))
                    }),
                });
            })
        };
        let (aria, arrow) = match sort {
            Some(s) if s.column == c && s.descending => ("descending", " ▼"),
            Some(s) if s.column == c => ("ascending", " ▲"),
            _ => ("none", ""),
        };
        html! {
            <div role="columnheader" aria-sort={aria} class={classes!("grid-th", numeric[c].then_some("num"))}>
                <button class="grid-sort" onclick={on_sort} title={format!("Sort by {} ({})", f.name, f.data_type.name())}>
                    <span class="grid-name">{ &f.name }</span>
                    <span class="grid-type">{ f.data_type.name() }</span>
                    <span class="grid-arrow" aria-hidden="true">{ arrow }</span>
                </button>
            </div>
        }
    });
    // Rows are keyed by row number: a scroll of a few rows moves most of them instead of
    // rewriting every row's text (measured: half the frame time of keying by slot).
    let body = (first..end).map(|i| {
        let r = order.row(i);
        html! {
            <div role="row" class={classes!("grid-row", (i % 2 == 1).then_some("odd"))} key={i} aria-rowindex={(i + 2).to_string()}>
                <span role="rowheader" class="grid-rownum">{ i + 1 }</span>
                { for table.columns.iter().enumerate().map(|(c, column)| {
                    let v = column.get(r);
                    if v.is_null() {
                        html! { <span role="cell" class={classes!("grid-cell", "null", numeric[c].then_some("num"))}>{ "NULL" }</span> }
                    } else {
                        let text = v.to_string();
                        let title = (text.chars().count() > widths.get(c).copied().unwrap_or(0)).then(|| text.clone());
                        html! { <span role="cell" class={classes!("grid-cell", numeric[c].then_some("num"))} title={title}>{ text }</span> }
                    }
                }) }
            </div>
        }
    });
    html! {
        <div class="result-grid" role="table" aria-label="Query result" aria-rowcount={(rows + 1).to_string()}
            ref={scroller} onscroll={on_scroll} tabindex="0"
            style={format!("--grid-columns: {template}; --grid-rows: {rows}")}>
            <div role="row" class="grid-head" aria-rowindex="1">
                <span role="columnheader" class="grid-rownum">{ "#" }</span>
                { for header }
            </div>
            <div class="grid-body" style={format!("height: {}px", rows as f64 * ROW_PX)}>
                <div class="grid-rows" style={format!("transform: translateY({}px)", first as f64 * ROW_PX)}>
                    { for body }
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::sql::DataType;

    #[test]
    fn only_the_rows_in_view_are_rendered() {
        assert_eq!(window(0.0, 280.0, 100_000), (0, 19));
        let (first, end) = window(28.0 * 50_000.0, 280.0, 100_000);
        assert_eq!(first, 50_000 - OVERSCAN_ROWS);
        assert!(end - first <= 11 + 2 * OVERSCAN_ROWS);
        assert_eq!(window(1e9, 280.0, 10), (10, 10));
        assert_eq!(window(0.0, 280.0, 0), (0, 0));
    }

    #[test]
    fn sorting_is_stable_with_nulls_last() {
        let c = Column::from_values(
            DataType::BigInt,
            &[
                Value::BigInt(3),
                Value::Null,
                Value::BigInt(1),
                Value::BigInt(3),
            ],
        );
        assert_eq!(sort_order(&c, 4, false), [2, 0, 3, 1]);
        assert_eq!(sort_order(&c, 4, true), [0, 3, 2, 1]);
        assert_eq!(
            next_sort(None, 1),
            Some(SortBy {
                column: 1,
                descending: false
            })
        );
        assert_eq!(
            next_sort(next_sort(None, 1), 1),
            Some(SortBy {
                column: 1,
                descending: true
            })
        );
        assert_eq!(next_sort(next_sort(next_sort(None, 1), 1), 1), None);
    }
}
