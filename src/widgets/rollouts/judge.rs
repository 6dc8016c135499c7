//! The baseline-versus-canary judge after Kayenta: per metric, the Mann-Whitney U test of the
//! canary's per-minute samples against the baseline's, the means, the p-value and the verdict
//! (Pass, High, Low), then the weighted score and whether it passes, is marginal or fails; and
//! which baseline it was: the stable version, or an experiment's baseline of the canary's size.

use super::{clock, no_rollout, phase_badge};
use crate::widgets::markup::plain_heads;
use yew::prelude::*;

#[component]
pub fn RolloutJudge() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let Some(judge) = rollouts.judge() else {
        return html! {
            <div class="rollout-judge">
                <p class="muted small">{ "The judge needs at least 3 minutes of data from both the candidate and the stable version: deploy a version and press Play." }</p>
            </div>
        };
    };
    html! {
        <div class="rollout-judge" data-outcome={judge.outcome} data-score={format!("{:.0}", judge.score_percent)}
            data-equal-baseline={judge.equal_baseline.to_string()}>
            <p class="rj-score">
                { phase_badge(judge.outcome) }
                <strong>{ format!(" score {:.0}%", judge.score_percent) }</strong>
                <span class="small muted">{ format!(" · canary {} vs baseline {} · {} samples each · judged at {}", judge.canary, judge.baseline, judge.samples, clock(judge.t_ms)) }</span>
            </p>
            <div class="table-scroll">
                <table class="rj-table small">
                    <thead><tr>{ plain_heads(&["metric", "baseline mean", "canary mean", "U", "p-value", "verdict"]) }</tr></thead>
                    <tbody>
                        { for judge.rows.iter().map(|r| html! {
                            <tr data-metric={r.metric} data-verdict={r.verdict}>
                                <td>{ r.metric }{ if r.critical { " (critical)" } else { "" } }</td>
                                <td>{ format!("{:.3}", r.baseline_mean) }</td>
                                <td>{ format!("{:.3}", r.canary_mean) }</td>
                                <td>{ format!("{:.1}", r.u) }</td>
                                <td>{ format!("{:.3}", r.p_value) }</td>
                                <td>{ phase_badge(match r.verdict { "Pass" => "Pass", _ => "Fail" }) }{ if r.verdict == "Pass" { String::new() } else { format!(" ({})", r.verdict) } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <p class="small muted">{ "A metric passes unless the canary is significantly higher or lower than the baseline beyond the tolerance; the score is the weighted share of passing metrics. " }
                { if judge.equal_baseline {
                    "Here the baseline is an experiment's ReplicaSet of the stable version, started with the canary and given the same share of traffic, as Kayenta's setup asks."
                } else {
                    "Here the baseline is the stable version's samples over the same minutes; Kayenta's own setup compares with a fresh baseline the same size as the canary (an Argo experiment step)."
                } }
            </p>
        </div>
    }
}
