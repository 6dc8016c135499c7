//! The peeking simulator: many A/A tests (both arms identical, so every "winner" is a false
//! positive), each looked at every day. Three readings side by side on one scale with alpha
//! marked: the fixed-horizon t-test stopped at the first day it says p < 0.05 (peeking), the
//! sequential test stopped the same way, and the fixed-horizon test read once at the end.

use super::setup::parse_whole;
use super::{count, no_experiment, percent, refusal_view, try_send};
use crate::widgets::form::bind;
use crate::widgets::hooks::{use_refusal, use_text};
use lab::experiment_lab::analysis::ALPHA;
use lab::experiment_lab::command::{
    ExperimentCommand, PEEKING_DAYS_MAX, PEEKING_TESTS_MAX, PEEKING_USERS_MAX,
};
use yew::prelude::*;

/// One reading's bar: the share of tests that declared a winner.
fn bar(
    key: &'static str,
    label: &'static str,
    detail: &'static str,
    hits: u32,
    tests: u32,
    top: f64,
) -> Html {
    let rate = f64::from(hits) / f64::from(tests.max(1));
    html! {
        <div class={classes!("ex-fpr", format!("ex-fpr-{key}"))} data-rate={rate.to_string()} data-hits={hits.to_string()}>
            <div class="ex-fpr-head">
                <span class="ex-fpr-label">{ label }</span>
                <strong class="ex-fpr-rate">{ percent(rate, 1) }</strong>
                <span class="small muted">{ format!(" {} of {} tests", count(u64::from(hits)), count(u64::from(tests))) }</span>
            </div>
            <div class="ex-fpr-track" role="img" aria-label={format!("{label}: {} false positives", percent(rate, 1))}>
                <span class="ex-fpr-fill" style={format!("width: {:.2}%", (rate / top).min(1.0) * 100.0)}></span>
                <span class="ex-fpr-alpha" style={format!("left: {:.2}%", ALPHA / top * 100.0)} title={format!("alpha {}", percent(ALPHA, 0))}></span>
            </div>
            <p class="small muted ex-fpr-detail">{ detail }</p>
        </div>
    }
}

#[component]
pub fn ExperimentPeeking() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let seed = use_text("1");
    let tests = use_text("500");
    let days = use_text("14");
    let users = use_text("200");
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let onclick = {
        let (session, refusal) = (session.clone(), refusal.clone());
        let (seed, tests, days, users) = (seed.clone(), tests.clone(), days.clone(), users.clone());
        Callback::from(move |_: MouseEvent| {
            let command: Result<ExperimentCommand, (String, String)> = (|| {
                Ok(ExperimentCommand::RunPeeking {
                    seed: parse_whole(&seed, "seed", (0, i64::from(u32::MAX)))? as u64,
                    tests: parse_whole(
                        &tests,
                        "number of tests",
                        (1, i64::from(PEEKING_TESTS_MAX)),
                    )? as u32,
                    days: parse_whole(&days, "number of days", (1, i64::from(PEEKING_DAYS_MAX)))?
                        as u32,
                    users_per_arm_per_day: parse_whole(
                        &users,
                        "users per arm per day",
                        (2, i64::from(PEEKING_USERS_MAX)),
                    )? as u32,
                })
            })();
            refusal.set(command.and_then(|c| try_send(&session, c)).err())
        })
    };
    let input = |class: &'static str, label: &'static str, state: &UseStateHandle<String>| {
        html! {
            <label class="ex-inline-label small">{ label }
                <input class={classes!("ex-input", class)} size="5" value={(**state).clone()} oninput={bind(state)} />
            </label>
        }
    };
    let run = experiment.peeking();
    html! {
        <div class="experiment-peeking" data-ran={run.is_some().to_string()}>
            <p class="small ex-caption">{ "A/A tests: both arms are the same, so every winner is a false positive. Each test is looked at once a day." }</p>
            <div class="inline-form ex-peeking-form">
                { input("ex-peek-seed", "seed", &seed) }
                { input("ex-peek-tests", "tests", &tests) }
                { input("ex-peek-days", "days", &days) }
                { input("ex-peek-users", "users/arm/day", &users) }
                <button type="button" class="primary ex-peek-run" {onclick}>{ "Run A/A tests" }</button>
            </div>
            { refusal_view(&refusal) }
            <div class="ex-fpr-list">
                { match run {
                    Some(run) => {
                        let fp = &run.false_positives;
                        let top = [fp.peeking, fp.sequential, fp.once_at_end]
                            .iter()
                            .map(|h| fp.rate(*h))
                            .fold(ALPHA * 4.0, f64::max)
                            .min(1.0);
                        html! {
                            <>
                                <p class="small">{ format!("{} tests of {} days, {} users per arm per day, seed {}: alpha is {}.",
                                    count(u64::from(run.tests)), run.days, count(u64::from(run.users_per_arm_per_day)), run.seed, percent(ALPHA, 0)) }</p>
                                { bar("peeking", "Peeking: t-test every day, stop at p < 0.05", "The fixed-horizon test promises 5% only if read once; every extra look is another chance to be fooled.", fp.peeking, fp.tests, top) }
                                { bar("sequential", "Sequential test every day", "Always-valid p-values: looking every day keeps false positives under alpha.", fp.sequential, fp.tests, top) }
                                { bar("once", "t-test once, at the end", "What the fixed-horizon test is built for: right at alpha.", fp.once_at_end, fp.tests, top) }
                            </>
                        }
                    }
                    None => html! { <p class="small muted ex-placeholder">{ "Run the simulator to see how often each reading declares a winner that is not there." }</p> },
                } }
            </div>
        </div>
    }
}
