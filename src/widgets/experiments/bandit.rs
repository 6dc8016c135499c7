//! The bandit: arms with hidden success rates, pulled by a policy as the clock runs (epsilon-greedy,
//! UCB1, Bernoulli Thompson sampling or GrowthBook's Gaussian Thompson weights). Per arm the
//! pulls, successes, the Beta posterior of its rate (drawn as a curve, labelled with the arm's
//! number at its peak, so arms read without colour), the probability it is the best arm and what
//! steers the next pulls (GrowthBook's traffic weight, UCB1's index, or for epsilon-greedy and
//! Thompson sampling the share of pulls so far); how the traffic was split over time (GrowthBook's
//! weights at each update, or each arm's share of the pulls between points); then the regret over
//! pulls against always choosing at random.

use super::chart::{legend, lines, round_up, Axes, Line};
use super::setup::parse_whole;
use super::{count, fixed, no_experiment, percent, refusal_view, send_on_click, try_send};
use crate::widgets::form::{bind, bind_select};
use crate::widgets::hooks::{use_refusal, use_text};
use crate::widgets::markup::{column_heads, el, svg_text};
use lab::experiment_lab::command::{BanditPolicy, ExperimentCommand, PULLS_PER_TICK_MAX};
use lab::experiment_lab::side::{AllocationKind, BanditView};
use lab::sim::special::ln_beta;
use yew::prelude::*;

/// Points per posterior curve.
const CURVE_POINTS: usize = 120;
/// Most points of the regret chart (the curve is thinned evenly beyond).
const REGRET_POINTS: usize = 240;

/// The eight arm colours' CSS classes.
const ARM_CLASSES: [&str; 8] = [
    "ex-b0", "ex-b1", "ex-b2", "ex-b3", "ex-b4", "ex-b5", "ex-b6", "ex-b7",
];

/// An arm's CSS class: one of eight theme colours.
fn arm_class(i: usize) -> &'static str {
    ARM_CLASSES[i % ARM_CLASSES.len()]
}

/// How the traffic was split over pulls: one line per arm (every other arm dashed, so lines read
/// without colour), from the lab's series of at most 200 points.
fn allocation_chart(bandit: &BanditView) -> Html {
    let series = bandit.allocation_over_time();
    let pulls = bandit.pulls().max(1) as f64;
    let arm_lines: Vec<Line> = (0..bandit.rates.len())
        .map(|i| Line {
            label: format!("arm {}", i + 1),
            class: arm_class(i),
            points: series
                .points
                .iter()
                .map(|p| (p.pulls as f64, p.shares.get(i).copied().unwrap_or(f64::NAN)))
                .collect(),
            dashed: i % 2 == 1,
            dots: series.points.len() <= 2,
        })
        .collect();
    let y_text = |v: f64| percent(v, 0);
    let axes = Axes {
        x: (0.0, pulls),
        x_labels: ("0 pulls".into(), format!("{} pulls", count(bandit.pulls()))),
        y: (0.0, 1.0),
        y_text: &y_text,
        rule: None,
    };
    let (caption, label) = match series.kind {
        AllocationKind::TrafficWeights => (
            "Traffic weights over time: GrowthBook's weights at each update",
            "Each arm's traffic weight at each update, over pulls",
        ),
        AllocationKind::PullShares => (
            "Share of pulls over time: each arm's share of the pulls since the previous point",
            "Each arm's share of the pulls between points, over pulls",
        ),
    };
    html! {
        <figure class="ex-allocation-chart" data-kind={match series.kind { AllocationKind::TrafficWeights => "weights", AllocationKind::PullShares => "pull-shares" }}
            data-points={series.points.len().to_string()}>
            <figcaption class="small">{ caption }</figcaption>
            { lines(label, &[], &arm_lines, &axes) }
            { legend(&arm_lines) }
        </figure>
    }
}

/// What steers the next pulls, per arm, and the column's heading: GrowthBook's traffic weights,
/// UCB1's index, or the share of pulls so far for the policies that set no weights.
fn steering(bandit: &BanditView) -> (&'static str, Vec<String>) {
    if let Some(indices) = bandit.ucb1_indices() {
        let text = indices
            .iter()
            .map(|v| {
                if v.is_finite() {
                    fixed(*v, 4)
                } else {
                    "∞ (not pulled)".into()
                }
            })
            .collect();
        return ("UCB1 index", text);
    }
    if matches!(bandit.policy, BanditPolicy::GrowthBook) {
        return (
            "weight",
            bandit.weights().iter().map(|w| percent(*w, 1)).collect(),
        );
    }
    let total = bandit.pulls().max(1) as f64;
    (
        "share of pulls",
        bandit
            .arms()
            .iter()
            .map(|(pulls, _, _)| percent(*pulls as f64 / total, 1))
            .collect(),
    )
}

/// The Beta(α, β) density at `x`.
pub fn beta_density(alpha: f64, beta: f64, x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    ((alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln() - ln_beta(alpha, beta)).exp()
}

/// Success rates typed as "2, 3, 5" (percent).
pub fn parse_rates(text: &str) -> Result<Vec<u16>, (String, String)> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let t = p.trim_end_matches('%');
            match t.parse::<f64>() {
                Ok(v) if (0.0..=100.0).contains(&v) => Ok((v * 10.0).round() as u16),
                _ => Err((
                    format!("\"{p}\" is not a success rate"),
                    "type each arm's rate in percent, such as 2, 3, 5".into(),
                )),
            }
        })
        .collect()
}

/// The posteriors: each arm's Beta(1 + successes, 1 + failures), scaled to its own peak so a
/// narrow and a wide posterior both show their place and spread.
fn posteriors(bandit: &BanditView) -> Html {
    const W: f64 = 320.0;
    const H: f64 = 130.0;
    const LEFT: f64 = 8.0;
    const BOTTOM: f64 = 112.0;
    let arms = bandit.arms();
    let params: Vec<(f64, f64)> = arms
        .iter()
        .map(|(pulls, wins, _)| (1.0 + *wins as f64, 1.0 + pulls.saturating_sub(*wins) as f64))
        .collect();
    let spread = |(a, b): (f64, f64)| {
        let mean = a / (a + b);
        let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
        (mean - 4.0 * sd, mean + 4.0 * sd)
    };
    let x_hi = params
        .iter()
        .map(|p| spread(*p).1)
        .chain(bandit.rates.iter().map(|r| r * 1.3))
        .fold(0.02f64, f64::max)
        .min(1.0);
    let px = |x: f64| LEFT + x / x_hi * (W - 2.0 * LEFT);
    let curves: Vec<Html> = params
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let (lo, hi) = spread((*a, *b));
            let (lo, hi) = (lo.max(0.0), hi.min(x_hi));
            let xs: Vec<f64> = (0..=CURVE_POINTS)
                .map(|k| lo + (hi - lo) * k as f64 / CURVE_POINTS as f64)
                .collect();
            let ys: Vec<f64> = xs.iter().map(|x| beta_density(*a, *b, *x)).collect();
            let peak = ys.iter().copied().fold(1e-300, f64::max);
            let mut d = format!("M{:.1} {BOTTOM} ", px(lo));
            for (x, y) in xs.iter().zip(&ys) {
                d.push_str(&format!("L{:.1} {:.1} ", px(*x), BOTTOM - y / peak * (BOTTOM - 14.0)));
            }
            d.push_str(&format!("L{:.1} {BOTTOM}", px(hi)));
            let mode_x = (a - 1.0) / (a + b - 2.0);
            let label_x = if mode_x.is_finite() { mode_x } else { 0.5 * x_hi };
            html! {
                <g class={classes!("ex-posterior", arm_class(i))}>
                    <path d={d}><title>{ format!("arm {}: Beta({}, {})", i + 1, fixed(*a, 0), fixed(*b, 0)) }</title></path>
                    { svg_text((format!("{:.1}", px(label_x.clamp(0.0, x_hi))).into(), "10".into()), Some("middle"), "", (i + 1).to_string().into()) }
                </g>
            }
        })
        .collect();
    html! {
        <svg class="ex-chart ex-posteriors" viewBox={format!("0 0 {W} {H}")} role="img"
            aria-label="Each arm's posterior of its success rate, scaled to its peak and labelled by arm number">
            <line class="ex-axis" x1={LEFT.to_string()} x2={(W - LEFT).to_string()} y1={BOTTOM.to_string()} y2={BOTTOM.to_string()} />
            { for curves }
            { for bandit.rates.iter().enumerate().map(|(i, r)| html! {
                <line class={classes!("ex-rate-tick", arm_class(i))} x1={format!("{:.1}", px(*r))} x2={format!("{:.1}", px(*r))} y1={BOTTOM.to_string()} y2={(BOTTOM + 5.0).to_string()} />
            }) }
            { svg_text((LEFT.to_string().into(), (H - 3.0).to_string().into()), None, "", "0%".into()) }
            { svg_text(((W - LEFT).to_string().into(), (H - 3.0).to_string().into()), Some("end"), "", percent(x_hi, 1).into()) }
            { svg_text(((W / 2.0).to_string().into(), (H - 3.0).to_string().into()), Some("middle"), "", "success rate (ticks: true rates)".into()) }
        </svg>
    }
}

/// Regret over pulls, against always choosing an arm at random.
fn regret_chart(bandit: &BanditView) -> Html {
    let curve = &bandit.regret_curve;
    let step = curve.len().div_ceil(REGRET_POINTS).max(1);
    let mut points: Vec<(f64, f64)> = curve
        .iter()
        .step_by(step)
        .map(|p| (p.pulls as f64, p.regret))
        .collect();
    if let Some(last) = curve.last() {
        if points.last().is_none_or(|p| p.0 != last.pulls as f64) {
            points.push((last.pulls as f64, last.regret));
        }
    }
    let pulls = curve.last().map_or(0, |p| p.pulls) as f64;
    let best = bandit.rates.iter().copied().fold(0.0, f64::max);
    let mean = bandit.rates.iter().sum::<f64>() / bandit.rates.len().max(1) as f64;
    let random = Line {
        label: "choosing at random".into(),
        class: "ex-random",
        points: vec![(0.0, 0.0), (pulls, pulls * (best - mean))],
        dashed: true,
        dots: false,
    };
    let regret = Line {
        label: format!("{} regret", bandit.label),
        class: "ex-b0",
        points,
        dashed: false,
        dots: false,
    };
    let top = round_up((pulls * (best - mean)).max(bandit.regret).max(1.0));
    let y_text = |v: f64| fixed(v, 0);
    let axes = Axes {
        x: (0.0, pulls.max(1.0)),
        x_labels: ("0 pulls".into(), format!("{} pulls", count(pulls as u64))),
        y: (0.0, top),
        y_text: &y_text,
        rule: None,
    };
    html! {
        <figure class="ex-regret">
            <figcaption class="small">{ "Regret: expected successes lost to not always pulling the best arm" }</figcaption>
            { lines("Cumulative regret over pulls", &[], &[regret.clone(), random.clone()], &axes) }
            { legend(&[regret, random]) }
        </figure>
    }
}

fn arms_table(bandit: &BanditView) -> Html {
    let arms = bandit.arms();
    let total = bandit.pulls().max(1) as f64;
    let (steer_heading, steer) = steering(bandit);
    html! {
        <table class="ex-bandit-arms small">
            <thead><tr>
                { column_heads(&[("", "arm"), ("ex-num", "true rate"), ("ex-num", "pulls"), ("ex-num", "successes"),
                    ("ex-num", "posterior mean"), ("ex-num", "P(best)"), ("ex-num ex-steer", steer_heading)]) }
            </tr></thead>
            <tbody>
                { for arms.iter().enumerate().map(|(i, (pulls, wins, mean))| html! {
                    <tr data-arm={i.to_string()} data-pulls={pulls.to_string()}>
                        <th scope="row"><span class={classes!("ex-swatch", arm_class(i))}></span>{ format!("arm {}", i + 1) }</th>
                        { el("td", "ex-num", percent(bandit.rates.get(i).copied().unwrap_or(0.0), 1)) }
                        <td class="ex-num">
                            { count(*pulls) }
                            <span class="ex-share" aria-hidden="true"><span class={classes!("ex-share-fill", arm_class(i))} style={format!("width: {:.1}%", *pulls as f64 / total * 100.0)}></span></span>
                        </td>
                        { for [
                            count(*wins),
                            percent(*mean, 2),
                            percent(bandit.probability_best.get(i).copied().unwrap_or(0.0), 1),
                            steer.get(i).cloned().unwrap_or_else(|| "–".to_string()),
                        ].map(|text| el("td", "ex-num", text)) }
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

#[component]
pub fn ExperimentBandit() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let policy = use_text("ucb1");
    let epsilon = use_text("0.1");
    let rates = use_text("2, 3, 5");
    let pulls = use_text("100");
    let seed = use_text("1");
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let start = {
        let (session, refusal) = (session.clone(), refusal.clone());
        let (policy, epsilon, rates, pulls, seed) = (
            policy.clone(),
            epsilon.clone(),
            rates.clone(),
            pulls.clone(),
            seed.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let command: Result<ExperimentCommand, (String, String)> = (|| {
                let chosen = match policy.as_str() {
                    "epsilon" => BanditPolicy::EpsilonGreedy {
                        epsilon_permille: match epsilon.trim().parse::<f64>() {
                            Ok(e) if (0.0..=1.0).contains(&e) => (e * 1000.0).round() as u16,
                            _ => {
                                return Err((
                                    format!("\"{}\" is not an epsilon", epsilon.trim()),
                                    "epsilon is a probability from 0 to 1, such as 0.1".into(),
                                ))
                            }
                        },
                    },
                    "thompson" => BanditPolicy::Thompson,
                    "growthbook" => BanditPolicy::GrowthBook,
                    _ => BanditPolicy::Ucb1,
                };
                Ok(ExperimentCommand::StartBandit {
                    policy: chosen,
                    arm_rates_permille: parse_rates(&rates)?,
                    pulls_per_tick: parse_whole(
                        &pulls,
                        "pulls per hour",
                        (1, i64::from(PULLS_PER_TICK_MAX)),
                    )? as u32,
                    seed: parse_whole(&seed, "seed", (0, i64::from(u32::MAX)))? as u64,
                })
            })();
            refusal.set(command.and_then(|c| try_send(&session, c)).err())
        })
    };
    let bandit = experiment.bandit();
    let input = |class: &'static str,
                 label: &'static str,
                 state: &UseStateHandle<String>,
                 size: &'static str| {
        html! {
            <label class="ex-inline-label small">{ label }
                <input class={classes!("ex-input", class)} size={size} value={(**state).clone()} oninput={bind(state)} />
            </label>
        }
    };
    html! {
        <div class="experiment-bandit" data-running={bandit.is_some().to_string()}
            data-pulls={bandit.map_or_else(String::new, |b| b.pulls().to_string())}
            data-regret={bandit.map_or_else(String::new, |b| fixed(b.regret, 3))}>
            <div class="inline-form ex-bandit-form">
                <label class="ex-inline-label small">{ "policy" }
                    <select class="ex-bandit-policy" onchange={bind_select(&policy)}>
                        { for [("epsilon", "epsilon-greedy"), ("ucb1", "UCB1"), ("thompson", "Thompson (Beta)"), ("growthbook", "GrowthBook weights")].iter().map(|(v, t)| html! {
                            <option value={*v} selected={*policy == *v}>{ *t }</option>
                        }) }
                    </select>
                </label>
                if *policy == "epsilon" { { input("ex-bandit-epsilon", "epsilon", &epsilon, "4") } }
                { input("ex-bandit-rates", "rates %", &rates, "10") }
                { input("ex-bandit-pulls", "pulls/hour", &pulls, "5") }
                { input("ex-bandit-seed", "seed", &seed, "4") }
                <button type="button" class="primary ex-bandit-start" onclick={start}>{ "Start bandit" }</button>
                <button type="button" class="ex-bandit-stop" disabled={bandit.is_none()}
                    onclick={send_on_click(&session, &refusal, ExperimentCommand::StopBandit)}>{ "Stop" }</button>
            </div>
            { refusal_view(&refusal) }
            { match bandit {
                Some(b) => html! {
                    <>
                        <p class="small ex-bandit-status">{ format!("{} · {} pulls per hour · {} pulls so far · regret {} · best arm pulled {} of the time{}",
                            b.label, count(u64::from(b.pulls_per_tick)), count(b.pulls()), fixed(b.regret, 1), percent(b.best_arm_share(), 1),
                            if matches!(b.policy, BanditPolicy::Ucb1) { format!(" · UCB1's bound {}", fixed(b.ucb1_bound(), 0)) } else { String::new() }) }</p>
                        { arms_table(b) }
                        <div class="ex-bandit-charts">
                            <figure>
                                <figcaption class="small">{ "Posteriors of each arm's rate (each curve scaled to its peak)" }</figcaption>
                                { posteriors(b) }
                            </figure>
                            { allocation_chart(b) }
                            { regret_chart(b) }
                        </div>
                    </>
                },
                None => html! { <p class="small muted ex-placeholder">{ "Start a bandit, then press Play: it pulls its arms every hour, learning which pays best while it earns." }</p> },
            } }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beta_density_integrates_to_one() {
        let n = 10_000;
        let total: f64 = (0..n)
            .map(|k| beta_density(3.0, 7.0, (k as f64 + 0.5) / n as f64) / n as f64)
            .sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert_eq!(beta_density(2.0, 2.0, 0.0), 0.0);
    }

    #[test]
    fn rates_parse_in_percent() {
        assert_eq!(parse_rates("2, 3, 5%"), Ok(vec![20, 30, 50]));
        assert!(parse_rates("2, x").is_err());
        assert!(parse_rates("120").is_err());
    }
}
