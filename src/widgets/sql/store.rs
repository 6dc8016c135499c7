//! The SQL lab's store: one [`SqlLab`] per SQL page or lesson, driven by [`SqlAction`]s.
//!
//! It owns the engine's [`Session`] (sample tables, the learner's scratch tables), the last run
//! and its outcome, the query history and the editor's draft. Reducers clone the state (the
//! session's tables are shared `Rc`s, so a clone is cheap) and return a new `Rc`, so widgets
//! re-render only on a change. Running a query happens here, synchronously, inside the engine's
//! own error handling: every failure, budget errors included, is a [`SqlError`] to show.

use super::history;
use lab::sql::datasets::{self, Size};
use lab::sql::session::{Outcome, QueryResult, Session};
use lab::sql::{SqlError, Table};
use lab::state::Lab;
use std::rc::Rc;
use yew::prelude::*;

/// One run of the editor's text.
#[derive(Clone, Debug)]
pub struct Run {
    /// Counts runs, so views can tell a new run from a re-render.
    pub id: u64,
    pub sql: String,
    pub result: Result<Vec<Outcome>, SqlError>,
    /// Wall-clock time the engine took, in milliseconds.
    pub elapsed_ms: f64,
    /// The lab state whose broker topics the run read (lessons with a broker preset), so a
    /// lesson's goal grades the run against the same state.
    pub live: Option<Rc<Lab>>,
}

impl Run {
    /// The last query result of the run, if any.
    pub fn rows(&self) -> Option<&QueryResult> {
        self.result
            .as_ref()
            .ok()?
            .iter()
            .rev()
            .find_map(|o| match o {
                Outcome::Rows(r) => Some(r),
                _ => None,
            })
    }

    /// What the run's statements that change the catalog did ("created table t (3 rows)").
    pub fn messages(&self) -> Vec<&str> {
        self.result.as_ref().map_or_else(
            |_| Vec::new(),
            |outcomes| {
                outcomes
                    .iter()
                    .filter_map(|o| match o {
                        Outcome::Done(m) => Some(m.as_str()),
                        _ => None,
                    })
                    .collect()
            },
        )
    }

    /// The plan, when the run was an EXPLAIN.
    pub fn explain(&self) -> Option<&str> {
        self.result.as_ref().ok()?.iter().find_map(|o| match o {
            Outcome::Explain(p) => Some(p.as_str()),
            _ => None,
        })
    }
}

/// EXPLAIN of a run's text: the plan tree, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanOf {
    pub run_id: u64,
    /// The text planned (the run's), which error positions refer to.
    pub sql: String,
    pub result: Result<String, SqlError>,
}

/// A message above the lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlNotice {
    pub is_error: bool,
    pub text: String,
}

/// Text for the editor, set from outside it (a history entry, "query this table").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// Bumped on every change, so the editor can tell a new draft from a re-render.
    pub revision: u64,
    pub text: Rc<str>,
}

/// One SQL lab as the UI sees it.
#[derive(Clone)]
pub struct SqlLab {
    pub session: Session,
    /// How big the sample tables are.
    pub size: Size,
    pub run: Option<Rc<Run>>,
    pub plan: Option<Rc<PlanOf>>,
    /// Newest first.
    pub history: Vec<String>,
    pub notice: Option<SqlNotice>,
    pub draft: Draft,
    /// Bumped when tables are added, dropped or reloaded.
    pub catalog_revision: u64,
    /// Bumped on every change.
    pub revision: u64,
    /// Save the history in the browser (off in tests that want a clean slate).
    persist_history: bool,
    /// The lab state on screen, whose broker topics or feature-store tables are live tables
    /// (lessons with a broker or a feature store; see [`SqlAction::SetLive`]).
    pub live: Option<Rc<Lab>>,
}

impl PartialEq for SqlLab {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
    }
}

/// What the UI can ask of the SQL lab.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlAction {
    /// Runs the text (one or more `;`-separated statements).
    Run(String),
    /// Plans the last run's first statement ([`Session::explain`]: bound and planned, nothing
    /// run).
    Explain,
    /// Puts text into the editor.
    SetDraft(String),
    /// Adds a table built elsewhere (an imported CSV) to the scratch tables.
    AddTable {
        name: String,
        table: Rc<Table>,
    },
    /// Drops every scratch table.
    ResetScratch,
    /// Regenerates the sample tables at another size.
    LoadSamples(Size),
    ClearHistory,
    DismissNotice,
    /// Shows a message (from a widget).
    Notify(SqlNotice),
    /// Reads the broker's topics from this lab state from now on: registers them as live tables
    /// now and again before each run (a lesson with a broker preset sends the state on screen).
    SetLive(Rc<Lab>),
}

/// Milliseconds since the page started (0 natively).
pub fn now_ms() -> f64 {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    } else {
        0.0
    }
}

/// Words for a size.
pub fn size_name(size: Size) -> String {
    format!(
        "{} rows per fact table",
        super::format_count(size.fact_rows() as u64)
    )
}

impl SqlLab {
    /// A lab with the sample tables at `size` and `sql` in the editor.
    pub fn new(size: Size, sql: &str, persist_history: bool) -> SqlLab {
        let mut session = Session::new();
        datasets::load_samples(&mut session, size);
        let (history, problem) = if persist_history {
            history::load()
        } else {
            (Vec::new(), None)
        };
        SqlLab {
            session,
            size,
            run: None,
            plan: None,
            history,
            notice: problem.map(|text| SqlNotice {
                is_error: true,
                text,
            }),
            draft: Draft {
                revision: 0,
                text: Rc::from(sql),
            },
            catalog_revision: 0,
            revision: 0,
            persist_history,
            live: None,
        }
    }

    /// Number of scratch tables.
    pub fn scratch_count(&self) -> usize {
        self.session
            .tables()
            .values()
            .filter(|t| matches!(t, lab::sql::session::TableSource::Scratch(_)))
            .count()
    }
}

impl Reducible for SqlLab {
    type Action = SqlAction;

    fn reduce(self: Rc<Self>, action: SqlAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.revision += 1;
        match action {
            SqlAction::Run(sql) => {
                if let Some(lab) = &next.live {
                    lab::lesson::sql::register_live(&mut next.session, lab);
                }
                let tables_before = next.session.tables().len();
                let started = now_ms();
                let result = next.session.execute_traced(&sql);
                let elapsed_ms = now_ms() - started;
                let catalog_changed = result
                    .as_ref()
                    .is_ok_and(|o| o.iter().any(|o| matches!(o, Outcome::Done(_))))
                    || next.session.tables().len() != tables_before;
                if catalog_changed {
                    next.catalog_revision += 1;
                }
                next.history = history::push(&next.history, &sql);
                if next.persist_history {
                    history::save(&next.history);
                }
                let id = next.run.as_ref().map_or(1, |r| r.id + 1);
                next.run = Some(Rc::new(Run {
                    id,
                    sql,
                    result,
                    elapsed_ms,
                    live: next.live.clone(),
                }));
                next.plan = None;
            }
            SqlAction::Explain => {
                let Some(run) = &next.run else {
                    return self;
                };
                let result = next.session.explain(&run.sql);
                next.plan = Some(Rc::new(PlanOf {
                    run_id: run.id,
                    sql: run.sql.clone(),
                    result,
                }));
            }
            SqlAction::SetDraft(text) => {
                next.draft = Draft {
                    revision: next.draft.revision + 1,
                    text: Rc::from(text),
                };
            }
            SqlAction::AddTable { name, table } => {
                let rows = table.rows;
                let columns = table.fields.len();
                match next.session.add_table(&name, (*table).clone()) {
                    Ok(()) => {
                        next.catalog_revision += 1;
                        next.notice = Some(SqlNotice {
                            is_error: false,
                            text: format!(
                                "Imported {} rows and {columns} columns as the scratch table {name}.",
                                super::format_count(rows as u64)
                            ),
                        });
                    }
                    Err(e) => {
                        next.notice = Some(SqlNotice {
                            is_error: true,
                            text: format!(
                                "{}{}",
                                e.message,
                                e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
                            ),
                        });
                    }
                }
            }
            SqlAction::ResetScratch => {
                let dropped = next.scratch_count();
                next.session.reset();
                next.catalog_revision += 1;
                next.notice = Some(SqlNotice {
                    is_error: false,
                    text: format!(
                        "Dropped {dropped} scratch table{}; the sample tables are as shipped.",
                        if dropped == 1 { "" } else { "s" }
                    ),
                });
            }
            SqlAction::LoadSamples(size) => {
                let started = now_ms();
                datasets::load_samples(&mut next.session, size);
                let elapsed = now_ms() - started;
                next.size = size;
                next.catalog_revision += 1;
                next.notice = Some(SqlNotice {
                    is_error: false,
                    text: format!(
                        "Sample tables generated with {} in {elapsed:.0} ms.",
                        size_name(size)
                    ),
                });
            }
            SqlAction::ClearHistory => {
                next.history.clear();
                if next.persist_history {
                    history::save(&next.history);
                }
            }
            SqlAction::DismissNotice => next.notice = None,
            SqlAction::Notify(notice) => next.notice = Some(notice),
            SqlAction::SetLive(lab) => {
                lab::lesson::sql::register_live(&mut next.session, &lab);
                next.live = Some(lab);
                next.catalog_revision += 1;
            }
        }
        Rc::new(next)
    }
}

pub type SqlHandle = UseReducerHandle<SqlLab>;

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Rc<SqlLab> {
        Rc::new(SqlLab::new(Size::Rows(50), "SELECT 1", false))
    }

    #[test]
    fn runs_record_results_errors_and_history() {
        let lab = lab().reduce(SqlAction::Run(
            "SELECT event_type, count(*) FROM push_events GROUP BY event_type".into(),
        ));
        let run = lab.run.clone().unwrap();
        let rows = run.rows().unwrap();
        assert_eq!(rows.table.fields.len(), 2);
        assert!(rows.work > 50, "{}", rows.work);
        assert_eq!(lab.history.len(), 1);
        let lab = lab.reduce(SqlAction::Run("SELECT nope FROM push_events".into()));
        let run = lab.run.clone().unwrap();
        assert!(run.result.as_ref().unwrap_err().position.is_some());
        assert_eq!(run.id, 2);
        assert_eq!(lab.history.len(), 2);
    }

    #[test]
    fn explain_never_changes_the_tables() {
        let lab = lab().reduce(SqlAction::Run(
            "SELECT cuid FROM push_events WHERE is_all = 1; DROP TABLE nothing_here".into(),
        ));
        assert!(lab.run.as_ref().unwrap().result.is_err());
        let lab = lab.reduce(SqlAction::Run("CREATE TABLE t AS SELECT 1 AS x".into()));
        assert_eq!(lab.scratch_count(), 1);
        let lab = lab.reduce(SqlAction::Run("SELECT x FROM t; DROP TABLE t".into()));
        assert_eq!(lab.scratch_count(), 0);
        let lab = lab.reduce(SqlAction::Run("CREATE TABLE t AS SELECT 1 AS x".into()));
        let lab = lab.reduce(SqlAction::Run("SELECT x FROM t WHERE x > 0".into()));
        let lab = lab.reduce(SqlAction::Explain);
        let plan = lab.plan.clone().unwrap();
        assert!(plan.result.as_ref().unwrap().contains("Filter"));
        assert_eq!(lab.scratch_count(), 1);
        let lab = lab.reduce(SqlAction::ResetScratch);
        assert_eq!(lab.scratch_count(), 0);
        assert!(lab.session.table("push_events").is_some());
    }
}
