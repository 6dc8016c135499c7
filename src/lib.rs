//! # Flowlab, the web app
//!
//! The UI shell around [`lab_core`]: routes, the lab store, the lesson renderer, widgets, charts,
//! progress storage and the panic panel. It renders views of the core's state and dispatches
//! commands to it; it never decides what happens in a simulation.

pub mod app;
pub mod charts;
pub mod lessons;
pub mod markdown;
pub mod pages;
pub mod panic_panel;
pub mod progress;
pub mod route;
pub mod share;
pub mod store;
pub mod theme;
pub mod widgets;

/// Installs the panic panel and mounts the app on `<body>`.
pub fn start() {
    panic_panel::install();
    yew::Renderer::<app::App>::new().render();
}
