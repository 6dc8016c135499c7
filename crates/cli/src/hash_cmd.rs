//! `lab hash --seed S [--version 1|2] ID...`: each id's bucket in [0, 1) as GrowthBook's SDKs
//! hash it (`experiments::assign::bucket`), one `ID BUCKET` line per id.

use crate::args::{parse_flags, FlagSpec, Operands};
use experiments::assign::{bucket, HashVersion};

pub const HELP: &str = "\
usage: lab hash --seed S [--version 1|2] ID...

Prints one line per id, `ID BUCKET`, the bucket in [0, 1) as GrowthBook's SDKs compute it:
version 2 (the default) is fnv1a32(str(fnv1a32(seed + id))) % 10000 / 10000, version 1
fnv1a32(id + seed) % 1000 / 1000, FNV-1a over UTF-16 code units as the JavaScript SDK does.

Exit status: 0; 2 for a usage error (no --seed, a version other than 1 or 2, no id).";

/// `lab hash`'s flags; its operands are the ids.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[("--seed", Some("a seed")), ("--version", Some("1 or 2"))],
    operands: Operands::Taken {
        flag_prefix: "--",
        after_double_dash: true,
    },
    help_ends_reading: true,
    help_word: false,
    unknown: |arg| {
        format!(
            "unknown argument {} (see lab hash --help; put ids after --)",
            arg.whole
        )
    },
};

/// Runs `lab hash ARGS`; returns its standard output or a usage error.
pub fn run(args: &[String]) -> Result<String, String> {
    let flags = parse_flags(args, &FLAGS)?;
    if flags.help {
        return Ok(format!("{HELP}\n"));
    }
    let version = flags
        .parsed("--version", |text| match text {
            "1" => Ok(HashVersion::V1),
            "2" => Ok(HashVersion::V2),
            other => Err(format!("--version must be 1 or 2, not \"{other}\"")),
        })?
        .unwrap_or(HashVersion::V2);
    let seed = flags
        .value("--seed")
        .ok_or("--seed S is required (see lab hash --help)")?;
    let ids = &flags.operands;
    if ids.is_empty() {
        return Err("no id given (see lab hash --help)".into());
    }
    Ok(ids
        .iter()
        .map(|id| format!("{id} {}\n", bucket(seed, id, version)))
        .collect())
}
