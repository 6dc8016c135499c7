//! Form fields bound to state: each binder returns the callback that copies a field's value into
//! a `UseStateHandle<String>` (a checkbox's into a `UseStateHandle<bool>`) as the learner types,
//! picks or ticks. One binder per element type, since
//! web-sys reads `value` through the element's own interface.

use yew::prelude::*;

/// Binds a text input to a state handle.
pub fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| {
        state.set(
            e.target_unchecked_into::<web_sys::HtmlInputElement>()
                .value(),
        )
    })
}

/// Binds a select to a state handle.
pub fn bind_select(state: &UseStateHandle<String>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        state.set(
            e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value(),
        )
    })
}

/// Binds a checkbox to a state handle.
pub fn bind_checked(state: &UseStateHandle<bool>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        state.set(
            e.target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked(),
        )
    })
}

/// Binds a textarea to a state handle.
pub fn bind_text(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| {
        state.set(
            e.target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value(),
        )
    })
}
