//! The experiment's reading of the release: the candidate against the stable version on
//! prediction quality (right predictions out of requests since the candidate was deployed), as an
//! A/B test reads it: the relative lift with its 95% interval, the two-sided p-value and the
//! decision (ship, stop, keep running). The world computes it (`PipelineLab::reading`, with
//! `experiments::stats`); this view prints it, with the interval drawn against zero.

use super::permille_text;
use crate::widgets::markup::plain_heads;
use lab::pipeline_lab::reading::{AbReading, Decision};
use yew::prelude::*;

/// The p-value as the page prints it.
fn p_value_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// Where a permille lift falls on the interval bar, as a percentage of its width: the bar spans
/// −`span` to +`span`.
fn bar_percent(permille: i32, span: i32) -> f64 {
    let clamped = permille.clamp(-span, span);
    f64::from(clamped + span) * 50.0 / f64::from(span.max(1))
}

fn rate(correct: u64, total: u64) -> String {
    (correct * 1_000)
        .checked_div(total)
        .map_or_else(|| "-".into(), |permille| permille_text(permille as i64))
}

/// The reading, or why there is none yet.
pub fn reading_view(reading: Option<&AbReading>) -> Html {
    let Some(r) = reading else {
        return html! {
            <p class="muted pipe-reading" data-decision="none">{ "No candidate deployed: deploy a model version to start reading it against the stable one." }</p>
        };
    };
    let (ci_low, ci_high) = r.ci_permille;
    let span = ci_low.abs().max(ci_high.abs()).max(50);
    let (low, high, mid) = (
        bar_percent(ci_low, span),
        bar_percent(ci_high, span),
        bar_percent(r.lift_permille, span),
    );
    let decision = r.decision.name();
    html! {
        <div class="pipe-reading" data-decision={decision}>
            <table class="pipe-reading-table">
                <thead><tr>{ plain_heads(&["version", "right predictions", "quality"]) }</tr></thead>
                <tbody>
                    <tr><td>{ format!("{} (stable)", r.stable) }</td><td>{ format!("{} of {}", r.stable_tally.correct, r.stable_tally.total) }</td><td>{ rate(r.stable_tally.correct, r.stable_tally.total) }</td></tr>
                    <tr><td>{ format!("{} (candidate)", r.candidate) }</td><td>{ format!("{} of {}", r.candidate_tally.correct, r.candidate_tally.total) }</td><td>{ rate(r.candidate_tally.correct, r.candidate_tally.total) }</td></tr>
                </tbody>
            </table>
            <p class="pipe-lift">
                { format!("Lift {} (95% interval {} to {}), p-value {}", permille_text(i64::from(r.lift_permille)),
                    permille_text(i64::from(ci_low)), permille_text(i64::from(ci_high)), p_value_text(r.p_value)) }
            </p>
            <div class="pipe-ci" role="img" aria-label={format!("The interval runs from {} to {}; zero is the middle line",
                permille_text(i64::from(ci_low)), permille_text(i64::from(ci_high)))}>
                <span class="pipe-ci-zero"></span>
                <span class="pipe-ci-range" style={format!("left:{low:.1}%;width:{:.1}%", (high - low).max(0.5))}></span>
                <span class="pipe-ci-mid" style={format!("left:{mid:.1}%")}></span>
            </div>
            <p class={classes!("pipe-decision", format!("pipe-decision-{}", decision.replace(' ', "-")))}>
                <strong>{ format!("Decision: {decision}") }</strong>
                { match r.decision {
                    Decision::Ship => " (the candidate is better, and the interval excludes zero)",
                    Decision::Stop => " (the candidate is worse, and the interval excludes zero)",
                    Decision::KeepRunning => " (the interval still includes zero: not enough evidence either way)",
                } }
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_bar_is_centred_on_zero_and_clamped() {
        assert_eq!(bar_percent(0, 100), 50.0);
        assert_eq!(bar_percent(100, 100), 100.0);
        assert_eq!(bar_percent(-300, 100), 0.0);
        assert_eq!(p_value_text(0.0004), "< 0.001");
        assert_eq!(p_value_text(0.25), "0.250");
        assert_eq!(rate(0, 0), "-");
        assert_eq!(rate(873, 1_000), "87.3%");
    }
}
