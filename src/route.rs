//! Hash routes, so every page has its own URL on any static host (no server rewrites needed).

use yew_router::prelude::*;

/// Every page of the site.
#[derive(Clone, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/lessons")]
    Lessons,
    #[at("/lessons/:id")]
    Lesson { id: String },
    #[at("/labs/:id")]
    Lab { id: String },
    #[at("/bench")]
    Bench,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// The playgrounds, by URL id and title.
pub const LABS: &[(&str, &str)] = &[
    ("stream", "Event stream playground"),
    ("broker", "Kafka broker lab"),
];
