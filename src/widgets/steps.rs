//! Narrated steps: a lesson's ```` ```steps ```` block, and the [`Narrator`] that plays a script
//! on the lab (the replication lab's presets use it too).
//!
//! "Play" applies the steps one by one at a visible pace: each command stays on screen for a
//! beat with a caption saying what it does, and `tick` steps run on the lab's clock, at the speed
//! the time controls show. At a key moment (a `pause "..."` line, see [`lab::steps`]) the run
//! stops with the moment's caption until the learner continues, as RaftScope and The Secret
//! Lives of Data narrate. "Skip to the end" applies the rest at once, as the one-click run always
//! did. Every beat, and the skip, is a [`LabAction::Steps`], the action a "Do it" button
//! dispatches: the same steps in the same order whatever the pace, so the journal is the one the
//! one-click run writes (`lab::steps` tests it), and a goal they meet is credited to the steps.

use super::lab_provider::timer_for;
use crate::icons::{icon, Icon};
use crate::store::{LabAction, LabHandle};
use gloo_timers::callback::Timeout;
use lab::broker::narrate;
use lab::steps::{Beat, Narration, Script, Step};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// How long a command's caption stays on screen before the next step, in milliseconds.
pub const COMMAND_BEAT_MS: u32 = 900;

#[derive(Properties, PartialEq)]
pub struct StepsProps {
    pub text: AttrValue,
}

/// A lesson's steps block: the steps as written, played by a [`Narrator`]. The lesson parser has
/// checked the text, so a failure here is a bug, said in the block rather than hidden.
#[component]
pub fn StepsBlock(props: &StepsProps) -> Html {
    let script = use_memo(props.text.clone(), |text| Script::parse(text).map(Rc::new));
    let body = match &*script {
        Ok(script) => html! {
            <Narrator text={props.text.clone()} script={script.clone()}
                start={Start::FromTheTop} play_label="Play these steps" />
        },
        Err(e) => {
            html! { <p class="field-error" role="alert">{ format!("These steps do not parse ({e}).") }</p> }
        }
    };
    html! {
        <figure class="widget steps-block">
            <figcaption>{ "Steps you can run" }</figcaption>
            { body }
        </figure>
    }
}

/// Where a narrated run begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At the first step (a lesson's steps block); it can be played again.
    FromTheTop,
    /// After the script's setup, which already ran (a preset waiting just before the failure).
    AfterSetup,
}

/// What the narrator is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Ready,
    Playing,
    /// Paused by the learner, or because the lab's own clock was started.
    Paused,
    /// Stopped at a key moment, waiting for "Continue".
    AtMoment,
    Finished,
}

/// A narrated run as the learner sees it.
#[derive(Clone, Debug, PartialEq)]
struct Told {
    narration: Narration,
    mode: Mode,
    caption: String,
    /// The line of the block being played, or of the key moment on screen.
    line: Option<usize>,
    /// The index of the step being played.
    playing_step: Option<usize>,
    /// How long to wait before the next beat.
    delay_ms: u32,
}

impl Told {
    fn start(script: &Script, start: Start) -> Told {
        match start {
            Start::FromTheTop => Told {
                narration: Narration::from_the_top(),
                mode: Mode::Ready,
                caption: format!(
                    "{} steps{}.",
                    script.steps.len(),
                    match script.moments.len() {
                        0 => String::new(),
                        1 => ", with 1 key moment to stop at".to_string(),
                        n => format!(", with {n} key moments to stop at"),
                    }
                ),
                line: None,
                playing_step: None,
                delay_ms: 0,
            },
            Start::AfterSetup => {
                let narration = Narration::after_setup(script);
                let first = script.moments.first();
                Told {
                    narration,
                    mode: if narration.is_finished(script) {
                        Mode::Finished
                    } else {
                        Mode::Ready
                    },
                    caption: first
                        .map_or_else(|| "Every step ran.".to_string(), |m| m.caption.clone()),
                    line: first.map(|m| m.line),
                    playing_step: None,
                    delay_ms: 0,
                }
            }
        }
    }

    fn with_mode(&self, mode: Mode) -> Told {
        Told {
            mode,
            delay_ms: 0,
            ..self.clone()
        }
    }

    /// The next beat at `speed` ticks per second: the narrator after it, and the step the lab
    /// runs.
    fn beat(&self, script: &Script, speed: u32) -> (Told, Option<Step>) {
        let (period_ms, ticks_per_beat) = timer_for(speed);
        let mut next = self.clone();
        let beat = next.narration.next(script, u64::from(ticks_per_beat));
        match beat {
            Beat::Apply { step, command } => {
                next.caption = narrate::command(command);
                next.line = script.step_lines.get(step).copied();
                next.playing_step = Some(step);
                next.delay_ms = COMMAND_BEAT_MS;
            }
            Beat::ApplyLab { step, command } => {
                next.caption = lab::schemas::describe_command(command);
                next.line = script.step_lines.get(step).copied();
                next.playing_step = Some(step);
                next.delay_ms = COMMAND_BEAT_MS;
            }
            Beat::Advance {
                step, done, total, ..
            } => {
                next.caption = format!("The clock runs {total} ticks: {done} so far.");
                next.line = script.step_lines.get(step).copied();
                next.playing_step = Some(step);
                next.delay_ms = period_ms;
            }
            Beat::Moment(moment) => {
                next.mode = Mode::AtMoment;
                next.caption = moment.caption.clone();
                next.line = Some(moment.line);
            }
            Beat::End => {
                next.mode = Mode::Finished;
                next.caption = format!("All {} steps ran.", script.steps.len());
                next.line = None;
            }
        }
        (next, beat.step())
    }

    /// Everything left, at once: the narrator at the end and the steps the lab runs, in order.
    fn skip(&self, script: &Script) -> (Told, Vec<Step>) {
        let mut narration = self.narration;
        let mut steps = Vec::new();
        loop {
            match narration.next(script, u64::MAX) {
                Beat::End => break,
                beat => steps.extend(beat.step()),
            }
        }
        let told = Told {
            narration,
            mode: Mode::Finished,
            caption: format!("Skipped to the end: all {} steps ran.", script.steps.len()),
            line: None,
            playing_step: None,
            delay_ms: 0,
        };
        (told, steps)
    }
}

#[derive(Properties, PartialEq)]
pub struct NarratorProps {
    /// The steps as written, shown with the line being played marked.
    pub text: AttrValue,
    pub script: Rc<Script>,
    pub start: Start,
    /// The label of the button that starts the run ("Play these steps", "Play the failure").
    pub play_label: AttrValue,
    /// Shows the listing folded, under the caption and its controls (a preset, whose story
    /// matters more than its steps).
    #[prop_or_default]
    pub folded: bool,
    /// Called when the run starts, to bring the lab into view.
    #[prop_or_default]
    pub on_play: Callback<()>,
}

/// Plays a script on the lab in context, with a caption line and Play / Pause / Continue /
/// Stop / "Skip to the end". Key it by what it plays: a new key starts a new run.
#[component]
pub fn Narrator(props: &NarratorProps) -> Html {
    let session = super::use_lab();
    let told = {
        let (script, start) = (props.script.clone(), props.start);
        use_state(move || Told::start(&script, start))
    };
    use_beat_timer(&session, &told, &props.script);
    use_yield_to_the_lab_clock(&session, &told);

    let set_mode = |mode: Mode| {
        let (told, session) = (told.clone(), session.clone());
        Callback::from(move |_: MouseEvent| {
            if mode == Mode::Playing {
                session.dispatch(LabAction::Pause);
            }
            told.set(told.with_mode(mode));
        })
    };
    let on_play = {
        let (play, on_play) = (set_mode(Mode::Playing), props.on_play.clone());
        Callback::from(move |e: MouseEvent| {
            play.emit(e);
            on_play.emit(());
        })
    };
    let on_play_again = {
        let (told, session, script) = (told.clone(), session.clone(), props.script.clone());
        Callback::from(move |_: MouseEvent| {
            session.dispatch(LabAction::Pause);
            told.set(Told::start(&script, Start::FromTheTop).with_mode(Mode::Playing));
        })
    };
    let on_skip = {
        let (told, session, script) = (told.clone(), session.clone(), props.script.clone());
        Callback::from(move |_: MouseEvent| {
            // Once a run has finished (or was stopped), "all at once" runs the block again from
            // its first step, as "Play these steps" does.
            let from = match told.mode {
                Mode::Finished => Told::start(&script, Start::FromTheTop),
                _ => (*told).clone(),
            };
            let (next, steps) = from.skip(&script);
            session.dispatch(LabAction::Steps(Rc::new(steps)));
            told.set(next);
        })
    };
    let on_stop = {
        let (told, script, start) = (told.clone(), props.script.clone(), props.start);
        Callback::from(move |_: MouseEvent| {
            let mut stopped = told.with_mode(Mode::Finished);
            stopped.caption = format!(
                "Stopped after step {} of {}; the lab keeps what ran.{}",
                told.narration.step(),
                script.steps.len(),
                match start {
                    Start::FromTheTop => "",
                    Start::AfterSetup => " Choose the scenario again to replay it.",
                }
            );
            stopped.line = None;
            told.set(stopped);
        })
    };

    let mode = told.mode;
    let bar = use_node_ref();
    let skip = html! {
        <button type="button" class="run-steps" onclick={on_skip}>
            { icon(Icon::SkipToEnd) }
            { if mode == Mode::Finished { "Run them all at once" } else { "Skip to the end" } }
        </button>
    };
    let stop = html! {
        <button type="button" class="narration-stop" onclick={on_stop}>{ icon(Icon::Stop) }{ "Stop" }</button>
    };
    let buttons = match mode {
        Mode::Ready => html! {
            <>
                <button type="button" class="primary narration-play" onclick={on_play}>{ icon(Icon::Play) }{ props.play_label.clone() }</button>
                { skip }
            </>
        },
        Mode::Playing => html! {
            <>
                <button type="button" class="narration-pause" onclick={set_mode(Mode::Paused)}>{ icon(Icon::Pause) }{ "Pause" }</button>
                { stop }{ skip }
            </>
        },
        Mode::Paused | Mode::AtMoment => html! {
            <>
                <button type="button" class="primary narration-continue" onclick={set_mode(Mode::Playing)}>{ icon(Icon::Play) }{ "Continue" }</button>
                { stop }{ skip }
            </>
        },
        Mode::Finished => match props.start {
            Start::FromTheTop => html! {
                <>
                    <button type="button" class="narration-play" onclick={on_play_again}>{ icon(Icon::Play) }{ props.play_label.clone() }</button>
                    { skip }
                </>
            },
            Start::AfterSetup => html! {},
        },
    };
    let floating = matches!(mode, Mode::Playing | Mode::Paused | Mode::AtMoment);
    let on_bar_click = use_focus_kept_in_the_bar(&bar, floating);
    let narration = html! {
        <div ref={bar.clone()} class={classes!("narration", floating.then_some("is-floating"), (mode == Mode::AtMoment).then_some("at-moment"))}
            data-mode={mode_name(mode)} role="group" aria-label="Narrated steps" onclick={on_bar_click}>
            <p class="narration-caption">
                <span class="narration-where">{ where_label(&told, &props.script, props.start) }</span>
                if mode == Mode::AtMoment {
                    <strong class="narration-moment" role="status">{ told.caption.clone() }</strong>
                } else {
                    <span class="narration-text">{ told.caption.clone() }</span>
                }
            </p>
            <div class="narration-buttons">{ buttons }</div>
        </div>
    };
    // While a run is under way its bar lives on <body>, fixed at the bottom of the window, so it
    // stays in view whichever part of the page (or, on a phone, which pane) shows the lab.
    let listing = html! { <Listing text={props.text.clone()} current={told.line} /> };
    let body = floating
        .then(|| web_sys::window()?.document()?.body())
        .flatten();
    let caption_bar = match body {
        Some(body) => create_portal(narration, body.into()),
        None => narration,
    };
    html! {
        <div class="narrator">
            if props.folded {
                { caption_bar }
                <details class="narrator-steps">
                    <summary>{ format!("The {} steps", props.script.steps.len()) }</summary>
                    { listing }
                </details>
            } else {
                { listing }{ caption_bar }
            }
        </div>
    }
}

/// Gives keyboard focus back to the bar's first button when a click in the bar moved it
/// between its place and the bottom of the window (the buttons clicked are gone).
#[hook]
fn use_focus_kept_in_the_bar(bar: &NodeRef, floating: bool) -> Callback<MouseEvent> {
    let clicked = use_mut_ref(|| false);
    let was_floating = use_mut_ref(|| floating);
    {
        let (bar, clicked) = (bar.clone(), clicked.clone());
        use_effect(move || {
            let moved = std::mem::replace(&mut *was_floating.borrow_mut(), floating) != floating;
            if std::mem::take(&mut *clicked.borrow_mut()) && moved {
                let button = bar
                    .cast::<web_sys::Element>()
                    .and_then(|bar| bar.query_selector("button").ok().flatten())
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(button) = button {
                    let _ = button.focus();
                }
            }
        });
    }
    Callback::from(move |_: MouseEvent| *clicked.borrow_mut() = true)
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Ready => "ready",
        Mode::Playing => "playing",
        Mode::Paused => "paused",
        Mode::AtMoment => "moment",
        Mode::Finished => "finished",
    }
}

/// "Step 3 of 12", "Key moment", "Just before the failure" (a preset waiting), or nothing.
fn where_label(told: &Told, script: &Script, start: Start) -> String {
    match told.mode {
        Mode::Ready if start == Start::AfterSetup => "Just before the failure".into(),
        Mode::AtMoment => "Key moment".into(),
        Mode::Playing | Mode::Paused => told
            .playing_step
            .map(|step| format!("Step {} of {}", step + 1, script.steps.len()))
            .unwrap_or_default(),
        Mode::Ready | Mode::Finished => String::new(),
    }
}

/// Runs the next beat after the current one's delay, while playing.
#[hook]
fn use_beat_timer(session: &LabHandle, told: &UseStateHandle<Told>, script: &Rc<Script>) {
    let (session, told, script) = (session.clone(), told.clone(), script.clone());
    let speed = session.speed_ticks_per_second;
    use_effect_with(((*told).clone(), speed), move |(current, speed)| {
        let timer = (current.mode == Mode::Playing).then(|| {
            let (current, speed) = (current.clone(), *speed);
            Timeout::new(current.delay_ms, move || {
                let (next, step) = current.beat(&script, speed);
                if let Some(step) = step {
                    session.dispatch(LabAction::Steps(Rc::new(vec![step])));
                }
                told.set(next);
            })
        });
        move || drop(timer)
    });
}

/// Pauses the narration when the learner starts the lab's own clock: one clock at a time.
#[hook]
fn use_yield_to_the_lab_clock(session: &LabHandle, told: &UseStateHandle<Told>) {
    let told = told.clone();
    use_effect_with(session.playing, move |&lab_playing| {
        if lab_playing && told.mode == Mode::Playing {
            let mut paused = told.with_mode(Mode::Paused);
            paused.caption = "Paused while the lab's clock runs; Continue plays on.".into();
            told.set(paused);
        }
    });
}

#[derive(Properties, PartialEq)]
struct ListingProps {
    text: AttrValue,
    current: Option<usize>,
}

/// The steps as written, one line each; the line being played is marked, and `pause` lines
/// read as captions.
#[component]
fn Listing(props: &ListingProps) -> Html {
    html! {
        <pre class="steps-listing"><code>
            { for props.text.lines().enumerate().map(|(i, line)| {
                let current = props.current == Some(i + 1);
                let pause = line.trim_start().starts_with("pause ");
                html! {
                    <span class={classes!("step-line", current.then_some("is-current"), pause.then_some("step-pause"))}
                        aria-current={current.then_some("step")}>
                        { format!("{line}\n") }
                    </span>
                }
            }) }
        </code></pre>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &str = "produce orders count=3\ntick 4\npause \"Look\"\nkill-broker 1";

    fn script() -> Script {
        Script::parse(STEPS).unwrap()
    }

    #[test]
    fn playing_captions_each_step_and_stops_at_the_key_moment() {
        let script = script();
        // At 50 ticks per second a beat runs 2 ticks.
        let mut told = Told::start(&script, Start::FromTheTop).with_mode(Mode::Playing);
        let mut seen = Vec::new();
        while told.mode == Mode::Playing {
            let (next, action) = told.beat(&script, 50);
            seen.push((next.line, next.caption.clone(), action));
            told = next;
        }
        assert_eq!(told.mode, Mode::AtMoment);
        assert_eq!(seen[0].0, Some(1));
        assert!(seen[0].1.contains("sends 3 records"), "{}", seen[0].1);
        assert_eq!(seen[1].2, Some(Step::Ticks(2)));
        assert_eq!(seen[2].1, "The clock runs 4 ticks: 4 so far.");
        assert_eq!(
            seen.last().map(|s| (s.0, s.1.as_str())),
            Some((Some(3), "Look"))
        );
        let (told, step) = told.with_mode(Mode::Playing).beat(&script, 50);
        assert!(matches!(step, Some(Step::Broker(_))));
        assert_eq!(told.beat(&script, 50).0.mode, Mode::Finished);
    }

    #[test]
    fn the_caption_names_the_step_being_played() {
        let script = script();
        let told = Told::start(&script, Start::FromTheTop).with_mode(Mode::Playing);
        assert_eq!(where_label(&told, &script, Start::FromTheTop), "");
        let (told, _) = told.beat(&script, 50);
        assert_eq!(
            where_label(&told, &script, Start::FromTheTop),
            "Step 1 of 3"
        );
        let (told, _) = told.beat(&script, 50);
        assert_eq!(
            where_label(&told, &script, Start::FromTheTop),
            "Step 2 of 3"
        );
        let (told, _) = told.beat(&script, 50);
        assert_eq!(
            where_label(&told, &script, Start::FromTheTop),
            "Step 2 of 3",
            "the tick step's last beat"
        );
        let (told, _) = told.beat(&script, 50);
        assert_eq!(where_label(&told, &script, Start::FromTheTop), "Key moment");
    }

    #[test]
    fn skipping_from_anywhere_does_the_rest_in_order() {
        let script = script();
        let told = Told::start(&script, Start::FromTheTop);
        let (_, all) = told.skip(&script);
        assert_eq!(all, script.steps, "from the top, every step as written");
        let (partway, _) = told.with_mode(Mode::Playing).beat(&script, 2);
        let (partway, _) = partway.beat(&script, 1);
        let (done, rest) = partway.skip(&script);
        assert_eq!(rest[0], Step::Ticks(3), "the tick step's ticks not yet run");
        assert_eq!(rest.len(), 2);
        assert_eq!(done.mode, Mode::Finished);
    }

    #[test]
    fn a_preset_waits_at_its_first_moment() {
        let script = script();
        let told = Told::start(&script, Start::AfterSetup);
        assert_eq!(
            (told.mode, told.caption.as_str(), told.line),
            (Mode::Ready, "Look", Some(3))
        );
        assert_eq!(
            where_label(&told, &script, Start::AfterSetup),
            "Just before the failure"
        );
        let no_moment = Script::parse("tick 3").unwrap();
        assert_eq!(
            Told::start(&no_moment, Start::AfterSetup).mode,
            Mode::Finished
        );
    }
}
