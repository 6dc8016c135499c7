//! The MapReduce form: a Hadoop streaming job as `hadoop jar hadoop-streaming.jar` takes it (see
//! Hadoop's streaming guide): an example to start from (word count, pv/uv), the Python program
//! that defines `map` (and `combine`, `reduce`), `mapreduce.job.reduces`, the combiner,
//! the partitioner (`HashPartitioner`, or `KeyFieldBasedPartitioner` with
//! `mapreduce.partition.keypartitioner.options` such as `-k1,2`),
//! `stream.num.map.output.key.fields`, and the input (a table's rows as tab-separated lines, or
//! the previous job's output to chain jobs).
//!
//! The editor keeps indentation: Tab inserts four spaces (Escape, then Tab, leaves the editor, so
//! the keyboard is never trapped). A program the lab refuses shows its line, the message and the
//! hint under the editor, and the text stays as typed.

use super::format::{error_line, without_line_prefix};
use super::{no_cluster_lab, try_send, Refusal};
use crate::widgets::experiments::setup::parse_whole;
use crate::widgets::form::{bind, bind_text};
use crate::widgets::hooks::{use_refusal, use_text_with};
use lab::cluster::mapreduce::{Partitioner, EXAMPLES};
use lab::cluster_lab::{ClusterCommand, ClusterLab, JobKind, MapReduceSpec};
use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// A change a select makes to the form, given the option picked.
type FormChange = fn(&mut Form, String);

/// What Tab inserts in the editor.
const INDENT: &str = "    ";
/// The input that names the previous MapReduce job's output.
const PREVIOUS: &str = "previous";

/// The form's fields, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub example: String,
    pub program: String,
    pub reducers: String,
    pub combiner: bool,
    /// "hash" or "keyfields".
    pub partitioner: String,
    pub options: String,
    pub key_fields: String,
    pub input: String,
}

/// An example's program text ("" for an unknown one).
fn example_program(name: &str) -> String {
    EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or_else(String::new, |(_, program)| program.to_string())
}

impl Form {
    /// An example with the settings its lesson starts from: word count over the documents with a
    /// combiner; pv/uv over the push log with three key fields partitioned on the first two.
    pub fn example(name: &str) -> Form {
        let pvuv = name == "pvuv";
        Form {
            example: name.to_string(),
            program: example_program(name),
            reducers: if pvuv { "4" } else { "2" }.into(),
            combiner: !pvuv,
            partitioner: if pvuv { "keyfields" } else { "hash" }.into(),
            options: "-k1,2".into(),
            key_fields: if pvuv { "3" } else { "1" }.into(),
            input: if pvuv { "push_events" } else { "docs" }.into(),
        }
    }

    /// The form as a job was run.
    pub fn of_spec(spec: &MapReduceSpec) -> Form {
        let (partitioner, options) = match &spec.partitioner {
            Partitioner::Hash => ("hash", "-k1,2".to_string()),
            Partitioner::KeyFields { options } => ("keyfields", options.clone()),
        };
        Form {
            example: spec.example.clone(),
            program: spec.program.clone(),
            reducers: spec.reducers.to_string(),
            combiner: spec.combiner,
            partitioner: partitioner.into(),
            options,
            key_fields: spec.key_fields.to_string(),
            input: spec.input.clone(),
        }
    }

    /// The job the form describes (the numbers parsed; the lab checks the rest).
    pub fn spec(&self) -> Result<MapReduceSpec, (String, String)> {
        let partitioner = if self.partitioner == "keyfields" {
            Partitioner::KeyFields {
                options: self.options.trim().to_string(),
            }
        } else {
            Partitioner::Hash
        };
        // An edited example is the learner's own program.
        let example = if self.example != "custom" && self.program == example_program(&self.example)
        {
            self.example.clone()
        } else {
            "custom".to_string()
        };
        Ok(MapReduceSpec {
            example,
            program: self.program.clone(),
            reducers: parse_whole(&self.reducers, "reducer count", (0, 16))? as u16,
            combiner: self.combiner,
            key_fields: parse_whole(&self.key_fields, "key field count", (1, 8))? as u8,
            partitioner,
            input: self.input.clone(),
        })
    }
}

/// The job as the lab would run it, tried first on a copy of the lab: the lab checks a job's
/// settings before journaling it but runs its program only when it applies it, so a program
/// that does not parse or fails on the input is refused here, with its line, and the text stays
/// in the editor.
fn tried(
    lab: Option<&ClusterLab>,
    spec: MapReduceSpec,
) -> Result<ClusterCommand, (String, String)> {
    let command = ClusterCommand::MapReduce(spec);
    if let Some(lab) = lab {
        lab.clone().apply(&command)?;
    }
    Ok(command)
}

/// The form a lab starts with: its last MapReduce job's, else word count.
fn first_form(lab: Option<&ClusterLab>) -> Form {
    lab.and_then(|lab| {
        lab.jobs().iter().rev().find_map(|job| match &job.kind {
            JobKind::MapReduce { spec, .. } => Some(Form::of_spec(spec)),
            JobKind::Sql { .. } => None,
        })
    })
    .unwrap_or_else(|| Form::example("wordcount"))
}

/// Inserts the indent at the caret (replacing a selection). Offsets are the browser's, in UTF-16
/// code units; returns the new text and caret.
pub fn indent_at(text: &str, start_utf16: u32, end_utf16: u32) -> (String, u32) {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (
        (start_utf16 as usize).min(units.len()),
        (end_utf16 as usize).min(units.len()),
    );
    let (start, end) = (start.min(end), start.max(end));
    let mut out: Vec<u16> = units[..start].to_vec();
    out.extend(INDENT.encode_utf16());
    out.extend_from_slice(&units[end..]);
    (
        String::from_utf16_lossy(&out),
        (start + INDENT.len()) as u32,
    )
}

/// A refused program: the line it points at (with its text), the message and the hint.
fn program_error(refusal: &Refusal, program: &str) -> Html {
    let Some((message, hint)) = refusal else {
        return html! {};
    };
    let line = error_line(message);
    let text = line.and_then(|l| program.lines().nth(l as usize - 1));
    html! {
        <div class="dx-program-error stream-refusal" role="alert" data-line={line.map(|l| l.to_string()).unwrap_or_default()}>
            if let Some(line) = line {
                <p class="dx-error-line"><strong>{ format!("Line {line}") }</strong>
                    if let Some(text) = text { <code class="dx-error-code">{ text.to_string() }</code> }
                </p>
            }
            <p><strong>{ if line.is_some() { without_line_prefix(message) } else { message.as_str() } }</strong></p>
            <p class="small">{ format!("Hint: {hint}") }</p>
        </div>
    }
}

#[component]
pub fn ClusterMapReduce() -> Html {
    let session = crate::widgets::use_lab();
    let form = use_state(|| first_form(session.view.cluster_lab()));
    let refusal = use_refusal();
    // Escape frees the next Tab to leave the editor.
    let tab_leaves = use_mut_ref(|| Cell::new(false));
    // One state per text field, bound to the form on change.
    let program = use_text_with(&|| form.program.clone());
    let reducers = use_text_with(&|| form.reducers.clone());
    let options = use_text_with(&|| form.options.clone());
    let key_fields = use_text_with(&|| form.key_fields.clone());
    // The form follows the lab's last MapReduce job when it changes another way (a lesson's
    // steps, a scrub, a share link), so it shows the job the plan and the timeline show.
    {
        let fields = (
            form.clone(),
            program.clone(),
            reducers.clone(),
            options.clone(),
            key_fields.clone(),
            refusal.clone(),
        );
        let last = session.view.cluster_lab().and_then(|lab| {
            lab.jobs()
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, job)| match &job.kind {
                    JobKind::MapReduce { spec, .. } => Some((i, spec.clone())),
                    JobKind::Sql { .. } => None,
                })
        });
        use_effect_with(last, move |last| {
            if let Some((_, spec)) = last {
                let next = Form::of_spec(spec);
                fields.1.set(next.program.clone());
                fields.2.set(next.reducers.clone());
                fields.3.set(next.options.clone());
                fields.4.set(next.key_fields.clone());
                fields.5.set(None);
                fields.0.set(next);
            }
        });
    }
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let current = Form {
        program: (*program).clone(),
        reducers: (*reducers).clone(),
        options: (*options).clone(),
        key_fields: (*key_fields).clone(),
        ..(*form).clone()
    };
    let set = |change: FormChange| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
        })
    };
    let on_example = {
        let (form, program, reducers, options, key_fields, refusal) = (
            form.clone(),
            program.clone(),
            reducers.clone(),
            options.clone(),
            key_fields.clone(),
            refusal.clone(),
        );
        Callback::from(move |e: Event| {
            let name = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if name == "custom" {
                form.set(Form {
                    example: name,
                    ..(*form).clone()
                });
                return;
            }
            let next = Form::example(&name);
            program.set(next.program.clone());
            reducers.set(next.reducers.clone());
            options.set(next.options.clone());
            key_fields.set(next.key_fields.clone());
            refusal.set(None);
            form.set(next);
        })
    };
    let on_combiner = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            form.set(Form {
                combiner: on,
                ..(*form).clone()
            });
        })
    };
    let on_key = {
        let (program, tab_leaves) = (program.clone(), tab_leaves.clone());
        Callback::from(move |e: KeyboardEvent| {
            let leaves = tab_leaves.borrow();
            match e.key().as_str() {
                "Escape" => leaves.set(true),
                "Tab" if !e.shift_key() && !e.ctrl_key() && !e.alt_key() && !leaves.get() => {
                    let Some(area) = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
                    else {
                        return;
                    };
                    e.prevent_default();
                    let start = area.selection_start().ok().flatten().unwrap_or(0);
                    let end = area.selection_end().ok().flatten().unwrap_or(start);
                    let (text, caret) = indent_at(&area.value(), start, end);
                    area.set_value(&text);
                    let _ = area.set_selection_range(caret, caret);
                    program.set(text);
                }
                _ => leaves.set(false),
            }
        })
    };
    let run = {
        let (session, refusal, current) = (session.clone(), refusal.clone(), current.clone());
        Callback::from(move |_: MouseEvent| {
            refusal.set(
                current
                    .spec()
                    .and_then(|spec| tried(session.view.cluster_lab(), spec))
                    .and_then(|command| try_send(&session, command))
                    .err(),
            )
        })
    };
    let has_previous = lab
        .jobs()
        .iter()
        .any(|j| matches!(j.kind, JobKind::MapReduce { .. }));
    let mut inputs: Vec<(String, String)> = lab
        .tables()
        .into_iter()
        .map(|(name, rows)| {
            let label = format!(
                "{name} ({} rows)",
                lab::sim::text::group_thousands(rows as u64)
            );
            (name, label)
        })
        .collect();
    if has_previous || current.input == PREVIOUS {
        inputs.push((PREVIOUS.into(), "the previous job's output".into()));
    }
    let keyfields = current.partitioner == "keyfields";
    html! {
        <div class="cluster-mapreduce">
            <div class="dx-mr-head inline-form">
                <label class="dx-inline-label">
                    <span class="small">{ "Example" }</span>
                    <select class="dx-mr-example" onchange={on_example} aria-label="Example job">
                        { for [("wordcount", "Word count"), ("pvuv", "PV/UV per event and source"), ("custom", "My own program")].iter().map(|(value, text)| html! {
                            <option value={*value} selected={current.example == *value}>{ *text }</option>
                        }) }
                    </select>
                </label>
                <label class="dx-inline-label">
                    <span class="small">{ "Input" }</span>
                    <select class="dx-mr-input" onchange={set(|f: &mut Form, v| f.input = v)} aria-label="Input">
                        { for inputs.iter().map(|(value, text)| html! {
                            <option value={value.clone()} selected={current.input == *value}>{ text.clone() }</option>
                        }) }
                    </select>
                </label>
            </div>
            <label class="dx-mr-program-label">
                <span class="small">{ "Program (Python: map, combine, reduce). Tab indents; Esc then Tab leaves the editor." }</span>
                <textarea class="dx-mr-program" rows="14" spellcheck="false" wrap="off"
                    aria-invalid={refusal.is_some().to_string()}
                    value={(*program).clone()} oninput={bind_text(&program)} onkeydown={on_key} />
            </label>
            { program_error(&refusal, &program) }
            <div class="dx-mr-settings">
                <label class="dx-field">
                    <span class="dx-field-label small">{ "Reducers" }</span>
                    <input class="dx-input dx-mr-reducers" inputmode="numeric" value={(*reducers).clone()} oninput={bind(&reducers)} />
                </label>
                <label class="dx-field">
                    <span class="dx-field-label small">{ "Key fields" }</span>
                    <input class="dx-input dx-mr-key-fields" inputmode="numeric" value={(*key_fields).clone()} oninput={bind(&key_fields)} />
                </label>
                <label class="dx-field">
                    <span class="dx-field-label small">{ "Partitioner" }</span>
                    <select class="dx-mr-partitioner" onchange={set(|f: &mut Form, v| f.partitioner = v)}>
                        <option value="hash" selected={!keyfields}>{ "HashPartitioner" }</option>
                        <option value="keyfields" selected={keyfields}>{ "KeyFieldBasedPartitioner" }</option>
                    </select>
                </label>
                <label class="dx-field">
                    <span class="dx-field-label small">{ "Partitioner options" }</span>
                    <input class="dx-input dx-mr-options" value={(*options).clone()} oninput={bind(&options)} disabled={!keyfields}
                        title="mapreduce.partition.keypartitioner.options, such as -k1,2" />
                </label>
                <label class="dx-check">
                    <input type="checkbox" class="dx-mr-combiner" checked={current.combiner} onchange={on_combiner} />
                    <span>{ "Combiner" }</span>
                </label>
            </div>
            <div class="inline-form">
                <button type="button" class="primary dx-mr-run" onclick={run}>{ "Run the job" }</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_inserts_four_spaces_at_the_caret_or_over_the_selection() {
        assert_eq!(
            indent_at("def map(line):\n", 15, 15),
            ("def map(line):\n    ".into(), 19)
        );
        assert_eq!(indent_at("ab", 1, 1), ("a    b".into(), 5));
        assert_eq!(indent_at("abcd", 1, 3), ("a    d".into(), 5));
        // The browser's offsets count UTF-16 units: "é" is one, "𝄞" two.
        assert_eq!(indent_at("é𝄞x", 3, 3), ("é𝄞    x".into(), 7));
        // Offsets past the end stay at the end.
        assert_eq!(indent_at("ab", 9, 9), ("ab    ".into(), 6));
    }

    #[test]
    fn the_form_reads_its_numbers_and_marks_an_edited_program_as_custom() {
        let mut form = Form::example("pvuv");
        let spec = form.spec().unwrap();
        assert_eq!(spec.reducers, 4);
        assert_eq!(spec.key_fields, 3);
        assert_eq!(
            spec.partitioner,
            Partitioner::KeyFields {
                options: "-k1,2".into()
            }
        );
        assert_eq!(spec.input, "push_events");
        assert_eq!(Form::of_spec(&spec), form);
        form.program.push_str("\n# mine\n");
        assert_eq!(form.spec().unwrap().example, "custom");
        form.reducers = "17".into();
        let (message, hint) = form.spec().unwrap_err();
        assert!(
            message.contains("reducer count") && hint.contains("0 and 16"),
            "{message} / {hint}"
        );
        let word_count = Form::example("wordcount").spec().unwrap();
        assert_eq!(word_count.partitioner, Partitioner::Hash);
        assert!(word_count.combiner);
    }
}
