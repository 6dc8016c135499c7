//! What the differential tests against SciPy share: one oracle process per batch, and sample sizes.

use serde_json::Value as Json;
use sim::rng::Rng;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Runs every request in one oracle process (written from a thread so neither side blocks).
pub fn ask_oracle(python: &str, requests: &[Json]) -> Vec<Json> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/rollout_oracle.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("FLOWLAB_PYTHON={python} does not run: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let answers: Vec<Json> = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(&line.expect("oracle output")).expect("oracle prints JSON")
        })
        .collect();
    writer
        .join()
        .expect("writer thread")
        .expect("the oracle reads its input");
    let _ = child.wait();
    assert_eq!(
        answers.len(),
        requests.len(),
        "the rollout oracle stopped early (set FLOWLAB_PYTHON to a Python with \
         tests/oracles/requirements.txt installed; its error is above)"
    );
    answers
}

pub fn size(rng: &mut Rng, low: u64, high: u64) -> usize {
    (low + rng.below(high - low + 1)) as usize
}
