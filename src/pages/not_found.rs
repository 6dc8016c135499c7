//! The page for any URL that is not a route, lesson or lab.

use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NotFoundProps {
    #[prop_or_default]
    pub what: Option<AttrValue>,
}

#[component]
pub fn NotFound(props: &NotFoundProps) -> Html {
    html! {
        <section class="page not-found">
            <h1>{ "Page not found" }</h1>
            <p>{ props.what.clone().unwrap_or_else(|| AttrValue::from("There is nothing at this address.")) }</p>
            <p>
                <Link<Route> to={Route::Lessons} classes="button primary">{ "See all lessons" }</Link<Route>>
                { " " }
                <Link<Route> to={Route::Home} classes="button">{ "Home" }</Link<Route>>
            </p>
        </section>
    }
}
