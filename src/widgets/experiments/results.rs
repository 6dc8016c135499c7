//! The results table as GrowthBook shows an experiment's results: per metric and treatment arm
//! the control's and the arm's value, the lift with its interval drawn on a scale shared by the
//! rows (zero marked, the lab's true effect as a tick), the p-value (adjusted when a correction
//! is on) or the chance to win, and a verdict in words. Above it, the sample ratio mismatch
//! check with its p-value and what it means, and the reading's toggles (engine, CUPED, lift
//! kind, correction); below it, the goal metric's lift day by day.
//!
//! Rows keep their place while the lab plays (one per metric and arm from the first hour), so
//! nothing on the page moves as numbers arrive; at phone width each row stacks into a card.

use super::chart::{lines, Axes, Band, Line};
use super::setup::metric_label;
use super::{
    arm_class, arm_label, choice_group, count, fixed, no_experiment, p_value_text, percent,
    refusal_view, signed, signed_percent, small_p_text,
};
use crate::widgets::hooks::use_refusal;
use crate::widgets::markup::{column_heads, svg_text};
use lab::experiment_lab::analysis::{ResultRow, Results, CHANCE_TO_WIN_THRESHOLD};
use lab::experiment_lab::command::{Correction, Engine, ExpMetric, ExperimentCommand, LiftKind};
use lab::experiment_lab::{ExperimentLab, Setup, HOURS_PER_DAY};
use yew::prelude::*;

/// The SRM check's threshold, as GrowthBook's default.
const SRM_THRESHOLD: f64 = 0.001;

/// A metric's value as the table prints it.
fn value_text(metric: ExpMetric, v: f64) -> String {
    match metric {
        ExpMetric::Purchase => percent(v, 2),
        ExpMetric::Revenue => fixed(v, 2),
        ExpMetric::ClicksPerSession => fixed(v, 3),
        ExpMetric::PageLoadMs => format!("{} ms", fixed(v, 0)),
    }
}

/// A lift in the reading's kind: relative as a percentage, absolute in the metric's units
/// (percentage points for a rate).
pub fn lift_text(metric: ExpMetric, kind: LiftKind, v: f64) -> String {
    match (kind, metric) {
        (LiftKind::Relative, _) => signed_percent(v, 1),
        (LiftKind::Absolute, ExpMetric::Purchase) => signed(&fixed(v * 100.0, 2), " pp"),
        (LiftKind::Absolute, ExpMetric::Revenue) => signed(&fixed(v, 2), ""),
        (LiftKind::Absolute, ExpMetric::ClicksPerSession) => signed(&fixed(v, 3), ""),
        (LiftKind::Absolute, ExpMetric::PageLoadMs) => signed(&fixed(v, 1), " ms"),
    }
}

/// The smallest "nice" bound (1, 2 or 5 times a power of ten) at or above `v`, so the shared
/// scale changes in steps rather than every hour.
pub fn nice_bound(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 0.01;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|b| *b >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude)
}

/// The scale's half-width for rows of `metric` (every row in relative mode).
fn scale_for(results: &Results, setup: &Setup, metric: ExpMetric) -> f64 {
    let shared = setup.lift == LiftKind::Relative;
    let widest = results
        .rows
        .iter()
        .filter(|r| shared || r.metric == metric)
        .flat_map(|r| {
            let truth = if shared {
                f64::from(r.true_lift_permille) / 1000.0
            } else {
                0.0
            };
            let drawn = if r.ready {
                [r.ci[0], r.ci[1], r.expected]
            } else {
                [0.0; 3]
            };
            [drawn[0].abs(), drawn[1].abs(), drawn[2].abs(), truth.abs()]
        })
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    nice_bound(widest * 1.05)
}

/// Whether a rise of the metric is good news.
fn higher_is_better(metric: ExpMetric) -> bool {
    !metric.is_guardrail()
}

/// The row's verdict: CSS state, symbol and words.
fn verdict(row: &ResultRow) -> (&'static str, &'static str, &'static str) {
    if !row.ready {
        return ("wait", "…", "Too early");
    }
    if !row.significant {
        return ("flat", "·", "Inconclusive");
    }
    let up = row.expected > 0.0;
    let good = up == higher_is_better(row.metric);
    match (good, row.guardrail) {
        (false, true) => ("lost", "✗", "Guardrail hurt"),
        (true, _) => ("won", "✓", "Won"),
        (false, _) => ("lost", "✗", "Lost"),
    }
}

/// The interval drawn: the bar from low to high, the estimate as a dot, zero as a line, the
/// true effect as a tick (relative mode), the scale's ends labelled.
fn interval_bar(row: &ResultRow, setup: &Setup, scale: f64, state: &'static str) -> Html {
    const W: f64 = 300.0;
    const PAD: f64 = 30.0;
    let x = |v: f64| PAD + (v.clamp(-scale, scale) + scale) / (2.0 * scale) * (W - 2.0 * PAD);
    let end = |v: f64| lift_text(row.metric, setup.lift, v);
    let truth =
        (setup.lift == LiftKind::Relative).then(|| f64::from(row.true_lift_permille) / 1000.0);
    let described = if row.ready {
        format!(
            "{} {}, interval {} to {}",
            arm_label(row.arm),
            end(row.expected),
            end(row.ci[0]),
            end(row.ci[1])
        )
    } else {
        "no interval yet".to_string()
    };
    html! {
        <svg class={classes!("ex-interval", format!("ex-{state}"))} viewBox={format!("0 0 {W} 26")} preserveAspectRatio="xMinYMid meet" role="img" aria-label={described}>
            <line class="ex-axis" x1={PAD.to_string()} x2={(W - PAD).to_string()} y1="11" y2="11" />
            <line class="ex-zero" x1={format!("{:.1}", x(0.0))} x2={format!("{:.1}", x(0.0))} y1="2" y2="20" />
            { svg_text((format!("{:.1}", x(0.0)).into(), "25.5".into()), Some("middle"), "", "0".into()) }
            { svg_text(("1".into(), "14".into()), None, "", end(-scale).into()) }
            { svg_text(((W - 1.0).to_string().into(), "14".into()), Some("end"), "", end(scale).into()) }
            if row.ready {
                <rect class="ex-ci" x={format!("{:.1}", x(row.ci[0]))} y="6" height="10" rx="3"
                    width={format!("{:.1}", (x(row.ci[1]) - x(row.ci[0])).max(1.5))} />
                <circle class="ex-estimate" cx={format!("{:.1}", x(row.expected))} cy="11" r="3" />
            }
            if let Some(t) = truth {
                <path class="ex-truth" d={format!("M{:.1} 0 h7 l-3.5 6 z", x(t) - 3.5)}><title>{ format!("true effect {}", signed_percent(t, 1)) }</title></path>
            }
        </svg>
    }
}

/// "p = 0.00023", or "p < 0.000000001" when it is tinier than that.
fn p_is(p: f64) -> String {
    let text = small_p_text(p);
    if text.starts_with('<') {
        format!("p {text}")
    } else {
        format!("p = {text}")
    }
}

/// The SRM banner: always there (so nothing moves when it trips), with the p-value, the
/// observed against the expected split, and what a mismatch means.
fn srm_banner(experiment: &ExperimentLab, results: &Results) -> Html {
    let users = experiment.analysed_per_arm();
    let total: u64 = users.iter().sum();
    let split = |shares: &mut dyn Iterator<Item = f64>| {
        shares
            .map(|s| percent(s, 1))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let observed = split(&mut users.iter().map(|n| *n as f64 / total.max(1) as f64));
    let expected = split(&mut results.expected_shares.iter().copied());
    let (state, symbol, head, body) = if total == 0 {
        (
            "wait",
            "…",
            "Sample ratio check: no users yet.".to_string(),
            format!("Expected split {expected}: each arm's share of users is checked against it."),
        )
    } else if results.srm_flagged {
        (
            "bad",
            "⚠",
            format!("Sample ratio mismatch: {} (below {SRM_THRESHOLD}).", p_is(results.srm_p_value)),
            format!(
                "Observed {observed} of {} users, {expected} expected. Users go missing from an arm: these results cannot be trusted.",
                count(total)
            ),
        )
    } else {
        (
            "ok",
            "✓",
            format!("No sample ratio mismatch: {}", p_is(results.srm_p_value)),
            format!(
                "Observed {observed} of {} users, {expected} expected: a difference chance explains.",
                count(total)
            ),
        )
    };
    html! {
        <>
            <div class={classes!("ex-srm", format!("ex-srm-{state}"))} role="status" data-srm-p={results.srm_p_value.to_string()} data-flagged={results.srm_flagged.to_string()}>
                <span class="ex-srm-symbol" aria-hidden="true">{ symbol }</span>
                <div>
                    <strong class="ex-srm-head">{ head }</strong>
                    <span class="small ex-srm-body">{ body }</span>
                </div>
            </div>
            <p class="small muted ex-srm-meaning">{ "The sample ratio check's p-value is the chance of a split at least this uneven if users really were assigned by the weights (a chi-square test). Below 0.001, as GrowthBook flags it, the assignment or the logging is broken: fix the cause and restart the test." }</p>
        </>
    }
}

/// The reading's toggles.
fn toggles(
    session: &crate::store::LabHandle,
    refusal: &UseStateHandle<super::Refusal>,
    setup: &Setup,
) -> Html {
    let engine = |e: Engine, text| (text, setup.engine == e, ExperimentCommand::SetEngine(e));
    let lift = |k: LiftKind, text| (text, setup.lift == k, ExperimentCommand::SetLift(k));
    let correction = |c: Correction, text| {
        (
            text,
            setup.correction == c,
            ExperimentCommand::SetCorrection(c),
        )
    };
    html! {
        <div class="ex-toggles">
            { choice_group(session, refusal, ("Engine", "ex-engine"), vec![
                engine(Engine::Frequentist, "Frequentist"),
                engine(Engine::Sequential, "Sequential"),
                engine(Engine::Bayesian, "Bayesian"),
            ]) }
            { choice_group(session, refusal, ("CUPED", "ex-cuped"), vec![
                ("on", setup.cuped, ExperimentCommand::SetCuped { on: true }),
                ("off", !setup.cuped, ExperimentCommand::SetCuped { on: false }),
            ]) }
            { choice_group(session, refusal, ("Lift", "ex-lift"), vec![
                lift(LiftKind::Relative, "relative"),
                lift(LiftKind::Absolute, "absolute"),
            ]) }
            { choice_group(session, refusal, ("Correction", "ex-correction"), vec![
                correction(Correction::None, "none"),
                correction(Correction::Holm, "Holm"),
                correction(Correction::BenjaminiHochberg, "Benjamini-Hochberg"),
            ]) }
        </div>
    }
}

/// The evidence cell: p-value (and the adjusted one) or chance to win and risk.
fn evidence(row: &ResultRow, setup: &Setup) -> Html {
    if !row.ready {
        return html! { <span class="muted">{ "–" }</span> };
    }
    match setup.engine {
        Engine::Bayesian => html! {
            <>
                <span class="ex-ctw">{ percent(row.chance_to_win, 1) }</span>
                <span class="small muted">{ format!(" risk {}", lift_text(row.metric, setup.lift, row.risk[1]).trim_start_matches('+')) }</span>
            </>
        },
        _ => html! {
            <>
                <span class="ex-p">{ p_value_text(row.p_value) }</span>
                if setup.correction != Correction::None {
                    <span class="small ex-p-adjusted">{ format!(" adj. {}", p_value_text(row.adjusted_p_value)) }</span>
                }
            </>
        },
    }
}

fn result_row(row: &ResultRow, setup: &Setup, scale: f64) -> Html {
    let (state, symbol, words) = verdict(row);
    let evidence_label = if setup.engine == Engine::Bayesian {
        "Chance to win"
    } else {
        "p-value"
    };
    html! {
        <tr class={classes!("ex-row", format!("ex-{state}"))} data-metric={row.metric.as_str()} data-arm={row.arm.0.to_string()}
            data-significant={row.significant.to_string()} data-ready={row.ready.to_string()}>
            <th scope="row" data-label="Metric">
                { metric_label(row.metric) }
                if row.guardrail { <span class="ex-guardrail small">{ " guardrail" }</span> }
            </th>
            <td data-label="Arm"><span class={classes!("ex-chip", arm_class(row.arm))}>{ arm_label(row.arm) }</span></td>
            <td data-label="Control" class="ex-num">{ if row.ready { value_text(row.metric, row.control_mean) } else { "–".into() } }</td>
            <td data-label="Arm value" class="ex-num">{ if row.ready { value_text(row.metric, row.arm_mean) } else { "–".into() } }</td>
            <td data-label="Lift" class="ex-lift-cell">
                <span class="ex-lift-text">
                    if row.ready {
                        <strong>{ lift_text(row.metric, setup.lift, row.expected) }</strong>
                        <span class="small">{ format!(" [{}, {}]", lift_text(row.metric, setup.lift, row.ci[0]), lift_text(row.metric, setup.lift, row.ci[1])) }</span>
                    } else {
                        <span class="muted">{ "–" }</span>
                    }
                </span>
                { interval_bar(row, setup, scale, state) }
            </td>
            <td data-label={evidence_label} class="ex-num">{ evidence(row, setup) }</td>
            <td data-label="Result"><span class={classes!("ex-verdict", format!("ex-{state}"))}><span aria-hidden="true">{ symbol }</span>{ format!(" {words}") }</span></td>
        </tr>
    }
}

/// The highest and lowest chance to win the goal metric showed at any hourly look of this test:
/// what stopping at the first look past the threshold would have called.
fn chance_extremes(experiment: &ExperimentLab) -> Html {
    let extremes = experiment.chance_extremes();
    let now = experiment
        .results()
        .row(
            ExpMetric::Purchase,
            lab::experiment_lab::command::ArmIndex(1),
        )
        .map_or(0.5, |r| r.chance_to_win);
    let crossed = |v: f64, above: bool| {
        let past = if above {
            v > CHANCE_TO_WIN_THRESHOLD
        } else {
            v < 1.0 - CHANCE_TO_WIN_THRESHOLD
        };
        if past {
            html! { <strong class="ex-crossed">{ format!(" {} (past {})", percent(v, 1), percent(if above { CHANCE_TO_WIN_THRESHOLD } else { 1.0 - CHANCE_TO_WIN_THRESHOLD }, 0)) }</strong> }
        } else {
            html! { { format!(" {}", percent(v, 1)) } }
        }
    };
    html! {
        <p class="small ex-ctw-extremes" data-peak={fixed(extremes.highest, 6)} data-lowest={fixed(extremes.lowest, 6)}>
            { "Purchase's chance to win at the hourly looks of this test: highest" }
            { crossed(extremes.highest, true) }
            { ", lowest" }
            { crossed(extremes.lowest, false) }
            { format!(", now {}. Stopping at the first look past 95% (or below 5%) would have called the test there.", percent(now, 1)) }
        </p>
    }
}

/// The goal metric's treatment lift at the end of each day, with its interval as a band.
fn history_chart(experiment: &ExperimentLab, setup: &Setup) -> Html {
    let history = experiment.history();
    let days = history.iter().map(|h| h.hour as f64 / HOURS_PER_DAY as f64);
    let last_day = days.clone().fold(setup.planned_days as f64, f64::max);
    let truth = setup.lifts.get(1).map_or(0.0, |l| f64::from(l[0]) / 1000.0);
    let finite = |v: f64| if v.is_finite() { v } else { f64::NAN };
    let points: Vec<(f64, f64, f64)> = history
        .iter()
        .map(|h| {
            (
                h.hour as f64 / HOURS_PER_DAY as f64,
                finite(h.ci[0]),
                finite(h.ci[1]),
            )
        })
        .filter(|p| p.1.is_finite() && p.2.is_finite())
        .collect();
    let bound = nice_bound(
        points
            .iter()
            .flat_map(|p| [p.1.abs(), p.2.abs()])
            .fold(
                if setup.lift == LiftKind::Relative {
                    truth.abs()
                } else {
                    0.0
                },
                f64::max,
            )
            .min(if setup.lift == LiftKind::Relative {
                1.0
            } else {
                f64::INFINITY
            }),
    );
    let estimate = Line {
        label: "estimated lift".into(),
        class: "ex-arm-1",
        points: history
            .iter()
            .map(|h| (h.hour as f64 / HOURS_PER_DAY as f64, finite(h.expected)))
            .collect(),
        dashed: false,
        dots: true,
    };
    let y_text = |v: f64| lift_text(ExpMetric::Purchase, setup.lift, v);
    let axes = Axes {
        x: (0.0, last_day),
        x_labels: ("day 0".into(), format!("day {}", fixed(last_day, 0))),
        y: (-bound, bound),
        y_text: &y_text,
        rule: Some((0.0, String::new())),
    };
    let band = Band {
        class: "ex-arm-1",
        points,
    };
    html! {
        <figure class="ex-history">
            <figcaption class="small">{ format!("Purchase lift of treatment at the end of each day ({} interval), planned {} days", match setup.engine {
                Engine::Frequentist => "95% confidence",
                Engine::Sequential => "95% always-valid",
                Engine::Bayesian => "95% credible",
            }, setup.planned_days) }</figcaption>
            { lines("Purchase lift of treatment by day, with its interval", &[band], &[estimate], &axes) }
        </figure>
    }
}

#[component]
pub fn ExperimentResults() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let setup = experiment.setup();
    let results = experiment.results();
    let hours = experiment.hours();
    let analysed: u64 = experiment.analysed_per_arm().iter().sum();
    let goal = results.row(
        ExpMetric::Purchase,
        lab::experiment_lab::command::ArmIndex(1),
    );
    html! {
        <div class="experiment-results" data-engine={setup.engine.as_str()} data-cuped={setup.cuped.to_string()}
            data-lift={setup.lift.as_str()} data-correction={setup.correction.as_str()} data-users={analysed.to_string()}
            data-p-value={goal.filter(|r| r.ready).map_or_else(String::new, |r| format!("{}", r.p_value))}
            data-srm-flagged={results.srm_flagged.to_string()}>
            { toggles(&session, &refusal, setup) }
            { refusal_view(&refusal) }
            { srm_banner(experiment, results) }
            <p class="small ex-status">
                { format!("Hour {hours} · day {} · {} users analysed", hours / HOURS_PER_DAY, count(analysed)) }
            </p>
            <p class="small ex-method">
                { format!("{} · {}{}",
                    match setup.engine {
                        Engine::Frequentist => "Fixed-horizon Welch t-test",
                        Engine::Sequential => "Sequential test (always-valid p-values)",
                        Engine::Bayesian => "Bayesian, flat prior: won means chance to win above 95%",
                    },
                    if setup.cuped { "CUPED on revenue" } else { "no variance reduction" },
                    match setup.correction {
                        Correction::None => "",
                        Correction::Holm => " · Holm across all rows",
                        Correction::BenjaminiHochberg => " · Benjamini-Hochberg across all rows",
                    }) }
            </p>
            if setup.engine == Engine::Bayesian {
                { chance_extremes(experiment) }
            }
            <div class="ex-table-wrap">
                <table class="ex-results-table">
                    <caption class="visually-hidden">{ "Each metric for each treatment arm against control" }</caption>
                    <colgroup>
                        { for ["ex-col-metric", "ex-col-arm", "ex-col-value", "ex-col-value", "ex-col-lift", "ex-col-evidence", "ex-col-result"]
                            .map(|class| html! { <col class={class} /> }) }
                    </colgroup>
                    <thead>
                        <tr>
                            { column_heads(&[
                                ("", "Metric"),
                                ("", "Arm"),
                                ("ex-num", "Control"),
                                ("ex-num", "Arm value"),
                                ("", &format!("Lift ({}) and 95% interval", setup.lift.as_str())),
                                ("ex-num", if setup.engine == Engine::Bayesian { "Chance to win" } else { "p-value" }),
                                ("", "Result"),
                            ]) }
                        </tr>
                    </thead>
                    <tbody>
                        { for results.rows.iter().map(|row| result_row(row, setup, scale_for(results, setup, row.metric))) }
                    </tbody>
                </table>
            </div>
            <p class="small muted ex-legend-text">
                { "Bar: the interval; dot: the estimate; line: zero; ▼: the lab's true effect. " }
                { if setup.lift == LiftKind::Relative { "Every row shares one scale." } else { "Each metric has its own scale (absolute lifts have the metric's units)." } }
            </p>
            { history_chart(experiment, setup) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_steps_through_nice_bounds() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(nice_bound(0.034), 0.04));
        assert!(close(nice_bound(0.05), 0.05));
        assert!(close(nice_bound(0.11), 0.15));
        assert!(close(nice_bound(0.217), 0.25));
        assert!(close(nice_bound(7.0), 8.0));
        assert!(close(nice_bound(0.0), 0.01));
    }

    #[test]
    fn lifts_print_in_the_metric_units() {
        assert_eq!(
            lift_text(ExpMetric::Purchase, LiftKind::Relative, 0.052),
            "+5.2%"
        );
        assert_eq!(
            lift_text(ExpMetric::Purchase, LiftKind::Absolute, 0.005),
            "+0.50 pp"
        );
        assert_eq!(
            lift_text(ExpMetric::PageLoadMs, LiftKind::Absolute, -12.34),
            "−12.3 ms"
        );
    }
}
