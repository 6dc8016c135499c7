//! A chart of the result, chosen from its shape: a text (or boolean) column and a number make a
//! bar chart, in the grid's order; a date, timestamp or number and a number make a line, sorted
//! by x (dates and numbers can switch to bars). Any other shape says there is no chart for it.

use super::grid::GridOrder;
use super::use_sql;
use crate::charts::{self, XAxis};
use crate::theme::Theme;
use crate::widgets::hooks::use_message;
use lab::sql::{DataType, Table, Value};
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Bars drawn at most (the first rows in the grid's order).
pub const BARS_MAX: usize = 40;
/// Points of a line at most (evenly sampled beyond).
pub const LINE_POINTS_MAX: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Bar,
    Line,
}

/// Which columns to draw and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartSpec {
    /// The kinds that fit, the preferred first.
    pub kinds: Vec<ChartKind>,
    pub x: usize,
    pub y: usize,
}

/// The chart for a result's shape: the first column is x (or the bars' labels), the first
/// numeric column after it is y.
pub fn chart_spec(table: &Table) -> Result<ChartSpec, String> {
    let shape = "no chart for this shape: a chart needs a first column of labels (text), dates or numbers, and a numeric column after it";
    if table.fields.len() < 2 {
        return Err(shape.into());
    }
    let y = (1..table.fields.len())
        .find(|i| table.fields[*i].data_type.is_numeric())
        .ok_or(shape)?;
    let kinds = match table.fields[0].data_type {
        DataType::Text | DataType::Boolean => vec![ChartKind::Bar],
        DataType::Date | DataType::Timestamp | DataType::BigInt | DataType::Double => {
            vec![ChartKind::Line, ChartKind::Bar]
        }
        _ => return Err(shape.into()),
    };
    if table.rows == 0 {
        return Err("no chart: the result has no rows".into());
    }
    Ok(ChartSpec { kinds, x: 0, y })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::BigInt(i) => Some(*i as f64),
        Value::Double(d) if d.is_finite() => Some(*d),
        Value::Date(d) => Some(f64::from(*d)),
        Value::Timestamp(t) => Some(*t as f64),
        _ => None,
    }
}

/// The bars: (label, value) for the first [`BARS_MAX`] rows in display order with a value.
pub fn bar_data(table: &Table, spec: &ChartSpec, order: &GridOrder) -> Vec<(String, f64)> {
    (0..table.rows)
        .map(|i| order.row(i))
        .filter_map(|r| {
            let y = number(&table.columns[spec.y].get(r))?;
            Some((table.columns[spec.x].get(r).to_string(), y))
        })
        .take(BARS_MAX)
        .collect()
}

/// The line: (x, y) points sorted by x, NULLs skipped, sampled down to [`LINE_POINTS_MAX`].
pub fn line_data(table: &Table, spec: &ChartSpec) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = (0..table.rows)
        .filter_map(|r| {
            Some((
                number(&table.columns[spec.x].get(r))?,
                number(&table.columns[spec.y].get(r))?,
            ))
        })
        .collect();
    lab::sim::sort::sort_by(&mut points, |a, b| a.0.total_cmp(&b.0));
    if points.len() > LINE_POINTS_MAX {
        let step = points.len() as f64 / LINE_POINTS_MAX as f64;
        points = (0..LINE_POINTS_MAX)
            .map(|i| points[(i as f64 * step) as usize])
            .collect();
    }
    points
}

#[derive(Properties, PartialEq)]
pub struct ResultChartProps {
    pub order: UseStateHandle<GridOrder>,
}

#[component]
pub fn ResultChart(props: &ResultChartProps) -> Html {
    let lab = use_sql();
    let canvas = use_node_ref();
    let chosen = use_state(|| None::<ChartKind>);
    let error = use_message();
    let theme = use_context::<UseStateHandle<Theme>>().map_or(Theme::Light, |t| *t);
    let run = lab.run.clone();
    let run_id = run.as_ref().map_or(0, |r| r.id);
    let spec = run
        .as_ref()
        .and_then(|r| r.rows())
        .map(|r| chart_spec(&r.table));
    let kind = match &spec {
        Some(Ok(s)) => Some(chosen.filter(|k| s.kinds.contains(k)).unwrap_or(s.kinds[0])),
        _ => None,
    };
    {
        let (canvas, error, run) = (canvas.clone(), error.clone(), run.clone());
        let order = props.order.of_run(run_id);
        use_effect_with(
            (run_id, kind, theme, order),
            move |(_, kind, theme, order)| {
                let (Some(kind), Some(element)) = (kind, canvas.cast::<HtmlCanvasElement>()) else {
                    return;
                };
                let Some(result) = run.as_ref().and_then(|r| r.rows()) else {
                    return;
                };
                let Ok(spec) = chart_spec(&result.table) else {
                    return;
                };
                let table = &result.table;
                let palette = charts::palette(*theme);
                let scale = charts::fit_to_screen(&element, 0.45, (220.0, 360.0));
                let labels = (
                    table.fields[spec.x].name.as_str(),
                    table.fields[spec.y].name.as_str(),
                );
                let drawn = match kind {
                    ChartKind::Bar => charts::bars(
                        element,
                        &bar_data(table, &spec, order),
                        labels,
                        palette,
                        scale,
                    ),
                    ChartKind::Line => {
                        let axis = match table.fields[spec.x].data_type {
                            DataType::Date => XAxis::Date,
                            DataType::Timestamp => XAxis::Timestamp,
                            _ => XAxis::Number,
                        };
                        charts::xy_line(
                            element,
                            &line_data(table, &spec),
                            labels,
                            axis,
                            palette,
                            scale,
                        )
                    }
                };
                error.set(drawn.err());
            },
        );
    }
    let Some(spec) = spec else {
        let why = match run.as_ref().map(|r| r.result.is_err()) {
            Some(true) => "No chart: the statement failed.",
            Some(false) => "No chart: the last run returned no result table.",
            None => "Run a query to chart its result.",
        };
        return html! { <p class="muted chart-none">{ why }</p> };
    };
    let spec = match spec {
        Ok(spec) => spec,
        Err(why) => return html! { <p class="chart-none muted">{ why }</p> },
    };
    let rows = run
        .as_ref()
        .and_then(|r| r.rows())
        .map_or(0, |r| r.table.rows);
    let kind = kind.unwrap_or(ChartKind::Bar);
    let note = match kind {
        ChartKind::Bar if rows > BARS_MAX => format!(
            "The first {BARS_MAX} rows of {rows}, in the grid's order (sort the grid to choose)."
        ),
        ChartKind::Line if rows > LINE_POINTS_MAX => {
            format!("{LINE_POINTS_MAX} of {rows} points, evenly sampled, sorted by x.")
        }
        _ => String::new(),
    };
    let switch = (spec.kinds.len() > 1).then(|| {
        let other = if kind == ChartKind::Bar { ChartKind::Line } else { ChartKind::Bar };
        let chosen = chosen.clone();
        let onclick = Callback::from(move |_: MouseEvent| chosen.set(Some(other)));
        html! { <button class="small-button chart-switch" {onclick}>{ if other == ChartKind::Bar { "Show as bars" } else { "Show as a line" } }</button> }
    });
    let label = format!(
        "{} chart of {} by {}",
        if kind == ChartKind::Bar {
            "Bar"
        } else {
            "Line"
        },
        lab.run
            .as_ref()
            .and_then(|r| r.rows())
            .map_or("", |r| r.table.fields[spec.y].name.as_str()),
        lab.run
            .as_ref()
            .and_then(|r| r.rows())
            .map_or("", |r| r.table.fields[spec.x].name.as_str()),
    );
    html! {
        <div class={classes!("result-chart", if kind == ChartKind::Bar { "chart-bar" } else { "chart-line" })}>
            <p class="small muted chart-about">{ &label }{ ". " }{ note }{ " " }{ for switch }</p>
            <canvas ref={canvas} role="img" aria-label={label} />
            if let Some(e) = (*error).clone() {
                <p class="field-error">{ format!("The chart could not be drawn: {e}") }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::sql::Field;

    fn table(types: &[DataType], rows: usize) -> Table {
        let fields = types
            .iter()
            .enumerate()
            .map(|(i, t)| Field {
                name: format!("c{i}"),
                data_type: *t,
            })
            .collect();
        let values: Vec<Vec<Value>> = (0..rows)
            .map(|r| {
                types
                    .iter()
                    .map(|t| match t {
                        DataType::Text => Value::text(&format!("k{r}")),
                        DataType::Date => Value::Date(r as i32),
                        _ => Value::BigInt(r as i64),
                    })
                    .collect()
            })
            .collect();
        Table::from_rows(fields, &values)
    }

    #[test]
    fn the_shape_picks_the_chart() {
        use DataType::*;
        assert_eq!(
            chart_spec(&table(&[Text, BigInt], 3)).unwrap().kinds,
            [ChartKind::Bar]
        );
        assert_eq!(
            chart_spec(&table(&[Date, BigInt], 3)).unwrap().kinds[0],
            ChartKind::Line
        );
        assert_eq!(chart_spec(&table(&[Text, Text, Double], 3)).unwrap().y, 2);
        assert!(chart_spec(&table(&[Text, Text], 3))
            .unwrap_err()
            .contains("no chart for this shape"));
        assert!(chart_spec(&table(&[BigInt], 3)).is_err());
        assert!(chart_spec(&table(&[Text, BigInt], 0)).is_err());
        let t = table(&[Text, BigInt], 100);
        let spec = chart_spec(&t).unwrap();
        assert_eq!(bar_data(&t, &spec, &GridOrder::default()).len(), BARS_MAX);
        assert_eq!(
            line_data(&table(&[BigInt, BigInt], 5000), &spec).len(),
            LINE_POINTS_MAX
        );
    }
}
