//! How `lab sql` prints what each statement produced: an aligned text table (psql's layout,
//! NULL shown as `NULL`, a row-count footer), CSV (`lab::sql::csv`), or one JSON object per
//! statement on its own line.

use lab::sql::csv::to_csv;
use lab::sql::{DataType, Outcome, Table, Value};
use serde_json::Value as Json;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "table" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Every outcome, in order. Tables and CSV documents are separated by a blank line; JSON is one
/// object per line: `{"columns", "types", "rows"}` for a query, `{"explain"}` for EXPLAIN's plan
/// and `{"done"}` for a statement that changed the catalog.
pub fn render(outcomes: &[Outcome], format: Format) -> String {
    let parts: Vec<String> = outcomes
        .iter()
        .map(|outcome| match (outcome, format) {
            (Outcome::Rows(result), Format::Table) => text_table(&result.table),
            (Outcome::Rows(result), Format::Csv) => to_csv(&result.table),
            (Outcome::Rows(result), Format::Json) => json_rows(&result.table),
            (Outcome::Explain(plan), Format::Json) => json_object("explain", plan),
            (Outcome::Done(message), Format::Json) => json_object("done", message),
            (Outcome::Explain(text) | Outcome::Done(text), _) => line(text),
        })
        .collect();
    parts.join(if format == Format::Json { "" } else { "\n" })
}

fn line(text: &str) -> String {
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn json_object(key: &str, text: &str) -> String {
    let mut object = serde_json::Map::new();
    object.insert(key.to_string(), Json::String(text.to_string()));
    line(&Json::Object(object).to_string())
}

/// A value as JSON: numbers for BIGINT and DOUBLE (NaN and infinities as strings), booleans,
/// null, and every other type as the text the table shows.
pub fn json_value(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::BigInt(i) => Json::from(*i),
        Value::Double(d) => serde_json::Number::from_f64(*d)
            .map_or_else(|| Json::String(value.to_string()), Json::Number),
        other => Json::String(other.to_string()),
    }
}

/// A table's rows as a JSON array of arrays, each value as [`json_value`] writes it.
pub fn json_row_arrays(table: &Table) -> Json {
    Json::Array(
        (0..table.rows)
            .map(|r| {
                Json::Array(
                    table
                        .columns
                        .iter()
                        .map(|c| json_value(&c.get(r)))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// `{"columns":[...],"types":[...],"rows":[[...],...]}`, keys in that order, with no newline.
pub fn json_table(table: &Table) -> String {
    let columns: Vec<&str> = table.fields.iter().map(|f| f.name.as_str()).collect();
    let types: Vec<&str> = table.fields.iter().map(|f| f.data_type.name()).collect();
    format!(
        "{{\"columns\":{},\"types\":{},\"rows\":{}}}",
        Json::from(columns),
        Json::from(types),
        json_row_arrays(table)
    )
}

/// [`json_table`] on its own line.
fn json_rows(table: &Table) -> String {
    line(&json_table(table))
}

/// A cell as the text table shows it: control characters escaped so every row stays one line.
fn cell(value: &Value) -> String {
    let text = value.to_string();
    if text.contains(['\n', '\r', '\t']) {
        text.replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t")
    } else {
        text
    }
}

/// psql's aligned layout: numbers right-aligned, everything else left-aligned, then `(N rows)`.
pub fn text_table(table: &Table) -> String {
    let cells: Vec<Vec<String>> = (0..table.rows)
        .map(|r| table.columns.iter().map(|c| cell(&c.get(r))).collect())
        .collect();
    let widths: Vec<usize> = table
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([f.name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let right: Vec<bool> = table
        .fields
        .iter()
        .map(|f| matches!(f.data_type, DataType::BigInt | DataType::Double))
        .collect();
    let row_line = |row: Vec<&str>| {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(&right)
            .map(|((text, width), right)| {
                let pad = " ".repeat(width - text.chars().count());
                if *right {
                    format!(" {pad}{text} ")
                } else {
                    format!(" {text}{pad} ")
                }
            })
            .collect();
        format!("{}\n", padded.join("|").trim_end())
    };
    let mut out = String::new();
    if !table.fields.is_empty() {
        out.push_str(&row_line(
            table.fields.iter().map(|f| f.name.as_str()).collect(),
        ));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        out.push_str(&rule.join("+"));
        out.push('\n');
        for row in &cells {
            out.push_str(&row_line(row.iter().map(String::as_str).collect()));
        }
    }
    let n = table.rows;
    out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::sql::{Field, QueryResult};

    fn result() -> Vec<Outcome> {
        let fields = vec![
            Field {
                name: "city".into(),
                data_type: DataType::Text,
            },
            Field {
                name: "n".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "avg".into(),
                data_type: DataType::Double,
            },
            Field {
                name: "ok".into(),
                data_type: DataType::Boolean,
            },
        ];
        let rows = vec![
            vec![
                Value::text("Lisbon"),
                Value::BigInt(12),
                Value::Double(2.5),
                Value::Boolean(true),
            ],
            vec![
                Value::text("a,\"b\"\nc"),
                Value::Null,
                Value::Double(f64::NAN),
                Value::Null,
            ],
        ];
        vec![
            Outcome::Rows(QueryResult {
                table: Table::from_rows(fields, &rows),
                trace: None,
                work: 0,
            }),
            Outcome::Done("created table t (2 rows)".into()),
        ]
    }

    #[test]
    fn text_tables_align_and_show_null() {
        let expected = [
            r#" city     |    n | avg | ok"#,
            r#"----------+------+-----+------"#,
            r#" Lisbon   |   12 | 2.5 | true"#,
            r#" a,"b"\nc | NULL | NaN | NULL"#,
            r#"(2 rows)"#,
            r#""#,
            r#"created table t (2 rows)"#,
        ];
        assert_eq!(
            render(&result(), Format::Table),
            format!("{}\n", expected.join("\n"))
        );
    }

    #[test]
    fn csv_and_json_follow_their_rules() {
        assert_eq!(
            render(&result()[..1], Format::Csv),
            "city,n,avg,ok\nLisbon,12,2.5,true\n\"a,\"\"b\"\"\nc\",,NaN,\n"
        );
        assert_eq!(
            render(&result(), Format::Json),
            "{\"columns\":[\"city\",\"n\",\"avg\",\"ok\"],\"types\":[\"TEXT\",\"BIGINT\",\"DOUBLE\",\"BOOLEAN\"],\
             \"rows\":[[\"Lisbon\",12,2.5,true],[\"a,\\\"b\\\"\\nc\",null,\"NaN\",null]]}\n\
             {\"done\":\"created table t (2 rows)\"}\n"
        );
    }
}
