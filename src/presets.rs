//! The replication lab's preset scenarios: every `scenarios/failover-*.md` (embedded at build time
//! by `build.rs`). They are lesson files (front matter with a seed and a preset, prose,
//! ```` ```steps ```` blocks and a goal), so the lesson [`Catalog`] parses them; loading one runs
//! its steps into a fresh timeline with [`lab::steps::run`], the same way
//! `lab scenario run` does natively.

use crate::lessons::Catalog;
use lab::lesson::Lesson;
use lab::steps::{self, Step};
use lab::timeline::Timeline;
use std::rc::Rc;

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

thread_local! {
    static PRESETS: Rc<Catalog> = Rc::new(Catalog::parse(PRESET_SOURCES));
}

/// The embedded presets in the order of their `order`, parsed on first use.
pub fn presets() -> Rc<Catalog> {
    PRESETS.with(Rc::clone)
}

/// Runs a preset's steps into a fresh timeline, or says which step was refused and why.
pub fn run(preset: &Lesson) -> Result<Timeline, String> {
    let steps: Vec<Step> = preset.steps().cloned().collect();
    if steps.is_empty() {
        return Err("it has no steps to run".into());
    }
    steps::run(preset.meta.config, &steps)
        .map(|run| run.timeline)
        .map_err(|e| {
            format!(
                "step {} was refused: {} ({})",
                e.step + 1,
                e.message,
                e.hint
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::check::Verdict;
    use lab::metric::Observation;
    use lab::state::Preset;

    #[test]
    fn every_preset_parses_runs_and_meets_its_goal() {
        let presets = presets();
        assert!(presets.problems.is_empty(), "{:?}", presets.problems);
        assert!(
            presets.lessons.len() >= 5,
            "{} presets",
            presets.lessons.len()
        );
        for preset in &presets.lessons {
            assert_eq!(preset.meta.config.preset, Preset::Replicated);
            let timeline = run(preset).unwrap_or_else(|e| panic!("{}: {e}", preset.meta.id));
            for check in preset.checks() {
                let verdict = check.when.evaluate(&Observation {
                    lab: timeline.head(),
                    journal: timeline.journal(),
                });
                assert_eq!(verdict, Verdict::Met, "{} / {}", preset.meta.id, check.id);
            }
        }
    }
}
