//! The spec editor: the YAML of a Rollout (with its AnalysisTemplates) or a Flagger Canary, in a
//! textarea with a line gutter. The text is parsed as the learner types (after a short pause) by
//! the engine's own parser, and every error is drawn under the line it is on, with its column,
//! message and hint; Apply journals the spec and stays disabled while there are errors. An
//! example picker loads one of the engine's bundled specs into the editor.
//!
//! The editor follows the lab: when the applied spec changes (a lesson's step, a scrub, a fork)
//! the text becomes that spec again.

use super::{no_rollout, refusal_view, try_send};
use crate::widgets::hooks::{use_refusal, use_text, use_text_with};
use gloo_timers::callback::Timeout;
use lab::rollout_lab::command::RolloutCommand;
use lab::rollout_lab::specs::EXAMPLES;
use lab::rollout_lab::{parse_spec, SpecError};
use yew::prelude::*;

/// How long typing must pause before the text is parsed, in milliseconds.
const PARSE_DELAY_MS: u32 = 250;

/// Every problem in `text`, in line order (none when it parses).
pub fn problems(text: &str) -> Vec<SpecError> {
    let mut errors = parse_spec(text).err().unwrap_or_default();
    lab::sim::sort::sort_by_key(&mut errors, |e| (e.line, e.column));
    errors
}

/// One error under a copy of its line, with a caret at its column.
fn error_view(text: &str, error: &SpecError) -> Html {
    let line = text.lines().nth(error.line.saturating_sub(1)).unwrap_or("");
    // The caret sits under the column (columns count characters, 1-based).
    let caret = format!("{}^", " ".repeat(error.column.saturating_sub(1)));
    html! {
        <li class="rs-error" data-line={error.line.to_string()}>
            <pre class="rs-error-code"><span class="rs-ln">{ format!("{:>3} ", error.line) }</span>{ line.to_string() }{ "\n" }<span class="rs-ln">{ "    " }</span><span class="rs-caret">{ caret }</span></pre>
            <p class="rs-error-text">
                <strong>{ format!("Line {}, column {}: {}", error.line, error.column, error.message) }</strong><br />
                <span class="small">{ format!("Hint: {}", error.hint) }</span>
            </p>
        </li>
    }
}

#[component]
pub fn RolloutSpecEditor() -> Html {
    let session = crate::widgets::use_lab();
    let applied: Option<String> = session.view.rollouts().map(|r| r.spec_text().to_string());
    let text = use_text_with(&|| applied.clone().unwrap_or_default());
    let errors = use_state(Vec::<SpecError>::new);
    let refusal = use_refusal();
    let timer = use_mut_ref(|| None::<Timeout>);
    let picked = use_text("");
    // The lab's spec changed (applied, scrubbed, forked, a lesson's step): show it.
    {
        let (text, errors, refusal) = (text.clone(), errors.clone(), refusal.clone());
        use_effect_with(applied.clone(), move |applied| {
            if let Some(applied) = applied {
                text.set(applied.clone());
                errors.set(Vec::new());
                refusal.set(None);
            }
        });
    }
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let on_input = {
        let (text, errors, timer) = (text.clone(), errors.clone(), timer.clone());
        Callback::from(move |e: InputEvent| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value();
            text.set(value.clone());
            let errors = errors.clone();
            // Replacing the pending timeout cancels it: only the last pause parses.
            *timer.borrow_mut() = Some(Timeout::new(PARSE_DELAY_MS, move || {
                errors.set(problems(&value));
            }));
        })
    };
    let on_pick = {
        let (text, errors, picked, timer) =
            (text.clone(), errors.clone(), picked.clone(), timer.clone());
        Callback::from(move |e: Event| {
            let name = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Some(example) = EXAMPLES.iter().find(|x| x.name == name) {
                timer.borrow_mut().take();
                text.set(example.yaml.to_string());
                errors.set(problems(example.yaml));
            }
            picked.set(name);
        })
    };
    let on_apply = {
        let (session, text, errors, refusal) = (
            session.clone(),
            text.clone(),
            errors.clone(),
            refusal.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            // Parsed now, not after the pause: Apply never sends text it has not checked.
            let found = problems(&text);
            if !found.is_empty() {
                errors.set(found);
                return;
            }
            refusal.set(
                try_send(
                    &session,
                    RolloutCommand::ApplySpec {
                        yaml: (*text).clone(),
                    },
                )
                .err(),
            );
        })
    };
    let on_revert = {
        let (text, errors, applied) = (
            text.clone(),
            errors.clone(),
            rollouts.spec_text().to_string(),
        );
        Callback::from(move |_: MouseEvent| {
            text.set(applied.clone());
            errors.set(Vec::new());
        })
    };
    let error_lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    let line_count = text.lines().count().max(1) + usize::from(text.ends_with('\n'));
    let edited = *text != rollouts.spec_text();
    html! {
        <div class="rollout-spec" data-errors={errors.len().to_string()} data-edited={edited.to_string()}>
            <div class="inline-form rs-toolbar">
                <label>{ "Example " }
                    <select class="rs-example" onchange={on_pick} aria-label="Load an example spec into the editor">
                        <option value="" selected={picked.is_empty()}>{ "Load an example…" }</option>
                        { for EXAMPLES.iter().map(|x| html! {
                            <option value={x.name} selected={*picked == x.name}>{ x.title }</option>
                        }) }
                    </select>
                </label>
                <span class="small muted rs-applied">
                    { format!("Applied: {} ({})", rollouts.spec_name(), rollouts.strategy()) }
                    if edited { <strong class="rs-edited">{ " · edited, not applied" }</strong> }
                </span>
            </div>
            <div class="rs-editor">
                <pre class="rs-gutter" aria-hidden="true">
                    { for (1..=line_count).map(|n| {
                        let bad = error_lines.contains(&n);
                        html! { <span class={classes!(bad.then_some("rs-gutter-error"))}>{ format!("{}{n}\n", if bad { "✗ " } else { "" }) }</span> }
                    }) }
                </pre>
                <textarea class="rs-text" rows={line_count.to_string()} spellcheck="false" wrap="off"
                    aria-label="Rollout spec (YAML)" value={(*text).clone()} oninput={on_input} />
            </div>
            if !errors.is_empty() {
                <ol class="rs-errors" role="alert" aria-label="Problems in the spec">
                    { for errors.iter().map(|e| error_view(&text, e)) }
                </ol>
            }
            <div class="inline-form">
                <button class="primary rs-apply" disabled={!errors.is_empty()} onclick={on_apply}
                    title={(!errors.is_empty()).then_some("Fix the errors shown under their lines first")}>{ "Apply spec" }</button>
                <button class="rs-revert" disabled={!edited} onclick={on_revert}>{ "Back to the applied spec" }</button>
                <span class="small muted">
                    { if errors.is_empty() { "Applying journals the spec; while a rollout runs, promote it fully or abort it first." } else { "Apply is disabled until every error is fixed." } }
                </span>
            </div>
            { refusal_view(&refusal) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_example_parses_and_a_bad_weight_is_found_on_its_line() {
        for example in EXAMPLES {
            assert!(problems(example.yaml).is_empty(), "{}", example.name);
        }
        // The default spec with its first weight out of range.
        let good = EXAMPLES[0].yaml;
        let line = good
            .lines()
            .position(|l| l.contains("setWeight: 20"))
            .expect("the default spec starts at 20%")
            + 1;
        let bad = good.replacen("setWeight: 20", "setWeight: 950", 1);
        let found = problems(&bad);
        assert!(found.iter().any(|e| e.line == line), "{found:?}");
    }
}
