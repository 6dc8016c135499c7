//! SQL lessons: the tables a lesson's queries read, grading a learner's result against a
//! ```` ```sql-check ```` goal, and the lint of a lesson's SQL.
//!
//! **Which tables.** A lesson with `sql: small` (or `large`) in its front matter has a SQL lab:
//! the sample tables of [`crate::sql::datasets`] at that size. When the lesson's scenario also
//! has a broker, every topic is a table too, with `kafka_partitions` and `kafka_consumer_lag`
//! ([`crate::topics`]), read from the lab's state at the tick on screen: the page registers
//! them again before each run ([`register_live`]), so a query sees what the time controls show.
//! When it has a feature store (`preset: feature-store`), the store's sample tables (view sources
//! such as `driver_hourly_stats`, entity rows such as `ride_labels`) are tables too
//! ([`crate::feature_lab::sql_tables`]), so an `ASOF JOIN` reads the rows the store joins.
//!
//! **Grading.** A goal's reference query runs on a copy of the learner's session, without the
//! learner's scratch tables and with the live tables of the state the learner's query ran on, and
//! [`crate::sql::grade::grade`] compares the two results: same number of columns with compatible
//! types (names do not matter), the same rows as a multiset (in the same order with
//! `ordered: true`), doubles within a relative 1e-9. A wrong answer gets a row diff: the expected
//! rows the result lacks and the rows it should not have. With `ordered: true` the reference
//! query must order the rows completely (no ties), or a correct answer could break a tie
//! differently.
//!
//! **Lint.** Every reference query and every answer must run on the lesson's tables, at the
//! lesson's first tick and, when it has ```` ```steps ````, after them; the answer must grade
//! correct; the reference must return rows there (else an empty result would pass); examples must
//! parse.

use super::{Lesson, SqlCheckSpec, WidgetKind};
use crate::sql::datasets::{self, Size};
use crate::sql::grade::{grade, Grade};
use crate::sql::session::LiveTables;
use crate::sql::{ErrorKind, Outcome, Session, SqlError, Table, Value};
use crate::state::Lab;

/// A session with the sample tables at `size`, and the live tables of `lab` if it has a broker.
pub fn session(size: Size, lab: Option<&Lab>) -> Session {
    let mut session = Session::new();
    datasets::load_samples(&mut session, size);
    if let Some(lab) = lab {
        register_live(&mut session, lab);
    }
    session
}

/// Registers the live tables of `lab`, replacing an earlier state's: the broker's topics and
/// system tables, and the feature store's sample tables (nothing for a lab with neither).
pub fn register_live(session: &mut Session, lab: &Lab) {
    session.set_live(&LabTables(lab));
}

/// The tables a lab state adds to a SQL session.
struct LabTables<'a>(&'a Lab);

impl LiveTables for LabTables<'_> {
    fn live_tables(&self) -> Vec<(String, Table)> {
        let mut tables = Vec::new();
        if let Some(cluster) = self.0.cluster() {
            tables.extend(crate::topics::TopicTables(cluster).live_tables());
            if self.0.streams().is_some() {
                // The streaming lab's clicks topic reads as typed clicks, as its job sees it.
                let typed = crate::stream_lab::clicks::typed_topic_table(cluster);
                tables.retain(|(name, _)| name != crate::stream_lab::CLICKS_TOPIC);
                tables.push((crate::stream_lab::CLICKS_TOPIC.to_string(), typed));
                // Its samples topic (once there) reads as typed samples, as a trainer sees it.
                use crate::stream_lab::samples_topic::{typed_topic_table, SAMPLES_TOPIC};
                if cluster.topics().get(SAMPLES_TOPIC).is_some() {
                    tables.retain(|(name, _)| name != SAMPLES_TOPIC);
                    tables.push((SAMPLES_TOPIC.to_string(), typed_topic_table(cluster)));
                }
            }
            if let Some(streams) = self.0.streams() {
                // The recommender's recorded logs and the medallion's tables at this tick.
                tables.extend(streams.pipe_tables(self.0.now()));
            }
        }
        if let Some(store) = self.0.features() {
            tables.extend(crate::feature_lab::sql_tables(store));
        }
        tables
    }
}

/// Runs `sql` on a copy of `session` (so nothing it does stays) and returns the result of its
/// last statement, which must be a query.
pub fn result_of(session: &Session, sql: &str) -> Result<Table, SqlError> {
    let mut copy = session.clone();
    let outcomes = copy.execute(sql)?;
    match outcomes.into_iter().last() {
        Some(Outcome::Rows(result)) => Ok(result.table),
        _ => Err(SqlError::new(
            ErrorKind::Unsupported,
            "the last statement is not a query, so there is no result to compare",
        )
        .with_hint("end with a SELECT")),
    }
}

/// What a goal says about a learner's result.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlVerdict {
    /// Compared: [`Grade::Correct`] meets the goal, anything else comes with its diff.
    Graded(Grade),
    /// The reference query has no rows on these tables (a live topic nobody has written to yet),
    /// so an empty result would pass: nothing is graded until there is data.
    NothingToCompare,
}

impl SqlVerdict {
    pub fn is_correct(&self) -> bool {
        matches!(self, SqlVerdict::Graded(Grade::Correct))
    }
}

/// Grades `actual` (the learner's result) against `check`'s reference query, run on `session`
/// without its scratch tables and with the live tables of `live` (the state the learner's query
/// ran on). An error means the reference query failed.
pub fn grade_result(
    check: &SqlCheckSpec,
    session: &Session,
    live: Option<&Lab>,
    actual: &Table,
) -> Result<SqlVerdict, SqlError> {
    let mut reference = session.clone();
    reference.reset();
    if let Some(lab) = live {
        register_live(&mut reference, lab);
    }
    let expected = result_of(&reference, &check.expected)?;
    if expected.rows == 0 {
        return Ok(SqlVerdict::NothingToCompare);
    }
    Ok(SqlVerdict::Graded(grade(&expected, actual, check.ordered)))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One sentence on a verdict, for the goal's status line.
pub fn verdict_summary(verdict: &SqlVerdict) -> String {
    match verdict {
        SqlVerdict::Graded(grade) => summary(grade),
        SqlVerdict::NothingToCompare => "There is nothing to compare yet: the expected result is empty at this tick. Run the lesson's steps or let time run, then run your query again.".into(),
    }
}

/// One sentence on a grade, for the goal's status line.
pub fn summary(grade: &Grade) -> String {
    match grade {
        Grade::Correct => "Correct: your result has exactly the expected rows.".into(),
        Grade::WrongShape(why) => format!("Not the expected shape: {why}."),
        Grade::WrongRows {
            missing_total,
            extra_total,
            ..
        } => match (*missing_total, *extra_total) {
            (0, extra) => format!(
                "Every expected row is there, plus {} that should not be.",
                plural(extra, "row", "rows")
            ),
            (missing, 0) => format!(
                "{} missing.",
                plural(missing, "expected row is", "expected rows are")
            ),
            (missing, extra) => format!(
                "{} missing, and {} should not be there.",
                plural(missing, "expected row is", "expected rows are"),
                plural(extra, "row", "rows")
            ),
        },
        Grade::WrongOrder { first_difference } => format!(
            "The right rows, in another order: row {} differs. This exercise asks for an ORDER BY.",
            first_difference + 1
        ),
    }
}

/// A row of a diff as text: `(a, 1, NULL)`.
pub fn row_text(row: &[Value]) -> String {
    let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
    format!("({})", cells.join(", "))
}

/// Whether a query's text has an ORDER BY outside string literals, ignoring case and spacing.
fn orders_rows(sql: &str) -> bool {
    let mut words = Vec::new();
    let mut in_string = false;
    let mut word = String::new();
    for c in sql.chars() {
        if c == '\'' {
            in_string = !in_string;
        }
        if !in_string && c.is_ascii_alphabetic() {
            word.push(c.to_ascii_uppercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    words.push(word);
    words.windows(2).any(|w| w[0] == "ORDER" && w[1] == "BY")
}

/// The SQL problems of a lesson; `start` is its lab at the first tick.
pub(super) fn lint(lesson: &Lesson, start: &Lab) -> Vec<String> {
    let mut problems = Vec::new();
    let editors = lesson
        .widgets()
        .filter(|w| w.kind == WidgetKind::Sql)
        .count();
    let Some(size) = lesson.meta.sql else {
        for widget in lesson.widgets().filter(|w| w.kind.needs_sql()) {
            problems.push(format!(
                "widget \"{}\" needs a SQL lab: add \"sql: small\" to the front matter",
                widget.kind.name()
            ));
        }
        if lesson.sql_checks().next().is_some() || lesson.sql_examples().next().is_some() {
            problems.push(
                "sql-check and sql-example blocks need a SQL lab: add \"sql: small\" to the front matter"
                    .into(),
            );
        }
        return problems;
    };
    if editors > 1 {
        problems.push(format!(
            "{editors} sql widgets: a lesson has one SQL editor, which every sql-check grades"
        ));
    }
    if editors == 0 && lesson.sql_checks().next().is_some() {
        problems.push(
            "sql-check goals grade the SQL editor's result, but there is no sql widget".into(),
        );
    }
    for example in lesson.sql_examples() {
        if let Err(e) = Session::parse(example) {
            problems.push(format!("an sql-example does not parse: {e}"));
        }
    }
    // The states a learner meets: the first tick, and the end of the lesson's steps.
    let steps: Vec<crate::steps::Step> = lesson.steps().cloned().collect();
    let after_steps = if steps.is_empty() || start.cluster().is_none() {
        None
    } else {
        crate::steps::run(lesson.meta.config, &steps).ok()
    };
    let mut states = vec![("at the first tick", start)];
    if let Some(run) = &after_steps {
        states.push(("after the lesson's steps", run.timeline.head()));
    }
    let base = session(size, None);
    for check in lesson.sql_checks() {
        let id = &check.id;
        if check.ordered && !orders_rows(&check.expected) {
            problems.push(format!(
                "goal \"{id}\" is ordered, but its expected query has no ORDER BY"
            ));
        }
        for (i, (when, lab)) in states.iter().enumerate() {
            let mut tables = base.clone();
            register_live(&mut tables, lab);
            let expected = match result_of(&tables, &check.expected) {
                Ok(table) => table,
                Err(e) => {
                    problems.push(format!(
                        "goal \"{id}\": the expected query fails {when}: {e}"
                    ));
                    continue;
                }
            };
            if i + 1 == states.len() && expected.rows == 0 {
                problems.push(format!(
                    "goal \"{id}\": the expected query returns no rows {when}, so an empty result would pass"
                ));
            }
            match result_of(&tables, &check.answer) {
                Err(e) => problems.push(format!("goal \"{id}\": the answer fails {when}: {e}")),
                Ok(answer) => match grade(&expected, &answer, check.ordered) {
                    Grade::Correct => {}
                    wrong => problems.push(format!(
                        "goal \"{id}\": the answer is not graded correct {when}: {}",
                        summary(&wrong)
                    )),
                },
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_is_found_outside_strings() {
        assert!(orders_rows("select a from t order  by a"));
        assert!(orders_rows("SELECT a FROM t ORDER\nBY 1"));
        assert!(!orders_rows("SELECT 'order by' FROM t"));
        assert!(!orders_rows("SELECT border, byte FROM t"));
    }

    #[test]
    fn summaries_count_rows() {
        let wrong = |missing_total, extra_total| Grade::WrongRows {
            missing: Vec::new(),
            extra: Vec::new(),
            missing_total,
            extra_total,
        };
        assert_eq!(summary(&wrong(1, 0)), "1 expected row is missing.");
        assert_eq!(
            summary(&wrong(2, 3)),
            "2 expected rows are missing, and 3 rows should not be there."
        );
        assert_eq!(
            summary(&wrong(0, 1)),
            "Every expected row is there, plus 1 row that should not be."
        );
        assert!(summary(&Grade::WrongOrder {
            first_difference: 0
        })
        .contains("row 1 differs"));
        assert_eq!(
            row_text(&[Value::text("a"), Value::BigInt(1), Value::Null]),
            "(a, 1, NULL)"
        );
    }
}
