//! The statements that change the learner's scratch tables: CREATE TABLE (with columns, or AS a
//! query), INSERT (VALUES or a query) and DROP TABLE. Kept apart from the catalog and the
//! dispatcher in `session.rs`: each checks names against the catalog (sample and live tables are
//! read-only), builds the new table, and puts it in the catalog whole.

use super::{Outcome, Session, TableSource};
use crate::bind::{self, position};
use crate::column::{Column, Field, Table};
use crate::error::{ErrorKind, SqlError};
use crate::syntax::ast;
use crate::value::Value;
use std::rc::Rc;

impl Session {
    /// CREATE TABLE name (columns) or CREATE TABLE name AS query.
    pub(super) fn create_table(&mut self, ct: &ast::CreateTable) -> Result<Outcome, SqlError> {
        let name = self.scratch_name(&ct.name, true)?;
        let table = match &ct.query {
            Some(q) => {
                let result = self.query(q, false)?.table;
                Table {
                    fields: result
                        .fields
                        .iter()
                        .map(|f| Field {
                            name: f.name.clone(),
                            data_type: f.data_type,
                        })
                        .collect(),
                    ..result
                }
            }
            None => Table::empty(column_fields(&ct.columns)?),
        };
        let rows = table.rows;
        self.tables
            .insert(name.clone(), TableSource::Scratch(Rc::new(table)));
        let rows = if rows == 1 {
            "1 row".to_string()
        } else {
            format!("{rows} rows")
        };
        Ok(Outcome::Done(format!("created table {name} ({rows})")))
    }

    /// INSERT INTO name [(columns)] VALUES ... or INSERT INTO name [(columns)] query: the rows
    /// cast to the columns' types (unlisted columns NULL), within the row limit.
    pub(super) fn insert(&mut self, insert: &ast::Insert) -> Result<Outcome, SqlError> {
        let name = self.scratch_name(&insert.table, false)?;
        let target = self.tables[&name].table().clone();
        let rows = self.query(&insert.source, false)?.table;
        let positions = target_positions(&target, &name, &insert.columns)?;
        if rows.fields.len() != positions.len() {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "INSERT has {} target columns but the rows have {} values",
                    positions.len(),
                    rows.fields.len()
                ),
            ));
        }
        let columns = appended(&target, &rows, &positions)?;
        let inserted = rows.rows;
        let total = target.rows + inserted;
        if total > self.limits.rows_max {
            return Err(SqlError::new(
                ErrorKind::Limit,
                format!(
                    "table {name} would have {total} rows, more than {}",
                    self.limits.rows_max
                ),
            ));
        }
        let table = Table {
            fields: target.fields.clone(),
            columns,
            rows: total,
        };
        self.tables
            .insert(name.clone(), TableSource::Scratch(Rc::new(table)));
        Ok(Outcome::Done(format!(
            "inserted {inserted} row(s) into {name}"
        )))
    }

    /// DROP TABLE [IF EXISTS] names.
    pub(super) fn drop_tables(
        &mut self,
        if_exists: bool,
        names: &[ast::ObjectName],
    ) -> Result<Outcome, SqlError> {
        let mut dropped = Vec::new();
        for n in names {
            match self.scratch_name(n, false) {
                Ok(name) => {
                    self.tables.remove(&name);
                    dropped.push(name);
                }
                Err(e) if if_exists && e.kind == ErrorKind::UnknownTable => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Outcome::Done(if dropped.is_empty() {
            "nothing to drop".into()
        } else {
            format!("dropped {}", dropped.join(", "))
        }))
    }

    /// A scratch table's name, checked: not a sample or live table, and new when `creating`,
    /// existing otherwise.
    fn scratch_name(&self, name: &ast::ObjectName, creating: bool) -> Result<String, SqlError> {
        let n = name.to_string().to_ascii_lowercase();
        let n = n.trim_matches('"').to_string();
        match self.tables.get(&n) {
            Some(TableSource::Sample(_) | TableSource::Live(_)) => Err(SqlError::new(
                ErrorKind::Catalog,
                format!("\"{n}\" is a sample or live table, which is read-only"),
            )
            .with_hint(format!(
                "copy it first: CREATE TABLE my_{n} AS SELECT * FROM {n}"
            ))
            .at(position(name.span()))),
            Some(_) if creating => Err(SqlError::new(
                ErrorKind::Catalog,
                format!("a table named \"{n}\" exists already"),
            )
            .with_hint("pick another name, or DROP TABLE it first")
            .at(position(name.span()))),
            None if !creating => Err(SqlError::new(
                ErrorKind::UnknownTable,
                format!("there is no table \"{n}\""),
            )
            .at(position(name.span()))),
            _ => Ok(n),
        }
    }
}

/// CREATE TABLE's columns: at least one, each named once, of a type the engine has.
fn column_fields(columns: &[ast::ColumnDef]) -> Result<Vec<Field>, SqlError> {
    if columns.is_empty() {
        return Err(SqlError::new(
            ErrorKind::Syntax,
            "a table needs at least one column",
        ));
    }
    let mut fields: Vec<Field> = Vec::new();
    for c in columns {
        let fname = c.name.value.to_ascii_lowercase();
        if fields.iter().any(|f| f.name == fname) {
            return Err(SqlError::new(
                ErrorKind::Catalog,
                format!("column \"{fname}\" is listed twice"),
            )
            .at(position(c.name.span)));
        }
        fields.push(Field {
            name: fname,
            data_type: bind::data_type(&c.data_type).map_err(|e| e.at(position(c.name.span)))?,
        });
    }
    Ok(fields)
}

/// Where INSERT's values go: the listed columns' positions, or every column in order.
fn target_positions(
    target: &Table,
    name: &str,
    columns: &[ast::Ident],
) -> Result<Vec<usize>, SqlError> {
    if columns.is_empty() {
        return Ok((0..target.fields.len()).collect());
    }
    columns
        .iter()
        .map(|c| {
            let cname = c.to_string().to_ascii_lowercase();
            target.column_index(&cname).ok_or_else(|| {
                SqlError::new(
                    ErrorKind::UnknownColumn,
                    format!("table {name} has no column \"{cname}\""),
                )
                .at(position(c.span))
            })
        })
        .collect()
}

/// The target's columns with `rows` appended, each value cast to its column's type.
fn appended(target: &Table, rows: &Table, positions: &[usize]) -> Result<Vec<Column>, SqlError> {
    let mut columns: Vec<Column> = target.columns.clone();
    for r in 0..rows.rows {
        for (k, column) in columns.iter_mut().enumerate() {
            let v = match positions.iter().position(|p| *p == k) {
                Some(src) => {
                    crate::expr::cast(&rows.columns[src].get(r), target.fields[k].data_type)
                        .map_err(|e| {
                            SqlError::new(
                                ErrorKind::Type,
                                format!(
                                    "row {}: column {}: {}",
                                    r + 1,
                                    target.fields[k].name,
                                    e.message
                                ),
                            )
                        })?
                }
                None => Value::Null,
            };
            column.push(&v);
        }
    }
    Ok(columns)
}
