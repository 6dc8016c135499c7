//! A SQL session: the catalog (read-only sample tables, and a scratch space for the learner's
//! own tables), and the dispatcher that parses statements and runs each: a query through the
//! binder and the executor, EXPLAIN through the binder alone ([`Session::explain`]), and the
//! statements that change the scratch tables through `ddl.rs`.

use super::bind::Binder;
use super::column::Table;
use super::error::{ErrorKind, SqlError};
use super::exec::{Executor, Limits, TraceStep};
use super::plan::Plan;
use super::syntax::ast;
use std::collections::BTreeMap;
use std::rc::Rc;

mod ddl;

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
    /// A table another part of the lab keeps (a broker topic, say), registered through
    /// [`LiveTables`] and replaced whenever its state moves; read-only.
    Live(Rc<Table>),
}

impl TableSource {
    pub fn table(&self) -> &Rc<Table> {
        match self {
            TableSource::Sample(t) | TableSource::Scratch(t) | TableSource::Live(t) => t,
        }
    }
}

/// Tables kept up to date from outside the engine: the lab registers a broker's topics this
/// way, so the engine reads them without knowing what a topic is.
pub trait LiveTables {
    /// Every table, by name, as of now.
    fn live_tables(&self) -> Vec<(String, Table)>;
}

/// A SQL session.
#[derive(Clone, Debug, Default)]
pub struct Session {
    tables: BTreeMap<String, TableSource>,
    pub limits: Limits,
}

/// Longest SQL text a session runs.
pub const SQL_BYTES_MAX: usize = 100_000;

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

    /// Replaces every live table with those of `source`: a table `source` no longer has (a
    /// topic that did not exist yet at the tick on screen) is gone. A live table takes the place of
    /// a sample table of the same name (a lesson's `orders` topic over the shop's `orders`), and a
    /// learner's own table wins over both.
    pub fn set_live(&mut self, source: &dyn LiveTables) {
        self.tables
            .retain(|_, table| !matches!(table, TableSource::Live(_)));
        for (name, table) in source.live_tables() {
            let key = name.to_ascii_lowercase();
            if !matches!(self.tables.get(&key), Some(TableSource::Scratch(_))) {
                self.tables.insert(key, TableSource::Live(Rc::new(table)));
            }
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
        crate::syntax::parse(sql)
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
            return (Vec::new(), Some(no_statement("run")));
        }
        let mut out = Vec::with_capacity(statements.len());
        for statement in &statements {
            match self.statement(statement, traced) {
                Ok(o) => out.push(o),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// EXPLAIN of the text's first statement (a query, or `EXPLAIN` of one): the plan tree, one
    /// node per line, root first. The query is bound and planned, not run: nothing it would
    /// compute, read or write happens, and what follows it is not looked at.
    pub fn explain(&self, sql: &str) -> Result<String, SqlError> {
        match Session::parse(sql)?.first() {
            None => Err(no_statement("explain")),
            Some(s @ ast::Statement::Explain { .. }) => self.explain_statement(s),
            Some(s) => self.explain_query(s),
        }
    }

    /// `EXPLAIN <query>`, as typed.
    fn explain_statement(&self, statement: &ast::Statement) -> Result<String, SqlError> {
        match statement {
            ast::Statement::Explain { analyze: true, .. } => {
                Err(SqlError::unsupported("EXPLAIN ANALYZE")
                    .with_hint("run the query with its trace instead"))
            }
            ast::Statement::Explain { statement, .. } => self.explain_query(statement),
            other => self.explain_query(other),
        }
    }

    /// The plan of a query statement; other statements have none.
    fn explain_query(&self, statement: &ast::Statement) -> Result<String, SqlError> {
        match statement {
            ast::Statement::Query(q) => Ok(self.plan(q)?.explain()),
            other => Err(SqlError::unsupported(format!(
                "EXPLAIN of {}",
                statement_kind(other)
            ))),
        }
    }

    /// Plans a query: binds it, running nothing.
    pub fn plan(&self, q: &ast::Query) -> Result<Plan, SqlError> {
        Binder::new(self).query(q)
    }

    /// Plans and runs a query, within the session's limits.
    fn query(&self, q: &ast::Query, traced: bool) -> Result<QueryResult, SqlError> {
        let plan = self.plan(q)?;
        let mut executor = Executor::new(self.limits, traced);
        let table = executor.execute(&plan)?;
        Ok(QueryResult {
            table,
            work: executor.work,
            trace: executor.trace,
        })
    }

    /// Runs one statement.
    fn statement(&mut self, statement: &ast::Statement, traced: bool) -> Result<Outcome, SqlError> {
        match statement {
            ast::Statement::Query(q) => Ok(Outcome::Rows(self.query(q, traced)?)),
            ast::Statement::Explain { .. } => {
                Ok(Outcome::Explain(self.explain_statement(statement)?))
            }
            ast::Statement::CreateTable(ct) => self.create_table(ct),
            ast::Statement::Insert(insert) => self.insert(insert),
            ast::Statement::Drop {
                if_exists, names, ..
            } => self.drop_tables(*if_exists, names),
        }
    }
}

/// The error for text with no statement in it.
fn no_statement(what: &str) -> SqlError {
    SqlError::new(
        ErrorKind::Syntax,
        format!("there is no statement to {what}"),
    )
    .with_hint("write a query, e.g. SELECT 1")
}

fn statement_kind(s: &ast::Statement) -> String {
    let text = s.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    format!("the statement {}", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Field;
    use crate::error::Position;
    use crate::value::{DataType, Value};

    struct Fixed(Vec<&'static str>);

    impl LiveTables for Fixed {
        fn live_tables(&self) -> Vec<(String, Table)> {
            let one = |n: i64| {
                Table::from_rows(
                    vec![Field {
                        name: "n".into(),
                        data_type: DataType::BigInt,
                    }],
                    &[vec![Value::BigInt(n)]],
                )
            };
            self.0
                .iter()
                .enumerate()
                .map(|(i, name)| (name.to_string(), one(i as i64)))
                .collect()
        }
    }

    #[test]
    fn a_misspelled_keyword_gets_a_did_you_mean() {
        let hint = |sql: &str| {
            Session::new()
                .execute(sql)
                .unwrap_err()
                .hint
                .unwrap_or_default()
        };
        assert!(
            hint("SELEC 1").contains("did you mean \"SELECT\"?"),
            "{}",
            hint("SELEC 1")
        );
        let form = hint("SELECT city FORM drivers");
        assert!(form.contains("did you mean \"FROM\"?"), "{form}");
        assert!(hint("SELECT 1 WHER 1 = 1").contains("\"WHERE\""));
        // Not every syntax error is a typo.
        assert_eq!(hint("SELECT id FROM"), "check the SQL near the caret");
        assert_eq!(hint("SELECT (1"), "check the SQL near the caret");
    }

    #[test]
    fn live_tables_are_replaced_whole_and_never_shadow_the_learners() {
        let mut s = session();
        s.set_live(&Fixed(vec!["a", "T", "b"]));
        assert_eq!(rows(&mut s, "SELECT n FROM a"), ["0"]);
        assert_eq!(rows(&mut s, "SELECT n FROM b"), ["2"]);
        assert_eq!(
            rows(&mut s, "SELECT count(*) FROM t"),
            ["4"],
            "the learner's t wins"
        );
        s.set_live(&Fixed(vec!["b"]));
        assert_eq!(rows(&mut s, "SELECT n FROM b"), ["0"]);
        assert!(s.execute("SELECT n FROM a").is_err(), "a is gone");
        assert!(
            s.execute("DROP TABLE b").is_err(),
            "live tables are read-only"
        );
    }

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
    fn explain_plans_without_running_anything() {
        let mut s = session();
        // Running it would divide by zero (once the subquery ran: the binder no longer runs it).
        let sql = "SELECT v FROM t WHERE v > (SELECT 1 / 0)";
        assert_eq!(s.execute(sql).unwrap_err().kind, ErrorKind::Runtime);
        let plan = s.explain(sql).unwrap();
        assert!(
            plan.contains("    Subquery: runs once, before the query: (SELECT 1 / 0)"),
            "{plan}"
        );
        // Over the budget when run; planned all the same.
        s.limits = Limits {
            rows_max: 50,
            work_max: 1_000,
        };
        let runaway = "SELECT count(*) FROM t a, t b, t c, t d, t e";
        assert_eq!(s.execute(runaway).unwrap_err().kind, ErrorKind::Limit);
        assert!(s.explain(runaway).unwrap().contains("NestedLoopJoin"));
        // The EXPLAIN statement is the same function.
        let Outcome::Explain(typed) = s.execute(&format!("EXPLAIN {sql}")).unwrap().remove(0)
        else {
            panic!()
        };
        assert_eq!(typed, plan);
        assert_eq!(s.explain(&format!("explain {sql}")).unwrap(), plan);
        // The first statement only, and only a query.
        assert_eq!(
            s.explain("SELECT v FROM t; DROP TABLE t").unwrap(),
            s.explain("SELECT v FROM t").unwrap()
        );
        let e = s.explain("CREATE TABLE u AS SELECT 1 AS x").unwrap_err();
        assert_eq!(
            e.message,
            "EXPLAIN of the statement CREATE TABLE is not supported here"
        );
        assert!(s.table("u").is_none() && s.table("t").is_some());
        let e = s.explain("EXPLAIN ANALYZE SELECT 1").unwrap_err();
        assert_eq!(e.message, "EXPLAIN ANALYZE is not supported here");
        let e = s.explain("SELECT v FROM").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert_eq!(s.explain(" ").unwrap_err().kind, ErrorKind::Syntax);
    }

    #[test]
    fn error_kinds_not_messages_steer_name_resolution() {
        let mut s = session();
        s.execute("CREATE TABLE u (g TEXT, w BIGINT); INSERT INTO u VALUES ('a', 10)")
            .unwrap();
        // An ambiguous name: its own kind, the same words.
        let e = s.execute("SELECT g FROM t, u").unwrap_err();
        assert_eq!(e.kind, ErrorKind::AmbiguousColumn);
        assert_eq!(e.message, "column \"g\" is ambiguous: it is in t and u");
        assert_eq!(e.hint.as_deref(), Some("qualify it, e.g. t.g"));
        assert_eq!(e.position, Some(Position { line: 1, column: 8 }));
        // Ambiguous inside a subquery is an error there, not a reason to look outside.
        let e = s
            .execute("SELECT (SELECT max(g) FROM t, u) FROM t AS o")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::AmbiguousColumn, "{e}");
        // Unknown inside a subquery is looked up outside (a correlated subquery).
        assert_eq!(
            rows(
                &mut s,
                "SELECT (SELECT max(w) FROM u WHERE u.g = t.g) FROM t ORDER BY v"
            ),
            ["10", "10", "NULL", "NULL"]
        );
        // A name ambiguous in FROM falls back to the select alias in ORDER BY and GROUP BY.
        assert_eq!(
            rows(&mut s, "SELECT t.v AS g FROM t, u ORDER BY g + 1 DESC"),
            ["3", "2", "1", "NULL"]
        );
        assert_eq!(
            rows(&mut s, "SELECT t.v AS g FROM t, u GROUP BY g ORDER BY 1"),
            ["1", "2", "3", "NULL"]
        );
        // Nesting too deep for the binder: its own kind, same words.
        let deep = format!("SELECT {}1", "1 + ".repeat(200));
        let e = s.execute(&deep).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooDeep);
        assert_eq!(e.message, "the expression nests more than 128 levels deep");
        assert_eq!(s.explain(&deep).unwrap_err().kind, ErrorKind::TooDeep);
        // The parser's recursion limit, told by its error's kind.
        let e = s.execute(&format!("SELECT {}1{}", "(".repeat(60), ")".repeat(60)));
        let e = e.unwrap_err();
        assert_eq!(e.message, "recursion limit exceeded");
        assert_eq!(e.hint.as_deref(), Some("the query nests too deeply"));
        // The ungrouped column's caret, found from the column, not from the message.
        let e = s
            .execute("SELECT g FROM t GROUP BY v HAVING t.d > 1")
            .unwrap_err();
        assert_eq!(
            e.message,
            "column \"t.g\" must appear in the GROUP BY clause or be used in an aggregate function"
        );
        assert_eq!(e.position, Some(Position { line: 1, column: 8 }));
    }

    #[test]
    fn a_semi_join_is_refused_with_a_hint() {
        let e = session()
            .execute("SELECT * FROM t SEMI JOIN t AS u ON t.g = u.g")
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert_eq!(e.message, "SEMI JOIN is not supported");
        assert_eq!(
            e.hint.as_deref(),
            Some("write WHERE EXISTS (SELECT ... WHERE ...) instead")
        );
        // The caret is under the joined table.
        assert_eq!(
            e.position,
            Some(Position {
                line: 1,
                column: 27
            })
        );
    }

    #[test]
    fn window_functions_do_not_nest() {
        let mut s = session();
        for sql in [
            "SELECT sum(row_number() OVER ()) OVER () FROM t",
            "SELECT lag(v, 1, rank() OVER (ORDER BY v)) OVER () FROM t",
            "SELECT row_number() OVER (ORDER BY rank() OVER (ORDER BY v)) FROM t",
        ] {
            let e = s.execute(sql).unwrap_err();
            assert_eq!(e.message, "window functions cannot be nested", "{sql}");
        }
        // The grouped query's aggregates may still appear inside a window function.
        assert_eq!(
            rows(
                &mut s,
                "SELECT g, sum(count(*)) OVER (ORDER BY max(v)) FROM t GROUP BY g ORDER BY 1"
            ),
            ["a|2", "b|3", "NULL|4"]
        );
    }

    #[test]
    fn subqueries_in_values_and_dml_run_with_the_statement() {
        let mut s = session();
        s.execute("INSERT INTO t VALUES ('c', (SELECT max(v) + 1 FROM t), (SELECT avg(d) FROM t))")
            .unwrap();
        assert_eq!(
            rows(&mut s, "SELECT v, d FROM t WHERE g = 'c'"),
            ["4|2.6666666666666665"]
        );
        s.execute("CREATE TABLE u AS SELECT v FROM t WHERE v > (SELECT avg(v) FROM t)")
            .unwrap();
        assert_eq!(rows(&mut s, "SELECT v FROM u ORDER BY v"), ["3", "4"]);
        // A VALUES row reading the outer row, inside a correlated subquery.
        assert_eq!(
            rows(
                &mut s,
                "SELECT (SELECT x.column1 FROM (VALUES (t.v * 10)) x) FROM t WHERE v < 3 ORDER BY v"
            ),
            ["10", "20"]
        );
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
