//! The one redraw policy for canvas charts in labs: draw the state on screen into a canvas sized
//! to the screen, on every change while paused and every few changes while playing (a canvas
//! redraw costs more than the rest of a frame), and again when the theme changes.

use crate::charts::{self, Palette};
use crate::theme::Theme;
use crate::widgets::hooks::use_message;
use lab::state::Lab;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Draws with `draw(canvas, state, palette, scale)` and returns the last drawing error, if any.
#[hook]
pub fn use_chart_canvas(
    canvas: NodeRef,
    draw: fn(HtmlCanvasElement, &Lab, Palette, f64) -> Result<(), String>,
) -> Option<String> {
    use_chart_canvas_with(canvas, (), draw)
}

/// [`use_chart_canvas`] for a drawing that also depends on the widget's own `setting` (an alert
/// threshold): it redraws when the setting changes too.
#[hook]
pub fn use_chart_canvas_with<S, D>(canvas: NodeRef, setting: S, draw: D) -> Option<String>
where
    S: PartialEq + Clone + 'static,
    D: Fn(HtmlCanvasElement, &Lab, Palette, f64) -> Result<(), String> + 'static,
{
    let session = super::use_lab();
    let error = use_message();
    let theme = use_context::<UseStateHandle<Theme>>().map_or(Theme::Light, |t| *t);
    let refresh = session.refresh_key(charts::REFRESH_EVERY_WHILE_PLAYING);
    let view: Rc<Lab> = session.view.clone();
    {
        let error = error.clone();
        use_effect_with((refresh, theme, setting), move |(_, theme, _)| {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                let scale = charts::fit_to_screen(&element, 0.32, (170.0, 260.0));
                error.set(draw(element, &view, charts::palette(*theme), scale).err());
            }
        });
    }
    (*error).clone()
}

/// Draws `input` with `draw(canvas, input, palette, scale)` when `input` or the theme changes,
/// and only then: for a chart computed from a small input that stays the same while the lab
/// plays (redrawing it every few changes would cost frames for nothing).
#[hook]
pub fn use_chart_canvas_of<I, D>(canvas: NodeRef, input: I, draw: D) -> Option<String>
where
    I: PartialEq + 'static,
    D: Fn(HtmlCanvasElement, &I, Palette, f64) -> Result<(), String> + 'static,
{
    let error = use_message();
    let theme = use_context::<UseStateHandle<Theme>>().map_or(Theme::Light, |t| *t);
    {
        let error = error.clone();
        use_effect_with((input, theme), move |(input, theme)| {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                let scale = charts::fit_to_screen(&element, 0.32, (170.0, 260.0));
                error.set(draw(element, input, charts::palette(*theme), scale).err());
            }
        });
    }
    (*error).clone()
}
