//! A lesson beside its lab. From about 1100 px wide the prose, steps and goals read on the left
//! and the lesson's widgets sit on the right, pinned below the header with the time controls at
//! their top, so the clock and the lab stay in view while a step is read. Narrower, a tab bar
//! switches between the two panes (the bar also shows the clock's tick, so a "Do it" pressed in
//! the text is seen to act). "Do it" buttons in the prose (see [`crate::markdown`]) run their
//! steps on the lab.

use crate::store::{LabAction, LabHandle, Notice};
use lab::steps::parse_steps;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Which pane a narrow screen shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pane {
    Text,
    Lab,
}

impl Pane {
    fn class(self) -> &'static str {
        match self {
            Pane::Text => "show-text",
            Pane::Lab => "show-lab",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonLayoutProps {
    /// The prose, steps blocks and goals.
    pub text: Html,
    /// The lesson's widgets.
    pub lab: Html,
    /// Whether the lab has a clock (the tab bar then shows its tick).
    pub has_clock: bool,
}

#[component]
pub fn LessonLayout(props: &LessonLayoutProps) -> Html {
    let session = super::use_lab();
    let pane = use_state(|| Pane::Text);
    // Each pane keeps its own scroll position on a phone, as two tabs of a browser would.
    let scroll_y = use_mut_ref(|| [0.0_f64; 2]);
    let show = |target: Pane| {
        let (pane, scroll_y) = (pane.clone(), scroll_y.clone());
        Callback::from(move |_: MouseEvent| switch_pane(&pane, &scroll_y, target))
    };
    let on_text_click = {
        let session = session.clone();
        Callback::from(move |event: MouseEvent| do_it(&session, &event))
    };
    let tab = |target: Pane, id: &'static str, label: &'static str| {
        let selected = *pane == target;
        html! {
            <button role="tab" id={format!("{id}-tab")} aria-controls={id} aria-selected={selected.to_string()}
                class={classes!("lesson-tab", selected.then_some("selected"))} onclick={show(target)}>
                { label }
            </button>
        }
    };
    let clock = props.has_clock.then(|| mini_clock(&session));
    html! {
        <div class={classes!("lesson-layout", pane.class())}>
            <div class="lesson-tabs" role="tablist" aria-label="Lesson or lab">
                { tab(Pane::Text, "lesson-text", "Lesson") }
                { tab(Pane::Lab, "lesson-lab", "Lab") }
                { clock.unwrap_or_default() }
            </div>
            <div class="lesson-text" id="lesson-text" role="tabpanel" aria-labelledby="lesson-text-tab" onclick={on_text_click}>
                { props.text.clone() }
            </div>
            <aside class="lesson-lab" id="lesson-lab" role="tabpanel" aria-labelledby="lesson-lab-tab" aria-label="The lesson's lab">
                { props.lab.clone() }
            </aside>
        </div>
    }
}

/// Play or pause and one step, for the tab bar of a narrow screen: the clock stays at hand while
/// the text is read. (The lab pane has the full time controls.)
fn mini_clock(session: &LabHandle) -> Html {
    let dispatch = |action: LabAction| {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| session.dispatch(action.clone()))
    };
    html! {
        <span class="mini-clock" role="group" aria-label="Clock">
            <output class="mini-tick" aria-live="off">{ format!("tick {}", session.cursor.0) }</output>
            <button class="mini-play" onclick={dispatch(LabAction::TogglePlay)} aria-pressed={session.playing.to_string()}>
                { if session.playing { "Pause" } else { "Play" } }
            </button>
            <button class="mini-step" onclick={dispatch(LabAction::Forward(1))} disabled={session.playing}>{ "Step" }</button>
        </span>
    }
}

/// Shows `target`, remembering where the page was scrolled in the pane it leaves.
fn switch_pane(
    pane: &UseStateHandle<Pane>,
    scroll_y: &Rc<std::cell::RefCell<[f64; 2]>>,
    target: Pane,
) {
    if **pane == target {
        return;
    }
    let Some(window) = web_sys::window() else {
        pane.set(target);
        return;
    };
    let slot = |p: Pane| usize::from(p == Pane::Lab);
    scroll_y.borrow_mut()[slot(**pane)] = window.scroll_y().unwrap_or(0.0);
    pane.set(target);
    let back_to = scroll_y.borrow()[slot(target)];
    gloo_timers::callback::Timeout::new(0, move || {
        if let Some(window) = web_sys::window() {
            window.scroll_to_with_x_and_y(0.0, back_to);
        }
    })
    .forget();
}

/// Runs the steps of the "Do it" button the click landed on, if any, and marks it done. A goal
/// it meets is credited to the lesson's steps, as one a steps block meets.
fn do_it(session: &LabHandle, event: &MouseEvent) {
    let button = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest(".do-it").ok().flatten());
    let Some(button) = button else {
        return;
    };
    let text = button.get_attribute("data-steps").unwrap_or_default();
    match parse_steps(&text) {
        Ok(steps) => {
            session.dispatch(LabAction::Steps(Rc::new(steps)));
            let _ = button.set_attribute("data-done", "true");
        }
        // Lesson files are checked by the lesson tests, so this is a lesson bug; say so.
        Err(e) => session.dispatch(LabAction::Notify(Notice {
            is_error: true,
            text: format!("This \"Do it\" button's steps do not parse ({e})."),
            hint: "Do the step by hand, and please report the lesson.".into(),
        })),
    }
}
