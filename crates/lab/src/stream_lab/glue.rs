//! The streaming lab in lessons: its steps (lines of the steps language), the `stream.FIELD`
//! goal metrics, and how the journal and the trace tell its commands and events.
//!
//! ```text
//! click u3 at=00:00:12 partition=0 page=home amount=5   # a click by hand, event time 00:00:12
//! generator 4 disorder=2s        # 4 clicks per second per partition, up to 2 s out of order (0 stops it)
//! pause-partition 1              # partition 1 gets no more clicks (resume-partition 1)
//! window tumble 10s              # or: window hop 10s 5s (size, slide), window session 5s; time=arrival
//! query SELECT ... FROM TUMBLE(clicks, event_time, INTERVAL '10' SECOND) GROUP BY ...
//! watermark-delay 2s             # 0s, 500ms, 2s, 1m
//! lateness 5s                    # allowed lateness
//! idle-timeout 5s                # or none
//! emit final                     # on-close (the default), final, changes, complete
//! guarantee exactly-once         # or at-least-once (the default)
//! checkpoint-every 10s
//! crash-job                      # also: restart-job
//! join-bounds -30s 5m            # interval join: checkouts from 30 s before to 5 min after a view
//! table-join event-time          # the stream-table join as of event time (or processing-time)
//! sample-wait 900s               # the training samples' label wait (1s to 30m)
//! expect non_negative_amount drop  # a medallion expectation's action: warn, drop or fail
//! samples-to-topic on            # the samples pipeline writes to the samples topic (or off)
//! bronze-topic on                # the order feed goes to the orders_bronze topic, the medallion reads it (or off)
//! ```
//!
//! Times in `at=` are on the lab's first day (2024-01-01), where tick 0 is midnight and a tick is
//! 0.1 s; a full timestamp works too.

use super::command::{StreamCommand, StreamEvent};
use super::joins_lab::signed_seconds;
use super::{guarantee_name, seconds, StreamLab, CLICKS_PARTITIONS, CLICKS_TOPIC, PUSH_VIEW};
use crate::metric::{field, flag, things, Field, Unit, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;
use crate::streaming::aggregate::{EmitMode, FiringKind};
use crate::streaming::delivery::Guarantee;
use crate::streaming::join::JoinTime;
use crate::streaming::value::{DurationUs, TimeUs, US_PER_SECOND};
use crate::topics::EPOCH_MICROS;

/// Parses a streaming step (`verb` and the rest of its line), or `None` when `verb` is not one.
pub(crate) fn parse_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| !w.contains('='))
        .collect();
    let option = |key: &str| {
        rest.split_whitespace()
            .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    };
    let word = |i: usize, what: &str| -> Result<&str, String> {
        words
            .get(i)
            .copied()
            .ok_or_else(|| format!("\"{verb}\" needs {what}"))
    };
    let command = (|| -> Result<StreamCommand, String> {
        Ok(match verb {
            "click" => StreamCommand::SendClick {
                partition: match option("partition") {
                    Some(p) => p
                        .parse()
                        .map_err(|_| format!("partition={p} is not a partition number"))?,
                    None => 0,
                },
                user: word(0, "a user id")?.to_string(),
                page: option("page").unwrap_or("home").to_string(),
                amount: match option("amount") {
                    Some(a) => a
                        .parse()
                        .map_err(|_| format!("amount={a} is not a whole number"))?,
                    None => 0,
                },
                event_time: event_time(
                    option("at").ok_or("click needs at=TIME, such as at=00:00:12")?,
                )?,
            },
            "generator" => StreamCommand::SetGenerator {
                clicks_per_second: word(0, "clicks per second per partition")?
                    .parse()
                    .map_err(|_| {
                        "generator takes a whole number of clicks per second".to_string()
                    })?,
                max_delay: option("disorder").map_or(Ok(DurationUs::from_seconds(1)), duration)?,
            },
            "pause-partition" | "resume-partition" => StreamCommand::SetPartitionPaused {
                partition: word(0, "a partition")?
                    .parse()
                    .map_err(|_| format!("\"{verb}\" takes a partition number"))?,
                paused: verb == "pause-partition",
            },
            "window" => StreamCommand::SetQuery {
                sql: window_query(&words, option("time").unwrap_or("event_time"))?,
            },
            "query" => StreamCommand::SetQuery {
                sql: rest.trim().to_string(),
            },
            "watermark-delay" => StreamCommand::SetWatermarkDelay {
                delay: duration(word(0, "a delay such as 2s")?)?,
            },
            "lateness" => StreamCommand::SetAllowedLateness {
                lateness: duration(word(0, "a lateness such as 5s")?)?,
            },
            "idle-timeout" => StreamCommand::SetIdleTimeout {
                timeout: match word(0, "a timeout such as 5s, or none")? {
                    "none" => None,
                    text => Some(duration(text)?),
                },
            },
            "emit" => StreamCommand::SetEmitMode {
                mode: EmitMode::parse(word(0, "a mode")?)
                    .ok_or("emit takes on-close, final, changes or complete".to_string())?,
            },
            "guarantee" => StreamCommand::SetGuarantee {
                guarantee: Guarantee::parse(word(0, "a guarantee")?)
                    .ok_or("guarantee takes at-least-once or exactly-once".to_string())?,
            },
            "checkpoint-every" => StreamCommand::SetCheckpointInterval {
                interval: duration(word(0, "an interval such as 10s")?)?,
            },
            "crash-job" => StreamCommand::CrashJob,
            "restart-job" => StreamCommand::RestartJob,
            "join-bounds" => StreamCommand::SetJoinBounds {
                lower: signed_duration(word(0, "a lower and an upper bound, such as -30s 5m")?)?,
                upper: signed_duration(word(1, "a lower and an upper bound, such as -30s 5m")?)?,
            },
            "table-join" => StreamCommand::SetTableJoinTime {
                event_time: match word(0, "event-time or processing-time")? {
                    "event-time" => true,
                    "processing-time" => false,
                    other => {
                        return Err(format!(
                            "table-join takes event-time or processing-time, not {other}"
                        ))
                    }
                },
            },
            "sample-wait" => StreamCommand::SetSampleWait {
                wait: duration(word(0, "a wait such as 900s")?)?,
            },
            "samples-to-topic" => StreamCommand::SamplesToTopic {
                on: match word(0, "on or off")? {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("samples-to-topic takes on or off, not {other}")),
                },
            },
            "bronze-topic" => StreamCommand::BronzeTopic {
                on: match word(0, "on or off")? {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("bronze-topic takes on or off, not {other}")),
                },
            },
            "expect" => StreamCommand::SetExpectationAction {
                expectation: word(0, "an expectation's name and an action")?.to_string(),
                action: crate::streaming::medallion::Action::parse(word(
                    1,
                    "an action (warn, drop or fail) after the expectation's name",
                )?)
                .map_err(|e| format!("{}: {}", e.message, e.hint))?,
            },
            _ => return Err(String::new()),
        })
    })();
    match command {
        Err(e) if e.is_empty() => None,
        Err(e) => Some(Err(e)),
        Ok(command) => Some(Ok(Step::Lab(Command::Stream(command)))),
    }
}

/// The query a `window` step stands for: the default query's shape with another window.
fn window_query(words: &[&str], time: &str) -> Result<String, String> {
    if !["event_time", "arrival"].contains(&time) {
        return Err(format!(
            "time={time} is not a time column of {CLICKS_TOPIC}: use event_time or arrival"
        ));
    }
    let interval = |text: &str| -> Result<String, String> {
        let d = duration(text)?;
        if d.0 <= 0 || d.0 % US_PER_SECOND != 0 {
            return Err(format!(
                "a window length is a whole number of seconds, not {text}"
            ));
        }
        Ok(format!("INTERVAL '{}' SECOND", d.0 / US_PER_SECOND))
    };
    let need = |i: usize, what: &str| {
        words
            .get(i)
            .copied()
            .ok_or_else(|| format!("\"window\" needs {what}"))
    };
    let tvf = match need(0, "tumble, hop or session")? {
        "tumble" => format!(
            "TUMBLE({CLICKS_TOPIC}, {time}, {})",
            interval(need(1, "a size")?)?
        ),
        "hop" => format!(
            "HOP({CLICKS_TOPIC}, {time}, {}, {})",
            interval(need(2, "a size and a slide")?)?,
            interval(need(1, "a size")?)?
        ),
        "session" => format!(
            "SESSION({CLICKS_TOPIC}, {time}, {})",
            interval(need(1, "a gap")?)?
        ),
        other => {
            return Err(format!(
                "\"{other}\" is not a window: use tumble, hop or session"
            ))
        }
    };
    Ok(format!(
        "SELECT window_start, window_end, user_id, count(*) AS clicks, sum(amount) AS amount\nFROM {tvf}\nGROUP BY window_start, window_end, user_id"
    ))
}

/// A duration as steps write it: `0s`, `500ms`, `2s`, `1m`, `1h`.
pub fn duration(text: &str) -> Result<DurationUs, String> {
    let bad = || format!("\"{text}\" is not a duration: write 0s, 500ms, 2s, 1m or 1h");
    let (number, us_per) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, US_PER_SECOND)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60 * US_PER_SECOND)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3_600 * US_PER_SECOND)
    } else {
        return Err(bad());
    };
    let n: i64 = number.parse().map_err(|_| bad())?;
    if !(0..=86_400 * US_PER_SECOND / us_per).contains(&n) {
        return Err(format!("{text} is out of range: give 0 to 24 hours"));
    }
    Ok(DurationUs(n * us_per))
}

/// A duration that may be negative, as interval bounds are written: `-30s`, `+5m`, `0s`.
pub fn signed_duration(text: &str) -> Result<DurationUs, String> {
    match text.strip_prefix('-') {
        Some(rest) => duration(rest).map(|d| DurationUs(-d.0)),
        None => duration(text.strip_prefix('+').unwrap_or(text)),
    }
}

/// An event time: `HH:MM:SS[.fff]` on the lab's first day, or a full timestamp.
pub fn event_time(text: &str) -> Result<TimeUs, String> {
    let full = if text.len() <= 12 && text.matches(':').count() == 2 {
        format!("2024-01-01 {text}")
    } else {
        text.to_string()
    };
    TimeUs::parse(&full)
        .ok_or_else(|| format!("\"{text}\" is not a time: write 00:00:12 or 2024-01-01T00:00:12"))
}

/// An instant as lessons show it: the time of day on the lab's first day, else the timestamp.
pub fn clock_time(t: TimeUs) -> String {
    let text = t.format();
    match text.strip_prefix("2024-01-01 ") {
        Some(time) => time.to_string(),
        None => text,
    }
}

/// How the journal tells a command.
pub fn describe_command(command: &StreamCommand) -> String {
    match command {
        StreamCommand::SendClick {
            partition,
            user,
            event_time,
            ..
        } => format!(
            "click by {user} at {} to partition {partition}",
            clock_time(*event_time)
        ),
        StreamCommand::SetGenerator {
            clicks_per_second: 0,
            ..
        } => "generator stopped".into(),
        StreamCommand::SetGenerator {
            clicks_per_second,
            max_delay,
        } => format!(
            "generator: {clicks_per_second} clicks/s per partition, up to {} out of order",
            seconds(*max_delay)
        ),
        StreamCommand::SetPartitionPaused { partition, paused } => {
            format!(
                "partition {partition} {}",
                if *paused { "paused" } else { "resumed" }
            )
        }
        StreamCommand::SetQuery { .. } => "new job query".into(),
        StreamCommand::SetWatermarkDelay { delay } => {
            format!("watermark delay {}", seconds(*delay))
        }
        StreamCommand::SetAllowedLateness { lateness } => {
            format!("allowed lateness {}", seconds(*lateness))
        }
        StreamCommand::SetIdleTimeout { timeout } => match timeout {
            Some(t) => format!("idleness timeout {}", seconds(*t)),
            None => "no idleness timeout".into(),
        },
        StreamCommand::SetEmitMode { mode } => format!("emit {}", mode.name()),
        StreamCommand::SetGuarantee { guarantee } => guarantee_name(*guarantee).into(),
        StreamCommand::SetCheckpointInterval { interval } => {
            format!("checkpoint every {}", seconds(*interval))
        }
        StreamCommand::CrashJob => "job crashed".into(),
        StreamCommand::RestartJob => "job restarted".into(),
        StreamCommand::SetJoinBounds { lower, upper } => format!(
            "interval join bounds {} to {}",
            signed_seconds(*lower),
            signed_seconds(*upper)
        ),
        StreamCommand::SetTableJoinTime { event_time } => table_join_name(*event_time).into(),
        StreamCommand::SetSampleWait { wait } => format!("sample label wait {}", seconds(*wait)),
        StreamCommand::SetExpectationAction {
            expectation,
            action,
        } => format!("expectation {expectation}: {}", action.name()),
        StreamCommand::SamplesToTopic { on } => format!(
            "training samples {} the samples topic",
            if *on {
                "written to"
            } else {
                "no longer written to"
            }
        ),
        StreamCommand::BronzeTopic { on } => format!(
            "order feed {} the orders_bronze topic",
            if *on {
                "produced to"
            } else {
                "no longer produced to"
            }
        ),
    }
}

/// How the trace tells an event.
pub fn describe_event(event: &StreamEvent) -> String {
    match event {
        StreamEvent::ClickSent {
            partition,
            user,
            event_time,
        } => format!(
            "{user} clicked at {} (partition {partition})",
            clock_time(*event_time)
        ),
        StreamEvent::GeneratorSet {
            clicks_per_second,
            max_delay,
        } => format!(
            "generator at {clicks_per_second} clicks/s per partition, disorder up to {}",
            seconds(*max_delay)
        ),
        StreamEvent::PartitionPaused { partition, paused } => format!(
            "partition {partition} {}",
            if *paused { "gets no more clicks" } else { "gets clicks again" }
        ),
        StreamEvent::JobRedeployed { what } => {
            format!("job redeployed ({what}): it reads the topic again from the earliest offset")
        }
        StreamEvent::JobCrashed => "the job's task failed: its state is gone".into(),
        StreamEvent::JobRestarted {
            checkpoint,
            rewound_records,
        } => format!(
            "the job restarted from checkpoint {checkpoint}, {rewound_records} records to read again"
        ),
        StreamEvent::CheckpointCompleted { checkpoint } => {
            format!("checkpoint {checkpoint} completed")
        }
        StreamEvent::JoinBoundsSet { lower, upper } => format!(
            "the interval join now matches checkouts from {} to {} around each product view",
            signed_seconds(*lower),
            signed_seconds(*upper)
        ),
        StreamEvent::TableJoinTimeSet { event_time } => {
            format!("the lab follows the {}", table_join_name(*event_time))
        }
        StreamEvent::SampleWaitSet { wait } => format!(
            "training samples now fix their label {} after the exposure",
            seconds(*wait)
        ),
        StreamEvent::ExpectationActionSet {
            expectation,
            action,
        } => format!("expectation {expectation} will {action} a violating row from the next update"),
        StreamEvent::SamplesToTopicSet { on } => {
            if *on {
                "each training sample now goes to the samples topic as the pipeline emits it".into()
            } else {
                "training samples no longer go to the samples topic".into()
            }
        }
        StreamEvent::BronzeTopicSet { on } => {
            if *on {
                "each order now goes to the orders_bronze topic as it arrives; the medallion reads it as group medallion".into()
            } else {
                "orders no longer go to the orders_bronze topic; the medallion reads what the topic holds".into()
            }
        }
    }
}

/// The stream-table join's name for a time mode.
pub fn table_join_name(event_time: bool) -> &'static str {
    if event_time {
        "stream-table join as of event time"
    } else {
        "stream-table join on processing time"
    }
}

/// Fields of `stream.FIELD`.
pub const STREAM_FIELDS: &[Field] = &[
    field(
        "watermark_s",
        things(
            "the job's watermark, in seconds after midnight",
            "second",
            "seconds",
        ),
    ),
    field(
        "rows_in",
        things("rows the job has taken in", "row", "rows"),
    ),
    field(
        "on_time",
        things("rows at or after the watermark", "row", "rows"),
    ),
    field(
        "late_accepted",
        things("late rows still counted in their windows", "row", "rows"),
    ),
    field(
        "late_dropped",
        things("late rows every window of which had closed", "row", "rows"),
    ),
    field(
        "partly_dropped",
        things("late rows some of whose windows had closed", "row", "rows"),
    ),
    field(
        "open_windows",
        things("windows held in state", "window", "windows"),
    ),
    field("fired", things("window results fired", "result", "results")),
    field(
        "window_updates",
        things(
            "output rows that update a window already written",
            "row",
            "rows",
        ),
    ),
    field(
        "retractions",
        things(
            "output rows that take back a window written before",
            "row",
            "rows",
        ),
    ),
    field(
        "by_arrival",
        flag(
            "the job cuts windows on arrival time (processing time)",
            "the job cuts windows on event time",
        ),
    ),
    field(
        "session_gap_s",
        things(
            "the session gap of the job's windows, in seconds (0 for tumbling and hopping windows)",
            "second",
            "seconds",
        ),
    ),
    field(
        "final_mode",
        flag(
            "the job writes each window once, when it closes for good",
            "the job may write a window before it closes for good",
        ),
    ),
    field(
        "uncommitted",
        things(
            "output rows waiting in the open transaction for the next checkpoint",
            "row",
            "rows",
        ),
    ),
    field(
        "checkpoint_every_s",
        things("the checkpoint interval, in seconds", "second", "seconds"),
    ),
    field(
        "sink_rows",
        things("rows the job wrote to its output", "row", "rows"),
    ),
    field(
        "duplicates",
        things("output rows written a second time", "row", "rows"),
    ),
    field(
        "checkpoints",
        things("completed checkpoints", "checkpoint", "checkpoints"),
    ),
    field(
        "restarts",
        things("restarts of the job", "restart", "restarts"),
    ),
    field("running", flag("the job is running", "the job is down")),
    field(
        "exactly_once",
        flag(
            "the job delivers exactly once",
            "the job delivers at least once",
        ),
    ),
    field(
        "clicks_sent",
        things("clicks sent to the topic", "click", "clicks"),
    ),
    field(
        "idle_partitions",
        things(
            "partitions the watermark leaves out as idle",
            "partition",
            "partitions",
        ),
    ),
    field(
        "lag",
        things(
            "committed records the job has not read yet",
            "record",
            "records",
        ),
    ),
    field(
        "freshness_s",
        things(
            "the age of the newest activity feature online, in seconds",
            "second",
            "seconds",
        ),
    ),
    field(
        "pushed",
        things("rows pushed to the user_activity view", "row", "rows"),
    ),
    field(
        "join_rows",
        things(
            "(view, checkout) pairs the interval join emitted",
            "pair",
            "pairs",
        ),
    ),
    field(
        "join_late_dropped",
        things("rows the interval join dropped as late", "row", "rows"),
    ),
    field(
        "join_state_rows",
        things("rows the interval join holds in state", "row", "rows"),
    ),
    field(
        "join_state_max",
        things(
            "the most rows the interval join's state ever held",
            "row",
            "rows",
        ),
    ),
    field(
        "join_lower_s",
        things("the interval join's lower bound", "second", "seconds"),
    ),
    field(
        "join_upper_s",
        things("the interval join's upper bound", "second", "seconds"),
    ),
    field(
        "table_join_event_time",
        flag(
            "the stream-table join reads the profile as of event time",
            "the stream-table join reads the profile on processing time",
        ),
    ),
    field(
        "table_join_rows",
        things("clicks the stream-table join emitted", "click", "clicks"),
    ),
    field(
        "table_join_pending",
        things(
            "clicks waiting for the watermark in the event-time join",
            "click",
            "clicks",
        ),
    ),
    field(
        "table_join_late_dropped",
        things(
            "clicks the stream-table join dropped as late",
            "click",
            "clicks",
        ),
    ),
    field(
        "table_versions_dropped",
        things(
            "profile changes the event-time join dropped as late",
            "change",
            "changes",
        ),
    ),
    field(
        "as_of_compared",
        things("clicks both stream-table joins emitted", "click", "clicks"),
    ),
    field(
        "as_of_differs",
        things(
            "clicks the two stream-table joins enriched differently",
            "click",
            "clicks",
        ),
    ),
    field(
        "sample_wait_s",
        things("the training samples' label wait", "second", "seconds"),
    ),
    field(
        "samples",
        things("training samples the stream emitted", "sample", "samples"),
    ),
    field(
        "samples_to_topic",
        flag(
            "the samples pipeline writes to the samples topic",
            "the samples pipeline does not write to the samples topic",
        ),
    ),
    field(
        "topic_samples",
        things(
            "training samples committed to the samples topic",
            "sample",
            "samples",
        ),
    ),
    field(
        "bronze_topic",
        flag(
            "the order feed goes to the bronze topic",
            "the order feed does not go to the bronze topic",
        ),
    ),
    field(
        "bronze_sent",
        things(
            "orders handed to the bronze topic's producer",
            "order",
            "orders",
        ),
    ),
    field(
        "bronze_held",
        things(
            "orders the producer has not got onto the bronze topic",
            "order",
            "orders",
        ),
    ),
    field(
        "bronze_offline",
        flag(
            "the bronze topic's partition has no leader",
            "the bronze topic's partition has a leader",
        ),
    ),
    field(
        "medallion_lag",
        things(
            "bronze topic records past the medallion group's committed offset",
            "record",
            "records",
        ),
    ),
    field(
        "medallion_committed",
        things(
            "the medallion group's committed offset on the bronze topic",
            "offset",
            "offsets",
        ),
    ),
    field(
        "stalled_updates",
        things(
            "medallion updates that found the bronze topic without a leader",
            "update",
            "updates",
        ),
    ),
    field(
        "medallion_caught_up",
        flag(
            "the latest medallion update read the bronze topic to its end",
            "the latest medallion update did not read the bronze topic to its end",
        ),
    ),
    field(
        "positives",
        things("streamed samples labelled clicked", "sample", "samples"),
    ),
    field(
        "negatives",
        things("streamed samples labelled not clicked", "sample", "samples"),
    ),
    field(
        "late_positives",
        things(
            "negative samples whose click the pipeline saw arrive after the label was fixed",
            "sample",
            "samples",
        ),
    ),
    field(
        "fake_negatives",
        things(
            "streamed negatives that the complete log labels clicked",
            "sample",
            "samples",
        ),
    ),
    field(
        "label_recall_permille",
        Words::Level {
            noun: "the label recall (clicks captured over all clicks)",
            unit: Unit::Permille,
        },
    ),
    field(
        "sample_freshness_s",
        things(
            "the mean time from an exposure to its sample",
            "second",
            "seconds",
        ),
    ),
    field(
        "batch_samples",
        things("samples the batch SQL builds", "sample", "samples"),
    ),
    field(
        "missing_samples",
        things(
            "batch samples the stream never emitted",
            "sample",
            "samples",
        ),
    ),
    field(
        "feature_mismatches",
        things(
            "samples whose features differ between stream and batch",
            "sample",
            "samples",
        ),
    ),
    field(
        "lost_to_ttl",
        things("rows the samples join lost to its state TTL", "row", "rows"),
    ),
    field(
        "bronze_rows",
        things("raw order records in bronze", "record", "records"),
    ),
    field(
        "silver_rows",
        things("rows in the silver orders table", "row", "rows"),
    ),
    field(
        "dropped_rows",
        things("rows drop expectations removed", "row", "rows"),
    ),
    field(
        "duplicate_rows",
        things("duplicate records silver skipped", "record", "records"),
    ),
    field(
        "unparsable_rows",
        things("payloads that were not JSON", "record", "records"),
    ),
    field(
        "warned_rows",
        things(
            "warn-expectation violations written to silver anyway",
            "violation",
            "violations",
        ),
    ),
    field(
        "null_passed",
        things(
            "expectation checks passed only because the value was NULL",
            "check",
            "checks",
        ),
    ),
    field(
        "updates",
        things("medallion updates that succeeded", "update", "updates"),
    ),
    field(
        "failed_updates",
        things(
            "medallion updates a fail expectation rolled back",
            "update",
            "updates",
        ),
    ),
    field(
        "pipeline_failing",
        flag(
            "the medallion's latest update failed",
            "the medallion's latest update succeeded",
        ),
    ),
    field(
        "negative_in_silver",
        things("silver rows with a negative amount", "row", "rows"),
    ),
    field(
        "null_amount_in_silver",
        things("silver rows whose amount is NULL", "row", "rows"),
    ),
    field(
        "null_amount_dropped",
        things("rows the NOT NULL check on amount dropped", "row", "rows"),
    ),
    field(
        "gold_rows",
        things("users in the gold table", "user", "users"),
    ),
    field(
        "gold_matches_silver",
        flag(
            "gold equals a recount of silver",
            "gold differs from a recount of silver",
        ),
    ),
];

/// `stream.FIELD` of the lab, or `None` in a lab without a stream job (or before the value
/// exists, as a watermark before any row).
pub fn stream_value(lab: &Lab, field: &str) -> Option<i64> {
    let streams: &StreamLab = lab.streams()?;
    let job = streams.job();
    let operator = job.view().operator;
    let stats = operator.stats();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let now_us = super::at(lab.now().0).0;
    Some(match field {
        "watermark_s" => {
            let w = operator.watermark();
            if w == TimeUs::MIN || w == TimeUs::MAX {
                return None;
            }
            (w.0 - EPOCH_MICROS).div_euclid(US_PER_SECOND)
        }
        "rows_in" => n(stats.rows_in),
        "on_time" => n(stats.on_time),
        "late_accepted" => n(stats.late_accepted),
        "late_dropped" => n(stats.dropped),
        "partly_dropped" => n(stats.partly_dropped),
        "open_windows" => n(stats.open_windows),
        "fired" => n(stats.fired),
        "window_updates" | "retractions" => {
            let kind = if field == "window_updates" {
                FiringKind::Update
            } else {
                FiringKind::Retract
            };
            n(job.kinds_written(kind))
        }
        "by_arrival" => i64::from(
            job.view()
                .query
                .compiled()
                .time_column
                .eq_ignore_ascii_case("arrival"),
        ),
        "session_gap_s" => match job.view().query.compiled().window {
            crate::sql::windowed::WindowTvf::Session { gap_us } => gap_us.div_euclid(US_PER_SECOND),
            _ => 0,
        },
        "final_mode" => i64::from(streams.settings().mode == EmitMode::Final),
        "uncommitted" => n(job.job().uncommitted()),
        "checkpoint_every_s" => streams
            .settings()
            .checkpoint_interval
            .0
            .div_euclid(US_PER_SECOND),
        "sink_rows" => n(job.sink_written()),
        "duplicates" => n(job.duplicates()),
        "checkpoints" => n(job.job().stats().checkpoints),
        "restarts" => n(job.job().stats().restarts),
        "running" => i64::from(job.is_running()),
        "exactly_once" => i64::from(streams.settings().guarantee == Guarantee::ExactlyOnce),
        "clicks_sent" => n(streams.clicks_sent()),
        "samples_to_topic" => i64::from(streams.samples_topic().is_on()),
        "topic_samples" => n(super::samples_topic::read_samples(lab.cluster()?).len() as u64),
        "bronze_topic" => i64::from(streams.bronze_topic().is_on()),
        "bronze_sent" => n(streams.bronze_topic().sent()),
        "bronze_held" => n(streams.bronze_topic().held(lab.cluster()?)),
        "bronze_offline" => i64::from(streams.bronze_topic().offline(lab.cluster()?)),
        "medallion_lag" => n(streams.bronze_topic().lag(lab.cluster()?)),
        "medallion_committed" => n(streams.bronze_topic().committed(lab.cluster()?)),
        "stalled_updates" => n(streams.bronze_topic().stalled_updates()),
        "medallion_caught_up" => i64::from(streams.bronze_topic().caught_up()),
        "idle_partitions" => operator.watermarks().iter().filter(|p| p.idle).count() as i64,
        "lag" => n(job.lag(lab.cluster()?)),
        "freshness_s" => {
            let newest = lab
                .features()?
                .online()
                .table(PUSH_VIEW)?
                .newest_event_ts()?;
            (now_us - newest.0).div_euclid(US_PER_SECOND)
        }
        "join_rows"
        | "join_late_dropped"
        | "join_state_rows"
        | "join_state_max"
        | "table_join_rows"
        | "table_join_pending"
        | "table_join_late_dropped"
        | "table_versions_dropped"
        | "as_of_compared"
        | "as_of_differs" => {
            let joins = super::joins_lab::joins(lab)?;
            let interval = &joins.interval;
            n(match field {
                "join_rows" => interval.stats.joined,
                "join_late_dropped" => interval.stats.late_dropped,
                "join_state_rows" => interval.buffered.0 + interval.buffered.1,
                "join_state_max" => interval.state_max,
                "table_join_rows" => joins.table_rows(),
                "table_join_pending" => {
                    if streams.join_settings().table_time == JoinTime::EventTime {
                        joins.table.pending
                    } else {
                        0
                    }
                }
                "table_join_late_dropped" => joins.chosen().late_dropped,
                "as_of_compared" => joins.table.compared,
                "table_versions_dropped" => joins.table.versions_dropped,
                _ => joins.table.differs,
            })
        }
        "join_lower_s" => streams.join_settings().lower.0.div_euclid(US_PER_SECOND),
        "join_upper_s" => streams.join_settings().upper.0.div_euclid(US_PER_SECOND),
        "table_join_event_time" => {
            i64::from(streams.join_settings().table_time == JoinTime::EventTime)
        }
        "pushed" => n(lab
            .features()?
            .sources()
            .get(PUSH_VIEW)
            .map_or(0, |rows| rows.rows.len() as u64)),
        _ => {
            return super::samples_lab::value(
                streams.pipes(),
                || streams.medallion(lab.now()).ok(),
                field,
            )
        }
    })
}

/// The partitions of the clicks topic, for the page's pickers.
pub fn partitions() -> std::ops::Range<u32> {
    0..CLICKS_PARTITIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse_as_lessons_write_them() {
        assert_eq!(duration("0s"), Ok(DurationUs(0)));
        assert_eq!(duration("500ms"), Ok(DurationUs(500_000)));
        assert_eq!(duration("2m"), Ok(DurationUs::from_seconds(120)));
        assert!(duration("2 s").is_err() && duration("-1s").is_err() && duration("25h").is_err());
        assert_eq!(
            event_time("00:00:12").map(clock_time),
            Ok("00:00:12".to_string())
        );
        assert_eq!(
            event_time("2024-01-02T00:00:01").map(clock_time),
            Ok("2024-01-02 00:00:01".to_string())
        );
        assert!(event_time("noon").is_err());
    }

    #[test]
    fn window_steps_write_the_query_they_name() {
        let Some(Ok(Step::Lab(Command::Stream(StreamCommand::SetQuery { sql })))) =
            parse_step("window", "hop 10s 5s")
        else {
            panic!("window hop parses")
        };
        assert!(sql.contains("HOP(clicks, event_time, INTERVAL '5' SECOND, INTERVAL '10' SECOND)"));
        assert!(parse_step("window", "tumble 1500ms").unwrap().is_err());
        assert!(parse_step("window", "tumble 10s time=tick")
            .unwrap()
            .is_err());
        assert!(parse_step("emit", "sometimes").unwrap().is_err());
        assert!(parse_step("produce", "orders").is_none());
    }
}
