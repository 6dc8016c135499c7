//! The clicks topic of the streaming lab: how a click is written to it (a JSON value keyed by
//! the user id, as a producer with a JSON serializer would send it) and read back as a typed row.
//!
//! Event time travels in the value, separate from the record's timestamp: the record's
//! timestamp is when the broker appended it (processing time, `arrival`), the value's
//! `event_time` is when the click happened. The gap between the two is what watermarks are for.

use crate::broker::cluster::Cluster;
use crate::broker::log::Offset;
use crate::streaming::value::TimeUs;
use crate::topics::{EPOCH_MICROS, MICROS_PER_TICK};
use sql::column::{Field, Table};
use sql::value::{DataType, Value};
use std::collections::BTreeMap;

/// One click as the job reads it from the topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickRecord {
    pub partition: u32,
    pub offset: u64,
    /// When the broker appended the record (processing time).
    pub arrival: TimeUs,
    pub user: Option<String>,
    pub page: Option<String>,
    pub amount: Option<i64>,
    /// None when the value is not a click (not JSON, or no readable `event_time`).
    pub event_time: Option<TimeUs>,
}

/// The record value of a click.
pub fn click_value(page: &str, amount: i64, event_time: TimeUs) -> String {
    serde_json::json!({
        "event_time": event_time.format(),
        "page": page,
        "amount": amount,
    })
    .to_string()
}

/// Reads a record's value as a click; fields that are missing or of the wrong type are None.
fn parse_value(value: Option<&[u8]>) -> (Option<String>, Option<i64>, Option<TimeUs>) {
    let parsed = value.and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok());
    let Some(object) = parsed.as_ref().and_then(|v| v.as_object()) else {
        return (None, None, None);
    };
    let page = object
        .get("page")
        .and_then(|v| v.as_str())
        .map(String::from);
    let amount = object.get("amount").and_then(|v| v.as_i64());
    let event_time = object
        .get("event_time")
        .and_then(|v| v.as_str())
        .and_then(TimeUs::parse);
    (page, amount, event_time)
}

/// A tick as an instant on the lab's calendar (tick 0 is 2024-01-01 00:00:00).
pub fn tick_time(tick: u64) -> TimeUs {
    TimeUs(EPOCH_MICROS + tick as i64 * MICROS_PER_TICK)
}

/// The committed records of `topic` (below each partition's high watermark, from its elected
/// leader) at or after `from[partition]`, partition by partition, oldest first. A partition
/// without a leader gives nothing: a job reading it stalls.
pub fn read_clicks(cluster: &Cluster, topic: &str, from: &BTreeMap<u32, u64>) -> Vec<ClickRecord> {
    read_clicks_arrived_since(cluster, topic, from, TimeUs::MIN)
}

/// [`read_clicks`] keeping only the clicks that arrived at or after `since`; the others are
/// skipped before their value is parsed (a page showing the last minute reads a few records of
/// each partition's tail, and parses only those).
pub fn read_clicks_arrived_since(
    cluster: &Cluster,
    topic: &str,
    from: &BTreeMap<u32, u64>,
    since: TimeUs,
) -> Vec<ClickRecord> {
    let Some(t) = cluster.topics().get(topic) else {
        return Vec::new();
    };
    let mut clicks = Vec::new();
    for p in t.partitions() {
        let Some(log) = p.elected_leader_log() else {
            continue;
        };
        let partition = p.id().0;
        let start = Offset(from.get(&partition).copied().unwrap_or(0)).max(log.log_start());
        // From `start` on only: the log seeks to it, so the cost follows what is read, not the
        // topic's length. An offset past the log's end reads nothing.
        let Ok(records) = log.read(start, p.hw(), usize::MAX) else {
            continue;
        };
        let markers = log.marker_offsets();
        for r in records
            .into_iter()
            .filter(|r| !markers.contains_key(&r.offset) && tick_time(r.timestamp.0) >= since)
        {
            let (page, amount, event_time) = parse_value(r.value.as_deref());
            clicks.push(ClickRecord {
                partition,
                offset: r.offset.0,
                arrival: tick_time(r.timestamp.0),
                user: r
                    .key
                    .as_ref()
                    .map(|k| String::from_utf8_lossy(k).into_owned()),
                page,
                amount,
                event_time,
            });
        }
    }
    clicks
}

/// Every committed click of the clicks topic as a table: what a SQL query over `clicks` reads
/// in the streaming lab (the same rows a batch job over the topic would read).
pub fn typed_topic_table(cluster: &Cluster) -> Table {
    click_table(&read_clicks(cluster, super::CLICKS_TOPIC, &BTreeMap::new()))
}

/// The columns of a clicks table, as SQL sees the topic in the streaming lab.
pub fn click_fields() -> Vec<Field> {
    let field = |name: &str, data_type| Field {
        name: name.into(),
        data_type,
    };
    vec![
        field("partition", DataType::BigInt),
        field("offset", DataType::BigInt),
        field("arrival", DataType::Timestamp),
        field("user_id", DataType::Text),
        field("page", DataType::Text),
        field("amount", DataType::BigInt),
        field("event_time", DataType::Timestamp),
    ]
}

/// Clicks as a SQL table, in the order given.
pub fn click_table(clicks: &[ClickRecord]) -> Table {
    let text = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::text);
    let rows: Vec<Vec<Value>> = clicks
        .iter()
        .map(|c| {
            vec![
                Value::BigInt(i64::from(c.partition)),
                Value::BigInt(c.offset as i64),
                Value::Timestamp(c.arrival.0),
                text(&c.user),
                text(&c.page),
                c.amount.map_or(Value::Null, Value::BigInt),
                c.event_time.map_or(Value::Null, |t| Value::Timestamp(t.0)),
            ]
        })
        .collect();
    Table::from_rows(click_fields(), &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_value_reads_back_and_garbage_reads_as_nulls() {
        let at = TimeUs(EPOCH_MICROS + 12_300_000);
        let value = click_value("home", 3, at);
        assert_eq!(
            parse_value(Some(value.as_bytes())),
            (Some("home".into()), Some(3), Some(at))
        );
        assert_eq!(parse_value(Some(b"not json")), (None, None, None));
        assert_eq!(parse_value(None), (None, None, None));
        assert_eq!(
            parse_value(Some(br#"{"page": 4, "event_time": "yesterday"}"#)),
            (None, None, None)
        );
    }
}
