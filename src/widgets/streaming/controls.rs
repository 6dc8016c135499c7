//! The stream job's controls: its windowed query, the watermark delay, allowed lateness, the
//! idleness timeout, the emit mode, the delivery guarantee and the checkpoint interval (changing
//! any of them redeploys the job), crashing and restarting it, the click generator, pausing a
//! partition, and a click sent by hand with an event time of the learner's choosing.
//!
//! Every command is checked with `StreamLab::validate` before it is journaled: a refusal is shown
//! beside its control with its hint, and nothing is recorded.

use super::{no_stream_job, now_time, refusal_view, time_text, try_send};
use crate::widgets::fields::number_field;
use crate::widgets::form::{bind, bind_select, bind_text};
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::glue::{event_time, partitions};
use lab::stream_lab::{guarantee_name, JobSettings};
use lab::streaming::aggregate::EmitMode;
use lab::streaming::delivery::Guarantee;
use lab::streaming::value::{DurationUs, TimeUs};
use yew::prelude::*;

type Refusal = Option<(String, String)>;

/// The modes the lab's job offers: complete mode is for `lab stream run` over a file (it never
/// forgets a window, so an unbounded job would slow down without end).
const MODES: [EmitMode; 3] = [EmitMode::OnClose, EmitMode::Final, EmitMode::Changes];

/// What each emit mode does, for the select's options.
fn mode_label(mode: EmitMode) -> &'static str {
    match mode {
        EmitMode::OnClose => "on-close (at the window's end, again per late row)",
        EmitMode::Final => "final (once, when the window closes)",
        EmitMode::Changes => "changes (after every row)",
        EmitMode::Complete => "complete (the whole result, every row)",
    }
}

/// A duration typed in seconds (`2`, `0.5`), to the microsecond.
pub fn parse_seconds(text: &str, what: &str) -> Result<DurationUs, (String, String)> {
    let refuse = || {
        (
            format!(
                "\"{}\" is not a number of seconds for the {what}",
                text.trim()
            ),
            "type a number of seconds such as 2 or 0.5".to_string(),
        )
    };
    let seconds: f64 = text.trim().parse().map_err(|_| refuse())?;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err((
            format!("a {what} of {} s is out of range", text.trim()),
            "give between 0 and 86400 seconds".into(),
        ));
    }
    Ok(DurationUs((seconds * 1e6).round() as i64))
}

/// A duration as a number of seconds in a field.
fn seconds_field(d: DurationUs) -> String {
    format!("{}", d.0 as f64 / 1e6)
}

/// The event time of a click `late_by` seconds before `now`.
fn late_time(now: TimeUs, late_by: &str) -> Result<TimeUs, (String, String)> {
    let late = parse_seconds(late_by, "lateness of the click")?;
    Ok(now.minus(late))
}

/// One job setting: its field, then the button that applies it.
fn setting_row(field: Html, set: &Callback<()>) -> Html {
    let set = set.clone();
    html! {
        <div class="stream-setting">
            { field }
            <button onclick={Callback::from(move |_: MouseEvent| set.emit(()))}>{ "Set" }</button>
        </div>
    }
}

#[component]
pub fn StreamControls() -> Html {
    let session = crate::widgets::use_lab();
    let settings: Option<JobSettings> = session.view.streams().map(|s| s.settings().clone());
    let defaults = settings.clone().unwrap_or_default();
    let query = use_state(|| defaults.query.clone());
    let delay = use_state(|| seconds_field(defaults.delay));
    let lateness = use_state(|| seconds_field(defaults.allowed_lateness));
    let idle = use_state(|| defaults.idle_timeout.map(seconds_field).unwrap_or_default());
    let interval = use_state(|| seconds_field(defaults.checkpoint_interval));
    let rate = use_state(|| {
        session
            .view
            .streams()
            .map_or(2, |s| s.generator_rate())
            .to_string()
    });
    let disorder = use_state(|| {
        session.view.streams().map_or(String::from("1"), |s| {
            seconds_field(s.generator_max_delay())
        })
    });
    let user = use_state(|| "u1".to_string());
    let partition = use_state(|| "0".to_string());
    let page = use_state(|| "home".to_string());
    let amount = use_state(|| "1".to_string());
    let at = use_state(|| time_text(now_time(&session.view)));
    let late_by = use_state(|| "30".to_string());
    let query_refusal = use_state(|| None::<(String, String)>);
    let settings_refusal = use_state(|| None::<(String, String)>);
    let job_refusal = use_state(|| None::<(String, String)>);
    let generator_refusal = use_state(|| None::<(String, String)>);
    let click_refusal = use_state(|| None::<(String, String)>);
    let click_sent = use_state(|| None::<String>);
    // A lesson's step or a scrub changes the job's settings: the fields follow.
    {
        let (query, delay, lateness, idle, interval) = (
            query.clone(),
            delay.clone(),
            lateness.clone(),
            idle.clone(),
            interval.clone(),
        );
        use_effect_with(settings.clone(), move |settings| {
            if let Some(s) = settings {
                query.set(s.query.clone());
                delay.set(seconds_field(s.delay));
                lateness.set(seconds_field(s.allowed_lateness));
                idle.set(s.idle_timeout.map(seconds_field).unwrap_or_default());
                interval.set(seconds_field(s.checkpoint_interval));
            }
        });
    }
    let Some(streams) = session.view.streams() else {
        return no_stream_job();
    };
    let settings = streams.settings().clone();
    let running = streams.job().is_running();

    // Runs `make` (which builds the command or refuses) and, if it builds, validates and sends it.
    let action =
        |refusal: &UseStateHandle<Refusal>,
         make: std::rc::Rc<dyn Fn() -> Result<StreamCommand, (String, String)>>| {
            let (session, refusal) = (session.clone(), refusal.clone());
            Callback::from(move |_: ()| {
                let Some(streams) = session.view.streams() else {
                    return;
                };
                let result = make().and_then(|command| try_send(&session, streams, command));
                refusal.set(result.err());
            })
        };

    let apply_query = {
        let query = query.clone();
        action(
            &query_refusal,
            std::rc::Rc::new(move || {
                Ok(StreamCommand::SetQuery {
                    sql: (*query).trim().to_string(),
                })
            }),
        )
    };
    let set_duration = |field: &UseStateHandle<String>,
                        what: &'static str,
                        build: fn(DurationUs) -> StreamCommand| {
        let field = field.clone();
        action(
            &settings_refusal,
            std::rc::Rc::new(move || parse_seconds(&field, what).map(build)),
        )
    };
    let set_delay = set_duration(&delay, "watermark delay", |delay| {
        StreamCommand::SetWatermarkDelay { delay }
    });
    let set_lateness = set_duration(&lateness, "allowed lateness", |lateness| {
        StreamCommand::SetAllowedLateness { lateness }
    });
    let set_interval = set_duration(&interval, "checkpoint interval", |interval| {
        StreamCommand::SetCheckpointInterval { interval }
    });
    let set_idle = {
        let idle = idle.clone();
        action(
            &settings_refusal,
            std::rc::Rc::new(move || {
                let text = idle.trim();
                let timeout = if text.is_empty() || text == "none" {
                    None
                } else {
                    Some(parse_seconds(text, "idleness timeout")?)
                };
                Ok(StreamCommand::SetIdleTimeout { timeout })
            }),
        )
    };
    let on_mode = {
        let (session, refusal) = (session.clone(), settings_refusal.clone());
        Callback::from(move |e: Event| {
            let name = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let Some(streams) = session.view.streams() else {
                return;
            };
            let result = EmitMode::parse(&name)
                .ok_or_else(|| {
                    (
                        format!("\"{name}\" is not an emit mode"),
                        "pick on-close, final or changes".to_string(),
                    )
                })
                .and_then(|mode| try_send(&session, streams, StreamCommand::SetEmitMode { mode }));
            refusal.set(result.err());
        })
    };
    let on_guarantee = {
        let (session, refusal) = (session.clone(), settings_refusal.clone());
        Callback::from(move |e: Event| {
            let name = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let Some(streams) = session.view.streams() else {
                return;
            };
            let guarantee = if name == "exactly-once" {
                Guarantee::ExactlyOnce
            } else {
                Guarantee::AtLeastOnce
            };
            refusal
                .set(try_send(&session, streams, StreamCommand::SetGuarantee { guarantee }).err());
        })
    };
    let crash = action(
        &job_refusal,
        std::rc::Rc::new(|| Ok(StreamCommand::CrashJob)),
    );
    let restart = action(
        &job_refusal,
        std::rc::Rc::new(|| Ok(StreamCommand::RestartJob)),
    );
    let set_generator = {
        let (rate, disorder) = (rate.clone(), disorder.clone());
        action(
            &generator_refusal,
            std::rc::Rc::new(move || {
                let clicks_per_second = rate.trim().parse::<u32>().map_err(|_| {
                    (
                        format!(
                            "\"{}\" is not a whole number of clicks per second",
                            rate.trim()
                        ),
                        "type 0 (stopped) to 200".to_string(),
                    )
                })?;
                Ok(StreamCommand::SetGenerator {
                    clicks_per_second,
                    max_delay: parse_seconds(&disorder, "disorder")?,
                })
            }),
        )
    };
    let pause = |p: u32, paused: bool| {
        action(
            &generator_refusal,
            std::rc::Rc::new(move || {
                Ok(StreamCommand::SetPartitionPaused {
                    partition: p,
                    paused,
                })
            }),
        )
    };
    let send_click = {
        let (user, partition, page, amount, at, sent) = (
            user.clone(),
            partition.clone(),
            page.clone(),
            amount.clone(),
            at.clone(),
            click_sent.clone(),
        );
        let (session, refusal) = (session.clone(), click_refusal.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(streams) = session.view.streams() else {
                return;
            };
            let command = (|| {
                let partition = partition.parse::<u32>().map_err(|_| {
                    (
                        format!("\"{}\" is not a partition", *partition),
                        "pick a partition from the list".to_string(),
                    )
                })?;
                let amount = amount.trim().parse::<i64>().map_err(|_| {
                    (
                        format!("\"{}\" is not a whole amount", amount.trim()),
                        "type a whole number such as 5".to_string(),
                    )
                })?;
                let event_time = event_time(at.trim()).map_err(|e| {
                    (
                        e,
                        "type the click's event time as HH:MM:SS, e.g. 00:00:12".to_string(),
                    )
                })?;
                Ok(StreamCommand::SendClick {
                    partition,
                    user: user.trim().to_string(),
                    page: page.trim().to_string(),
                    amount,
                    event_time,
                })
            })();
            let result = command.and_then(|command| {
                let text = match &command {
                    StreamCommand::SendClick {
                        user,
                        partition,
                        event_time,
                        ..
                    } => format!(
                        "Sent a click by {user} to partition {partition} with event time {}.",
                        time_text(*event_time)
                    ),
                    _ => String::new(),
                };
                try_send(&session, streams, command).map(|()| text)
            });
            match result {
                Ok(text) => {
                    sent.set(Some(text));
                    refusal.set(None);
                }
                Err(why) => {
                    sent.set(None);
                    refusal.set(Some(why));
                }
            }
        })
    };
    let now = now_time(&session.view);
    let fill_now = {
        let at = at.clone();
        Callback::from(move |_: MouseEvent| at.set(time_text(now)))
    };
    let fill_late = {
        let (at, late_by, refusal) = (at.clone(), late_by.clone(), click_refusal.clone());
        Callback::from(move |_: MouseEvent| match late_time(now, &late_by) {
            Ok(t) => {
                at.set(time_text(t));
                refusal.set(None);
            }
            Err(why) => refusal.set(Some(why)),
        })
    };
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let paused = streams.paused_partitions().clone();
    html! {
        <div class="stream-controls">
            <section class="stream-query" aria-label="The job's query">
                <label for="stream-query-text" class="small muted">{ "The job's windowed query (over topic clicks)" }</label>
                <textarea id="stream-query-text" class="stream-query-text" rows="4" spellcheck="false"
                    value={(*query).clone()} oninput={bind_text(&query)} />
                <div class="inline-form">
                    <button class="primary stream-apply-query" onclick={click(&apply_query)}>{ "Apply query" }</button>
                    <span class="small muted">{ "Applying redeploys the job: it reads the topic again from the start with empty state." }</span>
                </div>
                { refusal_view(&query_refusal) }
            </section>
            <section class="stream-settings" aria-label="Job settings">
                { setting_row(number_field("Watermark delay (s) ", "num-input stream-delay", (Some("0"), None), Some("0.5"), &delay), &set_delay) }
                { setting_row(number_field("Allowed lateness (s) ", "num-input stream-lateness", (Some("0"), None), Some("1"), &lateness), &set_lateness) }
                { setting_row(html! {
                    <label>{ "Idleness timeout (s, empty: none) " }<input class="num-input stream-idle" type="text" inputmode="decimal" placeholder="none" value={(*idle).clone()} oninput={bind(&idle)} /></label>
                }, &set_idle) }
                { setting_row(number_field("Checkpoint every (s) ", "num-input stream-interval", (Some("0.1"), None), Some("1"), &interval), &set_interval) }
                <div class="stream-setting">
                    <label>{ "Emit " }
                        <select class="stream-mode" onchange={on_mode}>
                            { for MODES.iter().map(|m| html! {
                                <option value={m.name()} selected={*m == settings.mode}>{ mode_label(*m) }</option>
                            }) }
                        </select>
                    </label>
                </div>
                <div class="stream-setting">
                    <label>{ "Delivery " }
                        <select class="stream-guarantee" onchange={on_guarantee}>
                            { for [Guarantee::AtLeastOnce, Guarantee::ExactlyOnce].into_iter().map(|g| html! {
                                <option value={guarantee_name(g)} selected={g == settings.guarantee}>{ guarantee_name(g) }</option>
                            }) }
                        </select>
                    </label>
                </div>
                { refusal_view(&settings_refusal) }
            </section>
            <section class="stream-job-buttons inline-form" aria-label="The job">
                <span class={classes!("stream-status", if running { "ok" } else { "bad" })}>
                    { if running { "Job running" } else { "Job crashed" } }
                </span>
                <button class="danger stream-crash" disabled={!running} onclick={click(&crash)}>{ "Crash job" }</button>
                <button class="stream-restart" disabled={running} onclick={click(&restart)}>{ "Restart from last checkpoint" }</button>
            </section>
            { refusal_view(&job_refusal) }
            <section class="stream-generator" aria-label="Click generator">
                <div class="inline-form">
                    { number_field("Generator: clicks/s per partition ", "num-input stream-rate", (Some("0"), Some("200".into())), None, &rate) }
                    { number_field("disorder up to (s) ", "num-input stream-disorder", (Some("0"), None), Some("0.5"), &disorder) }
                    <button onclick={click(&set_generator)}>{ "Set" }</button>
                </div>
                <div class="inline-form stream-partitions">
                    <span class="small muted">{ "Partitions:" }</span>
                    { for partitions().map(|p| {
                        let is_paused = paused.contains(&p);
                        html! {
                            <button class={if is_paused { "stream-pause paused" } else { "stream-pause" }} data-partition={p.to_string()}
                                aria-pressed={is_paused.to_string()} onclick={click(&pause(p, !is_paused))}>
                                { if is_paused { format!("Resume clicks-{p}") } else { format!("Pause clicks-{p}") } }
                            </button>
                        }
                    }) }
                </div>
                { refusal_view(&generator_refusal) }
            </section>
            <form class="stream-click" aria-label="Send a click" onsubmit={send_click}>
                <div class="inline-form">
                    <label>{ "User " }<input class="stream-click-user" size="5" value={(*user).clone()} oninput={bind(&user)} /></label>
                    <label>{ "Partition " }
                        <select class="stream-click-partition" onchange={bind_select(&partition)}>
                            { for partitions().map(|p| html! { <option value={p.to_string()} selected={*partition == p.to_string()}>{ p }</option> }) }
                        </select>
                    </label>
                    <label>{ "Page " }<input class="stream-click-page" size="6" value={(*page).clone()} oninput={bind(&page)} /></label>
                    { number_field("Amount ", "num-input stream-click-amount", (None, None), None, &amount) }
                </div>
                <div class="inline-form">
                    <label>{ "Event time " }<input class="stream-click-time" size="12" placeholder="HH:MM:SS" value={(*at).clone()} oninput={bind(&at)} /></label>
                    <button type="button" class="stream-click-now" onclick={fill_now}>{ format!("Now ({})", time_text(now)) }</button>
                    <label>{ "late by " }<input class="num-input stream-late-by" type="number" min="0" value={(*late_by).clone()} oninput={bind(&late_by)} />{ " s" }</label>
                    <button type="button" class="stream-click-late" onclick={fill_late}>{ "Use now − late by" }</button>
                    <button type="submit" class="primary stream-click-send">{ "Send click" }</button>
                </div>
                { refusal_view(&click_refusal) }
                if let Some(text) = (*click_sent).clone() {
                    <p class="small muted stream-click-sent" role="status">{ text }</p>
                }
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_to_microseconds_and_bad_text_is_refused() {
        assert_eq!(parse_seconds(" 2 ", "delay"), Ok(DurationUs(2_000_000)));
        assert_eq!(parse_seconds("0.5", "delay"), Ok(DurationUs(500_000)));
        for bad in ["", "x", "-1", "NaN", "86401"] {
            assert!(parse_seconds(bad, "delay").is_err(), "{bad}");
        }
        assert_eq!(seconds_field(DurationUs(2_500_000)), "2.5");
        assert_eq!(seconds_field(DurationUs(10_000_000)), "10");
    }

    #[test]
    fn a_late_click_is_stamped_before_now() {
        let now = lab::stream_lab::at(600);
        assert_eq!(late_time(now, "30"), Ok(lab::stream_lab::at(300)));
        assert!(late_time(now, "soon").is_err());
        // The field shows a time the click form reads back as the same instant.
        let at = lab::stream_lab::at(123);
        assert_eq!(event_time(&time_text(at)), Ok(at));
    }
}
