//! A prediction goal (a lesson's ```` ```predict ```` block, whose question and explanation are
//! markdown): the learner picks an answer before the lab shows it. While the reveal condition is false the choices are open; once an answer is
//! locked in and the condition holds, the widget says whether it was right and explains. A right
//! answer completes the goal; a wrong one is recorded, and can be replaced once the reveal
//! condition is false again (after Reset, or back in time).

use super::goal::met_by_badge;
use crate::progress::{MetBy, ProgressAction, ProgressHandle};
use lab::check::Verdict;
use lab::lesson::PredictSpec;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    pub lesson: AttrValue,
    pub predict: Rc<PredictSpec>,
}

/// Where the learner is with a prediction, in this lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Not revealed, no answer yet: pick one.
    Open,
    /// Answered, waiting for the lab to get there.
    Locked(usize),
    /// Revealed after an answer: right or wrong.
    Revealed { answer: usize, right: bool },
    /// Revealed before any answer: predict again after a Reset.
    Missed,
}

/// The stage for an answer (locked in this lab, if any) and whether the reveal condition holds.
pub fn stage(spec: &PredictSpec, answer: Option<usize>, revealed: bool) -> Stage {
    match (answer, revealed) {
        (None, false) => Stage::Open,
        (Some(answer), false) => Stage::Locked(answer),
        (Some(answer), true) => Stage::Revealed {
            answer,
            right: answer == spec.answer,
        },
        (None, true) => Stage::Missed,
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Open => "open",
        Stage::Locked(_) => "locked",
        Stage::Revealed { right: true, .. } => "right",
        Stage::Revealed { right: false, .. } => "wrong",
        Stage::Missed => "missed",
    }
}

#[component]
pub fn Predict(props: &PredictProps) -> Html {
    let session = super::use_lab();
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let picked = use_state(|| None::<usize>);
    let answer = use_state(|| None::<usize>);
    let spec = &props.predict;
    let revealed = session.with_observation(|o| spec.reveal.evaluate(o) == Verdict::Met);
    let stage = stage(spec, *answer, revealed);
    use_record_outcome(&props.lesson, spec, stage, &answer);
    let met_by = progress.progress.met_by(&props.lesson, &spec.id);
    let wrong = progress.progress.wrong_predictions(&props.lesson, &spec.id);
    let name = format!("predict-{}", spec.id);
    let choices = spec.choices.iter().enumerate().map(|(i, choice)| {
        let on_pick = {
            let picked = picked.clone();
            Callback::from(move |_: Event| picked.set(Some(i)))
        };
        let chosen = match stage {
            Stage::Open => *picked == Some(i),
            Stage::Locked(a) | Stage::Revealed { answer: a, .. } => a == i,
            Stage::Missed => false,
        };
        let mark = match stage {
            Stage::Revealed { .. } | Stage::Missed if i == spec.answer => Some("right"),
            Stage::Revealed { answer, right: false } if answer == i => Some("wrong"),
            _ => None,
        };
        html! {
            <li class={classes!("predict-choice", mark.map(|m| format!("is-{m}")))}>
                <label>
                    <input type="radio" name={name.clone()} checked={chosen} disabled={stage != Stage::Open} onchange={on_pick} />
                    { choice }
                    if mark == Some("right") && stage != Stage::Missed { <span class="predict-tag">{ " the answer" }</span> }
                </label>
            </li>
        }
    });
    let on_lock = {
        let (picked, answer) = (picked.clone(), answer.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(choice) = *picked {
                answer.set(Some(choice));
            }
        })
    };
    html! {
        <section class={classes!("goal", "predict", met_by.is_some().then_some("goal-done"))} data-goal={spec.id.clone()}
            data-stage={stage_name(stage)} data-met-by={met_by.map(super::goal::met_by_name)} aria-label={format!("Prediction: {}", spec.question)}>
            <h3><span class="goal-mark" aria-hidden="true">{ if met_by.is_some() { "✓" } else { "?" } }</span>{ "Predict before you run it" }</h3>
            { met_by_badge(met_by) }
            <div class="predict-question">{ crate::markdown::render(&spec.question) }</div>
            <form class="predict-form" onsubmit={on_lock}>
                <ul class="predict-choices">{ for choices }</ul>
                if stage == Stage::Open {
                    <button type="submit" class="primary predict-lock" disabled={picked.is_none()}>{ "Lock in my prediction" }</button>
                }
            </form>
            <div class="goal-status" role="status" aria-live="polite">{ outcome(spec, stage, met_by) }</div>
            if wrong > 0 {
                <p class="small muted predict-wrong-count">{ format!("Wrong predictions so far: {wrong}.") }</p>
            }
        </section>
    }
}

/// What the prediction says below the choices at each stage.
fn outcome(spec: &PredictSpec, stage: Stage, met_by: Option<MetBy>) -> Html {
    let explanation = html! { <div class="predict-explanation">{ crate::markdown::render(&spec.explanation) }</div> };
    match stage {
        Stage::Open => {
            html! { <p>{ "Pick the answer you expect, then lock it in before you run the lab." }</p> }
        }
        Stage::Locked(_) => {
            html! { <p>{ "Locked in. Now run the lab: the answer appears when it happens." }</p> }
        }
        Stage::Revealed { right: true, .. } => html! {
            <><p class="ok">{ "✓ Right." }</p>{ explanation }</>
        },
        Stage::Revealed {
            answer,
            right: false,
        } => html! {
            <>
                <p class="bad">{ format!("Not quite: you predicted \u{201c}{}\u{201d}.", spec.choices[answer]) }</p>
                { explanation }
                <p class="small">{ "Reset the lab to predict again before it happens." }</p>
            </>
        },
        Stage::Missed if met_by.is_some() => explanation,
        Stage::Missed => html! {
            <p>{ "The lab got there before you predicted. Reset the lab, pick an answer, then run it again." }</p>
        },
    }
}

/// Saves the outcome once the lab reveals it: a right answer completes the goal, a wrong one is
/// counted. A wrong answer is dropped when the reveal condition is false again, so the learner
/// can predict anew.
#[hook]
fn use_record_outcome(
    lesson: &AttrValue,
    spec: &PredictSpec,
    stage: Stage,
    answer: &UseStateHandle<Option<usize>>,
) {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let revealed_wrong = use_mut_ref(|| false);
    let (lesson, goal, answer) = (lesson.to_string(), spec.id.clone(), answer.clone());
    use_effect_with(stage, move |&stage| match stage {
        Stage::Revealed { right: true, .. } => progress.dispatch(ProgressAction::Complete {
            lesson,
            goal,
            by: MetBy::Learner,
        }),
        Stage::Revealed { right: false, .. } => {
            *revealed_wrong.borrow_mut() = true;
            progress.dispatch(ProgressAction::WrongPrediction { lesson, goal });
        }
        Stage::Locked(_) if std::mem::take(&mut *revealed_wrong.borrow_mut()) => answer.set(None),
        Stage::Open | Stage::Locked(_) | Stage::Missed => {}
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::check::Condition;

    fn spec() -> PredictSpec {
        PredictSpec {
            id: "guess".into(),
            question: "How many?".into(),
            choices: vec!["None".into(), "Some".into()],
            answer: 1,
            explanation: "Because.".into(),
            reveal: Condition::parse("tick >= 1").unwrap(),
        }
    }

    #[test]
    fn the_stage_follows_the_answer_and_the_reveal() {
        let spec = spec();
        assert_eq!(stage(&spec, None, false), Stage::Open);
        assert_eq!(stage(&spec, Some(0), false), Stage::Locked(0));
        assert_eq!(
            stage(&spec, Some(0), true),
            Stage::Revealed {
                answer: 0,
                right: false
            }
        );
        assert_eq!(
            stage(&spec, Some(1), true),
            Stage::Revealed {
                answer: 1,
                right: true
            }
        );
        assert_eq!(stage(&spec, None, true), Stage::Missed);
    }
}
