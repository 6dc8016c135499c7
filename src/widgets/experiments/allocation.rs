//! The allocation view: how GrowthBook's hash places users. The experiment's key seeds a hash of
//! each user id into a bucket in [0, 1); each arm owns a range of buckets (its weight times the
//! coverage, from the start of its share), and a bucket in a gap is outside the test. Above the
//! ranges, the latest arrivals at their buckets, each marked by a shape and a letter as well as
//! a colour; beside them the namespace slice shared with the other experiment, the holdout, and
//! the headcounts (users lost by a logging bug, users who switched arms when the assignment
//! changed without sticky bucketing).

use super::{arm_class, arm_label, count, fixed, no_experiment};
use crate::widgets::markup::svg_text;
use lab::experiment_lab::command::ArmIndex;
use lab::experiment_lab::{
    ExperimentLab, PlacedUser, Placement, HOLDOUT_KEY, NAMESPACE, OTHER_EXPERIMENT_KEY,
};
use yew::prelude::*;

// The hash line's drawing, in SVG units.
const W: f64 = 320.0;
const PAD: f64 = 10.0;
/// Columns the latest arrivals are stacked in.
const COLUMNS: usize = 40;
/// Markers stacked in one column at most.
const STACK_MAX: usize = 4;
/// Arrivals listed by id.
const LISTED: usize = 6;

fn x_of(bucket: f64) -> f64 {
    PAD + bucket.clamp(0.0, 1.0) * (W - 2.0 * PAD)
}

/// A placement's marker: its CSS class, its letter and what it means.
fn marker(placement: Placement) -> (&'static str, &'static str, String) {
    match placement {
        Placement::Arm(arm) => (
            arm_class(arm),
            match arm.0 {
                0 => "C",
                1 => "T",
                2 => "2",
                _ => "3",
            },
            arm_label(arm).to_string(),
        ),
        Placement::HeldOut => ("ex-out", "H", "held out".into()),
        Placement::OutsideNamespace => ("ex-out", "N", "outside the namespace slice".into()),
        Placement::OutsideCoverage => ("ex-out", "×", "outside coverage".into()),
    }
}

/// The marker's shape: a circle for control, a square for treatment, a diamond and a triangle
/// for the others, a ring for users outside the test.
fn shape(placement: Placement, cx: f64, cy: f64) -> Html {
    let r = 3.6;
    match placement {
        Placement::Arm(ArmIndex(0)) => {
            html! { <circle cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r={r.to_string()} /> }
        }
        Placement::Arm(ArmIndex(1)) => {
            html! { <rect x={format!("{:.1}", cx - r)} y={format!("{:.1}", cy - r)} width={(2.0 * r).to_string()} height={(2.0 * r).to_string()} /> }
        }
        Placement::Arm(ArmIndex(2)) => {
            html! { <path d={format!("M{cx:.1} {:.1} l{r} {r} l-{r} {r} l-{r} -{r} z", cy - r)} /> }
        }
        Placement::Arm(_) => {
            html! { <path d={format!("M{cx:.1} {:.1} l{r} {:.1} h-{:.1} z", cy - r, 2.0 * r, 2.0 * r)} /> }
        }
        _ => {
            html! { <circle class="ex-ring" cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r={r.to_string()} /> }
        }
    }
}

/// The hash line: arm ranges below, the latest arrivals stacked above at their buckets.
fn hash_line(experiment: &ExperimentLab, recent: &[&PlacedUser]) -> Html {
    let ranges = experiment.bucket_ranges();
    let mut heights = [0usize; COLUMNS];
    let markers: Vec<Html> = recent
        .iter()
        .rev()
        .filter_map(|u| {
            let column = ((u.bucket * COLUMNS as f64) as usize).min(COLUMNS - 1);
            let level = heights[column];
            if level >= STACK_MAX {
                return None;
            }
            heights[column] += 1;
            let cx = x_of((column as f64 + 0.5) / COLUMNS as f64);
            let cy = 50.0 - 9.0 * level as f64;
            let (class, _, meaning) = marker(u.placement);
            Some(html! {
                <g class={classes!("ex-user", class)}>
                    { shape(u.placement, cx, cy) }
                    <title>{ format!("{} · bucket {} · {meaning}", u.id, fixed(u.bucket, 4)) }</title>
                </g>
            })
        })
        .collect();
    html! {
        <svg class="ex-hash-line" viewBox={format!("0 0 {W} 96")} role="img"
            aria-label={format!("Buckets 0 to 1: {}", ranges.iter().enumerate().map(|(a, r)| format!("{} {} to {}", arm_label(ArmIndex(a as u8)), fixed(r.0, 3), fixed(r.1, 3))).collect::<Vec<_>>().join(", "))}>
            <rect class="ex-gap" x={PAD.to_string()} y="60" width={(W - 2.0 * PAD).to_string()} height="16" />
            { for ranges.iter().enumerate().map(|(a, (start, end))| {
                let arm = ArmIndex(a as u8);
                let width = x_of(*end) - x_of(*start);
                html! {
                    <g class={classes!("ex-range", arm_class(arm))} data-arm={a.to_string()}>
                        <rect x={format!("{:.1}", x_of(*start))} y="60" width={format!("{width:.1}")} height="16" />
                        if width > 34.0 {
                            { svg_text((format!("{:.1}", x_of(*start) + width / 2.0).into(), "71.5".into()), Some("middle"), "ex-range-text", arm_label(arm).into()) }
                        }
                    </g>
                }
            }) }
            { for markers }
            { for [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|b| html! {
                { svg_text((format!("{:.1}", x_of(*b)).into(), "90".into()), Some("middle"), "", fixed(*b, 2).into()) }
            }) }
        </svg>
    }
}

/// The namespace: our slice and the other experiment's, as two segments of [0, 1).
fn namespace_bar(experiment: &ExperimentLab) -> Html {
    let key = experiment.setup().key.clone();
    match experiment.namespace_range() {
        None => html! {
            <p class="small ex-namespace-none">{ format!("No namespace: {key} and {OTHER_EXPERIMENT_KEY} both run on every user, so some users are in both (counted as overlap).") }</p>
        },
        Some((start, end)) => {
            let (other_start, other_end) = if end < 1.0 { (end, 1.0) } else { (0.0, start) };
            html! {
                <div class="ex-namespace">
                    <p class="small">{ format!("Namespace \"{NAMESPACE}\": each user hashes once into [0, 1) for the namespace; the two experiments take slices that do not overlap, so no user is in both.") }</p>
                    <div class="ex-ns-bar">
                        <span class="ex-ns-slot" style={format!("left: {:.2}%; width: {:.2}%", start * 100.0, (end - start) * 100.0)}>{ format!("{key} {}-{}%", fixed(start * 100.0, 0), fixed(end * 100.0, 0)) }</span>
                        <span class="ex-ns-slot ex-ns-other" style={format!("left: {:.2}%; width: {:.2}%", other_start * 100.0, (other_end - other_start) * 100.0)}>{ format!("{OTHER_EXPERIMENT_KEY} {}-{}%", fixed(other_start * 100.0, 0), fixed(other_end * 100.0, 0)) }</span>
                    </div>
                </div>
            }
        }
    }
}

#[component]
pub fn ExperimentAllocation() -> Html {
    let session = crate::widgets::use_lab();
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let setup = experiment.setup();
    let counts = experiment.counts();
    let per_arm = experiment.analysed_per_arm();
    let recent: Vec<&PlacedUser> = experiment.recent_users().collect();
    let listed: Vec<&&PlacedUser> = recent.iter().rev().take(LISTED).collect();
    let rows: [(&str, String, u64); 8] = [
        ("arrived", "Arrived".into(), counts.arrived),
        (
            "in-experiment",
            "Hashed into an arm".into(),
            counts.in_experiment,
        ),
        ("holdout", "Held out".into(), counts.holdout),
        (
            "outside",
            "Outside coverage or namespace".into(),
            counts.outside,
        ),
        ("lost", "Lost by the logging bug".into(), counts.lost),
        (
            "switched",
            "Switched arms (left the analysis)".into(),
            counts.switched,
        ),
        (
            "other",
            format!("In {OTHER_EXPERIMENT_KEY}"),
            counts.other_experiment,
        ),
        ("overlap", "In both experiments".into(), counts.overlap),
    ];
    html! {
        <div class="experiment-allocation" data-switched={counts.switched.to_string()} data-lost={counts.lost.to_string()}
            data-arrived={counts.arrived.to_string()} data-overlap={counts.overlap.to_string()}>
            <p class="small ex-caption">{ format!("Each user id is hashed with the key \"{}\" (GrowthBook hash v2) to a bucket in [0, 1); coverage {}% keeps the start of each arm's share.", setup.key, setup.coverage_percent) }</p>
            { hash_line(experiment, &recent) }
            <ul class="ex-legend small" aria-label="Legend">
                { for (0..setup.arms() as u8).map(|a| {
                    let placement = Placement::Arm(ArmIndex(a));
                    let (class, letter, meaning) = marker(placement);
                    html! { <li><svg class={classes!("ex-legend-key", "ex-user", class)} viewBox="0 0 10 10" aria-hidden="true">{ shape(placement, 5.0, 5.0) }</svg>{ format!("{letter} {meaning}") }</li> }
                }) }
                <li><svg class="ex-legend-key ex-user ex-out" viewBox="0 0 10 10" aria-hidden="true">{ shape(Placement::OutsideCoverage, 5.0, 5.0) }</svg>{ "not in the test" }</li>
            </ul>
            <ol class="ex-arrivals small" aria-label="The latest arrivals, newest first">
                { for listed.iter().map(|u| {
                    let (class, letter, meaning) = marker(u.placement);
                    html! {
                        <li class={classes!("ex-arrival", class)}>
                            <span class="ex-letter" aria-hidden="true">{ letter }</span>
                            <code>{ u.id.clone() }</code>
                            <span>{ format!(" bucket {} → {meaning}", fixed(u.bucket, 4)) }</span>
                        </li>
                    }
                }) }
            </ol>
            { namespace_bar(experiment) }
            if setup.holdout_percent > 0 {
                <p class="small ex-holdout-text">{ format!("Holdout {}%: every user is first hashed with the seed \"{HOLDOUT_KEY}\"; those in the holdout see the default experience and stay out of every test.", setup.holdout_percent) }</p>
            }
            <table class="ex-counts small">
                <tbody>
                    { for per_arm.iter().enumerate().map(|(a, n)| html! {
                        <tr data-count={format!("arm-{a}")}>
                            <th scope="row"><span class={classes!("ex-chip", arm_class(ArmIndex(a as u8)))}>{ arm_label(ArmIndex(a as u8)) }</span>{ " analysed" }</th>
                            <td class="ex-num">{ count(*n) }</td>
                        </tr>
                    }) }
                    { for rows.iter().map(|(key, text, n)| html! {
                        <tr data-count={*key}><th scope="row">{ text.clone() }</th><td class="ex-num">{ count(*n) }</td></tr>
                    }) }
                </tbody>
            </table>
            <p class="small muted">{ if setup.sticky {
                "Sticky bucketing is on: a user keeps the arm they first saw when the weights, coverage or key change."
            } else {
                "Sticky bucketing is off: change the weights or the key mid-test and some users are hashed into another arm; they saw both variations and leave the analysis."
            } }</p>
        </div>
    }
}
