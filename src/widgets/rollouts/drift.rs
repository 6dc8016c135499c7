//! Drift after a full rollout: the reference distribution (the training window) against the last
//! five minutes of serving, for the request's feature and for the model's prediction score, as
//! paired histograms over the same bins, with the Population Stability Index and the two-sample
//! Kolmogorov-Smirnov statistic and p-value, and the PSI of every check so far.

use super::chart::{lines, paired_bars, short_number, Rule, Series};
use super::{clock, no_rollout};
use lab::rollout_lab::monitoring::DriftMeasure;
use yew::prelude::*;

/// PSI above which drift is commonly read as significant (the lab's drift alerts use it too).
const PSI_ALERT: f64 = 0.2;

/// The bins' labels: `<a`, `a–b`, ..., `≥z` from the interior edges.
pub fn bin_labels(edges: &[f64]) -> Vec<String> {
    let n = edges.len() + 1;
    (0..n)
        .map(
            |i| match (i.checked_sub(1).map(|j| edges[j]), edges.get(i)) {
                (None, Some(hi)) => format!("<{}", short_number(*hi)),
                (Some(lo), None) => format!("≥{}", short_number(lo)),
                (Some(lo), Some(_)) => short_number(lo),
                (None, None) => "all".to_string(),
            },
        )
        .collect()
}

fn measure_view(title: &str, what: &'static str, m: &DriftMeasure) -> Html {
    let labels = bin_labels(&m.bins.interior_edges);
    let label = format!(
        "{title}: reference and current histograms over {} bins; PSI {:.3}, KS statistic {:.3}, p-value {:.3}.",
        labels.len(),
        m.psi,
        m.ks_statistic,
        m.ks_p_value
    );
    html! {
        <figure class="ro-chart-box rd-measure" data-what={what} data-psi={format!("{:.3}", m.psi)}>
            <figcaption class="small">
                <strong>{ title }</strong>
                { format!(" · PSI {:.3}", m.psi) }
                if m.psi > PSI_ALERT { <strong class="bad">{ " (above 0.2: drifted)" }</strong> }
                { format!(" · KS {:.3}, p = {:.3}", m.ks_statistic, m.ks_p_value) }
            </figcaption>
            { paired_bars(&label, &labels, &m.bins.reference, &m.bins.current) }
        </figure>
    }
}

#[component]
pub fn RolloutDrift() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let (feature_shift, prediction_shift) = rollouts.drift_shift();
    let Some(view) = rollouts.drift() else {
        return html! {
            <div class="rollout-drift">
                <p class="muted small">{ "The first drift check runs after 5 minutes of rollout time: press Play." }</p>
            </div>
        };
    };
    let history = rollouts.drift_history();
    let minutes = |t: u64| t as f64 / 60_000.0;
    let series = vec![
        Series {
            label: "feature PSI".into(),
            class: "ro-v-stable",
            points: history
                .iter()
                .map(|p| (minutes(p.t_ms), p.feature_psi))
                .collect(),
        },
        Series {
            label: "prediction PSI".into(),
            class: "ro-v-canary",
            points: history
                .iter()
                .map(|p| (minutes(p.t_ms), p.prediction_psi))
                .collect(),
        },
    ];
    let x = (
        history.first().map_or(0.0, |p| minutes(p.t_ms)),
        history.last().map_or(1.0, |p| minutes(p.t_ms)),
    );
    let rules = [Rule {
        value: PSI_ALERT,
        label: "PSI 0.2".into(),
    }];
    html! {
        <div class="rollout-drift">
            <p class="small">{ format!("Check at {}: reference (training window) vs the last 5 minutes of serving. Shift applied now: feature {:+.1} sd, prediction {:+.1} sd.",
                clock(view.t_ms), f64::from(feature_shift) / 1000.0, f64::from(prediction_shift) / 1000.0) }</p>
            <div class="ro-charts">
                { measure_view("Feature", "feature", &view.feature) }
                { measure_view("Prediction score", "prediction", &view.prediction) }
                if history.len() > 1 {
                    <figure class="ro-chart-box">
                        <figcaption class="small"><strong>{ "PSI per check" }</strong></figcaption>
                        { lines("PSI of the feature and of the prediction score at every check, with 0.2 drawn.", &series, &rules, x, "") }
                    </figure>
                }
            </div>
            <ul class="ro-legend small" aria-label="Legend">
                <li><span class="ro-key ro-bar-reference"></span>{ "reference (training)" }</li>
                <li><span class="ro-key ro-bar-current"></span>{ "current (serving)" }</li>
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_labelled_with_open_ends() {
        assert_eq!(bin_labels(&[0.5, 1.5]), vec!["<0.500", "0.500", "≥1.5"]);
        assert_eq!(bin_labels(&[]), vec!["all"]);
    }
}
