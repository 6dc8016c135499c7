//! `lab drift`: how far a current sample has drifted from a reference sample, by the Population
//! Stability Index over the reference's deciles and the two-sample Kolmogorov-Smirnov test
//! (`rollouts::drift`).

use crate::args::{parse_flags, FlagSpec, Operands};
use crate::judge_cmd::{read_samples, sample_refused, Failure};
use rollouts::drift::drift;
use serde_json::{json, Value as Json};

pub const HELP: &str = "\
usage: lab drift --reference FILE --current FILE

Measures drift of the current sample from the reference and prints one JSON line:

  {\"psi\": PSI,
   \"bins\": {\"edges\": [null, e1, ..., ek, null], \"reference\": [...], \"current\": [...]},
   \"ks\": {\"statistic\": D, \"p_value\": P}}

  bins      half-open [lo, hi) between consecutive edges, the outer two open-ended (null is
            minus or plus infinity); the interior edges are the reference's deciles (its sorted
            values at positions floor(k n / 10), k = 1..9), duplicates merged and edges at or below
            the smallest value of both samples dropped; if none is left while the samples hold
            two distinct values, the second-smallest value is the one edge (two bins). reference
            and current are the fraction of each sample in each bin
  psi       the Population Stability Index, sum over bins of (c - r) ln(c / r), an empty bin's
            fraction counted as 0.0001; below 0.1 is usually read as stable, above 0.25 as a
            major shift
  ks        scipy.stats.ks_2samp(reference, current): D the largest gap between the two
            empirical CDFs, P its two-sided p-value: exact while both samples have at
            most 10,000 values, else from the Kolmogorov distribution of
            round(m n / (m + n)) values, as SciPy computes it

  --reference FILE   the reference measurements (training or validation data), one number a line
  --current FILE     the measurements now, the same way

Exit status: 0 with the measures; 1 for bad input (a line that is not a number, NaN or an
infinity, an empty file), naming the file and line, with a hint; 2 for a usage error (an
unknown option, a missing option, a file that cannot be read).";

/// `lab drift`'s flags.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--reference", Some("a FILE")),
        ("--current", Some("a FILE")),
    ],
    operands: Operands::Refused,
    help_ends_reading: false,
    help_word: true,
    unknown: |arg| format!("unknown argument {} (see lab drift --help)", arg.whole),
};

/// Runs `lab drift ARGS`; returns its standard output.
pub fn run(args: &[String]) -> Result<String, Failure> {
    let flags = parse_flags(args, &FLAGS).map_err(Failure::Usage)?;
    if flags.help {
        return Ok(format!("{HELP}\n"));
    }
    let [reference, current] = read_samples(&flags, "drift", ["--reference", "--current"])?;
    // Both samples were checked as they were read, so this cannot refuse them.
    let result = drift(&reference, &current).map_err(|e| sample_refused(e.sample, &e.error))?;
    let mut edges: Vec<Json> = vec![Json::Null];
    edges.extend(result.bins.interior_edges.iter().map(|&e| json!(e)));
    edges.push(Json::Null);
    let output = json!({
        "psi": result.psi,
        "bins": {
            "edges": edges,
            "reference": result.bins.reference,
            "current": result.bins.current,
        },
        "ks": {"statistic": result.ks.statistic, "p_value": result.ks.p_value},
    });
    Ok(format!("{output}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    #[test]
    fn bad_arguments_are_usage_errors() {
        for (list, expected) in [
            (&["--reference"][..], "--reference needs"),
            (&["--bogus"], "unknown argument --bogus"),
            (&["--current", "c.txt"], "--reference FILE is required"),
            (&["--reference", "r.txt"], "--current FILE is required"),
        ] {
            match run(&args(list)) {
                Err(Failure::Usage(message)) => assert!(message.contains(expected), "{message}"),
                other => panic!("{list:?}: {other:?}"),
            }
        }
        assert!(run(&args(&["--help"])).unwrap().contains("Exit status"));
    }
}
