//! The widgets' common state hooks. A hook called with its own closure is compiled once per call
//! site (`use_state` is generic over its initialiser) and inlined into the component, so the text
//! fields, refusals and flags that many widgets keep share these instead: one copy of the hook
//! machinery for each kind of state.

use super::experiments::Refusal;
use yew::prelude::*;

/// A text field's state, starting as `initial`.
#[hook]
pub fn use_text(initial: &str) -> UseStateHandle<String> {
    use_text_with(&|| initial.to_string())
}

/// A text field's state, starting as `init` computes it on the first render.
#[hook]
pub fn use_text_with(init: &dyn Fn() -> String) -> UseStateHandle<String> {
    use_state(init)
}

/// A refusal shown beside a control: none at first.
#[hook]
pub fn use_refusal() -> UseStateHandle<Refusal> {
    use_state(|| None)
}

/// A yes/no state, off at first.
#[hook]
pub fn use_flag() -> UseStateHandle<bool> {
    use_state(|| false)
}

/// A message (an error) shown beside a control: none at first.
#[hook]
pub fn use_message() -> UseStateHandle<Option<String>> {
    use_state(|| None)
}
