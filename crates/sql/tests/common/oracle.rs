//! The SQL oracle process (`tests/oracles/sql_oracle.py`: DuckDB and SQLite), shared by the
//! differential tests: one process, every request written at once from a thread (so neither side
//! blocks on a full pipe), then every answer read, one JSON line each.

use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

pub struct Oracle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    /// Starts the oracle with `python` (scripts/test.sh points FLOWLAB_PYTHON at a virtual
    /// environment holding the oracles).
    pub fn start(python: &str) -> Oracle {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/sql_oracle.py");
        let mut child = Command::new(python)
            .arg(&script)
            .env("PYTHONHASHSEED", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("FLOWLAB_PYTHON={python} does not run: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Oracle {
            child,
            stdin,
            stdout,
        }
    }

    fn read_answer(&mut self) -> Json {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("oracle output");
        assert!(
            n > 0,
            "the SQL oracle stopped (run scripts/test.sh, or set FLOWLAB_PYTHON to a Python with \
             tests/oracles/requirements.txt installed; its error is above)"
        );
        serde_json::from_str(&line).expect("oracle prints JSON")
    }

    /// Sends every request at once (from a thread, so neither side blocks) and reads the answers.
    pub fn batch(&mut self, requests: &[Json]) -> Vec<Json> {
        let mut input = String::new();
        for r in requests {
            input.push_str(&r.to_string());
            input.push('\n');
        }
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
}

impl Drop for Oracle {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}
