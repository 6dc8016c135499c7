//! Moving keyboard focus from code: the skip link, a route change and the SQL result tabs all
//! need "the element this CSS selector names, focused", after the render that put it there.

use wasm_bindgen::JsCast;

/// Focuses the first element matching `selector`, if there is one. With `focusable`, an element
/// that is not focusable by nature (a heading) is made so first (`tabindex="-1"`: reachable
/// from code, not by Tab).
pub fn focus(selector: &str, focusable: bool) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        if focusable {
            let _ = element.set_attribute("tabindex", "-1");
        }
        let _ = element.focus();
    }
}

/// [`focus`] after the current render has reached the DOM.
pub fn focus_after_render(selector: String, focusable: bool) {
    gloo_timers::callback::Timeout::new(0, move || focus(&selector, focusable)).forget();
}
