//! The home page: a map of the tracks, the way Learn Git Branching's level map works. Each track
//! (Foundations, Kafka, replication, SQL, the engines' tracks, the Pipeline capstone, then the
//! tracks to come) shows its lessons as numbered stops marked done or not, the learner's goals
//! done out of the total, and one clear next step: the first lesson with a goal left. The page's
//! main button continues wherever the learner is.

use crate::icons::{icon, Icon};
use crate::lessons::{catalog, Catalog};
use crate::progress::{Progress, ProgressHandle};
use crate::route::{LabInfo, Route, LABS};
use lab::lesson::Lesson;
use lab::state::Preset;
use yew::prelude::*;
use yew_router::prelude::*;

/// A track on the map, with the lessons of the catalog it groups.
struct Track<'a> {
    name: String,
    blurb: &'static str,
    lessons: Vec<&'a Lesson>,
    lab: Option<&'static LabInfo>,
    /// A second lab on the same cluster, linked beside the first.
    also: Option<&'static LabInfo>,
}

/// A track still to be written: named on the map so the learner sees where Flowlab goes (until
/// its lessons exist: then the track itself takes its place).
struct Coming {
    name: &'static str,
    blurb: &'static str,
}

const COMING: &[Coming] = &[
    Coming {
        name: "Streaming",
        blurb: "Windows, watermarks and late events; stateful operators and exactly-once sinks.",
    },
    Coming {
        name: "Rollouts",
        blurb: "Canary and progressive delivery of models and services, with automatic rollback.",
    },
    Coming {
        name: "Experiments",
        blurb: "A/B tests: assignment, metrics, and telling a real effect from noise.",
    },
];

fn lab(id: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.id == id)
}

/// Whether a Kafka lesson is about replication: it runs on the replicated cluster.
fn is_replication(lesson: &Lesson) -> bool {
    lesson.meta.config.preset == Preset::Replicated
}

/// The catalog's lessons as tracks in map order. The Kafka lessons on a replicated cluster form
/// the replication track; a track the map does not name yet follows, with its catalog name.
fn tracks(catalog: &Catalog) -> Vec<Track<'_>> {
    let named = |track: &str| -> Vec<&Lesson> {
        catalog
            .lessons
            .iter()
            .filter(|l| l.meta.track == track)
            .collect()
    };
    let kafka = named("Kafka");
    let (replication, log): (Vec<&Lesson>, Vec<&Lesson>) =
        kafka.into_iter().partition(|l| is_replication(l));
    let mut tracks = vec![
        Track {
            name: "Foundations".into(),
            blurb: "Logical time, replay and forks: how every lab here works, and why it is deterministic.",
            lessons: named("Foundations"),
            lab: lab("stream"),
            also: None,
        },
        Track {
            name: "Kafka".into(),
            blurb: "The commit log: partitions and keys, consumer groups, delivery semantics, retention, compaction and batching.",
            lessons: log,
            lab: lab("broker"),
            also: None,
        },
        Track {
            name: "Replication".into(),
            blurb: "Replicas, the ISR and the high watermark; acks, leader failover, unclean elections and the KRaft controller.",
            lessons: replication,
            lab: lab("replication"),
            also: lab("overview"),
        },
        Track {
            name: "SQL".into(),
            blurb: "Queries evaluated clause by clause over sample tables and live topics: filters, GROUP BY, joins, window functions.",
            lessons: named("SQL"),
            lab: lab("sql"),
            also: None,
        },
        Track {
            name: "Feature store".into(),
            blurb: "Point-in-time joins and the leakage they prevent, ASOF JOIN, the online store and materialization, training/serving skew, backfills.",
            lessons: named("Feature store"),
            lab: lab("features"),
            also: None,
        },
        Track {
            name: "Streaming".into(),
            blurb: "Windows, watermarks and late events over a live Kafka topic; emit modes, checkpoints and exactly-once sinks, and a feature kept fresh by a stream job.",
            lessons: catalog
                .lessons
                .iter()
                .filter(|l| l.meta.track.eq_ignore_ascii_case("streaming"))
                .collect(),
            lab: lab("streaming"),
            also: None,
        },
        Track {
            name: "Rollouts".into(),
            blurb: "Blue-green and canary releases of a model, steps and analysis after Argo Rollouts and Flagger, automatic rollback, shadow traffic, a baseline-versus-canary judge, and drift alerts after the release.",
            lessons: named("Rollouts"),
            lab: lab("rollouts"),
            also: None,
        },
        Track {
            name: "Experiments".into(),
            blurb: "A/B tests as an experimentation platform reads them: hashing users into arms, sample ratio mismatch, p-values and intervals, the cost of peeking, Bayesian chance to win, CUPED, interleaving and bandits.",
            lessons: named("Experiments"),
            lab: lab("experiments"),
            also: None,
        },
        Track {
            name: "Distributed execution".into(),
            blurb: "A query on a cluster as Spark runs it: stages split at shuffles, tasks on executor slots, broadcast and sort-merge joins, adaptive coalescing and skew splits, caching, lost executors and stragglers; then Hadoop streaming MapReduce in Python.",
            lessons: named("Distributed execution"),
            lab: lab("cluster"),
            also: None,
        },
        Track {
            name: "Pipeline".into(),
            blurb: "The capstone: every engine on one clock. Follow a click from producer to prediction, then watch a broker failover, a stalled stream job, stale features and a leaky model reach the canary's analysis, and find an incident's root cause from the metrics.",
            lessons: named("Pipeline"),
            lab: lab("pipeline"),
            also: None,
        },
    ];
    for (name, lessons) in catalog.tracks() {
        if !matches!(
            name,
            "Foundations"
                | "Kafka"
                | "SQL"
                | "Feature store"
                | "Rollouts"
                | "Experiments"
                | "Distributed execution"
                | "Pipeline"
        ) && !name.eq_ignore_ascii_case("streaming")
        {
            tracks.push(Track {
                name: name.to_string(),
                blurb: "",
                lessons,
                lab: None,
                also: None,
            });
        }
    }
    tracks.retain(|t| !t.lessons.is_empty());
    tracks
}

/// Goals done in a lesson, never more than it has.
fn goals_done(progress: &Progress, lesson: &Lesson) -> usize {
    progress
        .done_count(&lesson.meta.id)
        .min(lesson.goal_count())
}

fn is_complete(progress: &Progress, lesson: &Lesson) -> bool {
    goals_done(progress, lesson) == lesson.goal_count()
}

/// The track's next step: its first lesson with a goal left.
fn next_lesson<'a>(progress: &Progress, track: &Track<'a>) -> Option<&'a Lesson> {
    track
        .lessons
        .iter()
        .copied()
        .find(|l| !is_complete(progress, l))
}

#[component]
pub fn Home() -> Html {
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let catalog = catalog();
    let tracks = tracks(&catalog);
    let progress = &progress.progress;
    let started = tracks
        .iter()
        .flat_map(|t| &t.lessons)
        .any(|l| goals_done(progress, l) > 0);
    let next = tracks.iter().find_map(|t| next_lesson(progress, t));
    html! {
        <section class="page home">
            <div class="hero">
                <h1>{ "Learn data systems by running them" }</h1>
                <p class="lead">
                    { "Flowlab runs live simulations of data systems in your browser: no server, no install. \
                       Every lab is deterministic, so you can rewind, fork history and share a link to what you saw." }
                </p>
                <p class="cta">
                    if let Some(lesson) = next {
                        <Link<Route> to={Route::Lesson { id: lesson.meta.id.clone() }} classes="button primary home-continue">
                            { icon(Icon::Play) }
                            { if started { format!("Continue: {}", lesson.meta.title) } else { format!("Start: {}", lesson.meta.title) } }
                        </Link<Route>>
                    }
                    <Link<Route> to={Route::Lessons} classes="button">{ "All lessons and your progress" }</Link<Route>>
                </p>
            </div>
            <h2 class="map-title">{ "The map" }</h2>
            <ol class="track-map">
                { for tracks.iter().enumerate().map(|(i, track)| html! { <TrackStop track_number={i + 1} track={track_view(progress, track)} /> }) }
                // A track to come leaves the list once its lessons are written.
                { for COMING.iter().filter(|coming| !tracks.iter().any(|t| t.name == coming.name)).map(|coming| html! {
                    <li class="track-stop is-coming" data-track={coming.name}>
                        <span class="track-marker" aria-hidden="true"></span>
                        <div class="track-card">
                            <h3>{ coming.name }<span class="track-badge">{ "Coming" }</span></h3>
                            <p class="track-blurb">{ coming.blurb }</p>
                        </div>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// What a track stop shows, worked out from the progress (a value, so the stop re-renders only
/// when it changes).
#[derive(Clone, PartialEq)]
struct TrackView {
    name: String,
    blurb: &'static str,
    /// (id, title, complete) of each lesson, in order.
    lessons: Vec<(String, String, bool)>,
    next: Option<(String, String)>,
    goals_done: usize,
    goals: usize,
    /// The track's lab: its id, its short name and what it is.
    lab: Option<(&'static str, &'static str, &'static str)>,
    /// A second lab, the same way.
    also: Option<(&'static str, &'static str, &'static str)>,
}

fn track_view(progress: &Progress, track: &Track<'_>) -> TrackView {
    TrackView {
        name: track.name.clone(),
        blurb: track.blurb,
        lessons: track
            .lessons
            .iter()
            .map(|l| {
                (
                    l.meta.id.clone(),
                    l.meta.title.clone(),
                    is_complete(progress, l),
                )
            })
            .collect(),
        next: next_lesson(progress, track).map(|l| (l.meta.id.clone(), l.meta.title.clone())),
        goals_done: track.lessons.iter().map(|l| goals_done(progress, l)).sum(),
        goals: track.lessons.iter().map(|l| l.goal_count()).sum(),
        lab: track.lab.map(|lab| (lab.id, lab.card, lab.blurb)),
        also: track.also.map(|lab| (lab.id, lab.card, lab.blurb)),
    }
}

#[derive(Properties, PartialEq)]
struct TrackStopProps {
    track_number: usize,
    track: TrackView,
}

/// One track on the map: its lessons as numbered stops, its progress and its next step.
#[component]
fn TrackStop(props: &TrackStopProps) -> Html {
    let track = &props.track;
    let complete = track.next.is_none();
    let state = match (complete, track.goals_done) {
        (true, _) => "is-complete",
        (false, 0) => "is-new",
        (false, _) => "is-started",
    };
    let heading_id = format!("track-{}", props.track_number);
    html! {
        <li class={classes!("track-stop", state)} data-track={track.name.clone()} aria-labelledby={heading_id.clone()}>
            <span class="track-marker" aria-hidden="true">
                if complete { { icon(Icon::Check) } } else { { props.track_number } }
            </span>
            <div class="track-card">
                <h3 id={heading_id}>{ &track.name }</h3>
                <p class="track-blurb">{ track.blurb }</p>
                <p class="track-progress">
                    <progress max={track.goals.to_string()} value={track.goals_done.to_string()} aria-hidden="true"></progress>
                    <span>{ format!("{} of {} goals done", track.goals_done, track.goals) }</span>
                </p>
                <ol class="track-levels" aria-label={format!("{} lessons", track.name)}>
                    { for track.lessons.iter().enumerate().map(|(i, (id, title, done))| {
                        let is_next = track.next.as_ref().is_some_and(|(next, _)| next == id);
                        html! {
                            <li>
                                <Link<Route> to={Route::Lesson { id: id.clone() }}
                                    classes={classes!("level", done.then_some("is-done"), is_next.then_some("is-next"))}>
                                    <span class="level-number" aria-hidden="true">{ if *done { icon(Icon::Check) } else { html! { { i + 1 } } } }</span>
                                    <span class="level-title">{ title.clone() }</span>
                                    if *done { <span class="visually-hidden">{ " (done)" }</span> }
                                </Link<Route>>
                            </li>
                        }
                    }) }
                </ol>
                <p class="track-actions">
                    if let Some((id, title)) = &track.next {
                        <Link<Route> to={Route::Lesson { id: id.clone() }} classes="button primary track-next">
                            { if track.goals_done == 0 { "Start: " } else { "Next: " } }{ title.clone() }
                        </Link<Route>>
                    } else {
                        <span class="track-done">{ icon(Icon::Check) }{ "Every goal done" }</span>
                    }
                    { for track.lab.into_iter().chain(track.also).map(|(id, name, blurb)| html! {
                        <Link<Route> to={Route::Lab { id: id.to_string() }} classes="button track-lab">
                            <span title={blurb}>{ name }</span>
                        </Link<Route>>
                    }) }
                </p>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_shows_every_track_with_every_lesson_once() {
        let catalog = catalog();
        let tracks = tracks(&catalog);
        let names: Vec<&str> = tracks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names[..5],
            [
                "Foundations",
                "Kafka",
                "Replication",
                "SQL",
                "Feature store"
            ]
        );
        let mut ids: Vec<&str> = tracks
            .iter()
            .flat_map(|t| t.lessons.iter().map(|l| l.meta.id.as_str()))
            .collect();
        assert_eq!(ids.len(), catalog.lessons.len());
        lab::sim::sort::sort(&mut ids);
        ids.dedup();
        assert_eq!(
            ids.len(),
            catalog.lessons.len(),
            "no lesson is on two tracks"
        );
        let replication = &tracks[2];
        assert!(replication.lessons.iter().all(|l| is_replication(l)));
        assert!(tracks.iter().all(|t| t.lab.is_some()));
    }

    #[test]
    fn the_next_step_is_the_first_lesson_with_a_goal_left() {
        let catalog = catalog();
        let tracks = tracks(&catalog);
        let foundations = &tracks[0];
        let mut progress = Progress::default();
        let first = foundations.lessons[0];
        assert_eq!(
            next_lesson(&progress, foundations).map(|l| &l.meta.id),
            Some(&first.meta.id)
        );
        let goals = first
            .goal_ids()
            .map(|g| (g.to_string(), crate::progress::MetBy::Learner))
            .collect();
        progress.completed.insert(first.meta.id.clone(), goals);
        let view = track_view(&progress, foundations);
        assert_eq!(
            view.next.map(|n| n.0),
            foundations.lessons.get(1).map(|l| l.meta.id.clone())
        );
        assert_eq!(view.goals_done, first.goal_count());
        assert!(view.lessons[0].2);
    }
}
