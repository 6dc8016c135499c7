//! Lesson prose: what the app and the lab both need to know about the Markdown of lesson files.
//!
//! - The syntax of "Do it" links, `[Do it](<do:steps; more steps> "promise")`: the lab reads them
//!   as instructions (`lab::lesson::instructions`), the page turns them into buttons.
//! - With the `html` feature, [`to_html`] and [`prerender_lesson`]: the app's build script renders
//!   every lesson's prose to HTML with pulldown-cmark, so the WebAssembly bundle carries the HTML
//!   and no Markdown parser (without pulldown-cmark and its table of HTML entities the release
//!   bundle measured 51.0 KiB of brotli smaller; the HTML costs 4 KiB more than the Markdown).
//!
//! This crate depends on no other crate of the workspace, so the build script can use it without
//! compiling the engines for the build machine.

#[cfg(feature = "html")]
mod html;
#[cfg(feature = "html")]
pub mod prerender;

#[cfg(feature = "html")]
pub use html::to_html;
#[cfg(feature = "html")]
pub use prerender::prerender_lesson;

/// The scheme of a "Do it" link's destination.
pub const DO_SCHEME: &str = "do:";

/// A destination's steps (after `do:`), one per line: `"kill-broker 2; tick 5"` gives
/// `"kill-broker 2\ntick 5"`.
pub fn steps_of_destination(destination: &str) -> String {
    let lines: Vec<&str> = destination.split(';').map(str::trim).collect();
    lines.join("\n")
}

/// How many lines of a lesson's prose start at `lines[at]`: one, or, when that line opens an
/// ordinary fenced code block (```` ```rust ````, a bare ```` ``` ````), the whole block through its
/// closing fence (or to the end of the file), so that a fence written inside it is not misread.
/// The lesson parser and [`prerender_lesson`] both read prose this way.
pub fn prose_span(lines: &[&str], at: usize) -> usize {
    if !lines[at].trim_start().starts_with("```") {
        return 1;
    }
    lines[at + 1..]
        .iter()
        .position(|l| l.trim() == "```")
        .map_or(lines.len() - at, |closing| closing + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_block_is_one_span_through_its_closing_fence() {
        let lines = ["text", "```rust", "```steps", "```", "after"];
        assert_eq!(prose_span(&lines, 0), 1);
        assert_eq!(prose_span(&lines, 1), 3);
        assert_eq!(prose_span(&lines, 3), 2, "a bare fence opens a block too");
        assert_eq!(prose_span(&["```", "never closed"], 0), 2);
    }

    #[test]
    fn steps_are_split_at_semicolons_and_trimmed() {
        assert_eq!(
            steps_of_destination("kill-broker 2; tick 5"),
            "kill-broker 2\ntick 5"
        );
        assert_eq!(steps_of_destination("tick 1"), "tick 1");
    }
}
