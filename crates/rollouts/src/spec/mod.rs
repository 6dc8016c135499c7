//! Rollout specs in YAML: Argo Rollouts' `Rollout`, `AnalysisTemplate` and
//! `ClusterAnalysisTemplate` (argoproj.io/v1alpha1) and Flagger's `Canary` and `MetricTemplate`
//! (flagger.app/v1beta1), several to a file separated by `---`.
//!
//! Reading goes in three passes: the file is split into documents (remembering where each starts),
//! each is parsed into a tree of positioned nodes ([`yaml`]) and read by its `kind` into [`raw`]
//! structs that refuse unknown fields ([`read`]), and [`convert`] checks what YAML cannot
//! (weights, durations, template names, arguments, conditions) and fills in the projects'
//! defaults. Every problem becomes a [`SpecError`] carrying its line, so the page can draw it
//! under the line; all problems are reported, not only the first.
//!
//! The YAML parser is saphyr-parser (YAML 1.2, the maintained successor of yaml-rust2) and the
//! readers are the lab's own, for size: serde_norway with serde-derived structs took about 208 KB
//! of the release WASM (its libyaml port about 58 KB, serde's generated visitors for the raw
//! structs about 150 KB), while saphyr-parser alone measures 27.5 KiB brotli-compressed in a tiny
//! wasm32 cdylib (opt-level z, LTO); with this change the app's release WASM went from 1,615.9 to
//! 1,597.1 KiB brotli-compressed. The readers keep serde_norway's semantics and error wording,
//! checked against it on the example specs and 10,740 mutations of them before it was removed.

mod convert;
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
