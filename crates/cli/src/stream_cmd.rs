//! `lab stream run`: a windowed SQL query run as a stream over a CSV file's rows, arriving in file
//! order on one partition, with a watermark, allowed lateness and an emit mode; prints the final
//! windows, the late rows and what fired after each row (`lab::stream_sql`).

use crate::args::{parse_flags, FlagSpec, Operands};
use crate::sql_cmd::describe;
use crate::sql_format::{json_row_arrays, json_table, json_value, text_table};
use lab::feature_sources::csv_record_lines;
use lab::sql::csv::from_csv;
use lab::stream_sql::{run_windowed, SqlOrStreamError, StreamRun, StreamRunOptions};
use lab::streaming::aggregate::EmitMode;

pub const HELP: &str = "\
usage: lab stream run --table NAME=FILE.csv [--watermark-delay SECONDS] [--allowed-lateness SECONDS]
           [--emit final|on-close|changes|complete] [--format table|json] QUERY

Runs a windowed aggregate QUERY over NAME as a stream: the rows of FILE.csv arrive one at a time,
in file order, on one partition. QUERY windows NAME with a window table function and groups by
window_start, window_end and any keys, e.g.

  SELECT window_start, window_end, k, count(*) AS n, sum(v) AS s
  FROM TUMBLE(events, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k

  TUMBLE(t, ts, size [, offset])     fixed windows [start, end) aligned to the Unix epoch
  HOP(t, ts, slide, size [, offset]) windows of size every slide (a row is in size/slide of them)
  SESSION(t, ts, gap)                per key, a window ends gap after its last row; rows exactly
                                     gap apart are two sessions

Sizes are INTERVALs for a TIMESTAMP column, plain integers for a BIGINT one (then the delay and
the lateness are in the column's units too).

The watermark W is the greatest event time so far minus the delay. A row is late when its time is
below W as it was before the row arrived (a row exactly at W is on time). A window fires once W
reaches its end, and is closed for good once its end plus the allowed lateness is at or below W;
a late row still updates (and fires again) each of its windows that is not closed, and is listed
as late only when it updated none. At the end of the file every window is final, as if W went to
+infinity.

  --table NAME=FILE.csv       the input (a header row; column types inferred)
  --watermark-delay SECONDS   how far W stays behind the greatest event time (default 0)
  --allowed-lateness SECONDS  how long after its end a window takes late rows (default 0)
  --emit MODE                 when a window's row is emitted: on-close (the default: when W
                              reaches its end, again for each late update), final (once, when it
                              closes for good), changes (after every row that changes it),
                              complete (every window after every row)
  --format table              the final windows, then the count of late rows (the default)
  --format json               {\"final\": {\"columns\", \"types\", \"rows\"}, \"late\": [row, ...],
                              \"emits\": [{\"after_row\", \"watermark\", \"rows\"}, ...]}: rows are
                              0-based in file order; an emit lists the windows that fired after
                              that row, with W after it

Exit status: 0 with the result; 1 for any error (a bad option, a file that cannot be read or is
not CSV, a query that is not a windowed aggregate over NAME, a negative delay, a row with a NULL
event time), with a message naming the file and line or the part of the query, and a hint.";

/// The output formats of `lab stream run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Table,
    Json,
}

/// What the arguments ask for.
#[derive(Debug, PartialEq)]
struct Options {
    table: Option<(String, String)>,
    stream: StreamRunOptions,
    format: Format,
    query: Option<String>,
    help: bool,
}

/// A number of seconds (or time-column units) for `flag`: finite and not negative.
fn seconds(flag: &str, text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        Ok(_) => Err(format!(
            "{flag} must be 0 or more seconds, not {text}\nhint: a watermark cannot run ahead of \
             the greatest event time, nor a window close before its end; give e.g. {flag} 2"
        )),
        Err(_) => Err(format!(
            "{flag} must be a number of seconds, not \"{text}\"\nhint: give e.g. {flag} 2 or \
             {flag} 0.5"
        )),
    }
}

/// `lab stream run`'s flags; its operand is the query.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--table", Some("NAME=FILE.csv")),
        ("--watermark-delay", Some("SECONDS")),
        ("--allowed-lateness", Some("SECONDS")),
        ("--emit", Some("final, on-close, changes or complete")),
        ("--format", Some("table or json")),
    ],
    operands: Operands::Taken {
        flag_prefix: "-",
        after_double_dash: true,
    },
    help_ends_reading: false,
    help_word: false,
    unknown: |arg| format!("unknown option {} (see lab stream run --help)", arg.flag),
};

fn parse_args(args: &[String]) -> Result<Options, String> {
    let flags = parse_flags(args, &FLAGS)?;
    let mut table = None;
    for spec in flags.values("--table") {
        let (name, file) = spec
            .split_once('=')
            .filter(|(name, file)| !name.is_empty() && !file.is_empty())
            .ok_or_else(|| format!("--table wants NAME=FILE.csv, not \"{spec}\""))?;
        if table.is_some() {
            return Err("a stream reads one --table".into());
        }
        table = Some((name.to_string(), file.to_string()));
    }
    let defaults = StreamRunOptions::default();
    let stream = StreamRunOptions {
        watermark_delay: flags
            .parsed("--watermark-delay", |text| {
                seconds("--watermark-delay", text)
            })?
            .unwrap_or(defaults.watermark_delay),
        allowed_lateness: flags
            .parsed("--allowed-lateness", |text| {
                seconds("--allowed-lateness", text)
            })?
            .unwrap_or(defaults.allowed_lateness),
        mode: flags
            .parsed("--emit", |name| {
                EmitMode::parse(name).ok_or_else(|| {
                    format!("--emit must be final, on-close, changes or complete, not \"{name}\"")
                })
            })?
            .unwrap_or(defaults.mode),
    };
    let format = flags
        .parsed("--format", |name| match name {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            other => Err(format!("--format must be table or json, not \"{other}\"")),
        })?
        .unwrap_or(Format::Table);
    if flags.operands.len() > 1 {
        return Err("give the query as one QUERY argument (quote it)".into());
    }
    Ok(Options {
        table,
        stream,
        format,
        query: flags.operands.into_iter().next(),
        help: flags.help,
    })
}

/// Runs `lab stream ARGS`; returns its standard output, or the message for standard error.
pub fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("run") => stream_run(&args[1..]),
        Some("--help" | "-h" | "help") => Ok(format!("{HELP}\n")),
        Some(other) => Err(format!(
            "unknown stream command \"{other}\" (try lab stream run --help)"
        )),
        None => Err("lab stream needs a command: run (see lab stream run --help)".into()),
    }
}

fn stream_run(args: &[String]) -> Result<String, String> {
    let options = parse_args(args)?;
    if options.help {
        return Ok(format!("{HELP}\n"));
    }
    let (name, file) = options
        .table
        .ok_or("--table NAME=FILE.csv is required (see lab stream run --help)")?;
    let query = options
        .query
        .filter(|q| !q.trim().is_empty())
        .ok_or("no query given (see lab stream run --help)")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let table = from_csv(text.as_bytes()).map_err(|e| format!("{file}: {}", describe(&e, "")))?;
    let run = run_windowed(&query, table, &name, &options.stream).map_err(|e| match e {
        SqlOrStreamError::Sql(e) => describe(&e, &query),
        SqlOrStreamError::Stream(e) => format!("{}\nhint: {}", e.message, e.hint),
        SqlOrStreamError::Row { row, message, hint } => {
            let line = csv_record_lines(&text)
                .get(row)
                .map_or_else(|| format!("row {row}"), |line| format!("line {line}"));
            format!("{file} {line}: {message}\nhint: {hint}")
        }
    })?;
    Ok(match options.format {
        Format::Table => table_output(&run),
        Format::Json => json_output(&run),
    })
}

/// The final windows as `lab sql` prints a table, then the late rows.
fn table_output(run: &StreamRun) -> String {
    let rows: Vec<String> = run.late.iter().map(u64::to_string).collect();
    let late = match rows.len() {
        0 => "late rows: 0\n".to_string(),
        n => format!("late rows: {n} (0-based: {})\n", rows.join(", ")),
    };
    format!("{}{late}", text_table(&run.final_table))
}

/// `{"final": ..., "late": [...], "emits": [...]}` on one line, keys in that order.
fn json_output(run: &StreamRun) -> String {
    let emits: Vec<String> = run
        .emits
        .iter()
        .map(|emit| {
            format!(
                "{{\"after_row\":{},\"watermark\":{},\"rows\":{}}}",
                emit.after_row,
                json_value(&emit.watermark),
                json_row_arrays(&emit.rows)
            )
        })
        .collect();
    format!(
        "{{\"final\":{},\"late\":{},\"emits\":[{}]}}\n",
        json_table(&run.final_table),
        serde_json::Value::from(run.late.clone()),
        emits.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    #[test]
    fn options_parse_in_both_spellings() {
        let o = parse_args(&args(&[
            "--table=events=e.csv",
            "--watermark-delay",
            "2.5",
            "--allowed-lateness=10",
            "--emit",
            "changes",
            "--format=json",
            "SELECT 1",
        ]))
        .unwrap();
        assert_eq!(o.table, Some(("events".into(), "e.csv".into())));
        assert_eq!(o.stream.watermark_delay, 2.5);
        assert_eq!(o.stream.allowed_lateness, 10.0);
        assert_eq!(o.stream.mode, EmitMode::Changes);
        assert_eq!(o.format, Format::Json);
        assert_eq!(o.query.as_deref(), Some("SELECT 1"));
        let defaults = parse_args(&args(&["q"])).unwrap();
        assert_eq!(defaults.stream, StreamRunOptions::default());
        assert_eq!(defaults.format, Format::Table);
    }

    #[test]
    fn bad_arguments_name_the_flag() {
        for (list, expected) in [
            (
                &["--watermark-delay", "-5"][..],
                "0 or more seconds, not -5",
            ),
            (&["--allowed-lateness", "soon"], "a number of seconds"),
            (&["--watermark-delay", "inf"], "0 or more"),
            (&["--emit", "sometimes"], "--emit must be"),
            (&["--format", "csv"], "table or json"),
            (&["--table", "e.csv"], "NAME=FILE.csv"),
            (&["--table", "a=x", "--table", "b=y"], "one --table"),
            (&["--bogus"], "unknown option --bogus"),
            (&["a", "b"], "one QUERY"),
        ] {
            let message = parse_args(&args(list)).unwrap_err();
            assert!(message.contains(expected), "{list:?}: {message}");
        }
        assert!(stream_run(&args(&["q"])).unwrap_err().contains("--table"));
        assert!(stream_run(&args(&["--table", "t=x.csv"]))
            .unwrap_err()
            .contains("no query"));
        assert!(run(&args(&["walk"]))
            .unwrap_err()
            .contains("unknown stream"));
        assert!(run(&args(&["run", "--help"]))
            .unwrap()
            .contains("Exit status"));
    }
}
