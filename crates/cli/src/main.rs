//! `lab`: what a learner or a script wants from Flowlab outside the browser. It mirrors two small
//! widgets of the broker lab, running the same core code:
//!
//! - `lab partition --partitions N [--hex] [--json] KEY...`: each key's murmur2 hash (signed
//!   32-bit, as Java prints it) and partition.
//! - `lab assign --strategy range|roundrobin|sticky|cooperative-sticky FILE|-`: one rebalance.
//! - `lab scenario run [--verbose] FILE`: runs a scenario file and prints its trace and summary.
//! - `lab sql [--table NAME=FILE.csv]... [--format table|csv|json] [--large] [QUERY]`: runs SQL
//!   over the sample tables and CSV files (`lab sql --help`); with `--partitions N [--executors E]
//!   [--explain] [--stats]`, one query on the cluster lab's simulated cluster.
//! - `lab features historical --repo REPO.json --entities ENTITIES.csv --features VIEW:FEATURE,...`:
//!   a training set by Feast's point-in-time join (`lab features --help`).
//! - `lab stream run --table NAME=FILE.csv [--watermark-delay SECONDS] [--allowed-lateness SECONDS]
//!   QUERY`: a windowed SQL query run as a stream over the file's rows (`lab stream run --help`).
//! - `lab schema check|encode|decode`: Avro compatibility as a Schema Registry checks it, and Avro
//!   binary to and from Avro's JSON encoding (see `schema_cmd`).
//! - `lab judge --baseline FILE --canary FILE [--tolerance X]`: Kayenta's verdict on one metric
//!   and its Mann-Whitney U test; `lab drift --reference FILE --current FILE`: PSI and the
//!   two-sample KS test (`lab judge --help`, `lab drift --help`). Bad input exits 1 naming the
//!   file and line, a usage error 2, as `lab features` does.
//! - `lab rollout run SPEC.yaml [--version NAME=KEY:VALUE,...]... [--ticks N]`: a rollout spec
//!   played headless as the rollouts lab plays it; the timeline, measurements and final phase as
//!   JSON (`lab rollout --help`). A spec that does not parse or a bad `--version` exits 1.
//! - `lab stats ttest|sequential|bayes|srm|cuped|ratio`: an experiment's statistics as gbstats
//!   computes them, one JSON object in and out (`lab stats --help`); bad input exits 1 naming the
//!   field. `lab hash --seed S [--version 1|2] ID...`: GrowthBook's hash buckets.
//!
//! Bad input gets a one-line error naming the problem and exit code 2, never a panic; a SQL
//! statement the engine refuses gets the lab's message, caret and hint, and exit code 1, and so
//! does a scenario that breaks a replication invariant (after its trace and summary), and bad
//! input to `lab features` (the message names the file and line, or the field, and a hint).
//! Every error of `lab stream` exits 1, bad options included: its contract says bad input exits 1.

mod args;
mod assign_cmd;
mod cluster_sql;
mod drift_cmd;
mod features_cmd;
mod hash_cmd;
mod judge_cmd;
mod partition_cmd;
mod rollout_cmd;
mod scenario_cmd;
mod schema_cmd;
mod sql_cmd;
mod sql_format;
mod stats_cmd;
mod stream_cmd;

use std::process::ExitCode;

const USAGE: &str = "usage:
  lab partition --partitions N [--hex] [--json] KEY...
  lab assign --strategy range|roundrobin|sticky|cooperative-sticky FILE|-
  lab scenario run [--verbose] FILE
  lab sql [--table NAME=FILE.csv]... [--format table|csv|json] [--large] [QUERY]
  lab sql --partitions N [--executors E] [--explain] [--stats] [--format table|csv|json] [QUERY]
  lab features historical --repo REPO.json --entities ENTITIES.csv --features VIEW:FEATURE[,VIEW:FEATURE...]
      [--full-feature-names] [--created-cutoff] [--format table|csv|json]
  lab stream run --table NAME=FILE.csv [--watermark-delay SECONDS] [--allowed-lateness SECONDS]
      [--emit final|on-close|changes|complete] [--format table|json] QUERY
  lab schema check [--mode backward|forward|full|backward_transitive|forward_transitive|full_transitive] NEW.avsc [OLD.avsc...]
  lab schema encode SCHEMA.avsc   (Avro JSON values on standard input, one a line; hex out)
  lab schema decode SCHEMA.avsc   (hex on standard input, one a line; Avro JSON out)
  lab judge --baseline FILE --canary FILE [--tolerance X]
  lab drift --reference FILE --current FILE
  lab rollout run SPEC.yaml [--version NAME=KEY:VALUE,...]... [--ticks N] [--seed S] [--format json|table]
  lab stats ttest|sequential|bayes|srm|cuped|ratio < INPUT.json
  lab hash --seed S [--version 1|2] ID...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("partition") => partition_cmd::run(&args[1..]),
        Some("assign") => assign_cmd::run(&args[1..]),
        Some("scenario") => match scenario_cmd::run(&args[1..]) {
            Ok(report) if report.breaches > 0 => {
                print!("{}", report.output);
                eprintln!(
                    "lab: the scenario broke {} replication invariant(s)",
                    report.breaches
                );
                return ExitCode::from(1);
            }
            result => result.map(|report| report.output),
        },
        Some("sql") => match sql_cmd::run(&args[1..], &mut std::io::stdin().lock()) {
            Ok(output) => Ok(output),
            Err(sql_cmd::Failure::Usage(message)) => Err(message),
            Err(sql_cmd::Failure::Sql { output, message }) => {
                // The statements before the failing one ran: their output first.
                print!("{output}");
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("features") => match features_cmd::run(&args[1..]) {
            Ok(output) => Ok(output),
            Err(features_cmd::Failure::Usage(message)) => Err(message),
            Err(features_cmd::Failure::Invalid(message)) => {
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("stream") => match stream_cmd::run(&args[1..]) {
            Ok(output) => Ok(output),
            Err(message) => {
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("schema") => match schema_cmd::run(&args[1..], &mut std::io::stdin().lock()) {
            Ok(output) => Ok(output),
            Err(schema_cmd::Failure::Usage(message)) => Err(message),
            Err(schema_cmd::Failure::Invalid { output, message }) => {
                let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), output.as_bytes());
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("judge") => match judge_cmd::run(&args[1..]) {
            Ok(output) => Ok(output),
            Err(judge_cmd::Failure::Usage(message)) => Err(message),
            Err(judge_cmd::Failure::Invalid(message)) => {
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("drift") => match drift_cmd::run(&args[1..]) {
            Ok(output) => Ok(output),
            Err(judge_cmd::Failure::Usage(message)) => Err(message),
            Err(judge_cmd::Failure::Invalid(message)) => {
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("rollout") => match rollout_cmd::run(&args[1..]) {
            Ok(output) => Ok(output),
            Err(rollout_cmd::Failure::Usage(message)) => Err(message),
            Err(rollout_cmd::Failure::Invalid(message)) => {
                eprintln!("lab: {message}");
                return ExitCode::from(1);
            }
        },
        Some("stats") => {
            let mut input = String::new();
            let read = std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut input);
            match read.map_err(|e| format!("cannot read standard input: {e}")) {
                Err(message) => Err(message),
                Ok(_) => match stats_cmd::run(&args[1..], &input) {
                    Ok(output) => Ok(output),
                    Err(stats_cmd::Failure::Usage(message)) => Err(message),
                    Err(stats_cmd::Failure::Invalid(message)) => {
                        eprintln!("lab: {message}");
                        return ExitCode::from(1);
                    }
                },
            }
        }
        Some("hash") => hash_cmd::run(&args[1..]),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!(
            "unknown command \"{other}\" (try partition, assign, scenario, sql, features, stream, schema, judge, drift, rollout, stats or hash)"
        )),
        None => Err(
            "no command given (try partition, assign, scenario, sql, features, stream, schema, judge, drift, rollout, stats or hash)".into(),
        ),
    };
    match result {
        Ok(output) => {
            // Not print!: a closed pipe (`lab sql ... | head`) is not a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("lab: {message}");
            ExitCode::from(2)
        }
    }
}
