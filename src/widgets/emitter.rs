//! Controls that issue commands: emit events by hand, change a source's chance per tick, add a
//! source. Input is checked at the field before anything is sent; the core checks again.

use crate::store::LabAction;
use crate::widgets::hooks::{use_message, use_text, use_text_with};
use lab::state::Command;
use lab::stream::{check_source_name, SourceId, CHANCE_PERMILLE_MAX, EMIT_COUNT_MAX};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Parses a chance typed as a percentage ("12.5") into permille, or says why not.
pub fn parse_chance_percent(text: &str) -> Result<u16, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| "type a number from 0 to 100".to_string())?;
    if !value.is_finite() || !(0.0..=100.0).contains(&value) {
        return Err("a chance is between 0% (never) and 100% (every tick)".into());
    }
    Ok(((value * 10.0).round() as u16).min(CHANCE_PERMILLE_MAX))
}

/// Parses an event count, or says why not.
pub fn parse_count(text: &str) -> Result<u16, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=i64::from(EMIT_COUNT_MAX)).contains(&n) => Ok(n as u16),
        Ok(_) => Err(format!(
            "emit between 1 and {EMIT_COUNT_MAX} events at a time"
        )),
        Err(_) => Err("type a whole number".into()),
    }
}

#[derive(Properties, PartialEq)]
struct SourceRowProps {
    source: SourceId,
    name: AttrValue,
    chance_permille: u16,
}

#[component]
fn SourceRow(props: &SourceRowProps) -> Html {
    let session = super::use_lab();
    let count = use_text("1");
    let chance = use_text_with(&|| format!("{:.1}", f64::from(props.chance_permille) / 10.0));
    let error = use_message();
    {
        // Follow the lab when the chance changes elsewhere (scrubbing, another widget).
        let chance = chance.clone();
        use_effect_with(props.chance_permille, move |permille| {
            chance.set(format!("{:.1}", f64::from(*permille) / 10.0))
        });
    }
    let source = props.source;
    let on_emit = {
        let (session, count, error) = (session.clone(), count.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_count(&count) {
                Ok(n) => {
                    error.set(None);
                    session.dispatch(LabAction::Command(Command::Emit { source, count: n }));
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let on_chance = {
        let (session, chance, error) = (session.clone(), chance.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_chance_percent(&chance) {
                Ok(permille) => {
                    error.set(None);
                    session.dispatch(LabAction::Command(Command::SetChance {
                        source,
                        chance_per_tick_permille: permille,
                    }));
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let bind = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let error_id = format!("emit-error-{}", source.0);
    html! {
        <div class="emitter-row">
            <span class="emitter-name"><span class={classes!("swatch", super::source_class(source))}></span>{ props.name.clone() }</span>
            <form class="inline-form" novalidate=true onsubmit={on_emit}>
                <input class="count-input" type="number" inputmode="numeric" min="1" max={EMIT_COUNT_MAX.to_string()} value={(*count).clone()} oninput={bind(&count)}
                    aria-label={format!("Events to emit from {}", props.name)} aria-invalid={error.is_some().to_string()} aria-describedby={error_id.clone()} />
                <button type="submit" class="emit-button">{ "Emit" }</button>
            </form>
            <form class="inline-form" novalidate=true onsubmit={on_chance}>
                <input class="chance-input" type="number" inputmode="decimal" step="0.1" min="0" max="100" value={(*chance).clone()} oninput={bind(&chance)}
                    aria-label={format!("Chance per tick for {}, in percent", props.name)} aria-invalid={error.is_some().to_string()} aria-describedby={error_id.clone()} />
                <span class="unit">{ "% per tick" }</span>
                <button type="submit">{ "Set" }</button>
            </form>
            <p id={error_id} class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
        </div>
    }
}

#[component]
pub fn Emitter() -> Html {
    let session = super::use_lab();
    let new_name = use_text("");
    let name_error = use_message();
    let on_add = {
        let (session, new_name, name_error) =
            (session.clone(), new_name.clone(), name_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = new_name.trim().to_string();
            match check_source_name(&name) {
                Ok(()) => {
                    name_error.set(None);
                    session.dispatch(LabAction::Command(Command::AddSource { name }));
                    new_name.set(String::new());
                }
                Err(why) => name_error.set(Some(format!("{why}."))),
            }
        })
    };
    let on_name = {
        let new_name = new_name.clone();
        Callback::from(move |e: InputEvent| {
            new_name.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    html! {
        <div class="emitter">
            { for session.view.stream().sources().iter().map(|s| html! {
                <SourceRow key={s.id.0} source={s.id} name={AttrValue::from(s.name.clone())} chance_permille={s.chance_per_tick_permille} />
            }) }
            <form class="inline-form add-source" novalidate=true onsubmit={on_add}>
                <label for="new-source-name">{ "New source" }</label>
                <input id="new-source-name" type="text" placeholder="e.g. sensor-2" value={(*new_name).clone()} oninput={on_name}
                    aria-invalid={name_error.is_some().to_string()} aria-describedby="new-source-error" />
                <button type="submit">{ "Add source" }</button>
                <p id="new-source-error" class="field-error" role="alert">{ (*name_error).clone().unwrap_or_default() }</p>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_parsing_refuses_absurd_values() {
        assert_eq!(parse_chance_percent("12.5"), Ok(125));
        assert_eq!(parse_chance_percent("100"), Ok(1000));
        assert!(parse_chance_percent("-1").is_err());
        assert!(parse_chance_percent("101").is_err());
        assert!(parse_chance_percent("NaN").is_err());
        assert!(parse_chance_percent("abc").is_err());
        assert_eq!(parse_count("3"), Ok(3));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-5").is_err());
        assert!(parse_count("1e9").is_err());
        assert!(parse_count("100000000000000000000").is_err());
    }
}
