//! Following a lesson as a learner does: its lab (the front matter's seed and preset) after its
//! first "Do it" links, or after the steps a solution names, observed at the head (goals met or
//! not, predictions revealed or not, metric values). The two checks every lesson test runs (each
//! goal unmet before the link just before it and met after it; each prediction hidden until the
//! link after it) are here too, so each lesson test file states only its own lessons' numbers.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use lab::check::Verdict;
use lab::lesson::{parse_lesson, Lesson, PredictSpec};
use lab::metric::{Metric, Observation};
use lab::steps::{self, parse_steps, Step};
use lab::timeline::Timeline;

/// The text of `lessons/<file>`.
pub fn source(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(file);
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn lesson(file: &str) -> Lesson {
    parse_lesson(&source(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The 1-based line of the file where the block with `id: <id>` is.
pub fn line_of_block(file: &str, id: &str) -> usize {
    source(file)
        .lines()
        .position(|l| l.trim() == format!("id: {id}"))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{file} has no block with id {id}"))
}

/// How many of the lesson's links come before line `line`.
pub fn links_before(file: &str, line: usize) -> usize {
    lesson(file)
        .instructions
        .iter()
        .filter(|i| i.line < line)
        .count()
}

/// A lesson's lab driven by steps, observed at its head.
pub struct Run {
    pub lesson: Lesson,
    pub timeline: Timeline,
}

impl Run {
    /// The lesson's lab after its first `links` "Do it" links.
    pub fn after(file: &str, links: usize) -> Run {
        let lesson = lesson(file);
        assert!(lesson.instructions.len() >= links, "{file} has fewer links");
        let steps: Vec<Step> = lesson
            .instructions
            .iter()
            .take(links)
            .flat_map(|i| i.steps.iter().cloned())
            .collect();
        let timeline = steps::run(lesson.meta.config, &steps)
            .unwrap_or_else(|e| panic!("{file}: {}", e.message))
            .timeline;
        Run { lesson, timeline }
    }

    /// The lesson's fresh lab driven by `script` (steps separated by `;`), as a solution says.
    pub fn script(file: &str, script: &str) -> Run {
        let mut run = Run::after(file, 0);
        run.then(script);
        run
    }

    /// More steps at the end of the lab.
    pub fn then(&mut self, script: &str) -> &mut Run {
        let text = script
            .split(';')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n");
        let steps = parse_steps(&text).unwrap_or_else(|e| panic!("{script}: {e}"));
        if let Err(e) = steps::run_on(&mut self.timeline, &steps, |_, _| {}) {
            panic!("{script}: step {}: {} ({})", e.step, e.message, e.hint);
        }
        self
    }

    /// The rollout of the lab at the head (the rollouts and pipeline presets).
    pub fn rollouts(&self) -> &lab::rollout_lab::RolloutLab {
        self.timeline
            .head()
            .rollouts()
            .expect("a preset with a rollout")
    }

    /// The values every measurement of every analysis run read, oldest run first.
    pub fn measured(&self) -> Vec<Vec<f64>> {
        self.rollouts()
            .analysis_runs()
            .iter()
            .map(|record| {
                record
                    .run
                    .metrics()
                    .iter()
                    .flat_map(|m| m.measurements.iter())
                    .map(|m| {
                        m.value
                            .trim_matches(|c| c == '[' || c == ']')
                            .parse::<f64>()
                            .unwrap_or(f64::NAN)
                    })
                    .collect()
            })
            .collect()
    }

    pub fn observation(&self) -> Observation<'_> {
        Observation {
            lab: self.timeline.head(),
            journal: self.timeline.journal(),
        }
    }

    pub fn value(&self, metric: &str) -> i64 {
        self.observation()
            .value(&Metric::parse(metric).unwrap())
            .unwrap_or_else(|| panic!("{metric} has no value"))
    }

    pub fn met(&self, goal: &str) -> bool {
        let check = self
            .lesson
            .checks()
            .find(|c| c.id == goal)
            .unwrap_or_else(|| panic!("no goal {goal}"));
        check.evaluate(&self.observation()) == Verdict::Met
    }

    pub fn predict(&self, id: &str) -> &PredictSpec {
        self.lesson
            .predictions()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no prediction {id}"))
    }

    pub fn revealed(&self, id: &str) -> bool {
        self.predict(id).reveal.evaluate(&self.observation()) == Verdict::Met
    }

    /// The choice the lesson gives as the prediction's answer.
    pub fn answer(&self, id: &str) -> String {
        let p = self.predict(id);
        p.choices[p.answer].clone()
    }
}

/// Every goal of every lesson in `files` is unmet before the link that comes just before it in
/// the text (the concept's step) and met after it; each lesson has two goals at least. The goals
/// in `forked` are met in a fork (the learner scrubs back and acts there, which no link does):
/// the track's own tests check them with `Timeline::apply_at`.
pub fn every_goal_is_met_by_its_step_and_not_before(files: &[&str], forked: &[&str]) {
    let mut problems = Vec::new();
    for &file in files {
        let ids: Vec<String> = lesson(file).checks().map(|c| c.id.clone()).collect();
        assert!(ids.len() >= 2, "{file} has {} goals", ids.len());
        for id in ids.into_iter().filter(|id| !forked.contains(&id.as_str())) {
            let k = links_before(file, line_of_block(file, &id));
            assert!(k >= 1, "{file}: goal {id} comes before any link");
            if Run::after(file, k - 1).met(&id) {
                problems.push(format!("{file}: {id} is met before link {k}"));
            }
            if !Run::after(file, k).met(&id) {
                problems.push(format!("{file}: {id} is not met after link {k}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every prediction of every lesson in `files` is hidden until the link that follows it and
/// revealed by that link; each lesson has a prediction at least.
pub fn every_prediction_is_hidden_until_its_experiment(files: &[&str]) {
    let mut problems = Vec::new();
    for &file in files {
        let ids: Vec<String> = lesson(file).predictions().map(|p| p.id.clone()).collect();
        assert!(!ids.is_empty(), "{file} has no prediction");
        for id in ids {
            let k = links_before(file, line_of_block(file, &id));
            if Run::after(file, k).revealed(&id) {
                problems.push(format!("{file}: {id} is revealed before its experiment"));
            }
            if !Run::after(file, k + 1).revealed(&id) {
                problems.push(format!("{file}: {id} is not revealed by link {}", k + 1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A track's lesson files and the two checks every lesson runs over all of them, in one call per
/// track test file: `lesson_track! { NAME = "file.md", ... }` names each file as a constant (the
/// track's own tests use the names) and writes the tests
/// `every_goal_is_met_by_its_step_and_not_before` and
/// `every_prediction_is_hidden_until_its_experiment` over the whole list. Goals met only in a
/// fork are listed after `; forked:` and left to the track's own tests.
#[macro_export]
macro_rules! lesson_track {
    ($($name:ident = $file:literal),+ $(,)?) => {
        $crate::lesson_track! { $($name = $file),+ ; forked: }
    };
    ($($name:ident = $file:literal),+ ; forked: $($goal:literal),* $(,)?) => {
        $(const $name: &str = $file;)+

        /// Every lesson of the track, in order.
        const TRACK: &[&str] = &[$($name),+];

        #[test]
        fn every_goal_is_met_by_its_step_and_not_before() {
            $crate::common::lessons::every_goal_is_met_by_its_step_and_not_before(
                TRACK,
                &[$($goal),*],
            );
        }

        #[test]
        fn every_prediction_is_hidden_until_its_experiment() {
            $crate::common::lessons::every_prediction_is_hidden_until_its_experiment(TRACK);
        }
    };
}
