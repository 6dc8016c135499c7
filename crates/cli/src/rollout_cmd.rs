//! `lab rollout run`: a rollout spec played against simulated versions, headless, as the rollouts
//! lab plays it (`lab::rollout_lab`): the stable version serves, the new revision is deployed at
//! tick 0, and the controller the spec names (Argo Rollouts or Flagger) takes it through its steps
//! and analysis. Prints the timeline (steps, weights, phases), every measurement, and the final
//! phase and weight.

use crate::args::{parse_flags, FlagSpec, Operands};
use lab::rng::{Rng, Seed};
use lab::rollout_lab::command::{NarrationKind, RolloutCommand, RolloutEvent, VersionBehaviour};
use lab::rollout_lab::glue::clock;
use lab::rollout_lab::{parse_spec, RolloutLab, TICK_MS};
use serde_json::{json, Value as Json};

pub const HELP: &str = "\
usage: lab rollout run SPEC.yaml [--version NAME=KEY:VALUE,...]... [--ticks N] [--seed S]
                       [--format json|table]

Plays SPEC.yaml (an Argo Rollout or a Flagger Canary, with its AnalysisTemplates, several
documents separated by ---) against simulated model versions serving 20 requests/s from 2,000
users, one tick being 10 s of rollout time, as the Flowlab rollouts lab does.

Versions:
  With no --version, v1 is the stable version and v2 the new revision, both behaving as the
  lab's baseline (p50 80 ms, p99 300 ms, 0.5% errors, quality 0.9). With one --version, it is
  the new revision (v1 stays stable). With two, the first is the stable version and the second
  the new revision, deployed at tick 0.

  --version NAME=KEY:VALUE,...   NAME is 1-20 of a-z 0-9 -; keys (any subset, the rest as the
                                 baseline):
      error:RATE     the 5xx rate: a fraction (0.02) or a percentage (2%)
      p50_ms:MS      median latency in milliseconds
      p99_ms:MS      99th-percentile latency in milliseconds (at least the median)
      quality:Q      fraction of right predictions, 0 to 1 (or a percentage, 85%)
      decay:Q        quality lost per hour, a fraction (0.05) or percentage points (5%)
  The bundled example specs pass `version: v2` to their analysis templates: name the new
  revision v2 (or edit the spec's args) for the analysis to measure it.

  --ticks N        ticks to play (10 s each). Default: until the rollout is Healthy or Degraded,
                   or Paused waiting for a human (a pause with no duration, an inconclusive
                   analysis, a Flagger gate: nobody promotes here), at most 360 (one hour).
  --seed S         the simulation's seed (default 1): the same seed gives the same output
  --format F       json (default) or table

JSON output (one object):
  {\"ticks\": N, \"tick_ms\": 10000, \"stable\": ..., \"revision\": ..., \"strategy\": ...,
   \"timeline\": [{\"tick\", \"t_ms\", \"time\", \"kind\", \"event\", \"step\", \"set_weight\",
                 \"actual_weight\", \"phase\"}...],
   \"measurements\": [{\"t_ms\", \"run\", \"metric\", \"phase\", \"value\", \"message\"}...],
   \"final_phase\": \"Healthy\" | \"Degraded\" | \"Paused\" | \"Progressing\", \"final_weight\": W,
   \"final_detail\": ...}
  A timeline entry is one event (step started, weight set, paused, analysis finished, aborted,
  promoted, alert, drift check...) with the step index (null when none), the canary weight set and
  reached, and the phase after the tick it happened in. Measurements are Argo's (phase
  Successful | Failed | Inconclusive | Error, value as Argo prints it, e.g. \"[0.97]\") or, for
  Flagger, each pass's metric checks (Successful or Failed, run \"flagger\").

Exit status: 0 after the run (whatever the rollout's outcome); 1 for a spec that does not parse
(every error on standard error as SPEC.yaml:LINE:COLUMN: message, then its hint) or a bad
--version (with a hint); 2 for a usage error (an unknown option, no spec, an unreadable file).";

/// Ticks played at most when `--ticks` is not given: one hour.
pub const DEFAULT_TICKS_MAX: u64 = 360;

/// Why the command stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Exit code 2.
    Usage(String),
    /// Exit code 1: the message (several lines for several spec errors).
    Invalid(String),
}

struct Options {
    spec_path: String,
    versions: Vec<(String, VersionBehaviour)>,
    ticks: Option<u64>,
    seed: u64,
    table: bool,
}

/// `lab rollout ...`.
pub fn run(args: &[String]) -> Result<String, Failure> {
    match args.first().map(String::as_str) {
        Some("run") => run_spec(&args[1..]),
        Some("--help" | "-h" | "help") | None => Ok(format!("{HELP}\n")),
        Some(other) => Err(Failure::Usage(format!(
            "unknown rollout command \"{other}\" (try lab rollout run SPEC.yaml, or lab rollout --help)"
        ))),
    }
}

/// `lab rollout run`'s flags; its operand is the spec file.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--version", Some("NAME=KEY:VALUE,...")),
        ("--ticks", Some("a number of ticks")),
        ("--seed", Some("a number")),
        ("--format", Some("json or table")),
    ],
    operands: Operands::Taken {
        flag_prefix: "--",
        after_double_dash: false,
    },
    help_ends_reading: true,
    help_word: false,
    unknown: |arg| format!("unknown option {} (see lab rollout --help)", arg.flag),
};

fn options(args: &[String]) -> Result<Options, Failure> {
    let flags = parse_flags(args, &FLAGS).map_err(Failure::Usage)?;
    if flags.help {
        return Err(Failure::Usage(HELP.to_string()));
    }
    let versions = flags
        .values("--version")
        .map(version)
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::Invalid)?;
    let ticks = flags.parsed("--ticks", |text| {
        text.parse::<u64>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| Failure::Usage(format!("--ticks takes 1 to 100000, not \"{text}\"")))
    })?;
    let seed = flags
        .parsed("--seed", |text| {
            text.parse()
                .map_err(|_| Failure::Usage(format!("--seed takes a whole number, not \"{text}\"")))
        })?
        .unwrap_or(1);
    let table = flags
        .parsed("--format", |text| match text {
            "json" => Ok(false),
            "table" => Ok(true),
            _ => Err(Failure::Usage(format!(
                "--format must be json or table, not \"{text}\""
            ))),
        })?
        .unwrap_or(false);
    if let Some(second) = flags.operands.get(1) {
        return Err(Failure::Usage(format!(
            "one spec file only: \"{second}\" is a second one"
        )));
    }
    let spec_path = flags.operands.into_iter().next();
    if versions.len() > 2 {
        return Err(Failure::Invalid(
            "at most two --version: the stable version and the new revision\nhint: give the new revision alone, or the stable version then the new revision".into(),
        ));
    }
    Ok(Options {
        spec_path: spec_path.ok_or_else(|| {
            Failure::Usage(
                "no spec given: lab rollout run SPEC.yaml (see lab rollout --help)".into(),
            )
        })?,
        versions,
        ticks,
        seed,
        table,
    })
}

/// A fraction (0.02) or a percentage (2%) as a fraction in 0..=1.
fn fraction(text: &str, key: &str) -> Result<f64, String> {
    let (number, scale) = match text.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (text, 1.0),
    };
    let value = number
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v / scale)
        .ok_or_else(|| format!("{key}:{text} is not a number\nhint: write a fraction such as {key}:0.02 or a percentage such as {key}:2%"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "{key}:{text} is outside 0 to 1\nhint: a fraction runs from 0 to 1 (0.02), a percentage from 0% to 100% (2%)"
        ));
    }
    Ok(value)
}

fn milliseconds(text: &str, key: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|ms| *ms > 0)
        .ok_or_else(|| {
            format!(
                "{key}:{text} is not a latency\nhint: give whole milliseconds, such as {key}:900"
            )
        })
}

/// `NAME=KEY:VALUE,...`.
fn version(text: &str) -> Result<(String, VersionBehaviour), String> {
    let (name, keys) = text.split_once('=').unwrap_or((text, ""));
    let mut b = VersionBehaviour::BASELINE;
    let mut p99_given = false;
    for pair in keys.split(',').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(':').ok_or_else(|| {
            format!("--version {text}: \"{pair}\" is not KEY:VALUE\nhint: such as --version v2=error:0.02,p99_ms:900")
        })?;
        match key {
            "error" => b.error_rate_basis_points = (fraction(value, key)? * 10_000.0).round() as u32,
            "quality" => b.quality_permille = (fraction(value, key)? * 1_000.0).round() as u16,
            "decay" => {
                b.quality_decay_permille_per_hour = (fraction(value, key)? * 1_000.0).round() as u16
            }
            "p50_ms" => b.median_ms = milliseconds(value, key)?,
            "p99_ms" => {
                b.p99_ms = milliseconds(value, key)?;
                p99_given = true;
            }
            _ => {
                return Err(format!(
                    "--version {text}: unknown key \"{key}\"\nhint: use error, p50_ms, p99_ms, quality or decay"
                ))
            }
        }
    }
    if !p99_given && b.p99_ms < b.median_ms {
        b.p99_ms = b.median_ms.saturating_mul(4);
    }
    b.check()
        .map_err(|(message, hint)| format!("--version {text}: {message}\nhint: {hint}"))?;
    Ok((name.to_string(), b))
}

/// The spec's errors as SPEC:LINE:COLUMN lines.
fn spec_errors(path: &str, yaml: &str) -> Result<(), Failure> {
    parse_spec(yaml).map(|_| ()).map_err(|errors| {
        Failure::Invalid(
            errors
                .iter()
                .map(|e| {
                    format!(
                        "{path}:{}:{}: {}\n  hint: {}",
                        e.line, e.column, e.message, e.hint
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

fn refused((message, hint): (String, String)) -> Failure {
    Failure::Invalid(format!("{message}\nhint: {hint}"))
}

fn run_spec(args: &[String]) -> Result<String, Failure> {
    let options = options(args)?;
    let yaml = std::fs::read_to_string(&options.spec_path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", options.spec_path)))?;
    spec_errors(&options.spec_path, &yaml)?;
    let baseline = ("v1".to_string(), VersionBehaviour::BASELINE);
    let (stable, revision) = match options.versions.as_slice() {
        [] => (baseline, ("v2".to_string(), VersionBehaviour::BASELINE)),
        [new] => (baseline, new.clone()),
        [old, new, ..] => (old.clone(), new.clone()),
    };
    if stable.0 == revision.0 {
        return Err(Failure::Invalid(format!(
            "the stable version and the new revision are both {}\nhint: name the new revision differently, such as v2",
            stable.0
        )));
    }
    let rng = Rng::new(Seed(options.seed)).fork("rollouts");
    let mut lab = RolloutLab::with_stable(rng, &stable.0, stable.1).map_err(refused)?;
    lab.apply(&RolloutCommand::ApplySpec { yaml })
        .map_err(refused)?;
    let deployed = lab
        .apply(&RolloutCommand::Deploy {
            version: revision.0.clone(),
            behaviour: revision.1,
        })
        .map_err(refused)?;
    let mut timeline: Vec<Json> = Vec::new();
    let mut record = |lab: &RolloutLab, tick: u64, events: &[RolloutEvent]| {
        let strip = lab.steps();
        // Drift checks are the monitor's, not the rollout's: the lab's timeline has them.
        for e in events.iter().filter(|e| e.kind != NarrationKind::Drift) {
            timeline.push(json!({
                "tick": tick,
                "t_ms": e.t_ms,
                "time": clock(e.t_ms),
                "kind": e.kind.as_str(),
                "event": e.text,
                "step": strip.current,
                "set_weight": strip.set_weight_percent,
                "actual_weight": strip.actual_weight_percent,
                "phase": strip.phase,
            }));
        }
    };
    record(&lab, 0, &deployed);
    let limit = options.ticks.unwrap_or(DEFAULT_TICKS_MAX);
    let mut played = 0;
    while played < limit {
        let events = lab.tick();
        played += 1;
        record(&lab, played, &events);
        let strip = lab.steps();
        let finished = matches!(strip.phase, "Healthy" | "Degraded")
            || (strip.phase == "Paused" && strip.waiting_for_promote);
        if options.ticks.is_none() && finished {
            break;
        }
    }
    let strip = lab.steps();
    let report = json!({
        "ticks": played,
        "tick_ms": TICK_MS,
        "stable": stable.0,
        "revision": revision.0,
        "strategy": lab.strategy(),
        "timeline": timeline,
        "measurements": measurements(&lab),
        "final_phase": strip.phase,
        "final_weight": strip.actual_weight_percent,
        "final_detail": strip.detail,
    });
    Ok(if options.table {
        table(&report)
    } else {
        format!("{report}\n")
    })
}

fn measurements(lab: &RolloutLab) -> Vec<Json> {
    let mut out: Vec<Json> = lab
        .analysis_runs()
        .iter()
        .flat_map(|record| {
            record.run.metrics().iter().flat_map(move |metric| {
                metric.measurements.iter().map(move |m| {
                    json!({
                        "t_ms": m.started_at.0,
                        "run": record.run.name(),
                        "metric": metric.spec.name,
                        "phase": m.phase.as_str(),
                        "value": m.value,
                        "message": m.message,
                    })
                })
            })
        })
        .collect();
    out.extend(lab.flagger_checks().iter().map(|c| {
        json!({
            "t_ms": c.t_ms,
            "run": "flagger",
            "metric": c.metric,
            "phase": if c.ok { "Successful" } else { "Failed" },
            "value": c.value.map_or_else(|| "[]".to_string(), |v| format!("[{v}]")),
            "message": if c.value.is_none() { "no values found" } else { "" },
        })
    }));
    out.sort_by_key(|m| m["t_ms"].as_u64().unwrap_or(0));
    out
}

/// The report as aligned text: the timeline, then the measurements, then the outcome.
fn table(report: &Json) -> String {
    let mut out = String::from("TIME     PHASE        STEP  WEIGHT    EVENT\n");
    let empty = Vec::new();
    for e in report["timeline"].as_array().unwrap_or(&empty) {
        let step = e["step"]
            .as_u64()
            .map_or("-".to_string(), |s| s.to_string());
        let weight = format!("{}/{}", e["set_weight"], e["actual_weight"]);
        out.push_str(&format!(
            "{:<8} {:<12} {:<5} {:<9} {}\n",
            e["time"].as_str().unwrap_or(""),
            e["phase"].as_str().unwrap_or(""),
            step,
            weight,
            e["event"].as_str().unwrap_or("")
        ));
    }
    out.push_str("\nTIME     RUN                METRIC             PHASE         VALUE\n");
    for m in report["measurements"].as_array().unwrap_or(&empty) {
        out.push_str(&format!(
            "{:<8} {:<18} {:<18} {:<13} {}\n",
            clock(m["t_ms"].as_u64().unwrap_or(0)),
            m["run"].as_str().unwrap_or(""),
            m["metric"].as_str().unwrap_or(""),
            m["phase"].as_str().unwrap_or(""),
            m["value"].as_str().unwrap_or("")
        ));
    }
    out.push_str(&format!(
        "\nfinal phase {} ({}), weight {}%, after {} ticks\n",
        report["final_phase"].as_str().unwrap_or(""),
        report["final_detail"].as_str().unwrap_or(""),
        report["final_weight"],
        report["ticks"]
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_fractions_and_percentages() {
        let (name, b) = version("v2=error:0.02,p99_ms:900,quality:85%,decay:0.05").unwrap();
        assert_eq!(name, "v2");
        assert_eq!(b.error_rate_basis_points, 200);
        assert_eq!(b.p99_ms, 900);
        assert_eq!(b.quality_permille, 850);
        assert_eq!(b.quality_decay_permille_per_hour, 50);
        assert_eq!(
            version("v2=error:2%").unwrap().1.error_rate_basis_points,
            200
        );
        assert_eq!(version("v3").unwrap().1, VersionBehaviour::BASELINE);
        for (bad, words) in [
            ("v2=error:2", "outside 0 to 1"),
            ("v2=speed:1", "unknown key"),
            ("v2=p99_ms:10", "p99"),
            ("v2=error", "not KEY:VALUE"),
        ] {
            let message = version(bad).unwrap_err();
            assert!(
                message.contains(words) && message.contains("hint"),
                "{bad}: {message}"
            );
        }
    }
}
