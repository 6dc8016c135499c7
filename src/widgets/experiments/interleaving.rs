//! Interleaving two rankers: one user's session as team-draft interleaving builds it (ranker A's
//! list, ranker B's, and the merged list where each item is drafted by a team), which items the
//! user clicked and which team each click credits; then, on the same simulated users, how many
//! users an A/B test and an interleaving test needed to decide. Teams differ by colour, by shape
//! (A a circle, B a square) and by their letter.

use super::setup::parse_whole;
use super::{count, fixed, no_experiment, refusal_view, try_send};
use crate::widgets::form::bind;
use crate::widgets::hooks::{use_refusal, use_text};
use lab::experiment_lab::command::{ExperimentCommand, NOISE_CENTI_MAX};
use lab::experiment_lab::side::InterleavingView;
use lab::experiments::interleaving::comparison::{users_ratio, Decision, InterleavedSession};
use lab::experiments::interleaving::credit::Outcome;
use lab::experiments::interleaving::team_draft::{ItemId, Team};
use yew::prelude::*;

/// A team's badge: the letter in a circle (A) or a square (B).
fn team_badge(team: Team) -> Html {
    html! {
        <span class={classes!("ex-team", match team { Team::A => "ex-team-a", Team::B => "ex-team-b" })} title={format!("drafted by ranker {}", team.label())}>
            { team.label() }
        </span>
    }
}

/// An item with its relevance grade for this user (0 to 3 stars).
fn item_text(session: &InterleavedSession, item: ItemId) -> Html {
    let grade = usize::from(session.grades.get(item.0 as usize).map_or(0, |g| g.0));
    let stars = format!(
        "{}{}",
        "★".repeat(grade),
        "☆".repeat(3usize.saturating_sub(grade))
    );
    html! {
        <>
            <span class="ex-item-id">{ format!("item {}", item.0) }</span>
            <span class="ex-grade small" aria-label={format!("relevance {grade} of 3")}>{ stars }</span>
        </>
    }
}

/// One ranker's list, with the items the merge took from it marked.
fn ranking(title: &str, team: Team, list: &[ItemId], session: &InterleavedSession) -> Html {
    html! {
        <div class={classes!("ex-ranking", match team { Team::A => "ex-ranking-a", Team::B => "ex-ranking-b" })}>
            <h4 class="small">{ team_badge(team) }{ format!(" {title}") }</h4>
            <ol>
                { for list.iter().map(|item| {
                    let drafted = session.merged.shown.iter().any(|s| s.item == *item && s.team == team);
                    html! { <li class={classes!(drafted.then_some("ex-drafted"))}>{ item_text(session, *item) }</li> }
                }) }
            </ol>
        </div>
    }
}

/// The merged list: each position with its team and whether the user clicked it.
fn merged(session: &InterleavedSession) -> Html {
    let outcome = match session.credit.outcome() {
        Outcome::AWins => "A wins this impression",
        Outcome::BWins => "B wins this impression",
        Outcome::Tie => "a tie",
    };
    let (a, b) = session.merged.team_sizes();
    html! {
        <div class="ex-merged">
            <h4 class="small">{ "Shown to the user (team draft)" }</h4>
            <ol>
                { for session.merged.shown.iter().enumerate().map(|(i, shown)| {
                    let clicked = session.merged_clicks.get(i).copied().unwrap_or(false);
                    html! {
                        <li class={classes!("ex-shown", match shown.team { Team::A => "ex-shown-a", Team::B => "ex-shown-b" }, clicked.then_some("ex-clicked"))}
                            data-team={shown.team.label()} data-clicked={clicked.to_string()}>
                            { team_badge(shown.team) }
                            { item_text(session, shown.item) }
                            if clicked { <span class="ex-click small">{ format!("clicked → {}", shown.team.label()) }</span> }
                        </li>
                    }
                }) }
            </ol>
            <p class="small ex-credit" data-a={session.credit.a_clicks.to_string()} data-b={session.credit.b_clicks.to_string()}>
                { format!("Team sizes {a} and {b}. Clicks credited: A {}, B {}: {outcome}.", session.credit.a_clicks, session.credit.b_clicks) }
            </p>
        </div>
    }
}

/// A design's users to decision as a bar on a scale shared with the other design.
fn decision_bar(
    key: &'static str,
    label: &str,
    decision: Option<Decision>,
    top: f64,
    max_users: u64,
) -> Html {
    let (width, text) = match decision {
        Some(d) => (
            d.users as f64 / top,
            format!("{} users, ranker {} wins", count(d.users), d.winner.label()),
        ),
        None => (
            1.0,
            format!("no decision within {} users", count(max_users)),
        ),
    };
    html! {
        <div class={classes!("ex-decision", format!("ex-decision-{key}"))} data-users={decision.map_or_else(String::new, |d| d.users.to_string())}>
            <span class="small ex-decision-label">{ label.to_string() }</span>
            <div class="ex-decision-track"><span class="ex-decision-fill" style={format!("width: {:.2}%", width.min(1.0) * 100.0)}></span></div>
            <span class="small ex-decision-text">{ text }</span>
        </div>
    }
}

/// The comparison before the last one, in a line: its rankers, both designs' users and their
/// ratio, and whether it ran on the same simulated users (the same seed) as the last one.
fn previous_view(previous: &InterleavingView, last: &InterleavingView) -> Html {
    let d = &previous.decisions;
    let users = |decision: Option<Decision>| {
        decision.map_or_else(|| "no decision".to_string(), |x| count(x.users))
    };
    let ratio = users_ratio(d).map_or_else(
        || "no ratio (a design did not decide)".to_string(),
        |r| format!("{}×", fixed(r, 1)),
    );
    let same = if previous.config.seed == last.config.seed {
        "same users as the last run"
    } else {
        "other users (another seed)"
    };
    html! {
        <p class="small ex-il-previous" data-ratio={users_ratio(d).map_or_else(String::new, |r| fixed(r, 4))}>
            { format!("Previous comparison (seed {}, noise {} against {}, {same}): A/B test {}, interleaving {}, ratio {ratio}.",
                previous.config.seed.0, fixed(previous.config.ranker_a_noise_sd_grades, 2), fixed(previous.config.ranker_b_noise_sd_grades, 2),
                users(d.ab_test), users(d.interleaving)) }
        </p>
    }
}

fn outcome_view(run: &InterleavingView) -> Html {
    let d = &run.decisions;
    let top = [d.ab_test, d.interleaving]
        .iter()
        .flatten()
        .map(|x| x.users as f64)
        .fold(1.0, f64::max);
    let ratio = match users_ratio(d) {
        Some(r) => format!(
            "Interleaving decided with {}× fewer users than the A/B test.",
            fixed(r, 1)
        ),
        None => "One design did not decide: raise the difference between the rankers' noise."
            .to_string(),
    };
    html! {
        <div class="ex-decisions">
            <p class="small">{ format!("Ranker A's noise {} grades, ranker B's {} (less noise ranks better). Same simulated users for both designs; each checked as users grow by 20%.",
                fixed(run.config.ranker_a_noise_sd_grades, 2), fixed(run.config.ranker_b_noise_sd_grades, 2)) }</p>
            { decision_bar("ab", "A/B test (clicks per user, half the users each)", d.ab_test, top, run.config.max_users) }
            { decision_bar("interleaving", "Interleaving (each user's preference, sign test)", d.interleaving, top, run.config.max_users) }
            <p class="small ex-ratio"><strong>{ ratio }</strong></p>
        </div>
    }
}

#[component]
pub fn ExperimentInterleaving() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let seed = use_text("1");
    let noise_a = use_text("1.2");
    let noise_b = use_text("1.0");
    let Some(experiment) = session.view.experiments() else {
        return no_experiment();
    };
    let onclick = {
        let (session, refusal) = (session.clone(), refusal.clone());
        let (seed, noise_a, noise_b) = (seed.clone(), noise_a.clone(), noise_b.clone());
        Callback::from(move |_: MouseEvent| {
            let noise = |text: &str, what: &str| -> Result<u16, (String, String)> {
                let max = f64::from(NOISE_CENTI_MAX) / 100.0;
                match text.trim().parse::<f64>() {
                    Ok(v) if (0.0..=max).contains(&v) => Ok((v * 100.0).round() as u16),
                    _ => Err((
                        format!("\"{}\" is not a noise for {what}", text.trim()),
                        format!("type a standard deviation in grades from 0 to {max}, such as 1.2"),
                    )),
                }
            };
            let command: Result<ExperimentCommand, (String, String)> = (|| {
                Ok(ExperimentCommand::RunInterleaving {
                    seed: parse_whole(&seed, "seed", (0, i64::from(u32::MAX)))? as u64,
                    ranker_a_noise_centi: noise(&noise_a, "ranker A")?,
                    ranker_b_noise_centi: noise(&noise_b, "ranker B")?,
                })
            })();
            refusal.set(command.and_then(|c| try_send(&session, c)).err())
        })
    };
    let input = |class: &'static str, label: &'static str, state: &UseStateHandle<String>| {
        html! {
            <label class="ex-inline-label small">{ label }
                <input class={classes!("ex-input", class)} size="4" value={(**state).clone()} oninput={bind(state)} />
            </label>
        }
    };
    let run = experiment.interleaving();
    html! {
        <div class="experiment-interleaving" data-ran={run.is_some().to_string()}
            data-ab-users={run.and_then(|r| r.decisions.ab_test).map_or_else(String::new, |d| d.users.to_string())}
            data-interleaving-users={run.and_then(|r| r.decisions.interleaving).map_or_else(String::new, |d| d.users.to_string())}>
            <div class="inline-form">
                { input("ex-il-seed", "seed", &seed) }
                { input("ex-il-noise-a", "ranker A noise", &noise_a) }
                { input("ex-il-noise-b", "ranker B noise", &noise_b) }
                <button type="button" class="primary ex-il-run" {onclick}>{ "Compare rankers" }</button>
            </div>
            { refusal_view(&refusal) }
            { match run {
                Some(run) => html! {
                    <>
                        if let Some(s) = &run.sample_session {
                            <div class="ex-lists">
                                { ranking("Ranker A", Team::A, &s.ranking_a, s) }
                                { merged(s) }
                                { ranking("Ranker B", Team::B, &s.ranking_b, s) }
                            </div>
                        }
                        { outcome_view(run) }
                        if let Some(previous) = experiment.previous_interleaving() {
                            { previous_view(previous, run) }
                        }
                    </>
                },
                None => html! { <p class="small muted ex-placeholder">{ "Compare two rankers: each user sees one merged list, and each click counts for the ranker that drafted the item." }</p> },
            } }
        </div>
    }
}
