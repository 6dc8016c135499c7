//! The root component: router, header with navigation and theme switch, progress store, pages.

#[cfg(feature = "bench-page")]
use crate::pages::bench::BenchPage;
#[cfg(not(feature = "bench-page"))]
use crate::pages::bench_note::BenchNote as BenchPage;
use crate::pages::{
    home::Home, lab::LabPage, lesson::LessonPage, lesson_index::LessonIndex, not_found::NotFound,
};
use crate::progress::{self, ProgressHandle};
use crate::route::Route;
use crate::theme::{self, Theme};
use yew::prelude::*;
use yew_router::prelude::*;

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Lessons => html! { <LessonIndex /> },
        Route::Lesson { id } => html! { <LessonPage id={AttrValue::from(id)} /> },
        Route::Lab { id } => html! { <LabPage id={AttrValue::from(id)} /> },
        Route::Bench => html! { <BenchPage /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[component]
fn Header() -> Html {
    let theme = use_context::<UseStateHandle<Theme>>().expect("the app provides the theme");
    let route = use_route::<Route>();
    let current = |is: fn(&Route) -> bool| route.as_ref().is_some_and(is).then_some("page");
    let toggle = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| {
            let next = theme.other();
            theme::apply(next);
            theme.set(next);
        })
    };
    html! {
        <header class="site-header">
            <a class="skip-link" href="#main" onclick={Callback::from(|e: MouseEvent| {
                e.prevent_default();
                crate::focus::focus("#main", false);
            })}>{ "Skip to content" }</a>
            <Link<Route> to={Route::Home} classes="brand"><img src="favicon.svg" alt="" />{ "Flowlab" }</Link<Route>>
            <nav aria-label="Main">
                <Link<Route> to={Route::Lessons} classes={classes!(current(|r| matches!(r, Route::Lessons | Route::Lesson { .. })).map(|_| "active"))}>{ "Lessons" }</Link<Route>>
                <Link<Route> to={Route::Lab { id: "stream".into() }} classes={classes!(current(|r| matches!(r, Route::Lab { id } if id == "stream")).map(|_| "active"))}>{ "Playground" }</Link<Route>>
                <Link<Route> to={Route::Lab { id: "broker".into() }} classes={classes!(current(|r| matches!(r, Route::Lab { id } if id == "broker")).map(|_| "active"))}>{ "Kafka lab" }</Link<Route>>
                <Link<Route> to={Route::Lab { id: "replication".into() }} classes={classes!(current(|r| matches!(r, Route::Lab { id } if id == "replication")).map(|_| "active"))}>{ "Replication" }</Link<Route>>
                <Link<Route> to={Route::Lab { id: "sql".into() }} classes={classes!(current(|r| matches!(r, Route::Lab { id } if id == "sql")).map(|_| "active"))}>{ "SQL" }</Link<Route>>
                if cfg!(feature = "bench-page") {
                    <Link<Route> to={Route::Bench} classes={classes!(current(|r| matches!(r, Route::Bench)).map(|_| "active"))}>{ "Benchmarks" }</Link<Route>>
                }
            </nav>
            <button class="ghost theme-toggle" onclick={toggle} aria-label={format!("Switch to {} theme", theme.other().name())}>
                { if *theme == Theme::Dark { "☀ Light" } else { "☾ Dark" } }
            </button>
        </header>
    }
}

/// Every route change starts the new page at its top with its heading focused, as a full page
/// load would: without this, "Next lesson" lands at the bottom of the next lesson, and a screen
/// reader stays on a link that is gone. The first render (a page opened by its URL) is left alone.
#[component]
fn RouteFocus() -> Html {
    let route = use_route::<Route>();
    let first = use_mut_ref(|| true);
    use_effect_with(route, move |_| {
        if std::mem::replace(&mut *first.borrow_mut(), false) {
            return;
        }
        // After the new page is in the DOM: the switch renders in the same pass as this effect.
        gloo_timers::callback::Timeout::new(0, focus_page_heading).forget();
    });
    html! {}
}

fn focus_page_heading() {
    if let Some(window) = web_sys::window() {
        window.scroll_to_with_x_and_y(0.0, 0.0);
    }
    crate::focus::focus("main h1", true);
}

#[component]
pub fn App() -> Html {
    let progress: ProgressHandle = use_reducer(progress::load);
    let theme = use_state(theme::current);
    html! {
        <HashRouter>
            <ContextProvider<UseStateHandle<Theme>> context={theme}>
                <ContextProvider<ProgressHandle> context={progress}>
                    <Header />
                    <RouteFocus />
                    <main id="main" tabindex="-1">
                        <Switch<Route> render={switch} />
                    </main>
                    <footer class="site-footer">
                        <p>{ "Flowlab runs entirely in your browser. Every lab is a deterministic simulation: same seed, same commands, same state." }</p>
                    </footer>
                </ContextProvider<ProgressHandle>>
            </ContextProvider<UseStateHandle<Theme>>>
        </HashRouter>
    }
}
