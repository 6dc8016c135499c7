//! `lab sql`: runs SQL over the lab's sample tables and the learner's CSV files, natively, with
//! the same engine, messages and carets as the SQL lab; with `--partitions`, one query on the
//! cluster lab's simulated cluster ([`crate::cluster_sql`]).

use crate::args::{format_value, parse_flags, FlagSpec, Operands};
use crate::cluster_sql::ClusterRun;
use crate::sql_format::{render, Format};
use lab::cluster_lab::command::{EXECUTORS_MAX, PARTITIONS_MAX};
use lab::cluster_lab::{load_lab_tables, START_EXECUTORS};
use lab::sql::csv::from_csv;
use lab::sql::datasets::Size;
use lab::sql::{Session, SqlError};
use std::io::Read;

pub const HELP: &str = "\
usage: lab sql [--table NAME=FILE.csv]... [--format table|csv|json] [--large] [QUERY]
       lab sql --partitions N [--executors E] [--explain] [--stats] [--format ...] [QUERY]

Runs one or more ;-separated SQL statements, from QUERY or, without it, from standard input,
over the sample tables (push_events, rides, drivers, customers, users, orders, events), the web
logs of the cluster lab (page_views, pages, visitors, docs) and the CSV files given with --table.

  --table NAME=FILE.csv  import FILE.csv as table NAME (a header row, column types inferred);
                         may be repeated
  --format table         an aligned table per statement, NULL shown as NULL (the default)
  --format csv           CSV per statement, a blank line between them
  --format json          one JSON object per line and statement:
                         {\"columns\": [...], \"types\": [...], \"rows\": [[...], ...]},
                         {\"explain\": \"...\"} for EXPLAIN, {\"done\": \"...\"} otherwise
  --large                200,000 rows per sample fact table instead of 5,000

With --partitions, runs one query on the cluster lab's simulated cluster (Spark's defaults
scaled to the sample tables: a 10 KiB broadcast threshold, AQE on) and prints the same result:
  --partitions N         scan and shuffle partitions, 1 to 64
  --executors E          executors of 2 cores each, 1 to 16 (default 4)
  --explain              print the distributed plan (its stages and Exchanges) instead
  --stats                add each stage's tasks and shuffle bytes and the job's ticks (0.1 s
                         each): to the JSON object as \"stages\": [{\"id\", \"tasks\",
                         \"shuffle_read_bytes\", \"shuffle_write_bytes\"}] and \"ticks\", or
                         as a stage table after the result

Exit status: 0 when every statement ran; 1 when a statement or a CSV file was refused
(the message, a caret under the position in the query, and a hint on standard error);
2 for a usage error (an unknown option, a file that cannot be read, a value out of range,
--executors, --explain or --stats without --partitions, several statements with --partitions).";

/// Why the command stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Bad arguments or an unreadable file: one line, exit code 2.
    Usage(String),
    /// The engine refused a statement or a CSV file: the output of the statements before it,
    /// then its message, caret and hint; exit code 1.
    Sql { output: String, message: String },
}

/// What the arguments ask for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    tables: Vec<(String, String)>,
    format: Option<Format>,
    large: bool,
    query: Option<String>,
    help: bool,
    cluster: Option<ClusterRun>,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// A name SQL can use unquoted: a letter or `_`, then letters, digits and `_`.
fn plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `lab sql`'s flags; its operand is the query.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--table", Some("NAME=FILE.csv")),
        ("--format", Some("table, csv or json")),
        ("--large", None),
        ("--partitions", Some("a number of partitions, 1 to 64")),
        ("--executors", Some("a number of executors, 1 to 16")),
        ("--explain", None),
        ("--stats", None),
    ],
    operands: Operands::Taken {
        flag_prefix: "-",
        after_double_dash: true,
    },
    help_ends_reading: false,
    help_word: false,
    unknown: |arg| format!("unknown option {} (see lab sql --help)", arg.flag),
};

fn parse_args(args: &[String]) -> Result<Options, Failure> {
    let flags = parse_flags(args, &FLAGS).map_err(usage)?;
    let tables = flags
        .values("--table")
        .map(table_spec)
        .collect::<Result<Vec<_>, _>>()?;
    let format = flags.parsed("--format", format_value).map_err(usage)?;
    if flags.operands.len() > 1 {
        return Err(usage(
            "give the statements as one QUERY argument (quote it), or on standard input",
        ));
    }
    Ok(Options {
        tables,
        format,
        large: flags.is_set("--large"),
        cluster: cluster_run(&flags)?,
        query: flags.operands.into_iter().next(),
        help: flags.help,
    })
}

/// A whole number from `min` to `max` for `flag`.
fn bounded(flag: &str, min: u16, max: u16) -> impl Fn(&str) -> Result<u16, Failure> + '_ {
    move |value| {
        value
            .parse::<u16>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| usage(format!("{flag} must be {min} to {max}, not \"{value}\"")))
    }
}

/// `--partitions` and its companions; they mean nothing without it.
fn cluster_run(flags: &crate::args::Flags) -> Result<Option<ClusterRun>, Failure> {
    let partitions = flags.parsed("--partitions", bounded("--partitions", 1, PARTITIONS_MAX))?;
    let executors = flags.parsed("--executors", bounded("--executors", 1, EXECUTORS_MAX))?;
    let explain = flags.is_set("--explain");
    let stats = flags.is_set("--stats");
    match partitions {
        Some(partitions) => Ok(Some(ClusterRun {
            partitions,
            executors: executors.unwrap_or(START_EXECUTORS),
            explain,
            stats,
        })),
        None if executors.is_some() || explain || stats => Err(usage(
            "--executors, --explain and --stats go with --partitions N (see lab sql --help)",
        )),
        None => Ok(None),
    }
}

/// A `--table NAME=FILE.csv` value: the table's name (a plain SQL identifier) and its file.
fn table_spec(spec: &str) -> Result<(String, String), Failure> {
    let (name, file) = spec
        .split_once('=')
        .ok_or_else(|| usage(format!("--table wants NAME=FILE.csv, not \"{spec}\"")))?;
    if !plain_identifier(name) {
        return Err(usage(format!(
            "table name \"{name}\" must be letters, digits and _, not starting with a digit"
        )));
    }
    Ok((name.to_string(), file.to_string()))
}

/// An engine error as the lab shows it: the message with its position, the query's line with a
/// caret under the column, and the hint.
pub fn describe(error: &SqlError, source: &str) -> String {
    let mut out = error.to_string();
    if let Some(caret) = error.caret(source) {
        out.push('\n');
        out.push_str(&caret);
    }
    if let Some(hint) = &error.hint {
        out.push_str("\nhint: ");
        out.push_str(hint);
    }
    out
}

/// Runs the command; returns its standard output.
pub fn run(args: &[String], stdin: &mut dyn Read) -> Result<String, Failure> {
    let options = parse_args(args)?;
    if options.help {
        return Ok(format!("{HELP}\n"));
    }
    let mut session = Session::new();
    load_lab_tables(
        &mut session,
        if options.large {
            Size::Large
        } else {
            Size::Small
        },
    );
    for (name, file) in &options.tables {
        let bytes = std::fs::read(file).map_err(|e| usage(format!("cannot read {file}: {e}")))?;
        let table = from_csv(&bytes).map_err(|e| Failure::Sql {
            output: String::new(),
            message: format!("{file}: {}", describe(&e, "")),
        })?;
        session.add_table(name, table).map_err(|e| Failure::Sql {
            output: String::new(),
            message: describe(&e, ""),
        })?;
    }
    let sql = match options.query {
        Some(query) => query,
        None => {
            let mut text = String::new();
            stdin.read_to_string(&mut text).map_err(|e| {
                usage(format!(
                    "cannot read the statements from standard input: {e}"
                ))
            })?;
            text
        }
    };
    if sql.trim().is_empty() {
        return Err(usage("no statement given (see lab sql --help)"));
    }
    let format = options.format.unwrap_or(Format::Table);
    if let Some(cluster) = &options.cluster {
        return run_on_cluster(&mut session, &sql, cluster, format);
    }
    match session.execute_until_error(&sql) {
        (outcomes, None) => Ok(render(&outcomes, format)),
        (outcomes, Some(e)) => Err(Failure::Sql {
            output: render(&outcomes, format),
            message: describe(&e, &sql),
        }),
    }
}

/// One query on the simulated cluster.
fn run_on_cluster(
    session: &mut Session,
    sql: &str,
    cluster: &ClusterRun,
    format: Format,
) -> Result<String, Failure> {
    let refused = |e: SqlError| Failure::Sql {
        output: String::new(),
        message: describe(&e, sql),
    };
    let statements = Session::parse(sql).map_err(refused)?;
    if statements.len() != 1 {
        return Err(usage(
            "--partitions runs one query: give a single statement (see lab sql --help)",
        ));
    }
    crate::cluster_sql::run(session, sql, cluster, format).map_err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    fn usage_error(list: &[&str]) -> String {
        match run(&args(list), &mut &b""[..]) {
            Err(Failure::Usage(message)) => message,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn options_parse_in_both_spellings() {
        let o = parse_args(&args(&[
            "--table",
            "a=x.csv",
            "--table=b=y.csv",
            "--format=json",
            "--large",
            "SELECT 1",
        ]))
        .unwrap();
        assert_eq!(
            o.tables,
            [("a".into(), "x.csv".into()), ("b".into(), "y.csv".into())]
        );
        assert_eq!((o.format, o.large), (Some(Format::Json), true));
        assert_eq!(o.query.as_deref(), Some("SELECT 1"));
        let o = parse_args(&args(&["--", "-1"])).unwrap();
        assert_eq!(o.query.as_deref(), Some("-1"));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(usage_error(&["--format", "xml", "SELECT 1"]).contains("table, csv or json"));
        assert!(usage_error(&["--format"]).contains("--format needs"));
        assert!(usage_error(&["--table", "x", "SELECT 1"]).contains("NAME=FILE.csv"));
        assert!(usage_error(&["--table", "my-t=x.csv", "SELECT 1"]).contains("letters, digits"));
        assert!(usage_error(&["--bogus"]).contains("unknown option --bogus"));
        assert!(usage_error(&["SELECT 1", "SELECT 2"]).contains("one QUERY"));
        assert!(usage_error(&["  \n"]).contains("no statement"));
        assert!(
            usage_error(&["--table", "t=/nonexistent/x.csv", "SELECT 1"]).contains("cannot read")
        );
    }

    #[test]
    fn cluster_flags_are_checked_before_anything_runs() {
        assert!(usage_error(&["--partitions", "0", "SELECT 1"]).contains("1 to 64"));
        assert!(usage_error(&["--partitions", "65", "SELECT 1"]).contains("1 to 64"));
        assert!(usage_error(&["--partitions", "x", "SELECT 1"]).contains("1 to 64"));
        assert!(
            usage_error(&["--partitions", "8", "--executors", "17", "SELECT 1"])
                .contains("1 to 16")
        );
        for lonely in [&["--executors", "2"][..], &["--stats"], &["--explain"]] {
            let list = [lonely, &["SELECT 1"]].concat();
            assert!(
                usage_error(&list).contains("go with --partitions"),
                "{list:?}"
            );
        }
        assert!(usage_error(&["--partitions", "8", "SELECT 1; SELECT 2"]).contains("one query"));
        let o = parse_args(&args(&["--partitions=8", "--stats", "SELECT 1"])).unwrap();
        assert_eq!(
            o.cluster,
            Some(ClusterRun {
                partitions: 8,
                executors: START_EXECUTORS,
                explain: false,
                stats: true
            })
        );
    }

    #[test]
    fn errors_show_message_caret_and_hint() {
        let e = SqlError::new(lab::sql::ErrorKind::UnknownTable, "unknown table \"ridez\"")
            .with_hint("did you mean \"rides\"?")
            .at(Some(lab::sql::Position { line: 2, column: 6 }));
        assert_eq!(
            describe(&e, "SELECT *\nFROM ridez"),
            "unknown table \"ridez\" (line 2, column 6)\nFROM ridez\n     ^\nhint: did you mean \"rides\"?"
        );
        assert!(run(&args(&["--help"]), &mut &b""[..])
            .unwrap()
            .contains("Exit status"));
    }
}
