//! `lab hash --seed S [--version 1|2] ID...`: each id's bucket in [0, 1) as GrowthBook's SDKs
//! hash it (`experiments::assign::bucket`), one `ID BUCKET` line per id.

use crate::args::Args;
use experiments::assign::{bucket, HashVersion};

pub const HELP: &str = "\
usage: lab hash --seed S [--version 1|2] ID...

Prints one line per id, `ID BUCKET`, the bucket in [0, 1) as GrowthBook's SDKs compute it:
version 2 (the default) is fnv1a32(str(fnv1a32(seed + id))) % 10000 / 10000, version 1
fnv1a32(id + seed) % 1000 / 1000, FNV-1a over UTF-16 code units as the JavaScript SDK does.

Exit status: 0; 2 for a usage error (no --seed, a version other than 1 or 2, no id).";

/// Runs `lab hash ARGS`; returns its standard output or a usage error.
pub fn run(args: &[String]) -> Result<String, String> {
    let mut seed = None;
    let mut version = HashVersion::V2;
    let mut ids = Vec::new();
    let mut args = Args::new(args);
    while let Some(arg) = args.next_arg() {
        match arg.flag {
            "--seed" => seed = Some(args.value(&arg, "a seed")?),
            "--version" => {
                version = match args.value(&arg, "1 or 2")?.as_str() {
                    "1" => HashVersion::V1,
                    "2" => HashVersion::V2,
                    other => return Err(format!("--version must be 1 or 2, not \"{other}\"")),
                }
            }
            "--help" | "-h" => return Ok(format!("{HELP}\n")),
            "--" => ids.extend(args.remaining().cloned()),
            flag if flag.starts_with("--") => {
                return Err(format!(
                    "unknown argument {} (see lab hash --help; put ids after --)",
                    arg.whole
                ))
            }
            _ => ids.push(arg.whole.to_string()),
        }
    }
    let seed = seed.ok_or("--seed S is required (see lab hash --help)")?;
    if ids.is_empty() {
        return Err("no id given (see lab hash --help)".into());
    }
    Ok(ids
        .iter()
        .map(|id| format!("{id} {}\n", bucket(&seed, id, version)))
        .collect())
}
