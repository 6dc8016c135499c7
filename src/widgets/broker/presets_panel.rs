//! Preset failover scenarios for the replication lab ([`crate::presets`]): one button each; a
//! click runs the preset's steps into a fresh timeline and opens it, then the panel shows what the
//! preset is about and whether its goal holds at the tick on screen.

use crate::presets::{presets, run};
use crate::store::{LabAction, Loaded, Notice};
use lab::check::Verdict;
use std::rc::Rc;
use yew::prelude::*;

#[component]
pub fn PresetsPanel() -> Html {
    let session = crate::widgets::use_lab();
    let all = presets();
    let error = use_state(|| None::<String>);
    let load = |id: String| {
        let (session, error, all) = (session.clone(), error.clone(), Rc::clone(&all));
        Callback::from(move |_: MouseEvent| {
            let Some(preset) = all.find(&id) else {
                return;
            };
            match run(preset) {
                Ok(timeline) => {
                    error.set(None);
                    let end = timeline.end();
                    session.dispatch(LabAction::Load(Loaded {
                        timeline: Rc::new(timeline),
                        from: format!("preset:{id}"),
                        notice: Notice {
                            is_error: false,
                            text: format!(
                                "Scenario loaded: {} steps ran to tick {}.",
                                preset.steps().count(),
                                end.0
                            ),
                            hint: "Scrub back before the failure, then fork it below.".into(),
                        },
                    }));
                }
                Err(why) => error.set(Some(format!(
                    "\"{}\" could not run: {why}",
                    preset.meta.title
                ))),
            }
        })
    };
    let current = session
        .loaded_from
        .as_deref()
        .and_then(|from| from.strip_prefix("preset:"))
        .and_then(|id| all.find(id));
    html! {
        <div class="presets">
            <ul class="preset-list" aria-label="Failover scenarios">
                { for all.lessons.iter().map(|p| {
                    let active = current.is_some_and(|c| c.meta.id == p.meta.id);
                    html! {
                        <li>
                            <button type="button" class={classes!("preset-button", active.then_some("is-active"))} data-preset={p.meta.id.clone()}
                                aria-pressed={active.to_string()} title={p.meta.summary.trim_matches('"').to_string()} onclick={load(p.meta.id.clone())}>
                                { &p.meta.title }
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if let Some(why) = &*error { <p class="field-error" role="alert">{ why.clone() }</p> }
            { for all.problems.iter().map(|p| html! { <p class="field-error">{ format!("A preset file could not be read: {p}") }</p> }) }
            if let Some(preset) = current {
                <div class="preset-about">
                    <h3>{ &preset.meta.title }</h3>
                    <p class="small">{ preset.meta.summary.trim_matches('"') }</p>
                    <details class="preset-details">
                        <summary>{ "The story and the steps" }</summary>
                        { for preset.blocks.iter().map(|block| match block {
                            lab::lesson::Block::Markdown(text) => html! { <div class="prose small">{ crate::markdown::render(text) }</div> },
                            lab::lesson::Block::Steps { text, .. } => html! { <pre class="preset-steps"><code>{ text.clone() }</code></pre> },
                            _ => html! {},
                        }) }
                    </details>
                    { for preset.checks().map(|check| {
                        let verdict = session.with_observation(|o| check.when.evaluate(o));
                        let met = verdict == Verdict::Met;
                        html! {
                            <div class={classes!("preset-goal", met.then_some("is-met"))} role="status">
                                <strong>{ if met { "✓ " } else { "○ " } }{ &check.goal }</strong>
                                { match verdict {
                                    Verdict::Met => html! { <span class="small">{ format!(" Holds at tick {}.", session.cursor.0) }</span> },
                                    Verdict::NotYet(reasons) => html! { <span class="small muted">{ format!(" Not at tick {}: {}", session.cursor.0, reasons.join("; ")) }</span> },
                                } }
                            </div>
                        }
                    }) }
                </div>
            }
        </div>
    }
}
