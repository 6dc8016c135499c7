//! Text for the cluster lab's widgets, by hand (no formatting crate: the bundle is at its size
//! budget): byte sizes as Spark prints them, a threshold typed with units, an exchange as
//! `EXPLAIN` names it, an attempt's name and state, and a task's expected length for the
//! progress fill of a running slot.

use lab::cluster::sched::{AttemptState, ClusterConfig, FailureReason, TaskSpec};
use lab::sql::distributed::Exchange;

/// A byte count with a binary unit, as Spark's UI prints sizes: "812 B", "12.3 KiB", "4.0 MiB".
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A size typed in the threshold field: "10KiB", "10 KB", "1.5m", "10240" (bytes), or "off"
/// ("-1", as `spark.sql.autoBroadcastJoinThreshold` writes it) for never. Units are binary, as
/// Spark reads size settings (`10m` is 10 MiB).
pub fn parse_bytes(text: &str) -> Result<Option<u64>, (String, String)> {
    let typed = text.trim();
    let lower = typed.to_ascii_lowercase();
    if lower == "off" || lower == "-1" {
        return Ok(None);
    }
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err((
                format!("\"{typed}\" is not a size"),
                "type a number with a unit, such as 10KiB, 512 B or 1MiB, or off".into(),
            ))
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        (
            format!("\"{typed}\" does not start with a number"),
            "type a number with a unit, such as 10KiB, or off to never broadcast".into(),
        )
    })?;
    Ok(Some((value * scale as f64).round() as u64))
}

/// An exchange as `EXPLAIN` prints its partitioning: `hashpartitioning(page, 8)`.
pub fn exchange_text(exchange: &Exchange) -> String {
    match exchange {
        Exchange::Hash { keys, partitions } => {
            format!("hashpartitioning({}, {partitions})", keys.join(", "))
        }
        Exchange::Range { keys, partitions } => {
            format!("rangepartitioning({}, {partitions})", keys.join(", "))
        }
        Exchange::Single => "SinglePartition".into(),
        Exchange::Broadcast => "BroadcastExchange".into(),
    }
}

/// A task as Spark's logs name it: stage and partition, "2.5".
pub fn task_name(stage: u16, partition: u32) -> String {
    format!("{stage}.{partition}")
}

/// How an attempt ended, in a few words.
pub fn state_text(state: AttemptState) -> &'static str {
    match state {
        AttemptState::Running => "running",
        AttemptState::Succeeded => "succeeded",
        AttemptState::Failed(FailureReason::ExecutorLost) => "failed: executor lost",
        AttemptState::Failed(FailureReason::FetchFailed) => "failed: fetch failed",
        AttemptState::Killed => "killed (the other copy won)",
    }
}

/// The CSS class of an attempt's state.
pub fn state_class(state: AttemptState) -> &'static str {
    match state {
        AttemptState::Running => "dx-running",
        AttemptState::Succeeded => "dx-succeeded",
        AttemptState::Failed(_) => "dx-failed",
        AttemptState::Killed => "dx-killed",
    }
}

/// How many ticks a task takes on an executor running at `speed_percent`, as the scheduler counts
/// it when the attempt launches (`cluster::sched`'s timing module): its compute, ceil(work x 100 /
/// (rate x speed)) where a cache hit saves the block's source work, plus its shuffle fetch,
/// ceil(bytes / the network rate), at least one tick. The scheduler keeps that count private, so
/// the fill of a running slot uses this copy of it.
pub fn expected_ticks(
    task: &TaskSpec,
    config: &ClusterConfig,
    speed_percent: u16,
    cache_hit: bool,
) -> u64 {
    let saved = match (&task.cache, cache_hit) {
        (Some(cached), true) => cached.source_work_units,
        _ => 0,
    };
    let work = u128::from(task.work_units.saturating_sub(saved)) * 100;
    let rate = u128::from(config.work_units_per_tick.max(1)) * u128::from(speed_percent.max(1));
    let compute = u64::try_from(work.div_ceil(rate)).unwrap_or(u64::MAX);
    let fetch = task
        .shuffle_read_bytes
        .div_ceil(config.network_bytes_per_tick.max(1));
    compute.saturating_add(fetch).max(1)
}

/// How far a running attempt is, in percent (0 to 99: it is done only when the scheduler says).
pub fn progress_percent(elapsed_ticks: u64, expected_ticks: u64) -> u64 {
    (elapsed_ticks * 100 / expected_ticks.max(1)).min(99)
}

/// The program line an error message points at ("line 3: ...", "SyntaxError at line 3").
pub fn error_line(message: &str) -> Option<u32> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("line ")? + "line ".len();
    let digits: String = lower[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|line| *line > 0)
}

/// A message without the "line N: " it starts with, for a view that names the line itself.
pub fn without_line_prefix(message: &str) -> &str {
    let Some(rest) = message
        .strip_prefix("line ")
        .or_else(|| message.strip_prefix("Line "))
    else {
        return message;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    match rest[digits..].strip_prefix(": ") {
        Some(text) if digits > 0 => text,
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_as_spark_prints_them() {
        assert_eq!(bytes_text(0), "0 B");
        assert_eq!(bytes_text(1023), "1023 B");
        assert_eq!(bytes_text(1024), "1.0 KiB");
        assert_eq!(bytes_text(12_595), "12.3 KiB");
        assert_eq!(bytes_text(10 << 20), "10.0 MiB");
        assert_eq!(bytes_text(3 << 30), "3.0 GiB");
    }

    #[test]
    fn a_threshold_is_typed_with_binary_units_or_off() {
        assert_eq!(parse_bytes("10KiB"), Ok(Some(10_240)));
        assert_eq!(parse_bytes(" 10 kb "), Ok(Some(10_240)));
        assert_eq!(parse_bytes("1.5m"), Ok(Some(1_572_864)));
        assert_eq!(parse_bytes("512"), Ok(Some(512)));
        assert_eq!(parse_bytes("0 B"), Ok(Some(0)));
        assert_eq!(parse_bytes("off"), Ok(None));
        assert_eq!(parse_bytes("-1"), Ok(None));
        let (message, hint) = parse_bytes("10 parsecs").unwrap_err();
        assert!(message.contains("not a size") && hint.contains("10KiB"));
        assert!(parse_bytes("KiB").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn exchanges_are_named_as_explain_prints_them() {
        let keys = vec!["page".to_string(), "country".to_string()];
        assert_eq!(
            exchange_text(&Exchange::Hash {
                keys: keys.clone(),
                partitions: 8
            }),
            "hashpartitioning(page, country, 8)"
        );
        assert_eq!(
            exchange_text(&Exchange::Range {
                keys,
                partitions: 3
            }),
            "rangepartitioning(page, country, 3)"
        );
        assert_eq!(exchange_text(&Exchange::Single), "SinglePartition");
        assert_eq!(exchange_text(&Exchange::Broadcast), "BroadcastExchange");
    }

    fn config() -> ClusterConfig {
        ClusterConfig {
            executors: 4,
            cores_per_executor: 2,
            storage_bytes_per_executor: 1 << 20,
            work_units_per_tick: 100,
            network_bytes_per_tick: 1_000,
            speculation: false,
        }
    }

    fn task(work_units: u64, shuffle_read_bytes: u64) -> TaskSpec {
        TaskSpec {
            partition: 0,
            work_units,
            shuffle_read_bytes,
            shuffle_write_bytes: 0,
            cache: None,
        }
    }

    #[test]
    fn a_task_takes_its_work_over_the_rate_plus_its_fetch_over_the_network() {
        assert_eq!(expected_ticks(&task(1_000, 0), &config(), 100, false), 10);
        assert_eq!(
            expected_ticks(&task(1_000, 2_500), &config(), 100, false),
            13
        );
        // A straggler at a quarter of the speed takes four times as long to compute.
        assert_eq!(expected_ticks(&task(1_000, 0), &config(), 25, false), 40);
        // Never zero: even an empty partition takes a tick.
        assert_eq!(expected_ticks(&task(0, 0), &config(), 100, false), 1);
        let mut cached = task(1_000, 0);
        cached.cache = Some(lab::cluster::sched::CachedInput {
            block: "page_views#0".into(),
            bytes: 4_096,
            source_work_units: 800,
        });
        assert_eq!(expected_ticks(&cached, &config(), 100, true), 2);
        assert_eq!(expected_ticks(&cached, &config(), 100, false), 10);
    }

    #[test]
    fn progress_stops_short_of_done() {
        assert_eq!(progress_percent(0, 10), 0);
        assert_eq!(progress_percent(5, 10), 50);
        assert_eq!(progress_percent(12, 10), 99);
        assert_eq!(progress_percent(3, 0), 99);
    }

    #[test]
    fn the_line_of_a_program_error_is_found_in_its_message() {
        assert_eq!(error_line("SyntaxError at line 3: expected ':'"), Some(3));
        assert_eq!(
            error_line("line 12: NameError: name 'wrod' is not defined"),
            Some(12)
        );
        assert_eq!(error_line("Line 7"), Some(7));
        assert_eq!(error_line("the mapper ran too long"), None);
        assert_eq!(error_line("line zero"), None);
        assert_eq!(error_line("line 0"), None);
        assert_eq!(
            without_line_prefix("line 12: NameError: name 'wrod' is not defined"),
            "NameError: name 'wrod' is not defined"
        );
        assert_eq!(without_line_prefix("line: 3"), "line: 3");
        assert_eq!(
            without_line_prefix("SyntaxError at line 3"),
            "SyntaxError at line 3"
        );
    }
}
