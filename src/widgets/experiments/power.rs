//! The power calculator, before a test starts: for the planned duration, the users each arm will
//! get, the smallest relative lift on purchase the test detects with 80% power (the MDE), and the
//! chance it detects the true effect the lab is set to. The curve draws power against the true
//! lift for the same plan; the lab computes it (`PowerView::curve`), the page only draws it.

use super::chart::{lines, Axes, Line};
use super::setup::parse_whole;
use super::{count, fixed, no_experiment, percent, refusal_view, signed_percent, try_send};
use crate::widgets::form::bind;
use crate::widgets::hooks::{use_refusal, use_text_with};
use crate::widgets::markup::fact;
use lab::experiment_lab::analysis::ALPHA;
use lab::experiment_lab::command::ExperimentCommand;
use lab::experiment_lab::PLANNED_POWER;
use yew::prelude::*;

#[component]
pub fn ExperimentPower() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let days = use_text_with(&|| {
        session
            .view
            .experiments()
            .map_or_else(String::new, |e| e.setup().planned_days.to_string())
    });
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let setup = experiment.setup();
    let plan = experiment.power();
    let truth = setup.lifts.get(1).map_or(0.0, |l| f64::from(l[0]) / 1000.0);
    let onclick = {
        let (session, refusal, days) = (session.clone(), refusal.clone(), days.clone());
        Callback::from(move |_: MouseEvent| {
            let command = parse_whole(&days, "planned duration (days)", (1, 90))
                .map(|d| ExperimentCommand::SetPlannedDays { days: d as u16 });
            refusal.set(command.and_then(|c| try_send(&session, c)).err())
        })
    };
    let mde = plan.mde_relative;
    let top = plan.curve_top(truth);
    let curve = Line {
        label: "power".into(),
        class: "ex-arm-1",
        points: plan.curve(top),
        dashed: false,
        dots: false,
    };
    let truth_line = Line {
        label: format!("true lift {}", signed_percent(truth, 1)),
        class: "ex-truth-line",
        points: vec![(truth.abs(), 0.0), (truth.abs(), 1.0)],
        dashed: true,
        dots: false,
    };
    let y_text = |v: f64| percent(v, 0);
    let axes = Axes {
        x: (0.0, top),
        x_labels: ("lift 0%".into(), signed_percent(top, 1)),
        y: (0.0, 1.0),
        y_text: &y_text,
        rule: Some((
            PLANNED_POWER,
            format!("{} power", percent(PLANNED_POWER, 0)),
        )),
    };
    let ready = mde.is_finite() && mde > 0.0;
    html! {
        <div class="experiment-power" data-mde={if ready { fixed(mde, 6) } else { String::new() }}
            data-power={fixed(plan.power_at_true_effect, 6)} data-days={setup.planned_days.to_string()}>
            <div class="inline-form">
                <label class="ex-inline-label small">{ "Planned duration (days)" }
                    <input class="ex-input ex-plan-days" size="4" value={(*days).clone()} oninput={bind(&days)} />
                </label>
                <button type="button" class="ex-plan-set" {onclick}>{ "Plan" }</button>
            </div>
            { refusal_view(&refusal) }
            <dl class="ex-facts">
                { fact("Users per arm", "", count(plan.planned_users_per_arm.round().max(0.0) as u64)) }
                { fact(&format!("MDE at {} power", percent(PLANNED_POWER, 0)), "ex-mde", if ready { signed_percent(mde, 2) } else { "–".into() }) }
                { fact(&format!("Power at the true lift {}", signed_percent(truth, 1)), "ex-power-value", percent(plan.power_at_true_effect, 1)) }
            </dl>
            { lines("Power of the planned test against the true relative lift on purchase", &[], &[curve.clone(), truth_line.clone()], &axes) }
            { super::chart::legend(&[curve, truth_line]) }
            <p class="small muted">{ format!("Two-sided test at alpha {}: an effect smaller than the MDE is more likely missed than found. Longer plans shrink the MDE with the square root of the users.", fixed(ALPHA, 2)) }</p>
        </div>
    }
}
