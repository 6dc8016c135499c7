//! The SQL editor: a plain `<textarea>` (so typing, selection, undo and screen readers work as
//! everywhere) over a `<pre>` of coloured spans that shows through its transparent text. Long
//! lines wrap: the `<pre>` is in the flow and sets the height, the textarea lies exactly over it
//! with the same box and wrapping rules and never scrolls itself, and the frame around both
//! scrolls them together past its maximum height. Ctrl or Cmd+Enter runs, as does the Run
//! button; the history restores earlier queries; an error shows its message, the offending line
//! (wrapped like the editor's) with the token at the error's column marked and a caret under it,
//! and the hint, and the editor underlines the same token.

use super::highlight::{offset_of, tokenize, TokenKind};
use super::store::{Run, SqlAction};
use super::use_sql;
use crate::widgets::hooks::{use_flag, use_text_with};
use gloo_timers::callback::Timeout;
use lab::sql::{ErrorKind, SqlError};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// How long the button shows "Running…" before the query runs, so that the state paints before
/// the engine holds the main thread.
const PAINT_DELAY_MS: u32 = 30;

/// A learner's words for an error kind.
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "Syntax error",
        ErrorKind::UnknownTable => "Unknown table",
        // An ambiguous name is one no single column answers to.
        ErrorKind::UnknownColumn | ErrorKind::AmbiguousColumn => "Unknown column",
        ErrorKind::UnknownFunction => "Unknown function",
        ErrorKind::Type => "Type error",
        ErrorKind::Unsupported => "Not supported",
        // Nesting deeper than the engine goes is a budget like the others.
        ErrorKind::Limit | ErrorKind::TooDeep => "Over budget",
        ErrorKind::Runtime => "Error while running",
        ErrorKind::Catalog => "Table error",
    }
}

/// The coloured copy of `sql`, with the token at `error_at` (a byte offset) underlined.
fn highlighted(sql: &str, error_at: Option<usize>) -> Html {
    let tokens = tokenize(sql);
    let mut marked = false;
    let spans = tokens.iter().map(|t| {
        let text = &sql[t.start..t.end];
        let is_error = error_at.is_some_and(|at| {
            !marked && t.kind != TokenKind::Space && at >= t.start && at < t.end
        });
        marked |= is_error;
        match (t.kind.class(), is_error) {
            (None, false) => html! { { text } },
            (class, _) => html! { <span class={classes!(class, is_error.then_some("tok-error"))}>{ text }</span> },
        }
    });
    let spans: Vec<Html> = spans.collect();
    // An error after the last token (a missing end of the query) gets a marker of its own.
    let tail = error_at.is_some_and(|at| !marked && at >= sql.trim_end().len());
    html! {
        <>
            { for spans }
            if tail { <span class="tok-error tok-end">{ " " }</span> }
            // A final newline needs a line after it to take up room, as in the textarea.
            { "\n " }
        </>
    }
}

/// The line of `sql` an error is on, with the token at its column marked: (before, the token,
/// after). The token is the one the editor underlines; a position past the line's end or on a
/// space marks that one character (a space when there is none).
pub fn error_line(error: &SqlError, sql: &str) -> Option<(String, String, String)> {
    let p = error.position?;
    let line = sql.lines().nth(p.line.checked_sub(1)?)?;
    let at = offset_of(line, 1, p.column).min(line.len());
    let token = tokenize(line)
        .into_iter()
        .find(|t| t.kind != TokenKind::Space && at >= t.start && at < t.end);
    let end = match token {
        Some(t) => t.end,
        None => line[at..].chars().next().map_or(at, |c| at + c.len_utf8()),
    };
    let start = token.map_or(at, |t| t.start);
    let marked = if start == end { " " } else { &line[start..end] };
    Some((
        line[..start].to_string(),
        marked.to_string(),
        line[end..].to_string(),
    ))
}

/// The error panel: message, position, the line with the marked token and its caret, the hint.
pub fn error_panel(error: &SqlError, sql: &str) -> Html {
    html! {
        <div class="sql-error" role="alert" data-kind={kind_name(error.kind)}>
            <p class="sql-error-message">
                <span class="badge badge-bad">{ kind_name(error.kind) }</span>{ " " }
                { &error.message }
                if let Some(p) = error.position {
                    <span class="muted">{ format!(" (line {}, column {})", p.line, p.column) }</span>
                }
            </p>
            if let Some((before, marked, after)) = error_line(error, sql) {
                <pre class="sql-caret" aria-label="Where the error is">{ before }<span class="caret-at">{ marked }</span>{ after }</pre>
            }
            if let Some(hint) = &error.hint {
                <p class="hint">{ hint }</p>
            }
        </div>
    }
}

#[component]
pub fn SqlEditor() -> Html {
    let lab = use_sql();
    let text = use_text_with(&|| lab.draft.text.to_string());
    let running = use_flag();
    {
        let (text, draft) = (text.clone(), lab.draft.clone());
        use_effect_with(draft.revision, move |revision| {
            if *revision > 0 {
                text.set(draft.text.to_string());
            }
        });
    }
    let run = {
        let (lab, text, running) = (lab.clone(), text.clone(), running.clone());
        Callback::from(move |()| {
            if *running {
                return;
            }
            running.set(true);
            let (lab, sql, running) = (lab.clone(), (*text).clone(), running.clone());
            Timeout::new(PAINT_DELAY_MS, move || {
                lab.dispatch(SqlAction::Run(sql));
                running.set(false);
            })
            .forget();
        })
    };
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_key = {
        let run = run.clone();
        Callback::from(move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key() == "Enter" {
                e.prevent_default();
                run.emit(());
            }
        })
    };
    let on_run = {
        let run = run.clone();
        Callback::from(move |_: MouseEvent| run.emit(()))
    };
    let last: Option<&Run> = lab.run.as_deref();
    // The error is marked while the text is the one that failed.
    let error = last.and_then(|r| r.result.as_ref().err().map(|e| (e, r.sql.as_str())));
    let error_at = error
        .filter(|(_, sql)| *sql == text.as_str())
        .and_then(|(e, sql)| e.position.map(|p| offset_of(sql, p.line, p.column)));
    let history = lab.history.clone();
    html! {
        <div class="sql-editor">
            <label class="visually-hidden" for="sql-input">{ "SQL query" }</label>
            <div class="sql-code">
                <div class="sql-code-stack">
                    <pre class="sql-highlight" aria-hidden="true">{ highlighted(&text, error_at) }</pre>
                    <textarea id="sql-input" class="sql-input" value={(*text).clone()} oninput={on_input}
                        onkeydown={on_key} spellcheck="false" autocapitalize="off"
                        autocomplete="off" aria-describedby="sql-keys" />
                </div>
            </div>
            <div class="sql-actions">
                <button class="primary sql-run" onclick={on_run} disabled={*running} aria-busy={running.to_string()}>
                    { if *running { "Running…" } else { "▶ Run" } }
                </button>
                <span id="sql-keys" class="muted small"><kbd>{ "Ctrl" }</kbd>{ "+" }<kbd>{ "Enter" }</kbd>{ " runs (" }<kbd>{ "⌘" }</kbd>{ "+" }<kbd>{ "Enter" }</kbd>{ " on a Mac)" }</span>
                <HistoryList history={history} />
            </div>
            if let Some((error, sql)) = error {
                { error_panel(error, sql) }
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct HistoryListProps {
    history: Vec<String>,
}

/// Earlier queries, newest first; a click puts one back in the editor.
#[component]
fn HistoryList(props: &HistoryListProps) -> Html {
    let lab = use_sql();
    let clear = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::ClearHistory))
    };
    html! {
        <details class="sql-history">
            <summary>{ format!("History ({})", props.history.len()) }</summary>
            if props.history.is_empty() {
                <p class="muted small">{ "Queries you run appear here." }</p>
            } else {
                <ol class="sql-history-list">
                    { for props.history.iter().map(|q| {
                        let restore = {
                            let (lab, q) = (lab.clone(), q.clone());
                            Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::SetDraft(q.clone())))
                        };
                        html! { <li><button class="history-item" onclick={restore} title={q.clone()}>{ q.replace('\n', " ") }</button></li> }
                    }) }
                </ol>
                <button class="ghost small history-clear" onclick={clear}>{ "Clear history" }</button>
            }
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::error_line;
    use lab::sql::{ErrorKind, Position, SqlError};

    fn marked(sql: &str, line: usize, column: usize) -> Option<(String, String, String)> {
        let e = SqlError::new(ErrorKind::Syntax, "x").at(Some(Position { line, column }));
        error_line(&e, sql)
    }

    fn parts(before: &str, token: &str, after: &str) -> Option<(String, String, String)> {
        Some((before.into(), token.into(), after.into()))
    }

    #[test]
    fn the_error_line_marks_the_token_at_the_column() {
        let sql = "SELECT event_type, count(*\nFROM push_events";
        assert_eq!(marked(sql, 2, 1), parts("", "FROM", " push_events"));
        assert_eq!(
            marked(sql, 1, 20),
            parts("SELECT event_type, ", "count", "(*")
        );
        // Inside a token, the whole token; on a space, that space; past the end, a space.
        assert_eq!(
            marked(sql, 1, 10),
            parts("SELECT ", "event_type", ", count(*")
        );
        assert_eq!(marked("a  b", 1, 2), parts("a", " ", " b"));
        assert_eq!(marked("SELECT (1", 1, 10), parts("SELECT (1", " ", ""));
        // Columns count characters, not bytes.
        assert_eq!(
            marked("SELECT 'é', zz", 1, 13),
            parts("SELECT 'é', ", "zz", "")
        );
        assert_eq!(marked(sql, 3, 1), None);
    }
}
