//! The pipeline world in lessons: its steps (lines of the steps language), the `pipeline.FIELD`
//! goal metrics (all answered from tick 0), and how the journal and the trace tell its commands
//! and events.
//!
//! ```text
//! pipe-crash-job                     # the stream job crashes (pipe-restart-job restarts it)
//! pipe-slow-job 5                    # at most 5 records per partition and tick (or: off)
//! pipe-push off                      # stop pushing to the online store (or: on)
//! pipe-ttl 60s                       # serving reads older values as NULL
//! pipe-delay 2s                      # the job's watermark delay (redeploys it)
//! pipe-skew clicks 300%              # the online computation of a feature (or: off)
//! pipe-train v3 point-in-time        # or leaky
//! pipe-deploy v2                     # release a model through the rollout
//! pipe-threshold 0.85                # the analysis's quality threshold
//! pipe-strategy canary               # or bluegreen
//! pipe-acks 1                        # the clicks producer's acks (or: all)
//! ```

use super::command::{PipelineCommand, PipelineEvent, SkewFeature, Strategy, TrainJoin};
use super::{PipelineLab, CLICKS_PRODUCER};
use crate::broker::cluster::BrokerCommand;
use crate::broker::producer::{Acks, ProducerConfig};
use crate::metric::{field, flag, plain, things, Field, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;

/// "85.0%" for 850 permille.
pub fn permille_text(permille: u16) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

/// "+9.5" or "-2.0" percentage points for a difference in permille.
pub fn signed_permille_text(permille: i32) -> String {
    let sign = if permille < 0 { "-" } else { "+" };
    let m = permille.unsigned_abs();
    format!("{sign}{}.{}", m / 10, m % 10)
}

/// "2 s" or "500 ms".
pub fn ms_text(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// A duration such as `60s`, `500ms` or `2m`, in milliseconds.
fn duration_ms(text: &str) -> Result<u64, String> {
    let bad = || format!("\"{text}\" is not a duration: write it as 500ms, 2s or 1m");
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        return Err(bad());
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(bad)
}

fn one_word<'a>(words: &[&'a str], verb: &str, what: &str) -> Result<&'a str, String> {
    match words {
        [word] => Ok(word),
        [] => Err(format!("{verb} needs {what}")),
        _ => Err(format!("too many words for \"{verb}\"")),
    }
}

fn on_off(word: &str, verb: &str) -> Result<bool, String> {
    match word {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{verb} takes on or off")),
    }
}

fn command_for(verb: &str, words: &[&str]) -> Result<Command, String> {
    let bare = |command: PipelineCommand| {
        if words.is_empty() {
            Ok(Command::Pipeline(command))
        } else {
            Err(format!("\"{verb}\" takes nothing more"))
        }
    };
    let pipe = |command: PipelineCommand| Ok(Command::Pipeline(command));
    match verb {
        "pipe-crash-job" => bare(PipelineCommand::CrashJob),
        "pipe-restart-job" => bare(PipelineCommand::RestartJob),
        "pipe-slow-job" => {
            let word = one_word(words, verb, "a number of records per tick, or off")?;
            pipe(PipelineCommand::SlowJob {
                records_per_tick: match word {
                    "off" => None,
                    n => Some(
                        n.parse()
                            .map_err(|_| format!("\"{n}\" is not a number of records (or off)"))?,
                    ),
                },
            })
        }
        "pipe-push" => pipe(PipelineCommand::SetPush {
            on: on_off(one_word(words, verb, "on or off")?, verb)?,
        }),
        "pipe-ttl" => {
            let ms = duration_ms(one_word(words, verb, "a duration such as 60s")?)?;
            if !ms.is_multiple_of(1000) {
                return Err("a TTL is whole seconds, such as 60s".into());
            }
            pipe(PipelineCommand::SetTtl {
                seconds: u32::try_from(ms / 1000).map_err(|_| "that TTL is too long")?,
            })
        }
        "pipe-delay" => pipe(PipelineCommand::SetWatermarkDelay {
            ms: u32::try_from(duration_ms(one_word(
                words,
                verb,
                "a duration such as 2s",
            )?)?)
            .map_err(|_| "that delay is too long")?,
        }),
        "pipe-skew" => {
            let [feature, factor] = words else {
                return Err("pipe-skew needs a feature and a factor, such as clicks 300%".into());
            };
            let feature = SkewFeature::from_name(feature).ok_or_else(|| {
                format!("there is no feature \"{feature}\"; use clicks or amount")
            })?;
            let factor_percent = match *factor {
                "off" => 100,
                f => f
                    .strip_suffix('%')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("\"{f}\" is not a percentage such as 300%, or off"))?,
            };
            pipe(PipelineCommand::SetSkew {
                feature,
                factor_percent,
            })
        }
        "pipe-train" => {
            let [name, join] = words else {
                return Err("pipe-train needs a name and a join, such as v3 point-in-time".into());
            };
            let join = match *join {
                "point-in-time" => TrainJoin::PointInTime,
                "leaky" => TrainJoin::Leaky,
                other => {
                    return Err(format!(
                        "\"{other}\" is not a join; use point-in-time or leaky"
                    ))
                }
            };
            pipe(PipelineCommand::Train {
                name: name.to_string(),
                join,
            })
        }
        "pipe-deploy" => pipe(PipelineCommand::Deploy {
            name: one_word(words, verb, "a model, such as v2")?.to_string(),
        }),
        "pipe-threshold" => {
            let word = one_word(words, verb, "a quality such as 0.85")?;
            let value: f64 = word
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (0.0..=1.0).contains(v))
                .ok_or_else(|| format!("\"{word}\" is not a quality between 0 and 1"))?;
            pipe(PipelineCommand::SetThreshold {
                permille: (value * 1000.0).round() as u16,
            })
        }
        "pipe-strategy" => pipe(PipelineCommand::SetStrategy {
            strategy: match one_word(words, verb, "canary or bluegreen")? {
                "canary" => Strategy::Canary,
                "bluegreen" => Strategy::BlueGreen,
                other => return Err(format!("\"{other}\" is not canary or bluegreen")),
            },
        }),
        "pipe-acks" => {
            // Idempotence needs acks=all, so acks=1 turns it off (as a producer's config must).
            let config = match one_word(words, verb, "1 or all")? {
                "1" => ProducerConfig {
                    acks: Acks::One,
                    idempotence: false,
                    ..ProducerConfig::default()
                },
                "all" => ProducerConfig::default(),
                other => return Err(format!("\"{other}\" is not 1 or all")),
            };
            Ok(Command::Broker(BrokerCommand::SetProducerConfig {
                producer: CLICKS_PRODUCER,
                config,
            }))
        }
        _ => Err(String::new()),
    }
}

/// Parses a pipeline step (`verb` and the rest of its line), or `None` when `verb` is not one.
pub(crate) fn parse_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match command_for(verb, &words) {
        Err(e) if e.is_empty() => None,
        other => Some(other.map(Step::Lab)),
    }
}

/// How the journal tells a command.
pub fn describe_command(command: &PipelineCommand) -> String {
    match command {
        PipelineCommand::CrashJob => "crash the stream job".into(),
        PipelineCommand::RestartJob => "restart the stream job".into(),
        PipelineCommand::SlowJob { records_per_tick } => match records_per_tick {
            Some(n) => format!("slow the job to {n} records per partition and tick"),
            None => "the job at full speed".into(),
        },
        PipelineCommand::SetPush { on } => {
            format!(
                "push to the online store {}",
                if *on { "on" } else { "off" }
            )
        }
        PipelineCommand::SetTtl { seconds } => format!("serving TTL {seconds} s"),
        PipelineCommand::SetWatermarkDelay { ms } => {
            format!("watermark delay {}", ms_text(u64::from(*ms)))
        }
        PipelineCommand::SetSkew {
            feature,
            factor_percent,
        } => format!("online {} at {factor_percent}%", feature.name()),
        PipelineCommand::Train { name, join } => format!("train {name} ({})", join.name()),
        PipelineCommand::Deploy { name } => format!("deploy {name}"),
        PipelineCommand::SetThreshold { permille } => {
            format!("quality threshold {}", permille_text(*permille))
        }
        PipelineCommand::SetStrategy { strategy } => format!("strategy {}", strategy.name()),
    }
}

/// How the trace tells an event.
pub fn describe_event(event: &PipelineEvent) -> String {
    event.text.clone()
}

const fn clicks(noun: &'static str) -> Words {
    things(noun, "click", "clicks")
}

/// Fields of `pipeline.FIELD`.
pub const PIPELINE_FIELDS: &[Field] = &[
    field("clicks_sent", clicks("the clicks sent")),
    field(
        "clicks_lost",
        clicks("the acknowledged clicks the topic lost"),
    ),
    field("job_running", flag("the job runs", "the job is down")),
    field(
        "job_lag_records",
        things("the job's lag", "record", "records"),
    ),
    field(
        "job_watermark_lag_ms",
        plain("how far the job's watermark is behind, in ms"),
    ),
    field("job_checkpoints", plain("the job's completed checkpoints")),
    field(
        "features_pushed",
        things("the feature rows the job wrote", "row", "rows"),
    ),
    field(
        "push_on",
        flag(
            "the job pushes to the online store",
            "the job does not push to the online store",
        ),
    ),
    field(
        "push_off_ms",
        plain("how long the push to the online store was off, in ms"),
    ),
    field(
        "feature_age_ms",
        plain("the oldest feature in the online store, in ms"),
    ),
    field(
        "feature_age_mean_ms",
        plain("the mean age of the online features, in ms"),
    ),
    field(
        "stale_users",
        things("the users with stale features", "user", "users"),
    ),
    field("ttl_ms", plain("the serving TTL, in ms")),
    field("offline_rows", things("the offline log", "row", "rows")),
    field(
        "requests_scored",
        things("the requests scored", "request", "requests"),
    ),
    field(
        "v1_quality_permille",
        plain("v1's measured quality, in permille"),
    ),
    field(
        "v2_quality_permille",
        plain("v2's measured quality, in permille"),
    ),
    field(
        "stable_quality_permille",
        plain("the stable version's measured quality, in permille"),
    ),
    field(
        "stable_trained",
        plain("how the stable version was trained (0 not in the lab, 1 point-in-time, 2 leaky)"),
    ),
    field(
        "candidate_quality_permille",
        plain("the candidate's measured quality, in permille (0 without one)"),
    ),
    field(
        "candidate_deployed",
        flag(
            "a candidate is being released",
            "no candidate is being released",
        ),
    ),
    field(
        "canary_weight_percent",
        plain("the candidate's share of traffic, in percent"),
    ),
    field("rollout_aborts", plain("the releases aborted")),
    field("rollout_completed", plain("the releases completed")),
    field(
        "ab_p_value_x1e6",
        plain("the experiment's p-value, in millionths"),
    ),
    field(
        "ab_lift_permille",
        plain("the candidate's accuracy minus the stable version's, in permille"),
    ),
    field(
        "ab_decision",
        plain("the experiment's decision (0 keep running, 1 ship, 2 stop)"),
    ),
    field("trained_models", plain("the models trained in the lab")),
    field(
        "last_train_offline_accuracy_permille",
        plain("the offline accuracy of the model trained last, in permille"),
    ),
    field(
        "last_train_offline_auc_permille",
        plain("the offline AUC of the model trained last, in permille"),
    ),
    field(
        "skew_percent",
        plain("the online clicks computation, in percent of training's"),
    ),
    field(
        "threshold_permille",
        plain("the analysis's quality threshold, in permille"),
    ),
];

fn quality(p: &PipelineLab, name: &str) -> i64 {
    p.models
        .get(name)
        .and_then(|m| m.quality_permille)
        .map_or(0, i64::from)
}

/// The value of `pipeline.FIELD`, or None outside the pipeline preset.
pub fn pipeline_value(lab: &Lab, name: &str) -> Option<i64> {
    let p = lab.pipeline()?;
    let rollouts = lab.rollouts()?;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let (age_max, age_mean) = super::series::ages(&p.freshness);
    let strip = rollouts.steps();
    let reading = p.reading.view();
    let last_trained = p.last_trained().and_then(|m| m.offline);
    Some(match name {
        "clicks_sent" => n(p.clicks_sent),
        "clicks_lost" => n(p.graph.clicks_lost),
        "job_running" => i64::from(p.job.is_running()),
        "job_lag_records" => n(p.graph.job_lag_records),
        "job_watermark_lag_ms" => n(p.graph.watermark_lag_ms.unwrap_or(0)),
        "job_checkpoints" => n(p.job.job().stats().checkpoints),
        "features_pushed" => n(p.features_pushed),
        "push_on" => i64::from(p.settings.push_on),
        "push_off_ms" => n(p.push_off_ms()),
        "feature_age_ms" => n(age_max.unwrap_or(0)),
        "feature_age_mean_ms" => n(age_mean.unwrap_or(0)),
        "stale_users" => n(p.freshness.iter().filter(|f| f.stale).count() as u64),
        "ttl_ms" => i64::from(p.settings.ttl_seconds) * 1000,
        "offline_rows" => n(lab
            .features()?
            .sources()
            .get(crate::stream_lab::PUSH_VIEW)
            .map_or(0, |v| v.rows.len() as u64)),
        "requests_scored" => n(p.requests_scored),
        "v1_quality_permille" => quality(p, "v1"),
        "v2_quality_permille" => quality(p, "v2"),
        "stable_quality_permille" => quality(p, &strip.stable),
        "stable_trained" => match p.models.get(&strip.stable).and_then(|m| m.trained_on) {
            None => 0,
            Some(TrainJoin::PointInTime) => 1,
            Some(TrainJoin::Leaky) => 2,
        },
        "candidate_quality_permille" => strip.candidate.as_deref().map_or(0, |c| quality(p, c)),
        "candidate_deployed" => i64::from(strip.candidate.is_some()),
        "canary_weight_percent" => i64::from(rollouts.plan().canary_weight_percent),
        "rollout_aborts" => n(rollouts.tallies().aborts),
        "rollout_completed" => n(rollouts.tallies().completed),
        "ab_p_value_x1e6" => reading.map_or(1_000_000, |r| (r.p_value * 1e6).floor() as i64),
        "ab_lift_permille" => reading.map_or(0, |r| i64::from(r.lift_permille)),
        "ab_decision" => reading.map_or(0, |r| r.decision.code()),
        "trained_models" => n(p.models.values().filter(|m| m.trained_on.is_some()).count() as u64),
        "last_train_offline_accuracy_permille" => {
            last_trained.map_or(0, |o| i64::from(o.accuracy_permille))
        }
        "last_train_offline_auc_permille" => last_trained.map_or(0, |o| i64::from(o.auc_permille)),
        "skew_percent" => i64::from(p.settings.skew_percent[SkewFeature::Clicks.index()]),
        "threshold_permille" => i64::from(p.settings.threshold_permille),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LabConfig, Preset};
    use sim::rng::Seed;

    #[test]
    fn every_field_has_a_value_from_tick_zero() {
        let lab = Lab::new(&LabConfig {
            seed: Seed(1),
            preset: Preset::Pipeline,
        });
        for f in PIPELINE_FIELDS {
            assert!(pipeline_value(&lab, f.name).is_some(), "{}", f.name);
        }
        assert_eq!(pipeline_value(&lab, "nope"), None);
    }

    #[test]
    fn steps_parse_into_commands_and_bad_lines_explain() {
        let ok = [
            "pipe-crash-job",
            "pipe-slow-job 5",
            "pipe-slow-job off",
            "pipe-push off",
            "pipe-ttl 60s",
            "pipe-delay 500ms",
            "pipe-skew clicks 300%",
            "pipe-skew amount off",
            "pipe-train v3 leaky",
            "pipe-deploy v2",
            "pipe-threshold 0.9",
            "pipe-strategy bluegreen",
            "pipe-acks 1",
        ];
        for line in ok {
            let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
            assert!(matches!(parse_step(verb, rest), Some(Ok(_))), "{line}");
        }
        for line in [
            "pipe-ttl 1.5s",
            "pipe-skew speed 2%",
            "pipe-train v3 sometimes",
            "pipe-threshold 2",
            "pipe-crash-job now",
        ] {
            let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
            assert!(
                matches!(parse_step(verb, rest), Some(Err(e)) if !e.is_empty()),
                "{line}"
            );
        }
        assert!(parse_step("tick", "5").is_none());
    }
}
