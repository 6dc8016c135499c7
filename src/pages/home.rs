//! The home page: what Flowlab is and where to start.

use crate::lessons::catalog;
use crate::route::{Route, LABS};
use yew::prelude::*;
use yew_router::prelude::*;

#[component]
pub fn Home() -> Html {
    let catalog = catalog();
    let first = catalog.lessons.first().map(|l| l.meta.id.clone());
    html! {
        <section class="page home">
            <div class="hero">
                <h1>{ "Learn data systems by running them" }</h1>
                <p class="lead">
                    { "Flowlab runs live simulations of data and ML systems right in your browser: no server, no install. \
                       Every lab is deterministic: a seed and a journal of your actions replay to exactly the same state, \
                       so you can rewind, fork history and share a link to what you saw." }
                </p>
                <p class="cta">
                    if let Some(id) = first {
                        <Link<Route> to={Route::Lesson { id }} classes="button primary">{ "Start the first lesson" }</Link<Route>>
                    }
                    { " " }
                    <Link<Route> to={Route::Lessons} classes="button">{ "All lessons" }</Link<Route>>
                </p>
            </div>
            <div class="cards">
                { for catalog.tracks().into_iter().map(|(track, lessons)| html! {
                    <article class="card">
                        <h2>{ track }</h2>
                        <p>{ format!("{} lesson{}", lessons.len(), if lessons.len() == 1 { "" } else { "s" }) }</p>
                        <ul>{ for lessons.iter().map(|l| html! {
                            <li><Link<Route> to={Route::Lesson { id: l.meta.id.clone() }}>{ &l.meta.title }</Link<Route>></li>
                        }) }</ul>
                    </article>
                }) }
                { for LABS.iter().map(|lab| html! {
                    <article class="card">
                        <h2>{ lab.card }</h2>
                        <p>{ lab.blurb }</p>
                        <p><Link<Route> to={Route::Lab { id: lab.id.to_string() }}>{ lab.title }</Link<Route>></p>
                    </article>
                }) }
            </div>
        </section>
    }
}
