//! Labelled form fields, written once: a text or number field, a select of fixed options or of
//! the cluster's topics, each bound to a `UseStateHandle<String>`, and a checkbox bound to a
//! `UseStateHandle<bool>`. Every `html!` element expands to its own construction code in the
//! wasm, so a field written out a dozen times costs a dozen copies; called through these it costs
//! one. The broker's, streaming and feature store forms use them.
//!
//! The markup is the one the forms wrote by hand: `<label>label<input …/></label>`, with the
//! attributes an argument leaves out (`None`, or an empty class) absent from the element.

use crate::widgets::form::{bind, bind_checked, bind_select};
use lab::broker::topic::Topic;
use std::collections::BTreeMap;
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
    range: (Option<&'static str>, Option<AttrValue>),
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

/// `<label>topic <select …>` of the cluster's topics, `current` selected, bound to `state`.
pub fn topic_field(
    class: &'static str,
    state: &UseStateHandle<String>,
    topics: &BTreeMap<String, Topic>,
    current: &str,
) -> Html {
    html! {
        <label>{ "topic " }
            <select class={class} onchange={bind_select(state)}>
                { for topics.keys().map(|t| html! { <option value={t.clone()} selected={t == current}>{ t }</option> }) }
            </select>
        </label>
    }
}

/// `<label class="check"><input type="checkbox" …/>{text}</label>` bound to `state`.
pub fn check_field(text: &'static str, class: &'static str, state: &UseStateHandle<bool>) -> Html {
    html! {
        <label class="check"><input type="checkbox" class={class} checked={**state} onchange={bind_checked(state)} />{ text }</label>
    }
}
