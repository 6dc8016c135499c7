//! The alert rules after Prometheus: each rule's expression, threshold and `for:` duration and
//! its state now (inactive, pending, firing), a timeline of when each series was pending and
//! firing over the rollout, and the latest transitions with the value that caused them. A rule
//! fires only once its condition has held for the whole `for:` duration: a short spike stays
//! pending and resolves.

use super::{clock, no_rollout};
use lab::rollouts::alerts::{AlertState, AlertTransition};
use yew::prelude::*;

/// Transitions listed at most, newest first.
const TRANSITIONS_SHOWN: usize = 8;

/// A stretch of one series in one state: (from, to, state), `to` None while it lasts.
type Stretch = (u64, Option<u64>, AlertState);

/// The pending and firing stretches of `rule`, per series, from its transitions in time order.
pub fn stretches(history: &[AlertTransition], rule: &str) -> Vec<Stretch> {
    let mut open: Vec<(String, u64, AlertState)> = Vec::new();
    let mut out = Vec::new();
    for t in history.iter().filter(|t| t.rule == rule) {
        let series = labels_text(t);
        if let Some(i) = open.iter().position(|(s, _, _)| *s == series) {
            let (_, from, state) = open.remove(i);
            out.push((from, Some(t.at.0), state));
        }
        if t.to != AlertState::Inactive {
            open.push((series, t.at.0, t.to));
        }
    }
    out.extend(open.into_iter().map(|(_, from, state)| (from, None, state)));
    out
}

fn labels_text(t: &AlertTransition) -> String {
    t.labels
        .pairs()
        .iter()
        .filter(|(n, _)| n != "__name__")
        .map(|(n, v)| format!("{n}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(",")
}

#[component]
pub fn RolloutAlerts() -> Html {
    let session = crate::widgets::use_lab();
    let Some(rollouts) = session.view.rollouts() else {
        return no_rollout();
    };
    let now = rollouts.now_ms().max(1);
    let history = rollouts.alert_history();
    let rules = rollouts.alert_rules();
    let firing = rules.iter().filter(|r| r.state == "firing").count();
    let pct = |t: u64| t as f64 * 100.0 / now as f64;
    html! {
        <div class="rollout-alerts" data-firing={firing.to_string()}>
            <ul class="ral-rules">
                { for rules.iter().map(|r| html! {
                    <li class={classes!("ral-rule", format!("ral-{}", r.state))} data-rule={r.name.clone()} data-state={r.state}>
                        <p class="ral-head">
                            <span class={classes!("ro-badge", format!("ral-badge-{}", r.state))}>
                                <span aria-hidden="true">{ match r.state { "firing" => "●", "pending" => "◐", _ => "○" } }</span>{ format!(" {}", r.state) }
                            </span>
                            <strong>{ format!(" {}", r.name) }</strong>
                            <span class="small muted">{ format!(" · {} {} {} for {}", r.expr, r.op, r.threshold, clock(r.for_ms)) }</span>
                        </p>
                        <div class="ral-track" role="img" aria-label={format!("{}: when it was pending and firing, from 0:00 to {}", r.name, clock(now))}>
                            { for stretches(history, &r.name).into_iter().map(|(from, to, state)| {
                                let end = to.unwrap_or(now);
                                html! {
                                    <span class={classes!("ral-stretch", format!("ral-{}", state.as_str()))}
                                        style={format!("left: {:.2}%; width: {:.2}%", pct(from), (pct(end) - pct(from)).max(0.6))}
                                        title={format!("{} from {} to {}", state.as_str(), clock(from), to.map_or("now".to_string(), clock))}></span>
                                }
                            }) }
                        </div>
                    </li>
                }) }
            </ul>
            <p class="small muted ral-axis">{ format!("Tracks run from 0:00 to now ({}). Amber: pending (condition true, waiting out for:). Red: firing.", clock(now)) }</p>
            if history.is_empty() {
                <p class="small muted">{ "No alert has changed state yet." }</p>
            } else {
                <ol class="ral-transitions small" reversed=true>
                    { for history.iter().rev().take(TRANSITIONS_SHOWN).map(|t| html! {
                        <li class={classes!(format!("ral-{}", t.to.as_str()), t.is_resolved().then_some("ral-resolved"))}>
                            { format!("{} {}{{{}}} {} → {}{} (value {})", clock(t.at.0), t.rule, labels_text(t), t.from.as_str(), t.to.as_str(),
                                if t.is_resolved() { ", resolved" } else { "" }, if t.value.is_finite() { super::chart::short_number(t.value) } else { "no data".to_string() }) }
                        </li>
                    }) }
                </ol>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::rollouts::metrics::Labels;
    use lab::rollouts::value::TimeMs;

    fn at(t: u64, from: AlertState, to: AlertState) -> AlertTransition {
        AlertTransition {
            at: TimeMs(t),
            rule: "HighErrorRate".into(),
            labels: Labels::new([("version", "v2")]),
            from,
            to,
            value: 0.1,
        }
    }

    #[test]
    fn stretches_follow_pending_then_firing_then_resolved() {
        let history = [
            at(10, AlertState::Inactive, AlertState::Pending),
            at(70, AlertState::Pending, AlertState::Firing),
            at(200, AlertState::Firing, AlertState::Inactive),
            at(300, AlertState::Inactive, AlertState::Pending),
        ];
        assert_eq!(
            stretches(&history, "HighErrorRate"),
            vec![
                (10, Some(70), AlertState::Pending),
                (70, Some(200), AlertState::Firing),
                (300, None, AlertState::Pending),
            ]
        );
        assert!(stretches(&history, "Other").is_empty());
    }
}
