//! Learner progress: which goals of which lessons are done and how ([`MetBy`]: by the learner,
//! by a steps block, or after the solution was shown), saved in `localStorage`.
//!
//! The saved form is versioned JSON. Schema 2:
//! `{"schema": 2, "completed": {lesson: {goal: "learner" | "steps" | "solution"}},
//! "solutions_seen": {lesson: [goal, ...]}, "wrong_predictions": {lesson: {goal: count}}}`.
//! Schema 1 (`{"schema": 1, "completed": {lesson: [goal, ...]}}`) is read and migrated: its goals
//! count as done by the learner, which is all version 1 knew. Saved data that cannot be read
//! (damaged, or from an unknown schema) is never thrown away: it is moved to [`UNREADABLE_KEY`],
//! reported on screen, and can be downloaded. The pure parts ([`Progress::parse`],
//! [`Progress::to_json`], merging, [`loaded_from`]) are tested natively; only [`load`] and
//! [`save`] touch the browser.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::prelude::*;

/// Where progress lives.
pub const STORAGE_KEY: &str = "flowlab.progress";
/// Where unreadable saved progress is kept aside.
pub const UNREADABLE_KEY: &str = "flowlab.progress.unreadable";
/// The schema this version writes (it reads this one and schema 1).
pub const SCHEMA_VERSION: u32 = 2;
/// What saved progress is called in messages.
const KIND: &str = "Flowlab progress";
/// Largest progress text accepted on import, in bytes.
pub const IMPORT_BYTES_MAX: usize = 256 * 1024;

/// Schema 1: the goals done, by lesson.
#[derive(Deserialize)]
struct SavedV1 {
    completed: BTreeMap<String, BTreeSet<String>>,
}

/// Schema 2, the one written.
#[derive(Serialize, Deserialize)]
struct SavedProgress {
    schema: u32,
    completed: BTreeMap<String, BTreeMap<String, MetBy>>,
    #[serde(default)]
    solutions_seen: BTreeMap<String, BTreeSet<String>>,
    #[serde(default)]
    wrong_predictions: BTreeMap<String, BTreeMap<String, u32>>,
}

/// How a goal was met, best first: merging keeps the best of two records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetBy {
    /// The learner's own actions.
    Learner,
    /// The learner's actions, after they had opened the goal's solution.
    Solution,
    /// A lesson's steps: a steps block or its "Do it" buttons.
    Steps,
}

impl MetBy {
    /// The goal's mark, as the lesson shows it.
    pub fn mark(self) -> &'static str {
        match self {
            MetBy::Learner => "✓ done",
            MetBy::Solution => "✓ done after seeing the solution",
            MetBy::Steps => "✓ done by the lesson's steps",
        }
    }
}

/// Reads versioned JSON (`{"schema": N, ...}`) written with schema `schema`, saying why when it
/// cannot (`kind` names what it should have been).
pub fn parse_versioned<T: serde::de::DeserializeOwned>(
    text: &str,
    schema: u32,
    kind: &str,
) -> Result<T, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("it is not valid JSON ({e})"))?;
    match value.get("schema").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(schema) => {}
        Some(v) => {
            return Err(format!(
                "it uses schema {v}, and this version reads schema {schema}"
            ))
        }
        None => return Err(format!("it has no schema version, so it is not {kind}")),
    }
    serde_json::from_value(value)
        .map_err(|e| format!("its contents are not in the expected shape ({e})"))
}

/// Completed goals by lesson id, with how each was met; the solutions the learner opened; and
/// the wrong answers given to predictions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub completed: BTreeMap<String, BTreeMap<String, MetBy>>,
    pub solutions_seen: BTreeMap<String, BTreeSet<String>>,
    pub wrong_predictions: BTreeMap<String, BTreeMap<String, u32>>,
}

impl Progress {
    /// Reads saved progress of either schema, saying why when it cannot.
    pub fn parse(text: &str) -> Result<Progress, String> {
        if text.len() > IMPORT_BYTES_MAX {
            return Err("the data is larger than any real progress file".into());
        }
        if schema_of(text) == Some(1) {
            let v1: SavedV1 = parse_versioned(text, 1, KIND)?;
            return Ok(Progress::from_v1(v1));
        }
        let saved: SavedProgress = parse_versioned(text, SCHEMA_VERSION, KIND)?;
        Ok(Progress {
            completed: saved.completed,
            solutions_seen: saved.solutions_seen,
            wrong_predictions: saved.wrong_predictions,
        })
    }

    /// Schema 1 knew only that a goal was done: the learner did it.
    fn from_v1(saved: SavedV1) -> Progress {
        let by_learner = |goals: BTreeSet<String>| {
            lab::sim::sort::collect_map(goals.into_iter().map(|goal| (goal, MetBy::Learner)))
        };
        Progress {
            completed: lab::sim::sort::collect_map(
                saved
                    .completed
                    .into_iter()
                    .map(|(lesson, goals)| (lesson, by_learner(goals))),
            ),
            ..Progress::default()
        }
    }

    pub fn to_json(&self) -> String {
        let saved = SavedProgress {
            schema: SCHEMA_VERSION,
            completed: self.completed.clone(),
            solutions_seen: self.solutions_seen.clone(),
            wrong_predictions: self.wrong_predictions.clone(),
        };
        serde_json::to_string_pretty(&saved).expect("progress always serializes")
    }

    /// How the goal was met, if it was.
    pub fn met_by(&self, lesson: &str, goal: &str) -> Option<MetBy> {
        self.completed.get(lesson)?.get(goal).copied()
    }

    pub fn is_done(&self, lesson: &str, goal: &str) -> bool {
        self.met_by(lesson, goal).is_some()
    }

    pub fn done_count(&self, lesson: &str) -> usize {
        self.completed.get(lesson).map_or(0, BTreeMap::len)
    }

    /// How many of the lesson's goals were met that way.
    pub fn done_by(&self, lesson: &str, by: MetBy) -> usize {
        self.completed
            .get(lesson)
            .map_or(0, |goals| goals.values().filter(|b| **b == by).count())
    }

    /// Whether the learner has opened the goal's solution.
    pub fn saw_solution(&self, lesson: &str, goal: &str) -> bool {
        self.solutions_seen
            .get(lesson)
            .is_some_and(|goals| goals.contains(goal))
    }

    /// How many wrong answers the learner gave to a prediction.
    pub fn wrong_predictions(&self, lesson: &str, goal: &str) -> u32 {
        self.wrong_predictions
            .get(lesson)
            .and_then(|goals| goals.get(goal))
            .copied()
            .unwrap_or(0)
    }

    /// Adds another progress record (an import) to this one; nothing done is ever undone, and a
    /// goal done both ways keeps the better way ([`MetBy`]'s order).
    pub fn merge(&mut self, other: Progress) {
        for (lesson, goals) in other.completed {
            let mine = self.completed.entry(lesson).or_default();
            for (goal, by) in goals {
                let kept = mine.get(&goal).map_or(by, |&earlier| earlier.min(by));
                mine.insert(goal, kept);
            }
        }
        for (lesson, goals) in other.solutions_seen {
            self.solutions_seen.entry(lesson).or_default().extend(goals);
        }
        for (lesson, goals) in other.wrong_predictions {
            let mine = self.wrong_predictions.entry(lesson).or_default();
            for (goal, wrong) in goals {
                let count = mine.entry(goal).or_default();
                *count = (*count).max(wrong);
            }
        }
    }
}

/// The `schema` field of saved JSON, if it has one.
fn schema_of(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()?
        .get("schema")?
        .as_u64()
}

/// Progress plus what happened when it was loaded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressState {
    pub progress: Progress,
    /// Why saved progress could not be read, while the learner has not dismissed it.
    pub problem: Option<String>,
    /// A message about the last import or export.
    pub message: Option<(bool, String)>,
}

/// Changes to progress.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgressAction {
    Complete {
        lesson: String,
        goal: String,
        by: MetBy,
    },
    /// The learner opened a goal's solution.
    SawSolution {
        lesson: String,
        goal: String,
    },
    /// The learner's prediction turned out wrong.
    WrongPrediction {
        lesson: String,
        goal: String,
    },
    Import(String),
    ForgetAll,
    DismissProblem,
    DismissMessage,
}

impl Reducible for ProgressState {
    type Action = ProgressAction;

    fn reduce(self: Rc<Self>, action: ProgressAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ProgressAction::Complete { lesson, goal, by } => {
                let goals = next.progress.completed.entry(lesson).or_default();
                if goals.contains_key(&goal) {
                    return self;
                }
                goals.insert(goal, by);
            }
            ProgressAction::SawSolution { lesson, goal } => {
                let seen = next.progress.solutions_seen.entry(lesson).or_default();
                if !seen.insert(goal) {
                    return self;
                }
            }
            ProgressAction::WrongPrediction { lesson, goal } => {
                let wrong = next.progress.wrong_predictions.entry(lesson).or_default();
                *wrong.entry(goal).or_default() += 1;
            }
            ProgressAction::Import(text) => match Progress::parse(&text) {
                Ok(imported) => {
                    let goals: usize = imported.completed.values().map(BTreeMap::len).sum();
                    next.progress.merge(imported);
                    next.message = Some((false, format!("Imported {goals} completed goals.")));
                }
                Err(why) => {
                    next.message = Some((
                        true,
                        format!("That file could not be imported: {why}. Nothing was changed."),
                    ));
                    return Rc::new(next);
                }
            },
            ProgressAction::ForgetAll => next.progress = Progress::default(),
            ProgressAction::DismissProblem => next.problem = None,
            ProgressAction::DismissMessage => next.message = None,
        }
        save(&next.progress);
        Rc::new(next)
    }
}

pub type ProgressHandle = UseReducerHandle<ProgressState>;

pub fn storage() -> Option<web_sys::Storage> {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()?.local_storage().ok().flatten()
    } else {
        None
    }
}

/// What loading saved progress found, and what to do with the storage.
#[derive(Debug, PartialEq)]
pub struct Loaded {
    pub state: ProgressState,
    /// Text to keep under [`UNREADABLE_KEY`] (and to remove from [`STORAGE_KEY`]): the saved text
    /// that could not be read, after any kept there earlier.
    pub keep_aside: Option<String>,
}

/// Reads `saved` (the text under [`STORAGE_KEY`]); `kept_earlier` is what [`UNREADABLE_KEY`]
/// already holds. Unreadable text is kept aside with a notice, never lost.
pub fn loaded_from(saved: Option<&str>, kept_earlier: Option<&str>) -> Loaded {
    let Some(text) = saved else {
        return Loaded {
            state: ProgressState::default(),
            keep_aside: None,
        };
    };
    match Progress::parse(text) {
        Ok(progress) => Loaded {
            state: ProgressState {
                progress,
                ..ProgressState::default()
            },
            keep_aside: None,
        },
        Err(why) => Loaded {
            state: ProgressState {
                problem: Some(format!(
                    "Your saved progress could not be read: {why}. It has been kept aside; you can download it."
                )),
                ..ProgressState::default()
            },
            keep_aside: Some(match kept_earlier {
                Some(earlier) if earlier != text => format!("{earlier}\n\n{text}"),
                _ => text.to_string(),
            }),
        },
    }
}

/// Loads saved progress. Unreadable data is moved aside and reported, never lost.
pub fn load() -> ProgressState {
    let Some(storage) = storage() else {
        return ProgressState::default();
    };
    let read = |key: &str| storage.get_item(key).ok().flatten();
    let loaded = loaded_from(
        read(STORAGE_KEY).as_deref(),
        read(UNREADABLE_KEY).as_deref(),
    );
    if let Some(kept) = &loaded.keep_aside {
        let _ = storage.set_item(UNREADABLE_KEY, kept);
        let _ = storage.remove_item(STORAGE_KEY);
    }
    loaded.state
}

/// The unreadable data kept aside, if any.
pub fn unreadable() -> Option<String> {
    storage()?.get_item(UNREADABLE_KEY).ok().flatten()
}

fn save(progress: &Progress) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, &progress.to_json());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(entries: &[(&str, &str, MetBy)]) -> Progress {
        let mut p = Progress::default();
        for (lesson, goal, by) in entries {
            p.completed
                .entry(lesson.to_string())
                .or_default()
                .insert(goal.to_string(), *by);
        }
        p
    }

    #[test]
    fn round_trip_and_merge() {
        let mut p = done(&[("a", "g1", MetBy::Steps), ("a", "g3", MetBy::Learner)]);
        p.solutions_seen
            .entry("a".into())
            .or_default()
            .insert("g1".into());
        p.wrong_predictions
            .entry("a".into())
            .or_default()
            .insert("guess".into(), 2);
        let back = Progress::parse(&p.to_json()).unwrap();
        assert_eq!(back, p);
        // An import adds goals and keeps the better way a goal was met; nothing is undone.
        p.merge(done(&[
            ("a", "g1", MetBy::Learner),
            ("a", "g2", MetBy::Solution),
            ("a", "g3", MetBy::Steps),
        ]));
        assert_eq!(p.done_count("a"), 3);
        assert_eq!(p.met_by("a", "g1"), Some(MetBy::Learner));
        assert_eq!(p.met_by("a", "g2"), Some(MetBy::Solution));
        assert_eq!(p.met_by("a", "g3"), Some(MetBy::Learner));
        assert_eq!(p.done_by("a", MetBy::Learner), 2);
        assert!(p.saw_solution("a", "g1") && !p.saw_solution("a", "g2"));
        assert_eq!(p.wrong_predictions("a", "guess"), 2);
    }

    #[test]
    fn the_reducer_records_how_goals_were_met() {
        let complete = |by| ProgressAction::Complete {
            lesson: "l".into(),
            goal: "g".into(),
            by,
        };
        let state = Rc::new(ProgressState::default());
        let after = state.reduce(complete(MetBy::Steps));
        assert_eq!(after.progress.met_by("l", "g"), Some(MetBy::Steps));
        // Met again later, another way: the first record stands (the reducer returns the same state).
        let again = after.clone().reduce(complete(MetBy::Learner));
        assert!(Rc::ptr_eq(&after, &again));
        let seen = again.reduce(ProgressAction::SawSolution {
            lesson: "l".into(),
            goal: "h".into(),
        });
        assert!(seen.progress.saw_solution("l", "h"));
        let wrong = |state: Rc<ProgressState>| {
            state.reduce(ProgressAction::WrongPrediction {
                lesson: "l".into(),
                goal: "p".into(),
            })
        };
        assert_eq!(wrong(wrong(seen)).progress.wrong_predictions("l", "p"), 2);
    }

    #[test]
    fn unreadable_data_says_why() {
        assert!(Progress::parse("{not json")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(Progress::parse("{\"schema\": 9, \"completed\": {}}")
            .unwrap_err()
            .contains("schema 9"));
        assert!(Progress::parse("{\"completed\": {}}")
            .unwrap_err()
            .contains("no schema"));
        assert!(Progress::parse("{\"schema\": 1, \"completed\": [1]}")
            .unwrap_err()
            .contains("shape"));
        assert!(
            Progress::parse("{\"schema\": 2, \"completed\": {\"l\": {\"g\": \"magic\"}}}")
                .unwrap_err()
                .contains("shape")
        );
        assert!(Progress::parse(&" ".repeat(IMPORT_BYTES_MAX + 1)).is_err());
    }

    /// Damaged saved progress is kept aside, after anything kept earlier, with a notice; the
    /// learner starts with empty progress and loses nothing.
    #[test]
    fn corrupted_saved_progress_is_kept_aside_with_a_notice() {
        let damaged = "{\"schema\": 2, \"completed\": {\"l\": {\"g\": \"lear";
        let loaded = loaded_from(Some(damaged), None);
        assert_eq!(loaded.keep_aside.as_deref(), Some(damaged));
        assert_eq!(loaded.state.progress, Progress::default());
        let notice = loaded.state.problem.unwrap();
        assert!(
            notice.contains("could not be read") && notice.contains("kept aside"),
            "{notice}"
        );
        let again = loaded_from(Some("{}"), Some(damaged));
        assert_eq!(again.keep_aside.unwrap(), format!("{damaged}\n\n{{}}"));
        // The same text kept twice is kept once.
        assert_eq!(
            loaded_from(Some(damaged), Some(damaged))
                .keep_aside
                .as_deref(),
            Some(damaged)
        );
        // Readable or missing progress keeps nothing aside.
        let good = loaded_from(
            Some(&done(&[("l", "g", MetBy::Learner)]).to_json()),
            Some(damaged),
        );
        assert_eq!((good.keep_aside, good.state.problem), (None, None));
        assert_eq!(good.state.progress.done_count("l"), 1);
        assert_eq!(loaded_from(None, None).state, ProgressState::default());
    }

    #[test]
    fn a_failed_import_changes_nothing() {
        let state = Rc::new(ProgressState::default());
        let after = state
            .clone()
            .reduce(ProgressAction::Import("garbage".into()));
        assert_eq!(after.progress, state.progress);
        assert!(after
            .message
            .as_ref()
            .is_some_and(|(is_error, _)| *is_error));
    }

    /// Schema 1 becomes schema 2: every goal it names is done by the learner, and saving writes
    /// schema 2, which reads back the same.
    #[test]
    fn schema_1_migrates_with_every_goal_done_by_the_learner() {
        let saved = include_str!("../tests/fixtures/progress-v1.json");
        let progress = Progress::parse(saved).unwrap();
        let goals: usize = progress.completed.values().map(BTreeMap::len).sum();
        assert_eq!(goals, 55);
        for (lesson, done) in &progress.completed {
            assert_eq!(
                progress.done_by(lesson, MetBy::Learner),
                done.len(),
                "{lesson}"
            );
        }
        let written = progress.to_json();
        assert!(written.contains("\"schema\": 2"), "{written}");
        assert_eq!(Progress::parse(&written).unwrap(), progress);
    }

    /// Progress saved by the version that introduced schema 2 still loads, with how each goal
    /// was met, the solutions seen and the wrong predictions.
    #[test]
    fn progress_saved_with_schema_2_still_loads() {
        let saved = include_str!("../tests/fixtures/progress-v2.json");
        let progress = Progress::parse(saved).unwrap();
        assert_eq!(
            progress.met_by("time-and-replay", "reach-50"),
            Some(MetBy::Learner)
        );
        assert_eq!(
            progress.met_by("kafka-unclean-election", "lose-acked"),
            Some(MetBy::Steps)
        );
        assert_eq!(
            progress.met_by("kafka-unclean-election", "prevent"),
            Some(MetBy::Solution)
        );
        assert_eq!(
            progress.met_by("kafka-unclean-election", "guess-survivors"),
            Some(MetBy::Learner)
        );
        assert!(progress.saw_solution("kafka-unclean-election", "prevent"));
        assert_eq!(
            progress.wrong_predictions("kafka-leader-failover", "guess-detection"),
            1
        );
        assert_catalog_has(&progress);
    }

    /// Progress saved by the version before the crate split (every goal of every lesson done)
    /// still loads, and every lesson and goal it names still exists, so no learner's ticks are
    /// orphaned by a rename. A lesson or goal id that changes must keep this test passing (a
    /// migration in `Progress::parse`), not edit the fixture.
    #[test]
    fn progress_saved_by_an_earlier_version_still_loads() {
        let saved = include_str!("../tests/fixtures/progress-v1.json");
        let progress = Progress::parse(saved).unwrap();
        let goals = assert_catalog_has(&progress);
        assert_eq!((progress.completed.len(), goals), (22, 55));
    }

    /// Every lesson and goal the progress names exists; returns how many goals it names.
    fn assert_catalog_has(progress: &Progress) -> usize {
        let catalog = crate::lessons::catalog();
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        let mut goals = 0;
        let named = progress
            .completed
            .iter()
            .map(|(l, done)| (l, done.keys().collect::<Vec<_>>()))
            .chain(
                progress
                    .solutions_seen
                    .iter()
                    .map(|(l, seen)| (l, seen.iter().collect())),
            )
            .chain(
                progress
                    .wrong_predictions
                    .iter()
                    .map(|(l, wrong)| (l, wrong.keys().collect())),
            );
        for (lesson_id, done) in named {
            let lesson = catalog
                .find(lesson_id)
                .unwrap_or_else(|| panic!("saved progress names lesson {lesson_id}, now gone"));
            let known: BTreeSet<&str> = lab::sim::sort::collect_set(lesson.goal_ids());
            for goal in done {
                assert!(
                    known.contains(goal.as_str()),
                    "{lesson_id}: goal {goal} is gone"
                );
                goals += 1;
            }
        }
        goals
    }
}
