//! A playground: every widget of a lab on one page.

use crate::pages::not_found::NotFound;
use crate::pages::use_share_param;
use crate::route::LABS;
use crate::widgets::{self, lab_provider::LabProvider};
use lab_core::lab::LabConfig;
use lab_core::lesson::WidgetKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    pub id: AttrValue,
}

#[component]
pub fn LabPage(props: &LabPageProps) -> Html {
    let share = use_share_param();
    let Some((_, title)) = LABS.iter().find(|(id, _)| *id == props.id.as_str()) else {
        return html! { <NotFound what={AttrValue::from(format!("There is no lab called \"{}\".", props.id))} /> };
    };
    let key = share.clone().unwrap_or_default();
    html! {
        <section class="page lab-page">
            <h1>{ *title }</h1>
            <p class="lead">{ "Sources emit events over logical time. Drive the clock, act on the sources, rewind, fork, and share what you see." }</p>
            <LabProvider key={key} config={LabConfig::default()} share={share}>
                <div class="lab-top">{ widgets::render(WidgetKind::TimeControls, None) }</div>
                <div class="lab-grid">
                    { widgets::render(WidgetKind::Stream, Some("Sources and their recent events")) }
                    { widgets::render(WidgetKind::Emitter, Some("Act on the sources")) }
                    { widgets::render(WidgetKind::EventsChart, Some("Events per tick")) }
                    { widgets::render(WidgetKind::Trace, Some("Event trace")) }
                    { widgets::render(WidgetKind::Journal, Some("Journal")) }
                    { widgets::render(WidgetKind::StateHash, Some("Determinism check")) }
                </div>
            </LabProvider>
        </section>
    }
}
