//! What the learner does to the world a rollout runs in: deploy a version with a behaviour (as
//! good as v1, or with a latency regression, a 5xx spike, a slow quality decay, or numbers of the
//! learner's own), inject a fault into a running version, change the request rate, and shift the
//! serving distribution of the feature or the prediction score away from the training data.

use super::{no_rollout, refusal_view, try_send, Refusal};
use crate::widgets::form::{bind, bind_select};
use crate::widgets::hooks::{use_refusal, use_text, use_text_with};
use lab::rollout_lab::command::{Fault, RolloutCommand, VersionBehaviour};
use lab::rollouts::monitor::DriftTarget;
use yew::prelude::*;

/// A behaviour's fields as the form shows them: p50 ms, p99 ms, error %, quality %, decay %/h.
type Fields = [String; 5];

/// The behaviours offered by name, as changes to v1's.
const PRESETS: [(&str, &str); 4] = [
    ("fine", "as good as v1"),
    ("latency", "latency regression (p99 1500 ms)"),
    ("errors", "5xx spike (10% errors)"),
    ("decay", "slow quality decay (−10 points/h)"),
];

/// The form's fields for a named behaviour.
pub fn preset_fields(name: &str) -> Fields {
    let b = VersionBehaviour::BASELINE;
    let mut fields = [
        b.median_ms.to_string(),
        b.p99_ms.to_string(),
        percent(b.error_rate_basis_points, 100.0),
        percent(u32::from(b.quality_permille), 10.0),
        percent(u32::from(b.quality_decay_permille_per_hour), 10.0),
    ];
    match name {
        "latency" => fields[1] = "1500".into(),
        "errors" => fields[2] = "10".into(),
        "decay" => fields[4] = "10".into(),
        _ => {}
    }
    fields
}

fn percent(units: u32, per_percent: f64) -> String {
    format!("{}", f64::from(units) / per_percent)
}

/// A number typed in a field, within `range`, scaled to the command's units.
pub fn parse_scaled(
    text: &str,
    what: &str,
    range: (f64, f64),
    scale: f64,
) -> Result<u32, (String, String)> {
    let value: f64 = text.trim().parse().map_err(|_| {
        (
            format!("\"{}\" is not a number for the {what}", text.trim()),
            format!("type a number from {} to {}", range.0, range.1),
        )
    })?;
    if !value.is_finite() || value < range.0 || value > range.1 {
        return Err((
            format!("a {what} of {} is out of range", text.trim()),
            format!("give between {} and {}", range.0, range.1),
        ));
    }
    Ok((value * scale).round() as u32)
}

/// The behaviour the fields describe.
pub fn behaviour(fields: &Fields) -> Result<VersionBehaviour, (String, String)> {
    let quality = |i: usize, what: &str| -> Result<u16, (String, String)> {
        Ok(parse_scaled(&fields[i], what, (0.0, 100.0), 10.0)? as u16)
    };
    Ok(VersionBehaviour {
        median_ms: parse_scaled(&fields[0], "p50 latency (ms)", (1.0, 60_000.0), 1.0)?,
        p99_ms: parse_scaled(&fields[1], "p99 latency (ms)", (1.0, 60_000.0), 1.0)?,
        error_rate_basis_points: parse_scaled(&fields[2], "error rate (%)", (0.0, 100.0), 100.0)?,
        quality_permille: quality(3, "quality (%)")?,
        quality_decay_permille_per_hour: quality(4, "quality decay (points per hour)")?,
    })
}

/// The fault a kind and a value describe.
pub fn fault(kind: &str, value: &str) -> Result<Fault, (String, String)> {
    Ok(match kind {
        "p50" => Fault::MedianMs(parse_scaled(
            value,
            "p50 latency (ms)",
            (1.0, 60_000.0),
            1.0,
        )?),
        "error" => {
            Fault::ErrorRateBasisPoints(parse_scaled(value, "error rate (%)", (0.0, 100.0), 100.0)?)
        }
        "quality" => {
            Fault::QualityPermille(parse_scaled(value, "quality (%)", (0.0, 100.0), 10.0)? as u16)
        }
        "decay" => Fault::QualityDecayPermillePerHour(parse_scaled(
            value,
            "quality decay (points per hour)",
            (0.0, 100.0),
            10.0,
        )? as u16),
        _ => Fault::P99Ms(parse_scaled(
            value,
            "p99 latency (ms)",
            (1.0, 60_000.0),
            1.0,
        )?),
    })
}

#[component]
pub fn RolloutDeploy() -> Html {
    let session = crate::widgets::use_lab();
    let version = use_text("v2");
    let preset = use_text("fine");
    let fields: [UseStateHandle<String>; 5] = [
        use_text_with(&|| preset_fields("fine")[0].clone()),
        use_text_with(&|| preset_fields("fine")[1].clone()),
        use_text_with(&|| preset_fields("fine")[2].clone()),
        use_text_with(&|| preset_fields("fine")[3].clone()),
        use_text_with(&|| preset_fields("fine")[4].clone()),
    ];
    let fault_version = use_text("v2");
    let fault_kind = use_text("error");
    let fault_value = use_text("10");
    let rps = use_text_with(&|| {
        session
            .view
            .rollouts()
            .map_or(20, |r| r.requests_per_second())
            .to_string()
    });
    let drift_target = use_text("feature");
    let drift_amount = use_text("1.5");
    let deploy_refusal = use_refusal();
    let fault_refusal = use_refusal();
    let world_refusal = use_refusal();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    // Sends what `make` builds, or shows why it could not be built or was refused.
    let send = |refusal: &UseStateHandle<Refusal>,
                make: Box<dyn Fn() -> Result<RolloutCommand, (String, String)>>| {
        let (session, refusal) = (session.clone(), refusal.clone());
        let make: std::rc::Rc<dyn Fn() -> Result<RolloutCommand, (String, String)>> = make.into();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            refusal.set(make().and_then(|c| try_send(&session, c)).err());
        })
    };
    let on_preset = {
        let (preset, fields) = (preset.clone(), fields.clone());
        Callback::from(move |e: Event| {
            let name = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            for (field, value) in fields.iter().zip(preset_fields(&name)) {
                field.set(value);
            }
            preset.set(name);
        })
    };
    let deploy = {
        let (version, fields) = (version.clone(), fields.clone());
        send(
            &deploy_refusal,
            Box::new(move || {
                let values: Fields = [0, 1, 2, 3, 4].map(|i| (*fields[i]).clone());
                Ok(RolloutCommand::Deploy {
                    version: version.trim().to_string(),
                    behaviour: behaviour(&values)?,
                })
            }),
        )
    };
    let inject = {
        let (v, k, x) = (
            fault_version.clone(),
            fault_kind.clone(),
            fault_value.clone(),
        );
        send(
            &fault_refusal,
            Box::new(move || {
                Ok(RolloutCommand::Inject {
                    version: v.trim().to_string(),
                    change: fault(&k, &x)?,
                })
            }),
        )
    };
    let set_traffic = {
        let rps = rps.clone();
        send(
            &world_refusal,
            Box::new(move || {
                Ok(RolloutCommand::SetTraffic {
                    requests_per_second: parse_scaled(
                        &rps,
                        "request rate (requests/s)",
                        (0.0, 2000.0),
                        1.0,
                    )?,
                })
            }),
        )
    };
    let shift = {
        let (target, amount) = (drift_target.clone(), drift_amount.clone());
        send(
            &world_refusal,
            Box::new(move || {
                let sd: f64 = amount
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && v.abs() <= 5.0)
                    .ok_or_else(|| {
                        (
                            format!(
                                "\"{}\" is not a shift in standard deviations",
                                amount.trim()
                            ),
                            "type a number from -5 to 5 (0 moves it back)".to_string(),
                        )
                    })?;
                Ok(RolloutCommand::ShiftDrift {
                    target: if *target == "prediction" {
                        DriftTarget::Prediction
                    } else {
                        DriftTarget::Feature
                    },
                    amount_milli: (sd * 1000.0).round() as i32,
                })
            }),
        )
    };
    let field = |i: usize, label: &'static str, class: &'static str| {
        html! {
            <label>{ label }<input class={classes!("num-input", class)} inputmode="decimal" value={(*fields[i]).clone()} oninput={bind(&fields[i])} /></label>
        }
    };
    let deployed = rollouts
        .versions()
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <div class="rollout-deploy">
            <form class="rd-form rd-deploy" aria-label="Deploy a version" onsubmit={deploy}>
                <div class="inline-form">
                    <label>{ "Version " }<input class="rd-version" size="6" value={(*version).clone()} oninput={bind(&version)} /></label>
                    <label>{ "Behaviour " }
                        <select class="rd-preset" onchange={on_preset}>
                            { for PRESETS.iter().map(|(name, text)| html! { <option value={*name} selected={*preset == *name}>{ *text }</option> }) }
                        </select>
                    </label>
                </div>
                <div class="inline-form rd-fields">
                    { field(0, "p50 ms ", "rd-p50") }
                    { field(1, "p99 ms ", "rd-p99") }
                    { field(2, "errors % ", "rd-error") }
                    { field(3, "quality % ", "rd-quality") }
                    { field(4, "decay points/h ", "rd-decay") }
                    <button type="submit" class="primary rd-deploy-button">{ "Deploy" }</button>
                </div>
                <p class="small muted">{ format!("Deployed so far: {deployed}. The examples' analysis measures the version named v2.") }</p>
                { refusal_view(&deploy_refusal) }
            </form>
            <form class="rd-form rd-inject" aria-label="Inject a fault" onsubmit={inject}>
                <div class="inline-form">
                    <label>{ "Inject into " }<input class="rd-fault-version" size="6" value={(*fault_version).clone()} oninput={bind(&fault_version)} /></label>
                    <select class="rd-fault-kind" aria-label="What changes" onchange={bind_select(&fault_kind)}>
                        { for [("error", "errors %"), ("p99", "p99 ms"), ("p50", "p50 ms"), ("quality", "quality %"), ("decay", "decay points/h")].into_iter().map(|(k, t)| html! {
                            <option value={k} selected={*fault_kind == k}>{ t }</option>
                        }) }
                    </select>
                    <input class="num-input rd-fault-value" aria-label="New value" inputmode="decimal" value={(*fault_value).clone()} oninput={bind(&fault_value)} />
                    <button type="submit" class="rd-inject-button">{ "Inject from now" }</button>
                </div>
                { refusal_view(&fault_refusal) }
            </form>
            <form class="rd-form rd-world" aria-label="Traffic" onsubmit={set_traffic}>
                <div class="inline-form">
                    <label>{ "Traffic " }<input class="num-input rd-rps" inputmode="numeric" value={(*rps).clone()} oninput={bind(&rps)} />{ " requests/s" }</label>
                    <button type="submit" class="rd-rps-button">{ "Set" }</button>
                </div>
            </form>
            <form class="rd-form rd-drift" aria-label="Shift a distribution" onsubmit={shift}>
                <div class="inline-form">
                    <label>{ "Shift " }
                        <select class="rd-drift-target" onchange={bind_select(&drift_target)}>
                            <option value="feature" selected={*drift_target == "feature"}>{ "the feature" }</option>
                            <option value="prediction" selected={*drift_target == "prediction"}>{ "the prediction score" }</option>
                        </select>
                    </label>
                    <label>{ "by " }<input class="num-input rd-drift-amount" inputmode="decimal" value={(*drift_amount).clone()} oninput={bind(&drift_amount)} />{ " sd" }</label>
                    <button type="submit" class="rd-drift-button">{ "Shift" }</button>
                </div>
                { refusal_view(&world_refusal) }
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_change_one_number_of_v1s_behaviour() {
        let fine = behaviour(&preset_fields("fine")).unwrap();
        assert_eq!(fine, VersionBehaviour::BASELINE);
        let errors = behaviour(&preset_fields("errors")).unwrap();
        assert_eq!(errors.error_rate_basis_points, 1000);
        assert_eq!(errors.p99_ms, fine.p99_ms);
        assert_eq!(behaviour(&preset_fields("latency")).unwrap().p99_ms, 1500);
        assert_eq!(
            behaviour(&preset_fields("decay"))
                .unwrap()
                .quality_decay_permille_per_hour,
            100
        );
    }

    #[test]
    fn bad_numbers_are_refused_with_a_hint() {
        assert!(parse_scaled("x", "rate", (0.0, 10.0), 1.0).is_err());
        assert!(parse_scaled("11", "rate", (0.0, 10.0), 1.0).is_err());
        assert_eq!(parse_scaled("0.5", "errors", (0.0, 100.0), 100.0), Ok(50));
        assert_eq!(fault("error", "2.5"), Ok(Fault::ErrorRateBasisPoints(250)));
        assert_eq!(fault("p99", "900"), Ok(Fault::P99Ms(900)));
        assert!(fault("quality", "120").is_err());
    }
}
