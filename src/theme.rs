//! Light and dark themes. `index.html` applies the saved or system theme before the app loads (no
//! flash); this module toggles it and tells charts which palette to draw with.

/// Where the chosen theme is saved.
pub const THEME_KEY: &str = "flowlab.theme";

/// A colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn other(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme on the page now.
pub fn current() -> Theme {
    let attribute = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-theme"));
    if attribute.as_deref() == Some("dark") {
        Theme::Dark
    } else {
        Theme::Light
    }
}

/// Applies and saves a theme.
pub fn apply(theme: Theme) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.name());
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(THEME_KEY, theme.name());
    }
}
