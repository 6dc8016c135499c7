//! `lab judge`: Kayenta's verdict on one metric, a canary's measurements against the baseline's,
//! with the Mann-Whitney U test behind it (`rollouts::judge`). Also reads the two
//! one-number-a-line sample files of a two-sample command, for `lab drift` too.

use crate::args::{parse_flags, FlagSpec, Flags, Operands};
use rollouts::judge::{classify, mann_whitney_u, Classifier};
use rollouts::stats::SampleError;
use serde_json::json;
use std::path::Path;

pub const HELP: &str = "\
usage: lab judge --baseline FILE --canary FILE [--tolerance X]

Judges one metric as Kayenta's canary judge does (MannWhitneyClassifier, confidence level 0.98,
a metric that may move either way) and prints one JSON line:

  {\"u\": U, \"p_value\": P, \"verdict\": \"Pass\" | \"High\" | \"Low\"}

  u         the canary's Mann-Whitney U: the (canary, baseline) pairs where the canary is larger,
            ties counting one half (scipy.stats.mannwhitneyu(canary, baseline).statistic)
  p_value   two-sided; exact when a sample has at most 8 values and nothing is tied, otherwise
            the normal approximation with tie and continuity corrections (SciPy's default)
  verdict   High when the whole 98% confidence interval of the shift canary - baseline lies
            above tolerance x |estimated shift| (and the canary's mean is not below the
            baseline's), Low when it lies below the negative, otherwise Pass; identical samples
            Pass

  --baseline FILE   the baseline's measurements, one number a line (blank lines are skipped)
  --canary FILE     the canary's measurements, the same way
  --tolerance X     Kayenta's tolerance, a fraction of the estimated shift (default 0.25)

Exit status: 0 with the verdict; 1 for bad input (a line that is not a number, NaN or an
infinity, an empty file), naming the file and line, with a hint; 2 for a usage error (an
unknown option, a missing option, a file that cannot be read).";

/// Why the command stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Bad arguments or an unreadable file: one line, exit code 2.
    Usage(String),
    /// Bad input: the message and its hint, exit code 1.
    Invalid(String),
}

/// The measurements of a one-number-a-line file: each non-blank line a finite number.
fn read_sample(path: &str) -> Result<Vec<f64>, Failure> {
    let text = std::fs::read_to_string(Path::new(path))
        .map_err(|e| Failure::Usage(format!("cannot read {path}: {e}")))?;
    let mut values = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let field = line.trim();
        if field.is_empty() {
            continue;
        }
        let line_number = index + 1;
        match field.parse::<f64>() {
            Ok(value) if value.is_finite() => values.push(value),
            Ok(_) => {
                return Err(Failure::Invalid(format!(
                    "{path}:{line_number}: {field} is not a measurement\nhint: drop NaN and \
                     infinite values first (Kayenta's nanStrategy \"remove\")"
                )))
            }
            Err(_) => {
                return Err(Failure::Invalid(format!(
                    "{path}:{line_number}: \"{field}\" is not a number\nhint: the file holds one \
                     number a line, e.g. 12.5 or 1e-3"
                )))
            }
        }
    }
    if values.is_empty() {
        return Err(Failure::Invalid(format!(
            "{path}: the sample is empty\nhint: {}",
            SampleError::Empty.hint()
        )));
    }
    Ok(values)
}

/// A required `--flag FILE` option's value.
fn required<'f>(flags: &'f Flags, flag: &str, command: &str) -> Result<&'f str, Failure> {
    flags.value(flag).ok_or_else(|| {
        Failure::Usage(format!(
            "{flag} FILE is required (see lab {command} --help)"
        ))
    })
}

/// The two samples of a two-sample command (`lab judge`, `lab drift`): each `--flag FILE`
/// required (both checked before either file is read), then read one number a line.
pub fn read_samples(
    flags: &Flags,
    command: &str,
    [first_flag, second_flag]: [&str; 2],
) -> Result<[Vec<f64>; 2], Failure> {
    let first_path = required(flags, first_flag, command)?;
    let second_path = required(flags, second_flag, command)?;
    Ok([read_sample(first_path)?, read_sample(second_path)?])
}

/// The engine's refusal of a sample, as bad input. Samples are checked as they are read, so the
/// commands do not expect it.
pub fn sample_refused(sample: &str, error: &SampleError) -> Failure {
    Failure::Invalid(format!(
        "the {sample} sample: {}\nhint: {}",
        error.message(),
        error.hint()
    ))
}

fn tolerance(text: &str) -> Result<f64, Failure> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(Failure::Usage(format!(
            "--tolerance must be a number 0 or more, not \"{text}\" (Kayenta's is 0.25)"
        ))),
    }
}

/// `lab judge`'s flags.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--baseline", Some("a FILE")),
        ("--canary", Some("a FILE")),
        ("--tolerance", Some("a number")),
    ],
    operands: Operands::Refused,
    help_ends_reading: false,
    help_word: true,
    unknown: |arg| format!("unknown argument {} (see lab judge --help)", arg.whole),
};

/// Runs `lab judge ARGS`; returns its standard output.
pub fn run(args: &[String]) -> Result<String, Failure> {
    let flags = parse_flags(args, &FLAGS).map_err(Failure::Usage)?;
    let tolerance = flags.parsed("--tolerance", tolerance)?;
    if flags.help {
        return Ok(format!("{HELP}\n"));
    }
    let [baseline, canary] = read_samples(&flags, "judge", ["--baseline", "--canary"])?;
    let classifier = Classifier {
        tolerance: tolerance.unwrap_or(Classifier::default().tolerance),
        ..Classifier::default()
    };
    // Both samples were checked as they were read, so neither call can refuse them.
    let refused = |e: rollouts::judge::InputError| sample_refused(e.sample, &e.error);
    let test = mann_whitney_u(&canary, &baseline).map_err(refused)?;
    let classification = classify(&baseline, &canary, classifier).map_err(refused)?;
    let output = json!({
        "u": test.u,
        "p_value": test.p_value,
        "verdict": classification.verdict.label(),
    });
    Ok(format!("{output}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    #[test]
    fn options_parse_in_both_spellings() {
        let list = args(&[
            "--baseline=b.txt",
            "--canary",
            "c.txt",
            "--tolerance",
            "0.1",
        ]);
        let flags = parse_flags(&list, &FLAGS).unwrap();
        assert_eq!(flags.value("--baseline"), Some("b.txt"));
        assert_eq!(flags.value("--canary"), Some("c.txt"));
        assert_eq!(flags.parsed("--tolerance", tolerance), Ok(Some(0.1)));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for (list, expected) in [
            (&["--tolerance", "-1"][..], "--tolerance must be"),
            (&["--baseline"], "--baseline needs"),
            (&["--bogus"], "unknown argument --bogus"),
            (&["--canary", "c.txt"], "--baseline FILE is required"),
            (&["--baseline", "b.txt"], "--canary FILE is required"),
        ] {
            match run(&args(list)) {
                Err(Failure::Usage(message)) => assert!(message.contains(expected), "{message}"),
                other => panic!("{list:?}: {other:?}"),
            }
        }
        assert!(run(&args(&["--help"])).unwrap().contains("Exit status"));
    }
}
