//! Runs a Python oracle of `tests/oracles/` over batches of JSON requests: one request a line in
//! and one answer a line out, each batch written from a thread so neither side blocks on a full
//! pipe. Shared by the crates' differential tests, each including it with
//! `#[path = ".../tests/oracles/runner.rs"] mod runner;`: most ask one batch of one process
//! ([`ask_oracle`]); the SQL tests keep one [`Oracle`] process across batches.

use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A running oracle script.
pub struct Oracle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The oracle's name in messages ("SQL", "gbstats").
    what: String,
    python: String,
}

impl Oracle {
    /// Starts `tests/oracles/<script>` with `python` (the calling crate's manifest directory is
    /// `crates/<name>`); `what` names the oracle in messages.
    pub fn start(python: &str, manifest_dir: &str, script: &str, what: &str) -> Oracle {
        let script = Path::new(manifest_dir)
            .join("../../tests/oracles")
            .join(script);
        let mut child = Command::new(python)
            .arg(&script)
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("the {what} oracle's Python {python} does not run: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Oracle {
            child,
            stdin,
            stdout,
            what: what.to_string(),
            python: python.to_string(),
        }
    }

    /// What to tell the reader when the oracle stops: its error went to stderr, above.
    fn stopped(&self, how: &str) -> String {
        format!(
            "the {} oracle {how} (is {} a Python with the packages of tests/oracles/*requirements.txt \
             installed? scripts/test.sh makes one; its error is above)",
            self.what, self.python
        )
    }

    fn read_answer(&mut self) -> Json {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("oracle output");
        assert!(n > 0, "{}", self.stopped("stopped early"));
        serde_json::from_str(&line).expect("oracle prints JSON")
    }

    /// Sends every request at once (from a thread, so neither side blocks) and reads one answer
    /// per request.
    pub fn batch(&mut self, requests: &[Json]) -> Vec<Json> {
        let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
        let mut stdin = self.stdin.take().expect("oracle stdin");
        let writer = std::thread::spawn(move || {
            let result = stdin
                .write_all(input.as_bytes())
                .and_then(|_| stdin.flush());
            (stdin, result)
        });
        let answers: Vec<Json> = (0..requests.len()).map(|_| self.read_answer()).collect();
        let (stdin, result) = writer.join().expect("writer thread");
        result.expect("the oracle reads its input");
        self.stdin = Some(stdin);
        answers
    }

    /// Closes the oracle's input and checks that it printed nothing more and exited cleanly.
    pub fn finish(mut self) {
        self.stdin.take();
        let mut rest = String::new();
        self.stdout
            .read_to_string(&mut rest)
            .expect("oracle output");
        assert!(
            rest.trim().is_empty(),
            "{}",
            self.stopped("printed more answers than requests")
        );
        let status = self.child.wait().expect("the oracle exits");
        assert!(status.success(), "{}", self.stopped("failed"));
    }
}

impl Drop for Oracle {
    /// Closes the input and waits; after a failed check the oracle may be blocked writing answers
    /// nobody reads, so it is killed first.
    fn drop(&mut self) {
        self.stdin.take();
        if std::thread::panicking() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs `tests/oracles/<script>` with `python` over `requests` in one process: one answer per
/// request, and the process must then exit cleanly.
pub fn ask_oracle(
    python: &str,
    manifest_dir: &str,
    script: &str,
    what: &str,
    requests: &[Json],
) -> Vec<Json> {
    let mut oracle = Oracle::start(python, manifest_dir, script, what);
    let answers = oracle.batch(requests);
    oracle.finish();
    answers
}
