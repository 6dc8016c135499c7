//! Lesson lint: every file in `lessons/` parses, uses only known widgets, and names only state
//! its lab really has; ids are unique and orders within a track are distinct.

use lab::lesson::{lint, parse_lesson};
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_lesson_parses_and_lints_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("lessons/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no lessons found in {}", dir.display());
    let mut ids = BTreeSet::new();
    let mut orders = BTreeSet::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable lesson");
        match parse_lesson(&text) {
            Err(e) => problems.push(format!("{}: {e}", file.display())),
            Ok(lesson) => {
                for p in lint(&lesson) {
                    problems.push(format!("{}: {p}", file.display()));
                }
                if !ids.insert(lesson.meta.id.clone()) {
                    problems.push(format!(
                        "{}: duplicate id {}",
                        file.display(),
                        lesson.meta.id
                    ));
                }
                if !orders.insert((lesson.meta.track.clone(), lesson.meta.order)) {
                    problems.push(format!(
                        "{}: duplicate order in track {}",
                        file.display(),
                        lesson.meta.track
                    ));
                }
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                if !stem.ends_with(&lesson.meta.id) {
                    problems.push(format!(
                        "{}: file name should end with the id {}",
                        file.display(),
                        lesson.meta.id
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "lesson problems:\n{}",
        problems.join("\n")
    );
}
