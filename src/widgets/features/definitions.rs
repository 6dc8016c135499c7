//! The feature repository and the request, as Feast's `feature_store.py` and a call to
//! `get_historical_features` would spell them: entities and their join keys, each feature view
//! (entities, TTL, source table, event and created columns, typed features) with an editable TTL,
//! the feature services as one-click requests, a checkbox per feature, the entity rows to build
//! the training set for, and the retrieval options: the join (point in time, or the naive
//! latest-value join that leaks the future), the created-time cutoff and full feature names.
//!
//! Every change is a feature-store command, checked before it is sent: a refusal (an unreadable
//! TTL, an empty request, a name collision) is shown where it was made, with its hint.

use super::send;
use crate::store::{LabAction, LabHandle};
use crate::widgets::form::{bind, bind_select, bind_text};
use lab::feature_lab::{format_duration, parse_ttl};
use lab::features::model::{FeatureRef, FeatureRepo, FeatureView};
use lab::features::store::command::{FeatureCommand, JoinKind};
use lab::features::store::FeatureStore;
use lab::state::Command;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A refused change: where it was made (a view's name, or "request"), what is wrong, the hint.
#[derive(Clone, Debug, PartialEq)]
struct Refusal {
    place: String,
    message: String,
    hint: String,
}

type RefusalState = UseStateHandle<Option<Refusal>>;

/// Sends `command` if the store accepts it; otherwise keeps the refusal for `place`. Whether it
/// was sent.
fn send_checked(
    session: &LabHandle,
    refusal: &RefusalState,
    place: &str,
    command: FeatureCommand,
) -> bool {
    let Some(store) = session.view.features() else {
        return false;
    };
    match store.validate(&command) {
        Ok(()) => {
            refusal.set(None);
            session.dispatch(LabAction::Command(Command::Features(command)));
            true
        }
        Err(e) => {
            refusal.set(Some(Refusal {
                place: place.to_string(),
                message: e.message,
                hint: e.hint,
            }));
            false
        }
    }
}

fn refusal_at(refusal: &RefusalState, place: &str) -> Html {
    match refusal.as_ref().filter(|r| r.place == place) {
        Some(r) => html! {
            <p class="fs-def-refusal" role="alert">
                <strong>{ capitalise(&r.message) }</strong>
                if !r.hint.is_empty() { <span class="fs-hint">{ format!(" Hint: {}.", r.hint.trim_end_matches('.')) }</span> }
            </p>
        },
        None => html! {},
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The entities and the entity rows to build the training set for.
fn entities_block(session: &LabHandle, store: &FeatureStore) -> Html {
    let repo = store.repo();
    let frames = store.frame_names().into_iter().filter_map(|name| {
        let frame = store.frame(name)?;
        let name = name.to_string();
        let chosen = name == store.entity_frame_name();
        let onclick = send(session, FeatureCommand::UseEntities { frame: name.clone() });
        Some(
        html! {
            <button class="fs-frame" data-frame={name.clone()} aria-pressed={chosen.to_string()} onclick={onclick}>
                { name.clone() }<span class="fs-count">{ format!("{} rows", lab::sim::text::group_thousands(frame.rows.len() as u64)) }</span>
            </button>
        })
    });
    html! {
        <div class="fs-block fs-entities">
            <h4>{ "Entities" }</h4>
            <ul class="fs-chips">
                { for repo.entities.iter().map(|e| html! {
                    <li class="fs-entity" title="an entity and its join key(s)">
                        <strong>{ e.name.clone() }</strong>{ " " }<code>{ e.join_keys.join(", ") }</code>
                    </li>
                }) }
            </ul>
            <h4>{ "Entity rows" }</h4>
            <div class="fs-buttons" role="group" aria-label="entity rows to build the training set for">{ for frames }</div>
            <PastedEntities />
        </div>
    }
}

/// An example of a feature view a learner can paste: the entity's join key, `event_timestamp`,
/// an optional `created`, then the features.
const VIEW_EXAMPLE: &str = "driver_id,event_timestamp,rating,tier\n1767,2024-03-01 05:00:00,4.5,gold\n1682,2024-03-01 06:00:00,3.9,silver";

/// A feature view of the learner's own, pasted as CSV: every column but the join key and the
/// times is a feature, typed from the values; it joins like the sample views.
#[component]
fn PastedView() -> Html {
    let session = super::super::use_lab();
    let name = use_state(|| "my_view".to_string());
    let entity = use_state(|| "driver".to_string());
    let ttl = use_state(|| "1d".to_string());
    let text = use_state(String::new);
    let error = use_state(|| None::<(String, String)>);
    let Some(store) = session.view.features() else {
        return html! {};
    };
    let on_add = {
        let (session, name, entity, ttl, text, error) = (
            session.clone(),
            name.clone(),
            entity.clone(),
            ttl.clone(),
            text.clone(),
            error.clone(),
        );
        Callback::from(move |_| {
            let Some(store) = session.view.features() else {
                return;
            };
            let added = lab::feature_lab::parse_ttl(&ttl)
                .map_err(|e| {
                    lab::features::model::FeatureError::new(e, "write 30m, 2h, 1d or none")
                })
                .and_then(|ttl| {
                    lab::feature_lab::view_from_csv(store, name.trim(), &entity, ttl, &text)
                });
            match added {
                Ok(command) => {
                    error.set(None);
                    session.dispatch(LabAction::Command(Command::Features(command)));
                }
                Err(e) => error.set(Some((e.message, e.hint))),
            }
        })
    };
    html! {
        <details class="fs-paste fs-paste-view">
            <summary>{ "Add a feature view of your own (CSV)" }</summary>
            <label class="fs-paste-name">{ "name " }<input type="text" class="fs-paste-view-name" value={(*name).clone()} oninput={bind(&name)} /></label>
            <label>{ " entity " }
                <select class="fs-paste-view-entity" onchange={bind_select(&entity)}>
                    { for store.repo().entities.iter().map(|e| html! { <option value={e.name.clone()} selected={e.name == *entity}>{ e.name.clone() }</option> }) }
                </select>
            </label>
            <label>{ " TTL " }<input type="text" class="fs-paste-view-ttl" size="5" value={(*ttl).clone()} oninput={bind(&ttl)} /></label>
            <textarea class="fs-paste-text fs-paste-view-text" rows="4" placeholder={VIEW_EXAMPLE} value={(*text).clone()} oninput={bind_text(&text)} />
            <button class="fs-paste-add fs-paste-view-add" onclick={on_add}>{ "Add the view" }</button>
            <p class="small muted">{ "The entity's join key, event_timestamp and optionally created; every other column is a feature, typed from its values. Then tick its features above." }</p>
            if let Some((message, hint)) = (*error).clone() {
                <p class="fs-def-refusal" role="alert"><strong>{ message }</strong><span class="fs-hint">{ format!(" Hint: {}.", hint.trim_end_matches('.')) }</span></p>
            }
        </details>
    }
}

/// An example of entity rows a learner can paste: join keys, `event_timestamp`, a label.
const PASTE_EXAMPLE: &str =
    "driver_id,event_timestamp,label\n1767,2024-03-05 10:00:00,1\n1682,2024-03-12 08:30:00,0";

/// Entity rows of the learner's own, pasted as CSV: read by the SQL engine's CSV reader, typed as
/// `lab features historical` types an entities file, added to the store and chosen.
#[component]
fn PastedEntities() -> Html {
    let session = super::super::use_lab();
    let name = use_state(|| "my_rows".to_string());
    let text = use_state(String::new);
    let error = use_state(|| None::<(String, String)>);
    let on_add = {
        let (session, name, text, error) =
            (session.clone(), name.clone(), text.clone(), error.clone());
        Callback::from(move |_| {
            let Some(store) = session.view.features() else {
                return;
            };
            let added = lab::feature_lab::entity_rows_from_csv(name.trim(), &text)
                .and_then(|command| store.validate(&command).map(|()| command));
            match added {
                Ok(command) => {
                    error.set(None);
                    session.dispatch(LabAction::Command(Command::Features(command)));
                    session.dispatch(LabAction::Command(Command::Features(
                        FeatureCommand::UseEntities {
                            frame: name.trim().to_string(),
                        },
                    )));
                }
                Err(e) => error.set(Some((e.message, e.hint))),
            }
        })
    };
    html! {
        <details class="fs-paste">
            <summary>{ "Paste your own entity rows (CSV)" }</summary>
            <label class="fs-paste-name">{ "name " }<input type="text" class="fs-paste-name-input" value={(*name).clone()} oninput={bind(&name)} /></label>
            <textarea class="fs-paste-text" rows="4" placeholder={PASTE_EXAMPLE} value={(*text).clone()} oninput={bind_text(&text)} />
            <button class="fs-paste-add" onclick={on_add}>{ "Use these rows" }</button>
            <p class="small muted">{ "A header line with the join keys (driver_id, customer_id, user_id) and event_timestamp; other columns are kept." }</p>
            if let Some((message, hint)) = (*error).clone() {
                <p class="fs-def-refusal" role="alert"><strong>{ message }</strong><span class="fs-hint">{ format!(" Hint: {}.", hint.trim_end_matches('.')) }</span></p>
            }
        </details>
    }
}

/// The join and the retrieval options.
fn options_block(session: &LabHandle, store: &FeatureStore) -> Html {
    let join = store.join();
    let options = store.options();
    let choose = |kind: JoinKind| {
        let session = session.clone();
        Callback::from(move |_: Event| {
            session.dispatch(LabAction::Command(Command::Features(
                FeatureCommand::SetJoin { join: kind },
            )))
        })
    };
    let toggle = |make: fn(bool) -> FeatureCommand| {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            session.dispatch(LabAction::Command(Command::Features(make(on))))
        })
    };
    html! {
        <div class="fs-block fs-options">
            <h4>{ "Join" }</h4>
            <fieldset class="fs-join">
                <legend class="visually-hidden">{ "How each entity row gets its features" }</legend>
                <label class="fs-radio">
                    <input type="radio" name="fs-join" value="point-in-time" checked={join == JoinKind::PointInTime} onchange={choose(JoinKind::PointInTime)} />
                    <span><strong>{ "Point-in-time" }</strong>{ " (Feast): the latest row at or before each entity row's time, within the TTL" }</span>
                </label>
                <label class="fs-radio fs-radio-leak">
                    <input type="radio" name="fs-join" value="latest-value" checked={join == JoinKind::LatestValue} onchange={choose(JoinKind::LatestValue)} />
                    <span><strong>{ "Naive latest value" }</strong>{ ": each key's newest row, whenever it happened " }<span class="badge badge-bad">{ "leaks the future" }</span></span>
                </label>
            </fieldset>
            <label class="fs-checkbox">
                <input type="checkbox" class="fs-cutoff" checked={options.created_cutoff} onchange={toggle(|on| FeatureCommand::SetCreatedCutoff { on })} />
                <span>{ "Created-time cutoff: skip rows written after the entity row's time" }</span>
            </label>
            <label class="fs-checkbox">
                <input type="checkbox" class="fs-full-names" checked={options.full_feature_names} onchange={toggle(|on| FeatureCommand::SetFullFeatureNames { on })} />
                <span>{ "Full feature names " }<code>{ "view__feature" }</code></span>
            </label>
        </div>
    }
}

/// The feature services, each a one-click request.
fn services_block(session: &LabHandle, store: &FeatureStore, refusal: &RefusalState) -> Html {
    let buttons = store.repo().services.iter().map(|service| {
        let chosen = service.features.as_slice() == store.requested();
        let onclick = {
            let (session, refusal) = (session.clone(), refusal.clone());
            let features = service.features.clone();
            Callback::from(move |_: MouseEvent| {
                send_checked(&session, &refusal, "request", FeatureCommand::Request { features: features.clone() });
            })
        };
        let title = service
            .features
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        html! {
            <button class="fs-service" data-service={service.name.clone()} aria-pressed={chosen.to_string()} title={title} onclick={onclick}>
                { service.name.clone() }<span class="fs-count">{ format!("{} features", service.features.len()) }</span>
            </button>
        }
    });
    html! {
        <div class="fs-block fs-services">
            <h4>{ "Request a feature service" }</h4>
            <div class="fs-buttons">{ for buttons }</div>
        </div>
    }
}

/// The request after ticking or unticking one feature: appended at the end, or removed.
fn toggled(requested: &[FeatureRef], feature: &FeatureRef, on: bool) -> Vec<FeatureRef> {
    let mut next: Vec<FeatureRef> = requested
        .iter()
        .filter(|f| *f != feature)
        .cloned()
        .collect();
    if on {
        next.push(feature.clone());
    }
    next
}

/// The TTL editor of one view: `2h`, `30m`, `1d` or `none`, sent on Enter or Set.
#[derive(Properties, PartialEq)]
struct TtlEditorProps {
    view: AttrValue,
    ttl: AttrValue,
    refusal: RefusalState,
}

#[component]
fn TtlEditor(props: &TtlEditorProps) -> Html {
    let session = super::super::use_lab();
    let text = use_state(|| props.ttl.to_string());
    {
        // A TTL changed elsewhere (a lesson's step, Reset) replaces what the box shows.
        let text = text.clone();
        use_effect_with(props.ttl.clone(), move |ttl| text.set(ttl.to_string()));
    }
    let oninput = bind(&text);
    let onsubmit = {
        let (session, text, refusal, view) = (
            session.clone(),
            text.clone(),
            props.refusal.clone(),
            props.view.to_string(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_ttl(&text) {
                Ok(ttl) => {
                    send_checked(&session, &refusal, &view, FeatureCommand::SetTtl { view: view.clone(), ttl });
                }
                Err(message) => refusal.set(Some(Refusal {
                    place: view.clone(),
                    message,
                    hint: "a TTL is a whole number of s, m, h or d (30m, 2h, 1d), or none for no limit".into(),
                })),
            }
        })
    };
    let invalid = props
        .refusal
        .as_ref()
        .is_some_and(|r| r.place == props.view.as_str());
    let id = format!("fs-ttl-{}", props.view);
    html! {
        <form class="fs-ttl" data-view={props.view.clone()} onsubmit={onsubmit}>
            <label for={id.clone()}>{ "TTL" }</label>
            <input id={id} class="fs-ttl-input" type="text" inputmode="text" size="5" spellcheck="false" autocomplete="off"
                value={(*text).clone()} oninput={oninput} aria-invalid={invalid.to_string()} />
            <button type="submit" class="small-button fs-ttl-set">{ "Set" }</button>
        </form>
    }
}

/// One view: its head (name, entities, TTL editor, how much of it is requested) and its details.
fn view_card(
    session: &LabHandle,
    store: &FeatureStore,
    repo: &FeatureRepo,
    view: &FeatureView,
    refusal: &RefusalState,
) -> Html {
    let requested = store.requested();
    let in_request = |feature: &str| {
        requested
            .iter()
            .any(|f| f.view == view.name && f.feature == feature)
    };
    let count = view.features.iter().filter(|f| in_request(&f.name)).count();
    let keys = repo.join_keys(view).unwrap_or_default();
    let ttl = view.ttl.map_or_else(|| "none".to_string(), format_duration);
    let features = view.features.iter().map(|feature| {
        let feature_ref = FeatureRef { view: view.name.clone(), feature: feature.name.clone() };
        let checked = in_request(&feature.name);
        let onchange = {
            let (session, refusal) = (session.clone(), refusal.clone());
            let feature_ref = feature_ref.clone();
            Callback::from(move |e: Event| {
                let input = e.target_unchecked_into::<HtmlInputElement>();
                let on = input.checked();
                let Some(requested) = session.view.features().map(|s| s.requested().to_vec()) else { return };
                let command = FeatureCommand::Request { features: toggled(&requested, &feature_ref, on) };
                if !send_checked(&session, &refusal, "request", command) {
                    // The request did not change: the box shows it again.
                    input.set_checked(!on);
                }
            })
        };
        html! {
            <li>
                <label class="fs-checkbox fs-feature">
                    <input type="checkbox" data-feature={feature_ref.to_string()} checked={checked} onchange={onchange} />
                    <code>{ feature.name.clone() }</code>
                    <span class="fs-dtype">{ feature.dtype.name() }</span>
                </label>
            </li>
        }
    });
    html! {
        <li class={if count > 0 { "fs-view requested" } else { "fs-view" }} data-view={view.name.clone()}>
            <div class="fs-view-head">
                <strong class="fs-view-name">{ view.name.clone() }</strong>
                <span class="fs-view-keys small muted">{ format!("by {}", keys.join(", ")) }</span>
            </div>
            <div class="fs-view-body">
                <TtlEditor view={AttrValue::from(view.name.clone())} ttl={AttrValue::from(ttl)} refusal={refusal.clone()} />
                <details class="fs-view-details">
                    <summary>{ format!("{count} of {} features", view.features.len()) }</summary>
                <dl class="fs-source">
                    <div><dt>{ "entities" }</dt><dd>{ view.entities.join(", ") }</dd></div>
                    <div><dt>{ "source table" }</dt><dd><code>{ view.source.table.clone() }</code></dd></div>
                    <div><dt>{ "event time" }</dt><dd><code>{ view.source.timestamp_field.clone() }</code></dd></div>
                    <div><dt>{ "created time" }</dt><dd>{
                        view.source.created_timestamp_column.as_ref().map_or_else(
                            || html! { <span class="muted">{ "none" }</span> },
                            |c| html! { <code>{ c.clone() }</code> },
                        )
                    }</dd></div>
                </dl>
                    <ul class="fs-features">{ for features }</ul>
                </details>
            </div>
            { refusal_at(refusal, &view.name) }
        </li>
    }
}

#[component]
pub fn FeatureDefinitions() -> Html {
    let session = super::super::use_lab();
    let refusal: RefusalState = use_state(|| None);
    let Some(store) = session.view.features() else {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    };
    let repo = store.repo();
    let frame_rows = store.current_frame().ok().map_or(0, |f| f.rows.len());
    html! {
        <div class="fs-defs">
            <div class="fs-defs-top">
                { entities_block(&session, store) }
                { options_block(&session, store) }
            </div>
            { services_block(&session, store, &refusal) }
            { refusal_at(&refusal, "request") }
            <h4 class="fs-views-title">{ "Feature views" }
                <span class="small muted">{ format!(" ({} features requested for {} entity rows)", store.requested().len(), lab::sim::text::group_thousands(frame_rows as u64)) }</span>
            </h4>
            <ul class="fs-view-list">{ for repo.views.iter().map(|view| view_card(&session, store, repo, view, &refusal)) }</ul>
            <PastedView />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(view: &str, feature: &str) -> FeatureRef {
        FeatureRef {
            view: view.into(),
            feature: feature.into(),
        }
    }

    #[test]
    fn ticking_appends_and_unticking_removes() {
        let start = vec![r("a", "x"), r("a", "y")];
        assert_eq!(
            toggled(&start, &r("b", "z"), true),
            vec![r("a", "x"), r("a", "y"), r("b", "z")]
        );
        assert_eq!(toggled(&start, &r("a", "x"), false), vec![r("a", "y")]);
        // Ticking what is already requested moves nothing twice.
        assert_eq!(toggled(&start, &r("a", "y"), true), start);
    }
}
