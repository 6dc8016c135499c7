//! A lesson file with its Markdown already rendered: the app's build script embeds this text, so
//! the page shows trusted HTML and needs no Markdown parser.
//!
//! The lesson's structure stays as the lab's lesson parser (`lab::lesson::parse_lesson`) reads it:
//! the front matter and every special fenced block (```` ```check ````, ```` ```predict ````,
//! ```` ```steps ````, ```` ```sql-check ````, ```` ```sql-example ````, ```` ```widget ... ````)
//! are copied as written; each stretch of prose between them is replaced by its HTML, and so is a
//! prediction's `question` and `explanation` (written as the block's `key: value` lines, the value
//! continued on indented lines). The lab's tests check, lesson by lesson, that parsing the result
//! gives the blocks of the original with each piece of Markdown replaced by [`prose_html`].

use crate::{prose_span, to_html};

/// The info strings of the fenced blocks the lesson parser reads itself; every other fence is an
/// ordinary code block of the prose.
fn is_special_fence(info: &str) -> bool {
    matches!(
        info,
        "check" | "predict" | "steps" | "sql-check" | "sql-example" | "widget"
    ) || info.starts_with("widget ")
}

/// The HTML of a piece of prose, safe to put back into a lesson file: a line of the HTML that
/// would start a fence (code showing Markdown) gets its first backtick as `&#96;`, which the
/// browser shows the same.
pub fn prose_html(markdown: &str) -> String {
    let html = to_html(markdown);
    let mut out = String::with_capacity(html.len() + 1);
    for line in html.lines() {
        match line.find("```") {
            Some(at) if line[..at].trim().is_empty() => {
                out.push_str(&line[..at]);
                out.push_str("&#96;");
                out.push_str(&line[at + 1..]);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `source` with its prose and its predictions' questions and explanations rendered to HTML. A
/// file the lesson parser would refuse (no front matter, an unclosed block) comes back with the
/// rest as written, so the parser still reports the same problem.
pub fn prerender_lesson(source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::with_capacity(source.len() * 5 / 4);
    let front_matter_end = (lines.first().map(|l| l.trim()) == Some("---"))
        .then(|| lines[1..].iter().position(|l| l.trim() == "---"))
        .flatten()
        .map(|p| p + 1);
    let Some(close) = front_matter_end else {
        return source.to_string();
    };
    push_lines(&mut out, &lines[..=close]);
    let mut prose = String::new();
    let mut i = close + 1;
    while i < lines.len() {
        let line = lines[i];
        let fence = line.trim_start().strip_prefix("```").map(str::trim);
        match fence {
            Some(info) if is_special_fence(info) => {
                flush_prose(&mut out, &mut prose);
                let Some(end) = (i + 1..lines.len()).find(|&n| lines[n].trim() == "```") else {
                    push_lines(&mut out, &lines[i..]);
                    return out;
                };
                push_lines(&mut out, &lines[i..=i]);
                if info == "predict" {
                    push_predict_body(&mut out, &lines[i + 1..end]);
                } else {
                    push_lines(&mut out, &lines[i + 1..end]);
                }
                push_lines(&mut out, &lines[end..=end]);
                i = end + 1;
            }
            _ => {
                let span = prose_span(&lines, i);
                for line in &lines[i..i + span] {
                    prose.push_str(line);
                    prose.push('\n');
                }
                i += span;
            }
        }
    }
    flush_prose(&mut out, &mut prose);
    out
}

fn push_lines(out: &mut String, lines: &[&str]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
}

/// Writes the prose gathered so far: as HTML, or as it is when it is only blank lines (which the
/// lesson parser drops).
fn flush_prose(out: &mut String, prose: &mut String) {
    if prose.trim().is_empty() {
        out.push_str(prose);
    } else {
        out.push_str(&prose_html(prose));
    }
    prose.clear();
}

/// The fields of a ```` ```predict ```` block whose values are Markdown.
const PREDICT_MARKDOWN_KEYS: [&str; 2] = ["question", "explanation"];

/// A predict block's lines with the Markdown fields rendered. A field is a `key: value` line and
/// the indented lines after it, which continue the value (blank lines are skipped, as the lesson
/// parser skips them).
fn push_predict_body(out: &mut String, body: &[&str]) {
    let mut n = 0;
    while n < body.len() {
        let line = body[n];
        let continued = (n + 1..body.len())
            .take_while(|&m| body[m].trim().is_empty() || body[m].starts_with([' ', '\t']))
            .count();
        let field = &body[n..=n + continued];
        n += continued + 1;
        let key = line.split_once(':').map(|(key, _)| key.trim());
        match key {
            Some(key) if !line.starts_with([' ', '\t']) && PREDICT_MARKDOWN_KEYS.contains(&key) => {
                let html = prose_html(&field_value(field));
                let mut html_lines = html.trim_end().lines();
                out.push_str(&format!(
                    "{key}: {}\n",
                    html_lines.next().unwrap_or_default()
                ));
                for rest in html_lines {
                    out.push_str("  ");
                    out.push_str(rest);
                    out.push('\n');
                }
            }
            _ => push_lines(out, field),
        }
    }
}

/// A field's value as the lesson parser reads it: the first line's value, then each continuation
/// line without the lines' common indentation, joined with newlines.
fn field_value(field: &[&str]) -> String {
    let first = field[0].split_once(':').map_or("", |(_, v)| v.trim());
    let more: Vec<&str> = field[1..]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let indent = more
        .iter()
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut value = first.to_string();
    for line in more {
        if !value.is_empty() {
            value.push('\n');
        }
        value.push_str(line[indent..].trim_end());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: &str = "---\nid: x\ntitle: X\n---\n\n# Hello\n\nSome *prose*.\n\n```widget log\n```\n\n```rust\nlet a = 1;\n```\n\n```predict\nid: p\nquestion: How *far*?\nchoices:\n  Tick 5\n  Tick 10\nanswer: Tick 10\nexplanation: Because\n  of `this`.\nreveal: tick >= 10\n```\nBye.\n";

    #[test]
    fn prose_and_predictions_become_html_and_blocks_stay() {
        let out = prerender_lesson(LESSON);
        assert!(out.starts_with("---\nid: x\ntitle: X\n---\n"), "{out}");
        assert!(
            out.contains("<h1>Hello</h1>\n<p>Some <em>prose</em>.</p>\n"),
            "{out}"
        );
        assert!(out.contains("```widget log\n```\n"), "{out}");
        assert!(
            out.contains("<pre><code class=\"language-rust\">let a = 1;\n</code></pre>"),
            "{out}"
        );
        assert!(
            out.contains("question: <p>How <em>far</em>?</p>\n"),
            "{out}"
        );
        assert!(
            out.contains("explanation: <p>Because\n  of <code>this</code>.</p>\n"),
            "{out}"
        );
        assert!(
            out.contains("choices:\n  Tick 5\n  Tick 10\nanswer: Tick 10\n"),
            "{out}"
        );
        assert!(out.ends_with("<p>Bye.</p>\n"), "{out}");
    }

    #[test]
    fn html_never_opens_a_fence() {
        let html = prose_html("````\nA fence:\n```steps\n````\n");
        assert!(html.contains("&#96;``steps"), "{html}");
        assert!(
            !html.lines().any(|l| l.trim_start().starts_with("```")),
            "{html}"
        );
    }

    #[test]
    fn files_the_parser_refuses_come_back_as_written() {
        assert_eq!(prerender_lesson("no front matter\n"), "no front matter\n");
        let unclosed = "---\nid: x\n---\nText.\n```steps\ntick 1\n";
        assert_eq!(
            prerender_lesson(unclosed),
            "---\nid: x\n---\n<p>Text.</p>\n```steps\ntick 1\n"
        );
    }
}
