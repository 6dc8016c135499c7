//! A SQL session: the catalog (read-only sample tables, and a scratch space for the learner's
//! own tables) and the statements run against it.

use super::bind::{self, position, Binder};
use super::column::{Column, Field, Table};
use super::error::{ErrorKind, Position, SqlError};
use super::exec::{Executor, Limits, TraceStep};
use super::plan::Plan;
use sqlparser::ast::{self, Spanned};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
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

/// Whether the text has `SELECT [DISTINCT] top` not followed by a number: a column named top,
/// which the parser takes for SQL Server's `TOP n`.
fn top_as_a_name(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    (0..words.len()).any(|i| {
        let mut at = i + 1;
        if words.get(at).is_some_and(|w| w == "distinct") {
            at += 1;
        }
        words[i] == "select"
            && words.get(at).is_some_and(|w| w == "top")
            && words.get(at + 1).is_none_or(|n| n.parse::<u64>().is_err())
    })
}

/// A query's result table, and its trace when one was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub table: Table,
    /// The table after each logical step, in evaluation order.
    pub trace: Option<Vec<TraceStep>>,
    /// Rows the query touched in all (what the work budget counts).
    pub work: u64,
}

/// Where a table lives.
#[derive(Clone, Debug, PartialEq)]
pub enum TableSource {
    /// Shipped with the lab: read-only, restored by a reset.
    Sample(Rc<Table>),
    /// Created by the learner in this session.
    Scratch(Rc<Table>),
    /// A broker topic or system table, rebuilt from the lab's state on screen; read-only.
    Live(Rc<Table>),
}

impl TableSource {
    pub fn table(&self) -> &Rc<Table> {
        match self {
            TableSource::Sample(t) | TableSource::Scratch(t) | TableSource::Live(t) => t,
        }
    }
}

/// A SQL session.
#[derive(Clone, Debug, Default)]
pub struct Session {
    tables: BTreeMap<String, TableSource>,
    pub limits: Limits,
}

/// Longest SQL text a session runs.
pub const SQL_BYTES_MAX: usize = 100_000;

/// Reads the position out of sqlparser's "... at Line: 2, Column: 20".
fn parser_position(message: &str) -> Option<Position> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Position {
        line: line.trim().parse().ok()?,
        column: column.parse().ok()?,
    })
}

impl Session {
    /// A session with no tables.
    pub fn new() -> Session {
        Session::default()
    }

    /// Adds (or replaces) a read-only sample table.
    pub fn add_sample(&mut self, name: &str, table: Table) {
        self.tables.insert(
            name.to_ascii_lowercase(),
            TableSource::Sample(Rc::new(table)),
        );
    }

    /// Adds (or refreshes) a live table, unless the learner has a table of that name.
    pub fn add_live(&mut self, name: &str, table: Table) {
        let key = name.to_ascii_lowercase();
        if !matches!(self.tables.get(&key), Some(TableSource::Scratch(_))) {
            self.tables.insert(key, TableSource::Live(Rc::new(table)));
        }
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
        self.tables
            .insert(key, TableSource::Scratch(Rc::new(table)));
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
    /// Drops every table the learner created; the sample tables stay as shipped.
    pub fn reset(&mut self) {
        self.tables
            .retain(|_, t| !matches!(t, TableSource::Scratch(_)));
    }

    /// Runs one or more `;`-separated statements, returning what each produced. The first error
    /// stops the run; statements before it keep their effect.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<Outcome>, SqlError> {
        self.run(sql, false)
    }

    /// [`Session::execute`], with a trace of every query.
    pub fn execute_traced(&mut self, sql: &str) -> Result<Vec<Outcome>, SqlError> {
        self.run(sql, true)
    }

    /// Parses SQL text into statements, with the parser's position on a syntax error.
    pub fn parse(sql: &str) -> Result<Vec<ast::Statement>, SqlError> {
        if sql.len() > SQL_BYTES_MAX {
            return Err(SqlError::new(
                ErrorKind::Limit,
                format!("the SQL text is longer than {SQL_BYTES_MAX} bytes"),
            ));
        }
        Parser::new(&GenericDialect {})
            .with_recursion_limit(50)
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_statements())
            .map_err(|e| {
                let text = e.to_string();
                let message = text
                    .trim_start_matches("sql parser error: ")
                    .split(" at Line: ")
                    .next()
                    .unwrap_or(&text)
                    .to_string();
                let hint = if message.contains("RecursionLimitExceeded")
                    || message.contains("recursion limit")
                {
                    "the query nests too deeply".to_string()
                } else if top_as_a_name(sql) {
                    "TOP after SELECT is read as SQL Server's TOP n: write a column named top as \"top\"".to_string()
                } else {
                    "check the SQL near the caret".to_string()
                };
                // At the end of the text sqlparser gives no position: point just past it.
                let end = || {
                    let line = sql.lines().count().max(1);
                    let column = sql.lines().last().map_or(0, |l| l.chars().count()) + 1;
                    Some(Position { line, column })
                };
                SqlError::new(ErrorKind::Syntax, message)
                    .with_hint(hint)
                    .at(parser_position(&text).or_else(end))
            })
    }

    fn run(&mut self, sql: &str, traced: bool) -> Result<Vec<Outcome>, SqlError> {
        match self.run_each(sql, traced) {
            (out, None) => Ok(out),
            (_, Some(e)) => Err(e),
        }
    }

    /// Runs statements until one fails: the outcomes of those that ran (their effects stay),
    /// and the error that stopped the rest (a command-line tool prints both, as psql does).
    pub fn execute_until_error(&mut self, sql: &str) -> (Vec<Outcome>, Option<SqlError>) {
        self.run_each(sql, false)
    }

    fn run_each(&mut self, sql: &str, traced: bool) -> (Vec<Outcome>, Option<SqlError>) {
        let statements = match Session::parse(sql) {
            Ok(s) => s,
            Err(e) => return (Vec::new(), Some(e)),
        };
        if statements.is_empty() {
            let e = SqlError::new(ErrorKind::Syntax, "there is no statement to run")
                .with_hint("write a query, e.g. SELECT 1");
            return (Vec::new(), Some(e));
        }
        let mut out = Vec::with_capacity(statements.len());
        for statement in &statements {
            match self.statement(statement, traced) {
                Ok(o) => out.push(o),
                Err(e) => {
                    if e.kind == ErrorKind::Limit && e.message.contains("levels deep") {
                        // A syntax tree this deep would overflow the stack while being dropped
                        // (drop recurses); it is small (the text is bounded), so it is leaked.
                        std::mem::forget(statements);
                    }
                    return (out, Some(e));
                }
            }
        }
        (out, None)
    }

    /// Plans a query.
    pub fn plan(&self, q: &ast::Query) -> Result<Plan, SqlError> {
        let limits = self.limits;
        let mut runner = move |plan: &Plan| Executor::new(limits, false).run(plan);
        let mut binder = Binder::new(self, &mut runner);
        binder.query(q)
    }

    fn query(&self, q: &ast::Query, traced: bool) -> Result<QueryResult, SqlError> {
        let plan = self.plan(q)?;
        let mut executor = Executor::new(self.limits, traced);
        let table = executor.run(&plan)?;
        Ok(QueryResult {
            table,
            work: executor.work,
            trace: executor.trace,
        })
    }

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

    fn statement(&mut self, statement: &ast::Statement, traced: bool) -> Result<Outcome, SqlError> {
        match statement {
            ast::Statement::Query(q) => Ok(Outcome::Rows(self.query(q, traced)?)),
            ast::Statement::Explain {
                statement, analyze, ..
            } => {
                if *analyze {
                    return Err(SqlError::unsupported("EXPLAIN ANALYZE")
                        .with_hint("run the query with its trace instead"));
                }
                match statement.as_ref() {
                    ast::Statement::Query(q) => Ok(Outcome::Explain(self.plan(q)?.explain())),
                    other => Err(SqlError::unsupported(format!(
                        "EXPLAIN of {}",
                        statement_kind(other)
                    ))),
                }
            }
            ast::Statement::CreateTable(ct) => {
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
                    None => {
                        if ct.columns.is_empty() {
                            return Err(SqlError::new(
                                ErrorKind::Syntax,
                                "a table needs at least one column",
                            ));
                        }
                        let mut fields: Vec<Field> = Vec::new();
                        for c in &ct.columns {
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
                                data_type: bind::data_type(&c.data_type)
                                    .map_err(|e| e.at(position(c.name.span)))?,
                            });
                        }
                        Table::empty(fields)
                    }
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
            ast::Statement::Insert(insert) => {
                let ast::TableObject::TableName(tname) = &insert.table else {
                    return Err(SqlError::unsupported("INSERT into a table function"));
                };
                let name = self.scratch_name(tname, false)?;
                let target = self.tables[&name].table().clone();
                let Some(source) = &insert.source else {
                    return Err(SqlError::unsupported("INSERT without VALUES or SELECT"));
                };
                let rows = self.query(source, false)?.table;
                let positions: Vec<usize> = if insert.columns.is_empty() {
                    (0..target.fields.len()).collect()
                } else {
                    insert
                        .columns
                        .iter()
                        .map(|c| {
                            let cname = c.to_string().to_ascii_lowercase();
                            target.column_index(&cname).ok_or_else(|| {
                                SqlError::new(
                                    ErrorKind::UnknownColumn,
                                    format!("table {name} has no column \"{cname}\""),
                                )
                                .at(position(c.span()))
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
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
                let mut columns: Vec<Column> = target.columns.clone();
                for r in 0..rows.rows {
                    for (k, column) in columns.iter_mut().enumerate() {
                        let v = match positions.iter().position(|p| *p == k) {
                            Some(src) => super::expr::cast(
                                &rows.columns[src].get(r),
                                target.fields[k].data_type,
                            )
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
                            })?,
                            None => super::value::Value::Null,
                        };
                        column.push(&v);
                    }
                }
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
            ast::Statement::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => {
                if *object_type != ast::ObjectType::Table {
                    return Err(SqlError::unsupported(format!("DROP {object_type}")));
                }
                let mut dropped = Vec::new();
                for n in names {
                    match self.scratch_name(n, false) {
                        Ok(name) => {
                            self.tables.remove(&name);
                            dropped.push(name);
                        }
                        Err(e) if *if_exists && e.kind == ErrorKind::UnknownTable => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(Outcome::Done(if dropped.is_empty() {
                    "nothing to drop".into()
                } else {
                    format!("dropped {}", dropped.join(", "))
                }))
            }
            other => Err(SqlError::unsupported(statement_kind(other))
                .with_hint("the lab runs SELECT, EXPLAIN, CREATE TABLE [AS], INSERT and DROP TABLE")
                .at(position(other.span()))),
        }
    }
}

fn statement_kind(s: &ast::Statement) -> String {
    let text = s.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    format!("the statement {}", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{DataType, Value};

    fn session() -> Session {
        let mut s = Session::new();
        s.execute("CREATE TABLE t (g TEXT, v BIGINT, d DOUBLE); INSERT INTO t VALUES ('a', 1, 1.5), ('a', 2, NULL), ('b', 3, 2.5), (NULL, NULL, 4.0)").unwrap();
        s
    }

    fn rows(s: &mut Session, sql: &str) -> Vec<String> {
        match s
            .execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e} {:?}", e.hint))
            .pop()
            .unwrap()
        {
            Outcome::Rows(r) => r
                .table
                .to_rows()
                .iter()
                .map(|r| {
                    r.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn select_where_group_order_limit() {
        let mut s = session();
        assert_eq!(rows(&mut s, "SELECT g, count(*) AS n, sum(v) FROM t WHERE v IS NOT NULL GROUP BY g ORDER BY n DESC, g"), ["a|2|3", "b|1|3"]);
        assert_eq!(
            rows(&mut s, "SELECT v FROM t ORDER BY v DESC LIMIT 2"),
            ["3", "2"]
        );
        assert_eq!(
            rows(&mut s, "SELECT v FROM t ORDER BY v LIMIT 10 OFFSET 2"),
            ["3", "NULL"]
        );
        assert_eq!(
            rows(
                &mut s,
                "SELECT count(*), count(v), count(DISTINCT g), avg(d) FROM t"
            ),
            ["4|3|2|2.6666666666666665"]
        );
        assert_eq!(
            rows(&mut s, "SELECT 7 / 2, -7 / 2, 7 / 2.0, 'a' || 'b'"),
            ["3|-3|3.5|ab"]
        );
    }

    #[test]
    fn three_valued_logic_in_where() {
        let mut s = session();
        assert_eq!(
            rows(&mut s, "SELECT count(*) FROM t WHERE v NOT IN (1, NULL)"),
            ["0"]
        );
        assert_eq!(
            rows(&mut s, "SELECT count(*) FROM t WHERE NOT (v > 1)"),
            ["1"]
        );
        assert_eq!(
            rows(&mut s, "SELECT count(*) FROM t WHERE g LIKE 'a%' OR v = 3"),
            ["3"]
        );
    }

    #[test]
    fn joins_windows_and_subqueries() {
        let mut s = session();
        s.execute("CREATE TABLE u (g TEXT, label TEXT); INSERT INTO u VALUES ('a', 'Alpha'), ('c', 'Gamma')").unwrap();
        assert_eq!(
            rows(
                &mut s,
                "SELECT t.v, u.label FROM t JOIN u ON t.g = u.g ORDER BY v"
            ),
            ["1|Alpha", "2|Alpha"]
        );
        assert_eq!(
            rows(
                &mut s,
                "SELECT t.v, u.label FROM t LEFT JOIN u USING (g) ORDER BY v NULLS FIRST"
            ),
            ["NULL|NULL", "1|Alpha", "2|Alpha", "3|NULL"]
        );
        assert_eq!(
            rows(&mut s, "SELECT count(*) FROM t FULL JOIN u ON t.g = u.g"),
            ["5"]
        );
        assert_eq!(rows(&mut s, "SELECT v, row_number() OVER (PARTITION BY g ORDER BY v DESC) AS rn FROM t WHERE g = 'a' ORDER BY v"), ["1|2", "2|1"]);
        assert_eq!(
            rows(
                &mut s,
                "SELECT v, sum(v) OVER (ORDER BY v) FROM t WHERE v IS NOT NULL ORDER BY v"
            ),
            ["1|1", "2|3", "3|6"]
        );
        assert_eq!(
            rows(
                &mut s,
                "SELECT v, lag(v) OVER (ORDER BY v) FROM t WHERE v IS NOT NULL ORDER BY v"
            ),
            ["1|NULL", "2|1", "3|2"]
        );
        assert_eq!(
            rows(
                &mut s,
                "SELECT g FROM t WHERE g IN (SELECT g FROM u) GROUP BY g"
            ),
            ["a"]
        );
        assert_eq!(
            rows(
                &mut s,
                "WITH x AS (SELECT g, max(v) AS m FROM t GROUP BY g) SELECT m FROM x WHERE g = 'b'"
            ),
            ["3"]
        );
        assert_eq!(
            rows(
                &mut s,
                "SELECT g FROM t WHERE g IS NOT NULL UNION SELECT g FROM u ORDER BY 1"
            ),
            ["a", "b", "c"]
        );
        assert_eq!(rows(&mut s, "SELECT CASE WHEN v >= 2 THEN 'big' WHEN v IS NULL THEN 'none' ELSE 'small' END AS size FROM t ORDER BY 1"), ["big", "big", "none", "small"]);
    }

    #[test]
    fn a_column_named_top_gets_a_hint() {
        assert!(top_as_a_name("SELECT top FROM t"));
        assert!(top_as_a_name("select distinct Top, x from t"));
        assert!(!top_as_a_name("SELECT TOP 3 x FROM t"));
        assert!(!top_as_a_name("SELECT DISTINCT TOP 3 x FROM t"));
        assert!(!top_as_a_name("SELECT x AS top FROM t"));
        let e = session().execute("SELECT top FROM t").unwrap_err();
        assert!(
            e.hint.as_deref().is_some_and(|h| h.contains("\"top\"")),
            "{e:?}"
        );
        let e = session().execute("SELECT TOP 2 g FROM t").unwrap_err();
        assert!(
            e.hint.as_deref().is_some_and(|h| h.contains("LIMIT")),
            "{e:?}"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let mut s = session();
        let e = s.execute("SELECT g, v FROM t GROUP BY g").unwrap_err();
        assert!(
            e.message.contains("must appear in the GROUP BY clause"),
            "{e}"
        );
        assert_eq!(
            e.position,
            Some(Position {
                line: 1,
                column: 11
            })
        );
        // The caret goes to the use outside the aggregate, in HAVING too.
        let e = s
            .execute("SELECT g FROM t GROUP BY g HAVING max(v) > 0 OR v > 1")
            .unwrap_err();
        assert_eq!(
            e.position,
            Some(Position {
                line: 1,
                column: 49
            })
        );
        let e = s.execute("SELECT gg FROM t").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownColumn);
        assert_eq!(e.hint.as_deref(), Some("did you mean \"g\"?"));
        assert_eq!(e.position, Some(Position { line: 1, column: 8 }));
        let e = s.execute("SELECT * FROM tt").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean \"t\"?"));
        let e = s.execute("SELECT 1 +").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert!(e.position.is_some(), "{e:?}");
        let e = s.execute("SELECT v + g FROM t").unwrap_err();
        assert!(
            e.message.contains("BIGINT") && e.message.contains("TEXT"),
            "{e}"
        );
        let e = s
            .execute("SELECT count(*) FROM t WHERE sum(v) > 1")
            .unwrap_err();
        assert!(e.message.contains("not allowed in WHERE"), "{e}");
        let e = s.execute("SELECT 1/0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Runtime);
    }

    #[test]
    fn limits_stop_runaway_queries() {
        let mut s = session();
        s.limits = Limits {
            rows_max: 50,
            work_max: 1_000,
        };
        let e = s
            .execute("SELECT count(*) FROM t a, t b, t c, t d")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit, "{e}");
    }

    #[test]
    fn traces_show_each_step() {
        let mut s = session();
        let out = s.execute_traced("SELECT g, count(*) FROM t WHERE v > 1 GROUP BY g HAVING count(*) >= 1 ORDER BY g LIMIT 5").unwrap();
        let Outcome::Rows(r) = &out[0] else { panic!() };
        let labels: Vec<&str> = r
            .trace
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.label.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "FROM t",
                "WHERE v > 1",
                "GROUP BY g",
                "HAVING count(*) >= 1",
                "SELECT g, count(*)",
                "ORDER BY g",
                "LIMIT 5"
            ]
        );
        let filter = &r.trace.as_ref().unwrap()[1];
        assert_eq!(filter.survivors.as_deref(), Some(&[1, 2][..]));
        let group = &r.trace.as_ref().unwrap()[2];
        assert_eq!(group.groups.as_ref().unwrap(), &vec![vec![0], vec![1]]);
        let _ = (DataType::Text, Value::Null);
    }

    #[test]
    fn sample_tables_are_read_only() {
        let mut s = session();
        s.add_sample(
            "rides",
            Table::empty(vec![Field {
                name: "x".into(),
                data_type: DataType::BigInt,
            }]),
        );
        assert_eq!(
            s.execute("INSERT INTO rides VALUES (1)").unwrap_err().kind,
            ErrorKind::Catalog
        );
        assert_eq!(
            s.execute("DROP TABLE rides").unwrap_err().kind,
            ErrorKind::Catalog
        );
        s.execute("CREATE TABLE r2 AS SELECT * FROM rides").unwrap();
        s.reset();
        assert!(s.table("r2").is_none() && s.table("rides").is_some());
        let Outcome::Explain(plan) = s
            .execute("EXPLAIN SELECT x FROM rides WHERE x > 1")
            .unwrap()
            .remove(0)
        else {
            panic!()
        };
        assert!(plan.starts_with("Project: SELECT x"), "{plan}");
        assert!(plan.contains("  Filter: WHERE x > 1"), "{plan}");
    }
}
