//! Lesson prose on the page. The build script rendered every lesson's Markdown to HTML with
//! pulldown-cmark (`prose::prerender_lesson`, see `build.rs`), so a lesson's prose blocks and a
//! prediction's question and explanation already hold HTML, "Do it" links as buttons carrying
//! their steps in `data-steps`. Lessons are files of this repository, so that HTML is trusted.

use yew::prelude::*;

/// The pre-rendered HTML of a piece of lesson prose, as a Yew node.
pub fn render(html: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(html.to_string()))
}
