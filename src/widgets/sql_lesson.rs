//! The SQL parts of a lesson page, built on the SQL lab's widgets ([`super::sql`]):
//!
//! - [`SqlLessonProvider`] hosts the lesson's SQL lab when its front matter has `sql:`, and in a
//!   lesson with a broker keeps the lab's live tables at the tick on screen ([`LiveTables`]): the
//!   topics are registered again whenever the cursor or the journal moves, and before each run,
//!   and each run remembers the state it read so that goals grade it against that same state.
//!   A lesson with a feature store gets the store's sample tables the same way.
//! - The widgets `sql` (the editor and the result's views), `sql-trace` and `sql-schema`.
//! - [`SqlExampleBlock`]: a query from the prose, with buttons that put it into the editor or
//!   run it; the latest run of that query shows under it (its first rows, or its error).
//! - [`SqlGoal`]: a ```` ```sql-check ```` goal, graded on the latest run with
//!   [`lab::lesson::sql::grade_result`]. A wrong answer shows why: the row diff (the expected
//!   rows the result lacks and the rows it should not have), the shape problem, or the first row
//!   out of order.
//!
//! Every component here renders a short message instead of panicking when it finds no SQL lab
//! around it (a widget outside a lesson with `sql:`, which the lesson lint reports).

use super::goal::{goal_buttons, use_goal_done};
use super::sql::editor::{error_panel, SqlEditor};
use super::sql::highlight::tokenize;
use super::sql::results::SqlResults;
use super::sql::schema::SchemaBrowser;
use super::sql::store::{SqlAction, SqlHandle};
use super::sql::trace::TraceView;
use super::sql::{mini_table, rows_text, SqlProvider};
use super::use_lab;
use crate::widgets::hooks::use_flag;
use lab::lesson::sql::{grade_result, verdict_summary, SqlVerdict};
use lab::lesson::SqlCheckSpec;
use lab::sql::datasets::Size;
use lab::sql::grade::Grade;
use lab::sql::{Field, Table, Value};
use std::rc::Rc;
use yew::prelude::*;

/// Rows of an example's result shown under it.
pub const EXAMPLE_ROWS: usize = 8;
/// Columns shown in an example's result and in a diff.
pub const SHOWN_COLUMNS: usize = 8;

/// The SQL lab of the enclosing provider, if there is one.
#[hook]
fn use_sql_lab() -> Option<SqlHandle> {
    use_context::<SqlHandle>()
}

fn no_sql_lab() -> Html {
    html! { <p class="muted">{ "This widget needs a SQL lab: the lesson's front matter has no \"sql:\" line." }</p> }
}

#[derive(Properties, PartialEq)]
pub struct SqlLessonProviderProps {
    /// The size of the sample tables, from the front matter's `sql:`; `None`: no SQL lab.
    pub size: Option<Size>,
    /// What the editor starts with (the `sql` widget's `query:`).
    #[prop_or_default]
    pub query: AttrValue,
    #[prop_or_default]
    pub children: Children,
}

/// Hosts the lesson's SQL lab around its blocks, or just the blocks when it has none. Must sit
/// inside the lesson's `LabProvider`.
#[component]
pub fn SqlLessonProvider(props: &SqlLessonProviderProps) -> Html {
    match props.size {
        None => html! { <>{ props.children.clone() }</> },
        Some(size) => html! {
            <SqlProvider sql={props.query.clone()} size={size} persist_history={false}>
                <LiveTables />
                { props.children.clone() }
            </SqlProvider>
        },
    }
}

/// Sends the lab state on screen to the SQL lab whenever it changes, when it has a broker (its
/// topics) or a feature store (its sample tables).
#[component]
fn LiveTables() -> Html {
    let session = use_lab();
    let sql = use_sql_lab();
    let view = session.view.clone();
    let key = (session.cursor, session.journal_revision);
    use_effect_with(key, move |_| {
        if let Some(sql) = sql {
            if view.cluster().is_some() || view.features().is_some() {
                sql.dispatch(SqlAction::SetLive(view));
            }
        }
    });
    html! {}
}

/// The `sql` widget: the editor, then the result's views.
#[component]
pub fn SqlLessonEditor() -> Html {
    if use_sql_lab().is_none() {
        return no_sql_lab();
    }
    html! {
        <div class="sql-lesson-editor">
            <SqlEditor />
            <SqlResults />
        </div>
    }
}

/// The `sql-trace` widget.
#[component]
pub fn SqlLessonTrace() -> Html {
    if use_sql_lab().is_none() {
        return no_sql_lab();
    }
    html! { <TraceView /> }
}

/// The `sql-schema` widget.
#[component]
pub fn SqlLessonSchema() -> Html {
    if use_sql_lab().is_none() {
        return no_sql_lab();
    }
    html! { <SchemaBrowser /> }
}

/// SQL text with the editor's colours.
pub fn highlighted(sql: &str) -> Html {
    html! {
        { for tokenize(sql).into_iter().map(|t| {
            let text = sql.get(t.start..t.end).unwrap_or_default();
            match t.kind.class() {
                None => html! { { text } },
                Some(class) => html! { <span class={class}>{ text }</span> },
            }
        }) }
    }
}

#[derive(Properties, PartialEq)]
pub struct SqlExampleProps {
    pub sql: AttrValue,
}

/// A query from the prose: "Put in the editor", "Run", and the latest run of this query.
#[component]
pub fn SqlExampleBlock(props: &SqlExampleProps) -> Html {
    let Some(lab) = use_sql_lab() else {
        return html! { <pre class="sql-example"><code>{ highlighted(&props.sql) }</code></pre> };
    };
    let to_editor = {
        let (lab, sql) = (lab.clone(), props.sql.to_string());
        Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::SetDraft(sql.clone())))
    };
    let run = {
        let (lab, sql) = (lab.clone(), props.sql.to_string());
        Callback::from(move |_: MouseEvent| {
            lab.dispatch(SqlAction::SetDraft(sql.clone()));
            lab.dispatch(SqlAction::Run(sql.clone()));
        })
    };
    let latest = lab.run.clone().filter(|r| r.sql == props.sql.as_str());
    let outcome = latest.map(|run| match (&run.result, run.rows()) {
        (Err(e), _) => error_panel(e, &run.sql),
        (Ok(_), Some(rows)) => html! {
            <div class="sql-example-result">
                <p class="small muted">
                    { rows_text(rows.table.rows) }
                    if rows.table.rows > EXAMPLE_ROWS { { format!(", the first {EXAMPLE_ROWS} shown") } }
                    { " · the same run is in the editor, with its trace" }
                </p>
                { mini_table(&rows.table, EXAMPLE_ROWS, SHOWN_COLUMNS, &|_| (None, None), None) }
            </div>
        },
        (Ok(_), None) => html! { <p class="small muted">{ "Done." }</p> },
    });
    html! {
        <div class="sql-example-block" data-sql-example="">
            <pre class="sql-example"><code>{ highlighted(&props.sql) }</code></pre>
            <div class="sql-example-actions">
                <button class="sql-example-run" onclick={run}>{ "▶ Run" }</button>
                <button class="ghost sql-example-edit" onclick={to_editor}>{ "Put in the editor" }</button>
            </div>
            { outcome.unwrap_or_default() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SqlGoalProps {
    pub lesson: AttrValue,
    pub check: Rc<SqlCheckSpec>,
    /// Open the diff of a wrong answer (the first goal of the lesson not done yet).
    #[prop_or_default]
    pub current: bool,
}

/// What the goal knows about the latest run.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    NoRun,
    Failed,
    NoRows,
    Verdict {
        verdict: SqlVerdict,
        fields: Vec<Field>,
    },
    ReferenceFailed(String),
}

/// A table of a diff's rows, headed by the learner's column names.
fn diff_table(
    title: &str,
    class: &str,
    rows: &[Vec<Value>],
    total: usize,
    fields: &[Field],
) -> Html {
    if total == 0 {
        return html! {};
    }
    let table = Table::from_rows(fields.to_vec(), rows);
    let more = total.saturating_sub(rows.len());
    html! {
        <div class={classes!("sql-diff-side", class.to_string())}>
            <h4>{ format!("{title} ({total})") }</h4>
            { mini_table(&table, rows.len(), SHOWN_COLUMNS, &|_| (None, None), None) }
            if more > 0 { <p class="small muted">{ format!("and {more} more") }</p> }
        </div>
    }
}

/// The details of a wrong answer.
fn explanation(verdict: &SqlVerdict, fields: &[Field]) -> Html {
    match verdict {
        SqlVerdict::Graded(Grade::WrongRows {
            missing,
            extra,
            missing_total,
            extra_total,
        }) => html! {
            <div class="sql-diff-tables">
                { diff_table("Missing: expected, not in your result", "missing", missing, *missing_total, fields) }
                { diff_table("Extra: in your result, not expected", "extra", extra, *extra_total, fields) }
            </div>
        },
        SqlVerdict::Graded(Grade::WrongShape(_)) => html! {
            <p class="small">{ "Compare your columns with the goal: how many it asks for, and of which kinds (numbers, text, dates). Their names do not matter." }</p>
        },
        SqlVerdict::Graded(Grade::WrongOrder { .. }) => html! {
            <p class="small">{ "Add an ORDER BY at the end of the query: without one, SQL promises no order at all." }</p>
        },
        _ => html! {},
    }
}

/// A goal graded by comparing the latest run's result with the reference query's.
#[component]
pub fn SqlGoal(props: &SqlGoalProps) -> Html {
    let lab = use_sql_lab();
    let show_hint = use_flag();
    let show_solution = use_flag();
    let run = lab.as_ref().and_then(|l| l.run.clone());
    let run_id = run.as_ref().map_or(0, |r| r.id);
    // Graded once per run, on the tables as they were when it ran.
    let status = {
        let (lab, check) = (lab.clone(), props.check.clone());
        use_memo((run_id, props.check.id.clone()), move |_| {
            let (Some(lab), Some(run)) = (lab, run) else {
                return Status::NoRun;
            };
            match (&run.result, run.rows()) {
                (Err(_), _) => Status::Failed,
                (Ok(_), None) => Status::NoRows,
                (Ok(_), Some(rows)) => {
                    match grade_result(&check, &lab.session, run.live.as_deref(), &rows.table) {
                        Ok(verdict) => Status::Verdict {
                            verdict,
                            fields: rows.table.fields.clone(),
                        },
                        Err(e) => Status::ReferenceFailed(e.to_string()),
                    }
                }
            }
        })
    };
    let met_now = matches!(&*status, Status::Verdict { verdict, .. } if verdict.is_correct());
    let done = use_goal_done(&props.lesson, &props.check.id, met_now);
    let to_editor = lab.clone().map(|lab| {
        let answer = props.check.answer.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::SetDraft(answer.clone())))
    });
    let earlier = |text: &str| -> Html {
        if done {
            html! { <p class="ok">{ "✓ Done earlier. " }<span class="muted">{ text.to_string() }</span></p> }
        } else {
            html! { <p>{ text.to_string() }</p> }
        }
    };
    let body = match &*status {
        _ if lab.is_none() => no_sql_lab(),
        Status::NoRun => earlier(
            "Write a query in the editor and run it; its result is compared with the expected one.",
        ),
        Status::Failed => earlier(
            "Your last query failed (see the error under the editor). Fix it and run it again.",
        ),
        Status::NoRows => earlier("Your last run returned no table. End it with a SELECT."),
        Status::ReferenceFailed(why) => html! {
            <p class="bad">{ format!("The lesson's reference query failed on these tables ({why}). Reload the page to restore the sample tables.") }</p>
        },
        Status::Verdict { verdict, .. } if verdict.is_correct() => html! {
            <p class="ok">{ "✓ Goal met. " }{ verdict_summary(verdict) }</p>
        },
        Status::Verdict { verdict, fields } => html! {
            <>
                { earlier(&format!("Not yet: {}", verdict_summary(verdict))) }
                if matches!(verdict, SqlVerdict::Graded(_)) {
                    <details class="sql-diff" open={props.current && !done}>
                        <summary>{ "What differs" }</summary>
                        { explanation(verdict, fields) }
                    </details>
                }
            </>
        },
    };
    let verdict_name = match &*status {
        Status::Verdict { verdict, .. } if verdict.is_correct() => "correct",
        Status::Verdict {
            verdict: SqlVerdict::NothingToCompare,
            ..
        } => "nothing",
        Status::Verdict { .. } => "wrong",
        Status::NoRun => "none",
        _ => "failed",
    };
    html! {
        <section class={classes!("goal", "sql-goal", (done || met_now).then_some("goal-done"))}
            data-goal={props.check.id.clone()} data-verdict={verdict_name}
            aria-label={format!("Goal: {}", props.check.goal)}>
            <h3><span class="goal-mark" aria-hidden="true">{ if done || met_now { "✓" } else { "○" } }</span>{ &props.check.goal }</h3>
            <div class="goal-status" role="status" aria-live="polite">{ body }</div>
            { goal_buttons(&show_hint, &show_solution) }
            if *show_hint { <p class="hint">{ &props.check.hint }</p> }
            if *show_solution {
                <div class="solution sql-solution">
                    <p>{ &props.check.solution }</p>
                    <pre class="sql-example"><code>{ highlighted(&props.check.answer) }</code></pre>
                    if let Some(to_editor) = to_editor {
                        <button class="ghost sql-solution-edit" onclick={to_editor}>{ "Put in the editor" }</button>
                    }
                </div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::super::sql::store::{SqlAction, SqlLab};
    use lab::lesson::sql::{grade_result, SqlVerdict};
    use lab::lesson::{parse_lesson, Block};
    use lab::rng::Seed;
    use lab::sql::datasets::Size;
    use lab::sql::grade::Grade;
    use lab::state::{Command, LabConfig, Preset};
    use lab::steps::{parse_steps, Step};
    use lab::timeline::Timeline;
    use std::rc::Rc;
    use yew::Reducible;

    /// A broker lab after `steps`.
    fn lab_after(steps: &str) -> Timeline {
        let mut timeline = Timeline::new(LabConfig {
            seed: Seed(7),
            preset: Preset::Broker,
        });
        for step in parse_steps(steps).unwrap() {
            match step {
                Step::Ticks(n) => (0..n).for_each(|_| {
                    timeline.advance_head().unwrap();
                }),
                Step::Broker(c) => {
                    let end = timeline.end();
                    timeline.apply_at(end, Command::Broker(c)).unwrap();
                }
                Step::Lab(c) => {
                    let end = timeline.end();
                    timeline.apply_at(end, c).unwrap();
                }
            }
        }
        timeline
    }

    #[test]
    fn runs_read_the_live_state_they_were_given_and_goals_grade_against_it() {
        let timeline = lab_after("produce orders key=k{n} count=30\ntick 5");
        let early = Rc::new(lab_after("").head().clone());
        let late = Rc::new(timeline.head().clone());
        let lab = Rc::new(SqlLab::new(Size::Rows(50), "", false));
        // Live tables appear as soon as the state is sent, and follow it.
        let lab = lab.reduce(SqlAction::SetLive(late.clone()));
        assert!(lab.session.table("kafka_partitions").is_some());
        let lab = lab.reduce(SqlAction::Run("SELECT count(*) FROM orders".into()));
        let run = lab.run.clone().unwrap();
        assert!(Rc::ptr_eq(run.live.as_ref().unwrap(), &late));
        let counted = run.rows().unwrap().table.clone();
        assert_eq!(counted.row(0)[0], lab::sql::Value::BigInt(30));
        // The cursor moves back: a goal still grades the run against the state it read.
        let lab = lab.reduce(SqlAction::SetLive(early.clone()));
        let lesson = parse_lesson("---\nid: t\ntitle: T\ntrack: SQL\nsummary: S.\npreset: broker\nsql: small\n---\n```widget sql\n```\n```sql-check\nid: n\ngoal: g\nexpected: SELECT count(*) FROM orders\nhint: h\nsolution: s\nanswer: SELECT count(*) FROM orders\n```\n").unwrap();
        let Some(Block::SqlCheck(check)) = lesson.blocks.get(1) else {
            panic!("{:?}", lesson.blocks)
        };
        assert_eq!(
            grade_result(check, &lab.session, run.live.as_deref(), &counted).unwrap(),
            SqlVerdict::Graded(Grade::Correct)
        );
        // Before anything was sent the topic is empty: a count says 0, and is graded; a grouped query has no
        // rows, so there is nothing to compare.
        let lab = lab.reduce(SqlAction::Run("SELECT count(*) FROM orders".into()));
        let run = lab.run.clone().unwrap();
        let at_zero = &run.rows().unwrap().table;
        assert_eq!(at_zero.row(0)[0], lab::sql::Value::BigInt(0));
        assert_eq!(
            grade_result(check, &lab.session, run.live.as_deref(), at_zero).unwrap(),
            SqlVerdict::Graded(Grade::Correct)
        );
        let mut grouped = check.clone();
        grouped.expected = "SELECT partition, count(*) FROM orders GROUP BY partition".into();
        assert_eq!(
            grade_result(&grouped, &lab.session, run.live.as_deref(), at_zero).unwrap(),
            SqlVerdict::NothingToCompare
        );
    }
}
