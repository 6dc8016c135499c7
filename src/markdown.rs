//! Lesson prose: markdown to HTML with pulldown-cmark (CommonMark plus tables and strikethrough).
//! Lessons are files of this repository, so their HTML is trusted.

use pulldown_cmark::{html, Options, Parser};
use yew::prelude::*;

/// Renders markdown to an HTML string.
pub fn to_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    out
}

/// Renders markdown as a Yew node.
pub fn render(markdown: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(to_html(markdown)))
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
}
