//! Lesson prose: what the app and the lab both need to know about the Markdown of lesson files.
//!
//! - The syntax of "Do it" links, `[Do it](<do:steps; more steps> "promise")`: the lab reads them
//!   as instructions (`lab::lesson::instructions`), the page turns them into buttons.
//! - With the `html` feature, [`to_html`] and [`prerender_lesson`]: the app's build script renders
//!   every lesson's prose to HTML with pulldown-cmark, so the WebAssembly bundle carries the HTML
//!   and no Markdown parser (pulldown-cmark and its table of HTML entities cost the bundle about
//!   30 KiB of brotli; the HTML costs 4 KiB more than the Markdown it replaces).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_split_at_semicolons_and_trimmed() {
        assert_eq!(
            steps_of_destination("kill-broker 2; tick 5"),
            "kill-broker 2\ntick 5"
        );
        assert_eq!(steps_of_destination("tick 1"), "tick 1");
    }
}
