//! Runs every sqllogictest file under `tests/slt/` (repository root) against the SQL engine, with
//! the `sqllogictest` crate (the format of SQLite's sqllogictest; see docs/testing.md). Each file gets a fresh session; every record runs
//! (a failure does not stop the file) and all failures are listed at the end.
//!
//! The files are hand-written per feature, plus curated records from the SQLite and DuckDB
//! corpora (attributed in each file). Their expected results come from real engines, never from
//! ours: `tests/oracles/slt_expected.py` fills them in from DuckDB 2.0.0, or from SQLite where a
//! record says `# oracle: sqlite` (integer division, for one).
//!
//! Value formatting follows the sqllogictest conventions: integers `%d`, doubles `%.3f`, `NULL`,
//! `(empty)` for the empty string, booleans `true`/`false` (as in DuckDB's corpus), dates and
//! timestamps as ISO text. Column types are checked: `I` BIGINT, `R` DOUBLE, `T` TEXT,
//! `B` BOOLEAN, `D` DATE, `P` TIMESTAMP, `?` anything (intervals, a bare NULL). The engine's name
//! is `flowlab`, so `skipif flowlab` marks a record for a known engine bug (with a comment).
//!
//! `FLOWLAB_SLT=name` runs only the files whose name contains `name`.

use sql::{DataType, Outcome, Session, Value};
use sqllogictest::{ColumnType, DBOutput, Runner};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

/// A column type letter.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Col {
    Integer,
    Real,
    Text,
    Boolean,
    Date,
    Timestamp,
    Any,
}

impl ColumnType for Col {
    fn from_char(value: char) -> Option<Self> {
        Some(match value {
            'I' => Col::Integer,
            'R' => Col::Real,
            'T' => Col::Text,
            'B' => Col::Boolean,
            'D' => Col::Date,
            'P' => Col::Timestamp,
            _ => Col::Any,
        })
    }

    fn to_char(&self) -> char {
        match self {
            Col::Integer => 'I',
            Col::Real => 'R',
            Col::Text => 'T',
            Col::Boolean => 'B',
            Col::Date => 'D',
            Col::Timestamp => 'P',
            Col::Any => '?',
        }
    }
}

fn col(t: DataType) -> Col {
    match t {
        DataType::BigInt => Col::Integer,
        DataType::Double => Col::Real,
        DataType::Text => Col::Text,
        DataType::Boolean => Col::Boolean,
        DataType::Date => Col::Date,
        DataType::Timestamp => Col::Timestamp,
        DataType::Interval | DataType::Null => Col::Any,
    }
}

/// A value as sqllogictest prints it.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Boolean(b) => b.to_string(),
        Value::BigInt(i) => i.to_string(),
        Value::Double(d) => format!("{d:.3}"),
        Value::Text(s) if s.is_empty() => "(empty)".into(),
        other => other.to_string(),
    }
}

/// Column types must match, except where the file says `?`. (The runner's validator type takes
/// `&Vec`.)
#[allow(clippy::ptr_arg)]
fn column_validator(actual: &Vec<Col>, expected: &Vec<Col>) -> bool {
    actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(a, e)| *e == Col::Any || a == e)
}

#[derive(Debug)]
struct EngineError(String);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EngineError {}

type Answer = Result<DBOutput<Col>, EngineError>;

/// Runs one statement in the session.
fn answer(session: &mut Session, sql: &str) -> Answer {
    let out = session.execute(sql).map_err(|e| {
        EngineError(match &e.hint {
            Some(h) => format!("{e} (hint: {h})"),
            None => e.to_string(),
        })
    })?;
    Ok(match out.into_iter().last() {
        Some(Outcome::Rows(r)) => DBOutput::Rows {
            types: r.table.fields.iter().map(|f| col(f.data_type)).collect(),
            rows: r
                .table
                .to_rows()
                .iter()
                .map(|row| row.iter().map(cell).collect())
                .collect(),
        },
        Some(Outcome::Explain(plan)) => DBOutput::Rows {
            types: vec![Col::Text],
            rows: plan.lines().map(|l| vec![l.to_string()]).collect(),
        },
        Some(Outcome::Done(_)) | None => DBOutput::StatementComplete(0),
    })
}

/// The engine behind the runner. A `Session` is not `Send` (its tables are shared with `Rc`) and
/// the runner wants a `Send` database, so the session lives on its own thread and statements
/// travel over channels.
struct Engine {
    requests: mpsc::Sender<String>,
    answers: mpsc::Receiver<Answer>,
}

impl Engine {
    fn start() -> Engine {
        let (requests, inbox) = mpsc::channel::<String>();
        let (outbox, answers) = mpsc::channel();
        std::thread::Builder::new()
            // Debug builds use large frames; deep queries are another test's business.
            .stack_size(64 << 20)
            .spawn(move || {
                let mut session = Session::new();
                for sql in inbox {
                    if outbox.send(answer(&mut session, &sql)).is_err() {
                        break;
                    }
                }
            })
            .expect("session thread");
        Engine { requests, answers }
    }
}

impl sqllogictest::DB for Engine {
    type Error = EngineError;
    type ColumnType = Col;

    fn run(&mut self, sql: &str) -> Answer {
        self.requests
            .send(sql.to_string())
            .map_err(|_| EngineError("the session thread stopped".into()))?;
        self.answers
            .recv()
            .map_err(|_| EngineError("the session thread stopped (a panic?)".into()))?
    }

    fn engine_name(&self) -> &str {
        "flowlab"
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt");
    let filter = std::env::var("FLOWLAB_SLT").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    files
}

/// Runs every record of one file; returns (records, failures).
fn run_file(path: &Path) -> (usize, Vec<String>) {
    let records = sqllogictest::parse_file::<Col>(path)
        .unwrap_or_else(|e| panic!("{}: cannot parse: {e}", path.display()));
    let mut runner = Runner::new(|| async { Ok(Engine::start()) });
    runner.with_column_validator(column_validator);
    let mut failures = Vec::new();
    let mut count = 0;
    for record in records {
        let is_test = matches!(
            record,
            sqllogictest::Record::Statement { .. } | sqllogictest::Record::Query { .. }
        );
        count += usize::from(is_test);
        if let Err(e) = runner.run(record) {
            failures.push(e.display(false).to_string());
        }
    }
    (count, failures)
}

#[test]
fn sqllogictest_files_pass() {
    let files = slt_files();
    assert!(!files.is_empty(), "no .slt files under tests/slt");
    // Wall-clock time for the run's report only; nothing the engine computes depends on it.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut total = 0;
    for path in &files {
        let (count, file_failures) = run_file(path);
        let name = path.file_name().unwrap().to_string_lossy();
        eprintln!("{name}: {count} records, {} failed", file_failures.len());
        total += count;
        failures.extend(file_failures.into_iter().map(|f| format!("{name}: {f}")));
    }
    eprintln!(
        "sqllogictest: {} files, {total} records, {} failed, {:.1?}",
        files.len(),
        failures.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} record(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
