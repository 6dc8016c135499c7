//! Hosts one lab session: creates it (fresh, from a share link, or resumed from what this page
//! saved), runs the play timer, listens for the time keys, saves the journal while paused, shows
//! the session's notice as a toast, and provides the session to the widgets inside.

use crate::store::{LabAction, LabHandle, LabSession};
use crate::widgets::hooks::use_flag;
use gloo_timers::callback::Interval;
use lab::state::LabConfig;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Fastest redraw while playing, in milliseconds between timer fires.
pub const TIMER_PERIOD_MIN_MS: u32 = 40;

#[derive(Properties, PartialEq)]
pub struct LabProviderProps {
    pub config: LabConfig,
    /// Share-link text to open, if the URL carried one.
    #[prop_or_default]
    pub share: Option<String>,
    /// Where this page keeps its lab between visits (a lesson's or a lab page's id), so a reload
    /// resumes where the learner was. A lab opened from a share link is not saved over it.
    #[prop_or_default]
    pub persist: Option<AttrValue>,
    #[prop_or_default]
    pub children: Children,
}

/// The keyboard shortcuts of the time controls, as in video players: Space plays or pauses,
/// "," and "." step back and forward. They apply when focus is not in a form field or button
/// (where those keys already mean something).
pub fn action_for_key(key: &str) -> Option<LabAction> {
    match key {
        " " => Some(LabAction::TogglePlay),
        "." => Some(LabAction::Forward(1)),
        "," => Some(LabAction::StepBack),
        _ => None,
    }
}

/// The `localStorage` key of the lab saved for page `id`; the value is the journal's share-link
/// text.
fn saved_lab_key(id: &str) -> String {
    format!("flowlab.lab.{id}")
}

/// The session to start with: the share link if the URL has one, else what this page saved
/// (unreadable saved text is moved to `<key>.unreadable`, never lost), else a fresh lab.
fn first_session(config: LabConfig, share: Option<&str>, persist: Option<&str>) -> LabSession {
    if share.is_some() {
        return LabSession::open(config, share);
    }
    let key = persist.map(saved_lab_key);
    let storage = crate::progress::storage();
    let saved = key
        .as_ref()
        .zip(storage.as_ref())
        .and_then(|(key, storage)| storage.get_item(key).ok().flatten());
    let Some(text) = saved else {
        return LabSession::open(config, None);
    };
    let resumed = LabSession::resume(config, &text);
    if resumed.refused {
        if let (Some(key), Some(storage)) = (key, storage) {
            let _ = storage.set_item(&format!("{key}.unreadable"), &text);
            let _ = storage.remove_item(&key);
        }
    }
    resumed.session
}

/// (milliseconds between fires, ticks per fire) for a speed in ticks per second.
pub fn timer_for(speed_ticks_per_second: u32) -> (u32, u32) {
    let speed = speed_ticks_per_second.max(1);
    let period_ms = (1000 / speed).max(TIMER_PERIOD_MIN_MS);
    (period_ms, (speed * period_ms / 1000).max(1))
}

#[component]
pub fn LabProvider(props: &LabProviderProps) -> Html {
    let session = {
        let config = props.config;
        let share = props.share.clone();
        let persist = props.persist.clone();
        use_reducer(move || first_session(config, share.as_deref(), persist.as_deref()))
    };
    {
        // Saved while paused (encoding the journal on every tick of Play would cost frames), and
        // so also when Play stops.
        let key = props
            .persist
            .as_ref()
            .filter(|_| props.share.is_none())
            .map(|id| saved_lab_key(id));
        let session = session.clone();
        use_effect_with(
            (session.journal_revision, session.playing),
            move |&(revision, playing)| {
                if let (Some(key), Some(storage), false, true) =
                    (key, crate::progress::storage(), playing, revision > 0)
                {
                    let _ = storage.set_item(&key, &session.share_link());
                }
            },
        );
    }
    {
        let dispatcher = session.dispatcher();
        use_effect_with(
            (session.playing, session.speed_ticks_per_second),
            move |&(playing, speed)| {
                let timer = playing.then(|| {
                    let (period_ms, ticks) = timer_for(speed);
                    Interval::new(period_ms, move || {
                        dispatcher.dispatch(LabAction::Forward(ticks))
                    })
                });
                move || drop(timer)
            },
        );
    }
    {
        let dispatcher = session.dispatcher();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document());
            let listener = document.map(|document| {
                gloo_events::EventListener::new_with_options(
                    &document,
                    "keydown",
                    gloo_events::EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        let in_control = event
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .is_some_and(|e| {
                                matches!(
                                    e.tag_name().as_str(),
                                    "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                                )
                            });
                        if in_control || event.ctrl_key() || event.meta_key() || event.alt_key() {
                            return;
                        }
                        if let Some(action) = action_for_key(&event.key()) {
                            event.prevent_default();
                            dispatcher.dispatch(action);
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }
    html! {
        <ContextProvider<LabHandle> context={session.clone()}>
            <div class="lab-session">
                <LabNotice />
                <super::features::SelectionProvider>{ props.children.clone() }</super::features::SelectionProvider>
            </div>
        </ContextProvider<LabHandle>>
    }
}

/// How long a notice stays before it dismisses itself, in milliseconds: long enough to read
/// twice; an error, which says what to do next, stays longer.
fn toast_lifetime_ms(is_error: bool) -> u32 {
    if is_error {
        15_000
    } else {
        8_000
    }
}

/// The session's notice (a rejected command, a bad share link, a fork) as a toast in a corner of
/// the screen, where it covers no content. It dismisses itself after [`toast_lifetime_ms`],
/// except while the pointer or focus is on it or while it offers Undo; it can be dismissed at
/// any time.
#[component]
fn LabNotice() -> Html {
    let session = super::use_lab();
    let held = use_flag();
    let can_undo = session.can_undo();
    {
        let session = session.clone();
        use_effect_with(
            (session.notice.clone(), *held, can_undo),
            move |(notice, held, can_undo)| {
                let timer = notice
                    .as_ref()
                    .filter(|_| !*held && !*can_undo)
                    .map(|notice| {
                        gloo_timers::callback::Timeout::new(
                            toast_lifetime_ms(notice.is_error),
                            move || session.dispatch(LabAction::DismissNotice),
                        )
                    });
                move || drop(timer)
            },
        );
    }
    let Some(notice) = session.notice.clone() else {
        return html! {};
    };
    let dismiss = {
        let session = session.clone();
        Callback::from(move |_| session.dispatch(LabAction::DismissNotice))
    };
    let undo = can_undo.then(|| {
        let session = session.clone();
        Callback::from(move |_| session.dispatch(LabAction::Undo))
    });
    let hold = |on: bool| {
        let held = held.clone();
        Callback::from(move |_: web_sys::Event| held.set(on))
    };
    html! {
        <div class={classes!("notice", "toast", notice.is_error.then_some("notice-error"))}
            role={if notice.is_error { "alert" } else { "status" }}
            onmouseenter={hold(true).reform(|e: MouseEvent| e.into())} onmouseleave={hold(false).reform(|e: MouseEvent| e.into())}
            onfocusin={hold(true).reform(|e: FocusEvent| e.into())} onfocusout={hold(false).reform(|e: FocusEvent| e.into())}>
            <p><strong>{ notice.text }</strong>{ " " }{ notice.hint }</p>
            if let Some(undo) = undo {
                <button class="undo-fork" onclick={undo}>{ "Undo" }</button>
            }
            <button class="ghost" onclick={dismiss} aria-label="Dismiss this message">{ "✕" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::timer_for;

    #[test]
    fn timer_keeps_the_requested_speed() {
        for speed in crate::store::SPEEDS_TICKS_PER_SECOND {
            let (period_ms, ticks) = timer_for(*speed);
            assert!(period_ms >= super::TIMER_PERIOD_MIN_MS);
            let actual = f64::from(ticks) * 1000.0 / f64::from(period_ms);
            assert!(
                (actual - f64::from(*speed)).abs() / f64::from(*speed) < 0.05,
                "{speed}: {actual}"
            );
        }
    }
}
