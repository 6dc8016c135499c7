//! `lab`: what a learner or a script wants from Flowlab outside the browser. It mirrors two small
//! widgets of the broker lab, running the same core code:
//!
//! - `lab partition --partitions N [--hex] [--json] KEY...`: each key's murmur2 hash (signed
//!   32-bit, as Java prints it) and partition.
//! - `lab assign --strategy range|roundrobin|sticky|cooperative-sticky FILE|-`: one rebalance.
//! - `lab scenario run [--verbose] FILE`: runs a scenario file and prints its trace and summary.
//!
//! Bad input gets a one-line error naming the problem and exit code 2, never a panic.

mod assign_cmd;
mod partition_cmd;
mod scenario_cmd;

use std::process::ExitCode;

const USAGE: &str = "usage:
  lab partition --partitions N [--hex] [--json] KEY...
  lab assign --strategy range|roundrobin|sticky|cooperative-sticky FILE|-
  lab scenario run [--verbose] FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("partition") => partition_cmd::run(&args[1..]),
        Some("assign") => assign_cmd::run(&args[1..]),
        Some("scenario") => scenario_cmd::run(&args[1..]),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!(
            "unknown command \"{other}\" (try partition or assign)"
        )),
        None => Err("no command given (try partition or assign)".into()),
    };
    match result {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("lab: {message}");
            ExitCode::from(2)
        }
    }
}
