//! Query answers as sorted rows of text, ours and the oracle's, so a differential test compares
//! two multisets of rows whatever order each engine returned them in.
//!
//! Each test binary that includes it uses only some of its cell modes.
#![allow(dead_code)]

use serde_json::Value as Json;
use sql::session::{Outcome, Session};
use sql::value::Value;

/// How a cell becomes text before comparing.
#[derive(Clone, Copy)]
pub enum Cells {
    /// As each engine prints it.
    AsPrinted,
    /// Numbers by value, so `2`, `2.0` and DuckDB's HUGEINT sums read the same.
    NumbersByValue,
}

impl Cells {
    fn text(self, cell: String) -> String {
        match (self, cell.parse::<f64>()) {
            (Cells::NumbersByValue, Ok(x)) => format!("{x}"),
            _ => cell,
        }
    }

    fn of_value(self, v: &Value) -> String {
        match v {
            Value::Null => "NULL".into(),
            other => self.text(other.to_string()),
        }
    }

    fn of_json(self, j: &Json) -> String {
        match j {
            Json::Null => "NULL".into(),
            Json::String(s) => self.text(s.clone()),
            other => self.text(other.to_string()),
        }
    }
}

/// Our engine's answer to the last statement of `sql`, run on a copy of `session`.
pub fn ours(session: &Session, sql: &str, cells: Cells) -> Result<Vec<Vec<String>>, String> {
    let mut session = session.clone();
    match session.execute(sql) {
        Err(e) => Err(format!("{e}")),
        Ok(mut out) => match out.pop() {
            Some(Outcome::Rows(r)) => {
                let mut rows: Vec<Vec<String>> = r
                    .table
                    .to_rows()
                    .iter()
                    .map(|row| row.iter().map(|v| cells.of_value(v)).collect())
                    .collect();
                rows.sort();
                Ok(rows)
            }
            other => Err(format!("not rows: {other:?}")),
        },
    }
}

/// The oracle's answer (`{"rows": [[...]]}` or `{"error": ...}`).
pub fn theirs(answer: &Json, cells: Cells) -> Result<Vec<Vec<String>>, String> {
    if let Some(e) = answer.get("error") {
        return Err(e.to_string());
    }
    let mut rows: Vec<Vec<String>> = answer["rows"]
        .as_array()
        .expect("oracle rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|j| cells.of_json(j))
                .collect()
        })
        .collect();
    rows.sort();
    Ok(rows)
}
