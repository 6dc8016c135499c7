//! Markup the lab's forms and tables repeat, written once: a labelled text or number field and a
//! labelled select of fixed options, each bound to a `UseStateHandle<String>`, and a table's
//! header row. Every `html!` element expands to its own construction code in the wasm, so a field
//! written out a dozen times costs a dozen copies; called through these it costs one.
//!
//! The markup is the one the forms wrote by hand: `<label>label<input …/></label>`, with the
//! attributes an argument leaves out (`None`, or an empty class) absent from the element.

use crate::widgets::form::{bind, bind_select};
use yew::prelude::*;

/// `<label>{label}<input type="text" …/></label>` bound to `state`.
pub fn text_field(
    label: &'static str,
    class: &'static str,
    placeholder: Option<&'static str>,
    state: &UseStateHandle<String>,
) -> Html {
    html! {
        <label>{ label }<input class={class} type="text" placeholder={placeholder} value={(**state).clone()} oninput={bind(state)} /></label>
    }
}

/// `<label>{label}<input type="number" …/></label>` bound to `state`; `min`, `max` and `step`
/// are left out when `None`.
pub fn number_field(
    label: &'static str,
    class: &'static str,
    range: (Option<&'static str>, Option<&'static str>),
    step: Option<&'static str>,
    state: &UseStateHandle<String>,
) -> Html {
    let (min, max) = range;
    html! {
        <label>{ label }<input class={class} type="number" min={min} max={max} step={step} value={(**state).clone()} oninput={bind(state)} /></label>
    }
}

/// `<label>{label}<select …>` of fixed `(value, text)` options, the one equal to `state`
/// selected, bound to `state`.
pub fn choice_field(
    label: &'static str,
    class: &'static str,
    state: &UseStateHandle<String>,
    options: &[(&'static str, &'static str)],
) -> Html {
    html! {
        <label>{ label }
            <select class={class} onchange={bind_select(state)}>
                { for options.iter().map(|&(value, text)| html! { <option value={value} selected={**state == value}>{ text }</option> }) }
            </select>
        </label>
    }
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
