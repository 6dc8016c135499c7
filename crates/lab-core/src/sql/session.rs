//! A SQL session: the catalog (read-only sample tables, and a scratch space for the learner's
//! own tables) and the statements run against it.

use super::column::Table;
use super::error::{ErrorKind, SqlError};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What one statement produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A query's result.
    Rows(QueryResult),
    /// EXPLAIN's plan tree, one node per line.
    Explain(String),
    /// A statement that changes the catalog, with what it did ("created table t").
    Done(String),
}

/// A query's result table, and its trace when one was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub table: Table,
}

/// Where a table lives.
#[derive(Clone, Debug, PartialEq)]
pub enum TableSource {
    /// Shipped with the lab: read-only, restored by a reset.
    Sample(Rc<Table>),
    /// Created by the learner in this session.
    Scratch(Rc<Table>),
}

impl TableSource {
    pub fn table(&self) -> &Rc<Table> {
        match self {
            TableSource::Sample(t) | TableSource::Scratch(t) => t,
        }
    }
}

/// A SQL session.
#[derive(Clone, Debug, Default)]
pub struct Session {
    tables: BTreeMap<String, TableSource>,
}

impl Session {
    /// A session with no tables.
    pub fn new() -> Session {
        Session::default()
    }

    /// Adds (or replaces) a read-only sample table.
    pub fn add_sample(&mut self, name: &str, table: Table) {
        self.tables
            .insert(name.to_ascii_lowercase(), TableSource::Sample(Rc::new(table)));
    }

    /// Adds a scratch table (an imported CSV, say); refuses a name already taken.
    pub fn add_table(&mut self, name: &str, table: Table) -> Result<(), SqlError> {
        let key = name.to_ascii_lowercase();
        if self.tables.contains_key(&key) {
            return Err(SqlError::new(
                ErrorKind::Catalog,
                format!("a table named \"{name}\" exists already"),
            )
            .with_hint("pick another name, or DROP TABLE the old one first"));
        }
        self.tables.insert(key, TableSource::Scratch(Rc::new(table)));
        Ok(())
    }

    /// Every table, by name.
    pub fn tables(&self) -> &BTreeMap<String, TableSource> {
        &self.tables
    }

    pub fn table(&self, name: &str) -> Option<&TableSource> {
        self.tables.get(&name.to_ascii_lowercase())
    }
}

impl Session {
    /// Runs one or more `;`-separated statements, returning what each produced. The first error
    /// stops the run; statements before it keep their effect.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<Outcome>, SqlError> {
        let _ = sql;
        Err(SqlError::unsupported("running statements (the executor is being written)"))
    }
}
