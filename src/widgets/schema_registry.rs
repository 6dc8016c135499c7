//! The Schema Registry beside the cluster: each subject's versions and global ids, its
//! compatibility level (a select that sends the change) and the version its consumers read with;
//! a schema editor whose text survives every error, with a dry-run "Check compatibility", a
//! Register button and an Avro producer; and the topic's records as wire bytes (magic byte,
//! schema id, Avro payload) beside the value the chosen reader schema decodes.

use crate::store::LabAction;
use crate::widgets::form::bind_text;
use crate::widgets::markup::header_row;
use lab::registry::avro::binary::hex;
use lab::registry::{CompatibilityVerdict, Level, Registry, RegistryCommand, Version};
use lab::schemas::{decode_topic, DecodedRecord};
use lab::state::Command;
use yew::prelude::*;

/// Records listed, newest last.
const RECORDS_SHOWN: usize = 12;

/// The topic whose values a subject describes (TopicNameStrategy), if it is a value subject.
fn topic_of(subject: &str) -> Option<&str> {
    subject.strip_suffix("-value")
}

/// The schema text of a subject's latest version, to start the editor from.
fn latest_text(registry: &Registry, subject: &str) -> String {
    registry
        .latest(subject)
        .and_then(|(_, id)| registry.schema(id).ok())
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn record_row(record: &DecodedRecord) -> Html {
    let bytes = record.bytes.as_deref().unwrap_or_default();
    let (magic, id, payload) = match bytes {
        [m, a, b, c, d, rest @ ..] => {
            (hex(&[*m], " "), hex(&[*a, *b, *c, *d], " "), hex(rest, " "))
        }
        other => (String::new(), String::new(), hex(other, " ")),
    };
    let decoded = match &record.decoded {
        Ok(value) => html! { <code class="registry-decoded">{ value.to_string() }</code> },
        Err(e) => html! { <span class="registry-error">{ e.clone() }</span> },
    };
    html! {
        <tr class="registry-record">
            <td data-label="offset">{ record.offset }</td>
            <td class="registry-bytes" data-label="bytes">
                <span class="wire-magic" title="magic byte">{ magic }</span>{ " " }
                <span class="wire-id" title="schema id, 4 bytes big-endian">{ id }</span>{ " " }
                <span class="wire-payload" title="Avro binary">{ payload }</span>
            </td>
            <td data-label="writer">
                { record.writer_id.map_or(String::new(), |id| format!("id {id}")) }
            </td>
            <td data-label="as the consumers read it">
                { decoded }
                if !record.defaults_filled.is_empty() {
                    <span class="registry-defaults small">{ format!(" defaults: {}", record.defaults_filled.join(", ")) }</span>
                }
            </td>
        </tr>
    }
}

#[component]
pub fn SchemaRegistry() -> Html {
    let session = super::use_lab();
    let lab = &session.view;
    let subject = use_state(|| "users-value".to_string());
    let schema = use_state(|| {
        lab.registry()
            .map(|r| latest_text(r, "users-value"))
            .unwrap_or_default()
    });
    let value = use_state(|| r#"{"id": 9, "name": "zoe", "email": null}"#.to_string());
    let verdict = use_state(|| None::<Result<CompatibilityVerdict, String>>);
    let Some(registry) = lab.registry() else {
        return html! { <p class="muted">{ "This lab has no Schema Registry." }</p> };
    };
    let dispatch = |command: Command| {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| session.dispatch(LabAction::Command(command.clone())))
    };
    let parse_error = registry.check_compatibility(&subject, &schema).err();
    let on_check = {
        let (verdict, subject, schema) = (verdict.clone(), subject.clone(), schema.clone());
        let registry = registry.clone();
        Callback::from(move |_: MouseEvent| {
            verdict.set(Some(
                registry
                    .check_compatibility(&subject, &schema)
                    .map_err(|e| e.to_string()),
            ))
        })
    };
    let register = dispatch(Command::Registry(RegistryCommand::Register {
        subject: (*subject).clone(),
        schema: (*schema).clone(),
    }));
    let topic = topic_of(&subject).map(str::to_string);
    let send = topic.clone().map(|topic| {
        dispatch(Command::ProduceAvro {
            producer: lab::broker::producer::ProducerId(1),
            topic,
            schema: (*schema).clone(),
            value: (*value).clone(),
        })
    });
    let subjects = registry.subjects().iter().map(|(name, s)| {
        let level = registry.level(name);
        let on_level = {
            let session = session.clone();
            let name = name.clone();
            Callback::from(move |e: Event| {
                let chosen = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                if let Some(level) = Level::parse(&chosen) {
                    session.dispatch(LabAction::Command(Command::Registry(
                        RegistryCommand::SetCompatibility { subject: name.clone(), level },
                    )));
                }
            })
        };
        let reader = lab.reader_version(name);
        let on_reader = {
            let session = session.clone();
            let name = name.clone();
            Callback::from(move |e: Event| {
                let chosen = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                let version = chosen.parse().ok().map(Version);
                session.dispatch(LabAction::Command(Command::ReadWith { subject: name.clone(), version }));
            })
        };
        let pick = {
            let (subject, schema, verdict) = (subject.clone(), schema.clone(), verdict.clone());
            let name = name.clone();
            let text = latest_text(registry, &name);
            Callback::from(move |_: MouseEvent| {
                subject.set(name.clone());
                schema.set(text.clone());
                verdict.set(None);
            })
        };
        let versions: Vec<String> = s
            .versions()
            .iter()
            .enumerate()
            .map(|(i, id)| format!("v{} = id {id}", i + 1))
            .collect();
        html! {
            <tr class={if *name == *subject { "registry-subject selected" } else { "registry-subject" }} data-subject={name.clone()}>
                <td><button class="link-button" onclick={pick}>{ name.clone() }</button></td>
                <td class="registry-versions" data-label="versions">{ versions.join(", ") }</td>
                <td data-label="compatibility">
                    <select class="registry-level" aria-label={format!("compatibility of {name}")} onchange={on_level}>
                        { for Level::all().map(|l| html! { <option value={l.name()} selected={l == level}>{ l.name() }</option> }) }
                    </select>
                    <div class="small muted">{ level.upgrade_order() }</div>
                </td>
                <td data-label="consumers read with">
                    <select class="registry-reader" aria-label={format!("reader schema of {name}")} onchange={on_reader}>
                        <option value="writer" selected={reader.is_none()}>{ "writer's schema" }</option>
                        { for (1..=s.versions().len() as u32).map(|v| html! { <option value={v.to_string()} selected={reader == Some(Version(v))}>{ format!("version {v}") }</option> }) }
                    </select>
                </td>
            </tr>
        }
    });
    let records: Vec<DecodedRecord> = topic
        .as_deref()
        .map(|t| decode_topic(lab, t))
        .unwrap_or_default();
    let skipped = records.len().saturating_sub(RECORDS_SHOWN);
    html! {
        <div class="schema-registry">
            <div class="table-scroll">
                <table class="members stack-table registry-subjects">
                    { header_row(&[("subject", "", None), ("versions", "", None), ("compatibility", "", None), ("consumers read with", "", None)]) }
                    <tbody>{ for subjects }</tbody>
                </table>
            </div>
            if let Some(message) = registry.last_refusal() {
                <div class="registry-refusal" role="status">
                    <strong>{ format!("409 Conflict ({} refused so far): ", registry.refused_registrations()) }</strong>
                    <span class="registry-refusal-message">{ message }</span>
                </div>
            }
            <label class="registry-editor-label" for="registry-schema">{ format!("Schema for {}", *subject) }</label>
            <textarea id="registry-schema" class="registry-schema" rows="6" spellcheck="false" value={(*schema).clone()} oninput={bind_text(&schema)} />
            if let Some(e) = &parse_error {
                <p class="registry-parse-error" role="alert">{ e.to_string() }<br /><span class="small">{ e.hint() }</span></p>
            }
            <p class="registry-actions">
                <button class="registry-check" onclick={on_check} disabled={parse_error.is_some()}>{ "Check compatibility" }</button>{ " " }
                <button class="primary registry-register" onclick={register} disabled={parse_error.is_some()}>{ "Register" }</button>
            </p>
            if let Some(v) = &*verdict {
                <div class="registry-verdict">
                    { match v {
                        Ok(v) if v.is_compatible => html! { <p>{ format!("{{\"is_compatible\": true}} under {}", registry.level(&subject)) }</p> },
                        Ok(v) => html! {
                            <>
                                <p>{ "{\"is_compatible\": false}" }</p>
                                <ul>{ for v.messages.iter().map(|m| html! { <li><code>{ m.clone() }</code></li> }) }</ul>
                            </>
                        },
                        Err(e) => html! { <p class="registry-error">{ e.clone() }</p> },
                    } }
                </div>
            }
            if let (Some(send), Some(topic)) = (send, &topic) {
                <label class="registry-editor-label" for="registry-value">{ format!("Value to send to {topic} (Avro JSON)") }</label>
                <textarea id="registry-value" class="registry-value" rows="2" spellcheck="false" value={(*value).clone()} oninput={bind_text(&value)} />
                <p><button class="registry-send" onclick={send} disabled={parse_error.is_some()}>{ "Serialize and send" }</button></p>
                <h4>{ format!("Records of {topic}") }</h4>
                if skipped > 0 { <p class="small muted">{ format!("{skipped} older records not shown") }</p> }
                <div class="table-scroll">
                    <table class="members stack-table registry-records">
                        { header_row(&[("offset", "", None), ("bytes: magic | id | Avro", "", None), ("writer", "", None), ("as the consumers read it", "", None)]) }
                        <tbody>{ for records.iter().skip(skipped).map(record_row) }</tbody>
                    </table>
                </div>
                if records.is_empty() { <p class="small muted">{ "No committed records yet (send one, then Play a few ticks)." }</p> }
            }
        </div>
    }
}
