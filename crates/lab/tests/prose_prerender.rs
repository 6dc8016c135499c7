//! The app ships its lessons with the prose already rendered to HTML (`prose::prerender_lesson`,
//! run by the app's build script). Here, for every lesson and every replication-lab preset, the
//! lesson parser reads the pre-rendered file into exactly the blocks of the original, each piece
//! of Markdown (prose, a prediction's question and explanation) replaced by its HTML: same goals,
//! widgets, steps and metadata, and the page shows the HTML it showed when it rendered Markdown.

use lab::lesson::{parse_lesson, Block, Lesson};
use prose::prerender::prose_html;
use std::path::Path;

/// Every `.md` file of `folder` (relative to the repository) whose name starts with `prefix`.
fn sources(folder: &str, prefix: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("folder is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).expect("readable"),
            )
        })
        .collect()
}

/// A prediction's Markdown field as the lesson parser reads it back from the pre-rendered file:
/// lines without trailing spaces, blank lines dropped.
fn field_html(markdown: &str) -> String {
    let html = prose_html(markdown);
    let lines: Vec<&str> = html
        .trim_end()
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.join("\n").trim().to_string()
}

/// The lesson as the app should see it: its Markdown replaced by HTML.
fn rendered(lesson: &Lesson) -> Vec<Block> {
    lesson
        .blocks
        .iter()
        .map(|block| match block {
            Block::Markdown(text) => Block::Markdown(prose_html(text)),
            Block::Predict(p) => {
                let mut p = p.clone();
                p.question = field_html(&p.question);
                p.explanation = field_html(&p.explanation);
                Block::Predict(p)
            }
            other => other.clone(),
        })
        .collect()
}

#[test]
fn pre_rendered_lessons_parse_to_the_same_blocks_with_html() {
    let mut files = sources("lessons", "");
    files.extend(sources("scenarios", "failover-"));
    assert!(files.len() > 70, "found {} files", files.len());
    let mut markdown_blocks = 0;
    for (file, source) in &files {
        let original = parse_lesson(source).unwrap_or_else(|e| panic!("{file}: {e}"));
        let pre = parse_lesson(&prose::prerender_lesson(source))
            .unwrap_or_else(|e| panic!("{file} pre-rendered: {e}"));
        assert_eq!(pre.meta, original.meta, "{file}");
        let expected = rendered(&original);
        assert_eq!(pre.blocks.len(), expected.len(), "{file}");
        for (got, want) in pre.blocks.iter().zip(&expected) {
            assert_eq!(got, want, "{file}");
        }
        markdown_blocks += expected
            .iter()
            .filter(|b| matches!(b, Block::Markdown(_)))
            .count();
    }
    assert!(markdown_blocks > 300, "{markdown_blocks} prose blocks");
}

#[test]
fn pre_rendered_prose_holds_no_markdown_syntax_the_page_would_show() {
    for (file, source) in sources("lessons", "") {
        let lesson = parse_lesson(&prose::prerender_lesson(&source)).expect("parses");
        for block in &lesson.blocks {
            if let Block::Markdown(html) = block {
                assert!(html.trim_start().starts_with('<'), "{file}: {html}");
                assert!(
                    !html.contains("](<do:"),
                    "{file}: a Do it link left as Markdown"
                );
            }
        }
    }
}
