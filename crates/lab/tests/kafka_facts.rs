//! The facts tables stay in step with their lessons: `docs/kafka-facts.md` with the Kafka
//! lessons, `docs/feature-store-facts.md` with the feature store lessons, `docs/streaming-facts.md`
//! with the streaming lessons, `docs/rollouts-facts.md` with the rollouts lessons,
//! `docs/experiments-facts.md` with the experiments lessons, `docs/pipeline-facts.md` with the
//! pipeline lessons, `docs/distributed-facts.md` with the distributed execution lessons.
//!
//! The table lists every fact about real Kafka that a Kafka lesson states, with the version it
//! holds since and its source (KIP, JIRA or documentation). Each lesson has a section headed
//! `## lessons/NN-name.md`, followed by a line `Reviewed against: <hash>`: the FNV-1a 64 hash of
//! the lesson file's bytes when its facts were last checked. This test fails when a Kafka lesson
//! (a file whose front matter says `track: Kafka`) has changed since then, has no section, or when
//! a section names a file that is not a Kafka lesson: whoever changes a lesson re-checks its rows.

use lab::lesson::parse_lesson;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use lab::state_hash::fnv1a64;

fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// One section of the facts file: the hash it was reviewed against (if the line is there and
/// well formed) and how many table rows of facts it has.
struct Section {
    reviewed: Option<String>,
    rows: usize,
}

/// Parses the facts file into sections keyed by the lesson path in their heading. Problems with
/// the file's own shape (a duplicate section) go to `problems`.
fn parse_facts(facts: &str, text: &str, problems: &mut Vec<String>) -> BTreeMap<String, Section> {
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut expect_reviewed = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let name = heading.trim();
            if name.starts_with("lessons/") {
                if sections.contains_key(name) {
                    problems.push(format!("{facts}: the section `## {name}` appears twice"));
                }
                sections.insert(
                    name.to_string(),
                    Section {
                        reviewed: None,
                        rows: 0,
                    },
                );
                current = Some(name.to_string());
                expect_reviewed = true;
            } else {
                current = None;
            }
            continue;
        }
        let Some(name) = &current else { continue };
        let section = sections.get_mut(name).expect("section was inserted");
        let trimmed = line.trim();
        if expect_reviewed && !trimmed.is_empty() {
            expect_reviewed = false;
            if let Some(value) = trimmed.strip_prefix("Reviewed against:") {
                let value = value.trim();
                if value.len() == 16
                    && value
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
                {
                    section.reviewed = Some(value.to_string());
                }
            }
            continue;
        }
        // A table row of facts: starts with `|`, is not the header or the separator.
        if trimmed.starts_with('|')
            && !trimmed.starts_with("| Fact")
            && !trimmed
                .trim_matches(|c| c == '|' || c == '-' || c == ':' || c == ' ')
                .is_empty()
        {
            section.rows += 1;
        }
    }
    sections
}

#[test]
fn every_kafka_lesson_has_reviewed_facts() {
    check_facts("docs/kafka-facts.md", "Kafka");
}

#[test]
fn every_feature_store_lesson_has_reviewed_facts() {
    check_facts("docs/feature-store-facts.md", "Feature store");
}

#[test]
fn every_streaming_lesson_has_reviewed_facts() {
    check_facts("docs/streaming-facts.md", "Streaming");
}

#[test]
fn every_rollouts_lesson_has_reviewed_facts() {
    check_facts("docs/rollouts-facts.md", "Rollouts");
}

#[test]
fn every_experiments_lesson_has_reviewed_facts() {
    check_facts("docs/experiments-facts.md", "Experiments");
}

#[test]
fn every_pipeline_lesson_has_reviewed_facts() {
    check_facts("docs/pipeline-facts.md", "Pipeline");
}

#[test]
fn every_distributed_execution_lesson_has_reviewed_facts() {
    check_facts("docs/distributed-facts.md", "Distributed execution");
}

/// Every lesson of `track` has a reviewed, non-empty section in the facts file `facts`.
fn check_facts(facts: &str, track: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let facts_text = std::fs::read_to_string(root.join(facts))
        .unwrap_or_else(|e| panic!("{facts} must exist: {e}"));
    let mut problems = Vec::new();
    let sections = parse_facts(facts, &facts_text, &mut problems);

    let mut files: Vec<_> = std::fs::read_dir(root.join("lessons"))
        .expect("lessons/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();

    let mut track_lessons = BTreeSet::new();
    for file in &files {
        let name = format!(
            "lessons/{}",
            file.file_name().expect("a file name").to_string_lossy()
        );
        let bytes = std::fs::read(file).expect("readable lesson");
        let text = String::from_utf8_lossy(&bytes);
        let lesson = match parse_lesson(&text) {
            Ok(lesson) => lesson,
            Err(e) => {
                problems.push(format!(
                    "{name}: does not parse ({e}), so its track is unknown"
                ));
                continue;
            }
        };
        if lesson.meta.track != track {
            continue;
        }
        track_lessons.insert(name.clone());
        let now = hex(fnv1a64(&bytes));
        match sections.get(&name) {
            None => problems.push(format!(
                "{name} is a {track} lesson but {facts} has no section for it: add `## {name}`, \
                 a line `Reviewed against: {now}` and a table of the facts it states"
            )),
            Some(section) => {
                if section.rows == 0 {
                    problems.push(format!(
                        "{facts}: the section for {name} has no facts table rows"
                    ));
                }
                match &section.reviewed {
                    None => problems.push(format!(
                        "{facts}: the section for {name} must be followed by a line \
                         `Reviewed against: <16 lowercase hex digits>` (now: {now})"
                    )),
                    Some(reviewed) if *reviewed != now => problems.push(format!(
                        "{name} changed since its facts were reviewed (reviewed against \
                         {reviewed}, the file now hashes to {now}): check its rows in {facts} \
                         against the new text (add, fix or remove facts), then set its \
                         `Reviewed against:` line to {now}"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    for name in sections.keys() {
        if !track_lessons.contains(name) {
            if root.join(name).is_file() {
                problems.push(format!(
                    "{facts}: the section `## {name}` names a lesson that is not in the {track} \
                     track: remove the section"
                ));
            } else {
                problems.push(format!(
                    "{facts}: the section `## {name}` names a lesson that does not exist: \
                     rename it to the lesson's new file name or remove it"
                ));
            }
        }
    }
    assert!(
        !track_lessons.is_empty(),
        "no lesson with `track: {track}` found"
    );
    assert!(
        problems.is_empty(),
        "{facts} out of date:\n{}",
        problems.join("\n")
    );
}

#[test]
fn fnv1a64_matches_the_reference_values() {
    // Test vectors from the FNV reference (draft-eastlake-fnv).
    assert_eq!(hex(fnv1a64(b"")), "cbf29ce484222325");
    assert_eq!(hex(fnv1a64(b"a")), "af63dc4c8601ec8c");
    assert_eq!(hex(fnv1a64(b"foobar")), "85944171f73967e8");
}
