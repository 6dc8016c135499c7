//! Every lesson's numbered instructions, followed as written: the "Do it" links of each lesson
//! run in reading order on the lesson's own lab (seed and preset from its front matter), as a
//! learner pressing each button would, and every number the prose promises after an instruction
//! (its `=>` condition) must hold. A numbered instruction that tells the learner to act on the lab
//! must carry a "Do it" link, so no instruction escapes the check.

use lab::check::Verdict;
use lab::lesson::{parse_lesson, Block, Lesson};
use lab::metric::Observation;
use lab::steps::{self, Step};
use std::path::{Path, PathBuf};

fn lesson_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("lessons/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

fn lessons() -> Vec<(String, Lesson)> {
    lesson_files()
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let lesson = parse_lesson(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, lesson)
        })
        .collect()
}

#[test]
fn every_instruction_does_what_its_prose_promises() {
    let mut problems = Vec::new();
    let mut promises_checked = 0;
    for (name, lesson) in lessons() {
        // Each instruction runs after all the ones before it, from the lesson's fresh lab.
        let mut steps: Vec<Step> = Vec::new();
        for instruction in &lesson.instructions {
            steps.extend(instruction.steps.iter().cloned());
            let ran = match steps::run(lesson.meta.config, &steps) {
                Ok(ran) => ran,
                Err(e) => {
                    problems.push(format!("{name}:{}: {}", instruction.line, e.message));
                    break;
                }
            };
            let Some(promise) = &instruction.promise else {
                continue;
            };
            promises_checked += 1;
            let observation = Observation {
                lab: ran.timeline.head(),
                journal: ran.timeline.journal(),
            };
            if let Verdict::NotYet(reasons) = promise.condition.evaluate(&observation) {
                problems.push(format!(
                    "{name}:{}: the prose promises {} but {}",
                    instruction.line,
                    promise.text,
                    reasons.join("; ")
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        promises_checked >= 10,
        "only {promises_checked} promises checked"
    );
}

/// Words that open an instruction to act on the lab.
const ACTION_OPENERS: &[&str] = &[
    "Send", "Kill", "Restart", "Press", "Play", "Step", "Set", "Cut", "Choose", "Slow",
];

/// A numbered list item ("1. ...") whose text starts with an action.
fn is_numbered_action(line: &str) -> bool {
    let Some((number, text)) = line.trim_start().split_once(". ") else {
        return false;
    };
    let opener = text.trim_start_matches("**");
    !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
        && ACTION_OPENERS.iter().any(|w| opener.starts_with(w))
}

#[test]
fn every_numbered_action_has_a_do_it_link() {
    let mut missing = Vec::new();
    for (name, lesson) in lessons() {
        for block in &lesson.blocks {
            let Block::Markdown(text) = block else {
                continue;
            };
            // A list item runs until the next item or a blank line.
            let mut item: Option<String> = None;
            for line in text.lines().chain([""]) {
                let starts_item = line
                    .trim_start()
                    .split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if starts_item || line.trim().is_empty() {
                    if let Some(done) = item.take() {
                        if is_numbered_action(&done) && !done.contains("](<do:") {
                            missing.push(format!("{name}: {}", done.trim()));
                        }
                    }
                }
                if starts_item {
                    item = Some(line.to_string());
                } else if let Some(open) = item.as_mut() {
                    open.push(' ');
                    open.push_str(line.trim());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "numbered actions without a \"Do it\" link:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_action_detector_sees_actions_and_not_explanations() {
    assert!(is_numbered_action("1. Send 20 records."));
    assert!(is_numbered_action("2. **Kill** broker 2 and Play."));
    assert!(!is_numbered_action(
        "1. **Detection.** Someone must decide the broker is gone."
    ));
    assert!(!is_numbered_action("Send 20 records."));
}
