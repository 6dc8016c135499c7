//! Training/serving skew: every value the online store served (the feature log) next to the value
//! the offline point-in-time join gives for the same key at the same time. Per (view, feature):
//! how many were compared, how many matched, and the differing ones by cause, each cause a chip
//! whose title (and the legend below) says what it means; then the first differing comparisons
//! one by one. All of it is the engine's report (`FeatureStore::derived().skew`).

use super::online_store::age_text;
use super::{key_text, short_time, value_text};
use crate::widgets::markup::header_row;
use lab::features::historical::ViewMatch;
use lab::features::skew::{FeatureSkew, SkewCause, SkewComparison, SkewReport, Verdict};
use lab::features::value::DurationUs;
use lab::sim::text::group_thousands;
use std::collections::BTreeSet;
use yew::prelude::*;

/// Differing comparisons listed one by one.
const DIFFERING_SHOWN: usize = 12;

#[component]
pub fn SkewReportView() -> Html {
    let session = super::super::use_lab();
    let Some(store) = session.view.features() else {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    };
    match &store.derived().skew {
        Err(e) => html! {
            <p class="fso-refusal" role="alert">
                <strong>{ format!("No skew report: {}", e.message) }</strong><br />
                <span class="small">{ format!("Hint: {}", e.hint) }</span>
            </p>
        },
        Ok(report) if report.comparisons.is_empty() => html! {
            <div class="fso-skew fso-skew-empty">
                <p class="muted">
                    { "No online reads are logged yet, so there is nothing to compare. Serve some entity rows in the online store (for example a day with a materialization every hour), or read one entity: every read is logged, and each logged value is compared here with what the point-in-time join gives for the same key and time." }
                </p>
            </div>
        },
        Ok(report) => report_view(report, store.online().log().dropped()),
    }
}

fn report_view(report: &SkewReport, dropped: u64) -> Html {
    let compared = report.comparisons.len();
    let differing: Vec<&SkewComparison> = report
        .comparisons
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Differs(_)))
        .collect();
    let causes: BTreeSet<SkewCause> = lab::sim::sort::collect_set(
        report
            .summary
            .values()
            .flat_map(|skew| skew.causes.keys().copied()),
    );
    html! {
        <div class="fso-skew">
            <p class="fso-skew-total">
                { format!("{} served values compared with the point-in-time join: ", group_thousands(compared as u64)) }
                <strong class="fso-skew-differing">{ format!("{} differ", differing.len()) }</strong>
                { "." }
                if dropped > 0 {
                    <span class="small muted">{ format!(" (the log dropped its {dropped} oldest entries)") }</span>
                }
            </p>
            <div class="table-scroll">
                <table class="members stack-table fso-skew-summary">
                    { header_row(&[("feature", "", None), ("compared", "num", None), ("same", "num", None), ("differing, by cause", "", None)]) }
                    <tbody>{ for report.summary.iter().map(|((view, feature), skew)| summary_row(view, feature, skew)) }</tbody>
                </table>
            </div>
            if !causes.is_empty() {
                <details class="fso-cause-legend">
                    <summary>{ "What the causes mean" }</summary>
                    <dl>
                        { for causes.iter().map(|cause| html! {
                            <><dt>{ cause_chip(*cause, None) }</dt><dd>{ cause.explain() }</dd></>
                        }) }
                    </dl>
                </details>
            }
            if !differing.is_empty() {
                <h4>{ format!("The first {} differing values", differing.len().min(DIFFERING_SHOWN)) }</h4>
                <div class="table-scroll">
                    <table class="members stack-table fso-skew-rows">
                        { header_row(&[("read at", "", None), ("key", "", None), ("feature", "", None), ("served online", "", None), ("point-in-time", "", None), ("cause", "", None)]) }
                        <tbody>{ for differing.iter().take(DIFFERING_SHOWN).map(|c| comparison_row(c)) }</tbody>
                    </table>
                </div>
            }
        </div>
    }
}

/// A cause as a chip, with its explanation as the title, and a count if given.
fn cause_chip(cause: SkewCause, count: Option<u64>) -> Html {
    let text = match count {
        Some(n) => format!("{}: {n}", cause.label()),
        None => cause.label().to_string(),
    };
    html! { <span class="badge badge-warn fso-cause" title={cause.explain()} data-cause={cause.label()}>{ text }</span> }
}

fn summary_row(view: &str, feature: &str, skew: &FeatureSkew) -> Html {
    html! {
        <tr class="fso-skew-feature">
            <td data-label="feature">{ format!("{view}:{feature}") }</td>
            <td data-label="compared" class="num">{ skew.compared }</td>
            <td data-label="same" class="num">{ skew.same }</td>
            <td data-label="differing" class="fso-causes">
                if skew.differing() == 0 {
                    <span class="badge badge-ok">{ "none" }</span>
                } else {
                    { for skew.causes.iter().map(|(cause, n)| cause_chip(*cause, Some(*n))) }
                }
            </td>
        </tr>
    }
}

fn comparison_row(comparison: &SkewComparison) -> Html {
    let online = &comparison.online;
    let online_time = online.event_ts.map(|ts| {
        format!(
            "event {} ({})",
            short_time(ts),
            age_text(DurationUs(comparison.request_ts.0.saturating_sub(ts.0)))
        )
    });
    let offline_note = match comparison.offline {
        ViewMatch::Matched { event_ts, .. } => format!("event {}", short_time(event_ts)),
        ViewMatch::Missing(reason) => reason.label().to_string(),
    };
    let cause = match comparison.verdict {
        Verdict::Differs(cause) => cause_chip(cause, None),
        Verdict::Same => html! {},
    };
    html! {
        <tr class="fso-skew-row">
            <td data-label="read at">{ short_time(comparison.request_ts) }</td>
            <td data-label="key">{ key_text(&comparison.keys) }</td>
            <td data-label="feature">{ format!("{}:{}", comparison.view, comparison.feature) }</td>
            <td data-label="served online">
                <strong>{ value_text(&online.value) }</strong>
                <div class="small muted">{ online_time.unwrap_or_else(|| online.status.label().to_string()) }</div>
            </td>
            <td data-label="point-in-time">
                <strong>{ value_text(&comparison.offline_value) }</strong>
                <div class="small muted">{ offline_note }</div>
            </td>
            <td data-label="cause">{ cause }</td>
        </tr>
    }
}
