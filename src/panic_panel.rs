//! The panic panel: if a bug panics anyway, the page shows what happened with "Reset this lab"
//! and "Copy report" instead of going blank.
//!
//! After a panic the wasm instance cannot be trusted, so the panel is plain HTML that
//! `index.html` already holds (`#fatal`), with its buttons wired by a small inline script. The
//! hook only fills in the report and reveals it. The same script reveals it for failures outside
//! Rust (the wasm failing to load), so no path leaves a blank page.

use wasm_bindgen::JsCast;

/// Installs the panic hook.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let report = report(&info.to_string());
        web_sys::console::error_1(&report.clone().into());
        show(&report);
    }));
}

/// The text a learner can copy into a bug report.
pub fn report(panic_message: &str) -> String {
    let location = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    format!(
        "Flowlab {} hit a bug.\n\n{panic_message}\n\npage: {location}\nbrowser: {agent}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Reveals the panel with `report`. Also used by browser tests.
pub fn show(report: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(text) = document.get_element_by_id("fatal-report") {
        text.set_text_content(Some(report));
    }
    if let Some(panel) = document.get_element_by_id("fatal") {
        let _ = panel.remove_attribute("hidden");
        if let Ok(panel) = panel.dyn_into::<web_sys::HtmlElement>() {
            let _ = panel.focus();
        }
    }
}
