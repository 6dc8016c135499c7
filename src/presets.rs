//! The replication lab's preset scenarios: every `scenarios/failover-*.md` (embedded at build time
//! by `build.rs`). They are lesson files (front matter with a seed and a preset, prose,
//! ```` ```steps ```` blocks and a goal), so the lesson [`Catalog`] parses them. Opening one runs
//! its setup (the steps before its first `pause` line, just before the failure) into a fresh
//! timeline with [`lab::steps::run`], the same way `lab scenario run` does natively; the rest is
//! narrated on the lab ("Play the failure").

use crate::lessons::Catalog;
use lab::lesson::{Block, Lesson};
use lab::steps::{self, Script};
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

/// A preset ready to play: its setup ran, the failure is still to come.
pub struct Opened {
    /// The timeline at the end of the setup.
    pub timeline: Timeline,
    /// The text of the preset's steps blocks, one after the other.
    pub text: String,
    pub script: Script,
}

/// Runs a preset's setup into a fresh timeline, or says which step was refused and why.
pub fn open(preset: &Lesson) -> Result<Opened, String> {
    let text = preset
        .blocks
        .iter()
        .filter_map(|block| match block {
            Block::Steps { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let script = Script::parse(&text).map_err(|e| e.to_string())?;
    if script.steps.is_empty() {
        return Err("it has no steps to run".into());
    }
    let timeline = steps::run(preset.meta.config, script.setup())
        .map_err(|e| {
            format!(
                "step {} was refused: {} ({})",
                e.step + 1,
                e.message,
                e.hint
            )
        })?
        .timeline;
    Ok(Opened {
        timeline,
        text,
        script,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::check::Verdict;
    use lab::metric::Observation;
    use lab::state::{Command, Preset};
    use lab::steps::{Beat, Narration};

    /// Plays the rest of an opened preset as the narrator does, one tick per beat.
    fn play_the_failure(opened: &mut Opened) {
        let mut narration = Narration::after_setup(&opened.script);
        loop {
            match narration.next(&opened.script, 1) {
                Beat::End => break,
                Beat::Moment(_) => {}
                Beat::Apply { command, .. } => {
                    let at = opened.timeline.end();
                    opened
                        .timeline
                        .apply_at(at, Command::Broker(command.clone()))
                        .unwrap();
                }
                Beat::ApplyLab { command, .. } => {
                    let at = opened.timeline.end();
                    opened.timeline.apply_at(at, command.clone()).unwrap();
                }
                Beat::Advance { ticks, .. } => {
                    for _ in 0..ticks {
                        opened.timeline.advance_head().unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn every_preset_opens_before_its_failure_and_plays_it_to_its_goal() {
        let presets = presets();
        assert!(presets.problems.is_empty(), "{:?}", presets.problems);
        assert!(
            presets.lessons.len() >= 5,
            "{} presets",
            presets.lessons.len()
        );
        for preset in &presets.lessons {
            let id = &preset.meta.id;
            assert_eq!(preset.meta.config.preset, Preset::Replicated);
            let mut opened = open(preset).unwrap_or_else(|e| panic!("{id}: {e}"));
            let setup = opened.script.setup().len();
            assert!(
                setup < opened.script.steps.len() && !opened.script.moments.is_empty(),
                "{id} opens just before its failure: a pause line before the fault"
            );
            let observe = |timeline: &Timeline| {
                preset.checks().all(|check| {
                    check.when.evaluate(&Observation {
                        lab: timeline.head(),
                        journal: timeline.journal(),
                    }) == Verdict::Met
                })
            };
            assert!(
                !observe(&opened.timeline),
                "{id}: the goal holds before the failure"
            );
            play_the_failure(&mut opened);
            assert!(
                observe(&opened.timeline),
                "{id}: the goal after the failure"
            );
            let one_click = lab::steps::run(preset.meta.config, &opened.script.steps).unwrap();
            assert_eq!(
                opened.timeline.journal(),
                one_click.timeline.journal(),
                "{id}: played and run at once journal the same"
            );
        }
    }
}
