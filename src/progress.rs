//! Learner progress: which goals of which lessons are done, saved in `localStorage`.
//!
//! The saved form is versioned JSON (`{"schema": 1, "completed": {lesson: [goal, ...]}}`).
//! Saved data that cannot be read (damaged, or from an unknown schema) is never thrown away: it is
//! moved to [`UNREADABLE_KEY`], reported on screen, and can be downloaded. The pure parts
//! ([`Progress::parse`], [`Progress::to_json`], merging) are tested natively; only [`load`] and
//! [`save`] touch the browser.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::prelude::*;

/// Where progress lives.
pub const STORAGE_KEY: &str = "flowlab.progress";
/// Where unreadable saved progress is kept aside.
pub const UNREADABLE_KEY: &str = "flowlab.progress.unreadable";
/// The schema this version writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
/// Largest progress text accepted on import, in bytes.
pub const IMPORT_BYTES_MAX: usize = 256 * 1024;

#[derive(Serialize, Deserialize)]
struct SavedProgress {
    schema: u32,
    completed: BTreeMap<String, BTreeSet<String>>,
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

/// Completed goals by lesson id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub completed: BTreeMap<String, BTreeSet<String>>,
}

impl Progress {
    /// Reads saved progress, saying why when it cannot.
    pub fn parse(text: &str) -> Result<Progress, String> {
        if text.len() > IMPORT_BYTES_MAX {
            return Err("the data is larger than any real progress file".into());
        }
        let saved: SavedProgress = parse_versioned(text, SCHEMA_VERSION, "Flowlab progress")?;
        Ok(Progress {
            completed: saved.completed,
        })
    }

    pub fn to_json(&self) -> String {
        let saved = SavedProgress {
            schema: SCHEMA_VERSION,
            completed: self.completed.clone(),
        };
        serde_json::to_string_pretty(&saved).expect("progress always serializes")
    }

    pub fn is_done(&self, lesson: &str, goal: &str) -> bool {
        self.completed
            .get(lesson)
            .is_some_and(|goals| goals.contains(goal))
    }

    pub fn done_count(&self, lesson: &str) -> usize {
        self.completed.get(lesson).map_or(0, BTreeSet::len)
    }

    /// Adds another progress record (an import) to this one; nothing done is ever undone.
    pub fn merge(&mut self, other: Progress) {
        for (lesson, goals) in other.completed {
            self.completed.entry(lesson).or_default().extend(goals);
        }
    }
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
    Complete { lesson: String, goal: String },
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
            ProgressAction::Complete { lesson, goal } => {
                if !next
                    .progress
                    .completed
                    .entry(lesson)
                    .or_default()
                    .insert(goal)
                {
                    return self;
                }
            }
            ProgressAction::Import(text) => match Progress::parse(&text) {
                Ok(imported) => {
                    let goals: usize = imported.completed.values().map(BTreeSet::len).sum();
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

/// Loads saved progress. Unreadable data is moved aside and reported, never lost.
pub fn load() -> ProgressState {
    let Some(storage) = storage() else {
        return ProgressState::default();
    };
    let Ok(Some(text)) = storage.get_item(STORAGE_KEY) else {
        return ProgressState::default();
    };
    match Progress::parse(&text) {
        Ok(progress) => ProgressState {
            progress,
            ..ProgressState::default()
        },
        Err(why) => {
            let kept = match storage.get_item(UNREADABLE_KEY) {
                Ok(Some(earlier)) if earlier != text => format!("{earlier}\n\n{text}"),
                _ => text,
            };
            let _ = storage.set_item(UNREADABLE_KEY, &kept);
            let _ = storage.remove_item(STORAGE_KEY);
            ProgressState {
                problem: Some(format!(
                    "Your saved progress could not be read: {why}. It has been kept aside; you can download it."
                )),
                ..ProgressState::default()
            }
        }
    }
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

    #[test]
    fn round_trip_and_merge() {
        let mut p = Progress::default();
        p.completed
            .entry("a".into())
            .or_default()
            .insert("g1".into());
        let back = Progress::parse(&p.to_json()).unwrap();
        assert_eq!(back, p);
        let mut other = Progress::default();
        other
            .completed
            .entry("a".into())
            .or_default()
            .insert("g2".into());
        p.merge(other);
        assert_eq!(p.done_count("a"), 2);
        assert!(p.is_done("a", "g2"));
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
        assert!(Progress::parse(&" ".repeat(IMPORT_BYTES_MAX + 1)).is_err());
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

    /// Progress saved by the version before the crate split (every goal of every lesson done)
    /// still loads, and every lesson and goal it names still exists, so no learner's ticks are
    /// orphaned by a rename. A lesson or goal id that changes must keep this test passing (a
    /// migration in `Progress::parse`), not edit the fixture.
    #[test]
    fn progress_saved_by_an_earlier_version_still_loads() {
        let saved = include_str!("../tests/fixtures/progress-v1.json");
        let progress = Progress::parse(saved).unwrap();
        let catalog = crate::lessons::catalog();
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        let mut goals = 0;
        for (lesson_id, done) in &progress.completed {
            let lesson = catalog
                .find(lesson_id)
                .unwrap_or_else(|| panic!("saved progress names lesson {lesson_id}, now gone"));
            let known: BTreeSet<&str> = lesson
                .checks()
                .map(|c| c.id.as_str())
                .chain(lesson.sql_checks().map(|c| c.id.as_str()))
                .collect();
            for goal in done {
                assert!(
                    known.contains(goal.as_str()),
                    "{lesson_id}: goal {goal} is gone"
                );
                assert!(progress.is_done(lesson_id, goal));
                goals += 1;
            }
        }
        assert_eq!((progress.completed.len(), goals), (22, 55));
    }
}
