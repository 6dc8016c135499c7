//! The experiment's setup, as a learner configures a GrowthBook experiment: the key (the hash
//! seed), the arms' weights, coverage, a namespace slice shared with another experiment, a
//! global holdout, sticky bucketing, the arrival rate, the true effects the simulated users
//! react to, and the faults (a logging bug that loses one arm's users), plus Restart.
//!
//! Each field is parsed here (a bad number is refused beside the form with a hint) and every
//! command is checked by the lab before it is journaled.

use super::{
    arm_class, arm_label, choice_group, no_experiment, refusal_view, send_on_click, signed,
    try_send,
};
use crate::widgets::form::{bind, bind_select};
use crate::widgets::hooks::{use_refusal, use_text, use_text_with};
use lab::experiment_lab::command::{ArmIndex, ExpMetric, ExperimentCommand};
use lab::experiment_lab::Setup;
use yew::prelude::*;

/// A whole number typed in a field, within `range`.
pub fn parse_whole(text: &str, what: &str, range: (i64, i64)) -> Result<i64, (String, String)> {
    let trimmed = text.trim().trim_end_matches('%').trim();
    let value: i64 = trimmed.trim_start_matches('+').parse().map_err(|_| {
        (
            format!("\"{}\" is not a whole number for the {what}", text.trim()),
            format!("type a whole number from {} to {}", range.0, range.1),
        )
    })?;
    if value < range.0 || value > range.1 {
        return Err((
            format!("a {what} of {value} is out of range"),
            format!("give between {} and {}", range.0, range.1),
        ));
    }
    Ok(value)
}

/// Weights typed as "50 50", "50/50" or "20, 40, 40".
pub fn parse_weights(text: &str) -> Result<Vec<u8>, (String, String)> {
    text.split(|c: char| c == '/' || c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| parse_whole(part, "weight (%)", (0, 100)).map(|w| w as u8))
        .collect()
}

/// A namespace slice typed as "0-50", or "off" (or nothing) for none.
pub fn parse_namespace(text: &str) -> Result<Option<(u8, u8)>, (String, String)> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let Some((start, end)) = text.split_once('-') else {
        return Err((
            format!("\"{text}\" is not a namespace slice"),
            "type start-end in percent, such as 0-50, or off".into(),
        ));
    };
    Ok(Some((
        parse_whole(start, "namespace start (%)", (0, 100))? as u8,
        parse_whole(end, "namespace end (%)", (0, 100))? as u8,
    )))
}

/// A metric's name as the page shows it.
pub fn metric_label(metric: ExpMetric) -> &'static str {
    match metric {
        ExpMetric::Purchase => "purchase rate",
        ExpMetric::Revenue => "revenue per user",
        ExpMetric::ClicksPerSession => "clicks per session",
        ExpMetric::PageLoadMs => "page load (ms)",
    }
}

/// One labelled field with its button.
fn field(
    label: &'static str,
    class: &'static str,
    value: &UseStateHandle<String>,
    button: Html,
) -> Html {
    html! {
        <label class={classes!("ex-field", class)}>
            <span class="ex-field-label small">{ label }</span>
            <span class="ex-field-row">
                <input class={classes!("ex-input", format!("{class}-input"))} value={(**value).clone()} oninput={bind(value)} />
                { button }
            </span>
        </label>
    }
}

#[component]
pub fn ExperimentSetup() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    // The fields start from the setup on screen (a share link may have changed it).
    let now = |read: fn(&Setup) -> String| -> String {
        session
            .view
            .experiments()
            .map_or_else(String::new, |e| read(e.setup()))
    };
    let key = use_text_with(&|| now(|s| s.key.clone()));
    let weights = use_text_with(&|| {
        now(|s| {
            s.weights_percent
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
    });
    let coverage = use_text_with(&|| now(|s| s.coverage_percent.to_string()));
    let namespace = use_text_with(&|| {
        now(|s| {
            s.namespace_percent
                .map_or_else(|| "off".to_string(), |(a, b)| format!("{a}-{b}"))
        })
    });
    let holdout = use_text_with(&|| now(|s| s.holdout_percent.to_string()));
    let traffic = use_text_with(&|| now(|s| s.users_per_hour.to_string()));
    let effect_metric = use_text("purchase");
    let effect_arm = use_text("1");
    let effect_lift = use_text("5");
    let lose_arm = use_text("1");
    let lose_percent = use_text("10");
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let setup = experiment.setup();
    // A button that parses its fields into a command, then sends it.
    let parsed =
        |class: &'static str,
         text: &'static str,
         build: Box<dyn Fn() -> Result<ExperimentCommand, (String, String)>>| {
            let (session, refusal) = (session.clone(), refusal.clone());
            let onclick = Callback::from(move |_: MouseEvent| {
                refusal.set(
                    build()
                        .and_then(|command| try_send(&session, command))
                        .err(),
                )
            });
            html! { <button type="button" class={class} {onclick}>{ text }</button> }
        };
    let set_key = {
        let key = key.clone();
        parsed(
            "ex-key-set",
            "Set key",
            Box::new(move || {
                Ok(ExperimentCommand::SetKey {
                    key: key.trim().to_string(),
                })
            }),
        )
    };
    let set_weights = {
        let weights = weights.clone();
        parsed(
            "ex-weights-set",
            "Set weights",
            Box::new(move || {
                Ok(ExperimentCommand::SetWeights {
                    weights_percent: parse_weights(&weights)?,
                })
            }),
        )
    };
    let set_coverage = {
        let coverage = coverage.clone();
        parsed(
            "ex-coverage-set",
            "Set coverage",
            Box::new(move || {
                Ok(ExperimentCommand::SetCoverage {
                    percent: parse_whole(&coverage, "coverage (%)", (1, 100))? as u8,
                })
            }),
        )
    };
    let set_namespace = {
        let namespace = namespace.clone();
        parsed(
            "ex-namespace-set",
            "Set namespace",
            Box::new(move || {
                Ok(ExperimentCommand::SetNamespace {
                    range_percent: parse_namespace(&namespace)?,
                })
            }),
        )
    };
    let set_holdout = {
        let holdout = holdout.clone();
        parsed(
            "ex-holdout-set",
            "Set holdout",
            Box::new(move || {
                Ok(ExperimentCommand::SetHoldout {
                    percent: parse_whole(&holdout, "holdout (%)", (0, 50))? as u8,
                })
            }),
        )
    };
    let set_traffic = {
        let traffic = traffic.clone();
        parsed(
            "ex-traffic-set",
            "Set arrivals",
            Box::new(move || {
                Ok(ExperimentCommand::SetTraffic {
                    users_per_hour: parse_whole(
                        &traffic,
                        "arrival rate (users per hour)",
                        (0, 5_000),
                    )? as u32,
                })
            }),
        )
    };
    let set_effect = {
        let (metric, arm, lift) = (
            effect_metric.clone(),
            effect_arm.clone(),
            effect_lift.clone(),
        );
        parsed(
            "ex-effect-set",
            "Set effect",
            Box::new(move || {
                Ok(ExperimentCommand::SetEffect {
                    metric: ExpMetric::from_name(&metric).unwrap_or(ExpMetric::Purchase),
                    arm: ArmIndex(parse_whole(&arm, "arm", (1, 3))? as u8),
                    lift_permille: parse_whole(&lift, "true effect (%)", (-50, 100))? as i32 * 10,
                })
            }),
        )
    };
    let lose_logs = {
        let (arm, percent) = (lose_arm.clone(), lose_percent.clone());
        parsed(
            "danger ex-lose-logs",
            "Lose logs",
            Box::new(move || {
                Ok(ExperimentCommand::LoseLogs {
                    arm: ArmIndex(parse_whole(&arm, "arm", (1, 3))? as u8),
                    percent: parse_whole(&percent, "share of users lost (%)", (1, 100))? as u8,
                })
            }),
        )
    };
    let arms = setup.arms();
    let treatment_options = |state: &UseStateHandle<String>| {
        html! {
            <select class="ex-arm-select" onchange={bind_select(state)} aria-label="Arm">
                { for (1..arms as u8).map(|a| html! {
                    <option value={a.to_string()} selected={**state == a.to_string()}>{ arm_label(ArmIndex(a)) }</option>
                }) }
            </select>
        }
    };
    let effects: Vec<(ArmIndex, ExpMetric, i32)> = setup
        .lifts
        .iter()
        .enumerate()
        .skip(1)
        .flat_map(|(a, lifts)| {
            ExpMetric::ALL
                .into_iter()
                .zip(lifts.iter().copied())
                .filter(|(_, l)| *l != 0)
                .map(move |(m, l)| (ArmIndex(a as u8), m, l))
        })
        .collect();
    html! {
        <div class="experiment-setup" data-key={setup.key.clone()} data-arms={arms.to_string()} data-sticky={setup.sticky.to_string()}
            data-coverage={setup.coverage_percent.to_string()}>
            <p class="small ex-summary">
                <strong>{ format!("{} ", setup.key) }</strong>
                { for setup.weights_percent.iter().enumerate().map(|(a, w)| html! {
                    <span class={classes!("ex-chip", arm_class(ArmIndex(a as u8)))}>{ format!("{} {w}%", arm_label(ArmIndex(a as u8))) }</span>
                }) }
                <span class="muted">{ format!(" · coverage {}% · {}{} · {} users/hour",
                    setup.coverage_percent,
                    setup.namespace_percent.map_or_else(|| "no namespace".to_string(), |(s, e)| format!("namespace {s}-{e}%")),
                    if setup.holdout_percent > 0 { format!(" · holdout {}%", setup.holdout_percent) } else { String::new() },
                    setup.users_per_hour) }</span>
            </p>
            <div class="ex-fields">
                { field("Experiment key (hash seed)", "ex-key", &key, set_key) }
                { field("Weights, % per arm (control first)", "ex-weights", &weights, set_weights) }
                { field("Coverage, % of users", "ex-coverage", &coverage, set_coverage) }
                { field("Namespace slice (start-end %, or off)", "ex-namespace", &namespace, set_namespace) }
                { field("Holdout, % of all users", "ex-holdout", &holdout, set_holdout) }
                { field("Arrivals, users per hour", "ex-traffic", &traffic, set_traffic) }
            </div>
            { choice_group(&session, &refusal, ("Sticky bucketing", "ex-sticky"), vec![
                ("on", setup.sticky, ExperimentCommand::SetSticky { on: true }),
                ("off", !setup.sticky, ExperimentCommand::SetSticky { on: false }),
            ]) }
            <fieldset class="ex-effects">
                <legend class="small">{ "True effects the simulated users react to" }</legend>
                <ul class="ex-effect-list small">
                    if effects.is_empty() {
                        <li class="muted">{ "None: every arm behaves like control (an A/A test)." }</li>
                    }
                    { for effects.iter().map(|(arm, metric, lift)| html! {
                        <li data-metric={metric.as_str()} data-arm={arm.0.to_string()}>
                            <span class={classes!("ex-chip", arm_class(*arm))}>{ arm_label(*arm) }</span>
                            { format!(" {}: {}", metric_label(*metric), signed(&super::fixed(f64::from(*lift) / 10.0, 1), "%")) }
                        </li>
                    }) }
                </ul>
                <div class="inline-form ex-effect-form">
                    <select class="ex-effect-metric" onchange={bind_select(&effect_metric)} aria-label="Metric">
                        { for ExpMetric::ALL.into_iter().map(|m| html! {
                            <option value={m.as_str()} selected={*effect_metric == m.as_str()}>{ metric_label(m) }</option>
                        }) }
                    </select>
                    { treatment_options(&effect_arm) }
                    <label class="ex-inline-label small">{ "lift %" }
                        <input class="ex-input ex-effect-lift" size="5" value={(*effect_lift).clone()} oninput={bind(&effect_lift)} />
                    </label>
                    { set_effect }
                </div>
            </fieldset>
            <fieldset class="ex-faults">
                <legend class="small">{ "Faults" }</legend>
                <p class="small">
                    { match setup.lost_logs {
                        Some((arm, percent)) if percent > 0 => format!("Logging bug: {percent}% of {}'s new users never reach the logs.", arm_label(arm)),
                        _ => "Logging works: every assigned user reaches the analysis.".to_string(),
                    } }
                </p>
                <div class="inline-form">
                    { treatment_options(&lose_arm) }
                    <label class="ex-inline-label small">{ "lost %" }
                        <input class="ex-input ex-lose-percent" size="4" value={(*lose_percent).clone()} oninput={bind(&lose_percent)} />
                    </label>
                    { lose_logs }
                    <button type="button" class="ex-fix-logs" disabled={setup.lost_logs.is_none_or(|(_, p)| p == 0)}
                        onclick={send_on_click(&session, &refusal, ExperimentCommand::LoseLogs { arm: ArmIndex(1), percent: 0 })}>{ "Fix logging" }</button>
                </div>
            </fieldset>
            <div class="inline-form ex-restart-row">
                <button type="button" class="ex-restart" onclick={send_on_click(&session, &refusal, ExperimentCommand::Restart)}>{ "Restart the test" }</button>
                <span class="small muted">{ "A new phase: users and statistics cleared, settings kept." }</span>
            </div>
            { refusal_view(&refusal) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_or_say_why() {
        assert_eq!(parse_weights("50/50"), Ok(vec![50, 50]));
        assert_eq!(parse_weights("20, 40 40"), Ok(vec![20, 40, 40]));
        assert!(parse_weights("50 x").is_err());
        assert_eq!(parse_namespace("off"), Ok(None));
        assert_eq!(parse_namespace("0-50"), Ok(Some((0, 50))));
        assert!(parse_namespace("50").is_err());
        assert_eq!(parse_whole("+5%", "lift", (-50, 100)), Ok(5));
        let (message, hint) = parse_whole("200", "coverage (%)", (1, 100)).unwrap_err();
        assert!(message.contains("200") && hint.contains("100"));
    }
}
