//! The traffic split, drawn live: the weights the mesh was told (stable and canary, experiment
//! arms), the header routes that send matching users to the canary whatever the weight, the
//! mirror routes that copy requests to the canary whose answers are dropped, a blue-green
//! preview; then what really happened over the last minute (user requests per version and
//! shadow copies), and the latest requests one square each.

use super::no_rollout;
use crate::widgets::markup::plain_heads;
use lab::rollouts::metrics::Audience;
use lab::rollouts::routing::{HeaderMatch, MatchBlock, RouteReason, StringMatch, TrafficPlan};
use lab::rollouts::serving::Status;
use yew::prelude::*;

/// Squares drawn for the latest requests.
const RECENT_MAX: usize = 80;

/// A header condition as Istio's VirtualService writes it.
fn match_text(m: &HeaderMatch) -> String {
    match &m.value {
        StringMatch::Exact(v) => format!("{}: {v}", m.header),
        StringMatch::Prefix(v) => format!("{} starts with {v}", m.header),
        StringMatch::Regex(v) => format!("{} ~ {v}", m.header),
    }
}

/// A route's `match` list as Istio reads it: "a or b", the conditions of one block joined with
/// "and" (in parentheses when other blocks follow or precede it); no block matches every request.
fn blocks_text(blocks: &[MatchBlock]) -> String {
    let block_text = |block: &MatchBlock| {
        let text = block
            .conditions
            .iter()
            .map(match_text)
            .collect::<Vec<_>>()
            .join(" and ");
        match block.conditions.len() {
            0 => "all requests".to_string(),
            1 => text,
            _ if blocks.len() == 1 => text,
            _ => format!("({text})"),
        }
    };
    if blocks.is_empty() {
        return "all requests".to_string();
    }
    blocks
        .iter()
        .map(block_text)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One segment of a 100% bar.
fn segment(percent: f64, class: &'static str, text: String) -> Html {
    if percent <= 0.0 {
        return html! {};
    }
    html! {
        <span class={classes!("ro-seg", class)} style={format!("flex-basis: {percent:.2}%")} title={text.clone()}>
            <span class="ro-seg-text">{ text }</span>
        </span>
    }
}

/// The planned split: stable, canary by weight, experiment arms.
fn planned(plan: &TrafficPlan) -> Html {
    let arms: u32 = plan
        .experiment_arms
        .iter()
        .map(|arm| u32::from(arm.weight_percent))
        .sum();
    let canary = plan
        .canary
        .as_ref()
        .map_or(0, |_| u32::from(plan.canary_weight_percent));
    let stable = 100u32.saturating_sub(canary + arms);
    html! {
        <div class="ro-bar" role="img" aria-label={format!("Planned split: {} {stable}%{}", plan.stable,
            plan.canary.as_ref().map_or_else(String::new, |c| format!(", {c} {canary}%")))}>
            { segment(f64::from(stable), "ro-v-stable", format!("{} {stable}%", plan.stable)) }
            { for plan.canary.iter().map(|c| segment(f64::from(canary), "ro-v-canary", format!("{c} {canary}%"))) }
            { for plan.experiment_arms.iter().map(|arm| segment(f64::from(arm.weight_percent), "ro-v-arm",
                format!("{} ({}) {}%", arm.name, arm.version, arm.weight_percent))) }
        </div>
    }
}

/// The class of a version: the stable one, the canary, anything else (an experiment arm).
fn version_class(plan: &TrafficPlan, version: &str) -> &'static str {
    if plan.stable.0 == version {
        "ro-v-stable"
    } else if plan.canary.as_ref().is_some_and(|c| c.0 == version)
        || plan.preview.as_ref().is_some_and(|p| p.0 == version)
    {
        "ro-v-canary"
    } else {
        "ro-v-arm"
    }
}

#[component]
pub fn RolloutTraffic() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let plan = rollouts.plan();
    let split = rollouts.split();
    let users: u64 = split.iter().map(|r| r.user_requests).sum();
    let mirrored: u64 = split.iter().map(|r| r.mirrored).sum();
    let mut recent: Vec<_> = rollouts.recent().collect();
    let skip = recent.len().saturating_sub(RECENT_MAX);
    recent.drain(..skip);
    html! {
        <div class="rollout-traffic" data-canary-weight={plan.canary_weight_percent.to_string()}
            data-mirrored={mirrored.to_string()} data-user-requests={users.to_string()}>
            <p class="small ro-caption">{ format!("Planned by the controller ({} requests/s):", rollouts.requests_per_second()) }</p>
            { planned(plan) }
            <ul class="ro-routes small">
                { for plan.header_routes.iter().map(|r| html! {
                    <li class="ro-route-header">{ format!("Header route {}: {} → {}", r.name,
                        blocks_text(&r.matches),
                        plan.canary.as_ref().map_or("canary".to_string(), |c| c.0.clone())) }</li>
                }) }
                { for plan.mirror_routes.iter().map(|r| html! {
                    <li class="ro-route-mirror">{ format!("Mirror route {}: a copy of {}% of {} → {} (answers recorded, never returned)", r.name, r.percentage,
                        blocks_text(&r.matches),
                        plan.canary.as_ref().map_or("canary".to_string(), |c| c.0.clone())) }</li>
                }) }
                if let Some(preview) = &plan.preview {
                    <li class="ro-route-preview">{ format!("Preview service → {preview} (test traffic only, no users)") }</li>
                }
            </ul>
            <p class="small ro-caption">{ format!("Served in the last minute: {users} user requests, {mirrored} mirrored copies.") }</p>
            <div class="ro-bar">
                { for split.iter().filter(|r| r.user_requests > 0).map(|r| {
                    let share = r.user_requests as f64 * 100.0 / users.max(1) as f64;
                    segment(share, version_class(plan, &r.version), format!("{} {share:.0}%", r.version))
                }) }
            </div>
            <table class="ro-split-table small">
                <thead><tr>{ plain_heads(&["version", "user requests", "mirrored copies"]) }</tr></thead>
                <tbody>
                    { for split.iter().map(|r| html! {
                        <tr data-version={r.version.clone()}>
                            <td><span class={classes!("ro-key", version_class(plan, &r.version))}></span>{ r.version.clone() }</td>
                            <td>{ r.user_requests }</td>
                            <td>{ r.mirrored }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <div class="ro-requests" role="img" aria-label={format!("The latest {} requests, oldest first", recent.len())}>
                { for recent.iter().map(|r| {
                    let mirror = r.audience == Audience::Mirror;
                    let failed = r.response.status != Status::Ok200;
                    let why = match &r.reason {
                        RouteReason::Stable => "stable".to_string(),
                        RouteReason::CanaryWeight => "canary weight".to_string(),
                        RouteReason::HeaderRoute(name) => format!("header route {name}"),
                        RouteReason::ExperimentArm => "experiment arm".to_string(),
                    };
                    html! {
                        <span class={classes!("ro-req", version_class(plan, &r.version.0), mirror.then_some("ro-req-mirror"), failed.then_some("ro-req-failed"))}
                            title={format!("user {} → {}{} ({why}): {} in {:.0} ms", r.user.0, r.version, if mirror { " (mirror copy)" } else { "" }, r.response.status.code(), r.response.latency_ms)}>
                            { if failed { "✗" } else { "" } }
                        </span>
                    }
                }) }
            </div>
            <ul class="ro-legend small" aria-label="Legend">
                <li><span class="ro-key ro-v-stable"></span>{ format!("stable {}", plan.stable) }</li>
                <li><span class="ro-key ro-v-canary"></span>{ plan.canary.as_ref().or(plan.preview.as_ref()).map_or("canary (none)".to_string(), |c| format!("canary {c}")) }</li>
                <li><span class="ro-key ro-v-canary ro-req-mirror"></span>{ "mirror copy (dropped)" }</li>
                <li><span class="ro-key ro-req-failed">{ "✗" }</span>{ "5xx answer" }</li>
            </ul>
        </div>
    }
}
