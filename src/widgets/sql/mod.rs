//! The SQL lab's widgets: an editor with colours, history and error carets; a schema browser; a
//! virtualized, sortable result grid with CSV export and import; the clause-by-clause trace; the
//! EXPLAIN tree; a chart of the result. Each reads the [`store::SqlLab`] of the enclosing
//! [`SqlProvider`], so a lesson can place any of them on its page.

pub mod chart;
pub mod csv_io;
pub mod editor;
pub mod grid;
pub mod highlight;
pub mod history;
pub mod plan;
pub mod results;
pub mod schema;
pub mod store;
pub mod trace;

use lab::sql::datasets::Size;
use lab::sql::{DataType, Table, Value};
use store::{SqlAction, SqlHandle, SqlLab};
use yew::prelude::*;

/// The SQL lab of the enclosing [`SqlProvider`].
#[hook]
pub fn use_sql() -> SqlHandle {
    use_context::<SqlHandle>().expect("SQL widgets are only rendered inside a SqlProvider")
}

#[derive(Properties, PartialEq)]
pub struct SqlProviderProps {
    /// What the editor starts with.
    #[prop_or_default]
    pub sql: AttrValue,
    /// How big the sample tables start.
    #[prop_or_default]
    pub size: Size,
    /// Keep the query history in `localStorage` (on for the lab page).
    #[prop_or(true)]
    pub persist_history: bool,
    #[prop_or_default]
    pub children: Children,
}

/// Hosts one SQL lab: creates the session with the sample tables, shows the lab's notice, and
/// provides the lab to the widgets inside.
#[component]
pub fn SqlProvider(props: &SqlProviderProps) -> Html {
    let lab = {
        let (size, sql, persist) = (props.size, props.sql.clone(), props.persist_history);
        use_reducer(move || SqlLab::new(size, &sql, persist))
    };
    let dismiss = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::DismissNotice))
    };
    html! {
        <ContextProvider<SqlHandle> context={lab.clone()}>
            <div class="sql-lab">
                if let Some(notice) = lab.notice.clone() {
                    <div class={classes!("notice", "sql-notice", notice.is_error.then_some("notice-error"))} role={if notice.is_error { "alert" } else { "status" }}>
                        <p>{ notice.text }</p>
                        <button class="ghost" onclick={dismiss} aria-label="Dismiss the message">{ "✕" }</button>
                    </div>
                }
                { props.children.clone() }
            </div>
        </ContextProvider<SqlHandle>>
    }
}

/// A plain decimal number's text in the parts it is shown in: its sign, the digits before the
/// point in groups of three (`["1", "234", "567"]`) and the rest, the point and the decimals as
/// they were (`.25`).
#[derive(Debug, PartialEq, Eq)]
pub struct DigitGroups<'t> {
    pub sign: &'t str,
    pub groups: Vec<&'t str>,
    pub rest: &'t str,
}

impl DigitGroups<'_> {
    /// The number with thousands separators: `-1,234,567.25`.
    pub fn to_text(&self) -> String {
        format!("{}{}{}", self.sign, self.groups.join(","), self.rest)
    }
}

/// The parts of `text` when it is a plain decimal number (`-1234567.25`), `None` for any other
/// text (`NaN`, `Infinity`).
pub fn digit_groups(text: &str) -> Option<DigitGroups<'_>> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let sign = &text[..text.len() - unsigned.len()];
    let (int, rest) = unsigned.split_at(unsigned.find('.').unwrap_or(unsigned.len()));
    let decimals = rest.strip_prefix('.').unwrap_or(rest);
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !decimals.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let head = match int.len() % 3 {
        0 => 3,
        n => n,
    };
    let mut groups = vec![&int[..head]];
    groups.extend((head..int.len()).step_by(3).map(|at| &int[at..at + 3]));
    Some(DigitGroups { sign, groups, rest })
}

/// 12345 as "12,345".
pub fn format_count(n: u64) -> String {
    lab::sim::text::group_thousands(n)
}

/// "1 row" or "3 rows".
pub fn rows_text(n: usize) -> String {
    format!(
        "{} row{}",
        format_count(n as u64),
        if n == 1 { "" } else { "s" }
    )
}

/// Numbers are right-aligned.
pub fn is_numeric(data_type: DataType) -> bool {
    data_type.is_numeric()
}

/// A value as the grids show it: numbers with thousands separators (`1,234,567.25`, the
/// decimals as they are), anything else as the engine prints it.
pub fn shown_text(value: &Value) -> String {
    let text = value.to_string();
    match value {
        Value::BigInt(_) | Value::Double(_) => {
            digit_groups(&text).map_or(text.clone(), |g| g.to_text())
        }
        _ => text,
    }
}

/// A value's content in a cell. A number's separators are drawn by the stylesheet before each
/// `.digit-group`, so they show but are not part of the text: copying a cell copies the number
/// as it is (`1234567.25`), as the CSV export writes it.
pub fn value_html(value: &Value) -> Html {
    let text = value.to_string();
    let groups = match value {
        Value::BigInt(_) | Value::Double(_) => digit_groups(&text),
        _ => None,
    };
    match groups {
        Some(DigitGroups { sign, groups, rest }) => html! {
            <>
                { sign }{ groups[0] }
                { for groups[1..].iter().map(|g| html! { <span class="digit-group">{ *g }</span> }) }
                { rest }
            </>
        },
        None => html! { { text } },
    }
}

/// One cell: NULL in its own style, numbers right-aligned with separators, long text cut (whole
/// in the title).
pub fn cell(value: &Value, numeric: bool) -> Html {
    if value.is_null() {
        return html! { <td class={classes!("null", numeric.then_some("num"))}>{ "NULL" }</td> };
    }
    let title = (shown_text(value).chars().count() > 40).then(|| value.to_string());
    html! { <td class={classes!(numeric.then_some("num"))} title={title}>{ value_html(value) }</td> }
}

/// A small table (a preview, a trace step): the first `max_rows` rows and `max_columns` columns,
/// each row given extra classes and a leading cell by `mark`.
pub fn mini_table(
    table: &Table,
    max_rows: usize,
    max_columns: usize,
    mark: &dyn Fn(usize) -> (Option<String>, Option<Html>),
    lead_header: Option<&str>,
) -> Html {
    let columns = table.fields.len().min(max_columns);
    let hidden_columns = table.fields.len() - columns;
    let numeric: Vec<bool> = table.fields[..columns]
        .iter()
        .map(|f| is_numeric(f.data_type))
        .collect();
    html! {
        <div class="mini-table-wrap">
            <table class="mini-table">
                <thead><tr>
                    if let Some(lead) = lead_header { <th scope="col" class="lead-col">{ lead }</th> }
                    { for table.fields[..columns].iter().zip(&numeric).map(|(f, n)| html! {
                        <th scope="col" class={classes!(n.then_some("num"))} title={f.data_type.name()}>{ &f.name }</th>
                    }) }
                    if hidden_columns > 0 { <th scope="col" class="more-cols">{ format!("+{hidden_columns}") }</th> }
                </tr></thead>
                <tbody>
                    { for (0..table.rows.min(max_rows)).map(|r| {
                        let (class, lead) = mark(r);
                        html! {
                            <tr class={classes!(class)}>
                                if let Some(lead) = lead { <td class="lead-col">{ lead }</td> }
                                { for (0..columns).map(|c| cell(&table.columns[c].get(r), numeric[c])) }
                                if hidden_columns > 0 { <td class="more-cols">{ "…" }</td> }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{digit_groups, shown_text, DigitGroups};
    use lab::sql::Value;

    #[test]
    fn numbers_are_shown_with_separators_and_their_decimals_kept() {
        assert_eq!(
            digit_groups("-1234567.25"),
            Some(DigitGroups {
                sign: "-",
                groups: vec!["1", "234", "567"],
                rest: ".25"
            })
        );
        assert_eq!(shown_text(&Value::BigInt(1_234_567)), "1,234,567");
        assert_eq!(shown_text(&Value::BigInt(-999)), "-999");
        assert_eq!(shown_text(&Value::BigInt(-1000)), "-1,000");
        assert_eq!(shown_text(&Value::Double(1234.5)), "1,234.5");
        assert_eq!(
            shown_text(&Value::Double(0.30000000000000004)),
            "0.30000000000000004"
        );
        assert_eq!(shown_text(&Value::Double(123456.0)), "123,456.0");
        assert_eq!(shown_text(&Value::Double(f64::NAN)), "NaN");
        assert_eq!(shown_text(&Value::Double(f64::NEG_INFINITY)), "-Infinity");
        // Text that looks like a number is text.
        assert_eq!(shown_text(&Value::text("1234567")), "1234567");
        assert_eq!(digit_groups("12a"), None);
        assert_eq!(digit_groups("-"), None);
        assert_eq!(digit_groups(".5"), None);
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(super::format_count(0), "0");
        assert_eq!(super::format_count(999), "999");
        assert_eq!(super::format_count(1000), "1,000");
        assert_eq!(super::format_count(1234567), "1,234,567");
        assert_eq!(super::rows_text(1), "1 row");
    }
}
