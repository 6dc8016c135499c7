//! Lesson lint: every file in `lessons/` parses, uses only known widgets, and names only state
//! its lab really has; ids are unique and orders within a track are distinct; and no lesson makes
//! the learner read more than [`PROSE_BEFORE_FIRST_ACTION_MAX`] lines before giving them
//! something to do.

use lab::lesson::{lint, parse_lesson, Block, Lesson};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The most lines of prose a lesson may open with before its first action.
const PROSE_BEFORE_FIRST_ACTION_MAX: usize = 25;

/// What counts as the first thing to do, said in the test's failure message.
const FIRST_ACTION: &str = "a \"Do it\" link (from the first line of the paragraph or list item \
    that holds it), a ```steps block, a ```predict, a ```check or ```sql-check goal, or an \
    ```sql-example with its button. Widgets do not count: the lesson page shows them in the lab \
    pane beside the text, so they never break up the prose the learner reads";

fn lesson_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("lessons/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no lessons found in {}", dir.display());
    files
}

/// Whether a markdown line opens a numbered list item ("3. ...").
fn opens_numbered_item(line: &str) -> bool {
    line.trim_start()
        .split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The non-blank source lines of markdown (headings, lists and tables included) a learner reads
/// before the lesson's first action, and whether it has an action at all. Lines are counted as
/// wrapped in the file.
fn prose_before_first_action(lesson: &Lesson) -> (usize, bool) {
    let mut lines_read = 0;
    for block in &lesson.blocks {
        match block {
            Block::Widget(_) => {}
            Block::Markdown(text) => {
                // Lines of the paragraph or list item under way: they belong to the action if a
                // "Do it" link ends it.
                let mut pending = 0;
                for line in text.lines() {
                    if line.trim().is_empty() || opens_numbered_item(line) {
                        lines_read += pending;
                        pending = 0;
                    }
                    if line.contains("](<do:") {
                        return (lines_read, true);
                    }
                    if !line.trim().is_empty() {
                        pending += 1;
                    }
                }
                lines_read += pending;
            }
            Block::Check(_)
            | Block::SqlCheck(_)
            | Block::Predict(_)
            | Block::SqlExample(_)
            | Block::Steps { .. } => return (lines_read, true),
        }
    }
    (lines_read, false)
}

#[test]
fn no_lesson_opens_with_long_prose() {
    let mut problems = Vec::new();
    for file in lesson_files() {
        let text = std::fs::read_to_string(&file).expect("readable lesson");
        let Ok(lesson) = parse_lesson(&text) else {
            continue; // every_lesson_parses_and_lints_clean reports it
        };
        let (lines, has_action) = prose_before_first_action(&lesson);
        if !has_action {
            problems.push(format!("{}: no action at all", file.display()));
        } else if lines > PROSE_BEFORE_FIRST_ACTION_MAX {
            problems.push(format!(
                "{}: {lines} lines of prose before the first action",
                file.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "a lesson may open with at most {PROSE_BEFORE_FIRST_ACTION_MAX} non-blank lines of prose \
         before its first action, which is {FIRST_ACTION}. Move the explanation into the \
         pause captions of a narrated ```steps block, or after the first action:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_prose_lint_counts_up_to_the_first_action() {
    let lesson = |body: &str| {
        let text = format!(
            "---\nid: t\ntitle: T\ntrack: Kafka\norder: 1\nsummary: S\nseed: 1\npreset: broker\n---\n{body}"
        );
        parse_lesson(&text).expect("the sample lesson parses")
    };
    let opening = "One.\nTwo.\n\n## Three\n\n```widget producer\n```\n\nFour.\n\n";
    let do_it = "1. Send 5 records\n   now. [Do it](<do:produce orders count=5>)\n";
    assert_eq!(
        prose_before_first_action(&lesson(&format!("{opening}{do_it}"))),
        (4, true),
        "widgets are skipped and the instruction's own lines belong to the action"
    );
    let predict = "```predict\nid: p\nquestion: Q?\nchoices:\n  A\n  B\nanswer: A\nexplanation: E\nreveal: acked >= 1\n```\n";
    assert_eq!(
        prose_before_first_action(&lesson(&format!("{opening}{predict}"))),
        (4, true)
    );
    assert_eq!(prose_before_first_action(&lesson(opening)), (4, false));
}

/// The settings of the durable recipe. One lesson lists them; the others refer to that list, so
/// the recipe cannot drift apart in several copies.
const DURABLE_RECIPE: [&str; 5] = [
    "replication factor 3",
    "`min.insync.replicas=2`",
    "`acks=all`",
    "`enable.idempotence=true`",
    "`unclean.leader.election.enable=false`",
];
/// The lesson that lists the recipe, and the link the others give to it.
const RECIPE_LESSON: &str = "kafka-min-isr";
const RECIPE_LINK: &str = "](#/lessons/kafka-min-isr)";

/// How many of the recipe's settings each bulleted list of `text` names. A list is a run of
/// lines, without a blank line, whose first line starts with "- ".
fn recipe_settings_per_list(text: &str) -> Vec<usize> {
    text.split("\n\n")
        .filter(|block| block.trim_start().starts_with("- "))
        .map(|list| DURABLE_RECIPE.iter().filter(|s| list.contains(*s)).count())
        .collect()
}

#[test]
fn the_durable_recipe_is_listed_once() {
    let mut lists = Vec::new();
    let mut unlinked = Vec::new();
    for file in lesson_files() {
        let text = std::fs::read_to_string(&file).expect("readable lesson");
        let Ok(lesson) = parse_lesson(&text) else {
            continue; // every_lesson_parses_and_lints_clean reports it
        };
        let id = lesson.meta.id;
        for named in recipe_settings_per_list(&text) {
            // Three settings in one list is a restatement of the recipe, whole or partial.
            if named >= 3 {
                lists.push((id.clone(), named));
            }
        }
        if id != RECIPE_LESSON && text.contains("durable recipe") && !text.contains(RECIPE_LINK) {
            unlinked.push(file.display().to_string());
        }
    }
    assert_eq!(
        lists,
        vec![(RECIPE_LESSON.to_string(), DURABLE_RECIPE.len())],
        "the durable recipe ({}) is listed once, whole, in {RECIPE_LESSON}; other lessons link to \
         it instead of listing its settings (found: lesson id, settings named)",
        DURABLE_RECIPE.join(", ")
    );
    assert!(
        unlinked.is_empty(),
        "lessons that mention the durable recipe link to it ({RECIPE_LINK}): {unlinked:?}"
    );
}

#[test]
fn the_recipe_check_sees_lists_not_prose() {
    let prose = "The lab has replication factor 3, `min.insync.replicas=2` and `acks=all`.";
    let list = "Settings:\n\n- replication factor 3,\n- `min.insync.replicas=2`,\n- `acks=all`.";
    assert_eq!(recipe_settings_per_list(prose), Vec::<usize>::new());
    assert_eq!(recipe_settings_per_list(list), vec![3]);
}

#[test]
fn every_lesson_parses_and_lints_clean() {
    let files = lesson_files();
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
