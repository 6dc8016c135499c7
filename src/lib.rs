//! # Flowlab, the web app
//!
//! The UI shell around [`lab`]: routes, the lab store, the lesson renderer, widgets, charts,
//! progress storage and the panic panel. It renders views of the core's state and dispatches
//! commands to it; it never decides what happens in a simulation.

pub mod app;
pub mod charts;
pub mod files;
pub mod focus;
pub mod icons;
pub mod lessons;
pub mod markdown;
pub mod pages;
pub mod panic_panel;
pub mod presets;
pub mod progress;
pub mod route;
pub mod share;
pub mod store;
pub mod theme;
pub mod widgets;

/// Installs the panic panel and mounts the app on `#app` (not on `<body>`, which also holds the
/// panic panel that must survive the app).
pub fn start() {
    panic_panel::install();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<app::App>::with_root(root).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
}
