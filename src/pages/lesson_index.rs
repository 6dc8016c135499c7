//! The lesson index: lessons grouped by track with progress (the goals done, and how many of them
//! the learner met on their own, by the steps block, or after the solution), and the progress
//! panel (export, import, forget; unreadable saved progress reported and downloadable).

use crate::files::download;
use crate::lessons::catalog;
use crate::progress::{self, MetBy, Progress, ProgressAction, ProgressHandle};
use crate::route::Route;
use crate::widgets::hooks::{use_flag, use_text};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

#[component]
fn ProgressPanel() -> Html {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let import_text = use_text("");
    let confirm_forget = use_flag();
    let on_export = {
        let progress = progress.clone();
        Callback::from(move |_: MouseEvent| {
            let _ = download(
                "flowlab-progress.json",
                "application/json",
                &progress.progress.to_json(),
            );
        })
    };
    let on_import = {
        let (progress, import_text) = (progress.clone(), import_text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            progress.dispatch(ProgressAction::Import((*import_text).clone()));
        })
    };
    let on_text = {
        let import_text = import_text.clone();
        Callback::from(move |e: InputEvent| {
            import_text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_file = {
        let progress = progress.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let progress = progress.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
                progress.dispatch(ProgressAction::Import(text));
            });
        })
    };
    let on_forget = {
        let (progress, confirm_forget) = (progress.clone(), confirm_forget.clone());
        Callback::from(move |_: MouseEvent| {
            if *confirm_forget {
                progress.dispatch(ProgressAction::ForgetAll);
                confirm_forget.set(false);
            } else {
                confirm_forget.set(true);
            }
        })
    };
    let on_download_unreadable = Callback::from(|_: MouseEvent| {
        if let Some(text) = progress::unreadable() {
            let _ = download("flowlab-unreadable-progress.txt", "text/plain", &text);
        }
    });
    let dismiss_problem = {
        let progress = progress.clone();
        Callback::from(move |_: MouseEvent| progress.dispatch(ProgressAction::DismissProblem))
    };
    html! {
        <section class="progress-panel" aria-labelledby="progress-title">
            <h2 id="progress-title">{ "Your progress" }</h2>
            if let Some(problem) = progress.problem.clone() {
                <div class="notice notice-error" role="alert">
                    <p>{ problem }</p>
                    <button onclick={on_download_unreadable}>{ "Download the unreadable data" }</button>
                    <button class="ghost" onclick={dismiss_problem}>{ "Dismiss" }</button>
                </div>
            }
            <p class="muted">{ "Progress is saved in this browser only. Export it to keep it or move it to another browser." }</p>
            <p>
                <button onclick={on_export}>{ "Export progress" }</button>{ " " }
                <button class="danger" onclick={on_forget}>{ if *confirm_forget { "Click again to forget all progress" } else { "Forget all progress" } }</button>
            </p>
            <form class="import-form" onsubmit={on_import}>
                <label for="import-text">{ "Import progress: paste an exported file's contents, or choose the file" }</label>
                <textarea id="import-text" rows="3" value={(*import_text).clone()} oninput={on_text} placeholder="{\"schema\": 2, \"completed\": {…}}" />
                <div>
                    <button type="submit">{ "Import pasted progress" }</button>{ " " }
                    <input type="file" accept=".json,application/json" onchange={on_file} aria-label="Import progress from a file" />
                </div>
            </form>
            if let Some((is_error, message)) = progress.message.clone() {
                <p class={if is_error { "field-error" } else { "ok" }} role="status">{ message }</p>
            }
        </section>
    }
}

/// How the goals done in these lessons were met: "2 by you · 1 by the lesson's steps", or nothing
/// when none is done.
fn provenance(progress: &Progress, lessons: &[&lab::lesson::Lesson]) -> Html {
    let count = |by| -> usize {
        lessons
            .iter()
            .map(|l| progress.done_by(&l.meta.id, by))
            .sum()
    };
    let parts: Vec<String> = [
        (MetBy::Learner, "by you"),
        (MetBy::Steps, "by the lesson's steps"),
        (MetBy::Solution, "after the solution"),
    ]
    .into_iter()
    .map(|(by, words)| (count(by), words))
    .filter(|(n, _)| *n > 0)
    .map(|(n, words)| format!("{n} {words}"))
    .collect();
    if parts.is_empty() {
        return html! {};
    }
    html! { <span class="goal-provenance">{ parts.join(" · ") }</span> }
}

#[component]
pub fn LessonIndex() -> Html {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let catalog = catalog();
    html! {
        <section class="page lesson-index">
            <h1>{ "Lessons" }</h1>
            { for catalog.problems.iter().map(|p| html! { <p class="notice notice-error" role="alert">{ format!("A lesson could not be loaded: {p}") }</p> }) }
            { for catalog.tracks().into_iter().map(|(track, lessons)| {
                let goals: usize = lessons.iter().map(|l| l.goal_count()).sum();
                let done: usize = lessons.iter().map(|l| progress.progress.done_count(&l.meta.id).min(l.goal_count())).sum();
                html! {
                    <section class="track">
                        <h2>{ track }<span class="track-progress">{ format!("{done} / {goals} goals") }{ provenance(&progress.progress, &lessons) }</span></h2>
                        <ol class="lesson-list">
                            { for lessons.iter().map(|lesson| {
                                let goals = lesson.goal_count();
                                let done = progress.progress.done_count(&lesson.meta.id).min(goals);
                                html! {
                                    <li class={classes!("lesson-item", (done == goals).then_some("complete"))}>
                                        <Link<Route> to={Route::Lesson { id: lesson.meta.id.clone() }}>{ &lesson.meta.title }</Link<Route>>
                                        <span class="lesson-done">{ if done == goals { "✓ complete".to_string() } else { format!("{done} / {goals} goals") } }{ provenance(&progress.progress, &[lesson]) }</span>
                                        <p class="muted">{ &lesson.meta.summary }</p>
                                    </li>
                                }
                            }) }
                        </ol>
                    </section>
                }
            }) }
            <ProgressPanel />
        </section>
    }
}
