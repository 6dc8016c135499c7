//! A lesson goal, checked live against the lab on screen. Shows whether it is met, or was met
//! earlier and how (by the learner, by the steps block, after seeing the solution: progress is
//! saved), why not yet in plain sentences, a hint and a revealable solution.

use crate::progress::{MetBy, ProgressAction, ProgressHandle};
use crate::store::LabHandle;
use crate::widgets::hooks::use_flag;
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
    let show_hint = use_flag();
    let show_solution = use_flag();
    use_solution_shown(&props.lesson, &props.check.id, *show_solution);
    let verdict = session.with_observation(|observation| props.check.evaluate(observation));
    let met_now = verdict == Verdict::Met;
    let met_by = use_goal_met(&props.lesson, &props.check.id, met_now);
    let status = match &verdict {
        Verdict::Met => html! { <p class="goal-status ok" role="status">{ "✓ Goal met." }</p> },
        Verdict::NotYet(reasons) => html! {
            <div class="goal-status" role="status">
                if met_by.is_some() { <p class="muted">{ "Not true at this tick:" }</p> } else { <p>{ "Not yet:" }</p> }
                <ul class="goal-reasons">{ for reasons.iter().map(|r| html! { <li>{ r }</li> }) }</ul>
            </div>
        },
    };
    html! {
        <section class={classes!("goal", (met_by.is_some() || met_now).then_some("goal-done"))} data-goal={props.check.id.clone()}
            data-met-by={met_by.map(met_by_name)} aria-label={format!("Goal: {}", props.check.goal)}>
            <h3><span class="goal-mark" aria-hidden="true">{ if met_by.is_some() || met_now { "✓" } else { "○" } }</span>{ &props.check.goal }</h3>
            { met_by_badge(met_by) }
            { status }
            { goal_buttons(&show_hint, &show_solution) }
            if *show_hint { <p class="hint">{ &props.check.hint }</p> }
            if *show_solution { <p class="solution">{ &props.check.solution }</p> }
        </section>
    }
}

/// How saved progress says the goal was met, as the goal shows it ("✓ done by the lesson's steps").
pub fn met_by_badge(met_by: Option<MetBy>) -> Html {
    match met_by {
        Some(by) => {
            html! { <p class={classes!("goal-met-by", format!("met-by-{}", met_by_name(by)))}>{ by.mark() }</p> }
        }
        None => html! {},
    }
}

/// The name of a [`MetBy`] in `data-met-by` and class names.
pub fn met_by_name(by: MetBy) -> &'static str {
    match by {
        MetBy::Learner => "learner",
        MetBy::Solution => "solution",
        MetBy::Steps => "steps",
    }
}

/// How saved progress says the goal was met, if it was; the first time it is met, saves it as
/// met by the steps block (when the lab on screen is what the lesson's steps block made it), after
/// seeing the solution (when the learner opened it), or by the learner.
#[hook]
pub fn use_goal_met(lesson: &AttrValue, goal: &str, met_now: bool) -> Option<MetBy> {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    // Outside a lab (an SQL lesson's goal) no steps run.
    let by_steps = use_context::<LabHandle>().is_some_and(|session| session.by_steps);
    let recorded = progress.progress.met_by(lesson, goal);
    let by = if by_steps {
        MetBy::Steps
    } else if progress.progress.saw_solution(lesson, goal) {
        MetBy::Solution
    } else {
        MetBy::Learner
    };
    let (lesson, goal) = (lesson.to_string(), goal.to_string());
    use_effect_with((met_now, recorded.is_some()), move |&(met_now, done)| {
        if met_now && !done {
            progress.dispatch(ProgressAction::Complete { lesson, goal, by });
        }
    });
    recorded
}

/// Whether saved progress has the goal done (see [`use_goal_met`]). Every kind of goal
/// (```` ```check ````, ```` ```sql-check ````) completes this way.
#[hook]
pub fn use_goal_done(lesson: &AttrValue, goal: &str, met_now: bool) -> bool {
    use_goal_met(lesson, goal, met_now).is_some()
}

/// Records that the learner opened the goal's solution, so that meeting it afterwards counts as
/// "after seeing the solution".
#[hook]
pub fn use_solution_shown(lesson: &AttrValue, goal: &str, shown: bool) {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let (lesson, goal) = (lesson.to_string(), goal.to_string());
    use_effect_with(shown, move |&shown| {
        if shown && !progress.progress.saw_solution(&lesson, &goal) {
            progress.dispatch(ProgressAction::SawSolution { lesson, goal });
        }
    });
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
