//! Markdown to HTML with pulldown-cmark (CommonMark plus tables, strikethrough and smart
//! punctuation). Lessons are files of this repository, so their HTML is trusted.
//!
//! A link whose destination starts with `do:` is a "Do it" link: it becomes a button carrying its
//! steps in `data-steps`, which the lesson page runs on its lab when pressed. The link's title, the
//! promise, is for the lesson tests and is not shown.

use crate::{steps_of_destination, DO_SCHEME};
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// Renders markdown to an HTML string.
pub fn to_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    let mut in_do_link = false;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Link { dest_url, .. }) if dest_url.starts_with(DO_SCHEME) => {
            in_do_link = true;
            Event::Html(do_button_open(&dest_url[DO_SCHEME.len()..]).into())
        }
        Event::End(TagEnd::Link) if in_do_link => {
            in_do_link = false;
            Event::Html(CowStr::Borrowed("</button>"))
        }
        other => other,
    });
    html::push_html(&mut out, events);
    out
}

/// The opening tag of a "Do it" button for a link's destination (after `do:`).
fn do_button_open(destination: &str) -> String {
    format!(
        "<button type=\"button\" class=\"do-it\" data-steps=\"{}\" title=\"Do this step on the lab\">",
        attribute_text(&steps_of_destination(destination))
    )
}

/// Escapes text for a double-quoted HTML attribute.
fn attribute_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_commonmark_and_tables() {
        let html =
            to_html("# Title\n\nSome *emphasis* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn do_links_become_buttons_without_their_promise() {
        let html = to_html(
            "1. Kill it. [Do it](<do:kill-broker 2; tick 100> \"fenced == 1\")\n\nSee [the KIP](https://example.org/kip).",
        );
        assert!(
            html.contains(
                "<button type=\"button\" class=\"do-it\" data-steps=\"kill-broker 2\ntick 100\""
            ),
            "{html}"
        );
        assert!(html.contains(">Do it</button>"), "{html}");
        assert!(!html.contains("fenced"), "the promise stays hidden: {html}");
        assert!(html.contains("<a href=\"https://example.org/kip\">the KIP</a>"));
    }

    #[test]
    fn attribute_text_cannot_close_the_attribute() {
        assert_eq!(attribute_text("a\"b<c>&"), "a&quot;b&lt;c&gt;&amp;");
    }
}
