//! `lab scenario run` on every file in `scenarios/`: each runs, prints its trace and summary, and
//! meets its goals; bad input is a one-line error with exit code 2.

use std::path::PathBuf;
use std::process::Command;

fn lab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lab"))
}

#[test]
fn every_example_scenario_runs_and_meets_its_goals() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    for file in files {
        let out = lab().args(["scenario", "run"]).arg(&file).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("## Summary"), "{stdout}");
        assert!(
            stdout.contains(": met") && !stdout.contains("not met"),
            "{}: {stdout}",
            file.display()
        );
        let again = lab().args(["scenario", "run"]).arg(&file).output().unwrap();
        assert_eq!(again.stdout, out.stdout, "a scenario is deterministic");
    }
}

#[test]
fn bad_scenarios_are_one_line_errors() {
    let dir = std::env::temp_dir().join(format!("lab-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let front = "---\nid: x\ntitle: X\ntrack: T\norder: 1\nsummary: S\npreset: broker\n---\n";
    for (path, needle) in [
        (write("no-steps.md", front), "no ```steps"),
        (
            write(
                "bad-step.md",
                &format!("{front}```steps\nproduce orders count=0x\n```\n"),
            ),
            "count must be",
        ),
        (
            write(
                "refused.md",
                &format!("{front}```steps\nproduce nope count=1\n```\n"),
            ),
            "step 1 was refused",
        ),
        (write("not-lesson.md", "hello"), "front matter"),
        (dir.join("missing.md"), "cannot read"),
    ] {
        let out = lab().args(["scenario", "run"]).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{}: {err}",
            path.display()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The failover scenarios' and the pipeline incidents' full traces are golden: any change to
/// replication, elections, truncation, or to the pipeline's causal chain (job, features, model
/// quality, canary) shows up as a diff against `scenarios/golden/NAME.trace`. Regenerate deliberately
/// with `UPDATE_GOLDEN=1 cargo test -p lab-cli --test scenarios`.
#[test]
fn failover_traces_match_their_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                (n.starts_with("failover-") || n.starts_with("pipeline-")) && n.ends_with(".md")
            })
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 9,
        "the worked example, four named failovers and four pipeline incidents"
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for file in files {
        let out = lab()
            .args(["scenario", "run", "--verbose"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", file.display());
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let golden = dir.join("golden").join(format!("{stem}.trace"));
        let trace = String::from_utf8(out.stdout).unwrap();
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &trace).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!("{} is missing; run with UPDATE_GOLDEN=1", golden.display())
        });
        if trace != expected {
            let first = trace
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(trace.lines().count().min(expected.lines().count()));
            panic!(
                "{stem}: the trace differs from {} at line {}:\n  now:    {}\n  golden: {}",
                golden.display(),
                first + 1,
                trace.lines().nth(first).unwrap_or("(end)"),
                expected.lines().nth(first).unwrap_or("(end)")
            );
        }
    }
}
