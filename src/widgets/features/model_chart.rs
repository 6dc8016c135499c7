//! What the training set is worth: a logistic regression trained on it, its AUC on the rows it
//! was trained on (offline) next to its AUC on later rows scored with what serving gives (the
//! point-in-time values known at each request), as two bars on a 0 to 1 scale with chance (0.5)
//! marked, the numbers, the gap and a sentence saying what the gap means. A training set that
//! leaked the future scores high offline and lower later; an honest one scores about the same.

use lab::features::evaluate::Evaluation;
use lab::features::store::command::JoinKind;
use lab::features::store::FeatureStore;
use lab::sim::text::group_thousands;
use yew::prelude::*;

/// A gap (offline minus later AUC) up to this is what sampling alone gives: about the same.
pub const HONEST_GAP: f64 = 0.03;

/// One bar: its label, its AUC and what it was measured on.
fn bar(class: &str, label: &str, auc: f64, rows: &str) -> Html {
    let width = format!("width: {:.1}%", (auc.clamp(0.0, 1.0) * 100.0));
    html! {
        <div class={classes!("fs-bar-row", class.to_string())} data-auc={format!("{auc:.3}")}>
            <div class="fs-bar-label">{ label.to_string() }<span class="small muted">{ format!(" · {rows}") }</span></div>
            <div class="fs-bar-track" role="img" aria-label={format!("{label}: AUC {auc:.3}")}>
                <div class="fs-bar" style={width}></div>
                <span class="fs-chance" title="AUC 0.5: no better than a coin"></span>
                <span class="fs-bar-value">{ format!("{auc:.3}") }</span>
            </div>
        </div>
    }
}

/// What the gap means, for the join in use.
fn verdict(evaluation: &Evaluation, join: JoinKind, cutoff: bool) -> String {
    let gap = evaluation.offline_auc - evaluation.later_auc;
    if gap > HONEST_GAP {
        let cause = match join {
            JoinKind::LatestValue => "The naive latest-value join gave each training row its key's newest values, outcomes included: the model learned from the future.",
            JoinKind::PointInTime if !cutoff => "The training set used values written after each row's time (late corrections); serving never sees them.",
            JoinKind::PointInTime => "The training set knew something serving does not.",
        };
        format!(
            "Offline AUC is {gap:.3} higher than on later data. {cause} The offline number is a promise production will not keep."
        )
    } else {
        format!(
            "Offline and later AUC differ by {:.3}: the training set held only what was known at each row's time, so the offline number is an honest estimate.",
            gap.abs()
        )
    }
}

fn chart(store: &FeatureStore, evaluation: &Evaluation) -> Html {
    let split = store
        .world()
        .labels
        .get(store.entity_frame_name())
        .map(|l| super::short_day(l.later_data_from))
        .unwrap_or_default();
    let gap = evaluation.offline_auc - evaluation.later_auc;
    let join = store.join();
    html! {
        <div class={if join == JoinKind::LatestValue { "fs-model fs-model-naive" } else { "fs-model" }}>
            { bar("fs-auc-offline", "Offline AUC", evaluation.offline_auc,
                &format!("{} training rows before {split}", group_thousands(evaluation.training_rows as u64))) }
            { bar("fs-auc-later", "AUC on later data", evaluation.later_auc,
                &format!("{} rows from {split} on, as served", group_thousands(evaluation.later_rows as u64))) }
            <p class="fs-gap" data-gap={format!("{gap:.3}")}>
                <strong>{ format!("Gap: {gap:+.3}") }</strong>
                <span class="small muted">{ format!(" ({} join{})", join.name(), if store.options().created_cutoff { ", created-time cutoff" } else { "" }) }</span>
            </p>
            <p class="fs-verdict">{ verdict(evaluation, join, store.options().created_cutoff) }</p>
        </div>
    }
}

#[component]
pub fn FeatureModel() -> Html {
    let session = super::super::use_lab();
    let Some(store) = session.view.features() else {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    };
    match &store.derived().evaluation {
        Some(Ok(evaluation)) => chart(store, evaluation),
        Some(Err(e)) => html! {
            <p class="fs-def-refusal" role="status">{ format!("No model: {}. Hint: {}.", e.message, e.hint.trim_end_matches('.')) }</p>
        },
        None => html! {
            <p class="muted">{ "No model yet: it needs a training set the join accepts, over entity rows with a label (see the training set)." }</p>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(offline_auc: f64, later_auc: f64) -> Evaluation {
        Evaluation {
            offline_auc,
            later_auc,
            training_rows: 10,
            later_rows: 5,
        }
    }

    #[test]
    fn a_gap_beyond_sampling_is_called_a_leak_and_names_its_cause() {
        let naive = verdict(&evaluation(0.9, 0.7), JoinKind::LatestValue, false);
        assert!(naive.starts_with("Offline AUC is 0.200 higher"), "{naive}");
        assert!(naive.contains("naive latest-value join"), "{naive}");
        let late = verdict(&evaluation(0.8, 0.7), JoinKind::PointInTime, false);
        assert!(late.contains("late corrections"), "{late}");
    }

    #[test]
    fn a_small_gap_is_called_honest() {
        let honest = verdict(&evaluation(0.71, 0.70), JoinKind::PointInTime, true);
        assert!(
            honest.starts_with("Offline and later AUC differ by 0.010"),
            "{honest}"
        );
    }
}
