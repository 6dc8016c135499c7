//! Rollout specs in YAML: Argo Rollouts' `Rollout`, `AnalysisTemplate` and
//! `ClusterAnalysisTemplate` (argoproj.io/v1alpha1) and Flagger's `Canary` and `MetricTemplate`
//! (flagger.app/v1beta1), several to a file separated by `---`.
//!
//! Reading goes in three passes: the file is split into documents (remembering where each starts),
//! each is deserialised by its `kind` into [`raw`] structs that refuse unknown fields, and
//! [`convert`] checks what YAML cannot (weights, durations, template names, arguments, conditions)
//! and fills in the projects' defaults. Every problem becomes a [`SpecError`] carrying its line, so
//! the page can draw it under the line; all problems are reported, not only the first.
//!
//! The YAML crate is serde_norway: of the three maintained serde YAML readers with line numbers in
//! their errors, measured in a tiny wasm32 cdylib (opt-level z, LTO, brotli), it was the smallest
//! (serde_norway 64.3 KB, serde_yaml_ng 64.4 KB, serde-saphyr 184.5 KB brotli-compressed).

mod convert;
#[cfg(test)]
mod differential;
mod duration;
mod locate;
pub mod model;
mod raw;
mod read;
mod templating;
mod yaml;

pub use duration::parse_go_duration;
pub use model::*;
pub use templating::{experiment_hash_names, run_spec, substitute_args, PodHashes};

use locate::DocText;

/// A problem in a spec, at a 1-based line and column of the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

/// Reads every document of `text`; either all of them are valid or every error found is returned.
pub fn parse_specs(text: &str) -> Result<SpecSet, Vec<SpecError>> {
    let documents = split_documents(text);
    let mut loaded = convert::Loaded::default();
    let mut errors = Vec::new();
    for doc in &documents {
        if let Err(error) = loaded.read(doc) {
            errors.push(error);
        }
    }
    if documents.is_empty() || loaded.is_empty() && errors.is_empty() {
        errors.push(SpecError {
            line: 1,
            column: 1,
            message: "the file holds no document".to_string(),
            hint: "start with `apiVersion: argoproj.io/v1alpha1` and `kind: Rollout`".to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    loaded.check()
}

/// TEMPORARY: `parse_specs` through serde_norway, for the differential test.
#[cfg(test)]
pub(crate) fn parse_specs_legacy(text: &str) -> Result<SpecSet, Vec<SpecError>> {
    let documents = split_documents(text);
    let mut loaded = convert::Loaded::default();
    let mut errors = Vec::new();
    for doc in &documents {
        if let Err(error) = loaded.read_legacy(doc) {
            errors.push(error);
        }
    }
    if documents.is_empty() || loaded.is_empty() && errors.is_empty() {
        errors.push(SpecError {
            line: 1,
            column: 1,
            message: "the file holds no document".to_string(),
            hint: "start with `apiVersion: argoproj.io/v1alpha1` and `kind: Rollout`".to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    loaded.check()
}

/// The file cut at `---` lines; blank or comment-only documents are dropped.
fn split_documents(text: &str) -> Vec<DocText<'_>> {
    let mut documents = Vec::new();
    let mut current = DocText {
        lines: Vec::new(),
        first_line: 1,
    };
    for (index, line) in text.lines().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            documents.push(std::mem::replace(
                &mut current,
                DocText {
                    lines: Vec::new(),
                    first_line: index + 2,
                },
            ));
        } else {
            current.lines.push(line);
        }
    }
    documents.push(current);
    documents.retain(|doc| {
        doc.lines.iter().any(|line| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
    });
    documents
}

/// A serde_norway error moved to the document's place in the file, its wording made the lab's.
fn yaml_error(doc: &DocText<'_>, error: &serde_norway::Error) -> SpecError {
    let (line, column) = error.location().map_or((doc.first_line, 1), |l| {
        (doc.first_line + l.line() - 1, l.column())
    });
    let full = error.to_string();
    let text = full.split(" at line ").next().unwrap_or(&full);
    let (path, detail) = match text.split_once(": ") {
        Some((path, detail)) if !path.contains(' ') => (Some(path), detail),
        _ => (None, text),
    };
    let place = path.map_or(String::new(), |p| format!(" (in {p})"));
    if let Some(rest) = detail.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let supported = expected
            .trim_start_matches(", expected ")
            .trim_start_matches("one of ")
            .replace('`', "");
        return SpecError {
            line,
            column,
            message: format!("field `{field}` is not supported by the lab{place}"),
            hint: format!("fields supported here: {supported}"),
        };
    }
    let hint = if detail.starts_with("missing field") {
        "add the field; the lab's example specs show every required field".to_string()
    } else if detail.starts_with("invalid type") {
        "check the value's type: a number, a string, a list (`- item`) or a mapping (`key: value`)"
            .to_string()
    } else {
        "check the YAML syntax: indentation with spaces, `key: value`, `- ` for list items"
            .to_string()
    };
    SpecError {
        line,
        column,
        message: format!("{detail}{place}"),
        hint,
    }
}
