//! The trace: how the engine evaluated the query, clause by clause, as a sequence of small tables
//! (FROM and JOINs, WHERE, GROUP BY, HAVING, window functions, SELECT, DISTINCT, ORDER BY,
//! LIMIT), each with its row count. A filter (WHERE, HAVING) shows its input with the rows that
//! survive highlighted and the others struck out; GROUP BY shows which input rows formed each
//! group, in colour bands, next to the groups it made; an ASOF JOIN marks each output row with the
//! left row and the right row it came from, and lists the left rows that matched nothing. Big
//! steps show their first rows and say so.

use super::{format_count, mini_table, rows_text, use_sql};
use crate::widgets::hooks::use_flag;
use lab::sql::exec::{AsofTrace, TraceStep, TRACE_ROWS_MAX};
use yew::prelude::*;

/// Rows shown per step, and with "show more".
pub const STEP_ROWS: usize = 8;
pub const STEP_ROWS_MORE: usize = 50;
/// Columns shown per step.
pub const STEP_COLUMNS: usize = 8;
/// Distinct colour bands for groups (then they repeat; the group number is always shown).
const BANDS: usize = 8;

fn shown_note(shown: usize, total: usize, what: &str) -> Html {
    if total <= shown {
        return html! {};
    }
    let kept = if total > TRACE_ROWS_MAX {
        format!(" (the trace keeps the first {TRACE_ROWS_MAX})")
    } else {
        String::new()
    };
    html! {
        <p class="trace-note small muted">{ format!("Showing the first {shown} of {} {what}{kept}.", format_count(total as u64)) }</p>
    }
}

/// Which of the first left rows matched nothing, and what became of them.
fn unmatched_note(asof: &AsofTrace, limit: usize) -> String {
    let unmatched = asof.unmatched();
    let of = asof.matches.len();
    let fate = if asof.keep_unmatched {
        "kept with NULLs (ASOF LEFT JOIN)"
    } else {
        "dropped (an inner ASOF JOIN keeps only matched rows)"
    };
    let mut listed: Vec<String> = unmatched
        .iter()
        .take(limit)
        .map(|l| format!("L{}", l + 1))
        .collect();
    if unmatched.len() > limit {
        listed.push("…".to_string());
    }
    match unmatched.len() {
        _ if of == 0 => "The left input has no rows.".to_string(),
        0 => format!("Each of the first {of} left rows found a match."),
        n => format!(
            "{n} of the first {of} left rows matched nothing and are {fate}: {}.",
            listed.join(", ")
        ),
    }
}

/// An ASOF JOIN step: its output rows, each marked "L3 → R5" (1-based rows of the left and right
/// inputs), and which left rows matched nothing (kept with NULLs, or dropped).
fn asof_view(step: &TraceStep, asof: &AsofTrace, limit: usize) -> Html {
    let behind = asof.output_rows();
    let mark = |r: usize| match behind.get(r) {
        Some((l, Some(m))) => (
            None,
            Some(
                html! { <span class="asof-match" title={format!("left row {} matched right row {}", l + 1, m + 1)}>{ format!("L{} → R{}", l + 1, m + 1) }</span> },
            ),
        ),
        Some((l, None)) => (
            Some("asof-unmatched".to_string()),
            Some(
                html! { <span class="muted" title="no right row matched: its right columns are NULL">{ format!("L{} → none", l + 1) }</span> },
            ),
        ),
        None => (None, None),
    };
    let unmatched_note = unmatched_note(asof, limit);
    let shown = step.table.rows.min(limit);
    html! {
        <>
            <p class="trace-explain small">
                { "Each output row with the left row (L) and the right row (R) it joins, numbered as in the two input steps: the right row is the nearest one on the inequality's side with equal keys." }
            </p>
            { mini_table(&step.table, limit, STEP_COLUMNS, &mark, Some("match")) }
            { shown_note(shown, step.rows, "rows") }
            <p class="trace-explain small asof-unmatched-note">{ unmatched_note }</p>
        </>
    }
}

fn group_badge(g: usize) -> Html {
    html! { <span class={classes!("group-badge", format!("band-{}", g % BANDS))}>{ format!("g{}", g + 1) }</span> }
}

/// One step, drawn against its input (the step before it) when it filters or groups.
fn step_view(n: usize, step: &TraceStep, input: Option<&TraceStep>, limit: usize) -> Html {
    let kind = match (&step.survivors, &step.groups, &step.asof) {
        (Some(_), _, _) if input.is_some() => "filter",
        (_, Some(_), _) if input.is_some() => "group",
        (_, _, Some(_)) => "asof",
        _ => "plain",
    };
    let counts = match input {
        Some(input) if kind == "filter" || kind == "group" => format!(
            "{} → {}",
            format_count(input.rows as u64),
            rows_text(step.rows)
        ),
        _ => rows_text(step.rows),
    };
    let body = match (kind, input) {
        ("filter", Some(input)) => {
            let survivors = step.survivors.as_deref().unwrap_or_default();
            let shown = input.table.rows.min(limit);
            let kept_shown = survivors.iter().filter(|r| **r < shown).count();
            let mark = |r: usize| {
                if survivors.binary_search(&r).is_ok() {
                    (
                        Some("kept".to_string()),
                        Some(html! { <span class="mark-kept" title="kept">{ "✓" }</span> }),
                    )
                } else {
                    (
                        Some("dropped".to_string()),
                        Some(html! { <span class="mark-dropped" title="dropped">{ "✗" }</span> }),
                    )
                }
            };
            html! {
                <>
                    <p class="trace-explain small">
                        { format!("The input (step {n_in}) with the rows that pass highlighted: {kept_shown} of the {shown} shown are kept, the rest are dropped.", n_in = n - 1) }
                    </p>
                    { mini_table(&input.table, limit, STEP_COLUMNS, &mark, Some("")) }
                    { shown_note(shown, input.rows, "input rows") }
                </>
            }
        }
        ("asof", _) => match &step.asof {
            Some(asof) => asof_view(step, asof, limit),
            None => html! {},
        },
        ("group", Some(input)) => {
            let groups = step.groups.as_deref().unwrap_or_default();
            let mut group_of = vec![None; input.table.rows];
            for (g, members) in groups.iter().enumerate() {
                for r in members {
                    if let Some(slot) = group_of.get_mut(*r) {
                        *slot = Some(g);
                    }
                }
            }
            let shown_in = input.table.rows.min(limit);
            let mark_in = |r: usize| match group_of.get(r).copied().flatten() {
                Some(g) => (
                    Some(format!("band band-{}", g % BANDS)),
                    Some(group_badge(g)),
                ),
                None => (None, Some(html! { <span class="muted">{ "…" }</span> })),
            };
            let mark_out = |g: usize| {
                (
                    Some(format!("band band-{}", g % BANDS)),
                    Some(group_badge(g)),
                )
            };
            let shown_out = step.table.rows.min(limit);
            html! {
                <>
                    <p class="trace-explain small">
                        { format!("The input (step {}) with each row's group: rows with the same GROUP BY values form one group, in the colour of its row below.", n - 1) }
                    </p>
                    { mini_table(&input.table, limit, STEP_COLUMNS, &mark_in, Some("group")) }
                    { shown_note(shown_in, input.rows, "input rows") }
                    <p class="trace-explain small">{ format!("{}: one row per group.", rows_text(step.rows)) }</p>
                    { mini_table(&step.table, limit, STEP_COLUMNS, &mark_out, Some("group")) }
                    { shown_note(shown_out, step.rows, "groups") }
                </>
            }
        }
        _ => {
            let shown = step.table.rows.min(limit);
            html! {
                <>
                    if step.table.fields.is_empty() {
                        <p class="muted small">{ "(no columns)" }</p>
                    } else {
                        { mini_table(&step.table, limit, STEP_COLUMNS, &|_| (None, None), None) }
                    }
                    { shown_note(shown, step.rows, "rows") }
                </>
            }
        }
    };
    html! {
        <li class={classes!("trace-step", format!("step-{kind}"))} data-operator={step.operator}>
            <h4 class="trace-step-head">
                <span class="trace-n">{ n }</span>
                <span class="trace-label">{ &step.label }</span>
                <span class="badge trace-rows">{ counts }</span>
                <span class="trace-op muted small">{ step.operator }</span>
            </h4>
            { body }
        </li>
    }
}

#[component]
pub fn TraceView() -> Html {
    let lab = use_sql();
    let more = use_flag();
    let Some(run) = lab.run.clone() else {
        return html! { <p class="muted">{ "Run a query to see its trace." }</p> };
    };
    let Some(trace) = run.rows().and_then(|r| r.trace.as_ref()) else {
        return html! { <p class="muted trace-none">{ "There is no trace: the last run was not a query that ran." }</p> };
    };
    let limit = if *more { STEP_ROWS_MORE } else { STEP_ROWS };
    let toggle = {
        let more = more.clone();
        Callback::from(move |_: MouseEvent| more.set(!*more))
    };
    html! {
        <div class="trace-view">
            <p class="small muted trace-intro">
                { format!("The query ran in {} steps, in the order the engine evaluates them (not the order they are written in).", trace.len()) }
                { " " }
                <button class="small-button trace-more" onclick={toggle} aria-pressed={more.to_string()}>
                    { if *more { format!("Show {STEP_ROWS} rows per step") } else { format!("Show up to {STEP_ROWS_MORE} rows per step") } }
                </button>
            </p>
            <ol class="trace-steps">
                { for trace.iter().enumerate().map(|(i, step)| step_view(i + 1, step, i.checked_sub(1).map(|j| &trace[j]), limit)) }
            </ol>
        </div>
    }
}
