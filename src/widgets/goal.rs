//! A lesson goal, checked live against the lab on screen. Shows whether it is met (or was met
//! earlier: progress is saved), why not yet, a hint and a revealable solution.

use crate::progress::{ProgressAction, ProgressHandle};
use lab::check::Verdict;
use lab::lesson::CheckSpec;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct GoalProps {
    pub lesson: AttrValue,
    pub check: Rc<CheckSpec>,
}

#[component]
pub fn Goal(props: &GoalProps) -> Html {
    let session = super::use_lab();
    let show_hint = use_state(|| false);
    let show_solution = use_state(|| false);
    let verdict = session.with_observation(|observation| props.check.when.evaluate(observation));
    let met_now = verdict == Verdict::Met;
    let done = use_goal_done(&props.lesson, &props.check.id, met_now);
    let status = match &verdict {
        Verdict::Met => html! { <p class="goal-status ok" role="status">{ "✓ Goal met." }</p> },
        Verdict::NotYet(reasons) => html! {
            <div class="goal-status" role="status">
                if done { <p class="ok">{ "✓ Done earlier. Not true at this tick:" }</p> } else { <p>{ "Not yet:" }</p> }
                <ul>{ for reasons.iter().map(|r| html! { <li>{ r }</li> }) }</ul>
            </div>
        },
    };
    html! {
        <section class={classes!("goal", (done || met_now).then_some("goal-done"))} data-goal={props.check.id.clone()}
            aria-label={format!("Goal: {}", props.check.goal)}>
            <h3><span class="goal-mark" aria-hidden="true">{ if done || met_now { "✓" } else { "○" } }</span>{ &props.check.goal }</h3>
            { status }
            { goal_buttons(&show_hint, &show_solution) }
            if *show_hint { <p class="hint">{ &props.check.hint }</p> }
            if *show_solution { <p class="solution">{ &props.check.solution }</p> }
        </section>
    }
}

/// Whether saved progress has the goal done; the first time it is met, saves it as done. Every
/// kind of goal (```` ```check ````, ```` ```sql-check ````) completes this way.
#[hook]
pub fn use_goal_done(lesson: &AttrValue, goal: &str, met_now: bool) -> bool {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let done = progress.progress.is_done(lesson, goal);
    let (lesson, goal) = (lesson.to_string(), goal.to_string());
    use_effect_with((met_now, done), move |&(met_now, done)| {
        if met_now && !done {
            progress.dispatch(ProgressAction::Complete { lesson, goal });
        }
    });
    done
}

/// A goal's "Hint" and "Show solution" buttons, each toggling its state.
pub fn goal_buttons(
    show_hint: &UseStateHandle<bool>,
    show_solution: &UseStateHandle<bool>,
) -> Html {
    let toggle = |state: &UseStateHandle<bool>| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.set(!*state))
    };
    html! {
        <div class="goal-actions">
            <button class="ghost goal-hint" onclick={toggle(show_hint)} aria-expanded={show_hint.to_string()}>
                { if **show_hint { "Hide hint" } else { "Hint" } }
            </button>
            <button class="ghost goal-solution" onclick={toggle(show_solution)} aria-expanded={show_solution.to_string()}>
                { if **show_solution { "Hide solution" } else { "Show solution" } }
            </button>
        </div>
    }
}
