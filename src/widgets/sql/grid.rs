//! The result grid: a fixed-row-height scroller that renders only the rows in view (plus a few
//! either side), so 100,000 rows cost what 40 do. A click on a column header sorts the result
//! in the browser (ascending, descending, then back to the query's order); NULLs always sort
//! last. NULL has its own style, numbers are right-aligned with thousands separators (drawn, not
//! copied). A value longer than its column is cut with its whole text in the title, and a click
//! or tap on it opens it whole (wrapped, with a Copy button) under the grid.

use super::{format_count, is_numeric, shown_text, use_sql, value_html};
use lab::sql::{Column, Table, Value};
use std::rc::Rc;
use web_sys::{Element, HtmlElement};
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
    lab::sim::sort::sort_by(&mut order, |&a, &b| {
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

/// The widest a column starts, in characters: longer values are cut, whole in their title and
/// in the panel a click on them opens.
pub const COLUMN_CHARS_MAX: usize = 36;

/// What each column needs, in characters: its header, or its widest value as shown among the
/// first rows (numbers with their separators).
pub fn natural_widths(table: &Table) -> Vec<usize> {
    table
        .fields
        .iter()
        .zip(&table.columns)
        .map(|(f, c)| {
            let header = f.name.chars().count() + f.data_type.name().len() + 3;
            let values = (0..table.rows.min(200))
                .map(|i| shown_text(&c.get(i)).chars().count())
                .max()
                .unwrap_or(0);
            header.max(values)
        })
        .collect()
}

/// How a result is laid out: each column's width in characters, the CSS grid template (the row
/// numbers, then each column at least that wide, sharing what room is left), the rows' least
/// width (their columns' sum: a definite width, so a long value is cut instead of widening its
/// column in its own row) and whether some value is longer than its column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridLayout {
    pub widths: Vec<usize>,
    pub template: String,
    pub min_width: String,
    pub cuts: bool,
}

pub fn grid_layout(table: &Table) -> GridLayout {
    let natural = natural_widths(table);
    let cuts = natural.iter().any(|w| *w > COLUMN_CHARS_MAX);
    let widths: Vec<usize> = natural
        .iter()
        .map(|w| (*w).clamp(6, COLUMN_CHARS_MAX))
        .collect();
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
    let chars = digits.max(2) + widths.iter().sum::<usize>();
    let min_width = format!(
        "calc({chars}ch + {:.1}rem)",
        1.1 * (widths.len() + 1) as f64
    );
    GridLayout {
        widths,
        template,
        min_width,
        cuts,
    }
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
                .map_or_else(GridLayout::default, |r| grid_layout(&r.table))
        })
    };
    let opened = use_state_eq(|| None::<OpenedCell>);
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
    let GridLayout {
        widths,
        template,
        min_width,
        cuts,
    } = &*layout;
    let on_click = {
        let opened = opened.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some((shown_row, row, column)) =
                e.target_dyn_into::<Element>().and_then(|t| cut_cell_at(&t))
            {
                opened.set(Some(OpenedCell {
                    run_id,
                    shown_row,
                    row,
                    column,
                }));
            }
        })
    };
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
            <div role="row" class={classes!("grid-row", (i % 2 == 1).then_some("odd"))} key={i} aria-rowindex={(i + 2).to_string()} data-row={r.to_string()}>
                <span role="rowheader" class="grid-rownum">{ i + 1 }</span>
                { for table.columns.iter().enumerate().map(|(c, column)| {
                    let v = column.get(r);
                    if v.is_null() {
                        html! { <span role="cell" class={classes!("grid-cell", "null", numeric[c].then_some("num"))}>{ "NULL" }</span> }
                    } else {
                        let long = shown_text(&v).chars().count() > widths.get(c).copied().unwrap_or(0);
                        html! {
                            <span role="cell" class={classes!("grid-cell", numeric[c].then_some("num"), long.then_some("long"))}
                                title={long.then(|| v.to_string())} data-col={c.to_string()}>{ value_html(&v) }</span>
                        }
                    }
                }) }
            </div>
        }
    });
    let opened_value = (*opened)
        .filter(|o| o.run_id == run_id && o.row < table.rows && o.column < table.columns.len())
        .map(|o| (o, table.columns[o.column].get(o.row)));
    let close = {
        let opened = opened.clone();
        Callback::from(move |_: MouseEvent| opened.set(None))
    };
    html! {
        <>
        <div class="result-grid" role="table" aria-label="Query result" aria-rowcount={(rows + 1).to_string()}
            ref={scroller} onscroll={on_scroll} onclick={on_click} tabindex="0"
            style={format!("--grid-columns: {template}; --grid-width: {min_width}; --grid-rows: {rows}")}>
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
        if let Some((o, value)) = opened_value {
            <OpenedValue shown_row={o.shown_row} column={table.fields[o.column].name.clone()}
                text={value.to_string()} on_close={close} />
        } else if *cuts {
            <p class="grid-cut-note small muted">{ "Values cut off with … are whole in their tooltip; click or tap one to read it here." }</p>
        }
        </>
    }
}

/// A cell whose value the panel under the grid shows whole: which run, the row as numbered on
/// screen and in the result, and the column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenedCell {
    run_id: u64,
    shown_row: usize,
    row: usize,
    column: usize,
}

/// The cell under a click when its value is cut off on screen (a value that shows whole needs no
/// panel): its row as numbered on screen (0-based) and in the result, and its column, from the
/// cell's and its row's attributes.
fn cut_cell_at(target: &Element) -> Option<(usize, usize, usize)> {
    let cell = target.closest("[role=cell]").ok()??;
    if cell.scroll_width() <= cell.client_width() {
        return None;
    }
    let row_element = cell.parent_element()?;
    let shown_row = row_element
        .get_attribute("aria-rowindex")?
        .parse::<usize>()
        .ok()?
        .checked_sub(2)?;
    let row = row_element.get_attribute("data-row")?.parse().ok()?;
    let column = cell.get_attribute("data-col")?.parse().ok()?;
    Some((shown_row, row, column))
}

#[derive(Properties, PartialEq)]
struct OpenedValueProps {
    /// The row as numbered on screen (0-based).
    shown_row: usize,
    column: AttrValue,
    /// The value as the engine prints it (numbers raw, as the CSV export writes them).
    text: AttrValue,
    on_close: Callback<MouseEvent>,
}

/// The panel under the grid with one value whole: its row and column, the value (wrapping), and
/// a button that copies it and says whether the browser let it.
#[component]
fn OpenedValue(props: &OpenedValueProps) -> Html {
    // None until a copy is tried; then whether the clipboard took it.
    let copied = use_state_eq(|| None::<bool>);
    {
        let copied = copied.clone();
        use_effect_with(props.text.clone(), move |_| copied.set(None));
    }
    let copy = {
        let (text, copied) = (props.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (text, copied) = (text.clone(), copied.clone());
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(crate::share::copy_to_clipboard(&text).await));
            });
        })
    };
    let chars = props.text.chars().count() as u64;
    html! {
        <section class="grid-opened" aria-label="The whole value">
            <div class="grid-opened-head">
                <span class="small muted">{ format!("Row {} · {} · {} characters", format_count(props.shown_row as u64 + 1), props.column, format_count(chars)) }</span>
                <span class="small grid-opened-copied" role="status">
                    { match *copied { Some(true) => "Copied", Some(false) => "The browser refused: select the text to copy it", None => "" } }
                </span>
                <button class="small-button grid-opened-copy" onclick={copy}>{ "Copy" }</button>
                <button class="ghost grid-opened-close" onclick={props.on_close.clone()} aria-label="Close the value">{ "✕" }</button>
            </div>
            <pre class="grid-opened-value">{ props.text.clone() }</pre>
        </section>
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
    fn columns_fit_numbers_with_separators_and_cut_long_text() {
        use lab::sql::Field;
        let table = Table::from_rows(
            vec![
                Field {
                    name: "n".into(),
                    data_type: DataType::BigInt,
                },
                Field {
                    name: "note".into(),
                    data_type: DataType::Text,
                },
            ],
            &[
                vec![Value::BigInt(1_234_567_890), Value::text("short")],
                vec![Value::BigInt(1), Value::text(&"x".repeat(80))],
            ],
        );
        assert_eq!(natural_widths(&table), [13, 80]);
        let layout = grid_layout(&table);
        assert_eq!(layout.widths, [13, COLUMN_CHARS_MAX]);
        assert!(layout.cuts);
        assert!(layout.template.contains("minmax(calc(13ch + 1.1rem), 1fr)"));
        assert_eq!(layout.min_width, "calc(51ch + 3.3rem)");
        let short = Table::from_rows(
            table.fields.clone(),
            &[vec![Value::BigInt(1), Value::text("a")]],
        );
        assert!(!grid_layout(&short).cuts);
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
