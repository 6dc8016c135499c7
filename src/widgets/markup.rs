//! Markup builders shared by the widgets' views. Every element an `html!` block writes expands
//! in place to the construction of a virtual DOM tag (its node reference, attributes, listeners
//! and list of children), so a table's cells, a row of headings or a list of labelled numbers
//! written out element by element costs code per element. These functions build such an element
//! once, called from a loop or a short list, and produce the same DOM as the markup they replace.

use yew::prelude::*;

/// `<tag class="class">child</tag>`; an empty `class` leaves the attribute out, as markup
/// without one does.
pub fn el(tag: &'static str, class: &'static str, child: impl Into<Html>) -> Html {
    tagged(tag, class, child.into())
}

fn tagged(tag: &'static str, class: &'static str, child: Html) -> Html {
    html! { <@{tag} class={class}>{ child }</@> }
}

/// A table's column headings: `<th scope="col" class="class">text</th>` for each
/// `(class, text)`.
pub fn column_heads(columns: &[(&'static str, &str)]) -> Html {
    columns
        .iter()
        .map(|(class, text)| html! { <th scope="col" class={*class}>{ *text }</th> })
        .collect()
}

/// Headings without a scope: `<th>text</th>` for each text.
pub fn plain_heads(texts: &[&str]) -> Html {
    texts.iter().map(|text| el("th", "", *text)).collect()
}

/// One labelled fact of a `<dl>`: `<div><dt>label</dt><dd class="class">value</dd></div>`.
pub fn fact(label: &str, class: &'static str, value: String) -> Html {
    html! { <div><dt>{ label }</dt>{ el("dd", class, value) }</div> }
}

/// An SVG `<text>` at (`x`, `y`), with `text-anchor` when `anchor` is given and `class` unless
/// it is empty.
pub fn svg_text(
    (x, y): (AttrValue, AttrValue),
    anchor: Option<&'static str>,
    class: &'static str,
    text: Html,
) -> Html {
    html! { <text x={x} y={y} text-anchor={anchor} class={class}>{ text }</text> }
}

/// A table's header row: one `<th scope="col">` per `(text, class, title)`, an empty class and a
/// `None` title left out.
pub fn header_row(columns: &[(&'static str, &'static str, Option<&'static str>)]) -> Html {
    html! {
        <thead><tr>
            { for columns.iter().map(|&(text, class, title)| html! { <th scope="col" class={class} title={title}>{ text }</th> }) }
        </tr></thead>
    }
}

/// A table's header row of plain `<th>` cells, one per text.
pub fn plain_header_row(texts: &[&str]) -> Html {
    html! { <thead><tr>{ plain_heads(texts) }</tr></thead> }
}

/// A `<dl class="class">` of labelled figures, one [`fact`] per `(term, class of the dd, value)`.
pub fn facts(class: &'static str, figures: &[(&'static str, &'static str, String)]) -> Html {
    html! {
        <dl class={class}>
            { for figures.iter().map(|(term, value_class, value)| fact(term, value_class, value.clone())) }
        </dl>
    }
}
