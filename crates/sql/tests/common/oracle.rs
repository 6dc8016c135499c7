//! The SQL oracle process (`tests/oracles/sql_oracle.py`: DuckDB and SQLite), shared by the
//! differential tests: one process kept across batches (a test that shrinks a mismatch asks it
//! again), run by the shared runner of `tests/oracles/runner.rs`.

// The SQL tests keep one process across batches: the runner's one-batch `ask_oracle` is unused.
#[allow(dead_code)]
#[path = "../../../../tests/oracles/runner.rs"]
mod runner;

use serde_json::Value as Json;

pub struct Oracle(runner::Oracle);

impl Oracle {
    /// Starts the oracle with `python` (scripts/test.sh points FLOWLAB_PYTHON at a virtual
    /// environment holding the oracles).
    pub fn start(python: &str) -> Oracle {
        Oracle(runner::Oracle::start(
            python,
            env!("CARGO_MANIFEST_DIR"),
            "sql_oracle.py",
            "SQL",
        ))
    }

    /// Sends every request at once and reads one answer per request.
    pub fn batch(&mut self, requests: &[Json]) -> Vec<Json> {
        self.0.batch(requests)
    }
}
