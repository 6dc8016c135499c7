//! Preset failover scenarios for the replication lab ([`crate::presets`]): one button each. A
//! click runs the preset's setup into a fresh timeline and opens it paused just before the
//! failure, with the key moment's caption and "Play the failure" (a [`Narrator`]); the panel also
//! shows what the preset is about and whether its goal holds at the tick on screen.

use crate::icons::{icon, Icon};
use crate::presets::{open, presets, Opened};
use crate::store::{LabAction, Loaded, Notice};
use crate::widgets::steps::{Narrator, Start};
use lab::check::Verdict;
use lab::steps::Script;
use std::rc::Rc;
use yew::prelude::*;

/// The preset on screen, ready to play its failure; `load` counts loads, so loading the same
/// preset again starts a new narration.
struct Playable {
    id: String,
    text: AttrValue,
    script: Rc<Script>,
    load: u64,
}

/// Scrolls the lab's clock and cluster picture to the top of the window, for the failure to
/// play in view (the caption bar floats at the bottom meanwhile).
fn bring_the_lab_into_view() {
    let lab = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".lab-top").ok().flatten());
    if let Some(lab) = lab {
        lab.scroll_into_view();
    }
}

#[component]
pub fn PresetsPanel() -> Html {
    let session = crate::widgets::use_lab();
    let all = presets();
    let error = use_state(|| None::<String>);
    let playable = use_state(|| None::<Playable>);
    let load = |id: String| {
        let (session, error, all) = (session.clone(), error.clone(), Rc::clone(&all));
        let playable = playable.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(preset) = all.find(&id) else {
                return;
            };
            match open(preset) {
                Ok(Opened {
                    timeline,
                    text,
                    script,
                }) => {
                    error.set(None);
                    let end = timeline.end();
                    session.dispatch(LabAction::Load(Loaded {
                        timeline: Rc::new(timeline),
                        from: format!("preset:{id}"),
                        notice: Notice {
                            is_error: false,
                            text: format!(
                                "Scenario ready: {} of {} steps ran to tick {}, just before the failure.",
                                script.setup().len(),
                                script.steps.len(),
                                end.0
                            ),
                            hint: "Play the failure below, or skip to the end; then scrub back and fork it.".into(),
                        },
                    }));
                    playable.set(Some(Playable {
                        id: id.clone(),
                        text: text.into(),
                        script: Rc::new(script),
                        load: playable.as_ref().map_or(0, |p| p.load + 1),
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
                            <button type="button" class={if active { "preset-button is-active" } else { "preset-button" }} data-preset={p.meta.id.clone()}
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
                    if let Some(playing) = playable.as_ref().filter(|p| p.id == preset.meta.id) {
                        <Narrator key={format!("{}-{}", playing.id, playing.load)} text={playing.text.clone()}
                            script={playing.script.clone()} start={Start::AfterSetup} play_label="Play the failure"
                            folded=true on_play={Callback::from(|()| bring_the_lab_into_view())} />
                    }
                    <details class="preset-details">
                        <summary>{ "The story" }</summary>
                        { for preset.blocks.iter().map(|block| match block {
                            lab::lesson::Block::Markdown(text) => html! { <div class="prose small">{ crate::markdown::render(text) }</div> },
                            _ => html! {},
                        }) }
                    </details>
                    { for preset.checks().map(|check| {
                        let verdict = session.with_observation(|o| check.when.evaluate(o));
                        let met = verdict == Verdict::Met;
                        html! {
                            <div class={if met { "preset-goal is-met" } else { "preset-goal" }} role="status">
                                <strong>
                                    { icon(if met { Icon::Check } else { Icon::Open }) }
                                    <span class="visually-hidden">{ if met { "Goal met: " } else { "Goal not met yet: " } }</span>
                                    { &check.goal }
                                </strong>
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
