//! Inline SVG icons, drawn in `currentColor` at the size of the text around them.
//!
//! Why not glyphs: characters such as ⏸ are missing from the fonts of some systems (Debian's
//! Chromium draws an empty box), and a screen reader reads them aloud as "double vertical bar".
//! An icon is decoration: it is `aria-hidden`, and the control that shows it keeps a text label
//! (visible, or in `aria-label`).

use yew::prelude::*;

/// The icons the app draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Play,
    Pause,
    StepBack,
    StepForward,
    SkipToEnd,
    Stop,
    Reset,
    /// A partition's leader.
    Crown,
    /// A goal that holds.
    Check,
    /// A goal not met yet.
    Open,
}

impl Icon {
    /// The shapes inside a 16 × 16 view box.
    fn shapes(self) -> Html {
        match self {
            Icon::Play => html! { <path d="M4 2.5v11l9-5.5z" /> },
            Icon::Pause => html! { <path d="M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z" /> },
            Icon::StepBack => html! { <path d="M13 2.5v11L5.5 8zM2.5 2.5H5v11H2.5z" /> },
            Icon::StepForward => html! { <path d="M3 2.5v11L10.5 8zM11 2.5h2.5v11H11z" /> },
            Icon::SkipToEnd => {
                html! { <path d="M1.5 3v10l5.5-5zM7 3v10l5.5-5zM12.5 3H14.5v10h-2z" /> }
            }
            Icon::Stop => html! { <path d="M3.5 3.5h9v9h-9z" /> },
            Icon::Reset => html! {
                <>
                    <path d="M3.2 9.5A5 5 0 1 0 4.6 4.4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
                    <path d="M2.2 1.8l.6 4.6 4.4-1.4z" />
                </>
            },
            Icon::Crown => html! { <path d="M1.5 5l3.4 3L8 2.5 11.1 8l3.4-3-1.3 8.5H2.8z" /> },
            Icon::Check => html! {
                <path d="M2.5 8.5l3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
            },
            Icon::Open => {
                html! { <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="1.8" /> }
            }
        }
    }
}

/// An icon as inline SVG, hidden from assistive technology.
pub fn icon(icon: Icon) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="16" height="16" fill="currentColor" aria-hidden="true" focusable="false">
            { icon.shapes() }
        </svg>
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    /// The media-control symbols (U+23E9 to U+23FA: ⏩ ⏭ ⏮ ⏯ ⏸ ⏹ ⏺...) that Debian's Chromium draws as
    /// empty boxes: no page text or lesson may use them; an [`super::Icon`] draws them instead.
    fn missing_glyphs(text: &str) -> Vec<char> {
        text.chars()
            .filter(|c| ('\u{23E9}'..='\u{23FA}').contains(c))
            .collect()
    }

    fn files(dir: &std::path::Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_page_or_lesson_uses_a_glyph_the_fonts_lack() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(&root.join("src"), "rs", &mut paths);
        files(&root.join("lessons"), "md", &mut paths);
        let found: Vec<String> = paths
            .iter()
            .filter(|p| !p.ends_with("icons.rs"))
            .filter_map(|p| {
                let glyphs = missing_glyphs(&std::fs::read_to_string(p).unwrap());
                (!glyphs.is_empty()).then(|| format!("{}: {glyphs:?}", p.display()))
            })
            .collect();
        assert!(paths.len() > 50, "read the sources");
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(missing_glyphs("⏸ Pause"), ['⏸']);
    }
}
