//! Embeds every `lessons/*.md` into the app, so lessons are data files that ship inside the wasm
//! bundle (no fetch, works on any static host) and adding a lesson needs no code change. Does the
//! same for the replication lab's presets, `scenarios/failover-*.md`.
//!
//! Each file is embedded with its Markdown already rendered to HTML (`prose::prerender_lesson`:
//! the prose between blocks, and a prediction's question and explanation), so the app needs no
//! Markdown parser: pulldown-cmark runs here, on the build machine, instead of in every
//! learner's browser (the release bundle measured 51.0 KiB of brotli smaller).

use std::fmt::Write as _;
use std::path::Path;

/// A Rust constant `name` listing (file name, text) for the `.md` files of `folder` whose names
/// start with `prefix`, sorted by file name; each text is the file pre-rendered into `out_dir`.
fn embed(out_dir: &str, folder: &str, prefix: &str, name: &str, doc: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{folder}/ is readable: {e}"))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    let mut out = format!("/// {doc}\npub const {name}: &[(&str, &str)] = &[\n");
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        let source = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{} is readable: {e}", file.display()));
        let rendered = Path::new(out_dir).join(format!("{name}-{file_name}"));
        std::fs::write(&rendered, prose::prerender_lesson(&source))
            .unwrap_or_else(|e| panic!("write {}: {e}", rendered.display()));
        writeln!(
            out,
            "    ({file_name:?}, include_str!({:?})),",
            rendered.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    out
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let lessons = embed(
        &out_dir,
        "lessons",
        "",
        "LESSON_SOURCES",
        "(file name, text with its prose rendered to HTML) of every lesson, sorted by file name.",
    );
    std::fs::write(Path::new(&out_dir).join("lessons.rs"), lessons)
        .expect("write generated lesson list");
    let presets = embed(
        &out_dir,
        "scenarios",
        "failover-",
        "PRESET_SOURCES",
        "(file name, text with its prose rendered to HTML) of every `scenarios/failover-*.md`, sorted by file name.",
    );
    std::fs::write(Path::new(&out_dir).join("presets.rs"), presets)
        .expect("write generated preset list");
}
