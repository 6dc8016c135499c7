//! Time controls shared by every lab: play/pause, step back and forward, speed, a scrubber over
//! the whole journal, reset and "copy share link".

use crate::icons::{icon, Icon};
use crate::route::Route;
use crate::share;
use crate::store::{LabAction, SPEEDS_TICKS_PER_SECOND};
use lab::clock::Tick;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// What happened when the learner asked for a share link.
#[derive(Clone, PartialEq)]
enum ShareState {
    Idle,
    Copied(String),
    /// The clipboard refused; the link is shown to copy by hand.
    Shown(String),
}

#[component]
pub fn TimeControls() -> Html {
    let session = super::use_lab();
    let share_state = use_state(|| ShareState::Idle);
    let route = use_route::<Route>().unwrap_or(Route::Home);
    let end = session.end();
    let cursor = session.cursor;

    let dispatch = |action: LabAction| {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| session.dispatch(action.clone()))
    };
    let on_scrub = {
        let session = session.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(tick) = input.value().parse::<u64>() {
                session.dispatch(LabAction::Seek(Tick(tick)));
            }
        })
    };
    let on_speed = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(speed) = select.value().parse::<u32>() {
                session.dispatch(LabAction::SetSpeed(speed));
            }
        })
    };
    let on_share = {
        let session = session.clone();
        let share_state = share_state.clone();
        let path = route.to_path();
        Callback::from(move |_: MouseEvent| {
            let url = share::url_for(&path, &session.share_link());
            let share_state = share_state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = share::copy_to_clipboard(&url).await;
                share_state.set(if copied {
                    ShareState::Copied(url)
                } else {
                    ShareState::Shown(url)
                });
            });
        })
    };
    let at_end = cursor == end;
    let status = if at_end {
        format!("tick {} (live)", cursor.0)
    } else {
        format!("tick {} of {} (replaying the past)", cursor.0, end.0)
    };

    html! {
        <div class="time-controls" role="group" aria-label="Time controls">
            <div class="tc-buttons">
                <button class="primary tc-play" onclick={dispatch(LabAction::TogglePlay)} aria-pressed={session.playing.to_string()}
                    title="Play or pause the clock (Space)">
                    { icon(if session.playing { Icon::Pause } else { Icon::Play }) }
                    { if session.playing { "Pause" } else { "Play" } }
                </button>
                <button class="tc-back" onclick={dispatch(LabAction::StepBack)} disabled={cursor == Tick::ZERO}
                    aria-label="Step back one tick" title="Step back one tick (,)">{ icon(Icon::StepBack) }{ "Back" }</button>
                <button class="tc-step" onclick={dispatch(LabAction::Forward(1))}
                    aria-label="Step forward one tick" title="Step forward one tick (.)">{ "Step" }{ icon(Icon::StepForward) }</button>
                <label class="tc-speed">
                    { "Speed " }
                    <select onchange={on_speed} aria-label="Speed in ticks per second">
                        { for SPEEDS_TICKS_PER_SECOND.iter().map(|speed| html! {
                            <option value={speed.to_string()} selected={*speed == session.speed_ticks_per_second}>
                                { format!("{speed} ticks/s") }
                            </option>
                        }) }
                    </select>
                </label>
                <button class="tc-reset" onclick={dispatch(LabAction::Reset)} title="Forget the journal and start again at tick 0">{ icon(Icon::Reset) }{ "Reset" }</button>
                <button class="tc-share" onclick={on_share} title="Copy a link that reopens this lab with its whole history">{ "Copy share link" }</button>
            </div>
            <div class="tc-scrub">
                <input type="range" class="scrubber" min="0" max={end.0.to_string()} value={cursor.0.to_string()}
                    oninput={on_scrub} aria-label="Scrub through time" aria-valuetext={status.clone()} />
                <output class={classes!("tc-status", (!at_end).then_some("tc-past"))} aria-live="polite">{ status }</output>
            </div>
            <p class="tc-keys muted small">{ "Keys: " }<kbd>{ "Space" }</kbd>{ " play/pause, " }<kbd>{ "," }</kbd>{ " " }<kbd>{ "." }</kbd>{ " step back/forward." }</p>
            { match &*share_state {
                ShareState::Idle => html! {},
                ShareState::Copied(url) => html! {
                    <p class="tc-share-result" role="status">{ format!("Link copied ({} characters).", url.len()) }</p>
                },
                ShareState::Shown(url) => html! {
                    <p class="tc-share-result" role="status">
                        { "Your browser did not allow copying; select the link and copy it: " }
                        <input class="share-link-text" readonly=true value={url.clone()} aria-label="Share link" />
                    </p>
                },
            } }
        </div>
    }
}
